"""Unit tests of the spec loader and the IR builder (layers 1 and 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sdkgen import naming
from sdkgen.builder import build_ir
from sdkgen.ir import IR, Names
from sdkgen.spec import SpecError, load_spec

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
FIXTURES = HERE / "fixtures"
SPEC = ROOT / "openapi.yaml"


@pytest.fixture(scope="module")
def ir() -> IR:
    return build_ir(load_spec(ROOT / "openapi.yaml"))


@pytest.fixture(scope="module")
def notebook() -> IR:
    return build_ir(load_spec(FIXTURES / "notebook.yaml"))


@pytest.fixture(scope="module")
def broken() -> IR:
    return build_ir(load_spec(FIXTURES / "broken.yaml"))


def op(ir: IR, tag: str, name: str):
    resource = next(r for r in ir.resources if r.tag == tag)
    return next(o for o in resource.operations if o.name.snake == name)


# -- naming --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "snake", "camel", "pascal", "go"),
    [
        ("listSessions", "list_sessions", "listSessions", "ListSessions", "ListSessions"),
        ("session_id", "session_id", "sessionId", "SessionId", "SessionID"),
        ("Last-Event-ID", "last_event_id", "lastEventId", "LastEventId", "LastEventID"),
        ("tool_start", "tool_start", "toolStart", "ToolStart", "ToolStart"),
        ("HTTPServerURL", "http_server_url", "httpServerUrl", "HttpServerUrl", "HTTPServerURL"),
        ("X-API-Key", "x_api_key", "xApiKey", "XApiKey", "XAPIKey"),
    ],
)
def test_names_for_every_language(raw: str, snake: str, camel: str, pascal: str, go: str) -> None:
    n = Names.of(raw)
    assert (n.snake, n.camel, n.pascal, n.go) == (snake, camel, pascal, go)


def test_reserved_words_are_escaped_per_language() -> None:
    assert naming.python_ident("class") == "class_"
    assert naming.python_ident("from") == "from_"
    assert naming.ts_ident("delete") == "delete_"
    assert naming.go_camel("type") == "type_"
    assert naming.python_ident("2fa") == "n2fa"
    assert naming.go_ident("2fa") == "N2fa"


# -- the contract ----------------------------------------------------------------------


def test_contract_builds_without_problems(ir: IR) -> None:
    assert ir.errors == [] and ir.warnings == [] and ir.dropped == []
    # The contract says every stream decision itself (x-sdk-stream): no rule had to decide.
    assert ir.notes == []


def test_sdk_info_comes_from_x_sdk(ir: IR) -> None:
    assert ir.sdk.name.pascal == "PromptRails"
    assert ir.sdk.env_prefix == "PROMPTRAILS"
    assert ir.sdk.slug == "promptrails"
    assert ir.sdk.auth_header == "X-API-Key"
    assert ir.sdk.default_base_url == "https://api.promptrails.ai"
    assert (ir.sdk.python_package, ir.sdk.npm_package, ir.sdk.go_module) == (
        "promptrails", "@promptrails/sdk", "github.com/promptrails/go-sdk")


def test_resources_are_grouped_by_tag_in_spec_order(ir: IR) -> None:
    assert [r.tag for r in ir.resources] == ["chat", "executions"]
    assert [o.name.snake for o in ir.resources[0].operations] == [
        "list_sessions", "create_session", "get_session", "update_session", "delete_session",
        "list_messages", "send_message", "send_message_stream", "delete_message", "submit_feedback",
    ]


def test_x_sdk_method_renames_the_method(ir: IR) -> None:
    names = [(o.operation_id, o.name.snake, o.name.go) for o in ir.resources[1].operations]
    assert names == [("listExecutions", "list", "List"), ("cancelExecution", "cancel", "Cancel"),
                     ("getExecution", "get", "Get"), ("streamExecution", "stream", "Stream")]


def test_envelopes_are_unwrapped(ir: IR) -> None:
    create = op(ir, "chat", "create_session")
    assert create.result.kind == "model"
    assert create.result.status == 201
    assert (create.result.envelope, create.result.unwrap) == ("ChatSessionResponse", "data")
    assert create.result.type is not None and create.result.type.ref == "ChatSession"
    assert ir.models["ChatSessionResponse"].is_envelope


def test_paginated_lists(ir: IR) -> None:
    lst = op(ir, "chat", "list_messages")
    assert lst.pagination is not None and lst.pagination.page_param == "page"
    assert lst.result.kind == "page"
    assert lst.result.type is not None and lst.result.type.ref == "ChatMessage"
    assert lst.result.meta_schema == "PaginationMeta"
    roles = {p.wire_name: p.role for p in lst.query_params}
    assert roles == {"page": "page", "limit": "limit"}
    limit = next(p for p in lst.query_params if p.wire_name == "limit")
    assert limit.constraints == {"minimum": 1, "maximum": 100} and limit.default == 20


def test_no_content_result(ir: IR) -> None:
    assert op(ir, "chat", "delete_session").result.kind == "none"
    assert op(ir, "chat", "delete_session").result.status == 204


def test_idempotency_key_is_runtime_managed(ir: IR) -> None:
    send = op(ir, "chat", "send_message")
    assert send.idempotent
    assert all(p.role != "idempotency_key" for p in send.header_params)
    assert not op(ir, "chat", "get_session").idempotent
    posts = [o for o in ir.operations if o.http_method == "post"]
    assert posts and all(o.idempotent for o in posts)


def test_last_event_id_is_a_user_parameter(ir: IR) -> None:
    stream = op(ir, "executions", "stream")
    assert [(p.wire_name, p.role, p.name.python, p.name.go) for p in stream.header_params] == [
        ("Last-Event-ID", "last_event_id", "last_event_id", "LastEventID")]


def test_request_body_fields_and_params_names(ir: IR) -> None:
    create = op(ir, "chat", "create_session")
    assert create.body is not None
    fields = {f.wire_name: f for f in create.body.fields}
    assert list(fields) == ["agent_id", "title", "metadata"]
    assert fields["agent_id"].required and not fields["title"].required
    assert fields["title"].type.nullable and fields["title"].type.kind == "string"
    assert fields["metadata"].type.kind == "map"
    assert create.params_name.pascal == "CreateSessionParams"
    assert op(ir, "chat", "send_message_stream").params_name.pascal == "SendMessageParams"
    assert op(ir, "chat", "list_sessions").params_name.pascal == "ListSessionsParams"


def test_a_composition_beside_properties_only_validates(ir: IR) -> None:
    reply = ir.models["ChatReply"]
    names = [f.wire_name for f in reply.fields]
    assert names[: len(ir.models["ChatMessage"].fields)] == [f.wire_name for f in ir.models["ChatMessage"].fields]
    assert names[-3:] == ["execution_id", "user_message", "assistant_message"]
    assert reply.bases == [] and reply.flatten == "assistant_message"
    assert "ChatReply" not in ir.unions


def test_nullable_one_of_and_enums(ir: IR) -> None:
    execution = {f.wire_name: f for f in ir.models["Execution"].fields}
    assert execution["token_usage"].type.kind == "model" and execution["token_usage"].type.nullable
    assert execution["status"].type.kind == "enum" and execution["status"].type.ref == "ExecutionStatus"
    assert [v.value for v in ir.enums["MessageRole"].values] == ["user", "assistant"]
    assert ir.models["TokenUsage"].additional_properties is not None


def test_stream_events_and_terminals(ir: IR) -> None:
    assert op(ir, "chat", "send_message_stream").result.kind == "stream"
    stream = ir.streams["ChatStreamFrame"]
    assert [(e.event, e.name.pascal) for e in stream.events] == [
        ("execution", "ExecutionEvent"), ("thinking", "ThinkingEvent"), ("tool_start", "ToolStartEvent"),
        ("tool_end", "ToolEndEvent"), ("content", "ContentEvent"), ("done", "DoneEvent"), ("error", "ErrorEvent")]
    assert stream.terminal_events == ["done", "error"]
    done = next(e for e in stream.events if e.event == "done")
    assert [f.wire_name for f in done.fields] == ["output", "token_usage", "time"]
    assert ir.models["DoneEventData"].is_event_data and ir.models["DoneFrame"].is_event_frame


# -- a spec unlike the contract ----------------------------------------------------------


def test_fixture_spec_has_what_the_contract_lacks(notebook: IR) -> None:
    assert notebook.errors == [] and notebook.warnings == [] and notebook.dropped == []
    assert notebook.sdk.auth_header == "X-Notebook-Token"
    assert [o.name.snake for o in notebook.operations] == [
        "list_notes", "create_note", "get_note", "delete_note", "archive_note", "summarize_note"]
    assert "Attachment" in notebook.models
    events = notebook.streams["SummaryFrame"].events
    citation = next(e for e in events if e.event == "citation")
    assert [f.wire_name for f in citation.fields] == ["source", "quote", "score"]
    assert notebook.streams["SummaryFrame"].terminal_events == ["finished", "failed"]
    tag = next(p for p in notebook.operations[0].query_params if p.wire_name == "tag")
    assert tag.role == "plain"


def test_inline_objects_become_named_models(notebook: IR) -> None:
    err = {f.wire_name: f for f in notebook.models["ErrorResponse"].fields}
    assert err["error"].type.ref == "ErrorResponseError"
    assert "ErrorResponseError" in notebook.models


# -- problems are values, and skip one piece -----------------------------------------------


def test_broken_pieces_are_reported_and_skipped(broken: IR) -> None:
    messages = [(d.severity, d.location, d.message) for d in broken.diagnostics]
    def has(loc_part: str, text: str) -> bool:
        return any(loc_part in loc and text in msg for _, loc, msg in messages)
    assert has("#/paths/~1things/post", "no operationId: it is named 'post_things'")
    assert has("#/paths/~1things~1{thing_id}/get", "placeholders without parameters")
    assert has("#/paths/~1widgets/get", "unknown schema 'Nope'")
    assert has("#/components/schemas/Frames", "x-terminal-events names 'finished'")
    assert has("#/components/schemas/Frames/oneOf/1", "$refs to named schemas")
    assert has("#/components/schemas/Thing/properties/parts", "unknown schema 'Missing'")
    # ...and everything else is still built.
    assert [o.operation_id for o in broken.operations] == ["listThings", "post_things", "streamEvents"]
    assert [e.event for e in broken.streams["Frames"].events] == ["tick"]
    assert [f.wire_name for f in broken.models["Thing"].fields] == ["id"]
    assert all(d.location.startswith("#/") for d in broken.diagnostics)


def test_unreadable_documents_raise(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("openapi: [unclosed")
    with pytest.raises(SpecError, match="not valid YAML"):
        load_spec(bad)
    swagger = tmp_path / "swagger.yaml"
    swagger.write_text("swagger: '2.0'\n")
    with pytest.raises(SpecError, match="not an OpenAPI 3"):
        load_spec(swagger)


def test_spec_validation_errors_are_diagnostics(tmp_path: Path) -> None:
    doc = tmp_path / "invalid.yaml"
    doc.write_text("openapi: 3.1.0\ninfo: {title: X}\npaths: {}\n")  # info.version missing
    ir = build_ir(load_spec(doc))
    assert any(d.severity == "error" and "spec validation" in d.message for d in ir.diagnostics)


def test_x_sdk_conversation_binds_the_chat_operations(ir: IR) -> None:
    chat = next(r for r in ir.resources if r.tag == "chat")
    conv = chat.conversation
    assert conv is not None
    assert (conv.open_method.python_member, conv.load_method.typescript_member, conv.open_method.go_member) == (
        "conversation", "load", "Conversation")
    assert (conv.create, conv.send, conv.stream, conv.history, conv.get, conv.delete) == (
        "createSession", "sendMessage", "sendMessageStream", "listMessages", "getSession", "deleteSession")
    assert (conv.session_param, conv.session_id_field, conv.text_field) == ("session_id", "id", "content")
    assert conv.create_fields == ["agent_id", "title", "metadata"]
    assert conv.usage_fields == {"prompt_tokens": "prompt_tokens", "completion_tokens": "completion_tokens"}
    assert conv.cost_field == "cost"
    assert next(r for r in ir.resources if r.tag == "executions").conversation is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"send": "nope"}, "'nope' is not an operation of this tag"),
        ({"history": "getSession"}, "must be a paginated list"),
        ({"text_field": "body"}, "has no body field 'body'"),
        ({"session_param": "sid"}, "has no path parameter 'sid'"),
        ({"cost_field": "price"}, "have no field 'price'"),
        ({"method": "send_message"}, "collides with an operation"),
    ],
)
def test_x_sdk_conversation_mistakes_drop_only_the_conversation(tmp_path: Path, change: dict[str, str], message: str) -> None:
    doc = yaml.safe_load(SPEC.read_text())
    doc["tags"][0]["x-sdk-conversation"].update(change)
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    broken = build_ir(load_spec(path))
    assert next(r for r in broken.resources if r.tag == "chat").conversation is None
    assert [d for d in broken.dropped if message in d.message], [str(d) for d in broken.diagnostics]
    assert len(broken.operations) == len(build_ir(load_spec(SPEC)).operations)
