"""Streams: typed events, the aggregate helper, errors, and resume after a drop (RUNTIME.md "Streams")."""

from __future__ import annotations

import dataclasses

import httpx
import pytest
import respx

from conftest import RUN, SSE_HEADERS, BrokenStream, Sleeps, error_body, frames
from promptrails._core._streaming import DeliveredIds
from promptrails import (
    APIConnectionError,
    APITimeoutError,
    ChatStreamFrameResult,
    ContentEvent,
    DoneEvent,
    ErrorEvent,
    ExecutionEvent,
    NotFoundError,
    PromptRails,
    RateLimitError,
    StreamError,
    ThinkingEvent,
    TokenUsage,
    ToolEndEvent,
    ToolStartEvent,
    UnknownEvent,
)

STREAM = "/api/v1/chat/sessions/s1/messages/stream"
RESUME = "/api/v1/executions/e1/stream"


def sse(body: bytes | BrokenStream) -> httpx.Response:
    if isinstance(body, BrokenStream):
        return httpx.Response(200, headers=SSE_HEADERS, stream=body)
    return httpx.Response(200, headers=SSE_HEADERS, content=body)


def test_typed_events_in_order(client: PromptRails, mock: respx.MockRouter) -> None:
    route = mock.post(STREAM).mock(return_value=sse(frames(*RUN)))
    with client.chat.send_message_stream("s1", content="Hi") as stream:
        events = list(stream)
    assert [type(e) for e in events] == [
        ExecutionEvent, ThinkingEvent, ToolStartEvent, ToolEndEvent, ContentEvent, ContentEvent, DoneEvent
    ]
    assert events[0] == ExecutionEvent(execution_id="e1", user_message_id="m1", event_id="1")
    assert events[3] == ToolEndEvent(id="t1", name="lookup", summary="found", event_id="4")
    done = events[-1]
    assert isinstance(done, DoneEvent) and isinstance(done.token_usage, TokenUsage)
    assert done.token_usage.total_tokens == 4 and done.token_usage.cached_tokens == 0
    req = route.calls[0].request
    assert req.headers["accept"] == "text/event-stream"
    assert len(req.headers["idempotency-key"]) == 36


def test_seed_loop_with_break(client: PromptRails, mock: respx.MockRouter) -> None:
    mock.post(STREAM).mock(return_value=sse(frames(*RUN)))
    text = ""
    for event in client.chat.send_message_stream("s1", content="Hello!"):
        if isinstance(event, ContentEvent):
            text += event.content
        elif isinstance(event, DoneEvent):
            break
    assert text == "You said: Hi"


def test_crlf_stream(client: PromptRails, mock: respx.MockRouter) -> None:
    mock.post(STREAM).mock(return_value=sse(frames(*RUN, sep="\r\n")))
    assert client.chat.send_message_stream("s1", content="Hi").until_done().text == "You said: Hi"


def test_until_done_result(client: PromptRails, mock: respx.MockRouter) -> None:
    mock.post(STREAM).mock(return_value=sse(frames(*RUN)))
    stream = client.chat.send_message_stream("s1", content="Hi")
    result = stream.until_done()
    assert isinstance(result, ChatStreamFrameResult)
    assert result.text == "You said: Hi" and result.output_text == "You said: Hi"
    assert result.output == {"content": "You said: Hi"}
    assert result.usage.prompt_tokens == 1 and result.usage.completion_tokens == 3
    assert isinstance(result.terminal, DoneEvent) and len(result.events) == 7
    assert stream.response is None  # closed
    again = client.chat.send_message_stream("s1", content="Hi").final()  # the same helper, by its other name
    assert again.output == result.output


def test_error_event_ends_stream_and_until_done_raises(client: PromptRails, mock: respx.MockRouter) -> None:
    run = [RUN[0], ("2", "content", '{"content":"par"}'), ("3", "error", '{"message":"Tool timed out.","code":"tool_timeout"}')]
    mock.post(STREAM).mock(return_value=sse(frames(*run) + frames(("4", "content", '{"content":"never"}'))))
    events = list(client.chat.send_message_stream("s1", content="Hi"))
    assert events[-1] == ErrorEvent(message="Tool timed out.", code="tool_timeout", event_id="3")
    assert len(events) == 3
    with pytest.raises(StreamError) as info:
        client.chat.send_message_stream("s1", content="Hi").until_done()
    assert isinstance(info.value.event, ErrorEvent) and "Tool timed out." in str(info.value)


def test_error_event_code_optional(client: PromptRails, mock: respx.MockRouter) -> None:
    mock.post(STREAM).mock(return_value=sse(frames(RUN[0], ("2", "error", '{"message":"boom"}'))))
    assert list(client.chat.send_message_stream("s1", content="Hi"))[-1] == ErrorEvent(message="boom", event_id="2")


