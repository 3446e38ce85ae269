"""Conformance driver for the vendor's own Python SDK (PyPI `promptrails` 0.9.2).

Runs in its own venv (setup_venv.py) with `python -I`, so `import promptrails` is
the vendor's package, never ours. Same JSON-lines protocol as the other drivers
(conformance-tests/CONFORMANCE.md): it maps each operation the vendor SDK can
express onto its public calls, unchanged, and reports outcomes in wire form.
No assertions, no workarounds: what the vendor SDK does is what the harness sees.

What it cannot express is declared in UNSUPPORTED below (answered to `describe`);
the harness compares that with what each scenario needs and lists the cells it
cannot run, with these reasons. Keys are requirement names (fnmatch patterns),
as the harness derives them (harness/capabilities.py):

  mode:strict                     a strict-mode run
  op:<op>                         an operation
  arg:<op>.<name>[=null|=""]      an argument, or that value of it
  option:<name>                   a per-call option
  client:<name>                   a client setting
  result:<op>:<path>              a field of an operation's result (dotted; [] = list items)
  event:id                        event ids; event:<type>:<path> a field of an event's data
  error:<field>, error:kind=<k>   a field of an error / an error kind
  server:<what>                   something the server must have seen (idempotency keys, ...)

Errors: the vendor raises `PromptRailsError` subclasses for HTTP statuses (with
`status_code`, `code`, `message`, `details`; no request id) and lets httpx's own
exceptions through for transport failures; those are its timeout and connection
errors (its retry loop catches exactly them), so they are reported as kinds
`timeout` / `connection`. Anything else escaping (an `httpx.HTTPStatusError` on
opening a stream, a `JSONDecodeError` on a non-JSON body) is `foreign`.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import json
import sys
import traceback
from collections.abc import Callable
from typing import Any

import httpx
import promptrails
from promptrails import PromptRails, PromptRailsError

_FIELD_MISSING = "its model has no such field"

UNSUPPORTED: dict[str, str] = {
    "mode:strict": "the vendor SDK has no strict response validation",
    "op:conversation.*": "the vendor SDK has no conversation object",
    "op:chat.update_session": "the vendor SDK has no update_session",
    "op:chat.delete_message": "the vendor SDK has no delete_message",
    "op:*.all": "the vendor SDK has no auto-pagination (list calls return one page)",
    "arg:chat.send_message.metadata": "send_message takes content only",
    "arg:chat.send_message_stream.metadata": "send_message_stream takes content only",
    "arg:chat.submit_feedback.comment": "submit_feedback takes no comment",
    "arg:chat.create_session.title=null": "create_session cannot send a null title (it leaves an empty one out)",
    'arg:chat.create_session.title=""': "create_session cannot send an empty title (it leaves it out)",
    "arg:executions.stream.last_event_id": "executions.stream takes no Last-Event-ID: it cannot resume",
    'arg:executions.list.*=""': "executions.list leaves an empty filter out",
    "option:idempotency_key": "the vendor SDK has no Idempotency-Key support",
    "option:max_retries": "the vendor SDK has no per-call options",
    "option:timeout": "the vendor SDK has no per-call options",
    "server:idempotency_key": "the vendor SDK sends no Idempotency-Key",
    "server:last_event_id": "the vendor SDK never resumes a stream (no Last-Event-ID)",
    "server:header:user-agent": "its User-Agent is promptrails-python/<its version>, not RUNTIME.md's",
    "event:id": "its stream events carry no id",
    "event:*:output_text": "its DoneEvent has no text convenience (output is a dict or None)",
    "event:done:time": "its DoneEvent has no time",
    "event:error:code": "its ErrorEvent carries the message only",
    "error:request_id": "its errors carry no request id",
    "error:display": "its errors print the bare message, not RUNTIME.md's display form",
    "error:data": "it raises no stream errors (no raw frame data)",
    "error:kind=response_validation": "the vendor SDK has no response validation",
    "result:chat.send_message:execution_id": f"ChatMessage: {_FIELD_MISSING}",
    "result:chat.send_message:user_message*": f"ChatMessage: {_FIELD_MISSING}",
    "result:executions.*:user_message_id": f"AgentExecution: {_FIELD_MISSING}",
    "result:executions.*:assistant_message_id": f"AgentExecution: {_FIELD_MISSING}",
    "result:executions.*:last_event_id": f"AgentExecution: {_FIELD_MISSING}",
    "result:executions.list:data[].user_message_id": f"AgentExecution: {_FIELD_MISSING}",
    "result:executions.list:data[].assistant_message_id": f"AgentExecution: {_FIELD_MISSING}",
    "result:executions.list:data[].last_event_id": f"AgentExecution: {_FIELD_MISSING}",
    "result:*:meta.total_pages": "its PaginationMeta keeps `pages` only (total_pages is read into it)",
}


class DriverProblem(Exception):
    """The request cannot be mapped to a vendor SDK call (a driver or harness bug)."""


def wire(value: Any) -> Any:
    """A vendor SDK value as JSON: its dataclasses field by field, as the caller sees them."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: wire(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): wire(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [wire(v) for v in value]
    raise DriverProblem(f"cannot put a {type(value).__name__} in wire form")


