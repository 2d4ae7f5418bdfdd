"""Time semantics of the calendar (pure: ``now`` is always passed in, never read).

``publish_at`` is either absolute (it carries an offset or ``Z``) or local wall-clock time,
read in the channel's time zone. A local time that does not exist (the spring-forward gap) or
exists twice (the fall-back overlap) is refused rather than guessed: a post must never go out
an hour off without anyone having decided it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
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


_EVERY = re.compile(r"([1-9][0-9]*)(h|d|w)\Z")


def parse_every(text: str) -> timedelta:
    """``12h``, ``30d``, ``2w`` -> timedelta (the interval of a repeating post)."""
    match = _EVERY.match(text)
    if not match:
        raise TimeError(f"{text!r} is not an interval; write e.g. 12h, 30d or 2w")
    n, unit = int(match[1]), match[2]
    return timedelta(hours=n) if unit == "h" else timedelta(days=n * (7 if unit == "w" else 1))


def normalise_local(wall: datetime, tz: ZoneInfo) -> datetime:
    """A generated wall time (a repeat, a slot) placed in ``tz`` without refusing: a time in
    the spring-forward gap moves forward by the gap, a time in the overlap takes its first
    occurrence. Written times are refused instead (:func:`resolve_local`); generated ones
    must always land somewhere, deterministically."""
    return wall.replace(tzinfo=tz, fold=0).astimezone(UTC)


def repeat_times(first: datetime, every: timedelta, tz: ZoneInfo, *, until: date | None,
                 count: int | None, horizon: datetime) -> list[datetime]:
    """UTC times of every occurrence of a repeating post, first included, up to ``horizon``.

    Day and week intervals step the local wall-clock time (09:30 stays 09:30 across DST);
    hour intervals step absolute time.
    """
    out: list[datetime] = []
    wall = first.astimezone(tz).replace(tzinfo=None)
    by_wall = every % timedelta(days=1) == timedelta(0)
    current = first
    n = 0
    while True:
        if count is not None and n >= count:
            break
        if until is not None and current.astimezone(tz).date() > until:
            break
        if current > horizon:
            break
        out.append(current)
        n += 1
        if by_wall:
            wall += every
            current = normalise_local(wall, tz)
        else:
            current = current + every
    return out


DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAY_SETS = {"daily": frozenset(range(7)), "weekdays": frozenset(range(5)),
             "weekends": frozenset({5, 6})}


def parse_slot(text: str) -> tuple[frozenset[int], int, int]:
    """``"Mon-Fri 09:30"`` -> ({0..4}, 9, 30); also ``daily``, ``weekdays``, ``Sat,Sun``."""
    try:
        days_part, time_part = text.split(" ")
        hour, minute = (int(x) for x in time_part.split(":"))
        if days_part in _DAY_SETS:
            return _DAY_SETS[days_part], hour, minute
        days: set[int] = set()
        for chunk in days_part.split(","):
            first, _, last = chunk.partition("-")
            a, b = DAYS.index(first), DAYS.index(last or first)
            days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
        if not (0 <= hour < 24 and 0 <= minute < 60):
            raise ValueError
    except ValueError:
        raise TimeError(f"{text!r} is not a posting slot; write e.g. 'Mon-Fri 09:30' or "
                        "'daily 12:00'") from None
    return frozenset(days), hour, minute


def slot_times(slots: list[tuple[frozenset[int], int, int]], tz: ZoneInfo,
               start: date) -> Iterator[datetime]:
    """Every slot time (UTC, increasing) from the start of day ``start`` on, forever."""
    day = start
    while True:
        times = sorted({(h, m) for days, h, m in slots if day.weekday() in days})
        for hour, minute in times:
            yield normalise_local(datetime(day.year, day.month, day.day, hour, minute), tz)
        day += timedelta(days=1)
