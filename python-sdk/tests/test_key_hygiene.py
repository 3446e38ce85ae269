"""The API key never shows (RUNTIME.md "Configuration"; issue 9, key hygiene).

A key that cannot be a header value is refused at construction with a message naming the
problem, never the key. Then representative calls against the mock server (ok, 4xx, 5xx
with retries, a connection error, a stream, an idle stream, a stream error, opening a
stream that fails), sync and async, with every logger at DEBUG (httpx, httpcore, the SDK):
every surface the SDK hands out is searched for the key: str/repr of the clients and their
attributes, errors with their `__cause__`/`__context__` chains, requests, responses,
headers, and every log record (message, arguments, traceback text).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from conftest import Sleeps
from promptrails import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AsyncPromptRails,
    InternalServerError,
    InvalidArgumentError,
    NotFoundError,
    PromptRails,
    StreamError,
)
from promptrails_mock import testing


@pytest.fixture(scope="module")
def server() -> Iterator[testing.MockServer]:
    with testing.MockServer(frame_delay_ms=0, slow_delay_ms=60_000) as srv:
        srv.alias_agent("slowpoke", like="slow")
        yield srv


# -- refused at construction -----------------------------------------------------------------

BAD_KEYS = {
    "trailing newline": ("sk-live-Abc123Def456\n", "control character"),
    "CRLF": ("sk-live-Abc123Def456\r\n", "control character"),
    "tab inside": ("sk-live-Abc123\tDef456", "control character"),
    "NUL": ("sk-live-Abc123\x00Def456", "control character"),
    "DEL": ("sk-live-Abc123\x7fDef456", "control character"),
    "non-ASCII": ("sk-live-Abc123Déf456", "non-ASCII"),
    "non-ASCII space": ("sk-live-Abc123\u00a0Def456", "non-ASCII"),
    "leading space": (" sk-live-Abc123Def456", "space"),
    "trailing space": ("sk-live-Abc123Def456 ", "space"),
}


@pytest.mark.parametrize("case", sorted(BAD_KEYS))
@pytest.mark.parametrize("cls", [PromptRails, AsyncPromptRails])
def test_unusable_keys_are_refused_without_showing_them(case: str, cls: type) -> None:
    key, problem = BAD_KEYS[case]
    with pytest.raises(InvalidArgumentError, match=problem) as info:
        cls(key)
    shown = _text_of_error(info.value)
    assert "Abc123" not in shown and "Def456" not in shown


def test_unusable_key_from_the_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMPTRAILS_API_KEY", "sk-live-FromFile0987\n")  # as `$(cat key.txt)` leaves it
    with pytest.raises(InvalidArgumentError, match="control character") as info:
        PromptRails()
    assert "FromFile0987" not in _text_of_error(info.value)


def test_a_valid_key_is_used_unchanged() -> None:
    key = "sk-live_A.b~c+d/e=f!g#h$i%j&k'l*m^n`o|p"  # every printable ASCII character class
    with PromptRails(key) as client:
        assert client._client.api_key == key


# -- every surface, under DEBUG logging --------------------------------------------------------


def _text_of_error(err: BaseException) -> str:
    """Everything an error shows: str, repr, args, attributes and the objects they hold,
    and the same for its cause and context, recursively."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = err
    stack = [err]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        parts += [str(current), repr(current), repr(current.args)]
        for name, value in vars(current).items():
            parts.append(f"{name}={value!r}")
            parts += _text_of_http(value)
        stack += [current.__cause__, current.__context__]  # type: ignore[list-item]
    return "\n".join(parts)


def _text_of_http(value: Any) -> list[str]:
    """A request's or response's representations, headers included (and a response's request)."""
    out: list[str] = []
    if isinstance(value, httpx.Response):
        out += [repr(value), repr(value.headers), str(dict(value.headers)), repr(value.headers.raw)]
        try:
            value = value.request
        except RuntimeError:
            return out
    if isinstance(value, httpx.Request):
        out += [repr(value), str(value.url), repr(value.headers), str(dict(value.headers)), repr(value.headers.raw)]
    return out


def _text_of_records(records: list[logging.LogRecord]) -> str:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    parts = []
    for record in records:
        parts += [formatter.format(record), repr(record.args), repr(record.msg), record.exc_text or ""]
    return "\n".join(parts)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _assert_nowhere(key: str, surfaces: list[str], records: list[logging.LogRecord]) -> None:
    everything = "\n".join(surfaces) + "\n" + _text_of_records(records)
    assert len(records) > 20, "DEBUG logging was not captured"  # httpcore alone logs every step
    assert "X-API-Key" in everything or "x-api-key" in everything  # the header is there, redacted
    for needle in (key, key[-12:], key[:12]):
        assert needle not in everything, f"the key (or part of it: {needle!r}) is visible"


