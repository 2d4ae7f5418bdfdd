"""The content model: what the YAML files mean once loaded.

Objects are built leniently from file data, even from a file that failed its schema, so that
cross-file rules (unknown channel, duplicate id...) still report in the same run: a user fixes
a pull request in one round. A field of the wrong type is simply absent here; the schema
error already says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cmops.text.limits import NETWORKS as _DECLARED

if TYPE_CHECKING:
    from cmops.gate import Gate

NETWORKS: tuple[str, ...] = tuple(_DECLARED)
"""The networks a channel can be on, in the order of their declarations
(:data:`cmops.text.limits.NETWORKS`)."""


def _str(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    return value if isinstance(value, str) else None


def _int(raw: Mapping[str, Any], key: str) -> int | None:
    value = raw.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _strs(raw: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = raw.get(key)
    if not isinstance(value, list):
        return ()
    return tuple(v for v in value if isinstance(v, str))


@dataclass(frozen=True, slots=True)
class Media:
    path: str
    alt: str | None
    index: int
    """Position in the post's media list (for error locations)."""
    cover: str | None = None
    """An Instagram reel's cover image: a path in the repository."""
    thumb_offset: int | None = None
    """An Instagram reel's cover frame, in milliseconds, when there is no cover."""

    @classmethod
    def list_from(cls, raw: Any) -> tuple[Media, ...]:
        if not isinstance(raw, list):
            return ()
        # Alt text written as a folded block (alt: >) ends with a newline nobody meant.
        return tuple(cls(m["path"], (_str(m, "alt") or "").strip() or None, i,
                         _str(m, "cover"), _int(m, "thumb_offset"))
                     for i, m in enumerate(raw)
                     if isinstance(m, dict) and isinstance(m.get("path"), str))


@dataclass(frozen=True, slots=True)
class Link:
    """A post's main link: its URL and, when written out (``cmops card`` writes it), the card
    shown for it. Only the URL (``link: https://…``) is a *bare* link: networks whose client
    builds the card get one fetched from the page at publish time."""

    url: str
    title: str | None = None
    description: str | None = None
    image: str | None = None
    """A path in the repository, checked like media paths."""

    @property
    def bare(self) -> bool:
        return self.title is None

    @classmethod
    def from_raw(cls, raw: Any) -> Link | None:
        if isinstance(raw, str):
            return cls(raw)
        if isinstance(raw, dict) and isinstance(raw.get("url"), str):
            return cls(raw["url"], _str(raw, "title"), _str(raw, "description"),
                       _str(raw, "image"))
        return None


@dataclass(frozen=True, slots=True)
class Part:
    """A follow-up part of a thread."""

    text: str
    media: tuple[Media, ...] = ()


def _parts(raw: Any) -> tuple[Part, ...] | None:
    if not isinstance(raw, list):
        return None
    return tuple(Part(p["text"], Media.list_from(p.get("media"))) for p in raw
                 if isinstance(p, dict) and isinstance(p.get("text"), str))


@dataclass(frozen=True, slots=True)
class Variant:
    text: str | None = None
    media: tuple[Media, ...] | None = None
    thread: tuple[Part, ...] | None = None
    first_comment: str | None = None
    """The first comment here instead of the post's; "" drops it on this network or
    channel."""
    format: str | None = None
    """``feed``, ``reel`` or ``story``: meaningful on Instagram only (validated)."""
    share_to_feed: bool | None = None
    """An Instagram reel shown in the feed too (true) or in Reels only (false)."""
    options: Mapping[str, Any] = field(default_factory=dict)
    """Fields only one network reads (a local post's ``topic``, ``event``...): every key of
    the variant beside the common ones above, as written; the schema says which exist and
    the network rules which channel may have them."""

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> Variant:
        media = Media.list_from(raw["media"]) if "media" in raw else None
        share = raw.get("share_to_feed")
        return cls(_str(raw, "text"), media, _parts(raw.get("thread")),
                   _str(raw, "first_comment"), _str(raw, "format"),
                   share if isinstance(share, bool) else None,
                   {k: v for k, v in raw.items() if k not in COMMON_VARIANT_FIELDS})


COMMON_VARIANT_FIELDS = frozenset({"text", "media", "thread", "first_comment", "format",
                                   "share_to_feed"})
"""A variant's fields every network reads (or Instagram's, read by the fields above)."""


@dataclass(frozen=True, slots=True)
class Repeat:
    every: str
    until: str | None = None
    count: int | None = None

    @classmethod
    def from_raw(cls, raw: Any) -> Repeat | None:
        if not isinstance(raw, dict) or not isinstance(raw.get("every"), str):
            return None
        count = raw.get("count")
        return cls(raw["every"], _str(raw, "until"),
                   count if isinstance(count, int) and not isinstance(count, bool) else None)


