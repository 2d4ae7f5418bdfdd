"""Bluesky (AT Protocol): each part is an ``app.bsky.feed.post`` record written over XRPC.

Setup: in the Bluesky app, Settings → Privacy and security → App passwords → Add App Password
(never the account password). Put the handle and the app password in two secrets and name them
in channels.yaml::

    bsky:
      network: bluesky
      server: https://bsky.social      # optional: your own PDS
      secrets: {identifier: BSKY_HANDLE, password: BSKY_APP_PASSWORD}

One session per adapter (login is limited to 30 per 5 minutes), refreshed on ``ExpiredToken``.

A video goes through a video service (``video_service:``, default https://video.bsky.app; a
self-hosted PDS has none of its own), which processes it before the post is written (upload
limits checked first, the job polled until done; the post embeds the video with its alt text
and aspect ratio).

Reading (``cmops collect``): counters (likes, replies, reposts, quotes; Bluesky gives no
impressions), followers and reply threads come from the public AppView, ``appview:`` in the
channel (default ``https://public.api.bsky.app``, unauthenticated). Notifications (mentions,
replies, quotes) and keyword search go through the PDS with the session, which proxies them to
its AppView: the public AppView refuses unauthenticated ``searchPosts`` (atproto#3423). A
server with no AppView behind it (a bare PDS answers 502 ``UpstreamFailure``; others 501
``MethodNotImplemented``) makes those reads *unavailable*: counters of None, no follower
count, no inbox items, the cursor kept, and the reason in ``unavailable``. Setting ``appview``
to the ``server`` URL sends the AppView reads through the PDS too.

Exactly-once: there is no idempotency key, so each part gets a record key of its own, a TID
chosen when the intent is written. An unconfirmed attempt is settled with ``getRecord``: the
record is there (published) or it is not (sending again with the same key is safe). A
duplicate key has answered HTTP 500 on the reference server, so a 5xx is "maybe sent" and goes
through the same lookup.

Replies (``reply_to:``, a bsky.app post address or an ``at://`` URI): the post answered is
read before anything is written, and the reply carries its strong refs; the conversation's
root is recorded with the reply (``extra``: ``root``, ``root_cid``) so that its thread parts
and first comment stay in the same conversation. No edits: Bluesky's apps never edit a post,
and rewriting the record (``putRecord``) would change its cid, which every reply, like and
quote holds in its strong ref to it.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx

from cmops.adapters.base import (
    CannotTell,
    ChannelContext,
    LinkCard,
    NotConfigured,
    Outgoing,
    PublishError,
    Rejected,
    Remote,
    Transient,
    Withdrawal,
    refuse_unsendable,
)
from cmops.adapters.bluesky_read import BlueskyReader, _error
from cmops.adapters.bluesky_video import VIDEO_SERVICE, VideoService
from cmops.adapters.http import client, send
from cmops.prepare import dimensions
from cmops.replyto import BadReplyUrl
from cmops.replyto import parse as parse_reply_url
from cmops.text.bluesky import detect_facets
from cmops.text.limits import NETWORKS, NetworkRules
from cmops.thumbs import ImageError, fit

POST = "app.bsky.feed.post"
TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
_B32 = "234567abcdefghijklmnopqrstuvwxyz"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_RECORD = re.compile(r"^at://([^/]+)/([^/]+)/([A-Za-z0-9._:~-]{1,512})$")
"""A record URI (atproto.com/specs/at-uri-scheme): repo, collection, record key."""
_APP_POST = re.compile(r"^https://bsky\.app/profile/([^/]+)/post/([A-Za-z0-9._:~-]{1,512})$")
"""A post's web address, which ``cmops resolve --url`` may have recorded as its id."""
APPVIEW = "https://public.api.bsky.app"
THUMB_MAX = 1_000_000
"""``thumb`` maxSize in lexicon app.bsky.embed.external."""


class InvalidRecordKey(Rejected, ValueError):
    """A dedupe key that is not a TID: the AppView would never show such a post."""


class _Expired(Exception):
    pass


def tid(micros: int, clock_id: int) -> str:
    """The 13-character base32-sortable form of ``micros << 10 | clock_id``."""
    value = (micros << 10) | (clock_id & 0x3FF)
    return "".join(_B32[(value >> shift) & 31] for shift in range(60, -5, -5))


