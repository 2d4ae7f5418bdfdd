"""Images named by URL in an imported CSV, downloaded into ``calendar/media/`` (I/O, httpx).

One GET per URL, with limits a hostile or broken server cannot get past:

- http and https only, also for every redirect (at most 5, each ``Location`` checked before
  it is followed: no ``file:``, ``ftp:`` or ``data:``);
- a timeout for connecting and for each read, and an overall deadline for the whole
  download (a server dripping one byte a second is cut off);
- at most :data:`MAX_BYTES`, checked on ``Content-Length`` and again while reading;
- an ``image/*`` content type, and bytes that are really PNG, JPEG, GIF or WebP (sniffed
  from the first bytes, never trusted from the name or the header);
- the file name is ``import-<first 20 hex digits of the SHA-256 of the URL>.<ext>``: safe
  whatever the URL holds (no ``..``, no separator, no odd byte), and stable, so the same URL
  gives the same file and a re-import downloads nothing: a file already there for the URL is
  used as it is, never overwritten. A symbolic link in its place is refused.

Errors are :class:`FetchError`, with a message fit for the user; nothing is written then.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

from cmops.atomic import write_atomic
from cmops.rules.media import sniff

MAX_BYTES = 20_000_000
"""Larger than any network takes for an image (cmops shrinks images for each network)."""
TIMEOUT = 20.0
"""Seconds to connect, and between two reads."""
DEADLINE = 60.0
"""Seconds for a whole download."""
MAX_REDIRECTS = 5
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif",
              "image/webp": "webp"}
MEDIA_DIR = "calendar/media"


class FetchError(Exception):
    """An image that was not downloaded; the message says why."""


@dataclass(frozen=True, slots=True)
class Fetched:
    path: str
    """Repository path: ``calendar/media/import-<hash>.<ext>``."""
    size: int
    reused: bool
    """The file was already there (an earlier import of the same URL)."""


def client(transport: httpx.BaseTransport | None = None,
           timeout: float = TIMEOUT) -> httpx.Client:
    return httpx.Client(transport=transport, timeout=timeout, follow_redirects=False,
                        headers={"User-Agent": "cmops-import"})


def stem(url: str) -> str:
    return "import-" + hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()[:20]


def _http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def existing(root: Path, url: str) -> str | None:
    """The repository path of the file an earlier import downloaded from ``url``, if any."""
    folder = root / MEDIA_DIR
    for ext in EXTENSIONS.values():
        candidate = folder / f"{stem(url)}.{ext}"
        if candidate.is_symlink():
            raise FetchError(f"{MEDIA_DIR}/{candidate.name} is a symbolic link; not used")
        if candidate.is_file():
            return f"{MEDIA_DIR}/{candidate.name}"
    return None


def fetch(http: httpx.Client, url: str, root: Path, *, max_bytes: int = MAX_BYTES,
          deadline: float = DEADLINE) -> Fetched:
    """Download the image at ``url`` into ``root/calendar/media/`` (see the module)."""
    if not _http(url):
        raise FetchError("only http:// and https:// URLs are downloaded")
    already = existing(root, url)
    if already is not None:
        return Fetched(already, (root / already).stat().st_size, reused=True)
    folder = root / MEDIA_DIR
    if folder.exists() and not folder.resolve().is_relative_to(root.resolve()):
        raise FetchError(f"{MEDIA_DIR} points outside the repository")
    data = _download(http, url, max_bytes, time.monotonic() + deadline)
    mime = sniff(data[:16])
    if mime not in EXTENSIONS:
        raise FetchError("the file is not a PNG, JPEG, GIF or WebP image")
    name = f"{stem(url)}.{EXTENSIONS[mime]}"
    write_atomic(folder / name, data)
    return Fetched(f"{MEDIA_DIR}/{name}", len(data), reused=False)


def _download(http: httpx.Client, url: str, max_bytes: int, until: float) -> bytes:
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        try:
            with http.stream("GET", current) as response:
                if response.is_redirect:
                    target = urljoin(current, response.headers.get("location", ""))
                    if not _http(target):
                        raise FetchError(f"redirected to {target[:200]}, which is not an "
                                         "http(s) URL")
                    current = target
                    continue
                if response.status_code != 200:
                    raise FetchError(f"the server answered HTTP {response.status_code}")
                kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
                if not kind.startswith("image/"):
                    raise FetchError(f"the server sent {kind or 'no content type'}, not an "
                                     "image")
                _check_size(response.headers.get("content-length"), max_bytes)
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise FetchError(f"larger than {_mb(max_bytes)}")
                    if time.monotonic() > until:
                        raise FetchError("the download took too long")
                    chunks.append(chunk)
                return b"".join(chunks)
        except httpx.TimeoutException:
            raise FetchError("the server did not answer in time") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"the download failed: {exc}") from None
    raise FetchError(f"more than {MAX_REDIRECTS} redirects")


def _check_size(header: str | None, max_bytes: int) -> None:
    if header and header.isdigit() and int(header) > max_bytes:
        raise FetchError(f"larger than {_mb(max_bytes)} ({int(header):,} bytes)")


def _mb(size: int) -> str:
    return f"{size / 1_000_000:g} MB"
