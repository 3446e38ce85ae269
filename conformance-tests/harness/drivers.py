"""Building and talking to the per-language drivers.

A driver is a long-lived process reading one JSON request per line on stdin and
writing one JSON response per line on stdout (see CONFORMANCE.md, "Driver
protocol"). One process per language serves every scenario; each scenario
first sends ``configure`` (a fresh client with the scenario's settings). A
driver that dies or stops answering is killed and started again for the next
scenario; the scenario that saw it fails.
"""

from __future__ import annotations

import fcntl
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

__all__ = ["DriverSpec", "Driver", "DriverError", "BuildError", "Description", "driver_specs", "REPO", "DRIVERS"]

HERE = Path(__file__).resolve().parent
CONFORMANCE = HERE.parent
REPO = CONFORMANCE.parent
DRIVERS = CONFORMANCE / "drivers"
BUILD_DIR = REPO / "reports" / "conformance-build"
LOG_DIR = REPO / "reports" / "conformance-logs"

CALL_TIMEOUT = float(os.environ.get("CONFORMANCE_CALL_TIMEOUT", "60"))


class DriverError(RuntimeError):
    """The driver process failed: it died, answered garbage, or did not answer in time."""


class BuildError(RuntimeError):
    """The SDK or the driver could not be built; every scenario of that language fails with it."""


def _run(command: list[str], cwd: Path, what: str, timeout: float = 900, env: dict[str, str] | None = None) -> None:
    try:
        done = subprocess.run(
            command, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env, check=False
        )
    except FileNotFoundError as exc:
        raise BuildError(f"{what}: {command[0]} is not installed ({exc})") from exc
    except subprocess.TimeoutExpired as exc:
        raise BuildError(f"{what}: `{' '.join(command)}` took more than {timeout:.0f}s") from exc
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip().splitlines()[-25:]
        raise BuildError(f"{what}: `{' '.join(command)}` in {cwd} failed ({done.returncode}):\n" + "\n".join(tail))


@dataclass
class DriverSpec:
    """How to build a language's SDK and driver, and the command that starts the driver."""

    language: str
    build: Callable[[], list[str]]
    # Put our Python SDK (python-sdk/src) on the driver's PYTHONPATH. Never for the
    # vendor's SDK, whose import name is the same.
    our_pythonpath: bool = True


@dataclass(frozen=True)
class Description:
    """A driver's answer to ``describe``: its SDK, the modes it runs in, what it cannot express."""

    sdk: str
    version: str
    modes: tuple[str, ...]
    unsupported: dict[str, str]


def _run_id() -> str:
    """One id per harness run, shared by the pytest-xdist workers (conftest sets it)."""
    return os.environ.get("CONFORMANCE_RUN_ID", "")


def _build_once(language: str, build: Callable[[], list[str]]) -> list[str]:
    """Build under a lock, once per harness run: parallel workers share one build."""
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    stamp = BUILD_DIR / f"{language}.built.json"
    with open(BUILD_DIR / f"{language}.lock", "w") as lock:  # noqa: PTH123
        fcntl.flock(lock, fcntl.LOCK_EX)
        run = _run_id()
        if run and stamp.exists():
            try:
                done = json.loads(stamp.read_text())
            except ValueError:
                done = {}
            if done.get("run") == run and isinstance(done.get("command"), list):
                return [str(part) for part in done["command"]]
        stamp.unlink(missing_ok=True)
        command = build()
        stamp.write_text(json.dumps({"run": run, "command": command}))
        return command


def _python_build() -> list[str]:
    sdk = REPO / "python-sdk" / "src" / "promptrails"
    if not sdk.is_dir():
        raise BuildError("python-sdk/src/promptrails does not exist: the Python SDK is absent")
    python = REPO / ".venv" / "bin" / "python"
    interpreter = str(python) if python.exists() else sys.executable
    env = dict(os.environ, PYTHONPATH=str(REPO / "python-sdk" / "src"))
    _run([interpreter, "-c", "import promptrails"], REPO, "importing the Python SDK", env=env)
    return [interpreter, "-u", str(DRIVERS / "python" / "driver.py")]


def _typescript_build() -> list[str]:
    sdk = REPO / "typescript-sdk"
    if not (sdk / "package.json").is_file():
        raise BuildError("typescript-sdk/package.json does not exist: the TypeScript SDK is absent")
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise BuildError("node and npm are needed for the TypeScript driver")
    installed = sdk / "node_modules" / ".package-lock.json"
    lock = sdk / "package-lock.json"
    if not installed.exists() or (lock.exists() and lock.stat().st_mtime > installed.stat().st_mtime):
        command = ["npm", "ci"] if lock.exists() else ["npm", "install"]
        _run([*command, "--no-audit", "--no-fund"], sdk, "installing the TypeScript SDK's dependencies")
    _run(["npm", "run", "build"], sdk, "building the TypeScript SDK")
    return ["node", str(DRIVERS / "typescript" / "driver.mjs")]


