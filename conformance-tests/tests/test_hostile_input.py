"""Hostile input (issue 9): the mock survives it.

Every malformed, oversized, deeply nested, badly encoded or out-of-range request
gets a 4xx answer carrying the error envelope and an ``X-Request-ID``: never a
500, never a dropped connection, never a stored value that cannot be sent back
as JSON. Requests whose head or body does not arrive are timed out (408), and
the connections they held are closed. The protocol errors the HTTP parser finds
itself (llhttp, below the app) carry the envelope too.

The first tests reproduce the failures the issue lists; the fuzz at the end
throws generated bodies at every route that takes one.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import h11
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import API, SPEC_PATH, assert_error, assert_raw_error, parse_sse, raw_exchange, wait_until
from promptrails_mock.agents import AgentInput, AgentSettings, script_for
from promptrails_mock.jsonsafe import MAX_DEPTH
from promptrails_mock.testing import MockServer

MIB = 1024 * 1024
JSON = {"Content-Type": "application/json"}
INT64_MAX = 2**63 - 1


def strict_json(text: str | bytes) -> Any:
    """Parse as JSON and nothing more: NaN and Infinity are not JSON."""

    def refuse(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


def nested(depth: int) -> bytes:
    """``depth`` arrays, one inside the other, around a 1."""
    return b"[" * depth + b"1" + b"]" * depth


def session_count(client: httpx.Client) -> int:
    return int(client.get(f"{API}/chat/sessions").json()["meta"]["total"])


def message_count(client: httpx.Client, session_id: str) -> int:
    return int(client.get(f"{API}/chat/sessions/{session_id}/messages").json()["meta"]["total"])


def head(method: str, path: str, api_key: str, *extra: str, length: int | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: mock", f"X-API-Key: {api_key}", "Content-Type: application/json"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    lines += extra
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


# -- the failures the issue found --------------------------------------------------------


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1_000, 100_000])
def test_deeply_nested_json_is_400_not_500(client: httpx.Client, depth: int) -> None:
    # The object and its metadata are two levels; the arrays make up the rest.
    body = b'{"agent_id":"echo","metadata":{"a":' + nested(depth - 2) + b"}}"
    error = assert_error(client.post(f"{API}/chat/sessions", content=body, headers=JSON), 400, "invalid_json")
    assert f"nested deeper than {MAX_DEPTH} levels" in error["message"]
    assert error["details"]["location"] == "body"
    assert session_count(client) == 0


def test_nesting_up_to_the_limit_is_stored_and_served(client: httpx.Client) -> None:
    body = b'{"agent_id":"echo","metadata":{"a":' + nested(MAX_DEPTH - 2) + b"}}"
    created = client.post(f"{API}/chat/sessions", content=body, headers=JSON)
    assert created.status_code == 201, created.text
    served = strict_json(client.get(f"{API}/chat/sessions/{created.json()['data']['id']}").content)
    assert served["data"]["metadata"] == strict_json(body)["metadata"]


@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("send", rb'{"content":"\ud800"}'),
        ("send", rb'{"content":"a lone low \udfff surrogate"}'),
        ("send", rb'{"content":"hi","metadata":{"\ud800":1}}'),
        ("send", rb'{"content":"hi","metadata":{"k":["\udbff"]}}'),
        ("stream", rb'{"content":"\ud800"}'),
        ("create", rb'{"agent_id":"echo","title":"\udbff"}'),
        ("update", rb'{"title":"\ud800"}'),
        ("feedback", rb'{"execution_id":"x","value":1,"comment":"\ud800"}'),
    ],
)
def test_a_lone_surrogate_is_400_not_500(
    client: httpx.Client, make_session: Callable[..., dict[str, Any]], route: str, body: bytes
) -> None:
    session = make_session("echo", title="kept")
    url = {
        "send": f"{API}/chat/sessions/{session['id']}/messages",
        "stream": f"{API}/chat/sessions/{session['id']}/messages/stream",
        "create": f"{API}/chat/sessions",
        "update": f"{API}/chat/sessions/{session['id']}",
        "feedback": f"{API}/chat/sessions/{session['id']}/feedback",
    }[route]
    method = "PATCH" if route == "update" else "POST"
    error = assert_error(client.request(method, url, content=body, headers=JSON), 400, "invalid_json")
    assert "lone UTF-16 surrogate" in error["message"]
    assert message_count(client, session["id"]) == 0
    assert session_count(client) == 1
    assert client.get(f"{API}/chat/sessions/{session['id']}").json()["data"]["title"] == "kept"


def test_a_surrogate_pair_is_text_and_is_stored(client: httpx.Client, make_session: Callable[..., Any]) -> None:
    session = make_session("echo")
    reply = client.post(f"{API}/chat/sessions/{session['id']}/messages", content=rb'{"content":"\ud83d\ude00"}')
    assert reply.status_code == 200, reply.text
    assert reply.json()["data"]["user_message"]["content"] == "\U0001f600"


def test_a_19_digit_last_event_id_replays_the_stream(client: httpx.Client, make_session: Callable[..., Any]) -> None:
    session = make_session("echo")
    execution_id = client.post(f"{API}/chat/sessions/{session['id']}/messages", json={"content": "Hi"}).json()["data"][
        "execution_id"
    ]
    everything = parse_sse(client.get(f"{API}/executions/{execution_id}/stream").text)
    assert everything[-1]["event"] == "done"
    for value in ("9" * 19, str(INT64_MAX + 1), "9" * 64, "-1", "1.5", "0x2", "1e3", "3 x"):
        response = client.get(f"{API}/executions/{execution_id}/stream", headers={"Last-Event-ID": value})
        assert response.status_code == 200, (value, response.text)
        assert parse_sse(response.text) == everything, f"Last-Event-ID {value!r} names no frame: all of them again"
    last = client.get(f"{API}/executions/{execution_id}/stream", headers={"Last-Event-ID": str(INT64_MAX)})
    assert last.status_code == 200 and last.text == "", "an id past the last frame: nothing left to send"


@pytest.mark.parametrize("number", [b"1e999", b"-1e999", b"1E400", b"NaN", b"Infinity", b"-Infinity"])
def test_numbers_that_are_not_finite_are_refused_not_stored(
    client: httpx.Client, make_session: Callable[..., dict[str, Any]], number: bytes
) -> None:
    session = make_session("echo")
    body = b'{"content":"hi","metadata":{"x":' + number + b"}}"
    error = assert_error(
        client.post(f"{API}/chat/sessions/{session['id']}/messages", content=body, headers=JSON), 400, "invalid_json"
    )
    assert error["details"]["location"] == "body"
    listed = client.get(f"{API}/chat/sessions/{session['id']}/messages")
    assert strict_json(listed.content)["meta"]["total"] == 0


def test_large_finite_numbers_are_stored_and_served_as_json(
    client: httpx.Client, make_session: Callable[..., dict[str, Any]]
) -> None:
    session = make_session("echo")
    body = b'{"content":"hi","metadata":{"big":1e308,"huge":' + b"1" + b"0" * 40 + b',"tiny":1e-400}}'
    assert client.post(f"{API}/chat/sessions/{session['id']}/messages", content=body, headers=JSON).status_code == 200
    listed = strict_json(client.get(f"{API}/chat/sessions/{session['id']}/messages").content)
    assert listed["data"][0]["metadata"] == {"big": 1e308, "huge": 10**40, "tiny": 0.0}


def test_an_integer_of_thousands_of_digits_is_400(client: httpx.Client) -> None:
    body = b'{"agent_id":"echo","metadata":{"n":' + b"9" * 5000 + b"}}"
    assert_error(client.post(f"{API}/chat/sessions", content=body, headers=JSON), 400, "invalid_json")


# -- more JSON bodies ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b'{"agent_id":"echo","agent_id":"thinker"}',
        b'{"agent_id":"echo","metadata":{"k":1,"k":2}}',
        b'{"agent_id":"echo","metadata":{"a":[{"x":1,"x":1}]}}',
    ],
)
def test_duplicate_keys_are_400(client: httpx.Client, body: bytes) -> None:
    error = assert_error(client.post(f"{API}/chat/sessions", content=body, headers=JSON), 400, "invalid_json")
    assert "appears twice" in error["message"]
    assert session_count(client) == 0


@pytest.mark.parametrize("body", [b"null", b"1", b"-0.5", b"true", b'"echo"', b"[]", b'[{"agent_id":"echo"}]'])
def test_a_body_that_is_not_an_object_is_400(client: httpx.Client, body: bytes) -> None:
    response = client.post(f"{API}/chat/sessions", content=body, headers=JSON)
    error = assert_error(response, 400, "validation_error")
    assert error["details"]["location"] == "body"
    assert session_count(client) == 0


@pytest.mark.parametrize(
    "body",
    [
        b'{"agent_id":"ec\xffho"}',  # not UTF-8 at all
        b'{"agent_id":"\xc0\xaf"}',  # an overlong encoding of "/"
        b'{"agent_id":"\xed\xa0\x80"}',  # a surrogate, encoded as if it were a character
        b'{"agent_id":"echo\xe2\x82"}',  # a character cut in the middle
        b'\xef\xbb\xbf{"agent_id":"echo"}',  # a byte order mark
        '{"agent_id":"echo"}'.encode("utf-16"),
        b"\x00" * 16,
        b"   ",
    ],
)
def test_badly_encoded_bodies_are_400(client: httpx.Client, body: bytes) -> None:
    assert_error(client.post(f"{API}/chat/sessions", content=body, headers=JSON), 400, "invalid_json")
    assert session_count(client) == 0


def test_nul_characters_are_text(client: httpx.Client) -> None:
    created = client.post(f"{API}/chat/sessions", content=rb'{"agent_id":"echo","title":"a\u0000b"}', headers=JSON)
    assert created.status_code == 201, created.text
    assert client.get(f"{API}/chat/sessions/{created.json()['data']['id']}").json()["data"]["title"] == "a\x00b"


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "application/json; charset=latin-1",
        "application/json; charset=utf-16",
        "image/png",
        ";;;",
    ],
)
def test_wrong_content_types_are_415(client: httpx.Client, content_type: str) -> None:
    response = client.post(
        f"{API}/chat/sessions", content=b'{"agent_id":"echo"}', headers={"Content-Type": content_type}
    )
    error = assert_error(response, 415, "unsupported_media_type")
    assert error["details"]["field"] == "Content-Type"


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "Application/JSON; Charset=UTF-8"])
def test_json_with_its_charset_is_accepted(client: httpx.Client, content_type: str) -> None:
    created = client.post(
        f"{API}/chat/sessions", content=b'{"agent_id":"echo"}', headers={"Content-Type": content_type}
    )
    assert created.status_code == 201, created.text


def test_oversized_bodies_are_413_and_the_connection_is_closed(srv: MockServer, api_key: str) -> None:
    announced = raw_exchange(srv.base_url, head("POST", f"{API}/chat/sessions", api_key, length=5 * MIB) + b"{")
    error = assert_raw_error(announced, 413, "payload_too_large")
    assert error["details"] == {"max_bytes": MIB}
    assert announced.headers.get("connection") == "close" and announced.closed
    chunk = b"x" * (256 * 1024)
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(5))
    streamed = raw_exchange(
        srv.base_url, head("POST", f"{API}/chat/sessions", api_key, "Transfer-Encoding: chunked") + chunked
    )
    assert_raw_error(streamed, 413, "payload_too_large")
    assert streamed.closed


# -- parameters and headers ----------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        str(INT64_MAX),
        str(INT64_MAX + 1),
        str(-INT64_MAX - 2),
        "1" + "0" * 30,
        "9" * 5000,
        "1e3",
        "0x10",
        "1.0",
        "NaN",
        "Infinity",
        "",
        "%ff%fe",
        "%ED%A0%80",
    ],
)
@pytest.mark.parametrize("name", ["page", "limit"])
def test_page_and_limit_out_of_range_are_400(client: httpx.Client, name: str, value: str) -> None:
    response = client.get(f"{API}/chat/sessions?{name}={value}")
    error = assert_error(response, 400, "validation_error")
    assert error["details"]["field"] == name and error["details"]["location"] == "query"
    assert len(error["message"]) < 500, "the message does not echo the value"


@pytest.mark.parametrize("name", ["agent_id", "session_id", "status"])
def test_hostile_execution_filters(client: httpx.Client, name: str) -> None:
    for value in ("%00", "%ED%A0%80", "x'%20OR%20'1'='1", "%27;%20DROP%20TABLE%20executions;--", "%F0%9F%98%80"):
        response = client.get(f"{API}/executions?{name}={value}")
        assert response.status_code == 200, (value, response.text)
        assert strict_json(response.content)["data"] == []
    assert_error(client.get(f"{API}/executions?{name}={'x' * 65}"), 400, "validation_error")
    assert client.get(f"{API}/executions").status_code == 200, "the table is still there"


def test_a_huge_query_value_below_the_head_limit(client: httpx.Client) -> None:
    assert client.get(f"{API}/chat/sessions?unknown={'a' * 12_000}").status_code == 200
    assert_error(client.get(f"{API}/chat/sessions?page={'9' * 12_000}"), 400, "validation_error")


def test_a_head_over_the_limit_is_431_with_the_envelope(srv: MockServer, api_key: str) -> None:
    long_query = raw_exchange(srv.base_url, head("GET", f"{API}/chat/sessions?q={'a' * 70_000}", api_key))
    assert_raw_error(long_query, 431, "request_header_fields_too_large")
    assert long_query.closed
    long_header = raw_exchange(srv.base_url, head("GET", f"{API}/chat/sessions", api_key, f"X-Big: {'b' * 70_000}"))
    assert_raw_error(long_header, 431, "request_header_fields_too_large")
    many = [f"X-H{i}: {i}" for i in range(10_000)]
    assert_raw_error(
        raw_exchange(srv.base_url, head("GET", f"{API}/chat/sessions", api_key, *many)),
        431,
        "request_header_fields_too_large",
    )


def test_many_small_headers_below_the_limit(srv: MockServer, api_key: str) -> None:
    many = [f"X-H{i}: {i}" for i in range(500)]
    answer = raw_exchange(srv.base_url, head("GET", f"{API}/chat/sessions", api_key, "Connection: close", *many))
    assert answer.status == 200 and strict_json(answer.body)["meta"]["total"] == 0


def test_non_ascii_header_values(srv: MockServer, api_key: str) -> None:
    key = "Idempotency-Key: caf\xe9-\xff"
    body = b'{"agent_id":"echo"}'
    first = raw_exchange(
        srv.base_url, head("POST", f"{API}/chat/sessions", api_key, key, "Connection: close", length=len(body)) + body
    )
    again = raw_exchange(
        srv.base_url, head("POST", f"{API}/chat/sessions", api_key, key, "Connection: close", length=len(body)) + body
    )
    assert first.status == again.status == 201
    assert again.headers.get("idempotent-replayed") == "true" and again.json() == first.json()
    wrong_key = raw_exchange(srv.base_url, head("GET", f"{API}/chat/sessions", "cl\xe9\xff", "Connection: close"))
    assert_raw_error(wrong_key, 401, "unauthorized")


# -- HTTP the parser refuses -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_bytes", "status", "code"),
    [
        (b"GARBAGE\r\n\r\n", 400, "bad_request"),
        (b"GET /api/v1/chat/sessions HTTP/1.1\r\nHost: mock\r\nNo colon here\r\n\r\n", 400, "bad_request"),
        (b"GET /api/v1/chat/sessions HTTP/1.1\r\nHost: mock\r\nContent-Length: abc\r\n\r\n", 400, "bad_request"),
        (
            b"POST /api/v1/chat/sessions HTTP/1.1\r\nHost: mock\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n{}",
            400,
            "bad_request",
        ),
        (b"GET /api/v1/chat/sessions/\xff\xfe HTTP/1.1\r\nHost: mock\r\n\r\n", 400, "bad_request"),
        (b"GET /api/v1/chat/sessions HTTP/1.1\r\n\r\n", 400, "bad_request"),  # HTTP/1.1 without Host
        (
            b"GET /api/v1/chat/sessions HTTP/1.1\r\nHost: mock\r\nTransfer-Encoding: gzip\r\n\r\n",
            501,
            "not_implemented",
        ),
        (
            b"POST /api/v1/chat/sessions HTTP/1.1\r\nHost: mock\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n",
            400,
            "bad_request",
        ),
    ],
)
def test_protocol_errors_carry_the_envelope(srv: MockServer, request_bytes: bytes, status: int, code: str) -> None:
    answer = raw_exchange(srv.base_url, request_bytes)
    error = assert_raw_error(answer, status, code)
    assert error["details"]["reason"], "the parser's own words"
    assert answer.headers.get("connection") == "close" and answer.closed


def test_an_http2_preface_gets_an_envelope(srv: MockServer) -> None:
    """llhttp recognises the HTTP/2 connection preface (``PRI * HTTP/2.0``) and refuses it: 400, then close."""
    answer = raw_exchange(srv.base_url, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
    error = assert_raw_error(answer, 400, "bad_request")
    assert "HTTP/2" in error["details"]["reason"]
    assert answer.headers.get("connection") == "close" and answer.closed


@pytest.mark.parametrize(
    ("extra", "status", "code", "reason"),
    [
        ("Host: other", 400, "bad_request", "more than one Host"),
        ("Transfer-Encoding: gzip, chunked", 501, "not_implemented", "Transfer-Encoding"),
        ("Transfer-Encoding: identity", 501, "not_implemented", "Transfer-Encoding"),
    ],
)
def test_heads_the_parser_would_accept_but_the_mock_refuses(
    srv: MockServer, extra: str, status: int, code: str, reason: str
) -> None:
    srv.clear_requests()
    request = f"POST {API}/chat/sessions HTTP/1.1\r\nHost: mock\r\n{extra}\r\n\r\n0\r\n\r\n".encode()
    answer = raw_exchange(srv.base_url, request)
    error = assert_raw_error(answer, status, code)
    assert reason in error["details"]["reason"]
    assert answer.headers.get("connection") == "close" and answer.closed
    assert srv.requests() == [], "the app never saw it"


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /api/v1/chat/sessions HTTP/1.1\nHost: mock\n\n",
        b"GET /api/v1/chat/sessions HTTP/1.1\r\nHost: mock\nX-A: b\r\n\r\n",
    ],
)
def test_lines_end_with_crlf(srv: MockServer, request_bytes: bytes) -> None:
    answer = raw_exchange(srv.base_url, request_bytes)
    error = assert_raw_error(answer, 400, "bad_request")
    assert error["details"]["reason"], "the parser's own words"
    assert answer.closed


def test_a_head_over_the_limit_arriving_in_pieces_is_431(srv: MockServer, api_key: str) -> None:
    host, port = srv.base_url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(f"GET {API}/chat/sessions HTTP/1.1\r\nHost: mock\r\nX-API-Key: {api_key}\r\n".encode())
        received = b""
        with contextlib.suppress(OSError):  # the server answers, and closes, before the last pieces
            for i in range(40):
                sock.sendall(f"X-Piece-{i}: {'p' * 1000}\r\n".encode())
                time.sleep(0.01)
        with contextlib.suppress(OSError):
            while chunk := sock.recv(65536):
                received += chunk
    assert received.startswith(b"HTTP/1.1 431 "), received[:200]
    assert b'"code":"request_header_fields_too_large"' in received and b"connection: close" in received.lower()


def _answers(sock: socket.socket, count: int) -> list[tuple[int, dict[str, str], bytes]]:
    """Read ``count`` responses off a connection, in order (h11 as the client's parser)."""
    conn = h11.Connection(h11.CLIENT)
    answers: list[tuple[int, dict[str, str], bytes]] = []
    for _ in range(count):
        conn.send(h11.Request(method="GET", target="/", headers=[("Host", "mock")]))
        conn.send(h11.EndOfMessage())
        status, headers, body = 0, {}, b""
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(sock.recv(65536))
            elif isinstance(event, h11.Response):
                status = event.status_code
                headers = {k.decode().lower(): v.decode("latin-1") for k, v in event.headers}
            elif isinstance(event, h11.Data):
                body += bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                break
            else:
                raise AssertionError(f"unexpected {event!r}")
        answers.append((status, headers, body))
        if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
            conn.start_next_cycle()
    return answers


def test_pipelined_requests_are_answered_in_order(srv: MockServer, api_key: str) -> None:
    body = b'{"agent_id":"echo","title":"pipelined"}'
    requests = (
        head("POST", f"{API}/chat/sessions", api_key, length=len(body))
        + body
        + head("GET", f"{API}/chat/sessions", api_key)
        + head("GET", f"{API}/chat/sessions/nope", api_key, "Connection: close")
    )
    host, port = srv.base_url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(requests)
        (created, listed, missing) = _answers(sock, 3)
        assert sock.recv(65536) == b"", "closed after the request that asked for it"
    assert created[0] == 201 and strict_json(created[2])["data"]["title"] == "pipelined"
    assert listed[0] == 200 and [s["title"] for s in strict_json(listed[2])["data"]] == ["pipelined"]
    assert missing[0] == 404 and strict_json(missing[2])["error"]["code"] == "not_found"
    ids = {answer[1]["x-request-id"] for answer in (created, listed, missing)}
    assert len(ids) == 3


def test_a_bad_request_pipelined_behind_a_stream_is_answered_after_it(
    srv: MockServer, api_key: str, make_session: Callable[..., dict[str, Any]]
) -> None:
    """The parser reads ahead; its 400 for the second request waits for the stream before it, then closes."""
    session = make_session("echo", metadata={"delay_ms": 200})
    body = b'{"content":"one two three"}'
    stream = head("POST", f"{API}/chat/sessions/{session['id']}/messages/stream", api_key, length=len(body)) + body
    bad = head("POST", f"{API}/chat/sessions", api_key, "Transfer-Encoding: chunked") + b"zz\r\n{}\r\n"
    host, port = srv.base_url.removeprefix("http://").rsplit(":", 1)
    received = b""
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(stream + bad)
        with contextlib.suppress(OSError):
            while chunk := sock.recv(65536):
                received += chunk
    assert received.startswith(b"HTTP/1.1 200 "), received[:200]
    stream_part, _, error_part = received.partition(b"HTTP/1.1 400 ")
    assert b"event: done" in stream_part and stream_part.endswith(b"0\r\n\r\n"), stream_part[-200:]
    assert b'"code":"bad_request"' in error_part and b"connection: close" in error_part.lower()


# -- requests that never finish arriving -----------------------------------------------------


@pytest.fixture(scope="module")
def impatient() -> Iterator[MockServer]:
    """A server that waits half a second for a request head or body."""
    with MockServer(spec=SPEC_PATH, extra_args=("--read-timeout", "0.5")) as server:
        yield server


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_a_body_that_never_arrives_is_408(impatient: MockServer) -> None:
    answer = raw_exchange(
        impatient.base_url, head("POST", f"{API}/chat/sessions", impatient.api_key, length=100) + b'{"agent_i'
    )
    error = assert_raw_error(answer, 408, "request_timeout")
    assert error["details"] == {"timeout_seconds": 0.5, "waiting_for": "body"}
    assert answer.headers.get("connection") == "close" and answer.closed
    with httpx.Client(base_url=impatient.base_url, headers={"X-API-Key": impatient.api_key}) as client:
        sessions = client.get(f"{API}/chat/sessions").json()["data"]
        assert [s["id"] for s in sessions] == ["session-id"], "only the development workspace's placeholder"
    entry = impatient.requests(method="POST", path=f"{API}/chat/sessions")[-1]
    assert (entry["status"], entry["outcome"]) == (408, "answered")


def test_a_head_that_never_completes_is_408(impatient: MockServer) -> None:
    answer = raw_exchange(impatient.base_url, b"GET /api/v1/chat/sessions HTTP/1.1\r\nHost: mo")
    error = assert_raw_error(answer, 408, "request_timeout")
    assert error["details"] == {"timeout_seconds": 0.5, "waiting_for": "head"}
    assert answer.closed


def test_the_head_timeout_applies_to_each_request_of_a_connection(impatient: MockServer) -> None:
    host, port = impatient.base_url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head("GET", f"{API}/chat/sessions", impatient.api_key))
        ((status, _, _),) = _answers(sock, 1)
        assert status == 200
        sock.sendall(b"GET /api/v1/chat/sessions HTTP/1.1\r\nHo")
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    assert received.startswith(b"HTTP/1.1 408 "), received[:200]
    assert b'"waiting_for":"head"' in received


