"""The Go target: a module with one package, standard library only.

Output (relative to the module root):

    go.mod                      module IR.sdk.go_module, go 1.24 (for the `omitzero` JSON option)
    doc.go                      the package documentation
    client.go                   Client, NewClient and the API's settings (env prefix, auth header...)
    models.go                   enums (typed string/int constants) and models (structs, json tags)
    events.go                   one *XxxEvent type per stream event, the decoders, the stream specs
                                (terminal events, and the resume route found from the IR)
    <resource>_service.go       one service per resource (client.Chat...) with its Params structs
    errors.go core.go stream.go page.go values.go
                                the hand-written runtime of the root package (from runtime/)
    internal/sse/parser.go      the push-style SSE parser (from runtime/)

Runtime files are copied unchanged except for two tokens: the `package promptrails`
clause and the `github.com/promptrails/go-sdk` import prefix, which become the IR's
package and module (the runtime is written for, and tested in, the PromptRails SDK).
Exported runtime types (errors, Stream, Page, options) live in the root package so
users see them as `promptrails.Stream`; only the transport-independent SSE parser is
fenced in `internal/`.

Templates read only IR fields and these filters (besides render.py's `wrap`, `lines`, `json`):

    gostr(s)                    a Go string literal
    comment(text, indent="")    prose as `//` comment lines (wrapped at 80 columns)
    gotype(typeref)             the Go type of a TypeRef (a pointer when nullable)
    field_type(field, owner=None, ir=None, request=False)
                                a model/event field's type (RUNTIME.md, "Reading responses"):
                                T, or *T when the contract lets it be null (nil: null or absent),
                                json.RawMessage for a value of any JSON type, *T for a model field
                                on a cycle of models holding each other (owner: the model); a
                                model a request can carry (request=True) keeps *T for every
                                optional field, so nil means "left out"
    field_tag(field)            its json tag (documentation: models marshal through the runtime's
                                marshalModel, which writes what the server sent)
    decoder(field, owner, ir, request=False)
                                the runtime's tolerant decode helper for the field's type
                                (decodeString, decodeIntPtr, decodeRaw, decodeValue, ...)
    contract_shapes(ir)         [{key, var, fields: [{wire, aliases, required, shape}], extra,
                                flatten, aliased}]: the runtime's shapeTable, one objectShape per
                                emitted model, per event's data (key: the event type's name) and
                                per list meta model; shape/extra are the inside of a valueShape
                                literal (kind, nullable, model, items, values, enum)
    shape_var(key)              the Go variable holding the objectShape of key
    text_fields(fields)         the fields with x-sdk-text keys
    typed_extra(model)          the Go type of a model's typed additionalProperties values, or ""
                                (additionalProperties: true is read into ExtraFields only)
    request_models(ir)          schema names of the models reachable from operation inputs
    param_type(field)           a body field in a Params struct: T, *T, or Nullable[T]
                                when optional and nullable (left out / value / null)
    param_tag(field)            its json tag (`omitzero` when optional)
    input_type(parameter)       a query/header parameter's type: T when required or a string
                                (empty means not sent), *T otherwise
    input_is_ptr(parameter)     whether input_type is a pointer
    emitted_models(ir)          the models to render: those reachable from operations and events
                                (envelopes, frames, event data and request bodies are replaced
                                by the runtime's envelope, the event types and the Params structs)
    emitted_enums(ir)           the enums reachable the same way
    params_structs(resource)    [(params Names, operation)] one per distinct params_name
    has_params(operation)       whether the method takes a Params struct
    params_required(operation)  whether that struct must not be nil (a body with required fields)
    result_type(operation)      the Go type a method returns besides error ("" for none)
    path_args(operation)        `"session_id", sessionID` for buildPath
    arg_name(parameter)         the Go argument name of a path parameter
    resume_route(stream, ir)    {operation, header, carriers: [{event, fields: [(param, field)]}]} or
                                None: the streaming operation whose path params are fields of the
                                stream's first event and which takes a Last-Event-ID header
                                (RUNTIME.md, Streams); carriers are the events holding every one of
                                those fields (the first event first): the stream takes the resume
                                parameters from the first event it receives that is one of them
    page_request(operation)     {page, limit, limit_default}: how the generated method tells a page
                                the page number and limit it asked for (Go expressions)
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from ...ir import (
    IR,
    EventStream,
    Field,
    Model,
    Names,
    Operation,
    Parameter,
    Resource,
    TypeRef,
)
from ...render import make_env
from .. import RenderContext

__all__ = ["TARGET", "GoTarget"]

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
RUNTIME = HERE / "runtime"
RUNTIME_PACKAGE = "promptrails"
RUNTIME_MODULE = "github.com/promptrails/go-sdk"

# Exported names the runtime defines in the root package: no generated type may take them.
RUNTIME_NAMES = frozenset(
    ["JSONField", "APIResponseValidationError", "Error", "APIError", "APIConnectionError", "APITimeoutError", "APIStatusError", "BadRequestError", "AuthenticationError", "PaymentRequiredError", "PermissionDeniedError", "NotFoundError", "ConflictError", "UnprocessableEntityError", "RateLimitError", "InternalServerError", "StreamError", "InvalidArgumentError", "Event", "UnknownEvent", "Stream", "Page", "PageInfo", "Pager", "Nullable", "Option", "RequestOption", "Client", "String", "Int", "Float", "Bool", "Ptr", "NewNullable", "Null", "NewClient"]
)
SCALARS = {"string": "string", "integer": "int64", "number": "float64", "boolean": "bool", "any": "any"}


def gostr(value: Any) -> str:
    return json.dumps(str(value), ensure_ascii=False)


def comment(text: str, indent: str = "") -> str:
    from ...render import _lines

    out = [f"{indent}//" + (f" {line}" if line else "") for line in _lines(text, 76)]
    return "\n".join(out)


def gotype(t: TypeRef, _ir: IR | None = None) -> str:
    base = _base(t)
    if t.nullable and t.kind in ("string", "integer", "number", "boolean", "model", "enum"):
        return "*" + base
    return base


def _base(t: TypeRef) -> str:
    if t.kind == "string" and t.format == "date-time":
        return "time.Time"
    if t.kind in SCALARS:
        return SCALARS[t.kind]
    if t.kind == "array":
        return "[]" + gotype(t.items or TypeRef(kind="any"))
    if t.kind == "map":
        return "map[string]" + gotype(t.values or TypeRef(kind="any"))
    if t.kind in ("model", "enum"):
        return Names.of(t.ref or "").go  # the builder names models and enums Names.of(schema name)
    return "any"


def _pointerable(t: TypeRef) -> bool:
    return t.kind in ("string", "integer", "number", "boolean", "model", "enum")


def _value_edges(ir: IR, name: str) -> list[str]:
    """The models a model holds by value (non-nullable model fields)."""
    model = ir.models.get(name)
    if model is None:
        return []
    return [f.type.ref for f in model.fields
            if f.type.kind == "model" and not f.type.nullable and f.type.ref in ir.models]


def _on_cycle(ir: IR, owner: str, target: str) -> bool:
    """Whether `target` holds `owner` by value, directly or through other models."""
    seen: set[str] = set()
    todo = [target]
    while todo:
        name = todo.pop()
        if name == owner:
            return True
        if name not in seen:
            seen.add(name)
            todo += _value_edges(ir, name)
    return False


def field_type(f: Field, owner: Model | None = None, ir: IR | None = None, request: bool = False) -> str:
    t = f.type
    if t.kind == "any":
        return "json.RawMessage"
    base = _base(t)
    if request:
        if f.required and not t.nullable:
            return base
        return ("*" + base) if _pointerable(t) else base
    if t.nullable and _pointerable(t):
        return "*" + base
    if t.kind == "model" and owner is not None and ir is not None and _on_cycle(ir, owner.schema_name, t.ref or ""):
        return "*" + base
    return base


def field_tag(f: Field) -> str:
    return f'`json:"{f.wire_name}{"" if f.required else ",omitempty"}"`'


def decoder(f: Field, owner: Model | None, ir: IR, request: bool = False) -> str:
    gt = field_type(f, owner, ir, request)
    ptr = "Ptr" if gt.startswith("*") else ""
    t = f.type
    kind = t.kind
    if kind == "enum":
        enum = ir.enums.get(t.ref or "")
        kind = enum.kind if enum else "string"
    if kind == "any":
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


def typed_extra(m: Model) -> str:
    ap = m.additional_properties
    if ap is None or ap.kind == "any":
        return ""
    return gotype(ap)


def text_fields(fields: list[Field]) -> list[Field]:
    return [f for f in fields if f.text_keys]


def shape_var(key: str) -> str:
    return "shapeOf" + key


KINDS = {"string": "kindString", "integer": "kindInteger", "number": "kindNumber", "boolean": "kindBoolean",
         "array": "kindArray", "map": "kindObject", "model": "kindObject"}


def _shape_literal(ir: IR, t: TypeRef | None) -> str:
    """The inside of the runtime's valueShape literal for a value of type `t`."""
    if t is None or t.kind == "any":
        return ""
    parts: list[str] = []
    kind, enum = t.kind, None
    if kind == "enum":
        e = ir.enums.get(t.ref or "")
        kind = e.kind if e else "string"
        enum = [json.dumps(v.value) for v in e.values] if e else None
    parts.append(f"kind: {KINDS[kind]}")
    if t.nullable:
        parts.append("nullable: true")
    if t.kind == "model" and t.ref in ir.models:
        parts.append(f"model: {gostr(Names.of(t.ref).go)}")
    elif t.kind in ("array", "map"):
        inner = _shape_literal(ir, t.items if t.kind == "array" else t.values)
        if inner:
            parts.append(f"{'items' if t.kind == 'array' else 'values'}: &valueShape{{{inner}}}")
    if t.const is not None:
        enum = [json.dumps(t.const)]
    if enum is not None:
        parts.append("enum: []string{" + ", ".join(gostr(v) for v in enum) + "}")
    return ", ".join(parts)


