"""Bluesky, the reading half (``cmops collect``): counters, followers, notifications,
answers and search, mixed into :class:`cmops.adapters.bluesky.BlueskyAdapter`.

Counters and profiles come from the AppView (channel setting ``appview``, default the public
``https://public.api.bsky.app``, no authentication); notifications and search go through the
PDS with the session. A PDS without an AppView answers 501/502 or ``MethodNotImplemented``:
that read is then *unavailable* (never zero) and ``unavailable`` says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from cmops.adapters.base import (
    ChannelContext,
    Rejected,
    Transient,
)
from cmops.adapters.http import client, send
from cmops.adapters.reading import Author, Counters, InboxItem, parse_time
from cmops.adapters.reading import count_field as _count
from cmops.secrets import Redactor

GET_POSTS_MAX = 25
"""``app.bsky.feed.getPosts`` takes at most 25 uris."""
PAGE = 50
"""Notifications or search results per request (both allow 1-100)."""
INBOX_PAGES = 5
"""Pages of notifications read per run: the rest waits for the next run."""
SEARCH_PAGES = 2
"""Pages of search results per term and run."""
INBOX_REASONS = ("mention", "reply", "quote")


class BlueskyReader:
    """The reading methods; the adapter provides the session and the XRPC call."""

    did: str
    redact: Redactor
    unavailable: dict[str, str]
    _ctx: ChannelContext
    _appview: httpx.Client | None
    _appview_url: str
    _via_pds: bool

    def _xrpc(self, method: str, nsid: str, *, token: str | None = None, retry: bool = True,
              headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        raise NotImplementedError

    def _login(self) -> None:
        raise NotImplementedError

    # -- reading (cmops collect): see cmops.adapters.reading ---------------------------------
    def _read(self, what: str, nsid: str, params: dict[str, Any], *, public: bool) -> Any:
        """One AppView query: unauthenticated to ``appview`` when ``public`` (and it is not
        the PDS), else through the PDS with the session. None when there is no AppView to
        answer (501, 502, ``MethodNotImplemented``): ``what`` is then unavailable."""
        if what in self.unavailable:
            return None
        try:
            if public and not self._via_pds:
                if self._appview is None:
                    self._appview = client(self._ctx, self._appview_url)
                http = self._appview
                return send(self.redact, lambda: http.get(f"/xrpc/{nsid}", params=params)).json()
            self._login()
            return self._xrpc("GET", nsid, params=params)
        except (Rejected, Transient) as exc:
            text = str(exc)
            if exc.status not in (501, 502) and "methodnotimplemented" not in \
                    text.lower().replace(" ", ""):
                raise
            self.unavailable[what] = f"{nsid}: {text}"
            return None

    def metrics(self, remotes: Sequence[str]) -> dict[str, Counters | None]:
        out: dict[str, Counters | None] = {r: None for r in remotes if not r.startswith("at://")}
        uris = [r for r in remotes if r.startswith("at://")]
        for start in range(0, len(uris), GET_POSTS_MAX):
            batch = uris[start:start + GET_POSTS_MAX]
            found = self._read("metrics", "app.bsky.feed.getPosts", {"uris": batch}, public=True)
            if found is None:
                out.update(dict.fromkeys(batch, Counters()))  # not given: not zero, not gone
                continue
            views = {p.get("uri"): p for p in found.get("posts", []) if isinstance(p, dict)}
            for uri in batch:
                view = views.get(uri)  # absent: deleted, or hidden from the AppView
                out[uri] = None if view is None else Counters(
                    likes=_count(view, "likeCount"), comments=_count(view, "replyCount"),
                    shares=_count(view, "repostCount"), quotes=_count(view, "quoteCount"))
        return out

    def followers(self) -> int | None:
        self._login()
        found = self._read("followers", "app.bsky.actor.getProfile", {"actor": self.did},
                           public=True)
        return _count(found, "followersCount")

    def inbox(self, cursor: str | None) -> tuple[list[InboxItem], str | None]:
        """Mentions, replies and quotes indexed at or after ``cursor`` (the newest
        ``indexedAt`` seen, kept by collect, which drops the ones it already has); the first
        run reads one page. The account's read state (``updateSeen``) is left alone."""
        since, newest = _time(cursor), cursor
        items: list[InboxItem] = []
        page: str | None = None
        for _ in range(INBOX_PAGES):
            params: dict[str, Any] = {"limit": PAGE, "reasons": list(INBOX_REASONS)}
            if page:
                params["cursor"] = page
            found = self._read("inbox", "app.bsky.notification.listNotifications", params,
                               public=False)
            if found is None:
                return [], cursor
            notes = [n for n in found.get("notifications", []) if isinstance(n, dict)]
            fresh = [n for n in notes if (at := _time(n.get("indexedAt"))) is not None
                     and (since is None or at >= since)]
            for note in fresh:
                newest = _later(newest, note["indexedAt"])
                if note.get("reason") in INBOX_REASONS and (item := _note(note)) is not None:
                    items.append(item)
            page = found.get("cursor")
            if since is None or not page or len(fresh) < len(notes) or not notes:
                break
        return items, newest

    def replied(self, ids: Sequence[str]) -> dict[str, datetime | None]:
        self._login()
        out: dict[str, datetime | None] = {}
        for uri in ids:
            try:
                found = self._read("replies", "app.bsky.feed.getPostThread",
                                   {"uri": uri, "depth": 1, "parentHeight": 0}, public=True)
            except Rejected:  # deleted or blocked: no answer can be seen
                found = None
            replies = _obj(_obj(found).get("thread")).get("replies")
            posts = [_obj(_obj(r).get("post")) for r in replies or []]
            times = [t for p in posts if _obj(p.get("author")).get("did") == self.did
                     and (t := _time(p.get("indexedAt"))) is not None]
            out[uri] = min(times) if times else None
        return out

    def search(self, terms: Sequence[str], cursor: str | None
               ) -> tuple[list[InboxItem], str | None]:
        """Posts of others matching each term (``searchPosts``, latest first), indexed at or
        after ``cursor``; the first run reads one page per term."""
        self._login()
        since, newest = _time(cursor), cursor
        found: dict[str, InboxItem] = {}
        for term in dict.fromkeys(t.strip() for t in terms if t.strip()):
            page: str | None = None
            for _ in range(SEARCH_PAGES):
                params: dict[str, Any] = {"q": term, "sort": "latest", "limit": PAGE}
                if cursor:
                    params["since"] = cursor
                if page:
                    params["cursor"] = page
                answer = self._read("search", "app.bsky.feed.searchPosts", params,
                                    public=False)
                if answer is None:
                    return [], cursor
                posts = [p for p in answer.get("posts", []) if isinstance(p, dict)]
                for post in posts:
                    at = _time(post.get("indexedAt"))
                    if at is None or (since is not None and at < since):
                        continue
                    newest = _later(newest, post["indexedAt"])
                    if _obj(post.get("author")).get("did") != self.did and \
                            (item := _view(post, "keyword", at)) is not None:
                        found.setdefault(item.id, item)
                page = answer.get("cursor")
                if since is None or not page or len(posts) < PAGE:
                    break
        return list(found.values()), newest