def test_an_idle_connection_is_closed_without_an_answer(impatient: MockServer) -> None:
    answer = raw_exchange(impatient.base_url, b"")
    assert answer.status is None and answer.closed and answer.body == b""


def test_a_slow_but_steady_client_is_served(impatient: MockServer) -> None:
    """The timeout is for a request that stalls; a body that arrives in time is read whole."""
    body = b'{"agent_id":"echo"}'
    answer = raw_exchange(
        impatient.base_url,
        head("POST", f"{API}/chat/sessions", impatient.api_key, "Connection: close", length=len(body)) + body,
    )
    assert answer.status == 201


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts descriptors in /proc (Linux)")
def test_two_hundred_stalled_bodies_are_answered_and_their_descriptors_released(impatient: MockServer) -> None:
    pid = impatient.pid
    assert pid is not None
    before = open_fds(pid)
    host, port = impatient.base_url.removeprefix("http://").rsplit(":", 1)
    stalled = head("POST", f"{API}/chat/sessions", impatient.api_key, length=100) + b'{"agent_i'
    sockets = []
    try:
        for _ in range(200):
            sock = socket.create_connection((host, int(port)), timeout=30)
            sock.sendall(stalled)
            sockets.append(sock)
        answers = []
        for sock in sockets:
            received = b""
            while chunk := sock.recv(65536):
                received += chunk
            answers.append(received)
    finally:
        for sock in sockets:
            sock.close()
    assert all(a.startswith(b"HTTP/1.1 408 ") for a in answers), {a[:40] for a in answers}
    wait_until(lambda: open_fds(pid) <= before, timeout=30)


