"""Names in the IR: valid in every language by that language's own rules, never colliding,
resolved deterministically, and each rename reported as a note.

The validity rules here are written from each language's definition, not taken from
sdkgen.naming, so the test checks the resolver instead of repeating it:
  Python      str.isidentifier(), ASCII, not keyword.iskeyword()
  TypeScript  IdentifierName restricted to ASCII, not an ECMAScript reserved word; type
              names not a predefined type either
  Go          identifier = letter { letter | unicode_digit } (the Go spec), not a keyword;
              exported names start with an upper-case letter; locals avoid predeclared names
"""

from __future__ import annotations

import keyword
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import pytest

from sdkgen import naming
from sdkgen.builder import build_ir
from sdkgen.ir import IR, Names
from sdkgen.spec import load_spec

HERE = Path(__file__).parent
SPECS = HERE / "specs"
ADVERSARIAL = SPECS / "adversarial.yaml"
ROOT = HERE.parent.parent

ES_RESERVED = set("""break case catch class const continue debugger default delete do else enum export extends false
finally for function if import in instanceof new null return super switch this throw true try typeof var void while
with yield let static implements interface package private protected public await""".split())
TS_PREDEFINED_TYPES = set("any unknown never string number boolean symbol object bigint undefined void null".split())
GO_KEYWORDS = set("""break default func interface select case defer go map struct chan else goto package switch const
fallthrough if range type continue for import return var""".split())
GO_PREDECLARED = set("""any bool byte comparable complex64 complex128 error float32 float64 int int8 int16 int32 int64
rune string uint uint8 uint16 uint32 uint64 uintptr true false iota nil append cap clear close complex copy delete
imag len make max min new panic print println real recover""".split())


def python_ok(name: str) -> bool:
    return name.isascii() and name.isidentifier() and not keyword.iskeyword(name)


def ts_ok(name: str, *, type_name: bool = False) -> bool:
    if not re.fullmatch(r"[A-Za-z_$][A-Za-z0-9_$]*", name) or name in ES_RESERVED:
        return False
    return not (type_name and name in TS_PREDEFINED_TYPES)


def go_ok(name: str, *, exported: bool) -> bool:
    def letter(c: str) -> bool:
        return c == "_" or unicodedata.category(c).startswith("L")

    if not name or not letter(name[0]) or not all(letter(c) or unicodedata.category(c) == "Nd" for c in name[1:]):
        return False
    if name in GO_KEYWORDS:
        return False
    if exported:
        return unicodedata.category(name[0]) == "Lu"
    return name not in GO_PREDECLARED


@pytest.fixture(scope="module")
def adv() -> IR:
    return build_ir(load_spec(ADVERSARIAL))


def members(names: Iterable[Names]) -> dict[str, list[str]]:
    names = list(names)
    return {
        "python": [n.python_member for n in names],
        "typescript": [n.typescript_member for n in names],
        "go": [n.go_member for n in names],
    }


def assert_member_scope(names: Iterable[Names], reserved: dict[str, set[str]] | None = None, where: str = "") -> None:
    for lang, spelled in members(names).items():
        dupes = [n for n, c in Counter(spelled).items() if c > 1]
        assert not dupes, f"{where}: {lang} members collide: {dupes}"
        clash = set(spelled) & (reserved or {}).get(lang, set())
        assert not clash, f"{where}: {lang} members take reserved names {clash}"
        for n in spelled:
            ok = python_ok(n) if lang == "python" else ts_ok(n) if lang == "typescript" else go_ok(n, exported=True)
            assert ok, f"{where}: {n!r} is not a {lang} identifier"


def type_entities(ir: IR) -> list[tuple[str, Names]]:
    out: list[tuple[str, Names]] = [("sdk", ir.sdk.name)]
    out += [("model", m.name) for m in ir.models.values()]
    out += [("enum", e.name) for e in ir.enums.values()]
    out += [("union", u.name) for n, u in ir.unions.items() if n not in ir.streams]
    out += [("event", e.name) for s in ir.streams.values() for e in s.events]
    out += [("stream", s.name) for s in ir.streams.values()]
    out += [("resource", r.name) for r in ir.resources]
    seen: set[str] = set()
    for r in ir.resources:
        for op in r.operations:
            if op.params_name.typescript_type not in seen:
                seen.add(op.params_name.typescript_type)
                out.append(("params", op.params_name))
    return out


