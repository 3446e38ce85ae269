"""Golden test of the TypeScript target: the fixture spec's SDK, compared file by file.

Regenerate after an intended change with:

    UPDATE_GOLDEN=1 .venv/bin/pytest generator/tests/test_golden_typescript.py

The golden output is also compiled with tsc and called with a fake fetch by
typescript-sdk/test/golden.test.ts (part of `make test-typescript`).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from sdkgen.builder import build_ir_from_path
from sdkgen.cli import generate
from sdkgen.emit import MANIFEST
from sdkgen.targets.typescript import TargetError, _ts_doc, _ts_str

HERE = Path(__file__).resolve().parent
FIXTURE = HERE / "fixtures" / "notebook.yaml"
GOLDEN = HERE / "golden" / "notebook" / "typescript"


def _files(root: Path) -> dict[str, bytes]:
    """Every file's bytes; the manifest without `generator_sha256` (which any change to the
    generator's core changes, while the output may stay the same)."""
    files = {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
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
        shutil.copytree(out, GOLDEN)
    fresh, golden = _files(out), _files(GOLDEN)
    assert sorted(fresh) == sorted(golden), "file lists differ (UPDATE_GOLDEN=1 to accept)"
    for rel in fresh:
        assert fresh[rel] == golden[rel], f"{rel} differs from the golden copy (UPDATE_GOLDEN=1 to accept)"


def test_generation_is_deterministic(tmp_path: Path) -> None:
    spec = HERE.parent.parent / "openapi.yaml"
    ir = build_ir_from_path(str(spec))
    generate(ir, spec, "typescript", tmp_path / "a")
    generate(build_ir_from_path(str(spec)), spec, "typescript", tmp_path / "b")
    assert _files(tmp_path / "a") == _files(tmp_path / "b")


def test_fixture_specifics_reach_the_output() -> None:
    """What the fixture has and openapi.yaml lacks shows up in the golden SDK."""
    resource = (GOLDEN / "src" / "resources" / "notes.ts").read_text()
    assert "archiveNote(noteId: string, params: ArchiveNoteParams = {}, options?: RequestOptions): Promise<M.Note>" in resource
    # No resume route in the fixture: the stream is opened without one.
    assert "return this.#client.stream(request, options, E.SummaryFrameSpec);" in resource
    events = (GOLDEN / "src" / "events.ts").read_text()
    assert "export interface CitationEvent {\n  type: 'citation';" in events
    assert "isFailure: (event) => event.type === 'failed'," in events
    client = (GOLDEN / "src" / "client.ts").read_text()
    assert "authHeader: 'X-Notebook-Token'," in client
    assert '"name": "@notebook/sdk"' in (GOLDEN / "package.json").read_text()
    assert "export const Attachment = model<Attachment>('Attachment'" in (GOLDEN / "src" / "models.ts").read_text()


def test_event_field_colliding_with_the_union_is_refused(tmp_path: Path) -> None:
    original = "        note_id: { type: string, description: The note. }"
    assert original in FIXTURE.read_text()
    spec = tmp_path / "bad.yaml"
    spec.write_text(FIXTURE.read_text().replace(original, original.replace("note_id:", "type:")))
    ir = build_ir_from_path(str(spec))
    assert any(f.wire_name == "type" for s in ir.streams.values() for e in s.events for f in e.fields)
    with pytest.raises(TargetError, match="type"):
        generate(ir, spec, "typescript", tmp_path / "out")


def test_filters() -> None:
    assert _ts_str("it's\n") == "'it\\'s\\n'"
    assert _ts_doc("") == ""
    assert _ts_doc("One line.", "  ") == "  /** One line. */\n"
    assert _ts_doc("a */ b\n\nsecond") == "/**\n * a *\\/ b\n *\n * second\n */\n"