def test_a_request_cut_short_by_a_stopping_server_gets_the_envelope() -> None:
    server = MockServer(spec=SPEC_PATH, extra_args=("--read-timeout", "60")).start()
    try:
        host, port = server.base_url.removeprefix("http://").rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=30) as sock:
            sock.sendall(head("POST", f"{API}/chat/sessions", server.api_key, length=100) + b"{")
            # Stopped before it accepted the connection, the server would leave the kernel to reset it.
            wait_until(lambda: server.requests(method="POST", path=f"{API}/chat/sessions"))
            stopper = threading.Thread(target=server.stop)
            stopper.start()  # uvicorn waits 3 s for running requests, then cancels them
            received = b""
            while chunk := sock.recv(65536):
                received += chunk
            stopper.join(30)
    finally:
        server.stop()
    assert received.startswith(b"HTTP/1.1 503 "), received[:200]
    assert b'"code":"service_unavailable"' in received and b"x-request-id: req_" in received.lower()


# -- the control API -----------------------------------------------------------------------


def test_the_control_api_is_off_by_default() -> None:
    with MockServer(spec=SPEC_PATH, control=False) as server, httpx.Client(base_url=server.base_url) as http:
        for method, path in (("GET", "/__mock/health"), ("GET", "/__mock/requests"), ("POST", "/__mock/reset")):
            error = assert_error(http.request(method, path), 404, "not_found")
            assert "control API is off" in error["message"]
        assert http.get(f"{API}/chat/sessions", headers={"X-API-Key": server.api_key}).status_code == 200


