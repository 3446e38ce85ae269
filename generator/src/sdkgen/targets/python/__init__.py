"""The Python target: an SDK rendered from the IR, with openapi-python-client as the
generator of its models and request builders, and sdkgen's runtime, resources, typed
events and clients on top.

Steps of `render`:
  1. write the IR's view of the spec (`opc_view`): an OpenAPI 3.1 document holding every
     model, enum and operation the SDK needs exactly as the IR reads them (types resolved,
     unions as `anyOf`, nullability as `null` alternatives, every body as its media type,
     3.2 streams and recursive schemas included), under opaque keys (`M0`, `E0`, `o0`,
     `p0`...) and with no text from the spec at all;
  2. run openapi-python-client 0.29.1 (pinned) on it in process: its parser reads the view
     into its models, enums and endpoints, and its Jinja environment renders sdkgen's
     templates for them (`opc_templates/`: `model.py.jinja`, `str_enum.py.jinja`,
     `int_enum.py.jinja`, `endpoint_module.py.jinja`), files `_generated/models/<module>.py`
     and `_generated/api/<resource module>/<operation module>.py`. Each template looks its
     IR entity up by the opaque key and renders every name, type, docstring and wire
     detail from the IR; what it takes from openapi-python-client's parse is the set of
     properties of each model (required ones first) and the parameters of each endpoint by
     location, which the target checks against the IR (a disagreement is an internal
     error, never a silently different SDK). openapi-python-client's own names never reach
     the output: its sanitation cannot give every IR name (`fix_reserved_words` turns the
     fields `type`, `input`, `object`, `self` into `type_`...; `ClassName` re-cases `N2fa`
     to `N2Fa`; a class named `PermissionError` becomes `PermissionError_`), so
     `class_overrides` cannot pin them, and the opaque keys make its naming irrelevant;
  3. copy `runtime/` unchanged to `src/<package>/_core/` and render `templates/`
     (Jinja2) from the IR: `_core/_brand.py` (the SDK's base error class, named by the
     IR), the resources, the stream events, the contract's shapes, the clients,
     `__init__.py`, `py.typed`, `pyproject.toml` and the API reference `api.md`;
  4. format every rendered Python file with one `ruff format` run (the pinned version,
     isolated settings), so the output is byte-for-byte deterministic.

What openapi-python-client could not do on its own, and how this target does it: OpenAPI
3.2 `itemSchema` streams and every stream style (the IR's `EventStream`; events are this
target's dataclasses, never openapi-python-client models), recursive schemas (models
import each other only for type checking; the runtime reads them by shape name), typed
unions (`A | B` annotations, read by the runtime through the discriminator's tags or by
trying each variant), text and binary bodies, and `deepObject`/`explode` query styles
(`_core/_encode.py`).

Every string from the spec reaches a template only through one escaping filter per
context (besides render.py's `wrap`/`lines`, used only before one of these):

    id            an identifier (class, attribute, argument, module): checked to be a valid
                  Python identifier and no keyword, else an internal error (the IR's names
                  always are)
    pystr         a Python string literal (`repr`: quotes, backslashes, control characters,
                  line and paragraph separators and surrogates escaped)
    doc(indent)   prose inside a triple-quoted docstring: backslashes and every `"`
                  escaped, control characters, separators and surrogates as escapes, then
                  wrapped; a docstring can never end early
    comment       prose after `#`: one line, control characters and separators dropped (no
                  template puts spec text in a comment today; one that does uses this)
    md            prose in api.md: one line; HTML (`<`, `>`, `&`), link brackets, `|` and
                  backslashes escaped
    toml          a TOML basic string (quotes included)

and these renderers of IR values (their output holds only identifiers checked as `id`,
literals made by `pystr`, and fixed tokens):

    ann(t, role="out", shadow=())   the annotation of a TypeRef ("in": what a method takes,
                                    "out": what it returns); names in `shadow` (members of
                                    the class being rendered) make builtins, `datetime` and
                                    `uuid` spelled through private aliases
    shape(t)                        the runtime's `Value(...)` expression of a TypeRef
    kind(t)                         the runtime check kind of a TypeRef
    choices(x)                      a tuple literal of an inline enum's values, or "()"

The templates' globals look facts up in the IR and pre-render them the same way:
`resource_facts(resource, shadow)` (each method's arguments, checks, return types, how to
read its answer), `events_facts()` (each stream's event classes), `exported_unions()`,
`union_ann(u)`, `union_models(unions)`, `path_parts(op)` (the path as literals and
parameter names), `needs(annotations)` (the imports they use) and `derived(kind, base)`
(the names `naming.DERIVED` keeps free for a type: `Async<Resource>`, `<Name>Error`...).
"""

from __future__ import annotations

import json
import keyword
import os
import re
import subprocess
import sys
import tempfile
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jinja2

from ... import naming
from ...ir import IR, Enum, EventStream, EventType, Field, Model, Operation, Parameter, Resource, TypeRef
from ...render import _wrap, make_env
from .. import RenderContext

__all__ = ["TARGET", "PythonTarget", "runtime_files"]

HERE = Path(__file__).resolve().parent
RUFF_ARGS = ["--isolated", "--line-length", "110", "--target-version", "py311"]
# Compiled templates, kept between runs in the user's temp folder (keyed by each template's
# source checksum, so an edited template is compiled again): compiling them is most of a
# render's time otherwise.
_BYTECODE_CACHE = jinja2.FileSystemBytecodeCache()
OPC_VERSION = "0.29.1"


# -- escaping filters -------------------------------------------------------------------


def _id(name: object) -> str:
    text = str(name)
    if not (text.isascii() and text.isidentifier()) or keyword.iskeyword(text):
        raise ValueError(f"not a usable Python identifier: {text!r} (the IR's names always are)")
    return text


def _pystr(value: object) -> str:
    # repr() escapes quotes, backslashes, every non-printable character (controls, U+2028,
    # U+2029, surrogates); the result is one valid literal.
    return repr(str(value))


def _escape_char(c: str) -> str:
    cp = ord(c)
    if cp <= 0xFF:
        return f"\\x{cp:02x}"
    if cp <= 0xFFFF:
        return f"\\u{cp:04x}"
    return f"\\U{cp:08x}"


def _unsafe(c: str) -> bool:
    cat = unicodedata.category(c)
    return (cat in ("Cc", "Cs", "Zl", "Zp") and c not in "\n\t") or c == "\ufeff"


def _doc(text: object, indent: str = "    ") -> str:
    """Prose for a docstring: nothing in it can end the string or the line early."""
    raw = str(text or "").replace("\r\n", "\n").replace("\r", "\n")
    raw = raw.replace("\\", "\\\\").replace('"', '\\"')
    raw = "".join(_escape_char(c) if _unsafe(c) else c for c in raw)
    return _wrap(raw, 88, indent)


