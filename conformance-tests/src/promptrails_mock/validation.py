"""Request and response validation against openapi.yaml, with openapi-core.

:class:`Contract` answers three questions:

* :meth:`Contract.check_request`: is this request valid? Returns the
  unmarshalled parameters (with defaults) and body, or raises :class:`ApiError`
  (400 ``invalid_json``, 400 ``validation_error`` naming the field in its message
  and ``details.field``, 415 ``unsupported_media_type``);
* :meth:`Contract.response_errors`: what is wrong with a response we are about
  to send (status, headers, JSON body; plus our own rule that every response
  carries ``X-Request-ID``)?
* :class:`StreamChecker`: what is wrong with the Server-Sent Events we send
  (each frame's ``{event, id, data}`` against ``ChatStreamFrame``, ids
  increasing, nothing after the terminal frame, a terminal frame at the end)?
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import yaml
from openapi_core import OpenAPI
from openapi_core.casting.schemas.exceptions import CastError
from openapi_core.datatypes import Parameters, RequestParameters
from openapi_core.validation.request.exceptions import (
    MissingRequiredRequestBody,
    ParameterValidationError,
    RequestBodyValidationError,
    SecurityValidationError,
)
from openapi_core.validation.response import V31ResponseHeadersValidator
from openapi_core.validation.schemas import oas31_schema_validators_factory
from openapi_core.validation.schemas.exceptions import InvalidSchemaValue
from werkzeug.datastructures import Headers, ImmutableMultiDict

from promptrails_mock.compiled import NO_BODY, CompiledContract
from promptrails_mock.errors import ApiError
from promptrails_mock.jsonsafe import InvalidJson, parse_body, quote

__all__ = ["Checked", "Contract", "SseFrame", "StreamChecker", "WireRequest", "WireResponse", "parse_sse_block"]

# openapi-core matches the request URL against the document's servers; this one is declared there.
_HOST_URL = "http://localhost:8080"


class WireRequest:
    """A request as openapi-core's ``Request`` protocol wants it.

    Its ``parameters`` (werkzeug structures) are built only when openapi-core asks for
    them: the compiled fast path (:mod:`promptrails_mock.compiled`) reads the raw
    query string and headers.
    """

    def __init__(
        self,
        method: str,
        path: str,
        body: bytes | None,
        content_type: str,
        *,
        query_string: str = "",
        headers: Sequence[tuple[str, str]] = (),
        path_params: Mapping[str, str] | None = None,
        content_type_given: bool = True,
        host_url: str = _HOST_URL,
    ) -> None:
        self.method = method
        self.path = path
        self.body = body
        self.content_type = content_type
        self.query_string = query_string
        self.headers = headers
        self.path_params = path_params
        self.content_type_given = content_type_given
        self.host_url = host_url
        self._match: tuple[str, str] | bool | None = False  # False: not looked up yet
        self._parameters: RequestParameters | None = None

    @property
    def parameters(self) -> RequestParameters:
        if self._parameters is None:
            self._parameters = RequestParameters(
                query=ImmutableMultiDict(parse_qsl(self.query_string, keep_blank_values=True)),
                header=Headers(list(self.headers)),
                path=dict(self.path_params or {}),
            )
        return self._parameters

    @parameters.setter
    def parameters(self, value: RequestParameters) -> None:
        self._parameters = value


@dataclass
class WireResponse:
    """A response as openapi-core's ``Response`` protocol wants it."""

    status_code: int
    content_type: str
    headers: Headers
    data: bytes | None


@dataclass
class Checked:
    """A valid request: its unmarshalled parameters (defaults applied) and JSON body."""

    parameters: Parameters
    body: Any


@dataclass
class SseFrame:
    """One parsed Server-Sent Events frame."""

    id: str | None
    event: str | None
    data: Any
    raw: bytes
    errors: list[str] = field(default_factory=list)


def _json_pointer(path: Iterable[Any]) -> str:
    parts = [str(p) for p in path]
    return ".".join(parts)


def _type_name(value: Any) -> str:
    if isinstance(value, list):
        return " or ".join(str(v) for v in value)
    return str(value)


