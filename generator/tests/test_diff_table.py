"""sdkgen diff's classification table covers the whole IR, and nothing escapes it.

The IR grows in parallel with the differ. When an IR class gains a field, the first two
tests fail until `sdkgen/diff/compare.py` TABLE says how that field is compared; until
then the differ reports any change of it as a breaking "unclassified" change (tested
below), so a new IR field can never be silently ignored.
"""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest
from sdkgen.builder import build_ir
from sdkgen.diff.compare import TABLE, Compare, Covered, Ctx, Key, Scope, compare_object, ir_classes, rules_for
from sdkgen.diff.locate import Locator
from sdkgen.diff.surface import declared_types
from sdkgen.ir import Field, Names, TypeRef
from sdkgen.spec import load_spec

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
    from sdkgen.ir import Enum, EnumValue, EventStream, EventType, Model, Operation, Parameter, Resource

    for cls in (Model, Enum, EnumValue, EventStream, EventType, Field, Operation, Parameter, Resource):
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
