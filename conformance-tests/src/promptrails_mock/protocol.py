"""The HTTP/1.1 protocol the mock runs on: uvicorn's h11 protocol, with two changes.

1. **Errors the parser finds carry the error envelope.** uvicorn answers a
   request h11 cannot parse with a plain-text ``400 Invalid HTTP request
   received.``; here the answer is the mock's envelope
   ``{"error": {"code", "message", "details": {"reason"}}}`` with an
   ``X-Request-ID``, and the status h11 suggests: 400 ``bad_request`` (a bad
   request line, header or chunk, a missing ``Host``, conflicting
   ``Content-Length``), 431 ``request_header_fields_too_large`` (a head over
   :data:`MAX_HEAD_BYTES`), 501 ``not_implemented`` (a ``Transfer-Encoding``
   other than ``chunked``). The connection is closed after it, as before.
2. **A request head must arrive within the read timeout.** uvicorn waits for
   a head forever; here a connection that sent part of a head and then
   nothing for ``read_timeout`` seconds gets 408 ``request_timeout`` and is
   closed, and one that sent nothing at all is closed without an answer (as an
   idle keep-alive connection is). The body's own timeout is the middleware's
   (:mod:`promptrails_mock.middleware`), which can answer through the app.

What cannot be shaped: a connection the client resets or half-closes before
its head is complete gets no answer at all (there is nobody to read it); TLS or
HTTP/2 bytes get the 400 envelope in plain HTTP/1.1, which such a client cannot
read; an error h11 finds after the response started (a bad chunk in a body the
app is no longer reading) can only close the connection.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from promptrails_mock.errors import default_code, error_body
from promptrails_mock.ids import ksuid
from promptrails_mock.jsonsafe import dumps

__all__ = ["MAX_HEAD_BYTES", "protocol_class"]

logger = logging.getLogger("promptrails_mock.wire")

MAX_HEAD_BYTES = 16 * 1024
"""h11's limit on a request head (request line and headers), as uvicorn configures it by default."""

_MESSAGES = {
    400: "The request is not valid HTTP/1.1.",
    431: f"The request head (request line and headers) is larger than {MAX_HEAD_BYTES} bytes.",
    501: "The request uses an HTTP feature the mock does not implement.",
}


class EnvelopeH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with enveloped protocol errors and a timeout on request heads."""

    read_timeout: float = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        self._head_bytes = 0

    # -- the head timeout -----------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._arm_head_timer(0)

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:
            self._head_bytes += len(data)
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._cancel_head_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._arm_head_timer(len(self.conn.trailing_data[0]))

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def _arm_head_timer(self, buffered: int) -> None:
        self._cancel_head_timer()
        self._head_bytes = buffered
        self._head_timer = self.loop.call_later(self.read_timeout, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if not self._head_bytes:
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
        # uvicorn calls this from inside its ``except h11.RemoteProtocolError`` block: the error is at hand.
        error = sys.exc_info()[1]
        status = getattr(error, "error_status_hint", 400) if isinstance(error, h11.RemoteProtocolError) else 400
        status = status if status in _MESSAGES else 400
        reason = str(error) if error is not None else msg
        self._send_error(status, default_code(status), _MESSAGES[status], {"reason": reason[:200]})

    def _send_error(self, status: int, code: str, message: str, details: dict[str, Any]) -> None:
        """Answer the envelope on the connection itself, then close it."""
        self._cancel_head_timer()
        if self.cycle is not None and not self.cycle.response_complete:
            # The app is still reading this request; it can no longer answer it.
            self.cycle.disconnected = True
            self.cycle.message_event.set()
        payload = dumps(error_body(code, message, details))
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode()),
            (b"x-request-id", f"req_{ksuid()}".encode()),
            (b"connection", b"close"),
        ]
        try:
            output = self.conn.send(h11.Response(status_code=status, headers=headers))
            output = (output or b"") + (self.conn.send(h11.Data(data=payload)) or b"")
            output += self.conn.send(h11.EndOfMessage()) or b""
        except h11.LocalProtocolError:
            # A response is already under way on this connection: all that can be done is to close it.
            logger.info("protocol error after the response started: closing the connection")
            self.transport.close()
            return
        logger.info("answered %d %s on the wire: %s", status, code, details)
        self.transport.write(output)
        self.transport.close()


def protocol_class(read_timeout: float) -> type[EnvelopeH11Protocol]:
    """The protocol class for uvicorn's ``http=`` setting, with this read timeout."""
    return type("MockH11Protocol", (EnvelopeH11Protocol,), {"read_timeout": float(read_timeout)})
