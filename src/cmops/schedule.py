"""Time semantics of the calendar (pure: ``now`` is always passed in, never read).

``publish_at`` is either absolute (it carries an offset or ``Z``) or local wall-clock time,
read in the channel's time zone. A local time that does not exist (the spring-forward gap) or
exists twice (the fall-back overlap) is refused rather than guessed: a post must never go out
an hour off without anyone having decided it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
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


YEARS = (2000, 2100)
"""Dates cmops plans in, first and last year included: every date and time in content is
checked against them, so no arithmetic on a calendar ever leaves Python's date range."""
MAX_DURATION = timedelta(days=366)
"""The longest duration (max_delay, min_spacing, listening windows) and repeat interval."""

_DURATION = re.compile(r"([0-9]{1,30})(m|h|d)\Z")
_MINUTES = {"m": 1, "h": 60, "d": 1440, "w": 10080}


def _bounded(count: int, unit: str, text: str, what: str) -> timedelta:
    """``count`` units as a timedelta, refused past :data:`MAX_DURATION` (compared as
    integers first: ``99999999999999999d`` is no timedelta at all)."""
    minutes = count * _MINUTES[unit]
    if minutes > MAX_DURATION // timedelta(minutes=1):
        raise TimeError(f"{what} {text!r} is longer than a year; cmops takes at most "
                        "366d (8784h)")
    return timedelta(minutes=minutes)


def parse_duration(text: str) -> timedelta:
    """``90m``, ``6h``, ``2d`` -> timedelta, at most :data:`MAX_DURATION`."""
    match = _DURATION.match(text)
    if not match:
        raise TimeError(f"{text!r} is not a duration; write e.g. 90m, 6h or 2d")
    return _bounded(int(match[1]), match[2], text, "duration")


def _in_years(year: int, text: str) -> None:
    if not YEARS[0] <= year <= YEARS[1]:
        raise TimeError(f"{text!r} is outside the years cmops plans in ({YEARS[0]} to "
                        f"{YEARS[1]})")


def parse_date(text: str) -> date:
    """``YYYY-MM-DD`` -> date, in :data:`YEARS`."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise TimeError(f"{text!r} is not a valid date (YYYY-MM-DD)") from None
    _in_years(day.year, text)
    return day


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
    _in_years(parsed.year, text)  # before any conversion: 9999-12-31T20:00-12:00 overflows
    if parsed.tzinfo is not None:
        return parsed.astimezone(UTC)
    if not tz_name:
        raise TimeError(f"{text!r} has no offset and the calendar has no timezone; "
                        "add an offset (e.g. +01:00) or set timezone in channels.yaml")
    return resolve_local(parsed, zone(tz_name))


_EVERY = re.compile(r"([1-9][0-9]{0,29})(h|d|w)\Z")


def parse_every(text: str) -> timedelta:
    """``12h``, ``30d``, ``2w`` -> timedelta (the interval of a repeating post), at most a
    year (:data:`MAX_DURATION`)."""
    match = _EVERY.match(text)
    if not match:
        raise TimeError(f"{text!r} is not an interval; write e.g. 12h, 30d or 2w")
    return _bounded(int(match[1]), match[2], text, "repeat interval")


def normalise_local(wall: datetime, tz: ZoneInfo) -> datetime:
    """A generated wall time (a repeat, a slot) placed in ``tz`` without refusing: a time in
    the spring-forward gap moves forward by the gap, a time in the overlap takes its first
    occurrence. Written times are refused instead (:func:`resolve_local`); generated ones
    must always land somewhere, deterministically."""
    return wall.replace(tzinfo=tz, fold=0).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Recurrence:
    """The occurrences of a repeating post, computed rather than enumerated: the time of
    occurrence ``n`` and the number of the latest occurrence at or before any instant are
    O(1), whatever the interval and however long ago the first one was.

    Day and week intervals step the local wall-clock time (09:30 stays 09:30 across DST);
    hour intervals step absolute time. Occurrences are numbered from 1 (the first).
    """

    first: datetime
    """UTC time of occurrence 1."""
    every: timedelta
    tz: ZoneInfo
    last: int | None = None
    """Number of the last occurrence (from count and until); None: no end."""

    @property
    def by_wall(self) -> bool:
        return self.every % timedelta(days=1) == timedelta(0)

    def at(self, n: int) -> datetime | None:
        """UTC time of occurrence ``n`` (ignoring ``last``); None past Python's date range."""
        try:
            if not self.by_wall:
                return self.first + (n - 1) * self.every
            wall = self.first.astimezone(self.tz).replace(tzinfo=None) + (n - 1) * self.every
            return normalise_local(wall, self.tz)
        except OverflowError:
            return None

    def times(self, numbers: range) -> Iterator[tuple[int, datetime]]:
        """(n, UTC time) of each occurrence in ``numbers``, as :meth:`at` gives them but
        without its per-call work (policy rules walk thousands); stops past Python's date
        range."""
        wall = self.first.astimezone(self.tz).replace(tzinfo=None) if self.by_wall else None
        try:
            for n in numbers:
                if wall is None:
                    yield n, self.first + (n - 1) * self.every
                else:
                    yield n, normalise_local(wall + (n - 1) * self.every, self.tz)
        except OverflowError:
            return

    def index_at(self, when: datetime) -> int:
        """Number of the latest occurrence at or before ``when`` (0: none yet), ignoring
        ``last``."""
        if when < self.first:
            return 0
        if not self.by_wall:
            return (when - self.first) // self.every + 1
        wall = self.first.astimezone(self.tz).replace(tzinfo=None)
        n = max(1, (when.astimezone(self.tz).replace(tzinfo=None) - wall) // self.every + 1)
        # A daylight-saving shift moves an occurrence by hours, the interval is days: at
        # most a step either way.
        while n > 1 and not _at_or_before(self.at(n), when):
            n -= 1
        while _at_or_before(self.at(n + 1), when):
            n += 1
        return n

    def between(self, start: datetime, end: datetime) -> range:
        """Numbers of the occurrences timed in ``[start, end]`` (within ``last``)."""
        low = self.index_at(start)
        if low == 0 or self.at(low) != start:
            low += 1
        high = self.index_at(end)
        if self.last is not None:
            high = min(high, self.last)
        return range(low, high + 1)


def _at_or_before(time: datetime | None, when: datetime) -> bool:
    return time is not None and time <= when


def recurrence(first: datetime, every: timedelta, tz: ZoneInfo, *, until: date | None,
               count: int | None) -> Recurrence:
    """The occurrences from ``first`` on, every ``every``: ``count`` of them at most, none
    on a local day after ``until``."""
    rec = Recurrence(first, every, tz)
    last = count
    if until is not None:
        try:
            midnight = normalise_local(datetime.combine(until + timedelta(days=1),
                                                        datetime.min.time()), tz)
        except OverflowError:
            midnight = None
        n = rec.index_at(midnight - timedelta(microseconds=1)) if midnight else \
            rec.index_at(datetime.max.replace(tzinfo=UTC) - every)
        while n > 0 and not _on_or_before(rec.at(n), tz, until):
            n -= 1
        while _on_or_before(rec.at(n + 1), tz, until):
            n += 1
        last = n if last is None else min(last, n)
    return Recurrence(first, every, tz, last)


def _on_or_before(time: datetime | None, tz: ZoneInfo, day: date) -> bool:
    return time is not None and time.astimezone(tz).date() <= day


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
