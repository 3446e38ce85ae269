"""House rules of openapi.yaml (``make test-spec``).

Each rule is a checker returning the list of places that break it; each rule
has its own test on the real document, and each checker is shown to catch a
deliberately broken document, so none of these tests can pass vacuously.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

SPEC_PATH = Path(__file__).resolve().parents[2] / "openapi.yaml"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
COMPOSITION_KEYS = ("allOf", "oneOf", "anyOf")


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    with SPEC_PATH.open(encoding="utf-8") as fh:
        return dict(yaml.safe_load(fh))


# -- helpers ------------------------------------------------------------------------------


def resolve(doc: dict[str, Any], node: Any) -> Any:
    """Follow local ``$ref``s until a concrete node."""
    seen = set()
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if ref in seen or not ref.startswith("#/"):
            raise ValueError(f"cannot resolve {ref}")
        seen.add(ref)
        target: Any = doc
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """(path, method, operation, path item) for every operation."""
    for path, item in doc.get("paths", {}).items():
        for method in HTTP_METHODS:
            if method in item:
                yield path, method, item[method], item


def responses(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, resolved response) for every response of every operation."""
    for path, method, operation, _ in operations(doc):
        for status, response in operation.get("responses", {}).items():
            yield f"{method.upper()} {path} {status}", resolve(doc, response)


def parameters(doc: dict[str, Any], operation: dict[str, Any], item: dict[str, Any]) -> list[dict[str, Any]]:
    return [resolve(doc, p) for p in [*item.get("parameters", []), *operation.get("parameters", [])]]


# -- the rules ----------------------------------------------------------------------------


def check_spec_valid(doc: dict[str, Any]) -> list[str]:
    try:
        errors = list(OpenAPIV31SpecValidator(doc).iter_errors())
    except Exception as exc:
        return [f"the validator failed: {exc!r}"]
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]


def check_operation_ids(doc: dict[str, Any]) -> list[str]:
    problems, seen = [], set()
    for path, method, operation, _ in operations(doc):
        op_id = operation.get("operationId")
        if not isinstance(op_id, str) or not op_id:
            problems.append(f"{method.upper()} {path}: no operationId")
        elif op_id in seen:
            problems.append(f"{method.upper()} {path}: operationId {op_id} is not unique")
        seen.add(op_id)
    return problems


def check_one_tag(doc: dict[str, Any]) -> list[str]:
    declared = {t["name"] for t in doc.get("tags", [])}
    problems = []
    for path, method, operation, _ in operations(doc):
        tags = operation.get("tags", [])
        if len(tags) != 1:
            problems.append(f"{method.upper()} {path}: has {len(tags)} tags, wants exactly one")
        elif tags[0] not in declared:
            problems.append(f"{method.upper()} {path}: tag {tags[0]!r} is not declared in the top-level tags")
    return problems


def _check_text(doc: dict[str, Any], field: str) -> list[str]:
    return [
        f"{method.upper()} {path}: no {field}"
        for path, method, operation, _ in operations(doc)
        if not isinstance(operation.get(field), str) or not operation[field].strip()
    ]


def check_summaries(doc: dict[str, Any]) -> list[str]:
    return _check_text(doc, "summary")


def check_descriptions(doc: dict[str, Any]) -> list[str]:
    return _check_text(doc, "description")


def _has_example(media: dict[str, Any]) -> bool:
    return "example" in media or bool(media.get("examples"))


def check_request_examples(doc: dict[str, Any]) -> list[str]:
    problems = []
    for path, method, operation, _ in operations(doc):
        body = operation.get("requestBody")
        if body is None:
            continue
        for media_type, media in resolve(doc, body).get("content", {}).items():
            if not _has_example(media):
                problems.append(f"{method.upper()} {path} request {media_type}: no example")
    return problems


def check_response_examples(doc: dict[str, Any]) -> list[str]:
    problems = []
    for where, response in responses(doc):
        for media_type, media in response.get("content", {}).items():
            if "json" in media_type and not _has_example(media):
                problems.append(f"{where} {media_type}: no example")
    return problems


