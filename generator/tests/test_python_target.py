"""The Python target's own machinery (issues 8, 10): openapi-python-client run on the IR's
view of the spec (no spec text in it), every name the SDK shows taken from the IR, only
the modules the SDK uses shipped, the contract's shapes rendered from the IR, and the
generated package reading tolerantly or strictly.

Mostly on fixtures/notebook.yaml (a spec unlike PromptRails': its own names, enums, nested
lists of models, a union-free error body) so nothing here leans on openapi.yaml; the name
tests use specs/adversarial.yaml.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sdkgen.builder import build_ir
from sdkgen.cli import generate
from sdkgen.ir import TypeRef
from sdkgen.spec import load_spec
from sdkgen.targets.python import (
    PythonTarget,
    Types,
    _comment,
    _doc,
    _md,
    _needs,
    _pystr,
    _Sdk,
    _toml,
)

HERE = Path(__file__).resolve().parent
FIXTURE = HERE / "fixtures" / "notebook.yaml"


@pytest.fixture(scope="module")
def sdk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("python-target")
    generate(build_ir(load_spec(FIXTURE)), FIXTURE, "python", out)
    return out / "src" / "notebook"


def _run(sdk: Path, code: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(sdk.parent)}
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, check=False, text=True, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def _pyflakes(src: Path) -> None:
    """ruff's pyflakes checks (E9, F): no unused import, no undefined name, no syntax error."""
    ruff = Path(sys.executable).parent / "ruff"
    proc = subprocess.run([str(ruff), "check", "--isolated", "--no-cache", "--select", "E9,F", "--output-format", "concise",
                           str(src)], capture_output=True, text=True, check=False, timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def test_the_generated_code_imports_only_what_it_uses(sdk: Path, tmp_path: Path) -> None:
    _pyflakes(sdk)
    spec = HERE.parents[1] / "openapi.yaml"  # PromptRails': streams, pages, a conversation
    generate(build_ir(load_spec(spec)), spec, "python", tmp_path)
    _pyflakes(tmp_path / "src")


def test_no_public_annotation_shows_unset(sdk: Path) -> None:
    checked = 0
    for path in (sdk / "_generated" / "models").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.AnnAssign):
                checked += 1
                assert "Unset" not in ast.unparse(node.annotation), f"{path.name}: {ast.unparse(node)}"
    assert checked > 10
    for path in (sdk / "events.py", sdk / "models.py"):
        assert "Unset" not in path.read_text()


def test_only_what_the_sdk_imports_is_shipped(sdk: Path) -> None:
    generated = sdk / "_generated"
    assert not (generated / "client.py").exists() and not (generated / "errors.py").exists()
    for path in (generated / "api").rglob("*.py"):
        text = path.read_text()
        assert "def sync(" not in text and "def asyncio(" not in text and "httpx" not in text, path
    files = sorted(p.relative_to(sdk.parent).with_suffix("").as_posix().replace("/", ".") for p in generated.rglob("*.py"))
    out = _run(
        sdk,
        f"""
        import sys, notebook
        files = {files!r}
        missing = [f.removesuffix(".__init__") for f in files if f.removesuffix(".__init__") not in sys.modules]
        print("unused:", missing)
        """,
    )
    assert "unused: []" in out


def test_every_model_converts_to_plain_json(sdk: Path) -> None:
    out = _run(
        sdk,
        """
        import json
        from notebook import Note, Priority
        from notebook._core._reading import shape_of
        note = Note.from_dict({"id": "n1", "title": "T", "tags": ["a"], "priority": "urgent", "archived": False,
                               "attachments": [{"name": "f", "size_bytes": "3"}], "created_at": "2026-01-01T00:00:00Z",
                               "color": "red"})
        assert note.priority == "urgent" and not isinstance(note.priority, Priority)   # open enum
        assert note.attachments[0].size_bytes is None and note.attachments[0]["size_bytes"] == "3"
        assert note.additional_properties == {"color": "red"}
        plain = note.to_dict()
        assert json.loads(json.dumps(plain)) == plain and plain["attachments"] == [{"name": "f", "size_bytes": "3"}]
        assert Note.from_dict(plain) == note
        sparse = Note.from_dict({"id": "n2"})
        assert sparse.title is None and sparse.tags is None and sparse.to_dict() == {"id": "n2"}
        print("ok")
        """,
    )
    assert "ok" in out


def test_strict_mode_in_another_sdk(sdk: Path) -> None:
    out = _run(
        sdk,
        """
        import respx
        from notebook import Notebook, APIResponseValidationError, StreamError
        NOTE = {"id": "n1", "title": "T", "tags": ["a"], "priority": "urgent", "archived": False,
                "created_at": "2026-01-01T00:00:00Z"}
        with respx.mock(base_url="https://api.notebook.test") as m:
            m.get("/v1/notes/n1").respond(200, json={"data": NOTE})
            assert Notebook("tok").notes.get_note("n1").priority == "urgent"
            try:
                Notebook("tok", strict_response_validation=True).notes.get_note("n1")
            except APIResponseValidationError as err:
                assert err.path == "data.priority", err.path
            else:
                raise AssertionError("strict mode let an unknown enum value through")
            m.get("/v1/notes").respond(200, json={"data": [NOTE], "meta": {"total": 1}})
            try:
                Notebook("tok", strict_response_validation=True).notes.list_notes()
            except APIResponseValidationError as err:
                assert err.path in ("data[0].priority", "meta.page"), err.path
            else:
                raise AssertionError("strict mode let a page through")
            assert [n.id for n in Notebook("tok").notes.list_notes()] == ["n1"]
        print("ok")
        """,
    )
    assert "ok" in out


