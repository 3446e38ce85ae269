"""Storage: WAL on files, one transaction per write, nothing half-written, resets, restart recovery."""

from __future__ import annotations

import gc
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from promptrails_mock import storage as storage_module
from promptrails_mock.ids import BASE62, ksuid, utc_now
from promptrails_mock.storage import Frame, IdempotencyScope, Storage


def _execution_row(store: Storage, execution_id: str) -> dict[str, Any]:
    row = store.get_execution(execution_id)
    assert row is not None, execution_id
    return row


def _session(workspace_id: str, session_id: str | None = None) -> dict[str, object]:
    now = utc_now()
    return {
        "id": session_id or ksuid(),
        "workspace_id": workspace_id,
        "agent_id": "echo",
        "user_id": None,
        "title": None,
        "metadata": {},
        "created_at": now,
        "updated_at": now,
    }


def _execution(session: dict[str, object]) -> dict[str, object]:
    return {
        "id": ksuid(),
        "workspace_id": session["workspace_id"],
        "_session_pk": session["_pk"],
        "session_id": session["id"],
        "agent_id": "echo",
        "input": "Hello!",
        "_input_metadata": {},
        "user_message_id": ksuid(),
        "created_at": utc_now(),
    }


@pytest.fixture
def store() -> Storage:
    return Storage(":memory:")


def test_ksuids() -> None:
    ids = {ksuid() for _ in range(200)}
    assert len(ids) == 200
    assert all(len(i) == 27 and set(i) <= set(BASE62) for i in ids)


def test_file_databases_use_wal(tmp_path: Path) -> None:
    store = Storage(str(tmp_path / "mock.db"))
    assert store.journal_mode() == "wal"
    store.close()


def _checkpoint_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "promptrails-mock-checkpoint"]


def test_close_stops_the_checkpoint_thread(tmp_path: Path) -> None:
    before = set(_checkpoint_threads())
    store = Storage(str(tmp_path / "mock.db"))
    started = [t for t in _checkpoint_threads() if t not in before]
    assert len(started) == 1, "a file database checkpoints from a thread of its own"
    store.close()
    assert not started[0].is_alive(), "close() joins the checkpoint thread"
    assert Storage(":memory:")._checkpointer is None, "an in-memory database has no WAL to checkpoint"


def test_a_storage_dropped_without_close_stops_its_thread(tmp_path: Path) -> None:
    before = set(_checkpoint_threads())
    store = Storage(str(tmp_path / "mock.db"))
    (thread,) = [t for t in _checkpoint_threads() if t not in before]
    del store
    gc.collect()
    thread.join(30)
    assert not thread.is_alive(), "the finalizer of a garbage-collected storage stops its checkpoint thread"


def test_checkpoint_threads_left_running_are_stopped_at_exit(tmp_path: Path) -> None:
    store = Storage(str(tmp_path / "mock.db"))
    checkpointer = store._checkpointer
    assert checkpointer is not None and checkpointer in storage_module._checkpointers
    storage_module._stop_checkpointers()  # what atexit runs
    assert not checkpointer._thread.is_alive()
    assert checkpointer not in storage_module._checkpointers
    store.close()  # stopping twice is harmless


def test_data_survives_a_reopen(tmp_path: Path) -> None:
    path = str(tmp_path / "mock.db")
    store = Storage(path)
    ws = store.ensure_workspace("k", configured=True)
    store.create_session(_session(ws["id"], "kept"))
    store.close()
    again = Storage(path)
    assert again.get_session(ws["id"], "kept") is not None
    again.close()


def test_a_failed_write_leaves_nothing_behind(store: Storage) -> None:
    ws = store.ensure_workspace("k", configured=True)
    scope = IdempotencyScope(ws["id"], "POST", "/api/v1/chat/sessions", "key-1")
    store.create_session(_session(ws["id"]), idempotency=(scope, "h", 201, "{}"))
    with pytest.raises(sqlite3.IntegrityError):
        # The same idempotency scope again: the session insert must be rolled back with it.
        store.create_session(_session(ws["id"], "second"), idempotency=(scope, "h", 201, "{}"))
    assert store.get_session(ws["id"], "second") is None
    assert store.counts()["sessions"] == 1


