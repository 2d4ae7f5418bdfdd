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
  time), from the ledger.

Goals (``goals`` of a campaign): a count or the growth rate is **met** when the actual
reaches the target; otherwise **on track** when it reaches the target pro-rated to the part
of the campaign elapsed, else **behind**. The engagement rate is a ratio, not a total: met or
behind. Without data the status is **unknown**.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cmops.times import iso

if TYPE_CHECKING:
    from cmops.ledger import Record
    from cmops.model import Calendar

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

    def as_json(self) -> dict[str, Any]:
        return {"goal": self.name, "target": self.target, "actual": _round(self.actual),
                "expected_by_now": _round(self.expected_by_now), "status": self.status}


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

    def as_json(self) -> dict[str, Any]:
        e = self.engagement
        return {
            "scope": self.scope, "kpi_version": KPI_VERSION,
            "from": iso(self.start), "to": iso(self.end),
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


def post_counts(outcomes: Iterable[Outcome], start: datetime, end: datetime) -> dict[str, int]:
    counts = {"published": 0, "failed": 0, "expired": 0}
    for o in outcomes:
        if o.at is not None and start <= o.at <= end and o.state in counts:
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
            goals: Mapping[str, Any] | None = None, elapsed: float = 1.0) -> Kpis:
    """Every KPI of one scope. ``posts`` are the scope's posts published in the period."""
    eng = engagement(posts, followers)
    replies, median = dm_replies(messages, start, end)
    kpis = Kpis(scope, start, end, eng, _sum(p.comments for p in posts),
                _sum(p.shares for p in posts), replies, median,
                growth_rate(followers, channels, start, end), post_counts(outcomes, start, end))
    if goals:
        actuals: dict[str, float | None] = {
            "engagement_rate": eng.rate, "comments": kpis.comments, "shares": kpis.shares,
            "dm_replies": replies, "growth_rate": kpis.growth_rate}
        kpis.goals = compare_goals(goals, actuals, elapsed)
    return kpis


# -- scopes: which posts, channels and period each KPI object covers -------------------------

def _day_bounds(start: str | None, end: str | None, tz: str | None
                ) -> tuple[datetime | None, datetime | None]:
    from datetime import UTC, time, timedelta, tzinfo

    from cmops import schedule

    try:  # an invalid calendar still gets its KPIs (validate names the zone)
        zone: tzinfo = schedule.zone(tz) if tz else UTC
    except schedule.TimeError:
        zone = UTC

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
           default_days: int = 30) -> list[Kpis]:
    """One :class:`Kpis` per scope: the campaign and/or channel asked for, or else every
    campaign, every channel and ``all``. A campaign's period is its dates (narrowed by
    ``start``/``end``); other scopes default to the last ``default_days`` days."""
    from datetime import timedelta

    campaign_of = {p.id: p.campaign for p in calendar.posts}
    items: list[tuple[Record, datetime | None]] = []
    for r in records:
        part = r.parts[0] if r.parts else None
        raw = part.at if part and part.at else r.publish_at
        when = None
        if raw:
            try:
                when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            except ValueError:
                when = None
        items.append((r, when))

    def scope(name: str, cid: str | None, channels: Iterable[str], s: datetime, e: datetime,
              goals: Mapping[str, Any] | None = None, elapsed: float = 1.0) -> Kpis:
        chans = set(channels)
        chosen = [(r, w) for r, w in items if r.channel in chans
                  and (cid is None or campaign_of.get(r.post) == cid)]
        posts = [readings[r.key] for r, w in chosen if r.state == "published"
                 and r.key in readings and w is not None and s <= w <= e]
        outcomes = [Outcome(r.key, r.channel, r.state, w) for r, w in chosen]
        msgs = [m for m in messages if m.channel in chans]
        return compute(name, s, e, posts, followers, msgs, outcomes, chans, goals, elapsed)

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
        chans = set(c.channels) or {r.channel for r, _ in items
                                    if campaign_of.get(r.post) == cid}
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
