"""What a scenario needs from an SDK, and what a driver says its SDK cannot do.

A driver answers ``describe`` with the modes it runs in and ``unsupported``: a
mapping from requirement patterns to the reason its SDK cannot express them
(our three SDKs can express everything; the vendor's SDK cannot, see
``drivers/vendor-python/driver.py``). The harness derives a scenario's
requirements from the scenario itself (:func:`requirements`); nothing is listed
per scenario. Then (:func:`waive`):

* what the scenario *does* must all be expressible: a mode, an operation, an
  argument or argument value, a per-call option, a client setting, an expected
  error kind, or an argument built from a value the SDK cannot give. If one is
  not, the cell is not expressible (n/a), with the driver's reasons;
* what the scenario only *observes* (a result field, an event's id or data
  field, an error field, a header or an Idempotency-Key the server saw) is, when
  unsupported, taken out of the expectations, and the cell runs with every other
  check. The checks taken out are listed with the cell ("pass*").

Requirement names:

=================================  =====================================================
``mode:strict``                    the cell runs in strict mode
``client:<name>``                  a client setting (``max_retries``, ``timeout``, ``api_key``)
``op:<op>``                        an operation
``arg:<op>.<name>``                an argument; ``arg:<op>.<name>=null`` / ``=""`` that value
``option:<name>``                  a per-call option
``result:<op>:<path>``             a field of the result, dotted, ``[]`` for list items,
                                   from ``expect.result`` or a reference to a saved result
``event:id``                       event ids (``firstId``, ``consecutiveIds``, ``uniqueIds``,
                                   an ``id`` in an event matcher, ``$stream.last_id``)
``event:<type>:<path>``            a field of an event's data; ``event:<type>:output_text``
``error:<field>``                  a field of an expected error; ``error:kind=<kind>`` a kind
``server:idempotency_key``         the server must see Idempotency-Key headers
``server:last_event_id``           the server must see a Last-Event-ID (a resume)
``server:header:<name>``           a header the server saw, checked by a matcher
=================================  =====================================================

Patterns match whole names; ``*`` matches any run of characters (nothing else is
special, so ``data[]`` is literal).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from refs import EMBEDDED_REF, WHOLE_REF

__all__ = [
    "Waived",
    "effective_expect",
    "missing",
    "pattern_matches",
    "requirements",
    "waivable",
    "waive",
]

_STREAM_OPS = {"chat.send_message_stream", "executions.stream", "conversation.stream_events"}


def effective_expect(step: Mapping[str, Any], mode: str) -> Any:
    """The expectation that holds for ``step`` in ``mode``."""
    if mode == "strict" and "expectStrict" in step:
        return step["expectStrict"]
    return step.get("expect")


def _is_operator(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and bool(value)
        and all(str(k).startswith("$$") for k in value)
    )


def _paths(value: Any, prefix: str = "") -> Iterable[str]:
    """Every key path an expected value names (dotted; ``[]`` for list items)."""
    if _is_operator(value):
        inner = value.get("$$unsetOrMatches")
        if inner is not None:
            yield from _paths(inner, prefix)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            yield path
            yield from _paths(item, path)
    elif isinstance(value, list):
        for item in value:
            yield from _paths(item, f"{prefix}[]")


def _refs(value: Any) -> Iterable[tuple[str, list[str]]]:
    """(name, path segments) of every reference in ``value``."""
    if isinstance(value, str):
        whole = WHOLE_REF.match(value)
        if whole:
            yield whole.group(1), [s for s in whole.group(2).split(".") if s]
        for found in EMBEDDED_REF.finditer(value):
            yield found.group(1), [s for s in found.group(2).split(".") if s]
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _refs(item)


def _dotted(segments: list[str]) -> str:
    out = ""
    for segment in segments:
        if segment.lstrip("-").isdigit():
            out += "[]"
        else:
            out += f".{segment}" if out else segment
    return out


class _Saved:
    """What each saved name holds: a stream, an error, or an operation's result."""

    def __init__(self) -> None:
        self.kinds: dict[str, tuple[str, str]] = {}

    def needs(self, value: Any) -> set[str]:
        found: set[str] = set()
        for name, segments in _refs(value):
            if name not in self.kinds or not segments:
                continue
            kind, op = self.kinds[name]
            if kind == "error" or (kind == "stream" and segments[0] == "error"):
                rest = segments[1:] if segments[0] == "error" else segments
                if rest:
                    found.add(f"error:{rest[0]}")
            elif kind == "stream":
                if segments[0] == "last_id" or (
                    segments[0] == "events"
                    and len(segments) >= 3
                    and segments[2] == "id"
                ):
                    found.add("event:id")
            else:
                found.add(f"result:{op}:{_dotted(segments)}")
        return found


