"""A Facebook Page reel, sent through the Reels Publishing API
(developers.facebook.com/docs/video-api/guides/reels-publishing): the flow the Facebook
adapter's docstring describes (start, the bytes to the upload host, finish, the wait for
publishing), apart from the adapter's feed, photo and video posts."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx

from cmops.adapters.base import MediaFile, Outgoing, Rejected, Remote, Transient, wait_for
from cmops.adapters.http import send
from cmops.probe import video_facts
from cmops.text.reels import FACEBOOK_REEL, reel_refusals

if TYPE_CHECKING:
    from cmops.adapters.facebook import FacebookAdapter

UPLOAD_SERVER = "https://rupload.facebook.com"
"""Where a reel's bytes go (the ``upload_url`` Graph answers must be there)."""
LOOPBACK = ("127.0.0.1", "localhost", "::1")
POLL = 5.0
WAIT = 600.0


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, parts.hostname or "", parts.port


def reel(adapter: FacebookAdapter, media: MediaFile, out: Outgoing) -> Remote:
    """One video as a Page reel: start, the bytes to the upload host, finish, then wait for
    Facebook to publish it (see the module docstring)."""
    who = f"{out.channel} (facebook)"
    problems = reel_refusals(FACEBOOK_REEL, media.rel, video_facts(media.path), who)
    if problems:
        raise Rejected("not sent: " + "; ".join(problems))
    edge = f"{adapter.page}/video_reels"
    try:
        start = adapter.graph.post(edge, {"upload_phase": "start"})
        video, url = str(start["video_id"]), str(start["upload_url"])
        if _origin(url) != _origin(adapter.upload_server):
            raise Rejected(adapter.graph.redact(
                f"Facebook gave an upload address outside {adapter.upload_server} ({url}): "
                "the Page token is not sent there; not posted"))
        size = media.path.stat().st_size
        with media.path.open("rb") as file:  # httpx streams it 64 KiB at a time
            got = send(adapter.graph.redact, lambda: _uploaded(adapter.upload.post(
                url, content=file, headers={
                    "Authorization": f"OAuth {adapter.graph.token}", "offset": "0",
                    "file_size": str(size), "Content-Type": "application/octet-stream",
                    "Content-Length": str(size)}), adapter.graph.redact)).json()
        if got.get("success") is not True:
            raise Transient(f"Facebook did not confirm the upload of {media.rel}: {got}; not "
                            "posted", maybe_sent=False)
    except Transient as exc:
        # Nothing is published before finish: an upload lost midway left an unpublished
        # video at most, and the next run starts again.
        raise Transient(str(exc), retry_after=exc.retry_after, maybe_sent=False,
                        status=exc.status) from None
    adapter.graph.post(edge, {"upload_phase": "finish", "video_id": video,
                              "video_state": "PUBLISHED", "description": out.text})
    remote = Remote(video, f"https://www.facebook.com/reel/{video}")

    def published() -> Remote | None:
        status = (adapter.graph.get(f"/{adapter.version}/{video}", {"fields": "status"})
                  .get("status") or {})
        phases = [status.get(f"{name}_phase") or {}
                  for name in ("uploading", "processing", "publishing")]
        if status.get("video_status") == "error" or any(
                isinstance(p, dict) and p.get("status") == "error" for p in phases):
            errors = [e for p in phases if isinstance(p, dict)
                      for e in p.get("errors") or [] if isinstance(e, dict)]
            why = "; ".join(str(e.get("message", "")) for e in errors) or "no reason given"
            raise Rejected(adapter.graph.redact(f"Facebook could not publish {media.rel} as a "
                                                f"reel ({why}); not posted"))
        return remote if (status.get("publishing_phase") or {}).get(
            "status") == "complete" else None

    try:
        return wait_for(f"Facebook's processing of the reel {media.rel}", published,
                        every=POLL, most=WAIT, out=out, sleep=adapter.sleep)
    except Transient:
        return remote  # finished: Facebook publishes it on its own, as a video


def _uploaded(response: httpx.Response, redact: Callable[[str], str]) -> httpx.Response:
    """The upload host's refusal, ``{"debug_info": {"type", "message"}}``, in words; other
    answers go on to ``http.check``, which decides from the status."""
    try:
        body = response.json()
    except ValueError:
        return response
    info = body.get("debug_info") if isinstance(body, dict) else None
    if response.status_code < 400 or not isinstance(info, dict):
        return response
    message = redact(f"HTTP {response.status_code}: upload refused: {info.get('type')}: "
                     f"{info.get('message')}")[:300]
    if response.status_code == 429 or response.status_code >= 500:
        raise Transient(message, maybe_sent=False, status=response.status_code)
    raise Rejected(message, status=response.status_code)
