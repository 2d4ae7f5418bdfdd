"""A strict loopback Meta Graph API on 127.0.0.1 for the Facebook Page, Instagram and Threads
adapters (platforms.md §6-8): one token, form-encoded (or multipart) POSTs, known parameters
only, and Graph's error shape ``{error: {message, type, code, fbtrace_id}}``.

- Facebook: ``POST /{v}/{page}/feed`` (``message``, ``link``, ``attached_media[n]``),
  ``POST /{v}/{page}/photos`` (multipart ``source``, ``caption``, ``published``),
  ``GET /{v}/{page}/feed`` (``since``, ``limit``, ``after``; newest first).
  ``POST /{v}/{page}/videos`` with Graph's resumable phases (developers.facebook.com/docs/
  graph-api/video-uploads): ``start`` (``file_size``) opens a session and asks for the first
  ``video_chunk`` bytes; each ``transfer`` must carry the asked ``start_offset`` and exactly the
  asked bytes as a multipart ``video_file_chunk``, and is answered with the next offsets (equal
  once all is there); ``finish`` (``description``, ``title``) needs every byte.
  ``GET /{v}/{video}?fields=status`` answers ``status.video_status`` ``processing`` for
  ``video_polls`` reads, then ``ready`` (the post appears in the feed with the description as
  its message) or, when ``video_fails``, ``error`` with ``processing_phase.errors``.
  Reels (developers.facebook.com/docs/video-api/guides/reels-publishing):
  ``POST /{v}/{page}/video_reels`` ``start`` and ``finish``, the bytes sent to the
  ``upload_url`` (``/video-upload/{v}/{video}`` with the ``Authorization: OAuth``, ``offset``
  and ``file_size`` headers), ``status`` reads through its three phases: see
  ``_post_video_reels``, ``_rupload`` and ``_reel_status``.
- Instagram: ``POST /{v}/{ig}/media`` (``image_url`` must lie under ``public_base``, the fake's
  stand-in for the public web; ``caption`` ≤ 2200; ``alt_text``; carousel items and
  ``CAROUSEL`` containers; ``REELS``, ``STORIES`` and video carousel items from ``video_url``:
  see ``_post_media``), ``GET /{v}/{container}?fields=status_code,status`` (``IN_PROGRESS``
  for ``polls`` reads, ``video_container_polls`` for a video, then ``FINISHED``, or ``ERROR``
  with ``container_error``); publishing an unfinished container is code 9007 "Media ID is
  not available" (subcode 2207027), ``POST /{v}/{ig}/media_publish``, permalinks,
  ``content_publishing_limit`` (``quota_used`` of 50) and ``GET /{v}/{ig}/media``.
- Threads: ``POST /v1.0/{user}/threads`` (``TEXT``/``IMAGE``/``VIDEO``/``CAROUSEL``,
  ``alt_text`` on images and videos only, ``status,error_message`` reads, text ≤ 500, at most
  5 links, ``reply_to_id`` naming a published post), ``threads_publish``, ``status`` reads,
  permalinks and ``GET /v1.0/{user}/threads`` (developers.facebook.com/documentation/threads/
  retrieve-and-discover-posts/retrieve-posts: the user's posts, replies left out, newest
  first; ``fields`` among the documented ones, ``timestamp`` from ``clock``; ``since`` and
  ``until`` as Unix times, ``since`` at least 1688540400; ``limit`` 25 by default, at most
  100).

Deletes (``delete_faults`` consumed one per ``DELETE``, as the faults below): ``DELETE
/{v}/{node}`` with the token takes the node away and answers ``{"success": true}``: a Page
post or a Facebook comment (developers.facebook.com/docs/graph-api/reference/post and
reference/comment, "Deleting"), a video or reel by its video id, with the feed post it made
(reference/video, "Deleting"), or a Threads post (``DELETE /v1.0/{threads-media-id}``,
developers.facebook.com/docs/threads/posts/delete-posts, answered with ``deleted_id`` too;
``threads_delete_forbidden`` refuses it with code 10, the token lacking ``threads_delete``).
A node that does not exist, or no longer, is code 100 with subcode 33; one in ``others``
(another account's) is code 200 (the code Graph gives it is not documented: VERIFY).

Reads for ``cmops collect`` (``fields``/``metric`` names checked; an unknown one is a code 100):
a Page post's ``reactions``/``comments`` summaries and ``shares`` (``engagement[id]``;
``shares`` left out when 0, as Graph does), an Instagram media's ``like_count`` and
``comments_count``, ``GET /{v}/{node}/insights`` (``insights[id]``; the metrics each network
knows, ``retired`` ones refused with code 100), ``followers_count`` on the Page/IG user,
``GET /v1.0/{user}/threads_insights?metric=followers_count`` and ``GET /{v}/{ig}/tags``
(``tags``, newest first, ``limit``/``after`` cursors). ``insights_forbidden`` refuses
insights, ``threads_insights`` and ``tags`` with code 10.

Replies (issue 19): Threads' ``reply_to_id`` names any post, the account's or another's
(``threads_post_by``), within who may answer it (``_may_reply``); the posts it is looked up
among: ``GET /v1.0/{user}/threads`` (with ``shortcode``, ``has_replies``), ``GET
/v1.0/{user}/mentions`` and ``GET /v1.0/{media}/conversation``. Instagram: ``POST
/{v}/{ig-comment-id}/replies`` answers a comment (``ig_fan_comment``), ``GET /{v}/{ig}/media``
gives each post's ``shortcode`` and pages with ``after``. See ``_ig_replies``,
``_get_mentions``, ``_conversation``.

The inbox (issue 19): ``GET /{v}/{page}/published_posts`` (the Page's own posts with their
comment count, ``_get_published_posts``); ``GET /{v}/{post}/comments`` pages with ``after``,
leaves replies to comments out unless ``filter=stream`` (developers.facebook.com/docs/
graph-api/reference/object/comments), gives ``from`` (a fan's ``name``, or the Page),
``permalink_url`` and ``parent``, and is refused with code 283 under ``fb_comments_forbidden``
(no ``pages_read_user_content``); Instagram's ``GET /{v}/{ig-media}/comments`` gives each
commenter's ``username`` and the nested ``replies{…}`` (reference/ig-media/comments), refused
with code 10 under ``ig_comments_forbidden``, and ``GET /{v}/{ig}/media`` each post's
``comments_count`` and the account's ``username``; Threads' ``/conversation`` tells the
account's own replies by ``is_reply_owned_by_me`` (developers.facebook.com/documentation/
threads/retrieve-and-manage-replies/replies-and-conversations). Every request is in
``requests``, so tests count them.

Faults, consumed one per publishing POST (feed, photos, media, media_publish, threads,
threads_publish, video_reels, Instagram comment replies, and the reel upload, where
``500``/``503``/``status:NNN`` come as its ``debug_info``): ``drop``, ``accept-then-drop``,
``500``/``503`` (code 2), ``429`` (code 32 with ``X-Business-Use-Case-Usage`` asking for 1
minute), ``status:NNN``, ``echo`` (a code 100 error repeating the parameters, token
included), ``slow:SECONDS``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from tests.fakes.loopback import Loopback, Refusal, multipart

FB = "v23.0"
GRAPH_WINDOW = ("v21.0", "v26.0")
"""The Graph API versions usable on 2026-12-05 (developers.facebook.com/docs/graph-api/
changelog/versions: v20.0 expired on 2026-09-24, v26.0 released on 2026-07-29)."""
THREADS = "v1.0"
_LINK = re.compile(r"https?://\S+")
THREADS_FIELDS = {"id", "media_product_type", "media_type", "media_url", "permalink", "owner",
                  "username", "text", "timestamp", "shortcode", "thumbnail_url", "children",
                  "is_quote_post", "alt_text", "link_attachment_url", "has_replies",
                  "reply_audience"}


POSTED = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
"""The time of a post added without one."""


def _fields(spec: str) -> tuple[set[str], dict[str, set[str]]]:
    """A ``fields`` list with Graph's nested ``edge{field,…}`` form: (the top-level names,
    each nested edge's own fields)."""
    top: set[str] = set()
    nested: dict[str, set[str]] = {}
    for found in re.finditer(r"([^,{}]+)(?:\{([^{}]*)\})?", spec):
        top.add(found[1])
        if found[2] is not None:
            nested[found[1]] = set(found[2].split(","))
    return top, nested


def graph_error(status: int, code: int, message: str, kind: str = "OAuthException",
                **extra: Any) -> Refusal:
    return Refusal(status, {"error": {"message": message, "type": kind, "code": code,
                                      "fbtrace_id": "AbCdEfGh123", **extra}})


