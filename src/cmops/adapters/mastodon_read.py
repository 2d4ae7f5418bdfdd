"""Mastodon, the reading half (``cmops collect``): counters, followers, notifications,
answers and search (hashtag timelines and ``/api/v2/search``), mixed into
:class:`cmops.adapters.mastodon.MastodonAdapter`. Needs the ``read:statuses``,
``read:notifications``, ``read:search`` and ``profile`` scopes.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import httpx

from cmops.adapters.base import Rejected
from cmops.adapters.http import send
from cmops.adapters.reading import Author, Counters, InboxItem, newer
from cmops.adapters.reading import count_field as _count
from cmops.adapters.reading import parse_time as _time
from cmops.secrets import Redactor

PAGE = 40
"""Notifications per page (the server's default; its maximum is 80)."""
MAX_PAGES = 5
"""Pages of notifications read per run: the rest waits for the next run's cursor."""
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="next"')
SEARCH_PAGE = 40
"""Statuses per search or hashtag-timeline request (the maximum of both)."""
SEARCH_PAGES = 2
"""Pages read per query and run, oldest unread first: the rest waits for the next run."""
_TAG = re.compile(r"^#?(\w+)$")
_TAGS = re.compile(r"<[^>]+>")


class MastodonReader:
    """The reading methods; the adapter provides the HTTP client and the redactor."""

    http: httpx.Client
    redact: Redactor
    unavailable: dict[str, str]
    _account: dict[str, Any] | None
    """The authenticated account, read once per run (None until first needed)."""

    # -- reading (cmops collect): see cmops.adapters.reading ---------------------------------
    # Reading needs the read:statuses, read:notifications and profile (or read:accounts)
    # scopes besides the writing ones.
    def _get(self, path: str, params: Any = None) -> Any:
        return send(self.redact, lambda: self.http.get(path, params=params)).json()

    def _me(self) -> dict[str, Any]:
        if self._account is None:
            self._account = self._get("/api/v1/accounts/verify_credentials")
        return self._account

    def _page(self, url: str, params: Any) -> Any:
        return send(self.redact, lambda: self.http.get(url, params=params))

    def metrics(self, remotes: Sequence[str]) -> dict[str, Counters | None]:
        out: dict[str, Counters | None] = {}
        for remote in remotes:
            try:
                data = self._get(f"/api/v1/statuses/{remote}")
            except Rejected as exc:
                if exc.status in (404, 410):
                    out[remote] = None  # deleted: nothing to count any more
                    continue
                raise
            out[remote] = Counters(likes=_count(data, "favourites_count"),
                                   comments=_count(data, "replies_count"),
                                   shares=_count(data, "reblogs_count"),
                                   quotes=_count(data, "quotes_count"))
        return out

    def followers(self) -> int | None:
        return _count(self._me(), "followers_count")

    def inbox(self, cursor: str | None) -> tuple[list[InboxItem], str | None]:
        me = str(self._me().get("id"))
        params: Any = {"types[]": ["mention", "quote"], "limit": PAGE}
        if cursor:
            params["since_id"] = cursor
        items: list[InboxItem] = []
        newest = cursor
        url: str | None = "/api/v1/notifications"
        for _ in range(MAX_PAGES):
            if url is None:
                break
            response = self._page(url, params)
            page = response.json()
            fresh = [n for n in page if isinstance(n, dict) and newer(str(n.get("id")), cursor)]
            for note in fresh:
                if newer(str(note["id"]), newest):
                    newest = str(note["id"])
                item = _item(note, me)
                if item is not None:
                    items.append(item)
            if len(fresh) < len(page) or not page:
                break  # reached what the last run already read
            match = _NEXT.search(response.headers.get("Link", ""))
            url, params = (match[1], None) if match else (None, None)
        return items, newest

    def replied(self, ids: Sequence[str]) -> dict[str, datetime | None]:
        me = str(self._me().get("id"))
        out: dict[str, datetime | None] = {}
        for status in ids:
            try:
                context = self._get(f"/api/v1/statuses/{status}/context")
            except Rejected:
                out[status] = None
                continue
            ours = [_time(d.get("created_at")) for d in context.get("descendants", [])
                    if isinstance(d, dict) and str((d.get("account") or {}).get("id")) == me]
            times = [t for t in ours if t is not None]
            out[status] = min(times) if times else None
        return out

    def search(self, terms: Sequence[str], cursor: str | None
               ) -> tuple[list[InboxItem], str | None]:
        """Public statuses of others about the brand: the hashtag timeline of every one-word
        term (``#lampe`` or ``lampe``), and ``/api/v2/search`` for every term not written as
        a hashtag (full-text search sees only what the instance has indexed, often just
        opt-in posts). ``cursor`` is the newest status id seen; the first run reads one page
        per query. Remote statuses fetched late can get ids below it and be missed."""
        me = str(self._me().get("id"))
        self.unavailable.pop("search", None)
        queries: list[tuple[str, dict[str, Any]]] = []
        for term in dict.fromkeys(t.strip() for t in terms if t.strip()):
            if (tag := _TAG.match(term)) is not None:
                queries.append((f"/api/v1/timelines/tag/{tag[1]}", {}))
            if not term.startswith("#"):
                queries.append(("/api/v2/search", {"q": term, "type": "statuses",
                                                   "resolve": "false"}))
        found: dict[str, InboxItem] = {}
        newest = cursor
        for path, query in queries:
            after = cursor
            for _ in range(SEARCH_PAGES):
                params = {**query, "limit": SEARCH_PAGE}
                if after:
                    params["min_id"] = after  # the page just after it, oldest unread first
                try:
                    answer = self._get(path, params)
                except Rejected as exc:
                    if exc.status != 403:
                        raise
                    # A token without read:search: say so, and keep the cursor.
                    self.unavailable["search"] = f"{path}: {exc}"
                    return [], cursor
                statuses = answer.get("statuses") if isinstance(answer, dict) else answer
                page = [s for s in statuses or [] if isinstance(s, dict) and "id" in s
                        and newer(str(s["id"]), cursor)]
                for status in page:
                    sid = str(status["id"])
                    after = sid if newer(sid, after) else after
                    newest = sid if newer(sid, newest) else newest
                    if str(_account(status).get("id")) != me and sid not in found and \
                            (item := _status_item(status, "keyword")) is not None:
                        found[sid] = item
                if cursor is None or len(page) < SEARCH_PAGE:
                    break
        return sorted(found.values(), key=lambda i: i.received_at), newest


def _account(status: dict[str, Any]) -> dict[str, Any]:
    account = status.get("account")
    return account if isinstance(account, dict) else {}


def _status_item(status: dict[str, Any], kind: str) -> InboxItem | None:
    when = _time(status.get("created_at"))
    if when is None:
        return None
    account = _account(status)
    return InboxItem(id=str(status["id"]), kind=kind, author=Author(
        handle="@" + str(account.get("acct", "")),
        name=str(account.get("display_name") or ""),
        url=account.get("url") if isinstance(account.get("url"), str) else None,
        followers=_count(account, "followers_count")),
        text=_text(status.get("content")), received_at=when,
        url=status.get("url") if isinstance(status.get("url"), str) else None,
        in_reply_to=_opt(status.get("in_reply_to_id")))




def _text(content: Any) -> str:
    if not isinstance(content, str):
        return ""
    spaced = re.sub(r"<br\s*/?>|</p>", "\n", content)
    return html.unescape(_TAGS.sub("", spaced)).strip()


def _item(note: dict[str, Any], me: str) -> InboxItem | None:
    status = note.get("status")
    account = note.get("account")
    if not isinstance(status, dict) or not isinstance(account, dict):
        return None
    when = _time(status.get("created_at")) or _time(note.get("created_at"))
    if when is None:
        return None
    if note.get("type") == "quote":
        kind = "quote"
        quoted = status.get("quote")
        target = quoted.get("quoted_status") if isinstance(quoted, dict) else None
        replied_to = str(target["id"]) if isinstance(target, dict) and "id" in target else None
    elif status.get("visibility") == "direct":
        kind, replied_to = "dm", _opt(status.get("in_reply_to_id"))
    elif status.get("in_reply_to_id") and str(status.get("in_reply_to_account_id")) == me:
        kind, replied_to = "reply", _opt(status.get("in_reply_to_id"))
    else:
        kind, replied_to = "mention", _opt(status.get("in_reply_to_id"))
    author = Author(handle="@" + str(account.get("acct", "")),
                    name=str(account.get("display_name") or ""),
                    url=account.get("url") if isinstance(account.get("url"), str) else None,
                    followers=_count(account, "followers_count"))
    return InboxItem(id=str(status["id"]), kind=kind, author=author,
                     text=_text(status.get("content")), received_at=when,
                     url=status.get("url") if isinstance(status.get("url"), str) else None,
                     in_reply_to=replied_to)


def _opt(value: Any) -> str | None:
    return str(value) if value is not None else None
