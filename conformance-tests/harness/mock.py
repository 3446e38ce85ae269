"""The harness's view of the mock server, per scenario, over ``promptrails_mock.testing``.

The mock's fault book and request log are global to the server, so the harness
runs the scenarios of one server one after the other: each scenario starts by
clearing faults and the request log, gets a fresh workspace (its own API key),
and reads back only the requests made with the key its client used.
"""

from __future__ import annotations

from typing import Any

import httpx
from promptrails_mock.testing import MockServer

__all__ = ["MockControl"]


class MockControl:
    def __init__(self, server: MockServer, http: httpx.Client) -> None:
        self._server = server
        self._http = http
        self.base_url = server.base_url
        server.clear_faults()
        server.clear_requests()
        self.api_key: str = server.new_workspace()
        self.workspace_id: str = ""
        self.client_api_key: str = self.api_key

    def add_agent(self, agent_id: str, like: str) -> None:
        self._server.alias_agent(agent_id, like=like)

    def add_session(self, session: dict[str, Any]) -> None:
        fields = {k: v for k, v in session.items() if k in ("agent_id", "title", "metadata")}
        self._server.create_session_with_id(session["id"], api_key=self.api_key, **fields)

    def add_faults(self, faults: list[dict[str, Any]]) -> None:
        for fault in faults:
            self._server.add_fault(**fault)

    def clear_faults(self) -> None:
        self._server.clear_faults()

    def requests(self) -> list[dict[str, Any]]:
        """The API requests made with the scenario client's key, oldest first.

        The server's log never shows a key (its ``x-api-key`` header reads ``[REDACTED]``);
        it matches entries to the key itself (``api_key=``), so a request listed here
        carried exactly that key.
        """
        return self._server.requests(api_key=self.client_api_key)

    def message_count(self, session_id: str) -> int:
        """How many messages the session holds now (read through the API with the workspace key)."""
        response = self._http.get(
            self._server.url(f"/api/v1/chat/sessions/{session_id}/messages"),
            params={"limit": 1},
            headers={"X-API-Key": self.api_key},
        )
        if response.status_code == 404:
            return 0
        response.raise_for_status()
        return int(response.json()["meta"]["total"])

    def raw_get(self, path: str) -> Any:
        """The JSON body of a plain GET of an API path with the workspace key: the wire truth."""
        response = self._http.get(self._server.url(path), headers={"X-API-Key": self.api_key})
        response.raise_for_status()
        return response.json()

    def finish(self) -> None:
        """Leave no fault behind for the next scenario."""
        self._server.clear_faults()
