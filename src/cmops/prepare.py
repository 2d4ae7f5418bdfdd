"""Images made ready for one network at publish time: of a type it takes, within its size
limits, turned the way EXIF says, and without the EXIF, XMP and IPTC metadata (a phone
photo's GPS position must not leave the repository).

Pure: bytes in, bytes out, through Pillow, and deterministic (the same file and rules give
the same bytes, so a prepared file can be named by its hash and cached). The rules:

* An image of a type the network takes, within its limits and carrying no metadata, is sent
  byte for byte.
* Metadata is stripped from any image that has some, with the EXIF orientation applied to
  the pixels first (Pillow's ``exif_transpose``). A JPEG is re-encoded with its own
  quantization tables and chroma subsampling, so it keeps its quality and, near enough, its
  size; a PNG stays lossless; a WebP is re-encoded at quality 90. The ICC profile is kept.
* A type the network does not take becomes a JPEG (a PNG where the network takes no JPEG);
  transparency is laid on white, as JPEG has none.
* Too large (bytes, or width plus height on Telegram): re-encoded as JPEG at falling quality,
  then scaled down by a quarter at a time, until it fits.
* A GIF is never converted: a GIF the network does not take, or too large for it, is
  refused, because a GIF may be animated and a still image would silently drop the
  animation. An animated PNG or WebP that fits is sent as it is; one that would need
  converting is refused for the same reason.
* An image that cannot be decoded, or whose header claims more than Pillow's
  ``MAX_IMAGE_PIXELS`` (a decompression bomb), is refused, a bomb before it is decoded.

Validation reads the same facts (:func:`image_facts`: decodable, size, animated) and asks
the same :func:`cannot_fix`, so what it lets through is what the publisher can send.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

    from cmops.model import Calendar
    from cmops.text.limits import ImageFacts, MediaRules, NetworkRules

# Pillow is imported where images are decoded, not here: validation asks cannot_fix for
# every image and should not pay for loading Pillow.

MAX_PIXELS = 89_478_485
"""Width times height above which an image is refused unread: Pillow's own bomb limit
(``PIL.Image.MAX_IMAGE_PIXELS``), 1024 * 1024 * 1024 // 4 // 3."""
QUALITIES = (90, 80, 70, 60)
"""JPEG qualities tried in turn at full size before scaling down."""
SCALED_QUALITY = 75
MIN_SIDE = 16

_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP", "image/gif": "GIF"}
_NAMES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WebP", "image/gif": "GIF"}
_METADATA = ("exif", "xmp", "XML:com.adobe.xmp", "photoshop")
"""Pillow's ``info`` keys for EXIF, XMP (JPEG, WebP; PNG's iTXt) and IPTC (JPEG APP13)."""


class Unpreparable(ValueError):
    """The image cannot be made into something the network takes; the message says why."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """An image as it will be sent."""

    data: bytes = field(repr=False)
    mime: str
    width: int
    height: int
    """As displayed: the EXIF orientation already applied."""
    converted: bool
    """Re-encoded into another type, or smaller, to fit the network."""
    stripped: bool
    """Re-encoded only to drop metadata (and turn the pixels as EXIF said)."""

    @property
    def changed(self) -> bool:
        """Whether the bytes differ from the original's."""
        return self.converted or self.stripped

    def describe(self) -> str:
        """``JPEG 812 KB (converted)``, for the plan and the site."""
        how = " (converted)" if self.converted else \
            " (metadata removed)" if self.stripped else ""
        return f"{_NAMES.get(self.mime, self.mime)} {size_text(len(self.data))}{how}"


def size_text(size: int) -> str:
    """Bytes in decimal units, as the networks state their limits."""
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    if size >= 1000:
        return f"{size / 1000:.0f} KB"
    return f"{size} bytes"


def target(rules: MediaRules) -> str | None:
    """The type a converted image takes on the network: JPEG, else PNG, else none."""
    return next((m for m in ("image/jpeg", "image/png") if m in rules.mime_types), None)


def fits(mime: str, size: int, rules: MediaRules) -> bool:
    """Whether an image of this type and size needs no conversion for the network."""
    return mime in rules.mime_types and (rules.max_image_bytes is None
                                         or size <= rules.max_image_bytes)


def cannot_fix(mime: str, size: int, rules: MediaRules, image: ImageFacts | None = None
               ) -> str | None:
    """Why preparation cannot make an image of type ``mime`` and ``size`` bytes fit the
    network, as the end of a sentence; None when it fits or conversion can make it fit.
    The one decision behind validation (``NetworkRules.media_refusals``, given the facts
    :func:`image_facts` read) and :func:`prepare`. Without ``image`` (facts nobody read),
    only the type and size are judged."""
    if image is not None and image.unreadable:
        return image.unreadable
    too_big = image is not None and _over_sides((image.width, image.height), rules)
    if fits(mime, size, rules) and not too_big:
        return None
    if target(rules) is None:  # before the GIF advice: a PNG or JPEG would not do either
        return "cmops converts images only to JPEG or PNG, and it takes neither"
    if mime == "image/gif":
        return "cmops does not convert a GIF (an animation would be lost): use a PNG or JPEG"
    if image is not None and image.animated:
        return "it is animated, and converting it would keep one frame"
    return None