def _describe(error: Any) -> tuple[list[str], str]:
    """The fields a jsonschema error is about, and a short message without the field name."""
    base = list(getattr(error, "absolute_path", []) or getattr(error, "path", []) or [])
    validator = getattr(error, "validator", None)
    value = getattr(error, "validator_value", None)
    instance = getattr(error, "instance", None)
    if validator == "required" and isinstance(instance, Mapping):
        missing = [name for name in (value or []) if name not in instance]
        return [_json_pointer([*base, name]) for name in missing] or [_json_pointer(base)], "is required"
    if validator == "additionalProperties" and isinstance(instance, Mapping):
        known = set((getattr(error, "schema", None) or {}).get("properties", {}) or {})
        extra = sorted(name for name in instance if name not in known)
        return [_json_pointer([*base, name]) for name in extra] or [_json_pointer(base)], "is not an allowed field"
    return [_json_pointer(base)], _message(str(validator), value) or str(getattr(error, "message", error))


def _message(validator: str, value: Any) -> str | None:
    """A short, field-free message for the common JSON Schema keywords."""
    if validator == "maximum":
        return f"must be at most {value}"
    if validator == "minimum":
        return f"must be at least {value}"
    if validator == "exclusiveMaximum":
        return f"must be less than {value}"
    if validator == "exclusiveMinimum":
        return f"must be greater than {value}"
    if validator == "maxLength":
        return f"must be at most {value} characters long"
    if validator == "minLength":
        return "must not be empty" if value == 1 else f"must be at least {value} characters long"
    if validator == "maxItems":
        return f"must have at most {value} items"
    if validator == "minItems":
        return f"must have at least {value} items"
    if validator == "maxProperties":
        return f"must have at most {value} properties"
    if validator == "minProperties":
        return f"must have at least {value} {'property' if value == 1 else 'properties'}"
    if validator == "type":
        return f"must be of type {_type_name(value)}"
    if validator == "enum" and isinstance(value, list):
        return f"must be one of {', '.join(json.dumps(v) for v in value)}"
    if validator == "const":
        return f"must be {json.dumps(value)}"
    return None


def _schema_errors(exc: BaseException) -> list[Any]:
    cause = exc.__cause__
    while cause is not None and not isinstance(cause, InvalidSchemaValue):
        cause = cause.__cause__
    if cause is None:
        return []
    return list(cause.schema_errors)


def _media_type(content_type: str) -> tuple[str, dict[str, str]]:
    """The media type of a Content-Type value (lower case) and its parameters."""
    media, *params = content_type.split(";")
    parsed: dict[str, str] = {}
    for param in params:
        name, _, value = param.partition("=")
        parsed[name.strip().lower()] = value.strip().strip('"').lower()
    return media.strip().lower(), parsed


def _clip(message: str, limit: int = 300) -> str:
    return message if len(message) <= limit else message[:limit] + "..."


def _load_yaml(path: Path) -> dict[str, Any]:
    with path.open("r", encoding="utf-8") as fh:
        document = yaml.safe_load(fh)
    if not isinstance(document, dict):
        raise ValueError(f"{path}: not an OpenAPI document")
    return document


