"""The reading half of the LinkedIn adapter (``cmops collect``, see
:mod:`cmops.adapters.reading`), kept to what platforms.md §5.5 names and read conservatively:
whatever the token may not read is recorded as unavailable, with the reason, never as zero.

- An organization's posts: ``organizationalEntityShareStatistics`` (likes, comments, shares,
  impressions, clicks), needing ``r_organization_social`` and an administrator of the page.
  Its followers: ``networkSizes`` with ``edgeType=COMPANY_FOLLOWED_BY_MEMBER`` (VERIFY the
  edge name on the pinned version).
- A member's posts: ``socialActions`` (likes and comments only), which needs the restricted
  ``r_member_social``. A member's follower count is not offered to ordinary apps.
- Mentions and comments: not read (LinkedIn gives them to Community Management partners
  through notifications; VERIFY), so the inbox is always unavailable.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import httpx

from cmops.adapters.base import Rejected
from cmops.adapters.reading import Counters, InboxItem
from cmops.adapters.reading import count_field as _int
from cmops.secrets import Redactor

STATS_PER_CALL = 20
NO_INBOX = ("LinkedIn: mentions and comments are not read in this version (they need "
            "LinkedIn's Community Management partner access)")


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
        self._note("inbox", NO_INBOX)
        return [], cursor


def _statistics(stats: Any) -> Counters:
    return Counters(likes=_int(stats, "likeCount"), comments=_int(stats, "commentCount"),
                    shares=_int(stats, "shareCount"),
                    impressions=_int(stats, "impressionCount"),
                    clicks=_int(stats, "clickCount"))