def test_the_control_api_is_on_with_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMPTRAILS_MOCK_CONTROL", "1")
    with MockServer(spec=SPEC_PATH, control=False) as server:
        assert server.health()["status"] == "ok"


def test_the_control_api_with_a_token() -> None:
    with (
        MockServer(spec=SPEC_PATH, control=False, extra_args=("--control-token", "s3cret")) as server,
        httpx.Client(base_url=server.base_url) as http,
    ):
        assert_error(http.get("/__mock/health"), 401, "unauthorized")
        assert_error(http.get("/__mock/health", headers={"X-Mock-Token": "wrong"}), 401, "unauthorized")
        assert http.get("/__mock/health", headers={"X-Mock-Token": "s3cret"}).status_code == 200


@pytest.mark.parametrize(
    "body",
    [nested(100_000), rb'{"id":"\ud800"}', b'{"id":"a","id":"b"}', b"[1]", b'{"x":1e999}', b"\xff"],
)
def test_control_bodies_are_checked_too(srv: MockServer, body: bytes) -> None:
    with httpx.Client(base_url=srv.base_url) as http:
        for path in ("/__mock/faults", "/__mock/sessions", "/__mock/agents", "/__mock/workspaces"):
            response = http.post(path, content=body, headers=JSON)
            assert response.status_code == 400, (path, response.text)
            assert set(response.json()["error"]) == {"code", "message", "details"}
    assert srv.faults() == []


