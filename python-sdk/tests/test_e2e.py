"""End to end against the stateful mock server (promptrails_mock), including its faults."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from conftest import Sleeps
from promptrails import (
    AsyncPromptRails,
    ContentEvent,
    DoneEvent,
    ErrorEvent,
    ExecutionEvent,
    NotFoundError,
    PromptRails,
    RateLimitError,
    StreamError,
    ThinkingEvent,
    ToolEndEvent,
    ToolStartEvent,
    UnprocessableEntityError,
)

from promptrails_mock import testing  # noqa: E402  (make setup installs conformance-tests)


@pytest.fixture
def client(server: testing.MockServer, key: str, sleeps: Sleeps) -> Iterator[PromptRails]:
    with PromptRails(key, base_url=server.base_url, _sleep=sleeps) as c:
        yield c


def test_session_lifecycle(client: PromptRails) -> None:
    session = client.chat.create_session(agent_id="echo", title="Support Conversation", metadata={"channel": "web"})
    assert session.title == "Support Conversation" and session.metadata["channel"] == "web"
    assert client.chat.get_session(session.id).id == session.id
    assert client.chat.update_session(session.id, title="Billing").title == "Billing"
    cleared = client.chat.update_session(session.id, title=None)
    assert cleared.title is None and cleared.metadata["channel"] == "web"
    reply = client.chat.send_message(session.id, content="Hi, I need help with my account.")
    assert reply.role == "assistant" and reply.content
    assert reply.execution_id and reply.user_message.content == "Hi, I need help with my account."
    history = client.chat.list_messages(session.id)
    assert [(m.role, m.content) for m in history.data] == [
        ("user", "Hi, I need help with my account."),
        ("assistant", reply.content),
    ]
    assert client.chat.submit_feedback(session.id, execution_id=reply.execution_id, value=1).submitted
    execution = client.executions.get(reply.execution_id)
    assert execution.output_text == reply.content and execution.output == {"content": reply.content}
    client.chat.delete_message(session.id, history.data[0].id)
    assert len(client.chat.list_messages(session.id).data) == 1
    client.chat.delete_session(session.id)
    with pytest.raises(NotFoundError) as info:
        client.chat.get_session(session.id)
    assert info.value.code == "not_found" and info.value.request_id


def test_pagination_across_pages(client: PromptRails) -> None:
    created = {client.chat.create_session(agent_id="echo", title=f"s{i}").id for i in range(5)}
    page = client.chat.list_sessions(limit=2)
    assert len(page.data) == 2 and page.meta.total == 5 and page.meta.total_pages == 3
    assert {s.id for s in client.chat.list_sessions(limit=2)} == created
    assert len(list(page.iter_pages())) == 3


def test_validation_errors(client: PromptRails) -> None:
    with pytest.raises(UnprocessableEntityError):
        client.chat.create_session(agent_id="no-such-agent")


def test_stream_thinker_all_event_types(client: PromptRails) -> None:
    session = client.chat.create_session(agent_id="thinker")
    with client.chat.send_message_stream(session.id, content="What is 2 + 2?") as stream:
        events = list(stream)
    kinds = {type(e) for e in events}
    assert {ExecutionEvent, ThinkingEvent, ToolStartEvent, ToolEndEvent, ContentEvent, DoneEvent} <= kinds
    assert isinstance(events[0], ExecutionEvent) and isinstance(events[-1], DoneEvent)
    text = "".join(e.content for e in events if isinstance(e, ContentEvent))
    assert text == events[-1].output_text
    assert events[-1].token_usage.total_tokens == events[-1].token_usage.prompt_tokens + events[-1].token_usage.completion_tokens


def test_stream_until_done_and_history(client: PromptRails) -> None:
    session = client.chat.create_session(agent_id="echo")
    result = client.chat.send_message_stream(session.id, content="Hello!").until_done()
    assert result.text == result.output_text and result.usage.total_tokens > 0
    history = client.chat.list_messages(session.id).data
    assert [m.content for m in history] == ["Hello!", result.output_text]


def test_faulty_agent_error_event(client: PromptRails) -> None:
    session = client.chat.create_session(agent_id="faulty")
    events = list(client.chat.send_message_stream(session.id, content="Hi"))
    assert isinstance(events[-1], ErrorEvent) and events[-1].message
    with pytest.raises(StreamError) as info:
        client.chat.send_message_stream(session.id, content="Hi").until_done()
    assert isinstance(info.value.event, ErrorEvent)


def test_429_with_retry_after(client: PromptRails, server: testing.MockServer, sleeps: Sleeps) -> None:
    session = client.chat.create_session(agent_id="echo")
    server.add_fault(method="GET", path=f"/api/v1/chat/sessions/{session.id}", count=1, action="status",
                     status=429, headers={"Retry-After": "2"})
    assert client.chat.get_session(session.id).id == session.id
    assert sleeps.calls == [2.0]
    server.add_fault(method="GET", path=f"/api/v1/chat/sessions/{session.id}", count=5, action="status", status=429)
    with pytest.raises(RateLimitError):
        client.chat.get_session(session.id)
    server.clear_faults()


def test_503_twice_then_success(client: PromptRails, server: testing.MockServer, sleeps: Sleeps) -> None:
    session = client.chat.create_session(agent_id="echo")
    path = f"/api/v1/chat/sessions/{session.id}/messages"
    server.add_fault(method="POST", path=path, count=2, action="status", status=503)
    reply = client.chat.send_message(session.id, content="third time lucky")
    assert reply.content
    attempts = server.requests(method="POST", path=path)
    assert len(attempts) == 3
    assert len({a["headers"]["idempotency-key"] for a in attempts}) == 1
    assert len(sleeps.calls) == 2


def test_reset_after_processing_does_not_duplicate(client: PromptRails, server: testing.MockServer) -> None:
    session = client.chat.create_session(agent_id="echo")
    path = f"/api/v1/chat/sessions/{session.id}/messages"
    server.add_fault(method="POST", path=path, count=1, action="reset", when="after")
    reply = client.chat.send_message(session.id, content="only once please")
    attempts = server.requests(method="POST", path=path)
    assert len(attempts) == 2
    keys = [a["headers"]["idempotency-key"] for a in attempts]
    assert keys[0] == keys[1]
    history = client.chat.list_messages(session.id).data
    assert [m.content for m in history] == ["only once please", reply.content]


def test_stream_cut_resumes_without_loss_or_duplicates(client: PromptRails, server: testing.MockServer) -> None:
    session = client.chat.create_session(agent_id="storyteller")
    path = f"/api/v1/chat/sessions/{session.id}/messages/stream"
    server.add_fault(method="POST", path=path, count=1, action="cut_stream", after_frames=3)
    events = list(client.chat.send_message_stream(session.id, content="Tell me a story"))
    ids = [e.event_id for e in events]
    assert len(ids) == len(set(ids))
    assert ids == [str(i) for i in range(1, len(ids) + 1)]  # every frame, in order, once
    assert isinstance(events[-1], DoneEvent)
    assert "".join(e.content for e in events if isinstance(e, ContentEvent)) == events[-1].output_text
    execution_id = events[0].execution_id  # type: ignore[union-attr]
    resumed = [r for r in server.requests() if r["path"] == f"/api/v1/executions/{execution_id}/stream"]
    assert resumed and resumed[0]["headers"]["last-event-id"] == "3"
    assert len(server.requests(method="POST", path=path)) == 1  # never re-sent
    history = client.chat.list_messages(session.id).data
    assert len(history) == 2


def test_executions_stream_replays(client: PromptRails) -> None:
    session = client.chat.create_session(agent_id="echo")
    reply = client.chat.send_message(session.id, content="replay me")
    events = list(client.executions.stream(reply.execution_id))
    assert isinstance(events[-1], DoneEvent) and events[-1].output_text == reply.content
    later = list(client.executions.stream(reply.execution_id, last_event_id=events[-2].event_id))
    assert later == [events[-1]]


def test_wrong_key(server: testing.MockServer) -> None:
    from promptrails import AuthenticationError

    with PromptRails("not-a-key", base_url=server.base_url) as c, pytest.raises(AuthenticationError):
        c.chat.list_sessions()


@pytest.mark.asyncio
async def test_async_end_to_end(server: testing.MockServer, key: str) -> None:
    sleeps = Sleeps()
    async with AsyncPromptRails(key, base_url=server.base_url, _sleep=sleeps.async_sleep) as c:
        session = await c.chat.create_session(agent_id="storyteller", title=str(uuid.uuid4()))
        path = f"/api/v1/chat/sessions/{session.id}/messages/stream"
        server.add_fault(method="POST", path=path, count=1, action="cut_stream", after_frames=2)
        stream = await c.chat.send_message_stream(session.id, content="story")
        ids = [e.event_id async for e in stream]
        assert ids == [str(i) for i in range(1, len(ids) + 1)]
        assert [s.id async for s in await c.chat.list_sessions()] == [session.id]
