"""Layer 2: turn a loaded spec into the IR. The builder is the only interpreter of the spec.

Problems are collected as `Diagnostic`s with the spec location; a bad piece (one schema,
one operation, one event, one parameter) is skipped, recorded as dropped, and the rest is
built. Nothing here raises for a bad document: `build_ir` returns an IR for any input
`load_spec` accepted.

Order of work:
  1. auth: every security scheme the SDKs can send;
  2. models, enums and unions of `components/schemas` (an event union waits for its stream);
  3. operations by tag: parameters, body, result (with the `{data}` envelope decision), and
     for an event-stream response its EventStream; a JSON-or-SSE operation becomes two methods;
  4. stream decisions (success/failure events, text delta, output/usage, resume route),
     from `x-sdk-stream` or the documented rules;
  5. model visibility and recursion;
  6. names: every type, member, enum member and module name made valid and unique per
     language (`naming.Namespace`), each rename a `note`.
The `x-` extensions read here are documented in generator/README.md.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, Literal

from . import naming
from .ir import (
    Conversation,
    IR,
    AuthScheme,
    Body,
    BodySwitch,
    Diagnostic,
    DropKind,
    Enum,
    EnumValue,
    EventStream,
    EventType,
    Field,
    Model,
    Names,
    Operation,
    Pagination,
    Parameter,
    Resource,
    Result,
    ResumeBinding,
    ResumeRoute,
    SdkInfo,
    TextDelta,
    TypeRef,
    Union,
    UnionVariant,
    ValuePath,
)
from .spec import Spec, load_spec, pointer

__all__ = ["build_ir", "build_ir_from_path", "without_validation_compositions", "TEXT_EVENT_NAMES", "TEXT_FIELD_NAMES"]

HTTP_METHODS = ("get", "post", "put", "patch", "delete", "head", "options", "trace", "query")
SCHEMA_REF = "#/components/schemas/"
CONSTRAINT_KEYS = (
    "minLength", "maxLength", "pattern", "minimum", "maximum", "exclusiveMinimum",
    "exclusiveMaximum", "minItems", "maxItems", "minProperties", "maxProperties", "enum",
)
SSE = "text/event-stream"
SSE_FIELDS = frozenset({"event", "id", "data", "retry"})
# The documented rule for a stream without `x-sdk-stream.text`: among several candidate
# events, the one with one of these names carries the text.
TEXT_EVENT_NAMES = ("content", "delta", "text", "text_delta", "content_delta", "token")
# ...and a lone candidate carries it only when its field has one of these names.
TEXT_FIELD_NAMES = ("content", "text", "delta", "token")
# Keywords that only annotate a schema: a single-`allOf` wrapper with only these is its member.
ANNOTATIONS = frozenset({
    "description", "title", "nullable", "default", "example", "examples", "readOnly",
    "writeOnly", "deprecated", "$comment", "externalDocs", "xml",
})
NPM_NAME = re.compile(r"^(?:@[a-z0-9-~][a-z0-9-._~]*/)?[a-z0-9-~][a-z0-9-._~]*$")
GO_MODULE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~-]*(?:/[A-Za-z0-9._~-]+)*$")
STREAM_KEYS = frozenset({"sentinel", "terminal", "success", "failure", "eof_ends", "text", "output",
                         "usage", "resume", "event_names"})


def _constraints(schema: Any) -> dict[str, Any]:
    """The validation keywords of a schema (minLength, maximum, enum...)."""
    return {k: schema[k] for k in CONSTRAINT_KEYS if isinstance(schema, dict) and k in schema}


def _prose(text: Any) -> str:
    """A spec description on one line: runs of white space folded to one space."""
    return " ".join(str(text or "").split())


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


class _Skip(Exception):
    """Raised inside the builder to abandon one piece; carries its diagnostic."""

    def __init__(self, message: str, location: str) -> None:
        super().__init__(message)
        self.message = message
        self.location = location


class _Builder:
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.diagnostics: list[Diagnostic] = list(spec.diagnostics)
        self.models: dict[str, Model] = {}
        self.enums: dict[str, Enum] = {}
        self.unions: dict[str, Union] = {}
        self.streams: dict[str, EventStream] = {}
        self.auth: list[AuthScheme] = []
        self._building: set[str] = set()
        self._recursive_refs: set[str] = set()
        self._inline_by_source: dict[str, str] = {}  # source pointer -> schema name given
        self._name_sources: dict[str, str] = {}  # schema name -> source pointer
        self._order: dict[str, int] = {}  # schema name -> creation order (for naming priority)
        self._stream_ext: dict[str, dict[str, Any]] = {}
        self._stream_ops: dict[str, list[Operation]] = {}
        self._union_names_building: set[str] = set()
        self._wrapped_names: set[str] = set()
        self.aliases: dict[str, TypeRef] = {}
        self._all_ops: list[Operation] = []
        self._default_envelope: str | None = None
        schemas = _dict(_dict(spec.raw.get("components")).get("schemas"))
        for name in schemas:
            self._name_sources[str(name)] = pointer("components", "schemas", name)

    # -- diagnostics ---------------------------------------------------------------
    def warn(self, message: str, location: str) -> None:
        self.diagnostics.append(Diagnostic(severity="warning", message=message, location=location))

    def error(self, message: str, location: str) -> None:
        self.diagnostics.append(Diagnostic(severity="error", message=message, location=location))

    def note(self, message: str, location: str) -> None:
        self.diagnostics.append(Diagnostic(severity="note", message=message, location=location))

    def drop(self, kind: DropKind, message: str, location: str) -> None:
        self.diagnostics.append(Diagnostic(severity="error", message=message, location=location, dropped=kind))

    def guarded(self, kind: DropKind, location: str, what: Callable[[], Any]) -> Any:
        """Run `what`; a _Skip or any unexpected error drops one piece of `kind`."""
        try:
            return what()
        except _Skip as skip:
            self.drop(kind, skip.message, skip.location)
        except RecursionError:
            self.drop(kind, "nested too deeply to read", location)
        except Exception as exc:  # noqa: BLE001 -- a malformed piece must never stop the run
            self.drop(kind, f"cannot read this {kind}: {type(exc).__name__}: {str(exc)[:200]}", location)
        return None

    # -- references ---------------------------------------------------------------------
    def _schema_ref(self, ref: Any, loc: str) -> tuple[str, dict[str, Any], str, bool]:
        """Resolve a schema `$ref`: (name, schema, its pointer, named?). Named means a direct
        child of components/schemas; other local references are inline schemas elsewhere."""
        local = self.spec.local_pointer(ref) if isinstance(ref, str) else None
        if local is None or not local.startswith("#/"):
            raise _Skip(f"unsupported schema reference {ref!r} (only references into this document are supported: "
                        "`#/...`, or a schema `$id`/`$anchor` it defines)", loc)
        ref = local
        try:
            target = self.spec.resolve(ref)
        except (KeyError, IndexError, TypeError, ValueError):
            if ref.startswith(SCHEMA_REF):
                raise _Skip(f"reference to unknown schema {ref[len(SCHEMA_REF):]!r}", loc) from None
            raise _Skip(f"reference {ref!r} points at nothing", loc) from None
        if not isinstance(target, dict):
            if isinstance(target, bool):
                return self._ref_context(ref), {} if target else {"not": {}}, ref, False
            raise _Skip(f"schema {ref!r} is not an object", loc)
        rest = ref[len(SCHEMA_REF):] if ref.startswith(SCHEMA_REF) else None
        if rest is not None and "/" not in rest:
            return rest.replace("~1", "/").replace("~0", "~"), target, ref, True
        return self._ref_context(ref), target, ref, False

    @staticmethod
    def _ref_context(ref: str) -> str:
        parts = [p.replace("~1", "/").replace("~0", "~") for p in ref[2:].split("/")]
        parts = [p for p in parts if p not in ("components", "schemas", "properties", "paths", "content")]
        return "".join(naming.pascal(p) for p in parts[-3:]) or "Schema"

    @staticmethod
    def _ref_name(ref: str, loc: str) -> str:
        if not isinstance(ref, str) or not ref.startswith(SCHEMA_REF) or "/" in ref[len(SCHEMA_REF):]:
            raise _Skip(f"unsupported schema reference {ref!r} (only {SCHEMA_REF}* is supported here)", loc)
        return ref[len(SCHEMA_REF):].replace("~1", "/").replace("~0", "~")

    def _schema(self, name: str, loc: str) -> dict[str, Any]:
        schemas = self.spec.schemas
        if name not in schemas:
            raise _Skip(f"reference to unknown schema {name!r}", loc)
        schema = schemas[name]
        if not isinstance(schema, dict):
            raise _Skip(f"schema {name!r} is not an object", loc)
        return schema

    def _deref(self, node: Any, loc: str) -> tuple[Any, str]:
        """Follow `$ref`s of a parameter/response/requestBody/securityScheme; returns the
        object and the pointer of where it is defined."""
        seen: set[str] = set()
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if not isinstance(ref, str) or not ref.startswith("#/"):
                raise _Skip(f"unsupported reference {ref!r} (only local references are supported)", loc)
            if ref in seen:
                raise _Skip(f"reference cycle at {ref}", loc)
            seen.add(ref)
            try:
                node = self.spec.resolve(ref)
            except (KeyError, IndexError, TypeError, ValueError):
                raise _Skip(f"reference {ref!r} points at nothing", loc) from None
            loc = ref
        return node, loc

    def _deref_node(self, node: Any, loc: str) -> Any:
        return self._deref(node, loc)[0]

    def _unique_name(self, wanted: str, source: str) -> str:
        """A schema-level name for an inline schema at `source`, unique among the spec's
        schema names and other inline names (deterministic: first come keeps it)."""
        if source in self._inline_by_source:
            return self._inline_by_source[source]
        owner = self._name_sources.get(wanted)
        if owner is not None and owner != source and source.startswith(owner + "/") and wanted not in self.models \
                and wanted not in self.enums and wanted not in self.unions and wanted not in self._wrapped_names:
            # `Foo: {anyOf: [{type: object, ...}, {type: null}]}`: the object is Foo itself.
            self._wrapped_names.add(wanted)
            self._inline_by_source[source] = wanted
            return wanted
        name = wanted or "Schema"
        n = 2
        while name in self._name_sources and self._name_sources[name] != source:
            name = f"{wanted}{n}"
            n += 1
        if name != wanted:
            self.note(f"inline schema named {name!r}: {wanted!r} is already the name of another schema", source)
        self._inline_by_source[source] = name
        self._name_sources[name] = source
        return name

    def _mark_order(self, name: str) -> None:
        self._order.setdefault(name, len(self._order))

    # -- schemas -------------------------------------------------------------------
    @staticmethod
    def _types(schema: dict[str, Any]) -> tuple[list[str], bool]:
        t = schema.get("type")
        types = [t] if isinstance(t, str) else [x for x in _list(t) if isinstance(x, str)]
        nullable = "null" in types or schema.get("nullable") is True
        if isinstance(schema.get("enum"), list) and None in schema["enum"]:
            nullable = True
        return [x for x in types if x != "null"], nullable

    @staticmethod
    def _is_model_schema(schema: dict[str, Any]) -> bool:
        """An object schema with properties of its own is a model; an `anyOf`/`oneOf` beside
        those properties only constrains validation (which of them are required) and is not
        a union for the SDKs."""
        return bool(schema.get("properties")) and "object" in (_Builder._types(schema)[0] or ["object"])

    @staticmethod
    def _is_object(schema: dict[str, Any]) -> bool:
        types, _ = _Builder._types(schema)
        return "object" in types or "properties" in schema or "allOf" in schema

    @staticmethod
    def _is_null(schema: Any) -> bool:
        if not isinstance(schema, dict):
            return False
        t = schema.get("type")
        return t == "null" or t == ["null"] or ("const" in schema and schema["const"] is None) or schema.get("enum") == [None]

    def type_of(self, schema: Any, loc: str, context: str) -> TypeRef:
        """The TypeRef of a schema; `context` names inline models (Parent + Prop)."""
        if schema is True or schema == {}:
            return TypeRef(kind="any")
        if not isinstance(schema, dict):
            raise _Skip("schema is not an object", loc)
        if "$ref" in schema:
            name, target, tloc, named = self._schema_ref(schema["$ref"], loc)
            extra_null = schema.get("nullable") is True
            if named:
                tref = self._named_type(name, target, tloc)
            else:
                tref = self.type_of(target, tloc, name)
            return tref.model_copy(update={"nullable": tref.nullable or extra_null})
        for key in ("oneOf", "anyOf"):
            if key in schema and isinstance(schema[key], list) and not self._is_model_schema(schema):
                return self._union_type(schema, key, loc, context, named=None)
        all_of = schema.get("allOf")
        if isinstance(all_of, list) and len(all_of) == 1 and set(schema) <= ANNOTATIONS | {"allOf", "type"} \
                and (schema.get("type") in (None, "object") or not isinstance(all_of[0], dict) or "$ref" in all_of[0]):
            inner = self.type_of(all_of[0], f"{loc}/allOf/0", context)
            return inner.model_copy(update={"nullable": inner.nullable or self._types(schema)[1]})
        types, nullable = self._types(schema)
        if "const" in schema:
            const = schema["const"]
            if const is None:
                return TypeRef(kind="any", nullable=True)
            kind = {bool: "boolean", int: "integer", float: "number", str: "string"}.get(type(const), "any")
            return TypeRef(kind=kind, const=const, nullable=nullable)  # type: ignore[arg-type]
        if len(types) > 1:
            self.warn(f"a value of several types {types} is typed as 'any'", loc)
            return TypeRef(kind="any", nullable=nullable)
        t = types[0] if types else ("object" if self._is_object(schema) else None)
        if t is None and isinstance(schema.get("enum"), list):
            values = [v for v in schema["enum"] if v is not None]
            if values and all(isinstance(v, str) for v in values):
                t = "string"
            elif values and all(isinstance(v, bool) for v in values):
                t = "boolean"
            elif values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
                t = "integer"
        if t is None and ("contentMediaType" in schema or "contentEncoding" in schema):
            t = "string"
        if t in ("string", "integer", "number", "boolean"):
            fmt = schema.get("format")
            if t == "string" and fmt is None:
                fmt = self._string_format(schema)
            return TypeRef(kind=t, format=fmt if isinstance(fmt, str) else None, nullable=nullable)  # type: ignore[arg-type]
        if t == "array":
            items = schema.get("items", {})
            if isinstance(items, list):  # 3.0-era tuple form
                items = items[0] if len(items) == 1 else {}
            return TypeRef(kind="array", nullable=nullable, items=self.type_of(items, f"{loc}/items", context + "Item"))
        if t == "object":
            if schema.get("properties") or schema.get("allOf"):
                model = self.model_of(self._unique_name(context, loc), schema, loc, inline=True)
                return TypeRef(kind="model", ref=model.schema_name, nullable=nullable)
            ap = schema.get("additionalProperties", True)
            value_type = self.type_of(ap, f"{loc}/additionalProperties", context + "Value") if isinstance(ap, dict) \
                else TypeRef(kind="any")
            return TypeRef(kind="map", values=value_type, nullable=nullable)
        return TypeRef(kind="any", nullable=nullable)

    @staticmethod
    def _string_format(schema: dict[str, Any]) -> str | None:
        """OpenAPI 3.1 spells binary and base64 strings with content keywords; the IR keeps
        the 3.0 formats (`binary`, `byte`)."""
        encoding = schema.get("contentEncoding")
        media = str(schema.get("contentMediaType", ""))
        if encoding == "base64":
            return "byte"
        if encoding == "binary" or (media and not media.startswith("text/") and "json" not in media):
            return "binary"
        return None

    def _named_type(self, name: str, schema: dict[str, Any], loc: str) -> TypeRef:
        types, nullable = self._types(schema)
        if name in self._building:
            self._recursive_refs.add(name)
            if name in self._union_names_building:
                return TypeRef(kind="any", union=name, nullable=nullable)
            return TypeRef(kind="model", ref=name, nullable=nullable)
        enum_values = schema.get("enum")
        if isinstance(enum_values, list) and (types[:1] in (["string"], ["integer"]) or (not types and enum_values and all(
                isinstance(v, str) for v in enum_values if v is not None))):
            self.enum_of(name, schema, loc)
            return TypeRef(kind="enum", ref=name, nullable=nullable)
        if self._is_object(schema) and (schema.get("properties") or schema.get("allOf")) and (
                self._is_model_schema(schema) or not any(k in schema for k in ("oneOf", "anyOf"))):
            self.model_of(name, schema, loc)
            return TypeRef(kind="model", ref=name, nullable=nullable)
        if types == ["object"] and ("properties" in schema or "additionalProperties" not in schema) and not any(
                k in schema for k in ("oneOf", "anyOf", "allOf")):
            # a named object without properties: a model with no fields (`{}` is a valid `done`)
            self.model_of(name, schema, loc)
            return TypeRef(kind="model", ref=name, nullable=nullable)
        for key in ("oneOf", "anyOf"):
            if isinstance(schema.get(key), list):
                return self._alias(name, self._union_type(schema, key, loc, name, named=name))
        return self._alias(name, self.type_of(schema, loc, name))

    def _alias(self, name: str, t: TypeRef) -> TypeRef:
        """Record a component schema that stands for another type (IR.aliases)."""
        if name not in self.models and name not in self.enums and name not in self.unions:
            self.aliases.setdefault(name, t)
        return t

    def _union_type(self, schema: dict[str, Any], key: str, loc: str, context: str, named: str | None) -> TypeRef:
        variants_raw = schema[key]
        outer_null = self._types(schema)[1]
        non_null = [(i, v) for i, v in enumerate(variants_raw) if not self._is_null(v)]
        nullable = outer_null or len(non_null) < len(variants_raw)
        if not non_null:
            return TypeRef(kind="any", nullable=True)
        if len(non_null) == 1:
            i, only = non_null[0]
            inner = self.type_of(only, f"{loc}/{key}/{i}", context)
            return inner.model_copy(update={"nullable": inner.nullable or nullable})
        # Alternatives of one primitive kind (`anyOf: [string, {string, enum}]`: an open enum)
        # are that kind.
        kinds: set[str | None] = set()
        for _, v in non_null:
            if isinstance(v, dict) and "$ref" not in v and not any(k in v for k in ("oneOf", "anyOf", "allOf", "properties")):
                vt, _ = self._types(v)
                if not vt and "const" in v and isinstance(v["const"], (str, bool, int, float)):
                    vt = [{bool: "boolean", int: "integer", float: "number", str: "string"}[type(v["const"])]]
                if len(vt) == 1 and vt[0] in ("string", "integer", "number", "boolean"):
                    kinds.add(vt[0])
                    continue
            kinds.add(None)
        if len(kinds) == 1 and None not in kinds:
            kind = kinds.pop()
            return TypeRef(kind=kind, nullable=nullable)  # type: ignore[arg-type]  # one primitive kind
        name = named or self._unique_name(context, loc)
        if name in self.unions:
            u = self.unions[name]
            return TypeRef(kind="any", union=name, nullable=nullable or u.nullable)
        self._building.add(name)
        self._union_names_building.add(name)
        try:
            union = self._build_union(name, schema, key, non_null, loc, nullable, inline=named is None)
        finally:
            self._building.discard(name)
            self._union_names_building.discard(name)
        self.unions[name] = union
        self._mark_order(name)
        return TypeRef(kind="any", union=name, nullable=nullable)

    def _build_union(self, name: str, schema: dict[str, Any], key: str, non_null: list[tuple[int, Any]], loc: str,
                     nullable: bool, inline: bool) -> Union:
        disc = _dict(schema.get("discriminator"))
        prop = disc.get("propertyName") if isinstance(disc.get("propertyName"), str) else None
        mapping = {str(k): v for k, v in _dict(disc.get("mapping")).items() if isinstance(v, str)}
        variants: list[UnionVariant] = []
        for i, raw in non_null:
            vloc = f"{loc}/{key}/{i}"
            tref = self.guarded("schema", vloc, partial(self.type_of, raw, vloc, f"{name}Option{i + 1}"))
            if tref is None:
                continue
            tags: list[str] = []
            ref = raw.get("$ref") if isinstance(raw, dict) else None
            if prop:
                tags = [k for k, v in mapping.items() if ref is not None and v == ref]
                if not tags and ref is None:
                    tags = [k for k, v in mapping.items() if v.endswith("/" + str(tref.ref))] if tref.ref else []
                if not tags and tref.kind == "model" and tref.ref in self.models:
                    value = self._const_of(tref.ref, prop)
                    if value is not None:
                        tags = [value]
                if not tags and tref.kind == "model" and tref.ref and not mapping:
                    tags = [tref.ref]  # OpenAPI: without a mapping, the schema name is the value
            variants.append(UnionVariant(type=tref, name=Names.of(self._variant_label(tref)), tags=tags))
        if prop:
            for i, v in enumerate(variants):
                if v.type.kind != "model":
                    self.warn(f"variant {i} of a union discriminated by {prop!r} is not an object schema", loc)
        override = schema.get("x-sdk-name")
        return Union(
            schema_name=name,
            name=Names.of(naming.pascal(override) if isinstance(override, str) else name),
            description=_prose(schema.get("description", "")),
            keyword=key,  # type: ignore[arg-type]
            variants=variants,
            discriminator=prop,
            nullable=nullable,
            inline=inline,
            source=loc,
        )

    def _variant_label(self, t: TypeRef) -> str:
        if t.kind in ("model", "enum") and t.ref:
            return t.ref
        if t.union:
            return t.union
        if t.kind == "array":
            return self._variant_label(t.items or TypeRef(kind="any")) + "List"
        if t.kind == "map":
            return self._variant_label(t.values or TypeRef(kind="any")) + "Map"
        if t.const is not None:
            return str(t.const)
        return t.kind

    def _const_of(self, model_name: str, prop: str) -> str | None:
        source = self._name_sources.get(model_name, "")
        try:
            schema = self.spec.resolve(source) if source.startswith("#/") else None
        except (KeyError, IndexError, TypeError, ValueError):
            schema = None
        return self._const_in(schema, prop)

    def _const_in(self, schema: Any, prop: str, depth: int = 0) -> str | None:
        if not isinstance(schema, dict) or depth > 8:
            return None
        if "$ref" in schema:
            try:
                return self._const_in(self.spec.resolve(schema["$ref"]), prop, depth + 1)
            except (KeyError, IndexError, TypeError, ValueError):
                return None
        p = _dict(_dict(schema.get("properties")).get(prop))
        if "const" in p and isinstance(p["const"], str):
            return p["const"]
        if isinstance(p.get("enum"), list) and len(p["enum"]) == 1 and isinstance(p["enum"][0], str):
            return str(p["enum"][0])
        for part in _list(schema.get("allOf")):
            found = self._const_in(part, prop, depth + 1)
            if found is not None:
                return found
        return None

    def enum_of(self, name: str, schema: dict[str, Any], loc: str) -> Enum:
        if name in self.enums:
            return self.enums[name]
        types, nullable = self._types(schema)
        kind = types[0] if types else "string"
        varnames = schema.get("x-enum-varnames")
        varnames = varnames if isinstance(varnames, list) and len(varnames) == len(schema["enum"]) else None
        values = []
        for i, v in enumerate(schema["enum"]):
            if v is None:
                continue
            if not isinstance(v, (str, int)) or isinstance(v, bool):
                self.warn(f"enum value {v!r} is neither a string nor an integer; it is kept as its string", loc)
                v = str(v)
            if varnames and isinstance(varnames[i], str):
                label = varnames[i]
            else:
                label = str(v) if not isinstance(v, int) else ("minus_" + str(-v) if v < 0 else "value_" + str(v))
            values.append(EnumValue(value=v, name=Names.enum_member(label)))
        enum = Enum(schema_name=name, name=self._type_names(name, schema), description=schema.get("description", "")
                    if isinstance(schema.get("description", ""), str) else "",
                    kind=kind if kind in ("string", "integer") else "string",  # type: ignore[arg-type]
                    values=values, nullable=nullable, source=loc)
        self.enums[name] = enum
        self._mark_order(name)
        return enum

    @staticmethod
    def _type_names(name: str, schema: dict[str, Any]) -> Names:
        override = schema.get("x-sdk-name")
        if isinstance(override, str) and override.strip():
            return Names.of(override).model_copy(update={"original": name})
        return Names.of(name)

    def _field(self, owner: str, prop: str, pschema: Any, required: bool, loc: str) -> Field:
        tref = self.type_of(pschema, loc, owner + naming.pascal(prop))
        pschema = pschema if isinstance(pschema, dict) else {}
        constraints = _constraints(pschema)
        description = pschema.get("description", "")
        if not description and "$ref" in pschema and isinstance(pschema["$ref"], str) and pschema["$ref"].startswith(SCHEMA_REF):
            target = self.spec.schemas.get(pschema["$ref"][len(SCHEMA_REF):], {})
            description = target.get("description", "") if isinstance(target, dict) else ""
        aliases = pschema.get("x-sdk-aliases", [])
        if not (isinstance(aliases, list) and all(isinstance(a, str) and a and a != prop for a in aliases)):
            raise _Skip("x-sdk-aliases must be a list of other property names", f"{loc}/x-sdk-aliases")
        text_keys = pschema.get("x-sdk-text", []) if isinstance(pschema, dict) else []
        if isinstance(text_keys, str):
            text_keys = [text_keys]
        if not (isinstance(text_keys, list) and all(isinstance(k, str) and k for k in text_keys)):
            raise _Skip("x-sdk-text must name the key (or list the keys) that may hold the text",
                        f"{loc}/x-sdk-text")
        if text_keys and tref.kind not in ("any", "map"):
            raise _Skip("x-sdk-text applies to a value of any JSON type (a schema without `type`)",
                        f"{loc}/x-sdk-text")
        override = pschema.get("x-sdk-name")
        names = Names.of(override) if isinstance(override, str) and override.strip() else Names.of(prop)
        return Field(
            name=names.model_copy(update={"original": prop}),
            wire_name=prop,
            type=tref,
            required=required,
            description=_prose(description),
            default=pschema.get("default"),
            has_default="default" in pschema,
            constraints=constraints,
            aliases=list(aliases),
            text_keys=list(text_keys),
            read_only=pschema.get("readOnly") is True,
            write_only=pschema.get("writeOnly") is True,
            deprecated=pschema.get("deprecated") is True,
            source=loc,
        )

    def _collect_fields(self, name: str, schema: dict[str, Any], loc: str, bases: list[str]) -> list[Field]:
        fields: dict[str, Field] = {}
        for i, part in enumerate(_list(schema.get("allOf"))):
            ploc = f"{loc}/allOf/{i}"
            if isinstance(part, dict) and "$ref" in part:
                base, target, tloc, named = self._schema_ref(part["$ref"], ploc)
                if named:
                    if base in self._building:
                        raise _Skip(f"allOf cycle through {base!r}: a schema cannot include itself", ploc)
                    bases.append(base)
                    base_model = self.model_of(base, target, tloc)
                    for f in base_model.fields:
                        fields[f.wire_name] = f
                else:
                    for f in self._collect_fields(name, target, tloc, []):
                        fields[f.wire_name] = f
            elif isinstance(part, dict):
                for f in self._collect_fields(name, part, ploc, []):
                    fields[f.wire_name] = f
            else:
                raise _Skip("allOf member is not a schema", ploc)
        required = {r for r in _list(schema.get("required")) if isinstance(r, str)}
        for prop, pschema in _dict(schema.get("properties")).items():
            prop = str(prop)
            f = self.guarded("field", f"{loc}/properties/{prop}",
                             partial(self._field, name, prop, pschema, prop in required, f"{loc}/properties/{prop}"))
            if f is not None:
                fields[prop] = f
        # `required` may name inherited properties too.
        for prop in required & fields.keys():
            if not fields[prop].required:
                fields[prop] = fields[prop].model_copy(update={"required": True})
        return list(fields.values())

    def model_of(self, name: str, schema: dict[str, Any], loc: str, inline: bool = False) -> Model:
        if name in self.models:
            return self.models[name]
        self._building.add(name)
        try:
            bases: list[str] = []
            fields = self._collect_fields(name, schema, loc, bases)
            ap = schema.get("additionalProperties")
            additional = None
            if isinstance(ap, dict):
                additional = self.type_of(ap, f"{loc}/additionalProperties", name + "Value")
            elif ap is True:
                additional = TypeRef(kind="any")
            flatten = schema.get("x-sdk-flatten")
            if flatten is not None:
                target = next((f for f in fields if f.wire_name == flatten), None)
                if target is None or target.type.kind != "model":
                    raise _Skip("x-sdk-flatten must name a property of the model whose value is an object "
                                "schema", f"{loc}/x-sdk-flatten")
            model = Model(
                schema_name=name,
                name=self._type_names(name, schema),
                description=_prose(schema.get("description", "")),
                fields=fields,
                bases=bases,
                additional_properties=additional,
                flatten=flatten,
                inline=inline,
                source=loc,
            )
            self.models[name] = model
            self._mark_order(name)
            return model
        finally:
            self._building.discard(name)

    def mark(self, name: str, **flags: bool) -> None:
        if name in self.models:
            self.models[name] = self.models[name].model_copy(update=flags)

    def build_models(self) -> None:
        for name, schema in self.spec.schemas.items():
            name = str(name)
            loc = pointer("components", "schemas", name)
            if self._is_event_union_candidate(schema):
                continue  # maybe an event union: built by its stream, or as a union when referenced

            def one(name: str = name, schema: Any = schema, loc: str = loc) -> None:
                if not isinstance(schema, (dict, bool)):
                    raise _Skip(f"schema {name!r} is not an object", loc)
                t = self._named_type(name, schema, loc) if isinstance(schema, dict) else TypeRef(kind="any")
                if name not in self.models and name not in self.enums and name not in self.unions:
                    self.aliases[name] = t

            self.guarded("schema", loc, one)

    def _is_event_union_candidate(self, schema: Any) -> bool:
        return isinstance(schema, dict) and not self._is_model_schema(schema) and "discriminator" in schema and (
            isinstance(schema.get("oneOf"), list) or isinstance(schema.get("anyOf"), list))

    def build_leftover_unions(self) -> None:
        used = set(self.streams) | set(self.unions)
        for name, schema in self.spec.schemas.items():
            name = str(name)
            if name in used or name in self.models or name in self.enums:
                continue
            if self._is_event_union_candidate(schema):
                loc = pointer("components", "schemas", name)
                self.guarded("schema", loc, partial(self._named_type, name, schema, loc))

    # -- streams -------------------------------------------------------------------
    def _stream_extension(self, media: dict[str, Any], schema: dict[str, Any] | None, loc: str) -> dict[str, Any]:
        """`x-sdk-stream` of the media type over the stream schema's, and `x-terminal-events`."""
        ext: dict[str, Any] = {}
        sources = [(schema or {}, "schema"), (media, "media")]
        for node, _ in sources:
            if not isinstance(node, dict):
                continue
            if "x-terminal-events" in node:
                ext["terminal"] = node["x-terminal-events"]
                ext.setdefault("_terminal_from", "x-terminal-events")
            raw = node.get("x-sdk-stream")
            if raw is None:
                continue
            if not isinstance(raw, dict):
                self.error("x-sdk-stream must be an object", f"{loc}/x-sdk-stream")
                continue
            for k, v in raw.items():
                if k not in STREAM_KEYS:
                    self.warn(f"x-sdk-stream has no key {k!r} (known: {', '.join(sorted(STREAM_KEYS))})", f"{loc}/x-sdk-stream")
                    continue
                ext[k] = v
                if k == "terminal":
                    ext["_terminal_from"] = "x-sdk-stream.terminal"
        return ext

    def build_stream(self, media: dict[str, Any], rloc: str, op_id: str) -> EventStream:
        """The EventStream of one `text/event-stream` media type object."""
        mloc = f"{rloc}/content/{pointer(SSE)[2:]}"
        if "itemSchema" in media:
            item = media["itemSchema"]
            iloc = f"{mloc}/itemSchema"
            name = ""
            schema_for_ext: dict[str, Any] | None = None
            if isinstance(item, dict) and "$ref" in item and set(item) == {"$ref"}:
                item_name, item_target, _, item_named = self._schema_ref(item["$ref"], iloc)
                if item_named:
                    name, schema_for_ext = item_name, item_target
            name = name or self._unique_name(naming.pascal(op_id) + "Stream", iloc)
            if name in self.streams:
                return self.streams[name]
            ext = self._stream_extension(media, schema_for_ext, mloc)
            stream = self._frames_stream(name, item, iloc, ext, item_schema=True)
        else:
            schema = media.get("schema")
            sloc = f"{mloc}/schema"
            if not isinstance(schema, dict):
                raise _Skip("a text/event-stream response needs a `schema` (or, in OpenAPI 3.2, an `itemSchema`)", mloc)
            named_schema: dict[str, Any] | None = None
            ref_name = None
            target: Any = schema
            if "$ref" in schema:
                ref_name, target, tloc, named = self._schema_ref(schema["$ref"], sloc)
                sloc = tloc
                if named:
                    named_schema = target
                else:
                    ref_name = None
            if self._describes_frames(target):
                style = "frames"
            elif isinstance(target, dict) and isinstance(target.get("oneOf") or target.get("anyOf"), list) \
                    and self._dispatch_property(target, sloc) is not None:
                style = "property"
            else:
                style = "single"
            # A union of frames or events is the stream, named after it; a stream of one kind of
            # data is named after the operation (its data keeps the schema's name).
            if style != "single" and ref_name is not None:
                name = ref_name
            else:
                name = self._unique_name(naming.pascal(op_id) + "Stream", mloc)
            if name in self.streams:
                return self.streams[name]
            ext = self._stream_extension(media, named_schema, mloc)
            if style == "frames":
                stream = self._frames_stream(name, target, sloc, ext, item_schema=False)
            elif style == "property":
                stream = self._property_stream(name, target, sloc, ext)
            else:
                stream = self._single_stream(name, schema, f"{mloc}/schema", ext)
        self.streams[stream.schema_name] = stream
        self._stream_ext[stream.schema_name] = ext
        return stream

    def _resolved(self, schema: Any, loc: str) -> tuple[dict[str, Any], str]:
        """A schema with its `$ref` (and a single allOf-$ref) followed."""
        seen = 0
        while isinstance(schema, dict) and "$ref" in schema and seen < 32:
            _, schema, loc, _ = self._schema_ref(schema["$ref"], loc)
            seen += 1
        return (schema if isinstance(schema, dict) else {}), loc

    def _frame_properties(self, schema: Any, loc: str, depth: int = 0) -> dict[str, Any]:
        """The properties of a frame schema, through $ref and allOf."""
        schema, loc = self._resolved(schema, loc)
        props: dict[str, Any] = {}
        for part in _list(schema.get("allOf")):
            if depth < 8:
                props.update(self._frame_properties(part, loc, depth + 1))
        props.update(_dict(schema.get("properties")))
        return props

    def _describes_frames(self, schema: Any) -> bool:
        """Whether a schema describes SSE frames ({event, id, data}) rather than the data."""
        if not isinstance(schema, dict):
            return False
        variants = schema.get("oneOf") or schema.get("anyOf")
        candidates = variants if isinstance(variants, list) and variants else [schema]
        with_data = False
        for v in candidates:
            try:
                props = self._frame_properties(v, "#/")
            except _Skip:
                continue
            if not set(props) <= SSE_FIELDS:
                return False
            with_data = with_data or "data" in props
        return with_data

    def _frames_stream(self, name: str, schema: Any, loc: str, ext: dict[str, Any], item_schema: bool) -> EventStream:
        """Frames described as {event, id, data}: a oneOf of them (ours), or an OpenAPI 3.2
        itemSchema (a base frame plus a oneOf of partial ones)."""
        base_schema, bloc = self._merged(schema, loc)
        base_props = self._frame_properties(base_schema, bloc)
        variants = base_schema.get("oneOf") if isinstance(base_schema.get("oneOf"), list) else base_schema.get("anyOf")
        disc = _dict(base_schema.get("discriminator"))
        prop = disc.get("propertyName") if isinstance(disc.get("propertyName"), str) else "event"
        if prop != "event":
            self.warn(f"frames are told apart by their SSE `event` field, not {prop!r}", loc)
        mapping = {v: k for k, v in _dict(disc.get("mapping")).items() if isinstance(v, str)}
        key = "oneOf" if isinstance(base_schema.get("oneOf"), list) else "anyOf"
        events: list[EventType] = []
        entries = list(enumerate(variants)) if isinstance(variants, list) else [(None, base_schema)]
        for i, variant in entries:
            vloc = f"{bloc}/{key}/{i}" if i is not None else bloc
            found = self.guarded("event", vloc, partial(
                self._frame_events, name, variant, vloc, base_props if variants is not None else {}, mapping, item_schema,
                single_frame=variants is None))
            events.extend(found or [])
        # One frame shape whose `event` may be anything: every frame is the one event.
        single = variants is None and len(events) == 1 and events[0].sse_event is None
        if single:
            e = events[0]
            label = e.data_schema or (e.data_type.union if e.data_type else None) or name
            events = [e.model_copy(update={"name": Names.of(naming.pascal(label) + "Event")})]
        return self._finish_stream(name, base_schema, loc, ext, events, dispatch="single" if single else "event",
                                   prop=None, item_schema=item_schema)

    def _merged(self, schema: Any, loc: str) -> tuple[dict[str, Any], str]:
        """A schema with its `$ref` followed and the keywords beside the `$ref` (OpenAPI 3.1)
        laid over the target, properties merged."""
        if not isinstance(schema, dict) or "$ref" not in schema:
            return self._resolved(schema, loc)
        target, tloc = self._resolved({"$ref": schema["$ref"]}, loc)
        siblings = {k: v for k, v in schema.items() if k != "$ref"}
        if not siblings:
            return target, tloc
        merged = dict(target)
        merged.update(siblings)
        merged["properties"] = {**_dict(target.get("properties")), **_dict(siblings.get("properties"))}
        return merged, loc

    def _frame_events(self, stream: str, variant: Any, vloc: str, base_props: dict[str, Any],
                      mapping: dict[str, str], item_schema: bool, single_frame: bool = False) -> list[EventType]:
        if not isinstance(variant, dict):
            raise _Skip("an event frame must be a schema", vloc)
        frame_name: str | None = None
        if "$ref" in variant and isinstance(variant["$ref"], str):
            ref_name, _, floc, named = self._schema_ref(variant["$ref"], vloc)
            frame_name = ref_name if named else None
            vloc_src = floc
        else:
            vloc_src = vloc
            if not item_schema:
                raise _Skip("event envelopes must be $refs to named schemas (or an OpenAPI 3.2 itemSchema)", vloc)
        props = dict(base_props)
        for k, v in self._frame_properties(variant, vloc).items():
            base = props.get(k)
            # a partial frame narrows the base frame's field: {type: string} + {format: int64}
            props[k] = {**base, **v} if isinstance(base, dict) and isinstance(v, dict) and "$ref" not in v else v
        resolved, _ = self._resolved(variant, vloc)
        ev_schema = _dict(props.get("event"))
        names: list[str] = []
        any_name = False
        if isinstance(ev_schema.get("const"), str):
            names = [ev_schema["const"]]
        elif isinstance(ev_schema.get("enum"), list) and all(isinstance(x, str) for x in ev_schema["enum"]) and ev_schema["enum"]:
            names = list(ev_schema["enum"])
        elif variant.get("$ref") in mapping:
            names = [mapping[variant["$ref"]]]
        elif "event" not in props or single_frame:
            names = ["message"]  # SSE: a frame without `event:` is a `message` event
            any_name = True
        if not names:
            label = f"event envelope {frame_name!r}" if frame_name else "event frame"
            raise _Skip(f"{label} names no event (const `event` or a mapping)", vloc_src)
        data = props.get("data")
        if frame_name:
            self.mark(frame_name, is_event_frame=True)
            if frame_name not in self.models:
                self.guarded("schema", vloc_src, lambda: self.model_of(frame_name, resolved, vloc_src))
                self.mark(frame_name, is_event_frame=True)
        description = _prose(resolved.get("description", "") or variant.get("description", ""))
        out = []
        for ev in names:
            data_type, data_schema, fields, fmt = self._event_data(stream, ev, data, f"{vloc_src}/properties/data",
                                                                   legacy=frame_name is not None and not item_schema)
            out.append(EventType(
                event=ev,
                name=Names.of(naming.pascal(ev) + "Event"),
                frame_schema=frame_name,
                data_schema=data_schema,
                fields=fields,
                terminal=False,
                description=description,
                data_type=data_type,
                data_format=fmt,
                sse_event=None if any_name else ev,
                source=vloc_src,
            ))
        return out

    def _event_data(self, stream: str, event: str, data: Any, dloc: str, legacy: bool
                    ) -> tuple[TypeRef, str | None, list[Field], Literal["json", "text"]]:
        """What a frame's `data` decodes to: (type, model name, fields, "json"|"text")."""
        if data is None:
            return TypeRef(kind="string"), None, [], "text"
        if not isinstance(data, dict):
            raise _Skip("an event's `data` must be a schema", dloc)
        if legacy and "$ref" not in data:
            raise _Skip(f"event {event!r} needs `data` as a $ref to an object schema", dloc)
        target, tloc = data, dloc
        fmt: Literal["json", "text"] = "json"
        if "contentSchema" in data:  # OpenAPI 3.1/3.2: a string holding JSON
            if data.get("contentMediaType", "application/json") not in ("application/json",) and not str(
                    data.get("contentMediaType", "")).endswith("+json"):
                raise _Skip(f"event data of media type {data.get('contentMediaType')!r} is not supported", dloc)
            target, tloc = data["contentSchema"], f"{dloc}/contentSchema"
        else:
            resolved, _ = self._resolved(data, dloc)
            types, _ = self._types(resolved)
            if types == ["string"] and "json" not in str(resolved.get("contentMediaType", "")):
                fmt = "text"  # a plain string (3.2: no contentMediaType), not JSON
        if fmt == "text":
            resolved, _ = self._resolved(data, dloc)
            return TypeRef(kind="string", format=resolved.get("format") if isinstance(resolved.get("format"), str) else None), \
                None, [], "text"
        tref = self.type_of(target, tloc, naming.pascal(stream) + naming.pascal(event) + "Data")
        if tref.kind == "model" and tref.ref in self.models:
            self.mark(tref.ref, is_event_data=True)
            return tref, tref.ref, list(self.models[tref.ref].fields), "json"
        if legacy:
            raise _Skip(f"event {event!r} needs `data` as a $ref to an object schema", dloc)
        return tref, None, [], "json"

    def _dispatch_property(self, schema: dict[str, Any], loc: str) -> str | None:
        """The data property telling a union's events apart: the discriminator's, else the one
        property every variant gives a constant value."""
        disc = _dict(schema.get("discriminator"))
        if isinstance(disc.get("propertyName"), str):
            return str(disc["propertyName"])
        key = "oneOf" if isinstance(schema.get("oneOf"), list) else "anyOf"
        return self._common_const_property(schema[key], loc)

    def _property_stream(self, name: str, schema: dict[str, Any], loc: str, ext: dict[str, Any]) -> EventStream:
        """A union of data objects told apart by a property of the data (`type`)."""
        key = "oneOf" if isinstance(schema.get("oneOf"), list) else "anyOf"
        disc = _dict(schema.get("discriminator"))
        variants = schema[key]
        prop = self._dispatch_property(schema, loc) or "type"
        if not isinstance(disc.get("propertyName"), str):
            self.note(f"events are told apart by the data property {prop!r}, the one every variant gives a "
                      "constant value (no discriminator)", loc)
        mapping = {v: k for k, v in _dict(disc.get("mapping")).items() if isinstance(v, str)}
        event_names = ext.get("event_names") is True
        events: list[EventType] = []
        for i, variant in enumerate(variants):
            vloc = f"{loc}/{key}/{i}"

            def one(variant: Any = variant, vloc: str = vloc) -> EventType:
                if not isinstance(variant, dict):
                    raise _Skip("an event variant must be a schema", vloc)
                ref = variant.get("$ref")
                tag = mapping.get(ref) if isinstance(ref, str) else None
                if tag is None:
                    tag = self._const_in(variant, prop)
                if tag is None and isinstance(ref, str) and not mapping:
                    tag = self._schema_ref(ref, vloc)[0]
                if tag is None:
                    raise _Skip(f"event variant gives the property {prop!r} no value (const, one-value enum or "
                                "a discriminator mapping)", vloc)
                data_type, data_schema, fields, fmt = self._event_data(name, tag, variant, vloc, legacy=False)
                resolved, rloc = self._resolved(variant, vloc)
                return EventType(
                    event=tag,
                    name=Names.of(naming.pascal(tag) + "Event"),
                    frame_schema=None,
                    data_schema=data_schema,
                    fields=fields,
                    terminal=False,
                    description=_prose(resolved.get("description", "")),
                    data_type=data_type,
                    data_format=fmt,
                    sse_event=tag if event_names else None,
                    tag=tag,
                    source=rloc,
                )

            ev = self.guarded("event", vloc, one)
            if ev is not None:
                events.append(ev)
        return self._finish_stream(name, schema, loc, ext, events, dispatch="property", prop=prop, item_schema=False)

    def _common_const_property(self, variants: list[Any], loc: str) -> str | None:
        common: list[str] | None = None
        for v in variants:
            try:
                props = self._frame_properties(v, loc)
            except _Skip:
                return None
            consts = [p for p in props if self._const_in({"properties": props}, p) is not None]
            common = consts if common is None else [p for p in common if p in consts]
        return common[0] if common and len(common) == 1 else None

    def _single_stream(self, name: str, schema: Any, loc: str, ext: dict[str, Any]) -> EventStream:
        """Every frame is one event: its data is the schema (OpenAI's chunks)."""
        data_type, data_schema, fields, fmt = self._event_data(name, "message", schema, loc, legacy=False)
        label = data_schema or data_type.union or name
        resolved, rloc = self._resolved(schema, loc)
        event = EventType(
            event="message",
            name=Names.of(naming.pascal(label) + "Event"),
            frame_schema=None,
            data_schema=data_schema,
            fields=fields,
            terminal=False,
            description=_prose(resolved.get("description", "")),
            data_type=data_type,
            data_format=fmt,
            source=rloc,
        )
        return self._finish_stream(name, resolved, loc, ext, [event], dispatch="single", prop=None, item_schema=False)

    def _finish_stream(self, name: str, schema: dict[str, Any], loc: str, ext: dict[str, Any], events: list[EventType],
                       dispatch: str, prop: str | None, item_schema: bool) -> EventStream:
        decisions: dict[str, str] = {"dispatch": "spec"}
        # Terminal events
        terminal = ext.get("terminal", [])
        tfrom = ext.get("_terminal_from", "x-sdk-stream.terminal")
        if not isinstance(terminal, list) or not all(isinstance(t, str) for t in terminal):
            self.error(f"{tfrom} must be a list of event names", loc)
            terminal = []
        known = [e.event for e in events]
        for t in terminal:
            if t not in known:
                self.error(f"{tfrom} names {t!r}, which is not an event of the stream", loc)
        sentinel = ext.get("sentinel")
        if sentinel is not None and not isinstance(sentinel, str):
            self.error("x-sdk-stream.sentinel must be the data string that ends the stream", loc)
            sentinel = None
        eof_ends = ext.get("eof_ends") is True
        if terminal:
            decisions["terminal"] = f"extension: {tfrom}"
        if sentinel is not None:
            decisions["sentinel"] = "extension: x-sdk-stream.sentinel"
        if eof_ends:
            decisions["eof_ends"] = "extension: x-sdk-stream.eof_ends"
        if not terminal and sentinel is None and not eof_ends:
            self.warn("no terminal events, sentinel or eof_ends (x-sdk-stream / x-terminal-events): "
                      "a stream can never be seen to end cleanly", loc)
        events = [e.model_copy(update={"terminal": e.event in terminal}) for e in events]
        # An event named like the SDKs' UnknownEvent keeps its wire name; its class is renamed
        # by the name resolution (a note).
        return EventStream(
            schema_name=name,
            name=self._type_names(name, schema),
            description=_prose(schema.get("description", "")),
            discriminator="event" if dispatch == "event" else (prop or ""),
            events=events,
            dispatch=dispatch,  # type: ignore[arg-type]
            data_property=prop,
            sentinel=sentinel,
            eof_ends=eof_ends,
            item_schema=item_schema,
            decisions=decisions,
            source=loc,
        )

    # -- stream decisions ----------------------------------------------------------------
    def decide_streams(self) -> None:
        for name in list(self.streams):
            stream = self.streams[name]
            ext = self._stream_ext.get(name, {})
            self.streams[name] = self.guarded("stream", stream.source, partial(self._decide, stream, ext)) or stream

    def _decide(self, s: EventStream, ext: dict[str, Any]) -> EventStream:
        loc = s.source
        decisions = dict(s.decisions)
        by_event = {e.event: e for e in s.events}
        terminal = [e.event for e in s.events if e.terminal]
        # success / failure
        success = ext.get("success")
        failure = ext.get("failure")
        if success is not None:
            if success not in terminal:
                self.error(f"x-sdk-stream.success {success!r} is not a terminal event of the stream", loc)
                success = None
            else:
                decisions["success"] = "extension: x-sdk-stream.success"
        elif terminal:
            success = terminal[0]
            decisions["success"] = "rule: the first terminal event"
            if len(terminal) > 1:
                self.note(f"success event by rule: {success!r}, the first terminal event; set x-sdk-stream.success "
                          "to say it", loc)
        if failure is not None:
            if not isinstance(failure, list) or any(f not in terminal for f in failure):
                self.error("x-sdk-stream.failure must list terminal events of the stream", loc)
                failure = None
            else:
                decisions["failure"] = "extension: x-sdk-stream.failure"
        if failure is None:
            failure = [t for t in terminal if t != success]
            if failure:
                decisions["failure"] = "rule: the terminal events other than the success event"
        events = [e.model_copy(update={"success": e.event == success, "failure": e.event in failure}) for e in s.events]
        by_event = {e.event: e for e in events}
        # text delta
        text_delta: TextDelta | None = None
        raw = ext.get("text")
        if raw is False:
            decisions["text"] = "extension: x-sdk-stream.text is false (no event carries text)"
        elif raw is not None:
            found = self._value_path(s, by_event, raw, "text", loc)
            if found is not None:
                text_delta = TextDelta(event=found.event, path=found.path)
                decisions["text"] = "extension: x-sdk-stream.text"
        else:
            candidates = [e for e in events if not e.terminal and len(self._data_fields(s, e)) == 1
                          and self._data_fields(s, e)[0].required and self._data_fields(s, e)[0].type.kind == "string"
                          and not self._data_fields(s, e)[0].type.nullable]
            chosen = None
            named = [e for e in candidates if e.event in TEXT_EVENT_NAMES]
            if len(named) == 1:
                chosen = named[0]
            elif not named and len(candidates) == 1 and self._data_fields(s, candidates[0])[0].wire_name in TEXT_FIELD_NAMES:
                chosen = candidates[0]
            elif len(candidates) > 1:
                self.warn("several events could carry the text ("
                          + ", ".join(repr(e.event) for e in candidates)
                          + "); set x-sdk-stream.text to say which (or false: none)", loc)
            if chosen is not None:
                field = self._data_fields(s, chosen)[0]
                text_delta = TextDelta(event=chosen.event, path=[field.wire_name])
                decisions["text"] = ("rule: the non-terminal event named " + "/".join(TEXT_EVENT_NAMES)
                                     + " whose data is one required string" if named else
                                     "rule: the one non-terminal event whose data is one required string named "
                                     + "/".join(TEXT_FIELD_NAMES))
                self.note(f"text delta by rule: `{chosen.event}.{field.wire_name}`; set x-sdk-stream.text "
                          "to say it", loc)
        # output / usage
        output = usage = None
        for key in ("output", "usage"):
            raw = ext.get(key)
            if raw is not None:
                vp = self._value_path(s, by_event, raw, key, loc)
                if vp is not None:
                    decisions[key] = f"extension: x-sdk-stream.{key}"
            elif success is not None:
                want = "string" if key == "output" else "model"
                f = next((f for f in self._data_fields(s, by_event[success]) if f.type.kind == want), None)
                vp = ValuePath(event=success, path=[f.wire_name], text_keys=list(f.text_keys)) if f else None
                if vp is not None:
                    decisions[key] = f"rule: the success event's first {want}-typed field"
                    self.note(f"{key} by rule: `{success}.{f.wire_name}` (the first {want} field of the success "  # type: ignore[union-attr]
                              f"event); set x-sdk-stream.{key} to say it", loc)
            else:
                vp = None
            if key == "output":
                output = vp
            else:
                usage = vp
        resume = self._resume(s, events, ext.get("resume"), loc, decisions)
        return s.model_copy(update={
            "events": events, "success_event": success, "failure_events": failure, "text_delta": text_delta,
            "output": output, "usage": usage, "resume": resume, "decisions": decisions,
            "operations": [op.key for op in self._stream_ops.get(s.schema_name, [])],
        })

    @staticmethod
    def _data_fields(s: EventStream, e: EventType) -> list[Field]:
        """An event's data fields that carry data: not the dispatch property, not constants."""
        return [f for f in e.fields if f.wire_name != s.data_property and f.type.const is None]

    def _value_path(self, s: EventStream, by_event: dict[str, EventType], raw: Any, key: str, loc: str) -> ValuePath | None:
        if not isinstance(raw, dict):
            self.error(f"x-sdk-stream.{key} must be an object with `path` (and `event`)", loc)
            return None
        event = raw.get("event")
        if event is None and len(s.events) == 1:
            event = s.events[0].event
        if event not in by_event:
            self.error(f"x-sdk-stream.{key}.event {event!r} is not an event of the stream", loc)
            return None
        path = raw.get("path")
        if isinstance(path, str):
            path = [path]
        if not isinstance(path, list) or not all(isinstance(p, (str, int)) and not isinstance(p, bool) for p in path):
            self.error(f"x-sdk-stream.{key}.path must be a list of keys and list indexes", loc)
            return None
        ev = by_event[event]
        text_keys: list[str] = []
        if ev.data_format == "text":
            if path:
                self.error(f"x-sdk-stream.{key}: event {event!r} carries text, not JSON; its path must be []", loc)
                return None
        elif not self._path_exists(ev.data_type, path):
            self.error(f"x-sdk-stream.{key}.path {path!r} is not in the data of event {event!r}", loc)
            return None
        elif len(path) == 1 and isinstance(path[0], str):
            text_keys = next((list(f.text_keys) for f in ev.fields if f.wire_name == path[0]), [])
        return ValuePath(event=event, path=list(path), text_keys=text_keys)

    def _path_exists(self, t: TypeRef | None, path: list[Any], depth: int = 0) -> bool:
        if not path or t is None or depth > 32:
            return True
        head, rest = path[0], path[1:]
        if t.kind == "any" and t.union and t.union in self.unions:
            return any(self._path_exists(v.type, path, depth + 1) for v in self.unions[t.union].variants)
        if t.kind in ("any", "map"):
            return isinstance(head, str) or t.kind == "any"
        if isinstance(head, int):
            return t.kind == "array" and self._path_exists(t.items, rest, depth + 1)
        if t.kind == "model" and t.ref in self.models:
            m = self.models[t.ref]
            f = next((f for f in m.fields if f.wire_name == head), None)
            if f is not None:
                return self._path_exists(f.type, rest, depth + 1)
            return m.additional_properties is not None
        return False

    def _resume(self, s: EventStream, events: list[EventType], raw: Any, loc: str, decisions: dict[str, str]) -> ResumeRoute | None:
        ops = [op for ops in self._stream_ops.values() for op in ops]
        streaming = [op for op in ops if op.result.stream == s.schema_name]

        def carriers(bindings: list[ResumeBinding]) -> list[str]:
            out = []
            for e in events:
                fields = {f.wire_name: f for f in e.fields}
                if all(b.field in fields and fields[b.field].required and not fields[b.field].type.nullable
                       and fields[b.field].type.kind in ("string", "integer") for b in bindings):
                    out.append(e.event)
            return out

        def route(op: Operation, bindings: list[ResumeBinding]) -> ResumeRoute:
            header = next(p for p in op.header_params if p.role == "last_event_id")
            return ResumeRoute(operation_id=op.operation_id, key=op.key, tag=op.tag, path=op.path,
                               header=header.wire_name, bindings=bindings, carriers=carriers(bindings))

        if raw is False:
            decisions["resume"] = "extension: x-sdk-stream.resume is false"
            return None
        if raw is not None:
            if not isinstance(raw, dict) or not isinstance(raw.get("operation"), str):
                self.error("x-sdk-stream.resume must be false or an object naming `operation` (an operationId)", loc)
                return None
            op = next((o for o in ops if o.operation_id == raw["operation"] and o.is_stream), None)
            if op is None:
                op = next((o for o in self._all_ops if o.operation_id == raw["operation"]), None)
                self.error(f"x-sdk-stream.resume.operation {raw['operation']!r} is not a streaming operation"
                           if op else f"x-sdk-stream.resume.operation {raw['operation']!r} is no operation", loc)
                return None
            if not any(p.role == "last_event_id" for p in op.header_params):
                self.error(f"the resume operation {op.operation_id!r} takes no Last-Event-ID header", loc)
                return None
            params = raw.get("params", {p.wire_name: p.wire_name for p in op.path_params})
            if not isinstance(params, dict):
                self.error("x-sdk-stream.resume.params must map path parameters to event fields", loc)
                return None
            bindings = []
            for p in op.path_params:
                field = params.get(p.wire_name)
                if not isinstance(field, str):
                    self.error(f"x-sdk-stream.resume.params gives the path parameter {p.wire_name!r} no event field", loc)
                    return None
                bindings.append(ResumeBinding(param=p.wire_name, field=field))
            r = route(op, bindings)
            if not r.carriers:
                self.error("no event carries every field x-sdk-stream.resume.params names (as a required string)", loc)
                return None
            decisions["resume"] = "extension: x-sdk-stream.resume"
            return r
        if not events:
            return None
        first = {f.wire_name for f in events[0].fields}
        for op in streaming:
            if not any(p.role == "last_event_id" for p in op.header_params) or not op.path_params:
                continue
            if {p.wire_name for p in op.path_params} <= first:
                r = route(op, [ResumeBinding(param=p.wire_name, field=p.wire_name) for p in op.path_params])
                if events[0].event not in r.carriers:
                    continue
                decisions["resume"] = ("rule: the streaming operation of this stream with a Last-Event-ID header "
                                       "whose path parameters are fields of the first event")
                self.note(f"resume route by rule: {op.operation_id!r} with "
                          + ", ".join(f"{b.param} = {events[0].event}.{b.field}" for b in r.bindings)
                          + "; set x-sdk-stream.resume to say it", loc)
                return r
        return None

    # -- operations ----------------------------------------------------------------
    def parameter(self, raw: Any, loc: str, pagination: dict[str, Any] | None, op_id: str) -> Parameter | None:
        p, ploc = self._deref(raw, loc)
        if not isinstance(p, dict) or not isinstance(p.get("name"), str) or "in" not in p:
            raise _Skip("parameter needs `name` and `in`", loc)
        where = p["in"]
        if where not in ("path", "query", "header", "cookie"):
            raise _Skip(f"parameters in {where!r} are not supported", loc)
        wire = p["name"]
        lowered = wire.lower()
        if where == "header" and lowered in ("accept", "content-type", "authorization"):
            self.note(f"header parameter {wire!r} is ignored (OpenAPI: the media types and security schemes set it)", loc)
            return None
        role = "plain"
        if where == "header" and lowered == "idempotency-key":
            role = "idempotency_key"
        elif where == "header" and lowered == "last-event-id":
            role = "last_event_id"
        elif where == "query" and pagination and wire == pagination.get("page_param"):
            role = "page"
        elif where == "query" and pagination and wire == pagination.get("limit_param"):
            role = "limit"
        schema = p.get("schema")
        sloc = f"{ploc}/schema"
        if schema is None and isinstance(p.get("content"), dict) and p["content"]:
            ct, media = next(iter(p["content"].items()))
            schema = _dict(media).get("schema", {})
            sloc = f"{ploc}/content/{pointer(ct)[2:]}/schema"
        if schema is None:
            schema = {"type": "string"}
        required = p.get("required") is True
        if where == "path" and not required:
            if p.get("required") is False:
                self.warn(f"path parameter {wire!r} says `required: false`; path parameters are always required", loc)
            required = True
        override = p.get("x-sdk-name")
        names = Names.of(override) if isinstance(override, str) and override.strip() else Names.of(wire)
        return Parameter(
            name=names.model_copy(update={"original": wire}),
            wire_name=wire,
            location=where,
            required=required,
            type=self.type_of(schema, sloc, naming.pascal(op_id) + naming.pascal(wire)),
            description=_prose(p.get("description", "")),
            default=schema.get("default") if isinstance(schema, dict) else None,
            has_default=isinstance(schema, dict) and "default" in schema,
            role=role,  # type: ignore[arg-type]
            constraints=_constraints(schema),
            style=p.get("style") if isinstance(p.get("style"), str) else None,
            explode=p.get("explode") if isinstance(p.get("explode"), bool) else None,
            deprecated=p.get("deprecated") is True,
            source=ploc,
        )

    @staticmethod
    def _is_json(ct: str) -> bool:
        base = ct.split(";")[0].strip().lower()
        return base == "application/json" or base.endswith("+json")

    def _success_response(self, op: dict[str, Any], loc: str) -> tuple[int, str, Any, list[int], list[int]]:
        responses = _dict(op.get("responses"))
        codes = {str(c): c for c in responses}
        success = sorted(int(c) for c in codes if c.isdigit() and 200 <= int(c) < 300)
        errors = sorted(int(c) for c in codes if c.isdigit() and int(c) >= 400)
        if success:
            code = success[0]
            key = codes[str(code)]
        elif "2XX" in codes or "2xx" in codes:
            code, key = 200, codes.get("2XX", codes.get("2xx", "2XX"))
            success = [200]
        elif "default" in codes:
            code, key = 200, "default"
            success = [200]
            self.note("no 2xx response: the `default` response is read as the success", f"{loc}/responses")
        else:
            raise _Skip("operation has no 2xx response", f"{loc}/responses")
        return code, f"{loc}/responses/{key}", responses[key], success, errors

    def result(self, op: dict[str, Any], loc: str, op_id: str, paginated: bool, decisions: dict[str, str]
               ) -> tuple[Result, Result | None, list[int], list[int], dict[str, Any] | None]:
        """(JSON-or-plain result, stream result or None, success codes, error codes, SSE media)."""
        code, rloc, raw, success, errors = self._success_response(op, loc)
        resp, rloc = self._deref(raw, rloc)
        resp = _dict(resp)
        content = _dict(resp.get("content"))
        description = _prose(resp.get("description", ""))
        stream_media = None
        stream_result = None
        others = {ct: _dict(m) for ct, m in content.items() if str(ct).split(";")[0].strip().lower() != SSE}
        for ct, media in content.items():
            if str(ct).split(";")[0].strip().lower() == SSE:
                stream_media = _dict(media)
                try:
                    stream = self.build_stream(stream_media, rloc, op_id)
                except _Skip as skip:
                    if not others:
                        raise
                    self.drop("operation", f"the streaming method is left out: {skip.message}", skip.location)
                    stream_media = None
                    continue
                stream_result = Result(kind="stream", status=code, description=description, stream=stream.schema_name,
                                       content_type=SSE)
        if not others:
            if stream_result is not None:
                return stream_result, None, success, errors, stream_media
            return Result(kind="none", status=code, description=description), None, success, errors, None
        json_ct = next((ct for ct in others if self._is_json(ct)), None)
        if json_ct is None:
            ct = next(iter(others))
            kind = "text" if ct.lower().startswith("text/") else "binary"
            plain = Result(kind=kind, status=code, description=description, content_type=ct,  # type: ignore[arg-type]
                           type=TypeRef(kind="string", format=None if kind == "text" else "binary"))
            return plain, stream_result, success, errors, stream_media
        schema = others[json_ct].get("schema")
        sloc = f"{rloc}/content/{pointer(json_ct)[2:]}/schema"
        if schema is None:
            return (Result(kind="model", status=code, description=description, type=TypeRef(kind="any"),
                           content_type=json_ct), stream_result, success, errors, stream_media)
        if not isinstance(schema, dict):
            raise _Skip("the response schema is not an object", sloc)
        plain = self._json_result(schema, sloc, op, op_id, code, description, paginated, decisions)
        return plain.model_copy(update={"content_type": json_ct}), stream_result, success, errors, stream_media

    def _json_result(self, schema: dict[str, Any], sloc: str, op: dict[str, Any], op_id: str, code: int,
                     description: str, paginated: bool, decisions: dict[str, str]) -> Result:
        env_name: str | None = None
        env_schema: dict[str, Any] = schema
        eloc = sloc
        if "$ref" in schema:
            ref_name, target, tloc, named = self._schema_ref(schema["$ref"], sloc)
            if named:
                env_name, env_schema, eloc = ref_name, target, tloc
            else:
                env_schema, eloc = target, tloc
        declared = op.get("x-sdk-envelope", self._default_envelope)
        if declared not in (None, "data", "none"):
            self.error("x-sdk-envelope must be `data` or `none`", f"{eloc}")
            declared = None
        props = _dict(env_schema.get("properties"))
        data = props.get("data")
        shape_wrapped = isinstance(data, dict) and set(props) <= {"data", "meta"} and self._is_object(env_schema)
        if declared == "data" and not isinstance(data, dict):
            self.error("x-sdk-envelope is `data` but the response has no `data` property", eloc)
            declared = None
        wrapped = shape_wrapped if declared is None else declared == "data"
        decisions["envelope"] = (("extension: x-sdk-envelope" if "x-sdk-envelope" in op else "extension: info.x-sdk.envelope")
                                 if declared is not None else
                                 ("rule: the response's properties are `data` (and `meta`)" if wrapped
                                  else "rule: the response has properties besides `data`/`meta`"))
        if wrapped:
            if env_name is None:
                env_name = self._unique_name(naming.pascal(op_id) + "Response", eloc)
            envelope_model = self.model_of(env_name, env_schema, eloc, inline=env_name not in self.spec.schemas)
            self.mark(env_name, is_envelope=True)
            data_field = next((f for f in envelope_model.fields if f.wire_name == "data"), None)
            if data_field is None:
                raise _Skip("the response's `data` property could not be read", eloc)
            if data_field.type.kind == "array" and "meta" in props:
                meta_ref = props["meta"].get("$ref", "") if isinstance(props["meta"], dict) else ""
                return Result(kind="page" if paginated else "model", status=code, description=description,
                              envelope=env_name, unwrap=None if not paginated else "data",
                              type=data_field.type.items if paginated else TypeRef(kind="model", ref=env_name),
                              meta_schema=meta_ref[len(SCHEMA_REF):] if meta_ref.startswith(SCHEMA_REF) else None,
                              wrapped=paginated)
            return Result(kind="model", status=code, description=description, envelope=env_name,
                          unwrap="data", type=data_field.type, wrapped=True)
        if env_name is not None:
            tref = self._named_type(env_name, env_schema, eloc)
        else:
            tref = self.type_of(env_schema, eloc, naming.pascal(op_id) + "Response")
        envelope = env_name if env_name is not None else (tref.ref if tref.kind == "model" else None)
        return Result(kind="model", status=code, description=description, envelope=envelope, type=tref)

    def body(self, op: dict[str, Any], loc: str, op_id: str) -> Body | None:
        if "requestBody" not in op:
            return None
        rb, rbloc = self._deref(op["requestBody"], f"{loc}/requestBody")
        rb = _dict(rb)
        content = _dict(rb.get("content"))
        if not content:
            raise _Skip("a request body without content", rbloc)
        cts = [str(ct) for ct in content]

        def base(ct: str) -> str:
            return ct.split(";")[0].strip().lower()

        choice = (next((ct for ct in cts if self._is_json(ct)), None)
                  or next((ct for ct in cts if base(ct) == "multipart/form-data"), None)
                  or next((ct for ct in cts if base(ct) == "application/x-www-form-urlencoded"), None)
                  or next((ct for ct in cts if base(ct).startswith("text/")), None)
                  or cts[0])
        b = base(choice)
        kind = ("json" if self._is_json(choice) else "multipart" if b == "multipart/form-data"
                else "form" if b == "application/x-www-form-urlencoded" else "text" if b.startswith("text/") else "binary")
        media = _dict(content[choice])
        schema = media.get("schema")
        sloc = f"{rbloc}/content/{pointer(choice)[2:]}/schema"
        required = rb.get("required") is True
        description = _prose(rb.get("description", ""))
        if kind in ("binary", "text"):
            return Body(schema_name=None, required=required, content_type=choice, description=description, fields=[],
                        kind=kind, content_types=cts,  # type: ignore[arg-type]
                        type=TypeRef(kind="string", format="binary" if kind == "binary" else None))
        if schema is None:
            schema = {}
        if not isinstance(schema, dict):
            raise _Skip("the request body schema is not an object", sloc)
        name: str | None = None
        target, tloc = schema, sloc
        if "$ref" in schema:
            ref_name, target, tloc, named = self._schema_ref(schema["$ref"], sloc)
            name = ref_name if named else None
        if "object" in (self._types(target)[0] or ["object"]) and "properties" in target and not target["properties"] \
                and target.get("additionalProperties") is False and not any(k in target for k in ("allOf", "oneOf", "anyOf")):
            self.note("the request body is an object without properties: the SDKs send none", rbloc)
            return None
        if self._is_object(target) and (target.get("properties") or target.get("allOf")) and not (
                isinstance(target.get("oneOf") or target.get("anyOf"), list) and not self._is_model_schema(target)):
            if name is None:
                name = self._unique_name(naming.pascal(op_id) + "Request", tloc)
            model = self.model_of(name, target, tloc, inline=name not in self.spec.schemas)
            self.mark(name, is_request_body=True)
            return Body(schema_name=name, required=required, content_type=choice, description=description,
                        fields=list(model.fields), kind=kind, content_types=cts,  # type: ignore[arg-type]
                        type=TypeRef(kind="model", ref=name))
        if kind != "json":
            raise _Skip(f"a {choice} body must be an object schema (its fields are the form's)", sloc)
        tref = (self._named_type(name, target, tloc) if name is not None
                else self.type_of(target, tloc, naming.pascal(op_id) + "Request"))
        return Body(schema_name=tref.ref if tref.kind == "model" else None, required=required, content_type=choice,
                    description=description, fields=[], kind="json", content_types=cts, type=tref)

    def _error_bodies(self, op: dict[str, Any], loc: str, op_id: str) -> dict[str, TypeRef]:
        out: dict[str, TypeRef] = {}
        responses = _dict(op.get("responses"))
        declared_2xx = any(str(c).startswith("2") for c in responses)
        for code, raw in responses.items():
            code = str(code)
            # `default` is an error body unless it stood in for the missing 2xx response
            is_error = (code.isdigit() and int(code) >= 400) or code.upper() in ("4XX", "5XX") or (
                code == "default" and declared_2xx)
            if not is_error:
                continue
            rloc = f"{loc}/responses/{code}"

            def one(raw: Any = raw, rloc: str = rloc, code: str = code) -> TypeRef | None:
                resp, where = self._deref(raw, rloc)
                content = _dict(_dict(resp).get("content"))
                ct = next((str(c) for c in content if self._is_json(str(c))), None)
                schema = _dict(content[ct]).get("schema") if ct else None
                if schema is None or ct is None:
                    return None
                return self.type_of(schema, f"{where}/content/{pointer(ct)[2:]}/schema",
                                    naming.pascal(op_id) + naming.pascal(code) + "Error")

            try:
                t = one()
            except _Skip as skip:
                self.warn(f"the {code} error body cannot be typed: {skip.message}", skip.location)
                continue
            except Exception as exc:  # noqa: BLE001 -- an untypable error body is a warning
                self.warn(f"the {code} error body cannot be typed: {type(exc).__name__}", rloc)
                continue
            if t is not None:
                out[code] = t
        return out

    def _security(self, op: dict[str, Any], loc: str) -> list[list[str]]:
        raw = op.get("security", self.spec.raw.get("security"))
        if raw is None:
            return []
        known = {a.key for a in self.auth}
        declared = set(_dict(_dict(self.spec.raw.get("components")).get("securitySchemes")))
        out: list[list[str]] = []
        for alt in _list(raw):
            if not isinstance(alt, dict):
                continue
            names = [str(n) for n in alt]
            missing = [n for n in names if n not in declared]
            if missing:
                self.error(f"security requirement names undeclared schemes {missing}", loc)
            usable = [n for n in names if n in known]
            if len(usable) == len(names):
                out.append(usable)
        if raw and not out:
            self.drop("auth", "no security requirement of this operation can be met by the SDKs (unsupported schemes)", loc)
        return out

    def operation(self, path: str, method: str, op: dict[str, Any], path_params: list[Any], path_loc: str) -> list[Operation]:
        loc = pointer("paths", path, method)
        if not isinstance(op, dict):
            raise _Skip("operation is not an object", loc)
        raw_id = op.get("operationId")
        op_id: str = raw_id if isinstance(raw_id, str) and raw_id.strip() else naming.snake(method + " " + re.sub(r"[{}]", " ", path))
        if op_id is not raw_id:
            self.note(f"operation has no operationId: it is named {op_id!r} from its method and path", loc)
        tags = [t for t in _list(op.get("tags")) if isinstance(t, str)]
        if not tags:
            self.warn("operation has no tag; it goes to the 'default' resource", loc)
        pagination_raw = op.get("x-pagination")
        if pagination_raw is not None and not isinstance(pagination_raw, dict):
            self.error("x-pagination must be an object", loc)
            pagination_raw = None
        # Parameters: path-level first, operation-level overriding by (name, in).
        merged: dict[tuple[Any, Any], tuple[Any, str]] = {}
        for i, raw in enumerate(_list(path_params)):
            p = self.guarded("parameter", f"{path_loc}/parameters/{i}", partial(self._deref_node, raw, f"{path_loc}/parameters/{i}"))
            if isinstance(p, dict):
                merged[(p.get("name"), p.get("in"))] = (raw, f"{path_loc}/parameters/{i}")
        for i, raw in enumerate(_list(op.get("parameters"))):
            p = self.guarded("parameter", f"{loc}/parameters/{i}", partial(self._deref_node, raw, f"{loc}/parameters/{i}"))
            if isinstance(p, dict):
                merged[(p.get("name"), p.get("in"))] = (raw, f"{loc}/parameters/{i}")
        names = {name for name, _ in merged}
        if pagination_raw is None and {"page", "limit"} <= names:
            pagination_raw = {"style": "page", "page_param": "page", "limit_param": "limit"}
        params: list[Parameter] = []
        for raw, ploc in merged.values():
            got = self.guarded("parameter", ploc, partial(self.parameter, raw, ploc, pagination_raw, op_id))
            if got is not None:
                params.append(got)
        placeholders = re.findall(r"\{([^}/]+)\}", path)
        path_ps = sorted((p for p in params if p.location == "path"),
                         key=lambda p: placeholders.index(p.wire_name) if p.wire_name in placeholders else 99)
        missing = set(placeholders) - {p.wire_name for p in path_ps}
        if missing:
            raise _Skip(f"path placeholders without parameters: {sorted(missing)}", loc)
        extra = [p.wire_name for p in path_ps if p.wire_name not in placeholders]
        if extra:
            self.warn(f"path parameters {extra} have no {{placeholder}} in the path; they are not sent", loc)
            path_ps = [p for p in path_ps if p.wire_name in placeholders]
        body = self.body(op, loc, op_id)
        pagination = None
        if pagination_raw:
            pagination = Pagination(style="page", page_param=str(pagination_raw.get("page_param", "page")),
                                    limit_param=str(pagination_raw.get("limit_param", "limit")))
        decisions: dict[str, str] = {}
        result, stream_result, success, errors, _ = self.result(op, loc, op_id, pagination is not None, decisions)
        if pagination and result.kind != "page":
            self.warn("x-pagination on an operation whose response is not a {data: [...], meta} list", loc)
            pagination = None
        method_name: str = op["x-sdk-method"] if isinstance(op.get("x-sdk-method"), str) else op_id
        if body and body.schema_name and body.schema_name.endswith("Request"):
            params_name = body.schema_name[: -len("Request")] + "Params"
        else:
            params_name = naming.pascal(op_id) + "Params"
        query = [p for p in params if p.location == "query"]
        headers = [p for p in params if p.location == "header" and p.role != "idempotency_key"]
        cookies = [p for p in params if p.location == "cookie"]
        security = self._security(op, loc)
        error_bodies = self._error_bodies(op, loc, op_id)
        common = dict(
            operation_id=op_id,
            tag=tags[0] if tags else "default",
            http_method=method,
            path=path,
            summary=_prose(op.get("summary", "")),
            description=str(op.get("description", "") or "").strip(),
            deprecated=op.get("deprecated") is True,
            path_params=path_ps,
            query_params=query,
            header_params=headers,
            error_statuses=errors,
            idempotent=any(p.role == "idempotency_key" for p in params),
            source=loc,
            cookie_params=cookies,
            security=security,
            success_statuses=success,
            error_bodies=error_bodies,
        )

        def required_inputs(b: Body | None) -> bool:
            if any(p.required for p in query + headers + cookies):
                return True
            return bool(b and b.required and any(f.required for f in b.fields))

        if stream_result is None or result.kind == "stream":
            only = Operation(name=Names.of(method_name), body=body, result=result, pagination=pagination,
                             params_name=Names.of(params_name), key=op_id, params_required=required_inputs(body),
                             decisions=decisions, **common)  # type: ignore[arg-type]
            if only.is_stream:
                self._stream_ops.setdefault(result.stream or "", []).append(only)
            return [only]
        # JSON or SSE: two methods.
        flag = op.get("x-sdk-stream-flag")
        switch: tuple[str, Any, Any] | None = None  # (property, value for the stream, value for the plain method)
        if flag is not None:
            by_wire = {f.wire_name: f for f in (body.fields if body else [])}
            if isinstance(flag, str) and flag in by_wire and by_wire[flag].type.kind == "boolean":
                switch = (flag, True, False)
            elif isinstance(flag, dict) and flag.get("property") in by_wire and "stream" in flag:
                switch = (str(flag["property"]), flag["stream"], flag.get("plain"))
            else:
                self.error("x-sdk-stream-flag must name a boolean property of the request body, or be "
                           "{property, stream, plain} with the values that select each answer", f"{loc}/x-sdk-stream-flag")
            if switch:
                decisions["stream_switch"] = "extension: x-sdk-stream-flag"
        elif body is not None and any(f.wire_name == "stream" and f.type.kind == "boolean" for f in body.fields):
            switch = ("stream", True, False)
            decisions["stream_switch"] = "rule: the body's boolean `stream` property"
            self.note("JSON or SSE by the body's boolean `stream` property (rule); set x-sdk-stream-flag to say it", loc)
        if switch is None:
            decisions.setdefault("stream_switch", "rule: the Accept header")
            self.note("the response is JSON or SSE with no body flag: the streaming method sends "
                      "`Accept: text/event-stream`", loc)
        switch_field = switch[0] if switch else None
        stream_name: str = op["x-sdk-stream-method"] if isinstance(op.get("x-sdk-stream-method"), str) \
            else naming.snake(method_name) + "_stream"
        body_plain: Body | None = body
        if body is not None and switch_field:
            body_plain = body.model_copy(update={"fields": [f for f in body.fields if f.wire_name != switch_field]})
        plain = Operation(
            name=Names.of(method_name), body=body_plain, result=result, pagination=pagination,
            params_name=Names.of(params_name), key=op_id, params_required=required_inputs(body_plain),
            variant="plain", pair=op_id + ":stream", decisions=dict(decisions),
            body_switch=BodySwitch(field=switch[0], value=switch[2]) if switch else None,
            accept=result.content_type, **common,  # type: ignore[arg-type]
        )
        streaming = Operation(
            name=Names.of(stream_name), body=body_plain, result=stream_result, pagination=None,
            params_name=Names.of(params_name), key=op_id + ":stream", params_required=required_inputs(body_plain),
            variant="stream", pair=op_id, decisions=dict(decisions),
            body_switch=BodySwitch(field=switch[0], value=switch[1]) if switch else None,
            accept=SSE, **common,  # type: ignore[arg-type]
        )
        self._stream_ops.setdefault(stream_result.stream or "", []).append(streaming)
        return [plain, streaming]

    def build_resources(self) -> list[Resource]:
        tag_docs: dict[str, str] = {}
        tag_names: dict[str, str] = {}
        for t in _list(self.spec.raw.get("tags")):
            if isinstance(t, dict) and isinstance(t.get("name"), str):
                tag_docs[t["name"]] = t.get("description", "") if isinstance(t.get("description", ""), str) else ""
                if isinstance(t.get("x-sdk-name"), str) and t["x-sdk-name"].strip():
                    tag_names[t["name"]] = t["x-sdk-name"]
        by_tag: dict[str, list[Operation]] = {t: [] for t in tag_docs}
        paths = self.spec.raw.get("paths")
        if paths is not None and not isinstance(paths, dict):
            self.error("`paths` is not an object", "#/paths")
            paths = {}
        for path, item in _dict(paths).items():
            path = str(path)
            path_loc = pointer("paths", path)
            item_loc = path_loc
            if isinstance(item, dict) and "$ref" in item:
                item = self.guarded("operation", path_loc, partial(self._deref_node, item, path_loc))
            if not isinstance(item, dict):
                continue
            methods = [(m, item[m]) for m in HTTP_METHODS if m in item]
            for m in _dict(item.get("additionalOperations")):
                self.warn(f"additional operation {m!r} (OpenAPI 3.2) is not supported", f"{item_loc}/additionalOperations/{m}")
                self.drop("operation", f"HTTP method {m!r} is not supported", f"{item_loc}/additionalOperations/{m}")
            for method, raw_op in methods:
                ops = self.guarded("operation", pointer("paths", path, method),
                                   partial(self.operation, path, method, raw_op, _list(item.get("parameters")), path_loc))
                for op in ops or []:
                    by_tag.setdefault(op.tag, []).append(op)
                    self._all_ops.append(op)
        tag_raw = {t["name"]: t for t in _list(self.spec.raw.get("tags"))
                   if isinstance(t, dict) and isinstance(t.get("name"), str)}
        resources = []
        for tag, ops in by_tag.items():
            if not ops:
                continue
            conversation = None
            raw_conv = tag_raw.get(tag, {}).get("x-sdk-conversation")
            if raw_conv is not None:
                index = list(tag_raw).index(tag)
                conversation = self.guarded("conversation", f"#/tags/{index}/x-sdk-conversation",
                                            partial(self.conversation, raw_conv, ops, f"#/tags/{index}/x-sdk-conversation"))
            resources.append(Resource(tag=tag, name=Names.of(tag_names.get(tag, tag)).model_copy(update={"original": tag}),
                                      description=_prose(tag_docs.get(tag, "")), operations=ops,
                                      conversation=conversation))
        return resources

    def conversation(self, raw: Any, ops: list[Operation], loc: str) -> Conversation:
        """`x-sdk-conversation` on a tag: the session operations a conversation object drives."""
        if not isinstance(raw, dict):
            raise _Skip("x-sdk-conversation must be an object", loc)
        by_id = {o.operation_id: o for o in ops if o.variant != "stream"}
        streams = {o.operation_id: o for o in ops if o.result.kind == "stream"}

        def op(key: str, required: bool, pool: dict[str, Operation] | None = None) -> Operation | None:
            value = raw.get(key)
            if value is None:
                if required:
                    raise _Skip(f"x-sdk-conversation needs `{key}` (an operationId of this tag)", f"{loc}/{key}")
                return None
            found = (pool or by_id).get(value) if isinstance(value, str) else None
            if found is None:
                raise _Skip(f"x-sdk-conversation.{key}: {value!r} is not an operation of this tag", f"{loc}/{key}")
            return found

        create, send, history = op("create", True), op("send", True), op("history", True)
        stream, get, delete = op("stream", False, streams), op("get", False), op("delete", False)
        assert create and send and history
        session_param = raw.get("session_param")
        text_field = raw.get("text_field")
        if not isinstance(session_param, str) or not isinstance(text_field, str):
            raise _Skip("x-sdk-conversation needs `session_param` and `text_field` (names)", loc)
        for name, o in (("send", send), ("stream", stream), ("history", history), ("get", get), ("delete", delete)):
            if o is not None and session_param not in {p.wire_name for p in o.path_params}:
                raise _Skip(f"x-sdk-conversation.{name}: {o.operation_id!r} has no path parameter {session_param!r}",
                            f"{loc}/{name}")
        for name, o in (("send", send), ("stream", stream)):
            if o is not None and text_field not in {f.wire_name for f in (o.body.fields if o.body else [])}:
                raise _Skip(f"x-sdk-conversation.{name}: {o.operation_id!r} has no body field {text_field!r}",
                            f"{loc}/{name}")
        if send.result.kind != "model":
            raise _Skip(f"x-sdk-conversation.send: {send.operation_id!r} must answer a JSON object", f"{loc}/send")
        if history.result.kind != "page":
            raise _Skip(f"x-sdk-conversation.history: {history.operation_id!r} must be a paginated list",
                        f"{loc}/history")
        id_field = raw.get("session_id_field", "id")
        created = create.result.type.ref if create.result.type is not None else None
        if created not in self.models or id_field not in {f.wire_name for f in self.models[created].fields}:
            raise _Skip(f"x-sdk-conversation.create: its result has no field {id_field!r}", f"{loc}/create")
        item = history.result.type.ref if history.result.type is not None else None
        message_fields = {f.wire_name for f in self.models[item].fields} if item in self.models else set()
        usage = raw.get("usage_fields", {})
        cost = raw.get("cost_field")
        if not isinstance(usage, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in usage.items()):
            raise _Skip("x-sdk-conversation.usage_fields maps counter names to message fields", f"{loc}/usage_fields")
        for field in [*usage.values(), *([cost] if cost else [])]:
            if field not in message_fields:
                raise _Skip(f"x-sdk-conversation: the messages of {history.operation_id!r} have no field {field!r}", loc)
        names = {"open": raw.get("method", "conversation"), "load": raw.get("load_method", "load")}
        taken = {o.name.snake for o in ops}
        for key, value in names.items():
            if not isinstance(value, str) or not value.strip():
                raise _Skip(f"x-sdk-conversation: the {key} method needs a name", loc)
            if naming.snake(value) in taken:
                raise _Skip(f"x-sdk-conversation: method {value!r} collides with an operation of this tag; "
                            "set `method`/`load_method`", loc)
        return Conversation(
            open_method=Names.of(names["open"]), load_method=Names.of(names["load"]),
            create=create.key, send=send.key, stream=stream.key if stream else None, history=history.key,
            get=get.key if get else None, delete=delete.key if delete else None,
            session_param=session_param, session_id_field=id_field, text_field=text_field,
            create_fields=[f.wire_name for f in (create.body.fields if create.body else [])],
            usage_fields=dict(usage), cost_field=cost, source=loc,
        )

    # -- auth ------------------------------------------------------------------------------
    def build_auth(self, env_prefix: str) -> None:
        """Every security scheme the SDKs can send, in spec order. The client's credential
        options: the first scheme by kind (apiKey, then bearer, then OAuth2/OpenID) is
        `api_key` / `<PREFIX>_API_KEY`; basic is `basic_auth` / `<PREFIX>_USERNAME` and
        `_PASSWORD`; any other is named after its key (`<PREFIX>_<KEY>`)."""
        schemes = _dict(_dict(self.spec.raw.get("components")).get("securitySchemes"))
        found: list[tuple[str, str, str, str, str, str | None, str, str]] = []
        for key, raw in schemes.items():
            key = str(key)
            loc = pointer("components", "securitySchemes", key)

            def one(key: str = key, raw: Any = raw, loc: str = loc) -> tuple[Any, ...]:
                s, sloc = self._deref(raw, loc)
                if not isinstance(s, dict):
                    raise _Skip("security scheme is not an object", loc)
                t = s.get("type")
                location, param, prefix = "header", "Authorization", ""
                if t == "apiKey":
                    if s.get("in") not in ("header", "query", "cookie") or not isinstance(s.get("name"), str):
                        raise _Skip("an apiKey scheme needs `in` (header, query or cookie) and `name`", loc)
                    kind, location, param = "api_key", s["in"], s["name"]
                elif t == "http" and str(s.get("scheme", "")).lower() == "bearer":
                    kind, prefix = "bearer", "Bearer "
                elif t == "http" and str(s.get("scheme", "")).lower() == "basic":
                    kind, prefix = "basic", "Basic "
                elif t == "oauth2":
                    kind, prefix = "oauth2", "Bearer "
                    self.note("OAuth2: the SDKs send a bearer token the caller obtains (no token flow)", loc)
                elif t == "openIdConnect":
                    kind, prefix = "openid", "Bearer "
                    self.note("OpenID Connect: the SDKs send a bearer token the caller obtains", loc)
                elif t == "mutualTLS":
                    kind, location, param = "mutual_tls", "transport", ""
                    self.note("mutual TLS: the caller gives the SDK an HTTP client with its certificate", loc)
                else:
                    raise _Skip(f"security scheme of type {t!r}"
                                + (f" (scheme {s.get('scheme')!r})" if t == "http" else "") + " is not supported", loc)
                bearer = s.get("bearerFormat") if isinstance(s.get("bearerFormat"), str) else None
                return key, kind, location, param, prefix, bearer, _prose(s.get("description", "")), sloc

            got = self.guarded("auth", loc, one)
            if got is not None:
                found.append(got)
        order = {"api_key": 0, "bearer": 1, "oauth2": 2, "openid": 3}
        first_key = min((f for f in found if f[1] in order), key=lambda f: order[f[1]], default=None)
        first_basic = next((f for f in found if f[1] == "basic"), None)
        used_env: set[str] = set()

        def env_name(wanted: str) -> str:
            name, n = wanted, 2
            while name in used_env:
                name, n = f"{wanted}_{n}", n + 1
            used_env.add(name)
            return name

        plan = sorted(found, key=lambda f: (f is not first_key and f is not first_basic, found.index(f)))
        made: dict[str, AuthScheme] = {}
        for key, kind, location, param, prefix, bearer, description, sloc in plan:
            if (key, kind) == (first_key[0], first_key[1]) if first_key else False:
                option, env = Names.of("api_key"), [env_name(f"{env_prefix}_API_KEY")]
            elif first_basic is not None and key == first_basic[0]:
                option, env = Names.of("basic_auth"), [env_name(f"{env_prefix}_USERNAME"), env_name(f"{env_prefix}_PASSWORD")]
            elif kind == "mutual_tls":
                option, env = Names.of(key), []
            elif kind == "basic":
                option = Names.of(key)
                env = [env_name(f"{env_prefix}_{naming.constant(key)}_USERNAME"), env_name(f"{env_prefix}_{naming.constant(key)}_PASSWORD")]
            else:
                option, env = Names.of(key), [env_name(f"{env_prefix}_{naming.constant(key)}")]
            made[key] = AuthScheme(key=key, name=option, kind=kind, location=location, param=param,  # type: ignore[arg-type]
                                   prefix=prefix, bearer_format=bearer, env=env, description=description, source=sloc)
        self.auth = [made[f[0]] for f in found]

    def sdk_info(self) -> SdkInfo:
        info = _dict(self.spec.raw.get("info"))
        x = _dict(info.get("x-sdk"))
        title = str(info.get("title", "API"))
        name = str(x.get("name") or naming.pascal(title.replace(" API", "")))
        env = x.get("envelope")
        if env is not None and env not in ("data", "none"):
            self.error("info.x-sdk.envelope must be `data` or `none`", "#/info/x-sdk/envelope")
            env = None
        self._default_envelope = env
        env_prefix = str(x.get("env_prefix") or naming.constant(name))
        if not re.fullmatch(r"[A-Z][A-Z0-9_]*", env_prefix):
            fixed = naming.constant(env_prefix)
            fixed = fixed if fixed[:1].isalpha() else "SDK_" + fixed
            self.note(f"x-sdk env_prefix {env_prefix!r} is not usable in environment variable names; it is {fixed!r}",
                      "#/info/x-sdk/env_prefix")
            env_prefix = fixed
        self.build_auth(env_prefix)
        auth = next((a.param for a in self.auth if a.kind == "api_key" and a.location == "header"), None)
        if not self.auth:
            if _dict(_dict(self.spec.raw.get("components")).get("securitySchemes")):
                self.warn("no security scheme the SDKs can send: the SDKs send no credentials", "#/components/securitySchemes")
            else:
                self.warn("no security scheme: the SDKs send no credentials", "#/components/securitySchemes")
        servers = [s for s in _list(self.spec.raw.get("servers")) if isinstance(s, dict)] or [{"url": "http://localhost"}]
        base = str(x.get("default_base_url") or servers[0].get("url", "http://localhost"))
        if any(c.isspace() or unicodedata.category(c).startswith("C") for c in base):
            base = "".join(c for c in base if not (c.isspace() or unicodedata.category(c).startswith("C")))
            self.warn("the server URL holds white space or control characters; they are removed", "#/servers/0/url")
        slug = naming.snake(name)

        def checked(key: str, value: str, ok: Callable[[str], bool], fix: Callable[[str], str]) -> str:
            if ok(value):
                return value
            fixed = fix(value)
            self.note(f"x-sdk {key} {value!r} is not usable as one; it is {fixed!r}", f"#/info/x-sdk/{key}")
            return fixed

        python_package = checked("python_package", str(x.get("python_package") or slug),
                                 lambda v: naming.is_python_ident(v) and v == v.lower(), lambda v: naming.python_ident(v))
        npm_package = checked("npm_package", str(x.get("npm_package") or slug.replace("_", "-")),
                              lambda v: bool(NPM_NAME.match(v)), _npm_name)
        go_module = checked("go_module", str(x.get("go_module") or f"example.com/{slug}"),
                            lambda v: bool(GO_MODULE.match(v)), lambda v: "/".join(
                                p for p in (re.sub(r"[^A-Za-z0-9._~-]+", "-", part).strip("-") for part in v.split("/")) if p)
                            or "example.com/sdk")
        go_package = checked("go_package", str(x.get("go_package") or slug.replace("_", "")),
                             lambda v: bool(re.fullmatch(r"[a-z][a-z0-9]*", v)) and v not in naming.GO_KEYWORDS,
                             lambda v: (re.sub(r"[^a-z0-9]", "", naming.snake(v)) or "sdk").lstrip("0123456789") or "sdk")
        version = checked("version", str(x.get("version", "0.1.0")),
                          lambda v: bool(re.fullmatch(r"[0-9A-Za-z][0-9A-Za-z.+-]*", v)), lambda v: "0.1.0")
        lic = _dict(info.get("license"))
        license_id = lic.get("identifier") or lic.get("name")
        if license_id is not None and not (isinstance(license_id, str) and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.+-]*", license_id)):
            self.note("info.license is not an SPDX identifier; the packages name no license", "#/info/license")
            license_id = None
        repository = x.get("repository")
        if repository is not None and not (isinstance(repository, str) and re.fullmatch(r"https://[^\s\"'<>`\\]+", repository)):
            self.note("x-sdk repository must be an https URL; the packages name none", "#/info/x-sdk/repository")
            repository = None
        return SdkInfo(
            name=Names.of(name),
            title=title,
            api_version=str(info.get("version", "0")),
            version=version,
            slug=str(re.sub(r"[^a-z0-9]", "", str(x.get("slug") or name).lower()) or "sdk"),
            description=_prose(info.get("summary") or info.get("description", "")),
            env_prefix=env_prefix,
            default_base_url=base.rstrip("/"),
            auth_header=auth,
            python_package=python_package,
            npm_package=npm_package,
            go_module=go_module,
            go_package=go_package,
            openapi=str(self.spec.raw.get("openapi", "")),
            license=license_id,
            repository=repository,
        )

    # -- visibility and recursion ------------------------------------------------------------
    @staticmethod
    def _refs(t: TypeRef | None) -> Iterator[str]:
        if t is None:
            return
        if t.kind in ("model", "enum") and t.ref:
            yield t.ref
        if t.union:
            yield t.union
        yield from _Builder._refs(t.items)
        yield from _Builder._refs(t.values)

    def finish_models(self, resources: list[Resource]) -> None:
        """Visibility and recursion. A model with a role (envelope, request body, event data,
        event frame) is internal unless a public value can hold it: it is reachable from what
        the SDK's methods and events take and return (parameters, body fields, results, error
        bodies, event fields) or from a model without a role, through fields, additional
        properties and union variants."""
        graph: dict[str, set[str]] = {}
        for name, m in self.models.items():
            graph[name] = {r for f in m.fields for r in self._refs(f.type)} | set(self._refs(m.additional_properties))
        for name, u in self.unions.items():
            graph[name] = {r for v in u.variants for r in self._refs(v.type)}
        roots: set[str] = set()
        for r in resources:
            for op in r.operations:
                for p in op.path_params + op.query_params + op.header_params + op.cookie_params:
                    roots.update(self._refs(p.type))
                if op.body:
                    for f in op.body.fields:
                        roots.update(self._refs(f.type))
                    if not op.body.schema_name:
                        roots.update(self._refs(op.body.type))
                for t in op.error_bodies.values():
                    roots.update(self._refs(t))
                if op.result.kind in ("model", "page") and not (op.result.envelope and op.result.wrapped
                                                                and op.result.type and op.result.type.ref == op.result.envelope):
                    roots.update(self._refs(op.result.type))
        for s in self.streams.values():
            for e in s.events:
                for f in e.fields:
                    roots.update(self._refs(f.type))
                if e.data_schema is None:
                    roots.update(self._refs(e.data_type))
        for t in self.aliases.values():
            roots.update(self._refs(t))
        for name, m in self.models.items():
            if not (m.is_envelope or m.is_request_body or m.is_event_data or m.is_event_frame):
                roots.add(name)
        reachable: set[str] = set()
        todo = list(roots)
        while todo:
            n = todo.pop()
            if n in reachable:
                continue
            reachable.add(n)
            todo.extend(graph.get(n, ()))
        recursive = {n for n in graph if self._reaches(graph, n, n)}
        for name, m in list(self.models.items()):
            roles = [r for r, flag in (("envelope", m.is_envelope), ("request_body", m.is_request_body),
                                       ("event_data", m.is_event_data), ("event_frame", m.is_event_frame)) if flag]
            internal = bool(roles) and name not in reachable
            self.models[name] = m.model_copy(update={
                "roles": roles or ["model"], "visibility": "internal" if internal else "public",
                "recursive": name in recursive,
            })

    @staticmethod
    def _reaches(graph: dict[str, set[str]], start: str, goal: str) -> bool:
        seen: set[str] = set()
        todo = list(graph.get(start, ()))
        while todo:
            n = todo.pop()
            if n == goal:
                return True
            if n in seen:
                continue
            seen.add(n)
            todo.extend(graph.get(n, ()))
        return False

    # -- build ------------------------------------------------------------------------------
    def build(self) -> IR:
        sdk = self.sdk_info()
        self.build_models()
        resources = self.build_resources()
        self.build_leftover_unions()
        self.decide_streams()
        self.finish_models(resources)
        from .resolve import resolve_names  # the naming pass, in its own module

        ir = IR(
            sdk=sdk,
            resources=resources,
            models=dict(sorted(self.models.items())),
            enums=dict(sorted(self.enums.items())),
            streams=dict(sorted(self.streams.items())),
            unions=dict(sorted(self.unions.items())),
            aliases=dict(sorted((k, v) for k, v in self.aliases.items()
                                if k not in self.models and k not in self.enums and k not in self.unions)),
            auth=self.auth,
            diagnostics=[],
            spec_sha256=self.spec.sha256,
        )
        components = {str(n): i for i, n in enumerate(self.spec.schemas)}
        order = {name: components.get(name, len(components) + self._order.get(name, 0))
                 for name in (*self.models, *self.enums, *self.unions)}
        ir, notes = resolve_names(ir, order)
        return ir.model_copy(update={"diagnostics": self.diagnostics + notes})


def without_validation_compositions(raw: dict[str, Any]) -> dict[str, Any]:
    """A copy of a spec document as the IR reads its models: every `anyOf`/`oneOf` that sits
    beside an object schema's own `properties` (a validation-only constraint, see
    `_Builder._is_model_schema`) removed. Tools that would read such a schema as a union
    (openapi-python-client) are given this copy, so they see the models the IR sees."""

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(x) for x in node]
        if not isinstance(node, dict):
            return node
        out = {k: walk(v) for k, v in node.items()}
        if _Builder._is_model_schema(out):
            out.pop("anyOf", None)
            out.pop("oneOf", None)
        return out

    result: dict[str, Any] = walk(raw)
    return result


def _npm_name(value: str) -> str:
    scope, _, name = value.partition("/") if value.startswith("@") else ("", "", value)

    def clean(part: str) -> str:
        return re.sub(r"[^a-z0-9._~-]+", "-", part.lower()).strip("-._") or "sdk"

    return (f"@{clean(scope[1:])}/" if scope else "") + clean(name)


def build_ir(spec: Spec) -> IR:
    return _Builder(spec).build()


def build_ir_from_path(path: str) -> IR:
    return build_ir(load_spec(path))
