"""Mastodon (and compatible servers): ``POST /api/v1/statuses`` with a bearer token.

Setup: on the instance, Preferences → Development → New application with the ``write:statuses``,
``write:media``, ``read:statuses`` and ``profile`` scopes (the last two let the publisher find
a status whose answer was lost; ``cmops collect`` also needs ``read:notifications`` and
``read:search``); put its access token in a secret and name it in channels.yaml
(``secrets: {token: MASTODON_TOKEN}``, ``server: https://your.instance``).

Media go up through ``POST /api/v2/media``, their alt text as ``description``. A video is
converted after the upload is answered (202): ``GET /api/v1/media/:id`` is polled every 3 s
for up to 10 minutes, never past the run's time left, until it answers 200 with a ``url``
(206: still processing; 422: processing failed, refused). Only then is the status sent.

Exactly-once: every status carries an ``Idempotency-Key`` (the part's dedupe key), which the
server honours for about an hour (docs.joinmastodon.org/methods/statuses). The key alone is not
enough: a server that created the status and then failed before storing the key (a 5xx or a
proxy timeout, mastodon#21840) makes a replay a second status. So before anything is sent
again, the account's own statuses since the attempt are read
(docs.joinmastodon.org/methods/accounts/#statuses) and a status with the same text, reply
target and number of attachments, created since the attempt, is adopted. Not found: within
the key's window the attempt is replayed with the same key; past it, the item goes to a human.
When the statuses cannot be read, nothing is sent: the next run looks again (past the window, a
human decides). Server-side ``scheduled_at`` is never used: it ignores the key (mastodon#30039).

Edits (``PUT /api/v1/statuses/:id``, docs.joinmastodon.org/methods/statuses/#edit) send the
status's attachments, content warning and language back as they are: Mastodon's
``Api::V1::StatusesController#update`` hands every parameter to ``UpdateStatusService``, which
treats a missing ``media_ids`` as "no media" and a missing ``spoiler_text`` as "no warning".
Changed alt texts go in the same PUT as ``media_attributes`` (``id`` and ``description`` of each
attachment, since 4.1.0, mastodon#20878).
A reply (``reply_to:``) answers a status by ``in_reply_to_id``, the id on this server: the
URL's own when the status is on this server, else the one ``GET /api/v2/search`` with
``resolve=true`` finds (``read:search`` scope).
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from html.parser import HTMLParser
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx

from cmops.adapters.base import (
    CannotTell,
    ChannelContext,
    Edit,
    NotConfigured,
    Outgoing,
    Rejected,
    Remote,
    Transient,
    Withdrawal,
    refuse_unsendable,
    wait_for,
)
from cmops.adapters.http import client, send
from cmops.adapters.mastodon_read import MastodonReader
from cmops.adapters.reading import parse_time
from cmops.replyto import BadReplyUrl
from cmops.replyto import parse as parse_reply_url
from cmops.text.limits import NETWORKS, NetworkRules
from cmops.text.mastodon import length as status_length

MEDIA_POLL_SECONDS = 1.0
MEDIA_WAIT_MOST = 30.0
"""Seconds an image may take to be processed."""
VIDEO_POLL_SECONDS = 3.0
VIDEO_WAIT_MOST = 600.0
"""A video is transcoded after the upload is answered (202), which takes minutes for a long
one on a busy instance; the docs give no figure. A slower one is tried again by the next run
(nothing was posted), and the run's time left bounds the wait first (``wait_for``)."""
IDEMPOTENCY_WINDOW = timedelta(minutes=50)
"""Mastodon keeps keys for up to an hour; replay only well inside it."""
CLOCK_SKEW = timedelta(minutes=2)
"""How far the server's ``created_at`` may stray from our clock."""
RECENT_PAGE = 40
"""Statuses per page of the account's own statuses: the endpoint's maximum."""
RECENT_PAGES = 5
"""Pages read per look-up at most; more statuses than that since the attempt go to a human."""
_REMOTE_MENTION = re.compile(r"(?<![=/\w])@(\w+(?:[\w.-]*\w)?)@[\w-]+(?:\.[\w-]+)+")


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
        self._account = None
        self._seen: list[dict[str, Any]] = []
        """The account's statuses read by earlier look-ups of this run, newest first..."""
        self._seen_since: datetime | None = None
        """...complete back to this time."""
        self._taken: set[str] = set()
        """Statuses this run published or adopted: never adopted for another part."""
        self._fresh: set[str] = set()
        """Dedupe keys chosen in this run and not sent yet: nothing can carry them."""
        self._answered: dict[str, str] = {}
        """reply_to URLs found on this server, and the id each has here."""
        self.sleep: Callable[[float], None] = time.sleep
        """How the adapter waits between media polls (tests replace it)."""
        self.monotonic: Callable[[], float] = time.monotonic

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

    def _wait_processed(self, media_id: str, name: str, video: bool, out: Outgoing) -> None:
        """Media upload answers 202 while the server converts the file; a status may only
        attach it once ``GET /api/v1/media/:id`` answers 200 (206 means still processing,
        422 that processing failed: docs.joinmastodon.org/methods/media/#get)."""
        def processed() -> bool | None:
            try:
                answer = send(self.redact, lambda: self.http.get(f"/api/v1/media/{media_id}"))
            except Rejected as exc:
                raise Rejected(f"media {name}: the server could not process it ({exc})",
                               exc.status) from None
            except Transient as exc:  # a failed look at the media: nothing was posted
                raise Transient(str(exc), retry_after=exc.retry_after, maybe_sent=False,
                                status=exc.status) from None
            return True if answer.status_code == 200 and answer.json().get("url") else None

        wait_for(f"media {name} (id {media_id})", processed,
                 every=VIDEO_POLL_SECONDS if video else MEDIA_POLL_SECONDS,
                 most=VIDEO_WAIT_MOST if video else MEDIA_WAIT_MOST, out=out,
                 sleep=self.sleep, clock=self.monotonic)

    def new_dedupe(self, key: str, part: int, now: datetime) -> str:
        dedupe = hashlib.sha256(f"cmops|{key}|{part}|{now.isoformat()}".encode()).hexdigest()
        self._fresh.add(dedupe[:40])
        return dedupe[:40]

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
                self._wait_processed(media_id, media.rel, mime.startswith("video/"), out)
            ids.append(media_id)
        return ids

    def publish(self, out: Outgoing) -> Remote:
        self._fresh.discard(out.dedupe)
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
        elif out.reply_url:
            body["in_reply_to_id"] = self._answering(out.reply_url)
        if out.media:
            body["media_ids"] = self._upload(out)
        try:
            response = send(self.redact, lambda: self.http.post(
                "/api/v1/statuses", json=body, headers={"Idempotency-Key": out.dedupe}))
        except Rejected as exc:
            if out.reply_url and not out.reply_to and exc.status == 404:
                # statuses#create: "in_reply_not_found" (deleted, or not visible to us)
                raise Rejected(f"cannot answer {out.reply_url}: {exc} (deleted, or not "
                               "visible to this account)", exc.status) from None
            raise
        data = response.json()
        self._taken.add(str(data["id"]))
        return Remote(str(data["id"]), data.get("url") or data.get("uri"))

    def reconcile(self, out: Outgoing, sent_at: datetime, now: datetime) -> Remote | None:
        if out.dedupe in self._fresh:
            # Its intent was written in this run (the git store writes every part's intent at
            # claim) and this adapter never sent it: there is nothing to look for.
            return None
        since, late = sent_at - CLOCK_SKEW, now - sent_at >= IDEMPOTENCY_WINDOW
        how = (f"check the account, then run cmops resolve {out.post_id} --channel "
               f"{out.channel} --as published --url … (or --as retry to send it again)")
        if out.reply_url and not out.reply_to:
            self._answering(out.reply_url)  # what the status answers, for _same
        try:
            recent = self._recent(since)
        except (Rejected, Transient) as exc:
            if not late:
                raise  # not seen is not proof: never replay blind, look again next run
            raise CannotTell(f"an attempt at {sent_at:%Y-%m-%d %H:%M}Z may have been "
                             "published, Mastodon's idempotency window (1 hour) has passed, "
                             f"and the account's statuses cannot be read ({exc}): {how}"
                             ) from None
        for status in recent:
            if self._same(status, out, since, now + CLOCK_SKEW):
                self._taken.add(str(status["id"]))
                url = status.get("url") or status.get("uri")
                return Remote(str(status["id"]), url if isinstance(url, str) else None)
        if not late:
            # Not among the statuses since the attempt: the replay either returns the
            # original (the key was stored) or creates the one and only status.
            return None
        raise CannotTell(
            f"an attempt at {sent_at:%Y-%m-%d %H:%M}Z may have been published, and "
            "Mastodon's idempotency window (1 hour) has passed; the account's statuses since "
            f"then were read and none has this text (deleted since?): {how}")

    def delete(self, item: Withdrawal) -> None:
        """``DELETE /api/v1/statuses/:id`` (docs.joinmastodon.org/methods/statuses/#delete;
        ``write:statuses``). Its 404 means "not owned by you or does not exist": the ledger
        holds only statuses this account published, so it is taken as already deleted. A
        status recorded by its web address (``cmops resolve --url``) is deleted by the id at
        its end when the address is on this server. (Ids are digits on Mastodon, letters and
        digits on some compatible servers.)"""
        status = self._status_id(item.remote, "delete")
        try:
            send(self.redact, lambda: self.http.delete(f"/api/v1/statuses/{status}"))
        except Rejected as exc:
            if exc.status != 404:
                hint = ": the token needs the write:statuses scope" \
                    if "outside the authorized scopes" in str(exc) else ""
                raise Rejected(f"deleting status {status}: {exc}{hint}", exc.status) from None

    def _status_id(self, remote: Remote, verb: str) -> str:
        """The status id of a recorded part: its id, or the one at the end of its address
        on this server (a status recorded by ``cmops resolve --url``)."""
        status = remote.id
        if not re.fullmatch(r"[A-Za-z0-9_-]+", status):
            local = re.fullmatch(re.escape(str(self.http.base_url).rstrip("/"))
                                 + r"/@\w+/([A-Za-z0-9_-]+)", status)
            if local is None:
                raise Rejected(f"cannot {verb} {status!r} on Mastodon: not a status id of "
                               f"this server ({self.http.base_url}); {verb} it by hand")
            status = local[1]
        return status

    def edit(self, item: Edit) -> None:
        """``PUT /api/v1/statuses/:id`` with the new ``status`` and, read first from ``GET
        /api/v1/statuses/:id``, the attachments (``media_ids``), ``spoiler_text``,
        ``sensitive`` and ``language`` it has now, so an edit changes the text only (a
        content warning added by hand on the web stays). Mastodon answers an edit to the
        same text with the status unchanged (``NoChangesSubmittedError`` is swallowed), so
        repeating one is safe. A 404 is "not owned by you or does not exist": refused.
        (cmops posts no polls; a poll added by hand would be removed by the edit.) With
        ``item.alts``, every attachment's description is sent too (:func:`_descriptions`)."""
        status = self._status_id(item.remote, "edit")
        limit = self._limit()
        if limit is not None and (count := status_length(item.text)) > limit:
            raise Rejected(f"{count}/{limit} characters: over this instance's limit "
                           f"({self.channel}); shorten the edit")
        current = self._own(status, f"/api/v1/statuses/{status}", "reading")
        body: dict[str, Any] = {
            "status": item.text,
            "media_ids": [str(m["id"]) for m in current.get("media_attachments") or ()
                          if isinstance(m, dict) and m.get("id") is not None],
            "spoiler_text": current.get("spoiler_text") or "",
            "sensitive": bool(current.get("sensitive"))}
        if isinstance(current.get("language"), str) and current["language"]:
            body["language"] = current["language"]
        if item.has_media and not body["media_ids"]:
            raise Rejected(f"status {status} has lost its media on the server; not edited "
                           "(an edit would post the new text without them): edit it by hand")
        if item.alts is not None:
            body["media_attributes"] = _descriptions(status, body["media_ids"], item.alts)
        try:
            send(self.redact, lambda: self.http.put(f"/api/v1/statuses/{status}", json=body))
        except Rejected as exc:
            raise Rejected(self._refusal("editing", status, exc), exc.status) from None

    def live_text(self, item: Edit) -> str | None:
        """The status's text as it was written (``GET /api/v1/statuses/:id/source``: plain
        text, not the HTML ``content``; docs.joinmastodon.org/methods/statuses/#source)."""
        status = self._status_id(item.remote, "read")
        source = self._own(status, f"/api/v1/statuses/{status}/source", "reading")
        text = source.get("text")
        if not isinstance(text, str):
            raise Transient(f"status {status}: its source came back without a text")
        return text

    def _own(self, status: str, path: str, doing: str) -> dict[str, Any]:
        try:
            found = self._get(path)
        except Rejected as exc:
            raise Rejected(self._refusal(doing, status, exc, "read:statuses"),
                           exc.status) from None
        if not isinstance(found, dict):
            raise Transient(f"status {status}: the answer is not an object")
        return found

    @staticmethod
    def _refusal(doing: str, status: str, exc: Rejected,
                 scope: str = "write:statuses") -> str:
        if exc.status == 404:
            return (f"{doing} status {status}: {exc}: it was deleted, or is not this "
                    "account's")
        hint = f": the token needs the {scope} scope" \
            if "outside the authorized scopes" in str(exc) else ""
        return f"{doing} status {status}: {exc}{hint}"

    def _answering(self, url: str) -> str:
        """The id on this server of the status ``url`` names: the URL's own when it is on
        this server (``https://<this host>/@user/<id>``, a remote account's status as this
        server shows it included), else the one ``GET /api/v2/search?q=<url>&resolve=true
        &type=statuses`` fetches (docs.joinmastodon.org/methods/search/#v2; ``read:search``).
        An empty answer means the server could not find or fetch it: refused, naming it."""
        if url in self._answered:
            return self._answered[url]
        try:
            target = parse_reply_url("mastodon", url)
        except BadReplyUrl as exc:
            raise Rejected(f"cannot answer {url}: {exc}") from None
        if target.host == (urlsplit(str(self.http.base_url)).hostname or "").lower():
            self._answered[url] = target.id
            return target.id
        params = {"q": url, "type": "statuses", "resolve": "true", "limit": "1"}
        try:
            found = self._get("/api/v2/search", params)
        except Rejected as exc:
            hint = ": the token needs the read:search scope" if exc.status in (401, 403) \
                else ""
            raise Rejected(f"cannot answer {url}: looking it up failed: {exc}{hint}",
                           exc.status) from None
        statuses = found.get("statuses") if isinstance(found, dict) else None
        if not statuses or not isinstance(statuses[0], dict) or "id" not in statuses[0]:
            raise Rejected(f"cannot answer {url}: {self.http.base_url} finds no such status "
                           "(deleted, private, or its server unreachable)")
        self._answered[url] = str(statuses[0]["id"])
        return self._answered[url]

    def _same(self, status: dict[str, Any], out: Outgoing, since: datetime,
              until: datetime) -> bool:
        """Whether ``status`` is ``out`` as sent: created in the attempt's time, replying
        where ``out`` replies, with as many attachments and the same text."""
        created, reply = _created(status), status.get("in_reply_to_id")
        answers = out.reply_to.id if out.reply_to else \
            self._answered.get(out.reply_url) if out.reply_url else None
        return (created is not None and since <= created <= until
                and str(status["id"]) not in self._taken
                and (None if reply is None else str(reply)) == answers
                and len(status.get("media_attachments") or ()) == len(out.media)
                and status_text(status.get("content")) == comparable(out.text))

    def _recent(self, since: datetime) -> list[dict[str, Any]]:
        """The account's own statuses, boosts left out, newest first, back to the first one
        created before ``since``: ``GET /api/v1/accounts/:id/statuses`` paged backward with
        ``max_id`` until an empty page (docs.joinmastodon.org/methods/accounts/#statuses;
        ``limit`` at most 40, and a server may answer fewer). A look-up stops at a status an
        earlier one of this run read, so a run that reconciles every part (the git store's
        claims make it do so) reads about one page per part."""
        account = self._reading("profile (or read:accounts)", self._me).get("id")
        if account is None:
            raise Transient("verify_credentials answered without an account id")
        reuse = self._seen if self._seen_since is not None and self._seen_since <= since \
            else []
        known = {str(s["id"]) for s in reuse}
        fresh: list[dict[str, Any]] = []
        params: dict[str, Any] = {"limit": RECENT_PAGE, "exclude_reblogs": "true"}
        for _ in range(RECENT_PAGES):
            page = self._reading("read:statuses", partial(
                self._get, f"/api/v1/accounts/{account}/statuses", dict(params)))
            if not isinstance(page, list):
                raise Transient("the account's statuses: the answer is not a list")
            statuses = [s for s in page if isinstance(s, dict) and s.get("id") is not None]
            for status in statuses:
                created = _created(status)
                if str(status["id"]) in known or (created is not None and created < since):
                    break
                fresh.append(status)
            else:
                if statuses:
                    params["max_id"] = str(statuses[-1]["id"])
                    continue
            break
        else:
            raise CannotTell(f"more than {RECENT_PAGE * RECENT_PAGES} statuses on the account "
                             f"since {since:%Y-%m-%d %H:%M}Z: too many to look through for an "
                             "earlier attempt; check the account, then run cmops resolve")
        self._seen, self._seen_since = fresh + reuse, self._seen_since if reuse else since
        return self._seen

    def _reading(self, scope: str, call: Any) -> Any:
        """``call()``, its failure said as a failure to read the account, naming the scope a
        refusing token lacks."""
        try:
            return call()
        except Rejected as exc:
            hint = f": the token needs the {scope} scope" if exc.status in (401, 403) else ""
            raise Rejected(f"reading the account's statuses: {exc}{hint}",
                           status=exc.status) from None
        except Transient as exc:
            raise Transient(f"reading the account's statuses: {exc}",
                            retry_after=exc.retry_after, status=exc.status) from None

    def close(self) -> None:
        self.http.close()