def test_unknown_event_is_delivered(client: PromptRails, mock: respx.MockRouter) -> None:
    run = [RUN[0], ("2", "heartbeat", "not json at all"), RUN[-1]]
    mock.post(STREAM).mock(return_value=sse(frames(*run) + b"data: plain\n\n"))
    events = list(client.chat.send_message_stream("s1", content="Hi"))
    assert events[1] == UnknownEvent(event="heartbeat", data="not json at all", event_id="2")
    assert isinstance(events[2], DoneEvent)


def test_message_event_without_name_is_unknown(client: PromptRails, mock: respx.MockRouter) -> None:
    mock.post(STREAM).mock(return_value=sse(b"data: hello\n\n" + frames(RUN[0], RUN[-1])))
    events = list(client.chat.send_message_stream("s1", content="Hi"))
    assert events[0] == UnknownEvent(event="message", data="hello", event_id=None)


@pytest.mark.parametrize(
    "data",
    ['{"content": ', '["content"]', ""],
    ids=["malformed-json", "not-an-object", "empty-data"],
)
def test_unusable_data_in_known_event_raises_stream_error(client: PromptRails, mock: respx.MockRouter, data: str) -> None:
    body = frames(RUN[0]) + f"id: 2\nevent: content\ndata: {data}\n\n".encode()
    mock.post(STREAM).mock(return_value=sse(body))
    stream = client.chat.send_message_stream("s1", content="Hi")
    assert isinstance(next(stream), ExecutionEvent)
    with pytest.raises(StreamError) as info:
        next(stream)
    assert info.value.data == data


def test_oversized_event_raises_stream_error(mock: respx.MockRouter) -> None:
    from promptrails import events as ev
    from promptrails._core import StreamSpec

    client = PromptRails("k")
    big = frames(("2", "content", '{"content":"' + "x" * 5000 + '"}'))
    mock.post(STREAM).mock(return_value=sse(BrokenStream([frames(RUN[0]), big])))
    small: StreamSpec = dataclasses.replace(ev.CHAT_STREAM_FRAME_SPEC, max_event_size=1024)
    import promptrails.resources.chat as chat_mod

    original = chat_mod.CHAT_STREAM_FRAME_SPEC
    chat_mod.CHAT_STREAM_FRAME_SPEC = small
    try:
        stream = client.chat.send_message_stream("s1", content="Hi")
        next(stream)
        with pytest.raises(StreamError, match="size cap"):
            next(stream)
    finally:
        chat_mod.CHAT_STREAM_FRAME_SPEC = original


@pytest.mark.parametrize(("status", "cls"), [(404, NotFoundError), (429, RateLimitError)])
def test_opening_errors_are_typed(client: PromptRails, mock: respx.MockRouter, status: int, cls: type) -> None:
    mock.post(STREAM).respond(status, json=error_body("x", "nope"))
    with pytest.raises(cls):
        client.chat.send_message_stream("s1", content="Hi", max_retries=0)


def test_opening_is_retried_with_same_key(client: PromptRails, mock: respx.MockRouter, sleeps: Sleeps) -> None:
    route = mock.post(STREAM)
    route.side_effect = [httpx.Response(503), httpx.ConnectError("refused"), sse(frames(*RUN))]
    assert client.chat.send_message_stream("s1", content="Hi").until_done().output_text == "You said: Hi"
    assert len({c.request.headers["idempotency-key"] for c in route.calls}) == 1 and route.call_count == 3


def test_wrong_content_type_is_stream_error(client: PromptRails, mock: respx.MockRouter) -> None:
    mock.post(STREAM).respond(200, json={"data": {}})
    with pytest.raises(StreamError, match="text/event-stream"):
        client.chat.send_message_stream("s1", content="Hi")


def test_resume_after_drop_exactly_once(client: PromptRails, mock: respx.MockRouter, sleeps: Sleeps) -> None:
    first = frames(*RUN[:3])
    cut = frames(RUN[3])[:12]  # a frame cut in the middle: never dispatched
    mock.post(STREAM).mock(return_value=sse(BrokenStream([first, cut], httpx.RemoteProtocolError("peer closed"))))
    # The server replays from after Last-Event-ID, and (being careless) one frame already seen.
    resume = mock.get(RESUME).mock(return_value=sse(frames(*RUN[2:])))
    events = list(client.chat.send_message_stream("s1", content="Hi"))
    assert [e.event_id for e in events] == ["1", "2", "3", "4", "5", "6", "7"]
    assert resume.calls[0].request.headers["last-event-id"] == "3"
    assert "idempotency-key" not in resume.calls[0].request.headers
    assert len(sleeps.calls) == 1


