"""Streams left by careless callers: no hang, no leak, connections reused (issue 9).

Against the real mock server (`promptrails_mock.testing.MockServer`) and a small local
uvicorn/h11 server that counts the TCP connections it accepted. Every scenario runs under
a watchdog that fails the test instead of hanging CI; pools are small (2 connections) so a
leaked connection shows as a pool timeout within seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import gzip
import os
import socket
import sys
import threading
import traceback
import weakref
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import httpx
import pytest
import respx
import uvicorn

from conftest import BASE, KEY, RUN, SSE_HEADERS, frames
from promptrails import AsyncPromptRails, DoneEvent, PromptRails
from promptrails_mock import testing

T = TypeVar("T")

# Abandoned streams in a row per scenario, and the pool size. To run issue 9's own case
# (2,000 streams, httpx's default pool of 100):
#   PROMPTRAILS_TEST_STREAM_ROUNDS=2000 PROMPTRAILS_TEST_POOL=100 pytest python-sdk/tests/test_stream_lifecycle.py
ROUNDS = int(os.environ.get("PROMPTRAILS_TEST_STREAM_ROUNDS", "200"))
POOL = int(os.environ.get("PROMPTRAILS_TEST_POOL", "2"))
WATCHDOG = max(60.0, ROUNDS * 0.25)  # seconds before a stuck scenario fails (it normally takes a few)


def fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def watchdog(fn: Callable[[], T], seconds: float = WATCHDOG) -> T:
    """Run `fn` in a thread; fail (with its stack) if it has not finished after `seconds`."""
    result: list[T] = []
    error: list[BaseException] = []

    def run() -> None:
        try:
            result.append(fn())
        except BaseException as exc:  # re-raised in the test's thread
            error.append(exc)

    thread = threading.Thread(target=run, name="watched", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        frame = sys._current_frames().get(thread.ident or 0)
        stack = "".join(traceback.format_stack(frame)) if frame else "?"
        pytest.fail(f"hung for {seconds:.0f} s; the stuck thread is at:\n{stack}")
    if error:
        raise error[0]
    return result[0]


def run_async(make: Callable[[], Coroutine[Any, Any, T]], seconds: float = WATCHDOG) -> T:
    return watchdog(lambda: asyncio.run(make()), seconds)


def limits() -> dict[str, Any]:
    return {
        "limits": httpx.Limits(max_connections=POOL, max_keepalive_connections=POOL),
        "timeout": httpx.Timeout(10.0, pool=5.0),  # a leaked connection: PoolTimeout, not a hang
    }


@contextlib.contextmanager
def small_pool() -> Iterator[httpx.Client]:
    """A blocking httpx client with a pool of `POOL`, closed only if the test passed: after
    a hang, the stuck thread may hold the pool's lock and closing would hang the test too."""
    http = httpx.Client(**limits())
    yield http
    http.close()


def pool_of(http: httpx.Client | httpx.AsyncClient) -> Any:
    return http._transport._pool  # type: ignore[union-attr]  (httpcore's pool: its connections)


# -- the mock server ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[testing.MockServer]:
    with testing.MockServer(frame_delay_ms=0, slow_delay_ms=60_000) as srv:
        yield srv


def test_sync_abandoned_streams_never_hang_nor_leak(server: testing.MockServer, key: str) -> None:
    with small_pool() as http:
        client = PromptRails(key, base_url=server.base_url, http_client=http)
        session = client.chat.create_session(agent_id="echo")
        before = fds()

        def careless() -> None:
            for i in range(ROUNDS):
                if i % 2:
                    for _event in client.chat.send_message_stream(session.id, content="Hi"):
                        break  # no with, no close(): the seed's own pattern
                else:
                    stream = client.chat.send_message_stream(session.id, content="Hi")
                    next(stream)  # dropped when `stream` is rebound on the next round

        watchdog(careless)
        assert fds() <= before  # every abandoned connection was closed
        assert len(pool_of(http).connections) <= POOL
        client.chat.get_session(session.id)  # the pool still serves


