"""The /__mock/ control API: workspaces, agent aliases, sessions with chosen ids, request log, violations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from helpers import API, assert_error, parse_sse
from promptrails_mock.testing import MockServer, MockServerError


def test_control_api_needs_no_key(srv: MockServer) -> None:
    with httpx.Client(base_url=srv.base_url) as anonymous:
        response = anonymous.get("/__mock/health")
        assert response.status_code == 200 and response.json()["data"]["status"] == "ok"
        assert response.headers["x-request-id"]
        assert anonymous.get("/__mock/faults").json() == {"data": []}


def test_new_workspaces_are_empty_and_distinct(srv: MockServer) -> None:
    first, second = srv.new_workspace(), srv.new_workspace()
    assert first != second
    with httpx.Client(base_url=srv.base_url, headers={"X-API-Key": first}) as client:
        assert client.post(f"{API}/chat/sessions", json={"agent_id": "echo"}).status_code == 201
    with httpx.Client(base_url=srv.base_url, headers={"X-API-Key": second}) as client:
        assert client.get(f"{API}/chat/sessions").json()["meta"]["total"] == 0


def test_workspace_with_a_chosen_key(srv: MockServer) -> None:
    with httpx.Client(base_url=srv.base_url) as control:
        created = control.post("/__mock/workspaces", json={"api_key": "chosen-key-for-test"})
        assert created.status_code == 201 and created.json()["data"]["api_key"] == "chosen-key-for-test"
        assert_error(control.post("/__mock/workspaces", json={"api_key": "chosen-key-for-test"}), 409, "conflict")


def test_seed_walkthrough_with_an_aliased_agent_and_a_chosen_session_id(
    srv: MockServer, client: httpx.Client, api_key: str
) -> None:
    assert srv.alias_agent("your-agent-id", like="echo") == {"id": "your-agent-id", "like": "echo"}
    session = client.post(
        f"{API}/chat/sessions",
        json={"agent_id": "your-agent-id", "title": "Support Conversation", "metadata": {"channel": "web"}},
    ).json()["data"]
    assert session["agent_id"] == "your-agent-id"
    reply = client.post(
        f"{API}/chat/sessions/{session['id']}/messages", json={"content": "Hi, I need help with my account."}
    )
    assert reply.json()["data"]["content"] == "You said: Hi, I need help with my account."
    preset = srv.create_session_with_id("session-id", api_key=api_key, agent_id="your-agent-id", title="Preset")
    assert (preset["id"], preset["agent_id"], preset["title"]) == ("session-id", "your-agent-id", "Preset")
    assert client.get(f"{API}/chat/sessions/session-id").json()["data"] == preset
    assert client.get(f"{API}/chat/sessions/session-id/messages", params={"page": 1, "limit": 100}).json()["data"] == []
    assert client.delete(f"{API}/chat/sessions/session-id").status_code == 204


def test_the_same_session_id_in_two_workspaces(srv: MockServer) -> None:
    a, b = srv.new_workspace(), srv.new_workspace()
    srv.create_session_with_id("session-id", api_key=a, title="a")
    srv.create_session_with_id("session-id", api_key=b, title="b")
    with pytest.raises(MockServerError, match="409"):
        srv.create_session_with_id("session-id", api_key=a)
    with httpx.Client(base_url=srv.base_url, headers={"X-API-Key": b}) as client:
        assert client.get(f"{API}/chat/sessions/session-id").json()["data"]["title"] == "b"


def test_session_with_id_errors(srv: MockServer) -> None:
    with pytest.raises(MockServerError, match="404"):
        srv.create_session_with_id("s", api_key="no-such-key")
    with pytest.raises(MockServerError, match="unknown_agent"):
        srv.create_session_with_id("s", api_key=srv.new_workspace(), agent_id="nope")
    with pytest.raises(MockServerError, match="400"):
        srv.create_session_with_id("a/b", api_key=srv.new_workspace())


def test_alias_errors_and_listing(srv: MockServer) -> None:
    with pytest.raises(MockServerError, match="unknown_agent"):
        srv.alias_agent("x-agent", like="nope")
    with pytest.raises(MockServerError, match="409"):
        srv.alias_agent("echo", like="thinker")
    srv.alias_agent("support-bot", like="thinker")
    with httpx.Client(base_url=srv.base_url) as control:
        listing = control.get("/__mock/agents").json()["data"]
    assert listing["builtin"] == ["echo", "thinker", "storyteller", "faulty", "slow"]
    assert listing["aliases"]["support-bot"] == "thinker"


def test_an_alias_behaves_like_its_agent(srv: MockServer, client: httpx.Client) -> None:
    srv.alias_agent("my-thinker", like="thinker")
    session = client.post(f"{API}/chat/sessions", json={"agent_id": "my-thinker"}).json()["data"]
    frames = parse_sse(client.post(f"{API}/chat/sessions/{session['id']}/messages/stream", json={"content": "x"}).text)
    assert [f["event"] for f in frames[:4]] == ["execution", "thinking", "tool_start", "tool_end"]
    assert frames[-1]["data"]["output"] == {"content": 'I searched for "x" and found 3 results.'}


def test_request_log(
    srv: MockServer, client: httpx.Client, api_key: str, make_session: Callable[..., dict[str, Any]]
) -> None:
    srv.clear_requests()
    assert srv.requests() == []
    session = make_session("echo")
    send = f"{API}/chat/sessions/{session['id']}/messages"
    client.post(send, json={"content": "x"}, headers={"Idempotency-Key": "k-1"})
    execution_id = client.get(send).json()["data"][1]["metadata"]["execution_id"]
    client.get(f"{API}/executions/{execution_id}/stream", headers={"Last-Event-ID": "2"})
    client.get(f"{API}/chat/sessions", params={"page": 1, "limit": 5})
    everything = srv.requests()
    assert [(e["method"], e["status"]) for e in everything] == [
        ("POST", 201),
        ("POST", 200),
        ("GET", 200),
        ("GET", 200),
        ("GET", 200),
    ]
    posted = srv.requests(method="post", path=f"{API}/chat/sessions/*/messages")
    assert len(posted) == 1
    entry = posted[0]
    assert entry["headers"]["idempotency-key"] == "k-1"
    assert entry["headers"]["x-api-key"] == "[REDACTED]", "keys never leave the server"
    assert entry["workspace_id"] is not None
    assert [e["seq"] for e in srv.requests(api_key=api_key)] == [e["seq"] for e in everything]
    assert srv.requests(workspace_id=entry["workspace_id"]) == srv.requests(api_key=api_key)
    assert srv.requests(api_key="another-key") == []
    assert entry["body"] == '{"content":"x"}'
    assert entry["request_id"].startswith("req_") and entry["time"].endswith("Z")
    resumed = srv.requests(path=f"{API}/executions/**")
    assert resumed[0]["headers"]["last-event-id"] == "2"
    listed = srv.requests(method="GET", path=f"{API}/chat/sessions")
    assert listed[0]["query"] == {"page": "1", "limit": "5"} and listed[0]["query_string"] == "page=1&limit=5"
    assert all(not e["path"].startswith("/__mock") for e in srv.requests())


def test_violations_endpoint_shape(srv: MockServer) -> None:
    with httpx.Client(base_url=srv.base_url) as control:
        body = control.get("/__mock/violations").json()
    assert body["data"] == [] and isinstance(body["meta"]["total"], int)


def test_request_log_keeps_the_first_64_kib_of_a_body(srv: MockServer, client: httpx.Client) -> None:
    big = {"agent_id": "echo", "title": "t" * 100_000}
    assert_error(client.post(f"{API}/chat/sessions", json=big), 400, "validation_error")
    entry = srv.requests(method="POST", path=f"{API}/chat/sessions")[-1]
    assert entry["body_truncated"] is True and len(entry["body"]) == 64 * 1024
    assert entry["body"].startswith('{"agent_id":"echo"')
