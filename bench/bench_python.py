"""Python benchmarks: the promptrails SSE path against httpx-sse, in the same run.

Each benchmark measures ours and a peer on identical input, best of N repeats,
and reports ours/peer. The peer is what a user would write without the SDK:
httpx-sse's `EventSource.iter_sse()` (+ `json.loads` for the typed-event case).
"""

from __future__ import annotations

import gc
import json
import time
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import httpx
from httpx_sse import EventSource

import promptrails
from promptrails._core.sse import SSEParser

EVENTS = 20_000
CHUNK = 4096


def _stream_bytes(events: int = EVENTS) -> bytes:
    parts = [b'id: 1\nevent: execution\ndata: {"execution_id":"ex_1","user_message_id":"m_1"}\n\n']
    for i in range(2, events):
        word = json.dumps({"content": f"word{i} "})
        parts.append(f"id: {i}\nevent: content\ndata: {word}\n\n".encode())
    done = {"output": "...", "token_usage": {"prompt_tokens": 1, "completion_tokens": events, "total_tokens": events + 1}, "time": 1.0}
    parts.append(f"id: {events}\nevent: done\ndata: {json.dumps(done)}\n\n".encode())
    return b"".join(parts)


def _chunks(data: bytes, size: int = CHUNK) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def _best(fn: Callable[[], Any], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _peak(fn: Callable[[], Any]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _sse_response(chunks: list[bytes]) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=iter(chunks))


def parse_ours(chunks: list[bytes]) -> int:
    parser = SSEParser()
    n = 0
    for c in chunks:
        n += len(parser.feed(c))
    parser.close()
    return n


def parse_peer(chunks: list[bytes]) -> int:
    return sum(1 for _ in EventSource(_sse_response(chunks)).iter_sse())


def _client(chunks: list[bytes]) -> promptrails.PromptRails:
    def handler(request: httpx.Request) -> httpx.Response:
        return _sse_response(chunks)

    http = httpx.Client(transport=httpx.MockTransport(handler))
    return promptrails.PromptRails(api_key="bench", base_url="http://bench.local", http_client=http)


def typed_ours(chunks: list[bytes]) -> int:
    client = _client(chunks)
    n = 0
    for _event in client.chat.send_message_stream("s_1", content="Hello!"):
        n += 1
    return n


def typed_peer(chunks: list[bytes]) -> int:
    def handler(request: httpx.Request) -> httpx.Response:
        return _sse_response(chunks)

    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        with http.stream("POST", "http://bench.local/api/v1/chat/sessions/s_1/messages/stream", json={"content": "Hello!"}) as r:
            n = 0
            for sse in EventSource(r).iter_sse():
                json.loads(sse.data)
                n += 1
            return n


def run(repeats: int = 5) -> Iterator[dict[str, Any]]:
    data = _stream_bytes()
    chunks = _chunks(data)
    assert parse_ours(chunks) == parse_peer(chunks) == EVENTS
    assert typed_ours(chunks) == typed_peer(chunks) == EVENTS
    mb = len(data) / 1e6
    for name, ours, peer, target in [
        ("python: SSE parse, 20k events, 4 KiB chunks", parse_ours, parse_peer, 1.5),
        ("python: typed stream via the SDK vs httpx-sse + json.loads", typed_ours, typed_peer, 2.5),
    ]:
        t_ours = _best(lambda: ours(chunks), repeats)
        t_peer = _best(lambda: peer(chunks), repeats)
        yield {"name": name, "unit": "s", "ours": t_ours, "peer": t_peer, "ratio": t_ours / t_peer, "target": target,
               "note": f"{mb / t_ours:.1f} MB/s ours, {mb / t_peer:.1f} MB/s peer"}
    m_ours = _peak(lambda: parse_ours(chunks))
    m_peer = _peak(lambda: parse_peer(chunks))
    yield {"name": "python: peak memory while parsing (tracemalloc)", "unit": "B", "ours": m_ours, "peer": m_peer,
           "ratio": m_ours / m_peer, "target": 2.0, "note": f"stream is {len(data)} bytes"}
