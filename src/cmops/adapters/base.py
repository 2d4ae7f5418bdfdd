"""The one small interface every network adapter implements, and the errors it speaks.

An adapter only speaks HTTP (or writes files, for the outbox). The core renders and checks the
text; the publisher decides when to send, retry, reconcile or stop. Errors form one tree::

    PublishError
     ├── NotConfigured   a channel setting or credential is missing: nothing was sent
     ├── Rejected        the network refused the post for good (a definite 4xx): never retried
     ├── Transient       timeout, connection error, 5xx, 429: may be retried
     │                   (``maybe_sent`` says whether the network may have accepted it)
     └── CannotTell      reconciliation cannot prove whether an earlier attempt went out

Every message is redacted of secrets before it is built into one of these.
"""

from __future__ import annotations

import mimetypes
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

import httpx

from cmops.probe import video_facts
from cmops.rules.media import sniff
from cmops.secrets import Redactor
from cmops.text.limits import Attachment, NetworkRules

if TYPE_CHECKING:
    from cmops.tokens import TokenKeeper


class PublishError(Exception):
    """Base of every error an adapter raises; ``str()`` is safe to print and store."""


class NotConfigured(PublishError):
    pass


class Rejected(PublishError):
    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class Transient(PublishError):
    def __init__(self, message: str, *, retry_after: float | None = None,
                 maybe_sent: bool = True, status: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.maybe_sent = maybe_sent
        self.status = status


class CannotTell(PublishError):
    pass


@dataclass(frozen=True, slots=True)
class Remote:
    """Where a part landed on the network."""

    id: str
    url: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)
    """Network specifics later parts need (e.g. a Bluesky record's cid for replies)."""


@dataclass(frozen=True, slots=True)
class MediaFile:
    path: Path
    rel: str
    alt: str | None
    cover: str | None = None
    """A reel's cover image (a repository path, fetched from the channel's public URL)."""
    thumb_offset: int | None = None
    """A reel's cover frame, in milliseconds from the start, when no cover is given."""


@dataclass(frozen=True, slots=True)
class LinkCard:
    """A link card as the client sends it (Bluesky's external embed, LinkedIn's article,
    Facebook's ``link``, the outbox's JSON), its image already read and type-sniffed."""

    url: str
    title: str
    description: str = ""
    image: bytes | None = None
    image_type: str | None = None
    """The image's MIME type, judged by its content."""
    image_ref: str | None = None
    """Where the image came from: its path in the repository, or the URL it was fetched
    from."""


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to send: a post, or one part of a thread."""

    key: str
    post_id: str
    channel: str
    part: int
    parts: int
    """Messages in the post: the main post and its thread parts (a first comment is not
    counted; it comes after them, with ``part == parts``)."""
    text: str
    dedupe: str
    """The idempotency key / record key chosen when the intent was written; every retry and
    every reconciliation of this part uses the same one."""
    media: tuple[MediaFile, ...] = ()
    lang: str | None = None
    link: str | None = None
    reply_to: Remote | None = None
    root: Remote | None = None
    published_at: datetime | None = None
    card: LinkCard | None = None
    """The link's card, on networks that take one (``NetworkRules.link == "card"``) and only
    on the first part; elsewhere the link is already in ``text``."""
    time_left: float | None = None
    """Seconds the run has left when this part is handed over; an adapter that waits (for a
    video to be processed) stops waiting before then: see :func:`wait_for`."""
    comment: bool = False
    """The account's first comment under the post: ``reply_to`` is then the main post (the
    root), never the last thread part."""
    format: str = "feed"
    """``feed``, ``reel`` or ``story`` (the variant's ``format:``; only Instagram takes
    reels and stories)."""
    share_to_feed: bool | None = None
    """A reel shown in the feed as well as in Reels; None: the network's default."""
    reply_url: str | None = None
    """The message this post answers (the post's ``reply_to:``), on the main post (part 0)
    only: the adapter finds it on the network (:func:`cmops.replyto.parse` reads the URL)
    and sends the post as a reply to it. Set only on networks declaring ``replies=True``."""
    options: Mapping[str, Any] = field(default_factory=dict)
    """Fields only one network reads (a video's title, a pin's board, a local post's offer),
    from the post's variant for this network or channel, as validated; empty elsewhere."""
    kept: Mapping[str, str] = field(default_factory=dict)
    """What an earlier attempt at this part saved with :attr:`keep` (TikTok's publish id),
    as the ledger holds it: a run that died mid-send leaves it for the next run's
    reconciliation. Empty on a first attempt."""
    keep: Callable[[Mapping[str, str]], None] | None = None
    """Saves facts the network gave before the risky step (an id issued before the upload)
    into the part's ledger record, durably, before the adapter goes on; they come back in
    :attr:`kept`. None outside the publisher (a dry run, a test driving the adapter)."""


