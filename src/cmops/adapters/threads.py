"""Threads, through the Threads API: the same container flow as Instagram (create on
``/{user-id}/threads``, publish with ``/threads_publish``), text posts allowed, and threads
as replies (``reply_to_id``) (developers.facebook.com/docs/threads/posts).

Setup: in Meta for Developers create an app with the "Access the Threads API" use case,
grant ``threads_basic`` and ``threads_content_publish``, run the authorization flow once and
exchange the code for a long-lived token (60 days; refresh it with ``th_refresh_token``
before then). The user id is ``GET /me`` with that token. Images are fetched by Threads from a
public URL::

    threads-main:
      network: threads
      account: "12345678901234567"
      media_base_url: https://media.example.org/
      secrets: {token: THREADS_TOKEN}

Videos are ``VIDEO`` containers (``video_url``), alone or as carousel items, waited for
like Instagram's (up to 5 minutes, within the run's time left); every image and video carries
its alt text (``alt_text``). What Threads does not allow: more than 5 links in a post
(validation stops it first), more than 250 published posts in 24 hours, reels or stories.
Reading (``cmops collect``): views, likes, replies, reposts and quotes per post and the
follower count come from insights, which need ``threads_manage_insights`` (without it they
are recorded as unavailable, never as zero); the inbox holds the replies under the
account's latest posts (``cmops/adapters/graph_inbox.py``; ``threads_read_replies``, else it
is recorded as unavailable); mentions are not read in this version.

A post with ``reply_to: https://www.threads.net/@<user>/post/<code>`` answers that post. The
URL carries a shortcode, not the media id ``reply_to_id`` needs, and Threads has no lookup by
shortcode: cmops looks for it among the account's latest posts, then its mentions, then the
replies under its latest posts (a few pages each), which is where the messages a community
manager answers are; one found nowhere there is refused, naming it. Answering needs
``threads_manage_replies``, and a post outside the account's own threads
``threads_manage_mentions`` (reading them ``threads_read_replies``).

Exactly-once: as Instagram: the container's status says whether it was published, and the
account's posts since the attempt (``since`` and each post's ``timestamp``, so an older post
with the same words is never taken for it) give the id. A thread's later parts are replies,
which the account's post list leaves out, so an unconfirmed part goes to a human; an
unconfirmed reply to a URL is looked for among the account's replies (``GET /{user}/replies``,
its text, time and parent), and goes to a human when not there.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, ClassVar

from cmops.adapters import graph_inbox
from cmops.adapters.base import (
    CannotTell,
    ChannelContext,
    MediaFile,
    Outgoing,
    Rejected,
    Remote,
    Withdrawal,
)
from cmops.adapters.facebook import delete_node
from cmops.adapters.graph import (
    LOOKBACK,
    Unreadable,
    how_to_resolve,
    insight_values,
    unreadable,
)
from cmops.adapters.instagram import ContainerAdapter, is_video
from cmops.adapters.reading import Counters, InboxItem, parse_time
from cmops.replyto import BadReplyUrl
from cmops.replyto import parse as parse_reply_url
from cmops.text.limits import NETWORKS, NetworkRules

POST_METRICS = "views,likes,replies,reposts,quotes"
LOOKUP_FIELDS = "id,shortcode,permalink"
LOOKUP_POSTS = 25
"""The account's latest posts looked at for a reply's target (one page), and whose
conversations are searched."""
LOOKUP_PAGES = 3
"""Pages of mentions read when looking for a reply's target."""
CONVERSATIONS = 10
"""The account's latest posts with replies whose conversation (first page) is searched."""


