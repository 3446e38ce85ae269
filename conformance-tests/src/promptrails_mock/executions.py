"""Runs agents as background tasks and streams their frames.

Every sent message (streaming or not) starts one execution:

* :meth:`ExecutionManager.start` stores the execution and its first frame
  (``execution {execution_id, user_message_id}``), then starts a task;
* the task waits for its session's lock (so concurrent sends to one session run
  one after the other, each seeing the previous reply in its history), stores
  the user message, plays the agent's script frame by frame (frame ids are
  ``1, 2, 3...`` per execution), and ends with exactly one terminal frame:
  ``done`` (stored together with the assistant message) or ``error``;
* every frame is stored before it is published (a frame a client saw is in the
  database), but not one transaction per frame: the :class:`FrameWriter` stores
  the frames every run produced in one pass of the event loop in one transaction
  (a group commit: one frame per commit for a lone stream, hundreds under load),
  then publishes them; a terminal frame is stored in the same transaction as the
  frames still waiting before it and the run's final state, so a run is complete
  in the database at its terminal frame, and on shutdown too (each run stores its
  ``error`` frame the same way);
* a run waits for its turn (:class:`Turns`) before every frame, even with no
  pause: turns go first come, first served, at most ``FRAMES_PER_PASS`` in one
  pass of the event loop, so concurrent runs, and the streams reading them,
  interleave frame by frame, and however many runs there are, a pass stays short
  enough for a new request to be answered within a few passes;
* :meth:`ExecutionManager.subscribe` yields the frames after a given id, first
  the stored ones, then live ones until the terminal frame;
* :meth:`ExecutionManager.cancel` asks a run to stop: it is ``cancel_requested``
  until its next step, then ends with ``error {code: cancelled}`` and the status
  ``cancelled`` (nothing more is stored, no assistant message).

A subscriber going away (a client disconnect) never affects the run.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from typing import Any, TypeVar

from promptrails_mock.agents import (
    BUILTIN_AGENTS,
    AgentInput,
    AgentSettings,
    Failure,
    HistoryItem,
    count_tokens,
    script_for,
)
from promptrails_mock.ids import ksuid, utc_now
from promptrails_mock.locks import KeyedLocks
from promptrails_mock.storage import Frame, IdempotencyScope, Storage

__all__ = ["ExecutionManager", "Opening", "SessionGone"]

logger = logging.getLogger("promptrails_mock.executions")

T = TypeVar("T")


class _Gone(Exception):
    """The execution's rows disappeared (a control-API reset) while it ran."""


class _Cancelled(Exception):
    """The execution was asked to stop (``POST /executions/{id}/cancel``)."""


CANCELLED_MESSAGE = "The run was cancelled."
CANCELLED_CODE = "cancelled"


class SessionGone(Exception):
    """The session was deleted before the execution could be stored."""


class _WriteFailed(Exception):
    """The frames of the run could not be stored."""


