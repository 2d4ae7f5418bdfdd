"""Instagram replies (issue 19): a post with ``reply_to:`` goes out as a comment, text only.

A comment's URL (``instagram.com/p/<code>/c/<comment id>/``) is answered with ``POST
/{ig-comment-id}/replies`` and ``message`` (developers.facebook.com/docs/instagram-platform/
instagram-graph-api/reference/ig-comment/replies): "You can only reply to top-level comments;
replies to a reply will be added to the top-level comment", and not to hidden comments. A
post's URL (``instagram.com/p/<code>/``) is answered with a comment on it, ``POST
/{ig-media-id}/comments`` (reference/ig-media/comments), whose media id is found from the
shortcode among the account's own media (``GET /{ig-user-id}/media`` with ``shortcode``,
reference/ig-user/media): the comment endpoints work on "IG Media owned by your app users"
(developers.facebook.com/docs/instagram-platform/comment-moderation). A post of another
account that mentions this one can only be commented through ``/{ig-user-id}/mentions`` with
the media id a webhook gives, which cmops does not receive: such a URL is refused, saying so.
Every comment call needs ``instagram_manage_comments``.

The reply's Remote carries the URL it answers (``answers``) and the top-level comment it
sits under (``thread``): a first comment under a reply answers in that same thread.
Instagram's API deletes no comment for cmops, so a withdrawn reply goes to a human.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from cmops.adapters.base import Outgoing, Rejected, Remote
from cmops.adapters.graph import LOOKBACK, Unreadable, unreadable
from cmops.adapters.reading import parse_time
from cmops.replyto import BadReplyUrl
from cmops.replyto import parse as parse_reply_url

if TYPE_CHECKING:
    from cmops.adapters.instagram import ContainerAdapter

MEDIA_PAGE = 50
MEDIA_PAGES = 4
"""The account's latest posts searched for a post URL's shortcode: 4 pages of 50."""


def answer(adapter: ContainerAdapter, out: Outgoing) -> Remote:
    """Send ``out`` as the comment answering ``out.reply_url``."""
    url = str(out.reply_url)
    if out.media:
        files = ", ".join(f"'{m.rel}'" for m in out.media)
        raise Rejected(f"not sent: an Instagram reply is a comment, text only: {files} "
                       f"cannot go with it (answering {url}); remove the media")
    if out.parts > 1:
        raise Rejected(f"not sent: an Instagram reply is one comment, not a thread of "
                       f"{out.parts} (answering {url})")
    edge, link, extra = _target(adapter, url)
    try:
        found = adapter.graph.post(edge, {"message": out.text})
    except Rejected as exc:
        raise _refusal(url, exc) from None
    made = str(found["id"])
    return Remote(made, link, {"thread": made, **extra})


def thread_edge(adapter: ContainerAdapter, parent: Remote) -> str:
    """Where an answer under ``parent`` goes: the replies of its top-level comment when
    ``parent`` is a reply (its ``thread``), else the comments of the media it is."""
    thread = parent.extra.get("thread")
    return f"/{adapter.version}/{thread}/replies" if thread \
        else f"/{adapter.version}/{parent.id}/comments"


def find(adapter: ContainerAdapter, edge: str, text: str, sent_at: datetime,
         now: datetime) -> str | None:
    """The id of the comment holding ``text`` made since the attempt, among those at
    ``edge`` (``GET`` with ``id,text,timestamp``, as both references list them); the
    commenter's id is IG-scoped, so text and time decide."""
    since, until = sent_at - LOOKBACK, now + LOOKBACK
    comments = adapter.graph.get(edge, {"fields": "id,text,timestamp",
                                        "limit": "50"}).get("data") or []
    for comment in comments:
        created = parse_time(comment.get("timestamp"))
        if comment.get("text") == text and created is not None and since <= created <= until:
            return str(comment["id"])
    return None


def find_answer(adapter: ContainerAdapter, out: Outgoing, sent_at: datetime,
                now: datetime) -> Remote | None:
    """An unconfirmed reply: looked for where it was sent. Not there (or the message it
    answers gone): it did not go out, and sending it is safe (a gone message is then
    refused clearly)."""
    url = str(out.reply_url)
    edge, link, extra = _target(adapter, url)
    try:
        found = find(adapter, edge, out.text, sent_at, now)
    except Rejected as exc:
        if unreadable(exc) is Unreadable.GONE:
            return None
        raise
    return Remote(found, link, {"thread": found, **extra}) if found else None


def _target(adapter: ContainerAdapter, url: str) -> tuple[str, str, dict[str, str]]:
    """(the edge the answer is posted to, the Remote's URL, its extras)."""
    try:
        target = parse_reply_url("instagram", url)
    except BadReplyUrl as exc:
        raise Rejected(f"cannot answer {url}: {exc}") from None
    if target.comment:
        return f"/{adapter.version}/{target.id}/replies", url, {"answers": url,
                                                                "thread": target.id}
    media, link = _own_media(adapter, target.post, url)
    return f"/{adapter.version}/{media}/comments", link, {"answers": url, "media": media}


def _own_media(adapter: ContainerAdapter, code: str, url: str) -> tuple[str, str]:
    """(media id, permalink) of the account's post with shortcode ``code``."""
    params = {"fields": "id,shortcode,permalink", "limit": str(MEDIA_PAGE)}
    for _ in range(MEDIA_PAGES):
        page = adapter.graph.get(f"{adapter.account}/media", dict(params))
        for media in page.get("data") or []:
            link = str(media.get("permalink") or "")
            if code in (media.get("shortcode"), link.rstrip("/").rpartition("/")[2]):
                return str(media["id"]), link or url
        after = ((page.get("paging") or {}).get("cursors") or {}).get("after")
        if not (page.get("paging") or {}).get("next") or not after:
            break
        params["after"] = str(after)
    raise Rejected(f"cannot answer {url}: it is not among the account's latest "
                   f"{MEDIA_PAGE * MEDIA_PAGES} posts, and Instagram's API comments only on "
                   "the account's own posts (a post mentioning the account can be answered "
                   "only by its webhook's media id, which cmops does not receive): answer a "
                   "comment by its URL (…/p/<code>/c/<comment id>/), or answer on Instagram "
                   "by hand")


def _refusal(url: str, exc: Rejected) -> Rejected:
    kind = unreadable(exc)
    if kind is Unreadable.GONE:
        return Rejected(f"cannot answer {url}: Instagram has no such comment or post for "
                        f"this account ({exc}): deleted, hidden, or not under the account's "
                        "own posts", exc.status)
    if kind is Unreadable.DENIED:
        return Rejected(f"Instagram refused to answer {url} ({exc}): the token needs the "
                        "instagram_manage_comments permission (authorize the app again with "
                        "it), or answer it by hand", exc.status)
    return exc
