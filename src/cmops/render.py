"""What a post becomes on one channel: variant resolution, UTM tagging, thread parts.

This is the one function both validation (length rules before merge) and the publisher (the
exact payload sent) call, so what was checked is what goes out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cmops.model import Calendar, Link, Media, Part, Post
from cmops.text.limits import NETWORKS
from cmops.utm import Utm, find_urls, tag_text, tag_url, utm_for

__all__ = ["COMMENT", "Card", "Rendered", "RenderedPart", "Utm", "find_urls", "first_comment",
           "render", "render_parts", "resolve", "tag_text", "tag_url", "utm_for"]

COMMENT = "comment"
"""The kind of the part that is the post's first comment (the last part, when there is one)."""


@dataclass(frozen=True, slots=True)
class RenderedPart:
    """One message as it goes out (the main post is part 0)."""

    text: str
    media: tuple[Media, ...] = ()
    kind: str = "post"
    """``post`` (the main post or a thread part) or :data:`COMMENT` (the account's first
    comment under the main post, always the last part)."""


@dataclass(frozen=True, slots=True)
class Card:
    """A link card the client sends itself, on networks whose ``NetworkRules.link`` is
    ``card`` (Bluesky, LinkedIn, Facebook, the outbox)."""

    url: str
    """As sent: UTM-tagged."""
    title: str | None = None
    """None for a bare link (``link: https://…``): the publisher fetches the card from the
    page when it sends (``cmops card`` writes it into the post instead, for review)."""
    description: str | None = None
    image: str | None = None
    """A path in the repository."""


@dataclass(frozen=True, slots=True)
class Rendered:
    post_id: str
    channel: str
    network: str
    parts: tuple[RenderedPart, ...]
    link: str | None = None
    """The post's main URL (UTM-tagged), wherever it goes: in the text or as the card."""
    lang: str | None = None
    card: Card | None = None
    """The card sent beside the text; None where the link went into the text instead (the
    network builds its preview from the text, or the post has media and the network takes
    one embed)."""
    format: str = "feed"
    """``feed``, ``reel`` or ``story`` (a variant's ``format:``; Instagram only)."""
    share_to_feed: bool | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    """Fields only this channel's network reads (:func:`variant_options`), sent as
    ``Outgoing.options`` and shown in the plan."""

    @property
    def text(self) -> str:
        return self.parts[0].text

    @property
    def posts(self) -> tuple[RenderedPart, ...]:
        """The main post and its thread parts, without the first comment."""
        return tuple(p for p in self.parts if p.kind != COMMENT)

    @property
    def comment(self) -> RenderedPart | None:
        """The first comment, sent after the post as a comment on (or reply to) it."""
        return self.parts[-1] if self.parts[-1].kind == COMMENT else None


def resolve(post: Post, channel: str, network: str) -> tuple[str, tuple[Media, ...],
                                                            tuple[Part, ...]]:
    """Text, media and thread after variants: the channel's variant beats the network's,
    which beats the post's own fields; each field is overridden on its own."""
    text, media, thread = post.text, post.media, post.thread
    if not post.variants:
        return text, media, thread
    for name in (network, channel):
        variant = post.variants.get(name)
        if variant is None:
            continue
        if variant.text is not None:
            text = variant.text
        if variant.media is not None:
            media = variant.media
        if variant.thread is not None:
            thread = variant.thread
    return text, media, thread


def first_comment(post: Post, channel: str, network: str) -> str | None:
    """The first comment after variants (the channel's beats the network's, which beats the
    post's); None when there is none, or a variant drops it with ``first_comment: ""``."""
    text = post.first_comment
    if not post.variants:
        return text or None
    for name in (network, channel):
        variant = post.variants.get(name)
        if variant is not None and variant.first_comment is not None:
            text = variant.first_comment
    return text or None


def post_format(post: Post, channel: str, network: str) -> tuple[str, bool | None]:
    """The variants' ``format`` (default ``feed``) and ``share_to_feed``, the channel's
    beating the network's."""
    kind, share = "feed", None
    for name in (network, channel):
        variant = post.variants.get(name)
        if variant is not None and variant.format is not None:
            kind = variant.format
        if variant is not None and variant.share_to_feed is not None:
            share = variant.share_to_feed
    return kind, share