class _TextNodes(HTMLParser):
    """Every text node of a status's HTML, the hidden parts of a shortened link included;
    paragraphs and line breaks become spaces."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("p", "br"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def comparable(text: str) -> str:
    """Text as it is compared with a status: whitespace collapsed, and ``@user@domain`` as
    ``@user`` (Mastodon shows a known remote account without its domain)."""
    return " ".join(_REMOTE_MENTION.sub(r"@\1", text).split())


def status_text(content: object) -> str:
    """A status's ``content`` (HTML: ``<p>`` paragraphs, ``<br>``, links split into visible
    and ``invisible`` spans, hashtags and mentions as links, entities escaped; see
    docs.joinmastodon.org/entities/Status/#content) as :func:`comparable` text."""
    parser = _TextNodes()
    parser.feed(content if isinstance(content, str) else "")
    parser.close()
    return comparable("".join(parser.parts))


def _descriptions(status: str, media_ids: list[str],
                  alts: tuple[str | None, ...]) -> list[dict[str, Any]]:
    """``media_attributes`` setting each attachment's description to its alt text, in the
    status's order (``GET /api/v1/statuses/:id`` lists them as ``ordered_media_attachment_ids``
    keeps them, the order they were posted in, which is the post's media order).

    docs.joinmastodon.org/methods/statuses/#edit ("media_attributes[][]: each array includes
    id, description, and focus"). Mastodon's ``UpdateStatusService#update_media_attachments!``
    applies ``attributes.slice(:thumbnail, :description, :focus)`` to each attachment among the
    PUT's ``media_ids`` and silently skips any other id, so a wrong id would change nothing and
    say nothing: the count is checked here instead. A description past ``MediaAttachment``'s
    1,500 characters is a 422 and nothing of the edit is applied (one transaction); the same
    description again is no change (an edit repeated is safe). Focus is not sent: kept. An alt
    of None is sent as null, the description an upload without alt text has (``_upload``
    sends none), not an empty string."""
    if len(alts) != len(media_ids):
        has = f"{len(media_ids)} attachment{'' if len(media_ids) == 1 else 's'}"
        raise Rejected(f"status {status} has {has} on the server and the post {len(alts)}: "
                       "media added or removed by hand? Not edited (the alt texts would land "
                       "on the wrong media): edit it by hand")
    return [{"id": media, "description": alt} for media, alt in zip(media_ids, alts,
                                                                     strict=True)]


def _created(status: dict[str, Any]) -> datetime | None:
    created = parse_time(status.get("created_at"))
    return created.replace(tzinfo=UTC) if created and created.tzinfo is None else created
