"""The development workspace serves the documentation's placeholders (issue 12).

The rule (conformance-tests/README.md, promptrails_mock.placeholders): the workspace
of the first configured key always serves ``your-api-key`` (a second key to it),
``your-agent-id`` (an agent like ``echo``) and the session ``session-id``, present
at every start and after every reset; workspaces made through the control API never
serve them. The documented SDK calls (docs/sdk-calls.md) run unchanged against a
server started as ``make serve`` starts it.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from helpers import API, REPO_ROOT, SPEC_PATH, assert_error, parse_sse
from promptrails_mock.testing import DEFAULT_API_KEY, MockServer, MockServerError

SDK_CALLS = REPO_ROOT / "docs" / "sdk-calls.md"
PLACEHOLDER_KEY = "your-api-key"


@contextlib.contextmanager
def dev_server(db: str = ":memory:", *, control: bool = False) -> Iterator[MockServer]:
    """A server as ``make serve`` runs it: the default key, the control API off (unless asked for)."""
    with MockServer(db=db, spec=SPEC_PATH, control=control) as srv:
        yield srv


def client_for(srv: MockServer, key: str) -> httpx.Client:
    return httpx.Client(base_url=srv.base_url, headers={"X-API-Key": key}, timeout=30.0)


def session_ids(client: httpx.Client) -> list[str]:
    answer = client.get(f"{API}/chat/sessions", params={"limit": 100})
    assert answer.status_code == 200, answer.text
    return [s["id"] for s in answer.json()["data"]]


def test_a_fresh_server_serves_every_placeholder_under_both_keys() -> None:
    with dev_server() as srv, client_for(srv, DEFAULT_API_KEY) as dev, client_for(srv, PLACEHOLDER_KEY) as docs:
        preset = dev.get(f"{API}/chat/sessions/session-id")
        assert preset.status_code == 200, preset.text
        data = preset.json()["data"]
        assert (data["agent_id"], data["title"]) == ("your-agent-id", "Example session")
        assert docs.get(f"{API}/chat/sessions/session-id").json() == preset.json(), "one workspace, two keys"
        created = docs.post(f"{API}/chat/sessions", json={"agent_id": "your-agent-id", "title": "Support"})
        assert created.status_code == 201, created.text
        assert created.json()["data"]["id"] in session_ids(dev)
        reply = docs.post(f"{API}/chat/sessions/session-id/messages", json={"content": "Hi there"})
        assert reply.status_code == 200, reply.text
        assert reply.json()["data"]["content"] == "You said: Hi there", "your-agent-id behaves like echo"
        stream_url = f"{API}/chat/sessions/{created.json()['data']['id']}/messages/stream"
        frames = parse_sse(dev.post(stream_url, json={"content": "Hello!"}).text)
        assert [f["event"] for f in frames] == ["execution", "content", "content", "done"]
        assert frames[-1]["data"]["output"] == {"content": "You said: Hello!"}
        assert srv.running
    assert "promptrails-mock docs placeholders: the key your-api-key, the agent your-agent-id" in srv.output()


def test_a_deleted_placeholder_session_is_back_at_the_next_start(tmp_path: Path) -> None:
    db = str(tmp_path / "dev.db")
    with dev_server(db) as srv, client_for(srv, DEFAULT_API_KEY) as dev:
        assert dev.delete(f"{API}/chat/sessions/session-id").status_code == 204
        assert_error(dev.get(f"{API}/chat/sessions/session-id"), 404, "not_found")  # until the next start
    with dev_server(db) as srv, client_for(srv, DEFAULT_API_KEY) as dev:
        assert dev.get(f"{API}/chat/sessions/session-id").status_code == 200
        assert dev.post(f"{API}/chat/sessions/session-id/messages", json={"content": "kept"}).status_code == 200
    with dev_server(db) as srv, client_for(srv, PLACEHOLDER_KEY) as docs:
        history = docs.get(f"{API}/chat/sessions/session-id/messages").json()["data"]
        assert [m["content"] for m in history] == ["kept", "You said: kept"], "a present one is kept, history and all"
        assert session_ids(docs) == ["session-id"], "and not created twice"


def test_test_workspaces_never_serve_the_placeholders() -> None:
    with dev_server(control=True) as srv:
        key = srv.new_workspace()
        with client_for(srv, key) as test:
            assert_error(test.get(f"{API}/chat/sessions/session-id"), 404, "not_found")
            error = assert_error(
                test.post(f"{API}/chat/sessions", json={"agent_id": "your-agent-id"}), 422, "unknown_agent"
            )
            assert error["details"]["agent_id"] == "your-agent-id"
        taken = httpx.post(srv.url("/__mock/workspaces"), json={"api_key": PLACEHOLDER_KEY})
        assert_error(taken, 409, "conflict")
        with pytest.raises(MockServerError, match="unknown_agent"):
            srv.create_session_with_id("elsewhere", agent_id="your-agent-id", api_key=key)


def test_the_control_api_can_reshape_the_placeholders() -> None:
    with dev_server(control=True) as srv, client_for(srv, DEFAULT_API_KEY) as dev:
        assert dev.post(f"{API}/chat/sessions/session-id/messages", json={"content": "old"}).status_code == 200
        # The placeholder session may be re-created (a test presets it its own way); any other id is a 409.
        fresh = srv.create_session_with_id("session-id", agent_id="echo", title="Preset")
        assert (fresh["agent_id"], fresh["title"]) == ("echo", "Preset")
        assert dev.get(f"{API}/chat/sessions/session-id/messages").json()["data"] == []
        srv.create_session_with_id("mine")
        with pytest.raises(MockServerError, match="409"):
            srv.create_session_with_id("mine")
        # A server-wide alias of the placeholder agent takes precedence over the workspace's own.
        srv.alias_agent("your-agent-id", like="thinker")
        session = dev.post(f"{API}/chat/sessions", json={"agent_id": "your-agent-id"}).json()["data"]
        frames = parse_sse(
            dev.post(f"{API}/chat/sessions/{session['id']}/messages/stream", json={"content": "Hello!"}).text
        )
        assert "tool_start" in [f["event"] for f in frames]
        # A reset empties the workspace and brings the placeholders back.
        srv.reset()
        assert session_ids(dev) == ["session-id"]
        assert dev.get(f"{API}/chat/sessions/session-id").json()["data"]["agent_id"] == "your-agent-id"
        answer = dev.post(f"{API}/chat/sessions/session-id/messages", json={"content": "again"})
        assert answer.json()["data"]["content"] == "You said: again", "like echo again, the alias is gone"
        assert srv.violations() == []


def python_blocks(text: str) -> list[str]:
    return [m.group(1) for m in re.finditer(r"```python\n(.*?)```", text, flags=re.DOTALL)]


def test_the_docs_name_only_placeholders_the_mock_serves() -> None:
    """Every quoted id in the documented calls is a placeholder the development workspace serves."""
    text = SDK_CALLS.read_text(encoding="utf-8")
    agents = set(re.findall(r"agent_?[iI]d[=:]\s*[\"']([^\"']+)[\"']", text))
    sessions = set(re.findall(r"(?:get_session|list_messages|delete_session)\(\s*\"([^\"]+)\"", text))
    assert agents == {"your-agent-id"}, agents
    assert sessions == {"session-id"}, sessions


@pytest.mark.parametrize("key", [DEFAULT_API_KEY, PLACEHOLDER_KEY])
def test_the_documented_python_calls_run_unchanged(key: str) -> None:
    from promptrails import PromptRails

    blocks = python_blocks(SDK_CALLS.read_text(encoding="utf-8"))
    assert len(blocks) >= 8  # create, send, history, conversation, stream, list, get, delete
    with dev_server() as srv:
        client = PromptRails(key, base_url=srv.base_url)
        out = io.StringIO()
        namespace: dict[str, object] = {"client": client}
        with contextlib.redirect_stdout(out):
            for i, code in enumerate(blocks):
                exec(compile(code, f"<docs/sdk-calls.md python block {i}>", "exec"), namespace)
        printed = out.getvalue()
        assert "Session created: " in printed
        assert "You said: Hi, I need help with my account." in printed
        assert "[user]: Hi, I need help with my account." in printed
        assert "Title: Example session" in printed
        with client_for(srv, key) as http:
            assert_error(http.get(f"{API}/chat/sessions/session-id"), 404, "not_found")  # the last block deleted it
