"""Reading a successful response (RUNTIME.md "Reading responses"), and the raw responses of
RUNTIME.md "Raw responses and request ids".

`read_value` reads a JSON body of a declared shape (a bare body, or the `data` of a
`{data}` envelope); `read_page` a page's items and meta; `read_bytes`/`read_text` binary
and text bodies. Each raises `APIError` when the body cannot be used at all, in both
modes, and `APIResponseValidationError` for the first departure from the contract in
strict mode.

`client.<resource>.with_raw_response.<method>(...)` returns an `APIResponse[T]` (headers,
status, request id, `parse()` -> the value the plain call returns, parsed once);
`with_streaming_response` is a context manager yielding one whose body is read only when
asked (`parse()`, `read()`, `iter_bytes()`, `iter_lines()`). The methods themselves are
unchanged: the wrappers set a context variable the client's `request()` reads.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, Generic, ParamSpec, TypeVar, cast

import httpx

from ._errors import APIError, APIResponseValidationError
from ._reading import _INVALID, Reader, Unusable, Value, json_scan, shape_named, value_at

__all__ = [
    "APIResponse",
    "AsyncAPIResponse",
    "async_to_raw_response_wrapper",
    "async_to_streamed_response_wrapper",
    "attach_request_id",
    "read_bytes",
    "read_none",
    "read_page",
    "read_text",
    "read_value",
    "take_response_mode",
    "to_raw_response_wrapper",
    "to_streamed_response_wrapper",
]

_T = TypeVar("_T")
_P = ParamSpec("_P")

# "raw" (with_raw_response) or "stream" (with_streaming_response) for the next request.
_MODE: contextvars.ContextVar[str | None] = contextvars.ContextVar("sdk_response_mode", default=None)


def take_response_mode() -> str | None:
    """The response mode a wrapper asked for, cleared so that requests the caller makes
    later (a next page, a resume) are plain again."""
    mode = _MODE.get()
    if mode is not None:
        _MODE.set(None)
    return mode


def attach_request_id(value: _T, response: httpx.Response) -> _T:
    """`value._request_id` = the response's `X-Request-ID` (models, pages, streams)."""
    try:
        object.__setattr__(value, "_request_id", response.headers.get("x-request-id"))
    except (AttributeError, TypeError):
        pass  # a list, a string, bytes, None: no place for it
    return value


def _unusable(response: httpx.Response, why: str) -> APIError:
    return APIError(f"cannot read the {response.status_code} response: {why}", request=response.request)


def _json(response: httpx.Response) -> Any:
    content = response.content
    try:  # the usual body: UTF-8 JSON with nothing around it (what `response.json()` reads it as)
        text = content.decode()
        value, end = json_scan(text, 0)
        if end == len(text):
            return value
    except (UnicodeDecodeError, StopIteration, ValueError, RecursionError):
        pass
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _unusable(response, f"it is not valid JSON ({exc})") from exc


def _check(reader: Reader, response: httpx.Response, body: Any, strict: bool) -> None:
    if strict and reader.mismatches:
        first = reader.mismatches[0]
        raise APIResponseValidationError(path=first.path, reason=first.reason, response=response, body=body)


_READS_AS: dict[tuple[str, str, str | None, bool], bool] = {}


def _reads_as(envelope: str, unwrap: str, shape: Value) -> bool:
    """Whether an envelope that holds only `unwrap` reads it as `shape` and notes nothing
    else: the field has no rule of its own (no alias, no listed values, no flattening) and
    no other field of the envelope is required. (Model shapes only: they are the common case.)"""
    if shape.kind != "model":
        return False
    key = (envelope, unwrap, shape.model, shape.nullable)
    known = _READS_AS.get(key)
    if known is None:
        env = shape_named(envelope)
        f = next((f for f in env.fields if f.wire == unwrap), None)
        known = (f is not None and f.value == shape and not f.aliases and not f.choices and env.flatten is None
                 and not any(g.required for g in env.fields if g is not f))
        if len(_READS_AS) < 1024:
            _READS_AS[key] = known
    return known


