"""Layer 1: load an OpenAPI 3.x document, validate it, and resolve local `$ref`s.

Accepted: OpenAPI 3.0, 3.1 and 3.2, in YAML or JSON. Each is validated with
openapi-spec-validator's validator for its version. When the installed validator does not
know 3.2, a 3.2 document is validated as 3.1 with the 3.2-only keywords set aside
(`itemSchema`, `itemEncoding`, `prefixEncoding`, `additionalOperations`, `query`, tag
`parent`/`kind`/`summary`, `$self`, discriminator `defaultMapping`...), and a note says so;
a later 3.x is validated by the newest validator, with a note. Validation problems are
diagnostics (the builder still reads what it can); only a document that is not an OpenAPI
3 object at all raises `SpecError`.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from openapi_spec_validator.validation import validators as _validators

from .ir import Diagnostic

__all__ = ["Spec", "load_spec", "pointer", "SpecError", "validator_for", "as_openapi_31"]


class SpecError(Exception):
    """The document cannot be read at all (not YAML/JSON, not an OpenAPI 3 object)."""


def pointer(*parts: str | int) -> str:
    """A JSON pointer (`#/a/b~1c`) for diagnostics."""
    return "#/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


@dataclass
class Spec:
    path: Path
    raw: dict[str, Any]
    sha256: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    _ids: tuple[dict[str, str], dict[tuple[str, str], str]] | None = field(default=None, repr=False)

    def resolve(self, ref: str) -> Any:
        """Follow a local `$ref` (`#/components/...`); raises KeyError when it points at nothing."""
        if not isinstance(ref, str) or not ref.startswith("#"):
            raise KeyError(f"only local references are supported: {ref}")
        node: Any = self.raw
        if ref in ("#", "#/"):
            return node
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise KeyError(f"{ref} points at nothing")
        return node

    def deref(self, node: Any) -> Any:
        """Follow `$ref` chains of a parameter/response/requestBody/header object."""
        seen: set[str] = set()
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if ref in seen:
                raise KeyError(f"reference cycle at {ref}")
            seen.add(ref)
            node = self.resolve(ref)
        return node

    def local_pointer(self, ref: str) -> str | None:
        """A `$ref` as a local JSON pointer: itself when it starts with `#`, else looked up by
        the document's schema identifiers (JSON Schema `$id`, and `$anchor` in the fragment),
        as OpenAPI 3.1 allows; None when it names nothing in this document."""
        if ref.startswith("#"):
            return ref
        base, _, fragment = ref.partition("#")
        ids, anchors = self._identifiers()
        if base not in ids:
            return None
        where = ids[base]
        if not fragment:
            return where
        if fragment.startswith("/"):
            return where + fragment
        return anchors.get((base, fragment))

    def _identifiers(self) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
        if self._ids is None:
            ids: dict[str, str] = {}
            anchors: dict[tuple[str, str], str] = {}

            def walk(node: Any, where: str, base: str, depth: int) -> None:
                if depth > 200:
                    return
                if isinstance(node, dict):
                    if isinstance(node.get("$id"), str):
                        base = node["$id"].split("#")[0]
                        ids.setdefault(base, where)
                    if isinstance(node.get("$anchor"), str):
                        anchors.setdefault((base, node["$anchor"]), where)
                    for k, v in node.items():
                        walk(v, f"{where}/{str(k).replace('~', '~0').replace('/', '~1')}", base, depth + 1)
                elif isinstance(node, list):
                    for i, v in enumerate(node):
                        walk(v, f"{where}/{i}", base, depth + 1)

            walk(self.raw, "#", "", 0)
            self._ids = (ids, anchors)
        return self._ids

    @property
    def schemas(self) -> dict[str, Any]:
        components = self.raw.get("components")
        schemas = components.get("schemas") if isinstance(components, dict) else None
        return dict(schemas) if isinstance(schemas, dict) else {}

    @property
    def version(self) -> str:
        return str(self.raw.get("openapi", ""))


# Keywords OpenAPI 3.2 added, by where they appear; `as_openapi_31` sets them aside.
_MEDIA_32 = ("itemSchema", "itemEncoding", "prefixEncoding")
_PATH_ITEM_32 = ("query", "additionalOperations")
_TAG_32 = ("parent", "kind", "summary")
_ROOT_32 = ("$self",)
_DISCRIMINATOR_32 = ("defaultMapping",)
_SECURITY_32 = ("deprecated", "oauth2MetadataUrl")


def as_openapi_31(raw: dict[str, Any]) -> dict[str, Any]:
    """A copy of a 3.2 document that a 3.1 validator accepts: `openapi: 3.1.0`, and the
    3.2-only keywords renamed `x-oas32-<keyword>` (extensions, which 3.1 allows)."""
    doc = copy.deepcopy(raw)
    doc["openapi"] = "3.1.0"

    def rename(node: Any, keys: tuple[str, ...]) -> None:
        if isinstance(node, dict):
            for k in keys:
                if k in node:
                    node[f"x-oas32-{k.lstrip('$')}"] = node.pop(k)

    rename(doc, _ROOT_32)
    for tag in doc.get("tags") or []:
        rename(tag, _TAG_32)
    for scheme in ((doc.get("components") or {}).get("securitySchemes") or {}).values():
        rename(scheme, _SECURITY_32)

    def walk(node: Any, parent: str | None) -> None:
        if isinstance(node, dict):
            if parent == "content":
                for media in node.values():
                    rename(media, _MEDIA_32)
            if parent in ("paths", "webhooks", "pathItems"):
                for item in node.values():
                    rename(item, _PATH_ITEM_32)
            if parent != "properties" and isinstance(node.get("discriminator"), dict):
                rename(node["discriminator"], _DISCRIMINATOR_32)
            for k, v in list(node.items()):
                walk(v, k)
        elif isinstance(node, list):
            for x in node:
                walk(x, parent)

    walk(doc, None)
    return doc


def validator_for(version: str) -> tuple[Any, str | None, bool]:
    """(validator class, a note about the choice or None, whether to validate the 3.1 copy)."""
    v30 = _validators.OpenAPIV30SpecValidator
    v31 = _validators.OpenAPIV31SpecValidator
    v32 = getattr(_validators, "OpenAPIV32SpecValidator", None)
    if version.startswith("3.0"):
        return v30, None, False
    if version.startswith("3.1"):
        return v31, None, False
    if version.startswith("3.2"):
        if v32 is not None:
            return v32, None, False
        return v31, ("OpenAPI 3.2 validated as 3.1 (the installed openapi-spec-validator does not know 3.2); "
                     "3.2-only keywords such as itemSchema are read but not validated"), True
    newest = v32 or v31
    return newest, (f"OpenAPI {version} is newer than this generator knows; validated as "
                    f"{'3.2' if v32 else '3.1'}, read as far as it goes"), False


def _with_local_refs(spec: Spec, doc: dict[str, Any]) -> dict[str, Any]:
    """The document with `$ref`s to schema `$id`s/`$anchor`s rewritten as local pointers:
    the validator does not follow those; the builder does (Spec.local_pointer)."""
    found = False

    def scan(node: Any, depth: int = 0) -> None:
        nonlocal found
        if found or depth > 200:
            return
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and not ref.startswith("#"):
                found = True
                return
            for v in node.values():
                scan(v, depth + 1)
        elif isinstance(node, list):
            for v in node:
                scan(v, depth + 1)

    scan(doc)
    if not found:
        return doc

    def rewrite(node: Any, depth: int = 0) -> Any:
        if depth > 200:
            return node
        if isinstance(node, dict):
            out = {k: rewrite(v, depth + 1) for k, v in node.items() if k not in ("$id", "$anchor", "$schema", "$vocabulary")}
            ref = node.get("$ref")
            if isinstance(ref, str) and not ref.startswith("#"):
                local = spec.local_pointer(ref)
                if local is not None:
                    out["$ref"] = local
            return out
        if isinstance(node, list):
            return [rewrite(v, depth + 1) for v in node]
        return node

    result: dict[str, Any] = rewrite(doc)
    return result


def _without_surrogates(doc: Any) -> tuple[Any, bool]:
    """YAML reads `"\\ud83d\\udd25"` as two lone surrogates, which no UTF-8 output can hold:
    join the pairs, replace the rest with U+FFFD (in place, without recursion). Returns
    (document, whether anything changed)."""
    changed = False

    def fix(text: str) -> str:
        nonlocal changed
        if not any("\ud800" <= c <= "\udfff" for c in text):
            return text
        changed = True
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")

    if isinstance(doc, str):
        return fix(doc), changed
    stack: list[Any] = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for k in list(node):
                v = node[k]
                if isinstance(k, str) and fix(k) != k:
                    del node[k]
                    k = fix(k)
                    node[k] = v
                if isinstance(v, str):
                    node[k] = fix(v)
                elif isinstance(v, (dict, list)):
                    stack.append(v)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                if isinstance(v, str):
                    node[i] = fix(v)
                elif isinstance(v, (dict, list)):
                    stack.append(v)
    return doc, changed


_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: the same result, faster


def _parse(text: bytes) -> Any:
    """JSON documents through the json module (deeper nesting, faster), the rest as YAML."""
    stripped = text.lstrip()
    if stripped[:1] in (b"{", b"["):
        try:
            return json.loads(text)
        except (ValueError, UnicodeDecodeError):
            pass  # JSON-looking YAML (flow style): read as YAML below
    try:
        return yaml.load(text, Loader=_YAML_LOADER)  # a safe loader
    except yaml.YAMLError:
        if _YAML_LOADER is yaml.SafeLoader:
            raise
    # libyaml refuses some escapes PyYAML reads (a lone `\\ud83d`): read it the slow way
    return yaml.load(text, Loader=yaml.SafeLoader)


def load_spec(path: str | Path) -> Spec:
    path = Path(path)
    text = path.read_bytes()
    try:
        raw = _parse(text)
    except yaml.YAMLError as exc:
        raise SpecError(f"{path}: not valid YAML/JSON: {str(exc)[:500]}") from exc
    except RecursionError as exc:
        raise SpecError(f"{path}: nested too deeply to read") from exc
    if not isinstance(raw, dict) or not str(raw.get("openapi", "")).startswith("3."):
        raise SpecError(f"{path}: not an OpenAPI 3.x document (missing or wrong `openapi` field)")
    try:
        raw, repaired = _without_surrogates({str(k): v for k, v in raw.items()})
    except RecursionError as exc:
        raise SpecError(f"{path}: nested too deeply to read") from exc
    spec = Spec(path=path, raw=raw, sha256=hashlib.sha256(text).hexdigest())
    if repaired:
        spec.diagnostics.append(Diagnostic(
            severity="warning", location="#/",
            message="the document holds UTF-16 surrogate escapes (\\uD83D...): pairs are read as the character "
                    "they encode, unpaired ones as U+FFFD"))
    validator_cls, note, downgrade = validator_for(str(raw["openapi"]))
    if note:
        spec.diagnostics.append(Diagnostic(severity="note", message=note, location="#/openapi"))
    try:
        doc = as_openapi_31(raw) if downgrade else raw
        doc = _with_local_refs(spec, doc)
        for err in validator_cls(doc).iter_errors():
            where = pointer(*getattr(err, "path", ()) or ())
            message = str(getattr(err, "message", err)).splitlines()[0][:300]
            spec.diagnostics.append(Diagnostic(severity="error", message=f"spec validation: {message}", location=where))
    except RecursionError:
        spec.diagnostics.append(Diagnostic(severity="error", message="spec validation stopped: nested too deeply",
                                           location="#/"))
    except Exception as exc:  # noqa: BLE001 -- the validator stops at the first unresolvable $ref; the builder reports each one
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        first = first.split(" within {")[0]  # jsonschema-path quotes the whole document after it
        spec.diagnostics.append(Diagnostic(severity="error", message=f"spec validation stopped: {first[:200]}", location="#/"))
    return spec
