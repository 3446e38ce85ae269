"""The Go target's reading of responses (RUNTIME.md, "Reading responses") on what neither
openapi.yaml nor the notebook fixture has: lists and maps of models, typed additional
properties, x-sdk-flatten, x-sdk-aliases and x-sdk-text on a map; models on a reference cycle
(pointers where the IR's Model.recursive says so); and the member names the Go target refuses
until the IR reserves them. The generated module is built and exercised by a Go
test when the Go toolchain is installed.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from sdkgen.builder import build_ir
from sdkgen.spec import load_spec
from sdkgen.targets import RenderContext
from sdkgen.targets.go import TARGET, Types, field_type

HERE = Path(__file__).resolve().parent
FIXTURE = HERE / "fixtures" / "notebook.yaml"
GO = shutil.which("go")


def _spec(tmp_path: Path, extra: dict[str, Any], note_props: dict[str, Any]) -> Path:
    raw = yaml.safe_load(FIXTURE.read_text())
    raw = copy.deepcopy(raw)
    raw["components"]["schemas"].update(extra)
    raw["components"]["schemas"]["Note"]["properties"].update(note_props)
    path = tmp_path / "reading.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


EXTRA_SCHEMAS: dict[str, Any] = {
    "Folder": {
        "type": "object", "description": "A folder holding files.", "required": ["name"],
        "properties": {
            "name": {"type": "string", "description": "Its name."},
            "parent": {"$ref": "#/components/schemas/File"},
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/File"}, "description": "Files."},
            "by_name": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/File"},
                        "description": "Files by name."},
        },
    },
    "File": {
        "type": "object", "description": "A file.", "required": ["name"],
        "properties": {
            "name": {"type": "string", "description": "Its name."},
            "tags": {"type": "array", "items": {"type": "string"}, "description": "Tags."},
        },
    },
    "Tally": {
        "type": "object", "description": "Counters, more may come.", "additionalProperties": {"type": "integer"},
        "properties": {"total": {"type": "integer", "description": "All of them."}},
    },
    "Reply": {
        "type": "object", "description": "A reply in two shapes.", "x-sdk-flatten": "inner",
        "properties": {
            "text": {"type": "string", "description": "The text."},
            "count": {"type": "integer", "x-sdk-aliases": ["n", "number"], "description": "How many."},
            "inner": {"$ref": "#/components/schemas/ReplyInner"},
            "result": {"type": "object", "additionalProperties": True, "x-sdk-text": "summary",
                       "description": "A result."},
        },
    },
    "ReplyInner": {
        "type": "object", "description": "The nested shape.",
        "properties": {"text": {"type": "string", "description": "The text."}},
    },
}

EXTRA_SCHEMAS.update({
    "Tree": {
        "type": "object", "description": "A tree.", "required": ["name"],
        "properties": {
            "name": {"type": "string", "description": "Its name."},
            "parent": {"$ref": "#/components/schemas/Tree"},
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/Tree"}, "description": "Kids."},
            "branch": {"$ref": "#/components/schemas/Branch"},
        },
    },
    "Branch": {
        "type": "object", "description": "A branch.",
        "properties": {"tree": {"$ref": "#/components/schemas/Tree"}},
    },
})

NOTE_PROPS = {
    "tree": {"$ref": "#/components/schemas/Tree"},
    "folder": {"$ref": "#/components/schemas/Folder"},
    "tally": {"$ref": "#/components/schemas/Tally"},
    "reply": {"$ref": "#/components/schemas/Reply"},
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict[str, str], Path]:
    tmp = tmp_path_factory.mktemp("go-reading")
    spec = _spec(tmp, EXTRA_SCHEMAS, NOTE_PROPS)
    ir = build_ir(load_spec(spec))
    files = TARGET.render(ir, RenderContext(spec_path=spec, spec_name="reading.yaml"))
    out = tmp / "module"
    for rel, text in files.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text)
    return ir, files, out


def test_field_types(generated: tuple[Any, dict[str, str], Path]) -> None:
    ir, _, _ = generated
    types = Types(ir)
    folder = ir.models["Folder"]
    fields = {f.wire_name: f for f in folder.fields}
    assert field_type(fields["parent"], folder, types) == "File"
    assert field_type(fields["children"], folder, types) == "[]File"
    assert field_type(fields["by_name"], folder, types) == "map[string]File"
    # A model on a reference cycle (the IR's Model.recursive) holds the models of its cycle
    # by pointer (a struct cannot hold itself); lists and maps need none.
    tree, branch = ir.models["Tree"], ir.models["Branch"]
    assert tree.recursive and branch.recursive and not folder.recursive
    tf = {f.wire_name: f for f in tree.fields}
    assert field_type(tf["parent"], tree, types) == "*Tree"
    assert field_type(tf["branch"], tree, types) == "*Branch"
    assert field_type(tf["children"], tree, types) == "[]Tree"
    assert field_type({f.wire_name: f for f in branch.fields}["tree"], branch, types) == "*Tree"
    note = ir.models["Note"]
    nf = {f.wire_name: f for f in note.fields}
    assert field_type(nf["folder"], note, types) == "Folder"  # no cycle through Note
    assert field_type(nf["tree"], note, types) == "Tree"  # Note is on no cycle
    assert field_type(nf["body"], note, types) == "*string"  # nullable
    assert field_type(nf["attachments"], note, types) == "[]Attachment"


def test_rendered_pieces(generated: tuple[Any, dict[str, str], Path]) -> None:
    _, files, _ = generated
    models = files["models.go"]
    assert "Extra map[string]int64 `json:\"-\"`" in models  # typed additional properties
    assert "m.Extra = decodeExtra[int64](&o)" in models
    assert 'func (m Reply) ResultText() string {\n\treturn jsonTextOf(m.Result, "summary")' in models
    assert '{wire: "count", aliases: []string{"n", "number"}, value: valueShape{kind: kindInteger}}' in models
    assert re.search(r"var shapeOfReply = &objectShape\{.*?flatten: 2,\n\taliased: true,", models, re.DOTALL)
    assert re.search(r'"PageMeta": +shapeOfPageMeta,', models)  # the list meta, for strict checks
    assert "func (e Priority) IsKnown() bool" in models


def test_reserved_names_are_renamed_by_the_ir(tmp_path: Path) -> None:
    """Fields that would collide with the Go models' own accessors (JSON, RawJSON, the text
    convenience) are renamed by the IR's resolver, with a note, so the target never sees a clash."""
    for props, word in [
        ({"json": {"type": "string", "description": "x"}}, "JSON"),
        ({"raw_json": {"type": "string", "description": "x"}}, "RawJSON"),
    ]:
        spec = _spec(tmp_path, {}, props)
        ir = build_ir(load_spec(spec))
        members = [f.name.go_member for m in ir.models.values() for f in m.fields]
        assert word not in members and any(m.startswith(word) for m in members), members
        assert any(word in d.message for d in ir.notes)
        TARGET.render(ir, RenderContext(spec_path=spec, spec_name="x.yaml"))
    # The text convenience is derived by the target: a field already named so still fails clearly.
    spec = _spec(tmp_path, {}, {"result": {"description": "x", "x-sdk-text": "t"},
                                "result_text": {"type": "string", "description": "x"}})
    with pytest.raises(ValueError, match="ResultText"):
        TARGET.render(build_ir(load_spec(spec)), RenderContext(spec_path=spec, spec_name="x.yaml"))


