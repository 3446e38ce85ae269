"""Contract validation, fault globs, and the middleware's response checks, in process.

The real server never sends a bad response (every other test checks that); here
a deliberately broken app behind the same middleware proves violations are seen,
counted, and turned into 500s in strict mode.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from helpers import SPEC_PATH
from promptrails_mock.app import MockState, Settings
from promptrails_mock.errors import ApiError
from promptrails_mock.faults import glob_to_regex, parse_fault
from promptrails_mock.middleware import WireMiddleware
from promptrails_mock.validation import Contract, StreamChecker


@pytest.fixture(scope="module")
def contract() -> Contract:
    return Contract(SPEC_PATH)


GOOD_LIST = {"data": [], "meta": {"total": 0, "page": 1, "limit": 20, "total_pages": 0}}


def request(
    contract: Contract, method: str, path: str, query: str = "", body: Any = None, headers: dict[str, str] | None = None
) -> Any:
    raw = None if body is None else json.dumps(body).encode()
    all_headers = {"X-API-Key": "k", **({"Content-Type": "application/json"} if raw else {}), **(headers or {})}
    return contract.request(method, path, query, list(all_headers.items()), raw)


def test_valid_requests_get_their_defaults(contract: Contract) -> None:
    checked = contract.check_request(request(contract, "GET", "/api/v1/chat/sessions"))
    assert checked.parameters.query == {"page": 1, "limit": 20}
    checked = contract.check_request(request(contract, "POST", "/api/v1/chat/sessions", body={"agent_id": "echo"}))
    assert checked.body == {"agent_id": "echo"}


def test_a_body_without_content_type_is_read_as_json(contract: Contract) -> None:
    wire = contract.request("POST", "/api/v1/chat/sessions", "", [("X-API-Key", "k")], b'{"agent_id":"echo"}')
    assert contract.check_request(wire).body == {"agent_id": "echo"}


def test_nested_fields_are_named_with_dots(contract: Contract) -> None:
    wire = request(
        contract, "POST", "/api/v1/chat/sessions", body={"agent_id": "echo", "metadata": {"a": 1}, "title": ["x"]}
    )
    with pytest.raises(ApiError) as caught:
        contract.check_request(wire)
    assert caught.value.details["field"] == "title"
    assert caught.value.message == "title: must be of type string or null"


def test_response_errors(contract: Contract) -> None:
    wire = request(contract, "GET", "/api/v1/chat/sessions")
    ok_headers = [("Content-Type", "application/json"), ("X-Request-ID", "r")]
    assert contract.response_errors(wire, 200, ok_headers, json.dumps(GOOD_LIST).encode(), streaming=False) == []
    missing_id = contract.response_errors(wire, 200, ok_headers[:1], json.dumps(GOOD_LIST).encode(), streaming=False)
    assert missing_id == ["response has no X-Request-ID header"]
    broken = {"data": [], "meta": {"total": -1, "page": 1, "limit": 20}}
    errors = contract.response_errors(wire, 200, ok_headers, json.dumps(broken).encode(), streaming=False)
    assert any("meta.total" in e and "minimum" in e for e in errors), errors
    for count in ("pages", "total_pages", None):  # every key of meta may be absent (the contract's evidence)
        one = {"data": [], "meta": {"total": 0, "page": 1, "limit": 20, **({count: 0} if count else {})}}
        assert contract.response_errors(wire, 200, ok_headers, json.dumps(one).encode(), streaming=False) == []
    wrong_type = contract.response_errors(
        wire, 200, [("Content-Type", "text/plain"), ("X-Request-ID", "r")], b"hi", streaming=False
    )
    assert wrong_type


def test_stream_response_head(contract: Contract) -> None:
    wire = request(contract, "POST", "/api/v1/chat/sessions/s/messages/stream", body={"content": "x"})
    good = [("Content-Type", "text/event-stream; charset=utf-8"), ("X-Request-ID", "r")]
    assert contract.response_errors(wire, 200, good, None, streaming=True) == []
    bad = [("Content-Type", "application/x-ndjson"), ("X-Request-ID", "r")]
    assert contract.response_errors(wire, 200, bad, None, streaming=True) != []


def test_frames(contract: Contract) -> None:
    assert contract.frame_errors({"event": "content", "id": "2", "data": {"content": "x"}}) == []
    assert contract.frame_errors({"event": "content", "id": "2", "data": {}}) != []
    assert contract.frame_errors({"event": "unheard-of", "id": "2", "data": {}}) != []
    assert contract.frame_errors({"event": "done", "id": "2", "data": {"time": "soon"}}) != []
    assert contract.frame_errors({"event": "done", "id": "2", "data": {}}) == [], "done {} is valid"
    assert contract.frame_errors({"event": "error", "id": "2", "data": {"error": "x"}}) == []
    assert contract.frame_errors({"event": "error", "id": "2", "data": {"code": "x"}}) != []


def sse(*frames: tuple[int, str, dict[str, Any]]) -> bytes:
    return b"".join(f"id: {i}\nevent: {e}\ndata: {json.dumps(d)}\n\n".encode() for i, e, d in frames)


def test_stream_checker(contract: Contract) -> None:
    checker = StreamChecker(contract)
    frames = checker.feed(
        sse((1, "execution", {"execution_id": "e", "user_message_id": "u"}), (2, "content", {"content": "a"}))
    )
    assert [f.errors for f in frames] == [[], []]
    assert checker.feed(b"id: 3\nevent: content\n") == []  # incomplete: buffered
    assert checker.feed(b'data: {"content": "b"}\n\n')[0].errors == []
    skipped = checker.feed(sse((5, "content", {"content": "c"})))
    assert skipped[0].errors == ["frame id 5 does not follow 3"]
    assert checker.finish() == ["stream ends without a terminal frame"]
    done = checker.feed(
        sse(
            (
                6,
                "done",
                {
                    "output": "abc",
                    "token_usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                    "time": 0.1,
                },
            )
        )
    )
    assert done[0].errors == []
    late = checker.feed(sse((7, "content", {"content": "late"})))
    assert "follows the terminal frame" in late[0].errors[0]
    assert checker.feed(b"id: x\nevent: content\ndata: nope\n\n")[0].errors[:1] == [
        "frame data is not JSON: Expecting value: line 1 column 1 (char 0)"
    ]


def test_globs() -> None:
    one = glob_to_regex("/api/v1/chat/sessions/*/messages")
    assert one.match("/api/v1/chat/sessions/abc/messages")
    assert not one.match("/api/v1/chat/sessions/abc/messages/stream")
    assert not one.match("/api/v1/chat/sessions/a/b/messages")
    assert glob_to_regex("/api/**").match("/api/v1/chat/sessions/a/messages/stream")
    assert glob_to_regex("**").match("/anything")
    assert glob_to_regex("/api/v?/x").match("/api/v1/x") and not glob_to_regex("/api/v?/x").match("/api/v10/x")
    assert not glob_to_regex("/a.c").match("/abc"), "dots are literal"


def test_fault_defaults() -> None:
    fault = parse_fault({"action": "reset"})
    assert (fault.method, fault.path, fault.count, fault.when) == ("*", "**", 1, "before")
    assert parse_fault({"action": "cut_stream"}).after_frames == 1
    assert parse_fault({"action": "status"}).status == 503
    delay = parse_fault({"action": "delay", "seconds": 0.5, "between_frames": 0.1})
    assert (delay.seconds, delay.between_frames) == (0.5, 0.1)


# -- the middleware in front of a deliberately broken app ---------------------------------


async def _bad_list(request: Request) -> Response:
    return Response(json.dumps({"data": [{"id": 1}]}), media_type="application/json")


async def _bad_stream(request: Request) -> Response:
    async def frames() -> AsyncIterator[bytes]:
        yield sse((1, "execution", {"execution_id": "e", "user_message_id": "u"}))
        yield sse((2, "mystery", {"x": 1}))

    return StreamingResponse(frames(), media_type="text/event-stream")


async def _off_contract(request: Request) -> Response:
    return Response("anything goes", media_type="text/plain")


def _exchange(
    strict: bool, method: str, path: str, faults: tuple[dict[str, Any], ...] = (), **kwargs: Any
) -> tuple[httpx.Response, MockState]:
    state = MockState(Settings(spec_path=SPEC_PATH, strict=strict, control=True))
    for fault in faults:
        state.faults.add(parse_fault(fault))
    app = Starlette(
        routes=[
            Route("/api/v1/chat/sessions", _bad_list, methods=["GET"]),
            Route("/api/v1/executions/{execution_id}/stream", _bad_stream, methods=["GET"]),
            Route("/elsewhere", _off_contract, methods=["GET"]),
        ]
    )
    wrapped = WireMiddleware(app, state)

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=wrapped)
        async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
            return await client.request(method, path, headers={"X-API-Key": "k"}, **kwargs)

    try:
        return asyncio.run(go()), state
    finally:
        state.storage.close()


def test_a_bad_json_response_is_a_violation() -> None:
    response, state = _exchange(False, "GET", "/api/v1/chat/sessions")
    assert response.status_code == 200 and response.json() == {"data": [{"id": 1}]}
    assert response.headers["x-request-id"]
    [violation] = state.violations.list()
    assert (violation["method"], violation["path"], violation["status"]) == ("GET", "/api/v1/chat/sessions", 200)
    assert any("meta" in e for e in violation["errors"])
    assert state.violations.total == 1


def test_strict_mode_answers_500_instead() -> None:
    response, state = _exchange(True, "GET", "/api/v1/chat/sessions")
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "response_validation_failed" and error["details"]["original_status"] == 200
    assert state.violations.total == 1


def test_a_bad_stream_frame_is_a_violation() -> None:
    response, state = _exchange(False, "GET", "/api/v1/executions/e/stream")
    assert response.status_code == 200
    errors = [e for v in state.violations.list() for e in v["errors"]]
    assert any("mystery" in e for e in errors)
    assert "stream ends without a terminal frame" in errors


def test_routes_outside_the_contract_are_not_validated() -> None:
    response, state = _exchange(True, "GET", "/elsewhere")
    assert response.status_code == 200 and response.text == "anything goes"
    assert state.violations.list() == []
    assert state.requests.list(path="/elsewhere")[0]["status"] == 200


def test_frames_around_injected_ones_are_still_validated_and_injected_ones_never() -> None:
    injected = "id: x\nevent: citation\ndata: {not json\n\n"
    fault = {"action": "inject_frames", "path": "/api/v1/executions/*/stream", "after_frames": 1, "frames": [injected]}
    response, state = _exchange(False, "GET", "/api/v1/executions/e/stream", faults=(fault,))
    assert response.status_code == 200
    assert response.text == (
        sse((1, "execution", {"execution_id": "e", "user_message_id": "u"})).decode()
        + injected
        + sse((2, "mystery", {"x": 1})).decode()
    )
    errors = [e for v in state.violations.list() for e in v["errors"]]
    assert any("mystery" in e for e in errors), "the real frame after the injected one is checked"
    assert "stream ends without a terminal frame" in errors
    assert not any("citation" in e or "frame id" in e or "not JSON" in e or "does not follow" in e for e in errors), (
        errors
    )


def test_reformatted_frames_are_validated_as_the_app_wrote_them() -> None:
    fault = {"action": "reformat_stream", "line_endings": "cr", "chunk_bytes": 3}
    response, state = _exchange(False, "GET", "/api/v1/executions/e/stream", faults=(fault,))
    assert "\n" not in response.text and response.text.count("\r\r") == 2
    errors = [e for v in state.violations.list() for e in v["errors"]]
    assert any("mystery" in e for e in errors) and "stream ends without a terminal frame" in errors
    assert not any("inside a frame" in e or "unexpected field" in e for e in errors), errors
