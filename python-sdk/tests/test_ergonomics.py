"""Raw responses, request ids, the per-request escape hatch, derived clients and logging
(RUNTIME.md "Raw responses and request ids", "Per-request options and the escape hatch",
"Logging"; issue 12 items 3, 4, 5), on the PromptRails SDK: with respx, and against the
mock server where the server's own request ids and status lines matter."""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import httpx
import pytest
import respx
from conftest import KEY, MESSAGE, RUN, SESSION, SSE_HEADERS, frames, meta
from promptrails import (
    APIResponse,
    AsyncAPIResponse,
    AsyncPromptRails,
    ChatSession,
    ContentEvent,
    PromptRails,
    Stream,
    SyncPage,
)
from promptrails_mock import testing

OPTIONS = ("extra_headers", "extra_query", "extra_body", "timeout", "max_retries", "idempotency_key")
# Not API operations: they build a conversation object whose own calls take the options.
CONVERSATION_FACTORIES = {"chat.conversation", "chat.load"}


def _methods(client: object) -> Iterator[tuple[str, object]]:
    for resource in ("chat", "executions"):
        r = getattr(client, resource)
        for name, fn in inspect.getmembers(r, inspect.ismethod):
            if not name.startswith("_") and f"{resource}.{name}" not in CONVERSATION_FACTORIES:
                yield f"{resource}.{name}", fn


@pytest.mark.parametrize("flavour", [PromptRails, AsyncPromptRails])
def test_the_conversation_factories_exist_and_are_not_api_operations(flavour: type) -> None:
    client = flavour(KEY)
    for name in CONVERSATION_FACTORIES:
        resource, method = name.split(".")
        assert callable(getattr(getattr(client, resource), method)), name
        assert not hasattr(getattr(client, resource).with_raw_response, method), name


@pytest.mark.parametrize("flavour", [PromptRails, AsyncPromptRails])
def test_every_method_takes_the_per_request_options(flavour: type) -> None:
    client = flavour(KEY)
    names = []
    for name, fn in _methods(client):
        params = inspect.signature(fn).parameters  # type: ignore[arg-type]
        missing = [o for o in OPTIONS if o not in params or params[o].kind is not inspect.Parameter.KEYWORD_ONLY]
        assert not missing, f"{name} lacks {missing}"
        names.append(name)
    assert len(names) == 14


@pytest.mark.parametrize("flavour", [PromptRails, AsyncPromptRails])
def test_every_method_has_raw_and_streamed_response_forms(flavour: type) -> None:
    client = flavour(KEY)
    for name, _ in _methods(client):
        resource, method = name.split(".")
        assert callable(getattr(getattr(client, resource).with_raw_response, method)), name
        assert callable(getattr(getattr(client, resource).with_streaming_response, method)), name


def test_raw_response_of_a_call(client: PromptRails, mock: respx.MockRouter) -> None:
    route = mock.get("/api/v1/chat/sessions/s1").respond(200, json={"data": SESSION},
                                                         headers={"x-request-id": "req_1", "x-ratelimit": "9"})
    raw = client.chat.with_raw_response.get_session("s1")
    assert isinstance(raw, APIResponse) and raw.status_code == 200 and raw.headers["x-ratelimit"] == "9"
    assert raw.request_id == "req_1" and raw.http_response.request.headers["x-api-key"] == "<redacted>"
    session = raw.parse()
    assert isinstance(session, ChatSession) and session.id == "s1" and session._request_id == "req_1"
    assert raw.parse() is session and route.call_count == 1


def test_raw_and_streamed_responses_of_a_stream(client: PromptRails, mock: respx.MockRouter) -> None:
    mock.post("/api/v1/chat/sessions/s1/messages/stream").respond(200, content=frames(*RUN),
                                                           headers={**SSE_HEADERS, "x-request-id": "req_s"})
    raw = client.chat.with_raw_response.send_message_stream("s1", content="Hi")
    assert raw.request_id == "req_s"
    stream = raw.parse()
    assert isinstance(stream, Stream) and stream._request_id == "req_s"
    assert stream.until_done().text == "You said: Hi"
    with client.chat.with_streaming_response.send_message_stream("s1", content="Hi") as response:
        assert response.status_code == 200
        assert [e.content for e in response.parse() if isinstance(e, ContentEvent)] == ["You said: ", "Hi"]


def test_streamed_response_body_unread_until_asked(client: PromptRails, mock: respx.MockRouter) -> None:
    mock.get("/api/v1/chat/sessions").respond(200, json={"data": [SESSION], "meta": meta()})
    with client.chat.with_streaming_response.list_sessions() as response:
        assert not response.http_response.is_stream_consumed
        lines = list(response.iter_lines())
    assert json.loads("".join(lines))["data"][0]["id"] == "s1" and response.http_response.is_closed
    with client.chat.with_streaming_response.list_sessions() as response:
        page = response.parse()
    assert isinstance(page, SyncPage) and [s.id for s in page.data] == ["s1"]


