"""Streams: the SSE wire format, every agent's frames, Last-Event-ID resume, disconnects."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from helpers import API, FrameReader, assert_error, execution_status, parse_sse, read_frames, wait_until


def stream(client: httpx.Client, session_id: str, content: str, **extra: Any) -> httpx.Response:
    return client.post(
        f"{API}/chat/sessions/{session_id}/messages/stream",
        json={"content": content, **extra},
        headers={"Accept": "text/event-stream"},
    )


def test_wire_format_of_the_echo_stream(client: httpx.Client, make_session: Callable[..., dict[str, Any]]) -> None:
    session = make_session("echo")
    response = stream(client, session["id"], "Hello!")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["x-request-id"]
    frames = parse_sse(response.text)
    execution_id = frames[0]["data"]["execution_id"]
    user_message_id = frames[0]["data"]["user_message_id"]
    done = frames[3]["data"]
    assert isinstance(done["time"], float) and done["time"] >= 0
    expected = (
        f'id: 1\nevent: execution\ndata: {{"execution_id":"{execution_id}","user_message_id":"{user_message_id}"}}\n\n'
        'id: 2\nevent: content\ndata: {"content":"You said: "}\n\n'
        'id: 3\nevent: content\ndata: {"content":"Hello!"}\n\n'
        'id: 4\nevent: done\ndata: {"output":{"content":"You said: Hello!"},'
        '"token_usage":{"prompt_tokens":1,"completion_tokens":3,"total_tokens":4},'
        f'"time":{done["time"]}}}\n\n'
    )
    assert response.text == expected
    messages = client.get(f"{API}/chat/sessions/{session['id']}/messages").json()["data"]
    assert [(m["id"] if m["role"] == "user" else m["role"], m["content"]) for m in messages] == [
        (user_message_id, "Hello!"),
        ("assistant", "You said: Hello!"),
    ]
    assert client.get(f"{API}/executions/{execution_id}").json()["data"]["last_event_id"] == "4"


def test_extra_token_usage_counters_reach_the_done_frame_and_the_execution(
    client: httpx.Client, make_session: Callable[..., dict[str, Any]]
) -> None:
    session = make_session("echo", metadata={"extra_token_usage": {"reasoning_tokens": 7}})
    extra = {"cached_tokens": 2, "audio_tokens": 0}
    frames = parse_sse(stream(client, session["id"], "Hello!", metadata={"extra_token_usage": extra}).text)
    usage = {"prompt_tokens": 1, "completion_tokens": 3, "total_tokens": 4, **extra}
    assert frames[-1]["event"] == "done" and frames[-1]["data"]["token_usage"] == usage
    execution = client.get(f"{API}/executions/{frames[0]['data']['execution_id']}").json()["data"]
    assert execution["token_usage"] == usage
    reply = client.post(f"{API}/chat/sessions/{session['id']}/messages", json={"content": "again"}).json()["data"]
    execution = client.get(f"{API}/executions/{reply['execution_id']}").json()["data"]
    assert execution["token_usage"] == {
        "prompt_tokens": 1 + 3 + 1,
        "completion_tokens": 3,
        "total_tokens": 8,
        "reasoning_tokens": 7,
    }, "the session's metadata when the message has none"


def test_thinker_stream(client: httpx.Client, make_session: Callable[..., dict[str, Any]]) -> None:
    session = make_session("thinker")
    frames = parse_sse(stream(client, session["id"], "What is 2 plus 2?").text)
    assert [f["event"] for f in frames[:8]] == [
        "execution",
        "thinking",
        "tool_start",
        "tool_end",
        "thinking",
        "tool_start",
        "tool_end",
        "content",
    ]
    assert frames[2]["data"] == {"id": "call_1", "name": "search"}
    assert frames[6]["data"] == {"id": "call_2", "name": "calculator", "summary": "2 + 2 = 4"}
    assert frames[-1]["event"] == "done"
    content = "".join(f["data"]["content"] for f in frames if f["event"] == "content")
    assert content == frames[-1]["data"]["output"]["content"]
    assert [f["id"] for f in frames] == [str(i) for i in range(1, len(frames) + 1)]


def test_storyteller_streams_many_deltas(client: httpx.Client, make_session: Callable[..., dict[str, Any]]) -> None:
    session = make_session("storyteller")
    frames = parse_sse(stream(client, session["id"], "Hello!").text)
    deltas = [f["data"]["content"] for f in frames if f["event"] == "content"]
    assert len(deltas) >= 50
    assert "".join(deltas) == frames[-1]["data"]["output"]["content"]


def test_faulty_stream_ends_with_an_error_frame(
    client: httpx.Client, make_session: Callable[..., dict[str, Any]]
) -> None:
    session = make_session("faulty")
    frames = parse_sse(stream(client, session["id"], "Where is my order?").text)
    assert [f["event"] for f in frames] == ["execution", "content", "content", "error"]
    assert frames[-1] == {
        "id": "4",
        "event": "error",
        "data": {"message": "Tool 'lookup_order' timed out.", "code": "agent_failed"},
    }
    execution_id = frames[0]["data"]["execution_id"]
    assert client.get(f"{API}/executions/{execution_id}").json()["data"]["status"] == "failed"
    messages = client.get(f"{API}/chat/sessions/{session['id']}/messages").json()["data"]
    assert [m["role"] for m in messages] == ["user"]


def test_stream_to_missing_session_is_404_json(client: httpx.Client) -> None:
    assert_error(stream(client, "nope", "hi"), 404, "not_found")


def test_replay_a_finished_execution(client: httpx.Client, make_session: Callable[..., dict[str, Any]]) -> None:
    session = make_session("thinker")
    original = stream(client, session["id"], "Find birds").text
    execution_id = parse_sse(original)[0]["data"]["execution_id"]
    url = f"{API}/executions/{execution_id}/stream"
    assert client.get(url).text == original, "without Last-Event-ID everything is replayed"
    after_three = client.get(url, headers={"Last-Event-ID": "3"})
    assert after_three.status_code == 200
    assert parse_sse(after_three.text) == parse_sse(original)[3:]
    last = parse_sse(original)[-1]["id"]
    assert client.get(url, headers={"Last-Event-ID": last}).text == ""
    assert client.get(url, headers={"Last-Event-ID": "0"}).text == original


@pytest.mark.parametrize("value", ["abc", "-1", "", "٣"])
def test_a_last_event_id_that_names_no_frame_replays_everything(
    client: httpx.Client, make_session: Callable[..., dict[str, Any]], value: str
) -> None:
    session = make_session("echo")
    original = stream(client, session["id"], "x").text
    execution_id = parse_sse(original)[0]["data"]["execution_id"]
    headers: dict[bytes, bytes] = {b"Last-Event-ID": value.encode()}
    response = client.get(f"{API}/executions/{execution_id}/stream", headers=headers)
    assert response.status_code == 200
    assert response.text == original


def test_too_long_last_event_id_is_400(client: httpx.Client, make_session: Callable[..., dict[str, Any]]) -> None:
    session = make_session("echo")
    execution_id = parse_sse(stream(client, session["id"], "x").text)[0]["data"]["execution_id"]
    error = assert_error(
        client.get(f"{API}/executions/{execution_id}/stream", headers={"Last-Event-ID": "1" * 65}),
        400,
        "validation_error",
    )
    assert error["details"]["field"] == "Last-Event-ID"


def test_stream_missing_execution_is_404(client: httpx.Client) -> None:
    assert_error(client.get(f"{API}/executions/nope/stream"), 404, "not_found")


def test_subscriber_follows_a_live_run_to_its_end(
    client: httpx.Client, make_session: Callable[..., dict[str, Any]]
) -> None:
    session = make_session("slow")
    with client.stream(
        "POST",
        f"{API}/chat/sessions/{session['id']}/messages/stream",
        json={"content": "Hello!", "metadata": {"delay_ms": 150}},
    ) as response:
        reader = FrameReader(response)
        first = reader.read(1)
        execution_id = first[0]["data"]["execution_id"]
        with client.stream("GET", f"{API}/executions/{execution_id}/stream") as follower:
            followed = read_frames(follower)
        rest = reader.read()
    assert [f["event"] for f in followed] == ["execution", "content", "content", "done"]
    assert followed == first + rest


def test_client_disconnect_does_not_stop_the_run(
    client: httpx.Client, make_session: Callable[..., dict[str, Any]]
) -> None:
    session = make_session("slow")
    with client.stream(
        "POST",
        f"{API}/chat/sessions/{session['id']}/messages/stream",
        json={"content": "Hello!", "metadata": {"delay_ms": 100}},
    ) as response:
        frames = read_frames(response, limit=2)
    # The response is closed after two frames; the run goes on and stores the reply.
    execution_id = frames[0]["data"]["execution_id"]
    wait_until(lambda: execution_status(client, execution_id) == "completed")
    messages = client.get(f"{API}/chat/sessions/{session['id']}/messages").json()["data"]
    assert [(m["role"], m["content"]) for m in messages] == [("user", "Hello!"), ("assistant", "You said: Hello!")]
    replay = parse_sse(client.get(f"{API}/executions/{execution_id}/stream").text)
    assert replay[:2] == frames and replay[-1]["event"] == "done"


@pytest.mark.parametrize("agent", ["echo", "thinker", "storyteller", "faulty", "slow"])
def test_every_agent_ends_with_exactly_one_terminal_frame(
    client: httpx.Client, make_session: Callable[..., dict[str, Any]], agent: str
) -> None:
    session = make_session(agent, metadata={"delay_ms": 1})
    frames = parse_sse(stream(client, session["id"], "Is it?").text)
    assert frames[0]["event"] == "execution"
    terminal = [f for f in frames if f["event"] in ("done", "error")]
    assert len(terminal) == 1 and terminal[0] is frames[-1]
    assert [f["id"] for f in frames] == [str(i) for i in range(1, len(frames) + 1)]
