"""LinkedIn, through the Posts API: ``POST /rest/posts`` as a person or an organization, images
through the Images API with alt text, one video through the Videos API
(learn.microsoft.com/linkedin/marketing/community-management/shares/posts-api).

Setup: create an app at linkedin.com/developers, add the "Share on LinkedIn" product (scope
``w_member_social``) or, for a company page, "Community Management API"
(``w_organization_social``; your member must be an administrator or content admin of the
page). Run the OAuth 2.0 authorization-code flow once to get an access token (it lasts 60
days: note the date and renew it before then), and store it as a GitHub Actions secret::

    linkedin-page:
      network: linkedin
      account: urn:li:organization:123456      # or urn:li:person:<sub from /v2/userinfo>
      secrets: {token: LINKEDIN_TOKEN}

The commentary is sent in LinkedIn's "little text" format: every reserved character is
escaped (unescaped, LinkedIn silently cuts the post at the first one) and ``#tag`` becomes a
hashtag element. LinkedIn has no threads and no idempotency key. Reading the author's posts
(for reconciliation) needs ``r_member_social`` or ``r_organization_social``. For ``cmops
collect``: a page's post counters and follower count
need ``r_organization_social`` and an administrator; a member's counters need the restricted
``r_member_social`` (likes and comments only) and a member's follower count is not offered;
the comments under the account's recent posts are read into the inbox (``linkedin_read``,
same permission); mentions are not read. What cannot be read is recorded as
unavailable, never as zero.

Exactly-once: LinkedIn refuses a repeated post with a 422 ``DUPLICATE_POST`` that names the
existing post's URN: that answer goes to reconciliation, which records the URN if it resolves
and hands the item to a human if it is a "ghost" (404). An attempt whose answer was lost is
settled by reading the author's recent posts for the same commentary.

Edits: a post's commentary is changed by a partial update (Posts API, "Update Posts"; media
and article stay), a first comment's or a reply's text through the Comments API ("Edit a
Comment"); both are read back with GET. A post with ``reply_to:`` (a ``/feed/update/<URN>``
address, with ``?commentUrn=`` for a comment) goes out as a comment on that post, or nested
under that comment (``parentComment``), text only. Whether the API takes the
``urn:li:activity`` most post addresses hold is not documented (the Comments API names
share and ugcPost URNs): it is sent as it is, and a refusal names the URL, so a reply to such
an address may need the post's share URN instead.

A video (learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/videos-api):
``POST /rest/videos?action=initializeUpload`` with the file's size gives the video's URN and
``uploadInstructions`` (an upload URL per part, with its ``firstByte``/``lastByte``; parts of
4 MB); each part is PUT as LinkedIn cut it, streamed from the file, and its ``ETag`` kept;
``action=finalizeUpload`` sends the ETags in order; ``GET /rest/videos/{urn}`` is polled until
``AVAILABLE`` (``PROCESSING_FAILED``: rejected), and only then is the post written with
``content.media.id`` the video's URN. A video that is still processing when the run must stop
leaves nothing posted: the next run uploads it again.
"""

from __future__ import annotations