def test_the_escape_hatch(client: PromptRails, mock: respx.MockRouter) -> None:
    route = mock.post("/api/v1/chat/sessions/s1/messages").respond(201, json={"data": {**MESSAGE, "role": "assistant"}})
    client.chat.send_message(
        "s1",
        content="Hi",
        extra_headers={"X-Experiment": "a"},
        extra_query={"trace": "1"},
        extra_body={"metadata": {"new_field": True}, "temperature": 0.2},
        idempotency_key="key-1",
    )
    request = route.calls[0].request
    assert request.headers["x-experiment"] == "a" and request.url.params["trace"] == "1"
    assert request.headers["idempotency-key"] == "key-1"
    assert json.loads(request.content) == {"content": "Hi", "metadata": {"new_field": True}, "temperature": 0.2}


def test_idempotency_keys(client: PromptRails, mock: respx.MockRouter) -> None:
    post = mock.post("/api/v1/chat/sessions").respond(201, json={"data": SESSION})
    get = mock.get("/api/v1/chat/sessions/s1").respond(200, json={"data": SESSION})
    client.chat.create_session(agent_id="echo")  # the spec declares Idempotency-Key: one is made
    client.chat.get_session("s1")  # it does not: none is sent
    client.chat.get_session("s1", idempotency_key="mine")  # unless the caller gives one
    assert len(post.calls[0].request.headers["idempotency-key"]) == 36
    assert "idempotency-key" not in get.calls[0].request.headers
    assert get.calls[1].request.headers["idempotency-key"] == "mine"


def test_with_options_and_copy_share_the_pool(mock: respx.MockRouter) -> None:
    route = mock.get("/api/v1/chat/sessions/s1").mock(side_effect=[httpx.Response(500), httpx.Response(200, json={"data": SESSION})])
    client = PromptRails(KEY, max_retries=0, _sleep=lambda s: None)
    patient = client.with_options(max_retries=1, default_headers={"X-Team": "a"})
    assert patient._client._http is client._client._http and client.copy(timeout=3.0).timeout.read == 3.0
    assert patient.chat.get_session("s1").id == "s1" and route.call_count == 2
    assert route.calls[1].request.headers["x-team"] == "a" and client.max_retries == 0
    client.close()
    assert patient._client._http.is_closed


def test_request_ids_from_the_mock(server: testing.MockServer) -> None:
    key = server.new_workspace()

    async def run() -> None:
        async with AsyncPromptRails(key, base_url=server.base_url) as aclient:
            session = await aclient.chat.create_session(agent_id="echo")
            raw = await aclient.chat.with_raw_response.get_session(session.id)
            assert isinstance(raw, AsyncAPIResponse) and raw.request_id and raw.request_id.startswith("req_")
            assert (await raw.parse())._request_id == raw.request_id

    asyncio.run(run())
    with PromptRails(key, base_url=server.base_url) as client:
        session = client.chat.create_session(agent_id="echo", title="ids")
        assert session._request_id and session._request_id.startswith("req_")
        assert client.chat.list_sessions()._request_id
        with client.chat.send_message_stream(session.id, content="Hi") as stream:
            assert stream._request_id
            list(stream)


def test_promptrails_log_shows_calls_and_never_the_key(server: testing.MockServer) -> None:
    key = server.new_workspace()
    code = textwrap.dedent(
        f"""
        from promptrails import PromptRails
        client = PromptRails({key!r}, base_url={server.base_url!r})
        session = client.chat.create_session(agent_id="echo")
        client.chat.send_message_stream(session.id, content="Hi").until_done()
        """
    )
    quiet = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False, text=True,
                           env={k: v for k, v in os.environ.items() if k != "PROMPTRAILS_LOG"}, timeout=120)
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr
    for level in ("info", "debug"):
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False, text=True,
                              env={**os.environ, "PROMPTRAILS_LOG": level}, timeout=120)
        assert proc.returncode == 0, proc.stderr
        log = proc.stderr
        assert "promptrails.http INFO POST /api/v1/chat/sessions -> 201 in" in log and "request_id req_" in log
        assert key not in log
        assert ("promptrails.stream DEBUG" in log) == (level == "debug")
        assert ("x-api-key': '<redacted>'" in log) == (level == "debug")


def test_async_pages_carry_the_options(aclient: AsyncPromptRails, mock: respx.MockRouter) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        n = int(request.url.params.get("page", "1"))
        return httpx.Response(200, json={"data": [{**SESSION, "id": f"s{n}"}], "meta": meta(page=n, total_pages=2, total=2, limit=1)})

    route = mock.get("/api/v1/chat/sessions").mock(side_effect=answer)

    async def run() -> list[str]:
        return [s.id async for s in aclient.chat.list_sessions(limit=1, extra_headers={"X-T": "1"}, idempotency_key="k1")]

    assert asyncio.run(run()) == ["s1", "s2"]
    first, second = (c.request.headers for c in route.calls)
    assert first["x-t"] == second["x-t"] == "1"
    assert first["idempotency-key"] == "k1" and "idempotency-key" not in second  # a key is for one request
