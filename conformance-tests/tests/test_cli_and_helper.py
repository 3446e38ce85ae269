"""The promptrails-mock command and the MockServer helper other suites import."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from helpers import API, SPEC_PATH
from promptrails_mock.cli import build_parser, find_spec
from promptrails_mock.testing import DEFAULT_API_KEY, MockServer, MockServerError


def test_defaults() -> None:
    args = build_parser().parse_args([])
    assert (args.host, args.port, args.db, args.api_keys, args.strict) == (
        "127.0.0.1",
        8080,
        "promptrails-mock.db",
        None,
        False,
    )


def test_safety_options(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PROMPTRAILS_MOCK_CONTROL", "PROMPTRAILS_MOCK_CONTROL_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    args = build_parser().parse_args([])
    assert (args.control, args.control_token, args.read_timeout) == (False, None, 10.0), "make serve: control off"
    assert args.request_log_bytes == 16 * 1024 * 1024
    assert build_parser().parse_args(["--control"]).control is True
    monkeypatch.setenv("PROMPTRAILS_MOCK_CONTROL", "1")
    assert build_parser().parse_args([]).control is True
    monkeypatch.setenv("PROMPTRAILS_MOCK_CONTROL", "0")
    assert build_parser().parse_args([]).control is False
    monkeypatch.setenv("PROMPTRAILS_MOCK_CONTROL_TOKEN", "tok")
    assert build_parser().parse_args([]).control_token == "tok"
    for bad in (["--read-timeout", "0"], ["--read-timeout", "x"], ["--read-timeout", "nan"]):
        with pytest.raises(SystemExit):
            build_parser().parse_args(bad)


def test_a_request_log_too_small_is_refused() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "promptrails_mock", "--port", "0", "--request-log-bytes", "1000"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "--request-log-bytes must be at least" in result.stderr


def test_find_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROMPTRAILS_MOCK_SPEC", raising=False)
    assert find_spec() == SPEC_PATH, "found by walking up from the package"
    assert find_spec("elsewhere.yaml") == Path("elsewhere.yaml")
    monkeypatch.setenv("PROMPTRAILS_MOCK_SPEC", str(tmp_path / "from-env.yaml"))
    assert find_spec() == tmp_path / "from-env.yaml"


def test_console_script_is_installed() -> None:
    script = shutil.which("promptrails-mock", path=str(Path(sys.executable).parent))
    assert script is not None
    result = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    for option in ("--host", "--port", "--db", "--api-key", "--spec", "--strict", "--control", "--read-timeout"):
        assert option in result.stdout


def test_without_arguments_it_announces_the_default_key(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "promptrails_mock", "--port", "0", "--log-level", "warning"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        listening = process.stdout.readline().strip()
        key_line = process.stdout.readline().strip()
        assert listening.startswith("promptrails-mock listening on http://127.0.0.1:")
        port = int(listening.rsplit(":", 1)[1])
        assert port not in (0, 8080)
        assert key_line == f"promptrails-mock api key: {DEFAULT_API_KEY}"
        response = httpx.get(f"http://127.0.0.1:{port}{API}/chat/sessions", headers={"X-API-Key": DEFAULT_API_KEY})
        assert response.status_code == 200
    finally:
        process.terminate()
        process.wait(20)
    assert (tmp_path / "promptrails-mock.db").exists(), "the default database is a file in the working directory"


def test_ctrl_c_stops_it_cleanly(tmp_path: Path) -> None:
    """make serve, then Ctrl-C: a graceful shutdown, exit status 130, and no traceback."""
    process = subprocess.Popen(
        [sys.executable, "-m", "promptrails_mock", "--port", "0", "--log-level", "warning"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        listening = process.stdout.readline().strip()
        assert listening.startswith("promptrails-mock listening on http://127.0.0.1:")
        port = int(listening.rsplit(":", 1)[1])
        response = httpx.get(f"http://127.0.0.1:{port}{API}/chat/sessions", headers={"X-API-Key": DEFAULT_API_KEY})
        assert response.status_code == 200
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(20)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr, stderr


def test_a_missing_spec_is_a_clear_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "promptrails_mock", "--port", "0", "--spec", str(tmp_path / "missing.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "missing.yaml" in result.stderr
    with pytest.raises(MockServerError, match="did not start"):
        MockServer(spec=tmp_path / "missing.yaml").start()


def test_file_database_survives_a_restart(tmp_path: Path) -> None:
    db = str(tmp_path / "mock.db")
    with MockServer(db=db, api_keys=("key-a", "key-b"), spec=SPEC_PATH) as srv:
        assert "promptrails-mock api key: key-a" in srv.output() and "promptrails-mock api key: key-b" in srv.output()
        with httpx.Client(base_url=srv.base_url, headers={"X-API-Key": "key-b"}) as client:
            session = client.post(f"{API}/chat/sessions", json={"agent_id": "echo"}).json()["data"]
            client.post(f"{API}/chat/sessions/{session['id']}/messages", json={"content": "kept"})
    assert Path(db + "-wal").exists() or Path(db).stat().st_size > 0
    with MockServer(db=db, api_keys=("key-a", "key-b"), spec=SPEC_PATH) as srv:
        with httpx.Client(base_url=srv.base_url, headers={"X-API-Key": "key-b"}) as client:
            history = client.get(f"{API}/chat/sessions/{session['id']}/messages").json()["data"]
        assert [m["content"] for m in history] == ["kept", "You said: kept"]
        assert srv.violations() == []


def test_helper_reset_keeps_configured_keys() -> None:
    with MockServer(spec=SPEC_PATH, api_keys=("configured",)) as srv:
        assert srv.running and srv.api_key == "configured"
        temporary = srv.new_workspace()
        srv.alias_agent("bot", like="echo")
        srv.create_session_with_id("s-1", agent_id="bot")
        srv.add_fault(path="/nowhere", action="status")
        with httpx.Client(base_url=srv.base_url, headers={"X-API-Key": srv.api_key}) as client:
            assert client.get(f"{API}/chat/sessions/s-1").status_code == 200
            srv.reset()
            assert srv.faults() == [] and srv.requests() == [] and srv.violations() == []
            answer = httpx.post(srv.url("/__mock/reset"))
            assert answer.json() == {"data": {"reset": True, "configured_workspaces": 1}}, "no key in it"
            sessions = client.get(f"{API}/chat/sessions").json()["data"]
            assert [s["id"] for s in sessions] == ["session-id"], "emptied, but for the docs' placeholder session"
        with httpx.Client(base_url=srv.base_url, headers={"X-API-Key": temporary}) as client:
            assert client.get(f"{API}/chat/sessions").status_code == 401
        with pytest.raises(MockServerError, match="unknown_agent"):
            srv.create_session_with_id("s-2", agent_id="bot")
        assert srv.url("/x") == srv.base_url + "/x"
    assert not srv.running
    srv.stop()  # stopping twice is harmless
    with pytest.raises(MockServerError, match="not running"):
        srv.faults()


def test_spec_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMPTRAILS_MOCK_SPEC", os.fspath(SPEC_PATH))
    with MockServer() as srv:
        assert srv.health()["status"] == "ok"