class Contract:
    """openapi.yaml, ready to validate requests, responses and stream frames."""

    def __init__(self, spec_path: str | Path) -> None:
        self.path = Path(spec_path).resolve()
        self.document = _load_yaml(self.path)
        self.openapi = OpenAPI.from_dict(self.document, base_uri=self.path.as_uri())
        spec = self.openapi.spec
        frame_schema = self.document["components"]["schemas"]["ChatStreamFrame"]
        self.terminal_events = frozenset(frame_schema.get("x-terminal-events", []))
        self._frame_validator = oas31_schema_validators_factory.create(
            spec, spec / "components" / "schemas" / "ChatStreamFrame"
        )
        self._headers_validator = V31ResponseHeadersValidator(spec)
        self._patterns: list[str] = sorted(self.document["paths"], key=lambda p: (p.count("{"), p))
        self._pattern_parts = [(p, p.strip("/").split("/")) for p in self._patterns]
        self.compiled = CompiledContract(self.document)
        """Every schema compiled once: valid exchanges are checked here, openapi-core decides the rest."""

    # -- building requests ----------------------------------------------------------

    @staticmethod
    def request(
        method: str,
        path: str,
        query_string: str,
        headers: Sequence[tuple[str, str]],
        body: bytes | None,
        path_params: Mapping[str, str] | None = None,
    ) -> WireRequest:
        """A request for openapi-core. ``path_params``, when given, are the router's decoded values:
        openapi-core's own path parsing drops some characters (a lone tab becomes '')."""
        given = None
        for name, value in headers:
            if name.lower() == "content-type":
                given = value
                break
        return WireRequest(
            method.lower(),
            path,
            body,
            (given or "").lower(),
            query_string=query_string,
            headers=headers,
            path_params=path_params,
            content_type_given=given is not None,
        )

    def _match(self, request: WireRequest) -> tuple[str, str] | None:
        """``(method, path pattern)`` of the operation serving ``request`` (looked up once per request)."""
        if request._match is False:
            pattern = self._pattern(request.method, request.path)
            request._match = None if pattern is None else (request.method.lower(), pattern)
        return request._match if isinstance(request._match, tuple) else None

    def _pattern(self, method: str, path: str) -> str | None:
        method = method.lower()
        path_parts = path.strip("/").split("/")
        paths = self.document["paths"]
        for pattern, pattern_parts in self._pattern_parts:
            if method in paths[pattern] and _parts_match(pattern_parts, path_parts):
                return pattern
        return None

    def match(self, method: str, path: str) -> tuple[str, str] | None:
        """``(method, path pattern)`` of the operation serving ``method path``, or None."""
        pattern = self._pattern(method, path)
        return None if pattern is None else (method.lower(), pattern)

    def find_operation(self, method: str, path: str) -> dict[str, Any] | None:
        """The operation object serving ``method path``, or None when the contract has none.

        Literal segments win over templated ones (``/messages/stream`` before ``/messages/{message_id}``).
        """
        pattern = self._pattern(method, path)
        return None if pattern is None else dict(self.document["paths"][pattern][method.lower()])

    # -- requests -------------------------------------------------------------------

    def check_request(self, request: WireRequest, *, fast: bool = True) -> Checked:
        """Validate ``request``; raise :class:`ApiError` naming the first bad field.

        ``fast=False`` skips the compiled schemas: openapi-core alone decides (for tests and diagnostics)."""
        body = request.body
        match = self._match(request)
        operation = None if match is None else self.document["paths"][match[1]][match[0]]
        if body and operation is not None and "requestBody" not in operation:
            request.body = body = None  # a body where the operation takes none is ignored, as before
        parsed: Any = NO_BODY
        if body:
            if request.content_type_given:
                media, params = _media_type(request.content_type)
                if media != "application/json" or params.get("charset", "utf-8") not in ("utf-8", "utf8"):
                    raise ApiError(
                        415,
                        "unsupported_media_type",
                        f"Content-Type {quote(request.content_type)} is not supported; send application/json (UTF-8).",
                        {"location": "header", "field": "Content-Type"},
                    )
            try:
                parsed = parse_body(body)
            except InvalidJson as exc:
                raise ApiError(
                    400, "invalid_json", f"The request body is not valid JSON: {exc}", {"location": "body"}
                ) from None
            request.content_type = "application/json"
        if fast and match is not None:
            valid = self.compiled.check_request(
                match[0], match[1], request.path, request.query_string, request.headers, request.path_params, parsed
            )
            if valid is not None:
                return Checked(Parameters(query=valid.query, header=valid.header, path=valid.path), valid.body)
        result = self.openapi.unmarshal_request(request)
        problems: list[dict[str, str]] = []
        status = 400
        code = "validation_error"
        for error in result.errors:
            if isinstance(error, SecurityValidationError):
                continue
            if isinstance(error, ParameterValidationError):
                cause = error.__cause__
                schema_errors = _schema_errors(error)
                if schema_errors:
                    for schema_error in schema_errors:
                        _, message = _describe(schema_error)
                        problems.append({"field": error.name, "location": error.location, "message": _clip(message)})
                elif isinstance(cause, CastError):
                    problems.append(
                        {"field": error.name, "location": error.location, "message": f"must be of type {cause.type}"}
                    )
                else:
                    problems.append({"field": error.name, "location": error.location, "message": _clip(str(error))})
            elif isinstance(error, MissingRequiredRequestBody):
                problems.append({"field": "body", "location": "body", "message": "a JSON body is required"})
            elif isinstance(error, RequestBodyValidationError):
                schema_errors = _schema_errors(error)
                if schema_errors:
                    for schema_error in schema_errors:
                        fields, message = _describe(schema_error)
                        for name in fields:
                            problems.append({"field": name or "body", "location": "body", "message": _clip(message)})
                elif type(error.__cause__).__name__ == "MediaTypeNotFound":
                    raise ApiError(
                        415,
                        "unsupported_media_type",
                        f"Content-Type '{request.content_type or 'none'}' is not supported; send application/json.",
                        {"location": "header", "field": "Content-Type"},
                    )
                else:
                    problems.append({"field": "body", "location": "body", "message": _clip(str(error))})
            else:
                problems.append({"field": "request", "location": "request", "message": _clip(str(error))})
        if problems:
            first = problems[0]
            raise ApiError(
                status,
                code,
                "; ".join(f"{p['field']}: {p['message']}" for p in problems),
                {"field": first["field"], "location": first["location"], "errors": problems},
            )
        parameters = result.parameters
        if request.path_params and any(name not in parameters.path for name in request.path_params):
            # openapi-core's own path parsing loses some values (a lone tab); the router's decoded one stands.
            parameters = Parameters(
                query=parameters.query,
                header=parameters.header,
                cookie=parameters.cookie,
                path={**request.path_params, **parameters.path},
            )
        return Checked(parameters, result.body)

    # -- responses ------------------------------------------------------------------

    def response_errors(
        self,
        request: WireRequest,
        status: int,
        headers: Sequence[tuple[str, str]],
        body: bytes | None,
        *,
        streaming: bool,
        fast: bool = True,
    ) -> list[str]:
        """Everything wrong with a response to ``request``; empty when it follows the contract.

        ``fast=False`` skips the compiled schemas: openapi-core alone decides (for tests and diagnostics)."""
        has_id = bool(next((value for name, value in headers if name.lower() == "x-request-id"), ""))
        match = self._match(request)
        if (
            fast
            and has_id
            and match is not None
            and self.compiled.response_ok(match[0], match[1], status, headers, body, streaming=streaming)
        ):
            return []
        header_map = Headers(list(headers))
        content_type = (header_map.get("content-type") or "").lower()
        errors: list[str] = []
        if not has_id:
            errors.append("response has no X-Request-ID header")
        response = WireResponse(status, content_type, header_map, None if streaming else body)
        validator_errors: Iterable[Exception]
        if streaming:
            validator_errors = self._headers_validator.iter_errors(request, response)
            media = content_type.split(";")[0].strip()
            declared = self._declared_media_types(request, status)
            if declared is not None and media not in declared:
                errors.append(f"content type {media!r} is not declared for status {status} (declared: {declared})")
        else:
            validator_errors = self.openapi.iter_response_errors(request, response)
        for error in validator_errors:
            errors.append(_format_error(error))
        return errors

    def _declared_media_types(self, request: WireRequest, status: int) -> list[str] | None:
        operation = self.find_operation(request.method, request.path)
        if operation is None:
            return None
        responses = operation.get("responses", {})
        response = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX") or responses.get("default")
        if response is None:
            return []
        response = self._deref(response)
        return sorted((response.get("content") or {}).keys())

    def _deref(self, node: Any) -> Any:
        while isinstance(node, Mapping) and "$ref" in node:
            target: Any = self.document
            for part in str(node["$ref"]).lstrip("#/").split("/"):
                target = target[part]
            node = target
        return node

    # -- stream frames --------------------------------------------------------------

    def frame_errors(self, frame: Mapping[str, Any], *, fast: bool = True) -> list[str]:
        """What is wrong with one ``{event, id, data}`` frame, checked against ChatStreamFrame
        (``fast=False``: by openapi-core alone)."""
        if fast and self.compiled.frame_ok(frame):
            return []
        try:
            self._frame_validator.validate(dict(frame))
        except InvalidSchemaValue as exc:
            return [
                f"{_json_pointer(getattr(e, 'absolute_path', [])) or 'frame'}: {getattr(e, 'message', e)}"
                for e in exc.schema_errors
            ]
        except Exception as exc:  # a schema that cannot be evaluated is a violation too
            return [f"frame: {exc}"]
        return []


