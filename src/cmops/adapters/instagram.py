"""Instagram, through the Graph API's content publishing: create a container from a public
image URL, wait until it is ``FINISHED``, then ``media_publish`` it
(developers.facebook.com/docs/instagram-platform/content-publishing). Also the container
flow Threads borrows.

Setup: the Instagram account must be a professional (Business or Creator) account linked to
a Facebook Page. In Meta for Developers create a Business app with "Instagram API with
Facebook Login", grant ``instagram_basic``, ``instagram_content_publish`` and
``pages_read_engagement``, and get a long-lived token (or a system user's token). The
account id is ``GET /me/accounts?fields=instagram_business_account``. Instagram downloads
each image and video itself, from a public address: with ``media_layout: prepared``,
``cmops report`` writes the file prepared for it into the GitHub Pages site at
``media/<sha256>.<ext>``, named by its content, and cmops waits until that address answers
(every 10 s, at most 3 minutes) before creating the post::

    instagram-main:
      network: instagram
      account: "17841400000000000"
      media_base_url: https://OWNER.github.io/REPOSITORY/report/
      media_layout: prepared    # default: repository (base + the file's repository path)
      secrets: {token: IG_TOKEN}

A single video goes out as a reel (``REELS``: Instagram publishes feed videos as Reels), with
the variant's ``share_to_feed`` and the media item's ``cover`` or ``thumb_offset``; several
images or videos as a carousel; a variant's ``format: story`` makes a story (one image or
video, no caption). Instagram prepares a video before it can be published: cmops checks
every 20 s for up to 5 minutes, within the run's time left, then leaves it for the next run.

A post with ``reply_to:`` (a comment's URL, or one of the account's own posts) goes out as
a comment answering it, text only (``cmops/adapters/instagram_replies.py``; needs
``instagram_manage_comments``). What Instagram does not allow: other text-only posts,
threads, alt text on anything but images, editing a caption once published; 50 published
posts per 24 hours (checked before each post). Reading (``cmops collect``): likes and
comments per post, ``views`` and ``shares`` insights (Meta deprecated ``impressions`` in
2025; cmops reads ``views`` in its place, which Meta counts differently, so the two are not
compared across that date), ``followers_count``, mentions as the posts the account is
tagged in (``/tags``), and the comments people leave under its latest posts
(``cmops/adapters/graph_inbox.py``). Insights need ``instagram_manage_insights``, ``/tags``
and comments ``instagram_manage_comments``: without them those reads are recorded as
unavailable, never as zero. DMs are not read in this version.

Exactly-once: a container is only a draft; if the answer to ``media_publish`` was lost, the
container's status says whether it went out (``PUBLISHED``), and the account's recent media
give its id. When neither can tell, a human decides.
"""

from __future__ import annotations

import mimetypes
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from cmops.adapters import graph_inbox
from cmops.adapters import instagram_replies as replies
from cmops.adapters.base import (
    CannotTell,
    ChannelContext,
    MediaFile,
    NotConfigured,
    Outgoing,
    Rejected,
    Remote,
    Transient,
    refuse_unsendable,
    wait_for,
)
from cmops.adapters.graph import (
    GRAPH_VERSION,
    LOOKBACK,
    Graph,
    GraphReading,
    Unreadable,
    graph_version,
    how_to_resolve,
    insight_values,
)
from cmops.adapters.http import USER_AGENT
from cmops.adapters.reading import Author, Counters, InboxItem
from cmops.adapters.reading import parse_time as _time
from cmops.apiversions import BY_NETWORK as VERSIONED
from cmops.mediaurls import served
from cmops.prepare import Unpreparable
from cmops.text.limits import DEFAULT_LAYOUT, LAYOUTS, NETWORKS, NetworkRules
from cmops.workspace import OutsideRepository, media_file

POLLS = 10
POLL_SECONDS = 3.0
VIDEO_POLL = 20.0
VIDEO_WAIT = 300.0
"""How long a video container is waited for (the Content Publishing guide: no more than 5
minutes); a slower one is a Transient with nothing published, tried again next run."""
URL_POLL = 10.0
URL_WAIT = 180.0
"""How long a media URL is waited for before a container is made: the report workflow
deploying the site usually takes a minute or two after a merge."""
TAG_FIELDS = "id,caption,timestamp,username,permalink"
FIRST_TAGS = 20
"""Tagged posts read on the first run (no cursor yet)."""
TAG_PAGE = 50
TAG_PAGES = 4


