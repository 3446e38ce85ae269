"""Reading responses (RUNTIME.md "Reading responses"): every evidenced shape, in the default
(tolerant) mode and with `strict_response_validation=True`, through respx.

Evidenced shapes read without error in both modes; what departs from the contract reads
tolerantly by default and raises `APIResponseValidationError` in strict mode; what is
unusable is an error in both.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from conftest import BASE, EXECUTION, KEY, MESSAGE, REPLY, RUN, SESSION, SSE_HEADERS, error_body, frames
from promptrails import (
    APIError,
    APIResponseValidationError,
    AsyncPromptRails,
    ChatMessage,
    ChatReply,
    ChatSession,
    ContentEvent,
    DoneEvent,
    ErrorEvent,
    ExecutionEvent,
    Execution,
    ExecutionStatus,
    MessageRole,
    NotFoundError,
    PaginationMeta,
    PromptRails,
    StreamError,
    TokenUsage,
    ToolEndEvent,
    UnknownEvent,
    models,
)
from promptrails import events as events_module
from promptrails._core import error_kind

STREAM = "/api/v1/chat/sessions/s1/messages/stream"
SESSIONS = "/api/v1/chat/sessions"
EXEC = "/api/v1/executions/e1"


@pytest.fixture(params=[False, True], ids=["tolerant", "strict"])
def strict(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
def c(strict: bool) -> Iterator[PromptRails]:
    with PromptRails(KEY, strict_response_validation=strict, max_retries=0) as client:
        yield client


def run_with(done: str | None = None, *, error: str | None = None, extra: list[tuple[str, str, str]] | None = None) -> bytes:
    """RUN with its terminal frame replaced (and frames added before it)."""
    items = [*RUN[:-1], *(extra or [])]
    if error is not None:
        items.append(("99", "error", error))
    else:
        items.append(("99", "done", done if done is not None else RUN[-1][2]))
    return frames(*items)


def stream_of(c: PromptRails, mock: respx.MockRouter, body: bytes) -> list[Any]:
    mock.post(STREAM).respond(200, headers=SSE_HEADERS, content=body)
    return list(c.chat.send_message_stream("s1", content="Hi"))


# -- done -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "output", "text"),
    [
        ("{}", None, None),
        ('{"output":{"content":"Hello world"},"token_usage":{"total_tokens":42}}', {"content": "Hello world"}, "Hello world"),
        ('{"output":{"text":"Hi there"}}', {"text": "Hi there"}, "Hi there"),
        ('{"output":"plain text"}', "plain text", "plain text"),
        ('{"output":null}', None, None),
        ('{"output":{"content":{"nested":1},"text":"t"}}', {"content": {"nested": 1}, "text": "t"}, "t"),
        ('{"output":[1,2]}', [1, 2], None),
    ],
    ids=["empty", "object", "object-text", "string", "null", "content-not-string", "array"],
)
def test_done_shapes(c: PromptRails, mock: respx.MockRouter, data: str, output: Any, text: str | None) -> None:
    mock.post(STREAM).respond(200, headers=SSE_HEADERS, content=run_with(data))
    result = c.chat.send_message_stream("s1", content="Hi").until_done()
    done = result.terminal
    assert isinstance(done, DoneEvent) and done.output == output and done.output_text == text
    assert result.output == output and result.output_text == text
    assert result.text == "You said: Hi"  # the deltas, whatever done carries
    assert done.time is None or isinstance(done.time, float)


@pytest.mark.parametrize(
    "usage",
    [
        {},
        {"total_tokens": 42},
        {"prompt_tokens": 1, "completion_tokens": 2},
        {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3, "cached_tokens": 4,
         "cache_creation_tokens": 5, "reasoning_tokens": 6},
        {"total_tokens": 7, "audio_tokens": 8, "by_model": {"m": 7}},
    ],
    ids=["none", "total-only", "two", "all-six", "more"],
)
def test_done_token_usage_subsets(c: PromptRails, mock: respx.MockRouter, usage: dict[str, Any]) -> None:
    mock.post(STREAM).respond(200, headers=SSE_HEADERS, content=run_with(json.dumps({"token_usage": usage})))
    result = c.chat.send_message_stream("s1", content="Hi").until_done()
    assert isinstance(result.usage, TokenUsage)
    for name in ("prompt_tokens", "completion_tokens", "total_tokens", "cached_tokens", "cache_creation_tokens",
                 "reasoning_tokens"):
        assert getattr(result.usage, name) == usage.get(name)
    extra = {k: v for k, v in usage.items() if not k.endswith("_tokens") or k == "audio_tokens"}
    assert result.usage.additional_properties == extra
    assert result.usage.to_dict() == usage


# -- other events -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data", ['{"message":"Tool timed out","code":"tool_error"}', '{"error":"Tool timed out"}', '{"error":"Tool timed out","code":"x"}']
)
def test_error_frame_with_message_or_error(c: PromptRails, mock: respx.MockRouter, data: str) -> None:
    events = stream_of(c, mock, run_with(error=data))
    err = events[-1]
    assert isinstance(err, ErrorEvent) and err.message == "Tool timed out"
    mock.post(STREAM).respond(200, headers=SSE_HEADERS, content=run_with(error=data))
    with pytest.raises(StreamError, match="the run failed: Tool timed out") as info:
        c.chat.send_message_stream("s1", content="Hi").until_done()
    assert info.value.event == err


def test_tool_end_without_summary_and_execution_without_user_message_id(c: PromptRails, mock: respx.MockRouter) -> None:
    body = frames(
        ("1", "execution", '{"execution_id":"e1"}'),
        ("2", "tool_end", '{"id":"t1","name":"lookup"}'),
        ("3", "content", '{"content":"ok"}'),
        ("4", "done", "{}"),
    )
    events = stream_of(c, mock, body)
    assert events[0] == ExecutionEvent(execution_id="e1", event_id="1")
    assert events[0].user_message_id is None
    assert events[1] == ToolEndEvent(id="t1", name="lookup", event_id="2") and events[1].summary is None


def test_unknown_fields_in_event_data_are_kept(c: PromptRails, mock: respx.MockRouter) -> None:
    body = run_with(extra=[("7", "content", '{"content":"!","index":3,"meta":{"k":[1]}}')])
    events = stream_of(c, mock, body)
    extra = events[-2]
    assert isinstance(extra, ContentEvent) and extra.content == "!"
    assert extra.additional_properties == {"index": 3, "meta": {"k": [1]}} and extra["index"] == 3
    assert extra.to_dict() == {"content": "!", "index": 3, "meta": {"k": [1]}}
    assert json.loads(extra.to_json()) == extra.to_dict()


def test_unknown_event_names_pass_in_both_modes(c: PromptRails, mock: respx.MockRouter) -> None:
    body = run_with(extra=[("7", "citation", '{"source":"s"}')])
    events = stream_of(c, mock, body)
    assert events[-2] == UnknownEvent(event="citation", data='{"source":"s"}', event_id="7")


@pytest.mark.parametrize(
    ("data", "path", "attr", "raw"),
    [
        ('{"content":5}', "content", "content", 5),
        ("{}", "content", "content", None),
        ('{"content":null}', "content", "content", None),
    ],
    ids=["wrong-type", "missing-required", "null"],
)
def test_event_data_against_the_contract(
    c: PromptRails, strict: bool, mock: respx.MockRouter, data: str, path: str, attr: str, raw: Any
) -> None:
    mock.post(STREAM).respond(200, headers=SSE_HEADERS, content=frames(RUN[0], ("2", "content", data), RUN[-1]))
    stream = c.chat.send_message_stream("s1", content="Hi")
    assert isinstance(next(stream), ExecutionEvent)
    if strict:
        with pytest.raises(StreamError, match="does not match the API contract") as info:
            next(stream)
        cause = info.value.__cause__
        assert isinstance(cause, APIResponseValidationError) and cause.path == path
        assert info.value.data == data and error_kind(info.value) == "response_validation"
        return
    event = next(stream)
    assert isinstance(event, ContentEvent) and getattr(event, attr) is None
    if raw is not None:
        assert event.additional_properties == {attr: raw}
        assert event.to_dict() == {attr: raw}  # what the server sent, as it sent it
    assert isinstance(next(stream), DoneEvent)


@pytest.mark.parametrize("data", ['{"content": ', '["content"]', '"text"', ""])
def test_unusable_event_data_fails_in_both_modes(c: PromptRails, mock: respx.MockRouter, data: str) -> None:
    mock.post(STREAM).respond(200, headers=SSE_HEADERS, content=frames(RUN[0], ("2", "content", data), RUN[-1]))
    stream = c.chat.send_message_stream("s1", content="Hi")
    next(stream)
    with pytest.raises(StreamError) as info:
        next(stream)
    assert info.value.data == data and error_kind(info.value) == "stream"


def test_token_usage_counter_of_another_type(c: PromptRails, strict: bool, mock: respx.MockRouter) -> None:
    mock.post(STREAM).respond(200, headers=SSE_HEADERS, content=run_with('{"token_usage":{"total_tokens":"42"}}'))
    stream = c.chat.send_message_stream("s1", content="Hi")
    if strict:
        with pytest.raises(StreamError) as info:
            stream.until_done()
        assert isinstance(info.value.__cause__, APIResponseValidationError)
        assert info.value.__cause__.path == "token_usage.total_tokens"
        assert "is a string, not an integer" in str(info.value.__cause__)
        return
    usage = stream.until_done().usage
    assert usage is not None and usage.total_tokens is None and usage["total_tokens"] == "42"


# -- lists and paging -------------------------------------------------------------------------


def _pages(mock: respx.MockRouter, metas: list[dict[str, Any] | None], sizes: list[int]) -> respx.Route:
    responses = []
    for i, (meta_, size) in enumerate(zip(metas, sizes)):
        body: dict[str, Any] = {"data": [{**SESSION, "id": f"s{i}-{k}"} for k in range(size)]}
        if meta_ is not None:
            body["meta"] = meta_
        responses.append(httpx.Response(200, json=body))
    route = mock.get(SESSIONS)
    route.side_effect = responses
    return route


@pytest.mark.parametrize(
    ("metas", "sizes", "pages"),
    [
        ([{"page": p, "limit": 2, "total": 5, "pages": 3} for p in (1, 2, 3)], [2, 2, 1], 3),
        ([{"page": p, "limit": 2, "total": 5, "total_pages": 3} for p in (1, 2, 3)], [2, 2, 1], 3),
        ([{"page": p, "limit": 2, "pages": 3} for p in (1, 2, 3)], [2, 2, 1], 3),
        ([{"page": p, "limit": 2, "total": 4} for p in (1, 2)], [2, 2], 2),
        ([{"total": 3}, {"total": 3}], [2, 1], 2),
        ([None, None, None], [2, 2, 0], 3),
        ([{}, {}], [2, 1], 2),
        ([{"page": 1, "pages": 1}], [2], 1),
    ],
    ids=["pages-and-total", "total_pages", "pages-only", "total-and-limit", "total-asked-limit", "no-meta",
         "empty-meta", "one-page"],
)
def test_auto_paging_with_every_meta_shape(
    c: PromptRails, strict: bool, mock: respx.MockRouter, metas: list[Any], sizes: list[int], pages: int
) -> None:
    route = _pages(mock, metas, sizes)
    if strict and metas[0] is None:  # `meta` itself is required; every key in it is optional
        with pytest.raises(APIResponseValidationError, match="at meta: missing required field"):
            c.chat.list_sessions(limit=2)
        return
    items = list(c.chat.list_sessions(limit=2))
    assert len(items) == sum(sizes) and route.call_count == pages
    assert [call.request.url.params.get("page", "1") for call in route.calls] == [str(p) for p in range(1, pages + 1)]


def test_meta_pages_and_total_pages_read_under_both_names(c: PromptRails, mock: respx.MockRouter) -> None:
    mock.get(SESSIONS).respond(200, json={"data": [SESSION], "meta": {"page": 1, "pages": 4}})
    page = c.chat.list_sessions()
    assert isinstance(page.meta, PaginationMeta) and page.meta.pages == 4 and page.meta.total_pages == 4
    assert page.has_next_page()


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ({"meta": {"page": 1}}, "it has no data"),
        ({"data": "nope", "meta": {}}, "it has no data"),
        ({"data": [SESSION, "x"], "meta": {}}, r"data\[1\] is a string, not an object"),
        ([SESSION], "it is not a JSON object"),
    ],
    ids=["no-data", "data-not-a-list", "item-not-an-object", "not-an-object"],
)
def test_unusable_pages_fail_in_both_modes(c: PromptRails, mock: respx.MockRouter, body: Any, why: str) -> None:
    mock.get(SESSIONS).respond(200, json=body)
    with pytest.raises(APIError, match=f"cannot read the 200 response: {why}") as info:
        c.chat.list_sessions()
    assert not isinstance(info.value, APIResponseValidationError)


# -- the send response ----------------------------------------------------------------------


@pytest.mark.parametrize("status", [200, 201])
def test_send_answered_as_the_message(c: PromptRails, mock: respx.MockRouter, status: int) -> None:
    mock.post("/api/v1/chat/sessions/s1/messages").respond(status, json={"data": REPLY})
    reply = c.chat.send_message("s1", content="Hi")
    assert isinstance(reply, ChatReply) and reply.content == "You said: Hi" and reply.role == MessageRole.ASSISTANT
    assert reply.execution_id == "e1" and isinstance(reply.user_message, ChatMessage)
    assert reply.user_message.content == "Hi" and reply.assistant_message is None


@pytest.mark.parametrize("status", [200, 201])
def test_send_answered_as_user_and_assistant_messages(c: PromptRails, mock: respx.MockRouter, status: int) -> None:
    assistant = {**MESSAGE, "id": "m2", "role": "assistant", "content": "You said: Hi", "metadata": {"execution_id": "e1"}}
    mock.post("/api/v1/chat/sessions/s1/messages").respond(
        status, json={"data": {"user_message": MESSAGE, "assistant_message": assistant}}
    )
    reply = c.chat.send_message("s1", content="Hi")
    assert reply.id == "m2" and reply.content == "You said: Hi" and reply.role == "assistant"
    assert reply.metadata == {"execution_id": "e1"} and reply.created_at is not None
    assert reply.user_message is not None and reply.user_message.id == "m1"
    assert reply.assistant_message is not None and reply.assistant_message.content == "You said: Hi"


def test_send_answered_before_the_run_finished(c: PromptRails, mock: respx.MockRouter) -> None:
    mock.post("/api/v1/chat/sessions/s1/messages").respond(
        202, json={"data": {"user_message": MESSAGE, "assistant_message": None, "execution_id": "e9"}}
    )
    reply = c.chat.send_message("s1", content="Hi")
    assert reply.content is None and reply.assistant_message is None and reply.execution_id == "e9"
    assert reply.user_message is not None and reply.user_message.content == "Hi"


# -- executions -----------------------------------------------------------------------------


def test_execution_with_object_input_output_and_more_fields(c: PromptRails, mock: respx.MockRouter) -> None:
    data = {**EXECUTION, "status": "waiting_approval", "cost": 0.01, "duration_ms": 840, "trace_id": "tr1",
            "agent": {"id": "a1", "name": "Support"}, "steps": [{"n": 1}]}
    mock.get(EXEC).respond(200, json={"data": data})
    ex = c.executions.get("e1")
    assert isinstance(ex, Execution) and ex.status == ExecutionStatus.WAITING_APPROVAL
    assert ex.input == {"message": "Hi"} and ex.output == {"content": "You said: Hi"}
    assert ex.output_text == "You said: Hi" and ex.agent == {"id": "a1", "name": "Support"}
    assert ex.additional_properties == {"steps": [{"n": 1}]}
    assert ex.to_dict() == data


@pytest.mark.parametrize("output", [None, "done", {"text": "t"}, {"other": 1}, [1]])
def test_execution_output_any_json(c: PromptRails, mock: respx.MockRouter, output: Any) -> None:
    mock.get(EXEC).respond(200, json={"data": {"id": "e1", "status": "completed", "output": output, "input": None}})
    ex = c.executions.get("e1")
    assert ex.output == output and ex.input is None
    assert ex.output_text == (output if isinstance(output, str) else (output.get("text") if isinstance(output, dict) else None))


def test_sparse_execution(c: PromptRails, mock: respx.MockRouter) -> None:
    mock.get(EXEC).respond(200, json={"data": {"id": "e1", "status": "running"}})
    ex = c.executions.get("e1")
    assert ex.id == "e1" and ex.status == "running"
    assert ex.session_id is None and ex.token_usage is None and ex.created_at is None and ex.output is None
    assert ex.to_dict() == {"id": "e1", "status": "running"}


def test_unknown_execution_status(c: PromptRails, strict: bool, mock: respx.MockRouter) -> None:
    mock.get(EXEC).respond(200, json={"data": {**EXECUTION, "status": "paused"}})
    if strict:
        with pytest.raises(APIResponseValidationError) as info:
            c.executions.get("e1")
        err = info.value
        assert err.path == "data.status" and "'paused' is not one of the values" in err.reason
        assert err.status_code == 200 and err.response is not None and err.body == {"data": {**EXECUTION, "status": "paused"}}
        assert error_kind(err) == "response_validation" and isinstance(err, APIError)
        return
    ex = c.executions.get("e1")
    assert ex.status == "paused" and not isinstance(ex.status, ExecutionStatus)


@pytest.mark.parametrize(
    ("change", "path", "attr"),
    [
        ({"cost": "free"}, "data.cost", "cost"),
        ({"status": None}, "data.status", "status"),
        ({"token_usage": {"total_tokens": -1.5}}, "data.token_usage.total_tokens", None),
        ({"created_at": 5}, "data.created_at", "created_at"),
    ],
    ids=["number-as-string", "required-null", "counter-not-integer", "date-as-number"],
)
def test_execution_fields_of_another_type(
    c: PromptRails, strict: bool, mock: respx.MockRouter, change: dict[str, Any], path: str, attr: str | None
) -> None:
    mock.get(EXEC).respond(200, json={"data": {**EXECUTION, **change}})
    if strict:
        with pytest.raises(APIResponseValidationError) as info:
            c.executions.get("e1")
        assert info.value.path == path
        return
    ex = c.executions.get("e1")
    if attr is not None:
        assert getattr(ex, attr) is None and ex.additional_properties[attr] == change[attr]
        assert ex.to_dict()[attr] == change[attr]


def test_missing_required_field(c: PromptRails, strict: bool, mock: respx.MockRouter) -> None:
    session = {k: v for k, v in SESSION.items() if k != "workspace_id"}
    mock.get("/api/v1/chat/sessions/s1").respond(200, json={"data": session})
    if strict:
        with pytest.raises(APIResponseValidationError, match="at data.workspace_id: missing required field"):
            c.chat.get_session("s1")
        return
    s = c.chat.get_session("s1")
    assert s.workspace_id is None and s.id == "s1" and "workspace_id" not in s.to_dict()


def test_unknown_fields_pass_in_both_modes(c: PromptRails, mock: respx.MockRouter) -> None:
    mock.get("/api/v1/chat/sessions/s1").respond(200, json={"data": {**SESSION, "pinned": True}, "request": "r1"})
    s = c.chat.get_session("s1")
    assert s.additional_properties == {"pinned": True} and s["pinned"] is True and "pinned" in s


def test_an_unparseable_date_stays_a_string(c: PromptRails, mock: respx.MockRouter) -> None:
    mock.get("/api/v1/chat/sessions/s1").respond(200, json={"data": {**SESSION, "created_at": "yesterday"}})
    assert c.chat.get_session("s1").created_at == "yesterday"  # formats are not checked, in either mode


# -- error bodies -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message", "code", "body"),
    [
        ({"json": error_body("not_found", "Chat session not found.", id="s1")}, "Chat session not found.", "not_found",
         error_body("not_found", "Chat session not found.", id="s1")),
        ({"json": {"error": "session not found"}}, "session not found", None, {"error": "session not found"}),
        ({"json": {"message": "Not Found"}}, "Not Found", None, {"message": "Not Found"}),
        ({"content": b"<html>404</html>"}, "Not Found", None, "<html>404</html>"),
        ({"json": ["x"]}, "Not Found", None, ["x"]),
        ({"json": {"error": {"detail": "?"}}}, "Not Found", None, {"error": {"detail": "?"}}),
    ],
    ids=["envelope", "string", "framework-message", "not-json", "array", "object-without-message"],
)
def test_error_bodies_keep_their_message(
    c: PromptRails, mock: respx.MockRouter, kwargs: dict[str, Any], message: str, code: str | None, body: Any
) -> None:
    mock.get("/api/v1/chat/sessions/s1").respond(404, **kwargs)
    with pytest.raises(NotFoundError) as info:
        c.chat.get_session("s1")
    err = info.value
    assert err.message == message and err.code == code and err.body == body and err.status_code == 404


def test_delete_answered_200_with_a_body(c: PromptRails, mock: respx.MockRouter) -> None:
    mock.delete("/api/v1/chat/sessions/s1").respond(200, json={"data": {"deleted": True}})
    assert c.chat.delete_session("s1") is None
    mock.delete("/api/v1/chat/sessions/s2").respond(200, content=b"not json")
    assert c.chat.delete_session("s2") is None


@pytest.mark.parametrize("status", [200, 201, 202, 203])
def test_every_2xx_is_a_success(c: PromptRails, mock: respx.MockRouter, status: int) -> None:
    mock.post(SESSIONS).respond(status, json={"data": SESSION})
    assert c.chat.create_session(agent_id="echo").id == "s1"


# -- async, both modes ----------------------------------------------------------------------


@pytest.mark.asyncio
async def test_async_reads_the_same(strict: bool, mock: respx.MockRouter) -> None:
    client = AsyncPromptRails(KEY, strict_response_validation=strict, max_retries=0)
    mock.get(SESSIONS).respond(200, json={"data": [SESSION], "meta": {"pages": 1}})
    assert [s.id async for s in client.chat.list_sessions()] == ["s1"]
    mock.post(STREAM).respond(200, headers=SSE_HEADERS, content=run_with('{"output":{"content":"x"}}'))
    result = await (await client.chat.send_message_stream("s1", content="Hi")).until_done()
    assert result.output_text == "x"
    mock.get(EXEC).respond(200, json={"data": {**EXECUTION, "status": "paused"}})
    if strict:
        with pytest.raises(APIResponseValidationError):
            await client.executions.get("e1")
    else:
        assert (await client.executions.get("e1")).status == "paused"
    await client.close()


def test_strict_is_off_by_default() -> None:
    with PromptRails(KEY) as client:
        assert client.strict_response_validation is False
    with PromptRails(KEY, strict_response_validation=True) as client:
        assert client.strict_response_validation is True


# -- models users can hold ------------------------------------------------------------------


def _public_classes() -> list[type]:
    names = [*models.__all__, *(n for n in events_module.__all__ if n.endswith("Event") and n != "UnknownEvent")]
    classes = [getattr(models, n, None) or getattr(events_module, n) for n in names]
    return [c for c in classes if isinstance(c, type) and hasattr(c, "to_dict")]


def test_public_annotations_never_show_unset() -> None:
    classes = _public_classes()
    assert len(classes) >= 12
    for cls in classes:
        for klass in cls.__mro__:
            for name, annotation in getattr(klass, "__annotations__", {}).items():
                assert "Unset" not in str(annotation), f"{cls.__name__}.{name}: {annotation}"


def test_sparse_models_hold_none_not_unset() -> None:
    for cls in _public_classes():
        obj = cls.from_dict({})
        for name in getattr(obj, "__attrs_attrs__", None) or getattr(obj, "__dataclass_fields__", {}):
            key = name if isinstance(name, str) else name.name
            value = getattr(obj, key)
            assert type(value).__name__ != "Unset", f"{cls.__name__}.{key}"
        assert obj.to_dict() == {}


@pytest.mark.parametrize(
    ("cls", "data"),
    [
        (ChatSession, SESSION),
        (ChatMessage, {**MESSAGE, "tool_calls": [{"id": "t1", "name": "lookup", "arguments": {"q": 1}}],
                       "tool_results": {"t1": "ok"}}),
        (ChatReply, REPLY),
        (Execution, EXECUTION),
        (PaginationMeta, {"total": 1, "page": 1, "limit": 20, "pages": 1, "total_pages": 1}),
        (TokenUsage, {"total_tokens": 3, "later_counter": 9}),
    ],
    ids=lambda v: v.__name__ if isinstance(v, type) else "",
)
def test_models_convert_to_plain_json_and_back(cls: Any, data: dict[str, Any]) -> None:
    obj = cls.from_dict(data)
    plain = obj.to_dict()
    assert json.loads(json.dumps(plain)) == plain == json.loads(obj.to_json())
    assert cls.from_dict(plain) == obj
    for key, value in data.items():
        if key.endswith("_at"):
            continue  # a datetime comes back in ISO form, perhaps spelled otherwise
        assert plain[key] == value, key


def test_metadata_is_a_plain_dict() -> None:
    s = ChatSession.from_dict(SESSION)
    assert type(s.metadata) is dict and s.metadata == {"channel": "web"}
    m = ChatMessage.from_dict({**MESSAGE, "metadata": {"a": {"b": [1]}}})
    assert type(m.metadata) is dict and m.metadata["a"] == {"b": [1]}


def test_only_modules_the_sdk_uses_are_shipped() -> None:
    import promptrails

    package = Path(promptrails.__file__).parent
    generated = package / "_generated"
    assert not (generated / "client.py").exists() and not (generated / "errors.py").exists()
    for path in generated.rglob("*.py"):
        module = "promptrails." + path.relative_to(package).with_suffix("").as_posix().replace("/", ".")
        module = module.removesuffix(".__init__")
        assert module in sys.modules, f"{module} is shipped but nothing imports it"
    for path in (generated / "api").rglob("*.py"):
        text = path.read_text()
        assert "def sync(" not in text and "def asyncio(" not in text and "_parse_response" not in text


def test_request_bodies_send_what_was_given(mock: respx.MockRouter) -> None:
    route = mock.patch("/api/v1/chat/sessions/s1").respond(200, json={"data": SESSION})
    with PromptRails(KEY) as client:
        client.chat.update_session("s1", title=None)
        client.chat.update_session("s1", metadata={"a": 1})
    assert [json.loads(call.request.content) for call in route.calls] == [{"title": None}, {"metadata": {"a": 1}}]


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router