def _event_needs(expected: Mapping[str, Any]) -> set[str]:
    found: set[str] = set()
    if any(key in expected for key in ("firstId", "consecutiveIds", "uniqueIds")):
        found.add("event:id")
    for key in ("match", "contains"):
        for matcher in expected.get(key) or []:
            if not isinstance(matcher, dict):
                continue
            if "id" in matcher:
                found.add("event:id")
            kind = matcher.get("type")
            if not isinstance(kind, str):
                continue
            if "output_text" in matcher:
                found.add(f"event:{kind}:output_text")
            if not matcher.get("unknown"):
                found.update(
                    f"event:{kind}:{path}" for path in _paths(matcher.get("data"))
                )
    return found


def _expect_needs(op: str, expect: Mapping[str, Any]) -> set[str]:
    found: set[str] = set()
    if "result" in expect:
        found.update(f"result:{op}:{path}" for path in _paths(expect["result"]))
    if isinstance(expect.get("events"), dict):
        found |= _event_needs(expect["events"])
    if isinstance(expect.get("error"), dict):
        for key in expect["error"]:
            found.add(
                f"error:kind={expect['error'][key]}"
                if key == "kind"
                else f"error:{key}"
            )
    return found


def _server_needs(expected: Mapping[str, Any]) -> set[str]:
    found: set[str] = set()
    for rule in expected.get("requests") or []:
        if any(
            key in rule
            for key in (
                "sameIdempotencyKey",
                "distinctIdempotencyKeys",
                "idempotencyKey",
            )
        ):
            found.add("server:idempotency_key")
        if any(value is not None for value in rule.get("lastEventIds") or []):
            found.add("server:last_event_id")
        for name, matcher in (rule.get("headers") or {}).items():
            absent = matcher == {"$$exists": False}
            if name == "idempotency-key" and not absent:
                found.add("server:idempotency_key")
            elif name == "last-event-id" and not absent:
                found.add("server:last_event_id")
            elif name not in ("idempotency-key", "last-event-id"):
                found.add(f"server:header:{name}")
    return found


def requirements(document: Mapping[str, Any], mode: str) -> set[str]:
    """Everything the scenario needs from an SDK to run in ``mode``."""
    found: set[str] = set()
    if mode == "strict":
        found.add("mode:strict")
    found.update(f"client:{key}" for key in document.get("client") or {})
    saved = _Saved()
    for step in document["steps"]:
        op = step["op"]
        if op.startswith("mock."):
            if "saveAs" in step:
                saved.kinds[step["saveAs"]] = ("result", op)
            continue
        found.add(f"op:{op}")
        for name, value in (step.get("args") or {}).items():
            found.add(f"arg:{op}.{name}")
            if value is None:
                found.add(f"arg:{op}.{name}=null")
            elif value == "":
                found.add(f'arg:{op}.{name}=""')
        found.update(f"option:{name}" for name in step.get("options") or {})
        expect = effective_expect(step, mode)
        found |= saved.needs([step.get("args"), step.get("options"), expect])
        if isinstance(expect, dict):
            found |= _expect_needs(op, expect)
        if "saveAs" in step:
            if op in _STREAM_OPS:
                kind = "stream"
            elif isinstance(expect, dict) and "error" in expect:
                kind = "error"
            else:
                kind = "result"
            saved.kinds[step["saveAs"]] = (kind, op)
    server = document.get("expectServer")
    if isinstance(server, dict):
        found |= _server_needs(server)
        found |= saved.needs(server)
    return found


@lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if ch == "*" else re.escape(ch) for ch in pattern))


def pattern_matches(pattern: str, name: str) -> bool:
    return _compiled(pattern).fullmatch(name) is not None


def missing(
    needed: Iterable[str], unsupported: Mapping[str, str]
) -> list[tuple[str, str]]:
    """(requirement, reason) for every requirement the driver declares it cannot express."""
    out = []
    for name in sorted(needed):
        for pattern, reason in unsupported.items():
            if pattern_matches(pattern, name):
                out.append((name, reason))
                break
    return out


# Observations: an unsupported one is taken out of the expectations instead of
# making the cell n/a. An expected error kind is what a step is about, never waived.
_OBSERVATIONS = ("event:", "result:", "error:", "server:")


def waivable(name: str) -> bool:
    return name.startswith(_OBSERVATIONS) and not name.startswith("error:kind=")


class Waived:
    """The outcome of :func:`waive`: the document to run, the checks taken out, or why it cannot run."""

    def __init__(
        self,
        document: Mapping[str, Any] | None,
        waived: list[tuple[str, str]],
        blocking: list[tuple[str, str]],
    ) -> None:
        self.document = document
        self.waived = waived
        self.blocking = blocking


