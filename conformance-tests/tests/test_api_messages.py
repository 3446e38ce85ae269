"""Messages: the non-streaming send (every agent), history, deletion, feedback, executions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from helpers import API, assert_error
from promptrails_mock.agents import STORY

MESSAGE_KEYS = {
    "id",
    "session_id",
    "role",
    "content",
    "metadata",
    "tool_calls",
    "tool_results",
    "model",
    "cost",
    "token_count",
    "prompt_tokens",
    "completion_tokens",
    "created_at",
}


def send(client: httpx.Client, session_id: str, content: str, **extra: Any) -> httpx.Response:
    return client.post(f"{API}/chat/sessions/{session_id}/messages", json={"content": content, **extra})


def test_send_returns_the_assistant_reply(client: httpx.Client, make_session: Callable[..., dict[str, Any]]) -> None:
    session = make_session("echo")
    response = send(client, session["id"], "Hello!")
    assert response.status_code == 200
    reply = response.json()["data"]
    assert set(reply) == MESSAGE_KEYS | {"execution_id", "user_message"}
    assert reply["role"] == "assistant"
    assert reply["content"] == "You said: Hello!"
    assert reply["session_id"] == session["id"]
    assert (reply["model"], reply["prompt_tokens"], reply["completion_tokens"], reply["token_count"]) == (
        "mock-echo-1",
        1,
        3,
        3,
    )
    assert reply["cost"] == pytest.approx(0.000007)
    assert reply["tool_calls"] is None and reply["tool_results"] is None
    user = reply["user_message"]
    assert set(user) == MESSAGE_KEYS
    assert (user["role"], user["content"], user["token_count"], user["model"]) == ("user", "Hello!", 1, None)
    execution = client.get(f"{API}/executions/{reply['execution_id']}").json()["data"]
    assert execution["status"] == "completed"
    assert execution["user_message_id"] == user["id"]
    assert execution["assistant_message_id"] == reply["id"]
    assert execution["input"] == {"message": "Hello!"}
    assert execution["output"] == {"content": "You said: Hello!"}, "objects, as the real API sends them"
    assert execution["token_usage"] == {"prompt_tokens": 1, "completion_tokens": 3, "total_tokens": 4}
    assert execution["cost"] == pytest.approx(0.000007) and execution["metadata"] == {}
    assert isinstance(execution["duration_ms"], int) and execution["duration_ms"] >= 0
    assert execution["created_at"] <= execution["started_at"] <= execution["completed_at"]


def test_history_is_oldest_first_and_paginated(
    client: httpx.Client, make_session: Callable[..., dict[str, Any]]
) -> None:
    session = make_session("echo")
    for text in ("one", "two", "three"):
        assert send(client, session["id"], text).status_code == 200
    url = f"{API}/chat/sessions/{session['id']}/messages"
    everything = client.get(url).json()
    assert [m["content"] for m in everything["data"]] == [
        "one",
        "You said: one",
        "two",
        "You said: two",
        "three",
        "You said: three",
    ]
    assert [m["role"] for m in everything["data"]] == ["user", "assistant"] * 3
    assert everything["meta"] == {"total": 6, "page": 1, "limit": 20, "pages": 1, "total_pages": 1}
    page = client.get(url, params={"page": 2, "limit": 4}).json()
    assert [m["content"] for m in page["data"]] == ["three", "You said: three"]
    assert page["meta"] == {"total": 6, "page": 2, "limit": 4, "pages": 2, "total_pages": 2}


def test_prompt_tokens_include_the_history(client: httpx.Client, make_session: Callable[..., dict[str, Any]]) -> None:
    session = make_session("echo")
    send(client, session["id"], "one two")
    second = send(client, session["id"], "three").json()["data"]
    # history "one two" (2) + "You said: one two" (4) + input "three" (1)
    assert second["prompt_tokens"] == 7 and second["completion_tokens"] == 3


def test_message_metadata_is_stored_on_the_user_message(
    client: httpx.Client, make_session: Callable[..., dict[str, Any]]
) -> None:
    session = make_session("echo")
    reply = send(client, session["id"], "hi", metadata={"source": "test"}).json()["data"]
    assert reply["user_message"]["metadata"] == {"source": "test"}
    stored = client.get(f"{API}/chat/sessions/{session['id']}/messages").json()["data"][0]
    assert stored["metadata"] == {"source": "test"}


def test_thinker_stores_tool_calls_and_results(
    client: httpx.Client, make_session: Callable[..., dict[str, Any]]
) -> None:
    session = make_session("thinker")
    reply = send(client, session["id"], "What is 2 plus 2?").json()["data"]
    assert reply["content"] == 'I searched for "What is 2 plus 2?" and found 3 results. The numbers check out.'
    assert reply["tool_calls"] == [
        {"id": "call_1", "name": "search", "arguments": {"query": "What is 2 plus 2?"}},
        {"id": "call_2", "name": "calculator", "arguments": {"expression": "2 + 2"}},
    ]
    assert reply["tool_results"] == [
        {"id": "call_1", "name": "search", "summary": '3 results for "What is 2 plus 2?"'},
        {"id": "call_2", "name": "calculator", "summary": "2 + 2 = 4"},
    ]
    stored = client.get(f"{API}/chat/sessions/{session['id']}/messages").json()["data"][1]
    assert stored["tool_calls"] == reply["tool_calls"] and stored["tool_results"] == reply["tool_results"]


def test_storyteller_reply(client: httpx.Client, make_session: Callable[..., dict[str, Any]]) -> None:
    session = make_session("storyteller")
    reply = send(client, session["id"], "Hello!").json()["data"]
    assert reply["content"] == f"A story about Hello!: {STORY}"
    assert reply["model"] == "mock-storyteller-1"


def test_slow_agent_replies_like_echo(client: httpx.Client, make_session: Callable[..., dict[str, Any]]) -> None:
    session = make_session("slow")
    reply = send(client, session["id"], "Hello!", metadata={"delay_ms": 5}).json()["data"]
    assert reply["content"] == "You said: Hello!"
    assert reply["model"] == "mock-slow-1"


def test_faulty_agent_answers_502_and_stores_no_reply(
    client: httpx.Client, make_session: Callable[..., dict[str, Any]]
) -> None:
    session = make_session("faulty")
    error = assert_error(send(client, session["id"], "Where is my order?"), 502, "agent_failed")
    assert error["message"] == "Tool 'lookup_order' timed out."
    execution_id = error["details"]["execution_id"]
    messages = client.get(f"{API}/chat/sessions/{session['id']}/messages").json()["data"]
    assert [m["role"] for m in messages] == ["user"]
    execution = client.get(f"{API}/executions/{execution_id}").json()["data"]
    assert (execution["status"], execution["error"], execution["output"], execution["assistant_message_id"]) == (
        "failed",
        "Tool 'lookup_order' timed out.",
        None,
        None,
    )
    assert execution["token_usage"] is None
    assert execution["completed_at"] is not None


def test_send_to_missing_session_is_404(client: httpx.Client) -> None:
    assert_error(send(client, "nope", "hi"), 404, "not_found")


def test_delete_message_keeps_the_others(client: httpx.Client, make_session: Callable[..., dict[str, Any]]) -> None:
    session = make_session("echo")
    first = send(client, session["id"], "one").json()["data"]
    send(client, session["id"], "two")
    url = f"{API}/chat/sessions/{session['id']}/messages"
    response = client.delete(f"{url}/{first['user_message']['id']}")
    assert response.status_code == 204 and response.content == b""
    assert [m["content"] for m in client.get(url).json()["data"]] == ["You said: one", "two", "You said: two"]
    error = assert_error(client.delete(f"{url}/{first['user_message']['id']}"), 404, "not_found")
    assert error["details"]["resource"] == "chat_message"
    assert_error(client.delete(f"{API}/chat/sessions/nope/messages/{first['id']}"), 404, "not_found")


def test_feedback(client: httpx.Client, make_session: Callable[..., dict[str, Any]]) -> None:
    session = make_session("echo")
    reply = send(client, session["id"], "hi").json()["data"]
    url = f"{API}/chat/sessions/{session['id']}/feedback"
    up = client.post(url, json={"execution_id": reply["execution_id"], "value": 1, "comment": "Solved my problem."})
    assert up.status_code == 200 and up.json() == {"data": {"submitted": True}}
    down = client.post(url, json={"execution_id": reply["execution_id"], "value": -1})
    assert down.status_code == 200 and down.json() == {"data": {"submitted": True}}


def test_feedback_errors(client: httpx.Client, make_session: Callable[..., dict[str, Any]]) -> None:
    session = make_session("echo")
    other = make_session("echo")
    reply = send(client, other["id"], "hi").json()["data"]
    url = f"{API}/chat/sessions/{session['id']}/feedback"
    unknown = assert_error(client.post(url, json={"execution_id": "nope", "value": 1}), 422, "unknown_execution")
    assert unknown["details"]["field"] == "execution_id"
    foreign = assert_error(
        client.post(url, json={"execution_id": reply["execution_id"], "value": 1}), 422, "execution_not_in_session"
    )
    assert foreign["details"]["field"] == "execution_id"
    bad_value = assert_error(
        client.post(url, json={"execution_id": reply["execution_id"], "value": 2}), 400, "validation_error"
    )
    assert bad_value["details"]["field"] == "value"
    assert_error(
        client.post(f"{API}/chat/sessions/nope/feedback", json={"execution_id": reply["execution_id"], "value": 1}),
        404,
        "not_found",
    )


def test_get_missing_execution_is_404(client: httpx.Client) -> None:
    error = assert_error(client.get(f"{API}/executions/nope"), 404, "not_found")
    assert error["details"] == {"resource": "execution", "id": "nope"}


def test_executions_survive_their_session(client: httpx.Client, make_session: Callable[..., dict[str, Any]]) -> None:
    session = make_session("echo")
    reply = send(client, session["id"], "hi").json()["data"]
    assert client.delete(f"{API}/chat/sessions/{session['id']}").status_code == 204
    execution = client.get(f"{API}/executions/{reply['execution_id']}").json()["data"]
    assert execution["status"] == "completed" and execution["session_id"] is None