# -- the request log -----------------------------------------------------------------------


def test_the_request_log_never_returns_keys(srv: MockServer, api_key: str) -> None:
    srv.clear_requests()
    with httpx.Client(base_url=srv.base_url) as http:
        http.get(f"{API}/chat/sessions", headers={"X-API-Key": api_key})
        http.get(f"{API}/chat/sessions", headers={"Authorization": f"Bearer {api_key}", "X-Api-Key": "wrong-key-1234"})
        http.get(f"{API}/chat/sessions?api_key={api_key}", headers={"Proxy-Authorization": f"Basic {api_key}"})
        http.post(f"{API}/chat/sessions", json={"agent_id": "echo", "title": api_key}, headers={"X-API-Key": api_key})
        http.get(f"{API}/chat/sessions", headers={"Cookie": f"session={api_key}"})
        raw = http.get("/__mock/requests")
        filtered = http.get("/__mock/requests", params={"api_key": api_key})
    assert raw.status_code == 200
    for answer in (raw, filtered):
        assert api_key not in answer.text and "wrong-key-1234" not in answer.text
    entries = raw.json()["data"]
    assert len(entries) == 5
    assert entries[0]["headers"]["x-api-key"] == "[REDACTED]"
    assert entries[1]["headers"]["authorization"] == "[REDACTED]"
    assert entries[2]["headers"]["proxy-authorization"] == "[REDACTED]"
    assert entries[2]["query"]["api_key"] == "[REDACTED]"
    assert entries[3]["body"] == '{"agent_id":"echo","title":"[REDACTED]"}'
    assert entries[4]["headers"]["cookie"] == "[REDACTED]"
    assert [e["seq"] for e in filtered.json()["data"]] == [entries[i]["seq"] for i in (0, 3)]
    assert entries[0]["workspace_id"] == entries[3]["workspace_id"] is not None
    assert entries[1]["workspace_id"] is None, "an unknown key selects no workspace"


