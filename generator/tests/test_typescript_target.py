"""The TypeScript target renders the IR and nothing else.

- Its escaping filters, one per output context (string literal, comment, identifier, property
  key, Markdown), hold against every payload.
- Each decision comes from its IR field: change the field and the output follows (names, the
  resume route, the text delta, required params, the `{data}` envelope, body kinds, credentials).
- What the IR leaves TypeScript unable to render is a TargetError naming the entity.
- The reading normalisations (x-sdk-flatten, x-sdk-aliases, x-sdk-text) reach the shape tables.
- api.md lists every resource, method, parameter, return type and event type of the IR.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from sdkgen.builder import build_ir, build_ir_from_path
from sdkgen.spec import load_spec
from sdkgen.ir import IR, Names, TypeRef
from sdkgen.targets import RenderContext
from sdkgen.targets.typescript import (
    TARGET,
    TargetError,
    _Filters,
    _md_code,
    _md_text,
    _ts_comment,
    _ts_doc,
    _ts_ident,
    _ts_key,
    _ts_str,
)

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SPECS = HERE / "specs"
PAYLOAD = "*/ \"\"\" ''' ` ${process.exit(1)} // # \\ </script> {{ x }} {% x %} \x00 \u2028 \u2029 \n*/ /* -->"
CTX = RenderContext(spec_path=Path("x.yaml"), spec_name="x.yaml")

_irs: dict[str, IR] = {}


def ir_of(name: str) -> IR:
    if name not in _irs:
        path = REPO / "openapi.yaml" if name == "openapi" else SPECS / f"{name}.yaml"
        _irs[name] = build_ir_from_path(str(path))
    return _irs[name]


def render(ir: IR) -> dict[str, str]:
    return TARGET.render(ir, CTX)


# -- escaping ---------------------------------------------------------------------------------


def test_string_literals_hold_any_text() -> None:
    literal = _ts_str(PAYLOAD + "\u202e\u200b\ufeff\U0001f600")
    assert literal.startswith("'") and literal.endswith("'")
    inner = literal[1:-1]
    # No unescaped quote, no raw line terminator or control/format character inside.
    assert re.search(r"(?<!\\)'", inner.replace("\\\\", "")) is None
    for raw in ("\n", "\r", "\x00", "\u2028", "\u2029", "\u202e", "\u200b", "\ufeff"):
        assert raw not in inner
    assert "\\u2028" in inner and "\\u0000" in inner and "\\u202e" in inner and "\\n" in inner
    assert "\U0001f600" in inner  # printable text stays readable
    assert _ts_str("it's") == "'it\\'s'"


def test_comments_cannot_be_closed_or_broken() -> None:
    doc = _ts_doc(PAYLOAD + "\n\nsecond paragraph */", "  ")
    body = doc.strip()
    assert body.startswith("/**") and body.endswith("*/")
    assert body[3:-2].count("*/") == 0
    for raw in ("\x00", "\u2028", "\u2029"):
        assert raw not in doc
    assert _ts_doc("") == ""
    assert _ts_doc("One line.", "  ") == "  /** One line. */\n"
    line = _ts_comment(PAYLOAD)
    assert "*/" not in line and "\n" not in line


def test_identifiers_are_checked_never_escaped() -> None:
    assert _ts_ident("getItem2") == "getItem2"
    for bad in ("class", "a b", "2fa", "x*/", ""):
        with pytest.raises(TargetError):
            _ts_ident(bad)
    assert _ts_key("plain") == "plain"
    assert _ts_key("api_key */") == "'api_key */'"
    assert _ts_key("class") == "class"  # a reserved word is a valid property key


def test_markdown_escapes_and_code_spans() -> None:
    assert "<script>" not in _md_text("<script>alert(1)</script>")
    assert _md_text("a | b") == "a \\| b"
    assert _md_code("a ` b") == "``a ` b``"
    assert _md_code("A | B", cell=True) == "`A \\| B`"
    assert "\n" not in _md_code(PAYLOAD)


# -- decisions come from the IR -------------------------------------------------------------------


def test_names_come_from_the_ir() -> None:
    ir = ir_of("petstore-3.0")
    # The tag `pet` and the schema `Pet`: the IR named the resource PetResource.
    files = render(ir)
    assert "export class PetResource {" in files["src/resources/pet.ts"]
    assert "export interface Pet {" in files["src/models.ts"]
    pet = ir.models["Pet"]
    renamed = ir.model_copy(update={"models": {**ir.models, "Pet": pet.model_copy(update={
        "name": pet.name.model_copy(update={"typescript_type": "Animal"})})}})
    files = render(renamed)
    assert "export interface Animal {" in files["src/models.ts"]
    assert "APIPromise<M.Animal>" in files["src/resources/pet.ts"]
    assert "export interface Pet {" not in files["src/models.ts"]


def test_the_resume_route_and_text_delta_come_from_the_ir() -> None:
    ir = ir_of("openapi")
    stream = ir.streams["ChatStreamFrame"]
    events = render(ir)["src/events.ts"]
    assert "carriers: ['execution']," in events
    assert "bindings: [['execution_id', 'execution_id']]," in events
    assert "text: { event: 'content', path: ['content'] }," in events
    assert stream.resume is not None
    changed = stream.model_copy(update={
        "resume": None,
        "text_delta": stream.text_delta.model_copy(update={"event": "thinking"}) if stream.text_delta else None,
    })
    events = render(ir.model_copy(update={"streams": {**ir.streams, "ChatStreamFrame": changed}}))["src/events.ts"]
    assert "resume:" not in events
    assert "text: { event: 'thinking', path: ['content'] }," in events


def test_success_and_failure_come_from_the_ir() -> None:
    ir = build_ir_from_path(str(HERE / "fixtures" / "notebook.yaml"))
    stream = next(iter(ir.streams.values()))
    swapped = stream.model_copy(update={"success_event": "failed", "failure_events": ["finished"]})
    events = render(ir.model_copy(update={"streams": {stream.schema_name: swapped}}))["src/events.ts"]
    failed = events[events.index("name: 'failed',"):]
    assert "success: true," in failed[:failed.index("}")]
    finished = events[events.index("name: 'finished',"):]
    assert "failure: true," in finished[:finished.index("},\n")]


def test_required_params_come_from_the_ir() -> None:
    ir = ir_of("openapi")
    chat = render(ir)["src/resources/chat.ts"]
    assert "sendMessage(sessionId: string, params: SendMessageParams, options?: RequestOptions)" in chat
    resources = []
    for r in ir.resources:
        ops = [op.model_copy(update={"params_required": False}) if op.key == "sendMessage" else op for r2 in [r]
               for op in r2.operations]
        resources.append(r.model_copy(update={"operations": ops}))
    chat = render(ir.model_copy(update={"resources": resources}))["src/resources/chat.ts"]
    assert "sendMessage(sessionId: string, params: SendMessageParams = {}, options?: RequestOptions)" in chat


def test_envelopes_bodies_and_results_follow_the_ir() -> None:
    ours = render(ir_of("openapi"))["src/resources/chat.ts"]
    assert "jsonResult<M.ChatSession>(t.model(() => M.ChatSession), 'data')" in ours
    pets = render(ir_of("petstore-3.0"))
    pet = pets["src/resources/pet.ts"]
    assert "jsonResult<M.Pet>(t.model(() => M.Pet), null)" in pet  # a bare response
    assert "jsonResult<Array<M.Pet>>(t.array(t.model(() => M.Pet)), null)" in pet
    assert "kind: 'binary' as const, value: params.body, contentType: 'application/octet-stream'" in pet
    assert "path: '/pet/' + pathParam('petId', petId)," in pet
    assert "getPetById(petId: number, options?: RequestOptions)" in pet
    assert "jsonResult<string>(t.string, null)" in pets["src/resources/user.ts"]
    assert "jsonResult<Record<string, number>>(t.map(t.integer), null)" in pets["src/resources/store.ts"]
    files = render(ir_of("openai-chat"))["src/resources/files.ts"]
    assert "kind: 'multipart' as const" in files
    assert "file: Uploadable;" in files
    stripe = render(ir_of("stripe-customers"))["src/resources/default.ts"]
    assert "kind: 'form' as const" in stripe
    assert "style: 'deepObject' as const, explode: true" in stripe
    speech = render(ir_of("openai-chat"))["src/resources/audio.ts"]
    assert "value: { ...body0.toWire(params), stream_format: 'audio' }" in speech
    assert "value: { ...body0.toWire(params), stream_format: 'sse' }" in speech
    assert "bytesResult" in speech


def test_credentials_follow_ir_auth() -> None:
    stripe = render(ir_of("stripe-customers"))["src/client.ts"]
    assert "basicAuth?: { username: string; password: string } | undefined;" in stripe
    assert "apiKey?: string | undefined;" in stripe
    assert "kind: 'basic'," in stripe and "env: ['STRIPE_USERNAME', 'STRIPE_PASSWORD']," in stripe
    adversarial = render(ir_of("adversarial"))["src/client.ts"]
    assert "location: 'query'," in adversarial and "param: 'api_key */'," in adversarial
    streams = render(ir_of("oas32-itemschema"))["src/client.ts"]
    assert "auth: [\n      ]," in streams and "authRequired: false," in streams


def test_a_data_field_named_type_is_the_union_discriminant() -> None:
    events = render(ir_of("anthropic-messages"))["src/events.ts"]
    start = events[events.index("export interface MessageStartEvent {"):]
    start = start[:start.index("}\n")]
    assert start.count("type:") == 1 and "type: 'message_start';" in start
    assert "t.field('type', 'type', " in events  # still read (and written back) as a field


def test_reading_normalisations_reach_the_shape_tables() -> None:
    ir = ir_of("openapi")
    assert ir.models["ChatReply"].flatten == "assistant_message"
    files = render(ir)
    models = files["src/models.ts"]
    assert "t.field('pages', 'pages', t.integer, false, { aliases: ['total_pages'] })," in models
    assert "t.field('output', 'output', t.any, false, { text: ['content', 'text'] })," in models
    assert "], { flatten: 'assistant_message' });" in models
    execution = models[models.index("export interface Execution {"):]
    assert "  outputText?: string;\n" in execution[:execution.index("}")]
    events = files["src/events.ts"]
    done = events[events.index("export interface DoneEvent {"):]
    assert "  outputText?: string;\n" in done[:done.index("}")]
    assert "output: { event: 'done', path: ['output'], text: ['content', 'text'] }," in events
    # Internal models (request bodies, event data, envelopes) are not declared.
    assert "SendMessageRequest" not in models and "DoneEventData" not in models


# -- what cannot be rendered ----------------------------------------------------------------------


def test_a_text_convenience_colliding_with_a_field_is_refused() -> None:
    ir = ir_of("openapi")
    model = ir.models["Execution"]
    output = next(f for f in model.fields if f.wire_name == "output")
    clash = output.model_copy(update={"wire_name": "output_text", "name": Names.of("output_text"), "text_keys": []})
    bad = ir.model_copy(update={"models": {**ir.models, "Execution": model.model_copy(update={"fields": [*model.fields, clash]})}})
    with pytest.raises(TargetError, match="outputText"):
        render(bad)


def test_a_schema_named_like_a_runtime_export_is_renamed_by_the_ir(tmp_path: Path) -> None:
    """The runtime's exports are reserved in naming.RUNTIME_NAMES: the resolver renames a
    schema that would take one (with a note), so the target never meets the clash."""
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({
        "openapi": "3.1.0", "info": {"title": "T", "version": "1"},
        "paths": {"/p": {"get": {"operationId": "getP", "tags": ["p"], "responses": {"200": {
            "description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Logger"}}}}}}}},
        "components": {"schemas": {"Logger": {"type": "object", "properties": {"a": {"type": "string"}}}}},
    }))
    ir = build_ir(load_spec(spec))
    assert ir.models["Logger"].name.typescript_type != "Logger"
    assert any("Logger" in d.message for d in ir.notes)
    render(ir)


def test_a_credential_named_like_a_client_option_is_refused() -> None:
    ir = ir_of("openapi")
    scheme = ir.auth[0]
    bad = ir.model_copy(update={"auth": [scheme.model_copy(update={"name": Names.of("timeout")})]})
    with pytest.raises(TargetError, match="timeout"):
        render(bad)


def test_an_unnamed_body_beside_a_body_parameter_is_refused() -> None:
    ir = ir_of("petstore-3.0")
    resources = []
    for r in ir.resources:
        ops = []
        for op in r.operations:
            if op.key == "uploadFile":
                q = op.query_params[0]
                op = op.model_copy(update={"query_params": [q.model_copy(update={"name": Names.of("body")})]})
            ops.append(op)
        resources.append(r.model_copy(update={"operations": ops}))
    with pytest.raises(TargetError, match="body"):
        render(ir.model_copy(update={"resources": resources}))


def test_an_invalid_ir_name_is_refused_not_emitted() -> None:
    ir = ir_of("openapi")
    model = ir.models["ChatSession"]
    bad = ir.model_copy(update={"models": {**ir.models, "ChatSession": model.model_copy(update={
        "name": model.name.model_copy(update={"typescript_type": "Chat Session */"})})}})
    with pytest.raises(TargetError, match="not a TypeScript identifier"):
        render(bad)


def test_types_render_from_typerefs() -> None:
    f = _Filters(ir_of("openapi"))
    assert f.ts_type(TypeRef(kind="array", items=TypeRef(kind="integer"), nullable=True)) == "Array<number> | null"
    assert f.ts_type(TypeRef(kind="string", format="binary"), request=True) == "Uploadable"
    assert f.ts_type(TypeRef(kind="string", format="binary")) == "string"
    assert f.ts_type(TypeRef(kind="string", const="x'y")) == "'x\\'y'"
    assert f.ts_shape(TypeRef(kind="map", values=TypeRef(kind="any"))) == "t.map(t.any)"
    assert f.ts_shape(TypeRef(kind="any", union="ErrorResponseError"), qualified=True) == "t.union(() => M.ErrorResponseError)"


# -- api.md -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", ["openapi", "openai-chat", "anthropic-messages", "petstore-3.0", "stripe-customers",
                                  "oas32-itemschema", "adversarial"])
def test_api_md_lists_every_resource_method_parameter_and_event(spec: str) -> None:
    ir = ir_of(spec)
    md = render(ir)["api.md"]
    f = _Filters(ir)
    for r in ir.resources:
        assert _md_code("client." + r.name.typescript_member) in md
        for op in r.operations:
            assert _md_code("client." + r.name.typescript_member + "." + f.signature(op)) in md, op.key
            for p in op.path_params + op.query_params + op.header_params + op.cookie_params:
                key = p.name.typescript_member if p.location == "path" else "params." + p.name.typescript_member
                assert _md_code(key, cell=True) in md, (op.key, p.wire_name)
            for fl in f.body_fields(op):
                assert _md_code("params." + fl.name.typescript_member, cell=True) in md
    for stream in ir.streams.values():
        for ev in stream.events:
            assert _md_code(ev.name.typescript_type, cell=True) in md
    for model in ir.public_models:
        assert _md_code(model.name.typescript_type) in md
    assert "<script>" not in md


# -- conversations ------------------------------------------------------------------------------


def _with_conversation(ir: IR, tag: str = "chat", **changes: object) -> IR:
    resources = []
    for r in ir.resources:
        if r.tag == tag and r.conversation is not None:
            r = r.model_copy(update={"conversation": r.conversation.model_copy(update=changes)})
        resources.append(r)
    return ir.model_copy(update={"resources": resources})


def test_the_conversation_binding_comes_from_the_ir() -> None:
    ir = ir_of("openapi")
    files = render(ir)
    chat = files["src/resources/chat.ts"]
    assert "async conversation(params: ChatConversationParams, options?: ConversationOptions): Promise<ChatConversation> {" in chat
    assert "load(source: string | ConversationDocument, options?: ConversationOptions): Promise<ChatConversation> {" in chat
    assert "textField: 'content'," in chat
    assert "createFields: ['agent_id', 'title', 'metadata']," in chat
    assert "usage: [['promptTokens', 'prompt_tokens', 'prompt_tokens'], ['completionTokens', 'completion_tokens', 'completion_tokens']]," in chat
    assert "costField: 'cost'," in chat
    assert "followSpec: E.ChatStreamFrameSpec," in chat
    assert "this.listMessages(id, { page: Math.floor(from / limit) + 1, limit: limit }, options)" in chat
    assert "export {\n  Conversation," in files["src/index.ts"]
    assert "`client.chat.conversation(params: ChatConversationParams" in files["api.md"]
    assert "Conversation" not in render(ir_of("petstore-3.0"))["src/index.ts"]

    conv = next(r for r in ir.resources if r.tag == "chat").conversation
    assert conv is not None
    changed = _with_conversation(
        ir,
        open_method=Names.of("talk").model_copy(update={"typescript_member": "talk", "typescript_type": "Talk"}),
        load_method=Names.of("restore").model_copy(update={"typescript_member": "restore"}),
        usage_fields={"input": "prompt_tokens"},
        cost_field=None,
        session_id_field="agent_id",
        create_fields=["agent_id"],
    )
    chat = render(changed)["src/resources/chat.ts"]
    assert "async talk(params: ChatTalkParams, options?: ConversationOptions): Promise<ChatTalk> {" in chat
    assert "restore(source: string | ConversationDocument" in chat
    assert "usage: [['input', 'input', 'prompt_tokens']]," in chat
    assert "costField: undefined," in chat
    assert "sessionIdField: 'agent_id'," in chat
    assert "createFields: ['agent_id']," in chat
    assert "async conversation(" not in chat


def _retyped_param(ir: IR, op_key: str, wire: str, kind: str) -> IR:
    resources = []
    for r in ir.resources:
        ops = []
        for op in r.operations:
            if op.key == op_key:
                op = op.model_copy(update={"path_params": [
                    p.model_copy(update={"type": p.type.model_copy(update={"kind": kind})}) if p.wire_name == wire else p
                    for p in op.path_params]})
            ops.append(op)
        resources.append(r.model_copy(update={"operations": ops}))
    return ir.model_copy(update={"resources": resources})


def test_a_conversation_the_target_cannot_drive_is_refused_by_name() -> None:
    ir = ir_of("openapi")
    with pytest.raises(TargetError, match="session parameter 'session_id' of 'sendMessage' is not a string"):
        render(_retyped_param(ir, "sendMessage", "session_id", "integer"))
    with pytest.raises(TargetError, match="send operation 'deleteMessage' takes path parameters besides the session"):
        render(_with_conversation(ir, send="deleteMessage"))
    with pytest.raises(TargetError, match="history operation 'sendMessage' has no integer page and limit parameters"):
        render(_with_conversation(ir, history="sendMessage"))


def test_a_schema_named_like_the_conversation_type_is_refused(tmp_path: Path) -> None:
    doc = yaml.safe_load((REPO / "openapi.yaml").read_text())
    doc["components"]["schemas"]["ChatConversation"] = {"type": "object", "properties": {"a": {"type": "string"}}}
    doc["components"]["schemas"]["ChatSession"]["properties"]["extra"] = {"$ref": "#/components/schemas/ChatConversation"}
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(doc, sort_keys=False))
    with pytest.raises(TargetError, match="ChatConversation"):
        render(build_ir(load_spec(spec)))
