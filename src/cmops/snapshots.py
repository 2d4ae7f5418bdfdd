"""The files ``cmops collect`` keeps in the state store, and reading their history back.

The shapes of ``snapshots/`` and ``inbox/`` are the ones the stakeholder site reads
(documented in :mod:`cmops.report.sources`); this module writes them, with a few extra fields
the site ignores. All paths are relative to the store (``.cmops/state/`` or the
``cmops-state`` branch)::

    snapshots/<YYYY-MM-DD>/<channel>.json   one per channel and UTC day
    inbox/<YYYY-MM-DD>-<channel>.json       the inbox items seen or updated that day
    cursors/<channel>.json                  where the next collect starts reading
    crisis/state.json                       open crisis episodes and the signals fired
    analytics/<YYYY-MM-DD>.json             website traffic per campaign (GA4), per UTC day

**Append-only by day**: a collect only writes today's files. A second collect on the same
day merges into them (its readings replace the earlier ones of the same posts); earlier days
are never rewritten, so the history can be replayed and the site rebuilt from it. An inbox
item updated later (we answered it) is written again into that day's file, and later files
win.

Snapshot extras: ``posts[].quotes``, ``posts[].available`` (false: the network gave no
counters for it) and ``unavailable`` (``{"metrics": why, "followers": why}``) so an absent
count is never read as zero. Inbox extras: ``network``, ``in_reply_to`` (the remote id of our
post), ``labels`` (the lexicon words behind ``sentiment``), ``crisis_terms``.

Cursors: ``{"format": 1, "channel": …, "inbox": "<opaque>", "search": "<opaque>",
"updated": ISO}``. Crisis state: ``{"format": 1, "open": {rule: {"since": ISO}}, "fired":
[{"rule", "at", "count", "detail"}]}``.

Website traffic (only with ``calendar/analytics.yaml``; see :mod:`cmops.ga4`)::

    {"format": 1, "source": "ga4", "property": "123456789",
     "collected_at": "2026-11-27T06:00:00Z", "start": "2026-10-29", "end": "2026-11-27",
     "rows": [{"date": "2026-11-26", "campaign": "winter-lights-2026", "source": "mastodon",
               "sessions": 41, "engaged_sessions": 30, "key_events": 2}]}

``start``/``end`` is the window read (the property's days); a day of it without a row had no
session from a tagged link. A later reading of a day replaces an earlier one (GA4 revises
recent days while it processes them): a second collect the same day replaces the days it
read and keeps the others of that day's file. Nothing is written when GA4 could not be read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from cmops.kpi import FollowerPoint, Message, PostReading

FORMAT = 1
COUNTS = ("impressions", "likes", "comments", "shares", "quotes", "clicks")


def dumps(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, indent=1, ensure_ascii=False, sort_keys=True).encode() + b"\n"


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def snapshot_path(day: date, channel: str) -> str:
    return f"snapshots/{day.isoformat()}/{channel}.json"


def inbox_path(day: date, channel: str) -> str:
    return f"inbox/{day.isoformat()}-{channel}.json"


def cursor_path(channel: str) -> str:
    return f"cursors/{channel}.json"


CRISIS_PATH = "crisis/state.json"


def analytics_path(day: date) -> str:
    return f"analytics/{day.isoformat()}.json"


def load_json(data: bytes | None) -> dict[str, Any]:
    """A file's object, or ``{}`` when it is absent, unreadable or of another format."""
    if data is None:
        return {}
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) and body.get("format") == FORMAT else {}


def merge_snapshot(existing: bytes | None, fresh: dict[str, Any]) -> bytes:
    """Today's snapshot file with ``fresh`` readings laid over an earlier one of today."""
    old = load_json(existing)
    posts = {p["key"]: p for p in old.get("posts", []) if isinstance(p, dict) and "key" in p}
    for p in fresh["posts"]:
        posts[p["key"]] = p
    body = dict(fresh)
    if body.get("account", {}).get("followers") is None and old.get("account"):
        body["account"] = old["account"]  # keep the day's known count over an unavailable one
    body["posts"] = [posts[k] for k in sorted(posts)]
    return dumps(body)


