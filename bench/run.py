"""`make bench`: the one performance report (issue 14), every row measured in this run.

    .venv/bin/python bench/run.py                          # everything (about 5 minutes)
    .venv/bin/python bench/run.py --only py-stream,mock    # any subset of the parts below
    .venv/bin/python bench/run.py --only python            # a language: its parts
    .venv/bin/python bench/run.py --write-readme           # also put the table in bench/README.md

Parts (`--only`): py-stream, ts-stream, go-stream, py-calls, ts-calls, go-calls, import, mock,
generate, py-rss, ts-rss, go-rss, longline; and the groups python, typescript, go, calls, rss,
stream. Every row is a ratio of two figures measured in the same run on the same input (or a
figure with its target, for the mock), printed with its target. The exit status is 1 when a
target is missed or a part could not run (the row says why); 0 only when every target is met.
Rows marked `info` have no target: they say where time goes. Timing lives here only, never
in `make test`.

Each side runs in its own process: ours and the plain peers (httpx-sse, eventsource-parser,
go-sse, net/http) in the repository's environments; the vendor's SDK (`promptrails` 0.9.2),
openai-python, openai-node and the load generator in environments this script makes under
bench/.venvs/ and bench/.node-peers/ (bench/envs.py). bench/README.md says what every row
measures.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TS_SDK = ROOT / "typescript-sdk"
GO_BENCH = HERE / "go"
VENV_BIN = Path(sys.executable).parent
README = HERE / "README.md"

sys.path.insert(0, str(HERE))
import envs  # noqa: E402
import streams  # noqa: E402

Row = dict[str, Any]
PARTS = [
    "py-stream",
    "ts-stream",
    "go-stream",
    "py-calls",
    "ts-calls",
    "go-calls",
    "import",
    "mock",
    "generate",
    "py-rss",
    "ts-rss",
    "go-rss",
    "longline",
]
GROUPS = {
    "python": ["py-stream", "py-calls", "import", "py-rss", "longline-py"],
    "typescript": ["ts-stream", "ts-calls", "ts-rss", "longline-ts"],
    "go": ["go-stream", "go-calls", "go-rss", "longline-go"],
    "stream": ["py-stream", "ts-stream", "go-stream"],
    "calls": ["py-calls", "ts-calls", "go-calls"],
    "rss": ["py-rss", "ts-rss", "go-rss"],
    "longline": ["longline-py", "longline-ts", "longline-go"],
}
RSS_TARGET = 16 * 1024 * 1024
PART_NAMES = {  # the row name of a part that could not run at all
    "py-stream": "python: typed stream (all rows)",
    "ts-stream": "typescript: typed stream (all rows)",
    "go-stream": "go: typed stream (all rows)",
    "py-calls": "python: per-call overhead",
    "ts-calls": "typescript: per-call overhead",
    "go-calls": "go: per-call overhead",
    "import": "python: import promptrails / import openai",
    "mock": "mock: capacity (all rows)",
    "generate": "generate: sdkgen generate-all / openapi-python-client alone",
    "py-rss": "python: peak RSS growth, 100 MB reply",
    "ts-rss": "typescript: peak RSS growth, 100 MB reply",
    "go-rss": "go: peak RSS growth, 100 MB reply",
    "longline-py": "python: long lines",
    "longline-ts": "typescript: long lines",
    "longline-go": "go: long lines",
}


class CannotRun(RuntimeError):
    """A part (or one of its rows) cannot run; the message says why."""


def _run(cmd: list[str], cwd: Path = ROOT, env: dict[str, str] | None = None, timeout: float = 600) -> str:
    """Run a step; its output is shown only when it fails."""
    try:
        proc = subprocess.run(cmd, check=False, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as err:
        raise CannotRun(f"`{' '.join(cmd)}` took more than {timeout:g} s") from err
    except OSError as err:
        raise CannotRun(f"`{' '.join(cmd)}`: {err}") from err
    if proc.returncode != 0:
        out = (proc.stdout + proc.stderr).strip().splitlines()
        raise CannotRun(f"`{' '.join(map(str, cmd))}` exited {proc.returncode}: " + " | ".join(out[-12:]))
    return proc.stdout


def _json_lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def row(
    key: str,
    name: str,
    *,
    ours: float | None = None,
    peer: float | None = None,
    value: float | None = None,
    unit: str = "s",
    target: float | None = None,
    goal: str = "max",
    invert: bool = False,
    note: str = "",
) -> Row:
    """A table row: a ratio ours/peer (peer/ours when `invert`), or a single `value`, against
    `target` (`goal` max: at most; min: at least). No target: an info row."""
    if value is None:
        assert ours is not None and peer is not None
        value = (peer / ours) if invert else (ours / peer)
    return {
        "key": key,
        "name": name,
        "ours": ours,
        "peer": peer,
        "value": value,
        "unit": unit,
        "target": target,
        "goal": goal,
        "invert": invert,
        "note": note,
    }


def error_row(key: str, name: str, why: str, status: str = "could not run") -> Row:
    return {"key": key, "name": name, "error": why, "status": status}


# -- Python streams -----------------------------------------------------------------------

PY_GROUPS = [  # (interpreter, sides): each group is one process per round
    ("repo", ["ours", "httpx-sse", "floor", "parse-ours", "parse-httpx-sse"]),
    ("vendor", ["vendor"]),
    ("openai", ["openai"]),
]


def py_stream(ctx: Context) -> Iterator[Row]:
    best: dict[tuple[str, str], float] = {}
    broken: dict[str, str] = {}
    rounds = 2
    per_round = max(1, math.ceil(ctx.repeats / rounds))
    for _ in range(rounds):
        for venv, sides in PY_GROUPS:
            if venv in broken:
                continue
            try:
                py = Path(sys.executable) if venv == "repo" else envs.python(venv)
                out = _run(
                    [
                        str(py),
                        "-I",
                        str(HERE / "py_stream.py"),
                        "--input",
                        str(ctx.stream_file),
                        "--sides",
                        ",".join(sides),
                        "--chunkings",
                        "frame,64k",
                        "--repeats",
                        str(per_round),
                    ]
                )
            except (CannotRun, envs.EnvError) as err:
                broken[venv] = str(err)
                continue
            for r in _json_lines(out):
                key = (r["side"], r["chunking"])
                best[key] = min(best.get(key, math.inf), r["best"])
    mb = ctx.stream_bytes / 1e6
    events = ctx.stream_events

    def side(name: str, chunking: str) -> float:
        if (name, chunking) not in best:
            venv = next(v for v, sides in PY_GROUPS if name in sides)
            raise CannotRun(broken.get(venv, f"py_stream.py printed nothing for {name}"))
        return best[(name, chunking)]

    def speeds(a: str, ta: float, b: str, tb: float) -> str:
        return f"{a} {ta * 1e3:.0f} ms ({mb / ta:.1f} MB/s), {b} {tb * 1e3:.0f} ms ({mb / tb:.1f} MB/s)"

    # (peer side, row name, target, at least instead of at most, ratio peer/ours)
    specs = [
        ("httpx-sse", "python: typed stream / (httpx-sse + json.loads)", 1.0, False),
        ("vendor", "python: typed stream / vendor SDK promptrails 0.9.2", 1.0, False),
        ("openai", "python: openai-python Stream / typed stream", 5.0, True),
    ]
    for chunking, label in streams.CHUNKINGS.items():
        for peer, name, target, invert in specs:
            key = f"py-stream-{peer}-{chunking}"
            try:
                t_ours, t_peer = side("ours", chunking), side(peer, chunking)
                note = speeds(peer, t_peer, "ours", t_ours) if invert else speeds("ours", t_ours, peer, t_peer)
                if peer == "httpx-sse":
                    note += f"; floor (httpx + bytes.split + json.loads) {side('floor', chunking) * 1e3:.0f} ms"
                yield row(
                    key,
                    "",
                    ours=t_ours,
                    peer=t_peer,
                    target=target,
                    goal="min" if invert else "max",
                    invert=invert,
                    note=note,
                ) | {"name": f"{name}, {label}"}
            except CannotRun as err:
                yield error_row(key, f"{name}, {label}", str(err))
    try:
        yield {
            **row(
                "py-parse",
                "",
                ours=side("parse-ours", "64k"),
                peer=side("parse-httpx-sse", "64k"),
                note=speeds(
                    "SSEParser.feed", side("parse-ours", "64k"), "httpx-sse iter_sse", side("parse-httpx-sse", "64k")
                )
                + f"; {events} events, no HTTP, no JSON",
            ),
            "name": "python: SSE parser alone / httpx-sse iter_sse, 64 KiB chunks",
        }
    except CannotRun as err:
        yield error_row("py-parse", "python: SSE parser alone / httpx-sse iter_sse, 64 KiB chunks", str(err))


# -- TypeScript ---------------------------------------------------------------------------


def _ts_ready(ctx: Context) -> str:
    """Install (npm ci when node_modules is missing) and build dist/ once; the node binary."""
    if ctx.ts_error:
        raise CannotRun(ctx.ts_error)
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        ctx.ts_error = "node and npm are needed for the TypeScript rows"
        raise CannotRun(ctx.ts_error)
    if not ctx.ts_built:
        try:
            if not (TS_SDK / "node_modules").is_dir():
                _run([npm, "ci", "--no-audit", "--no-fund"], TS_SDK)
            _run([npm, "run", "build"], TS_SDK)
        except CannotRun as err:
            ctx.ts_error = f"the TypeScript SDK does not build: {err}"
            raise CannotRun(ctx.ts_error) from err
        ctx.ts_built = True
    return node


def _ts_rows(out: str) -> Iterator[Row]:
    for r in _json_lines(out):
        if "error" in r:
            yield error_row(r["key"], r["name"], r["error"])
        else:
            yield row(
                r["key"],
                r["name"],
                ours=r["ours"],
                peer=r["peer"],
                unit=r["unit"],
                target=r["target"],
                invert=r.get("invert", False),
                note=r["note"],
            ) | {"name": r["name"]}


def ts_stream(ctx: Context) -> Iterator[Row]:
    node = _ts_ready(ctx)
    peers = HERE / ".node-peers"
    try:
        envs.node_peers()
    except envs.EnvError as err:
        print(f"bench: openai-node could not be installed: {err}", file=sys.stderr)
    out = _run(
        [
            node,
            "--expose-gc",
            str(HERE / "bench_ts.mjs"),
            "--part",
            "stream",
            "--input",
            str(ctx.stream_file),
            "--repeats",
            str(ctx.repeats),
            "--peers",
            str(peers),
        ]
    )
    yield from _ts_rows(out)


def ts_calls(ctx: Context) -> Iterator[Row]:
    node = _ts_ready(ctx)
    out = _run(
        [
            node,
            "--expose-gc",
            str(HERE / "bench_ts.mjs"),
            "--part",
            "calls",
            "--reply",
            str(ctx.reply_file),
            "--repeats",
            str(ctx.repeats),
        ]
    )
    yield from _ts_rows(out)


def ts_rss(ctx: Context) -> Iterator[Row]:
    node = _ts_ready(ctx)
    got = {}
    for flags, tag in (([], ""), (["--max-semi-space-size=1"], "small")):
        for side in ("ours", "peer"):
            out = _run([node, *flags, str(HERE / "bench_ts.mjs"), "--part", "rss", "--side", side])
            got[side + tag] = _json_lines(out)[-1]
    yield _rss_row(
        "ts-rss",
        "typescript: peak RSS growth, 100 MB reply",
        got["ours"],
        got["peer"],
        "peer: fetch + eventsource-parser + JSON.parse",
        f"; with node --max-semi-space-size=1: ours {got['ourssmall']['growth'] / 2**20:.1f} MiB, "
        f"peer {got['peersmall']['growth'] / 2**20:.1f} MiB; node {got['ours']['node']}",
    )


def _rss_row(key: str, name: str, ours: dict[str, Any], peer: dict[str, Any], peer_is: str, extra: str = "") -> Row:
    note = (
        f"ours {ours['growth'] / 2**20:.1f} MiB ({ours['events']} events in {ours['seconds']:.1f} s, "
        f"RSS before {ours['baseline'] / 2**20:.0f} MiB); {peer_is}: {peer['growth'] / 2**20:.1f} MiB{extra}"
    )
    if not ours.get("reset"):
        note += "; /proc/self/clear_refs not writable: growth is peak since start minus RSS before"
    return row(key, name, value=ours["growth"], unit="B", target=RSS_TARGET, note=note)


# -- Go -----------------------------------------------------------------------------------

# BenchmarkTypedOursFrame-2   56   6875623 ns/op   165.50 MB/s   3850859 B/op   81953 allocs/op
_GO_LINE = re.compile(r"^Benchmark(\w+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op.*?\s([\d.]+) B/op\s+([\d.]+) allocs/op")


def _go_binary(ctx: Context) -> tuple[str, dict[str, str]]:
    if ctx.go_error:
        raise CannotRun(ctx.go_error)
    env = {**os.environ, "SSE_BENCH_INPUT": str(ctx.stream_file), "SSE_BENCH_REPLY": str(ctx.reply_file)}
    binary = str(ctx.tmp / "bench.test")
    if not ctx.go_built:
        gobin = shutil.which("go")
        if not gobin:
            ctx.go_error = "go is needed for the Go rows"
            raise CannotRun(ctx.go_error)
        try:
            _run([gobin, "test", "-c", "-o", binary, "."], GO_BENCH, env=env)
            _run([binary, "-test.run", "^TestSameEvents$"], GO_BENCH, env=env)
        except CannotRun as err:
            ctx.go_error = str(err)
            raise
        ctx.go_built = True
    return binary, env


def _go_bench(ctx: Context, pattern: str, benchtime: str = "0.3s") -> dict[str, tuple[float, float, float]]:
    """Every benchmark matching `pattern`, once per round, `repeats` rounds (so the sides
    alternate in time); each keeps its best ns/op, B/op and allocs/op."""
    binary, env = _go_binary(ctx)
    best: dict[str, tuple[float, float, float]] = {}
    for _ in range(ctx.repeats):
        out = _run(
            [binary, "-test.run", "^$", "-test.bench", pattern, "-test.benchtime", benchtime, "-test.benchmem"],
            GO_BENCH,
            env=env,
        )
        for line in out.splitlines():
            if m := _GO_LINE.match(line):
                ns, b, allocs = (float(g) for g in m.groups()[1:])
                old = best.get(m[1], (math.inf,) * 3)
                best[m[1]] = (min(old[0], ns / 1e9), min(old[1], b), min(old[2], allocs))
    return best


def go_stream(ctx: Context) -> Iterator[Row]:
    best = _go_bench(ctx, "^Benchmark(Typed(Ours|Peer)(Frame|64k)|Parse(Ours|Peer))$")
    mb = ctx.stream_bytes / 1e6

    def allocs(name: str) -> str:
        return f"{best[name][1] / 1e6:.1f} MB/{best[name][2] / 1e3:.0f}k allocs"

    for chunking, label in (("Frame", "one chunk per frame"), ("64k", "64 KiB chunks")):
        o, p = f"TypedOurs{chunking}", f"TypedPeer{chunking}"
        name = f"go: typed stream / (go-sse + json.Unmarshal), {label}"
        if o not in best or p not in best:
            yield error_row(f"go-stream-{chunking.lower()}", name, "go test printed no result")
            continue
        yield row(
            f"go-stream-{chunking.lower()}",
            name,
            ours=best[o][0],
            peer=best[p][0],
            target=1.0,
            note=f"{mb / best[o][0]:.1f} MB/s ours, {mb / best[p][0]:.1f} MB/s peer; "
            f"{allocs(o)} ours, {allocs(p)} peer per stream",
        ) | {"name": name}
    if "ParseOurs" in best and "ParsePeer" in best:
        yield row(
            "go-parse",
            "go: SSE parser alone (internal/sse) / go-sse, 64 KiB chunks",
            ours=best["ParseOurs"][0],
            peer=best["ParsePeer"][0],
            note=f"{allocs('ParseOurs')} ours, {allocs('ParsePeer')} peer per stream",
        )


def go_calls(ctx: Context) -> Iterator[Row]:
    best = _go_bench(ctx, "^BenchmarkCall(Ours|Raw|RawBare)$", "0.5s")
    if not {"CallOurs", "CallRaw", "CallRawBare"} <= best.keys():
        raise CannotRun("go test printed no result for BenchmarkCallOurs/BenchmarkCallRaw/BenchmarkCallRawBare")
    o, r, bare = best["CallOurs"], best["CallRaw"], best["CallRawBare"]
    yield row(
        "go-calls",
        "go: per-call overhead, Chat.SendMessage / net/http + json.Unmarshal with a timeout",
        ours=o[0],
        peer=r[0],
        unit="call",
        target=1.3,
        note=f"{o[0] * 1e6:.1f} us ours, {r[0] * 1e6:.1f} us raw per call; {o[1]:.0f} B/{o[2]:.0f} allocs ours, "
        f"{r[1]:.0f} B/{r[2]:.0f} allocs raw (http.Client.Timeout 60 s, as ours); raw without a timeout "
        f"{bare[0] * 1e6:.1f} us (ours/that {o[0] / bare[0]:.2f}x); RoundTripper answering the reply",
    )


def go_rss(ctx: Context) -> Iterator[Row]:
    binary, env = _go_binary(ctx)
    got = {}
    for side in ("ours", "peer"):
        out = _run([binary, "-test.run", "^TestRSS$", "-test.v"], GO_BENCH, env={**env, "SSE_BENCH_RSS": side})
        line = next((ln for ln in out.splitlines() if ln.startswith("RSS {")), None)
        if line is None:
            raise CannotRun(f"TestRSS printed no result for {side}")
        got[side] = json.loads(line[4:])
    yield _rss_row(
        "go-rss",
        "go: peak RSS growth, 100 MB reply",
        got["ours"],
        got["peer"],
        "peer: net/http + go-sse + json.Unmarshal",
    )


# -- Python calls, RSS, import --------------------------------------------------------------


def py_calls(ctx: Context) -> Iterator[Row]:
    out = _run(
        [
            sys.executable,
            str(HERE / "bench_python.py"),
            "calls",
            "--reply",
            str(ctx.reply_file),
            "--repeats",
            str(ctx.repeats),
        ]
    )
    r = _json_lines(out)[-1]
    yield row(
        "py-calls",
        "python: per-call overhead, chat.send_message / raw httpx + .json()",
        ours=r["ours"],
        peer=r["raw"],
        unit="call",
        target=1.3,
        note=f"{r['ours'] * 1e6:.0f} us ours, {r['raw'] * 1e6:.0f} us raw per call (httpx's default timeout, as "
        f"ours has one); httpx.MockTransport "
        f"answering {r['bytes']} bytes",
    )


def py_rss(ctx: Context) -> Iterator[Row]:
    got = {}
    for side in ("ours", "peer"):
        got[side] = _json_lines(_run([sys.executable, str(HERE / "bench_python.py"), "rss", "--side", side]))[-1]
    yield _rss_row(
        "py-rss",
        "python: peak RSS growth, 100 MB reply",
        got["ours"],
        got["peer"],
        "peer: httpx + httpx-sse + json.loads",
    )


_IMPORT = "import time; t = time.perf_counter(); import {m}; print(time.perf_counter() - t)"


def _import_breakdown(py: str, module: str) -> str:
    """Where `import module` spends its time (`-X importtime`): the module's own code, and
    each other top-level package it pulls in (the cumulative time of the imports that first
    leave `module`'s package)."""
    proc = subprocess.run(
        [py, "-I", "-X", "importtime", "-c", f"import {module}"], capture_output=True, text=True, check=False
    )
    # Post-order lines: a node's children are the lines just before it, one level deeper.
    pending: list[tuple[int, str, int, list[Any]]] = []
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        if not m:
            continue
        depth = len(m[2])
        children = []
        while pending and pending[-1][0] > depth:
            children.insert(0, pending.pop())
        pending.append((depth, m[3], int(m[1]), children))
    root = next((n for n in pending if n[1] == module), None)
    if root is None:
        return ""
    outside: dict[str, int] = {}

    def walk(node: tuple[int, str, int, list[Any]]) -> None:
        for child in node[3]:
            top = child[1].split(".")[0]
            if top == module:
                walk(child)
            else:
                outside[top] = outside.get(top, 0) + child[2]

    walk(root)
    own = root[2] - sum(outside.values())
    parts = sorted(outside.items(), key=lambda kv: -kv[1])[:5]
    return f"under -X importtime {root[2] / 1e3:.0f} ms: {module}'s own modules {own / 1e3:.0f}, " + ", ".join(
        f"{k} {v / 1e3:.0f}" for k, v in parts
    )


def import_time(ctx: Context) -> Iterator[Row]:
    try:
        openai_py = str(envs.python("openai"))
    except envs.EnvError as err:
        raise CannotRun(f"openai-python could not be installed: {err}") from err
    ours_py = sys.executable
    best = {"ours": math.inf, "openai": math.inf}
    for _ in range(max(ctx.repeats, 7)):
        for side, py, mod in (("ours", ours_py, "promptrails"), ("openai", openai_py, "openai")):
            best[side] = min(best[side], float(_run([py, "-I", "-c", _IMPORT.format(m=mod)]).strip()))
    yield row(
        "import",
        "python: import promptrails / import openai",
        ours=best["ours"],
        peer=best["openai"],
        target=0.5,
        note=f"fresh interpreter each, best of {max(ctx.repeats, 7)}: ours {best['ours'] * 1e3:.0f} ms, "
        f"openai {best['openai'] * 1e3:.0f} ms; {_import_breakdown(ours_py, 'promptrails')}",
    )


# -- generation -------------------------------------------------------------------------------


def generate(ctx: Context) -> Iterator[Row]:
    """`make generate` (= sdkgen generate-all) into a temporary root, against
    openapi-python-client alone on the same spec (its defaults, ruff post-hooks included)."""
    sdkgen = VENV_BIN / "sdkgen"
    before = _run(["git", "status", "--porcelain", "--", "python-sdk", "typescript-sdk", "go-sdk"])
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}", "NO_COLOR": "1"}
    best = {"sdkgen": math.inf, "opc": math.inf}
    n = max(3, math.ceil(ctx.repeats / 2))
    files = 0
    for i in range(n):
        root = ctx.tmp / f"gen{i}"
        root.mkdir()
        t0 = time.perf_counter()
        _run([str(sdkgen), "generate-all", "--spec", str(ROOT / "openapi.yaml"), "--root", str(root)], env=env)
        best["sdkgen"] = min(best["sdkgen"], time.perf_counter() - t0)
        files = sum(1 for p in root.rglob("*") if p.is_file())
        out = ctx.tmp / f"opc{i}"
        out.mkdir()
        t0 = time.perf_counter()
        _run(
            [
                sys.executable,
                "-m",
                "openapi_python_client",
                "generate",
                "--path",
                str(ROOT / "openapi.yaml"),
                "--meta",
                "none",
                "--output-path",
                str(out / "client"),
                "--overwrite",
            ],
            cwd=out,
            env=env,
        )
        best["opc"] = min(best["opc"], time.perf_counter() - t0)
        if not (out / "client" / "__init__.py").exists():
            raise CannotRun("openapi-python-client wrote no package")
    after = _run(["git", "status", "--porcelain", "--", "python-sdk", "typescript-sdk", "go-sdk"])
    if before != after:
        raise CannotRun("the committed SDKs changed while generating into a temporary folder")
    from importlib.metadata import version

    yield row(
        "generate",
        "generate: sdkgen generate-all (3 SDKs) / openapi-python-client alone",
        ours=best["sdkgen"],
        peer=best["opc"],
        target=1.5,
        note=f"wall clock, best of {n}, temporary output folders: sdkgen {best['sdkgen']:.2f} s ({files} files), "
        f"openapi-python-client {version('openapi-python-client')} {best['opc']:.2f} s (its defaults: ruff post-hooks)",
    )