def _contract_shape(ir: IR, key: str, fields: list[Field], extra: TypeRef | None, flatten: str | None) -> dict[str, Any]:
    extra_shape = _shape_literal(ir, extra) if extra is not None else ""
    index = next((i for i, f in enumerate(fields) if f.wire_name == flatten), -1)
    return {
        "key": key,
        "var": shape_var(key),
        "fields": [{"wire": f.wire_name, "aliases": f.aliases, "required": f.required,
                    "shape": _shape_literal(ir, f.type)} for f in fields],
        "extra": extra_shape or None,
        "flatten": index,
        "aliased": any(f.aliases for f in fields),
    }


def _meta_models(ir: IR) -> list[str]:
    return sorted({op.result.meta_schema for op in ir.operations
                   if op.result.kind == "page" and op.result.meta_schema in ir.models})


def contract_shapes(ir: IR) -> list[dict[str, Any]]:
    out = []
    names = [m.schema_name for m in emitted_models(ir)]
    meta = sorted(n for n in _closure(ir, _meta_models(ir)) - set(names) if n in ir.models)
    for name in names + meta:
        m = ir.models[name]
        out.append(_contract_shape(ir, m.name.go, m.fields, m.additional_properties, m.flatten))
    for stream in ir.streams.values():
        for ev in stream.events:
            data = ir.models.get(ev.data_schema)
            out.append(_contract_shape(ir, ev.name.go, ev.fields, data.additional_properties if data else None,
                                       data.flatten if data else None))
    return out


