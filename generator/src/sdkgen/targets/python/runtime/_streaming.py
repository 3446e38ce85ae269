"""Typed event streams over Server-Sent Events, with resume (RUNTIME.md "Streams").

A generated `StreamSpec` says how the stream is written (the generator's IR decides it
from the spec): how an event is recognised (`dispatch`: the SSE `event:` name, a property
of the JSON data such as `type`, or every frame the one event), how the stream ends (a
terminal event, a `sentinel` data such as `[DONE]`, or, with `eof_ends`, the connection
closing), what each event's data is (a JSON object read into its class, plain text, or
any JSON value), how to aggregate a run (text deltas, output, usage) and, when the spec
has a route for it, how to resume.

The caller sees each frame exactly once: after a drop (connection error, idle timeout, or
the connection closing before the stream's end) the stream reconnects to the resume route
with the last event id seen and skips frames whose id it already delivered. Before the
first event reached the caller, the original request is re-sent instead (same
Idempotency-Key). Reconnects follow the retry policy; the count resets whenever a
connection delivers a frame.

A stream is an explicit state machine (`__next__` reads the current connection), not a
generator: a generator would hold the stream and the stream the generator, a reference
cycle that only the cyclic garbage collector could free, at an arbitrary moment. How each
connection is released (reused after the end, closed when dropped) is in `_lifecycle.py`.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Generic, Protocol, TypeVar, cast

import httpx

from ._errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    StreamError,
)
from ._http import AsyncHTTPClient, SyncHTTPClient
from ._lifecycle import AsyncConnection, SyncConnection
from ._reading import Reader, Unusable, Value, json_scan, quick_reader, shape_of, value_at
from ._retry import should_retry
from ._types import RequestOptions
from .sse import DEFAULT_MAX_EVENT_SIZE, Frame, ServerSentEvent, SSEParser, Usual, _name

__all__ = [
    "AsyncStream",
    "DeliveredIds",
    "ResumeSpec",
    "Stream",
    "StreamEvent",
    "StreamResult",
    "StreamSpec",
    "UnknownEvent",
    "ValuePath",
]

EventT = TypeVar("EventT")
ResultT = TypeVar("ResultT")

# What a stream reads per "object" event name, made once (`StreamSpec._plan`): the class, its
# quick reader (None when it has none), the name, whether the event is terminal, whether it
# carries the resume route's parameters.
_Plan = tuple[type, Callable[[dict[str, Any], Any], Any] | None, str, bool, bool]


class StreamEvent(Protocol):
    @property
    def event_id(self) -> str | None: ...


@dataclass(frozen=True)
class UnknownEvent:
    """An event name the spec does not know: delivered, never dropped, never a crash."""

    event: str
    data: str
    event_id: str | None = None


@dataclass(frozen=True)
class ResumeSpec:
    """How to reconnect: `bindings` pair each path parameter of the resume route (wire name)
    with the event field that feeds it (wire name), read from the first `carriers` event
    that has them (or given by the call that opened the stream); `build(params,
    last_event_id)` returns the resume request."""

    bindings: tuple[tuple[str, str], ...]
    carriers: frozenset[str]
    build: Callable[[Mapping[str, str], str], Mapping[str, Any]]
    security: tuple[tuple[str, ...], ...] = ()
    accept: str | None = "text/event-stream"


@dataclass(frozen=True)
class ValuePath:
    """Where an event carries a value: `path` (wire keys and list indexes) into the data of
    the `event` events."""

    event: str
    path: tuple[str | int, ...] | list[str | int]


@dataclass(frozen=True)
class StreamResult(Generic[EventT]):
    """What a whole run produced: the concatenated text deltas, the terminal event (None
    when the stream ended by its sentinel or by closing) and every event in order.
    Generated subclasses add typed `output` and `usage`."""

    text: str
    terminal: Any
    events: tuple[EventT, ...]


@dataclass(frozen=True)
class StreamSpec(Generic[EventT, ResultT]):
    """The generated description of one event stream (see the module docstring).

    `events` maps each event's name to its class: the SSE `event:` name (dispatch
    "event"), the value of `data_property` in the data (dispatch "property"), or the one
    event of a "single" stream. `formats` says how an event's data reads: "object" (a JSON
    object, read into the class from its registered shape), "text" (the data as a string,
    the class's `data`), "json" (any JSON value, the class's `data`)."""

    name: str
    events: Mapping[str, type]
    terminal: frozenset[str]
    failure: frozenset[str]  # terminal events meaning the run failed
    make_result: Callable[[str, Any, tuple[EventT, ...], Any, Any], ResultT]
    dispatch: str = "event"
    data_property: str | None = None
    formats: Mapping[str, str] = field(default_factory=dict)
    data_shapes: Mapping[str, Value] = field(default_factory=dict)  # "json" events: the data's shape
    sentinel: str | None = None
    eof_ends: bool = False
    delta: ValuePath | None = None  # string values that concatenate to the text
    output: ValuePath | None = None
    usage: ValuePath | None = None
    resume: ResumeSpec | None = None
    max_event_size: int = DEFAULT_MAX_EVENT_SIZE
    failure_message: Callable[[Any], str] = field(default=lambda e: _failure_text(e))

    def __post_init__(self) -> None:
        # The event name of each class, looked up once per event (not a field: `replace` rebuilds it).
        object.__setattr__(self, "_names", {cls: name for name, cls in self.events.items()})
        # Per event name of an "object" event, its `_Plan` (or () for another event): made
        # on first use, as the shapes register when the SDK is imported. `_lanes`: the same
        # per `event:` value as the parser hands it out (bytes; None without that line),
        # for the events a quick reader reads (else ()).
        object.__setattr__(self, "_plans", {})
        object.__setattr__(self, "_lanes", {})
        object.__setattr__(self, "_sentinel", self.sentinel.encode() if self.sentinel is not None else None)

    def _plan(self, name: str) -> _Plan | tuple[()]:
        cls = self.events.get(name)
        plan: _Plan | tuple[()] = ()
        if cls is not None and self.formats.get(name, "object") == "object":
            try:
                quick = quick_reader(shape_of(cls), "event_id")
            except KeyError:
                quick = None
            resume = self.resume
            plan = (cls, quick, name, name in self.terminal, resume is not None and name in resume.carriers)
        plans: dict[str, _Plan | tuple[()]] = self.__dict__["_plans"]
        if len(plans) < 1024:  # names the spec does not know are not kept beyond that
            plans[name] = plan
        return plan

    def _lane(self, event: bytes | None) -> _Plan | tuple[()]:
        """The plan of the events whose `event:` value is `event` (as the parser hands it
        out), when a quick reader reads them (else ())."""
        name = (_name(event) if event else "message") if self.dispatch == "event" else ""
        plan = self.__dict__["_plans"].get(name) if name else ()
        if plan is None:
            plan = self._plan(name)
        lane: _Plan | tuple[()] = plan if plan and plan[1] is not None else ()
        lanes: dict[bytes | None, _Plan | tuple[()]] = self.__dict__["_lanes"]
        if len(lanes) < 1024:
            lanes[event] = lane
        return lane

    def decode(
        self, sse: Frame | ServerSentEvent, *, strict: bool = False, response: httpx.Response | None = None
    ) -> EventT | UnknownEvent:
        """The typed event of a frame. Data that cannot be read at all (malformed JSON where
        JSON is due, data that is not an object where an object is due) is a `StreamError`
        in both modes; with `strict`, so is data that departs from the contract (its cause
        is the `APIResponseValidationError`)."""
        # An event's id is its frame's own `id:` line; a frame without one has none, even
        # though the connection's last event ID (used for resuming) carries over.
        event_id = (sse.id or None) if getattr(sse, "own_id", True) else None
        raw: bytes | None = getattr(sse, "raw", None)  # a Frame: the data's bytes, decoded once below
        if raw is not None and self.dispatch == "event":
            name = sse.event or "message"
            plan = self.__dict__["_plans"].get(name)
            if plan is None:
                plan = self._plan(name)
            if plan:  # an "object" event
                cls, quick = plan[0], plan[1]
                payload = _json_data(raw, name)
                if quick is not None and type(payload) is dict:
                    quick_event: EventT | None = quick(payload, event_id)
                    if quick_event is not None:
                        return quick_event
                return self._object(cls, name, payload, sse.data, event_id, strict, response)
        data = sse.data or ""
        payload = None
        parsed = False
        if self.dispatch == "property":
            payload = _json_data(data, sse.event or "message")
            parsed = True
            tag = payload.get(self.data_property or "") if isinstance(payload, dict) else None
            name = tag if isinstance(tag, str) else ""
            if not isinstance(payload, dict):
                raise StreamError("the data of an event is not a JSON object", data=data)
        elif self.dispatch == "single":
            name = next(iter(self.events), "message")
        else:
            name = sse.event or "message"
        cls = self.events.get(name)
        if cls is None:
            return UnknownEvent(event=name or (sse.event or "message"), data=data, event_id=event_id)
        fmt = self.formats.get(name, "object")
        if fmt == "text":
            event: Any = cls(data=data, event_id=event_id)
            return cast(EventT, event)
        if not parsed:
            payload = _json_data(data, name)
        if fmt == "json":
            shape = self.data_shapes.get(name)
            if shape is None:
                return cast(EventT, cls(data=payload, event_id=event_id))
            reader = Reader()
            try:
                value = reader.top(shape, payload, "the data")
            except Unusable as exc:
                raise StreamError(f"the data of a {name!r} event cannot be read: {exc}", data=data) from exc
            self._check(reader, name, data, strict, response)
            return cast(EventT, cls(data=value, event_id=event_id))
        return self._object(cls, name, payload, data, event_id, strict, response)

    def _object(self, cls: type, name: str, payload: Any, data: str, event_id: str | None, strict: bool,
                response: httpx.Response | None) -> EventT:
        """An "object" event read from its parsed data (the general path)."""
        if not isinstance(payload, dict):
            raise StreamError(f"the data of a {name!r} event is not a JSON object", data=data)
        reader = Reader()
        try:
            decoded: EventT = reader.model(shape_of(cls), payload, event_id=event_id)
        except Unusable as exc:
            raise StreamError(f"the data of a {name!r} event cannot be read: {exc}", data=data) from exc
        self._check(reader, name, data, strict, response)
        return decoded

    @staticmethod
    def _check(reader: Reader, name: str, data: str, strict: bool, response: httpx.Response | None) -> None:
        if strict and reader.mismatches:
            first = reader.mismatches[0]
            cause = APIResponseValidationError(path=first.path, reason=first.reason, response=response, body=data)
            raise StreamError(
                f"the data of a {name!r} event does not match the API contract: {first}", data=data
            ) from cause

    def value_of(self, event: object, path: tuple[str | int, ...] | list[str | int]) -> Any:
        """The value at `path` in an event's data (a text or JSON-valued event: in its `data`)."""
        if isinstance(event, UnknownEvent):
            return None
        if self.formats.get(self.name_of(event), "object") != "object":
            return value_at(getattr(event, "data", None), path)
        return value_at(event, path)

    def text_piece(self, event: object) -> str | None:
        """The piece of text an event carries (the spec's text delta), or None."""
        delta = self.delta
        if delta is None or self.name_of(event) != delta.event:
            return None
        piece = self.value_of(event, delta.path)
        return piece if isinstance(piece, str) else None

    def is_terminal(self, event: object) -> bool:
        return self.name_of(event) in self.terminal

    def is_failure(self, event: object) -> bool:
        """Whether `event` is a terminal event meaning the run failed."""
        return self.name_of(event) in self.failure

    def name_of(self, event: object) -> str:
        if isinstance(event, UnknownEvent):
            return event.event
        names: dict[type, str] = self.__dict__["_names"]
        return names.get(type(event), "")

    def ends_cleanly_at_eof(self) -> bool:
        return self.eof_ends


