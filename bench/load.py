"""A bounded load run on loopback: N concurrent SSE streams, all opened at once.

    bench/.venvs/load/bin/python bench/load.py --url http://127.0.0.1:PORT --streams 1000 \
        [--sessions] [--api-key KEY] [--agent storyteller] [--deadline 120]

Runs in its own virtualenv (bench/peers/load.txt): uvloop and httptools (llhttp, the parser
of uvicorn's fast path) on raw asyncio connections, one per stream, so the client costs a
parser callback per TCP read and no Python work per byte. Events are counted by their
blank lines in the decoded body (`bytes.count`), which is exact for the LF-only frames the
servers here write; a stream is complete when its terminal `done` (or `error`) frame has
arrived and the response ended.

With --sessions (the mock): first creates one chat session per stream (not timed: sends to
one session run one after the other), then POSTs `/api/v1/chat/sessions/{id}/messages/stream`
on every connection at once. Without it (the calibration server): POSTs `/stream`. Closed loop: each of the N
connections' workers starts a new stream when its last one ended, until --duration seconds
have passed (each does at least one), so the concurrency stays N for the whole run.

Prints one JSON object: events/s over the whole run (every event received / from the first
connect to the last stream's end), time to first event (connect included) p50/p99/max, the
stream durations, and every failure by kind (status, connection error, no terminal frame,
deadline).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from typing import Any
from urllib.parse import urlsplit

import httptools

try:
    import uvloop
except ImportError:  # pragma: no cover - the venv has it
    uvloop = None  # type: ignore[assignment]

TERMINALS = (b"event: done\n", b"event: error\n")


def _request(method: str, host: str, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Exchange(asyncio.Protocol):
    """One request on its own connection; counts SSE events as the body arrives."""

    def __init__(self, request: bytes, started: float, keep_body: bool = False) -> None:
        self.request = request
        self.started = started
        self.keep_body = keep_body
        self.body = bytearray()
        self.parser = httptools.HttpResponseParser(self)
        self.status = 0
        self.events = 0
        self.first: float | None = None
        self.ended: float | None = None
        self.terminal = False
        self.error: str | None = None
        self._nl = False  # the body so far ends with LF
        self._tail = b""
        self.done = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as err:
            self._finish(f"bad HTTP: {err}")

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self._finish(f"connection lost: {exc or 'closed before the response ended'}")

    # httptools callbacks
    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()

    def on_body(self, body: bytes) -> None:
        if self.keep_body:
            self.body += body
        n = body.count(b"\n\n") + (1 if self._nl and body[:1] == b"\n" else 0)
        if n:
            if self.events == 0:
                self.first = time.perf_counter()
            self.events += n
        self._nl = body[-1:] == b"\n"
        if not self.terminal:
            window = self._tail + body
            self.terminal = any(t in window for t in TERMINALS)
            self._tail = window[-16:]

    def on_message_complete(self) -> None:
        self.ended = time.perf_counter()
        self._finish(None)

    def _finish(self, error: str | None) -> None:
        if self.done.done():
            return
        self.error = error
        if self.ended is None:
            self.ended = time.perf_counter()
        self.done.set_result(None)
        if self.transport is not None:
            self.transport.close()


async def exchange(host: str, port: int, request: bytes, keep_body: bool = False) -> Exchange:
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    proto = Exchange(request, started, keep_body)
    try:
        await loop.create_connection(lambda: proto, host, port)
    except OSError as err:
        proto._finish(f"connect: {err}")
    await proto.done
    return proto


async def create_sessions(host: str, port: int, count: int, agent: str, api_key: str) -> list[str]:
    """One session per stream, 32 at a time (setup, not timed)."""
    body = json.dumps({"agent_id": agent}).encode()
    headers = {"Content-Type": "application/json", "X-API-Key": api_key, "Connection": "close"}
    req = _request("POST", f"{host}:{port}", "/api/v1/chat/sessions", body, headers)
    ids: list[str] = []
    sem = asyncio.Semaphore(32)

    async def one() -> None:
        async with sem:
            ex = await exchange(host, port, req, keep_body=True)
            if ex.status not in (200, 201):
                raise RuntimeError(f"creating a session answered {ex.status or ex.error}: {bytes(ex.body)[:300]!r}")
            ids.append(json.loads(ex.body)["data"]["id"])

    await asyncio.gather(*(one() for _ in range(count)))
    return ids


def _pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * len(values) + 0.5) - 1))  # nearest rank
    return values[k]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    url = urlsplit(args.url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    body = json.dumps({"content": args.content}).encode()
    headers = {"Content-Type": "application/json", "Accept": "text/event-stream", "X-API-Key": args.api_key}
    if args.sessions:
        ids = await create_sessions(host, port, args.streams, args.agent, args.api_key)
        requests = [
            _request("POST", f"{host}:{port}", f"/api/v1/chat/sessions/{i}/messages/stream", body, headers) for i in ids
        ]
    else:
        requests = [_request("POST", f"{host}:{port}", "/stream", body, headers)] * args.streams
    t0 = time.perf_counter()
    results: list[Exchange] = []
    stop_at = t0 + args.duration

    async def worker(request: bytes) -> None:
        # At least one stream; then new ones on the same session until --duration has passed.
        while True:
            ex = await exchange(host, port, request)
            results.append(ex)
            if ex.error or time.perf_counter() >= stop_at:
                return

    tasks = [asyncio.ensure_future(worker(r)) for r in requests]
    _, pending = await asyncio.wait(tasks, timeout=args.deadline)
    for t in pending:
        t.cancel()
    t_end = max((r.ended or t0) for r in results) if results else time.perf_counter()
    failures: dict[str, int] = {}

    def fail(kind: str) -> None:
        failures[kind] = failures.get(kind, 0) + 1

    for _ in pending:
        fail(f"not finished within the {args.deadline:g} s deadline")
    ttfe, durations = [], []
    events = 0
    for r in results:
        events += r.events
        if r.first is not None:
            ttfe.append(r.first - r.started)
        if r.error:
            fail(r.error.split(":")[0] if r.status == 0 else f"status {r.status}, {r.error}")
        elif r.status != 200:
            fail(f"status {r.status}")
        elif not r.terminal:
            fail("ended without a terminal frame")
        else:
            durations.append((r.ended or t_end) - r.started)
    wall = t_end - t0
    per_stream = sorted(r.events for r in results)
    return {
        "concurrency": args.streams,
        "streams": len(results) + len(pending),
        "completed": len(durations),
        "events": events,
        "events_per_stream": per_stream[len(per_stream) // 2] if per_stream else 0,
        "wall": wall,
        "events_per_s": events / wall if wall > 0 else 0.0,
        "ttfe_p50": _pct(ttfe, 50),
        "ttfe_p99": _pct(ttfe, 99),
        "ttfe_max": max(ttfe) if ttfe else None,
        "duration_p50": statistics.median(durations) if durations else None,
        "duration_max": max(durations) if durations else None,
        "errors": sum(failures.values()),
        "failures": failures,
        "client": f"{'uvloop' if uvloop else 'asyncio'} + httptools {httptools.__version__}",
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", required=True)
    ap.add_argument("--streams", type=int, required=True)
    ap.add_argument("--sessions", action="store_true", help="the mock: a chat session per stream")
    ap.add_argument("--api-key", default="promptrails-dev-key")
    ap.add_argument("--agent", default="storyteller")
    ap.add_argument("--content", default="Tell me a story about load.")
    ap.add_argument(
        "--duration",
        type=float,
        default=3.0,
        help="seconds: each connection starts new streams until then (at least one each)",
    )
    ap.add_argument("--deadline", type=float, default=120.0, help="seconds; streams not finished by then are errors")
    args = ap.parse_args()
    if uvloop is not None:
        uvloop.install()
    try:
        result = asyncio.run(run(args))
    except (RuntimeError, OSError) as err:
        print(json.dumps({"error": str(err)}))
        sys.exit(1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