def page_request(op: Operation) -> dict[str, str]:
    def expr(role: str, fallback: str) -> str:
        p = next((q for q in op.query_params if q.role == role), None)
        if p is None:
            return fallback
        default = str(int(p.default)) if isinstance(p.default, int) and not isinstance(p.default, bool) else fallback
        if input_is_ptr(p):
            return f"valueOr(params.{p.name.go}, {default})"
        return f"params.{p.name.go}"
    return {"page": expr("page", "1"), "limit": expr("limit", "0")}


def param_type(f: Field) -> str:
    if f.required:
        return field_type(f)
    if f.type.nullable and _pointerable(f.type):
        return f"Nullable[{_base(f.type)}]"
    return ("*" + _base(f.type)) if _pointerable(f.type) else _base(f.type)


def param_tag(f: Field) -> str:
    return f'`json:"{f.wire_name}{"" if f.required else ",omitzero"}"`'


def input_is_ptr(p: Parameter) -> bool:
    if p.required:
        return False
    stringish = p.type.kind == "string" or p.type.kind == "enum"
    return not stringish and _pointerable(p.type)


def input_type(p: Parameter) -> str:
    base = _base(p.type)
    return "*" + base if input_is_ptr(p) else base


def _refs(t: TypeRef | None) -> list[str]:
    if t is None:
        return []
    out = [t.ref] if t.kind in ("model", "enum") and t.ref else []
    return out + _refs(t.items) + _refs(t.values)


