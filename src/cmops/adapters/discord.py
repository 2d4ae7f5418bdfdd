"""Discord, through a channel webhook: one message per post, no threads.

Setup: in Discord, Server Settings → Integrations → Webhooks → New Webhook, pick the channel,
Copy Webhook URL. The URL holds the webhook's token, so it is the secret::

    announcements:
      network: discord
      secrets: {webhook_url: DISCORD_WEBHOOK_URL}

Messages are sent with ``?wait=true`` (otherwise Discord answers 204 with no message id) and
``allowed_mentions: {parse: []}``, so a post can never ping @everyone or a role. Images go as
multipart ``files[n]`` with their alt text as the attachment ``description``; videos go the
same way. Each file is at most 10 MiB (the default upload limit: a webhook cannot count on a
server's Boost tier), all of them at most 25 MiB.

Exactly-once: webhooks take no idempotency key and cannot list what they sent, so an attempt
whose answer was lost cannot be checked here: a human looks at the channel and settles it with
``cmops resolve``.

Edits: ``PATCH /webhooks/{id}/{token}/messages/{message.id}`` with the new ``content`` and
``allowed_mentions: {parse: []}`` again (an edit without it parses mentions with the default
allowances), its text read back with ``GET`` of the same address. Files and their
descriptions stay: the edit sends no ``attachments``. Webhooks cannot answer a message given
by its URL, so Discord takes no ``reply_to:``.
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar

import httpx

from cmops.adapters.base import (
    CannotTell,
    ChannelContext,
    Edit,
    NotConfigured,
    Outgoing,
    PublishError,
    Rejected,
    Remote,
    Transient,
    Withdrawal,
    refuse_unsendable,
)
from cmops.adapters.http import client, send
from cmops.text.limits import NETWORKS, NetworkRules

MAX_REQUEST = 25 * 1024 * 1024
"""'The maximum request size when sending a message is 25 MiB' (discord-api-docs
resources/message.mdx, Create Message limitations): each file is within 10 MiB (the
declaration), and all of them together within this."""


class DiscordAdapter:
    network: ClassVar[str] = "discord"
    reconcile_by: ClassVar[str] = "none"
    rules: ClassVar[NetworkRules] = NETWORKS["discord"]

    def __init__(self, ctx: ChannelContext) -> None:
        url = ctx.secrets.get("webhook_url", "")
        if not url.startswith(("https://", "http://")) or "/webhooks/" not in url:
            raise NotConfigured(f"channel {ctx.name}: discord needs secrets: {{webhook_url: …}} "
                                "(https://discord.com/api/webhooks/<id>/<token>)")
        self.redact = ctx.redactor
        self.redact.add(url)
        self.redact.add(url.rstrip("/").rsplit("/", 1)[1])  # the token on its own
        self.webhook = httpx.URL(url)
        self.http = client(ctx, str(self.webhook.copy_with(path="/", query=None)))
        self.guild: str | None = None

    def new_dedupe(self, key: str, part: int, now: datetime) -> str:
        return f"{key}#{part}@{now.isoformat()}"  # recorded for people; Discord has no use for it

    def _post(self, **kwargs: Any) -> httpx.Response:
        def call() -> httpx.Response:
            response = self.http.post(self.webhook.copy_merge_params({"wait": "true"}),
                                      **kwargs)
            if response.status_code == 429:
                _rate_limited(response, self.redact)
            return response

        return send(self.redact, call)

    def publish(self, out: Outgoing) -> Remote:
        refuse_unsendable(self.rules, out)
        if out.reply_to is not None:
            raise Rejected("Discord webhooks cannot post threads: send one message")
        total = sum(m.path.stat().st_size for m in out.media)
        if total > MAX_REQUEST:
            raise Rejected(f"not sent: the attachments of {out.channel} (discord) total "
                           f"{total / 1024 / 1024:.1f} MiB; a Discord message takes at most "
                           "25 MiB: attach fewer or smaller files")
        # The post's link is in the text (cmops.render): Discord unfurls it into its preview.
        payload: dict[str, Any] = {"content": out.text, "allowed_mentions": {"parse": []}}
        if out.media:
            payload["attachments"] = [
                {"id": i, "filename": m.path.name, **({"description": m.alt} if m.alt else {})}
                for i, m in enumerate(out.media)]
            files = [(f"files[{i}]", (m.path.name, m.path.read_bytes(),
                                      mimetypes.guess_type(m.path.name)[0]
                                      or "application/octet-stream"))
                     for i, m in enumerate(out.media)]
            response = self._post(data={"payload_json": json.dumps(payload)}, files=files)
        else:
            response = self._post(json=payload)
        message = response.json()
        return Remote(str(message["id"]), self._jump_link(message))

    def _jump_link(self, message: dict[str, Any]) -> str | None:
        """discord.com/channels/<guild>/<channel>/<message>: the guild comes from the
        message or, asked once, from the webhook itself (Get Webhook with Token)."""
        if self.guild is None:
            try:
                found = send(self.redact, lambda: self.http.get(self.webhook)).json()
                self.guild = str(found.get("guild_id") or "")
            except (PublishError, ValueError, AttributeError):
                self.guild = ""
        guild, channel = message.get("guild_id") or self.guild, message.get("channel_id")
        return f"https://discord.com/channels/{guild}/{channel}/{message['id']}" \
            if guild and channel else None

    def reconcile(self, out: Outgoing, sent_at: datetime, now: datetime) -> Remote | None:
        raise CannotTell(
            f"a Discord message sent at {sent_at:%Y-%m-%d %H:%M}Z may have been posted, and a "
            "webhook cannot look up what it sent: check the channel, then run "
            f"cmops resolve {out.post_id} --channel {out.channel} --as published --url … "
            "(or --as retry to send it again)")

    def delete(self, item: Withdrawal) -> None:
        """``DELETE /webhooks/{webhook.id}/{webhook.token}/messages/{message.id}``
        (discord.com/developers/docs/resources/webhook, "Delete Webhook Message"): 204. A
        message already gone is a 404 with code 10008 "Unknown Message" (discord.com/
        developers/docs/topics/opcodes-and-status-codes): deleted. Any other 404 (10015, the
        webhook itself deleted) is refused: the message stays, a human deletes it."""
        url = self._message(item.remote.id, "delete")

        def call() -> httpx.Response:
            response = self.http.delete(url)
            if response.status_code == 429:
                _rate_limited(response, self.redact)
            if response.status_code == 404 and _code(response) == UNKNOWN_MESSAGE:
                return httpx.Response(204, request=response.request)
            return response

        send(self.redact, call)

    def _message(self, message_id: str, verb: str) -> httpx.URL:
        if not message_id.isdigit():
            raise Rejected(f"cannot {verb} {message_id!r}: not a Discord message id")
        path = f"{self.webhook.path.rstrip('/')}/messages/{message_id}"
        return self.webhook.copy_with(path=path, query=None)

    def _on_message(self, method: str, message_id: str, verb: str,
                    **kwargs: Any) -> httpx.Response:
        """One request to a message this webhook sent; its 404 10008 "Unknown Message"
        (deleted, or not sent by this webhook) refused, naming the message."""
        url = self._message(message_id, verb)

        def call() -> httpx.Response:
            response = self.http.request(method, url, **kwargs)
            if response.status_code == 429:
                _rate_limited(response, self.redact)
            return response

        try:
            return send(self.redact, call)
        except Rejected as exc:
            if exc.status == 404 and "Unknown Message" in str(exc):
                raise Rejected(f"cannot {verb} message {message_id}: {exc}: it was deleted, "
                               "or not sent by this webhook", exc.status) from None
            raise

    def edit(self, item: Edit) -> None:
        """``PATCH /webhooks/{webhook.id}/{webhook.token}/messages/{message.id}`` ("Edit
        Webhook Message", discord.com/developers/docs/resources/webhook#edit-webhook-message)
        with ``content``: "If there is no explicit allowed_mentions in the edit request, the
        content will be parsed with default allowances", so ``{parse: []}`` goes again; no
        ``attachments``, so the files stay ("To remove or replace files you will have to
        supply the attachments field"). The same text again is simply accepted."""
        self._on_message("PATCH", item.remote.id, "edit",
                         json={"content": item.text, "allowed_mentions": {"parse": []}})

    def live_text(self, item: Edit) -> str | None:
        """``GET`` of the same address ("Get Webhook Message"): the message's ``content``."""
        found = self._on_message("GET", item.remote.id, "read").json()
        content = found.get("content") if isinstance(found, dict) else None
        if not isinstance(content, str):
            raise Transient(f"message {item.remote.id}: Discord answered it without content")
        return content

    def close(self) -> None:
        self.http.close()


UNKNOWN_MESSAGE = 10008


def _code(response: httpx.Response) -> object:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


def _rate_limited(response: httpx.Response, redact: Callable[[str], str]) -> None:
    """Discord's 429 body says how long to wait to the millisecond (``retry_after``, float
    seconds); the ``Retry-After`` header is rounded."""
    try:
        wait = float(response.json()["retry_after"])
    except (ValueError, KeyError, TypeError):
        return  # http.check reads the headers instead
    scope = response.headers.get("X-RateLimit-Scope", "")
    raise Transient(redact(f"rate limited by Discord{f' ({scope})' if scope else ''}: "
                           f"retry after {wait:g} s"), retry_after=wait, maybe_sent=False,
                    status=429)