def test_sync_abandoned_streams_need_no_garbage_collection(server: testing.MockServer, key: str) -> None:
    """No reference cycle: with the cyclic collector off, reference counting alone releases
    each dropped stream (before the fix every one waited for a collection: pool timeout)."""
    with small_pool() as http:
        client = PromptRails(key, base_url=server.base_url, http_client=http)
        session = client.chat.create_session(agent_id="echo")
        before = fds()

        def careless() -> None:
            for _ in range(ROUNDS // 3):
                for _event in client.chat.send_message_stream(session.id, content="Hi"):
                    break

        gc.disable()
        try:
            watchdog(careless)
        finally:
            gc.enable()
        assert fds() <= before


def test_collection_inside_the_pool_lock_does_not_deadlock(server: testing.MockServer, key: str) -> None:
    """The hang of issue 9 itself: a dropped stream is finalised by the cyclic garbage
    collector while this thread holds httpcore's (non-reentrant) pool lock. The finaliser
    must not close there; the connection is closed at the client's next request."""
    with small_pool() as http:
        client = PromptRails(key, base_url=server.base_url, http_client=http)
        session = client.chat.create_session(agent_id="echo")
        stream = client.chat.send_message_stream(session.id, content="Hi")
        next(stream)
        response = stream.response
        assert response is not None
        cycle: list[Any] = [stream]
        cycle.append(cycle)  # only the cyclic collector can free the stream now
        ref = weakref.ref(stream)
        del stream, cycle
        assert ref() is not None

        def collect_inside_the_pool() -> None:
            with pool_of(http)._optional_thread_lock:  # as when a collection runs inside httpcore
                gc.collect()

        watchdog(collect_inside_the_pool, 30)
        assert ref() is None  # collected, and nothing waited on the lock
        assert not response.is_closed  # deferred: not closed inside the collection
        watchdog(lambda: client.chat.get_session(session.id), 30)
        assert response.is_closed  # closed at the next request, a safe point


def test_async_abandoned_streams_never_stall_nor_leak(server: testing.MockServer, key: str) -> None:
    async def careless() -> tuple[int, int, int]:
        async with httpx.AsyncClient(**limits()) as http:
            client = AsyncPromptRails(key, base_url=server.base_url, http_client=http)
            session = await client.chat.create_session(agent_id="echo")
            before = fds()
            for i in range(ROUNDS):
                if i % 2:
                    async for _event in await client.chat.send_message_stream(session.id, content="Hi"):
                        break
                else:
                    stream = await client.chat.send_message_stream(session.id, content="Hi")
                    await stream.__anext__()
            del stream
            for _ in range(5):
                await asyncio.sleep(0)  # let the closing task run
            after = fds()
            await client.chat.get_session(session.id)
            return before, after, len(pool_of(http).connections)

    before, after, connections = run_async(careless)
    assert after <= before
    assert connections <= POOL


def test_async_abandoned_streams_need_no_garbage_collection(server: testing.MockServer, key: str) -> None:
    async def careless() -> tuple[int, int]:
        async with httpx.AsyncClient(**limits()) as http:
            client = AsyncPromptRails(key, base_url=server.base_url, http_client=http)
            session = await client.chat.create_session(agent_id="echo")
            before = fds()
            for _ in range(ROUNDS // 3):
                async for _event in await client.chat.send_message_stream(session.id, content="Hi"):
                    break
            for _ in range(5):
                await asyncio.sleep(0)
            return before, fds()

    gc.disable()
    try:
        before, after = run_async(careless)
    finally:
        gc.enable()
    assert after <= before


def test_async_task_cancelled_mid_iteration_releases_its_connection(server: testing.MockServer, key: str) -> None:
    """The `slow` agent waits a minute before each frame after the first: each task is
    cancelled while it waits inside the stream."""
    server.alias_agent("slowpoke", like="slow")

    async def cancelled() -> tuple[int, int, int]:
        async with httpx.AsyncClient(**limits()) as http:
            client = AsyncPromptRails(key, base_url=server.base_url, http_client=http)
            session = await client.chat.create_session(agent_id="slowpoke")
            before = fds()
            got_first = asyncio.Event()

            async def reader() -> None:
                stream = await client.chat.send_message_stream(session.id, content="Hi")
                async for _event in stream:
                    got_first.set()

            for _ in range(20):
                got_first.clear()
                task = asyncio.ensure_future(reader())
                await asyncio.wait_for(got_first.wait(), 30)
                await asyncio.sleep(0.01)  # the task is now waiting for the next frame
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
            for _ in range(5):
                await asyncio.sleep(0)
            after = fds()
            await client.chat.get_session(session.id)  # the pool still serves
            return before, after, len(pool_of(http).connections)

    before, after, connections = run_async(cancelled)
    assert after <= before
    assert connections <= POOL


def test_consumed_streams_reuse_one_connection_with_the_mock(server: testing.MockServer, key: str) -> None:
    with small_pool() as http:
        client = PromptRails(key, base_url=server.base_url, http_client=http)
        session = client.chat.create_session(agent_id="echo")
        pool = pool_of(http)
        (first,) = pool.connections

        def consume() -> None:
            for _ in range(10):
                for _event in client.chat.send_message_stream(session.id, content="Hi"):
                    pass
                client.chat.send_message_stream(session.id, content="Hi").until_done()
                with client.chat.send_message_stream(session.id, content="Hi") as stream:
                    for event in stream:
                        if isinstance(event, DoneEvent):
                            break  # inside `with`: close() after the terminal event drains
                assert pool.connections == [first] and first.is_idle()

        watchdog(consume)


def test_async_consumed_streams_reuse_one_connection_with_the_mock(server: testing.MockServer, key: str) -> None:
    async def consume() -> None:
        async with httpx.AsyncClient(**limits()) as http:
            client = AsyncPromptRails(key, base_url=server.base_url, http_client=http)
            session = await client.chat.create_session(agent_id="echo")
            pool = pool_of(http)
            (first,) = pool.connections
            for _ in range(10):
                async for _event in await client.chat.send_message_stream(session.id, content="Hi"):
                    pass
                await (await client.chat.send_message_stream(session.id, content="Hi")).until_done()
                async with await client.chat.send_message_stream(session.id, content="Hi") as stream:
                    async for event in stream:
                        if isinstance(event, DoneEvent):
                            break
                assert pool.connections == [first] and first.is_idle()

    run_async(consume)


# -- a local server that counts connections --------------------------------------------------


class CountingServer:
    """uvicorn (h11) serving the send-stream route: a whole run (`/run`), or a run that never
    ends (`/endless`: frames then keep-alive comments until the client goes). Records each
    TCP connection (client address) and how many endless responses are still being sent."""

    def __init__(self) -> None:
        self.peers: set[tuple[str, int]] = set()
        self.open_endless = 0
        self._lock = threading.Lock()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.base_url = "http://127.0.0.1:%d" % sock.getsockname()[1]
        config = uvicorn.Config(self.app, http="h11", interface="asgi3", lifespan="off", log_level="error")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._sock = sock

    def __enter__(self) -> CountingServer:
        self.thread.start()
        for _ in range(500):
            if self.server.started:
                return self
            threading.Event().wait(0.01)
        raise RuntimeError("the local server did not start")

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self._sock.close()

    async def app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        with self._lock:
            self.peers.add(tuple(scope["client"]))  # type: ignore[arg-type]
        while (await receive()).get("more_body"):
            pass  # read the whole request body
        headers = [(b"content-type", b"text/event-stream")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        if scope["path"].endswith("/run/messages/stream"):
            await send({"type": "http.response.body", "body": frames(*RUN), "more_body": True})
            await send({"type": "http.response.body", "body": b""})
            return
        with self._lock:
            self.open_endless += 1
        gone = asyncio.ensure_future(receive())  # completes with http.disconnect when the client goes
        try:
            await send({"type": "http.response.body", "body": frames(*RUN[:2]), "more_body": True})
            while not gone.done():
                await asyncio.sleep(0.02)
                await send({"type": "http.response.body", "body": b": keep-alive\n\n", "more_body": True})
        finally:
            gone.cancel()
            with self._lock:
                self.open_endless -= 1


def wait_until(check: Callable[[], bool], what: str, seconds: float = 30.0) -> None:
    """Wait for a condition (a liveness check with a generous bound, not a timing test)."""
    stop = threading.Event()
    for _ in range(int(seconds / 0.02)):
        if check():
            return
        stop.wait(0.02)
    pytest.fail(f"still not true after {seconds:.0f} s: {what}")


@pytest.fixture(scope="module")
def local() -> Iterator[CountingServer]:
    with CountingServer() as srv:
        yield srv


def test_consumed_streams_use_one_tcp_connection(local: CountingServer) -> None:
    local.peers.clear()
    with PromptRails(KEY, base_url=local.base_url) as client:

        def consume() -> None:
            for _ in range(5):
                for _event in client.chat.send_message_stream("run", content="Hi"):
                    pass
                assert client.chat.send_message_stream("run", content="Hi").until_done().text == "You said: Hi"
                stream = client.chat.send_message_stream("run", content="Hi")
                for event in stream:
                    if isinstance(event, DoneEvent):
                        stream.close()  # close() after the terminal event keeps the connection

        watchdog(consume)
    assert len(local.peers) == 1  # 15 streams, one TCP connection (server side)


def test_async_consumed_streams_use_one_tcp_connection(local: CountingServer) -> None:
    local.peers.clear()

    async def consume() -> None:
        client = AsyncPromptRails(KEY, base_url=local.base_url)
        for _ in range(5):
            async for _event in await client.chat.send_message_stream("run", content="Hi"):
                pass
            stream = await client.chat.send_message_stream("run", content="Hi")
            assert (await stream.until_done()).text == "You said: Hi"
        await client.close()

    run_async(consume)
    assert len(local.peers) == 1


def test_dropped_endless_streams_are_closed_promptly(local: CountingServer) -> None:
    """A stream that would never end, dropped mid-run: the server sees the client go (the
    connection is closed, not left for a collection that may never come)."""
    with small_pool() as http:
        client = PromptRails(KEY, base_url=local.base_url, http_client=http)

        def careless() -> None:
            for _ in range(20):
                for _event in client.chat.send_message_stream("endless", content="Hi"):
                    break
            wait_until(lambda: local.open_endless == 0, "every endless response ended (sync)")

        gc.disable()
        try:
            watchdog(careless)
        finally:
            gc.enable()


def test_async_dropped_endless_streams_are_closed_promptly(local: CountingServer) -> None:
    async def careless() -> None:
        async with httpx.AsyncClient(**limits()) as http:
            client = AsyncPromptRails(KEY, base_url=local.base_url, http_client=http)
            for _ in range(20):
                async for _event in await client.chat.send_message_stream("endless", content="Hi"):
                    break
            for _ in range(1500):
                if local.open_endless == 0:
                    return
                await asyncio.sleep(0.02)
            pytest.fail("an endless response is still being sent after its stream was dropped")

    gc.disable()
    try:
        run_async(careless)
    finally:
        gc.enable()


# -- no cycle, no finaliser that reaches the network ------------------------------------------


def test_a_dropped_stream_is_freed_by_reference_counting(mock: respx.MockRouter) -> None:
    mock.post("/api/v1/chat/sessions/s1/messages/stream").respond(200, headers=SSE_HEADERS, content=frames(*RUN))
    with PromptRails(KEY, base_url=BASE) as client:
        stream = client.chat.send_message_stream("s1", content="Hi")
        next(stream)
        response = stream.response
        ref = weakref.ref(stream)
        gc.disable()
        try:
            del stream
            assert ref() is None  # no cycle kept it
        finally:
            gc.enable()
        assert response is not None and response.is_closed


def test_closing_the_client_closes_its_open_streams(mock: respx.MockRouter) -> None:
    mock.post("/api/v1/chat/sessions/s1/messages/stream").respond(200, headers=SSE_HEADERS, content=frames(*RUN))
    client = PromptRails(KEY, base_url=BASE)
    stream = client.chat.send_message_stream("s1", content="Hi")
    next(stream)
    response = stream.response
    client.close()
    assert response is not None and response.is_closed


# -- the body as httpx decodes it ------------------------------------------------------------


def test_a_content_encoded_stream_is_read_decoded(mock: respx.MockRouter) -> None:
    """Without a Content-Encoding the raw chunks are read (what `iter_bytes` gives then); with
    one, httpx decodes them first."""
    body = frames(*RUN)
    for headers, content in (
        (SSE_HEADERS, body),
        ({**SSE_HEADERS, "content-encoding": "gzip"}, gzip.compress(body)),
        ({**SSE_HEADERS, "content-encoding": "identity"}, body),
    ):
        mock.post("/api/v1/chat/sessions/s1/messages/stream").respond(200, headers=headers, content=content)
        with PromptRails(KEY, base_url=BASE) as client:
            result = client.chat.send_message_stream("s1", content="Hi").until_done()
        assert result.text == "You said: Hi"

        async def run() -> str:
            async with AsyncPromptRails(KEY, base_url=BASE) as client:
                stream = await client.chat.send_message_stream("s1", content="Hi")
                return (await stream.until_done()).text

        assert asyncio.run(run()) == "You said: Hi"
