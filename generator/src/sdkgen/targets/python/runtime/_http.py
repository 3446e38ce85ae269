"""The HTTP core shared by the sync and async clients: configuration, credentials,
building requests, retries with backoff, Idempotency-Key handling, error mapping, raw
responses, logging and derived clients (RUNTIME.md "Configuration", "Retries", "Raw
responses and request ids", "Per-request options and the escape hatch", "Logging").

Generated methods build a request description with their endpoint module's `_get_kwargs`
and hand it to `request()` with how to read the answer; nothing else talks to httpx.
"""

from __future__ import annotations

import base64
import os
import random as _random
import time
from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType
from typing import Any, TypeVar
from urllib.parse import urlencode

import httpx

from ._encode import form_fields, plain, query_pairs
from ._errors import APIConnectionError, APIError, APITimeoutError, InvalidArgumentError, StreamError, status_error
from ._lifecycle import AsyncStreamRegistry, SyncStreamRegistry, _local
from ._logs import REDACTED, SdkLoggers, configure_from_env, redacted_headers, redacted_url
from ._response import APIResponse, AsyncAPIResponse, attach_request_id, take_response_mode
from ._retry import retry_delay, should_retry
from ._types import AuthSpec, NotGiven, RequestOptions, SdkIdentity, TimeoutTypes, new_idempotency_key

__all__ = [
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "REDACTED",
    "AsyncHTTPClient",
    "BaseClient",
    "Security",
    "SyncHTTPClient",
    "check_api_key",
]

DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=5.0)
DEFAULT_MAX_RETRIES = 2

# The security requirement alternatives of an operation: tuples of scheme keys; the first
# alternative whose schemes all have credentials is sent. An empty alternative: no
# credentials needed. No alternatives at all: the operation needs none.
Security = tuple[tuple[str, ...], ...]

_T = TypeVar("_T")
Sleep = Callable[[float], None]
AsyncSleep = Callable[[float], Awaitable[None]]
Credential = str | tuple[str, str]
# The headers, query parameters and cookies carrying a call's credentials (read-only).
_AuthParts = tuple[Mapping[str, str], tuple[tuple[str, str], ...], Mapping[str, str]]
_NO_AUTH: _AuthParts = (MappingProxyType({}), (), MappingProxyType({}))


class _Secret:
    """A credential, held so that no repr, str or attribute dump of a client shows it."""

    __slots__ = ("_value",)

    def __init__(self, value: Any) -> None:
        self._value = value

    def reveal(self) -> Any:
        return self._value

    def __repr__(self) -> str:
        return REDACTED

    __str__ = __repr__


def check_api_key(key: object, source: str) -> str:
    """The key, if usable as a header value; else `InvalidArgumentError` naming the problem
    (never the key: a key read from a file with its newline would otherwise fail later, in
    an HTTP library error or log line that shows it)."""
    if not key:
        raise InvalidArgumentError(f"no API key: pass {source}")
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


def _where(spec: AuthSpec) -> str:
    env = " and ".join(spec.env)
    return f"{spec.option}= or set the {env} environment variable{'s' if len(spec.env) > 1 else ''}"


def _credential(spec: AuthSpec, given: object) -> Credential | None:
    """The credential of one scheme: the argument, else the environment; None when absent."""
    if spec.kind == "basic":
        if given is None:
            env_user, env_password = (*spec.env, "", "")[:2]
            user = os.environ.get(env_user, "") if env_user else ""
            password = os.environ.get(env_password, "") if env_password else ""
            if not user and not password:
                return None
            given = (user, password)
        if not (isinstance(given, tuple) and len(given) == 2 and all(isinstance(x, str) for x in given)):
            raise InvalidArgumentError(f"{spec.option} must be a (username, password) tuple of strings")
        user, password = given
        if ":" in user:
            raise InvalidArgumentError(f"the username of {spec.option} must not contain ':'")
        for part in (user, password):
            if any(c < " " or c == "\x7f" for c in part):
                raise InvalidArgumentError(f"{spec.option} contains a control character")
        return (user, password)
    if given is None:
        given = os.environ.get(spec.env[0]) if spec.env else None
        if not given:
            return None
    return check_api_key(given, _where(spec))


def _as_timeout(value: TimeoutTypes) -> httpx.Timeout:
    if isinstance(value, httpx.Timeout):
        return value
    return httpx.Timeout(value)


def _check_retries(n: object) -> int:
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise InvalidArgumentError("max_retries must be an integer >= 0")
    return n


