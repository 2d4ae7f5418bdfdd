"""X (Twitter) API v2: ``POST /2/tweets``, images through ``/2/media/upload``, threads as
replies (docs.x.com/x-api/posts/manage-tweets/introduction).

Setup (OAuth 1.0a user context, the static credentials a CI job can hold): in the X developer
console create a Project and an App, set its user authentication to "Read and write", then
under Keys and tokens generate the API key and secret and the Access token and secret of the
account that posts. Store the four as GitHub Actions secrets and name them::

    x-main:
      network: x
      secrets: {api_key: X_API_KEY, api_secret: X_API_SECRET,
                access_token: X_ACCESS_TOKEN, access_secret: X_ACCESS_TOKEN_SECRET}

An OAuth 2 user token (scopes ``tweet.write tweet.read users.read media.write``) works too as
``secrets: {token: X_USER_TOKEN}``, but it lasts two hours unless refreshed, which this
adapter does not do.

What X does not allow: no idempotency key, and identical text is refused with a 403 "duplicate
content". Since 2026-02-23 self-serve (pay-per-use) apps may reply only where the post's author
"summoned" the account: @mentioned it in that post, or quoted one of its posts
(docs.x.com/x-api/posts/manage-tweets/integrate, "Reply restrictions"). Whether a reply to the
account's own post (a thread's next part) counts as summoned is not said there: cmops sends
threads as replies, as before, and reports a refusal with X's reason. A post with ``reply_to:``
(an x.com/<user>/status/<id> address, whose id is all the API needs) that X refuses is Rejected
saying so. No edits: an edit is a new post (a new id) naming the old one in ``edit_options``,
within 30 minutes of posting and at most 5 times, and never on a reply to someone else
(docs.x.com/x-api/fundamentals/edit-posts): far inside any review's ``edit_window``.

Videos (MP4, MOV) and GIFs go through the chunked upload (initialize, append in 4 MiB segments
read one at a time from the file, finalize, then poll the processing status within the run's
time left); images through the simple upload. Every read is paid, and the free tier has none:
there, reconciliation cannot read the timeline, and ``cmops collect`` records counters,
followers and mentions as unavailable ("X free tier: no metrics"), never as zero. With read
access, counters come from ``public_metrics`` (impressions only when X includes them),
followers from ``/2/users/me``, mentions from ``/2/users/:id/mentions``, listening from
``/2/tweets/search/recent`` (the last 7 days; Basic tier and above); DMs are not read.

Exactly-once: an attempt whose answer was lost is settled by reading the account's posts
since the attempt for the same text. A "duplicate content" 403 is never a rejection and the
text is never altered to get past it: it means "probably published", so it goes to that same
lookup, and to a human when the lookup finds nothing or cannot read.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import io
import mimetypes
import re
import secrets
import time
from collections.abc import Callable, Generator, Iterable
from datetime import datetime, timedelta
from typing import Any, BinaryIO, ClassVar
from urllib.parse import parse_qsl, quote

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
from cmops.adapters.http import client, send
from cmops.adapters.x_read import XReading
from cmops.replyto import BadReplyUrl
from cmops.replyto import parse as parse_reply_url
from cmops.rules.media import sniff
from cmops.secrets import redact_known
from cmops.text.limits import NETWORKS, NetworkRules
from cmops.text.twitter import extract_urls

DUPLICATE = "duplicate content"
LOOKBACK = timedelta(minutes=2)
"""Read posts from a little before the attempt: clocks differ."""
MAX_PAGES = 5
_TCO = re.compile(r"https?://t\.co/\S+")
_STATUS_URL = re.compile(r"^https://(?:x|twitter)\.com/(?:i/web|\w+)/status/(\d+)$")
"""A post's web address, which ``cmops resolve --url`` may have recorded as its id."""
CHUNKED = {"video/mp4": "tweet_video", "video/quicktime": "tweet_video",
           "image/gif": "tweet_gif"}
