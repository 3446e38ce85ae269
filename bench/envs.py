"""The peers' own environments, made by the benchmarks themselves on first use.

- Python: `bench/.venvs/<name>/`, one virtualenv per pin file `bench/peers/<name>.txt`
  (`vendor`: the vendor's `promptrails` 0.9.2; `openai`: openai-python; `load`: the load
  generator's httptools and uvloop). Re-made when the pin file changes. Never the
  repository's `.venv`: the vendor's package is also called `promptrails`.
- Node: `bench/.node-peers/` (its own package.json and package-lock.json), `npm ci`.

Both folders are gitignored except the manifests.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENVS = HERE / ".venvs"
PINS = HERE / "peers"
NODE_PEERS = HERE / ".node-peers"


class EnvError(RuntimeError):
    """A peer's environment could not be made; the message says why."""


def _run(cmd: list[str], cwd: Path | None = None, timeout: float = 600) -> None:
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise EnvError(f"`{' '.join(cmd)}` failed: {err}") from err
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-8:]
        raise EnvError(f"`{' '.join(cmd)}` exited {proc.returncode}: " + " | ".join(tail))


def python(name: str) -> Path:
    """The interpreter of the virtualenv `name`, made (or re-made) from `peers/<name>.txt`."""
    pins = PINS / f"{name}.txt"
    venv = VENVS / name
    py = venv / "bin" / "python"
    digest = hashlib.sha256(pins.read_bytes()).hexdigest()
    stamp = venv / ".pins-sha256"
    if py.exists() and stamp.exists() and stamp.read_text().strip() == digest:
        return py
    if venv.exists():
        shutil.rmtree(venv)
    _run([sys.executable, "-m", "venv", str(venv)])
    _run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", str(pins)])
    stamp.write_text(digest + "\n")
    return py


def node_peers() -> Path:
    """bench/.node-peers with its node_modules installed (`npm ci` from the committed lock)."""
    npm = shutil.which("npm")
    if not npm:
        raise EnvError("npm is not on PATH")
    lock = NODE_PEERS / "package-lock.json"
    stamp = NODE_PEERS / "node_modules" / ".lock-sha256"
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()
    if not (stamp.exists() and stamp.read_text().strip() == digest):
        _run([npm, "ci", "--no-audit", "--no-fund"], cwd=NODE_PEERS)
        stamp.write_text(digest + "\n")
    return NODE_PEERS