GO_TEST = r'''
package notebook

import (
	"encoding/json"
	"testing"
)

func TestReading(t *testing.T) {
	var n Note
	raw := `{"id":"n1","title":"T","tags":[],"priority":"urgent","archived":false,"created_at":"2026-01-01T00:00:00Z",
		"folder":{"name":"root","parent":{"name":"up"},"children":[{"name":"a"},null,{"name":"b","tags":["t"]}],"by_name":{"x":{"name":"x"}}},
		"tally":{"total":3,"red":1,"blue":"two"},
		"reply":{"n":4,"number":5,"inner":{"text":"from inner","extra":1},"result":{"summary":"sum"}}}`
	if err := json.Unmarshal([]byte(raw), &n); err != nil {
		t.Fatal(err)
	}
	f := n.Folder
	if f.Parent.Name != "up" || f.Children[2].Tags[0] != "t" || f.Children[1].Name != "" || f.ByName["x"].Name != "x" {
		t.Fatalf("folder %+v", f)
	}
	if n.Tally.Total != 3 || n.Tally.Extra["red"] != 1 || len(n.Tally.Extra) != 1 || n.Tally.ExtraFields()["blue"].Raw() != `"two"` {
		t.Fatalf("tally %+v", n.Tally)
	}
	r := n.Reply
	if r.Text != "from inner" || r.Count != 4 || r.ResultText() != "sum" || r.ExtraFields()["extra"].Raw() != "1" {
		t.Fatalf("reply %+v", r)
	}
	if n.Priority.IsKnown() || n.Priority != "urgent" {
		t.Fatalf("priority %q", n.Priority)
	}
	var tr Note
	if err := json.Unmarshal([]byte(`{"tree":{"name":"a","parent":{"name":"p"},"children":[{"name":"c"}],"branch":{"tree":{"name":"b"}}}}`), &tr); err != nil {
		t.Fatal(err)
	}
	if tr.Tree.Parent.Name != "p" || tr.Tree.Children[0].Name != "c" || tr.Tree.Branch.Tree.Name != "b" || tr.Tree.Parent.Parent != nil {
		t.Fatalf("tree %+v", tr.Tree)
	}
	if m := contractShapes.check("", "Note", raw); m == nil || m.Error() != `priority: "urgent" is not one of the values the contract lists ("low", "normal", "high")` {
		t.Fatalf("strict: %v", m)
	}
	fixed := `{"id":"n1","title":"T","tags":[],"priority":"low","archived":false,"created_at":"2026-01-01T00:00:00Z",` +
		`"folder":{"name":"root","children":[{"tags":[]}]}}`
	if m := contractShapes.check("", "Note", fixed); m == nil || m.Error() != "folder.children[0].name: missing required field" {
		t.Fatalf("strict: %v", m)
	}
	if m := contractShapes.check("", "Note", `{"id":"n1","title":"T","tags":[],"priority":"low","archived":false,"created_at":"x","tally":{"red":"1"}}`); m == nil || m.Error() != "tally.red: is a string, not an integer" {
		t.Fatalf("strict: %v", m)
	}
	out, err := json.Marshal(n.Reply)
	if err != nil || string(out) != `{"text":"from inner","count":4,"inner":{"text":"from inner","extra":1},"result":{"summary":"sum"},"extra":1,"n":4,"number":5}` {
		t.Fatalf("%s %v", out, err)
	}
}
'''


@pytest.mark.skipif(GO is None, reason="the Go toolchain is not installed")
def test_generated_module_reads_tolerantly(generated: tuple[Any, dict[str, str], Path]) -> None:
    _, _, module = generated
    (module / "reading_test.go").write_text(GO_TEST)
    env = {**os.environ, "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local"}
    for cmd in (["go", "vet", "./..."], ["go", "test", "-count=1", "-run", "TestReading", "."]):
        proc = subprocess.run(cmd, cwd=module, capture_output=True, text=True, env=env, check=False)
        assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}"