class BlueskyAdapter(BlueskyReader):
    network: ClassVar[str] = "bluesky"
    reconcile_by: ClassVar[str] = "record-key"
    rules: ClassVar[NetworkRules] = NETWORKS["bluesky"]

    def __init__(self, ctx: ChannelContext) -> None:
        server = ctx.settings.get("server", "https://bsky.social")
        self.identifier = ctx.secrets.get("identifier", "")
        self.password = ctx.secrets.get("password", "")
        if not isinstance(server, str) or not server.startswith(("https://", "http://")):
            raise NotConfigured(f"channel {ctx.name}: bluesky server must be an http(s) URL")
        if not self.identifier or not self.password:
            raise NotConfigured(f"channel {ctx.name}: bluesky needs secrets: "
                                "{identifier: …, password: …} (an app password)")
        self.redact = ctx.redactor
        self.redact.add(self.password)
        self.http = client(ctx, server.rstrip("/"))
        self.did = self.handle = self.access = self.refresh = ""
        self.dids: dict[str, str] = {}
        appview = ctx.settings.get("appview", APPVIEW)
        if not isinstance(appview, str) or not appview.startswith(("https://", "http://")):
            raise NotConfigured(f"channel {ctx.name}: bluesky appview must be an http(s) URL")
        self._ctx, self._appview_url = ctx, appview.rstrip("/")
        self._appview: httpx.Client | None = None
        self._via_pds = self._appview_url == server.rstrip("/")
        self.server = self.pds = server.rstrip("/")
        """The PDS the session lives on (the DID document's, once logged in)."""
        self.video = VideoService(ctx, ctx.settings.get("video_service", VIDEO_SERVICE))
        self.unavailable: dict[str, str] = {}
        """What this run could not read (metrics, followers, inbox, search, replies) and why."""

    # -- keys --------------------------------------------------------------------------
    def new_dedupe(self, key: str, part: int, now: datetime) -> str:
        digest = int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big")
        # Parts of one item are claimed with the same `now`: spread them a millisecond apart,
        # and items apart by a hash in the low microseconds and the clock id.
        micros = (now - _EPOCH) // timedelta(microseconds=1) + part * 1000
        return tid(micros + (digest >> 10) % 1000, digest)

    @staticmethod
    def _rkey(out: Outgoing) -> str:
        if not TID.match(out.dedupe):
            raise InvalidRecordKey(f"record key {out.dedupe!r} is not a TID")
        return out.dedupe

    # -- XRPC --------------------------------------------------------------------------
    def _xrpc(self, method: str, nsid: str, *, token: str | None = None, retry: bool = True,
              headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        seen: list[httpx.Response] = []
        headers = headers or {}

        def call() -> httpx.Response:
            bearer = token if token is not None else self.access
            auth = {"Authorization": f"Bearer {bearer}"} if bearer else {}
            response = self.http.request(method, f"/xrpc/{nsid}", headers={**auth, **headers},
                                         **kwargs)
            seen.append(response)
            if retry and token is None and _error(response)[0] == "ExpiredToken":
                raise _Expired
            return response

        try:
            return send(self.redact, call).json()
        except _Expired:
            self._refresh()
            return self._xrpc(method, nsid, retry=False, headers=headers, **kwargs)
        except (Rejected, Transient) as exc:
            raise self._explained(exc, seen[-1]) if seen else exc from None

    def _explained(self, exc: Rejected | Transient, response: httpx.Response) -> PublishError:
        """XRPC errors name themselves (``RecordNotFound``) and explain: keep both."""
        name, detail = _error(response)
        if not name:
            return exc
        text = self.redact(" ".join(f"{name}: {detail}".split()))[:300]  # redact, then cut
        message = f"HTTP {response.status_code}: {text}"
        if isinstance(exc, Rejected):
            return Rejected(message, exc.status)
        return Transient(("rate limited: " if exc.status == 429 else "") + message,
                         retry_after=exc.retry_after, maybe_sent=exc.maybe_sent,
                         status=exc.status)

    def _adopt(self, session: dict[str, Any]) -> None:
        self.access, self.refresh = session["accessJwt"], session["refreshJwt"]
        self.redact.add(self.access)
        self.redact.add(self.refresh)
        self.did, self.handle = session["did"], session.get("handle") or session["did"]
        services = (session.get("didDoc") or {}).get("service") or []
        self.pds = next((s["serviceEndpoint"] for s in services if isinstance(s, dict)
                         and str(s.get("id", "")).endswith("#atproto_pds")
                         and isinstance(s.get("serviceEndpoint"), str)), self.server)

    def _service_auth(self, aud: str, lxm: str, exp: int | None) -> str:
        """A token the PDS signs for another service (``com.atproto.server.getServiceAuth``),
        bound to one method ``lxm``; ``exp`` in epoch seconds (default: a minute)."""
        params: dict[str, str | int] = {"aud": aud, "lxm": lxm}
        if exp is not None:
            params["exp"] = exp
        token = str(self._xrpc("GET", "com.atproto.server.getServiceAuth",
                               params=params)["token"])
        self.redact.add(token)
        return token

    def _login(self) -> None:
        if not self.access:
            self._adopt(self._xrpc("POST", "com.atproto.server.createSession", token="", json={
                "identifier": self.identifier, "password": self.password}))

    def _refresh(self) -> None:
        try:
            self._adopt(self._xrpc("POST", "com.atproto.server.refreshSession",
                                   token=self.refresh))
        except Rejected:
            self.access = ""
            self._login()

    def _resolve(self, handle: str) -> str:
        if handle not in self.dids:
            try:
                found = self._xrpc("GET", "com.atproto.identity.resolveHandle",
                                   params={"handle": handle})
            except Rejected as exc:
                raise Rejected(f"mention @{handle}: cannot resolve the handle ({exc})",
                               exc.status) from None
            self.dids[handle] = found["did"]
        return self.dids[handle]

    # -- building the record ------------------------------------------------------------
    def _images(self, out: Outgoing) -> list[tuple[bytes, str, str]]:
        """The images' bytes, type and alt text (kinds, number and sizes were checked against
        the declaration by refuse_unsendable). A video's bytes are read when it is uploaded
        (up to 300 MB: not held twice), so its entry has none."""
        found = []
        for media in out.media:
            mime = mimetypes.guess_type(media.path.name)[0] or "application/octet-stream"
            data = b"" if mime.startswith("video/") else media.path.read_bytes()
            found.append((data, mime, media.alt or ""))
        return found

    @staticmethod
    def _strong_ref(remote: Remote) -> dict[str, str]:
        if not remote.id.startswith("at://") or not remote.extra.get("cid"):
            raise Rejected(f"cannot reply to {remote.id}: its record uri and cid are unknown")
        return {"uri": remote.id, "cid": remote.extra["cid"]}

    @classmethod
    def _thread_root(cls, root: Remote) -> dict[str, str]:
        """The conversation's root for a later part or a first comment: the one the main
        post recorded when it answered someone (``reply_to:``), else the main post."""
        if root.extra.get("root") and root.extra.get("root_cid"):
            return {"uri": root.extra["root"], "cid": root.extra["root_cid"]}
        return cls._strong_ref(root)

    def _answering(self, url: str) -> dict[str, dict[str, str]]:
        """The ``reply`` of a post answering the one at ``url`` (``reply_to:``): that post
        as ``parent``, and as ``root`` the parent's own root when it is itself a reply, else
        the parent (docs.bsky.app/docs/advanced-guides/posts#replies; both strong refs, uri
        and cid, lexicon com.atproto.repo.strongRef). A handle in the address is resolved
        with com.atproto.identity.resolveHandle; the record is read with
        com.atproto.repo.getRecord on the channel's server, which answers for the accounts
        it hosts and passes other repositories to its AppView (@atproto/pds
        api/com/atproto/repo/getRecord): it needs no AppView for its own accounts, where
        app.bsky.feed.getPosts would."""
        try:
            target = parse_reply_url("bluesky", url)
        except BadReplyUrl as exc:
            raise Rejected(f"reply_to {url}: {exc}") from None
        did = target.author
        if not did.startswith("did:"):
            try:
                did = str(self._xrpc("GET", "com.atproto.identity.resolveHandle",
                                     params={"handle": did})["did"])
            except Rejected as exc:
                raise Rejected(f"reply_to {url}: cannot resolve the handle {target.author}, "
                               f"so the post cannot be answered ({exc})", exc.status) from None
        try:
            found = self._xrpc("GET", "com.atproto.repo.getRecord", params={
                "repo": did, "collection": POST, "rkey": target.id})
        except Rejected as exc:
            why = "no such post to answer (deleted, or never there)" \
                if "RecordNotFound" in str(exc) else "cannot read the post to answer"
            raise Rejected(f"reply_to {url}: {why}: {exc}", exc.status) from None
        uri, cid, value = found.get("uri"), found.get("cid"), found.get("value")
        if not isinstance(uri, str) or not isinstance(cid, str) or not isinstance(value, dict):
            raise Rejected(f"reply_to {url}: the server gave no uri and cid for the post")
        parent = {"uri": uri, "cid": cid}
        reply = value.get("reply")
        root = reply.get("root") if isinstance(reply, dict) else None
        if not (isinstance(root, dict) and isinstance(root.get("uri"), str)
                and isinstance(root.get("cid"), str)):
            root = parent
        return {"root": {"uri": root["uri"], "cid": root["cid"]}, "parent": parent}

    def _record(self, out: Outgoing, images: list[tuple[bytes, str, str]]) -> dict[str, Any]:
        facets = [f.to_record(self._resolve) for f in detect_facets(out.text)]
        when = (out.published_at or datetime.now(UTC)).astimezone(UTC)
        record: dict[str, Any] = {"$type": POST, "text": out.text, "createdAt": when.isoformat(
            timespec="milliseconds").replace("+00:00", "Z")}
        if out.lang:
            record["langs"] = [out.lang]
        if facets:
            record["facets"] = facets
        if out.reply_url:
            record["reply"] = self._answering(out.reply_url)
        elif out.reply_to:
            parent = self._strong_ref(out.reply_to)
            root = self._thread_root(out.root) if out.root else parent
            record["reply"] = {"root": root, "parent": parent}
        if images and images[0][1].startswith("video/"):  # one video, alone (declaration)
            record["embed"] = self.video.embed(out.media[0], out, did=self.did,
                                               pds_url=self.pds,
                                               service_auth=self._service_auth)
        elif images:
            record["embed"] = {"$type": "app.bsky.embed.images", "images": [
                self._image(data, mime, alt) for data, mime, alt in images]}
        elif out.card:
            record["embed"] = {"$type": "app.bsky.embed.external",
                               "external": self._external(out.card)}
        return record

    def _image(self, data: bytes, mime: str, alt: str) -> dict[str, Any]:
        """One ``app.bsky.embed.images#image``: the uploaded blob, its alt text, and its
        ``aspectRatio`` (width and height as integers of at least 1, lexicon
        app.bsky.embed.defs#aspectRatio) so that apps lay the post out before the image
        loads (docs.bsky.app/docs/advanced-guides/posts#images-embeds). The bytes are the
        image prepared for Bluesky (:mod:`cmops.prepare`), so its size is the one sent;
        left out only where Pillow cannot read a size (the field is optional)."""
        image = {"image": self._xrpc("POST", "com.atproto.repo.uploadBlob", content=data,
                                     headers={"Content-Type": mime})["blob"], "alt": alt}
        size = dimensions(data)
        if size is not None:
            image["aspectRatio"] = {"width": size[0], "height": size[1]}
        return image

    def _external(self, card: LinkCard) -> dict[str, Any]:
        """The card as the client must build it (lexicon app.bsky.embed.external: uri,
        title, description; the image as the ``thumb`` blob, at most 1,000,000 bytes:
        shrunk when bigger). With images, the post has no room for it: the renderer put the
        link in the text instead, where a facet makes it a link."""
        external: dict[str, Any] = {"uri": card.url, "title": card.title,
                                    "description": card.description}
        if card.image is not None and card.image_type:
            try:
                data, mime = fit(card.image, card.image_type, max_bytes=THUMB_MAX)
            except ImageError as exc:
                raise Rejected(f"link card image {card.image_ref}: {exc}") from None
            external["thumb"] = self._xrpc("POST", "com.atproto.repo.uploadBlob", content=data,
                                           headers={"Content-Type": mime})["blob"]
        return external

    # -- the adapter ------------------------------------------------------------------------
    def _remote(self, uri: str, cid: str, rkey: str, out: Outgoing,
                record: Any) -> Remote:
        """Where a part landed; a main post answering someone (``reply_to:``) keeps the
        conversation's root too, for its thread parts and first comment."""
        extra = {"cid": cid}
        reply = record.get("reply") if isinstance(record, dict) else None
        root = reply.get("root") if out.reply_url and isinstance(reply, dict) else None
        if isinstance(root, dict) and root.get("uri") and root.get("cid"):
            extra |= {"root": str(root["uri"]), "root_cid": str(root["cid"])}
        # By the account's DID, which bsky.app resolves like a handle: the handle is often the
        # channel's login identifier, a secret the redactor hides, which would turn every
        # printed link into bsky.app/profile/[REDACTED]/...; the DID also survives a handle
        # change.
        return Remote(uri, f"https://bsky.app/profile/{self.did}/post/{rkey}", extra)

    def publish(self, out: Outgoing) -> Remote:
        refuse_unsendable(self.rules, out)
        rkey = self._rkey(out)
        images = self._images(out)  # refused before anything is sent
        try:
            self._login()
            record = self._record(out, images)
        except Transient as exc:  # nothing was posted yet
            raise Transient(str(exc), retry_after=exc.retry_after, maybe_sent=False,
                            status=exc.status) from None
        try:
            created = self._xrpc("POST", "com.atproto.repo.createRecord", json={
                "repo": self.did, "collection": POST, "rkey": rkey, "record": record})
        except Rejected:
            # Newer servers may answer a duplicate key with a 4xx: the record may be ours.
            found = self._lookup(out, quiet=True)
            if found is None:
                raise
            return found
        return self._remote(created["uri"], created["cid"], rkey, out, record)

    def _lookup(self, out: Outgoing, *, quiet: bool = False) -> Remote | None:
        """The record at the part's key (None: not there); ``quiet``: None on any error."""
        rkey = self._rkey(out)
        try:
            self._login()
            found = self._xrpc("GET", "com.atproto.repo.getRecord", params={
                "repo": self.did, "collection": POST, "rkey": rkey})
        except PublishError as exc:
            if quiet or (isinstance(exc, Rejected) and "RecordNotFound" in str(exc)):
                return None
            raise
        if found.get("value", {}).get("text") != out.text:
            if quiet:
                return None
            raise CannotTell(f"record {POST}/{rkey} exists with a different text: check the "
                             f"account, then run cmops resolve {out.post_id} "
                             f"--channel {out.channel}")
        return self._remote(found["uri"], found["cid"], rkey, out, found.get("value"))

    def reconcile(self, out: Outgoing, sent_at: datetime, now: datetime) -> Remote | None:
        return self._lookup(out)

    def delete(self, item: Withdrawal) -> None:
        """``com.atproto.repo.deleteRecord`` on the part's record (repo: the account's DID;
        docs.bsky.app/docs/api/com-atproto-repo-delete-record). The reference PDS answers a
        record already gone with 200 and no commit ("No-op if record already doesn't
        exist", @atproto/pds 0.5.35 api/com/atproto/repo/deleteRecord), so a repeat is
        harmless; another account's repo gets a bare 401 ``AuthenticationRequired``, so that
        case is refused here first, by name."""
        where = _RECORD.match(item.remote.id) or _APP_POST.match(item.remote.id)
        if where is None:
            raise Rejected(f"cannot delete {item.remote.id!r} on Bluesky: not a record URI "
                           "(at://…) nor a bsky.app post address; delete it by hand")
        repo, collection, rkey = (where[1], where[2], where[3]) if where.re is _RECORD \
            else (where[1], POST, where[2])
        self._login()
        if repo not in (self.did, self.handle):
            raise Rejected(f"cannot delete {item.remote.id}: it is in the repository of "
                           f"{repo}, not of this channel's account ({self.handle}, "
                           f"{self.did}); delete it by hand from that account")
        try:
            self._xrpc("POST", "com.atproto.repo.deleteRecord", json={
                "repo": self.did, "collection": collection, "rkey": rkey})
        except Rejected as exc:
            if "RecordNotFound" not in str(exc):  # other servers may say so: gone is gone
                raise

    def close(self) -> None:
        self.http.close()
        self.video.close()
        if self._appview is not None:
            self._appview.close()
