"""Mastodon (and compatible servers): ``POST /api/v1/statuses`` with a bearer token.

Setup: on the instance, Preferences → Development → New application with the ``write:statuses``
and ``write:media`` scopes (plus ``read:statuses``, ``read:notifications`` and ``profile`` for
``cmops collect``); put its access token in a secret and name it in channels.yaml
(``secrets: {token: MASTODON_TOKEN}``, ``server: https://your.instance``).

Exactly-once: every status carries an ``Idempotency-Key`` (the part's dedupe key), which the
server honours for about an hour (docs.joinmastodon.org/methods/statuses). Within that window
an unconfirmed attempt is replayed with the same key; past it, nothing can prove what
happened, so the item goes to a human. Server-side ``scheduled_at`` is never used: it ignores
the key (mastodon#30039).
"""

from __future__ import annotations

import hashlib
import html
import mimetypes
import re
import time
from collections.abc import Sequence
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
)
from cmops.adapters.http import client, send
from cmops.adapters.reading import Author, Counters, InboxItem, newer
from cmops.text.mastodon import length as status_length

MEDIA_POLLS = 30
MEDIA_POLL_SECONDS = 1.0
IDEMPOTENCY_WINDOW = timedelta(minutes=50)
"""Mastodon keeps keys for up to an hour; replay only well inside it."""
PAGE = 40
"""Notifications per page (the server's default; its maximum is 80)."""
MAX_PAGES = 5
"""Pages of notifications read per run: the rest waits for the next run's cursor."""
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="next"')
_TAGS = re.compile(r"<[^>]+>")


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
        self.channel = ctx.name
        self.max_chars: int | None = None
        self._instance_read = False

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

    # -- reading (cmops collect): see cmops.adapters.reading ---------------------------------
    # Reading needs the read:statuses, read:notifications and profile (or read:accounts)
    # scopes besides the writing ones.
    def _get(self, path: str, params: Any = None) -> Any:
        return send(self.redact, lambda: self.http.get(path, params=params)).json()

    def _me(self) -> dict[str, Any]:
        if not hasattr(self, "_account"):
            self._account: dict[str, Any] = self._get("/api/v1/accounts/verify_credentials")
        return self._account

    def _page(self, url: str, params: Any) -> Any:
        return send(self.redact, lambda: self.http.get(url, params=params))

    def metrics(self, remotes: Sequence[str]) -> dict[str, Counters | None]:
        out: dict[str, Counters | None] = {}
        for remote in remotes:
            try:
                data = self._get(f"/api/v1/statuses/{remote}")
            except Rejected as exc:
                if exc.status in (404, 410):
                    out[remote] = None  # deleted: nothing to count any more
                    continue
                raise
            out[remote] = Counters(likes=_count(data, "favourites_count"),
                                   comments=_count(data, "replies_count"),
                                   shares=_count(data, "reblogs_count"),
                                   quotes=_count(data, "quotes_count"))
        return out

    def followers(self) -> int | None:
        return _count(self._me(), "followers_count")

    def inbox(self, cursor: str | None) -> tuple[list[InboxItem], str | None]:
        me = str(self._me().get("id"))
        params: Any = {"types[]": ["mention", "quote"], "limit": PAGE}
        if cursor:
            params["since_id"] = cursor
        items: list[InboxItem] = []
        newest = cursor
        url: str | None = "/api/v1/notifications"
        for _ in range(MAX_PAGES):
            if url is None:
                break
            response = self._page(url, params)
            page = response.json()
            fresh = [n for n in page if isinstance(n, dict) and newer(str(n.get("id")), cursor)]
            for note in fresh:
                if newer(str(note["id"]), newest):
                    newest = str(note["id"])
                item = _item(note, me)
                if item is not None:
                    items.append(item)
            if len(fresh) < len(page) or not page:
                break  # reached what the last run already read
            match = _NEXT.search(response.headers.get("Link", ""))
            url, params = (match[1], None) if match else (None, None)
        return items, newest

    def replied(self, ids: Sequence[str]) -> dict[str, datetime | None]:
        me = str(self._me().get("id"))
        out: dict[str, datetime | None] = {}
        for status in ids:
            try:
                context = self._get(f"/api/v1/statuses/{status}/context")
            except Rejected:
                out[status] = None
                continue
            ours = [_time(d.get("created_at")) for d in context.get("descendants", [])
                    if isinstance(d, dict) and str((d.get("account") or {}).get("id")) == me]
            times = [t for t in ours if t is not None]
            out[status] = min(times) if times else None
        return out


def _count(data: Any, name: str) -> int | None:
    value = data.get(name) if isinstance(data, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _text(content: Any) -> str:
    if not isinstance(content, str):
        return ""
    spaced = re.sub(r"<br\s*/?>|</p>", "\n", content)
    return html.unescape(_TAGS.sub("", spaced)).strip()


def _item(note: dict[str, Any], me: str) -> InboxItem | None:
    status = note.get("status")
    account = note.get("account")
    if not isinstance(status, dict) or not isinstance(account, dict):
        return None
    when = _time(status.get("created_at")) or _time(note.get("created_at"))
    if when is None:
        return None
    if note.get("type") == "quote":
        kind = "quote"
        quoted = status.get("quote")
        target = quoted.get("quoted_status") if isinstance(quoted, dict) else None
        replied_to = str(target["id"]) if isinstance(target, dict) and "id" in target else None
    elif status.get("visibility") == "direct":
        kind, replied_to = "dm", _opt(status.get("in_reply_to_id"))
    elif status.get("in_reply_to_id") and str(status.get("in_reply_to_account_id")) == me:
        kind, replied_to = "reply", _opt(status.get("in_reply_to_id"))
    else:
        kind, replied_to = "mention", _opt(status.get("in_reply_to_id"))
    author = Author(handle="@" + str(account.get("acct", "")),
                    name=str(account.get("display_name") or ""),
                    url=account.get("url") if isinstance(account.get("url"), str) else None,
                    followers=_count(account, "followers_count"))
    return InboxItem(id=str(status["id"]), kind=kind, author=author,
                     text=_text(status.get("content")), received_at=when,
                     url=status.get("url") if isinstance(status.get("url"), str) else None,
                     in_reply_to=replied_to)


def _opt(value: Any) -> str | None:
    return str(value) if value is not None else None