@dataclass(frozen=True, slots=True)
class Post:
    id: str
    file: str
    status: str | None
    channels: tuple[str, ...]
    text: str
    publish_at: str | None = None
    campaign: str | None = None
    media: tuple[Media, ...] = ()
    thread: tuple[Part, ...] = ()
    variants: Mapping[str, Variant] = field(default_factory=dict)
    labels: tuple[str, ...] = ()
    link: Link | None = None
    lang: str | None = None
    max_delay: str | None = None
    utm: bool = True
    queue: str | None = None
    repeat: Repeat | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)
    first_comment: str | None = None
    """Posted by the account as the first comment under the post, right after it."""
    withdrawn_reason: str | None = None
    """Why a ``status: withdrawn`` post was taken down (shown by status and the site)."""
    reply_to: str | None = None
    """The URL of the message on the network this post answers (a reply: one channel)."""

    @property
    def withdrawn(self) -> bool:
        """Taken down: deleted where it was published, never sent where it was not."""
        return self.status == "withdrawn"

    @property
    def reply(self) -> bool:
        """Answers a message on the network (``reply_to:``)."""
        return self.reply_to is not None

    @property
    def queued(self) -> bool:
        """Takes its time from the channels' posting slots rather than from publish_at."""
        return self.publish_at == "next-slot" or (self.publish_at is None
                                                  and self.queue is not None)

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any], file: str) -> Post | None:
        """``None`` when the file has no usable id: nothing else can refer to it."""
        post_id = _str(raw, "id")
        if not post_id:
            return None
        variants_raw = raw.get("variants")
        variants = ({k: Variant.from_raw(v) for k, v in variants_raw.items()
                     if isinstance(v, dict)} if isinstance(variants_raw, dict) else {})
        return cls(
            id=post_id,
            file=file,
            status=_str(raw, "status"),
            channels=_strs(raw, "channels"),
            text=_str(raw, "text") or "",
            publish_at=_str(raw, "publish_at"),
            campaign=_str(raw, "campaign"),
            media=Media.list_from(raw.get("media")),
            thread=_parts(raw.get("thread")) or (),
            variants=variants,
            labels=_strs(raw, "labels"),
            link=Link.from_raw(raw.get("link")),
            lang=_str(raw, "lang"),
            max_delay=_str(raw, "max_delay"),
            utm=raw.get("utm") is not False,
            queue=_str(raw, "queue"),
            repeat=Repeat.from_raw(raw.get("repeat")),
            raw=raw,
            first_comment=_str(raw, "first_comment") or None,
            withdrawn_reason=(_str(raw, "withdrawn_reason") or "").strip() or None,
            reply_to=_str(raw, "reply_to") or None,
        )


@dataclass(frozen=True, slots=True)
class Campaign:
    id: str
    file: str
    name: str
    start: str | None
    end: str | None
    channels: tuple[str, ...] = ()
    utm: Mapping[str, str] = field(default_factory=dict)
    goals: Mapping[str, Any] = field(default_factory=dict)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any], file: str) -> Campaign | None:
        campaign_id = _str(raw, "id")
        if not campaign_id:
            return None
        utm = raw.get("utm")
        goals = raw.get("goals")
        return cls(
            id=campaign_id,
            file=file,
            name=_str(raw, "name") or campaign_id,
            start=_str(raw, "start"),
            end=_str(raw, "end"),
            channels=_strs(raw, "channels"),
            utm={k: v for k, v in utm.items() if isinstance(v, str)}
            if isinstance(utm, dict) else {},
            goals=goals if isinstance(goals, dict) else {},
            raw=raw,
        )


@dataclass(frozen=True, slots=True)
class Channel:
    name: str
    network: str | None
    server: str | None = None
    account: str | None = None
    timezone: str | None = None
    secrets: Mapping[str, str] = field(default_factory=dict)
    slots: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_raw(cls, name: str, raw: Mapping[str, Any]) -> Channel:
        secrets = raw.get("secrets")
        return cls(
            name=name,
            network=_str(raw, "network"),
            server=_str(raw, "server"),
            account=_str(raw, "account"),
            timezone=_str(raw, "timezone"),
            secrets={k: v for k, v in secrets.items() if isinstance(v, str)}
            if isinstance(secrets, dict) else {},
            slots=_strs(raw, "slots"),
            raw=raw,
        )


@dataclass(frozen=True, slots=True)
class SavedReply:
    """A reusable reply template (``calendar/replies/*.yaml``), with {placeholders}."""

    id: str
    title: str
    text: str
    lang: str | None = None
    kinds: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    file: str = ""

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any], file: str) -> SavedReply | None:
        reply_id, text = _str(raw, "id"), _str(raw, "text")
        if reply_id is None or text is None:
            return None
        return cls(reply_id, _str(raw, "title") or reply_id, text.strip(), _str(raw, "lang"),
                   _strs(raw, "kinds"), _strs(raw, "tags"), file)


@dataclass(frozen=True, slots=True)
class QuietHours:
    start: str
    end: str
    channels: tuple[str, ...] | None = None
    days: tuple[str, ...] | None = None
    index: int = 0


