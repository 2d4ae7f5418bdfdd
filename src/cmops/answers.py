"""Which collected inbox messages are answered, by which reply post, and how fast. Pure.

A message counts as answered when a post whose ``reply_to:`` names it is published (the
ledger's record of that post on its channel is ``published``), or when ``cmops collect`` saw
an answer on the network itself (``replied_at``, e.g. someone answered in the app). A reply
post in the calendar that is not published yet makes the message *drafted*: someone is on it.

``reply_to`` and the message's URL are compared as :func:`cmops.replyto.parse` reads them on
the network of their channels, so ``twitter.com`` and ``x.com`` forms of one post match; a URL
no network form reads is compared as written.

Messages are hostile text: :func:`one_line` makes any of it safe for a terminal.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from cmops.ledger import CorruptRecord, Record, RecordState
from cmops.model import Calendar, Post
from cmops.replyto import BadReplyUrl, parse

__all__ = ["Answer", "Inbound", "Reply", "answers", "human", "identity", "one_line",
           "replies"]

Identity = tuple[str, ...]


class Inbound(Protocol):
    """What this module reads of a collected message (:class:`cmops.report.sources.Message`
    has it)."""

    @property
    def id(self) -> str: ...
    @property
    def channel(self) -> str: ...
    @property
    def url(self) -> str | None: ...
    @property
    def received_at(self) -> datetime: ...
    @property
    def replied_at(self) -> datetime | None: ...


@dataclass(frozen=True, slots=True)
class Reply:
    """A post of the calendar that answers a message, with what the ledger says of it."""

    post: str
    file: str
    status: str | None
    channel: str
    reply_to: str
    url: str | None = None
    """The reply's own URL on the network, once published."""
    published_at: datetime | None = None
    """When it went out (None: not published)."""


@dataclass(frozen=True, slots=True)
class Answer:
    """Where one message stands: ``open``, ``drafted`` (a reply post waits for review or its
    time) or ``answered``."""

    state: str
    replies: tuple[Reply, ...] = ()
    """Every reply post naming the message, published first."""
    answered_at: datetime | None = None
    by: Reply | None = None
    """The published reply post that answered it; None when the answer was seen on the
    network only (``replied_at``)."""
    response: timedelta | None = None
    """``answered_at`` minus the message's time."""


def identity(network: str | None, url: str) -> Identity:
    """What names one message across the URL forms of ``network``: the network's reading of
    it where :func:`cmops.replyto.parse` has one, the URL as written otherwise."""
    if network:
        try:
            t = parse(network, url)
        except BadReplyUrl:
            return ("url", url)
        # A Mastodon status id is the instance's; a Bluesky record key and a Telegram message
        # id are the account's: those keep where they are. An X id is global.
        where = t.host if network == "mastodon" else \
            t.author.lower() if network in ("bluesky", "telegram") else ""
        return (network, where, t.id, t.post, "c" if t.comment else "")
    return ("url", url)


def _published(record: Record | CorruptRecord | None) -> tuple[str | None, datetime | None]:
    if not isinstance(record, Record) or record.state != RecordState.PUBLISHED:
        return None, None
    first = record.parts[0] if record.parts else None
    stamp = (first.at or first.sent_at) if first else None
    stamp = stamp or record.publish_at
    at = None
    if stamp:
        try:
            at = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError:
            at = None
    return record.url, at if at is None or at.tzinfo else None


def replies(posts: Iterable[Post], records: Mapping[str, Record | CorruptRecord]
            ) -> list[Reply]:
    """Every reply post (``reply_to:``) on each of its channels, with its ledger record
    (``<post id>/<channel>``)."""
    out = []
    for post in posts:
        if post.reply_to is None:
            continue
        for channel in post.channels:
            url, at = _published(records.get(f"{post.id}/{channel}"))
            out.append(Reply(post.id, post.file, post.status, channel, post.reply_to, url, at))
    return out


def answers(messages: Iterable[Inbound], found: Iterable[Reply], calendar: Calendar
            ) -> dict[str, Answer]:
    """Each message's :class:`Answer`, by message id."""

    def network(channel: str) -> str | None:
        ch = calendar.channels.get(channel)
        return ch.network if ch else None

    by_key: dict[Identity, list[Reply]] = {}
    for reply in found:
        for key in {identity(network(reply.channel), reply.reply_to),
                    ("url", reply.reply_to)}:
            by_key.setdefault(key, []).append(reply)
    out = {}
    for m in messages:
        mine: list[Reply] = []
        if m.url:
            for key in (identity(network(m.channel), m.url), ("url", m.url)):
                mine += [r for r in by_key.get(key, []) if r not in mine]
        mine.sort(key=lambda r: (r.published_at is None,
                                 r.published_at.timestamp() if r.published_at else 0, r.post,
                                 r.channel))
        first = mine[0] if mine and mine[0].published_at else None
        when = [t for t in (first.published_at if first else None, m.replied_at) if t]
        if when:
            at = min(when)
            out[m.id] = Answer("answered", tuple(mine), at,
                               first if first and first.published_at == at else None,
                               max(at - m.received_at, timedelta(0)))
        else:
            out[m.id] = Answer("drafted" if mine else "open", tuple(mine))
    return out


def human(delta: timedelta) -> str:
    """``45 min``, ``3 h 05 min``, ``2 d 4 h``: a response time for people."""
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {mins:02d} min" if hours else f"{mins} min"


_KEEP = {"\u200d"}
"""Zero-width joiner: format character that holds emoji sequences together, harmless."""


def one_line(text: str, limit: int) -> str:
    """``text`` as one line of at most ``limit`` characters (cut with "…") that cannot drive
    a terminal: control characters (escape sequences, C1 controls, carriage returns) and
    other invisible format characters (bidirectional overrides) are dropped, every run of
    white space becomes one space."""
    shown = "".join(" " if c.isspace() else c for c in text
                    if c.isspace() or c in _KEEP or unicodedata.category(c)[0] != "C")
    shown = " ".join(shown.split())
    if len(shown) > limit:
        shown = shown[:max(limit - 1, 0)].rstrip() + "…"
    return shown