import mimetypes
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from cmops import apiversions
from cmops.adapters.base import (
    CannotTell,
    ChannelContext,
    Edit,
    LinkCard,
    MediaFile,
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
from cmops.adapters.linkedin_read import LinkedInReading
from cmops.apiversions import LINKEDIN as LINKEDIN_VERSIONS
from cmops.replyto import BadReplyUrl
from cmops.replyto import parse as parse_reply_url
from cmops.secrets import redact_known
from cmops.text.limits import NETWORKS, NetworkRules
from cmops.text.linkedin import to_little_text, unescape
from cmops.thumbs import ImageError, fit

VERSION = LINKEDIN_VERSIONS.default
"""The ``LinkedIn-Version`` sent unless the channel sets ``version: YYYYMM``; versions are
sunset about a year after release, and :mod:`cmops.apiversions` dates each one."""
LOOKBACK = timedelta(minutes=2)
PAGE = 50
MAX_PAGES = 4
_AUTHOR = re.compile(r"^urn:li:(organization|person):[A-Za-z0-9_-]+$")
_DUPLICATE = re.compile(r"urn:li:(?:share|ugcPost):\d+")
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif")
VIDEO_POLL = 5.0
VIDEO_WAIT = 600.0
"""Seconds between reads of a video's status, and the longest wait for its processing."""
STREAM_CHUNK = 64 * 1024


def _part(path: Path, first: int, last: int) -> Iterator[bytes]:
    """Bytes ``first`` to ``last`` (inclusive) of ``path``, read as they are sent."""
    with path.open("rb") as file:
        file.seek(first)
        left = last - first + 1
        while left > 0:
            data = file.read(min(STREAM_CHUNK, left))
            if not data:
                raise Rejected(f"{path.name} is shorter than LinkedIn's upload instructions")
            left -= len(data)
            yield data


def _url(urn: str) -> str:
    return f"https://www.linkedin.com/feed/update/{urn}"


def _next_midnight(now: datetime) -> float:
    """LinkedIn's quotas are daily and reset at midnight UTC (developer docs, "Rate
    Limiting"; VERIFY): with no header to say otherwise, that is the earliest sure retry."""
    tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (tomorrow - now).total_seconds()


class LinkedInAdapter(LinkedInReading):
    network: ClassVar[str] = "linkedin"
    reconcile_by: ClassVar[str] = "lookup"
    rules: ClassVar[NetworkRules] = NETWORKS["linkedin"]

    def __init__(self, ctx: ChannelContext) -> None:
        server = ctx.settings.get("server", "https://api.linkedin.com")
        author = ctx.settings.get("account")
        version = str(ctx.settings.get("version", VERSION))
        token = ctx.secrets.get("token", "")
        if not isinstance(server, str) or not server.startswith(("https://", "http://")):
            raise NotConfigured(f"channel {ctx.name}: linkedin server must be an http(s) URL")
        if not isinstance(author, str) or not _AUTHOR.match(author):
            raise NotConfigured(f"channel {ctx.name}: linkedin needs account: "
                                "urn:li:organization:<id> or urn:li:person:<id>")
        if not token:
            raise NotConfigured(f"channel {ctx.name}: linkedin needs secrets: {{token: …}}")
        if not LINKEDIN_VERSIONS.valid(version):
            raise NotConfigured(f"channel {ctx.name}: linkedin version must be YYYYMM (like "
                                f"{VERSION})")
        end = apiversions.ending("linkedin", version, datetime.now(UTC).date())
        if end is not None and end.past:  # LinkedIn answers 426 to every call: say why first
            raise NotConfigured(end.message(ctx.name, "version" in ctx.settings))
        self.redact = ctx.redactor
        self.redact.add(token)
        self.author = author
        self.http = client(ctx, server.rstrip("/"), {
            "Authorization": f"Bearer {token}", "LinkedIn-Version": version,
            "X-Restli-Protocol-Version": "2.0.0"})
        self.duplicates: dict[str, str] = {}
        """Dedupe key -> the URN LinkedIn named when it refused the part as a duplicate."""
        self.sleep: Callable[[float], None] = time.sleep
        """How the adapter waits between reads of a video's status (tests replace it)."""

    def new_dedupe(self, key: str, part: int, now: datetime) -> str:
        return f"{key}#{part}@{now.isoformat()}"  # recorded for people; LinkedIn takes no key

    def _quota(self, response: httpx.Response) -> httpx.Response:
        if response.status_code == 429 and "retry-after" not in response.headers:
            raise Transient(self.redact(f"rate limited by LinkedIn (HTTP 429: "
                                        f"{_message(response)})"), maybe_sent=False,
                            status=429, retry_after=_next_midnight(datetime.now(UTC)))
        return response

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return send(self.redact, lambda: self._quota(self.http.request(method, url, **kwargs)))

    def _upload(self, out: Outgoing) -> list[dict[str, str]]:
        images = []
        for media in out.media:
            mime = mimetypes.guess_type(media.path.name)[0] or "application/octet-stream"
            if mime == "video/mp4":  # one video, alone: the declaration refused anything else
                return [{"id": self._video(media, out)}]
            if mime not in IMAGE_TYPES:
                raise Rejected(f"{media.rel}: LinkedIn posts take JPG, PNG or GIF images here")
            images.append({"id": self._image(media.path.read_bytes()),
                           **({"altText": media.alt} if media.alt else {})})
        return images

    def _image(self, data: bytes) -> str:
        """Upload through the Images API (initializeUpload, then PUT the bytes): the URN."""
        value = self._send("POST", "/rest/images", params={"action": "initializeUpload"},
                           json={"initializeUploadRequest": {"owner": self.author}}
                           ).json()["value"]
        self._send("PUT", value["uploadUrl"], content=data,
                   headers={"Content-Type": "application/octet-stream"})
        return str(value["image"])

    def _video(self, media: MediaFile, out: Outgoing) -> str:
        """Upload through the Videos API and wait until LinkedIn has processed it: the URN."""
        value = self._send("POST", "/rest/videos", params={"action": "initializeUpload"},
                           json={"initializeUploadRequest": {
                               "owner": self.author, "fileSizeBytes": media.path.stat().st_size,
                               "uploadCaptions": False, "uploadThumbnail": False}}
                           ).json()["value"]
        video = str(value["video"])
        etags: list[str] = []
        for part in value["uploadInstructions"]:
            first, last = int(part["firstByte"]), int(part["lastByte"])
            response = self._send("PUT", str(part["uploadUrl"]),
                                  content=_part(media.path, first, last),
                                  headers={"Content-Type": "application/octet-stream",
                                           "Content-Length": str(last - first + 1)})
            etag = response.headers.get("etag")
            if not etag:
                raise Transient(f"LinkedIn took part {len(etags) + 1} of {media.rel} without "
                                "an ETag, which finalizing needs; not posted", maybe_sent=False)
            etags.append(etag)
        self._send("POST", "/rest/videos", params={"action": "finalizeUpload"},
                   json={"finalizeUploadRequest": {
                       "video": video, "uploadToken": str(value.get("uploadToken", "")),
                       "uploadedPartIds": etags}})

        def available() -> str | None:
            found = self._send("GET", f"/rest/videos/{quote(video, safe='')}").json()
            status = found.get("status")
            if status == "PROCESSING_FAILED":
                raise Rejected(f"LinkedIn could not process {media.rel} (status "
                               "PROCESSING_FAILED); not posted")
            return video if status == "AVAILABLE" else None

        return wait_for(f"LinkedIn's processing of {media.rel}", available, every=VIDEO_POLL,
                        most=VIDEO_WAIT, out=out, sleep=self.sleep)

    def _article(self, card: LinkCard) -> dict[str, str]:
        """The Posts API's article content: LinkedIn does not scrape the URL, so the client
        sends the title, description and a thumbnail (an image URN, uploaded first; JPG, PNG
        or GIF: other types are re-encoded)."""
        article = {"source": card.url, "title": card.title}
        if card.description:
            article["description"] = card.description
        if card.image is not None and card.image_type:
            try:
                data, _ = fit(card.image, card.image_type, types=IMAGE_TYPES)
            except ImageError as exc:
                raise Rejected(f"link card image {card.image_ref}: {exc}") from None
            article["thumbnail"] = self._image(data)
        return article

    def publish(self, out: Outgoing) -> Remote:
        if out.comment:
            return first_comment(self, out)
        refuse_unsendable(self.rules, out)
        if out.reply_url and out.reply_to is None:
            return reply(self, out, out.reply_url)
        if out.reply_to is not None:
            raise Rejected("LinkedIn has no threads: send one post")
        body: dict[str, Any] = {
            "author": self.author, "commentary": to_little_text(out.text),
            "visibility": "PUBLIC",
            "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [],
                             "thirdPartyDistributionChannels": []},
            "lifecycleState": "PUBLISHED", "isReshareDisabledByAuthor": False}
        if out.media:
            images = self._upload(out)
            body["content"] = {"media": images[0]} if len(images) == 1 else \
                {"multiImage": {"images": images}}
        elif out.card:
            body["content"] = {"article": self._article(out.card)}

        def call() -> httpx.Response:
            response = self._quota(self.http.post("/rest/posts", json=body))
            if response.status_code == 422 and "DUPLICATE_POST" in response.text:
                found = _DUPLICATE.search(response.text)
                if found:
                    self.duplicates[out.dedupe] = found[0]
                    raise Transient(f"LinkedIn says this duplicates {found[0]}: checking it",
                                    maybe_sent=True, status=422)
            return response

        response = send(self.redact, call)
        urn = response.headers.get("x-restli-id", "")
        if not urn.startswith("urn:li:"):
            raise Transient("LinkedIn answered 201 without the post's URN (x-restli-id)",
                            maybe_sent=True, status=response.status_code)
        return Remote(urn, _url(urn))

    def reconcile(self, out: Outgoing, sent_at: datetime, now: datetime) -> Remote | None:
        if out.comment:
            return find_comment(self, out, sent_at)
        if out.reply_url and out.reply_to is None:
            answering = _answering(out.reply_url)
            found = find_comment(self, out, sent_at, answering.path)
            return _reply_remote(found.id, answering) if found else None
        how = (f"cmops resolve {out.post_id} --channel {out.channel} --as published --url … "
               "(or --as retry to send it again)")
        urn = self.duplicates.get(out.dedupe)
        if urn is not None:
            try:
                self._send("GET", f"/rest/posts/{quote(urn, safe='')}")
            except Rejected as exc:
                if exc.status != 404:
                    raise
                raise CannotTell(
                    f"LinkedIn refused the post as a duplicate of {urn}, which does not exist "
                    "(a \"ghost\" duplicate, usually of a deleted post; LinkedIn accepts the "
                    f"text again after 24-48 hours): check the page, then run {how}") from None
            return Remote(urn, _url(urn))
        try:
            return self._lookup(out, sent_at - LOOKBACK)
        except Rejected as exc:
            if exc.status not in (401, 403):
                raise
            raise CannotTell(
                f"a LinkedIn post sent at {sent_at:%Y-%m-%d %H:%M}Z may have been published, "
                f"and this token cannot read the author's posts ({exc}): check the page, then "
                f"run {how}") from None

    def _lookup(self, out: Outgoing, since: datetime) -> Remote | None:
        commentary = to_little_text(out.text)
        for page in range(MAX_PAGES):
            # Rest.li wants the URN percent-encoded inside the query: built by hand.
            query = (f"q=author&author={quote(self.author, safe='')}&sortBy=CREATED"
                     f"&start={page * PAGE}&count={PAGE}")
            posts = self._send("GET", f"/rest/posts?{query}").json().get("elements") or []
            for post in posts:
                if post.get("commentary") == commentary:
                    return Remote(str(post["id"]), _url(str(post["id"])))
            created = [p.get("createdAt") for p in posts if isinstance(p.get("createdAt"), int)]
            if len(posts) < PAGE or (created and min(created) < since.timestamp() * 1000):
                return None  # read back past the attempt: it did not go out
        raise CannotTell(f"more than {MAX_PAGES * PAGE} LinkedIn posts since the attempt: too "
                         "many to look through")

    def delete(self, item: Withdrawal) -> None:
        """A post: ``DELETE /rest/posts/{encoded URN}`` (learn.microsoft.com/en-us/linkedin/
        marketing/community-management/shares/posts-api, "Delete Posts"): 204, and 204 again
        for a post already deleted (deletes are idempotent). A first comment: ``DELETE
        /rest/socialActions/{post URN}/comments/{comment id}?actor={encoded actor}``
        (.../shares/comments-api, "Delete Comments"): 204. Either already gone (404):
        deleted."""
        urn = item.remote.id
        if _DUPLICATE.fullmatch(urn):
            path = f"/rest/posts/{quote(urn, safe='')}"
        else:
            path = _comment_path(item, self.author)
        try:
            self._send("DELETE", path)
        except Rejected as exc:
            if exc.status in (404, 410):
                return
            raise

    def edit(self, item: Edit) -> None:
        """A post: ``POST /rest/posts/{encoded URN}`` with ``X-RestLi-Method:
        PARTIAL_UPDATE`` and ``{"patch": {"$set": {"commentary": …}}}`` in the little text
        format, as posted (learn.microsoft.com/en-us/linkedin/marketing/community-management/
        shares/posts-api, "Update Posts"; only the commentary changes: media and article
        stay). A first comment or a reply: ``POST /rest/socialActions/{target}/comments/
        {comment id}?actor={encoded actor}`` with ``{"patch": {"message": {"$set": {"text":
        …}}}}`` (.../shares/comments-api, "Edit a Comment"). Either gone (404): refused,
        naming it."""
        body: dict[str, Any]
        if _DUPLICATE.fullmatch(item.remote.id):
            path, body = f"/rest/posts/{quote(item.remote.id, safe='')}", {
                "patch": {"$set": {"commentary": to_little_text(item.text)}}}
            headers = {"X-RestLi-Method": "PARTIAL_UPDATE"}
        else:
            path, headers = _comment_path(item, self.author, "edit"), {}
            body = {"patch": {"message": {"$set": {"text": item.text}}}}
        try:
            self._send("POST", path, json=body, headers=headers)
        except Rejected as exc:
            if exc.status not in (404, 410):
                raise
            raise Rejected(f"cannot edit {item.remote.id} on LinkedIn: it no longer exists "
                           f"({exc})", exc.status) from None

    def live_text(self, item: Edit) -> str | None:
        """A post's ``commentary`` (``GET /rest/posts/{encoded URN}``, read back to plain
        text: hashtag elements as ``#tag``, escapes undone), a comment's ``message.text``
        (``GET /rest/socialActions/{target}/comments/{comment id}``, comments-api, "Get a
        Comment")."""
        if _DUPLICATE.fullmatch(item.remote.id):
            post = self._send("GET", f"/rest/posts/{quote(item.remote.id, safe='')}").json()
            return _plain(str(post.get("commentary") or ""))
        path = _comment_path(item, self.author, "read").split("?", 1)[0]
        comment = self._send("GET", path).json()
        return str((comment.get("message") or {}).get("text") or "")

    def close(self) -> None:
        self.http.close()


