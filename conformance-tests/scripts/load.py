"""Load the mock with many concurrent event streams and report what it delivers.

For each ``--streams N`` it creates N sessions (agent ``--agent``, storyteller by
default: 90 frames a reply), then opens N connections at once, each sending one
``POST /api/v1/chat/sessions/{id}/messages/stream`` and reading the whole reply.
Every session is created with ``metadata.delay_ms = 0``, so the agents pause
before no frame, whatever the server's ``--frame-delay-ms``. It reports:

* ``events/s``: frames received by all streams / (last frame of the last stream -
  the moment the first connection was opened);
* time to first event (TTFE) and to last event (TTLE), p50 and p99, each measured
  from the moment that stream's connection was opened;
* TTFE from the request: from the moment its TCP connection was up and the request
  written. Opening a thousand connections at once from one client loop takes that loop
  hundreds of milliseconds on a small machine (against a server that answers at once,
  TTFE p99 is 0.3-0.4 s on the 2-core machine, TTFE from the request 0.1 s): this
  column leaves the client's own connecting out;
* errors: a stream that did not answer 200, broke off, skipped a frame id, or did
  not end with a terminal frame (``done`` or ``error``) within ``--timeout``;
* the CPU the server used during the run (when the script started it), and the
  client's own.

The client is plain asyncio (a protocol reading the chunked body, splitting frames
at blank lines and reading only their ``id:`` and ``event:`` lines), so that on a
small machine the client costs as little as it can next to the server it measures.

Without ``--url`` the script starts the mock itself with the capacity settings
(``CAPACITY_ARGS``: frame delay 0, log level warning, a database file in a
temporary directory, ``--strict``: every response is validated and a violation
would drop the stream) and stops it at the end; ``--server-arg`` adds arguments.

    .venv/bin/python conformance-tests/scripts/load.py --streams 100 1000
    .venv/bin/python conformance-tests/scripts/load.py --url http://127.0.0.1:8080 --api-key promptrails-dev-key
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

REPO = Path(__file__).resolve().parents[2]
API = "/api/v1"
LISTENING_PREFIX = "promptrails-mock listening on "
CAPACITY_ARGS = ("--frame-delay-ms", "0", "--log-level", "warning", "--strict")
TERMINAL = (b"done", b"error")
DELAY_MS = 0


@dataclass
class StreamResult:
    opened: float = 0.0
    connected: float | None = None
    first: float | None = None
    last: float | None = None
    frames: int = 0
    terminal: bytes | None = None
    error: str | None = None


class _StreamProtocol(asyncio.Protocol):
    """Reads one HTTP/1.1 response with a chunked event-stream body, frame by frame."""

    def __init__(self, result: StreamResult, done: asyncio.Future[None]) -> None:
        self.result = result
        self.done = done
        self.transport: asyncio.Transport | None = None
        self.raw = bytearray()  # bytes not yet parsed (head, or chunk framing)
        self.head_done = False
        self.chunk_left = 0  # bytes of the current chunk still to come (data + its CRLF is handled apart)
        self.body = bytearray()  # de-chunked event-stream text not yet split into frames
        self.last_id = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self.done.done():
            return
        self.raw += data
        try:
            if not self.head_done and not self._head():
                return
            self._chunks()
        except ValueError as exc:
            self._fail(str(exc))

    def _head(self) -> bool:
        end = self.raw.find(b"\r\n\r\n")
        if end < 0:
            if len(self.raw) > 65536:
                raise ValueError("response head too long")
            return False
        head = bytes(self.raw[:end]).decode("latin-1").split("\r\n")
        del self.raw[: end + 4]
        status = head[0].split(" ", 2)
        if len(status) < 2 or status[1] != "200":
            raise ValueError(f"status {head[0]!r}")
        headers = {line.partition(":")[0].strip().lower(): line.partition(":")[2].strip() for line in head[1:]}
        if headers.get("transfer-encoding", "").lower() != "chunked":
            raise ValueError(f"not a chunked answer: {headers}")
        if not headers.get("content-type", "").startswith("text/event-stream"):
            raise ValueError(f"not an event stream: {headers.get('content-type')}")
        self.head_done = True
        return True

    def _chunks(self) -> None:
        raw = self.raw
        while raw:
            if self.chunk_left > 0:
                take = min(self.chunk_left, len(raw))
                self.body += raw[:take]
                del raw[:take]
                self.chunk_left -= take
                if self.chunk_left == 0:
                    self.chunk_left = -2  # the CRLF after the chunk's data
                continue
            if self.chunk_left < 0:
                need = -self.chunk_left
                if len(raw) < need:
                    return
                if raw[:need] != b"\r\n"[2 - need :]:
                    raise ValueError("bad chunk framing")
                del raw[:need]
                self.chunk_left = 0
                continue
            line_end = raw.find(b"\r\n")
            if line_end < 0:
                return
            size = int(bytes(raw[:line_end]).split(b";")[0], 16)
            del raw[: line_end + 2]
            if size == 0:
                self._frames()
                self._finish()
                return
            self.chunk_left = size
        self._frames()

    def _frames(self) -> None:
        body = self.body
        start = 0
        now = 0.0
        while True:
            end = body.find(b"\n\n", start)
            if end < 0:
                break
            block = bytes(body[start:end])
            start = end + 2
            if not block.strip(b"\n"):
                continue
            now = now or time.perf_counter()
            self._frame(block, now)
        if start:
            del body[:start]

    def _frame(self, block: bytes, now: float) -> None:
        result = self.result
        if result.terminal is not None:
            raise ValueError("a frame after the terminal frame")
        frame_id = event = None
        for line in block.split(b"\n", 2)[:2]:
            if line.startswith(b"id: "):
                frame_id = line[4:]
            elif line.startswith(b"event: "):
                event = line[7:]
        if frame_id is None or not frame_id.isdigit() or int(frame_id) != self.last_id + 1:
            raise ValueError(f"frame id {frame_id!r} after {self.last_id}")
        self.last_id += 1
        result.frames += 1
        if result.first is None:
            result.first = now
        result.last = now
        if event in TERMINAL:
            result.terminal = event

    def _finish(self) -> None:
        if self.result.terminal is None:
            self._fail("the stream ended without a terminal frame")
            return
        if not self.done.done():
            self.done.set_result(None)
        if self.transport is not None:
            self.transport.close()

    def _fail(self, why: str) -> None:
        if self.result.error is None:
            self.result.error = why
        if not self.done.done():
            self.done.set_result(None)
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self._fail(f"connection lost: {exc!r}" if exc else "connection closed before the stream ended")


async def _one_stream(host: str, port: int, request: bytes, timeout: float) -> StreamResult:
    loop = asyncio.get_running_loop()
    result = StreamResult(opened=time.perf_counter())
    done: asyncio.Future[None] = loop.create_future()
    transport: asyncio.BaseTransport | None = None
    try:
        transport, _ = await asyncio.wait_for(
            loop.create_connection(lambda: _StreamProtocol(result, done), host, port), timeout
        )
        assert isinstance(transport, asyncio.Transport)
        result.connected = time.perf_counter()
        transport.write(request)
        await asyncio.wait_for(done, max(0.1, timeout - (time.perf_counter() - result.opened)))
    except (OSError, asyncio.TimeoutError) as exc:
        result.error = result.error or f"{type(exc).__name__}: {exc}"
    finally:
        if transport is not None:
            transport.close()
    return result


def _stream_request(host: str, port: int, api_key: str, session_id: str, content: str) -> bytes:
    body = json.dumps({"content": content}).encode()
    head = (
        f"POST {API}/chat/sessions/{session_id}/messages/stream HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\n"
        f"X-API-Key: {api_key}\r\n"
        "Content-Type: application/json\r\n"
        "Accept: text/event-stream\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode() + body


async def _create_sessions(base_url: str, api_key: str, agent: str, count: int) -> list[str]:
    limits = httpx.Limits(max_connections=20)
    async with httpx.AsyncClient(base_url=base_url, headers={"X-API-Key": api_key}, limits=limits, timeout=60) as http:
        gate = asyncio.Semaphore(20)

        async def create(i: int) -> str:
            async with gate:
                answer = await http.post(
                    f"{API}/chat/sessions",
                    json={"agent_id": agent, "title": f"load {i}", "metadata": {"delay_ms": DELAY_MS}},
                )
            if answer.status_code != 201:
                raise RuntimeError(f"creating a session: {answer.status_code} {answer.text[:300]}")
            return str(answer.json()["data"]["id"])

        return list(await asyncio.gather(*(create(i) for i in range(count))))


@dataclass
class RunReport:
    streams: int
    events: int
    seconds: float
    errors: int
    ttfe: list[float]
    ttfe_sent: list[float]
    ttle: list[float]
    server_cpu: float | None
    client_cpu: float
    first_errors: list[str] = field(default_factory=list)

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "streams": self.streams,
            "events": self.events,
            "seconds": round(self.seconds, 3),
            "events_per_second": round(self.events_per_second),
            "ttfe_p50_ms": _ms(_percentile(self.ttfe, 50)),
            "ttfe_p99_ms": _ms(_percentile(self.ttfe, 99)),
            "ttfe_sent_p50_ms": _ms(_percentile(self.ttfe_sent, 50)),
            "ttfe_sent_p99_ms": _ms(_percentile(self.ttfe_sent, 99)),
            "ttle_p50_ms": _ms(_percentile(self.ttle, 50)),
            "ttle_p99_ms": _ms(_percentile(self.ttle, 99)),
            "errors": self.errors,
            "server_cpu_s": None if self.server_cpu is None else round(self.server_cpu, 2),
            "server_cpu_us_per_event": None
            if self.server_cpu is None or not self.events
            else round(self.server_cpu / self.events * 1e6, 1),
            "client_cpu_s": round(self.client_cpu, 2),
            "first_errors": self.first_errors,
        }


def _percentile(values: list[float], q: int) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 1)


def _cpu_seconds(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run_load(
    base_url: str, api_key: str, streams: int, *, agent: str, content: str, timeout: float, server_pid: int | None
) -> RunReport:
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    sessions = await _create_sessions(base_url, api_key, agent, streams)
    requests = [_stream_request(host, port, api_key, s, content) for s in sessions]
    server_before = _cpu_seconds(server_pid)
    client_before = time.process_time()
    started = time.perf_counter()
    results = await asyncio.gather(*(_one_stream(host, port, r, timeout) for r in requests))
    client_cpu = time.process_time() - client_before
    server_after = _cpu_seconds(server_pid)
    ended = max((r.last for r in results if r.last is not None), default=time.perf_counter())
    failed = [r for r in results if r.error is not None or r.terminal is None]
    return RunReport(
        streams=streams,
        events=sum(r.frames for r in results),
        seconds=ended - started,
        errors=len(failed),
        ttfe=[r.first - r.opened for r in results if r.first is not None],
        ttfe_sent=[r.first - r.connected for r in results if r.first is not None and r.connected is not None],
        ttle=[r.last - r.opened for r in results if r.last is not None and r.terminal is not None],
        server_cpu=None if server_before is None or server_after is None else server_after - server_before,
        client_cpu=client_cpu,
        first_errors=sorted({r.error or "no terminal frame" for r in failed})[:5],
    )


def _raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < wanted:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def start_server(extra: list[str], db_dir: str) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "promptrails_mock", "--host", "127.0.0.1", "--port", "0"]
    command += ["--spec", str(REPO / "openapi.yaml"), "--db", str(Path(db_dir) / "load.db"), *CAPACITY_ARGS, *extra]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        if line.startswith(LISTENING_PREFIX):
            return process, line[len(LISTENING_PREFIX) :].strip()
    process.kill()
    raise RuntimeError(f"the mock did not start: {' '.join(command)}")


def _table(reports: list[RunReport]) -> str:
    rows = [
        "| streams | events | s | events/s | TTFE p50 ms | TTFE p99 ms | TTFE from request p50 ms "
        "| TTFE from request p99 ms | TTLE p50 ms | TTLE p99 ms | errors | server CPU s | server CPU µs/event "
        "| client CPU s |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for report in reports:
        d = report.as_dict()
        rows.append(
            f"| {d['streams']} | {d['events']} | {d['seconds']} | {d['events_per_second']} | {d['ttfe_p50_ms']} "
            f"| {d['ttfe_p99_ms']} | {d['ttfe_sent_p50_ms']} | {d['ttfe_sent_p99_ms']} | {d['ttle_p50_ms']} "
            f"| {d['ttle_p99_ms']} | {d['errors']} "
            f"| {d['server_cpu_s']} | {d['server_cpu_us_per_event']} | {d['client_cpu_s']} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--streams", type=int, nargs="+", default=[100, 1000], help="concurrent streams, one run each")
    parser.add_argument("--url", help="a running mock (default: start one with the capacity settings)")
    parser.add_argument("--api-key", default="promptrails-dev-key", help="with --url: a key the server accepts")
    parser.add_argument("--agent", default="storyteller", help="the agent of the sessions (default: storyteller)")
    parser.add_argument("--content", default="Hello!", help="the message each stream sends")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds a stream may take (default: 300)")
    parser.add_argument("--server-arg", action="append", default=[], help="one more argument for the started mock")
    parser.add_argument("--json", action="store_true", help="print one JSON object per run instead of the table")
    args = parser.parse_args(argv)
    if any(n < 1 for n in args.streams):
        parser.error("--streams must be positive")

    _raise_fd_limit()  # before starting the server, which inherits it
    process: subprocess.Popen[str] | None = None
    reports: list[RunReport] = []
    with tempfile.TemporaryDirectory(prefix="promptrails-load-") as db_dir:
        try:
            if args.url:
                base_url, api_key, pid = args.url.rstrip("/"), args.api_key, None
            else:
                process, base_url = start_server(args.server_arg, db_dir)
                api_key, pid = "promptrails-dev-key", process.pid
            for streams in args.streams:
                report = asyncio.run(
                    run_load(
                        base_url,
                        api_key,
                        streams,
                        agent=args.agent,
                        content=args.content,
                        timeout=args.timeout,
                        server_pid=pid,
                    )
                )
                reports.append(report)
                if args.json:
                    print(json.dumps(report.as_dict()), flush=True)
        finally:
            if process is not None:
                process.terminate()
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
    if not args.json:
        print(_table(reports))
        for report in reports:
            for error in report.first_errors:
                print(f"{report.streams} streams: {error}", file=sys.stderr)
    return 1 if any(r.errors for r in reports) else 0


if __name__ == "__main__":
    raise SystemExit(main())
