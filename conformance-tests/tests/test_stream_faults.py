"""The stream faults that put content on the wire the contract does not allow.

``inject_frames`` writes raw event-stream text between the real frames;
``reformat_stream`` changes the real frames' line endings and splits them into
smaller writes. The server is strict: had it counted an injected frame (or a
reformatted one) as a contract violation, it would have dropped the stream and
the ``srv`` fixture would fail the test on the recorded violation.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from helpers import API
from promptrails_mock.testing import MockServer, MockServerError

STREAM = f"{API}/chat/sessions/*/messages/stream"
EXECUTION_STREAM = f"{API}/executions/*/stream"


def blocks(text: str) -> list[str]:
    """The frames of a stream the mock wrote (LF line ends), each with its blank line."""
    return [block + "\n\n" for block in text.split("\n\n") if block]


def execution_id_of(text: str) -> str:
    first = text.replace("\r\n", "\n").replace("\r", "\n").split("\n\n", 1)[0]
    data = next(line for line in first.split("\n") if line.startswith("data: "))
    return str(json.loads(data.removeprefix("data: "))["execution_id"])


def stored(client: httpx.Client, execution_id: str) -> str:
    """The run's frames exactly as the mock writes them without any fault (a replay)."""
    response = client.get(f"{API}/executions/{execution_id}/stream")
    assert response.status_code == 200, response.text
    return response.text


def send(client: httpx.Client, session_id: str, content: str = "Hello!") -> httpx.Response:
    response = client.post(f"{API}/chat/sessions/{session_id}/messages/stream", json={"content": content})
    assert response.status_code == 200, response.text
    return response


# -- inject_frames -------------------------------------------------------------------------

CITATION = 'event: citation\ndata: {"x":1}\n\n'
# Out of the contract on every count: a comment, an id out of sequence, a known event with bad JSON.
BROKEN_CONTENT = ": injected\nid: 99\nevent: content\ndata: {not json\n\n"


def test_inject_frames_after_the_kth_real_frame_verbatim(
    srv: MockServer, client: httpx.Client, make_session: Callable[..., dict[str, Any]]
) -> None:
    session = make_session("echo")
    fault = srv.add_fault(
        method="POST", path=STREAM, action="inject_frames", after_frames=2, frames=[CITATION, BROKEN_CONTENT]
    )
    assert (fault["action"], fault["after_frames"], fault["frames"]) == (
        "inject_frames",
        2,
        [CITATION, BROKEN_CONTENT],
    )
    text = send(client, session["id"]).text
    real = blocks(stored(client, execution_id_of(text)))
    assert [b.split("\n")[1] for b in real] == ["event: execution", "event: content", "event: content", "event: done"]
    assert text == "".join(real[:2]) + CITATION + BROKEN_CONTENT + "".join(real[2:])
    log = srv.requests(method="POST", path=STREAM)[-1]
    assert (log["status"], log["outcome"], log["fault_id"]) == (200, "answered", fault["id"])
    assert srv.faults() == []


def test_inject_frames_after_zero_frames_go_first(
    srv: MockServer, client: httpx.Client, make_session: Callable[..., dict[str, Any]]
) -> None:
    session = make_session("echo")
    srv.add_fault(method="POST", path=STREAM, action="inject_frames", after_frames=0, frames=["\ufeff: first\n\n"])
    response = send(client, session["id"])
    assert response.content.startswith(b"\xef\xbb\xbf: first\n\nid: 1\nevent: execution\n")


def test_inject_frames_beyond_the_last_frame_go_before_the_close(
    srv: MockServer, client: httpx.Client, make_session: Callable[..., dict[str, Any]]
) -> None:
    session = make_session("echo")
    srv.add_fault(method="POST", path=STREAM, action="inject_frames", after_frames=50, frames=[CITATION])
    text = send(client, session["id"]).text
    assert text == stored(client, execution_id_of(text)) + CITATION


def test_inject_frames_once_in_each_of_count_responses(
    srv: MockServer, client: httpx.Client, make_session: Callable[..., dict[str, Any]]
) -> None:
    session = make_session("echo")
    execution_id = execution_id_of(send(client, session["id"]).text)
    real = blocks(stored(client, execution_id))
    srv.add_fault(
        method="GET", path=EXECUTION_STREAM, action="inject_frames", after_frames=1, frames=[CITATION], count=2
    )
    url = f"{API}/executions/{execution_id}/stream"
    for _ in range(2):
        assert client.get(url).text == real[0] + CITATION + "".join(real[1:])
    assert client.get(url).text == "".join(real), "used up after count responses"
    assert srv.faults() == []


def test_inject_frames_leave_a_json_answer_alone(srv: MockServer, client: httpx.Client) -> None:
    srv.add_fault(method="GET", path=f"{API}/chat/sessions", action="inject_frames", frames=[CITATION])
    response = client.get(f"{API}/chat/sessions")
    assert response.status_code == 200 and response.json()["data"] == []
    assert srv.faults() == [], "the fault was used by the request it matched"


