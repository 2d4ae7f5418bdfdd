"""Mastodon (and compatible servers): ``POST /api/v1/statuses`` with a bearer token.

Setup: on the instance, Preferences → Development → New application with the ``write:statuses``
and ``write:media`` scopes; put its access token in a secret and name it in channels.yaml
(``secrets: {token: MASTODON_TOKEN}``, ``server: https://your.instance``).

Exactly-once: every status carries an ``Idempotency-Key`` (the part's dedupe key), which the
server honours for about an hour (docs.joinmastodon.org/methods/statuses). Within that window
an unconfirmed attempt is replayed with the same key; past it, nothing can prove what
happened, so the item goes to a human. Server-side ``scheduled_at`` is never used: it ignores
the key (mastodon#30039).
"""

from __future__ import annotations

import hashlib
import mimetypes
from datetime import datetime, timedelta
from typing import Any, ClassVar

from cmops.adapters.base import CannotTell, ChannelContext, NotConfigured, Outgoing, Remote
from cmops.adapters.http import client, send

IDEMPOTENCY_WINDOW = timedelta(minutes=50)
"""Mastodon keeps keys for up to an hour; replay only well inside it."""


class MastodonAdapter:
    network: ClassVar[str] = "mastodon"
    reconcile_by: ClassVar[str] = "idempotency-key"

    def __init__(self, ctx: ChannelContext) -> None:
        server = ctx.settings.get("server")
        token = ctx.secrets.get("token")
        if not isinstance(server, str) or not server.startswith(("https://", "http://")):
            raise NotConfigured(f"channel {ctx.name}: mastodon needs server: https://…")
        if not token:
            raise NotConfigured(f"channel {ctx.name}: mastodon needs secrets: {{token: …}}")
        self.redact = ctx.redactor
        self.root = ctx.root
        self.http = client(ctx, server.rstrip("/"), {"Authorization": f"Bearer {token}"})

    def new_dedupe(self, key: str, part: int, now: datetime) -> str:
        return hashlib.sha256(f"cmops|{key}|{part}|{now.isoformat()}".encode()).hexdigest()[:40]

    def _upload(self, out: Outgoing) -> list[str]:
        ids = []
        for media in out.media:
            mime = mimetypes.guess_type(media.path.name)[0] or "application/octet-stream"
            data = {"description": media.alt} if media.alt else {}
            content = media.path.read_bytes()
            files = {"file": (media.path.name, content, mime)}
            response = send(self.redact, lambda: self.http.post(
                "/api/v2/media", files=files, data=data))  # noqa: B023 (called at once)
            ids.append(str(response.json()["id"]))
        return ids

    def publish(self, out: Outgoing) -> Remote:
        body: dict[str, Any] = {"status": out.text, "visibility": "public"}
        if out.lang:
            body["language"] = out.lang
        if out.reply_to:
            body["in_reply_to_id"] = out.reply_to.id
        if out.media:
            body["media_ids"] = self._upload(out)
        response = send(self.redact, lambda: self.http.post(
            "/api/v1/statuses", json=body, headers={"Idempotency-Key": out.dedupe}))
        data = response.json()
        return Remote(str(data["id"]), data.get("url") or data.get("uri"))

    def reconcile(self, out: Outgoing, sent_at: datetime, now: datetime) -> Remote | None:
        if now - sent_at < IDEMPOTENCY_WINDOW:
            return None  # replaying with the same Idempotency-Key returns the original
        raise CannotTell(
            f"an attempt at {sent_at:%Y-%m-%d %H:%M}Z may have been published, and "
            "Mastodon's idempotency window (1 hour) has passed: check the account, then run "
            f"cmops resolve {out.post_id} --channel {out.channel} --as published --url … "
            "(or --as retry to send it again)")

    def close(self) -> None:
        self.http.close()