_COMMENT = re.compile(r"urn:li:comment:\((urn:li:[A-Za-z]+:\d+),(\d+)\)")
_TARGET = re.compile(r"urn:li:(?:share|ugcPost|activity):\d+|" + _COMMENT.pattern)
_HASHTAG_ELEMENT = re.compile(r"\{hashtag\|\\#\|([^{}]*)\}")


def _plain(commentary: str) -> str:
    """Little text as written: ``{hashtag|\\#|tag}`` as ``#tag``, escapes undone."""
    return unescape(_HASHTAG_ELEMENT.sub(lambda m: "\\#" + m[1], commentary))


def _comment_path(item: Withdrawal | Edit, actor: str, verb: str = "delete") -> str:
    """Where a comment is deleted, edited or read: its id (the number in its ``$URN``, or
    the id itself) under what it was made on: the ``target`` its record names (a reply:
    the post or the comment it answers), else the post a first comment recorded as its
    URL (``/feed/update/{post URN}``). Rest.li wants the actor URN percent-encoded in the
    query: built by hand."""
    found = _COMMENT.fullmatch(item.remote.id)
    comment = found[2] if found else item.remote.id
    post = item.remote.extra.get("target") or \
        (item.remote.url or "").rstrip("/").rsplit("/", 1)[-1]
    if not comment.isdigit() or not _TARGET.fullmatch(post):
        raise Rejected(f"cannot {verb} {item.remote.id!r} on LinkedIn: neither a post URN nor "
                       "a comment under a known post (share or ugcPost URN); "
                       f"{verb} it by hand")
    return (f"/rest/socialActions/{quote(post, safe='')}/comments/{comment}"
            f"?actor={quote(actor, safe='')}")


