"""What each network accepts, as data: text limit and how it is counted, media, threads, caps.

Figures come from cmops's platform research (`platforms.md` in the shared reference); the
comment on each entry names the primary source and the section of that report. Where the
report marks a figure VERIFY or gives two, the stricter one is encoded and the comment says
so. `check` turns the rules into the messages a user sees, such as "312/300 graphemes".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from cmops.text import bluesky, linkedin, mastodon, telegram, twitter
from cmops.text.graphemes import clusters, count_graphemes, is_emoji_cluster, utf8_len, utf16_len


@dataclass(frozen=True, slots=True)
class Measure:
    """A count against a limit; `extra` holds further limits the same text must meet."""

    count: int
    limit: int
    unit: str
    extra: tuple[Measure, ...] = ()

    @property
    def ok(self) -> bool:
        return self.count <= self.limit and all(m.ok for m in self.extra)

    def message(self) -> str:
        return f"{self.count}/{self.limit} {self.unit}"

    def problems(self) -> list[str]:
        """A message for this count and each extra one that is over its limit."""
        own = [self.message()] if self.count > self.limit else []
        return own + [p for m in self.extra for p in m.problems()]


@dataclass(frozen=True, slots=True)
class MediaRules:
    max_count: int | None
    """Attachments per post; None: no known limit."""
    max_image_bytes: int | None
    max_video_bytes: int | None
    mime_types: tuple[str, ...]
    alt_text: bool
    """Whether the API takes alt text we can send."""
    alt_text_max: int | None = None
    max_videos: int | None = None
    mix_images_and_video: bool = True
    required: bool = False


@dataclass(frozen=True, slots=True)
class NetworkRules:
    name: str
    text_limit: int
    unit: str
    count: Callable[[str], int]
    media: MediaRules
    threads: bool
    """Whether a post can be a thread (each part replying to the previous one)."""
    media_text_limit: int | None = None
    """Limit for the text of a post with media, where it differs (Telegram captions)."""
    byte_limit: int | None = None
    """UTF-8 bytes, checked as well as `text_limit` (Bluesky)."""
    max_links: int | None = None
    max_hashtags: int | None = None
    max_mentions: int | None = None
    hashtag_advice: int | None = None
    """A softer hashtag count above which `advice` speaks up."""
    link: str = "text"
    """How a post's ``link`` reaches the network: ``text`` (the network builds its own
    preview from a URL in the text, so the link is put in the text and counted there) or
    ``card`` (the client must send the card itself: title, description, image)."""
    card_with_media: bool = False
    """Whether a card can go out beside media. Where it cannot (one embed per post on
    Bluesky, a post is media or an article on LinkedIn, a photo post has no link card on
    Facebook), a post with media gets the link in its text instead."""

    def measure(self, text: str, *, limit_override: int | None = None,
                with_media: bool = False) -> Measure:
        limit = self.text_limit
        if with_media and self.media_text_limit is not None:
            limit = self.media_text_limit
        if limit_override is not None:
            limit = limit_override
        extra: tuple[Measure, ...] = ()
        if self.byte_limit is not None:
            extra = (Measure(utf8_len(text), self.byte_limit, "UTF-8 bytes"),)
        return Measure(self.count(text), limit, self.unit, extra)


_IMAGES = ("image/png", "image/jpeg", "image/gif", "image/webp")
_VIDEOS = ("video/mp4", "video/quicktime")
_MB = 1_000_000
_MIB = 1024 * 1024


def _threads_count(text: str) -> int:
    # Threads: "Emojis are counted as the number of UTF-8 bytes" (VERIFY). Stricter reading:
    # an emoji costs its UTF-8 bytes, anything else its UTF-16 units.
    return sum(utf8_len(c) if is_emoji_cluster(c) else utf16_len(c) for c in clusters(text))


NETWORKS: dict[str, NetworkRules] = {
    # lexicons app.bsky.feed.post / embed.images / embed.video (platforms.md 2.3, 2.6). Images:
    # lexicon 2 MB, docs 1 MB: 1 MB kept. One embed per post: images or one video.
    "bluesky": NetworkRules(
        "bluesky", bluesky.MAX_GRAPHEMES, "graphemes", count_graphemes,
        MediaRules(4, 1 * _MB, 300 * _MB, (*_IMAGES, "video/mp4"), alt_text=True,
                   max_videos=1, mix_images_and_video=False),
        threads=True, byte_limit=bluesky.MAX_BYTES, link="card"),
    # StatusLengthValidator; /api/v2/instance defaults: 4 attachments, image 16 MiB, video
    # 99 MiB, alt text 1500; one video per post, not mixed with images (platforms.md 3.4, 3.6).
    "mastodon": NetworkRules(
        "mastodon", mastodon.DEFAULT_MAX_CHARS, "characters", mastodon.length,
        MediaRules(4, 16_777_216, 103_809_024, (*_IMAGES, *_VIDEOS, "video/webm"),
                   alt_text=True, alt_text_max=1500, max_videos=1, mix_images_and_video=False),
        threads=True),
    # twitter-text v3; media/introduction: image 5 MB, video 512 MB (read as decimal MB, the
    # stricter), 4 media, alt text 1000 (platforms.md 4.3, 4.6). One video and no mixing is
    # our stricter assumption (VERIFY). Threads: VERIFY (replies must be "summoned" since
    # 2026-02).
    "x": NetworkRules(
        "x", twitter.V3.max_weighted_length, "weighted characters", twitter.weighted_length,
        MediaRules(4, 5 * _MB, 512 * _MB, (*_IMAGES, *_VIDEOS), alt_text=True,
                   alt_text_max=1000, max_videos=1, mix_images_and_video=False),
        threads=True),
    # Posts API + little text format; 3000 [2nd], counted strictly (see linkedin.length);
    # multiImage 2-20, JPG/PNG/GIF [2nd] (platforms.md 5.3, 5.4). No threads.
    "linkedin": NetworkRules(
        "linkedin", linkedin.MAX_LENGTH, "characters (escaped)", linkedin.text_length,
        MediaRules(20, None, None, ("image/png", "image/jpeg", "image/gif"), alt_text=True),
        threads=False, link="card"),
    # Pages API; "very large (~63k)" [2nd]; photo alt text VERIFY, so not sent (platforms.md 6).
    "facebook": NetworkRules(
        "facebook", 63206, "characters", utf16_len,
        MediaRules(None, None, None, _IMAGES, alt_text=False),
        threads=False, link="card"),
    # IG User Media: caption 2200, 30 hashtags, 20 @-tags; newer guides say 5 hashtags
    # (VERIFY): 30 enforced, advice above 5. Media required, fetched from a public URL; images
    # < 8 MiB, JPEG only (Graph API); carousel 10 [2nd] (VERIFY 20: 10 kept) (platforms.md 7).
    "instagram": NetworkRules(
        "instagram", 2200, "characters", utf16_len,
        MediaRules(10, 8 * _MIB, None, ("image/jpeg", *_VIDEOS), alt_text=True, required=True),
        threads=False, max_hashtags=30, max_mentions=20, hashtag_advice=5),
    # Threads Posts: 500, emoji counted in UTF-8 bytes (VERIFY, see _threads_count), more than
    # 5 links fail; one topic tag per post [2nd] (platforms.md 8). Alt text not covered there.
    "threads": NetworkRules(
        "threads", 500, "characters", _threads_count,
        MediaRules(None, None, None, (*_IMAGES, *_VIDEOS), alt_text=False),
        threads=True, max_links=5, hashtag_advice=1),
    # Execute Webhook: content "up to 2000 characters", counted in UTF-16 units by some
    # clients, so UTF-16 (never fewer than code points); 10 attachments like embeds (VERIFY);
    # one message, no threads (platforms.md 9).
    "discord": NetworkRules(
        "discord", 2000, "UTF-16 units", utf16_len,
        MediaRules(10, None, None, (*_IMAGES, *_VIDEOS), alt_text=False),
        threads=False),
    # Bot API: text 4096, caption 1024, albums of up to 10, no alt text; a reply chain
    # (reply_parameters) serves as a thread (platforms.md 10).
    "telegram": NetworkRules(
        "telegram", telegram.MAX_TEXT, "UTF-16 units", telegram.length,
        MediaRules(10, None, None, ("image/png", "image/jpeg", "image/webp", "video/mp4"),
                   alt_text=False),
        threads=True, media_text_limit=telegram.MAX_CAPTION),
    # The embedded local channel: written to disk, so only a sanity bound.
    "outbox": NetworkRules(
        "outbox", 100_000, "graphemes", count_graphemes,
        MediaRules(None, None, None, (*_IMAGES, *_VIDEOS), alt_text=True),
        threads=True, link="card", card_with_media=True),
}

_HASHTAG = re.compile(r"(?<![\w&#＃])[#＃]\w+")
_MENTION = re.compile(r"(?<![\w@])@\w[\w.]*")


def count_links(text: str) -> int:
    """URLs as X would count them, bare domains included (the stricter reading)."""
    return len(twitter.extract_urls(text))


def count_hashtags(text: str) -> int:
    return len(_HASHTAG.findall(text))


def count_mentions(text: str) -> int:
    return len(_MENTION.findall(text))


def _caps(rules: NetworkRules) -> list[tuple[int | None, Callable[[str], int], str]]:
    return [(rules.max_links, count_links, "links"),
            (rules.max_hashtags, count_hashtags, "hashtags"),
            (rules.max_mentions, count_mentions, "mentions")]


def measure(network: str, text: str, *, limit_override: int | None = None,
            with_media: bool = False) -> Measure:
    """`text` counted the way `network` counts it, against its limit (or `limit_override`)."""
    return NETWORKS[network].measure(text, limit_override=limit_override, with_media=with_media)


def check(network: str, text: str, *, limit_override: int | None = None,
          with_media: bool = False) -> list[str]:
    """Every hard limit `text` breaks on `network`, as "count/limit unit" messages."""
    rules = NETWORKS[network]
    bound = _CHEAP_BOUNDS.get(rules.count)
    if bound is not None and not _caps_apply(rules):
        limit = limit_override if limit_override is not None else (
            rules.media_text_limit if with_media and rules.media_text_limit is not None
            else rules.text_limit)
        if bound(text) <= limit and (rules.byte_limit is None
                                           or 4 * len(text) <= rules.byte_limit):
            return _x_characters(network, text)  # cannot be over: skip the exact count
    problems = measure(network, text, limit_override=limit_override,
                       with_media=with_media).problems()
    for cap, counter, unit in _caps(rules):
        if cap is not None and (n := counter(text)) > cap:
            problems.append(f"{n}/{cap} {unit}")
    return problems + _x_characters(network, text)


def _x_characters(network: str, text: str) -> list[str]:
    if network == "x" and twitter.INVALID_CHARACTERS.intersection(text):
        return ["contains U+FFFE, U+FEFF or U+FFFF, which X rejects"]
    return []


_CHEAP_BOUNDS: dict[Callable[[str], int], Callable[[str], int]] = {
    # An upper bound of the count that costs next to nothing: when it is within the limit,
    # the exact count is not needed to know the text fits.
    count_graphemes: len,  # a grapheme is at least one code point
    utf16_len: lambda text: 2 * len(text),
    telegram.length: lambda text: 2 * len(text),
    _threads_count: lambda text: 4 * len(text),  # at most 4 UTF-8 bytes per code point
    # Each URL (it has "://") counts 23 whatever its length; mentions only get shorter.
    mastodon.length: lambda text: len(text) + 23 * text.count("://"),
    twitter.weighted_length: lambda text: _x_bound(text),
    # Escaping at most doubles a code point, UTF-16 doubles again; a hashtag becomes the
    # 11-character-longer {hashtag|\#|tag} element.
    linkedin.text_length: lambda text: 4 * len(text) + 11 * (text.count("#")
                                                           + text.count("\uff03")),
}


def _x_bound(text: str) -> int:
    # No code point weighs more than 2 (an emoji cluster weighs 2 in all), and each URL
    # costs 23 wherever it is; every URL twitter-text extracts has a dot in its domain.
    dots = text.count(".") + text.count("\u3002") + text.count("\uff0e")
    return 2 * len(unicodedata.normalize("NFC", text)) + 23 * dots


def _caps_apply(rules: NetworkRules) -> bool:
    return any(cap is not None for cap, _, _ in _caps(rules))


def advice(network: str, text: str) -> list[str]:
    """Softer advice: more hashtags than the network is said to make use of."""
    rules = NETWORKS[network]
    if rules.hashtag_advice is None:
        return []
    n = count_hashtags(text)
    if n > rules.hashtag_advice:
        return [f"{n} hashtags: {network} is reported to use at most {rules.hashtag_advice}"]
    return []
