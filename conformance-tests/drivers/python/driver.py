"""Conformance driver for the Python SDK (`promptrails`, the reference client).

Reads one JSON request per line on stdin, calls the SDK, writes one JSON answer
per line on stdout (protocol: conformance-tests/CONFORMANCE.md). No assertions:
it only maps language-neutral operations to SDK calls and normalizes outcomes
to the wire form.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import os
import sys
import tempfile
import traceback
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import promptrails
from promptrails import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    InvalidArgumentError,
    PromptRails,
    PromptRailsError,
    StreamError,
    UnknownEvent,
)

# Strict response validation (RUNTIME.md, "Reading responses"): its error class.
APIResponseValidationError: type[BaseException] | None = getattr(promptrails, "APIResponseValidationError", None)


class DriverProblem(Exception):
    """The request cannot be mapped to an SDK call (a driver or harness bug, not an SDK outcome)."""


def wire(value: Any) -> Any:
    """A returned SDK value in wire form (what the API's JSON would be)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return wire(to_dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: wire(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return wire(value.value)
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): wire(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [wire(v) for v in value]
    raise DriverProblem(f"cannot put a {type(value).__name__} in wire form")


def wire_event(event: Any) -> dict[str, Any]:
    if isinstance(event, UnknownEvent):
        return {"type": event.event, "id": event.event_id, "data": event.data, "unknown": True}
    name = getattr(type(event), "event", None)
    if not isinstance(name, str):
        raise DriverProblem(f"an event of type {type(event).__name__} has no event name")
    data = {
        f.name: wire(getattr(event, f.name))
        for f in dataclasses.fields(event)
        if f.name != "event_id" and not (f.name == "code" and getattr(event, f.name) is None and name == "error")
    }
    out: dict[str, Any] = {"type": name, "id": event.event_id, "data": data}
    if name == "done" and hasattr(event, "output_text"):
        out["output_text"] = event.output_text  # the SDK's text convenience (x-sdk-text)
    return out


def _validation_error(exc: BaseException) -> BaseException | None:
    """The APIResponseValidationError ``exc`` is, or was caused by (a strict stream error)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and APIResponseValidationError is not None:
        if isinstance(current, APIResponseValidationError):
            return current
        seen.add(id(current))
        current = current.__cause__
    return None


def wire_error(exc: BaseException) -> dict[str, Any]:
    base: dict[str, Any] = {"class": type(exc).__name__, "display": str(exc)}
    if _validation_error(exc) is not None:
        out = {**base, "kind": "response_validation", "message": str(_validation_error(exc))}
        if isinstance(exc, StreamError):
            out["data"] = exc.data
        return out
    if isinstance(exc, InvalidArgumentError):
        return {**base, "kind": "invalid_argument", "message": str(exc)}
    if isinstance(exc, APITimeoutError):
        return {**base, "kind": "timeout", "message": str(exc)}
    if isinstance(exc, APIStatusError):
        return {
            **base,
            "kind": f"status:{exc.status_code}",
            "status_code": exc.status_code,
            "code": exc.code,
            "message": exc.message,
            "request_id": exc.request_id,
            "details": wire(exc.details),
        }
    if isinstance(exc, StreamError):
        return {**base, "kind": "stream", "message": str(exc), "data": exc.data}
    if isinstance(exc, APIConnectionError):
        return {**base, "kind": "connection", "message": str(exc)}
    if isinstance(exc, PromptRailsError):
        return {**base, "kind": "unclassified", "message": str(exc)}
    return {**base, "kind": "foreign", "message": f"{type(exc).__module__}.{type(exc).__name__}: {exc}"}


def wire_message(message: Any) -> dict[str, Any]:
    """A conversation's message as the harness compares it: id, role, content (by key, as the pyai seed reads it)."""
    return {"id": message["id"], "role": wire(message["role"]), "content": message["content"]}


class Driver:
    def __init__(self) -> None:
        self.client: PromptRails | None = None
        self.conversations: dict[str, Any] = {}
        self.saved: dict[str, str] = {}
        self.files = tempfile.TemporaryDirectory(prefix="conformance-py-")

    def describe(self) -> dict[str, Any]:
        return {
            "ok": True,
            "result": {"sdk": "promptrails", "version": promptrails.__version__, "modes": ["tolerant", "strict"], "unsupported": {}},
        }

    def configure(self, settings: dict[str, Any]) -> dict[str, Any]:
        for conv in self.conversations.values():
            conv.close()
        self.conversations.clear()
        self.saved.clear()
        if self.client is not None:
            self.client.close()
        kwargs: dict[str, Any] = {"api_key": settings["api_key"], "base_url": settings["base_url"]}
        if "max_retries" in settings:
            kwargs["max_retries"] = settings["max_retries"]
        if "timeout" in settings:
            kwargs["timeout"] = float(settings["timeout"])
        if settings.get("strict"):
            kwargs["strict_response_validation"] = True
        try:
            self.client = PromptRails(**kwargs)
        except TypeError as exc:
            if settings.get("strict") and "strict_response_validation" in str(exc):
                raise DriverProblem(f"strict mode: the Python SDK has no strict_response_validation switch ({exc})") from exc
            raise
        return {"ok": True, "result": {"sdk": "promptrails", "version": promptrails.__version__}}

    def _operation(self, op: str, args: dict[str, Any], options: dict[str, Any]) -> tuple[str, Callable[[], Any]]:
        """('result' | 'stream' | 'all', a thunk making the SDK call)."""
        client = self.client
        if client is None:
            raise DriverProblem("call before configure")
        a = dict(args)
        opts: dict[str, Any] = {}
        if "max_retries" in options:
            opts["max_retries"] = options["max_retries"]
        if "timeout" in options:
            opts["timeout"] = float(options["timeout"])
        key = {"idempotency_key": options["idempotency_key"]} if "idempotency_key" in options else {}
        chat, executions = client.chat, client.executions

        def pop(name: str) -> Any:
            if name not in a:
                raise DriverProblem(f"{op}: missing argument {name}")
            return a.pop(name)

        if op == "chat.list_sessions":
            return "result", lambda: chat.list_sessions(**a, **opts)
        if op == "chat.list_sessions.all":
            return "all", lambda: chat.list_sessions(**a, **opts)
        if op == "chat.create_session":
            return "result", lambda: chat.create_session(**a, **key, **opts)
        if op == "chat.get_session":
            sid = pop("session_id")
            return "result", lambda: chat.get_session(sid, **opts)
        if op == "chat.update_session":
            sid = pop("session_id")
            return "result", lambda: chat.update_session(sid, **a, **opts)
        if op == "chat.delete_session":
            sid = pop("session_id")
            return "result", lambda: chat.delete_session(sid, **opts)
        if op == "chat.list_messages":
            sid = pop("session_id")
            return "result", lambda: chat.list_messages(sid, **a, **opts)
        if op == "chat.list_messages.all":
            sid = pop("session_id")
            return "all", lambda: chat.list_messages(sid, **a, **opts)
        if op == "chat.send_message":
            sid = pop("session_id")
            return "result", lambda: chat.send_message(sid, **a, **key, **opts)
        if op == "chat.send_message_stream":
            sid = pop("session_id")
            return "stream", lambda: chat.send_message_stream(sid, **a, **key, **opts)
        if op == "chat.delete_message":
            sid, mid = pop("session_id"), pop("message_id")
            return "result", lambda: chat.delete_message(sid, mid, **opts)
        if op == "chat.submit_feedback":
            sid = pop("session_id")
            return "result", lambda: chat.submit_feedback(sid, **a, **key, **opts)
        if op == "executions.list":
            return "result", lambda: executions.list(**a, **opts)
        if op == "executions.list.all":
            return "all", lambda: executions.list(**a, **opts)
        if op == "executions.cancel":
            eid = pop("execution_id")
            return "result", lambda: executions.cancel(eid, **key, **opts)
        if op == "executions.get":
            eid = pop("execution_id")
            return "result", lambda: executions.get(eid, **opts)
        if op == "executions.stream":
            eid = pop("execution_id")
            return "stream", lambda: executions.stream(eid, **a, **opts)
        if op.startswith("conversation."):
            return self._conversation(op, a)
        raise DriverProblem(f"unknown operation {op!r}")

    def _conversation(self, op: str, a: dict[str, Any]) -> tuple[str, Callable[[], Any]]:
        """The conversation operations (CONFORMANCE.md): conversations live in the driver by name."""
        assert self.client is not None
        chat = self.client.chat
        name = a.pop("name")
        if op == "conversation.open":
            def open_() -> Any:
                conv = chat.conversation(**a)
                self.conversations[name] = conv
                return {"session_id": conv.session_id}
            return "result", open_
        if op == "conversation.load":
            source = self.saved.get(a["from"])
            if source is None:
                raise DriverProblem(f"nothing was saved as {a['from']!r}")

            def load() -> Any:
                conv = chat.load(source)
                self.conversations[name] = conv
                return {"session_id": conv.session_id}
            return "result", load
        conv = self.conversations.get(name)
        if conv is None:
            raise DriverProblem(f"no conversation named {name!r}")
        if op == "conversation.send":
            return "result", lambda: self._reply(conv.send(a.pop("content"), **a))
        if op == "conversation.send_concurrent":
            def send_all() -> Any:
                with ThreadPoolExecutor(len(a["contents"])) as pool:
                    futures = [pool.submit(conv.send, text) for text in a["contents"]]
                    return [self._reply(f.result()) for f in futures]
            return "result", send_all
        if op == "conversation.stream":
            def chunks() -> Any:
                got: list[str] = []
                with conv.stream(a["content"]) as stream:
                    for chunk in stream:
                        got.append(chunk)
                        if len(got) == a.get("take"):
                            break
                return {"chunks": got, "text": "".join(got)}
            return "result", chunks
        if op == "conversation.stream_events":
            return "stream", lambda: conv.stream_events(a["content"])
        if op == "conversation.history":
            return "result", lambda: [wire_message(m) for m in conv.history]
        if op == "conversation.totals":
            return "result", lambda: {"usage": dict(conv.usage), "total_cost": conv.total_cost}
        if op == "conversation.clear":
            def clear() -> Any:
                conv.clear()
                return {"session_id": conv.session_id}
            return "result", clear
        if op == "conversation.save":
            def save() -> Any:
                path = os.path.join(self.files.name, f"{name}-{len(self.saved)}.json")
                conv.save(path, include_history=a.get("include_history", True))
                self.saved[name] = path
                with open(path, encoding="utf-8") as file:
                    return json.load(file)
            return "result", save
        if op == "conversation.delete":
            return "result", lambda: conv.delete()
        if op == "conversation.close":
            return "result", lambda: conv.close()
        raise DriverProblem(f"unknown operation {op!r}")

    @staticmethod
    def _reply(reply: Any) -> dict[str, Any]:
        return {"text": str(reply), "execution_id": reply.execution_id}

    def call(self, op: str, args: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
        shape, thunk = self._operation(op, args, options)
        if shape == "stream":
            events: list[dict[str, Any]] = []
            try:
                with thunk() as stream:
                    for event in stream:
                        events.append(wire_event(event))
                        if len(events) == args.get("take"):
                            break  # leave the stream early
            except DriverProblem:
                raise
            except Exception as exc:  # noqa: BLE001 - every SDK outcome is reported
                return {"ok": False, "events": events, "error": wire_error(exc)}
            return {"ok": True, "events": events}
        try:
            value = thunk()
            if shape == "all":
                result = [wire(item) for item in value]
            elif value is not None and hasattr(value, "data") and hasattr(value, "meta") and ".list" in op:
                result = {"data": [wire(item) for item in value.data], "meta": wire(value.meta)}
            else:
                result = wire(value)
        except DriverProblem:
            raise
        except Exception as exc:  # noqa: BLE001 - every SDK outcome is reported
            return {"ok": False, "error": wire_error(exc)}
        return {"ok": True, "result": result}


def main() -> int:
    driver = Driver()
    for line in sys.stdin:
        if not line.strip():
            continue
        seq = None
        try:
            request = json.loads(line)
            seq = request.get("seq")
            cmd = request.get("cmd")
            if cmd == "describe":
                answer = driver.describe()
            elif cmd == "configure":
                answer = driver.configure(request["client"])
            elif cmd == "call":
                answer = driver.call(request["op"], request.get("args") or {}, request.get("options") or {})
            else:
                raise DriverProblem(f"unknown command {cmd!r}")
        except Exception as exc:  # noqa: BLE001 - reported to the harness as a driver failure
            traceback.print_exc(file=sys.stderr)
            answer = {"ok": False, "error": {"kind": "driver", "message": f"{type(exc).__name__}: {exc}"}}
        sys.stdout.write(json.dumps({"seq": seq, **answer}, ensure_ascii=False, default=str) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