class _Answering:
    """What a reply's ``reply_to:`` URL names on LinkedIn: the socialActions target the
    reply is posted under, its ``object`` and, answering a comment, its ``parentComment``."""

    def __init__(self, url: str, target: str, thread: str, parent: str | None) -> None:
        self.url, self.target, self.thread, self.parent = url, target, thread, parent
        self.path = f"/rest/socialActions/{quote(target, safe='')}/comments"


def _answering(url: str) -> _Answering:
    """A post URL (``/feed/update/{URN}``) makes the reply a comment on that post; one with
    ``commentUrn`` a reply to that comment (comments-api, "Create a Comment": a nested
    comment is posted under the comment's URN, with ``object`` the thread it belongs to,
    the URN inside the comment's, and ``parentComment`` the comment). The Comments API
    documents share and ugcPost URNs as targets; the ``urn:li:activity`` a post's web
    address usually holds is what comment URNs are built on, but the docs neither say that
    an activity URN is taken as a target nor give a way from it to the share or ugcPost
    URN (VERIFY): it is sent as it is, and a refusal names the URL."""
    try:
        found = parse_reply_url("linkedin", url)
    except BadReplyUrl as exc:
        raise Rejected(f"cannot answer {url}: {exc}") from None
    if not found.comment:
        return _Answering(url, found.post, found.post, None)
    inner = _COMMENT.fullmatch(found.id)
    if inner is None:
        raise Rejected(f"cannot answer {url}: its commentUrn {found.id!r} is not a comment "
                       "URN like urn:li:comment:(urn:li:activity:<n>,<n>)")
    return _Answering(url, found.id, inner[1], found.id)


