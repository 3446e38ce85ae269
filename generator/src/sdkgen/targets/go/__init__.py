"""The Go target: a module with one package, standard library only.

Output (relative to the module root):

    go.mod                  module IR.sdk.go_module, go 1.24 (for `omitzero` and generic aliases)
    doc.go                  the package documentation
    client.go               Client, NewClient, WithOptions, the credential options, the API's
                            settings (auth schemes, env prefix, User-Agent)
    sse.go                  the bridge to internal/sse (the only file naming the module path)
    models.go               enums, public models, unions, and the contract's shapes
    events.go               one event type per stream event, the decoders, the stream specs
    <resource>_service.go   one service per resource (client.<Resource>) with its Params types
    <resource>_conversation.go  the conversation of a resource with `x-sdk-conversation`: its
                            open and load methods, their Params type, and the binding of the
                            runtime's Conversation (runtime/conversation.go) to the resource's
                            operations (`conversation_info`)
    api.md                  the API reference: every resource, method, parameter, return type,
                            event type
    core.go errors.go ...   the hand-written runtime (runtime/*.go), copied unchanged
    internal/sse/parser.go  the push-style SSE parser (runtime/internal/sse)

The runtime is brand-neutral: its files name no API, no module path and no package. Each
runtime file of the root package is stored without a package clause; the target writes the
clause (`package <IR.sdk.go_package>`) before it, as it writes the generated header, and
changes nothing else. The runtime reaches internal/sse through sse.go, generated here with
the IR's module path. Everything an API is called (names, env prefix, User-Agent, auth) comes
from the IR through client.go.

Every decision is the IR's: names (`Names.go_type`, `go_member`, `go_local`), which models
are public (`Model.visibility`), required inputs (`Operation.params_required`), the envelope
(`Result.wrapped`), bodies (`Body.kind`), auth (`IR.auth`, `Operation.security`), the stream
style (`EventStream.dispatch`, `sentinel`, `eof_ends`, terminal/failure events, `text_delta`,
`output`, `usage`, `resume`), JSON-or-SSE pairs (`Operation.body_switch`, `accept`). The
target only spells them in Go; the Go-only choices it makes are representation (which
fields are pointers, see `field_type`) and serialization conventions (forms in bracket
style, multipart non-scalar fields as JSON).

Escaping. A spec is untrusted input: every string from it reaches a template through exactly
one filter for its context, and never raw:

    gostr(s)            a Go interpreted string literal (escapes quotes, backslashes, every
                        control, format and separator character; no NUL or BOM ever reaches
                        the source)
    comment(s, indent)  prose as `//` comment lines (control, format and separator characters
                        become spaces, so the text can never end the comment or start a line
                        of code; each line starts with "// ", so it is never a directive)
    ident(name)         an identifier from the IR's Names, checked to be a Go identifier and
                        not a keyword (a failure is an internal error, never broken output)
    tag(field)          a struct tag, written as an interpreted string literal (gostr of
                        `json:` + gostr(wire name)), so a wire name cannot end the tag
    md(s)               prose in api.md (HTML and Markdown punctuation escaped, one line)
    mdcode(s)           a wire name in a Markdown code span

Templates read only IR fields, these filters (and `doc_type`/`doc_method`, which compose a
Go-form doc sentence before `comment` escapes it, and `goliteral` for a body switch's JSON
value), and these helpers, each documented where it is defined: field_type, decoder,
typed_extra, param_type, input_type, input_is_ptr, input_zero, variant_type, shape_literal,
shape_ptr, contract_shapes, streams_info, operations_info, params_structs, body_fields,
event_has_fields, event_data_type, path_args, security, result_type, auth_info, how,
emitted_models (the public ones).

Safety nets, not decisions: the target refuses with a clear error (never emits code that does
not build) when an IR type name meets a name the runtime exports, or an IR member name meets
a member the templates add (JSON, RawJSON, ExtraFields, MarshalJSON, UnmarshalJSON, EventID,
EventType, <Field>Text), until naming.RUNTIME_NAMES / MEMBER_RESERVED list them all.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path
from typing import Any

from ... import naming
from ...ir import (
    IR,
    AuthScheme,
    EventStream,
    EventType,
    Field,
    Model,
    Operation,
    Parameter,
    Resource,
    TypeRef,
    ValuePath,
)
from ...render import _lines, make_env
from .. import RenderContext

__all__ = ["RUNTIME", "TARGET", "GoTarget", "comment", "gostr", "ident", "runtime_files"]

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
RUNTIME = HERE / "runtime"
SCALARS = {"string": "string", "integer": "int64", "number": "float64", "boolean": "bool"}
# Prefixes of the unexported names the templates derive from IR type names; the runtime
# defines no name with any of them (tested), so they cannot collide with it.
GENERATED_PREFIXES = ("shapeOf", "specOf", "streamDecode", "paramsOf", "securityOf", "conversationOf")


class GoTargetError(ValueError):
    """The IR asks for something the Go target cannot render (never a silent change)."""


# -- escaping filters ---------------------------------------------------------------------

def _unsafe(c: str) -> bool:
    """Characters that never appear raw in Go source from spec text."""
    cat = unicodedata.category(c)
    return cat in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") or c == "\ufeff"


def gostr(value: Any) -> str:
    """A Go interpreted string literal holding `value` exactly (as text)."""
    out = ['"']
    for c in str(value):
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif c == "\r":
            out.append("\\r")
        elif ord(c) < 0x80 and (ord(c) < 0x20 or ord(c) == 0x7F):
            out.append(f"\\x{ord(c):02x}")
        elif _unsafe(c):
            if 0xD800 <= ord(c) <= 0xDFFF:
                out.append("\\ufffd")  # a lone surrogate cannot be UTF-8
            elif ord(c) > 0xFFFF:
                out.append(f"\\U{ord(c):08x}")
            else:
                out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def _prose(text: Any) -> str:
    return "".join(" " if (_unsafe(c) and c not in "\n\t") else c for c in str(text or ""))


def comment(text: Any, indent: str = "", width: int = 76) -> str:
    """Prose as `//` comment lines, re-flowed."""
    lines = _lines(_prose(text), width)
    return "\n".join(f"{indent}//" + (f" {line}" if line else "") for line in lines)


GO_KEYWORDS = naming.GO_KEYWORDS


def ident(name: str) -> str:
    """An identifier from the IR, checked."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name or "") or name in GO_KEYWORDS:
        raise GoTargetError(f"go: {name!r} is not a usable Go identifier (an IR name must be one)")
    return name