# -- the adversarial spec ---------------------------------------------------------------------


def test_adversarial_spec_builds_and_drops_nothing(adv: IR) -> None:
    assert adv.dropped == [] and adv.errors == []
    assert len(adv.operations) == 15 and len(adv.streams["Frames"].events) == 10


@pytest.mark.parametrize("lang", ["python", "typescript", "go"])
def test_adversarial_type_names_are_valid_and_unique(adv: IR, lang: str) -> None:
    attr = {"python": "python_type", "typescript": "typescript_type", "go": "go_type"}[lang]
    emitted: list[str] = []
    for kind, names in type_entities(adv):
        base = getattr(names, attr)
        derived = naming.derived_names(lang, kind, base)
        emitted += derived
        for n in derived:
            if lang == "python":
                assert python_ok(n), n
            elif lang == "typescript":
                assert ts_ok(n, type_name=True), n
            else:
                assert go_ok(n, exported=n[:1].isupper()), n
    if lang == "go":  # enum constants live in the package namespace too
        emitted += [e.name.go_type + v.name.go_member for e in adv.enums.values() for v in e.values]
    dupes = [n for n, c in Counter(emitted).items() if c > 1]
    assert dupes == []
    runtime = set(naming.RUNTIME_NAMES[lang]) | set(naming.BRANDED_RUNTIME_NAMES[lang])
    if lang == "python":
        runtime -= {f"{adv.sdk.name.python_type}Error"}
    assert set(emitted) & runtime == set()


def test_adversarial_members_are_valid_and_unique_per_scope(adv: IR) -> None:
    reserved = {lang: set(naming.MEMBER_RESERVED[lang]["client"]) for lang in ("python", "typescript", "go")}
    assert_member_scope((r.name for r in adv.resources), reserved, "client")
    for r in adv.resources:
        assert_member_scope((op.name for op in r.operations), None, f"resource {r.tag!r}")
        for op in r.operations:
            body = op.body.fields if op.body else []
            plain = op.query_params + op.header_params + op.cookie_params
            python = [p.name.python_member for p in op.path_params] + [f.name.python_member for f in body] + [
                p.name.python_member for p in plain]
            assert len(set(python)) == len(python), python
            assert not set(python) & set(naming.MEMBER_RESERVED["python"]["params"])
            assert all(python_ok(n) for n in python)
            keys = [f.name.typescript_member for f in body] + [p.name.typescript_member for p in plain]
            assert len(set(keys)) == len(keys) and all(ts_ok(n) for n in keys)
            fields = [f.name.go_member for f in body] + [p.name.go_member for p in plain]
            assert len(set(fields)) == len(fields) and all(go_ok(n, exported=True) for n in fields)
            args = [p.name.go_local for p in op.path_params]
            assert len(set(args)) == len(args) and all(go_ok(n, exported=False) for n in args)
            assert not set(args) & set(naming.MEMBER_RESERVED["go"]["params"])
            path_ts = [p.name.typescript_member for p in op.path_params]
            assert all(ts_ok(n) for n in path_ts) and not set(path_ts) & {"params", "options"}
    for name, m in adv.models.items():
        go_reserved = {"Extra"} if m.additional_properties is not None else set()
        assert_member_scope((f.name for f in m.fields), {"go": go_reserved}, f"model {name!r}")
    event_reserved = {lang: set(naming.MEMBER_RESERVED[lang]["event"]) for lang in ("python", "typescript", "go")}
    for s in adv.streams.values():
        for e in s.events:
            assert_member_scope((f.name for f in e.fields), event_reserved, f"event {e.event!r}")
    for name, e in adv.enums.items():
        assert_member_scope((v.name for v in e.values), None, f"enum {name!r}")
    for name, u in adv.unions.items():
        assert_member_scope((v.name for v in u.variants), None, f"union {name!r}")


