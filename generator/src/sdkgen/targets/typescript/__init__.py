"""The TypeScript target: typed ESM + CommonJS packages rendered from the IR alone.

Output (relative to the SDK folder):

    package.json, tsconfig*.json, .gitignore
    api.md                   the API reference: every resource, method, parameter, return type,
                             event type and model, from the IR
    src/core/*.ts            the hand-written runtime, copied unchanged from `runtime/` (it names
                             no API: the client passes its identity, credentials and streams in)
    src/models.ts            per public model an interface and a shape table (`fromWire`/`toWire`);
                             per enum a literal type and a value object; per union a type and a
                             shape table
    src/events.ts            per event stream: one interface per event, the union (plus
                             `UnknownEvent`), the stream's definition (`<Stream>Spec`: dispatch,
                             sentinel, end, text/output/usage paths, resume route) and its
                             `Stream` type
    src/resources/<module>.ts  one class per resource; its params interfaces and body tables
    src/client.ts            the client class, its `ClientOptions` (one option per credential)
    src/index.ts             the public surface

The target renders IR fields and nothing else: every name is the IR's (`Names.typescript_type` for
types, `Names.typescript_member` for members, `Names.module` for resource files), and every
decision is the IR's (`Operation.params_required`, `Result.kind`/`wrapped`/`unwrap`, `Body.kind`,
`Operation.variant`/`body_switch`/`accept`/`security`, `Model.visibility`, `IR.unions`, `IR.auth`,
and each `EventStream`'s `dispatch`, `data_property`, `sentinel`, `eof_ends`, `success_event`,
`failure_events`, `text_delta`, `output`, `usage`, `resume`). Where the IR leaves TypeScript no
way to render something (a name it did not reserve), the target stops with `TargetError` naming
the IR entity; it never renames or guesses.

Two renderings the IR does not spell out, both mechanical: a request body that is not a model's
fields (binary, text, a JSON array or union) is the params key `body`, required (and with it the
params object) when `Body.required`; and an event's data that is not a JSON object is the
event's `data`. The union's discriminant `type` is each event's name; an event field whose
TypeScript member is `type` (the IR leaves it unreserved only when it is the dispatch property
itself) is that discriminant.

Spec text reaches the output through exactly one escaping filter per context:

    ts_str(value)        a string literal: single-quoted; backslash, quote, every control, format,
                         separator (U+2028/U+2029) and unassigned/private character escaped as
                         \\uXXXX, so no text can end the literal or hide code in it
    ts_doc(text, indent) a JSDoc block (or nothing for empty text); ts_comment(text) the same text
                         for one line inside a fixed block: white space and control/format
                         characters become spaces, and `*/` is written `*\\/`, so no text can end
                         the comment
    ts_ident(name)       an identifier: the IR's name, checked (TypeScript's identifier grammar,
                         not a reserved word); anything else is a TargetError, never emitted
    ts_key(name)         a property key: a bare identifier when it is one, else ts_str
    ts_literal(value)    a JSON value (a const, a body switch) as a TypeScript literal: strings
                         through ts_str, numbers/booleans/null as JSON
    md_text(text)        prose in api.md: collapsed to one line, Markdown and HTML punctuation
                         escaped
    md_code(text)        a code span in api.md, fenced with more backticks than the text holds
    package.json         json.dumps (the JSON context)

Type filters: ts_type(typeref, qualified, request) the TypeScript type (`M.`-prefixed when
qualified; binary strings are `Uploadable` in requests), ts_param_type(param) a parameter's type
narrowed to its listed values, ts_shape(typeref) the runtime shape (`t.model(() => M.Pet)`),
ts_path(op) the path expression, ts_value_type(stream, value_path) the type at a stream's
text/output/usage path, ts_result(op) the return type, ts_result_spec(op) how the response is read.

Formatting: the templates produce the final layout (two-space indent, single quotes,
semicolons); no formatter runs, so output is byte-identical everywhere.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ... import naming
from ...ir import IR, Body, EventStream, EventType, Field, Model, Operation, Parameter, Resource, TypeRef, ValuePath
from ...render import make_env
from .. import RenderContext

__all__ = ["TARGET", "TypeScriptTarget", "TargetError", "RUNTIME_EXPORTS"]

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
RUNTIME = HERE / "runtime"

# Versions the generated package.json pins; package-lock.json (hand-maintained next to it) matches.
# eventsource-parser from 3.1: earlier versions re-scan a pending line on every chunk (the SDK
# feeds it whole lines anyway, see runtime/sse.ts). undici (tests only): a connection pool of
# a chosen size, to prove streams give their connections back. @arethetypeswrong/cli: the
# packaging check (`npm run check:types`).
DEPENDENCIES = {"eventsource-parser": "^3.1.1"}
DEV_DEPENDENCIES = {
    "@arethetypeswrong/cli": "0.18.5",
    "@types/node": "^20.19.0",
    "typescript": "5.9.3",
    "undici": "^7.16.0",
}

# Names the package root exports from the runtime (index.ts.j2). Each must be free in the
# TypeScript type namespace; those naming.RUNTIME_NAMES does not reserve yet are checked here.
RUNTIME_EXPORTS = frozenset(
    """APIError APIConnectionError APITimeoutError APIUserAbortError APIStatusError BadRequestError
    AuthenticationError PaymentRequiredError PermissionDeniedError NotFoundError ConflictError
    UnprocessableEntityError RateLimitError InternalServerError APIResponseValidationError
    StreamError InvalidArgumentError RequestOptions Fetch APIPromise WithResponse Stream
    StreamResult Page PagePromise SSEDecoder ServerSentEvent Logger LogLevel Uploadable
    UnknownEvent ClientOptions""".split()
)
# Exported besides when some resource has a conversation (index.ts.j2).
CONVERSATION_EXPORTS = frozenset(
    "Conversation ConversationReply ConversationMessage ConversationOptions ConversationDocument SaveOptions".split()
)
# The public members of the client class (runtime/api-client.ts, APIClient): no resource may
# take one of their names (those naming.MEMBER_RESERVED does not reserve yet are checked here).
CLIENT_MEMBERS = frozenset(
    """baseUrl timeout maxRetries strictResponseValidation logLevel withOptions request requestPage stream
    openStream fetchWithRetries buildUrl buildHeaders redactError toJSON toString constructor""".split()
)
# The options every client already has (runtime/api-client.ts, BaseClientOptions).
BASE_CLIENT_OPTIONS = frozenset(
    "baseUrl timeout maxRetries fetch defaultHeaders strictResponseValidation logLevel logger sleep random now".split()
)

_IDENT = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
# Characters a string literal never holds raw: controls, format characters (bidi overrides,
# zero-width), line/paragraph separators, surrogates, private use, unassigned.
_UNSAFE_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}


class TargetError(Exception):
    """The IR cannot be rendered as TypeScript (an IR gap, named with the entity)."""


# -- escaping filters (one per context) -------------------------------------------------------


def _ts_str(value: Any) -> str:
    out = []
    for ch in str(value):
        if ch == "\\":
            out.append("\\\\")
        elif ch == "'":
            out.append("\\'")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif unicodedata.category(ch) in _UNSAFE_CATEGORIES:
            code = ord(ch)
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\u{{{code:x}}}")
        else:
            out.append(ch)
    return "'" + "".join(out) + "'"


def _comment_text(text: Any) -> str:
    """Text made safe inside a block comment: no control/format/separator characters, no `*/`."""
    chars = [" " if (unicodedata.category(c) in _UNSAFE_CATEGORIES or c.isspace()) and c not in "\n" else c
             for c in str(text or "")]
    return "".join(chars).replace("*/", "*\\/")


def _ts_comment(text: Any) -> str:
    """One line of comment text (white space collapsed)."""
    return " ".join(_comment_text(text).split())


def _ts_doc(text: Any, indent: str = "") -> str:
    text = _comment_text(text).strip()
    if not text:
        return ""
    lines: list[str] = []
    for para in re.split(r"\n\s*\n", text):
        words = " ".join(para.split())
        if not words:
            continue
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


def _ts_ident(name: str) -> str:
    if not naming.is_ts_ident(name):
        raise TargetError(f"the IR name {name!r} is not a TypeScript identifier")
    return name


def _ts_key(name: str) -> str:
    return name if _IDENT.match(name) else _ts_str(name)


def _ts_literal(value: Any) -> str:
    if isinstance(value, str):
        return _ts_str(value)
    if isinstance(value, bool) or value is None or isinstance(value, (int, float)):
        return json.dumps(value)
    raise TargetError(f"no TypeScript literal for {value!r}")


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_MD_LINE_START = re.compile(r"^(#|[-+>]|\d+[.)])")


def _md_text(text: Any) -> str:
    words = " ".join(_comment_text(text).replace("*\\/", "*/").split())
    words = words.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    words = _MD_SPECIAL.sub(r"\\\1", words)
    return _MD_LINE_START.sub(r"\\\1", words)


def _md_code(text: Any, cell: bool = False) -> str:
    body = " ".join(_comment_text(text).replace("*\\/", "*/").split())
    if cell:  # inside a table, even a code span ends its cell at `|`
        body = body.replace("|", "\\|")
    longest = max((len(m) for m in re.findall(r"`+", body)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if body.startswith("`") or body.endswith("`") or not body else ""
    return f"{fence}{pad}{body}{pad}{fence}"


# -- what the templates read ---------------------------------------------------------------------


@dataclass(frozen=True)
class BodyPlan:
    """How a method's params become its request body (rendered by resource.ts.j2)."""

    kind: str  # Body.kind
    fields: bool  # the params keys are the body's fields (else one `body` key holds it)
    content_type: str
    required: bool


