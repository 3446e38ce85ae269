"""The Go target renders the conversation from `Resource.conversation` alone.

go-sdk/ (openapi.yaml) is tested end to end against the mock (go-sdk/conversation_test.go)
and the runtime against a stub (targets/go/runtime_tests/conversation_test.go). Here: the
names come from the IR (a spec that renames the open and load methods, and whose text field
is optional, builds and vets, and names them so in code and api.md); a spec without the
extension gets no conversation; a name the target would add that is already taken, or a
binding it cannot fill, is refused clearly, never rendered into code that does not build.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from sdkgen.builder import build_ir
from sdkgen.cli import generate
from sdkgen.spec import load_spec
from sdkgen.targets.go import GoTargetError

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SPEC = ROOT / "openapi.yaml"
GO = shutil.which("go")
ENV = {**os.environ, "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local"}


def _spec(tmp_path: Path, change: Any) -> Path:
    doc = yaml.safe_load(SPEC.read_text())
    change(doc)
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def _generate(spec: Path, out: Path) -> None:
    generate(build_ir(load_spec(spec)), spec, "go", out)


@pytest.mark.skipif(GO is None, reason="the Go toolchain is not installed")
def test_go_conversation_names_come_from_the_ir(tmp_path: Path) -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["tags"][0]["x-sdk-conversation"].update({"method": "open_chat", "load_method": "restore_chat"})
        doc["components"]["schemas"]["SendMessageRequest"]["required"] = []

    out = tmp_path / "sdk"
    _generate(_spec(tmp_path, change), out)
    code = (out / "chat_conversation.go").read_text()
    assert "type OpenChatParams struct" in code
    assert "func (s *ChatService) OpenChat(ctx context.Context, params OpenChatParams, opts ...ConversationOption)" in code
    assert "func (s *ChatService) RestoreChat(ctx context.Context, path string" in code
    assert "&SendMessageParams{Content: String(text)}" in code  # an optional text field is a pointer
    assert "ConversationParams" not in code
    api = (out / "api.md").read_text()
    assert "### ChatService.OpenChat" in api and "### ChatService.RestoreChat" in api and "## Conversation" in api
    for cmd in (["go", "vet", "./..."], ["go", "build", "./..."]):
        proc = subprocess.run(cmd, cwd=out, capture_output=True, text=True, env=ENV, check=False, timeout=600)
        assert proc.returncode == 0, f"{' '.join(cmd)}:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"


def test_go_conversation_only_where_the_spec_asks(tmp_path: Path) -> None:
    def change(doc: dict[str, Any]) -> None:
        del doc["tags"][0]["x-sdk-conversation"]

    out = tmp_path / "sdk"
    _generate(_spec(tmp_path, change), out)
    assert not (out / "chat_conversation.go").exists()
    assert "## Conversation" not in (out / "api.md").read_text()
    # The runtime is there all the same (it names no API), the binding is not.
    assert "conversationOf" not in "".join(p.read_text() for p in out.glob("*.go"))


def test_go_conversation_params_name_taken_is_refused(tmp_path: Path) -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["components"]["schemas"]["ConversationParams"] = {"type": "object", "properties": {"x": {"type": "string"}}}
        ops = doc["paths"]["/api/v1/chat/sessions"]["get"]
        ops["responses"]["200"]["content"]["application/json"]["schema"] = {"$ref": "#/components/schemas/ConversationParams"}
        del ops["x-pagination"]

    with pytest.raises(GoTargetError, match="ConversationParams"):
        _generate(_spec(tmp_path, change), tmp_path / "sdk")


def test_go_conversation_binding_it_cannot_fill_is_refused(tmp_path: Path) -> None:
    def change(doc: dict[str, Any]) -> None:
        # The text field becomes a number: the conversation sends text.
        doc["components"]["schemas"]["SendMessageRequest"]["properties"]["content"] = {"type": "integer"}

    with pytest.raises(GoTargetError, match="text field 'content'"):
        _generate(_spec(tmp_path, change), tmp_path / "sdk")
