"""Google Business Profile local posts (the posts shown on the business in Search and Maps),
through the Google My Business API v4's ``accounts.locations.localPosts``, which is still the
documented endpoint for posts: the newer Business Profile APIs (Business Information,
Performance, ...) have no posts of their own (developers.google.com/my-business/reference/
rest/v4/accounts.locations.localPosts, read December 2026).

Setup: in the Google Cloud console enable the "Google My Business API" for a project (Business
Profile APIs need an access request first: developers.google.com/my-business/content/
prereqs), create an OAuth client, and authorize it once with the scope
``https://www.googleapis.com/auth/business.manage`` as a manager of the profile, keeping the
refresh token. The account and location ids are in ``accounts.list`` and
``accounts.locations.list`` (or the profile's URL in the Business Profile manager). Google
fetches the photo itself from a public URL (``media_base_url``, as Instagram)::

    shop-paris:
      network: google_business
      account: "112233445566778899"     # or accounts/112233445566778899
      location: "998877665544332211"    # or locations/998877665544332211
      media_base_url: https://OWNER.github.io/REPOSITORY/report/
      media_layout: prepared
      secrets: {refresh_token: GBP_REFRESH, client_id: GBP_CLIENT_ID,
                client_secret: GBP_CLIENT_SECRET}   # or {token: GBP_ACCESS_TOKEN}

A post is "What's new" (``STANDARD``) unless its ``google_business`` variant says ``topic:
event`` or ``offer`` with the event's title and window, the offer's coupon, link and terms,
and a ``call_to_action`` button (:mod:`cmops.localpost`); the text is the post's
``summary`` (1,500 characters), with at most one photo (JPEG or PNG). No threads, first
comments or replies.

Exactly-once: Google gives a local post no key of the client's, so the post's marker is what
Google keeps of it as sent: its ``summary``, ``topicType`` (and event title), made since the
attempt (``createTime``). After a lost answer the location's posts are listed
(``localPosts.list``, 100 a page, up to :data:`PAGES` pages, the whole list read so no order
is assumed); found: that post; the whole list read without it: not sent; a longer list: a
human decides.

Reading (``cmops collect``): nothing. Per-post insights (``localPosts.reportInsights``:
views, call-to-action clicks) were removed with the move to the Business Profile Performance
API, whose ``fetchMultiDailyMetricsTimeSeries`` counts the whole location by day, not a post;
there are no followers, and reviews are not read in this version: each is recorded as
unavailable, with that reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import quote

from cmops import localpost
from cmops.adapters import http
from cmops.adapters.base import (
    CannotTell,
    ChannelContext,
    Edit,
    MediaFile,
    NotConfigured,
    Outgoing,
    Rejected,
    Remote,
    Transient,
    Withdrawal,
    refuse_unsendable,
    wait_for,
)
from cmops.adapters.google_auth import TOKEN_URL, GoogleAuth
from cmops.adapters.graph import LOOKBACK, how_to_resolve
from cmops.adapters.instagram import URL_POLL, URL_WAIT, UrlProbe
from cmops.adapters.reading import Counters, InboxItem, parse_time
from cmops.mediaurls import served
from cmops.prepare import Unpreparable
from cmops.text.limits import DEFAULT_LAYOUT, LAYOUTS, NETWORKS, NetworkRules
from cmops.workspace import OutsideRepository, media_file

API = "https://mybusiness.googleapis.com"
PAGE = 100
"""``localPosts.list``'s largest page (default 20, at most 100)."""
PAGES = 5
"""Pages read when reconciling: a location with more than 500 posts goes to a human."""
QUOTA_WAIT = 60.0
"""Seconds waited after a 429 that names no wait: the Business Profile APIs' quotas are
per minute (developers.google.com/my-business/content/limits; VERIFY that a 429 never
carries Retry-After)."""
NO_INSIGHTS = ("Google Business Profile has no per-post counters: localPosts.reportInsights "
               "was removed with the move to the Business Profile Performance API, which "
               "counts the whole location by day")


def _id(value: Any, kind: str) -> str | None:
    text = str(value).strip() if isinstance(value, str | int) else ""
    text = text.removeprefix(f"{kind}/")
    return text if text.isdigit() else None


