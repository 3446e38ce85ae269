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
