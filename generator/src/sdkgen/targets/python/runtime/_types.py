"""Small shared types: the NOT_GIVEN sentinel, per-call options, the SDK's identity."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal, Self, TypeVar

import httpx

__all__ = ["NOT_GIVEN", "NotGiven", "RequestOptions", "SdkIdentity", "TimeoutTypes", "is_given"]

_T = TypeVar("_T")


class NotGiven:
    """The value of an argument the caller left out, where `None` means something
    (`title=None` clears a title; leaving `title` out keeps it)."""

    _instance: Self | None = None

    def __new__(cls) -> Self:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven()

TimeoutTypes = float | httpx.Timeout | None


def is_given(value: _T | NotGiven) -> bool:
    return not isinstance(value, NotGiven)


@dataclass(frozen=True)
class RequestOptions:
    """What one call may override (RUNTIME.md: every per-call options bag)."""

    extra_headers: Mapping[str, str] | None = None
    timeout: TimeoutTypes | NotGiven = NOT_GIVEN
    max_retries: int | NotGiven = NOT_GIVEN
    idempotency_key: str | NotGiven = NOT_GIVEN


@dataclass(frozen=True)
class SdkIdentity:
    """Who the SDK is; rendered by the generator from the spec's `x-sdk`."""

    name: str  # "PromptRails"
    package: str  # "promptrails"
    slug: str  # "promptrails": User-Agent {slug}-python/{version}, as every SDK spells it
    version: str
    env_prefix: str  # "PROMPTRAILS"
    default_base_url: str
    auth_header: str | None
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def user_agent(self) -> str:
        return f"{self.slug}-python/{self.version}"