_scan = json_scan


def _json_data(data: str | bytes, name: str) -> Any:
    """The JSON value of an event's data (bytes: UTF-8, invalid sequences replaced). The
    common case, a value with nothing around it, is one call into the C scanner; anything
    else (whitespace around it, invalid UTF-8, malformed JSON) goes through `json.loads`."""
    try:
        text = data.decode() if isinstance(data, bytes) else data
        value, end = _scan(text, 0)
        if end == len(text):
            return value
    except (UnicodeDecodeError, StopIteration, ValueError, RecursionError):
        pass
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise StreamError(f"malformed JSON in a {name!r} event: {exc}", data=text) from exc


def _failure_text(event: Any) -> str:
    """The message of a failure event: its `message`, or its `error`'s message, or the
    event's name."""
    for path in (("message",), ("error", "message"), ("error",)):
        value = value_at(event, list(path)) if not isinstance(event, UnknownEvent) else None
        if isinstance(value, str) and value:
            return value
    return "the run failed"


class _Aggregator(Generic[EventT, ResultT]):
    def __init__(self, spec: StreamSpec[EventT, ResultT]) -> None:
        self.spec = spec
        self.text: list[str] = []
        self.events: list[EventT | UnknownEvent] = []
        self.terminal: Any = None
        self.output: Any = None
        self.usage: Any = None

    def add(self, event: EventT | UnknownEvent) -> None:
        self.events.append(event)
        spec = self.spec
        name = spec.name_of(event)
        if spec.delta and name == spec.delta.event:
            piece = self._value(name, event, spec.delta.path)
            if isinstance(piece, str):
                self.text.append(piece)
        # The value of the last event that carried one (a non-null value).
        if spec.output and name == spec.output.event:
            value = self._value(name, event, spec.output.path)
            if value is not None:
                self.output = value
        if spec.usage and name == spec.usage.event:
            value = self._value(name, event, spec.usage.path)
            if value is not None:
                self.usage = value
        if name in spec.terminal:
            self.terminal = event

    def _value(self, name: str, event: object, path: tuple[str | int, ...] | list[str | int]) -> Any:
        return self.spec.value_of(event, path)

    def result(self, ended: bool) -> ResultT:
        if self.terminal is None and not ended:
            raise StreamError(f"the {self.spec.name} stream ended without a terminal event")
        if self.terminal is not None and self.spec.name_of(self.terminal) in self.spec.failure:
            raise StreamError(
                f"the run failed: {self.spec.failure_message(self.terminal)}", event=self.terminal
            )
        events: tuple[EventT, ...] = tuple(self.events)  # type: ignore[arg-type]
        return self.spec.make_result("".join(self.text), self.terminal, events, self.output, self.usage)