class ThreadsAdapter(ContainerAdapter):
    network: ClassVar[str] = "threads"
    rules: ClassVar[NetworkRules] = NETWORKS["threads"]
    host: ClassVar[str] = "https://graph.threads.net"
    default_version: ClassVar[str] = "v1.0"
    create_edge: ClassVar[str] = "threads"
    publish_edge: ClassVar[str] = "threads_publish"
    status_field: ClassVar[str] = "status"
    reason_field: ClassVar[str] = "error_message"
    """Why a container failed (developers.facebook.com/docs/threads/troubleshooting:
    ``GET /{container}?fields=status,error_message``)."""
    text_field: ClassVar[str] = "text"

    def __init__(self, ctx: ChannelContext, sleep: Callable[[float], None] = time.sleep
                 ) -> None:
        super().__init__(ctx, sleep)
        self.answered_ids: dict[str, str] = {}
        """A reply's URL -> the media id it was found to name, in this run."""

    @property
    def unavailable(self) -> dict[str, str]:
        return self.reading.unavailable

    def fields(self, out: Outgoing) -> dict[str, str]:
        if out.format != "feed":
            raise Rejected(f"Threads has no {out.format}s: only Instagram takes format: "
                           f"{out.format}")
        reply = {"reply_to_id": out.reply_to.id} if out.reply_to else \
            {"reply_to_id": self.answering(out.reply_url)} if out.reply_url else {}
        if not out.media:
            return {"media_type": "TEXT", "text": out.text, **reply}
        if len(out.media) == 1:
            return {**self.one(out.media[0], False), "text": out.text, **reply}
        return {"media_type": "CAROUSEL", "children": self.children(out), "text": out.text,
                **reply}

    def one(self, media: MediaFile, item: bool) -> dict[str, str]:
        """An ``IMAGE`` or ``VIDEO`` container (alone, or a carousel item), with its
        ``alt_text`` ("For images and videos only", developers.facebook.com/docs/threads/
        posts/accessibility)."""
        video = is_video(media)
        fields = {"media_type": "VIDEO" if video else "IMAGE",
                  "video_url" if video else "image_url": self.public_url(media)}
        if media.alt:
            fields["alt_text"] = media.alt
        if item:
            fields["is_carousel_item"] = "true"
        return fields

    def item(self, media: MediaFile) -> dict[str, str]:
        return self.one(media, True)

    def before(self, out: Outgoing) -> None:
        """The 250-post quota is enforced by ``threads_publish`` itself."""

    def publish(self, out: Outgoing) -> Remote:
        """A post, a thread part, or (``reply_url`` on the main post) a reply: a container
        with ``reply_to_id`` (developers.facebook.com/documentation/threads/
        retrieve-and-manage-replies/create-replies). Refusals of a reply name its URL and,
        for a permission, which one."""
        if not out.reply_url or out.reply_to is not None:
            return super().publish(out)
        url = out.reply_url
        try:
            remote = super().publish(out)
        except Rejected as exc:
            if url not in self.answered_ids:
                raise  # refused before the target was known: the message says why
            kind = unreadable(exc)
            if kind is Unreadable.DENIED:
                raise Rejected(f"Threads refused to answer {url} ({exc}): the token needs "
                               "threads_manage_replies, and threads_manage_mentions to answer "
                               "a post outside the account's own threads (authorize the app "
                               "again with them), or answer it by hand", exc.status) from None
            if kind is Unreadable.GONE:
                raise Rejected(f"cannot answer {url}: Threads no longer has it ({exc}): "
                               "deleted, or hidden from this account", exc.status) from None
            raise
        return Remote(remote.id, remote.url, {"in_reply_to": self.answered_ids[url]})

    def answering(self, url: str) -> str:
        """The media id of the post ``url`` names (``/@<user>/post/<shortcode>``). Threads
        has no lookup by shortcode, so it is searched where the messages a community
        manager answers are, each listing carrying ``shortcode`` and ``permalink``: the
        account's latest posts (``GET /{user}/threads``, developers.facebook.com/
        documentation/threads/reference/user), the posts mentioning it (``GET /{user}/
        mentions``, .../threads/threads-mentions; ``threads_manage_mentions``, at most
        :data:`LOOKUP_PAGES` pages), and the replies under its latest posts that have some
        (``GET /{media-id}/conversation``, every depth, .../threads/reference/
        reply-management; ``threads_read_replies``, the first page of :data:`CONVERSATIONS`
        posts). Not found: refused, naming the URL and what could not be read."""
        if url in self.answered_ids:
            return self.answered_ids[url]
        try:
            code = parse_reply_url("threads", url).post
        except BadReplyUrl as exc:
            raise Rejected(f"cannot answer {url}: {exc}") from None
        unread: list[str] = []
        posts = self.graph.get(f"{self.account}/threads", {
            "fields": f"{LOOKUP_FIELDS},has_replies",
            "limit": str(LOOKUP_POSTS)}).get("data") or []
        found = _with_code(posts, code)
        params = {"fields": LOOKUP_FIELDS, "limit": "50"}
        for _ in range(LOOKUP_PAGES if found is None else 0):
            page = self._listing(f"{self.account}/mentions", params, unread,
                                 "mentions (threads_manage_mentions)")
            found = _with_code(page.get("data") or [], code)
            after = ((page.get("paging") or {}).get("cursors") or {}).get("after")
            if found is not None or len(page.get("data") or []) < 50 or not after:
                break
            params["after"] = str(after)
        answered = [p for p in posts if p.get("has_replies")][:CONVERSATIONS]
        for post in answered if found is None else []:
            page = self._listing(f"/{self.version}/{post['id']}/conversation",
                                 {"fields": LOOKUP_FIELDS}, unread,
                                 "replies (threads_read_replies)")
            found = _with_code(page.get("data") or [], code)
            if found is not None or not page:
                break
        if found is None:
            because = f"; this token cannot read its {' or '.join(unread)}" if unread else ""
            raise Rejected(f"cannot answer {url}: no Threads post with code {code} among the "
                           f"account's latest {LOOKUP_POSTS} posts, its mentions or the "
                           f"replies under its posts{because} (deleted, private, or older: "
                           "answer it on Threads by hand)")
        self.answered_ids[url] = found
        return found

    def _listing(self, path: str, params: dict[str, str], unread: list[str],
                 what: str) -> Any:
        """One page of a listing, or nothing (``what`` noted in ``unread``) when the token
        may not read it."""
        try:
            return self.graph.get(path, dict(params))
        except Rejected as exc:
            if unreadable(exc) is not Unreadable.DENIED:
                raise
            unread.append(what)
            return {}

    def reconcile(self, out: Outgoing, sent_at: datetime, now: datetime) -> Remote | None:
        """The container's status when this run made it; else the account's posts since the
        attempt (``GET /{threads-user-id}/threads`` with ``since``; its fields include
        ``timestamp``). That list holds no replies ("To retrieve posts that are replies,
        refer to Retrieve User Replies", developers.facebook.com/documentation/threads/
        retrieve-and-discover-posts/retrieve-posts): a thread part is left to a human, and
        a reply to a URL is looked for among the account's replies (:meth:`lost_reply`)."""
        if self.never_published(out):
            return None
        maybe = f"a Threads post sent at {sent_at:%Y-%m-%d %H:%M}Z may have been published"
        if out.reply_to is None and out.reply_url:
            found = self.lost_reply(out, sent_at, maybe)
            if found is not None:
                return found
            raise CannotTell(f"{maybe}; it answers {out.reply_url} and is not among the "
                             "account's replies since then: check the conversation, then run "
                             f"{how_to_resolve(out)}")
        if out.reply_to is not None:
            raise CannotTell(f"{maybe}; it answers {out.reply_to.id}, and the account's post "
                             f"list leaves replies out: check the thread, then run "
                             f"{how_to_resolve(out)}")
        since = sent_at - LOOKBACK
        posts = self.graph.get(f"{self.account}/threads", {
            "fields": "id,text,timestamp,permalink", "since": str(int(since.timestamp())),
            "limit": "100"}).get("data") or []
        for post in posts:
            created = parse_time(post.get("timestamp"))
            if post.get("text") == out.text and created is not None and created >= since:
                link = post.get("permalink")
                return Remote(str(post["id"]), link if isinstance(link, str) else None)
        raise CannotTell(f"{maybe} and is not among the account's posts since then: check "
                         f"the account, then run {how_to_resolve(out)}")

    def lost_reply(self, out: Outgoing, sent_at: datetime, maybe: str) -> Remote | None:
        """The account's reply holding ``out.text``, made since the attempt, answering the
        post ``out.reply_url`` names when that can still be found: ``GET /{threads-user-id}/
        replies`` with ``since`` (the user's replies, newest first; "Retrieve User Replies",
        developers.facebook.com/documentation/threads/retrieve-and-manage-replies; its
        ``replied_to`` field names the parent; ``threads_read_replies``)."""
        since = sent_at - LOOKBACK
        try:
            parent: str | None = self.answering(str(out.reply_url))
        except Rejected:
            parent = None  # gone since: text and time decide
        try:
            replies = self.graph.get(f"{self.account}/replies", {
                "fields": "id,text,timestamp,permalink,replied_to",
                "since": str(int(since.timestamp())), "limit": "100"}).get("data") or []
        except Rejected as exc:
            if unreadable(exc) is not Unreadable.DENIED:
                raise
            raise CannotTell(f"{maybe}; it answers {out.reply_url}, and this token cannot "
                             f"read the account's replies ({exc}; threads_read_replies): "
                             f"check the conversation, then run {how_to_resolve(out)}"
                             ) from None
        for reply in replies:
            created = parse_time(reply.get("timestamp"))
            answers = (reply.get("replied_to") or {}).get("id")
            if reply.get("text") == out.text and created is not None and created >= since \
                    and (parent is None or answers in (None, parent)):
                link = reply.get("permalink")
                extra = {"in_reply_to": str(answers or parent)} if answers or parent else {}
                return Remote(str(reply["id"]), link if isinstance(link, str) else None,
                              extra)
        return None

    def delete(self, item: Withdrawal) -> None:
        """``DELETE /{threads-media-id}`` (developers.facebook.com/docs/threads/posts/
        delete-posts: ``{"success": true, "deleted_id": …}``); a thread part or a first
        comment (a self-reply) is a post of its own. It needs the ``threads_delete``
        permission, and Threads takes 100 deletes a day per account (not counted here: a
        refusal says so). What deleting an already deleted post answers is not documented:
        Graph's "does not exist" (code 100, subcode 33) is taken as deleted."""
        try:
            delete_node(self.graph, f"/{self.version}/{item.remote.id}")
        except Rejected as exc:
            if unreadable(exc) is Unreadable.DENIED:
                raise Rejected(f"Threads refused to delete {item.remote.id} ({exc}): the "
                               "token needs the threads_delete permission (authorize the app "
                               "again with it), or delete the post by hand",
                               status=exc.status) from None
            raise

    # -- reading (cmops collect): see cmops.adapters.reading ---------------------------------
    def metrics(self, remotes: Sequence[str]) -> dict[str, Counters | None]:
        out: dict[str, Counters | None] = {}
        for remote in remotes:
            data = self.reading.read(f"/{self.version}/{remote}/insights",
                                     {"metric": POST_METRICS}, "metrics",
                                     "Threads: post insights need threads_manage_insights",
                                     gone=True)
            if data is Unreadable.GONE:
                out[remote] = None
                continue
            if data is Unreadable.DENIED:
                return {**{r: Counters() for r in remotes}, **out}
            found = insight_values(data)
            out[remote] = Counters(likes=found.get("likes"), comments=found.get("replies"),
                                   shares=found.get("reposts"), quotes=found.get("quotes"),
                                   impressions=found.get("views"))
        return out

    def followers(self) -> int | None:
        data = self.reading.read(f"{self.account}/threads_insights",
                                 {"metric": "followers_count"}, "followers",
                                 "Threads: the follower count needs threads_manage_insights")
        return None if isinstance(data, Unreadable) else insight_values(data).get(
            "followers_count")

    def inbox(self, cursor: str | None) -> tuple[list[InboxItem], str | None]:
        """The replies under the account's latest posts (:mod:`cmops.adapters.graph_inbox`);
        mentions are not read in this version."""
        items = graph_inbox.threads(self, parse_time(cursor))
        return items, graph_inbox.advance(cursor, items)


def _with_code(posts: Sequence[Any], code: str) -> str | None:
    """The id of the post among ``posts`` whose ``shortcode`` (or permalink's last part) is
    ``code``."""
    for post in posts:
        if not isinstance(post, dict) or "id" not in post:
            continue
        link = str(post.get("permalink") or "").rstrip("/").rpartition("/")[2]
        if code in (post.get("shortcode"), link):
            return str(post["id"])
    return None
