"""The Python code of docs/sdk-calls.md (the documented call shapes) and of README.md, run
unchanged against the mock server."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
from pathlib import Path

import pytest
from e2e_support import README, ROOT_README, SEED, python_blocks
from promptrails import PromptRails
from promptrails_mock import testing


def run_blocks(blocks: list[str], namespace: dict[str, object]) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for i, code in enumerate(blocks):
            exec(compile(code, f"<block {i}>", "exec"), namespace)  # noqa: S102
    return out.getvalue()


def test_seed_003_python_blocks_run_unchanged(server: testing.MockServer) -> None:
    blocks = python_blocks(SEED.read_text())
    assert len(blocks) >= 7  # create, send, history, multi-turn, stream, list, get, delete
    # The development workspace every mock starts with (as make serve does) serves the docs'
    # placeholders: the key your-api-key, the agent your-agent-id, the session session-id.
    client = PromptRails("your-api-key", base_url=server.base_url)
    printed = run_blocks(blocks, {"client": client})
    assert "Session created: " in printed
    assert "Hello!" in printed  # streamed content
    assert "Title: Example session" in printed
    assert "[user]: Hi, I need help with my account." in printed
    with pytest.raises(Exception, match="404"):
        client.chat.get_session("session-id")  # the last block deleted it


def test_readme_examples_run(server: testing.MockServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blocks = python_blocks(README.read_text())
    assert len(blocks) >= 6
    monkeypatch.chdir(tmp_path)  # the Conversations section saves a file
    key = server.new_workspace()
    monkeypatch.setenv("PROMPTRAILS_API_KEY", key)
    monkeypatch.setenv("PROMPTRAILS_BASE_URL", server.base_url)
    assert os.environ["PROMPTRAILS_BASE_URL"] == server.base_url
    printed = run_blocks(blocks, {"__name__": "readme"})
    assert "You said:" in printed


def markdown_section(path: Path, heading: str) -> str:
    """The text of a Markdown file's `## heading` section, up to the next `## ` heading."""
    text = path.read_text()
    start = text.index(f"## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end >= 0 else None]


def readme_section(heading: str) -> list[str]:
    return python_blocks(markdown_section(README, heading))


def test_readme_conversations_section_runs(server: testing.MockServer, monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path) -> None:
    blocks = readme_section("Conversations")
    assert len(blocks) == 2
    monkeypatch.chdir(tmp_path)
    key = server.new_workspace()
    monkeypatch.setenv("PROMPTRAILS_API_KEY", key)
    monkeypatch.setenv("PROMPTRAILS_BASE_URL", server.base_url)
    out = run_blocks(blocks[:1], {"__name__": "readme"}).splitlines()
    assert out[0] == "You said: Hi, I need help with my account."
    assert out[1].startswith("You said: What is my balance? ")
    assert out[2] == "You said: Tell me more"
    assert out[3] == "You said: And then?"
    assert out[4:12] == [
        "user: Hi, I need help with my account.", "assistant: You said: Hi, I need help with my account.",
        "user: What is my balance?", "assistant: You said: What is my balance?",
        "user: Tell me more", "assistant: You said: Tell me more",
        "user: And then?", "assistant: You said: And then?",
    ]
    count, prompt_tokens, cost = out[12].split()
    assert count == "8" and int(prompt_tokens) > 0 and cost.startswith("$")
    assert out[13:] == ["10", "0 0.0"]
    saved = json.loads((tmp_path / "conversation.json").read_text())
    client = PromptRails(key, base_url=server.base_url)
    sessions = client.chat.list_sessions().data
    # The conversation's first session was cleared (kept), the fresh one deleted.
    assert [s.id for s in sessions] == [saved["session_id"]]
    assert sessions[0].title == "Support" and sessions[0].metadata == {"user": "42"}
    assert len(client.chat.list_messages(saved["session_id"]).data) == 10

    key = server.new_workspace()
    monkeypatch.setenv("PROMPTRAILS_API_KEY", key)
    out = run_blocks(blocks[1:], {"__name__": "readme"}).splitlines()
    assert out[:2] == ["You said: Hello, how are you?", "You said: Go on"]
    assert out[2].startswith("Total cost: $") and out[3] == "Messages: 4"
    assert PromptRails(key, base_url=server.base_url).chat.list_sessions().data == []  # delete_on_exit
    assert server.violations() == []


def test_repository_readme_first_look_runs(server: testing.MockServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The repository README's "A first look", with the environment it tells the reader to export."""
    section = markdown_section(ROOT_README, "A first look")
    exports = re.search(r"export (PROMPTRAILS_API_KEY=\S+) (PROMPTRAILS_BASE_URL=\S+)", section)
    assert exports, "the section exports the key and the URL of make serve"
    assert exports.group(1) == "PROMPTRAILS_API_KEY=promptrails-dev-key"
    blocks = python_blocks(section)
    assert len(blocks) == 1
    monkeypatch.setenv("PROMPTRAILS_API_KEY", "promptrails-dev-key")  # make serve's development key
    monkeypatch.setenv("PROMPTRAILS_BASE_URL", server.base_url)  # in place of http://127.0.0.1:8080
    lines = run_blocks(blocks, {"__name__": "readme"}).splitlines()
    assert lines[:4] == ["You said: Hello there!", "(6 tokens)", "You said: Hi", "You said: Tell me more"], lines
    count, rest = lines[4].split(" ", 1)
    assert count == "4" and rest.startswith("{'prompt_tokens': ") and len(lines) == 5, lines
    assert float(rest.rsplit(" ", 1)[1]) > 0  # total_cost