def _comment(text: object) -> str:
    raw = " ".join(str(text or "").split())
    return "".join(c for c in raw if not _unsafe(c) and c not in "\n\r")


# HTML (tags, entities), links and table cells: what could make prose more than text. Code
# spans and emphasis stay (a description's `code` reads as such).
_MD_SPECIAL = re.compile(r"([\\<>&\[\]|])")


def _md(text: object) -> str:
    raw = " ".join(str(text or "").split())
    raw = "".join(c for c in raw if not _unsafe(c))
    return _MD_SPECIAL.sub(r"\\\1", raw)


def _toml(value: object) -> str:
    out = []
    for c in str(value):
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif unicodedata.category(c) == "Cs":
            out.append("\ufffd")
        elif unicodedata.category(c) in ("Cc", "Zl", "Zp") or c == "\x7f":
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


# -- types ----------------------------------------------------------------------------------

_BUILTINS = {"str", "int", "float", "bool", "list", "dict", "bytes", "object"}
_MODULES = {"datetime", "uuid"}


class Types:
    """Annotations and runtime shapes of the IR's TypeRefs."""

    def __init__(self, ir: IR) -> None:
        self.ir = ir

    def cls(self, ref: str | None, kind: str) -> str:
        if kind == "model":
            return _id(self.ir.models[ref or ""].name.python_type)
        return _id(self.ir.enums[ref or ""].name.python_type)

    def ann(self, t: TypeRef | None, role: str = "out", shadow: Iterable[str] = ()) -> str:
        shadowed = set(shadow)

        def b(name: str) -> str:
            if name in _BUILTINS and name in shadowed:
                return f"_builtins.{name}"
            return name

        def mod(name: str, attr: str) -> str:
            return f"_{name}.{attr}" if name in shadowed else f"{name}.{attr}"

        def walk(t: TypeRef | None) -> str:
            if t is None:
                return "Any"
            kind = t.kind
            if kind == "string":
                if t.format == "binary":
                    base = "_FileTypes" if role == "in" else b("bytes")
                elif role == "out" and t.format == "date-time":
                    base = mod("datetime", "datetime")
                elif role == "out" and t.format == "date":
                    base = mod("datetime", "date")
                elif role == "out" and t.format == "uuid":
                    base = mod("uuid", "UUID")
                else:
                    base = b("str")
            elif kind == "integer":
                base = b("int")
            elif kind == "number":
                base = b("float")
            elif kind == "boolean":
                base = b("bool")
            elif kind == "array":
                base = f"Sequence[{walk(t.items)}]" if role == "in" else f"{b('list')}[{walk(t.items)}]"
            elif kind == "map":
                inner = walk(t.values) if t.values is not None else "Any"
                base = f"Mapping[{b('str')}, {inner}]" if role == "in" else f"{b('dict')}[{b('str')}, {inner}]"
            elif kind == "model":
                base = f"Mapping[{b('str')}, Any]" if role == "in" else self.cls(t.ref, "model")
            elif kind == "enum":
                e = self.ir.enums[t.ref or ""]
                prim = b("int") if e.kind == "integer" else b("str")
                # Every enum is open on read: a value the contract does not list stays as is.
                base = prim if role == "in" else f"{self.cls(t.ref, 'enum')} | {prim}"
            elif kind == "any" and t.union and t.union in self.ir.unions:
                parts: list[str] = []
                for v in self.ir.unions[t.union].variants:
                    for part in walk(v.type).split(" | "):
                        if part not in parts and part != "None":
                            parts.append(part)
                base = " | ".join(parts) if "Any" not in parts else "Any"
            else:
                base = "Any"
            if t.nullable and base != "Any" and not base.endswith("| None"):
                return f"{base} | None"
            return base

        return walk(t)

    def shape(self, t: TypeRef | None) -> str:
        """The runtime's `Value(...)` expression a value of type `t` is read with."""
        if t is None:
            return "_V('any')"
        args: list[str] = []
        kind = t.kind
        if kind == "string" and t.format in ("date-time", "date", "uuid"):
            args.append(f"format={_pystr(t.format)}")
        elif kind == "model":
            args.append(f"model={_pystr(t.ref)}")
        elif kind == "enum":
            args.append(f"enum={self.cls(t.ref, 'enum')}")
        elif kind == "array" and t.items is not None:
            args.append(f"items={self.shape(t.items)}")
        elif kind == "map" and t.values is not None:
            args.append(f"values={self.shape(t.values)}")
        elif kind == "any" and t.union and t.union in self.ir.unions:
            u = self.ir.unions[t.union]
            kind = "union"
            args.append(f"variants=({''.join(self.shape(v.type) + ', ' for v in u.variants)})")
            if u.discriminator:
                tags = {tag: i for i, v in enumerate(u.variants) for tag in v.tags}
                args.append(f"discriminator={_pystr(u.discriminator)}")
                args.append("tags={" + ", ".join(f"{_pystr(k)}: {i}" for k, i in tags.items()) + "}")
        if t.nullable:
            args.append("nullable=True")
        if t.const is not None and isinstance(t.const, str | int | float | bool):
            args.append(f"const={_pystr(t.const) if isinstance(t.const, str) else repr(t.const)}")
        return f"_V({', '.join([_pystr(kind), *args])})"

    @staticmethod
    def kind(t: TypeRef) -> str:
        if t.kind == "any" and t.union:
            return "any"
        return t.kind

    @staticmethod
    def choices(x: Field | Parameter) -> str:
        values = x.constraints.get("enum")
        if not values or x.type.kind == "enum":
            return "()"
        return "(" + "".join((_pystr(v) if isinstance(v, str) else repr(v)) + ", " for v in values
                             if isinstance(v, str | int | float | bool)) + ")"

    def refs(self, t: TypeRef | None, out: set[tuple[str, str]]) -> None:
        """Every (kind, ref) of a model or enum a TypeRef names, unions walked."""
        if t is None:
            return
        if t.kind in ("model", "enum") and t.ref:
            out.add((t.kind, t.ref))
        self.refs(t.items, out)
        self.refs(t.values, out)
        if t.union and t.union in self.ir.unions:
            for v in self.ir.unions[t.union].variants:
                self.refs(v.type, out)


# -- what the SDK holds -----------------------------------------------------------------------


def runtime_files() -> list[str]:
    """The runtime files, as copied into `src/<package>/_core/` (paths relative to it)."""
    root = HERE / "runtime"
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def _event_format(e: EventType) -> str:
    """How an event's data reads in the runtime: an object into the class's fields, plain
    text, or any other JSON value (the class's `data`)."""
    if e.data_format == "text":
        return "text"
    if e.data_schema is not None or e.fields:
        return "object"
    return "json"


