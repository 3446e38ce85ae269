"""The HTTP core shared by the sync and async clients: configuration, headers, auth,
retries with backoff, Idempotency-Key handling and error mapping.

Generated resource methods build a request with the generated endpoint module's
`_get_kwargs` and hand it here; nothing else in the SDK talks to httpx.
"""

from __future__ import annotations

import logging
import os
import random as _random
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx

from ._errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    InvalidArgumentError,
    status_error,
)
from ._lifecycle import AsyncStreamRegistry, SyncStreamRegistry, in_sdk_call
from ._retry import retry_delay, should_retry
from ._types import NotGiven, RequestOptions, SdkIdentity, TimeoutTypes

__all__ = ["DEFAULT_MAX_RETRIES", "DEFAULT_TIMEOUT", "REDACTED", "AsyncHTTPClient", "BaseClient", "SyncHTTPClient"]

log = logging.getLogger("sdk._core")

DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=5.0)
DEFAULT_MAX_RETRIES = 2
REDACTED = "<redacted>"

Sleep = Callable[[float], None]
AsyncSleep = Callable[[float], Awaitable[None]]


class _Secret:
    """The API key, held so that no repr, str or attribute dump of a client shows it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return REDACTED

    __str__ = __repr__


def check_api_key(key: str | None, source: str) -> str:
    """The key, if usable as a header value; else `InvalidArgumentError` naming the problem
    (never the key: a key read from a file with its newline would otherwise fail later, in
    an HTTP library error or log line that shows it)."""
    if not key:
        raise InvalidArgumentError(f"no API key: pass api_key= or set the {source} environment variable")
    if not isinstance(key, str):
        raise InvalidArgumentError(f"the API key must be a string, not {type(key).__name__}")
    if not key.isascii():
        raise InvalidArgumentError("the API key contains a non-ASCII character; API keys are printable ASCII")
    if any(c < " " or c == "\x7f" for c in key):
        raise InvalidArgumentError(
            "the API key contains a control character (a line break, tab or the like; "
            "a key read from a file often keeps its trailing newline)"
        )
    if key != key.strip(" "):
        raise InvalidArgumentError("the API key starts or ends with a space")
    return key


def _as_timeout(value: TimeoutTypes) -> httpx.Timeout:
    if isinstance(value, httpx.Timeout):
        return value
    return httpx.Timeout(value)


class BaseClient:
    """Configuration every client holds (RUNTIME.md "Configuration")."""

    def __init__(
        self,
        identity: SdkIdentity,
        *,
        api_key: str | None,
        base_url: str | None,
        timeout: TimeoutTypes | NotGiven,
        max_retries: int,
        default_headers: Mapping[str, str] | None,
        clock: Callable[[], float] | None,
        random: Callable[[], float] | None,
        strict: bool = False,
    ) -> None:
        self._identity = identity
        # RUNTIME.md "Reading responses": check every response and event against the contract.
        self.strict = bool(strict)
        env = f"{identity.env_prefix}_API_KEY"
        key = check_api_key(api_key if api_key is not None else os.environ.get(env), env)
        self.__api_key = _Secret(key)
        url = base_url or os.environ.get(f"{identity.env_prefix}_BASE_URL") or identity.default_base_url
        self.base_url = url.rstrip("/")
        self.timeout: httpx.Timeout = DEFAULT_TIMEOUT if isinstance(timeout, NotGiven) else _as_timeout(timeout)
        if not isinstance(max_retries, int) or isinstance(max_retries, bool) or max_retries < 0:
            raise InvalidArgumentError("max_retries must be an integer >= 0")
        self.max_retries = max_retries
        self.default_headers: dict[str, str] = dict(default_headers or {})
        self._clock = clock or time.time
        self._random = random or _random.random

    @property
    def api_key(self) -> str:
        return self.__api_key.reveal()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, api_key={REDACTED!r})"

    # -- building a request -----------------------------------------------------------
    def _headers(self, kwargs_headers: Mapping[str, Any] | None, options: RequestOptions) -> dict[str, str]:
        headers: dict[str, str] = {
            "Accept": "application/json",
            "User-Agent": self._identity.user_agent,
        }
        headers.update(self.default_headers)
        for k, v in (kwargs_headers or {}).items():
            headers[k] = str(v)
        if self._identity.auth_header:
            headers[self._identity.auth_header] = self.__api_key.reveal()
        headers.update(options.extra_headers or {})
        return headers

    def _build(
        self,
        http: httpx.Client | httpx.AsyncClient,
        request: Mapping[str, Any],
        options: RequestOptions,
        *,
        idempotent: bool,
        accept: str | None,
    ) -> httpx.Request:
        headers = self._headers(request.get("headers"), options)
        if accept:
            headers["Accept"] = accept
        if idempotent:
            key = options.idempotency_key
            # One key per call, sent unchanged on every retry (the caller's, if given).
            headers["Idempotency-Key"] = key if isinstance(key, str) else str(uuid.uuid4())
        timeout = self.timeout if isinstance(options.timeout, NotGiven) else _as_timeout(options.timeout)
        return http.build_request(
            str(request["method"]).upper(),
            self.base_url + str(request["url"]),
            params=request.get("params"),
            json=request.get("json"),
            headers=headers,
            timeout=timeout,
        )

    def _retries(self, options: RequestOptions) -> int:
        n = self.max_retries if isinstance(options.max_retries, NotGiven) else options.max_retries
        if not isinstance(n, int) or n < 0:
            raise InvalidArgumentError("max_retries must be an integer >= 0")
        return n

    def _redact(self, request: httpx.Request) -> httpx.Request:
        """Once a request is sent, its auth header is redacted: the request stays reachable
        (`response.request`, `error.request`, `stream.response.request`) and must not show
        the key. A retry rebuilds the request with the key (`_rebuild`)."""
        auth = self._identity.auth_header
        if auth and auth in request.headers:
            request.headers[auth] = REDACTED
        return request

    def _transport_error(self, exc: httpx.TransportError, request: httpx.Request) -> APIConnectionError:
        self._redact(request)
        if isinstance(exc, httpx.TimeoutException):
            return APITimeoutError(f"Request timed out ({type(exc).__name__}).", request=request)
        return APIConnectionError(f"Connection error ({type(exc).__name__}).", request=request)

    def _delay(self, retry_index: int, response: httpx.Response | None) -> float:
        return retry_delay(retry_index, response, now=self._clock, random=self._random)

    def _check_stream_response(self, response: httpx.Response) -> None:
        ctype = response.headers.get("content-type", "")
        if "text/event-stream" not in ctype:
            from ._errors import StreamError

            raise StreamError(
                f"expected a text/event-stream response, got content-type {ctype!r}",
                request=self._redact(response.request),
            )


def _log_retry(request: httpx.Request, attempt: int, delay: float, reason: str) -> None:
    log.debug("retrying %s %s (attempt %d) in %.3fs: %s", request.method, request.url, attempt + 2, delay, reason)


class SyncHTTPClient(BaseClient):
    """The blocking transport: one method that sends with retries."""

    def __init__(
        self,
        identity: SdkIdentity,
        *,
        api_key: str | None,
        base_url: str | None,
        timeout: TimeoutTypes | NotGiven,
        max_retries: int,
        default_headers: Mapping[str, str] | None,
        http_client: httpx.Client | None,
        sleep: Sleep | None,
        clock: Callable[[], float] | None,
        random: Callable[[], float] | None,
        strict: bool = False,
    ) -> None:
        super().__init__(
            identity,
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            clock=clock,
            random=random,
            strict=strict,
        )
        self._owns_http = http_client is None
        self._http = http_client if http_client is not None else httpx.Client()
        self._sleep: Sleep = sleep or time.sleep
        self._streams = SyncStreamRegistry()

    def close(self) -> None:
        """Close every stream still open, then the pool (unless the caller owns it)."""
        self._streams.close_all()
        if self._owns_http:
            self._http.close()

    def send(
        self,
        request: Mapping[str, Any],
        options: RequestOptions,
        *,
        idempotent: bool = False,
        stream: bool = False,
        retries: int | None = None,
    ) -> httpx.Response:
        """Send with the retry policy; returns a successful response or raises a typed error.

        With `stream=True` the body is not read (the caller closes the response).
        """
        max_retries = self._retries(options) if retries is None else retries
        self._streams.reap()  # streams dropped without close(): a safe point to close them
        req = self._build(self._http, request, options, idempotent=idempotent, accept="text/event-stream" if stream else None)
        attempt = 0
        while True:
            with in_sdk_call():
                response, error = self._attempt(req, stream)
            if error is None:
                assert response is not None
                return response
            retryable = response is None or should_retry(response)
            if not retryable or attempt >= max_retries:
                raise error
            delay = self._delay(attempt, response)
            _log_retry(req, attempt, delay, str(error))
            self._sleep(delay)
            attempt += 1
            req = self._rebuild(req)

    def _attempt(self, req: httpx.Request, stream: bool) -> tuple[httpx.Response | None, APIError | None]:
        """One attempt: a successful response (error None), or the error with the response
        it came from (None for a connection error). The request is redacted either way."""
        try:
            response = self._http.send(req, stream=stream)
        except httpx.TransportError as exc:
            return None, self._transport_error(exc, req)
        self._redact(response.request)
        if response.status_code < 400:
            if stream:
                try:
                    self._check_stream_response(response)
                except Exception:
                    response.close()
                    raise
            return response, None
        try:
            response.read()
        except httpx.TransportError as exc:
            return None, self._transport_error(exc, req)
        finally:
            response.close()
        return response, status_error(response)

    def _rebuild(self, req: httpx.Request) -> httpx.Request:
        # The same method, URL, body and headers (the same Idempotency-Key); the auth header
        # was redacted once the previous attempt was sent, so it is set again.
        headers = httpx.Headers(req.headers)
        if self._identity.auth_header:
            headers[self._identity.auth_header] = self.api_key
        return httpx.Request(req.method, req.url, headers=headers, content=req.content, extensions=req.extensions)


class AsyncHTTPClient(BaseClient):
    """The asyncio transport: the same policy as `SyncHTTPClient`."""

    def __init__(
        self,
        identity: SdkIdentity,
        *,
        api_key: str | None,
        base_url: str | None,
        timeout: TimeoutTypes | NotGiven,
        max_retries: int,
        default_headers: Mapping[str, str] | None,
        http_client: httpx.AsyncClient | None,
        sleep: AsyncSleep | None,
        clock: Callable[[], float] | None,
        random: Callable[[], float] | None,
        strict: bool = False,
    ) -> None:
        super().__init__(
            identity,
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            clock=clock,
            random=random,
            strict=strict,
        )
        self._owns_http = http_client is None
        self._http = http_client if http_client is not None else httpx.AsyncClient()
        if sleep is None:
            import asyncio

            sleep = asyncio.sleep
        self._sleep: AsyncSleep = sleep
        self._streams = AsyncStreamRegistry()

    async def close(self) -> None:
        """Close every stream still open, then the pool (unless the caller owns it)."""
        await self._streams.close_all()
        if self._owns_http:
            await self._http.aclose()

    async def send(
        self,
        request: Mapping[str, Any],
        options: RequestOptions,
        *,
        idempotent: bool = False,
        stream: bool = False,
        retries: int | None = None,
    ) -> httpx.Response:
        max_retries = self._retries(options) if retries is None else retries
        if self._streams.pending:
            await self._streams.reap()  # streams dropped without close()
        req = self._build(self._http, request, options, idempotent=idempotent, accept="text/event-stream" if stream else None)
        attempt = 0
        while True:
            response, error = await self._attempt(req, stream)
            if error is None:
                assert response is not None
                return response
            retryable = response is None or should_retry(response)
            if not retryable or attempt >= max_retries:
                raise error
            delay = self._delay(attempt, response)
            _log_retry(req, attempt, delay, str(error))
            await self._sleep(delay)
            attempt += 1
            req = self._rebuild(req)

    async def _attempt(self, req: httpx.Request, stream: bool) -> tuple[httpx.Response | None, APIError | None]:
        try:
            response = await self._http.send(req, stream=stream)
        except httpx.TransportError as exc:
            return None, self._transport_error(exc, req)
        self._redact(response.request)
        if response.status_code < 400:
            if stream:
                try:
                    self._check_stream_response(response)
                except Exception:
                    await response.aclose()
                    raise
            return response, None
        try:
            await response.aread()
        except httpx.TransportError as exc:
            return None, self._transport_error(exc, req)
        finally:
            await response.aclose()
        return response, status_error(response)

    def _rebuild(self, req: httpx.Request) -> httpx.Request:
        headers = httpx.Headers(req.headers)
        if self._identity.auth_header:
            headers[self._identity.auth_header] = self.api_key
        return httpx.Request(req.method, req.url, headers=headers, content=req.content, extensions=req.extensions)


def is_status_error(err: BaseException) -> bool:
    return isinstance(err, APIStatusError)
