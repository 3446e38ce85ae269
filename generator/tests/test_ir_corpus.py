"""The IR of every spec in the corpus (generator/tests/specs/ and our own openapi.yaml):
it builds with no error, drops nothing, and makes the decisions each spec's owners meant."""

from __future__ import annotations

from pathlib import Path

import pytest

from sdkgen.builder import build_ir
from sdkgen.ir import IR, EventStream, Operation
from sdkgen.spec import load_spec

HERE = Path(__file__).parent
SPECS = HERE / "specs"
ROOT = HERE.parent.parent
CORPUS = sorted(p.name for p in SPECS.glob("*.yaml") if p.name != "adversarial.yaml")


@pytest.fixture(scope="module")
def irs() -> dict[str, IR]:
    out = {name: build_ir(load_spec(SPECS / name)) for name in CORPUS}
    out["openapi.yaml"] = build_ir(load_spec(ROOT / "openapi.yaml"))
    return out


def op(ir: IR, key: str) -> Operation:
    return next(o for o in ir.operations if o.key == key)


def stream_of(ir: IR, key: str) -> EventStream:
    o = op(ir, key)
    assert o.result.kind == "stream" and o.result.stream is not None
    return ir.streams[o.result.stream]


def test_the_corpus_is_what_the_issue_asks_for() -> None:
    assert CORPUS == ["anthropic-messages.yaml", "oas32-itemschema.yaml", "openai-chat.yaml", "petstore-3.0.yaml",
                      "petstore-3.1.yaml", "stripe-customers.yaml"]


@pytest.mark.parametrize("name", [*CORPUS, "openapi.yaml"])
def test_builds_without_errors_and_drops_nothing(irs: dict[str, IR], name: str) -> None:
    ir = irs[name]
    assert ir.errors == [], [str(d) for d in ir.errors]
    assert ir.dropped == []
    assert ir.operations, "every corpus spec has operations"


@pytest.mark.parametrize("name", [*CORPUS, "openapi.yaml"])
def test_building_twice_gives_the_same_ir(irs: dict[str, IR], name: str) -> None:
    path = ROOT / "openapi.yaml" if name == "openapi.yaml" else SPECS / name
    assert build_ir(load_spec(path)).model_dump_json() == irs[name].model_dump_json()


@pytest.mark.parametrize("name", [*CORPUS, "openapi.yaml"])
def test_every_operation_and_schema_of_the_spec_is_in_the_ir(irs: dict[str, IR], name: str) -> None:
    path = ROOT / "openapi.yaml" if name == "openapi.yaml" else SPECS / name
    spec = load_spec(path)
    ids = {(str(p), m) for p, item in spec.raw["paths"].items() for m in item
           if m in ("get", "post", "put", "patch", "delete")}
    ir = irs[name]
    assert {(o.path, o.http_method) for o in ir.operations} == ids
    built = set(ir.models) | set(ir.enums) | set(ir.unions) | set(ir.streams) | set(ir.aliases)
    assert [n for n in spec.schemas if n not in built] == []


# -- our own contract ---------------------------------------------------------------------


def test_our_contract_decisions(irs: dict[str, IR]) -> None:
    ir = irs["openapi.yaml"]
    assert [(a.kind, a.location, a.param, a.env) for a in ir.auth] == [
        ("api_key", "header", "X-API-Key", ["PROMPTRAILS_API_KEY"])]
    s = stream_of(ir, "sendMessageStream")
    assert (s.dispatch, s.sentinel, s.eof_ends) == ("event", None, False)
    assert (s.success_event, s.failure_events) == ("done", ["error"])
    assert s.text_delta is not None and (s.text_delta.event, s.text_delta.path) == ("content", ["content"])
    assert s.usage is not None and (s.usage.event, s.usage.path) == ("done", ["token_usage"])
    assert s.output is not None and (s.output.event, s.output.path, s.output.text_keys) == (
        "done", ["output"], ["content", "text"])
    assert s.resume is not None
    assert (s.resume.operation_id, s.resume.header) == ("streamExecution", "Last-Event-ID")
    assert [(b.param, b.field) for b in s.resume.bindings] == [("execution_id", "execution_id")]
    assert s.resume.carriers == ["execution"]
    assert s.operations == ["sendMessageStream", "streamExecution"]
    assert all(s.decisions[k] == f"extension: x-sdk-stream.{k}" for k in ("success", "text", "output", "usage", "resume"))
    assert op(ir, "createSession").result.wrapped and op(ir, "createSession").decisions["envelope"].startswith("rule")
    assert op(ir, "listSessions").result.kind == "page"
    assert op(ir, "createSession").params_required and not op(ir, "listSessions").params_required
    assert {n for n, m in ir.models.items() if m.visibility == "internal"} == {
        n for n, m in ir.models.items() if m.is_envelope or m.is_request_body or m.is_event_data or m.is_event_frame}
    assert ir.unions["ErrorResponseError"].variants[0].type.ref == "ErrorBody"


