"""Facebook Page, through the Graph API: ``/{page-id}/feed`` for text and links,
``/{page-id}/photos`` for images, ``/{page-id}/videos`` for one video
(developers.facebook.com/docs/pages-api/posts). The
Graph plumbing it shares with Instagram and Threads (the pinned version, the token, Graph's
error codes) is in ``cmops/adapters/graph.py``.

Setup: in Meta for Developers create an app (type Business), add "Facebook Login for
Business", and get a Page access token with ``pages_manage_posts``, ``pages_read_engagement``
and ``pages_show_list`` for the Page (a Business Manager system user's token does not expire;
otherwise exchange a user token for a long-lived one and read the Page's token from
``GET /me/accounts``). Store it as a GitHub Actions secret::

    facebook-page:
      network: facebook
      account: "123456789012345"          # the Page id
      secrets: {page_token: FB_PAGE_TOKEN}

What Facebook does not allow here: no idempotency key, no threads. Photo alt text: the Pages
API documents no alt text field for a Page's photos, so cmops sends none (a post's alt texts
still go to its other networks). Throttling comes as Graph error codes (4, 17, 32, 613, 80001…)
in a 400/403, with the wait in ``X-Business-Use-Case-Usage``. Reading (``cmops collect``):
reactions, comments and shares of each post and the Page's ``followers_count`` need
``pages_read_engagement``; impressions come from the post's ``post_impressions`` insight. Meta
has announced it retires impressions in favour of "views"; when it stops answering on the
pinned version is not dated, so a refusal is recorded as unavailable, never as zero. The inbox
holds the comments people leave under the Page's latest posts
(``cmops/adapters/graph_inbox.py``; they need ``pages_read_user_content``, else the inbox is
recorded as unavailable); mentions of the Page and Messenger are not read in this version.

Edits: a post's ``message``, a comment's ``message`` and a video's or reel's ``description``
are updated in place (``POST /{id}``; photos and videos stay) and read back with ``GET
/{id}?fields=…``. A post with ``reply_to:`` goes out as a comment, text only: under the
comment a ``?comment_id=`` address names (a comment reply), or on the Page post its
``/posts/<number>`` names; the web's ``pfbid…`` links cannot be mapped to a Graph id and are
refused, saying so.

Exactly-once: an attempt whose answer was lost is looked up in the Page's feed since the
attempt, by its exact message. The feed is read eventually-consistently, so not finding it
proves nothing: the item then goes to a human.

A video goes up with Graph's resumable protocol on ``graph-video.facebook.com``
(developers.facebook.com/docs/graph-api/video-uploads): ``upload_phase=start`` with
``file_size`` gives an upload session, the video's id and the first chunk's
``start_offset``/``end_offset``; each ``transfer`` sends ``video_file_chunk`` (exactly those
bytes, streamed from the file) and is answered with the next offsets, until they meet;
``finish`` with ``description`` (the post's text) publishes it once Facebook has processed it.
The video's ``status.video_status`` is then read until ``ready`` (``error``: rejected). A
video still processing when the run must stop is recorded as sent: Facebook publishes it on
its own, so uploading again would post it twice. The current Video API guide
(developers.facebook.com/docs/video-api/guides/publishing) prefers the app-scoped Resumable
Upload API (``/{app-id}/uploads``, then ``fbuploader_video_file_chunk``), which needs an app
id and a user token that a Page channel does not hold; the Page's own resumable protocol
above needs only the Page token.

A variant's ``format: reel`` sends the post's one video as a Page reel, through the Reels
Publishing API (developers.facebook.com/docs/video-api/guides/reels-publishing): the video
must be 3 to 90 seconds, 9:16, at least 540x960, 24 to 60 frames a second, which validation
and the adapter check from the file (:mod:`cmops.text.reels`). ``POST /{page-id}/video_reels``
with ``upload_phase=start`` gives the ``video_id`` and an ``upload_url`` on
``rupload.facebook.com``; the file is sent there in one request streamed from disk, with the
headers ``Authorization: OAuth <page token>``, ``offset: 0`` and ``file_size``; ``finish``
with ``video_id``, ``video_state=PUBLISHED`` and ``description`` (the post's text) asks
Facebook to publish it once processed. The video's ``status`` is then read until its
``publishing_phase`` is ``complete``; an ``error`` in any phase is a rejection with
Facebook's reason, and a reel still processing when the run must stop is recorded as sent,
as a video is. The Page token is only ever sent to ``rupload.facebook.com`` (or, in tests, to
the loopback ``server``): an ``upload_url`` elsewhere is refused. The Reels API takes 30
API-published reels a Page in 24 hours; cmops does not count them (Graph refuses the 31st).
A reel whose ``finish`` answer was lost is looked up in the Page's feed like any post: the
Page's ``video_reels`` edge cannot be read (developers.facebook.com/docs/graph-api/reference/
page/video_reels, "Reading: You can't perform this operation"), and whether a reel shows in
``/feed`` is not documented either way, so not finding it there sends it to a human (who
checks the Page and runs ``cmops resolve``) rather than posting it twice.
"""

