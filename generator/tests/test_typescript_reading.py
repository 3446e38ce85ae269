"""The TypeScript target honours the reading normalisations of the IR (RUNTIME.md, "Reading
responses"): `Model.flatten`, `Field.aliases`, `Field.text_key`, and keeps request bodies
closed. The runtime behaviour itself is tested by typescript-sdk/test/reading.test.ts."""

from __future__ import annotations

from pathlib import Path

import pytest
from sdkgen.builder import build_ir_from_path
from sdkgen.cli import generate
from sdkgen.ir import IR
from sdkgen.targets.typescript import TARGET, TargetError, _Filters

HERE = Path(__file__).resolve().parent
SPEC = HERE.parent.parent / "openapi.yaml"


@pytest.fixture(scope="module")
def ir() -> IR:
    return build_ir_from_path(str(SPEC))


@pytest.fixture(scope="module")
def rendered(ir: IR, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ts")
    generate(ir, SPEC, "typescript", out)
    return out


def test_the_contract_uses_every_normalisation(ir: IR) -> None:
    # If the contract stops using one, the assertions below stop testing anything.
    assert ir.models["ChatReply"].flatten == "assistant_message"
    pages = {f.wire_name: f for f in ir.models["PaginationMeta"].fields}
    assert pages["pages"].aliases == ["total_pages"] and pages["total_pages"].aliases == ["pages"]
    assert {f.wire_name: f.text_keys for f in ir.models["DoneEventData"].fields}["output"] == ["content", "text"]


def test_field_and_model_options(ir: IR) -> None:
    f = _Filters(ir)
    fields = {
        m: {x.wire_name: x for x in ir.models[m].fields}
        for m in ("PaginationMeta", "ErrorEventData", "Execution", "ChatSession")
    }
    assert f.ts_field_options(fields["PaginationMeta"]["pages"]) == ", { aliases: ['total_pages'] }"
    assert f.ts_field_options(fields["ErrorEventData"]["message"]) == ", { aliases: ['error'] }"
    assert f.ts_field_options(fields["Execution"]["output"]) == ", { text: ['content', 'text'] }"
    assert f.ts_field_options(fields["ChatSession"]["id"]) == ""
    assert f.ts_model_options(ir.models["ChatReply"]) == ", { flatten: 'assistant_message' }"
    assert f.ts_model_options(ir.models["TokenUsage"]) == ", { extra: t.any }"
    assert f.ts_model_options(ir.models["CreateSessionRequest"]) == ", { open: false }"
    assert f.ts_model_options(ir.models["ChatSession"]) == ""


def test_the_generated_tables_and_types_carry_them(rendered: Path) -> None:
    models = (rendered / "src" / "models.ts").read_text()
    assert "t.field('pages', 'pages', t.integer, false, { aliases: ['total_pages'] })," in models
    assert "t.field('output', 'output', t.any, false, { text: ['content', 'text'] })," in models
    assert "], { flatten: 'assistant_message' });" in models
    assert "export const SendMessageRequest = model<SendMessageRequest>('SendMessageRequest', [" in models
    # The four request bodies (create/update session, send message, submit feedback) are closed.
    assert models.count("], { open: false });") == 4
    # The text conveniences are typed, on the model and on the event.
    execution = models[models.index("export interface Execution {") :]
    assert "  outputText?: string;\n" in execution[: execution.index("}")]
    events = (rendered / "src" / "events.ts").read_text()
    done = events[events.index("export interface DoneEvent {") :]
    assert "  outputText?: string;\n" in done[: done.index("}")]
    assert "decode: (frame, context) => decodeChatStreamFrame(frame, context) as ChatStreamFrame," in events
    # The resume route is built only from an event that carries its parameters.
    chat = (rendered / "src" / "resources" / "chat.ts").read_text()
    assert "event.type === 'execution' && typeof event.executionId === 'string' && event.executionId !== ''" in chat
    assert "item: (wire, strict) => M.ChatSession.fromWire(wire, { strict })," in chat
    index = (rendered / "src" / "index.ts").read_text()
    assert "  APIResponseValidationError,\n" in index


def test_a_text_convenience_colliding_with_a_field_is_refused(ir: IR) -> None:
    model = ir.models["DoneEventData"]
    output = next(f for f in model.fields if f.wire_name == "output")
    clash = output.model_copy(update={"wire_name": "output_text", "name": output.name.of("output_text"), "text_keys": []})
    bad = ir.model_copy(update={"models": {**ir.models, "DoneEventData": model.model_copy(update={"fields": [*model.fields, clash]})}})
    with pytest.raises(TargetError, match="outputText"):
        TARGET.render(bad, None)  # type: ignore[arg-type]
