"""JSON in and out of the mock, safe against hostile input.

:func:`parse_body` is the only way a request body becomes data. It refuses, with
:class:`InvalidJson` (answered as 400 ``invalid_json``), everything the standard
library would accept but the mock cannot store or send back as JSON:

* bytes that are not UTF-8, or a leading byte order mark;
* ``NaN``, ``Infinity``, ``-Infinity``, and numbers too large for a double
  (``1e999``), which Python would turn into non-finite floats and later print
  as ``Infinity`` (not JSON);
* integers of more than 4300 digits (Python's own conversion limit);
* strings (values or keys) holding a lone UTF-16 surrogate (``"\\ud800"``),
  which no UTF-8 encoder, SQLite's included, can store;
* an object with the same key twice (RFC 8259 leaves the meaning open);
* nesting deeper than :data:`MAX_DEPTH` arrays and objects (deeper documents
  make recursive code, Python's parser and JSON Schema validators included,
  fail with ``RecursionError``).

:func:`dumps` is the only way data becomes JSON text: compact, UTF-8, and never
``NaN``/``Infinity`` (``allow_nan=False``), so a value that slipped through can
never reach the wire as invalid JSON.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

__all__ = ["MAX_DEPTH", "InvalidJson", "dumps", "dumps_text", "parse_body", "quote"]

MAX_DEPTH = 64
"""The deepest nesting of arrays and objects a request body may have (the top level counts as 1)."""

_SURROGATE = re.compile("[\ud800-\udfff]")


class InvalidJson(ValueError):
    """A request body the mock refuses as JSON; the message says why, without echoing the body."""


def quote(text: str, limit: int = 40) -> str:
    """``text`` as a short, ASCII-only JSON string literal, safe to put in an error message."""
    clipped = text if len(text) <= limit else text[:limit] + "..."
    return json.dumps(clipped, ensure_ascii=True)


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise InvalidJson(f"the number {text[:40]} is out of range (not a finite double)")
    return value


def _constant(name: str) -> Any:
    raise InvalidJson(f"{name} is not valid JSON")


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise InvalidJson(f"the key {quote(key)} appears twice in one object")
        result[key] = value
    return result


def _check_string(text: str, where: str) -> None:
    match = _SURROGATE.search(text)
    if match is not None:
        raise InvalidJson(
            f"{where} holds a lone UTF-16 surrogate (U+{ord(match.group()):04X}), which is not Unicode text"
        )


def _check_tree(value: Any) -> None:
    """Depth and strings, without recursion (the tree came from the parser, so it has no cycles)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            if depth > MAX_DEPTH:
                raise InvalidJson(f"it is nested deeper than {MAX_DEPTH} levels")
            for key, item in node.items():
                _check_string(key, "an object key")
                stack.append((item, depth + 1))
        elif isinstance(node, list):
            if depth > MAX_DEPTH:
                raise InvalidJson(f"it is nested deeper than {MAX_DEPTH} levels")
            stack.extend((item, depth + 1) for item in node)
        elif isinstance(node, str):
            _check_string(node, "a string")


def parse_body(raw: bytes) -> Any:
    """Parse a request body; raise :class:`InvalidJson` saying what is wrong (never another exception)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidJson(f"it is not UTF-8 (byte {exc.start} cannot be decoded)") from None
    if text.startswith("\ufeff"):
        raise InvalidJson("it starts with a byte order mark")
    try:
        value = json.loads(text, parse_constant=_constant, parse_float=_finite, object_pairs_hook=_unique)
    except InvalidJson:
        raise
    except RecursionError:
        raise InvalidJson(f"it is nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:  # json.JSONDecodeError, and int()'s digit limit
        raise InvalidJson(str(exc)[:200]) from None
    _check_tree(value)
    return value


# Made once: json.dumps builds a new encoder on every call that passes any option.
_TEXT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode
_ASCII = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode


def dumps_text(value: Any) -> str:
    """Compact JSON text; ``ValueError`` for a non-finite number (never written as ``NaN``/``Infinity``)."""
    return _TEXT(value)


def dumps(value: Any) -> bytes:
    """Compact JSON as UTF-8 bytes. A lone surrogate, should one get this far, is written escaped."""
    text = _TEXT(value)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _ASCII(value).encode("ascii")
