"""Rules about time: zones, publish_at, campaign windows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from cmops import schedule
from cmops.problems import Finding
from cmops.rules.context import Context

DOCS = {
    "time.zone": "A time zone is not a known IANA name.",
    "post.publish-at": "publish_at is missing on a ready post, is not a real date and time, "
                       "or falls in a daylight-saving gap or overlap of the channel's time zone.",
    "post.campaign-window": "A post's publish_at falls outside its campaign's start..end window.",
    "campaign.dates": "A campaign's dates are not valid, or it ends before it starts.",
    "duration": "A max_delay is not a duration such as 90m, 6h or 2d.",
}


def check_times(ctx: Context) -> Iterator[Finding]:
    cal = ctx.calendar
    cfile = cal.channels_file
    zones_ok: dict[str, bool] = {}

    def zone_ok(name: str | None) -> bool:
        if name is None:
            return True
        if name not in zones_ok:
            try:
                schedule.zone(name)
                zones_ok[name] = True
            except schedule.TimeError:
                zones_ok[name] = False
        return zones_ok[name]

    if not zone_ok(cal.timezone):
        yield Finding(cfile, ("timezone",), "time.zone",
                      f"unknown time zone {cal.timezone!r}; use an IANA name such as "
                      "Europe/Paris or America/New_York")
    for ch in cal.channels.values():
        if not zone_ok(ch.timezone):
            yield Finding(cfile, ("channels", ch.name, "timezone"), "time.zone",
                          f"unknown time zone {ch.timezone!r} on channel '{ch.name}'")

    windows: dict[str, tuple[date, date] | None] = {}
    for campaign in cal.campaigns.values():
        windows[campaign.id] = None
        if campaign.start is None or campaign.end is None:
            continue
        try:
            start, end = schedule.parse_date(campaign.start), schedule.parse_date(campaign.end)
        except schedule.TimeError as err:
            bad = "start" if not _is_date(campaign.start) else "end"
            yield Finding(campaign.file, (bad,), "campaign.dates", str(err))
            continue
        if end < start:
            yield Finding(campaign.file, ("end",), "campaign.dates",
                          f"the campaign ends ({end}) before it starts ({start})")
            continue
        windows[campaign.id] = (start, end)

    cal_zone = cal.timezone if zone_ok(cal.timezone) else None
    for post in cal.posts:
        if post.max_delay is not None:
            try:
                schedule.parse_duration(post.max_delay)
            except schedule.TimeError as err:
                yield Finding(post.file, ("max_delay",), "duration", str(err))
        if post.publish_at is None:
            if post.status == "ready":
                yield Finding(post.file, (), "post.publish-at",
                              "a ready post needs publish_at (when to publish it)")
            continue
        if post.publish_at == "next-slot":
            continue
        window = windows.get(post.campaign) if post.campaign else None
        absolute = schedule.has_offset(post.publish_at)
        channels = post.channels if not absolute else post.channels[:1]
        reported: set[str] = set()
        for channel in channels or ("",):
            tz = cal.channel_timezone(channel) if channel else cal.timezone
            tz = tz if zone_ok(tz) else None
            try:
                when = schedule.resolve_publish_at(post.publish_at, tz)
            except schedule.TimeError as err:
                message = str(err)
                if message not in reported:
                    reported.add(message)
                    own_zone = channel and tz != cal.timezone
                    suffix = f" (channel '{channel}' uses {tz})" if own_zone else ""
                    yield Finding(post.file, ("publish_at",), "post.publish-at",
                                  message + suffix)
                continue
            if window and cal_zone:
                day = when.astimezone(schedule.zone(cal_zone)).date()
                if not window[0] <= day <= window[1]:
                    message = (f"publish_at {post.publish_at} ({day}) is outside campaign "
                               f"'{post.campaign}' ({window[0]} to {window[1]})")
                    if message not in reported:
                        reported.add(message)
                        yield Finding(post.file, ("publish_at",), "post.campaign-window",
                                      message)


def _is_date(text: str) -> bool:
    try:
        schedule.parse_date(text)
    except schedule.TimeError:
        return False
    return True