# -- OpenAI: data-only frames ended by [DONE]; JSON or SSE by `stream: true` ------------------


def test_openai_chat_completions(irs: dict[str, IR]) -> None:
    ir = irs["openai-chat.yaml"]
    assert [(a.kind, a.param, a.prefix, a.env) for a in ir.auth] == [
        ("bearer", "Authorization", "Bearer ", ["OPENAI_API_KEY"])]
    plain, streaming = op(ir, "createChatCompletion"), op(ir, "createChatCompletion:stream")
    assert (plain.name.python_member, streaming.name.python_member) == ("create_chat_completion", "create_chat_completion_stream")
    assert (plain.variant, plain.pair, streaming.variant, streaming.pair) == (
        "plain", "createChatCompletion:stream", "stream", "createChatCompletion")
    assert plain.body_switch is not None and (plain.body_switch.field, plain.body_switch.value) == ("stream", False)
    assert streaming.body_switch is not None and streaming.body_switch.value is True
    assert plain.body is not None and "stream" not in [f.wire_name for f in plain.body.fields]
    assert "messages" in [f.wire_name for f in plain.body.fields] and plain.params_required
    assert plain.result.kind == "model" and not plain.result.wrapped
    assert plain.result.type is not None and plain.result.type.ref == "CreateChatCompletionResponse"
    s = stream_of(ir, "createChatCompletion:stream")
    assert (s.dispatch, s.sentinel, s.terminal_events, s.success_event) == ("single", "[DONE]", [], None)
    assert [e.event for e in s.events] == ["message"] and s.events[0].data_schema == "CreateChatCompletionStreamResponse"
    assert s.text_delta is not None and s.text_delta.path == ["choices", 0, "delta", "content"]
    assert s.usage is not None and s.usage.path == ["usage"]
    assert s.decisions["sentinel"] == "extension: x-sdk-stream.sentinel"
    # the message union, discriminated by role
    u = ir.unions["ChatCompletionRequestMessage"]
    assert u.discriminator == "role"
    assert [v.tags for v in u.variants] == [["developer"], ["system"], ["user"], ["assistant"], ["tool"]]
    # 3.0-style `nullable: true` inside a 3.1 document, and 3.1 `anyOf [x, null]`
    usage = {f.wire_name: f for f in ir.models["CreateChatCompletionStreamResponse"].fields}["usage"]
    assert usage.type.nullable and usage.type.ref == "CompletionUsage"
    content = {f.wire_name: f for f in ir.models["ChatCompletionStreamResponseDelta"].fields}["content"]
    assert (content.type.kind, content.type.nullable) == ("string", True)


def test_openai_speech_binary_or_events_and_file_upload(irs: dict[str, IR]) -> None:
    ir = irs["openai-chat.yaml"]
    speech = op(ir, "createSpeech")
    assert speech.result.kind == "binary" and speech.accept == "application/octet-stream"
    assert speech.body_switch is not None and (speech.body_switch.field, speech.body_switch.value) == ("stream_format", "audio")
    events = op(ir, "createSpeech:stream")
    assert events.body_switch is not None and events.body_switch.value == "sse"
    s = stream_of(ir, "createSpeech:stream")
    assert (s.dispatch, s.data_property) == ("property", "type")
    assert [(e.event, e.tag, e.terminal) for e in s.events] == [
        ("speech.audio.delta", "speech.audio.delta", False), ("speech.audio.done", "speech.audio.done", True)]
    assert s.text_delta is None  # audio deltas are not text; no rule may guess them
    upload = op(ir, "createFile")
    assert upload.body is not None and upload.body.kind == "multipart"
    file_field = {f.wire_name: f for f in upload.body.fields}["file"]
    assert (file_field.type.kind, file_field.type.format) == ("string", "binary")


