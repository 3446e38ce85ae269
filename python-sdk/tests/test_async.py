"""AsyncPromptRails: the same methods, pages, streams and policy as the sync client."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from conftest import EXECUTION, KEY, MESSAGE, REPLY, RUN, SESSION, SSE_HEADERS, BrokenStream, Sleeps, error_body, frames, meta
from promptrails import (
    APIConnectionError,
    AsyncPage,
    AsyncPager,
    AsyncPromptRails,
    AsyncStream,
    ContentEvent,
    DoneEvent,
    ErrorEvent,
    InvalidArgumentError,
    NotFoundError,
    RateLimitError,
    StreamError,
)

pytestmark = pytest.mark.asyncio

STREAM = "/api/v1/chat/sessions/s1/messages/stream"
RESUME = "/api/v1/executions/e1/stream"


def sse(body: bytes | BrokenStream) -> httpx.Response:
    if isinstance(body, BrokenStream):
        return httpx.Response(200, headers=SSE_HEADERS, stream=body)
    return httpx.Response(200, headers=SSE_HEADERS, content=body)


async def test_every_method(aclient: AsyncPromptRails, mock: respx.MockRouter) -> None:
    mock.post("/api/v1/chat/sessions").respond(201, json={"data": SESSION})
    mock.get("/api/v1/chat/sessions/s1").respond(200, json={"data": SESSION})
    upd = mock.patch("/api/v1/chat/sessions/s1").respond(200, json={"data": {**SESSION, "title": None}})
    mock.delete("/api/v1/chat/sessions/s1").respond(204)
    mock.get("/api/v1/chat/sessions/s1/messages").respond(200, json={"data": [MESSAGE], "meta": meta()})
    mock.post("/api/v1/chat/sessions/s1/messages").respond(200, json={"data": REPLY})
    mock.delete("/api/v1/chat/sessions/s1/messages/m1").respond(204)
    mock.post("/api/v1/chat/sessions/s1/feedback").respond(200, json={"data": {"submitted": True}})
    mock.get("/api/v1/executions/e1").respond(200, json={"data": EXECUTION})
    async with aclient as c:
        assert (await c.chat.create_session(agent_id="echo", title="T")).id == "s1"
        assert (await c.chat.get_session("s1")).title == "Support Conversation"
        assert (await c.chat.update_session("s1", title=None)).title is None
        assert json.loads(upd.calls[0].request.content) == {"title": None}
        assert await c.chat.delete_session("s1") is None
        page = await c.chat.list_messages("s1")
        assert isinstance(page, AsyncPage) and page.data[0].content == "Hi"
        reply = await c.chat.send_message("s1", content="Hi")
        assert reply.content == "You said: Hi" and reply.execution_id == "e1" and reply.user_message.id == "m1"
        assert await c.chat.delete_message("s1", "m1") is None
        assert (await c.chat.submit_feedback("s1", execution_id="e1", value=1)).submitted
        assert (await c.executions.get("e1")).output_text == "You said: Hi"
    assert c._client._http.is_closed


async def test_async_for_over_every_page(aclient: AsyncPromptRails, mock: respx.MockRouter) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        n = int(request.url.params.get("page", "1"))
        return httpx.Response(200, json={"data": [{**SESSION, "id": f"s{n}"}], "meta": meta(page=n, total_pages=3, total=3, limit=1)})

    mock.get("/api/v1/chat/sessions").mock(side_effect=answer)
    first = await aclient.chat.list_sessions(limit=1)
    assert [s.id async for s in first] == ["s1", "s2", "s3"]
    assert first.has_next_page()
    assert (await first.get_next_page()).meta.page == 2
    assert [p.meta.page async for p in first.iter_pages()] == [1, 2, 3]


async def test_async_for_without_await_walks_every_page(aclient: AsyncPromptRails, mock: respx.MockRouter) -> None:
    # As with the sync client, a list call can be iterated directly: `async for s in client.chat.list_sessions()`.
    def answer(request: httpx.Request) -> httpx.Response:
        n = int(request.url.params.get("page", "1"))
        return httpx.Response(200, json={"data": [{**SESSION, "id": f"s{n}"}], "meta": meta(page=n, total_pages=3, total=3, limit=1)})

    route = mock.get("/api/v1/chat/sessions").mock(side_effect=answer)
    pager = aclient.chat.list_sessions(limit=1)
    assert isinstance(pager, AsyncPager)
    assert route.call_count == 0, "nothing is sent until the pager is awaited or iterated"
    assert [s.id async for s in pager] == ["s1", "s2", "s3"]
    assert route.call_count == 3
    assert [s.id async for s in aclient.chat.list_sessions(limit=1)] == ["s1", "s2", "s3"]


async def test_async_list_arguments_are_checked_before_sending(aclient: AsyncPromptRails, mock: respx.MockRouter) -> None:
    route = mock.get("/api/v1/chat/sessions/s1/messages")
    with pytest.raises(InvalidArgumentError):
        await aclient.chat.list_messages("s1", limit="ten")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError):
        [m async for m in aclient.chat.list_messages("")]
    assert route.call_count == 0


async def test_errors_and_retries(aclient: AsyncPromptRails, mock: respx.MockRouter, sleeps: Sleeps) -> None:
    route = mock.post("/api/v1/chat/sessions/s1/messages")
    route.side_effect = [
        httpx.Response(429, headers={"Retry-After": "1"}, json=error_body("rate_limited", "slow")),
        httpx.ReadError("reset"),
        httpx.Response(200, json={"data": REPLY}),
    ]
    await aclient.chat.send_message("s1", content="Hi")
    assert sleeps.calls == [1.0, 1.0]  # Retry-After, then min(0.5 * 2**1, 8) * jitter(1.0)
    assert len({c.request.headers["idempotency-key"] for c in route.calls}) == 1
    mock.get("/api/v1/chat/sessions/nope").respond(404, json=error_body("not_found", "Chat session not found."))
    with pytest.raises(NotFoundError, match="404 not_found: Chat session not found."):
        await aclient.chat.get_session("nope")
    mock.get("/api/v1/chat/sessions/rl").respond(429)
    with pytest.raises(RateLimitError):
        await aclient.chat.get_session("rl", max_retries=0)
    mock.get("/api/v1/chat/sessions/down").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(APIConnectionError) as info:
        await aclient.chat.get_session("down")
    assert KEY not in str(info.value.request.headers)  # type: ignore[union-attr]
    with pytest.raises(InvalidArgumentError):
        await aclient.chat.get_session("")


async def test_stream_and_until_done(aclient: AsyncPromptRails, mock: respx.MockRouter) -> None:
    mock.post(STREAM).mock(return_value=sse(frames(*RUN)))
    stream = await aclient.chat.send_message_stream("s1", content="Hi")
    assert isinstance(stream, AsyncStream)
    text = ""
    async with stream:
        async for event in stream:
            if isinstance(event, ContentEvent):
                text += event.content
            elif isinstance(event, DoneEvent):
                break
    assert text == "You said: Hi"
    result = await (await aclient.chat.send_message_stream("s1", content="Hi")).until_done()
    assert result.output_text == "You said: Hi" and result.usage.total_tokens == 4


async def test_stream_error_event(aclient: AsyncPromptRails, mock: respx.MockRouter) -> None:
    mock.post(STREAM).mock(return_value=sse(frames(RUN[0], ("2", "error", '{"message":"boom"}'))))
    with pytest.raises(StreamError) as info:
        await (await aclient.chat.send_message_stream("s1", content="Hi")).final()
    assert isinstance(info.value.event, ErrorEvent)


async def test_stream_open_error_typed(aclient: AsyncPromptRails, mock: respx.MockRouter) -> None:
    mock.post(STREAM).respond(404, json=error_body("not_found", "no"))
    with pytest.raises(NotFoundError):
        await aclient.chat.send_message_stream("s1", content="Hi")


async def test_stream_resume(aclient: AsyncPromptRails, mock: respx.MockRouter) -> None:
    mock.post(STREAM).mock(return_value=sse(BrokenStream([frames(*RUN[:3])], httpx.RemoteProtocolError("cut"))))
    resume = mock.get(RESUME).mock(return_value=sse(frames(*RUN[1:])))
    stream = await aclient.chat.send_message_stream("s1", content="Hi")
    ids = [e.event_id async for e in stream]
    assert ids == ["1", "2", "3", "4", "5", "6", "7"]
    assert resume.calls[0].request.headers["last-event-id"] == "3"


async def test_stream_without_terminal_raises(aclient: AsyncPromptRails, mock: respx.MockRouter) -> None:
    mock.post(STREAM).mock(return_value=sse(frames(*RUN[:2])))
    mock.get(RESUME).mock(return_value=sse(b""))
    stream = await aclient.chat.send_message_stream("s1", content="Hi")
    with pytest.raises(StreamError):
        async for _ in stream:
            pass


async def test_executions_stream(aclient: AsyncPromptRails, mock: respx.MockRouter) -> None:
    route = mock.get(RESUME).mock(return_value=sse(frames(*RUN)))
    events = [e async for e in await aclient.executions.stream("e1")]
    assert len(events) == 7 and "last-event-id" not in route.calls[0].request.headers
