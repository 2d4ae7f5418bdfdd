"""A strict loopback Google My Business API v4 (local posts) on 127.0.0.1, with Google's
OAuth token endpoint (:class:`tests.fakes.google_oauth.TokenEndpoint`) at ``/token``.

What it holds the client to, from developers.google.com/my-business/reference/rest/v4/
accounts.locations.localPosts (the LocalPost resource, CallToAction, ActionType,
LocalPostEvent, TimeInterval, TimeOfDay, LocalPostOffer) and its methods ``create``,
``list``, ``get``, ``patch`` and ``delete``:

- every call carries ``Authorization: Bearer`` with a valid access token (the channel's
  ``token``, or one the token endpoint issued), else 401 ``UNAUTHENTICATED``;
- ``POST /v4/accounts/{a}/locations/{l}/localPosts`` takes a JSON LocalPost for this
  account and location only (another is 403 ``PERMISSION_DENIED``); unknown fields are 400
  ("Invalid JSON payload received. Unknown name", as Google's JSON transcoding answers);
  output-only fields (``name``, ``state``, ``createTime``, ``searchUrl``...) refused;
  ``topicType`` ``STANDARD``, ``EVENT`` or ``OFFER`` (``ALERT`` is Google's own);
  ``summary`` at most 1,500 characters (the limit Business Profile's post editor shows:
  VERIFY for the API); ``event`` (``title`` and ``schedule`` with ``startDate`` and
  ``endDate`` as ``{year, month, day}``, optional ``startTime``/``endTime`` as
  ``{hours, minutes, seconds, nanos}``, not ending before it starts) required for
  ``EVENT`` and ``OFFER`` and refused on ``STANDARD``; ``offer`` (``couponCode``,
  ``redeemOnlineUrl``, ``termsConditions``) on ``OFFER`` only; ``callToAction`` with an
  ``actionType`` of ``BOOK``, ``ORDER``, ``SHOP``, ``LEARN_MORE``, ``SIGN_UP``, ``CALL``
  (``GET_OFFER`` deprecated), a ``url`` for all but ``CALL``, which "should be left unset",
  and refused on an offer, where Google ignores it (cmops must not send what is dropped);
  ``media`` at most one item ``{mediaFormat: PHOTO, sourceUrl}`` ("sourceUrl is the only
  supported data field for a LocalPost MediaItem") whose URL lies under ``public_base``.
  Answered with the post: ``name`` ``accounts/{a}/locations/{l}/localPosts/{id}``,
  ``state`` ``LIVE`` (``REJECTED`` when ``reject_next``), ``createTime`` from ``clock``,
  ``searchUrl``.
- ``GET .../localPosts`` with ``pageSize`` (default 20, at most 100) and ``pageToken``
  (``nextPageToken`` while more remain), newest first (the order is not documented);
- ``GET``/``PATCH`` (``updateMask`` naming the fields given) /``DELETE`` on a post's name;
  an unknown name is 404 ``NOT_FOUND``.

Faults, consumed one per create (``POST`` of localPosts): ``drop``, ``accept-then-drop``
(the post is made, the answer lost), ``slow:SECONDS``, ``500`` (``INTERNAL``), ``503``
(``UNAVAILABLE``), ``429`` (``RESOURCE_EXHAUSTED``, no Retry-After), ``status:NNN``,
``echo`` (a 400 repeating the request's headers, token included).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from tests.fakes.google_oauth import TokenEndpoint
from tests.fakes.loopback import Loopback, Refusal

ACCOUNT, LOCATION = "112233445566778899", "998877665544332211"
ACCESS_TOKEN = "ya29.gbp-canary-access-5f4e3d2c1b"
TOPICS = {"STANDARD", "EVENT", "OFFER"}
ACTIONS = {"BOOK", "ORDER", "SHOP", "LEARN_MORE", "SIGN_UP", "CALL"}
FIELDS = {"languageCode", "summary", "callToAction", "event", "media", "topicType", "offer",
          "alertType"}
OUTPUT_ONLY = {"name", "createTime", "updateTime", "state", "searchUrl"}
STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
          404: "NOT_FOUND", 409: "ALREADY_EXISTS", 422: "FAILED_PRECONDITION",
          429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}


def google_error(status: int, message: str) -> Refusal:
    """Google's error shape (cloud.google.com/apis/design/errors)."""
    return Refusal(status, {"error": {"code": status, "message": message,
                                      "status": STATUS.get(status, "UNKNOWN")}})


