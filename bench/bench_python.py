"""Python worker for the per-call and memory rows (the stream rows are py_stream.py).

    .venv/bin/python bench/bench_python.py calls --reply reply.json [--repeats 5]
    .venv/bin/python bench/bench_python.py rss --side ours|peer     (one process per side)

calls: a non-streaming `client.chat.send_message("s_1", content="Hello!")` through an
  `httpx.MockTransport` answering the reply JSON, against the same request (method, URL,
  headers, JSON body) through the same `httpx.Client` transport + `response.json()`. Both
  clients are built once; each timing is a block of 200 calls, the sides alternate block by
  block (at least 20 blocks each), best block.
rss: the peak RSS growth (VmHWM after `/proc/self/clear_refs` reset it, minus the RSS before
  the call) while reading a 100 MB reply (streams.BigStream, made as it is read, so the
  transport holds one 64 KiB chunk) through our typed stream, or through httpx + httpx-sse +
  json.loads ("peer"), every event dropped as it arrives.

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import sys
import time
import uuid
from typing import Any

import httpx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import promptrails

import streams

BASE = "http://bench.local"


def _client(handler: Any) -> promptrails.PromptRails:
    return promptrails.PromptRails(
        api_key="bench", base_url=BASE, http_client=httpx.Client(transport=httpx.MockTransport(handler))
    )


def calls(reply_path: str, repeats: int) -> dict[str, Any]:
    with open(reply_path, "rb") as f:
        body = f.read()
    content = json.loads(body)["data"]["content"]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "application/json"}, content=body)

    client = _client(handler)
    http = httpx.Client(transport=httpx.MockTransport(handler))
    headers = {
        "Accept": "application/json",
        "X-API-Key": "bench",
        "User-Agent": "bench/1.0",
    }

    def ours() -> Any:
        return client.chat.send_message("s_1", content="Hello!")

    def raw() -> Any:
        r = http.post(
            f"{BASE}/api/v1/chat/sessions/s_1/messages",
            json={"content": "Hello!"},
            headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
        )
        r.raise_for_status()
        return r.json()["data"]

    got = ours()
    if getattr(got, "content", None) != content or raw()["content"] != content:
        raise SystemExit(f"bench_python: the reply was not decoded: {got!r}")
    n = 200  # calls per timed block; the sides alternate block by block
    best = {"ours": float("inf"), "raw": float("inf")}
    for fn in (ours, raw):  # warm up
        for _ in range(100):
            fn()
    for _ in range(max(20, 4 * repeats)):
        for side, fn in (("ours", ours), ("raw", raw)):
            gc.collect()
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            best[side] = min(best[side], (time.perf_counter() - t0) / n)
    return {"ours": best["ours"], "raw": best["raw"], "calls": n, "bytes": len(body)}


def _status() -> dict[str, int]:
    with open("/proc/self/status") as f:
        text = f.read()
    return {k: int(v) * 1024 for k, v in re.findall(r"^(VmRSS|VmHWM):\s+(\d+) kB", text, re.MULTILINE)}


def rss(side: str) -> dict[str, Any]:
    big = streams.BigStream()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=iter(big))

    if side == "ours":
        client = _client(handler)

        def run() -> int:
            n = 0
            for _event in client.chat.send_message_stream("s_1", content="Hello!"):
                n += 1
            return n
    elif side == "peer":
        from httpx_sse import EventSource

        http = httpx.Client(transport=httpx.MockTransport(handler))

        def run() -> int:
            n = 0
            with http.stream(
                "POST", f"{BASE}/api/v1/chat/sessions/s_1/messages/stream", json={"content": "Hello!"}
            ) as r:
                for sse in EventSource(r).iter_sse():
                    json.loads(sse.data)
                    n += 1
            return n
    else:
        raise SystemExit(f"bench_python: --side ours|peer, not {side!r}")
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        reset = True
    except OSError:
        reset = False
    before = _status()
    t0 = time.perf_counter()
    n = run()
    seconds = time.perf_counter() - t0
    after = _status()
    if n != big.frames:
        raise SystemExit(f"bench_python: {side} delivered {n} events of {big.frames}")
    return {
        "side": side,
        "growth": after["VmHWM"] - before["VmRSS"],
        "baseline": before["VmRSS"],
        "peak": after["VmHWM"],
        "events": n,
        "seconds": seconds,
        "reset": reset,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("part", choices=["calls", "rss"])
    ap.add_argument("--reply", help="calls: the JSON body the transport answers")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--side", help="rss: ours or peer")
    args = ap.parse_args()
    if args.part == "calls":
        print(json.dumps(calls(args.reply, args.repeats)))
    else:
        print(json.dumps(rss(args.side)))


if __name__ == "__main__":
    main()
