"""Facebook Page, through the Graph API: ``/{page-id}/feed`` for text and links,
``/{page-id}/photos`` for images (platforms.md §6). Also the Graph plumbing Instagram and
Threads borrow: the pinned version, the token, and Graph's error codes.

Setup: in Meta for Developers create an app (type Business), add "Facebook Login for
Business", and get a Page access token with ``pages_manage_posts``, ``pages_read_engagement``
and ``pages_show_list`` for the Page (a Business Manager system user's token does not expire;
otherwise exchange a user token for a long-lived one and read the Page's token from
``GET /me/accounts``). Store it as a GitHub Actions secret::

    facebook-page:
      network: facebook
      account: "123456789012345"          # the Page id
      secrets: {page_token: FB_PAGE_TOKEN}

What Facebook does not allow here: no idempotency key, no threads; photo alt text is not
confirmed for Pages (VERIFY), so it is not sent. Throttling comes as Graph error codes
(4, 17, 32, 613, 80001…) in a 400/403, with the wait in ``X-Business-Use-Case-Usage``.
Reading (``cmops collect``): reactions, comments and shares of each post and the Page's
``followers_count`` need ``pages_read_engagement``; impressions come from the post's
``post_impressions`` insight, which Meta is retiring in favour of "views" (VERIFY on the
pinned version) and which is recorded as unavailable when refused. Comments, mentions and
Messenger are not read in this version, so the inbox is unavailable on every token.

Exactly-once: an attempt whose answer was lost is looked up in the Page's feed since the
attempt, by its exact message. The feed is read eventually-consistently, so not finding it
proves nothing: the item then goes to a human.
"""

from __future__ import annotations

import json
import mimetypes
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx

from cmops.adapters.base import (
    CannotTell,
    ChannelContext,
    NotConfigured,
    Outgoing,
    Rejected,
    Remote,
    Transient,
    refuse_unsendable,
)
from cmops.adapters.http import client, send
from cmops.adapters.reading import Counters, InboxItem
from cmops.retry import wait_from_headers
from cmops.text.limits import NETWORKS, NetworkRules

GRAPH_VERSION = "v23.0"
"""The one place the Graph API version is pinned (Facebook and Instagram)."""
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 80001, 80002, 80004, 80005, 80006, 80008})
TRANSIENT_CODES = frozenset({1, 2})
"""Graph's "unknown error" and "service temporarily unavailable"."""
LOOKBACK = timedelta(minutes=2)
MAX_PAGES = 3
ENGAGEMENT = ("reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0),"
              "shares")
_CODE = re.compile(r"\(#(\d+)\)")


def graph_wait(headers: httpx.Headers, now: datetime) -> float | None:
    """Minutes in ``X-Business-Use-Case-Usage`` (``estimated_time_to_regain_access``), else
    the usual headers."""
    try:
        usage = json.loads(headers.get("X-Business-Use-Case-Usage", "{}"))
        minutes = [int(entry["estimated_time_to_regain_access"]) for entries in usage.values()
                   for entry in entries if "estimated_time_to_regain_access" in entry]
    except (ValueError, TypeError, KeyError, AttributeError):
        minutes = []
    return max(minutes) * 60.0 if minutes else wait_from_headers(headers, now)


def graph_check(response: httpx.Response, redact: Callable[[str], str]) -> httpx.Response:
    """Graph errors are ``{error: {message, type, code, error_subcode, fbtrace_id}}``; the
    code, not the HTTP status, says whether waiting helps."""
    try:
        error = response.json().get("error")
        code = int(error.get("code"))
    except (ValueError, AttributeError, TypeError):
        return response  # not a Graph error: http.check decides from the status
    user = " ".join(str(error.get("error_user_msg") or error.get("message") or "").split())
    if not user.startswith(f"(#{code})"):
        user = f"(#{code}) {user}"
    message = redact(f"HTTP {response.status_code}: {user}")[:300]
    if code in RATE_LIMIT_CODES:
        # Reported as a 429 whatever the HTTP status: it is a rate limit, nothing was done.
        raise Transient(f"rate limited: {message}", maybe_sent=False, status=429,
                        retry_after=graph_wait(response.headers, datetime.now(UTC)))
    if code in TRANSIENT_CODES or error.get("is_transient") is True \
            or response.status_code >= 500:
        raise Transient(message, maybe_sent=True, status=response.status_code)
    raise Rejected(message, status=response.status_code)


