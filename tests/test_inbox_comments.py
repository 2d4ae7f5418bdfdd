"""The inbox of the Graph networks (issue 19): the comments people leave under the account's
own recent posts (Facebook Page, Instagram) and the replies under its threads (Threads), read
against the strict loopback Graph API: each one's URL answerable by ``cmops reply``, the
account's own comments left out, the cursor respected, a bounded number of requests, a
missing permission recorded as unavailable with no token in it; and one comment carried by
``cmops collect`` into the collected inbox that ``cmops inbox`` lists."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import Runner
from tests.fakes.graph import FakeGraph

from cmops.adapters import ChannelContext
from cmops.adapters import instagram_replies as ig_replies
from cmops.adapters.facebook import FacebookAdapter
from cmops.adapters.graph_inbox import COMMENT_PAGE, COMMENT_PAGES, POSTS
from cmops.adapters.instagram import InstagramAdapter
from cmops.adapters.reading import InboxItem
from cmops.adapters.threads import ThreadsAdapter
from cmops.ledger import PartRecord, PartState, Record, RecordState
from cmops.replyto import parse
from cmops.secrets import Redactor
from cmops.stores.local import LocalStore

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


@pytest.fixture
def fake() -> Iterator[FakeGraph]:
    with FakeGraph().running() as server:
        yield server


def context(fake: FakeGraph, tmp_path: Path, network: str, **secrets: str) -> ChannelContext:
    return ChannelContext(network, network, {"network": network, "server": fake.url,
                                             "account": fake.account},
                          secrets or {"token": fake.token}, tmp_path, Redactor(), timeout=5.0)


@pytest.fixture
def facebook(fake: FakeGraph, tmp_path: Path) -> Iterator[FacebookAdapter]:
    a = FacebookAdapter(context(fake, tmp_path, "facebook", page_token=fake.token))
    yield a
    a.close()


@pytest.fixture
def instagram(fake: FakeGraph, tmp_path: Path) -> Iterator[InstagramAdapter]:
    a = InstagramAdapter(context(fake, tmp_path, "instagram"))
    yield a
    a.close()


@pytest.fixture
def threads(fake: FakeGraph, tmp_path: Path) -> Iterator[ThreadsAdapter]:
    a = ThreadsAdapter(context(fake, tmp_path, "threads"))
    yield a
    a.close()


def at(fake: FakeGraph, minutes: int) -> datetime:
    """Sets the fake's clock ``minutes`` after T0: what is made next is stamped then."""
    when = T0 + timedelta(minutes=minutes)
    fake.clock = lambda: when
    return when


def gets(fake: FakeGraph) -> list[str]:
    return [r["path"] for r in fake.requests if r["method"] == "GET"]


def by_text(items: list[InboxItem]) -> dict[str, InboxItem]:
    return {i.text: i for i in items}


# -- Facebook --------------------------------------------------------------------------------
def test_facebook_reads_people_comments_under_the_page_posts(
        facebook: FacebookAdapter, fake: FakeGraph) -> None:
    post = fake._publish(message="Le nouveau Halo est là", at=at(fake, 0))["id"]
    quiet = fake._publish(message="Sans commentaire", at=at(fake, 1))["id"]
    at(fake, 10)
    question = fake.fan_comment(post, "Il sort quand en Belgique ?", name="Léa Martin")
    at(fake, 11)
    fake._comments("POST", post, {"message": "Le lien en premier commentaire"})  # the Page
    at(fake, 12)
    thanks = fake._edit(["v23.0", question, "comments"], "POST",
                        {"message": "En mars !"}, {})["id"]  # the Page's answer
    at(fake, 13)
    follow_up = fake.fan_comment(post, "Merci, et le prix ?", name="Léa Martin",
                                 parent=question)
    fake.requests.clear()
    items, cursor = facebook.inbox(None)
    assert [(i.kind, i.id, i.text, i.author.name, i.in_reply_to, i.received_at)
            for i in sorted(items, key=lambda i: i.received_at)] == [
        ("reply", question, "Il sort quand en Belgique ?", "Léa Martin", post,
         T0 + timedelta(minutes=10)),
        ("reply", follow_up, "Merci, et le prix ?", "Léa Martin", post,
         T0 + timedelta(minutes=13))]
    assert thanks not in {i.id for i in items}
    for item in items:  # what `cmops reply URL` answers: that very comment
        assert item.url == (f"https://www.facebook.com/{fake.account}/posts/"
                            f"{post.split('_')[1]}/?comment_id={item.id.split('_')[1]}")
        target = parse("facebook", str(item.url))
        assert target.comment and facebook._answering(str(item.url)) == item.id
    assert cursor == "2026-11-27T08:13:00+0000"
    assert facebook.unavailable == {}
    # the posts once, then the comments of the one post that has some, filter=stream
    assert gets(fake) == [f"/v23.0/{fake.account}/published_posts",
                          f"/v23.0/{post}/comments"]
    query = next(r["query"] for r in fake.requests if r["path"].endswith("/comments"))
    assert (query["filter"], query["order"]) == (["stream"], ["reverse_chronological"])
    assert quiet not in str(fake.requests)

    # Next run: only what came since the cursor (the cursor's own second comes again).
    at(fake, 20)
    late = fake.fan_comment(post, "Livrez-vous en Suisse ?", name="Noé")
    later, cursor2 = facebook.inbox(cursor)
    assert {i.id for i in later} == {follow_up, late}
    assert cursor2 == "2026-11-27T08:20:00+0000"
    again, cursor3 = facebook.inbox(cursor2)
    assert [i.id for i in again] == [late] and cursor3 == cursor2


