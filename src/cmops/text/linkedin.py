"""LinkedIn post commentary in the "little text" format.

Rules (learn.microsoft.com, community-management/shares/little-text-format; platforms.md 5.4):

- every one of ``\\ | { } @ [ ] ( ) < > # * _ ~`` must be escaped with a backslash, whether or
  not it is part of an element; unescaped, LinkedIn silently truncates the published text at
  the first one while still answering 201;
- a hashtag is the template ``{hashtag|\\#|tag}``;
- a mention is ``@[Name](urn:li:organization:123)`` (or ``urn:li:person:...``);
- the commentary limit is 3,000 characters [secondary sources]. Whether LinkedIn counts before
  or after escaping, and in which unit, is unverified, so `length` takes the stricter reading:
  UTF-16 code units (never fewer than code points) of the escaped commentary as sent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from cmops.text.graphemes import utf16_len

MAX_LENGTH = 3000
RESERVED = frozenset("\\|{}@[]()<>#*_~")

_UNESCAPE = re.compile(r"\\([\\|{}@\[\]()<>#*_~])")
_HASHTAG = re.compile(r"(?<![\w#&])#(\w+)")
_MENTION = re.compile(r"(?<![\w@])@([\w][\w.-]*\w|\w)")


@dataclass(frozen=True, slots=True)
class Mention:
    """Who an `@handle` in the text stands for: display name and LinkedIn URN."""

    name: str
    urn: str


_ESCAPES = {ord(ch): "\\" + ch for ch in RESERVED}


def escape(text: str) -> str:
    """Backslash-escape every reserved character so LinkedIn shows `text` as written."""
    return text.translate(_ESCAPES)


def unescape(commentary: str) -> str:
    """Undo `escape` (elements are left as they are)."""
    return _UNESCAPE.sub(r"\1", commentary)


def hashtag(tag: str) -> str:
    """The hashtag element for `tag` (given without `#`)."""
    return "{hashtag|\\#|" + escape(tag) + "}"


def mention(name: str, urn: str) -> str:
    """The mention element; `name` is escaped so a `]` or `)` in it cannot end the element."""
    return f"@[{escape(name)}]({urn})"


def to_little_text(text: str, *, mentions: Mapping[str, Mention] | None = None,
                   hashtags: bool = True) -> str:
    """`text` as LinkedIn commentary: `#tag` becomes a hashtag element (when `hashtags`),
    `@key` a mention element when `mentions` has `key`, everything else is escaped."""
    mentions = mentions or {}
    spans: list[tuple[int, int, str]] = []
    if hashtags:
        spans += [(m.start(), m.end(), hashtag(m.group(1))) for m in _HASHTAG.finditer(text)]
    for m in _MENTION.finditer(text):
        who = mentions.get(m.group(1))
        if who is not None:
            spans.append((m.start(), m.end(), mention(who.name, who.urn)))
    out = []
    pos = 0
    for start, end, element in sorted(spans):
        if start < pos:
            continue
        out += [escape(text[pos:start]), element]
        pos = end
    out.append(escape(text[pos:]))
    return "".join(out)


def length(commentary: str) -> int:
    """Length counted against the 3,000 limit: UTF-16 units of the commentary as sent."""
    return utf16_len(commentary)


def text_length(text: str, *, mentions: Mapping[str, Mention] | None = None,
                hashtags: bool = True) -> int:
    """`length` of `text` once converted with `to_little_text`."""
    return length(to_little_text(text, mentions=mentions, hashtags=hashtags))