from __future__ import annotations

import io
import json
import mimetypes
import os
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

from cmops.adapters import graph_inbox
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
    wait_for,
)
from cmops.adapters.facebook_reels import LOOPBACK, UPLOAD_SERVER, reel
from cmops.adapters.graph import (
    GONE_CODE,
    LOOKBACK,
    Graph,
    GraphError,
    GraphReading,
    Unreadable,
    graph_check,
    graph_version,
    how_to_resolve,
    insight_values,
)
from cmops.adapters.http import client, send
from cmops.adapters.reading import Counters, InboxItem, parse_time
from cmops.replyto import BadReplyUrl
from cmops.replyto import parse as parse_reply_url
from cmops.text.limits import NETWORKS, NetworkRules

MAX_PAGES = 3
ENGAGEMENT = ("reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0),"
              "shares")
VIDEO_SERVER = "https://graph-video.facebook.com"
"""Where videos must be sent ("instead of the regular Graph API URL"), unless the channel's
``server`` points elsewhere (a test)."""
VIDEO_POLL = 5.0
VIDEO_WAIT = 600.0


class _Slice(io.RawIOBase):
    """Bytes ``start`` to ``end`` (exclusive) of an open file, as a file httpx streams into a
    multipart body (it seeks to 0, measures by seeking to the end, then reads)."""

    def __init__(self, file: io.BufferedReader, start: int, end: int) -> None:
        super().__init__()
        self.file, self.start, self.end, self.at = file, start, end, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.at

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self.at, os.SEEK_END: self.end - self.start}
        self.at = max(0, min(base[whence] + offset, self.end - self.start))
        return self.at

    def read(self, size: int = -1) -> bytes:
        left = self.end - self.start - self.at
        size = left if size < 0 else min(size, left)
        self.file.seek(self.start + self.at)
        data = self.file.read(size)
        self.at += len(data)
        return data


def _comments(adapter: FacebookAdapter, out: Outgoing) -> tuple[str, str]:
    """The comments edge of the post ``out`` goes under, and the Page's id."""
    if out.reply_to is None:
        raise Rejected("a first comment needs the post it goes under")
    version, page = adapter.page.rsplit("/", 1)
    return f"{version}/{out.reply_to.id}/comments", page


def first_comment(adapter: FacebookAdapter, out: Outgoing) -> Remote:
    """The Page's first comment under its post: ``POST /{post-id}/comments`` with
    ``message``, answered ``{"id": …}``; with a Page token the Page is the commenter
    (developers.facebook.com/docs/graph-api/reference/object/comments, "Publishing")."""
    refuse_unsendable(adapter.rules, out)
    edge, _ = _comments(adapter, out)
    found = adapter.graph.post(edge, {"message": out.text})
    return Remote(str(found["id"]), out.reply_to.url if out.reply_to else None)


