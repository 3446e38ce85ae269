"""Argument checks and request-body building used by the generated resource methods.

Bad arguments fail before any request is sent, with `InvalidArgumentError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, TypeVar

from ._errors import InvalidArgumentError
from ._types import NotGiven

__all__ = ["build_body", "check_arg", "check_path", "given"]

_M_co = TypeVar("_M_co", covariant=True)

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "map": (Mapping,),
    "model": (Mapping,),
    "array": (list, tuple),
}


def check_path(name: str, value: object) -> str:
    """A path parameter: a non-empty string."""
    if not isinstance(value, str):
        raise InvalidArgumentError(f"{name} must be a string, not {type(value).__name__}")
    if not value:
        raise InvalidArgumentError(f"{name} must not be empty")
    return value


def check_arg(name: str, value: object, kind: str, *, nullable: bool = False, choices: tuple[object, ...] = ()) -> None:
    """A query parameter or body field: of the spec's type (NOT_GIVEN always passes)."""
    if isinstance(value, NotGiven):
        return
    if value is None:
        if nullable:
            return
        raise InvalidArgumentError(f"{name} must not be None")
    types = _TYPES.get(kind)
    bad_bool = isinstance(value, bool) and kind in ("integer", "number")
    if (types is not None and not isinstance(value, types)) or bad_bool:
        raise InvalidArgumentError(f"{name} must be of type {kind}, not {type(value).__name__}")
    if choices and value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise InvalidArgumentError(f"{name} must be one of {allowed}, not {value!r}")


def given(**values: object) -> dict[str, Any]:
    """The keyword arguments the caller gave (NOT_GIVEN dropped)."""
    return {k: v for k, v in values.items() if not isinstance(v, NotGiven)}


class _FromDict(Protocol[_M_co]):
    def from_dict(self, src_dict: Mapping[str, Any], /) -> _M_co: ...


def build_body(model: _FromDict[_M_co], fields: Mapping[str, object]) -> _M_co:
    """The generated request model for the body fields the caller gave (wire names)."""
    body = {k: v for k, v in fields.items() if not isinstance(v, NotGiven)}
    try:
        return model.from_dict(body)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidArgumentError(f"invalid request body: {exc}") from exc