def tag(f: Field, omit: str = "") -> str:
    """The struct tag of a field (json: its wire name): a raw string literal when the name
    needs no escaping, else an interpreted one."""
    value = gostr(f.wire_name + omit)
    if value == '"' + f.wire_name + omit + '"' and "`" not in value and value.isprintable():
        return "`json:" + value + "`"
    return gostr("json:" + value)


def _lower_first(text: str) -> str:
    """Lowercases the first letter of prose, unless it starts an acronym ("API", "JSON")."""
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def _third_person(word: str) -> str:
    w = word.lower()
    if w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w
    if w.endswith(("sh", "ch", "x", "z", "o", "ss")):
        return w + "es"
    if len(w) > 1 and w.endswith("y") and w[-2] not in "aeiou":
        return w[:-1] + "ies"
    return w + "s"


def doc_type(name: str, text: Any) -> str:
    """A type's doc sentence in Go form: "Name is a ..." / "Name represents ..."."""
    prose = " ".join(_prose(text).split())
    if not prose:
        return f"{name} is a type of the API."
    first = prose.split(" ", 1)[0]
    if first.endswith("s") and not first.lower().endswith(("ss", "us", "is")) and first[:1].isupper() and len(first) > 3:
        return f"{name} {_lower_first(prose)}"
    return f"{name} is {_lower_first(prose)}"


def doc_method(name: str, summary: Any, fallback: str) -> str:
    """A method's doc sentence in Go form: "ListSessions lists chat sessions."."""
    prose = " ".join(_prose(summary).split())
    if not prose:
        return f"{name} {fallback}"
    first, _, rest = prose.partition(" ")
    if first[:1].isupper() and first[1:].islower() and first.isalpha():
        sentence = _third_person(first) + (" " + rest if rest else "")
    else:
        sentence = "does this: " + prose
    if not sentence.endswith((".", "!", "?")):
        sentence += "."
    return f"{name} {sentence}"


_MD = str.maketrans({c: f"&#{ord(c)};" for c in "<>&`|*_[]\\#"})


def md(text: Any) -> str:
    return " ".join(_prose(text).split()).translate(_MD)


def mdcode(text: Any) -> str:
    """Text in a Markdown code span: as many backticks around it as it needs."""
    s = " ".join(_prose(text).split()).replace("|", "\\|")
    run = max((len(m) for m in re.findall(r"`+", s)), default=0)
    fence = "`" * (run + 1)
    pad = " " if s.startswith("`") or s.endswith("`") or not s else ""
    return f"{fence}{pad}{s}{pad}{fence}"


# -- types --------------------------------------------------------------------------------

class Types:
    """How IR types are spelled in Go (names from the IR; pointers as documented)."""

    def __init__(self, ir: IR) -> None:
        self.ir = ir
        self.requests = request_models(ir)

    def named(self, t: TypeRef) -> str:
        if t.kind == "model":
            return ident(self.ir.models[t.ref or ""].name.go_type)
        if t.kind == "enum":
            return ident(self.ir.enums[t.ref or ""].name.go_type)
        if t.kind == "any" and t.union:
            return ident(self.ir.unions[t.union].name.go_type)
        raise GoTargetError(f"go: {t.kind} is not a named type")

    def base(self, t: TypeRef | None) -> str:
        """The Go type of a value (no pointer for null)."""
        if t is None:
            return "json.RawMessage"
        if t.kind == "string" and t.format == "date-time":
            return "time.Time"
        if t.kind in SCALARS:
            return SCALARS[t.kind]
        if t.kind == "array":
            return "[]" + self.elem(t.items)
        if t.kind == "map":
            return "map[string]" + self.elem(t.values)
        if t.kind in ("model", "enum") or (t.kind == "any" and t.union):
            return self.named(t)
        return "any"

    def elem(self, t: TypeRef | None) -> str:
        """An item of a list or map: *T when it may be null."""
        if t is not None and t.nullable and pointerable(t):
            return "*" + self.base(t)
        return self.base(t)

    def value(self, t: TypeRef | None) -> str:
        """A returned or sent value: *T when it may be null; models and unions by pointer."""
        if t is None or (t.kind == "any" and not t.union):
            return "json.RawMessage"
        if t.kind == "model" or (t.kind == "any" and t.union) or (t.nullable and pointerable(t)):
            return "*" + self.base(t)
        return self.base(t)


def variant_type(t: TypeRef, types: Types) -> str:
    """A union variant's field: a pointer (nil: not this variant), or a list, map or raw
    JSON (nil: not this variant)."""
    if t.kind == "any" and not t.union:
        return "json.RawMessage"
    base = types.base(t)
    if t.kind in ("array", "map"):
        return base
    return "*" + base


def pointerable(t: TypeRef) -> bool:
    return t.kind in ("string", "integer", "number", "boolean", "model", "enum") or bool(t.kind == "any" and t.union)


def _refs(t: TypeRef | None) -> list[str]:
    if t is None:
        return []
    out = [t.ref] if t.kind in ("model", "enum") and t.ref else []
    return out + _refs(t.items) + _refs(t.values)


def _union_refs(ir: IR, t: TypeRef | None) -> list[str]:
    if t is None:
        return []
    out = _refs(t)
    if t.kind == "any" and t.union and t.union in ir.unions:
        for v in ir.unions[t.union].variants:
            out += _union_refs(ir, v.type)
    return out + _union_refs(ir, t.items) + _union_refs(ir, t.values)


