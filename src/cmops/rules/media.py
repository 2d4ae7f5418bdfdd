"""Rules about attached media: the file is there, inside the repo, of a known type and size,
and every image has alt text."""

from __future__ import annotations

import re
from collections.abc import Iterator

from cmops.model import Media, Post
from cmops.problems import Finding, Path, Severity
from cmops.rules.context import Context
from cmops.text.limits import NETWORKS

DOCS = {
    "media.missing": "A media file does not exist.",
    "media.outside-repo": "A media path leaves the repository (absolute, '..', or a symlink "
                          "pointing out).",
    "media.type": "A media file is not a supported image or video (PNG, JPEG, GIF, WebP, MP4, "
                  "MOV, WebM), judged by its content, not its name.",
    "media.size": "A media file is larger than any network accepts.",
    "media.alt-required": "An image has no alt text (a description for people using screen "
                          "readers).",
    "media.alt-placeholder": "An alt text begins with TODO: a placeholder (cmops import csv "
                             "writes one for each image it downloads) to replace with a "
                             "description of what the image shows (warning).",
    "link.image": "A link card's image is missing, leaves the repository, is not a PNG, JPEG, "
                  "GIF or WebP image (judged by its content), does not decode, or is larger "
                  "than any network takes.",
    "media.cover": "An Instagram reel's cover: image is missing, leaves the repository, or is "
                   "not an image Instagram takes (a JPEG up to 8 MiB that decodes: Instagram "
                   "fetches the file itself, so cmops cannot convert it).",
}

IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
# The largest any supported network takes; each network's own, smaller limit is a text-rules
# matter checked per channel.
MAX_IMAGE_BYTES = 16 * 1024 * 1024
MAX_VIDEO_BYTES = 512 * 1024 * 1024


_PLACEHOLDER = re.compile(r"\s*TODO(?![A-Za-z])")
"""``TODO`` in capitals as a word (``TODO: describe this image (imported from <url>)``, as
the CSV importer writes it); not ``Todos los…``."""


def _quote(alt: str, limit: int = 80) -> str:
    one_line = " ".join(alt.split())
    return repr(one_line if len(one_line) <= limit else one_line[:limit - 1] + "…")


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def _media_lists(post: Post) -> Iterator[tuple[Path, tuple[Media, ...]]]:
    yield ("media",), post.media
    for i, part in enumerate(post.thread):
        yield ("thread", i, "media"), part.media
    for name, variant in post.variants.items():
        if variant.media:
            yield ("variants", name, "media"), variant.media
        for i, part in enumerate(variant.thread or ()):
            yield ("variants", name, "thread", i, "media"), part.media


def media_paths(post: Post) -> set[str]:
    """Every media path a post names, in its body, thread and variants, its link card's
    image and its reels' covers."""
    paths = {item.path for _, items in _media_lists(post) for item in items}
    paths |= {item.cover for _, items in _media_lists(post) for item in items if item.cover}
    if post.link and post.link.image:
        paths.add(post.link.image)
    return paths


def check_post_media(post: Post, ctx: Context) -> Iterator[Finding]:
    for base, items in _media_lists(post):
        for item in items:
            yield from _check_one(ctx, post, (*base, item.index), item)
            if item.cover:
                yield from _check_cover(ctx, post, (*base, item.index, "cover"), item.cover)
    if post.link and post.link.image:
        yield from _check_card_image(ctx, post, post.link.image)


def _check_card_image(ctx: Context, post: Post, rel: str, where: Path = ("link", "image"),
                      rule: str = "link.image", label: str = "link image") -> Iterator[Finding]:
    """The card's image (or another lone image: a reel's cover), checked as media is (no alt
    text: a card image is decoration beside the card's title)."""
    info = ctx.media.get(rel)
    if info is None or not info.inside:
        yield Finding(post.file, where, rule, f"{label} path '{rel}' must be "
                      "relative to the repository and stay inside it")
    elif not info.exists:
        yield Finding(post.file, where, rule, f"{label} '{rel}' does not exist")
    elif info.mime not in IMAGE_TYPES:
        yield Finding(post.file, where, rule, f"{label} '{rel}' is not a PNG, "
                      "JPEG, GIF or WebP image")
    elif info.image is not None and info.image.unreadable:
        # The publisher reads it to strip its metadata or fit it (cmops.thumbs): it would fail.
        yield Finding(post.file, where, rule, f"{label} '{rel}' cannot be sent: "
                      f"{info.image.unreadable}")
    elif info.size > MAX_IMAGE_BYTES:
        yield Finding(post.file, where, rule, f"{label} '{rel}' is "
                      f"{_mb(info.size)}; no network takes an image over "
                      f"{_mb(MAX_IMAGE_BYTES)}")