def test_no_surface_shows_the_key_sync(
    server: testing.MockServer, sleeps: Sleeps, caplog: pytest.LogCaptureFixture
) -> None:
    key = server.new_workspace()
    caplog.set_level(logging.DEBUG)
    surfaces: list[str] = []
    messages = "/api/v1/chat/sessions/*/messages"
    with PromptRails(key, base_url=server.base_url, _sleep=sleeps, timeout=httpx.Timeout(10.0)) as client:
        surfaces += [repr(client), str(client), repr(client._client), repr(vars(client._client))]
        session = client.chat.create_session(agent_id="echo", title="hygiene")  # ok
        surfaces += [repr(session), repr(client.chat.list_sessions())]

        with pytest.raises(NotFoundError) as not_found:  # 4xx
            client.chat.get_session("missing")
        surfaces.append(_text_of_error(not_found.value))

        server.add_fault(method="POST", path=messages, count=1, action="status", status=503, headers={"Retry-After": "0"})
        surfaces.append(repr(client.chat.send_message(session.id, content="Hi")))  # 5xx, then ok on retry
        server.add_fault(method="POST", path=messages, count=3, action="status", status=500)
        with pytest.raises(InternalServerError) as failed:  # 5xx with every retry used
            client.chat.send_message(session.id, content="Hi")
        surfaces.append(_text_of_error(failed.value))

        server.add_fault(method="GET", path="/api/v1/chat/sessions/*", count=3, action="reset")
        with pytest.raises(APIConnectionError) as reset:  # connection reset by the server
            client.chat.get_session(session.id)
        surfaces.append(_text_of_error(reset.value))

        with client.chat.send_message_stream(session.id, content="Hi") as stream:  # a stream
            for _event in stream:
                assert stream.response is not None
                surfaces += _text_of_http(stream.response)
        surfaces.append(repr(stream))
        surfaces.append(repr(vars(client._client)))  # after calls: what the client keeps per call

        faulty = client.chat.create_session(agent_id="faulty")
        with pytest.raises(StreamError) as run_failed:  # an error event
            client.chat.send_message_stream(faulty.id, content="Hi").until_done()
        surfaces.append(_text_of_error(run_failed.value))

        with pytest.raises(NotFoundError) as open_failed:  # opening a stream fails
            client.chat.send_message_stream("missing", content="Hi")
        surfaces.append(_text_of_error(open_failed.value))

        slow = client.chat.create_session(agent_id="slowpoke")
        with pytest.raises(APITimeoutError) as idle:  # idle timeout, resumed, then given up
            client.chat.send_message_stream(slow.id, content="Hi", timeout=0.3).until_done()
        surfaces.append(_text_of_error(idle.value))

    with PromptRails(key, base_url=f"http://127.0.0.1:{_closed_port()}", _sleep=sleeps) as down:
        with pytest.raises(APIConnectionError) as refused:  # nobody listening
            down.chat.list_sessions()
        surfaces.append(_text_of_error(refused.value))
        surfaces.append(repr(down))

    _assert_nowhere(key, surfaces, caplog.records)


def test_no_surface_shows_the_key_async(
    server: testing.MockServer, sleeps: Sleeps, caplog: pytest.LogCaptureFixture
) -> None:
    key = server.new_workspace()
    caplog.set_level(logging.DEBUG)
    surfaces: list[str] = []

    async def calls() -> None:
        client = AsyncPromptRails(key, base_url=server.base_url, _sleep=sleeps.async_sleep)
        surfaces.extend([repr(client), repr(client._client), repr(vars(client._client))])
        session = await client.chat.create_session(agent_id="echo")
        with pytest.raises(NotFoundError) as not_found:
            await client.chat.get_session("missing")
        surfaces.append(_text_of_error(not_found.value))
        server.add_fault(method="POST", path="/api/v1/chat/sessions/*/messages", count=3, action="status", status=502)
        with pytest.raises(InternalServerError) as failed:
            await client.chat.send_message(session.id, content="Hi")
        surfaces.append(_text_of_error(failed.value))
        stream = await client.chat.send_message_stream(session.id, content="Hi")
        async for _event in stream:
            assert stream.response is not None
            surfaces.extend(_text_of_http(stream.response))
        faulty = await client.chat.create_session(agent_id="faulty")
        with pytest.raises(StreamError) as run_failed:
            await (await client.chat.send_message_stream(faulty.id, content="Hi")).until_done()
        surfaces.append(_text_of_error(run_failed.value))
        surfaces.append(repr(vars(client._client)))  # after calls: what the client keeps per call
        await client.close()
        down = AsyncPromptRails(key, base_url=f"http://127.0.0.1:{_closed_port()}", _sleep=sleeps.async_sleep)
        with pytest.raises(APIError) as refused:
            await down.chat.get_session("s")
        surfaces.append(_text_of_error(refused.value))
        await down.close()

    asyncio.run(calls())
    _assert_nowhere(key, surfaces, caplog.records)