def request_models(ir: IR) -> set[str]:
    """The schema names of the models an operation's inputs can carry (their optional fields
    are pointers, so nil means "left out")."""
    roots: list[str] = []
    for op in ir.operations:
        if op.body:
            roots += _union_refs(ir, op.body.type)
            for f in op.body.fields:
                roots += _union_refs(ir, f.type)
        for p in op.path_params + op.query_params + op.header_params + op.cookie_params:
            roots += _union_refs(ir, p.type)
    seen: set[str] = set()
    while roots:
        name = roots.pop()
        if name in seen or name not in ir.models:
            continue
        seen.add(name)
        m = ir.models[name]
        for f in m.fields:
            roots += _union_refs(ir, f.type)
        roots += _union_refs(ir, m.additional_properties)
    return seen


def field_type(f: Field, owner: Model | None, types: Types) -> str:
    """A model's or event's field (RUNTIME.md, "Reading responses"): T, or *T when the
    contract lets it be null (nil: null or absent); json.RawMessage for a value of any JSON
    type; *T for a model field of a model on a reference cycle (`Model.recursive`) whose type
    is on one too (a struct cannot hold itself); in a model a request can carry, *T for every
    optional field, so nil means "left out"."""
    t = f.type
    if t.kind == "any" and not t.union:
        return "json.RawMessage"
    base = types.base(t)
    if owner is not None and owner.schema_name in types.requests and pointerable(t) and not (f.required and not t.nullable):
        return "*" + base
    if pointerable(t) and t.nullable:
        return "*" + base
    if t.kind == "any" and t.union:
        return "*" + base
    if t.kind == "model" and owner is not None and owner.recursive and types.ir.models[t.ref or ""].recursive:
        return "*" + base
    return base


def decoder(f: Field, owner: Model | None, types: Types) -> str:
    """The runtime's tolerant decode helper for a field."""
    gt = field_type(f, owner, types)
    ptr = "Ptr" if gt.startswith("*") else ""
    t = f.type
    kind = t.kind
    if kind == "enum":
        kind = types.ir.enums[t.ref or ""].kind
    if kind == "any" and not t.union:
        return "decodeRaw"
    if kind == "string" and t.format != "date-time":
        return "decodeString" + ptr
    if kind == "integer":
        return "decodeInt" + ptr
    if kind == "number":
        return "decodeFloat" + ptr
    if kind == "boolean":
        return "decodeBool" + ptr
    return "decodeValue"


def typed_extra(m: Model | None, types: Types) -> str:
    """The Go type of a model's typed additionalProperties values, or "" (additionalProperties:
    true is read into ExtraFields only)."""
    if m is None or m.additional_properties is None:
        return ""
    ap = m.additional_properties
    if ap.kind == "any" and not ap.union:
        return ""
    return types.elem(ap)


def param_type(f: Field, types: Types) -> str:
    """A body field in a Params struct: T when required, else *T, or Nullable[T] when it may
    also be sent as null (left out / value / null); a file is an io.Reader."""
    t = f.type
    if t.kind == "string" and t.format == "binary":
        return "io.Reader"
    if t.kind == "any" and not t.union:
        return "any"
    if f.required:
        return ("*" + types.base(t)) if (t.nullable and pointerable(t)) or (t.kind == "any" and t.union) else types.base(t)
    if t.nullable and pointerable(t):
        return f"Nullable[{types.base(t)}]"
    return ("*" + types.base(t)) if pointerable(t) else types.base(t)


def is_file(f: Field) -> bool:
    return f.type.kind == "string" and f.type.format == "binary"


def input_is_ptr(p: Parameter) -> bool:
    """Whether a query/header/cookie parameter is a pointer: an optional value other than a
    string (an empty string is not sent), a list, a map or raw JSON (nil is not sent)."""
    if p.required:
        return False
    t = p.type
    if t.kind == "string" and t.format != "date-time" or t.kind == "enum":
        return False
    return pointerable(t) or (t.kind == "string" and t.format == "date-time")


def input_type(p: Parameter, types: Types) -> str:
    base = types.base(p.type) if not (p.type.kind == "any" and not p.type.union) else "any"
    return "*" + base if input_is_ptr(p) else base


def input_zero(p: Parameter) -> str:
    """The Go expression a not-given optional parameter equals."""
    if input_is_ptr(p):
        return "nil"
    t = p.type
    if t.kind in ("string", "enum"):
        return '""'
    return "nil"


# -- contract shapes ----------------------------------------------------------------------

KINDS = {"string": "kindString", "integer": "kindInteger", "number": "kindNumber", "boolean": "kindBoolean",
         "array": "kindArray", "map": "kindObject", "model": "kindObject"}


def shape_literal(t: TypeRef | None, ir: IR) -> str:
    """The inside of the runtime's valueShape literal for a value of type `t`."""
    if t is None:
        return ""
    parts: list[str] = []
    if t.kind == "any":
        if t.nullable:
            parts.append("nullable: true")
        if t.union and t.union in ir.unions:
            parts.append(f"union: {gostr(ir.unions[t.union].name.go_type)}")
        return ", ".join(parts)
    kind, enum = t.kind, None
    if kind == "enum":
        e = ir.enums[t.ref or ""]
        kind = e.kind
        enum = [json.dumps(v.value, ensure_ascii=False) for v in e.values]
    parts.append(f"kind: {KINDS[kind]}")
    if t.nullable:
        parts.append("nullable: true")
    if t.kind == "model" and t.ref in ir.models:
        parts.append(f"model: {gostr(ir.models[t.ref].name.go_type)}")
    elif t.kind in ("array", "map"):
        inner = shape_literal(t.items if t.kind == "array" else t.values, ir)
        if inner:
            parts.append(f"{'items' if t.kind == 'array' else 'values'}: &valueShape{{{inner}}}")
    if t.const is not None:
        enum = [json.dumps(t.const, ensure_ascii=False)]
    if enum is not None:
        parts.append("enum: []string{" + ", ".join(gostr(v) for v in enum) + "}")
    return ", ".join(parts)


