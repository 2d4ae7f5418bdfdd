"""The reading half of the LinkedIn adapter (``cmops collect``, see
:mod:`cmops.adapters.reading`), kept to what platforms.md §5.5 names and read conservatively:
whatever the token may not read is recorded as unavailable, with the reason, never as zero.

- An organization's posts: ``organizationalEntityShareStatistics`` (likes, comments, shares,
  impressions, clicks), needing ``r_organization_social`` and an administrator of the page.
  Its followers: ``networkSizes`` with ``edgeType=COMPANY_FOLLOWED_BY_MEMBER`` (VERIFY the
  edge name on the pinned version).
- A member's posts: ``socialActions`` (likes and comments only), which needs the restricted
  ``r_member_social``. A member's follower count is not offered to ordinary apps.
- The inbox (issue 19): the comments people leave under the author's recent posts (Posts API,
  "Find Posts by Authors", learn.microsoft.com/en-us/linkedin/marketing/community-management/
  shares/posts-api; Comments API, "Get Comments on Shares", .../shares/comments-api), needing
  ``r_organization_social`` (``r_organization_social_feed`` on recent versions) and a page
  role of ADMINISTRATOR or DIRECT_SPONSORED_CONTENT_POSTER, or, for a member, the restricted
  ``r_member_social``. Mentions are not read (LinkedIn gives them to Community Management
  partners through notifications; VERIFY), nor replies nested under comments ("Get Comments
  on Comments" would cost a request per comment).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from cmops.adapters.base import Rejected
from cmops.adapters.reading import Author, Counters, InboxItem
from cmops.adapters.reading import count_field as _int
from cmops.secrets import Redactor

STATS_PER_CALL = 20
INBOX_POSTS = 10
"""The author's most recent posts whose comments are read on each run (one "Find Posts by
Authors" page): the conversations a community manager answers every day are under the
latest posts."""
INBOX_COMMENTS = 50
"""Comments read under one post: one "Get Comments on Shares" page (``count``), so a run makes
at most ``1 + INBOX_POSTS`` requests for the inbox. The order of that page is not documented
(VERIFY): under a busier post, comments past the first page wait for LinkedIn's own tools."""


_POST = re.compile(r"urn:li:(?:share|ugcPost):\d+")
_COMMENT = re.compile(r"urn:li:comment:\(urn:li:[A-Za-z]+:\d+,\d+\)")


def _enc(urn: str) -> str:
    return quote(urn, safe="")


