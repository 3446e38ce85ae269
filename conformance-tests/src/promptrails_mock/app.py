"""The Starlette application: one thin handler per operation of openapi.yaml.

Each handler authenticates (``X-API-Key`` -> workspace, else 401), validates the
request with openapi-core (:meth:`Contract.check_request`), then calls storage
and executions. POST handlers run through :meth:`Api.idempotent`, which scopes an
``Idempotency-Key`` to (workspace, method, path, key), serialises duplicates
with a lock per key, replays the first result, and refuses another body (409).

:func:`create_app` wraps the app in :class:`~promptrails_mock.middleware.WireMiddleware`
(request ids, request log, faults, body limit, response validation).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openapi_core.datatypes import Parameters
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from promptrails_mock.agents import BUILTIN_AGENTS, AgentSettings
from promptrails_mock.errors import ApiError, default_code, error_body
from promptrails_mock.executions import ExecutionManager, SessionGone
from promptrails_mock.faults import FaultBook, RequestLog, ViolationLog, control_routes
from promptrails_mock.ids import ksuid, utc_now
from promptrails_mock.jsonsafe import dumps
from promptrails_mock.locks import KeyedLocks
from promptrails_mock.middleware import CLIENT_GONE_KEY, OPERATION_KEY, WIRE_REQUEST_KEY, WireMiddleware
from promptrails_mock.placeholders import (
    PLACEHOLDER_AGENT,
    PLACEHOLDER_AGENT_LIKE,
    PLACEHOLDER_API_KEY,
    PLACEHOLDER_SESSION,
    PLACEHOLDER_SESSION_TITLE,
)
from promptrails_mock.storage import Frame, IdempotencyRecord, IdempotencyScope, Storage, public
from promptrails_mock.validation import Contract, WireRequest

__all__ = [
    "DEFAULT_API_KEY",
    "MAX_BODY_BYTES",
    "READ_TIMEOUT",
    "REQUEST_LOG_BYTES",
    "MockState",
    "Settings",
    "create_app",
]

logger = logging.getLogger("promptrails_mock.app")

DEFAULT_API_KEY = "promptrails-dev-key"
MAX_BODY_BYTES = 1024 * 1024
READ_TIMEOUT = 10.0
REQUEST_LOG_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Settings:
    spec_path: Path
    db_path: str = ":memory:"
    api_keys: tuple[str, ...] = (DEFAULT_API_KEY,)
    strict: bool = False
    max_body_bytes: int = MAX_BODY_BYTES
    agents: AgentSettings = field(default_factory=AgentSettings)
    control: bool = False
    """Whether ``/__mock/`` answers (off: 404, as for any unknown route)."""
    control_token: str | None = None
    """When set, ``/__mock/`` answers requests carrying it in ``X-Mock-Token`` (and only those)."""
    read_timeout: float = READ_TIMEOUT
    """Seconds a request's head, then its body, may take to arrive (then 408 and the connection closes)."""
    request_log_bytes: int = REQUEST_LOG_BYTES
    """About how many bytes the request log may hold; the oldest entries go first."""


