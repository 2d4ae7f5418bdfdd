"""Pinterest, through API v5 (developers.pinterest.com/docs/api/v5, spec 5.23 in
github.com/pinterest/api-description): a pin on the channel's board, from one image, a
carousel of 2 to 5 images, or one video.

Setup: a Pinterest business account and an app at developers.pinterest.com with the scopes
``boards:read``, ``pins:read`` and ``pins:write`` (``user_accounts:read`` for the follower
count). The board id is the number in ``GET /v5/boards`` (or the board's "…/boards/<id>" in the
API explorer). Give either an access token, or a refresh token with the app's id and secret:
cmops then asks ``POST /v5/oauth/token`` (``grant_type=refresh_token``, HTTP Basic
``client_id:client_secret``) for an access token at the first call, and once more when
Pinterest answers 401; neither token is ever printed::

    pinterest-main:
      network: pinterest
      board: "987654321098765432"
      secrets: {refresh_token: PINTEREST_REFRESH_TOKEN, client_id: PINTEREST_APP_ID,
                client_secret: PINTEREST_APP_SECRET}

Pinterest's continuous refresh tokens last 60 days and are renewed by each refresh (apps made
before 25 September 2025 must opt in with ``continuous_refresh``). With the environment
variable ``CMOPS_TOKEN_KEY`` set to a Fernet key (make one with ``python -c "from
cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"``, kept as a
repository secret), cmops keeps the renewed refresh token in the state store, encrypted, and
sends it at the next run, so the channel keeps working past the secret's 60 days; updating the
``refresh_token`` secret (after authorizing again) makes cmops start from the new one. Without
the key the renewed token is not kept: set ``token_expires`` and renew the secret in time
(VERIFY whether the old refresh token stays valid after a refresh).

What is sent (``POST /v5/pins``): ``board_id``; the post's text as the ``description``; the
post's ``link`` (UTM-tagged) as the pin's ``link``, not in the text; the variant's ``title:``
(at most 100 characters); the image's alt text as ``alt_text`` (a carousel's items take no alt
text in API v5: theirs are not sent). Images go as base64 (``image_base64``,
``multiple_image_base64``), prepared by cmops as JPEG or PNG, so no public media host is
needed. A video is registered (``POST /v5/media``), its bytes posted to the returned
``upload_url`` with its ``upload_parameters`` (an S3 form: no Pinterest token is sent there),
``GET /v5/media/{id}`` polled until ``succeeded`` (every 10 s, at most 5 minutes within the
run's time left, else tried again next run), then pinned as ``video_id`` with the media
item's ``cover`` image (base64) or ``thumb_offset`` as the cover frame.

Exactly-once: only ``POST /v5/pins`` can leave a pin behind. After a lost answer cmops lists
the board's pins (``GET /v5/boards/{id}/pins``) and takes the one created since the attempt
whose description (the marker: Pinterest keeps it as sent) and title are the ones sent; none
found: a human decides.

Reading (``cmops collect``): ``GET /v5/pins/{id}/analytics`` over the last 90 days (the most
the API gives): IMPRESSION as impressions, SAVE as shares, OUTBOUND_CLICK as clicks,
TOTAL_REACTIONS as likes and TOTAL_COMMENTS as comments; ``follower_count`` of ``GET
/v5/user_account``. API v5 has no comments or mentions to read: the inbox is unavailable.
Rate limits are per minute per user and app
(developers.pinterest.com/docs/reference/rate-limits); a 429 waits what the answer asks, else
a minute.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

import httpx

from cmops.adapters.base import (
    CannotTell,
    ChannelContext,
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
from cmops.adapters.http import USER_AGENT, client, send
from cmops.adapters.reading import Counters, InboxItem, parse_time
from cmops.mediaurls import served
from cmops.prepare import Unpreparable
from cmops.rules.media import sniff
from cmops.text.limits import NETWORKS, NetworkRules
from cmops.workspace import OutsideRepository, media_file

API = "https://api.pinterest.com"
RATE_WINDOW = 60.0
"""Seconds waited after a 429 that names no wait: the limits are per minute. Whether
Pinterest sends Retry-After is not documented (VERIFY)."""
VIDEO_POLL = 10.0
VIDEO_WAIT = 300.0
LOOKBACK = timedelta(minutes=2)
PAGES = 3
PAGE_SIZE = 100
ANALYTICS_DAYS = 89
"""``start_date`` "cannot be more than 90 days back from today"."""
METRICS = "IMPRESSION,SAVE,PIN_CLICK,OUTBOUND_CLICK,TOTAL_COMMENTS,TOTAL_REACTIONS"
BASE64_TYPES = ("image/jpeg", "image/png")
"""``ContentType`` of a base64 image or cover in the v5 spec."""


class PinterestAdapter:
    network: ClassVar[str] = "pinterest"
    rules: ClassVar[NetworkRules] = NETWORKS["pinterest"]
    reconcile_by: ClassVar[str] = "lookup"

    def __init__(self, ctx: ChannelContext, sleep: Callable[[float], None] = time.sleep,
                 today: Callable[[], date] = lambda: datetime.now(UTC).date()) -> None:
        board = ctx.settings.get("board")
        if not isinstance(board, str) or not board.isdigit():
            raise NotConfigured(f"channel {ctx.name}: pinterest needs board: \"<board id>\" "
                                "(digits, quoted)")
        self.token: str | None = ctx.secrets.get("token") or None
        self.refresh = tuple(ctx.secrets.get(r, "") for r in
                             ("refresh_token", "client_id", "client_secret"))
        if self.token is None and not all(self.refresh):
            raise NotConfigured(f"channel {ctx.name}: pinterest needs secrets: {{token: …}} "
                                "or {refresh_token: …, client_id: …, client_secret: …}")
        server = ctx.settings.get("server", API)
        if not isinstance(server, str) or not server.startswith(("https://", "http://")):
            raise NotConfigured(f"channel {ctx.name}: pinterest server must be an http(s) URL")
        self.board, self.root, self.name = board, ctx.root, ctx.name
        # Kept only under a key: Pinterest's renewed token is an extension, not a must (the
        # secret's stays usable until it expires), so a channel without one is not refused.
        self.keeper = ctx.tokens if ctx.tokens is not None and ctx.tokens.has_key and \
            all(self.refresh) else None
        self.kept = ""
        """The refresh token sent: the secret's, or the newest an earlier run kept."""
        if self.keeper is not None:  # a key that is not a Fernet key, a kept token it
            self.keeper.require("pinterest")  # cannot open: said now, before any call
            self.kept = self.keeper.current(self.refresh[0])
        self.redact = ctx.redactor
        for secret in (self.token, *self.refresh):
            if secret:
                self.redact.add(secret)
        self.http = client(ctx, server.rstrip("/"))
        # The upload host is S3, signed by the form: Pinterest's token must not go there.
        self.uploads = httpx.Client(transport=ctx.transport, timeout=ctx.timeout,
                                    headers={"User-Agent": USER_AGENT})
        self.sleep, self.today = sleep, today
        self.poll_seconds = float(ctx.settings.get("poll_seconds", VIDEO_POLL))
        self.refreshed = False
        self._unavailable: dict[str, str] = {}

    # -- HTTP ---------------------------------------------------------------------------------
    def _refresh(self) -> str:
        """``POST /v5/oauth/token`` with the newest refresh token (an earlier run's, kept by
        :mod:`cmops.tokens`, when it descends from the secret's); a renewed one is kept,
        encrypted, before the access token is used."""
        secret, client_id, client_secret = self.refresh
        refresh_token = self.kept or secret
        try:
            answer = send(self.redact, lambda: self.http.post(
                "/v5/oauth/token", data={"grant_type": "refresh_token",
                                         "refresh_token": refresh_token},
                auth=(client_id, client_secret))).json()
        except Rejected as exc:
            raise NotConfigured(f"channel {self.name}: Pinterest refused the refresh token "
                                f"({exc}): authorize the app again and set the new one"
                                ) from None
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not isinstance(token, str) or not token:
            raise NotConfigured(f"channel {self.name}: Pinterest's token answer has no "
                                "access_token")
        self.redact.add(token)
        renewed = answer.get("refresh_token")
        if isinstance(renewed, str) and renewed:
            self.redact.add(renewed)
            if self.keeper is not None and renewed != refresh_token:
                self.keeper.save(renewed, secret)  # before the access token is used
                self.kept = renewed
        return token

    def _send(self, method: str, path: str, json: Any, params: dict[str, str] | None
              ) -> httpx.Response:
        if self.token is None:
            self.token = self._refresh()
        headers = {"Authorization": f"Bearer {self.token}"}
        return send(self.redact, lambda: self.http.request(method, path, json=json,
                                                           params=params, headers=headers))

    def call(self, method: str, path: str, *, json: Any = None,
             params: dict[str, str] | None = None) -> Any:
        """One API call with the bearer token (refreshed first when there is none, and once
        on a 401 when a refresh token is given); a 429 without a stated wait waits
        :data:`RATE_WINDOW`."""
        try:
            try:
                response = self._send(method, path, json, params)
            except Rejected as exc:
                if exc.status != 401 or not all(self.refresh) or self.refreshed:
                    raise
                self.token, self.refreshed = None, True
                response = self._send(method, path, json, params)
        except Transient as exc:
            if exc.status == 429 and exc.retry_after is None:
                exc.retry_after = RATE_WINDOW
            raise
        return response.json() if response.content else {}

    # -- publishing ---------------------------------------------------------------------------
    def new_dedupe(self, key: str, part: int, now: datetime) -> str:
        return f"{key}#{part}@{now.isoformat()}"  # recorded for people: pins have no key

    def publish(self, out: Outgoing) -> Remote:
        refuse_unsendable(self.rules, out)
        try:
            source = self.source(out)
        except Transient as exc:  # before the pin: nothing can have been posted
            raise Transient(str(exc), retry_after=exc.retry_after, maybe_sent=False,
                            status=exc.status) from None
        pin = self.call("POST", "/v5/pins", json=self.body(out, source))
        return Remote(str(pin["id"]), pin_url(str(pin["id"])))

    def body(self, out: Outgoing, source: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {"board_id": self.board, "media_source": source}
        if out.text:
            body["description"] = out.text
        title = out.options.get("title")
        if isinstance(title, str) and title:
            body["title"] = title
        if out.link:
            body["link"] = out.link
        if len(out.media) == 1 and out.media[0].alt:
            body["alt_text"] = out.media[0].alt
        return body

    def source(self, out: Outgoing) -> dict[str, Any]:
        first = out.media[0]
        if is_video(first):
            return {"source_type": "video_id", "media_id": self.upload(first, out),
                    **self.cover(first)}
        if len(out.media) == 1:
            return {"source_type": "image_base64", **self.image(first)}
        return {"source_type": "multiple_image_base64",
                "items": [self.image(m) for m in out.media]}

    def image(self, media: MediaFile) -> dict[str, str]:
        data = media.path.read_bytes()
        kind = sniff(data[:16])
        if kind not in BASE64_TYPES:
            raise Rejected(f"not sent: '{media.rel}' is {kind or 'not an image'}; Pinterest "
                           "takes JPEG or PNG")
        return {"content_type": str(kind), "data": base64.b64encode(data).decode()}

    def cover(self, video: MediaFile) -> dict[str, Any]:
        """The video's cover: its ``cover`` image prepared as for a pin, else the frame at
        ``thumb_offset`` (whole seconds), else the first frame (VERIFY whether Pinterest
        requires one)."""
        if video.cover:
            try:
                found = served(media_file(self.root, video.cover), self.rules)
            except (OutsideRepository, Unpreparable, OSError) as exc:
                raise Rejected(f"not sent: cover '{video.cover}': {exc}") from None
            kind = sniff(found.data[:16])
            if kind not in BASE64_TYPES:
                raise Rejected(f"not sent: cover '{video.cover}' is not a JPEG or PNG")
            return {"cover_image_content_type": kind,
                    "cover_image_data": base64.b64encode(found.data).decode()}
        return {"cover_image_key_frame_time": (video.thumb_offset or 0) // 1000}

    def upload(self, video: MediaFile, out: Outgoing) -> str:
        """Register, upload to the returned S3 form, and wait until processed."""
        registered = self.call("POST", "/v5/media", json={"media_type": "video"})
        media_id = str(registered["media_id"])
        fields = {str(k): str(v) for k, v in (registered.get("upload_parameters") or {}).items()}
        mime = sniff(video.path.read_bytes()[:16]) or "video/mp4"
        with video.path.open("rb") as file:
            send(self.redact, lambda: self.uploads.post(
                str(registered["upload_url"]), data=fields,
                files={"file": (video.path.name, file, mime)}))

        def processed() -> bool | None:
            status = self.call("GET", f"/v5/media/{media_id}").get("status")
            if status == "failed":
                raise Rejected(f"Pinterest could not process '{video.rel}' (media {media_id} "
                               "failed): check it against Pinterest's video specifications")
            return True if status == "succeeded" else None

        wait_for(f"Pinterest video {media_id}", processed, every=self.poll_seconds,
                 most=VIDEO_WAIT, out=out, sleep=self.sleep)
        return media_id

    def reconcile(self, out: Outgoing, sent_at: datetime, now: datetime) -> Remote | None:
        since, bookmark = sent_at - LOOKBACK, None
        title = out.options.get("title") or None
        for _ in range(PAGES):
            params = {"page_size": str(PAGE_SIZE), **({"bookmark": bookmark} if bookmark else {})}
            page = self.call("GET", f"/v5/boards/{self.board}/pins", params=params)
            items = page.get("items") or []
            for pin in items:
                created = created_at(pin)
                if created is not None and created >= since and \
                        (pin.get("description") or "") == out.text and \
                        (pin.get("title") or None) == title:
                    return Remote(str(pin["id"]), pin_url(str(pin["id"])))
            times = [t for p in items if (t := created_at(p))]
            bookmark = page.get("bookmark")
            if not bookmark or (times and min(times) < since):
                break  # VERIFY: the board's pins are listed newest first
        raise CannotTell(f"a pin sent at {sent_at:%Y-%m-%d %H:%M}Z may have been created and "
                         f"is not among board {self.board}'s pins since then: check the "
                         f"board, then run cmops resolve {out.post_id} --channel "
                         f"{out.channel} --as published --url … (or --as retry)")

    def delete(self, item: Withdrawal) -> None:
        """``DELETE /v5/pins/{id}``; a pin already gone (404) counts as deleted."""
        try:
            self.call("DELETE", f"/v5/pins/{item.remote.id}")
        except Rejected as exc:
            if exc.status != 404:
                raise

    # -- reading (cmops collect): see cmops.adapters.reading ----------------------------------
    @property
    def unavailable(self) -> dict[str, str]:
        return self._unavailable

    def metrics(self, remotes: Sequence[str]) -> dict[str, Counters | None]:
        end = self.today()
        window = {"start_date": (end - timedelta(days=ANALYTICS_DAYS)).isoformat(),
                  "end_date": end.isoformat(), "metric_types": METRICS, "app_types": "ALL"}
        found: dict[str, Counters | None] = {}
        for remote in remotes:
            try:
                body = self.call("GET", f"/v5/pins/{remote}/analytics", params=window)
            except Rejected as exc:
                if exc.status == 404:
                    found[remote] = None
                    continue
                if exc.status in (401, 403):
                    self._unavailable["metrics"] = f"Pinterest: pin analytics need " \
                        f"pins:read and boards:read on the pin's board ({exc})"
                    return {**{r: Counters() for r in remotes}, **found}
                raise
            found[remote] = counters(body)
        return found

    def followers(self) -> int | None:
        try:
            account = self.call("GET", "/v5/user_account")
        except Rejected as exc:
            if exc.status not in (401, 403):
                raise
            self._unavailable["followers"] = f"Pinterest: the follower count needs " \
                f"user_accounts:read ({exc})"
            return None
        count = account.get("follower_count") if isinstance(account, dict) else None
        return count if isinstance(count, int) and not isinstance(count, bool) else None

    def inbox(self, cursor: str | None) -> tuple[list[InboxItem], str | None]:
        self._unavailable["inbox"] = "Pinterest's API v5 gives no comments or mentions to read"
        return [], cursor

    def close(self) -> None:
        self.http.close()
        self.uploads.close()


def pin_url(pin: str) -> str:
    return f"https://www.pinterest.com/pin/{pin}/"


def created_at(pin: Any) -> datetime | None:
    """A pin's ``created_at``, UTC when it names no zone (the spec's examples name none)."""
    found = parse_time(pin.get("created_at")) if isinstance(pin, dict) else None
    return found.replace(tzinfo=UTC) if found is not None and found.tzinfo is None else found


def is_video(media: MediaFile) -> bool:
    with media.path.open("rb") as file:
        kind = sniff(file.read(16))
    return kind is not None and kind.startswith("video/")


def counters(body: Any) -> Counters:
    """A pin's counters from its analytics (``{"ALL": {"summary_metrics", "lifetime_metrics"}}``,
    keyed by app type): the period's sums, lifetime comments and reactions where given."""
    report = next(iter(body.values()), None) if isinstance(body, dict) and body else None
    summary = (report or {}).get("summary_metrics") or {}
    lifetime = (report or {}).get("lifetime_metrics") or {}

    def value(name: str) -> int | None:
        number = lifetime.get(name, summary.get(name))
        return int(number) if isinstance(number, int | float) and \
            not isinstance(number, bool) else None

    return Counters(likes=value("TOTAL_REACTIONS"), comments=value("TOTAL_COMMENTS"),
                    shares=value("SAVE"), impressions=value("IMPRESSION"),
                    clicks=value("OUTBOUND_CLICK"))