"""Types sent through the chunked upload, with their ``media_category``: every video
("Use the chunked upload flow for all videos") and GIFs, which X processes asynchronously
only there (docs.x.com/x-api/media/quickstart/best-practices)."""
CHUNK = 4 * 1024 * 1024
"""Bytes per appended segment: "Keep each segment at or below 5 MB (server maximum is 8 MB)"
(docs.x.com/x-api/media/append-media-upload). Streamed from the file (see ``_Segment``)."""
MAX_SEGMENTS = 1000
"""``segment_index`` is 0 to 999 (openapi.json v2.167, ``AppendMediaUploadRequest``)."""
PROCESSING_MOST = 600.0
"""Seconds a video may take to be processed before the run gives up (nothing posted yet);
X states no bound. The run's time left bounds it first."""


def _pct(value: str) -> str:
    return quote(value, safe="-._~")  # RFC 5849 §3.6: only unreserved characters stay


def base_string(method: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """RFC 5849 §3.4.1: method, base URI and normalized parameters, each percent-encoded."""
    pairs = sorted((_pct(k), _pct(v)) for k, v in params)
    normalized = "&".join(f"{k}={v}" for k, v in pairs)
    return "&".join((method.upper(), _pct(url), _pct(normalized)))


def signature(base: str, consumer_secret: str, token_secret: str) -> str:
    """RFC 5849 §3.4.2 HMAC-SHA1, keyed with both secrets."""
    key = f"{_pct(consumer_secret)}&{_pct(token_secret)}".encode()
    return base64.b64encode(hmac.new(key, base.encode(), hashlib.sha1).digest()).decode()


class OAuth1(httpx.Auth):
    """Signs each request (query, and form bodies only: §3.4.1.3 leaves JSON and multipart
    bodies out of the signature)."""

    def __init__(self, api_key: str, api_secret: str, token: str, token_secret: str,
                 clock: Callable[[], float] = time.time,
                 nonce: Callable[[], str] = lambda: secrets.token_hex(16)) -> None:
        self.keys = (api_key, api_secret, token, token_secret)
        self.clock, self.nonce = clock, nonce

    def header(self, method: str, url: httpx.URL, body: list[tuple[str, str]]) -> str:
        api_key, api_secret, token, token_secret = self.keys
        oauth = {"oauth_consumer_key": api_key, "oauth_nonce": self.nonce(),
                 "oauth_signature_method": "HMAC-SHA1",
                 "oauth_timestamp": str(int(self.clock())), "oauth_token": token,
                 "oauth_version": "1.0"}
        base_url = str(url.copy_with(query=None, fragment=None))
        params = [*url.params.multi_items(), *body, *oauth.items()]
        oauth["oauth_signature"] = signature(base_string(method, base_url, params),
                                             api_secret, token_secret)
        return "OAuth " + ", ".join(f'{k}="{_pct(v)}"' for k, v in sorted(oauth.items()))

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response,
                                                             None]:
        body: list[tuple[str, str]] = []
        if request.headers.get("Content-Type", "").startswith(
                "application/x-www-form-urlencoded"):
            body = parse_qsl(request.read().decode(), keep_blank_values=True)
        request.headers["Authorization"] = self.header(request.method, request.url, body)
        yield request


class _Segment(io.RawIOBase):
    """``length`` bytes of an open file from ``start``, read where httpx asks: it sends a
    file-like part 64 KiB at a time, so no segment is ever held whole in memory (bytes
    would be, and httpx's request/response cycles keep them until the garbage collector
    runs: the benchmark saw 4 segments alive at once)."""

    def __init__(self, file: io.BufferedReader, start: int, length: int) -> None:
        super().__init__()
        self.file, self.start, self.length, self.pos = file, start, length, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.length}[whence]
        self.pos = max(0, min(self.length, base + offset))
        return self.pos

    def readinto(self, buffer: Any) -> int:
        self.file.seek(self.start + self.pos)
        view = memoryview(buffer).cast("B")
        read = self.file.readinto(view[:self.length - self.pos])
        self.pos += read
        return read


def _skeleton(text: str, urls: Iterable[tuple[int, int]]) -> str:
    """The text without its links (X rewrites each to a t.co link, and adds one per media
    attachment), whitespace collapsed: what a lookup can compare."""
    kept, pos = [], 0
    for start, end in urls:
        kept.append(text[pos:start])
        pos = end
    kept.append(text[pos:])
    return " ".join("".join(kept).split())


