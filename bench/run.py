"""`make bench`: benchmarks of each SDK against peers measured in the same run.

Prints a table of ours/peer ratios against their targets and exits 1 when a
target is missed. Timing lives here, never in the test suites.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import bench_python  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    rows = list(bench_python.run(args.repeats))
    width = max(len(r["name"]) for r in rows)
    print(f"{'benchmark':<{width}}  {'ours':>12}  {'peer':>12}  {'ratio':>6}  {'target':>6}")
    missed = 0
    for r in rows:
        fmt = (lambda v: f"{v * 1000:10.1f}ms") if r["unit"] == "s" else (lambda v: f"{v / 1024:10.0f}KiB")
        ok = r["ratio"] <= r["target"]
        missed += not ok
        print(f"{r['name']:<{width}}  {fmt(r['ours'])}  {fmt(r['peer'])}  {r['ratio']:6.2f}  {r['target']:6.2f}  "
              f"{'ok' if ok else 'MISSED'}  {r['note']}")
    print(f"bench: {len(rows) - missed} targets met, {missed} missed")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