def _error(response: httpx.Response) -> tuple[str, str]:
    """An XRPC error body's ``(error, message)``; empty strings when it is something else."""
    try:
        body = {} if response.is_success else response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    return str(body.get("error") or ""), str(body.get("message") or "")



def _time(value: Any) -> datetime | None:
    when = parse_time(value)
    return when.astimezone(UTC) if when is not None and when.tzinfo else None


def _later(a: str | None, b: str) -> str:
    """The later of two timestamps, as the server wrote it."""
    at, bt = _time(a), _time(b)
    return a if a is not None and at is not None and bt is not None and at >= bt else b


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _author(profile: Any) -> Author:
    profile = _obj(profile)
    handle = str(profile.get("handle") or profile.get("did") or "")
    return Author(handle="@" + handle, name=str(profile.get("displayName") or ""),
                  url=f"https://bsky.app/profile/{handle}" if handle else None,
                  followers=_count(profile, "followersCount"))


def _quoted(record: dict[str, Any]) -> str | None:
    embed = _obj(record.get("embed"))
    inner = _obj(embed.get("record"))
    if embed.get("$type") == "app.bsky.embed.recordWithMedia":
        inner = _obj(inner.get("record"))
    uri = inner.get("uri")
    return uri if isinstance(uri, str) else None


def _view(post: dict[str, Any], kind: str, at: datetime, target: str | None = None
          ) -> InboxItem | None:
    """An inbox item from a post (a notification or a postView): its at-uri is its id."""
    uri, record = post.get("uri"), post.get("record")
    if not isinstance(uri, str) or not isinstance(record, dict):
        return None
    if target is None:
        parent = _obj(_obj(record.get("reply")).get("parent")).get("uri")
        target = parent if isinstance(parent, str) else None
    author = _author(post.get("author"))
    return InboxItem(id=uri, kind=kind, author=author, text=str(record.get("text") or ""),
                     received_at=at, in_reply_to=target,
                     url=f"{author.url}/post/{uri.rpartition('/')[2]}" if author.url else None)


def _note(note: dict[str, Any]) -> InboxItem | None:
    at = _time(note.get("indexedAt"))
    reason = note.get("reason")
    if at is None or not isinstance(reason, str):
        return None
    target = None
    if reason == "quote":
        subject = note.get("reasonSubject")
        target = subject if isinstance(subject, str) else _quoted(_obj(note.get("record")))
    return _view(note, reason, at, target)
