"""Which occurrences of a repeating post the policy rules look at, within a fixed budget.

A repeating post may never end, and may repeat every hour: the rules cannot look at every
occurrence. They look at those that can break a rule the others do not already show:

* quiet hours see the local times a post takes: an interval comes back to the same weekday
  and time after a week's worth of its steps at most (one week divided by the greatest
  common divisor of the week and the interval: 7 for 1d, 14 for 12h, 168 for 1h or 5h; a day
  interval keeps its wall-clock time). That cycle is looked at from the first occurrence and
  again half a year later, the other side of daylight saving;
* blackouts are asked directly: the first occurrence inside each blackout's days (one time
  computation each, see :class:`cmops.schedule.Recurrence`);
* spacing and daily caps compare occurrences with the other posts of the channel: those of
  the first :data:`EARLY` after the post starts (where two repeating posts first meet), and
  those between the channel's first and last one-off post (where they meet the rest of the
  calendar), at most :data:`PER_CHANNEL` occurrences a channel, shared out among its
  repeating posts (never fewer than :data:`AT_LEAST` each).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime, timedelta

from cmops import schedule
from cmops.model import Post

EARLY = timedelta(weeks=8)
PER_CHANNEL = 20_000
AT_LEAST = 60
HALF_YEAR = timedelta(days=182)
_MINUTE = timedelta(minutes=1)
WEEK = timedelta(weeks=1)


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
    takes (see the module docstring): 2 x 168 at most, intervals being whole hours."""
    week = WEEK // _MINUTE
    cycle = week // math.gcd(week, rec.every // _MINUTE)
    later = rec.index_at(rec.first + HALF_YEAR) + 1
    yield from rec.times(_numbers(rec, 1, cycle))
    yield from rec.times(_numbers(rec, max(later, cycle + 1), cycle))


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
    early = rec.between(rec.first, rec.first + EARLY)[:budget]
    yield from rec.times(early)
    if span is None or len(early) >= budget:
        return
    inside = rec.between(max(span[0], rec.first), span[1])
    yield from rec.times(range(max(inside.start, early.stop), inside.stop)[:budget - len(early)])