def read_value(response: httpx.Response, shape: Value, *, strict: bool, envelope: str | None = None,
               unwrap: str | None = None) -> Any:
    """The JSON body read as `shape`; with `envelope` (a model shape's name) and `unwrap`,
    the body is that envelope and the value is its `unwrap` key, read as `shape`."""
    body = _json(response)
    reader = Reader()
    try:
        if envelope is not None and unwrap is not None:
            if not isinstance(body, dict):
                raise Unusable(f"the body is {type(body).__name__}, not an object")
            if body.get(unwrap) is None:
                raise Unusable(f"it has no {unwrap}")
            if len(body) == 1 and _reads_as(envelope, unwrap, shape):
                # The envelope holds only its value: read it where the envelope would (same
                # paths, same checks), without making the envelope.
                value = reader.value(shape, body[unwrap], unwrap)
                value = None if value is _INVALID else value
            else:
                env = reader.model(shape_named(envelope), body)
                value = value_at(env, [unwrap])
            if value is None:
                raise Unusable(f"its {unwrap} is not {shape.kind if shape.kind != 'model' else 'an object'}")
        else:
            value = reader.top(shape, body)
    except Unusable as exc:
        raise _unusable(response, str(exc)) from exc
    _check(reader, response, body, strict)
    return value


def read_page(response: httpx.Response, envelope: str, *, strict: bool, items: str = "data",
              meta: str = "meta") -> tuple[list[Any], Any]:
    """A page: its `items` list (required, in both modes) and its `meta` (None when absent)."""
    body = _json(response)
    reader = Reader()
    try:
        if not isinstance(body, dict):
            raise Unusable("it is not a JSON object")
        if not isinstance(body.get(items), list):
            raise Unusable(f"it has no {items} list")
        env = reader.model(shape_named(envelope), body)
    except Unusable as exc:
        raise _unusable(response, str(exc)) from exc
    _check(reader, response, body, strict)
    found = value_at(env, [items])
    return (list(found) if isinstance(found, list) else []), value_at(env, [meta])


def read_none(response: httpx.Response) -> None:
    """A call that returns nothing: whatever body came is ignored."""
    return None


def read_bytes(response: httpx.Response) -> bytes:
    return response.content


def read_text(response: httpx.Response) -> str:
    return response.text


class APIResponse(Generic[_T]):
    """The raw HTTP response of a call, and its value on demand."""

    def __init__(
        self,
        response: httpx.Response,
        parse: Callable[[httpx.Response], _T],
        *,
        body_read: bool,
        parse_owns_body: bool = False,
    ) -> None:
        self.http_response = response
        self._parse = parse
        self._body_read = body_read
        self._parse_owns_body = parse_owns_body  # a stream: parse() hands the open body over
        self._parsed: list[_T] = []

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def headers(self) -> httpx.Headers:
        return self.http_response.headers

    @property
    def request_id(self) -> str | None:
        value = self.http_response.headers.get("x-request-id")
        return value if isinstance(value, str) else None

    @property
    def url(self) -> httpx.URL:
        return self.http_response.url

    def __repr__(self) -> str:
        return f"<APIResponse [{self.status_code}] {self.http_response.request.method} {self.url.path}>"

    def parse(self) -> _T:
        """The value the plain call returns (read once; later calls return the same)."""
        if not self._parsed:
            if not self._body_read and not self._parse_owns_body:
                self.read()
            self._parsed.append(attach_request_id(self._parse(self.http_response), self.http_response))
        return self._parsed[0]

    def read(self) -> bytes:
        self._body_read = True
        try:
            return self.http_response.read()
        finally:
            if not self._parse_owns_body:
                self.http_response.close()

    def text(self) -> str:
        self.read()
        return self.http_response.text

    def json(self) -> Any:
        self.read()
        return self.http_response.json()

    def iter_bytes(self, chunk_size: int | None = None) -> Iterator[bytes]:
        yield from self.http_response.iter_bytes(chunk_size)

    def iter_lines(self) -> Iterator[str]:
        yield from self.http_response.iter_lines()

    def close(self) -> None:
        self.http_response.close()


