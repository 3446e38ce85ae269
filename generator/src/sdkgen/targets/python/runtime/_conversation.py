"""Conversations (RUNTIME.md "Conversations"): a thin, stateful view of one server session of a
chat API. The server holds the state; the conversation keeps what it has seen (the stored
messages, oldest first), so reading the history or the totals costs no request.

Nothing here names one API: the spec binds a resource's operations to a conversation
(`x-sdk-conversation`), and the generated resource hands the runtime a `ConversationBinding`
(which operation creates, reads, sends to, streams, lists and deletes a session; which fields
carry the text, the token counters and the cost).

How the history stays the server's own record: after every reply (sent, streamed, left early,
or answered before its run ended) the conversation reads the messages the server stored from
the last one it holds on (one request: the page holding that last message, which must read
the same, else every message is read again). Usage and cost are sums over those messages, so
they always equal what the server stored.

Streams left early:
- closed (`close()`, leaving its `with` block): the rest of the run is read on the same
  connection (resuming if it drops), then the stored messages: the history right after the
  block holds the whole exchange;
- dropped without closing (`break` out of a `for` loop and no reference kept): the stream's
  finaliser never does I/O. The blocking flavour notes where the run can be followed from
  and gives the invocation slot back; the next send, stream or read of `history`/`usage`/
  `total_cost` follows the run to its end through the stream's resume route, then reads the
  stored messages. The asyncio flavour follows it in a task on the event loop, which keeps
  the slot until it is done (`await conv.refresh()` waits for it).

Concurrency: at most `max_concurrent_invocations` sends and streams run at once (default 1:
one after another, in the order they were called; FIFO for threads and for asyncio tasks). A
stream holds its slot from the call that opens it to its end or close. `clear()` takes its
turn like a send.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import os
import tempfile
import threading
import weakref
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, Self, TypeVar, cast

from ._errors import APIError, InvalidArgumentError, StreamError
from ._lifecycle import safe_to_close_now
from ._reading import value_at
from ._types import NotGiven

__all__ = [
    "AsyncConversation",
    "AsyncConversationStream",
    "Conversation",
    "ConversationBinding",
    "ConversationReply",
    "ConversationStream",
]

MessageT = TypeVar("MessageT")
ReplyT = TypeVar("ReplyT")
EventT = TypeVar("EventT")
ItemT = TypeVar("ItemT")

DOCUMENT_VERSION = 1
# The document's own keys: a create field of one of these names is not saved (the generator
# refuses such a binding; this guards the document anyway).
_DOCUMENT_KEYS = frozenset({"version", "session_id", "usage", "total_cost", "history"})

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConversationBinding:
    """What a generated resource tells the runtime about its sessions (`x-sdk-conversation`).

    Field names are wire names. The callables call the resource's own methods (the asyncio
    flavour's return awaitables); `options` are keyword arguments every generated method takes
    (`timeout`, `max_retries`, ...), `params` the caller's keyword arguments of a send (the
    send operation's other fields, such as `metadata`, and per-call options).
    """

    name: str  # `<resource>.<open method>`, for messages
    text_field: str  # the send body's field carrying the text; messages carry theirs in the same field
    create_fields: tuple[str, ...]  # the create operation's body fields, kept for clear() and save()
    required_create: tuple[str, ...]  # those the create operation requires
    usage: tuple[tuple[str, str], ...]  # (counter name, the message field holding it)
    cost_field: str | None  # the message field holding its cost
    session_id_field: str  # the field of the created session holding its id
    message_cls: type  # the stored message model (history items)
    page_size: int  # messages asked for per history page
    create: Callable[[Mapping[str, Any], Mapping[str, Any]], Any]  # (fields, options) -> session
    send: Callable[[str, str, Mapping[str, Any]], Any]  # (session id, text, params) -> reply
    history: Callable[[str, int, int, Mapping[str, Any]], Any]  # (session id, page, limit, options) -> page
    get: Callable[[str, Mapping[str, Any]], Any] | None = None  # (session id, options) -> session
    stream: Callable[[str, str, Mapping[str, Any]], Any] | None = None  # (session id, text, params) -> stream
    delete: Callable[[str, Mapping[str, Any]], Any] | None = None  # (session id, options)
    # (resume route path parameters by wire name, last event id, options) -> a stream of the run
    follow: Callable[[Mapping[str, str], str | None, Mapping[str, Any]], Any] | None = None
    reply_user_field: str | None = None  # the reply's field holding the stored user message
    reply_run_fields: tuple[tuple[str, str], ...] = ()  # (resume route parameter, the reply's field)

    def __post_init__(self) -> None:
        clash = _DOCUMENT_KEYS.intersection(self.create_fields)
        if clash:
            raise ValueError(f"{self.name}: create fields {sorted(clash)} collide with the saved document's keys")


class ConversationReply(Generic[MessageT, ReplyT]):
    """The reply to a message sent in a conversation; `str(reply)` is its text."""

    __slots__ = ("assistant_message", "content", "cost", "execution_id", "message", "usage", "user_message")

    def __init__(
        self,
        *,
        content: str,
        message: ReplyT,
        execution_id: str | None,
        user_message: MessageT | None,
        assistant_message: MessageT | None,
        usage: dict[str, int],
        cost: float | None,
    ) -> None:
        self.content = content  # the reply's text
        self.message = message  # the send operation's answer, as the API sent it
        self.execution_id = execution_id  # the run that produced the reply, when the answer names it
        self.user_message = user_message  # the message sent, as the server stored it (None: not read back)
        self.assistant_message = assistant_message  # the reply as the server stored it (None: not read back)
        self.usage = usage  # the reply's token counters
        self.cost = cost  # what producing it cost (None: the API did not say)

    def __str__(self) -> str:
        return self.content

    def __format__(self, spec: str) -> str:
        return format(self.content, spec)

    def __repr__(self) -> str:
        return f"ConversationReply(content={self.content!r}, execution_id={self.execution_id!r})"


# -- pure helpers ----------------------------------------------------------------------------


def _check_text(text: object) -> str:
    if not isinstance(text, str):
        raise InvalidArgumentError(f"the message must be a str, not {type(text).__name__}")
    return text


def _check_options(max_concurrent_invocations: object, max_retries: object, timeout: object,
                   delete_on_exit: object) -> dict[str, Any]:
    n = max_concurrent_invocations
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InvalidArgumentError(f"max_concurrent_invocations must be an integer >= 1, not {n!r}")
    if not isinstance(delete_on_exit, bool):
        raise InvalidArgumentError(f"delete_on_exit must be a bool, not {type(delete_on_exit).__name__}")
    options: dict[str, Any] = {}
    if not isinstance(max_retries, NotGiven):
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise InvalidArgumentError(f"max_retries must be an integer >= 0, not {max_retries!r}")
        options["max_retries"] = max_retries
    if not isinstance(timeout, NotGiven):
        options["timeout"] = timeout
    return options


def _same(a: Any, b: Any) -> bool:
    """Whether two stored messages read the same (as JSON data)."""
    to_dict = getattr(a, "to_dict", None)
    other = getattr(b, "to_dict", None)
    if callable(to_dict) and callable(other):
        return bool(to_dict() == other())
    return bool(a == b)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _wire(model: Any) -> dict[str, Any]:
    to_dict = getattr(model, "to_dict", None)
    if callable(to_dict):
        return cast("dict[str, Any]", to_dict())
    return dict(model) if isinstance(model, Mapping) else {}


class _Core(Generic[MessageT, ReplyT]):
    """The state and bookkeeping both flavours share (no I/O here)."""

    def __init__(self, binding: ConversationBinding, options: dict[str, Any], delete_on_exit: bool) -> None:
        self.b = binding
        self.options = options  # timeout / max_retries for every call the conversation makes
        self.delete_on_exit = delete_on_exit
        self.session_id = ""
        self.fields: dict[str, Any] | None = {}  # the create fields (None: not known, read with `get`)
        self.history: list[MessageT] = []
        self.loaded = False  # the history holds every stored message (as of the last read)
        self.stale = False  # the server may hold messages the history lacks
        self.pending: collections.deque[tuple[dict[str, str], str | None]] = collections.deque()  # runs to follow
        self.closed = False
        self.deleted = False
        self.lock = threading.Lock()  # guards `history` replacement

    # -- arguments ---------------------------------------------------------------------
    def usable(self) -> None:
        if self.closed:
            raise InvalidArgumentError(f"{self.b.name}: the conversation is closed")

    def call_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """A send's keyword arguments: the caller's, over the conversation's options."""
        merged = dict(self.options)
        merged.update(params)
        return merged

    def create_fields(self, given: Mapping[str, Any]) -> dict[str, Any]:
        fields = {k: v for k, v in given.items() if not isinstance(v, NotGiven)}
        missing = [f for f in self.b.required_create if f not in fields]
        if missing:
            raise InvalidArgumentError(
                f"{self.b.name}() needs {' and '.join(missing)} to start a session (or an existing session's id)"
            )
        return fields

    # -- reading ---------------------------------------------------------------------------
    def text_of(self, value: Any) -> str | None:
        text = value_at(value, [self.b.text_field])
        return text if isinstance(text, str) else None

    def usage_of(self, value: Any) -> dict[str, int]:
        out: dict[str, int] = {}
        for counter, field in self.b.usage:
            n = value_at(value, [field])
            if isinstance(n, int) and not isinstance(n, bool):
                out[counter] = n
        return out

    def cost_of(self, value: Any) -> float | None:
        return _number(value_at(value, [self.b.cost_field])) if self.b.cost_field else None

    def usage(self) -> dict[str, int]:
        totals = {counter: 0 for counter, _ in self.b.usage}
        for m in self.history:
            for counter, n in self.usage_of(m).items():
                totals[counter] += n
        return totals

    def total_cost(self) -> float:
        return sum(c for c in (self.cost_of(m) for m in self.history) if c is not None)

    def session_id_of(self, session: Any) -> str:
        value = value_at(session, [self.b.session_id_field])
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value:
            raise StreamError(f"{self.b.name}: the created session has no usable {self.b.session_id_field!r}")
        return value

    def fields_of(self, session: Any) -> dict[str, Any]:
        wire = _wire(session)
        return {f: wire[f] for f in self.b.create_fields if f in wire}

    def run_of(self, reply: Any) -> dict[str, str]:
        """The resume route's parameters a reply names (the run that produced it)."""
        params: dict[str, str] = {}
        for param, field in self.b.reply_run_fields:
            value = value_at(reply, [field])
            if isinstance(value, str) and value:
                params[param] = value
        return params

    def make_reply(self, reply: Any, content: str | None, run: Mapping[str, str], new: list[MessageT]) -> ConversationReply[MessageT, ReplyT]:
        user: Any = value_at(reply, [self.b.reply_user_field]) if self.b.reply_user_field else None
        if not isinstance(user, self.b.message_cls):
            user = new[0] if len(new) >= 2 else None
        assistant = new[-1] if new and (user is None or not _same(new[-1], user)) else None
        if content is None and assistant is not None:
            content = self.text_of(assistant)
        usage = self.usage_of(reply) or (self.usage_of(assistant) if assistant is not None else {})
        cost = self.cost_of(reply)
        if cost is None and assistant is not None:
            cost = self.cost_of(assistant)
        return ConversationReply(
            content=content or "",
            message=cast(ReplyT, reply),
            execution_id=next(iter(run.values()), None),
            user_message=cast("MessageT | None", user),
            assistant_message=assistant,
            usage=usage,
            cost=cost,
        )

    # -- the history -------------------------------------------------------------------------
    def tail_start(self) -> tuple[list[MessageT] | None, int]:
        """What the next read starts from: the history it extends (None: read all) and the
        index of the first message to read."""
        with self.lock:
            if not self.loaded or not self.history:
                return None, 0
            known = list(self.history)
        return known, len(known) - 1

    def page_of(self, start: int) -> tuple[int, int]:
        size = self.b.page_size
        return start // size + 1, start % size

    def merge(self, sid: str, known: list[MessageT] | None, items: list[MessageT]) -> bool:
        """Put what a read returned into the history; False when the read does not extend
        `known` (its first message differs from the last one held): read everything again."""
        if known is not None:
            if not items or not _same(items[0], known[-1]):
                return False
            result = known + items[1:]
        else:
            result = list(items)
        with self.lock:
            if self.session_id != sid:
                return True  # cleared meanwhile: this read is of the old session
            if not self.loaded or len(result) >= len(self.history):
                self.history = result
            self.loaded = True
            self.stale = False
        return True

    def reset(self, sid: str) -> None:
        with self.lock:
            self.session_id = sid
            self.history = []
            self.loaded = True
            self.stale = False
            self.pending.clear()

    # -- save and load -------------------------------------------------------------------------
    def document(self, include_history: bool) -> dict[str, Any]:
        doc: dict[str, Any] = {"version": DOCUMENT_VERSION, "session_id": self.session_id}
        for key, value in (self.fields or {}).items():
            if key not in _DOCUMENT_KEYS:
                doc[key] = value
        doc["usage"] = self.usage()
        doc["total_cost"] = self.total_cost()
        if include_history:
            doc["history"] = [_wire(m) for m in self.history]
        return doc

    def read_document(self, source: str | os.PathLike[str]) -> dict[str, Any]:
        where = os.fspath(source)
        try:
            text = Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidArgumentError(f"cannot load a conversation from {where}: {exc}") from exc
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidArgumentError(f"{where} is not a saved conversation: it is not JSON ({exc})") from exc

        def bad(why: str) -> InvalidArgumentError:
            return InvalidArgumentError(f"{where} is not a saved conversation: {why}")

        if not isinstance(doc, dict):
            raise bad("it is not a JSON object")
        if doc.get("version") != DOCUMENT_VERSION:
            raise bad(f"version {doc.get('version')!r}; this SDK reads version {DOCUMENT_VERSION}")
        sid = doc.get("session_id")
        if not isinstance(sid, str) or not sid:
            raise bad("no session_id")
        history = doc.get("history")
        if history is not None and not isinstance(history, list):
            raise bad("history is not a list")
        if history is not None:
            for i, item in enumerate(history):
                if not isinstance(item, dict):
                    raise bad(f"history[{i}] is not an object")
        usage = doc.get("usage")
        if usage is not None and not isinstance(usage, dict):
            raise bad("usage is not an object")
        return doc

    def restore(self, doc: Mapping[str, Any]) -> None:
        self.session_id = doc["session_id"]
        self.fields = {f: doc[f] for f in self.b.create_fields if f in doc}
        history = doc.get("history")
        if history is not None:
            from_dict = getattr(self.b.message_cls, "from_dict")
            self.history = [from_dict(item) for item in history]
            self.loaded = True


