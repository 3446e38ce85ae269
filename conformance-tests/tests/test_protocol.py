"""The connection as a request cycle sees it: a response's head leaves with the first of its body."""

from __future__ import annotations

import asyncio
from typing import Any

from promptrails_mock.protocol import _HeadWithBody


class _Transport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = self.aborted = False

    def write(self, data: bytes) -> None:
        assert not self.closed, "written after close"
        self.writes.append(data)

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 1)}.get(name, default)


def _run(body: Any) -> Any:
    async def main() -> Any:
        transport = _Transport()
        view = _HeadWithBody(transport, asyncio.get_running_loop())  # type: ignore[arg-type]
        return await body(transport, view)

    return asyncio.run(main())


def test_the_head_and_the_first_body_write_leave_together() -> None:
    async def body(transport: _Transport, view: _HeadWithBody) -> list[bytes]:
        view.write(b"HEAD")
        assert transport.writes == []
        view.write(b"frame 1")
        view.write(b"frame 2")
        await asyncio.sleep(0)
        return transport.writes

    assert _run(body) == [b"HEADframe 1", b"frame 2"]


def test_a_head_alone_leaves_at_the_end_of_the_pass() -> None:
    async def body(transport: _Transport, view: _HeadWithBody) -> list[bytes]:
        view.write(b"HEAD")
        await asyncio.sleep(0)
        assert transport.writes == [b"HEAD"]
        view.write(b"frame 1")
        return transport.writes

    assert _run(body) == [b"HEAD", b"frame 1"]


def test_close_sends_the_head_and_abort_drops_it() -> None:
    async def closing(transport: _Transport, view: _HeadWithBody) -> tuple[list[bytes], bool]:
        view.write(b"HEAD")
        view.close()
        await asyncio.sleep(0)  # the scheduled flush finds nothing left, and writes nothing after the close
        return transport.writes, transport.closed

    assert _run(closing) == ([b"HEAD"], True)

    async def aborting(transport: _Transport, view: _HeadWithBody) -> tuple[list[bytes], bool]:
        view.write(b"HEAD")
        view.abort()
        await asyncio.sleep(0)
        return transport.writes, transport.aborted

    assert _run(aborting) == ([], True)


def test_the_rest_is_the_transport_s() -> None:
    async def body(transport: _Transport, view: _HeadWithBody) -> tuple[bool, Any, Any]:
        before = view.is_closing()
        transport.close()
        return before, view.is_closing(), view.get_extra_info("peername")

    assert _run(body) == (False, True, ("127.0.0.1", 1))