def _check_cover(ctx: Context, post: Post, where: Path, rel: str) -> Iterator[Finding]:
    """A reel's cover: found like a card image, then judged by Instagram's image rules as
    they are, since Instagram fetches the repository's file from its public URL (cover_url;
    the IG User Media reference gives "specifications for a Reels cover photo", whose table
    our copy of the page does not show: Instagram's image rules, JPEG up to 8 MiB, are
    assumed)."""
    found = list(_check_card_image(ctx, post, rel, where, "media.cover", "cover image"))
    yield from found
    info = ctx.media.get(rel)
    if found or info is None:
        return
    rules = NETWORKS["instagram"].media
    if info.mime not in rules.mime_types:
        yield Finding(post.file, where, "media.cover", f"cover image '{rel}' is "
                      f"{info.mime}; Instagram takes a JPEG cover and fetches the file as it "
                      "is (cmops cannot convert it): use a JPEG")
    elif rules.max_image_bytes is not None and info.size > rules.max_image_bytes:
        yield Finding(post.file, where, "media.cover", f"cover image '{rel}' is "
                      f"{_mb(info.size)}; Instagram takes at most {_mb(rules.max_image_bytes)}"
                      " and fetches the file as it is (cmops cannot shrink it)")


def _check_one(ctx: Context, post: Post, path: Path, item: Media) -> Iterator[Finding]:
    info = ctx.media.get(item.path)
    if info is None or not info.inside:
        yield Finding(post.file, (*path, "path"), "media.outside-repo",
                      f"media path '{item.path}' must be relative to the repository and stay "
                      "inside it")
        return
    if not info.exists:
        yield Finding(post.file, (*path, "path"), "media.missing",
                      f"media file '{item.path}' does not exist")
        return
    if info.mime is None:
        yield Finding(post.file, (*path, "path"), "media.type",
                      f"'{item.path}' is not a supported image or video (PNG, JPEG, GIF, WebP, "
                      "MP4, MOV, WebM)")
        return
    is_image = info.mime in IMAGE_TYPES
    limit = MAX_IMAGE_BYTES if is_image else MAX_VIDEO_BYTES
    if info.size > limit:
        yield Finding(post.file, (*path, "path"), "media.size",
                      f"'{item.path}' is {_mb(info.size)}; no network takes "
                      f"{'an image' if is_image else 'a video'} over {_mb(limit)}")
    if item.alt is not None and _PLACEHOLDER.match(item.alt):
        yield Finding(post.file, (*path, "alt"), "media.alt-placeholder",
                      f"the alt text of '{item.path}' is a placeholder "
                      f"({_quote(item.alt)}): describe what it shows", Severity.WARNING)
    if not (item.alt or "").strip():
        if is_image:
            # rules.yaml can make it a warning (require_alt_text: false); never silent.
            yield Finding(post.file, path, "media.alt-required",
                          f"image '{item.path}' needs alt text: add alt: with a short "
                          "description of what it shows",
                          Severity.ERROR if ctx.calendar.rules.require_alt_text
                          else Severity.WARNING)
        else:
            yield Finding(post.file, path, "media.alt-required",
                          f"video '{item.path}' has no alt text; add a description",
                          Severity.WARNING)


def sniff(head: bytes) -> str | None:
    """Media type from a file's first 16 bytes (never from its name)."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":  # ISO base media: QuickTime's major brand is "qt  "
        return "video/quicktime" if head[8:12] == b"qt  " else "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        # EBML, WebM's container. Matroska (.mkv) opens the same way, its DocType only comes
        # after the first 16 bytes; the probe's codec check and the network judge further.
        return "video/webm"
    return None