# -- Anthropic: events told apart by `type` inside the data --------------------------------------


def test_anthropic_messages(irs: dict[str, IR]) -> None:
    ir = irs["anthropic-messages.yaml"]
    assert [(a.kind, a.location, a.param) for a in ir.auth] == [("api_key", "header", "x-api-key")]
    s = stream_of(ir, "messages_post:stream")
    assert (s.dispatch, s.data_property) == ("property", "type")
    assert [e.event for e in s.events] == ["message_start", "message_delta", "message_stop", "content_block_start",
                                           "content_block_delta", "content_block_stop", "ping", "error"]
    assert all(e.sse_event == e.event == e.tag for e in s.events)  # `event:` names equal the type (x-sdk-stream)
    assert (s.success_event, s.failure_events, s.terminal_events) == ("message_stop", ["error"], ["message_stop", "error"])
    assert s.text_delta is not None and (s.text_delta.event, s.text_delta.path) == ("content_block_delta", ["delta", "text"])
    assert s.usage is not None and (s.usage.event, s.usage.path) == ("message_delta", ["usage"])
    # the event types take the natural names; the data schemas they wrap step aside
    names = {e.event: e.name.typescript_type for e in s.events}
    assert names["message_start"] == "MessageStartEvent"
    assert ir.models["MessageStartEvent"].name.typescript_type == "MessageStartEventModel"
    assert ir.models["MessageStartEvent"].visibility == "internal"
    # schema names equal to the runtimes' error classes are renamed, per language
    api_error = ir.models["APIError"].name
    assert (api_error.python_type, api_error.go_type) != ("APIError", "APIError")
    assert api_error.go_type == "APIErrorModel"
    assert op(ir, "models_list").result.type is not None and op(ir, "models_list").result.type.ref == "ListResponse_ModelInfo_"
    limit = next(p for p in op(ir, "models_list").query_params if p.wire_name == "limit")
    assert (limit.type.kind, limit.constraints) == ("integer", {"minimum": 1, "maximum": 1000})
    model = {f.wire_name: f for f in ir.models["CreateMessageParams"].fields}["model"]
    assert model.type.kind == "string"  # `anyOf [string, const...]`: an open enum is its kind


# -- Petstore 3.0 and 3.1 ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["petstore-3.0.yaml", "petstore-3.1.yaml"])
def test_petstore(irs: dict[str, IR], name: str) -> None:
    ir = irs[name]
    by_status = op(ir, "findPetsByStatus")
    assert by_status.result.type is not None and (by_status.result.type.kind, by_status.result.type.items.ref) == (  # type: ignore[union-attr]
        "array", "Pet")
    assert not by_status.result.wrapped and by_status.result.envelope is None
    upload = op(ir, "uploadFile")
    assert upload.body is not None and (upload.body.kind, upload.body.content_type) == ("binary", "application/octet-stream")
    assert upload.body.type is not None and upload.body.type.format == "binary"
    pet_id = upload.path_params[0]
    assert (pet_id.wire_name, pet_id.type.kind, pet_id.type.format, pet_id.required) == ("petId", "integer", "int64", True)
    get = op(ir, "getPetById")
    assert get.result.type is not None and get.result.type.ref == "Pet" and not get.result.wrapped
    assert sorted(map(tuple, get.security)) == [("api_key",), ("petstore_auth",)]
    kinds = {a.key: (a.kind, a.location) for a in ir.auth}
    assert kinds["api_key"] == ("api_key", "header") and kinds["petstore_auth"] == ("oauth2", "header")
    # tag `pet` and schema `Pet`: the resource steps aside where they share a namespace
    pet = next(r for r in ir.resources if r.tag == "pet")
    assert (pet.name.typescript_type, pet.name.python_type, ir.models["Pet"].name.typescript_type) == (
        "PetResource", "PetResource", "Pet")
    assert pet.name.go_type == "Pet"  # Go derives `PetService`, which is free


