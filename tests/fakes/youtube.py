"""A strict loopback YouTube Data API v3, enforcing the documented flow both ways:

- Resumable upload (developers.google.com/youtube/v3/guides/using_resumable_upload_protocol):
  ``POST /upload/youtube/v3/videos?uploadType=resumable&part=…`` with a JSON video resource,
  ``X-Upload-Content-Length`` and ``X-Upload-Content-Type: video/…`` answers ``200`` and the
  session URI in ``Location``; ``PUT`` of the bytes to it answers ``201`` with the video;
  ``PUT`` with ``Content-Range: bytes */N`` and no body asks the status: ``308`` with
  ``Range: bytes=0-K`` (none when nothing is held) while incomplete, the video when
  complete; a resumed ``PUT`` carries ``Content-Range: bytes K+1-(N-1)/N``, refused when it
  does not start where the session stands.
- The video resource (developers.google.com/youtube/v3/docs/videos, "Properties", and
  docs/videos/insert): ``snippet.title`` required, at most 100 characters, and, like
  ``snippet.description`` (at most 5000 bytes), without ``<`` or ``>``; ``snippet.tags`` at
  most 500 characters in all (commas between tags count, a tag with a space counts its
  quotes); ``status.privacyStatus`` public, unlisted or private; a ``publishAt`` is refused
  here because cmops must never send one (it schedules itself).
- ``thumbnails.set`` (docs/thumbnails/set): ``POST /upload/youtube/v3/thumbnails/set?
  videoId=…`` with the image as the body, JPEG or PNG, at most 2 MB; an unverified channel
  gets 403 (``verified=False``).
- ``channels.list`` (``mine=true``; ``contentDetails.relatedPlaylists.uploads``,
  ``statistics``), ``playlistItems.list`` (``maxResults`` 0-50, newest first,
  ``contentDetails.videoId`` and ``videoPublishedAt``) and ``videos.list`` (``id`` a comma
  list of at most 50; ``snippet`` with ``tags``, ``statistics`` with counts as strings).
- Errors are Google's JSON: ``{"error": {"code", "message", "errors": [{"reason"}]}}``; a
  missing or unknown Bearer token is 401; ``/token`` is Google's OAuth endpoint
  (:mod:`tests.fakes.google_oauth`).

Contract faults (``faults``) are consumed by the requests that carry a video's bytes; besides
the contract's, ``keep:N`` keeps the first N bytes and breaks the connection, and ``quota``
answers 403 ``quotaExceeded``.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.google_oauth import TokenEndpoint
from tests.fakes.loopback import Loopback, Refusal

TOKEN = "ya29.static-canary-5e4d3c2b1a"


def _error(status: int, message: str, reason: str = "invalid") -> Refusal:
    return Refusal(status, {"error": {"code": status, "message": message,
                                      "errors": [{"reason": reason, "message": message}]}})


def tags_length(tags: list[str]) -> int:
    """Tags' length as YouTube counts it: commas between them, quotes around one with a
    space."""
    return sum(len(t) + (2 if " " in t else 0) for t in tags) + max(0, len(tags) - 1)


class FakeYouTube(Loopback):
    def __init__(self, *, verified: bool = True) -> None:
        super().__init__()
        self.oauth = TokenEndpoint()
        self.token = TOKEN
        self.verified = verified
        self.sessions: dict[str, dict[str, Any]] = {}
        self.videos: list[dict[str, Any]] = []
        """Published videos, oldest first, as videos.list gives them (plus ``bytes``)."""
        self.thumbnails: dict[str, bytes] = {}
        self.subscribers: str | None = "1234"
        self.now = lambda: datetime.now(UTC)

    # -- plumbing: faults apply to the requests carrying bytes --------------------------------
    def handle(self, h: BaseHTTPRequestHandler) -> None:
        raw = h.rfile.read(int(h.headers.get("Content-Length", "0")))
        url = urlsplit(h.path)
        request = {"method": h.command, "path": url.path, "query": parse_qs(url.query),
                   "raw_query": url.query, "headers": dict(h.headers), "body": raw}
        with self.lock:
            self.requests.append(request)
            carrying = h.command == "PUT" and bool(raw)
            fault = self.faults.pop(0) if self.faults and carrying else ""
        if fault == "drop":
            h.close_connection = True
            return
        if fault.startswith("slow:"):
            time.sleep(float(fault.split(":")[1]))
        if fault.startswith("keep:"):  # the connection breaks after N bytes arrived
            request["body"] = raw[:int(fault[5:])]
            with self.lock:
                self.route(request)
            h.close_connection = True
            return
        try:
            if fault:
                self.fault(fault, request)
            with self.lock:
                status, body, headers = self.route(request)
        except Refusal as exc:
            return self.reply(h, exc.status, exc.body, exc.headers)
        if fault == "accept-then-drop":
            h.close_connection = True
            return
        self.reply(h, status, body, headers)

    def fault(self, fault: str, request: dict[str, Any]) -> None:
        if fault == "accept-then-drop" or fault.startswith("slow:"):
            return  # handled around the route
        if fault.startswith("status:"):
            status = int(fault[7:])
            raise _error(status, f"refused ({status})", "forbidden" if status == 403 else
                         "invalid")
        if fault == "429":
            raise Refusal(429, {"error": {"code": 429, "message": "Too many requests",
                                          "errors": [{"reason": "rateLimitExceeded"}]}},
                          {"Retry-After": "30"})
        if fault in ("500", "503"):
            raise _error(int(fault), "Backend Error", "backendError")
        if fault == "echo":
            raise _error(400, "bad request: " + request["headers"].get("Authorization", ""))
        if fault == "quota":
            raise _error(403, "The request cannot be completed because you have exceeded "
                         "your quota.", "quotaExceeded")
        raise AssertionError(f"unknown fault {fault}")

    def _authorized(self, request: dict[str, Any]) -> None:
        given = request["headers"].get("Authorization")
        if given != f"Bearer {self.token}" and not self.oauth.valid(given):
            raise _error(401, "Request had invalid authentication credentials.",
                         "authError")

    # -- routes ---------------------------------------------------------------------------
    def route(self, request: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        path, method = request["path"], request["method"]
        if path == "/token":
            return self.oauth.token(request)
        self._authorized(request)
        if path == "/upload/youtube/v3/videos" and method == "POST":
            return self._start(request)
        if path == "/upload/youtube/v3/videos" and method == "PUT":
            return self._bytes(request)
        if path == "/upload/youtube/v3/thumbnails/set" and method == "POST":
            return self._thumbnail(request)
        if method == "GET" and path == "/youtube/v3/channels":
            return self._channels(request)
        if method == "GET" and path == "/youtube/v3/playlistItems":
            return self._playlist(request)
        if method == "GET" and path == "/youtube/v3/videos":
            return self._list(request)
        raise _error(404, f"no route {method} {path}", "notFound")

    def _start(self, request: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        query, headers = request["query"], request["headers"]
        if query.get("uploadType") != ["resumable"]:
            raise _error(400, "uploadType must be resumable")
        parts = set((query.get("part") or [""])[0].split(","))
        try:
            resource = json.loads(request["body"])
        except ValueError:
            raise _error(400, "the body is not a video resource") from None
        if not set(resource) <= parts or not {"snippet", "status"} <= parts:
            raise _error(400, f"part={sorted(parts)} does not name {sorted(resource)}")
        if not headers.get("Content-Type", "").startswith("application/json"):
            raise _error(400, "the video resource is JSON")
        kind = headers.get("X-Upload-Content-Type", "")
        size = headers.get("X-Upload-Content-Length", "")
        if not kind.startswith("video/") or not size.isdigit():
            raise _error(400, "X-Upload-Content-Type video/* and X-Upload-Content-Length "
                         "are required")
        self._check(resource)
        upload = secrets.token_hex(8)
        self.sessions[upload] = {"resource": resource, "size": int(size), "held": b"",
                                 "video": None, "type": kind}
        return 200, None, {"Location": f"{self.url}/upload/youtube/v3/videos?"
                                       f"uploadType=resumable&upload_id={upload}"}

    def _check(self, resource: dict[str, Any]) -> None:
        snippet, status = resource.get("snippet") or {}, resource.get("status") or {}
        title, description = snippet.get("title"), snippet.get("description", "")
        if not isinstance(title, str) or not title.strip():
            raise _error(400, "No title provided", "invalidTitle")
        if len(title) > 100 or re.search("[<>]", title):
            raise _error(400, "The request metadata specifies an invalid video title.",
                         "invalidTitle")
        if len(description.encode()) > 5000 or re.search("[<>]", description):
            raise _error(400, "The request metadata specifies an invalid video description.",
                         "invalidDescription")
        if tags_length(list(snippet.get("tags") or [])) > 500:
            raise _error(400, "The request metadata specifies invalid video keywords.",
                         "invalidTags")
        if status.get("privacyStatus") not in ("public", "unlisted", "private"):
            raise _error(400, "invalid privacyStatus", "invalidVideoMetadata")
        if "publishAt" in status:
            raise AssertionError("cmops must never send publishAt: it schedules itself")

    def _session(self, request: dict[str, Any]) -> dict[str, Any]:
        found = self.sessions.get((request["query"].get("upload_id") or [""])[0])
        if found is None:
            raise _error(404, "upload session not found", "notFound")
        return found

    def _bytes(self, request: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        session, body = self._session(request), request["body"]
        span = request["headers"].get("Content-Range", "")
        total = session["size"]
        if not body:
            if span != f"bytes */{total}":
                raise _error(400, "a status request needs Content-Range: bytes */size")
            return self._state(session)
        if session["video"] is not None:
            return 200, session["video"], {}
        start = len(session["held"])
        if span:
            m = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", span)
            if not m or int(m[1]) != start or int(m[3]) != total:
                raise _error(400, f"Content-Range {span} does not resume at {start}")
        elif start:
            raise _error(400, "a resumed upload needs Content-Range")
        if not request["headers"].get("Content-Type", "").startswith("video/"):
            raise _error(400, "the bytes are a video")
        session["held"] += body
        if len(session["held"]) < total:
            return self._state(session)
        if len(session["held"]) > total:
            raise _error(400, "more bytes than X-Upload-Content-Length")
        snippet = dict(session["resource"]["snippet"])
        video = {"kind": "youtube#video", "id": secrets.token_urlsafe(8)[:11],
                 "snippet": {**snippet, "publishedAt": self.now().isoformat()
                             .replace("+00:00", "Z")},
                 "status": {**session["resource"]["status"], "uploadStatus": "uploaded"}}
        session["video"] = video
        self.videos.append({**video, "bytes": session["held"],
                            "statistics": {"viewCount": "0", "likeCount": "0",
                                           "commentCount": "0"}})
        return 201, video, {}

    def _state(self, session: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        if session["video"] is not None:
            return 200, session["video"], {}
        held = len(session["held"])
        return 308, None, {"Range": f"bytes=0-{held - 1}"} if held else {}

    def _thumbnail(self, request: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        video = (request["query"].get("videoId") or [""])[0]
        if not any(v["id"] == video for v in self.videos):
            raise _error(404, "video not found", "videoNotFound")
        if not self.verified:
            raise _error(403, "The authenticated user doesnt have permissions to upload and "
                         "set custom video thumbnails.", "forbidden")
        kind = request["headers"].get("Content-Type", "")
        if kind not in ("image/jpeg", "image/png"):
            raise _error(400, f"thumbnails are JPEG or PNG, not {kind}", "invalidImage")
        if len(request["body"]) > 2 * 1024 * 1024:
            raise _error(413, "The thumbnail image file is too large.", "mediaBodyTooLarge")
        self.thumbnails[video] = request["body"]
        return 200, {"kind": "youtube#thumbnailSetResponse",
                     "items": [{"default": {"url": f"{self.url}/vi/{video}/default.jpg"}}]}, {}

    def _channels(self, request: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        if request["query"].get("mine") != ["true"]:
            raise _error(400, "cmops reads its own channel (mine=true)")
        part = (request["query"].get("part") or [""])[0]
        item: dict[str, Any] = {"id": "UCcanary"}
        if "contentDetails" in part:
            item["contentDetails"] = {"relatedPlaylists": {"uploads": "UUcanary"}}
        if "statistics" in part:
            item["statistics"] = {"subscriberCount": self.subscribers,
                                  "hiddenSubscriberCount": self.subscribers is None}
        return 200, {"items": [item]}, {}

    def _playlist(self, request: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        query = request["query"]
        if query.get("playlistId") != ["UUcanary"]:
            raise _error(404, "playlist not found", "playlistNotFound")
        most = int((query.get("maxResults") or ["5"])[0])
        if not 0 <= most <= 50:
            raise _error(400, "maxResults is 0 to 50", "invalidParameter")
        items = [{"contentDetails": {"videoId": v["id"],
                                     "videoPublishedAt": v["snippet"]["publishedAt"]}}
                 for v in reversed(self.videos)][:most]
        return 200, {"items": items}, {}

    def _list(self, request: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        ids = (request["query"].get("id") or [""])[0].split(",")
        if len(ids) > 50:
            raise _error(400, "at most 50 ids", "invalidParameter")
        parts = set((request["query"].get("part") or [""])[0].split(","))
        items = [{"id": v["id"], **{p: v[p] for p in parts if p in v}}
                 for v in self.videos if v["id"] in ids]
        return 200, {"items": items}, {}