class UrlProbe:
    """Asks a media URL whether it serves the file, as the network will fetch it: ``HEAD``,
    or where HEAD is refused (405, 501) ``GET`` with ``Range: bytes=0-0`` (one byte, the
    body never read). Redirects are followed (a Pages site with its own domain answers
    ``github.io`` with a 301)."""

    def __init__(self, ctx: ChannelContext) -> None:
        self.http = httpx.Client(transport=ctx.transport, timeout=ctx.timeout,
                                 headers={"User-Agent": USER_AGENT}, follow_redirects=True)

    def answer(self, url: str, size: int) -> str | None:
        """None when ``url`` answers 200 (or 206) with ``size`` bytes (any size when the
        server does not say, or ``size`` is 0); else what it answered, for the message."""
        try:
            response = self.http.head(url)
            if response.status_code in (405, 501):
                with self.http.stream("GET", url, headers={"Range": "bytes=0-0"}) as response:
                    pass
        except httpx.HTTPError as exc:
            return f"nothing ({type(exc).__name__})"
        status = response.status_code
        if status == 206:
            total = response.headers.get("Content-Range", "").rpartition("/")[2]
        elif status == 200:
            total = response.headers.get("Content-Length", "")
        else:
            return str(status)
        if size and total.isdigit() and int(total) != size:
            return f"{status} with {total} bytes, not the {size} prepared"
        return None

    def close(self) -> None:
        self.http.close()


