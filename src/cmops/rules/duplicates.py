"""Near-duplicate posts: the same words on the same channel within an hour (issue 20).

An import run twice, a post copied to a new file and forgotten, two people scheduling the
same announcement: each sends the same message twice, which followers notice and some
networks refuse or penalise (X rejects a duplicate status). This calendar rule warns on
both posts, each naming the other.

What counts as "the same text", on one channel (after that channel's variant):

* Unicode NFKC, then case folded (``ＬＡＵＮＣＨ`` = ``Launch`` = ``launch``);
* only words are compared: letters, digits and ``_`` in order. Punctuation, symbols and
  emoji are ignored, and any run of spaces and line breaks is one space
  (``Launch day! 🎉`` = ``launch day``);
* a URL counts without its query string and fragment (the same page with other UTM tags
  is the same link; another page is another text).

Which posts: every post with a time (draft, ready), not withdrawn ones, holding statements,
queued posts (their slot is not theirs yet) or replies without a time. A repeating post is
compared by each of its occurrences against the other posts' times (two repeating posts by
their first occurrences). Times are compared in UTC: "within an hour" is 60 minutes or less.

Cost: one pass to group posts by (channel, a 64-bit digest of the words), then a sort per
group: linear in the calendar's size, never pairwise. A post's digests depend on its file
only (:class:`Sent`), so validate can compute them when the file changes and cache them.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any, NamedTuple

from cmops import schedule
from cmops.model import Calendar, Post, Repeat
from cmops.problems import Finding, Path, Problem, Severity
from cmops.render import find_urls
from cmops.rules.context import Context

WITHIN = timedelta(hours=1)
MAX_REPEAT_CHECKS = 10_000
"""Repeating post × other post comparisons in one group of identical texts; past it (a
file copied thousands of times) only time neighbours are compared: validate stays linear."""
RULE = "post.near-duplicate"

DOCS = {
    RULE: "Two posts would send the same text on one channel within an hour of each other "
          "(same words after Unicode NFKC and case folding; punctuation, emoji, spacing and "
          "a URL's query string ignored): an import run twice, or a copied file (warning, "
          "on both posts, each naming the other's file and line).",
}

_WORD = re.compile(r"\w+")


def words(text: str) -> str:
    """``text`` normalised as this rule compares it (see the module docstring)."""
    spans = find_urls(text) if "://" in text else []
    for start, end in reversed(spans):  # a URL without its query and fragment
        url = text[start:end]
        text = text[:start] + re.split(r"[?#]", url, maxsplit=1)[0].rstrip("/") + text[end:]
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_WORD.findall(folded))


def key(text: str) -> bytes:
    """A 64-bit digest of ``words(text)`` (empty for a text without words): what posts are
    grouped by, small enough to cache for every post file."""
    found = words(text)
    return hashlib.blake2b(found.encode(), digest_size=8).digest() if found else b""


class Sent(NamedTuple):
    """What this rule needs of one post file. It depends on the file's bytes only, so a
    caller may compute it when it checks the file and cache it with it (``tuple(sent)``
    marshals; ``Sent(*cached)`` restores it): :func:`near_duplicates` then reads no post."""

    id: str
    file: str
    publish_at: str
    channels: tuple[str, ...]
    keys: tuple[tuple[str, bytes], ...]
    """``("", key(text))``, then ``(name, key(variant text))`` for each variant with a text
    of its own (see :func:`key`)."""
    repeat: tuple[str, str | None, int | None] | None = None
    """``(every, until, count)`` of a repeating post."""


def sent(post: Post) -> Sent | None:
    """What :func:`near_duplicates` compares of ``post``; None for a post it never compares
    (withdrawn, a holding statement, queued, without a time)."""
    if post.status in ("withdrawn", "standby") or post.queued or not post.publish_at:
        return None
    texts = [("", key(post.text))]
    texts.extend((name, key(v.text)) for name, v in post.variants.items()
                 if v.text is not None)
    repeat = (post.repeat.every, post.repeat.until, post.repeat.count) if post.repeat \
        else None
    return Sent(post.id, post.file, post.publish_at, tuple(dict.fromkeys(post.channels)),
                tuple(texts), repeat)


def sent_of(raw: Mapping[str, Any], file: str) -> Sent | None:
    """:func:`sent` read from a post file's data, without building the post: what validate
    computes when a file changes, and caches with it."""
    post_id, status, publish_at = (_text(raw, k) for k in ("id", "status", "publish_at"))
    if not post_id or status in ("withdrawn", "standby") or not publish_at \
            or publish_at == "next-slot":
        return None
    channels = raw.get("channels")
    texts = [("", key(_text(raw, "text") or ""))]
    variants = raw.get("variants")
    if isinstance(variants, dict):
        texts.extend((name, key(v["text"])) for name, v in variants.items()
                     if isinstance(v, dict) and isinstance(v.get("text"), str))
    repeat = Repeat.from_raw(raw.get("repeat"))
    return Sent(post_id, file, publish_at,
                tuple(dict.fromkeys(c for c in channels if isinstance(c, str)))
                if isinstance(channels, list) else (), tuple(texts),
                (repeat.every, repeat.until, repeat.count) if repeat else None)


def _text(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class _Entry:
    when: datetime
    post: Sent
    path: Path
    recurrence: schedule.Recurrence | None


def _time(post: Sent, zone: str) -> datetime | None:
    try:
        return schedule.resolve_publish_at(post.publish_at, zone)
    except schedule.TimeError:
        return None  # validate reports the time itself


def _recurrence(post: Sent, first: datetime, zone: str) -> schedule.Recurrence | None:
    if post.repeat is None:
        return None
    every, until, count = post.repeat
    try:
        return schedule.recurrence(
            first, schedule.parse_every(every), schedule.zone(zone),
            until=schedule.parse_date(until) if until else None, count=count)
    except schedule.TimeError:
        return None


def _key_on(post: Sent, channel: str, network: str) -> tuple[bytes, Path]:
    """The key of the words sent on ``channel`` and where they are written: the channel's variant
    beats the network's, which beats the post's text (as :func:`cmops.render.resolve`)."""
    if len(post.keys) > 1:
        variants = dict(post.keys[1:])
        for name in (channel, network):
            if name in variants:
                return variants[name], ("variants", name, "text")
    return post.keys[0][1], ("text",)


def _groups(posts: Iterable[Sent], calendar: Calendar
            ) -> Iterator[tuple[str, list[_Entry]]]:
    """(channel, entries) for each text sent more than once on a channel. Texts are grouped
    first and times resolved only within groups: most texts are sent once per channel."""
    by_text: dict[tuple[str, bytes], list[tuple[Sent, Path]]] = {}
    networks = {name: ch.network or "outbox" for name, ch in calendar.channels.items()}
    text_path: Path = ("text",)
    for post in posts:
        plain = post.keys[0][1] if len(post.keys) == 1 else None
        for channel in post.channels:
            if plain is not None:  # no variant text: the fast, common case
                found, path = plain, text_path
            else:
                network = networks.get(channel)
                if network is None:
                    continue
                found, path = _key_on(post, channel, network)
            if found:  # media only: nothing to compare
                group = by_text.get((channel, found))
                if group is None:
                    by_text[(channel, found)] = [(post, path)]
                else:
                    group.append((post, path))
    for (channel, _), same in by_text.items():
        if len(same) < 2 or channel not in networks:
            continue
        zone = calendar.channel_timezone(channel) or "UTC"
        entries = []
        for post, path in same:
            when = _time(post, zone)
            if when is not None:
                entries.append(_Entry(when, post, path,
                                      _recurrence(post, when, zone) if post.repeat else None))
        if len(entries) > 1:
            yield channel, entries


def _close(a: _Entry, b: _Entry) -> timedelta | None:
    """How far apart the nearest occurrences of ``a`` and ``b`` are, when within the hour."""
    gap = abs(a.when - b.when)
    if gap <= WITHIN:
        return gap
    for rep, other in ((a, b), (b, a)):
        rec = rep.recurrence
        if rec is None or other.recurrence is not None:
            continue
        for n in rec.between(other.when - WITHIN, other.when + WITHIN):
            at = rec.at(n)
            if at is not None:
                return abs(at - other.when)
    return None


def _pairs(entries: Sequence[_Entry]) -> Iterator[tuple[_Entry, _Entry, timedelta]]:
    """Neighbours in time order within the hour (each pair once), and every repeating post
    against the others of its group."""
    ordered = sorted(entries, key=lambda e: (e.when, e.post.file))
    seen: set[tuple[str, str]] = set()
    for a, b in pairwise(ordered):
        if a.post.file != b.post.file and b.when - a.when <= WITHIN:
            seen.add((a.post.file, b.post.file))
            yield a, b, b.when - a.when
    budget = MAX_REPEAT_CHECKS
    for rep in (e for e in ordered if e.recurrence is not None):
        budget -= len(ordered)
        if budget < 0:
            return  # thousands of repeating copies of one text: the neighbours above suffice
        for other in ordered:
            pair = (rep.post.file, other.post.file)
            if other.post.file == rep.post.file or pair in seen or pair[::-1] in seen:
                continue
            gap = _close(rep, other)
            if gap is not None:
                seen.add(pair)
                yield rep, other, gap


def _minutes(gap: timedelta) -> str:
    minutes = int(gap.total_seconds() // 60)
    return "at the same minute" if minutes == 0 else \
        f"{minutes} minute{'s' if minutes != 1 else ''} apart"


def check_near_duplicates(ctx: Context) -> Iterator[Finding]:
    """The calendar rule: :func:`near_duplicates` of the calendar's posts."""
    if ctx.sent is not None:
        return near_duplicates(ctx.sent, ctx.calendar)
    return near_duplicates((s for p in ctx.calendar.posts if (s := sent(p)) is not None),
                           ctx.calendar)