class FakeGraph(Loopback):
    publish_paths = (r"/v[\d.]+/\d+/(feed|photos|media|media_publish|threads|threads_publish"
                     r"|video_reels)", r"/video-upload/v[\d.]+/\d+",
                     r"/v[\d.]+/\d+/replies")

    def __init__(self, token: str = "EAAG-graph-token-canary-0123456789abcdef",
                 account: str = "17841400000000000",
                 public_base: str = "https://media.example.org/") -> None:
        super().__init__()
        self.defaulted: list[str] = []
        """Expired versions called, each served by the oldest usable one."""
        self.token, self.account, self.public_base = token, account, public_base
        self.posts: list[dict[str, Any]] = []
        """Published posts (feed posts, IG media, Threads posts), oldest first."""
        self.photos: dict[str, dict[str, Any]] = {}
        self.videos: dict[str, dict[str, Any]] = {}
        self.video_chunk = 1024 * 1024
        self.video_polls = 0
        self.video_fails = False
        self.reels: dict[str, dict[str, Any]] = {}
        """Facebook reels by video id: ``bytes`` received, ``size`` announced, ``state``
        (``uploading``, ``processing``, ``published``, ``error``), ``description``."""
        self.containers: dict[str, dict[str, Any]] = {}
        self.polls = 0
        self.video_container_polls = 0
        self.container_error: str | None = None
        """Set: every video container ends ``ERROR`` with this reason (Instagram's ``status``
        subcode text, Threads' ``error_message``)."""
        self.quota_used = 0
        self.read_forbidden = False
        self.next_id = 18_000_000_000_000_000
        self.engagement: dict[str, dict[str, int]] = {}
        self.insights: dict[str, dict[str, int]] = {}
        self.retired: set[str] = set()
        self.insights_forbidden = False
        self.followers = 0
        self.tags: list[dict[str, Any]] = []
        """Posts by others that tag the Instagram account, oldest first."""
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        """Stamps each published Threads post's ``timestamp``."""
        self.removed: list[str] = []
        """Ids of the nodes deleted, in order."""
        self.others: set[str] = set()
        self.delete_faults: list[str] = []
        self.threads_delete_forbidden = False
        self.foreign: list[dict[str, Any]] = []
        """Threads posts by other people (replies under the account's posts, mentions of
        it), oldest first: see :meth:`threads_post_by`."""
        self.threads_mentions_forbidden = False
        """The token lacks ``threads_manage_mentions``: no mentions read, no reply to a post
        outside the account's own conversations."""
        self.threads_replies_forbidden = False
        """The token lacks ``threads_manage_replies`` (and ``threads_read_replies``)."""
        self.ig_comments_forbidden = False
        """The token lacks ``instagram_manage_comments``: comment replies and comment reads
        refused."""
        self.fb_comments_forbidden = False
        """The Page token lacks ``pages_read_user_content``: the comments under Page posts
        cannot be read."""
        self.fb_pfbid_permalinks = False
        """Comments' ``permalink_url`` name the post by a web ``pfbid…`` code, as Facebook's
        newer links do, instead of its number."""
        self.edit_faults: list[str] = []
        """Consumed one per Facebook edit, text read or reply (``_edit``), as the faults
        below, plus ``slow:SECONDS``."""

    def _id(self) -> str:
        self.next_id += 1
        return str(self.next_id)

    def fault(self, fault: str, request: dict[str, Any]) -> None:
        if request["path"].startswith("/video-upload/") and (
                fault.startswith("status:") or fault in ("500", "503")):
            status = int(fault[7:]) if fault.startswith("status:") else int(fault)
            raise Refusal(status, {"debug_info": {"retriable": status >= 500, "type":
                                                  "ParameterValidationError" if status < 500
                                                  else "ServerError",
                                                  "message": f"injected {fault}"}})
        if fault in ("500", "503"):
            raise graph_error(int(fault), 2, "An unexpected error has occurred. Please retry "
                              "your request later.", is_transient=True)
        if fault == "429":
            usage = {self.account: [{"type": "pages", "call_count": 100, "total_cputime": 20,
                                     "total_time": 25, "estimated_time_to_regain_access": 1}]}
            raise Refusal(400, {"error": {"message": "(#32) Page request limit reached",
                                          "type": "OAuthException", "code": 32,
                                          "fbtrace_id": "AbCdEfGh123"}},
                          {"X-Business-Use-Case-Usage": json.dumps(usage)})
        if fault.startswith("status:"):
            status = int(fault[7:])
            raise graph_error(status, 190 if status == 401 else 200 if status == 403 else 100,
                              f"injected {fault}")
        if fault == "echo":
            raise graph_error(400, 100, f"Invalid parameter in {request['query']} "
                              f"{request['body'][:200]!r}")

    def _params(self, request: dict[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {k: v[-1] for k, v in request["query"].items()}
        kind = request["headers"].get("Content-Type", "")
        if request["method"] == "POST":
            if kind.startswith("application/x-www-form-urlencoded"):
                params.update(parse_qsl(request["body"].decode(), keep_blank_values=True))
            elif kind.startswith("multipart/form-data"):
                for name, (filename, _, data) in multipart(kind, request["body"]).items():
                    params[name] = data if filename else data.decode()
            elif request["body"]:
                raise graph_error(400, 100, f"Unsupported content type {kind}")
        if params.pop("access_token", None) != self.token:
            raise graph_error(400, 190, "Invalid OAuth access token - Cannot parse access "
                              "token")
        return params

    def route(self, request: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        if request["path"].startswith("/video-upload/"):
            return 200, self._rupload(request), {}
        params = self._params(request)
        parts = request["path"].strip("/").split("/")
        parts[0] = self._version(parts[0])
        method = request["method"]
        if method == "DELETE" and len(parts) == 2:
            if self.delete_faults:
                self.fault(self.delete_faults.pop(0), request)
            return 200, self._delete(parts[0], parts[1], params), {}
        if method == "GET" and self.read_forbidden and len(parts) == 3:
            raise graph_error(403, 10, "(#10) Application does not have permission for this "
                              "action", "OAuthException")
        if parts[0] == FB and self._facebook_edit(parts, method, params):
            return 200, self._edit(parts, method, params, request), {}
        if method == "GET":
            found = self._reads(parts, params)
            if found is not None:
                return 200, found, {}
        if len(parts) == 3 and parts[1] == self.account:
            handler = getattr(self, f"_{method.lower()}_{parts[2]}", None)
            if handler is not None:
                return 200, handler(params, parts[0]), {}
        if len(parts) == 2 and method == "GET":
            return 200, self._read(parts[1], params), {}
        if len(parts) == 3 and parts[2] == "replies" and parts[0] == FB:
            return 200, self._ig_replies(method, parts[1], params), {}
        if len(parts) == 3 and parts[2] == "conversation" and method == "GET":
            return 200, self._conversation(parts[0], parts[1], params), {}
        if len(parts) == 3 and parts[2] == "comments" and parts[0] == FB:
            return 200, self._comments(method, parts[1], params), {}
        raise graph_error(400, 100, f"Unsupported {method} request. Object with ID "
                          f"'{parts[-1]}' does not exist", "GraphMethodException")

    def _version(self, version: str) -> str:
        """The Graph API version that serves a call. "Once a version is no longer usable, any
        calls made to it will be defaulted to the next oldest usable version"
        (developers.facebook.com/docs/graph-api/guides/versioning), so an expired one is
        served by the oldest in :data:`GRAPH_WINDOW` and noted in ``defaulted``; one newer
        than the newest released is refused (the real error code for it is not documented:
        VERIFY). Threads' ``v1.0`` is its own API's only version."""
        found = re.fullmatch(r"v(\d+)\.0", version)
        if found is None or version == THREADS:
            return version
        oldest, newest = (int(v[1:-2]) for v in GRAPH_WINDOW)
        number = int(found.group(1))
        if number > newest:
            raise graph_error(400, 100, f"Unsupported version {version}: the latest Graph API "
                              f"version is {GRAPH_WINDOW[1]}", "GraphMethodException")
        if number < oldest:
            self.defaulted.append(version)
            return GRAPH_WINDOW[0]
        return version

    @staticmethod
    def _known(params: dict[str, Any], allowed: set[str]) -> None:
        unknown = {k for k in params if not re.fullmatch(r"attached_media\[\d+\]", k)} - allowed
        if unknown:
            raise graph_error(400, 100, f"(#100) Param {sorted(unknown)[0]} is not valid")

    # -- Facebook ---------------------------------------------------------------------------
    def _post_feed(self, params: dict[str, Any], version: str) -> Any:
        self._known(params, {"message", "link", "published", "scheduled_publish_time"})
        attached = [json.loads(v)["media_fbid"] for k, v in sorted(params.items())
                    if k.startswith("attached_media[")]
        if any(a not in self.photos or self.photos[a]["published"] for a in attached):
            raise graph_error(400, 100, "(#100) attached_media must be unpublished photos")
        if not params.get("message") and not params.get("link") and not attached:
            raise graph_error(400, 100, "(#100) Missing message or attachment")
        return {"id": self._publish(message=params.get("message", ""), link=params.get("link"),
                                    attached=attached)["id"]}

    def _post_photos(self, params: dict[str, Any], version: str) -> Any:
        self._known(params, {"source", "url", "caption", "published"})
        if not isinstance(params.get("source"), bytes):
            raise graph_error(400, 324, "(#324) Requires upload file")
        photo = self._id()
        published = params.get("published", "true") == "true"
        self.photos[photo] = {"bytes": params["source"], "published": published,
                              "caption": params.get("caption")}
        if not published:
            return {"id": photo}
        return {"id": photo, "post_id": self._publish(message=params.get("caption", ""),
                                                      photo=photo)["id"]}

    def _post_videos(self, params: dict[str, Any], version: str) -> Any:
        phase = params.get("upload_phase")
        if phase == "start":
            self._known(params, {"upload_phase", "file_size"})
            if not str(params.get("file_size", "")).isdigit() or int(params["file_size"]) < 1:
                raise graph_error(400, 100, "(#100) file_size must be a positive integer")
            size, started = int(params["file_size"]), self._id()
            session = self._id()
            self.videos[started] = {"session": session, "size": size, "bytes": b"",
                                    "status": "uploading", "reads": 0}
            return {"upload_session_id": session, "video_id": started, "start_offset": "0",
                    "end_offset": str(min(self.video_chunk, size))}
        entry = next((e for e in self.videos.values()
                      if e["session"] == params.get("upload_session_id")), None)
        if entry is None:
            raise graph_error(400, 100, "(#100) Invalid upload_session_id")
        got = len(entry["bytes"])
        if phase == "transfer":
            self._known(params, {"upload_phase", "upload_session_id", "start_offset",
                                 "video_file_chunk"})
            chunk, want = params.get("video_file_chunk"), min(got + self.video_chunk,
                                                              entry["size"]) - got
            # The error code Graph gives a wrong offset is not documented: code 100 here.
            if params.get("start_offset") != str(got) or not isinstance(chunk, bytes) or \
                    len(chunk) != want:
                raise graph_error(400, 100, f"(#100) expected {want} bytes at start_offset "
                                  f"{got}")
            entry["bytes"] += chunk
            got += len(chunk)
            return {"start_offset": str(got),
                    "end_offset": str(min(got + self.video_chunk, entry["size"]))}
        if phase == "finish":
            self._known(params, {"upload_phase", "upload_session_id", "description", "title"})
            if got != entry["size"] or entry["status"] != "uploading":
                raise graph_error(400, 100, f"(#100) upload incomplete: {got} of "
                                  f"{entry['size']} bytes")
            entry.update(status="processing", description=params.get("description", ""))
            return {"success": True}
        raise graph_error(400, 100, "(#100) upload_phase must be start, transfer or finish")

    def _video_status(self, video: str, params: dict[str, Any]) -> Any:
        entry = self.videos[video]
        if params.get("fields") != "status":
            raise graph_error(400, 100, "(#100) Tried accessing nonexisting field")
        if entry["status"] == "processing":
            entry["reads"] += 1
            if entry["reads"] > self.video_polls:
                entry["status"] = "error" if self.video_fails else "ready"
                if not self.video_fails:
                    self._publish(message=entry["description"], video=video)
        phase: dict[str, Any] = {"status": {"ready": "complete", "error": "error"}.get(
            entry["status"], "in_progress")}
        if entry["status"] == "error":
            phase["errors"] = [{"message": "Video format is not supported"}]
        return {"id": video, "status": {"video_status": entry["status"],
                                        "processing_phase": phase}}

    # -- Facebook reels (developers.facebook.com/docs/video-api/guides/reels-publishing) ---
    def _post_video_reels(self, params: dict[str, Any], version: str) -> Any:
        """``POST /{page-id}/video_reels``: ``upload_phase=start`` answers the ``video_id`` and
        the ``upload_url`` to send the bytes to (rupload.facebook.com's, here this server's);
        ``finish`` with that ``video_id``, ``video_state`` (``PUBLISHED``; ``DRAFT`` keeps it
        unpublished) and ``description`` publishes it once processed, and is refused before
        every byte has arrived (the real error for that is not documented: code 100 here)."""
        phase = params.get("upload_phase")
        if phase == "start":
            self._known(params, {"upload_phase"})
            video = self._id()
            self.reels[video] = {"bytes": b"", "size": None, "state": "uploading",
                                 "reads": 0, "description": ""}
            return {"video_id": video, "upload_url": f"{self.url}/video-upload/{version}/"
                                                     f"{video}"}
        if phase != "finish":
            raise graph_error(400, 100, "(#100) upload_phase must be start or finish")
        self._known(params, {"upload_phase", "video_id", "video_state", "description",
                             "title"})
        reel = self.reels.get(params.get("video_id", ""))
        if reel is None:
            raise graph_error(400, 100, f"(#100) Invalid video_id {params.get('video_id')!r}")
        if params.get("video_state") not in ("PUBLISHED", "DRAFT"):
            raise graph_error(400, 100, "(#100) video_state must be PUBLISHED, DRAFT or "
                              "SCHEDULED (with scheduled_publish_time)")
        got = len(reel["bytes"])
        if reel["size"] is None or got != reel["size"] or reel["state"] != "uploading":
            raise graph_error(400, 100, f"(#100) the video's upload is not complete: {got} "
                              f"of {reel['size'] or 'unknown'} bytes")
        reel.update(state="processing" if params["video_state"] == "PUBLISHED" else "draft",
                    description=params.get("description", ""))
        return {"success": True}

    def _rupload(self, request: dict[str, Any]) -> Any:
        """The reel's bytes, ``POST /video-upload/{v}/{video-id}`` on the upload host:
        ``Authorization: OAuth <page token>``, ``offset`` (the bytes already received: 0,
        or where an interrupted upload resumes) and ``file_size`` headers, the bytes from
        ``offset`` to the end as the body; answered ``{"success": true}``. Errors come as
        ``{"debug_info": {"retriable", "type", "message"}}`` (the shape Meta's upload host
        answers; its messages are not documented)."""
        headers = {k.lower(): v for k, v in request["headers"].items()}
        parts = request["path"].strip("/").split("/")

        def refuse(status: int, kind: str, message: str) -> Refusal:
            return Refusal(status, {"debug_info": {"retriable": False, "type": kind,
                                                   "message": message}})

        if request["method"] != "POST" or len(parts) != 3:
            raise refuse(400, "ParameterValidationError", "POST /video-upload/{v}/{id}")
        if headers.get("authorization") != f"OAuth {self.token}":
            raise refuse(401, "AuthError", "Invalid OAuth access token")
        reel = self.reels.get(parts[2])
        if reel is None or self._version(parts[1]) != parts[1] or reel["state"] != "uploading":
            raise refuse(400, "ParameterValidationError", f"no upload for {parts[2]}")
        offset, size = headers.get("offset", ""), headers.get("file_size", "")
        if not offset.isdigit() or not size.isdigit() or int(size) < 1:
            raise refuse(400, "ParameterValidationError", "HeaderValuePredicate: Header "
                         "offset or file_size not convertable to unsigned long")
        if int(offset) != len(reel["bytes"]) or int(offset) + len(request["body"]) != \
                int(size) or reel["size"] not in (None, int(size)):
            raise refuse(400, "ParameterValidationError", f"expected the bytes from offset "
                         f"{len(reel['bytes'])} to file_size {reel['size'] or size}")
        reel.update(bytes=reel["bytes"] + request["body"], size=int(size))
        return {"success": True}

    def _reel_status(self, video: str, params: dict[str, Any]) -> Any:
        """``GET /{video-id}?fields=status``: ``video_status`` and the ``uploading_phase``
        (``bytes_transferred``), ``processing_phase`` and ``publishing_phase`` of a reel;
        processing takes ``video_polls`` reads after ``finish``, then the reel is published
        (a post with the description as its message) or, when ``video_fails``, its
        ``processing_phase`` is ``error`` with ``errors``."""
        reel = self.reels[video]
        if params.get("fields") != "status":
            raise graph_error(400, 100, "(#100) Tried accessing nonexisting field")
        if reel["state"] == "processing":
            reel["reads"] += 1
            if reel["reads"] > self.video_polls:
                reel["state"] = "error" if self.video_fails else "published"
                if not self.video_fails:
                    self._publish(message=reel["description"], reel=video)
        state = reel["state"]
        uploaded = reel["size"] is not None and len(reel["bytes"]) == reel["size"]
        processing: dict[str, Any] = {"status": {
            "uploading": "not_started", "draft": "complete", "processing": "in_progress",
            "published": "complete", "error": "error"}[state]}
        if state == "error":
            processing["errors"] = [{"message": "Video format is not supported"}]
        publishing = {"status": "complete", "publish_status": "published"} \
            if state == "published" else {"status": "not_started"}
        return {"id": video, "status": {
            "video_status": {"published": "ready", "error": "error", "processing":
                             "processing"}.get(state, "upload_complete" if uploaded
                                               else "uploading"),
            "uploading_phase": {"status": "complete" if uploaded else "in_progress",
                                "bytes_transferred": len(reel["bytes"])},
            "processing_phase": processing, "publishing_phase": publishing}}

    def _publish(self, **fields: Any) -> dict[str, Any]:
        post = {"id": f"{self.account}_{self._id()}", "created": self.next_id, **fields}
        self.posts.append(post)
        return post

    def _get_feed(self, params: dict[str, Any], version: str) -> Any:
        start = int(params.get("after", "0"))
        limit = int(params.get("limit", "25"))
        newest = [p for p in reversed(self.posts)]
        page = newest[start:start + limit]
        paging: dict[str, Any] = {"cursors": {"before": str(start),
                                              "after": str(start + len(page))}}
        if start + limit < len(newest):
            paging["next"] = f"{self.url}/{version}/{self.account}/feed?after={start + limit}"
        return {"data": [{"id": p["id"], "message": p.get("message", p.get("caption")),
                          "created_time": "2026-11-24T09:00:00+0000"} for p in page],
                "paging": paging}

    def _get_published_posts(self, params: dict[str, Any], version: str) -> Any:
        """``GET /{page-id}/published_posts`` (developers.facebook.com/docs/graph-api/reference/
        page/published_posts): the Page's own posts, newest first, 25 a page by default
        (``limit`` at most 100, ``after`` cursors), with ``id``, ``message``,
        ``created_time``, ``permalink_url`` and the ``comments.summary(total_count)
        .limit(0)`` count as in :meth:`_engagement`; needs the Page token
        (``pages_read_engagement``, refused with code 10 under ``read_forbidden``)."""
        self._known(params, {"fields", "limit", "after", "before", "since", "until"})
        fields = set(params.get("fields", "id").split(","))
        count = "comments.summary(total_count).limit(0)"
        if version != FB or fields - {"id", "message", "created_time", "permalink_url", count}:
            raise graph_error(400, 100, "(#100) Tried accessing nonexisting field")
        start, limit = int(params.get("after", "0")), int(params.get("limit", "25"))
        if not 1 <= limit <= 100:
            raise graph_error(400, 100, "(#100) limit must be 1-100")
        newest = [p for p in reversed(self.posts) if "message" in p]
        every = {"id": lambda p: p["id"], "message": lambda p: p["message"],
                 "created_time": lambda p: p.get("at", POSTED).astimezone(UTC).strftime(
                     "%Y-%m-%dT%H:%M:%S+0000"),
                 "permalink_url": lambda p: f"https://www.facebook.com/{p['id']}",
                 count: lambda p: {"data": [], "summary": {"total_count": len(
                     p.get("comments", []))}}}
        body: dict[str, Any] = {"data": [
            {f.split(".")[0]: every[f](p) for f in sorted(fields)}
            for p in newest[start:start + limit]]}
        if start + limit < len(newest):
            body["paging"] = {"cursors": {"after": str(start + limit)}, "next": f"{self.url}/"
                              f"{version}/{self.account}/published_posts?after={start + limit}"}
        return body

    def _delete(self, version: str, node: str, params: dict[str, Any]) -> Any:
        self._known(params, set())
        if version == THREADS and self.threads_delete_forbidden:
            raise graph_error(403, 10, "(#10) Application does not have permission for this "
                              "action")
        if node in self.others:
            raise graph_error(403, 200, "(#200) Permissions error")
        done = {"success": True, **({"deleted_id": node} if version == THREADS else {})}
        for post in list(self.posts):
            made = post.get("video") or post.get("reel")
            if post["id"] == node or (made == node and node not in self.removed):
                self.posts.remove(post)
                self.removed.append(node)
                return done
            for comment in post.get("comments", []):
                if comment["id"] == node:
                    post["comments"].remove(comment)
                    self.removed.append(node)
                    return done
        if (node in self.videos or node in self.reels) and node not in self.removed:
            self.removed.append(node)  # not published yet: the video goes all the same
            return done
        raise graph_error(400, 100, f"Object with ID '{node}' does not exist, cannot be "
                          "loaded due to missing permissions, or does not support this "
                          "operation", "GraphMethodException", error_subcode=33)

    # -- comments (first comments, Facebook and Instagram) ------------------------------------
    def _comments(self, method: str, node: str, params: dict[str, Any],
                  only: list[dict[str, Any]] | None = None) -> Any:
        """``POST /{post-id}/comments`` (Facebook: developers.facebook.com/docs/graph-api/
        reference/object/comments) and ``POST /{ig-media-id}/comments`` (Instagram:
        developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-media/
        comments): ``message`` required and non-empty, on a post this account published
        (anything else is Graph's code 100 "does not exist"); answered ``{"id"}``. The
        comment is the account's (the Page, with a Page token). ``GET`` lists them oldest
        first: Instagram's fields ``id,text,timestamp,username``, Facebook's
        ``id,message,created_time,from`` (``filter``/``order``/``limit`` taken)."""
        post = next((p for p in self.posts if p["id"] == node), None)
        if post is None:
            raise graph_error(400, 100, f"Object with ID '{node}' does not exist, cannot be "
                              "loaded due to missing permissions, or does not support this "
                              "operation", "GraphMethodException", error_subcode=33)
        instagram = "caption" in post
        if method == "POST":
            self._known(params, {"message"})
            if not str(params.get("message", "")).strip():
                raise graph_error(400, 100, "(#100) The parameter message is required")
            # Facebook: "{pagepost-id}_{comment-id}" (reference/comment; the older
            # "{page-id}_{post_id}_{comment-id}" is deprecated), the post's part of its id.
            comment = {"id": f"{node.rsplit('_', 1)[-1]}_{self._id()}" if not instagram
                       else self._id(),
                       "message": params["message"], "at": self.clock()}
            post.setdefault("comments", []).append(comment)
            return {"id": comment["id"]}
        fields, nested = _fields(params.get("fields", "id"))
        allowed = {"id", "text", "timestamp", "username", "from", "replies"} if instagram \
            else {"id", "message", "created_time", "from", "permalink_url", "parent"}
        self._known({k: v for k, v in params.items() if k != "fields"},
                    {"limit", "filter", "order", "after"})
        if fields - allowed or nested.get("replies", set()) - (allowed - {"replies"}):
            raise graph_error(400, 100, "(#100) Tried accessing nonexisting field")
        if instagram and self.ig_comments_forbidden:
            raise graph_error(403, 10, "(#10) Application does not have permission for this "
                              "action")
        if not instagram and self.fb_comments_forbidden and only is None:
            # Page posts' comments by people need pages_read_user_content; the code is
            # reported as 283 ("Requires pages_read_user_content permission") [2nd].
            raise graph_error(403, 283, "(#283) Requires pages_read_user_content permission "
                              "to manage the object")
        stamp = "%Y-%m-%dT%H:%M:%S+0000"
        def permalink(c: dict[str, Any]) -> str:
            """The comment's web address, naming the post by its number or, with
            ``fb_pfbid_permalinks``, by a web ``pfbid…`` code."""
            page, post = self.account, node.split("_")[-1]
            if self.fb_pfbid_permalinks:
                page, post = "cmops", f"pfbid02x{c['id'][-6:]}"
            return (f"https://www.facebook.com/{page}/posts/{post}/"
                    f"?comment_id={c['id'].split('_')[-1]}")

        every: dict[str, Callable[[dict[str, Any]], Any]] = {
                 "id": lambda c: c["id"], "text": lambda c: c["message"],
                 "message": lambda c: c["message"],
                 "timestamp": lambda c: c["at"].astimezone(UTC).strftime(stamp),
                 "created_time": lambda c: c["at"].astimezone(UTC).strftime(stamp),
                 "username": lambda c: c.get("username", "cmops"),
                 "from": lambda c: {"id": "100000000000001", "name": c.get("name", "A fan")}
                 if c.get("fan") else {"id": self.account, "name": "cmops"} if not instagram
                 else {"id": "17800000000000000", "username": c.get("username", "cmops")},
                 "permalink_url": permalink,
                 "parent": lambda c: {"id": c["parent"]} if c.get("parent") else None,
                 "replies": lambda c: {"data": [
                     {f: every[f](r) for f in sorted(nested["replies"])}
                     for r in c.get("replies", [])]} if c.get("replies") else None}
        comments = post.get("comments", []) if only is None else only
        if not instagram and only is None and params.get("filter") != "stream":
            comments = [c for c in comments if not c.get("parent")]  # toplevel: the default
        if params.get("order") == "reverse_chronological":
            comments = list(reversed(comments))
        start, limit = int(params.get("after", "0")), int(params.get("limit", "25"))
        body: dict[str, Any] = {"data": [
            {f: v for f in sorted(fields) if (v := every[f](c)) is not None}
            for c in comments[start:start + limit]]}
        if start + limit < len(comments):
            body["paging"] = {"cursors": {"after": str(start + limit)},
                              "next": f"{self.url}/{FB}/{node}/comments?after={start + limit}"}
        return body

    def comments(self) -> list[tuple[str, str]]:
        """(post id, message) of every comment posted, in order."""
        return [(p["id"], c["message"]) for p in self.posts for c in p.get("comments", [])]

    # -- Facebook edits and replies (issue 19) ----------------------------------------------
    def fan_comment(self, post_id: str, message: str, name: str = "A fan",
                    parent: str | None = None) -> str:
        """A comment by someone else (not the Page) under a Page post, or under one of its
        comments (``parent``): what a reply answers, and what the inbox reads."""
        post = next(p for p in self.posts if p["id"] == post_id)
        comment = {"id": f"{post_id.rsplit('_', 1)[-1]}_{self._id()}", "message": message,
                   "at": self.clock(), "fan": True, "name": name}
        if parent:
            comment["parent"] = parent
        post.setdefault("comments", []).append(comment)
        return str(comment["id"])

    def _facebook_node(self, node: str) -> tuple[str, dict[str, Any]] | None:
        """What a Facebook node id names: ``("post", post)``, ``("comment", comment)`` or
        ``("video", entry)`` (a video or reel by its video id); None: nothing."""
        for post in self.posts:
            if post["id"] == node and "message" in post:
                return "post", post
            for comment in post.get("comments", []):
                if comment["id"] == node and "caption" not in post:
                    return "comment", comment
        entry = self.videos.get(node) or self.reels.get(node)
        return ("video", entry) if entry is not None and node not in self.removed else None

    def _facebook_edit(self, parts: list[str], method: str, params: dict[str, Any]) -> bool:
        """Whether the request is a Facebook edit (``POST /{node}``), a text read (``GET
        /{node}?fields=message|description``) or a comment reply (``POST /{comment}/
        comments``)."""
        if len(parts) == 2 and parts[1] != self.account:
            return method == "POST" or (method == "GET" and set(
                params.get("fields", "").split(",")) & {"message", "description"} != set())
        return len(parts) == 3 and parts[2] == "comments" and method in ("POST", "GET") and \
            (self._facebook_node(parts[1]) or ("", {}))[0] == "comment"

    def _edit(self, parts: list[str], method: str, params: dict[str, Any],
              request: dict[str, Any]) -> Any:
        """Facebook's updates (developers.facebook.com/docs/graph-api/reference/post,
        "Updating": ``POST /{post-id}`` with ``message``; reference/comment, "Updating":
        ``POST /{comment-id}`` with ``message``; reference/video, "Updating": ``POST
        /{video-id}`` with ``description``), each answered ``{"success": true}``, changing
        nothing else (a photo or video stays attached); the same text again is a success.
        ``GET /{node}?fields=id,message`` (``description`` for a video) reads the text back.
        ``POST /{comment-id}/comments`` with ``message`` replies to a comment
        (reference/object/comments: "comment replies"), answered ``{"id"}``; ``GET`` lists
        the replies (as a post's comments are listed). A node that
        does not exist (any more) is code 100 with subcode 33, as Graph answers; another
        account's node (``others``, or a fan's comment being edited) is code 200 (the code
        Graph gives it is not documented: VERIFY)."""
        if self.edit_faults:
            fault = self.edit_faults.pop(0)
            if fault.startswith("slow:"):
                time.sleep(float(fault.split(":")[1]))
            else:
                self.fault(fault, request)
        node = parts[1]
        found = self._facebook_node(node)
        if found is None:
            raise graph_error(400, 100, f"Object with ID '{node}' does not exist, cannot be "
                              "loaded due to missing permissions, or does not support this "
                              "operation", "GraphMethodException", error_subcode=33)
        kind, entry = found
        if len(parts) == 3 and method == "GET":
            post = next(p for p in self.posts if entry in p.get("comments", []))
            replies = [c for c in post["comments"] if c.get("parent") == node]
            return self._comments("GET", post["id"], params, replies)
        if len(parts) == 3:  # a reply to a comment
            self._known(params, {"message"})
            if not str(params.get("message", "")).strip():
                raise graph_error(400, 100, "(#100) The parameter message is required")
            post = next(p for p in self.posts if entry in p.get("comments", []))
            reply = {"id": f"{post['id'].rsplit('_', 1)[-1]}_{self._id()}",
                     "message": params["message"], "at": self.clock(), "parent": node}
            post["comments"].append(reply)
            return {"id": reply["id"]}
        field = "description" if kind == "video" else "message"
        if method == "GET":
            fields = set(params.get("fields", "").split(","))
            if fields - {"id", field}:
                raise graph_error(400, 100, "(#100) Tried accessing nonexisting field")
            text = entry.get(field, "") if kind != "video" else entry.get("description", "")
            return {"id": node, field: text}
        if node in self.others or entry.get("fan"):
            raise graph_error(403, 200, "(#200) Permissions error")
        self._known(params, {field} | ({"name"} if kind == "video" else set()))
        if field not in params or (kind != "video" and not str(params[field]).strip()):
            raise graph_error(400, 100, f"(#100) The parameter {field} is required")
        entry[field] = params[field]
        if kind == "video":  # the feed post the video made shows its description
            for post in self.posts:
                if node in (post.get("video"), post.get("reel")):
                    post["message"] = params[field]
        return {"success": True}

    # -- Instagram --------------------------------------------------------------------------
    def _image(self, url: Any) -> None:
        if not isinstance(url, str) or not url.startswith(self.public_base):
            raise graph_error(400, 9004, "The media could not be fetched from this uri",
                              error_subcode=2207052)

    def _post_media(self, params: dict[str, Any], version: str) -> Any:
        """IG User Media (developers.facebook.com/docs/instagram-platform/instagram-graph-api/
        reference/ig-user/media): an image (no ``media_type``), ``REELS`` (``video_url``;
        ``cover_url``, ``thumb_offset``, ``share_to_feed`` are theirs alone; no
        ``alt_text``: "Reels and stories are not supported"), ``STORIES`` (``image_url``
        or ``video_url``, refused here with a caption: a story shows none), a carousel
        item (``is_carousel_item``: an image, or ``media_type=VIDEO`` with ``video_url``)
        and ``CAROUSEL``."""
        self._known(params, {"image_url", "video_url", "caption", "alt_text",
                             "is_carousel_item", "media_type", "children", "cover_url",
                             "thumb_offset", "share_to_feed"})
        if len(params.get("caption", "")) > 2200:
            raise graph_error(400, 100, "(#100) The caption is too long", error_subcode=2207010)
        kind = params.get("media_type")
        item = params.get("is_carousel_item") == "true"
        reel_only = {"cover_url", "thumb_offset", "share_to_feed"} & set(params)
        if kind not in (None, "IMAGE", "REELS", "STORIES", "VIDEO", "CAROUSEL") or \
                (kind == "VIDEO" and not item):
            raise graph_error(400, 100, f"(#100) media_type {kind!r} is not valid here "
                              "(a single video is REELS; VIDEO is for carousel items)")
        if reel_only and kind != "REELS":
            raise graph_error(400, 100, f"(#100) Param {sorted(reel_only)[0]} is only for "
                              "REELS")
        if kind in ("REELS", "STORIES", "VIDEO") and "alt_text" in params:
            raise graph_error(400, 100, "(#100) alt_text is only supported on images")
        if kind == "CAROUSEL":
            children = params.get("children", "").split(",")
            if not 2 <= len(children) <= 10 or any(
                    not self.containers.get(c, {}).get("item") for c in children):
                raise graph_error(400, 100, "(#100) children must be 2-10 carousel items")
            return {"id": self._container(caption=params.get("caption"), children=children)}
        if kind == "STORIES":
            if "caption" in params or item or ("image_url" in params) == (
                    "video_url" in params):
                raise graph_error(400, 100, "(#100) a story takes image_url or video_url, "
                                  "and no caption")
            url = params.get("video_url") or params.get("image_url")
            self._image(url)
            return {"id": self._container(story=url, video="video_url" in params)}
        if kind in ("REELS", "VIDEO"):
            if "image_url" in params or (kind == "REELS" and item):
                raise graph_error(400, 100, "(#100) a video container takes video_url only")
            self._image(params.get("video_url"))
            if "cover_url" in params:
                self._image(params["cover_url"])
            offset = params.get("thumb_offset")
            if offset is not None and not str(offset).isdigit():
                raise graph_error(400, 100, "(#100) thumb_offset must be milliseconds (an "
                                  "integer >= 0)")
            if params.get("share_to_feed", "true") not in ("true", "false"):
                raise graph_error(400, 100, "(#100) share_to_feed must be true or false")
            return {"id": self._container(video_url=params["video_url"], video=True,
                                          caption=params.get("caption"), item=item,
                                          reel={k: params[k] for k in reel_only})}
        if "video_url" in params:
            raise graph_error(400, 100, "(#100) video_url needs media_type REELS, STORIES or "
                              "VIDEO")
        self._image(params.get("image_url"))
        return {"id": self._container(image_url=params["image_url"], alt=params.get(
            "alt_text"), caption=params.get("caption"), item=item)}

    def _container(self, **fields: Any) -> str:
        container = self._id()
        self.containers[container] = {"status": "IN_PROGRESS", "reads": 0, **fields}
        return container

    def _container_status(self, node: str, container: dict[str, Any],
                          params: dict[str, Any]) -> Any:
        """An IG Container's ``status_code`` and ``status`` (the error subcode when ERROR)
        or a Threads container's ``status`` and ``error_message`` (developers.facebook.com/
        docs/threads/troubleshooting). An image finishes after ``polls`` reads, a video
        after ``video_container_polls``, then ends ``FINISHED`` or, with
        ``container_error`` set, ``ERROR`` with that reason."""
        threads = "text" in container
        allowed = {"id", "status", "error_message"} if threads else \
            {"id", "status_code", "status"}
        fields = set(params.get("fields", "id").split(","))
        if fields - allowed:
            raise graph_error(400, 100, "(#100) Tried accessing nonexisting field")
        container["reads"] += 1
        polls = self.video_container_polls if container.get("video") else self.polls
        if container["status"] == "IN_PROGRESS" and container["reads"] > polls:
            failed = self.container_error is not None and container.get("video")
            container["status"] = "ERROR" if failed else "FINISHED"
        error = self.container_error if container["status"] == "ERROR" else None
        every = {"id": node, "status_code": container["status"], "status":
                 (container["status"] if threads else error or container["status"]),
                 "error_message": error}
        return {f: every[f] for f in sorted(fields) if every[f] is not None}

    def _post_media_publish(self, params: dict[str, Any], version: str) -> Any:
        self._known(params, {"creation_id"})
        return {"id": self._release(params.get("creation_id"), "caption")}

    def _release(self, container_id: Any, text: str) -> str:
        container = self.containers.get(container_id)
        if container is None or container.get("item"):
            raise graph_error(400, 100, "(#100) creation_id is not a publishable container")
        if container["status"] != "FINISHED":
            raise graph_error(400, 9007, "Media ID is not available", error_subcode=2207027)
        container["status"] = "PUBLISHED"
        post = {"id": self._id(), text: container.get(text), "container": container_id,
                "reply_to": container.get("reply_to"), "at": self.clock()}
        self.posts.append(post)
        return str(post["id"])

    def _get_content_publishing_limit(self, params: dict[str, Any], version: str) -> Any:
        return {"data": [{"quota_usage": self.quota_used,
                          "config": {"quota_total": 50, "quota_duration": 86400}}]}

    def _get_media(self, params: dict[str, Any], version: str) -> Any:
        """IG User Media, newest first, with IG Media fields (developers.facebook.com/docs/
        instagram-platform/instagram-graph-api/reference/ig-user/media and
        .../reference/ig-media: ``caption``, ``permalink``, ``shortcode``, ``timestamp`` ISO
        8601), paged with ``after`` cursors and a ``next`` link while more remain."""
        fields = set(params.get("fields", "id").split(","))
        if fields - {"id", "caption", "permalink", "timestamp", "media_type", "shortcode",
                     "comments_count", "username"}:
            raise graph_error(400, 100, "(#100) Tried accessing nonexisting field")
        limit, start = int(params.get("limit", "25")), int(params.get("after", "0"))
        every = {"id": lambda p: p["id"], "caption": lambda p: p.get("caption"),
                 "permalink": lambda p: f"https://www.instagram.com/p/C{p['id']}/",
                 "shortcode": lambda p: f"C{p['id']}",
                 "media_type": lambda p: "IMAGE", "username": lambda p: "cmops",
                 "comments_count": lambda p: sum(1 + len(c.get("replies", []))
                                                 for c in p.get("comments", [])),
                 "timestamp": lambda p: p.get("at", POSTED).astimezone(UTC).strftime(
                     "%Y-%m-%dT%H:%M:%S+0000")}
        newest = [p for p in reversed(self.posts) if "caption" in p]
        paging: dict[str, Any] = {"cursors": {"before": str(start),
                                              "after": str(start + limit)}}
        if start + limit < len(newest):
            paging["next"] = f"{self.url}/{version}/{self.account}/media?after={start + limit}"
        return {"data": [{f: every[f](p) for f in sorted(fields)}
                         for p in newest[start:start + limit]], "paging": paging}

    def _read(self, node: str, params: dict[str, Any]) -> Any:
        if node in self.videos:
            return self._video_status(node, params)
        if node in self.reels:
            return self._reel_status(node, params)
        container = self.containers.get(node)
        if container is not None:
            return self._container_status(node, container, params)
        for post in self.posts:
            if post["id"] == node:
                link = f"https://www.threads.net/@cmops/post/T{node}" if "text" in post \
                    else f"https://www.instagram.com/p/C{node}/"
                return {"id": node, "permalink": link}
        raise graph_error(400, 100, f"Object with ID '{node}' does not exist",
                          "GraphMethodException")

    # -- Threads ----------------------------------------------------------------------------
    def _post_threads(self, params: dict[str, Any], version: str) -> Any:
        """Threads Posts (developers.facebook.com/docs/threads/posts): ``TEXT``, ``IMAGE``
        (``image_url``), ``VIDEO`` (``video_url``), items of a ``CAROUSEL``
        (``is_carousel_item``); ``alt_text`` on images and videos only
        (developers.facebook.com/docs/threads/posts/accessibility)."""
        self._known(params, {"media_type", "text", "image_url", "video_url", "alt_text",
                             "reply_to_id", "is_carousel_item", "children"})
        text = params.get("text", "")
        if len(text.encode()) > 500 and len(text) > 500:
            raise graph_error(400, 100, "(#100) The text is too long")
        if len(_LINK.findall(text)) > 5:
            raise graph_error(400, 100, "THREADS_API__LINK_LIMIT_EXCEEDED")
        reply = params.get("reply_to_id")
        if reply is not None and self._threads_node(reply) is None:
            raise graph_error(400, 100, f"(#100) reply_to_id {reply} does not exist")
        if reply is not None:
            self._may_reply(reply)
        kind = params.get("media_type")
        if "alt_text" in params and kind not in ("IMAGE", "VIDEO"):
            raise graph_error(400, 100, "(#100) alt_text is for images and videos only")
        item = params.get("is_carousel_item") == "true"
        if kind == "TEXT" and not {"image_url", "video_url"} & set(params) and text:
            return {"id": self._container(text=text, reply_to=reply)}
        if kind == "IMAGE" and "video_url" not in params:
            self._image(params.get("image_url"))
            return {"id": self._container(text=text, reply_to=reply, image_url=params[
                "image_url"], alt=params.get("alt_text"), item=item)}
        if kind == "VIDEO" and "image_url" not in params:
            self._image(params.get("video_url"))
            return {"id": self._container(text=text, reply_to=reply, video_url=params[
                "video_url"], alt=params.get("alt_text"), item=item, video=True)}
        if kind == "CAROUSEL":
            children = params.get("children", "").split(",")
            if not 2 <= len(children) <= 20 or any(
                    not self.containers.get(c, {}).get("item") for c in children):
                raise graph_error(400, 100, "(#100) children must be 2-20 carousel items")
            return {"id": self._container(text=text, reply_to=reply, children=children)}
        raise graph_error(400, 100, f"(#100) invalid media_type {kind!r} for these params")

    def _post_threads_publish(self, params: dict[str, Any], version: str) -> Any:
        self._known(params, {"creation_id"})
        return {"id": self._release(params.get("creation_id"), "text")}

    def _get_threads(self, params: dict[str, Any], version: str) -> Any:
        self._known(params, {"fields", "since", "until", "limit", "before", "after"})
        fields = set(params.get("fields", "id").split(","))
        if version != THREADS or fields - THREADS_FIELDS:
            raise graph_error(400, 100, "(#100) Tried accessing nonexisting field")
        since, until = int(params.get("since", 1688540400)), params.get("until")
        limit = int(params.get("limit", "25"))
        if since < 1688540400 or not 0 <= limit <= 100:
            raise graph_error(400, 100, "(#100) since must be at least 1688540400, limit 0-100")
        found = [p for p in reversed(self.posts) if "text" in p and p.get("reply_to") is None
                 and p.get("at", POSTED).timestamp() >= since
                 and (until is None or p.get("at", POSTED).timestamp() <= int(until))][:limit]
        every = {"id": lambda p: p["id"], "text": lambda p: p["text"],
                 "timestamp": lambda p: p.get("at", POSTED).astimezone(UTC).strftime(
                     "%Y-%m-%dT%H:%M:%S+0000"),
                 "permalink": lambda p: f"https://www.threads.net/@cmops/post/T{p['id']}",
                 "shortcode": lambda p: f"T{p['id']}",
                 "has_replies": lambda p: any(f.get("reply_to") == p["id"] for f in
                                              self._threads_media())}
        return {"data": [{f: every[f](p) for f in sorted(fields) if f in every}
                         for p in found]}

    # -- reads for cmops collect ------------------------------------------------------------
    def _forbid_insights(self) -> None:
        if self.insights_forbidden:
            raise graph_error(403, 10, "(#10) Application does not have permission for this "
                              "action")

    def _reads(self, parts: list[str], params: dict[str, Any]) -> Any:
        """Engagement, followers and insights reads; None: not one of them."""
        fields = set(params.get("fields", "").split(",")) - {""}
        if len(parts) == 2 and parts[1] == self.account and "followers_count" in fields:
            if parts[0] != FB or fields - {"followers_count", "fan_count", "media_count",
                                           "id", "name", "username"}:
                raise graph_error(400, 100, "(#100) Tried accessing nonexisting field")
            return {"followers_count": self.followers, "id": self.account}
        post = next((p for p in self.posts if p["id"] == parts[1]), None)
        if post is None:
            return None
        if len(parts) == 2 and (fields & {"like_count", "comments_count", "shares"} or any(
                f.startswith(("reactions", "comments.")) for f in fields)):
            return self._engagement(post, params["fields"])
        if len(parts) == 3 and parts[2] == "insights":
            self._forbid_insights()
            return self._metrics(post, params.get("metric", ""))
        return None

    def _engagement(self, post: dict[str, Any], fields: str) -> Any:
        counts = self.engagement.get(post["id"], {})
        if "message" in post:  # a Page post
            if fields != ("reactions.summary(total_count).limit(0),"
                          "comments.summary(total_count).limit(0),shares"):
                raise graph_error(400, 100, f"(#100) Tried accessing nonexisting field in "
                                  f"{fields}")
            body: dict[str, Any] = {"id": post["id"]}
            for edge in ("reactions", "comments"):
                body[edge] = {"data": [], "summary": {"total_count": counts.get(edge, 0)}}
            if counts.get("shares"):
                body["shares"] = {"count": counts["shares"]}
            return body
        if "caption" in post and fields == "like_count,comments_count":
            return {"id": post["id"], "like_count": counts.get("like_count", 0),
                    "comments_count": counts.get("comments_count", 0)}
        raise graph_error(400, 100, f"(#100) Tried accessing nonexisting field in {fields}")

    def _metrics(self, post: dict[str, Any], metric: str) -> Any:
        known = {"message": {"post_impressions", "post_impressions_unique", "post_clicks"},
                 "caption": {"views", "reach", "likes", "comments", "shares", "saved",
                             "total_interactions"},
                 "text": {"views", "likes", "replies", "reposts", "quotes", "shares"}}
        allowed = next(v for k, v in known.items() if k in post) - self.retired
        names = metric.split(",")
        if not metric or set(names) - allowed:
            raise graph_error(400, 100, "(#100) metric[0] must be one of the following "
                              f"values: {', '.join(sorted(allowed))}")
        values = self.insights.get(post["id"], {})
        return {"data": [{"name": n, "period": "lifetime", "values": [
            {"value": values.get(n, 0)}], "title": n, "id": f"{post['id']}/insights/{n}"
            "/lifetime"} for n in names]}

    def _get_threads_insights(self, params: dict[str, Any], version: str) -> Any:
        self._forbid_insights()
        if version != THREADS or params.get("metric") != "followers_count":
            raise graph_error(400, 100, "(#100) metric must be one of views, likes, replies, "
                              "reposts, quotes, clicks, followers_count, follower_demographics")
        return {"data": [{"name": "followers_count", "period": "day", "title": "followers",
                          "total_value": {"value": self.followers},
                          "id": f"{self.account}/insights/followers_count/day"}]}

    def _get_tags(self, params: dict[str, Any], version: str) -> Any:
        self._forbid_insights()
        self._known(params, {"fields", "limit", "after", "before"})
        fields = set(params.get("fields", "id").split(","))
        allowed = {"id", "caption", "timestamp", "username", "permalink", "media_type",
                   "media_url", "comments_count", "like_count"}
        if version != FB or fields - allowed:
            raise graph_error(400, 100, "(#100) Tried accessing nonexisting field")
        start, limit = int(params.get("after", "0")), int(params.get("limit", "25"))
        if not 1 <= limit <= 100:
            raise graph_error(400, 100, "(#100) limit must be 1-100")
        newest = list(reversed(self.tags))
        page = [{k: v for k, v in t.items() if k in fields}
                for t in newest[start:start + limit]]
        paging: dict[str, Any] = {"cursors": {"before": str(start),
                                              "after": str(start + len(page))}}
        if start + limit < len(newest):
            paging["next"] = f"{self.url}/{version}/{self.account}/tags?after={start + limit}"
        return {"data": page, "paging": paging}

    # -- Threads replies (issue 19) ---------------------------------------------------------
    def threads_post_by(self, username: str, text: str, reply_to: str | None = None, *,
                        mention: bool = False) -> dict[str, Any]:
        """A public Threads post by someone else: a reply under ``reply_to`` (any post's
        id), or with ``mention`` a post tagging the account. Its URL carries its
        ``shortcode``: ``https://www.threads.net/@<username>/post/<shortcode>``."""
        post = {"id": self._id(), "text": text, "username": username, "reply_to": reply_to,
                "at": self.clock(), "mention": mention}
        post["shortcode"] = f"D{post['id']}"
        self.foreign.append(post)
        return post

    def _threads_media(self) -> list[dict[str, Any]]:
        return [p for p in self.posts if "text" in p] + self.foreign

    def _threads_node(self, node: str) -> dict[str, Any] | None:
        return next((p for p in self._threads_media() if p["id"] == node), None)

    def _threads_root(self, post: dict[str, Any]) -> dict[str, Any]:
        while post.get("reply_to") and (parent := self._threads_node(post["reply_to"])):
            post = parent
        return post

    def _may_reply(self, node: str) -> None:
        """Who may answer a post (developers.facebook.com/documentation/threads/
        retrieve-and-manage-replies/create-replies): ``threads_manage_replies`` for any
        reply, and either owning the root post or ``threads_manage_mentions``. The code
        Threads answers a missing permission with is not documented: code 10 (Graph's
        "does not have permission") is assumed, VERIFY."""
        post = self._threads_node(node)
        own = post is not None and "username" not in self._threads_root(post)
        if self.threads_replies_forbidden or (not own and self.threads_mentions_forbidden):
            raise graph_error(403, 10, "(#10) Application does not have permission for this "
                              "action")

    def _threads_page(self, found: list[dict[str, Any]], params: dict[str, Any],
                      allowed: set[str], size: int) -> Any:
        """One page of Threads media with the asked ``fields`` (among ``allowed``) and
        ``before``/``after`` cursors but no ``next`` ("the response will not include
        previous or next fields", developers.facebook.com/documentation/threads/
        retrieve-and-discover-posts)."""
        fields = set(params.get("fields", "id").split(","))
        if fields - allowed:
            raise graph_error(400, 100, "(#100) Tried accessing nonexisting field")
        start = int(params.get("after", "0"))
        page = found[start:start + size]
        every = {"id": lambda p: p["id"], "text": lambda p: p["text"],
                 "username": lambda p: p.get("username", "cmops"),
                 "shortcode": lambda p: p.get("shortcode", f"T{p['id']}"),
                 "permalink": lambda p: f"https://www.threads.net/@"
                 f"{p.get('username', 'cmops')}/post/{p.get('shortcode', 'T' + p['id'])}",
                 "timestamp": lambda p: p["at"].astimezone(UTC).strftime(
                     "%Y-%m-%dT%H:%M:%S+0000"),
                 "is_reply": lambda p: p.get("reply_to") is not None,
                 "is_reply_owned_by_me": lambda p: "username" not in p}
        body: dict[str, Any] = {"data": [{f: every[f](p) for f in sorted(fields) if f in every}
                                         for p in page]}
        if page:
            body["paging"] = {"cursors": {"before": str(start),
                                          "after": str(start + len(page))}}
        return body

    def _get_mentions(self, params: dict[str, Any], version: str) -> Any:
        """``GET /{threads-user-id}/mentions`` (developers.facebook.com/documentation/
        threads/threads-mentions): public posts tagging the account, newest first, 25 a
        page (``limit`` up to 100), ``since``/``until`` as for the user's threads; needs
        ``threads_manage_mentions`` (refused with code 10 without it)."""
        self._known(params, {"fields", "since", "until", "limit", "before", "after"})
        if version != THREADS:
            raise graph_error(400, 100, "(#100) Unsupported get request")
        if self.threads_mentions_forbidden:
            raise graph_error(403, 10, "(#10) Application does not have permission for this "
                              "action")
        limit = int(params.get("limit", "25"))
        if not 1 <= limit <= 100:
            raise graph_error(400, 100, "(#100) limit must be 1-100")
        found = [p for p in reversed(self.foreign) if p["mention"]]
        return self._threads_page(found, params, THREADS_FIELDS | {"is_reply"}, limit)

    def _get_replies(self, params: dict[str, Any], version: str) -> Any:
        """``GET /{threads-user-id}/replies``: the account's own replies, newest first, with
        ``since``/``until``/``limit`` as its threads list ("Retrieve User Replies",
        developers.facebook.com/documentation/threads/retrieve-and-manage-replies) and
        ``replied_to`` naming each one's parent; needs ``threads_read_replies``."""
        self._known(params, {"fields", "since", "until", "limit", "before", "after"})
        if version != THREADS:
            raise graph_error(400, 100, "(#100) Unsupported get request")
        if self.threads_replies_forbidden:
            raise graph_error(403, 10, "(#10) Application does not have permission for this "
                              "action")
        since, until = int(params.get("since", 1688540400)), params.get("until")
        limit = int(params.get("limit", "25"))
        if since < 1688540400 or not 1 <= limit <= 100:
            raise graph_error(400, 100, "(#100) since must be at least 1688540400, limit 1-100")
        found = [p for p in reversed(self.posts) if "text" in p and p["reply_to"] is not None
                 and p["at"].timestamp() >= since
                 and (until is None or p["at"].timestamp() <= int(until))]
        page = self._threads_page(found, params, THREADS_FIELDS | {
            "replied_to", "root_post", "is_reply", "is_reply_owned_by_me"}, limit)
        wanted = "replied_to" in params.get("fields", "").split(",")
        for entry, post in zip(page["data"], found[int(params.get("after", "0")):],
                               strict=False):
            if wanted:
                entry["replied_to"] = {"id": post["reply_to"]}
        return page

    def _conversation(self, version: str, node: str, params: dict[str, Any]) -> Any:
        """``GET /{threads-media-id}/conversation`` (developers.facebook.com/documentation/
        threads/reference/reply-management): every reply under a post at any depth,
        flattened, newest first unless ``reverse=false``; fields among the reference's;
        needs ``threads_read_replies`` (code 10 without it). Asked of a post the account
        does not own, or one that does not exist, it is code 100 here (what Threads answers
        for another's post is not documented: VERIFY)."""
        self._known(params, {"fields", "reverse", "before", "after"})
        post = self._threads_node(node) if version == THREADS else None
        if post is None or "username" in post:
            raise graph_error(400, 100, f"Object with ID '{node}' does not exist, cannot be "
                              "loaded due to missing permissions, or does not support this "
                              "operation", "GraphMethodException", error_subcode=33)
        if self.threads_replies_forbidden:
            raise graph_error(403, 10, "(#10) Application does not have permission for this "
                              "action")
        if params.get("reverse", "true") not in ("true", "false"):
            raise graph_error(400, 100, "(#100) reverse must be true or false")
        under = [p for p in self._threads_media() if p is not post
                 and self._threads_root(p) is post]
        under.sort(key=lambda p: int(p["id"]), reverse=params.get("reverse") != "false")
        return self._threads_page(under, params, THREADS_FIELDS | {
            "root_post", "replied_to", "is_reply", "is_reply_owned_by_me", "hide_status"}, 25)

    # -- Instagram comment replies (issue 19) -------------------------------------------------
    def ig_fan_comment(self, media_id: str, text: str, username: str = "fan") -> str:
        """A comment by someone else under the account's Instagram media: what a reply
        answers."""
        post = next(p for p in self.posts if p["id"] == media_id and "caption" in p)
        comment = {"id": self._id(), "message": text, "at": self.clock(),
                   "username": username, "replies": []}
        post.setdefault("comments", []).append(comment)
        return str(comment["id"])

    def _ig_thread(self, node: str) -> dict[str, Any] | None:
        """The top-level comment ``node`` is or is a reply under, on the account's media."""
        for post in self.posts:
            for comment in post.get("comments", []) if "caption" in post else []:
                if comment["id"] == node or any(r["id"] == node
                                                for r in comment.get("replies", [])):
                    return comment
        return None

    def _ig_replies(self, method: str, node: str, params: dict[str, Any]) -> Any:
        """IG Comment Replies (developers.facebook.com/docs/instagram-platform/
        instagram-graph-api/reference/ig-comment/replies): ``POST /{ig-comment-id}/replies``
        with ``message`` (required, non-empty) answers ``{"id"}``; "replies to a reply will
        be added to the top-level comment"; hidden comments cannot be answered. ``GET``
        lists a comment's replies oldest first (fields ``id,text,timestamp,username``). A
        ``POST`` consumes a fault, as the publishing requests do.
        Needs ``instagram_manage_comments`` (code 10 without it, VERIFY); a comment that
        does not exist (any more) is code 100 with subcode 33."""
        if self.ig_comments_forbidden:
            raise graph_error(403, 10, "(#10) Application does not have permission for this "
                              "action")
        thread = self._ig_thread(node)
        if thread is None or thread.get("hidden"):
            raise graph_error(400, 100, f"Object with ID '{node}' does not exist, cannot be "
                              "loaded due to missing permissions, or does not support this "
                              "operation", "GraphMethodException", error_subcode=33)
        if method == "POST":
            self._known(params, {"message"})
            if not str(params.get("message", "")).strip():
                raise graph_error(400, 100, "(#100) The parameter message is required")
            reply = {"id": self._id(), "message": params["message"], "at": self.clock(),
                     "username": "cmops"}
            thread.setdefault("replies", []).append(reply)
            return {"id": reply["id"]}
        self._known(params, {"fields", "limit", "after", "before"})
        fields = set(params.get("fields", "id").split(","))
        if fields - {"id", "text", "timestamp", "username"}:
            raise graph_error(400, 100, "(#100) Tried accessing nonexisting field")
        every = {"id": lambda c: c["id"], "text": lambda c: c["message"],
                 "username": lambda c: c.get("username", "cmops"),
                 "timestamp": lambda c: c["at"].astimezone(UTC).strftime(
                     "%Y-%m-%dT%H:%M:%S+0000")}
        return {"data": [{f: every[f](c) for f in sorted(fields)}
                         for c in thread.get("replies", [])]}
