"""Rules about time: zones, publish_at, campaign windows."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from cmops import schedule
from cmops.model import Post
from cmops.problems import Finding
from cmops.rules.context import Context

DOCS = {
    "time.zone": "A time zone is not a known IANA name.",
    "post.publish-at": "publish_at is missing on a ready post (a reply needs none), is not "
                       "a real date and time "
                       "in the years 2000 to 2100, or falls in a daylight-saving gap or "
                       "overlap of the channel's time zone.",
    "post.campaign-window": "A post's publish_at falls outside its campaign's start..end window.",
    "campaign.dates": "A campaign's dates are not valid dates in the years 2000 to 2100, or "
                      "it ends before it starts.",
    "duration": "A duration (max_delay, min_spacing, a listening window) is not a duration "
                "such as 90m, 6h or 2d, or is longer than a year (366d).",
    "post.queue": "A queued post (publish_at: next-slot or queue:) has no day to start from, "
                  "targets a channel without posting slots, or also repeats.",
    "post.repeat": "A repeating post's interval is longer than a year (366d, 8784h) or is "
                   "not an interval, or its until is not a valid date in 2000-2100.",
}


def check_zones(ctx: Context) -> Iterator[Finding]:
    cal = ctx.calendar
    if not ctx.zone_ok(cal.timezone):
        yield Finding(cal.channels_file, ("timezone",), "time.zone",
                      f"unknown time zone {cal.timezone!r}; use an IANA name such as "
                      "Europe/Paris or America/New_York")
    for ch in cal.channels.values():
        if not ctx.zone_ok(ch.timezone):
            yield Finding(cal.channels_file, ("channels", ch.name, "timezone"), "time.zone",
                          f"unknown time zone {ch.timezone!r} on channel '{ch.name}'")


def check_campaign_dates(ctx: Context) -> Iterator[Finding]:
    for campaign in ctx.calendar.campaigns.values():
        if campaign.start is None or campaign.end is None:
            continue
        try:
            start = schedule.parse_date(campaign.start)
        except schedule.TimeError as err:
            yield Finding(campaign.file, ("start",), "campaign.dates", str(err))
            continue
        try:
            end = schedule.parse_date(campaign.end)
        except schedule.TimeError as err:
            yield Finding(campaign.file, ("end",), "campaign.dates", str(err))
            continue
        if end < start:
            yield Finding(campaign.file, ("end",), "campaign.dates",
                          f"the campaign ends ({end}) before it starts ({start})")


def _check_queue(post: Post, ctx: Context) -> Iterator[Finding]:
    cal = ctx.calendar
    if post.repeat is not None:
        yield Finding(post.file, ("repeat",), "post.queue",
                      "a queued post (next-slot) cannot repeat; give it a publish_at")
    if post.queue is None and (post.campaign is None or post.campaign not in ctx.windows):
        yield Finding(post.file, ("publish_at",), "post.queue",
                      "next-slot needs queue: YYYY-MM-DD (the day from which to take a slot) "
                      "or a campaign (its start is used)")
    for i, name in enumerate(post.channels):
        channel = cal.channels.get(name)
        if channel is not None and not channel.slots:
            yield Finding(post.file, ("channels", i), "post.queue",
                          f"channel '{name}' has no posting slots for a queued post; add "
                          f"slots: to it in {cal.channels_file} or give the post a publish_at")


def check_post_time(post: Post, ctx: Context) -> Iterator[Finding]:
    cal = ctx.calendar
    if post.max_delay is not None:
        try:
            schedule.parse_duration(post.max_delay)
        except schedule.TimeError as err:
            yield Finding(post.file, ("max_delay",), "duration", str(err))
    if post.queue is not None:
        try:
            schedule.parse_date(post.queue)
        except schedule.TimeError as err:
            yield Finding(post.file, ("queue",), "post.queue", str(err))
    if post.queued:
        yield from _check_queue(post, ctx)
        return
    if post.publish_at is None:
        if post.status == "ready" and not post.reply:
            yield Finding(post.file, (), "post.publish-at",
                          "a ready post needs publish_at (when to publish it) or queue (the "
                          "day from which it takes its channels' next free slot); a reply "
                          "(reply_to:) needs neither: it goes out with the next run")
        return
    if post.repeat is not None:
        try:
            schedule.parse_every(post.repeat.every)
        except schedule.TimeError as err:
            yield Finding(post.file, ("repeat", "every"), "post.repeat", str(err))
    if post.repeat is not None and post.repeat.until is not None:
        try:
            schedule.parse_date(post.repeat.until)
        except schedule.TimeError as err:
            yield Finding(post.file, ("repeat", "until"), "post.repeat", str(err))
    # A local time means one instant per distinct zone among the post's channels.
    zones: dict[str | None, str] = {}
    if schedule.has_offset(post.publish_at):
        zones[None] = ""
    else:
        for channel in post.channels or ("",):
            tz = cal.channel_timezone(channel) if channel else cal.timezone
            zones.setdefault(tz if ctx.zone_ok(tz) else None, channel)
    window = ctx.windows.get(post.campaign) if post.campaign else None
    cal_zone = cal.timezone if ctx.zone_ok(cal.timezone) else None
    for tz, channel in zones.items():
        try:
            when = schedule.resolve_publish_at(post.publish_at, tz)
        except schedule.TimeError as err:
            own_zone = channel and tz != cal.timezone
            suffix = f" (channel '{channel}' uses {tz})" if own_zone else ""
            yield Finding(post.file, ("publish_at",), "post.publish-at", str(err) + suffix)
            continue
        if window and cal_zone:
            day = when.astimezone(schedule.zone(cal_zone)).date()
            if not window[0] <= day <= window[1]:
                yield Finding(post.file, ("publish_at",), "post.campaign-window",
                              f"publish_at {post.publish_at} ({day}) is outside campaign "
                              f"'{post.campaign}' ({window[0]} to {window[1]})")
                break


_DURATION_FORM = re.compile(r"[0-9]+(m|h|d)\Z")


def _durations(rel: str, found: Iterator[tuple[tuple[str | int, ...], Any]]
               ) -> Iterator[Finding]:
    """A duration in the schema's form but past :data:`cmops.schedule.MAX_DURATION` (a
    malformed one is the schema's error already)."""
    for path, value in found:
        if isinstance(value, str) and _DURATION_FORM.match(value):
            try:
                schedule.parse_duration(value)
            except schedule.TimeError as err:
                yield Finding(rel, path, "duration", str(err))


def check_channel_durations(rel: str, data: Mapping[str, Any]) -> Iterator[Finding]:
    yield from _durations(rel, iter([(("max_delay",), data.get("max_delay"))]))


def check_rule_durations(rel: str, data: Mapping[str, Any]) -> Iterator[Finding]:
    spacing = data.get("min_spacing")
    if isinstance(spacing, dict):
        yield from _durations(rel, ((("min_spacing", k), v) for k, v in spacing.items()))


def check_listening_durations(rel: str, data: Mapping[str, Any]) -> Iterator[Finding]:
    found: list[tuple[tuple[str | int, ...], Any]] = [(("window",), data.get("window"))]
    thresholds = data.get("thresholds")
    for i, t in enumerate(thresholds if isinstance(thresholds, list) else []):
        if isinstance(t, dict):
            found += [(("thresholds", i, k), t.get(k)) for k in ("within", "trailing")]
    yield from _durations(rel, iter(found))
