"""Grapheme clusters and the other units networks count in.

Extended grapheme clusters follow UAX #29 as implemented by the `regex` package (`\\X`), which
tracks current Unicode (15.1+ conjunct rules: "नमस्ते" is 3 clusters); the stdlib `re` has no
`\\X`. Emoji detection is a per-cluster test close to what twemoji-parser (used by
twitter-text) matches: keycaps, flags, and any cluster that opens with an Extended_Pictographic
code point, except that (c), (r), TM and the chess pawn are emoji only with U+FE0F, as in
twemoji's own pattern.
"""

from __future__ import annotations

import regex  # type: ignore[import-untyped, unused-ignore]

_CLUSTER = regex.compile(r"\X")
_EMOJI_CLUSTER = regex.compile(
    r"[#*0-9]\uFE0F?\u20E3"
    r"|[\u00A9\u00AE\u2122\u265F]\uFE0F"
    r"|\p{Regional_Indicator}"
    r"|(?![\u00A9\u00AE\u2122\u265F])\p{Extended_Pictographic}"
)


def count_graphemes(text: str) -> int:
    """Number of extended grapheme clusters ("user-perceived characters")."""
    if not text or ord(max(text)) < 0x300:
        # Below U+0300 (ASCII, Latin-1, Latin Extended) nothing extends or joins a cluster;
        # the one multi-character cluster is CR LF (UAX #29 rule GB3).
        return len(text) - text.count("\r\n")
    found: list[str] = _CLUSTER.findall(text)
    return len(found)


def clusters(text: str) -> list[str]:
    """The extended grapheme clusters of `text`, in order."""
    found: list[str] = _CLUSTER.findall(text)
    return found


def cluster_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) code-point indices of each grapheme cluster."""
    return [(m.start(), m.end()) for m in _CLUSTER.finditer(text)]


def is_emoji_cluster(cluster: str) -> bool:
    """Whether a grapheme cluster reads as an emoji (see the module docstring)."""
    return bool(_EMOJI_CLUSTER.match(cluster))


def utf8_len(text: str) -> int:
    """Length in UTF-8 bytes."""
    return len(text.encode("utf-8", "surrogatepass"))


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: code points above U+FFFF take two."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def utf8_offsets(text: str) -> list[int]:
    """UTF-8 byte offset of every code-point index 0..len(text) (inclusive)."""
    offsets = [0] * (len(text) + 1)
    total = 0
    for i, ch in enumerate(text):
        offsets[i] = total
        cp = ord(ch)
        total += 1 if cp < 0x80 else 2 if cp < 0x800 else 3 if cp < 0x10000 else 4
    offsets[len(text)] = total
    return offsets