class _Filters:
    def __init__(self, ir: IR) -> None:
        self.ir = ir
        self.ops = {op.key: op for op in ir.operations}

    @staticmethod
    def public_models(ir: IR) -> list[Model]:
        """The models the SDK declares: the IR's public ones (`Model.visibility`)."""
        return ir.public_models

    # -- types ------------------------------------------------------------------------------

    def _named(self, tref: TypeRef, qualified: bool) -> str:
        q = "M." if qualified else ""
        if tref.union:
            if tref.union in self.ir.streams or tref.union not in self.ir.unions:
                return "unknown"
            return q + _ts_ident(self.ir.unions[tref.union].name.typescript_type)
        if tref.kind == "model":
            model = self.ir.models.get(tref.ref or "")
            if model is None:
                return "unknown"
            if model.visibility != "public":
                raise TargetError(f"a public type refers to the internal model {model.schema_name!r} (IR visibility)")
            return q + _ts_ident(model.name.typescript_type)
        if tref.kind == "enum":
            enum = self.ir.enums.get(tref.ref or "")
            return q + _ts_ident(enum.name.typescript_type) if enum else "string"
        raise AssertionError(tref.kind)

    def ts_type(self, tref: TypeRef | None, qualified: bool = False, request: bool = False) -> str:
        if tref is None:
            return "unknown"
        if tref.const is not None:
            base = _ts_literal(tref.const)
        elif tref.union or tref.kind in ("model", "enum"):
            base = self._named(tref, qualified)
        elif tref.kind == "string":
            base = "Uploadable" if request and tref.format == "binary" else "string"
        elif tref.kind in ("integer", "number"):
            base = "number"
        elif tref.kind == "boolean":
            base = "boolean"
        elif tref.kind == "array":
            base = f"Array<{self.ts_type(tref.items, qualified, request)}>"
        elif tref.kind == "map":
            base = f"Record<string, {self.ts_type(tref.values, qualified, request)}>"
        else:
            base = "unknown"
        return f"{base} | null" if tref.nullable and base != "unknown" else base

    def ts_param_type(self, item: Field | Parameter, qualified: bool = True) -> str:
        """A body field's or parameter's type, narrowed to its listed values when it has some."""
        values = item.constraints.get("enum")
        if not values or item.type.kind not in ("string", "integer", "number"):
            return self.ts_type(item.type, qualified, request=True)
        base = " | ".join(_ts_literal(v) for v in values if v is not None)
        return f"{base} | null" if item.type.nullable or None in values else base

    def ts_shape(self, tref: TypeRef | None, qualified: bool = False) -> str:
        if tref is None:
            return "t.any"
        q = "M." if qualified else ""
        if tref.const is not None:
            base = f"t.constant({_ts_literal(tref.const)})"
        elif tref.union:
            union = self.ir.unions.get(tref.union)
            base = "t.any" if union is None or tref.union in self.ir.streams else \
                f"t.union(() => {q}{_ts_ident(union.name.typescript_type)})"
        elif tref.kind in ("string", "integer", "number", "boolean", "any"):
            base = f"t.{tref.kind}"
        elif tref.kind == "array":
            base = f"t.array({self.ts_shape(tref.items, qualified)})"
        elif tref.kind == "map":
            base = f"t.map({self.ts_shape(tref.values, qualified)})"
        elif tref.kind == "model" and tref.ref in self.ir.models:
            base = f"t.model(() => {self._named(tref, qualified)})"
        elif tref.kind == "enum" and tref.ref in self.ir.enums:
            values = ", ".join(_ts_literal(v.value) for v in self.ir.enums[tref.ref].values)
            base = f"t.enumOf([{values}])"
        else:
            base = "t.any"
        return f"t.nullable({base})" if tref.nullable else base

    def ts_field_options(self, field: Field) -> str:
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
        return ", { " + ", ".join(parts) + " }" if parts else ""

    # -- operations ---------------------------------------------------------------------------

    @staticmethod
    def ts_path(op: Operation) -> str:
        """The path as a concatenation of string literals and checked, encoded parameters."""
        by_wire = {p.wire_name: p for p in op.path_params}
        parts: list[str] = []
        pos = 0
        for m in re.finditer(r"\{([^}]+)\}", op.path):
            p = by_wire.get(m.group(1))
            if p is None:
                continue
            if m.start() > pos:
                parts.append(_ts_str(op.path[pos:m.start()]))
            member = _ts_ident(p.name.typescript_member)
            parts.append(f"pathParam({_ts_str(member)}, {member})")
            pos = m.end()
        if pos < len(op.path) or not parts:
            parts.append(_ts_str(op.path[pos:]))
        return " + ".join(parts)

    @staticmethod
    def has_params(op: Operation) -> bool:
        return bool(op.body or op.query_params or op.header_params or op.cookie_params)

    def params_required(self, op: Operation) -> bool:
        """`Operation.params_required`; besides, a required body that is no model's fields is a
        required `body` key (the IR's rule counts only required fields)."""
        plan = self.body_plan(op)
        return op.params_required or bool(plan and not plan.fields and plan.required)

    def body_plan(self, op: Operation) -> BodyPlan | None:
        body: Body | None = op.body
        if body is None:
            return None
        fields = body.kind in ("json", "form", "multipart") and body.type is not None and body.type.kind == "model" \
            and body.type.union is None
        if not fields:
            keys = {p.name.typescript_member for p in op.query_params + op.header_params + op.cookie_params}
            if "body" in keys:
                raise TargetError(f"{op.key}: the params key `body` (its {body.kind} body) is also a parameter's name; "
                                  "the IR reserves no name for an unnamed body")
        return BodyPlan(kind=body.kind, fields=fields, content_type=body.content_type, required=body.required)

    def unique_params(self, resource: Resource) -> list[Operation]:
        seen: set[str] = set()
        out = []
        for op in resource.operations:
            if self.has_params(op) and op.params_name.typescript_type not in seen:
                seen.add(op.params_name.typescript_type)
                out.append(op)
        return out

    def body_tables(self, resource: Resource) -> dict[str, str]:
        """One body field table per params type whose params are the body's fields: its local name."""
        out: dict[str, str] = {}
        for op in self.unique_params(resource):
            plan = self.body_plan(op)
            if plan and plan.fields:
                out[op.params_name.typescript_type] = f"body{len(out)}"
        return out

    def ts_result(self, op: Operation) -> str:
        r = op.result
        if r.kind == "model":
            return f"APIPromise<{self.ts_type(r.type, qualified=True)}>"
        if r.kind == "page":
            meta = self._meta_type(op)
            return f"PagePromise<{self.ts_type(r.type, qualified=True)}, {meta}>"
        if r.kind == "stream":
            return "E." + _ts_ident(self.ir.streams[r.stream or ""].name.typescript_type) + "Stream"
        if r.kind == "text":
            return "APIPromise<string>"
        if r.kind == "binary":
            return "APIPromise<Uint8Array>"
        return "APIPromise<void>"

    def _meta_type(self, op: Operation) -> str:
        meta = op.result.meta_schema
        if meta and meta in self.ir.models:
            return self.ts_type(TypeRef(kind="model", ref=meta), qualified=True)
        return "Record<string, unknown>"

    def meta_shape(self, op: Operation) -> str:
        meta = op.result.meta_schema
        if meta and meta in self.ir.models:
            return self.ts_shape(TypeRef(kind="model", ref=meta), qualified=True)
        return "t.map(t.any)"

    def ts_result_spec(self, op: Operation) -> str:
        r = op.result
        if r.kind == "model":
            unwrap = _ts_str(r.unwrap) if r.wrapped and r.unwrap else "null"
            return f"jsonResult<{self.ts_type(r.type, qualified=True)}>({self.ts_shape(r.type, qualified=True)}, {unwrap})"
        return {"text": "textResult", "binary": "bytesResult"}.get(r.kind, "noResult")

    def call_constants(self, resource: Resource) -> dict[str, str]:
        """The module constants a resource's methods share, made once rather than per call: each
        distinct security requirement list and model result reader (`jsonResult(...)`), by their
        TypeScript text, to the constant's name."""
        out: dict[str, str] = {}
        for op in resource.operations:
            text = self.security(op.security)
            if text not in out:
                out[text] = f"security{sum(1 for n in out.values() if n.startswith('security'))}"
            if op.result.kind == "model":
                spec = self.ts_result_spec(op)
                if spec not in out:
                    out[spec] = f"result{sum(1 for n in out.values() if n.startswith('result'))}"
        return out

    def accept(self, op: Operation) -> str | None:
        return op.accept or op.result.content_type

    def security(self, security: list[list[str]]) -> str:
        return "[" + ", ".join("[" + ", ".join(_ts_str(k) for k in alt) + "]" for alt in security) + "]"

    def body_fields(self, op: Operation) -> list[Field]:
        """The body fields that are params keys (empty when the body is unnamed, or absent)."""
        plan = self.body_plan(op)
        return list(op.body.fields) if op.body and plan and plan.fields else []

    def unnamed_body(self, op: Operation) -> BodyPlan | None:
        """The plan of a body held by the one `body` params key (not a model's fields)."""
        plan = self.body_plan(op)
        return plan if plan and not plan.fields else None

    def resource_imports(self, resource: Resource) -> dict[str, list[str]]:
        """What a resource module imports from each runtime module (only what it uses)."""
        ops = resource.operations
        client = ["type APIClient", "type RequestOptions"]
        for op in ops:
            if op.result.kind in ("page", "stream"):
                continue
            name = self.ts_result_spec(op).split("<")[0].split("(")[0]
            if name not in client:
                client.append(name)
        unnamed = [plan for op in ops if (plan := self.unnamed_body(op)) is not None]
        utils = []
        if any(op.path_params for op in ops):
            utils.append("pathParam")
        if any(self.required_keys(op) for op in ops):
            utils.append("requireArg")
        if any(self.has_params(op) for op in ops):
            utils.append("requireObject")
        typed = [self.ts_param_type(x) for op in self.unique_params(resource) for x in self.params_fields(op)]
        typed += [self.ts_type(op.body.type, True, True) for op in self.unique_params(resource)
                  if op.body and self.unnamed_body(op)]
        if any("Uploadable" in t for t in typed) or any(p.kind == "binary" for p in unnamed):
            utils.append("type Uploadable")
        tables = self.body_tables(resource)
        schema = ["model"] if tables else []
        if tables or any(op.result.kind in ("model", "page") for op in ops) or any(p.kind == "json" for p in unnamed):
            schema.append("t")
        if any(op.result.kind == "page" for op in ops):
            schema.append("decodeValue")
        if any(p.kind == "json" for p in unnamed):
            schema.append("encodeValue")
        conversation: list[str] = []
        errors: list[str] = []
        if resource.conversation is not None:
            conversation = ["Conversation", "type ConversationBinding", "type ConversationDocument", "type ConversationOptions"]
            errors = ["InvalidArgumentError"]
            info = self.conversation_info(resource)
            needed = ["pathParam", "requireObject"] + (["requireArg"] if info and self.required_keys(info["create"]) else [])
            utils = [u for u in ["pathParam", "requireArg", "requireObject"] if u in utils or u in needed] + \
                [u for u in utils if u not in ("pathParam", "requireArg", "requireObject")]
        return {
            "api-client": client,
            "api-promise": ["type APIPromise"] if any(op.result.kind not in ("page", "stream") for op in ops) else [],
            "conversation": conversation,
            "errors": errors,
            "pagination": ["type PagePromise"] if any(op.result.kind == "page" for op in ops) else [],
            "schema": schema,
            "utils": utils,
        }

    def params_fields(self, op: Operation) -> list[Field | Parameter]:
        items: list[Field | Parameter] = list(self.body_fields(op))
        return items + list(op.query_params + op.header_params + op.cookie_params)

    def required_keys(self, op: Operation) -> list[tuple[str, str]]:
        """(params key, label) of every input the method checks is given."""
        plan = self.body_plan(op)
        out: list[tuple[str, str]] = []
        if op.body and plan:
            if plan.fields:
                out += [(f.name.typescript_member, f.name.typescript_member) for f in op.body.fields if f.required]
            elif plan.required:
                out.append(("body", "body"))
        out += [(p.name.typescript_member, p.name.typescript_member)
                for p in op.query_params + op.header_params + op.cookie_params if p.required]
        return out

    def uses_models(self, resource: Resource) -> bool:
        if resource.conversation is not None:
            return True
        parts = [self.ts_result(op) + self.ts_result_spec(op) for op in resource.operations]
        for op in self.unique_params(resource):
            parts += [self.ts_param_type(x) for x in self.params_fields(op)]
            parts += [self.ts_shape(x.type, qualified=True) for x in self.body_fields(op)]
        for op in resource.operations:
            if op.result.kind == "page":
                parts.append(self.meta_shape(op) + self.ts_shape(op.result.type, qualified=True))
            if op.body and self.unnamed_body(op):
                parts.append(self.ts_type(op.body.type, qualified=True, request=True))
                parts.append(self.ts_shape(op.body.type, qualified=True))
        return any("M." in p for p in parts)

    # -- streams ------------------------------------------------------------------------------

    def event_data(self, ev: EventType) -> str:
        """How an event's data is read: `object` (fields), `json` (any JSON value) or `text`."""
        if ev.data_format == "text":
            return "text"
        if ev.data_type is not None and ev.data_type.kind == "model" and not ev.data_type.union:
            return "object"
        return "json"

    @staticmethod
    def event_fields(ev: EventType) -> list[Field]:
        """The fields the event interface lists: all but the one that is the union's `type`
        (a data property the IR left unreserved because it is the discriminant itself)."""
        return [f for f in ev.fields if f.name.typescript_member != "type"]

    def stream_of(self, op: Operation) -> EventStream:
        return self.ir.streams[op.result.stream or ""]

    def success_event(self, stream: EventStream) -> EventType | None:
        return next((e for e in stream.events if e.event == stream.success_event), None)

    def ts_value_type(self, stream: EventStream, vp: ValuePath | None) -> str:
        """The type of the value at a stream's output/usage path, walked through the IR's types."""
        if vp is None:
            return "unknown"
        ev = next((e for e in stream.events if e.event == vp.event), None)
        if ev is None:
            return "unknown"
        tref: TypeRef | None = ev.data_type
        fields = ev.fields
        for step in vp.path:
            if tref is None:
                return "unknown"
            if isinstance(step, int):
                tref = tref.items if tref.kind == "array" else None
                fields = self._fields_of(tref)
                continue
            field = next((f for f in fields if f.wire_name == step), None)
            if field is not None:
                tref = field.type
            elif tref.kind == "map":
                tref = tref.values
            else:
                return "unknown"
            fields = self._fields_of(tref)
        if tref is None:
            return "unknown"
        text = self.ts_type(tref, qualified=True)
        return text.removesuffix(" | null")

    def _fields_of(self, tref: TypeRef | None) -> list[Field]:
        if tref is None:
            return []
        if tref.kind == "model" and tref.ref in self.ir.models and not tref.union:
            return self.ir.models[tref.ref].fields
        return []

    def resume_of(self, stream: EventStream) -> dict[str, Any] | None:
        route = stream.resume
        if route is None:
            return None
        op = self.ops.get(route.key)
        if op is None:
            raise TargetError(f"the resume route of stream {stream.schema_name!r} names the unknown operation {route.key!r}")
        return {"route": route, "op": op}

    def stream_types(self, stream: EventStream, prefix: str = "") -> str:
        """`<events>, <success event>, <output type>, <usage type>` of the stream's `Stream`
        (`prefix` before the names events.ts declares)."""
        success = self.success_event(stream)
        return ", ".join([
            prefix + _ts_ident(stream.name.typescript_type),
            prefix + _ts_ident(success.name.typescript_type) if success else "undefined",
            self.ts_value_type(stream, stream.output),
            self.ts_value_type(stream, stream.usage),
        ])

    def events_use_models(self) -> bool:
        text = ""
        for stream in self.ir.streams.values():
            text += self.stream_types(stream)
            for ev in stream.events:
                text += " ".join(self.ts_type(f.type, qualified=True) + self.ts_shape(f.type, qualified=True)
                                 for f in ev.fields)
                if self.event_data(ev) == "json":
                    text += self.ts_type(ev.data_type, qualified=True) + self.ts_shape(ev.data_type, qualified=True)
        return "M." in text

    def auth_required(self) -> bool:
        """Whether some operation needs credentials (a requirement without an empty alternative)."""
        return any(op.security and all(alt for alt in op.security) for op in self.ir.operations)

    # -- conversations ------------------------------------------------------------------------

    def conversation_info(self, resource: Resource) -> dict[str, Any] | None:
        """What resource.ts.j2 renders for `Resource.conversation` (None: none): the open and load
        methods, their params type and the conversation's type, and the binding of the runtime's
        `Conversation` (runtime/conversation.ts) to the resource's operations. A shape the
        conversation cannot drive (a path parameter besides the session, a text field that is not
        a string, a required input it cannot fill, a result that is no public model) is a
        TargetError naming it."""
        conv = resource.conversation
        if conv is None:
            return None
        where = f"resource {resource.tag!r}: x-sdk-conversation"
        ops = self.ops
        create, send, history = ops[conv.create], ops[conv.send], ops[conv.history]
        stream = ops[conv.stream] if conv.stream else None
        get = ops[conv.get] if conv.get else None
        delete = ops[conv.delete] if conv.delete else None

        def model_of(op: Operation, what: str) -> Model:
            tref = op.result.type
            model = self.ir.models.get(tref.ref or "") if tref is not None and tref.kind == "model" and not tref.union else None
            if op.result.kind not in ("model", "page") or model is None or model.visibility != "public":
                raise TargetError(f"{where}: the {what} operation {op.operation_id!r} answers no public model")
            return model

        def session_of(op: Operation, what: str) -> None:
            others = [p.wire_name for p in op.path_params if p.wire_name != conv.session_param]
            if others:
                raise TargetError(f"{where}: the {what} operation {op.operation_id!r} takes path parameters besides the "
                                  f"session ({', '.join(others)}), which the conversation cannot fill")
            p = next(p for p in op.path_params if p.wire_name == conv.session_param)
            if p.type.kind != "string" or p.type.nullable:
                raise TargetError(f"{where}: the session parameter {conv.session_param!r} of {op.operation_id!r} is not a string")

        def unfilled(op: Operation, what: str, filled: set[str]) -> None:
            keys = [label for key, label in self.required_keys(op) if key not in filled]
            if keys:
                raise TargetError(f"{where}: the {what} operation {op.operation_id!r} requires {', '.join(keys)}, "
                                  "which the conversation cannot fill")

        for what, op in (("send", send), ("stream", stream), ("history", history), ("get", get), ("delete", delete)):
            if op is not None:
                session_of(op, what)
        if create.path_params:
            raise TargetError(f"{where}: the create operation {create.operation_id!r} takes path parameters")
        if create.body is not None and not self.body_fields(create):
            raise TargetError(f"{where}: the create operation {create.operation_id!r} takes a body that is not an object of fields")
        tables = self.body_tables(resource)
        create_table = tables.get(create.params_name.typescript_type) if self.has_params(create) else None
        unfilled(create, "create", {f.name.typescript_member for f in self.body_fields(create)})
        created = model_of(create, "create")
        text_key = ""
        for what, op in (("send", send), ("stream", stream)):
            if op is None:
                continue
            text = next(f for f in self.body_fields(op) if f.wire_name == conv.text_field)
            if text.type.kind != "string" or text.type.const is not None or text.constraints.get("enum"):
                raise TargetError(f"{where}: the text field {conv.text_field!r} of {op.operation_id!r} is not a string")
            if what == "send":
                text_key = text.name.typescript_member
            elif text.name.typescript_member != text_key:
                raise TargetError(f"{where}: the send and stream operations name the text field differently")
            unfilled(op, what, {text.name.typescript_member})
        reply = model_of(send, "send")
        message = model_of(history, "history")
        session_model = model_of(get, "get") if get is not None else None
        pagination = history.pagination
        page = next((q for q in history.query_params if pagination and q.wire_name == pagination.page_param), None)
        limit = next((q for q in history.query_params if pagination and q.wire_name == pagination.limit_param), None)
        if page is None or limit is None or page.type.kind != "integer" or limit.type.kind != "integer":
            raise TargetError(f"{where}: the history operation {history.operation_id!r} has no integer page and limit parameters")
        unfilled(history, "history", {page.name.typescript_member, limit.name.typescript_member})
        # The largest page the API allows, else its default page, else 100.
        limit_value = next((v for v in (limit.constraints.get("maximum"), limit.default if limit.has_default else None, 100)
                            if isinstance(v, int) and not isinstance(v, bool) and v > 0))
        stream_spec = self.stream_of(stream) if stream is not None else None
        follow_spec = None
        if stream_spec is not None and stream_spec.resume is not None:
            route_op = ops.get(stream_spec.resume.key)
            if route_op is not None and route_op.result.kind == "stream":
                follow_spec = self.stream_of(route_op)
        fields = {f.wire_name: f for f in message.fields}
        usage = []
        for counter, field in conv.usage_fields.items():
            f = fields.get(field)
            key = f.name.typescript_member if f is not None and counter == field else naming.camel(counter)
            usage.append((key, counter, field))
        open_member = conv.open_method.typescript_member
        session = next(p for p in send.path_params if p.wire_name == conv.session_param)
        session_key = session.name.typescript_member
        if session_key in {f.name.typescript_member for f in self.body_fields(create)}:
            raise TargetError(f"{where}: the params of `{resource.name.typescript_member}.{open_member}()` would have two "
                              f"keys named {session_key!r}")
        base = resource.name.typescript_type + conv.open_method.typescript_type
        send_params = send.params_name.typescript_type if self.has_params(send) else None
        stream_params = stream.params_name.typescript_type if stream is not None and self.has_params(stream) else None
        extra = f"Omit<{send_params}, {_ts_str(text_key)}>" if send_params else "Record<string, never>"
        return {
            "conv": conv,
            "open": _ts_ident(open_member),
            "load": _ts_ident(conv.load_method.typescript_member),
            "type": _ts_ident(base),
            "params_type": _ts_ident(base + "Params"),
            "session_key": _ts_ident(session_key),
            "text_key": text_key,
            "extra": extra,
            "create": create,
            "create_params": create.params_name.typescript_type if self.has_params(create) else None,
            "create_table": create_table,
            "created": created,
            "send": send,
            "send_params": send_params,
            "stream": stream,
            "stream_cast": stream_params if stream_params and stream_params != send_params else None,
            "history": history,
            "page_key": page.name.typescript_member,
            "limit_key": limit.name.typescript_member,
            "limit_value": limit_value,
            "get_op": get,
            "session_model": session_model,
            "delete": delete,
            "reply": reply,
            "message": message,
            "stream_spec": stream_spec,
            "follow_spec": follow_spec,
            "usage": usage,
        }

    # -- api.md -------------------------------------------------------------------------------

    def signature(self, op: Operation) -> str:
        args = [f"{p.name.typescript_member}: {self.ts_param_type(p, qualified=False)}" for p in op.path_params]
        if self.has_params(op):
            args.append(f"params{'' if self.params_required(op) else '?'}: {op.params_name.typescript_type}")
        args.append("options?: RequestOptions")
        return f"{op.name.typescript_member}({', '.join(args)}): {self.ts_result(op).replace('M.', '').replace('E.', '')}"


