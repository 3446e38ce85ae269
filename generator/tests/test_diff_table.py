"""sdkgen diff's classification table covers the whole IR, and nothing escapes it.

The IR grows in parallel with the differ. When an IR class gains a field, the first two
tests fail until `sdkgen/diff/compare.py` TABLE says how that field is compared; until
then the differ reports any change of it as a breaking "unclassified" change (tested
below), so a new IR field can never be silently ignored.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pydantic
import pytest
import yaml
from sdkgen.builder import build_ir
from sdkgen.diff.compare import (
    TABLE,
    Compare,
    Covered,
    Ctx,
    Key,
    Scope,
    compare_irs,
    compare_object,
    ir_classes,
    rules_for,
)
from sdkgen.diff.locate import Locator
from sdkgen.diff.surface import declared_types
from sdkgen.ir import IR, BodySwitch, Field, Names, Operation, TypeRef
from sdkgen.spec import Spec, load_spec

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
BASE = HERE / "diff_specs" / "base.yaml"


def test_every_ir_class_has_rules() -> None:
    missing = [cls.__name__ for cls in ir_classes() if cls not in TABLE]
    assert not missing, f"IR classes sdkgen diff does not classify (add them to TABLE): {missing}"


@pytest.mark.parametrize("cls", ir_classes(), ids=lambda c: c.__name__)
def test_every_ir_field_is_classified(cls: type[pydantic.BaseModel]) -> None:
    rules = TABLE.get(cls, {})
    missing = [name for name in cls.model_fields if name not in rules]
    assert not missing, (
        f"{cls.__name__} fields sdkgen diff does not classify: {missing}. "
        f"Add a rule for each to sdkgen/diff/compare.py TABLE (and a case to tests/diff_specs/cases.yaml)"
    )


def test_every_rule_says_why() -> None:
    for cls, rules in TABLE.items():
        for name, rule in rules.items():
            assert rule.why, f"{cls.__name__}.{name}: a rule needs its reason"
            if isinstance(rule, Compare):
                assert rule.fn is not None, f"{cls.__name__}.{name}"
            if isinstance(rule, Covered):
                assert rule.by, f"{cls.__name__}.{name}: Covered must say by what"


def test_every_collection_has_a_key() -> None:
    """Objects kept in collections are matched by a key the table names."""
    from sdkgen.ir import (
        AuthScheme,
        Enum,
        EnumValue,
        EventStream,
        EventType,
        Model,
        Parameter,
        Resource,
        Union,
        UnionVariant,
    )

    for cls in (Model, Enum, EnumValue, EventStream, EventType, Field, Operation, Parameter, Resource, Union, UnionVariant, AuthScheme):
        assert any(isinstance(r, Key) for r in TABLE[cls].values()), cls.__name__


def _ctx() -> Ctx:
    spec = load_spec(BASE)
    ir = build_ir(spec)
    return Ctx(ir, ir, Locator(spec), Locator(spec))


def test_an_unclassified_field_is_reported_as_breaking() -> None:
    """What happens between an IR change and its table entry: loud, never silent."""
    Extended = pydantic.create_model("Field", __base__=Field, fancy=(bool, False))
    names = Names.of("title")
    old = Extended(name=names, wire_name="title", type=TypeRef(kind="string"), required=True, fancy=False)
    new = Extended(name=names, wire_name="title", type=TypeRef(kind="string"), required=True, fancy=True)
    assert set(rules_for(Extended)) == set(TABLE[Field])
    ctx = _ctx()
    scope = Scope(
        "Note.title",
        "#/components/schemas/Note",
        "#/components/schemas/Note",
        direction="out",
        owner={"python": "Note", "typescript": "Note", "go": "Note"},
    )
    compare_object(ctx, scope, old, new)
    [change] = ctx.changes
    assert change.kind == "unclassified-ir-field"
    assert change.severity == "breaking" and change.wire == "breaking"
    assert "Field.fancy" in change.message

    ctx = _ctx()
    compare_object(ctx, scope, old, old)
    assert ctx.changes == []


def test_unknown_typeref_fields_count_as_a_type_change() -> None:
    from sdkgen.diff.compare import relation

    Extended = pydantic.create_model("TypeRef", __base__=TypeRef, pattern=(str | None, None))
    assert relation(Extended(kind="string"), Extended(kind="string", pattern="^a")) == "different"
    assert relation(Extended(kind="string"), Extended(kind="string")) is None


# -- surface.declared_types mirrors what each target declares ------------------------------------


@pytest.mark.parametrize(
    "spec_path", [BASE, ROOT / "openapi.yaml", HERE / "fixtures" / "notebook.yaml"], ids=["base", "openapi", "notebook"]
)
def test_declared_types_match_the_targets(spec_path: Path) -> None:
    from sdkgen.targets.go import emitted_enums, emitted_models
    from sdkgen.targets.python import TARGET as PY
    from sdkgen.targets.typescript import _Filters

    ir = build_ir(load_spec(spec_path))
    go = {m.schema_name for m in emitted_models(ir)} | {e.schema_name for e in emitted_enums(ir)}
    assert declared_types(ir, "go") == go
    ts = {m.schema_name for m in _Filters(ir).public_models(ir)} | set(ir.enums)
    assert declared_types(ir, "typescript") == ts
    py = {m.schema_name for m in PY._context(ir)["public_models"]} | set(ir.enums)
    assert declared_types(ir, "python") == py


# -- rules the corpus's spec patches cannot reach one at a time: IR edits ------------------------


def _codes(old: IR, new: IR) -> list[list[str]]:
    from test_diff_corpus import code

    loc_old, loc_new = Locator(load_spec(BASE)), Locator(load_spec(BASE))
    return sorted(code(c) for c in compare_irs(old, new, loc_old, loc_new))


_TMP = Path(tempfile.mkdtemp(prefix="sdkgen-diff-table-"))


def _patched_spec(*ops: dict[str, Any]) -> Spec:
    from test_diff_corpus import apply_patch

    doc = apply_patch(yaml.safe_load(BASE.read_text()), list(ops))
    path = _TMP / f"patched-{len(list(_TMP.iterdir()))}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return load_spec(path)


def _patched(*ops: dict[str, Any]) -> IR:
    return build_ir(_patched_spec(*ops))


def _with_stream(ir: IR, name: str, **update: Any) -> IR:
    return ir.model_copy(update={"streams": {**ir.streams, name: ir.streams[name].model_copy(update=update)}})


def _with_event(ir: IR, stream: str, event: str, **update: Any) -> IR:
    s = ir.streams[stream]
    events = [e.model_copy(update=update) if e.event == event else e for e in s.events]
    return _with_stream(ir, stream, events=events)


def _with_op(ir: IR, key: str, **update: Any) -> IR:
    resources = [
        r.model_copy(update={"operations": [o.model_copy(update=update) if o.key == key else o for o in r.operations]})
        for r in ir.resources
    ]
    return ir.model_copy(update={"resources": resources})


def _op(ir: IR, key: str) -> Operation:
    return next(o for o in ir.operations if o.key == key)


_RESUME_OP = {
    "op": "add",
    "path": "/paths/~1v1~1notes~1{note_id}~1summary",
    "value": {
        "get": {
            "operationId": "resumeSummary",
            "tags": ["notes"],
            "parameters": [
                {"name": "note_id", "in": "path", "required": True, "schema": {"type": "string"}},
                {"name": "Last-Event-ID", "in": "header", "schema": {"type": "string"}},
            ],
            "responses": {
                "200": {
                    "description": "The rest.",
                    "content": {"text/event-stream": {"schema": {"$ref": "#/components/schemas/SummaryFrame"}}},
                }
            },
        }
    },
}


def _edits() -> list[tuple[str, IR, IR, list[list[str]]]]:
    base = build_ir(load_spec(BASE))
    out: list[tuple[str, IR, IR, list[list[str]]]] = []

    def case(name: str, old: IR, new: IR, want: list[list[str]]) -> None:
        out.append((name, old, new, want))

    # streams
    case(
        "dispatch",
        base,
        _with_stream(base, "SummaryFrame", dispatch="property", data_property="event"),
        [["stream-dispatch-changed", "SummaryFrame", "III/B"]],
    )
    resumable = _patched(_RESUME_OP)
    route = resumable.streams["SummaryFrame"].resume
    assert route is not None and route.carriers == ["started"], route
    case(
        "resume-carriers-lost",
        resumable,
        _with_stream(resumable, "SummaryFrame", resume=route.model_copy(update={"carriers": []})),
        [["stream-resume-changed", "SummaryFrame", "BBB/I"]],
    )
    case(
        "resume-header-changed",
        resumable,
        _with_stream(resumable, "SummaryFrame", resume=route.model_copy(update={"header": "X-Resume-From"})),
        [["stream-resume-changed", "SummaryFrame", "III/B"]],
    )
    output = base.streams["SummaryFrame"].output
    assert output is not None
    case(
        "output-text-keys-added",
        base,
        _with_stream(base, "SummaryFrame", output=output.model_copy(update={"text_keys": ["text"]})),
        [["stream-output-changed", "SummaryFrame", "CCC/I"]],
    )
    case(
        "sse-name-checked",
        base,
        _with_event(base, "SummaryFrame", "delta", sse_event="piece"),
        [["event-sse-name-changed", "SummaryFrame event delta", "III/B"]],
    )
    # operations
    case(
        "other-2xx-documented",
        base,
        _with_op(base, "createNote", success_statuses=[201, 202]),
        [["success-statuses-changed", "createNote", "III/C"]],
    )
    case(
        "error-body-changed",
        base,
        _with_op(base, "getNote", error_bodies={"404": TypeRef(kind="any")}),
        [["error-body-changed", "getNote 404", "III/I"]],
    )
    body = _op(base, "createNote").body
    assert body is not None
    case(
        "other-media-type-offered",
        base,
        _with_op(base, "createNote", body=body.model_copy(update={"content_types": ["application/json", "application/xml"]})),
        [["request-media-types-changed", "createNote body", "III/I"]],
    )
    twin = _patched(
        {"op": "add", "path": "/components/schemas/SummarizeRequest/properties/stream", "value": {"type": "boolean"}},
        {
            "op": "add",
            "path": "/paths/~1v1~1notes~1{note_id}~1summarize/post/responses/200/content/application~1json",
            "value": {"schema": {"$ref": "#/components/schemas/NoteResponse"}},
        },
    )
    assert _op(twin, "summarizeNote").body_switch == BodySwitch(field="stream", value=False)
    case(
        "body-switch-changed",
        twin,
        _with_op(twin, "summarizeNote", body_switch=BodySwitch(field="mode", value="json")),
        [["body-switch-changed", "summarizeNote", "III/B"]],
    )
    binary = _patched(
        {
            "op": "replace",
            "path": "/paths/~1v1~1notes~1{note_id}/get/responses/200/content",
            "value": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    )
    result = _op(binary, "getNote").result
    assert (result.kind, result.content_type) == ("binary", "application/pdf")
    case(
        "bytes-of-another-type",
        binary,
        _with_op(binary, "getNote", result=result.model_copy(update={"content_type": "image/png"})),
        [["response-content-type-changed", "getNote result", "BBB/B"]],
    )
    json_result = _op(base, "getFolder").result
    case(
        "json-flavour",
        base,
        _with_op(base, "getFolder", result=json_result.model_copy(update={"content_type": "application/vnd.api+json"})),
        [["response-content-type-changed", "getFolder result", "III/I"]],
    )
    # auth
    scheme = base.auth[0]
    case(
        "auth-env",
        base,
        base.model_copy(update={"auth": [scheme.model_copy(update={"env": ["NOTEBOOK_TOKEN"]})]}),
        [["auth-env-changed", "TokenAuth", "BBB/I"]],
    )
    case(
        "auth-option-renamed",
        base,
        base.model_copy(update={"auth": [scheme.model_copy(update={"name": Names.of("token")})]}),
        [["auth-option-renamed", "TokenAuth", "BBB/I"]],
    )
    # models and unions
    note = base.models["Note"]
    case(
        "visibility-decided-only",
        base,
        base.model_copy(update={"models": {**base.models, "Note": note.model_copy(update={"visibility": "internal"})}}),
        # TypeScript and Go declare exactly the models the IR calls public: hiding one breaks them.
        [["model-visibility-changed", "Note", "IBB/I"]],
    )
    source = base.unions["NoteSource"]
    renamed = [v.model_copy(update={"name": Names.of("Url")}) if v.type.kind == "string" else v for v in source.variants]
    case(
        "primitive-variant-renamed",
        base,
        base.model_copy(update={"unions": {**base.unions, "NoteSource": source.model_copy(update={"variants": renamed})}}),
        [["union-variant-renamed", "NoteSource Url", "BBB/I"]],
    )
    owner = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}
    held = _patched(
        {"op": "add", "path": "/components/schemas/Owner", "value": owner},
        {"op": "add", "path": "/components/schemas/Folder/properties/owner", "value": {"$ref": "#/components/schemas/Owner"}},
        {"op": "replace", "path": "/components/schemas/Folder/required", "value": ["id", "name", "owner"]},
    )
    cycle = _patched(
        {"op": "add", "path": "/components/schemas/Owner", "value": owner},
        {"op": "add", "path": "/components/schemas/Owner/properties/home", "value": {"$ref": "#/components/schemas/Folder"}},
        {"op": "add", "path": "/components/schemas/Folder/properties/owner", "value": {"$ref": "#/components/schemas/Owner"}},
        {"op": "replace", "path": "/components/schemas/Folder/required", "value": ["id", "name", "owner"]},
    )
    case(
        "field-joins-a-cycle",
        held,
        cycle,
        [
            ["field-added", "Owner.home", "CCC/C"],
            ["model-recursion-changed", "Folder", "IIB/I"],
            ["model-recursion-changed", "Owner", "III/I"],
        ],
    )
    return out


_EDITS = _edits()


@pytest.mark.parametrize("name,old,new,want", _EDITS, ids=[e[0] for e in _EDITS])
def test_ir_edit(name: str, old: IR, new: IR, want: list[list[str]]) -> None:
    assert _codes(old, new) == sorted(want)
    assert _codes(old, old) == []


def test_root_security_changes_once() -> None:
    """Operations that inherit the root `security` change together: one change, at #/security."""
    base = build_ir(load_spec(BASE))
    spec = _patched_spec(
        {"op": "add", "path": "/components/securitySchemes/BasicAuth", "value": {"type": "http", "scheme": "basic"}},
        {"op": "add", "path": "/security/-", "value": {"BasicAuth": []}},
    )
    changes = compare_irs(base, build_ir(spec), Locator(load_spec(BASE)), Locator(spec))
    security = [c for c in changes if c.kind == "operation-security-changed"]
    assert [(c.subject, c.location, c.severity) for c in security] == [
        (f"root security ({len(base.operations)} operations)", "#/security", "compatible")
    ]
    assert security[0].impacts["python"].text.startswith(f"`client.notes.list_notes()` and {len(base.operations) - 1} more")