def test_resume_when_stream_ends_without_terminal(client: PromptRails, mock: respx.MockRouter) -> None:
    mock.post(STREAM).mock(return_value=sse(frames(*RUN[:5])))
    resume = mock.get(RESUME)
    resume.side_effect = [sse(frames(RUN[5])), sse(frames(RUN[6]))]
    result = client.chat.send_message_stream("s1", content="Hi").until_done()
    assert result.text == "You said: Hi"
    assert [c.request.headers["last-event-id"] for c in resume.calls] == ["5", "6"]


def test_resume_after_idle_timeout(client: PromptRails, mock: respx.MockRouter) -> None:
    mock.post(STREAM).mock(return_value=sse(BrokenStream([frames(*RUN[:2])], httpx.ReadTimeout("idle"))))
    mock.get(RESUME).mock(return_value=sse(frames(*RUN[2:])))
    assert len(list(client.chat.send_message_stream("s1", content="Hi"))) == 7


def test_no_terminal_even_after_resuming_is_stream_error(client: PromptRails, mock: respx.MockRouter, sleeps: Sleeps) -> None:
    mock.post(STREAM).mock(return_value=sse(frames(*RUN[:2])))
    resume = mock.get(RESUME).mock(return_value=sse(b""))
    stream = client.chat.send_message_stream("s1", content="Hi")
    with pytest.raises(StreamError, match="without a terminal event"):
        list(stream)
    assert resume.call_count == 2  # max_retries resume attempts
    assert len(sleeps.calls) == 2


def test_resume_gives_up_with_connection_error(client: PromptRails, mock: respx.MockRouter) -> None:
    mock.post(STREAM).mock(return_value=sse(BrokenStream([frames(RUN[0])], httpx.ReadError("reset"))))
    mock.get(RESUME).mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(APIConnectionError):
        list(client.chat.send_message_stream("s1", content="Hi"))


def test_resume_gives_up_with_timeout_error(client: PromptRails, mock: respx.MockRouter) -> None:
    mock.post(STREAM).mock(return_value=sse(BrokenStream([frames(RUN[0])], httpx.ReadTimeout("idle"))))
    mock.get(RESUME).mock(return_value=sse(BrokenStream([], httpx.ReadTimeout("idle"))))
    with pytest.raises(APITimeoutError):
        list(client.chat.send_message_stream("s1", content="Hi"))


def test_resume_count_resets_when_frames_arrive(client: PromptRails, mock: respx.MockRouter) -> None:
    # Three drops in a row, each after a new frame: more drops than max_retries, yet it completes.
    mock.post(STREAM).mock(return_value=sse(BrokenStream([frames(RUN[0])], httpx.ReadError("x"))))
    resume = mock.get(RESUME)
    resume.side_effect = [sse(BrokenStream([frames(r)], httpx.ReadError("x"))) for r in RUN[1:6]] + [sse(frames(RUN[6]))]
    assert len(list(client.chat.send_message_stream("s1", content="Hi"))) == 7


def test_resume_stops_on_non_retryable_status(client: PromptRails, mock: respx.MockRouter) -> None:
    mock.post(STREAM).mock(return_value=sse(BrokenStream([frames(RUN[0])], httpx.ReadError("x"))))
    mock.get(RESUME).respond(404, json=error_body("not_found", "gone"))
    with pytest.raises(NotFoundError):
        list(client.chat.send_message_stream("s1", content="Hi"))


def test_drop_before_first_event_resends_with_same_key(client: PromptRails, mock: respx.MockRouter) -> None:
    route = mock.post(STREAM)
    route.side_effect = [sse(BrokenStream([b": hi\n"], httpx.ReadError("x"))), sse(frames(*RUN))]
    assert len(list(client.chat.send_message_stream("s1", content="Hi"))) == 7
    assert route.call_count == 2
    assert len({c.request.headers["idempotency-key"] for c in route.calls}) == 1


def test_close_stops_iteration(client: PromptRails, mock: respx.MockRouter) -> None:
    mock.post(STREAM).mock(return_value=sse(frames(*RUN)))
    stream = client.chat.send_message_stream("s1", content="Hi")
    next(stream)
    response = stream.response
    stream.close()
    assert response is not None and response.is_closed
    assert list(stream) == []


def test_executions_stream_with_last_event_id(client: PromptRails, mock: respx.MockRouter) -> None:
    route = mock.get(RESUME).mock(return_value=sse(frames(*RUN[4:])))
    events = list(client.executions.stream("e1", last_event_id="4"))
    assert [e.event_id for e in events] == ["5", "6", "7"]
    assert route.calls[0].request.headers["last-event-id"] == "4"
    assert "idempotency-key" not in route.calls[0].request.headers


