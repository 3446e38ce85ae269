"""Bad input: malformed JSON, wrong types, unknown fields, bad parameters, oversized bodies, unknown routes."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response

from helpers import API, SPEC_PATH, assert_error
from promptrails_mock.app import DEFAULT_API_KEY, Api, Settings, create_app
from promptrails_mock.testing import MockServer

MIB = 1024 * 1024


def test_bad_json_is_400_invalid_json(client: httpx.Client) -> None:
    response = client.post(
        f"{API}/chat/sessions", content=b'{"agent_id": "echo"', headers={"Content-Type": "application/json"}
    )
    error = assert_error(response, 400, "invalid_json")
    assert error["details"]["location"] == "body"


@pytest.mark.parametrize("raw", [b"\xff\xfe{}", b'{"agent_id": NaN}', b"[1, 2"])
def test_not_quite_json_is_400_invalid_json(client: httpx.Client, raw: bytes) -> None:
    assert_error(
        client.post(f"{API}/chat/sessions", content=raw, headers={"Content-Type": "application/json"}),
        400,
        "invalid_json",
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"agent_id": 5}, "agent_id"),
        ({}, "agent_id"),
        ({"agent_id": "echo", "unexpected": True}, "unexpected"),
        ({"agent_id": "echo", "title": 7}, "title"),
        ({"agent_id": "echo", "metadata": []}, "metadata"),
        ({"agent_id": ""}, "agent_id"),
        ({"agent_id": "x" * 65}, "agent_id"),
        ({"agent_id": "echo", "metadata": {f"k{i}": i for i in range(65)}}, "metadata"),
        ([1, 2], "body"),
    ],
)
def test_schema_violations_name_the_field(client: httpx.Client, body: Any, field: str) -> None:
    error = assert_error(client.post(f"{API}/chat/sessions", json=body), 400, "validation_error")
    assert error["details"]["field"] == field
    assert error["details"]["location"] == "body"
    assert error["message"].startswith(f"{field}: ")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"content": 123}, "content"),
        ({"content": ""}, "content"),
        ({"content": "hi", "text": "hi"}, "text"),
        ({"content": "x" * 32001}, "content"),
        ({"content": "hi", "metadata": "nope"}, "metadata"),
    ],
)
def test_send_validation(
    client: httpx.Client, make_session: Callable[..., dict[str, Any]], body: Any, field: str
) -> None:
    session = make_session("echo")
    for suffix in ("", "/stream"):
        error = assert_error(
            client.post(f"{API}/chat/sessions/{session['id']}/messages{suffix}", json=body), 400, "validation_error"
        )
        assert error["details"]["field"] == field
    assert client.get(f"{API}/chat/sessions/{session['id']}/messages").json()["meta"]["total"] == 0


def test_every_problem_is_listed(client: httpx.Client, make_session: Callable[..., dict[str, Any]]) -> None:
    session = make_session("echo")
    error = assert_error(
        client.post(f"{API}/chat/sessions/{session['id']}/messages", json={"text": "hi"}), 400, "validation_error"
    )
    assert {p["field"] for p in error["details"]["errors"]} == {"content", "text"}
    assert "content: is required" in error["message"] and "text: is not an allowed field" in error["message"]


def test_missing_body_is_400(client: httpx.Client) -> None:
    error = assert_error(client.post(f"{API}/chat/sessions"), 400, "validation_error")
    assert error["details"]["field"] == "body"


def test_wrong_content_type_is_415(client: httpx.Client) -> None:
    response = client.post(
        f"{API}/chat/sessions", content=b'{"agent_id":"echo"}', headers={"Content-Type": "text/plain"}
    )
    assert_error(response, 415, "unsupported_media_type")


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"page": 0}, "page", "page: must be at least 1"),
        ({"limit": 101}, "limit", "limit: must be at most 100"),
        ({"limit": 0}, "limit", "limit: must be at least 1"),
        ({"page": "abc"}, "page", "page: must be of type integer"),
    ],
)
def test_bad_pagination(client: httpx.Client, params: dict[str, Any], field: str, message: str) -> None:
    error = assert_error(client.get(f"{API}/chat/sessions", params=params), 400, "validation_error")
    assert error["details"]["field"] == field and error["details"]["location"] == "query"
    assert error["message"] == message


def test_bad_pagination_of_messages(client: httpx.Client, make_session: Callable[..., dict[str, Any]]) -> None:
    session = make_session("echo")
    assert_error(
        client.get(f"{API}/chat/sessions/{session['id']}/messages", params={"limit": 101}), 400, "validation_error"
    )


def test_bad_headers_are_400(client: httpx.Client) -> None:
    error = assert_error(
        client.post(f"{API}/chat/sessions", json={"agent_id": "echo"}, headers={"Idempotency-Key": "k" * 256}),
        400,
        "validation_error",
    )
    assert error["details"] == {
        "field": "Idempotency-Key",
        "location": "header",
        "errors": [
            {"field": "Idempotency-Key", "location": "header", "message": "must be at most 255 characters long"}
        ],
    }


def test_too_long_path_parameter_is_400(client: httpx.Client) -> None:
    error = assert_error(client.get(f"{API}/chat/sessions/{'s' * 65}"), 400, "validation_error")
    assert error["details"]["field"] == "session_id"


def test_oversized_body_is_413(client: httpx.Client, make_session: Callable[..., dict[str, Any]]) -> None:
    session = make_session("echo")
    body = b'{"content": "' + b"x" * (MIB + 10) + b'"}'
    response = client.post(
        f"{API}/chat/sessions/{session['id']}/messages", content=body, headers={"Content-Type": "application/json"}
    )
    error = assert_error(response, 413, "payload_too_large")
    assert error["details"] == {"max_bytes": MIB}
    assert client.get(f"{API}/chat/sessions/{session['id']}/messages").json()["meta"]["total"] == 0


def _raw_request(srv: MockServer, head: str, body: bytes) -> bytes:
    host, port = srv.base_url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head.encode() + body)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        return answer


def test_413_comes_before_the_body_is_read(srv: MockServer, api_key: str) -> None:
    # Content-Length announces 2 MiB but only 10 bytes are ever sent: the answer cannot wait for the body.
    head = (
        f"POST {API}/chat/sessions HTTP/1.1\r\nHost: x\r\nX-API-Key: {api_key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {2 * MIB}\r\n\r\n"
    )
    answer = _raw_request(srv, head, b'{"agent_i')
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"x-request-id: " in answer.lower()


def test_chunked_oversized_body_is_413(srv: MockServer, api_key: str) -> None:
    chunk = b"x" * (256 * 1024)
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(5))  # 1.25 MiB, never terminated
    head = (
        f"POST {API}/chat/sessions HTTP/1.1\r\nHost: x\r\nX-API-Key: {api_key}\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    assert _raw_request(srv, head, body).startswith(b"HTTP/1.1 413 ")


def test_unknown_route_is_404_envelope(client: httpx.Client) -> None:
    for path in ("/", "/api/v1/nope", f"{API}/chat/sessions/x/y/z", f"{API}/chat/sessions/"):
        error = assert_error(client.get(path), 404, "not_found")
        assert path in error["message"]


def test_wrong_method_is_405_with_allow(client: httpx.Client) -> None:
    response = client.put(f"{API}/chat/sessions", json={})
    assert_error(response, 405, "method_not_allowed")
    assert set(response.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    assert_error(client.get(f"{API}/chat/sessions/x/messages/stream"), 405, "method_not_allowed")


def test_a_handler_that_crashes_is_500_with_the_envelope(monkeypatch: pytest.MonkeyPatch) -> None:
    """Served straight from its route (not through Starlette's middleware), a crash is still the 500 envelope."""

    async def crash(self: Api, request: Request) -> Response:
        raise RuntimeError("boom")

    monkeypatch.setattr(Api, "sessions", crash)
    app = create_app(Settings(spec_path=SPEC_PATH))
    operations = app.app  # type: ignore[attr-defined]

    async def starlette_is_not_used(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError(f"the Starlette app served {scope['path']}")

    operations.app = starlette_is_not_used

    async def main() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
            return await client.get(f"{API}/chat/sessions", headers={"X-API-Key": DEFAULT_API_KEY})

    response = asyncio.run(main())
    error = assert_error(response, 500, "internal_error")
    assert "boom" not in response.text
    assert error["message"] == "The mock server failed to handle this request."
