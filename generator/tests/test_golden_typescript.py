"""Golden test of the TypeScript target: the fixture spec's SDK, compared file by file.

Regenerate after an intended change with:

    UPDATE_GOLDEN=1 .venv/bin/pytest generator/tests/test_golden_typescript.py

The hand-written runtime (`src/core/*.ts`) is not committed again under golden/: the golden
manifest records each runtime file's hash, and the test checks that every copy in a fresh output
is byte-identical to its source in `targets/typescript/runtime/`. The same SDK, generated fresh,
is compiled and called through a fake fetch by the runtime tests (generator/tests/ts_runtime/,
run by test_typescript_runtime.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from sdkgen.builder import build_ir_from_path
from sdkgen.cli import generate
from sdkgen.emit import MANIFEST, add_header
from sdkgen.targets.typescript import RUNTIME

HERE = Path(__file__).resolve().parent
FIXTURE = HERE / "fixtures" / "notebook.yaml"
GOLDEN = HERE / "golden" / "notebook" / "typescript"
CORE = "src/core/"


def _files(root: Path) -> dict[str, bytes]:
    """Every file's bytes but the runtime copies; the manifest without `generator_sha256` (which
    any change to the generator's core changes, while the output may stay the same)."""
    files = {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not str(p.relative_to(root)).startswith(CORE)
    }
    if MANIFEST in files:
        manifest = json.loads(files[MANIFEST])
        manifest.pop("generator_sha256", None)
        files[MANIFEST] = json.dumps(manifest, sort_keys=True).encode()
    return files


def test_golden_notebook(tmp_path: Path) -> None:
    ir = build_ir_from_path(str(FIXTURE))
    out = tmp_path / "out"
    generate(ir, FIXTURE, "typescript", out)
    if os.environ.get("UPDATE_GOLDEN"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(out, GOLDEN, ignore=lambda d, names: ["core"] if Path(d) == out / "src" else [])
    fresh, golden = _files(out), _files(GOLDEN)
    assert sorted(fresh) == sorted(golden), "file lists differ (UPDATE_GOLDEN=1 to accept)"
    for rel in fresh:
        assert fresh[rel] == golden[rel], f"{rel} differs from the golden copy (UPDATE_GOLDEN=1 to accept)"
    assert not (GOLDEN / "src" / "core").exists(), "the runtime is checked by hash, not committed under golden/"


def test_runtime_copies_are_the_runtime_byte_for_byte(tmp_path: Path) -> None:
    """Every runtime file is copied unchanged (below the generated-file header), and the golden
    manifest pins each copy's hash."""
    generate(build_ir_from_path(str(FIXTURE)), FIXTURE, "typescript", tmp_path)
    sources = sorted(RUNTIME.glob("*.ts"))
    assert len(sources) >= 8
    golden_manifest = json.loads((GOLDEN / MANIFEST).read_text())["files"]
    for source in sources:
        rel = CORE + source.name
        copy = add_header(rel, source.read_text(), FIXTURE.name)
        assert (tmp_path / rel).read_text() == copy, rel
        assert copy.removeprefix(copy.splitlines()[0] + "\n") == source.read_text()
        assert golden_manifest[rel] == hashlib.sha256(copy.encode()).hexdigest(), (
            f"{rel}: the golden manifest pins another version of the runtime (UPDATE_GOLDEN=1 to accept)")
    generated_core = sorted(p.name for p in (tmp_path / "src" / "core").iterdir())
    assert generated_core == [p.name for p in sources]


def test_generation_is_deterministic(tmp_path: Path) -> None:
    spec = HERE.parent.parent / "openapi.yaml"
    ir = build_ir_from_path(str(spec))
    generate(ir, spec, "typescript", tmp_path / "a")
    generate(build_ir_from_path(str(spec)), spec, "typescript", tmp_path / "b")
    assert _files(tmp_path / "a") == _files(tmp_path / "b")


def test_fixture_specifics_reach_the_output() -> None:
    """What the fixture has and openapi.yaml lacks shows up in the golden SDK."""
    resource = (GOLDEN / "src" / "resources" / "notes.ts").read_text()
    assert ("archiveNote(noteId: string, params: ArchiveNoteParams = {}, options?: RequestOptions): "
            "APIPromise<M.Note>") in resource
    # The stream's definition carries no resume route: the fixture has none.
    events = (GOLDEN / "src" / "events.ts").read_text()
    assert "resume:" not in events
    assert "export interface CitationEvent {\n  type: 'citation';" in events
    assert "      name: 'failed',\n      key: 'failed',\n" in events
    client = (GOLDEN / "src" / "client.ts").read_text()
    assert "param: 'X-Notebook-Token'," in client
    assert '"name": "@notebook/sdk"' in (GOLDEN / "package.json").read_text()
    assert "export const Attachment: ModelShape<Attachment> = model<Attachment>('Attachment'" in (
        GOLDEN / "src" / "models.ts").read_text()
    assert "#### `client.notes.summarizeNote(" in (GOLDEN / "api.md").read_text()
