"""Decoding a successful response into a generated model (RUNTIME.md "Reading responses")."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TypeVar

import httpx

from ._errors import APIError, APIResponseValidationError
from ._reading import Reader, Unusable, shape_of

__all__ = ["parse"]

_T = TypeVar("_T")


def _unusable(response: httpx.Response, why: str) -> APIError:
    return APIError(f"cannot read the {response.status_code} response: {why}", request=response.request)


def parse(response: httpx.Response, cls: type[_T], *, strict: bool = False, needs: Sequence[str] = ()) -> _T:
    """The body of `response` read as `cls`. Tolerant unless `strict`: then the first
    departure from the contract raises `APIResponseValidationError`. In both modes a body
    that is not a JSON object, or lacks one of `needs` (attributes the call returns, such
    as an envelope's `data`), raises `APIError`: the response is unusable."""
    try:
        body: Any = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _unusable(response, f"it is not valid JSON ({exc})") from exc
    if not isinstance(body, dict):
        raise _unusable(response, "it is not a JSON object")
    reader = Reader()
    try:
        result: _T = reader.model(shape_of(cls), body)
    except Unusable as exc:
        raise _unusable(response, str(exc)) from exc
    for name in needs:
        if getattr(result, name, None) is None:
            raise _unusable(response, f"it has no {name}")
    if strict and reader.mismatches:
        first = reader.mismatches[0]
        raise APIResponseValidationError(path=first.path, reason=first.reason, response=response, body=body)
    return result
