"""How a user of each SDK spells a piece of the IR: the names the consequences quote.

Every name comes from the IR's `Names`, resolved once by the builder (keyword-safe and
collision-free in its scope), so the report quotes what the SDKs declare:

    operation        Python client.chat.send_message()   TypeScript client.chat.sendMessage()
                     Go client.Chat.SendMessage()        (Names.*_member of resource and method)
    type             Names.python_type / .typescript_type / .go_type
    member           Names.python_member / .typescript_member / .go_member (Go arguments: go_local)
    enum constant    Python MessageRole.USER, TypeScript MessageRole.User, Go MessageRoleUser

The builder resolves a collision by renaming the later claimant (`title_2`, `ErrorModel`),
so adding one thing can rename another: comparing the resolved spellings is what makes
such a rename visible. (The deprecated spellings `python`, `typescript`, `go`, `pascal`,
`constant`, `go_private` are the same except where a collision was resolved.)

`type_text` spells a value's type the way each target declares it, close enough to tell
whether a change alters what a user's code sees (it decides per-language severities of
type, requiredness and nullability changes; the corpus under tests/diff_specs pins it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..ir import IR, EventType, Names, Operation, Resource, TypeRef
from .model import LANGS

__all__ = [
    "Surface",
    "type_text",
    "member",
    "local",
    "type_name",
    "const_name",
    "declared_types",
    "declared_unions",
    "inputs",
    "outputs",
]


def member(names: Names, lang: str) -> str:
    """A member (method, field, argument, resource accessor) as `lang` spells it."""
    resolved = {"python": names.python_member, "typescript": names.typescript_member, "go": names.go_member}[lang]
    return resolved or {"python": names.python, "typescript": names.typescript, "go": names.go}[lang]


def local(names: Names) -> str:
    """A Go argument name (positional: not part of any call's spelling)."""
    return names.go_local or names.go_private


def type_name(names: Names, lang: str) -> str:
    """A type (model, enum, union, event, params, client) as `lang` spells it."""
    resolved = {"python": names.python_type, "typescript": names.typescript_type, "go": names.go_type}[lang]
    return resolved or (names.go if lang == "go" else names.pascal)


def const_name(enum: Names, value: Names, lang: str) -> str:
    """An enum constant: Python `Enum.MEMBER`, TypeScript `Enum.Key`, Go `EnumSuffix`."""
    if lang == "python":
        return f"{type_name(enum, lang)}.{value.python_member or value.constant}"
    if lang == "typescript":
        return f"{type_name(enum, lang)}.{value.typescript_member or value.pascal}"
    return f"{type_name(enum, lang)}{value.go_member or value.go}"


_SCALAR = {
    "python": {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "any": "Any"},
    "typescript": {"string": "string", "integer": "number", "number": "number", "boolean": "boolean", "any": "unknown"},
    "go": {"string": "string", "integer": "int64", "number": "float64", "boolean": "bool", "any": "any"},
}


def _named(ir: IR | None, t: TypeRef) -> Names:
    """The Names of the model, enum or union a TypeRef names (from `ir` when given)."""
    ref = t.union if t.kind == "any" and t.union else t.ref or ""
    if ir is not None:
        for table in (ir.unions, ir.models, ir.enums) if t.kind == "any" else (ir.models, ir.enums):
            hit = table.get(ref)
            if hit is not None:
                return hit.name
    return Names.of(ref)


def _base(t: TypeRef | None, lang: str, role: str, ir: IR | None) -> str:
    if t is None:
        return _SCALAR[lang]["any"]
    if t.kind == "string" and t.format == "date-time" and (lang == "go" or (lang == "python" and role == "out")):
        return "time.Time" if lang == "go" else "datetime"
    if t.kind == "any" and t.union:
        return type_name(_named(ir, t), lang)
    if t.kind in _SCALAR[lang]:
        if t.const is not None and lang == "typescript":
            return repr(t.const) if not isinstance(t.const, bool) else str(t.const).lower()
        return _SCALAR[lang][t.kind]
    if t.kind == "array":
        inner = type_text(t.items, lang, role=role, required=True, ir=ir)
        return {"python": f"list[{inner}]", "typescript": f"{inner}[]", "go": f"[]{inner}"}[lang]
    if t.kind == "map":
        inner = type_text(t.values, lang, role=role, required=True, ir=ir)
        return {"python": f"dict[str, {inner}]", "typescript": f"Record<string, {inner}>", "go": f"map[string]{inner}"}[lang]
    if t.kind in ("model", "enum"):
        return type_name(_named(ir, t), lang)
    return _SCALAR[lang]["any"]


_GO_POINTERABLE = ("string", "integer", "number", "boolean", "model", "enum")


def type_text(
    t: TypeRef | None, lang: str, *, role: str = "out", required: bool = True, choices: tuple[Any, ...] = (), ir: IR | None = None
) -> str:
    """A value's declared type in `lang`. role: "out" (read from responses and events),
    "in" (a body field or argument), "query" (a query/header argument; Go leaves optional
    strings as plain strings, empty meaning not sent). `ir` spells named types with their
    resolved names (without it: as the schema name would be spelled)."""
    base = _base(t, lang, role, ir)
    if choices and lang == "typescript" and t is not None and t.kind in ("string", "integer", "number"):
        base = " | ".join(repr(c) if isinstance(c, str) else str(c) for c in choices)
    nullable = bool(t and t.nullable)
    kind = t.kind if t else "any"
    if lang == "go":
        if role == "query":
            return base if required or kind in ("string", "enum") or kind not in _GO_POINTERABLE else "*" + base
        if kind not in _GO_POINTERABLE:
            return base
        if required and not nullable:
            return base
        if role == "in" and not required and nullable:
            return f"Nullable[{base}]"
        return "*" + base
    if lang == "python":
        if role == "out":  # a model's field: an absent optional one reads as None (never Unset)
            return base + (" | None" if nullable or not required else "")
        text = base + (" | None" if nullable else "")
        return text if required else text + " | NotGiven"
    text = base + (" | null" if nullable else "")
    return text if required else text + " | undefined"


@dataclass(frozen=True)
class Surface:
    """Lookups over one IR for spelling its operations."""

    ir: IR

    def resource_of(self, op: Operation) -> Resource | None:
        return next((r for r in self.ir.resources if r.tag == op.tag), None)

    def call(self, op: Operation, lang: str) -> str:
        res = self.resource_of(op)
        rname = member(res.name, lang) if res else "?"
        return f"client.{rname}.{member(op.name, lang)}()"

    def calls(self, op: Operation) -> dict[str, str]:
        return {lang: self.call(op, lang) for lang in LANGS}

    @staticmethod
    def event_class(ev: EventType, lang: str) -> str:
        return type_name(ev.name, lang)


# -- which schemas each SDK declares as types ------------------------------------------------
# Mirrors the targets (tests/test_diff_table.py checks these against them):
#   Python      models.py re-exports every model but envelopes, request bodies, event data
#               and event frames (those surface as method keywords and event classes), and
#               every enum
#   TypeScript  models.ts exports every model but envelopes and event frames, and every enum
#   Go          models.go declares the models and enums reachable from a result, an input
#               or an event field (bodies become Params structs, events their own types)
# (The IR's own decision, `Model.visibility`, is compared too: see compare.py.)


def _refs(t: TypeRef | None, unions: bool = False) -> list[str]:
    """The schemas a value's type names: models and enums, and with `unions` the union
    itself (whose variants `_closure` then follows)."""
    if t is None:
        return []
    out = [t.ref] if t.kind in ("model", "enum") and t.ref else []
    if unions and t.kind == "any" and t.union:
        out.append(t.union)
    return out + _refs(t.items, unions) + _refs(t.values, unions)


def _closure(ir: IR, roots: list[str], unions: bool = False) -> set[str]:
    seen: set[str] = set()
    while roots:
        name = roots.pop()
        if name in seen:
            continue
        seen.add(name)
        model = ir.models.get(name)
        if model:
            for f in model.fields:
                roots += _refs(f.type, unions)
            roots += _refs(model.additional_properties, unions)
        union = ir.unions.get(name) if unions else None
        if union:
            for v in union.variants:
                roots += _refs(v.type, unions)
    return seen


def input_roots(ir: IR, unions: bool = False) -> list[str]:
    roots: list[str] = []
    for op in ir.operations:
        for f in op.body.fields if op.body else []:
            roots += _refs(f.type, unions)
        if unions and op.body is not None and op.body.schema_name is None:
            roots += _refs(op.body.type, unions)  # a body that is no model: an array, a union
        params = op.path_params + op.query_params + op.header_params
        for p in params + (op.cookie_params if unions else []):
            roots += _refs(p.type, unions)
    return roots


def output_roots(ir: IR, unions: bool = False) -> list[str]:
    roots: list[str] = []
    for op in ir.operations:
        if op.result.kind in ("model", "page"):
            roots += _refs(op.result.type, unions)
        if op.result.meta_schema:
            roots.append(op.result.meta_schema)
    for stream in ir.streams.values():
        for ev in stream.events:
            for f in ev.fields:
                roots += _refs(f.type, unions)
            if unions and ev.data_schema is None:
                roots += _refs(ev.data_type, unions)
    return roots


def inputs(ir: IR) -> set[str]:
    """Schemas (models, enums and unions) a request can carry, through unions too."""
    return _closure(ir, input_roots(ir, unions=True), unions=True)


def outputs(ir: IR) -> set[str]:
    """Schemas (models, enums and unions) a response or an event can carry, through unions too."""
    return _closure(ir, output_roots(ir, unions=True), unions=True)


def declared_types(ir: IR, lang: str) -> set[str]:
    """The schema names (models and enums) the `lang` SDK declares as public types."""
    if lang == "go":
        return {n for n, m in ir.models.items() if m.visibility == "public"} | set(ir.enums)
    if lang == "typescript":
        return {n for n, m in ir.models.items() if m.visibility == "public"} | set(ir.enums)
    return {name for name, m in ir.models.items()
            if not (m.is_envelope or m.is_request_body or m.is_event_data or m.is_event_frame)} | set(ir.enums)


def declared_unions(ir: IR, lang: str) -> set[str]:
    """The unions (IR.unions) the `lang` SDK declares as named types.

    This is the IR's contract, not a mirror: every union has a type name per language
    (`Names.*_type`), declared as the models are (Python and TypeScript: every one; Go:
    those a request, a response or an event can carry). The targets of issue 10 round 1
    still spell a union value as any; the report describes the SDKs that render
    `IR.unions`, which is what every target is moving to.
    """
    if lang == "go":
        return {n for n in inputs(ir) | outputs(ir) if n in ir.unions}
    if lang == "typescript":  # a stream's frame union is the stream's event type, not a union type
        return set(ir.unions) - set(ir.streams)
    return set(ir.unions)
