"""A strict loopback TikTok Content Posting API on 127.0.0.1.

What it enforces, both ways, from TikTok for Developers:

- every ``/v2/post/publish/*`` and ``/v2/video/query/`` call is a ``POST`` with
  ``Authorization: Bearer <access token>`` and ``Content-Type: application/json;
  charset=UTF-8``; answers are ``{"data": …, "error": {"code", "message", "log_id"}}``,
  ``code`` ``ok`` on success (doc/content-posting-api-reference-direct-post);
- ``creator_info/query`` gives the account's ``privacy_level_options`` (a public account:
  PUBLIC_TO_EVERYONE, MUTUAL_FOLLOW_FRIENDS, SELF_ONLY), ``comment_disabled``,
  ``duet_disabled``, ``stitch_disabled``, ``max_video_post_duration_sec`` and
  ``creator_username`` (doc/content-posting-api-reference-query-creator-info);
- ``video/init`` takes known ``post_info`` fields only, a ``privacy_level`` among those
  options (else 400 ``privacy_level_option_mismatch``), a title of at most 2200 UTF-16 units;
  an unaudited app may post ``SELF_ONLY`` only (403
  ``unaudited_client_can_only_post_to_private_accounts``: the code's name is third-party,
  VERIFY); ``source_info`` ``FILE_UPLOAD`` with ``video_size``, ``chunk_size`` and
  ``total_chunk_count`` by the Media Transfer Guide's chunk restrictions
  (doc/content-posting-api-media-transfer-guide), answered with a ``publish_id`` and an
  ``upload_url``; or ``PULL_FROM_URL`` with a ``video_url`` under the verified prefix (else
  403 ``url_ownership_unverified``);
- ``PUT`` to the upload URL, chunk by chunk in order, each with ``Content-Range: bytes
  first-last/total`` and exactly ``chunk_size`` bytes (the last: the rest), answered 206, the
  last 201; only then is the post processed;
- ``content/init`` (doc/content-posting-api-reference-photo-post): ``media_type`` PHOTO,
  ``post_mode`` DIRECT_POST, a title of at most 90 and a description of at most 4000 UTF-16
  units, ``source_info`` ``PULL_FROM_URL`` with 1 to 35 ``photo_images`` under the verified
  prefix and a ``photo_cover_index`` among them;
- ``status/fetch`` (doc/content-posting-api-reference-get-video-status): ``PROCESSING_UPLOAD``
  until the bytes are in, ``PROCESSING_DOWNLOAD`` for ``processing`` reads, then
  ``PUBLISH_COMPLETE``, with ``publicaly_available_post_id`` (TikTok's spelling) only for a
  post that is not SELF_ONLY; ``FAILED`` with a ``fail_reason`` when ``fail_next``;
- ``/v2/oauth/token/`` (docs/en/oauth-refresh-a-user-access-token): a form with
  ``client_key``, ``client_secret``, ``grant_type=refresh_token`` and the current
  ``refresh_token``; answers a new access token and a new refresh token, the old one retired;
- ``/v2/video/query/?fields=…`` with ``filters.video_ids`` (at most 20) and ``GET
  /v2/user/info/?fields=follower_count`` for collect.

Faults, consumed one per ``video/init`` or ``content/init``: ``drop``, ``accept-then-drop``,
``slow:SECONDS``, ``500``/``503`` (``internal_error``), ``429`` (``rate_limit_exceeded``, no
wait stated), ``status:NNN``, ``echo`` (a 401 repeating the Authorization header).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs

from tests.fakes.loopback import Loopback, Refusal

VIDEO_INFO = {"privacy_level", "title", "disable_duet", "disable_comment", "disable_stitch",
              "video_cover_timestamp_ms", "brand_content_toggle", "brand_organic_toggle",
              "is_aigc"}
PHOTO_INFO = {"title", "description", "privacy_level", "disable_comment", "auto_add_music",
              "brand_content_toggle", "brand_organic_toggle"}
MIN_CHUNK, MAX_CHUNK, MAX_LAST = 5 * 1024 * 1024, 64 * 1024 * 1024, 128 * 1024 * 1024
PUBLIC_OPTIONS = ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def error(status: int, code: str, message: str) -> Refusal:
    return Refusal(status, {"data": {}, "error": {"code": code, "message": message,
                                                  "log_id": "202611240900001"}})


class FakeTikTok(Loopback):
    publish_paths = ("/v2/post/publish/video/init/", "/v2/post/publish/content/init/")

    def __init__(self, token: str = "act.tiktok-canary-0123456789abcdef") -> None:
        super().__init__()
        self.token = token
        self.client_key, self.client_secret = "aw-client-key", "tiktok-secret-canary-42"
        self.refresh_token = "rft.tiktok-refresh-canary-9876"
        self.audited = True
        self.options = list(PUBLIC_OPTIONS)
        self.creator: dict[str, Any] = {"comment_disabled": False, "duet_disabled": False,
                                        "stitch_disabled": False,
                                        "max_video_post_duration_sec": 600}
        self.public_base = "https://media.example.org/"
        self.verified = self.public_base
        self.publishes: dict[str, dict[str, Any]] = {}
        self.posts: list[dict[str, Any]] = []
        self.processing = 1
        """``status/fetch`` reads answered PROCESSING_DOWNLOAD before PUBLISH_COMPLETE."""
        self.fail_next = ""
        self.stats: dict[str, dict[str, int]] = {}
        self.followers = 1234
        self.scopes = {"video.publish", "video.list", "user.info.stats"}
        self.next_id = 7_440_000_000_000_000_000
        self.refreshes = 0

    # -- plumbing --------------------------------------------------------------------------
    def fault(self, fault: str, request: dict[str, Any]) -> None:
        if fault in ("500", "503"):
            raise error(int(fault), "internal_error", "Something went wrong")
        if fault == "429":
            raise error(429, "rate_limit_exceeded", "API rate limit was exceeded")
        if fault.startswith("status:"):
            status = int(fault[7:])
            code = {401: "access_token_invalid", 403: "scope_not_authorized"}.get(
                status, "invalid_params")
            raise error(status, code, "refused")
        if fault == "echo":
            raise error(401, "access_token_invalid",
                        f"bad header {request['headers'].get('Authorization')}")

    def route(self, request: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        path = request["path"]
        if path == "/v2/oauth/token/":
            return self.oauth(request)
        if path.startswith("/upload/"):
            return self.put(request)
        if request["method"] == "GET" and path == "/v2/user/info/":
            self.authorized(request, json_body=False)
            if "user.info.stats" not in self.scopes:
                raise error(401, "scope_not_authorized", "user.info.stats")
            return self.ok({"user": {"follower_count": self.followers}})
        if request["method"] != "POST":
            raise error(404, "invalid_params", f"no {request['method']} {path}")
        body = self.authorized(request)
        routes = {"/v2/post/publish/creator_info/query/": self.creator_info,
                  "/v2/post/publish/video/init/": self.video_init,
                  "/v2/post/publish/content/init/": self.photo_init,
                  "/v2/post/publish/status/fetch/": self.status,
                  "/v2/video/query/": self.query}
        if path not in routes:
            raise error(404, "invalid_params", f"no endpoint {path}")
        return routes[path](request, body)

    def ok(self, data: Any, status: int = 200) -> tuple[int, Any, dict[str, str]]:
        return status, {"data": data, "error": {"code": "ok", "message": "",
                                                "log_id": "202611240900000"}}, {}

    def authorized(self, request: dict[str, Any], *, json_body: bool = True) -> Any:
        if request["headers"].get("Authorization") != f"Bearer {self.token}":
            raise error(401, "access_token_invalid", "The access token is invalid or not "
                        "found in the request.")
        if not json_body:
            return None
        if request["headers"].get("Content-Type") != "application/json; charset=UTF-8":
            raise error(400, "invalid_params", "Content-Type must be application/json; "
                        "charset=UTF-8")
        try:
            return json.loads(request["body"] or b"{}")
        except ValueError:
            raise error(400, "invalid_params", "the body is not JSON") from None

    # -- endpoints -------------------------------------------------------------------------
    def oauth(self, request: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        if request["headers"].get("Content-Type") != "application/x-www-form-urlencoded":
            return 400, {"error": "invalid_request", "error_description": "form expected"}, {}
        form = {k: v[0] for k, v in parse_qs(request["body"].decode()).items()}
        if (form.get("grant_type"), form.get("client_key"), form.get("client_secret"),
                form.get("refresh_token")) != ("refresh_token", self.client_key,
                                               self.client_secret, self.refresh_token):
            return 400, {"error": "invalid_grant", "error_description":
                         "Refresh token is invalid or expired.", "log_id": "1"}, {}
        self.refreshes += 1
        self.token = f"act.refreshed-{self.refreshes}-canary"
        self.refresh_token = f"rft.rotated-{self.refreshes}-canary"
        # Access tokens last 2 hours, refresh tokens 180 days (docs/en/oauth-user-access-
        # token-management, November 2026).
        return 200, {"access_token": self.token, "expires_in": 7200, "open_id": "open-1",
                     "refresh_expires_in": 15552000, "refresh_token": self.refresh_token,
                     "scope": ",".join(sorted(self.scopes)), "token_type": "Bearer"}, {}

    def creator_info(self, request: dict[str, Any], body: Any
                     ) -> tuple[int, Any, dict[str, str]]:
        return self.ok({"creator_avatar_url": "https://p16.example/avatar.jpg",
                        "creator_username": "brand.shop", "creator_nickname": "Brand",
                        "privacy_level_options": list(self.options), **self.creator})

    def _privacy(self, info: dict[str, Any]) -> str:
        level = info.get("privacy_level")
        if level not in self.options:
            raise error(400, "privacy_level_option_mismatch",
                        f"privacy_level {level} is not among the creator's options")
        if not self.audited and level != "SELF_ONLY":
            raise error(403, "unaudited_client_can_only_post_to_private_accounts",
                        "Please review our integration guidelines")
        for key in ("disable_comment", "disable_duet", "disable_stitch",
                    "brand_content_toggle", "brand_organic_toggle", "auto_add_music"):
            if key in info and not isinstance(info[key], bool):
                raise error(400, "invalid_params", f"{key} must be a boolean")
        for key in ("comment", "duet", "stitch"):
            if self.creator.get(f"{key}_disabled") and info.get(f"disable_{key}") is False:
                raise error(400, "invalid_params", f"the creator turned {key}s off")
        return str(level)

    def _url(self, url: Any) -> str:
        if not isinstance(url, str) or not url.startswith(self.verified):
            raise error(403, "url_ownership_unverified", f"{url} is not on a verified prefix")
        return url

    def _new(self, kind: str, info: dict[str, Any], level: str, size: int | None,
             chunk: int | None, urls: list[str]) -> str:
        publish_id = f"v_pub_{kind}~v2-1.{len(self.publishes) + 1}"
        self.publishes[publish_id] = {
            "kind": kind, "info": info, "privacy": level, "size": size, "chunk": chunk,
            "received": 0, "urls": urls, "reads": 0, "post": None,
            "failed": self.fail_next}
        self.fail_next = ""
        return publish_id

    def video_init(self, request: dict[str, Any], body: Any) -> tuple[int, Any, dict[str, str]]:
        info, source = body.get("post_info") or {}, body.get("source_info") or {}
        if set(body) - {"post_info", "source_info"} or set(info) - VIDEO_INFO:
            raise error(400, "invalid_params", "unknown field")
        if utf16(str(info.get("title", ""))) > 2200:
            raise error(400, "invalid_params", "title is longer than 2200")
        level = self._privacy(info)
        if source.get("source") == "PULL_FROM_URL":
            publish_id = self._new("url", info, level, None, None,
                                   [self._url(source.get("video_url"))])
            return self.ok({"publish_id": publish_id})
        if source.get("source") != "FILE_UPLOAD":
            raise error(400, "invalid_params", "source must be FILE_UPLOAD or PULL_FROM_URL")
        size, chunk, count = (source.get(k) for k in
                              ("video_size", "chunk_size", "total_chunk_count"))
        if not all(isinstance(v, int) and v > 0 for v in (size, chunk, count)):
            raise error(400, "invalid_params", "video_size, chunk_size, total_chunk_count")
        assert isinstance(size, int) and isinstance(chunk, int) and isinstance(count, int)
        whole = size < MIN_CHUNK or (size <= MAX_CHUNK and chunk == size)
        if whole and (chunk != size or count != 1):
            raise error(400, "invalid_params", "a video under 5 MB goes whole")
        if not whole and (not MIN_CHUNK <= chunk <= MAX_CHUNK or count != size // chunk
                          or size - chunk * (count - 1) > MAX_LAST or count > 1000):
            raise error(400, "invalid_params", "The chunk size is invalid")
        publish_id = self._new("file", info, level, size, chunk, [])
        return self.ok({"publish_id": publish_id,
                        "upload_url": f"{self.url}/upload/?upload_id={len(self.publishes)}"
                                      "&upload_token=tok"})

    def photo_init(self, request: dict[str, Any], body: Any) -> tuple[int, Any, dict[str, str]]:
        info, source = body.get("post_info") or {}, body.get("source_info") or {}
        if (body.get("media_type"), body.get("post_mode")) != ("PHOTO", "DIRECT_POST"):
            raise error(400, "invalid_params", "media_type PHOTO and post_mode DIRECT_POST")
        if set(info) - PHOTO_INFO or set(body) - {"post_info", "source_info", "media_type",
                                                  "post_mode"}:
            raise error(400, "invalid_params", "unknown field")
        if utf16(str(info.get("title", ""))) > 90 or \
                utf16(str(info.get("description", ""))) > 4000:
            raise error(400, "invalid_params", "title or description too long")
        level = self._privacy(info)
        images = source.get("photo_images")
        if source.get("source") != "PULL_FROM_URL" or not isinstance(images, list) or \
                not 1 <= len(images) <= 35:
            raise error(400, "invalid_params", "PULL_FROM_URL with 1 to 35 photo_images")
        if source.get("photo_cover_index") not in range(len(images)):
            raise error(400, "invalid_params", "photo_cover_index")
        urls = [self._url(u) for u in images]
        return self.ok({"publish_id": self._new("photo", info, level, None, None, urls)})

    def put(self, request: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        number = request["query"].get("upload_id", ["0"])[0]
        publish = next((p for i, p in enumerate(self.publishes.values(), 1)
                        if str(i) == number and p["kind"] == "file"), None)
        if request["method"] != "PUT" or publish is None:
            return 404, {"error": "no such upload"}, {}
        found = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", request["headers"].get(
            "Content-Range", ""))
        data: bytes = request["body"]
        size, chunk, start = publish["size"], publish["chunk"], publish["received"]
        last = start // chunk == max(size // chunk, 1) - 1
        wanted = size - start if last else chunk
        if found is None or (int(found[1]), int(found[2]), int(found[3])) != (
                start, start + wanted - 1, size) or len(data) != wanted or \
                request["headers"].get("Content-Type") not in (
                    "video/mp4", "video/quicktime", "video/webm"):
            return 400, {"error": "bad chunk"}, {}
        publish["received"] += len(data)
        publish.setdefault("bytes", b"")
        publish["bytes"] += data
        return (201 if publish["received"] == size else 206), None, {}

    def status(self, request: dict[str, Any], body: Any) -> tuple[int, Any, dict[str, str]]:
        publish = self.publishes.get(str(body.get("publish_id")))
        if publish is None:
            raise error(400, "invalid_publish_id", "publish_id not found")
        if publish["kind"] == "file" and publish["received"] < publish["size"]:
            return self.ok({"status": "PROCESSING_UPLOAD",
                            "uploaded_bytes": publish["received"]})
        if publish["failed"]:
            return self.ok({"status": "FAILED", "fail_reason": publish["failed"]})
        publish["reads"] += 1
        if publish["reads"] <= self.processing:
            return self.ok({"status": "PROCESSING_DOWNLOAD"})
        if publish["post"] is None:
            self.next_id += 1
            publish["post"] = str(self.next_id)
            self.posts.append({"id": publish["post"], **publish})
        ids = [] if publish["privacy"] == "SELF_ONLY" else [int(publish["post"])]
        return self.ok({"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": ids})

    def query(self, request: dict[str, Any], body: Any) -> tuple[int, Any, dict[str, str]]:
        if "video.list" not in self.scopes:
            raise error(401, "scope_not_authorized", "video.list")
        fields = request["query"].get("fields", [""])[0].split(",")
        ids = (body.get("filters") or {}).get("video_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 20 or fields == [""]:
            raise error(400, "invalid_params", "fields and 1 to 20 video_ids")
        mine = {p["id"] for p in self.posts}
        videos = [{f: ({"id": i, **self.stats.get(i, {})}).get(f) for f in fields
                   if f in ("id", *self.stats.get(i, {}))} for i in ids if i in mine]
        return self.ok({"videos": videos, "cursor": 0, "has_more": False})