def shape_ptr(t: TypeRef | None, ir: IR) -> str:
    """A *valueShape expression for a value of type t ("nil" when nothing is checked)."""
    inner = shape_literal(t, ir)
    return f"&valueShape{{{inner}}}" if inner else "nil"


def _object_shape(ir: IR, key: str, fields: list[Field], extra: TypeRef | None, flatten: str | None) -> dict[str, Any]:
    index = next((i for i, f in enumerate(fields) if f.wire_name == flatten), -1)
    return {
        "key": key,
        "var": "shapeOf" + ident(key),
        "fields": [{"wire": f.wire_name, "aliases": f.aliases, "required": f.required,
                    "shape": shape_literal(f.type, ir)} for f in fields],
        "extra": shape_literal(extra, ir) if extra is not None else None,
        "flatten": index,
        "aliased": any(f.aliases for f in fields),
    }


def contract_shapes(ir: IR) -> dict[str, Any]:
    """The runtime's shape table: one objectShape per model (public or not: the strict mode
    checks envelopes' meta and event data too) and per event whose data is an object (key:
    the event type's name), one unionShape per union."""
    objects = []
    for m in ir.models.values():
        objects.append(_object_shape(ir, m.name.go_type, m.fields, m.additional_properties, m.flatten))
    for stream in ir.streams.values():
        for ev in stream.events:
            if event_has_fields(ev):
                data = ir.models.get(ev.data_schema or "")
                objects.append(_object_shape(ir, ev.name.go_type, ev.fields, data.additional_properties if data else None,
                                             data.flatten if data else None))
    unions = []
    for u in ir.unions.values():
        tags = [(t, i) for i, v in enumerate(u.variants) for t in v.tags]
        unions.append({"key": u.name.go_type, "discriminator": u.discriminator,
                       "tags": tags, "variants": [shape_literal(v.type, ir) for v in u.variants]})
    return {"objects": objects, "unions": unions}


# -- events and streams -------------------------------------------------------------------

def event_has_fields(ev: EventType) -> bool:
    """Whether an event's data is a JSON object read into the event's own fields."""
    return ev.data_format == "json" and ev.data_type is not None and ev.data_type.kind == "model"


def event_data_type(ev: EventType, types: Types) -> str:
    """The Go type of the Data field of an event whose data is not an object of fields."""
    if ev.data_format == "text":
        return "string"
    t = ev.data_type
    if t is None or (t.kind == "any" and not t.union):
        return "json.RawMessage"
    return types.value(t)


def _value_path(vp: ValuePath | Any, stream: EventStream) -> dict[str, Any] | None:
    if vp is None:
        return None
    ev = next((e for e in stream.events if e.event == vp.event), None)
    steps = []
    for step in vp.path:
        steps.append(str(int(step)) if isinstance(step, int) and not isinstance(step, bool) else gostr(step))
    return {"event": vp.event, "path": steps, "text": bool(ev and ev.data_format == "text"),
            "text_keys": list(getattr(vp, "text_keys", []) or [])}


def streams_info(ir: IR) -> list[dict[str, Any]]:
    """Per stream what events.go renders: its spec fields and its resume route (the IR's
    `ResumeRoute`: the operation, its path and method, and per carrier event the Go
    expressions of the bound fields)."""
    out = []
    ops = {op.key: op for op in ir.operations}
    for stream in ir.streams.values():
        route = None
        if stream.resume is not None:
            r = stream.resume
            op = ops.get(r.key)
            if op is None:
                raise GoTargetError(f"go: the resume route of {stream.schema_name!r} names {r.key!r}, which is no operation")
            carriers = []
            for name in r.carriers:
                ev = next(e for e in stream.events if e.event == name)
                by_wire = {f.wire_name: f for f in ev.fields}
                args = []
                for b in r.bindings:
                    f = by_wire[b.field]
                    args.append({"param": b.param, "field": ident(f.name.go_member), "kind": f.type.kind,
                                 "ptr": f.type.nullable and pointerable(f.type)})
                carriers.append({"event": ev, "args": args})
            route = {"op": op, "path": r.path, "header": r.header, "carriers": carriers}
        single = stream.events[0].event if stream.dispatch == "single" and stream.events else ""
        out.append({
            "stream": stream,
            "single": single,
            "text": _value_path(stream.text_delta, stream),
            "output": _value_path(stream.output, stream),
            "usage": _value_path(stream.usage, stream),
            "failure": [e.event for e in stream.events if e.event in stream.failure_events],
            "route": route,
        })
    return out


# -- operations ---------------------------------------------------------------------------

def body_fields(op: Operation) -> list[Field]:
    """The body fields a Params struct holds: every field of an object body but the one the
    method sets itself (`Operation.body_switch`)."""
    if op.body is None or op.body.kind in ("binary", "text"):
        return []
    switch = op.body_switch.field if op.body_switch else None
    return [f for f in op.body.fields if f.wire_name != switch]


def body_arg(op: Operation) -> bool:
    """Whether the body is its own argument (`body`): raw bytes, text, or JSON that is not an
    object of fields (a list, a union...)."""
    if op.body is None:
        return False
    if op.body.kind in ("binary", "text"):
        return True
    return op.body.kind == "json" and op.body.schema_name is None


def has_params(op: Operation) -> bool:
    return bool(body_fields(op) or op.query_params or op.header_params or op.cookie_params)


def params_structs(resource: Resource) -> list[Operation]:
    """One operation per distinct Params type (the IR gives operations with the same inputs
    one params name)."""
    seen: set[str] = set()
    out = []
    for op in resource.operations:
        if has_params(op) and op.params_name.go_type not in seen:
            seen.add(op.params_name.go_type)
            out.append(op)
    return out