def _path_matches(pattern: str, path: str) -> bool:
    return _parts_match(pattern.strip("/").split("/"), path.strip("/").split("/"))


def _parts_match(pattern_parts: Sequence[str], path_parts: Sequence[str]) -> bool:
    if len(pattern_parts) != len(path_parts):
        return False
    for expected, actual in zip(pattern_parts, path_parts, strict=True):
        if expected.startswith("{") and expected.endswith("}"):
            if not actual:
                return False
        elif expected != actual:
            return False
    return True


def _format_error(error: BaseException) -> str:
    schema_errors = _schema_errors(error)
    if schema_errors:
        details = "; ".join(
            f"{_json_pointer(getattr(e, 'absolute_path', [])) or '(root)'}: {getattr(e, 'message', e)}"
            for e in schema_errors
        )
        return f"{type(error).__name__}: {details}"
    text = str(error)
    return text if text.startswith(type(error).__name__) else f"{type(error).__name__}: {text}"


def parse_sse_block(block: bytes) -> SseFrame:
    """Parse one frame (the bytes between blank lines) of a stream the mock itself wrote."""
    frame = SseFrame(None, None, None, block)
    data_lines: list[str] = []
    try:
        text = block.decode("utf-8")
    except UnicodeDecodeError as exc:
        frame.errors.append(f"frame is not UTF-8: {exc}")
        return frame
    for line in text.split("\n"):
        if not line or line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "id":
            frame.id = value
        elif name == "event":
            frame.event = value
        elif name == "data":
            data_lines.append(value)
        else:
            frame.errors.append(f"unexpected field {name!r}")
    if not data_lines:
        frame.errors.append("frame has no data")
    else:
        try:
            frame.data = json.loads("\n".join(data_lines))
        except ValueError as exc:
            frame.errors.append(f"frame data is not JSON: {exc}")
    return frame


