"""A strict loopback Bluesky AppView, the read side cmops collect uses.

:class:`Index` is what an AppView has indexed: profiles, posts (``postView`` with
``likeCount``, ``replyCount``, ``repostCount``, ``quoteCount``), reply threads and each
account's notifications. Two servers answer from it:

- :class:`FakeAppView`, the public AppView (``public.api.bsky.app``): unauthenticated
  ``getPosts``, ``getProfile`` and ``getPostThread``; ``listNotifications`` needs a session
  (401 ``AuthMissing``) and ``searchPosts`` is refused to the public (403, atproto#3423).
- :class:`FakeBlueskyRead`, the PDS of :mod:`tests.fakes.bluesky` proxying every
  ``app.bsky.*`` query to its AppView with the session's account as viewer; ``upstream``
  set to 502 or 501 answers them as a PDS with no AppView (``UpstreamFailure``) or a server
  without the method (``MethodNotImplemented``).

What it enforces (lexicons ``app.bsky.feed.getPosts``, ``actor.getProfile``,
``feed.getPostThread``, ``notification.listNotifications``, ``feed.searchPosts``): only
known parameters (stricter than the real servers, so a misspelt one shows), required ones
present, ``getPosts`` 1 to 25 at-uris, ``limit`` 1-100, ``sort`` top|latest, datetimes that
parse. Notifications are listed newest first by ``indexedAt`` with an opaque ``cursor`` to
the older ones, filtered by ``reasons``; ``isRead`` compares with ``seenAt`` (the
parameter, else the last ``updateSeen``), and the answer carries ``seenAt``. Search matches
every word of ``q`` in the text, ``since``/``until`` bound ``indexedAt`` (inclusive /
exclusive), ``sort=latest`` is newest first, and the ``cursor`` is an offset. Errors have
the XRPC shape ``{"error": Name, "message": text}``.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator, Set
from contextlib import contextmanager
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from tests.fakes.bluesky import FakeBluesky, XrpcError
from tests.fakes.loopback import reply_json, running, serve

POST = "app.bsky.feed.post"
REASONS = {"like", "repost", "follow", "mention", "reply", "quote", "starterpack-joined",
           "verified", "unverified", "like-via-repost", "repost-via-repost", "subscribed-post"}
QUERIES = {"app.bsky.feed.getPosts", "app.bsky.actor.getProfile", "app.bsky.feed.getPostThread",
           "app.bsky.notification.listNotifications", "app.bsky.feed.searchPosts"}


def _time(value: str, name: str) -> datetime:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise XrpcError(400, "InvalidRequest", f"{name} must be a valid datetime") from None


def _params(q: dict[str, list[str]], known: Set[str], required: Set[str] = frozenset(),
            lists: Set[str] = frozenset()) -> dict[str, Any]:
    if set(q) - known:
        raise XrpcError(400, "InvalidRequest", f"unknown parameters {sorted(set(q) - known)}")
    for name in required - set(q):
        raise XrpcError(400, "InvalidRequest", f"Error: Params must have the property "
                                               f"\"{name}\"")
    for name, values in q.items():
        if name not in lists and len(values) > 1:
            raise XrpcError(400, "InvalidRequest", f"{name} must not be repeated")
    return {k: (v if k in lists else v[0]) for k, v in q.items()}


def _limit(p: dict[str, Any], default: int) -> int:
    try:
        limit = int(p.get("limit", default))
    except ValueError:
        raise XrpcError(400, "InvalidRequest", "limit must be an integer") from None
    if not 1 <= limit <= 100:
        raise XrpcError(400, "InvalidRequest", "limit can not be greater than 100 or less "
                                               "than 1")
    return limit


class Index:
    """What the AppView knows. Times are ISO strings; the fake never reads the clock."""

    def __init__(self) -> None:
        self.profiles: dict[str, dict[str, Any]] = {}
        self.posts: dict[str, dict[str, Any]] = {}
        """at-uri -> postView, in creation order."""
        self.replies: dict[str, list[str]] = {}
        self.notifications: dict[str, list[dict[str, Any]]] = {}
        self.seen: dict[str, str] = {}
        self.lock = threading.Lock()

    # -- scripting ---------------------------------------------------------------------------
    def profile(self, did: str, handle: str, *, name: str = "", followers: int = 0) -> None:
        self.profiles[did] = {"did": did, "handle": handle, "displayName": name or handle,
                              "followersCount": followers, "followsCount": 7,
                              "postsCount": 0, "labels": []}

    def _basic(self, did: str) -> dict[str, Any]:
        p = self.profiles[did]
        return {"did": did, "handle": p["handle"], "displayName": p["displayName"],
                "labels": []}

    def post(self, did: str, text: str, at: str, *, rkey: str | None = None,
             reply_to: str | None = None, quote: str | None = None, likes: int = 0,
             reposts: int = 0, quotes: int = 0) -> str:
        """Index a post by ``did`` (a known profile); returns its at-uri."""
        rkey = rkey or f"3kfake{len(self.posts):07d}"
        uri = f"at://{did}/{POST}/{rkey}"
        record: dict[str, Any] = {"$type": POST, "text": text, "createdAt": at, "langs": ["fr"]}
        if reply_to:
            parent = self.posts[reply_to]
            root = parent["record"].get("reply", {}).get("root") or {
                "uri": reply_to, "cid": parent["cid"]}
            record["reply"] = {"root": root, "parent": {"uri": reply_to, "cid": parent["cid"]}}
            self.replies.setdefault(reply_to, []).append(uri)
            parent["replyCount"] += 1
        if quote:
            record["embed"] = {"$type": "app.bsky.embed.record",
                               "record": {"uri": quote, "cid": self.posts[quote]["cid"]}}
            self.posts[quote]["quoteCount"] += 1
        self.posts[uri] = {"uri": uri, "cid": "bafyrei" + hashlib.sha256(
            uri.encode()).hexdigest()[:52], "author": self._basic(did), "record": record,
            "replyCount": 0, "repostCount": reposts, "likeCount": likes,
            "quoteCount": quotes, "bookmarkCount": 0, "indexedAt": at, "labels": []}
        self.profiles[did]["postsCount"] += 1
        return uri

    def notify(self, to: str, reason: str, uri: str, *, subject: str | None = None,
               by: str | None = None) -> None:
        """A notification for account ``to`` about post ``uri``: the post itself (mention,
        reply, quote), or a like or repost of it by ``by``."""
        view = self.posts[uri]
        author, record = view["author"], view["record"]
        if reason in ("like", "repost"):
            author = self._basic(by or view["author"]["did"])
            n = sum(len(x) for x in self.notifications.values())
            record = {"$type": f"app.bsky.feed.{reason}", "createdAt": view["indexedAt"],
                      "subject": {"uri": uri, "cid": view["cid"]}}
            uri, subject = f"at://{author['did']}/app.bsky.feed.{reason}/3kn{n:010d}", uri
        cid = "bafyrei" + hashlib.sha256(f"{uri}|{reason}".encode()).hexdigest()[:52]
        self.notifications.setdefault(to, []).append({
            "uri": uri, "cid": cid, "author": author, "reason": reason,
            **({"reasonSubject": subject} if subject else {}), "record": record,
            "isRead": False, "indexedAt": view["indexedAt"], "labels": []})

    # -- queries -----------------------------------------------------------------------------
    def answer(self, method: str, q: dict[str, list[str]], viewer: str | None) -> Any:
        with self.lock:
            return getattr(self, "q_" + method.rpartition(".")[2])(q, viewer)

    def q_getPosts(self, q: dict[str, list[str]], viewer: str | None) -> Any:
        uris = _params(q, {"uris"}, {"uris"}, {"uris"})["uris"]
        if len(uris) > 25:
            raise XrpcError(400, "InvalidRequest", "Error: Params/uris must not have more "
                                                   "than 25 elements")
        if any(not u.startswith("at://") for u in uris):
            raise XrpcError(400, "InvalidRequest", "Error: uris/0 must be a valid at-uri")
        return {"posts": [self.posts[u] for u in uris if u in self.posts]}

    def q_getProfile(self, q: dict[str, list[str]], viewer: str | None) -> Any:
        actor = _params(q, {"actor"}, {"actor"})["actor"]
        for did, profile in self.profiles.items():
            if actor in (did, profile["handle"]):
                return profile
        raise XrpcError(400, "InvalidRequest", "Profile not found")

    def q_getPostThread(self, q: dict[str, list[str]], viewer: str | None) -> Any:
        p = _params(q, {"uri", "depth", "parentHeight"}, {"uri"})
        if p["uri"] not in self.posts:
            raise XrpcError(400, "NotFound", f"Post not found: {p['uri']}")
        depth = int(p.get("depth", 6))
        if not 0 <= depth <= 1000 or not 0 <= int(p.get("parentHeight", 80)) <= 1000:
            raise XrpcError(400, "InvalidRequest", "depth out of range")

        def thread(uri: str, level: int) -> dict[str, Any]:
            node: dict[str, Any] = {"$type": "app.bsky.feed.defs#threadViewPost",
                                    "post": self.posts[uri]}
            if level < depth:
                node["replies"] = [thread(r, level + 1) for r in self.replies.get(uri, [])]
            return node

        return {"thread": thread(p["uri"], 0)}

    def q_listNotifications(self, q: dict[str, list[str]],
                            viewer: str | None) -> Any:
        if viewer is None:
            raise XrpcError(401, "AuthMissing", "Authentication Required")
        p = _params(q, {"limit", "cursor", "reasons", "priority", "seenAt"}, lists={"reasons"})
        limit = _limit(p, 50)
        reasons = set(p.get("reasons", [])) or REASONS
        if reasons - REASONS:
            raise XrpcError(400, "InvalidRequest", f"unknown reasons {sorted(reasons - REASONS)}")
        seen = p.get("seenAt") or self.seen.get(viewer)
        seen_at = _time(seen, "seenAt") if seen else None
        notes = sorted(self.notifications.get(viewer, []),
                       key=lambda n: (_time(n["indexedAt"], "indexedAt"), n["cid"]), reverse=True)
        notes = [n for n in notes if n["reason"] in reasons]
        if "cursor" in p:
            at, _, cid = p["cursor"].partition("::")
            before = (_time(at, "cursor"), cid)
            notes = [n for n in notes if (_time(n["indexedAt"], "x"), n["cid"]) < before]
        page = [{**n, "isRead": seen_at is not None and _time(n["indexedAt"], "x") <= seen_at}
                for n in notes[:limit]]
        out: dict[str, Any] = {"notifications": page, "priority": False}
        if len(notes) > limit:
            out["cursor"] = f"{page[-1]['indexedAt']}::{page[-1]['cid']}"
        if seen:
            out["seenAt"] = seen
        return out

    def q_searchPosts(self, q: dict[str, list[str]], viewer: str | None) -> Any:
        if viewer is None:
            raise XrpcError(403, "Forbidden", "Request forbidden by administrative rules.")
        p = _params(q, {"q", "sort", "since", "until", "mentions", "author", "lang", "domain",
                        "url", "tag", "limit", "cursor"}, {"q"})
        limit = _limit(p, 25)
        if p.get("sort", "latest") not in ("top", "latest"):
            raise XrpcError(400, "InvalidRequest", "sort must be top or latest")
        words = re.findall(r"\w+", p["q"].casefold())
        since = _time(p["since"], "since") if "since" in p else None
        until = _time(p["until"], "until") if "until" in p else None
        hits = [v for v in reversed(self.posts.values())
                if all(w in re.findall(r"\w+", v["record"]["text"].casefold()) for w in words)
                and (since is None or _time(v["indexedAt"], "x") >= since)
                and (until is None or _time(v["indexedAt"], "x") < until)]
        hits.sort(key=lambda v: _time(v["indexedAt"], "x"), reverse=True)
        try:
            offset = int(p.get("cursor", "0"))
        except ValueError:
            raise XrpcError(400, "InvalidRequest", "malformed cursor") from None
        page = hits[offset:offset + limit]
        out: dict[str, Any] = {"posts": page, "hitsTotal": len(hits)}
        if offset + limit < len(hits):
            out["cursor"] = str(offset + limit)
        return out


class _Server:
    def __init__(self) -> None:

        self.server = serve(self.handle_request)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def handle_request(self, h: BaseHTTPRequestHandler) -> None:
        raise NotImplementedError

    @contextmanager
    def running(self) -> Iterator[Self]:
        with running(self.server):
            yield self


def _send(h: BaseHTTPRequestHandler, status: int, body: Any) -> None:
    reply_json(h, status, body, content_type="application/json; charset=utf-8")


class FakeAppView(_Server):
    """The public, unauthenticated AppView."""

    def __init__(self, index: Index) -> None:
        super().__init__()
        self.index = index
        self.requests: list[dict[str, Any]] = []

    def handle_request(self, h: BaseHTTPRequestHandler) -> None:
        url = urlsplit(h.path)
        method = url.path.removeprefix("/xrpc/")
        self.requests.append({"method": method, "query": parse_qs(url.query),
                              "headers": dict(h.headers)})
        try:
            if h.command != "GET" or method not in QUERIES:
                raise XrpcError(501, "MethodNotImplemented", "Method Not Implemented")
            _send(h, 200, self.index.answer(method, parse_qs(url.query), None))
        except XrpcError as exc:
            _send(h, exc.status, {"error": exc.error, "message": exc.message})


class FakeBlueskyRead(FakeBluesky):
    """The PDS fake, proxying ``app.bsky.*`` queries to the AppView of ``index``."""

    def __init__(self, index: Index | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.index = index or Index()
        self.index.profile(self.did, self.handle, name="Brand")
        self.upstream: int | None = None
        """502: no AppView behind this PDS; 501: the method is not implemented here."""

    def handle_request(self, h: BaseHTTPRequestHandler) -> None:
        url = urlsplit(h.path)
        method = url.path.removeprefix("/xrpc/")
        if not method.startswith("app.bsky."):
            return super().handle_request(h)
        raw = h.rfile.read(int(h.headers.get("Content-Length", "0")))
        with self.lock:
            self.requests.append({"method": h.command, "path": url.path,
                                  "query": parse_qs(url.query), "headers": dict(h.headers),
                                  "body": raw})
        try:
            with self.lock:
                self._auth(h)
            if self.upstream == 502:
                raise XrpcError(502, "UpstreamFailure", "Upstream service unreachable")
            if method == "app.bsky.notification.updateSeen" and h.command == "POST":
                seen = self._json(h, raw, {"seenAt"}).get("seenAt")
                self.index.seen[self.did] = str(_time(str(seen), "seenAt") and seen)
                return _send(h, 200, {})
            if self.upstream == 501 or h.command != "GET" or method not in QUERIES:
                raise XrpcError(501, "MethodNotImplemented", "Method Not Implemented")
            _send(h, 200, self.index.answer(method, parse_qs(url.query), self.did))
        except XrpcError as exc:
            _send(h, exc.status, {"error": exc.error, "message": exc.message})


__all__ = ["QUERIES", "FakeAppView", "FakeBlueskyRead", "Index"]