def result_type(op: Operation, types: Types) -> str:
    """The Go type a method returns besides error ("" for none)."""
    r = op.result
    if r.kind == "none":
        return ""
    if r.kind == "stream":
        return "*Stream"
    if r.kind == "page":
        return f"*Page[{types.elem(r.type)}]"
    if r.kind == "binary":
        return "*http.Response"
    if r.kind == "text":
        return "string"
    return types.value(r.type)


def accept(op: Operation) -> str:
    """The Accept header: the IR's when the spec offers several, else the result's type."""
    if op.accept:
        return op.accept
    if op.result.kind == "stream":
        return "text/event-stream"
    if op.result.content_type:
        return op.result.content_type
    return "application/json"


def security(op: Operation) -> str:
    """The operation's security requirement alternatives, as a Go literal."""
    if not op.security:
        return "nil"
    return "[][]string{" + ", ".join("{" + ", ".join(gostr(k) for k in alt) + "}" for alt in op.security) + "}"


def path_arg(p: Parameter, types: Types) -> str:
    name = ident(p.name.go_local)
    if p.type.kind in ("string", "enum") and p.type.format != "date-time":
        return f"string({name})" if p.type.kind == "enum" else name
    return f"paramString({name})"


def path_args(op: Operation, types: Types) -> str:
    return ", ".join(f"{gostr(p.wire_name)}, {path_arg(p, types)}" for p in op.path_params)


EXPLODE = {None: "explodeDefault", True: "explodeYes", False: "explodeNo"}


def page_param(op: Operation) -> Parameter | None:
    if op.pagination is None:
        return None
    return next((p for p in op.query_params if p.role == "page"), None)


def page_request(op: Operation) -> dict[str, str]:
    """How a page tells the page number and limit it asked for (Go expressions)."""
    def expr(role: str, fallback: str) -> str:
        p = next((q for q in op.query_params if q.role == role), None)
        if p is None or p.type.kind != "integer":
            return fallback
        default = str(int(p.default)) if isinstance(p.default, int) and not isinstance(p.default, bool) else fallback
        if input_is_ptr(p):
            return f"valueOr(params.{ident(p.name.go_member)}, {default})"
        return f"params.{ident(p.name.go_member)}"
    return {"page": expr("page", "1"), "limit": expr("limit", "0")}


def operations_info(resource: Resource, ir: IR, types: Types) -> list[dict[str, Any]]:
    """Per operation what a service method renders (the Go spelling of IR fields)."""
    out = []
    for op in resource.operations:
        rt = result_type(op, types)
        args = ["ctx context.Context"]
        for p in op.path_params:
            args.append(f"{ident(p.name.go_local)} {types.base(p.type) if p.type.kind != 'any' or p.type.union else 'string'}")
        if body_arg(op):
            assert op.body is not None
            if op.body.kind == "binary":
                args.append("body io.Reader")
            elif op.body.kind == "text":
                args.append("body string")
            else:
                args.append(f"body {types.value(op.body.type)}")
        if has_params(op):
            args.append(f"params *{ident(op.params_name.go_type)}")
        args.append("opts ...Option")
        lei = next((p for p in op.header_params if p.role == "last_event_id"), None)
        stream = ir.streams[op.result.stream] if op.result.kind == "stream" and op.result.stream else None
        meta = ir.models.get(op.result.meta_schema or "")
        out.append({
            "op": op,
            "rt": rt,
            "args": ", ".join(args),
            "call_args": ", ".join(["ctx"] + [ident(p.name.go_local) for p in op.path_params]
                                   + (["body"] if body_arg(op) else []) + (["params"] if has_params(op) else []) + ["opts..."]),
            "has_params": has_params(op),
            "body_arg": body_arg(op),
            "fields": body_fields(op),
            "files": [f for f in body_fields(op) if is_file(f)],
            "lei": lei,
            "stream": stream,
            "accept": accept(op),
            "security": security(op),
            "page_param": page_param(op),
            "page_request": page_request(op) if op.result.kind == "page" else None,
            "item_type": types.elem(op.result.type) if op.result.kind == "page" else "",
            "item_shape": shape_ptr(op.result.type, ir) if op.result.kind == "page" else "nil",
            "meta_shape": meta.name.go_type if meta else "",
            "result_shape": shape_ptr(op.result.type, ir) if op.result.kind == "model" else "nil",
            "result_elem": rt.removeprefix("*"),
            "next_args": ", ".join(["ctx"] + [ident(p.name.go_local) for p in op.path_params]
                                   + (["body"] if body_arg(op) else []) + ["&next", "opts..."]),
            "zero": zero_value(op, rt, ir),
        })
    return out


def zero_value(op: Operation, rt: str, ir: IR) -> str:
    """The zero value of a method's result, returned beside an error ("" when none)."""
    if not rt:
        return ""
    if rt.startswith(("*", "[]", "map[")) or rt == "json.RawMessage":
        return "nil"
    t = op.result.type
    kind = t.kind if t is not None else "string"
    if t is not None and t.kind == "enum":
        kind = ir.enums[t.ref or ""].kind
    if rt == "time.Time":
        return "time.Time{}"
    return {"string": '""', "integer": "0", "number": "0", "boolean": "false"}.get(kind, '""')


def goliteral(value: Any) -> str:
    """A Go literal of a JSON value the spec gives (a body switch's value)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return gostr(value)
    if value is None:
        return "nil"
    return f"json.RawMessage({gostr(json.dumps(value, ensure_ascii=False))})"


def _call_text(f: Field, types: Types) -> str:
    """How a Params struct's text field is given the text (a string field: the text itself)."""
    t = param_type(f, types)
    if t == "string":
        return "text"
    if t == "*string":
        return "String(text)"
    if t == "Nullable[string]":
        return "NewNullable(text)"
    raise GoTargetError(f"go: the conversation's text field {f.wire_name!r} is a {t}, not a string")


