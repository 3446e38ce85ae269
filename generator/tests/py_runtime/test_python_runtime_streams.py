"""Stream styles in the runtime (`_core/_streaming.py`): how an event is recognised
(dispatch by SSE name, by a property of the data, or every frame the one event), how a
stream ends (terminal event, sentinel, connection closing), what its data is (an object, plain
text, any JSON), and resuming through the route's bindings and carriers."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
import pytest
from notebook import DeltaEvent, FinishedEvent, StartedEvent, StreamError, UnknownEvent
from notebook._core import (
    RequestOptions,
    ResumeSpec,
    SdkIdentity,
    Stream,
    StreamResult,
    StreamSpec,
    SyncHTTPClient,
    ValuePath,
)
from notebook._core._reading import Value

H = {"content-type": "text/event-stream"}


@dataclasses.dataclass(frozen=True)
class TextEvent:
    data: str
    event_id: str | None = None


@dataclasses.dataclass(frozen=True)
class JsonEvent:
    data: Any
    event_id: str | None = None


def _result(text: str, terminal: Any, events: tuple[Any, ...], output: Any, usage: Any) -> StreamResult[Any]:
    return StreamResult(text=text, terminal=terminal, events=events)


def _spec(**kw: Any) -> StreamSpec[Any, StreamResult[Any]]:
    base: dict[str, Any] = {"name": "S", "events": {}, "terminal": frozenset(), "failure": frozenset(),
                            "make_result": _result}
    return StreamSpec(**{**base, **kw})


def _open(spec: StreamSpec[Any, Any], bodies: list[bytes] | list[list[bytes]], seen: list[httpx.Request] | None = None,
          resume: bool = False) -> Stream[Any, Any]:
    """A stream over answers of `bodies` (a body in one chunk, or the chunks of one)."""
    answers = iter(bodies)

    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        body = next(answers)
        return httpx.Response(200, content=body if isinstance(body, bytes) else iter(body), headers=H)

    client = SyncHTTPClient(
        SdkIdentity(name="T", package="tsdk", slug="t", version="1", env_prefix="T", default_base_url="https://t.test"),
        credentials={}, base_url=None, timeout=5.0, max_retries=2, default_headers=None,
        http_client=httpx.Client(transport=httpx.MockTransport(handler)), sleep=lambda s: None, clock=None,
        random=None,
    )
    request = {"method": "get", "url": "/s"}
    response = client.send(request, RequestOptions(), stream=True, event_stream=True)
    return Stream(client, spec, request, RequestOptions(), response, opening={})


def test_event_dispatch_with_a_terminal_event() -> None:
    spec = _spec(events={"started": StartedEvent, "delta": DeltaEvent, "finished": FinishedEvent},
                 terminal=frozenset({"finished"}), delta=ValuePath("delta", ("text",)))
    body = (b'event: started\ndata: {"note_id": "n"}\n\nevent: delta\ndata: {"text": "a"}\n\n'
            b'event: new\ndata: x\n\nevent: finished\ndata: {"summary": "a"}\n\nevent: delta\ndata: {"text": "late"}\n\n')
    events = list(_open(spec, [body]))
    assert [type(e) for e in events] == [StartedEvent, DeltaEvent, UnknownEvent, FinishedEvent]
    assert _open(spec, [body]).until_done().text == "a"


@pytest.mark.parametrize("chunking", ["whole", "frames"])
def test_usual_events_end_the_stream_and_are_skipped_when_replayed(chunking: str) -> None:
    """Events read the usual way (no Frame, their quick reader) are accepted as any other:
    a replay of one is skipped, a terminal one ends the stream."""
    spec = _spec(events={"delta": DeltaEvent, "started": StartedEvent}, terminal=frozenset({"started"}))
    parts = [b'id: 1\nevent: delta\ndata: {"text": "a"}\n\n', b'id: 2\nevent: delta\ndata: {"text": "b"}\n\n',
             b'id: 2\nevent: delta\ndata: {"text": "b"}\n\n', b'id: 3\nevent: started\ndata: {"note_id": "n"}\n\n',
             b'id: 4\nevent: delta\ndata: {"text": "late"}\n\n']
    stream = _open(spec, [b"".join(parts)] if chunking == "whole" else [parts])
    assert spec._lane(b"delta") and spec._lane(b"started")  # both read the usual way
    assert [(type(e), e.event_id) for e in stream] == [(DeltaEvent, "1"), (DeltaEvent, "2"), (StartedEvent, "3")]
    assert stream.ended and stream.resume_point() == ({}, "3")


def test_property_dispatch_reads_the_tag_from_the_data() -> None:
    spec = _spec(dispatch="property", data_property="kind", events={"delta": DeltaEvent, "finished": FinishedEvent},
                 terminal=frozenset({"finished"}), delta=ValuePath("delta", ("text",)))
    body = (b'event: whatever\ndata: {"kind": "delta", "text": "x"}\n\ndata: {"kind": "other"}\n\n'
            b'data: {"kind": "finished", "summary": "x"}\n\n')
    events = list(_open(spec, [body]))
    assert [type(e) for e in events] == [DeltaEvent, UnknownEvent, FinishedEvent] and events[1].event == "other"
    with pytest.raises(StreamError, match="not a JSON object"):
        list(_open(spec, [b"data: [1]\n\n"]))


def test_single_dispatch_ended_by_its_sentinel() -> None:
    spec = _spec(dispatch="single", events={"message": DeltaEvent}, sentinel="[DONE]", delta=ValuePath("message", ("text",)))
    body = b'data: {"text": "a"}\n\nevent: odd\ndata: {"text": "b"}\n\ndata: [DONE]\n\ndata: {"text": "never"}\n\n'
    events = list(_open(spec, [body]))
    assert [e.text for e in events] == ["a", "b"]
    result = _open(spec, [body]).until_done()
    assert result.text == "ab" and result.terminal is None


def test_without_its_end_a_stream_fails_and_with_eof_ends_it_does_not() -> None:
    body = b'data: {"text": "a"}\n\n'
    spec = _spec(dispatch="single", events={"message": DeltaEvent}, sentinel="[DONE]")
    with pytest.raises(StreamError, match="ended without"):
        list(_open(spec, [body, body, body]))
    eof = _spec(dispatch="single", events={"message": DeltaEvent}, eof_ends=True)
    assert [e.text for e in _open(eof, [body])] == ["a"]


def test_text_and_json_data() -> None:
    spec = _spec(events={"t": TextEvent, "j": JsonEvent, "n": JsonEvent}, formats={"t": "text", "j": "json", "n": "json"},
                 data_shapes={"n": Value("array", items=Value("integer"))}, eof_ends=True, delta=ValuePath("t", ()))
    body = b"event: t\ndata: line 1\ndata: line 2\n\nevent: j\ndata: [1, {\"a\": null}]\n\nevent: n\ndata: [1, 2.0]\n\n"
    events = list(_open(spec, [body]))
    assert events == [TextEvent("line 1\nline 2"), JsonEvent([1, {"a": None}]), JsonEvent([1, 2])]
    assert _open(spec, [body]).until_done().text == "line 1\nline 2"
    with pytest.raises(StreamError, match="cannot be read"):
        list(_open(spec, [b"event: n\ndata: {}\n\n"]))


def test_resume_takes_its_parameters_from_the_carriers_only() -> None:
    built: list[tuple[dict[str, str], str]] = []

    def build(params: Any, last_event_id: str) -> dict[str, Any]:
        built.append((dict(params), last_event_id))
        return {"method": "get", "url": f"/resume/{params['note']}", "headers": {"Last-Event-Id": last_event_id}}

    spec = _spec(events={"started": StartedEvent, "delta": DeltaEvent, "finished": FinishedEvent},
                 terminal=frozenset({"finished"}),
                 resume=ResumeSpec(bindings=(("note", "note_id"),), carriers=frozenset({"started"}), build=build))
    first = b'id: 1\nevent: delta\ndata: {"text": "x"}\n\nid: 2\nevent: started\ndata: {"note_id": "n9"}\n\n'
    rest = b'id: 2\nevent: started\ndata: {"note_id": "n9"}\n\nid: 3\nevent: finished\ndata: {"summary": "s"}\n\n'
    seen: list[httpx.Request] = []
    events = list(_open(spec, [first, rest], seen))
    assert [type(e) for e in events] == [DeltaEvent, StartedEvent, FinishedEvent]  # the replayed frame 2 skipped
    assert built == [({"note": "n9"}, "2")] and seen[1].url.path == "/resume/n9"
    assert seen[1].headers["last-event-id"] == "2"
