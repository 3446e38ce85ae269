"""Typed event streams over Server-Sent Events, with resume (RUNTIME.md "Streams").

A generated `StreamSpec` says which event names the stream knows (and their
classes), which are terminal, how to aggregate a run (final text, output, usage)
and, when the spec has one, how to resume: the streaming operation whose path
parameters come from the fields of the first event and which takes
`Last-Event-ID`.

The caller sees each frame exactly once: after a drop (connection error, idle
timeout, or a clean end without a terminal event) the stream reconnects to the
resume route with `Last-Event-ID: <last id seen>` and skips frames whose id it
already delivered. Before the first event reached the caller, the original
request is re-sent instead (same Idempotency-Key). Reconnects follow the retry
policy; the count resets whenever a connection delivers a frame.

A stream is an explicit state machine (`__next__` reads the current connection), not a
generator: a generator would hold the stream and the stream the generator, a reference
cycle that only the cyclic garbage collector could free, at an arbitrary moment. How each
connection is released (reused after the terminal event, closed when dropped) is in
`_lifecycle.py`.
"""

from __future__ import annotations

import bisect
import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any, Generic, Protocol, TypeVar

import httpx

from ._errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    StreamError,
)
from ._http import AsyncHTTPClient, SyncHTTPClient
from ._lifecycle import AsyncConnection, SyncConnection
from ._reading import Reader, Unusable, shape_of, value_at
from ._retry import should_retry
from ._types import RequestOptions
from .sse import DEFAULT_MAX_EVENT_SIZE, Frame, ServerSentEvent

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
    """How to reconnect: `params` are read from the first event that has them (or given by the
    call that opened the stream); `build(params, last_event_id)` returns the request."""

    params: tuple[str, ...]
    build: Callable[[Mapping[str, str], str], Mapping[str, Any]]


@dataclass(frozen=True)
class ValuePath:
    """Where an event carries a value: `path` (wire keys and list indexes) into the data of
    the `event` events."""

    event: str
    path: tuple[str | int, ...] | list[str | int]


@dataclass(frozen=True)
class StreamResult(Generic[EventT]):
    """What a whole run produced: the concatenated text deltas, the terminal event and
    every event in order. Generated subclasses add typed `output` and `usage`."""

    text: str
    terminal: Any
    events: tuple[EventT, ...]