def find_comment(adapter: FacebookAdapter, out: Outgoing, sent_at: datetime
                 ) -> Remote | None:
    """An unconfirmed first comment: the post's comments (``GET /{post-id}/comments``,
    ``filter=stream`` so none is left out by the default filtering, newest first) holding
    the Page's own comment (``from.id``) with its text, made since the attempt. Not there:
    it did not go out, and sending it is safe (the reference states no delay before a new
    comment is listed: VERIFY)."""
    edge, page = _comments(adapter, out)
    found = own_comment(adapter, edge, page, out.text, sent_at)
    return Remote(found, out.reply_to.url if out.reply_to else None) if found else None


def own_comment(adapter: FacebookAdapter, edge: str, page: str, text: str,
                sent_at: datetime) -> str | None:
    """The id of the Page's comment with ``text`` on ``edge`` (a post's or a comment's
    ``/comments``), made since ``sent_at``; None when there is none."""
    since = sent_at - LOOKBACK
    comments = adapter.graph.get(edge, {
        "fields": "id,message,created_time,from", "filter": "stream",
        "order": "reverse_chronological", "limit": "100"}).get("data") or []
    for comment in comments:
        created = parse_time(comment.get("created_time"))
        if comment.get("message") == text and (comment.get("from") or {}).get(
                "id") == page and created is not None and created >= since:
            return str(comment["id"])
    return None


GONE_SUBCODE = 33
"""Graph's "Object with ID ... does not exist, cannot be loaded due to missing permissions, or
does not support this operation" (code 100): what deleting a node already deleted answers."""


def delete_node(graph: Graph, path: str) -> None:
    """``DELETE path`` on Graph (Facebook and Threads): done, or already gone (code 100 with
    subcode 33, or a plain 404); any other refusal is raised as Graph classified it."""
    try:
        send(graph.redact, lambda: graph_check(
            graph.http.delete(path, params={"access_token": graph.token}), graph.redact))
    except GraphError as exc:
        if exc.code == GONE_CODE and exc.subcode == GONE_SUBCODE:
            return
        raise
    except Rejected as exc:
        if exc.status != 404:
            raise


def _summary(data: Any, edge: str) -> int | None:
    total = ((data.get(edge) or {}).get("summary") or {}).get("total_count")
    return total if isinstance(total, int) and not isinstance(total, bool) else None


