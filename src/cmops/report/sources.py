"""What the report reads beside the calendar and the ledger: metric snapshots and the inbox.

Both live in the ledger store (``.cmops/state/`` or the ``cmops-state`` branch), written by
``cmops collect``. Every value in them came from a network: it is checked for type here and
escaped when shown; a file that cannot be read is reported on the site and skipped, never
fatal.

Snapshots: ``snapshots/<YYYY-MM-DD>/<channel>.json``, one per channel per collection day::

    {
      "format": 1,
      "channel": "mastodon-main",
      "network": "mastodon",
      "collected_at": "2026-11-27T06:00:00Z",
      "account": {"followers": 1520, "following": 80, "posts": 312},
      "posts": [
        {"key": "halo-product-photo/mastodon-main",
         "url": "https://mastodon.social/@lumenvelo/113",
         "published_at": "2026-11-26T16:00:00Z",
         "impressions": 900, "likes": 31, "comments": 4, "shares": 9, "clicks": 12}
      ]
    }

``key`` is the ledger key of the item (``post/channel``, ``post#n/channel`` for an occurrence
of a repeating post). Counts are totals as of ``collected_at``; a count that is ``null`` or
absent is one the network does not give (X's free tier gives none), and is shown as unknown,
never as zero. The latest snapshot of an item holds its current totals; the account's
``followers`` over the days draw the growth curve.

Inbox: ``inbox/*.json``, any number of files, items merged by ``id`` (later files win)::

    {
      "format": 1,
      "items": [
        {"id": "mastodon-main:10923", "channel": "mastodon-main", "kind": "mention",
         "author": {"name": "Léa", "handle": "@lea@piaille.fr",
                    "url": "https://piaille.fr/@lea", "followers": 1200},
         "text": "Mon Halo ne charge plus", "url": "https://piaille.fr/@lea/1",
         "received_at": "2026-11-27T08:12:00Z", "replied_at": null,
         "sentiment": "negative", "post": "halo-product-photo"}
      ]
    }

``kind`` is ``mention``, ``reply``, ``comment`` or ``dm``; ``replied_at`` is when the team first
answered (``null``: not yet); ``sentiment`` is ``positive``, ``neutral``, ``negative`` or absent.

Website traffic: ``analytics/<YYYY-MM-DD>.json``, one per collection day, from Google
Analytics 4 (only when ``calendar/analytics.yaml`` configures it)::

    {
      "format": 1,
      "source": "ga4",
      "property": "123456789",
      "collected_at": "2026-11-27T06:00:00Z",
      "start": "2026-10-29", "end": "2026-11-27",
      "rows": [
        {"date": "2026-11-26", "campaign": "winter-lights-2026", "source": "mastodon",
         "sessions": 41, "engaged_sessions": 30, "key_events": 2}
      ]
    }

``campaign`` and ``source`` are the ``utm_campaign`` and ``utm_source`` of the visits'
landing links. Each file covers the days from ``start`` to ``end``: files are read in date
order and a later file's rows replace every row of the days it covers (GA4 revises recent
days), so each day is counted once.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

SNAPSHOT_FORMAT = 1
INBOX_FORMAT = 1
MAX_FILE_BYTES = 32 * 1024 * 1024
COUNTS = ("impressions", "likes", "comments", "shares", "clicks", "quotes")
KINDS = ("mention", "reply", "comment", "dm")
SENTIMENTS = ("positive", "neutral", "negative")


@dataclass(frozen=True, slots=True)
class PostMetrics:
    """An item's totals at one collection."""

    key: str
    channel: str
    collected_at: datetime
    url: str | None = None
    published_at: datetime | None = None
    impressions: int | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    clicks: int | None = None
    quotes: int | None = None

    @property
    def post(self) -> str:
        return self.key.rpartition("/")[0].partition("#")[0]

    @property
    def interactions(self) -> int | None:
        """Likes + comments + shares + quotes, as KPI v1 counts them (:mod:`cmops.kpi`), or
        None when the network gives none of them."""
        known = [v for v in (self.likes, self.comments, self.shares, self.quotes)
                 if v is not None]
        return sum(known) if known else None

    @property
    def rate(self) -> float | None:
        """Engagement rate in percent: interactions / impressions."""
        inter = self.interactions
        if inter is None or not self.impressions:
            return None
        return 100.0 * inter / self.impressions


@dataclass(frozen=True, slots=True)
class AccountPoint:
    day: date
    channel: str
    collected_at: datetime
    followers: int | None


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    channel: str
    kind: str
    text: str
    received_at: datetime
    replied_at: datetime | None = None
    author_name: str = ""
    author_handle: str = ""
    author_url: str | None = None
    author_followers: int | None = None
    url: str | None = None
    sentiment: str | None = None
    post: str | None = None