def test_report_quotes_the_resolved_names() -> None:
    """Collision-resolved names (Names.*_member / *_type) are what the SDKs declare: the
    report spells those, not the deprecated raw spellings."""
    from sdkgen.diff.surface import const_name, member, type_name

    n = Names.of("title").model_copy(update={"python_member": "title_2", "typescript_member": "title2", "go_member": "Title2"})
    assert [member(n, lang) for lang in ("python", "typescript", "go")] == ["title_2", "title2", "Title2"]
    t = Names.of("Error").model_copy(update={"typescript_type": "ErrorModel", "go_type": "ErrorModel"})
    assert [type_name(t, lang) for lang in ("python", "typescript", "go")] == ["Error", "ErrorModel", "ErrorModel"]
    e, v = Names.of("Priority"), Names.enum_member("high")
    assert [const_name(e, v, lang) for lang in ("python", "typescript", "go")] == ["Priority.HIGH", "Priority.High", "PriorityHigh"]


def test_conversation_helper_changes() -> None:
    """x-sdk-conversation is SDK-only: gaining it is compatible, losing it or renaming its
    methods breaks every SDK, rebinding it to other operations is internal."""
    from test_diff_corpus import code

    root = Path(__file__).resolve().parents[2]
    spec = load_spec(root / "openapi.yaml")
    ours = build_ir(spec)
    chat = next(i for i, r in enumerate(ours.resources) if r.tag == "chat")
    conv = ours.resources[chat].conversation
    assert conv is not None

    def with_conv(value: Any) -> IR:
        resources = list(ours.resources)
        resources[chat] = resources[chat].model_copy(update={"conversation": value})
        return ours.model_copy(update={"resources": resources})

    def codes(old: IR, new: IR) -> list[list[str]]:
        return sorted(code(c) for c in compare_irs(old, new, Locator(spec), Locator(spec)))

    without = with_conv(None)
    assert codes(without, ours) == [["conversation-added", "resource chat", "CCC/I"]]
    assert codes(ours, without) == [["conversation-removed", "resource chat", "BBB/I"]]
    renamed = with_conv(conv.model_copy(update={"open_method": Names.of("session")}))
    assert codes(ours, renamed) == [["conversation-method-renamed", "resource chat", "BBB/I"]]
    rebound = with_conv(conv.model_copy(update={"text_field": "text"}))
    assert codes(ours, rebound) == [["conversation-binding-changed", "resource chat", "III/I"]]
    no_stream = with_conv(conv.model_copy(update={"stream": None}))
    assert codes(ours, no_stream) == [["conversation-binding-changed", "resource chat", "BBB/I"]]