def test_executions_stream_resumes_itself(client: PromptRails, mock: respx.MockRouter) -> None:
    route = mock.get(RESUME)
    route.side_effect = [sse(BrokenStream([frames(*RUN[4:6])], httpx.ReadError("x"))), sse(frames(*RUN[5:]))]
    events = list(client.executions.stream("e1", last_event_id="4"))
    assert [e.event_id for e in events] == ["5", "6", "7"]
    assert "last-event-id" in route.calls[0].request.headers
    assert route.calls[1].request.headers["last-event-id"] == "6"


def test_frames_without_own_id_are_not_taken_for_replays(client: PromptRails, mock: respx.MockRouter) -> None:
    # An id persists across frames (WHATWG): frames without an `id:` line share the last one,
    # and must not be dropped as "already delivered".
    body = b'id: 1\nevent: execution\ndata: {"execution_id":"e1","user_message_id":"m1"}\n\n'
    body += b'event: content\ndata: {"content":"a"}\n\nevent: content\ndata: {"content":"b"}\n\n'
    body += b'event: done\ndata: {"output":"ab","token_usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2},"time":0}\n\n'
    mock.post(STREAM).mock(return_value=sse(body))
    events = list(client.chat.send_message_stream("s1", content="Hi"))
    # An event's id is its frame's own `id:` line (None without one), as in every SDK.
    assert [e.event_id for e in events] == ["1", None, None, None]
    assert "".join(e.content for e in events if isinstance(e, ContentEvent)) == "ab"


def test_frame_without_id_keeps_last_event_id_for_resume(client: PromptRails, mock: respx.MockRouter) -> None:
    body = frames(*RUN[:2]) + b'event: citation\ndata: {"x":1}\n\n'
    mock.post(STREAM).mock(return_value=sse(BrokenStream([body], httpx.RemoteProtocolError("peer closed"))))
    resume = mock.get(RESUME).mock(return_value=sse(frames(*RUN[2:])))
    events = list(client.chat.send_message_stream("s1", content="Hi"))
    assert [e.event_id for e in events] == ["1", "2", None, "3", "4", "5", "6", "7"]
    assert events[2] == UnknownEvent(event="citation", data='{"x":1}', event_id=None)
    assert resume.calls[0].request.headers["last-event-id"] == "2"


def test_resume_parameters_come_from_the_first_event_that_has_them(client: PromptRails, mock: respx.MockRouter) -> None:
    # An unknown event before `execution` carries no execution id: the stream must still
    # learn it from `execution` and resume after a drop.
    body = b'id: 0\nevent: hello\ndata: {}\n\n' + frames(*RUN[:3])
    mock.post(STREAM).mock(return_value=sse(BrokenStream([body], httpx.RemoteProtocolError("peer closed"))))
    resume = mock.get(RESUME).mock(return_value=sse(frames(*RUN[3:])))
    events = list(client.chat.send_message_stream("s1", content="Hi"))
    assert [e.event_id for e in events] == ["0", "1", "2", "3", "4", "5", "6", "7"]
    assert resume.calls[0].request.headers["last-event-id"] == "3"


# -- the delivered-id bookkeeping stays small -------------------------------------------------


def test_delivered_ids_of_a_long_stream_take_one_run() -> None:
    ids = DeliveredIds()
    for n in range(1, 100_001):
        assert ids.add(str(n))
    assert len(ids) == 2  # one run [1, 100000], whatever the length of the stream
    assert not ids.add("1") and not ids.add("50000") and not ids.add("100000")
    assert ids.add("100001") and len(ids) == 2


def test_delivered_ids_exact_for_gaps_disorder_and_other_forms() -> None:
    ids = DeliveredIds()
    for frame_id in ["5", "6", "9", "10", "2", "abc", "07", "0", "1e3"]:
        assert ids.add(frame_id), frame_id
    assert len(ids) == 4 + 5  # runs [5,6] and [9,10]; "2" (below the highest), "abc", "07", "0", "1e3" as strings
    for replay in ["5", "6", "9", "10", "2", "abc", "07", "0", "1e3"]:
        assert not ids.add(replay), replay
    for new in ["7", "8", "3", "11", "007", "+5", " 5", "٥"]:  # "٥" is an Arabic-Indic five, not "5"
        assert ids.add(new), new


def test_resume_with_many_frames_keeps_ids_as_runs(client: PromptRails, mock: respx.MockRouter) -> None:
    many = [("1", "execution", RUN[0][2])]
    many += [(str(i), "content", '{"content":"x"}') for i in range(2, 2001)]
    mock.post(STREAM).mock(return_value=sse(BrokenStream([frames(*many[:1000])], httpx.ReadError("cut"))))
    mock.get(RESUME).mock(return_value=sse(frames(*many[500:], ("2001", "done", RUN[-1][2]))))  # replays 501..1000
    stream = client.chat.send_message_stream("s1", content="Hi")
    events = list(stream)
    assert [e.event_id for e in events] == [str(i) for i in range(1, 2002)]  # each exactly once
    assert len(stream._state.delivered) == 2
