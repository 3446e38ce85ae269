from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from promptrails import AsyncPromptRails, PromptRails
from promptrails_mock import testing  # make setup installs conformance-tests

BASE = "https://api.promptrails.ai"
KEY = "sk-test-Sup3rSecretKey-0123456789"

SESSION: dict[str, Any] = {
    "id": "s1",
    "workspace_id": "w1",
    "agent_id": "echo",
    "user_id": None,
    "title": "Support Conversation",
    "metadata": {"channel": "web"},
    "created_at": "2026-11-21T10:00:00Z",
    "updated_at": "2026-11-21T10:05:00Z",
}
MESSAGE: dict[str, Any] = {
    "id": "m1",
    "session_id": "s1",
    "role": "user",
    "content": "Hi",
    "metadata": {},
    "token_count": 1,
    "created_at": "2026-11-21T10:01:00Z",
}
REPLY: dict[str, Any] = {
    **MESSAGE,
    "id": "m2",
    "role": "assistant",
    "content": "You said: Hi",
    "model": "mock-echo-1",
    "cost": 0.00002,
    "prompt_tokens": 1,
    "completion_tokens": 3,
    "execution_id": "e1",
    "user_message": MESSAGE,
}
EXECUTION: dict[str, Any] = {
    "id": "e1",
    "workspace_id": "w1",
    "session_id": "s1",
    "agent_id": "echo",
    "status": "completed",
    "input": {"message": "Hi"},
    "output": {"content": "You said: Hi"},
    "error": None,
    "token_usage": {"prompt_tokens": 1, "completion_tokens": 3, "total_tokens": 4},
    "user_message_id": "m1",
    "assistant_message_id": "m2",
    "last_event_id": "4",
    "created_at": "2026-11-21T10:01:00Z",
    "completed_at": "2026-11-21T10:01:01Z",
}


def meta(page: int = 1, total_pages: int = 1, total: int = 1, limit: int = 20) -> dict[str, int]:
    return {"total": total, "page": page, "limit": limit, "total_pages": total_pages}


def error_body(code: str, message: str, **details: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def frames(*items: tuple[str, str, str], sep: str = "\n") -> bytes:
    """SSE bytes from (id, event, data) triples."""
    out = ""
    for fid, event, data in items:
        out += f"id: {fid}{sep}event: {event}{sep}data: {data}{sep}{sep}"
    return out.encode()


RUN = [
    ("1", "execution", '{"execution_id":"e1","user_message_id":"m1"}'),
    ("2", "thinking", '{"content":"hmm"}'),
    ("3", "tool_start", '{"id":"t1","name":"lookup"}'),
    ("4", "tool_end", '{"id":"t1","name":"lookup","summary":"found"}'),
    ("5", "content", '{"content":"You said: "}'),
    ("6", "content", '{"content":"Hi"}'),
    ("7", "done", '{"output":{"content":"You said: Hi"},"token_usage":{"prompt_tokens":1,"completion_tokens":3,"total_tokens":4,"cached_tokens":0},"time":0.5}'),
]

SSE_HEADERS = {"content-type": "text/event-stream"}


class Sleeps:
    """Records the delays the client asked for (no real sleeping)."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)

    async def async_sleep(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


@pytest.fixture
def client(sleeps: Sleeps) -> Iterator[PromptRails]:
    with PromptRails(KEY, _sleep=sleeps, _random=lambda: 1.0, _clock=lambda: 1_000_000.0) as c:
        yield c


@pytest.fixture
def aclient(sleeps: Sleeps) -> AsyncPromptRails:
    return AsyncPromptRails(KEY, _sleep=sleeps.async_sleep, _random=lambda: 1.0, _clock=lambda: 1_000_000.0)


class BrokenStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body that sends `chunks` and then fails like a dropped connection."""

    def __init__(self, chunks: list[bytes], exc: Exception | None = None) -> None:
        self.chunks = chunks
        self.exc = exc

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks
        if self.exc is not None:
            raise self.exc

    async def __aiter__(self):  # type: ignore[no-untyped-def]
        for c in self.chunks:
            yield c
        if self.exc is not None:
            raise self.exc


# The end-to-end tests' mock server: one per test module (a module needing other settings
# defines its own `server`), and a fresh workspace (its own API key) per test.
@pytest.fixture(scope="module")
def server() -> Iterator[testing.MockServer]:
    with testing.MockServer() as srv:
        yield srv


@pytest.fixture
def key(server: testing.MockServer) -> str:
    return server.new_workspace()