def test_no_control_answer_echoes_a_configured_key(srv: MockServer) -> None:
    with httpx.Client(base_url=srv.base_url) as http:
        answers = [http.get(path).text for path in ("/__mock/health", "/__mock/faults", "/__mock/violations")]
        answers.append(http.get("/__mock/agents").text)
    assert not any(srv.api_key in answer for answer in answers)


def test_the_request_log_pages_its_answers(srv: MockServer, client: httpx.Client) -> None:
    srv.clear_requests()
    for page in range(1, 8):
        client.get(f"{API}/chat/sessions", params={"page": page})
    with httpx.Client(base_url=srv.base_url) as http:
        first = http.get("/__mock/requests", params={"limit": 3}).json()
        assert [e["query"]["page"] for e in first["data"]] == ["1", "2", "3"]
        assert first["meta"]["total"] == 7 and first["meta"]["limit"] == 3
        second = http.get("/__mock/requests", params={"limit": 3, "after": first["meta"]["next_after"]}).json()
        assert [e["query"]["page"] for e in second["data"]] == ["4", "5", "6"]
        third = http.get("/__mock/requests", params={"limit": 3, "after": second["meta"]["next_after"]}).json()
        assert [e["query"]["page"] for e in third["data"]] == ["7"] and third["meta"]["next_after"] is None
        for bad in ({"limit": "0"}, {"limit": "100000"}, {"after": "-1"}, {"after": "9" * 30}, {"limit": "x"}):
            assert_error(http.get("/__mock/requests", params=bad), 400, "validation_error")
    assert [e["query"]["page"] for e in srv.requests()] == [str(p) for p in range(1, 8)], "the helper reads every page"