class _LiveRun:
    """The in-memory view of a running execution: its published frames, and a wake-up for subscribers."""

    def __init__(self, execution_id: str, first: Frame) -> None:
        self.id = execution_id
        self.frames: list[Frame] = [first]
        """The frames stored and published, in order (subscribers read these)."""
        self.last_seq = first.seq
        """The id of the last frame made, published or still waiting in the writer."""
        self.finished = False
        self.cancel_requested = False
        self.gone = False
        self.write_failed = False
        self.more_soon = False
        """The run holds its turn and makes its next frame in the next pass, with no pause (a stream waits
        for it, to send the turn's frames in one write)."""
        self.started = time.monotonic()
        self._waiters: list[asyncio.Future[None]] = []

    def elapsed_ms(self) -> int:
        return round((time.monotonic() - self.started) * 1000)

    def check(self) -> None:
        """Stop here if the run was cancelled, reset away, or its frames could not be stored."""
        if self.gone:
            raise _Gone()
        if self.write_failed:
            raise _WriteFailed(f"the frames of execution {self.id} could not be stored")
        if self.cancel_requested:
            raise _Cancelled()

    def check_cancel(self) -> None:
        if self.cancel_requested:
            raise _Cancelled()

    def next_frame(self, event: str, data: dict[str, Any]) -> Frame:
        """A new non-terminal frame, numbered after every frame made so far."""
        self.last_seq += 1
        return Frame(self.last_seq, event, data)

    def forget_unpublished(self) -> None:
        """Frames that were never stored are dropped: number on from the last published one."""
        self.last_seq = self.frames[-1].seq

    @property
    def unpublished(self) -> bool:
        """Whether the run made frames the writer has not stored and published yet (it will, in the next
        pass: a write that fails, or a reset, ends the run with a published ``error`` frame)."""
        return self.last_seq > self.frames[-1].seq

    @property
    def terminated(self) -> bool:
        return self.frames[-1].terminal

    def publish(self, *frames: Frame) -> None:
        if not frames:
            return
        self.frames.extend(frames)
        self.last_seq = max(self.last_seq, frames[-1].seq)
        self._wake()

    def finish(self) -> None:
        self.finished = True
        self._wake()

    def _wake(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def wait_beyond(self, count: int) -> None:
        """Wait until there are more than ``count`` published frames, or the run finished."""
        while len(self.frames) <= count and not self.finished:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            await waiter


TURNS_PER_PASS = 64
"""How many runs may make frames in one pass of the event loop (see :class:`Turns`)."""
TURNS_PER_PASS_WHILE_OPENING = 4
"""How many, while requests are on their way to their first answer or their run (see :class:`Opening`)."""
FRAMES_PER_TURN = 8
"""How many frames a run makes on one turn, yielding between them (its stream sends them in one write)."""


class Turns:
    """Turns to make frames: first come, first served, at most ``per_pass`` in one pass of the event loop.

    Without a bound, a thousand runs with no pause would each make a frame in every pass, and every
    pass (the interval at which the server reads new requests and moves each one a step on) would
    take a thousand frames' work: a new stream's first frame came seconds late. With it, a run makes
    up to ``FRAMES_PER_TURN`` frames on a turn, one a pass (it yields between them), so a pass takes
    at most ``per_pass * FRAMES_PER_TURN`` frames' work (512, about 20 ms on a busy 2-core machine),
    the runs still take turns fairly, and the frames per second stay the same. A stream sends the
    frames of one turn in one write (see ``subscribe_batches``): eight frames a write instead of two
    took a quarter off the server's CPU per frame and half off the client's (``scripts/load.py``).
    """

    def __init__(self, per_pass: int = TURNS_PER_PASS, per_pass_opening: int = TURNS_PER_PASS_WHILE_OPENING) -> None:
        self.per_pass = per_pass
        self.per_pass_opening = per_pass_opening
        self.opening = 0
        """Requests on their way to their first answer or their run (:class:`Opening`)."""
        self._queue: collections.deque[asyncio.Future[None]] = collections.deque()
        self._scheduled = False

    async def take(self) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self._queue.append(waiter)
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._grant)
        await waiter

    def _grant(self) -> None:
        granted = 0
        queue = self._queue
        limit = self.per_pass_opening if self.opening else self.per_pass
        while queue and granted < limit:
            waiter = queue.popleft()
            if not waiter.done():  # a cancelled run's turn goes to the next
                waiter.set_result(None)
                granted += 1
        self._scheduled = bool(queue)
        if queue:
            asyncio.get_running_loop().call_soon(self._grant)  # the next pass


_OPENING: contextvars.ContextVar[Opening | None] = contextvars.ContextVar("promptrails_mock_opening", default=None)


class Opening:
    """A request on its way to its first answer or its run: new streams go before more frames.

    The wire middleware opens one for every request and closes it when the response starts, when the
    request starts a run (:meth:`ExecutionManager.start`), or when the request ends. While any is open,
    runs get ``per_pass_opening`` new turns a pass instead of ``per_pass``: the runs that hold a turn
    finish it, passes get short, and requests that arrive while a thousand streams play reach their
    first frame within a few short passes instead of waiting behind hundreds of frames each pass. Runs
    never stop (a request that waits long, a slow upload or a delay fault, only slows them), and the
    frames per second stay the same once the requests are in.
    """

    __slots__ = ("_open", "_turns")

    def __init__(self, turns: Turns) -> None:
        self._turns = turns
        self._open = True
        turns.opening += 1
        _OPENING.set(self)  # in the request's own context (its task's), for ExecutionManager.start

    def close(self) -> None:
        if self._open:
            self._open = False
            self._turns.opening -= 1

    @staticmethod
    def close_current() -> None:
        opening = _OPENING.get()
        if opening is not None:
            opening.close()


