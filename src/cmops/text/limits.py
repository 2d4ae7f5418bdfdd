"""What each network accepts, as data: text limit and how it is counted, media, threads, caps.

Figures come from cmops's platform research (`platforms.md` in the shared reference); the
comment on each entry names the primary source and the section of that report. Where the
report marks a figure VERIFY or gives two, the stricter one is encoded and the comment says
so. `check` turns the rules into the messages a user sees, such as "312/300 graphemes".

Each entry is also the one declaration of what cmops's adapter for that network can send
(media kinds, counts and sizes, threads, link handling, first comment) and what it needs
(secret roles, required and optional settings), what it can edit, delete and read, and
whether the network's API could: validation refuses what the adapter cannot send, and each adapter
(``rules = NETWORKS[...]``) checks the same declaration before sending. Where the network
takes more than the adapter sends (video on Bluesky, X, Instagram, Threads, LinkedIn,
Facebook), the entry says what the adapter sends, and ``MediaRules.pending`` the rest.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from cmops.prepare import cannot_fix
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
    """What cmops's adapter for a network can send (never more than the network takes):
    validation refuses anything else before merge, and the adapter checks the same rules
    before it sends (:meth:`NetworkRules.media_refusals`)."""

    max_count: int | None
    """Attachments per post; None: no known limit."""
    max_image_bytes: int | None
    max_video_bytes: int | None
    mime_types: tuple[str, ...]
    """The types the adapter sends, judged by the file's content."""
    alt_text: bool
    """Whether the API takes alt text we can send."""
    alt_text_max: int | None = None
    max_videos: int | None = None
    mix_images_and_video: bool = True
    required: bool = False
    pending: tuple[str, ...] = ()
    """Types the network itself takes that cmops cannot send there yet (video needs each
    network's own upload flow): refused, with a message that says so."""
    min_video_seconds: float | None = None
    max_video_seconds: float | None = None
    video_aspect: tuple[float, float] | None = None
    """The range of a video's width / height the network takes (as displayed, rotation
    applied); None: any."""
    max_video_fps: float | None = None
    max_video_width: int | None = None
    """The larger side's cap in pixels where the network states one (after rotation, the
    width is the displayed width)."""
    video_codecs: tuple[str, ...] = ()
    """Video codecs the network takes, as MediaInfo names them ("AVC" for H.264, "HEVC");
    empty: the network states none."""
    max_image_side_sum: int | None = None
    """An image's width plus height at most (Telegram's sendPhoto); a larger image is
    scaled down when it is prepared (:mod:`cmops.prepare`)."""


@dataclass(frozen=True, slots=True)
class Attachment:
    """One media file as the media rules see it."""

    path: str
    mime: str | None
    """Judged by the file's content; None when it is not a supported image or video (or
    cannot be read)."""
    size: int
    alt: str | None = None
    video: VideoFacts | None = None
    """A video's facts, read from the file itself; None for an image, or a video whose
    metadata could not be read."""
    image: ImageFacts | None = None
    """An image's facts, read from the file itself with Pillow; None for a video, or where
    nobody read it (the image is then judged by its type and size only)."""


@dataclass(frozen=True, slots=True)
class VideoFacts:
    """What a video file says of itself (read at the edge with MediaInfo)."""

    seconds: float | None
    width: int | None
    """As displayed: a 90 or 270 degree rotation already applied."""
    height: int | None
    fps: float | None
    codec: str | None
    """MediaInfo's name of the first video track's format: "AVC" (H.264), "HEVC", "VP9"."""


@dataclass(frozen=True, slots=True)
class ImageFacts:
    """What an image file says of itself, read at the edge with Pillow from its header (and
    a decode, bounded by the decompression-bomb limit) by :func:`cmops.prepare.image_facts`."""

    width: int
    """As displayed: the EXIF orientation already applied; 0 when unreadable."""
    height: int
    animated: bool
    """More than one frame (an animated GIF, PNG or WebP)."""
    unreadable: str | None = None
    """Why it cannot be sent at all ("cannot read the image: ...", "refused as a
    decompression bomb: ..."); None when it decodes."""


@dataclass(frozen=True, slots=True)
class Refusal:
    """Something a network's declaration refuses: the validation rule that reports it, the
    attachment concerned (None: the post as a whole), and a message naming ``who``."""

    rule: str
    index: int | None
    message: str


_KIND_NAMES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF",
               "image/webp": "WebP", "video/mp4": "MP4", "video/quicktime": "MOV",
               "video/webm": "WebM"}


def kinds(mime_types: tuple[str, ...]) -> str:
    """``("image/png", "video/mp4")`` -> ``PNG images, MP4 videos`` (for messages and docs)."""
    images = [_KIND_NAMES.get(m, m) for m in mime_types if m.startswith("image/")]
    videos = [_KIND_NAMES.get(m, m) for m in mime_types if not m.startswith("image/")]
    return ", ".join([*([f"{', '.join(images)} images"] if images else []),
                      *([f"{', '.join(videos)} videos"] if videos else [])]) or "no media"


