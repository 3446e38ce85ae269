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
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any, Generic, Protocol, TypeVar

import httpx

from ._errors import APIConnectionError, APIError, APIStatusError, StreamError
from ._http import AsyncHTTPClient, SyncHTTPClient
from ._retry import should_retry
from ._types import RequestOptions
from .sse import DEFAULT_MAX_EVENT_SIZE, Frame, ServerSentEvent, SSEParser

__all__ = [
    "UnknownEvent",
    "StreamEvent",
    "StreamSpec",
    "ResumeSpec",
    "StreamResult",
    "Stream",
    "AsyncStream",
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
class StreamResult(Generic[EventT]):
    """What a whole run produced: the concatenated text deltas, the terminal event and
    every event in order. Generated subclasses add typed `output` and `usage`."""

    text: str
    terminal: Any
    events: tuple[EventT, ...]


@dataclass(frozen=True)
class StreamSpec(Generic[EventT, ResultT]):
    """The generated description of one event stream."""

    name: str
    decoders: Mapping[str, Callable[[Mapping[str, Any], str | None], EventT]]
    terminal: frozenset[str]
    failure: frozenset[str]  # terminal events meaning the run failed
    event_names: Mapping[type, str]
    delta: tuple[str, str] | None  # (event name, field) whose values concatenate to the text
    make_result: Callable[[str, Any, tuple[EventT, ...]], ResultT]
    resume: ResumeSpec | None = None
    max_event_size: int = DEFAULT_MAX_EVENT_SIZE
    failure_message: Callable[[Any], str] = field(default=lambda e: str(getattr(e, "message", "the run failed")))

    def decode(self, sse: ServerSentEvent) -> EventT | UnknownEvent:
        name = sse.event or "message"
        # An event's id is its frame's own `id:` line; a frame without one has none, even
        # though the connection's last event ID (used for `Last-Event-ID`) carries over.
        event_id = (sse.id or None) if getattr(sse, "own_id", True) else None
        decoder = self.decoders.get(name)
        if decoder is None:
            return UnknownEvent(event=name, data=sse.data or "", event_id=event_id)
        try:
            payload = json.loads(sse.data or "")
        except json.JSONDecodeError as exc:
            raise StreamError(f"malformed JSON in a {name!r} event: {exc}", data=sse.data) from exc
        if not isinstance(payload, dict):
            raise StreamError(f"the data of a {name!r} event is not a JSON object", data=sse.data)
        try:
            return decoder(payload, event_id)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise StreamError(f"the data of a {name!r} event does not match the spec: {exc!r}", data=sse.data) from exc

    def name_of(self, event: object) -> str:
        if isinstance(event, UnknownEvent):
            return event.event
        return self.event_names.get(type(event), "")


class _Aggregator(Generic[EventT, ResultT]):
    def __init__(self, spec: StreamSpec[EventT, ResultT]) -> None:
        self.spec = spec
        self.text: list[str] = []
        self.events: list[EventT | UnknownEvent] = []
        self.terminal: Any = None

    def add(self, event: EventT | UnknownEvent) -> None:
        self.events.append(event)
        name = self.spec.name_of(event)
        if self.spec.delta and name == self.spec.delta[0]:
            self.text.append(str(getattr(event, self.spec.delta[1])))
        if name in self.spec.terminal:
            self.terminal = event

    def result(self) -> ResultT:
        if self.terminal is None:
            raise StreamError(f"the {self.spec.name} stream ended without a terminal event")
        if self.spec.name_of(self.terminal) in self.spec.failure:
            raise StreamError(
                f"the run failed: {self.spec.failure_message(self.terminal)}", event=self.terminal
            )
        return self.spec.make_result("".join(self.text), self.terminal, tuple(self.events))  # type: ignore[arg-type]


class _State:
    """What both stream flavours track across reconnects."""

    def __init__(self, spec: StreamSpec[Any, Any], seed: Mapping[str, str]) -> None:
        self.spec = spec
        self.params: dict[str, str] = dict(seed)
        self.delivered: set[str] = set()
        self.last_id: str | None = None
        self.count = 0
        self.done = False

    def accept(self, frame: Frame, event: object) -> bool:
        """Whether to deliver `event` (False: a replayed frame already delivered).
        Only a frame that carries its own `id:` line is compared (an id persists
        across frames without one)."""
        if frame.own_id and frame.id:
            if frame.id in self.delivered:
                return False
            self.delivered.add(frame.id)
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
    """

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
        # Opening is retried like any request; typed errors surface here, at the call.
        self._response: httpx.Response | None = client.send(request, options, idempotent=idempotent, stream=True)
        self._iterator = self._events()
        self._closed = False

    @property
    def response(self) -> httpx.Response | None:
        """The current HTTP response (a new one after a resume)."""
        return self._response

    def __iter__(self) -> Iterator[EventT | UnknownEvent]:
        return self

    def __next__(self) -> EventT | UnknownEvent:
        return next(self._iterator)

    def __enter__(self) -> Stream[EventT, ResultT]:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._closed = True
        if self._response is not None:
            self._response.close()
            self._response = None
        self._iterator.close()

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

    def _read(self, response: httpx.Response, parser: SSEParser) -> Iterator[tuple[Frame, EventT | UnknownEvent]]:
        for chunk in response.iter_bytes():
            for frame in parser.feed(chunk):
                yield frame, self._spec.decode(frame)

    def _events(self) -> Generator[EventT | UnknownEvent, None, None]:
        state = self._state
        failures = 0
        while True:
            response = self._response
            if response is None:
                return
            parser = SSEParser(max_event_size=self._spec.max_event_size)
            exc: BaseException | None = None
            try:
                for frame, event in self._read(response, parser):
                    if not state.accept(frame, event):
                        continue
                    failures = 0
                    yield event
                    if state.done:
                        return
                parser.close()
            except httpx.TransportError as e:
                exc = e
            finally:
                response.close()
            if self._closed:
                return
            # The connection dropped, idled out, or ended without a terminal event.
            failures = self._reconnect(exc, failures)

    def _reconnect(self, exc: BaseException | None, failures: int) -> int:
        state = self._state
        while True:
            err = _drop_error(exc, self._spec.name)
            request = state.resume_request() if state.count else None
            if state.count and request is None:
                raise err  # no resume route (or no id yet): the caller sees the drop
            if failures >= self._retries:
                raise err
            self._client._sleep(self._client._delay(failures, None))
            failures += 1
            try:
                if request is None:
                    # Nothing reached the caller yet: re-send the original request.
                    self._response = self._client.send(
                        self._request, self._options, idempotent=self._idempotent, stream=True, retries=0
                    )
                else:
                    headers = {"Last-Event-ID": state.last_id or ""}
                    self._response = self._client.send(
                        request,
                        RequestOptions(
                            extra_headers={**(self._options.extra_headers or {}), **headers},
                            timeout=self._options.timeout,
                        ),
                        stream=True,
                        retries=0,
                    )
                return failures
            except APIError as e:
                if not _retryable(e):
                    raise
                exc = e


class AsyncStream(Generic[EventT, ResultT]):
    """The asyncio flavour of `Stream`: an async iterator and async context manager."""

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
        self._response: httpx.Response | None = None
        self._iterator = self._events()
        self._closed = False

    async def _open(self) -> AsyncStream[EventT, ResultT]:
        self._response = await self._client.send(
            self._request, self._options, idempotent=self._idempotent, stream=True
        )
        return self

    @property
    def response(self) -> httpx.Response | None:
        return self._response

    def __aiter__(self) -> AsyncIterator[EventT | UnknownEvent]:
        return self

    async def __anext__(self) -> EventT | UnknownEvent:
        return await self._iterator.__anext__()

    async def __aenter__(self) -> AsyncStream[EventT, ResultT]:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        self._closed = True
        if self._response is not None:
            await self._response.aclose()
            self._response = None
        await self._iterator.aclose()

    async def until_done(self) -> ResultT:
        agg: _Aggregator[EventT, ResultT] = _Aggregator(self._spec)
        try:
            async for event in self:
                agg.add(event)
        finally:
            await self.close()
        return agg.result()

    final = until_done

    async def _events(self) -> AsyncGenerator[EventT | UnknownEvent, None]:
        state = self._state
        failures = 0
        while True:
            response = self._response
            if response is None:
                return
            parser = SSEParser(max_event_size=self._spec.max_event_size)
            exc: BaseException | None = None
            try:
                async for chunk in response.aiter_bytes():
                    for frame in parser.feed(chunk):
                        event = self._spec.decode(frame)
                        if not state.accept(frame, event):
                            continue
                        failures = 0
                        yield event
                        if state.done:
                            return
                parser.close()
            except httpx.TransportError as e:
                exc = e
            finally:
                await response.aclose()
            if self._closed:
                return
            failures = await self._reconnect(exc, failures)

    async def _reconnect(self, exc: BaseException | None, failures: int) -> int:
        state = self._state
        while True:
            err = _drop_error(exc, self._spec.name)
            request = state.resume_request() if state.count else None
            if state.count and request is None:
                raise err
            if failures >= self._retries:
                raise err
            await self._client._sleep(self._client._delay(failures, None))
            failures += 1
            try:
                if request is None:
                    self._response = await self._client.send(
                        self._request, self._options, idempotent=self._idempotent, stream=True, retries=0
                    )
                else:
                    headers = {"Last-Event-ID": state.last_id or ""}
                    self._response = await self._client.send(
                        request,
                        RequestOptions(
                            extra_headers={**(self._options.extra_headers or {}), **headers},
                            timeout=self._options.timeout,
                        ),
                        stream=True,
                        retries=0,
                    )
                return failures
            except APIError as e:
                if not _retryable(e):
                    raise
                exc = e
