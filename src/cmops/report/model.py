"""The site as data: what every page shows, gathered from the calendar, the plan, the ledger
and the collected sources. Pure: ``now`` comes in, nothing is read from disk or the clock.

Pages are laid out so their number grows with months and campaigns, never with posts: a
post's detail is a section of its month's ``posts/YYYY-MM`` page (or of a busy month's next
pages: :mod:`cmops.report.posts`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from cmops import kpi, schedule
from cmops.answers import Answer, answers
from cmops.answers import replies as reply_posts
from cmops.ledger import CorruptRecord, Record
from cmops.model import Calendar, Campaign, Pause, Post, SavedReply
from cmops.plan import Plan, State
from cmops.render import Rendered, render
from cmops.report.labels import Labels
from cmops.report.safe import safe_color, slug
from cmops.report.sources import PostMetrics, Sources

PALETTE = ("#6a1b9a", "#1565c0", "#2e7d32", "#ef6c00", "#c62828", "#00838f", "#4e342e",
           "#ad1457", "#283593", "#558b2f")
LOG_STATES = ("published", "failed", "expired", "needs_human", "pending", "withdrawn")
KNOWN_STATES = frozenset(s.value for s in State) | {"pending"}


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    name: str
    label: str
    network: str
    color: str


@dataclass(frozen=True, slots=True)
class Entry:
    """One item of the plan (a post on a channel, at one time) as the site shows it."""

    key: str
    post_id: str
    channel: str
    network: str
    when: datetime | None
    """In the calendar's zone; None for a holding statement."""
    state: str
    reason: str = ""
    occurrence: int | None = None
    url: str | None = None
    campaign: str | None = None
    metrics: PostMetrics | None = None


@dataclass(slots=True)
class RenderGroup:
    """Channels that receive the same text and media (their links may differ: each carries
    its own UTM tags)."""

    channels: list[str]
    rendered: Rendered
    links: list[tuple[str, str]] = field(default_factory=list)
    """(channel, link) for each channel whose post has a link card."""


@dataclass(slots=True)
class PostView:
    post: Post
    anchor: str
    page: str
    entries: list[Entry] = field(default_factory=list)
    renders: list[RenderGroup] = field(default_factory=list)
    """Rendered text, one per group of channels that receive the same."""

    def rendered_for(self, channel: str) -> Rendered | None:
        return next((g.rendered for g in self.renders if channel in g.channels), None)

    @property
    def first(self) -> datetime | None:
        return next((e.when for e in self.entries if e.when is not None), None)


GOAL_ORDER = ("engagement_rate", "comments", "shares", "dm_replies", "growth_rate")
Goal = kpi.GoalCheck
"""A campaign goal as the site shows it: exactly what ``cmops kpi --campaign`` computes."""


@dataclass(slots=True)
class CampaignView:
    campaign: Campaign
    slug: str
    page: str
    start: date | None
    end: date | None
    status: str
    """``active``, ``upcoming`` or ``ended`` (or ``""`` without dates)."""
    entries: list[Entry] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    kpis: kpi.Kpis | None = None
    """``cmops kpi --campaign``'s numbers for this campaign (None: not computed)."""


@dataclass(frozen=True, slots=True)
class LogRow:
    key: str
    post_id: str
    channel: str
    network: str
    state: str
    when: datetime | None
    urls: tuple[str, ...] = ()
    attempts: int = 0
    error: str | None = None
    in_calendar: bool = True
    withdrawn_at: datetime | None = None
    withdrawn_reason: str | None = None
    """When and why a withdrawn post was taken down (``status: withdrawn``)."""
    edited_at: datetime | None = None
    """When its text was last edited on the network (a reviewed edit)."""