def _under_reply(out: Outgoing) -> _Answering | None:
    """Where a first comment goes when the post is a reply (``out.reply_to`` a comment URN):
    nested under the reply or, when the reply is itself nested under a comment, under that
    same comment, keeping the conversation one level deep as LinkedIn shows it (whether the
    API takes a comment nested two levels is not documented)."""
    if out.reply_to is None or _COMMENT.fullmatch(out.reply_to.id) is None:
        return None
    above = out.reply_to.extra.get("target", "")
    parent = above if _COMMENT.fullmatch(above) else out.reply_to.id
    inner = _COMMENT.fullmatch(parent)
    return _Answering(out.reply_to.url or _url(inner[1] if inner else ""), parent,
                      inner[1] if inner else "", parent)


def _reply_remote(urn: str, answering: _Answering) -> Remote:
    thread = answering.url.split("?", 1)[0].rstrip("/")
    return Remote(urn, f"{thread}?commentUrn={quote(urn, safe='')}",
                  {"target": answering.target})


def reply(adapter: LinkedInAdapter, out: Outgoing, url: str) -> Remote:
    """A reply is a comment (comments-api, "Create a Comment"): ``POST /rest/socialActions/
    {target}/comments`` with ``actor``, ``object``, ``message.text`` (plain, as a first
    comment) and, answering a comment, ``parentComment``. Its record keeps the target, so
    a later withdrawal or edit finds it. The message it answers gone (404): refused,
    naming the URL."""
    answering = _answering(url)  # media were refused by the declaration (media.reply)
    body: dict[str, Any] = {"actor": adapter.author, "object": answering.thread,
                            "message": {"text": out.text}}
    if answering.parent:
        body["parentComment"] = answering.parent
    try:
        response = adapter._send("POST", answering.path, json=body)
    except Rejected as exc:
        if exc.status not in (404, 410):
            raise
        raise Rejected(f"cannot answer {url}: {exc} (deleted, or not visible to this "
                       "account)", exc.status) from None
    return _reply_remote(_comment_urn(response), answering)


