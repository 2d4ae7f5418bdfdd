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
from zoneinfo import ZoneInfo

from cmops import schedule
from cmops.model import Blackout, Calendar, Governance, Post
from cmops.problems import Finding, Path, Severity
from cmops.render import find_urls, render
from cmops.rules import occurrences
from cmops.rules.context import Context
from cmops.text.limits import NETWORKS

DOCS = {
    "governance.quiet-hours": "A post, or an occurrence of a repeating post, is scheduled "
                              "inside the quiet hours rules.yaml sets for its channel.",
    "governance.blackout": "A post, or an occurrence of a repeating post, is scheduled on a "
                           "blackout date (embargo, mourning, results day) from rules.yaml.",
    "governance.min-spacing": "Two posts on one channel are closer together than rules.yaml's "
                              "min_spacing, counting every occurrence of repeating posts (one "
                              "that repeats more often than that is reported on its every).",
    "governance.max-per-day": "More posts on one channel in one local day than rules.yaml's "
                              "max_per_day, counting every occurrence of repeating posts.",
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


def _first(post: Post, calendar: Calendar, channel: str) -> tuple[datetime, str] | None:
    """When a ready, timed post first goes out on ``channel`` (UTC), and the channel's zone."""
    if post.status != "ready" or post.queued or not post.publish_at:
        return None
    zone = calendar.channel_timezone(channel) or "UTC"
    try:  # an unknown zone is time.zone's error; policy has nothing to say then
        schedule.zone(zone)
        return schedule.resolve_publish_at(post.publish_at, zone), zone
    except schedule.TimeError:
        return None


def _local_times(post: Post, calendar: Calendar, channel: str
                 ) -> tuple[list[tuple[int | None, datetime]], schedule.Recurrence | None]:
    """The local times quiet hours look at (one, or a repeating post's sample) and the
    post's recurrence."""
    found = _first(post, calendar, channel)
    if found is None:
        return [], None
    first, zone = found
    tz = schedule.zone(zone)
    rec = occurrences.recurrence(post, first, zone)
    if rec is None:
        return [(None, first.astimezone(tz))], None
    return [(n, when.astimezone(tz)) for n, when in occurrences.sample(rec)], rec


def check_post_policy(post: Post, ctx: Context) -> Iterator[Finding]:
    rules = ctx.calendar.rules
    yield from _banned(post, rules)
    for channel in post.channels if rules.quiet_hours or rules.blackouts else ():
        times, rec = _local_times(post, ctx.calendar, channel)
        if rec is None:
            for _, local in times:
                yield from _quiet(post, rules, channel, local, None)
                yield from _blackouts(post, rules, channel, local, None)
            continue
        yield from _repeat_time_rules(post, rules, channel, times, rec)
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


def _occurrence(local: datetime, n: int | None) -> str:
    """How a message names an occurrence of a repeating post (nothing for a one-off or for
    the first occurrence, whose time is the file's)."""
    return f" (the occurrence of {local:%a %Y-%m-%d})" if n is not None and n > 1 else ""


def _quiet(post: Post, rules: Governance, channel: str, local: datetime,
           n: int | None, done: set[int] | None = None) -> Iterator[Finding]:
    minute = local.hour * 60 + local.minute
    day = _DAYS[local.weekday()]
    for index, quiet in enumerate(rules.quiet_hours):
        if done is not None and index in done:
            continue
        if not _covers(quiet.channels, channel) or (quiet.days and day not in quiet.days):
            continue
        start, end = _minutes(quiet.start), _minutes(quiet.end)
        inside = start <= minute < end if start <= end else (minute >= start or minute < end)
        if inside:
            if done is not None:
                done.add(index)
            rule = "governance.quiet-hours"
            yield Finding(post.file, ("publish_at",), rule,
                          f"{local:%H:%M} on {channel}{_occurrence(local, n)} is inside the "
                          f"quiet hours {quiet.start}–{quiet.end} ({rules.file})",
                          _severity(rules, rule))


def _blackout(post: Post, rules: Governance, channel: str, blackout: Blackout,
              local: datetime, n: int | None) -> Finding:
    rule = "governance.blackout"
    why = f": {blackout.reason}" if blackout.reason else ""
    which = f" (an occurrence of {post.id}, repeating)" if n is not None and n > 1 else ""
    return Finding(post.file, ("publish_at",), rule,
                   f"{local.date().isoformat()} on {channel}{which} is in the blackout "
                   f"{blackout.start} to {blackout.end}{why}", _severity(rules, rule))


def _blackouts(post: Post, rules: Governance, channel: str, local: datetime,
               n: int | None) -> Iterator[Finding]:
    today = local.date().isoformat()
    for blackout in rules.blackouts:
        if _covers(blackout.channels, channel) and blackout.start <= today <= blackout.end:
            yield _blackout(post, rules, channel, blackout, local, n)


def _repeat_time_rules(post: Post, rules: Governance, channel: str,
                       times: list[tuple[int | None, datetime]],
                       rec: schedule.Recurrence) -> Iterator[Finding]:
    """Quiet hours over the local times the post takes, each quiet rule once; each blackout
    against the first occurrence inside it."""
    done: set[int] = set()
    for n, local in times:
        yield from _quiet(post, rules, channel, local, n, done)
    for blackout in rules.blackouts:
        if not _covers(blackout.channels, channel):
            continue
        try:
            start = schedule.parse_date(blackout.start)
            end = schedule.parse_date(blackout.end)
        except schedule.TimeError:
            continue
        midnight = datetime.combine(start, datetime.min.time())
        after = datetime.combine(end + timedelta(days=1), datetime.min.time())
        found = occurrences.first_between(
            rec, schedule.normalise_local(midnight, rec.tz),
            schedule.normalise_local(after, rec.tz) - timedelta(microseconds=1))
        if found is not None:
            yield _blackout(post, rules, channel, blackout, found[1].astimezone(rec.tz),
                            found[0])


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


_Event = tuple[datetime, Post, int | None]
"""(UTC time, post, occurrence number of a repeating post or None): compared in UTC, so the
hour the clocks go back is counted once, as it is lived."""


def _events(timed: list[tuple[datetime, Post, schedule.Recurrence | None]]) -> list[_Event]:
    """One channel's one-off posts and the occurrences of its repeating posts that spacing
    and caps compare (:func:`cmops.rules.occurrences.for_spacing`), in time order."""
    events: list[_Event] = [(when, post, None) for when, post, rec in timed if rec is None]
    repeats = [(post, rec) for _, post, rec in timed if rec is not None]
    if repeats:
        span = (min(e[0] for e in events) - timedelta(days=1),
                max(e[0] for e in events) + timedelta(days=1)) if events else None
        budget = max(occurrences.AT_LEAST, occurrences.PER_CHANNEL // len(repeats))
        for post, rec in repeats:
            events.extend((when, post, n)
                          for n, when in occurrences.for_spacing(rec, span, budget))
    events.sort(key=lambda e: (e[0], e[1].id, e[2] or 0))
    return events


def _name(post: Post, n: int | None, local: datetime) -> str:
    return post.id if n is None else f"{post.id} ({local:%Y-%m-%d %H:%M}, repeating)"


def _spacing(channel: str, tz: ZoneInfo, events: list[_Event], spacing: str, gap: timedelta,
             rules: Governance, repeats: dict[str, tuple[Post, schedule.Recurrence]]
             ) -> Iterator[Finding]:
    rule = "governance.min-spacing"
    for _, (post, rec) in sorted(repeats.items()):
        if rec.every < gap and (rec.last is None or rec.last > 1):
            yield Finding(post.file, ("repeat", "every"), rule,
                          f"repeats every {_span(rec.every)} on {channel}; {rules.file} "
                          f"wants at least {spacing} between posts", _severity(rules, rule))
    said: set[tuple[str, str]] = set()
    for (before, first, n1), (after, second, n2) in pairwise(events):
        if after - before >= gap or first.file == second.file \
                or (second.file, first.file) in said:
            continue
        said.add((second.file, first.file))
        local = after.astimezone(tz)
        where = f", at its occurrence of {local:%Y-%m-%d %H:%M}" if n2 is not None else ""
        yield Finding(second.file, ("publish_at",), rule,
                      f"{_span(after - before)} after {_name(first, n1, before.astimezone(tz))}"
                      f" on {channel}{where}; {rules.file} wants at least {spacing} between "
                      "posts", _severity(rules, rule))


def _caps(channel: str, tz: ZoneInfo, events: list[_Event], cap: int, rules: Governance
          ) -> Iterator[Finding]:
    rule = "governance.max-per-day"
    per_day: dict[str, list[_Event]] = {}
    for event in events:
        per_day.setdefault(event[0].astimezone(tz).date().isoformat(), []).append(event)
    said: set[str] = set()
    for day, day_events in sorted(per_day.items()):
        for place, (_, post, n) in enumerate(day_events[cap:], start=cap + 1):
            if n is not None and post.file in said:
                continue  # a repeating post over the cap is said once, on its first day
            said.add(post.file)
            which = f" (an occurrence of {post.id}, repeating)" if n is not None else ""
            yield Finding(post.file, ("publish_at",), rule,
                          f"post {place} on {channel} on {day}{which}; {rules.file} allows "
                          f"{cap} a day", _severity(rules, rule))


def check_calendar_policy(ctx: Context) -> Iterator[Finding]:
    """Spacing and daily caps need every post of a channel at once, and every occurrence of
    its repeating posts (within the budget of :mod:`cmops.rules.occurrences`)."""
    calendar, rules = ctx.calendar, ctx.calendar.rules
    if not rules.min_spacing and not rules.max_per_day:
        return
    by_channel: dict[str, list[tuple[datetime, Post, schedule.Recurrence | None]]] = {}
    zones: dict[str, ZoneInfo] = {}
    for post in calendar.posts:
        for channel in post.channels:
            found = _first(post, calendar, channel)
            if found is not None:
                first, zone = found
                zones[channel] = schedule.zone(zone)
                by_channel.setdefault(channel, []).append(
                    (first, post, occurrences.recurrence(post, first, zone)))
    for channel, timed in sorted(by_channel.items()):
        events, tz = _events(timed), zones[channel]
        spacing = rules.min_spacing.get(channel, rules.min_spacing.get("default"))
        if spacing:
            try:
                gap = schedule.parse_duration(spacing)
            except schedule.TimeError:
                gap = timedelta(0)
            repeats = {post.file: (post, rec) for _, post, rec in timed if rec is not None}
            yield from _spacing(channel, tz, events, spacing, gap, rules, repeats)
        cap = rules.max_per_day.get(channel, rules.max_per_day.get("default"))
        if cap:
            yield from _caps(channel, tz, events, cap, rules)