class DeliveredIds:
    """The ids of the frames delivered so far, to skip a frame replayed on resume (every
    frame reaches the caller exactly once). Exact and small: an id that is a decimal integer
    in canonical form (`0`, `7`, `120`: no sign, no leading zero) is kept in sorted runs of
    consecutive numbers, so the usual increasing ids `1, 2, 3, ...` take one run however long
    the stream; any other id, and a number below the highest one that no run holds (out of
    order), is kept in a set of strings."""

    __slots__ = ("_hi", "_lo", "_next", "_other")

    def __init__(self) -> None:
        self._lo: list[int] = []  # run i is [_lo[i], _hi[i]]; sorted, disjoint, not adjacent
        self._hi: list[int] = []
        self._other: set[str] = set()
        # The id that extends the last run (the usual next id), as text; before any run, an
        # id no frame has (a NUL: the SSE rules ignore an `id:` holding one).
        self._next = "\0"

    def add(self, frame_id: str) -> bool:
        """Record `frame_id`; False when it was already delivered."""
        if frame_id == self._next:  # the usual case: one more than the last id
            last = self._hi[-1] + 1
            self._hi[-1] = last
            self._next = str(last + 1)
            return True
        n = _canonical_number(frame_id)
        if n is not None:
            hi = self._hi
            if not hi or n > hi[-1] + 1:
                self._lo.append(n)
                hi.append(n)
                self._next = str(n + 1)
                return True
            if n == hi[-1] + 1:
                hi[-1] = n
                self._next = str(n + 1)
                return True
            i = bisect.bisect_left(hi, n)  # the first run that ends at or after n
            if i < len(hi) and self._lo[i] <= n:
                return False
        if frame_id in self._other:
            return False
        self._other.add(frame_id)
        return True

    def __len__(self) -> int:
        """How many values this keeps (runs count two): a measure of its memory."""
        return 2 * len(self._hi) + len(self._other)


