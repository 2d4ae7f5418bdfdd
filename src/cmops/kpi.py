"""KPIs of a set of posts over a period, and how they compare with a campaign's goals (pure).

Formulas, version :data:`KPI_VERSION` (a change to any of them bumps it, and the JSON says
which version computed the numbers):

* **interactions** of a post = likes + comments (replies) + shares (reposts, boosts) + quotes,
  from its latest reading; a count the network does not give is left out, and a post with
  none of them is *unmeasured*.
* **reach** of a post = its impressions when the network gives them; otherwise the channel's
  follower count at the reading nearest its publication (before or after). A post with
  neither is unmeasured. ``reach_basis`` says which was used: ``impressions``,
  ``followers`` or ``mixed``.
* **engagement rate** (percent) = 100 × Σ interactions ÷ Σ reach over the measured posts;
  ``None`` when there is no measured post or the reach adds up to zero (zero followers).
* **comments**, **shares**: Σ of those counts over the posts (quotes are not shares).
* **DM replies**: direct messages received in the period that the team answered, and the
  **median first response** (seconds from receipt to our first answer) over them.
* **growth rate** (percent) = 100 × (followers at end − followers at start) ÷ followers at
  start, summed over the channels that have a reading for both: start = the reading nearest
  the start of the period within it (or the last before it), end = the last reading in it.
  ``None`` without two readings or with zero followers at the start.
* **posts**: items published, failed and expired in the period (by publication or planned
  time, :func:`record_time`), from the ledger and, for items the publisher never claimed,
  from the plan (:func:`outcomes`): the site's log, dashboard and campaign pages count
  with the same two functions, so ``cmops kpi`` and the site always agree.

Periods are days of the calendar's time zone (``timezone``): ``first_day`` and ``last_day``
in the JSON, and the dates ``cmops kpi`` prints, are local days, the last one inclusive.
A goal's ``expected_by_now`` is rounded like its target: a whole number for counts, one
decimal for percentages.

Goals (``goals`` of a campaign): a count or the growth rate is **met** when the actual
reaches the target; otherwise **on track** when it reaches the target pro-rated to the part
of the campaign elapsed, else **behind**. The engagement rate is a ratio, not a total: met or
behind. Without data the status is **unknown**.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from cmops.times import iso

if TYPE_CHECKING:
    from cmops.ledger import Record
    from cmops.model import Calendar
    from cmops.plan import Item

KPI_VERSION = 1


@dataclass(frozen=True, slots=True)
class PostReading:
    """A post's latest totals within the period."""

    key: str
    channel: str
    published_at: datetime | None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    quotes: int | None = None
    impressions: int | None = None

    @property
    def interactions(self) -> int | None:
        known = [v for v in (self.likes, self.comments, self.shares, self.quotes)
                 if v is not None]
        return sum(known) if known else None


@dataclass(frozen=True, slots=True)
class FollowerPoint:
    channel: str
    at: datetime
    followers: int


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    channel: str
    kind: str
    received_at: datetime
    replied_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """A ledger item: its state and when it was (or was to be) published."""

    key: str
    channel: str
    state: str
    at: datetime | None
    post: str = ""
    reason: str = ""


COUNTED = ("published", "failed", "expired")
"""The states :func:`post_counts` counts (the rest are not outcomes yet, or taken down)."""


