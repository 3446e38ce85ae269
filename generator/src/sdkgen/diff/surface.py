"""How a user of each SDK spells a piece of the IR: the names the consequences quote.

Every name comes from the IR's `Names` (computed once by the builder), so the report
quotes what the generated code declares:

    operation        Python client.chat.send_message()   TypeScript client.chat.sendMessage()
                     Go client.Chat.SendMessage()
    type             Python/TypeScript Names.pascal, Go Names.go
    member           Python Names.python, TypeScript Names.typescript, Go Names.go
    enum constant    Python MessageRole.USER, TypeScript MessageRole.User, Go MessageRoleUser

`type_text` spells a value's type the way each target declares it, close enough to tell
whether a change alters what a user's code sees (it decides per-language severities of
type, requiredness and nullability changes; the corpus under tests/diff_specs pins it).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..ir import IR, EventType, Names, Operation, Resource, TypeRef
from .model import LANGS

__all__ = ["Surface", "type_text", "member", "type_name", "const_name"]


def member(names: Names, lang: str) -> str:
    return {"python": names.python, "typescript": names.typescript, "go": names.go}[lang]


def type_name(names: Names, lang: str) -> str:
    return names.go if lang == "go" else names.pascal


def const_name(enum: Names, value: Names, lang: str) -> str:
    if lang == "python":
        return f"{enum.pascal}.{value.constant}"
    if lang == "typescript":
        return f"{enum.pascal}.{value.pascal}"
    return f"{enum.go}{value.go}"


_SCALAR = {
    "python": {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "any": "Any"},
    "typescript": {"string": "string", "integer": "number", "number": "number", "boolean": "boolean", "any": "unknown"},
    "go": {"string": "string", "integer": "int64", "number": "float64", "boolean": "bool", "any": "any"},
}


def _base(t: TypeRef | None, lang: str, role: str) -> str:
    if t is None:
        return _SCALAR[lang]["any"]
    if t.kind == "string" and t.format == "date-time" and (lang == "go" or (lang == "python" and role == "out")):
        return "time.Time" if lang == "go" else "datetime"
    if t.kind in _SCALAR[lang]:
        if t.const is not None and lang == "typescript":
            return repr(t.const) if not isinstance(t.const, bool) else str(t.const).lower()
        return _SCALAR[lang][t.kind]
    if t.kind == "array":
        inner = type_text(t.items, lang, role=role, required=True)
        return {"python": f"list[{inner}]", "typescript": f"{inner}[]", "go": f"[]{inner}"}[lang]
    if t.kind == "map":
        inner = type_text(t.values, lang, role=role, required=True)
        return {"python": f"dict[str, {inner}]", "typescript": f"Record<string, {inner}>", "go": f"map[string]{inner}"}[lang]
    if t.kind in ("model", "enum"):
        return type_name(Names.of(t.ref or ""), lang)
    return _SCALAR[lang]["any"]


_GO_POINTERABLE = ("string", "integer", "number", "boolean", "model", "enum")


def type_text(t: TypeRef | None, lang: str, *, role: str = "out", required: bool = True, choices: tuple = ()) -> str:
    """A value's declared type in `lang`. role: "out" (read from responses and events),
    "in" (a body field or argument), "query" (a query/header argument; Go leaves optional
    strings as plain strings, empty meaning not sent)."""
    base = _base(t, lang, role)
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
        text = base + (" | None" if nullable else "")
        if not required:
            text += " | NotGiven" if role != "out" else " | Unset"
        return text
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
# Mirrors the targets (tests/test_diff_surface.py checks these against them):
#   Python      models.py re-exports every model but envelopes, request bodies, event data
#               and event frames (those surface as method keywords and event classes), and
#               every enum
#   TypeScript  models.ts exports every model but envelopes and event frames, and every enum
#   Go          models.go declares the models and enums reachable from a result, an input
#               or an event field (bodies become Params structs, events their own types)


def _refs(t: TypeRef | None) -> list[str]:
    if t is None:
        return []
    out = [t.ref] if t.kind in ("model", "enum") and t.ref else []
    return out + _refs(t.items) + _refs(t.values)


def _closure(ir: IR, roots: list[str]) -> set[str]:
    seen: set[str] = set()
    while roots:
        name = roots.pop()
        if name in seen:
            continue
        seen.add(name)
        model = ir.models.get(name)
        if model:
            for f in model.fields:
                roots += _refs(f.type)
            roots += _refs(model.additional_properties)
    return seen


def input_roots(ir: IR) -> list[str]:
    roots: list[str] = []
    for op in ir.operations:
        for f in op.body.fields if op.body else []:
            roots += _refs(f.type)
        for p in op.path_params + op.query_params + op.header_params:
            roots += _refs(p.type)
    return roots


def output_roots(ir: IR) -> list[str]:
    roots: list[str] = []
    for op in ir.operations:
        if op.result.kind in ("model", "page"):
            roots += _refs(op.result.type)
        if op.result.meta_schema:
            roots.append(op.result.meta_schema)
    for stream in ir.streams.values():
        for ev in stream.events:
            for f in ev.fields:
                roots += _refs(f.type)
    return roots


def inputs(ir: IR) -> set[str]:
    """Schemas (models and enums) a request can carry."""
    return _closure(ir, input_roots(ir))


def outputs(ir: IR) -> set[str]:
    """Schemas (models and enums) a response or an event can carry."""
    return _closure(ir, output_roots(ir))


def declared_types(ir: IR, lang: str) -> set[str]:
    """The schema names (models and enums) the `lang` SDK declares as public types."""
    if lang == "go":
        roots = [r for op in ir.operations if op.result.kind in ("model", "page") for r in _refs(op.result.type)]
        roots += input_roots(ir)
        roots += [r for s in ir.streams.values() for ev in s.events for f in ev.fields for r in _refs(f.type)]
        return _closure(ir, roots)
    hidden_py = lambda m: m.is_envelope or m.is_request_body or m.is_event_data or m.is_event_frame  # noqa: E731
    hidden_ts = lambda m: m.is_envelope or m.is_event_frame  # noqa: E731
    hidden = hidden_py if lang == "python" else hidden_ts
    return {name for name, m in ir.models.items() if not hidden(m)} | set(ir.enums)
