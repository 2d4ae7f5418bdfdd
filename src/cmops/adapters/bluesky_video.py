"""Bluesky video: the file goes to the video service, which processes it and stores the blob
on the account's PDS; the post then embeds that blob (lexicon ``app.bsky.embed.video``).

The flow of docs.bsky.app/docs/tutorials/video ("Uploading Video", the recommended way, so
the post never shows a video still being processed):

1. a service-auth token from the PDS (``com.atproto.server.getServiceAuth``, aud the video
   service's ``did:web``, lxm ``app.bsky.video.getUploadLimits``), then
   ``app.bsky.video.getUploadLimits`` on the video service: ``canUpload`` false (daily
   count or bytes used up, email not verified) is refused with the service's own message;
2. a token for the PDS itself (aud the PDS's ``did:web``, lxm
   ``com.atproto.repo.uploadBlob``: the video service uploads the result there, using it),
   then ``POST app.bsky.video.uploadVideo?did=…&name=…`` with the bytes as ``video/mp4``;
   the answer is a ``jobStatus`` (lexicon app.bsky.video.defs#jobStatus);
3. ``app.bsky.video.getJobStatus?jobId=…`` (no auth) until ``JOB_STATE_COMPLETED`` (it
   carries the blob) or ``JOB_STATE_FAILED`` (``error``, ``message``). Every other state
   means "in process" (the lexicon says so), polled through :func:`wait_for`.

A video the service has already processed for this account is answered with the error
``already_exists`` and the earlier job's id (the tutorial's ``uploadVideo`` handling); the
job is then polled like a new one. Whether that answer is always a 409 the docs do not say:
any answer naming ``already_exists`` with a ``jobId`` is taken.

A self-hosted PDS has no video service of its own: ``video_service`` in the channel names
one (default https://video.bsky.app). A server there that answers 404 or
``MethodNotImplemented``, or nothing at all, is not one, and the adapter says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from cmops.adapters.base import (
    ChannelContext,
    MediaFile,
    NotConfigured,
    Outgoing,
    Rejected,
    Transient,
    wait_for,
)
from cmops.adapters.bluesky_read import _error
from cmops.adapters.http import client, send
from cmops.probe import video_facts

VIDEO_SERVICE = "https://video.bsky.app"
POLL_SECONDS = 1.5
WAIT_MOST = 300.0
"""Seconds a video may take to be processed; a slower one is tried again by the next run."""
UPLOAD_TOKEN_SECONDS = 30 * 60
"""The upload token's life: the tutorial asks for 30 minutes, as a large file takes a while
to send and the service uploads to the PDS with the same token after processing."""
DONE, FAILED = "JOB_STATE_COMPLETED", "JOB_STATE_FAILED"

ServiceAuth = Callable[[str, str, int | None], str]
"""``(aud, lxm, exp)`` -> a service-auth token from the account's PDS."""


