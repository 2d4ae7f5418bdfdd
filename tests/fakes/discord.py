"""A strict loopback Discord webhook: a real HTTP server on 127.0.0.1 that executes webhooks
as the documented contract says (discord-api-docs ``resources/webhook``, platforms.md §9).

``POST /api/webhooks/{id}/{token}`` takes JSON or ``multipart/form-data`` (``payload_json`` and
``files[n]``, each described by an ``attachments`` entry with the same ``id``); known fields
only (Discord itself ignores unknown ones: refusing them catches misspellings); ``content`` at
most 2000 characters; something to send. With ``?wait=true`` it answers 200 and the message,
without it 204 and no body. Errors have Discord's shape ``{"message", "code"}``: an unknown
webhook is a 404 (10015), a wrong token a 401 (50027), a bad body a 400 (50035 or 50006).
Files: each at most ``file_limit`` (10 MiB, "the default limit", developers/reference.mdx
"Uploading Files"), the whole request at most 25 MiB (resources/message.mdx); beyond either,
413 with code 40005 "Request entity too large" (topics/opcodes-and-status-codes.mdx; the 413
as discord-api-docs#6058 reports it for webhooks).
``GET`` of the webhook URL returns the webhook object (with the guild and channel ids).
``DELETE /api/webhooks/{id}/{token}/messages/{message.id}`` ("Delete Webhook Message",
discord.com/developers/docs/resources/webhook) answers 204 and takes a message this webhook
sent off ``messages``; one it did not send, or already deleted, is a 404 with code 10008
"Unknown Message" (topics/opcodes-and-status-codes).

``PATCH`` of the same address ("Edit Webhook Message",
discord.com/developers/docs/resources/webhook#edit-webhook-message) takes JSON of ``content``
(at most 2000), ``embeds``, ``allowed_mentions``, ``components``, ``attachments``, ``flags``,
``poll`` and answers the edited message; as documented, without ``allowed_mentions`` the new
content's mentions are parsed with the default allowances (``mention_everyone`` set by an
``@everyone`` in it), and the files stay unless ``attachments`` lists the ones to keep. ``GET``
of it ("Get Webhook Message") answers the message. A message this webhook did not send
(:meth:`FakeDiscord.foreign`) or one deleted is the 404 10008 for both (that a message of
another sender answers 10008 and not 403 is our reading: the docs say only "a
previously-sent webhook message from the same token"). Applied edits are in ``edits``.

Faults, consumed one per execute, edit or delete: ``drop``, ``accept-then-drop``,
``500``/``502``/``503``, ``429`` (``retry_after`` 1.25 s in the body, ``Retry-After: 2``),
``status:NNN``, ``echo`` (a 401 that repeats the request path, token included),
``slow:SECONDS``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from tests.fakes.loopback import multipart, reply_json, running, serve

KNOWN = {"content", "username", "avatar_url", "tts", "embeds", "allowed_mentions",
         "components", "attachments", "flags", "thread_name", "applied_tags", "poll"}
EDITABLE = {"content", "embeds", "allowed_mentions", "components", "attachments", "flags",
            "poll"}


class DiscordError(Exception):
    def __init__(self, status: int, code: int, message: str,
                 errors: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors


class FakeDiscord:
    def __init__(self, webhook_id: str = "112233445566778899",
                 token: str = "whk-Tok3n_secret-value-0123456789") -> None:
        self.webhook_id, self.token = webhook_id, token
        self.guild_id, self.channel_id = "900000000000000001", "900000000000000002"
        self.messages: list[dict[str, Any]] = []
        self.deleted: list[dict[str, Any]] = []
        self.edits: list[tuple[str, str]] = []
        self.others: list[dict[str, Any]] = []
        """Messages of the channel this webhook did not send."""
        self.files: dict[str, bytes] = {}
        self.file_limit, self.request_limit = 10 * 1024 * 1024, 25 * 1024 * 1024
        self.faults: list[str] = []
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()

        self.server = serve(self.handle)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.url = f"{self.base}/api/webhooks/{webhook_id}/{token}"

    def texts(self) -> list[str]:
        return [m["content"] for m in self.messages]

    def foreign(self, text: str) -> dict[str, Any]:
        """A message of the channel sent by someone else (a member, another webhook)."""
        message = {"id": str(1_200_000_000_000_000_000 + len(self.others)), "content": text,
                   "channel_id": self.channel_id, "attachments": []}
        self.others.append(message)
        return message

    def _reply(self, h: BaseHTTPRequestHandler, status: int, body: Any = None,
               headers: dict[str, str] | None = None) -> None:
        reply_json(h, status, body, headers)

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        raw = h.rfile.read(int(h.headers.get("Content-Length", "0")))
        url = urlsplit(h.path)
        with self.lock:
            self.requests.append({"method": h.command, "path": url.path,
                                  "query": parse_qs(url.query), "headers": dict(h.headers),
                                  "body": raw})
            fault = self.faults.pop(0) if self.faults and h.command in (
                "POST", "DELETE", "PATCH") else ""
        if fault == "drop":
            h.close_connection = True
            return
        if fault.startswith("slow:"):
            time.sleep(float(fault.split(":")[1]))
        try:
            if fault in ("500", "502", "503"):
                raise DiscordError(int(fault), 0, "500: Internal Server Error")
            if fault.startswith("status:"):
                raise DiscordError(int(fault[7:]), 0, f"injected {fault}")
            if fault == "echo":
                raise DiscordError(401, 50027, f"Invalid Webhook Token for {h.path}")
            if fault == "429":
                return self._reply(h, 429, {"message": "You are being rate limited.",
                                            "retry_after": 1.25, "global": False},
                                   {"Retry-After": "2", "X-RateLimit-Scope": "shared"})
            message = self._route(h, url.path, parse_qs(url.query), raw)
        except DiscordError as exc:
            body: dict[str, Any] = {"message": exc.message, "code": exc.code}
            if exc.errors:
                body["errors"] = exc.errors
            return self._reply(h, exc.status, body)
        if fault == "accept-then-drop":
            h.close_connection = True
            return
        if message is None:
            return self._reply(h, 204)
        self._reply(h, 200, message)

    def _route(self, h: BaseHTTPRequestHandler, path: str, query: dict[str, list[str]],
               raw: bytes) -> dict[str, Any] | None:
        parts = path.strip("/").split("/")
        if h.command == "DELETE" and len(parts) == 6 and parts[4] == "messages":
            self._delete(parts[2], parts[3], parts[5])
            return None
        if h.command in ("PATCH", "GET") and len(parts) == 6 and parts[4] == "messages":
            found = self._own(parts[2], parts[3], parts[5])
            if h.command == "GET":
                return dict(found)
            return self._edit(h, found, raw)
        if len(parts) != 4 or parts[:2] != ["api", "webhooks"]:
            raise DiscordError(404, 0, "404: Not Found")
        if parts[2] != self.webhook_id:
            raise DiscordError(404, 10015, "Unknown Webhook")
        if parts[3] != self.token:
            raise DiscordError(401, 50027, "Invalid Webhook Token")
        if len(raw) > self.request_limit:
            raise DiscordError(413, 40005, "Request entity too large")
        if h.command == "GET":
            return {"id": self.webhook_id, "type": 1, "guild_id": self.guild_id,
                    "channel_id": self.channel_id, "name": "cmops", "avatar": None,
                    "application_id": None, "token": self.token}
        payload, files = self._payload(h, raw)
        content = payload.get("content")
        if content is not None and (not isinstance(content, str) or len(content) > 2000):
            raise DiscordError(400, 50035, "Invalid Form Body", {"content": {"_errors": [{
                "code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}]}})
        if not content and not payload.get("embeds") and not files:
            raise DiscordError(400, 50006, "Cannot send an empty message")
        with self.lock:
            message = {
                "id": str(1_300_000_000_000_000_000 + len(self.messages) + len(self.deleted)),
                "type": 0,
                "content": content or "", "channel_id": self.channel_id,
                "webhook_id": self.webhook_id, "embeds": payload.get("embeds", []),
                "attachments": files, "mentions": [], "mention_everyone": False,
                "allowed_mentions": payload.get("allowed_mentions"),
                "timestamp": "2026-11-24T09:00:00.000000+00:00"}
            self.messages.append(message)
        return message if query.get("wait") == ["true"] else None

    def _own(self, webhook: str, token: str, message_id: str) -> dict[str, Any]:
        """A message this webhook sent; a 404 10008 for any other."""
        if webhook != self.webhook_id:
            raise DiscordError(404, 10015, "Unknown Webhook")
        if token != self.token:
            raise DiscordError(401, 50027, "Invalid Webhook Token")
        with self.lock:
            found = next((m for m in self.messages if m["id"] == message_id), None)
        if found is None:
            raise DiscordError(404, 10008, "Unknown Message")
        return found

    def _edit(self, h: BaseHTTPRequestHandler, message: dict[str, Any], raw: bytes
              ) -> dict[str, Any]:
        if h.headers.get("Content-Type", "").split(";")[0] != "application/json":
            raise DiscordError(400, 50035, "Invalid Form Body: this fake edits with JSON only")
        try:
            payload = json.loads(raw)
        except ValueError:
            raise DiscordError(400, 50109, "The request body contains invalid JSON.") from None
        if not isinstance(payload, dict) or set(payload) - EDITABLE:
            raise DiscordError(400, 50035, "Invalid Form Body: unknown fields "
                               f"{sorted(set(payload) - EDITABLE)}")
        content = payload.get("content", message["content"])
        if content is not None and (not isinstance(content, str) or len(content) > 2000):
            raise DiscordError(400, 50035, "Invalid Form Body", {"content": {"_errors": [{
                "code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}]}})
        with self.lock:
            files = message["attachments"]
            if "attachments" in payload:
                keep = {str(a.get("id")) for a in payload["attachments"] or []}
                files = [f for f in files if f["id"] in keep]
            if not content and not files and not message.get("embeds"):
                raise DiscordError(400, 50006, "Cannot send an empty message")
            allowed = payload.get("allowed_mentions")
            parse = ["everyone", "users", "roles"] if allowed is None else \
                allowed.get("parse") or []
            message.update(content=content or "", attachments=files,
                           allowed_mentions=allowed,
                           mention_everyone="@everyone" in (content or "")
                           and "everyone" in parse,
                           edited_timestamp="2026-11-24T10:00:00.000000+00:00")
            self.edits.append((message["id"], content or ""))
            return dict(message)

    def _delete(self, webhook: str, token: str, message_id: str) -> None:
        found = self._own(webhook, token, message_id)
        with self.lock:
            self.messages.remove(found)
            self.deleted.append(found)

    def _payload(self, h: BaseHTTPRequestHandler, raw: bytes
                 ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        kind = h.headers.get("Content-Type", "")
        files: list[dict[str, Any]] = []
        try:
            if kind.split(";")[0] == "application/json":
                payload = json.loads(raw)
            elif kind.startswith("multipart/form-data"):
                fields = multipart(kind, raw)
                payload = json.loads(fields.pop("payload_json", (None, "", b"{}"))[2])
                described = {a.get("id"): a for a in payload.get("attachments", [])}
                for name, (filename, mime, data) in fields.items():
                    if not name.startswith("files[") or filename is None:
                        raise ValueError(f"unexpected form field {name}")
                    if len(data) > self.file_limit:
                        raise DiscordError(413, 40005, "Request entity too large")
                    index = int(name.removeprefix("files[").removesuffix("]"))
                    meta = described.get(index, {})
                    if len(meta.get("description", "")) > 1024:
                        raise ValueError("description is over 1024 characters")
                    files.append({"id": str(index), "filename": meta.get("filename", filename),
                                  "description": meta.get("description"),
                                  "content_type": mime, "size": len(data)})
                    self.files[filename] = data
                if set(described) - {int(f["id"]) for f in files}:
                    raise ValueError("an attachment names no file")
            else:
                raise ValueError(f"unsupported content type {kind!r}")
        except (ValueError, AttributeError, TypeError) as exc:
            raise DiscordError(400, 50035, f"Invalid Form Body: {exc}") from None
        if not isinstance(payload, dict):
            raise DiscordError(400, 50035, "Invalid Form Body")
        if set(payload) - KNOWN:
            raise DiscordError(400, 50035, "Invalid Form Body: unknown fields "
                               f"{sorted(set(payload) - KNOWN)}")
        return payload, files

    @contextmanager
    def running(self) -> Iterator[Self]:
        with running(self.server):
            yield self