class GoogleBusinessAdapter:
    network: ClassVar[str] = "google_business"
    rules: ClassVar[NetworkRules] = NETWORKS["google_business"]
    reconcile_by: ClassVar[str] = "lookup"

    def __init__(self, ctx: ChannelContext, sleep: Callable[[float], None] = time.sleep
                 ) -> None:
        account = _id(ctx.settings.get("account"), "accounts")
        location = _id(ctx.settings.get("location"), "locations")
        if account is None or location is None:
            raise NotConfigured(f"channel {ctx.name}: set account and location to the "
                                "Business Profile's numeric ids (accounts.list, "
                                "accounts.locations.list)")
        server = str(ctx.settings.get("server", API)).rstrip("/")
        # A test server plays Google's token endpoint too.
        self.auth = GoogleAuth(ctx, token_url=f"{server}/token" if "server" in ctx.settings
                               else TOKEN_URL)
        self.http = http.client(ctx, server)
        self.parent = f"accounts/{account}/locations/{location}"
        base = ctx.settings.get("media_base_url")
        self.media_base = base.rstrip("/") + "/" if isinstance(base, str) and \
            base.startswith("https://") else None
        layout = ctx.settings.get("media_layout", DEFAULT_LAYOUT)
        if layout not in LAYOUTS:
            raise NotConfigured(f"channel {ctx.name}: media_layout must be one of "
                                f"{', '.join(LAYOUTS)}, not {layout!r}")
        self.layout, self.root, self.sleep = str(layout), ctx.root, sleep
        self.prober = UrlProbe(ctx)
        self.probe: Callable[[str, int], str | None] = self.prober.answer
        """Whether a media URL serves the expected bytes (None: it does); replaced in
        tests."""
        self.unavailable: dict[str, str] = {}

    def new_dedupe(self, key: str, part: int, now: datetime) -> str:
        return f"{key}#{part}@{now.isoformat()}"  # for people: Google takes no client key

    # -- HTTP ----------------------------------------------------------------------------
    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.auth.send(
                lambda headers: self.http.request(method, path, headers=headers, **kwargs))
        except Transient as exc:
            if exc.status != 429 or exc.retry_after is not None:
                raise
            raise Transient(str(exc), retry_after=QUOTA_WAIT, maybe_sent=False,
                            status=429) from None
        try:
            return response.json() if response.content else {}
        except ValueError:
            raise Transient(f"Google answered {method} {path} with no JSON",
                            maybe_sent=method != "GET") from None

    # -- publishing ------------------------------------------------------------------------
    def publish(self, out: Outgoing) -> Remote:
        """``POST /v4/{parent}/localPosts`` with the LocalPost (:func:`cmops.localpost.body`
        and the photo as ``media: [{mediaFormat: PHOTO, sourceUrl}]``); answered with the
        post, whose ``name`` is kept as its id and ``searchUrl`` as its address. A post
        Google answers ``REJECTED`` (its content policy) is refused."""
        refuse_unsendable(self.rules, out)
        try:
            post = localpost.body(out.options, out.text, out.lang)
        except ValueError as exc:
            raise Rejected(f"not sent: {exc}") from None
        if out.media:
            post["media"] = [{"mediaFormat": "PHOTO", "sourceUrl": self.photo(out.media[0],
                                                                             out)}]
        found = self._call("POST", f"/v4/{self.parent}/localPosts", json=post)
        name = found.get("name") if isinstance(found, dict) else None
        if not isinstance(name, str):
            raise Transient("Google answered the new local post without its name",
                            maybe_sent=True)
        if found.get("state") == "REJECTED":
            raise Rejected(f"Google rejected local post {name} (state REJECTED, its content "
                           "policy): see the post in the Business Profile manager")
        link = found.get("searchUrl")
        return Remote(name, link if isinstance(link, str) else None)

    def photo(self, media: MediaFile, out: Outgoing) -> str:
        """The photo's public URL; under the ``prepared`` layout waited for (as Instagram's,
        :data:`URL_POLL`/:data:`URL_WAIT`) until the site serves it."""
        if self.media_base is None:
            raise NotConfigured("Google fetches a local post's photo from a public URL: set "
                                "the channel's media_base_url (https://…)")
        if self.layout == "repository":
            return self.media_base + quote(media.rel.lstrip("/"))
        try:
            found = served(media_file(self.root, media.rel), self.rules)
        except OutsideRepository as exc:
            raise Rejected(f"not sent: {exc}") from None
        except (Unpreparable, OSError) as exc:
            raise Rejected(f"not sent: '{media.rel}' cannot be served to Google: {exc}"
                           ) from None
        url = self.media_base + found.path
        last: list[str | None] = [None]

        def check() -> bool | None:
            last[0] = self.probe(url, len(found.data))
            return True if last[0] is None else None

        try:
            wait_for(url, check, every=URL_POLL, most=URL_WAIT, out=out, sleep=self.sleep)
        except Transient:
            raise Transient(f"media_base_url {url} answered {last[0]}: has the report site "
                            "been deployed since this post was merged? Not posted; the next "
                            "run tries again", maybe_sent=False) from None
        return url

    def reconcile(self, out: Outgoing, sent_at: datetime, now: datetime) -> Remote | None:
        """The location's post with this summary and topic (and event title) made since the
        attempt (``createTime``), else None when the whole list was read."""
        try:
            wanted = localpost.body(out.options, out.text, out.lang)
        except ValueError:
            return None  # refused before sending: nothing went out
        since, until = sent_at - LOOKBACK, now + LOOKBACK
        params = {"pageSize": str(PAGE)}
        for _ in range(PAGES):
            page = self._call("GET", f"/v4/{self.parent}/localPosts", params=params)
            for post in page.get("localPosts") or []:
                created = parse_time(post.get("createTime"))
                if created is not None and since <= created <= until \
                        and _same(post, wanted) and isinstance(post.get("name"), str):
                    link = post.get("searchUrl")
                    return Remote(post["name"], link if isinstance(link, str) else None)
            token = page.get("nextPageToken")
            if not token:
                return None  # the whole list read: it did not go out
            params["pageToken"] = str(token)
        raise CannotTell(f"a local post sent at {sent_at:%Y-%m-%d %H:%M}Z may have been "
                         f"published, and the location has more than {PAGE * PAGES} posts to "
                         f"look through: check the profile, then run {how_to_resolve(out)}")

    def delete(self, item: Withdrawal) -> None:
        """``DELETE /v4/{name}`` (localPosts.delete); a post already gone (404) counts as
        deleted."""
        name = item.remote.id
        if not name.startswith(f"{self.parent}/localPosts/"):
            raise Rejected(f"cannot delete {name!r}: not a local post of {self.parent}")
        try:
            self._call("DELETE", f"/v4/{name}")
        except Rejected as exc:
            if exc.status != 404:
                raise

    def edit(self, item: Edit) -> None:
        """``PATCH /v4/{name}?updateMask=summary`` with the new summary (localPosts.patch)."""
        self._call("PATCH", f"/v4/{item.remote.id}", params={"updateMask": "summary"},
                   json={"summary": item.text})

    def live_text(self, item: Edit) -> str | None:
        found = self._call("GET", f"/v4/{item.remote.id}")
        summary = found.get("summary", "") if isinstance(found, dict) else None
        return summary if isinstance(summary, str) else None

    # -- reading (cmops collect): see cmops.adapters.reading --------------------------------
    def metrics(self, remotes: Sequence[str]) -> dict[str, Counters | None]:
        self.unavailable["metrics"] = NO_INSIGHTS
        return {remote: Counters() for remote in remotes}

    def followers(self) -> int | None:
        self.unavailable["followers"] = "a Business Profile has no followers to count"
        return None

    def inbox(self, cursor: str | None) -> tuple[list[InboxItem], str | None]:
        self.unavailable["inbox"] = "reviews and questions are not read in this version"
        return [], cursor

    def close(self) -> None:
        self.http.close()
        self.prober.close()


def _same(post: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    """Whether a listed post is the one sent: the marker Google keeps as sent."""
    def title(p: Mapping[str, Any]) -> Any:
        return (p.get("event") or {}).get("title")
    return (post.get("summary") or "").strip() == (wanted.get("summary") or "").strip() \
        and post.get("topicType") == wanted["topicType"] and title(post) == title(wanted)
