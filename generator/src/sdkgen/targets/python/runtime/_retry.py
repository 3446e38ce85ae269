"""The retry policy (RUNTIME.md "Retries"): what is retried and how long to wait."""

from __future__ import annotations

import email.utils
from collections.abc import Callable

import httpx

__all__ = ["INITIAL_DELAY", "MAX_DELAY", "MAX_RETRY_AFTER", "retry_delay", "should_retry"]

INITIAL_DELAY = 0.5
MAX_DELAY = 8.0
MAX_RETRY_AFTER = 60.0
RETRY_STATUSES = frozenset({408, 409, 429})


def should_retry(response: httpx.Response) -> bool:
    """Whether an error response is worth another attempt (connection errors always are)."""
    override = response.headers.get("x-should-retry", "").strip().lower()
    if override == "true":
        return True
    if override == "false":
        return False
    return response.status_code in RETRY_STATUSES or response.status_code >= 500


def _server_delay(response: httpx.Response | None, now: Callable[[], float]) -> float | None:
    if response is None:
        return None
    ms = response.headers.get("retry-after-ms")
    if ms is not None:
        try:
            return float(ms) / 1000.0
        except ValueError:
            pass
    ra = response.headers.get("retry-after")
    if ra is None:
        return None
    try:
        return float(ra)
    except ValueError:
        pass
    parsed = email.utils.parsedate_tz(ra)
    if parsed is None:
        return None
    return float(email.utils.mktime_tz(parsed)) - now()


def retry_delay(
    retry_index: int,
    response: httpx.Response | None,
    *,
    now: Callable[[], float],
    random: Callable[[], float],
) -> float:
    """Seconds to wait before retry `retry_index` (0-based).

    The server's `retry-after-ms` / `Retry-After` when it gives a value in [0, 60];
    otherwise `min(0.5 * 2**n, 8)` times a jitter factor in [0.75, 1.0].
    """
    server = _server_delay(response, now)
    if server is not None and 0.0 <= server <= MAX_RETRY_AFTER:
        return server
    base = min(INITIAL_DELAY * (2.0**retry_index), MAX_DELAY)
    return base * (0.75 + 0.25 * random())
