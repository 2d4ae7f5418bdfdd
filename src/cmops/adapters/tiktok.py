"""TikTok, through the Content Posting API's direct post: a video (its bytes in chunks,
``FILE_UPLOAD``, or fetched by TikTok from the channel's public media host,
``PULL_FROM_URL``) or up to 35 photos (always fetched by URL), then the post's status polled
until TikTok says it is published (developers.tiktok.com/doc/content-posting-api-reference-
direct-post, .../content-posting-api-reference-photo-post, .../content-posting-api-media-
transfer-guide, .../content-posting-api-reference-get-video-status).

Setup: in TikTok for Developers create an app, add the Content Posting API with Direct Post,
get ``video.publish`` approved (``video.list`` and ``user.info.stats`` for ``cmops collect``),
verify the domain or URL prefix of ``media_base_url`` (TikTok fetches photos, and videos with
``video_source: url``, only from a verified host), and authorize the account once. Give the
adapter either a user access token (``token``; it lasts 2 hours) or, better, the app's
``client_key`` and ``client_secret`` with the user's ``refresh_token``: cmops then asks
``/v2/oauth/token/`` for an access token when it starts, and again once on a 401, and never
prints either token. TikTok replaces the refresh token at every refresh and retires the one
sent, so cmops keeps the newest one in the state store, encrypted with the Fernet key in the
environment variable ``CMOPS_TOKEN_KEY`` (make one with ``python -c "from cryptography.fernet
import Fernet; print(Fernet.generate_key().decode())"`` and keep it as a repository secret
beside the channel's; ``cmops init`` gives it to the publish and collect steps). Without it
a channel with a ``refresh_token`` is refused before anything is sent. To authorize again,
update the ``refresh_token`` secret: cmops notices the new one and starts from it::

    tiktok-main:
      network: tiktok
      audited: false            # true once TikTok has audited the app
      media_base_url: https://OWNER.github.io/REPOSITORY/report/
      media_layout: prepared
      video_source: file        # or url: TikTok fetches the video from media_base_url
      secrets: {client_key: TT_CLIENT_KEY, client_secret: TT_CLIENT_SECRET,
                refresh_token: TT_REFRESH_TOKEN}

"All content posted by unaudited clients will be restricted to private viewing mode": on a
channel without ``audited: true`` every post goes out ``SELF_ONLY``, and validate says so.
A post's ``variants: {tiktok: {...}}`` may set ``privacy_level`` (one of what
``creator_info/query`` offers the account, checked before sending), ``disable_comment``,
``disable_duet``, ``disable_stitch`` (videos), ``auto_add_music`` and ``title`` (photos: the
post's text is then the description), and the disclosures ``brand_content_toggle`` (paid
partnership) and ``brand_organic_toggle`` (your own brand). A video's ``thumb_offset`` is its
cover frame. What TikTok does not offer through this API: text-only posts, threads, first
comments, editing or deleting a post.

Exactly-once: the ``publish_id`` TikTok gives at init is kept before any byte is uploaded, and
a lost answer is settled with ``status/fetch``: ``FAILED`` (or an upload that never finished)
means nothing went out, ``PUBLISH_COMPLETE`` or a complete upload still processing means it
did. A ``FILE_UPLOAD`` init whose answer was lost was never uploaded, so nothing can have been
posted. A post TikTok is still processing when the wait ends is recorded under its publish id
(TikTok finishes it on its own); collect finds its post id later. The publish id, and the
fact that the upload finished, are saved in the ledger as soon as TikTok gives them
(``Outgoing.keep``), so a run killed mid-post leaves them for the next run's reconciliation,
as is a mark saved just before an init that makes TikTok fetch the media: a part with neither
never reached TikTok (a claim on the git state branch counts as an attempt) and is sent; only
a run killed between a pull init's request and its answer leaves a human to decide.

Reading (``cmops collect``): likes, comments, shares and views per post from
``/v2/video/query/`` (``video.list``), the follower count from ``/v2/user/info/``
(``user.info.stats``);
a private post (SELF_ONLY) or one still in moderation has no public post id and no counters:
recorded as unavailable, never as zero. TikTok's API gives no comments or mentions.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import quote

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
    refuse_unsendable,
    wait_for,
)
from cmops.adapters.http import client
from cmops.adapters.instagram import is_video
from cmops.adapters.reading import Counters, InboxItem, count_field
from cmops.mediaurls import served
from cmops.prepare import Unpreparable
from cmops.probe import video_facts
from cmops.retry import wait_from_headers
from cmops.text.limits import DEFAULT_LAYOUT, LAYOUTS, NETWORKS, NetworkRules
from cmops.workspace import OutsideRepository, media_file

API = "https://open.tiktokapis.com"
PRIVATE = "SELF_ONLY"
PRIVACY_LEVELS = ("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR",
                  PRIVATE)
MIN_CHUNK = 5 * 1024 * 1024
MAX_CHUNK = 64 * 1024 * 1024
"""Media Transfer Guide, "Chunk restrictions": each chunk 5 MB to 64 MB (the last up to
128 MB), a video under 5 MB sent whole, at most 1000 chunks. Whether MB means 10^6 or 2^20
bytes is not said (VERIFY): 2^20 is kept, which is inside both readings for 64 and above
both for 5."""
CHUNK = 16 * 1024 * 1024
RATE_WAIT = 60.0
"""TikTok's limits are per minute per token (6 inits, 20 creator queries, 30 status reads);
its 429 states no wait (VERIFY), so a minute is waited."""
DAILY_CAP_WAIT = 3600.0
DAILY_CAPS = frozenset({"spam_risk_too_many_posts", "spam_risk_too_many_pending_share"})
"""TikTok's caps on posts per account and day: nothing was posted; a later run tries again."""
POLL = 5.0
WAIT = 300.0
QUERY_BATCH = 20
"""Video ids per ``/v2/video/query/`` ("no larger than 20")."""
VIDEO_FIELDS = "id,like_count,comment_count,share_count,view_count"