def parse_instant(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def record_time(record: Record) -> datetime | None:
    """When a ledger item went out or was to: its first part's send time, else its planned
    time, else when the record last changed. The one definition every view uses."""
    first = record.parts[0] if record.parts else None
    for text in ((first.sent_at or first.at) if first else None, record.publish_at,
                 record.updated):
        when = parse_instant(text)
        if when is not None:
            return when
    return None


def outcomes(records: Iterable[Record], plan_items: Iterable[Item] = ()) -> list[Outcome]:
    """Every ledger item as an :class:`Outcome`, plus each item the plan finds expired that
    the ledger has no record of (a post nobody published in time is never claimed, so only
    the plan knows it expired)."""
    out: list[Outcome] = []
    seen: set[str] = set()
    for r in records:
        seen.add(r.key)
        out.append(Outcome(r.key, r.channel, str(r.state), record_time(r), r.post,
                           r.error or ""))
    for item in plan_items:
        if item.state.value == "expired" and item.key not in seen and item.when is not None:
            seen.add(item.key)
            out.append(Outcome(item.key, item.channel, "expired", item.when, item.post.id,
                               item.reason))
    return out


@dataclass(frozen=True, slots=True)
class Engagement:
    rate: float | None
    interactions: int
    reach: int
    basis: str | None
    measured: int
    unmeasured: int


@dataclass(frozen=True, slots=True)
class GoalCheck:
    name: str
    target: float
    actual: float | None
    expected_by_now: float | None
    status: str

    @property
    def percent(self) -> bool:
        return self.name in PERCENT_GOALS

    def as_json(self) -> dict[str, Any]:
        return {"goal": self.name, "target": self.target, "actual": _round(self.actual),
                "expected_by_now": expected_round(self.name, self.expected_by_now),
                "status": self.status}


PERCENT_GOALS = frozenset({"engagement_rate", "growth_rate"})


def expected_round(goal: str, value: float | None) -> float | int | None:
    """A goal's expected-by-now value as people read it: a count is a whole number (184.52
    comments is 185), a percentage keeps one decimal."""
    if value is None:
        return None
    return round(value, 1) if goal in PERCENT_GOALS else int(value + 0.5)


@dataclass(slots=True)
class Kpis:
    scope: str
    start: datetime
    end: datetime
    engagement: Engagement
    comments: int | None
    shares: int | None
    dm_replies: int
    median_first_response: float | None
    growth_rate: float | None
    posts: dict[str, int]
    goals: list[GoalCheck] = field(default_factory=list)
    zone: tzinfo = UTC
    """The calendar's time zone: the period's days are its days."""

    @property
    def first_day(self) -> str:
        return self.start.astimezone(self.zone).date().isoformat()

    @property
    def last_day(self) -> str:
        """The period's last day, inclusive (an end at local midnight belongs to the day
        before)."""
        return (self.end - timedelta(microseconds=1)).astimezone(self.zone).date().isoformat() \
            if self.end > self.start else self.first_day

    def as_json(self) -> dict[str, Any]:
        e = self.engagement
        return {
            "scope": self.scope, "kpi_version": KPI_VERSION,
            "from": iso(self.start), "to": iso(self.end),
            "timezone": str(self.zone), "first_day": self.first_day,
            "last_day": self.last_day,
            "engagement_rate": _round(e.rate), "interactions": e.interactions,
            "reach": e.reach, "reach_basis": e.basis, "posts_measured": e.measured,
            "posts_unmeasured": e.unmeasured, "comments": self.comments,
            "shares": self.shares, "dm_replies": self.dm_replies,
            "median_first_response_seconds": _round(self.median_first_response),
            "growth_rate": _round(self.growth_rate), "posts": dict(self.posts),
            "goals": [g.as_json() for g in self.goals],
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def nearest_followers(points: Sequence[FollowerPoint], channel: str,
                      when: datetime) -> int | None:
    """The channel's follower count at the reading nearest ``when`` (earlier wins a tie)."""
    best: tuple[float, int] | None = None
    for p in points:
        if p.channel != channel:
            continue
        gap = abs((p.at - when).total_seconds())
        if best is None or gap < best[0] or (gap == best[0] and p.at <= when):
            best = (gap, p.followers)
    return None if best is None else best[1]


def engagement(posts: Iterable[PostReading], followers: Sequence[FollowerPoint]) -> Engagement:
    total_inter = total_reach = measured = unmeasured = 0
    bases: set[str] = set()
    for post in posts:
        inter = post.interactions
        reach: int | None = None
        basis = "impressions"
        if post.impressions is not None:
            reach = post.impressions
        elif post.published_at is not None:
            reach, basis = nearest_followers(followers, post.channel, post.published_at), \
                "followers"
        if inter is None or reach is None:
            unmeasured += 1
            continue
        measured += 1
        total_inter += inter
        total_reach += reach
        bases.add(basis)
    rate = 100.0 * total_inter / total_reach if total_reach else None
    basis_name = None if not bases else bases.pop() if len(bases) == 1 else "mixed"
    return Engagement(rate, total_inter, total_reach, basis_name, measured, unmeasured)


def _sum(values: Iterable[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def dm_replies(messages: Iterable[Message], start: datetime, end: datetime
               ) -> tuple[int, float | None]:
    """DMs received in [start, end] that we answered, and the median seconds to answer."""
    waits = [(m.replied_at - m.received_at).total_seconds() for m in messages
             if m.kind == "dm" and start <= m.received_at <= end and m.replied_at is not None]
    return len(waits), (statistics.median(waits) if waits else None)


def growth_rate(points: Sequence[FollowerPoint], channels: Iterable[str], start: datetime,
                end: datetime) -> float | None:
    first_total = last_total = 0
    found = False
    for channel in sorted(set(channels)):
        mine = sorted((p for p in points if p.channel == channel), key=lambda p: p.at)
        before = [p for p in mine if p.at <= start]
        inside = [p for p in mine if start <= p.at <= end]
        if not inside:
            continue
        first = before[-1] if before else inside[0]
        last = inside[-1]
        if first is last:
            continue
        first_total += first.followers
        last_total += last.followers
        found = True
    if not found or first_total == 0:
        return None
    return 100.0 * (last_total - first_total) / first_total


def post_counts(items: Iterable[Outcome], start: datetime | None = None,
                end: datetime | None = None) -> dict[str, int]:
    """Items published, failed and expired with their time in [start, end] (None: no
    bound); an item without a time counts only when there is no bound at all."""
    counts = dict.fromkeys(COUNTED, 0)
    for o in items:
        if o.state not in counts:
            continue
        if start is None and end is None:
            counts[o.state] += 1
            continue
        if o.at is None or (start is not None and o.at < start) or \
                (end is not None and o.at > end):
            continue
        counts[o.state] += 1
    return counts



def parse_target(value: Any) -> float | None:
    """``10``, ``"10%"`` or ``"10 %"`` -> 10.0; anything else -> None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip().rstrip("%").strip())
        except ValueError:
            return None
    return None


RATIO_GOALS = frozenset({"engagement_rate"})


def compare_goals(goals: Mapping[str, Any], actuals: Mapping[str, float | None],
                  elapsed: float) -> list[GoalCheck]:
    """Each goal against its actual; ``elapsed`` is the part of the campaign gone (0..1)."""
    elapsed = min(max(elapsed, 0.0), 1.0)
    out = []
    for name in sorted(goals):
        target = parse_target(goals[name])
        if target is None:
            continue
        actual = actuals.get(name)
        expected = None if name in RATIO_GOALS else target * elapsed
        if actual is None:
            status = "unknown"
        elif actual >= target:
            status = "met"
        elif expected is not None and elapsed < 1.0 and actual >= expected:
            status = "on track"
        else:
            status = "behind"
        out.append(GoalCheck(name, target, actual, expected, status))
    return out


def compute(scope: str, start: datetime, end: datetime, posts: Sequence[PostReading],
            followers: Sequence[FollowerPoint], messages: Sequence[Message],
            outcomes: Sequence[Outcome], channels: Iterable[str],
            goals: Mapping[str, Any] | None = None, elapsed: float = 1.0,
            messages_known: bool = True) -> Kpis:
    """Every KPI of one scope. ``posts`` are the scope's posts published in the period.
    ``messages_known``: False when no inbox was ever collected (the DM-replies goal is then
    unknown, not zero)."""
    eng = engagement(posts, followers)
    replies, median = dm_replies(messages, start, end)
    kpis = Kpis(scope, start, end, eng, _sum(p.comments for p in posts),
                _sum(p.shares for p in posts), replies, median,
                growth_rate(followers, channels, start, end), post_counts(outcomes, start, end))
    if goals:
        actuals: dict[str, float | None] = {
            "engagement_rate": eng.rate, "comments": kpis.comments, "shares": kpis.shares,
            "dm_replies": replies if messages_known else None,
            "growth_rate": kpis.growth_rate}
        kpis.goals = compare_goals(goals, actuals, elapsed)
    return kpis


# -- scopes: which posts, channels and period each KPI object covers -------------------------

def calendar_zone(tz: str | None) -> tzinfo:
    """The calendar's zone, UTC without one (an invalid calendar still gets its KPIs:
    validate names the zone)."""
    from cmops import schedule

    try:
        return schedule.zone(tz) if tz else UTC
    except schedule.TimeError:
        return UTC


def _day_bounds(start: str | None, end: str | None, tz: str | None
                ) -> tuple[datetime | None, datetime | None]:
    from datetime import time

    from cmops import schedule

    zone = calendar_zone(tz)

    def at(text: str | None, shift: int) -> datetime | None:
        if not text:
            return None
        try:  # in 2000-2100, so a day more or less stays a date
            day = schedule.parse_date(str(text)) + timedelta(days=shift)
        except schedule.TimeError:
            return None
        return datetime.combine(day, time(), zone).astimezone(UTC)

    return at(start, 0), at(end, 1)


def report(calendar: Calendar, records: Iterable[Record], readings: Mapping[str, PostReading],
           followers: Sequence[FollowerPoint], messages: Sequence[Message], now: datetime,
           *, campaign: str | None = None, channel: str | None = None,
           start: datetime | None = None, end: datetime | None = None,
           default_days: int = 30, plan_items: Iterable[Item] = (),
           messages_known: bool = True) -> list[Kpis]:
    """One :class:`Kpis` per scope: the campaign and/or channel asked for, or else every
    campaign, every channel and ``all``. A campaign's period is its dates (narrowed by
    ``start``/``end``); other scopes default to the last ``default_days`` days.
    ``plan_items``: the plan at ``now``, whose expired items the ledger never recorded
    count as expired (:func:`outcomes`)."""
    campaign_of = {p.id: p.campaign for p in calendar.posts}
    zone = calendar_zone(calendar.timezone)
    all_outcomes = outcomes(records, plan_items)

    def scope(name: str, cid: str | None, channels: Iterable[str], s: datetime, e: datetime,
              goals: Mapping[str, Any] | None = None, elapsed: float = 1.0) -> Kpis:
        chans = set(channels)
        chosen = [o for o in all_outcomes if o.channel in chans
                  and (cid is None or campaign_of.get(o.post) == cid)]
        posts = [readings[o.key] for o in chosen if o.state == "published"
                 and o.key in readings and o.at is not None and s <= o.at <= e]
        msgs = [m for m in messages if m.channel in chans]
        kpis = compute(name, s, e, posts, followers, msgs, chosen, chans, goals, elapsed,
                       messages_known)
        kpis.zone = zone
        return kpis

    default_end = end or now
    default_start = start or default_end - timedelta(days=default_days)
    out: list[Kpis] = []
    campaigns = [campaign] if campaign else ([] if channel else sorted(calendar.campaigns))
    for cid in campaigns:
        c = calendar.campaigns[cid]
        c_start, c_end = _day_bounds(c.start, c.end, calendar.timezone)
        s = max(x for x in (start, c_start) if x is not None) if (start or c_start) \
            else default_start
        e = min(x for x in (end, c_end, now) if x is not None)
        chans = set(c.channels) or {o.channel for o in all_outcomes
                                    if campaign_of.get(o.post) == cid}
        if channel:
            chans &= {channel}
        elapsed = 1.0
        if c_start and c_end and c_end > c_start:
            elapsed = (min(now, c_end) - c_start) / (c_end - c_start)
        out.append(scope(f"campaign:{cid}", cid, chans, s, max(s, e), c.goals, elapsed))
    if campaign:
        return out
    names = [channel] if channel else sorted(calendar.channels)
    for name in names:
        out.append(scope(f"channel:{name}", None, [name], default_start, default_end))
    if not channel:
        out.append(scope("all", None, calendar.channels, default_start, default_end))
    return out
