"""The edge of the generator: any input gives diagnostics with a location and an exit code,
never a Python traceback.

  0  done (warnings and notes do not fail a run)
  1  the spec stops the run: something was dropped (unless --allow-partial), errors under
     --strict, lint errors
  2  the generator could not run: unreadable input, or an internal error (short message)
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sdkgen import cli
from sdkgen.builder import build_ir
from sdkgen.cli import main
from sdkgen.spec import load_spec

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
SPECS = HERE / "specs"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "Traceback" not in out
    return code, out, err


# -- exit codes -------------------------------------------------------------------------------


def test_a_clean_spec_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "lint", "--spec", str(SPECS / "petstore-3.0.yaml"))
    assert code == 0 and "0 error(s)" in err and "0 dropped" in err


def test_dropping_anything_exits_1_and_lists_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "generate", "--spec", str(FIXTURES / "broken.yaml"), "--lang", "go", "--out", str(tmp_path))
    assert code == 1
    assert "the SDKs would lack 4 piece(s) of the spec" in err
    assert "operation at #/paths/~1widgets/get" in err and "field at #/components/schemas/Thing/properties/parts" in err
    assert "--allow-partial" in err
    assert not any(tmp_path.iterdir()), "nothing is written"


def test_allow_partial_generates_and_still_lists_what_is_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "generate", "--allow-partial", "--spec", str(FIXTURES / "broken.yaml"), "--lang", "go",
                         "--out", str(tmp_path))
    assert code == 0 and "the SDKs would lack 4 piece(s)" in err and (tmp_path / "client.go").exists()


def test_ir_command_exits_1_when_something_was_dropped(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "ir", "--spec", str(FIXTURES / "broken.yaml"))
    assert code == 1 and json.loads(out)["sdk"]["title"] == "Broken API"
    code, out, _ = run(capsys, "ir", "--allow-partial", "--spec", str(FIXTURES / "broken.yaml"))
    assert code == 0


def test_notes_are_printed_unless_quiet(capsys: pytest.CaptureFixture[str]) -> None:
    _, _, err = run(capsys, "lint", "--spec", str(SPECS / "petstore-3.0.yaml"))
    assert "note: #/tags: resource 'pet' is `PetResource`" in err
    _, _, err = run(capsys, "lint", "--quiet", "--spec", str(SPECS / "petstore-3.0.yaml"))
    assert "note:" not in err and "note(s)" in err


@pytest.mark.parametrize("content", ["openapi: [unclosed", "swagger: '2.0'\n", "", "- a\n- b\n", "\x00\x01\x02"])
def test_unreadable_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(content)
    code, _, err = run(capsys, "lint", "--spec", str(bad))
    assert code == 2 and str(bad) in err


def test_a_directory_or_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "lint", "--spec", str(tmp_path))[0] == 2
    assert run(capsys, "lint", "--spec", str(tmp_path / "nope.yaml"))[0] == 2


def test_an_internal_error_is_one_short_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_: Any, **__: Any) -> list[str]:
        raise ValueError("go: model 'X' and model 'x' are both named 'X'\nmore detail")

    monkeypatch.setattr(cli, "generate", boom)
    code, _, err = run(capsys, "generate", "--spec", str(SPECS / "petstore-3.0.yaml"), "--lang", "go", "--out", str(tmp_path))
    assert code == 2
    assert err.strip().splitlines()[-1] == (
        "sdkgen: internal error: ValueError: go: model 'X' and model 'x' are both named 'X' (--debug shows the traceback)")


def test_debug_shows_the_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_: Any, **__: Any) -> list[str]:
        raise RuntimeError("x")

    monkeypatch.setattr(cli, "generate", boom)
    code = main(["generate", "--debug", "--spec", str(SPECS / "petstore-3.0.yaml"), "--lang", "go", "--out", str(tmp_path)])
    assert code == 2 and "Traceback" in capsys.readouterr().err


def test_strict_refuses_errors_that_drop_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text("openapi: 3.1.0\ninfo: {title: X}\npaths: {}\n")  # info.version missing: a validation error
    assert run(capsys, "lint", "--spec", str(spec))[0] == 1
    out = tmp_path / "out"
    assert run(capsys, "generate", "--strict", "--spec", str(spec), "--lang", "go", "--out", str(out))[0] == 1
    code, _, err = run(capsys, "generate", "--spec", str(spec), "--lang", "go", "--out", str(out))
    assert code == 0 and "spec validation" in err


# -- no input makes the builder raise -----------------------------------------------------------------

WEIRD: list[Any] = [
    {"openapi": "3.1.0"},
    {"openapi": "3.1.0", "info": "x", "paths": []},
    {"openapi": "3.1.0", "info": {}, "paths": {"/x": "get"}},
    {"openapi": "3.1.0", "info": {}, "paths": {"/x": {"get": "op"}}},
    {"openapi": "3.1.0", "info": {}, "paths": {"/x": {"get": {"responses": []}}}},
    {"openapi": "3.1.0", "info": {}, "paths": {"/x": {"get": {"operationId": 7, "parameters": "p", "responses": {"200": 1}}}}},
    {"openapi": "3.1.0", "info": {}, "paths": {"/x/{a}": {"parameters": [{"$ref": "#/nope"}], "get": {
        "responses": {"200": {"description": "d", "content": {"application/json": {"schema": 5}}}}}}}},
    {"openapi": "3.1.0", "info": {}, "components": {"schemas": {"A": {"$ref": "#/components/schemas/A"}}},
     "paths": {"/x": {"get": {"responses": {"200": {"description": "d", "content": {"application/json": {
         "schema": {"$ref": "#/components/schemas/A"}}}}}}}}},
    {"openapi": "3.1.0", "info": {}, "components": {"schemas": {"A": {"allOf": [{"$ref": "#/components/schemas/A"}]}}},
     "paths": {}},
    {"openapi": "3.1.0", "info": {}, "components": {"schemas": [1, 2], "securitySchemes": {"x": {"$ref": "#/x"}}}, "paths": {}},
    {"openapi": "3.1.0", "info": {"x-sdk": {"name": "", "env_prefix": "1", "version": None}}, "paths": {}, "servers": ["x"]},
    {"openapi": "3.1.0", "info": {}, "paths": {"/x": {"get": {"responses": {"200": {"description": "d", "content": {
        "text/event-stream": {"schema": {"oneOf": "x", "x-sdk-stream": {"terminal": 3, "text": "x", "resume": 1}}}}}}}}}},
    {"openapi": "3.1.0", "info": {}, "paths": {"/x": {"get": {"responses": {"200": {"description": "d", "content": {
        "text/event-stream": {"itemSchema": {"oneOf": [None, 1, {"properties": {"event": {"const": 1}}}]}}}}}}}}},
    {"openapi": "3.1.0", "info": {}, "tags": [None, {"name": None}], "paths": {"/x": {"post": {"requestBody": {
        "content": {"multipart/form-data": {"schema": {"type": "array"}}}}, "responses": {"200": {"description": "d"}}}}}},
]


@pytest.mark.parametrize("raw", WEIRD)
def test_weird_documents_build_with_diagnostics(tmp_path: Path, raw: Any, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "weird.yaml"
    path.write_text(yaml.safe_dump(raw))
    ir = build_ir(load_spec(path))
    ir.model_dump_json()
    assert all(d.location.startswith("#") for d in ir.diagnostics)
    code, _, _ = run(capsys, "generate", "--allow-partial", "--spec", str(path), "--lang", "go", "--out", str(tmp_path / "o"))
    assert code in (0, 1, 2)


def test_deep_nesting_is_a_diagnostic(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    depth = 3000
    schema = '{"type": "object", "properties": {"x": ' * depth + '{"type": "string"}' + "}}" * depth
    path = tmp_path / "deep.json"
    path.write_text('{"openapi": "3.1.0", "info": {"title": "d", "version": "1"}, "paths": {}, '
                    '"components": {"schemas": {"Deep": ' + schema + "}}}")
    code, _, err = run(capsys, "lint", "--spec", str(path))
    assert code in (1, 2) and ("nested too deeply" in err or "error" in err)


# A fuzz of the builder: random JSON values written at random places of real specs.
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8) | st.sampled_from(["#/x", "$ref", "object", "[DONE]"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.sampled_from(["type", "$ref", "properties", "oneOf", "items", "enum", "required", "schema", "content",
                         "x-sdk-stream", "discriminator", "allOf", "nullable", "const", "data", "event"]), children,
        max_size=3),
    max_leaves=8,
)
BASES = [yaml.safe_load((SPECS / name).read_text()) for name in ("anthropic-messages.yaml", "oas32-itemschema.yaml")]


def _places(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _places(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _places(v, (*path, i))
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(value=JSON, seed=st.integers(min_value=0, max_value=10_000), base=st.sampled_from([0, 1]))
def test_the_builder_never_raises(tmp_path: Path, value: Any, seed: int, base: int) -> None:
    doc = copy.deepcopy(BASES[base])
    # Replacing the `openapi` field itself makes the document not OpenAPI: load_spec refuses
    # it with SpecError (exit 2), which is covered elsewhere; fuzz everything below it.
    places = [p for p in _places(doc) if p and p != ("openapi",)]
    where = random.Random(seed).choice(places)
    node = doc
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    path = tmp_path / f"fuzz{seed}.yaml"
    path.write_text(yaml.safe_dump(doc))
    ir = build_ir(load_spec(path))
    ir.model_dump_json()
