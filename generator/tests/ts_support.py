"""Running TypeScript from the generator's tests: the compiler, node, and SDKs generated into a
temporary folder.

The TypeScript toolchain is the one `typescript-sdk/` pins (its package-lock.json): when its
`node_modules` is missing, `npm ci` installs it once (under a file lock, so parallel test
workers do not race). Tests that need node are skipped only when node itself is not installed.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from sdkgen.builder import build_ir_from_path
from sdkgen.cli import generate
from sdkgen.ir import IR

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SDK_DIR = REPO / "typescript-sdk"
SPECS = HERE / "specs"
TS_RUNTIME_TESTS = HERE / "ts_runtime"
NODE = shutil.which("node")
NPM = shutil.which("npm")

# Every spec the TypeScript target is checked on: the corpus, our own contract, the fixture.
CORPUS = sorted(SPECS.glob("*.yaml")) + [REPO / "openapi.yaml", HERE / "fixtures" / "notebook.yaml"]


def node_modules() -> Path:
    """typescript-sdk's node_modules (typescript, @types/node, eventsource-parser, undici)."""
    modules = SDK_DIR / "node_modules"
    ready = modules / "typescript" / "bin" / "tsc"
    if ready.exists() and (modules / "eventsource-parser").exists():
        return modules
    assert NPM is not None, "npm is needed to install the TypeScript toolchain"
    with open(Path(tempfile.gettempdir()) / "sdkgen-typescript-npm-ci.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (ready.exists() and (modules / "eventsource-parser").exists()):
            subprocess.run([NPM, "ci", "--no-audit", "--no-fund"], cwd=SDK_DIR, check=True, capture_output=True,
                           timeout=900)
    return modules


def tsc(*args: str, cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    assert NODE is not None
    return subprocess.run([NODE, str(node_modules() / "typescript" / "bin" / "tsc"), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def node(*args: str, cwd: Path, timeout: int = 600, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    assert NODE is not None
    full_env = {k: v for k, v in os.environ.items() if not k.endswith("_LOG")}
    full_env.update(env or {})
    return subprocess.run([NODE, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=full_env)


def generate_sdk(spec: Path, out: Path) -> IR:
    ir = build_ir_from_path(str(spec))
    generate(ir, spec, "typescript", out)
    return ir


def link_modules(folder: Path) -> None:
    """Make `folder` resolve packages from typescript-sdk's node_modules, as an ESM package."""
    link = folder / "node_modules"
    if not link.exists():
        link.symlink_to(node_modules(), target_is_directory=True)
    (folder / "package.json").write_text(json.dumps({"type": "module", "private": True}) + "\n")
