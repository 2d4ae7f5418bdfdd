"""How long to wait before trying again: exponential backoff with equal jitter, capped, and
the networks' own rate-limit headers, which come in three formats:

* ``Retry-After``: delta seconds or an HTTP date (RFC 9110 §10.2.3);
* ``X-RateLimit-Reset`` on Mastodon: an ISO 8601 timestamp;
* ``x-rate-limit-reset`` on X: Unix epoch seconds; ``ratelimit-reset`` / float seconds
  elsewhere (Bluesky sends epoch seconds too).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


@dataclass(frozen=True, slots=True)
class Backoff:
    base: float = 1.0
    cap: float = 60.0
    attempts: int = 4
    """Sends per part in one run, first one included."""

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Wait before send number ``attempt + 1`` (``attempt`` >= 1): *equal* jitter, a
        random wait between half the exponential ceiling and the ceiling. Full jitter (0 to
        the ceiling) spreads competing clients a little better, but may retry at once; a
        publisher retrying a network that just failed should always leave it some room, and
        we are one client per account, not a crowd."""
        ceiling = min(self.cap, self.base * 2 ** (attempt - 1))
        return (rng or random).uniform(ceiling / 2, ceiling)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def wait_from_headers(headers: Mapping[str, str], now: datetime) -> float | None:
    """Seconds the network asks us to wait, from whichever header it sent; None if none."""
    lower = {k.lower(): v.strip() for k, v in headers.items()}
    value = lower.get("retry-after")
    if value:
        seconds = _number(value)
        if seconds is not None:
            return max(0.0, seconds)
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            return max(0.0, (when - now).total_seconds())
    for name in ("x-ratelimit-reset", "x-rate-limit-reset", "ratelimit-reset"):
        value = lower.get(name)
        if not value:
            continue
        number = _number(value)
        if number is not None:
            # Epoch seconds are large; small numbers are a delay in seconds.
            return max(0.0, number - now.timestamp()) if number > 1e9 else max(0.0, number)
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            continue
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - now).total_seconds())
    return None