class _Sdk:
    """The IR seen from the Python SDK: which models ship, which are public, and the facts
    the templates look up (every one of them an IR field or a lookup in the IR)."""

    def __init__(self, ir: IR) -> None:
        self.ir = ir
        self.types = Types(ir)
        self.ops = {op.key or op.operation_id: op for op in ir.operations}
        self.models = self._models()
        self.enums = list(ir.enums.values())

    def _models(self) -> list[Model]:
        """Every model the SDK reads or exposes (events are classes of their own): public
        models, the envelopes and pages results are read with, and what their fields and
        the events' fields reach."""
        ir, types = self.ir, self.types
        refs: set[tuple[str, str]] = set()
        todo = [m.schema_name for m in ir.models.values() if m.visibility == "public"]
        for op in ir.operations:
            r = op.result
            todo += [n for n in (r.envelope, r.meta_schema) if n and n in ir.models and r.kind in ("model", "page")]
            types.refs(r.type, refs)
            for t in op.error_bodies.values():
                types.refs(t, refs)
        for s in ir.streams.values():
            for e in s.events:
                for f in e.fields:
                    types.refs(f.type, refs)
                types.refs(e.data_type if _event_format(e) == "json" else None, refs)
        todo += [ref for kind, ref in refs if kind == "model"]
        seen: set[str] = set()
        while todo:
            name = todo.pop()
            if name in seen or name not in ir.models:
                continue
            seen.add(name)
            m = ir.models[name]
            found: set[tuple[str, str]] = set()
            for f in m.fields:
                types.refs(f.type, found)
            types.refs(m.additional_properties, found)
            todo += [ref for kind, ref in found if kind == "model"]
        return [m for m in ir.models.values() if m.schema_name in seen]

    def stream_facts(self, s: EventStream) -> dict[str, Any]:
        """What the stream's templates render: its events with their data format, the
        result's types, and the resume route's operation."""
        by_event = {e.event: e for e in s.events}
        resume = self.ops.get(s.resume.key) if s.resume else None
        resume_resource = next((r for r in self.ir.resources if resume is not None and resume in r.operations), None)
        resume_args: list[tuple[Parameter, str]] = []  # (path parameter, its binding's param wire name)
        if resume is not None and s.resume is not None:
            bound = {b.param for b in s.resume.bindings}
            resume_args = [(p, p.wire_name) for p in resume.path_params if p.wire_name in bound]
        base = _id(s.name.python_type)
        union, result_class, spec_const = naming.derived_names("python", "stream", base)
        return {
            "s": s,
            "events": [(e, _event_format(e)) for e in s.events],
            "resume": resume,
            "resume_resource": resume_resource,
            "resume_args": resume_args,
            "output_type": self._value_type(s, s.output),
            "usage_type": self._value_type(s, s.usage),
            "success": by_event.get(s.success_event or ""),
            "union": _id(union),
            "result_class": _id(result_class),
            "spec_const": _id(spec_const),
        }

    def _value_type(self, s: EventStream, vp: Any) -> str:
        """The annotation of a stream result's value (`output`, `usage`): the type of the
        event field its path names, `Any` when the path goes deeper."""
        if vp is None:
            return "Any"
        event = next((e for e in s.events if e.event == vp.event), None)
        if event is None:
            return "Any"
        if not vp.path:
            return "str | None" if event.data_format == "text" else "Any"
        if len(vp.path) != 1 or _event_format(event) != "object":
            return "Any"
        f = next((f for f in event.fields if f.wire_name == vp.path[0]), None)
        if f is None or f.type.kind == "any":
            return "Any"
        t = self.types.ann(f.type, "out")
        return t if t.endswith("| None") else f"{t} | None"

    def stream_of(self, op: Operation) -> EventStream | None:
        return self.ir.streams.get(op.result.stream or "") if op.result.kind == "stream" else None


_NEED_NAMES = ("_builtins", "_datetime", "_uuid", "datetime", "uuid", "Any", "Mapping", "Sequence", "Literal",
               "_FileTypes")


def _needs(annotations: Iterable[str]) -> set[str]:
    """The module-level names a set of annotations uses (to import only those)."""
    text = " ".join(annotations)
    return {n for n in _NEED_NAMES if re.search(rf"(?<![\w.]){re.escape(n)}\b", text)}


def _path_parts(op: Operation) -> list[tuple[str, str]]:
    """The path as ("lit", text) and ("param", python name) parts, in order."""
    names = {p.wire_name: p.name.python_member for p in op.path_params}
    parts: list[tuple[str, str]] = []
    pos = 0
    for m in re.finditer(r"\{([^{}]*)\}", op.path):
        if m.group(1) not in names:
            continue
        if m.start() > pos:
            parts.append(("lit", op.path[pos : m.start()]))
        parts.append(("param", names[m.group(1)]))
        pos = m.end()
    if pos < len(op.path) or not parts:
        parts.append(("lit", op.path[pos:]))
    return parts


def _security_code(op: Operation) -> str:
    """The operation's security alternatives as a tuple literal of scheme keys."""
    return "(" + "".join("(" + "".join(f"{_pystr(k)}, " for k in alt) + "), " for alt in op.security) + ")"


def _accept_code(op: Operation) -> str:
    accept = op.accept or op.result.content_type
    return _pystr(accept) if accept else "None"


class _EventsFacts:
    """What `events.py` renders: per stream, its event classes with their fields'
    annotations, and the imports those need."""

    def __init__(self, sdk: _Sdk, streams: list[dict[str, Any]]) -> None:
        types = sdk.types
        self.annotations: list[str] = []
        refs: set[tuple[str, str]] = set()
        self.streams = []
        for i, st in enumerate(streams):
            s: EventStream = st["s"]
            events = []
            for e, fmt in st["events"]:
                fields = e.fields if fmt == "object" else []
                shadow = [f.name.python_member for f in fields]
                b = (lambda n, shadow=shadow: f"_builtins.{n}" if n in shadow else n)
                items = []
                for f in fields:
                    a = types.ann(f.type, "out", shadow)
                    if not f.required and a != "Any" and not a.endswith("| None"):
                        a += " | None"
                    items.append((f, a))
                    types.refs(f.type, refs)
                data_ann = ""
                if fmt == "text":
                    data_ann = "str"
                elif fmt == "json":
                    data_ann = types.ann(e.data_type, "out")
                    types.refs(e.data_type, refs)
                self.annotations += [a for _, a in items] + [data_ann, b("str"), b("frozenset"), b("dict")]
                events.append({
                    "e": e, "fmt": fmt, "cls": _id(e.name.python_type), "data_ann": data_ann,
                    "required": [(f, a) for f, a in items if f.required],
                    "optional": [(f, a) for f, a in items if not f.required],
                    "str": b("str"), "frozenset": b("frozenset"), "dict": b("dict"),
                })
            self.annotations += [st["output_type"], st["usage_type"]]
            for vp in (s.output, s.usage):
                event = next((e for e in s.events if vp is not None and e.event == vp.event), None)
                if event is not None and vp is not None and len(vp.path) == 1:
                    for f in event.fields:
                        if f.wire_name == vp.path[0]:
                            types.refs(f.type, refs)
            resume = st["resume"]
            resume_call = []
            if resume is not None and s.resume is not None:
                for p, wire in st["resume_args"]:
                    resume_call.append((_id(p.name.python_member), f"params[{_pystr(wire)}]"))
                for p in resume.header_params:
                    if p.wire_name.lower() == s.resume.header.lower():
                        resume_call.append((_id(p.name.python_member), "last_event_id"))
            self.streams.append({**st, "index": i, "event_list": events, "resume_call": resume_call,
                                 "resume_security": _security_code(resume) if resume is not None else "()",
                                 "resume_accept": _accept_code(resume) if resume is not None else "None"})
        shipped = {m.schema_name for m in sdk.models}
        imports = set()
        enum_imports = set()
        for kind, ref in refs:
            if kind == "model" and ref in shipped:
                m = sdk.ir.models[ref]
                imports.add((_id(m.name.module), _id(m.name.python_type)))
            elif kind == "enum":
                en = sdk.ir.enums[ref]
                enum_imports.add((_id(en.name.module), _id(en.name.python_type)))
        self.imports = sorted(imports)  # for type checking only (models may import each other)
        self.enum_imports = sorted(enum_imports)  # at run time: data shapes name enum classes


