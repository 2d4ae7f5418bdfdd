"""What a post's ``reply_to:`` names: a message on one network, read from its URL. Pure.

A reply goes through review like any post: its file says which message it answers by the
URL a community manager copies from the network (or that ``cmops inbox`` lists). This module
reads that URL for each network and says what it names; validation refuses a URL the
channel's network cannot answer, and the adapter looks the message up from the same reading.

URL forms (each network's own permalinks)::

    bluesky    https://bsky.app/profile/<handle or did>/post/<rkey>, at://<did>/app.bsky.feed.post/<rkey>
    mastodon   https://<host>/@<user>/<id>, https://<host>/@<user>@<domain>/<id>,
               https://<host>/users/<user>/statuses/<id>
    x          https://x.com/<user>/status/<id> (twitter.com, mobile. and www. alike)
    threads    https://www.threads.net/@<user>/post/<code> (threads.com alike)
    instagram  https://www.instagram.com/p/<code>/c/<comment id>/ (a comment), .../p/<code>/
    facebook   https://www.facebook.com/<page>/posts/<post>?comment_id=<id> (a comment),
               .../posts/<post>
    linkedin   https://www.linkedin.com/feed/update/urn:li:<activity|share|ugcPost>:<n>/
               with ?commentUrn=urn:li:comment:(...) for a comment
    telegram   https://t.me/<channel>/<message id>
    outbox     any http(s) URL (the local channel records the answer, nothing more)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = ["BadReplyUrl", "Target", "parse"]


class BadReplyUrl(ValueError):
    """The URL names no message this network's replies can answer; ``str()`` says what
    form is expected."""


@dataclass(frozen=True, slots=True)
class Target:
    """The message a reply answers, as far as its URL tells."""

    network: str
    url: str
    id: str
    """What the network's API calls it, where the URL carries it: an X post id, a Mastodon
    status id (on ``host``), a Bluesky record key, a Telegram message id, a comment's id or
    URN; empty when only a lookup finds it (a Threads post's ``code``, a post URL)."""
    author: str = ""
    """Whose it is, where the URL says: a Bluesky handle or DID, a Mastodon or X account, a
    Telegram channel."""
    host: str = ""
    """The server the URL is on (Mastodon: the instance holding the status)."""
    post: str = ""
    """The post a comment is under (Facebook post id, Instagram or Threads shortcode,
    LinkedIn URN), or a post's shortcode when the URL names a post."""
    comment: bool = False
    """Whether the URL names a comment rather than a post."""


_HOSTS = {
    "x": {"x.com", "twitter.com", "mobile.twitter.com", "mobile.x.com"},
    "bluesky": {"bsky.app"},
    "threads": {"threads.net", "threads.com"},
    "instagram": {"instagram.com"},
    "facebook": {"facebook.com", "m.facebook.com", "web.facebook.com"},
    "linkedin": {"linkedin.com"},
    "telegram": {"t.me", "telegram.me"},
}
_DIGITS = re.compile(r"[0-9]{1,25}")
_HANDLE = re.compile(r"[A-Za-z0-9_.:-]{1,253}")
_RKEY = re.compile(r"[A-Za-z0-9._:~-]{1,512}")
_CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_MAX = 2000

_FORMS = {
    "bluesky": "https://bsky.app/profile/<handle>/post/<rkey>",
    "mastodon": "https://<instance>/@<user>/<status id>",
    "x": "https://x.com/<user>/status/<id>",
    "threads": "https://www.threads.net/@<user>/post/<code>",
    "instagram": "https://www.instagram.com/p/<code>/c/<comment id>/",
    "facebook": "https://www.facebook.com/<page>/posts/<post>?comment_id=<id>",
    "linkedin": "https://www.linkedin.com/feed/update/urn:li:activity:<n>/",
    "telegram": "https://t.me/<channel>/<message id>",
}


def _host(netloc: str) -> str:
    host = netloc.rsplit("@", 1)[-1].split(":", 1)[0].lower()
    return host[4:] if host.startswith("www.") else host


def parse(network: str, url: str) -> Target:
    """What ``url`` names on ``network``; raises :class:`BadReplyUrl` when it names nothing
    a reply from that network can answer."""
    form = _FORMS.get(network, "an http(s) URL")
    if not isinstance(url, str) or any(c.isspace() for c in url):
        raise BadReplyUrl(f"reply_to must be one URL without spaces, like {form}")
    if len(url) > _MAX:
        raise BadReplyUrl(f"reply_to is {len(url)} characters long, more than the {_MAX} a "
                          f"message's URL takes; expected {form}")
    if not all("!" <= c <= "~" for c in url):
        # a control character would reach terminals and logs; other characters are sent
        # percent-encoded, as a browser copies them
        raise BadReplyUrl("reply_to must be written in visible ASCII characters (percent-"
                          f"encode any other), like {form}")
    if network == "bluesky" and url.startswith("at://"):
        m = re.fullmatch(r"at://(did:[a-z]+:[A-Za-z0-9._:%-]+)/app\.bsky\.feed\.post/(\S+)",
                         url)
        if not m or not _RKEY.fullmatch(m[2]):
            raise BadReplyUrl(f"not a Bluesky post's AT URI (at://<did>/app.bsky.feed.post/"
                              f"<rkey>) nor {form}")
        return Target(network, url, m[2], author=m[1])
    parts = urlsplit(url)
    if parts.scheme != "https" and not (network == "outbox" and parts.scheme == "http"):
        raise BadReplyUrl(f"reply_to must be an https URL, like {form}")
    host = _host(parts.netloc)
    if not host:
        raise BadReplyUrl(f"reply_to has no host; expected {form}")
    path = [unquote(p) for p in parts.path.split("/") if p]
    query = parse_qs(parts.query)
    if network == "outbox":
        return Target(network, url, url, host=host)
    expected = _HOSTS.get(network)
    if expected is not None and host not in expected:
        raise BadReplyUrl(f"{host} is not {network}: {network} answers only its own posts' "
                          f"URLs, like {form}")
    found = _read(network, host, path, query, url)
    if found is None:
        raise BadReplyUrl(f"not the URL of a {network} post or comment; expected {form}")
    return found


def _read(network: str, host: str, path: list[str], query: dict[str, list[str]],
          url: str) -> Target | None:
    if network == "bluesky":
        if len(path) == 4 and path[0] == "profile" and path[2] == "post" and \
                _HANDLE.fullmatch(path[1]) and _RKEY.fullmatch(path[3]):
            return Target(network, url, path[3], author=path[1], host=host)
    elif network == "mastodon":
        if len(path) == 2 and path[0].startswith("@") and _DIGITS.fullmatch(path[1]):
            return Target(network, url, path[1], author=path[0][1:], host=host)
        if len(path) == 4 and path[0] == "users" and path[2] == "statuses" and \
                _DIGITS.fullmatch(path[3]):
            return Target(network, url, path[3], author=path[1], host=host)
    elif network == "x":
        if len(path) >= 3 and path[1] == "status" and _DIGITS.fullmatch(path[2]):
            return Target(network, url, path[2], author=path[0], host=host)
        if len(path) >= 4 and path[:2] == ["i", "web"] and path[2] == "status" and \
                _DIGITS.fullmatch(path[3]):
            return Target(network, url, path[3], host=host)
    elif network == "threads":
        if len(path) == 3 and path[0].startswith("@") and path[1] == "post" and \
                _CODE.fullmatch(path[2]):
            return Target(network, url, "", author=path[0][1:], host=host, post=path[2])
    elif network == "instagram":
        if len(path) >= 2 and path[0] in ("p", "reel", "reels") and _CODE.fullmatch(path[1]):
            if len(path) >= 4 and path[2] == "c" and _DIGITS.fullmatch(path[3]):
                return Target(network, url, path[3], host=host, post=path[1], comment=True)
            if len(path) == 2:
                return Target(network, url, "", host=host, post=path[1])
    elif network == "facebook":
        comment = (query.get("reply_comment_id") or query.get("comment_id") or [""])[0]
        post = ""
        if len(path) == 3 and path[1] in ("posts", "videos") and _CODE.fullmatch(path[2]):
            post = path[2]
        elif path == ["permalink.php"] and _DIGITS.fullmatch(
                (query.get("story_fbid") or [""])[0]):
            post = query["story_fbid"][0]
        if post and (not comment or _DIGITS.fullmatch(comment)):
            return Target(network, url, comment, host=host, post=post, comment=bool(comment))
    elif network == "linkedin":
        if len(path) == 3 and path[:2] == ["feed", "update"] and re.fullmatch(
                r"urn:li:(activity|share|ugcPost):[0-9]{1,25}", path[2]):
            comment = (query.get("commentUrn") or [""])[0]
            if comment and not re.fullmatch(r"urn:li:comment:\([^()\s]{1,200}\)", comment):
                return None
            return Target(network, url, comment, host=host, post=path[2],
                          comment=bool(comment))
    elif network == "telegram" and len(path) == 2 and _HANDLE.fullmatch(path[0]) and \
            _DIGITS.fullmatch(path[1]):
        return Target(network, url, path[1], author=path[0], host=host)
    return None
