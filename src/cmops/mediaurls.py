"""Where a network that fetches media (Instagram, Threads) finds a post's file: the bytes
cmops serves for it and their public path, one definition for ``cmops report`` (which
writes the file into the site) and the adapters (which hand its URL to the network).

The path is ``media/<first 32 hex digits of the SHA-256 of the served bytes>.<ext>``:
stable (the same bytes always get the same path, so a rebuilt site keeps its URLs), not
guessable without the bytes (a draft's media is not found by trying names), and never the
repository path (which may say more than the post does: ``media/unannounced-product.png``).

Core: reads only the files it is given, writes nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from cmops.prepare import EXTENSIONS, prepare
from cmops.rules.media import sniff
from cmops.text.limits import NetworkRules

DIGITS = 32
"""Hex digits of the SHA-256 in a path: 128 bits, not guessable, far from colliding."""


@dataclass(frozen=True, slots=True)
class Served:
    """A media file as the site serves it."""

    data: bytes
    path: str
    """Relative to the site's media root (``media_base_url``): ``media/<hash>.<ext>``."""


def path(data: bytes, ext: str) -> str:
    """The public path of served bytes ``data`` whose file name ends in ``ext``
    (``jpg``, ``.mp4``; lower-cased)."""
    ending = ext.lstrip(".").lower()
    if not ending.isalnum():
        raise ValueError(f"not a file name ending: {ext!r}")
    return f"media/{hashlib.sha256(data).hexdigest()[:DIGITS]}.{ending}"


def served(file: Path, rules: NetworkRules) -> Served:
    """The bytes served for ``file`` (a post's media, already resolved inside the
    repository) to a network with ``rules``, and their path: an image prepared for it
    (:func:`cmops.prepare.prepare`: converted to a type it takes, shrunk, turned upright,
    its metadata stripped, so a phone photo's GPS position is not published), anything
    else (a video) byte for byte. Raises :class:`cmops.prepare.Unpreparable` for an image
    that cannot be prepared, OSError when the file cannot be read.

    Preparing is deterministic and leaves a prepared image as it is, so the file the
    publisher already prepared gives the same bytes and path as the original does."""
    data = file.read_bytes()
    mime = sniff(data[:16])
    if mime is not None and mime.startswith("image/"):
        prepared = prepare(data, mime, rules.media)
        return Served(prepared.data, path(prepared.data, EXTENSIONS[prepared.mime]))
    return Served(data, path(data, PurePosixPath(file.name).suffix or ".bin"))
