"""JSON pointers into a spec for what the IR describes (the IR keeps names, not places)."""

from __future__ import annotations

from typing import Any

from .. import naming
from ..ir import IR, EventStream, EventType
from ..spec import Spec, pointer

__all__ = ["Locator"]

SCHEMA_REF = "#/components/schemas/"


class Locator:
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self._inline: dict[str, tuple[str, Any]] | None = None
        self._sources: dict[str, str] = {}

    def know(self, ir: IR) -> None:
        """Learn where the builder found each schema it named (models, enums, unions,
        streams carry their `source`): inline schemas are named from their place."""
        for table in (ir.models, ir.enums, ir.unions, ir.streams):
            for name, obj in table.items():
                if obj.source and self.exists(obj.source):
                    self._sources.setdefault(name, obj.source)

    def schema(self, name: str) -> str:
        """Where a schema is declared: under components, where the builder found it, or
        inline (the builder names an inline object schema <Owner><Property>, <Owner>Item
        for array items, <Owner>Value for map values)."""
        if name in (self.spec.schemas or {}):
            return pointer("components", "schemas", name)
        if name in self._sources:
            return self._sources[name]
        if name not in self._inlines():
            return pointer("components", "schemas", name)
        return self._inlines()[name][0]

    def _schema_raw(self, name: str) -> Any:
        if name in (self.spec.schemas or {}):
            return self.spec.schemas[name]
        if name in self._sources:
            return self.spec.resolve(self._sources[name])
        hit = self._inlines().get(name)
        return hit[1] if hit else None

    def _inlines(self) -> dict[str, tuple[str, Any]]:
        if self._inline is None:
            found: dict[str, tuple[str, Any]] = {}
            for name, schema in (self.spec.schemas or {}).items():
                self._walk(name, schema, pointer("components", "schemas", name), found, top=True)
            self._inline = found
        return self._inline

    def _walk(self, context: str, schema: Any, loc: str, found: dict[str, tuple[str, Any]], top: bool = False) -> None:
        if not isinstance(schema, dict) or "$ref" in schema:
            return
        if not top and (schema.get("properties") or schema.get("allOf")) and context not in found:
            found[context] = (loc, schema)
        for prop, sub in (schema.get("properties") or {}).items():
            self._walk(context + naming.pascal(prop), sub, f"{loc}/properties/{_escape(prop)}", found)
        for i, part in enumerate(schema.get("allOf") or []):
            if isinstance(part, dict) and "$ref" not in part:
                for prop, sub in (part.get("properties") or {}).items():
                    self._walk(context + naming.pascal(prop), sub, f"{loc}/allOf/{i}/properties/{_escape(prop)}", found)
        if isinstance(schema.get("items"), dict):
            self._walk(context + "Item", schema["items"], f"{loc}/items", found)
        if isinstance(schema.get("additionalProperties"), dict):
            self._walk(context + "Value", schema["additionalProperties"], f"{loc}/additionalProperties", found)
        for key in ("oneOf", "anyOf"):
            for i, part in enumerate(schema.get(key) or []):
                self._walk(context, part, f"{loc}/{key}/{i}", found)

    def property(self, schema_name: str, prop: str) -> str:
        """Where `prop` of a schema is declared: the schema itself or one of its allOf parts."""
        found = self._find_property(schema_name, self._schema_raw(schema_name), self.schema(schema_name), prop, set())
        return found or f"{self.schema(schema_name)}/properties/{_escape(prop)}"

    def _find_property(self, name: str, schema: Any, loc: str, prop: str, seen: set[str]) -> str | None:
        if not isinstance(schema, dict):
            return None
        if prop in (schema.get("properties") or {}):
            return f"{loc}/properties/{_escape(prop)}"
        for i, part in enumerate(schema.get("allOf") or []):
            if isinstance(part, dict) and isinstance(part.get("$ref"), str) and part["$ref"].startswith(SCHEMA_REF):
                base = part["$ref"][len(SCHEMA_REF) :]
                if base in seen:
                    continue
                seen.add(base)
                hit = self._find_property(base, self._schema_raw(base), self.schema(base), prop, seen)
            else:
                hit = self._find_property(name, part, f"{loc}/allOf/{i}", prop, seen)
            if hit:
                return hit
        return None

    def parameter(self, op_source: str, location: str, wire: str) -> str:
        """The pointer of a parameter entry (operation-level first, then path-level)."""
        try:
            op = self.spec.resolve(op_source)
        except (KeyError, TypeError):
            return op_source
        path_loc = op_source.rsplit("/", 1)[0]
        try:
            path_item = self.spec.resolve(path_loc)
        except (KeyError, TypeError):
            path_item = {}
        for base, holder in ((op_source, op), (path_loc, path_item)):
            for i, raw in enumerate((holder or {}).get("parameters") or []):
                try:
                    p = self.spec.deref(raw)
                except (KeyError, TypeError):
                    continue
                if isinstance(p, dict) and p.get("name") == wire and p.get("in") == location:
                    return f"{base}/parameters/{i}"
        return op_source

    def request_body(self, op_source: str) -> str:
        return f"{op_source}/requestBody"

    def response(self, op_source: str, status: int) -> str:
        return f"{op_source}/responses/{status}"

    def event(self, stream: EventStream, event: EventType) -> str:
        """Where an event is declared: the entry of its stream's union (oneOf/anyOf) that
        references its frame or data schema, else the event's own source, else the stream."""
        schema = self._schema_raw(stream.schema_name)
        wanted = {SCHEMA_REF + n for n in (event.frame_schema, event.data_schema) if n}
        if isinstance(schema, dict):
            for key in ("oneOf", "anyOf"):
                for i, variant in enumerate(schema.get(key) or []):
                    if isinstance(variant, dict) and variant.get("$ref") in wanted:
                        return f"{self.schema(stream.schema_name)}/{key}/{i}"
        for ptr in (event.source, stream.source):
            if ptr and self.exists(ptr):
                return ptr
        return self.schema(stream.schema_name)

    def enum_value(self, enum: str, value: Any) -> str:
        schema = self._schema_raw(enum)
        values = schema.get("enum") if isinstance(schema, dict) else None
        if isinstance(values, list) and value in values:
            return f"{self.schema(enum)}/enum/{values.index(value)}"
        return self.schema(enum)

    def exists(self, ptr: str) -> bool:
        """Whether a JSON pointer ("#/...") names a node of the spec."""
        try:
            self.spec.resolve(ptr)
        except (KeyError, TypeError):
            return False
        return True

    def variant(self, union_ptr: str, keyword: str, ref: str | None, index: int) -> str:
        """The `oneOf`/`anyOf` entry of a union variant: the one referencing `ref`, else
        the `index`-th (null aside), else the union itself."""
        try:
            node = self.spec.resolve(union_ptr)
        except (KeyError, TypeError, ValueError):
            return union_ptr
        parts = node.get(keyword) if isinstance(node, dict) else None
        if not isinstance(parts, list):
            return union_ptr
        if ref:
            for i, part in enumerate(parts):
                if isinstance(part, dict) and part.get("$ref") == SCHEMA_REF + ref:
                    return f"{union_ptr}/{keyword}/{i}"
        kept = [i for i, part in enumerate(parts) if not (isinstance(part, dict) and part.get("type") == "null")]
        return f"{union_ptr}/{keyword}/{kept[index]}" if index < len(kept) else union_ptr

    def info(self, *keys: str) -> str:
        """`#/info/<keys>`, or its deepest part the spec has (a setting may be derived)."""
        node: Any = self.spec.raw.get("info")
        found: list[str] = []
        for key in keys:
            if not isinstance(node, dict) or key not in node:
                break
            node = node[key]
            found.append(key)
        return pointer("info", *found)


def _escape(part: str) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")