class MockState:
    """Everything the server holds: the contract, the database, the runs, the faults and the logs."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.contract = Contract(settings.spec_path)
        self.storage = Storage(settings.db_path)
        for key in settings.api_keys:
            self.storage.ensure_workspace(key, configured=True)
        self.executions = ExecutionManager(self.storage, settings.agents)
        self.dev_workspace_id = ""
        self.ensure_placeholders()
        recovered = self.executions.recover()
        if recovered:
            logger.warning("marked %d execution(s) left running by a previous process as failed", recovered)
        self.faults = FaultBook()
        self.requests = RequestLog(max_bytes=settings.request_log_bytes, known_secrets=settings.api_keys)
        self.violations = ViolationLog()
        self.idempotency_locks = KeyedLocks()
        self.inflight: set[asyncio.Task[Any]] = set()
        """The tasks handling a request now. uvicorn cancels those that outlive its graceful shutdown just
        before the lifespan's shutdown, and exits right after it: the lifespan gives them a moment to answer."""

    def workspace_for_key(self, api_key: str) -> dict[str, Any] | None:
        """The workspace an API key opens: its own, or for the placeholder key, the development workspace."""
        workspace = self.storage.workspace_for_key(api_key)
        if workspace is None and api_key == PLACEHOLDER_API_KEY:
            workspace = self.storage.workspace_for_key(self.settings.api_keys[0])
        return workspace

    def ensure_placeholders(self) -> None:
        """The development workspace's placeholders (see :mod:`promptrails_mock.placeholders`): its agent
        id, and its session when missing."""
        workspace = self.storage.workspace_for_key(self.settings.api_keys[0])
        assert workspace is not None
        self.dev_workspace_id = str(workspace["id"])
        self.executions.workspace_agents = {self.dev_workspace_id: {PLACEHOLDER_AGENT: PLACEHOLDER_AGENT_LIKE}}
        if not self.storage.session_exists(self.dev_workspace_id, PLACEHOLDER_SESSION):
            now = utc_now()
            self.storage.create_session(
                {
                    "id": PLACEHOLDER_SESSION,
                    "workspace_id": self.dev_workspace_id,
                    "agent_id": PLACEHOLDER_AGENT,
                    "user_id": None,
                    "title": PLACEHOLDER_SESSION_TITLE,
                    "metadata": {},
                    "created_at": now,
                    "updated_at": now,
                }
            )

    def reset(self) -> None:
        self.storage.reset()
        for key in self.settings.api_keys:
            self.storage.ensure_workspace(key, configured=True)
        self.ensure_placeholders()
        self.faults.clear()
        self.requests.clear()
        self.violations.clear()


_dumps = dumps