def image_facts(data: bytes, *, max_pixels: int = MAX_PIXELS) -> ImageFacts:
    """What ``data`` (an image) says of itself: its size as displayed, whether it is
    animated, and why it cannot be sent when it does not decode. Read by validation (through
    :func:`cmops.workspace.media_info`) and by :func:`prepare` alike, so the two judge the
    same facts. Bounded: the header is read and its pixel count checked against
    ``max_pixels`` before anything is decoded, and a JPEG is decoded at an eighth of its
    size (every byte of it is still read, so a truncated file is found)."""
    from cmops.text.limits import ImageFacts

    try:
        with _open(data, max_pixels) as image:
            width, height = image.size
            animated = bool(getattr(image, "is_animated", False))
            if image.getexif().get(0x0112) in (5, 6, 7, 8):  # turned a quarter
                width, height = height, width
            if image.format == "JPEG":
                image.draft(image.mode, (1, 1))
            image.load()
    except Unpreparable as exc:
        return ImageFacts(0, 0, False, str(exc))
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        return ImageFacts(0, 0, False, f"cannot decode the image: {exc}")
    return ImageFacts(width, height, animated)


def prepare(data: bytes, mime: str, rules: MediaRules, *, max_pixels: int = MAX_PIXELS
            ) -> Prepared:
    """``data`` (an image of type ``mime``, judged by its content) as it will be sent to a
    network with ``rules``; :class:`Unpreparable` when it cannot be."""
    from PIL import ImageOps

    reason = cannot_fix(mime, len(data), rules, image_facts(data, max_pixels=max_pixels))
    if reason:
        raise Unpreparable(reason)
    with _open(data, max_pixels) as source:
        metadata = any(source.info.get(key) for key in _METADATA)
        too_big = _over_sides(source.size, rules)
        if fits(mime, len(data), rules) and not too_big and (
                not metadata or getattr(source, "is_animated", False)):
            # An animated PNG or WebP is sent as it is, metadata and all: re-encoding it
            # here would keep one frame.
            return Prepared(data, mime, *source.size, converted=False, stripped=False)
        if getattr(source, "is_animated", False):
            raise Unpreparable("it is animated, and converting it would keep one frame")
        try:
            image = ImageOps.exif_transpose(source)
            image.load()
        except (OSError, ValueError, SyntaxError) as exc:
            raise Unpreparable(f"cannot decode the image: {exc}") from None
        icc = source.info.get("icc_profile")
        if fits(mime, len(data), rules) and not too_big:
            stripped = _strip(source, image, mime, icc)
            if fits(mime, len(stripped), rules):
                return Prepared(stripped, mime, *image.size, converted=False, stripped=True)
    out_mime = "image/jpeg" if "image/jpeg" in rules.mime_types else (target(rules) or "")
    # A CMYK profile would be wrong on the RGB pixels a conversion makes.
    encoded, size = _shrink(image, out_mime, rules, None if image.mode == "CMYK" else icc)
    return Prepared(encoded, out_mime, *size, converted=True, stripped=False)


EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp",
              "image/gif": ".gif"}
"""The file name ending of a prepared image (adapters that guess a type from a name)."""


def prepare_file(path: Path, rules: NetworkRules, *, original: bool | None = None
                 ) -> Prepared | None:
    """The image at ``path`` as it will reach a network with ``rules``; None when nothing is
    prepared for it: not an image, or a channel whose network fetches the repository's own
    file from its public URL (``original``; by default, any network that fetches media:
    see :func:`cmops.mediaurls.sends_original` for a channel's answer). Raises
    :class:`Unpreparable` (and OSError when the file cannot be read)."""
    stat = path.stat()
    return _prepare_file(path, stat.st_size, stat.st_mtime_ns, rules.media,
                         rules.fetches_media if original is None else original)


@lru_cache(maxsize=16)
def _prepare_file(path: Path, size: int, mtime_ns: int, rules: MediaRules, fetches: bool
                  ) -> Prepared | None:
    # Keyed on size and mtime too: the plan, the site and the publisher ask for the same
    # image on several channels in one run; a file changed since is read again.
    from cmops.rules.media import sniff

    data = path.read_bytes()
    mime = sniff(data[:16])
    if mime is None or not mime.startswith("image/"):
        return None
    if fetches:
        # The network fetches the original: nothing to prepare, but one that does not
        # decode is refused here as validation refused it (the network would fail on it).
        unreadable = image_facts(data).unreadable
        if unreadable:
            raise Unpreparable(unreadable)
        return None
    return prepare(data, mime, rules)


def channel_note(root: Path, calendar: Calendar, rel: str, channel: str) -> str | None:
    """:func:`note` for a channel of ``calendar``: what its network gets, as the publisher
    prepares it for that channel (Instagram and Threads under ``media_layout: prepared``
    get the prepared file; under ``repository``, the repository's own)."""
    from cmops.text.limits import NETWORKS, sends_original

    ch = calendar.channels.get(channel)
    rules = NETWORKS.get(ch.network or "outbox") if ch else None
    if ch is None or rules is None:
        return None
    return note(root, rel, rules.name, original=sends_original(rules, ch.raw))