class LinkedInReading:
    """Mixed into :class:`cmops.adapters.linkedin.LinkedInAdapter`."""

    http: httpx.Client
    redact: Redactor
    author: str

    @property
    def unavailable(self) -> dict[str, str]:
        """What this run could not read and why, keyed like a collect summary's
        ``unavailable`` (``metrics``, ``followers``, ``inbox``): empty until a read is
        refused."""
        found: dict[str, str] = vars(self).setdefault("_unavailable", {})
        return found

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        raise NotImplementedError  # the adapter's own, with LinkedIn's quota handling

    def _note(self, what: str, why: str) -> None:
        self.unavailable[what] = why

    @property
    def _organization(self) -> bool:
        return self.author.startswith("urn:li:organization:")

    def metrics(self, remotes: Sequence[str]) -> dict[str, Counters | None]:
        try:
            if self._organization:
                return self._statistics(remotes)
            return self._social_actions(remotes)
        except Rejected as exc:
            if exc.status != 403:
                raise
            scope = "r_organization_social and an administrator of the page" \
                if self._organization else "r_member_social, which LinkedIn grants only to " \
                "approved partners"
            self._note("metrics", f"LinkedIn: reading post counters needs {scope} ({exc})")
            return {remote: Counters() for remote in remotes}

    def _statistics(self, remotes: Sequence[str]) -> dict[str, Counters | None]:
        # Not listed: LinkedIn has no statistics for it (yet), which does not prove it was
        # deleted: unavailable, not None.
        out: dict[str, Counters | None] = {remote: Counters() for remote in remotes}
        for start in range(0, len(remotes), STATS_PER_CALL):
            batch = remotes[start:start + STATS_PER_CALL]
            query = f"q=organizationalEntity&organizationalEntity={_enc(self.author)}"
            for kind, prefix in (("shares", "urn:li:share:"), ("ugcPosts", "urn:li:ugcPost:")):
                urns = [u for u in batch if u.startswith(prefix)]
                if urns:
                    query += f"&{kind}=List({','.join(_enc(u) for u in urns)})"
            if "List(" not in query:
                continue
            body = self._send("GET", f"/rest/organizationalEntityShareStatistics?{query}"
                              ).json()
            for element in body.get("elements") or []:
                urn = element.get("share") or element.get("ugcPost") \
                    if isinstance(element, dict) else None
                if urn in out:
                    out[urn] = _statistics(element.get("totalShareStatistics"))
        return out

    def _social_actions(self, remotes: Sequence[str]) -> dict[str, Counters | None]:
        out: dict[str, Counters | None] = {}
        for remote in remotes:
            try:
                data = self._send("GET", f"/rest/socialActions/{_enc(remote)}").json()
            except Rejected as exc:
                if exc.status != 404:
                    raise
                out[remote] = None  # deleted
                continue
            out[remote] = Counters(
                likes=_int(data.get("likesSummary"), "totalLikes"),
                comments=_int(data.get("commentsSummary"), "aggregatedTotalComments"))
        return out

    def followers(self) -> int | None:
        if not self._organization:
            self._note("followers", "LinkedIn: a member's follower count is only offered to "
                       "approved partners")
            return None
        try:
            data = self._send("GET", f"/rest/networkSizes/{_enc(self.author)}"
                              "?edgeType=COMPANY_FOLLOWED_BY_MEMBER").json()
        except Rejected as exc:
            if exc.status != 403:
                raise
            self._note("followers", f"LinkedIn: the page's follower count cannot be read "
                       f"with this token ({exc})")
            return None
        return _int(data, "firstDegreeSize")

    def inbox(self, cursor: str | None) -> tuple[list[InboxItem], str | None]:
        """People's comments under the author's :data:`INBOX_POSTS` latest posts, newer than
        ``cursor`` (the newest comment's ``created.time`` seen, epoch milliseconds), each a
        ``reply`` whose URL ``cmops reply`` answers; the author's own comments left out."""
        since = int(cursor) if cursor is not None and cursor.isdigit() else -1
        try:
            posts = self._send("GET", f"/rest/posts?author={_enc(self.author)}&q=author"
                               f"&count={INBOX_POSTS}").json().get("elements") or []
            items: list[InboxItem] = []
            for post in posts[:INBOX_POSTS]:
                urn = post.get("id") if isinstance(post, dict) else None
                if isinstance(urn, str) and _POST.fullmatch(urn):
                    items += self._comments_on(urn, since)
        except Rejected as exc:
            if exc.status != 403:
                raise
            scope = "r_organization_social and an administrator of the page" \
                if self._organization else "r_member_social, which LinkedIn grants only to " \
                "approved partners"
            self._note("inbox", f"LinkedIn: reading the comments on the posts needs {scope} "
                       f"({exc})")
            return [], cursor
        newest = max((int(i.received_at.timestamp() * 1000) for i in items), default=since)
        return items, str(newest) if newest > since else cursor

    def _comments_on(self, post: str, since: int) -> list[InboxItem]:
        try:
            page = self._send("GET", f"/rest/socialActions/{_enc(post)}/comments"
                              f"?start=0&count={INBOX_COMMENTS}").json()
        except Rejected as exc:
            if exc.status == 404:  # deleted since it was listed
                return []
            raise
        items = []
        for comment in page.get("elements") or []:
            item = _item(post, comment, self.author)
            if item is not None and item.received_at.timestamp() * 1000 > since:
                items.append(item)
        return items


def _statistics(stats: Any) -> Counters:
    return Counters(likes=_int(stats, "likeCount"), comments=_int(stats, "commentCount"),
                    shares=_int(stats, "shareCount"),
                    impressions=_int(stats, "impressionCount"),
                    clicks=_int(stats, "clickCount"))


def _item(post: str, comment: Any, own: str) -> InboxItem | None:
    """One comment as an inbox item; None for the author's own (``actor``) and for one
    without the fields a reply needs (its ``$URN``, ``created.time``)."""
    if not isinstance(comment, dict):
        return None
    urn, actor = comment.get("$URN"), comment.get("actor")
    created = _int(comment.get("created"), "time")
    if actor == own or not isinstance(urn, str) or not _COMMENT.fullmatch(urn) or \
            not isinstance(actor, str) or created is None:
        return None
    text = (comment.get("message") or {}).get("text")
    # The web address of a comment: its post's /feed/update/ page with commentUrn, which
    # cmops.replyto reads and the adapter's reply answers by nesting under that comment.
    url = f"https://www.linkedin.com/feed/update/{post}/?commentUrn={_enc(urn)}"
    return InboxItem(urn, "reply", Author(actor), text if isinstance(text, str) else "",
                     datetime.fromtimestamp(created / 1000, UTC), url, in_reply_to=post)
