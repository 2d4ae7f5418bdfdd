"""What an adapter may offer beside publishing: reading counters, followers and its inbox.

Reading is optional. ``cmops collect`` asks :func:`reader_of` whether a channel's adapter can
read; when it cannot (the network, its tier or this version gives nothing), the channel is
recorded as *unavailable*, never as zero. Errors are the publisher's tree
(:mod:`cmops.adapters.base`): a ``Transient`` or ``Rejected`` while reading is a collect
error for that channel, reported and retried on the next run.

Every method takes and returns plain values; times are aware UTC datetimes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

INBOX_KINDS = ("mention", "reply", "dm", "quote", "keyword")


@dataclass(frozen=True, slots=True)
class Counters:
    """A post's totals as the network reports them; None: the network does not give it."""

    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    quotes: int | None = None
    impressions: int | None = None
    clicks: int | None = None


@dataclass(frozen=True, slots=True)
class Author:
    handle: str
    name: str = ""
    url: str | None = None
    followers: int | None = None


@dataclass(frozen=True, slots=True)
class InboxItem:
    """One message to us or about us, in the same shape on every network."""

    id: str
    """The network's id of the message (unique within the channel)."""
    kind: str
    """One of :data:`INBOX_KINDS`."""
    author: Author
    text: str
    received_at: datetime
    url: str | None = None
    in_reply_to: str | None = None
    """The remote id of the status it answers or quotes, when that is known."""


@runtime_checkable
class Reader(Protocol):
    @property
    def unavailable(self) -> Mapping[str, str]:
        """What this run could not read and why (a tier, a permission, this version),
        keyed like a collect summary's ``unavailable`` (``metrics``, ``followers``,
        ``inbox``, ``impressions``, ``search``…); empty when everything was read. Collect
        copies it after reading, so an adapter fills it as it reads."""
        ...

    def metrics(self, remotes: Sequence[str]) -> dict[str, Counters | None]:
        """Totals per remote id; None for a post the network no longer shows."""
        ...

    def followers(self) -> int | None:
        ...

    def inbox(self, cursor: str | None) -> tuple[list[InboxItem], str | None]:
        """New items since ``cursor`` (None: the first run, a bounded recent page) and the
        cursor to give next time."""
        ...


@runtime_checkable
class ReplyChecker(Protocol):
    def replied(self, ids: Sequence[str]) -> dict[str, datetime | None]:
        """When we first answered each message (None: not yet)."""
        ...


@runtime_checkable
class Searcher(Protocol):
    def search(self, terms: Sequence[str], cursor: str | None
               ) -> tuple[list[InboxItem], str | None]:
        """Public posts matching the brand terms or keywords (kind ``keyword``)."""
        ...


def reader_of(adapter: object) -> Reader | None:
    return adapter if isinstance(adapter, Reader) else None


def newer(a: str, b: str | None) -> bool:
    """Whether id ``a`` sorts after ``b``: numeric ids (Mastodon's) by value, others as text."""
    if b is None:
        return True
    if a.isdigit() and b.isdigit():
        return int(a) > int(b)
    return a > b


def count_field(data: Any, name: str) -> int | None:
    """``data[name]`` when ``data`` is an object and that field is an integer, else None
    (a network that does not give a count gives None, never a made-up zero)."""
    value = data.get(name) if isinstance(data, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 timestamp from a network's JSON (``Z`` allowed), or None."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
