"""Sessions: create, list (newest first, paginated), get, update, delete; auth and workspace isolation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from helpers import API, assert_error
from promptrails_mock.ids import BASE62
from promptrails_mock.testing import MockServer

SESSION_KEYS = {"id", "workspace_id", "agent_id", "user_id", "title", "metadata", "created_at", "updated_at"}


def test_create_session(client: httpx.Client) -> None:
    response = client.post(
        f"{API}/chat/sessions",
        json={"agent_id": "echo", "title": "Support Conversation", "metadata": {"channel": "web"}},
    )
    assert response.status_code == 201
    assert response.headers["x-request-id"]
    session = response.json()["data"]
    assert set(session) == SESSION_KEYS
    assert len(session["id"]) == 27 and set(session["id"]) <= set(BASE62)
    assert session["agent_id"] == "echo"
    assert session["title"] == "Support Conversation"
    assert session["metadata"] == {"channel": "web"}
    assert session["user_id"] is None
    assert response.headers["location"] == f"{API}/chat/sessions/{session['id']}"


def test_create_minimal_session(client: httpx.Client) -> None:
    session = client.post(f"{API}/chat/sessions", json={"agent_id": "thinker"}).json()["data"]
    assert (session["title"], session["metadata"]) == (None, {})


def test_unknown_agent_is_422_naming_the_field(client: httpx.Client) -> None:
    error = assert_error(client.post(f"{API}/chat/sessions", json={"agent_id": "nope"}), 422, "unknown_agent")
    assert error["details"]["field"] == "agent_id"
    assert "nope" in error["message"]


def test_get_session(client: httpx.Client, make_session: Callable[..., dict[str, Any]]) -> None:
    session = make_session(title="t")
    response = client.get(f"{API}/chat/sessions/{session['id']}")
    assert response.status_code == 200
    assert response.json() == {"data": session}


def test_get_missing_session_is_404(client: httpx.Client) -> None:
    error = assert_error(client.get(f"{API}/chat/sessions/nope"), 404, "not_found")
    assert error["details"] == {"resource": "chat_session", "id": "nope"}


def test_list_sessions_newest_first_with_pages(
    client: httpx.Client, make_session: Callable[..., dict[str, Any]]
) -> None:
    ids = [make_session(title=f"s{i}")["id"] for i in range(5)]
    first = client.get(f"{API}/chat/sessions", params={"limit": 2})
    assert first.status_code == 200
    body = first.json()
    assert [s["id"] for s in body["data"]] == ids[::-1][:2]
    assert body["meta"] == {"total": 5, "page": 1, "limit": 2, "pages": 3, "total_pages": 3}
    last = client.get(f"{API}/chat/sessions", params={"limit": 2, "page": 3}).json()
    assert [s["id"] for s in last["data"]] == [ids[0]]
    beyond = client.get(f"{API}/chat/sessions", params={"limit": 2, "page": 4}).json()
    assert beyond == {"data": [], "meta": {"total": 5, "page": 4, "limit": 2, "pages": 3, "total_pages": 3}}


def test_list_defaults(client: httpx.Client) -> None:
    assert client.get(f"{API}/chat/sessions").json() == {
        "data": [],
        "meta": {"total": 0, "page": 1, "limit": 20, "pages": 0, "total_pages": 0},
    }


def test_update_title_and_metadata(client: httpx.Client, make_session: Callable[..., dict[str, Any]]) -> None:
    session = make_session(title="old", metadata={"a": 1})
    url = f"{API}/chat/sessions/{session['id']}"
    renamed = client.patch(url, json={"title": "Billing question"})
    assert renamed.status_code == 200
    assert renamed.json()["data"]["title"] == "Billing question"
    assert renamed.json()["data"]["metadata"] == {"a": 1}, "fields left out are kept"
    replaced = client.patch(url, json={"metadata": {"b": 2}}).json()["data"]
    assert replaced["metadata"] == {"b": 2} and replaced["title"] == "Billing question"
    cleared = client.patch(url, json={"title": None}).json()["data"]
    assert cleared["title"] is None
    assert cleared["updated_at"] >= session["updated_at"]
    assert client.get(url).json()["data"] == cleared


def test_update_missing_session_is_404(client: httpx.Client) -> None:
    assert_error(client.patch(f"{API}/chat/sessions/nope", json={"title": "x"}), 404, "not_found")


def test_update_needs_a_field(client: httpx.Client, make_session: Callable[..., dict[str, Any]]) -> None:
    session = make_session()
    assert_error(client.patch(f"{API}/chat/sessions/{session['id']}", json={}), 400, "validation_error")


def test_delete_session_and_its_messages(client: httpx.Client, make_session: Callable[..., dict[str, Any]]) -> None:
    session = make_session()
    url = f"{API}/chat/sessions/{session['id']}"
    assert client.post(f"{url}/messages", json={"content": "hi"}).status_code == 200
    response = client.delete(url)
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["x-request-id"]
    assert_error(client.get(url), 404, "not_found")
    assert_error(client.get(f"{url}/messages"), 404, "not_found")
    assert_error(client.delete(url), 404, "not_found")


@pytest.mark.parametrize("headers", [{}, {"X-API-Key": "not-a-key"}, {"X-API-Key": ""}])
def test_missing_or_unknown_api_key_is_401(srv: MockServer, headers: dict[str, str]) -> None:
    with httpx.Client(base_url=srv.base_url, headers=headers) as anonymous:
        for method, path in [
            ("GET", "/chat/sessions"),
            ("POST", "/chat/sessions"),
            ("GET", "/chat/sessions/x"),
            ("PATCH", "/chat/sessions/x"),
            ("DELETE", "/chat/sessions/x"),
            ("GET", "/chat/sessions/x/messages"),
            ("POST", "/chat/sessions/x/messages"),
            ("POST", "/chat/sessions/x/messages/stream"),
            ("DELETE", "/chat/sessions/x/messages/y"),
            ("POST", "/chat/sessions/x/feedback"),
            ("GET", "/executions/x"),
            ("GET", "/executions/x/stream"),
        ]:
            error = assert_error(anonymous.request(method, API + path, json={}), 401, "unauthorized")
            assert error["message"] == "Missing or invalid API key."


def test_another_workspace_sees_nothing(
    srv: MockServer, client: httpx.Client, make_session: Callable[..., dict[str, Any]]
) -> None:
    session = make_session()
    reply = client.post(f"{API}/chat/sessions/{session['id']}/messages", json={"content": "secret"}).json()["data"]
    with httpx.Client(base_url=srv.base_url, headers={"X-API-Key": srv.new_workspace()}) as other:
        base = f"{API}/chat/sessions/{session['id']}"
        assert other.get(f"{API}/chat/sessions").json()["meta"]["total"] == 0
        assert_error(other.get(base), 404, "not_found")
        assert_error(other.patch(base, json={"title": "x"}), 404, "not_found")
        assert_error(other.delete(base), 404, "not_found")
        assert_error(other.get(f"{base}/messages"), 404, "not_found")
        assert_error(other.post(f"{base}/messages", json={"content": "x"}), 404, "not_found")
        assert_error(other.post(f"{base}/messages/stream", json={"content": "x"}), 404, "not_found")
        assert_error(other.delete(f"{base}/messages/{reply['id']}"), 404, "not_found")
        assert_error(
            other.post(f"{base}/feedback", json={"execution_id": reply["execution_id"], "value": 1}), 404, "not_found"
        )
        assert_error(other.get(f"{API}/executions/{reply['execution_id']}"), 404, "not_found")
        assert_error(other.get(f"{API}/executions/{reply['execution_id']}/stream"), 404, "not_found")
    assert client.get(base).status_code == 200
    assert client.get(f"{base}/messages").json()["meta"]["total"] == 2


@pytest.mark.parametrize("session_id", ["%09", "%20", "a%20b", "%C3%A9", "x" * 64])
def test_odd_but_valid_session_ids_are_looked_up(client: httpx.Client, session_id: str) -> None:
    """Any 1-64 character id is valid per the contract: unknown ones are 404, never 400."""
    assert_error(client.get(f"{API}/chat/sessions/{session_id}"), 404, "not_found")