def variant_options(post: Post, channel: str, network: str) -> dict[str, Any]:
    """The variants' network-specific fields (``Variant.options``), the channel's beating
    the network's field by field."""
    options: dict[str, Any] = {}
    for name in (network, channel):
        variant = post.variants.get(name)
        if variant is not None:
            options.update(variant.options)
    return options


def describe_options(options: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``options`` as reviewable (field, value) pairs (``("event", "title=Open day,
    start=2027-04-03")``), in the order written: what the plan and its diff show, so what
    is reviewed is what is sent."""
    def value(v: Any) -> str:
        if isinstance(v, Mapping):
            return ", ".join(f"{k}={value(x)}" for k, x in v.items())
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return str(v).lower() if isinstance(v, bool) else str(v)
    return [(key, value(v)) for key, v in options.items()]


def _written(texts: list[str], url: str) -> bool:
    """Whether the text of some part already holds exactly this URL."""
    return any(text[start:end] == url for text in texts if url in text
               for start, end in find_urls(text))


def _place_link(link: Link, network: str, texts: list[str], media: tuple[Media, ...],
                calendar: Calendar) -> bool:
    """Put the link where ``network`` gets it: True when it goes as a card; otherwise it is
    added to ``texts`` (on a line of its own, unless a part already holds it), so the length
    rules count it. On X, when ``rules.yaml`` wants links out of the main post
    (``no_link_in_x_main_post``), a thread's last part takes it."""
    rules = NETWORKS.get(network)
    if rules is not None and rules.link == "card" and (not media or rules.card_with_media):
        return True
    if rules is not None and rules.link == "field":
        return False  # the adapter sends Rendered.link in the network's own field
    if not _written(texts, link.url):
        at = len(texts) - 1 if network == "x" and calendar.rules.no_link_in_x_main_post \
            else 0
        texts[at] = f"{texts[at].rstrip()}\n{link.url}" if texts[at].strip() else link.url
    return False


def _render(post: Post, channel: str, calendar: Calendar, *, card_link: bool = True
            ) -> tuple[str, tuple[RenderedPart, ...], Utm | None, bool]:
    """(network, parts, UTM parameters, whether the link goes as a card): the work both
    :func:`render` and :func:`render_parts` share, so the two cannot disagree. Without
    ``card_link`` the parameters are worked out only when a part has a URL to tag."""
    ch = calendar.channels.get(channel)
    network = ch.network if ch and ch.network else "outbox"
    text, media, thread = resolve(post, channel, network)
    comment = first_comment(post, channel, network)
    texts = [text, *(p.text for p in thread)] if thread else [text]
    as_card = _place_link(post.link, network, texts, media, calendar) if post.link else False
    utm = None
    # "://" cannot straddle the "\n" that joins the texts (one text is joined without a copy)
    if (card_link and post.link) or "://" in "\n".join(texts) or "://" in (comment or ""):
        campaign = calendar.campaigns.get(post.campaign) if post.campaign else None
        utm = utm_for(post, campaign, channel, network)
    parts = [RenderedPart(tag_text(texts[0], utm), media)]
    parts.extend(RenderedPart(tag_text(t, utm), p.media) for t, p in zip(texts[1:], thread,
                                                                          strict=True))
    if comment is not None:
        parts.append(RenderedPart(tag_text(comment, utm), (), COMMENT))
    return network, tuple(parts), utm, as_card


def render_parts(post: Post, channel: str, calendar: Calendar) -> tuple[RenderedPart, ...]:
    """``render(post, channel, calendar).parts``, without tagging the link a card carries
    (validation measures the parts only)."""
    return _render(post, channel, calendar, card_link=False)[1]


def render(post: Post, channel: str, calendar: Calendar) -> Rendered:
    """The post as it will be sent on ``channel``; its ``link`` goes into the text or the
    card, as the network takes it (see :func:`_place_link`): never dropped."""
    network, parts, utm, as_card = _render(post, channel, calendar)
    link = card = None
    if post.link:
        link = tag_url(post.link.url, utm) if utm else post.link.url
        if as_card:
            card = Card(link, post.link.title, post.link.description, post.link.image)
    return Rendered(post.id, channel, network, parts, link,
                    post.lang or calendar.lang, card, *post_format(post, channel, network),
                    variant_options(post, channel, network))
