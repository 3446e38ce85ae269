"""The compiled fast path (promptrails_mock.compiled) never changes a verdict of openapi-core.

The mock validates with schemas compiled once, and asks openapi-core only when the
fast path is not sure. These tests compare the two on generated requests, responses
and stream frames: with the fast path and without it, every request gets the same
answer (the same unmarshalled parameters and body, or the same error), every response
and frame the same list of errors. And the fast path does answer the common exchanges
(otherwise the mock would be slow again without any test noticing).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import SPEC_PATH
from promptrails_mock.errors import ApiError
from promptrails_mock.validation import Contract

CONTRACT = Contract(SPEC_PATH)
DOCUMENT = CONTRACT.document
COMPILED = CONTRACT.compiled
EXAMPLES = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

OPERATIONS = [
    (method, pattern)
    for pattern, item in DOCUMENT["paths"].items()
    for method in item
    if method in ("get", "post", "patch", "delete", "put")
]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-3, max_value=70_000)
    | st.floats(allow_nan=False, allow_infinity=False, width=32)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
ids = st.from_regex(r"[A-Za-z0-9._~-]{1,70}", fullmatch=True) | st.text(min_size=1, max_size=8).filter(
    lambda s: "/" not in s and "?" not in s and "#" not in s
)
param_text = (
    st.from_regex(r"[0-9]{1,8}", fullmatch=True) | st.text(max_size=6) | st.sampled_from(["0", "-1", "+3", " 7"])
)


def _body_schema(method: str, pattern: str) -> dict[str, Any] | None:
    operation = DOCUMENT["paths"][pattern][method]
    if "requestBody" not in operation:
        return None
    body = COMPILED.deref(operation["requestBody"])
    schema: dict[str, Any] = COMPILED.deref(body["content"]["application/json"]["schema"])
    return schema


@st.composite
def bodies(draw: st.DrawFn, method: str, pattern: str) -> Any:
    schema = _body_schema(method, pattern)
    names = [*sorted((schema or {}).get("properties", {})), "extra"]
    shaped = st.dictionaries(st.sampled_from(names), json_values | st.sampled_from([1, -1, "echo", "x" * 70]))
    example = (schema or {}).get("example")
    choices = [shaped, json_values] + ([st.just(example)] if example is not None else [])
    return draw(st.none() | st.one_of(choices))


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, str, str, list[tuple[str, str]], bytes | None, dict[str, str]]:
    method, pattern = draw(st.sampled_from(OPERATIONS))
    path_params: dict[str, str] = {}
    segments = []
    for segment in pattern.strip("/").split("/"):
        if segment.startswith("{"):
            value = draw(ids)
            path_params[segment[1:-1]] = value
            segments.append(value)
        else:
            segments.append(segment)
    path = "/" + "/".join(segments)
    names = draw(st.lists(st.sampled_from(["page", "limit", "agent_id", "session_id", "status", "other"]), max_size=4))
    query = urlencode([(name, draw(param_text)) for name in names])
    headers = [("X-API-Key", "k")]
    for name in draw(st.lists(st.sampled_from(["Idempotency-Key", "Last-Event-ID"]), max_size=2)):
        headers.append((name, draw(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=70))))
    body = draw(bodies(method, pattern))
    raw = None if body is None else json.dumps(body).encode()
    if raw is not None and draw(st.booleans()):
        headers.append(("Content-Type", "application/json"))
    return method, path, query, headers, raw, path_params


def _outcome(checked: Callable[[], Any]) -> Any:
    try:
        result = checked()
    except ApiError as error:
        return ("error", error.status, error.code, error.message, error.details)
    parameters = result.parameters
    return ("ok", dict(parameters.path), dict(parameters.query), dict(parameters.header), result.body)


@EXAMPLES
@given(requests())
def test_requests_get_the_same_answer_with_and_without_the_fast_path(
    sample: tuple[str, str, str, list[tuple[str, str]], bytes | None, dict[str, str]],
) -> None:
    method, path, query, headers, raw, path_params = sample

    def check(fast: bool) -> Any:
        wire = Contract.request(method, path, query, headers, raw, path_params)
        return _outcome(lambda: CONTRACT.check_request(wire, fast=fast))

    assert check(True) == check(False)


def _mutations(draw: st.DrawFn, value: Any, depth: int = 0) -> Any:
    """``value`` with a few random changes: keys dropped, added or retyped, items changed."""
    if isinstance(value, dict) and value and depth < 4:
        value = dict(value)
        for key in draw(st.lists(st.sampled_from(sorted(value)), max_size=2, unique=True)):
            action = draw(st.sampled_from(["drop", "retype", "descend"]))
            if action == "drop":
                del value[key]
            elif action == "retype":
                value[key] = draw(json_values)
            else:
                value[key] = _mutations(draw, value[key], depth + 1)
        if draw(st.booleans()):
            value[draw(st.text(max_size=6))] = draw(json_values)
        return value
    if isinstance(value, list) and value and depth < 4:
        index = draw(st.integers(0, len(value) - 1))
        return [*value[:index], _mutations(draw, value[index], depth + 1), *value[index + 1 :]]
    return draw(st.just(value) | json_values) if depth else value


def _json_responses() -> list[tuple[str, str, str, Any, list[str]]]:
    found = []
    for method, pattern in OPERATIONS:
        for status, response in DOCUMENT["paths"][pattern][method]["responses"].items():
            response = COMPILED.deref(response)
            content = (response.get("content") or {}).get("application/json")
            if content is None:
                continue
            example = content.get("example")
            if example is None and content.get("examples"):
                example = next(iter(content["examples"].values())).get("value")
            found.append((method, pattern, status, example, sorted(response.get("headers") or {})))
    return found


JSON_RESPONSES = _json_responses()


@st.composite
def responses(draw: st.DrawFn) -> tuple[Any, int, list[tuple[str, str]], bytes]:
    method, pattern, status, example, declared = draw(st.sampled_from(JSON_RESPONSES))
    code = 500 if status == "default" else int(status)
    body = _mutations(draw, copy.deepcopy(example)) if draw(st.integers(0, 3)) else example
    path = pattern.replace("{", "").replace("}", "")
    wire = Contract.request(method, path, "", [("X-API-Key", "k")], None)
    headers = [("Content-Type", draw(st.sampled_from(["application/json", "application/json; charset=utf-8"])))]
    if draw(st.integers(0, 5)):
        headers.append(("X-Request-ID", draw(st.sampled_from(["req_1", ""]))))
    header_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=8)
    for name in declared:  # (values as a server may send them: no line breaks)
        if name.lower() != "x-request-id" and draw(st.booleans()):
            headers.append((name, draw(header_text | st.from_regex(r"[0-9]{1,8}", fullmatch=True))))
    return wire, code, headers, json.dumps(body).encode()


@EXAMPLES
@given(responses())
def test_responses_get_the_same_errors_with_and_without_the_fast_path(
    sample: tuple[Any, int, list[tuple[str, str]], bytes],
) -> None:
    wire, status, headers, body = sample
    fast = CONTRACT.response_errors(wire, status, headers, body, streaming=False)
    assert fast == CONTRACT.response_errors(wire, status, headers, body, streaming=False, fast=False)


EVENT_FIELDS = sorted(
    {
        name
        for schema_name, schema in DOCUMENT["components"]["schemas"].items()
        if schema_name.endswith("EventData")
        for name in schema.get("properties", {})
    }
)
GOOD_DATA = {
    "execution": {"execution_id": "e", "user_message_id": "u"},
    "thinking": {"content": "hmm"},
    "tool_start": {"id": "call_1", "name": "search"},
    "tool_end": {"id": "call_1", "name": "search", "summary": "3 results"},
    "content": {"content": "word"},
    "done": {
        "output": {"content": "hi"},
        "token_usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3, "cached_tokens": 1},
        "time": 0.5,
    },
    "error": {"message": "failed", "code": "agent_failed"},
}


@st.composite
def frames(draw: st.DrawFn) -> dict[str, Any]:
    event = draw(st.sampled_from([*GOOD_DATA, "mystery"]))
    if draw(st.booleans()):
        data = _mutations(draw, copy.deepcopy(GOOD_DATA.get(event, {"x": 1})))
    else:
        data = draw(st.dictionaries(st.sampled_from(EVENT_FIELDS), json_values, max_size=3) | json_values)
    frame_id = draw(st.sampled_from(["1", "42"]) | st.integers(-1, 3) | st.none())
    return {"event": event, "id": frame_id, "data": data}


@EXAMPLES
@given(frames())
def test_frames_get_the_same_errors_with_and_without_the_fast_path(frame: dict[str, Any]) -> None:
    assert CONTRACT.frame_errors(frame) == CONTRACT.frame_errors(frame, fast=False)


def test_the_whole_contract_is_compiled() -> None:
    """No schema of openapi.yaml is left to openapi-core alone (a spec change that did would slow every
    exchange it touches down a hundredfold: handle it in compiled.py, or accept it here knowingly)."""
    assert COMPILED.slow == {}
    assert COMPILED.frame_validator is not None


@pytest.fixture
def no_openapi_core(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("openapi-core was asked about an exchange the fast path should answer")

    monkeypatch.setattr(CONTRACT.openapi, "unmarshal_request", refuse)
    monkeypatch.setattr(CONTRACT.openapi, "iter_response_errors", refuse)
    monkeypatch.setattr(CONTRACT, "_frame_validator", None)


@pytest.mark.usefixtures("no_openapi_core")
def test_the_fast_path_answers_the_common_exchanges() -> None:
    json_headers = [("X-API-Key", "k"), ("Content-Type", "application/json")]
    sid = "2Qm8b1Yt4rXvQe7pLwK9zN3aF0c"
    path = f"/api/v1/chat/sessions/{sid}/messages/stream"
    stream = Contract.request("POST", path, "", json_headers, b'{"content":"Hi"}', {"session_id": sid})
    checked = CONTRACT.check_request(stream)
    assert (checked.parameters.path, checked.body) == ({"session_id": sid}, {"content": "Hi"})
    listed = CONTRACT.check_request(Contract.request("GET", "/api/v1/executions", "limit=5", json_headers[:1], None))
    assert listed.parameters.query == {"page": 1, "limit": 5}
    resume = Contract.request(
        "GET", "/api/v1/executions/e1/stream", "", [("X-API-Key", "k"), ("Last-Event-ID", "7")], None
    )
    assert CONTRACT.check_request(resume).parameters.header == {"Last-Event-ID": "7"}
    head = [("Content-Type", "text/event-stream; charset=utf-8"), ("X-Request-ID", "req_1")]
    assert CONTRACT.response_errors(stream, 200, head, None, streaming=True) == []
    for event, data in GOOD_DATA.items():
        assert CONTRACT.frame_errors({"event": event, "id": "3", "data": data}) == [], event
    wire = Contract.request("GET", "/api/v1/chat/sessions", "", json_headers[:1], None)
    empty = {"data": [], "meta": {"total": 0, "page": 1, "limit": 20, "pages": 0, "total_pages": 0}}
    headers = [("Content-Type", "application/json"), ("X-Request-ID", "req_1")]
    assert CONTRACT.response_errors(wire, 200, headers, json.dumps(empty).encode(), streaming=False) == []