# -- the mock's capacity -----------------------------------------------------------------------


class Server:
    """A server subprocess announcing `... listening on http://HOST:PORT` on stdout."""

    def __init__(self, cmd: list[str], log: Path, pattern: str, timeout: float = 60) -> None:
        self.log = log
        with open(log, "wb") as err:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(
                cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=err, text=True, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        self.url = ""
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            if m := re.search(pattern + r"(http://[\w.:\[\]]+)", line):
                self.url = m[1]
                break
        if not self.url:
            self.stop()
            raise CannotRun(f"`{' '.join(cmd)}` did not start: " + " | ".join(log.read_text().splitlines()[-6:]))

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def _load(ctx: Context, url: str, streams_: int, sessions: bool, extra: list[str], rounds: int = 1) -> dict[str, Any]:
    """`rounds` one-shot runs (every stream opened at once, one stream per connection); the
    round with the most events/s."""
    py = envs.python("load")
    cmd = [
        str(py),
        "-I",
        str(HERE / "load.py"),
        "--url",
        url,
        "--streams",
        str(streams_),
        "--duration",
        "0",
        "--deadline",
        str(ctx.load_deadline),
        *extra,
    ]
    if sessions:
        cmd.append("--sessions")
    best: dict[str, Any] = {}
    for _ in range(rounds):
        r = _json_lines(_run(cmd, timeout=ctx.load_deadline + 120))[-1]
        if "error" in r:
            raise CannotRun(r["error"])
        if r["errors"] or not best or r["events_per_s"] > best["events_per_s"]:
            best = r
        if r["errors"]:
            break
    best["rounds"] = rounds
    return best


def _mock_flags() -> list[str]:
    """The mock as `make serve` runs it (no control API: its request log is a test aid), at the
    fastest settings its CLI offers: no pause between frames, no access log. Response violations
    are counted from its log (it logs each at error level, whatever its control API)."""
    try:
        help_text = _run([str(VENV_BIN / "promptrails-mock"), "--help"])
    except CannotRun as err:
        raise CannotRun(f"promptrails-mock is not installed: {err}") from err
    flags = ["--log-level", "warning"]
    if "--frame-delay-ms" in help_text:
        flags += ["--frame-delay-ms", "0"]
    return flags


def _fmt_load(r: dict[str, Any]) -> str:
    def ms(v: float | None) -> str:
        return "-" if v is None else f"{v * 1e3:.0f} ms"

    fails = "; ".join(f"{k}: {v}" for k, v in r["failures"].items())
    return (
        f"{r['events_per_s']:,.0f} events/s ({r['events']:,} events, {r['streams']} streams of "
        f"{r['events_per_stream']} events in {r['wall']:.1f} s, best of {r.get('rounds', 1)}); "
        f"first event p50 {ms(r['ttfe_p50'])}, "
        f"p99 {ms(r['ttfe_p99'])}; stream p50 {ms(r['duration_p50'])}, max {ms(r['duration_max'])}"
        + (f"; errors: {fails}" if fails else "")
    )


def mock(ctx: Context) -> Iterator[Row]:
    flags = _mock_flags()
    api_key = "promptrails-dev-key"
    db = ctx.tmp / "mock.db"
    cmd = [str(VENV_BIN / "promptrails-mock"), "--port", "0", "--db", str(db), "--api-key", api_key, *flags]
    server = Server(cmd, ctx.tmp / "mock.log", r"listening on ")
    results: dict[int, dict[str, Any]] = {}
    try:
        results[100] = _load(ctx, server.url, 100, True, ["--api-key", api_key], rounds=3)
        results[1000] = _load(ctx, server.url, 1000, True, ["--api-key", api_key])
    finally:
        server.stop()
    log = (ctx.tmp / "mock.log").read_text(errors="replace")
    # Every response violation is logged at error level ("CONTRACT VIOLATION ..."), control API or not.
    logged = sum(1 for line in log.splitlines() if "violation" in line.lower())
    frames = results[1000]["events_per_stream"] or 95
    # The calibration: a plain Starlette SSE endpoint with as many frames per stream, on the
    # mock's stack (uvicorn's httptools protocol, uvloop), then on its stack before (h11, asyncio).
    calib: dict[str, dict[str, Any]] = {}
    calib_error: dict[str, str] = {}
    for stack, flags_, sizes in (("fast", [], (100, 1000)), ("h11", ["--h11"], (1000,))):
        try:
            cal = Server(
                [sys.executable, str(HERE / "calib_server.py"), "--frames", str(frames), *flags_],
                ctx.tmp / f"calib-{stack}.log",
                r"listening on ",
            )
            try:
                for n in sizes:
                    calib[f"{stack}-{n}"] = _load(ctx, cal.url, n, False, [], rounds=3 if n == 100 else 2)
            finally:
                cal.stop()
        except (CannotRun, envs.EnvError) as err:
            for n in sizes:
                calib_error[f"{stack}-{n}"] = str(err)
    vio = f"{logged} response violations logged"
    setting = f"mock {' '.join(flags)}, --db file (WAL); {vio}"
    r100, r1k = results[100], results[1000]
    yield row(
        "mock-100",
        "mock: 100 concurrent streams (events/s)",
        value=r100["events_per_s"],
        unit="ev/s",
        note=_fmt_load(r100),
    )
    yield row(
        "mock-1000-rate",
        "mock: 1,000 concurrent streams, events/s",
        value=r1k["events_per_s"],
        unit="ev/s",
        target=15000,
        goal="min",
        note=_fmt_load(r1k),
    )
    yield row(
        "mock-1000-ttfe",
        "mock: 1,000 concurrent streams, p99 time to first event",
        value=r1k["ttfe_p99"] if r1k["ttfe_p99"] is not None else math.inf,
        unit="s",
        target=0.25,
        note=f"p50 {r1k['ttfe_p50'] or math.nan:.3f} s, max {r1k['ttfe_max'] or math.nan:.3f} s; connect included",
    )
    errors = r100["errors"] + r1k["errors"] + logged
    yield row(
        "mock-errors",
        "mock: errors at 100 and 1,000 streams, validation on",
        value=errors,
        unit="n",
        target=0,
        note=f"{r100['errors']} + {r1k['errors']} stream errors; {setting}",
    )
    for key, name in (
        ("fast-100", "calibration: plain Starlette SSE on the mock's stack (httptools, uvloop), 100 streams"),
        ("fast-1000", "calibration: plain Starlette SSE on the mock's stack (httptools, uvloop), 1,000 streams"),
        ("h11-1000", "calibration: plain Starlette SSE on h11 + asyncio (the mock's stack before), 1,000 streams"),
    ):
        if key in calib:
            yield row(
                f"calib-{key}",
                name + " (events/s)",
                value=calib[key]["events_per_s"],
                unit="ev/s",
                note=_fmt_load(calib[key]) + f"; client {calib[key]['client']}",
            )
        else:
            yield error_row(f"calib-{key}", name, calib_error.get(key, "no result"))


# -- long-line benchmarks of other helpers ------------------------------------------------------


def _adapt(part: str, r: dict[str, Any]) -> Row | None:
    """A long-line script's JSON line as a row: the row shape of bench_ts.mjs, or any line with
    a `ratio...` key and a `target` (at most). Other lines (per-input details) are not rows."""
    name = r.get("name") or r.get("bench") or part
    if "error" in r:
        return error_row(r.get("key", part), f"{part}: {name}", str(r["error"]))
    if "ours" in r and "peer" in r and "target" in r:
        return row(
            r.get("key", part),
            str(name),
            ours=r["ours"],
            peer=r["peer"],
            unit=r.get("unit", "s"),
            target=r["target"],
            note=r.get("note", ""),
        ) | {"name": str(name)}
    ratio_key = next((k for k in r if k.startswith("ratio")), None)
    if ratio_key and "target" in r:
        return row(
            r.get("key", part),
            f"{name} ({ratio_key})",
            value=float(r[ratio_key]),
            unit="x",
            target=float(r["target"]),
            note=", ".join(f"{k}={v}" for k, v in r.items() if k not in (ratio_key, "target")),
        )
    return None


def longline(ctx: Context, which: str) -> Iterator[Row]:
    if which == "py":
        script = HERE / "bench_python_longline.py"
        name = "python: long lines (bench/bench_python_longline.py)"
        if not script.exists():
            yield error_row("longline-py", name, "not in this branch yet (another helper adds it)", "not available yet")
            return
        out = _run([sys.executable, str(script), "--repeats", str(min(ctx.repeats, 3))])
    elif which == "ts":
        script = HERE / "bench_ts_longline.mjs"
        name = "typescript: long lines (bench/bench_ts_longline.mjs)"
        if not script.exists():
            yield error_row("longline-ts", name, "not in this branch yet (another helper adds it)", "not available yet")
            return
        node = _ts_ready(ctx)
        out = _run([node, "--expose-gc", str(script), "--repeats", str(min(ctx.repeats, 3))])
    else:
        binary, env = _go_binary(ctx)
        listed = _run([binary, "-test.list", "^Benchmark"], GO_BENCH, env=env).split()
        pairs = sorted(b.removeprefix("BenchmarkLongLine") for b in listed if b.startswith("BenchmarkLongLine"))
        if not pairs:
            yield error_row(
                "longline-go",
                "go: long lines (bench/go)",
                "not in this branch yet (another helper adds it)",
                "not available yet",
            )
            return
        best = _go_bench(ctx, "^Benchmark(LongLine|ShortLines)", "1x")
        for p in pairs:
            lo, sh = best.get(f"LongLine{p}"), best.get(f"ShortLines{p}")
            name = f"go: long line / short lines, {p or 'default'} (8 MiB)"
            if lo is None or sh is None:
                yield error_row(f"longline-go-{p}", name, "no BenchmarkShortLines counterpart or no result")
                continue
            yield row(
                f"longline-go-{p.lower()}",
                name,
                ours=lo[0],
                peer=sh[0],
                target=2.0,
                note=f"{lo[1] / 2**20:.1f} MiB/{lo[2]:.0f} allocs long, "
                f"{sh[1] / 2**20:.1f} MiB/{sh[2]:.0f} allocs short",
            )
        return
    rows = [r for r in (_adapt(f"longline-{which}", j) for j in _json_lines(out)) if r is not None]
    if not rows:
        yield error_row(f"longline-{which}", name, "it printed no row with a target")
    yield from rows


# -- the report ------------------------------------------------------------------------------------


class Context:
    def __init__(self, tmp: Path, repeats: int) -> None:
        self.tmp = tmp
        self.repeats = repeats
        data = streams.chat_stream()
        self.stream_file = tmp / "stream.sse"
        self.stream_file.write_bytes(data)
        self.stream_bytes = len(data)
        self.stream_events = streams.expected()["events"]
        self.reply_file = tmp / "reply.json"
        self.reply_file.write_text(json.dumps(_reply_example(), separators=(",", ":")))
        self.ts_built = self.go_built = False
        self.ts_error = self.go_error = ""
        self.load_deadline = 150.0


def _reply_example() -> Any:
    """The 200 example of `sendMessage` in openapi.yaml: the body of the per-call rows."""
    import yaml

    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    op = spec["paths"]["/api/v1/chat/sessions/{session_id}/messages"]["post"]
    return op["responses"]["200"]["content"]["application/json"]["example"]


def _status(r: Row) -> str:
    if "error" in r:
        return r["status"]
    if r["target"] is None:
        return "info"
    ok = r["value"] <= r["target"] if r["goal"] == "max" else r["value"] >= r["target"]
    return "ok" if ok else "MISSED"


def _fmt(v: float | None, unit: str) -> str:
    if v is None:
        return "-"
    if unit == "s":
        return f"{v * 1e3:.1f} ms" if v < 1 else f"{v:.2f} s"
    if unit == "call":
        return f"{v * 1e6:.1f} us"
    if unit == "B":
        return f"{v / 2**20:.1f} MiB"
    if unit == "ev/s":
        return f"{v:,.0f}"
    if unit == "n":
        return f"{v:.0f}"
    return f"{v:.3g}"


def _value(r: Row) -> str:
    if "error" in r:
        return "-"
    if r["ours"] is None:
        return _fmt(r["value"], r["unit"])
    return f"{r['value']:.2f}x"


def _target(r: Row) -> str:
    if "error" in r or r["target"] is None:
        return "-"
    sign = "<=" if r["goal"] == "max" else ">="
    t = r["target"]
    return f"{sign} {_fmt(t, r['unit']) if r['ours'] is None else f'{t:g}x'}"


def _cells(r: Row) -> list[str]:
    if "error" in r:
        return [r["name"], "-", "-", "-", "-", f"{r['status']}: {r['error']}"]
    a, b = (r["peer"], r["ours"]) if r["invert"] else (r["ours"], r["peer"])
    return [r["name"], _fmt(a, r["unit"]), _fmt(b, r["unit"]), _value(r), _target(r), _status(r)]


def print_table(rows: list[Row]) -> None:
    head = ["row", "measured", "against", "ratio/value", "target", "status"]
    cells = [_cells(r) for r in rows]
    widths = [max(len(head[i]), *(len(c[i]) for c in cells if len(c[i]) < 90)) for i in range(5)]
    print("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=False)) + "  status")
    for r, c in zip(rows, cells, strict=True):
        print("  ".join(x.ljust(w) for x, w in zip(c[:5], widths, strict=True)) + "  " + c[5])
        if r.get("note"):
            print(" " * 4 + r["note"])


def markdown(rows: list[Row]) -> str:
    lines = [
        "| row | measured | against | ratio / value | target | status | details |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        c = _cells(r)
        status = c[5] if "error" not in r else r["status"]
        note = r.get("note", "") if "error" not in r else r["error"]
        lines.append(
            "| "
            + " | ".join(
                x.replace("|", "\\|") for x in (*c[:5], f"**{status}**" if status == "MISSED" else status, note)
            )
            + " |"
        )
    return "\n".join(lines)


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass

    def version(cmd: list[str]) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip().splitlines()[0]
        except (OSError, IndexError):
            return "not installed"

    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "python": platform.python_version(),
        "node": version(["node", "--version"]),
        "go": version(["go", "version"]).removeprefix("go version "),
        "kernel": platform.release(),
    }


def write_readme(
    rows: list[Row], info: dict[str, str], started: float, load: tuple[float, float], command: str
) -> None:
    text = README.read_text()
    start, end = "<!-- results:start -->", "<!-- results:end -->"
    if start not in text or end not in text:
        raise SystemExit(f"bench: {README} has no {start} ... {end} block")
    date = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    block = (
        f"{start}\n`{command}` on {date}, commit {commit}, {time.time() - started:.0f} s.\n"
        f"Machine: {info['nproc']} cores ({info['cpu']}), Linux {info['kernel']}, Python {info['python']}, "
        f"node {info['node']}, {info['go']}; load average {load[0]:.1f} at the start, {load[1]:.1f} at the end.\n\n"
        f"{markdown(rows)}\n{end}"
    )
    README.write_text(text[: text.index(start)] + block + text[text.index(end) + len(end) :])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=5, help="timed runs per measurement (default 5)")
    ap.add_argument("--only", default="all", help="comma-separated parts or groups (default: all)")
    ap.add_argument("--write-readme", action="store_true", help="replace the results block of bench/README.md")
    args = ap.parse_args()
    wanted: list[str] = []
    for item in (s.strip() for s in args.only.split(",") if s.strip()):
        if item == "all":
            wanted += [p for p in PARTS if p != "longline"] + GROUPS["longline"]
        elif item in GROUPS:
            wanted += GROUPS[item]
        elif item in PARTS or item in GROUPS["longline"]:
            wanted += GROUPS["longline"] if item == "longline" else [item]
        else:
            ap.error(f"unknown part {item!r}: choose from {', '.join(PARTS + list(GROUPS))}")
    wanted = list(dict.fromkeys(wanted))
    started = time.time()
    load0 = os.getloadavg()[0]
    info = machine()
    print(
        f"bench: {info['nproc']} cores ({info['cpu']}), Python {info['python']}, node {info['node']}, {info['go']}; "
        f"load average {load0:.1f}",
        file=sys.stderr,
    )
    if load0 > 0.5 * (os.cpu_count() or 1):
        print("bench: other work competes for the CPU: ratios will be noisy", file=sys.stderr)
    parts: dict[str, Callable[[Context], Iterator[Row]]] = {
        "py-stream": py_stream,
        "ts-stream": ts_stream,
        "go-stream": go_stream,
        "py-calls": py_calls,
        "ts-calls": ts_calls,
        "go-calls": go_calls,
        "import": import_time,
        "mock": mock,
        "generate": generate,
        "py-rss": py_rss,
        "ts-rss": ts_rss,
        "go-rss": go_rss,
        "longline-py": lambda c: longline(c, "py"),
        "longline-ts": lambda c: longline(c, "ts"),
        "longline-go": lambda c: longline(c, "go"),
    }
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        ctx = Context(Path(tmp), args.repeats)
        for part in wanted:
            t0 = time.perf_counter()
            try:
                got = list(parts[part](ctx))
            except (CannotRun, envs.EnvError, KeyError, ValueError, json.JSONDecodeError) as err:
                why = str(err) if isinstance(err, CannotRun | envs.EnvError) else f"{type(err).__name__}: {err}"
                got = [error_row(part, PART_NAMES.get(part, part), why)]
            rows.extend(got)
            print(f"bench: {part} done in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    load1 = os.getloadavg()[0]
    print_table(rows)
    statuses = [_status(r) for r in rows]
    missed = statuses.count("MISSED")
    failed = statuses.count("could not run")
    met = statuses.count("ok")
    print(
        f"bench: {met} targets met, {missed} missed, {failed} could not run, {statuses.count('info')} info rows, "
        f"{statuses.count('not available yet')} not available yet; {time.time() - started:.0f} s; load average "
        f"{load0:.1f} -> {load1:.1f}"
    )
    if args.write_readme:
        write_readme(
            rows,
            info,
            started,
            (load0, load1),
            "make bench" if args.only == "all" else f".venv/bin/python bench/run.py --only {args.only}",
        )
    return 1 if missed or failed else 0


if __name__ == "__main__":
    sys.exit(main())
