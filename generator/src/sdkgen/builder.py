"""Layer 2: turn a loaded spec into the IR.

Problems are collected as `Diagnostic`s with the spec location; a bad piece
(one schema, one operation, one event) is skipped and the rest is built.
"""

from __future__ import annotations

import re
from typing import Any

from . import naming
from .ir import (
    IR,
    Body,
    Diagnostic,
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
    SdkInfo,
    TypeRef,
)
from .spec import Spec, load_spec, pointer

__all__ = ["build_ir", "build_ir_from_path", "without_validation_compositions"]

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
SCHEMA_REF = "#/components/schemas/"
CONSTRAINT_KEYS = (
    "minLength", "maxLength", "pattern", "minimum", "maximum", "exclusiveMinimum",
    "exclusiveMaximum", "minItems", "maxItems", "minProperties", "maxProperties", "enum",
)


def _constraints(schema: Any) -> dict[str, Any]:
    """The validation keywords of a schema (minLength, maximum, enum...)."""
    return {k: schema[k] for k in CONSTRAINT_KEYS if isinstance(schema, dict) and k in schema}


def _prose(text: Any) -> str:
    """A spec description on one line: runs of white space folded to one space."""
    return " ".join(str(text or "").split())


class _Skip(Exception):
    """Raised inside the builder to abandon one piece; carries its diagnostic."""

    def __init__(self, message: str, location: str) -> None:
        super().__init__(message)
        self.diagnostic = Diagnostic(severity="error", message=message, location=location)