@dataclass(frozen=True, slots=True)
class Visits:
    """Website sessions of one day from one ``utm_campaign`` and ``utm_source``."""

    day: date
    campaign: str
    source: str
    sessions: int
    engaged_sessions: int
    key_events: float


@dataclass(slots=True)
class Sources:
    points: list[AccountPoint] = field(default_factory=list)
    """Follower counts, by (day, channel)."""
    latest: dict[str, PostMetrics] = field(default_factory=dict)
    """Each item's most recent totals, by ledger key."""
    snapshot_files: int = 0
    days: list[date] = field(default_factory=list)
    inbox: list[Message] = field(default_factory=list)
    inbox_files: int = 0
    bad: list[str] = field(default_factory=list)
    """``file: why`` for every file that was skipped."""
    visits: list[Visits] = field(default_factory=list)
    """Website traffic, one entry per day, campaign and source (see ``analytics/``)."""
    traffic_files: int = 0
    traffic_first: date | None = None
    traffic_last: date | None = None
    """The days the traffic files cover."""
    traffic_collected: datetime | None = None

    @property
    def has_metrics(self) -> bool:
        return self.snapshot_files > 0

    @property
    def collected(self) -> bool:
        """``cmops collect`` has run: it writes snapshots every time, but an inbox file
        only once a message arrives (no message yet is an empty inbox, not a missing one)."""
        return self.inbox_files > 0 or self.snapshot_files > 0

    @property
    def has_traffic(self) -> bool:
        return self.traffic_files > 0


class _Bad(Exception):
    pass


def _count(raw: Mapping[str, Any], name: str) -> int | None:
    value = raw.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
            value) or value < 0:
        raise _Bad(f"{name} is not a count")
    return int(value)


def _str(raw: Mapping[str, Any], name: str, required: bool = False) -> str | None:
    value = raw.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value):
        raise _Bad(f"{name} is missing or not text")
    return value


def _time(raw: Mapping[str, Any], name: str, required: bool = False) -> datetime | None:
    value = _str(raw, name, required)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise _Bad(f"{name} is not an ISO 8601 time") from None
    if parsed.tzinfo is None:
        raise _Bad(f"{name} has no offset")
    return parsed


def _json(data: bytes) -> dict[str, Any]:
    if len(data) > MAX_FILE_BYTES:
        raise _Bad("too large")
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise _Bad("not valid JSON") from None
    if not isinstance(body, dict):
        raise _Bad("not a JSON object")
    return body


def _snapshot(rel: str, data: bytes, out: Sources) -> None:
    parts = rel.split("/")
    if len(parts) != 3 or not parts[2].endswith(".json"):
        raise _Bad("expected snapshots/<YYYY-MM-DD>/<channel>.json")
    try:
        day = date.fromisoformat(parts[1])
    except ValueError:
        raise _Bad("the folder is not a date (YYYY-MM-DD)") from None
    body = _json(data)
    if body.get("format") != SNAPSHOT_FORMAT:
        raise _Bad("unknown format")
    channel = parts[2][:-5]
    if body.get("channel", channel) != channel:
        raise _Bad("its channel is not its file name")
    collected = _time(body, "collected_at", required=True)
    assert collected is not None
    account = body.get("account") or {}
    posts = body.get("posts") or []
    if not isinstance(account, dict) or not isinstance(posts, list):
        raise _Bad("account must be an object and posts a list")
    metrics = []
    for raw in posts:
        if not isinstance(raw, dict):
            raise _Bad("a posts entry is not an object")
        key = _str(raw, "key", required=True)
        assert key is not None
        if not key.endswith("/" + channel):
            raise _Bad(f"post key {key[:80]!r} is not of channel {channel}")
        metrics.append(PostMetrics(key, channel, collected, _str(raw, "url"),
                                   _time(raw, "published_at"),
                                   *(_count(raw, name) for name in COUNTS)))
    out.points.append(AccountPoint(day, channel, collected, _count(account, "followers")))
    for m in metrics:
        seen = out.latest.get(m.key)
        if seen is None or (m.collected_at, m.channel) >= (seen.collected_at, seen.channel):
            out.latest[m.key] = m
    out.snapshot_files += 1
    if day not in out.days:
        out.days.append(day)


def _inbox(data: bytes, merged: dict[str, Message]) -> None:
    body = _json(data)
    if body.get("format") != INBOX_FORMAT:
        raise _Bad("unknown format")
    items = body.get("items")
    if not isinstance(items, list):
        raise _Bad("items must be a list")
    found = []
    for raw in items:
        if not isinstance(raw, dict):
            raise _Bad("an item is not an object")
        author = raw.get("author") or {}
        if not isinstance(author, dict):
            raise _Bad("author must be an object")
        kind = _str(raw, "kind", required=True)
        sentiment = _str(raw, "sentiment")
        received = _time(raw, "received_at", required=True)
        assert kind is not None and received is not None
        found.append(Message(
            id=_str(raw, "id", required=True) or "", channel=_str(raw, "channel") or "",
            kind=kind if kind in KINDS else "mention", text=_str(raw, "text") or "",
            received_at=received, replied_at=_time(raw, "replied_at"),
            author_name=_str(author, "name") or "", author_handle=_str(author, "handle") or "",
            author_url=_str(author, "url"), author_followers=_count(author, "followers"),
            url=_str(raw, "url"), sentiment=sentiment if sentiment in SENTIMENTS else None,
            post=_str(raw, "post")))
    for message in found:
        merged[message.id] = message