def waive(
    document: Mapping[str, Any], mode: str, unsupported: Mapping[str, str]
) -> Waived:
    """The scenario as ``unsupported`` lets it run in ``mode`` (see the module docstring)."""
    lacking = missing(requirements(document, mode), unsupported)
    if not lacking:
        return Waived(document, [], [])
    blocking = [(name, reason) for name, reason in lacking if not waivable(name)]
    if blocking:
        return Waived(None, [], blocking)

    def off(name: str) -> bool:
        return any(pattern_matches(pattern, name) for pattern in unsupported)

    doc = copy.deepcopy(dict(document))
    saved = _Saved()

    def uses_off(value: Any) -> bool:
        return any(off(name) for name in saved.needs(value))

    def strip(value: Any, prefix: str, name_of: Any) -> Any:
        if isinstance(value, dict) and not _is_operator(value):
            out = {}
            for key, item in value.items():
                path = f"{prefix}.{key}" if prefix else str(key)
                if off(name_of(path)) or uses_off(item):
                    continue
                out[key] = strip(item, path, name_of)
            return out
        if isinstance(value, list):
            return [strip(item, f"{prefix}[]", name_of) for item in value]
        return value

    def strip_events(expected: dict[str, Any]) -> dict[str, Any]:
        out = {
            k: v
            for k, v in expected.items()
            if not (k in ("firstId", "consecutiveIds", "uniqueIds") and off("event:id"))
        }
        for key in ("match", "contains"):
            if key not in out:
                continue
            matchers = []
            for matcher in out[key]:
                if isinstance(matcher, dict):
                    kind = matcher.get("type")
                    matcher = {
                        k: v
                        for k, v in matcher.items()
                        if not (k == "id" and off("event:id"))
                        and not (
                            k == "output_text" and off(f"event:{kind}:output_text")
                        )
                        and not (k != "type" and uses_off(v))
                    }
                    if (
                        isinstance(kind, str)
                        and not matcher.get("unknown")
                        and "data" in matcher
                    ):
                        matcher["data"] = strip(
                            matcher["data"],
                            "",
                            lambda path, kind=kind: f"event:{kind}:{path}",
                        )
                matchers.append(matcher)
            out[key] = matchers
        return out

    def strip_expect(op: str, expect: dict[str, Any]) -> dict[str, Any]:
        out = dict(expect)
        if "result" in out:
            out["result"] = strip(out["result"], "", lambda path: f"result:{op}:{path}")
        if isinstance(out.get("events"), dict):
            out["events"] = strip_events(out["events"])
        if isinstance(out.get("error"), dict):
            out["error"] = {
                k: v
                for k, v in out["error"].items()
                if k == "kind" or not (off(f"error:{k}") or uses_off(v))
            }
        return out

    for step in doc["steps"]:
        op = step["op"]
        if op.startswith("mock."):
            if "saveAs" in step:
                saved.kinds[step["saveAs"]] = ("result", op)
            continue
        for key in ("expect", "expectStrict"):
            if isinstance(step.get(key), dict):
                step[key] = strip_expect(op, step[key])
        if "saveAs" in step:
            expect = effective_expect(step, mode)
            if op in _STREAM_OPS:
                kind = "stream"
            elif isinstance(expect, dict) and "error" in expect:
                kind = "error"
            else:
                kind = "result"
            saved.kinds[step["saveAs"]] = (kind, op)

    server = doc.get("expectServer")
    if isinstance(server, dict):
        rules = []
        for rule in server.get("requests") or []:
            rule = dict(rule)
            if off("server:idempotency_key"):
                for key in (
                    "sameIdempotencyKey",
                    "distinctIdempotencyKeys",
                    "idempotencyKey",
                ):
                    rule.pop(key, None)
            if off("server:last_event_id") and any(
                v is not None for v in rule.get("lastEventIds") or []
            ):
                rule.pop("lastEventIds")
            if "headers" in rule:
                headers = {}
                for name, matcher in rule["headers"].items():
                    absent = matcher == {"$$exists": False}
                    if (
                        name == "idempotency-key"
                        and not absent
                        and off("server:idempotency_key")
                    ):
                        continue
                    if (
                        name == "last-event-id"
                        and not absent
                        and off("server:last_event_id")
                    ):
                        continue
                    if name not in ("idempotency-key", "last-event-id") and off(
                        f"server:header:{name}"
                    ):
                        continue
                    headers[name] = matcher
                rule["headers"] = headers
            rules.append(rule)
        if "requests" in server:
            server["requests"] = rules

    still = missing(requirements(doc, mode), unsupported)
    if still:
        # What is left is used as input (an argument built from a value the SDK cannot give).
        return Waived(None, [], still)
    return Waived(doc, lacking, [])
