"""Runs agents as background tasks and streams their frames.

Every sent message (streaming or not) starts one execution:

* :meth:`ExecutionManager.start` stores the execution and its first frame
  (``execution {execution_id, user_message_id}``), then starts a task;
* the task waits for its session's lock (so concurrent sends to one session run
  one after the other, each seeing the previous reply in its history), stores
  the user message, plays the agent's script frame by frame (frame ids are
  ``1, 2, 3...`` per execution, every frame stored before it is published), and
  ends with exactly one terminal frame: ``done`` (stored together with the
  assistant message) or ``error``;
* :meth:`ExecutionManager.subscribe` yields the frames after a given id, first
  the stored ones, then live ones until the terminal frame;
* :meth:`ExecutionManager.cancel` asks a run to stop: it is ``cancel_requested``
  until its next step, then ends with ``error {code: cancelled}`` and the status
  ``cancelled`` (nothing more is stored, no assistant message).

A subscriber going away (a client disconnect) never affects the run.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

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

__all__ = ["ExecutionManager"]

logger = logging.getLogger("promptrails_mock.executions")


class _Gone(Exception):
    """The execution's rows disappeared (a control-API reset) while it ran."""


class _Cancelled(Exception):
    """The execution was asked to stop (``POST /executions/{id}/cancel``)."""


CANCELLED_MESSAGE = "The run was cancelled."
CANCELLED_CODE = "cancelled"


class _LiveRun:
    """The in-memory view of a running execution: its frames so far, and a wake-up for subscribers."""

    def __init__(self, execution_id: str, first: Frame) -> None:
        self.id = execution_id
        self.frames: list[Frame] = [first]
        self.finished = False
        self.cancel_requested = False
        self.started = time.monotonic()
        self._changed = asyncio.Event()

    def elapsed_ms(self) -> int:
        return round((time.monotonic() - self.started) * 1000)

    def check_cancel(self) -> None:
        if self.cancel_requested:
            raise _Cancelled()

    @property
    def next_seq(self) -> int:
        return len(self.frames) + 1

    def publish(self, frame: Frame) -> None:
        self.frames.append(frame)
        self._wake()

    def finish(self) -> None:
        self.finished = True
        self._wake()

    def _wake(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def wait_beyond(self, count: int) -> None:
        while len(self.frames) <= count and not self.finished:
            await self._changed.wait()


class ExecutionManager:
    def __init__(self, storage: Storage, settings: AgentSettings | None = None) -> None:
        self._storage = storage
        self.settings = settings or AgentSettings()
        self._live: dict[str, _LiveRun] = {}
        self._session_locks = KeyedLocks()
        self._tasks: set[asyncio.Task[None]] = set()

    # -- agents ---------------------------------------------------------------------

    def resolve_agent(self, agent_id: str) -> str | None:
        """The built-in agent behind ``agent_id`` (itself, or what an alias is like), or None."""
        if agent_id in BUILTIN_AGENTS:
            return agent_id
        return self._storage.get_alias(agent_id)

    # -- runs -----------------------------------------------------------------------

    def recover(self) -> int:
        """Fail executions a previous server process left running (they can never finish now)."""
        return self._storage.fail_unfinished_executions(
            "The mock server restarted before the run finished.", "server_restarted"
        )

    def start(
        self,
        *,
        workspace_id: str,
        session: Mapping[str, Any],
        content: str,
        metadata: Mapping[str, Any] | None = None,
        idempotency: tuple[IdempotencyScope, str] | None = None,
    ) -> str:
        """Store a new execution (and the idempotency record naming it), start its task, return its id."""
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
        self._storage.create_execution(execution, first, idempotency=idempotency)
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
        user_message = {
            "id": user_message_id,
            "role": "user",
            "content": content,
            "metadata": metadata,
            "token_count": count_tokens(content),
            "created_at": utc_now(),
        }
        message_pk = self._storage.store_user_message(run.id, user_message)
        if message_pk is None:
            self._fail(run, "The chat session was deleted before the run started.", "session_deleted")
            return
        agent = self.resolve_agent(session["agent_id"])
        if agent is None:
            self._fail(run, f"Unknown agent '{session['agent_id']}'.", "unknown_agent")
            return
        history = [
            HistoryItem(m["role"], m["content"]) for m in self._storage.history_before(session["_pk"], message_pk)
        ]
        given = AgentInput(content, history, metadata, session.get("metadata") or {})
        script = script_for(agent, given, self.settings)
        for step in script.steps:
            if step.delay > 0:
                await asyncio.sleep(step.delay)
            run.check_cancel()  # cooperative: a cancelled run stops at its next step
            frame = Frame(run.next_seq, step.event, step.data)
            if not self._storage.append_frame(run.id, frame):
                raise _Gone()
            run.publish(frame)
        if script.final_delay > 0:
            await asyncio.sleep(script.final_delay)
        run.check_cancel()
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
        done = Frame(
            run.next_seq,
            "done",
            {"output": {"content": outcome.output}, "token_usage": outcome.token_usage, "time": elapsed},
        )
        if self._storage.complete_execution(run.id, assistant, done, outcome.token_usage, duration_ms=run.elapsed_ms()):
            run.publish(done)
        else:
            self._fail(run, "The chat session was deleted while the run was going on.", "session_deleted")

    def _fail(self, run: _LiveRun, message: str, code: str, *, status: str = "failed") -> None:
        if run.frames and run.frames[-1].terminal:
            return
        frame = Frame(run.next_seq, "error", {"message": message, "code": code})
        try:
            self._storage.fail_execution(run.id, frame, code, status=status, duration_ms=run.elapsed_ms())
        except Exception:
            logger.exception("could not store the failure of execution %s", run.id)
        run.publish(frame)

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
        run = self._live.get(execution_id)
        if run is None:
            for frame in self._storage.frames_after(execution_id, after):
                yield frame
            return
        index = max(after, 0)
        while True:
            while index < len(run.frames):
                yield run.frames[index]
                index += 1
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
        """Stop every run (each stores its failure) and wait for them."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    @property
    def running(self) -> int:
        return len(self._live)