def test_adversarial_module_names_are_unique_ignoring_case(adv: IR) -> None:
    schema_modules = [m.name.module for m in adv.models.values()] + [e.name.module for e in adv.enums.values()] + [
        u.name.module for u in adv.unions.values()]
    assert len({m.casefold() for m in schema_modules}) == len(schema_modules)
    assert all(python_ok(m) for m in schema_modules)
    resource_modules = [r.name.module for r in adv.resources]
    assert len({m.casefold() for m in resource_modules}) == len(resource_modules)
    for r in adv.resources:
        ops = [op.name.module for op in r.operations]
        assert len({m.casefold() for m in ops}) == len(ops) and all(python_ok(m) for m in ops)


def test_adversarial_sdk_settings_are_usable(adv: IR) -> None:
    sdk = adv.sdk
    assert re.fullmatch(r"[A-Z][A-Z0-9_]*", sdk.env_prefix)
    assert python_ok(sdk.python_package) and go_ok(sdk.go_package, exported=False)
    assert re.fullmatch(r"(@[a-z0-9-~][a-z0-9-._~]*/)?[a-z0-9-~][a-z0-9-._~]*", sdk.npm_package)
    assert re.fullmatch(r"[A-Za-z0-9._~/-]+", sdk.go_module)
    assert not any(c.isspace() or unicodedata.category(c).startswith("C") for c in sdk.default_base_url)
    assert all(re.fullmatch(r"[A-Z][A-Z0-9_]*", env) for a in adv.auth for env in a.env)


def test_every_rename_is_a_note_with_a_location(adv: IR) -> None:
    notes = [d for d in adv.notes if " is `" in d.message]
    assert notes and all(d.location.startswith("#/") for d in notes)
    assert any("collides with" in d.message for d in notes)
    assert any("reserved word" in d.message or "keyword" in d.message for d in notes)


# -- what each hazard becomes ---------------------------------------------------------------------


def resource(ir: IR, tag: str):  # type: ignore[no-untyped-def]
    return next(r for r in ir.resources if r.tag == tag)


def test_case_folded_duplicate_methods_in_one_tag(adv: IR) -> None:
    ops = {op.operation_id: op.name for op in resource(adv, "pet").operations}
    assert (ops["get_item"].python_member, ops["getItem"].python_member) == ("get_item", "get_item_2")
    assert (ops["get_item"].typescript_member, ops["getItem"].typescript_member) == ("getItem", "getItem2")
    assert (ops["get_item"].go_member, ops["getItem"].go_member) == ("GetItem", "GetItem2")
    assert (ops["get_item"].module, ops["getItem"].module) == ("get_item", "get_item_2")


def test_enum_values_equal_after_case_folding_and_punctuation(adv: IR) -> None:
    values = {v.value: v.name for v in adv.enums["Kind"].values}
    assert (values["A"].go_member, values["a"].go_member) == ("A", "A2")
    assert (values["A"].python_member, values["a"].python_member) == ("A", "A_2")
    assert [values[v].typescript_member for v in ("+", "-", "*", "")] == ["Plus", "Minus", "Star", "Empty"]
    assert values["日本"].python_member == "U65E5_U672C"
    assert values["é"].python_member == "E"


def test_keywords_as_operation_ids(adv: IR) -> None:
    cls = resource(adv, "class").operations
    assert [(op.operation_id, op.name.python_member, op.name.typescript_member) for op in cls] == [
        ("import", "import_", "import_"), ("await", "await_", "await_")]
    assert next(op for op in resource(adv, "pet").operations if op.operation_id == "class").name.python_member == "class_"


def test_tag_and_schema_differing_by_case(adv: IR) -> None:
    pet = resource(adv, "pet").name
    assert (adv.models["Pet"].name.typescript_type, pet.typescript_type, adv.models["pet"].name.typescript_type) == (
        "Pet", "PetResource", "PetModel")
    assert (adv.models["Pet"].name.module, adv.models["pet"].name.module) == ("pet", "pet_2")


