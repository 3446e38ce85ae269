"""The OpenAPI real specs use, read into the IR: unions, nullability in 3.0 and 3.1 spelling,
recursion, inline schemas, bodies of every kind, auth schemes, typed parameters, the `{data}`
envelope decision, schema identifiers, versions 3.0/3.1/3.2, and the x- extensions on names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from sdkgen import spec as spec_module
from sdkgen.builder import build_ir
from sdkgen.ir import IR, Operation
from sdkgen.spec import load_spec


def doc(paths: dict[str, Any], schemas: dict[str, Any] | None = None, *, version: str = "3.1.0",
        security: dict[str, Any] | None = None, info_x: dict[str, Any] | None = None) -> dict[str, Any]:
    info: dict[str, Any] = {"title": "T", "version": "1"}
    if info_x:
        info["x-sdk"] = info_x
    d: dict[str, Any] = {"openapi": version, "info": info, "paths": paths,
                         "components": {"schemas": schemas or {},
                                        "securitySchemes": security or {"k": {"type": "apiKey", "in": "header", "name": "K"}}}}
    d["security"] = [{name: []} for name in d["components"]["securitySchemes"]]
    return d


def build(tmp_path: Path, d: dict[str, Any]) -> IR:
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(d, sort_keys=False, allow_unicode=True))
    return build_ir(load_spec(path))


def get(op_id: str, schema: dict[str, Any], *, params: list[Any] | None = None, tag: str = "things") -> dict[str, Any]:
    op: dict[str, Any] = {"operationId": op_id, "tags": [tag],
                          "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": schema}}}}}
    if params:
        op["parameters"] = params
    return {"get": op}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def only(ir: IR) -> Operation:
    assert len(ir.operations) == 1, [o.key for o in ir.operations]
    return ir.operations[0]


# -- unions -----------------------------------------------------------------------------------


def test_one_of_with_discriminator_mapping_is_a_typed_union(tmp_path: Path) -> None:
    schemas = {
        "Shape": {"oneOf": [ref("Circle"), ref("Square")],
                  "discriminator": {"propertyName": "kind", "mapping": {"c": "#/components/schemas/Circle"}}},
        "Circle": {"type": "object", "properties": {"kind": {"type": "string"}, "r": {"type": "number"}}},
        "Square": {"type": "object", "properties": {"kind": {"const": "sq"}, "side": {"type": "number"}}},
    }
    ir = build(tmp_path, doc({"/s": get("getShape", ref("Shape"))}, schemas))
    t = only(ir).result.type
    assert t is not None and (t.kind, t.union) == ("any", "Shape")
    u = ir.unions["Shape"]
    assert (u.keyword, u.discriminator) == ("oneOf", "kind")
    # tags: from the mapping, else the variant's const
    assert [(v.type.ref, v.tags) for v in u.variants] == [("Circle", ["c"]), ("Square", ["sq"])]


def test_any_of_without_discriminator_and_primitive_variants(tmp_path: Path) -> None:
    schemas = {"Id": {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "array", "items": {"type": "string"}}]}}
    ir = build(tmp_path, doc({"/i": get("getId", ref("Id"))}, schemas))
    u = ir.unions["Id"]
    assert (u.keyword, u.discriminator) == ("anyOf", None)
    assert [(v.type.kind, v.name.python_type) for v in u.variants] == [
        ("string", "String"), ("integer", "Integer"), ("array", "StringList")]


def test_alternatives_of_one_kind_are_that_kind(tmp_path: Path) -> None:
    schemas = {"Model": {"anyOf": [{"type": "string"}, {"type": "string", "enum": ["a", "b"]}, {"const": "c"}]}}
    ir = build(tmp_path, doc({"/m": get("getModel", ref("Model"))}, schemas))
    t = only(ir).result.type
    assert t is not None and (t.kind, t.union) == ("string", None)
    assert ir.aliases["Model"].kind == "string"


def test_inline_union_is_named_from_its_place(tmp_path: Path) -> None:
    schemas = {"Err": {"type": "object", "properties": {"error": {"oneOf": [ref("Body"), {"type": "string"}]}}},
               "Body": {"type": "object", "properties": {"message": {"type": "string"}}}}
    ir = build(tmp_path, doc({"/e": get("getErr", ref("Err"))}, schemas))
    assert {f.wire_name: f.type.union for f in ir.models["Err"].fields} == {"error": "ErrError"}
    assert ir.unions["ErrError"].inline and ir.unions["ErrError"].source.endswith("/properties/error")


# -- nullable -----------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["3.0.3", "3.1.0"])
def test_nullable_in_every_spelling(tmp_path: Path, version: str) -> None:
    props: dict[str, Any] = {
        "a": {"type": "string", "nullable": True},
        "d": {"allOf": [ref("Thing")], "nullable": True},
        "e": {"anyOf": [ref("Thing")], "nullable": True},
    }
    if version.startswith("3.1"):
        props.update({
            "b": {"type": ["string", "null"]},
            "c": {"anyOf": [ref("Thing"), {"type": "null"}]},
            "f": {"oneOf": [{"type": "integer"}, {"type": "null"}]},
            "g": {"$ref": "#/components/schemas/Thing", "nullable": True},  # OpenAI writes this in 3.1
        })
    schemas = {"Box": {"type": "object", "properties": props},
               "Thing": {"type": "object", "properties": {"x": {"type": "string"}}}}
    ir = build(tmp_path, doc({"/b": get("getBox", ref("Box"))}, schemas, version=version))
    fields = {f.wire_name: f.type for f in ir.models["Box"].fields}
    assert all(t.nullable for t in fields.values()), {k: t.nullable for k, t in fields.items()}
    assert fields["d"].ref == fields["e"].ref == "Thing"


# -- recursion ------------------------------------------------------------------------------------


def test_recursive_schemas_are_built_whole(tmp_path: Path) -> None:
    schemas = {
        "Node": {"type": "object", "required": ["children"], "properties": {
            "name": {"type": "string"}, "children": {"type": "array", "items": ref("Node")}, "parent": ref("Node")}},
        "A": {"type": "object", "properties": {"b": ref("B")}},
        "B": {"type": "object", "properties": {"a": ref("A")}},
        "Leaf": {"type": "object", "properties": {"n": {"type": "integer"}}},
    }
    ir = build(tmp_path, doc({"/n": get("getNode", ref("Node")), "/a": get("getA", ref("A"))}, schemas))
    assert ir.dropped == [] and ir.errors == []
    assert [f.wire_name for f in ir.models["Node"].fields] == ["name", "children", "parent"]
    assert ir.models["Node"].fields[1].type.items.ref == "Node"  # type: ignore[union-attr]
    assert (ir.models["Node"].recursive, ir.models["A"].recursive, ir.models["B"].recursive, ir.models["Leaf"].recursive) == (
        True, True, True, False)


def test_an_all_of_cycle_is_dropped_with_its_location(tmp_path: Path) -> None:
    schemas = {"A": {"allOf": [ref("B")]}, "B": {"allOf": [ref("A"), {"type": "object", "properties": {"x": {"type": "string"}}}]}}
    ir = build(tmp_path, doc({"/a": get("getA", ref("A"))}, schemas))
    assert any("allOf cycle" in d.message and d.dropped for d in ir.diagnostics)


# -- inline schemas are named from their place -------------------------------------------------------


def test_inline_names(tmp_path: Path) -> None:
    paths = {
        "/things": {"post": {
            "operationId": "makeThing", "tags": ["things"],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["name"], "properties": {"name": {"type": "string"}, "opts": {
                    "type": "object", "properties": {"x": {"type": "integer"}}}}}}}},
            "responses": {"201": {"description": "made", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"id": {"type": "string"}, "tags": {"type": "array", "items": {
                    "type": "object", "properties": {"t": {"type": "string"}}}}}}}}}},
        }},
    }
    ir = build(tmp_path, doc(paths, {"MakeThingResponse": {"type": "object", "properties": {"taken": {"type": "string"}}}}))
    op = only(ir)
    assert op.body is not None and op.body.schema_name == "MakeThingRequest" and ir.models["MakeThingRequest"].inline
    assert ir.models["MakeThingRequest"].visibility == "internal"
    assert {f.wire_name: f.type.ref for f in op.body.fields}["opts"] == "MakeThingRequestOpts"
    # the natural name is taken by a component schema: the inline one is numbered, with a note
    assert op.result.type is not None and op.result.type.ref == "MakeThingResponse2"
    assert {f.wire_name: f.type.items.ref for f in ir.models["MakeThingResponse2"].fields if f.type.items}["tags"] == \
        "MakeThingResponse2TagsItem"
    assert any("'MakeThingResponse2'" in d.message and d.severity == "note" for d in ir.diagnostics)
    assert op.params_name.python_type == "MakeThingParams"


# -- bodies ----------------------------------------------------------------------------------------


def post_with(content: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"/up": {"post": {"operationId": "up", "tags": ["t"], "requestBody": {"required": required, "content": content},
                             "responses": {"204": {"description": "ok"}}}}}


@pytest.mark.parametrize(("content", "kind", "fields"), [
    ({"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}, "binary", []),
    ({"image/png": {}}, "binary", []),
    ({"text/plain": {"schema": {"type": "string"}}}, "text", []),
    ({"multipart/form-data": {"schema": {"type": "object", "properties": {
        "file": {"type": "string", "format": "binary"}, "note": {"type": "string"}}}}}, "multipart", ["file", "note"]),
    ({"application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {"a": {"type": "integer"}}}}},
     "form", ["a"]),
    ({"application/json": {"schema": {"type": "array", "items": {"type": "string"}}}}, "json", []),
    ({"application/xml": {"schema": {"type": "object"}}, "application/json": {"schema": ref("Thing")}}, "json", ["x"]),
])
def test_body_kinds(tmp_path: Path, content: dict[str, Any], kind: str, fields: list[str]) -> None:
    ir = build(tmp_path, doc(post_with(content), {"Thing": {"type": "object", "properties": {"x": {"type": "string"}}}}))
    body = only(ir).body
    assert body is not None and (body.kind, [f.wire_name for f in body.fields]) == (kind, fields)
    assert body.content_types == list(content)
    if kind == "binary":
        assert body.type is not None and (body.type.kind, body.type.format) == ("string", "binary")


def test_31_binary_spelling_is_the_binary_format(tmp_path: Path) -> None:
    content = {"multipart/form-data": {"schema": {"type": "object", "properties": {
        "file": {"type": "string", "contentMediaType": "application/octet-stream"},
        "b64": {"type": "string", "contentEncoding": "base64"}}}}}
    body = only(build(tmp_path, doc(post_with(content)))).body
    assert body is not None and [f.type.format for f in body.fields] == ["binary", "byte"]


def test_binary_and_text_responses(tmp_path: Path) -> None:
    paths = {"/f": {"get": {"operationId": "file", "tags": ["t"], "responses": {"200": {
        "description": "bytes", "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}}},
             "/t": {"get": {"operationId": "text", "tags": ["t"], "responses": {"200": {
                 "description": "text", "content": {"text/csv": {"schema": {"type": "string"}}}}}}}}
    ir = build(tmp_path, doc(paths))
    assert [(o.result.kind, o.result.content_type) for o in ir.operations] == [("binary", "application/pdf"), ("text", "text/csv")]


# -- auth ------------------------------------------------------------------------------------------


def test_every_usable_auth_scheme(tmp_path: Path) -> None:
    security = {
        "q": {"type": "apiKey", "in": "query", "name": "api_key"},
        "h": {"type": "apiKey", "in": "header", "name": "X-Key"},
        "c": {"type": "apiKey", "in": "cookie", "name": "sid"},
        "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
        "basic": {"type": "http", "scheme": "basic"},
        "oauth": {"type": "oauth2", "flows": {}},
        "oidc": {"type": "openIdConnect", "openIdConnectUrl": "https://x.test"},
    }
    ir = build(tmp_path, doc({"/x": get("x", {"type": "string"})}, security=security, info_x={"env_prefix": "ACME"}))
    got = {a.key: (a.kind, a.location, a.param, a.prefix, a.env, a.name.python_member) for a in ir.auth}
    assert got == {
        "q": ("api_key", "query", "api_key", "", ["ACME_API_KEY"], "api_key"),
        "h": ("api_key", "header", "X-Key", "", ["ACME_H"], "h"),
        "c": ("api_key", "cookie", "sid", "", ["ACME_C"], "c"),
        "bearer": ("bearer", "header", "Authorization", "Bearer ", ["ACME_BEARER"], "bearer"),
        "basic": ("basic", "header", "Authorization", "Basic ", ["ACME_USERNAME", "ACME_PASSWORD"], "basic_auth"),
        "oauth": ("oauth2", "header", "Authorization", "Bearer ", ["ACME_OAUTH"], "oauth"),
        "oidc": ("openid", "header", "Authorization", "Bearer ", ["ACME_OIDC"], "oidc"),
    }
    assert ir.auth[3].bearer_format == "JWT"
    assert ir.sdk.auth_header == "X-Key"  # the deprecated field keeps its meaning
    assert only(ir).security == [[k] for k in security]


def test_unsupported_schemes_drop_only_what_needs_them(tmp_path: Path) -> None:
    security = {"digest": {"type": "http", "scheme": "digest"}, "k": {"type": "apiKey", "in": "header", "name": "K"}}
    d = doc({"/a": get("a", {"type": "string"}), "/b": get("b", {"type": "string"})}, security=security)
    d["security"] = [{"k": []}]
    d["paths"]["/b"]["get"]["security"] = [{"digest": []}]
    ir = build(tmp_path, d)
    assert [a.key for a in ir.auth] == ["k"]
    assert [(x.dropped, x.location) for x in ir.dropped] == [
        ("auth", "#/components/securitySchemes/digest"), ("auth", "#/paths/~1b/get")]
    a, b = ir.operations
    assert (a.security, b.security) == ([["k"]], [])


def test_optional_security_and_no_security(tmp_path: Path) -> None:
    d = doc({"/a": get("a", {"type": "string"}), "/b": get("b", {"type": "string"})})
    d["paths"]["/a"]["get"]["security"] = [{}, {"k": []}]
    d["paths"]["/b"]["get"]["security"] = []
    a, b = build(tmp_path, d).operations
    assert (a.security, b.security) == ([[], ["k"]], [])


# -- parameters -----------------------------------------------------------------------------------


def test_typed_parameters_and_required_decisions(tmp_path: Path) -> None:
    params = [
        {"name": "id", "in": "path", "schema": {"type": "integer", "format": "int64"}},  # `required` left out
        {"name": "ratio", "in": "query", "schema": {"type": "number"}},
        {"name": "flag", "in": "query", "required": True, "schema": {"type": "boolean"}},
        {"name": "ids", "in": "query", "style": "form", "explode": False, "schema": {"type": "array", "items": {"type": "integer"}}},
        {"name": "filter", "in": "query", "content": {"application/json": {"schema": {"type": "object", "properties": {
            "q": {"type": "string"}}}}}},
        {"name": "session", "in": "cookie", "schema": {"type": "string"}},
        {"name": "Accept", "in": "header", "schema": {"type": "string"}},
    ]
    ir = build(tmp_path, doc({"/x/{id}": get("getX", {"type": "string"}, params=params)}))
    op = only(ir)
    assert [(p.wire_name, p.type.kind, p.required) for p in op.path_params] == [("id", "integer", True)]
    assert [(p.wire_name, p.type.kind, p.required) for p in op.query_params] == [
        ("ratio", "number", False), ("flag", "boolean", True), ("ids", "array", False), ("filter", "model", False)]
    assert (op.query_params[2].style, op.query_params[2].explode) == ("form", False)
    assert [p.wire_name for p in op.cookie_params] == ["session"] and op.header_params == []
    assert op.params_required  # `flag` is required
    assert any("'Accept' is ignored" in d.message for d in ir.notes)


def test_a_path_parameter_that_says_it_is_optional(tmp_path: Path) -> None:
    params = [{"name": "id", "in": "path", "required": False, "schema": {"type": "string"}}]
    ir = build(tmp_path, doc({"/x/{id}": get("getX", {"type": "string"}, params=params)}))
    assert only(ir).path_params[0].required
    assert any(d.severity == "warning" and "always required" in d.message for d in ir.diagnostics)


# -- the {data} envelope -------------------------------------------------------------------------


def test_envelope_is_inferred_or_declared(tmp_path: Path) -> None:
    schemas = {"Wrapped": {"type": "object", "properties": {"data": ref("Thing")}},
               "Bare": {"type": "object", "properties": {"data": ref("Thing"), "object": {"type": "string"}}},
               "Thing": {"type": "object", "properties": {"x": {"type": "string"}}}}
    paths = {"/w": get("wrapped", ref("Wrapped")), "/b": get("bare", ref("Bare")), "/n": get("declaredNone", ref("Wrapped"))}
    paths["/n"]["get"]["x-sdk-envelope"] = "none"
    ir = build(tmp_path, doc(paths, schemas))
    w, b, n = ir.operations
    assert (w.result.wrapped, w.result.unwrap, w.result.type.ref) == (True, "data", "Thing")  # type: ignore[union-attr]
    assert (b.result.wrapped, b.result.unwrap, b.result.type.ref) == (False, None, "Bare")  # type: ignore[union-attr]
    assert (n.result.wrapped, n.result.type.ref) == (False, "Wrapped")  # type: ignore[union-attr]
    assert n.decisions["envelope"] == "extension: x-sdk-envelope" and w.decisions["envelope"].startswith("rule")


def test_envelope_default_for_the_whole_api(tmp_path: Path) -> None:
    schemas = {"Wrapped": {"type": "object", "properties": {"data": {"type": "string"}}}}
    ir = build(tmp_path, doc({"/w": get("w", ref("Wrapped"))}, schemas, info_x={"envelope": "none"}))
    assert not only(ir).result.wrapped and only(ir).decisions["envelope"] == "extension: info.x-sdk.envelope"


# -- responses -------------------------------------------------------------------------------------


def test_default_and_range_responses(tmp_path: Path) -> None:
    paths = {"/d": {"get": {"operationId": "d", "tags": ["t"], "responses": {"default": {
        "description": "ok", "content": {"application/json": {"schema": {"type": "string"}}}}}}},
             "/r": {"get": {"operationId": "r", "tags": ["t"], "responses": {
                 "2XX": {"description": "ok", "content": {"application/json": {"schema": {"type": "integer"}}}},
                 "4XX": {"description": "bad", "content": {"application/json": {"schema": ref("Err")}}},
                 "default": {"description": "bad", "content": {"application/json": {"schema": ref("Err")}}}}}}}
    ir = build(tmp_path, doc(paths, {"Err": {"type": "object", "properties": {"m": {"type": "string"}}}}))
    d, r = ir.operations
    assert (d.result.kind, d.result.type.kind, d.error_bodies) == ("model", "string", {})  # type: ignore[union-attr]
    assert r.result.type.kind == "integer" and sorted(r.error_bodies) == ["4XX", "default"]  # type: ignore[union-attr]
    assert any("`default` response is read as the success" in x.message for x in ir.notes)


def test_an_operation_without_operation_id_is_named_from_its_place(tmp_path: Path) -> None:
    paths = {"/users/{id}/keys": {"delete": {"tags": ["t"], "parameters": [
        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}], "responses": {"204": {"description": "ok"}}}}}
    ir = build(tmp_path, doc(paths))
    assert only(ir).operation_id == "delete_users_id_keys" and ir.dropped == []


# -- names the spec chooses ------------------------------------------------------------------------


def test_name_extensions(tmp_path: Path) -> None:
    schemas = {"pet_v2": {"type": "object", "x-sdk-name": "Pet", "properties": {
        "nm": {"type": "string", "x-sdk-name": "name"}, "kind": ref("Kind")}},
        "Kind": {"type": "integer", "enum": [1, 2], "x-enum-varnames": ["Cat", "Dog"]}}
    d = doc({"/p": get("getPet", ref("pet_v2"), tag="pets_v2")}, schemas)
    d["tags"] = [{"name": "pets_v2", "x-sdk-name": "pets"}]
    d["paths"]["/p"]["get"]["x-sdk-method"] = "fetch"
    ir = build(tmp_path, d)
    m = ir.models["pet_v2"]
    assert (m.name.typescript_type, m.fields[0].name.python_member, m.fields[0].wire_name) == ("Pet", "name", "nm")
    assert [v.name.go_member for v in ir.enums["Kind"].values] == ["Cat", "Dog"]
    assert (ir.resources[0].name.python_member, only(ir).name.python_member) == ("pets", "fetch")


# -- schema identifiers (3.1) --------------------------------------------------------------------


def test_refs_to_schema_ids_and_anchors(tmp_path: Path) -> None:
    schemas = {"Pet": {"type": "object", "properties": {"owner": {"$ref": "/schemas/person"},
                                                        "ownerId": {"$ref": "/schemas/person#person_id"}}},
               "Person": {"$id": "/schemas/person", "type": "object", "properties": {
                   "id": {"type": "integer", "$anchor": "person_id"}}}}
    ir = build(tmp_path, doc({"/p": get("getPet", ref("Pet"))}, schemas))
    assert ir.errors == [] and ir.dropped == []
    fields = {f.wire_name: f.type for f in ir.models["Pet"].fields}
    assert (fields["owner"].ref, fields["ownerId"].kind) == ("Person", "integer")


def test_an_external_reference_is_dropped_with_its_location(tmp_path: Path) -> None:
    schemas = {"Pet": {"type": "object", "properties": {"x": {"$ref": "other.yaml#/Thing"}, "y": {"type": "string"}}}}
    ir = build(tmp_path, doc({"/p": get("getPet", ref("Pet"))}, schemas))
    assert [f.wire_name for f in ir.models["Pet"].fields] == ["y"]
    assert [(d.dropped, d.location) for d in ir.dropped] == [("field", "#/components/schemas/Pet/properties/x")]


# -- versions ---------------------------------------------------------------------------------------


def test_32_is_validated_by_the_32_validator(tmp_path: Path) -> None:
    d = doc({"/x": get("x", {"type": "string"})}, version="3.2.0")
    d["tags"] = [{"name": "things", "summary": "Things", "kind": "nav"}]
    ir = build(tmp_path, d)
    assert ir.errors == [] and not any("3.2" in n.message for n in ir.notes)


def test_32_without_a_32_validator_is_validated_as_31_with_a_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(spec_module._validators, "OpenAPIV32SpecValidator")
    d = doc({"/x": get("x", {"type": "string"})}, version="3.2.0")
    d["tags"] = [{"name": "things", "summary": "Things", "kind": "nav", "parent": "all"}]
    d["paths"]["/x"]["get"]["responses"]["200"]["content"] = {"text/event-stream": {"itemSchema": {
        "type": "object", "properties": {"data": {"type": "string"}}}, "x-sdk-stream": {"eof_ends": True}}}
    ir = build(tmp_path, d)
    assert ir.errors == [], [str(e) for e in ir.errors]
    assert any("validated as 3.1" in n.message for n in ir.notes)
    assert only(ir).result.kind == "stream"


def test_a_later_3x_is_read_with_a_note(tmp_path: Path) -> None:
    ir = build(tmp_path, doc({"/x": get("x", {"type": "string"})}, version="3.9.0"))
    assert any("newer than this generator knows" in n.message for n in ir.notes)
    assert only(ir).result.type.kind == "string"  # type: ignore[union-attr]


def test_as_openapi_31_sets_32_keywords_aside() -> None:
    raw = {"openapi": "3.2.0", "$self": "https://x", "tags": [{"name": "a", "parent": "b", "kind": "nav"}],
           "paths": {"/x": {"query": {"responses": {}}, "get": {"responses": {"200": {"description": "ok", "content": {
               "text/event-stream": {"itemSchema": {}}}}}}}}}
    out = spec_module.as_openapi_31(raw)
    assert out["openapi"] == "3.1.0" and "x-oas32-self" in out and "x-oas32-parent" in out["tags"][0]
    assert "x-oas32-query" in out["paths"]["/x"]
    assert "x-oas32-itemSchema" in out["paths"]["/x"]["get"]["responses"]["200"]["content"]["text/event-stream"]
    assert raw["openapi"] == "3.2.0"  # the original is untouched


def test_surrogate_escapes_are_repaired(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text('openapi: 3.1.0\ninfo: {title: "\\ud83d\\udd25 \\ud800", version: "1"}\npaths: {}\n')
    ir = build_ir(load_spec(path))
    assert ir.sdk.title == "\U0001f525 \ufffd"
    ir.model_dump_json()  # serializable
    assert any("surrogate" in d.message for d in ir.warnings)


# -- visibility ------------------------------------------------------------------------------------


def test_request_bodies_used_elsewhere_stay_public(tmp_path: Path) -> None:
    schemas = {"Thing": {"type": "object", "properties": {"x": {"type": "string"}}},
               "Input": {"type": "object", "properties": {"y": {"type": "string"}}}}
    paths = post_with({"application/json": {"schema": ref("Thing")}})
    paths.update(post_with({"application/json": {"schema": ref("Input")}}) and {"/in": {"post": {
        "operationId": "makeInput", "tags": ["t"], "requestBody": {"content": {"application/json": {"schema": ref("Input")}}},
        "responses": {"204": {"description": "ok"}}}}})
    paths["/get"] = get("getThing", ref("Thing"))
    ir = build(tmp_path, doc(paths, schemas))
    assert (ir.models["Thing"].visibility, ir.models["Thing"].roles) == ("public", ["request_body"])
    assert (ir.models["Input"].visibility, ir.models["Input"].roles) == ("internal", ["request_body"])
    assert [m.schema_name for m in ir.public_models] == ["Thing"]