def test_reply_and_done_frame_are_stored_together(store: Storage) -> None:
    ws = store.ensure_workspace("k", configured=True)
    session = store.create_session(_session(ws["id"]))
    execution = _execution(session)
    store.create_execution(execution, Frame(1, "execution", {"execution_id": execution["id"], "user_message_id": "u"}))
    assistant = {"id": ksuid(), "role": "assistant", "content": "hi", "token_count": 1, "created_at": utc_now()}
    usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    with pytest.raises(sqlite3.IntegrityError):
        # Frame 1 exists already: the whole completion must roll back, assistant message included.
        store.complete_execution(str(execution["id"]), assistant, Frame(1, "done", {}), usage)
    assert store.get_message(str(assistant["id"])) is None
    assert _execution_row(store, str(execution["id"]))["status"] == "running"
    assert store.complete_execution(str(execution["id"]), assistant, Frame(2, "done", {"output": "hi"}), usage)
    stored = _execution_row(store, str(execution["id"]))
    assert stored["status"] == "completed" and stored["assistant_message_id"] == assistant["id"]
    assert stored["last_event_id"] == "2"


def test_sessions_are_scoped_by_workspace_and_listed_newest_first(store: Storage) -> None:
    a = store.ensure_workspace("a", configured=True)
    b = store.ensure_workspace("b", configured=False)
    store.create_session(_session(a["id"], "same-id"))
    store.create_session(_session(b["id"], "same-id"))
    store.create_session(_session(a["id"], "newer"))
    rows, total = store.list_sessions(a["id"], 0, 10)
    assert total == 2 and [r["id"] for r in rows] == ["newer", "same-id"]
    assert store.get_session(b["id"], "newer") is None


def test_deleting_a_session_deletes_its_messages_and_detaches_executions(store: Storage) -> None:
    ws = store.ensure_workspace("k", configured=True)
    session = store.create_session(_session(ws["id"]))
    execution = _execution(session)
    store.create_execution(execution, Frame(1, "execution", {}))
    store.store_user_message(
        str(execution["id"]), {"id": ksuid(), "role": "user", "content": "x", "token_count": 1, "created_at": utc_now()}
    )
    assert store.delete_session(ws["id"], str(session["id"]))
    assert store.counts()["messages"] == 0
    assert _execution_row(store, str(execution["id"]))["session_id"] is None
    assert not store.delete_session(ws["id"], str(session["id"]))


def _fresh(store: Storage, workspace_id: str, session_id: str) -> dict[str, Any] | None:
    """The session as the database has it (no cache)."""
    row = store._one("SELECT * FROM sessions WHERE workspace_id = ? AND id = ?", (workspace_id, session_id))
    return None if row is None else store._session(row)


def test_looked_up_sessions_follow_every_write_to_them(store: Storage) -> None:
    ws = store.ensure_workspace("k", configured=True)
    session = store.create_session(_session(ws["id"]))
    sid = str(session["id"])
    assert store.get_session(ws["id"], sid) == session == _fresh(store, ws["id"], sid)
    # Each caller gets its own metadata: changing it changes nothing stored or looked up later.
    store.get_session(ws["id"], sid)["metadata"]["x"] = 1  # type: ignore[index]
    assert store.get_session(ws["id"], sid) == session
    updated = store.update_session(ws["id"], sid, {"title": "new", "metadata": {"a": 1}})
    assert store.get_session(ws["id"], sid) == updated == _fresh(store, ws["id"], sid)
    assert updated is not None and updated["title"] == "new"
    execution = _execution(session)
    store.create_execution(execution, Frame(1, "execution", {}))
    message = {"id": ksuid(), "role": "user", "content": "x", "token_count": 1, "created_at": "2030-01-01T00:00:00Z"}
    store.store_user_message(str(execution["id"]), message)
    assert store.get_session(ws["id"], sid) == _fresh(store, ws["id"], sid)
    assert store.get_session(ws["id"], sid)["updated_at"] == "2030-01-01T00:00:00Z"  # type: ignore[index]
    assistant = {
        "id": ksuid(),
        "role": "assistant",
        "content": "hi",
        "token_count": 1,
        "created_at": "2031-01-01T00:00:00Z",
    }
    usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    assert store.complete_execution(str(execution["id"]), assistant, Frame(2, "done", {"output": "hi"}), usage)
    assert store.get_session(ws["id"], sid)["updated_at"] == "2031-01-01T00:00:00Z"  # type: ignore[index]
    assert store.delete_session(ws["id"], sid)
    assert store.get_session(ws["id"], sid) is None
    other = store.create_session(_session(ws["id"]))
    assert store.get_session(ws["id"], str(other["id"])) == other
    store.reset()
    assert store.get_session(ws["id"], str(other["id"])) is None