def _day(raw: Mapping[str, Any], name: str) -> date:
    value = _str(raw, name, required=True)
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise _Bad(f"{name} is not a date (YYYY-MM-DD)") from None


def _analytics(rel: str, data: bytes, merged: dict[tuple[date, str, str], Visits],
               out: Sources) -> None:
    body = _json(data)
    if body.get("format") != SNAPSHOT_FORMAT:
        raise _Bad("unknown format")
    collected = _time(body, "collected_at", required=True)
    start, end = _day(body, "start"), _day(body, "end")
    rows = body.get("rows")
    if collected is None or start > end or not isinstance(rows, list):
        raise _Bad("start must not be after end, and rows must be a list")
    found = []
    for raw in rows:
        if not isinstance(raw, dict):
            raise _Bad("a rows entry is not an object")
        day = _day(raw, "date")
        if not start <= day <= end:
            raise _Bad(f"a row of {day} is outside {start} to {end}")
        key_events = raw.get("key_events")
        if isinstance(key_events, bool) or not isinstance(key_events, int | float) or \
                not math.isfinite(key_events) or key_events < 0:
            raise _Bad("key_events is not a count")
        found.append(Visits(day, _str(raw, "campaign", required=True) or "",
                            _str(raw, "source") or "", _count(raw, "sessions") or 0,
                            _count(raw, "engaged_sessions") or 0, float(key_events)))
    for key in [k for k in merged if start <= k[0] <= end]:
        del merged[key]  # a later reading of these days replaces every earlier row of them
    for visit in found:
        key = (visit.day, visit.campaign, visit.source)
        seen = merged.get(key)
        merged[key] = visit if seen is None else Visits(
            visit.day, visit.campaign, visit.source, seen.sessions + visit.sessions,
            seen.engaged_sessions + visit.engaged_sessions, seen.key_events + visit.key_events)
    out.traffic_files += 1
    out.traffic_first = min(start, out.traffic_first or start)
    out.traffic_last = max(end, out.traffic_last or end)
    out.traffic_collected = max(collected, out.traffic_collected or collected)


def parse_sources(files: Mapping[str, bytes]) -> Sources:
    """Snapshots and inbox from the store's files (path relative to the store -> bytes).
    Pure; files are taken in path order so the result never depends on listing order."""
    out = Sources()
    merged: dict[str, Message] = {}
    visits: dict[tuple[date, str, str], Visits] = {}
    for rel in sorted(files):
        try:
            if rel.startswith("snapshots/"):
                _snapshot(rel, files[rel], out)
            elif rel.startswith("inbox/") and rel.endswith(".json"):
                _inbox(files[rel], merged)
                out.inbox_files += 1
            elif rel.startswith("analytics/") and rel.endswith(".json"):
                _analytics(rel, files[rel], visits, out)
        except _Bad as exc:
            out.bad.append(f"{rel}: {exc}")
    out.visits = [visits[k] for k in sorted(visits)]
    out.days.sort()
    out.points.sort(key=lambda p: (p.day, p.channel, p.collected_at))
    out.inbox = sorted(merged.values(), key=lambda m: (m.received_at, m.id))
    return out


def read_dir(state: Path) -> dict[str, bytes]:
    """The snapshot, inbox and website-traffic files of a local ledger directory."""
    out: dict[str, bytes] = {}
    for pattern in ("snapshots/*/*.json", "inbox/*.json", "analytics/*.json"):
        for file in sorted(state.glob(pattern)):
            if file.is_file() and not file.is_symlink() and not file.name.startswith("."):
                out[file.relative_to(state).as_posix()] = file.read_bytes()
    return out


def read_git(root: Path, commit: str | None) -> dict[str, bytes]:
    """The snapshot, inbox, website-traffic and outbox files of the ledger branch at
    ``commit`` (None: no branch)."""
    if commit is None:
        return {}
    import subprocess

    from cmops.gitfiles import files_at

    # files_at reads paths relative to the folder it runs in: run it at the top of the
    # repository, where the ledger branch keeps snapshots/ and inbox/.
    top = Path(subprocess.run(["git", "-C", str(root), "rev-parse", "--show-toplevel"],
                              capture_output=True, text=True, check=True).stdout.strip())
    out: dict[str, bytes] = {}
    for folder in ("snapshots", "inbox", "analytics", "outbox"):
        out.update(files_at(top, commit, folder))
    return out