def test_runtime_names_are_left_to_the_runtime(adv: IR) -> None:
    api_error = adv.models["APIError"].name
    assert api_error.go_type == "APIErrorModel"
    assert adv.models["UnknownEvent"].name.python_type == "UnknownEventModel"
    unknown = next(e for e in adv.streams["Frames"].events if e.event == "unknown")
    assert unknown.name.python_type != "UnknownEvent" and unknown.event == "unknown"
    assert adv.models["Stream"].name.typescript_type == "StreamModel"
    assert adv.sdk.name.python_type == "StreamClient"  # x-sdk name `Stream` is a runtime class
    # event data fields that the event types use themselves
    ev = adv.streams["Frames"].events[0]
    names = {f.wire_name: f.name for f in ev.fields}
    assert names["type"].typescript_member != "type" and names["event"].python_member != "event"
    assert names["EventID"].go_member != "EventID"


def test_collision_resolution_is_deterministic_and_follows_spec_order(tmp_path: Path) -> None:
    text = ADVERSARIAL.read_text()
    assert build_ir(load_spec(ADVERSARIAL)).model_dump_json() == build_ir(load_spec(ADVERSARIAL)).model_dump_json()
    # Swap the order of `Pet` and `pet`: the first one in the spec keeps the name.
    spec = tmp_path / "swapped.yaml"
    a = text.index('    "Pet":\n')
    b = text.index('    "pet":\n')
    c = text.index('    "APIError":\n')
    swapped = text[:a] + text[b:c] + text[a:b] + text[c:]
    spec.write_text(swapped)
    ir = build_ir(load_spec(spec))
    assert (ir.models["pet"].name.typescript_type, ir.models["Pet"].name.typescript_type) == ("Pet", "PetModel")


# -- our own SDKs keep their names --------------------------------------------------------------


def test_our_contract_needs_no_rename() -> None:
    ir = build_ir(load_spec(ROOT / "openapi.yaml"))
    assert not [d for d in ir.notes if " is `" in d.message]
    for names in [m.name for m in ir.models.values()] + [e.name for s in ir.streams.values() for e in s.events]:
        assert names.python_type == names.typescript_type == names.pascal
        assert names.go_type == names.go
    for op in ir.operations:
        assert (op.name.python_member, op.name.typescript_member, op.name.go_member) == (
            op.name.python, op.name.typescript, op.name.go)


# -- spellings --------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "words"), [
    ("getItem", ["get", "item"]), ("get_item", ["get", "item"]), ("HTTPServer", ["http", "server"]),
    ("café", ["cafe"]), ("日本", ["u65e5", "u672c"]), ("+", ["plus"]), ("<=", ["lt", "eq"]), ("", ["empty"]),
    ("\n", ["empty"]), ("*/", ["star", "slash"]), ("🔥", ["u1f525"]),
])
def test_split_words_never_returns_nothing(raw: str, words: list[str]) -> None:
    assert naming.split_words(raw) == words


def test_namespace_claims_are_first_come_and_numbered() -> None:
    ns = naming.Namespace(reserved={"Client"})
    assert ns.claim("Pet", "model Pet") == ("Pet", None)
    assert ns.claim("Pet", "resource pet", word="Resource") == ("PetResource", "model Pet")
    assert ns.claim("Pet", "other", word="Resource") == ("PetResource2", "model Pet")
    assert ns.claim("Client", "model Client", word="Model") == ("ClientModel", "the runtime")
    folded = naming.Namespace(fold=True, sep="_")
    assert folded.claim("pet", "a")[0] == "pet" and folded.claim("Pet", "b")[0] == "Pet_2"
    derived = naming.Namespace()
    derived.claim("FooSpec", "x")
    assert derived.claim("Foo", "stream", derive=lambda b: [b, b + "Spec"], word="Stream")[0] == "FooStream"
