"""The Python code of docs/sdk-calls.md (the documented call shapes) and of README.md, run
unchanged against the mock server."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator

import pytest
from e2e_support import README, SEED, python_blocks
from promptrails import PromptRails
from promptrails_mock import testing


@pytest.fixture(scope="module")
def server() -> Iterator[testing.MockServer]:
    with testing.MockServer() as srv:
        yield srv


def run_blocks(blocks: list[str], namespace: dict[str, object]) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for i, code in enumerate(blocks):
            exec(compile(code, f"<block {i}>", "exec"), namespace)  # noqa: S102
    return out.getvalue()


def test_seed_003_python_blocks_run_unchanged(server: testing.MockServer) -> None:
    blocks = python_blocks(SEED.read_text())
    assert len(blocks) >= 7  # create, send, history, multi-turn, stream, list, get, delete
    key = server.new_workspace()
    server.alias_agent("your-agent-id", like="echo")
    server.create_session_with_id("session-id", agent_id="your-agent-id", title="Seed session", api_key=key)
    client = PromptRails(key, base_url=server.base_url)
    printed = run_blocks(blocks, {"client": client})
    assert "Session created: " in printed
    assert "Hello!" in printed  # streamed content
    assert "Title: Seed session" in printed
    assert "[user]: Hi, I need help with my account." in printed
    with pytest.raises(Exception, match="404"):
        client.chat.get_session("session-id")  # the last block deleted it


def test_readme_examples_run(server: testing.MockServer, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = python_blocks(README.read_text())
    assert len(blocks) >= 6
    key = server.new_workspace()
    monkeypatch.setenv("PROMPTRAILS_API_KEY", key)
    monkeypatch.setenv("PROMPTRAILS_BASE_URL", server.base_url)
    assert os.environ["PROMPTRAILS_BASE_URL"] == server.base_url
    printed = run_blocks(blocks, {"__name__": "readme"})
    assert "You said:" in printed
