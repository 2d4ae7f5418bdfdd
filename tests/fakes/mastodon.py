"""A strict loopback Mastodon: a real HTTP server on 127.0.0.1 that keeps every status it
accepts and can be told to misbehave.

It enforces the parts of the documented contract cmops relies on
(docs.joinmastodon.org/methods/statuses): a bearer token, a JSON body with ``status`` (at most
500 characters here, counted as Mastodon counts them: see :func:`status_length`) and only known
parameters, ``Idempotency-Key`` honoured (the same key
returns the original status), ``in_reply_to_id`` naming an existing status. Anything else
is a 4xx, as the real server would answer.

Faults, consumed one per ``POST /api/v1/statuses``: ``accept-then-drop`` (creates the status,
then closes the connection without answering), ``lost-key`` (mastodon#21840: creates the
status, then answers 504 as a proxy does when the server is slow, before the key is stored, so
a replay with the same key creates a second status), ``drop``, ``500``/``502``/``503``,
``429-retry-after``, ``429-iso``, ``429-epoch``, ``422``, ``401-echo`` (echoes the request
headers in the error body, as some servers do), ``slow:SECONDS``.

Reading the account back (docs.joinmastodon.org/methods/accounts/#verify_credentials and
#statuses): ``GET /api/v1/accounts/verify_credentials`` (account ``ACCOUNT``; needs the
``profile``, ``read`` or ``read:accounts`` scope) and ``GET /api/v1/accounts/:id/statuses``
(``read`` or ``read:statuses``): newest first; ``max_id`` (older than), ``since_id`` (newer
than), ``min_id`` (the ones just after it); ``limit`` 20 by default and cut to 40, as Mastodon
does; ``exclude_replies`` keeps replies to the account itself; a ``Link`` header when the page
is full. A token lacking a scope gets Mastodon's 403; ``read_faults`` (``500``/``503``, or
``drop``) are consumed one per read of the statuses. ``statuses`` holds what the server stores,
``content`` being the text as sent; the API answers it rendered to HTML the way Mastodon does
(:mod:`tests.fakes.mastodon_html`), with ``created_at`` from ``clock``.

Deleting (docs.joinmastodon.org/methods/statuses/#delete): ``DELETE /api/v1/statuses/:id``
with the bearer token and the ``write:statuses`` scope (else Mastodon's 403) removes the
status and answers it with its source ``text``; a status that "is not owned by you or does
not exist" (any id not among ``statuses``: another account's, or one deleted already) is the
documented 404 ``Record not found``. ``delete_faults`` (``500``/``503``, ``429``,
``401-echo``) are consumed one per delete.

Editing (docs.joinmastodon.org/methods/statuses/#edit): ``PUT /api/v1/statuses/:id`` with the
``write:statuses`` scope, JSON of the documented parameters only (``status``, ``spoiler_text``,
``sensitive``, ``language``, ``media_ids``, ``media_attributes``, ``poll``). It applies them as
Mastodon's ``UpdateStatusService`` does when ``StatusesController#update`` passes every
parameter, given or not: ``media_ids`` absent or empty removes the attachments, an id that is
not the account's (or unknown) is dropped silently, more than 4 is a 422; ``spoiler_text``
absent clears the content warning and ``sensitive`` absent clears the flag (unless a warning is
given); ``language`` absent keeps the status's. An edit that changes nothing answers the status
unchanged (no new version). A status of another account, or gone, is the 404 ``Record not
found``. Every applied edit is in ``edits`` (id, new text). ``edit_faults`` (``500``/``503``,
``429`` with ``Retry-After: 5``, ``401-echo``, ``drop``, ``slow:SECONDS``) are consumed one per
PUT. ``GET /api/v1/statuses/:id`` (``read``/``read:statuses``) answers a status (another
account's public one too), ``GET /api/v1/statuses/:id/source`` the account's own status's
``{id, text, spoiler_text}`` (docs.joinmastodon.org/methods/statuses/#source; another's: 404).

Alt texts on edit (``media_attributes[][]``, same page, since 4.1.0): a list of objects with
``id`` and any of ``description``, ``focus``, ``thumbnail`` (other keys or shapes: 422 here,
stricter than Rails, which drops them). As ``UpdateStatusService#update_media_attachments!``
does, each is applied only to an attachment among the PUT's own ``media_ids`` (so a PUT
without ``media_ids`` applies none) and an id not among them (another status's media, an
unknown id) is skipped silently; a description over ``description_limit`` (``MediaAttachment``
validates 1,500) is the 422 ``Validation failed: Description is too long (maximum is 1500
characters)`` and nothing of the edit is applied; a description changed makes the edit a
change even with the same text (``significantly_changed?``). A PUT without
``media_attributes`` leaves every description as it is. Every description applied is in
``described`` (media id, description).

Replies to others: :meth:`FakeMastodon.foreign` adds another account's status, on this server
or (given ``remote``) on another one, which this server knows only once ``GET /api/v2/search``
(docs.joinmastodon.org/methods/search/#v2; ``read`` or ``read:search``) with ``resolve=true``
and its URL as ``q`` has fetched it; without ``resolve`` a URL finds only what is known. A
status gone (``forget``) is found by no search. ``in_reply_to_id`` must name a status this
server knows, else the 404 of ``statuses#create`` ("The post you are trying to reply to does
not appear to exist.").
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from tests.fakes.loopback import multipart, reply_json, running, serve
from tests.fakes.mastodon_html import to_html

_URL = re.compile(r"https?://[^\s<>\"]*[^\s<>\".,:;!?)'\]]")
_REMOTE_MENTION = re.compile(r"(@\w+)@[\w.-]+\w")


def status_length(text: str) -> int:
    """Characters as Mastodon's StatusLengthValidator counts them: every http(s) URL as 23,
    whatever its length, and a remote mention as its local part (``@user@host`` as
    ``@user``)."""
    return len(_REMOTE_MENTION.sub(r"\1", _URL.sub("x" * 23, text)))


KNOWN = {"status", "visibility", "language", "in_reply_to_id", "media_ids", "spoiler_text",
         "sensitive", "poll", "scheduled_at"}
EDITABLE = {"status", "spoiler_text", "sensitive", "language", "media_ids", "media_attributes",
            "poll"}
MEDIA_ATTRIBUTES = {"id", "description", "focus", "thumbnail"}
SEARCH_QUERY = {"q", "type", "resolve", "following", "account_id", "exclude_unreviewed",
                "max_id", "min_id", "limit", "offset"}
NOT_FOUND = {"error": "Record not found"}
NO_PARENT = {"error": "The post you are trying to reply to does not appear to exist."}
ACCOUNT = "1"
STATUSES_QUERY = {"max_id", "since_id", "min_id", "limit", "only_media", "exclude_replies",
                  "exclude_reblogs", "pinned", "tagged"}
MEDIA_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "video/mp4",
               "video/quicktime", "video/webm"}
"""Among the types Mastodon's MediaAttachment accepts (platforms.md 3.4)."""
SCOPES = {"write:statuses", "write:media", "read:statuses", "profile"}
OUT_OF_SCOPE = {"error": "This action is outside the authorized scopes"}