def test_petstore_30_specifics(irs: dict[str, IR]) -> None:
    ir = irs["petstore-3.0.yaml"]
    assert op(ir, "getInventory").result.type is not None and op(ir, "getInventory").result.type.kind == "map"
    login = op(ir, "loginUser")
    assert login.result.type is not None and login.result.type.kind == "string"
    update_user = op(ir, "updateUser")  # path `username` and body field `username`: one keyword scope in Python
    body_username = next(f for f in update_user.body.fields if f.wire_name == "username")  # type: ignore[union-attr]
    assert (update_user.path_params[0].name.python_member, body_username.name.python_member) == ("username", "username_2")
    assert body_username.name.typescript_member == "username"  # TS: path argument and params key do not clash


def test_petstore_31_specifics(irs: dict[str, IR]) -> None:
    ir = irs["petstore-3.1.yaml"]
    pet = {f.wire_name: f for f in ir.models["Pet"].fields}
    # `$ref`s to schema `$id`s and an `$anchor`
    assert pet["petDetails"].type.ref == "PetDetails"
    assert (pet["petDetailsId"].type.kind, pet["petDetailsId"].type.format) == ("integer", "int64")
    assert {a.key: a.kind for a in ir.auth}["mutual_tls"] == "mutual_tls"


# -- Stripe: form bodies, expandable unions, a reference cycle, basic auth ---------------------------


def test_stripe_customers(irs: dict[str, IR]) -> None:
    ir = irs["stripe-customers.yaml"]
    assert [(a.kind, a.env) for a in ir.auth] == [
        ("basic", ["STRIPE_USERNAME", "STRIPE_PASSWORD"]), ("bearer", ["STRIPE_API_KEY"])]
    assert op(ir, "GetCustomers").security == [["basicAuth"], ["bearerAuth"]]
    listing = op(ir, "GetCustomers")
    assert listing.body is None  # an empty form body is no body
    assert not listing.result.wrapped and listing.result.type is not None and listing.result.type.kind == "model"
    created = next(p for p in listing.query_params if p.wire_name == "created")
    assert created.type.union is not None and (created.style, created.explode) == ("deepObject", True)
    expand = next(p for p in listing.query_params if p.wire_name == "expand")
    assert expand.type.kind == "array"
    create = op(ir, "PostCustomers")
    assert create.body is not None and create.body.kind == "form"
    retrieve = op(ir, "GetCustomersCustomer")
    assert retrieve.result.type is not None and retrieve.result.type.union is not None
    union = ir.unions[retrieve.result.type.union]
    assert [v.type.ref for v in union.variants] == ["customer", "deleted_customer"]
    assert ir.models["customer"].recursive and ir.models["discount"].recursive
    tax_exempt = next(f for f in create.body.fields if f.wire_name == "tax_exempt")
    assert tax_exempt.constraints["enum"][0] == ""


# -- OpenAPI 3.2 itemSchema ----------------------------------------------------------------------


def test_openapi_32_item_schema(irs: dict[str, IR]) -> None:
    ir = irs["oas32-itemschema.yaml"]
    assert ir.sdk.openapi == "3.2.0"
    s = stream_of(ir, "streamTypedData")
    assert s.item_schema and s.dispatch == "event" and s.eof_ends
    events = {e.event: e for e in s.events}
    assert [e.event for e in s.events] == ["addString", "addInt64", "addJson"]
    assert (events["addString"].data_format, events["addString"].data_type.kind) == ("text", "string")  # type: ignore[union-attr]
    assert (events["addInt64"].data_format, events["addInt64"].data_type.format) == ("text", "int64")  # type: ignore[union-attr]
    assert events["addJson"].data_format == "json" and [f.wire_name for f in events["addJson"].fields] == ["foo"]
    assert s.text_delta is not None and (s.text_delta.event, s.text_delta.path) == ("addString", [])
    todos = stream_of(ir, "streamTodos")
    assert (todos.dispatch, [e.data_schema for e in todos.events]) == ("single", ["Todo"])
    assert todos.events[0].sse_event is None and todos.events[0].name.python_type == "TodoEvent"
    pets = stream_of(ir, "streamPets")
    assert [(e.event, e.data_type.union) for e in pets.events] == [("Kitten", "UnionPet"), ("Puppy", "UnionPet")]  # type: ignore[union-attr]
