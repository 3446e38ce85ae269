"""The listening socket: every pending connection accepted at once.

uvloop's server (libuv, since https://github.com/libuv/libuv/pull/3696)
accepts one connection per turn of the event loop. On a busy server a turn is
the time it takes to move every open stream a step on, so a thousand clients
connecting together waited a thousand turns to be accepted: the last ones got
their first frame seconds late, while the first streams had long finished.
asyncio's own server accepts everything pending (up to its backlog) at once;
:class:`Listener` does the same on any loop that can watch a socket
(``add_reader``), and hands each connection to the loop with
``connect_accepted_socket``, as a server the loop made itself would.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
from collections.abc import Callable

__all__ = ["Listener"]

logger = logging.getLogger("promptrails_mock.wire")

_OUT_OF_RESOURCES = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
RETRY_DELAY = 1.0
"""Seconds before accepting again when the process ran out of descriptors (as asyncio's server waits)."""


class Listener:
    """Accepts every connection pending on ``sock`` (up to ``batch`` a wake-up) and serves each with a new
    ``protocol_factory()``. Has what uvicorn needs of a server: ``close()`` and ``wait_closed()``."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        sock: socket.socket,
        protocol_factory: Callable[[], asyncio.Protocol],
        *,
        batch: int = 2048,
    ) -> None:
        self._loop = loop
        self._sock = sock
        self._factory = protocol_factory
        self._batch = batch
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False
        self._retry: asyncio.TimerHandle | None = None
        sock.setblocking(False)
        loop.add_reader(sock.fileno(), self._accept)

    def _accept(self) -> None:
        for _ in range(self._batch):
            try:
                conn, _ = self._sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionAbortedError:
                continue  # the client gave up before it was accepted
            except OSError as exc:
                if exc.errno not in _OUT_OF_RESOURCES:
                    raise
                logger.error("cannot accept connections (%s): trying again in %g s", exc, RETRY_DELAY)
                self._loop.remove_reader(self._sock.fileno())
                self._retry = self._loop.call_later(RETRY_DELAY, self._resume)
                return
            conn.setblocking(False)
            task = self._loop.create_task(self._serve(conn))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _resume(self) -> None:
        self._retry = None
        if not self._closed:
            self._loop.add_reader(self._sock.fileno(), self._accept)

    async def _serve(self, conn: socket.socket) -> None:
        try:
            await self._loop.connect_accepted_socket(self._factory, conn)
        except Exception as exc:  # the connection broke before it could be served
            logger.debug("could not serve an accepted connection: %s", exc)
            conn.close()

    def close(self) -> None:
        """Stop accepting (connections already accepted go on)."""
        if self._closed:
            return
        self._closed = True
        if self._retry is not None:
            self._retry.cancel()
        else:
            self._loop.remove_reader(self._sock.fileno())
        self._sock.close()

    async def wait_closed(self) -> None:
        """Nothing to wait for: uvicorn waits for the connections itself."""
