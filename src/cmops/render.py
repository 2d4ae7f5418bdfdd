"""What a post becomes on one channel: variant resolution, UTM tagging, thread parts.

This is the one function both validation (length rules before merge) and the publisher (the
exact payload sent) call, so what was checked is what goes out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from cmops.model import Calendar, Campaign, Link, Media, Part, Post
from cmops.text.limits import NETWORKS

# An http(s) URL in running text, stopping at whitespace and at characters that cannot end
# one; trailing punctuation is trimmed afterwards (a sentence's full stop is not the URL's).
_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?…'\"»"
_CLOSERS = {")": "(", "]": "[", "}": "{"}


def find_urls(text: str) -> list[tuple[int, int]]:
    """(start, end) code-point spans of the http(s) URLs in ``text``."""
    spans = []
    for match in _URL.finditer(text):
        start, end = match.span()
        while end > start:
            last = text[end - 1]
            if last in _TRAILING:
                end -= 1
            elif last in _CLOSERS and text.count(_CLOSERS[last], start, end) < text.count(
                    last, start, end):
                end -= 1  # "(see https://x.example/a)" keeps the ")" outside
            else:
                break
        spans.append((start, end))
    return spans


@dataclass(frozen=True, slots=True)
class Utm:
    source: str
    medium: str
    campaign: str
    content: str | None = None

    def params(self) -> list[tuple[str, str]]:
        out = [("utm_source", self.source), ("utm_medium", self.medium),
               ("utm_campaign", self.campaign)]
        if self.content:
            out.append(("utm_content", self.content))
        return out

    def query(self) -> str:
        return _encoded(self.source, self.medium, self.campaign, self.content)


@lru_cache(maxsize=4096)
def _encoded(source: str, medium: str, campaign: str, content: str | None) -> str:
    # A plan renders every post on every channel: the same few parameter sets, encoded once.
    params = [("utm_source", source), ("utm_medium", medium), ("utm_campaign", campaign)]
    if content:
        params.append(("utm_content", content))
    return urlencode(params)




def utm_for(post: Post, campaign: Campaign | None, channel: str, network: str) -> Utm | None:
    """The campaign's UTM parameters for this post on this channel, or None (no campaign,
    campaign without utm, or the post opted out with ``utm: false``)."""
    if campaign is None or not campaign.utm or not post.utm:
        return None
    values = {"network": network, "channel": channel, "post": post.id,
              "campaign": campaign.id}

    def fill(template: str) -> str:
        if "{" not in template:
            return template
        for name, value in values.items():
            template = template.replace("{" + name + "}", value)
        return template

    return Utm(
        source=fill(campaign.utm.get("source", "{network}")),
        medium=fill(campaign.utm.get("medium", "social")),
        campaign=fill(campaign.utm.get("campaign", campaign.id)),
        content=fill(campaign.utm["content"]) if "content" in campaign.utm else None,
    )


def tag_url(url: str, utm: Utm) -> str:
    """Add UTM parameters, keeping existing query parameters and the fragment; a URL that
    already carries any utm_* parameter is left exactly as written (never double-tagged)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(key.lower().startswith("utm_") for key, _ in query):
        return url
    new_query = parts.query + ("&" if parts.query else "") + utm.query()
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", new_query,
                       parts.fragment))


def tag_text(text: str, utm: Utm | None) -> str:
    if utm is None or "://" not in text:
        return text
    out, last = [], 0
    for start, end in find_urls(text):
        out.append(text[last:start])
        out.append(tag_url(text[start:end], utm))
        last = end
    out.append(text[last:])
    return "".join(out)


@dataclass(frozen=True, slots=True)
class RenderedPart:
    """One message as it goes out (the main post is part 0)."""

    text: str
    media: tuple[Media, ...] = ()


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

    @property
    def text(self) -> str:
        return self.parts[0].text


def resolve(post: Post, channel: str, network: str) -> tuple[str, tuple[Media, ...],
                                                            tuple[Part, ...]]:
    """Text, media and thread after variants: the channel's variant beats the network's,
    which beats the post's own fields; each field is overridden on its own."""
    text, media, thread = post.text, post.media, post.thread
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
    if not _written(texts, link.url):
        at = len(texts) - 1 if network == "x" and calendar.rules.no_link_in_x_main_post \
            else 0
        texts[at] = f"{texts[at].rstrip()}\n{link.url}" if texts[at].strip() else link.url
    return False


def render(post: Post, channel: str, calendar: Calendar) -> Rendered:
    """The post as it will be sent on ``channel``; its ``link`` goes into the text or the
    card, as the network takes it (see :func:`_place_link`): never dropped."""
    ch = calendar.channels.get(channel)
    network = ch.network if ch and ch.network else "outbox"
    text, media, thread = resolve(post, channel, network)
    campaign = calendar.campaigns.get(post.campaign) if post.campaign else None
    has_links = bool(post.link) or "://" in text or any("://" in p.text for p in thread)
    utm = utm_for(post, campaign, channel, network) if has_links else None
    texts = [text, *(p.text for p in thread)]
    as_card = _place_link(post.link, network, texts, media, calendar) if post.link else False
    parts = [RenderedPart(tag_text(texts[0], utm), media)]
    parts.extend(RenderedPart(tag_text(t, utm), p.media) for t, p in zip(texts[1:], thread,
                                                                          strict=True))
    link = card = None
    if post.link:
        link = tag_url(post.link.url, utm) if utm else post.link.url
        if as_card:
            card = Card(link, post.link.title, post.link.description, post.link.image)
    return Rendered(post.id, channel, network, tuple(parts), link,
                    post.lang or calendar.lang, card)
