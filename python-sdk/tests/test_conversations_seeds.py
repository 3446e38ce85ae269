"""The seeds' conversation snippets (docs/conversations.md: Upsonic's `Chat`, pyai's `chat()`),
verbatim but for the construction, run against the mock server with a client already made."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import sys
from pathlib import Path

import pytest
from e2e_support import REPO, python_blocks
from promptrails import AsyncPromptRails, PromptRails
from promptrails_mock import testing

DOC = REPO / "docs" / "conversations.md"


def seed_blocks(heading: str) -> list[str]:
    """The python blocks under `### <heading>` (up to the next heading of that level)."""
    text = DOC.read_text()
    start = text.index(f"### {heading}")
    end = text.find("\n### ", start + 1)
    return python_blocks(text[start : end if end >= 0 else None])


@pytest.fixture
def workspace(server: testing.MockServer) -> str:
    key = server.new_workspace()
    server.alias_agent("your-agent-id", like="echo")
    return key


def run(code: str, namespace: dict[str, object], name: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, name, "exec"), namespace)  # noqa: S102
    return out.getvalue()


def test_the_seed_blocks_are_there() -> None:
    assert len(seed_blocks("Seed 000")) == 1
    blocks = seed_blocks("Seed 002")
    assert len(blocks) == 11
    # Only the construction differs from the seeds: no block names the other libraries.
    for code in [*seed_blocks("Seed 000"), *blocks]:
        assert "upsonic" not in code and "pyai" not in code and "Chat(" not in code and "chat()" not in code


def test_seed_000_upsonic_chat(server: testing.MockServer, workspace: str) -> None:
    (code,) = seed_blocks("Seed 000")
    client = AsyncPromptRails(workspace, base_url=server.base_url)
    printed = run(code, {"client": client, "__name__": "__main__"}, "<seed 000>")
    lines = printed.splitlines()
    assert lines[0] == "You said: Hello, how are you?"
    # The total is the stored messages' cost, the count the stored messages.
    sync = PromptRails(workspace, base_url=server.base_url)
    (session,) = sync.chat.list_sessions().data
    assert session.title == "user123_session1" and session.metadata == {"user_id": "user123"}
    stored = sync.chat.list_messages(session.id).data
    assert [m.content for m in stored] == ["Hello, how are you?", "You said: Hello, how are you?"]
    cost = sum(m.cost or 0.0 for m in stored)
    assert cost > 0
    assert lines[1:] == [f"Total cost: ${cost:.4f}", "Messages: 2"]


def test_seed_002_pyai_chat(server: testing.MockServer, workspace: str, tmp_path: Path,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = seed_blocks("Seed 002")
    client = PromptRails(workspace, base_url=server.base_url)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO("Hello\nHow are you?\nquit\n"))
    ns: dict[str, object] = {"client": client, "__name__": "__main__"}
    out = [run(code, ns, f"<seed 002 block {i}>") for i, code in enumerate(blocks)]

    assert out[0] == ""
    assert out[1].splitlines() == [
        "You said: Hi, I need help with Python",
        "You said: How do I read a file?",
        "You said: Can you show an example?",
    ]
    assert out[2] == "You: AI: You said: Hello\nYou: AI: You said: How are you?\nYou: "  # input() prompts
    assert out[5].splitlines() == ["You said: Hello", "You said: Tell me a joke"]
    assert out[6].splitlines() == [
        "user: My name is Alice",
        "assistant: You said: My name is Alice",
        "user: I work at Acme Corp",
        "assistant: You said: I work at Acme Corp",
        "user: What's my name?",
        "assistant: You said: What's my name?",
    ]
    assert out[8] == "You said: Write a long story\n"
    assert out[9] == "You said: Hello!\n"
    assert out[10] == ""

    sync = PromptRails(workspace, base_url=server.base_url)
    sessions = {s.id: s for s in sync.chat.list_sessions()}
    # Every block made its sessions on the server: 10 conversations, and clear() one more.
    assert len(sessions) == 12
    system = [s for s in sessions.values() if s.metadata and "system" in s.metadata]
    assert len(system) == 1 and system[0].metadata["system"].startswith("You are a helpful Python tutor")
    model = [s for s in sessions.values() if s.metadata and s.metadata.get("model") == "gpt-4"]
    assert len(model) == 1 and model[0].metadata["temperature"] == 0.5

    # Clear and Reset: the question went to a fresh session that holds nothing else.
    remember = [s for s in sessions.values()
                if [m.content for m in sync.chat.list_messages(s.id).data][:1] == ["Remember: secret code is 1234"]]
    assert len(remember) == 1
    asked = [s for s in sessions.values()
             if [m.content for m in sync.chat.list_messages(s.id).data][:1] == ["What's the secret code?"]]
    assert len(asked) == 1 and len(sync.chat.list_messages(asked[0].id).data) == 2
    assert asked[0].agent_id == remember[0].agent_id

    # Persistence: session.json continues the same server session.
    doc = json.loads((tmp_path / "session.json").read_text())
    assert doc["version"] == 1 and doc["agent_id"] == "your-agent-id"
    assert [m["content"] for m in doc["history"]] == ["Important context here", "You said: Important context here"]
    assert workspace not in (tmp_path / "session.json").read_text()
    if os.name == "posix":
        assert (tmp_path / "session.json").stat().st_mode & 0o777 == 0o600
    restored = ns["restored"]
    assert restored.session_id == doc["session_id"]  # type: ignore[attr-defined]
    stored = [m.content for m in sync.chat.list_messages(doc["session_id"]).data]
    assert stored == ["Important context here", "You said: Important context here",
                      "Do you remember?", "You said: Do you remember?"]
    assert re.fullmatch(r"[0-9A-Za-z]+", doc["session_id"])
    assert server.violations() == []
