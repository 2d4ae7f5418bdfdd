"""Making a link card's image fit a network: under a size limit (Bluesky's ``thumb`` blob
takes at most 1,000,000 bytes) or of a type it takes (LinkedIn's Images API: JPG, PNG, GIF).

Re-encoding goes through Pillow. An image that already fits is sent byte for byte when it
carries no metadata, and otherwise stripped of its EXIF, XMP and IPTC (turned upright
first) as post images are (:func:`cmops.prepare.prepare`): a phone photo's GPS position
must not leave the repository as a card's thumbnail. A re-encoded image is a JPEG (a PNG
where JPEG is not taken) without the original's metadata too.
"""

from __future__ import annotations

from io import BytesIO

from PIL import Image

from cmops.prepare import Unpreparable, flatten, prepare
from cmops.text.limits import MediaRules

MAX_SIDE = 2000
"""Longest side of a re-encoded image: more than any card shows."""


_ANY = ("image/jpeg", "image/png", "image/webp", "image/gif")


class ImageError(ValueError):
    pass


def fit(data: bytes, mime: str, *, max_bytes: int | None = None,
        types: tuple[str, ...] | None = None) -> tuple[bytes, str]:
    """``data`` (of type ``mime``) as bytes the network takes, and their type."""
    if (max_bytes is None or len(data) <= max_bytes) and (types is None or mime in types):
        # Fits: the same preparation as a post's image, which sends it untouched when it
        # has no metadata and strips it otherwise.
        rules = MediaRules(None, max_bytes, None, types or _ANY, alt_text=False)
        try:
            prepared = prepare(data, mime, rules)
        except Unpreparable as exc:
            raise ImageError(str(exc)) from None
        return prepared.data, prepared.mime
    try:
        with Image.open(BytesIO(data)) as opened:
            opened.load()
            image = flatten(opened)
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ImageError(f"cannot read the image: {exc}") from None
    as_jpeg = types is None or "image/jpeg" in types
    side = min(MAX_SIDE, max(image.size))
    quality = 85
    for _ in range(12):
        scaled = image.copy()
        scaled.thumbnail((side, side))
        out = BytesIO()
        if as_jpeg:
            scaled.save(out, "JPEG", quality=quality, optimize=True)
        else:
            scaled.save(out, "PNG", optimize=True)
        if max_bytes is None or out.tell() <= max_bytes:
            return out.getvalue(), "image/jpeg" if as_jpeg else "image/png"
        side, quality = max(16, int(side * 0.75)), max(60, quality - 5)
    raise ImageError(f"cannot bring the image under {max_bytes} bytes")