class FacebookAdapter:
    network: ClassVar[str] = "facebook"
    reconcile_by: ClassVar[str] = "lookup"
    rules: ClassVar[NetworkRules] = NETWORKS["facebook"]

    def __init__(self, ctx: ChannelContext) -> None:
        page = ctx.settings.get("account")
        token = ctx.secrets.get("page_token", "")
        if not isinstance(page, str | int) or not str(page).isdigit():
            raise NotConfigured(f"channel {ctx.name}: facebook needs account: <page id>")
        if not token:
            raise NotConfigured(f"channel {ctx.name}: facebook needs secrets: "
                                "{page_token: …}")
        server = ctx.settings.get("server", "https://graph.facebook.com")
        self.graph = Graph(ctx, server, token)
        self.video = Graph(ctx, VIDEO_SERVER if server == "https://graph.facebook.com"
                           else server, token)
        loopback = isinstance(server, str) and urlsplit(server).hostname in LOOPBACK
        self.upload_server = server.rstrip("/") if loopback else UPLOAD_SERVER
        """Where a reel's bytes may go: rupload.facebook.com, or a test's loopback server."""
        self.upload = client(ctx, self.upload_server)
        self.reading = GraphReading(self.graph)
        self.version = graph_version(ctx)
        self.page = f"/{self.version}/{page}"
        self.page_id = str(page)
        self.sleep: Callable[[float], None] = time.sleep
        """How the adapter waits between reads of a video's status (tests replace it)."""

    @property
    def unavailable(self) -> dict[str, str]:
        return self.reading.unavailable

    def new_dedupe(self, key: str, part: int, now: datetime) -> str:
        return f"{key}#{part}@{now.isoformat()}"  # recorded for people; Graph takes no key

    def _photo(self, media: Any, caption: str | None, published: bool) -> Any:
        mime = mimetypes.guess_type(media.path.name)[0] or "application/octet-stream"
        data = {"published": "true" if published else "false"}
        if caption:
            data["caption"] = caption
        files = {"source": (media.path.name, media.path.read_bytes(), mime)}
        return self.graph.post(f"{self.page}/photos", data, files)

    def publish(self, out: Outgoing) -> Remote:
        if out.comment:
            return first_comment(self, out)
        refuse_unsendable(self.rules, out)
        if out.reply_url and out.reply_to is None:
            return self._reply(out, out.reply_url)
        if out.reply_to is not None:
            raise Rejected("a Facebook Page post has no threads: send one post")
        if out.format == "reel":
            if len(out.media) != 1 or not self._is_video(out.media[0]):
                raise Rejected(f"a Facebook reel is one video; {out.channel} has "
                               f"{len(out.media)} media, not one video")
            return reel(self, out.media[0], out)
        if out.format != "feed":
            raise Rejected(f"a Facebook Page takes no {out.format}: format: {out.format} is "
                           "for Instagram channels only")
        if len(out.media) == 1 and self._is_video(out.media[0]):
            return self._video(out.media[0], out)
        if len(out.media) == 1:
            found = self._photo(out.media[0], out.text, True)
            post = str(found.get("post_id") or found["id"])
        else:
            data = {"message": out.text}
            if out.card:  # Facebook builds the card from the page itself (Pages API, feed)
                data["link"] = out.card.url
            for i, media in enumerate(out.media):
                photo = self._photo(media, None, False)
                data[f"attached_media[{i}]"] = json.dumps({"media_fbid": str(photo["id"])})
            post = str(self.graph.post(f"{self.page}/feed", data)["id"])
        return Remote(post, f"https://www.facebook.com/{post}")

    @staticmethod
    def _is_video(media: MediaFile) -> bool:
        return (mimetypes.guess_type(media.path.name)[0] or "").startswith("video/")

    def _video(self, media: MediaFile, out: Outgoing) -> Remote:
        """Upload in the chunks Graph asks for, finish with the text, wait for processing."""
        path = f"{self.page}/videos"
        start = self.video.post(path, {"upload_phase": "start",
                                       "file_size": str(media.path.stat().st_size)})
        session, video = str(start["upload_session_id"]), str(start["video_id"])
        offset, end = int(start["start_offset"]), int(start["end_offset"])
        with media.path.open("rb") as file:
            while offset < end:
                chunk = _Slice(file, offset, end)
                got = self.video.post(path, {"upload_phase": "transfer",
                                             "upload_session_id": session,
                                             "start_offset": str(offset)},
                                      {"video_file_chunk": (media.path.name, chunk,
                                                            "application/octet-stream")})
                if int(got["start_offset"]) <= offset:
                    raise Transient(f"Facebook did not take the chunk of {media.rel} at byte "
                                    f"{offset}; not posted", maybe_sent=False)
                offset, end = int(got["start_offset"]), int(got["end_offset"])
        self.video.post(path, {"upload_phase": "finish", "upload_session_id": session,
                               "description": out.text})
        remote = Remote(video, f"https://www.facebook.com/{self.page_id}/videos/{video}")

        def ready() -> Remote | None:
            status = (self.graph.get(f"/{self.version}/{video}", {"fields": "status"})
                      .get("status") or {})
            if status.get("video_status") == "error":
                errors = (status.get("processing_phase") or {}).get("errors") or []
                why = "; ".join(str(e.get("message", "")) for e in errors
                                if isinstance(e, dict)) or "no reason given"
                raise Rejected(self.graph.redact(f"Facebook could not process {media.rel} "
                                                 f"({why}); not posted"))
            return remote if status.get("video_status") == "ready" else None

        try:
            return wait_for(f"Facebook's processing of {media.rel}", ready, every=VIDEO_POLL,
                            most=VIDEO_WAIT, out=out, sleep=self.sleep)
        except Transient:
            # Finished (processing slow, or its status unreadable now): Facebook publishes
            # the video once processed. Sending it again would post it twice: it is sent.
            return remote

    def reconcile(self, out: Outgoing, sent_at: datetime, now: datetime) -> Remote | None:
        if out.comment:
            return find_comment(self, out, sent_at)
        if out.reply_url and out.reply_to is None:
            node = self._answering(out.reply_url)
            found = own_comment(self, f"/{self.version}/{node}/comments", self.page_id,
                                out.text, sent_at)
            return Remote(found, out.reply_url, {"answers": node}) if found else None
        params = {"fields": "id,message,created_time", "limit": "100",
                  "since": str(int((sent_at - LOOKBACK).timestamp()))}
        try:
            page = self.graph.get(f"{self.page}/feed", params)
            for _ in range(MAX_PAGES):
                for post in page.get("data") or []:
                    if post.get("message") == out.text:
                        return Remote(str(post["id"]), f"https://www.facebook.com/{post['id']}")
                cursor = ((page.get("paging") or {}).get("cursors") or {}).get("after")
                if not (page.get("paging") or {}).get("next") or not cursor:
                    break
                page = self.graph.get(f"{self.page}/feed", {**params, "after": cursor})
        except Rejected as exc:
            raise CannotTell(f"a Facebook post sent at {sent_at:%Y-%m-%d %H:%M}Z may have been "
                             f"published, and the Page's feed cannot be read ({exc}): check "
                             f"the Page, then run {how_to_resolve(out)}") from None
        raise CannotTell(f"a Facebook post sent at {sent_at:%Y-%m-%d %H:%M}Z may have been "
                         "published; the Page's feed does not show it (yet?), which proves "
                         f"nothing: check the Page, then run {how_to_resolve(out)}")

    def delete(self, item: Withdrawal) -> None:
        """``DELETE /{post-id}`` (developers.facebook.com/docs/graph-api/reference/post,
        "Deleting": ``{"success": true}``, with the Page token that published it); a first
        comment ``DELETE /{comment-id}`` (.../reference/comment, "Deleting"); a video or a
        reel by its video id, which is what its record holds (.../reference/video,
        "Deleting"). A node already gone: deleted."""
        delete_node(self.graph, f"/{self.version}/{item.remote.id}")

    # -- replies and edits (issue 19) ---------------------------------------------------------
    def _answering(self, url: str) -> str:
        """The Graph node a ``reply_to:`` URL names. A comment (``?comment_id=<c>``) is
        ``{post}_{c}``: reference/comment gives a Page post's comment ids as
        "{pagepost-id}_{comment-id}" (the older "{page-id}_{post_id}_{comment-id}" is
        deprecated), the post part being the number in the URL. A post is the Page post id
        ``{page-id}_{post-id}`` (developers.facebook.com/docs/pages-api/posts), so a post URL
        is taken as one of this channel's Page; a video (``/videos/<id>``) is its own node.
        The web's ``pfbid…`` post links are not numbers, and how they map to a Graph id is not
        documented: refused, with what to do instead."""
        try:
            target = parse_reply_url("facebook", url)
        except BadReplyUrl as exc:
            raise Rejected(f"cannot answer {url}: {exc}") from None
        if not target.post.isdigit():
            raise Rejected(f"cannot answer {url}: {target.post!r} is not a numeric post id, "
                           "and Facebook documents no way from such a link to the Graph "
                           "API's id: open the post from the Page and use the link that "
                           "holds its number (…/posts/<number>)")
        if target.comment:
            return f"{target.post}_{target.id}"
        return target.post if "/videos/" in url else f"{self.page_id}_{target.post}"

    def _reply(self, out: Outgoing, url: str) -> Remote:
        """A reply is a comment: ``POST /{comment-id}/comments`` answers a comment (a
        comment reply), ``POST /{post-id}/comments`` comments on a post, with ``message``
        (developers.facebook.com/docs/graph-api/reference/object/comments, "Publishing");
        answered ``{"id"}``. Its record names what it answers (``extra.answers``)."""
        node = self._answering(url)  # media were refused by the declaration (media.reply)
        try:
            found = self.graph.post(f"/{self.version}/{node}/comments", {"message": out.text})
        except GraphError as exc:
            if exc.code != GONE_CODE:
                raise
            raise Rejected(f"cannot answer {url}: {exc} (deleted, hidden, or not on this "
                           "channel's Page)", exc.status) from None
        return Remote(str(found["id"]), url, {"answers": node})

    @staticmethod
    def _text_field(item: Edit) -> str:
        """Posts and comments hold a ``message``; a video or reel, recorded by its video id
        (the only ids without ``_``), a ``description``."""
        return "message" if "_" in item.remote.id else "description"

    def edit(self, item: Edit) -> None:
        """``POST /{post-id}`` with ``message`` (developers.facebook.com/docs/graph-api/
        reference/post, "Updating"), ``POST /{comment-id}`` with ``message`` (a first comment
        or a reply; reference/comment, "Updating"), ``POST /{video-id}`` with
        ``description`` (a video or reel post; reference/video, "Updating"): answered
        ``{"success": true}``; only the text changes, photos and videos stay. The same text
        again is a success."""
        field = self._text_field(item)
        try:
            self.graph.post(f"/{self.version}/{item.remote.id}", {field: item.text})
        except GraphError as exc:
            if exc.code != GONE_CODE:
                raise
            raise Rejected(f"cannot edit {item.remote.id} on Facebook: {exc} (deleted, or not "
                           "this Page's)", exc.status) from None

    def live_text(self, item: Edit) -> str | None:
        """``GET /{id}?fields=id,message`` (``description`` for a video)."""
        field = self._text_field(item)
        found = self.graph.get(f"/{self.version}/{item.remote.id}", {"fields": f"id,{field}"})
        return str(found.get(field) or "")

    def close(self) -> None:
        self.graph.close()
        self.video.close()
        self.upload.close()

    # -- reading (cmops collect): see cmops.adapters.reading ---------------------------------
    def metrics(self, remotes: Sequence[str]) -> dict[str, Counters | None]:
        out: dict[str, Counters | None] = {}
        for remote in remotes:
            data = self.reading.read(
                f"/{self.version}/{remote}", {"fields": ENGAGEMENT}, "metrics",
                "Facebook: the Page token cannot read engagement (pages_read_engagement)",
                gone=True)
            if data is Unreadable.GONE:
                out[remote] = None
                continue
            if data is Unreadable.DENIED:
                return {**{r: Counters() for r in remotes}, **out}
            shares = data.get("shares")
            out[remote] = Counters(
                likes=_summary(data, "reactions"), comments=_summary(data, "comments"),
                # Graph leaves ``shares`` out of a post nobody shared (VERIFY).
                shares=shares.get("count") if isinstance(shares, dict) else 0,
                impressions=self._impressions(remote))
        return out

    def _impressions(self, remote: str) -> int | None:
        if self.reading.noted("impressions"):
            return None  # refused once in this run: not asked again
        found = self.reading.read(
            f"/{self.version}/{remote}/insights", {"metric": "post_impressions"},
            "impressions", "Facebook: no post impressions for this Page or token",
            gone=True, note_gone=True)
        if isinstance(found, Unreadable):
            return None
        return insight_values(found).get("post_impressions")

    def followers(self) -> int | None:
        data = self.reading.read(
            self.page, {"fields": "followers_count"}, "followers",
            "Facebook: the Page token cannot read the follower count")
        if isinstance(data, Unreadable):
            return None
        count = data.get("followers_count")
        return count if isinstance(count, int) and not isinstance(count, bool) else None

    def inbox(self, cursor: str | None) -> tuple[list[InboxItem], str | None]:
        """The comments under the Page's latest posts (:mod:`cmops.adapters.graph_inbox`);
        mentions of the Page and Messenger are not read in this version."""
        items = graph_inbox.facebook(self, parse_time(cursor))
        return items, graph_inbox.advance(cursor, items)
