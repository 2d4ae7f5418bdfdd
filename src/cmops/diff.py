"""What a pull request changes in what goes out: posts added, removed, edited, rescheduled.

Pure: two calendars (the base branch's and the proposed one) in, a list of changes out. The
git side (reading the base branch's files) lives in :mod:`cmops.gitfiles`.

A post is changed when its own file changes, and also when something it is rendered with
changes: its campaign (UTM settings change every link), its channels in ``channels.yaml``
(a time zone, a network), or the calendar's defaults. For every changed post the change
says which fields differ (each variant, thread part, media item and alt text on its own) and
shows, per channel, the text as it will be sent before and after, as a diff; channels that
receive the same output are named together. Dates play no part: a change five weeks out is
shown like one tomorrow.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cmops import schedule
from cmops.model import Calendar, Post
from cmops.plan import assign_slots, first_time
from cmops.render import Rendered, describe_options, render

# Fields whose change alters what goes out (text diff shown) versus when/where it goes.
_CONTENT = ("text", "thread", "variants", "media", "link", "lang", "utm", "campaign")
_TIMING = ("publish_at", "queue", "repeat", "max_delay", "channels", "status")
_IGNORED = ("notes", "labels")
_GLOBAL = ("timezone", "lang", "max_delay")
"""channels.yaml fields every post is rendered or timed with."""


@dataclass(frozen=True, slots=True)
class ChannelDiff:
    """The output on some channels, before and after (None: not sent there)."""

    channels: tuple[str, ...]
    before: str | None
    after: str | None

    @property
    def diff(self) -> tuple[str, ...]:
        """Unified diff lines of the rendered output (headers left out)."""
        old = self.before.splitlines() if self.before is not None else []
        new = self.after.splitlines() if self.after is not None else []
        return tuple(difflib.unified_diff(old, new, "before", "after", lineterm="",
                                          n=2))[2:]


@dataclass(frozen=True, slots=True)
class PostChange:
    post_id: str
    kind: str
    """added | removed | changed"""
    file: str
    fields: tuple[str, ...] = ()
    """Top-level fields of the post file that differ (for changed posts)."""
    text_diff: tuple[str, ...] = ()
    """Unified diff lines of the main text, when it changed."""
    before: Mapping[str, Any] = field(default_factory=dict)
    after: Mapping[str, Any] = field(default_factory=dict)
    details: tuple[str, ...] = ()
    """Each change in words: ``variants.linkedin.text changed``, ``channels: + x-main``,
    ``publish_at: 2026-11-24T08:30 → 2026-11-25T08:30``…"""
    because: tuple[str, ...] = ()
    """Changes outside the post's file that change its output (campaign, channels.yaml)."""
    outputs: tuple[ChannelDiff, ...] = ()
    """Per channel (grouped when identical): the rendered output before and after."""

    @property
    def rescheduled(self) -> bool:
        return any(f in _TIMING for f in self.fields)

    @property
    def content_changed(self) -> bool:
        return any(f in _CONTENT for f in self.fields) or any(
            o.before != o.after for o in self.outputs)


def output_text(rendered: Rendered) -> str:
    """A rendered post as one reviewable block: each part's text, its media with alt text,
    and the link (what a reviewer approves, in the order it goes out)."""
    lines: list[str] = []
    posts = sum(part.kind != "comment" for part in rendered.parts)
    for index, part in enumerate(rendered.parts):
        if part.kind == "comment":
            lines.append("[first comment]")
        elif posts > 1:
            lines.append(f"[part {index + 1}/{posts}]")
        lines.extend(part.text.splitlines() or [""])
        for media in part.media:
            lines.append(f"[media] {media.path} | alt: {media.alt or '(none)'}")
    card = getattr(rendered, "card", None)
    if card is not None:
        lines.append("[link card] " + " | ".join(
            f"{name}: {value}" for name in ("url", "title", "description", "image")
            if (value := getattr(card, name, None))))
    elif rendered.link:
        lines.append(f"[link] {rendered.link}")
    lines.extend(f"[{key}] {value}" for key, value in
                 describe_options(getattr(rendered, "options", None) or {}))
    return "\n".join(lines)


def _comparable(post: Post) -> dict[str, Any]:
    return {k: v for k, v in post.raw.items() if k not in _IGNORED}


def _short(value: Any) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= 60 else text[:59] + "…"


