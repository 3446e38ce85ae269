"""How a stream's HTTP connection is released (RUNTIME.md "Streams", closing).

A `Stream` reads one HTTP response at a time through a `SyncConnection` (or an
`AsyncConnection`). The connection is released in exactly one of these ways:

- **Consumed.** After the terminal event, the next step the caller takes (asking for
  another event, `close()`, leaving the `with` block, `until_done()`) reads the rest of the
  body, at most `DRAIN_LIMIT` bytes, so httpx hands the connection back to its pool for the
  next request. More than that, or an error while reading it, and the connection is closed.
- **Closed early.** `close()` before the terminal event, an error, a drop before a resume:
  the response is closed and httpx discards the connection.
- **Dropped.** The caller let go of the stream without closing it (`break` out of a `for`
  loop, an exception, a cancelled task). The stream object and its reading state reference
  each other nowhere (no generator holds the stream), so plain reference counting frees the
  stream at once and `Stream.__del__` hands its connection to the client's `StreamRegistry`.

What `__del__` may do is the delicate part. httpcore's pool guards its state with a
non-reentrant lock; closing a response takes it. A finaliser run by the *cyclic* garbage
collector can fire anywhere, including inside httpcore while that lock is held by the same
thread: closing there would wait on itself forever. So:

1. every open connection is also held by its client's registry, so the objects httpx
   creates to read a body (generators that close the connection when finalised) are never
   garbage while the client is alive: the garbage collector can only ever finalise the
   stream object, never the connection under it;
2. `__del__` only appends to a `collections.deque` (atomic, takes no lock) and then closes
   at once only when that is provably safe: this thread is not inside a garbage collection
   (a `gc.callbacks` hook marks collections per thread) and not inside a call of this SDK
   into httpx (a per-thread depth counter). Otherwise the connection waits in the deque;
3. the deque is emptied at the next safe point: the client's next request, and the
   client's `close()`. For asyncio, a dropped stream also schedules an emptying task on its
   event loop (`call_soon_threadsafe`, which takes no lock the caller may hold), because an
   async close must be awaited.
"""

from __future__ import annotations

import asyncio
import collections
import gc
import logging
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx

from .sse import Frame, SSEParser, Usual

__all__ = [
    "DRAIN_LIMIT",
    "AsyncConnection",
    "AsyncStreamRegistry",
    "SyncConnection",
    "SyncStreamRegistry",
    "in_sdk_call",
    "safe_to_close_now",
]

DRAIN_LIMIT = 64 * 1024  # bytes read after a terminal event to give a connection back

# What reading the rest of a body or closing a response may raise on a broken connection.
_CLOSE_ERRORS = (httpx.HTTPError, httpx.StreamError, OSError)

_local = threading.local()


def _on_gc(phase: str, info: dict[str, Any]) -> None:
    # Runs on the collecting thread, before ("start") and after ("stop") each collection.
    _local.collecting = phase == "start"


if _on_gc not in gc.callbacks:
    gc.callbacks.append(_on_gc)


class in_sdk_call:
    """Marks this thread as inside a call of the SDK into httpx (reentrant)."""

    __slots__ = ()

    def __enter__(self) -> None:
        _local.depth = getattr(_local, "depth", 0) + 1

    def __exit__(self, *exc: object) -> None:
        _local.depth -= 1




def safe_to_close_now() -> bool:
    """Whether a finaliser on this thread may close a response now: not inside a garbage
    collection and not inside this SDK's own use of httpx."""
    return not getattr(_local, "collecting", False) and not getattr(_local, "depth", 0)


def _identity(response: httpx.Response) -> bool:
    """Whether the body is read as it came: no Content-Encoding for httpx to decode, and
    not read yet (a body already read is only reachable through `iter_bytes`)."""
    return "content-encoding" not in response.headers and not response.is_stream_consumed


class SyncConnection:
    """One streamed HTTP response being read as Server-Sent Events. It holds no reference to
    the stream that reads it."""

    __slots__ = ("chunks", "frames", "parser", "response")

    def __init__(self, response: httpx.Response, max_event_size: int) -> None:
        self.response = response
        # Without a Content-Encoding, `iter_bytes` yields what `iter_raw` yields, through
        # one more generator and a no-op decoder per chunk: read the raw chunks then.
        self.chunks: Iterator[bytes] = (
            response.iter_raw() if _identity(response) else response.iter_bytes()
        )
        self.parser = SSEParser(max_event_size=max_event_size)
        self.frames: collections.deque[Frame | Usual] = collections.deque()  # read, not yet taken

    def next_item(self) -> Frame | Usual | None:
        """The next complete event: a `Frame`, or, for an event written the usual way, the
        `Usual` tuple the parser hands out for it (no `Frame` made: `parser.frame` makes one);
        None at the end of the body (httpx errors propagate)."""
        frames = self.frames
        if frames:
            return frames.popleft()
        parser = self.parser
        local = _local
        while True:
            # `with in_sdk_call()`, inlined (once per chunk)
            local.depth = getattr(local, "depth", 0) + 1
            try:
                chunk = next(self.chunks, None)
            finally:
                local.depth -= 1
            if chunk is None:
                parser.close()  # an incomplete event at EOF is dropped
                return None
            one = parser.feed_one(chunk)
            if one is not None:
                return one  # the usual chunk of one event: no list, no queueing
            events = parser.feed_items(chunk)
            if events:
                if len(events) > 1:
                    frames.extend(events)
                    return frames.popleft()
                return events[0]

    def drain(self, limit: int = DRAIN_LIMIT) -> bool:
        """Read the rest of the body (at most `limit` bytes); True when it ended, which
        returns the connection to httpx's pool."""
        read = 0
        with in_sdk_call():
            for chunk in self.chunks:
                read += len(chunk)
                if read > limit:
                    return False
        return True

    def close(self) -> None:
        with in_sdk_call():
            try:
                self.response.close()
            finally:
                close = getattr(self.chunks, "close", None)
                if close is not None:
                    close()