def _comment_urn(response: httpx.Response) -> str:
    """A created comment's name: the answer's ``$URN``, else ``x-restli-id``, else its
    ``id``."""
    try:
        body = response.json() if response.content else {}
    except ValueError:
        body = {}
    found = (body.get("$URN") if isinstance(body, dict) else None) or \
        response.headers.get("x-restli-id") or \
        (body.get("id") if isinstance(body, dict) else None)
    if not found:
        raise Transient("LinkedIn answered without the comment's id", maybe_sent=True,
                        status=response.status_code)
    return str(found)


def _comments_path(out: Outgoing) -> str:
    if out.reply_to is None or not _DUPLICATE.fullmatch(out.reply_to.id):
        raise Rejected("a first comment needs the share or ugcPost URN of the post it goes "
                       f"under (got {out.reply_to.id if out.reply_to else None!r})")
    return f"/rest/socialActions/{quote(out.reply_to.id, safe='')}/comments"


def first_comment(adapter: LinkedInAdapter, out: Outgoing) -> Remote:
    """The author's first comment under its post: ``POST /rest/socialActions/{post URN}/
    comments`` with ``actor`` (the channel's account), ``object`` (the post's URN) and
    ``message.text`` (learn.microsoft.com/en-us/linkedin/marketing/community-management/
    shares/comments-api, "Create a Comment"; w_member_social or w_organization_social).
    The comment is named by the answer's ``$URN`` (else ``x-restli-id``, else its ``id``).
    The text is plain (comments are not in the little text format); the docs state no
    length limit: the post's is checked. Under a reply (itself a comment), it is nested in
    the reply's conversation: see :func:`_under_reply`."""
    refuse_unsendable(adapter.rules, out)
    nested = _under_reply(out)
    if nested is not None:
        response = adapter._send("POST", nested.path, json={
            "actor": adapter.author, "object": nested.thread, "parentComment": nested.parent,
            "message": {"text": out.text}})
        return _reply_remote(_comment_urn(response), nested)
    path = _comments_path(out)
    target = out.reply_to.id if out.reply_to else ""
    response = adapter._send("POST", path, json={"actor": adapter.author, "object": target,
                                                 "message": {"text": out.text}})
    return Remote(_comment_urn(response), _url(target))