def test_the_request_log_is_bounded_in_bytes() -> None:
    budget = 2 * MIB
    with MockServer(spec=SPEC_PATH, extra_args=("--request-log-bytes", str(budget))) as server:
        body = json.dumps({"agent_id": "echo", "title": "t" * 200_000}).encode()
        with httpx.Client(base_url=server.base_url, headers={"X-API-Key": server.api_key, **JSON}) as client:
            for _ in range(100):
                client.post(f"{API}/chat/sessions", content=body)
        with httpx.Client(base_url=server.base_url) as http:
            meta = http.get("/__mock/requests", params={"limit": 1}).json()["meta"]
        assert meta["stored_bytes"] <= budget and meta["max_bytes"] == budget
        assert 0 < meta["total"] < 100 and meta["evicted"] == 100 - meta["total"]
        entries = server.requests()
        assert len(entries) == meta["total"] and entries[-1]["seq"] == 100, "the newest are kept"
        assert all(e["body_truncated"] for e in entries)


# -- fuzz ----------------------------------------------------------------------------------

_hostile_text = st.text(st.characters(codec=None, categories=["Cs", "Cc", "Lo", "So", "Nd"]), max_size=12) | st.text(
    max_size=12
)
_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | _hostile_text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_hostile_text, children, max_size=4),
    max_leaves=24,
)
_field_names = st.sampled_from(["agent_id", "title", "metadata", "content", "execution_id", "value", "comment"])