def _input_refs(op: Operation) -> list[str]:
    roots: list[str] = []
    if op.body:
        for f in op.body.fields:
            roots += _refs(f.type)
    for p in op.path_params + op.query_params + op.header_params:
        roots += _refs(p.type)
    return roots


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


def _reachable(ir: IR) -> set[str]:
    roots: list[str] = []
    for op in ir.operations:
        if op.result.kind in ("model", "page"):
            roots += _refs(op.result.type)
        roots += _input_refs(op)
    for stream in ir.streams.values():
        for ev in stream.events:
            for f in ev.fields:
                roots += _refs(f.type)
    return _closure(ir, roots)


def emitted_models(ir: IR) -> list[Model]:
    reach = _reachable(ir)
    return [m for name, m in ir.models.items() if name in reach]


def request_models(ir: IR) -> set[str]:
    """The schema names of the models reachable from an operation's inputs."""
    return _closure(ir, [name for op in ir.operations for name in _input_refs(op)])


def emitted_enums(ir: IR) -> list[Any]:
    reach = _reachable(ir)
    return [e for name, e in ir.enums.items() if name in reach]


def has_params(op: Operation) -> bool:
    return bool(op.body or op.query_params or op.header_params)


def params_required(op: Operation) -> bool:
    return bool(op.body and any(f.required for f in op.body.fields))


def params_structs(resource: Resource) -> list[tuple[Names, Operation]]:
    seen: dict[str, Operation] = {}
    out = []
    for op in resource.operations:
        if not has_params(op):
            continue
        key = op.params_name.go
        if key in seen:
            other = seen[key]
            if _params_shape(other) != _params_shape(op):
                raise ValueError(f"go: operations {other.operation_id!r} and {op.operation_id!r} share the "
                                 f"params name {key!r} but take different parameters")
            continue
        seen[key] = op
        out.append((op.params_name, op))
    return out


def _params_shape(op: Operation) -> Any:
    return (
        [f.model_dump() for f in op.body.fields] if op.body else None,
        [p.model_dump() for p in op.query_params + op.header_params],
    )


def result_type(op: Operation) -> str:
    r = op.result
    if r.kind == "none":
        return ""
    if r.kind == "stream":
        return "*Stream"
    if r.kind == "page":
        return f"*Page[{_base(r.type or TypeRef(kind='any'))}]"
    t = r.type or TypeRef(kind="any")
    return ("*" + _base(t)) if t.kind == "model" else _base(t)


ARG_RESERVED = {"ctx", "params", "opts", "r", "path", "err", "out", "s"}


def arg_name(p: Parameter) -> str:
    name = p.name.go_private
    return name + "Arg" if name in ARG_RESERVED else name


def path_args(op: Operation) -> str:
    return ", ".join(f"{gostr(p.wire_name)}, {arg_name(p)}" for p in op.path_params)


def resume_route(stream: EventStream, ir: IR) -> dict[str, Any] | None:
    if not stream.events:
        return None

    def carried(event: Any, op: Operation) -> list[tuple[Parameter, Field]] | None:
        by_wire = {f.wire_name: f for f in event.fields}
        pairs = []
        for p in op.path_params:
            f = by_wire.get(p.wire_name)
            if f is None or f.type.kind != "string" or not f.required or f.type.nullable:
                return None
            pairs.append((p, f))
        return pairs

    for op in ir.operations:
        if op.result.kind != "stream" or op.result.stream != stream.schema_name:
            continue
        if not any(p.role == "last_event_id" for p in op.header_params):
            continue
        if not op.path_params or carried(stream.events[0], op) is None:
            continue
        carriers = []
        for ev in stream.events:
            pairs = carried(ev, op)
            if pairs is not None:
                carriers.append({"event": ev, "fields": pairs})
        header = next(p for p in op.header_params if p.role == "last_event_id")
        return {"operation": op, "header": header, "carriers": carriers}
    return None