def _session_call(op: Operation, session_param: str, what: str) -> str:
    """The session argument of a conversation call: the operation must take no other path parameter."""
    others = [p.wire_name for p in op.path_params if p.wire_name != session_param]
    if others:
        raise GoTargetError(f"go: the conversation's {what} operation {op.operation_id!r} takes path parameters "
                            f"besides the session ({', '.join(others)}): the conversation cannot fill them")
    p = next(p for p in op.path_params if p.wire_name == session_param)
    if p.type.kind not in ("string", "enum") or p.type.format == "date-time":
        raise GoTargetError(f"go: the conversation's session parameter {session_param!r} is not a string")
    return "id"


def conversation_info(resource: Resource, ir: IR, types: Types) -> dict[str, Any] | None:
    """What <resource>_conversation.go renders for `Resource.conversation` (None: none): the
    open and load methods and their Params type (the create operation's body fields, and
    SessionID), and per bound operation the Go call the binding makes. A shape the
    conversation cannot drive (a path parameter besides the session, a text field that is
    not a string, a create operation with path parameters) is refused clearly."""
    conv = resource.conversation
    if conv is None:
        return None
    ops = {op.key: op for op in ir.operations}
    rn = ident(resource.name.go_type)
    create, send, history = ops[conv.create], ops[conv.send], ops[conv.history]
    stream = ops[conv.stream] if conv.stream else None
    get = ops[conv.get] if conv.get else None
    delete = ops[conv.delete] if conv.delete else None
    if create.path_params or body_arg(create):
        raise GoTargetError(f"go: the conversation's create operation {create.operation_id!r} takes path parameters "
                            "or a body that is not an object of fields: the conversation cannot fill them")
    create_fields = [f for f in body_fields(create) if f.wire_name in conv.create_fields and not is_file(f)]
    session = next(p for p in send.path_params if p.wire_name == conv.session_param)
    params_type = ident(conv.open_method.go_type + "Params")
    session_member = ident(session.name.go_member)
    if session_member in {f.name.go_member for f in create_fields}:
        raise GoTargetError(f"go: {params_type} would have two fields named {session_member}")

    def model_of(op: Operation) -> Model | None:
        t = op.result.type
        if op.result.kind != "model" or t is None or t.kind != "model":
            return None
        m = ir.models.get(t.ref or "")
        return m if m is not None and m.visibility == "public" else None

    def call_params(op: Operation) -> str:
        fields = {f.wire_name: f for f in body_fields(op)}
        text = fields[conv.text_field]
        return f"&{ident(op.params_name.go_type)}{{{ident(text.name.go_member)}: {_call_text(text, types)}}}"

    created = model_of(create)
    if created is None:
        raise GoTargetError(f"go: the conversation's create operation {create.operation_id!r} answers no public model")
    # The reply: its text, whether it carried it, and the run it names (to follow it).
    reply = model_of(send)
    if reply is None:
        raise GoTargetError(f"go: the conversation's send operation {send.operation_id!r} answers no public model")
    by_wire = {f.wire_name: f for f in reply.fields}
    text_field = by_wire.get(conv.text_field)
    text = {"expr": '""', "has": "true"}
    if text_field is not None and text_field.type.kind == "string" and text_field.type.format != "date-time":
        member = ident(text_field.name.go_member)
        ftype = field_type(text_field, reply, types)
        expr = f"out.{member}" if ftype == "string" else (f"valueOr(out.{member}, \"\")" if ftype == "*string" else None)
        if expr is not None:
            text = {"expr": expr, "has": f"out.JSON.{member}.Valid()"}
    follow = None
    stream_spec = ir.streams.get(stream.result.stream or "") if stream else None
    if stream_spec is not None and stream_spec.resume is not None:
        route = stream_spec.resume
        rop = ops.get(route.key)
        rstream = ir.streams.get(rop.result.stream or "") if rop is not None else None
        args: list[dict[str, str]] = []
        run_id = None
        for b in route.bindings:
            f = by_wire.get(b.field) or by_wire.get(b.param)
            if f is None or f.type.kind not in ("string", "integer") or f.type.nullable:
                args = []
                break
            value = f"out.{ident(f.name.go_member)}"
            args.append({"param": b.param, "value": value if f.type.kind == "string" else f"paramString({value})",
                         "check": f'{value} != ""' if f.type.kind == "string" else f"out.JSON.{ident(f.name.go_member)}.Valid()"})
            if run_id is None and f.type.kind == "string":
                run_id = value
        if args and rop is not None and rstream is not None:
            follow = {"op": rop, "path": route.path, "header": route.header, "args": args, "run_id": run_id,
                      "spec": "specOf" + ident(rstream.name.go_type)}
    hist_page = next((q for q in history.query_params if q.role == "page"), None)
    hist_limit = next((q for q in history.query_params if q.role == "limit"), None)
    if hist_page is None or hist_page.type.kind != "integer":
        raise GoTargetError(f"go: the conversation's history operation {history.operation_id!r} has no page number parameter")
    limit_value = None
    if hist_limit is not None and hist_limit.type.kind == "integer":
        c = hist_limit.constraints
        for v in (c.get("maximum"), hist_limit.default if hist_limit.has_default else None, 100):
            if isinstance(v, int) and not isinstance(v, bool) and v > 0:
                limit_value = v
                break
    if limit_value is None:
        raise GoTargetError(f"go: the conversation's history operation {history.operation_id!r} has no page size parameter")
    item = history.result.type
    item_model = ir.models.get(item.ref or "") if item is not None and item.kind == "model" else None
    if item_model is None or item_model.visibility != "public":
        raise GoTargetError(f"go: the conversation's history operation {history.operation_id!r} lists no public model")

    def setter(q: Parameter, value: str) -> str:
        return f"Int({value})" if input_is_ptr(q) else value

    for what, op in (("send", send), ("stream", stream), ("history", history), ("get", get), ("delete", delete)):
        if op is not None:
            _session_call(op, conv.session_param, what)
    return {
        "conv": conv,
        "service": rn + "Service",
        "bind": "conversationOf" + rn + "Service",
        "params_type": params_type,
        "open": ident(conv.open_method.go_member),
        "load": ident(conv.load_method.go_member),
        "session_member": session_member,
        "create": create,
        "create_params": ident(create.params_name.go_type) if has_params(create) else None,
        "create_fields": [{"field": f, "member": ident(f.name.go_member), "type": param_type(f, types)} for f in create_fields],
        "create_call": ident(create.name.go_member),
        "get_call": ident(get.name.go_member) if get is not None and model_of(get) is not None else None,
        "send_call": ident(send.name.go_member),
        "send_params": call_params(send),
        "stream_call": ident(stream.name.go_member) if stream is not None else None,
        "stream_params": call_params(stream) if stream is not None else None,
        "history_call": ident(history.name.go_member) + "AutoPaging",
        "history_params": ident(history.params_name.go_type),
        "page_member": ident(hist_page.name.go_member),
        "page_value": setter(hist_page, "int64(from/limit + 1)"),
        "limit_member": ident(hist_limit.name.go_member) if hist_limit is not None else None,
        "limit_value": setter(hist_limit, "limit") if hist_limit is not None else None,
        "limit": limit_value,
        "delete_call": ident(delete.name.go_member) if delete is not None else None,
        "text": text,
        "run_id": (follow or {}).get("run_id"),
        "follow": follow,
        "usage_literal": ", ".join("{" + gostr(k) + ", " + gostr(v) + "}" for k, v in sorted(conv.usage_fields.items())),
    }