@st.composite
def _bodies(draw: st.DrawFn) -> bytes:
    """Bodies near the contract's shapes, then broken in every way the parser has to survive."""
    fields = draw(st.dictionaries(_field_names, _json_values, max_size=4))
    text = json.dumps(fields, ensure_ascii=draw(st.booleans()), allow_nan=True)
    raw = text.encode("utf-8", "surrogatepass")
    kind = draw(st.integers(0, 6))
    if kind == 1:  # truncated
        raw = raw[: draw(st.integers(0, len(raw)))]
    elif kind == 2:  # bytes spliced in
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.binary(min_size=1, max_size=8)) + raw[at:]
    elif kind == 3:  # deep
        depth = draw(st.integers(MAX_DEPTH - 3, 5000))
        raw = b'{"agent_id":"echo","content":"x","metadata":{"d":' + nested(depth) + b"}}"
    elif kind == 4:  # a duplicated field
        raw = raw[:-1] + (b"," if fields else b"") + raw[1:] if len(raw) > 2 else raw
    elif kind == 5:
        raw = draw(st.binary(max_size=64))
    return raw


@pytest.fixture(scope="module")
def fuzz_target(server: MockServer) -> dict[str, Any]:
    key = server.new_workspace()
    with httpx.Client(base_url=server.base_url, headers={"X-API-Key": key}) as client:
        session = client.post(f"{API}/chat/sessions", json={"agent_id": "echo"}).json()["data"]
    return {"key": key, "session": session["id"]}


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    route=st.sampled_from(["create", "update", "send", "feedback"]),
    body=_bodies(),
    content_type=st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain", None]),
)
def test_fuzzed_bodies_get_json_answers_never_500(
    srv: MockServer, fuzz_target: dict[str, Any], route: str, body: bytes, content_type: str | None
) -> None:
    session = fuzz_target["session"]
    method, path = {
        "create": ("POST", f"{API}/chat/sessions"),
        "update": ("PATCH", f"{API}/chat/sessions/{session}"),
        "send": ("POST", f"{API}/chat/sessions/{session}/messages"),
        "feedback": ("POST", f"{API}/chat/sessions/{session}/feedback"),
    }[route]
    headers = {"X-API-Key": fuzz_target["key"], **({"Content-Type": content_type} if content_type else {})}
    with httpx.Client(base_url=srv.base_url, headers=headers, timeout=30) as client:
        response = client.request(method, path, content=body)
        assert response.status_code < 500, response.text
        assert response.headers["x-request-id"].startswith("req_")
        answer = strict_json(response.content)
        if response.status_code >= 400:
            assert set(answer) == {"error"} and set(answer["error"]) == {"code", "message", "details"}
        for listing in (f"{API}/chat/sessions", f"{API}/chat/sessions/{session}/messages"):
            listed = client.get(listing, params={"limit": 100})
            assert listed.status_code == 200
            strict_json(listed.content)  # whatever was stored is JSON on the way out


def test_agents_survive_hostile_metadata() -> None:
    agent_settings = AgentSettings(frame_delay=0.001, slow_delay=0.001, max_delay=10.0)
    for value in (10**400, 1e308, -5, "x", None, True, float("inf")):
        script = script_for("echo", AgentInput("hi", metadata={"delay_ms": value}), agent_settings)
        assert all(0 <= step.delay <= agent_settings.max_delay for step in script.steps)
    usage = script_for(
        "echo",
        AgentInput("hi", metadata={"extra_token_usage": {"ok": 2, "big": INT64_MAX + 1, "neg": -1, "flt": 1.0}}),
        agent_settings,
    ).outcome
    assert getattr(usage, "token_usage", {}).get("ok") == 2
    assert {"big", "neg", "flt"}.isdisjoint(getattr(usage, "token_usage", {}))