class _Arg:
    """One argument of a generated method."""

    def __init__(self, name: str, ann: str, default: str | None = None, *, doc: str = "", passes: bool = True,
                 documented: bool = True) -> None:
        self.name = _id(name)
        self.ann = ann
        self.default = default
        self.doc = doc
        self.passes = passes  # given again when a page fetches the next one (not the idempotency key)
        self.documented = documented
        self.star = False


class _OpFacts:
    """What the resource template renders for one operation (every fact an IR field or an
    IR lookup)."""

    def __init__(self, sdk: _Sdk, op: Operation, shadow: list[str], streams: dict[str, dict[str, Any]]) -> None:
        types = sdk.types
        self.annotations: list[str] = []
        self.models: set[tuple[str, str]] = set()

        def ann(t: TypeRef | None, role: str) -> str:
            a = types.ann(t, role, shadow)
            self.annotations.append(a)
            if role == "out":
                types.refs(t, self.models)
            return a

        def arg_ann(x: Field | Parameter) -> str:
            values = x.constraints.get("enum")
            if values and x.type.kind in ("string", "integer") and all(isinstance(v, str | int) for v in values):
                base = "Literal[" + ", ".join(_pystr(v) if isinstance(v, str) else repr(v) for v in values) + "]"
                self.annotations.append(base)
                return base + (" | None" if x.type.nullable else "")
            return ann(x.type, "in")

        b = (lambda n: f"_builtins.{n}" if n in shadow else n)
        body = op.body
        fields = body.fields if body is not None else []
        params = [p for p in op.query_params + op.header_params + op.cookie_params
                  if p.role in ("plain", "page", "limit")]
        last_event = [p for p in op.header_params if p.role == "last_event_id"]
        self.passed_params = params + last_event
        args: list[_Arg] = [_Arg(p.name.python_member, ann(p.type, "in"), doc=p.description) for p in op.path_params]
        keyword: list[_Arg] = []
        optional: list[_Arg] = []
        for f in fields:
            a = arg_ann(f)
            if f.required:
                keyword.append(_Arg(f.name.python_member, a, doc=f.description))
            else:
                nn = a if a == "Any" else f"{a} | NotGiven"
                optional.append(_Arg(f.name.python_member, nn, "NOT_GIVEN", doc=f.description))
        if body is not None and not fields:
            a = ann(body.type, "in") if body.type is not None else "Any"
            if body.kind in ("binary", "text") and body.type is not None and body.type.format != "binary":
                a = f"{a} | {b('bytes')}" if a != "Any" else a
            if body.required:
                keyword.append(_Arg("body", a, doc=body.description or "The request body."))
            else:
                optional.append(_Arg("body", f"{a} | NotGiven", "NOT_GIVEN", doc=body.description or "The request body."))
        for p in params:
            a = arg_ann(p)
            if p.required:
                keyword.append(_Arg(p.name.python_member, a, doc=p.description))
            else:
                optional.append(_Arg(p.name.python_member, a if a == "Any" else f"{a} | NotGiven", "NOT_GIVEN",
                                     doc=p.description))
        for p in last_event:
            optional.append(_Arg(p.name.python_member, f"{b('str')} | None", "None", doc=p.description))
        # Every method takes a key (RUNTIME.md); one whose spec declares Idempotency-Key
        # sends one even when the caller gives none.
        optional.append(_Arg("idempotency_key", f"{b('str')} | NotGiven", "NOT_GIVEN", passes=False,
                             documented=False))
        optional += [
            _Arg("extra_headers", f"Mapping[{b('str')}, {b('str')} | None] | None", "None", documented=False),
            _Arg("extra_query", f"Mapping[{b('str')}, {b('object')}] | None", "None", documented=False),
            _Arg("extra_body", f"Mapping[{b('str')}, {b('object')}] | None", "None", documented=False),
            _Arg("timeout", "TimeoutTypes | NotGiven", "NOT_GIVEN", documented=False),
            _Arg("max_retries", f"{b('int')} | NotGiven", "NOT_GIVEN", documented=False),
        ]
        rest = keyword + optional
        rest[0].star = True
        self.args = args + rest
        self.documented = [a for a in self.args if a.documented and a.doc]

        checks = [f"_check_path({_pystr(p.name.python_member)}, {_id(p.name.python_member)}, "
                  f"{_pystr(types.kind(p.type))})" for p in op.path_params]
        for x in [*fields, *params]:
            opts = []
            if x.type.nullable:
                opts.append("nullable=True")
            if types.choices(x) != "()":
                opts.append(f"choices={types.choices(x)}")
            if x.type.kind == "string" and x.type.format == "binary":
                opts.append("binary=True")
            checks.append(f"_check_arg({_pystr(x.name.python_member)}, {_id(x.name.python_member)}, "
                          f"{_pystr(types.kind(x.type))}{''.join(', ' + o for o in opts)})")
        if body is not None and not fields and body.type is not None:
            binary = body.kind in ("binary", "text") or body.type.format == "binary"
            kind = "string" if binary else types.kind(body.type)
            checks.append(f"_check_arg(\"body\", body, {_pystr(kind)}{', binary=True' if binary else ''})")
        for p in last_event:
            checks.append(f"_check_arg({_pystr(p.name.python_member)}, {_id(p.name.python_member)}, \"string\", "
                          "nullable=True)")
        self.checks = checks

        switch = ""
        if op.body_switch is not None:
            value = op.body_switch.value
            value_code = _pystr(value) if isinstance(value, str) else repr(value)
            switch = f", {{{_pystr(op.body_switch.field)}: {value_code}}}"
        if fields:
            self.body_expr = "_body_of({" + "".join(f"{_pystr(f.wire_name)}: {_id(f.name.python_member)}, "
                                                   for f in fields) + "}" + switch + ")"
        else:
            self.body_expr = "body"
        self.security = _security_code(op)
        self.accept = _accept_code(op)

        r = op.result
        self.shape = types.shape(r.type) if r.kind == "model" else ""
        if self.shape:
            found: set[tuple[str, str]] = set()
            types.refs(r.type, found)
            self.models |= {x for x in found if x[0] == "enum"}
        self.stream: dict[str, Any] | None = None
        self.seed: list[tuple[Parameter, str]] = []
        self.last_event_id = last_event[0].name.python_member if last_event else None
        self.item = self.meta = ""
        self.page_param = self.limit_param = None
        self.page_default = "1"
        self.limit_default = "None"
        if r.kind == "model":
            self.body_return = ann(r.type, "out")
            self.sync_return = self.async_return = self.body_return
        elif r.kind == "page":
            self.item = ann(r.type, "out")
            meta = sdk.ir.models.get(r.meta_schema or "")
            self.meta = _id(meta.name.python_type) if meta is not None else "Any"
            if meta is not None:
                self.models.add(("model", meta.schema_name))
            self.sync_return = f"SyncPage[{self.item}, {self.meta}]"
            self.async_return = f"AsyncPage[{self.item}, {self.meta}]"
            self.body_return = ""
            for p in params:
                if p.role == "page":
                    self.page_param = p.name.python_member
                    if isinstance(p.default, int) and not isinstance(p.default, bool):
                        self.page_default = repr(p.default)
                elif p.role == "limit":
                    self.limit_param = p.name.python_member
                    if isinstance(p.default, int) and not isinstance(p.default, bool):
                        self.limit_default = repr(p.default)
        elif r.kind == "stream":
            st = streams[r.stream or ""]
            self.stream = st
            self.sync_return = f"Stream[{st['union']}, {st['result_class']}]"
            self.async_return = f"AsyncStream[{st['union']}, {st['result_class']}]"
            self.body_return = ""
            resume = st["s"].resume
            if resume is not None and resume.key == (op.key or op.operation_id):
                by_wire = {p.wire_name: p for p in op.path_params}
                self.seed = [(by_wire[param], param) for _, param in st["resume_args"] if param in by_wire]
        else:
            self.body_return = {"binary": b("bytes"), "text": b("str")}.get(r.kind, "None")
            self.sync_return = self.async_return = self.body_return
        self.annotations += [self.sync_return, self.async_return]