class BaseClient:
    """Configuration every client holds (RUNTIME.md "Configuration")."""

    _http: httpx.Client | httpx.AsyncClient

    def __init__(
        self,
        identity: SdkIdentity,
        *,
        credentials: Mapping[str, object],
        base_url: str | None,
        timeout: TimeoutTypes | NotGiven,
        max_retries: int,
        default_headers: Mapping[str, str] | None,
        clock: Callable[[], float] | None,
        random: Callable[[], float] | None,
        strict: bool = False,
    ) -> None:
        self._identity = identity
        self.log = SdkLoggers(identity.package)
        configure_from_env(identity.package, identity.env_prefix)
        # RUNTIME.md "Reading responses": check every response and event against the contract.
        self.strict = bool(strict)
        self._credentials: dict[str, _Secret] = {}
        for spec in identity.auth:
            if spec.location == "transport":
                continue
            value = _credential(spec, credentials.get(spec.option))
            if value is not None:
                self._credentials[spec.key] = _Secret(value)
        if identity.auth_required and not self._credentials:
            usable = [s for s in identity.auth if s.location != "transport"]
            if len(usable) == 1:
                raise InvalidArgumentError(f"no API key: pass {_where(usable[0])}")
            raise InvalidArgumentError("no credentials: pass " + ", or ".join(_where(s) for s in usable))
        url = base_url or os.environ.get(f"{identity.env_prefix}_BASE_URL") or identity.default_base_url
        self.base_url = url.rstrip("/")
        self.timeout: httpx.Timeout = DEFAULT_TIMEOUT if isinstance(timeout, NotGiven) else _as_timeout(timeout)
        self.max_retries = _check_retries(max_retries)
        self.default_headers: dict[str, str] = dict(default_headers or {})
        self._clock = clock or time.time
        self._random = random or _random.random
        self._secret_headers = {s.param for s in identity.auth if s.location == "header"}
        self._secret_params = {s.param for s in identity.auth if s.location == "query"}
        self._secret_cookies = {s.param for s in identity.auth if s.location == "cookie"}
        self._user_agent = identity.user_agent
        self._auth_sent: dict[Security, _Secret] = {}  # what `_auth` found per requirement
        self._timeout_dict: tuple[httpx.Timeout, dict[str, float | None]] | None = None

    def _derive_from(self, parent: BaseClient, changes: Mapping[str, Any]) -> None:
        """This client as a copy of `parent` with other defaults (`with_options`)."""
        self.__dict__.update(parent.__dict__)
        self._owns_http = False  # the pool stays the parent's
        creds = dict(parent._credentials)
        for spec in self._identity.auth:
            if spec.option in changes and spec.location != "transport":
                value = _credential(spec, changes[spec.option])
                if value is None:
                    creds.pop(spec.key, None)
                else:
                    creds[spec.key] = _Secret(value)
        self._credentials = creds
        if changes.get("base_url") is not None:
            self.base_url = str(changes["base_url"]).rstrip("/")
        if not isinstance(changes.get("timeout", NotGiven()), NotGiven):
            self.timeout = DEFAULT_TIMEOUT if changes["timeout"] is None else _as_timeout(changes["timeout"])
        if not isinstance(changes.get("max_retries", NotGiven()), NotGiven):
            self.max_retries = _check_retries(changes["max_retries"])
        if changes.get("default_headers"):
            self.default_headers = {**parent.default_headers, **changes["default_headers"]}
        if not isinstance(changes.get("strict", NotGiven()), NotGiven):
            self.strict = bool(changes["strict"])
        self._auth_sent = {}  # the credentials may differ from the parent's
        self._timeout_dict = None

    @property
    def api_key(self) -> str | None:
        """The first key or token the client holds, in the order of the spec's schemes."""
        for spec in self._identity.auth:
            secret = self._credentials.get(spec.key)
            value = secret.reveal() if secret is not None else None
            if isinstance(value, str):
                return value
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    # -- building a request -----------------------------------------------------------
    def _auth(self, security: Security) -> _AuthParts:
        """The headers, query parameters and cookies that carry the credentials of the
        first satisfiable security alternative (read-only: the same on every call of this
        client, so made once per requirement and kept, as the credentials are, where no
        repr or attribute dump shows them)."""
        known = self._auth_sent.get(security)
        if known is not None:
            parts: _AuthParts = known.reveal()
            return parts
        if not security:
            return _NO_AUTH
        by_key = {s.key: s for s in self._identity.auth}
        for alternative in security:
            usable = all(by_key.get(k) is not None and (by_key[k].location == "transport" or k in self._credentials)
                         for k in alternative)
            if not usable:
                continue
            headers: dict[str, str] = {}
            params: list[tuple[str, str]] = []
            cookies: dict[str, str] = {}
            for k in alternative:
                spec = by_key[k]
                if spec.location == "transport":
                    continue
                value = self._credentials[k].reveal()
                if isinstance(value, tuple):
                    value = base64.b64encode(f"{value[0]}:{value[1]}".encode()).decode("ascii")
                text = spec.prefix + value
                if spec.location == "header":
                    headers[spec.param] = text
                elif spec.location == "query":
                    params.append((spec.param, text))
                else:
                    cookies[spec.param] = text
            parts = (MappingProxyType(headers), tuple(params), MappingProxyType(cookies))
            if len(self._auth_sent) < 256:
                self._auth_sent[security] = _Secret(parts)
            return parts
        wanted = [s for s in self._identity.auth if any(s.key in alt for alt in security) and s.location != "transport"]
        raise InvalidArgumentError("this call needs credentials: pass " + ", or ".join(_where(s) for s in wanted))

    def _timeout_extension(self, options: RequestOptions) -> dict[str, dict[str, float | None]]:
        """The request's `timeout` extension (what httpx's `build_request` makes of a
        `timeout=` argument: `Timeout(timeout).as_dict()`), the client's own made once."""
        if not isinstance(options.timeout, NotGiven):
            return {"timeout": _as_timeout(options.timeout).as_dict()}
        timeout = self.timeout
        cached = self._timeout_dict
        if cached is None or cached[0] is not timeout:  # set again (a derived client, by hand)
            cached = self._timeout_dict = (timeout, timeout.as_dict())
        return {"timeout": dict(cached[1])}

    def _build(
        self,
        http: httpx.Client | httpx.AsyncClient,
        request: Mapping[str, Any],
        options: RequestOptions,
        *,
        idempotency_key: str | None,
        accept: str | None,
        security: Security,
    ) -> httpx.Request:
        auth_headers, auth_params, auth_cookies = self._auth(security)
        headers: dict[str, str] = {"Accept": accept or "application/json", "User-Agent": self._user_agent}
        if self.default_headers:
            headers.update(self.default_headers)
        given_headers = request.get("headers")
        if given_headers:
            headers.update(given_headers)
        if auth_headers:
            headers.update(auth_headers)
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        if options.extra_headers:
            for k, v in options.extra_headers.items():
                if v is None:
                    for name in [h for h in headers if h.lower() == k.lower()]:
                        del headers[name]
                else:
                    headers[k] = str(v)
        given_params = request.get("params")
        params: list[tuple[str, str]] = [*(given_params or ()), *auth_params] if given_params or auth_params else []
        if options.extra_query:
            for key, value in options.extra_query.items():
                params = [p for p in params if p[0] != key]
                params.extend(query_pairs(key, value))
        given_cookies = request.get("cookies")
        if given_cookies or auth_cookies:
            cookies = {**(given_cookies or {}), **auth_cookies}
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        body: dict[str, Any] = {}
        extra_body = options.extra_body
        if "json" in request:
            payload = request["json"]
            if extra_body:
                if not isinstance(payload, dict):
                    raise InvalidArgumentError("extra_body needs a JSON object body")
                payload = {**payload, **plain(dict(extra_body))}
            body["json"] = payload
        elif "data" in request or "files" in request:
            data: list[tuple[str, str]] = list(request.get("data") or [])
            if extra_body:
                extra = form_fields(extra_body)
                given = {k for k, _ in extra}
                data = [(k, v) for k, v in data if k not in given] + extra
            if "files" in request:
                fields: dict[str, list[str]] = {}
                for k, v in data:
                    fields.setdefault(k, []).append(v)
                body["data"] = fields
                body["files"] = request["files"]
            else:
                body["content"] = urlencode(data).encode("ascii")
                headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        elif "content" in request:
            if extra_body:
                raise InvalidArgumentError("extra_body cannot be merged into a binary or text body")
            body["content"] = request["content"]
        elif extra_body:
            body["json"] = plain(dict(extra_body))
        query: list[tuple[str, str | int | float | bool | None]] | None = list(params) if params else None
        req = http.build_request(
            str(request["method"]).upper(),
            self.base_url + str(request["url"]),
            params=query,
            headers=headers,
            extensions=self._timeout_extension(options),
            **body,
        )
        return req

    def _retries(self, options: RequestOptions) -> int:
        return _check_retries(self.max_retries if isinstance(options.max_retries, NotGiven) else options.max_retries)

    def _redact(self, request: httpx.Request) -> httpx.Request:
        """Once a request is sent, its credentials are redacted: the request stays reachable
        (`response.request`, `error.request`, `stream.response.request`) and must not show
        them. A retry builds the request again, with them."""
        for name in self._secret_headers:
            if name in request.headers:
                request.headers[name] = REDACTED
        if self._secret_cookies and "cookie" in request.headers:
            request.headers["cookie"] = REDACTED
        if self._secret_params and any(k in self._secret_params for k in request.url.params.keys()):
            params = [(k, REDACTED if k in self._secret_params else v) for k, v in request.url.params.multi_items()]
            request.url = request.url.copy_with(params=params)
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
            raise StreamError(
                f"expected a text/event-stream response, got content-type {ctype!r}",
                request=self._redact(response.request),
            )

    # -- logging --------------------------------------------------------------------
    def _log_sending(self, req: httpx.Request) -> None:
        log = self.log.http
        if log.isEnabledFor(10):  # DEBUG
            log.debug(
                "request %s %s headers=%s",
                req.method,
                redacted_url(req.url, self._secret_params),
                redacted_headers(req.headers, self._secret_headers),
            )

    def _log_answer(self, req: httpx.Request, response: httpx.Response | None, started: float, error: str | None) -> None:
        log = self.log.http
        if not log.isEnabledFor(20):  # INFO
            return
        ms = (time.monotonic() - started) * 1000
        path = redacted_url(req.url, self._secret_params)
        if response is None:
            log.info("%s %s -> %s in %.0f ms", req.method, path, error, ms)
            return
        rid = response.headers.get("x-request-id")
        log.info("%s %s -> %d in %.0f ms%s", req.method, path, response.status_code, ms,
                 f", request_id {rid}" if rid else "")
        if log.isEnabledFor(10):
            log.debug("response headers=%s", redacted_headers(response.headers))

    def _log_retry(self, req: httpx.Request, attempt: int, delay: float, reason: str) -> None:
        self.log.http.info(
            "retrying %s %s (attempt %d) in %.3f s: %s",
            req.method, redacted_url(req.url, self._secret_params), attempt + 2, delay, reason,
        )

    def _idempotency_key(self, options: RequestOptions, idempotent: bool) -> str | None:
        """The caller's key when given (any method), else a new one for an operation whose
        spec declares Idempotency-Key; one per call, sent unchanged on every retry."""
        key = options.idempotency_key
        if isinstance(key, str):
            return key
        return new_idempotency_key() if idempotent else None


