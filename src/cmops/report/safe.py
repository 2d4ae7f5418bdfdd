"""Untrusted text on its way into a page: the one place it is made inert.

Everything that comes from the calendar's YAML, the ledger or a network (post text, campaign
names, alt text, error messages, mention authors, URLs) is hostile. Python-Markdown does not
sanitise, MkDocs does not autoescape its Jinja templates, and Markdown turns ``[x](...)``
into links: so text is never handed to Markdown as Markdown. The site writes it inside raw
HTML blocks cmops builds itself, after :func:`safe_text` has

* escaped HTML (``& < > " '``), so no tag or attribute can start;
* encoded line breaks, so content can never start a Markdown line (a heading, a list, a
  table row, a ``--8<--`` snippet line) or end the HTML block around it;
* replaced every character that starts inline Markdown, an extension's inline syntax
  (attribute lists, ``~~``, ``^^``, ``==``, emoji ``:x:``) or a Jinja expression with a numeric
  character reference, which browsers show as the character and nothing interprets. Since
  no content can begin a line, characters that only matter there (``#``, ``-``, ``+``,
  ``.``, ``|``) stay as they are: encoding them would only make pages heavier to build;
* replaced control and bidirectional-override characters (which can hide text or break the
  stash markers Python-Markdown uses internally) with U+FFFD.

URLs become links only when :func:`safe_url` accepts them (``http``/``https`` with a host and
nothing odd in them); any other scheme is shown as text.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from markupsafe import Markup, escape

# HTML (& < > " '), inline Markdown (\ ` * _ [ ]), attr_list and Jinja ({ } %), pymdownx
# inline syntax (~ ^ = :), arithmatex ($). Line-start syntax is impossible: see above.
_ACTIVE = "&<>\"'\\`*_[]{}%~^=:$"
_BIDI = {"\u061c", "\u200e", "\u200f", *map(chr, range(0x202A, 0x202F)),
         *map(chr, range(0x2066, 0x206A))}
_TABLE = {ord(ch): f"&#{ord(ch)};" for ch in _ACTIVE}
_TABLE[ord("\n")] = "&#10;"
_TABLE[ord("\r")] = ""
_TABLE[ord("\t")] = " "
for _code in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]:
    _TABLE[_code] = "\ufffd"
for _ch in _BIDI:
    _TABLE[ord(_ch)] = "\ufffd"
_TABLE[ord("\u2028")] = "&#10;"
_TABLE[ord("\u2029")] = "&#10;"
# Most strings (ids, labels, dates, many post texts) hold none of these: one C-level search
# then spares them the per-character translation.
_ANY_ACTIVE = re.compile("[" + "".join(re.escape(chr(code)) for code in sorted(_TABLE)) + "]")

_ENCODED = {chr(code): str(value) for code, value in _TABLE.items()}


def _encode(found: re.Match[str]) -> str:
    # A regex substitution touches only the characters found: str.translate with a dict
    # looks every character of a long text up.
    return _ENCODED[found.group()]


trusted: Callable[[str], Markup] = functools.partial(str.__new__, Markup)
"""``Markup(text)`` for a ``str`` already safe, without ``Markup.__new__``'s Python-level
check for ``__html__``: a page of ten thousand posts makes millions of fragments. Only for
text built here or in :mod:`cmops.report.html` from escaped pieces."""


def safe_text(value: object) -> Markup:
    """Any value as inert text for an HTML element or attribute of a generated page.

    The result contains no ``<``, ``>``, quote, ``&`` other than the start of a character
    reference cmops wrote, no Markdown or Jinja syntax, and no line break.
    """
    text = value if isinstance(value, str) else "" if value is None else str(value)
    if _ANY_ACTIVE.search(text) is None:
        return trusted(text)
    return trusted(_ANY_ACTIVE.sub(_encode, text))


def fill(template: Markup, *values: object) -> Markup:
    """``template`` (``%s`` fields) with each value escaped, unless it is Markup already:
    what ``template % values`` (and ``Markup.format``) does, without a helper object and a
    Python-level escape call per value, which counts on pages that hold ten thousand
    posts."""
    return trusted(str.__mod__(template, tuple(
        v if type(v) is Markup else escape(v) for v in values)))


def join(separator: Markup, parts: Iterable[object]) -> Markup:
    """``separator.join(parts)``, each part escaped unless it is Markup already (what
    ``Markup.join`` does, faster)."""
    return trusted(str.join(separator, [
        v if type(v) is Markup else escape(v) for v in parts]))


_PLAIN_URL = re.compile(r"[!#-&(-;=?-\[\]-_a-~]*")


def safe_url(value: object) -> str | None:
    """``value`` if it is an absolute http(s) URL with a host and no whitespace, control or
    quote characters; otherwise None (the caller shows it as text, never as a link)."""
    if not isinstance(value, str) or len(value) > 2048:
        return None
    # Printable ASCII but for quotes, <, > and backslash: nothing to look at one by one.
    if not _PLAIN_URL.fullmatch(value) and any(
            ch.isspace() or unicodedata.category(ch)[0] == "C" or ch in "\"'<>`\\"
            for ch in value):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if not value.lower().startswith(("http://", "https://")):
        return None
    return value


def safe_link(url: object, label: object = None, *, cls: str = "") -> Markup:
    """An ``<a>`` to ``url`` if it is a safe http(s) URL, else the label and the URL as text.

    External links open nothing with the site's privileges: ``rel="noopener noreferrer
    nofollow ugc"``.
    """
    href = safe_url(url)
    if href is None:
        # Not a link we would follow: show what it is, as text.
        shown_url = (fill(Markup('<span class="cm-unsafe-url">%s</span>'), safe_text(url))
                     if url else Markup())
        if label is None:
            return shown_url
        return trusted(fill(Markup("%s %s"), safe_text(label), shown_url).rstrip())
    shown = safe_text(label if label is not None else url)
    klass = fill(Markup(' class="%s"'), cls) if cls else Markup()
    return fill(Markup('<a%s href="%s" rel="noopener noreferrer nofollow ugc">%s</a>'),
                klass, safe_text(href), shown)


_TITLE_KEEP = set(" .,;:!?'’()/-–—")


def plain_title(value: object, limit: int = 80) -> str:
    """A title for front matter (MkDocs puts it into ``<title>`` and headers unescaped):
    letters, digits, spaces and harmless punctuation only."""
    text = value if isinstance(value, str) else ""
    kept = "".join(ch if (ch.isalnum() or ch in _TITLE_KEEP) else " " for ch in text)
    kept = " ".join(kept.split())
    return kept if len(kept) <= limit else kept[: limit - 1].rstrip() + "…"


_SLUG_OK = re.compile(r"[a-z0-9][a-z0-9-]{0,59}")
RESERVED = frozenset({"index", "standby", "data", "media", "assets"})


def slug(value: str) -> str:
    """A file- and URL-safe name for an id: the id itself when it already is one (stable
    bookmarks), else a cleaned form plus a short hash so two ids never share a name."""
    if _SLUG_OK.fullmatch(value) and value not in RESERVED:
        return value
    cleaned = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")[:48] or "x"
    return f"{cleaned}-{hashlib.sha256(value.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"


_COLOR = re.compile(r"#[0-9A-Fa-f]{6}")


def safe_color(value: object) -> str | None:
    """A ``#RRGGBB`` colour, the only form that may reach a style attribute."""
    return value if isinstance(value, str) and _COLOR.fullmatch(value) else None