def _walk_properties(schema: Any, where: str) -> Iterator[tuple[str, Any]]:
    """Every (where, property schema) below ``schema``, through compositions, items and nested objects."""
    if not isinstance(schema, dict):
        return
    for name, prop in (schema.get("properties") or {}).items():
        yield f"{where}.{name}", prop
        yield from _walk_properties(prop, f"{where}.{name}")
    for key in COMPOSITION_KEYS:
        for index, member in enumerate(schema.get(key) or []):
            yield from _walk_properties(member, f"{where}.{key}[{index}]")
    if isinstance(schema.get("items"), dict):
        yield from _walk_properties(schema["items"], f"{where}[]")
    if isinstance(schema.get("additionalProperties"), dict):
        yield from _walk_properties(schema["additionalProperties"], f"{where}{{}}")


def _inline_members(schema: Any, where: str) -> Iterator[tuple[str, Any]]:
    """Inline object schemas composed with allOf/oneOf/anyOf (they too need a description)."""
    if not isinstance(schema, dict):
        return
    for key in COMPOSITION_KEYS:
        for index, member in enumerate(schema.get(key) or []):
            if (
                isinstance(member, dict)
                and "$ref" not in member
                and ("properties" in member or member.get("type") == "object")
            ):
                yield f"{where}.{key}[{index}]", member
            yield from _inline_members(member, f"{where}.{key}[{index}]")
    for name, prop in (schema.get("properties") or {}).items():
        yield from _inline_members(prop, f"{where}.{name}")


def check_schema_descriptions(doc: dict[str, Any]) -> list[str]:
    problems = []
    for name, schema in doc.get("components", {}).get("schemas", {}).items():
        where = f"components.schemas.{name}"
        if not (isinstance(schema, dict) and str(schema.get("description", "")).strip()):
            problems.append(f"{where}: no description")
        for prop_where, prop in [*_walk_properties(schema, where), *_inline_members(schema, where)]:
            if not (isinstance(prop, dict) and str(prop.get("description", "")).strip()):
                problems.append(f"{prop_where}: no description")
    return problems


def check_parameter_descriptions(doc: dict[str, Any]) -> list[str]:
    problems = []
    for path, method, operation, item in operations(doc):
        for param in parameters(doc, operation, item):
            if not str(param.get("description", "")).strip():
                problems.append(f"{method.upper()} {path} parameter {param.get('name')}: no description")
    return problems


def check_idempotency_keys(doc: dict[str, Any]) -> list[str]:
    problems = []
    for path, method, operation, item in operations(doc):
        if method != "post":
            continue
        found = [
            p
            for p in parameters(doc, operation, item)
            if p.get("in") == "header" and p.get("name") == "Idempotency-Key"
        ]
        if not found:
            problems.append(f"POST {path}: no Idempotency-Key header parameter")
        elif found[0].get("required", False):
            problems.append(f"POST {path}: Idempotency-Key must be optional")
    return problems


def check_request_id_headers(doc: dict[str, Any]) -> list[str]:
    return [
        f"{where}: does not declare the X-Request-ID header"
        for where, response in responses(doc)
        if "X-Request-ID" not in (response.get("headers") or {})
    ]