def test_facebook_web_permalinks_are_replaced_by_answerable_ones(
        facebook: FacebookAdapter, fake: FakeGraph) -> None:
    fake.fb_pfbid_permalinks = True
    post = fake._publish(message="Halo", at=at(fake, 0))["id"]
    comment = fake.fan_comment(post, "Super")
    [item], _ = facebook.inbox(None)
    number, own = comment.split("_")
    assert item.url == f"https://www.facebook.com/{fake.account}/posts/{number}?comment_id={own}"
    assert facebook._answering(str(item.url)) == comment


def test_facebook_reads_are_bounded(facebook: FacebookAdapter, fake: FakeGraph) -> None:
    posts = [fake._publish(message=f"post {n}", at=at(fake, n))["id"] for n in range(POSTS + 3)]
    busy = posts[-1]
    for n in range(COMMENT_PAGE * COMMENT_PAGES + 20):
        at(fake, 100 + n)
        fake.fan_comment(busy, f"comment {n}")
    at(fake, 50)
    for post in posts[:-1]:
        fake.fan_comment(post, f"under {post}")
    fake.requests.clear()
    items, cursor = facebook.inbox(None)
    listed = gets(fake)
    # one listing, COMMENT_PAGES pages under the busy post, one under each other listed post
    assert len(listed) == 1 + COMMENT_PAGES + (POSTS - 1) <= 1 + POSTS * COMMENT_PAGES
    assert {p.split("/")[2] for p in listed[1:]} == set(posts[-POSTS:])
    assert len([i for i in items if i.in_reply_to == busy]) == COMMENT_PAGE * COMMENT_PAGES
    assert len(items) == COMMENT_PAGE * COMMENT_PAGES + POSTS - 1
    # From the cursor: one page of the busy post reaches past it, so no second page.
    at(fake, 500)
    fake.fan_comment(busy, "new one")
    fake.requests.clear()
    later, _ = facebook.inbox(cursor)
    assert [i.text for i in later] == ["new one", f"comment {COMMENT_PAGE * 2 + 19}"]
    assert len(gets(fake)) == 1 + POSTS


def test_facebook_without_permission_is_unavailable(facebook: FacebookAdapter,
                                                    fake: FakeGraph) -> None:
    post = fake._publish(message="Halo", at=at(fake, 0))["id"]
    fake.fan_comment(post, "Super")
    fake.fb_comments_forbidden = True
    assert facebook.inbox("2026-11-27T07:00:00+0000") == ([], "2026-11-27T07:00:00+0000")
    why = facebook.unavailable["inbox"]
    assert "pages_read_user_content" in why and "(#283)" in why
    assert fake.token not in why
    fake.fb_comments_forbidden, fake.read_forbidden = False, True
    assert facebook.inbox(None) == ([], None)
    assert "pages_read_engagement" in facebook.unavailable["inbox"]
    assert fake.token not in str(facebook.unavailable)


