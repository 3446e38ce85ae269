"""scripts/load.py, the mock's capacity run, on a few streams: every frame counted, no error, every column."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "load.py"


def _load_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("promptrails_load", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_a_small_run_reads_every_frame_of_every_stream(capsys: pytest.CaptureFixture[str]) -> None:
    load = _load_module()
    assert load.main(["--streams", "3", "--json"]) == 0
    [line] = capsys.readouterr().out.splitlines()
    report = json.loads(line)
    assert (report["streams"], report["events"], report["errors"]) == (3, 3 * 90, 0), report
    for key in ("ttfe_p50_ms", "ttfe_p99_ms", "ttfe_sent_p50_ms", "ttfe_sent_p99_ms", "ttle_p99_ms"):
        assert report[key] is not None and report[key] >= 0, (key, report)
    assert report["ttfe_sent_p99_ms"] <= report["ttle_p99_ms"]
    assert report["server_cpu_s"] is not None, "the script started the server and read its CPU time"


def _chunk(text: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(text), text)


HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
FIRST = _chunk(b"id: 1\nevent: execution\ndata: {}\n\n")
DONE = _chunk(b"id: 2\nevent: done\ndata: {}\n\n")


@pytest.mark.parametrize(
    ("wire", "lost", "error"),
    [
        (HEAD + FIRST + DONE + b"0\r\n\r\n", False, None),
        (HEAD + FIRST + _chunk(b"id: 3\nevent: content\ndata: {}\n\n"), False, "frame id b'3' after 1"),
        (HEAD + FIRST + b"0\r\n\r\n", False, "without a terminal frame"),
        (HEAD + FIRST, True, "connection closed before the stream ended"),
        (b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n", False, "status"),
        (HEAD.replace(b"text/event-stream", b"application/json") + FIRST, False, "not an event stream"),
    ],
)
def test_the_client_counts_what_a_stream_got_wrong(wire: bytes, lost: bool, error: str | None) -> None:
    load = _load_module()

    class _Transport(asyncio.Transport):
        def close(self) -> None:
            pass

    async def scenario() -> tuple[Any, bool]:
        result = load.StreamResult()
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        protocol = load._StreamProtocol(result, done)
        protocol.connection_made(_Transport())
        for i in range(0, len(wire), 7):  # in pieces, as a socket may deliver it
            protocol.data_received(wire[i : i + 7])
        if lost:
            protocol.connection_lost(None)
        return result, done.done()

    result, finished = asyncio.run(scenario())
    assert finished, "the stream's wait ends either way"
    if error is None:
        assert result.error is None and result.terminal == b"done" and result.frames == 2, result
    else:
        assert result.error is not None and error in result.error, result
