"""Every resource method, through respx: the request it sends and what it returns."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from conftest import EXECUTION, MESSAGE, REPLY, SESSION, meta
from e2e_support import SPEC_VERSION
from promptrails import (
    NOT_GIVEN,
    ChatMessage,
    ChatReply,
    ChatSession,
    Execution,
    ExecutionStatus,
    InvalidArgumentError,
    MessageRole,
    PromptRails,
    SyncPage,
)


def body(route: respx.Route, i: int = -1) -> object:
    return json.loads(route.calls[i].request.content)


def test_create_session(client: PromptRails, mock: respx.MockRouter) -> None:
    route = mock.post("/api/v1/chat/sessions").respond(201, json={"data": SESSION})
    s = client.chat.create_session(agent_id="echo", title="Support Conversation", metadata={"channel": "web"})
    assert isinstance(s, ChatSession)
    assert s.id == "s1" and s.title == "Support Conversation"
    assert s.created_at.year == 2026
    assert s.metadata == {"channel": "web"}
    assert body(route) == {"agent_id": "echo", "title": "Support Conversation", "metadata": {"channel": "web"}}
    req = route.calls[0].request
    assert req.headers["x-api-key"].startswith("sk-test")
    assert req.headers["user-agent"] == f"promptrails-python/{SPEC_VERSION}"
    assert len(req.headers["idempotency-key"]) == 36


def test_create_session_only_required(client: PromptRails, mock: respx.MockRouter) -> None:
    route = mock.post("/api/v1/chat/sessions").respond(201, json={"data": SESSION})
    client.chat.create_session(agent_id="echo")
    assert body(route) == {"agent_id": "echo"}


def test_get_session(client: PromptRails, mock: respx.MockRouter) -> None:
    route = mock.get("/api/v1/chat/sessions/s1").respond(200, json={"data": SESSION})
    assert client.chat.get_session("s1").agent_id == "echo"
    assert route.calls[0].request.headers["accept"] == "application/json"
    assert "idempotency-key" not in route.calls[0].request.headers


def test_path_params_are_escaped(client: PromptRails, mock: respx.MockRouter) -> None:
    route = mock.get("/api/v1/chat/sessions/a%2Fb").respond(200, json={"data": SESSION})
    client.chat.get_session("a/b")
    assert route.called


def test_update_session_not_given_vs_none(client: PromptRails, mock: respx.MockRouter) -> None:
    route = mock.patch("/api/v1/chat/sessions/s1").respond(200, json={"data": {**SESSION, "title": None}})
    s = client.chat.update_session("s1", title=None)
    assert s.title is None
    assert body(route) == {"title": None}
    client.chat.update_session("s1", metadata={"k": 1})
    assert body(route) == {"metadata": {"k": 1}}
    client.chat.update_session("s1", title="New", metadata=NOT_GIVEN)
    assert body(route) == {"title": "New"}


def test_delete_session(client: PromptRails, mock: respx.MockRouter) -> None:
    route = mock.delete("/api/v1/chat/sessions/s1").respond(204)
    assert client.chat.delete_session("s1") is None
    assert route.called


def test_list_sessions_page(client: PromptRails, mock: respx.MockRouter) -> None:
    route = mock.get("/api/v1/chat/sessions").respond(200, json={"data": [SESSION], "meta": meta()})
    page = client.chat.list_sessions(page=1, limit=20)
    assert isinstance(page, SyncPage)
    assert [s.id for s in page.data] == ["s1"]
    assert page.meta.total == 1 and page.meta.total_pages == 1
    assert not page.has_next_page()
    assert dict(route.calls[0].request.url.params) == {"page": "1", "limit": "20"}


def test_list_sessions_iterates_every_page(client: PromptRails, mock: respx.MockRouter) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        n = int(request.url.params.get("page", "1"))
        items = [{**SESSION, "id": f"s{n}-{i}"} for i in range(2)] if n <= 3 else []
        return httpx.Response(200, json={"data": items, "meta": meta(page=n, total_pages=3, total=6, limit=2)})

    route = mock.get("/api/v1/chat/sessions").mock(side_effect=answer)
    ids = [s.id for s in client.chat.list_sessions(limit=2)]
    assert ids == ["s1-0", "s1-1", "s2-0", "s2-1", "s3-0", "s3-1"]
    assert [r.request.url.params["limit"] for r in route.calls] == ["2", "2", "2"]
    first = client.chat.list_sessions(limit=2)
    assert first.has_next_page()
    second = first.get_next_page()
    assert second.meta.page == 2
    assert [p.meta.page for p in first.iter_pages()] == [1, 2, 3]


def test_list_messages(client: PromptRails, mock: respx.MockRouter) -> None:
    route = mock.get("/api/v1/chat/sessions/s1/messages").respond(
        200, json={"data": [MESSAGE, {**REPLY}], "meta": meta(total=2)}
    )
    messages = client.chat.list_messages("s1", page=1, limit=100)
    assert [(m.role, m.content) for m in messages.data] == [(MessageRole.USER, "Hi"), (MessageRole.ASSISTANT, "You said: Hi")]
    assert str(messages.data[0].role) == "user"
    assert isinstance(messages.data[0], ChatMessage)
    assert dict(route.calls[0].request.url.params) == {"page": "1", "limit": "100"}


def test_send_message(client: PromptRails, mock: respx.MockRouter) -> None:
    route = mock.post("/api/v1/chat/sessions/s1/messages").respond(200, json={"data": REPLY})
    reply = client.chat.send_message("s1", content="Hi")
    assert isinstance(reply, ChatReply)
    assert reply.content == "You said: Hi"
    assert reply.execution_id == "e1"
    assert reply.user_message.content == "Hi"
    assert body(route) == {"content": "Hi"}


def test_send_message_caller_idempotency_key(client: PromptRails, mock: respx.MockRouter) -> None:
    route = mock.post("/api/v1/chat/sessions/s1/messages").respond(200, json={"data": REPLY})
    client.chat.send_message("s1", content="Hi", idempotency_key="my-key", extra_headers={"X-Trace": "t1"})
    assert route.calls[0].request.headers["idempotency-key"] == "my-key"
    assert route.calls[0].request.headers["x-trace"] == "t1"


def test_each_call_gets_a_fresh_idempotency_key(client: PromptRails, mock: respx.MockRouter) -> None:
    route = mock.post("/api/v1/chat/sessions/s1/messages").respond(200, json={"data": REPLY})
    client.chat.send_message("s1", content="a")
    client.chat.send_message("s1", content="b")
    keys = {c.request.headers["idempotency-key"] for c in route.calls}
    assert len(keys) == 2


def test_delete_message(client: PromptRails, mock: respx.MockRouter) -> None:
    route = mock.delete("/api/v1/chat/sessions/s1/messages/m1").respond(204)
    assert client.chat.delete_message("s1", "m1") is None
    assert route.called


def test_submit_feedback(client: PromptRails, mock: respx.MockRouter) -> None:
    route = mock.post("/api/v1/chat/sessions/s1/feedback").respond(200, json={"data": {"submitted": True}})
    fb = client.chat.submit_feedback("s1", execution_id="e1", value=-1, comment="meh")
    assert fb.submitted is True
    assert body(route) == {"execution_id": "e1", "value": -1, "comment": "meh"}


def test_get_execution(client: PromptRails, mock: respx.MockRouter) -> None:
    mock.get("/api/v1/executions/e1").respond(200, json={"data": EXECUTION})
    ex = client.executions.get("e1")
    assert isinstance(ex, Execution)
    assert ex.status == ExecutionStatus.COMPLETED
    assert ex.token_usage is not None and ex.token_usage.total_tokens == 4


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.chat.get_session(""),
        lambda c: c.chat.get_session(123),
        lambda c: c.chat.delete_message("s1", ""),
        lambda c: c.chat.send_message("s1", content=5),
        lambda c: c.chat.list_sessions(page="2"),
        lambda c: c.chat.list_sessions(limit=True),
        lambda c: c.chat.submit_feedback("s1", execution_id="e1", value=2),
        lambda c: c.chat.create_session(agent_id=None),
        lambda c: c.chat.create_session(agent_id="a", metadata=[1]),
        lambda c: c.executions.get(""),
        lambda c: c.executions.stream(""),
    ],
)
def test_invalid_arguments_fail_before_sending(client: PromptRails, mock: respx.MockRouter, call) -> None:  # type: ignore[no-untyped-def]
    route = mock.route().respond(500)
    with pytest.raises(InvalidArgumentError) as info:
        call(client)
    assert isinstance(info.value, ValueError)
    assert not route.called


def test_unexpected_body_is_an_api_error(client: PromptRails, mock: respx.MockRouter) -> None:
    from promptrails import APIError

    mock.get("/api/v1/chat/sessions/s1").respond(200, json={"nope": 1})
    with pytest.raises(APIError, match="cannot read the 200 response: it has no data"):
        client.chat.get_session("s1")
    mock.get("/api/v1/chat/sessions/s2").respond(200, content=b"<html>")
    with pytest.raises(APIError, match="not valid JSON"):
        client.chat.get_session("s2")
