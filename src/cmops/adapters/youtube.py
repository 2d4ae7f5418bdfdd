"""YouTube, through the Data API v3: one video per post, uploaded with the resumable protocol
of ``videos.insert``, its custom thumbnail set with ``thumbnails.set``.

Setup: in the Google Cloud console create a project, enable the YouTube Data API v3, create an
OAuth client (type "Desktop" or "Web"), and authorize it once for the channel's Google account
with the scope ``https://www.googleapis.com/auth/youtube.upload`` (add ``youtube.readonly``
for ``cmops collect``) and ``access_type=offline``, which gives a refresh token. Store the
refresh token, the client id and its secret as repository secrets::

    youtube-main:
      network: youtube
      privacy: public             # public (default), unlisted or private
      category: "22"              # the default categoryId (22: People & Blogs)
      daily_quota: 10000          # the project's daily units, if Google granted more
      secrets: {refresh_token: YT_REFRESH_TOKEN, client_id: YT_CLIENT_ID,
                client_secret: YT_CLIENT_SECRET}

(``secrets: {token: …}`` takes an access token instead, which lasts an hour.) A post is one
video; its text is the description; the title, tags, category, privacy, "made for kids",
"altered or synthetic content" and a thumbnail come from the post's variant for the channel
or for ``youtube`` (``title:``, ``tags:``, ``category:``, ``privacy:``, ``made_for_kids:``,
``synthetic_media:``, ``thumbnail:``; ``short: true`` asks validation to hold the video to a
Short's shape). ``publishAt`` is never sent: cmops decides when the post goes out.

Projects not yet audited by YouTube (created after 28 July 2020) have every upload locked
private whatever ``privacy`` says ("Videos uploaded via unverified API projects ... will be
restricted to private viewing mode", developers.google.com/youtube/v3/docs/videos/insert);
set ``audited: true`` on the channel once the project passed the audit, and until then
validate warns that public and unlisted posts will be private.

Exactly-once: the upload session (``Location`` of the first call) is kept for the run; a lost
answer to the bytes is settled by asking the session how much it holds (``PUT`` with
``Content-Range: bytes */size``: ``201`` gives the video, ``308`` means not complete, and the
next attempt resumes it; the "Resumable Uploads" guide of the Data API, steps 4.1-4.3).
Otherwise the channel's latest uploads (``channels.list`` → uploads playlist →
``playlistItems.list``, then ``videos.list`` for their tags) are searched for the post's
marker: the dedupe key, sent as a tag (``cmops-`` and 16 hex digits), the least
visible place (tags are not shown on the watch page; the description is).

Quota: an upload costs 1,600 units, a thumbnail 50, each list call 1; the
plan shows a day's total against the channel's ``daily_quota`` (default 10,000), and a
``quotaExceeded`` answer waits until midnight Pacific Time, when the quota is reset.

Reading (``cmops collect``): ``videos.list part=statistics`` gives views (as impressions),
likes and comments; the Data API gives no share count, so shares are recorded as unavailable;
the follower count is the channel's ``subscriberCount`` (unavailable when hidden). Comments
are not read in this version.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import httpx

from cmops.adapters import http
from cmops.adapters.base import (
    CannotTell,
    ChannelContext,
    Outgoing,
    Rejected,
    Remote,
    Transient,
    refuse_unsendable,
)
from cmops.adapters.google_auth import TOKEN_URL, GoogleAuth
from cmops.adapters.reading import Counters, InboxItem
from cmops.quota import PACIFIC, YOUTUBE_COSTS
from cmops.rules.media import sniff
from cmops.text.limits import NETWORKS, NetworkRules

API = "https://www.googleapis.com"
WATCH = "https://www.youtube.com/watch?v="
CHUNK = 8 * 1024 * 1024
"""Bytes read from the file at a time while streaming it (one request carries them all)."""
LOOKBACK = timedelta(minutes=5)
UPLOADS_LOOKED_AT = 50
"""The channel's latest uploads searched for a marker (one page of playlistItems.list)."""
QUOTA_ERRORS = ("quotaExceeded", "dailyLimitExceeded")
THUMBNAIL_BYTES = 2 * 1024 * 1024

log = logging.getLogger(__name__)


