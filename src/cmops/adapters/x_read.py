"""The reading half of the X adapter (``cmops collect``, see :mod:`cmops.adapters.reading`):
counters from ``public_metrics``, the follower count, mentions since the last run, and whether
the account answered a mention (platforms.md §4.7).

Every read is a paid read, and the free tier has none: X then answers 403
``client-not-enrolled`` (or the v1.1-style error code 453). That is not an error of the run:
the counters, followers and mentions are recorded as unavailable with that reason (in
``unavailable``), never as zeros.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import httpx

from cmops.adapters.base import Rejected
from cmops.adapters.http import send
from cmops.adapters.reading import Author, Counters, InboxItem, newer
from cmops.adapters.reading import count_field as _int
from cmops.adapters.reading import parse_time as _time
from cmops.secrets import Redactor

IDS_PER_CALL = 100
"""``GET /2/tweets?ids=`` takes at most 100 ids."""
PAGE = 100
FIRST_PAGE = 20
"""Mentions read on the first run (no cursor yet): a bounded recent page."""
READ_PAGES = 5
"""Pages of mentions (or of our own posts, for answers) read per run."""
NO_READS = "X free tier: no metrics (this app's access tier cannot read posts)"


class NoReadAccess(Rejected):
    """X's answer to a read the app's access tier does not include."""


def _denied(response: httpx.Response) -> bool:
    if response.status_code != 403:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    if not isinstance(body, dict):
        return False
    codes = [e.get("code") for e in body.get("errors") or [] if isinstance(e, dict)]
    return body.get("reason") == "client-not-enrolled" or 453 in codes




class XReading:
    """Mixed into :class:`cmops.adapters.x.XAdapter`, whose client and redactor it uses."""

    http: httpx.Client
    redact: Redactor
    user_id: str

    @property
    def unavailable(self) -> dict[str, str]:
        """What this run could not read and why, keyed like a collect summary's
        ``unavailable`` (``metrics``, ``followers``, ``inbox``): empty until a read is
        refused."""
        found: dict[str, str] = vars(self).setdefault("_unavailable", {})
        return found

    def _read(self, path: str, params: dict[str, str]) -> Any:
        def call() -> httpx.Response:
            response = self.http.get(path, params=params)
            if _denied(response):
                raise NoReadAccess(NO_READS, status=403)
            return response

        return send(self.redact, call).json()

    def _note(self, what: str, why: str) -> None:
        self.unavailable[what] = why

    def _me_with_metrics(self) -> dict[str, Any]:
        data: dict[str, Any] = self._read("/2/users/me", {"user.fields": "public_metrics"})[
            "data"]
        self.user_id = str(data["id"])
        return data

    def metrics(self, remotes: Sequence[str]) -> dict[str, Counters | None]:
        out: dict[str, Counters | None] = {}
        for start in range(0, len(remotes), IDS_PER_CALL):
            batch = list(remotes[start:start + IDS_PER_CALL])
            try:
                page = self._read("/2/tweets", {"ids": ",".join(batch),
                                                "tweet.fields": "public_metrics"})
            except NoReadAccess:
                self._note("metrics", NO_READS)
                return {remote: Counters() for remote in remotes}
            found = {str(t.get("id")): t for t in page.get("data") or []
                     if isinstance(t, dict)}
            for remote in batch:
                tweet = found.get(remote)
                # Absent: deleted, or no longer shown to us (X lists it under ``errors``).
                out[remote] = None if tweet is None else _counters(tweet.get("public_metrics"))
        return out

    def followers(self) -> int | None:
        try:
            me = self._me_with_metrics()
        except NoReadAccess:
            self._note("followers", "X free tier: no follower count (this app's access tier "
                       "cannot read users)")
            return None
        return _int(me.get("public_metrics"), "followers_count")

    def inbox(self, cursor: str | None) -> tuple[list[InboxItem], str | None]:
        try:
            if not self.user_id:
                self._me_with_metrics()
            return self._mentions(cursor)
        except NoReadAccess:
            self._note("inbox", "X free tier: no mentions (this app's access tier cannot read "
                       "posts)")
            return [], cursor

    def _mentions(self, cursor: str | None) -> tuple[list[InboxItem], str | None]:
        params = {"max_results": str(PAGE if cursor else FIRST_PAGE),
                  "tweet.fields": "created_at,author_id,referenced_tweets,in_reply_to_user_id",
                  "expansions": "author_id", "user.fields": "username,name,public_metrics"}
        if cursor:
            params["since_id"] = cursor
        items: list[InboxItem] = []
        newest = cursor
        for _ in range(READ_PAGES if cursor else 1):
            page = self._read(f"/2/users/{self.user_id}/mentions", params)
            users = {str(u.get("id")): u for u in (page.get("includes") or {}).get("users") or []
                     if isinstance(u, dict)}
            for tweet in page.get("data") or []:
                item = _item(tweet, users, self.user_id) if isinstance(tweet, dict) else None
                if item is None or not newer(item.id, cursor):
                    continue
                items.append(item)
                if newer(item.id, newest):
                    newest = item.id
            token = (page.get("meta") or {}).get("next_token")
            if not token:
                break
            params["pagination_token"] = str(token)
        return items, newest

    def search(self, terms: Sequence[str], cursor: str | None
               ) -> tuple[list[InboxItem], str | None]:
        """Recent posts of others about the brand (``GET /2/tweets/search/recent``, last 7
        days, Basic tier and above): one query ORing the terms, our own posts excluded.
        ``cursor`` is the newest post id seen (``since_id``)."""
        words = [t.strip() for t in dict.fromkeys(terms) if t.strip()]
        if not words:
            return [], cursor
        try:
            if not self.user_id:
                self._me_with_metrics()
            query = " OR ".join(f'"{w}"' if " " in w else w for w in words)
            params = {"query": f"({query}) -is:retweet", "max_results": str(PAGE),
                      "tweet.fields": "created_at,author_id,referenced_tweets,"
                                      "in_reply_to_user_id",
                      "expansions": "author_id", "user.fields": "username,name,public_metrics"}
            if cursor:
                params["since_id"] = cursor
            items: list[InboxItem] = []
            newest = cursor
            for _ in range(READ_PAGES if cursor else 1):
                page = self._read("/2/tweets/search/recent", params)
                users = {str(u.get("id")): u for u in
                         (page.get("includes") or {}).get("users") or [] if isinstance(u, dict)}
                for tweet in page.get("data") or []:
                    if not isinstance(tweet, dict) or str(tweet.get("author_id")) == \
                            self.user_id:
                        continue
                    item = _item(tweet, users, self.user_id)
                    if item is None or not newer(item.id, cursor):
                        continue
                    items.append(InboxItem(item.id, "keyword", item.author, item.text,
                                           item.received_at, item.url, item.in_reply_to))
                    newest = item.id if newer(item.id, newest) else newest
                token = (page.get("meta") or {}).get("next_token")
                if not token:
                    break
                params["next_token"] = str(token)
            return items, newest
        except NoReadAccess:
            self._note("search", "X search needs the Basic access tier or above")
            return [], cursor

    def replied(self, ids: Sequence[str]) -> dict[str, datetime | None]:
        """Our own posts since the oldest message, looking for replies to each: an answer
        always has a later (larger) id than the message it answers."""
        out: dict[str, datetime | None] = {i: None for i in ids}
        numeric = [i for i in ids if i.isdigit()]
        if not numeric:
            return out
        params = {"max_results": str(PAGE), "since_id": min(numeric, key=int),
                  "tweet.fields": "created_at,referenced_tweets"}
        try:
            if not self.user_id:
                self._me_with_metrics()
            for _ in range(READ_PAGES):
                page = self._read(f"/2/users/{self.user_id}/tweets", params)
                for tweet in page.get("data") or []:
                    for target, when in _answers(tweet):
                        first = out.get(target, when)
                        if target in out and (first is None or when <= first):
                            out[target] = when
                token = (page.get("meta") or {}).get("next_token")
                if not token:
                    break
                params["pagination_token"] = str(token)
        except NoReadAccess:
            pass  # nothing can be known: every message stays "not answered yet"
        return out


def _counters(metrics: Any) -> Counters:
    """``impression_count`` only when X gives it (own posts, tiers with it)."""
    return Counters(likes=_int(metrics, "like_count"), comments=_int(metrics, "reply_count"),
                    shares=_int(metrics, "retweet_count"), quotes=_int(metrics, "quote_count"),
                    impressions=_int(metrics, "impression_count"))


def _answers(tweet: Any) -> list[tuple[str, datetime]]:
    """(the id it replies to, when) for one of our posts that is a reply."""
    when = _time(tweet.get("created_at")) if isinstance(tweet, dict) else None
    if when is None:
        return []
    return [(str(r.get("id")), when) for r in tweet.get("referenced_tweets") or []
            if isinstance(r, dict) and r.get("type") == "replied_to"]


def _item(tweet: dict[str, Any], users: dict[str, Any], me: str) -> InboxItem | None:
    when = _time(tweet.get("created_at"))
    if when is None or "id" not in tweet:
        return None
    refs = {str(r.get("type")): str(r.get("id")) for r in tweet.get("referenced_tweets") or []
            if isinstance(r, dict)}
    target: str | None
    if "quoted" in refs:
        kind, target = "quote", refs["quoted"]
    elif "replied_to" in refs and str(tweet.get("in_reply_to_user_id")) == me:
        kind, target = "reply", refs["replied_to"]
    else:
        kind, target = "mention", refs.get("replied_to")
    user = users.get(str(tweet.get("author_id"))) or {}
    username = str(user.get("username") or "")
    author = Author(handle=f"@{username}" if username else str(tweet.get("author_id", "")),
                    name=str(user.get("name") or ""),
                    url=f"https://x.com/{username}" if username else None,
                    followers=_int(user.get("public_metrics"), "followers_count"))
    return InboxItem(id=str(tweet["id"]), kind=kind, author=author,
                     text=html.unescape(str(tweet.get("text", ""))), received_at=when,
                     url=f"https://x.com/i/web/status/{tweet['id']}", in_reply_to=target)