def _canonical_number(frame_id: str) -> int | None:
    if not frame_id or len(frame_id) > 30 or not frame_id.isascii() or not frame_id.isdigit():
        return None
    if len(frame_id) > 1 and frame_id[0] == "0":
        return None
    return int(frame_id)


class _State:
    """What both stream flavours track across reconnects."""

    def __init__(self, spec: StreamSpec[Any, Any], seed: Mapping[str, str]) -> None:
        self.spec = spec
        # What `accept` reads per event, looked up once.
        self._names: dict[type, str] = spec.__dict__["_names"]
        self._terminal = spec.terminal
        self._resume = spec.resume
        self.params: dict[str, str] = dict(seed)  # resume route path parameters (wire names)
        self.delivered = DeliveredIds()
        self.last_id: str | None = None
        self.count = 0
        self.done = False  # ended cleanly: a terminal event, the sentinel, or EOF where it ends

    def accept(self, frame: Frame, event: object) -> bool:
        """Whether to deliver `event` (False: a replayed frame already delivered).
        Only a frame that carries its own `id:` line is compared (an id persists
        across frames without one)."""
        frame_id = frame.id
        if frame_id:
            if frame.own_id:
                delivered = self.delivered
                if frame_id == delivered._next:  # the usual next id (DeliveredIds.add, inlined)
                    last = delivered._hi[-1] + 1
                    delivered._hi[-1] = last
                    delivered._next = str(last + 1)
                elif not delivered.add(frame_id):
                    return False
            self.last_id = frame_id
        name = self._names.get(type(event))
        if name is None:
            name = self.spec.name_of(event)
        resume = self._resume
        if resume is not None and name in resume.carriers and len(self.params) < len(resume.bindings):
            # The resume parameters come from the first carrier event that has them.
            for param, wire in resume.bindings:
                value = value_at(event, [wire])
                if param not in self.params and isinstance(value, str | int) and not isinstance(value, bool):
                    if str(value):
                        self.params[param] = str(value)
        self.count += 1
        if name in self._terminal:
            self.done = True
        return True

    def resume_request(self) -> Mapping[str, Any] | None:
        resume = self.spec.resume
        if resume is None or self.last_id is None or any(p not in self.params for p, _ in resume.bindings):
            return None
        return resume.build(self.params, self.last_id)