def _write_document(path: str | os.PathLike[str], doc: Mapping[str, Any]) -> None:
    """Write the document whole or not at all (a temporary file renamed over `path`),
    readable by its owner only."""
    target = Path(path)
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or None)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(temp, 0o600)
        os.replace(temp, target)
    except BaseException as exc:
        try:
            os.unlink(temp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise InvalidArgumentError(f"cannot save the conversation to {os.fspath(path)}: {exc}") from exc
        raise


# -- invocation slots --------------------------------------------------------------------------


class _Gate:
    """At most `n` holders at once, served in the order they asked (threads).

    `release_later()` is for finalisers: it takes no lock it could wait on (a finaliser may run
    while this thread holds the gate's lock); the release is applied at once when the lock is
    free, else by the next caller of the gate or by a waiter (waiters look every 50 ms)."""

    def __init__(self, n: int) -> None:
        self._n = n
        self._used = 0
        self._waiters: collections.deque[threading.Event] = collections.deque()
        self._mutex = threading.Lock()
        self._late: collections.deque[int] = collections.deque()

    def acquire(self) -> None:
        with self._mutex:
            self._settle()
            if not self._waiters and self._used < self._n:
                self._used += 1
                return
            turn = threading.Event()
            self._waiters.append(turn)
        try:
            while not turn.wait(0.05):
                if self._late:
                    with self._mutex:
                        self._settle()
        except BaseException:
            with self._mutex:
                if turn.is_set():
                    self._used -= 1  # served meanwhile: give the slot back
                else:
                    self._waiters.remove(turn)
                self._wake()
            raise

    def release(self) -> None:
        with self._mutex:
            self._used -= 1
            self._settle()

    def release_later(self) -> None:
        self._late.append(1)
        if safe_to_close_now() and self._mutex.acquire(blocking=False):
            try:
                self._settle()
            finally:
                self._mutex.release()

    def _settle(self) -> None:
        while self._late:
            try:
                self._late.popleft()
            except IndexError:
                break
            self._used -= 1
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self._used < self._n:
            self._used += 1
            self._waiters.popleft().set()


class _AsyncGate:
    """`_Gate` for asyncio tasks (one event loop): FIFO, cancellation-safe."""

    def __init__(self, n: int) -> None:
        self._n = n
        self._used = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    async def acquire(self) -> None:
        if not self._waiters and self._used < self._n:
            self._used += 1
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(turn)
        try:
            await turn
        except BaseException:
            if turn.done() and not turn.cancelled():
                self.release()  # served meanwhile: give the slot back
            else:
                try:
                    self._waiters.remove(turn)
                except ValueError:
                    pass
            raise

    def release(self) -> None:
        self._used -= 1
        while self._waiters and self._used < self._n:
            turn = self._waiters.popleft()
            if not turn.done():
                self._used += 1
                turn.set_result(None)


# -- the blocking flavour -------------------------------------------------------------------------


class Conversation(Generic[MessageT, ReplyT, EventT]):
    """A conversation on one server session (blocking calls). Made by the resource's
    conversation method (`client.<resource>.<method>(...)`) or its load method.

        with client.chat.conversation(agent_id="...") as conv:
            print(conv.send("Hi"))                 # the reply's text
            for chunk in conv.stream("And then?"):
                print(chunk, end="")
            for msg in conv.history:               # msg.role, msg["content"], ...
                ...
            print(conv.usage, conv.total_cost)
            conv.save("conversation.json")         # client.<resource>.load(path) continues it

    Thread-safe: sends and streams from several threads take their turns (see
    `max_concurrent_invocations`).
    """

    def __init__(
        self,
        binding: ConversationBinding,
        *,
        max_concurrent_invocations: int = 1,
        max_retries: int | NotGiven = NotGiven(),
        timeout: Any = NotGiven(),
        delete_on_exit: bool = False,
    ) -> None:
        options = _check_options(max_concurrent_invocations, max_retries, timeout, delete_on_exit)
        self._core: _Core[MessageT, ReplyT] = _Core(binding, options, delete_on_exit)
        self._gate = _Gate(max_concurrent_invocations)
        self._sync_lock = threading.RLock()
        self._streams: weakref.WeakSet[ConversationStream[Any]] = weakref.WeakSet()

    # -- opening -------------------------------------------------------------------------------
    @classmethod
    def _open(cls, binding: ConversationBinding, session_id: str | None, fields: Mapping[str, Any],
              **options: Any) -> Self:
        conv = cls(binding, **options)
        core = conv._core
        given = {k: v for k, v in fields.items() if not isinstance(v, NotGiven)}
        if session_id is not None:
            if not isinstance(session_id, str) or not session_id:
                raise InvalidArgumentError("session_id must be a non-empty string")
            if given:
                raise InvalidArgumentError(
                    f"{binding.name}(): session_id resumes an existing session; "
                    f"{', '.join(sorted(given))} belong to a new one"
                )
            core.session_id = session_id
            core.fields = None if binding.get is not None else {}
            return conv  # nothing is read until it is needed
        core.fields = core.create_fields(given)
        session = binding.create(core.fields, core.options)
        core.reset(core.session_id_of(session))
        return conv

    @classmethod
    def _load(cls, binding: ConversationBinding, path: str | os.PathLike[str], **options: Any) -> Self:
        conv = cls(binding, **options)
        conv._core.restore(conv._core.read_document(path))
        return conv

    # -- what it holds ---------------------------------------------------------------------------
    @property
    def session_id(self) -> str:
        """The server session's id."""
        return self._core.session_id

    @property
    def history(self) -> list[MessageT]:
        """The stored messages, oldest first (a copy). Reading it sends no request, except to
        catch up: the first time for a resumed conversation, and after a stream was dropped
        unfinished or a call failed."""
        self._catch_up_now()
        with self._core.lock:
            return list(self._core.history)

    @property
    def all_messages(self) -> list[MessageT]:
        """The same as `history`."""
        return self.history

    @property
    def usage(self) -> dict[str, int]:
        """The token counters summed over the stored messages."""
        self._catch_up_now()
        return self._core.usage()

    @property
    def total_cost(self) -> float:
        """The sum of the stored messages' cost (0.0 when none has one)."""
        self._catch_up_now()
        return self._core.total_cost()

    def refresh(self) -> None:
        """Follow the runs of streams dropped unfinished to their end, then read the messages
        the server stored since the last one held (messages stored by others included)."""
        self._core.usable()
        with self._sync_lock:
            self._follow_pending()
            self._sync(self._core.session_id)

    # -- sending -------------------------------------------------------------------------------
    def send(self, text: str, **params: Any) -> ConversationReply[MessageT, ReplyT]:
        """Send a message and return the reply (`str(reply)` is its text). `params` are the
        send operation's other fields (such as `metadata`) and per-call options (`timeout`,
        `max_retries`, `idempotency_key`, `extra_headers`, ...)."""
        core = self._core
        core.usable()
        _check_text(text)
        kwargs = core.call_params(params)
        self._gate.acquire()
        try:
            return self._send(text, kwargs)
        finally:
            self._gate.release()

    invoke = send

    async def send_async(self, text: str, **params: Any) -> ConversationReply[MessageT, ReplyT]:
        """`send` for asyncio code: the blocking call runs in a worker thread."""
        return await asyncio.to_thread(self.send, text, **params)

    def _send(self, text: str, kwargs: Mapping[str, Any]) -> ConversationReply[MessageT, ReplyT]:
        core, b = self._core, self._core.b
        sid = core.session_id
        self._catch_up(sid)
        before = len(core.history) if core.loaded else None
        try:
            reply = b.send(sid, text, kwargs)
        except BaseException:
            core.stale = True  # the server may have stored the message before failing
            raise
        content = core.text_of(reply)
        run = core.run_of(reply)
        if content is None and run and b.follow is not None:
            # The server answered before its run ended: follow the run to its end.
            try:
                result = b.follow(run, None, core.options).until_done()
            except BaseException:
                core.stale = True
                raise
            content = getattr(result, "text", None) or None
        self._settle(sid)
        with core.lock:
            new = core.history[before:] if before is not None and core.loaded else []
        return core.make_reply(reply, content, run, new)

    def stream(self, text: str, **params: Any) -> ConversationStream[str]:
        """Send a message and stream the reply's text, piece by piece:

            for chunk in conv.stream("Hi"):
                print(chunk, end="", flush=True)

        A run that fails raises `StreamError` (with its failure event as `.event`) once the
        history is read. The message is sent by this call; the stream holds an invocation slot
        until its end or `close()`."""
        return ConversationStream(self, text, params, text_mode=True)

    def stream_events(self, text: str, **params: Any) -> ConversationStream[EventT]:
        """Send a message and stream the reply's typed events (a run that fails ends with its
        failure event, as the API's streaming send does)."""
        return ConversationStream(self, text, params, text_mode=False)

    # -- the session ---------------------------------------------------------------------------
    def clear(self) -> None:
        """Start afresh: a new server session with the same fields (agent, title, metadata...),
        an empty history and zero totals. The old session stays on the server (deleting its
        messages one by one would take a request each and could leave half a context behind).
        It takes its turn after the sends and streams called before it."""
        core = self._core
        core.usable()
        self._gate.acquire()
        try:
            fields = self._known_fields()
            session = core.b.create(core.create_fields(fields), core.options)
            core.reset(core.session_id_of(session))
            core.deleted = False
        finally:
            self._gate.release()

    def delete(self) -> None:
        """Delete the server session (and with it its messages)."""
        core = self._core
        core.usable()
        if core.b.delete is None:
            raise InvalidArgumentError(f"{core.b.name}: this API cannot delete a session")
        core.b.delete(core.session_id, core.options)
        core.deleted = True

    def close(self) -> None:
        """Close the conversation: its open streams are closed at once (without reading the
        rest of their runs), and with `delete_on_exit` the server session is deleted. Sends,
        streams and the other calls raise `InvalidArgumentError` after it; `history`, `usage`
        and `total_cost` still show what was read. Closing twice does nothing more."""
        core = self._core
        if core.closed:
            return
        core.closed = True
        for s in list(self._streams):
            s._abort()
        if core.delete_on_exit and not core.deleted and core.b.delete is not None:
            core.b.delete(core.session_id, core.options)
            core.deleted = True

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- save and load -------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str], *, include_history: bool = True) -> None:
        """Write the conversation to `path` as a small JSON document: `{"version": 1,
        "session_id", <the create fields>, "usage", "total_cost", "history"?}` (no key, no
        base URL), whole or not at all, readable by its owner only. The resource's load method
        continues it on the same server session."""
        self._known_fields()
        self._catch_up_now()
        with self._core.lock:
            doc = self._core.document(include_history)
        _write_document(path, doc)

    def __repr__(self) -> str:
        return f"Conversation(session_id={self._core.session_id!r})"

    # -- internals ---------------------------------------------------------------------------
    def _known_fields(self) -> dict[str, Any]:
        core = self._core
        if core.fields is None:
            if core.b.get is None:
                core.fields = {}
            else:
                core.fields = core.fields_of(core.b.get(core.session_id, core.options))
        return dict(core.fields)

    def _catch_up_now(self) -> None:
        """Before reading the history or totals: what the history lacks, read now."""
        core = self._core
        if core.closed or (core.loaded and not core.stale and not core.pending):
            return
        with self._sync_lock:
            self._follow_pending()
            if core.stale or not core.loaded:
                self._sync(core.session_id)

    def _catch_up(self, sid: str) -> None:
        """Before a send or stream: follow dropped streams' runs; read what a failure left."""
        core = self._core
        if not core.pending and not core.stale:
            return
        with self._sync_lock:
            try:
                self._follow_pending()
                if core.stale and core.loaded:
                    self._sync(sid)
            except APIError as exc:
                _log.debug("%s: catching up failed (%s); the reply's read tries again", core.b.name, exc)

    def _follow_pending(self) -> None:
        core = self._core
        while core.pending:
            try:
                params, last_id = core.pending.popleft()
            except IndexError:
                return
            core.stale = True
            if core.b.follow is None:
                continue
            stream = core.b.follow(params, last_id, core.options)
            try:
                for _ in stream:
                    pass  # the stored messages are what counts
            finally:
                stream.close()

    def _settle(self, sid: str) -> None:
        """After a reply: read the stored messages (a failure leaves them for the next time)."""
        try:
            with self._sync_lock:
                self._sync(sid)
        except APIError as exc:
            self._core.stale = True
            _log.debug("%s: reading the stored messages failed (%s)", self._core.b.name, exc)

    def _sync(self, sid: str) -> None:
        core = self._core
        known, start = core.tail_start()
        if not core.merge(sid, known, self._read_from(sid, start)):
            core.merge(sid, None, self._read_from(sid, 0))

    def _read_from(self, sid: str, start: int) -> list[MessageT]:
        core = self._core
        number, skip = core.page_of(start)
        page = core.b.history(sid, number, core.b.page_size, core.options)
        items: list[MessageT] = list(page.data)[skip:]
        while page.has_next_page():
            page = page.get_next_page()
            items.extend(page.data)
        return items


