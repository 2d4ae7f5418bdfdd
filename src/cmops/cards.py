"""Fetching a page's link card: ``cmops card``, ``cmops new post --link``, and the publisher
for a bare ``link:`` on a network whose card the client builds (network I/O).

The page is fetched once: a GET to an http(s) address (loopback included), at most
:data:`MAX_REDIRECTS` redirects followed one by one (each must stay http(s)), no cookie kept
or sent, a timeout, and at most :data:`MAX_PAGE` bytes read (the tags are in the ``<head>``;
a bigger page is read only if its head ends within the cap). Its ``og:image`` is fetched the
same way, at most :data:`MAX_IMAGE` bytes, and kept only if its bytes are a PNG, JPEG, GIF or
WebP image. :mod:`cmops.pagemeta` reads the tags.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

from cmops.adapters.http import USER_AGENT
from cmops.atomic import write_atomic
from cmops.model import Link
from cmops.pagemeta import decode, host_title, parse
from cmops.rules.media import IMAGE_TYPES, sniff

MAX_REDIRECTS = 5
MAX_PAGE = 1024 * 1024
MAX_IMAGE = 8 * 1024 * 1024
TIMEOUT = 10.0
CARD_DIR = "calendar/media/cards"
_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}
_HTML = ("text/html", "application/xhtml+xml")


class CardError(Exception):
    """The page could not be read (unreachable, an error status, too many redirects, not
    HTML, too big); the message says which."""


@dataclass(slots=True)
class FetchedCard:
    url: str
    """The address asked for."""
    title: str
    description: str = ""
    image: bytes | None = None
    image_type: str | None = None
    image_url: str | None = None
    notes: list[str] = field(default_factory=list)
    """What was left out and why (the image could not be fetched…)."""


@dataclass(frozen=True, slots=True)
class _Got:
    url: str
    content_type: str
    charset: str | None
    body: bytes
    truncated: bool


def _get(client: httpx.Client, url: str, limit: int, accept: str) -> _Got:
    for _ in range(MAX_REDIRECTS + 1):
        if urlsplit(url).scheme not in ("http", "https"):
            raise CardError(f"{url}: only http(s) addresses are fetched")
        client.cookies.clear()  # no cookie is kept from one answer to the next request
        try:
            with client.stream("GET", url, headers={"Accept": accept}) as response:
                location = response.headers.get("location")
                if response.is_redirect and location:
                    url = urljoin(url, location)
                    continue
                if not response.is_success:
                    raise CardError(f"{url}: HTTP {response.status_code}")
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > limit:
                        break
                content_type = response.headers.get("content-type", "")
                return _Got(str(response.url), content_type.split(";")[0].strip().lower(),
                            response.charset_encoding, bytes(body[:limit]), len(body) > limit)
        except httpx.HTTPError as exc:
            raise CardError(f"{url}: {type(exc).__name__}: {exc}") from None
    raise CardError(f"more than {MAX_REDIRECTS} redirects from the page")


def client(transport: httpx.BaseTransport | None = None,
           timeout: float = TIMEOUT) -> httpx.Client:
    return httpx.Client(transport=transport, timeout=timeout, follow_redirects=False,
                        headers={"User-Agent": USER_AGENT})


def fetch(url: str, *, with_image: bool = True, transport: httpx.BaseTransport | None = None,
          timeout: float = TIMEOUT) -> FetchedCard:
    """The card of the page at ``url``; :class:`CardError` when the page cannot be read.
    Problems with the image only leave it out (``notes`` says why)."""
    with client(transport, timeout) as http:
        page = _get(http, url, MAX_PAGE, "text/html,application/xhtml+xml")
        if page.content_type and page.content_type not in _HTML:
            raise CardError(f"{page.url}: not an HTML page ({page.content_type})")
        meta = parse(decode(page.body, page.charset), page.url)
        if page.truncated and not meta.head_read:
            raise CardError(f"{page.url}: the page is larger than {MAX_PAGE} bytes and its "
                            "<head> does not end within them")
        card = FetchedCard(url, meta.title or host_title(page.url), meta.description or "")
        if meta.title is None:
            card.notes.append("the page has no og:title, twitter:title or <title>: the host "
                              "is the title")
        if meta.image is None or not with_image:
            return card
        card.image_url = meta.image
        try:
            got = _get(http, meta.image, MAX_IMAGE, "image/*")
        except CardError as exc:
            card.notes.append(f"image left out: {exc}")
            return card
    kind = sniff(got.body[:16])
    if got.truncated:
        card.notes.append(f"image left out: larger than {MAX_IMAGE} bytes")
    elif kind not in IMAGE_TYPES:
        card.notes.append(f"image left out: {meta.image} is not a PNG, JPEG, GIF or WebP "
                          "image")
    else:
        card.image, card.image_type = got.body, kind
    return card


def fallback(url: str, why: str) -> FetchedCard:
    """The card sent when the page cannot be read: its host as the title."""
    return FetchedCard(url, host_title(url), notes=[why])


def save_image(root: Path, card: FetchedCard) -> str | None:
    """Write the card's image under ``calendar/media/cards/`` (named by the page's host and
    the image's content, so the same image is written once); its repository path."""
    if card.image is None or card.image_type is None:
        return None
    host = re.sub(r"[^a-z0-9.-]+", "-", host_title(card.url)).strip(".-") or "page"
    digest = hashlib.sha256(card.image).hexdigest()[:12]
    rel = f"{CARD_DIR}/{host[:60]}-{digest}.{_EXTENSIONS[card.image_type]}"
    path = root / rel
    if not path.exists():
        write_atomic(path, card.image)
    return rel


def link_for(root: Path, url: str, *, with_image: bool = True,
             transport: httpx.BaseTransport | None = None,
             timeout: float = TIMEOUT) -> tuple[Link, list[str]]:
    """The ``link:`` mapping for ``url`` (its image saved under ``calendar/media/cards/``)
    and notes on what was left out; :class:`CardError` when the page cannot be read."""
    card = fetch(url, with_image=with_image, transport=transport, timeout=timeout)
    return Link(url, card.title, card.description or None, save_image(root, card)), card.notes