class _End:
    """The stream ended cleanly on this read (its sentinel, or EOF where that ends it)."""


_END = _End()


def _drop_error(exc: BaseException | None, name: str) -> APIError:
    if isinstance(exc, APIError):
        return exc
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"the {name} stream was idle too long ({type(exc).__name__})")
    if isinstance(exc, httpx.TransportError):
        return APIConnectionError(f"the {name} stream's connection failed ({type(exc).__name__})")
    return StreamError(f"the {name} stream ended without a terminal event")


def _retryable(err: APIError) -> bool:
    if isinstance(err, APIStatusError):
        return should_retry(err.response)
    return isinstance(err, APIConnectionError)


class _Base(Generic[EventT, ResultT]):
    """What both flavours share: the spec, the opening call, the reading state."""

    _request_id: str | None = None

    def __init__(
        self,
        spec: StreamSpec[EventT, ResultT],
        request: Mapping[str, Any],
        options: RequestOptions,
        opening: Mapping[str, Any],
        seed: Mapping[str, str] | None,
        last_event_id: str | None,
        retries: int,
    ) -> None:
        self._spec = spec
        self._request = request
        self._options = options
        self._opening = dict(opening)  # idempotent, security, accept: how the call was sent
        self._state = _State(spec, seed or {})
        self._state.last_id = last_event_id
        self._retries = retries
        self._failures = 0
        # What `_frame` and `_usual` read per frame, looked up once (`_plans` and `_lanes`
        # fill in as names arrive).
        self._sentinel: bytes | None = spec.__dict__["_sentinel"]
        self._plans: dict[str, _Plan | tuple[()]] = spec.__dict__["_plans"]
        self._lanes: dict[bytes | None, _Plan | tuple[()]] = spec.__dict__["_lanes"]
        self._by_event = spec.dispatch == "event"
        self._bindings = len(spec.resume.bindings) if spec.resume is not None else 0

    @property
    def spec(self) -> StreamSpec[EventT, ResultT]:
        """The stream's generated description."""
        return self._spec

    @property
    def ended(self) -> bool:
        """Whether the stream reached its end (a terminal event, its sentinel, or EOF where
        that ends it)."""
        return self._state.done

    def resume_point(self) -> tuple[dict[str, str], str | None]:
        """Where the run could be followed from: the resume route's path parameters seen so
        far (wire names; empty until the event naming the run arrived) and the last event id."""
        return dict(self._state.params), self._state.last_id

    def _usual(self, plan: _Plan | tuple[()], data: bytes, last_id: str, own_id: bool, log: Any) -> Any:
        """The usual event, delivered without a `Frame`: an event written the usual way
        (what the parser hands out as `Usual`) whose name has a quick reader (`plan`, its
        `_lanes` entry), whose data is the plain common case of its class, and whose own id
        is the usual next one (or which has none); not a carrier of resume parameters still
        missing, not the sentinel. Its event, accepted as `_State.accept` accepts it; None for
        anything else, with nothing changed (`_frame` then reads it the general way)."""
        if not plan:
            return None
        state = self._state
        if own_id and last_id != state.delivered._next:
            return None  # the first id, an empty one, a jump or a replay: `accept` decides
        if plan[4] and len(state.params) < self._bindings:
            return None  # the event naming the run: `accept` takes the resume parameters from it
        if data == self._sentinel:
            return None
        try:  # `_json_data`'s common case; anything else is left to `decode`
            text = data.decode()
            payload, end = _scan(text, 0)
        except (UnicodeDecodeError, StopIteration, ValueError, RecursionError):
            return None
        if type(payload) is not dict or end != len(text):
            return None
        quick = plan[1]
        if own_id:
            delivered = state.delivered
            event = quick(payload, last_id)  # type: ignore[misc]
            if event is None:
                return None
            # `DeliveredIds.add` of the usual next id, and `accept`'s last id
            hi = delivered._hi
            n = hi[-1] + 1
            hi[-1] = n
            delivered._next = str(n + 1)
            state.last_id = last_id
        else:
            event = quick(payload, None)  # type: ignore[misc]
            if event is None:
                return None
            if last_id:
                state.last_id = last_id  # an id persists across frames without one
        if log.isEnabledFor(10):
            log.debug("%s stream frame event=%s id=%s", self._spec.name, plan[2], last_id if own_id else None)
        state.count += 1
        if plan[3]:
            state.done = True
        if self._failures:
            self._failures = 0
        return event

    def _take(self, item: Frame | Usual, parser: SSEParser, strict: bool, response: httpx.Response | None,
              log: Any) -> Any:
        """The event of a connection's item to deliver, `_END` at the sentinel, None for a
        replay: a `Usual` through `_usual`, else (and any other frame) through `_frame`."""
        if isinstance(item, tuple):
            name, data, last_id, own_id, _retry = item
            plan = self._lanes.get(name)
            if plan is None:
                plan = self._spec._lane(name)
            event = self._usual(plan, data, last_id, own_id, log)
            if event is not None:
                return event
            item = parser.frame(*item)
        return self._frame(item, strict, response, log)

    def _frame(self, frame: Frame, strict: bool, response: httpx.Response | None, log: Any) -> Any:
        """The event of a frame to deliver, `_END` at the sentinel, None for a replay."""
        sentinel = self._sentinel
        if sentinel is not None and frame.raw == sentinel:
            self._state.done = True
            return _END
        if log.isEnabledFor(10):
            log.debug("%s stream frame event=%s id=%s", self._spec.name, frame.event, frame.id if frame.own_id else None)
        event: Any = None
        if self._by_event:
            # The usual event (what `decode` does first, without its calls): a known name whose
            # data is the plain common case of its class.
            plan = self._plans.get(frame.event)
            if plan:
                quick = plan[1]
                if quick is not None:
                    try:  # `_json_data`'s common case; anything else is left to `decode`
                        text = frame.raw.decode()
                        payload, end = _scan(text, 0)
                    except (UnicodeDecodeError, StopIteration, ValueError, RecursionError):
                        payload, end = None, -1
                    if type(payload) is dict and end == len(text):
                        event = quick(payload, frame.id if frame.own_id and frame.id else None)
        if event is None:
            event = self._spec.decode(frame, strict=strict, response=response)
        if self._state.accept(frame, event):
            if self._failures:
                self._failures = 0
            return event
        return None

    def _resume_options(self) -> RequestOptions:
        return RequestOptions(extra_headers=self._options.extra_headers, timeout=self._options.timeout)

    def _log_resume(self, log: Any, request: Mapping[str, Any] | None) -> None:
        state = self._state
        if request is None:
            log.info("re-sending the %s stream's request (nothing was delivered yet)", self._spec.name)
        else:
            log.info("resuming the %s stream with %s, Last-Event-ID %s", self._spec.name, dict(state.params), state.last_id)


