"""How Mastodon turns a local plain-text status into the HTML ``content`` its API answers
(docs.joinmastodon.org/entities/Status/#content: "HTML-encoded status content"), after
upstream ``app/lib/text_formatter.rb``:

- the text is stripped; every run of two or more newlines starts a new ``<p>``, a single newline
  is ``<br />`` (Rails' ``simple_format``, with the newlines then deleted);
- text outside links is escaped (``&`` ``<`` ``>`` ``"`` ``'``, the last as ``&#39;``);
- a URL becomes ``<a href>`` holding three spans: the scheme (and ``www.``) ``invisible``, the
  next 30 characters (class ``ellipsis`` when more follow), the rest ``invisible``;
- ``#tag`` becomes ``<a class="mention hashtag" rel="tag">#<span>tag</span></a>``;
- ``@user`` and ``@user@domain`` of a known account become an ``h-card`` link showing
  ``@<span>user</span>``: the domain is not shown.

URLs are found with a simpler pattern than Mastodon's twitter-text extractor (``http(s)://``
up to whitespace, trailing punctuation left out), which is enough for the texts tests send.
"""

from __future__ import annotations

import re

_ENTITY = re.compile(
    r"(?P<url>https?://[^\s<>\"]*[^\s<>\".,;:!?)'\]])"
    r"|(?<![=/\w])@(?P<user>\w+(?:[\w.-]*\w)?)(?:@(?P<domain>[\w-]+(?:\.[\w-]+)+))?"
    r"|(?<![=/)\w])#(?P<tag>\w*[^\W\d_]\w*)")
_PREFIX = re.compile(r"\Ahttps?://(www\.)?")


def escape(text: str) -> str:
    """ERB's ``h``: what Mastodon escapes in status text."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))


def _link(url: str) -> str:
    prefix = _PREFIX.match(url)
    head = prefix[0] if prefix else ""
    rest = url[len(head):]
    shown, hidden = rest[:30], rest[30:]
    return (f'<a href="{escape(url)}" target="_blank" rel="nofollow noopener noreferrer" '
            f'translate="no"><span class="invisible">{escape(head)}</span><span class="'
            f'{"ellipsis" if hidden else ""}">{escape(shown)}</span><span class="invisible">'
            f"{escape(hidden)}</span></a>")


def _entity(match: re.Match[str], base: str) -> str:
    if match["url"]:
        return _link(match["url"])
    if match["tag"]:
        tag = match["tag"]
        return (f'<a href="{base}/tags/{escape(tag.lower())}" class="mention hashtag" '
                f'rel="tag">#<span>{escape(tag)}</span></a>')
    user, domain = match["user"], match["domain"]
    where = f"https://{domain}/@{user}" if domain else f"{base}/@{user}"
    return (f'<span class="h-card" translate="no"><a href="{escape(where)}" '
            f'class="u-url mention">@<span>{escape(user)}</span></a></span>')


def to_html(text: str, base: str) -> str:
    """``text`` as Mastodon renders a local status's ``content``; ``base`` is the server's URL
    (for hashtag and local mention links)."""
    paragraphs = re.split(r"\n{2,}", text.strip().replace("\r\n", "\n").replace("\r", "\n"))
    out = []
    for paragraph in paragraphs:
        html, last = [], 0
        for match in _ENTITY.finditer(paragraph):
            html += [escape(paragraph[last:match.start()]), _entity(match, base)]
            last = match.end()
        html.append(escape(paragraph[last:]))
        out.append("<p>" + "".join(html).replace("\n", "<br />") + "</p>")
    return "".join(out)