class ContainerAdapter:
    """The two-step container flow shared by Instagram and Threads."""

    network: ClassVar[str] = "instagram"
    reconcile_by: ClassVar[str] = "lookup"
    rules: ClassVar[NetworkRules] = NETWORKS["instagram"]
    host: ClassVar[str] = "https://graph.facebook.com"
    default_version: ClassVar[str] = GRAPH_VERSION
    """The API version called where the network has no ``version:`` setting (Threads)."""
    create_edge: ClassVar[str] = "media"
    publish_edge: ClassVar[str] = "media_publish"
    status_field: ClassVar[str] = "status_code"
    reason_field: ClassVar[str] = "status"
    """The container's field saying why it failed (IG Container: ``status``, "if
    status_code is ERROR, this value will be an error subcode")."""
    text_field: ClassVar[str] = "caption"

    def __init__(self, ctx: ChannelContext, sleep: Callable[[float], None] = time.sleep
                 ) -> None:
        account = ctx.settings.get("account")
        token = ctx.secrets.get("token", "")
        if not isinstance(account, str | int) or not str(account).isdigit():
            raise NotConfigured(f"channel {ctx.name}: {self.network} needs account: <user id>")
        if not token:
            raise NotConfigured(f"channel {ctx.name}: {self.network} needs secrets: "
                                "{token: …}")
        base = ctx.settings.get("media_base_url")
        self.media_base = base.rstrip("/") + "/" if isinstance(base, str) and base.startswith(
            "https://") else None
        layout = ctx.settings.get("media_layout", DEFAULT_LAYOUT)
        if layout not in LAYOUTS:
            raise NotConfigured(f"channel {ctx.name}: media_layout must be one of "
                                f"{', '.join(LAYOUTS)}, not {layout!r}")
        self.layout, self.root = str(layout), ctx.root
        self.prober = UrlProbe(ctx)
        self.probe: Callable[[str, int], str | None] = self.prober.answer
        """Whether a media URL serves the expected bytes: None when it does, else what it
        answered (see :class:`UrlProbe`); replaced in tests."""
        self.answered: set[str] = set()
        self.named: dict[Path, tuple[str, int]] = {}
        """File -> (its URL, its size) under the ``prepared`` layout, in this run."""
        self.graph = Graph(ctx, ctx.settings.get("server", self.host), token)
        self.reading = GraphReading(self.graph)
        """The reading side (Instagram and Threads readers), built on the same client."""
        self.version = graph_version(ctx) if ctx.network in VERSIONED \
            else self.default_version
        self.account = f"/{self.version}/{account}"
        self.sleep = sleep
        self.poll_seconds = float(ctx.settings.get("poll_seconds", POLL_SECONDS))
        self.containers: dict[str, str] = {}
        """Dedupe key -> the container created for it in this run."""

    def new_dedupe(self, key: str, part: int, now: datetime) -> str:
        return f"{key}#{part}@{now.isoformat()}"  # recorded for people: containers are drafts

    def public_url(self, media: MediaFile | str) -> str:
        """Where the network fetches ``media`` (a reel's cover: a repository path). Layout
        ``prepared``: the file as :mod:`cmops.mediaurls` serves it (``cmops report`` writes
        it into the site at that path); ``repository``: the original at its repository
        path."""
        return self._served(media)[0]

    def _served(self, media: MediaFile | str) -> tuple[str, int | None]:
        """(URL, expected size in bytes, None under the ``repository`` layout)."""
        if self.media_base is None:
            raise NotConfigured(f"{self.network} fetches media from a public URL: set the "
                                "channel's media_base_url (https://…)")
        rel = media if isinstance(media, str) else media.rel
        if self.layout == "repository":
            return self.media_base + quote(rel.lstrip("/")), None
        try:
            file = media_file(self.root, rel) if isinstance(media, str) else media.path
        except OutsideRepository as exc:
            raise Rejected(f"not sent: {exc}") from None
        if file not in self.named:  # asked again when the container is made: prepared once
            try:
                found = served(file, self.rules)
            except (Unpreparable, OSError) as exc:
                raise Rejected(f"not sent: '{rel}' cannot be served to {self.network}: "
                               f"{exc}") from None
            self.named[file] = (self.media_base + found.path, len(found.data))
        return self.named[file]

    def await_media(self, out: Outgoing) -> None:
        """Before any container: each media URL (and a reel's cover) answers with the
        expected file (every :data:`URL_POLL` s for at most :data:`URL_WAIT` s, within the
        run's time left), since the site is deployed by another workflow that may not have
        finished. Not the ``repository`` layout, whose files cmops does not place."""
        if self.layout == "repository":
            return
        wanted = [self._served(m) for m in out.media]
        wanted += [self._served(m.cover) for m in out.media if m.cover]
        for url, size in wanted:
            if url not in self.answered:
                self.await_url(url, size or 0, out)
                self.answered.add(url)

    def await_url(self, url: str, size: int, out: Outgoing) -> None:
        last: list[str | None] = [None]

        def check() -> bool | None:
            last[0] = self.probe(url, size)
            return True if last[0] is None else None

        slept, start = [0.0], time.monotonic()

        def sleep(seconds: float) -> None:
            self.sleep(seconds)
            slept[0] += seconds

        def clock() -> float:  # as in wait(): real time, or the time asked to sleep
            return max(time.monotonic() - start, slept[0])

        try:
            wait_for(url, check, every=URL_POLL, most=URL_WAIT, out=out, sleep=sleep,
                     clock=clock)
        except Transient:
            raise Transient(f"media_base_url {url} answered {last[0]}: has the report site "
                            "been deployed since this post was merged? Not posted; the next "
                            "run tries again", maybe_sent=False) from None

    def image(self, media: MediaFile, item: bool) -> dict[str, str]:
        fields = {"image_url": self.public_url(media)}
        if media.alt and self.network == "instagram":
            fields["alt_text"] = media.alt
        if item:
            fields["is_carousel_item"] = "true"
        return fields

    def item(self, media: MediaFile) -> dict[str, str]:
        """A carousel item: an image, or a video (``media_type=VIDEO``; IG User Media:
        "VIDEO" is for carousel items, a single video is a reel)."""
        if is_video(media):
            return {"media_type": "VIDEO", "video_url": self.public_url(media),
                    "is_carousel_item": "true"}
        return self.image(media, True)

    def fields(self, out: Outgoing) -> dict[str, str]:
        """The container for a post: one image, a reel (every single video: Instagram
        publishes feed videos as Reels), a story, or a carousel of images and videos."""
        if not out.media:
            raise Rejected("Instagram cannot post text alone: add an image or a video")
        if out.reply_to is not None:
            raise Rejected("Instagram has no threads: send one post")
        if out.format in ("story", "reel") and len(out.media) != 1:
            raise Rejected(f"an Instagram {out.format} is one image or video, not "
                           f"{len(out.media)}")
        first = out.media[0]
        if out.format == "story":
            # IG User Media, media_type=STORIES: image_url or video_url; a story shows no
            # caption, so none is sent (validation warns that its text is not shown).
            key = "video_url" if is_video(first) else "image_url"
            return {"media_type": "STORIES", key: self.public_url(first)}
        if out.format == "reel" and not is_video(first):
            raise Rejected(f"an Instagram reel is a video: '{first.rel}' is an image")
        if len(out.media) == 1 and is_video(first):
            return self.reel(out, first)
        if len(out.media) == 1:
            return {**self.image(first, False), "caption": out.text}
        return {"media_type": "CAROUSEL", "caption": out.text, "children": self.children(out)}

    def reel(self, out: Outgoing, video: MediaFile) -> dict[str, str]:
        """``media_type=REELS`` with ``video_url``, and the optional ``share_to_feed``,
        ``cover_url`` and ``thumb_offset`` (milliseconds into the video; ignored by Instagram
        when a cover is given) (developers.facebook.com/docs/instagram-platform/
        instagram-graph-api/reference/ig-user/media). No alt text: "Reels and stories are
        not supported" for ``alt_text``."""
        fields = {"media_type": "REELS", "video_url": self.public_url(video),
                  "caption": out.text}
        if out.share_to_feed is not None:
            fields["share_to_feed"] = "true" if out.share_to_feed else "false"
        if video.cover:
            fields["cover_url"] = self.public_url(video.cover)
        if video.thumb_offset is not None:
            fields["thumb_offset"] = str(video.thumb_offset)
        return fields

    def children(self, out: Outgoing) -> str:
        """The carousel's items, each its own container; a video item is waited for
        until processed before the carousel is made of it."""
        made = []
        for media in out.media:
            child = str(self.graph.post(f"{self.account}/{self.create_edge}",
                                        self.item(media))["id"])
            if is_video(media):
                self.wait(child, out, video=True)
            made.append(child)
        return ",".join(made)

    def before(self, out: Outgoing) -> None:
        """Checks before anything is created (Instagram: the 24-hour publishing quota)."""
        data = self.graph.get(f"{self.account}/content_publishing_limit",
                              {"fields": "quota_usage,config"}).get("data") or [{}]
        used, total = data[0].get("quota_usage"), (data[0].get("config") or {}).get(
            "quota_total")
        if isinstance(used, int) and isinstance(total, int) and used >= total:
            raise Transient(f"Instagram's publishing quota is used up ({used}/{total} posts in "
                            "24 hours)", maybe_sent=False, status=429, retry_after=3600.0)

    def wait(self, container: str, out: Outgoing, *, video: bool) -> None:
        """Until the container is ``FINISHED``: images briefly (every ``poll_seconds``,
        :data:`POLLS` checks), videos every :data:`VIDEO_POLL` s for at most
        :data:`VIDEO_WAIT` s ("query a container's status once per minute, for no more than
        5 minutes", Content Publishing guide), never past the run's time left. ``ERROR``
        or ``EXPIRED`` is a refusal naming the container's own reason (Instagram's
        ``status``, an error subcode; Threads' ``error_message``)."""
        def check() -> bool | None:
            found = self.graph.get(f"/{self.version}/{container}",
                                   {"fields": f"{self.status_field},{self.reason_field}"})
            status = found.get(self.status_field)
            if status == "FINISHED":
                return True
            if status in ("ERROR", "EXPIRED"):
                reason = found.get(self.reason_field)
                because = f": {reason}" if reason else ""
                raise Rejected(self.graph.redact(
                    f"{self.network} could not prepare the post (container {status}"
                    f"{because}): is every file reachable at its public URL, and within "
                    f"{self.network}'s media specs?")[:400])
            return None

        slept, start = [0.0], time.monotonic()

        def sleep(seconds: float) -> None:
            self.sleep(seconds)
            slept[0] += seconds

        def clock() -> float:  # real time, or the time asked to sleep where that is more
            return max(time.monotonic() - start, slept[0])

        every = VIDEO_POLL if video else max(self.poll_seconds, 0.001)
        most = VIDEO_WAIT if video else every * (POLLS - 1)
        wait_for(f"{self.network}'s processing of container {container}", check,
                 every=every, most=most, out=out, sleep=sleep, clock=clock)

    def publish(self, out: Outgoing) -> Remote:
        refuse_unsendable(self.rules, out)
        self.await_media(out)
        fields = self.fields(out)
        self.before(out)
        container = str(self.graph.post(f"{self.account}/{self.create_edge}", fields)["id"])
        self.containers[out.dedupe] = container
        self.wait(container, out, video=any(is_video(m) for m in out.media))
        media = str(self.graph.post(f"{self.account}/{self.publish_edge}",
                                    {"creation_id": container})["id"])
        return Remote(media, self.permalink(media))

    def permalink(self, media: str) -> str | None:
        link = self.graph.get(f"/{self.version}/{media}", {"fields": "permalink"}).get(
            "permalink")
        return link if isinstance(link, str) else None

    def never_published(self, out: Outgoing) -> bool:
        """This run made the part's container and the network says it was not published
        (still processing, finished, failed or expired): a new container is safe."""
        container = self.containers.get(out.dedupe)
        if container is None:
            return False
        status = self.graph.get(f"/{self.version}/{container}",
                                {"fields": self.status_field}).get(self.status_field)
        return status in ("IN_PROGRESS", "FINISHED", "ERROR", "EXPIRED")

    def reconcile(self, out: Outgoing, sent_at: datetime, now: datetime) -> Remote | None:
        if self.never_published(out):
            return None
        # The account's newest posts (IG User Media, with each post's ``timestamp``): only a
        # post made since the attempt is adopted, never an older one with the same words.
        since, until = sent_at - LOOKBACK, now + LOOKBACK
        for post in self.graph.get(f"{self.account}/{self.create_edge}", {
                "fields": f"id,{self.text_field},permalink,timestamp",
                "limit": "25"}).get("data") or []:
            created = _time(post.get("timestamp"))
            if post.get(self.text_field) == out.text and created is not None \
                    and since <= created <= until:
                return Remote(str(post["id"]), post.get("permalink"))
        raise CannotTell(f"an {self.network} post sent at {sent_at:%Y-%m-%d %H:%M}Z may have "
                         "been published and cannot be found among the account's recent "
                         f"posts: check the account, then run {how_to_resolve(out)}")

    def close(self) -> None:
        self.graph.close()
        self.prober.close()