class ConversationStream(Generic[ItemT]):
    """A streamed reply of a `Conversation`: an iterator (of text pieces, or of typed events)
    and a context manager. The message is sent when the stream is made."""

    _inner: Any = None
    _held = False  # holds an invocation slot

    def __init__(self, conv: Conversation[Any, Any, Any], text: str, params: Mapping[str, Any], *,
                 text_mode: bool) -> None:
        core = conv._core
        core.usable()
        _check_text(text)
        open_stream = core.b.stream
        if open_stream is None:
            raise InvalidArgumentError(f"{core.b.name}: this API streams no replies: use send()")
        kwargs = core.call_params(params)
        self._conv = conv
        self._text_mode = text_mode
        self._failure: Any = None
        self._done = False
        conv._gate.acquire()
        self._held = True
        try:
            self._sid = core.session_id
            conv._catch_up(self._sid)
            self._inner = open_stream(self._sid, text, kwargs)
        except BaseException:
            core.stale = True
            self._release()
            raise
        conv._streams.add(self)

    def __iter__(self) -> Iterator[ItemT]:
        return self

    def __next__(self) -> ItemT:
        inner = self._inner
        if self._done or inner is None:
            raise StopIteration
        spec = inner.spec
        while True:
            try:
                event = next(inner)
            except StopIteration:
                self._finish()
                if self._text_mode and self._failure is not None:
                    raise StreamError(
                        f"the run failed: {spec.failure_message(self._failure)}", event=self._failure
                    ) from None
                raise
            except BaseException:
                self._fail()
                raise
            if spec.is_failure(event):
                self._failure = event
            if not self._text_mode:
                return cast(ItemT, event)
            piece = spec.text_piece(event)
            if piece:
                return cast(ItemT, piece)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop reading. Before the end, the rest of the run is read (not delivered) so the
        history holds the whole exchange when this returns."""
        if self._done:
            return
        inner = self._inner
        try:
            for _ in inner:
                pass
        except APIError as exc:
            self._fail()
            _log.debug("%s: following a stream closed early failed (%s)", self._conv._core.b.name, exc)
            return
        except BaseException:
            self._fail()
            raise
        self._finish()

    @property
    def response(self) -> Any:
        """The current HTTP response of the underlying stream (None once closed)."""
        return getattr(self._inner, "response", None)

    def _finish(self) -> None:
        if self._done:
            return
        self._done = True
        try:
            self._inner.close()
            self._conv._settle(self._sid)
        finally:
            self._release()

    def _fail(self) -> None:
        if self._done:
            return
        self._done = True
        self._conv._core.stale = True
        try:
            self._inner.close()
        finally:
            self._release()

    def _abort(self) -> None:
        """The conversation is closing: close the connection now, read nothing more."""
        self._fail()

    def _release(self) -> None:
        if self._held:
            self._held = False
            self._conv._gate.release()

    def __del__(self) -> None:
        if self._done or not self._held:
            return
        self._done = True
        conv = self._conv
        inner = self._inner
        if inner is not None:
            params, last_id = inner.resume_point()
            if params:
                conv._core.pending.append((params, last_id))
        conv._core.stale = True
        self._held = False
        conv._gate.release_later()


# -- the asyncio flavour ----------------------------------------------------------------------------


class AsyncConversation(Generic[MessageT, ReplyT, EventT]):
    """The asyncio flavour of `Conversation`: `await conv.send(...)`, `async for chunk in
    conv.stream(...)`, `async with`. Its `history`, `usage` and `total_cost` never wait for a
    request: a resumed or loaded conversation reads its stored messages when it opens, every
    reply reads what the server stored, and `await conv.refresh()` waits for the runs of
    streams dropped unfinished (followed in the background)."""

    def __init__(
        self,
        binding: ConversationBinding,
        *,
        max_concurrent_invocations: int = 1,
        max_retries: int | NotGiven = NotGiven(),
        timeout: Any = NotGiven(),
        delete_on_exit: bool = False,
    ) -> None:
        options = _check_options(max_concurrent_invocations, max_retries, timeout, delete_on_exit)
        self._core: _Core[MessageT, ReplyT] = _Core(binding, options, delete_on_exit)
        self._gate = _AsyncGate(max_concurrent_invocations)
        self._streams: weakref.WeakSet[AsyncConversationStream[Any]] = weakref.WeakSet()
        self._followers: set[asyncio.Task[None]] = set()
        self._scheduled: collections.deque[int] = collections.deque()  # follow-ups not started yet

    @classmethod
    async def _open(cls, binding: ConversationBinding, session_id: str | None, fields: Mapping[str, Any],
                    **options: Any) -> Self:
        conv = cls(binding, **options)
        core = conv._core
        given = {k: v for k, v in fields.items() if not isinstance(v, NotGiven)}
        if session_id is not None:
            if not isinstance(session_id, str) or not session_id:
                raise InvalidArgumentError("session_id must be a non-empty string")
            if given:
                raise InvalidArgumentError(
                    f"{binding.name}(): session_id resumes an existing session; "
                    f"{', '.join(sorted(given))} belong to a new one"
                )
            core.session_id = session_id
            if binding.get is not None:
                core.fields = core.fields_of(await binding.get(session_id, core.options))
            await conv._sync(session_id)
            return conv
        core.fields = core.create_fields(given)
        session = await binding.create(core.fields, core.options)
        core.reset(core.session_id_of(session))
        return conv

    @classmethod
    async def _load(cls, binding: ConversationBinding, path: str | os.PathLike[str], **options: Any) -> Self:
        conv = cls(binding, **options)
        core = conv._core
        core.restore(await asyncio.to_thread(core.read_document, path))
        if not core.loaded:
            await conv._sync(core.session_id)
        return conv

    @property
    def session_id(self) -> str:
        return self._core.session_id

    @property
    def history(self) -> list[MessageT]:
        """The stored messages, oldest first (a copy; no request)."""
        with self._core.lock:
            return list(self._core.history)

    @property
    def all_messages(self) -> list[MessageT]:
        """The same as `history`."""
        return self.history

    @property
    def usage(self) -> dict[str, int]:
        """The token counters summed over the stored messages."""
        return self._core.usage()

    @property
    def total_cost(self) -> float:
        """The sum of the stored messages' cost (0.0 when none has one)."""
        return self._core.total_cost()

    async def refresh(self) -> None:
        """Wait for the runs of streams dropped unfinished to be followed, then read the
        messages the server stored since the last one held."""
        self._core.usable()
        await self._wait_followers()
        await self._sync(self._core.session_id)

    async def _wait_followers(self) -> None:
        while self._scheduled:
            await asyncio.sleep(0)  # a dropped stream's follow-up is about to start
        if self._followers:
            await asyncio.gather(*list(self._followers), return_exceptions=True)

    async def send(self, text: str, **params: Any) -> ConversationReply[MessageT, ReplyT]:
        """Send a message and return the reply (`str(reply)` is its text); see `Conversation.send`."""
        core, b = self._core, self._core.b
        core.usable()
        _check_text(text)
        kwargs = core.call_params(params)
        await self._gate.acquire()
        try:
            sid = core.session_id
            await self._catch_up(sid)
            before = len(core.history) if core.loaded else None
            try:
                reply = await b.send(sid, text, kwargs)
            except BaseException:
                core.stale = True
                raise
            content = core.text_of(reply)
            run = core.run_of(reply)
            if content is None and run and b.follow is not None:
                try:
                    stream = await b.follow(run, None, core.options)
                    result = await stream.until_done()
                except BaseException:
                    core.stale = True
                    raise
                content = getattr(result, "text", None) or None
            await self._settle(sid)
            with core.lock:
                new = core.history[before:] if before is not None and core.loaded else []
            return core.make_reply(reply, content, run, new)
        finally:
            self._gate.release()

    invoke = send

    def stream(self, text: str, **params: Any) -> AsyncConversationStream[str]:
        """Send a message and stream the reply's text (`async for chunk in conv.stream(...)`);
        the message is sent when the iteration (or `async with`, or `await`) starts."""
        return AsyncConversationStream(self, text, params, text_mode=True)

    def stream_events(self, text: str, **params: Any) -> AsyncConversationStream[EventT]:
        """Send a message and stream the reply's typed events."""
        return AsyncConversationStream(self, text, params, text_mode=False)

    async def clear(self) -> None:
        """Start afresh on a new server session with the same fields; see `Conversation.clear`."""
        core = self._core
        core.usable()
        await self._gate.acquire()
        try:
            session = await core.b.create(core.create_fields(core.fields or {}), core.options)
            core.reset(core.session_id_of(session))
            core.deleted = False
        finally:
            self._gate.release()

    async def delete(self) -> None:
        """Delete the server session (and with it its messages)."""
        core = self._core
        core.usable()
        if core.b.delete is None:
            raise InvalidArgumentError(f"{core.b.name}: this API cannot delete a session")
        await core.b.delete(core.session_id, core.options)
        core.deleted = True

    async def close(self) -> None:
        """Close the conversation: open streams close at once, background follow-ups stop,
        and with `delete_on_exit` the server session is deleted. Calls after it raise
        `InvalidArgumentError`."""
        core = self._core
        if core.closed:
            return
        core.closed = True
        for s in list(self._streams):
            await s._abort()
        for task in list(self._followers):
            task.cancel()
        if self._followers:
            await asyncio.gather(*list(self._followers), return_exceptions=True)
        if core.delete_on_exit and not core.deleted and core.b.delete is not None:
            await core.b.delete(core.session_id, core.options)
            core.deleted = True

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def save(self, path: str | os.PathLike[str], *, include_history: bool = True) -> None:
        """Write the conversation to `path` (see `Conversation.save`)."""
        await self._wait_followers()
        with self._core.lock:
            doc = self._core.document(include_history)
        await asyncio.to_thread(_write_document, path, doc)

    def __repr__(self) -> str:
        return f"AsyncConversation(session_id={self._core.session_id!r})"

    # -- internals ---------------------------------------------------------------------------
    async def _catch_up(self, sid: str) -> None:
        if self._core.stale and self._core.loaded:
            try:
                await self._sync(sid)
            except APIError as exc:
                _log.debug("%s: catching up failed (%s); the reply's read tries again", self._core.b.name, exc)

    async def _settle(self, sid: str) -> None:
        try:
            await self._sync(sid)
        except APIError as exc:
            self._core.stale = True
            _log.debug("%s: reading the stored messages failed (%s)", self._core.b.name, exc)

    async def _sync(self, sid: str) -> None:
        core = self._core
        known, start = core.tail_start()
        if not core.merge(sid, known, await self._read_from(sid, start)):
            core.merge(sid, None, await self._read_from(sid, 0))

    async def _read_from(self, sid: str, start: int) -> list[MessageT]:
        core = self._core
        number, skip = core.page_of(start)
        page = await core.b.history(sid, number, core.b.page_size, core.options)
        items: list[MessageT] = list(page.data)[skip:]
        while page.has_next_page():
            page = await page.get_next_page()
            items.extend(page.data)
        return items

    def _follow_later(self, sid: str, params: dict[str, str], last_id: str | None, scheduled: bool = False) -> None:
        """Follow a dropped stream's run in a task on the loop; the task holds the stream's
        invocation slot until the stored messages are read."""
        if scheduled:
            try:
                self._scheduled.popleft()
            except IndexError:
                pass
        task = asyncio.get_running_loop().create_task(self._follow(sid, params, last_id))
        self._followers.add(task)
        task.add_done_callback(self._followers.discard)

    async def _follow(self, sid: str, params: dict[str, str], last_id: str | None) -> None:
        core = self._core
        try:
            if core.closed:
                return
            if params and core.b.follow is not None:
                stream = await core.b.follow(params, last_id, core.options)
                try:
                    async for _ in stream:
                        pass
                finally:
                    await stream.close()
            await self._sync(sid)
        except Exception as exc:  # the next call reads what the server stored
            core.stale = True
            _log.debug("%s: following a dropped stream's run failed (%s)", core.b.name, exc)
        except asyncio.CancelledError:
            core.stale = True
            raise
        finally:
            self._gate.release()