class FakeGoogleBusiness(Loopback, TokenEndpoint):
    publish_paths = (r"/v4/accounts/\d+/locations/\d+/localPosts",)

    def __init__(self, public_base: str = "https://media.example.org/") -> None:
        Loopback.__init__(self)
        TokenEndpoint.__init__(self)
        self.access_token = ACCESS_TOKEN
        self.account, self.location, self.public_base = ACCOUNT, LOCATION, public_base
        self.parent = f"accounts/{ACCOUNT}/locations/{LOCATION}"
        self.posts: list[dict[str, Any]] = []
        """Local posts as Google keeps them, oldest first."""
        self.next_id = 1_000
        self.reject_next = False
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def fault(self, fault: str, request: dict[str, Any]) -> None:
        if fault in ("500", "503", "429") or fault.startswith("status:"):
            status = int(fault.removeprefix("status:"))
            raise google_error(status, f"injected {fault}")
        if fault == "echo":
            raise google_error(400, f"Invalid request: {request['headers']}")

    def route(self, request: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        path, method = request["path"], request["method"]
        if path == "/token":
            return self.token(request)
        auth = request["headers"].get("Authorization")
        if auth != f"Bearer {self.access_token}" and not self.valid(auth):
            raise google_error(401, "Request had invalid authentication credentials. "
                                    "Expected OAuth 2 access token.")
        posts = f"/v4/{self.parent}/localPosts"
        if path.startswith("/v4/accounts/") and not path.startswith(f"/v4/{self.parent}"):
            raise google_error(403, "The caller does not have permission")
        if path == posts and method == "POST":
            return 200, self.create(request), {}
        if path == posts and method == "GET":
            return 200, self.list(request), {}
        if path.startswith(posts + "/"):
            return self.one(path.removeprefix("/v4/"), request)
        raise google_error(404, f"{method} {path} not found")

    def _json(self, request: dict[str, Any]) -> dict[str, Any]:
        if not request["headers"].get("Content-Type", "").startswith("application/json"):
            raise google_error(400, "Invalid JSON payload: a JSON body is required")
        try:
            body = json.loads(request["body"])
        except ValueError:
            raise google_error(400, "Invalid JSON payload received.") from None
        if not isinstance(body, dict):
            raise google_error(400, "Invalid JSON payload received.")
        return body

    def create(self, request: dict[str, Any]) -> dict[str, Any]:
        body = self._json(request)
        for key in body:
            if key in OUTPUT_ONLY:
                raise google_error(400, f"{key} is output only")
            if key not in FIELDS:
                raise google_error(400, "Invalid JSON payload received. Unknown name "
                                        f"\"{key}\" at 'local_post': Cannot find field.")
        self.check(body)
        self.next_id += 1
        created = self.clock().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        post = {**body, "name": f"{self.parent}/localPosts/{self.next_id}",
                "state": "REJECTED" if self.reject_next else "LIVE",
                "createTime": created, "updateTime": created,
                "searchUrl": f"https://local.google.com/place?id=1&use=posts&lpsid="
                             f"{self.next_id}"}
        self.reject_next = False
        self.posts.append(post)
        return post

    def check(self, body: dict[str, Any]) -> None:
        topic = body.get("topicType")
        if topic not in TOPICS:
            raise google_error(400, f"Invalid value at 'local_post.topic_type' ({topic!r})")
        summary = body.get("summary", "")
        if not isinstance(summary, str) or len(summary) > 1500:
            raise google_error(400, "Request contains an invalid argument: summary")
        if not summary and "media" not in body and topic == "STANDARD":
            raise google_error(400, "Request contains an invalid argument: empty post")
        event = body.get("event")
        if topic in ("EVENT", "OFFER"):
            self._event(event)
        elif event is not None:
            raise google_error(400, "event is only for EVENT and OFFER posts")
        offer = body.get("offer")
        if offer is not None and (topic != "OFFER" or not isinstance(offer, dict) or set(
                offer) - {"couponCode", "redeemOnlineUrl", "termsConditions"}):
            raise google_error(400, "Invalid offer (OFFER posts only: couponCode, "
                                    "redeemOnlineUrl, termsConditions)")
        button = body.get("callToAction")
        if button is not None:
            if topic == "OFFER":
                raise google_error(400, "callToAction is ignored for OFFER: not taken here")
            if not isinstance(button, dict) or button.get("actionType") not in ACTIONS or \
                    set(button) - {"actionType", "url"}:
                raise google_error(400, f"Invalid callToAction {button!r}")
            url = button.get("url")
            if (button["actionType"] == "CALL") != (url is None) or (
                    url is not None and not str(url).startswith(("https://", "http://"))):
                raise google_error(400, f"Invalid callToAction.url for {button['actionType']}")
        media = body.get("media")
        if media is not None:
            if not isinstance(media, list) or len(media) != 1:
                raise google_error(400, "one photo per local post")
            item = media[0]
            if not isinstance(item, dict) or set(item) != {"mediaFormat", "sourceUrl"} or \
                    item["mediaFormat"] != "PHOTO" or \
                    not str(item["sourceUrl"]).startswith(self.public_base):
                raise google_error(400, f"Invalid media item {item!r}")

    def _event(self, event: Any) -> None:
        def day(value: Any) -> tuple[int, int, int]:
            if not isinstance(value, dict) or set(value) != {"year", "month", "day"}:
                raise google_error(400, f"Invalid date {value!r}")
            return value["year"], value["month"], value["day"]

        def clock(value: Any) -> tuple[int, int]:
            if value is None:
                return (0, 0)
            if not isinstance(value, dict) or set(value) - {"hours", "minutes", "seconds",
                                                            "nanos"} or \
                    not 0 <= value.get("hours", 0) <= 23 or \
                    not 0 <= value.get("minutes", 0) <= 59:
                raise google_error(400, f"Invalid time {value!r}")
            return value.get("hours", 0), value.get("minutes", 0)

        if not isinstance(event, dict) or set(event) != {"title", "schedule"} or \
                not str(event["title"]).strip():
            raise google_error(400, "event with a title and a schedule is required")
        schedule = event["schedule"]
        if not isinstance(schedule, dict) or set(schedule) - {"startDate", "startTime",
                                                              "endDate", "endTime"}:
            raise google_error(400, f"Invalid schedule {schedule!r}")
        start = (day(schedule.get("startDate")), clock(schedule.get("startTime")))
        end = (day(schedule.get("endDate")), clock(schedule.get("endTime")))
        if end < start:
            raise google_error(400, "event end is before its start")

    def list(self, request: dict[str, Any]) -> dict[str, Any]:
        query = {k: v[-1] for k, v in request["query"].items()}
        if set(query) - {"pageSize", "pageToken"}:
            raise google_error(400, f"Unknown parameter in {sorted(query)}")
        size = int(query.get("pageSize", "20"))
        if not 1 <= size <= 100:
            raise google_error(400, "pageSize must be between 1 and 100")
        start = int(query.get("pageToken", "0"))
        newest = list(reversed(self.posts))
        page: dict[str, Any] = {"localPosts": newest[start:start + size]}
        if start + size < len(newest):
            page["nextPageToken"] = str(start + size)
        return page

    def one(self, name: str, request: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        found = next((p for p in self.posts if p["name"] == name), None)
        if found is None:
            raise google_error(404, "Requested entity was not found.")
        if request["method"] == "GET":
            return 200, found, {}
        if request["method"] == "DELETE":
            self.posts.remove(found)
            return 200, {}, {}
        if request["method"] == "PATCH":
            body = self._json(request)
            mask = {k: v[-1] for k, v in request["query"].items()}.get("updateMask", "")
            if not mask or set(mask.split(",")) != set(body):
                raise google_error(400, "updateMask must name the fields given")
            found.update(body)
            return 200, found, {}
        raise google_error(404, "method not found")
