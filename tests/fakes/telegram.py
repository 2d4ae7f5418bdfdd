"""A strict loopback Telegram Bot API: a real HTTP server on 127.0.0.1 answering
``/bot<token>/<method>`` the way the Bot API does (platforms.md §10).

``sendMessage`` takes JSON; ``sendPhoto``, ``sendVideo`` and ``sendMediaGroup`` take
``multipart/form-data`` (files attached by name, albums of 2-10 naming them as
``attach://<name>``). Known parameters only (the real API ignores unknown ones: refusing them
catches misspellings), the configured chat only, text 1-4096 and captions up to 1024 UTF-16
units, replies to messages that exist. Files within "10 MB max size for photos, 50 MB for
other files" (core.telegram.org/bots/api#sending-files, read as decimal MB): the docs give no
error for a larger one; a 413 ``Request Entity Too Large`` for an upload over 50 MB is what
clients report, and a photo over 10 MB is answered here with a 400 (its wording unknown, made
up). Every answer is ``{"ok": true, "result": …}`` or
``{"ok": false, "error_code", "description"}``; a 429 carries ``parameters.retry_after``.

``deleteMessage`` (JSON ``chat_id``, ``message_id``; core.telegram.org/bots/api#deletemessage):
``True`` for a message of the chat sent less than 48 hours ago by the fake's ``clock``
("A message can only be deleted if it was sent less than 48 hours ago"); older, "Bad Request:
message can't be deleted"; unknown or already deleted, "Bad Request: message to delete not
found" (both 400s, in the wording clients report: the docs give none).

Editing (core.telegram.org/bots/api#updating-messages): ``editMessageText`` (JSON
``chat_id``, ``message_id``, ``text`` 1-4096) changes a text message's text and
``editMessageCaption`` (``caption`` up to 1024) a media message's caption, the media kept;
each answers the edited Message. The errors, in the wording clients report (the docs give
none): "Bad Request: message to edit not found" (unknown or deleted), "Bad Request: message is
not modified: …" (the same text again), "Bad Request: there is no text in the message to
edit" (editMessageText on a media message, defstudio/telegraph#267), "Bad Request: there is no
caption in the message to edit" (the reverse; wording unverified, made up), "Bad Request:
message can't be edited" (a message the bot did not send: :meth:`FakeTelegram.foreign`).
Applied edits are in ``edits`` (message id, new text). ``getChat`` (JSON ``chat_id``;
core.telegram.org/bots/api#getchat) answers the chat with its ``username``.

Faults, consumed one per ``send*``, ``edit*`` or ``deleteMessage`` call: ``drop``,
``accept-then-drop``, ``500``/``502``/``503``, ``429`` (retry after 7 s), ``status:NNN``,
``echo`` (a 400 whose description repeats the request path, token included),
``slow:SECONDS``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any, Self

from tests.fakes.loopback import multipart, reply_json, running, serve

COMMON = {"chat_id", "reply_parameters", "disable_notification", "protect_content",
          "message_thread_id", "business_connection_id", "reply_markup", "message_effect_id",
          "allow_paid_broadcast"}
PARAMS = {
    "sendMessage": COMMON | {"text", "parse_mode", "entities", "link_preview_options"},
    "sendPhoto": COMMON | {"photo", "caption", "parse_mode", "caption_entities",
                           "show_caption_above_media", "has_spoiler"},
    "sendVideo": COMMON | {"video", "caption", "parse_mode", "caption_entities", "duration",
                           "width", "height", "supports_streaming", "has_spoiler"},
    "sendMediaGroup": COMMON | {"media"},
    "deleteMessage": {"chat_id", "message_id"},
    "editMessageText": {"business_connection_id", "chat_id", "message_id", "inline_message_id",
                        "text", "parse_mode", "entities", "link_preview_options",
                        "reply_markup"},
    "editMessageCaption": {"business_connection_id", "chat_id", "message_id",
                           "inline_message_id", "caption", "parse_mode", "caption_entities",
                           "show_caption_above_media", "reply_markup"},
    "getChat": {"chat_id"},
}
JSON_METHODS = {"sendMessage", "deleteMessage", "editMessageText", "editMessageCaption",
                "getChat"}
DELETE_WINDOW = 48 * 3600


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class BotError(Exception):
    def __init__(self, status: int, description: str,
                 parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters


class FakeTelegram:
    def __init__(self, token: str = "7012345678:AAH-s3cret_T0ken-abcdefghijklmnopqrs",
                 username: str = "cmops_news", chat_id: int = -1001234567890) -> None:
        self.token, self.username, self.chat_id = token, username, chat_id
        self.messages: list[dict[str, Any]] = []
        self.deleted: list[dict[str, Any]] = []
        self.edits: list[tuple[int, str]] = []
        self.sent_at: dict[int, float] = {}
        self.clock: Callable[[], float] = time.time
        """Stamps each message when sent, and judges the 48 hours of ``deleteMessage``."""
        self.max_photo, self.max_file = 10_000_000, 50_000_000
        self.faults: list[str] = []
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()

        self.server = serve(self.handle)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def texts(self) -> list[str]:
        return [m.get("text", m.get("caption", "")) for m in self.messages]

    def foreign(self, text: str) -> dict[str, Any]:
        """A message of the chat the bot did not send (posted by a human admin)."""
        with self.lock:
            message_id = 500 + len(self.messages) + len(self.deleted)
            message = {"message_id": message_id,
                       "chat": {"id": self.chat_id, "username": self.username,
                                "type": "channel"}, "date": 1795597200, "text": text,
                       "foreign": True}
            self.sent_at[message_id] = self.clock()
            self.messages.append(message)
        return message

    def _reply(self, h: BaseHTTPRequestHandler, status: int, body: Any) -> None:
        reply_json(h, status, body)

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        raw = h.rfile.read(int(h.headers.get("Content-Length", "0")))
        _, bot, method = h.path.split("?")[0].split("/", 2) if h.path.count("/") >= 2 \
            else ("", "", "")
        with self.lock:
            self.requests.append({"method": method, "path": h.path, "headers": dict(h.headers),
                                  "body": raw})
            fault = self.faults.pop(0) if self.faults and (
                method.startswith(("send", "edit")) or method == "deleteMessage") else ""
        if fault == "drop":
            h.close_connection = True
            return
        if fault.startswith("slow:"):
            time.sleep(float(fault.split(":")[1]))
        try:
            if fault in ("500", "502", "503"):
                raise BotError(int(fault), "Internal Server Error")
            if fault.startswith("status:"):
                raise BotError(int(fault[7:]), f"Injected: {fault}")
            if fault == "echo":
                raise BotError(400, f"Bad Request: cannot handle {h.path}")
            if fault == "429":
                raise BotError(429, "Too Many Requests: retry after 7", {"retry_after": 7})
            if bot != f"bot{self.token}":
                raise BotError(401, "Unauthorized")
            if method not in PARAMS:
                raise BotError(404, "Not Found")
            params = self._params(h, method, raw)
            for value in params.values():
                if isinstance(value, bytes) and len(value) > self.max_file:
                    raise BotError(413, "Request Entity Too Large")
            result = self._delete(params) if method == "deleteMessage" else \
                self._edit(method, params) if method.startswith("edit") else \
                {"id": self.chat_id, "type": "channel", "title": "cmops news",
                 "username": self.username} if method == "getChat" else \
                self._send(method, params)
        except BotError as exc:
            body: dict[str, Any] = {"ok": False, "error_code": exc.status,
                                    "description": exc.description}
            if exc.parameters:
                body["parameters"] = exc.parameters
            return self._reply(h, exc.status, body)
        if fault == "accept-then-drop":
            h.close_connection = True
            return
        self._reply(h, 200, {"ok": True, "result": result})

    def _params(self, h: BaseHTTPRequestHandler, method: str, raw: bytes) -> dict[str, Any]:
        kind = h.headers.get("Content-Type", "")
        try:
            if method in JSON_METHODS and kind.split(";")[0] == "application/json":
                params = json.loads(raw)
            elif method not in JSON_METHODS and kind.startswith("multipart/form-data"):
                fields = multipart(kind, raw)
                params = {k: (v[2] if v[0] else v[2].decode()) for k, v in fields.items()}
                for key in ("reply_parameters", "media"):
                    if key in params:
                        params[key] = json.loads(params[key])
            else:
                raise ValueError
        except ValueError:
            raise BotError(400, "Bad Request: unsupported request encoding") from None
        unknown = {k for k in params if not isinstance(params[k], bytes)} - PARAMS[method]
        if unknown:
            raise BotError(400, f"Bad Request: unknown parameters {sorted(unknown)}")
        if str(params.get("chat_id")) not in (f"@{self.username}", str(self.chat_id)):
            raise BotError(400, "Bad Request: chat not found")
        return dict(params)

    def _send(self, method: str, params: dict[str, Any]) -> Any:
        reply = params.get("reply_parameters")
        if reply is not None and not any(m["message_id"] == reply.get("message_id")
                                         for m in self.messages):
            raise BotError(400, "Bad Request: message to be replied not found")
        base: dict[str, Any] = {"chat": {"id": self.chat_id, "title": "cmops news",
                                         "username": self.username, "type": "channel"},
                                "date": 1795597200}
        if reply is not None:
            base["reply_to_message"] = {"message_id": reply["message_id"]}
        if method == "sendMessage":
            text = params.get("text")
            if not isinstance(text, str) or not text.strip():
                raise BotError(400, "Bad Request: message text is empty")
            if utf16(text) > 4096:
                raise BotError(400, "Bad Request: message is too long")
            items = [{**base, "text": text}]
            if "link_preview_options" in params:
                items[0]["link_preview_options"] = params["link_preview_options"]
        elif method == "sendMediaGroup":
            media = params.get("media")
            if not isinstance(media, list) or not 2 <= len(media) <= 10:
                raise BotError(400, "Bad Request: wrong number of media in the album")
            items = [self._media(base, m["type"], params.get(m["media"].removeprefix(
                "attach://")), m.get("caption")) for m in media]
        else:
            kind = "photo" if method == "sendPhoto" else "video"
            items = [self._media(base, kind, params.get(kind), params.get("caption"))]
        with self.lock:
            for item in items:
                item["message_id"] = 500 + len(self.messages) + len(self.deleted)
                self.sent_at[item["message_id"]] = self.clock()
                self.messages.append(item)
        return items if method == "sendMediaGroup" else items[0]

    def _delete(self, params: dict[str, Any]) -> bool:
        message_id = params.get("message_id")
        if not isinstance(message_id, int) or isinstance(message_id, bool):
            raise BotError(400, "Bad Request: message identifier is not specified")
        with self.lock:
            found = next((m for m in self.messages if m["message_id"] == message_id), None)
            if found is None:
                raise BotError(400, "Bad Request: message to delete not found")
            if self.clock() - self.sent_at[message_id] >= DELETE_WINDOW:
                raise BotError(400, "Bad Request: message can't be deleted")
            self.messages.remove(found)
            self.deleted.append(found)
        return True

    def _edit(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        message_id = params.get("message_id")
        if not isinstance(message_id, int) or isinstance(message_id, bool):
            raise BotError(400, "Bad Request: message identifier is not specified")
        field = "text" if method == "editMessageText" else "caption"
        new = params.get(field)
        if field == "text" and (not isinstance(new, str) or not new.strip()):
            raise BotError(400, "Bad Request: message text is empty")
        if not isinstance(new, str | None):
            raise BotError(400, f"Bad Request: field \"{field}\" must be of type String")
        with self.lock:
            found = next((m for m in self.messages if m["message_id"] == message_id), None)
            if found is None:
                raise BotError(400, "Bad Request: message to edit not found")
            if found.get("foreign"):
                raise BotError(400, "Bad Request: message can't be edited")
            media = "photo" in found or "video" in found
            if field == "text" and media:
                raise BotError(400, "Bad Request: there is no text in the message to edit")
            if field == "caption" and not media:
                raise BotError(400, "Bad Request: there is no caption in the message to edit")
            limit = 4096 if field == "text" else 1024
            if new is not None and utf16(new) > limit:
                raise BotError(400, "Bad Request: message is too long" if field == "text"
                               else "Bad Request: message caption is too long")
            if found.get(field) == new or (new in (None, "") and field not in found):
                raise BotError(400, "Bad Request: message is not modified: specified new "
                               "message content and reply markup are exactly the same as a "
                               "current content and reply markup of the message")
            if new:
                found[field] = new
            else:
                found.pop(field, None)
            found["edit_date"] = 1795600800
            self.edits.append((message_id, new or ""))
            return dict(found)

    def _media(self, base: dict[str, Any], kind: str, data: Any, caption: Any
               ) -> dict[str, Any]:
        if kind not in ("photo", "video") or not isinstance(data, bytes):
            raise BotError(400, f"Bad Request: there is no {kind} in the request")
        if kind == "photo" and len(data) > self.max_photo:
            raise BotError(400, "Bad Request: photo is over 10 MB")
        if caption is not None and utf16(caption) > 1024:
            raise BotError(400, "Bad Request: message caption is too long")
        item = {**base, kind: {"file_id": f"file-{len(data)}", "file_size": len(data)}}
        if caption is not None:
            item["caption"] = caption
        return item

    @contextmanager
    def running(self) -> Iterator[Self]:
        with running(self.server):
            yield self