def note(root: Path, rel: str, network: str, *, original: bool | None = None) -> str | None:
    """How media ``rel`` (a path in the repository at ``root``) reaches ``network`` where
    cmops changes it, for the plan and the site: ``JPEG 812 KB (converted)``,
    ``JPEG 1.2 MB (metadata removed)``, or why it cannot be sent; None where it goes as it
    is (or is no image, or cannot be read: validation says so)."""
    from cmops.text.limits import NETWORKS
    from cmops.workspace import OutsideRepository, media_file

    rules = NETWORKS.get(network)
    if rules is None:
        return None
    try:
        prepared = prepare_file(media_file(root, rel), rules, original=original)
    except (OutsideRepository, OSError):
        return None
    except Unpreparable as exc:
        return f"cannot be sent: {exc}"
    return prepared.describe() if prepared is not None and prepared.changed else None


def dimensions(data: bytes) -> tuple[int, int] | None:
    """An image's width and height from its header (EXIF orientation applied); None when
    Pillow cannot read it."""
    try:
        with _open(data, MAX_PIXELS) as image:
            width, height = image.size
            if image.getexif().get(0x0112) in (5, 6, 7, 8):  # turned a quarter
                return height, width
            return width, height
    except Unpreparable:
        return None


def _open(data: bytes, max_pixels: int) -> Image.Image:
    """The image, its header read and its size checked before any pixel is decoded."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise Unpreparable(f"refused as a decompression bomb: {exc}") from None
    except UnidentifiedImageError:  # its message names a memory address
        raise Unpreparable("cannot read the image: Pillow does not recognise its content "
                           "(damaged, or not what its first bytes say)") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise Unpreparable(f"cannot read the image: {exc}") from None
    width, height = image.size
    if width * height > max_pixels:
        image.close()
        raise Unpreparable(f"refused as a decompression bomb: {width}x{height} is more than "
                           f"{max_pixels} pixels")
    return image


def _over_sides(size: tuple[int, int], rules: MediaRules) -> bool:
    return rules.max_image_side_sum is not None and sum(size) > rules.max_image_side_sum


def _strip(source: Image.Image, image: Image.Image, mime: str, icc: bytes | None) -> bytes:
    """``image`` (``source`` turned upright) re-encoded in its own type without metadata."""
    from PIL import JpegImagePlugin

    out = BytesIO()
    extra = {"icc_profile": icc} if icc else {}
    if mime == "image/jpeg":
        image = image if image.mode in ("L", "RGB", "CMYK") else image.convert("RGB")
        sampling = JpegImagePlugin.get_sampling(source)
        tables = getattr(source, "quantization", None)
        if tables and sampling >= 0:
            image.save(out, "JPEG", qtables=tables, subsampling=sampling, **extra)
        else:
            image.save(out, "JPEG", quality=QUALITIES[0], **extra)
    elif mime == "image/webp":
        image.save(out, "WEBP", quality=QUALITIES[0], **extra)
    else:
        image.save(out, _FORMATS[mime], **extra)
    return out.getvalue()


def _shrink(image: Image.Image, mime: str, rules: MediaRules, icc: bytes | None
            ) -> tuple[bytes, tuple[int, int]]:
    """``image`` as a JPEG (or PNG) within the rules' bytes and width-plus-height limit."""
    from PIL import Image

    image = flatten(image) if mime == "image/jpeg" else image.convert("RGBA")
    limit = rules.max_image_bytes
    if _over_sides(image.size, rules):
        assert rules.max_image_side_sum is not None
        scale = rules.max_image_side_sum / sum(image.size)
        image = image.resize(_scaled(image.size, scale), Image.Resampling.LANCZOS)
    extra = {"icc_profile": icc} if icc else {}
    qualities: tuple[int, ...] = QUALITIES if mime == "image/jpeg" else (0,)
    current = image
    while True:
        for quality in qualities:
            out = BytesIO()
            if mime == "image/jpeg":
                current.save(out, "JPEG", quality=quality, optimize=True, **extra)
            else:
                current.save(out, "PNG", optimize=True, **extra)
            if limit is None or out.tell() <= limit:
                return out.getvalue(), current.size
        if min(current.size) <= MIN_SIDE:
            raise Unpreparable(f"cannot bring the image under {size_text(limit or 0)}")
        current = image.resize(_scaled(current.size, 0.75), Image.Resampling.LANCZOS)
        qualities = (SCALED_QUALITY,) if mime == "image/jpeg" else (0,)


def flatten(image: Image.Image) -> Image.Image:
    """RGB, transparency laid on white (JPEG has no alpha)."""
    from PIL import Image

    if image.mode in ("RGBA", "LA", "P", "PA"):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")


def _scaled(size: tuple[int, int], scale: float) -> tuple[int, int]:
    return max(1, int(size[0] * scale)), max(1, int(size[1] * scale))