def near_duplicates(posts: Iterable[Sent], calendar: Calendar) -> Iterator[Finding]:
    """A warning on each post of a near-duplicate pair, naming the other post (its file;
    :func:`name_lines` adds the line once both are located)."""
    found: dict[tuple[str, str], tuple[Path, Sent, list[str], timedelta]] = {}
    for channel, entries in _groups(posts, calendar):
        for a, b, gap in _pairs(entries):
            for here, there in ((a, b), (b, a)):
                key = (here.post.file, there.post.file)
                if key in found:
                    found[key][2].append(channel)
                    continue
                found[key] = (here.path, there.post, [channel], gap)
    for (file, other_file), (path, other, channels, gap) in sorted(found.items()):
        yield Finding(file, path, RULE,
                      f"{_PREFIX}{other_file} (post {other.id}) on "
                      f"{', '.join(sorted(channels))}, {_minutes(gap)}: if it is a copy (an "
                      "import run twice?), delete one of them", Severity.WARNING)


_PREFIX = "same text as "


def name_lines(problems: Sequence[Problem]) -> list[Problem]:
    """Near-duplicate warnings with the other post's line (``file:line``): each pair warns on
    both posts, so the other post's own warning, located on its text, has it."""
    lines = {(p.file, _other(p)): p.line for p in problems if p.rule == RULE}
    out = []
    for p in problems:
        other = _other(p) if p.rule == RULE else None
        line = lines.get((other, p.file)) if other else None
        if other and line is not None:
            rest = p.message[len(_PREFIX) + len(other):]
            p = Problem(p.file, p.line, p.column, p.path, p.rule,
                        f"{_PREFIX}{other}:{line}{rest}", p.severity)
        out.append(p)
    return out


def _other(problem: Problem) -> str:
    return problem.message.removeprefix(_PREFIX).split(" (post ", 1)[0]
