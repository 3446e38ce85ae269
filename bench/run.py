"""`make bench`: benchmarks of each SDK against peers measured in the same run.

Python runs in this process (bench_python.py); TypeScript is a node script
(bench_ts.mjs) and Go a `go test -bench` module (go/), each printing results
this script reads. All three get the same input: the stream bench_python
builds, written to one file. Prints one table of ours/peer ratios against
their targets and exits 1 when a target is missed (or a part cannot run).
Timing lives here, never in the test suites.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TS_SDK = ROOT / "typescript-sdk"
GO_BENCH = HERE / "go"

sys.path.insert(0, str(HERE))

import bench_python

Row = dict[str, Any]


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 300) -> str:
    """Run a step; its output is shown only when it fails."""
    proc = subprocess.run(cmd, check=False, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"`{' '.join(cmd)}` (in {cwd}) exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")
    return proc.stdout


def typescript(repeats: int, input_path: Path) -> Iterator[Row]:
    """Install (npm ci when node_modules is missing), build dist/, run bench_ts.mjs."""
    npm = shutil.which("npm")
    node = shutil.which("node")
    if not npm or not node:
        raise RuntimeError("node and npm are needed for the TypeScript benchmarks")
    if not (TS_SDK / "node_modules").is_dir():
        _run([npm, "ci", "--no-audit", "--no-fund"], TS_SDK)
    _run([npm, "run", "build"], TS_SDK)
    out = _run([node, "--expose-gc", str(HERE / "bench_ts.mjs"), "--repeats", str(repeats), "--input", str(input_path)], ROOT)
    for line in out.splitlines():
        if line.startswith("{"):
            yield json.loads(line)


# BenchmarkParseOurs-2   56   6875623 ns/op   165.50 MB/s   3850859 B/op   81953 allocs/op
_GO_LINE = re.compile(r"^Benchmark(\w+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op.*?\s([\d.]+) B/op\s+([\d.]+) allocs/op")


def go(repeats: int, input_path: Path) -> Iterator[Row]:
    """`go test -bench` in bench/go (modules come through the proxy).

    The test binary is built once, checks that both sides see the same events,
    then runs every benchmark once per round, `repeats` rounds, so ours and the
    peer alternate in time; each keeps its best round.
    """
    gobin = shutil.which("go")
    if not gobin:
        raise RuntimeError("go is needed for the Go benchmarks")
    env = {**os.environ, "SSE_BENCH_INPUT": str(input_path)}
    binary = str(input_path.with_name("bench.test"))
    _run([gobin, "test", "-c", "-o", binary, "."], GO_BENCH, env=env)
    _run([binary, "-test.run", "^TestSameEvents$"], GO_BENCH, env=env)
    best: dict[str, tuple[float, float, float]] = {}
    out = ""
    for _ in range(repeats):
        out = _run([binary, "-test.run", "^$", "-test.bench", ".", "-test.benchtime", "0.4s", "-test.benchmem"],
                   GO_BENCH, env=env)
        for line in out.splitlines():
            if m := _GO_LINE.match(line):
                ns, b, allocs = (float(g) for g in m.groups()[1:])
                old = best.get(m[1], (float("inf"),) * 3)
                best[m[1]] = (min(old[0], ns / 1e9), min(old[1], b), min(old[2], allocs))
    missing = {"ParseOurs", "ParsePeer", "TypedOurs", "TypedPeer"} - best.keys()
    if missing:
        raise RuntimeError(f"go test printed no result for {sorted(missing)}:\n{out}")
    mb = input_path.stat().st_size / 1e6

    def allocs(name: str) -> str:
        return f"{best[name][1] / 1e6:.1f} MB/{best[name][2] / 1e3:.0f}k allocs"

    for name, key, target in [
        ("go: SSE parse, 20k events, 4 KiB chunks (internal/sse vs go-sse)", "Parse", 1.5),
        ("go: typed stream via Chat.SendMessageStream vs go-sse + json.Unmarshal", "Typed", 2.5),
    ]:
        ours, peer = best[key + "Ours"][0], best[key + "Peer"][0]
        yield {"name": name, "unit": "s", "ours": ours, "peer": peer, "target": target,
               "note": f"{mb / ours:.1f} MB/s ours, {mb / peer:.1f} MB/s peer; "
                       f"{allocs(key + 'Ours')} ours, {allocs(key + 'Peer')} peer per stream"}
    yield {"name": "go: bytes allocated per stream while parsing (B/op)", "unit": "B",
           "ours": best["ParseOurs"][1], "peer": best["ParsePeer"][1], "target": 2.0,
           "note": f"{best['ParseOurs'][2]:.0f} allocs/op ours, {best['ParsePeer'][2]:.0f} peer"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=5, help="best of N (at least N runs per measurement)")
    ap.add_argument("--only", default="python,typescript,go", help="comma-separated: python,typescript,go")
    args = ap.parse_args()
    langs = [s.strip() for s in args.only.split(",") if s.strip()]

    load = os.getloadavg()[0]
    if load > 0.5 * (os.cpu_count() or 1):
        print(f"bench: load average {load:.1f} on {os.cpu_count()} cores before starting: other work competes "
              "for the CPU, ratios will be noisy", file=sys.stderr)
    rows: list[Row] = []
    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="sse-bench-") as tmp:
        input_path = Path(tmp) / "stream.sse"
        input_path.write_bytes(bench_python._stream_bytes())
        parts = {
            "python": lambda: bench_python.run(args.repeats),
            "typescript": lambda: typescript(args.repeats, input_path),
            "go": lambda: go(args.repeats, input_path),
        }
        for lang in langs:
            if lang not in parts:
                ap.error(f"unknown language {lang!r}")
            try:
                rows.extend(parts[lang]())
            except (RuntimeError, subprocess.TimeoutExpired, json.JSONDecodeError) as err:
                failed.append(lang)
                print(f"bench: the {lang} benchmarks could not run: {err}", file=sys.stderr)

    missed = 0
    if rows:
        width = max(len(r["name"]) for r in rows)
        print(f"{'benchmark':<{width}}  {'ours':>12}  {'peer':>12}  {'ratio':>6}  {'target':>6}")
        for r in rows:
            fmt = (lambda v: f"{v * 1000:10.1f}ms") if r["unit"] == "s" else (lambda v: f"{v / 1024:10.0f}KiB")
            ratio = r.get("ratio", r["ours"] / r["peer"])
            ok = ratio <= r["target"]
            missed += not ok
            print(f"{r['name']:<{width}}  {fmt(r['ours'])}  {fmt(r['peer'])}  {ratio:6.2f}  {r['target']:6.2f}  "
                  f"{'ok' if ok else 'MISSED'}  {r['note']}")
    print(f"bench: {len(rows) - missed} targets met, {missed} missed"
          + (f"; could not run: {', '.join(failed)}" if failed else ""))
    return 1 if missed or failed else 0


if __name__ == "__main__":
    sys.exit(main())
