"""The fault-control API under ``/__mock/`` and the fault book it programs.

A fault matches the next ``count`` API requests whose method and path match
(path globs: ``*`` one segment or part of it, ``**`` anything, ``?`` one
character), and does one of:

* ``status``: answer ``status`` (default 503) with ``headers`` and ``body``
  (default: the error envelope) without running the handler;
* ``reset``: reset the TCP connection, ``when`` ``before`` running the handler
  or ``after`` it (its effects committed, its answer never sent);
* ``cut_stream``: send the response head and ``after_frames`` frames of an
  event stream, then drop the connection (the run goes on in the background);
* ``delay``: wait ``seconds`` before handling; ``between_frames`` seconds
  between two frames of an event stream;
* ``inject_frames``: write ``frames`` (raw Server-Sent Events text, outside the
  contract, never validated) into an event stream right after its
  ``after_frames``-th real frame (at its end if it has fewer);
* ``reformat_stream``: send an event stream's frames with other
  ``line_endings`` (``crlf``, ``cr``) and/or in writes of at most
  ``chunk_bytes`` bytes (each write its own HTTP chunk);
* ``variant``: answer in one or more of the evidenced ``variants`` of the real
  wire format (:mod:`promptrails_mock.variants`): the emulator's 201 send,
  ``pages``-only meta, ``{"error": "text"}`` bodies, ``done {}``, ...

The control API itself (no API key, outside the contract, off unless the server
is started with ``--control`` or a control token) is documented in
conformance-tests/README.md and wrapped by :mod:`promptrails_mock.testing`.
"""

from __future__ import annotations

import collections
import functools
import hashlib
import hmac
import itertools
import logging
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote_plus

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from promptrails_mock.agents import BUILTIN_AGENTS
from promptrails_mock.errors import ApiError
from promptrails_mock.ids import ksuid, utc_now
from promptrails_mock.jsonsafe import InvalidJson, dumps, parse_body
from promptrails_mock.placeholders import PLACEHOLDER_SESSION
from promptrails_mock.variants import parse_variants

if TYPE_CHECKING:
    from promptrails_mock.app import MockState

__all__ = [
    "Fault",
    "FaultBook",
    "RequestLog",
    "ViolationLog",
    "control_routes",
    "glob_to_regex",
    "parse_fault",
]

logger = logging.getLogger("promptrails_mock.violations")

ACTIONS = ("status", "reset", "cut_stream", "delay", "inject_frames", "reformat_stream", "variant")
_FAULT_KEYS = {
    "status": {"status", "headers", "body"},
    "reset": {"when"},
    "cut_stream": {"after_frames"},
    "delay": {"seconds", "between_frames"},
    "inject_frames": {"after_frames", "frames"},
    "reformat_stream": {"line_endings", "chunk_bytes"},
    "variant": {"variants", "execution_status"},
}
_COMMON_KEYS = {"action", "method", "path", "count"}

MAX_INJECTED_FRAMES = 100
MAX_INJECTED_BYTES = 1024 * 1024
LINE_ENDINGS = {"lf": b"\n", "crlf": b"\r\n", "cr": b"\r"}