class InstagramAdapter(ContainerAdapter):
    @property
    def unavailable(self) -> dict[str, str]:
        return self.reading.unavailable

    def publish(self, out: Outgoing) -> Remote:
        if out.comment:
            return first_comment(self, out)
        if out.reply_url and out.reply_to is None:
            return replies.answer(self, out)
        return super().publish(out)

    def reconcile(self, out: Outgoing, sent_at: datetime, now: datetime) -> Remote | None:
        if out.comment:
            return find_comment(self, out, sent_at, now)
        if out.reply_url and out.reply_to is None:
            return replies.find_answer(self, out, sent_at, now)
        return super().reconcile(out, sent_at, now)

    # -- reading (cmops collect): see cmops.adapters.reading ---------------------------------
    def metrics(self, remotes: Sequence[str]) -> dict[str, Counters | None]:
        out: dict[str, Counters | None] = {}
        for remote in remotes:
            data = self.reading.read(f"/{self.version}/{remote}",
                                     {"fields": "like_count,comments_count"}, "metrics",
                                     "Instagram: this token cannot read the posts", gone=True)
            if data is Unreadable.GONE:
                out[remote] = None
                continue
            if data is Unreadable.DENIED:
                return {**{r: Counters() for r in remotes}, **out}
            seen = self._insights(remote)
            out[remote] = Counters(likes=_int(data.get("like_count")),
                                   comments=_int(data.get("comments_count")),
                                   shares=seen.get("shares"), impressions=seen.get("views"))
        return out

    def _insights(self, remote: str) -> dict[str, int]:
        if self.reading.noted("impressions"):
            return {}
        found = self.reading.read(
            f"/{self.version}/{remote}/insights", {"metric": "views,shares"}, "impressions",
            "Instagram: no views or shares for this account or token "
            "(instagram_manage_insights)", gone=True, note_gone=True)
        return {} if isinstance(found, Unreadable) else insight_values(found)

    def followers(self) -> int | None:
        data = self.reading.read(self.account, {"fields": "followers_count"}, "followers",
                                 "Instagram: this token cannot read the follower count")
        return None if isinstance(data, Unreadable) else _int(data.get("followers_count"))

    def inbox(self, cursor: str | None) -> tuple[list[InboxItem], str | None]:
        """Posts the account is tagged in, and the comments under its latest posts
        (:mod:`cmops.adapters.graph_inbox`); the cursor is the newest one's ``timestamp``
        (neither edge has a ``since``). Items at the cursor's own second come again and are
        dropped by collect as already known."""
        since = _time(cursor)
        items = self._tagged(since) + graph_inbox.instagram(self, since)
        return items, graph_inbox.advance(cursor, items)

    def _tagged(self, since: datetime | None) -> list[InboxItem]:
        """Posts the account is tagged in, newest first, down to ``since``."""
        params = {"fields": TAG_FIELDS, "limit": str(TAG_PAGE if since else FIRST_TAGS)}
        items: list[InboxItem] = []
        for _ in range(TAG_PAGES if since else 1):
            page = self.reading.read(f"{self.account}/tags", dict(params), "inbox",
                                     "Instagram: this token cannot read the posts the account "
                                     "is tagged in (instagram_manage_comments)")
            if isinstance(page, Unreadable):
                return []
            posts = [p for p in page.get("data") or [] if isinstance(p, dict)]
            for post in posts:
                item = _tagged(post)
                if item is None or (since is not None and item.received_at < since):
                    continue
                items.append(item)
            after = ((page.get("paging") or {}).get("cursors") or {}).get("after")
            older = [p for p in posts if (t := _time(p.get("timestamp"))) and since
                     and t < since]
            if older or not (page.get("paging") or {}).get("next") or not after:
                break
            params["after"] = str(after)
        return items


