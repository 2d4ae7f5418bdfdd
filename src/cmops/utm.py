"""UTM tagging and its inverse, in one place: the parameters a campaign's links carry
(:func:`utm_for`, :func:`tag_url`, :func:`tag_text`, used by :mod:`cmops.render`), and the
pattern of ``utm_campaign`` values that finds those links again in analytics
(:func:`campaign_pattern`, used by GA4 and the site). Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from cmops.model import Campaign, Post

_PLACEHOLDER = re.compile(r"\{(network|channel|post|campaign)\}")

# An http(s) URL in running text, stopping at whitespace and at characters that cannot end
# one; trailing punctuation is trimmed afterwards (a sentence's full stop is not the URL's).
_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?…'\"»"
_CLOSERS = {")": "(", "]": "[", "}": "{"}
_PLAIN_URL = re.compile(r"https?://[!$-<>=@A-Z\\^-z|~]*")
"""A lowercase http(s) URL of printable ASCII without "?", "#", "[", "]", "{", "}" or a
space, which :func:`tag_url` tags without parsing."""


def find_urls(text: str) -> list[tuple[int, int]]:
    """(start, end) code-point spans of the http(s) URLs in ``text``."""
    spans = []
    for match in _URL.finditer(text):
        start, end = match.span()
        while end > start:
            last = text[end - 1]
            if last in _TRAILING:
                end -= 1
            elif last in _CLOSERS and text.count(_CLOSERS[last], start, end) < text.count(
                    last, start, end):
                end -= 1  # "(see https://x.example/a)" keeps the ")" outside
            else:
                break
        spans.append((start, end))
    return spans


@dataclass(frozen=True, slots=True)
class Utm:
    source: str
    medium: str
    campaign: str
    content: str | None = None

    def params(self) -> list[tuple[str, str]]:
        out = [("utm_source", self.source), ("utm_medium", self.medium),
               ("utm_campaign", self.campaign)]
        if self.content:
            out.append(("utm_content", self.content))
        return out

    def query(self) -> str:
        return _encoded(self.source, self.medium, self.campaign, self.content)


@lru_cache(maxsize=4096)
def _encoded(source: str, medium: str, campaign: str, content: str | None) -> str:
    # A plan renders every post on every channel: the same few parameter sets, encoded once.
    params = [("utm_source", source), ("utm_medium", medium), ("utm_campaign", campaign)]
    if content:
        params.append(("utm_content", content))
    return urlencode(params)


def utm_for(post: Post, campaign: Campaign | None, channel: str, network: str) -> Utm | None:
    """The campaign's UTM parameters for this post on this channel, or None (no campaign,
    campaign without utm, or the post opted out with ``utm: false``)."""
    if campaign is None or not campaign.utm or not post.utm:
        return None
    values = {"network": network, "channel": channel, "post": post.id,
              "campaign": campaign.id}

    def fill(template: str) -> str:
        if "{" not in template:
            return template
        for name, value in values.items():
            template = template.replace("{" + name + "}", value)
        return template

    return Utm(
        source=fill(campaign.utm.get("source", "{network}")),
        medium=fill(campaign.utm.get("medium", "social")),
        campaign=fill(campaign.utm.get("campaign", campaign.id)),
        content=fill(campaign.utm["content"]) if "content" in campaign.utm else None,
    )


@lru_cache(maxsize=16384)
def tag_url(url: str, utm: Utm) -> str:
    """Add UTM parameters, keeping existing query parameters and the fragment; a URL that
    already carries any utm_* parameter is left exactly as written (never double-tagged).

    Memoised: a pure function of its two arguments (``Utm`` is frozen), and rendering tags
    the same link for the text and for the card, channel after channel."""
    if _PLAIN_URL.fullmatch(url):
        # No query, fragment, brackets, spaces or controls: what urlsplit/urlunsplit give,
        # without them (the path, when missing, becomes "/").
        slash = url.find("/", url.index("://") + 3)
        return f"{url if slash != -1 else url + '/'}?{utm.query()}"
    return _tag_parsed(url, utm)


def _tag_parsed(url: str, utm: Utm) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(key.lower().startswith("utm_") for key, _ in query):
        return url
    new_query = parts.query + ("&" if parts.query else "") + utm.query()
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", new_query,
                       parts.fragment))


def tag_text(text: str, utm: Utm | None) -> str:
    """``text`` with every http(s) URL in it tagged (see :func:`tag_url`)."""
    if utm is None or "://" not in text:
        return text
    return _tagged_text(text, utm)


@lru_cache(maxsize=16384)
def _tagged_text(text: str, utm: Utm) -> str:
    # Each distinct (text, parameters) is tagged once: a thread part or first comment that
    # many posts share, or the same text on channels whose tags are the same.
    out, last = [], 0
    for start, end in find_urls(text):
        out.append(text[last:start])
        out.append(tag_url(text[start:end], utm))
        last = end
    out.append(text[last:])
    return "".join(out)


def _escape(text: str) -> str:
    # Only the characters both Python's re and GA4's RE2 treat as syntax.
    return re.sub(r"([\\.^$|?*+()\[\]{}])", r"\\\1", text)


def campaign_pattern(campaign: Campaign) -> tuple[str, bool] | None:
    """(pattern, has a wildcard) of the ``utm_campaign`` values the campaign's links carry,
    or None when they carry no UTM tags (the rule of :func:`utm_for`)."""
    if not campaign.utm:
        return None
    template = campaign.utm.get("campaign", campaign.id)
    out, last, wildcard = [], 0, False
    for match in _PLACEHOLDER.finditer(template):
        out.append(_escape(template[last:match.start()]))
        if match[1] == "campaign":
            out.append(_escape(campaign.id))
        else:
            out.append(".+")  # {network}, {channel}, {post}: one value per post or channel
            wildcard = True
        last = match.end()
    out.append(_escape(template[last:]))
    return "".join(out), wildcard


def campaign_matcher(campaign: Campaign) -> re.Pattern[str] | None:
    """Matches the GA4 ``sessionCampaignName`` values of the campaign's links (None: its
    links are not tagged, no visit can be attributed to it)."""
    found = campaign_pattern(campaign)
    return re.compile(found[0], re.IGNORECASE) if found else None