class YouTubeAdapter:
    network: ClassVar[str] = "youtube"
    rules: ClassVar[NetworkRules] = NETWORKS["youtube"]
    reconcile_by: ClassVar[str] = "lookup"

    def __init__(self, ctx: ChannelContext, sleep: Callable[[float], None] = time.sleep
                 ) -> None:
        self.ctx = ctx
        server = str(ctx.settings.get("server") or "").rstrip("/")
        self.auth = GoogleAuth(ctx, token_url=f"{server}/token" if server else TOKEN_URL)
        self.http = http.client(ctx, server or API)
        self.redact = ctx.redactor
        self.sessions: dict[str, tuple[str, int]] = {}
        """A part's dedupe key -> its upload session URI and the file's size, this run."""
        self.units = 0
        """Quota units this adapter's calls cost (:data:`cmops.quota.YOUTUBE_COSTS`)."""
        self._unavailable: dict[str, str] = {}

    # -- publishing -----------------------------------------------------------------------
    def new_dedupe(self, key: str, part: int, now: datetime) -> str:
        digest = hashlib.sha256(f"{key}#{part}@{now.isoformat()}".encode()).hexdigest()
        return f"cmops-{digest[:16]}"

    def resource(self, out: Outgoing) -> dict[str, Any]:
        """The video resource of ``videos.insert`` (developers.google.com/youtube/v3/docs/
        videos#resource): the description is the post's text."""
        options, settings = out.options, self.ctx.settings
        tags = [str(t) for t in options.get("tags") or ()]
        snippet: dict[str, Any] = {
            "title": str(options.get("title") or ""), "description": out.text,
            "tags": [*tags, out.dedupe],
            "categoryId": str(options.get("category") or settings.get("category") or "22")}
        if out.lang:
            snippet["defaultLanguage"] = out.lang
        status: dict[str, Any] = {
            "privacyStatus": str(options.get("privacy") or settings.get("privacy")
                                 or "public")}
        for option, field in (("made_for_kids", "selfDeclaredMadeForKids"),
                              ("synthetic_media", "containsSyntheticMedia")):
            value = options.get(option, settings.get(option))
            if isinstance(value, bool):
                status[field] = value
        return {"snippet": snippet, "status": status}

    def publish(self, out: Outgoing) -> Remote:
        refuse_unsendable(self.rules, out)
        if not out.options.get("title"):
            raise Rejected("not sent: a YouTube video needs a title (title: in the post's "
                           "variant for youtube or the channel)")
        thumbnail = self._thumbnail_file(out)
        video = out.media[0]
        mime = mimetypes.guess_type(video.path.name)[0] or "video/*"
        size = video.path.stat().st_size
        found = None
        if out.dedupe in self.sessions:
            try:
                found = self._resume(out.dedupe, video.path, mime)
            except Rejected as exc:
                if exc.status not in (404, 410):
                    raise
                del self.sessions[out.dedupe]  # expired: a new session, a new upload
        if found is None:
            started = self._call("videos.insert", lambda h: self.http.post(
                "/upload/youtube/v3/videos",
                params={"uploadType": "resumable", "part": "snippet,status"},
                json=self.resource(out),
                headers={**h, "X-Upload-Content-Length": str(size),
                         "X-Upload-Content-Type": mime}))
            session = started.headers.get("Location")
            if not session:
                raise Transient("YouTube started no upload session (no Location)",
                                maybe_sent=False)
            self.sessions[out.dedupe] = (session, size)
            found = self._put(session, video.path, mime, 0, size)
        remote = self._remote(found)
        if thumbnail is not None:
            self._thumbnail(remote.id, out, *thumbnail)
        return remote

    def _put(self, session: str, path: Path, mime: str, start: int, size: int) -> Any:
        """Send the file's bytes from ``start``: ``201``/``200`` gives the video. A ``308``
        here means YouTube kept only part of it: the next attempt resumes."""
        def chunks() -> Iterator[bytes]:
            with path.open("rb") as file:
                file.seek(start)
                while block := file.read(CHUNK):
                    yield block

        headers = {"Content-Type": mime, "Content-Length": str(size - start)}
        if start:
            headers["Content-Range"] = f"bytes {start}-{size - 1}/{size}"
        answer = self._call(None, lambda h: self.http.put(
            session, content=chunks(), headers={**h, **headers}), accept=(308,))
        if answer.status_code == 308:
            raise Transient("YouTube kept part of the upload; the next attempt resumes it",
                            maybe_sent=False)
        return answer.json()

    def _status(self, session: str, size: int) -> tuple[Any, int]:
        """Ask the session what it holds (step 4.1): the video when complete, else how many
        bytes it kept (``Range: bytes=0-N``)."""
        answer = self._call(None, lambda h: self.http.put(session, content=b"", headers={
            **h, "Content-Length": "0", "Content-Range": f"bytes */{size}"}), accept=(308,))
        if answer.status_code in (200, 201):
            return answer.json(), size
        held = answer.headers.get("Range", "")
        return None, int(held.rpartition("-")[2]) + 1 if held.startswith("bytes=0-") else 0

    def _resume(self, dedupe: str, path: Path, mime: str) -> Any:
        session, size = self.sessions[dedupe]
        found, held = self._status(session, size)
        return found if found is not None else self._put(session, path, mime, held, size)

    def _remote(self, found: Any) -> Remote:
        video = str(found.get("id") or "") if isinstance(found, dict) else ""
        if not video:
            raise Transient("YouTube answered the upload without a video id", maybe_sent=True)
        return Remote(video, WATCH + video)

    def _thumbnail_file(self, out: Outgoing) -> tuple[str, bytes, str] | None:
        """The thumbnail's name, bytes and type, read before anything is sent: one that
        is missing, too large or not a JPEG or PNG refuses the post (thumbnails.set: "Maximum
        file size: 2MB", "image/jpeg, image/png")."""
        name = out.options.get("thumbnail")
        if not isinstance(name, str) or not name:
            return None
        try:
            data = (self.ctx.root / name).read_bytes()
        except OSError as exc:
            raise Rejected(f"not sent: cannot read the thumbnail '{name}': "
                           f"{exc.strerror}") from None
        mime = sniff(data[:16])
        if mime not in ("image/jpeg", "image/png") or len(data) > THUMBNAIL_BYTES:
            raise Rejected(f"not sent: the thumbnail '{name}' must be a JPEG or PNG of at "
                           f"most 2 MB (it is {mime or 'of no known type'}, {len(data)} "
                           "bytes)")
        return name, data, mime

    def _thumbnail(self, video: str, out: Outgoing, name: str, data: bytes, mime: str
                   ) -> None:
        """``thumbnails.set`` (developers.google.com/youtube/v3/docs/thumbnails/set): the
        image as the request body. The video is out already: a refusal (the channel is not
        verified for custom thumbnails, a 403) is logged, never turned into a failure of a
        published post, and YouTube keeps its own thumbnail."""
        try:
            self._call("thumbnails.set", lambda h: self.http.post(
                "/upload/youtube/v3/thumbnails/set", params={"videoId": video}, content=data,
                headers={**h, "Content-Type": mime}))
        except (Rejected, Transient) as exc:
            log.warning("%s: video %s is published, but its thumbnail %s was not set: %s",
                        out.channel, video, name, self.redact(str(exc)))

    def _call(self, method: str | None, call: Callable[[dict[str, str]], httpx.Response],
              accept: tuple[int, ...] = ()) -> httpx.Response:
        """One API call, its quota cost counted (an invalid request costs too; the bytes of
        an upload are part of its ``videos.insert``, ``method`` None); a quota refusal (403
        ``quotaExceeded``) waits until the quota is reset."""
        self.units += YOUTUBE_COSTS[method] if method else 0
        try:
            return self.auth.send(call, accept)
        except Rejected as exc:
            if exc.status in (403, 429) and any(r in str(exc) for r in QUOTA_ERRORS):
                raise Transient(f"YouTube quota used up ({exc}): waits for the reset at "
                                "midnight Pacific Time", retry_after=_until_reset(),
                                maybe_sent=False, status=exc.status) from None
            raise

    # -- reconciliation -------------------------------------------------------------------
    def reconcile(self, out: Outgoing, sent_at: datetime, now: datetime) -> Remote | None:
        if out.dedupe in self.sessions:
            session, size = self.sessions[out.dedupe]
            try:
                found, _held = self._status(session, size)
            except Rejected:
                found = None  # the session is gone (404/410): look among the uploads
            else:
                return self._remote(found) if found is not None else None  # resumed next
        for item in self._latest_uploads(sent_at - LOOKBACK):
            if out.dedupe in ((item.get("snippet") or {}).get("tags") or ()):
                return Remote(str(item["id"]), WATCH + str(item["id"]))
        raise CannotTell(f"a YouTube upload started at {sent_at:%Y-%m-%d %H:%M}Z may have "
                         f"been published and is not among the channel's latest "
                         f"{UPLOADS_LOOKED_AT} uploads (tag {out.dedupe}): check YouTube "
                         f"Studio, then run cmops resolve {out.post_id} --channel "
                         f"{out.channel} --as published --url … (or --as retry)")

    def _get(self, method: str, path: str, params: dict[str, str]) -> Any:
        return self._call(method, lambda h: self.http.get(path, params=params,
                                                          headers=h)).json()

    def _latest_uploads(self, since: datetime) -> list[Any]:
        """The channel's uploads published since ``since``, with their snippets (tags)."""
        channels = self._get("channels.list", "/youtube/v3/channels",
                             {"part": "contentDetails", "mine": "true"})
        items = channels.get("items") or []
        uploads = ((items[0].get("contentDetails") or {}).get("relatedPlaylists") or {}) \
            .get("uploads") if items else None
        if not uploads:
            return []
        listed = self._get("playlistItems.list", "/youtube/v3/playlistItems", {
            "part": "contentDetails", "playlistId": str(uploads),
            "maxResults": str(UPLOADS_LOOKED_AT)}).get("items") or []
        ids = [str(i["contentDetails"]["videoId"]) for i in listed
               if (i.get("contentDetails") or {}).get("videoId")
               and _time((i.get("contentDetails") or {}).get("videoPublishedAt"), since)
               >= since]
        if not ids:
            return []
        found = self._get("videos.list", "/youtube/v3/videos",
                          {"part": "snippet", "id": ",".join(ids)})
        return list(found.get("items") or [])

    # -- reading (cmops collect) ----------------------------------------------------------
    @property
    def unavailable(self) -> dict[str, str]:
        return self._unavailable

    def metrics(self, remotes: Sequence[str]) -> dict[str, Counters | None]:
        """``videos.list part=statistics``, 50 ids a call (developers.google.com/youtube/v3/
        docs/videos#statistics); a video not listed is gone (None)."""
        self._unavailable["shares"] = "YouTube: the Data API gives no share count"
        out: dict[str, Counters | None] = dict.fromkeys(remotes)
        for start in range(0, len(remotes), 50):
            batch = list(remotes[start:start + 50])
            found = self._get("videos.list", "/youtube/v3/videos",
                              {"part": "statistics", "id": ",".join(batch)})
            for item in found.get("items") or []:
                stats = item.get("statistics") or {}
                out[str(item.get("id"))] = Counters(
                    likes=_count(stats.get("likeCount")),
                    comments=_count(stats.get("commentCount")),
                    impressions=_count(stats.get("viewCount")))
        return out

    def followers(self) -> int | None:
        found = self._get("channels.list", "/youtube/v3/channels",
                          {"part": "statistics", "mine": "true"})
        items = found.get("items") or []
        stats = (items[0].get("statistics") or {}) if items else {}
        if stats.get("hiddenSubscriberCount"):
            self._unavailable["followers"] = "YouTube: the channel hides its subscriber count"
            return None
        return _count(stats.get("subscriberCount"))

    def inbox(self, cursor: str | None) -> tuple[list[InboxItem], str | None]:
        self._unavailable["inbox"] = "YouTube: comments are not read in this version"
        return [], cursor

    def close(self) -> None:
        self.http.close()


def _count(value: Any) -> int | None:
    """The Data API gives counts as strings of digits."""
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _time(text: Any, default: datetime) -> datetime:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return default  # no date given: looked at, rather than missed


def _until_reset(now: datetime | None = None) -> float:
    """Seconds until the next midnight Pacific Time, when the daily quota is reset."""
    here = (now or datetime.now(UTC)).astimezone(PACIFIC)
    midnight = datetime.combine(here.date() + timedelta(days=1), datetime.min.time(),
                                PACIFIC)
    return max(60.0, (midnight - here).total_seconds())
