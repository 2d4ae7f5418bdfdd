"""A strict loopback LinkedIn Posts API on 127.0.0.1 (platforms.md §5; learn.microsoft.com
``community-management/shares/posts-api`` and ``images-api``).

Every ``/rest`` call needs ``Authorization: Bearer``, ``LinkedIn-Version: YYYYMM`` and
``X-Restli-Protocol-Version: 2.0.0``. ``POST /rest/posts`` takes JSON with known fields only,
the configured author, ``lifecycleState: PUBLISHED``, commentary of at most 3000 characters in
which every reserved little-text character is escaped (outside the hashtag and mention
elements), images that were initialized and uploaded; it answers an empty 201 with the URN in
``x-restli-id``. The same commentary twice → 422 ``DUPLICATE_POST`` naming the first URN.
``POST /rest/images?action=initializeUpload`` gives an upload URL for ``PUT``. Content is
one kind: ``media``, ``multiImage`` (2-20 images), or ``article`` (Posts API, "Article":
``source`` and ``title`` required, ``description``, ``thumbnail`` an uploaded image URN and
``thumbnailAltText`` optional; LinkedIn does not scrape the URL for it).
``GET /rest/posts/{urn}`` and ``GET /rest/posts?q=author`` read posts back (newest first);
``read_forbidden`` makes reads a 403. Errors are ``{status, code, message,
serviceErrorCode}``.

Videos (learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/videos-api):
``POST /rest/videos?action=initializeUpload`` takes exactly ``owner`` (the author),
``fileSizeBytes``, ``uploadCaptions`` and ``uploadThumbnail`` and answers the video URN, an
``uploadToken`` and ``uploadInstructions`` cutting the file into ``part_size`` parts (4 MB, as
LinkedIn does; tests make it small); each part must be PUT whole to its URL, exactly
``lastByte - firstByte + 1`` bytes, and answers an ``ETag``; ``action=finalizeUpload`` wants
the same token and every ETag in order, then the video is ``PROCESSING`` for ``video_polls``
reads of ``GET /rest/videos/{urn}`` and ``AVAILABLE`` after (``PROCESSING_FAILED`` when
``video_fails``). A post's ``content.media`` may name a video only once it is AVAILABLE, alone
(not in a ``multiImage``).

Reads for ``cmops collect``: ``GET /rest/organizationalEntityShareStatistics`` (``q=
organizationalEntity``, the configured organization, ``shares=List(…)``/``ugcPosts=List(…)``
of known posts; ``stats[urn]`` is a post's ``totalShareStatistics``, a post without one is not
listed), ``GET /rest/socialActions/{urn}`` (``social[urn]``; unknown: 404) and ``GET
/rest/networkSizes/{organization}?edgeType=COMPANY_FOLLOWED_BY_MEMBER`` (``followers``). A
person author gets a 403 from the organization reads.

Deletes: ``DELETE /rest/posts/{encoded URN}`` (posts-api, "Delete Posts") takes a post of
the author off ``posts`` and answers 204, and 204 again for one already deleted ("Post
deletions are idempotent"); an unknown URN is a 404, another author's post a 403. ``DELETE
/rest/socialActions/{post URN}/comments/{comment id}?actor={URN}`` (comments-api, "Delete
Comments") takes the author's comment off its post (204); the actor must be the author (403),
an unknown post or comment is a 404. ``delete_faults`` are consumed one per delete, as above.

Edits (issue 19): ``POST /rest/posts/{encoded URN}`` with ``X-RestLi-Method:
PARTIAL_UPDATE`` and ``{"patch": {"$set": {...}}}`` (posts-api, "Update Posts": only
``commentary``, ``contentCallToActionLabel``, ``contentLandingPage``, ``lifecycleState`` and
``adContext`` can be set; the commentary checked as on create) changes the author's post
and nothing else (its content stays) and answers 204; another author's post is a 403, an
unknown or deleted one a 404. ``POST /rest/socialActions/{target}/comments/{comment id}?
actor={URN}`` with ``{"patch": {"message": {"$set": {"text": ...}}}}`` (comments-api, "Edit
a Comment") changes the actor's own comment (another's: 403; unknown: 404) and answers 204
(the docs' answer body is not relied on); ``GET`` the same path reads the comment ("Get a
Comment"). Replies (comments-api, "Create a Comment"): a comment is posted under a post
(``object`` the same URN) or, nested, under a comment's URN with ``parentComment`` that URN
and ``object`` the URN inside it; a target that is an ``urn:li:activity`` names the post of
the same number here (the real relation between activity and share numbers, and whether
the API takes an activity URN as a target, are not documented: VERIFY). ``fan_comment``
puts someone else's comment under a post. ``edit_faults`` are consumed one per edit,
comment read or reply, as the faults below.

The inbox (issue 19): ``GET /rest/posts?author=…&q=author&count=N`` ("Find Posts by Authors",
posts-api) and ``GET /rest/socialActions/{post URN}/comments?start=&count=`` ("Get Comments on
Shares", learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/comments-api),
both under ``r_organization_social`` for an administrator of the page: ``read_forbidden``
makes them 403 as LinkedIn answers a token without it; comments under another author's post
are a 403 too (the permission covers the organization's own posts), an unknown post a 404.
Each comment has ``id``, ``$URN`` (``urn:li:comment:(urn:li:activity:<n>,<id>)``),
``actor``, ``object``, ``message.text`` and ``created.time`` (epoch ms, from ``clock``).
``read_faults`` are consumed one per comment listing, as the faults below (``status:404``:
the post deleted since it was listed).

Faults, consumed one per ``POST /rest/posts``: ``drop``, ``accept-then-drop``, ``500``/
``503``, ``429`` (no header, as documented), ``429-retry-after`` (``Retry-After: 30``),
``status:NNN``, ``echo`` (a 401 repeating the Authorization header), ``slow:SECONDS``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from tests.fakes.loopback import Loopback, Refusal

POST_KEYS = {"author", "commentary", "visibility", "distribution", "lifecycleState",
             "isReshareDisabledByAuthor", "content", "contentLandingPage",
             "contentCallToActionLabel", "adContext", "container", "reshareContext"}
DISTRIBUTION_KEYS = {"feedDistribution", "targetEntities", "thirdPartyDistributionChannels"}
ARTICLE_KEYS = {"source", "title", "description", "thumbnail", "thumbnailAltText"}
_ELEMENT = re.compile(r"\{hashtag\|\\#\|[^{}]*\}|@\[[^\]]*\]\(urn:li:[a-z]+:[\w-]+\)")
_BARE = re.compile(r"(?<!\\)(?:\\\\)*[|{}@\[\]()<>#*_~]")


def error(status: int, code: str, message: str) -> Refusal:
    return Refusal(status, {"status": status, "code": code, "message": message,
                            "serviceErrorCode": 100})


ACTIVE_VERSIONS = ("202512", "202612")
"""The versions this fake serves, as the migrations page had them on 2026-12-05
(learn.microsoft.com/linkedin/marketing/integrations/migrations: 202511 sunset on
2026-11-16; monthly releases up to the current month)."""

class FakeLinkedIn(Loopback):
    publish_paths = ("/rest/posts",)

    def __init__(self, token: str = "AQX-linkedin-token-canary-0123456789",
                 author: str = "urn:li:organization:2414183") -> None:
        super().__init__()
        self.token, self.author = token, author
        self.posts: list[dict[str, Any]] = []
        self.images: dict[str, bytes | None] = {}
        self.read_forbidden = False
        self.next_id = 7_140_000_000_000_000_000
        self.stats: dict[str, dict[str, float]] = {}
        self.social: dict[str, dict[str, Any]] = {}
        self.followers = 0
        self.videos: dict[str, dict[str, Any]] = {}
        self.part_size = 4 * 1024 * 1024
        self.video_polls = 0
        self.video_fails = False
        self.removed: list[dict[str, Any]] = []
        """Deleted posts."""
        self.delete_faults: list[str] = []
        self.edit_faults: list[str] = []
        self.read_faults: list[str] = []
        self.clock: Callable[[], float] = time.time
        """What posts and comments are stamped with (tests set it to stamp them)."""

    def fault(self, fault: str, request: dict[str, Any]) -> None:
        if fault in ("500", "503"):
            raise error(int(fault), "INTERNAL_SERVER_ERROR", "Internal Server Error")
        if fault in ("429", "429-retry-after"):
            raise Refusal(429, {"status": 429, "message": "Resource level throttle APPLICATION "
                                "DAY limit for calls to this resource is reached."},
                          {"Retry-After": "30"} if fault == "429-retry-after" else {})
        if fault.startswith("status:"):
            raise error(int(fault[7:]), "INJECTED", f"injected {fault}")
        if fault == "echo":
            raise error(401, "INVALID_ACCESS_TOKEN",
                        f"Invalid access token {request['headers'].get('Authorization')}")

    def route(self, request: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        path, method, headers = request["path"], request["method"], request["headers"]
        if path.startswith("/upload/") and method == "PUT":
            return self._put(path.removeprefix("/upload/"), request)
        if path.startswith("/video-upload/") and method == "PUT":
            return self._put_part(path.removeprefix("/video-upload/"), request)
        if headers.get("Authorization") != f"Bearer {self.token}":
            raise error(401, "INVALID_ACCESS_TOKEN", "Invalid access token")
        version = headers.get("LinkedIn-Version", "")
        if not re.fullmatch(r"20\d{4}", version) or not \
                ACTIVE_VERSIONS[0] <= version <= ACTIVE_VERSIONS[1]:
            # A sunset (or not yet released) version: "HTTP 426 ... when the version passed
            # in the version header has been sunset" (marketing/versioning).
            raise error(426, "NONEXISTENT_VERSION", f"Requested version {version} is not "
                        "active")
        if headers.get("X-Restli-Protocol-Version") != "2.0.0":
            raise error(400, "ILLEGAL_ARGUMENT", "X-Restli-Protocol-Version must be 2.0.0")
        if (method, path) == ("POST", "/rest/images") and \
                request["query"] == {"action": ["initializeUpload"]}:
            return 200, {"value": self._initialize(self._json(request))}, {}
        if (method, path) == ("POST", "/rest/videos") and \
                request["query"] == {"action": ["initializeUpload"]}:
            return 200, {"value": self._initialize_video(self._json(request))}, {}
        if (method, path) == ("POST", "/rest/videos") and \
                request["query"] == {"action": ["finalizeUpload"]}:
            self._finalize(self._json(request))
            return 200, None, {}
        if method == "GET" and path.startswith("/rest/videos/"):
            return 200, self._video_status(unquote(path.removeprefix("/rest/videos/"))), {}
        if (method, path) == ("POST", "/rest/posts"):
            urn = self._create(self._json(request))
            return 201, None, {"x-restli-id": urn}
        if method == "POST" and path.startswith("/rest/posts/"):
            self._edit_fault(request)
            self._update(unquote(path.removeprefix("/rest/posts/")), request)
            return 204, None, {}
        single = re.fullmatch(r"/rest/socialActions/([^/]+)/comments/(\d+)", path)
        if single is not None and method in ("POST", "GET"):
            self._edit_fault(request)
            return self._one_comment(unquote(single[1]), single[2], request)
        if method == "GET" and self.read_forbidden:
            raise error(403, "ACCESS_DENIED", "Not enough permissions to access: "
                        "partnerApiPostsExternal.FINDER-author")
        if method == "GET" and path.startswith("/rest/posts/"):
            urn = unquote(path.removeprefix("/rest/posts/"))
            for post in self.posts:
                if post["id"] == urn:
                    return 200, post, {}
            raise error(404, "NOT_FOUND", f"Post {urn} not found")
        if (method, path) == ("GET", "/rest/posts"):
            return 200, self._find(request["query"]), {}
        if (method, path) == ("GET", "/rest/organizationalEntityShareStatistics"):
            return 200, self._statistics(request["query"]), {}
        if method == "DELETE":
            if self.delete_faults:
                self.fault(self.delete_faults.pop(0), request)
            return self._delete(path, request["query"])
        if path.startswith("/rest/socialActions/") and path.endswith("/comments"):
            target = unquote(path.removeprefix("/rest/socialActions/").removesuffix(
                "/comments"))
            if method == "POST":
                if self._thread(target)[1] is not None or target.startswith(
                        "urn:li:activity:"):
                    self._edit_fault(request)
                return 201, self._comment(target, self._json(request)), {}
            if self.read_faults:
                self.fault(self.read_faults.pop(0), request)
            return 200, self._comments(target, request["query"]), {}
        if method == "GET" and path.startswith("/rest/socialActions/"):
            return 200, self._social(unquote(path.removeprefix("/rest/socialActions/"))), {}
        if method == "GET" and path.startswith("/rest/networkSizes/"):
            return 200, self._size(unquote(path.removeprefix("/rest/networkSizes/")),
                                   request["query"]), {}
        raise error(404, "NOT_FOUND", f"No route {method} {path}")

    def _json(self, request: dict[str, Any]) -> Any:
        if request["headers"].get("Content-Type", "").split(";")[0] != "application/json":
            raise error(415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json")
        try:
            return json.loads(request["body"])
        except ValueError:
            raise error(400, "ILLEGAL_ARGUMENT", "Malformed JSON") from None

    def _initialize(self, body: Any) -> dict[str, Any]:
        if body != {"initializeUploadRequest": {"owner": self.author}}:
            raise error(422, "UNPROCESSABLE_ENTITY", f"Unexpected initializeUpload {body}")
        image = f"urn:li:image:C4E10AQ{len(self.images):08d}"
        self.images[image] = None
        return {"uploadUrlExpiresAt": int(time.time() * 1000) + 86_400_000,
                "uploadUrl": f"{self.url}/upload/{image}", "image": image}

    def _put(self, image: str, request: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        if image not in self.images or not request["body"] or \
                request["headers"].get("Authorization") != f"Bearer {self.token}":
            raise error(400, "BAD_UPLOAD", "Upload refused")
        self.images[image] = request["body"]
        return 201, None, {}

    # -- videos -----------------------------------------------------------------------------
    def _initialize_video(self, body: Any) -> dict[str, Any]:
        request = body.get("initializeUploadRequest") if isinstance(body, dict) else None
        if not isinstance(request, dict) or set(body) != {"initializeUploadRequest"} or \
                set(request) != {"owner", "fileSizeBytes", "uploadCaptions",
                                 "uploadThumbnail"} or request["owner"] != self.author or \
                not isinstance(request["fileSizeBytes"], int) or request["fileSizeBytes"] < 1:
            raise error(422, "UNPROCESSABLE_ENTITY", f"Unexpected initializeUpload {body}")
        size = request["fileSizeBytes"]
        video = f"urn:li:video:C5F10AQ{len(self.videos):08d}"
        ranges = [(first, min(first + self.part_size, size) - 1)
                  for first in range(0, size, self.part_size)]
        token = f"token-{len(self.videos)}" if len(ranges) > 1 else ""
        self.videos[video] = {"size": size, "ranges": ranges, "token": token, "parts": {},
                              "status": "WAITING_UPLOAD", "reads": 0, "bytes": b""}
        return {"uploadUrlsExpireAt": int(time.time() * 1000) + 86_400_000, "video": video,
                "uploadToken": token,
                "uploadInstructions": [{"uploadUrl": f"{self.url}/video-upload/{video}/{n}",
                                        "firstByte": first, "lastByte": last}
                                       for n, (first, last) in enumerate(ranges)]}

    def _put_part(self, target: str, request: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        video, _, n = target.rpartition("/")
        entry = self.videos.get(video)
        if entry is None or not n.isdigit() or int(n) >= len(entry["ranges"]) or \
                request["headers"].get("Authorization") != f"Bearer {self.token}":
            raise error(400, "BAD_UPLOAD", "Upload refused")
        first, last = entry["ranges"][int(n)]
        if len(request["body"]) != last - first + 1:
            raise error(400, "BAD_UPLOAD", f"part {n} must be bytes {first}-{last}, got "
                        f"{len(request['body'])} bytes")
        etag = f"/ambry-video/signedId/{video[-8:]}-{n}-{len(request['body'])}"
        entry["parts"][int(n)] = (etag, request["body"])
        return 200, None, {"ETag": etag}

    def _finalize(self, body: Any) -> None:
        request = body.get("finalizeUploadRequest") if isinstance(body, dict) else None
        if not isinstance(request, dict) or set(request) != {"video", "uploadToken",
                                                             "uploadedPartIds"}:
            raise error(422, "UNPROCESSABLE_ENTITY", f"Unexpected finalizeUpload {body}")
        entry = self.videos.get(request["video"])
        if entry is None or entry["status"] != "WAITING_UPLOAD" or \
                request["uploadToken"] != entry["token"]:
            raise error(400, "BAD_REQUEST", "Unknown video, or upload token mismatch")
        parts = [entry["parts"].get(n) for n in range(len(entry["ranges"]))]
        if None in parts or request["uploadedPartIds"] != [p[0] for p in parts if p]:
            raise error(400, "BAD_REQUEST", "uploadedPartIds do not match the uploaded parts "
                        "in order")
        entry["bytes"] = b"".join(p[1] for p in parts if p)
        entry["status"] = "PROCESSING"

    def _video_status(self, urn: str) -> dict[str, Any]:
        entry = self.videos.get(urn)
        if entry is None:
            raise error(404, "NOT_FOUND", f"{urn} not found")
        if entry["status"] == "PROCESSING":
            entry["reads"] += 1
            if entry["reads"] > self.video_polls:
                entry["status"] = "PROCESSING_FAILED" if self.video_fails else "AVAILABLE"
        return {"id": urn, "owner": self.author, "status": entry["status"]}

    def _create(self, body: Any) -> str:
        if not isinstance(body, dict) or set(body) - POST_KEYS:
            raise error(422, "UNPROCESSABLE_ENTITY", f"Unrecognized field(s) {sorted(body)}")
        if body.get("author") != self.author or body.get("lifecycleState") != "PUBLISHED" or \
                body.get("visibility") != "PUBLIC" or not isinstance(body.get("distribution"),
                                                                     dict) or \
                set(body["distribution"]) - DISTRIBUTION_KEYS:
            raise error(422, "UNPROCESSABLE_ENTITY", "Invalid author, visibility, "
                        "distribution or lifecycleState")
        commentary = body.get("commentary", "")
        if len(commentary) > 3000:
            raise error(422, "UNPROCESSABLE_ENTITY", "commentary is longer than 3000")
        if _BARE.search(_ELEMENT.sub("", commentary)):
            # LinkedIn itself answers 201 and truncates; the fake refuses so a test sees it.
            raise error(422, "UNPROCESSABLE_ENTITY", "unescaped reserved character")
        for image in _images(body.get("content")):
            if image["id"].startswith("urn:li:video:"):
                if self.videos.get(image["id"], {}).get("status") != "AVAILABLE":
                    raise error(422, "UNPROCESSABLE_ENTITY", f"{image['id']} is not AVAILABLE")
            elif self.images.get(image["id"]) is None:
                raise error(422, "UNPROCESSABLE_ENTITY", f"{image['id']} was not uploaded")
        for post in self.posts:
            if post["commentary"] == commentary:
                raise error(422, "DUPLICATE_POST",
                            f"Content is a duplicate of {post['id']}")
        return self.add(body)["id"]

    def add(self, body: dict[str, Any]) -> dict[str, Any]:
        """Keep a post (also used by tests to put one there)."""
        self.next_id += 1
        now = int(self.clock() * 1000)
        post = {**body, "id": f"urn:li:share:{self.next_id}", "createdAt": now,
                "lastModifiedAt": now}
        self.posts.append(post)
        return post

    def _find(self, query: dict[str, list[str]]) -> dict[str, Any]:
        if query.get("q") != ["author"] or query.get("author") != [self.author]:
            raise error(400, "ILLEGAL_ARGUMENT", "q=author&author=<urn> required")
        start, count = int(query.get("start", ["0"])[0]), int(query.get("count", ["10"])[0])
        if count > 100:
            raise error(400, "ILLEGAL_ARGUMENT", "count is at most 100")
        newest = sorted(self.posts, key=lambda p: p["createdAt"], reverse=True)
        return {"elements": newest[start:start + count],
                "paging": {"start": start, "count": count, "links": []}}

    # -- reads for cmops collect ------------------------------------------------------------
    def _organization(self, urn: str | None) -> None:
        if not self.author.startswith("urn:li:organization:"):
            raise error(403, "ACCESS_DENIED", "Not enough permissions to access: "
                        "organizationalEntityShareStatistics")
        if urn != self.author:
            raise error(403, "ACCESS_DENIED", f"Member is not an administrator of {urn}")

    def _statistics(self, query: dict[str, list[str]]) -> dict[str, Any]:
        if set(query) - {"q", "organizationalEntity", "shares", "ugcPosts", "timeIntervals"} \
                or query.get("q") != ["organizationalEntity"]:
            raise error(400, "ILLEGAL_ARGUMENT", f"Invalid query parameters {sorted(query)}")
        self._organization(query.get("organizationalEntity", [None])[0])
        known = {p["id"] for p in self.posts}
        elements = []
        for kind, key, prefix in (("shares", "share", "urn:li:share:"),
                                  ("ugcPosts", "ugcPost", "urn:li:ugcPost:")):
            for value in query.get(kind, []):
                match = re.fullmatch(r"List\(([^()]*)\)", value)
                urns = match[1].split(",") if match else []
                if not urns or any(not u.startswith(prefix) for u in urns):
                    raise error(400, "ILLEGAL_ARGUMENT", f"{kind} must be List({prefix}…)")
                for urn in urns:
                    if urn in known and urn in self.stats:
                        elements.append({key: urn, "organizationalEntity": self.author,
                                         "totalShareStatistics": self.stats[urn]})
        return {"paging": {"count": 10, "start": 0, "links": []}, "elements": elements}

    def _comment(self, target: str, body: Any) -> dict[str, Any]:
        """Comments API, "Create a Comment" (learn.microsoft.com/en-us/linkedin/marketing/
        community-management/shares/comments-api): ``POST /rest/socialActions/{share or
        ugcPost URN}/comments`` with ``actor`` (the authenticated author), ``object`` (the
        same URN) and ``message.text`` (non-empty); the target must be a post of the author.
        Answers 201 with the comment, its URN in ``$URN``."""
        post, parent = self._thread(target)
        if post is None:
            raise error(404, "NOT_FOUND", f"{target} not found")
        if not isinstance(body, dict) or set(body) - {"actor", "object", "message",
                                                      "content", "parentComment"}:
            raise error(422, "UNPROCESSABLE_ENTITY", f"Unrecognized field(s) in {body}")
        if body.get("actor") != self.author:
            raise error(403, "ACCESS_DENIED", f"actor {body.get('actor')} is not the member "
                        "or an organization this token may act for")
        if parent is not None:
            if body.get("parentComment") != target or \
                    body.get("object") != target[len("urn:li:comment:("):].split(",")[0]:
                raise error(400, "ILLEGAL_ARGUMENT", "a nested comment needs parentComment "
                            "(the comment's URN) and object (the URN inside it)")
        elif body.get("object") != target or "parentComment" in body:
            raise error(400, "ILLEGAL_ARGUMENT", "object must be the URN the comment is on")
        message = body.get("message")
        if not isinstance(message, dict) or not str(message.get("text", "")).strip():
            raise error(422, "UNPROCESSABLE_ENTITY", "message.text is required")
        self.next_id += 1
        activity = post["id"].rsplit(":", 1)[1]
        comment = {"id": str(self.next_id),
                   "$URN": f"urn:li:comment:(urn:li:activity:{activity},{self.next_id})",
                   "actor": self.author, "object": body["object"], "message": message,
                   "created": {"actor": self.author, "time": int(self.clock() * 1000)},
                   **({"parentComment": target} if parent is not None else {})}
        post.setdefault("comments", []).append(comment)
        return comment

    def _comments(self, target: str, query: dict[str, list[str]]) -> dict[str, Any]:
        """"Get Comments on Shares": ``GET /rest/socialActions/{URN}/comments`` (``start``,
        ``count``), oldest first, the post's own comments; "Get Comments on Comments" (a
        comment's URN): the replies to it. An unknown post or comment is a 404."""
        post, parent = self._thread(target)
        if post is None:
            raise error(404, "NOT_FOUND", f"{target} not found")
        if post.get("author", self.author) != self.author:
            raise error(403, "ACCESS_DENIED", f"Not enough permissions to read the comments "
                        f"on {post['id']}")
        start, count = int(query.get("start", ["0"])[0]), int(query.get("count", ["10"])[0])
        if not 0 < count <= 100 or start < 0:
            raise error(400, "ILLEGAL_ARGUMENT", "count is 1 to 100, start at least 0")
        found = [c for c in post.get("comments", []) if c.get("parentComment") == (
            target if parent is not None else None)]
        return {"paging": {"start": start, "count": count, "total": len(found)},
                "elements": found[start:start + count]}

    def _delete(self, path: str, query: dict[str, list[str]]) -> tuple[int, Any, dict[str, str]]:
        if path.startswith("/rest/posts/"):
            urn = unquote(path.removeprefix("/rest/posts/"))
            if any(p["id"] == urn for p in self.removed):
                return 204, None, {}
            post = next((p for p in self.posts if p["id"] == urn), None)
            if post is None:
                raise error(404, "NOT_FOUND", f"Post {urn} not found")
            if post.get("author") != self.author:
                raise error(403, "ACCESS_DENIED", f"Not enough permissions to delete {urn}")
            self.posts.remove(post)
            self.removed.append(post)
            return 204, None, {}
        found = re.fullmatch(r"/rest/socialActions/([^/]+)/comments/([^/]+)", path)
        if found is None:
            raise error(404, "NOT_FOUND", f"No route DELETE {path}")
        if query.get("actor") != [self.author]:
            raise error(403, "ACCESS_DENIED", f"actor {query.get('actor')} may not delete "
                        "this comment")
        target = unquote(found[1])
        post = self._thread(target)[0]
        comment = next((c for c in (post or {}).get("comments", []) if c["id"] == found[2]),
                       None)
        if post is None or comment is None:
            raise error(404, "NOT_FOUND", f"Comment {found[2]} on {target} not found")
        post["comments"].remove(comment)
        return 204, None, {}

    # -- edits and replies (issue 19) --------------------------------------------------------
    def _edit_fault(self, request: dict[str, Any]) -> None:
        if self.edit_faults:
            fault = self.edit_faults.pop(0)
            if fault.startswith("slow:"):
                time.sleep(float(fault.split(":")[1]))
            else:
                self.fault(fault, request)

    def _thread(self, target: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """The post a socialActions target is on, and the comment when it is one."""
        number = re.fullmatch(r"urn:li:activity:(\d+)", target)
        for post in self.posts:
            if post["id"] == target or (number and post["id"].endswith(f":{number[1]}")):
                return post, None
            for comment in post.get("comments", []):
                if comment["$URN"] == target:
                    return post, comment
        return None, None

    def fan_comment(self, post_urn: str, text: str,
                    actor: str = "urn:li:person:fan0001") -> str:
        """Someone else's comment under a post (what a reply answers): its URN."""
        post = next(p for p in self.posts if p["id"] == post_urn)
        self.next_id += 1
        urn = f"urn:li:comment:(urn:li:activity:{post_urn.rsplit(':', 1)[1]},{self.next_id})"
        post.setdefault("comments", []).append({
            "id": str(self.next_id), "$URN": urn, "actor": actor,
            "object": post_urn, "message": {"text": text},
            "created": {"actor": actor, "time": int(self.clock() * 1000)}})
        return urn

    def _update(self, urn: str, request: dict[str, Any]) -> None:
        if request["headers"].get("X-RestLi-Method") != "PARTIAL_UPDATE":
            raise error(400, "ILLEGAL_ARGUMENT", "an update needs X-RestLi-Method: "
                        "PARTIAL_UPDATE")
        body = self._json(request)
        patch = body.get("patch") if isinstance(body, dict) else None
        fields = patch.get("$set") if isinstance(patch, dict) and set(patch) == {"$set"} \
            and set(body) == {"patch"} else None
        if not isinstance(fields, dict) or not fields or set(fields) - {
                "commentary", "contentCallToActionLabel", "contentLandingPage",
                "lifecycleState", "adContext"}:
            raise error(422, "UNPROCESSABLE_ENTITY", f"Unpatchable field(s) in {body}")
        post = next((p for p in self.posts if p["id"] == urn), None)
        if post is None:
            raise error(404, "NOT_FOUND", f"Post {urn} not found")
        if post.get("author") != self.author:
            raise error(403, "ACCESS_DENIED", f"Not enough permissions to update {urn}")
        commentary = fields.get("commentary", post.get("commentary", ""))
        if not isinstance(commentary, str) or len(commentary) > 3000 or \
                _BARE.search(_ELEMENT.sub("", commentary)):
            raise error(422, "UNPROCESSABLE_ENTITY", "commentary too long or with an "
                        "unescaped reserved character")
        post.update(fields, lastModifiedAt=int(time.time() * 1000))

    def _one_comment(self, target: str, comment_id: str, request: dict[str, Any]
                     ) -> tuple[int, Any, dict[str, str]]:
        post = self._thread(target)[0]
        comment = next((c for c in (post or {}).get("comments", []) if c["id"] == comment_id),
                       None)
        if comment is None:
            raise error(404, "NOT_FOUND", f"Comment {comment_id} on {target} not found")
        if request["method"] == "GET":
            return 200, comment, {}
        if request["query"].get("actor") != [self.author] or comment["actor"] != self.author:
            raise error(403, "ACCESS_DENIED", f"actor {request['query'].get('actor')} may not "
                        "edit this comment")
        body = self._json(request)
        text = None
        if isinstance(body, dict) and set(body) == {"patch"} and \
                isinstance(body["patch"], dict) and set(body["patch"]) == {"message"}:
            change = body["patch"]["message"]
            if isinstance(change, dict) and set(change) == {"$set"} and \
                    isinstance(change["$set"], dict) and set(change["$set"]) == {"text"}:
                text = change["$set"]["text"]
        if not isinstance(text, str) or not text.strip():
            raise error(422, "UNPROCESSABLE_ENTITY", f"Only message.text can be patched: "
                        f"{body}")
        comment["message"] = {**comment["message"], "text": text}
        return 204, None, {}

    def comments(self) -> list[tuple[str, str]]:
        """(post URN, text) of every comment posted, in order."""
        return [(p["id"], c["message"]["text"]) for p in self.posts
                for c in p.get("comments", [])]

    def _social(self, urn: str) -> dict[str, Any]:
        if urn not in self.social:
            raise error(404, "NOT_FOUND", f"{urn} not found")
        return {"target": urn, **self.social[urn]}

    def _size(self, urn: str, query: dict[str, list[str]]) -> dict[str, Any]:
        if query != {"edgeType": ["COMPANY_FOLLOWED_BY_MEMBER"]}:
            raise error(400, "ILLEGAL_ARGUMENT", f"Invalid edgeType {query}")
        self._organization(urn)
        return {"firstDegreeSize": self.followers}


def _images(content: Any) -> list[dict[str, Any]]:
    if content is None:
        return []
    if not isinstance(content, dict) or len(content) != 1:
        raise error(422, "UNPROCESSABLE_ENTITY", "content must hold one kind")
    if "article" in content:
        return _article(content["article"])
    if "media" in content:
        images = [content["media"]]
    elif "multiImage" in content and set(content["multiImage"]) == {"images"}:
        images = content["multiImage"]["images"]
        if not 2 <= len(images) <= 20 or any(
                str(i.get("id", "")).startswith("urn:li:video:") for i in images):
            raise error(422, "UNPROCESSABLE_ENTITY", "multiImage takes 2 to 20 images")
    else:
        raise error(422, "UNPROCESSABLE_ENTITY", f"unsupported content {sorted(content)}")
    for image in images:
        if not isinstance(image, dict) or set(image) - {"id", "altText"}:
            raise error(422, "UNPROCESSABLE_ENTITY", "image takes id and altText")
    return list(images)


def _article(article: Any) -> list[dict[str, Any]]:
    """An article's checks; its thumbnail, as an image the post needs uploaded."""
    if not isinstance(article, dict) or set(article) - ARTICLE_KEYS:
        raise error(422, "UNPROCESSABLE_ENTITY", f"article takes {sorted(ARTICLE_KEYS)}")
    for key in ("source", "title"):
        if not isinstance(article.get(key), str) or not article[key]:
            raise error(422, "UNPROCESSABLE_ENTITY", f"article.{key} is required")
    if not re.match(r"^https?://\S+$", article["source"]):
        raise error(422, "UNPROCESSABLE_ENTITY", "article.source must be a URL")
    thumbnail = article.get("thumbnail")
    if thumbnail is None:
        return []
    if not isinstance(thumbnail, str) or not thumbnail.startswith("urn:li:image:"):
        raise error(422, "UNPROCESSABLE_ENTITY", "article.thumbnail must be an image URN")
    return [{"id": thumbnail}]