class AsyncConnection:
    """The asyncio flavour of `SyncConnection`."""

    __slots__ = ("chunks", "frames", "loop", "parser", "response")

    def __init__(self, response: httpx.Response, max_event_size: int) -> None:
        self.response = response
        self.chunks: AsyncIterator[bytes] = (
            response.aiter_raw() if _identity(response) else response.aiter_bytes()
        )
        self.parser = SSEParser(max_event_size=max_event_size)
        self.frames: collections.deque[Frame | Usual] = collections.deque()
        try:
            self.loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self.loop = None  # not asyncio (e.g. trio): a dropped stream waits for the next call

    async def next_item(self) -> Frame | Usual | None:
        """See `SyncConnection.next_item`."""
        frames = self.frames
        if frames:
            return frames.popleft()
        parser = self.parser
        while True:
            try:
                chunk = await self.chunks.__anext__()
            except StopAsyncIteration:
                parser.close()
                return None
            one = parser.feed_one(chunk)
            if one is not None:
                return one
            events = parser.feed_items(chunk)
            if events:
                if len(events) > 1:
                    frames.extend(events)
                    return frames.popleft()
                return events[0]

    async def drain(self, limit: int = DRAIN_LIMIT) -> bool:
        read = 0
        async for chunk in self.chunks:
            read += len(chunk)
            if read > limit:
                return False
        return True

    async def aclose(self) -> None:
        try:
            await self.response.aclose()
        finally:
            aclose = getattr(self.chunks, "aclose", None)
            if aclose is not None:
                await aclose()


class SyncStreamRegistry:
    """The open stream connections of one blocking client, and those waiting to be closed."""

    def __init__(self, log: logging.Logger) -> None:
        self.log = log
        self._live: set[SyncConnection] = set()
        self._dropped: collections.deque[SyncConnection] = collections.deque()

    def __len__(self) -> int:
        return len(self._live)

    def track(self, conn: SyncConnection) -> SyncConnection:
        self._live.add(conn)
        return conn

    def release(self, conn: SyncConnection, *, drain: bool) -> None:
        """Done with `conn` (a safe point: called by the caller's own step). With `drain`,
        read the rest of the body first so the connection can be reused."""
        self._live.discard(conn)
        try:
            if drain:
                conn.drain()  # at the end of the body httpx gives the connection back
        except _CLOSE_ERRORS as exc:  # a broken connection: it is closed below either way
            self.log.debug("draining a finished stream failed: %s", type(exc).__name__)
        conn.close()  # closes it unless it was given back

    def abandon(self, conn: SyncConnection) -> None:
        """A stream was dropped without close(). Called from `__del__`: takes no lock here."""
        self._dropped.append(conn)
        if safe_to_close_now():
            self.reap()

    def reap(self) -> None:
        """Close every dropped stream's connection (only at a safe point)."""
        dropped = self._dropped
        while dropped:
            try:
                conn = dropped.popleft()
            except IndexError:  # another thread took the last one
                return
            self._live.discard(conn)
            try:
                conn.close()
            except _CLOSE_ERRORS as exc:
                self.log.debug("closing a dropped stream failed: %s", type(exc).__name__)

    def close_all(self) -> None:
        self.reap()
        for conn in list(self._live):
            self.release(conn, drain=False)


class AsyncStreamRegistry:
    """The asyncio flavour: a dropped stream is closed by a task on its event loop."""

    def __init__(self, log: logging.Logger) -> None:
        self.log = log
        self._live: set[AsyncConnection] = set()
        self._dropped: collections.deque[AsyncConnection] = collections.deque()
        self._reapers: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._live)

    @property
    def pending(self) -> bool:
        return bool(self._dropped)

    def track(self, conn: AsyncConnection) -> AsyncConnection:
        self._live.add(conn)
        return conn

    async def release(self, conn: AsyncConnection, *, drain: bool) -> None:
        self._live.discard(conn)
        try:
            if drain:
                await conn.drain()
        except _CLOSE_ERRORS as exc:
            self.log.debug("draining a finished stream failed: %s", type(exc).__name__)
        await conn.aclose()

    def abandon(self, conn: AsyncConnection) -> None:
        """A stream was dropped (or its task cancelled mid-read). Called from `__del__` or an
        exception handler: never awaits, takes no lock the caller may hold."""
        self._dropped.append(conn)
        loop = conn.loop
        if loop is None or loop.is_closed():
            return  # closed by the client's next request or its close()
        try:
            loop.call_soon_threadsafe(self._start_reaper)
        except RuntimeError:  # the loop closed meanwhile
            pass

    def _start_reaper(self) -> None:
        if not self._dropped:
            return
        task = asyncio.ensure_future(self.reap())
        self._reapers.add(task)  # a strong reference until it finishes
        task.add_done_callback(self._reapers.discard)

    async def reap(self) -> None:
        dropped = self._dropped
        while dropped:
            try:
                conn = dropped.popleft()
            except IndexError:
                return
            self._live.discard(conn)
            try:
                await conn.aclose()
            except _CLOSE_ERRORS as exc:
                self.log.debug("closing a dropped stream failed: %s", type(exc).__name__)

    async def close_all(self) -> None:
        await self.reap()
        for conn in list(self._live):
            await self.release(conn, drain=False)