@dataclass(frozen=True)
class StreamSpec(Generic[EventT, ResultT]):
    """The generated description of one event stream: its event classes by event name
    (each read from its registered shape, `_reading.py`), the terminal and failure events,
    where the text deltas, the output and the usage are, and how to resume."""

    name: str
    events: Mapping[str, type]
    terminal: frozenset[str]
    failure: frozenset[str]  # terminal events meaning the run failed
    make_result: Callable[[str, Any, tuple[EventT, ...], Any, Any], ResultT]
    delta: ValuePath | None = None  # string values that concatenate to the text
    output: ValuePath | None = None
    usage: ValuePath | None = None
    resume: ResumeSpec | None = None
    max_event_size: int = DEFAULT_MAX_EVENT_SIZE
    failure_message: Callable[[Any], str] = field(default=lambda e: str(getattr(e, "message", None) or "the run failed"))

    def __post_init__(self) -> None:
        # The event name of each class, looked up once per event (not a field: `replace` rebuilds it).
        object.__setattr__(self, "_names", {cls: name for name, cls in self.events.items()})

    def decode(
        self, sse: ServerSentEvent, *, strict: bool = False, response: httpx.Response | None = None
    ) -> EventT | UnknownEvent:
        """The typed event of a frame. Malformed JSON or data that is not an object is a
        `StreamError` in both modes; with `strict`, so is data that departs from the contract
        (its cause is the `APIResponseValidationError`)."""
        name = sse.event or "message"
        # An event's id is its frame's own `id:` line; a frame without one has none, even
        # though the connection's last event ID (used for `Last-Event-ID`) carries over.
        event_id = (sse.id or None) if getattr(sse, "own_id", True) else None
        cls = self.events.get(name)
        if cls is None:
            return UnknownEvent(event=name, data=sse.data or "", event_id=event_id)
        try:
            payload = json.loads(sse.data or "")
        except json.JSONDecodeError as exc:
            raise StreamError(f"malformed JSON in a {name!r} event: {exc}", data=sse.data) from exc
        if not isinstance(payload, dict):
            raise StreamError(f"the data of a {name!r} event is not a JSON object", data=sse.data)
        reader = Reader()
        try:
            event: EventT = reader.model(shape_of(cls), payload, event_id=event_id)
        except Unusable as exc:
            raise StreamError(f"the data of a {name!r} event cannot be read: {exc}", data=sse.data) from exc
        if strict and reader.mismatches:
            first = reader.mismatches[0]
            cause = APIResponseValidationError(path=first.path, reason=first.reason, response=response, body=sse.data)
            raise StreamError(
                f"the data of a {name!r} event does not match the API contract: {first}", data=sse.data
            ) from cause
        return event

    def name_of(self, event: object) -> str:
        if isinstance(event, UnknownEvent):
            return event.event
        names: dict[type, str] = self.__dict__["_names"]
        return names.get(type(event), "")


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
            piece = value_at(event, spec.delta.path)
            if isinstance(piece, str):
                self.text.append(piece)
        # The value of the last event that carried one (a non-null value).
        if spec.output and name == spec.output.event:
            value = value_at(event, spec.output.path)
            if value is not None:
                self.output = value
        if spec.usage and name == spec.usage.event:
            value = value_at(event, spec.usage.path)
            if value is not None:
                self.usage = value
        if name in spec.terminal:
            self.terminal = event

    def result(self) -> ResultT:
        if self.terminal is None:
            raise StreamError(f"the {self.spec.name} stream ended without a terminal event")
        if self.spec.name_of(self.terminal) in self.spec.failure:
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

    __slots__ = ("_hi", "_lo", "_other")

    def __init__(self) -> None:
        self._lo: list[int] = []  # run i is [_lo[i], _hi[i]]; sorted, disjoint, not adjacent
        self._hi: list[int] = []
        self._other: set[str] = set()

    def add(self, frame_id: str) -> bool:
        """Record `frame_id`; False when it was already delivered."""
        n = _canonical_number(frame_id)
        if n is not None:
            hi = self._hi
            if not hi or n > hi[-1] + 1:
                self._lo.append(n)
                hi.append(n)
                return True
            if n == hi[-1] + 1:
                hi[-1] = n
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
        self.params: dict[str, str] = dict(seed)
        self.delivered = DeliveredIds()
        self.last_id: str | None = None
        self.count = 0
        self.done = False

    def accept(self, frame: Frame, event: object) -> bool:
        """Whether to deliver `event` (False: a replayed frame already delivered).
        Only a frame that carries its own `id:` line is compared (an id persists
        across frames without one)."""
        if frame.own_id and frame.id and not self.delivered.add(frame.id):
            return False
        if frame.id:
            self.last_id = frame.id
        if self.spec.resume is not None and len(self.params) < len(self.spec.resume.params):
            # The resume parameters come from the first event that carries them (normally
            # the first event; an unknown event before it carries nothing).
            for name in self.spec.resume.params:
                value = getattr(event, name, None)
                if name not in self.params and isinstance(value, str) and value:
                    self.params[name] = value
        self.count += 1
        if self.spec.name_of(event) in self.spec.terminal:
            self.done = True
        return True

    def resume_request(self) -> Mapping[str, Any] | None:
        resume = self.spec.resume
        if resume is None or self.last_id is None or any(p not in self.params for p in resume.params):
            return None
        return resume.build(self.params, self.last_id)

    def resume_options(self, options: RequestOptions) -> RequestOptions:
        headers = {"Last-Event-ID": self.last_id or ""}
        return RequestOptions(extra_headers={**(options.extra_headers or {}), **headers}, timeout=options.timeout)


