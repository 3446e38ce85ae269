"""Saved values and references to them.

A step's outcome can be saved by name (``saveAs: session``); later steps refer
to it:

* a string that is exactly a reference, ``$session.id`` or
  ``$stream.events.0.data.execution_id``, is replaced by the value itself
  (keeping its type);
* ``${session.id}`` inside a longer string is replaced by the value's text, as
  in the path ``/api/v1/chat/sessions/${session.id}/messages``.

Path segments are mapping keys or list indexes. ``$$`` starts a matcher
operator, never a reference. ``$workspace.api_key``, ``$driver.language``
(python, typescript, go) and ``$contract.sdk_version`` (openapi.yaml's
``info.x-sdk.version``) are predefined.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

__all__ = ["resolve", "lookup", "references_in", "ReferenceError_", "WHOLE_REF", "EMBEDDED_REF"]

WHOLE_REF = re.compile(r"^\$([A-Za-z_][A-Za-z0-9_]*)((?:\.[A-Za-z0-9_-]+)*)$")
EMBEDDED_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)((?:\.[A-Za-z0-9_-]+)*)\}")


class ReferenceError_(LookupError):
    """A reference names nothing saved, or a path that the saved value lacks."""


def lookup(saved: Mapping[str, Any], name: str, dotted: str) -> Any:
    if name not in saved:
        raise ReferenceError_(f"${name}{dotted}: nothing was saved as {name!r}")
    value = saved[name]
    for segment in [s for s in dotted.split(".") if s]:
        if isinstance(value, Mapping) and segment in value:
            value = value[segment]
        elif isinstance(value, list) and segment.lstrip("-").isdigit() and -len(value) <= int(segment) < len(value):
            value = value[int(segment)]
        else:
            raise ReferenceError_(f"${name}{dotted}: no {segment!r} in {str(value)[:120]}")
    return value


def resolve(value: Any, saved: Mapping[str, Any]) -> Any:
    """``value`` with every reference replaced by what it names."""
    if isinstance(value, str):
        whole = WHOLE_REF.match(value)
        if whole:
            return lookup(saved, whole.group(1), whole.group(2))
        return EMBEDDED_REF.sub(lambda m: str(lookup(saved, m.group(1), m.group(2))), value)
    if isinstance(value, list):
        return [resolve(item, saved) for item in value]
    if isinstance(value, dict):
        return {key: resolve(item, saved) for key, item in value.items()}
    return value


def references_in(value: Any) -> set[str]:
    """The saved names ``value`` refers to."""
    found: set[str] = set()
    if isinstance(value, str):
        whole = WHOLE_REF.match(value)
        if whole:
            found.add(whole.group(1))
        found.update(m.group(1) for m in EMBEDDED_REF.finditer(value))
    elif isinstance(value, list):
        for item in value:
            found |= references_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            found |= references_in(item)
    return found
