"""Argument checks the generated methods make before any request is sent
(`InvalidArgumentError`), and the body of given arguments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._encode import is_file
from ._errors import InvalidArgumentError
from ._types import NotGiven

__all__ = ["body_of", "check_arg", "check_path"]

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "map": (Mapping,),
    "model": (Mapping,),
    "array": (list, tuple),
}


def _type_error(name: str, value: object, kind: str) -> InvalidArgumentError:
    return InvalidArgumentError(f"{name} must be of type {kind}, not {type(value).__name__}")


def check_path(name: str, value: object, kind: str = "string") -> None:
    """A path parameter: given, of its type, and not an empty string."""
    if value is None or isinstance(value, NotGiven):
        raise InvalidArgumentError(f"{name} is required")
    check_arg(name, value, kind)
    if isinstance(value, str) and not value:
        raise InvalidArgumentError(f"{name} must not be empty")


def check_arg(
    name: str,
    value: object,
    kind: str,
    *,
    nullable: bool = False,
    choices: tuple[object, ...] = (),
    binary: bool = False,
) -> None:
    """A parameter or body field of the spec's type (NOT_GIVEN always passes; enums are
    checked by value, every other JSON kind by type; `binary`: a file input)."""
    if isinstance(value, NotGiven):
        return
    if value is None:
        if nullable:
            return
        raise InvalidArgumentError(f"{name} must not be None")
    if binary:
        if not is_file(value) and not isinstance(value, str):
            raise InvalidArgumentError(f"{name} must be bytes, a binary file, a path or (name, content), "
                                       f"not {type(value).__name__}")
        return
    types = _TYPES.get(kind)
    bad_bool = isinstance(value, bool) and kind in ("integer", "number")
    if (types is not None and not isinstance(value, types)) or bad_bool:
        raise _type_error(name, value, kind)
    if choices and value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise InvalidArgumentError(f"{name} must be one of {allowed}, not {value!r}")


def body_of(fields: Mapping[str, object], switch: Mapping[str, object] | None = None) -> dict[str, Any]:
    """The body fields the caller gave (by wire name; NOT_GIVEN dropped), plus the fields
    the method sets itself (a `stream: true` switch)."""
    body = {k: v for k, v in fields.items() if not isinstance(v, NotGiven)}
    if switch:
        body.update(switch)
    return body
