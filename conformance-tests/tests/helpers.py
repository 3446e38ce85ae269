"""Helpers shared by the tests: SSE parsing, polling, error-envelope checks."""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h11
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


@dataclass
class RawAnswer:
    """What a server answered on a raw socket: the parsed response, or why there is none."""

    status: int | None
    headers: dict[str, str]
    body: bytes
    complete: bool
    closed: bool
    problem: str | None = None

    def json(self) -> Any:
        return json.loads(self.body)


def raw_exchange(
    base_url: str, data: bytes, *, timeout: float = 30.0, wait_for_close: bool = True, then: bytes | None = None
) -> RawAnswer:
    """Send ``data`` verbatim on a fresh connection and parse the answer with h11.

    ``closed`` says whether the server closed the connection after answering
    (checked when ``wait_for_close``). ``then`` is sent after the answer arrived,
    before waiting for the close. A dropped connection leaves ``status`` None
    and says why in ``problem``.
    """
    host, port = base_url.removeprefix("http://").rsplit(":", 1)
    conn = h11.Connection(h11.CLIENT)
    # h11 only parses a response for a request it sent itself: this one is never sent.
    conn.send(h11.Request(method="GET", target="/", headers=[("Host", "mock")]))
    conn.send(h11.EndOfMessage())
    status: int | None = None
    headers: dict[str, str] = {}
    body = b""
    complete = closed = False
    problem: str | None = None
    with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout) as sock:
        try:
            sock.sendall(data)
        except OSError as exc:  # the server may answer and close before taking everything
            problem = f"send: {exc!r}"
        while True:
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError as exc:
                problem = f"h11: {exc}"
                break
            if event is h11.NEED_DATA:
                try:
                    chunk = sock.recv(65536)
                except OSError as exc:
                    problem = f"recv: {exc!r}"
                    break
                conn.receive_data(chunk)
                if not chunk:
                    closed = True
                continue
            if isinstance(event, h11.Response):
                status = event.status_code
                headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in event.headers}
            elif isinstance(event, h11.Data):
                body += bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                complete = True
                break
            elif isinstance(event, h11.ConnectionClosed):
                closed = True
                break
        if complete and then is not None:
            with contextlib.suppress(OSError):
                sock.sendall(then)
        if complete and wait_for_close and not closed:
            try:
                while True:
                    chunk = sock.recv(65536)
                    if not chunk:
                        closed = True
                        break
            except OSError:
                closed = True
    return RawAnswer(status, headers, body, complete, closed, problem)


def assert_raw_error(answer: RawAnswer, status: int, code: str) -> dict[str, Any]:
    """A raw answer that is the error envelope with ``status`` and ``code`` and an X-Request-ID."""
    assert answer.status == status, (answer.status, answer.body[:300], answer.problem)
    assert answer.complete, answer.problem
    assert answer.headers.get("content-type", "").startswith("application/json"), answer.headers
    assert answer.headers.get("x-request-id", "").startswith("req_"), answer.headers
    body = answer.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return dict(body["error"])
