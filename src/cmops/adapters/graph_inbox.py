"""The Graph networks' inbox (issue 19): what people write under the account's own recent
posts, read for ``cmops collect`` as items of kind ``reply``: comments under the Facebook
Page's posts and the Instagram account's media, replies under the Threads account's posts.

Bounded on every run: one listing of the account's :data:`POSTS` most recent posts, then at
most :data:`COMMENT_PAGES` pages of :data:`COMMENT_PAGE` comments under each post that has
some, so a run makes at most ``1 + POSTS * COMMENT_PAGES`` requests here. Comments older than
the cursor (the newest ``timestamp`` seen so far) are not returned again; one at the cursor's
own second comes again and collect drops it as known. The account's own comments (its first
comments, its answers) are left out. Each item's URL is one :func:`cmops.replyto.parse` reads
and the channel's adapter answers, so ``cmops reply URL`` answers it; ``in_reply_to`` is the
id of the account's post it is under, the id the ledger records.

A token that may not read them makes the inbox unavailable, with the reason, never an error of
the run: Facebook needs ``pages_read_engagement`` for the Page's posts and
``pages_read_user_content`` for what people comment; Instagram ``instagram_manage_comments``;
Threads ``threads_read_replies``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeGuard

from cmops.adapters.graph import GraphReading, Unreadable
from cmops.adapters.reading import Author, InboxItem, count_field, parse_time
from cmops.replyto import BadReplyUrl, Target
from cmops.replyto import parse as parse_reply_url

if TYPE_CHECKING:
    from cmops.adapters.facebook import FacebookAdapter
    from cmops.adapters.instagram import ContainerAdapter

POSTS = 10
"""The account's most recent posts whose comments are read on each run: the conversations a
community manager answers every day are under the latest posts."""
COMMENT_PAGE = 50
COMMENT_PAGES = 2
"""Pages of comments read under one post (of :data:`COMMENT_PAGE` each, newest first where the
API orders them): a busier post's older comments wait for the network's own tools."""
FB_COMMENT_FIELDS = "id,message,created_time,from,permalink_url"
IG_COMMENT_FIELDS = "id,text,timestamp,username"
TH_REPLY_FIELDS = "id,text,username,timestamp,permalink,is_reply_owned_by_me"


def stamp(when: datetime) -> str:
    """A time in Graph's own ``timestamp`` form (``2026-11-27T07:00:00+0000``)."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def advance(cursor: str | None, items: Iterable[InboxItem]) -> str | None:
    """The cursor after ``items``: the newest of their times and the cursor's own."""
    since = parse_time(cursor)
    newest = max((i.received_at for i in items), default=None)
    if newest is None or (since is not None and newest <= since):
        return cursor
    return stamp(newest)


def _pages(reading: GraphReading, path: str, params: dict[str, str], why: str,
           since: datetime | None, field: str, *, sized: bool = True
           ) -> list[dict[str, Any]] | None:
    """Up to :data:`COMMENT_PAGES` pages of ``path`` (``after`` cursors; ``sized``: of
    :data:`COMMENT_PAGE` asked with ``limit``, a shorter one being the last), stopping at a
    page that reaches past ``since`` (``field`` holds each entry's time; None: their order is
    not documented, so every page is read). None when the token may not read them (noted);
    a post deleted since it was listed has none."""
    found: list[dict[str, Any]] = []
    query = {**params, "limit": str(COMMENT_PAGE)} if sized else dict(params)
    for _ in range(COMMENT_PAGES):
        page = reading.read(path, dict(query), "inbox", why, gone=True)
        if page is Unreadable.DENIED:
            return None
        if page is Unreadable.GONE:
            break
        entries = [e for e in page.get("data") or [] if isinstance(e, dict)]
        found += entries
        after = ((page.get("paging") or {}).get("cursors") or {}).get("after")
        older = since is not None and any(
            (at := parse_time(e.get(field))) is not None and at < since for e in entries)
        if older or not entries or (sized and len(entries) < COMMENT_PAGE) or not after:
            break
        query["after"] = str(after)
    return found


def _fresh(item: InboxItem | None, since: datetime | None) -> TypeGuard[InboxItem]:
    return item is not None and (since is None or item.received_at >= since)


def _target(network: str, url: Any) -> Target | None:
    try:
        return parse_reply_url(network, url) if isinstance(url, str) else None
    except BadReplyUrl:
        return None


