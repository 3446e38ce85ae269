"""Every SQL statement of the mock lives here: the SQLite schema and its transactions.

One connection, used only from the server's event-loop thread, in WAL mode for
file databases (``:memory:`` works too). Each public method that writes runs in
exactly one ``BEGIN IMMEDIATE`` transaction (or, inside :meth:`Storage.group`,
one savepoint of the group's transaction), so a failure anywhere leaves nothing
half-written: a session and its idempotency record, a reply's assistant message
and its ``done`` frame, always land together or not at all.

Methods return plain dicts in the API's wire shape; keys starting with ``_`` are
internal (row keys, error codes) and are stripped by :func:`public`.
"""

from __future__ import annotations

import atexit
import json
import logging
import sqlite3
import threading
import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from promptrails_mock.ids import ksuid, utc_now
from promptrails_mock.jsonsafe import dumps_text

__all__ = ["Frame", "IdempotencyRecord", "IdempotencyScope", "Storage", "public"]

logger = logging.getLogger("promptrails_mock.storage")

_SCHEMA_VERSION = 2

# Version 2 (issue 8): any status (running, cancel_requested, cancelled, completed, failed, and
# whatever comes next), and the run's cost, duration and start time.
_EXECUTIONS_COLUMNS = """
    id                    TEXT PRIMARY KEY,
    workspace_id          TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    session_pk            INTEGER REFERENCES sessions(pk) ON DELETE SET NULL,
    session_id            TEXT,
    agent_id              TEXT NOT NULL,
    status                TEXT NOT NULL,
    input                 TEXT NOT NULL,
    input_metadata        TEXT NOT NULL,
    output                TEXT,
    error                 TEXT,
    error_code            TEXT,
    token_usage           TEXT,
    cost                  REAL,
    duration_ms           INTEGER,
    user_message_id       TEXT NOT NULL,
    assistant_message_id  TEXT,
    last_event_id         INTEGER NOT NULL,
    created_at            TEXT NOT NULL,
    started_at            TEXT,
    completed_at          TEXT"""

