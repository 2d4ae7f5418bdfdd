"""A strict loopback Pinterest API v5 on 127.0.0.1 for the Pinterest adapter, with the S3-like
upload host of video pins, after the v5 spec (github.com/pinterest/api-description,
v5/openapi.json 5.23) and developers.pinterest.com/docs/api-features/creating-boards-and-pins.

- ``POST /v5/oauth/token`` (form, ``grant_type=refresh_token``, HTTP Basic
  ``client_id:client_secret``; developers.pinterest.com/docs/getting-started/
  set-up-authentication-and-authorization): a new access token (and a renewed refresh token,
  the continuous kind; earlier ones stay valid); each access token issued so far stops
  working after ``expire()``.
- Every other ``/v5`` call needs ``Authorization: Bearer <a live token>``, else 401 with
  Pinterest's error ``{"code", "message"}``.
- ``POST /v5/pins`` (JSON, the ``PinCreate`` fields only): ``board_id`` of a known board,
  ``title`` ≤ 100, ``description`` ≤ 500 (the product specs' figure; the OpenAPI schema says
  800), ``alt_text`` ≤ 500, ``link`` ≤ 2048; ``media_source`` one of ``image_base64``
  (``content_type`` image/jpeg or image/png, ``data`` base64 of that type), ``image_url``,
  ``multiple_image_base64`` (2 to 5 items), ``video_id`` (a media whose upload
  ``succeeded``; ``cover_image_url``, ``cover_image_data`` + ``cover_image_content_type`` or
  ``cover_image_key_frame_time``). Answers 201 with the Pin.
- ``POST /v5/media`` (``{"media_type": "video"}``) registers an upload: ``media_id``,
  ``upload_url`` (``/s3-upload/`` on this server) and ``upload_parameters``. The upload host
  takes a multipart POST with every upload parameter and the ``file`` last, refuses any
  ``Authorization`` header (it is S3, signed by the form), and answers 204.
  ``GET /v5/media/{id}``: ``registered`` before the upload, ``processing`` for
  ``media_polls`` reads, then ``succeeded`` (or ``failed`` when ``media_fails``).
- ``GET /v5/boards/{id}/pins``: ``page_size`` 1-250 (25 by default), ``bookmark``; newest
  first (VERIFY: the order is not documented).
- ``GET /v5/pins/{id}/analytics``: ``start_date`` at most 90 days back, ``end_date`` at most
  90 days after it, ``metric_types`` among the documented ones; answered as
  ``{"all": {"summary_metrics", "lifetime_metrics", "daily_metrics"}}`` (the key naming the
  app type: VERIFY its case). ``GET /v5/user_account``: ``follower_count``.
  ``DELETE /v5/pins/{id}``: 204, 404 when unknown.

Faults, consumed one per publishing POST (pins, media, the upload): ``drop``,
``accept-then-drop``, ``slow:SECONDS``, ``500``/``503``, ``429`` (no Retry-After: Pinterest
documents none, VERIFY), ``status:NNN``, ``echo`` (a 400 repeating the Authorization header).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from tests.fakes.loopback import Loopback, Refusal, multipart

PIN_FIELDS = {"alt_text", "board_id", "board_section_id", "description", "dominant_color",
              "link", "media_source", "parent_pin_id", "sponsor_id", "title"}
TYPES = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG"}
METRICS = {"IMPRESSION", "OUTBOUND_CLICK", "PIN_CLICK", "SAVE", "SAVE_RATE", "TOTAL_COMMENTS",
           "TOTAL_REACTIONS", "USER_FOLLOW", "PROFILE_VISIT", "VIDEO_MRC_VIEW",
           "VIDEO_10S_VIEW", "QUARTILE_95_PERCENT_VIEW", "VIDEO_V50_WATCH_TIME", "VIDEO_START",
           "VIDEO_AVG_WATCH_TIME"}
COVER_KEYS = {"cover_image_url", "cover_image_data", "cover_image_content_type",
              "cover_image_key_frame_time"}


def _bad(message: str, code: int = 1) -> Refusal:
    return Refusal(400, {"code": code, "message": message})


class FakePinterest(Loopback):
    publish_paths = (r"/v5/pins", r"/v5/media", r"/s3-upload/")

    def __init__(self) -> None:
        super().__init__()
        self.board = "549755885175"
        self.boards = {self.board}
        self.client = ("1484362", "app-secret-canary-31")
        self.refresh_token = "pina_refresh-canary-0412"
        self.refresh_tokens = {self.refresh_token}
        """Every refresh token issued stays valid (whether Pinterest revokes the one a
        refresh renews is not documented: VERIFY), unless :attr:`retire` says otherwise."""
        self.retire = False
        """True: a refresh retires the token it was sent, as TikTok's does (the stricter
        reading, which cmops's kept token must survive)."""
        self.token = "pina_access-canary-7788"
        self.live = {self.token}
        self.issued = 0
        self.pins: list[dict[str, Any]] = []
        self.media: dict[str, dict[str, Any]] = {}
        self.media_polls = 1
        self.media_fails = False
        self.followers = 1234
        self.analytics: dict[str, dict[str, Any]] = {}
        self.today = date(2026, 11, 24)
        self.clock = lambda: datetime.now(UTC)

    def expire(self) -> None:
        """Every access token issued so far stops working (as after its 30 days)."""
        self.live.clear()

    def fault(self, fault: str, request: dict[str, Any]) -> None:
        if fault in ("500", "503"):
            raise Refusal(int(fault), {"code": 0, "message": "Internal error"})
        if fault == "429":
            raise Refusal(429, {"code": 8, "message": "Rate limit exceeded"})
        if fault.startswith("status:"):
            raise Refusal(int(fault[7:]), {"code": 3, "message": "Refused"})
        if fault == "echo":
            raise _bad(f"Invalid request from {request['headers'].get('Authorization')}")

    def route(self, request: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        method, path = request["method"], request["path"]
        if path == "/s3-upload/" and method == "POST":
            return self._upload(request)
        if path == "/v5/oauth/token" and method == "POST":
            return 200, self._token(request), {}
        if request["headers"].get("Authorization", "").removeprefix("Bearer ") not in self.live:
            raise Refusal(401, {"code": 2, "message": "Authentication failed."})
        if path == "/v5/pins" and method == "POST":
            return 201, self._pin(self._json(request)), {}
        if path == "/v5/media" and method == "POST":
            return 201, self._register(self._json(request)), {}
        if (found := re.fullmatch(r"/v5/media/(\d+)", path)) and method == "GET":
            return 200, self._media_status(found[1]), {}
        if (found := re.fullmatch(r"/v5/boards/(\d+)/pins", path)) and method == "GET":
            return 200, self._board_pins(found[1], request["query"]), {}
        if (found := re.fullmatch(r"/v5/pins/(\d+)/analytics", path)) and method == "GET":
            return 200, self._analytics(found[1], request["query"]), {}
        if (found := re.fullmatch(r"/v5/pins/(\d+)", path)) and method == "DELETE":
            before = len(self.pins)
            self.pins = [p for p in self.pins if p["id"] != found[1]]
            if len(self.pins) == before:
                raise Refusal(404, {"code": 50, "message": "Pin not found."})
            return 204, None, {}
        if path == "/v5/user_account" and method == "GET":
            return 200, {"username": "brand", "follower_count": self.followers}, {}
        raise Refusal(404, {"code": 404, "message": f"no route {method} {path}"})

    # -- OAuth --------------------------------------------------------------------------------
    def _token(self, request: dict[str, Any]) -> dict[str, Any]:
        basic = request["headers"].get("Authorization", "")
        expected = base64.b64encode(":".join(self.client).encode()).decode()
        if basic != f"Basic {expected}":
            raise Refusal(401, {"code": 2, "message": "Authentication failed."})
        form = {k: v[0] for k, v in parse_qs(request["body"].decode()).items()}
        if form.get("grant_type") != "refresh_token" or set(form) - {"grant_type",
                                                                     "refresh_token", "scope"}:
            raise _bad("Invalid grant_type")
        if form.get("refresh_token") not in self.refresh_tokens:
            raise _bad("Invalid refresh token")
        self.issued += 1
        token = f"pina_access-issued-{self.issued}-canary"
        self.live.add(token)
        if self.retire:
            self.refresh_tokens.discard(form["refresh_token"])
        self.refresh_token = f"pina_refresh-renewed-{self.issued}-canary"
        self.refresh_tokens.add(self.refresh_token)
        return {"access_token": token, "refresh_token": self.refresh_token,
                "response_type": "refresh_token", "token_type": "bearer",
                "expires_in": 2592000, "refresh_token_expires_in": 5184000,
                "refresh_token_expires_at": 1_800_000_000,
                "scope": "boards:read,pins:read,pins:write"}

    # -- pins ---------------------------------------------------------------------------------
    def _json(self, request: dict[str, Any]) -> Any:
        if not request["headers"].get("Content-Type", "").startswith("application/json"):
            raise _bad("Content-Type must be application/json")
        try:
            return json.loads(request["body"])
        except ValueError:
            raise _bad("Invalid JSON") from None

    def _pin(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or set(body) - PIN_FIELDS:
            raise _bad(f"Unknown fields: {sorted(set(body) - PIN_FIELDS)}")
        if body.get("board_id") not in self.boards:
            raise Refusal(404, {"code": 40, "message": "Board not found."})
        for name, most in (("title", 100), ("description", 500), ("alt_text", 500),
                           ("link", 2048)):
            value = body.get(name)
            if value is not None and (not isinstance(value, str) or len(value) > most):
                raise _bad(f"{name} must be a string of at most {most} characters")
        media = self._source(body.get("media_source"))
        pin = {"id": str(1_000_000 + len(self.pins) + 1), "board_id": body["board_id"],
               "created_at": self.clock().strftime("%Y-%m-%dT%H:%M:%S"),
               "title": body.get("title"), "description": body.get("description"),
               "link": body.get("link"), "alt_text": body.get("alt_text"), "media": media,
               "source": body["media_source"]}
        self.pins.append(pin)
        return {k: v for k, v in pin.items() if k != "source"}

    def _image(self, item: Any, where: str) -> None:
        kind, data = item.get("content_type"), item.get("data")
        if kind not in TYPES or not isinstance(data, str) or \
                not re.fullmatch(r"[a-zA-Z0-9+/=]+", data):
            raise _bad(f"{where}: content_type image/jpeg or image/png and base64 data")
        try:
            raw = base64.b64decode(data, validate=True)
        except binascii.Error:
            raise _bad(f"{where}: data is not base64") from None
        if not raw.startswith(TYPES[kind]):
            raise _bad(f"{where}: the image is not {kind}")

    def _source(self, source: Any) -> dict[str, Any]:
        kind = source.get("source_type") if isinstance(source, dict) else None
        if kind == "image_base64":
            self._image(source, "media_source")
            return {"media_type": "image"}
        if kind == "image_url":
            if not isinstance(source.get("url"), str):
                raise _bad("media_source.url is required")
            return {"media_type": "image"}
        if kind == "multiple_image_base64":
            items = source.get("items")
            if not isinstance(items, list) or not 2 <= len(items) <= 5:
                raise _bad("media_source.items: 2 to 5 images")
            for n, item in enumerate(items):
                if not isinstance(item, dict) or set(item) - {"content_type", "data", "title",
                                                              "description", "link"}:
                    raise _bad(f"media_source.items[{n}]: unknown fields")
                self._image(item, f"media_source.items[{n}]")
            return {"media_type": "multiple_images", "count": len(items)}
        if kind == "video_id":
            if set(source) - COVER_KEYS - {"source_type", "media_id", "is_standard"}:
                raise _bad("media_source: unknown fields")
            media = self.media.get(str(source.get("media_id")))
            if media is None or media["status"] != "succeeded":
                raise _bad("The video has not been uploaded and processed", code=30)
            if "cover_image_data" in source:
                self._image({"content_type": source.get("cover_image_content_type"),
                             "data": source["cover_image_data"]}, "cover_image")
            return {"media_type": "video", "media_id": source["media_id"]}
        raise _bad(f"media_source.source_type {kind!r} is not supported")

    # -- video uploads ------------------------------------------------------------------------
    def _register(self, body: Any) -> dict[str, Any]:
        if body != {"media_type": "video"}:
            raise _bad("media_type must be video")
        media_id = str(5_000_000 + len(self.media) + 1)
        params = {"x-amz-date": "20261124T090000Z", "x-amz-signature": "sig-" + media_id,
                  "x-amz-security-token": "s3-session", "x-amz-algorithm": "AWS4-HMAC-SHA256",
                  "key": f"uploads/17/4d/be/2:video:{media_id}", "policy": "eyJ9",
                  "x-amz-credential": "ASIA/20261124/us-east-1/s3/aws4_request",
                  "Content-Type": "multipart/form-data"}
        self.media[media_id] = {"status": "registered", "params": params, "polls": 0,
                                "bytes": b""}
        return {"media_id": media_id, "media_type": "video",
                "upload_url": f"{self.url}/s3-upload/", "upload_parameters": params}

    def _upload(self, request: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        if "Authorization" in request["headers"]:
            raise _bad("Only one auth mechanism allowed")
        fields = multipart(request["headers"].get("Content-Type", ""), request["body"])
        key = fields.get("key", (None, "", b""))[2].decode()
        media = next((m for m in self.media.values() if m["params"]["key"] == key), None)
        if media is None or list(fields)[-1] != "file" or any(
                fields.get(k, (None, "", b""))[2].decode() != v
                for k, v in media["params"].items()):
            raise Refusal(403, {"code": "AccessDenied", "message": "Invalid policy"})
        media["bytes"], media["status"] = fields["file"][2], "processing"
        return 204, None, {}

    def _media_status(self, media_id: str) -> dict[str, Any]:
        media = self.media.get(media_id)
        if media is None:
            raise Refusal(404, {"code": 50, "message": "Media not found."})
        if media["status"] == "processing":
            media["polls"] += 1
            if media["polls"] > self.media_polls:
                media["status"] = "failed" if self.media_fails else "succeeded"
        return {"media_id": media_id, "media_type": "video", "status": media["status"]}

    # -- reading ------------------------------------------------------------------------------
    def _board_pins(self, board: str, query: dict[str, list[str]]) -> dict[str, Any]:
        if board not in self.boards:
            raise Refusal(404, {"code": 40, "message": "Board not found."})
        size = int(query.get("page_size", ["25"])[0])
        if not 1 <= size <= 250:
            raise _bad("page_size must be 1 to 250")
        start = int(query.get("bookmark", ["0"])[0])
        listed = [p for p in reversed(self.pins) if p["board_id"] == board]
        page = [{k: v for k, v in p.items() if k != "source"}
                for p in listed[start:start + size]]
        more = start + size < len(listed)
        return {"items": page, "bookmark": str(start + size) if more else None}

    def _analytics(self, pin: str, query: dict[str, list[str]]) -> dict[str, Any]:
        if not any(p["id"] == pin for p in self.pins):
            raise Refusal(404, {"code": 50, "message": "Pin not found."})
        try:
            start = date.fromisoformat(query["start_date"][0])
            end = date.fromisoformat(query["end_date"][0])
            metrics = query["metric_types"][0].split(",")
        except (KeyError, ValueError):
            raise _bad("start_date, end_date and metric_types are required") from None
        if start < self.today - timedelta(days=90) or end - start > timedelta(days=90) \
                or end < start:
            raise _bad("start_date cannot be more than 90 days back")
        if set(metrics) - METRICS:
            raise _bad(f"Invalid metric_types: {sorted(set(metrics) - METRICS)}")
        known = self.analytics.get(pin, {})
        summary = {m: known[m] for m in metrics if m in known and not m.startswith("TOTAL")}
        lifetime = {m: known[m] for m in metrics if m in known and m.startswith("TOTAL")}
        return {"all": {"summary_metrics": summary, "lifetime_metrics": lifetime,
                        "daily_metrics": []}}