@dataclass(slots=True)
class Site:
    now: datetime
    """In the calendar's zone."""
    zone: str
    labels: Labels
    channels: dict[str, ChannelInfo]
    pause: Pause | None
    entries: list[Entry]
    """Every timed entry, in time order."""
    standby: list[Entry]
    posts: dict[str, PostView]
    months: list[tuple[int, int]]
    campaigns: list[CampaignView]
    log: list[LogRow]
    sources: Sources
    media: Mapping[str, str | None]
    """Repository media path -> file name under the report's media/ (None: not shown)."""
    media_note: Callable[[str, str], str | None] = field(default=lambda path, channel: None)
    """(media path, channel) -> how cmops changes the file for that channel's network ("JPEG
    812 KB (converted)", :func:`cmops.prepare.channel_note`), else None."""
    errors: int = 0
    invalid: list[str] = field(default_factory=list)
    drafts: int = 0
    replies: list[SavedReply] = field(default_factory=list)
    """Saved reply templates, listed next to the unanswered messages."""
    answers: dict[str, Answer] = field(default_factory=dict)
    """Each inbox message's answer (by message id): a published reply post, or one seen on
    the network (:mod:`cmops.answers`)."""
    kpis: dict[str, kpi.Kpis] = field(default_factory=dict)
    """``cmops kpi``'s scopes by name (``all``, ``campaign:<id>``, ``channel:<name>``)."""
    outbox: dict[str, str] = field(default_factory=dict)
    """Repository path of an outbox message file -> its copy in the report (the link a
    published item's ``.cmops/outbox/…json`` URL becomes)."""
    outcomes: list[kpi.Outcome] = field(default_factory=list)
    """Every ledger item and plan expiry (:func:`cmops.kpi.outcomes`): what counts come from."""
    _campaign_ids: dict[str, CampaignView] = field(default_factory=dict, repr=False)

    @property
    def today(self) -> date:
        return self.now.date()

    def week_start(self, offset: int = 0) -> date:
        return self.today - timedelta(days=self.today.weekday()) + timedelta(weeks=offset)

    def campaign_of(self, campaign_id: str | None) -> CampaignView | None:
        if not self._campaign_ids:
            self._campaign_ids.update((c.campaign.id, c) for c in self.campaigns)
        return self._campaign_ids.get(campaign_id) if campaign_id else None

    def entries_between(self, first: date, last: date) -> list[Entry]:
        return [e for e in self.entries if e.when and first <= e.when.date() <= last]


def month_of(when: datetime) -> tuple[int, int]:
    return when.year, when.month


def month_name(month: tuple[int, int]) -> str:
    return f"{month[0]:04d}-{month[1]:02d}"


def _channels(calendar: Calendar) -> dict[str, ChannelInfo]:
    out = {}
    for index, (name, ch) in enumerate(sorted(calendar.channels.items())):
        label = ch.raw.get("label")
        out[name] = ChannelInfo(name, label if isinstance(label, str) and label else name,
                                ch.network or "outbox",
                                safe_color(ch.raw.get("color")) or PALETTE[index % len(PALETTE)])
    return out


def _renders(post: Post, channels: list[str], calendar: Calendar) -> list[RenderGroup]:
    groups: dict[tuple[object, ...], RenderGroup] = {}
    for channel in channels:
        rendered = render(post, channel, calendar)
        group = groups.setdefault((rendered.parts, rendered.lang),
                                  RenderGroup([], rendered))
        group.channels.append(channel)
        if rendered.link:
            group.links.append((channel, rendered.link))
    return list(groups.values())


def _parse_day(text: str | None) -> date | None:
    try:
        return schedule.parse_date(text) if text else None
    except schedule.TimeError:
        return None


def _campaigns(calendar: Calendar, entries: list[Entry], scopes: Mapping[str, kpi.Kpis],
               today: date) -> list[CampaignView]:
    views = []
    taken: set[str] = set()
    for campaign_id, campaign in sorted(calendar.campaigns.items()):
        name = slug(campaign_id)
        while name in taken:
            name += "-x"
        taken.add(name)
        start, end = _parse_day(campaign.start), _parse_day(campaign.end)
        status = ("" if start is None or end is None else "upcoming" if today < start
                  else "ended" if today > end else "active")
        view = CampaignView(campaign, name, f"campaigns/{name}/index.md", start, end, status,
                            [e for e in entries if e.campaign == campaign_id])
        used = {e.channel for e in view.entries}
        view.channels = sorted(set(campaign.channels) | used)
        scope = scopes.get(f"campaign:{campaign_id}")
        view.goals = sorted(scope.goals, key=lambda g: (
            GOAL_ORDER.index(g.name) if g.name in GOAL_ORDER else len(GOAL_ORDER), g.name)) \
            if scope else []
        view.kpis = scope
        views.append(view)
    return views