class Stream(_Base[EventT, ResultT]):
    """A blocking event stream: an iterator of typed events and a context manager that
    closes the response.

        with client.<resource>.<method>(...) as stream:
            for event in stream:
                ...

    Iterating to the end (or `until_done()`, or `close()` after the end) reads the rest of
    the body, so the connection goes back to the client's pool. A stream left without
    `close()` (a `break` out of the loop) is closed as soon as nothing refers to it any
    more; its connection is then discarded rather than reused (`_lifecycle.py`).
    """

    _conn: SyncConnection | None = None  # also what __del__ reads if __init__ failed

    def __init__(
        self,
        client: SyncHTTPClient,
        spec: StreamSpec[EventT, ResultT],
        request: Mapping[str, Any],
        options: RequestOptions,
        response: httpx.Response,
        *,
        opening: Mapping[str, Any],
        seed: Mapping[str, str] | None = None,
        last_event_id: str | None = None,
    ) -> None:
        super().__init__(spec, request, options, opening, seed, last_event_id, client._retries(options))
        self._client = client
        self._log = client.log.stream
        self._conn = client._streams.track(SyncConnection(response, spec.max_event_size))

    @property
    def response(self) -> httpx.Response | None:
        """The current HTTP response (a new one after a resume; None once closed)."""
        return self._conn.response if self._conn is not None else None

    def __iter__(self) -> Iterator[EventT | UnknownEvent]:
        return self

    def __next__(self) -> EventT | UnknownEvent:
        conn = self._conn
        if conn is None:
            raise StopIteration
        if self._state.done:
            self._release(drain=True)  # the end was the last: give the connection back
            raise StopIteration
        try:
            # The usual step (what `_next_event` does first, without its calls): an item of
            # the current connection that is an event to deliver.
            frames = conn.frames
            try:
                got = frames.popleft() if frames else conn.next_item()
            except httpx.TransportError as exc:
                self._reconnect(exc)  # the connection dropped or idled out
                item: Any = self._next_event()
            else:
                item = None
                if isinstance(got, tuple):  # `_take`, inlined: the usual event first
                    name, data, last_id, own_id, _retry = got
                    plan = self._lanes.get(name)
                    if plan is None:
                        plan = self._spec._lane(name)
                    item = self._usual(plan, data, last_id, own_id, self._log)
                    if item is None:
                        item = self._frame(SSEParser.frame(*got), self._client.strict, conn.response, self._log)
                elif got is not None:
                    item = self._frame(got, self._client.strict, conn.response, self._log)
                if item is None:  # the body ended, or a replayed frame: the general path
                    item = self._next_event(got is None)
        except BaseException:
            self._release(drain=False)
            raise
        if item is _END:
            self._release(drain=True)
            raise StopIteration
        event: EventT | UnknownEvent = item
        return event

    def __enter__(self) -> Stream[EventT, ResultT]:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the response; after the end, its connection is kept for reuse."""
        self._release(drain=self._state.done)

    def __del__(self) -> None:
        conn = self._conn
        if conn is not None:
            self._conn = None
            self._client._streams.abandon(conn)

    def until_done(self) -> ResultT:
        """Consume the rest of the stream; returns the run's text, output and usage.
        Raises `StreamError` (with `.event`) if the run ended with a failure event."""
        agg: _Aggregator[EventT, ResultT] = _Aggregator(self._spec)
        try:
            for event in self:
                agg.add(event)
        finally:
            self.close()
        return agg.result(self._state.done)

    final = until_done

    def _release(self, *, drain: bool) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            self._client._streams.release(conn, drain=drain)

    def _next_event(self, at_eof: bool = False) -> object:
        """The next event to deliver (or `_END`), reconnecting as needed; `at_eof`: the
        current connection's body just ended (what `__next__` read)."""
        log = self._log
        if at_eof:
            if self._spec.eof_ends:
                self._state.done = True
                return _END
            self._reconnect(None)  # the connection closed before the stream's end
        while True:
            conn = self._conn
            if conn is None:
                raise StopIteration
            try:
                got = conn.next_item()
            except httpx.TransportError as exc:
                self._reconnect(exc)  # the connection dropped or idled out
                continue
            if got is None:
                if self._spec.eof_ends:
                    self._state.done = True
                    return _END
                self._reconnect(None)  # the connection closed before the stream's end
                continue
            item = self._take(got, conn.parser, self._client.strict, conn.response, log)
            if item is not None:
                return item

    def _reconnect(self, exc: BaseException | None) -> None:
        self._release(drain=False)
        state = self._state
        client = self._client
        while True:
            err = _drop_error(exc, self._spec.name)
            request = state.resume_request() if state.count else None
            if state.count and request is None:
                raise err  # no resume route (or no id yet): the caller sees the drop
            if self._failures >= self._retries:
                raise err
            client._sleep(client._delay(self._failures, None))
            self._failures += 1
            self._log_resume(client.log.stream, request)
            try:
                if request is None:
                    # Nothing reached the caller yet: re-send the original request.
                    response = client.send(self._request, self._options, stream=True, retries=0, event_stream=True,
                                           **self._opening)
                else:
                    resume = self._spec.resume
                    assert resume is not None
                    response = client.send(request, self._resume_options(), stream=True, retries=0,
                                           event_stream=True, security=resume.security, accept=resume.accept)
            except APIError as e:
                if not _retryable(e):
                    raise
                exc = e
                continue
            self._conn = client._streams.track(SyncConnection(response, self._spec.max_event_size))
            return


