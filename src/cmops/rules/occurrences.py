"""Which occurrences of a repeating post the policy rules look at, within a fixed budget.

A repeating post may never end, and may repeat every hour: the rules cannot look at every
occurrence. They look at those that can break a rule the others do not already show:

* quiet hours see the local times a post takes: a day interval keeps its wall-clock time, so
  its first 7 occurrences show every weekday it falls on; an hour interval comes back to the
  same UTC weekday and hour within 168 occurrences. Both are looked at from the first
  occurrence and again half a year later, the other side of daylight saving;
* blackouts are asked directly: the first occurrence inside each blackout's days (one time
  computation each, see :class:`cmops.schedule.Recurrence`);
* spacing and daily caps compare occurrences with the other posts of the channel: those of
  the first :data:`EARLY` after the post starts (where two repeating posts first meet), and
  those between the channel's first and last one-off post (where they meet the rest of the
  calendar), at most :data:`PER_CHANNEL` occurrences a channel, shared out among its
  repeating posts (never fewer than :data:`AT_LEAST` each).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from cmops import schedule
from cmops.model import Post

EARLY = timedelta(weeks=8)
PER_CHANNEL = 100_000
AT_LEAST = 60
HALF_YEAR = timedelta(days=182)


def recurrence(post: Post, first: datetime, zone: str) -> schedule.Recurrence | None:
    """The occurrences of ``post`` first timed at ``first`` (UTC); None when it does not
    repeat or its repeat cannot be read (post.repeat reports that)."""
    if post.repeat is None:
        return None
    try:
        return schedule.recurrence(
            first, schedule.parse_every(post.repeat.every), schedule.zone(zone),
            until=schedule.parse_date(post.repeat.until) if post.repeat.until else None,
            count=post.repeat.count)
    except schedule.TimeError:
        return None


def _numbers(rec: schedule.Recurrence, start: int, count: int) -> range:
    stop = start + count
    if rec.last is not None:
        stop = min(stop, rec.last + 1)
    return range(start, max(start, stop))


def sample(rec: schedule.Recurrence) -> Iterator[tuple[int, datetime]]:
    """(number, UTC time) of the occurrences that show every local weekday and time the post
    takes (see the module docstring); at most 336."""
    cycle = 7 if rec.by_wall else 168
    later = rec.index_at(rec.first + HALF_YEAR) + 1
    seen: set[int] = set()
    for n in (*_numbers(rec, 1, cycle), *_numbers(rec, max(later, cycle + 1), cycle)):
        when = rec.at(n)
        if when is not None and n not in seen:
            seen.add(n)
            yield n, when


def first_between(rec: schedule.Recurrence, start: datetime, end: datetime
                  ) -> tuple[int, datetime] | None:
    """The first occurrence timed in ``[start, end]``, if any."""
    for n in rec.between(start, end)[:1]:
        when = rec.at(n)
        if when is not None:
            return n, when
    return None


def for_spacing(rec: schedule.Recurrence, span: tuple[datetime, datetime] | None,
                budget: int) -> Iterator[tuple[int, datetime]]:
    """(number, UTC time) of the occurrences spacing and caps compare: the first :data:`EARLY`
    and those in ``span`` (the channel's one-off posts, a day either side), ``budget`` at most
    (in time order: the earliest are kept)."""
    numbers = rec.between(rec.first, rec.first + EARLY)
    chosen = list(numbers[:budget])
    if span is not None and len(chosen) < budget:
        inside = rec.between(max(span[0], rec.first), span[1])
        after = chosen[-1] if chosen else 0
        chosen.extend(range(max(inside.start, after + 1), inside.stop)[:budget - len(chosen)])
    for n in chosen:
        when = rec.at(n)
        if when is not None:
            yield n, when
