"""Telegram Bot API message length and entity offsets.

Rules (Bot API `sendMessage` / `sendPhoto`; platforms.md section 10):

- message text: 1-4096 characters after entities parsing; media caption: 0-1024;
- `MessageEntity.offset` and `.length` are in UTF-16 code units, so an astral emoji such as
  U+1F600 counts 2.

The limit is measured here in UTF-16 units too: never fewer than code points, so a text that
passes cannot be over Telegram's count whichever of the two it uses. Send plain text with
`entities` (or HTML) rather than MarkdownV2, whose 18 reserved characters all need escaping.
"""

from __future__ import annotations

from cmops.text.graphemes import utf16_len

MAX_TEXT = 4096
MAX_CAPTION = 1024

__all__ = ["MAX_CAPTION", "MAX_TEXT", "entity", "is_valid", "length", "utf16_len",
           "utf16_offset"]


def utf16_offset(text: str, index: int) -> int:
    """UTF-16 offset of the code-point index `index` of `text`."""
    return utf16_len(text[:index])


def entity(text: str, start: int, end: int) -> tuple[int, int]:
    """(offset, length) in UTF-16 units of `text[start:end]` (code-point indices), as
    `MessageEntity` wants them."""
    offset = utf16_offset(text, start)
    return offset, utf16_len(text[start:end])


def length(text: str) -> int:
    """The count checked against 4096 (text) or 1024 (caption): UTF-16 units."""
    return utf16_len(text)


def is_valid(text: str, *, caption: bool = False) -> bool:
    """Text: 1..4096 units; caption: 0..1024."""
    n = length(text)
    return n <= MAX_CAPTION if caption else 0 < n <= MAX_TEXT
