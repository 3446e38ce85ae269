"""Helpers shared by the tests: SSE parsing, polling, error-envelope checks."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = REPO_ROOT / "openapi.yaml"
API = "/api/v1"


def parse_sse(text: str) -> list[dict[str, Any]]:
    """The frames of an event stream the mock wrote, as ``{id, event, data}`` dicts."""
    frames = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        frame: dict[str, Any] = {}
        for line in block.split("\n"):
            name, _, value = line.partition(": ")
            frame[name] = json.loads(value) if name == "data" else value
        frames.append(frame)
    return frames


class FrameReader:
    """Reads the frames of a streaming response as they arrive, in several goes."""

    def __init__(self, response: httpx.Response) -> None:
        self._chunks = response.iter_text()
        self._buffer = ""
        self._ready: list[dict[str, Any]] = []

    def read(self, limit: int | None = None) -> list[dict[str, Any]]:
        """The next ``limit`` frames (all the rest when None)."""
        while limit is None or len(self._ready) < limit:
            if "\n\n" in self._buffer:
                block, self._buffer = self._buffer.split("\n\n", 1)
                self._ready.extend(parse_sse(block + "\n\n"))
                continue
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        count = len(self._ready) if limit is None else min(limit, len(self._ready))
        taken, self._ready = self._ready[:count], self._ready[count:]
        return taken


def read_frames(response: httpx.Response, limit: int | None = None) -> list[dict[str, Any]]:
    """Read frames from a streaming response (one go; use FrameReader to read on later)."""
    return FrameReader(response).read(limit)


def wait_until(predicate: Callable[[], Any], timeout: float = 20.0, interval: float = 0.02) -> Any:
    """Poll ``predicate`` until it returns something truthy (fails the test after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


def execution_status(client: httpx.Client, execution_id: str) -> str:
    response = client.get(f"{API}/executions/{execution_id}")
    assert response.status_code == 200, response.text
    return str(response.json()["data"]["status"])


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Check the error envelope and the request id; return the error object."""
    assert response.status_code == status, response.text
    assert response.headers.get("x-request-id"), "every response carries X-Request-ID"
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], dict)
    return dict(error)