# -- Facebook ---------------------------------------------------------------------------------
def facebook(adapter: FacebookAdapter, since: datetime | None) -> list[InboxItem]:
    """``GET /{page-id}/published_posts`` (the Page's own posts, not visitors', newest first;
    developers.facebook.com/docs/graph-api/reference/page/published_posts), each with its
    comment count (``comments.summary(total_count).limit(0)``), then for each post with some
    ``GET /{post-id}/comments`` with ``filter=stream`` (every comment, replies included:
    "Comments returned in a query are based on default filtering. To get all comments ...
    set the filter parameter to stream") and ``order=reverse_chronological``
    (developers.facebook.com/docs/graph-api/reference/object/comments and
    .../page-post/comments). The Page's own comments (``from.id`` the Page) are left out."""
    reading = adapter.reading
    posts = reading.read(f"{adapter.page}/published_posts", {
        "fields": "id,created_time,comments.summary(total_count).limit(0)",
        "limit": str(POSTS)}, "inbox",
        "Facebook: this Page token cannot list the Page's posts (pages_read_engagement)")
    if isinstance(posts, Unreadable):
        return []
    items: list[InboxItem] = []
    for post in (p for p in posts.get("data") or [] if isinstance(p, dict) and "id" in p):
        if (((post.get("comments") or {}).get("summary") or {}).get("total_count")) == 0:
            continue
        comments = _pages(reading, f"/{adapter.version}/{post['id']}/comments", {
            "fields": FB_COMMENT_FIELDS, "filter": "stream",
            "order": "reverse_chronological"},
            "Facebook: this Page token cannot read people's comments "
            "(pages_read_user_content)", since, "created_time")
        if comments is None:
            break
        for comment in comments:
            item = _facebook_item(adapter.page_id, str(post["id"]), comment)
            if _fresh(item, since):
                items.append(item)
    return items


def _facebook_item(page: str, post: str, comment: dict[str, Any]) -> InboxItem | None:
    when = parse_time(comment.get("created_time"))
    who: dict[str, Any] = comment["from"] if isinstance(comment.get("from"), dict) else {}
    if when is None or "id" not in comment or str(who.get("id")) == page:
        return None
    name = str(who.get("name") or "")
    return InboxItem(id=str(comment["id"]), kind="reply", author=Author(handle=name, name=name),
                     text=str(comment.get("message") or ""), received_at=when,
                     url=facebook_url(page, post, str(comment["id"]),
                                      comment.get("permalink_url")),
                     in_reply_to=post)


def facebook_url(page: str, post: str, comment: str, permalink: Any) -> str:
    """The comment's ``permalink_url`` when the reply adapter answers that exact comment from
    it (``/posts/<number>?comment_id=<number>`` making its Graph id
    ``{post number}_{comment number}``, reference/comment); else that same form built from
    the comment's id (a ``pfbid…`` permalink names no Graph id)."""
    found = _target("facebook", permalink)
    if found is not None and found.comment and f"{found.post}_{found.id}" == comment:
        return str(permalink)
    number, _, own = comment.rpartition("_")
    post_number = number or post.rpartition("_")[2]
    return (f"https://www.facebook.com/{page}/posts/{post_number}"
            f"?comment_id={own or comment}")


