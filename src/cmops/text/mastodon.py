"""Mastodon status length, as its `StatusLengthValidator` counts it.

Rules (mastodon/mastodon `app/validators/status_length_validator.rb`, behaviour pinned by
`spec/validators/status_length_validator_spec.rb` @ d5e278df; docs `user/posting.md`):

- the count is the grapheme clusters of the content warning (`spoiler_text`, counted raw)
  followed by the countable form of the text;
- in the text, each URL that twitter-text extracts with a protocol (`http://` or `https://`
  after a non-alphanumeric character, at most 4096 characters) counts as 23 characters; bare
  `example.com` is not discounted;
- each mention `@user@domain` counts as `@user`; a domain over 253 characters is not a mention;
- a blank text counts 0;
- the limit is the instance's (`configuration.statuses.max_characters`), 500 by default.

Mentions follow Mastodon's `Account::MENTION_RE` (not preceded by `=`, `/` or a word
character) and its extractor's rule that a mention may not run into `@`, a Latin accented
letter or `://`.
"""

from __future__ import annotations

import re

from cmops.text.graphemes import count_graphemes
from cmops.text.twitter import extract_urls

DEFAULT_MAX_CHARS = 500
URL_LENGTH = 23
MAX_DOMAIN_LENGTH = 253

_URL_PLACEHOLDER = "x" * URL_LENGTH
_MENTION = re.compile(
    r"(?<![=/\w])@((?:[a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)(?:@\w+(?:[.-]+\w+)*)?)",
    re.IGNORECASE,
)
_MENTION_RUNS_ON = re.compile(
    "(?:[@\uff20]|[\xc0-\xd6\xd8-\xf6\xf8-\xff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259"
    "\u025b\u0263\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff]|://)"
)


def _mentions(text: str) -> list[tuple[int, int, str]]:
    """(start, end, replacement) for each mention Mastodon shortens."""
    found = []
    for m in _MENTION.finditer(text):
        if _MENTION_RUNS_ON.match(text, m.end()):
            continue
        user, _, domain = m.group(1).partition("@")
        if len(domain) > MAX_DOMAIN_LENGTH:
            continue
        found.append((m.start(), m.end(), "@" + user))
    return found


def countable_text(text: str) -> str:
    """`text` with each URL replaced by 23 placeholder characters and each remote mention cut
    to its local part: what Mastodon counts."""
    if not text.strip():
        return ""
    entities = sorted(
        [(u.start, u.end, _URL_PLACEHOLDER) for u in extract_urls(text, without_protocol=False)]
        + _mentions(text)
    )
    parts = []
    pos = 0
    for start, end, replacement in entities:
        if start < pos:
            continue  # overlapping entity: the earlier one wins
        parts += [text[pos:start], replacement]
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


def length(text: str, spoiler_text: str = "") -> int:
    """Mastodon's character count of a status with an optional content warning."""
    return count_graphemes(spoiler_text + countable_text(text))


def is_valid(text: str, spoiler_text: str = "", *, max_chars: int = DEFAULT_MAX_CHARS) -> bool:
    return length(text, spoiler_text) <= max_chars