class AsyncConversationStream(Generic[ItemT]):
    """A streamed reply of an `AsyncConversation`: an async iterator (of text pieces, or of
    typed events), an async context manager, and awaitable (`await` opens it). The message is
    sent when it opens."""

    _inner: Any = None
    _held = False

    def __init__(self, conv: AsyncConversation[Any, Any, Any], text: str, params: Mapping[str, Any], *,
                 text_mode: bool) -> None:
        core = conv._core
        core.usable()
        _check_text(text)
        if core.b.stream is None:
            raise InvalidArgumentError(f"{core.b.name}: this API streams no replies: use send()")
        self._conv = conv
        self._text = text
        self._kwargs = core.call_params(params)
        self._text_mode = text_mode
        self._failure: Any = None
        self._done = False
        self._opened = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sid = ""

    async def _open(self) -> None:
        if self._opened:
            return
        self._opened = True
        conv = self._conv
        core = conv._core
        core.usable()
        open_stream = core.b.stream
        assert open_stream is not None  # checked when the stream was made
        await conv._gate.acquire()
        self._held = True
        self._loop = asyncio.get_running_loop()
        try:
            self._sid = core.session_id
            await conv._catch_up(self._sid)
            self._inner = await open_stream(self._sid, self._text, self._kwargs)
        except BaseException:
            core.stale = True
            self._done = True
            self._release()
            raise
        conv._streams.add(self)

    def __await__(self) -> Any:
        async def opened() -> AsyncConversationStream[ItemT]:
            await self._open()
            return self

        return opened().__await__()

    def __aiter__(self) -> AsyncIterator[ItemT]:
        return self

    async def __anext__(self) -> ItemT:
        await self._open()
        inner = self._inner
        if self._done or inner is None:
            raise StopAsyncIteration
        spec = inner.spec
        while True:
            try:
                event = await inner.__anext__()
            except StopAsyncIteration:
                await self._finish()
                if self._text_mode and self._failure is not None:
                    raise StreamError(
                        f"the run failed: {spec.failure_message(self._failure)}", event=self._failure
                    ) from None
                raise
            except Exception:
                await self._fail()
                raise
            except BaseException:
                self._abandon()  # cancelled mid-read: the run is followed in the background
                raise
            if spec.is_failure(event):
                self._failure = event
            if not self._text_mode:
                return cast(ItemT, event)
            piece = spec.text_piece(event)
            if piece:
                return cast(ItemT, piece)

    async def __aenter__(self) -> Self:
        await self._open()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop reading. Before the end, the rest of the run is read (not delivered) so the
        history holds the whole exchange when this returns."""
        if self._done or not self._opened:
            self._done = True
            return
        try:
            async for _ in self._inner:
                pass
        except APIError as exc:
            await self._fail()
            _log.debug("%s: following a stream closed early failed (%s)", self._conv._core.b.name, exc)
            return
        except Exception:
            await self._fail()
            raise
        except BaseException:
            self._abandon()
            raise
        await self._finish()

    @property
    def response(self) -> Any:
        return getattr(self._inner, "response", None)

    async def _finish(self) -> None:
        if self._done:
            return
        self._done = True
        try:
            await self._inner.close()
            await self._conv._settle(self._sid)
        finally:
            self._release()

    async def _fail(self) -> None:
        if self._done:
            return
        self._done = True
        self._conv._core.stale = True
        try:
            if self._inner is not None:
                await self._inner.close()
        finally:
            self._release()

    async def _abort(self) -> None:
        await self._fail()

    def _release(self) -> None:
        if self._held:
            self._held = False
            self._conv._gate.release()

    def _abandon(self) -> None:
        """Left unfinished without `close()`: hand the slot to a task that follows the run."""
        if self._done or not self._held:
            return
        self._done = True
        self._held = False
        conv = self._conv
        params, last_id = self._inner.resume_point() if self._inner is not None else ({}, None)
        conv._core.stale = True
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            conv._follow_later(self._sid, params, last_id)
        else:
            conv._scheduled.append(1)
            try:
                loop.call_soon_threadsafe(conv._follow_later, self._sid, params, last_id, True)
            except RuntimeError:
                conv._scheduled.clear()

    def __del__(self) -> None:
        if self._done or not self._held:
            return
        self._done = True
        self._held = False
        conv, loop = self._conv, self._loop
        params, last_id = self._inner.resume_point() if self._inner is not None else ({}, None)
        conv._core.stale = True
        if loop is None or loop.is_closed():
            return
        # Never awaited from a finaliser: a task on the loop follows the run and frees the slot
        # (`call_soon_threadsafe` takes no lock the finalising thread may hold).
        conv._scheduled.append(1)
        try:
            loop.call_soon_threadsafe(conv._follow_later, self._sid, params, last_id, True)
        except RuntimeError:
            conv._scheduled.clear()