def glob_to_regex(pattern: str) -> re.Pattern[str]:
    """``*`` matches within one path segment, ``**`` across segments, ``?`` one non-``/`` character."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


@dataclass
class Fault:
    id: str
    action: str
    method: str
    path: str
    count: int
    remaining: int
    created_at: str
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    when: str | None = None
    after_frames: int | None = None
    seconds: float | None = None
    between_frames: float | None = None
    frames: list[str] | None = None
    line_endings: str | None = None
    chunk_bytes: int | None = None
    variants: tuple[str, ...] = ()
    execution_status: str | None = None
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.method != "*" and self.method != method.upper():
            return False
        return glob_to_regex(self.path).match(path) is not None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["variants"] = list(self.variants)
        keep = _COMMON_KEYS | _FAULT_KEYS[self.action] | {"id", "remaining", "created_at", "hits"}
        return {k: v for k, v in data.items() if k in keep}


def _number(spec: Mapping[str, Any], name: str, default: float, *, maximum: float) -> float:
    value = spec.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= maximum:
        raise ValueError(f"{name} must be a number from 0 to {maximum:g}")
    return float(value)


def _integer(spec: Mapping[str, Any], name: str, default: int, *, minimum: int, maximum: int) -> int:
    value = spec.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise ValueError(f"{name} must be an integer from {minimum} to {maximum}")
    return value


def _frames(value: Any) -> list[str]:
    """The ``frames`` of an ``inject_frames`` fault: 1 to 100 non-empty strings, at most 1 MiB of UTF-8 in all."""
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_INJECTED_FRAMES:
        raise ValueError(f"frames must be a list of 1 to {MAX_INJECTED_FRAMES} strings (raw event-stream text)")
    if not all(isinstance(frame, str) and frame for frame in value):
        raise ValueError("every frame must be a non-empty string (raw event-stream text)")
    try:
        size = sum(len(frame.encode("utf-8")) for frame in value)
    except UnicodeEncodeError:
        raise ValueError("frames must be valid Unicode text (no lone surrogates)") from None
    if size > MAX_INJECTED_BYTES:
        raise ValueError(f"frames must hold at most {MAX_INJECTED_BYTES} bytes of UTF-8 in all")
    return list(value)


def parse_fault(spec: Any) -> Fault:
    """Build a fault from its JSON spec; ValueError explains what is wrong."""
    if not isinstance(spec, Mapping):
        raise ValueError("a fault is a JSON object")
    action = spec.get("action")
    if action not in ACTIONS:
        raise ValueError(f"action must be one of {', '.join(ACTIONS)}")
    unknown = set(spec) - _COMMON_KEYS - _FAULT_KEYS[action]
    if unknown:
        raise ValueError(f"unknown fields for action {action!r}: {', '.join(sorted(unknown))}")
    method = spec.get("method", "*")
    if not isinstance(method, str) or not method:
        raise ValueError("method must be an HTTP method or '*'")
    path = spec.get("path", "**")
    if not isinstance(path, str) or not path.startswith(("/", "*")):
        raise ValueError("path must be a path or glob starting with '/' (or '**' for any)")
    count = _integer(spec, "count", 1, minimum=1, maximum=1_000_000)
    fault = Fault(ksuid(), action, method.upper(), path, count, count, utc_now())
    if action == "status":
        fault.status = _integer(spec, "status", 503, minimum=100, maximum=599)
        headers = spec.get("headers", {})
        if not isinstance(headers, Mapping) or not all(isinstance(k, str) for k in headers):
            raise ValueError("headers must be an object of header names to values")
        for name, value in headers.items():
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                raise ValueError(f"header {name!r} must be a string or a number")
            text = str(value)
            if "\n" in text or "\r" in text or "\n" in name or ":" in name:
                raise ValueError(f"header {name!r} is not a valid header")
            fault.headers[name] = text
        fault.body = spec.get("body")
    elif action == "reset":
        when = spec.get("when", "before")
        if when not in ("before", "after"):
            raise ValueError("when must be 'before' or 'after'")
        fault.when = when
    elif action == "cut_stream":
        fault.after_frames = _integer(spec, "after_frames", 1, minimum=0, maximum=1_000_000)
    elif action == "inject_frames":
        fault.after_frames = _integer(spec, "after_frames", 1, minimum=0, maximum=1_000_000)
        fault.frames = _frames(spec.get("frames"))
    elif action == "reformat_stream":
        line_endings = spec.get("line_endings", "crlf")
        if line_endings not in LINE_ENDINGS:
            raise ValueError(f"line_endings must be one of {', '.join(LINE_ENDINGS)}")
        fault.line_endings = line_endings
        if spec.get("chunk_bytes") is not None:
            fault.chunk_bytes = _integer(spec, "chunk_bytes", 1, minimum=1, maximum=1_000_000)
    elif action == "variant":
        fault.variants = parse_variants(spec.get("variants"))
        if "execution_status" in spec:
            if "execution_unknown_status" not in fault.variants:
                raise ValueError("execution_status goes with the execution_unknown_status variant")
            status = spec["execution_status"]
            if not isinstance(status, str) or not 1 <= len(status) <= 64:
                raise ValueError("execution_status must be a string of 1 to 64 characters")
            fault.execution_status = status
        elif "execution_unknown_status" in fault.variants:
            fault.execution_status = "paused"
    else:
        fault.seconds = _number(spec, "seconds", 1.0, maximum=300)
        if "between_frames" in spec:
            fault.between_frames = _number(spec, "between_frames", 0.0, maximum=60)
    return fault


class FaultBook:
    """The programmed faults, matched in the order they were added."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        self._faults.append(fault)
        return fault

    def match(self, method: str, path: str) -> Fault | None:
        """The first fault matching ``method path``, counted as used (removed when used up)."""
        for fault in self._faults:
            if fault.matches(method, path):
                fault.remaining -= 1
                fault.hits += 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def list(self) -> list[dict[str, Any]]:
        return [f.to_json() for f in self._faults]

    def clear(self) -> int:
        count = len(self._faults)
        self._faults.clear()
        return count