class Graph:
    """A Graph API client for one token: every call carries it and maps Graph's errors."""

    def __init__(self, ctx: ChannelContext, server: object, token: str) -> None:
        if not isinstance(server, str) or not server.startswith(("https://", "http://")):
            raise NotConfigured(f"channel {ctx.name}: {ctx.network} server must be an "
                                "http(s) URL")
        self.redact = ctx.redactor
        self.redact.add(token)
        self.token = token
        self.http = client(ctx, server.rstrip("/"))

    def post(self, path: str, data: dict[str, str], files: Any = None) -> Any:
        form = {**data, "access_token": self.token}
        return send(self.redact, lambda: graph_check(
            self.http.post(path, data=form, files=files), self.redact)).json()

    def get(self, path: str, params: dict[str, str] | None = None) -> Any:
        query = {**(params or {}), "access_token": self.token}
        return send(self.redact, lambda: graph_check(
            self.http.get(path, params=query), self.redact)).json()

    def close(self) -> None:
        self.http.close()


def graph_code(exc: Rejected) -> int | None:
    """The Graph error code :func:`graph_check` put first in the message, as ``(#code)``."""
    found = _CODE.search(str(exc))
    return int(found[1]) if found else None


def denied(exc: Rejected) -> bool:
    """A permission the token lacks (code 10, or 200-299): unavailable, not an error."""
    code = graph_code(exc)
    return code is not None and (code == 10 or 200 <= code <= 299)


def gone(exc: Rejected) -> bool:
    """Reading a node that does not exist (any more): code 100, or a plain 404."""
    return exc.status == 404 or graph_code(exc) == 100


def insight_values(body: Any) -> dict[str, int]:
    """``{name: value}`` from an insights answer: a post's ``values[0].value`` or an
    account's ``total_value.value``."""
    out: dict[str, int] = {}
    for entry in (body.get("data") if isinstance(body, dict) else None) or []:
        if not isinstance(entry, dict):
            continue
        values = entry.get("values")
        value = (values[0] if isinstance(values, list) and values else
                 entry.get("total_value") or {})
        number = value.get("value") if isinstance(value, dict) else None
        if isinstance(number, int) and not isinstance(number, bool):
            out[str(entry.get("name"))] = number
    return out


class GraphNotes:
    unavailable: dict[str, str]
    """What this run could not read and why, keyed like a collect summary's
    ``unavailable`` (``metrics``, ``followers``, ``inbox``; ``impressions`` when only
    those are missing)."""

    def note(self, what: str, why: str) -> None:
        if not hasattr(self, "unavailable"):
            self.unavailable = {}
        self.unavailable[what] = why

    def noted(self, what: str) -> bool:
        return what in getattr(self, "unavailable", {})


def _summary(data: Any, edge: str) -> int | None:
    total = ((data.get(edge) or {}).get("summary") or {}).get("total_count")
    return total if isinstance(total, int) and not isinstance(total, bool) else None


def how_to_resolve(out: Outgoing) -> str:
    return (f"cmops resolve {out.post_id} --channel {out.channel} --as published --url … "
            "(or --as retry to send it again)")


