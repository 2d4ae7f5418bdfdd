"""One collect run: counters, followers, inbox and crisis signals, into the state store.

For each channel: the counters of every published post still within the collection window
(``window`` of listening.yaml, 30 days by default, or from ``--since``), the followers, new
inbox items since the channel's cursor, whether earlier unanswered items got an answer, and
search results where the adapter offers search. A channel whose adapter cannot read (or is
not configured here) is recorded as *unavailable*: its snapshot holds nulls, never zeros.
Then every crisis threshold is evaluated over the inbox; with ``calendar/analytics.yaml``,
the website traffic each campaign's links brought is read from Google Analytics 4
(:mod:`cmops.ga4`; a missing key makes it *unavailable*, not a failure). The files of
:mod:`cmops.snapshots` are written in one batch, cursors last, so a crash re-reads rather
than loses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from cmops.adapters.base import NotConfigured, PublishError
from cmops.adapters.reading import (
    Counters,
    InboxItem,
    Reader,
    ReplyChecker,
    Searcher,
    reader_of,
)
from cmops.ga4 import Ga4Setup, read_traffic
from cmops.ids import is_channel
from cmops.ledger import Record
from cmops.listening import CrisisState, Heard, Leader, Listening, Signal, evaluate, label
from cmops.listening import leaders as rank_leaders
from cmops.model import Calendar
from cmops.snapshots import (
    CRISIS_PATH,
    FORMAT,
    analytics_path,
    cursor_path,
    dumps,
    inbox_path,
    load_json,
    merge_analytics,
    merge_inbox,
    merge_snapshot,
    parse_time,
    snapshot_path,
)
from cmops.stores import Store
from cmops.times import iso

METRICS_BATCH = 20
MAX_REPLY_CHECKS = 40
"""Unanswered items asked about per channel and run (oldest first), to stay polite."""


Factory = Callable[[str], Any]
Progress = Callable[[str, str], None]
"""(channel, what happened) for a progress display."""


@dataclass(slots=True)
class ChannelSummary:
    channel: str
    network: str
    posts: int = 0
    posts_unavailable: int = 0
    followers: int | None = None
    new_items: int = 0
    answered: int = 0
    keyword_items: int = 0
    unavailable: dict[str, str] = field(default_factory=dict)
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"channel": self.channel, "network": self.network, "posts": self.posts,
                "posts_unavailable": self.posts_unavailable, "followers": self.followers,
                "new_items": self.new_items, "answered": self.answered,
                "keyword_items": self.keyword_items, "unavailable": dict(self.unavailable),
                "error": self.error}


@dataclass(slots=True)
class AnalyticsSummary:
    """The website-traffic step (GA4) of one collect."""

    property: str
    start: date
    end: date
    rows: int = 0
    sessions: int = 0
    campaigns: int = 0
    """Distinct ``utm_campaign`` values with at least one session."""
    unavailable: str | None = None
    error: str | None = None

    def line(self) -> str:
        """One line for people: ``analytics unavailable: GA4_KEY not set``."""
        if self.error:
            return f"analytics error: {self.error}"
        if self.unavailable:
            return f"analytics unavailable: {self.unavailable}"
        return (f"analytics: {self.sessions} session(s) from {self.campaigns} campaign(s), "
                f"{self.start.isoformat()} to {self.end.isoformat()} (GA4 property "
                f"{self.property})")

    def as_json(self) -> dict[str, Any]:
        return {"source": "ga4", "property": self.property, "start": self.start.isoformat(),
                "end": self.end.isoformat(), "rows": self.rows, "sessions": self.sessions,
                "campaigns": self.campaigns, "unavailable": self.unavailable,
                "error": self.error}


@dataclass(slots=True)
class CollectResult:
    now: datetime
    store: str
    channels: list[ChannelSummary]
    crisis: list[Signal]
    open_episodes: dict[str, str]
    leaders: list[Leader]
    written: list[str]
    analytics: AnalyticsSummary | None = None
    """None: no calendar/analytics.yaml (no such step)."""

    @property
    def ok(self) -> bool:
        return not any(c.error for c in self.channels) and not (
            self.analytics and self.analytics.error)

    def as_json(self) -> dict[str, Any]:
        out = {"now": iso(self.now), "store": self.store, "ok": self.ok,
               "channels": [c.as_json() for c in self.channels],
               "crisis": [s.as_json() for s in self.crisis],
               "open_episodes": dict(self.open_episodes),
               "leaders": [x.as_json() for x in self.leaders], "written": self.written}
        if self.analytics is not None:
            out["analytics"] = self.analytics.as_json()
        return out


def _published_at(record: Record) -> datetime | None:
    part = record.parts[0] if record.parts else None
    return parse_time(part.at if part and part.at else record.publish_at)


def _item_json(item: InboxItem, channel: str, network: str, rules: Listening,
               posts: Mapping[str, str]) -> dict[str, Any]:
    verdict = label(item.text, rules)
    return {
        "id": f"{channel}:{item.id}", "remote_id": item.id, "channel": channel,
        "network": network, "kind": item.kind,
        "author": {"handle": item.author.handle, "name": item.author.name,
                   "url": item.author.url, "followers": item.author.followers},
        "text": item.text, "url": item.url, "received_at": iso(item.received_at),
        "replied_at": None, "in_reply_to": item.in_reply_to,
        "post": posts.get(item.in_reply_to) if item.in_reply_to else None,
        "sentiment": verdict.sentiment, "labels": list(verdict.words),
        "crisis_terms": list(verdict.crisis_terms)}


def _counts(c: Counters | None) -> dict[str, int | None]:
    c = c or Counters()
    return {"impressions": c.impressions, "likes": c.likes, "comments": c.comments,
            "shares": c.shares, "quotes": c.quotes, "clicks": c.clicks}


class _Run:
    def __init__(self, calendar: Calendar, rules: Listening, store: Store,
                 factory: Factory, now: datetime, since: datetime | None,
                 progress: Progress) -> None:
        self.calendar, self.rules, self.store, self.factory = calendar, rules, store, factory
        self.now, self.progress = now, progress
        self.since = since or now - rules.window
        self.day = now.date()
        self.files: dict[str, bytes] = {}
        self.cursors: dict[str, bytes] = {}
        self.records = [r for r in store.load().values() if isinstance(r, Record)]
        self.old_inbox: dict[str, dict[str, Any]] = {}
        self.inbox_files = store.read_files("inbox")
        for _, data in sorted(self.inbox_files.items()):
            for item in load_json(data).get("items", []):
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    self.old_inbox[item["id"]] = item
        self.old_cursors = store.read_files("cursors")
        self.today = store.read_files(f"snapshots/{self.day.isoformat()}")
        self.inbox_now: dict[str, list[dict[str, Any]]] = {}
        self.everything: dict[str, dict[str, Any]] = {}

    def channel(self, name: str) -> ChannelSummary:
        network = self.calendar.channels[name].network or "outbox"
        summary = ChannelSummary(name, network)
        mine = [r for r in self.records if r.channel == name and r.state == "published"
                and r.remote_id and (at := _published_at(r)) is not None
                and self.since <= at <= self.now]
        try:
            adapter = self.factory(name)
        except NotConfigured as exc:
            summary.unavailable = {"metrics": str(exc), "followers": str(exc),
                                   "inbox": str(exc)}
            self._snapshot(summary, mine, {})
            return summary
        reader = reader_of(adapter)
        if reader is None:
            why = f"the {network} adapter cannot read metrics or the inbox in this version"
            summary.unavailable = {"metrics": why, "followers": why, "inbox": why}
            self._snapshot(summary, mine, {})
            return summary
        try:
            counters = self._metrics(reader, mine, summary)
            summary.followers = reader.followers()
            # Adapters say why a read is unavailable (a tier, a permission) when they know.
            summary.unavailable.update(reader.unavailable)
            if summary.followers is None and "followers" not in summary.unavailable:
                summary.unavailable["followers"] = f"{network} gives no follower count here"
            self._snapshot(summary, mine, counters)
            if summary.posts:  # what was asked, then what came back: one story per channel
                self.progress(name, f"counters for {summary.posts - summary.posts_unavailable}"
                                    f" of {summary.posts} post(s)" + (
                                        f"; metrics unavailable: {summary.unavailable['metrics']}"
                                        if "metrics" in summary.unavailable else ""))
            self._inbox(reader, adapter, summary)
            summary.unavailable.update(reader.unavailable)
        except PublishError as exc:
            summary.error = str(exc)
            self.progress(name, f"error: {exc}")
        return summary

    def _metrics(self, reader: Reader, mine: Sequence[Record], summary: ChannelSummary
                 ) -> dict[str, Counters | None]:
        out: dict[str, Counters | None] = {}
        ids = [str(r.remote_id) for r in mine]
        for start in range(0, len(ids), METRICS_BATCH):
            out.update(reader.metrics(ids[start:start + METRICS_BATCH]))
            self.progress(summary.channel, "reading counters: "
                                           f"{min(start + METRICS_BATCH, len(ids))}/{len(ids)} "
                                           "post(s) asked")
        return out

    def _snapshot(self, summary: ChannelSummary, mine: Sequence[Record],
                  counters: Mapping[str, Counters | None]) -> None:
        posts = []
        for r in sorted(mine, key=lambda r: r.key):
            found = counters.get(str(r.remote_id))
            available = found is not None and any(v is not None for v in _counts(found).values())
            summary.posts += 1
            summary.posts_unavailable += not available
            published = _published_at(r)
            posts.append({"key": r.key, "url": r.url, "remote_id": r.remote_id,
                          "published_at": iso(published) if published else None,
                          "available": available, **_counts(found)})
        if summary.posts_unavailable and "metrics" not in summary.unavailable:
            summary.unavailable["metrics"] = (f"{summary.network} gave no counters for "
                                              f"{summary.posts_unavailable} post(s)")
        body = {"format": FORMAT, "channel": summary.channel, "network": summary.network,
                "collected_at": iso(self.now), "account": {"followers": summary.followers},
                "posts": posts, "unavailable": dict(summary.unavailable)}
        path = snapshot_path(self.day, summary.channel)
        self.files[path] = merge_snapshot(self.today.get(path), body)

    def _inbox(self, reader: Reader, adapter: Any, summary: ChannelSummary) -> None:
        name = summary.channel
        cursors = load_json(self.old_cursors.get(cursor_path(name)))
        posts = {str(r.remote_id): r.post for r in self.records
                 if r.channel == name and r.remote_id}
        items, cursor = reader.inbox(cursors.get("inbox"))
        fresh = [_item_json(i, name, summary.network, self.rules, posts) for i in items
                 if f"{name}:{i.id}" not in self.old_inbox]
        search_cursor = cursors.get("search")
        terms = [*self.rules.brand_terms, *self.rules.watch_keywords]
        if isinstance(adapter, Searcher) and terms:
            found, search_cursor = adapter.search(terms, search_cursor)
            seen = {i["id"] for i in fresh} | set(self.old_inbox)
            keyword = [_item_json(i, name, summary.network, self.rules, posts) for i in found
                       if f"{name}:{i.id}" not in seen]
            summary.keyword_items = len(keyword)
            fresh += keyword
        summary.new_items = len(fresh)
        self.progress(name, f"{len(fresh)} new inbox item(s)")
        updated = self._answers(adapter, name, fresh)
        summary.answered = len(updated)
        changed = fresh + updated
        self.inbox_now[name] = changed
        if changed:
            path = inbox_path(self.day, name)
            self.files[path] = merge_inbox(self.inbox_files.get(path), changed)
        if cursor != cursors.get("inbox") or search_cursor != cursors.get("search") or \
                not cursors:
            self.cursors[cursor_path(name)] = dumps({
                "format": FORMAT, "channel": name, "inbox": cursor, "search": search_cursor,
                "updated": iso(self.now)})

    def _answers(self, adapter: Any, name: str, fresh: list[dict[str, Any]]
                 ) -> list[dict[str, Any]]:
        """Items (earlier or new) that now have an answer, with ``replied_at`` set."""
        if not isinstance(adapter, ReplyChecker):
            return []
        waiting = [i for i in [*self.old_inbox.values(), *fresh]
                   if i.get("channel") == name and i.get("replied_at") is None
                   and i.get("kind") in ("mention", "reply", "dm", "quote")
                   and (at := parse_time(i.get("received_at"))) is not None
                   and at >= self.since]
        waiting.sort(key=lambda i: str(i.get("received_at")))
        waiting = waiting[:MAX_REPLY_CHECKS]
        answers = adapter.replied([str(i["remote_id"]) for i in waiting if i.get("remote_id")])
        out = []
        for item in waiting:
            when = answers.get(str(item.get("remote_id")))
            if when is not None:
                item["replied_at"] = iso(when)
                if item not in fresh:
                    out.append(item)
        return out

    def crisis(self) -> tuple[list[Signal], dict[str, str]]:
        everything = dict(self.old_inbox)
        for items in self.inbox_now.values():
            everything.update({i["id"]: i for i in items})
        heard = [Heard(at, item.get("sentiment") == "negative"
                       or bool(item.get("crisis_terms")))
                 for item in everything.values()
                 if (at := parse_time(item.get("received_at"))) is not None]
        old = load_json(self.store.read_files("crisis").get(CRISIS_PATH))
        state = CrisisState(dict(old.get("open") or {}))
        fired, new = evaluate(self.rules, heard, self.now, state)
        if fired or new.open != state.open:
            history = list(old.get("fired") or []) + [s.as_json() for s in fired]
            self.files[CRISIS_PATH] = dumps({"format": FORMAT, "open": new.open,
                                             "fired": history[-200:]})
        self.everything = everything
        return fired, new.open

    def traffic(self, setup: Ga4Setup, explicit_since: datetime | None) -> AnalyticsSummary:
        """Website traffic per campaign and source, from GA4, into today's analytics file."""
        config = setup.config
        end = self.day
        start = explicit_since.date() if explicit_since else \
            end - timedelta(days=config.days - 1)
        reading = read_traffic(setup, list(self.calendar.campaigns.values()), start, end,
                               lambda message: self.progress("analytics", message))
        summary = AnalyticsSummary(config.property, start, end, unavailable=reading.unavailable,
                                   error=reading.error)
        if reading.unavailable or reading.error:
            self.progress("analytics", f"error: {reading.error}" if reading.error
                          else f"unavailable: {reading.unavailable}")
            return summary
        summary.rows = len(reading.rows)
        summary.sessions = sum(r.sessions for r in reading.rows)
        summary.campaigns = len({r.campaign.lower() for r in reading.rows if r.sessions})
        path = analytics_path(self.day)
        body = {"format": FORMAT, "source": "ga4", "property": config.property,
                "collected_at": iso(self.now), "start": start.isoformat(),
                "end": end.isoformat(), "rows": [r.as_json() for r in reading.rows]}
        self.files[path] = merge_analytics(self.store.read_files("analytics").get(path), body)
        self.progress("analytics", f"{summary.rows} row(s), {summary.sessions} session(s)")
        return summary