def _log(records: Mapping[str, Record | CorruptRecord], entries: list[Entry],
         calendar: Calendar, zone: ZoneInfo) -> list[LogRow]:
    """One row per ledger record and per expiry only the plan knows: the items
    :func:`cmops.kpi.outcomes` counts, at the time :func:`cmops.kpi.record_time` gives."""
    known_posts = {p.id for p in calendar.posts}
    rows = []
    for key, rec in sorted(records.items()):
        post, _, channel = key.rpartition("/")
        post_id = post.partition("#")[0]
        if isinstance(rec, CorruptRecord):
            rows.append(LogRow(key, post_id, channel, "", "needs_human", None,
                               error=str(rec), in_calendar=post_id in known_posts))
            continue
        instant = kpi.record_time(rec)
        when = instant.astimezone(zone) if instant else None
        urls = tuple(p.url for p in rec.parts if p.url)
        state = rec.state if rec.state in LOG_STATES else "needs_human"
        sends = sum(1 for a in rec.attempts
                    if not a.outcome.startswith(("delete", "edit")) and a.outcome != "withdrawn")
        edited = max((p.edited_at for p in rec.parts if p.edited_at and p.state != "editing"),
                     default=None)
        rows.append(LogRow(key, post_id, channel, rec.network, state, when, urls,
                           sends, rec.error, post_id in known_posts,
                           _instant(rec.withdrawn_at, zone), rec.withdrawn_reason,
                           _instant(edited, zone)))
    for e in entries:
        # Expired by the plan itself (never claimed): as visible as a failure.
        if e.state == "expired" and e.key not in records:
            rows.append(LogRow(e.key, e.post_id, e.channel, e.network, "expired", e.when,
                               error=e.reason))
    rows.sort(key=lambda r: (r.when is None, -(r.when.timestamp() if r.when else 0), r.key))
    return rows


def _instant(text: str | None, zone: ZoneInfo) -> datetime | None:
    parsed = kpi.parse_instant(text)
    return parsed.astimezone(zone) if parsed else None


def gather(calendar: Calendar, plan: Plan, records: Mapping[str, Record | CorruptRecord],
           sources: Sources, *, lang: str | None = None, errors: int = 0,
           media: Mapping[str, str | None] | None = None,
           kpis: Sequence[kpi.Kpis] = ()) -> Site:
    """The whole site's content at ``plan.now``. ``kpis``: what :func:`cmops.kpi.report`
    computes for the same calendar, ledger, plan and ``now`` (the goals and counts the
    pages show)."""
    zone_name = calendar.timezone or "UTC"
    try:
        zone = schedule.zone(zone_name)
    except schedule.TimeError:
        zone_name, zone = "UTC", schedule.zone("UTC")
    now = plan.now.astimezone(zone)
    scopes = {k.scope: k for k in kpis}
    channels = _channels(calendar)
    posts: dict[str, PostView] = {}
    entries: list[Entry] = []
    standby: list[Entry] = []
    for item in plan.items:
        when = item.when.astimezone(zone) if item.when else None
        recorded = item.recorded
        entry = Entry(item.key, item.post.id, item.channel, item.network, when,
                      item.state.value, item.reason, item.occurrence,
                      recorded.url if recorded else None, item.post.campaign,
                      sources.latest.get(item.key))
        (entries if when else standby).append(entry)
        view = posts.get(item.post.id)
        if view is None:
            page = (f"posts/{month_name(month_of(when))}/index.md" if when
                    else "posts/standby/index.md")
            view = posts[item.post.id] = PostView(item.post, "p-" + slug(item.post.id), page)
        view.entries.append(entry)
    for view in posts.values():
        channels_used = list(dict.fromkeys(e.channel for e in view.entries))
        view.renders = _renders(view.post, channels_used, calendar)
    months = sorted({month_of(e.when) for e in entries if e.when} | {month_of(now)})
    if months:
        first, last = months[0], months[-1]
        months = []
        year, month = first
        while (year, month) <= last:
            months.append((year, month))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return Site(
        now=now, zone=zone_name, labels=Labels(lang), channels=channels,
        pause=plan.pause, entries=entries, standby=standby, posts=posts, months=months,
        campaigns=_campaigns(calendar, entries, scopes, now.date()),
        log=_log(records, entries, calendar, zone), sources=sources, media=media or {},
        errors=errors, invalid=list(plan.invalid), drafts=plan.drafts,
        replies=sorted(calendar.replies, key=lambda r: r.id),
        answers=answers(sources.inbox, reply_posts(calendar.posts, records), calendar),
        kpis=scopes,
        outcomes=kpi.outcomes([r for r in records.values() if isinstance(r, Record)],
                              plan.items))


def media_paths(site_posts: Mapping[str, PostView]) -> list[str]:
    """Every media path the rendered posts show, sorted."""
    return sorted({m.path for view in site_posts.values() for group in view.renders
                   for part in group.rendered.parts for m in part.media})