class XAdapter(XReading):
    network: ClassVar[str] = "x"
    reconcile_by: ClassVar[str] = "lookup"
    rules: ClassVar[NetworkRules] = NETWORKS["x"]

    def __init__(self, ctx: ChannelContext) -> None:
        server = ctx.settings.get("server", "https://api.x.com")
        if not isinstance(server, str) or not server.startswith(("https://", "http://")):
            raise NotConfigured(f"channel {ctx.name}: x server must be an http(s) URL")
        s = ctx.secrets
        self.redact = ctx.redactor
        four = ("api_key", "api_secret", "access_token", "access_secret")
        auth: httpx.Auth | None = None
        headers: dict[str, str] = {}
        if all(s.get(k) for k in four):
            auth = OAuth1(s["api_key"], s["api_secret"], s["access_token"], s["access_secret"])
        elif s.get("token"):
            headers["Authorization"] = f"Bearer {s['token']}"
        else:
            raise NotConfigured(f"channel {ctx.name}: x needs secrets: {{api_key, api_secret, "
                                "access_token, access_secret}} (OAuth 1.0a) or {token} "
                                "(OAuth 2 user token)")
        for value in s.values():
            self.redact.add(value)
        self.http = client(ctx, server.rstrip("/"), headers)
        if auth is not None:
            self.http.auth = auth
        self.user_id = ""
        self.duplicates: set[str] = set()
        """Dedupe keys of parts X called duplicates in this run."""
        self.sleep: Callable[[float], None] = time.sleep
        """How the adapter waits between status polls and before a chunk's retry (tests
        replace it, and ``monotonic`` with it)."""
        self.monotonic: Callable[[], float] = time.monotonic
        self.chunk = CHUNK
        """Bytes per appended segment (the benchmark and tests may change it)."""

    def new_dedupe(self, key: str, part: int, now: datetime) -> str:
        return f"{key}#{part}@{now.isoformat()}"  # recorded for people; X takes no key

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        return send(self.redact, lambda: self.http.request(method, path, **kwargs)).json()

    def _upload(self, out: Outgoing) -> list[str]:
        ids = []
        for media in out.media:
            # Types, count and size were checked by refuse_unsendable, from the content.
            with media.path.open("rb") as file:
                head = file.read(16)
            mime = sniff(head) or mimetypes.guess_type(media.path.name)[0] \
                or "application/octet-stream"
            if mime in CHUNKED:
                ids.append(self._chunked(media, mime, CHUNKED[mime], out))
            else:
                files = {"media": (media.path.name, media.path.read_bytes(), mime)}
                ids.append(str(self._call("POST", "/2/media/upload", files=files, data={
                    "media_category": "tweet_image"})["data"]["id"]))
            if media.alt:
                # /2/media/metadata states no media type for alt_text (openapi.json
                # CreateMediaMetadataMetadataAltText); v1.1 took it for images and GIFs only:
                # on a video, VERIFY against the live API.
                self._call("POST", "/2/media/metadata", json={
                    "id": ids[-1], "metadata": {"alt_text": {"text": media.alt}}})
        return ids

    def _chunked(self, media: MediaFile, mime: str, category: str, out: Outgoing) -> str:
        """initialize, append, finalize, then wait for processing (docs.x.com/x-api/media/
        quickstart/media-upload-chunked; paths from openapi.json v2.167: the quickstart's
        ``command=INIT`` form is gone: "Do not send command=INIT to POST /2/media/upload")."""
        size = media.path.stat().st_size
        if size > self.chunk * MAX_SEGMENTS:
            raise Rejected(f"'{media.rel}' is {size} bytes; cmops sends at most "
                           f"{MAX_SEGMENTS} segments of {self.chunk} bytes to X")
        media_id = str(self._call("POST", "/2/media/upload/initialize", json={
            "media_type": mime, "total_bytes": size, "media_category": category})["data"]["id"])
        with media.path.open("rb") as file:
            for index, start in enumerate(range(0, size, self.chunk)):
                segment = _Segment(file, start, min(self.chunk, size - start))
                self._append(media_id, index, io.BufferedReader(segment, 64 * 1024))
        done = self._call("POST", f"/2/media/upload/{media_id}/finalize")["data"]
        if done.get("processing_info"):
            self._processed(media, media_id, done["processing_info"], out)
        return media_id

    def _append(self, media_id: str, index: int, segment: BinaryIO) -> None:
        """One segment; a 5xx or a lost answer is retried once ("Failed chunks can be
        retried individually"; sending a segment_index again replaces it). httpx rewinds
        the segment and streams it from the file for each attempt."""
        def call() -> httpx.Response:
            return self.http.post(f"/2/media/upload/{media_id}/append",
                                  data={"segment_index": str(index)},
                                  files={"media": ("blob", segment, "application/octet-stream")})

        try:
            send(self.redact, call)
        except Transient as exc:
            if exc.status == 429:
                raise
            self.sleep(1.0)
            send(self.redact, call)

    def _processed(self, media: MediaFile, media_id: str, first: dict[str, Any],
                   out: Outgoing) -> None:
        """Poll ``GET /2/media/upload?command=STATUS`` after ``check_after_secs`` each time,
        until ``succeeded``; ``failed`` is Rejected with X's reason. The reason is read from
        ``processing_info.error`` as v1.1 documented it (``{code, name, message}``); the v2
        schema lists no such field, so its absence is said, not guessed."""
        info: dict[str, Any] | None = first
        ticks = [0]

        def check() -> str | None:
            nonlocal info
            if ticks[0] > 0:
                ticks[0] -= 1
                return None
            if info is None:
                info = self._call("GET", "/2/media/upload", params={
                    "command": "STATUS", "media_id": media_id})["data"].get(
                    "processing_info") or {"state": "succeeded"}
            state = info.get("state")
            if state == "succeeded":
                return media_id
            if state == "failed":
                error = info.get("error") or {}
                why = error.get("message") or error.get("name") or "X gave no reason"
                raise Rejected(self.redact(f"X could not process '{media.rel}': {why}"))
            ticks[0] = max(1, int(info.get("check_after_secs") or 1)) - 1
            info = None
            return None

        wait_for(f"X's processing of '{media.rel}'", check, every=1.0, most=PROCESSING_MOST,
                 out=out, sleep=self.sleep, clock=self.monotonic)

    def publish(self, out: Outgoing) -> Remote:
        refuse_unsendable(self.rules, out)
        body: dict[str, Any] = {"text": out.text}
        if out.reply_url:
            try:
                answered = parse_reply_url("x", out.reply_url).id
            except BadReplyUrl as exc:
                raise Rejected(f"reply_to {out.reply_url}: {exc}") from None
            body["reply"] = {"in_reply_to_tweet_id": answered}
        elif out.reply_to:
            body["reply"] = {"in_reply_to_tweet_id": out.reply_to.id}
        if out.media:
            try:
                body["media"] = {"media_ids": self._upload(out)}
            except Transient as exc:  # before the post: nothing can have been published
                raise Transient(str(exc), retry_after=exc.retry_after, maybe_sent=False,
                                status=exc.status) from None

        def call() -> httpx.Response:
            response = self.http.post("/2/tweets", json=body)
            if response.status_code == 403 and DUPLICATE in response.text:
                self.duplicates.add(out.dedupe)
                # Probably our own earlier attempt: reconcile, never reword (reliability §5.4).
                raise Transient("X refused the text as duplicate content: it was probably "
                                "published by an earlier attempt", maybe_sent=True, status=403)
            if out.reply_url and response.status_code in (400, 403, 404):
                raise Rejected(self.redact(_reply_refused(out.reply_url, response)),
                               status=response.status_code)
            if response.status_code == 400:
                raise Rejected(self.redact(f"HTTP 400: {_problems(response)}"), status=400)
            return response

        data = send(self.redact, call).json()["data"]
        return Remote(str(data["id"]), f"https://x.com/i/web/status/{data['id']}")

    def _timeline(self, since: datetime) -> Generator[dict[str, Any], None, None]:
        if not self.user_id:
            self.user_id = str(self._call("GET", "/2/users/me")["data"]["id"])
        params = {"max_results": "100", "tweet.fields": "created_at",
                  "start_time": since.strftime("%Y-%m-%dT%H:%M:%SZ")}
        for _ in range(MAX_PAGES):
            page = self._call("GET", f"/2/users/{self.user_id}/tweets", params=params)
            yield from page.get("data") or []
            token = (page.get("meta") or {}).get("next_token")
            if not token:
                return
            params["pagination_token"] = token
        raise CannotTell(f"more than {MAX_PAGES * 100} posts since the attempt: too many to "
                         "look through")

    def reconcile(self, out: Outgoing, sent_at: datetime, now: datetime) -> Remote | None:
        wanted = _skeleton(out.text, ((u.start, u.end) for u in extract_urls(out.text)))
        how = (f"cmops resolve {out.post_id} --channel {out.channel} --as published --url … "
               "(or --as retry to send it again)")
        try:
            for post in self._timeline(sent_at - LOOKBACK):
                text = html.unescape(str(post.get("text", "")))
                if _skeleton(text, ((m.start(), m.end()) for m in _TCO.finditer(text))) \
                        == wanted:
                    return Remote(str(post["id"]), f"https://x.com/i/web/status/{post['id']}")
        except Rejected as exc:
            if exc.status not in (401, 403, 453):
                raise
            raise CannotTell(
                f"an X post sent at {sent_at:%Y-%m-%d %H:%M}Z may have been published, and "
                f"this app's access tier cannot read the account's posts ({exc}): check the "
                f"account, then run {how}") from None
        if out.dedupe in self.duplicates:
            raise CannotTell(
                "X refused the text as duplicate content, yet the account has no post with it "
                f"since {sent_at:%Y-%m-%d %H:%M}Z (an older identical post?): X does not allow "
                f"the same text twice and cmops never rewords it: edit the post or run {how}")
        return None  # the whole window was read: nothing went out, sending again is safe

    def delete(self, item: Withdrawal) -> None:
        """``DELETE /2/tweets/:id`` (docs.x.com/x-api/posts/delete-post; 50 per 15 minutes
        per user): 200 ``{"data": {"deleted": true}}``. The docs name no answer for a post
        already deleted or for another account's post; a 404 is taken as already deleted,
        any other 4xx (403 for a post that is not the account's, as v1.1's error 183 "You
        may not delete another user's status") as refused. ``deleted: false``, which the
        docs do not explain, is retried by the next run (a delete is safe to repeat)."""
        found = _STATUS_URL.match(item.remote.id)
        post = found[1] if found else item.remote.id
        if not post.isdigit():
            raise Rejected(f"cannot delete {item.remote.id!r} on X: not a post id; delete it "
                           "by hand")
        try:
            answer = self._call("DELETE", f"/2/tweets/{post}")
        except Rejected as exc:
            if exc.status == 404:
                return
            raise Rejected(f"deleting post {post}: {exc}", exc.status) from None
        if (answer.get("data") or {}).get("deleted") is not True:
            said = self.redact(" ".join(str(answer).split()))[:200]  # redact, then cut
            raise Transient(f"X did not delete post {post}: it answered {said}")

    def close(self) -> None:
        self.http.close()