# The options of a conversation's open and load methods (RUNTIME.md "Conversations").
_CONVERSATION_OPTIONS = ("max_concurrent_invocations", "max_retries", "timeout", "delete_on_exit")


class _ConversationFacts:
    """What the resource template renders for `Resource.conversation` (x-sdk-conversation):
    the open and load methods' arguments, and the binding of the runtime's `Conversation` to
    the resource's methods. Every fact is an IR field or an IR lookup; what this target cannot
    drive (another path parameter besides the session's, a name the options use) is an error."""

    def __init__(self, sdk: _Sdk, resource: Resource, shadow: list[str], ops: list[_OpFacts],
                 streams: dict[str, dict[str, Any]]) -> None:
        conv = resource.conversation
        assert conv is not None
        ir, types = sdk.ir, sdk.types
        where = f"python: the conversation of resource {resource.tag!r}"
        by_key = {op.key or op.operation_id: (op, f) for op, f in zip(resource.operations, ops)}

        def op_of(key: str) -> tuple[Operation, _OpFacts]:
            if key not in by_key:
                raise ValueError(f"{where} names {key!r}, which is no operation of the resource")
            return by_key[key]

        def session_arg(op: Operation) -> str:
            others = [p for p in op.path_params if p.wire_name != conv.session_param]
            if others or len(op.path_params) != 1:
                raise ValueError(f"{where}: {op.key} has path parameters besides {conv.session_param!r}")
            return _id(op.path_params[0].name.python_member)

        def field_arg(op: Operation, wire: str) -> str:
            for f in (op.body.fields if op.body is not None else []):
                if f.wire_name == wire:
                    return _id(f.name.python_member)
            raise ValueError(f"{where}: {op.key} has no body field {wire!r}")

        b = (lambda n: f"_builtins.{n}" if n in shadow else n)
        self.str, self.int, self.bool = b("str"), b("int"), b("bool")
        self.name = f"{resource.name.python_member}.{conv.open_method.python_member}"
        self.open = _id(conv.open_method.python_member)
        self.load = _id(conv.load_method.python_member)
        self.binding = _id(f"_{conv.open_method.python_member}_binding")

        create, _ = op_of(conv.create)
        if create.path_params:
            raise ValueError(f"{where}: {create.key} has path parameters")
        self.create_method = _id(create.name.python_member)
        self.create = []
        for f in (create.body.fields if create.body is not None else []):
            if f.wire_name not in conv.create_fields:
                continue
            a = types.ann(f.type, "in", shadow)
            self.create.append({"wire": f.wire_name, "py": _id(f.name.python_member), "required": f.required,
                                "ann": a if a == "Any" else f"{a} | NotGiven", "doc": f.description})
        send, send_f = op_of(conv.send)
        history, history_f = op_of(conv.history)
        self.session_arg = session_arg(send)
        taken = {*_CONVERSATION_OPTIONS, self.session_arg}
        for c in self.create:
            if c["py"] in taken:
                raise ValueError(f"{where}: the create field {c['wire']!r} would be the argument {c['py']!r}, "
                                 "which the conversation's options use")
        self.send = {"method": _id(send.name.python_member), "session": self.session_arg,
                     "text": field_arg(send, conv.text_field)}
        self.stream: dict[str, Any] | None = None
        self.event = "Any"
        stream_facts: dict[str, Any] | None = None
        if conv.stream:
            st_op, st_f = op_of(conv.stream)
            self.stream = {"method": _id(st_op.name.python_member), "session": session_arg(st_op),
                           "text": field_arg(st_op, conv.text_field)}
            stream_facts = st_f.stream
            if stream_facts is not None:
                self.event = stream_facts["union"]
        if history.result.kind != "page" or history.result.type is None or history.result.type.kind != "model":
            raise ValueError(f"{where}: {history.key} is not a page of messages")
        page = next((p for p in history.query_params if p.role == "page"), None)
        limit = next((p for p in history.query_params if p.role == "limit"), None)
        if page is None or limit is None:
            raise ValueError(f"{where}: {history.key} takes no page and limit parameters")
        maximum = limit.constraints.get("maximum")
        size = 100
        if isinstance(maximum, int | float) and not isinstance(maximum, bool) and maximum >= 1:
            size = min(size, int(maximum))
        self.history = {"method": _id(history.name.python_member), "session": session_arg(history),
                        "page": _id(page.name.python_member), "limit": _id(limit.name.python_member),
                        "size": size}
        self.message = history_f.item
        message_ref = history.result.type.ref
        self.get: dict[str, str] | None = None
        if conv.get:
            get, _ = op_of(conv.get)
            self.get = {"method": _id(get.name.python_member), "session": session_arg(get)}
        self.delete: dict[str, str] | None = None
        if conv.delete:
            delete, _ = op_of(conv.delete)
            self.delete = {"method": _id(delete.name.python_member), "session": session_arg(delete)}
        if send.result.kind != "model" or send.result.type is None:
            raise ValueError(f"{where}: {send.key} does not answer a JSON value")
        self.reply = send_f.body_return
        reply_model = ir.models.get(send.result.type.ref or "") if send.result.type.kind == "model" else None
        reply_fields = {f.wire_name: f for f in (reply_model.fields if reply_model is not None else [])}
        # The reply's stored user message: the field holding a message that is not the one
        # `x-sdk-flatten` reads the reply itself from.
        self.reply_user_field = next(
            (w for w, f in reply_fields.items()
             if f.type.kind == "model" and f.type.ref == message_ref and w != (reply_model.flatten if reply_model else None)),
            None,
        )
        # The run a reply names, read from the reply's fields of the resume route's event fields.
        self.follow: dict[str, Any] | None = None
        self.reply_run_fields: list[tuple[str, str]] = []
        s: EventStream | None = stream_facts["s"] if stream_facts is not None else None
        if s is not None and s.resume is not None and stream_facts is not None and stream_facts["resume"] is not None:
            resume: Operation = stream_facts["resume"]
            resume_resource: Resource = stream_facts["resume_resource"]
            self.reply_run_fields = [(bd.param, bd.field) for bd in s.resume.bindings if bd.field in reply_fields]
            header = next((p for p in resume.header_params if p.role == "last_event_id"), None)
            by_wire = {p.wire_name: p for p in resume.path_params}
            self.follow = {
                "method": _id(resume.name.python_member),
                "same": resume_resource is resource,
                "module": _id(resume_resource.name.module),
                "cls": _id(resume_resource.name.python_type),
                "async_cls": _id(naming.derived_names("python", "resource", resume_resource.name.python_type)[1]),
                "args": [(_id(by_wire[bd.param].name.python_member), bd.param) for bd in s.resume.bindings
                         if bd.param in by_wire],
                "last_event_id": _id(header.name.python_member) if header is not None else None,
            }
        self.usage = list(conv.usage_fields.items())
        self.cost_field = conv.cost_field
        self.session_id_field = conv.session_id_field
        self.text_field = conv.text_field
        self.create_fields = [c["wire"] for c in self.create]
        self.required_create = [c["wire"] for c in self.create if c["required"]]
        self.annotations = [c["ann"] for c in self.create] + [self.message, self.reply, self.event,
                                                                self.str, self.int, self.bool]
        refs: set[tuple[str, str]] = set()
        types.refs(history.result.type, refs)
        types.refs(send.result.type, refs)
        self.models = refs