REDACTED = "[REDACTED]"
_SECRET_HEADERS = frozenset({"x-api-key", "authorization", "proxy-authorization", "cookie", "x-mock-token"})
_SECRET_QUERY = re.compile(r"(?i)(key|token|secret|password|passwd|auth|credential|signature)")
_MIN_SECRET = 4  # shorter secrets are redacted where they are found, not searched for elsewhere
_ENTRY_OVERHEAD = 512  # bytes an entry costs besides its strings (ids, time, status, the dict itself)


def _header_secrets(name: str, value: str) -> list[str]:
    """The secret parts of a credential header's value: the whole value, its credentials, its cookie values."""
    value = value.strip()
    found = [value]
    if name in ("authorization", "proxy-authorization"):
        _, _, credentials = value.partition(" ")
        found.append(credentials.strip())
    elif name == "cookie":
        found += [part.partition("=")[2].strip() for part in value.split(";")]
    return [s for s in found if s]


class RequestLog:
    """Every API request received (not the control API's), oldest first, with every credential redacted.

    What is kept, and how much:

    * API keys and other credentials never enter the log: the values of ``X-API-Key``,
      ``Authorization``, ``Proxy-Authorization``, ``Cookie`` and ``X-Mock-Token``, and of query
      parameters named like a key or token, are replaced by ``[REDACTED]``, and so is every other
      occurrence of those values (and of the server's configured keys) in the path, the query,
      the headers and the body. An entry keeps a keyed digest of its ``X-API-Key`` (never shown)
      so the log can be filtered by key, and the id of the workspace the key selects.
    * A body is kept up to ``BODY_LIMIT`` bytes (``body_truncated`` says when it was cut).
    * The log holds at most ``max_entries`` entries and about ``max_bytes`` bytes; the oldest go first
      (``evicted`` counts them).
    * :meth:`page` answers at most ``limit`` entries and about ``PAGE_BYTES`` bytes at a time.
    """

    BODY_LIMIT = 64 * 1024
    PAGE_BYTES = 1024 * 1024
    MIN_BYTES = 256 * 1024

    def __init__(
        self, limit: int = 10_000, *, max_bytes: int = 16 * 1024 * 1024, known_secrets: Sequence[str] = ()
    ) -> None:
        if max_bytes < self.MIN_BYTES:
            raise ValueError(f"the request log needs at least {self.MIN_BYTES} bytes")
        self._entries: collections.OrderedDict[int, dict[str, Any]] = collections.OrderedDict()
        self._sizes: dict[int, int] = {}
        self._ids = itertools.count(1)
        self._limit = limit
        self.max_bytes = max_bytes
        self.stored_bytes = 0
        self.evicted = 0
        self._salt = secrets.token_bytes(32)
        self._digests: dict[str, str] = {}  # by key: most requests carry the same few
        self._known = [s for s in known_secrets if len(s) >= _MIN_SECRET]

    # -- writing --------------------------------------------------------------------

    def key_digest(self, api_key: str) -> str:
        digest = self._digests.get(api_key)
        if digest is None:
            digest = hmac.new(self._salt, api_key.encode("utf-8", "surrogateescape"), hashlib.sha256).hexdigest()
            if len(self._digests) >= 1024:
                self._digests.clear()
            self._digests[api_key] = digest
        return digest

    def record(
        self,
        request_id: str,
        method: str,
        path: str,
        query_string: str,
        headers: Sequence[tuple[str, str]],
        *,
        workspace_id: str | None = None,
    ) -> dict[str, Any]:
        query_pairs = parse_qsl(query_string, keep_blank_values=True) if query_string else []
        found: list[str] = list(self._known)
        merged: dict[str, str] = {}
        api_key: str | None = None
        for name, value in headers:
            name = name.lower()
            if name in _SECRET_HEADERS:
                found += _header_secrets(name, value)
                if name == "x-api-key" and api_key is None:
                    api_key = value
                value = REDACTED
            merged[name] = f"{merged[name]}, {value}" if name in merged else value
        for name, value in query_pairs:
            if _SECRET_QUERY.search(name) and value:
                found.append(value)
        secrets_found = sorted({s for s in found if len(s) >= _MIN_SECRET}, key=lambda s: (-len(s), s))
        redact = _redactor(tuple(secrets_found))
        query: dict[str, str] = {}
        for name, value in query_pairs:
            query[redact(name)] = REDACTED if _SECRET_QUERY.search(name) and value else redact(value)
        entry: dict[str, Any] = {
            "seq": next(self._ids),
            "request_id": request_id,
            "time": utc_now(),
            "method": method.upper(),
            "path": redact(path),
            "query": query,
            "query_string": redact(_redact_query_string(query_string)) if query_string else "",
            "headers": {name: redact(value) for name, value in merged.items()},
            "workspace_id": workspace_id,
            "body": None,
            "body_truncated": False,
            "status": None,
            "outcome": None,
            "handler_status": None,
            "fault_id": None,
            "_key_digest": None if api_key is None else self.key_digest(api_key),
            "_redact": redact,
        }
        # What the entry weighs but its body (which set_body adds), counted once.
        entry["_size"] = _ENTRY_OVERHEAD + len(entry["path"]) + 2 * len(entry["query_string"])
        entry["_size"] += sum(len(k) + len(v) for k, v in entry["headers"].items())
        self._entries[entry["seq"]] = entry
        self._account(entry)
        return entry

    def set_body(self, entry: dict[str, Any], body: bytes) -> None:
        # The redactor is not needed any more: without it the entry holds only text and numbers, which the
        # garbage collector stops walking (the log keeps thousands of entries).
        redact = entry.pop("_redact", _unchanged)
        if not body:
            entry["body"] = None
        else:
            truncated = len(body) > self.BODY_LIMIT
            text = body[: self.BODY_LIMIT].decode("utf-8", "replace")
            entry["body"], entry["body_truncated"] = redact(text), truncated
        self._account(entry)

    def _account(self, entry: dict[str, Any]) -> None:
        seq = entry["seq"]
        if seq not in self._entries:
            return  # evicted already
        size = entry["_size"] + len(entry["body"] or "")
        self.stored_bytes += size - self._sizes.get(seq, 0)
        self._sizes[seq] = size
        while self._entries and (len(self._entries) > self._limit or self.stored_bytes > self.max_bytes):
            if len(self._entries) == 1:
                break  # the newest entry always stays
            oldest, _ = self._entries.popitem(last=False)
            self.stored_bytes -= self._sizes.pop(oldest)
            self.evicted += 1

    # -- reading --------------------------------------------------------------------

    def page(
        self,
        method: str | None = None,
        path: str | None = None,
        *,
        api_key: str | None = None,
        workspace_id: str | None = None,
        after: int = 0,
        limit: int = 100,
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Up to ``limit`` matching entries with a ``seq`` above ``after`` (and ``PAGE_BYTES``), and the meta."""
        pattern = glob_to_regex(path) if path else None
        digest = None if api_key is None else self.key_digest(api_key)
        matching = [
            entry
            for entry in self._entries.values()
            if (method is None or entry["method"] == method.upper())
            and (pattern is None or pattern.match(entry["path"]))
            and (digest is None or entry["_key_digest"] == digest)
            and (workspace_id is None or entry["workspace_id"] == workspace_id)
        ]
        page: list[dict[str, Any]] = []
        size = 0
        next_after: int | None = None
        for entry in matching:
            if entry["seq"] <= after:
                continue
            if len(page) >= limit or (page and size >= self.PAGE_BYTES):
                next_after = page[-1]["seq"]
                break
            page.append(entry)
            size += self._sizes.get(entry["seq"], 0)
        meta = {
            "total": len(matching),
            "limit": limit,
            "next_after": next_after,
            "stored_bytes": self.stored_bytes,
            "max_bytes": self.max_bytes,
            "evicted": self.evicted,
        }
        return [{k: v for k, v in e.items() if not k.startswith("_")} for e in page], meta

    def list(self, method: str | None = None, path: str | None = None) -> list[dict[str, Any]]:
        """Every matching entry (for in-process callers; the control API pages)."""
        entries, _ = self.page(method, path, limit=len(self._entries) or 1)
        return entries

    def clear(self) -> int:
        count = len(self._entries)
        self._entries.clear()
        self._sizes.clear()
        self.stored_bytes = 0
        return count


def _unchanged(text: str) -> str:
    return text


@functools.lru_cache(maxsize=256)
def _redactor(found: tuple[str, ...]) -> Callable[[str], str]:
    """A function replacing every occurrence of the ``found`` secrets (longest first) with ``[REDACTED]``
    (made once for the same secrets: most requests carry the same key)."""
    if not found:
        return _unchanged
    pattern = re.compile("|".join(re.escape(s) for s in found))
    return functools.partial(pattern.sub, REDACTED)


def _redact_query_string(query_string: str) -> str:
    """The query string with the values of key-like parameters replaced (as they were sent, still encoded)."""

    def part(item: str) -> str:
        name, sep, value = item.partition("=")
        if sep and value and _SECRET_QUERY.search(unquote_plus(name)):
            return f"{name}={REDACTED}"
        return item

    return "&".join(part(item) for item in query_string.split("&"))


class ViolationLog:
    """Responses the mock sent that break the contract. Loud: logged at ERROR and counted.

    Keeps the last ``limit`` (``total`` counts them all).
    """

    def __init__(self, limit: int = 1000) -> None:
        self._entries: collections.deque[dict[str, Any]] = collections.deque(maxlen=limit)
        self.total = 0

    def add(self, request_id: str, method: str, path: str, status: int | None, errors: Sequence[str]) -> None:
        self.total += 1
        entry = {
            "request_id": request_id,
            "time": utc_now(),
            "method": method,
            "path": path,
            "status": status,
            "errors": [error[:2000] for error in errors[:50]],
        }
        self._entries.append(entry)
        logger.error("CONTRACT VIOLATION %s %s -> %s: %s", method, path, status, "; ".join(errors))

    def list(self) -> list[dict[str, Any]]:
        return [dict(e) for e in self._entries]

    def clear(self) -> int:
        count = len(self._entries)
        self._entries.clear()
        return count


# -- the control API ----------------------------------------------------------------------


def _json(status: int, payload: Any) -> Response:
    return Response(dumps(payload), status_code=status, media_type="application/json")


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = parse_body(raw)
    except InvalidJson as exc:
        raise ApiError(
            400, "invalid_json", f"The request body is not valid JSON: {exc}", {"location": "body"}
        ) from None
    if not isinstance(data, dict):
        raise ApiError(400, "validation_error", "The request body must be a JSON object.", {"field": "body"})
    return data


def _query_int(request: Request, name: str, default: int, *, minimum: int, maximum: int) -> int:
    text = request.query_params.get(name)
    if text is None:
        return default
    if not (text.isascii() and text.isdigit()) or len(text) > 19 or not minimum <= int(text) <= maximum:
        raise ApiError(
            400,
            "validation_error",
            f"{name}: must be an integer from {minimum} to {maximum}",
            {"field": name, "location": "query"},
        )
    return int(text)


def _string(data: Mapping[str, Any], name: str, *, required: bool, maximum: int = 255) -> str | None:
    value = data.get(name)
    if value is None:
        if required:
            raise ApiError(400, "validation_error", f"{name}: is required", {"field": name})
        return None
    if not isinstance(value, str) or not value or len(value) > maximum:
        raise ApiError(
            400, "validation_error", f"{name}: must be a string of 1 to {maximum} characters", {"field": name}
        )
    return value


def control_routes(state: MockState) -> list[Route]:
    """The ``/__mock/`` routes, bound to ``state``."""

    async def health(request: Request) -> Response:
        return _json(200, {"data": {"status": "ok", "running_executions": state.executions.running}})

    async def faults(request: Request) -> Response:
        if request.method == "POST":
            try:
                fault = parse_fault(await _body(request))
            except ValueError as exc:
                raise ApiError(400, "invalid_fault", str(exc)) from None
            state.faults.add(fault)
            return _json(201, {"data": fault.to_json()})
        if request.method == "DELETE":
            return _json(200, {"data": {"cleared": state.faults.clear()}})
        return _json(200, {"data": state.faults.list()})

    async def requests(request: Request) -> Response:
        if request.method == "DELETE":
            return _json(200, {"data": {"cleared": state.requests.clear()}})
        query = request.query_params
        entries, meta = state.requests.page(
            query.get("method") or None,
            query.get("path") or None,
            api_key=query.get("api_key") or None,
            workspace_id=query.get("workspace_id") or None,
            after=_query_int(request, "after", 0, minimum=0, maximum=2**63 - 1),
            limit=_query_int(request, "limit", 100, minimum=1, maximum=1000),
        )
        return _json(200, {"data": entries, "meta": meta})

    async def violations(request: Request) -> Response:
        if request.method == "DELETE":
            return _json(200, {"data": {"cleared": state.violations.clear()}})
        return _json(200, {"data": state.violations.list(), "meta": {"total": state.violations.total}})

    async def workspaces(request: Request) -> Response:
        data = await _body(request)
        api_key = _string(data, "api_key", required=False) or f"pr-test-{ksuid()}"
        if state.workspace_for_key(api_key) is not None:
            raise ApiError(409, "conflict", "A workspace with this API key exists already.", {"field": "api_key"})
        workspace = state.storage.ensure_workspace(api_key, configured=False)
        return _json(201, {"data": {"api_key": api_key, "workspace_id": workspace["id"]}})

    async def agents(request: Request) -> Response:
        if request.method == "GET":
            return _json(200, {"data": {"builtin": list(BUILTIN_AGENTS), "aliases": state.storage.list_aliases()}})
        data = await _body(request)
        agent_id = _string(data, "id", required=True, maximum=64)
        like = _string(data, "like", required=False, maximum=64) or "echo"
        assert agent_id is not None
        if agent_id in BUILTIN_AGENTS:
            raise ApiError(409, "conflict", f"'{agent_id}' is a built-in agent.", {"field": "id"})
        if like not in BUILTIN_AGENTS:
            raise ApiError(
                422,
                "unknown_agent",
                f"Unknown agent '{like}'; like must be one of {', '.join(BUILTIN_AGENTS)}.",
                {"field": "like"},
            )
        state.storage.set_alias(agent_id, like)
        return _json(201, {"data": {"id": agent_id, "like": like}})

    async def sessions(request: Request) -> Response:
        data = await _body(request)
        api_key = _string(data, "api_key", required=False, maximum=1000) or state.settings.api_keys[0]
        workspace = state.workspace_for_key(api_key)
        if workspace is None:
            raise ApiError(404, "not_found", "No workspace has this API key.", {"field": "api_key"})
        session_id = _string(data, "id", required=False, maximum=64) or ksuid()
        if "/" in session_id:
            raise ApiError(400, "validation_error", "id: must not contain '/'", {"field": "id"})
        agent_id = _string(data, "agent_id", required=False, maximum=64) or "echo"
        if state.executions.resolve_agent(agent_id, workspace["id"]) is None:
            raise ApiError(422, "unknown_agent", f"Unknown agent_id '{agent_id}'.", {"field": "agent_id"})
        title = data.get("title")
        if title is not None and not isinstance(title, str):
            raise ApiError(400, "validation_error", "title: must be a string or null", {"field": "title"})
        metadata = data.get("metadata", {})
        if not isinstance(metadata, dict):
            raise ApiError(400, "validation_error", "metadata: must be an object", {"field": "metadata"})
        if state.storage.session_exists(workspace["id"], session_id):
            if workspace["id"] != state.dev_workspace_id or session_id != PLACEHOLDER_SESSION:
                raise ApiError(409, "conflict", f"Session '{session_id}' exists already.", {"field": "id"})
            state.storage.delete_session(workspace["id"], session_id)  # the placeholder session is re-created
        now = utc_now()
        session = {
            "id": session_id,
            "workspace_id": workspace["id"],
            "agent_id": agent_id,
            "user_id": None,
            "title": title,
            "metadata": metadata,
            "created_at": now,
            "updated_at": now,
        }
        created = state.storage.create_session(session)
        return _json(201, {"data": {k: v for k, v in created.items() if not k.startswith("_")}})

    async def reset(request: Request) -> Response:
        state.reset()
        # The configured keys survive, but are not echoed: no control answer but a new workspace's holds a key.
        return _json(200, {"data": {"reset": True, "configured_workspaces": len(state.settings.api_keys)}})

    return [
        Route("/__mock/health", health, methods=["GET"]),
        Route("/__mock/faults", faults, methods=["GET", "POST", "DELETE"]),
        Route("/__mock/requests", requests, methods=["GET", "DELETE"]),
        Route("/__mock/violations", violations, methods=["GET", "DELETE"]),
        Route("/__mock/workspaces", workspaces, methods=["POST"]),
        Route("/__mock/agents", agents, methods=["GET", "POST"]),
        Route("/__mock/sessions", sessions, methods=["POST"]),
        Route("/__mock/reset", reset, methods=["POST"]),
    ]