def first_comment(adapter: ContainerAdapter, out: Outgoing) -> Remote:
    """The account's first comment under its post: ``POST /{ig-media-id}/comments`` with
    ``message``, answered ``{"id": …}`` (developers.facebook.com/docs/instagram-platform/
    instagram-graph-api/reference/ig-media/comments; needs ``instagram_manage_comments``).
    The docs state no length limit of their own: the caption's rules are checked. Under a
    reply (itself a comment), it answers in the reply's thread."""
    refuse_unsendable(adapter.rules, out)
    if out.reply_to is None:
        raise Rejected("a first comment needs the post it goes under")
    found = adapter.graph.post(replies.thread_edge(adapter, out.reply_to),
                               {"message": out.text})
    return Remote(str(found["id"]), out.reply_to.url)


def find_comment(adapter: ContainerAdapter, out: Outgoing, sent_at: datetime,
                 now: datetime) -> Remote | None:
    """An unconfirmed first comment: the post's comments (``GET /{ig-media-id}/comments``,
    fields ``id,text,timestamp``, the same reference) holding its text, made since the
    attempt. The commenter's ``from.id`` is IG-scoped, not documented to equal the account
    id, so text and time decide. Not there: it did not go out, and sending it is safe (the
    docs state no delay before a new comment is listed: VERIFY)."""
    if out.reply_to is None:
        return None
    found = replies.find(adapter, replies.thread_edge(adapter, out.reply_to), out.text,
                         sent_at, now)
    return Remote(found, out.reply_to.url) if found else None


def is_video(media: MediaFile) -> bool:
    """By the file's name (its content was judged when validated and again before sending,
    :func:`refuse_unsendable`)."""
    return (mimetypes.guess_type(media.rel)[0] or "").startswith("video/")


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None



def _tagged(post: dict[str, Any]) -> InboxItem | None:
    when = _time(post.get("timestamp"))
    if when is None or "id" not in post:
        return None
    username = str(post.get("username") or "")
    link = post.get("permalink")
    return InboxItem(id=str(post["id"]), kind="mention",
                     author=Author(handle=f"@{username}" if username else "",
                                   url=f"https://www.instagram.com/{username}/" if username
                                   else None),
                     text=str(post.get("caption") or ""), received_at=when,
                     url=link if isinstance(link, str) else None)