def emitted_models(ir: IR) -> list[Model]:
    """The models the Go SDK declares as types: the public ones (`Model.visibility`)."""
    return [m for m in ir.models.values() if m.visibility == "public"]


def emitted_enums(ir: IR) -> list[Any]:
    """The enums the Go SDK declares: every one."""
    return list(ir.enums.values())


def auth_info(ir: IR) -> dict[str, Any]:
    """The client's credentials: the primary scheme (the IR names it `api_key`), NewClient's
    apiKey, and one With<Name> option per scheme the SDK sends."""
    primary = next((a for a in ir.auth if a.name.original == "api_key" and a.kind != "mutual_tls"), None)
    options = []
    for a in ir.auth:
        if a.kind == "mutual_tls":
            continue
        name = "With" + ident(a.name.go_member)
        if name in _runtime_exports():
            raise GoTargetError(f"go: the credential option of scheme {a.key!r} would be {name}, which the runtime defines")
        options.append({"scheme": a, "name": name, "basic": a.kind == "basic"})
    return {"primary": primary, "options": options}


def how(a: AuthScheme, primary: AuthScheme | None) -> str:
    if primary is not None and a.key == primary.key:
        return "pass one to NewClient"
    return "use With" + ident(a.name.go_member)


# -- the runtime --------------------------------------------------------------------------

def runtime_files() -> dict[str, str]:
    """The runtime as copied: root-package files (no package clause) and internal/ files."""
    out = {}
    for src in sorted(RUNTIME.rglob("*.go")):
        rel = src.relative_to(RUNTIME).as_posix()
        out[rel] = src.read_text()
    return out


def _runtime_exports() -> set[str]:
    """The exported names the runtime defines in the root package (top-level declarations
    and the members of its const/var blocks)."""
    names: set[str] = set()
    for rel, text in runtime_files().items():
        if "/" in rel:
            continue
        depth = 0
        for line in text.splitlines():
            if depth == 0:
                m = re.match(r"^(?:func|type|var|const)\s+([A-Z]\w*)", line)
                if m:
                    names.add(m.group(1))
                if re.match(r"^(var|const) \($", line):
                    depth = 1
                    continue
            elif line == ")":
                depth = 0
            else:
                m = re.match(r"^\t([A-Z]\w*)\b", line)
                if m:
                    names.add(m.group(1))
    return names


# The standard packages generated code may use, by the name it uses them with.
IMPORTS = {"context": "context", "json": "encoding/json", "io": "io", "http": "net/http", "time": "time",
           "strings": "strings"}
