"""Every fault kind, as an SDK test sees it: statuses, resets, cut streams, delays."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from helpers import API, FrameReader, assert_error, execution_status, parse_sse, wait_until
from promptrails_mock.testing import MockServer, MockServerError

SEND = f"{API}/chat/sessions/*/messages"


def messages(client: httpx.Client, session_id: str) -> list[dict[str, Any]]:
    return list(client.get(f"{API}/chat/sessions/{session_id}/messages").json()["data"])


def test_status_fault_with_retry_after(srv: MockServer, client: httpx.Client) -> None:
    fault = srv.add_fault(
        method="GET", path=f"{API}/chat/sessions", action="status", status=503, headers={"Retry-After": "1"}
    )
    assert (fault["count"], fault["remaining"], fault["action"], fault["status"]) == (1, 1, "status", 503)
    failed = client.get(f"{API}/chat/sessions")
    error = assert_error(failed, 503, "service_unavailable")
    assert failed.headers["retry-after"] == "1"
    assert error["details"] == {"fault_id": fault["id"]}
    assert client.get(f"{API}/chat/sessions").status_code == 200, "count defaults to 1"
    assert srv.faults() == []
    log = srv.requests(method="GET", path=f"{API}/chat/sessions")
    assert [(e["status"], e["fault_id"]) for e in log[-2:]] == [(503, fault["id"]), (200, None)]


def test_status_fault_with_retry_after_ms_and_a_custom_body(srv: MockServer, client: httpx.Client) -> None:
    body = {"error": {"code": "rate_limited", "message": "Slow down.", "details": {"bucket": "chat"}}}
    srv.add_fault(
        method="POST",
        path=f"{API}/chat/sessions",
        action="status",
        status=429,
        headers={"retry-after-ms": 250, "Retry-After": "0"},
        body=body,
    )
    response = client.post(f"{API}/chat/sessions", json={"agent_id": "echo"})
    assert response.status_code == 429
    assert response.headers["retry-after-ms"] == "250" and response.headers["retry-after"] == "0"
    assert response.json() == body
    assert client.get(f"{API}/chat/sessions").json()["meta"]["total"] == 0, "the handler did not run"


def test_count_and_glob(srv: MockServer, client: httpx.Client, make_session: Callable[..., dict[str, Any]]) -> None:
    session = make_session("echo")
    srv.add_fault(method="post", path=SEND, action="status", status=500, count=2)
    stream = client.post(f"{API}/chat/sessions/{session['id']}/messages/stream", json={"content": "s"})
    assert stream.status_code == 200, "the glob does not match /messages/stream"
    assert client.get(f"{API}/chat/sessions/{session['id']}/messages").status_code == 200, "the method must match"
    url = f"{API}/chat/sessions/{session['id']}/messages"
    assert_error(client.post(url, json={"content": "x"}), 500, "internal_error")
    assert srv.faults()[0]["remaining"] == 1
    assert_error(client.post(url, json={"content": "x"}), 500, "internal_error")
    assert client.post(url, json={"content": "x"}).status_code == 200
    assert srv.faults() == []


def test_double_star_and_any_method(srv: MockServer, client: httpx.Client) -> None:
    srv.add_fault(path="/api/**", action="status", status=502)
    assert_error(client.get(f"{API}/executions/x"), 502, "bad_gateway")


def test_faults_apply_in_order_and_clear(srv: MockServer, client: httpx.Client) -> None:
    srv.add_fault(method="GET", path=f"{API}/chat/sessions", action="status", status=503)
    srv.add_fault(method="GET", path=f"{API}/chat/sessions", action="status", status=504)
    assert client.get(f"{API}/chat/sessions").status_code == 503
    assert [f["status"] for f in srv.faults()] == [504]
    srv.clear_faults()
    assert client.get(f"{API}/chat/sessions").status_code == 200


def test_reset_before_runs_nothing(
    srv: MockServer, client: httpx.Client, make_session: Callable[..., dict[str, Any]]
) -> None:
    session = make_session("echo")
    srv.add_fault(method="POST", path=SEND, action="reset", when="before")
    with pytest.raises(httpx.TransportError):
        client.post(f"{API}/chat/sessions/{session['id']}/messages", json={"content": "lost"})
    assert messages(client, session["id"]) == []
    log = srv.requests(method="POST", path=SEND)
    assert log[-1]["status"] == "reset" and log[-1]["handler_status"] is None


def test_reset_is_a_real_tcp_reset(srv: MockServer, api_key: str) -> None:
    srv.add_fault(method="GET", path=f"{API}/chat/sessions", action="reset")
    host, port = srv.base_url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(f"GET {API}/chat/sessions HTTP/1.1\r\nHost: x\r\nX-API-Key: {api_key}\r\n\r\n".encode())
        with pytest.raises(ConnectionResetError):
            while sock.recv(65536):
                pass


def test_reset_after_commits_then_a_retry_with_the_same_key_does_not_duplicate(
    srv: MockServer, client: httpx.Client, make_session: Callable[..., dict[str, Any]]
) -> None:
    session = make_session("echo")
    url = f"{API}/chat/sessions/{session['id']}/messages"
    headers = {"Idempotency-Key": "retry-me"}
    srv.add_fault(method="POST", path=SEND, action="reset", when="after")
    with pytest.raises(httpx.TransportError):
        client.post(url, json={"content": "Hello!"}, headers=headers)
    assert [m["content"] for m in messages(client, session["id"])] == ["Hello!", "You said: Hello!"]
    retry = client.post(url, json={"content": "Hello!"}, headers=headers)
    assert retry.status_code == 200 and retry.json()["data"]["content"] == "You said: Hello!"
    assert len(messages(client, session["id"])) == 2
    attempts = srv.requests(method="POST", path=SEND)[-2:]
    assert [a["status"] for a in attempts] == ["reset", 200]
    assert attempts[0]["handler_status"] == 200
    assert {a["headers"]["idempotency-key"] for a in attempts} == {"retry-me"}


def test_reset_after_on_a_stream_lets_the_run_finish(
    srv: MockServer, client: httpx.Client, make_session: Callable[..., dict[str, Any]]
) -> None:
    session = make_session("echo")
    srv.add_fault(method="POST", path=f"{SEND}/stream", action="reset", when="after")
    with pytest.raises(httpx.TransportError):
        client.post(f"{API}/chat/sessions/{session['id']}/messages/stream", json={"content": "Hello!"})
    wait_until(lambda: len(messages(client, session["id"])) == 2)
    assert messages(client, session["id"])[1]["content"] == "You said: Hello!"


def test_cut_stream_then_resume_with_last_event_id(
    srv: MockServer, client: httpx.Client, make_session: Callable[..., dict[str, Any]]
) -> None:
    session = make_session("slow", metadata={"delay_ms": 40})
    srv.add_fault(method="POST", path=f"{SEND}/stream", action="cut_stream", after_frames=2)
    received: list[dict[str, Any]] = []
    with (
        pytest.raises(httpx.RemoteProtocolError),
        client.stream(
            "POST", f"{API}/chat/sessions/{session['id']}/messages/stream", json={"content": "one two three four"}
        ) as response,
    ):
        reader = FrameReader(response)
        while True:
            frames = reader.read(1)
            if not frames:
                break
            received.extend(frames)
    assert [f["id"] for f in received] == ["1", "2"]
    execution_id = received[0]["data"]["execution_id"]
    resumed = client.get(f"{API}/executions/{execution_id}/stream", headers={"Last-Event-ID": "2"})
    assert resumed.status_code == 200
    rest = parse_sse(resumed.text)
    frames = received + rest
    assert [f["id"] for f in frames] == [str(i) for i in range(1, len(frames) + 1)]
    assert frames[-1]["event"] == "done"
    assert "".join(f["data"]["content"] for f in frames if f["event"] == "content") == "You said: one two three four"
    assert parse_sse(client.get(f"{API}/executions/{execution_id}/stream").text) == frames
    assert execution_status(client, execution_id) == "completed"
    log = srv.requests(method="POST", path=f"{SEND}/stream")[-1]
    assert (log["status"], log["outcome"]) == (200, "cut")


def test_cut_stream_after_zero_frames(
    srv: MockServer, client: httpx.Client, make_session: Callable[..., dict[str, Any]]
) -> None:
    session = make_session("echo")
    srv.add_fault(method="POST", path=f"{SEND}/stream", action="cut_stream", after_frames=0)
    url = f"{API}/chat/sessions/{session['id']}/messages/stream"
    with pytest.raises(httpx.RemoteProtocolError), client.stream("POST", url, json={"content": "x"}) as r:
        assert r.status_code == 200
        r.read()
    wait_until(lambda: len(messages(client, session["id"])) == 2)


def test_cut_stream_on_the_execution_stream(
    srv: MockServer, client: httpx.Client, make_session: Callable[..., dict[str, Any]]
) -> None:
    session = make_session("storyteller")
    frames = parse_sse(client.post(f"{API}/chat/sessions/{session['id']}/messages/stream", json={"content": "x"}).text)
    execution_id = frames[0]["data"]["execution_id"]
    srv.add_fault(method="GET", path=f"{API}/executions/*/stream", action="cut_stream", after_frames=5)
    got = ""
    url = f"{API}/executions/{execution_id}/stream"
    with pytest.raises(httpx.RemoteProtocolError), client.stream("GET", url) as response:
        for text in response.iter_text():
            got += text
    assert parse_sse(got) == frames[:5]


def test_delay_trips_a_short_timeout(srv: MockServer, client: httpx.Client) -> None:
    srv.add_fault(method="GET", path=f"{API}/chat/sessions", action="delay", seconds=3)
    with pytest.raises(httpx.ReadTimeout):
        client.get(f"{API}/chat/sessions", timeout=0.3)
    assert client.get(f"{API}/chat/sessions").status_code == 200, "only the next request was delayed"


def test_short_delays_still_answer(
    srv: MockServer, client: httpx.Client, make_session: Callable[..., dict[str, Any]]
) -> None:
    session = make_session("echo")
    srv.add_fault(method="POST", path=f"{SEND}/stream", action="delay", seconds=0.01, between_frames=0.01)
    frames = parse_sse(client.post(f"{API}/chat/sessions/{session['id']}/messages/stream", json={"content": "x"}).text)
    assert [f["event"] for f in frames] == ["execution", "content", "content", "done"]


def test_delay_between_frames_trips_an_idle_timeout(
    srv: MockServer, client: httpx.Client, make_session: Callable[..., dict[str, Any]]
) -> None:
    session = make_session("echo")
    srv.add_fault(method="POST", path=f"{SEND}/stream", action="delay", seconds=0, between_frames=3)
    first: list[dict[str, Any]] = []
    with (
        pytest.raises(httpx.ReadTimeout),
        client.stream(
            "POST", f"{API}/chat/sessions/{session['id']}/messages/stream", json={"content": "x"}, timeout=0.3
        ) as response,
    ):
        reader = FrameReader(response)
        first.extend(reader.read(1))
        reader.read(1)
    assert [f["event"] for f in first] == ["execution"]


def test_slow_agent_trips_a_short_idle_timeout(
    client: httpx.Client, make_session: Callable[..., dict[str, Any]]
) -> None:
    session = make_session("slow")
    with (
        pytest.raises(httpx.ReadTimeout),
        client.stream(
            "POST",
            f"{API}/chat/sessions/{session['id']}/messages/stream",
            json={"content": "x", "metadata": {"delay_ms": 800}},
            timeout=0.2,
        ) as response,
    ):
        reader = FrameReader(response)
        assert reader.read(1)[0]["event"] == "execution"
        reader.read(1)


@pytest.mark.parametrize(
    "spec",
    [
        {"action": "explode"},
        {"action": "status", "status": 99},
        {"action": "status", "headers": {"A": {"b": 1}}},
        {"action": "reset", "when": "during"},
        {"action": "reset", "after_frames": 2},
        {"action": "cut_stream", "after_frames": -1},
        {"action": "delay", "seconds": "soon"},
        {"action": "status", "count": 0},
        {"action": "status", "path": "no-slash"},
    ],
)
def test_invalid_fault_specs_are_refused(srv: MockServer, spec: dict[str, Any]) -> None:
    with pytest.raises(MockServerError, match="invalid_fault"):
        srv.add_fault(**spec)
    assert srv.faults() == []