def did_web(url: str) -> str:
    """The ``did:web`` of the service at ``url``: its host, a port written ``%3A`` (atproto
    allows a port only for ``localhost``, atproto.com/specs/did)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    return f"did:web:{host}%3A{parts.port}" if parts.port else f"did:web:{host}"


def video_size(path: Path) -> tuple[int, int] | None:
    """The video's displayed width and height (a 90 or 270 degree rotation swaps them), as
    validation read them (:func:`cmops.probe.video_facts`); None when the file says nothing
    of them."""
    facts = video_facts(path)
    if facts is None or not facts.width or not facts.height:
        return None
    return facts.width, facts.height


class VideoService:
    """The channel's video service, spoken to over XRPC with service-auth tokens."""

    def __init__(self, ctx: ChannelContext, url: object) -> None:
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise NotConfigured(f"channel {ctx.name}: bluesky video_service must be an "
                                "http(s) URL")
        self.url, self.channel, self.redact = url.rstrip("/"), ctx.name, ctx.redactor
        self.custom = self.url != VIDEO_SERVICE
        self.http = client(ctx, self.url)
        self.sleep: Callable[[float], None] = time.sleep
        """How the adapter waits between job polls (tests replace it)."""
        self.monotonic: Callable[[], float] = time.monotonic

    def _none_here(self) -> str:
        return (f"bluesky channel {self.channel}: no video service at {self.url} (a "
                "self-hosted PDS has none; set video_service)")

    def _call(self, method: str, nsid: str, token: str | None = None,
              **kwargs: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        headers.update(kwargs.pop("headers", {}))
        try:
            response = self.http.request(method, f"/xrpc/{nsid}", headers=headers, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            if self.custom:
                raise NotConfigured(f"{self._none_here()}: {self.redact(str(exc))}") from None
            raise Transient(self.redact(f"video service {self.url}: cannot connect: {exc}"),
                            maybe_sent=False) from None
        name, detail = _error(response)
        if response.status_code == 404 or name in ("MethodNotImplemented",
                                                   "XRPCNotSupported"):
            raise NotConfigured(f"{self._none_here()}: HTTP {response.status_code}"
                                f"{f' {name}' if name else ''}")
        if name == "already_exists" and nsid.endswith("uploadVideo"):
            return dict(response.json())
        try:
            body = send(self.redact, lambda: response).json()
        except ValueError:
            raise Rejected(f"video service {nsid}: the answer is not JSON") from None
        except (Rejected, Transient) as exc:
            text = self.redact(" ".join(f"{name}: {detail}".split()))[:300] if name else ""
            message = f"video service {nsid}: {text or exc}"
            if isinstance(exc, Rejected):
                raise Rejected(message, exc.status) from None
            raise Transient(message, retry_after=exc.retry_after, maybe_sent=False,
                            status=exc.status) from None
        if not isinstance(body, dict):
            raise Rejected(f"video service {nsid}: the answer is not an object")
        return body

    def embed(self, media: MediaFile, out: Outgoing, *, did: str, pds_url: str,
              service_auth: ServiceAuth) -> dict[str, Any]:
        """Upload ``media`` and wait for it; the ``app.bsky.embed.video`` to post."""
        token = service_auth(did_web(self.url), "app.bsky.video.getUploadLimits", None)
        try:
            limits = self._call("GET", "app.bsky.video.getUploadLimits", token)
        except Rejected as exc:
            # A video service takes a token the account's PDS made for it; a server that
            # refuses it (a bare PDS answers InvalidToken) or answers something else is none.
            raise NotConfigured(f"{self._none_here()}: {exc}") from None
        if limits.get("canUpload") is not True:
            why = limits.get("message") or limits.get("error") or "no reason given"
            raise Rejected(f"bluesky channel {self.channel}: the video service takes no "
                           f"upload now: {self.redact(str(why))[:300]}")
        exp = int(time.time()) + UPLOAD_TOKEN_SECONDS
        token = service_auth(did_web(pds_url), "com.atproto.repo.uploadBlob", exp)
        self.redact.add(token)
        started = self._call("POST", "app.bsky.video.uploadVideo", token,
                             params={"did": did, "name": media.path.name},
                             content=media.path.read_bytes(),
                             headers={"Content-Type": "video/mp4"})
        job = started.get("jobStatus", started)
        if not isinstance(job, dict) or not job.get("jobId"):
            raise Rejected(f"video service uploadVideo: no job in the answer: {started}"[:300])
        blob = self._finished(job) or wait_for(
            f"video {media.rel} (job {job['jobId']})", lambda: self._poll(str(job["jobId"])),
            every=POLL_SECONDS, most=WAIT_MOST, out=out, sleep=self.sleep,
            clock=self.monotonic)
        embed: dict[str, Any] = {"$type": "app.bsky.embed.video", "video": blob}
        if media.alt:
            embed["alt"] = media.alt
        size = video_size(media.path)
        if size is not None:  # aspectRatio is optional (lexicon app.bsky.embed.video)
            embed["aspectRatio"] = {"width": size[0], "height": size[1]}
        return embed

    def _poll(self, job_id: str) -> dict[str, Any] | None:
        answer = self._call("GET", "app.bsky.video.getJobStatus", params={"jobId": job_id})
        return self._finished(answer.get("jobStatus") or {})

    def _finished(self, job: dict[str, Any]) -> dict[str, Any] | None:
        """The blob of a completed job; None while in process; Rejected when it failed."""
        if job.get("state") == FAILED:
            why = " ".join(str(x) for x in (job.get("error"), job.get("message")) if x)
            raise Rejected(f"the video service could not process the video (job "
                           f"{job.get('jobId')}): {self.redact(why or 'no reason given')}"
                           [:400])
        if job.get("state") == DONE:
            blob = job.get("blob")
            if not isinstance(blob, dict):
                raise Rejected(f"video job {job.get('jobId')} completed without a blob")
            return blob
        return None

    def close(self) -> None:
        self.http.close()
