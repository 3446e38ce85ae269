"""The listening socket accepts every pending connection at once, and survives running out of descriptors."""

from __future__ import annotations

import asyncio
import errno
import socket
from typing import Any

import pytest

from promptrails_mock import listener as listener_module
from promptrails_mock.listener import Listener

MADE: list[_Served] = []


class _Served(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        MADE.append(self)
        self.transport = transport


def _listening() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


def test_every_pending_connection_is_accepted_in_one_wake_up() -> None:
    async def main() -> tuple[int, int]:
        loop = asyncio.get_running_loop()
        sock = _listening()
        clients = [socket.create_connection(sock.getsockname()) for _ in range(20)]
        MADE.clear()
        listener = Listener(loop, sock, _Served)
        try:
            listener._accept()  # one wake-up, before the loop runs anything
            accepted = len(listener._tasks)
            for _ in range(10):
                await asyncio.sleep(0)
            return accepted, len(MADE)
        finally:
            for protocol in MADE:
                protocol.transport.close()
            for client in clients:
                client.close()
            listener.close()

    assert asyncio.run(main()) == (20, 20)


class _Exhausted:
    """A listening socket whose first accept fails as a process out of descriptors would."""

    def __init__(self, real: socket.socket) -> None:
        self.real = real
        self.accepts = 0

    def fileno(self) -> int:
        return self.real.fileno()

    def setblocking(self, flag: bool) -> None:
        self.real.setblocking(flag)

    def accept(self) -> tuple[socket.socket, Any]:
        self.accepts += 1
        if self.accepts == 1:
            raise OSError(errno.EMFILE, "Too many open files")
        return self.real.accept()

    def close(self) -> None:
        self.real.close()


def test_out_of_descriptors_pauses_accepting_then_resumes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(listener_module, "RETRY_DELAY", 0.05)

    async def main() -> tuple[int, int]:
        loop = asyncio.get_running_loop()
        real = _listening()
        sock = _Exhausted(real)
        client = socket.create_connection(real.getsockname())
        MADE.clear()
        listener = Listener(loop, sock, _Served)  # type: ignore[arg-type]
        try:
            for _ in range(100):
                await asyncio.sleep(0.01)
                if MADE:
                    break
            return sock.accepts, len(MADE)
        finally:
            for protocol in MADE:
                protocol.transport.close()
            client.close()
            listener.close()

    accepts, served = asyncio.run(main())
    assert served == 1 and accepts >= 2, "accepted after the pause"


def test_close_during_the_pause_cancels_the_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(listener_module, "RETRY_DELAY", 60)

    async def main() -> bool:
        loop = asyncio.get_running_loop()
        real = _listening()
        sock = _Exhausted(real)
        client = socket.create_connection(real.getsockname())
        listener = Listener(loop, sock, _Served)  # type: ignore[arg-type]
        try:
            for _ in range(100):
                await asyncio.sleep(0.01)
                if listener._retry is not None:
                    break
            retry = listener._retry
            listener.close()
            await listener.wait_closed()
            return retry is not None and retry.cancelled() and real.fileno() == -1
        finally:
            client.close()

    assert asyncio.run(main())
