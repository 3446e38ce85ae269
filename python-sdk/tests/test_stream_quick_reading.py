"""The quick reading of stream events (issue 14: the common case without the general reader)
gives exactly what the general reader gives, and leaves every other case to it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from promptrails import ContentEvent, DoneEvent, ExecutionEvent, StreamError, ToolEndEvent
from promptrails._core._reading import Reader, shape_of
from promptrails._core.sse import SSEParser
from promptrails.events import CHAT_STREAM_FRAME_SPEC as SPEC


def decoded(name: str, data: str, strict: bool = False) -> Any:
    (frame,) = SSEParser().feed(f"id: 9\nevent: {name}\ndata: {data}\n\n".encode())
    return SPEC.decode(frame, strict=strict)


def general(cls: type, data: str) -> Any:
    return Reader().model(shape_of(cls), json.loads(data), event_id="9")


def same(a: Any, b: Any) -> None:
    assert type(a) is type(b)
    assert a == b
    assert a.additional_properties == b.additional_properties
    assert a._present == b._present
    assert a.to_dict() == b.to_dict()


@pytest.mark.parametrize(
    ("cls", "name", "data"),
    [
        (ContentEvent, "content", '{"content":"Hel"}'),
        (ContentEvent, "content", '{"content":"caf\u00e9 \\u2028"}'),
        (ExecutionEvent, "execution", '{"execution_id":"e1","user_message_id":"m1"}'),
        (ExecutionEvent, "execution", '{"execution_id":"e1"}'),  # an optional field left out
        (ExecutionEvent, "execution", '{"execution_id":"e1","user_message_id":null}'),
        (ToolEndEvent, "tool_end", '{"id":"c1","name":"search","summary":"3 hits"}'),
        (ToolEndEvent, "tool_end", '{"summary":"3 hits","name":"search","id":"c1"}'),  # another key order
        (ToolEndEvent, "tool_end", '{"id":"c1","name":"search","summary":null}'),
        # As many keys as the class has fields, but not its keys / one of a wrong type.
        (ExecutionEvent, "execution", '{"execution_id":"e1","other":"m1"}'),
        (ExecutionEvent, "execution", '{"execution_id":"e1","user_message_id":5}'),
        (ExecutionEvent, "execution", '{"execution_id":7,"user_message_id":"m1"}'),
        # Cases for the general reader: a key the contract does not name, a wrong type, a
        # required field missing, a nested model, whitespace around the JSON.
        (ContentEvent, "content", '{"content":"x","extra":1}'),
        (ContentEvent, "content", '{"content":5}'),
        (ContentEvent, "content", "{}"),
        (DoneEvent, "done", '{"output":{"content":"hi"},"token_usage":{"prompt_tokens":1},"time":1.5}'),
        (ContentEvent, "content", ' {"content":"x"} '),
    ],
)
def test_quick_reading_is_the_general_reading(cls: type, name: str, data: str) -> None:
    same(decoded(name, data), general(cls, data.strip()))
    if cls is not DoneEvent:  # plain fields: read quickly when the data is the common case
        assert SPEC.__dict__["_plans"][name][1] is not None


def test_strict_reading_still_refuses_what_departs_from_the_contract() -> None:
    assert decoded("content", '{"content":"x"}', strict=True).content == "x"
    with pytest.raises(StreamError, match="contract"):
        decoded("content", '{"content":5}', strict=True)
    with pytest.raises(StreamError, match="contract"):
        decoded("content", "{}", strict=True)


def test_malformed_data_is_a_stream_error() -> None:
    with pytest.raises(StreamError, match="malformed JSON"):
        decoded("content", '{"content":"x"')
    with pytest.raises(StreamError, match="not a JSON object"):
        decoded("content", '["x"]')
    # Invalid UTF-8 is replaced, as the SSE rules say, and the JSON still reads.
    (frame,) = SSEParser().feed(b'event: content\ndata: {"content":"a\xff"}\n\n')
    assert SPEC.decode(frame).content == "a\ufffd"


def test_the_quick_reader_declines_what_it_does_not_read() -> None:
    """Called directly: None (the general reader's case) for data that is not the common case,
    whether or not it holds as many keys as the class has fields."""
    SPEC.decode(SSEParser().feed(b'event: execution\ndata: {"execution_id":"e1"}\n\n')[0])
    quick = SPEC.__dict__["_plans"]["execution"][1]
    assert quick({"execution_id": "e1", "user_message_id": 5}, None) is None
    assert quick({"execution_id": "e1", "user_message_id": "m1", "x": 1}, None) is None
    assert quick({"user_message_id": "m1"}, None) is None  # the required field missing
    assert quick({"execution_id": "e1", "x": "m1"}, None) is None
    event = quick({"user_message_id": "m1", "execution_id": "e1"}, "4")
    assert (event.execution_id, event.user_message_id, event.event_id) == ("e1", "m1", "4")
    assert event.additional_properties == {} and event._present == {"execution_id", "user_message_id"}


# -- a typed stream reads the usual events without a Frame: the same events and bookkeeping --

# A run with every case the usual-event step leaves to the general one: the first id, a frame
# without `id:` (the id persists), data the quick reader declines, an id jump, data with
# whitespace, an id that is not a number, an empty `id:` (which clears the last id), an
# unknown event, invalid UTF-8, an event without `event:` (message), and a replayed frame.
_MIXED = [
    b'id: 1\nevent: execution\ndata: {"execution_id":"e1","user_message_id":"m1"}\n\n',
    b'id: 2\nevent: content\ndata: {"content":"a"}\n\n',
    b'event: content\ndata: {"content":"b"}\n\n',
    b'id: 3\nevent: content\ndata: {"content":"c","extra":1}\n\n',
    b'id: 5\nevent: content\ndata: {"content":"d"}\n\n',
    b'id: 6\nevent: content\ndata:  {"content":"e"} \n\n',
    b'id: x7\nevent: thinking\ndata: {"content":"f"}\n\n',
    b'id: 8\nevent: content\ndata: {"content":"g\xff"}\n\n',
    b'id: 9\nevent: citation\ndata: {"n":1}\n\n',
    b'id: 10\ndata: {"n":2}\n\n',
    b'id: 6\nevent: content\ndata: {"content":"e"}\n\n',  # already delivered: skipped
    b'event: content\ndata: {"content":"r"}\n\n',  # its id is the skipped frame's
    b'id: \nevent: content\ndata: {"content":"h"}\n\n',
    b'event: tool_start\ndata: {"id":"t1","name":"lookup"}\n\n',
    b'id: 11\nevent: done\ndata: {"output":"x","token_usage":{"prompt_tokens":1},"time":0}\n\n',
]


def _expected() -> tuple[list[Any], list[str | None]]:
    """The events the general reading gives (`decode` per frame, `_State.accept` deciding
    what is delivered), and the last id it keeps after each."""
    from promptrails._core._streaming import _State

    state = _State(SPEC, {})
    out = []
    ids = []
    for frame in SSEParser().feed(b"".join(_MIXED)):
        event = SPEC.decode(frame)
        if state.accept(frame, event):
            out.append(event)
            ids.append(state.last_id)
    return out, ids


def _chunkings() -> dict[str, list[bytes]]:
    whole = b"".join(_MIXED)
    return {"whole": [whole], "frames": list(_MIXED), "bytes": [whole[i : i + 1] for i in range(len(whole))],
            "pairs": [b"".join(_MIXED[i : i + 2]) for i in range(0, len(_MIXED), 2)]}


def _same_events(got: list[Any], want: list[Any]) -> None:
    assert len(got) == len(want)
    for a, b in zip(got, want):
        assert type(a) is type(b) and a == b
        if hasattr(b, "_present"):
            same(a, b)


@pytest.mark.parametrize("chunking", list(_chunkings()))
def test_a_stream_delivers_what_the_general_reading_gives(chunking: str) -> None:
    import httpx
    from promptrails import PromptRails

    want, last_ids = _expected()
    assert [getattr(e, "event_id", None) for e in want] == ["1", "2", None, "3", "5", "6", "x7", "8", "9", "10", None,
                                                            None, None, "11"]
    assert last_ids[-4:] == ["6", "6", "6", "11"]  # a frame without `id:` after a skipped one takes its id
    chunks = _chunkings()[chunking]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=iter(chunks))

    http = httpx.Client(transport=httpx.MockTransport(handler))
    with PromptRails("k", base_url="http://x", http_client=http) as client:
        stream = client.chat.send_message_stream("s1", content="Hi")
        got = []
        for event in stream:
            got.append(event)
            assert stream.resume_point() == ({"execution_id": "e1"}, last_ids[len(got) - 1])
        _same_events(got, want)
        assert stream._state.count == len(want) and stream.ended
        assert stream._state.delivered._next == "12"


@pytest.mark.parametrize("chunking", list(_chunkings()))
def test_an_async_stream_delivers_what_the_general_reading_gives(chunking: str) -> None:
    import asyncio

    import httpx
    from promptrails import AsyncPromptRails

    want, last_ids = _expected()
    chunks = _chunkings()[chunking]

    async def body() -> Any:
        for c in chunks:
            yield c

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body())

    async def run() -> None:
        http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        async with AsyncPromptRails("k", base_url="http://x", http_client=http) as client:
            stream = await client.chat.send_message_stream("s1", content="Hi")
            got = []
            async for event in stream:
                got.append(event)
                assert stream.resume_point() == ({"execution_id": "e1"}, last_ids[len(got) - 1])
            _same_events(got, want)
        await http.aclose()

    asyncio.run(run())
