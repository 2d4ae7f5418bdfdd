"""Mastodon (and compatible servers): ``POST /api/v1/statuses`` with a bearer token.

Setup: on the instance, Preferences → Development → New application with the ``write:statuses``
and ``write:media`` scopes (plus ``read:statuses``, ``read:notifications``, ``read:search`` and
``profile`` for ``cmops collect``); put its access token in a secret and name it in channels.yaml
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
import time
from datetime import datetime, timedelta
from typing import Any, ClassVar

import httpx

from cmops.adapters.base import (
    CannotTell,
    ChannelContext,
    NotConfigured,
    Outgoing,
    Rejected,
    Remote,
    Transient,
    refuse_unsendable,
)
from cmops.adapters.http import client, send
from cmops.adapters.mastodon_read import MastodonReader
from cmops.text.limits import NETWORKS, NetworkRules
from cmops.text.mastodon import length as status_length

MEDIA_POLLS = 30
MEDIA_POLL_SECONDS = 1.0
IDEMPOTENCY_WINDOW = timedelta(minutes=50)
"""Mastodon keeps keys for up to an hour; replay only well inside it."""


class MastodonAdapter(MastodonReader):
    network: ClassVar[str] = "mastodon"
    reconcile_by: ClassVar[str] = "idempotency-key"
    rules: ClassVar[NetworkRules] = NETWORKS["mastodon"]

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
        self.channel = ctx.name
        self.max_chars: int | None = None
        self._instance_read = False
        self.unavailable: dict[str, str] = {}
        """What collect could not read and why (read by cmops.collect)."""

    def _limit(self) -> int | None:
        """The instance's own character limit (``/api/v2/instance``), read once; None when
        the instance does not say (the 500 default was already checked before merge)."""
        if not self._instance_read:
            self._instance_read = True
            try:
                answer = self.http.get("/api/v2/instance")
                value = answer.json()["configuration"]["statuses"]["max_characters"] \
                    if answer.status_code == 200 else None
            except (httpx.HTTPError, ValueError, KeyError, TypeError):
                value = None
            self.max_chars = value if isinstance(value, int) and value > 0 else None
        return self.max_chars

    def _wait_processed(self, media_id: str) -> None:
        """Media upload answers 202 while the server converts the file; a status may only
        attach it once ``GET /api/v1/media/:id`` answers 200 (206 means still processing)."""
        for _ in range(MEDIA_POLLS):
            answer = send(self.redact, lambda: self.http.get(f"/api/v1/media/{media_id}"))
            if answer.status_code == 200 and answer.json().get("url"):
                return
            time.sleep(MEDIA_POLL_SECONDS)
        raise Transient(f"media {media_id} still processing after "
                        f"{MEDIA_POLLS * MEDIA_POLL_SECONDS:.0f} s", maybe_sent=False)

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
            media_id = str(response.json()["id"])
            if response.status_code == 202 or not response.json().get("url"):
                self._wait_processed(media_id)
            ids.append(media_id)
        return ids

    def publish(self, out: Outgoing) -> Remote:
        refuse_unsendable(self.rules, out)
        limit = self._limit()
        if limit is not None and (count := status_length(out.text)) > limit:
            raise Rejected(f"{count}/{limit} characters: over this instance's limit "
                           f"({self.channel}); shorten it or give it a mastodon variant")
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