GONE = ("deleted or not visible", "does not exist", "not found")
"""How X says the post answered is not there: v1.1's error 385 "You attempted to reply to a
Tweet that is deleted or not visible to you", which v2 answers as a 403 problem's detail
(reported in plhery/node-twitter-api-v2#366); an unknown id, "does not exist"."""


def _reply_refused(url: str, response: httpx.Response) -> str:
    """Why X refused a reply to ``url``. The docs give no error body for the summoning rule
    ("the reply request will be rejected"), so any other 403 is explained by it, with X's
    own words kept beside."""
    said = _problems(response)
    status = response.status_code
    if status == 404 or any(words in said.lower() for words in GONE):
        return (f"reply_to {url}: X has no post there to answer (deleted, or not visible to "
                f"this account): HTTP {status}: {said}")
    if status == 403:
        return (f"reply_to {url}: X refused the reply (HTTP 403: {said}). Since 2026-02-23 "
                "X lets self-serve (pay-per-use) apps reply only where the post's author "
                "summoned the account: @mentioned it in that post, or quoted one of its "
                "posts (docs.x.com/x-api/posts/manage-tweets/integrate); answer it from the "
                "X app instead")
    return f"reply_to {url}: HTTP {status}: {said}"


def _problems(response: httpx.Response) -> str:
    """X's 400 says little in ``detail``; the reasons are in ``errors[].message``."""
    try:
        body = response.json()
        found = [str(e.get("message")) for e in body.get("errors", []) if isinstance(e, dict)]
        text = "; ".join(found) or str(body.get("detail") or body)
    except (ValueError, AttributeError):
        text = response.text
    return redact_known(" ".join(text.split()))[:300]  # redact before cutting
