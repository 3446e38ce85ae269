"""Concurrency: sends to one session run one after the other, in arrival order; sessions run in parallel."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from helpers import API, FrameReader, parse_sse


def test_a_second_send_waits_for_the_first_and_sees_its_reply(
    client: httpx.Client, make_session: Callable[..., dict[str, Any]]
) -> None:
    session = make_session("slow", metadata={"delay_ms": 60})
    base = f"{API}/chat/sessions/{session['id']}/messages"
    with client.stream("POST", f"{base}/stream", json={"content": "first message"}) as first:
        reader = FrameReader(first)
        assert reader.read(1)[0]["event"] == "execution"  # the first run is accepted and queued first
        second = client.post(base, json={"content": "second"})
        first_frames = reader.read()
    assert first_frames[-1]["event"] == "done"
    assert second.status_code == 200
    history = client.get(base).json()["data"]
    assert [m["content"] for m in history] == ["first message", "You said: first message", "second", "You said: second"]
    # The second run's prompt counted the first exchange: 2 + 4 words, plus its own 1.
    assert second.json()["data"]["prompt_tokens"] == 7


def test_concurrent_sends_never_interleave(client: httpx.Client, make_session: Callable[..., dict[str, Any]]) -> None:
    session = make_session("slow", metadata={"delay_ms": 10})
    url = f"{API}/chat/sessions/{session['id']}/messages"

    def send(i: int) -> httpx.Response:
        return client.post(url, json={"content": f"message {i}"})

    with ThreadPoolExecutor(5) as pool:
        replies = list(pool.map(send, range(5)))
    assert all(r.status_code == 200 for r in replies)
    history = client.get(url).json()["data"]
    assert len(history) == 10
    for user, assistant in zip(history[::2], history[1::2], strict=True):
        assert user["role"] == "user" and assistant["role"] == "assistant"
        assert assistant["content"] == f"You said: {user['content']}"
    # Each run saw every earlier exchange: prompt tokens grow by 2 + 4 words per earlier exchange.
    prompts = sorted(r.json()["data"]["prompt_tokens"] for r in replies)
    assert prompts == [2 + 6 * i for i in range(5)]


def test_sessions_run_side_by_side(client: httpx.Client, make_session: Callable[..., dict[str, Any]]) -> None:
    sessions = [make_session("storyteller") for _ in range(4)]

    def stream(session: dict[str, Any]) -> list[dict[str, Any]]:
        response = client.post(f"{API}/chat/sessions/{session['id']}/messages/stream", json={"content": session["id"]})
        return parse_sse(response.text)

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(stream, sessions))
    for session, frames in zip(sessions, results, strict=True):
        assert frames[-1]["event"] == "done"
        assert frames[-1]["data"]["output"]["content"].startswith(f"A story about {session['id']}:")


def test_deleting_a_session_fails_its_running_and_queued_runs(
    client: httpx.Client, make_session: Callable[..., dict[str, Any]]
) -> None:
    session = make_session("slow", metadata={"delay_ms": 100})
    url = f"{API}/chat/sessions/{session['id']}/messages/stream"
    with client.stream("POST", url, json={"content": "running"}) as running:
        first = FrameReader(running)
        assert first.read(1)[0]["event"] == "execution"
        with client.stream("POST", url, json={"content": "queued"}) as queued:
            second = FrameReader(queued)
            assert second.read(1)[0]["event"] == "execution"  # accepted, waiting for the first run
            assert client.delete(f"{API}/chat/sessions/{session['id']}").status_code == 204
            queued_frames = second.read()
        running_frames = first.read()
    assert running_frames[-1]["event"] == "error"
    assert running_frames[-1]["data"]["code"] == "session_deleted"
    assert [f["event"] for f in queued_frames] == ["error"]
    assert queued_frames[0]["data"] == {
        "message": "The chat session was deleted before the run started.",
        "code": "session_deleted",
    }