class StreamChecker:
    """Checks the Server-Sent Events of one response as they are written."""

    def __init__(self, contract: Contract) -> None:
        self._contract = contract
        self._buffer = b""
        self._last_id: int | None = None
        self._terminal = False
        self.frames = 0

    def feed(self, chunk: bytes) -> list[SseFrame]:
        """The complete frames in ``chunk`` (plus what was buffered), each with its errors."""
        self._buffer += chunk
        frames: list[SseFrame] = []
        while b"\n\n" in self._buffer:
            block, self._buffer = self._buffer.split(b"\n\n", 1)
            if not block.strip(b"\n"):
                continue
            frame = parse_sse_block(block + b"\n\n")
            self._check(frame)
            frames.append(frame)
        return frames

    def _check(self, frame: SseFrame) -> None:
        self.frames += 1
        if self._terminal:
            frame.errors.append(f"frame {frame.id!r} ({frame.event}) follows the terminal frame")
        if frame.id is None or not frame.id.isdigit():
            frame.errors.append(f"frame id {frame.id!r} is not a positive integer")
        else:
            number = int(frame.id)
            if self._last_id is not None and number != self._last_id + 1:
                frame.errors.append(f"frame id {number} does not follow {self._last_id}")
            self._last_id = number
        if frame.event in self._contract.terminal_events:
            self._terminal = True
        if frame.data is not None or not frame.errors:
            frame.errors.extend(self._contract.frame_errors({"event": frame.event, "id": frame.id, "data": frame.data}))

    def finish(self) -> list[str]:
        """Errors found when the stream ends normally."""
        errors = []
        if self._buffer.strip(b"\n"):
            errors.append(f"stream ends inside a frame: {self._buffer[:80]!r}")
        if self.frames and not self._terminal:
            errors.append("stream ends without a terminal frame")
        return errors
