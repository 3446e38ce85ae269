"""Streams to many clients: interleaved fairly, and stored in group commits without losing what a client saw.

The mock runs agents with no pause between frames in turns (at most a few dozen runs a
pass of the event loop), and stores frames and the writes of new runs in one transaction
per pass; a frame is sent only once it is committed, and a terminal frame is stored with
the frames before it and the run's final state. These tests hold it to that: a stream's
frames come interleaved with the other streams', a server killed with SIGKILL or stopped
still serves, after a restart, every frame a client saw (resume with Last-Event-ID and
idempotent replays included), and a write that fails inside a group commit is undone
alone.
"""

from __future__ import annotations

import asyncio
import os
import selectors
import signal
import socket
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import h11
import httpx
import pytest

from helpers import API, SPEC_PATH, FrameReader, parse_sse
from promptrails_mock.agents import AgentSettings
from promptrails_mock.app import DEFAULT_API_KEY, Settings, create_app
from promptrails_mock.executions import FRAMES_PER_TURN, ExecutionManager, Opening, Turns
from promptrails_mock.ids import ksuid, utc_now
from promptrails_mock.middleware import WireMiddleware
from promptrails_mock.storage import Frame, Storage
from promptrails_mock.testing import MockServer

STREAMS = 50


def _stream_request(base_url: str, api_key: str, session_id: str) -> bytes:
    body = b'{"content": "Hello!"}'
    host = base_url.removeprefix("http://")
    return (
        f"POST {API}/chat/sessions/{session_id}/messages/stream HTTP/1.1\r\nHost: {host}\r\n"
        f"X-API-Key: {api_key}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode() + body


def test_the_first_event_of_every_stream_comes_before_the_last_event_of_any(
    srv: MockServer, api_key: str, make_session: Callable[..., dict[str, Any]]
) -> None:
    """50 streams at once, agents with no pause (90 frames each): they are served side by side.

    The client reads every connection in one selector loop and numbers its rounds; a frame
    read in round r arrived by round r. Each stream's first frame must be read no later
    than the round the first stream to finish read its last one. A server that serves
    streams one after another fails this by dozens of rounds (the first stream ends before
    the last one starts); a slow client can only make rounds coincide, never reverse them.
    """
    sessions = [make_session("storyteller", metadata={"delay_ms": 0}) for _ in range(STREAMS)]
    host, port = srv.base_url.removeprefix("http://").rsplit(":", 1)
    selector = selectors.DefaultSelector()
    conns: dict[socket.socket, dict[str, Any]] = {}
    # Every connection first, then every request in one go: the requests reach the server together, so the
    # first stream cannot finish while the client is still connecting the last ones (on a busy machine).
    sockets = [socket.create_connection((host, int(port)), timeout=30) for _ in sessions]
    for sock, session in zip(sockets, sessions, strict=True):
        sock.sendall(_stream_request(srv.base_url, api_key, session["id"]))
    for sock in sockets:
        sock.setblocking(False)
        parser = h11.Connection(h11.CLIENT)
        parser.send(h11.Request(method="POST", target="/", headers=[("Host", "mock"), ("Content-Length", "0")]))
        parser.send(h11.EndOfMessage())
        conns[sock] = {"parser": parser, "text": b"", "frames": [], "first": None, "last": None, "done": False}
        selector.register(sock, selectors.EVENT_READ)
    rounds = 0
    try:
        while any(not c["done"] for c in conns.values()):
            rounds += 1
            ready = selector.select(timeout=30)
            assert ready, "no stream made progress for 30 s"
            for key, _ in ready:
                ready_sock = key.fileobj
                assert isinstance(ready_sock, socket.socket)
                conn = conns[ready_sock]
                conn["parser"].receive_data(ready_sock.recv(65536))
                while True:
                    event = conn["parser"].next_event()
                    if event is h11.NEED_DATA or isinstance(event, h11.ConnectionClosed):
                        break
                    if isinstance(event, h11.Response):
                        assert event.status_code == 200
                    elif isinstance(event, h11.Data):
                        conn["text"] += bytes(event.data)
                        *complete, conn["text"] = conn["text"].split(b"\n\n")
                        for block in complete:
                            conn["frames"].append(block)
                            conn["first"] = conn["first"] or rounds
                            conn["last"] = rounds
                    elif isinstance(event, h11.EndOfMessage):
                        conn["done"] = True
                        selector.unregister(ready_sock)
                        break
    finally:
        for sock in conns:
            sock.close()
        selector.close()
    for conn in conns.values():
        frames = parse_sse(b"\n\n".join(conn["frames"]).decode() + "\n\n")
        assert [f["id"] for f in frames] == [str(i) for i in range(1, 91)]
        assert frames[-1]["event"] == "done"
    firsts = [c["first"] for c in conns.values()]
    lasts = [c["last"] for c in conns.values()]
    assert max(firsts) <= min(lasts), (sorted(firsts)[-5:], sorted(lasts)[:5])
    assert min(lasts) > 1, "the streams took more than one round"


def _frames(client: httpx.Client, url: str, **headers: str) -> list[dict[str, Any]]:
    answer = client.get(url, headers=headers)
    assert answer.status_code == 200, answer.text
    return parse_sse(answer.text)


def test_a_killed_server_serves_every_frame_a_client_saw_after_its_restart(tmp_path: Path) -> None:
    db = str(tmp_path / "crash.db")
    streamed = "/api/v1/chat/sessions/{}/messages/stream"
    with MockServer(db=db, spec=SPEC_PATH, frame_delay_ms=0) as srv:
        key = srv.api_key
        with httpx.Client(base_url=srv.base_url, headers={"X-API-Key": key}, timeout=30) as client:
            story = client.post(f"{API}/chat/sessions", json={"agent_id": "storyteller"}).json()["data"]
            done = client.post(
                streamed.format(story["id"]), json={"content": "Hello!"}, headers={"Idempotency-Key": "once"}
            )
            finished = parse_sse(done.text)
            assert finished[-1]["event"] == "done" and len(finished) == 90
            slow = client.post(f"{API}/chat/sessions", json={"agent_id": "storyteller", "metadata": {"delay_ms": 300}})
            with client.stream("POST", streamed.format(slow.json()["data"]["id"]), json={"content": "Hi"}) as running:
                seen = FrameReader(running).read(3)  # the client has these three frames...
                assert srv.pid is not None
                os.kill(srv.pid, signal.SIGKILL)  # ...when the server dies without a word
        srv.stop()
    with (
        MockServer(db=db, spec=SPEC_PATH) as srv,
        httpx.Client(base_url=srv.base_url, headers={"X-API-Key": key}, timeout=30) as client,
    ):
        execution_id = finished[0]["data"]["execution_id"]
        assert _frames(client, f"{API}/executions/{execution_id}/stream") == finished
        assert _frames(client, f"{API}/executions/{execution_id}/stream", **{"Last-Event-ID": "40"}) == finished[40:]
        again = {"Idempotency-Key": "once"}
        replay = client.post(streamed.format(story["id"]), json={"content": "Hello!"}, headers=again)
        assert replay.headers.get("idempotent-replayed") == "true"
        assert parse_sse(replay.text) == finished
        cut_url = f"{API}/executions/{seen[0]['data']['execution_id']}/stream"
        cut = _frames(client, cut_url)
        assert cut[:3] == seen, "every frame the client saw was stored before it was sent"
        assert cut[-1]["event"] == "error" and cut[-1]["data"]["code"] == "server_restarted"
        assert [f["id"] for f in cut] == [str(i) for i in range(1, len(cut) + 1)]
        resumed = _frames(client, cut_url, **{"Last-Event-ID": "3"})
        assert resumed == cut[3:]
        assert srv.violations() == []


def test_a_stopped_server_stores_the_end_of_its_running_streams(tmp_path: Path) -> None:
    db = str(tmp_path / "stop.db")
    with MockServer(db=db, spec=SPEC_PATH) as srv:
        key = srv.api_key
        with httpx.Client(base_url=srv.base_url, headers={"X-API-Key": key}, timeout=30) as client:
            session = client.post(
                f"{API}/chat/sessions", json={"agent_id": "storyteller", "metadata": {"delay_ms": 200}}
            ).json()["data"]
            with client.stream(
                "POST", f"{API}/chat/sessions/{session['id']}/messages/stream", json={"content": "Hi"}
            ) as running:
                seen = FrameReader(running).read(2)
                srv.stop()  # SIGTERM: the run stores its error frame with the frames before it
    with (
        MockServer(db=db, spec=SPEC_PATH) as srv,
        httpx.Client(base_url=srv.base_url, headers={"X-API-Key": key}, timeout=30) as client,
    ):
        stored = _frames(client, f"{API}/executions/{seen[0]['data']['execution_id']}/stream")
        assert stored[:2] == seen
        assert stored[-1]["event"] == "error" and stored[-1]["data"]["code"] == "server_stopped"
        assert [f["id"] for f in stored] == [str(i) for i in range(1, len(stored) + 1)]
        execution = client.get(f"{API}/executions/{seen[0]['data']['execution_id']}").json()["data"]
        assert (execution["status"], execution["last_event_id"]) == ("failed", stored[-1]["id"])


def _storage_with_execution(tmp_path: Path) -> tuple[Storage, str]:
    store = Storage(str(tmp_path / "group.db"))
    workspace = store.ensure_workspace("k", configured=True)
    now = utc_now()
    session = store.create_session(
        {
            "id": "s",
            "workspace_id": workspace["id"],
            "agent_id": "echo",
            "user_id": None,
            "title": None,
            "metadata": {},
            "created_at": now,
            "updated_at": now,
        }
    )
    execution_id = ksuid()
    execution = {
        "id": execution_id,
        "workspace_id": workspace["id"],
        "_session_pk": session["_pk"],
        "session_id": "s",
        "agent_id": "echo",
        "input": "x",
        "user_message_id": ksuid(),
        "created_at": now,
    }
    assert store.create_execution(execution, Frame(1, "execution", {}))
    return store, execution_id


def test_a_write_that_fails_in_a_group_commit_is_undone_alone(tmp_path: Path) -> None:
    store, execution_id = _storage_with_execution(tmp_path)
    with store.group():
        assert store.append_frames([(execution_id, [Frame(2, "content", {"content": "a"})])]) == set()
        with pytest.raises(sqlite3.IntegrityError):
            store.append_frames([(execution_id, [Frame(3, "content", {}), Frame(2, "content", {})])])  # 2 again
        assert store.append_frames([(execution_id, [Frame(3, "content", {"content": "b"})]), ("gone", [])]) == set()
        assert store.append_frames([("gone", [Frame(1, "content", {})])]) == {"gone"}
    stored = [(f.seq, f.data) for f in store.frames_after(execution_id, 1)]
    assert stored == [(2, {"content": "a"}), (3, {"content": "b"})]
    row = store.get_execution(execution_id)
    assert row is not None and row["last_event_id"] == "3"
    with pytest.raises(RuntimeError), store.group():
        store.append_frames([(execution_id, [Frame(4, "content", {})])])
        raise RuntimeError("the whole group fails")
    assert [f.seq for f in store.frames_after(execution_id, 0)] == [1, 2, 3], "nothing of a failed group is kept"
    store.close()


def test_turns_go_first_come_first_served_a_bounded_number_a_pass() -> None:
    async def scenario() -> tuple[list[int], list[int]]:
        turns = Turns(per_pass=3)
        loop = asyncio.get_running_loop()
        passes = [0]
        order: list[int] = []
        granted_in_pass: list[int] = []

        def tick() -> None:  # counts the passes of the event loop
            passes[0] += 1
            if len(order) < 10:
                loop.call_soon(tick)

        async def run(i: int) -> None:
            await turns.take()
            order.append(i)
            granted_in_pass.append(passes[0])

        loop.call_soon(tick)
        tasks = [asyncio.create_task(run(i)) for i in range(10)]
        tasks[4].cancel()  # a cancelled waiter's turn goes to the next one
        await asyncio.gather(*tasks, return_exceptions=True)
        return order, granted_in_pass

    order, granted_in_pass = asyncio.run(scenario())
    assert order == [0, 1, 2, 3, 5, 6, 7, 8, 9]
    per_pass = {p: granted_in_pass.count(p) for p in granted_in_pass}
    assert max(per_pass.values()) == 3 and len(per_pass) == 3


def _batches_of_one_run(session_metadata: dict[str, Any]) -> list[list[Frame]]:
    """The batches (one write each) a stream of one storyteller run gets, read as the run goes."""

    async def scenario() -> list[list[Frame]]:
        store = Storage(":memory:")
        try:
            manager = ExecutionManager(store)
            workspace = store.ensure_workspace("k", configured=True)
            now = utc_now()
            session = store.create_session(
                {
                    "id": ksuid(),
                    "workspace_id": workspace["id"],
                    "agent_id": "storyteller",
                    "user_id": None,
                    "title": None,
                    "metadata": session_metadata,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            execution_id = await manager.start(workspace_id=workspace["id"], session=session, content="Hello!")
            batches = [batch async for batch in manager.subscribe_batches(execution_id)]
            await manager.shutdown()
            return batches
        finally:
            store.close()

    return asyncio.run(scenario())


def test_a_stream_sends_what_its_run_made_on_one_turn_in_one_write() -> None:
    batches = _batches_of_one_run({"delay_ms": 0})
    frames = [f for batch in batches for f in batch]
    assert [f.seq for f in frames] == list(range(1, 91)) and frames[-1].event == "done"
    assert [f.event for f in batches[0]] == ["execution"], "the first frame is sent at once"
    sizes = [len(batch) for batch in batches[1:]]
    assert max(sizes) <= FRAMES_PER_TURN + 1, sizes  # a turn's frames (the done frame may join the last)
    assert len(batches) <= 2 + 89 // FRAMES_PER_TURN, f"{len(batches)} writes for 90 frames: {sizes}"


def test_a_stream_never_holds_a_frame_through_a_pause() -> None:
    batches = _batches_of_one_run({"delay_ms": 2})
    frames = [f for batch in batches for f in batch]
    assert [f.seq for f in frames] == list(range(1, 91))
    assert all(len(batch) == 1 for batch in batches[:-1]), [len(b) for b in batches]


def test_while_requests_are_opening_runs_get_fewer_new_turns() -> None:
    async def scenario() -> list[int]:
        turns = Turns(per_pass=6, per_pass_opening=2)
        loop = asyncio.get_running_loop()
        passes = [0]
        granted_in_pass: list[int] = []
        opening = Opening(turns)  # a request on its way

        def tick() -> None:
            passes[0] += 1
            if len(granted_in_pass) < 16:
                loop.call_soon(tick)

        async def run() -> None:
            await turns.take()
            granted_in_pass.append(passes[0])
            if len(granted_in_pass) == 4:
                opening.close()  # the request got its answer: full passes again

        loop.call_soon(tick)
        await asyncio.gather(*(asyncio.create_task(run()) for _ in range(16)))
        return granted_in_pass

    granted_in_pass = asyncio.run(scenario())
    counts = [granted_in_pass.count(p) for p in sorted(set(granted_in_pass))]
    assert counts == [2, 2, 6, 6], counts  # two a pass while the request was open, then the full six


def test_no_request_stays_opening_and_a_waiting_send_does_not_hold_runs_back() -> None:
    app = create_app(Settings(spec_path=SPEC_PATH, agents=AgentSettings(frame_delay=0.02)))
    assert isinstance(app, WireMiddleware)
    turns = app.state.executions.turns
    headers = {"X-API-Key": DEFAULT_API_KEY}

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://mock", headers=headers) as client:
            created = await client.post(f"{API}/chat/sessions", json={"agent_id": "echo"})
            assert created.status_code == 201, created.text
            session = created.json()["data"]["id"]
            send = asyncio.create_task(
                client.post(f"{API}/chat/sessions/{session}/messages", json={"content": "one two three"})
            )
            while not app.state.executions.running:
                await asyncio.sleep(0.001)
            assert turns.opening == 0, "a send that waits for its reply is no longer opening"
            answer = await send
            assert answer.status_code == 200, answer.text
            streamed = await client.post(f"{API}/chat/sessions/{session}/messages/stream", json={"content": "hi"})
            assert streamed.status_code == 200 and "event: done" in streamed.text
            assert (await client.get(f"{API}/chat/sessions/nope")).status_code == 404
            assert (await client.get(f"{API}/chat/sessions", headers={"X-API-Key": "wrong"})).status_code == 401
            assert (await client.post(f"{API}/chat/sessions", json={"agent_id": 5})).status_code in (400, 422)
            assert turns.opening == 0, "every request closed its opening"

    try:
        asyncio.run(scenario())
    finally:
        app.state.storage.close()