def collect(calendar: Calendar, rules: Listening, store: Store, factory: Factory,
            now: datetime, since: datetime | None = None,
            progress: Progress | None = None, analytics: Ga4Setup | None = None
            ) -> CollectResult:
    """``analytics``: the GA4 step (:func:`cmops.ga4.load_setup`), None to skip it."""
    run = _Run(calendar, rules, store, factory, now, since, progress or (lambda c, m: None))
    summaries = []
    for name in sorted(calendar.channels):
        if not is_channel(name):  # names become file names in the store: validate says why
            run.progress(name, "skipped: the channel name is not allowed (cmops validate)")
            continue
        run.progress(name, "reading")
        summaries.append(run.channel(name))
    fired, open_episodes = run.crisis()
    traffic = run.traffic(analytics, since) if analytics is not None else None
    ranked = rank_leaders((i for i in run.everything.values()
                           if (at := parse_time(i.get("received_at"))) is not None
                           and at >= now - timedelta(days=30)), rules)
    files = {**run.files, **run.cursors}  # cursors last: data first, then where to resume
    store.write_files(files)
    return CollectResult(now, store.description, summaries, fired, open_episodes, ranked,
                         list(files), traffic)


__all__ = ["AnalyticsSummary", "ChannelSummary", "CollectResult", "Store", "collect"]
