"""KSUID ids and timestamps, the way the API spells them."""

from __future__ import annotations

import os
import time
from datetime import datetime, timezone

__all__ = ["BASE62", "ksuid", "utc_now"]

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_KSUID_EPOCH = 1_400_000_000
_KSUID_LENGTH = 27


def ksuid() -> str:
    """A KSUID: 4 bytes of seconds since the KSUID epoch and 16 random bytes, as 27 base62 chars."""
    seconds = max(0, int(time.time()) - _KSUID_EPOCH)
    number = int.from_bytes(seconds.to_bytes(4, "big") + os.urandom(16), "big")
    chars = []
    while number:
        number, rest = divmod(number, 62)
        chars.append(BASE62[rest])
    return "".join(reversed(chars)).rjust(_KSUID_LENGTH, "0")


def utc_now() -> str:
    """The current time as an RFC 3339 timestamp in UTC with microseconds and a ``Z``."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
