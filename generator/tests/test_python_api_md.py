"""The Python SDK's API reference (`api.md`, issue 12 item 8): generated from the IR, it
lists every resource, method, parameter, return type and event type; `sdkgen check` keeps
the committed one fresh (it is a generated file of the manifest)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sdkgen.builder import build_ir
from sdkgen.cli import generate
from sdkgen.emit import MANIFEST
from sdkgen.spec import load_spec

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


@pytest.mark.parametrize("spec", [ROOT / "openapi.yaml", HERE / "fixtures" / "notebook.yaml",
                                  HERE / "specs" / "anthropic-messages.yaml"], ids=lambda p: p.stem)
def test_api_md_lists_everything(spec: Path, tmp_path: Path) -> None:
    ir = build_ir(load_spec(spec))
    generate(ir, spec, "python", tmp_path)
    text = (tmp_path / "api.md").read_text()
    for r in ir.resources:
        assert f"## {r.name.python_type}: `client.{r.name.python_member}`" in text
        for op in r.operations:
            section = text.split(f"### `{r.name.python_member}.{op.name.python_member}()`", 1)[1].split("\n### ", 1)[0]
            for p in op.path_params + [q for q in op.query_params + op.header_params if q.role != "idempotency_key"]:
                assert f"- `{p.name.python_member}: " in section, (op.key, p.name.python_member)
            for f in op.body.fields if op.body else []:
                assert f"- `{f.name.python_member}: " in section, (op.key, f.name.python_member)
            assert "Returns `" in section, op.key
    for s in ir.streams.values():
        for e in s.events:
            assert f"- `{e.name.python_type}` (" in text, e.event
    for m in ir.public_models:
        assert f"### {m.name.python_type}\n" in text


def test_the_committed_api_md_is_fresh_and_tracked(tmp_path: Path) -> None:
    spec = ROOT / "openapi.yaml"
    generate(build_ir(load_spec(spec)), spec, "python", tmp_path)
    assert (ROOT / "python-sdk" / "api.md").read_text() == (tmp_path / "api.md").read_text()
    assert "api.md" in json.loads((ROOT / "python-sdk" / MANIFEST).read_text())["files"]