class EventStreamResponse(Response):
    """A ``text/event-stream`` answer: each batch of frames the iterator yields is one write.

    Lighter than Starlette's ``StreamingResponse``, which runs every stream in a task group with a
    second task listening for the client's disconnect: here the stream stops at its next chunk once
    the wire middleware says the client is gone (:data:`CLIENT_GONE_KEY`), and its iterator is closed.
    """

    media_type = "text/event-stream"

    def __init__(self, batches: AsyncGenerator[Sequence[Frame], None], headers: dict[str, str] | None = None) -> None:
        # No Response.__init__: it would render an empty body and announce Content-Length: 0.
        self.batches = batches
        self.status_code = 200
        self.background = None
        self.init_headers(headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        gone = scope.get(CLIENT_GONE_KEY) or (lambda: False)
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        try:
            async for batch in self.batches:
                if gone():
                    return
                body = b"".join([frame.to_sse() for frame in batch])
                await send({"type": "http.response.body", "body": body, "more_body": True})
        finally:
            await self.batches.aclose()
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(_dumps(payload), status_code=status, media_type="application/json", headers=headers)


@dataclass
class JsonResult:
    status: int
    payload: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Ticket:
    """An idempotent request being carried out for the first time."""

    scope: IdempotencyScope
    request_hash: str
    response_saved: bool = False

    def with_response(self, status: int, payload: Any) -> tuple[IdempotencyScope, str, int, str]:
        """The record to store atomically with the request's effects."""
        self.response_saved = True
        return self.scope, self.request_hash, status, _dumps(payload).decode("utf-8")

    def with_execution(self) -> tuple[IdempotencyScope, str]:
        return self.scope, self.request_hash


@dataclass
class Call:
    """An authenticated, validated API request."""

    request: Request
    workspace: dict[str, Any]
    parameters: Parameters
    body: Any

    @property
    def workspace_id(self) -> str:
        return str(self.workspace["id"])

    def path_param(self, name: str) -> str:
        return str(self.parameters.path[name])

    def query(self, name: str) -> Any:
        return self.parameters.query[name]

    def header(self, name: str) -> Any:
        return self.parameters.header.get(name)


def _page(call: Call) -> tuple[int, int, int]:
    page = int(call.query("page"))
    limit = int(call.query("limit"))
    return page, limit, (page - 1) * limit


def _meta(page: int, limit: int, total: int) -> dict[str, int]:
    """List meta with the page count under both its names: ``pages`` (API v2) and ``total_pages`` (older)."""
    pages = math.ceil(total / limit) if total else 0
    return {"total": total, "page": page, "limit": limit, "pages": pages, "total_pages": pages}


_MAX_FRAME_ID = 2**63 - 1  # SQLite's INTEGER


def _frame_id(last_event_id: Any) -> int:
    """The frame id a ``Last-Event-ID`` names; 0 (replay everything) when absent or not one of ours.

    The contract allows any string; the mock's ids are ``1, 2, 3...`` (64-bit
    integers), so anything else, a number too large for one included, cannot
    name a frame it sent, and the whole stream is replayed.
    """
    text = "" if last_event_id is None else str(last_event_id).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return 0
    number = int(text)
    return number if number <= _MAX_FRAME_ID else 0


def _not_found(resource: str, ident: str, label: str) -> ApiError:
    return ApiError(404, "not_found", f"{label} not found.", {"resource": resource, "id": ident})


class Api:
    def __init__(self, state: MockState) -> None:
        self.state = state
        self.storage = state.storage

    # -- common steps ---------------------------------------------------------------

    async def begin(self, request: Request) -> Call:
        api_key = request.headers.get("x-api-key")
        workspace = self.state.workspace_for_key(api_key) if api_key else None
        if workspace is None:
            raise ApiError(401, "unauthorized", "Missing or invalid API key.")
        raw = await request.body()
        path_params = {k: str(v) for k, v in request.path_params.items()}
        wire: WireRequest | None = request.scope.get(WIRE_REQUEST_KEY)
        if wire is not None:  # the wire middleware built it (and looked its operation up) from the same scope
            wire.body = raw or None
            wire.path_params = path_params
        else:
            wire = Contract.request(
                request.method,
                request.scope["path"],  # as received (request.url re-parses it, and drops tabs and newlines)
                request.scope.get("query_string", b"").decode("latin-1"),
                [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope["headers"]],
                raw or None,
                path_params,
            )
            if OPERATION_KEY in request.scope:
                wire._match = request.scope[OPERATION_KEY]
        checked = self.state.contract.check_request(wire)
        return Call(request, workspace, checked.parameters, checked.body)

    def session_or_404(self, call: Call) -> dict[str, Any]:
        session_id = call.path_param("session_id")
        session = self.storage.get_session(call.workspace_id, session_id)
        if session is None:
            raise _not_found("chat_session", session_id, "Chat session")
        return session

    async def idempotent(
        self,
        call: Call,
        run: Callable[[Ticket | None], Awaitable[JsonResult | Response]],
        *,
        streaming: bool = False,
    ) -> Response:
        key = call.header("Idempotency-Key")
        if key is None:
            return self._respond(await run(None))
        scope = IdempotencyScope(call.workspace_id, call.request.method, call.request.url.path, str(key))
        request_hash = hashlib.sha256(json.dumps(call.body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
        async with self.state.idempotency_locks.hold(scope):
            record = self.storage.get_idempotency(scope)
            if record is not None:
                if record.request_hash != request_hash:
                    raise ApiError(
                        409,
                        "idempotency_key_reused",
                        "This Idempotency-Key was used with a different request.",
                        {"idempotency_key": key},
                    )
                return await self._replay(record, streaming=streaming)
            ticket = Ticket(scope, request_hash)
            try:
                result = await run(ticket)
            except ApiError as error:
                if not ticket.response_saved:
                    self.storage.save_idempotent_response(
                        scope, request_hash, error.status, _dumps(error.body()).decode()
                    )
                raise
            if isinstance(result, JsonResult) and not ticket.response_saved:
                self.storage.save_idempotent_response(
                    scope, request_hash, result.status, _dumps(result.payload).decode()
                )
            return self._respond(result)

    async def _replay(self, record: IdempotencyRecord, *, streaming: bool) -> Response:
        replayed = {"Idempotent-Replayed": "true"}
        if record.status is not None and record.body is not None:
            return Response(
                record.body.encode("utf-8"), status_code=record.status, media_type="application/json", headers=replayed
            )
        assert record.execution_id is not None
        if streaming:
            return self.stream(record.execution_id, 0, headers=replayed)
        try:
            result = await self.reply_for(record.execution_id)
        except ApiError as error:
            self.storage.save_idempotent_response(
                record.scope, record.request_hash, error.status, _dumps(error.body()).decode()
            )
            raise
        self.storage.save_idempotent_response(
            record.scope, record.request_hash, result.status, _dumps(result.payload).decode()
        )
        result.headers.update(replayed)
        return self._respond(result)

    @staticmethod
    def _respond(result: JsonResult | Response) -> Response:
        if isinstance(result, Response):
            return result
        if result.status == 204:
            return Response(status_code=204, headers=result.headers)
        return json_response(result.status, result.payload, result.headers)

    def stream(self, execution_id: str, after: int, headers: dict[str, str] | None = None) -> EventStreamResponse:
        return EventStreamResponse(
            self.state.executions.subscribe_batches(execution_id, after),
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no", **(headers or {})},
        )

    async def start_run(self, call: Call, ticket: Ticket | None) -> str:
        """Store the user message of a send (streaming or not) and start its execution."""
        session = self.session_or_404(call)
        try:
            return await self.state.executions.start(
                workspace_id=call.workspace_id,
                session=session,
                content=call.body["content"],
                metadata=call.body.get("metadata"),
                idempotency=ticket.with_execution() if ticket else None,
            )
        except SessionGone:
            raise _not_found("chat_session", str(session["id"]), "Chat session") from None

    async def reply_for(self, execution_id: str) -> JsonResult:
        """Wait for the execution; its ChatReply (200), or 502 ``agent_failed``."""
        execution = await self.state.executions.wait(execution_id)
        if execution is None:
            raise _not_found("execution", execution_id, "Execution")
        if execution["status"] == "completed":
            assistant = self.storage.get_message(execution["assistant_message_id"])
            user = self.storage.get_message(execution["user_message_id"])
            if assistant is None or user is None:
                raise ApiError(
                    404,
                    "not_found",
                    "The messages of this reply were deleted.",
                    {"resource": "chat_message", "execution_id": execution_id},
                )
            reply = {**public(assistant), "execution_id": execution_id, "user_message": public(user)}
            return JsonResult(200, {"data": reply})
        if execution["status"] == "cancelled":
            raise ApiError(
                409,
                "execution_cancelled",
                "The run was cancelled before it replied.",
                {"resource": "execution", "execution_id": execution_id},
            )
        if execution["_error_code"] == "session_deleted":
            raise ApiError(
                404,
                "not_found",
                "Chat session not found: it was deleted while the reply was produced.",
                {"resource": "chat_session", "execution_id": execution_id},
            )
        raise ApiError(
            502,
            "agent_failed",
            execution["error"] or "The agent failed.",
            {"execution_id": execution_id, "agent_error_code": execution["_error_code"]},
        )

    # -- sessions -------------------------------------------------------------------

    async def sessions(self, request: Request) -> Response:
        call = await self.begin(request)
        if request.method == "GET":
            page, limit, offset = _page(call)
            rows, total = self.storage.list_sessions(call.workspace_id, offset, limit)
            return json_response(200, {"data": [public(r) for r in rows], "meta": _meta(page, limit, total)})
        return await self.idempotent(call, lambda ticket: self._create_session(call, ticket))

    async def _create_session(self, call: Call, ticket: Ticket | None) -> JsonResult:
        body = call.body
        agent_id = body["agent_id"]
        if self.state.executions.resolve_agent(agent_id, call.workspace_id) is None:
            raise ApiError(
                422,
                "unknown_agent",
                f"Unknown agent_id '{agent_id}'.",
                {"field": "agent_id", "agent_id": agent_id, "known_agents": list(BUILTIN_AGENTS)},
            )
        now = utc_now()
        session = {
            "id": ksuid(),
            "workspace_id": call.workspace_id,
            "agent_id": agent_id,
            "user_id": None,
            "title": body.get("title"),
            "metadata": body.get("metadata") or {},
            "created_at": now,
            "updated_at": now,
        }
        payload = {"data": session}
        headers = {"Location": f"/api/v1/chat/sessions/{session['id']}"}
        self.storage.create_session(session, idempotency=ticket.with_response(201, payload) if ticket else None)
        return JsonResult(201, payload, headers)

    async def session(self, request: Request) -> Response:
        call = await self.begin(request)
        session_id = call.path_param("session_id")
        if request.method == "GET":
            return json_response(200, {"data": public(self.session_or_404(call))})
        if request.method == "PATCH":
            updated = self.storage.update_session(call.workspace_id, session_id, call.body)
            if updated is None:
                raise _not_found("chat_session", session_id, "Chat session")
            return json_response(200, {"data": public(updated)})
        if not self.storage.delete_session(call.workspace_id, session_id):
            raise _not_found("chat_session", session_id, "Chat session")
        return Response(status_code=204)

    # -- messages -------------------------------------------------------------------

    async def messages(self, request: Request) -> Response:
        call = await self.begin(request)
        if request.method == "GET":
            session = self.session_or_404(call)
            page, limit, offset = _page(call)
            rows, total = self.storage.list_messages(session["_pk"], offset, limit)
            return json_response(200, {"data": [public(r) for r in rows], "meta": _meta(page, limit, total)})

        async def run(ticket: Ticket | None) -> JsonResult:
            execution_id = await self.start_run(call, ticket)
            return await self.reply_for(execution_id)

        return await self.idempotent(call, run)

    async def messages_stream(self, request: Request) -> Response:
        call = await self.begin(request)

        async def run(ticket: Ticket | None) -> Response:
            execution_id = await self.start_run(call, ticket)
            return self.stream(execution_id, 0)

        return await self.idempotent(call, run, streaming=True)

    async def message(self, request: Request) -> Response:
        call = await self.begin(request)
        session = self.session_or_404(call)
        message_id = call.path_param("message_id")
        if not self.storage.delete_message(session["_pk"], message_id):
            raise _not_found("chat_message", message_id, "Message")
        return Response(status_code=204)

    # -- feedback -------------------------------------------------------------------

    async def feedback(self, request: Request) -> Response:
        call = await self.begin(request)

        async def run(ticket: Ticket | None) -> JsonResult:
            session = self.session_or_404(call)
            execution_id = call.body["execution_id"]
            execution = self.storage.get_execution(execution_id, call.workspace_id)
            if execution is None:
                raise ApiError(
                    422,
                    "unknown_execution",
                    f"Unknown execution_id '{execution_id}'.",
                    {"field": "execution_id", "execution_id": execution_id},
                )
            if execution["_session_pk"] != session["_pk"]:
                raise ApiError(
                    422,
                    "execution_not_in_session",
                    "This execution does not belong to this chat session.",
                    {"field": "execution_id", "execution_id": execution_id},
                )
            payload = {"data": {"submitted": True}}
            self.storage.upsert_feedback(
                session["_pk"],
                execution_id,
                int(call.body["value"]),
                call.body.get("comment"),
                idempotency=ticket.with_response(200, payload) if ticket else None,
            )
            return JsonResult(200, payload)

        return await self.idempotent(call, run)

    # -- executions -----------------------------------------------------------------

    def _execution_or_404(self, call: Call) -> dict[str, Any]:
        execution_id = call.path_param("execution_id")
        execution = self.storage.get_execution(execution_id, call.workspace_id)
        if execution is None:
            raise _not_found("execution", execution_id, "Execution")
        return execution

    async def execution(self, request: Request) -> Response:
        call = await self.begin(request)
        return json_response(200, {"data": public(self._execution_or_404(call))})

    async def executions(self, request: Request) -> Response:
        call = await self.begin(request)
        page, limit, offset = _page(call)
        filters = {name: call.parameters.query.get(name) for name in ("agent_id", "session_id", "status")}
        rows, total = self.storage.list_executions(call.workspace_id, offset, limit, **filters)
        return json_response(200, {"data": [public(r) for r in rows], "meta": _meta(page, limit, total)})

    async def cancel_execution(self, request: Request) -> Response:
        call = await self.begin(request)

        async def run(ticket: Ticket | None) -> JsonResult:
            execution = self._execution_or_404(call)
            if self.state.executions.cancel(execution["id"]):
                execution = self._execution_or_404(call)  # now cancel_requested
            payload = {"data": public(execution)}
            return JsonResult(200, payload)

        return await self.idempotent(call, run)

    async def execution_stream(self, request: Request) -> Response:
        call = await self.begin(request)
        execution = self._execution_or_404(call)
        after = _frame_id(call.header("Last-Event-ID"))
        return self.stream(execution["id"], after)


def _error_response(
    status: int, code: str, message: str, details: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> Response:
    return json_response(status, error_body(code, message, details), headers)


def create_app(settings: Settings) -> ASGIApp:
    """The whole mock as an ASGI app (run by promptrails-mock, whose protocol lets faults reset connections)."""
    state = MockState(settings)
    api = Api(state)

    async def on_api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return _error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 404:
            message = f"No route {request.method} {request.url.path}."
        elif exc.status_code == 405:
            message = f"Method {request.method} is not allowed on {request.url.path}."
        else:
            message = str(exc.detail)
        return _error_response(exc.status_code, default_code(exc.status_code), message, headers=dict(exc.headers or {}))

    async def on_crash(request: Request, exc: Exception) -> Response:
        logger.error("unhandled error in %s %s", request.method, request.url.path, exc_info=exc)
        return _error_response(500, "internal_error", "The mock server failed to handle this request.")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if state.inflight:
                await asyncio.wait(set(state.inflight), timeout=1.0)
            await state.executions.shutdown()
            state.storage.close()

    api_routes = [
        Route("/api/v1/chat/sessions", api.sessions, methods=["GET", "POST"]),
        Route("/api/v1/chat/sessions/{session_id}", api.session, methods=["GET", "PATCH", "DELETE"]),
        Route("/api/v1/chat/sessions/{session_id}/messages", api.messages, methods=["GET", "POST"]),
        Route("/api/v1/chat/sessions/{session_id}/messages/stream", api.messages_stream, methods=["POST"]),
        Route("/api/v1/chat/sessions/{session_id}/messages/{message_id}", api.message, methods=["DELETE"]),
        Route("/api/v1/chat/sessions/{session_id}/feedback", api.feedback, methods=["POST"]),
        Route("/api/v1/executions", api.executions, methods=["GET"]),
        Route("/api/v1/executions/{execution_id}", api.execution, methods=["GET"]),
        Route("/api/v1/executions/{execution_id}/cancel", api.cancel_execution, methods=["POST"]),
        Route("/api/v1/executions/{execution_id}/stream", api.execution_stream, methods=["GET"]),
    ]
    app = Starlette(
        routes=[*api_routes, *control_routes(state)],
        exception_handlers={ApiError: on_api_error, HTTPException: on_http_error, Exception: on_crash},
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False
    return WireMiddleware(_Operations(app, api_routes, on_api_error, on_http_error, on_crash), state)


_ErrorHandler = Callable[[Request, Exception], Awaitable[Response]]


class _Operations:
    """The contract's operations served straight from their routes; everything else (the control API,
    unknown routes, a method a path does not take) by the Starlette app.

    The wire middleware has looked up the request's operation already; Starlette would then take it
    through its error middleware, its exception middleware, its router and the route's request wrapper,
    each a layer of calls (and of wrappers around every ``send``, every frame of a stream included),
    about a sixth of a stream request's time in all. Here the route is matched as Starlette's router
    matches it (the first route that matches path and method, in the same order), its endpoint is
    called, and its errors are answered by the app's own handlers: the answers are the same.
    """

    def __init__(
        self,
        app: Starlette,
        routes: list[Route],
        on_api_error: _ErrorHandler,
        on_http_error: _ErrorHandler,
        on_crash: _ErrorHandler,
    ) -> None:
        self.app = app
        self.routes = routes
        self.by_pattern: dict[str, list[Route]] = {}
        """The routes whose path is an operation's path pattern, by that pattern (in their order)."""
        for route in routes:
            self.by_pattern.setdefault(route.path, []).append(route)
        self.on_api_error = on_api_error
        self.on_http_error = on_http_error
        self.on_crash = on_crash

    def route_for(self, scope: Scope) -> tuple[Route | None, Scope]:
        """The route serving a contract operation's request, and its child scope; (None, {}) for the app."""
        operation = scope.get(OPERATION_KEY) if scope["type"] == "http" else None
        if operation:
            # The route of the operation's pattern: no two of these routes take the same method on one path
            # (the literal /messages/stream takes POST, /messages/{message_id} DELETE), so the first route
            # Starlette would find is this one. If it does not match, every route in order, as Starlette.
            candidates = self.by_pattern.get(operation[1], ())
            for candidate in (*candidates, *self.routes) if candidates else self.routes:
                match, child_scope = candidate.matches(scope)
                if match is Match.FULL:
                    return candidate, child_scope
        return None, {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route, child_scope = self.route_for(scope)
        if route is None:
            await self.app(scope, receive, send)
            return
        scope["app"] = self.app
        scope.update(child_scope)
        request = Request(scope, receive, send)
        try:
            response = await route.endpoint(request)
        except ApiError as exc:
            response = await self.on_api_error(request, exc)
        except HTTPException as exc:
            response = await self.on_http_error(request, exc)
        except Exception as exc:
            # As Starlette's error middleware: answer 500, then let the exception go on (the wire middleware
            # logs it).
            await (await self.on_crash(request, exc))(scope, receive, send)
            raise
        await response(scope, receive, send)
