"""Executions: their fields as the real API sends them, the list with its filters, and cancel."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx

from helpers import API, FrameReader, assert_error, execution_status, wait_until
from promptrails_mock.testing import MockServer

EXECUTION_KEYS = {
    "id",
    "workspace_id",
    "agent_id",
    "agent_version_id",
    "user_id",
    "session_id",
    "parent_execution_id",
    "status",
    "input",
    "output",
    "error",
    "metadata",
    "token_usage",
    "cost",
    "duration_ms",
    "trace_id",
    "approval_expires_at",
    "user_message_id",
    "assistant_message_id",
    "last_event_id",
    "created_at",
    "started_at",
    "completed_at",
}

SLOW = {"delay_ms": 200}  # a pause before every frame: long enough to cancel in


def send(client: httpx.Client, session_id: str, content: str, **extra: Any) -> httpx.Response:
    return client.post(f"{API}/chat/sessions/{session_id}/messages", json={"content": content, **extra})


def test_an_execution_has_every_field_of_the_contract(
    client: httpx.Client, make_session: Callable[..., dict[str, Any]]
) -> None:
    session = make_session("echo")
    reply = send(client, session["id"], "Hello!", metadata={"channel": "web"}).json()["data"]
    execution = client.get(f"{API}/executions/{reply['execution_id']}").json()["data"]
    assert set(execution) == EXECUTION_KEYS
    assert execution["input"] == {"message": "Hello!"} and execution["output"] == {"content": "You said: Hello!"}
    assert execution["metadata"] == {"channel": "web"}
    assert (execution["agent_id"], execution["session_id"], execution["status"]) == ("echo", session["id"], "completed")
    assert execution["last_event_id"] == "4" and execution["error"] is None


def test_list_executions_newest_first_with_filters(
    srv: MockServer, client: httpx.Client, make_session: Callable[..., dict[str, Any]]
) -> None:
    echo, thinker, faulty = make_session("echo"), make_session("thinker"), make_session("faulty")
    ids = [send(client, s["id"], text).json()["data"]["execution_id"] for s, text in ((echo, "a"), (thinker, "b"))]
    failed = send(client, faulty["id"], "c")
    assert_error(failed, 502, "agent_failed")
    ids.append(failed.json()["error"]["details"]["execution_id"])
    ids.append(send(client, echo["id"], "d").json()["data"]["execution_id"])

    def listed(**params: Any) -> dict[str, Any]:
        response = client.get(f"{API}/executions", params=params)
        assert response.status_code == 200, response.text
        return dict(response.json())

    everything = listed()
    assert [e["id"] for e in everything["data"]] == ids[::-1]
    assert everything["meta"] == {"total": 4, "page": 1, "limit": 20, "pages": 1, "total_pages": 1}
    assert all(set(e) == EXECUTION_KEYS for e in everything["data"])
    assert [e["id"] for e in listed(agent_id="echo")["data"]] == [ids[3], ids[0]]
    assert [e["id"] for e in listed(session_id=thinker["id"])["data"]] == [ids[1]]
    assert [e["id"] for e in listed(status="failed")["data"]] == [ids[2]]
    assert listed(status="completed")["meta"]["total"] == 3
    assert listed(status="no-such-status")["data"] == [], "an unknown status matches nothing; it is no error"
    assert [e["id"] for e in listed(agent_id="echo", session_id=echo["id"], status="completed")["data"]] == [
        ids[3],
        ids[0],
    ]
    second = listed(page=2, limit=3)
    assert [e["id"] for e in second["data"]] == [ids[0]]
    assert second["meta"] == {"total": 4, "page": 2, "limit": 3, "pages": 2, "total_pages": 2}
    with httpx.Client(base_url=srv.base_url, headers={"X-API-Key": srv.new_workspace()}) as other:
        assert other.get(f"{API}/executions").json()["data"] == [], "workspaces are isolated"
    assert_error(client.get(f"{API}/executions", params={"limit": 101}), 400, "validation_error")
    assert_error(client.get(f"{API}/executions", params={"status": ""}), 400, "validation_error")
    assert_error(client.get(f"{API}/executions", headers={"X-API-Key": "nope"}), 401, "unauthorized")


def test_cancel_a_running_stream(client: httpx.Client, make_session: Callable[..., dict[str, Any]]) -> None:
    session = make_session("echo")
    url = f"{API}/chat/sessions/{session['id']}/messages/stream"
    with client.stream("POST", url, json={"content": "one two three four five six", "metadata": SLOW}) as response:
        reader = FrameReader(response)
        (first,) = reader.read(1)
        execution_id = first["data"]["execution_id"]
        cancelled = client.post(f"{API}/executions/{execution_id}/cancel")
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["data"]["status"] == "cancel_requested"
        rest = reader.read()
    assert rest[-1]["event"] == "error"
    assert rest[-1]["data"] == {"message": "The run was cancelled.", "code": "cancelled"}
    assert [f["event"] for f in rest[:-1]] == ["content"] * (len(rest) - 1), "it stopped at a step"
    assert len(rest) < 5, "it did not run to the end"
    execution = client.get(f"{API}/executions/{execution_id}").json()["data"]
    assert (execution["status"], execution["error"], execution["output"]) == (
        "cancelled",
        "The run was cancelled.",
        None,
    )
    assert execution["completed_at"] is not None and execution["assistant_message_id"] is None
    roles = [m["role"] for m in client.get(f"{API}/chat/sessions/{session['id']}/messages").json()["data"]]
    assert roles == ["user"], "no reply is stored"
    again = client.post(f"{API}/executions/{execution_id}/cancel")
    assert again.status_code == 200 and again.json()["data"] == execution, "a finished execution is unchanged"


def test_cancel_a_finished_execution(client: httpx.Client, make_session: Callable[..., dict[str, Any]]) -> None:
    session = make_session("echo")
    execution_id = send(client, session["id"], "hi").json()["data"]["execution_id"]
    before = client.get(f"{API}/executions/{execution_id}").json()["data"]
    after = client.post(f"{API}/executions/{execution_id}/cancel", json={})  # the vendor's SDK sends {}
    assert after.status_code == 200 and after.json()["data"] == before


def test_cancel_what_does_not_exist(srv: MockServer, client: httpx.Client, make_session: Callable[..., Any]) -> None:
    assert_error(client.post(f"{API}/executions/nope/cancel"), 404, "not_found")
    execution_id = send(client, make_session("echo")["id"], "hi").json()["data"]["execution_id"]
    with httpx.Client(base_url=srv.base_url, headers={"X-API-Key": srv.new_workspace()}) as other:
        assert_error(other.post(f"{API}/executions/{execution_id}/cancel"), 404, "not_found")


def test_cancel_with_an_idempotency_key_replays(
    client: httpx.Client, make_session: Callable[..., dict[str, Any]]
) -> None:
    session = make_session("echo")
    execution_id = send(client, session["id"], "hi").json()["data"]["execution_id"]
    url = f"{API}/executions/{execution_id}/cancel"
    first = client.post(url, headers={"Idempotency-Key": "cancel-1"})
    second = client.post(url, headers={"Idempotency-Key": "cancel-1"})
    assert second.headers["idempotent-replayed"] == "true" and second.json() == first.json()


def test_cancelling_the_run_a_send_waits_for_answers_409(
    client: httpx.Client, make_session: Callable[..., dict[str, Any]]
) -> None:
    session = make_session("echo")
    answers: list[httpx.Response] = []
    waiting = threading.Thread(
        target=lambda: answers.append(send(client, session["id"], "one two three four five", metadata=SLOW))
    )
    waiting.start()
    running = wait_until(
        lambda: client.get(f"{API}/executions", params={"session_id": session["id"], "status": "running"}).json()[
            "data"
        ]
    )
    assert client.post(f"{API}/executions/{running[0]['id']}/cancel").status_code == 200
    waiting.join(30)
    error = assert_error(answers[0], 409, "execution_cancelled")
    assert error["details"]["execution_id"] == running[0]["id"]


def test_cancel_a_queued_run(client: httpx.Client, make_session: Callable[..., dict[str, Any]]) -> None:
    """A run waiting for the session's previous run never starts: its message is never stored."""
    session = make_session("echo")
    url = f"{API}/chat/sessions/{session['id']}/messages/stream"
    with client.stream("POST", url, json={"content": "first one two three", "metadata": SLOW}) as first:
        running = FrameReader(first)
        running.read(1)
        with client.stream("POST", url, json={"content": "second"}) as second:
            reader = FrameReader(second)
            queued = reader.read(1)[0]["data"]["execution_id"]
            assert client.post(f"{API}/executions/{queued}/cancel").json()["data"]["status"] == "cancel_requested"
            frames = reader.read()
        assert frames[-1]["data"]["code"] == "cancelled" and len(frames) == 1
        assert running.read()[-1]["event"] == "done", "the run before it was not affected"
    assert execution_status(client, queued) == "cancelled"
    contents = [m["content"] for m in client.get(f"{API}/chat/sessions/{session['id']}/messages").json()["data"]]
    assert "second" not in contents
    assert client.get(f"{API}/executions/{queued}").json()["data"]["started_at"] is None