class _ResourceFacts:
    def __init__(self, sdk: _Sdk, resource: Resource, shadow: list[str], streams: list[dict[str, Any]]) -> None:
        by_schema = {st["s"].schema_name: st for st in streams}
        self.ops = [_OpFacts(sdk, op, shadow, by_schema) for op in resource.operations]
        self.conversation = (_ConversationFacts(sdk, resource, shadow, self.ops, by_schema)
                             if resource.conversation is not None else None)
        self.annotations = [a for f in self.ops for a in f.annotations]
        if self.conversation is not None:
            self.annotations += self.conversation.annotations
        kinds = [op.result.kind for op in resource.operations]
        self.pages = "page" in kinds
        seen: list[str] = []
        self.streams = []
        for f in self.ops:
            if f.stream is not None and f.stream["spec_const"] not in seen:
                seen.append(f.stream["spec_const"])
                self.streams.append(f.stream)
        self.bodies = any(op.body is not None and op.body.fields for op in resource.operations)
        self.reads = {"bytes": "binary" in kinds, "none": "none" in kinds, "text": "text" in kinds,
                      "value": "model" in kinds}
        self.shapes = any(f.shape for f in self.ops)
        refs: set[tuple[str, str]] = set()
        for f in self.ops:
            refs |= f.models
        if self.conversation is not None:
            refs |= self.conversation.models
        shipped = {m.schema_name for m in sdk.models}
        imports = set()
        for kind, ref in refs:
            if kind == "model" and ref in shipped:
                m = sdk.ir.models[ref]
                imports.add((_id(m.name.module), _id(m.name.python_type)))
            elif kind == "enum":
                e = sdk.ir.enums[ref]
                imports.add((_id(e.name.module), _id(e.name.python_type)))
        self.model_imports = sorted(imports)


# -- the target ---------------------------------------------------------------------------------