class _Builder:
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.diagnostics: list[Diagnostic] = list(spec.diagnostics)
        self.models: dict[str, Model] = {}
        self.enums: dict[str, Enum] = {}
        self.streams: dict[str, EventStream] = {}
        self._building: set[str] = set()

    # -- diagnostics ---------------------------------------------------------------
    def warn(self, message: str, location: str) -> None:
        self.diagnostics.append(Diagnostic(severity="warning", message=message, location=location))

    def error(self, message: str, location: str) -> None:
        self.diagnostics.append(Diagnostic(severity="error", message=message, location=location))

    # -- schemas -------------------------------------------------------------------
    @staticmethod
    def _ref_name(ref: str, loc: str) -> str:
        if not ref.startswith(SCHEMA_REF):
            raise _Skip(f"unsupported schema reference {ref!r} (only {SCHEMA_REF}* is supported)", loc)
        return ref[len(SCHEMA_REF):]

    def _schema(self, name: str, loc: str) -> dict[str, Any]:
        schemas = self.spec.schemas
        if name not in schemas:
            raise _Skip(f"reference to unknown schema {name!r}", loc)
        schema = schemas[name]
        if not isinstance(schema, dict):
            raise _Skip(f"schema {name!r} is not an object", loc)
        return schema

    @staticmethod
    def _types(schema: dict[str, Any]) -> tuple[list[str], bool]:
        t = schema.get("type")
        types = [t] if isinstance(t, str) else list(t or [])
        nullable = "null" in types or bool(schema.get("nullable"))
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

    def type_of(self, schema: Any, loc: str, context: str) -> TypeRef:
        """The TypeRef of a schema; `context` names inline models (Parent + Prop)."""
        if not isinstance(schema, dict):
            raise _Skip("schema is not an object", loc)
        if "$ref" in schema:
            name = self._ref_name(schema["$ref"], loc)
            target = self._schema(name, loc)
            tref = self._named_type(name, target, pointer("components", "schemas", name))
            extra_null = bool(schema.get("nullable"))
            return tref.model_copy(update={"nullable": tref.nullable or extra_null})
        for key in ("oneOf", "anyOf"):
            if key in schema and not self._is_model_schema(schema):
                variants = schema[key]
                non_null = [v for v in variants if not (isinstance(v, dict) and v.get("type") == "null")]
                if len(non_null) == 1 and len(non_null) < len(variants):
                    inner = self.type_of(non_null[0], f"{loc}/{key}/0", context)
                    return inner.model_copy(update={"nullable": True})
                self.warn(f"{key} with {len(non_null)} variants is typed as 'any'", loc)
                return TypeRef(kind="any", nullable=len(non_null) < len(variants))
        if "allOf" in schema and len(schema["allOf"]) == 1 and set(schema) <= {"allOf", "description"}:
            return self.type_of(schema["allOf"][0], f"{loc}/allOf/0", context)
        types, nullable = self._types(schema)
        if "const" in schema:
            const = schema["const"]
            kind = {bool: "boolean", int: "integer", float: "number", str: "string"}.get(type(const), "any")
            return TypeRef(kind=kind, const=const, nullable=nullable)  # type: ignore[arg-type]
        if len(types) > 1:
            self.warn(f"a value of several types {types} is typed as 'any'", loc)
            return TypeRef(kind="any", nullable=nullable)
        t = types[0] if types else ("object" if self._is_object(schema) else None)
        if t in ("string", "integer", "number", "boolean"):
            return TypeRef(kind=t, format=schema.get("format"), nullable=nullable)  # type: ignore[arg-type]
        if t == "array":
            items = schema.get("items", {})
            return TypeRef(kind="array", nullable=nullable, items=self.type_of(items, f"{loc}/items", context + "Item"))
        if t == "object":
            if schema.get("properties") or schema.get("allOf"):
                model = self.model_of(context, schema, loc)
                return TypeRef(kind="model", ref=model.schema_name, nullable=nullable)
            ap = schema.get("additionalProperties", True)
            values = self.type_of(ap, f"{loc}/additionalProperties", context + "Value") if isinstance(ap, dict) else TypeRef(kind="any")
            return TypeRef(kind="map", values=values, nullable=nullable)
        return TypeRef(kind="any", nullable=nullable)

    def _named_type(self, name: str, schema: dict[str, Any], loc: str) -> TypeRef:
        types, nullable = self._types(schema)
        if "enum" in schema and types and types[0] in ("string", "integer"):
            self.enum_of(name, schema, loc)
            return TypeRef(kind="enum", ref=name, nullable=nullable)
        if "oneOf" in schema and "discriminator" in schema and not self._is_model_schema(schema):
            return TypeRef(kind="any", nullable=nullable)  # event unions are handled as streams
        if self._is_object(schema) and (schema.get("properties") or schema.get("allOf")):
            self.model_of(name, schema, loc)
            return TypeRef(kind="model", ref=name, nullable=nullable)
        return self.type_of(schema, loc, name)

    def enum_of(self, name: str, schema: dict[str, Any], loc: str) -> Enum:
        if name in self.enums:
            return self.enums[name]
        types, _ = self._types(schema)
        values = []
        for v in schema["enum"]:
            if v is None:
                continue
            label = str(v) if not isinstance(v, int) else ("minus_" + str(-v) if v < 0 else "value_" + str(v))
            values.append(EnumValue(value=v, name=Names.of(label)))
        enum = Enum(schema_name=name, name=Names.of(name), description=schema.get("description", ""),
                    kind=types[0], values=values)  # type: ignore[arg-type]
        self.enums[name] = enum
        return enum

    def _field(self, owner: str, prop: str, pschema: dict[str, Any], required: bool, loc: str) -> Field:
        tref = self.type_of(pschema, loc, owner + naming.pascal(prop))
        constraints = _constraints(pschema)
        description = pschema.get("description", "") if isinstance(pschema, dict) else ""
        if not description and isinstance(pschema, dict) and "$ref" in pschema:
            target = self.spec.schemas.get(pschema["$ref"][len(SCHEMA_REF):], {})
            description = target.get("description", "") if isinstance(target, dict) else ""
        aliases = pschema.get("x-sdk-aliases", []) if isinstance(pschema, dict) else []
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
        return Field(
            name=Names.of(prop),
            wire_name=prop,
            type=tref,
            required=required,
            description=_prose(description),
            default=pschema.get("default") if isinstance(pschema, dict) else None,
            has_default=isinstance(pschema, dict) and "default" in pschema,
            constraints=constraints,
            aliases=list(aliases),
            text_keys=list(text_keys),
        )

    def _collect_fields(self, name: str, schema: dict[str, Any], loc: str, bases: list[str]) -> list[Field]:
        fields: dict[str, Field] = {}
        for i, part in enumerate(schema.get("allOf", []) or []):
            ploc = f"{loc}/allOf/{i}"
            if isinstance(part, dict) and "$ref" in part:
                base = self._ref_name(part["$ref"], ploc)
                bases.append(base)
                base_model = self.model_of(base, self._schema(base, ploc), pointer("components", "schemas", base))
                for f in base_model.fields:
                    fields[f.wire_name] = f
            elif isinstance(part, dict):
                for f in self._collect_fields(name, part, ploc, []):
                    fields[f.wire_name] = f
            else:
                raise _Skip("allOf member is not a schema", ploc)
        required = set(schema.get("required", []) or [])
        for prop, pschema in (schema.get("properties") or {}).items():
            try:
                fields[prop] = self._field(name, prop, pschema, prop in required, f"{loc}/properties/{prop}")
            except _Skip as skip:
                self.diagnostics.append(skip.diagnostic)
        # `required` may name inherited properties too.
        for prop in required & fields.keys():
            if not fields[prop].required:
                fields[prop] = fields[prop].model_copy(update={"required": True})
        return list(fields.values())

    def model_of(self, name: str, schema: dict[str, Any], loc: str) -> Model:
        if name in self.models:
            return self.models[name]
        if name in self._building:
            raise _Skip(f"recursive schema {name!r} is not supported", loc)
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
                name=Names.of(name),
                description=_prose(schema.get("description", "")),
                fields=fields,
                bases=bases,
                additional_properties=additional,
                flatten=flatten,
            )
            self.models[name] = model
            return model
        finally:
            self._building.discard(name)

    def mark(self, name: str, **flags: bool) -> None:
        if name in self.models:
            self.models[name] = self.models[name].model_copy(update=flags)

    def build_models(self) -> None:
        for name, schema in self.spec.schemas.items():
            loc = pointer("components", "schemas", name)
            try:
                if not isinstance(schema, dict):
                    raise _Skip(f"schema {name!r} is not an object", loc)
                if "oneOf" in schema and "discriminator" in schema:
                    continue  # an event union: built by build_stream when an operation streams it
                self._named_type(name, schema, loc)
            except _Skip as skip:
                self.diagnostics.append(skip.diagnostic)

    # -- streams -------------------------------------------------------------------
    def build_stream(self, name: str, loc: str) -> EventStream:
        if name in self.streams:
            return self.streams[name]
        schema = self._schema(name, loc)
        sloc = pointer("components", "schemas", name)
        disc = schema.get("discriminator", {}) or {}
        prop = disc.get("propertyName")
        if "oneOf" not in schema or not prop:
            raise _Skip("an event-stream schema must be a oneOf of event envelopes with a discriminator", sloc)
        mapping = {v: k for k, v in (disc.get("mapping") or {}).items()}
        terminal = schema.get("x-terminal-events")
        if not isinstance(terminal, list) or not terminal:
            self.warn("no x-terminal-events: a stream can never be seen to end cleanly", sloc)
            terminal = []
        events: list[EventType] = []
        for i, variant in enumerate(schema["oneOf"]):
            vloc = f"{sloc}/oneOf/{i}"
            try:
                if not isinstance(variant, dict) or "$ref" not in variant:
                    raise _Skip("event envelopes must be $refs to named schemas", vloc)
                frame_name = self._ref_name(variant["$ref"], vloc)
                frame = self._schema(frame_name, vloc)
                floc = pointer("components", "schemas", frame_name)
                props = frame.get("properties") or {}
                ev = (props.get(prop) or {}).get("const") or mapping.get(variant["$ref"])
                if not isinstance(ev, str):
                    raise _Skip(f"event envelope {frame_name!r} names no event (const `{prop}` or a mapping)", floc)
                data = props.get("data")
                if not isinstance(data, dict) or "$ref" not in data:
                    raise _Skip(f"event envelope {frame_name!r} needs `data` as a $ref to an object schema", floc)
                data_name = self._ref_name(data["$ref"], f"{floc}/properties/data")
                data_model = self.model_of(data_name, self._schema(data_name, floc), pointer("components", "schemas", data_name))
                self.mark(data_name, is_event_data=True)
                self.mark(frame_name, is_event_frame=True)
                events.append(
                    EventType(
                        event=ev,
                        name=Names.of(naming.pascal(ev) + "Event"),
                        frame_schema=frame_name,
                        data_schema=data_name,
                        fields=data_model.fields,
                        terminal=ev in terminal,
                        description=_prose(frame.get("description", "")),
                    )
                )
            except _Skip as skip:
                self.diagnostics.append(skip.diagnostic)
        known = {e.event for e in events}
        for t in terminal:
            if t not in known:
                self.error(f"x-terminal-events names {t!r}, which is not an event of the stream", sloc)
        reserved = {"unknown"}
        for e in events:
            if e.event in reserved:
                self.error(f"event name {e.event!r} collides with the SDKs' UnknownEvent", sloc)
        stream = EventStream(
            schema_name=name,
            name=Names.of(name),
            description=_prose(schema.get("description", "")),
            discriminator=prop,
            events=[e for e in events if e.event not in reserved],
        )
        self.streams[name] = stream
        return stream

    # -- operations ----------------------------------------------------------------
    def parameter(self, raw: Any, loc: str, pagination: dict[str, Any] | None) -> Parameter:
        p = self.spec.deref(raw)
        if not isinstance(p, dict) or "name" not in p or "in" not in p:
            raise _Skip("parameter needs `name` and `in`", loc)
        where = p["in"]
        if where not in ("path", "query", "header"):
            raise _Skip(f"parameters in {where!r} are not supported", loc)
        wire = p["name"]
        role = "plain"
        lowered = wire.lower()
        if where == "header" and lowered == "idempotency-key":
            role = "idempotency_key"
        elif where == "header" and lowered == "last-event-id":
            role = "last_event_id"
        elif where == "query" and pagination and wire == pagination.get("page_param"):
            role = "page"
        elif where == "query" and pagination and wire == pagination.get("limit_param"):
            role = "limit"
        schema = p.get("schema", {"type": "string"})
        return Parameter(
            name=Names.of(wire),
            wire_name=wire,
            location=where,
            required=bool(p.get("required", where == "path")),
            type=self.type_of(schema, f"{loc}/schema", naming.pascal(wire)),
            description=_prose(p.get("description", "")),
            default=schema.get("default") if isinstance(schema, dict) else None,
            has_default=isinstance(schema, dict) and "default" in schema,
            role=role,  # type: ignore[arg-type]
            constraints=_constraints(schema),
        )

    def result(self, op: dict[str, Any], loc: str, paginated: bool) -> tuple[Result, list[int]]:
        responses = op.get("responses") or {}
        success = sorted(code for code in responses if str(code).isdigit() and 200 <= int(code) < 300)
        errors = sorted(int(code) for code in responses if str(code).isdigit() and int(code) >= 400)
        if not success:
            raise _Skip("operation has no 2xx response", f"{loc}/responses")
        code = success[0]
        rloc = f"{loc}/responses/{code}"
        resp = self.spec.deref(responses[code])
        content = (resp or {}).get("content") or {}
        description = _prose(resp.get("description", ""))
        if not content:
            return Result(kind="none", status=int(code), description=description), errors
        if "text/event-stream" in content:
            schema = content["text/event-stream"].get("schema") or {}
            if "$ref" not in schema:
                raise _Skip("a text/event-stream response must $ref a named oneOf of event envelopes", rloc)
            stream = self.build_stream(self._ref_name(schema["$ref"], rloc), rloc)
            return Result(kind="stream", status=int(code), description=description, stream=stream.schema_name), errors
        json_ct = next((ct for ct in content if ct == "application/json" or ct.endswith("+json")), None)
        if json_ct is None:
            raise _Skip(f"unsupported response content types {sorted(content)}", rloc)
        schema = content[json_ct].get("schema") or {}
        if "$ref" not in schema:
            raise _Skip("a JSON response must $ref a named schema", f"{rloc}/content/{json_ct}/schema")
        env_name = self._ref_name(schema["$ref"], rloc)
        env_schema = self._schema(env_name, rloc)
        props = env_schema.get("properties") or {}
        data = props.get("data")
        if isinstance(data, dict) and (set(props) <= {"data", "meta"}):
            envelope_model = self.model_of(env_name, env_schema, pointer("components", "schemas", env_name))
            self.mark(env_name, is_envelope=True)
            data_field = next(f for f in envelope_model.fields if f.wire_name == "data")
            if data_field.type.kind == "array" and "meta" in props:
                meta_ref = props["meta"].get("$ref", "") if isinstance(props["meta"], dict) else ""
                return (
                    Result(kind="page" if paginated else "model", status=int(code), description=description,
                           envelope=env_name, unwrap=None if not paginated else "data",
                           type=data_field.type.items if paginated else TypeRef(kind="model", ref=env_name),
                           meta_schema=meta_ref[len(SCHEMA_REF):] if meta_ref.startswith(SCHEMA_REF) else None),
                    errors,
                )
            return Result(kind="model", status=int(code), description=description, envelope=env_name,
                          unwrap="data", type=data_field.type), errors
        tref = self._named_type(env_name, env_schema, pointer("components", "schemas", env_name))
        return Result(kind="model", status=int(code), description=description, envelope=env_name, type=tref), errors

    def operation(self, path: str, method: str, op: dict[str, Any], path_params: list[Any]) -> Operation:
        loc = pointer("paths", path, method)
        op_id = op.get("operationId")
        if not op_id:
            raise _Skip("operation has no operationId", loc)
        tags = op.get("tags") or []
        if not tags:
            self.warn("operation has no tag; it goes to the 'default' resource", loc)
        pagination_raw = op.get("x-pagination")
        # Parameters: path-level first, operation-level overriding by (name, in).
        merged: dict[tuple[str, str], tuple[Any, str]] = {}
        for i, raw in enumerate(path_params):
            p = self.spec.deref(raw)
            merged[(p.get("name"), p.get("in"))] = (raw, f"{pointer('paths', path)}/parameters/{i}")
        for i, raw in enumerate(op.get("parameters") or []):
            p = self.spec.deref(raw)
            merged[(p.get("name"), p.get("in"))] = (raw, f"{loc}/parameters/{i}")
        names = {name for name, _ in merged}
        if pagination_raw is None and {"page", "limit"} <= names:
            pagination_raw = {"style": "page", "page_param": "page", "limit_param": "limit"}
        params: list[Parameter] = []
        for raw, ploc in merged.values():
            try:
                params.append(self.parameter(raw, ploc, pagination_raw))
            except _Skip as skip:
                self.diagnostics.append(skip.diagnostic)
        placeholders = [seg[1:-1] for seg in path.split("/") if seg.startswith("{") and seg.endswith("}")]
        path_ps = sorted((p for p in params if p.location == "path"), key=lambda p: placeholders.index(p.wire_name) if p.wire_name in placeholders else 99)
        missing = set(placeholders) - {p.wire_name for p in path_ps}
        if missing:
            raise _Skip(f"path placeholders without parameters: {sorted(missing)}", loc)
        body = None
        if "requestBody" in op:
            rb = self.spec.deref(op["requestBody"])
            content = (rb or {}).get("content") or {}
            if "application/json" not in content:
                raise _Skip(f"unsupported request content types {sorted(content)}", f"{loc}/requestBody")
            schema = content["application/json"].get("schema") or {}
            if "$ref" not in schema:
                raise _Skip("a request body must $ref a named object schema", f"{loc}/requestBody")
            body_name = self._ref_name(schema["$ref"], f"{loc}/requestBody")
            model = self.model_of(body_name, self._schema(body_name, loc), pointer("components", "schemas", body_name))
            self.mark(body_name, is_request_body=True)
            body = Body(schema_name=body_name, required=bool(rb.get("required", False)),
                        description=_prose(rb.get("description", "")), fields=model.fields)
        pagination = None
        if pagination_raw:
            pagination = Pagination(style="page", page_param=pagination_raw.get("page_param", "page"),
                                    limit_param=pagination_raw.get("limit_param", "limit"))
        result, errors = self.result(op, loc, paginated=pagination is not None)
        if pagination and result.kind != "page":
            self.warn("x-pagination on an operation whose response is not a {data: [...], meta} list", loc)
            pagination = None
        method_name = op.get("x-sdk-method") or op_id
        if body and body.schema_name.endswith("Request"):
            params_name = body.schema_name[: -len("Request")] + "Params"
        else:
            params_name = naming.pascal(op_id) + "Params"
        return Operation(
            operation_id=op_id,
            name=Names.of(method_name),
            tag=tags[0] if tags else "default",
            http_method=method,  # type: ignore[arg-type]
            path=path,
            summary=_prose(op.get("summary", "")),
            description=str(op.get("description", "")).strip(),
            deprecated=bool(op.get("deprecated", False)),
            path_params=path_ps,
            query_params=[p for p in params if p.location == "query"],
            header_params=[p for p in params if p.location == "header" and p.role != "idempotency_key"],
            body=body,
            result=result,
            error_statuses=errors,
            pagination=pagination,
            idempotent=any(p.role == "idempotency_key" for p in params),
            params_name=Names.of(params_name),
            source=loc,
        )

    def build_resources(self) -> list[Resource]:
        tag_docs = {t["name"]: t.get("description", "") for t in self.spec.raw.get("tags", []) or [] if isinstance(t, dict)}
        by_tag: dict[str, list[Operation]] = {t: [] for t in tag_docs}
        for path, item in (self.spec.raw.get("paths") or {}).items():
            if not isinstance(item, dict):
                continue
            for method in HTTP_METHODS:
                if method not in item:
                    continue
                try:
                    op = self.operation(path, method, item[method], item.get("parameters") or [])
                except _Skip as skip:
                    self.diagnostics.append(skip.diagnostic)
                    continue
                except (KeyError, TypeError, AttributeError) as exc:
                    self.error(f"cannot read operation: {exc!r}", pointer("paths", path, method))
                    continue
                ops = by_tag.setdefault(op.tag, [])
                clash = next((o for o in ops if o.name.snake == op.name.snake), None)
                if clash:
                    self.error(f"method name {op.name.snake!r} is already used by {clash.operation_id!r} in "
                               f"resource {op.tag!r}; set x-sdk-method", op.source)
                    continue
                ops.append(op)
        return [
            Resource(tag=tag, name=Names.of(tag), description=_prose(tag_docs.get(tag, "")), operations=ops)
            for tag, ops in by_tag.items()
            if ops
        ]

    def sdk_info(self) -> SdkInfo:
        info = self.spec.raw.get("info") or {}
        x = info.get("x-sdk") or {}
        title = str(info.get("title", "API"))
        name = str(x.get("name") or naming.pascal(title.replace(" API", "")))
        auth = None
        for scheme in ((self.spec.raw.get("components") or {}).get("securitySchemes") or {}).values():
            scheme = self.spec.deref(scheme)
            if scheme.get("type") == "apiKey" and scheme.get("in") == "header":
                auth = scheme.get("name")
                break
        if auth is None:
            self.warn("no apiKey-in-header security scheme: the SDKs send no credentials", "#/components/securitySchemes")
        servers = self.spec.raw.get("servers") or [{"url": "http://localhost"}]
        base = x.get("default_base_url") or servers[0].get("url", "http://localhost")
        slug = naming.snake(name)
        return SdkInfo(
            name=Names.of(name),
            title=title,
            api_version=str(info.get("version", "0")),
            version=str(x.get("version", "0.1.0")),
            slug=str(x.get("slug") or re.sub(r"[^a-z0-9]", "", name.lower()) or "sdk"),
            description=_prose(info.get("summary") or info.get("description", "")),
            env_prefix=str(x.get("env_prefix") or naming.constant(name)),
            default_base_url=str(base).rstrip("/"),
            auth_header=auth,
            python_package=str(x.get("python_package") or slug),
            npm_package=str(x.get("npm_package") or slug.replace("_", "-")),
            go_module=str(x.get("go_module") or f"example.com/{slug}"),
            go_package=str(x.get("go_package") or slug.replace("_", "")),
        )

    def build(self) -> IR:
        sdk = self.sdk_info()
        self.build_models()
        resources = self.build_resources()
        return IR(
            sdk=sdk,
            resources=resources,
            models=dict(sorted(self.models.items())),
            enums=dict(sorted(self.enums.items())),
            streams=dict(sorted(self.streams.items())),
            diagnostics=self.diagnostics,
            spec_sha256=self.spec.sha256,
        )


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


def build_ir(spec: Spec) -> IR:
    return _Builder(spec).build()


def build_ir_from_path(path: str) -> IR:
    return build_ir(load_spec(path))