@dataclass(frozen=True, slots=True)
class ChannelContext:
    """What an adapter is built from: the channel's settings and its resolved secrets."""

    name: str
    network: str
    settings: Mapping[str, Any]
    secrets: Mapping[str, str]
    root: Path
    redactor: Redactor
    transport: httpx.BaseTransport | None = None
    timeout: float = 30.0
    tokens: TokenKeeper | None = None
    """Where the channel's newest refresh token is kept between runs, encrypted, for a
    network that rotates it (:mod:`cmops.tokens`); None without a state store (an adapter
    driven directly, in a test): a renewed token then lives only as long as the adapter."""


T = TypeVar("T")

WAIT_MARGIN = 15.0
"""Seconds kept back from the run's time left when waiting, to record the outcome."""


def wait_for(what: str, check: Callable[[], T | None], *, every: float, most: float,
             out: Outgoing | None = None, sleep: Callable[[float], None] = time.sleep,
             clock: Callable[[], float] = time.monotonic) -> T:
    """Call ``check`` every ``every`` seconds until it answers something other than None,
    for at most ``most`` seconds and never past the run's time left (``out.time_left``,
    less :data:`WAIT_MARGIN`). ``check`` raises :class:`Rejected` when the network says the
    media failed. Waiting too long raises :class:`Transient` with ``maybe_sent=False``
    (nothing was posted yet: the next run uploads again)."""
    limit = most
    if out is not None and out.time_left is not None:
        limit = min(limit, max(0.0, out.time_left - WAIT_MARGIN))
    start = clock()
    while True:
        found = check()
        if found is not None:
            return found
        waited = clock() - start
        if waited + every > limit:
            raise Transient(f"{what} still not ready after {waited:.0f} s; not posted, the "
                            "next run tries again", maybe_sent=False)
        sleep(every)


def _attachment(media: MediaFile) -> Attachment:
    """A file's type judged by its content, as validation judged it; by its name where the
    content says nothing (a file validation refuses, so the publisher holds its post back)
    or cannot be read here (Instagram and Threads fetch it from its public URL)."""
    by_name = mimetypes.guess_type(media.path.name)[0]
    try:
        with media.path.open("rb") as file:
            mime = sniff(file.read(16)) or by_name
            size = os.fstat(file.fileno()).st_size
    except OSError:
        return Attachment(media.rel, by_name, 0, media.alt)
    # A video is read for the same facts validation judged (duration, size, codec...).
    video = video_facts(media.path) if mime and mime.startswith("video/") else None
    return Attachment(media.rel, mime, size, media.alt, video=video)


def refuse_unsendable(rules: NetworkRules, out: Outgoing) -> None:
    """Raise :class:`Rejected` before anything is sent when ``out`` holds what the adapter
    cannot send (a thread where it has none, media of a kind, number or size it does not
    take), judged by the same declaration validation checks: validate and publish cannot
    disagree."""
    who = f"{out.channel} ({rules.name})"
    problems = [f"{who} has no threads: send one post"] \
        if out.parts > 1 and not rules.threads else []
    if out.comment and not rules.first_comment:
        problems.append(f"{who} takes no first comment from cmops: give it a variant with "
                        "first_comment: \"\"")
    if out.reply_url and not rules.replies:
        problems.append(f"{who} takes no replies from cmops (reply_to: {out.reply_url})")
    attachments = [_attachment(m) for m in out.media]
    problems += [f"'{a.path}' is not a supported image or video" for a in attachments
                 if a.mime is None]
    problems += [r.message for r in rules.media_refusals(
        attachments, who, first=out.part == 0, reply=out.reply_url is not None)]
    if problems:
        raise Rejected("not sent: " + "; ".join(problems))