def _check(ir: IR, f: _Filters) -> None:
    """What TypeScript cannot render from this IR: each a TargetError naming the entity."""
    claimed = {}
    for m in ir.public_models:
        claimed[m.name.typescript_type] = f"model {m.schema_name!r}"
    for e in ir.enums.values():
        claimed[e.name.typescript_type] = f"enum {e.schema_name!r}"
    for name, u in ir.unions.items():
        if name not in ir.streams:
            claimed[u.name.typescript_type] = f"union {name!r}"
    for s in ir.streams.values():
        for ev in s.events:
            claimed[ev.name.typescript_type] = f"event {ev.event!r}"
        claimed[s.name.typescript_type] = f"stream {s.schema_name!r}"
    for r in ir.resources:
        claimed[r.name.typescript_type] = f"resource {r.tag!r}"
        for op in r.operations:
            claimed[op.params_name.typescript_type] = f"the params of {op.key!r}"
    claimed[ir.sdk.name.typescript_type] = "the client"
    exports = set(RUNTIME_EXPORTS)
    for r in ir.resources:
        info = f.conversation_info(r)
        if info is None:
            continue
        exports |= CONVERSATION_EXPORTS
        for name, what in ((info["type"], "conversation type"), (info["params_type"], "conversation params type")):
            if name in claimed:
                raise TargetError(f"{claimed[name]} is named `{name}`, the {what} of resource {r.tag!r}")
            claimed[name] = f"the {what} of resource {r.tag!r}"
    for name in sorted(exports - naming.RUNTIME_NAMES["typescript"]):
        if name in claimed:
            raise TargetError(f"{claimed[name]} is named `{name}`, which the runtime exports "
                              "(naming.RUNTIME_NAMES['typescript'] does not reserve it)")
    for r in ir.resources:
        if r.name.typescript_member in CLIENT_MEMBERS - naming.MEMBER_RESERVED["typescript"]["client"]:
            raise TargetError(f"resource {r.tag!r} is `client.{r.name.typescript_member}`, a member the client class "
                              "already has (naming.MEMBER_RESERVED['typescript']['client'] does not reserve it)")
    for scheme in ir.auth:
        if scheme.name.typescript_member in BASE_CLIENT_OPTIONS:
            raise TargetError(f"the credential option of scheme {scheme.key!r} is `{scheme.name.typescript_member}`, "
                              "which is already a client option")
    for model in ir.public_models:
        keys = {x.name.typescript_member for x in model.fields}
        for x in model.fields:
            if x.text_keys and f"{x.name.typescript_member}Text" in keys:
                raise TargetError(
                    f"{model.schema_name}.{x.wire_name}: its x-sdk-text convenience `{x.name.typescript_member}Text` "
                    "is also the name of a field")
    for stream in ir.streams.values():
        for ev in stream.events:
            keys = {x.name.typescript_member for x in ev.fields}
            for x in ev.fields:
                if x.text_keys and f"{x.name.typescript_member}Text" in keys:
                    raise TargetError(f"event {ev.event!r}.{x.wire_name}: its text convenience "
                                      f"`{x.name.typescript_member}Text` is also the name of a field")
            if f.event_data(ev) != "object" and any(x.name.typescript_member == "data" for x in ev.fields):
                raise TargetError(f"event {ev.event!r}: a field named `data` beside non-object data")
    for op in ir.operations:
        f.body_plan(op)


