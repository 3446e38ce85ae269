"""Logging (RUNTIME.md "Logging"): loggers under the SDK's package name.

    <package>.http     one line per attempt (method, path, status, time, request id), each
                       retry with its reason and delay; debug: the headers sent and received
                       (credentials and any header named like a key, token, secret or
                       cookie redacted; the Idempotency-Key shown)
    <package>.stream   each resume (its parameters and Last-Event-ID); debug: every frame's
                       event name and id

Nothing is configured unless the environment variable `{PREFIX}_LOG` is `info` or
`debug`: then one stderr handler at that level is attached to the `<package>` logger (once
per process). Bodies are never logged; credentials never appear.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Iterable, Mapping

import httpx

__all__ = ["REDACTED", "SdkLoggers", "configure_from_env", "redacted_headers", "redacted_url"]

REDACTED = "<redacted>"
_SECRET_NAME = re.compile(r"key|token|secret|auth|cookie|password|credential|signature", re.IGNORECASE)
_NOT_SECRET = {"idempotency-key"}  # logged at debug level (RUNTIME.md), never a credential
_HANDLER_MARK = "_sdk_env_handler"
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}


class SdkLoggers:
    """The loggers of one SDK (by its package name)."""

    __slots__ = ("http", "root", "stream")

    def __init__(self, package: str) -> None:
        self.root = logging.getLogger(package)
        self.http = logging.getLogger(f"{package}.http")
        self.stream = logging.getLogger(f"{package}.stream")


def configure_from_env(package: str, env_prefix: str) -> None:
    """Attach one stderr handler to the `package` logger when `{PREFIX}_LOG` asks for it."""
    level = _LEVELS.get(os.environ.get(f"{env_prefix}_LOG", "").strip().lower())
    if level is None:
        return
    root = logging.getLogger(package)
    if any(getattr(h, _HANDLER_MARK, False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    setattr(handler, _HANDLER_MARK, True)
    root.addHandler(handler)
    root.setLevel(level)


def redacted_headers(headers: Mapping[str, str] | httpx.Headers, secret: Iterable[str] = ()) -> dict[str, str]:
    """Headers fit for a log line: credentials (`secret` names) and anything named like a
    key, token, secret or cookie replaced by `<redacted>`."""
    names = {s.lower() for s in secret}
    return {
        k: (REDACTED if k.lower() in names or (_SECRET_NAME.search(k) and k.lower() not in _NOT_SECRET) else v)
        for k, v in (headers.items() if isinstance(headers, Mapping) else headers.multi_items())
    }


def redacted_url(url: httpx.URL, secret_params: Iterable[str] = ()) -> str:
    """The URL's path and query fit for a log line (credential parameters redacted)."""
    names = set(secret_params)
    if not url.query or not names:
        return url.raw_path.decode("ascii", "replace")
    params = [(k, REDACTED if k in names else v) for k, v in url.params.multi_items()]
    return url.copy_with(params=params).raw_path.decode("ascii", "replace")
