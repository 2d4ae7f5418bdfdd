"""Data files beside the pages, for anyone who would rather compute than read: JSON exports of
the calendar, the campaigns, the published log, the analytics and the inbox, and an
iCalendar feed (one event per post × channel, with a UID that stays the same across builds,
so calendar apps update events instead of duplicating them).

Everything is sorted and carries no time but the report's ``now``: the same inputs give the
same bytes.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from cmops.report.analytics import answered, crisis, followers, hours, top_posts, weekly
from cmops.report.model import Entry, Site
from cmops.report.sources import PostMetrics

FORMAT = 1
EVENT_MINUTES = 15


def _iso(when: datetime | None) -> str | None:
    if when is None:
        return None
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _metrics(m: PostMetrics | None) -> dict[str, Any] | None:
    if m is None:
        return None
    return {"collected_at": _iso(m.collected_at), "impressions": m.impressions,
            "likes": m.likes, "comments": m.comments, "shares": m.shares, "clicks": m.clicks,
            "interactions": m.interactions, "url": m.url}


def _entry(e: Entry) -> dict[str, Any]:
    return {"key": e.key, "post": e.post_id, "occurrence": e.occurrence, "channel": e.channel,
            "network": e.network, "campaign": e.campaign, "state": e.state, "reason": e.reason,
            "publish_at": _iso(e.when), "local": e.when.isoformat() if e.when else None,
            "url": e.url, "metrics": _metrics(e.metrics)}


def _dump(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def calendar_json(site: Site) -> bytes:
    posts = []
    for post_id in sorted(site.posts):
        view = site.posts[post_id]
        post = view.post
        posts.append({
            "id": post.id, "file": post.file, "campaign": post.campaign,
            "labels": list(post.labels), "page": view.page, "anchor": view.anchor,
            "renders": [{"channels": list(g.channels), "lang": g.rendered.lang,
                         "links": dict(g.links),
                         "parts": [{"text": p.text, "kind": p.kind, "media": [
                             {"path": m.path, "alt": m.alt} for m in p.media]}
                             for p in g.rendered.parts]} for g in view.renders]})
    return _dump({
        "format": FORMAT, "now": _iso(site.now), "zone": site.zone,
        "pause": None if site.pause is None else {
            "reason": site.pause.reason, "since": site.pause.since, "by": site.pause.by,
            "channels": list(site.pause.channels) if site.pause.channels else None},
        "channels": [{"name": c.name, "label": c.label, "network": c.network,
                      "color": c.color} for c in site.channels.values()],
        "items": [_entry(e) for e in site.entries + site.standby],
        "posts": posts})


def campaigns_json(site: Site) -> bytes:
    return _dump({"format": FORMAT, "now": _iso(site.now), "campaigns": [{
        "id": v.campaign.id, "name": v.campaign.name, "start": v.campaign.start,
        "end": v.campaign.end, "status": v.status, "channels": v.channels, "page": v.page,
        "posts": sorted({e.post_id for e in v.entries}),
        "goals": [{"name": g.name, "target": g.target, "actual": g.actual,
                   "unit": "percent" if g.percent else "count"} for g in v.goals]}
        for v in site.campaigns]})


def published_json(site: Site) -> bytes:
    return _dump({"format": FORMAT, "now": _iso(site.now), "rows": [{
        "key": r.key, "post": r.post_id, "channel": r.channel, "network": r.network,
        "state": r.state, "at": _iso(r.when), "urls": list(r.urls), "attempts": r.attempts,
        "error": r.error, "in_calendar": r.in_calendar} for r in site.log]})


def analytics_json(site: Site) -> bytes:
    if not site.sources.has_metrics:
        return _dump({"format": FORMAT, "now": _iso(site.now), "collected": False})
    cells, by_rate = hours(site)
    return _dump({
        "format": FORMAT, "now": _iso(site.now), "collected": True,
        "days": [d.isoformat() for d in site.sources.days],
        "weeks": [{"week": d.isoformat(), "interactions": n, "impressions": reach,
                   "posts": posts} for d, n, reach, posts in weekly(site)],
        "followers": {c: [{"day": d.isoformat(), "followers": n} for d, n in points]
                      for c, points in followers(site).items()},
        "hours": {"measure": "engagement_rate" if by_rate else "interactions",
                  "cells": [{"weekday": d, "hour": h, "value": round(v, 4), "posts": n}
                            for (d, h), (v, n) in sorted(cells.items())]},
        "top": [{"key": m.key, **(_metrics(m) or {})} for m in top_posts(site)]})


def inbox_json(site: Site) -> bytes:
    if not site.sources.collected:
        return _dump({"format": FORMAT, "now": _iso(site.now), "collected": False})
    negative, average, spike = crisis(site)
    return _dump({
        "format": FORMAT, "now": _iso(site.now), "collected": True,
        "crisis": {"negative_24h": negative, "daily_average_before": round(average, 2),
                   "spike": spike},
        "unanswered": [{
            "id": m.id, "channel": m.channel, "kind": m.kind,
            "received_at": _iso(m.received_at),
            "author": m.author_handle or m.author_name,
            # Private messages stay private: counted, never copied to the site.
            "text": None if m.kind == "dm" else m.text,
            "url": None if m.kind == "dm" else m.url}
            for m in site.sources.inbox if not answered(site, m)]})


_ICS_ESCAPES = {ord("\\"): "\\\\", ord(";"): "\\;", ord(","): "\\,", ord("\n"): "\\n",
                ord("\r"): None,
                # Line breaks outside ASCII (NEL, LINE and PARAGRAPH SEPARATOR) are line
                # breaks to the reader and to parsers that split lines the Unicode way:
                # written as the one escaped newline TEXT has.
                **{c: "\\n" for c in (0x85, 0x2028, 0x2029)},
                # RFC 5545 §3.1 excludes CONTROL from TEXT; C1 controls and lone surrogates
                # (which UTF-8 cannot encode) become spaces too.
                **{c: " " for c in (*range(0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0))
                   if c not in (0x0D, 0x85)}}
_SURROGATES = re.compile("[\ud800-\udfff]")


def _ics_text(value: str) -> str:
    """TEXT as RFC 5545 §3.3.11 escapes it: every line break becomes ``\\n``, other control
    characters spaces."""
    return _SURROGATES.sub(" ", value.translate(_ICS_ESCAPES))


def _fold(line: str) -> str:
    """Lines of at most 75 octets, continued with a space (RFC 5545 §3.1), never splitting
    a UTF-8 character."""
    if len(line) <= 18:  # 18 characters are at most 72 octets: most lines, checked at once
        return line
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    out = []
    start, limit = 0, 75
    while len(data) - start > limit:
        end = start + limit
        while data[end] & 0xC0 == 0x80:  # a continuation byte: cut before its character
            end -= 1
        out.append(data[start:end])
        start, limit = end, 74  # continuation lines start with a space
    out.append(data[start:])
    return "\r\n ".join(part.decode("utf-8") for part in out)


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


_ICS_STATUS = {"published": "CONFIRMED", "failed": "CANCELLED", "expired": "CANCELLED"}


def calendar_ics(site: Site) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//cmops//report//EN",
             "CALSCALE:GREGORIAN", "METHOD:PUBLISH", "X-WR-CALNAME:cmops",
             f"X-WR-TIMEZONE:{_ics_text(site.zone)}"]
    stamp = _stamp(site.now)
    # A post's text is the same on each of its channels and occurrences: escaped once
    # (escaping is character by character, so the escaped parts can be joined).
    escaped: dict[int, tuple[str, str]] = {}
    for e in site.entries:
        if e.when is None or e.state == "skipped":
            continue
        view = site.posts.get(e.post_id)
        channel = site.channels.get(e.channel)
        label = channel.label if channel else e.channel
        rendered = view.rendered_for(e.channel) if view else None
        text = rendered.text if rendered else ""
        done = escaped.get(id(rendered))
        if done is None:
            first = " ".join(text.split())
            done = escaped[id(rendered)] = (
                _ics_text(first[:60] + ("…" if len(first) > 60 else "")),
                _ics_text(text + "\n\n"))
        short, described = done
        uid = hashlib.sha256(e.key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        lines += ["BEGIN:VEVENT", f"UID:{uid}@cmops", f"DTSTAMP:{stamp}",
                  f"DTSTART:{_stamp(e.when)}",
                  f"DTEND:{_stamp(e.when + timedelta(minutes=EVENT_MINUTES))}",
                  f"SUMMARY:{_ics_text(f'[{label}] ')}{short}",
                  f"DESCRIPTION:{described}{_ics_text(e.key + ': ' + e.state)}",
                  f"STATUS:{_ICS_STATUS.get(e.state, 'TENTATIVE')}"]
        if e.campaign:
            lines.append(f"CATEGORIES:{_ics_text(e.campaign)}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode("utf-8")


def data_files(site: Site) -> dict[str, bytes]:
    return {"data/calendar.json": calendar_json(site),
            "data/campaigns.json": campaigns_json(site),
            "data/published.json": published_json(site),
            "data/analytics.json": analytics_json(site),
            "data/inbox.json": inbox_json(site),
            "data/calendar.ics": calendar_ics(site)}