class PythonTarget:
    lang = "python"
    default_out = "python-sdk"

    def source_dirs(self) -> list[Path]:
        return [HERE]

    def render(self, ir: IR, ctx: RenderContext) -> dict[str, str]:
        sdk = _Sdk(ir)
        pkg = _id(ir.sdk.python_package)
        root = f"src/{pkg}"
        env = self._env(sdk)
        c = self._context(sdk)
        rendered: dict[str, str] = {
            "__init__.py": env.get_template("__init__.py.jinja").render(**c),
            "_client.py": env.get_template("_client.py.jinja").render(**c),
            "events.py": env.get_template("events.py.jinja").render(**c),
            "models.py": env.get_template("models.py.jinja").render(**c),
            "_shapes.py": env.get_template("_shapes.py.jinja").render(**c),
            "_version.py": env.get_template("_version.py.jinja").render(**c),
            "_core/_brand.py": env.get_template("_brand.py.jinja").render(**c),
            "resources/__init__.py": env.get_template("resources/__init__.py.jinja").render(**c),
        }
        resource_template = env.get_template("resources/resource.py.jinja")
        for r in ir.resources:
            rendered[f"resources/{_id(r.name.module)}.py"] = resource_template.render(resource=r, **c)
        rendered.update(self._opc(sdk, env.filters, c))
        files = {f"{root}/{rel}": text for rel, text in self._ruff_format(rendered).items()}
        for rel in runtime_files():
            files[f"{root}/_core/{rel}"] = (HERE / "runtime" / rel).read_text()
        files[f"{root}/py.typed"] = ""
        files["pyproject.toml"] = env.get_template("pyproject.toml.jinja").render(**c)
        files["api.md"] = env.get_template("api.md.jinja").render(**c)
        return files

    # -- templates ---------------------------------------------------------------------------
    @staticmethod
    def _filters(sdk: _Sdk) -> dict[str, Any]:
        types = sdk.types
        return {
            "id": _id,
            "pystr": _pystr,
            "doc": _doc,
            "comment": _comment,
            "md": _md,
            "toml": _toml,
            "ann": types.ann,
            "shape": types.shape,
            "kind": types.kind,
            "choices": types.choices,
        }

    def _env(self, sdk: _Sdk) -> Any:
        env = make_env(HERE / "templates", self._filters(sdk))
        env.globals.update(self._globals(sdk))
        env.bytecode_cache = _BYTECODE_CACHE
        return env

    @staticmethod
    def _globals(sdk: _Sdk) -> dict[str, Any]:
        ir, types = sdk.ir, sdk.types
        shipped = {m.schema_name for m in sdk.models}
        streams = [sdk.stream_facts(s) for s in ir.streams.values()]

        def union_refs(u: Any) -> set[tuple[str, str]]:
            found: set[tuple[str, str]] = set()
            for v in u.variants:
                types.refs(v.type, found)
            return found

        def exported_unions() -> list[Any]:
            return [u for u in ir.unions.values()
                    if all(kind == "enum" or ref in shipped for kind, ref in union_refs(u))]

        def union_ann(u: Any) -> str:
            return types.ann(TypeRef(kind="any", union=u.schema_name, nullable=u.nullable), "out")

        def union_models(unions: list[Any]) -> list[Model]:
            names = {ref for u in unions for kind, ref in union_refs(u) if kind == "model"}
            return [m for m in sdk.models if m.schema_name in names]

        return {
            "needs": _needs,
            "path_parts": _path_parts,
            "resource_facts": lambda r, shadow: _ResourceFacts(sdk, r, shadow, streams),
            "events_facts": lambda: _EventsFacts(sdk, streams),
            "st_json_shapes": lambda facts: any(ev["fmt"] == "json" and ev["e"].data_type is not None
                                                for st in facts.streams for ev in st["event_list"]),
            "exported_unions": exported_unions,
            "union_ann": union_ann,
            "union_models": union_models,
            "derived": lambda kind, base: naming.derived_names("python", kind, base),
        }

    @staticmethod
    def _context(sdk: _Sdk | IR) -> dict[str, Any]:
        """What every template sees (an IR is read as the SDK it makes)."""
        if isinstance(sdk, IR):
            sdk = _Sdk(sdk)
        ir = sdk.ir
        needs_auth = [op for op in ir.operations if op.security and all(alt for alt in op.security)]
        usable_auth = [a for a in ir.auth if a.location != "transport"]
        client, async_client, base_error = naming.derived_names("python", "sdk", _id(ir.sdk.name.python_type))
        return {
            "ir": ir,
            "sdk": ir.sdk,
            "base_error": _id(base_error),
            "client": _id(client),
            "async_client": _id(async_client),
            "streams": [sdk.stream_facts(s) for s in ir.streams.values()],
            "models": sdk.models,
            "public_models": [m for m in sdk.models if m.visibility == "public"],
            "enums": sdk.enums,
            "unions": list(ir.unions.values()),
            "auth": usable_auth,
            "auth_required": bool(usable_auth) and len(needs_auth) == len(ir.operations) and bool(ir.operations),
            "stream_of": sdk.stream_of,
            "ops": sdk.ops,
            "types": sdk.types,
        }

    # -- openapi-python-client ---------------------------------------------------------------
    @staticmethod
    def opc_view(sdk: _Sdk) -> tuple[dict[str, Any], dict[str, Model | Enum], dict[str, tuple[Resource, Operation]]]:
        """The IR's view of the spec for openapi-python-client (see the module docstring):
        the document, and what each opaque key stands for."""
        ir = sdk.ir
        keys: dict[str, str] = {}  # IR schema name -> opaque key
        by_key: dict[str, Model | Enum] = {}
        for i, m in enumerate(sdk.models):
            keys[f"m:{m.schema_name}"] = f"M{i}"
            by_key[f"M{i}"] = m
        for i, e in enumerate(sdk.enums):
            keys[f"e:{e.schema_name}"] = f"E{i}"
            by_key[f"E{i}"] = e

        def schema(t: TypeRef | None) -> dict[str, Any]:
            if t is None:
                return {}
            out: dict[str, Any]
            if t.kind in ("string", "integer", "number", "boolean"):
                out = {"type": t.kind}
                if t.kind == "string" and t.format == "binary":
                    out["format"] = "binary"
            elif t.kind == "array":
                out = {"type": "array", "items": schema(t.items)}
            elif t.kind == "map":
                out = {"type": "object", "additionalProperties": schema(t.values) if t.values else True}
            elif t.kind in ("model", "enum") and f"{t.kind[0]}:{t.ref}" in keys:
                out = {"$ref": f"#/components/schemas/{keys[f'{t.kind[0]}:{t.ref}']}"}
            elif t.kind == "model":
                out = {"type": "object"}  # a model the SDK does not ship (event data): any object
            elif t.kind == "any" and t.union and t.union in ir.unions:
                out = {"anyOf": [schema(v.type) for v in ir.unions[t.union].variants]}
            else:
                out = {}
            if t.nullable and out:
                out = {"anyOf": [out, {"type": "null"}]}
            return out

        schemas: dict[str, Any] = {}
        for key, entity in by_key.items():
            if isinstance(entity, Model):
                schemas[key] = {
                    "type": "object",
                    "properties": {f"f{j}": schema(f.type) for j, f in enumerate(entity.fields)},
                    "required": [f"f{j}" for j, f in enumerate(entity.fields) if f.required],
                    "additionalProperties": False,
                }
            else:
                # Opaque values too: the template renders the IR's (openapi-python-client only
                # needs as many, of the same JSON type).
                n = len(entity.values)
                schemas[key] = {
                    "type": entity.kind,
                    "enum": list(range(n)) if entity.kind == "integer" else [f"v{j}" for j in range(n)],
                    "x-enum-varnames": [f"V{j}" for j in range(n)],
                }
        paths: dict[str, Any] = {}
        by_op: dict[str, tuple[Resource, Operation]] = {}
        n = 0
        for ri, r in enumerate(ir.resources):
            for op in r.operations:
                key = f"o{n}"
                n += 1
                by_op[key] = (r, op)
                params = []
                for loc, group in (("path", op.path_params), ("query", op.query_params),
                                   ("header", op.header_params), ("cookie", op.cookie_params)):
                    for j, p in enumerate(group):
                        params.append({"name": f"{loc[0]}{j}", "in": loc, "required": loc == "path" or p.required,
                                       "schema": schema(p.type) or {"type": "string"}})
                path = f"/{key}" + "".join(f"/{{p{j}}}" for j in range(len(op.path_params)))
                operation: dict[str, Any] = {
                    "operationId": key,
                    "tags": [f"r{ri}"],
                    "parameters": params,
                    "responses": {"200": {"description": "ok"}},
                }
                if op.body is not None:
                    media = {"json": "application/json", "form": "application/x-www-form-urlencoded",
                             "multipart": "multipart/form-data"}.get(op.body.kind, "application/octet-stream")
                    body_schema = schema(op.body.type) if op.body.kind in ("json", "form", "multipart") else \
                        {"type": "string", "format": "binary"}
                    operation["requestBody"] = {"required": op.body.required,
                                                "content": {media: {"schema": body_schema or {}}}}
                paths[path] = {"post" if op.http_method == "query" else op.http_method: operation}
        doc = {
            "openapi": "3.1.0",
            "info": {"title": "sdk", "version": "0"},
            "paths": paths,
            "components": {"schemas": schemas},
        }
        return doc, by_key, by_op

    def _opc(self, sdk: _Sdk, filters: dict[str, Any], c: dict[str, Any]) -> dict[str, str]:
        """Run openapi-python-client on the IR's view; returns `_generated/...` files."""
        from openapi_python_client import Project, __version__
        from openapi_python_client.config import Config, ConfigFile, MetaType
        from openapi_python_client.parser import GeneratorData
        from openapi_python_client.parser.errors import GeneratorError

        if __version__ != OPC_VERSION:
            raise RuntimeError(f"openapi-python-client {OPC_VERSION} is required (found {__version__})")
        doc, by_key, by_op = self.opc_view(sdk)
        config = Config.from_sources(ConfigFile(post_hooks=[]), MetaType.NONE, "view.json", "utf-8", True, None)
        data = GeneratorData.from_dict(json.loads(json.dumps(doc)), config=config)
        if isinstance(data, GeneratorError):
            raise RuntimeError(f"openapi-python-client could not read the IR's view: {data.header}: {data.detail}")
        errors = [*data.errors, *(e for c in data.endpoint_collections_by_tag.values() for e in c.parse_errors)]
        if errors:
            raise RuntimeError(f"openapi-python-client could not read the IR's view: {errors[0].header}: {errors[0].detail}")
        project = Project(openapi=data, config=config, custom_template_path=HERE / "opc_templates")
        env = project.env
        env.filters.update(filters)
        env.globals.update(self._globals(sdk))
        env.undefined = jinja2.StrictUndefined
        env.bytecode_cache = _BYTECODE_CACHE
        ir = sdk.ir
        out: dict[str, str] = {}
        model_template = env.get_template("model.py.jinja")
        rendered_models = 0
        for model in data.models:
            m = by_key.get(str(model.class_info.name))
            if m is None:
                continue  # the inline model openapi-python-client makes of a map: the SDK reads maps as dicts
            assert isinstance(m, Model)
            rendered_models += 1
            props = [*(model.required_properties or []), *(model.optional_properties or [])]
            fields = [m.fields[int(p.name.get_untrusted_value()[1:])] for p in props]
            if sorted(f.wire_name for f in fields) != sorted(f.wire_name for f in m.fields) or any(
                p.required != f.required for p, f in zip(props, fields)
            ):
                raise RuntimeError(f"openapi-python-client read model {m.schema_name!r} unlike the IR")
            out[f"_generated/models/{_id(m.name.module)}.py"] = model_template.render(
                model=model, m=m, fields=fields, imports=self._model_imports(sdk, m), **c
            )
        if rendered_models != len(sdk.models):
            raise RuntimeError("openapi-python-client left out models of the IR's view")
        for enum in data.enums:
            e = by_key[str(enum.class_info.name)]
            assert isinstance(e, Enum)
            # Its member names are the view's opaque `V<n>`; its values, one per IR value.
            if sorted(enum.values) != sorted(f"V{j}" for j in range(len(e.values))):
                raise RuntimeError(f"openapi-python-client read enum {e.schema_name!r} unlike the IR")
            template = "int_enum.py.jinja" if e.kind == "integer" else "str_enum.py.jinja"
            out[f"_generated/models/{_id(e.name.module)}.py"] = env.get_template(template).render(enum=enum, e=e)
        endpoint_template = env.get_template("endpoint_module.py.jinja")
        rendered_ops = 0
        for collection in data.endpoint_collections_by_tag.values():
            for endpoint in collection.endpoints:
                r, op = by_op[str(endpoint.name)]
                counts = (len(endpoint.path_parameters), len(endpoint.query_parameters),
                          len(endpoint.header_parameters), len(endpoint.cookie_parameters), len(endpoint.bodies))
                if counts != (len(op.path_params), len(op.query_params), len(op.header_params),
                              len(op.cookie_params), 1 if op.body else 0):
                    raise RuntimeError(f"openapi-python-client read operation {op.key!r} unlike the IR")
                out[f"_generated/api/{_id(r.name.module)}/{_id(op.name.module)}.py"] = endpoint_template.render(
                    endpoint=endpoint, op=op, resource=r, sdk=ir.sdk
                )
                rendered_ops += 1
        if rendered_ops != len(by_op):
            raise RuntimeError("openapi-python-client left out operations of the IR's view")
        package_init = env.get_template("package_init.py.jinja").render()
        out["_generated/__init__.py"] = package_init
        out["_generated/models/__init__.py"] = env.get_template("models_init.py.jinja").render()
        out["_generated/api/__init__.py"] = package_init
        for r in ir.resources:
            out[f"_generated/api/{_id(r.name.module)}/__init__.py"] = package_init
        return out

    @staticmethod
    def _model_imports(sdk: _Sdk, m: Model) -> list[tuple[str, str]]:
        """(module, class) of every model and enum a model's annotations name."""
        found: set[tuple[str, str]] = set()
        for f in m.fields:
            sdk.types.refs(f.type, found)
        shipped = {x.schema_name for x in sdk.models}
        out = set()
        for kind, ref in found:
            if kind == "model" and ref in shipped and ref != m.schema_name:
                x = sdk.ir.models[ref]
                out.add((_id(x.name.module), _id(x.name.python_type)))
            elif kind == "enum":
                y = sdk.ir.enums[ref]
                out.add((_id(y.name.module), _id(y.name.python_type)))
        return sorted(out)

    # -- formatting ----------------------------------------------------------------------------
    @staticmethod
    def _ruff_format(files: dict[str, str]) -> dict[str, str]:
        """Every file formatted by one `ruff format` run over a scratch folder (in memory,
        /dev/shm, where there is one: writing and removing the files costs more than ruff)."""
        shm = Path("/dev/shm")
        scratch = str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None
        with tempfile.TemporaryDirectory(prefix="sdkgen-python-", dir=scratch) as tmp:
            stage = Path(tmp)
            for rel, text in files.items():
                p = stage / rel
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_text(text)
            cmd = [sys.executable, "-m", "ruff", "format", *RUFF_ARGS, "--quiet", str(stage)]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode != 0:
                raise RuntimeError(f"ruff format failed on the rendered SDK: {proc.stderr.strip() or proc.stdout.strip()}")
            return {rel: (stage / rel).read_text() for rel in files}


TARGET = PythonTarget()
