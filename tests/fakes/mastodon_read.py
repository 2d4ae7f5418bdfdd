"""The strict loopback Mastodon of :mod:`tests.fakes.mastodon`, able to answer reads too.

Scripted state: ``counters[status_id]`` (the ``*_count`` fields of a status; absent: 404),
``followers``, ``notifications`` (newest last; ids increase), ``descendants[status_id]``
(the statuses answering one). It enforces what cmops relies on
(docs.joinmastodon.org/methods/notifications, statuses, accounts): a bearer token; only
known query parameters; ``limit`` at most 80; ``types[]`` among the documented ones;
``since_id``/``max_id`` paging, newest first, with a ``Link: <…max_id=…>; rel="next"``
header when a page is full.

Listening: ``public`` statuses of other accounts (newest last; ids increase), added with
:meth:`FakeMastodonRead.publish_public`. ``GET /api/v1/timelines/tag/:hashtag`` lists those
carrying the tag (case-insensitive), ``GET /api/v2/search?type=statuses`` those whose text
holds every word of ``q`` and whose author is ``indexable`` (full-text search covers opt-in
accounts only). Both take only their documented parameters, ``limit`` at most 40, and page
by ``max_id`` (older), ``since_id`` (newer, newest first) and ``min_id`` (the ones just
after it, returned newest first), as Mastodon does; the timeline adds ``Link`` headers.
"""

from __future__ import annotations

import re
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from tests.fakes.mastodon import FakeMastodon

TYPES = {"mention", "status", "reblog", "follow", "follow_request", "favourite", "poll",
         "update", "quote", "admin.sign_up", "admin.report"}
ME = "1"
TAG_PARAMS = {"any[]", "all[]", "none[]", "local", "remote", "only_media", "max_id", "since_id",
              "min_id", "limit"}
SEARCH_PARAMS = {"q", "type", "resolve", "following", "account_id", "exclude_unreviewed",
                 "max_id", "min_id", "limit", "offset"}