class TikTokAdapter:
    network: ClassVar[str] = "tiktok"
    rules: ClassVar[NetworkRules] = NETWORKS["tiktok"]
    reconcile_by: ClassVar[str] = "lookup"

    def __init__(self, ctx: ChannelContext, sleep: Callable[[float], None] = time.sleep
                 ) -> None:
        self.name, self.redact, self.root = ctx.name, ctx.redactor, ctx.root
        self.token = ctx.secrets.get("token", "")
        self.refresh = {k: ctx.secrets.get(k, "") for k in
                        ("client_key", "client_secret", "refresh_token")}
        if not self.token and not all(self.refresh.values()):
            raise NotConfigured(f"channel {ctx.name}: tiktok needs secrets: {{token: …}} or "
                                "{client_key: …, client_secret: …, refresh_token: …}")
        self.keeper = ctx.tokens if all(self.refresh.values()) else None
        self.secret_refresh = self.refresh["refresh_token"]
        """The refresh token of the channel's secret: a kept one descends from it."""
        if self.keeper is not None:  # said now, before anything is sent: a key missing or
            self.keeper.require("tiktok")  # changed, a kept token cmops cannot read
            self.refresh["refresh_token"] = self.keeper.current(self.secret_refresh)
        server = ctx.settings.get("server", API)
        if not isinstance(server, str) or not server.startswith(("https://", "http://")):
            raise NotConfigured(f"channel {ctx.name}: tiktok server must be an http(s) URL")
        self.audited = ctx.settings.get("audited", False) is True
        source = ctx.settings.get("video_source", "file")
        if source not in ("file", "url"):
            raise NotConfigured(f"channel {ctx.name}: video_source must be file or url, not "
                                f"{source!r}")
        self.pull_video = source == "url"
        base = ctx.settings.get("media_base_url")
        self.media_base = base.rstrip("/") + "/" if isinstance(base, str) and \
            base.startswith("https://") else None
        layout = ctx.settings.get("media_layout", DEFAULT_LAYOUT)
        if layout not in LAYOUTS:
            raise NotConfigured(f"channel {ctx.name}: media_layout must be one of "
                                f"{', '.join(LAYOUTS)}, not {layout!r}")
        self.layout = str(layout)
        self.http = client(ctx, server.rstrip("/"))
        self.upload = httpx.Client(transport=ctx.transport, timeout=max(ctx.timeout, 60.0),
                                   follow_redirects=False)
        self.sleep = sleep
        self.chunk_size = CHUNK
        self.creator: dict[str, Any] | None = None
        self.publish_ids: dict[str, str] = {}
        """Dedupe key -> the publish id TikTok gave for it in this run, kept before upload."""
        self.uploaded: set[str] = set()
        """Publish ids whose bytes were all sent (or that TikTok fetches itself)."""
        self.file_inits: set[str] = set()
        """Dedupe keys whose ``FILE_UPLOAD`` init was sent in this run."""
        self.unavailable: dict[str, str] = {}

    def new_dedupe(self, key: str, part: int, now: datetime) -> str:
        return f"{key}#{part}@{now.isoformat()}"  # for people: TikTok takes no idempotency key

    # -- calls ---------------------------------------------------------------------------
    def _access(self) -> str:
        if not self.token:
            self._refresh()
        return self.token

    def _refresh(self) -> None:
        """``POST /v2/oauth/token/`` with ``grant_type=refresh_token`` (developers.tiktok.com/
        docs/en/oauth-refresh-a-user-access-token): "a successful refresh request will return
        a new refresh_token in place of the one you sent. The previous refresh token stops
        working once a new one is issued". The first refresh of a run sends the token an
        earlier run kept (:mod:`cmops.tokens`, read when the adapter is built); the new one
        is kept, encrypted, before the new access token is used, so a run killed right after
        the refresh loses nothing. Both are redacted, never printed."""
        if not all(self.refresh.values()):
            raise Rejected(f"channel {self.name}: TikTok refused the access token and there "
                           "is no refresh_token to get another: authorize the app again",
                           status=401)
        try:
            response = self.http.post("/v2/oauth/token/", data={
                **self.refresh, "grant_type": "refresh_token"})
        except httpx.HTTPError as exc:
            raise Transient(self.redact(f"TikTok token refresh: {type(exc).__name__}"),
                            maybe_sent=False) from None
        body = _json(response)
        token = body.get("access_token") if isinstance(body, dict) else None
        if response.status_code != 200 or not isinstance(token, str) or not token:
            why = body.get("error_description") or body.get("error") \
                if isinstance(body, dict) else None
            if response.status_code == 429 or response.status_code >= 500:
                raise Transient(self.redact(f"TikTok token refresh: HTTP "
                                            f"{response.status_code}: {why}")[:300],
                                maybe_sent=False, status=response.status_code)
            which = "the refresh token kept by an earlier run" \
                if self.refresh["refresh_token"] != self.secret_refresh else \
                "the refresh token"
            raise Rejected(self.redact(f"TikTok refused {which} (HTTP "
                                       f"{response.status_code}: {why or 'no reason'}): "
                                       "authorize the app again and update the secret")[:300],
                           status=401)
        self.redact.add(token)
        renewed = body.get("refresh_token")
        if isinstance(renewed, str) and renewed:
            self.redact.add(renewed)
            if self.keeper is not None and renewed != self.refresh["refresh_token"]:
                self.keeper.save(renewed, self.secret_refresh)  # before the token is used
            self.refresh["refresh_token"] = renewed  # the one sent is retired now
        self.token = token

    def call(self, path: str, body: Mapping[str, Any] | None = None,
             params: Mapping[str, str] | None = None, *, refreshed: bool = False) -> Any:
        """One JSON ``POST`` to the API; TikTok's error object mapped to the publisher's
        errors. A 401 with a refresh token gets a new access token and one more try."""
        token = self._access()
        try:
            response = self.http.post(path, json=dict(body or {}), params=params, headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json; charset=UTF-8"})
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise Transient(self.redact(f"cannot connect: {exc}"), maybe_sent=False) from None
        except httpx.TimeoutException as exc:
            raise Transient(self.redact(f"timed out: {type(exc).__name__}"),
                            maybe_sent=True) from None
        except httpx.TransportError as exc:
            raise Transient(self.redact(f"connection failed: {type(exc).__name__}"),
                            maybe_sent=True) from None
        answer = _json(response)
        error = answer.get("error") if isinstance(answer, dict) else None
        code = str(error.get("code", "")) if isinstance(error, dict) else ""
        status = response.status_code
        if 200 <= status < 300 and code in ("", "ok"):
            return answer.get("data") if isinstance(answer, dict) else None
        if status == 401 and not refreshed and all(self.refresh.values()):
            self._refresh()
            return self.call(path, body, params, refreshed=True)
        said = error.get("message", "") if isinstance(error, dict) else response.text
        message = self.redact(" ".join(f"HTTP {status}: {code or 'error'}: {said}".split())
                              )[:300]
        wait = wait_from_headers(response.headers, datetime.now(UTC))
        if status == 429:
            raise Transient(f"rate limited: {message}", maybe_sent=False, status=429,
                            retry_after=wait if wait is not None else RATE_WAIT)
        if code in DAILY_CAPS:
            raise Transient(f"TikTok's daily cap for this account is reached: {message}",
                            maybe_sent=False, status=status, retry_after=DAILY_CAP_WAIT)
        if status >= 500 or status == 408:
            raise Transient(message, maybe_sent=True, status=status, retry_after=wait)
        raise Rejected(message, status=status)

    # -- publishing ----------------------------------------------------------------------
    def creator_info(self) -> dict[str, Any]:
        """``POST /v2/post/publish/creator_info/query/``: the privacy levels this account
        may post with, its interaction settings and its longest video, asked once a run
        (the UX guidelines want the latest answer before posting)."""
        if self.creator is None:
            found = self.call("/v2/post/publish/creator_info/query/")
            self.creator = found if isinstance(found, dict) else {}
        return self.creator

    def privacy(self, out: Outgoing) -> str:
        """The privacy level sent: ``SELF_ONLY`` on an unaudited app, else the variant's (or
        ``PUBLIC_TO_EVERYONE``), which must be one the account offers."""
        wanted = out.options.get("privacy_level") or "PUBLIC_TO_EVERYONE"
        level = str(wanted) if self.audited else PRIVATE
        offered = [str(o) for o in self.creator_info().get("privacy_level_options") or []]
        if level not in offered:
            raise Rejected(f"not sent: {out.channel} (tiktok) offers privacy_level "
                           f"{', '.join(offered) or 'nothing'} to this account, not {level}")
        if level == PRIVATE and out.options.get("brand_content_toggle"):
            how = "SELF_ONLY" if self.audited else "privately: the app is not audited"
            raise Rejected(f"not sent: branded content (brand_content_toggle) cannot be "
                           f"private on TikTok, and {out.channel} posts {how}")
        return level

    def post_info(self, out: Outgoing, video: bool) -> dict[str, Any]:
        creator, opts = self.creator_info(), out.options
        info: dict[str, Any] = {"privacy_level": self.privacy(out),
                                "disable_comment": bool(opts.get("disable_comment")) or
                                creator.get("comment_disabled") is True,
                                "brand_content_toggle": bool(opts.get("brand_content_toggle")),
                                "brand_organic_toggle": bool(opts.get("brand_organic_toggle"))}
        if video:
            # Where the creator turned duets or stitches off, the app may not turn them on.
            info["title"] = out.text
            info["disable_duet"] = bool(opts.get("disable_duet")) or \
                creator.get("duet_disabled") is True
            info["disable_stitch"] = bool(opts.get("disable_stitch")) or \
                creator.get("stitch_disabled") is True
            if out.media[0].thumb_offset is not None:
                info["video_cover_timestamp_ms"] = out.media[0].thumb_offset
        else:
            info["description"] = out.text
            if opts.get("title"):
                info["title"] = str(opts["title"])
            info["auto_add_music"] = bool(opts.get("auto_add_music"))
        return info

    def publish(self, out: Outgoing) -> Remote:
        refuse_unsendable(self.rules, out)
        if not out.media:
            raise Rejected("not sent: TikTok takes a video or photos, not text alone")
        video = is_video(out.media[0])
        if video:
            self._check_length(out.media[0], out)
            publish_id = self._video(out)
        else:
            urls = [self.public_url(m) for m in out.media]
            self._pull_init(out)
            data = self.call("/v2/post/publish/content/init/", {
                "post_info": self.post_info(out, False), "post_mode": "DIRECT_POST",
                "media_type": "PHOTO", "source_info": {
                    "source": "PULL_FROM_URL", "photo_cover_index": 0,
                    "photo_images": urls}})
            publish_id = self._kept(out, data)
            self._uploaded(out, publish_id)
        return self.await_post(out, publish_id, video)

    def _check_length(self, media: MediaFile, out: Outgoing) -> None:
        longest = count_field(self.creator_info(), "max_video_post_duration_sec")
        facts = video_facts(media.path)
        if longest is not None and facts is not None and facts.seconds is not None \
                and facts.seconds > longest:
            raise Rejected(f"not sent: '{media.rel}' lasts {facts.seconds:.1f} s; this TikTok "
                           f"account posts videos of at most {longest} s")

    def _kept(self, out: Outgoing, data: Any) -> str:
        publish_id = data.get("publish_id") if isinstance(data, dict) else None
        if not isinstance(publish_id, str) or not publish_id:
            raise Rejected(f"TikTok answered no publish_id: {data}"[:300])
        self.publish_ids[out.dedupe] = publish_id  # kept before any byte is uploaded,
        if out.keep is not None:  # in this run and in the ledger for the next one
            out.keep({"publish_id": publish_id})
        return publish_id

    def _pull_init(self, out: Outgoing) -> None:
        """Saved before an init that makes TikTok fetch the media (and post it): a part
        without this mark never sent one. The access token comes first, so a run killed
        while refreshing it leaves no mark."""
        self._access()
        if out.keep is not None:
            out.keep({"init": "pull"})

    def _uploaded(self, out: Outgoing, publish_id: str) -> None:
        """Every byte is with TikTok: from now on it may post it on its own."""
        self.uploaded.add(publish_id)
        if out.keep is not None:
            out.keep({"uploaded": publish_id})

    def _video(self, out: Outgoing) -> str:
        media = out.media[0]
        info = self.post_info(out, True)
        if self.pull_video:
            self._pull_init(out)
            data = self.call("/v2/post/publish/video/init/", {"post_info": info, "source_info": {
                "source": "PULL_FROM_URL", "video_url": self.public_url(media)}})
            publish_id = self._kept(out, data)
            self._uploaded(out, publish_id)
            return publish_id
        size = media.path.stat().st_size
        ranges = chunks(size, self.chunk_size)
        self.file_inits.add(out.dedupe)
        data = self.call("/v2/post/publish/video/init/", {"post_info": info, "source_info": {
            "source": "FILE_UPLOAD", "video_size": size, "chunk_size": ranges[0][1],
            "total_chunk_count": len(ranges)}})
        publish_id = self._kept(out, data)
        url = data.get("upload_url")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise Rejected(f"TikTok answered no upload_url for {media.rel}")
        mime = "video/quicktime" if media.rel.lower().endswith(".mov") else \
            "video/webm" if media.rel.lower().endswith(".webm") else "video/mp4"
        with media.path.open("rb") as file:
            for start, length in ranges:
                file.seek(start)
                self._put(url, file.read(length), start, size, mime, media.rel)
        self._uploaded(out, publish_id)
        return publish_id

    def _put(self, url: str, data: bytes, start: int, size: int, mime: str, rel: str) -> None:
        """One chunk (Media Transfer Guide: ``PUT`` with ``Content-Range``, answered 206 until
        the last, which is answered 201). Nothing is posted before every chunk is in, so a
        failure here is "not sent"."""
        end = start + len(data) - 1
        try:
            response = self.upload.put(url, content=data, headers={
                "Content-Type": mime, "Content-Length": str(len(data)),
                "Content-Range": f"bytes {start}-{end}/{size}"})
        except httpx.HTTPError as exc:
            raise Transient(self.redact(f"upload of {rel} failed: {type(exc).__name__}; not "
                                        "posted"), maybe_sent=False) from None
        if response.status_code not in (200, 201, 206):
            raise Transient(self.redact(f"TikTok refused the upload of {rel} (bytes {start}-"
                                        f"{end}): HTTP {response.status_code}; not posted")
                            [:300], maybe_sent=False, status=response.status_code)

    def status(self, publish_id: str) -> dict[str, Any]:
        found = self.call("/v2/post/publish/status/fetch/", {"publish_id": publish_id})
        return found if isinstance(found, dict) else {}

    def await_post(self, out: Outgoing, publish_id: str, video: bool) -> Remote:
        """Poll ``status/fetch`` until ``PUBLISH_COMPLETE`` (a public post's id comes with
        it once moderated) or ``FAILED``; still processing when the wait ends, the post is
        TikTok's to finish and is recorded under its publish id."""
        def done() -> dict[str, Any] | None:
            found = self.status(publish_id)
            if found.get("status") == "FAILED":
                raise Rejected(self.redact(f"TikTok could not publish the post: "
                                           f"{found.get('fail_reason') or 'no reason given'}"))
            return found if found.get("status") == "PUBLISH_COMPLETE" else None
        try:
            found = wait_for(f"TikTok's processing of {publish_id}", done, every=POLL,
                             most=WAIT, out=out, sleep=self.sleep)
        except Transient:
            found = {}
        return self.remote(publish_id, found, video)

    def remote(self, publish_id: str, found: Mapping[str, Any], video: bool) -> Remote:
        ids = found.get("publicaly_available_post_id") or []  # TikTok's own spelling
        user = self.creator_info().get("creator_username")
        profile = f"https://www.tiktok.com/@{quote(str(user))}" if user else \
            "https://www.tiktok.com/"
        extra = {"publish_id": publish_id}
        if isinstance(ids, list) and ids:
            post = str(ids[0])
            return Remote(post, f"{profile}/{'video' if video else 'photo'}/{post}", extra)
        return Remote(publish_id, profile, extra)

    def reconcile(self, out: Outgoing, sent_at: datetime, now: datetime) -> Remote | None:
        publish_id = self.publish_ids.get(out.dedupe) or out.kept.get("publish_id")
        if publish_id is None:
            if out.dedupe in self.file_inits:
                return None  # the init's answer was lost: no byte was uploaded, nothing posted
            if out.keep is not None and (not self._pulls(out) or "init" not in out.kept):
                # The publisher saves what TikTok gives as it gives it: no publish id saved
                # means no upload began (FILE_UPLOAD), and no mark means no pull init was
                # sent (a claim on the git branch counts as an attempt before any of it).
                return None
            raise CannotTell(f"a TikTok post sent at {sent_at:%Y-%m-%d %H:%M}Z may have been "
                             "published, and its publish id was not kept (the run that sent "
                             "it stopped): check the account, then run cmops resolve "
                             f"{out.post_id} --channel {out.channel} --as published --url … "
                             "(or --as retry to send it again)")
        found = self.status(publish_id)
        state = found.get("status")
        if state == "FAILED":
            return None
        if state == "PUBLISH_COMPLETE" or publish_id in self.uploaded \
                or out.kept.get("uploaded") == publish_id:
            return self.remote(publish_id, found, is_video(out.media[0]) if out.media
                               else False)
        return None  # its upload never finished: TikTok posts nothing from it

    def _pulls(self, out: Outgoing) -> bool:
        """Whether TikTok fetches this part's media (photos, or a video from the host)."""
        return not out.media or not is_video(out.media[0]) or self.pull_video

    def public_url(self, media: MediaFile) -> str:
        """Where TikTok fetches ``media``: the prepared file as :mod:`cmops.mediaurls`
        serves it (layout ``prepared``) or the original at its repository path."""
        if self.media_base is None:
            raise NotConfigured("tiktok fetches photos (and videos with video_source: url) "
                                "from a public URL: set the channel's media_base_url "
                                "(https://…, on a host verified in the TikTok app)")
        if self.layout == "repository":
            return self.media_base + quote(media.rel.lstrip("/"))
        try:
            file = media_file(self.root, media.rel) if not media.path.is_file() else media.path
            return self.media_base + served(file, self.rules).path
        except (OutsideRepository, Unpreparable, OSError) as exc:
            raise Rejected(f"not sent: '{media.rel}' cannot be served to TikTok: {exc}"
                           ) from None

    # -- reading (cmops collect): see cmops.adapters.reading -----------------------------
    def metrics(self, remotes: Sequence[str]) -> dict[str, Counters | None]:
        """Counters from ``/v2/video/query/`` (``video.list``); a remote recorded under its
        publish id is looked up with ``status/fetch`` first."""
        posts: dict[str, str] = {}
        out: dict[str, Counters | None] = {}
        for remote in remotes:
            if remote.isdigit():
                posts[remote] = remote
                continue
            ids = self.status(remote).get("publicaly_available_post_id") or []
            if isinstance(ids, list) and ids:
                posts[remote] = str(ids[0])
            else:
                out[remote] = Counters()
                self.unavailable["metrics"] = (
                    "TikTok gives no counters for a private post (SELF_ONLY, as every post of "
                    "an unaudited app) or one still in moderation")
        wanted = sorted(set(posts.values()))
        found: dict[str, dict[str, Any]] = {}
        for i in range(0, len(wanted), QUERY_BATCH):
            try:
                data = self.call("/v2/video/query/", {"filters": {
                    "video_ids": wanted[i:i + QUERY_BATCH]}}, {"fields": VIDEO_FIELDS})
            except Rejected as exc:
                if exc.status not in (401, 403):
                    raise
                self.unavailable["metrics"] = f"TikTok: reading posts needs video.list ({exc})"
                return {**{r: Counters() for r in remotes}, **out}
            for video in (data or {}).get("videos") or []:
                if isinstance(video, dict) and "id" in video:
                    found[str(video["id"])] = video
        for remote, post in posts.items():
            video = found.get(post)
            out[remote] = None if video is None else Counters(
                likes=count_field(video, "like_count"),
                comments=count_field(video, "comment_count"),
                shares=count_field(video, "share_count"),
                impressions=count_field(video, "view_count"))
        return out

    def followers(self) -> int | None:
        """``GET /v2/user/info/?fields=follower_count`` (``user.info.stats``)."""
        try:
            response = self.http.get("/v2/user/info/", params={"fields": "follower_count"},
                                     headers={"Authorization": f"Bearer {self._access()}"})
        except httpx.HTTPError as exc:
            raise Transient(self.redact(f"TikTok user info: {type(exc).__name__}"),
                            maybe_sent=False) from None
        body = _json(response)
        if response.status_code in (401, 403):
            self.unavailable["followers"] = "TikTok: the follower count needs user.info.stats"
            return None
        user = ((body.get("data") or {}).get("user") or {}) if isinstance(body, dict) else {}
        return count_field(user, "follower_count")

    def inbox(self, cursor: str | None) -> tuple[list[InboxItem], str | None]:
        self.unavailable["inbox"] = ("TikTok's API gives apps no comments, mentions or "
                                     "messages to read")
        return [], cursor

    def close(self) -> None:
        self.http.close()
        self.upload.close()


def chunks(size: int, chunk: int = CHUNK) -> list[tuple[int, int]]:
    """(start, length) of each chunk of a ``size``-byte video, by the Media Transfer Guide:
    a video under 5 MB or no larger than one chunk goes whole; otherwise ``size // chunk``
    chunks ("rounded down"), the last taking the trailing bytes."""
    chunk = min(max(chunk, MIN_CHUNK), MAX_CHUNK)
    if size <= chunk:
        return [(0, size)]
    count = math.floor(size / chunk)
    if count > 1000:
        raise Rejected(f"not sent: a {size}-byte video needs more than 1000 chunks")
    return [(i * chunk, chunk if i < count - 1 else size - i * chunk) for i in range(count)]


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return {}
