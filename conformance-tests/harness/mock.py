"""The harness's view of the mock server: its control API (``/__mock/``), per scenario.

The mock's fault book and request log are global to the server, so the harness
runs the scenarios of one server one after the other: each scenario starts by
clearing faults and the request log, gets a fresh workspace (its own API key),
and reads back only the requests made with the key its client used.
"""

from __future__ import annotations

from typing import Any

import httpx

__all__ = ["MockControl", "ControlError"]


class ControlError(RuntimeError):
    """The mock's control API refused a call: the scenario (or the mock) is wrong."""


class MockControl:
    def __init__(self, base_url: str, http: httpx.Client) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = http
        self._call("DELETE", "/__mock/faults")
        self._call("DELETE", "/__mock/requests")
        workspace = self._call("POST", "/__mock/workspaces", {})
        self.api_key: str = workspace["api_key"]
        self.workspace_id: str = workspace["workspace_id"]
        self.client_api_key: str = self.api_key

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        response = self._http.request(method, self.base_url + path, json=body)
        if response.status_code >= 300:
            raise ControlError(f"{method} {path} {body!r} -> {response.status_code}: {response.text[:500]}")
        return response.json().get("data")

    def add_agent(self, agent_id: str, like: str) -> None:
        self._call("POST", "/__mock/agents", {"id": agent_id, "like": like})

    def add_session(self, session: dict[str, Any]) -> None:
        self._call("POST", "/__mock/sessions", {"api_key": self.api_key, **session})

    def add_faults(self, faults: list[dict[str, Any]]) -> None:
        for fault in faults:
            self._call("POST", "/__mock/faults", fault)

    def clear_faults(self) -> None:
        self._call("DELETE", "/__mock/faults")

    def requests(self) -> list[dict[str, Any]]:
        """The API requests made with the scenario client's key, oldest first."""
        entries = self._call("GET", "/__mock/requests") or []
        return [e for e in entries if e.get("headers", {}).get("x-api-key") == self.client_api_key]

    def message_count(self, session_id: str) -> int:
        """How many messages the session holds now (read through the API with the workspace key)."""
        response = self._http.get(
            f"{self.base_url}/api/v1/chat/sessions/{session_id}/messages",
            params={"limit": 1},
            headers={"X-API-Key": self.api_key},
        )
        if response.status_code == 404:
            return 0
        if response.status_code != 200:
            raise ControlError(f"counting messages of {session_id}: {response.status_code} {response.text[:300]}")
        return int(response.json()["meta"]["total"])

    def finish(self) -> None:
        """Leave no fault behind for the next scenario."""
        self._call("DELETE", "/__mock/faults")
