"""Build the vendor SDK's own venv: conformance-tests/drivers/vendor-python/.venv/.

The vendor's Python SDK is PyPI `promptrails`, the same import name as ours, so it
cannot share the repo's .venv. This script (standard library only) makes a venv
next to it and installs exactly requirements.txt (pinned, hash-checked, wheels
only, no dependency resolution), then checks that the installed package is the
pinned vendor release. A stamp holding the requirements' hash makes a second
run a no-op; a lock on this folder makes concurrent runs (pytest-xdist workers,
`make`) safe.

    python3 conformance-tests/drivers/vendor-python/setup_venv.py   # make vendor-sdk
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv"
REQUIREMENTS = HERE / "requirements.txt"
STAMP = VENV / ".requirements.sha256"
PINNED = "0.9.2"


def python() -> Path:
    """The vendor venv's interpreter."""
    return VENV / "bin" / "python"


def _wanted() -> str:
    return hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()


def up_to_date() -> bool:
    return (
        python().exists() and STAMP.exists() and STAMP.read_text().strip() == _wanted()
    )


def _check(interpreter: Path) -> None:
    """The installed `promptrails` is the pinned vendor release, from this venv."""
    probe = (
        "import importlib.metadata as m, pathlib, promptrails, sys;"
        "print(m.version('promptrails'));"
        "print(pathlib.Path(promptrails.__file__).resolve())"
    )
    done = subprocess.run(
        [str(interpreter), "-I", "-c", probe],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"vendor venv: importing promptrails failed:\n{done.stderr}")
    version, location = done.stdout.split("\n")[:2]
    if version != PINNED or not location.startswith(str(VENV)):
        raise SystemExit(
            f"vendor venv: expected promptrails {PINNED} inside {VENV}, got {version} at {location}"
        )


def build() -> None:
    # The lock is this folder itself (flock on a directory descriptor): no lock file to ignore.
    lock = os.open(HERE, os.O_RDONLY)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if up_to_date():
            return
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
        command = [
            str(python()),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--require-hashes",
            "--no-deps",
            "--only-binary=:all:",
            "-r",
            str(REQUIREMENTS),
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(
                f"vendor venv: `{' '.join(command)}` failed:\n{done.stdout}{done.stderr}"
            )
        _check(python())
        STAMP.write_text(_wanted() + "\n")
    finally:
        os.close(lock)


if __name__ == "__main__":
    build()
    print(f"vendor SDK venv ready: {VENV} (promptrails {PINNED})", file=sys.stderr)
