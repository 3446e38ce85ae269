"""The contract's schemas compiled once (jsonschema_rs), so that a valid exchange costs microseconds.

openapi-core, which :mod:`promptrails_mock.validation` uses, re-resolves the
document on every call: a stream request took about 5 ms to validate, its
response head 1.4 ms, and each stream frame 130 us, which bounded the mock to a
few thousand frames a second. Here every schema the contract uses (request
bodies and parameters, response bodies and headers, ``ChatStreamFrame``) is
compiled once, at start-up, into a jsonschema_rs validator (Rust; a frame checks
in well under a microsecond), and the exchange is checked against them first:

* **valid** (the common case): done; for a request, the parameters and body are
  unmarshalled here exactly as openapi-core would (defaults applied, integers
  cast);
* **anything else** (invalid, or a shape this fast path does not handle: a
  repeated or empty parameter, an unusual path, a media type it does not know):
  openapi-core decides, as before, and its verdict and messages are the answer.

So openapi-core stays the single source of error messages, and the fast path
only ever says "valid" when openapi-core would too. For that it must not be
looser than openapi-core anywhere; a schema it cannot promise that for is left
to openapi-core alone and listed in :attr:`CompiledContract.slow` (the tests
require that list to be empty for openapi.yaml, so a spec change that would
silently slow the mock down fails them):

* formats are checked by openapi-core's own format checker (string formats only;
  ``int32``/``int64``/``float``/``double`` on numbers are not handled here);
* ``discriminator`` is handled only where each mapped schema requires the
  property to be its key (``const``), so a plain ``oneOf`` picks the same
  schema as openapi-core's discriminator;
* ``pattern`` and ``patternProperties`` (Rust and Python regex dialects differ at
  the edges), ``readOnly`` and ``writeOnly`` are not handled.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import jsonschema_rs
from openapi_schema_validator import oas31_format_checker

__all__ = ["NO_BODY", "CompiledContract", "FastRequest", "FastResponse"]

# Formats that apply to strings only, checked by openapi-core's own checker (same verdicts).
_STRING_FORMATS: tuple[str, ...] = ("date", "date-time", "email", "idn-email", "idn-hostname", "ipv4", "ipv6")
_STRING_FORMATS += ("password", "regex", "time", "uuid")
# Keys whose values are data, not schemas: not walked when looking for keywords.
_DATA_KEYS = frozenset({"example", "examples", "enum", "const", "default", "description", "title"})
_UNSUPPORTED_KEYWORDS = frozenset({"pattern", "patternProperties", "readOnly", "writeOnly", "$dynamicRef"})
# Path parameter values the fast path accepts (what the mock's ids, and the docs' placeholders, are made of).
_SAFE_SEGMENT = re.compile(r"[A-Za-z0-9._~-]+")
_DIGITS = re.compile(r"[0-9]{1,18}")
_MISSING = object()
NO_BODY: Any = object()
"""What :meth:`CompiledContract.check_request` is given for a request without a body (JSON ``null`` is a body)."""


def _formats() -> dict[str, Callable[[str], bool]]:
    def checker(name: str) -> Callable[[str], bool]:
        return lambda value: bool(oas31_format_checker.conforms(value, name))

    return {name: checker(name) for name in _STRING_FORMATS if name in oas31_format_checker.checkers}


@dataclass(frozen=True)
class FastRequest:
    """A request the fast path found valid: its unmarshalled parameters by location, and its body."""

    path: dict[str, Any]
    query: dict[str, Any]
    header: dict[str, Any]
    body: Any


@dataclass(frozen=True)
class _Param:
    location: str  # path, query or header
    name: str
    required: bool
    kind: str  # string or integer
    default: Any
    validator: Any


@dataclass(frozen=True)
class _Header:
    name: str
    lower: str
    required: bool
    kind: str
    validator: Any


@dataclass
class FastResponse:
    """One declared response: its headers and, per media type, the body validator (None: no schema)."""

    headers: list[_Header] | None  # None: some header is not handled here
    content: dict[str, Any] = field(default_factory=dict)
    unhandled_media: set[str] = field(default_factory=set)


@dataclass
class _Operation:
    method: str
    pattern: str
    segments: list[str]
    params: list[_Param] | None  # None: some parameter is not handled here
    takes_body: bool
    body_required: bool
    body_validator: Any  # None: the body's schema is not handled here
    responses: dict[str, FastResponse | None]


class CompiledContract:
    """The operations of an OpenAPI 3.1 document, with their schemas compiled once."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self._document = document
        self._components = document.get("components", {})
        self._formats = _formats()
        self._cache: dict[str, Any] = {}
        self.slow: dict[str, str] = {}
        """Schemas left to openapi-core alone: where they are, and why."""
        self.dialect_supported = document.get("jsonSchemaDialect") in (
            None,
            "https://spec.openapis.org/oas/3.1/dialect/base",
            "https://json-schema.org/draft/2020-12/schema",
        )
        self._operations: dict[tuple[str, str], _Operation] = {}
        for pattern, item in document.get("paths", {}).items():
            item = self.deref(item)
            shared = [self.deref(p) for p in item.get("parameters", [])]
            for method, operation in item.items():
                if method in ("parameters", "summary", "description", "servers") or not isinstance(operation, dict):
                    continue
                self._operations[(method, pattern)] = self._operation(method, pattern, shared, operation)
        frame = self._components.get("schemas", {}).get("ChatStreamFrame")
        self.frame_validator = (
            None if frame is None else self._validator({"$ref": "#/components/schemas/ChatStreamFrame"}, "frames")
        )

    # -- compiling ------------------------------------------------------------------

    def deref(self, node: Any) -> Any:
        seen = 0
        while isinstance(node, Mapping) and "$ref" in node and seen < 32:
            target: Any = self._document
            for part in str(node["$ref"]).lstrip("#/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
            seen += 1
        return node

    def _unsupported(self, schema: Any) -> str | None:
        """Why the fast path cannot promise openapi-core's verdicts for ``schema``, or None."""
        stack: list[Any] = [schema]
        seen: set[int] = set()
        while stack:
            node = stack.pop()
            if isinstance(node, list):
                stack.extend(node)
                continue
            if not isinstance(node, Mapping) or id(node) in seen:
                continue
            seen.add(id(node))
            if "$ref" in node:
                ref = str(node["$ref"])
                if not ref.startswith("#/"):
                    return f"an external $ref ({ref})"
                stack.append(self.deref({"$ref": ref}))
            for keyword in _UNSUPPORTED_KEYWORDS & set(node):
                return f"the keyword {keyword}"
            fmt = node.get("format")
            if isinstance(fmt, str) and fmt not in self._formats and node.get("type") != "string":
                return f"the format {fmt} on a non-string"
            if "discriminator" in node:
                problem = self._discriminator_problem(node)
                if problem:
                    return problem
            for key, value in node.items():
                if key not in _DATA_KEYS and not key.startswith("x-"):
                    stack.append(value)
        return None

    def _discriminator_problem(self, node: Mapping[str, Any]) -> str | None:
        discriminator = node["discriminator"]
        name = discriminator.get("propertyName")
        mapping = discriminator.get("mapping")
        if not name or not isinstance(mapping, Mapping) or not mapping:
            return "a discriminator without an explicit mapping"
        for key, ref in mapping.items():
            target = self.deref({"$ref": ref})
            prop = self.deref((target.get("properties") or {}).get(name, {}))
            if name not in (target.get("required") or []) or prop.get("const") != key:
                return f"a discriminator whose schema for {key!r} does not require {name} = {key!r}"
        return None

    def _validator(self, schema: Any, where: str) -> Any:
        """A compiled validator for ``schema`` (refs resolved in the document), or None (left to openapi-core)."""
        key = json.dumps(schema, sort_keys=True, default=str)
        if key in self._cache:
            return self._cache[key]
        validator = None
        problem = None if self.dialect_supported else "the document's jsonSchemaDialect"
        problem = problem or self._unsupported(schema)
        if problem is None and isinstance(schema, Mapping) and "components" in schema:
            problem = "a schema with a components keyword"
        if problem is None:
            root = dict(schema) if isinstance(schema, Mapping) else schema
            if isinstance(root, dict):
                root["components"] = self._components
            try:
                validator = jsonschema_rs.Draft202012Validator(root, validate_formats=True, formats=self._formats)
            except Exception as exc:  # a schema jsonschema_rs refuses: openapi-core alone
                problem = f"jsonschema_rs cannot compile it: {exc}"
        if problem is not None:
            self.slow[where] = problem
        self._cache[key] = validator
        return validator

    @staticmethod
    def _kind(schema: Mapping[str, Any]) -> str | None:
        kind = schema.get("type")
        return kind if kind in ("string", "integer") else None

    def _operation(
        self, method: str, pattern: str, shared: Sequence[Mapping[str, Any]], operation: Mapping[str, Any]
    ) -> _Operation:
        where = f"{method.upper()} {pattern}"
        declared: dict[tuple[str, str], Mapping[str, Any]] = {}
        for param in [*shared, *(self.deref(p) for p in operation.get("parameters", []))]:
            declared[(param.get("in", ""), param.get("name", ""))] = param
        params: list[_Param] | None = []
        for (location, name), param in declared.items():
            if location == "cookie":
                continue  # openapi-core would read cookies; the mock's contract has none, and none is parsed here
            schema = self.deref(param.get("schema", {}))
            kind = self._kind(schema)
            plain = "content" not in param and param.get("style") in (None, "simple", "form")
            if location not in ("path", "query", "header") or kind is None or not plain or param.get("explode"):
                self.slow[f"{where} parameter {name}"] = "a parameter that is not a plain string or integer"
                params = None
                break
            validator = self._validator(param.get("schema", {}), f"{where} parameter {name}")
            if validator is None:
                params = None
                break
            default = schema.get("default", _MISSING)
            assert params is not None
            params.append(_Param(location, name, bool(param.get("required")), kind, default, validator))
        body = self.deref(operation.get("requestBody")) if "requestBody" in operation else None
        body_validator = None
        if body is not None:
            content = body.get("content") or {}
            if set(content) == {"application/json"} and "schema" in content["application/json"]:
                body_validator = self._validator(content["application/json"]["schema"], f"{where} request body")
            else:
                self.slow[f"{where} request body"] = "a request body other than one application/json schema"
        responses: dict[str, FastResponse | None] = {}
        for status, response in (operation.get("responses") or {}).items():
            responses[str(status)] = self._response(self.deref(response), f"{where} response {status}")
        return _Operation(
            method,
            pattern,
            pattern.strip("/").split("/"),
            params,
            body is not None,
            bool(body and body.get("required")),
            body_validator,
            responses,
        )

    def _response(self, response: Mapping[str, Any], where: str) -> FastResponse:
        headers: list[_Header] | None = []
        for name, header in (response.get("headers") or {}).items():
            if name.lower() == "content-type":
                continue  # ignored by OpenAPI (and openapi-core)
            header = self.deref(header)
            schema = self.deref(header.get("schema", {}))
            kind = self._kind(schema)
            validator = None if kind is None or "content" in header else self._validator(schema, f"{where} {name}")
            if validator is None:
                self.slow.setdefault(f"{where} header {name}", "a header that is not a plain string or integer")
                headers = None
                break
            assert headers is not None
            headers.append(_Header(name, name.lower(), bool(header.get("required")), str(kind), validator))
        fast = FastResponse(headers)
        for media, body in (response.get("content") or {}).items():
            media = media.lower()
            if media == "application/json" and "schema" in body:
                validator = self._validator(body["schema"], f"{where} {media}")
                if validator is None:
                    fast.unhandled_media.add(media)
                else:
                    fast.content[media] = validator
            elif media.startswith("text/event-stream"):
                fast.content[media] = None  # frames are checked one by one (ChatStreamFrame)
            else:
                self.slow[f"{where} {media}"] = "a media type other than application/json"
                fast.unhandled_media.add(media)
        return fast

    # -- checking -------------------------------------------------------------------

    def operation(self, method: str, pattern: str) -> _Operation | None:
        return self._operations.get((method.lower(), pattern))

    def check_request(
        self,
        method: str,
        pattern: str,
        path: str,
        query_string: str,
        headers: Sequence[tuple[str, str]],
        path_params: Mapping[str, str] | None,
        body: Any = NO_BODY,
    ) -> FastRequest | None:
        """The request unmarshalled, when it is certainly valid; None when openapi-core must decide.

        ``body`` is the parsed JSON body, or :data:`NO_BODY`.
        """
        operation = self._operations.get((method.lower(), pattern))
        if operation is None or operation.params is None:
            return None
        values: dict[str, dict[str, Any]] = {"path": {}, "query": {}, "header": {}}
        if operation.params:
            given = self._given(operation, path, query_string, headers, path_params)
            if given is None:
                return None
            for param in operation.params:
                raw = given[param.location].get(param.name.lower() if param.location == "header" else param.name)
                if raw is None:
                    if param.required:
                        return None
                    if param.default is not _MISSING:
                        values[param.location][param.name] = copy.deepcopy(param.default)
                    continue
                if len(raw) != 1 or raw[0] == "":
                    return None  # repeated or empty: openapi-core's rules apply
                value: Any = raw[0]
                if param.kind == "integer":
                    if not _DIGITS.fullmatch(value):
                        return None
                    value = int(value)
                if not param.validator.is_valid(value):
                    return None
                values[param.location][param.name] = value
        if body is NO_BODY:
            if operation.body_required:
                return None
            body = None
        elif operation.body_validator is None or not operation.body_validator.is_valid(body):
            return None  # (no validator also when the operation takes no body: then openapi-core decides)
        return FastRequest(values["path"], values["query"], values["header"], body)

    @staticmethod
    def _given(
        operation: _Operation,
        path: str,
        query_string: str,
        headers: Sequence[tuple[str, str]],
        path_params: Mapping[str, str] | None,
    ) -> dict[str, dict[str, list[str]]] | None:
        """The parameters as sent: lists of values by name (header names lower-cased); None if the path is odd."""
        given: dict[str, dict[str, list[str]]] = {"path": {}, "query": {}, "header": {}}
        segments = path.strip("/").split("/")
        if len(segments) != len(operation.segments):
            return None
        for expected, actual in zip(operation.segments, segments, strict=True):
            if expected.startswith("{") and expected.endswith("}"):
                name = expected[1:-1]
                value = actual if path_params is None else path_params.get(name)
                if value is None or value != actual or not _SAFE_SEGMENT.fullmatch(value) or value in (".", ".."):
                    return None  # (a dot segment is resolved away by URL handling: openapi-core decides)
                given["path"][name] = [value]
        if query_string:
            for name, value in parse_qsl(query_string, keep_blank_values=True):
                given["query"].setdefault(name, []).append(value)
        for name, value in headers:
            given["header"].setdefault(name.lower(), []).append(value)
        return given

    def response_ok(
        self,
        method: str,
        pattern: str,
        status: int,
        headers: Sequence[tuple[str, str]],
        body: bytes | None,
        *,
        streaming: bool,
    ) -> bool:
        """True when the response certainly follows the contract (headers, media type and JSON body);
        False when openapi-core must look (it may still find nothing wrong)."""
        operation = self._operations.get((method.lower(), pattern))
        if operation is None:
            return False
        code = str(status)
        response = operation.responses.get(code) or operation.responses.get(f"{code[0]}XX")
        if response is None:
            response = operation.responses.get("default")
        if response is None or response.headers is None:
            return False
        by_name: dict[str, list[str]] = {}
        for name, text in headers:
            by_name.setdefault(name.lower(), []).append(text)
        for header in response.headers:
            values = by_name.get(header.lower)
            if values is None:
                if header.required:
                    return False
                continue
            if len(values) != 1:
                return False
            value: Any = values[0]
            if header.kind == "integer":
                if not _DIGITS.fullmatch(value):
                    return False
                value = int(value)
            if not header.validator.is_valid(value):
                return False
        content_type = (by_name.get("content-type") or [""])[0].strip().lower()
        if streaming:
            media = content_type.split(";", 1)[0].strip()
            return media in response.content and response.content[media] is None
        if not response.content and not response.unhandled_media:
            return not body
        validator = response.content.get(content_type)  # exactly the declared type, no parameters
        if validator is None or not body:
            return False
        try:
            data = json.loads(body)
        except ValueError:
            return False
        return bool(validator.is_valid(data))

    def frame_ok(self, frame: Mapping[str, Any]) -> bool:
        return self.frame_validator is not None and bool(self.frame_validator.is_valid(frame))

    def operations(self) -> Iterator[tuple[str, str]]:
        return iter(self._operations)
