"""Matching an actual (wire-form) value against an expected one from a scenario.

The rules, after MongoDB's unified test format:

* A mapping matches when every expected key matches the actual value under that
  key; keys the expectation does not name are ignored (extra fields are fine:
  the API may grow). A key expected as ``null`` must be present and null.
* A list matches when it has the same length and every item matches in order.
* Scalars match by equality; ``1`` and ``1.0`` are equal, ``True`` and ``1``
  are not; two RFC 3339 timestamps are equal when they name the same instant
  (``...00Z`` and ``...00+00:00``).
* A mapping whose only key starts with ``$$`` is an operator:

  ``{$$type: string}``         the JSON type (string, integer, number, boolean,
                               null, object, array), or a list of them
  ``{$$matches: regex}``       a string that the regex matches (re.search)
  ``{$$exists: true|false}``   the key is present (or absent); only under a key
  ``{$$anyId: true}``          a non-empty id string ([A-Za-z0-9_-]{1,64})
  ``{$$timestamp: true}``      an RFC 3339 date-time string
  ``{$$length: n}``            a list or string of exactly n items
  ``{$$unsetOrMatches: x}``    absent, or matches x; only under a key
  ``{$$notContains: text}``    a string that does not contain text
  ``{$$eq: x}``                x literally (escapes a mapping with ``$$`` keys)
  ``{$$sumOf: {items: [...], field: name}}``
                               a number equal to the sum of ``field`` over the items
                               (an item without it, or with null, counts 0); equal
                               within 1e-9 relative, as float sums may round

:func:`match` returns a list of mismatches, each ``"path: reason"``; empty
means the value matched.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

__all__ = ["match", "OPERATORS", "json_type", "instant"]

_MISSING = object()

OPERATORS = frozenset(
    {
        "$$type",
        "$$matches",
        "$$exists",
        "$$anyId",
        "$$timestamp",
        "$$length",
        "$$unsetOrMatches",
        "$$notContains",
        "$$eq",
        "$$sumOf",
    }
)

_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_TIMESTAMP = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)


def json_type(value: Any) -> str:
    """The JSON type name of a decoded JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _short(value: Any) -> str:
    if value is _MISSING:
        return "<absent>"
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 160 else text[:157] + "..."


def _is_operator(expected: Any) -> bool:
    return (
        isinstance(expected, dict)
        and len(expected) == 1
        and next(iter(expected)).startswith("$$")
    )


def match(expected: Any, actual: Any, path: str = "$") -> list[str]:
    """Mismatches between ``expected`` (with operators) and ``actual``."""
    return _match(expected, actual, path)


def _match(expected: Any, actual: Any, path: str) -> list[str]:
    if _is_operator(expected):
        return _operator(expected, actual, path)
    if actual is _MISSING:
        return [f"{path}: expected {_short(expected)}, but the field is absent"]
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {_short(actual)}"]
        problems: list[str] = []
        for key, sub in expected.items():
            problems += _match(sub, actual.get(key, _MISSING), f"{path}.{key}")
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{path}: expected an array, got {_short(actual)}"]
        if len(expected) != len(actual):
            return [
                f"{path}: expected {len(expected)} items, got {len(actual)}: {_short(actual)}"
            ]
        problems = []
        for index, (sub, item) in enumerate(zip(expected, actual)):
            problems += _match(sub, item, f"{path}[{index}]")
        return problems
    if isinstance(expected, str) and isinstance(actual, str) and expected != actual:
        if _same_instant(expected, actual):
            return []
    if isinstance(expected, bool) or isinstance(actual, bool):
        same = type(expected) is type(actual) and expected == actual
    elif isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        same = expected == actual
    else:
        same = type(expected) is type(actual) and expected == actual
    return [] if same else [f"{path}: expected {_short(expected)}, got {_short(actual)}"]


def instant(text: str) -> datetime | None:
    """The instant an RFC 3339 timestamp names (``Z`` and ``+00:00`` alike), or None if it is not one."""
    if not _TIMESTAMP.match(text):
        return None
    try:
        return datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        return None


def _same_instant(a: str, b: str) -> bool:
    """Two RFC 3339 timestamps naming the same instant."""
    first, second = instant(a), instant(b)
    return first is not None and first == second


def _operator(expected: dict[str, Any], actual: Any, path: str) -> list[str]:
    name, arg = next(iter(expected.items()))
    if name == "$$exists":
        present = actual is not _MISSING
        if present == bool(arg):
            return []
        return [f"{path}: expected the field to be {'present' if arg else 'absent'}, got {_short(actual)}"]
    if name == "$$unsetOrMatches":
        return [] if actual is _MISSING else _match(arg, actual, path)
    if actual is _MISSING:
        return [f"{path}: expected {_short(expected)}, but the field is absent"]
    if name == "$$eq":
        return _match_literal(arg, actual, path)
    if name == "$$type":
        wanted = [arg] if isinstance(arg, str) else list(arg)
        got = json_type(actual)
        ok = got in wanted or (got == "integer" and "number" in wanted)
        return [] if ok else [f"{path}: expected type {'|'.join(wanted)}, got {got} {_short(actual)}"]
    if name == "$$matches":
        if isinstance(actual, str) and re.search(arg, actual):
            return []
        return [f"{path}: expected a string matching /{arg}/, got {_short(actual)}"]
    if name == "$$anyId":
        if isinstance(actual, str) and _ID.match(actual):
            return []
        return [f"{path}: expected an id, got {_short(actual)}"]
    if name == "$$timestamp":
        if isinstance(actual, str) and _TIMESTAMP.match(actual):
            return []
        return [f"{path}: expected an RFC 3339 timestamp, got {_short(actual)}"]
    if name == "$$length":
        if isinstance(actual, (list, str, dict)) and len(actual) == arg:
            return []
        size = len(actual) if isinstance(actual, (list, str, dict)) else "no length"
        return [f"{path}: expected length {arg}, got {size}"]
    if name == "$$sumOf":
        return _sum_of(arg, actual, path)
    if name == "$$notContains":
        if isinstance(actual, str) and arg not in actual:
            return []
        return [f"{path}: expected a string without {arg!r}, got {_short(actual)}"]
    return [f"{path}: unknown operator {name}"]


def _sum_of(arg: Any, actual: Any, path: str) -> list[str]:
    if not (isinstance(arg, dict) and isinstance(arg.get("items"), list) and isinstance(arg.get("field"), str)):
        return [f"{path}: $$sumOf needs {{items: [...], field: name}}, got {_short(arg)}"]
    total: float = 0
    for index, item in enumerate(arg["items"]):
        value = item.get(arg["field"]) if isinstance(item, dict) else None
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return [f"{path}: $$sumOf: items[{index}].{arg['field']} is not a number: {_short(value)}"]
        total += value
    if isinstance(actual, bool) or not isinstance(actual, (int, float)):
        return [f"{path}: expected a number (the sum of {arg['field']}), got {_short(actual)}"]
    if abs(actual - total) <= 1e-9 * max(1.0, abs(total)):
        return []
    return [f"{path}: expected the sum of {arg['field']} over {len(arg['items'])} items, {total!r}, got {actual!r}"]


def _match_literal(expected: Any, actual: Any, path: str) -> list[str]:
    if expected == actual and json_type(expected) == json_type(actual):
        return []
    return [f"{path}: expected {_short(expected)}, got {_short(actual)}"]