def wire_event(event: Any) -> dict[str, Any]:
    data = wire(event)
    name = data.pop("type")
    return {"type": name, "id": None, "data": data}


def wire_error(exc: BaseException) -> dict[str, Any]:
    base: dict[str, Any] = {
        "class": f"{type(exc).__module__}.{type(exc).__name__}",
        "display": str(exc),
    }
    if isinstance(exc, PromptRailsError):
        kind = f"status:{exc.status_code}" if exc.status_code else "unclassified"
        return {
            **base,
            "kind": kind,
            "status_code": exc.status_code,
            "code": exc.code,
            "message": wire(exc.message),
            "request_id": None,
            "details": wire(exc.details),
        }
    if isinstance(exc, httpx.TimeoutException):
        return {**base, "kind": "timeout", "message": str(exc)}
    if isinstance(exc, httpx.TransportError):
        return {**base, "kind": "connection", "message": str(exc)}
    return {**base, "kind": "foreign", "message": f"{base['class']}: {exc}"}


class Driver:
    def __init__(self) -> None:
        self.client: PromptRails | None = None

    def describe(self) -> dict[str, Any]:
        return {
            "ok": True,
            "result": {
                "sdk": "promptrails (PyPI, the vendor's)",
                "version": importlib.metadata.version("promptrails"),
                "modes": ["tolerant"],
                "unsupported": UNSUPPORTED,
            },
        }

    def configure(self, settings: dict[str, Any]) -> dict[str, Any]:
        if settings.get("strict"):
            raise DriverProblem(
                "strict mode requested, but the vendor SDK has none (see describe)"
            )
        if self.client is not None:
            self.client.close()
        kwargs: dict[str, Any] = {"base_url": settings["base_url"]}
        if "max_retries" in settings:
            kwargs["max_retries"] = settings["max_retries"]
        if "timeout" in settings:
            kwargs["timeout"] = float(settings["timeout"])
        self.client = PromptRails(settings["api_key"], **kwargs)
        return {
            "ok": True,
            "result": {
                "sdk": "promptrails",
                "version": importlib.metadata.version("promptrails"),
            },
        }

    def _operation(
        self, op: str, args: dict[str, Any], options: dict[str, Any]
    ) -> tuple[str, Callable[[], Any]]:
        """('result' | 'stream', a thunk making the vendor SDK call)."""
        client = self.client
        if client is None:
            raise DriverProblem("call before configure")
        if options:
            raise DriverProblem(
                f"{op}: per-call options {sorted(options)} cannot be expressed (see describe)"
            )
        a = dict(args)
        chat, executions = client.chat, client.executions

        def pop(name: str) -> Any:
            if name not in a:
                raise DriverProblem(f"{op}: missing argument {name}")
            return a.pop(name)

        def rest(*allowed: str) -> dict[str, Any]:
            extra = set(a) - set(allowed)
            if extra:
                raise DriverProblem(
                    f"{op}: the vendor SDK takes no {sorted(extra)} (see describe)"
                )
            return a

        if op == "chat.list_sessions":
            return "result", lambda: chat.list_sessions(**rest("page", "limit"))
        if op == "chat.create_session":
            kwargs = rest("agent_id", "title", "metadata")
            if "title" in kwargs and not kwargs["title"]:
                raise DriverProblem(
                    f"{op}: an empty or null title cannot be expressed (see describe)"
                )
            return "result", lambda: chat.create_session(**kwargs)
        if op == "chat.get_session":
            sid = pop("session_id")
            rest()
            return "result", lambda: chat.get_session(sid)
        if op == "chat.delete_session":
            sid = pop("session_id")
            rest()
            return "result", lambda: chat.delete_session(sid)
        if op == "chat.list_messages":
            sid = pop("session_id")
            return "result", lambda: chat.list_messages(sid, **rest("page", "limit"))
        if op == "chat.send_message":
            sid = pop("session_id")
            return "result", lambda: chat.send_message(sid, **rest("content"))
        if op == "chat.send_message_stream":
            sid = pop("session_id")
            return "stream", lambda: chat.send_message_stream(sid, **rest("content"))
        if op == "chat.submit_feedback":
            sid = pop("session_id")
            return "result", lambda: chat.submit_feedback(
                sid, **rest("execution_id", "value")
            )
        if op == "executions.list":
            return "result", lambda: executions.list(
                **rest("page", "limit", "agent_id", "session_id", "status")
            )
        if op == "executions.get":
            eid = pop("execution_id")
            rest()
            return "result", lambda: executions.get(eid)
        if op == "executions.cancel":
            eid = pop("execution_id")
            rest()
            return "result", lambda: executions.cancel(eid)
        if op == "executions.stream":
            eid = pop("execution_id")
            rest()
            return "stream", lambda: executions.stream(eid)
        raise DriverProblem(f"the vendor SDK cannot express {op!r} (see describe)")

    def call(
        self, op: str, args: dict[str, Any], options: dict[str, Any]
    ) -> dict[str, Any]:
        shape, thunk = self._operation(op, args, options)
        if shape == "stream":
            events: list[dict[str, Any]] = []
            try:
                for event in thunk():
                    events.append(wire_event(event))
            except DriverProblem:
                raise
            except Exception as exc:  # noqa: BLE001 - every SDK outcome is reported
                return {"ok": False, "events": events, "error": wire_error(exc)}
            return {"ok": True, "events": events}
        try:
            result = wire(thunk())
        except DriverProblem:
            raise
        except Exception as exc:  # noqa: BLE001 - every SDK outcome is reported
            return {"ok": False, "error": wire_error(exc)}
        return {"ok": True, "result": result}


def main() -> int:
    if not getattr(promptrails, "__file__", "").startswith(sys.prefix):
        print(
            f"refusing to run: promptrails comes from {promptrails.__file__}, not {sys.prefix}",
            file=sys.stderr,
        )
        return 2
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
                answer = driver.call(
                    request["op"],
                    request.get("args") or {},
                    request.get("options") or {},
                )
            else:
                raise DriverProblem(f"unknown command {cmd!r}")
        except Exception as exc:  # noqa: BLE001 - reported to the harness as a driver failure
            traceback.print_exc(file=sys.stderr)
            answer = {
                "ok": False,
                "error": {"kind": "driver", "message": f"{type(exc).__name__}: {exc}"},
            }
        sys.stdout.write(
            json.dumps({"seq": seq, **answer}, ensure_ascii=False, default=str) + "\n"
        )
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
