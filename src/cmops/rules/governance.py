"""The team's own publishing policy (``calendar/rules.yaml``), enforced as failing checks.

What SaaS tools only recommend: quiet hours, blackout dates, spacing between posts on a
channel, a daily maximum per channel, banned words, UTM tags on campaign links, and no link
in the first post on X. Each violation names the post's file, line and field; rule ids listed
in ``warn_only`` are reported as warnings instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from itertools import pairwise

from cmops import schedule
from cmops.model import Calendar, Governance, Post
from cmops.problems import Finding, Path, Severity
from cmops.render import find_urls, render
from cmops.rules.context import Context
from cmops.text.limits import NETWORKS

DOCS = {
    "governance.quiet-hours": "A post is scheduled inside the quiet hours rules.yaml sets for "
                              "its channel.",
    "governance.blackout": "A post is scheduled on a blackout date (embargo, mourning, results "
                           "day) from rules.yaml.",
    "governance.min-spacing": "Two posts on one channel are closer together than rules.yaml's "
                              "min_spacing.",
    "governance.max-per-day": "More posts on one channel in one local day than rules.yaml's "
                              "max_per_day.",
    "governance.banned-word": "A post's text contains a word or phrase rules.yaml bans.",
    "governance.utm-required": "rules.yaml requires UTM tags on campaign links, and this "
                               "campaign post's links would go out untagged.",
    "governance.x-link": "rules.yaml forbids a link in the first post on X (put it in a reply).",
    "post.withdraw-by-hand": "A withdrawn post targets a channel whose network cmops cannot "
                             "delete on (Instagram): where it was published, delete it there "
                             "by hand, then record it with cmops resolve --as withdrawn.",
}

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _severity(rules: Governance, rule: str) -> Severity:
    return Severity.WARNING if rule in rules.warn_only else Severity.ERROR


def _covers(channels: tuple[str, ...] | None, channel: str) -> bool:
    return channels is None or channel in channels


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _when(post: Post, calendar: Calendar, channel: str) -> datetime | None:
    if post.status != "ready" or post.queued or not post.publish_at:
        return None
    zone = calendar.channel_timezone(channel) or "UTC"
    try:  # an unknown zone is time.zone's error; policy has nothing to say then
        return schedule.resolve_publish_at(post.publish_at, zone).astimezone(
            schedule.zone(zone))
    except schedule.TimeError:
        return None


def check_post_policy(post: Post, ctx: Context) -> Iterator[Finding]:
    rules = ctx.calendar.rules
    yield from _banned(post, rules)
    for channel in post.channels if rules.quiet_hours or rules.blackouts else ():
        local = _when(post, ctx.calendar, channel)
        if local is not None:
            yield from _time_rules(post, rules, channel, local)
    yield from _links(post, ctx)
    yield from _withdraw_by_hand(post, ctx)


def _withdraw_by_hand(post: Post, ctx: Context) -> Iterator[Finding]:
    """``status: withdrawn`` where a network cannot delete through cmops: a warning, since
    the file alone cannot tell whether it went out there (the plan says, from the ledger)."""
    if not post.withdrawn:
        return
    for index, channel in enumerate(post.channels):
        ch = ctx.calendar.channels.get(channel)
        network = (ch.network or "outbox") if ch else None
        rules = NETWORKS.get(network) if network else None
        if rules is not None and not rules.deletes:
            yield Finding(post.file, ("channels", index), "post.withdraw-by-hand",
                          f"{channel}: cmops cannot delete on {network}; where this post was "
                          f"published there, delete it by hand, then run cmops resolve "
                          f"{post.id} --channel {channel} --as withdrawn",
                          Severity.WARNING)


def _time_rules(post: Post, rules: Governance, channel: str,
                local: datetime) -> Iterator[Finding]:
    minute = local.hour * 60 + local.minute
    day = _DAYS[local.weekday()]
    for quiet in rules.quiet_hours:
        if not _covers(quiet.channels, channel) or (quiet.days and day not in quiet.days):
            continue
        start, end = _minutes(quiet.start), _minutes(quiet.end)
        inside = start <= minute < end if start <= end else (minute >= start or minute < end)
        if inside:
            rule = "governance.quiet-hours"
            yield Finding(post.file, ("publish_at",), rule,
                          f"{local:%H:%M} on {channel} is inside the quiet hours "
                          f"{quiet.start}–{quiet.end} ({rules.file})", _severity(rules, rule))
    today = local.date().isoformat()
    for blackout in rules.blackouts:
        if _covers(blackout.channels, channel) and blackout.start <= today <= blackout.end:
            rule = "governance.blackout"
            why = f": {blackout.reason}" if blackout.reason else ""
            yield Finding(post.file, ("publish_at",), rule,
                          f"{today} on {channel} is in the blackout {blackout.start} to "
                          f"{blackout.end}{why}", _severity(rules, rule))


def _texts(post: Post) -> Iterator[tuple[Path, str]]:
    yield ("text",), post.text
    for i, part in enumerate(post.thread):
        yield ("thread", i, "text"), part.text
    for name, variant in post.variants.items():
        if variant.text is not None:
            yield ("variants", name, "text"), variant.text
        for i, part in enumerate(variant.thread or ()):
            yield ("variants", name, "thread", i, "text"), part.text


def _banned(post: Post, rules: Governance) -> Iterator[Finding]:
    if not rules.banned_words:
        return
    pattern = re.compile(r"(?<!\w)(" + "|".join(re.escape(w) for w in rules.banned_words)
                         + r")(?!\w)", re.IGNORECASE)
    rule = "governance.banned-word"
    for path, text in _texts(post):
        for match in pattern.finditer(text or ""):
            yield Finding(post.file, path, rule, f"'{match[1]}' is a banned word or phrase "
                          f"({rules.file})", _severity(rules, rule))


def _links(post: Post, ctx: Context) -> Iterator[Finding]:
    rules, calendar = ctx.calendar.rules, ctx.calendar
    if rules.require_utm and post.campaign:
        campaign = calendar.campaigns.get(post.campaign)
        has_links = bool(post.link) or any(find_urls(t or "") for _, t in _texts(post))
        if campaign is not None and has_links and (not campaign.utm or not post.utm):
            rule = "governance.utm-required"
            why = "the post opts out with utm: false" if not post.utm else \
                f"campaign {campaign.id} has no utm: settings"
            yield Finding(post.file, ("utm",) if not post.utm else ("campaign",), rule,
                          f"links in campaign posts must be UTM-tagged ({rules.file}), but "
                          f"{why}", _severity(rules, rule))
    if rules.no_link_in_x_main_post:
        for channel in post.channels:
            ch = calendar.channels.get(channel)
            if ch is None or ch.network != "x":
                continue
            if find_urls(render(post, channel, calendar).text):
                rule = "governance.x-link"
                yield Finding(post.file, _x_text_path(post, channel), rule,
                              f"the first post on {channel} has a link; {rules.file} wants "
                              "links in a reply (add a thread part or an x variant)",
                              _severity(rules, rule))


def _x_text_path(post: Post, channel: str) -> Path:
    for name in (channel, "x"):
        variant = post.variants.get(name)
        if variant is not None and variant.text is not None:
            return ("variants", name, "text")
    return ("text",)


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60}h{minutes % 60:02d}" if minutes >= 60 else f"{minutes} min"


def check_calendar_policy(ctx: Context) -> Iterator[Finding]:
    """Spacing and daily caps need every post of a channel at once."""
    calendar, rules = ctx.calendar, ctx.calendar.rules
    if not rules.min_spacing and not rules.max_per_day:
        return
    by_channel: dict[str, list[tuple[datetime, Post]]] = {}
    for post in calendar.posts:
        for channel in post.channels:
            local = _when(post, calendar, channel)
            if local is not None:
                by_channel.setdefault(channel, []).append((local, post))
    for channel, timed in sorted(by_channel.items()):
        timed.sort(key=lambda t: (t[0], t[1].id))
        spacing = rules.min_spacing.get(channel, rules.min_spacing.get("default"))
        if spacing:
            try:
                gap = schedule.parse_duration(spacing)
            except schedule.TimeError:
                gap = timedelta(0)
            for (before, first), (after, second) in pairwise(timed):
                if after - before < gap:
                    rule = "governance.min-spacing"
                    yield Finding(second.file, ("publish_at",), rule,
                                  f"{_span(after - before)} after {first.id} on {channel}; "
                                  f"{rules.file} wants at least {spacing} between posts",
                                  _severity(rules, rule))
        cap = rules.max_per_day.get(channel, rules.max_per_day.get("default"))
        if cap:
            per_day: dict[str, list[Post]] = {}
            for local, post in timed:
                per_day.setdefault(local.date().isoformat(), []).append(post)
            for day, posts in sorted(per_day.items()):
                for extra in posts[cap:]:
                    rule = "governance.max-per-day"
                    yield Finding(extra.file, ("publish_at",), rule,
                                  f"post {posts.index(extra) + 1} on {channel} on {day}; "
                                  f"{rules.file} allows {cap} a day", _severity(rules, rule))
