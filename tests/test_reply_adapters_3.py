"""Answering a message given by its URL (issue 19, replies through review: a post's
``reply_to:``) on Bluesky and X, each against its strict loopback fake: the reply lands under
the right message (the fakes check the parent, and Bluesky's the conversation's root), thread
parts and a first comment stay in that conversation, a message gone or unknown is refused
naming its URL, X's "summoned replies" rule is explained when X applies it, failures before
the post are Transient with nothing sent, and no secret appears in any message. Neither
network edits (see their declarations)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.x import FakeX

from cmops.adapters import ChannelContext, Outgoing, Rejected, Remote, Transient
from cmops.adapters.bluesky import BlueskyAdapter
from cmops.adapters.x import XAdapter
from cmops.secrets import Redactor
from cmops.text.limits import NETWORKS

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
PASSWORD = "app-pass-7f3k-q9zx"
FRIEND = "did:plc:friend000000000000000"
CREATE = "com.atproto.repo.createRecord"
GET = "com.atproto.repo.getRecord"


def ctx(name: str, network: str, settings: dict[str, Any], secrets: dict[str, str],
        root: Path) -> ChannelContext:
    redactor = Redactor()
    for value in secrets.values():
        redactor.add(value)
    return ChannelContext(name, network, {"network": network, **settings}, secrets, root,
                          redactor, timeout=5.0)


def part(adapter: Any, text: str, index: int = 0, parts: int = 1, *,
         reply_url: str | None = None, reply_to: Remote | None = None,
         root: Remote | None = None, comment: bool = False) -> Outgoing:
    key = "answer/ch"
    return Outgoing(key, "answer", "ch", index, parts, text,
                    adapter.new_dedupe(key, index, NOW), published_at=NOW,
                    reply_url=reply_url, reply_to=reply_to, root=root, comment=comment)


def test_bluesky_and_x_answer_urls_and_edit_nothing() -> None:
    for name, adapter in (("bluesky", BlueskyAdapter), ("x", XAdapter)):
        assert NETWORKS[name].replies, name
        assert not NETWORKS[name].edits and not hasattr(adapter, "edit"), name


# -- Bluesky -------------------------------------------------------------------------------
@pytest.fixture
def pds() -> Iterator[FakeBluesky]:
    with FakeBluesky(password=PASSWORD).running() as server:
        server.handles["friend.test"] = FRIEND
        yield server


@pytest.fixture
def bsky(pds: FakeBluesky, tmp_path: Path) -> Iterator[BlueskyAdapter]:
    adapter = BlueskyAdapter(ctx("ch", "bluesky", {"server": pds.url},
                                 {"identifier": "brand.test", "password": PASSWORD}, tmp_path))
    yield adapter
    adapter.close()


def ref(stored: dict[str, Any]) -> dict[str, str]:
    return {"uri": stored["uri"], "cid": stored["cid"]}


def web(stored: dict[str, Any], author: str = "friend.test") -> str:
    return f"https://bsky.app/profile/{author}/post/{stored['uri'].rsplit('/', 1)[1]}"


def reply_of(pds: FakeBluesky, remote: Remote) -> Any:
    return pds.records[remote.id.rsplit("/", 1)[1]]["value"]["reply"]


def test_bluesky_answers_a_post_by_its_web_address(pds: FakeBluesky,
                                                   bsky: BlueskyAdapter) -> None:
    question = pds.theirs("friend.test", "@brand.test vous ouvrez quand ?")
    remote = bsky.publish(part(bsky, "Lundi à 9 h !", reply_url=web(question)))
    assert reply_of(pds, remote) == {"root": ref(question), "parent": ref(question)}
    assert dict(remote.extra) == {"cid": pds.records[remote.id.rsplit("/", 1)[1]]["cid"],
                                  "root": question["uri"], "root_cid": question["cid"]}
    assert [r["query"] for r in pds.requests if r["path"].endswith(
        ("resolveHandle", GET))] == [
        {"handle": ["friend.test"]},
        {"repo": [FRIEND], "collection": ["app.bsky.feed.post"],
         "rkey": [question["uri"].rsplit("/", 1)[1]]}]


def test_bluesky_answers_a_reply_in_its_conversation_with_thread_and_comment(
        pds: FakeBluesky, bsky: BlueskyAdapter) -> None:
    """The parent is itself a reply: the root is its root, for the answer, its thread part
    and its first comment alike (docs.bsky.app/docs/advanced-guides/posts#replies)."""
    opening = pds.theirs("friend.test", "Qui vient samedi ?")
    question = pds.theirs("friend.test", "@brand.test et vous ?",
                          reply={"root": ref(opening), "parent": ref(opening)})
    first = bsky.publish(part(bsky, "Nous serons là", 0, 2, reply_url=question["uri"]))
    second = bsky.publish(part(bsky, "avec le stand", 1, 2, reply_to=first, root=first))
    comment = bsky.publish(part(bsky, "Plan d'accès : …", 2, 2, reply_to=first, root=first,
                                comment=True))
    mine = {"uri": first.id, "cid": first.extra["cid"]}
    assert reply_of(pds, first) == {"root": ref(opening), "parent": ref(question)}
    assert reply_of(pds, second) == {"root": ref(opening), "parent": mine}
    assert reply_of(pds, comment) == {"root": ref(opening), "parent": mine}
    assert "root" not in second.extra and "root" not in comment.extra
    # An unconfirmed attempt settled by its record key keeps the conversation's root too.
    assert bsky.reconcile(part(bsky, "Nous serons là", 0, 2, reply_url=question["uri"]),
                          NOW, NOW) == first


def test_the_fake_pds_refuses_a_reply_outside_its_parents_conversation(
        pds: FakeBluesky, bsky: BlueskyAdapter) -> None:
    opening = pds.theirs("friend.test", "Qui vient samedi ?")
    question = pds.theirs("friend.test", "et vous ?",
                          reply={"root": ref(opening), "parent": ref(opening)})
    bsky._login()
    record = {"$type": "app.bsky.feed.post", "text": "Nous", "createdAt":
              "2026-11-24T09:00:00.000Z", "reply": {"root": ref(question),
                                                    "parent": ref(question)}}
    with pytest.raises(Rejected) as caught:
        bsky._xrpc("POST", CREATE, json={"repo": pds.did, "collection": "app.bsky.feed.post",
                                         "record": record})
    assert caught.value.status == 400 and "is not the root of the parent's thread" in str(
        caught.value)
    record["reply"] = {"root": ref(opening), "parent": {**ref(question), "cid": "bafyreiX"}}
    with pytest.raises(Rejected, match="names no record"):
        bsky._xrpc("POST", CREATE, json={"repo": pds.did, "collection": "app.bsky.feed.post",
                                         "record": record})
    assert pds.records == {}


def test_bluesky_refuses_to_answer_a_post_gone_or_unknown_naming_it(
        pds: FakeBluesky, bsky: BlueskyAdapter) -> None:
    question = pds.theirs("friend.test", "Vous ouvrez quand ?")
    pds.remove(question["uri"])
    with pytest.raises(Rejected) as gone:
        bsky.publish(part(bsky, "Lundi", reply_url=web(question)))
    assert str(gone.value) == (
        f"reply_to {web(question)}: no such post to answer (deleted, or never there): "
        f"HTTP 400: RecordNotFound: Could not locate record: {question['uri']}")
    unknown = "https://bsky.app/profile/nobody.test/post/3kabcdefghijk"
    with pytest.raises(Rejected) as nobody:
        bsky.publish(part(bsky, "Lundi", reply_url=unknown))
    assert str(nobody.value) == (
        f"reply_to {unknown}: cannot resolve the handle nobody.test, so the post cannot be "
        "answered (HTTP 400: HandleNotFound: Unable to resolve handle)")
    with pytest.raises(Rejected, match=r"^reply_to https://example.com/p/1: example.com is "
                       r"not bluesky"):
        bsky.publish(part(bsky, "Lundi", reply_url="https://example.com/p/1"))
    assert CREATE not in pds.calls() and pds.records == {}


@pytest.mark.parametrize(("fault", "status", "retry"), [("503", 503, False), ("429", 429, True)])
def test_bluesky_failing_to_read_the_parent_is_transient_and_sends_nothing(
        pds: FakeBluesky, bsky: BlueskyAdapter, fault: str, status: int, retry: bool) -> None:
    question = pds.theirs("friend.test", "Vous ouvrez quand ?")
    pds.fault_on, pds.faults = GET, [fault]
    with pytest.raises(Transient) as caught:
        bsky.publish(part(bsky, "Lundi", reply_url=question["uri"]))
    assert (caught.value.status, caught.value.maybe_sent) == (status, False)
    assert (caught.value.retry_after is not None) == retry
    assert CREATE not in pds.calls()
    remote = bsky.publish(part(bsky, "Lundi", reply_url=question["uri"]))  # the next run
    assert reply_of(pds, remote)["parent"] == ref(question)


def test_bluesky_reply_errors_hold_no_secret(pds: FakeBluesky, bsky: BlueskyAdapter) -> None:
    question = pds.theirs("friend.test", "Vous ouvrez quand ?")
    pds.fault_on, pds.faults = GET, ["echo"]  # a 400 that repeats the request's headers
    with pytest.raises(Rejected) as caught:
        bsky.publish(part(bsky, "Lundi", reply_url=question["uri"]))
    message = str(caught.value)
    assert message.startswith(f"reply_to {question['uri']}: cannot read the post to answer: "
                              "HTTP 400: InvalidRequest: bad request")
    assert "Bearer [REDACTED]" in message
    assert bsky.access not in message and PASSWORD not in message


# -- X -------------------------------------------------------------------------------------
@pytest.fixture
def fake_x() -> Iterator[FakeX]:
    with FakeX().running() as server:
        server.others["7"] = {"id": "7", "name": "Alice", "username": "alice"}
        yield server


@pytest.fixture
def x(fake_x: FakeX, tmp_path: Path) -> Iterator[XAdapter]:
    adapter = XAdapter(ctx("ch", "x", {"server": fake_x.url}, dict(fake_x.secrets), tmp_path))
    yield adapter
    adapter.close()


def sent(fake: FakeX, remote: Remote) -> Any:
    return next(t["body"] for t in fake.tweets if t["id"] == remote.id)


def test_x_answers_a_post_that_mentions_the_account_with_thread_and_comment(
        fake_x: FakeX, x: XAdapter) -> None:
    question = fake_x.mention("7", "@cmops_test vous ouvrez quand ?")
    url = f"https://x.com/alice/status/{question['id']}"
    first = x.publish(part(x, "Lundi à 9 h !", 0, 2, reply_url=url))
    second = x.publish(part(x, "Jusqu'à 18 h", 1, 2, reply_to=first, root=first))
    comment = x.publish(part(x, "Plan : …", 2, 2, reply_to=first, root=first, comment=True))
    assert sent(fake_x, first) == {"text": "Lundi à 9 h !",
                                   "reply": {"in_reply_to_tweet_id": question["id"]}}
    assert sent(fake_x, second)["reply"] == {"in_reply_to_tweet_id": first.id}
    assert sent(fake_x, comment)["reply"] == {"in_reply_to_tweet_id": first.id}


@pytest.mark.parametrize("form", ["https://twitter.com/alice/status/{}",
                                  "https://mobile.x.com/alice/status/{}?s=20",
                                  "https://x.com/i/web/status/{}"])
def test_x_answers_a_post_that_quotes_the_account_by_any_address(
        fake_x: FakeX, x: XAdapter, form: str) -> None:
    ours = fake_x.post("Notre annonce")
    quote = fake_x.said("7", "Bonne nouvelle !", referenced_tweets=[
        {"type": "quoted", "id": ours["id"]}])
    remote = x.publish(part(x, "Merci !", reply_url=form.format(quote["id"])))
    assert sent(fake_x, remote)["reply"] == {"in_reply_to_tweet_id": quote["id"]}


def test_x_explains_the_summoned_replies_rule_when_x_applies_it(fake_x: FakeX,
                                                               x: XAdapter) -> None:
    stranger = fake_x.said("7", "Quelqu'un connaît un bon outil ?")
    url = f"https://x.com/alice/status/{stranger['id']}"
    with pytest.raises(Rejected) as caught:
        x.publish(part(x, "Essayez cmops", reply_url=url))
    assert (caught.value.status, str(caught.value)) == (403, (
        f"reply_to {url}: X refused the reply (HTTP 403: Replying to this post is not "
        "allowed: its author has not mentioned you or quoted one of your posts.). Since "
        "2026-02-23 X lets self-serve (pay-per-use) apps reply only where the post's author "
        "summoned the account: @mentioned it in that post, or quoted one of its posts "
        "(docs.x.com/x-api/posts/manage-tweets/integrate); answer it from the X app "
        "instead"))
    assert fake_x.tweets == []
    fake_x.self_serve = False  # an Enterprise app: no such rule
    remote = x.publish(part(x, "Essayez cmops", reply_url=url))
    assert sent(fake_x, remote)["reply"] == {"in_reply_to_tweet_id": stranger["id"]}


def test_x_refuses_to_answer_a_post_gone_or_unknown_naming_it(fake_x: FakeX,
                                                              x: XAdapter) -> None:
    question = fake_x.mention("7", "@cmops_test vous ouvrez quand ?")
    fake_x.remove(question["id"])
    url = f"https://x.com/alice/status/{question['id']}"
    with pytest.raises(Rejected) as gone:
        x.publish(part(x, "Lundi", reply_url=url))
    assert (gone.value.status, str(gone.value)) == (403, (
        f"reply_to {url}: X has no post there to answer (deleted, or not visible to this "
        "account): HTTP 403: You attempted to reply to a Tweet that is deleted or not "
        "visible to you."))
    unknown = "https://x.com/alice/status/1234"
    with pytest.raises(Rejected) as never:
        x.publish(part(x, "Lundi", reply_url=unknown))
    assert str(never.value) == (
        f"reply_to {unknown}: X has no post there to answer (deleted, or not visible to this "
        "account): HTTP 400: The post 1234 does not exist")
    with pytest.raises(Rejected, match=r"^reply_to https://x.com/alice: not the URL of"):
        x.publish(part(x, "Lundi", reply_url="https://x.com/alice"))
    assert fake_x.tweets == []


@pytest.mark.parametrize(("fault", "status"), [("503", 503), ("429", 429)])
def test_x_reply_failures_are_transient(fake_x: FakeX, x: XAdapter, fault: str,
                                        status: int) -> None:
    question = fake_x.mention("7", "@cmops_test vous ouvrez quand ?")
    url = f"https://x.com/alice/status/{question['id']}"
    fake_x.faults = [fault]
    with pytest.raises(Transient) as caught:
        x.publish(part(x, "Lundi", reply_url=url))
    assert caught.value.status == status
    assert (caught.value.retry_after is not None) == (status == 429)
    assert fake_x.tweets == []
    remote = x.publish(part(x, "Lundi", reply_url=url))
    assert sent(fake_x, remote)["reply"] == {"in_reply_to_tweet_id": question["id"]}


def test_x_reply_errors_hold_no_secret(fake_x: FakeX, x: XAdapter) -> None:
    question = fake_x.mention("7", "@cmops_test vous ouvrez quand ?")
    fake_x.faults = ["echo"]  # a 401 that repeats the Authorization header
    with pytest.raises(Rejected) as caught:
        x.publish(part(x, "Lundi", reply_url=f"https://x.com/alice/status/{question['id']}"))
    assert "oauth_token=" in str(caught.value) and caught.value.status == 401
    for value in fake_x.secrets.values():
        assert value not in str(caught.value)


def test_the_fake_x_answers_a_self_serve_reply_only_where_summoned(fake_x: FakeX,
                                                                  x: XAdapter) -> None:
    """Both ways: a mention inside a word or an e-mail address does not summon; a quote of
    another account's post does not either."""
    for text in ("écrivez à contact@cmops_test.fr", "@cmops_testeur bonjour"):
        post = fake_x.said("7", text)
        with pytest.raises(Rejected, match="X refused the reply"):
            x.publish(part(x, f"Réponse {post['id']}",
                           reply_url=f"https://x.com/alice/status/{post['id']}"))
    other = fake_x.said("7", "Annonce d'Alice")
    quote = fake_x.said("7", "Relisez ça", referenced_tweets=[{"type": "quoted",
                                                                "id": other["id"]}])
    with pytest.raises(Rejected, match="X refused the reply"):
        x.publish(part(x, "Merci", reply_url=f"https://x.com/alice/status/{quote['id']}"))
    shout = fake_x.said("7", "Bravo @CMOPS_TEST !")
    remote = x.publish(part(x, "Merci", reply_url=f"https://x.com/alice/status/{shout['id']}"))
    assert sent(fake_x, remote)["reply"] == {"in_reply_to_tweet_id": shout["id"]}