class FrameWriter:
    """Stores what runs write in one transaction per event-loop pass (a group commit), then publishes it.

    :meth:`add` queues a frame, :meth:`write` a storage call (a new execution, a user message) whose
    result the caller awaits; the first of either schedules a flush with ``call_soon``: it runs after
    every task that is ready in this pass has had its step, so under load one transaction takes a
    frame of every stream that made one and the writes of every request that came in. Each write is
    a savepoint of that transaction (whole or not at all, as on its own); nothing is published, and
    no awaiting caller resumes, before the transaction is committed. A run's terminal frame does not
    come through here: :meth:`take` hands its queued frames to the transaction that stores it.
    """

    def __init__(self, storage: Storage) -> None:
        self._storage = storage
        self._pending: dict[str, tuple[_LiveRun, list[Frame]]] = {}
        self._writes: list[tuple[Callable[[], Any], asyncio.Future[Any]]] = []
        self._scheduled = False
        self.transactions = 0
        self.frames_written = 0

    def _schedule(self) -> None:
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self.flush)

    def add(self, run: _LiveRun, frame: Frame) -> None:
        entry = self._pending.get(run.id)
        if entry is None:
            self._pending[run.id] = (run, [frame])
        else:
            entry[1].append(frame)
        self._schedule()

    async def write(self, call: Callable[[], T]) -> T:
        """``call()`` (a storage write), done in the next group commit; its result once committed."""
        done: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._writes.append((call, done))
        self._schedule()
        return await done

    def take(self, run: _LiveRun) -> list[Frame]:
        """The run's frames still waiting (no longer queued: the caller stores them)."""
        entry = self._pending.pop(run.id, None)
        return [] if entry is None else entry[1]

    @property
    def pending(self) -> int:
        return sum(len(frames) for _, frames in self._pending.values()) + len(self._writes)

    def flush(self) -> None:
        """Store every queued write and frame in one transaction, then answer the writers and publish the
        frames (runs whose rows are gone, after a reset, learn it at their next step; their frames are
        dropped)."""
        self._scheduled = False
        batch, self._pending = self._pending, {}
        writes, self._writes = self._writes, []
        if not batch and not writes:
            return
        results: list[tuple[asyncio.Future[Any], Any, BaseException | None]] = []
        gone: set[str] = set()
        try:
            with self._storage.group():
                for call, done in writes:
                    try:
                        results.append((done, call(), None))
                    except Exception as exc:  # that write alone is undone (its savepoint)
                        results.append((done, None, exc))
                if batch:
                    gone = self._storage.append_frames([(run_id, frames) for run_id, (_, frames) in batch.items()])
        except Exception as exc:
            logger.exception("could not store %d write(s) and the frames of %d execution(s)", len(writes), len(batch))
            for _, done in writes:
                if not done.done():
                    done.set_exception(exc)
            for run, _ in batch.values():
                run.write_failed = True
                run.forget_unpublished()
            return
        self.transactions += 1
        for done, value, error in results:
            if done.done():
                continue  # its caller went away (cancelled); the write is stored all the same
            if error is None:
                done.set_result(value)
            else:
                done.set_exception(error)
        for execution_id, (run, frames) in batch.items():
            if execution_id in gone:
                run.gone = True
                run.forget_unpublished()
            else:
                self.frames_written += len(frames)
                run.publish(*frames)