def test_the_view_opc_reads_holds_no_spec_text() -> None:
    spec = HERE / "specs" / "adversarial.yaml"
    ir = build_ir(load_spec(spec))
    doc, by_key, by_op = PythonTarget.opc_view(_Sdk(ir))
    text = json.dumps(doc)
    assert "process.exit" not in text and "*/" not in text and "</script>" not in text
    assert set(doc["components"]["schemas"]) == set(by_key) and all(k[0] in "ME" and k[1:].isdigit() for k in by_key)
    assert len(by_op) == len(ir.operations)
    for path in doc["paths"]:
        assert all(part.isidentifier() or part.strip("{}").isidentifier() for part in path.strip("/").split("/"))


def test_every_name_comes_from_the_ir(tmp_path: Path) -> None:
    spec = HERE / "specs" / "adversarial.yaml"
    ir = build_ir(load_spec(spec))
    generate(ir, spec, "python", tmp_path)
    src = tmp_path / "src" / ir.sdk.python_package
    classes: set[str] = set()
    attrs: dict[str, set[str]] = {}
    for path in (src / "_generated" / "models").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                classes.add(node.name)
                attrs[node.name] = {n.target.id for n in node.body
                                    if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)}
    shipped = {m.name.python_type for m in _Sdk(ir).models} | {e.name.python_type for e in ir.enums.values()}
    assert classes == shipped
    for m in _Sdk(ir).models:
        assert {f.name.python_member for f in m.fields} <= attrs[m.name.python_type], m.schema_name
    # The schemas APIError and Error are models of their own; the SDK's errors are untouched.
    out = _run(src, f"""
        import {ir.sdk.python_package} as sdk
        from {ir.sdk.python_package}._generated.models import api_error
        assert sdk.APIError.__module__.endswith("_core._errors") and issubclass(sdk.APIError, sdk.StreamClientError)
        print(sorted(n for n in dir(sdk) if "Error" in n and n not in sdk.__all__))
        """)
    assert out.strip() == "[]"


def test_two_operations_of_one_tag_call_their_own_urls(tmp_path: Path) -> None:
    spec = HERE / "specs" / "adversarial.yaml"
    ir = build_ir(load_spec(spec))
    generate(ir, spec, "python", tmp_path)
    out = _run(tmp_path / "src" / ir.sdk.python_package, f"""
        import httpx
        import {ir.sdk.python_package} as sdk
        seen = []
        def handler(request):
            seen.append(request.url.path)
            return httpx.Response(200, json={{"id": 1}})
        c = sdk.StreamClient(api_key="k", base_url="https://x.test", http_client=httpx.Client(transport=httpx.MockTransport(handler)))
        c.pet.get_item(5)
        c.pet.get_item_2(5)
        print(seen)
        """)
    assert out.strip() == "['/pets/5', '/pets/5/x']"


def test_escaping_filters() -> None:
    hostile = 'a"""b\\c\x00d\u2028e\r\nf"'
    code = f'def f():\n    """{_doc(hostile)}"""\n'
    namespace: dict[str, object] = {}
    exec(compile(code, "doc", "exec"), namespace)  # noqa: S102 (the docstring filter's own output)
    # The docstring holds the text itself (its white space re-flowed); nothing ended it early.
    assert namespace["f"].__doc__ == 'a"""b\\c\x00d\u2028e f"'  # type: ignore[attr-defined]
    assert eval(_pystr(hostile)) == hostile
    assert _comment(hostile) == 'a"""b\\cd e f"' and "\n" not in _comment("a\nb")
    assert "<" not in _md("<b>x</b> | `y`").replace("\\<", "")
    assert _toml('a"\\\x00\u2028') == '"a\\"\\\\\\u0000\\u2028"'


def test_annotations_dodge_class_members_that_shadow_builtins() -> None:
    ir = build_ir(load_spec(FIXTURE))
    types = Types(ir)
    t = TypeRef(kind="array", items=TypeRef(kind="string", format="date-time"), nullable=True)
    assert types.ann(t) == "list[datetime.datetime] | None"
    assert types.ann(t, "out", ["list", "datetime"]) == "_builtins.list[_datetime.datetime] | None"
    assert types.ann(t, "in") == "Sequence[str] | None"
    assert _needs(["_builtins.list[_datetime.datetime]", "Sequence[str]"]) == {"_builtins", "_datetime", "Sequence"}


def test_shape_values() -> None:
    ir = build_ir(load_spec(FIXTURE))
    shape = Types(ir).shape
    assert shape(TypeRef(kind="string", format="date-time")) == "_V('string', format='date-time')"
    assert shape(TypeRef(kind="string", format="email")) == "_V('string')"
    assert shape(TypeRef(kind="array", items=TypeRef(kind="enum", ref="Priority"))) == (
        "_V('array', items=_V('enum', enum=Priority))"
    )
    assert shape(TypeRef(kind="map", values=TypeRef(kind="model", ref="Note"), nullable=True)) == (
        "_V('map', values=_V('model', model='Note'), nullable=True)"
    )
    assert shape(TypeRef(kind="string", const="done")) == "_V('string', const='done')"


def test_the_target_is_mypy_strict_clean(tmp_path: Path) -> None:
    target = HERE.parent / "src" / "sdkgen" / "targets" / "python" / "__init__.py"
    proc = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-error-summary", "--cache-dir", str(tmp_path),
                           str(target)], capture_output=True, text=True, check=False, timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
