"""A web page's link card, read from its OpenGraph and Twitter-card tags: pure, text in and
data out (:mod:`cmops.cards` fetches the page).

Each field takes the first of: the OpenGraph tag (``og:title``, ``og:description``,
``og:image``), the Twitter-card tag (``twitter:title``…), then the page's own ``<title>`` and
``<meta name="description">``. Only the ``<head>`` is read. Values come out as plain text on
one line (entities decoded, whitespace and control characters folded), cut to a length a
card can show; an image URL is made absolute against the page's address and kept only if it
is http(s).
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

MAX_TITLE = 300
MAX_DESCRIPTION = 1000
_TITLE_KEYS = ("og:title", "twitter:title")
_DESCRIPTION_KEYS = ("og:description", "twitter:description", "description")
_IMAGE_KEYS = ("og:image", "og:image:url", "og:image:secure_url", "twitter:image",
               "twitter:image:src")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""",
                           re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class PageMeta:
    title: str | None = None
    description: str | None = None
    image: str | None = None
    """The image's absolute http(s) URL."""
    head_read: bool = False
    """Whether the whole ``<head>`` was in the text (its end, or the ``<body>``, was seen)."""


class _Done(Exception):
    pass


class _Head(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title: str | None = None
        self._title: list[str] | None = None
        self.ended = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "meta":
            values = {k.lower(): v for k, v in attrs if v is not None}
            key = (values.get("property") or values.get("name") or "").strip().lower()
            if key and "content" in values:
                self.meta.setdefault(key, values["content"])
        elif tag == "title" and self.title is None:
            self._title = []
        elif tag == "body":
            self.ended = True
            raise _Done

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self._title is not None:
            self.title, self._title = "".join(self._title), None
        elif tag == "head":
            self.ended = True
            raise _Done

    def handle_data(self, data: str) -> None:
        if self._title is not None:
            self._title.append(data)


def clean(value: str | None, limit: int) -> str | None:
    """One line of plain text, at most ``limit`` characters (cut at a word, with "…");
    None when nothing is left."""
    if value is None:
        return None
    text = " ".join("".join(c for c in value if unicodedata.category(c) != "Cc"
                            or c.isspace()).split())
    if not text:
        return None
    if len(text) > limit:
        cut = text[:limit - 1]
        text = (cut.rsplit(" ", 1)[0] if " " in cut[limit // 2:] else cut).rstrip() + "…"
    return text


def parse(html: str, base_url: str) -> PageMeta:
    """The card fields of an HTML page whose address is ``base_url``."""
    head = _Head()
    try:
        head.feed(html)
        head.close()
    except _Done:
        pass
    meta = head.meta

    def first(keys: tuple[str, ...]) -> str | None:
        return next((meta[k] for k in keys if meta.get(k, "").strip()), None)

    image = first(_IMAGE_KEYS)
    if image is not None:
        image = urljoin(base_url, image.strip())
        if urlsplit(image).scheme not in ("http", "https") or any(c.isspace() for c in image):
            image = None
    return PageMeta(clean(first(_TITLE_KEYS) or head.title, MAX_TITLE),
                    clean(first(_DESCRIPTION_KEYS), MAX_DESCRIPTION), image, head.ended)


def decode(body: bytes, charset: str | None) -> str:
    """A page's bytes as text: the charset the server named, else the one the page names in
    its first 2 KB, else UTF-8; undecodable bytes become U+FFFD."""
    for name in (charset, *(m.decode("ascii") for m in _META_CHARSET.findall(body[:2048]))):
        if not name:
            continue
        try:
            codecs.lookup(name)
        except LookupError:
            continue
        return body.decode(name, errors="replace")
    return body.decode("utf-8", errors="replace")


def host_title(url: str) -> str:
    """The title of a card nothing could be read for: the page's host (``www.`` dropped)."""
    host = (urlsplit(url).hostname or url).lower()
    return host.removeprefix("www.")
