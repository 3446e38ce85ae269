"""Conversations (RUNTIME.md "Conversations") against the stateful mock server: send, stream,
the history after a stream left early, clear, save/load, concurrent sends serialised, totals
equal to the stored messages, in the blocking and the asyncio flavours."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import Sleeps
from promptrails import (
    APIStatusError,
    AsyncConversation,
    AsyncPromptRails,
    ContentEvent,
    Conversation,
    ConversationReply,
    DoneEvent,
    ErrorEvent,
    ExecutionEvent,
    InvalidArgumentError,
    NotFoundError,
    PromptRails,
    StreamError,
)
from promptrails_mock import testing

MESSAGES = "/api/v1/chat/sessions/*/messages"


@pytest.fixture
def client(server: testing.MockServer, key: str, sleeps: Sleeps) -> Iterator[PromptRails]:
    with PromptRails(key, base_url=server.base_url, _sleep=sleeps) as c:
        yield c


def stored(client: PromptRails, session_id: str) -> list[Any]:
    return list(client.chat.list_messages(session_id, limit=100))


def requests_of(server: testing.MockServer, key: str) -> list[dict[str, Any]]:
    return server.requests(api_key=key)


def assert_totals_are_the_stored_messages(conv: Conversation[Any, Any, Any], client: PromptRails) -> None:
    messages = stored(client, conv.session_id)
    assert [m.to_dict() for m in conv.history] == [m.to_dict() for m in messages]
    assert conv.usage == {
        "prompt_tokens": sum(m.prompt_tokens or 0 for m in messages),
        "completion_tokens": sum(m.completion_tokens or 0 for m in messages),
    }
    assert conv.total_cost == pytest.approx(sum(m.cost or 0.0 for m in messages))
    assert conv.total_cost > 0


# -- send ---------------------------------------------------------------------------------


def test_send_returns_the_reply_and_keeps_the_history(client: PromptRails) -> None:
    conv = client.chat.conversation(agent_id="echo", title="Support", metadata={"channel": "web"})
    assert isinstance(conv, Conversation) and conv.session_id
    session = client.chat.get_session(conv.session_id)
    assert (session.agent_id, session.title, session.metadata) == ("echo", "Support", {"channel": "web"})

    reply = conv.send("Hi there", metadata={"k": "v"})
    assert isinstance(reply, ConversationReply)
    assert str(reply) == reply.content == "You said: Hi there"
    assert f"AI: {reply}" == "AI: You said: Hi there" and f"{reply:>5.3}" == "  You"
    assert reply.execution_id and reply.execution_id == reply.message.execution_id
    assert reply.user_message is not None and reply.user_message.content == "Hi there"
    assert reply.user_message.metadata == {"k": "v"}
    assert reply.assistant_message is not None and reply.assistant_message.content == "You said: Hi there"
    assert reply.usage == {"prompt_tokens": 2, "completion_tokens": 4}
    assert reply.cost == reply.assistant_message.cost and reply.cost is not None

    second = conv.invoke("Again")
    assert second.content == "You said: Again"
    history = conv.history
    assert [m.content for m in history] == ["Hi there", "You said: Hi there", "Again", "You said: Again"]
    assert [m["role"] for m in history] == ["user", "assistant", "user", "assistant"]
    assert history[0]["content"] == history[0].content and "content" in history[0]
    assert conv.all_messages == history
    assert_totals_are_the_stored_messages(conv, client)


def test_history_costs_no_request(client: PromptRails, server: testing.MockServer, key: str) -> None:
    conv = client.chat.conversation(agent_id="echo")
    conv.send("Hello")
    before = len(requests_of(server, key))
    for _ in range(3):
        assert len(conv.history) == 2
        assert conv.usage["completion_tokens"] == 3
        assert conv.total_cost > 0
    assert len(requests_of(server, key)) == before


def test_every_reply_reads_the_stored_messages_once(client: PromptRails, server: testing.MockServer, key: str) -> None:
    conv = client.chat.conversation(agent_id="echo")
    for text in ("one", "two", "three"):
        conv.send(text)
    log = [(r["method"], r["path"]) for r in requests_of(server, key)]
    path = f"/api/v1/chat/sessions/{conv.session_id}/messages"
    assert log == [("POST", "/api/v1/chat/sessions")] + [("POST", path), ("GET", path)] * 3
    # Each read starts at the page holding the last message held.
    reads = [r for r in requests_of(server, key) if r["method"] == "GET"]
    assert [r["query"] for r in reads] == [{"page": "1", "limit": "100"}] * 3


def test_a_failed_run(client: PromptRails) -> None:
    conv = client.chat.conversation(agent_id="faulty")
    with pytest.raises(APIStatusError) as caught:
        conv.send("Where is my order?")
    assert caught.value.status_code == 502
    # The server stored the message before the run failed: the history reads it.
    assert [m.content for m in conv.history] == ["Where is my order?"]

    with pytest.raises(StreamError) as failed:
        for _ in conv.stream("again"):
            pass
    assert isinstance(failed.value.event, ErrorEvent)
    assert [m.content for m in conv.history] == ["Where is my order?", "again"]
    events = list(conv.stream_events("and again"))
    assert isinstance(events[-1], ErrorEvent)


# -- stream -------------------------------------------------------------------------------


def test_stream_yields_the_text_and_keeps_the_history(client: PromptRails) -> None:
    conv = client.chat.conversation(agent_id="storyteller")
    chunks = list(conv.stream("dragons"))
    assert len(chunks) > 50 and all(isinstance(c, str) and c for c in chunks)
    history = conv.history
    assert [m.role for m in history] == ["user", "assistant"]
    assert "".join(chunks) == history[1].content

    with conv.stream_events("more") as events:
        seen = list(events)
    assert isinstance(seen[0], ExecutionEvent) and isinstance(seen[-1], DoneEvent)
    assert "".join(e.content for e in seen if isinstance(e, ContentEvent)) == conv.history[-1].content
    assert len(conv.history) == 4
    assert_totals_are_the_stored_messages(conv, client)


def test_a_stream_closed_early_leaves_the_whole_exchange(client: PromptRails, server: testing.MockServer,
                                                         key: str) -> None:
    conv = client.chat.conversation(agent_id="storyteller")
    with conv.stream("robots") as stream:
        first = [next(stream) for _ in range(3)]
    assert len(first) == 3
    before = len(requests_of(server, key))
    history = conv.history
    assert len(requests_of(server, key)) == before  # read when the stream closed, not now
    assert [m.role for m in history] == ["user", "assistant"]
    assert history[1].content.startswith("".join(first))
    assert_totals_are_the_stored_messages(conv, client)
    assert next(stream, None) is None  # a closed stream is over


def test_a_stream_dropped_early_is_followed_to_its_end(client: PromptRails, server: testing.MockServer,
                                                       key: str) -> None:
    conv = client.chat.conversation(agent_id="storyteller")
    for i, _chunk in enumerate(conv.stream("the sea")):
        if i == 2:
            break  # no close(): the stream is dropped
    gc.collect()
    history = conv.history
    assert [m.role for m in history] == ["user", "assistant"]
    assert history[1].content.startswith("A story about the sea")
    execution = history[1].metadata["execution_id"]
    follows = [r for r in requests_of(server, key) if r["path"] == f"/api/v1/executions/{execution}/stream"]
    assert len(follows) == 1 and follows[0]["headers"].get("last-event-id")
    assert_totals_are_the_stored_messages(conv, client)
    # The next send comes after it, in order.
    assert conv.send("next").content == "A story about next: " + history[1].content.split(": ", 1)[1]
    assert [m.role for m in conv.history] == ["user", "assistant"] * 2


def test_a_dropped_stream_gives_its_turn_back(client: PromptRails) -> None:
    conv = client.chat.conversation(agent_id="echo")
    stream = conv.stream("one two three four")
    next(stream)
    del stream
    gc.collect()
    reply = conv.send("after")  # would wait forever if the slot were kept
    assert reply.content == "You said: after"
    assert [m.content for m in conv.history] == [
        "one two three four", "You said: one two three four", "after", "You said: after"]


# -- clear, delete, close -------------------------------------------------------------------


def test_clear_starts_a_fresh_session_with_the_same_fields(client: PromptRails) -> None:
    conv = client.chat.conversation(agent_id="echo", title="T", metadata={"a": 1})
    conv.send("Remember: 1234")
    old = conv.session_id
    conv.clear()
    assert conv.session_id != old
    assert conv.history == [] and conv.total_cost == 0.0
    assert conv.usage == {"prompt_tokens": 0, "completion_tokens": 0}
    fresh = client.chat.get_session(conv.session_id)
    assert (fresh.agent_id, fresh.title, fresh.metadata) == ("echo", "T", {"a": 1})
    assert len(stored(client, old)) == 2  # the old session stays
    reply = conv.send("What's the code?")
    assert reply.usage["prompt_tokens"] == 3  # no history in the prompt: a fresh context
    assert [m.content for m in stored(client, conv.session_id)] == ["What's the code?", "You said: What's the code?"]


def test_clear_of_a_resumed_conversation_reads_its_fields(client: PromptRails) -> None:
    session = client.chat.create_session(agent_id="thinker", title="Resumed", metadata={"b": 2})
    conv = client.chat.conversation(session_id=session.id)
    conv.clear()
    fresh = client.chat.get_session(conv.session_id)
    assert (fresh.agent_id, fresh.title, fresh.metadata) == ("thinker", "Resumed", {"b": 2})


def test_delete_close_and_delete_on_exit(client: PromptRails) -> None:
    conv = client.chat.conversation(agent_id="echo")
    conv.delete()
    with pytest.raises(NotFoundError):
        client.chat.get_session(conv.session_id)
    with client.chat.conversation(agent_id="echo", delete_on_exit=True) as conv2:
        conv2.send("bye")
    with pytest.raises(NotFoundError):
        client.chat.get_session(conv2.session_id)
    with client.chat.conversation(agent_id="echo") as conv3:
        conv3.send("kept")
    assert client.chat.get_session(conv3.session_id).id == conv3.session_id
    for call in (lambda: conv3.send("x"), lambda: conv3.stream("x"), conv3.clear, conv3.delete):
        with pytest.raises(InvalidArgumentError, match="closed"):
            call()
    assert len(conv3.history) == 2  # what was read stays readable


def test_close_closes_open_streams(client: PromptRails) -> None:
    conv = client.chat.conversation(agent_id="storyteller")
    stream = conv.stream("long")
    next(stream)
    conv.close()
    assert stream.response is None
    assert next(stream, None) is None


# -- save and load ----------------------------------------------------------------------------


def test_save_and_load_round_trip(client: PromptRails, key: str, tmp_path: Path, server: testing.MockServer) -> None:
    conv = client.chat.conversation(agent_id="echo", title="Saved", metadata={"x": [1, 2]})
    conv.send("first")
    path = tmp_path / "conv.json"
    conv.save(path)
    text = path.read_text()
    doc = json.loads(text)
    assert set(doc) == {"version", "session_id", "agent_id", "title", "metadata", "usage", "total_cost", "history"}
    assert doc["version"] == 1 and doc["session_id"] == conv.session_id
    assert (doc["agent_id"], doc["title"], doc["metadata"]) == ("echo", "Saved", {"x": [1, 2]})
    assert doc["usage"] == conv.usage and doc["total_cost"] == conv.total_cost
    assert doc["history"] == [m.to_dict() for m in conv.history]
    assert key not in text and server.base_url not in text
    if os.name == "posix":
        assert path.stat().st_mode & 0o777 == 0o600

    before = len(requests_of(server, key))
    loaded = client.chat.load(path)
    assert len(requests_of(server, key)) == before  # the file holds the history
    assert loaded.session_id == conv.session_id
    assert [m.to_dict() for m in loaded.history] == [m.to_dict() for m in conv.history]
    assert loaded.usage == conv.usage and loaded.total_cost == conv.total_cost
    loaded.send("second")
    assert [m.content for m in stored(client, conv.session_id)] == [
        "first", "You said: first", "second", "You said: second"]
    assert_totals_are_the_stored_messages(loaded, client)


def test_load_without_history_reads_it_when_needed(client: PromptRails, key: str, tmp_path: Path,
                                                   server: testing.MockServer) -> None:
    conv = client.chat.conversation(agent_id="echo")
    conv.send("remember me")
    path = tmp_path / "light.json"
    conv.save(str(path), include_history=False)
    assert "history" not in json.loads(path.read_text())
    before = len(requests_of(server, key))
    loaded = client.chat.load(str(path))
    assert len(requests_of(server, key)) == before  # nothing read yet
    assert [m.content for m in loaded.history] == ["remember me", "You said: remember me"]
    assert len(requests_of(server, key)) == before + 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not JSON"),
        ("[]", "not a JSON object"),
        ('{"version": 2, "session_id": "s"}', "version 2"),
        ('{"version": 1}', "no session_id"),
        ('{"version": 1, "session_id": "s", "history": {}}', "history is not a list"),
        ('{"version": 1, "session_id": "s", "history": [1]}', r"history\[0\] is not an object"),
    ],
)
def test_load_refuses_what_is_not_a_saved_conversation(client: PromptRails, tmp_path: Path, content: str,
                                                       message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(InvalidArgumentError, match=message):
        client.chat.load(path)
    with pytest.raises(InvalidArgumentError, match="cannot load"):
        client.chat.load(tmp_path / "missing.json")


def test_save_to_an_unwritable_place_is_a_clear_error(client: PromptRails, tmp_path: Path) -> None:
    conv = client.chat.conversation(agent_id="echo")
    with pytest.raises(InvalidArgumentError, match="cannot save"):
        conv.save(tmp_path / "no" / "such" / "dir" / "c.json")
    assert list(tmp_path.iterdir()) == []


# -- opening ------------------------------------------------------------------------------------


def test_resume_sends_nothing_until_needed(client: PromptRails, server: testing.MockServer, key: str) -> None:
    first = client.chat.conversation(agent_id="echo")
    first.send("earlier")
    before = len(requests_of(server, key))
    conv = client.chat.conversation(session_id=first.session_id)
    assert len(requests_of(server, key)) == before
    assert [m.content for m in conv.history] == ["earlier", "You said: earlier"]
    assert conv.send("later").content == "You said: later"
    assert len(conv.history) == 4


def test_bad_arguments_send_nothing(client: PromptRails, server: testing.MockServer, key: str) -> None:
    before = len(requests_of(server, key))
    with pytest.raises(InvalidArgumentError, match="needs agent_id"):
        client.chat.conversation(title="no agent")
    with pytest.raises(InvalidArgumentError, match="resumes an existing session"):
        client.chat.conversation(session_id="s", agent_id="echo")
    with pytest.raises(InvalidArgumentError, match="session_id"):
        client.chat.conversation(session_id="")
    with pytest.raises(InvalidArgumentError, match="max_concurrent_invocations"):
        client.chat.conversation(agent_id="echo", max_concurrent_invocations=0)
    with pytest.raises(InvalidArgumentError, match="max_retries"):
        client.chat.conversation(agent_id="echo", max_retries=-1)
    assert len(requests_of(server, key)) == before
    conv = client.chat.conversation(agent_id="echo")
    with pytest.raises(InvalidArgumentError, match="must be a str"):
        conv.send(42)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="metadata"):
        conv.send("hi", metadata="not a map")


def test_conversation_options_apply_to_its_calls(client: PromptRails, server: testing.MockServer, sleeps: Sleeps) -> None:
    conv = client.chat.conversation(agent_id="echo", max_retries=0)
    server.add_fault(method="POST", path=MESSAGES, count=1, action="status", status=503)
    with pytest.raises(APIStatusError):
        conv.send("no retry")
    patient = client.chat.conversation(agent_id="echo", max_retries=3)
    server.add_fault(method="POST", path=MESSAGES, count=2, action="status", status=503)
    assert patient.send("retried").content == "You said: retried"
    assert len(sleeps.calls) == 2


# -- concurrency --------------------------------------------------------------------------------


def _assert_serialised(server: testing.MockServer, key: str, session_id: str, texts: list[str],
                       client: PromptRails) -> None:
    path = f"/api/v1/chat/sessions/{session_id}/messages"
    log = [r for r in requests_of(server, key) if r["path"] == path]
    # Never two sends in flight: every send is followed by the read of its reply before the next.
    assert [r["method"] for r in log] == ["POST", "GET"] * len(texts)
    messages = stored(client, session_id)
    assert [m.role for m in messages] == ["user", "assistant"] * len(texts)
    posts = [r for r in log if r["method"] == "POST"]
    for k in range(len(texts) - 1):
        # The next send reached the server only after the previous reply was stored.
        assert posts[k + 1]["time"] >= messages[2 * k + 1].created_at.isoformat().replace("+00:00", "Z")
    assert sorted(m.content for m in messages if m.role == "user") == sorted(texts)
    for user, assistant in zip(messages[::2], messages[1::2]):
        assert assistant.content == f"You said: {user.content}"


def test_concurrent_sends_from_threads_are_serialised(client: PromptRails, server: testing.MockServer,
                                                      key: str) -> None:
    conv = client.chat.conversation(agent_id="echo")
    texts = [f"thread {i}" for i in range(6)]
    replies: dict[str, str] = {}
    start = threading.Barrier(len(texts))

    def send(text: str) -> None:
        start.wait()
        replies[text] = conv.send(text).content

    threads = [threading.Thread(target=send, args=(t,)) for t in texts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert replies == {t: f"You said: {t}" for t in texts}
    _assert_serialised(server, key, conv.session_id, texts, client)
    assert_totals_are_the_stored_messages(conv, client)


def test_sends_run_in_call_order(client: PromptRails, server: testing.MockServer, key: str) -> None:
    conv = client.chat.conversation(agent_id="storyteller")
    stream = conv.stream("first")  # holds the turn
    order: list[str] = []

    def send(text: str, ready: threading.Event) -> None:
        ready.set()
        conv.send(text)
        order.append(text)

    threads = []
    for text in ("a", "b", "c"):
        ready = threading.Event()
        t = threading.Thread(target=send, args=(text, ready))
        t.start()
        ready.wait()
        threads.append(t)
        # Let it reach the gate before the next one asks.
        while not conv._gate._waiters or len(conv._gate._waiters) < len(threads):  # noqa: SLF001
            threading.Event().wait(0.005)
    stream.close()
    for t in threads:
        t.join()
    assert order == ["a", "b", "c"]
    assert [m.content for m in conv.history if m.role == "user"] == ["first", "a", "b", "c"]


@pytest.mark.asyncio
async def test_concurrent_sends_from_tasks_are_serialised(server: testing.MockServer, key: str) -> None:
    texts = [f"task {i}" for i in range(6)]
    async with AsyncPromptRails(key, base_url=server.base_url) as client:
        conv = await client.chat.conversation(agent_id="echo")
        assert isinstance(conv, AsyncConversation)
        replies = await asyncio.gather(*(conv.send(t) for t in texts))
        assert [r.content for r in replies] == [f"You said: {t}" for t in texts]
        assert [m.content for m in conv.history if m.role == "user"] == texts  # call order
    with PromptRails(key, base_url=server.base_url) as sync:
        _assert_serialised(server, key, conv.session_id, texts, sync)


def test_several_invocations_at_once_when_asked(client: PromptRails) -> None:
    conv = client.chat.conversation(agent_id="storyteller", max_concurrent_invocations=2)
    one = conv.stream("one")
    two = conv.stream("two")  # does not wait: two slots
    assert next(one) and next(two)
    one.close()
    two.close()
    assert sorted(m.content for m in conv.history if m.role == "user") == ["one", "two"]


# -- asyncio -----------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_async_conversation(server: testing.MockServer, key: str, tmp_path: Path) -> None:
    async with AsyncPromptRails(key, base_url=server.base_url) as client:
        async with await client.chat.conversation(agent_id="echo", title="A") as conv:
            reply = await conv.invoke("Hello async")
            assert str(reply) == "You said: Hello async"
            chunks = [c async for c in conv.stream("streamed words here")]
            assert "".join(chunks) == "You said: streamed words here"
            async with conv.stream_events("events") as events:
                seen = [e async for e in events]
            assert isinstance(seen[-1], DoneEvent)
            assert len(conv.history) == 6 and conv.total_cost > 0

            # Left early, closed: the whole exchange is there when the block ends.
            async with conv.stream("closed early one two three") as stream:
                async for _ in stream:
                    break
            assert conv.history[-1].content == "You said: closed early one two three"

            # Dropped: followed in the background; refresh() waits for it.
            async for _ in conv.stream("dropped early one two three"):
                break
            await conv.refresh()
            assert [m.content for m in conv.history[-2:]] == [
                "dropped early one two three", "You said: dropped early one two three"]

            await conv.save(tmp_path / "a.json")
            loaded = await client.chat.load(tmp_path / "a.json")
            assert [m.to_dict() for m in loaded.history] == [m.to_dict() for m in conv.history]
            resumed = await client.chat.conversation(session_id=conv.session_id)
            assert len(resumed.history) == len(conv.history)  # read when it opened

            old = conv.session_id
            await conv.clear()
            assert conv.session_id != old and conv.history == []
            await conv.send("fresh")
            assert len(conv.history) == 2
        with pytest.raises(InvalidArgumentError, match="closed"):
            await conv.send("after close")
    with PromptRails(key, base_url=server.base_url) as sync:
        assert_totals_are_the_stored_messages(Conversation_of(sync, conv.session_id), sync)


def Conversation_of(client: PromptRails, session_id: str) -> Conversation[Any, Any, Any]:  # noqa: N802
    return client.chat.conversation(session_id=session_id)


@pytest.mark.asyncio
async def test_async_cancelled_stream_is_followed(server: testing.MockServer, key: str) -> None:
    async with AsyncPromptRails(key, base_url=server.base_url) as client:
        conv = await client.chat.conversation(agent_id="storyteller")

        async def read() -> None:
            async for _ in conv.stream("cancel me"):
                await asyncio.sleep(10)

        task = asyncio.create_task(read())
        while not conv._streams:  # noqa: SLF001
            await asyncio.sleep(0.01)
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        reply = await conv.send("then this")  # waits for the follow-up's turn
        assert reply.content.startswith("A story about then this")
        assert [m.content for m in conv.history][::2] == ["cancel me", "then this"]
        assert len(conv.history) == 4


def test_send_async_on_the_blocking_conversation(client: PromptRails) -> None:
    conv = client.chat.conversation(agent_id="echo")

    async def main() -> list[str]:
        replies = await asyncio.gather(conv.send_async("x1"), conv.send_async("x2"))
        return [r.content for r in replies]

    assert asyncio.run(main()) == ["You said: x1", "You said: x2"]
    assert len(conv.history) == 4


def test_no_response_violations(server: testing.MockServer) -> None:
    assert server.violations() == []