def test_a_session_written_in_an_undone_group_is_never_looked_up(store: Storage) -> None:
    ws = store.ensure_workspace("k", configured=True)
    with pytest.raises(RuntimeError), store.group():
        store.create_session(_session(ws["id"], "undone"))
        assert store.get_session(ws["id"], "undone") is not None  # visible inside its transaction
        raise RuntimeError("the group fails")
    assert store.get_session(ws["id"], "undone") is None
    kept = store.create_session(_session(ws["id"], "kept"))
    store.get_session(ws["id"], "kept")
    with pytest.raises(RuntimeError), store.group():
        store.update_session(ws["id"], "kept", {"title": "undone"})
        raise RuntimeError("the group fails")
    assert store.get_session(ws["id"], "kept") == kept == _fresh(store, ws["id"], "kept")


def test_the_session_lookups_kept_are_bounded(store: Storage, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Storage, "SESSION_CACHE_SIZE", 3)
    ws = store.ensure_workspace("k", configured=True)
    sessions = [store.create_session(_session(ws["id"])) for _ in range(5)]
    assert len(store._sessions) == 3 and len(store._session_keys) == 3
    for session in sessions:  # the oldest were dropped: looked up again from the database
        assert store.get_session(ws["id"], str(session["id"])) == session
    assert len(store._sessions) == 3


def test_reset_keeps_only_configured_workspaces(store: Storage) -> None:
    kept = store.ensure_workspace("configured", configured=True)
    store.ensure_workspace("temporary", configured=False)
    store.create_session(_session(kept["id"]))
    store.set_alias("your-agent-id", "echo")
    store.reset()
    assert store.workspace_for_key("configured") == kept
    assert store.workspace_for_key("temporary") is None
    assert store.counts()["sessions"] == 0
    assert store.list_aliases() == {}


def test_unfinished_executions_fail_on_restart(store: Storage) -> None:
    ws = store.ensure_workspace("k", configured=True)
    session = store.create_session(_session(ws["id"]))
    execution = _execution(session)
    store.create_execution(execution, Frame(1, "execution", {}))
    store.append_frame(str(execution["id"]), Frame(2, "content", {"content": "par"}))
    assert store.fail_unfinished_executions("restarted", "server_restarted") == 1
    frames = store.frames_after(str(execution["id"]), 0)
    assert [(f.seq, f.event) for f in frames] == [(1, "execution"), (2, "content"), (3, "error")]
    stored = _execution_row(store, str(execution["id"]))
    assert stored["status"] == "failed" and stored["error"] == "restarted"


def test_idempotent_response_is_completed_in_place(store: Storage) -> None:
    ws = store.ensure_workspace("k", configured=True)
    session = store.create_session(_session(ws["id"]))
    execution = _execution(session)
    scope = IdempotencyScope(ws["id"], "POST", "/p", "key")
    store.create_execution(execution, Frame(1, "execution", {}), idempotency=(scope, "hash"))
    record = store.get_idempotency(scope)
    assert record is not None and record.execution_id == execution["id"] and record.status is None
    store.save_idempotent_response(scope, "hash", 200, '{"data":{}}')
    record = store.get_idempotency(scope)
    assert record is not None and (record.status, record.body, record.execution_id) == (
        200,
        '{"data":{}}',
        execution["id"],
    )
    assert store.counts()["idempotency"] == 1