def _drop_error(exc: BaseException | None, name: str) -> APIError:
    if isinstance(exc, APIError):
        return exc
    if isinstance(exc, httpx.TimeoutException):
        from ._errors import APITimeoutError

        return APITimeoutError(f"the {name} stream was idle too long ({type(exc).__name__})")
    if isinstance(exc, httpx.TransportError):
        return APIConnectionError(f"the {name} stream's connection failed ({type(exc).__name__})")
    return StreamError(f"the {name} stream ended without a terminal event")


def _retryable(err: APIError) -> bool:
    if isinstance(err, APIStatusError):
        return should_retry(err.response)
    return isinstance(err, APIConnectionError)


class Stream(Generic[EventT, ResultT]):
    """A blocking event stream: an iterator of typed events and a context manager that
    closes the response.

        with client.chat.send_message_stream(session_id, content="Hi") as stream:
            for event in stream:
                ...

    Iterating to the end (or `until_done()`, or `close()` after the terminal event) reads
    the rest of the body, so the connection goes back to the client's pool. A stream left
    without `close()` (a `break` out of the loop) is closed as soon as nothing refers to it
    any more; its connection is then discarded rather than reused (`_lifecycle.py`).
    """

    _conn: SyncConnection | None = None  # also what __del__ reads if __init__ failed

    def __init__(
        self,
        client: SyncHTTPClient,
        spec: StreamSpec[EventT, ResultT],
        request: Mapping[str, Any],
        options: RequestOptions,
        *,
        idempotent: bool,
        seed: Mapping[str, str] | None = None,
        last_event_id: str | None = None,
    ) -> None:
        if idempotent and not isinstance(options.idempotency_key, str):
            # One key for the call: a re-sent opening request must not start a second run.
            options = replace(options, idempotency_key=str(uuid.uuid4()))
        self._client = client
        self._spec = spec
        self._request = request
        self._options = options
        self._idempotent = idempotent
        self._state = _State(spec, seed or {})
        self._state.last_id = last_event_id
        self._retries = client._retries(options)
        self._failures = 0
        # Opening is retried like any request; typed errors surface here, at the call.
        response = client.send(request, options, idempotent=idempotent, stream=True)
        self._conn = client._streams.track(SyncConnection(response, spec.max_event_size))

    @property
    def response(self) -> httpx.Response | None:
        """The current HTTP response (a new one after a resume; None once closed)."""
        return self._conn.response if self._conn is not None else None

    def __iter__(self) -> Iterator[EventT | UnknownEvent]:
        return self

    def __next__(self) -> EventT | UnknownEvent:
        if self._conn is None:
            raise StopIteration
        if self._state.done:
            self._release(drain=True)  # the terminal event was the last: give the connection back
            raise StopIteration
        try:
            return self._next_event()
        except BaseException:
            self._release(drain=False)
            raise

    def __enter__(self) -> Stream[EventT, ResultT]:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the response; after the terminal event, its connection is kept for reuse."""
        self._release(drain=self._state.done)

    def __del__(self) -> None:
        conn = self._conn
        if conn is not None:
            self._conn = None
            self._client._streams.abandon(conn)

    def until_done(self) -> ResultT:
        """Consume the rest of the stream; returns the run's text, output and usage.
        Raises `StreamError` (with `.event`) if the run ended with an error event."""
        agg: _Aggregator[EventT, ResultT] = _Aggregator(self._spec)
        try:
            for event in self:
                agg.add(event)
        finally:
            self.close()
        return agg.result()

    final = until_done

    def _release(self, *, drain: bool) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            self._client._streams.release(conn, drain=drain)

    def _next_event(self) -> EventT | UnknownEvent:
        state = self._state
        while True:
            conn = self._conn
            if conn is None:
                raise StopIteration
            try:
                frame = conn.next_frame()
            except httpx.TransportError as exc:
                self._reconnect(exc)  # the connection dropped or idled out
                continue
            if frame is None:
                self._reconnect(None)  # a clean end without a terminal event
                continue
            event = self._spec.decode(frame, strict=self._client.strict, response=conn.response)
            if state.accept(frame, event):
                self._failures = 0
                return event

    def _reconnect(self, exc: BaseException | None) -> None:
        self._release(drain=False)
        state = self._state
        while True:
            err = _drop_error(exc, self._spec.name)
            request = state.resume_request() if state.count else None
            if state.count and request is None:
                raise err  # no resume route (or no id yet): the caller sees the drop
            if self._failures >= self._retries:
                raise err
            self._client._sleep(self._client._delay(self._failures, None))
            self._failures += 1
            try:
                if request is None:
                    # Nothing reached the caller yet: re-send the original request.
                    response = self._client.send(
                        self._request, self._options, idempotent=self._idempotent, stream=True, retries=0
                    )
                else:
                    response = self._client.send(
                        request, state.resume_options(self._options), stream=True, retries=0
                    )
            except APIError as e:
                if not _retryable(e):
                    raise
                exc = e
                continue
            self._conn = self._client._streams.track(SyncConnection(response, self._spec.max_event_size))
            return


class AsyncStream(Generic[EventT, ResultT]):
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
        *,
        idempotent: bool,
        seed: Mapping[str, str] | None = None,
        last_event_id: str | None = None,
    ) -> None:
        if idempotent and not isinstance(options.idempotency_key, str):
            # One key for the call: a re-sent opening request must not start a second run.
            options = replace(options, idempotency_key=str(uuid.uuid4()))
        self._client = client
        self._spec = spec
        self._request = request
        self._options = options
        self._idempotent = idempotent
        self._state = _State(spec, seed or {})
        self._state.last_id = last_event_id
        self._retries = client._retries(options)
        self._failures = 0

    async def _open(self) -> AsyncStream[EventT, ResultT]:
        response = await self._client.send(self._request, self._options, idempotent=self._idempotent, stream=True)
        self._track(response)
        return self

    def _track(self, response: httpx.Response) -> None:
        self._conn = self._client._streams.track(AsyncConnection(response, self._spec.max_event_size))

    @property
    def response(self) -> httpx.Response | None:
        return self._conn.response if self._conn is not None else None

    def __aiter__(self) -> AsyncIterator[EventT | UnknownEvent]:
        return self

    async def __anext__(self) -> EventT | UnknownEvent:
        if self._conn is None:
            raise StopAsyncIteration
        if self._state.done:
            await self._release(drain=True)
            raise StopAsyncIteration
        try:
            return await self._next_event()
        except Exception:
            await self._release(drain=False)
            raise
        except BaseException:
            # Cancelled (or interrupted) mid-read: awaiting now could be cancelled again, so
            # the connection is closed by a task of its own.
            self._abandon()
            raise

    async def __aenter__(self) -> AsyncStream[EventT, ResultT]:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the response; after the terminal event, its connection is kept for reuse."""
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
        return agg.result()

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

    async def _next_event(self) -> EventT | UnknownEvent:
        state = self._state
        while True:
            conn = self._conn
            if conn is None:
                raise StopAsyncIteration
            try:
                frame = await conn.next_frame()
            except httpx.TransportError as exc:
                await self._reconnect(exc)
                continue
            if frame is None:
                await self._reconnect(None)
                continue
            event = self._spec.decode(frame, strict=self._client.strict, response=conn.response)
            if state.accept(frame, event):
                self._failures = 0
                return event

    async def _reconnect(self, exc: BaseException | None) -> None:
        await self._release(drain=False)
        state = self._state
        while True:
            err = _drop_error(exc, self._spec.name)
            request = state.resume_request() if state.count else None
            if state.count and request is None:
                raise err
            if self._failures >= self._retries:
                raise err
            await self._client._sleep(self._client._delay(self._failures, None))
            self._failures += 1
            try:
                if request is None:
                    response = await self._client.send(
                        self._request, self._options, idempotent=self._idempotent, stream=True, retries=0
                    )
                else:
                    response = await self._client.send(
                        request, state.resume_options(self._options), stream=True, retries=0
                    )
            except APIError as e:
                if not _retryable(e):
                    raise
                exc = e
                continue
            self._track(response)
            return