@dataclass(frozen=True, slots=True)
class NetworkRules:
    name: str
    text_limit: int
    unit: str
    count: Callable[[str], int]
    media: MediaRules
    threads: bool
    """Whether a post can be a thread (each part replying to the previous one)."""
    max_thread: int | None = None
    """Posts in one thread, the first included, where the network takes fewer than the 26
    every network gets (a main post and the schema's 25 parts)."""
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
    ``card`` (the client must send the card itself: title, description, image), or
    ``field`` (the network takes the URL in a field of its own, beside the text: Pinterest's
    pin ``link``; it is neither in the text nor a card)."""
    card_with_media: bool = False
    """Whether a card can go out beside media. Where it cannot (one embed per post on
    Bluesky, a post is media or an article on LinkedIn, a photo post has no link card on
    Facebook), a post with media gets the link in its text instead."""
    first_comment: bool = False
    """Whether cmops can post a first comment under the post (``first_comment:``): a reply to
    the main post where the network has replies, a comment on it where it has comments."""
    secrets: tuple[tuple[str, ...], ...] = ()
    """The secret roles the adapter reads from ``secrets:``, as the sets it accepts: a
    channel names every role of one of them (X: OAuth 1.0a's four, or an OAuth 2 token)."""
    settings: tuple[str, ...] = ()
    """Channel settings the adapter cannot work without (their types: :data:`SETTING_TYPES`)."""
    optional_settings: tuple[str, ...] = ()
    """Channel settings of this network's own that a channel may have (beside the ones every
    channel has: timezone, label, color, slots, token_expires, edit_window, secrets)."""
    fetches_media: bool = False
    """Whether the network downloads the media itself from a public URL (the channel's
    ``media_base_url``) instead of taking an upload."""
    edits: bool = False
    """Whether cmops's adapter can change a published post's text (:class:`Editor`)."""
    edits_alt: bool = False
    """Whether its edits can also change the alt text of a published post's media."""
    deletes: bool = False
    """Whether cmops's adapter can delete a published post."""
    replies: bool = False
    """Whether cmops's adapter can send a post as a reply to a message given by its URL
    (``reply_to:``, read by :func:`cmops.replyto.parse`)."""
    reply_media: bool = True
    """Whether a reply can carry media; False where a reply is a comment, text only
    (Instagram, Facebook and LinkedIn as cmops answers there)."""
    api_edits: bool | None = None
    """Whether the network's API offers editing a published post, per the source cited beside
    the entry (platforms.md or the network's own reference); None: unknown."""
    api_deletes: bool | None = None
    """Whether the network's API offers deleting a published post, as for ``api_edits``."""
    reads: frozenset[str] = frozenset()
    """What ``cmops collect`` reads from the network through the adapter, among
    :data:`READS`."""

    @property
    def secret_roles(self) -> frozenset[str]:
        """Every role the adapter reads."""
        return frozenset(role for roles in self.secrets for role in roles)

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

    def media_refusals(self, media: Sequence[Attachment], who: str, *, first: bool = True,
                       prepares: bool = False, reply: bool = False) -> list[Refusal]:
        """What this network's adapter cannot send among ``media`` (one message's
        attachments; ``first``: the post itself, not a later thread part). The one check
        behind both validation and the adapters, so the two cannot disagree.

        ``prepares``: the files are the repository's, which the publisher prepares for the
        network before the adapter sees them (:mod:`cmops.prepare`), so an image that
        preparation converts or shrinks is not refused (validation). Without it the files
        are the ones sent, checked as they are (an adapter, handed prepared files).

        ``reply``: the message answers another (``reply_to:``): no media is required, and
        none is taken where the network's replies are text-only comments."""
        rules, out = self.media, []
        if reply and first and media and not self.reply_media:
            out.append(Refusal("media.reply", None,
                               f"{who} answers with a comment, which takes text only: "
                               "remove the media, or give it a variant with media: []"))
        if rules.required and first and not media and not reply:
            out.append(Refusal("media.required", None,
                               f"{who} cannot publish a post without an image or video: "
                               "attach media, or give it a variant that has some"))
        if rules.max_count is not None and len(media) > rules.max_count:
            out.append(Refusal("media.too-many", None, f"{len(media)} media attached; {who} "
                               f"takes at most {rules.max_count}"))
        videos = sum(1 for a in media if a.mime is not None and a.mime.startswith("video/"))
        if rules.max_videos is not None and videos > rules.max_videos:
            out.append(Refusal("media.too-many", None, f"{videos} videos attached; {who} "
                               f"takes at most {rules.max_videos} in one post"))
        if videos and not rules.mix_images_and_video and any(
                a.mime is not None and a.mime.startswith("image/") for a in media):
            out.append(Refusal("media.mixed", None, f"{who} takes images or a video in one "
                               "post, not both"))
        for n, item in enumerate(media):
            if item.alt and rules.alt_text_max is not None and \
                    len(item.alt) > rules.alt_text_max:
                out.append(Refusal("media.alt-too-long", n, f"alt text is {len(item.alt)} "
                                   f"characters; {who} takes at most {rules.alt_text_max}"))
            if item.mime is None:
                continue  # not a supported type at all: the media rules say so
            image = item.mime.startswith("image/")
            if image and item.image is not None and item.image.unreadable:
                # Whoever sends it (cmops after preparing it, or the network fetching it),
                # an image that does not decode is refused: cmops.prepare refuses the same.
                out.append(Refusal("media.image-unreadable", n, f"'{item.path}' cannot be "
                                   f"sent to {who}: {item.image.unreadable}"))
                continue
            unfixable = cannot_fix(item.mime, item.size, rules, item.image) \
                if image else None
            if image and prepares and not unfixable:
                continue  # converted or shrunk when published (cmops.prepare)
            also = f"; {unfixable}" if unfixable and prepares else ""
            before = len(out)
            if item.mime not in rules.mime_types:
                why = f"{self.name} does, but cmops cannot send it there yet; " \
                    if item.mime in rules.pending else ""
                out.append(Refusal("media.network-type", n, f"{who} does not take "
                                   f"{item.mime} ({why}it takes {kinds(rules.mime_types)})"
                                   f"{also}"))
                also = ""
            limit = rules.max_image_bytes if image else rules.max_video_bytes
            if limit is not None and item.size > limit:
                size, most = f"{item.size / 1_000_000:.1f} MB", f"{limit / 1_000_000:.1f} MB"
                if size == most:
                    size, most = f"{item.size} bytes", f"{limit} bytes"
                out.append(Refusal("media.network-size", n, f"'{item.path}' is {size}; {who} "
                                   f"takes at most {most}{also}"))
            if also and len(out) == before and item.image is not None:
                # Of a type and size the network takes, but too many pixels for it
                # (rules.max_image_side_sum) and animated, so not scaled down.
                out.append(Refusal("media.network-size", n, f"'{item.path}' is "
                                   f"{item.image.width}x{item.image.height}; {who} takes at "
                                   f"most {rules.max_image_side_sum} pixels in width plus "
                                   f"height{also}"))
            if item.mime.startswith("video/") and item.mime in rules.mime_types:
                out += self.video_refusals(item, n, who)
        return out

    def video_refusals(self, item: Attachment, n: int, who: str) -> list[Refusal]:
        """What ``item`` (a video) breaks among the network's stated video limits: duration,
        aspect ratio, frame rate, size in pixels, codec. A limit the file's metadata cannot
        answer is refused too (never sent on a guess)."""
        rules, out = self.media, list[Refusal]()
        facts = item.video
        stated = (rules.min_video_seconds, rules.max_video_seconds, rules.video_aspect,
                  rules.max_video_fps, rules.max_video_width)
        if all(x is None for x in stated) and not rules.video_codecs:
            return out
        if facts is None:
            return [Refusal("media.video-unreadable", n, f"cannot read '{item.path}' as a "
                            f"video (duration, size, codec), which {who} needs checked")]

        def refuse(rule: str, message: str) -> None:
            out.append(Refusal(rule, n, f"'{item.path}' {message}"))

        if rules.min_video_seconds is not None or rules.max_video_seconds is not None:
            if facts.seconds is None:
                refuse("media.video-unreadable", f"has no readable duration; {who} limits it")
            elif rules.min_video_seconds is not None and facts.seconds < rules.min_video_seconds:
                refuse("media.video-duration", f"lasts {facts.seconds:.1f} s; {who} takes at "
                       f"least {rules.min_video_seconds:g} s")
            elif rules.max_video_seconds is not None and facts.seconds > rules.max_video_seconds:
                refuse("media.video-duration", f"lasts {facts.seconds:.1f} s; {who} takes at "
                       f"most {rules.max_video_seconds:g} s")
        if rules.video_aspect is not None or rules.max_video_width is not None:
            if not facts.width or not facts.height:
                refuse("media.video-unreadable", f"has no readable width and height; {who} "
                       "limits them")
            else:
                ratio = facts.width / facts.height
                low, high = rules.video_aspect or (0.0, float("inf"))
                if not low - 0.005 <= ratio <= high + 0.005:
                    refuse("media.video-aspect", f"is {facts.width}x{facts.height} (aspect "
                           f"{ratio:.2f}); {who} takes an aspect ratio between {low:.2f} and "
                           f"{high:.2f}")
                if rules.max_video_width is not None and \
                        max(facts.width, facts.height) > rules.max_video_width:
                    refuse("media.video-dimensions", f"is {facts.width}x{facts.height}; {who}"
                           f" takes at most {rules.max_video_width} pixels a side")
        if rules.max_video_fps is not None:
            if facts.fps is None:
                refuse("media.video-unreadable", f"has no readable frame rate; {who} limits "
                       "it")
            elif facts.fps > rules.max_video_fps + 0.01:
                refuse("media.video-fps", f"runs at {facts.fps:g} frames a second; {who} "
                       f"takes at most {rules.max_video_fps:g}")
        if rules.video_codecs and facts.codec not in rules.video_codecs:
            refuse("media.video-codec", f"is encoded as {facts.codec or 'an unknown codec'};"
                   f" {who} takes {', '.join(rules.video_codecs)}")
        return out


LAYOUTS = ("prepared", "repository")
"""A channel's ``media_layout``: ``prepared`` serves the file prepared for the network at
:func:`cmops.mediaurls.path`, as ``cmops report`` writes it (``cmops init``'s channels set
it); ``repository`` the original file at its repository path, for those who serve the
repository themselves."""
DEFAULT_LAYOUT = "repository"
"""Where a channel says nothing: what every channel did before ``media_layout`` existed, so
an existing ``media_base_url`` keeps working."""


def sends_original(rules: NetworkRules, settings: Mapping[str, object]) -> bool:
    """Whether a channel's network gets the repository's file as it is (so nothing can be
    converted for it): a network that fetches media, on a channel with ``media_layout:
    repository`` (or no layout: :data:`DEFAULT_LAYOUT`). Validation and the publisher both
    ask this, so what one accepts the other sends."""
    return rules.fetches_media and \
        settings.get("media_layout", DEFAULT_LAYOUT) != "prepared"


SETTING_TYPES: dict[str, tuple[str, ...]] = {
    "server": ("string",), "account": ("string",), "appview": ("string",),
    "path": ("string",), "max_chars": ("integer",), "chat_id": ("string", "integer"),
    "media_base_url": ("string",), "media_layout": ("string",), "version": ("string",),
    "video_service": ("string",), "video_source": ("string",), "board": ("string",),
    "privacy": ("string",), "category": ("string",), "daily_quota": ("integer",),
    "audited": ("boolean",), "made_for_kids": ("boolean",), "synthetic_media": ("boolean",),
    "location": ("string",),
}
"""The JSON types of the network-specific channel settings (as the channels schema has them)."""

READS: dict[str, str] = {
    "metrics": "counters of each post",
    "followers": "the follower count",
    "mentions": "mentions of the account",
    "replies": "replies to its posts",
    "quotes": "quotes of its posts",
    "dms": "direct messages",
    "answered": "whether the account answered a message",
    "search": "public posts matching the listening terms",
}
"""What ``cmops collect`` can read from a network, and what each means (for the docs)."""

_IMAGES = ("image/png", "image/jpeg", "image/gif", "image/webp")
_VIDEOS = ("video/mp4", "video/quicktime")
_MB = 1_000_000
_MIB = 1024 * 1024


_SOCIAL_READS = frozenset({"metrics", "followers", "mentions", "replies", "quotes", "answered",
                           "search"})


def _threads_count(text: str) -> int:
    # Threads: "Emojis are counted as the number of UTF-8 bytes" (VERIFY). Stricter reading:
    # an emoji costs its UTF-8 bytes, anything else its UTF-16 units.
    return sum(utf8_len(c) if is_emoji_cluster(c) else utf16_len(c) for c in clusters(text))


NETWORKS: dict[str, NetworkRules] = {
    # The embedded local channel: written to disk, so only a sanity bound. Its reader
    # answers with no counters and an empty inbox: it reads nothing.
    "outbox": NetworkRules(
        "outbox", 100_000, "graphemes", count_graphemes,
        MediaRules(None, None, None, (*_IMAGES, *_VIDEOS), alt_text=True),
        threads=True, link="card", card_with_media=True, optional_settings=("path",),
        first_comment=True, deletes=True, edits=True, edits_alt=True, replies=True,
        # Its own files: cmops can rewrite or remove them at will.
        api_edits=True, api_deletes=True),
    # lexicons app.bsky.feed.post / embed.images / embed.video (platforms.md 2.3, 2.6). Images:
    # lexicon 2 MB, docs 1 MB: 1 MB kept. One embed per post: images or one video. Video:
    # lexicon app.bsky.embed.video takes video/mp4 "up to 300mb, formerly limited to 100mb"
    # (maxSize 300,000,000; bluesky-social/atproto d6296a1), uploadVideo's input is video/mp4,
    # sent through the video service (docs.bsky.app/docs/tutorials/video); its alt has no
    # stated maximum. Videos up to 3 minutes (Bluesky's announcement, March 2025), read from
    # the file (cmops.probe) by validation and the publisher alike.
    "bluesky": NetworkRules(
        "bluesky", bluesky.MAX_GRAPHEMES, "graphemes", count_graphemes,
        MediaRules(4, 1 * _MB, 300 * _MB, (*_IMAGES, "video/mp4"), alt_text=True,
                   max_videos=1, mix_images_and_video=False, max_video_seconds=180),
        secrets=(("identifier", "password"),),
        optional_settings=("server", "account", "appview", "video_service"),
        threads=True, byte_limit=bluesky.MAX_BYTES, link="card", first_comment=True,
        # putRecord on an existing rkey edits the post (2.7); DELETE costs 1 point (2.8).
        # edits=False all the same: clients never edit a post (the apps have no edit), and a
        # rewritten record gets a new cid, which breaks the strong ref every reply, like and
        # quote holds to it. Replies: record.reply {root, parent} strong refs
        # (docs.bsky.app/docs/advanced-guides/posts#replies), the parent read with
        # com.atproto.repo.getRecord, a handle resolved with com.atproto.identity.resolveHandle.
        api_edits=True, deletes=True, api_deletes=True, replies=True, reads=_SOCIAL_READS),
    # StatusLengthValidator; /api/v2/instance defaults: 4 attachments, image 16 MiB, video
    # 99 MiB, alt text 1500; one video per post, not mixed with images (platforms.md 3.4, 3.6).
    "mastodon": NetworkRules(
        "mastodon", mastodon.DEFAULT_MAX_CHARS, "characters", mastodon.length,
        MediaRules(4, 16_777_216, 103_809_024, (*_IMAGES, *_VIDEOS, "video/webm"),
                   alt_text=True, alt_text_max=1500, max_videos=1, mix_images_and_video=False),
        secrets=(("token",),), settings=("server",), optional_settings=("account", "max_chars"),
        threads=True, first_comment=True,
        # delete 30 / 30 min (3.5); PUT /api/v1/statuses/:id edits since 3.5.0
        # (docs.joinmastodon.org/methods/statuses/#edit), its text read back from
        # GET /api/v1/statuses/:id/source (#source); a reply is POST /api/v1/statuses with
        # in_reply_to_id (#create), a status of another server found by GET /api/v2/search
        # with resolve=true (docs.joinmastodon.org/methods/search/#v2). Alt texts change in
        # the same PUT by media_attributes[][] {id, description} (#edit, since 4.1.0).
        api_edits=True, edits=True, edits_alt=True, deletes=True, api_deletes=True,
        replies=True,
        reads=_SOCIAL_READS | {"dms"}),
    # twitter-text v3; media/introduction: image 5 MB, video 512 MB (read as decimal MB, the
    # stricter), 4 media, alt text 1000 (platforms.md 4.3, 4.6). One video and no mixing is
    # our stricter assumption (VERIFY). Threads: VERIFY (replies must be "summoned" since
    # 2026-02).
    "x": NetworkRules(
        "x", twitter.V3.max_weighted_length, "weighted characters", twitter.weighted_length,
        # Video through the chunked upload (docs.x.com/x-api/media/quickstart/best-practices,
        # "Advanced"): 0.5 s at least, at most 20 minutes for a default account (125 for
        # Premium, which cmops cannot know: the default kept), 60 fps at most, 32x32 to
        # 1280x1024 (the larger side capped at 1280: the page's own 720x1280 portrait
        # advice), aspect 1:3 to 3:1; H.264 is the only codec it names. Its 8 GB default
        # size contradicts the media introduction's 512 MB: the stricter kept. GIFs: 15 MB
        # there, but one image size is declared, so GIFs stay at the images' 5 MB.
        MediaRules(4, 5 * _MB, 512 * _MB, (*_IMAGES, *_VIDEOS), alt_text=True,
                   alt_text_max=1000, max_videos=1, mix_images_and_video=False,
                   min_video_seconds=0.5, max_video_seconds=1200, video_aspect=(1 / 3, 3.0),
                   max_video_fps=60, max_video_width=1280, video_codecs=("AVC",)),
        secrets=(("api_key", "api_secret", "access_token", "access_secret"), ("token",)),
        optional_settings=("server", "account"),
        threads=True, first_comment=True,
        # edit_options{previous_post_id} (4.2); DELETE 50 / 15 min (4.5). Reads: paid tiers.
        # edits=False: an edit is a new post (new id) naming the old one in edit_options,
        # within 30 minutes and 5 edits, never on a reply to others
        # (docs.x.com/x-api/fundamentals/edit-posts): too short for review. Replies: reply
        # {in_reply_to_tweet_id} (docs.x.com/x-api/posts/manage-tweets/api-reference/
        # post-tweets); self-serve apps only where the post's author @mentioned the account
        # or quoted one of its posts (docs.x.com/x-api/posts/manage-tweets/integrate, "Reply
        # restrictions"), else refused: the adapter says so.
        api_edits=True, deletes=True, api_deletes=True, replies=True, reads=_SOCIAL_READS),
    # Posts API + little text format; 3000 [2nd], counted strictly (see linkedin.length);
    # multiImage 2-20, JPG/PNG/GIF [2nd] (platforms.md 5.3, 5.4). No threads. Video: one MP4
    # per post (content.media; multiImage takes images only), 75 KB-500 MB, 3 s-30 min,
    # aspect 1:2.4-2.4:1, 10-60 fps (learn.microsoft.com/en-us/linkedin/marketing/
    # community-management/shares/videos-api, "Video Specifications"); the 10 fps floor and
    # the 75 KB floor are left to LinkedIn (MediaRules states maxima and a duration floor).
    "linkedin": NetworkRules(
        "linkedin", linkedin.MAX_LENGTH, "characters (escaped)", linkedin.text_length,
        MediaRules(20, None, 500 * _MB, ("image/png", "image/jpeg", "image/gif", "video/mp4"),
                   alt_text=True, max_videos=1, mix_images_and_video=False,
                   min_video_seconds=3, max_video_seconds=30 * 60,
                   video_aspect=(1 / 2.4, 2.4), max_video_fps=60),
        secrets=(("token",),), settings=("account",), optional_settings=("server", "version"),
        threads=False, link="card", first_comment=True,
        # Posts API: "Update Posts" (partial update of commentary) and "Delete Posts"
        # (learn.microsoft.com/linkedin/marketing/community-management/shares/posts-api).
        # A first comment is edited through the Comments API ("Edit a Comment"), and a reply
        # is a comment on the post, or under the comment, its URL names (.../shares/
        # comments-api, "Create a Comment", parentComment); text only.
        edits=True, api_edits=True, deletes=True, api_deletes=True, replies=True,
        reply_media=False, reads=frozenset({"metrics", "followers", "replies"})),
    # Pages API; "very large (~63k)" [2nd]; photo alt text VERIFY, so not sent (platforms.md 6).
    # Video: one per post through /{page-id}/videos (its own post, not attached_media),
    # resumable upload "up to 10GB and 4 hours long", aspect "between 9x16 and 16x9"
    # (developers.facebook.com/docs/graph-api/video-uploads).
    "facebook": NetworkRules(
        "facebook", 63206, "characters", utf16_len,
        MediaRules(None, None, 10 * 1000 * _MB, (*_IMAGES, *_VIDEOS), alt_text=False,
                   max_videos=1, mix_images_and_video=False, max_video_seconds=4 * 3600,
                   video_aspect=(9 / 16, 16 / 9)),
        secrets=(("page_token",),), settings=("account",),
        optional_settings=("server", "version"),
        threads=False, link="card", first_comment=True,
        # Graph API Page Post reference: "Updating" (POST /{post-id} with message) and
        # "Deleting" (DELETE /{post-id}) (developers.facebook.com/docs/graph-api/reference/post);
        # a video's text is its description (reference/video, "Updating"), a comment's its
        # message (reference/comment, "Updating"). Replies are comments: POST /{comment-id}/
        # comments or /{post-id}/comments (reference/object/comments); text only.
        # Read: the comments under the Page's latest posts (cmops/adapters/graph_inbox.py).
        edits=True, api_edits=True, deletes=True, api_deletes=True, replies=True,
        reply_media=False, reads=frozenset({"metrics", "followers", "replies"})),
    # IG User Media: caption 2200, 30 hashtags, 20 @-tags; newer guides say 5 hashtags
    # (VERIFY): 30 enforced, advice above 5. Media required, fetched from a public URL; images
    # < 8 MiB, JPEG only (Graph API); carousel 10 [2nd] (VERIFY 20: 10 kept) (platforms.md 7).
    "instagram": NetworkRules(
        "instagram", 2200, "characters", utf16_len,
        # Video (developers.facebook.com/docs/instagram-platform/instagram-graph-api/
        # reference/ig-user/media, "Reel specifications"): MOV or MP4, HEVC or H.264,
        # 3 s to 15 min, 23-60 fps, at most 1920 columns, aspect 0.01:1 to 10:1 (9:16
        # advised); the file size is given as 300 MB there and 1 GB in newer copies: 300 MB
        # kept (the stricter). Every single video goes out as a reel, and carousel video
        # items are held to the same figures. Stories (3-60 s, 100 MB in the same page) are
        # not declared apart: a story longer than 60 s is refused by Instagram itself
        # (container ERROR). No alt text on video ("Reels and stories are not supported").
        # The minimum of 23 fps has no field here: VERIFY.
        MediaRules(10, 8 * _MIB, 300 * _MB, ("image/jpeg", *_VIDEOS), alt_text=True,
                   required=True, min_video_seconds=3, max_video_seconds=900,
                   video_aspect=(0.01, 10.0), max_video_fps=60, max_video_width=1920,
                   video_codecs=("AVC", "HEVC")),
        secrets=(("token",),), settings=("account",),
        optional_settings=("server", "media_base_url", "media_layout", "version"),
        fetches_media=True,
        threads=False, max_hashtags=30, max_mentions=20, hashtag_advice=5, first_comment=True,
        # Edit and delete unknown: Meta's IG Media reference offers neither a caption edit nor
        # a delete that we could confirm (third parties report DELETE /{ig-media-id} for
        # Facebook-Login accounts only). No edits from cmops: the only update of a published
        # IG Media is comment_enabled (developers.facebook.com/docs/instagram-platform/
        # comment-moderation, "POST /{ig-media-id} — Disable/enable comments"); a caption
        # stays as published.
        # Replies are comments: POST /{ig-comment-id}/replies with message (reference/
        # ig-comment/replies) to a comment URL, POST /{ig-media-id}/comments (reference/
        # ig-media/comments) to a post URL of the account's own media; text only.
        # Read: tags, and the comments under the account's latest posts (graph_inbox.py).
        replies=True, reply_media=False,
        reads=frozenset({"metrics", "followers", "mentions", "replies"})),
    # Threads Posts: 500, emoji counted in UTF-8 bytes (VERIFY, see _threads_count), more than
    # 5 links fail; one topic tag per post [2nd] (platforms.md 8).
    "threads": NetworkRules(
        "threads", 500, "characters", _threads_count,
        # alt_text "for images and videos only", no maximum stated
        # (developers.facebook.com/docs/threads/posts/accessibility). Video, as the Threads
        # media specifications are transcribed by Ayrshare and others [2nd] (Meta's own page
        # not read: VERIFY): MOV or MP4, HEVC or H.264, 23-60 fps, at most 1920 columns,
        # aspect 0.01:1 to 10:1, at most 5 minutes (more than 0 s), 1 GB.
        # A carousel holds 2 to 20 items (developers.facebook.com/docs/threads/posts,
        # "Carousel posts"; the fake enforces it).
        MediaRules(20, None, 1000 * _MB, (*_IMAGES, *_VIDEOS), alt_text=True,
                   max_video_seconds=300, video_aspect=(0.01, 10.0), max_video_fps=60,
                   max_video_width=1920, video_codecs=("AVC", "HEVC")),
        secrets=(("token",),), settings=("account",),
        optional_settings=("server", "media_base_url", "media_layout"), fetches_media=True,
        threads=True, max_links=5, hashtag_advice=1, first_comment=True,
        # DELETE /{threads-media-id}, 100 a day, threads_delete permission
        # (developers.facebook.com/docs/threads/posts/delete-posts); no edit documented
        # (the Threads reference, developers.facebook.com/documentation/threads/reference,
        # lists publishing, reading, reply management and delete only): edits=False.
        # Replies: reply_to_id on the container (developers.facebook.com/documentation/
        # threads/retrieve-and-manage-replies/create-replies), threads_manage_replies.
        # Read: the replies under the account's latest posts (graph_inbox.py).
        deletes=True, api_deletes=True, replies=True,
        reads=frozenset({"metrics", "followers", "replies"})),
    # Execute Webhook: content "up to 2000 characters", counted in UTF-16 units by some
    # clients, so UTF-16 (never fewer than code points); 10 attachments like embeds (VERIFY);
    # one message, no threads (platforms.md 9). Files: "The default limit is `10 MiB`" per
    # file, higher only with Nitro or a server's Boost tier, which a webhook cannot know
    # (discord-api-docs developers/reference.mdx "Uploading Files"); a message's request at
    # most 25 MiB (resources/message.mdx), checked by the adapter.
    "discord": NetworkRules(
        "discord", 2000, "UTF-16 units", utf16_len,
        MediaRules(10, 10 * _MIB, 10 * _MIB, (*_IMAGES, *_VIDEOS), alt_text=False),
        secrets=(("webhook_url",),),
        threads=False,
        # PATCH and DELETE /webhooks/{id}/{token}/messages/{message.id}, "Edit/Delete Webhook
        # Message" (discord.com/developers/docs/resources/webhook), GET of it to read the text
        # back. No replies: a webhook cannot answer a message given by its URL.
        api_edits=True, edits=True, deletes=True, api_deletes=True),
    # API v5 POST /v5/pins (github.com/pinterest/api-description v5/openapi.json 5.23,
    # PinCreate): title 100, alt_text 500, link 2048; description 800 in the schema but "up
    # to 500 characters" in Pinterest's product specs (help.pinterest.com/en/business/
    # article/pinterest-product-specs): 500 kept, counted in UTF-16 units (how Pinterest
    # counts is not stated: VERIFY; never fewer than code points). Images: PNG or JPEG (the
    # base64 ContentType enum), "Max file size: 20 MB" (desktop; 32 MB in-app and 10 MB in
    # older copies of the page: 20 MB kept); a carousel (multiple_image_base64) 2 to 5 images
    # ("Images must be the same dimension" [2nd], not checked: VERIFY). Video: .mp4, .mov or
    # .m4v, H.264 or H.265, up to 2 GB, 4 s to 15 min, aspect "shorter than 1:2, taller than
    # 1.91:1" (the product specs); one video per pin, never beside images. The link is the
    # pin's own field (``link="field"``), not in the text.
    "pinterest": NetworkRules(
        "pinterest", 500, "characters", utf16_len,
        MediaRules(5, 20 * _MB, 2000 * _MB, ("image/jpeg", "image/png", *_VIDEOS),
                   alt_text=True, alt_text_max=500, max_videos=1, mix_images_and_video=False,
                   required=True, min_video_seconds=4, max_video_seconds=900,
                   video_aspect=(0.5, 1.91), video_codecs=("AVC", "HEVC")),
        secrets=(("token",), ("refresh_token", "client_id", "client_secret")),
        settings=("board",), optional_settings=("server",),
        threads=False, link="field",
        # DELETE /v5/pins/{pin_id} and PATCH /v5/pins/{pin_id} (title, description, link,
        # alt_text...) in the same spec; cmops deletes, and does not edit yet. No replies:
        # API v5 has no comments. Read: GET /v5/pins/{pin_id}/analytics and the account's
        # follower_count (GET /v5/user_account).
        api_edits=True, deletes=True, api_deletes=True,
        reads=frozenset({"metrics", "followers"})),
    # Bot API: text 4096, caption 1024, albums of up to 10, no alt text; a reply chain
    # (reply_parameters) serves as a thread (platforms.md 10).
    "telegram": NetworkRules(
        "telegram", telegram.MAX_TEXT, "UTF-16 units", telegram.length,
        # sendPhoto: "The photo must be at most 10 MB in size. The photo's width and height
        # must not exceed 10000 in total. Width and height ratio must be at most 20"
        # (core.telegram.org/bots/api#sendphoto). A larger image is scaled down when
        # prepared; the ratio is not checked (validation does not read an image's size).
        # Videos (sendVideo, or InputMediaVideo in an album): "Telegram clients support MPEG4
        # videos"; a multipart upload is at most "50 MB for other files"
        # (core.telegram.org/bots/api#sendvideo, #sending-files), read as decimal MB.
        MediaRules(10, 10 * _MB, 50 * _MB, ("image/png", "image/jpeg", "image/webp",
                                            "video/mp4"),
                   alt_text=False, max_image_side_sum=10_000),
        secrets=(("token",),), settings=("chat_id",), optional_settings=("server",),
        threads=True, media_text_limit=telegram.MAX_CAPTION,
        # A thread is a burst of messages in one chat: 20 a minute in a group [2nd]
        # (platforms.md 10), so a longer one would be throttled half-posted.
        max_thread=20,
        # editMessageText / editMessageCaption; deleteMessage within 48 h of sending
        # (core.telegram.org/bots/api#updating-messages). A reply is reply_parameters'
        # message_id (core.telegram.org/bots/api#replyparameters), in the channel's own chat.
        api_edits=True, edits=True, deletes=True, api_deletes=True, replies=True),
    # Data API v3 videos.insert (developers.google.com/youtube/v3/docs/videos, "Properties"):
    # the description (the post's text) "maximum length of 5000 bytes" and no < or >; one
    # video per post, required; "Maximum file size: 256GB"; "Accepted Media MIME types:
    # video/*, application/octet-stream" (docs/videos/insert): cmops sends MP4 and
    # QuickTime (as every video network here). Length: 12 hours (support.google.com/youtube/
    # answer/71673: "the maximum length is 12 hours"; 15 minutes until the account is
    # verified: VERIFY, left to YouTube). Shorts: square or taller, at most 3 minutes
    # (YouTube's announcement of 15 Oct 2024, "Shorts up to 3 minutes ... videos that are
    # square or taller"; VERIFY against support.google.com/youtube/answer/10059070), checked
    # when the variant says short: true (rule variant.youtube). Thumbnails (thumbnails.set):
    # JPEG or PNG, at most 2 MB (docs/thumbnails/set, "Maximum file size: 2MB").
    "youtube": NetworkRules(
        "youtube", 5000, "UTF-8 bytes", utf8_len,
        MediaRules(1, None, 256 * 1000 * _MB, _VIDEOS, alt_text=False, max_videos=1,
                   required=True, max_video_seconds=12 * 3600),
        secrets=(("token",), ("refresh_token", "client_id", "client_secret")),
        optional_settings=("server", "privacy", "category", "daily_quota", "audited",
                           "made_for_kids", "synthetic_media"),
        threads=False,
        # videos.update and videos.delete exist (docs/videos/update, docs/videos/delete);
        # cmops does neither yet. A post's text is a video's description, not a comment.
        api_edits=True, api_deletes=True, first_comment=False,
        reads=frozenset({"metrics", "followers"})),
    # Content Posting API (developers.tiktok.com/doc/content-posting-api-reference-direct-post,
    # .../content-posting-api-reference-photo-post, .../content-posting-api-media-transfer-
    # guide): a video's caption (title) "2200 in UTF-16 runes", a photo post's description
    # 4000 and title 90: 2200 kept for both. One video, or 1 to 35 photos fetched by URL
    # (JPEG or WebP, 20 MB each); never mixed; no text alone. Video: MP4, MOV or WebM, H.264,
    # H.265, VP8 or VP9, 23-60 fps, 360-4096 pixels a side, at most 4 GB (read as 4 * 10^9),
    # up to 10 minutes (the account's own maximum, creator_info's
    # max_video_post_duration_sec, is checked by the adapter before sending). The 23 fps and
    # 360 px floors have no field here (VERIFY). No alt text, threads or comments.
    "tiktok": NetworkRules(
        "tiktok", 2200, "characters", utf16_len,
        MediaRules(35, 20 * _MB, 4000 * _MB, ("image/jpeg", "image/webp", *_VIDEOS,
                                              "video/webm"),
                   alt_text=False, max_videos=1, mix_images_and_video=False, required=True,
                   max_video_seconds=600, max_video_fps=60, max_video_width=4096,
                   video_codecs=("AVC", "HEVC", "VP8", "VP9")),
        secrets=(("token",), ("client_key", "client_secret", "refresh_token")),
        optional_settings=("server", "audited", "video_source", "media_base_url",
                           "media_layout"),
        fetches_media=True, threads=False,
        # The Content Posting API publishes only: no edit, no delete, no comment.
        api_edits=False, api_deletes=False, reads=frozenset({"metrics", "followers"})),
    # Google Business Profile local posts (developers.google.com/my-business/reference/rest/
    # v4/accounts.locations.localPosts): the summary at most 1,500 characters (the figure
    # Google's post editor and API clients state [2nd]; counted in UTF-16 units, the stricter
    # reading: VERIFY how Google counts), one photo that Google fetches from a public URL
    # ("sourceUrl is the only supported data field for a LocalPost MediaItem"), JPEG or PNG,
    # 10 KB to 5 MB [2nd] (the 10 KB and 250x250 floors are left to Google: VERIFY); no video
    # through the API for local posts [2nd]. No threads, comments or replies.
    # localPosts.patch (updateMask) edits, localPosts.delete deletes (same reference). Read:
    # nothing: per-post insights (localPosts.reportInsights) were removed with the move to the
    # Business Profile Performance API (developers.google.com/my-business/content/
    # performance/change-log), which counts the whole location by day.
    "google_business": NetworkRules(
        "google_business", 1500, "characters", utf16_len,
        MediaRules(1, 5 * _MB, None, ("image/jpeg", "image/png"), alt_text=False),
        secrets=(("token",), ("refresh_token", "client_id", "client_secret")),
        settings=("account", "location"),
        optional_settings=("server", "media_base_url", "media_layout"), fetches_media=True,
        threads=False, edits=True, api_edits=True, deletes=True, api_deletes=True),
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
    twitter.weighted_length: twitter.length_bound,
    # Escaping at most doubles a code point, UTF-16 doubles again; a hashtag becomes the
    # 11-character-longer {hashtag|\#|tag} element.
    linkedin.text_length: lambda text: 4 * len(text) + 11 * (text.count("#")
                                                           + text.count("\uff03")),
}


def _caps_apply(rules: NetworkRules) -> bool:
    return rules.max_links is not None or rules.max_hashtags is not None \
        or rules.max_mentions is not None


def advice(network: str, text: str) -> list[str]:
    """Softer advice: more hashtags than the network is said to make use of."""
    rules = NETWORKS[network]
    if rules.hashtag_advice is None:
        return []
    n = count_hashtags(text)
    if n > rules.hashtag_advice:
        return [f"{n} hashtags: {network} is reported to use at most {rules.hashtag_advice}"]
    return []
