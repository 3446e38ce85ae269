"""A spec as it was at a git revision (`sdkgen diff --base origin/main`)."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from ..spec import Spec, load_spec

__all__ = ["GitError", "spec_at", "read_at"]


class GitError(Exception):
    """The spec cannot be read from git at that revision (no repository, unknown revision,
    or no such file there)."""


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, check=False)
    except FileNotFoundError as exc:
        raise GitError("git is not installed (needed for --base)") from exc


def read_at(ref: str, path: Path) -> tuple[bytes, str]:
    """The bytes of `path` (a file in a git work tree) at revision `ref`, and a label
    for reports (`<ref>:<path from the repository root>`)."""
    path = path.resolve() if path.exists() else (Path.cwd() / path)
    cwd = path.parent if path.parent.exists() else Path.cwd()
    top = _git(cwd, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise GitError(f"{cwd} is not inside a git repository: cannot read {path.name} at {ref!r}")
    root = Path(top.stdout.decode().strip()).resolve()
    try:
        rel = path.resolve().relative_to(root).as_posix()
    except ValueError as exc:
        raise GitError(f"{path} is outside the git repository at {root}") from exc
    verify = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if verify.returncode != 0:
        raise GitError(f"unknown git revision {ref!r} (fetch it first, e.g. `git fetch origin main`)")
    shown = _git(root, "show", f"{ref}:{rel}")
    if shown.returncode != 0:
        raise GitError(f"{rel} does not exist at {ref!r}")
    return shown.stdout, f"{ref}:{rel}"


def spec_at(ref: str, path: Path, workdir: Path) -> tuple[Spec, str]:
    """Load the spec `path` as it was at `ref` (written to a file under `workdir`)."""
    data, label = read_at(ref, path)
    target = Path(tempfile.mkdtemp(prefix="sdkgen-base-", dir=workdir)) / path.name
    target.write_bytes(data)
    return load_spec(target), label
