"""Run the mock server from tests.

    from promptrails_mock.testing import MockServer

    with MockServer() as srv:                  # python -m promptrails_mock --port 0 --db :memory: --strict --control
        key = srv.new_workspace()              # a fresh API key with an empty workspace
        srv.alias_agent("your-agent-id", like="echo")
        srv.create_session_with_id("session-id", api_key=key)
        srv.add_fault(method="POST", path="/api/v1/chat/sessions/*/messages",
                      action="status", status=503, headers={"Retry-After": "0"})
        ...  # point the SDK at srv.base_url with api_key=key
        attempts = srv.requests(method="POST", path="/api/v1/chat/sessions/*/messages")
        assert srv.violations() == []

The interface is stable; other suites (the Python SDK's tests, the conformance
harness) depend on it. Every control call raises :class:`MockServerError` when
the server answers an error.
"""

from __future__ import annotations

import collections
import os
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

__all__ = ["DEFAULT_API_KEY", "MockServer", "MockServerError"]

DEFAULT_API_KEY = "promptrails-dev-key"
_LISTENING_PREFIX = "promptrails-mock listening on "


class MockServerError(RuntimeError):
    """The mock server could not start, or a control call failed."""


class MockServer:
    """A ``promptrails-mock`` subprocess, started on a free port, stopped on exit.

    :param db: SQLite path, ``:memory:`` by default.
    :param api_keys: the configured API keys; ``api_key`` is the first.
    :param spec: path to openapi.yaml (default: the server's own discovery).
    :param strict: answer 500 instead of any response violating the contract (default True in tests).
    :param frame_delay_ms: pause before each agent frame (server default 5 ms).
    :param slow_delay_ms: pause before each frame of the ``slow`` agent (server default 1000 ms).
    :param extra_args: more command-line arguments.
    :param startup_timeout: seconds to wait for the listening line.
    :param control: serve the control API (``--control``; default True: the helper's own calls need it).
    """

    def __init__(
        self,
        *,
        db: str = ":memory:",
        api_keys: Sequence[str] = (DEFAULT_API_KEY,),
        spec: str | os.PathLike[str] | None = None,
        strict: bool = True,
        frame_delay_ms: float | None = None,
        slow_delay_ms: float | None = None,
        host: str = "127.0.0.1",
        extra_args: Sequence[str] = (),
        startup_timeout: float = 30.0,
        log_level: str = "warning",
        control: bool = True,
    ) -> None:
        if not api_keys:
            raise ValueError("api_keys must name at least one key")
        self.api_keys = tuple(api_keys)
        self.api_key = self.api_keys[0]
        self.base_url = ""
        self._args = [sys.executable, "-m", "promptrails_mock", "--host", host, "--port", "0", "--db", db]
        self._args += ["--log-level", log_level]
        for key in self.api_keys:
            self._args += ["--api-key", key]
        if spec is not None:
            self._args += ["--spec", str(Path(spec))]
        if strict:
            self._args.append("--strict")
        if frame_delay_ms is not None:
            self._args += ["--frame-delay-ms", str(frame_delay_ms)]
        if slow_delay_ms is not None:
            self._args += ["--slow-delay-ms", str(slow_delay_ms)]
        if control:
            self._args.append("--control")
        self._args += list(extra_args)
        self._startup_timeout = startup_timeout
        self._process: subprocess.Popen[str] | None = None
        self._lines: collections.deque[str] = collections.deque(maxlen=2000)
        self._listening = threading.Event()
        self._reader: threading.Thread | None = None
        self._client: httpx.Client | None = None

    # -- lifecycle ------------------------------------------------------------------

    def start(self) -> MockServer:
        if self._process is not None:
            raise MockServerError("the mock server is already running")
        self._process = subprocess.Popen(
            self._args,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
            errors="replace",
            bufsize=1,
        )
        self._reader = threading.Thread(target=self._read_output, name="promptrails-mock-output", daemon=True)
        self._reader.start()
        if not self._listening.wait(self._startup_timeout) or not self.base_url:
            output = self.output()
            self.stop()
            raise MockServerError(f"the mock server did not start:\n{output}")
        self._client = httpx.Client(base_url=self.base_url, timeout=30.0)
        return self

    def _read_output(self) -> None:
        process = self._process
        assert process is not None and process.stdout is not None
        for line in process.stdout:
            line = line.rstrip("\n")
            self._lines.append(line)
            if line.startswith(_LISTENING_PREFIX) and not self.base_url:
                self.base_url = line[len(_LISTENING_PREFIX) :].strip()
                self._listening.set()
        self._listening.set()

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s) and release everything."""
        if self._client is not None:
            self._client.close()
            self._client = None
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        if self._reader is not None:
            self._reader.join(5)
            self._reader = None
        if process is not None and process.stdout is not None:
            process.stdout.close()

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        """The server process's id while it runs (to watch its descriptors or memory)."""
        return self._process.pid if self.running and self._process is not None else None

    def output(self) -> str:
        """What the server printed (its last 2000 lines: announcement and logs)."""
        return "\n".join(self._lines)

    def url(self, path: str) -> str:
        """An absolute URL on the server, e.g. ``srv.url("/api/v1/chat/sessions")``."""
        return self.base_url + path

    # -- control API ----------------------------------------------------------------

    def _control(self, method: str, path: str, **kwargs: Any) -> Any:
        if self._client is None:
            raise MockServerError("the mock server is not running")
        response = self._client.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise MockServerError(f"{method} {path} -> {response.status_code}: {response.text}")
        return response.json()["data"]

    def _control_page(self, path: str, **kwargs: Any) -> dict[str, Any]:
        if self._client is None:
            raise MockServerError("the mock server is not running")
        response = self._client.get(path, **kwargs)
        if response.status_code >= 400:
            raise MockServerError(f"GET {path} -> {response.status_code}: {response.text}")
        return dict(response.json())

    def health(self) -> dict[str, Any]:
        """``{"status": "ok", "running_executions": N}``."""
        return dict(self._control("GET", "/__mock/health"))

    def new_workspace(self) -> str:
        """A fresh API key with its own empty workspace."""
        return str(self._control("POST", "/__mock/workspaces", json={})["api_key"])

    def add_fault(self, **spec: Any) -> dict[str, Any]:
        """Program a fault (see the README): ``action`` plus ``method``, ``path``, ``count`` and its options."""
        return dict(self._control("POST", "/__mock/faults", json=spec))

    def faults(self) -> list[dict[str, Any]]:
        """The faults still armed."""
        return list(self._control("GET", "/__mock/faults"))

    def clear_faults(self) -> None:
        self._control("DELETE", "/__mock/faults")

    def requests(
        self,
        method: str | None = None,
        path: str | None = None,
        *,
        api_key: str | None = None,
        workspace_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """The API requests received, oldest first (every page), filtered by method, path glob,
        the API key they were sent with (compared by the server; keys are never returned) and workspace."""
        params: dict[str, str] = {
            k: v
            for k, v in (("method", method), ("path", path), ("api_key", api_key), ("workspace_id", workspace_id))
            if v
        }
        entries: list[dict[str, Any]] = []
        after: int | None = None
        while True:
            page = self._control_page(
                "/__mock/requests",
                params={**params, "limit": "1000", **({} if after is None else {"after": str(after)})},
            )
            entries += page["data"]
            after = page["meta"].get("next_after")
            if after is None:
                return entries

    def clear_requests(self) -> None:
        self._control("DELETE", "/__mock/requests")

    def violations(self) -> list[dict[str, Any]]:
        """Responses the server sent that violate openapi.yaml (should stay empty)."""
        return list(self._control("GET", "/__mock/violations"))

    def clear_violations(self) -> None:
        self._control("DELETE", "/__mock/violations")

    def alias_agent(self, agent_id: str, like: str = "echo") -> dict[str, Any]:
        """Make ``agent_id`` usable in sessions, behaving like built-in agent ``like``."""
        return dict(self._control("POST", "/__mock/agents", json={"id": agent_id, "like": like}))

    def create_session_with_id(
        self,
        session_id: str,
        *,
        agent_id: str = "echo",
        title: str | None = None,
        metadata: dict[str, Any] | None = None,
        api_key: str | None = None,
    ) -> dict[str, Any]:
        """Create a session with a chosen id (in ``api_key``'s workspace, default :attr:`api_key`)."""
        body: dict[str, Any] = {"id": session_id, "agent_id": agent_id, "api_key": api_key or self.api_key}
        if title is not None:
            body["title"] = title
        if metadata is not None:
            body["metadata"] = metadata
        return dict(self._control("POST", "/__mock/sessions", json=body))

    def reset(self) -> None:
        """Delete all data, faults, logs and aliases; keep the configured API keys."""
        self._control("POST", "/__mock/reset")