def _check_names(ir: IR) -> None:
    """Fail clearly when generated names collide with each other or with the runtime."""
    owners: dict[str, str] = {}

    def claim(name: str, what: str) -> None:
        if name in RUNTIME_NAMES:
            raise ValueError(f"go: {what} is named {name!r}, which the Go runtime already defines")
        if name in owners:
            raise ValueError(f"go: {what} and {owners[name]} are both named {name!r}")
        owners[name] = what

    for m in emitted_models(ir):
        claim(m.name.go, f"model {m.schema_name!r}")
    for e in emitted_enums(ir):
        claim(e.name.go, f"enum {e.schema_name!r}")
        for v in e.values:
            claim(e.name.go + v.name.go, f"enum value {e.schema_name}.{v.value}")
    for stream in ir.streams.values():
        for ev in stream.events:
            claim(ev.name.go, f"event {ev.event!r}")
            _check_members(f"event {ev.event!r}", ev.fields, ["EventID", "EventType"])
        claim(stream.name.go + "Spec", f"stream {stream.schema_name!r}")
    for r in ir.resources:
        claim(r.name.go + "Service", f"resource {r.tag!r}")
        for params, op in params_structs(r):
            claim(params.go, f"params of {op.operation_id!r}")
    for m in emitted_models(ir):
        _check_members(f"model {m.schema_name!r}", m.fields, ["Extra"] if typed_extra(m) else [])


def _check_members(what: str, fields: list[Field], reserved: list[str]) -> None:
    """Fail clearly when a field's Go name collides with what every model or event defines."""
    taken = set(reserved) | {"JSON", "RawJSON", "ExtraFields", "UnmarshalJSON", "MarshalJSON"}
    taken |= {f.name.go + "Text" for f in fields if f.text_keys}
    for f in fields:
        if f.name.go in taken:
            raise ValueError(f"go: {what} has a field named {f.name.go!r}, which the Go SDK uses "
                             "for the JSON metadata, the extra fields or a text convenience")


def gofmt(path: str, text: str) -> str:
    exe = shutil.which("gofmt")
    if exe is None:
        raise RuntimeError("go: gofmt is not on PATH; install Go to generate the Go SDK")
    proc = subprocess.run([exe], input=text.encode(), capture_output=True, check=False)
    if proc.returncode != 0:
        numbered = "\n".join(f"{i + 1:4} {line}" for i, line in enumerate(text.splitlines()))
        raise RuntimeError(f"go: gofmt rejected {path}:\n{proc.stderr.decode()}\n{numbered}")
    return proc.stdout.decode()


class GoTarget:
    lang = "go"
    default_out = "go-sdk"

    def source_dirs(self) -> list[Path]:
        return [HERE]

    def render(self, ir: IR, ctx: RenderContext) -> dict[str, str]:
        _check_names(ir)
        env = make_env(TEMPLATES, {
            "gostr": gostr, "comment": comment, "gotype": gotype, "field_type": field_type,
            "field_tag": field_tag, "param_type": param_type, "param_tag": param_tag,
            "request_models": request_models,
            "input_type": input_type, "input_is_ptr": input_is_ptr, "emitted_models": emitted_models,
            "emitted_enums": emitted_enums, "params_structs": params_structs, "has_params": has_params,
            "params_required": params_required, "result_type": result_type, "path_args": path_args,
            "arg_name": arg_name, "resume_route": resume_route, "decoder": decoder,
            "contract_shapes": contract_shapes, "shape_var": shape_var, "text_fields": text_fields,
            "typed_extra": typed_extra, "page_request": page_request,
            "go_name": lambda name: Names.of(name or "").go,
        })
        files: dict[str, str] = {}

        def go(path: str, template: str, **extra: Any) -> None:
            text = env.get_template(template).render(ir=ir, spec_name=ctx.spec_name, **extra)
            text = gofmt(path, text)
            files[path] = text if not text.startswith("// Package") else "\n" + text

        go("doc.go", "doc.go.jinja")
        go("client.go", "client.go.jinja")
        go("models.go", "models.go.jinja")
        go("events.go", "events.go.jinja")
        for resource in ir.resources:
            go(f"{resource.name.snake}_service.go", "resource.go.jinja", resource=resource)
        files["go.mod"] = env.get_template("go.mod.jinja").render(ir=ir)
        for src in sorted(RUNTIME.rglob("*.go")):
            rel = src.relative_to(RUNTIME).as_posix()
            if rel.endswith("_test.go"):
                continue
            text = src.read_text()
            if "/" not in rel:
                text = re.sub(rf"^package {RUNTIME_PACKAGE}$", f"package {ir.sdk.go_package}", text, count=1, flags=re.MULTILINE)
            text = text.replace(f'"{RUNTIME_MODULE}/', f'"{ir.sdk.go_module}/')
            if rel in files:
                raise ValueError(f"go: runtime file {rel} collides with a generated file")
            files[rel] = text if not text.startswith("// Package") else "\n" + text
        return files


TARGET = GoTarget()
