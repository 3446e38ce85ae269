"""The HTTP/1.1 protocol the mock runs on: uvicorn's httptools protocol (llhttp), with three changes.

1. **The request head is held to the rules the mock has always kept.** llhttp is
   more lenient than the rules the mock documents in places, and has no limit of
   its own on a head's size; here a head is refused, before the app sees it, when
   it is over :data:`MAX_HEAD_BYTES` (431 ``request_header_fields_too_large``,
   whether it arrived whole or in pieces), when an HTTP/1.1 request has no
   ``Host`` or several (400), and when it uses a ``Transfer-Encoding`` other than
   ``chunked`` alone (501 ``not_implemented``; llhttp would accept
   ``gzip, chunked``). Lines end with CRLF: a bare LF is 400 (llhttp cannot be
   made to accept one after the request line, so it is accepted nowhere).
2. **Errors the parser finds carry the error envelope.** uvicorn answers a
   request llhttp cannot parse with a plain-text ``400 Invalid HTTP request
   received.``; here the answer is the mock's envelope
   ``{"error": {"code", "message", "details": {"reason"}}}`` with an
   ``X-Request-ID``: 400 ``bad_request`` (a bad request line, header or chunk,
   a bad or repeated ``Content-Length``, an HTTP/2 preface), with the parser's
   words in ``details.reason``, or one of the statuses above. The connection is
   closed after it; for a request pipelined behind others (llhttp reads ahead of
   the answers), after their answers, and the bad request never runs.
3. **A request head must arrive within the read timeout.** uvicorn waits for
   a head forever; here a connection that sent part of a head and then
   nothing for ``read_timeout`` seconds gets 408 ``request_timeout`` and is
   closed, and one that sent nothing at all is closed without an answer (as an
   idle keep-alive connection is). The body's own timeout is the middleware's
   (:mod:`promptrails_mock.middleware`), which can answer through the app.

What cannot be shaped: a connection the client resets or half-closes before
its head is complete gets no answer at all (there is nobody to read it); TLS
bytes get the 400 envelope in plain HTTP/1.1, which such a client cannot read;
an error the parser finds after the response started (a bad chunk in a body the
app is no longer reading) can only close the connection.

The ASGI ``send`` uvicorn gives the app is a bound method of the request cycle,
which holds the connection's transport: :func:`promptrails_mock.middleware.abort_connection`
reaches it there to drop or reset the connection for a fault.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from promptrails_mock.errors import default_code, error_body
from promptrails_mock.ids import ksuid
from promptrails_mock.jsonsafe import dumps

__all__ = ["MAX_HEAD_BYTES", "protocol_class"]

logger = logging.getLogger("promptrails_mock.wire")

MAX_HEAD_BYTES = 16 * 1024
"""The largest request head (request line and headers) the mock reads."""

_MESSAGES = {
    400: "The request is not valid HTTP/1.1.",
    431: f"The request head (request line and headers) is larger than {MAX_HEAD_BYTES} bytes.",
    501: "The request uses an HTTP feature the mock does not implement.",
}

# Where the parser is in the request stream of a connection.
_IDLE = 0  # between requests: nothing of the next one has arrived
_HEAD = 1  # a request head has begun and is not complete
_BODY = 2  # the head is complete, the request's body (if any) is being read


class _HeadWithBody:
    """A request cycle's view of the connection: the response's first write (its head) is held until the
    second (the first of its body), so that both leave in one write and one TCP segment; a head alone
    leaves at the end of the loop's pass. Closing sends what is held; aborting (a reset) drops it."""

    __slots__ = ("_held", "_loop", "_started", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None
        self._started = False

    def write(self, data: bytes) -> None:
        if not self._started:
            self._started = True
            self._held = data
            self._loop.call_soon(self.flush)
            return
        held = self._held
        if held is not None:
            self._held = None
            data = held + data
        self._transport.write(data)

    def flush(self) -> None:
        held, self._held = self._held, None
        if held is not None and not self._transport.is_closing():
            self._transport.write(held)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._held = None
        self._transport.abort()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)


class _Refused(Exception):
    """Raised from a parser callback to stop parsing a head the mock refuses (see ``_refusal``)."""


class EnvelopeProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the mock's head rules, enveloped protocol errors and a head timeout."""

    read_timeout: float = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        self._state = _IDLE
        self._begun = 0  # requests begun on this connection
        self._head_bytes = 0  # bytes of the current, incomplete head received so far
        self._refusal: tuple[int, str] | None = None
        self._deferred: bytes | None = None  # an error answer waiting for the answers before it

    # -- the parser's callbacks -----------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._state = _HEAD
        self._begun += 1
        self._head_bytes = 0

    def on_headers_complete(self) -> None:
        self._state = _BODY
        self._cancel_head_timer()
        size = len(self.url)
        hosts = 0
        for name, value in self.headers:  # uvicorn lower-cases the names
            size += len(name) + len(value) + 4
            if name == b"host":
                hosts += 1
            elif name == b"transfer-encoding" and value.strip().lower() != b"chunked":
                self._refuse(501, f"Transfer-Encoding {value[:40]!r} is not supported (only chunked)")
        if size > MAX_HEAD_BYTES:
            self._refuse(431, f"the request head is {size} bytes, more than {MAX_HEAD_BYTES}")
        if hosts > 1:
            self._refuse(400, "more than one Host header")
        if not hosts and self.parser.get_http_version() == "1.1":
            self._refuse(400, "an HTTP/1.1 request without a Host header")
        before = self.cycle
        super().on_headers_complete()
        if self.cycle is not before:  # (always: the mock serves no upgrades)
            self.cycle.transport = _HeadWithBody(self.transport, self.loop)  # type: ignore[assignment]

    def on_message_complete(self) -> None:
        self._state = _IDLE
        super().on_message_complete()

    def _refuse(self, status: int, reason: str) -> None:
        self._refusal = (status, reason)
        raise _Refused(reason)

    # -- reading, and the head timeout ----------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def data_received(self, data: bytes) -> None:
        if self._deferred is not None:
            return  # the parser failed; what follows the bad request is never read
        state, begun = self._state, self._begun
        super().data_received(data)  # parse errors end in send_400_response
        if self._state != _HEAD or self.transport.is_closing():
            return
        # A head still incomplete: count its bytes, when this read held nothing but (the rest of) it.
        if (state == _HEAD and begun == self._begun) or (state == _IDLE and begun + 1 == self._begun):
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD_BYTES:
                status = 431
                self._send_error(
                    status,
                    default_code(status),
                    _MESSAGES[status],
                    {"reason": f"more than {MAX_HEAD_BYTES} bytes of head without its end"},
                )

    def on_response_complete(self) -> None:
        pipelined = bool(self.pipeline)
        super().on_response_complete()
        if pipelined or self.transport.is_closing():
            return
        if self._deferred is not None:  # a protocol error behind the answer just completed: its envelope now
            self.transport.write(self._deferred)
            self.transport.close()
            return
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(self.read_timeout, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or self._state == _BODY:
            return
        if self._state == _IDLE:
            self.transport.close()  # an idle connection: nothing to answer
            return
        self._send_error(
            408,
            "request_timeout",
            f"The request head did not arrive within {self.read_timeout:g} seconds.",
            {"timeout_seconds": self.read_timeout, "waiting_for": "head"},
        )

    # -- protocol errors ------------------------------------------------------------

    def send_400_response(self, msg: str) -> None:
        # uvicorn calls this from inside its ``except httptools.HttpParserError`` block: the error is at hand.
        refusal, self._refusal = self._refusal, None
        if refusal is not None:
            status, reason = refusal
        else:
            error = sys.exc_info()[1]
            status, reason = 400, (str(error) if error is not None else msg) or msg
            if "PRI" in reason:  # llhttp's "Pause on PRI/Upgrade": it recognised an HTTP/2 connection preface
                reason = f"an HTTP/2 connection preface (PRI * HTTP/2.0); the mock speaks HTTP/1.1 ({reason})"
        self._send_error(status, default_code(status), _MESSAGES[status], {"reason": reason[:200]})

    def _send_error(self, status: int, code: str, message: str, details: dict[str, Any]) -> None:
        """Answer the envelope on the connection, then close it; after the answers to the requests before this
        one, when it was pipelined behind them (a response cannot be cut into)."""
        self._cancel_head_timer()
        # The failing request is the one whose body was being read, or a new one whose head never completed.
        failing = self.cycle if self._state == _BODY else None
        if failing is not None and failing.response_started:
            # Its own answer is already under way: all that can be done is to close the connection.
            logger.info("protocol error after the response started: closing the connection")
            failing.disconnected = True
            failing.message_event.set()
            self.transport.close()
            return
        # Answers still to go out before this one: a request running ahead of the failing one (then the failing one
        # is queued, or has no cycle yet) and any queued between them.
        ahead = bool(self.pipeline) or (failing is None and self.cycle is not None and not self.cycle.response_complete)
        if failing is not None:
            failing.disconnected = True  # its app, if it runs, can no longer answer it
            failing.message_event.set()
            self.pipeline = type(self.pipeline)(item for item in self.pipeline if item[0] is not failing)
        payload = dumps(error_body(code, message, details))
        head = b"".join(
            (
                STATUS_LINE[status],
                b"content-type: application/json\r\n",
                b"content-length: %d\r\n" % len(payload),
                b"x-request-id: req_%s\r\n" % ksuid().encode(),
                b"connection: close\r\n\r\n",
            )
        )
        logger.info("answered %d %s on the wire: %s", status, code, details)
        if ahead:
            self._deferred = head + payload  # sent once the answers ahead of it are (on_response_complete)
            return
        self.transport.write(head + payload)
        self.transport.close()


def protocol_class(read_timeout: float) -> type[EnvelopeProtocol]:
    """The protocol class for uvicorn's ``http=`` setting, with this read timeout."""
    return type("MockHttpProtocol", (EnvelopeProtocol,), {"read_timeout": float(read_timeout)})