class FakeMastodonRead(FakeMastodon):
    def __init__(self, token: str = "test-token") -> None:
        super().__init__(token)
        self.counters: dict[str, dict[str, int]] = {}
        self.followers = 0
        self.notifications: list[dict[str, Any]] = []
        self.descendants: dict[str, list[dict[str, Any]]] = {}
        self.gets: list[str] = []
        self.public: list[dict[str, Any]] = []
        # GETs reach this class's handle_get: the base server calls self.handle_get

    # -- scripting helpers ---------------------------------------------------------------
    def notify(self, kind: str, text: str, *, acct: str = "lea@piaille.fr",
               at: str = "2026-11-27T08:00:00Z", visibility: str = "public",
               in_reply_to: str | None = None, followers: int | None = 120) -> str:
        """Add a notification of ``kind`` (mention or quote); returns its status id."""
        nid = str(1000 + len(self.notifications))
        sid = str(5000 + len(self.notifications))
        account: dict[str, Any] = {"id": f"a-{acct}", "acct": acct, "display_name": acct[:3],
                                   "url": f"https://example.test/@{acct}"}
        if followers is not None:
            account["followers_count"] = followers
        status: dict[str, Any] = {
            "id": sid, "created_at": at, "content": f"<p>{text}</p>", "visibility": visibility,
            "url": f"{self.url}/@{acct}/{sid}", "in_reply_to_id": in_reply_to,
            "in_reply_to_account_id": ME if in_reply_to else None, "account": account}
        self.notifications.append({"id": nid, "type": kind, "created_at": at,
                                   "account": account, "status": status})
        return sid

    def answer(self, status_id: str, at: str) -> None:
        self.descendants.setdefault(status_id, []).append(
            {"id": f"r{status_id}", "created_at": at, "account": {"id": ME}})

    # -- the GET side ----------------------------------------------------------------------
    def handle_get(self, h: BaseHTTPRequestHandler) -> None:
        with self.lock:
            self.gets.append(h.path)
        if h.headers.get("Authorization") != f"Bearer {self.token}":
            return self._reply(h, 401, {"error": "The access token is invalid"})
        parts = urlsplit(h.path)
        query = parse_qs(parts.query)
        path = parts.path
        if path == "/api/v1/accounts/verify_credentials":
            if query:
                return self._reply(h, 422, {"error": "no parameters expected"})
            return self._reply(h, 200, {"id": ME, "acct": "brand", "followers_count":
                                        self.followers, "following_count": 3,
                                        "statuses_count": len(self.statuses)})
        if path == "/api/v1/notifications":
            return self._notifications(h, query)
        if path.startswith("/api/v1/timelines/tag/"):
            return self._tag(h, unquote(path.removeprefix("/api/v1/timelines/tag/")), query)
        if path == "/api/v2/search":
            return self._search(h, query)
        segments = path.strip("/").split("/")
        if segments[:3] == ["api", "v1", "statuses"] and len(segments) in (4, 5):
            sid = segments[3]
            if query:
                return self._reply(h, 422, {"error": "no parameters expected"})
            if len(segments) == 5:
                if segments[4] != "context":
                    return self._reply(h, 404, {"error": "Record not found"})
                return self._reply(h, 200, {"ancestors": [],
                                            "descendants": self.descendants.get(sid, [])})
            if sid not in self.counters:
                return self._reply(h, 404, {"error": "Record not found"})
            return self._reply(h, 200, {"id": sid, "url": f"{self.url}/@brand/{sid}",
                                        **self.counters[sid]})
        return self._reply(h, 404, {"error": "Record not found"})

    def _notifications(self, h: BaseHTTPRequestHandler, query: dict[str, list[str]]) -> None:
        unknown = set(query) - {"types[]", "limit", "since_id", "max_id", "min_id"}
        if unknown:
            return self._reply(h, 422, {"error": f"unknown parameters {sorted(unknown)}"})
        types = set(query.get("types[]", [])) or TYPES
        if types - TYPES:
            return self._reply(h, 422, {"error": "unknown notification type"})
        limit = int(query.get("limit", ["40"])[0])
        if not 1 <= limit <= 80:
            return self._reply(h, 422, {"error": "limit out of range"})
        since = int(query["since_id"][0]) if "since_id" in query else None
        before = int(query["max_id"][0]) if "max_id" in query else None
        chosen = [n for n in reversed(self.notifications) if n["type"] in types
                  and (since is None or int(n["id"]) > since)
                  and (before is None or int(n["id"]) < before)]
        page = chosen[:limit]
        headers = {}
        if len(chosen) > limit:
            headers["Link"] = (f'<{self.url}/api/v1/notifications?max_id={page[-1]["id"]}'
                               f'&limit={limit}>; rel="next"')
        self._reply(h, 200, page, headers)

    # -- listening: public statuses, hashtag timelines and search ----------------------------
    def publish_public(self, text: str, *, acct: str = "zoe@social.example",
                       at: str = "2026-11-27T08:00:00Z", indexable: bool = True,
                       account_id: str | None = None, in_reply_to: str | None = None) -> str:
        """A public status by someone (``account_id`` ME: by us); returns its id."""
        sid = str(9000 + len(self.public) + len(self.notifications))
        tags = [{"name": t.lower(), "url": f"{self.url}/tags/{t.lower()}"}
                for t in re.findall(r"#(\w+)", text)]
        account = {"id": account_id or f"a-{acct}", "acct": acct, "display_name": acct[:3],
                   "url": f"https://example.test/@{acct}", "followers_count": 42,
                   "indexable": indexable}
        self.public.append({"id": sid, "created_at": at, "content": f"<p>{text}</p>",
                            "visibility": "public", "url": f"{self.url}/@{acct}/{sid}",
                            "in_reply_to_id": in_reply_to, "account": account, "tags": tags})
        return sid

    @staticmethod
    def _window(found: list[dict[str, Any]], query: dict[str, list[str]], limit: int
                ) -> list[dict[str, Any]]:
        """``found`` oldest first; the page the paging parameters ask for, newest first."""
        def bound(name: str) -> int | None:
            return int(query[name][0]) if name in query else None

        before, since, after = bound("max_id"), bound("since_id"), bound("min_id")
        chosen = [s for s in found if (before is None or int(s["id"]) < before)
                  and (since is None or int(s["id"]) > since)
                  and (after is None or int(s["id"]) > after)]
        page = chosen[:limit] if after is not None else chosen[-limit:]
        return list(reversed(page))

    def _tag(self, h: BaseHTTPRequestHandler, tag: str, query: dict[str, list[str]]) -> None:
        unknown = set(query) - TAG_PARAMS
        if unknown or not re.fullmatch(r"\w+", tag):
            return self._reply(h, 422, {"error": f"bad request {sorted(unknown)} {tag!r}"})
        limit = int(query.get("limit", ["20"])[0])
        if not 1 <= limit <= 40:
            return self._reply(h, 422, {"error": "limit out of range"})
        found = [s for s in self.public if tag.lower() in [t["name"] for t in s["tags"]]]
        page = self._window(found, query, limit)
        headers = {}
        if page:
            base = f"{self.url}/api/v1/timelines/tag/{quote(tag)}?limit={limit}"
            headers["Link"] = (f'<{base}&max_id={page[-1]["id"]}>; rel="next", '
                               f'<{base}&min_id={page[0]["id"]}>; rel="prev"')
        self._reply(h, 200, page, headers)

    def _search(self, h: BaseHTTPRequestHandler, query: dict[str, list[str]]) -> None:
        if getattr(self, "search_forbidden", False):  # a token without read:search
            return self._reply(h, 403, {"error": "This action is outside the authorized "
                                                 "scopes"})
        unknown = set(query) - SEARCH_PARAMS
        if unknown or any(len(v) > 1 for v in query.values()):
            return self._reply(h, 422, {"error": f"unknown or repeated parameters {unknown}"})
        if not query.get("q", [""])[0].strip():
            return self._reply(h, 400, {"error": "Validation failed: q is missing"})
        if query.get("type", ["statuses"])[0] not in ("accounts", "hashtags", "statuses"):
            return self._reply(h, 422, {"error": "unknown type"})
        if query.get("resolve", ["false"])[0] not in ("true", "false"):
            return self._reply(h, 422, {"error": "resolve must be a boolean"})
        limit = int(query.get("limit", ["20"])[0])
        if not 1 <= limit <= 40:
            return self._reply(h, 422, {"error": "limit out of range"})
        words = re.findall(r"\w+", query["q"][0].casefold())
        statuses: list[dict[str, Any]] = []
        if query.get("type", ["statuses"])[0] == "statuses":
            found = [s for s in self.public if s["account"]["indexable"] and all(
                w in re.findall(r"\w+", re.sub(r"<[^>]+>", " ", s["content"]).casefold())
                for w in words)]
            statuses = self._window(found, query, limit)
        self._reply(h, 200, {"accounts": [], "statuses": statuses, "hashtags": []})