class TypeScriptTarget:
    lang = "typescript"
    default_out = "typescript-sdk"

    def source_dirs(self) -> list[Path]:
        return [HERE]

    def render(self, ir: IR, ctx: RenderContext) -> dict[str, str]:
        f = _Filters(ir)
        _check(ir, f)
        env = make_env(
            TEMPLATES,
            {
                "ts_type": f.ts_type,
                "ts_param_type": f.ts_param_type,
                "ts_shape": f.ts_shape,
                "ts_str": _ts_str,
                "ts_doc": _ts_doc,
                "ts_comment": _ts_comment,
                "ts_ident": _ts_ident,
                "ts_key": _ts_key,
                "ts_literal": _ts_literal,
                "md_text": _md_text,
                "md_code": _md_code,
                "ts_path": f.ts_path,
                "ts_field_options": f.ts_field_options,
                "ts_model_options": f.ts_model_options,
                "ts_result": f.ts_result,
                "ts_result_spec": f.ts_result_spec,
                "ts_value_type": f.ts_value_type,
                "security": f.security,
                "event_data_of": f.event_data,
                "first_word": lambda text: str(text).split(" ")[0],
            },
        )
        env.globals.update({
            "f": f,
            "has_params": f.has_params,
        })
        common = {"ir": ir, "sdk": ir.sdk, "spec_name": ctx.spec_name}
        files: dict[str, str] = {}

        def render(template: str, out: str, **extra: Any) -> None:
            text = env.get_template(template).render(**common, **extra)
            files[out] = re.sub(r"\n{3,}", "\n\n", text).rstrip("\n") + "\n"

        render("models.ts.j2", "src/models.ts")
        render("events.ts.j2", "src/events.ts")
        for resource in ir.resources:
            render("resources/resource.ts.j2", f"src/resources/{resource.name.module}.ts", resource=resource)
        render("client.ts.j2", "src/client.ts")
        render("index.ts.j2", "src/index.ts")
        render("api.md.j2", "api.md")
        render("gitignore.j2", ".gitignore")
        for name in ("tsconfig.json", "tsconfig.esm.json", "tsconfig.cjs.json", "tsconfig.test.json"):
            render(f"{name}.j2", name)
        files["package.json"] = self._package_json(ir)
        for path in sorted(RUNTIME.glob("*.ts")):
            files[f"src/core/{path.name}"] = path.read_text()
        return files

    @staticmethod
    def _package_json(ir: IR) -> str:
        cjs_marker = ("require('fs').writeFileSync('dist/cjs/package.json', JSON.stringify({ type: 'commonjs' }) "
                      "+ String.fromCharCode(10))")
        clean_build = "require('fs').rmSync('build', { recursive: true, force: true })"
        pkg: dict[str, Any] = {
            "name": ir.sdk.npm_package,
            "version": ir.sdk.version,
            "description": ir.sdk.description or f"The {ir.sdk.title} client",
        }
        # Package metadata the IR carries when the spec says it (SdkInfo.license / .repository).
        license_ = getattr(ir.sdk, "license", None)
        repository = getattr(ir.sdk, "repository", None)
        if license_:
            pkg["license"] = license_
        if repository:
            pkg["repository"] = {"type": "git", "url": repository}
        pkg.update({
            "type": "module",
            "main": "./dist/cjs/index.js",
            "module": "./dist/esm/index.js",
            "types": "./dist/cjs/index.d.ts",
            "exports": {
                ".": {
                    "import": {"types": "./dist/esm/index.d.ts", "default": "./dist/esm/index.js"},
                    "require": {"types": "./dist/cjs/index.d.ts", "default": "./dist/cjs/index.js"},
                },
                "./package.json": "./package.json",
            },
            "files": ["dist", "src", "api.md"],
            "sideEffects": False,
            "engines": {"node": ">=18"},
            "scripts": {
                "build": f"tsc -p tsconfig.esm.json && tsc -p tsconfig.cjs.json && node -e \"{cjs_marker}\"",
                "prepack": "npm run build",
                "typecheck": "tsc -p tsconfig.json --noEmit",
                "check:types": "attw --pack .",
                "test": f"npm run build && node -e \"{clean_build}\" && tsc -p tsconfig.test.json && node --test build/test/*.test.js",
            },
            "dependencies": dict(sorted(DEPENDENCIES.items())),
            "devDependencies": dict(sorted(DEV_DEPENDENCIES.items())),
        })
        return json.dumps(pkg, indent=2) + "\n"


TARGET = TypeScriptTarget()
