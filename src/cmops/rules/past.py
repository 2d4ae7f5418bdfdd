"""Ready posts that will never go out because every time they have is already past.

A post dated last month passes every other rule, and the publisher only records it as
expired: the team learns it from the log, too late. This check needs ``now`` and what was
published (the ledger), so validate runs it outside the cached rules, like the dated
warnings. A post the ledger has any record for on a channel (published, failed, expired...)
is left alone there: its story is in the plan and the log. Without a ledger (no
``.cmops/state``, no ``--state-branch``) nothing is known to be published, and the warning
says so.

"Past" means past the post's ``max_delay`` too (the channel's, the calendar's, else
:data:`cmops.plan.DEFAULT_MAX_DELAY`): until then the next run still sends it late. A
repeating post is past when its last occurrence is (``count:`` or ``until:``); one without an
end never is. Work is one time computation per post and channel, whatever the interval.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta

from cmops import schedule
from cmops.model import Calendar, Post
from cmops.plan import DEFAULT_MAX_DELAY, Recorded, assign_slots, first_time
from cmops.problems import Finding, Severity

RULE = "post.past"

DOCS = {
    RULE: "A ready post will not be sent: its time (a repeating post's last occurrence) is "
          "further in the past than its max_delay, and nothing was recorded for it on that "
          "channel (warning; with .cmops/state or --state-branch, a post already published "
          "is not reported).",
}


def _max_delay(post: Post, calendar: Calendar) -> tuple[timedelta, str]:
    for text in (post.max_delay, calendar.max_delay):
        if text:
            try:
                return schedule.parse_duration(text), text
            except schedule.TimeError:
                continue  # the duration rule reports it
    hours = int(DEFAULT_MAX_DELAY.total_seconds() // 3600)
    return DEFAULT_MAX_DELAY, f"{hours}h"


def _last_time(post: Post, first: datetime, zone: str) -> datetime | None:
    """When the post last goes out on a channel first timed at ``first``; None: never ends
    (or its repeat cannot be read: post.repeat says why)."""
    if post.repeat is None:
        return first
    try:
        rec = schedule.recurrence(
            first, schedule.parse_every(post.repeat.every), schedule.zone(zone),
            until=schedule.parse_date(post.repeat.until) if post.repeat.until else None,
            count=post.repeat.count)
    except schedule.TimeError:
        return None
    if rec.last is None or rec.last < 1:
        return None
    return rec.at(rec.last)


def recorded_channels(ledger: Mapping[str, Recorded]) -> set[tuple[str, str]]:
    """(post id, channel) of every item the ledger has a record for, any occurrence."""
    out = set()
    for key in ledger:
        head, _, channel = key.partition("/")
        out.add((head.rpartition("#")[0] if "#" in head else head, channel))
    return out


def past_findings(calendar: Calendar, now: datetime,
                  ledger: Mapping[str, Recorded] | None) -> Iterator[Finding]:
    """A warning on each ready post whose every time is past on some channel (see the
    module's docstring)."""
    recorded = recorded_channels(ledger) if ledger else set()
    slots = assign_slots(calendar) if any(p.queued for p in calendar.posts) else {}
    for post in sorted(calendar.posts, key=lambda p: p.file):
        if post.status != "ready" or (post.publish_at is None and not post.queued):
            continue
        delay, delay_text = _max_delay(post, calendar)
        missed: list[tuple[str, datetime, str]] = []
        for channel in dict.fromkeys(post.channels):
            if channel not in calendar.channels or (post.id, channel) in recorded:
                continue
            first = first_time(post, channel, calendar, slots)
            zone = calendar.channel_timezone(channel) or "UTC"
            last = _last_time(post, first, zone) if first is not None else None
            if last is not None and last + delay < now:
                missed.append((channel, last, zone))
        if not missed:
            continue
        by_time: dict[str, list[str]] = {}
        for channel, last, zone in missed:
            by_time.setdefault(_local(last, zone), []).append(channel)
        when = "; ".join(f"{time} on {', '.join(channels)}"
                         for time, channels in by_time.items())
        message = (f"will not be sent: every time is past ({when}, more than its max_delay "
                   f"of {delay_text} ago); give it a later publish_at or make it a draft")
        if ledger is None:
            message += (" (if it was already published: validate knows it from .cmops/state "
                        "or --state-branch NAME)")
        field = ("queue",) if post.queued and post.queue else ("publish_at",)
        yield Finding(post.file, field, RULE, message, Severity.WARNING)


def _local(when: datetime, zone: str) -> str:
    try:
        return f"{when.astimezone(schedule.zone(zone)):%Y-%m-%d %H:%M} {zone}"
    except schedule.TimeError:
        return f"{when:%Y-%m-%d %H:%M} UTC"