@dataclass(frozen=True, slots=True)
class Blackout:
    start: str
    end: str
    reason: str | None = None
    channels: tuple[str, ...] | None = None
    index: int = 0


@dataclass(frozen=True, slots=True)
class Governance:
    """The team's publishing policy (``calendar/rules.yaml``); defaults when absent."""

    quiet_hours: tuple[QuietHours, ...] = ()
    blackouts: tuple[Blackout, ...] = ()
    min_spacing: Mapping[str, str] = field(default_factory=dict)
    max_per_day: Mapping[str, int] = field(default_factory=dict)
    banned_words: tuple[str, ...] = ()
    require_alt_text: bool = True
    require_utm: bool = False
    no_link_in_x_main_post: bool = False
    warn_only: tuple[str, ...] = ()
    file: str = "calendar/rules.yaml"

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any], file: str) -> Governance:
        def items(name: str) -> list[Mapping[str, Any]]:
            value = raw.get(name)
            return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []

        def chans(v: Mapping[str, Any]) -> tuple[str, ...] | None:
            return _strs(v, "channels") or None

        def mapping(name: str, kind: type) -> dict[str, Any]:
            value = raw.get(name)
            return {k: v for k, v in value.items() if isinstance(v, kind)} \
                if isinstance(value, dict) else {}

        def flag(name: str, default: bool) -> bool:
            value = raw.get(name)
            return value if isinstance(value, bool) else default

        return cls(
            quiet_hours=tuple(QuietHours(str(v.get("from")), str(v.get("to")), chans(v),
                                         _strs(v, "days") or None, i)
                              for i, v in enumerate(items("quiet_hours"))
                              if isinstance(v.get("from"), str) and isinstance(v.get("to"), str)),
            blackouts=tuple(Blackout(str(v.get("from")), str(v.get("to")), _str(v, "reason"),
                                     chans(v), i)
                            for i, v in enumerate(items("blackouts"))
                            if isinstance(v.get("from"), str) and isinstance(v.get("to"), str)),
            min_spacing=mapping("min_spacing", str),
            max_per_day={k: v for k, v in mapping("max_per_day", int).items()
                         if not isinstance(v, bool)},
            banned_words=_strs(raw, "banned_words"),
            require_alt_text=flag("require_alt_text", True),
            require_utm=flag("require_utm", False),
            no_link_in_x_main_post=flag("no_link_in_x_main_post", False),
            warn_only=_strs(raw, "warn_only"),
            file=file,
        )


@dataclass(frozen=True, slots=True)
class Pause:
    """The crisis switch (``calendar/pause.yaml``)."""

    paused: bool
    reason: str | None = None
    since: str | None = None
    by: str | None = None
    channels: tuple[str, ...] | None = None
    """None: every channel."""
    file: str = "calendar/pause.yaml"

    def affects(self, channel: str) -> bool:
        return self.paused and (self.channels is None or channel in self.channels)

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any], file: str) -> Pause:
        channels = _strs(raw, "channels") if isinstance(raw.get("channels"), list) else None
        return cls(raw.get("paused") is True, _str(raw, "reason"), _str(raw, "since"),
                   _str(raw, "by"), channels, file)


CHANNELS_FILE = "calendar/channels.yaml"


@dataclass(slots=True)
class Calendar:
    """Everything under ``calendar/``, as far as it could be read."""

    timezone: str | None = None
    lang: str | None = None
    max_delay: str | None = None
    channels: dict[str, Channel] = field(default_factory=dict)
    campaigns: dict[str, Campaign] = field(default_factory=dict)
    posts: list[Post] = field(default_factory=list)
    channels_file: str = CHANNELS_FILE
    duplicate_campaigns: list[tuple[str, str]] = field(default_factory=list)
    """(file, id) of campaign files whose id an earlier file already uses."""
    pause: Pause | None = None
    rules: Governance = field(default_factory=Governance)
    replies: list[SavedReply] = field(default_factory=list)
    gate: Gate | None = None
    """What validation holds back from publishing (set by ``load_calendar``); None for a
    calendar that was not validated, which the publisher refuses."""

    def channel_timezone(self, channel: str) -> str | None:
        ch = self.channels.get(channel)
        return (ch.timezone if ch and ch.timezone else None) or self.timezone

    def add_campaign(self, campaign: Campaign) -> None:
        if campaign.id in self.campaigns:
            self.duplicate_campaigns.append((campaign.file, campaign.id))
        else:
            self.campaigns[campaign.id] = campaign

    def add_channels_file(self, raw: Mapping[str, Any], file: str) -> None:
        self.channels_file = file
        self.timezone = _str(raw, "timezone")
        self.lang = _str(raw, "lang")
        self.max_delay = _str(raw, "max_delay")
        channels = raw.get("channels")
        if isinstance(channels, dict):
            self.channels = {name: Channel.from_raw(name, ch) for name, ch in channels.items()
                             if isinstance(ch, dict)}
