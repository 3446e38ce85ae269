"""The wire: what happens to every HTTP exchange around the Starlette app.

:class:`WireMiddleware` must be the outermost ASGI layer (it needs the server's
own ``send`` to reach the connection). For every request it:

1. gives it an ``X-Request-ID`` (added to every response, errors and streams too);
2. refuses a body over the size limit (413, without reading it) and a body that
   does not arrive within the read timeout (408) (a head over 16 KiB never gets
   here: :mod:`promptrails_mock.protocol` answers it);
   these answers close the connection, since the rest of the body is never read;
3. for control requests (``/__mock/``): refuses them (404) unless the control API
   is on, or (401) without the control token when one is set;
4. for API requests (anything else): logs it in the request log (credentials
   redacted), applies the first matching programmed fault, and validates the
   response the app produces against openapi.yaml (JSON bodies whole, event
   streams frame by frame). A violation is logged, counted, and in strict mode
   answered as a 500 (or, once a stream has started, by dropping the connection).

Stream faults act on the wire, after validation: the frames the app produced are
checked as the app wrote them, then ``reformat_stream`` changes their line endings
and splits them into smaller writes; ``inject_frames`` writes its raw frames
between them without showing them to the checker (they are deliberately outside
the contract, so they are never counted as violations, and the checks of the
real frames around them, ids consecutive included, are unaffected).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import socket
import struct
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from promptrails_mock.errors import error_body
from promptrails_mock.executions import Opening
from promptrails_mock.faults import LINE_ENDINGS, Fault
from promptrails_mock.ids import ksuid
from promptrails_mock.jsonsafe import dumps
from promptrails_mock.validation import Contract, StreamChecker
from promptrails_mock.variants import reshape_json, reshape_sse

if TYPE_CHECKING:
    from promptrails_mock.app import MockState

__all__ = [
    "CLIENT_GONE_KEY",
    "CONTROL_MAX_BODY_BYTES",
    "CONTROL_TOKEN_HEADER",
    "OPERATION_KEY",
    "REQUEST_ID_KEY",
    "WIRE_REQUEST_KEY",
    "WireMiddleware",
    "abort_connection",
]

logger = logging.getLogger("promptrails_mock.wire")

_timeout = getattr(asyncio, "timeout", None)

REQUEST_ID_KEY = "promptrails_mock.request_id"
OPERATION_KEY = "promptrails_mock.operation"
"""In the scope: ``(method, path pattern)`` of the contract's operation for the request, or None."""
WIRE_REQUEST_KEY = "promptrails_mock.wire_request"
"""In the scope: the request as :class:`~promptrails_mock.validation.WireRequest` (body included once read)."""
CLIENT_GONE_KEY = "promptrails_mock.client_gone"
"""In the scope: a callable saying whether the answer can no longer reach the client (it went away, or a
fault dropped the connection), so that a stream stops following its run."""
CONTROL_TOKEN_HEADER = "X-Mock-Token"
CONTROL_MAX_BODY_BYTES = 8 * 1024 * 1024  # an inject_frames fault holds up to 1 MiB of frames, JSON-escaped


async def abort_connection(send: Send, *, reset: bool = True) -> None:
    """Drop the client's TCP connection without finishing the HTTP answer.

    ``reset=True`` resets it (RST, via SO_LINGER 0: the client sees "connection
    reset by peer", and loses whatever it had not read yet); ``reset=False``
    closes it after flushing what was written (FIN: the client reads the data
    sent so far, then sees the body end too early).

    ``send`` must be the server's own callable: uvicorn's is a bound method of the
    request cycle, which holds the asyncio transport.
    """
    owner = getattr(send, "__self__", None)
    transport = getattr(owner, "transport", None)
    if transport is None:
        raise RuntimeError("cannot reach the connection to drop it: run the mock under uvicorn (promptrails-mock)")
    if reset:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    else:
        transport.close()
    # Let the server see the connection is gone before the app returns, so it does not try to answer.
    for _ in range(10):
        if getattr(owner, "disconnected", True):
            break
        await asyncio.sleep(0)


