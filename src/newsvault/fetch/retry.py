"""How long to wait before trying a failed fetch again.

Hundreds of feeds are polled at once and an outage often hits many of them on
the same host together, so waits grow exponentially and are jittered: without
jitter every failed fetch would come back in the same instant and hit the
recovering server as one wave.
"""

from __future__ import annotations

import random
import time
from datetime import UTC
from email.utils import parsedate_to_datetime


def backoff_delay(attempt: int, base: float, cap: float) -> float:
    """Wait before retry number `attempt` (1 for the first retry).

    Half of the exponential step is fixed and half random, so the wait never
    collapses to zero yet retries still spread out.
    """
    step: float = min(cap, base * 2.0 ** (attempt - 1))
    return step / 2 + random.uniform(0, step / 2)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds asked for by a Retry-After header (delta-seconds or HTTP-date).

    Returns None when the header is absent or unreadable, so the caller falls
    back to its own backoff instead of trusting garbage.
    """
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # HTTP dates are always GMT, even written as "-0000"
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))
