"""Layer 1: load an OpenAPI 3.x document, validate it, and resolve local `$ref`s."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from openapi_spec_validator.validation.validators import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

from .ir import Diagnostic

__all__ = ["Spec", "load_spec", "pointer", "SpecError"]


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

    def resolve(self, ref: str) -> Any:
        """Follow a local `$ref` (`#/components/...`)."""
        if not ref.startswith("#/"):
            raise KeyError(f"only local references are supported: {ref}")
        node: Any = self.raw
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            node = node[part]
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

    @property
    def schemas(self) -> dict[str, Any]:
        return dict(self.raw.get("components", {}).get("schemas", {}) or {})


def load_spec(path: str | Path) -> Spec:
    path = Path(path)
    text = path.read_bytes()
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SpecError(f"{path}: not valid YAML/JSON: {exc}") from exc
    if not isinstance(raw, dict) or not str(raw.get("openapi", "")).startswith("3."):
        raise SpecError(f"{path}: not an OpenAPI 3.x document (missing or wrong `openapi` field)")
    spec = Spec(path=path, raw=raw, sha256=hashlib.sha256(text).hexdigest())
    validator_cls = OpenAPIV31SpecValidator if str(raw["openapi"]).startswith("3.1") else OpenAPIV30SpecValidator
    try:
        for err in validator_cls(raw).iter_errors():
            where = pointer(*getattr(err, "path", ()) or ())
            spec.diagnostics.append(Diagnostic(severity="error", message=f"spec validation: {err.message}", location=where))
    except Exception as exc:  # the validator stops at the first unresolvable $ref; the builder reports each one
        spec.diagnostics.append(Diagnostic(severity="error", message=f"spec validation stopped: {str(exc)[:200]}", location="#/"))
    return spec
