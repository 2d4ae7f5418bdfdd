"""X (Twitter) post length: twitter-text's weighted count (configs v1, v2, v3).

Rules, from twitter/twitter-text @ 30e2430 (`parseTweet` in js/src, `validation.rb` in rb/lib;
X's docs defer to that library):

1. NFC-normalise the text.
2. Every URL the extractor finds weighs `transformedURLLength` (23): `http(s)://` URLs and bare
   domains ending in a known TLD (`example.com`, not `foo.baz`), with ports, paths, queries and
   the trailing-punctuation rules of the grammar below.
3. With `emojiParsingEnabled` (v3) an emoji sequence weighs `defaultWeight` (2 characters)
   however many code points it has.
4. Any other code point weighs the weight of its range, else `defaultWeight`; the sum is
   divided by `scale`.
5. Valid when 0 < length <= `maxWeightedTweetLength` and no U+FFFE, U+FEFF or U+FFFF occurs.

The URL grammar follows the Ruby gem's `regex.rb` (the implementation Mastodon also runs);
domain labels are checked the way its IDNA step does (each label 1..63 characters once
punycode-encoded, no raw `xn--` label with non-ASCII text, whole URL <= 4096).
Emoji sequences are grapheme clusters (see `graphemes`); twemoji, which twitter-text uses,
splits non-standard ZWJ sequences that a cluster keeps whole.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from itertools import compress
from typing import Any, NamedTuple, TypeAlias

import regex  # type: ignore[import-untyped, unused-ignore]

from cmops.text.graphemes import cluster_spans, clusters, is_emoji_cluster, utf16_len


@dataclass(frozen=True, slots=True)
class WeightRange:
    start: int
    end: int
    weight: int


@dataclass(frozen=True, slots=True)
class Config:
    """One twitter-text configuration file (`config/v<N>.json`)."""

    version: int
    max_weighted_length: int
    scale: int
    default_weight: int
    transformed_url_length: int
    emoji_parsing: bool = False
    ranges: tuple[WeightRange, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Config:
        return cls(
            version=int(data["version"]),
            max_weighted_length=int(data["maxWeightedTweetLength"]),
            scale=int(data["scale"]),
            default_weight=int(data["defaultWeight"]),
            transformed_url_length=int(data["transformedURLLength"]),
            emoji_parsing=bool(data.get("emojiParsingEnabled", False)),
            ranges=tuple(WeightRange(int(r["start"]), int(r["end"]), int(r["weight"]))
                         for r in data.get("ranges", ())),
        )

    @classmethod
    def load(cls, version: int) -> Config:
        """The packaged copy of twitter-text's `config/v<version>.json`."""
        raw = (resources.files("cmops.text") / "data" / f"config-v{version}.json").read_text(
            encoding="utf-8")
        return cls.from_json(json.loads(raw))

    def weight(self, code_point: int) -> int:
        if code_point > 0xFFFF:
            # twitter-text weighs a surrogate pair by its low surrogate (a JavaScript quirk).
            code_point = 0xDC00 + ((code_point - 0x10000) & 0x3FF)
        for r in self.ranges:
            if r.start <= code_point <= r.end:
                return r.weight
        return self.default_weight


V1 = Config.load(1)
V2 = Config.load(2)
V3 = Config.load(3)
DEFAULT = V3

MAX_URL_LENGTH = 4096
MAX_TCO_SLUG_LENGTH = 40
MAX_LABEL_LENGTH = 63
INVALID_CHARACTERS = frozenset("\ufffe\ufeff\uffff")

# --- URL grammar ------------------------------------------------------------------------------

_DIRECTIONAL = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_INVALID = "\ufffe\ufeff\uffff"
_SPACES = "\t-\r \x85\xa0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_PUNCT = "!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~"
_CTRL = "\x00-\x1f\x7f"
_LATIN = ("\xc0-\xd6\xd8-\xf6\xf8-\xff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259\u025b\u0263"
          "\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff")
