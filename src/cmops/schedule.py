"""Time semantics of the calendar (pure: ``now`` is always passed in, never read).

``publish_at`` is either absolute (it carries an offset or ``Z``) or local wall-clock time,
read in the channel's time zone. A local time that does not exist (the spring-forward gap) or
exists twice (the fall-back overlap) is refused rather than guessed: a post must never go out
an hour off without anyone having decided it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class TimeError(ValueError):
    """A time that cannot be placed on the timeline; the message is for the content author."""


@cache
def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name`` or :class:`TimeError` (cached: one lookup per zone per run)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise TimeError(f"unknown time zone {name!r}; use an IANA name such as "
                        "Europe/Paris or America/New_York") from None


_DURATION = re.compile(r"([0-9]+)(m|h|d)\Z")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_duration(text: str) -> timedelta:
    """``90m``, ``6h``, ``2d`` -> timedelta."""
    match = _DURATION.match(text)
    if not match:
        raise TimeError(f"{text!r} is not a duration; write e.g. 90m, 6h or 2d")
    return timedelta(**{_UNITS[match[2]]: int(match[1])})


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise TimeError(f"{text!r} is not a valid date (YYYY-MM-DD)") from None


def has_offset(text: str) -> bool:
    return text.endswith(("Z", "z")) or bool(re.search(r"[+-]\d{2}:\d{2}\Z", text))


def resolve_local(wall: datetime, tz: ZoneInfo) -> datetime:
    """Place a naive wall-clock time in ``tz``; refuse times in a DST gap or overlap."""
    first = wall.replace(tzinfo=tz, fold=0)
    second = wall.replace(tzinfo=tz, fold=1)
    if first.utcoffset() != second.utcoffset():
        # zoneinfo's fold trick: a time in a gap maps back to a different wall time,
        # a time in an overlap maps back to itself with either fold.
        back = first.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
        if back != wall:
            raise TimeError(
                f"{wall:%Y-%m-%d %H:%M} does not exist in {tz.key}: the clocks skip it "
                "(daylight saving time starts); pick another time")
        raise TimeError(
            f"{wall:%Y-%m-%d %H:%M} happens twice in {tz.key} (daylight saving time ends); "
            f"write it with an offset, e.g. {first.isoformat(timespec='minutes')} or "
            f"{second.isoformat(timespec='minutes')}")
    return first.astimezone(UTC)


def resolve_publish_at(text: str, tz_name: str | None) -> datetime:
    """``publish_at`` as an aware UTC datetime. Local times need ``tz_name``."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise TimeError(f"{text!r} is not a valid date and time") from None
    if parsed.tzinfo is not None:
        return parsed.astimezone(UTC)
    if not tz_name:
        raise TimeError(f"{text!r} has no offset and the calendar has no timezone; "
                        "add an offset (e.g. +01:00) or set timezone in channels.yaml")
    return resolve_local(parsed, zone(tz_name))