# -- Instagram --------------------------------------------------------------------------------
def instagram(adapter: ContainerAdapter, since: datetime | None) -> list[InboxItem]:
    """``GET /{ig-user-id}/media`` (newest first, with ``comments_count``, ``shortcode``,
    ``permalink`` and the account's ``username``; developers.facebook.com/docs/
    instagram-platform/instagram-graph-api/reference/ig-user/media), then for each post with
    comments ``GET /{ig-media-id}/comments`` with ``id,text,timestamp,username`` and the
    replies under each (``replies{...}``; reference/ig-media/comments and reference/
    ig-comment/replies; both need ``instagram_manage_comments``). The order of the comments
    is not documented, so both pages are read whatever their times. The account's own
    comments are told by ``username`` (its ``from.id`` is IG-scoped, not documented to equal
    the account id)."""
    reading = adapter.reading
    media = reading.read(f"{adapter.account}/media", {
        "fields": "id,shortcode,permalink,timestamp,comments_count,username",
        "limit": str(POSTS)}, "inbox",
        "Instagram: this token cannot list the account's posts (instagram_basic)")
    if isinstance(media, Unreadable):
        return []
    items: list[InboxItem] = []
    for post in (p for p in media.get("data") or [] if isinstance(p, dict) and "id" in p):
        if count_field(post, "comments_count") == 0:
            continue
        comments = _pages(reading, f"/{adapter.version}/{post['id']}/comments", {
            "fields": f"{IG_COMMENT_FIELDS},replies{{{IG_COMMENT_FIELDS}}}"},
            "Instagram: this token cannot read the comments under the account's posts "
            "(instagram_manage_comments)", None, "timestamp")
        if comments is None:
            break
        found = _target("instagram", post.get("permalink"))
        code = found.post if found else str(post.get("shortcode") or "")
        own = str(post.get("username") or "").lower()
        for comment in comments:
            replies = (comment.get("replies") or {}).get("data") or []
            for entry in [comment, *(r for r in replies if isinstance(r, dict))]:
                item = _instagram_item(str(post["id"]), code, own, entry)
                if _fresh(item, since):
                    items.append(item)
    return items


def _instagram_item(media: str, code: str, own: str, comment: dict[str, Any]
                    ) -> InboxItem | None:
    when = parse_time(comment.get("timestamp"))
    username = str(comment.get("username") or "")
    if when is None or "id" not in comment or (own and username.lower() == own):
        return None
    return InboxItem(
        id=str(comment["id"]), kind="reply",
        author=Author(handle=f"@{username}" if username else "", name=username,
                      url=f"https://www.instagram.com/{username}/" if username else None),
        text=str(comment.get("text") or ""), received_at=when,
        url=f"https://www.instagram.com/p/{code}/c/{comment['id']}/" if code else None,
        in_reply_to=media)


# -- Threads ----------------------------------------------------------------------------------
def threads(adapter: ContainerAdapter, since: datetime | None) -> list[InboxItem]:
    """``GET /{threads-user-id}/threads`` (the account's latest posts, with ``has_replies``;
    developers.facebook.com/documentation/threads/retrieve-and-discover-posts/retrieve-posts),
    then for each with replies ``GET /{media-id}/conversation`` (every reply at any depth,
    newest first by default, ``reverse=true``; developers.facebook.com/documentation/threads/
    retrieve-and-manage-replies/replies-and-conversations; ``threads_read_replies``; its
    parameters are ``reverse`` and the cursors, no ``limit`` is documented, so the page is
    Threads' own size). The
    account's own replies (``is_reply_owned_by_me``) are left out; ``permalink`` is the
    reply's ``/@<user>/post/<code>`` address, which the reply adapter finds again among the
    conversations of the account's latest posts."""
    reading = adapter.reading
    posts = reading.read(f"{adapter.account}/threads", {
        "fields": "id,timestamp,has_replies", "limit": str(POSTS)}, "inbox",
        "Threads: this token cannot list the account's posts (threads_basic)")
    if isinstance(posts, Unreadable):
        return []
    items: list[InboxItem] = []
    for post in (p for p in posts.get("data") or [] if isinstance(p, dict) and "id" in p):
        if post.get("has_replies") is False:
            continue
        replies = _pages(reading, f"/{adapter.version}/{post['id']}/conversation",
                         {"fields": TH_REPLY_FIELDS},
                         "Threads: this token cannot read the replies under the account's "
                         "posts (threads_read_replies)", since, "timestamp", sized=False)
        if replies is None:
            break
        for reply in replies:
            item = _threads_item(str(post["id"]), reply)
            if _fresh(item, since):
                items.append(item)
    return items


def _threads_item(post: str, reply: dict[str, Any]) -> InboxItem | None:
    when = parse_time(reply.get("timestamp"))
    if when is None or "id" not in reply or reply.get("is_reply_owned_by_me") is True:
        return None
    username = str(reply.get("username") or "")
    link = reply.get("permalink")
    return InboxItem(
        id=str(reply["id"]), kind="reply",
        author=Author(handle=f"@{username}" if username else "", name=username,
                      url=f"https://www.threads.net/@{username}" if username else None),
        text=str(reply.get("text") or ""), received_at=when,
        url=str(link) if _target("threads", link) is not None else None, in_reply_to=post)