class AsyncAPIResponse(Generic[_T]):
    """The asyncio flavour of `APIResponse`: `parse()`, `read()`, `text()` and `json()` are
    awaited."""

    def __init__(
        self,
        response: httpx.Response,
        parse: Callable[[httpx.Response], Awaitable[_T]],
        *,
        body_read: bool,
        parse_owns_body: bool = False,
    ) -> None:
        self.http_response = response
        self._parse = parse
        self._body_read = body_read
        self._parse_owns_body = parse_owns_body
        self._parsed: list[_T] = []

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def headers(self) -> httpx.Headers:
        return self.http_response.headers

    @property
    def request_id(self) -> str | None:
        value = self.http_response.headers.get("x-request-id")
        return value if isinstance(value, str) else None

    @property
    def url(self) -> httpx.URL:
        return self.http_response.url

    def __repr__(self) -> str:
        return f"<AsyncAPIResponse [{self.status_code}] {self.http_response.request.method} {self.url.path}>"

    async def parse(self) -> _T:
        if not self._parsed:
            if not self._body_read and not self._parse_owns_body:
                await self.read()
            value = await self._parse(self.http_response)
            self._parsed.append(attach_request_id(value, self.http_response))
        return self._parsed[0]

    async def read(self) -> bytes:
        self._body_read = True
        try:
            return await self.http_response.aread()
        finally:
            if not self._parse_owns_body:
                await self.http_response.aclose()

    async def text(self) -> str:
        await self.read()
        return self.http_response.text

    async def json(self) -> Any:
        await self.read()
        return self.http_response.json()

    async def iter_bytes(self, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        async for chunk in self.http_response.aiter_bytes(chunk_size):
            yield chunk

    async def iter_lines(self) -> AsyncIterator[str]:
        async for line in self.http_response.aiter_lines():
            yield line

    async def close(self) -> None:
        await self.http_response.aclose()


def to_raw_response_wrapper(func: Callable[_P, _T]) -> Callable[_P, APIResponse[_T]]:
    """`func` returning its `APIResponse` instead of its value."""

    @functools.wraps(func)
    def wrapped(*args: _P.args, **kwargs: _P.kwargs) -> APIResponse[_T]:
        token = _MODE.set("raw")
        try:
            return cast(APIResponse[_T], func(*args, **kwargs))
        finally:
            _MODE.reset(token)

    return wrapped


def async_to_raw_response_wrapper(func: Callable[_P, Awaitable[_T]]) -> Callable[_P, Awaitable[AsyncAPIResponse[_T]]]:
    @functools.wraps(func)
    async def wrapped(*args: _P.args, **kwargs: _P.kwargs) -> AsyncAPIResponse[_T]:
        token = _MODE.set("raw")
        try:
            return cast(AsyncAPIResponse[_T], await func(*args, **kwargs))
        finally:
            _MODE.reset(token)

    return wrapped


def to_streamed_response_wrapper(
    func: Callable[_P, _T],
) -> Callable[_P, contextlib.AbstractContextManager[APIResponse[_T]]]:
    """`func` as a context manager yielding its `APIResponse` with the body unread; the
    response is closed on leaving the block."""

    @functools.wraps(func)
    def wrapped(*args: _P.args, **kwargs: _P.kwargs) -> contextlib.AbstractContextManager[APIResponse[_T]]:
        @contextlib.contextmanager
        def manager() -> Iterator[APIResponse[_T]]:
            token = _MODE.set("stream")
            try:
                response = cast(APIResponse[_T], func(*args, **kwargs))
            finally:
                _MODE.reset(token)
            try:
                yield response
            finally:
                response.close()

        return manager()

    return wrapped


def async_to_streamed_response_wrapper(
    func: Callable[_P, Awaitable[_T]],
) -> Callable[_P, contextlib.AbstractAsyncContextManager[AsyncAPIResponse[_T]]]:
    @functools.wraps(func)
    def wrapped(*args: _P.args, **kwargs: _P.kwargs) -> contextlib.AbstractAsyncContextManager[AsyncAPIResponse[_T]]:
        @contextlib.asynccontextmanager
        async def manager() -> AsyncIterator[AsyncAPIResponse[_T]]:
            token = _MODE.set("stream")
            try:
                response = cast(AsyncAPIResponse[_T], await func(*args, **kwargs))
            finally:
                _MODE.reset(token)
            try:
                yield response
            finally:
                await response.close()

        return manager()

    return wrapped