def _with_request_id(send: Send, request_id: str) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [h for h in message.get("headers", []) if h[0].lower() != b"x-request-id"]
            headers.append((b"x-request-id", request_id.encode("latin-1")))
            message = {**message, "headers": headers}
        await send(message)

    return wrapped


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


class WireMiddleware:
    def __init__(self, app: ASGIApp, state: MockState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = f"req_{ksuid()}"
        scope[REQUEST_ID_KEY] = request_id
        owner = getattr(send, "__self__", None)
        path: str = scope["path"]
        control = path == "/__mock" or path.startswith("/__mock/")
        task = asyncio.current_task()
        if task is not None:
            self.state.inflight.add(task)  # so a stopping server lets it answer (see MockState.inflight)
        exchange = _Exchange(self.app, self.state, scope, receive, send, request_id, control=control)
        scope[CLIENT_GONE_KEY] = lambda: exchange.dead or bool(getattr(owner, "disconnected", False))
        try:
            await exchange._run()
        except asyncio.CancelledError:
            await exchange.stopping()
            raise
        except Exception:
            await exchange.failed()
        finally:
            exchange.opening.close()
            if task is not None:
                self.state.inflight.discard(task)


class _Exchange:
    """One API request and its response, with faults applied and the response validated."""

    def __init__(
        self,
        app: ASGIApp,
        state: MockState,
        scope: Scope,
        receive: Receive,
        send: Send,
        request_id: str,
        *,
        control: bool = False,
    ) -> None:
        self.app = app
        self.state = state
        self.scope = scope
        self.receive = receive
        self.raw_send = send
        self.request_id = request_id
        self.control = control
        self.method: str = scope["method"]
        self.path: str = scope["path"]
        query_string = scope.get("query_string", b"").decode("latin-1")
        self.headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        settings = state.settings
        # Control requests are not logged; nor is anything when the control API is off (nobody could read it).
        self.logged = not control and (settings.control or settings.control_token is not None)
        if not self.logged:
            self.entry: dict[str, Any] = {}
        else:
            api_key = _header(scope["headers"], b"x-api-key")
            workspace = state.workspace_for_key(api_key.decode("latin-1")) if api_key else None
            self.entry = state.requests.record(
                request_id,
                self.method,
                self.path,
                query_string,
                self.headers,
                workspace_id=None if workspace is None else str(workspace["id"]),
            )
        self.wire_request = Contract.request(self.method, self.path, query_string, self.headers, None)
        match = None if control else state.contract.match(self.method, self.path)
        scope[OPERATION_KEY] = match  # so that the app does not look it up again
        scope[WIRE_REQUEST_KEY] = self.wire_request  # nor build the request again (its body is set once read)
        self.wire_request._match = match
        operation = None if match is None else state.contract.document["paths"][match[1]][match[0]]
        self.operation_id: str | None = None if operation is None else operation.get("operationId")
        self.in_contract = operation is not None
        self.started = False
        self.dead = False
        self.opening = Opening(state.executions.turns)  # closed once the response starts (or a run does)

    # -- the exchange ---------------------------------------------------------------

    # (The wire middleware awaits _run itself, and calls these when it ends early: one coroutine less for each
    # of a thousand requests in flight.)

    async def stopping(self) -> None:
        """The server is stopping (uvicorn cancels what outlives its graceful shutdown): answer with the
        envelope rather than leave uvicorn to answer a plain-text 500."""
        if not self.started and not self.dead:
            with contextlib.suppress(Exception):
                await self._send_generated(
                    503, error_body("service_unavailable", "The mock server is stopping."), close=True
                )

    async def failed(self) -> None:
        """The exchange raised (called from the ``except`` block): 500, or a reset once the answer started."""
        logger.exception("request %s %s failed", self.method, self.path)
        if self.dead:
            return
        if not self.started:
            body = error_body("internal_error", "The mock server failed to handle this request.")
            await self._send_generated(500, body)
        else:
            await self._abort("reset")

    async def _run(self) -> None:
        if self.control:
            refusal = self._control_refusal()
            if refusal is not None:
                await self._send_generated(*refusal)
                return
        limit = CONTROL_MAX_BODY_BYTES if self.control else self.state.settings.max_body_bytes
        length = _header(self.scope["headers"], b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await self._too_large(limit)
            return
        fault = None if self.control else self.state.faults.match(self.method, self.path)
        if fault is not None:
            self.entry["fault_id"] = fault.id
        if fault is not None and fault.action == "reset" and fault.when == "before":
            await self._abort("reset")
            return
        body, outcome = await self._read_body(limit)
        if outcome == "client_disconnected":
            self.entry["outcome"] = outcome
            return
        if outcome == "too_large":
            await self._too_large(limit)
            return
        if outcome == "timeout":
            await self._timed_out()
            return
        if self.control:
            await self._run_control(body)
            return
        if self.logged:
            self.state.requests.set_body(self.entry, body)
        self.wire_request.body = body or None
        if fault is not None and fault.action == "status":
            await self._send_fault_status(fault)
            return
        if fault is not None and fault.action == "delay" and fault.seconds:
            await asyncio.sleep(fault.seconds)
        tap = _Tap(self, fault)
        try:
            await self.app(self.scope, self._replay(body), tap.send)
        except Exception:
            if not tap.finished and not self.started and not self.dead:
                raise
            logger.exception("request %s %s failed after its response started", self.method, self.path)
        await tap.app_returned()

    async def _read_body(self, limit: int) -> tuple[bytes, str]:
        """The whole body and ``complete``; or ``too_large`` (reading stopped), ``timeout`` (the body did
        not arrive within the read timeout) or ``client_disconnected``."""
        chunks: list[bytes] = []

        async def read() -> str:
            size = 0
            while True:
                message = await self.receive()
                if message["type"] == "http.disconnect":
                    return "client_disconnected"
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > limit:
                    return "too_large"
                chunks.append(chunk)
                if not message.get("more_body", False):
                    return "complete"

        owner = getattr(self.raw_send, "__self__", None)
        if getattr(owner, "more_body", True) is False and not getattr(owner, "disconnected", True):
            # uvicorn holds the whole body already (most requests arrive in one read): nothing to time.
            outcome = await read()
            return (b"".join(chunks) if outcome == "complete" else b""), outcome
        try:
            if _timeout is not None:  # Python 3.11+: no extra task per request (wait_for makes one before 3.12)
                async with _timeout(self.state.settings.read_timeout):
                    outcome = await read()
            else:  # pragma: no cover - Python 3.10
                outcome = await asyncio.wait_for(read(), self.state.settings.read_timeout)
        except asyncio.TimeoutError:
            return b"", "timeout"
        return (b"".join(chunks) if outcome == "complete" else b""), outcome

    # -- the control API ------------------------------------------------------------

    def _control_refusal(self) -> tuple[int, dict[str, Any]] | None:
        """Why a control request is refused (the API is off, or the token is missing or wrong), or None."""
        settings = self.state.settings
        if settings.control_token is not None:
            given = _header(self.scope["headers"], CONTROL_TOKEN_HEADER.lower().encode()) or b""
            if not hmac.compare_digest(given, settings.control_token.encode("utf-8")):
                return 401, error_body(
                    "unauthorized",
                    f"The control API needs the {CONTROL_TOKEN_HEADER} header with the server's control token.",
                )
            return None
        if not settings.control:
            return 404, error_body(
                "not_found",
                f"No route {self.method} {self.path}: the control API is off "
                "(start the mock with --control, or PROMPTRAILS_MOCK_CONTROL=1).",
                {"resource": "route"},
            )
        return None

    async def _run_control(self, body: bytes) -> None:
        send = _with_request_id(self._control_send, self.request_id)
        try:
            await self.app(self.scope, self._replay(body), send)
        except Exception:
            logger.exception("control request %s %s failed", self.method, self.path)
            if not self.started:
                await self._send_generated(500, error_body("internal_error", "The control request failed."))

    async def _control_send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        await self.raw_send(message)

    def _replay(self, body: bytes) -> Receive:
        delivered = False

        async def receive() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await self.receive()

        return receive

    # -- answers the middleware makes itself ----------------------------------------

    async def _too_large(self, limit: int) -> None:
        body = error_body(
            "payload_too_large",
            f"The request body is larger than {limit} bytes.",
            {"max_bytes": limit},
        )
        # The rest of the body is never read, so the connection cannot carry another request.
        await self._send_generated(413, body, close=True)

    async def _timed_out(self) -> None:
        timeout = self.state.settings.read_timeout
        body = error_body(
            "request_timeout",
            f"The request body did not arrive within {timeout:g} seconds.",
            {"timeout_seconds": timeout, "waiting_for": "body"},
        )
        await self._send_generated(408, body, close=True)

    async def _send_fault_status(self, fault: Fault) -> None:
        assert fault.status is not None
        body: Any = fault.body
        if body is None:
            from promptrails_mock.errors import default_code

            body = error_body(
                default_code(fault.status),
                f"Injected fault: {fault.status}.",
                {"fault_id": fault.id},
            )
        payload = body.encode("utf-8") if isinstance(body, str) else _dumps(body)
        media = "text/plain; charset=utf-8" if isinstance(body, str) else "application/json"
        headers = [(b"content-type", media.encode()), (b"content-length", str(len(payload)).encode())]
        headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in fault.headers.items()]
        # Programmed answers are deliberate: they are not validated against the contract.
        await self._send_raw(fault.status, headers, payload)

    async def _send_generated(self, status: int, body: dict[str, Any], *, close: bool = False) -> None:
        payload = _dumps(body)
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
        self._validate_buffered(status, headers, payload)
        if close:
            headers.append((b"connection", b"close"))
        await self._send_raw(status, headers, payload)

    async def _send_raw(self, status: int, headers: list[tuple[bytes, bytes]], payload: bytes) -> None:
        headers = [h for h in headers if h[0] != b"x-request-id"]
        headers.append((b"x-request-id", self.request_id.encode("latin-1")))
        self.started = True
        self.opening.close()
        await self.raw_send({"type": "http.response.start", "status": status, "headers": headers})
        await self.raw_send({"type": "http.response.body", "body": payload, "more_body": False})
        self.entry["status"] = status
        self.entry["outcome"] = "answered"

    async def _abort(self, outcome: str) -> None:
        if self.dead:
            return
        self.dead = True
        self.entry["outcome"] = outcome
        if outcome == "reset":
            self.entry["status"] = "reset"
        await abort_connection(self.raw_send, reset=outcome == "reset")

    # -- validation -----------------------------------------------------------------

    def _str_headers(self, headers: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
        return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers]

    def _validate_buffered(self, status: int, headers: list[tuple[bytes, bytes]], payload: bytes) -> list[str]:
        if not self.in_contract:
            return []
        with_id = [*headers, (b"x-request-id", self.request_id.encode("latin-1"))]
        errors = self.state.contract.response_errors(
            self.wire_request, status, self._str_headers(with_id), payload, streaming=False
        )
        if errors:
            self.violation(status, errors)
        return errors

    def violation(self, status: int | None, errors: list[str]) -> None:
        self.state.violations.add(self.request_id, self.method, self.path, status, errors)


class _Tap:
    """The ``send`` the app gets: validates, applies response-side faults, then really sends."""

    def __init__(self, exchange: _Exchange, fault: Fault | None) -> None:
        self.x = exchange
        self.fault = fault
        self.status: int | None = None
        self.headers: list[tuple[bytes, bytes]] = []
        self.streaming = False
        self.chunks: list[bytes] = []
        self.checker: StreamChecker | None = None
        self.frames_sent = 0
        self.injected = False
        self.finished = False

    @property
    def _action(self) -> str | None:
        return None if self.fault is None else self.fault.action

    async def send(self, message: Message) -> None:
        x = self.x
        if x.dead or self.finished:
            return
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
            self.headers = [h for h in message.get("headers", []) if h[0].lower() != b"x-request-id"]
            self.headers.append((b"x-request-id", x.request_id.encode("latin-1")))
            content_type = (_header(self.headers, b"content-type") or b"").lower()
            self.streaming = content_type.startswith(b"text/event-stream")
            if self.streaming:
                await self._start_stream()
            return
        if message["type"] != "http.response.body":
            return
        body = bytes(message.get("body", b""))
        more = bool(message.get("more_body", False))
        if self.streaming:
            await self._stream_body(body, more)
        else:
            self.chunks.append(body)
            if not more:
                await self._finish_buffered()

    # -- buffered (JSON and empty) responses ----------------------------------------

    async def _finish_buffered(self) -> None:
        x = self.x
        self.finished = True
        assert self.status is not None
        payload = b"".join(self.chunks)
        x.entry["handler_status"] = self.status
        status, headers = self.status, self.headers
        status, headers, payload = self._reshape(status, headers, payload, outside_contract=False)
        errors = x._validate_buffered(status, [h for h in headers if h[0] != b"x-request-id"], payload)
        if errors and x.state.settings.strict:
            status, payload = (
                500,
                _dumps(
                    error_body(
                        "response_validation_failed",
                        "The mock produced a response that violates openapi.yaml.",
                        {"errors": errors, "original_status": self.status},
                    )
                ),
            )
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
        else:
            status, headers, payload = self._reshape(status, headers, payload, outside_contract=True)
        if self._action == "reset":
            await x._abort("reset")
            return
        if self._action == "cut_stream":
            x.started = True
            x.opening.close()
            await x.raw_send({"type": "http.response.start", "status": status, "headers": headers})
            x.entry["status"] = status
            await x._abort("cut")
            return
        await x._send_raw(status, headers, payload)

    def _reshape(
        self, status: int, headers: list[tuple[bytes, bytes]], payload: bytes, *, outside_contract: bool
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """A JSON answer in the ``variant`` fault's shapes (those the contract describes, or those outside it)."""
        fault = self.fault
        if self._action != "variant" or fault is None or not payload:
            return status, headers, payload
        if not (_header(headers, b"content-type") or b"").lower().startswith(b"application/json"):
            return status, headers, payload
        try:
            original = json.loads(payload)
        except ValueError:
            return status, headers, payload
        new_status, reshaped = reshape_json(
            fault.variants,
            self.x.operation_id,
            status,
            original,
            outside_contract=outside_contract,
            execution_status=fault.execution_status or "paused",
        )
        if new_status == status and reshaped == original:
            return status, headers, payload
        payload = _dumps(reshaped)
        headers = [h for h in headers if h[0].lower() != b"content-length"]
        headers.append((b"content-length", str(len(payload)).encode()))
        return new_status, headers, payload

    # -- event streams --------------------------------------------------------------

    async def _start_stream(self) -> None:
        x = self.x
        assert self.status is not None
        x.entry["handler_status"] = self.status
        errors: list[str] = []
        if x.in_contract:
            errors = x.state.contract.response_errors(
                x.wire_request, self.status, x._str_headers(self.headers), None, streaming=True
            )
            if errors:
                x.violation(self.status, errors)
        if self._action == "reset":
            await x._abort("reset")
            return
        if errors and x.state.settings.strict:
            payload = _dumps(
                error_body(
                    "response_validation_failed",
                    "The mock produced a response that violates openapi.yaml.",
                    {"errors": errors, "original_status": self.status},
                )
            )
            self.finished = True
            await x._send_raw(
                500,
                [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())],
                payload,
            )
            return
        self.checker = StreamChecker(x.state.contract)
        x.started = True
        x.opening.close()
        await x.raw_send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        x.entry["status"] = self.status
        x.entry["outcome"] = "answered"
        if self._action == "cut_stream" and self.fault is not None and self.fault.after_frames == 0:
            await x._abort("cut")
        elif self._action == "inject_frames" and self.fault is not None and self.fault.after_frames == 0:
            await self._inject()

    @property
    def _per_frame(self) -> bool:
        """Whether the fault acts between frames (then each frame is its own write); else the frames of one
        body message go out in one write."""
        fault = self.fault
        if fault is None:
            return False
        if fault.action == "delay":
            return bool(fault.between_frames)
        return fault.action in ("cut_stream", "inject_frames", "reformat_stream")

    async def _stream_body(self, body: bytes, more: bool) -> None:
        x = self.x
        assert self.checker is not None
        if self._action == "variant" and self.fault is not None:
            body = reshape_sse(self.fault.variants, body)  # checked as reshaped: the contract covers these
        frames = self.checker.feed(body)
        if not self._per_frame:
            checked: list[bytes] = []
            for frame in frames:
                if frame.errors and x.in_contract:
                    x.violation(self.status, [f"frame {frame.id!r} ({frame.event}): {e}" for e in frame.errors])
                    if x.state.settings.strict:
                        if checked:
                            await self._write(b"".join(checked))
                        await x._abort("reset")
                        return
                checked.append(frame.raw)
            if checked:
                await self._write(b"".join(checked))
                self.frames_sent += len(checked)
        for frame in frames if self._per_frame else ():
            if frame.errors and x.in_contract:
                x.violation(self.status, [f"frame {frame.id!r} ({frame.event}): {e}" for e in frame.errors])
                if x.state.settings.strict:
                    await x._abort("reset")
                    return
            if self._action == "delay" and self.fault is not None and self.fault.between_frames and self.frames_sent:
                await asyncio.sleep(self.fault.between_frames)
            await self._write(frame.raw)
            self.frames_sent += 1
            if (
                self._action == "cut_stream"
                and self.fault is not None
                and self.frames_sent >= (self.fault.after_frames or 0)
            ):
                await x._abort("cut")
                return
            if (
                self._action == "inject_frames"
                and self.fault is not None
                and self.frames_sent >= (self.fault.after_frames or 0)
            ):
                await self._inject()
        if not more:
            self.finished = True
            errors = self.checker.finish()
            if errors and x.in_contract:
                x.violation(self.status, errors)
            if self._action == "inject_frames":
                await self._inject()  # the stream had fewer real frames than after_frames
            await x.raw_send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _write(self, raw: bytes) -> None:
        """Send real frames (one, or several checked together), as ``reformat_stream`` says (the app writes LF
        line ends; JSON data has none)."""
        fault = self.fault
        if self._action != "reformat_stream" or fault is None:
            await self.x.raw_send({"type": "http.response.body", "body": raw, "more_body": True})
            return
        raw = raw.replace(b"\n", LINE_ENDINGS[fault.line_endings or "lf"])
        size = fault.chunk_bytes or len(raw)
        for start in range(0, len(raw), size):
            await self.x.raw_send({"type": "http.response.body", "body": raw[start : start + size], "more_body": True})

    async def _inject(self) -> None:
        """Write the ``inject_frames`` fault's frames, verbatim, one write each, once per response."""
        if self.injected or self.fault is None or self.x.dead:
            return
        self.injected = True
        for frame in self.fault.frames or []:
            await self.x.raw_send({"type": "http.response.body", "body": frame.encode("utf-8"), "more_body": True})

    async def app_returned(self) -> None:
        """The app returned; anything it left unsent is not our problem, but a missing answer is."""
        x = self.x
        if self.status is None and not x.dead and not x.started:
            await x._send_generated(500, error_body("internal_error", "The handler returned no response."))


_dumps = dumps