class Adapter(Protocol):
    network: ClassVar[str]
    rules: ClassVar[NetworkRules]
    """What the adapter can send and what it needs: its entry in ``NETWORKS``, the same
    declaration validation checks (see :func:`refuse_unsendable`)."""
    reconcile_by: ClassVar[str]
    """How an unconfirmed attempt is settled: ``idempotency-key`` (replaying is safe for a
    while), ``record-key`` (look the chosen key up), ``lookup`` (search recent posts), or
    ``none`` (a human decides)."""

    def new_dedupe(self, key: str, part: int, now: datetime) -> str:
        """A fresh dedupe key for a part, written into the intent before the first send."""
        ...

    def publish(self, out: Outgoing) -> Remote:
        ...

    def reconcile(self, out: Outgoing, sent_at: datetime, now: datetime) -> Remote | None:
        """After an attempt whose outcome is unknown: the Remote if it went out; None if
        sending again with the same dedupe key is safe; raises CannotTell otherwise."""
        ...

    def close(self) -> None:
        ...


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """One published message to take down (a post, a thread part or a first comment)."""

    channel: str
    post_id: str
    part: int
    """The part's index in its ledger record (0: the main post)."""
    remote: Remote
    """Where it landed, as the ledger recorded it (id, url, and the extras later calls
    need)."""
    published_at: datetime | None = None
    """When it went out, for networks whose delete has a time limit (Telegram: 48 hours)."""


class Deleter(Protocol):
    """An adapter that can take a published message down (its declaration says
    ``deletes=True``; the publisher asks only those)."""

    def delete(self, item: Withdrawal) -> None:
        """Remove ``item.remote`` from the network. A message already gone (404, "not
        found", already deleted) counts as deleted: no error, so deleting again after a
        crash is safe. Raises :class:`Rejected` when the network refuses for good (too old,
        not the account's), :class:`Transient` when it may be tried again (timeout, 5xx,
        429 with ``retry_after``), :class:`NotConfigured` when a credential is missing."""
        ...


@dataclass(frozen=True, slots=True)
class Edit:
    """One published message whose text changed in the repository (an edit reviewed in a
    pull request), to be changed on the network."""

    channel: str
    post_id: str
    part: int
    """The part's index in its ledger record (0: the main post)."""
    remote: Remote
    """Where it landed, as the ledger recorded it."""
    text: str
    """The new text, rendered exactly as validation checked it."""
    has_media: bool = False
    """Whether the message carries media (Telegram then edits a caption, Mastodon keeps the
    attachments)."""
    comment: bool = False
    """The account's first comment under the post (edited through the comment's API)."""
    published_at: datetime | None = None
    alts: tuple[str | None, ...] | None = None
    """The new alt text of each attachment, in order, when one changed (only on networks
    declaring ``edits_alt``); None: leave the attachments' alt texts as they are."""


class Editor(Protocol):
    """An adapter that can change a published message's text (its declaration says
    ``edits=True``; the publisher asks only those)."""

    def edit(self, item: Edit) -> None:
        """Set the message's text to ``item.text`` (and, when ``item.alts`` is given, its
        attachments' alt texts), leaving everything else as it is (media, content warning,
        language). Safe to repeat: an edit to the text it already
        has is not an error (Telegram's "message is not modified" counts as done). Raises
        :class:`Rejected` when the network refuses for good (deleted, too old, not the
        account's), :class:`Transient` when it may be tried again (timeout, 5xx, 429 with
        ``retry_after``), :class:`NotConfigured` when a credential is missing."""
        ...

    def live_text(self, item: Edit) -> str | None:
        """The message's text as the network has it now, read back to settle an edit whose
        outcome was not recorded (the publisher compares it with ``item.text``); None when
        the network offers no way to read it (the edit is then simply sent again)."""
        ...