class FakeMastodon:
    def __init__(self, token: str = "test-token") -> None:
        self.token = token
        self.statuses: list[dict[str, Any]] = []
        self.keys: dict[str, dict[str, Any]] = {}
        self.faults: list[str] = []
        self.latency = 0.0
        """Seconds every request takes before it is handled (a distant server)."""
        self.max_chars = 500
        """The instance's limit, announced by /api/v2/instance and enforced."""
        self.media: dict[str, dict[str, Any]] = {}
        self.processing_polls = 0
        """How many GET /api/v1/media/:id answer 206 (still processing) before 200."""
        self.video_polls = 1
        """The same for a video, which Mastodon always processes after answering (202):
        docs.joinmastodon.org/methods/media/#v2 ("202 Accepted: MediaAttachment was created
        successfully, but the full-size file is still processing")."""
        self.failing: set[str] = set()
        """Media ids whose processing fails: GET answers 422 ``check_processing``'s error."""
        self.image_size_limit, self.video_size_limit = 16_777_216, 103_809_024
        """/api/v2/instance ``configuration.media_attachments`` defaults (platforms.md 3.4)."""
        self.requests: list[dict[str, Any]] = []
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        """The server's clock, which stamps ``created_at``."""
        self.scopes = set(SCOPES)
        """What the token was granted."""
        self.read_faults: list[str] = []
        self.reads: list[str] = []
        """The path and query of every GET, in order."""
        self.delete_faults: list[str] = []
        self.deleted: list[str] = []
        """Ids of the statuses deleted, in order."""
        self.edit_faults: list[str] = []
        self.edits: list[tuple[str, str]] = []
        """(status id, new text) of every edit applied, in order."""
        self.described: list[tuple[str, str | None]] = []
        """(media id, description) of every description an edit changed, in order."""
        self.description_limit = 1500
        """``MediaAttachment``'s ``validates :description, length: { maximum: 1_500 }``."""
        self.others: list[dict[str, Any]] = []
        """Statuses of other accounts (:meth:`foreign`)."""
        self.lock = threading.Lock()

        self.server = serve(self.handle, get=self.handle_get)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def texts(self) -> list[str]:
        return [s["content"] for s in self.statuses]

    def foreign(self, text: str, *, user: str = "lea", remote: str | None = None
                ) -> dict[str, Any]:
        """Another account's public status: on this server (``url`` here) when ``remote``
        is None, else the one at the URL ``remote`` on another server, unknown here until a
        search with ``resolve=true`` fetches it."""
        with self.lock:
            sid = str(7000 + len(self.others))
            status: dict[str, Any] = {
                "id": sid, "content": text, "in_reply_to_id": None, "language": "fr",
                "created_at": self.clock(), "media_ids": [], "spoiler_text": "",
                "sensitive": False, "url": remote or f"{self.url}/@{user}/{sid}",
                "acct": f"{user}@{urlsplit(remote).hostname}" if remote else user,
                "known": remote is None}
            self.others.append(status)
        return status

    def forget(self, status: dict[str, Any]) -> None:
        """``status`` (another account's) deleted by its author."""
        with self.lock:
            self.others.remove(status)

    def _known(self, status_id: object) -> dict[str, Any] | None:
        return next((s for s in self.statuses + self.others
                     if s["id"] == status_id and s.get("known", True)), None)

    def _reply(self, h: BaseHTTPRequestHandler, status: int, body: Any,
               headers: dict[str, str] | None = None) -> None:
        reply_json(h, status, body, headers)

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        if self.latency:
            time.sleep(self.latency)
        length = int(h.headers.get("Content-Length", "0"))
        raw = h.rfile.read(length)
        with self.lock:
            self.requests.append({"path": h.path, "headers": dict(h.headers), "body": raw})
            fault = self.faults.pop(0) if self.faults and h.path == "/api/v1/statuses" else ""
        if fault == "drop":
            h.close_connection = True
            return
        if fault.startswith("slow:"):
            time.sleep(float(fault.split(":")[1]))
        if fault in ("500", "502", "503"):
            return self._reply(h, int(fault), {"error": "Something went wrong"})
        if fault == "429-retry-after":
            return self._reply(h, 429, {"error": "Too many requests"}, {"Retry-After": "2"})
        if fault == "429-iso":
            reset = (datetime.now(UTC) + timedelta(seconds=3)).isoformat().replace("+00:00", "Z")
            return self._reply(h, 429, {"error": "Too many requests"},
                               {"X-RateLimit-Reset": reset, "X-RateLimit-Remaining": "0"})
        if fault == "429-epoch":
            return self._reply(h, 429, {"error": "Too many requests"},
                               {"x-rate-limit-reset": str(int(time.time()) + 4)})
        if fault == "401-echo":
            return self._reply(h, 401, {"error": f"bad token; you sent {dict(h.headers)}"})
        if h.headers.get("Authorization") != f"Bearer {self.token}":
            return self._reply(h, 401, {"error": "The access token is invalid"})
        if h.command == "DELETE":
            return self._delete(h)
        if h.command == "PUT":
            return self._edit(h, raw)
        if h.path == "/api/v2/media":
            return self._upload(h, raw)
        if h.path != "/api/v1/statuses":
            return self._reply(h, 404, {"error": "Record not found"})
        if not h.headers.get("Content-Type", "").startswith("application/json"):
            return self._reply(h, 415, {"error": "expected JSON"})
        try:
            body = json.loads(raw)
        except ValueError:
            return self._reply(h, 400, {"error": "invalid JSON"})
        unknown = set(body) - KNOWN
        if unknown:
            return self._reply(h, 422, {"error": f"unknown parameters: {sorted(unknown)}"})
        if "scheduled_at" in body:  # cmops must never use server-side scheduling
            return self._reply(h, 422, {"error": "scheduled_at is not allowed by this fake"})
        text = body.get("status")
        if not isinstance(text, str) or not text.strip():
            return self._reply(h, 422, {"error": "Validation failed: Text can't be blank"})
        if status_length(text) > self.max_chars or fault == "422":
            return self._reply(h, 422, {"error": "Validation failed: Text character limit "
                                                 f"of {self.max_chars} exceeded"})
        for media_id in body.get("media_ids") or []:
            item = self.media.get(str(media_id))
            if item is None:
                return self._reply(h, 422, {"error": "Validation failed: media not found"})
            if item["url"] is None:
                return self._reply(h, 422, {"error": "Cannot attach files that have not "
                                                     "finished processing. Try again in a "
                                                     "moment!"})
        key = h.headers.get("Idempotency-Key")
        with self.lock:
            if key and key in self.keys:
                status = self.keys[key]
            else:
                reply = body.get("in_reply_to_id")
                if reply is not None and self._known(reply) is None:
                    return self._reply(h, 404, NO_PARENT)
                spoiler = body.get("spoiler_text") or ""
                status = {"id": str(100 + len(self.statuses)), "content": text,
                          "spoiler_text": spoiler,
                          "sensitive": bool(body.get("sensitive")) or bool(spoiler),
                          "in_reply_to_id": reply, "language": body.get("language"),
                          "idempotency_key": key, "created_at": self.clock(),
                          "media_ids": [str(m) for m in body.get("media_ids") or []]}
                status["url"] = f"{self.url}/@brand/{status['id']}"
                self.statuses.append(status)
                if key and fault != "lost-key":
                    self.keys[key] = status
        if fault == "accept-then-drop":
            h.close_connection = True
            return
        if fault == "lost-key":
            return self._reply(h, 504, {"error": "Gateway Timeout"})
        self._reply(h, 200, self.render(status))

    def _delete(self, h: BaseHTTPRequestHandler) -> None:
        found = re.fullmatch(r"/api/v1/statuses/(\w+)", urlsplit(h.path).path)
        if found is None:
            return self._reply(h, 404, {"error": "Record not found"})
        if not self.scopes & {"write", "write:statuses"}:
            return self._reply(h, 403, OUT_OF_SCOPE)
        with self.lock:
            fault = self.delete_faults.pop(0) if self.delete_faults else ""
            if fault == "429":
                return self._reply(h, 429, {"error": "Too many requests"},
                                   {"Retry-After": "5"})
            if fault == "401-echo":
                return self._reply(h, 401, {"error": f"bad token; you sent {dict(h.headers)}"})
            if fault:
                return self._reply(h, int(fault), {"error": "Something went wrong"})
            status = next((s for s in self.statuses if s["id"] == found[1]), None)
            if status is None:  # every status here is the account's own
                return self._reply(h, 404, {"error": "Record not found"})
            self.statuses.remove(status)
            self.deleted.append(status["id"])
        self._reply(h, 200, {**self.render(status), "text": status["content"]})

    def render(self, status: dict[str, Any]) -> dict[str, Any]:
        """A stored status as the API answers it (docs.joinmastodon.org/entities/Status)."""
        created: datetime = status["created_at"]
        return {"id": status["id"], "uri": status["url"], "url": status["url"],
                "created_at": created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.")
                + f"{created.microsecond // 1000:03d}Z",
                "in_reply_to_id": status["in_reply_to_id"],
                "in_reply_to_account_id": ACCOUNT if status["in_reply_to_id"] else None,
                "visibility": "public", "language": status["language"],
                "sensitive": status.get("sensitive", False),
                "spoiler_text": status.get("spoiler_text", ""),
                "content": to_html(status["content"], self.url),
                "edited_at": status.get("edited_at"), "reblog": None,
                "account": {"id": "2", "acct": status["acct"]} if "acct" in status
                else {"id": ACCOUNT, "acct": "brand"},
                "media_attachments": [self._public(self.media[m]) for m in status["media_ids"]]}

    def _edit(self, h: BaseHTTPRequestHandler, raw: bytes) -> None:
        """``PUT /api/v1/statuses/:id``, as ``UpdateStatusService`` applies it."""
        found = re.fullmatch(r"/api/v1/statuses/(\w+)", urlsplit(h.path).path)
        if found is None:
            return self._reply(h, 404, NOT_FOUND)
        if not self.scopes & {"write", "write:statuses"}:
            return self._reply(h, 403, OUT_OF_SCOPE)
        with self.lock:
            fault = self.edit_faults.pop(0) if self.edit_faults else ""
        if fault == "drop":
            h.close_connection = True
            return
        if fault.startswith("slow:"):
            time.sleep(float(fault.split(":")[1]))
        elif fault == "429":
            return self._reply(h, 429, {"error": "Too many requests"}, {"Retry-After": "5"})
        elif fault == "401-echo":
            return self._reply(h, 401, {"error": f"bad token; you sent {dict(h.headers)}"})
        elif fault:
            return self._reply(h, int(fault), {"error": "Something went wrong"})
        if not h.headers.get("Content-Type", "").startswith("application/json"):
            return self._reply(h, 415, {"error": "expected JSON"})
        try:
            body = json.loads(raw)
        except ValueError:
            return self._reply(h, 400, {"error": "invalid JSON"})
        if not isinstance(body, dict) or set(body) - EDITABLE:
            return self._reply(h, 422, {"error": "unknown parameters: "
                                                 f"{sorted(set(body) - EDITABLE)}"})
        attributes = body.get("media_attributes") or []
        if not isinstance(attributes, list) or not all(
                isinstance(a, dict) and "id" in a and not set(a) - MEDIA_ATTRIBUTES
                and isinstance(a.get("description"), str | None) for a in attributes):
            return self._reply(h, 422, {"error": "media_attributes: a list of {id, "
                                                 "description, focus, thumbnail} expected"})
        with self.lock:
            status = next((s for s in self.statuses if s["id"] == found[1]), None)
            if status is None:  # Status.where(account: current_account).find
                return self._reply(h, 404, NOT_FOUND)
            wanted = [str(m) for m in body.get("media_ids") or []]
            if len(wanted) > 4:
                return self._reply(h, 422, {"error": "Validation failed: You cannot attach "
                                                     "more than 4 files."})
            attached = {m for s in self.statuses if s is not status for m in s["media_ids"]}
            media = [m for m in wanted if m in self.media and m not in attached]
            if any(self.media[m]["url"] is None for m in media):
                return self._reply(h, 422, {"error": "Cannot attach files that have not "
                                                     "finished processing. Try again in a "
                                                     "moment!"})
            text = body.get("status") or ""
            if not isinstance(text, str) or (not text.strip() and not media):
                return self._reply(h, 422, {"error": "Validation failed: Text can't be "
                                                     "blank"})
            if status_length(text) > self.max_chars:
                return self._reply(h, 422, {"error": "Validation failed: Text character "
                                                     f"limit of {self.max_chars} exceeded"})
            described = {str(a["id"]): a["description"] for a in attributes
                         if "description" in a and str(a["id"]) in media}
            if any(len(d or "") > self.description_limit for d in described.values()):
                return self._reply(h, 422, {"error": "Validation failed: Description is too "
                                                     "long (maximum is "
                                                     f"{self.description_limit} characters)"})
            spoiler = body.get("spoiler_text") or ""
            after = {"content": text, "media_ids": media, "spoiler_text": spoiler,
                     "sensitive": bool(body.get("sensitive")) or bool(spoiler),
                     "language": body.get("language") or status["language"]}
            changed = {m: d for m, d in described.items()
                       if self.media[m]["description"] != d}
            for media_id, description in changed.items():
                self.media[media_id]["description"] = description
                self.described.append((media_id, description))
            if changed or any(status[k] != v for k, v in after.items()):
                status.update(after, edited_at=self.clock().isoformat())
                self.edits.append((status["id"], text))
            answer = self.render(status)
        self._reply(h, 200, answer)

    def _read_status(self, h: BaseHTTPRequestHandler, path: str) -> None:
        """``GET /api/v1/statuses/:id`` and ``.../source``."""
        if not self.scopes & {"read", "read:statuses"}:
            return self._reply(h, 403, OUT_OF_SCOPE)
        found = re.fullmatch(r"/api/v1/statuses/(\w+)(/source)?", path)
        with self.lock:
            status = self._known(found[1]) if found else None
            if status is None or (found and found[2] and "acct" in status):
                return self._reply(h, 404, NOT_FOUND)
            if found and found[2]:
                return self._reply(h, 200, {"id": status["id"], "text": status["content"],
                                            "spoiler_text": status["spoiler_text"]})
            answer = self.render(status)
        self._reply(h, 200, answer)

    def _search(self, h: BaseHTTPRequestHandler, query: dict[str, list[str]]) -> None:
        """``GET /api/v2/search`` by a status's URL."""
        if not self.scopes & {"read", "read:search"}:
            return self._reply(h, 403, OUT_OF_SCOPE)
        if set(query) - SEARCH_QUERY or any(len(v) > 1 for v in query.values()):
            return self._reply(h, 422, {"error": f"unexpected parameters {sorted(query)}"})
        one = {k: v[0] for k, v in query.items()}
        if one.get("type", "statuses") != "statuses" or not one.get("q"):
            return self._reply(h, 422, {"error": "this fake searches statuses by URL only"})
        with self.lock:
            found = [s for s in self.statuses + self.others if s["url"] == one["q"]]
            if one.get("resolve") == "true":
                for status in found:
                    status["known"] = True
            statuses = [self.render(s) for s in found if s.get("known", True)]
        self._reply(h, 200, {"accounts": [], "statuses": statuses, "hashtags": []})

    def _upload(self, h: BaseHTTPRequestHandler, raw: bytes) -> None:
        """``POST /api/v2/media`` (docs.joinmastodon.org/methods/media/#v2): an image is
        answered 200 once processed (202 here while ``processing_polls`` says so), a video
        always 202 with ``url`` null; a file over the instance's size limit is a 422."""
        kind = h.headers.get("Content-Type", "")
        if not kind.startswith("multipart/form-data") or b'name="file"' not in raw:
            return self._reply(h, 422, {"error": "Validation failed: File can't be blank"})
        fields = multipart(kind, raw)
        _, mime, data = fields["file"]
        video = mime.startswith("video/")
        if mime not in MEDIA_TYPES:
            return self._reply(h, 422, {"error": "Validation failed: File content type is "
                                                 "invalid, File is invalid"})
        limit = self.video_size_limit if video else self.image_size_limit
        if len(data) > limit:
            size = f"{limit // 1_048_576} MB" if limit % 1_048_576 == 0 else f"{limit} bytes"
            return self._reply(h, 422, {"error": "Validation failed: File file size must be "
                                                 f"less than {size}"})
        description = fields["description"][2].decode() if "description" in fields else None
        with self.lock:
            media_id = str(900 + len(self.media))
            waits = self.video_polls if video else self.processing_polls
            self.media[media_id] = {"id": media_id, "type": "video" if video else "image",
                                    "description": description, "polls": 0, "waits": waits,
                                    "url": None if video or waits else
                                    f"{self.url}/media/{media_id}.png"}
            item = self._public(self.media[media_id])
        self._reply(h, 202 if item["url"] is None else 200, item)

    @staticmethod
    def _public(item: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in item.items() if k not in ("polls", "waits")}

    def handle_get(self, h: BaseHTTPRequestHandler) -> None:
        if self.latency:
            time.sleep(self.latency)
        with self.lock:
            self.reads.append(h.path)
        if h.headers.get("Authorization") != f"Bearer {self.token}" and \
                h.path != "/api/v2/instance":
            return self._reply(h, 401, {"error": "The access token is invalid"})
        path, query = urlsplit(h.path).path, parse_qs(urlsplit(h.path).query)
        if path == "/api/v1/accounts/verify_credentials":
            if not self.scopes & {"profile", "read", "read:accounts"}:
                return self._reply(h, 403, OUT_OF_SCOPE)
            return self._reply(h, 200, {"id": ACCOUNT, "username": "brand", "acct": "brand",
                                        "statuses_count": len(self.statuses)})
        if path.startswith("/api/v1/accounts/") and path.endswith("/statuses"):
            return self._account_statuses(h, path.split("/")[4], query)
        if path.startswith("/api/v1/statuses/"):
            return self._read_status(h, path)
        if path == "/api/v2/search":
            return self._search(h, query)
        if h.path == "/api/v2/instance":
            return self._reply(h, 200, {"domain": "fake.test", "configuration": {
                "statuses": {"max_characters": self.max_chars}}})
        if h.path.startswith("/api/v1/media/"):
            with self.lock:
                item = self.media.get(h.path.rsplit("/", 1)[1])
                if item is None:
                    return self._reply(h, 404, {"error": "Record not found"})
                item["polls"] += 1
                if item["id"] in self.failing:  # Api::V1::MediaController#check_processing
                    return self._reply(h, 422, {"error": "Error processing thumbnail for "
                                                         "uploaded media"})
                if item["url"] is None and item["polls"] > item["waits"]:
                    item["url"] = f"{self.url}/media/{item['id']}." + (
                        "mp4" if item["type"] == "video" else "png")
                answer = self._public(item)
            return self._reply(h, 200 if answer["url"] else 206, answer)
        self._reply(h, 404, {"error": "Record not found"})

    def _account_statuses(self, h: BaseHTTPRequestHandler, account: str,
                          query: dict[str, list[str]]) -> None:
        if not self.scopes & {"read", "read:statuses"}:
            return self._reply(h, 403, OUT_OF_SCOPE)
        with self.lock:
            fault = self.read_faults.pop(0) if self.read_faults else ""
        if fault == "drop":
            h.close_connection = True
            return
        if fault:
            return self._reply(h, int(fault), {"error": "Something went wrong"})
        if account != ACCOUNT:
            return self._reply(h, 404, {"error": "Record not found"})
        if set(query) - STATUSES_QUERY or any(len(v) > 1 for v in query.values()):
            return self._reply(h, 422, {"error": f"unexpected parameters {sorted(query)}"})
        one = {k: v[0] for k, v in query.items()}
        limit = min(abs(int(one.get("limit", "20"))), 40) or 20  # Mastodon's limit_param

        def bound(name: str) -> int | None:
            return int(one[name]) if name in one else None

        before, since, after = bound("max_id"), bound("since_id"), bound("min_id")
        with self.lock:
            chosen = [s for s in self.statuses
                      if (before is None or int(s["id"]) < before)
                      and (since is None or int(s["id"]) > since)
                      and (after is None or int(s["id"]) > after)]
            # every status here replies to the account itself, which exclude_replies keeps
            page = chosen[:limit] if after is not None else chosen[-limit:]
            body = [self.render(s) for s in reversed(page)]
        headers = {}
        if len(page) == limit:
            headers["Link"] = (f'<{self.url}/api/v1/accounts/{ACCOUNT}/statuses?limit={limit}'
                               f'&max_id={body[-1]["id"]}>; rel="next"')
        self._reply(h, 200, body, headers)

    @contextmanager
    def running(self) -> Iterator[Self]:
        with running(self.server):
            yield self