# -- Instagram -------------------------------------------------------------------------------
def ig_post(fake: FakeGraph, minutes: int, caption: str = "Halo") -> str:
    post = {"id": fake._id(), "caption": caption, "at": at(fake, minutes)}
    fake.posts.append(post)
    return str(post["id"])


def test_instagram_reads_comments_and_replies_beside_the_tags(
        instagram: InstagramAdapter, fake: FakeGraph) -> None:
    media = ig_post(fake, 0)
    quiet = ig_post(fake, 1, "nobody answered")
    at(fake, 5)
    fake._comments("POST", media, {"message": "Lien en bio"})  # the account's own first comment
    at(fake, 10)
    question = fake.ig_fan_comment(media, "Dispo en noir ?", username="ana")
    at(fake, 11)
    fake._ig_replies("POST", question, {"message": "Oui !"})  # the account's answer
    at(fake, 12)
    thread = next(c for c in fake.posts[0]["comments"] if c["id"] == question)
    follow_up = {"id": fake._id(), "message": "Super, merci", "at": at(fake, 12),
                 "username": "ana"}
    thread["replies"].append(follow_up)
    fake.tags.append({"id": fake._id(), "caption": "love @cmops", "username": "bob",
                      "timestamp": "2026-11-27T08:03:00+0000",
                      "permalink": "https://www.instagram.com/p/Xbob/", "media_type": "IMAGE"})
    fake.requests.clear()
    items, cursor = instagram.inbox(None)
    assert sorted((i.kind, i.id, i.author.handle, i.text, i.in_reply_to) for i in items) == [
        ("mention", fake.tags[0]["id"], "@bob", "love @cmops", None),
        ("reply", question, "@ana", "Dispo en noir ?", media),
        ("reply", str(follow_up["id"]), "@ana", "Super, merci", media)]
    for item in (i for i in items if i.kind == "reply"):
        assert item.url == f"https://www.instagram.com/p/C{media}/c/{item.id}/"
        target = parse("instagram", str(item.url))
        assert target.comment and target.id == item.id
        # the reply adapter answers that comment's thread
        assert ig_replies._target(instagram, str(item.url))[0] == f"/v23.0/{item.id}/replies"
    assert cursor == "2026-11-27T08:12:00+0000"
    assert instagram.unavailable == {}
    assert gets(fake) == [f"/v23.0/{fake.account}/tags", f"/v23.0/{fake.account}/media",
                          f"/v23.0/{media}/comments"]
    assert quiet not in str(fake.requests)
    query = next(r["query"] for r in fake.requests if r["path"].endswith("/comments"))
    assert query["fields"] == ["id,text,timestamp,username,replies{id,text,timestamp,username}"]
    # the cursor: nothing older comes again
    at(fake, 30)
    late = fake.ig_fan_comment(media, "Et en blanc ?", username="cy")
    later, cursor2 = instagram.inbox(cursor)
    assert {i.id for i in later} == {str(follow_up["id"]), late}
    assert cursor2 == "2026-11-27T08:30:00+0000"


def test_instagram_without_comment_permission_keeps_the_tags(
        instagram: InstagramAdapter, fake: FakeGraph) -> None:
    media = ig_post(fake, 0)
    fake.ig_fan_comment(media, "?", username="ana")
    fake.tags.append({"id": fake._id(), "caption": "@cmops", "username": "bob",
                      "timestamp": "2026-11-27T08:03:00+0000",
                      "permalink": "https://www.instagram.com/p/Xbob/", "media_type": "IMAGE"})
    fake.ig_comments_forbidden = True
    items, cursor = instagram.inbox(None)
    assert [i.kind for i in items] == ["mention"] and cursor == "2026-11-27T08:03:00+0000"
    why = instagram.unavailable["inbox"]
    assert "instagram_manage_comments" in why and "(#10)" in why and fake.token not in why


# -- Threads ---------------------------------------------------------------------------------
def th_post(fake: FakeGraph, minutes: int, text: str, reply_to: str | None = None) -> str:
    post = {"id": fake._id(), "text": text, "reply_to": reply_to, "at": at(fake, minutes)}
    fake.posts.append(post)
    return str(post["id"])