def find_comment(adapter: LinkedInAdapter, out: Outgoing, sent_at: datetime,
                 path: str | None = None) -> Remote | None:
    """An unconfirmed first comment: the post's comments (``GET /rest/socialActions/{post
    URN}/comments``, the same page, "Get Comments on Shares") holding the author's own
    (``actor``) with its text, created since the attempt (``created.time``, milliseconds).
    Not there: it did not go out, and sending it is safe."""
    nested = _under_reply(out) if path is None else None
    if nested is not None:
        found = find_comment(adapter, out, sent_at, nested.path)
        return _reply_remote(found.id, nested) if found else None
    since = (sent_at - LOOKBACK).timestamp() * 1000
    for start in range(0, MAX_PAGES * PAGE, PAGE):
        elements = adapter._send("GET", path or _comments_path(out), params={
            "start": start, "count": PAGE}).json().get("elements") or []
        for comment in elements:
            created = (comment.get("created") or {}).get("time")
            if comment.get("actor") == adapter.author and isinstance(created, int) \
                    and created >= since \
                    and (comment.get("message") or {}).get("text") == out.text:
                found = comment.get("$URN") or comment.get("id")
                return Remote(str(found), _url(out.reply_to.id if out.reply_to else ""))
        if len(elements) < PAGE:
            return None
    target = out.reply_to.id if out.reply_to else "?"
    raise CannotTell(f"more than {MAX_PAGES * PAGE} comments under {target}: too many to "
                     "look through; check the post, then run cmops resolve "
                     f"{out.post_id} --channel {out.channel}")


def _message(response: httpx.Response) -> str:
    try:
        return redact_known(" ".join(str(response.json().get("message", "")).split()))[:300]
    except (ValueError, AttributeError):
        return ""