# \p{Cyrillic} and \p{Pd} spelled out, since the stdlib `re` has no Unicode properties.
_CYRILLIC = ("\u0400-\u0484\u0487-\u052f\u1c80-\u1c8a\u1d2b\u1d78\u2de0-\u2dff\ua640-\ua69f"
             "\ufe2e\ufe2f\U0001e030-\U0001e06d\U0001e08f")
_DASHES = ("\\-\u058a\u05be\u1400\u1806\u2010-\u2015\u2e17\u2e1a\u2e3a\u2e3b\u2e40\u2e5d\u301c"
           "\u3030\u30a0\ufe31\ufe32\ufe58\ufe63\uff0d\U00010ead")

_Trie: TypeAlias = "dict[str, _Trie]"


def _trie(words: Iterable[str]) -> _Trie:
    root: _Trie = {}
    for word in words:
        node = root
        for ch in word.lower():
            node = node.setdefault(ch, {})
        node[""] = {}
    return root


def _alternation(node: _Trie) -> str:
    """A regex matching any word of the trie, longest first, so that matching does not retry
    each of ~1,600 TLDs in turn."""
    branches = [re.escape(ch) + _alternation(child) for ch, child in sorted(node.items()) if ch]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if "" in node:
        return body + "?" if len(branches) == 1 and len(body) == 1 else f"(?:{body})?"
    return body


def _load_tlds() -> tuple[tuple[str, ...], tuple[str, ...]]:
    raw = (resources.files("cmops.text") / "data" / "tlds.json").read_text(encoding="utf-8")
    data = json.loads(raw)
    return tuple(data["country"]), tuple(data["generic"])


COUNTRY_TLDS, GENERIC_TLDS = _load_tlds()
TLDS = frozenset(COUNTRY_TLDS + GENERIC_TLDS)

_D = f"[^{_DIRECTIONAL}{_PUNCT}{_CTRL}{_INVALID}{_SPACES}]"
_TLD_END = "(?=[^0-9a-z@+-]|$)"
_TLD = (f"(?:(?:{_alternation(_trie(GENERIC_TLDS))}){_TLD_END}"
        f"|(?:{_alternation(_trie(COUNTRY_TLDS))}){_TLD_END}"
        "|xn--[0-9a-z]+)")
_DOMAIN = f"(?:(?:{_D}(?:[_-]|{_D})*)?{_D}\\.)*(?:(?:{_D}(?:-|{_D})*)?{_D}\\.){_TLD}"
_P = f"[a-z{_CYRILLIC}0-9!*';:=+,.$/%#\\[\\]{_DASHES}_~&|@{_LATIN}]"
_PARENS = f"\\((?:{_P}+|{_P}*\\({_P}+\\){_P}*)\\)"
_PATH_END = f"(?:[a-z{_CYRILLIC}0-9=_#/+\\-{_LATIN}]|{_PARENS})"
_PATH = f"(?:{_P}*(?:{_PARENS}{_P}*)*{_PATH_END}|{_P}+/)"
_QUERY = "[a-z0-9!?*'();:&=+$/%#\\[\\]\\-_.,~|@]*[a-z0-9_&=#/\\-]"
_BEFORE = f"(?:[^A-Z0-9@\uff20$#\uff03{_INVALID}]|[{_DIRECTIONAL}]|^)"