class SyncHTTPClient(BaseClient):
    """The blocking transport: sends with the retry policy and reads the answer."""

    _http: httpx.Client

    def __init__(
        self,
        identity: SdkIdentity,
        *,
        credentials: Mapping[str, object],
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
            credentials=credentials,
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
        self._streams = SyncStreamRegistry(self.log.stream)

    def derive(self, **changes: Any) -> SyncHTTPClient:
        """A client with other defaults sharing this one's connection pool."""
        new = object.__new__(SyncHTTPClient)
        new._derive_from(self, changes)
        return new

    def close(self) -> None:
        """Close every stream still open, then the pool (unless the caller owns it)."""
        self._streams.close_all()
        if self._owns_http:
            self._http.close()

    def request(
        self,
        request: Mapping[str, Any],
        options: RequestOptions,
        parse: Callable[[httpx.Response], _T],
        *,
        idempotent: bool = False,
        stream: bool = False,
        security: Security = (),
        accept: str | None = None,
    ) -> _T:
        """Send, then read the answer with `parse` (RUNTIME.md "Raw responses and request
        ids": under `with_raw_response`, an `APIResponse` instead, parsed on demand; under
        `with_streaming_response`, one whose body is read on demand)."""
        mode = take_response_mode()
        streamed = stream or mode == "stream"
        response = self.send(request, options, idempotent=idempotent, stream=streamed, security=security,
                             accept=accept, event_stream=stream)
        if mode is not None:
            raw: Any = APIResponse(response, parse, body_read=not streamed, parse_owns_body=stream)
            return raw  # type: ignore[no-any-return]
        try:
            result = parse(response)
        except BaseException:
            if streamed and not stream:
                response.close()
            raise
        return attach_request_id(result, response)

    def send(
        self,
        request: Mapping[str, Any],
        options: RequestOptions,
        *,
        idempotent: bool = False,
        stream: bool = False,
        retries: int | None = None,
        security: Security = (),
        accept: str | None = None,
        event_stream: bool = False,
    ) -> httpx.Response:
        """Send with the retry policy; returns a successful response or raises a typed error.

        With `stream=True` the body is not read (the caller closes the response);
        `event_stream` also checks that the answer is `text/event-stream`.
        """
        max_retries = self._retries(options) if retries is None else retries
        self._streams.reap()  # streams dropped without close(): a safe point to close them
        key = self._idempotency_key(options, idempotent)
        attempt = 0
        while True:
            req = self._build(self._http, request, options, idempotency_key=key, accept=accept, security=security)
            started = time.monotonic()
            self._log_sending(req)
            local = _local  # `with in_sdk_call():`, inlined (once per attempt)
            local.depth = getattr(local, "depth", 0) + 1
            try:
                response, error = self._attempt(req, stream, event_stream)
            finally:
                local.depth -= 1
            self._log_answer(req, response, started, None if response is not None else str(error))
            if error is None:
                assert response is not None
                return response
            retryable = response is None or should_retry(response)
            if not retryable or attempt >= max_retries:
                raise error
            delay = self._delay(attempt, response)
            self._log_retry(req, attempt, delay, str(error))
            self._sleep(delay)
            attempt += 1

    def _attempt(
        self, req: httpx.Request, stream: bool, event_stream: bool
    ) -> tuple[httpx.Response | None, APIError | None]:
        """One attempt: a successful response (error None), or the error with the response
        it came from (None for a connection error). The request is redacted either way."""
        try:
            response = self._http.send(req, stream=stream)
        except httpx.TransportError as exc:
            return None, self._transport_error(exc, req)
        self._redact(response.request)
        if response.status_code < 400:
            if event_stream:
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


class AsyncHTTPClient(BaseClient):
    """The asyncio transport: the same policy as `SyncHTTPClient`."""

    _http: httpx.AsyncClient

    def __init__(
        self,
        identity: SdkIdentity,
        *,
        credentials: Mapping[str, object],
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
            credentials=credentials,
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
        self._streams = AsyncStreamRegistry(self.log.stream)

    def derive(self, **changes: Any) -> AsyncHTTPClient:
        """A client with other defaults sharing this one's connection pool."""
        new = object.__new__(AsyncHTTPClient)
        new._derive_from(self, changes)
        return new

    async def close(self) -> None:
        """Close every stream still open, then the pool (unless the caller owns it)."""
        await self._streams.close_all()
        if self._owns_http:
            await self._http.aclose()

    async def request(
        self,
        request: Mapping[str, Any],
        options: RequestOptions,
        parse: Callable[[httpx.Response], Awaitable[_T]],
        *,
        idempotent: bool = False,
        stream: bool = False,
        security: Security = (),
        accept: str | None = None,
    ) -> _T:
        """See `SyncHTTPClient.request`; `parse` is awaited."""
        mode = take_response_mode()
        streamed = stream or mode == "stream"
        response = await self.send(request, options, idempotent=idempotent, stream=streamed, security=security,
                                   accept=accept, event_stream=stream)
        if mode is not None:
            raw: Any = AsyncAPIResponse(response, parse, body_read=not streamed, parse_owns_body=stream)
            return raw  # type: ignore[no-any-return]
        try:
            result = await parse(response)
        except BaseException:
            if streamed and not stream:
                await response.aclose()
            raise
        return attach_request_id(result, response)

    async def send(
        self,
        request: Mapping[str, Any],
        options: RequestOptions,
        *,
        idempotent: bool = False,
        stream: bool = False,
        retries: int | None = None,
        security: Security = (),
        accept: str | None = None,
        event_stream: bool = False,
    ) -> httpx.Response:
        max_retries = self._retries(options) if retries is None else retries
        if self._streams.pending:
            await self._streams.reap()  # streams dropped without close()
        key = self._idempotency_key(options, idempotent)
        attempt = 0
        while True:
            req = self._build(self._http, request, options, idempotency_key=key, accept=accept, security=security)
            started = time.monotonic()
            self._log_sending(req)
            response, error = await self._attempt(req, stream, event_stream)
            self._log_answer(req, response, started, None if response is not None else str(error))
            if error is None:
                assert response is not None
                return response
            retryable = response is None or should_retry(response)
            if not retryable or attempt >= max_retries:
                raise error
            delay = self._delay(attempt, response)
            self._log_retry(req, attempt, delay, str(error))
            await self._sleep(delay)
            attempt += 1

    async def _attempt(
        self, req: httpx.Request, stream: bool, event_stream: bool
    ) -> tuple[httpx.Response | None, APIError | None]:
        try:
            response = await self._http.send(req, stream=stream)
        except httpx.TransportError as exc:
            return None, self._transport_error(exc, req)
        self._redact(response.request)
        if response.status_code < 400:
            if event_stream:
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