# -- reformat_stream -----------------------------------------------------------------------


@pytest.mark.parametrize(("line_endings", "eol"), [("crlf", "\r\n"), ("cr", "\r"), ("lf", "\n")])
def test_reformat_stream_line_endings(
    srv: MockServer,
    client: httpx.Client,
    make_session: Callable[..., dict[str, Any]],
    line_endings: str,
    eol: str,
) -> None:
    session = make_session("thinker")
    fault = srv.add_fault(method="POST", path=STREAM, action="reformat_stream", line_endings=line_endings)
    assert (fault["line_endings"], fault["chunk_bytes"]) == (line_endings, None)
    text = send(client, session["id"]).text
    real = stored(client, execution_id_of(text))
    assert text == real.replace("\n", eol)
    assert real.count("\n\n") == 9


def test_reformat_stream_defaults_to_crlf(srv: MockServer) -> None:
    fault = srv.add_fault(action="reformat_stream")
    assert (fault["line_endings"], fault["chunk_bytes"], fault["method"], fault["path"]) == ("crlf", None, "*", "**")


def _raw_chunks(srv: MockServer, api_key: str, path: str, body: dict[str, Any]) -> list[bytes]:
    """POST ``body`` over a bare socket; the response's HTTP chunks, one per write of the server."""
    payload = json.dumps(body).encode()
    host, port = srv.base_url.removeprefix("http://").rsplit(":", 1)
    request = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nX-API-Key: {api_key}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
    ).encode() + payload
    received = bytearray()
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        while data := sock.recv(65536):
            received += data
    head, _, rest = bytes(received).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    assert b"transfer-encoding: chunked" in head.lower(), head
    chunks: list[bytes] = []
    while True:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return chunks
        chunks.append(rest[:size])
        assert rest[size : size + 2] == b"\r\n"
        rest = rest[size + 2 :]


def test_reformat_stream_splits_every_frame_into_writes_of_chunk_bytes(
    srv: MockServer, api_key: str, client: httpx.Client, make_session: Callable[..., dict[str, Any]]
) -> None:
    session = make_session("echo")
    srv.add_fault(method="POST", path=STREAM, action="reformat_stream", line_endings="crlf", chunk_bytes=1)
    content = "Grüße, 世界!"
    chunks = _raw_chunks(srv, api_key, f"{API}/chat/sessions/{session['id']}/messages/stream", {"content": content})
    assert {len(c) for c in chunks} == {1}, "one byte per write: every CRLF and every UTF-8 sequence split"
    sent = b"".join(chunks).decode("utf-8")
    assert sent == stored(client, execution_id_of(sent)).replace("\n", "\r\n")
    assert f'"content":"{content}"' in sent


def test_reformat_stream_chunk_bytes_caps_each_write(
    srv: MockServer, api_key: str, client: httpx.Client, make_session: Callable[..., dict[str, Any]]
) -> None:
    session = make_session("echo")
    srv.add_fault(method="POST", path=STREAM, action="reformat_stream", line_endings="lf", chunk_bytes=16)
    chunks = _raw_chunks(srv, api_key, f"{API}/chat/sessions/{session['id']}/messages/stream", {"content": "Hi"})
    sent = b"".join(chunks).decode("utf-8")
    frames = blocks(stored(client, execution_id_of(sent)))
    assert sent == "".join(frames)
    sizes = [len(frame.encode()) for frame in frames]
    expected = [min(16, size - start) for size in sizes for start in range(0, size, 16)]
    assert [len(c) for c in chunks] == expected, "each frame cut into writes of 16 bytes, the last one shorter"


# -- refused specs -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec",
    [
        {"action": "inject_frames"},
        {"action": "inject_frames", "frames": []},
        {"action": "inject_frames", "frames": "event: x\ndata: 1\n\n"},
        {"action": "inject_frames", "frames": [""]},
        {"action": "inject_frames", "frames": [{"event": "x"}]},
        {"action": "inject_frames", "frames": ["x\n\n"] * 101},
        {"action": "inject_frames", "frames": ["x" * (1024 * 1024 + 1)]},
        {"action": "inject_frames", "frames": ["x\n\n"], "after_frames": -1},
        {"action": "inject_frames", "frames": ["x\n\n"], "line_endings": "crlf"},
        {"action": "reformat_stream", "line_endings": "lfcr"},
        {"action": "reformat_stream", "chunk_bytes": 0},
        {"action": "reformat_stream", "chunk_bytes": 1.5},
        {"action": "reformat_stream", "frames": ["x\n\n"]},
        {"action": "cut_stream", "frames": ["x\n\n"]},
    ],
)
def test_invalid_stream_fault_specs_are_refused(srv: MockServer, spec: dict[str, Any]) -> None:
    with pytest.raises(MockServerError, match="invalid_fault"):
        srv.add_fault(**spec)
    assert srv.faults() == []
