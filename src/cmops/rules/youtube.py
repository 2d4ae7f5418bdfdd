"""YouTube's own post fields (a variant's ``title``, ``tags``, ``category``, ``privacy``,
``made_for_kids``, ``synthetic_media``, ``thumbnail``, ``short``) and what an unaudited API
project does to every upload.

Checked on the fields as the adapter receives them (:func:`cmops.render.variant_options`,
the channel's variant beating the network's) and on the description as sent (the rendered
text). The schema checks the fields' shapes; the figures are the Data API's
(developers.google.com/youtube/v3/docs/videos, "Properties"; docs/thumbnails/set).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from cmops.model import Post
from cmops.problems import Finding, Path, Severity
from cmops.render import render_parts, variant_options
from cmops.rules.context import Context

FIELDS = ("tags", "category", "privacy", "made_for_kids", "synthetic_media", "thumbnail",
          "short")
"""Variant fields only YouTube reads (``title`` is read by other networks too)."""
TITLE_MAX = 100
TAGS_MAX = 500
MARKER = len("cmops-") + 16
"""The tag cmops adds to every upload (its reconciliation marker), counted in the 500."""
SHORT_SECONDS = 180.0
"""A Short: "up to 3 minutes ... videos that are square or taller" (YouTube, 15 Oct 2024;
VERIFY against support.google.com/youtube/answer/10059070)."""
THUMBNAIL_TYPES = (".jpg", ".jpeg", ".png")

DOCS = {
    "variant.youtube": "A YouTube field (tags, category, privacy, made_for_kids, "
                       "synthetic_media, thumbnail, short) in a variant for another network "
                       "or channel; a YouTube post without a title, a title over 100 "
                       "characters, a title or description with < or >, tags over 500 "
                       "characters (with cmops's marker tag), a thumbnail that is not a "
                       "JPEG or PNG in the repository, or short: true on a video that is "
                       "wider than tall or longer than 3 minutes.",
    "youtube.private": "A public or unlisted post on a YouTube channel whose API project is "
                       "not audited (audited: true not set): YouTube makes the upload "
                       "private (warning).",
}


def _variant(post: Post, name: str) -> Mapping[str, Any]:
    variant = post.variants.get(name)
    return variant.options if variant is not None else {}


def tags_length(tags: list[str]) -> int:
    """Tags' length as YouTube counts it: commas between them, quotes around a tag with a
    space (docs/videos, ``snippet.tags[]``)."""
    return sum(len(t) + (2 if " " in t else 0) for t in tags) + max(0, len(tags) - 1)


def check_post_youtube(post: Post, ctx: Context) -> Iterator[Finding]:
    calendar = ctx.calendar
    networks = {name: ch.network for name, ch in calendar.channels.items()}
    for name in post.variants:
        network = networks.get(name, name)
        if network == "youtube":
            continue
        for key in FIELDS:
            if key in _variant(post, name):
                yield Finding(post.file, ("variants", name, key), "variant.youtube",
                              f"{key} is for YouTube channels only, not {name} ({network})",
                              at_key=True)
    if post.status == "draft":
        return
    for channel in post.channels:
        ch = calendar.channels.get(channel)
        if ch is not None and ch.network == "youtube":
            yield from _on_channel(post, channel, ch.raw, ctx)


def _where(post: Post, channel: str, key: str) -> Path:
    for name in (channel, "youtube"):
        if key in _variant(post, name):
            return ("variants", name, key)
    return ("channels",)


def _on_channel(post: Post, channel: str, settings: Mapping[str, Any], ctx: Context
                ) -> Iterator[Finding]:
    options = variant_options(post, channel, "youtube")
    who = f"{channel} (youtube)"
    title = options.get("title")
    if not isinstance(title, str) or not title.strip():
        yield Finding(post.file, _where(post, channel, "title"), "variant.youtube",
                      f"a YouTube video needs a title: give the variant for youtube or "
                      f"{channel} a title:", at_key=True)
    elif len(title) > TITLE_MAX or "<" in title or ">" in title:
        yield Finding(post.file, _where(post, channel, "title"), "variant.youtube",
                      f"a YouTube title is at most {TITLE_MAX} characters, without < or >; "
                      f"this one has {len(title)} on {who}")
    parts = render_parts(post, channel, calendar=ctx.calendar)
    if parts and ("<" in parts[0].text or ">" in parts[0].text):
        yield Finding(post.file, ("text",), "variant.youtube",
                      f"YouTube refuses < and > in a description: remove them on {who}")
    tags = options.get("tags")
    if isinstance(tags, list):
        used = tags_length([str(t) for t in tags] + ["x" * MARKER])
        if used > TAGS_MAX:
            yield Finding(post.file, _where(post, channel, "tags"), "variant.youtube",
                          f"{used}/{TAGS_MAX} characters of tags on {who} (cmops's marker "
                          f"tag takes {MARKER + 1} of them)")
    thumbnail = options.get("thumbnail")
    if isinstance(thumbnail, str) and (not thumbnail.lower().endswith(THUMBNAIL_TYPES)
                                       or thumbnail.startswith(("/", "\\"))
                                       or ".." in thumbnail.split("/")):
        yield Finding(post.file, _where(post, channel, "thumbnail"), "variant.youtube",
                      f"a YouTube thumbnail is a JPEG or PNG in the repository, at most "
                      f"2 MB: '{thumbnail}' is not")
    if options.get("short") is True:
        yield from _short(post, channel, parts[0].media if parts else (), ctx)
    privacy = options.get("privacy") or settings.get("privacy") or "public"
    if privacy != "private" and settings.get("audited") is not True:
        yield Finding(post.file, ("channels",), "youtube.private",
                      f"{who}: the API project is not audited (audited: true not set), so "
                      f"YouTube makes this {privacy} video private", Severity.WARNING,
                      at_key=True)


def _short(post: Post, channel: str, media: tuple[Any, ...], ctx: Context
           ) -> Iterator[Finding]:
    where = _where(post, channel, "short")
    for item in media[:1]:
        info = ctx.media.get(item.path)
        facts = info.video if info is not None else None
        if facts is None or facts.width is None or facts.height is None \
                or facts.seconds is None:
            continue  # not a readable video: the media rules say so
        if facts.width > facts.height:
            yield Finding(post.file, where, "variant.youtube",
                          f"a Short is square or taller: '{item.path}' is "
                          f"{facts.width}x{facts.height}")
        if facts.seconds > SHORT_SECONDS:
            yield Finding(post.file, where, "variant.youtube",
                          f"a Short lasts at most 3 minutes: '{item.path}' lasts "
                          f"{facts.seconds:.0f} s")
