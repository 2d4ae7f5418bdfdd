"""Telegram, through the Bot API: a channel (or group) message per part, replies as threads.

Setup: talk to @BotFather, ``/newbot``, and keep the token it gives; add the bot to the channel
as an administrator allowed to post. ``chat_id`` is the channel's ``@username`` or its numeric
id (``-100…``)::

    telegram:
      network: telegram
      chat_id: "@our_channel"
      secrets: {token: TELEGRAM_BOT_TOKEN}

Text goes as plain text (no ``parse_mode``, so nothing needs escaping); one image or video goes
with ``sendPhoto``/``sendVideo`` and the text as its caption (1024 characters), several as an
album (``sendMediaGroup``). Telegram has no alt text. The token is part of every URL, so it is
redacted from every message.

Exactly-once: the Bot API takes no idempotency key and cannot list a channel's messages, so an
attempt whose answer was lost goes to a human (``cmops resolve``).

Edits: ``editMessageText``, or ``editMessageCaption`` for a message with media (an album's
caption is on its first message, the one recorded). The Bot API cannot read a message back,
so an edit whose outcome was lost is simply sent again ("message is not modified" counts as
done). A reply (``reply_to: https://t.me/<channel>/<id>``) answers a message of the channel's
own chat only (``reply_parameters``; core.telegram.org/bots/api#replyparameters).
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx

from cmops.adapters.base import (
    CannotTell,
    ChannelContext,
    Edit,
    MediaFile,
    NotConfigured,
    Outgoing,
    Rejected,
    Remote,
    Transient,
    Withdrawal,
    refuse_unsendable,
)
from cmops.adapters.http import client, send
from cmops.replyto import BadReplyUrl
from cmops.replyto import parse as parse_reply_url
from cmops.retry import wait_from_headers
from cmops.text.limits import NETWORKS, NetworkRules


def _kind(media: MediaFile) -> tuple[str, str]:
    mime = mimetypes.guess_type(media.path.name)[0] or "application/octet-stream"
    return ("video" if mime.startswith("video/") else "photo"), mime


class TelegramAdapter:
    network: ClassVar[str] = "telegram"
    reconcile_by: ClassVar[str] = "none"
    rules: ClassVar[NetworkRules] = NETWORKS["telegram"]

    def __init__(self, ctx: ChannelContext) -> None:
        token = ctx.secrets.get("token", "")
        chat = ctx.settings.get("chat_id")
        server = ctx.settings.get("server", "https://api.telegram.org")
        if not token:
            raise NotConfigured(f"channel {ctx.name}: telegram needs secrets: {{token: …}}")
        if not isinstance(chat, str | int) or isinstance(chat, bool) or chat == "":
            raise NotConfigured(f"channel {ctx.name}: telegram needs chat_id: @channel or "
                                "its numeric id")
        if not isinstance(server, str) or not server.startswith(("https://", "http://")):
            raise NotConfigured(f"channel {ctx.name}: telegram server must be an http(s) URL")
        self.redact = ctx.redactor
        self.redact.add(token)
        self.chat = chat
        self.http = client(ctx, f"{server.rstrip('/')}/bot{token}")
        self.username: str | None = chat[1:] if isinstance(chat, str) and \
            chat.startswith("@") else None
        """The chat's public @username (asked with ``getChat`` when chat_id is numeric)."""

    def new_dedupe(self, key: str, part: int, now: datetime) -> str:
        return f"{key}#{part}@{now.isoformat()}"  # recorded for people; Telegram has no use

    def _call(self, method: str, **kwargs: Any) -> Any:
        def call() -> httpx.Response:
            response = self.http.post(f"/{method}", **kwargs)
            if not response.is_success:
                _fail(response, self.redact)
            return response

        body = send(self.redact, call).json()
        if not body.get("ok"):
            raise Rejected(self.redact(f"{method}: {body.get('description') or body}"))
        return body["result"]

    def publish(self, out: Outgoing) -> Remote:
        refuse_unsendable(self.rules, out)
        if out.reply_to and not out.reply_to.id.isdigit():
            raise Rejected(f"cannot reply to {out.reply_to.id!r}: not a Telegram message id")
        reply = {"message_id": int(out.reply_to.id)} if out.reply_to else \
            {"message_id": self._answering(out.reply_url)} if out.reply_url else None
        try:
            return self._send(out, reply)
        except Rejected as exc:
            if out.reply_url and not out.reply_to and \
                    "message to be replied not found" in str(exc).lower():
                raise Rejected(f"cannot answer {out.reply_url}: {exc} (deleted?)",
                               exc.status) from None
            raise

    def _answering(self, url: str) -> int:
        """The id of the message ``url`` names, when it is in this channel's own chat: a
        bot answers there only (``reply_parameters.chat_id`` would reach another chat, but
        only one the bot is in, which cmops does not check: refused)."""
        try:
            target = parse_reply_url("telegram", url)
        except BadReplyUrl as exc:
            raise Rejected(f"cannot answer {url}: {exc}") from None
        if self.username is None:
            # getChat (core.telegram.org/bots/api#getchat): the chat's public username
            found = self._call("getChat", json={"chat_id": self.chat})
            self.username = str(found.get("username") or "") if isinstance(found, dict) \
                else ""
        if not self.username or target.author.lower() != self.username.lower():
            own = f"t.me/{self.username}" if self.username else "a chat without a username"
            raise Rejected(f"cannot answer {url}: it is in t.me/{target.author}, and this "
                           f"channel posts to {own}; a bot answers only messages of its own "
                           "chat")
        return int(target.id)

    def _send(self, out: Outgoing, reply: dict[str, int] | None) -> Remote:
        if not out.media:
            body: dict[str, Any] = {"chat_id": self.chat, "text": out.text}
            if reply:
                body["reply_parameters"] = reply
            if out.link:
                body["link_preview_options"] = {"url": out.link}
            message = self._call("sendMessage", json=body)
            return self._remote(message)
        form = {"chat_id": str(self.chat)}
        if reply:
            form["reply_parameters"] = json.dumps(reply)
        files = {f"file{i}": (m.path.name, m.path.read_bytes(), _kind(m)[1])
                 for i, m in enumerate(out.media)}
        if len(out.media) == 1:
            kind = _kind(out.media[0])[0]
            if out.text:
                form["caption"] = out.text
            files = {kind: files["file0"]}
            message = self._call("sendVideo" if kind == "video" else "sendPhoto",
                                 data=form, files=files)
        else:
            form["media"] = json.dumps([
                {"type": _kind(m)[0], "media": f"attach://file{i}",
                 **({"caption": out.text} if i == 0 and out.text else {})}
                for i, m in enumerate(out.media)])
            message = self._call("sendMediaGroup", data=form, files=files)[0]
        return self._remote(message)

    def _remote(self, message: dict[str, Any]) -> Remote:
        username = (message.get("chat") or {}).get("username")
        if not username and isinstance(self.chat, str) and self.chat.startswith("@"):
            username = self.chat[1:]
        url = f"https://t.me/{username}/{message['message_id']}" if username else None
        return Remote(str(message["message_id"]), url)

    def reconcile(self, out: Outgoing, sent_at: datetime, now: datetime) -> Remote | None:
        raise CannotTell(
            f"a Telegram message sent at {sent_at:%Y-%m-%d %H:%M}Z may have been posted, and "
            "the Bot API cannot look up what a bot sent: check the chat, then run "
            f"cmops resolve {out.post_id} --channel {out.channel} --as published --url … "
            "(or --as retry to send it again)")

    def delete(self, item: Withdrawal) -> None:
        """``deleteMessage`` with ``chat_id`` and ``message_id`` (core.telegram.org/bots/
        api#deletemessage): "A message can only be deleted if it was sent less than 48 hours
        ago"; in a channel the bot needs ``can_post_messages`` for its own messages. A message
        known to be older is refused before asking; Telegram's "message can't be deleted" is
        refused with the reasons it may have (its wording is not documented, so it is
        matched as the Bot API writes it); "message to delete not found": deleted."""
        if not item.remote.id.isdigit():
            raise Rejected(f"cannot delete {item.remote.id!r}: not a Telegram message id")
        by_hand = f"delete message {item.remote.id} of {item.channel} by hand in the chat"
        if item.published_at is not None:
            sent = item.published_at if item.published_at.tzinfo else \
                item.published_at.replace(tzinfo=UTC)  # no zone: read as UTC
            age = datetime.now(UTC) - sent
            if age >= DELETE_WINDOW:
                raise Rejected(f"Telegram lets a bot delete a message only within 48 hours of "
                               f"sending it, and this one was sent {_age(age)} ago: {by_hand}")
        try:
            self._call("deleteMessage", json={"chat_id": self.chat,
                                              "message_id": int(item.remote.id)})
        except Rejected as exc:
            said = str(exc).lower()
            if "message to delete not found" in said:
                return
            if "message can't be deleted" in said:
                raise Rejected(f"Telegram refused to delete it ({exc}): a bot may delete a "
                               "message only within 48 hours of sending it, and in a channel "
                               f"only with the right to post: {by_hand}",
                               status=exc.status) from None
            raise

    def edit(self, item: Edit) -> None:
        """``editMessageText`` (text) or, for a message with media, ``editMessageCaption``
        (core.telegram.org/bots/api#updating-messages), with ``chat_id`` and ``message_id``;
        the media stay. "message is not modified" is the text it already has: done. A
        message of the other kind ("there is no text/caption in the message to edit": one
        recorded by hand) is edited by the other method. "message to edit not found"
        (deleted) and "message can't be edited" (not the bot's) are refused. (The link
        preview is left to Telegram: the edit does not say which link to preview, and the
        docs do not say whether an edit keeps the one chosen when sending.)"""
        if not item.remote.id.isdigit():
            raise Rejected(f"cannot edit {item.remote.id!r}: not a Telegram message id")
        methods = ["editMessageCaption", "editMessageText"]
        if not item.has_media:
            methods.reverse()
        for method in methods:
            field = "caption" if method == "editMessageCaption" else "text"
            try:
                self._call(method, json={"chat_id": self.chat,
                                         "message_id": int(item.remote.id), field: item.text})
                return
            except Rejected as exc:
                said = str(exc).lower()
                if "message is not modified" in said:
                    return
                if "there is no text in the message" in said or \
                        "there is no caption in the message" in said:
                    continue
                by_hand = f"edit message {item.remote.id} of {item.channel} by hand"
                if "message to edit not found" in said:
                    raise Rejected(f"{method}: message {item.remote.id} is not in the chat "
                                   f"(deleted?): {exc}", exc.status) from None
                if "message can't be edited" in said:
                    raise Rejected(f"Telegram refused to edit it ({exc}): a bot edits only "
                                   f"its own messages: {by_hand}", exc.status) from None
                raise
        raise Rejected(f"message {item.remote.id}: Telegram takes neither its text nor its "
                       "caption for editing")

    def live_text(self, item: Edit) -> str | None:
        """None: the Bot API cannot read a message back (no method returns a chat's message
        by id), so an unconfirmed edit is sent again, which is safe."""
        return None

    def close(self) -> None:
        self.http.close()


DELETE_WINDOW = timedelta(hours=48)


def _age(age: timedelta) -> str:
    hours = int(age.total_seconds() // 3600)
    return f"{hours // 24} days {hours % 24} hours" if hours >= 48 else f"{hours} hours"


def _fail(response: httpx.Response, redact: Callable[[str], str]) -> None:
    """Telegram's errors are ``{ok: false, error_code, description, parameters}``; a 429 says
    how long to wait in ``parameters.retry_after``. Other bodies are left to http.check."""
    try:
        body = response.json()
        description = str(body["description"])
    except (ValueError, KeyError, TypeError):
        return
    status = response.status_code
    message = f"HTTP {status}: {redact(' '.join(description.split()))[:300]}"  # redact, then cut
    if status == 429:
        wait = (body.get("parameters") or {}).get("retry_after")
        raise Transient(f"rate limited: {message}", maybe_sent=False, status=status,
                        retry_after=float(wait) if isinstance(wait, int | float)
                        else wait_from_headers(response.headers, datetime.now(UTC)))
    if status >= 500:
        raise Transient(message, maybe_sent=True, status=status)
    raise Rejected(message, status=status)