def merge_inbox(existing: bytes | None, items: list[dict[str, Any]]) -> bytes:
    old = load_json(existing)
    merged = {i["id"]: i for i in old.get("items", []) if isinstance(i, dict) and "id" in i}
    for item in items:
        merged[item["id"]] = item
    ordered = sorted(merged.values(), key=lambda i: (str(i.get("received_at")), i["id"]))
    return dumps({"format": FORMAT, "items": ordered})


def merge_analytics(existing: bytes | None, fresh: dict[str, Any]) -> bytes:
    """Today's traffic file: ``fresh`` rows for the days it read, earlier rows of today's
    file kept for the days it did not (same property only)."""
    old = load_json(existing)
    start, end = str(fresh["start"]), str(fresh["end"])
    body = dict(fresh)
    if old.get("property") == fresh.get("property") and isinstance(old.get("start"), str) \
            and isinstance(old.get("end"), str):
        kept = [r for r in old.get("rows") or [] if isinstance(r, dict)
                and isinstance(r.get("date"), str) and not start <= r["date"] <= end]
        body["rows"] = kept + list(fresh["rows"])
        body["start"], body["end"] = min(start, old["start"]), max(end, old["end"])
    body["rows"] = sorted(body["rows"], key=lambda r: (str(r.get("date")),
                                                        str(r.get("campaign")),
                                                        str(r.get("source"))))
    return dumps(body)


@dataclass(slots=True)
class History:
    """Everything collected so far, ready for :mod:`cmops.kpi`."""

    readings: dict[str, PostReading]
    """Each ledger key's latest reading (optionally: latest at or before a time)."""
    followers: list[FollowerPoint]
    inbox: dict[str, dict[str, Any]]
    """Inbox items by id, later files winning."""

    def messages(self) -> list[Message]:
        out = []
        for item in self.inbox.values():
            received = parse_time(item.get("received_at"))
            if received is None:
                continue
            out.append(Message(str(item["id"]), str(item.get("channel", "")),
                               str(item.get("kind", "")), received,
                               parse_time(item.get("replied_at"))))
        return out


def _count(raw: Mapping[str, Any], name: str) -> int | None:
    value = raw.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 \
        else None


def read_history(files: Mapping[str, bytes], until: datetime | None = None) -> History:
    """Parse snapshot and inbox files (path -> bytes); files that do not parse are skipped
    (the site reports them). ``until``: ignore readings collected after it."""
    readings: dict[str, tuple[datetime, PostReading]] = {}
    followers: list[FollowerPoint] = []
    inbox: dict[str, dict[str, Any]] = {}
    for rel in sorted(files):
        body = load_json(files[rel])
        if rel.startswith("snapshots/"):
            channel = str(body.get("channel") or rel.rsplit("/", 1)[-1].removesuffix(".json"))
            at = parse_time(body.get("collected_at"))
            if at is None or (until is not None and at > until):
                continue
            account = body.get("account")
            count = _count(account, "followers") if isinstance(account, dict) else None
            if count is not None:
                followers.append(FollowerPoint(channel, at, count))
            for raw in body.get("posts") or []:
                if not isinstance(raw, dict) or not isinstance(raw.get("key"), str):
                    continue
                reading = PostReading(raw["key"], channel, parse_time(raw.get("published_at")),
                                      *(_count(raw, n) for n in ("likes", "comments", "shares",
                                                                 "quotes", "impressions")))
                seen = readings.get(reading.key)
                if seen is None or at >= seen[0]:
                    readings[reading.key] = (at, reading)
        elif rel.startswith("inbox/"):
            for item in body.get("items") or []:
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    inbox[item["id"]] = item
    followers.sort(key=lambda p: (p.channel, p.at))
    return History({k: r for k, (_, r) in readings.items()}, followers, inbox)