def _stream_responses(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(where, operation, resolved 200 response) of every streaming operation."""
    for path, method, operation, _ in operations(doc):
        ok = resolve(doc, operation.get("responses", {}).get("200", {}))
        if operation.get("x-streaming") == "sse" or "text/event-stream" in ok.get("content", {}):
            yield f"{method.upper()} {path}", operation, ok


def check_stream_media_types(doc: dict[str, Any]) -> list[str]:
    problems = []
    found = False
    for where, operation, ok in _stream_responses(doc):
        found = True
        content = ok.get("content", {})
        if list(content) != ["text/event-stream"]:
            problems.append(f"{where}: the 200 response must be text/event-stream only, not {sorted(content)}")
        if operation.get("x-streaming") != "sse":
            problems.append(f"{where}: streams text/event-stream without x-streaming: sse")
    if not found:
        problems.append("no streaming operation found")
    return problems


def _stream_schema(doc: dict[str, Any], ok: dict[str, Any]) -> dict[str, Any]:
    media = ok.get("content", {}).get("text/event-stream", {})
    return dict(resolve(doc, media.get("schema", {})))


def check_stream_envelopes(doc: dict[str, Any]) -> list[str]:
    problems = []
    for where, _, ok in _stream_responses(doc):
        schema = _stream_schema(doc, ok)
        members = schema.get("oneOf")
        discriminator = schema.get("discriminator") or {}
        if not members:
            problems.append(f"{where}: the stream schema is not a oneOf of envelopes")
            continue
        if discriminator.get("propertyName") != "event":
            problems.append(f"{where}: the stream schema is not discriminated on 'event'")
            continue
        mapping = discriminator.get("mapping") or {}
        member_refs = {m.get("$ref") for m in members}
        if set(mapping.values()) != member_refs:
            problems.append(f"{where}: the discriminator mapping and the oneOf members differ")
        for event, ref in mapping.items():
            envelope = resolve(doc, {"$ref": ref})
            props = envelope.get("properties", {})
            if props.get("event", {}).get("const") != event:
                problems.append(f"{where}: {ref} does not fix event to {event!r}")
            if set(envelope.get("required", [])) < {"event", "id", "data"}:
                problems.append(f"{where}: {ref} does not require event, id and data")
    return problems


def check_terminal_events(doc: dict[str, Any]) -> list[str]:
    problems = []
    for where, _, ok in _stream_responses(doc):
        schema = _stream_schema(doc, ok)
        terminal = schema.get("x-terminal-events")
        mapping = (schema.get("discriminator") or {}).get("mapping") or {}
        if not isinstance(terminal, list) or not terminal:
            problems.append(f"{where}: no x-terminal-events list")
            continue
        for event in terminal:
            if event not in mapping:
                problems.append(f"{where}: terminal event {event!r} is not in the discriminator mapping")
    return problems


RULES: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "operation_ids": check_operation_ids,
    "one_tag": check_one_tag,
    "summaries": check_summaries,
    "descriptions": check_descriptions,
    "request_examples": check_request_examples,
    "response_examples": check_response_examples,
    "schema_descriptions": check_schema_descriptions,
    "parameter_descriptions": check_parameter_descriptions,
    "idempotency_keys": check_idempotency_keys,
    "request_id_headers": check_request_id_headers,
    "stream_media_types": check_stream_media_types,
    "stream_envelopes": check_stream_envelopes,
    "terminal_events": check_terminal_events,
}


# -- the rules on openapi.yaml ------------------------------------------------------------


def test_validates_with_openapi_spec_validator(doc: dict[str, Any]) -> None:
    validate(doc)  # raises on the first error
    assert check_spec_valid(doc) == []


def test_is_openapi_3_1(doc: dict[str, Any]) -> None:
    assert str(doc["openapi"]).startswith("3.1")


def test_every_operation_has_a_unique_operation_id(doc: dict[str, Any]) -> None:
    assert check_operation_ids(doc) == []


def test_every_operation_has_exactly_one_declared_tag(doc: dict[str, Any]) -> None:
    assert check_one_tag(doc) == []


def test_every_operation_has_a_summary(doc: dict[str, Any]) -> None:
    assert check_summaries(doc) == []


def test_every_operation_has_a_description(doc: dict[str, Any]) -> None:
    assert check_descriptions(doc) == []


def test_every_request_body_has_an_example(doc: dict[str, Any]) -> None:
    assert check_request_examples(doc) == []


def test_every_json_response_body_has_an_example(doc: dict[str, Any]) -> None:
    assert check_response_examples(doc) == []


def test_every_schema_and_property_has_a_description(doc: dict[str, Any]) -> None:
    assert check_schema_descriptions(doc) == []


def test_every_parameter_has_a_description(doc: dict[str, Any]) -> None:
    assert check_parameter_descriptions(doc) == []


def test_every_post_accepts_an_idempotency_key(doc: dict[str, Any]) -> None:
    assert check_idempotency_keys(doc) == []


def test_every_response_declares_x_request_id(doc: dict[str, Any]) -> None:
    assert check_request_id_headers(doc) == []


def test_stream_responses_are_text_event_stream(doc: dict[str, Any]) -> None:
    assert check_stream_media_types(doc) == []


def test_stream_schema_is_a_oneof_of_envelopes_discriminated_on_event(doc: dict[str, Any]) -> None:
    assert check_stream_envelopes(doc) == []


def test_terminal_events_name_events_of_the_mapping(doc: dict[str, Any]) -> None:
    assert check_terminal_events(doc) == []


def test_examples_validate_against_their_schemas(doc: dict[str, Any]) -> None:
    """Every JSON example must itself follow the schema it illustrates."""
    from jsonschema_path import SchemaPath
    from openapi_core.validation.schemas import oas31_schema_validators_factory

    spec = SchemaPath.from_dict(doc, base_uri=SPEC_PATH.as_uri())
    problems = []
    for path, method, operation, _ in operations(doc):
        sources = []
        if "requestBody" in operation:
            sources.append(("request", spec / "paths" / path / method / "requestBody"))
        for status in operation.get("responses", {}):
            sources.append((status, spec / "paths" / path / method / "responses" / status))
        for label, node in sources:
            with node.resolve() as resolved:
                contents: Any = resolved.contents
                content = contents.get("content", {})
            for media_type in content:
                if "json" not in media_type:
                    continue
                media = node / "content" / media_type
                example = content[media_type].get("example")
                if example is None:
                    continue
                validator = oas31_schema_validators_factory.create(spec, media / "schema")
                try:
                    validator.validate(example)
                except Exception as exc:
                    problems.append(f"{method.upper()} {path} {label}: {exc}")
    assert problems == []


# -- each checker catches a broken document ----------------------------------------------


def _broken(doc: dict[str, Any]) -> dict[str, Any]:
    """A copy of the document breaking every rule once."""
    bad = copy.deepcopy(doc)
    create = bad["paths"]["/api/v1/chat/sessions"]["post"]
    del create["operationId"]
    create["tags"] = ["chat", "executions"]
    create["summary"] = ""
    del create["description"]
    del create["requestBody"]["content"]["application/json"]["example"]
    create["parameters"] = []
    listing = bad["paths"]["/api/v1/chat/sessions"]["get"]
    del listing["responses"]["200"]["content"]["application/json"]["example"]
    del listing["responses"]["200"]["headers"]
    bad["components"]["parameters"]["Page"]["description"] = ""
    del bad["components"]["schemas"]["ChatSession"]["properties"]["title"]["description"]
    del bad["components"]["schemas"]["ChatReply"]["properties"]["assistant_message"]["description"]
    frame = bad["components"]["schemas"]["ChatStreamFrame"]
    frame["x-terminal-events"] = ["done", "finished"]
    frame["discriminator"]["mapping"]["content"] = "#/components/schemas/ThinkingFrame"
    stream = bad["paths"]["/api/v1/chat/sessions/{session_id}/messages/stream"]["post"]
    stream["responses"]["200"]["content"]["application/json"] = {"schema": {"type": "object"}}
    return bad


@pytest.mark.parametrize("rule", sorted(RULES))
def test_each_checker_catches_a_broken_document(doc: dict[str, Any], rule: str) -> None:
    assert RULES[rule](doc) == []
    assert RULES[rule](_broken(doc)) != [], f"the {rule} checker missed a broken document"


def test_the_spec_validator_catches_a_broken_document(doc: dict[str, Any]) -> None:
    bad = copy.deepcopy(doc)
    del bad["info"]["title"]
    bad["components"]["parameters"]["Page"]["in"] = "body"
    assert check_spec_valid(bad) != []