def _go_build() -> list[str]:
    if not (REPO / "go-sdk" / "go.mod").is_file():
        raise BuildError("go-sdk/go.mod does not exist: the Go SDK is absent")
    if shutil.which("go") is None:
        raise BuildError("go is needed for the Go driver")
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    binary = BUILD_DIR / "go-driver"
    env = dict(os.environ, GOFLAGS="-mod=mod", CGO_ENABLED="0")
    _run(["go", "build", "-o", str(binary), "."], DRIVERS / "go", "building the Go driver", env=env)
    return [str(binary)]



def _vendor_python_build() -> list[str]:
    folder = DRIVERS / "vendor-python"
    # Its own venv, pinned and hash-checked (also `make vendor-sdk`); a no-op when current.
    _run([sys.executable, str(folder / "setup_venv.py")], REPO, "building the vendor SDK's venv", timeout=600)
    python = folder / ".venv" / "bin" / "python"
    # -I: isolated, so neither PYTHONPATH nor the user's site can put our `promptrails` first.
    return [str(python), "-I", "-u", str(folder / "driver.py")]


def driver_specs() -> dict[str, DriverSpec]:
    return {
        "python": DriverSpec("python", _python_build),
        "typescript": DriverSpec("typescript", _typescript_build),
        "go": DriverSpec("go", _go_build),
        "vendor-python": DriverSpec("vendor-python", _vendor_python_build, our_pythonpath=False),
    }


class Driver:
    """One running driver process, with a line-reading thread so reads can time out."""

    def __init__(self, spec: DriverSpec) -> None:
        self.spec = spec
        self._command: list[str] | None = None
        self._build_error: BuildError | None = None
        self._process: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._seq = 0
        self._log: Any = None
        self._description: Description | None = None

    @property
    def language(self) -> str:
        return self.spec.language

    def ensure_built(self) -> None:
        if self._command is not None:
            return
        if self._build_error is not None:
            raise self._build_error
        try:
            self._command = _build_once(self.language, self.spec.build)
        except BuildError as exc:
            self._build_error = exc
            raise

    def _start(self) -> subprocess.Popen[str]:
        self.ensure_built()
        assert self._command is not None
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        if self._log is None:
            self._log = open(LOG_DIR / f"{self.language}-driver.stderr.log", "a", encoding="utf-8")  # noqa: SIM115
        env = dict(os.environ)
        if self.spec.our_pythonpath:
            env["PYTHONPATH"] = str(REPO / "python-sdk" / "src")
        else:
            env.pop("PYTHONPATH", None)
        # The drivers must not pick up a developer's real credentials.
        for name in ("PROMPTRAILS_API_KEY", "PROMPTRAILS_BASE_URL"):
            env.pop(name, None)
        process = subprocess.Popen(
            self._command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            encoding="utf-8",
            bufsize=1,
            env=env,
            cwd=REPO,
        )
        lines: queue.Queue[str | None] = queue.Queue()

        def pump() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, name=f"{self.language}-driver-stdout", daemon=True).start()
        self._process, self._lines = process, lines
        return process

    def request(self, message: dict[str, Any], timeout: float = CALL_TIMEOUT) -> dict[str, Any]:
        """Send one request and wait for its response."""
        process = self._process
        if process is None or process.poll() is not None:
            process = self._start()
        self._seq += 1
        seq = self._seq
        line = json.dumps({"seq": seq, **message}, ensure_ascii=False)
        try:
            assert process.stdin is not None
            process.stdin.write(line + "\n")
            process.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            self.stop()
            raise DriverError(f"{self.language} driver: could not write a request ({exc})") from exc
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                text = self._lines.get(timeout=max(left, 0.01))
            except queue.Empty:
                self.stop()
                raise DriverError(f"{self.language} driver did not answer within {timeout:.0f}s") from None
            if text is None:
                code = process.wait()
                self.stop()
                raise DriverError(
                    f"{self.language} driver exited ({code}) before answering; see {LOG_DIR}/{self.language}-driver.stderr.log"
                )
            text = text.strip()
            if not text:
                continue
            try:
                answer = json.loads(text)
            except json.JSONDecodeError as exc:
                self.stop()
                raise DriverError(f"{self.language} driver wrote a line that is not JSON: {text[:200]!r}") from exc
            if answer.get("seq") != seq:
                # An answer to a request that timed out earlier: skip it.
                continue
            return answer

    def describe(self) -> Description:
        """The driver's SDK, modes and what it cannot express (asked once)."""
        if self._description is None:
            answer = self.request({"cmd": "describe"})
            result = answer.get("result") if answer.get("ok") else None
            if not isinstance(result, dict):
                raise DriverError(f"{self.language} driver: describe failed: {answer.get('error')}")
            self._description = Description(
                sdk=str(result.get("sdk", "")),
                version=str(result.get("version", "")),
                modes=tuple(result.get("modes") or ()),
                unsupported={str(k): str(v) for k, v in (result.get("unsupported") or {}).items()},
            )
        return self._description

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        try:
            if process.stdin:
                process.stdin.close()
        except OSError:
            pass
        try:
            process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def close(self) -> None:
        self.stop()
        if self._log is not None:
            self._log.close()
            self._log = None