class ExecutionManager:
    def __init__(self, storage: Storage, settings: AgentSettings | None = None) -> None:
        self._storage = storage
        self.settings = settings or AgentSettings()
        self._live: dict[str, _LiveRun] = {}
        self._session_locks = KeyedLocks()
        self._tasks: set[asyncio.Task[None]] = set()
        self.writer = FrameWriter(storage)
        self.turns = Turns()
        self.workspace_agents: dict[str, dict[str, str]] = {}
        """Agent ids only some workspaces accept (the development workspace's placeholder), by workspace."""

    # -- agents ---------------------------------------------------------------------

    def resolve_agent(self, agent_id: str, workspace_id: str | None = None) -> str | None:
        """The built-in agent behind ``agent_id`` (itself, what a control-API alias is like, or what the
        workspace's own placeholder agent is like), or None."""
        if agent_id in BUILTIN_AGENTS:
            return agent_id
        alias = self._storage.get_alias(agent_id)
        if alias is None and workspace_id is not None:
            alias = self.workspace_agents.get(workspace_id, {}).get(agent_id)
        return alias

    # -- runs -----------------------------------------------------------------------

    def recover(self) -> int:
        """Fail executions a previous server process left running (they can never finish now)."""
        return self._storage.fail_unfinished_executions(
            "The mock server restarted before the run finished.", "server_restarted"
        )

    async def start(
        self,
        *,
        workspace_id: str,
        session: Mapping[str, Any],
        content: str,
        metadata: Mapping[str, Any] | None = None,
        idempotency: tuple[IdempotencyScope, str] | None = None,
    ) -> str:
        """Store a new execution (and the idempotency record naming it) in the next group commit, then
        start its task; its id."""
        Opening.close_current()  # the request reached its run (a reply it waits for needs turns)
        execution_id = ksuid()
        user_message_id = ksuid()
        metadata = dict(metadata or {})
        execution = {
            "id": execution_id,
            "workspace_id": workspace_id,
            "_session_pk": session["_pk"],
            "session_id": session["id"],
            "agent_id": session["agent_id"],
            "input": content,
            "_input_metadata": metadata,
            "user_message_id": user_message_id,
            "created_at": utc_now(),
        }
        first = Frame(1, "execution", {"execution_id": execution_id, "user_message_id": user_message_id})
        store = self._storage
        stored = await self.writer.write(lambda: store.create_execution(execution, first, idempotency=idempotency))
        if not stored:
            raise SessionGone(session["id"])
        run = _LiveRun(execution_id, first)
        self._live[execution_id] = run
        task = asyncio.get_running_loop().create_task(
            self._run(run, session, content, metadata, user_message_id), name=f"execution-{execution_id}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return execution_id

    async def _run(
        self,
        run: _LiveRun,
        session: Mapping[str, Any],
        content: str,
        metadata: dict[str, Any],
        user_message_id: str,
    ) -> None:
        started = time.monotonic()
        try:
            async with self._session_locks.hold(session["_pk"]):
                await self._play(run, session, content, metadata, user_message_id, started)
        except asyncio.CancelledError:
            self._fail(run, "The mock server stopped before the run finished.", "server_stopped")
            raise
        except _Cancelled:
            self._fail(run, CANCELLED_MESSAGE, CANCELLED_CODE, status="cancelled")
        except _Gone:
            self._fail(run, "The mock server was reset while the run was going on.", "mock_reset")
        except _WriteFailed:
            self._fail(run, "The mock server could not store the run's frames.", "internal_error")
        except Exception:
            logger.exception("execution %s crashed", run.id)
            self._fail(run, "The mock agent crashed.", "internal_error")
        finally:
            run.finish()
            self._live.pop(run.id, None)

    async def _play(
        self,
        run: _LiveRun,
        session: Mapping[str, Any],
        content: str,
        metadata: dict[str, Any],
        user_message_id: str,
        started: float,
    ) -> None:
        run.check_cancel()  # cancelled while it waited for the session's previous run
        run.started = time.monotonic()
        # The run's setup (its user message, its history, its script) waits for a turn like its frames:
        # while a burst of requests is opening, they send their first frames before runs do more work.
        await self.turns.take()
        run.check_cancel()
        user_message = {
            "id": user_message_id,
            "role": "user",
            "content": content,
            "metadata": metadata,
            "token_count": count_tokens(content),
            "created_at": utc_now(),
        }
        store = self._storage

        def setup() -> list[dict[str, Any]] | None:
            # The history is read in the group commit's transaction too (no read transaction of its own).
            message_pk = store.store_user_message(run.id, user_message)
            return None if message_pk is None else store.history_before(session["_pk"], message_pk)

        before = await self.writer.write(setup)
        if before is None:
            self._fail(run, "The chat session was deleted before the run started.", "session_deleted")
            return
        agent = self.resolve_agent(session["agent_id"], session["workspace_id"])
        if agent is None:
            self._fail(run, f"Unknown agent '{session['agent_id']}'.", "unknown_agent")
            return
        history = [HistoryItem(m["role"], m["content"]) for m in before]
        given = AgentInput(content, history, metadata, session.get("metadata") or {})
        script = script_for(agent, given, self.settings)
        left = FRAMES_PER_TURN  # frames this run may still make on its current turn (the setup's)
        for step in script.steps:
            left = await self._pace(run, step.delay, left)
            run.check()  # cooperative: a cancelled (or reset) run stops at its next step
            self.writer.add(run, run.next_frame(step.event, step.data))
        await self._pace(run, script.final_delay, left)
        run.check()
        outcome = script.outcome
        if isinstance(outcome, Failure):
            self._fail(run, outcome.message, outcome.code)
            return
        now = utc_now()
        assistant = {
            "id": ksuid(),
            "role": "assistant",
            "content": outcome.output,
            "metadata": {"execution_id": run.id},
            "tool_calls": outcome.tool_calls,
            "tool_results": outcome.tool_results,
            "model": outcome.model,
            "cost": outcome.cost,
            "token_count": outcome.completion_tokens,
            "prompt_tokens": outcome.prompt_tokens,
            "completion_tokens": outcome.completion_tokens,
            "created_at": now,
        }
        elapsed = round(time.monotonic() - started, 3)
        # The real API's done: the output as an object whose content is the reply text.
        pending = self.writer.take(run)
        done = Frame(
            run.last_seq + 1,
            "done",
            {"output": {"content": outcome.output}, "token_usage": outcome.token_usage, "time": elapsed},
        )
        stored = self._storage.complete_execution(
            run.id, assistant, done, outcome.token_usage, duration_ms=run.elapsed_ms(), frames=pending
        )
        if stored:
            run.publish(*pending, done)
        else:
            self._fail(run, "The chat session was deleted while the run was going on.", "session_deleted", pending)

    async def _pace(self, run: _LiveRun, delay: float, left: int) -> int:
        """Wait before a frame: the pause, then a turn (or a mere yield, on the turn the run holds); how
        many more frames the run may make on its turn."""
        if delay > 0:
            run.more_soon = False
            await asyncio.sleep(delay)
            left = 0  # a pause ends the turn
        if left > 0:
            run.more_soon = True
            try:
                await asyncio.sleep(0)
            finally:
                run.more_soon = False
            return left - 1
        run.more_soon = False
        await self.turns.take()
        return FRAMES_PER_TURN - 1

    def _fail(
        self, run: _LiveRun, message: str, code: str, pending: list[Frame] | None = None, *, status: str = "failed"
    ) -> None:
        """End the run with an ``error`` frame, stored with the frames still waiting and the final status."""
        if run.terminated:
            return
        if pending is None:
            pending = self.writer.take(run)
        frame = Frame(run.last_seq + 1, "error", {"message": message, "code": code})
        try:
            stored = self._storage.fail_execution(
                run.id, frame, code, status=status, duration_ms=run.elapsed_ms(), frames=pending
            )
        except Exception:
            logger.exception("could not store the failure of execution %s", run.id)
            stored = False
        if stored:
            run.publish(*pending, frame)
            return
        # Nothing was stored (the rows are gone, or the write failed): the waiting frames are dropped, and
        # the error frame, sent all the same, follows the last frame that was published.
        run.forget_unpublished()
        run.publish(Frame(run.last_seq + 1, "error", frame.data))

    # -- readers --------------------------------------------------------------------

    def is_live(self, execution_id: str) -> bool:
        return execution_id in self._live

    def cancel(self, execution_id: str) -> bool:
        """Ask a running execution to stop at its next step (status ``cancel_requested``, then
        ``cancelled``, its stream ending with an ``error`` frame coded ``cancelled``).
        False when it is not running (finished already, or left by another process)."""
        run = self._live.get(execution_id)
        if run is None or run.cancel_requested or not self._storage.request_cancel(execution_id):
            return False
        run.cancel_requested = True
        return True

    async def subscribe(self, execution_id: str, after: int = 0) -> AsyncIterator[Frame]:
        """The frames with an id greater than ``after``: stored ones, then live ones until the terminal frame."""
        async for batch in self.subscribe_batches(execution_id, after):
            for frame in batch:
                yield frame

    async def subscribe_batches(self, execution_id: str, after: int = 0) -> AsyncGenerator[list[Frame], None]:
        """:meth:`subscribe`, in batches: each time, every frame published since the last batch.

        A stream sends a batch in one write. So that a busy server sends more than one frame per write
        (each write is a system call and a trip through the HTTP stack), a batch of a live run, but the
        first one, is held while the run has made frames not yet published (``unpublished``: they are
        in the next group commit) or holds its turn and makes its next frame in the next pass with no
        pause (``more_soon``): the frames a run makes on one turn (``FRAMES_PER_TURN``) go out together.
        A frame is held a few passes at most (an idle server's pass takes microseconds), and never
        through a pause (``delay_ms``): a run about to pause is not ``more_soon``.
        """
        run = self._live.get(execution_id)
        if run is None:
            stored = self._storage.frames_after(execution_id, after)
            if stored:
                yield stored
            return
        index = max(after, 0)
        first = True
        while True:
            if index < len(run.frames):
                if not first and not run.finished and not run.terminated and (run.more_soon or run.unpublished):
                    await run.wait_beyond(len(run.frames))  # its next frame, made or stored in the next pass
                    continue
                batch = run.frames[index:]
                index += len(batch)
                first = False
                yield batch
                continue
            if run.finished:
                return
            await run.wait_beyond(index)

    async def wait(self, execution_id: str) -> dict[str, Any] | None:
        """Wait until the execution finished; return its stored row."""
        run = self._live.get(execution_id)
        if run is not None:
            while not run.finished:
                await run.wait_beyond(len(run.frames))
        return self._storage.get_execution(execution_id)

    async def shutdown(self) -> None:
        """Stop every run (each stores its failure with its waiting frames) and wait for them."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self.writer.flush()  # nothing should be left; if anything is, it is stored now

    @property
    def running(self) -> int:
        return len(self._live)
