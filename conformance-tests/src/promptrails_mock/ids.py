"""KSUID ids and timestamps, the way the API spells them."""

from __future__ import annotations

import os
import time
from datetime import datetime, timezone

__all__ = ["BASE62", "ksuid", "utc_now"]

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_KSUID_EPOCH = 1_400_000_000
_KSUID_LENGTH = 27


class _RandomBytes:
    """``os.urandom`` bytes, fetched 16 KiB at a time (a system call per id showed in busy servers' profiles)."""

    def __init__(self) -> None:
        self._buffer = b""
        self._offset = 0

    def take(self, count: int) -> bytes:
        if self._offset + count > len(self._buffer):
            self._buffer, self._offset = os.urandom(16384), 0
        chunk = self._buffer[self._offset : self._offset + count]
        self._offset += count
        return chunk


_random = _RandomBytes()
if hasattr(os, "register_at_fork"):  # a forked child must not hand out the parent's bytes again
    os.register_at_fork(after_in_child=lambda: _random.__init__())  # type: ignore[misc]


_PAIRS = [a + b for a in BASE62 for b in BASE62]  # base62 two digits at a time: half the divisions


def ksuid() -> str:
    """A KSUID: 4 bytes of seconds since the KSUID epoch and 16 random bytes, as 27 base62 chars."""
    seconds = max(0, int(time.time()) - _KSUID_EPOCH)
    number = int.from_bytes(seconds.to_bytes(4, "big") + _random.take(16), "big")
    chunks = []
    while number:
        number, rest = divmod(number, 3844)
        chunks.append(_PAIRS[rest])
    return "".join(reversed(chunks)).lstrip("0").rjust(_KSUID_LENGTH, "0")


def utc_now() -> str:
    """The current time as an RFC 3339 timestamp in UTC with microseconds and a ``Z``."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")[:-6] + "Z"  # without its +00:00