class _Lazy:
    """A regular expression compiled on first use: the URL and domain patterns hold the whole
    TLD list, and compiling them costs ~0.1 s that commands never measuring X text (and
    every command's start-up) should not pay."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._args = (pattern, flags)
        self._compiled: re.Pattern[str] | None = None

    def __getattr__(self, name: str) -> Any:
        if self._compiled is None:
            self._compiled = re.compile(*self._args)
        return getattr(self._compiled, name)


_URL: Any = _Lazy(
    f"({_BEFORE})"  # 1: the character before
    f"((https?://)?"  # 2: the URL, 3: protocol
    f"({_DOMAIN})"  # 4: domain
    "(?::[0-9]+)?"
    f"(/{_PATH}*)?"  # 5: path
    f"(?:\\?{_QUERY})?)",
    re.IGNORECASE,
)
_ASCII_DOMAIN: Any = _Lazy(f"(?:(?:[a-z0-9_\\-{_LATIN}])+\\.)+{_TLD}", re.IGNORECASE)
_ASCII_LABEL_CHAR = re.compile(f"[a-z0-9_\\-{_LATIN}]", re.IGNORECASE)
_TCO = re.compile(f"https?://t\\.co/([a-z0-9]+)(?:\\?{_QUERY})?", re.IGNORECASE)
_PROTOCOL = re.compile("https?://", re.IGNORECASE)
_BAD_BEFORE_BARE_DOMAIN = frozenset("-_./")

# --- linear-time guard ------------------------------------------------------------------------
# Backtracking makes a failed match attempt cost up to the length of the domain-like run it
# starts in, so a crafted post ("a." * 100_000) would take minutes. Before each attempt we ask,
# in O(1) from tables built in one right-to-left pass, whether a domain can start there at all;
# the regex still decides every match, so results are unchanged.

# Characters `_D` excludes (checked against `_D` by the tests).
_NOT_DOMAIN = frozenset(
    [chr(c) for c in (*range(0x21), 0x7F, 0x85, 0xA0, 0x61C, 0x1680, 0x180E, *range(0x2000, 0x200B),
                      0x200E, 0x200F, 0x2028, 0x2029, *range(0x202A, 0x2030), 0x205F,
                      *range(0x2066, 0x206A), 0x3000, 0xFEFF, 0xFFFE, 0xFFFF)]
    + list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"))
_TLD_TRIE = _trie(TLDS)
_PUNYCODE_START = re.compile("xn--[0-9a-z]", re.IGNORECASE)
_NOT_TLD_END = re.compile("[0-9a-z@+-]", re.IGNORECASE)


def _tld_at(text: str, p: int) -> bool:
    """Whether `_TLD` may match at `p` (never False where it matches)."""
    if _PUNYCODE_START.match(text, p):
        return True
    node = _TLD_TRIE
    for j in range(p, len(text)):
        child = node.get(text[j].lower()) or node.get(text[j].casefold())
        if child is None:
            return False
        node = child
        if "" in node and not _NOT_TLD_END.match(text, j + 1):
            return True
    return False


def _starts(text: str, label_ok: Callable[[int, int], bool], *, tld_label_ok: Callable[
        [int, int], bool] | None = None) -> list[bool]:
    """For each index p: can `label.(label.)*TLD` start at p, where every label [a, b) passes
    `label_ok(a, b)` and the one before the TLD also `tld_label_ok`?"""
    n = len(text)
    can = [False] * (n + 1)
    next_dot = n
    tld_after: dict[int, bool] = {}
    for p in range(n - 1, -1, -1):
        if text[p] == ".":
            next_dot = p
            continue
        d = next_dot
        if d == n or not label_ok(p, d):
            continue
        if can[d + 1]:
            can[p] = True
        elif tld_label_ok is None or tld_label_ok(p, d):
            if d not in tld_after:
                tld_after[d] = _tld_at(text, d + 1)
            can[p] = tld_after[d]
    return can


_DOTTED_RUN = re.compile(
    "(?<![^{0}])[^{0}]+(?=\\.)".format(
        "".join(re.escape(c) for c in sorted(_NOT_DOMAIN - {"-", "_"}))))
"""A run of label characters (``_D``, ``-`` and ``_``) that a dot ends: only there can a
domain start. The look-behind anchors it at the run's start, so a long run without a dot
costs one pass, not one per position."""


def _domain_starts(text: str) -> list[bool]:
    """For each index p: can ``_DOMAIN`` start at p? What :func:`_starts` answers for every
    position, worked out only in the runs a dot ends: elsewhere the answer is False, since a
    label reaches its dot without a character outside ``_D`` and "-_"."""
    can = [False] * (len(text) + 1)
    if "." not in text:
        return can
    runs = [m.span() for m in _DOTTED_RUN.finditer(text)]
    for start, dot in reversed(runs):  # a run's answers depend on the runs after its dot
        if text[dot - 1] in _NOT_DOMAIN:  # a label ends with `_D`
            continue
        after = can[dot + 1]
        tld: bool | None = None
        underscore = text.rfind("_", start, dot)  # the label before a TLD has none
        for p in range(dot - 1, start - 1, -1):
            if text[p] in _NOT_DOMAIN:  # a label begins with `_D`
                continue
            if after:
                can[p] = True
            elif p > underscore:
                if tld is None:
                    tld = _tld_at(text, dot + 1)
                can[p] = tld
    return can


def _ascii_domain_starts(domain: str) -> list[bool]:
    n = len(domain)
    next_bad = [n] * (n + 1)
    for p in range(n - 1, -1, -1):
        next_bad[p] = next_bad[p + 1] if _ASCII_LABEL_CHAR.match(domain, p) else p
    return _starts(domain, lambda a, b: next_bad[a] == b)


def _scan(pattern: re.Pattern[str], text: str,
          may_match: Callable[[int], bool]) -> Iterator[re.Match[str]]:
    """`pattern.finditer(text)`, without the attempts `may_match(pos)` rules out."""
    pos = 0
    while pos < len(text):
        m = pattern.match(text, pos) if may_match(pos) else None
        if m:
            yield m
            pos = m.end()
        else:
            pos += 1


def _scan_from(pattern: re.Pattern[str], text: str,
               candidates: Iterable[int]) -> Iterator[re.Match[str]]:
    """:func:`_scan` given the positions ``may_match`` allows, in increasing order: the same
    matches, without a Python call for each position ruled out."""
    pos = 0
    for p in candidates:
        if p < pos:
            continue
        m = pattern.match(text, p)
        if m:
            yield m
            pos = m.end()


def _url_matches(text: str) -> Iterator[re.Match[str]]:
    can = _domain_starts(text)
    n = len(text)
    # A match attempt at pos needs a domain from pos + 1 (`_BEFORE` takes the character at
    # pos), or from 0 at the very start: a domain starts there, or a protocol whose end
    # starts one. Protocol matches cannot overlap ("https?://" has one "h").
    starts = set(compress(range(n), can))
    starts.update(m.start() for m in _PROTOCOL.finditer(text) if can[m.end()])
    candidates = sorted({u - 1 for u in starts if u > 0} | ({0} if 0 in starts else set()))
    return _scan_from(_URL, text, candidates)


class UrlEntity(NamedTuple):
    start: int
    """Code-point index of the first character."""
    end: int
    """Code-point index just past the last character."""
    url: str


def _ascii_domain(domain: str) -> str | None:
    """The domain with each non-ASCII label punycode-encoded, or None when a label is empty,
    longer than 63 once encoded, or a raw `xn--` label holding non-ASCII text."""
    labels = []
    for label in domain.split("."):
        if label.isascii():
            encoded = label
        elif label[:4].lower() == "xn--":
            return None
        else:
            try:
                encoded = "xn--" + label.encode("punycode").decode("ascii")
            except UnicodeError:
                return None
        if not 1 <= len(encoded) <= MAX_LABEL_LENGTH:
            return None
        labels.append(encoded)
    return ".".join(labels)


def _valid_domain(url_length: int, domain: str, *, has_protocol: bool) -> bool:
    encoded = _ascii_domain(domain)
    if encoded is None:
        return False
    url_length += max(0, len(encoded) - len(domain))
    if not has_protocol:
        url_length += len("https://")
    return url_length <= MAX_URL_LENGTH


def extract_urls(text: str, *, without_protocol: bool = True) -> list[UrlEntity]:
    """URLs as twitter-text's extractor finds them, with code-point indices into `text`.

    `without_protocol=False` keeps only `http(s)://` URLs (Mastodon's setting)."""
    if ("." if without_protocol else ":") not in text:
        return []
    found: list[UrlEntity] = []
    for m in _url_matches(text):
        before, url, protocol, domain, path = m.group(1, 2, 3, 4, 5)
        start, end = m.start(2), m.end(2)
        if protocol is None:
            if not without_protocol or before in _BAD_BEFORE_BARE_DOMAIN:
                continue
            last: UrlEntity | None = None
            ascii_starts = _ascii_domain_starts(domain)
            for a in _scan(_ASCII_DOMAIN, domain, ascii_starts.__getitem__):
                if _valid_domain(len(url), a.group(), has_protocol=False):
                    last = UrlEntity(start + a.start(), start + a.end(), a.group())
                    found.append(last)
            if last is not None and path:
                found[-1] = UrlEntity(last.start, end, url.replace(domain, last.url, 1))
            continue
        tco = _TCO.match(url)
        if tco:
            if len(tco.group(1)) > MAX_TCO_SLUG_LENGTH:
                continue
            url = tco.group()
            end = start + len(url)
        if _valid_domain(len(url), domain, has_protocol=True):
            found.append(UrlEntity(start, end, url))
    return found


# --- weighted length --------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class TweetLength:
    """`parseTweet`'s answer. Ranges are inclusive UTF-16 indices into the original text."""

    weighted_length: int
    valid: bool
    permillage: int
    valid_range_start: int
    valid_range_end: int
    display_range_start: int
    display_range_end: int


def parse(text: str, config: Config = DEFAULT) -> TweetLength:
    normalized = unicodedata.normalize("NFC", text)
    url_ends = {u.start: u.end for u in extract_urls(normalized)}
    emoji_ends: dict[int, int] = {}
    if config.emoji_parsing:
        emoji_ends = {s: e for s, e in cluster_spans(normalized)
                      if is_emoji_cluster(normalized[s:e])}
    limit = config.max_weighted_length * config.scale
    total = 0
    valid = True
    units = 0  # UTF-16 units consumed so far
    valid_end = 0
    i = 0
    while i < len(normalized):
        if i in url_ends:
            j = url_ends[i]
            total += config.transformed_url_length * config.scale
        elif i in emoji_ends:
            j = emoji_ends[i]
            total += config.default_weight
        else:
            j = i + 1
            total += config.weight(ord(normalized[i]))
        units += utf16_len(normalized[i:j])
        if valid and normalized[j - 1] in INVALID_CHARACTERS:
            valid = False
        if valid and total <= limit:
            valid_end = units - 1
        i = j
    original_units = utf16_len(text)
    return TweetLength(
        weighted_length=total // config.scale,
        valid=valid and 0 < total <= limit,
        permillage=total * 1000 // limit,
        valid_range_start=0,
        valid_range_end=valid_end + original_units - units,
        display_range_start=0,
        display_range_end=max(original_units - 1, 0),
    )


_NO_EMOJI_BELOW = 0x2000
"""No emoji cluster is made only of code points below this: the few pictographs under it
(©, ®) read as emoji only with U+FE0F, and keycaps need U+20E3."""
_TABLES: dict[int, list[int]] = {}


def _table(config: Config) -> list[int]:
    """Weight of every code point below _NO_EMOJI_BELOW under `config`, computed once."""
    table = _TABLES.get(id(config))
    if table is None:
        table = _TABLES[id(config)] = [config.weight(cp) for cp in range(_NO_EMOJI_BELOW)]
    return table


def weighted_length(text: str, config: Config = DEFAULT) -> int:
    """X's count for `text`: 280 is the limit under v2/v3.

    The same count as :func:`parse` without its ranges, and fast: a run of text between
    URLs whose code points are all below U+2000 cannot hold an emoji, so it is summed from a
    weight table; only other runs are split into grapheme clusters (validation measures
    every post on every X channel)."""
    normalized = unicodedata.normalize("NFC", text)
    table = _table(config)
    urls = extract_urls(normalized)
    total = len(urls) * config.transformed_url_length * config.scale
    starts = [0] + [u.end for u in urls]
    ends = [u.start for u in urls] + [len(normalized)]
    for start, end in zip(starts, ends, strict=True):
        piece = normalized[start:end]
        if not piece:
            continue
        if ord(max(piece)) < _NO_EMOJI_BELOW:
            total += sum(map(table.__getitem__, map(ord, piece)))
            continue
        # Runs of plain code points (below U+0300, but not the pictographs (c) and (r)) never
        # extend or join a cluster, so they are summed from the table; only the text between
        # them, plus the last plain character before it (a keycap's base), is segmented.
        if _PREPEND.search(piece):  # a Prepend character joins the plain one after it
            total += _clustered(piece, config, table)
            continue
        pos = 0
        for run in _PLAIN_RUN.finditer(piece):
            start, end = run.span()
            if end < len(piece):
                end -= 1
            if start > pos:
                total += _clustered(piece[pos:start], config, table)
            total += sum(map(table.__getitem__, map(ord, piece[start:end])))
            pos = max(pos, end)
        total += _clustered(piece[pos:], config, table)
    return total // config.scale


_UTF16 = "utf-16-le" if sys.byteorder == "little" else "utf-16-be"
_BOUND_TABLES: dict[int, list[int]] = {}


def _bound_table(config: Config) -> list[int]:
    """Per UTF-16 unit, what :func:`length_bound` counts: the weight below
    :data:`_NO_EMOJI_BELOW`, at least ``default_weight`` above it; a surrogate pair counts
    nothing for its high half and, for its low half, at least the weight twitter-text gives
    the pair (see :meth:`Config.weight`)."""
    table = _BOUND_TABLES.get(id(config))
    if table is None:
        table = [config.default_weight] * 0x10000
        table[:_NO_EMOJI_BELOW] = _table(config)
        for r in config.ranges:
            low, high = max(r.start, _NO_EMOJI_BELOW), min(r.end, 0xFFFF)
            if low <= high and r.weight > config.default_weight:
                table[low:high + 1] = [r.weight] * (high + 1 - low)
        table[0xD800:0xDC00] = [0] * 0x400
        table[0xDC00:0xE000] = [max(config.weight(u), config.default_weight)
                                for u in range(0xDC00, 0xE000)]
        _BOUND_TABLES[id(config)] = table
    return table


def length_bound(text: str, config: Config = DEFAULT) -> int:
    """An upper bound of :func:`weighted_length`, at the cost of one pass over the code
    points: validation measures every post on every X channel, and most are well within the
    limit, so the exact count (URL extraction, grapheme clusters) is needed only near it.

    Why it bounds: each URL weighs ``transformed_url_length`` and has a dot of its own in its
    domain, so URLs add at most that much per dot, and the code points they replace only
    weighed more in this sum; an emoji cluster weighs ``default_weight`` and holds a code
    point at or above U+2000 (see :data:`_NO_EMOJI_BELOW`), counted here at no less than
    ``default_weight``; any other code point weighs what it weighs."""
    normalized = unicodedata.normalize("NFC", text)
    try:
        units = array("H", normalized.encode(_UTF16))
    except UnicodeEncodeError:  # a lone surrogate: weigh each code point on its own
        table = _table(config)
        total = sum(table[cp] if cp < _NO_EMOJI_BELOW
                    else max(config.weight(cp), config.default_weight)
                    for cp in map(ord, normalized))
    else:
        total = sum(map(_bound_table(config).__getitem__, units))
    dots = normalized.count(".") + normalized.count("\u3002") + normalized.count("\uff0e")
    total += dots * config.transformed_url_length * config.scale
    return total // config.scale


_PLAIN_RUN = re.compile("[\x00-\xa8\xaa-\xad\xaf-\u02ff]+")
_PREPEND = regex.compile(r"\p{Grapheme_Cluster_Break=Prepend}")


def _clustered(text: str, config: Config, table: list[int]) -> int:
    total = 0
    for cluster in clusters(text):
        if len(cluster) == 1 and cluster < "\u2000":
            total += table[ord(cluster)]
        elif config.emoji_parsing and is_emoji_cluster(cluster):
            total += config.default_weight
        else:
            total += sum(config.weight(ord(ch)) for ch in cluster)
    return total


def is_valid(text: str, config: Config = DEFAULT) -> bool:
    """Non-empty, within the limit, and free of U+FFFE, U+FEFF and U+FFFF."""
    return parse(text, config).valid
