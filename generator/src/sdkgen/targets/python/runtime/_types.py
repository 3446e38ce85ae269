"""Small shared types: the NOT_GIVEN sentinel, per-call options, the SDK's identity and its
security schemes, the file inputs of binary and multipart bodies."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Final, Literal, Self, TypeVar

import httpx

__all__ = [
    "NOT_GIVEN",
    "AuthSpec",
    "FileContent",
    "FileTypes",
    "NotGiven",
    "RequestOptions",
    "SdkIdentity",
    "TimeoutTypes",
    "is_given",
    "new_idempotency_key",
    "request_options",
]

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

# What a binary body or a multipart file part takes: the bytes, an open binary file, or a
# path; optionally with a file name and a content type: (name, content[, content_type]).
FileContent = bytes | IO[bytes] | os.PathLike[str]
FileTypes = FileContent | tuple[str | None, FileContent] | tuple[str | None, FileContent, str | None]


def is_given(value: _T | NotGiven) -> bool:
    return not isinstance(value, NotGiven)


@dataclass(frozen=True)
class RequestOptions:
    """What one call may override or add (RUNTIME.md "Per-request options and the escape
    hatch"). `extra_headers` values of None remove a header the SDK would send."""

    extra_headers: Mapping[str, str | None] | None = None
    extra_query: Mapping[str, object] | None = None
    extra_body: Mapping[str, object] | None = None
    timeout: TimeoutTypes | NotGiven = NOT_GIVEN
    max_retries: int | NotGiven = NOT_GIVEN
    idempotency_key: str | NotGiven = NOT_GIVEN


@dataclass(frozen=True)
class AuthSpec:
    """One security scheme of the API, as the generator read it from the spec.

    kind: "api_key" (the credential as is), "bearer", "oauth2", "openid" (`prefix` +
    token), "basic" (`prefix` + base64 of `username:password`), "mutual_tls" (nothing to
    send: the caller configures the HTTP client). `location` is where `param` goes
    ("header", "query", "cookie"; "transport" for mutual TLS). `option` is the client's
    keyword argument for the credential, `env` the environment variables it falls back to
    (one; or username and password for basic).
    """

    key: str
    option: str
    kind: str
    location: str
    param: str
    prefix: str = ""
    env: tuple[str, ...] = ()


@dataclass(frozen=True)
class SdkIdentity:
    """Who the SDK is; rendered by the generator from the spec's `x-sdk` and security."""

    name: str  # the client class, e.g. "Notebook"
    package: str  # the import name, e.g. "notebook": also the root of the SDK's loggers
    slug: str  # User-Agent {slug}-python/{version}, as every SDK spells it
    version: str
    env_prefix: str  # {PREFIX}_BASE_URL, {PREFIX}_LOG
    default_base_url: str
    auth: tuple[AuthSpec, ...] = ()
    # Whether every operation needs credentials: then a client without any is refused at
    # construction; otherwise only the calls that need them fail.
    auth_required: bool = False

    @property
    def user_agent(self) -> str:
        return f"{self.slug}-python/{self.version}"


def request_options(
    *,
    extra_headers: Mapping[str, str | None] | None,
    extra_query: Mapping[str, object] | None,
    extra_body: Mapping[str, object] | None,
    timeout: TimeoutTypes | NotGiven,
    max_retries: int | NotGiven,
    idempotency_key: str | NotGiven = NOT_GIVEN,
    idempotent: bool = False,
) -> RequestOptions:
    """The options of one call; an idempotent call gets its key now (the caller's, or a new
    UUID4), so every retry and every re-sent stream request carries the same one."""
    if idempotent and not isinstance(idempotency_key, str):
        idempotency_key = new_idempotency_key()
    # What `RequestOptions(...)` makes, without the frozen dataclass's six guarded
    # `object.__setattr__` calls (once per call of every method).
    options = _new(RequestOptions)
    options.__dict__.update(
        extra_headers=extra_headers,
        extra_query=extra_query,
        extra_body=extra_body,
        timeout=timeout,
        max_retries=max_retries,
        idempotency_key=idempotency_key,
    )
    return options


_new = object.__new__
_urandom = os.urandom


def new_idempotency_key() -> str:
    """A new Idempotency-Key: a random UUID (version 4, RFC 4122 variant) in its usual text
    form, what `str(uuid.uuid4())` gives, made from the same 16 random bytes without
    building a `uuid.UUID` (whose checks cost more than the key itself)."""
    b = bytearray(_urandom(16))
    b[6] = (b[6] & 0x0F) | 0x40  # version 4
    b[8] = (b[8] & 0x3F) | 0x80  # variant RFC 4122
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