# The columns a version 1 database has, copied as they are when it is upgraded.
_V1_EXECUTION_COLUMNS = (
    "id, workspace_id, session_pk, session_id, agent_id, status, input, input_metadata, output, error, "
    "error_code, token_usage, user_message_id, assistant_message_id, last_event_id, created_at, completed_at"
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS workspaces (
    id          TEXT PRIMARY KEY,
    api_key     TEXT NOT NULL UNIQUE,
    configured  INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS agent_aliases (
    id          TEXT PRIMARY KEY,
    like_agent  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    pk            INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT NOT NULL,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    agent_id      TEXT NOT NULL,
    user_id       TEXT,
    title         TEXT,
    metadata      TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (workspace_id, id)
);
CREATE TABLE IF NOT EXISTS messages (
    pk                 INTEGER PRIMARY KEY AUTOINCREMENT,
    id                 TEXT NOT NULL UNIQUE,
    session_pk         INTEGER NOT NULL REFERENCES sessions(pk) ON DELETE CASCADE,
    session_id         TEXT NOT NULL,
    role               TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    content            TEXT NOT NULL,
    metadata           TEXT NOT NULL,
    tool_calls         TEXT,
    tool_results       TEXT,
    model              TEXT,
    cost               REAL,
    token_count        INTEGER NOT NULL,
    prompt_tokens      INTEGER,
    completion_tokens  INTEGER,
    created_at         TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_session ON messages (session_pk, pk);
CREATE TABLE IF NOT EXISTS executions (
{executions_columns}
);
CREATE INDEX IF NOT EXISTS executions_by_workspace ON executions (workspace_id);
CREATE TABLE IF NOT EXISTS frames (
    execution_id  TEXT NOT NULL REFERENCES executions(id) ON DELETE CASCADE,
    seq           INTEGER NOT NULL,
    event         TEXT NOT NULL,
    data          TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (execution_id, seq)
);
CREATE TABLE IF NOT EXISTS idempotency (
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    method        TEXT NOT NULL,
    path          TEXT NOT NULL,
    key           TEXT NOT NULL,
    request_hash  TEXT NOT NULL,
    status        INTEGER,
    body          TEXT,
    execution_id  TEXT,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (workspace_id, method, path, key)
);
CREATE TABLE IF NOT EXISTS feedback (
    session_pk    INTEGER NOT NULL REFERENCES sessions(pk) ON DELETE CASCADE,
    execution_id  TEXT NOT NULL,
    value         INTEGER NOT NULL,
    comment       TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (session_pk, execution_id)
);
"""

TERMINAL_EVENTS = frozenset({"done", "error"})

# executions.last_event_id is written with the first frame and with the terminal one; in between, the frames
# of a running execution are stored in group commits without touching its row (one UPDATE per stream and
# pass was a tenth of a busy server's database time), so readers take the last stored frame's id.
_LAST_STORED_SEQ = "(SELECT MAX(seq) FROM frames WHERE frames.execution_id = executions.id)"
_EXECUTION_SELECT = f"executions.*, {_LAST_STORED_SEQ} AS stored_last_event_id"


_dumps = dumps_text  # never NaN or Infinity: what is stored can be sent back as JSON


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def public(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record without its internal (``_``-prefixed) keys."""
    return {k: v for k, v in record.items() if not k.startswith("_")}


@dataclass(frozen=True)
class IdempotencyScope:
    """What an ``Idempotency-Key`` is scoped to: the workspace, the method, the path and the key."""

    workspace_id: str
    method: str
    path: str
    key: str


@dataclass(frozen=True)
class IdempotencyRecord:
    """The first result of an idempotent request: a stored response, or the execution it started."""

    scope: IdempotencyScope
    request_hash: str
    status: int | None
    body: str | None
    execution_id: str | None


class Frame:
    """One stored frame of an execution's event stream (a run makes one per step: kept light)."""

    __slots__ = ("_json", "data", "event", "seq")

    def __init__(self, seq: int, event: str, data: dict[str, Any]) -> None:
        self.seq = seq
        self.event = event
        self.data = data
        self._json: str | None = None

    def __repr__(self) -> str:
        return f"Frame(seq={self.seq!r}, event={self.event!r}, data={self.data!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Frame):
            return NotImplemented
        return (self.seq, self.event, self.data) == (other.seq, other.event, other.data)

    __hash__ = None  # type: ignore[assignment]  # data is a dict

    @property
    def terminal(self) -> bool:
        return self.event in TERMINAL_EVENTS

    @property
    def data_json(self) -> str:
        """``data`` as JSON text, made once (stored, and sent)."""
        if self._json is None:
            self._json = _dumps(self.data)
        return self._json

    def to_sse(self) -> bytes:
        return f"id: {self.seq}\nevent: {self.event}\ndata: {self.data_json}\n\n".encode()


class _Checkpointer:
    """Checkpoints a WAL database from a thread and connection of its own, every half second.

    In WAL mode with ``synchronous = NORMAL`` a commit only appends to the WAL file; the
    fsyncs come with checkpoints, which SQLite runs by default inside the commit that fills
    the WAL past 1000 pages. On a busy server those commits stalled the event loop for
    milliseconds at a time (a third of a thousand-stream run went to them). A passive
    checkpoint from another connection copies what it can without blocking the writer,
    and Python releases the GIL while SQLite works, so the loop goes on meanwhile.
    """

    INTERVAL = 0.5

    def __init__(self, path: str) -> None:
        self._path = path
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="promptrails-mock-checkpoint", daemon=True)
        self._thread.start()
        _checkpointers.add(self)

    def _run(self) -> None:
        conn = sqlite3.connect(self._path, isolation_level=None)
        try:
            conn.execute("PRAGMA busy_timeout = 5000")
            conn.execute("PRAGMA synchronous = NORMAL")
            while not self._stopping.wait(self.INTERVAL):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.Error as exc:  # a busy database: the next round will do
                    logger.debug("checkpoint skipped: %s", exc)
        finally:
            conn.close()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not threading.current_thread():
            self._thread.join(10)
        _checkpointers.discard(self)

    def stop_soon(self) -> None:
        """Ask the thread to stop, without waiting (for a storage that is garbage-collected unclosed)."""
        self._stopping.set()


_checkpointers: weakref.WeakSet[_Checkpointer] = weakref.WeakSet()


@atexit.register
def _stop_checkpointers() -> None:
    """Stop checkpoint threads a process left running before the interpreter finalizes (a daemon thread
    inside SQLite at that moment could leave the process hanging on exit)."""
    for checkpointer in list(_checkpointers):
        checkpointer.stop()


class Storage:
    """The mock's database. Not thread-safe: use it from one thread (the event loop)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._grouping = False
        self._workspaces: dict[str, dict[str, Any]] = {}  # by API key; rows are only added or reset away
        self._sessions: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
        """Sessions as stored (and their metadata as stored, JSON), by (workspace id, session id): every
        message and stream request looks its session up. This connection is the database's only writer;
        an entry is dropped before any write to its row (so a write undone later leaves no stale entry),
        and only committed rows are put in."""
        self._session_keys: dict[int, tuple[str, str]] = {}  # the cache's keys by session pk
        self._conn.execute("PRAGMA foreign_keys = ON")
        self._conn.execute("PRAGMA busy_timeout = 5000")
        self._checkpointer: _Checkpointer | None = None
        if path != ":memory:" and not path.startswith("file::memory:"):
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
            # Checkpoints (and the fsyncs they make) happen in a thread of their own, never in a commit.
            self._conn.execute("PRAGMA wal_autocheckpoint = 0")
            self._checkpointer = _Checkpointer(path)
            weakref.finalize(self, self._checkpointer.stop_soon)  # a storage dropped without close()
        self._create_schema()

    # -- plumbing -------------------------------------------------------------------

    def _create_schema(self) -> None:
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, 1, _SCHEMA_VERSION):
            raise RuntimeError(
                f"{self.path}: database schema version {version} is not supported "
                f"(expected {_SCHEMA_VERSION}); delete the file or pass another --db"
            )
        if version == 1:
            self._upgrade_from_v1()
        with self._tx() as conn:
            for statement in _SCHEMA.format(executions_columns=_EXECUTIONS_COLUMNS).split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")

    def _upgrade_from_v1(self) -> None:
        """Rebuild the executions table (SQLite cannot drop a CHECK constraint), keeping every row and frame."""
        self._conn.execute("PRAGMA foreign_keys = OFF")  # no cascade while the old table is dropped
        try:
            with self._tx() as conn:
                conn.execute(f"CREATE TABLE executions_v2 ({_EXECUTIONS_COLUMNS})")
                conn.execute(
                    f"INSERT INTO executions_v2 ({_V1_EXECUTION_COLUMNS}) "
                    f"SELECT {_V1_EXECUTION_COLUMNS} FROM executions ORDER BY rowid"
                )
                conn.execute("UPDATE executions_v2 SET started_at = created_at")
                conn.execute("DROP TABLE executions")
                conn.execute("ALTER TABLE executions_v2 RENAME TO executions")
                conn.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
        finally:
            self._conn.execute("PRAGMA foreign_keys = ON")

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write: a transaction, or inside :meth:`group`, a savepoint (all of it, or none of it)."""
        if self._grouping:
            self._conn.execute("SAVEPOINT write")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK TO write")
                self._conn.execute("RELEASE write")
                raise
            else:
                self._conn.execute("RELEASE write")
            return
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        else:
            self._conn.execute("COMMIT")

    @contextmanager
    def group(self) -> Iterator[None]:
        """Several writes in one transaction (a group commit): each write inside still happens whole or
        not at all (a savepoint), and all of them are durable together, at the end of the block.

        A file database commits by writing its WAL file; on a busy server, one commit for every write
        kept the event loop waiting on the disk about 60 microseconds per write."""
        if self._grouping:
            yield
            return
        self._conn.execute("BEGIN IMMEDIATE")
        self._grouping = True
        try:
            yield
        except BaseException:
            self._grouping = False
            self._conn.execute("ROLLBACK")
            raise
        self._grouping = False
        try:
            self._conn.execute("COMMIT")
        except BaseException:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise

    def _one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self._conn.execute(sql, params).fetchone()
        return row

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        self._conn.close()  # the last connection to close checkpoints what is left

    def journal_mode(self) -> str:
        return str(self._one("PRAGMA journal_mode")[0])  # type: ignore[index]

    # -- workspaces -----------------------------------------------------------------

    def ensure_workspace(self, api_key: str, *, configured: bool) -> dict[str, Any]:
        """The workspace of ``api_key``, created if missing; ``configured`` keys survive resets."""
        self._workspaces.clear()
        with self._tx() as conn:
            row = conn.execute("SELECT * FROM workspaces WHERE api_key = ?", (api_key,)).fetchone()
            if row is None:
                conn.execute(
                    "INSERT INTO workspaces (id, api_key, configured, created_at) VALUES (?, ?, ?, ?)",
                    (ksuid(), api_key, int(configured), utc_now()),
                )
            elif configured and not row["configured"]:
                conn.execute("UPDATE workspaces SET configured = 1 WHERE api_key = ?", (api_key,))
            row = conn.execute("SELECT * FROM workspaces WHERE api_key = ?", (api_key,)).fetchone()
        return dict(row)

    def workspace_for_key(self, api_key: str) -> dict[str, Any] | None:
        """The workspace of an API key (looked up once: every request asks)."""
        cached = self._workspaces.get(api_key)
        if cached is None:
            row = self._one("SELECT * FROM workspaces WHERE api_key = ?", (api_key,))
            if row is None:
                return None
            cached = self._workspaces[api_key] = dict(row)
        return dict(cached)

    def configured_keys(self) -> list[str]:
        rows = self._conn.execute("SELECT api_key FROM workspaces WHERE configured = 1 ORDER BY created_at, api_key")
        return [r["api_key"] for r in rows]

    # -- agent aliases --------------------------------------------------------------

    def set_alias(self, agent_id: str, like: str) -> None:
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO agent_aliases (id, like_agent, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET like_agent = excluded.like_agent",
                (agent_id, like, utc_now()),
            )

    def get_alias(self, agent_id: str) -> str | None:
        row = self._one("SELECT like_agent FROM agent_aliases WHERE id = ?", (agent_id,))
        return None if row is None else str(row["like_agent"])

    def list_aliases(self) -> dict[str, str]:
        rows = self._conn.execute("SELECT id, like_agent FROM agent_aliases ORDER BY id")
        return {r["id"]: r["like_agent"] for r in rows}

    # -- sessions -------------------------------------------------------------------

    @staticmethod
    def _session(row: sqlite3.Row) -> dict[str, Any]:
        return {
            "_pk": row["pk"],
            "id": row["id"],
            "workspace_id": row["workspace_id"],
            "agent_id": row["agent_id"],
            "user_id": row["user_id"],
            "title": row["title"],
            "metadata": _loads(row["metadata"]),
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
        }

    def session_exists(self, workspace_id: str, session_id: str) -> bool:
        return (
            self._one("SELECT 1 FROM sessions WHERE workspace_id = ? AND id = ?", (workspace_id, session_id))
            is not None
        )

    def create_session(
        self,
        session: Mapping[str, Any],
        *,
        idempotency: tuple[IdempotencyScope, str, int, str] | None = None,
    ) -> dict[str, Any]:
        """Insert ``session`` (wire shape), with its idempotency record in the same transaction."""
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT INTO sessions (id, workspace_id, agent_id, user_id, title, metadata, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    session["id"],
                    session["workspace_id"],
                    session["agent_id"],
                    session["user_id"],
                    session["title"],
                    _dumps(session["metadata"]),
                    session["created_at"],
                    session["updated_at"],
                ),
            )
            if idempotency is not None:
                self._insert_idempotency(conn, *idempotency)
            row = conn.execute("SELECT * FROM sessions WHERE pk = ?", (cur.lastrowid,)).fetchone()
            grouped = self._grouping
        if not grouped:  # committed (inside a group, the group's transaction could still be undone)
            self._remember_session(row)
        return self._session(row)

    def get_session(self, workspace_id: str, session_id: str) -> dict[str, Any] | None:
        cached = self._sessions.get((workspace_id, session_id))
        if cached is not None:
            session, metadata = cached
            return {**session, "metadata": _loads(metadata)}  # the caller's own metadata
        row = self._one("SELECT * FROM sessions WHERE workspace_id = ? AND id = ?", (workspace_id, session_id))
        if row is None:
            return None
        if not self._conn.in_transaction:  # a committed row (not one a transaction in progress wrote)
            self._remember_session(row)
        return self._session(row)

    SESSION_CACHE_SIZE = 16384
    """How many sessions :meth:`get_session` keeps (the most recently stored or read first go last)."""

    def _remember_session(self, row: sqlite3.Row) -> None:
        sessions, keys = self._sessions, self._session_keys
        if len(sessions) >= self.SESSION_CACHE_SIZE:
            oldest = next(iter(sessions))
            del self._session_keys[sessions.pop(oldest)[0]["_pk"]]
        session = self._session(row)
        key = (session["workspace_id"], session["id"])
        sessions[key] = (session, row["metadata"])
        keys[session["_pk"]] = key

    def _forget_session(self, session_pk: int) -> None:
        """Drop a session's entry (before a write to its row: an undone write leaves no stale entry)."""
        key = self._session_keys.pop(session_pk, None)
        if key is not None:
            self._sessions.pop(key, None)

    def list_sessions(self, workspace_id: str, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        """One page of the workspace's sessions, newest first, and how many there are."""
        total = self._one("SELECT COUNT(*) FROM sessions WHERE workspace_id = ?", (workspace_id,))[0]  # type: ignore[index]
        rows = self._conn.execute(
            "SELECT * FROM sessions WHERE workspace_id = ? ORDER BY pk DESC LIMIT ? OFFSET ?",
            (workspace_id, limit, offset),
        )
        return [self._session(r) for r in rows], int(total)

    def update_session(self, workspace_id: str, session_id: str, changes: Mapping[str, Any]) -> dict[str, Any] | None:
        """Apply ``changes`` (``title`` and/or ``metadata``); None when the session does not exist."""
        with self._tx() as conn:
            row = conn.execute(
                "SELECT * FROM sessions WHERE workspace_id = ? AND id = ?", (workspace_id, session_id)
            ).fetchone()
            if row is None:
                return None
            self._forget_session(row["pk"])
            title = changes["title"] if "title" in changes else row["title"]
            metadata = _dumps(changes["metadata"]) if "metadata" in changes else row["metadata"]
            conn.execute(
                "UPDATE sessions SET title = ?, metadata = ?, updated_at = ? WHERE pk = ?",
                (title, metadata, utc_now(), row["pk"]),
            )
            row = conn.execute("SELECT * FROM sessions WHERE pk = ?", (row["pk"],)).fetchone()
        return self._session(row)

    def delete_session(self, workspace_id: str, session_id: str) -> bool:
        """Delete the session, its messages and feedback; its executions stay, detached. False if missing."""
        with self._tx() as conn:
            row = conn.execute(
                "SELECT pk FROM sessions WHERE workspace_id = ? AND id = ?", (workspace_id, session_id)
            ).fetchone()
            if row is None:
                return False
            self._forget_session(row["pk"])
            conn.execute(
                "UPDATE executions SET session_pk = NULL, session_id = NULL WHERE session_pk = ?", (row["pk"],)
            )
            conn.execute("DELETE FROM feedback WHERE session_pk = ?", (row["pk"],))
            conn.execute("DELETE FROM messages WHERE session_pk = ?", (row["pk"],))
            conn.execute("DELETE FROM sessions WHERE pk = ?", (row["pk"],))
        return True

    # -- messages -------------------------------------------------------------------

    @staticmethod
    def _message(row: sqlite3.Row) -> dict[str, Any]:
        return {
            "_pk": row["pk"],
            "id": row["id"],
            "session_id": row["session_id"],
            "role": row["role"],
            "content": row["content"],
            "metadata": _loads(row["metadata"]),
            "tool_calls": _loads(row["tool_calls"]),
            "tool_results": _loads(row["tool_results"]),
            "model": row["model"],
            "cost": row["cost"],
            "token_count": row["token_count"],
            "prompt_tokens": row["prompt_tokens"],
            "completion_tokens": row["completion_tokens"],
            "created_at": row["created_at"],
        }

    @staticmethod
    def _insert_message(conn: sqlite3.Connection, session_pk: int, session_id: str, message: Mapping[str, Any]) -> int:
        cur = conn.execute(
            "INSERT INTO messages (id, session_pk, session_id, role, content, metadata, tool_calls, tool_results, "
            "model, cost, token_count, prompt_tokens, completion_tokens, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                message["id"],
                session_pk,
                session_id,
                message["role"],
                message["content"],
                _dumps(message.get("metadata") or {}),
                None if message.get("tool_calls") is None else _dumps(message["tool_calls"]),
                None if message.get("tool_results") is None else _dumps(message["tool_results"]),
                message.get("model"),
                message.get("cost"),
                message["token_count"],
                message.get("prompt_tokens"),
                message.get("completion_tokens"),
                message["created_at"],
            ),
        )
        return int(cur.lastrowid or 0)

    def list_messages(self, session_pk: int, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        """One page of a session's messages, oldest first, and how many there are."""
        total = self._one("SELECT COUNT(*) FROM messages WHERE session_pk = ?", (session_pk,))[0]  # type: ignore[index]
        rows = self._conn.execute(
            "SELECT * FROM messages WHERE session_pk = ? ORDER BY pk ASC LIMIT ? OFFSET ?",
            (session_pk, limit, offset),
        )
        return [self._message(r) for r in rows], int(total)

    def history_before(self, session_pk: int, message_pk: int) -> list[dict[str, Any]]:
        """Every message of the session stored before ``message_pk``, oldest first."""
        rows = self._conn.execute(
            "SELECT * FROM messages WHERE session_pk = ? AND pk < ? ORDER BY pk ASC", (session_pk, message_pk)
        )
        return [self._message(r) for r in rows]

    def get_message(self, message_id: str) -> dict[str, Any] | None:
        row = self._one("SELECT * FROM messages WHERE id = ?", (message_id,))
        return None if row is None else self._message(row)

    def delete_message(self, session_pk: int, message_id: str) -> bool:
        with self._tx() as conn:
            cur = conn.execute("DELETE FROM messages WHERE session_pk = ? AND id = ?", (session_pk, message_id))
        return cur.rowcount > 0

    # -- executions and their frames ------------------------------------------------

    @staticmethod
    def _execution(row: sqlite3.Row) -> dict[str, Any]:
        """An execution in the wire shape: every field the contract lists (null where the mock has none),
        ``input`` as ``{"message": ...}`` and ``output`` as ``{"content": ...}``, as the real API sends them."""
        return {
            "id": row["id"],
            "workspace_id": row["workspace_id"],
            "agent_id": row["agent_id"],
            "agent_version_id": None,
            "user_id": None,
            "session_id": row["session_id"],
            "parent_execution_id": None,
            "status": row["status"],
            "input": {"message": row["input"]},
            "output": None if row["output"] is None else {"content": row["output"]},
            "error": row["error"],
            "metadata": _loads(row["input_metadata"]),
            "token_usage": _loads(row["token_usage"]),
            "cost": row["cost"],
            "duration_ms": row["duration_ms"],
            "trace_id": None,
            "approval_expires_at": None,
            "user_message_id": row["user_message_id"],
            "assistant_message_id": row["assistant_message_id"],
            "last_event_id": str(row["stored_last_event_id"] or row["last_event_id"]),
            "created_at": row["created_at"],
            "started_at": row["started_at"],
            "completed_at": row["completed_at"],
            "_session_pk": row["session_pk"],
            "_error_code": row["error_code"],
            "_input": row["input"],
            "_input_metadata": _loads(row["input_metadata"]),
        }

    def create_execution(
        self,
        execution: Mapping[str, Any],
        first_frame: Frame,
        *,
        idempotency: tuple[IdempotencyScope, str] | None = None,
    ) -> bool:
        """Insert a running execution with its first frame (and the idempotency record naming it); False,
        storing nothing, when its session is gone (deleted since it was looked up)."""
        with self._tx() as conn:
            if conn.execute("SELECT 1 FROM sessions WHERE pk = ?", (execution["_session_pk"],)).fetchone() is None:
                return False
            conn.execute(
                "INSERT INTO executions (id, workspace_id, session_pk, session_id, agent_id, status, input, "
                "input_metadata, user_message_id, last_event_id, created_at) "
                "VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?)",
                (
                    execution["id"],
                    execution["workspace_id"],
                    execution["_session_pk"],
                    execution["session_id"],
                    execution["agent_id"],
                    execution["input"],
                    _dumps(execution.get("_input_metadata") or {}),
                    execution["user_message_id"],
                    first_frame.seq,
                    execution["created_at"],
                ),
            )
            # (its row says last_event_id = the first frame's id already: no UPDATE after this INSERT)
            conn.execute(
                "INSERT INTO frames (execution_id, seq, event, data, created_at) VALUES (?, ?, ?, ?, ?)",
                (execution["id"], first_frame.seq, first_frame.event, first_frame.data_json, execution["created_at"]),
            )
            if idempotency is not None:
                scope, request_hash = idempotency
                conn.execute(
                    "INSERT INTO idempotency (workspace_id, method, path, key, request_hash, execution_id, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (scope.workspace_id, scope.method, scope.path, scope.key, request_hash, execution["id"], utc_now()),
                )
        return True

    @staticmethod
    def _insert_frame(conn: sqlite3.Connection, execution_id: str, frame: Frame) -> None:
        conn.execute(
            "INSERT INTO frames (execution_id, seq, event, data, created_at) VALUES (?, ?, ?, ?, ?)",
            (execution_id, frame.seq, frame.event, frame.data_json, utc_now()),
        )
        conn.execute("UPDATE executions SET last_event_id = ? WHERE id = ?", (frame.seq, execution_id))

    def store_user_message(self, execution_id: str, message: Mapping[str, Any]) -> int | None:
        """Store the run's user message in its session and mark the run started; None (nothing stored)
        if the session is gone."""
        with self._tx() as conn:
            row = conn.execute(
                "SELECT s.pk, s.id FROM executions e JOIN sessions s ON s.pk = e.session_pk WHERE e.id = ?",
                (execution_id,),
            ).fetchone()
            if row is None:
                return None
            self._forget_session(row["pk"])
            pk = self._insert_message(conn, row["pk"], row["id"], message)
            conn.execute("UPDATE sessions SET updated_at = ? WHERE pk = ?", (message["created_at"], row["pk"]))
            conn.execute("UPDATE executions SET started_at = ? WHERE id = ?", (message["created_at"], execution_id))
        return pk

    def append_frame(self, execution_id: str, frame: Frame) -> bool:
        """Store a non-terminal frame; False if the execution no longer exists (a reset)."""
        return execution_id not in self.append_frames([(execution_id, [frame])])

    @staticmethod
    def _insert_frames(conn: sqlite3.Connection, execution_id: str, frames: Sequence[Frame]) -> None:
        if not frames:
            return
        now = utc_now()
        conn.executemany(
            "INSERT INTO frames (execution_id, seq, event, data, created_at) VALUES (?, ?, ?, ?, ?)",
            [(execution_id, f.seq, f.event, f.data_json, now) for f in frames],
        )
        conn.execute("UPDATE executions SET last_event_id = ? WHERE id = ?", (frames[-1].seq, execution_id))

    def append_frames(self, batch: Sequence[tuple[str, Sequence[Frame]]]) -> set[str]:
        """Store the non-terminal frames of several executions in one transaction (a group commit), with
        a few statements for the whole batch; the ids of the executions that no longer exist (a reset),
        whose frames are not stored."""
        wanted = [execution_id for execution_id, frames in batch if frames]
        if not wanted:
            return set()
        now = utc_now()
        with self._tx() as conn:
            existing: set[str] = set()
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                existing.update(r[0] for r in conn.execute(f"SELECT id FROM executions WHERE id IN ({marks})", chunk))
            kept = [(execution_id, frames) for execution_id, frames in batch if frames and execution_id in existing]
            conn.executemany(
                "INSERT INTO frames (execution_id, seq, event, data, created_at) VALUES (?, ?, ?, ?, ?)",
                [(execution_id, f.seq, f.event, f.data_json, now) for execution_id, frames in kept for f in frames],
            )
        return set(wanted) - existing

    def complete_execution(
        self,
        execution_id: str,
        assistant_message: Mapping[str, Any],
        done_frame: Frame,
        token_usage: Mapping[str, int],
        *,
        duration_ms: int | None = None,
        frames: Sequence[Frame] = (),
    ) -> bool:
        """Store the reply, the frames still waiting before it (``frames``), the ``done`` frame and the
        completed status together.

        Returns False, storing nothing, when the execution's session is gone.
        """
        with self._tx() as conn:
            row = conn.execute(
                "SELECT s.pk, s.id FROM executions e JOIN sessions s ON s.pk = e.session_pk WHERE e.id = ?",
                (execution_id,),
            ).fetchone()
            if row is None:
                return False
            self._insert_message(conn, row["pk"], row["id"], assistant_message)
            self._insert_frames(conn, execution_id, frames)
            self._insert_frame(conn, execution_id, done_frame)
            conn.execute(
                "UPDATE executions SET status = 'completed', output = ?, token_usage = ?, assistant_message_id = ?, "
                "cost = ?, duration_ms = ?, completed_at = ? WHERE id = ?",
                (
                    assistant_message["content"],
                    _dumps(dict(token_usage)),
                    assistant_message["id"],
                    assistant_message.get("cost"),
                    duration_ms,
                    assistant_message["created_at"],
                    execution_id,
                ),
            )
            self._forget_session(row["pk"])
            conn.execute(
                "UPDATE sessions SET updated_at = ? WHERE pk = ?", (assistant_message["created_at"], row["pk"])
            )
        return True

    def fail_execution(
        self,
        execution_id: str,
        error_frame: Frame,
        code: str,
        *,
        status: str = "failed",
        duration_ms: int | None = None,
        frames: Sequence[Frame] = (),
    ) -> bool:
        """Store the frames still waiting (``frames``), the ``error`` frame and the final status
        (``failed``, or ``cancelled``) together; False if the execution is gone."""
        with self._tx() as conn:
            if conn.execute("SELECT 1 FROM executions WHERE id = ?", (execution_id,)).fetchone() is None:
                return False
            self._insert_frames(conn, execution_id, frames)
            self._insert_frame(conn, execution_id, error_frame)
            conn.execute(
                "UPDATE executions SET status = ?, error = ?, error_code = ?, duration_ms = ?, completed_at = ? "
                "WHERE id = ?",
                (status, error_frame.data["message"], code, duration_ms, utc_now(), execution_id),
            )
        return True

    def request_cancel(self, execution_id: str) -> bool:
        """Mark a running execution ``cancel_requested``; False when it is not running."""
        with self._tx() as conn:
            cur = conn.execute(
                "UPDATE executions SET status = 'cancel_requested' WHERE id = ? AND status = 'running'",
                (execution_id,),
            )
        return cur.rowcount > 0

    def list_executions(
        self,
        workspace_id: str,
        offset: int,
        limit: int,
        *,
        agent_id: str | None = None,
        session_id: str | None = None,
        status: str | None = None,
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of the workspace's executions, newest first, filtered, and how many match."""
        where = ["workspace_id = ?"]
        params: list[Any] = [workspace_id]
        for column, value in (("agent_id", agent_id), ("session_id", session_id), ("status", status)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        condition = " AND ".join(where)
        total = self._one(f"SELECT COUNT(*) FROM executions WHERE {condition}", params)[0]  # type: ignore[index]
        rows = self._conn.execute(
            f"SELECT {_EXECUTION_SELECT} FROM executions WHERE {condition} ORDER BY rowid DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [self._execution(r) for r in rows], int(total)

    def get_execution(self, execution_id: str, workspace_id: str | None = None) -> dict[str, Any] | None:
        if workspace_id is None:
            row = self._one(f"SELECT {_EXECUTION_SELECT} FROM executions WHERE id = ?", (execution_id,))
        else:
            row = self._one(
                f"SELECT {_EXECUTION_SELECT} FROM executions WHERE id = ? AND workspace_id = ?",
                (execution_id, workspace_id),
            )
        return None if row is None else self._execution(row)

    def frames_after(self, execution_id: str, after: int) -> list[Frame]:
        rows = self._conn.execute(
            "SELECT seq, event, data FROM frames WHERE execution_id = ? AND seq > ? ORDER BY seq", (execution_id, after)
        )
        return [Frame(r["seq"], r["event"], json.loads(r["data"])) for r in rows]

    def fail_unfinished_executions(self, message: str, code: str) -> int:
        """Mark every ``running`` execution failed with a final ``error`` frame (used at start-up)."""
        with self._tx() as conn:
            rows = conn.execute(
                f"SELECT id, COALESCE({_LAST_STORED_SEQ}, last_event_id) AS last_event_id FROM executions "
                "WHERE status IN ('running', 'cancel_requested')"
            ).fetchall()
            for row in rows:
                frame = Frame(row["last_event_id"] + 1, "error", {"message": message, "code": code})
                self._insert_frame(conn, row["id"], frame)
                conn.execute(
                    "UPDATE executions SET status = 'failed', error = ?, error_code = ?, completed_at = ? WHERE id = ?",
                    (message, code, utc_now(), row["id"]),
                )
        return len(rows)

    # -- idempotency ----------------------------------------------------------------

    @staticmethod
    def _insert_idempotency(
        conn: sqlite3.Connection, scope: IdempotencyScope, request_hash: str, status: int, body: str
    ) -> None:
        conn.execute(
            "INSERT INTO idempotency (workspace_id, method, path, key, request_hash, status, body, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (scope.workspace_id, scope.method, scope.path, scope.key, request_hash, status, body, utc_now()),
        )

    def get_idempotency(self, scope: IdempotencyScope) -> IdempotencyRecord | None:
        row = self._one(
            "SELECT * FROM idempotency WHERE workspace_id = ? AND method = ? AND path = ? AND key = ?",
            (scope.workspace_id, scope.method, scope.path, scope.key),
        )
        if row is None:
            return None
        return IdempotencyRecord(scope, row["request_hash"], row["status"], row["body"], row["execution_id"])

    def save_idempotent_response(self, scope: IdempotencyScope, request_hash: str, status: int, body: str) -> None:
        """Record (or complete) the response an idempotent request answered."""
        with self._tx() as conn:
            cur = conn.execute(
                "UPDATE idempotency SET status = ?, body = ? "
                "WHERE workspace_id = ? AND method = ? AND path = ? AND key = ? AND request_hash = ?",
                (status, body, scope.workspace_id, scope.method, scope.path, scope.key, request_hash),
            )
            if cur.rowcount == 0:
                self._insert_idempotency(conn, scope, request_hash, status, body)

    # -- feedback -------------------------------------------------------------------

    def upsert_feedback(
        self,
        session_pk: int,
        execution_id: str,
        value: int,
        comment: str | None,
        *,
        idempotency: tuple[IdempotencyScope, str, int, str] | None = None,
    ) -> None:
        """Store a rating (a later one replaces an earlier one), with its idempotency record."""
        now = utc_now()
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO feedback (session_pk, execution_id, value, comment, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (session_pk, execution_id) "
                "DO UPDATE SET value = excluded.value, comment = excluded.comment, updated_at = excluded.updated_at",
                (session_pk, execution_id, value, comment, now, now),
            )
            if idempotency is not None:
                self._insert_idempotency(conn, *idempotency)

    def get_feedback(self, session_pk: int, execution_id: str) -> dict[str, Any] | None:
        row = self._one("SELECT * FROM feedback WHERE session_pk = ? AND execution_id = ?", (session_pk, execution_id))
        return None if row is None else dict(row)

    # -- control --------------------------------------------------------------------

    def reset(self) -> None:
        """Delete everything except the configured workspaces (which are emptied)."""
        self._workspaces.clear()
        self._sessions.clear()
        self._session_keys.clear()
        with self._tx() as conn:
            for table in ("feedback", "idempotency", "frames", "executions", "messages", "sessions", "agent_aliases"):
                conn.execute(f"DELETE FROM {table}")
            conn.execute("DELETE FROM workspaces WHERE configured = 0")

    def counts(self) -> dict[str, int]:
        """Row counts per table (for tests and diagnostics)."""
        tables = ("workspaces", "sessions", "messages", "executions", "frames", "idempotency", "feedback")
        return {t: int(self._one(f"SELECT COUNT(*) FROM {t}")[0]) for t in tables}  # type: ignore[index]