class FacebookAdapter(GraphNotes):
    network: ClassVar[str] = "facebook"
    reconcile_by: ClassVar[str] = "lookup"
    rules: ClassVar[NetworkRules] = NETWORKS["facebook"]

    def __init__(self, ctx: ChannelContext) -> None:
        page = ctx.settings.get("account")
        token = ctx.secrets.get("page_token", "")
        if not isinstance(page, str | int) or not str(page).isdigit():
            raise NotConfigured(f"channel {ctx.name}: facebook needs account: <page id>")
        if not token:
            raise NotConfigured(f"channel {ctx.name}: facebook needs secrets: "
                                "{page_token: …}")
        server = ctx.settings.get("server", "https://graph.facebook.com")
        self.graph = Graph(ctx, server, token)
        self.page = f"/{GRAPH_VERSION}/{page}"

    def new_dedupe(self, key: str, part: int, now: datetime) -> str:
        return f"{key}#{part}@{now.isoformat()}"  # recorded for people; Graph takes no key

    def _photo(self, media: Any, caption: str | None, published: bool) -> Any:
        mime = mimetypes.guess_type(media.path.name)[0] or "application/octet-stream"
        data = {"published": "true" if published else "false"}
        if caption:
            data["caption"] = caption
        files = {"source": (media.path.name, media.path.read_bytes(), mime)}
        return self.graph.post(f"{self.page}/photos", data, files)

    def publish(self, out: Outgoing) -> Remote:
        refuse_unsendable(self.rules, out)
        if out.reply_to is not None:
            raise Rejected("a Facebook Page post has no threads: send one post")
        if len(out.media) == 1:
            found = self._photo(out.media[0], out.text, True)
            post = str(found.get("post_id") or found["id"])
        else:
            data = {"message": out.text}
            if out.card:  # Facebook builds the card from the page itself (Pages API, feed)
                data["link"] = out.card.url
            for i, media in enumerate(out.media):
                photo = self._photo(media, None, False)
                data[f"attached_media[{i}]"] = json.dumps({"media_fbid": str(photo["id"])})
            post = str(self.graph.post(f"{self.page}/feed", data)["id"])
        return Remote(post, f"https://www.facebook.com/{post}")

    def reconcile(self, out: Outgoing, sent_at: datetime, now: datetime) -> Remote | None:
        params = {"fields": "id,message,created_time", "limit": "100",
                  "since": str(int((sent_at - LOOKBACK).timestamp()))}
        try:
            page = self.graph.get(f"{self.page}/feed", params)
            for _ in range(MAX_PAGES):
                for post in page.get("data") or []:
                    if post.get("message") == out.text:
                        return Remote(str(post["id"]), f"https://www.facebook.com/{post['id']}")
                cursor = ((page.get("paging") or {}).get("cursors") or {}).get("after")
                if not (page.get("paging") or {}).get("next") or not cursor:
                    break
                page = self.graph.get(f"{self.page}/feed", {**params, "after": cursor})
        except Rejected as exc:
            raise CannotTell(f"a Facebook post sent at {sent_at:%Y-%m-%d %H:%M}Z may have been "
                             f"published, and the Page's feed cannot be read ({exc}): check "
                             f"the Page, then run {how_to_resolve(out)}") from None
        raise CannotTell(f"a Facebook post sent at {sent_at:%Y-%m-%d %H:%M}Z may have been "
                         "published; the Page's feed does not show it (yet?), which proves "
                         f"nothing: check the Page, then run {how_to_resolve(out)}")

    def close(self) -> None:
        self.graph.close()

    # -- reading (cmops collect): see cmops.adapters.reading ---------------------------------
    def metrics(self, remotes: Sequence[str]) -> dict[str, Counters | None]:
        out: dict[str, Counters | None] = {}
        for remote in remotes:
            try:
                data = self.graph.get(f"/{GRAPH_VERSION}/{remote}", {"fields": ENGAGEMENT})
            except Rejected as exc:
                if gone(exc):
                    out[remote] = None
                    continue
                if not denied(exc):
                    raise
                self.note("metrics", f"Facebook: the Page token cannot read engagement "
                          f"(pages_read_engagement) ({exc})")
                return {**{r: Counters() for r in remotes}, **out}
            shares = data.get("shares")
            out[remote] = Counters(
                likes=_summary(data, "reactions"), comments=_summary(data, "comments"),
                # Graph leaves ``shares`` out of a post nobody shared (VERIFY).
                shares=shares.get("count") if isinstance(shares, dict) else 0,
                impressions=self._impressions(remote))
        return out

    def _impressions(self, remote: str) -> int | None:
        if self.noted("impressions"):
            return None  # refused once in this run: not asked again
        try:
            found = insight_values(self.graph.get(f"/{GRAPH_VERSION}/{remote}/insights",
                                                  {"metric": "post_impressions"}))
        except Rejected as exc:
            if not (denied(exc) or graph_code(exc) == 100):
                raise
            self.note("impressions", f"Facebook: no post impressions for this Page or token "
                      f"({exc})")
            return None
        return found.get("post_impressions")

    def followers(self) -> int | None:
        try:
            data = self.graph.get(self.page, {"fields": "followers_count"})
        except Rejected as exc:
            if not denied(exc):
                raise
            self.note("followers", f"Facebook: the Page token cannot read the follower "
                      f"count ({exc})")
            return None
        count = data.get("followers_count")
        return count if isinstance(count, int) and not isinstance(count, bool) else None

    def inbox(self, cursor: str | None) -> tuple[list[InboxItem], str | None]:
        self.note("inbox", "Facebook: Page comments, mentions and Messenger are not read in "
                  "this version")
        return [], cursor