_TOKENS = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:[^"\\\n]|\\.)*"|`[^`]*`|\'(?:[^\'\\\n]|\\.)*\'|[A-Za-z_]\w*\.|.', re.DOTALL)


def with_imports(code: str) -> str:
    """Adds the import block a generated file needs after its package clause: the packages
    its code (not its comments or string literals) refers to."""
    used = set()
    for m in _TOKENS.finditer(code):
        tok = m.group(0)
        if tok.endswith(".") and tok[:-1] in IMPORTS:
            used.add(IMPORTS[tok[:-1]])
    if not used:
        return code
    if len(used) == 1:
        block = f'import "{next(iter(used))}"\n'
    else:
        block = "import (\n" + "".join(f'\t"{p}"\n' for p in sorted(used)) + ")\n"
    head, sep, rest = code.partition("\n")
    return head + sep + "\n" + block + rest


def gofmt(path: str, text: str) -> str:
    exe = shutil.which("gofmt")
    if exe is None:
        raise RuntimeError("go: gofmt is not on PATH; install Go to generate the Go SDK")
    proc = subprocess.run([exe], input=text.encode(), capture_output=True, check=False)
    if proc.returncode != 0:
        numbered = "\n".join(f"{i + 1:4} {line}" for i, line in enumerate(text.splitlines()))
        raise RuntimeError(f"go: gofmt rejected {path}:\n{proc.stderr.decode()}\n{numbered}")
    return proc.stdout.decode()


def _check_runtime_names(ir: IR) -> None:
    """The IR reserves the runtime's names (naming.RUNTIME_NAMES); refuse clearly, rather
    than emit code that does not build, if a type name still meets one."""
    exports = _runtime_exports()
    for kind, names in (("model", [m.name.go_type for m in ir.models.values() if m.visibility == "public"]),
                        ("enum", [e.name.go_type for e in ir.enums.values()]),
                        ("union", [u.name.go_type for u in ir.unions.values()]),
                        ("event", [e.name.go_type for s in ir.streams.values() for e in s.events]),
                        ("resource", [r.name.go_type + "Service" for r in ir.resources]),
                        ("params", [op.params_name.go_type for op in ir.operations])):
        for n in names:
            if n in exports:
                raise GoTargetError(f"go: the IR names a {kind} {n!r}, which the Go runtime defines "
                                    "(naming.RUNTIME_NAMES['go'] must reserve it)")
    # The Params type of each conversation's open method (`<Method>Params`) is a name the
    # target adds: it must meet no other type.
    taken = (exports | {m.name.go_type for m in ir.models.values() if m.visibility == "public"}
             | {e.name.go_type for e in ir.enums.values()} | {u.name.go_type for u in ir.unions.values()}
             | {e.name.go_type for st in ir.streams.values() for e in st.events}
             | {r.name.go_type + "Service" for r in ir.resources} | {op.params_name.go_type for op in ir.operations})
    for r in ir.resources:
        if r.conversation is not None:
            name = r.conversation.open_method.go_type + "Params"
            if name in taken:
                raise GoTargetError(f"go: the conversation of {r.tag!r} would declare {name}, a name already taken "
                                    "(set `method` in x-sdk-conversation)")
            taken.add(name)


# Members the templates give every model and event (the JSON metadata and its methods) and
# every union; naming.MEMBER_RESERVED["go"] must list them for the IR to keep them free.
MODEL_MEMBERS = frozenset({"JSON", "RawJSON", "ExtraFields", "UnmarshalJSON", "MarshalJSON"})
UNION_MEMBERS = frozenset({"RawJSON", "UnmarshalJSON", "MarshalJSON"})


def _check_members(ir: IR) -> None:
    """Refuse clearly, rather than emit code that does not build, when an IR member name
    meets a member the templates add (until the IR reserves them all)."""
    def check(what: str, fields: list[Field], taken: set[str]) -> None:
        taken = set(taken) | {f.name.go_member + "Text" for f in fields if f.text_keys}
        for f in fields:
            if f.name.go_member in taken:
                raise GoTargetError(f"go: {what} has a field named {f.name.go_member!r}, which the Go SDK uses for "
                                    "the JSON metadata or a text convenience (naming.MEMBER_RESERVED['go'] must reserve it)")
    for m in ir.models.values():
        if m.visibility == "public":
            check(f"model {m.schema_name!r}", m.fields, set(MODEL_MEMBERS) | ({"Extra"} if m.additional_properties else set()))
    for stream in ir.streams.values():
        for ev in stream.events:
            if event_has_fields(ev):
                check(f"event {ev.event!r}", ev.fields, set(MODEL_MEMBERS) | {"EventID", "EventType"})
    for u in ir.unions.values():
        for v in u.variants:
            if v.name.go_member in UNION_MEMBERS:
                raise GoTargetError(f"go: union {u.schema_name!r} has a variant named {v.name.go_member!r}, which the Go "
                                    "SDK uses (naming.MEMBER_RESERVED['go'] must reserve it)")


class GoTarget:
    lang = "go"
    default_out = "go-sdk"

    def source_dirs(self) -> list[Path]:
        return [HERE]

    def render(self, ir: IR, ctx: RenderContext) -> dict[str, str]:
        _check_runtime_names(ir)
        _check_members(ir)
        types = Types(ir)
        env = make_env(TEMPLATES, {
            "gostr": gostr, "comment": comment, "ident": ident, "tag": tag, "md": md, "mdcode": mdcode,
            "doc_type": doc_type, "doc_method": doc_method, "goliteral": goliteral,
        })
        env.globals.update({
            "types": types, "field_type": field_type, "decoder": decoder, "typed_extra": typed_extra,
            "param_type": param_type, "is_file": is_file, "input_type": input_type, "input_is_ptr": input_is_ptr,
            "input_zero": input_zero, "shape_literal": shape_literal, "shape_ptr": shape_ptr,
            "contract_shapes": contract_shapes, "streams_info": streams_info, "operations_info": operations_info,
            "params_structs": params_structs, "body_fields": body_fields, "event_has_fields": event_has_fields,
            "event_data_type": event_data_type, "path_args": path_args, "auth_info": auth_info, "how": how,
            "EXPLODE": EXPLODE, "variant_type": variant_type, "result_type": result_type, "security": security,
            "public_models": emitted_models(ir), "conversation_info": conversation_info,
        })
        files: dict[str, str] = {}

        def go(path: str, template: str, **extra: Any) -> None:
            text = env.get_template(template).render(ir=ir, spec_name=ctx.spec_name, **extra)
            # A blank line after the generated header: it is never the package's doc comment.
            files[path] = "\n" + gofmt(path, with_imports(text))

        go("doc.go", "doc.go.jinja")
        go("client.go", "client.go.jinja")
        go("sse.go", "sse.go.jinja")
        go("models.go", "models.go.jinja")
        go("events.go", "events.go.jinja")
        for resource in ir.resources:
            go(f"{resource.name.module}_service.go", "resource.go.jinja", resource=resource)
            info = conversation_info(resource, ir, types)
            if info is not None:
                go(f"{resource.name.module}_conversation.go", "conversation.go.jinja", resource=resource, info=info)
        files["go.mod"] = env.get_template("go.mod.jinja").render(ir=ir)
        files["api.md"] = env.get_template("api.md.jinja").render(ir=ir)
        clause = f"package {ident(ir.sdk.go_package)}\n\n"
        for rel, text in runtime_files().items():
            if rel in files:
                raise GoTargetError(f"go: runtime file {rel} collides with a generated file")
            files[rel] = "\n" + (text if "/" in rel else clause + text)
        return files


TARGET = GoTarget()