def _walk(path: str, old: Any, new: Any) -> Iterable[str]:
    """Each leaf that differs, as a path a person reads (``thread[1].text``)."""
    if old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(old.keys() | new.keys(), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in old:
                yield f"{sub} added"
            elif key not in new:
                yield f"{sub} removed"
            else:
                yield from _walk(sub, old[key], new[key])
        return
    if isinstance(old, list) and isinstance(new, list) and path not in ("channels",):
        for index in range(max(len(old), len(new))):
            sub = f"{path}[{index}]"
            if index >= len(old):
                yield f"{sub} added"
            elif index >= len(new):
                yield f"{sub} removed"
            else:
                yield from _walk(sub, old[index], new[index])
        return
    if path in ("channels",) and isinstance(old, list) and isinstance(new, list):
        added = [str(c) for c in new if c not in old]
        removed = [str(c) for c in old if c not in new]
        parts = [f"+ {c}" for c in added] + [f"- {c}" for c in removed]
        yield f"channels: {', '.join(parts) or 'reordered'}"
        return
    if path.split(".")[-1].split("[")[0] in ("text", "alt", "description"):
        yield f"{path} changed"
        return
    yield f"{path}: {_short(old) if old is not None else '(none)'} → " \
          f"{_short(new) if new is not None else '(none)'}"


class _Times:
    """Each calendar's queue slots, computed once and only if a change needs them."""

    def __init__(self, calendar: Calendar) -> None:
        self.calendar = calendar
        self._slots: dict[tuple[str, str], datetime] | None = None

    def when(self, post: Post, channel: str) -> str:
        if post.queued and self._slots is None:
            self._slots = assign_slots(self.calendar)
        at = first_time(post, channel, self.calendar, self._slots or {})
        if post.status == "standby":
            return "[when] on request (holding statement)"
        if post.status != "ready":
            return f"[when] not planned (status: {post.status or 'none'})"
        if at is None:
            return "[when] no valid time (see cmops validate)"
        zone = self.calendar.channel_timezone(channel) or "UTC"
        try:
            local = at.astimezone(schedule.zone(zone))
        except schedule.TimeError:
            local = at
        repeat = f", repeats every {post.repeat.every}" if post.repeat else ""
        return f"[when] {local:%a %d %b %Y %H:%M} {local.tzname()}{repeat}"


def _version(post: Post, channel: str, calendar: Calendar, times: _Times) -> str:
    return times.when(post, channel) + "\n" + output_text(render(post, channel, calendar))


def _outputs(base: Calendar, head: Calendar, old: Post | None, new: Post | None,
             times: tuple[_Times, _Times]) -> tuple[ChannelDiff, ...]:
    channels = sorted({*(old.channels if old else ()), *(new.channels if new else ())})
    pairs: dict[tuple[str | None, str | None], list[str]] = {}
    for channel in channels:
        before = _version(old, channel, base, times[0]) \
            if old is not None and channel in old.channels and channel in base.channels \
            else None
        after = _version(new, channel, head, times[1]) \
            if new is not None and channel in new.channels and channel in head.channels \
            else None
        pairs.setdefault((before, after), []).append(channel)
    return tuple(ChannelDiff(tuple(names), before, after)
                 for (before, after), names in pairs.items())


def _campaign_changes(base: Calendar, head: Calendar) -> dict[str, str]:
    out = {}
    for cid in base.campaigns.keys() | head.campaigns.keys():
        a, b = base.campaigns.get(cid), head.campaigns.get(cid)
        old, new = (dict(a.raw) if a else None), (dict(b.raw) if b else None)
        if old != new:
            what = ", ".join(sorted({m.group() for d in _walk("", old or {}, new or {})
                                     if (m := re.match(r"[A-Za-z_]+", d))}))
            out[cid] = f"campaign {cid} changed ({what})"
    return out


def _channel_changes(base: Calendar, head: Calendar) -> tuple[dict[str, str], str | None]:
    out = {}
    for name in base.channels.keys() | head.channels.keys():
        a, b = base.channels.get(name), head.channels.get(name)
        if (dict(a.raw) if a else None) != (dict(b.raw) if b else None):
            out[name] = f"channel {name} changed in {head.channels_file}"
    every = [f for f in _GLOBAL if getattr(base, f) != getattr(head, f)]
    return out, (f"{head.channels_file} changed ({', '.join(every)})" if every else None)


def diff_calendars(base: Calendar, head: Calendar) -> list[PostChange]:
    """Changes from ``base`` to ``head``, keyed by post id (a moved file is not a change)."""
    before = {p.id: p for p in base.posts}
    after = {p.id: p for p in head.posts}
    times = (_Times(base), _Times(head))
    campaigns = _campaign_changes(base, head)
    channels, everything = _channel_changes(base, head)
    changes: list[PostChange] = []
    for post_id in sorted(before.keys() | after.keys()):
        old, new = before.get(post_id), after.get(post_id)
        if old is None and new is not None:
            changes.append(PostChange(post_id, "added", new.file, after=_comparable(new),
                                      outputs=_outputs(base, head, None, new, times)))
            continue
        if new is None and old is not None:
            changes.append(PostChange(post_id, "removed", old.file, before=_comparable(old),
                                      outputs=_outputs(base, head, old, None, times)))
            continue
        assert old is not None and new is not None
        a, b = _comparable(old), _comparable(new)
        fields = tuple(sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k)))
        because = [campaigns[c] for c in {old.campaign, new.campaign} if c in campaigns]
        because += [channels[c] for c in sorted({*old.channels, *new.channels})
                    if c in channels]
        if everything:
            because.append(everything)
        if not fields and not because:
            continue
        outputs = _outputs(base, head, old, new, times)
        if not fields and all(o.before == o.after for o in outputs):
            continue  # the change elsewhere does not alter this post's output
        text_diff: tuple[str, ...] = ()
        if old.text != new.text:
            text_diff = tuple(difflib.unified_diff(
                old.text.splitlines(), new.text.splitlines(), "before", "after",
                lineterm="", n=1))[2:]
        details = tuple(_walk("", a, b))
        changes.append(PostChange(post_id, "changed", new.file, fields, text_diff, a, b,
                                  details, tuple(because), outputs))
    return changes
