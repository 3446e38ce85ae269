"""The Python target's own machinery (issue 8): openapi-python-client shaped by sdkgen's
templates, only the modules the SDK uses shipped, the contract's shapes rendered from the
IR, and the generated package reading tolerantly or strictly.

Runs on fixtures/notebook.yaml (a spec unlike PromptRails': its own names, enums, nested
lists of models, a union-free error body) so nothing here leans on openapi.yaml.
"""

from __future__ import annotations

import ast
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
from sdkgen.targets.python import PythonTarget, _shape_value

HERE = Path(__file__).resolve().parent
FIXTURE = HERE / "fixtures" / "notebook.yaml"


@pytest.fixture(scope="module")
def sdk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("python-target")
    generate(build_ir(load_spec(FIXTURE)), FIXTURE, "python", out)
    return out / "src" / "notebook"


def _run(sdk: Path, code: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(sdk.parent)}
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


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


def test_reachable_follows_relative_and_multiline_imports(tmp_path: Path) -> None:
    files = {
        "__init__.py": "from .resources import x\n",
        "resources/__init__.py": "",
        "resources/x.py": "from .._generated.api.a import (\n    one,\n    two as _two,\n)\n",
        "_generated/__init__.py": "",
        "_generated/api/__init__.py": "",
        "_generated/api/a/__init__.py": "",
        "_generated/api/a/one.py": "from ...models.m import M\n",
        "_generated/api/a/two.py": "from ... import types\n",
        "_generated/api/a/three.py": "",
        "_generated/models/__init__.py": "",
        "_generated/models/m.py": "if TYPE_CHECKING:\n    from ..models.n import N\n",
        "_generated/models/n.py": "",
        "_generated/models/unused.py": "from ..models.m import M\n",
        "_generated/types.py": "",
        "_generated/client.py": "",
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    used = {rel for rel in PythonTarget._reachable(tmp_path) if rel.startswith("_generated/")}
    assert used == {
        "_generated/__init__.py",
        "_generated/api/__init__.py",
        "_generated/api/a/__init__.py",
        "_generated/api/a/one.py",
        "_generated/api/a/two.py",
        "_generated/models/__init__.py",
        "_generated/models/m.py",
        "_generated/models/n.py",
        "_generated/types.py",
    }


def test_the_ir_text_keys_reach_the_model_template() -> None:
    spec = Path(__file__).resolve().parents[2] / "openapi.yaml"
    ir = build_ir(load_spec(spec))
    import yaml

    raw = yaml.safe_load(spec.read_bytes())
    doc = PythonTarget._for_opc(raw, ir)
    assert doc["components"]["schemas"]["Execution"]["properties"]["output"]["x-sdkgen-python-text"] == ["content", "text"]
    assert "x-sdkgen-python-text" not in raw["components"]["schemas"]["Execution"]["properties"]["output"]


def test_shape_values() -> None:
    ir = build_ir(load_spec(FIXTURE))
    assert _shape_value(ir, TypeRef(kind="string", format="date-time")) == "_V('string', format='date-time')"
    assert _shape_value(ir, TypeRef(kind="string", format="email")) == "_V('string')"
    assert _shape_value(ir, TypeRef(kind="array", items=TypeRef(kind="enum", ref="Priority"))) == (
        "_V('array', items=_V('enum', enum=Priority))"
    )
    assert _shape_value(ir, TypeRef(kind="map", values=TypeRef(kind="model", ref="Note"), nullable=True)) == (
        "_V('map', values=_V('model', model='Note'), nullable=True)"
    )
    assert _shape_value(ir, TypeRef(kind="string", const="done")) == "_V('string', const='done')"
