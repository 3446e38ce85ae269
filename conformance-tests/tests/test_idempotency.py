"""Idempotency-Key: scoped to (workspace, method, path, key); repeats replay, other bodies conflict."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from helpers import API, FrameReader, assert_error, parse_sse
from promptrails_mock.testing import MockServer


def count_messages(client: httpx.Client, session_id: str) -> int:
    return int(client.get(f"{API}/chat/sessions/{session_id}/messages").json()["meta"]["total"])


def test_create_session_repeat_returns_the_first_result(client: httpx.Client) -> None:
    headers = {"Idempotency-Key": "create-1"}
    first = client.post(f"{API}/chat/sessions", json={"agent_id": "echo", "title": "a"}, headers=headers)
    again = client.post(f"{API}/chat/sessions", json={"title": "a", "agent_id": "echo"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["x-request-id"] != first.headers["x-request-id"]
    assert client.get(f"{API}/chat/sessions").json()["meta"]["total"] == 1


def test_same_key_other_body_is_409(client: httpx.Client) -> None:
    headers = {"Idempotency-Key": "create-2"}
    assert client.post(f"{API}/chat/sessions", json={"agent_id": "echo"}, headers=headers).status_code == 201
    error = assert_error(
        client.post(f"{API}/chat/sessions", json={"agent_id": "thinker"}, headers=headers),
        409,
        "idempotency_key_reused",
    )
    assert error["details"] == {"idempotency_key": "create-2"}
    assert client.get(f"{API}/chat/sessions").json()["meta"]["total"] == 1


def test_send_message_repeat_stores_nothing_twice(
    client: httpx.Client, make_session: Callable[..., dict[str, Any]]
) -> None:
    session = make_session("echo")
    url = f"{API}/chat/sessions/{session['id']}/messages"
    headers = {"Idempotency-Key": "send-1"}
    first = client.post(url, json={"content": "Hello!"}, headers=headers)
    again = client.post(url, json={"content": "Hello!"}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert count_messages(client, session["id"]) == 2
    other = client.post(url, json={"content": "Bye"}, headers=headers)
    assert_error(other, 409, "idempotency_key_reused")
    assert count_messages(client, session["id"]) == 2


def test_failed_send_repeat_replays_the_502(client: httpx.Client, make_session: Callable[..., dict[str, Any]]) -> None:
    session = make_session("faulty")
    url = f"{API}/chat/sessions/{session['id']}/messages"
    headers = {"Idempotency-Key": "send-faulty"}
    first = client.post(url, json={"content": "x"}, headers=headers)
    again = client.post(url, json={"content": "x"}, headers=headers)
    assert first.status_code == again.status_code == 502
    assert again.json() == first.json()
    assert count_messages(client, session["id"]) == 1


def test_key_is_scoped_to_the_path_and_workspace(
    srv: MockServer, client: httpx.Client, make_session: Callable[..., dict[str, Any]]
) -> None:
    one, two = make_session("echo"), make_session("echo")
    headers = {"Idempotency-Key": "shared"}
    a = client.post(f"{API}/chat/sessions/{one['id']}/messages", json={"content": "x"}, headers=headers)
    b = client.post(f"{API}/chat/sessions/{two['id']}/messages", json={"content": "x"}, headers=headers)
    assert a.status_code == b.status_code == 200
    assert a.json()["data"]["id"] != b.json()["data"]["id"]
    with httpx.Client(base_url=srv.base_url, headers={"X-API-Key": srv.new_workspace()}) as other:
        created = other.post(f"{API}/chat/sessions", json={"agent_id": "thinker"}, headers=headers)
        assert created.status_code == 201


def test_streaming_repeat_replays_the_first_run(
    client: httpx.Client, make_session: Callable[..., dict[str, Any]]
) -> None:
    session = make_session("echo")
    url = f"{API}/chat/sessions/{session['id']}/messages/stream"
    headers = {"Idempotency-Key": "stream-1"}
    first = client.post(url, json={"content": "Hello!"}, headers=headers)
    again = client.post(url, json={"content": "Hello!"}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers["content-type"].startswith("text/event-stream")
    assert again.text == first.text
    assert count_messages(client, session["id"]) == 2
    assert_error(client.post(url, json={"content": "Other"}, headers=headers), 409, "idempotency_key_reused")


def test_streaming_repeat_during_the_run_follows_it_live(
    client: httpx.Client, make_session: Callable[..., dict[str, Any]]
) -> None:
    session = make_session("slow")
    url = f"{API}/chat/sessions/{session['id']}/messages/stream"
    headers = {"Idempotency-Key": "stream-live"}
    body = {"content": "Hello!", "metadata": {"delay_ms": 100}}
    with client.stream("POST", url, json=body, headers=headers) as response:
        reader = FrameReader(response)
        first_frame = reader.read(1)
        repeat = client.post(url, json=body, headers=headers)
        rest = reader.read()
    frames = parse_sse(repeat.text)
    assert frames == first_frame + rest
    assert frames[-1]["event"] == "done"
    assert count_messages(client, session["id"]) == 2


def test_concurrent_duplicates_run_once(client: httpx.Client, make_session: Callable[..., dict[str, Any]]) -> None:
    session = make_session("slow", metadata={"delay_ms": 20})
    url = f"{API}/chat/sessions/{session['id']}/messages"
    headers = {"Idempotency-Key": "concurrent"}

    def post(_: int) -> httpx.Response:
        return client.post(url, json={"content": "Hello!"}, headers=headers)

    with ThreadPoolExecutor(6) as pool:
        responses = list(pool.map(post, range(6)))
    assert {r.status_code for r in responses} == {200}
    assert len({r.text for r in responses}) == 1
    assert count_messages(client, session["id"]) == 2


def test_feedback_repeat(client: httpx.Client, make_session: Callable[..., dict[str, Any]]) -> None:
    session = make_session("echo")
    reply = client.post(f"{API}/chat/sessions/{session['id']}/messages", json={"content": "x"}).json()["data"]
    url = f"{API}/chat/sessions/{session['id']}/feedback"
    headers = {"Idempotency-Key": "fb"}
    body = {"execution_id": reply["execution_id"], "value": 1}
    assert client.post(url, json=body, headers=headers).json() == {"data": {"submitted": True}}
    again = client.post(url, json=body, headers=headers)
    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    assert_error(client.post(url, json={**body, "value": -1}, headers=headers), 409, "idempotency_key_reused")


def test_a_404_is_replayed_too(client: httpx.Client, make_session: Callable[..., dict[str, Any]]) -> None:
    url = f"{API}/chat/sessions/not-yet/messages"
    headers = {"Idempotency-Key": "missing"}
    first = client.post(url, json={"content": "x"}, headers=headers)
    assert_error(first, 404, "not_found")
    again = client.post(url, json={"content": "x"}, headers=headers)
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"


def test_validation_errors_are_not_recorded(client: httpx.Client) -> None:
    headers = {"Idempotency-Key": "invalid-first"}
    assert_error(client.post(f"{API}/chat/sessions", json={"agent_id": 1}, headers=headers), 400, "validation_error")
    assert client.post(f"{API}/chat/sessions", json={"agent_id": "echo"}, headers=headers).status_code == 201
