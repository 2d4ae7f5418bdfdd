"""Bluesky post length and rich-text facets.

Length (lexicon `app.bsky.feed.post`, `text`): at most 300 extended grapheme clusters AND at
most 3000 UTF-8 bytes. URLs are counted in full.

Facets (lexicon `app.bsky.richtext.facet`) carry UTF-8 byte offsets, start inclusive, end
exclusive. Detection follows the reference client, bluesky-social/atproto
`packages/api/src/rich-text/detection.ts` and `util.ts`:

- mention: `@` + `[a-zA-Z0-9.-]+` up to an ASCII word boundary, after start, whitespace or
  `(`; kept when the handle ends in a known TLD or `.test`. The record needs the DID, so a
  mention facet holds the handle until `to_record` is given a resolver.
- link: `http(s)://` + non-space run, or a bare domain (`[a-z][a-z0-9]*(\\.[a-z0-9]+)+` then
  non-space run) whose last label is a known TLD, which gets `https://` prepended; one trailing
  `.,;:!?` is dropped, then a trailing `)` unless the URI holds a `(`.
- tag: `#` or full-width `＃` after start or whitespace, a run up to whitespace or a
  zero-width character that holds something other than digits and punctuation and does not
  open with U+FE0F or U+20E3; trailing punctuation is dropped; at most 64 graphemes and 640
  bytes (the lexicon's `tag` limits).
- cashtag: `$` + a letter + up to 4 letters or digits, after start, whitespace or `(`, and
  before whitespace, end or `.,;:!?)"'’`; emitted as a tag `$TICKER` in upper case.

Whitespace is JavaScript's `\\s`. Known TLDs are twitter-text's list (`data/tlds.json`); the
reference client uses the IANA list from the `tlds` package, which differs only in recent
additions and removals. As in the reference, the TLD test is case-sensitive (lower case).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from cmops.text.graphemes import count_graphemes, utf8_len, utf8_offsets
from cmops.text.twitter import TLDS

MAX_GRAPHEMES = 300
MAX_BYTES = 3000
MAX_TAG_GRAPHEMES = 64
MAX_TAG_BYTES = 640

FacetKind = Literal["mention", "link", "tag"]

_WS = "\t\n\v\f\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_ZERO_WIDTH = "\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2"
_ASCII_WORD = "A-Za-z0-9_"

_MENTION = re.compile(
    f"(?:^|[{_WS}(])@([a-zA-Z0-9.-]+)"
    f"(?:(?<=[{_ASCII_WORD}])(?![{_ASCII_WORD}])|(?<![{_ASCII_WORD}])(?=[{_ASCII_WORD}]))"
)
_LINK = re.compile(
    f"(?:^|[{_WS}(])(https?://[^{_WS}]+|(?P<domain>[a-z][a-z0-9]*(?:\\.[a-z0-9]+)+)[^{_WS}]*)",
    re.IGNORECASE | re.ASCII,
)
_TAG = re.compile(f"(?:^|[{_WS}])([#\uff03])([^{_WS}{_ZERO_WIDTH}]*)")
_CASHTAG = re.compile(
    f"(?:^|[{_WS}(])\\$([A-Za-z][A-Za-z0-9]{{0,4}})(?=[{_WS}.,;:!?)\"'\u2019]|\\Z)")


@dataclass(frozen=True, slots=True)
class Facet:
    """A detected facet: `value` is the handle (mention), URI (link) or tag text (tag)."""

    byte_start: int
    byte_end: int
    kind: FacetKind
    value: str

    def to_record(self, resolve: Callable[[str], str] | None = None) -> dict[str, Any]:
        """The `app.bsky.richtext.facet` object. A mention needs `resolve` (handle -> DID)."""
        feature: dict[str, str]
        if self.kind == "mention":
            if resolve is None:
                raise ValueError(f"mention @{self.value} needs a handle -> DID resolver")
            feature = {"$type": "app.bsky.richtext.facet#mention", "did": resolve(self.value)}
        elif self.kind == "link":
            feature = {"$type": "app.bsky.richtext.facet#link", "uri": self.value}
        else:
            feature = {"$type": "app.bsky.richtext.facet#tag", "tag": self.value}
        return {"index": {"byteStart": self.byte_start, "byteEnd": self.byte_end},
                "features": [feature]}


def length(text: str) -> tuple[int, int]:
    """(graphemes, UTF-8 bytes): both must be within 300 and 3000."""
    return count_graphemes(text), utf8_len(text)


def is_valid(text: str) -> bool:
    graphemes, size = length(text)
    return graphemes <= MAX_GRAPHEMES and size <= MAX_BYTES


def _known_domain(domain: str) -> bool:
    return domain.rpartition(".")[2] in TLDS


def _is_punctuation(ch: str) -> bool:
    return unicodedata.category(ch).startswith("P")


def _strip_trailing_punctuation(value: str) -> str:
    end = len(value)
    while end and _is_punctuation(value[end - 1]):
        end -= 1
    return value[:end]


def _mentions(text: str) -> Iterable[tuple[int, int, FacetKind, str]]:
    for m in _MENTION.finditer(text):
        handle = m.group(1)
        if _known_domain(handle) or handle.endswith(".test"):
            yield m.start(1) - 1, m.end(1), "mention", handle


def _links(text: str) -> Iterable[tuple[int, int, FacetKind, str]]:
    for m in _LINK.finditer(text):
        uri = m.group(1)
        start, end = m.start(1), m.end(1)
        domain = m.group("domain")
        # The reference tells the two forms apart by a leading "http", which turns a bare
        # "httpbin.org" into a scheme-less link; the matched branch is the better test.
        if domain is not None:
            if not _known_domain(domain):
                continue
            uri = "https://" + uri
        if uri[-1] in ".,;:!?":
            uri, end = uri[:-1], end - 1
        if uri.endswith(")") and "(" not in uri:
            uri, end = uri[:-1], end - 1
        yield start, end, "link", uri


def _tags(text: str) -> Iterable[tuple[int, int, FacetKind, str]]:
    for m in _TAG.finditer(text):
        run = m.group(2)
        if (not run or run[0] in "\ufe0f\u20e3"
                or all((ch.isascii() and ch.isdigit()) or _is_punctuation(ch) for ch in run)):
            continue
        tag = _strip_trailing_punctuation(run)
        if (not tag or count_graphemes(tag) > MAX_TAG_GRAPHEMES
                or utf8_len(tag) > MAX_TAG_BYTES):
            continue
        start = m.start(1)
        yield start, start + 1 + len(tag), "tag", tag


def _cashtags(text: str) -> Iterable[tuple[int, int, FacetKind, str]]:
    for m in _CASHTAG.finditer(text):
        ticker = m.group(1)
        yield m.start(1) - 1, m.end(1), "tag", "$" + ticker.upper()


def detect_facets(text: str) -> list[Facet]:
    """Mentions, links, tags and cashtags in `text`, by byte offset; overlaps are dropped
    (facets may not overlap), keeping the earlier one."""
    spans = sorted([*_mentions(text), *_links(text), *_tags(text), *_cashtags(text)])
    offsets = utf8_offsets(text)
    facets: list[Facet] = []
    last_end = -1
    for start, end, kind, value in spans:
        if start < last_end:
            continue
        facets.append(Facet(offsets[start], offsets[end], kind, value))
        last_end = end
    return facets


def facet_records(facets: Iterable[Facet], resolve: Callable[[str], str]) -> list[dict[str, Any]]:
    """Facets as record JSON, mentions resolved to DIDs with `resolve(handle)`."""
    return [facet.to_record(resolve) for facet in facets]