def test_threads_reads_the_replies_under_the_account_posts(
        threads: ThreadsAdapter, fake: FakeGraph) -> None:
    ours = th_post(fake, 0, "Le Halo arrive")
    quiet = th_post(fake, 1, "Rien à dire")
    at(fake, 10)
    fan = fake.threads_post_by("ana", "Quel prix ?", reply_to=ours)
    answer = th_post(fake, 11, "49 €", reply_to=fan["id"])  # the account's own reply
    at(fake, 12)
    deeper = fake.threads_post_by("bob", "Et livré quand ?", reply_to=answer)
    fake.requests.clear()
    items, cursor = threads.inbox(None)
    assert sorted((i.id, i.author.handle, i.text, i.in_reply_to) for i in items) == sorted([
        (fan["id"], "@ana", "Quel prix ?", ours), (deeper["id"], "@bob", "Et livré quand ?",
                                                   ours)])
    assert answer not in {i.id for i in items}
    for item in items:  # `cmops reply URL` finds that very reply again and answers it
        target = parse("threads", str(item.url))
        assert target.post == f"D{item.id}"
        assert threads.answering(str(item.url)) == item.id
    assert cursor == "2026-11-27T08:12:00+0000"
    assert threads.unavailable == {}
    listing = [p for p in gets(fake) if not p.endswith(f"/{fake.account}/threads")]
    assert f"/v1.0/{quiet}/conversation" not in listing  # no replies: not asked
    # From the cursor: only the newer ones.
    at(fake, 20)
    late = fake.threads_post_by("cy", "Merci !", reply_to=ours)
    later, _ = threads.inbox(cursor)
    assert {i.id for i in later} == {deeper["id"], late["id"]}


def test_threads_without_permission_is_unavailable(threads: ThreadsAdapter,
                                                   fake: FakeGraph) -> None:
    ours = th_post(fake, 0, "Le Halo arrive")
    fake.threads_post_by("ana", "Quel prix ?", reply_to=ours)
    fake.threads_replies_forbidden = True
    assert threads.inbox(None) == ([], None)
    why = threads.unavailable["inbox"]
    assert "threads_read_replies" in why and fake.token not in why


# -- cmops collect, then cmops inbox -----------------------------------------------------------
def test_a_facebook_comment_reaches_the_collected_inbox(run: Runner, repo: Path,
                                                        fake: FakeGraph) -> None:
    (repo / "calendar/channels.yaml").write_text(
        "timezone: Europe/Paris\nchannels:\n  news:\n    network: outbox\n"
        f"  fb:\n    network: facebook\n    account: \"{fake.account}\"\n"
        f"    server: {fake.url}\n    secrets:\n      page_token: FB_TOKEN\n", "utf-8")
    post = fake._publish(message="Le nouveau Halo", at=at(fake, 0))["id"]
    store = LocalStore(repo / ".cmops/state")
    store.save(Record("halo/fb", "halo", "fb", "facebook", state=RecordState.PUBLISHED,
                      publish_at="2026-11-27T08:00:00Z",
                      parts=[PartRecord(PartState.PUBLISHED, "d", at="2026-11-27T08:00:00Z",
                                        remote_id=post,
                                        url=f"https://www.facebook.com/{post}")]))
    at(fake, 30)
    comment = fake.fan_comment(post, "Il sort quand ?", name="Léa")
    result = run("collect", "--at", "2026-11-27T09:00:00+00:00", "--format", "json",
                 root=repo, env={"FB_TOKEN": fake.token})
    assert result.exit_code == 0, result.output
    out: dict[str, Any] = json.loads(result.stdout)
    fb = next(c for c in out["channels"] if c["channel"] == "fb")
    assert fb["new_items"] == 1 and "inbox" not in fb["unavailable"]
    stored = json.loads((repo / ".cmops/state/inbox/2026-11-27-fb.json").read_text("utf-8"))
    url = (f"https://www.facebook.com/{fake.account}/posts/{post.split('_')[1]}/"
           f"?comment_id={comment.split('_')[1]}")
    [item] = stored["items"]
    assert (item["id"], item["kind"], item["url"], item["in_reply_to"], item["post"]) == (
        f"fb:{comment}", "reply", url, post, "halo")
    assert fake.token not in result.stdout
    listed = run("inbox", root=repo)
    assert listed.exit_code == 0, listed.output
    assert listed.stdout.splitlines()[:2] == [
        f"2026-11-27 08:30Z  fb  reply  Léa  {url}", "    Il sort quand ?"]
