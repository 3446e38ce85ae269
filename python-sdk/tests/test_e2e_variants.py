"""Every evidenced wire variant the mock serves (its `variant` fault), end to end, in the
default (tolerant) mode and with `strict_response_validation=True`.

The variants the contract describes read without error in both modes; the two outside it
(`meta_no_page_count` is inside: every key of `meta` is optional; `execution_unknown_status`
is outside) read tolerantly and raise `APIResponseValidationError` in strict mode.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conftest import Sleeps
from promptrails import (
    APIResponseValidationError,
    AsyncPromptRails,
    ChatReply,
    DoneEvent,
    ErrorEvent,
    ExecutionEvent,
    ExecutionStatus,
    NotFoundError,
    PromptRails,
    StreamError,
    ToolEndEvent,
)
from promptrails_mock import testing


@pytest.fixture(scope="module")
def server() -> Iterator[testing.MockServer]:
    with testing.MockServer(frame_delay_ms=0) as srv:
        yield srv


@pytest.fixture(params=[False, True], ids=["tolerant", "strict"])
def strict(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
def client(server: testing.MockServer, strict: bool, sleeps: Sleeps) -> Iterator[PromptRails]:
    key = server.new_workspace()
    with PromptRails(key, base_url=server.base_url, strict_response_validation=strict, _sleep=sleeps) as c:
        yield c


def variant(server: testing.MockServer, *names: str, **options: object) -> None:
    server.add_fault(action="variant", variants=list(names), count=1000, **options)


@pytest.fixture(autouse=True)
def _no_faults_left(server: testing.MockServer) -> Iterator[None]:
    server.clear_faults()
    yield
    server.clear_faults()


def test_send_201_with_user_and_assistant_messages(server: testing.MockServer, client: PromptRails) -> None:
    session = client.chat.create_session(agent_id="echo")
    variant(server, "send_201")
    reply = client.chat.send_message(session.id, content="Hi")
    assert isinstance(reply, ChatReply) and reply.content == "You said: Hi" and reply.role == "assistant"
    assert reply.user_message is not None and reply.user_message.content == "Hi"
    assert reply.assistant_message is not None and reply.assistant_message.id == reply.id
    assert server.violations() == []


@pytest.mark.parametrize("name", ["meta_pages_only", "meta_total_pages_only", "meta_no_page_count"])
def test_list_meta_variants_page_through_everything(server: testing.MockServer, client: PromptRails, name: str) -> None:
    ids = {client.chat.create_session(agent_id="echo").id for _ in range(5)}
    variant(server, name)
    page = client.chat.list_sessions(limit=2)
    assert {s.id for s in page} == ids
    assert len(list(page.iter_pages())) == 3
    if name != "meta_no_page_count":
        assert page.meta is not None and page.meta.pages == page.meta.total_pages == 3


def test_error_string_keeps_its_message(server: testing.MockServer, client: PromptRails) -> None:
    variant(server, "error_string")
    with pytest.raises(NotFoundError) as info:
        client.chat.get_session("missing")
    assert info.value.message and info.value.code is None and isinstance(info.value.body, dict)
    assert info.value.body == {"error": info.value.message}


def test_execution_variants(server: testing.MockServer, client: PromptRails, strict: bool) -> None:
    session = client.chat.create_session(agent_id="echo")
    reply = client.chat.send_message(session.id, content="Hi")
    assert reply.execution_id
    variant(server, "execution_sparse")
    sparse = client.executions.get(reply.execution_id)
    assert sparse.id == reply.execution_id and sparse.status == ExecutionStatus.COMPLETED and sparse.output is None
    server.clear_faults()
    full = client.executions.get(reply.execution_id)
    assert full.output_text == reply.content and isinstance(full.input, dict)
    variant(server, "execution_unknown_status")
    if strict:
        with pytest.raises(APIResponseValidationError) as info:
            client.executions.get(reply.execution_id)
        assert info.value.path == "data.status"
    else:
        assert client.executions.get(reply.execution_id).status == "paused"
        assert [e.status for e in client.executions.list(session_id=session.id)] == ["paused"]


@pytest.mark.parametrize(
    ("name", "output", "text"),
    [
        ("done_empty", None, None),
        ("done_output_string", "You said: Hello!", "You said: Hello!"),
        ("done_output_null", None, None),
        ("done_partial_usage", {"content": "You said: Hello!"}, "You said: Hello!"),
    ],
)
def test_done_variants(
    server: testing.MockServer, client: PromptRails, name: str, output: object, text: str | None
) -> None:
    session = client.chat.create_session(agent_id="echo")
    variant(server, name)
    result = client.chat.send_message_stream(session.id, content="Hello!").until_done()
    assert result.text == "You said: Hello!"
    assert isinstance(result.terminal, DoneEvent) and result.output == output and result.output_text == text
    if name == "done_partial_usage":
        assert result.usage is not None and result.usage.total_tokens and result.usage.prompt_tokens is None
        assert result.terminal.time is None
    if name == "done_empty":
        assert result.usage is None and result.terminal.to_dict() == {}
    assert server.violations() == []


def test_error_frame_error_variant(server: testing.MockServer, client: PromptRails) -> None:
    session = client.chat.create_session(agent_id="faulty")
    variant(server, "error_frame_error")
    events = list(client.chat.send_message_stream(session.id, content="Hi"))
    assert isinstance(events[-1], ErrorEvent) and events[-1].message and events[-1].code
    with pytest.raises(StreamError, match=f"the run failed: {events[-1].message}"):
        client.chat.send_message_stream(session.id, content="Hi").until_done()


def test_tool_end_and_execution_frame_variants(server: testing.MockServer, client: PromptRails) -> None:
    session = client.chat.create_session(agent_id="thinker")
    variant(server, "tool_end_no_summary", "execution_frame_no_user_message_id")
    events = list(client.chat.send_message_stream(session.id, content="What is 2 + 2?"))
    first = events[0]
    assert isinstance(first, ExecutionEvent) and first.execution_id and first.user_message_id is None
    ends = [e for e in events if isinstance(e, ToolEndEvent)]
    assert ends and all(e.summary is None and e.name for e in ends)
    assert isinstance(events[-1], DoneEvent)


def test_cut_stream_resumes_under_variants(server: testing.MockServer, client: PromptRails) -> None:
    """A resume with the evidenced shapes: the execution id comes from the first frame."""
    session = client.chat.create_session(agent_id="storyteller")
    variant(server, "execution_frame_no_user_message_id", "done_output_string")
    server.add_fault(method="POST", path="/api/v1/chat/sessions/*/messages/stream", count=1, action="cut_stream",
                     after_frames=3)
    result = client.chat.send_message_stream(session.id, content="Tell me a story").until_done()
    ids = [e.event_id for e in result.events]
    assert len(ids) == len(set(ids)) and result.output_text == result.text


@pytest.mark.asyncio
async def test_async_variants(server: testing.MockServer, strict: bool) -> None:
    client = AsyncPromptRails(server.new_workspace(), base_url=server.base_url, strict_response_validation=strict)
    session = await client.chat.create_session(agent_id="echo")
    variant(server, "send_201", "done_empty", "meta_pages_only")
    reply = await client.chat.send_message(session.id, content="Hi")
    assert reply.content == "You said: Hi"
    result = await (await client.chat.send_message_stream(session.id, content="Hi")).until_done()
    assert result.output is None and result.text == "You said: Hi"
    assert [s.id async for s in client.chat.list_sessions()] == [session.id]
    await client.close()