def test_sse_encoding() -> None:
    frame = Frame(7, "content", {"content": "two\nlines é"})
    assert frame.to_sse() == 'id: 7\nevent: content\ndata: {"content":"two\\nlines é"}\n\n'.encode()
    assert not frame.terminal and Frame(8, "done", {}).terminal and Frame(8, "error", {}).terminal


def test_cancel_marks_only_running_executions(store: Storage) -> None:
    ws = store.ensure_workspace("k", configured=True)
    session = store.create_session(_session(ws["id"]))
    execution = _execution(session)
    store.create_execution(execution, Frame(1, "execution", {}))
    assert store.request_cancel(str(execution["id"]))
    assert _execution_row(store, str(execution["id"]))["status"] == "cancel_requested"
    assert not store.request_cancel(str(execution["id"])), "already asked"
    store.fail_execution(
        str(execution["id"]), Frame(2, "error", {"message": "stop"}), "cancelled", status="cancelled", duration_ms=5
    )
    stored = _execution_row(store, str(execution["id"]))
    assert (stored["status"], stored["duration_ms"], stored["error"]) == ("cancelled", 5, "stop")
    assert not store.request_cancel(str(execution["id"])), "finished"


# The executions table of schema version 1 (before issue 8): three statuses, no cost, duration or start time.
_V1_EXECUTIONS = """
CREATE TABLE executions (
    id                    TEXT PRIMARY KEY,
    workspace_id          TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    session_pk            INTEGER REFERENCES sessions(pk) ON DELETE SET NULL,
    session_id            TEXT,
    agent_id              TEXT NOT NULL,
    status                TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
    input                 TEXT NOT NULL,
    input_metadata        TEXT NOT NULL,
    output                TEXT,
    error                 TEXT,
    error_code            TEXT,
    token_usage           TEXT,
    user_message_id       TEXT NOT NULL,
    assistant_message_id  TEXT,
    last_event_id         INTEGER NOT NULL,
    created_at            TEXT NOT NULL,
    completed_at          TEXT
)
"""


def test_a_version_1_database_is_upgraded_in_place(tmp_path: Path) -> None:
    path = str(tmp_path / "v1.db")
    store = Storage(path)
    ws = store.ensure_workspace("k", configured=True)
    session = store.create_session(_session(ws["id"]))
    store.close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("DROP INDEX executions_by_workspace")
    conn.execute("DROP TABLE executions")
    conn.execute(_V1_EXECUTIONS)
    conn.execute(
        "INSERT INTO executions (id, workspace_id, session_pk, session_id, agent_id, status, input, input_metadata, "
        "output, token_usage, user_message_id, last_event_id, created_at, completed_at) "
        "VALUES ('old', ?, ?, ?, 'echo', 'completed', 'Hi', '{}', 'You said: Hi', '{}', 'u', 2, 't0', 't1')",
        (ws["id"], session["_pk"], session["id"]),
    )
    conn.execute("INSERT INTO frames VALUES ('old', 1, 'execution', '{}', 't0'), ('old', 2, 'done', '{}', 't1')")
    conn.execute("PRAGMA user_version = 1")
    conn.close()

    upgraded = Storage(path)
    old = upgraded.get_execution("old")
    assert old is not None
    assert (old["status"], old["input"], old["output"], old["started_at"]) == (
        "completed",
        {"message": "Hi"},
        {"content": "You said: Hi"},
        "t0",
    )
    assert [f.event for f in upgraded.frames_after("old", 0)] == ["execution", "done"], "frames kept"
    execution = _execution(session)
    upgraded.create_execution(execution, Frame(1, "execution", {}))
    assert upgraded.request_cancel(str(execution["id"])), "the new statuses can be stored"
    upgraded.close()
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA user_version").fetchone()[0] == 2
    assert check.execute("PRAGMA foreign_key_check").fetchall() == [], "frames still point at their executions"
    check.close()
    reopened = Storage(path)
    assert reopened.get_execution("old") is not None, "opening it again changes nothing"
    reopened.close()
