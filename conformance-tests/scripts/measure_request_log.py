"""Measure the mock's memory when its request log is full and read (issue 9).

Starts ``python -m promptrails_mock`` (with ``--control``, or without it when
``--no-control-flag`` is given, for builds that predate the flag), sends
``--requests`` API requests each carrying a body of ``--body-kib`` KiB, then
reads ``GET /__mock/requests`` (every page when the server pages) and prints the
server's peak resident memory (VmHWM) before and after the read, the answer's
size, and the time the reads took. Linux only (it reads /proc).

    .venv/bin/python conformance-tests/scripts/measure_request_log.py --requests 10000 --body-kib 64
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--body-kib", type=int, default=64)
    parser.add_argument("--no-control-flag", action="store_true", help="do not pass --control (old builds)")
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()

    command = [args.python, "-m", "promptrails_mock", "--port", "0", "--db", ":memory:", "--log-level", "warning"]
    command += ["--spec", str(REPO / "openapi.yaml")]
    if not args.no_control_flag:
        command.append("--control")
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        assert process.stdout is not None
        url = ""
        while not url:
            line = process.stdout.readline()
            if not line:
                raise RuntimeError("the mock did not start")
            if line.startswith("promptrails-mock listening on "):
                url = line.split()[-1]
        body = b'{"agent_id": "' + b"x" * (args.body_kib * 1024) + b'"}'
        headers = {"X-API-Key": "promptrails-dev-key", "Content-Type": "application/json"}

        def send(_: int) -> int:
            with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
                return client.post("/api/v1/chat/sessions", content=body).status_code

        started = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(send, range(args.requests)))
        print(f"sent {len(statuses)} requests of {len(body)} bytes in {time.monotonic() - started:.1f}s")
        print(
            f"server RSS after filling the log: {rss_mib(process.pid):.0f} MiB (peak {peak_rss_mib(process.pid):.0f})"
        )

        started = time.monotonic()
        answer_bytes = 0
        entries = 0
        pages = 0
        after: int | None = None
        with httpx.Client(base_url=url, timeout=600) as client:
            while True:
                params = {} if after is None else {"after": str(after)}
                response = client.get("/__mock/requests", params=params)
                response.raise_for_status()
                pages += 1
                answer_bytes += len(response.content)
                payload = response.json()
                entries += len(payload["data"])
                following = (payload.get("meta") or {}).get("next_after")
                if following is None:
                    break
                after = int(following)
        print(
            f"read {entries} entries in {pages} page(s), {answer_bytes / 2**20:.1f} MiB, "
            f"in {time.monotonic() - started:.1f}s"
        )
        print(f"server RSS after the read: {rss_mib(process.pid):.0f} MiB (peak {peak_rss_mib(process.pid):.0f} MiB)")
    finally:
        process.terminate()
        process.wait(10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
