"""TikTok's own post fields (a variant's ``privacy_level``, interaction toggles, brand
disclosures, a photo post's ``title``) and what an unaudited app does to every post.

TikTok restricts everything an unaudited app posts to private viewing (SELF_ONLY,
developers.tiktok.com/doc/content-posting-api-reference-direct-post): a channel without
``audited: true`` gets a warning on each of its posts saying so, and branded content, which
TikTok does not let be private, is refused there. The schema checks the fields' shapes.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator, Mapping
from typing import Any

from cmops.model import Post
from cmops.problems import Finding, Severity
from cmops.render import resolve
from cmops.rules.context import Context

FIELDS = ("privacy_level", "disable_comment", "disable_duet", "disable_stitch",
          "brand_content_toggle", "brand_organic_toggle", "auto_add_music")
"""Variant fields only TikTok reads (``title`` is read by other networks too)."""
VIDEO_ONLY = ("disable_duet", "disable_stitch")
PHOTO_ONLY = ("title", "auto_add_music")
TITLE_MAX = 90
"""A photo post's title, in UTF-16 units (doc/content-posting-api-reference-photo-post)."""

DOCS = {
    "variant.tiktok": "A TikTok field (privacy_level, disable_comment, disable_duet, "
                      "disable_stitch, brand_content_toggle, brand_organic_toggle, "
                      "auto_add_music) in a variant for another network or channel, a video "
                      "field on photos or a photo field on a video, a photo title over 90 "
                      "characters, or branded content that would be private.",
    "tiktok.private": "A post on a TikTok channel whose app is not audited (audited: true "
                      "not set): TikTok posts it privately (SELF_ONLY), whatever the post "
                      "asks.",
}


def _variant(post: Post, name: str) -> Mapping[str, Any]:
    raw = (post.raw.get("variants") or {}).get(name) if isinstance(
        post.raw.get("variants"), dict) else None
    return raw if isinstance(raw, dict) else {}


def options(post: Post, channel: str, network: str) -> dict[str, Any]:
    """The TikTok fields of the post's variants for ``network`` then ``channel`` (the
    channel's winning), as the adapter receives them."""
    found: dict[str, Any] = {}
    for name in (network, channel):
        found.update({k: v for k, v in _variant(post, name).items()
                      if k in (*FIELDS, "title")})
    return found


def check_post_tiktok(post: Post, ctx: Context) -> Iterator[Finding]:
    calendar = ctx.calendar
    networks = {name: ch.network for name, ch in calendar.channels.items()}
    for name in post.variants:
        network = networks.get(name, name)
        if network == "tiktok":
            continue
        for key in FIELDS:
            if key in _variant(post, name):
                yield Finding(post.file, ("variants", name, key), "variant.tiktok",
                              f"{key} is for TikTok channels only, not {name} ({network})",
                              at_key=True)
    for channel in post.channels:
        ch = calendar.channels.get(channel)
        if ch is None or ch.network != "tiktok":
            continue
        yield from _on_channel(post, channel, ch.raw)


def _where(post: Post, channel: str, key: str) -> tuple[str, ...]:
    return ("variants", channel if key in _variant(post, channel) else "tiktok", key)


def _on_channel(post: Post, channel: str, settings: Mapping[str, Any]) -> Iterator[Finding]:
    opts = options(post, channel, "tiktok")
    _text, media, _thread = resolve(post, channel, "tiktok")
    video = bool(media) and (mimetypes.guess_type(media[0].path)[0] or "").startswith(
        "video/")
    for key in VIDEO_ONLY if not video else PHOTO_ONLY:
        if key in opts and media:
            kind = "photos" if not video else "a video"
            yield Finding(post.file, _where(post, channel, key), "variant.tiktok",
                          f"{key} does not apply to {kind} on {channel} (tiktok)", at_key=True)
    title = opts.get("title")
    if isinstance(title, str) and not video and len(title.encode("utf-16-le")) // 2 > \
            TITLE_MAX:
        yield Finding(post.file, _where(post, channel, "title"), "variant.tiktok",
                      f"a TikTok photo title takes at most {TITLE_MAX} characters; this one "
                      f"has {len(title.encode('utf-16-le')) // 2}")
    audited = settings.get("audited") is True
    level = opts.get("privacy_level")
    if opts.get("brand_content_toggle") and (not audited or level == "SELF_ONLY"):
        why = "the app is not audited, so TikTok posts it privately" if not audited \
            else "privacy_level is SELF_ONLY"
        yield Finding(post.file, _where(post, channel, "brand_content_toggle"),
                      "variant.tiktok", f"branded content cannot be private on TikTok, and "
                      f"{why} on {channel}")
    elif not audited:
        asked = f" (not {level})" if level and level != "SELF_ONLY" else ""
        yield Finding(post.file, ("channels",), "tiktok.private",
                      f"{channel} (tiktok): will be posted privately{asked}: the app is not "
                      "audited (set audited: true on the channel once TikTok has audited "
                      "it)", Severity.WARNING)