class AsyncStream(_Base[EventT, ResultT]):
    """The asyncio flavour of `Stream`: an async iterator and async context manager.

    A task cancelled while it waits for an event, or a stream dropped without `close()`,
    has its connection closed by a task on the event loop (never awaited in a finaliser)."""

    _conn: AsyncConnection | None = None

    def __init__(
        self,
        client: AsyncHTTPClient,
        spec: StreamSpec[EventT, ResultT],
        request: Mapping[str, Any],
        options: RequestOptions,
        response: httpx.Response,
        *,
        opening: Mapping[str, Any],
        seed: Mapping[str, str] | None = None,
        last_event_id: str | None = None,
    ) -> None:
        super().__init__(spec, request, options, opening, seed, last_event_id, client._retries(options))
        self._client = client
        self._log = client.log.stream
        self._track(response)

    def _track(self, response: httpx.Response) -> None:
        self._conn = self._client._streams.track(AsyncConnection(response, self._spec.max_event_size))

    @property
    def response(self) -> httpx.Response | None:
        return self._conn.response if self._conn is not None else None

    def __aiter__(self) -> AsyncIterator[EventT | UnknownEvent]:
        return self

    async def __anext__(self) -> EventT | UnknownEvent:
        conn = self._conn
        if conn is None:
            raise StopAsyncIteration
        if self._state.done:
            await self._release(drain=True)
            raise StopAsyncIteration
        try:
            # The usual step (what `_next_event` does first, without its call): an item of
            # the current connection that is an event to deliver.
            frames = conn.frames
            try:
                got = frames.popleft() if frames else await conn.next_item()
            except httpx.TransportError as exc:
                await self._reconnect(exc)  # the connection dropped or idled out
                item: Any = await self._next_event()
            else:
                item = None
                if isinstance(got, tuple):  # `_take`, inlined: the usual event first
                    name, data, last_id, own_id, _retry = got
                    plan = self._lanes.get(name)
                    if plan is None:
                        plan = self._spec._lane(name)
                    item = self._usual(plan, data, last_id, own_id, self._log)
                    if item is None:
                        item = self._frame(SSEParser.frame(*got), self._client.strict, conn.response, self._log)
                elif got is not None:
                    item = self._frame(got, self._client.strict, conn.response, self._log)
                if item is None:  # the body ended, or a replayed frame: the general path
                    item = await self._next_event(got is None)
        except Exception:
            await self._release(drain=False)
            raise
        except BaseException:
            # Cancelled (or interrupted) mid-read: awaiting now could be cancelled again, so
            # the connection is closed by a task of its own.
            self._abandon()
            raise
        if item is _END:
            await self._release(drain=True)
            raise StopAsyncIteration
        event: EventT | UnknownEvent = item
        return event

    async def __aenter__(self) -> AsyncStream[EventT, ResultT]:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the response; after the end, its connection is kept for reuse."""
        await self._release(drain=self._state.done)

    def __del__(self) -> None:
        self._abandon()

    async def until_done(self) -> ResultT:
        agg: _Aggregator[EventT, ResultT] = _Aggregator(self._spec)
        try:
            async for event in self:
                agg.add(event)
        finally:
            await self.close()
        return agg.result(self._state.done)

    final = until_done

    def _abandon(self) -> None:
        conn = self._conn
        if conn is not None:
            self._conn = None
            self._client._streams.abandon(conn)

    async def _release(self, *, drain: bool) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await self._client._streams.release(conn, drain=drain)

    async def _next_event(self, at_eof: bool = False) -> object:
        """See `Stream._next_event`."""
        log = self._log
        if at_eof:
            if self._spec.eof_ends:
                self._state.done = True
                return _END
            await self._reconnect(None)
        while True:
            conn = self._conn
            if conn is None:
                raise StopAsyncIteration
            try:
                got = await conn.next_item()
            except httpx.TransportError as exc:
                await self._reconnect(exc)
                continue
            if got is None:
                if self._spec.eof_ends:
                    self._state.done = True
                    return _END
                await self._reconnect(None)
                continue
            item = self._take(got, conn.parser, self._client.strict, conn.response, log)
            if item is not None:
                return item

    async def _reconnect(self, exc: BaseException | None) -> None:
        await self._release(drain=False)
        state = self._state
        client = self._client
        while True:
            err = _drop_error(exc, self._spec.name)
            request = state.resume_request() if state.count else None
            if state.count and request is None:
                raise err
            if self._failures >= self._retries:
                raise err
            await client._sleep(client._delay(self._failures, None))
            self._failures += 1
            self._log_resume(client.log.stream, request)
            try:
                if request is None:
                    response = await client.send(self._request, self._options, stream=True, retries=0,
                                                 event_stream=True, **self._opening)
                else:
                    resume = self._spec.resume
                    assert resume is not None
                    response = await client.send(request, self._resume_options(), stream=True, retries=0,
                                                 event_stream=True, security=resume.security, accept=resume.accept)
            except APIError as e:
                if not _retryable(e):
                    raise
                exc = e
                continue
            self._track(response)
            return
