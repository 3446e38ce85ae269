"""The TypeScript target: `@promptrails/sdk`-style packages (ESM + CommonJS, typed).

Output (relative to the SDK folder):

    package.json, tsconfig*.json, .gitignore
    src/core/*.ts            the hand-written runtime, copied unchanged from `runtime/`
    src/models.ts            an interface and a shape table (with fromWire/toWire) per model
    src/events.ts            per event stream: one interface per event, the discriminated
                             union (plus UnknownEvent), the decoding spec, the Stream type
    src/resources/<tag>.ts   one class per tag; thin methods over the runtime
    src/client.ts            the client class (name from IR.sdk)
    src/index.ts             the public surface

Templates read only IR fields and these filters (besides render.py's common ones):

    ts_type(typeref)          the TypeScript type of a TypeRef (models/enums by their pascal name,
                              prefixed `M.` when `qualified=True`)
    ts_field_type(field)      ts_type of a body field or parameter, narrowed to a union of literals
                              when the schema lists its values (`1 | -1`)
    ts_shape(typeref)         the runtime shape expression of a TypeRef (`t.string`, `t.model(() => X)`)
    ts_str(value)             a single-quoted TypeScript string literal
    ts_doc(text, indent)      a JSDoc block (or nothing for empty text), indented
    ts_path(op, prefix)       the request path as a TS template literal, path params checked and encoded
                              (read from `prefix + name`, e.g. `event.` for a resume route)
    ts_key(name)              a property key, quoted only when it is not an identifier
    public_models(ir)         the models the SDK exposes (envelopes and event frames left out)
    unique_params(resource)   the resource's operations, one per distinct params type
    has_params(op)            whether the method takes a params object
    params_required(op)       whether that params object is required
    resume_of(op)             for a streaming operation: its resume route (RUNTIME.md: the streaming
                              operation with a last_event_id header whose path params are fields of
                              the event union's first member, e.g. `execution`), as
                              {op, first, bindings, header}, or None. The runtime asks each
                              delivered event in turn and resumes from the first of that type.
    utils_imports(resource)   the runtime helpers (core/utils.ts) the resource's methods use
    success_event(stream)     the stream's first terminal event (the run succeeded); None if none
    failure_events(stream)    the other terminal events (the run failed)
    ts_field_options(field)   `, { aliases: [...], text: [...] }` for `t.field()` (x-sdk-aliases,
                              x-sdk-text), or nothing
    ts_model_options(model)   `, { extra, flatten, open: false }` for `model()`: additionalProperties,
                              x-sdk-flatten, and request bodies (closed: unknown keys not sent)

Formatting: the templates produce the final layout (two-space indent, single quotes,
semicolons); no formatter runs, so output is byte-identical everywhere.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ...ir import IR, EventStream, EventType, Field, Model, Operation, Parameter, Resource, TypeRef
from ...render import make_env
from .. import RenderContext

__all__ = ["TARGET", "TypeScriptTarget"]

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
RUNTIME = HERE / "runtime"

# Versions the generated package.json pins; package-lock.json (hand-maintained next to it) matches.
# eventsource-parser from 3.1: earlier versions re-scan a pending line on every chunk (the SDK
# feeds it whole lines anyway, see runtime/sse.ts). undici (tests only): a connection pool of
# a chosen size, to prove streams give their connections back.
DEPENDENCIES = {"eventsource-parser": "^3.1.1"}
DEV_DEPENDENCIES = {"@types/node": "^20.19.0", "typescript": "5.9.3", "undici": "^7.16.0"}

_IDENT = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
# Event fields the union itself uses.
_EVENT_RESERVED = {"type", "eventId"}


class TargetError(Exception):
    """The IR cannot be rendered as TypeScript (e.g. an event field named `type`)."""


def _ts_str(value: Any) -> str:
    s = str(value).replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\r", "\\r")
    return f"'{s}'"


def _ts_key(name: str) -> str:
    return name if _IDENT.match(name) else _ts_str(name)


def _ts_doc(text: str, indent: str = "") -> str:
    text = str(text or "").strip()
    if not text:
        return ""
    lines: list[str] = []
    for para in re.split(r"\n\s*\n", text):
        words = " ".join(para.split()).replace("*/", "*\\/")
        if lines:
            lines.append("")
        line = ""
        for word in words.split(" "):
            if line and len(indent) + 3 + len(line) + 1 + len(word) > 100:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        if line:
            lines.append(line)
    if len(lines) == 1:
        return f"{indent}/** {lines[0]} */\n"
    body = "".join(f"{indent} *{' ' + ln if ln else ''}\n" for ln in lines)
    return f"{indent}/**\n{body}{indent} */\n"


class _Filters:
    def __init__(self, ir: IR) -> None:
        self.ir = ir

    def type_name(self, ref: str, kind: str) -> str:
        if kind == "model":
            return self.ir.models[ref].name.pascal if ref in self.ir.models else "unknown"
        return self.ir.enums[ref].name.pascal if ref in self.ir.enums else "string"

    def ts_type(self, tref: TypeRef, qualified: bool = False) -> str:
        q = "M." if qualified else ""
        if tref.const is not None:
            base = json.dumps(tref.const) if not isinstance(tref.const, str) else _ts_str(tref.const)
        elif tref.kind in ("string",):
            base = "string"
        elif tref.kind in ("integer", "number"):
            base = "number"
        elif tref.kind == "boolean":
            base = "boolean"
        elif tref.kind == "array":
            inner = self.ts_type(tref.items, qualified) if tref.items else "unknown"
            base = f"Array<{inner}>"
        elif tref.kind == "map":
            inner = self.ts_type(tref.values, qualified) if tref.values else "unknown"
            base = f"Record<string, {inner}>"
        elif tref.kind in ("model", "enum") and tref.ref:
            name = self.type_name(tref.ref, tref.kind)
            base = name if name in ("unknown", "string") else q + name
        else:
            base = "unknown"
        return f"{base} | null" if tref.nullable and base != "unknown" else base

    def ts_field_type(self, field: Field | Parameter) -> str:
        values = field.constraints.get("enum")
        if not values:
            return self.ts_type(field.type, qualified=True)
        base = " | ".join(_ts_str(v) if isinstance(v, str) else json.dumps(v) for v in values if v is not None)
        return f"{base} | null" if field.type.nullable else base

    def ts_shape(self, tref: TypeRef, qualified: bool = False) -> str:
        q = "M." if qualified else ""
        if tref.const is not None:
            literal = _ts_str(tref.const) if isinstance(tref.const, str) else json.dumps(tref.const)
            base = f"t.constant({literal})"
        elif tref.kind in ("string", "integer", "number", "boolean", "any"):
            base = f"t.{tref.kind}"
        elif tref.kind == "array":
            base = f"t.array({self.ts_shape(tref.items, qualified) if tref.items else 't.any'})"
        elif tref.kind == "map":
            base = f"t.map({self.ts_shape(tref.values, qualified) if tref.values else 't.any'})"
        elif tref.kind == "model" and tref.ref in self.ir.models:
            base = f"t.model(() => {q}{self.ir.models[tref.ref].name.pascal})"
        elif tref.kind == "enum" and tref.ref in self.ir.enums:
            values = ", ".join(_ts_str(v.value) if isinstance(v.value, str) else str(v.value) for v in self.ir.enums[tref.ref].values)
            base = f"t.enumOf([{values}])"
        else:
            base = "t.any"
        return f"t.nullable({base})" if tref.nullable else base

    @staticmethod
    def ts_path(op: Operation, prefix: str = "") -> str:
        by_wire = {p.wire_name: p for p in op.path_params}

        def sub(m: re.Match[str]) -> str:
            p = by_wire[m.group(1)]
            return "${pathParam(" + _ts_str(p.name.typescript) + ", " + prefix + p.name.typescript + ")}"

        escaped = op.path.replace("\\", "\\\\").replace("`", "\\`").replace("${", "\\${")
        return "`" + re.sub(r"\{([^}]+)\}", sub, escaped) + "`"

    def public_models(self, ir: IR) -> list[Model]:
        return [m for m in ir.models.values() if not m.is_envelope and not m.is_event_frame]

    @staticmethod
    def unique_params(resource: Resource) -> list[Operation]:
        seen: set[str] = set()
        out = []
        for op in resource.operations:
            if _Filters.has_params(op) and op.params_name.pascal not in seen:
                seen.add(op.params_name.pascal)
                out.append(op)
        return out

    @staticmethod
    def has_params(op: Operation) -> bool:
        return bool(op.body or op.query_params or op.header_params)

    @staticmethod
    def params_required(op: Operation) -> bool:
        if op.body and any(f.required for f in op.body.fields):
            return True
        return any(p.required for p in op.query_params + op.header_params)

    def resume_of(self, op: Operation) -> dict[str, Any] | None:
        if not op.is_stream or op.result.stream not in self.ir.streams:
            return None
        stream = self.ir.streams[op.result.stream]
        if not stream.events:
            return None
        first = stream.events[0]
        fields = {f.wire_name: f for f in first.fields}
        for cand in self.ir.operations:
            if not cand.is_stream or cand.result.stream != op.result.stream:
                continue
            header = next((p for p in cand.header_params if p.role == "last_event_id"), None)
            if header is None or not cand.path_params:
                continue
            if all(p.wire_name in fields for p in cand.path_params):
                bindings = [(p, fields[p.wire_name]) for p in cand.path_params]
                return {"op": cand, "first": first, "bindings": bindings, "header": header}
        return None

    def utils_imports(self, resource: Resource) -> list[str]:
        names = []
        if any(op.path_params or self.resume_of(op) for op in resource.operations):
            names.append("pathParam")
        if any(self.params_required(op) for op in resource.operations):
            names.append("requireArg")
        if any(self.has_params(op) for op in resource.operations):
            names.append("requireObject")
        return names

    @staticmethod
    def ts_field_options(field: Field) -> str:
        parts = []
        if field.aliases:
            parts.append("aliases: [" + ", ".join(_ts_str(a) for a in field.aliases) + "]")
        if field.text_keys:
            parts.append("text: [" + ", ".join(_ts_str(k) for k in field.text_keys) + "]")
        return ", { " + ", ".join(parts) + " }" if parts else ""

    def ts_model_options(self, model: Model) -> str:
        parts = []
        if model.additional_properties:
            parts.append("extra: " + self.ts_shape(model.additional_properties))
        if model.flatten:
            parts.append("flatten: " + _ts_str(model.flatten))
        if model.is_request_body:
            parts.append("open: false")
        return ", { " + ", ".join(parts) + " }" if parts else ""

    @staticmethod
    def success_event(stream: EventStream) -> EventType | None:
        return next((e for e in stream.events if e.terminal), None)

    @staticmethod
    def failure_events(stream: EventStream) -> list[EventType]:
        terminal = [e for e in stream.events if e.terminal]
        return terminal[1:]


def _check(ir: IR) -> None:
    for model in ir.models.values():
        keys = {f.name.typescript for f in model.fields}
        for f in model.fields:
            if f.text_keys and f"{f.name.typescript}Text" in keys:
                raise TargetError(
                    f"{model.schema_name}.{f.wire_name}: its x-sdk-text convenience `{f.name.typescript}Text` "
                    "is also the name of a field"
                )
    for stream in ir.streams.values():
        for ev in stream.events:
            for f in ev.fields:
                if f.name.typescript in _EVENT_RESERVED:
                    raise TargetError(
                        f"event {ev.event!r} of {stream.schema_name}: field {f.wire_name!r} would be "
                        f"`{f.name.typescript}`, which the event union itself uses"
                    )


class TypeScriptTarget:
    lang = "typescript"
    default_out = "typescript-sdk"

    def source_dirs(self) -> list[Path]:
        return [HERE]

    def render(self, ir: IR, ctx: RenderContext) -> dict[str, str]:
        _check(ir)
        f = _Filters(ir)
        env = make_env(
            TEMPLATES,
            {
                "ts_type": f.ts_type,
                "ts_field_type": f.ts_field_type,
                "ts_shape": f.ts_shape,
                "ts_str": _ts_str,
                "ts_doc": _ts_doc,
                "ts_path": f.ts_path,
                "ts_key": _ts_key,
                "public_models": f.public_models,
                "unique_params": f.unique_params,
                "has_params": f.has_params,
                "params_required": f.params_required,
                "resume_of": f.resume_of,
                "utils_imports": f.utils_imports,
                "success_event": f.success_event,
                "failure_events": f.failure_events,
                "ts_field_options": f.ts_field_options,
                "ts_model_options": f.ts_model_options,
            },
        )
        common = {"ir": ir, "sdk": ir.sdk, "spec_name": ctx.spec_name}
        files: dict[str, str] = {}

        def render(template: str, out: str, **extra: Any) -> None:
            text = env.get_template(template).render(**common, **extra)
            files[out] = re.sub(r"\n{3,}", "\n\n", text).rstrip("\n") + "\n"

        render("models.ts.j2", "src/models.ts")
        render("events.ts.j2", "src/events.ts")
        for resource in ir.resources:
            render("resources/resource.ts.j2", f"src/resources/{resource.name.snake}.ts", resource=resource)
        render("client.ts.j2", "src/client.ts")
        render("index.ts.j2", "src/index.ts")
        render("gitignore.j2", ".gitignore")
        for name in ("tsconfig.json", "tsconfig.esm.json", "tsconfig.cjs.json", "tsconfig.test.json"):
            render(f"{name}.j2", name)
        files["package.json"] = self._package_json(ir)
        for path in sorted(RUNTIME.glob("*.ts")):
            files[f"src/core/{path.name}"] = path.read_text()
        return files

    @staticmethod
    def _package_json(ir: IR) -> str:
        cjs_marker = "require('fs').writeFileSync('dist/cjs/package.json', JSON.stringify({ type: 'commonjs' }) + String.fromCharCode(10))"
        pkg = {
            "name": ir.sdk.npm_package,
            "version": ir.sdk.version,
            "description": ir.sdk.description or f"The {ir.sdk.title} client",
            "type": "module",
            "main": "./dist/cjs/index.js",
            "module": "./dist/esm/index.js",
            "types": "./dist/esm/index.d.ts",
            "exports": {
                ".": {
                    "import": {"types": "./dist/esm/index.d.ts", "default": "./dist/esm/index.js"},
                    "require": {"types": "./dist/cjs/index.d.ts", "default": "./dist/cjs/index.js"},
                },
                "./package.json": "./package.json",
            },
            "files": ["dist", "src"],
            "sideEffects": False,
            "engines": {"node": ">=18"},
            "scripts": {
                "build": f"tsc -p tsconfig.esm.json && tsc -p tsconfig.cjs.json && node -e \"{cjs_marker}\"",
                "typecheck": "tsc -p tsconfig.json --noEmit",
                "test": "npm run build && tsc -p tsconfig.test.json && node --test build/test/*.test.js",
            },
            "dependencies": dict(sorted(DEPENDENCIES.items())),
            "devDependencies": dict(sorted(DEV_DEPENDENCIES.items())),
        }
        return json.dumps(pkg, indent=2) + "\n"


TARGET = TypeScriptTarget()
