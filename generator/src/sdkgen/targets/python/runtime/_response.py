"""Decoding a successful response with the generated model's `from_dict`."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import httpx

from ._errors import APIError

__all__ = ["parse"]

_T = TypeVar("_T")


def parse(response: httpx.Response, from_dict: Callable[[Mapping[str, Any]], _T]) -> _T:
    """The response body decoded by a generated model; a body that does not match the
    spec raises `APIError` (naming the status and the problem, never the request headers)."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise APIError(f"the {response.status_code} response is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise APIError(f"the {response.status_code} response is not a JSON object")
    try:
        return from_dict(body)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise APIError(f"the {response.status_code} response does not match the spec: {exc!r}") from exc
