"""The Python SSE parser on one long line against the same bytes as short lines.

    .venv/bin/python bench/bench_python_longline.py [--mib 8] [--chunk 4096] [--repeats 3]

Prints JSON lines: one per input (best of N seconds to feed every chunk to a fresh
`SSEParser`, the events it produced, the peak memory traced while parsing) and a
summary with `ratio` = long / short (target: under 2, RUNTIME.md "Streams": parsing is
linear in the input). Both inputs have exactly the same length and are delivered in the
same chunk size:

- long: one event whose single `data:` line is the whole payload;
- short: the same number of bytes as events of one 64-byte `data:` line each.

Standalone: it needs only the `promptrails` package (`make setup` installs it).
"""

from __future__ import annotations

import argparse
import gc
import json
import time
import tracemalloc
from collections.abc import Callable

from promptrails._core.sse import SSEParser


def long_line(total: int) -> bytes:
    head, tail = b"data: ", b"\n\n"
    return head + b"x" * (total - len(head) - len(tail)) + tail


def short_lines(total: int, width: int = 64) -> bytes:
    frame = b"data: " + b"y" * (width - len(b"data: ") - 2) + b"\n\n"
    count, rest = divmod(total, len(frame))
    out = frame * count
    if rest:
        # Pad with a comment line of the missing length so both inputs are equally long.
        out += b":" + b"z" * (rest - 2) + b"\n" if rest >= 2 else b"\n" * rest
    return out


def chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def parse(pieces: list[bytes], max_event_size: int) -> int:
    parser = SSEParser(max_event_size=max_event_size)
    events = 0
    for piece in pieces:
        events += len(parser.feed(piece))
    parser.close()
    return events


def best(fn: Callable[[], int], repeats: int) -> tuple[float, int]:
    seconds, result = float("inf"), 0
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        seconds = min(seconds, time.perf_counter() - t0)
    return seconds, result


def peak(fn: Callable[[], int]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mib", type=float, default=8.0, help="input size in MiB (default 8)")
    ap.add_argument("--chunk", type=int, default=4096, help="bytes per fed chunk (default 4096)")
    ap.add_argument("--repeats", type=int, default=3, help="best of N (default 3)")
    args = ap.parse_args()
    total = int(args.mib * 1024 * 1024)
    cap = total + 1024  # the default 16 MiB cap would refuse --mib 16 and above
    inputs = {"long": long_line(total), "short": short_lines(total)}
    assert len(inputs["long"]) == len(inputs["short"]) == total
    seconds: dict[str, float] = {}
    for name, data in inputs.items():
        pieces = chunks(data, args.chunk)
        secs, events = best(lambda: parse(pieces, cap), args.repeats)
        seconds[name] = secs
        row = {
            "bench": "python_sse_longline",
            "input": name,
            "bytes": total,
            "chunk": args.chunk,
            "events": events,
            "seconds": round(secs, 4),
            "mib_per_s": round(total / 1048576 / secs, 1),
            "peak_bytes": peak(lambda: parse(pieces, cap)),
        }
        print(json.dumps(row), flush=True)
    ratio = seconds["long"] / seconds["short"]
    print(json.dumps({"bench": "python_sse_longline", "ratio_long_to_short": round(ratio, 3), "target": 2.0, "ok": ratio < 2.0}))


if __name__ == "__main__":
    main()
