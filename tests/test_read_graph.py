"""The reading halves of the Facebook Page, Instagram and Threads adapters against the strict
loopback Graph API: counters, insights, followers, Instagram mentions (tags), deleted posts as
None, and whatever the token may not read recorded as unavailable with its reason (never
zero, never an error of the run)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.fakes.graph import FakeGraph, graph_error

from cmops.adapters import ChannelContext, Rejected
from cmops.adapters.facebook import FacebookAdapter
from cmops.adapters.graph import GraphError
from cmops.adapters.instagram import InstagramAdapter
from cmops.adapters.reading import Counters, ReplyChecker, Searcher, reader_of
from cmops.adapters.threads import ThreadsAdapter
from cmops.secrets import Redactor

GONE = "17999999999999999"


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


def add(fake: FakeGraph, **fields: Any) -> str:
    post = {"id": fake._id(), **fields}
    fake.posts.append(post)
    return str(post["id"])


def queries(fake: FakeGraph, suffix: str) -> list[dict[str, list[str]]]:
    out = []
    for r in fake.requests:
        if r["method"] == "GET" and r["path"].endswith(suffix):
            query = dict(r["query"])
            assert query.pop("access_token") == [fake.token]
            out.append(query)
    return out


def test_all_three_read_but_neither_answer_nor_search(facebook: FacebookAdapter,
                                                     instagram: InstagramAdapter,
                                                     threads: ThreadsAdapter) -> None:
    for adapter in (facebook, instagram, threads):
        assert reader_of(adapter) is adapter
        assert not isinstance(adapter, ReplyChecker) and not isinstance(adapter, Searcher)


# -- Facebook --------------------------------------------------------------------------------
def test_facebook_counters_impressions_and_followers(facebook: FacebookAdapter,
                                                     fake: FakeGraph) -> None:
    a = fake._publish(message="a")["id"]
    b = fake._publish(message="b")["id"]
    fake.engagement[a] = {"reactions": 9, "comments": 2, "shares": 3}
    fake.insights[a] = {"post_impressions": 1500}
    fake.followers = 880
    assert facebook.metrics([a, b, GONE]) == {
        a: Counters(likes=9, comments=2, shares=3, impressions=1500),
        b: Counters(likes=0, comments=0, shares=0, impressions=0),  # Graph omits 0 shares
        GONE: None}
    assert queries(fake, f"/{a}") == [{"fields": [
        "reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0),"
        "shares"]}]
    assert queries(fake, f"/{a}/insights") == [{"metric": ["post_impressions"]}]
    assert facebook.followers() == 880
    assert queries(fake, f"/{fake.account}") == [{"fields": ["followers_count"]}]
    assert facebook.inbox("c") == ([], "c") and "inbox" not in facebook.unavailable  # none yet


def test_facebook_impressions_refused_once_then_not_asked(facebook: FacebookAdapter,
                                                          fake: FakeGraph) -> None:
    fake.retired = {"post_impressions"}
    a, b = fake._publish(message="a")["id"], fake._publish(message="b")["id"]
    fake.engagement[a] = {"reactions": 1, "comments": 1}
    assert facebook.metrics([a, b]) == {
        a: Counters(likes=1, comments=1, shares=0, impressions=None),
        b: Counters(likes=0, comments=0, shares=0, impressions=None)}
    assert len(queries(fake, "/insights")) == 1
    assert "(#100)" in facebook.unavailable["impressions"]


def test_facebook_without_permission_is_unavailable(facebook: FacebookAdapter,
                                                    fake: FakeGraph,
                                                    tmp_path: Path) -> None:
    a = fake._publish(message="a")["id"]
    fake.insights_forbidden = True
    assert facebook.metrics([a])[a] == Counters(likes=0, comments=0, shares=0)
    assert "(#10)" in facebook.unavailable["impressions"]
    expired = FacebookAdapter(context(fake, tmp_path, "facebook", page_token="expired-canary"))
    with pytest.raises(Rejected) as caught:  # a bad token is an error, not "unavailable"
        expired.followers()
    assert "expired-canary" not in str(caught.value)
    expired.close()


def test_the_graph_code_field_decides_not_the_message(facebook: FacebookAdapter,
                                                      fake: FakeGraph,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    a = fake._publish(message="a")["id"]
    answers = iter([graph_error(400, 190, "(#100) (#10) quoted, but the token expired",
                                error_subcode=463),
                    graph_error(400, 10, "(#100) said, but code 10 (permission)")])

    def refuse() -> None:
        raise next(answers)

    monkeypatch.setattr(fake, "_forbid_insights", refuse)
    with pytest.raises(GraphError) as caught:  # 190: an error, whatever the text quotes
        facebook.metrics([a])
    assert (caught.value.code, caught.value.subcode, caught.value.fbtrace_id) == (
        190, 463, "AbCdEfGh123")
    assert "impressions" not in facebook.unavailable
    assert facebook.metrics([a])[a] == Counters(likes=0, comments=0, shares=0)
    assert "code 10" in facebook.unavailable["impressions"]


# -- Instagram -------------------------------------------------------------------------------
def test_instagram_counters_views_and_followers(instagram: InstagramAdapter,
                                                fake: FakeGraph) -> None:
    a = add(fake, caption="a")
    fake.engagement[a] = {"like_count": 40, "comments_count": 4}
    fake.insights[a] = {"views": 900, "shares": 6}
    fake.followers = 2500
    assert instagram.metrics([a, GONE]) == {
        a: Counters(likes=40, comments=4, shares=6, impressions=900), GONE: None}
    assert queries(fake, f"/{a}") == [{"fields": ["like_count,comments_count"]}]
    assert queries(fake, f"/{a}/insights") == [{"metric": ["views,shares"]}]
    assert instagram.followers() == 2500


def test_instagram_insights_refused_keeps_likes(instagram: InstagramAdapter,
                                                fake: FakeGraph) -> None:
    a = add(fake, caption="a")
    fake.engagement[a] = {"like_count": 1, "comments_count": 0}
    fake.insights_forbidden = True
    assert instagram.metrics([a]) == {a: Counters(likes=1, comments=0)}
    assert "instagram_manage_insights" in instagram.unavailable["impressions"]
    assert instagram.inbox(None) == ([], None)
    assert "instagram_manage_comments" in instagram.unavailable["inbox"]


def tag(fake: FakeGraph, minutes_ago: int, user: str = "ada") -> dict[str, Any]:
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=minutes_ago)
    post = {"id": fake._id(), "caption": f"love it @cmops {minutes_ago}", "username": user,
            "timestamp": at.strftime("%Y-%m-%dT%H:%M:%S+0000"),
            "permalink": f"https://www.instagram.com/p/X{minutes_ago}/", "media_type": "IMAGE"}
    fake.tags.append(post)
    return post


def test_instagram_mentions_are_tagged_posts_since_the_cursor(instagram: InstagramAdapter,
                                                               fake: FakeGraph) -> None:
    tag(fake, 90)
    newest = tag(fake, 60, "bob")
    items, cursor = instagram.inbox(None)
    assert cursor == newest["timestamp"]
    assert (items[0].kind, items[0].author.handle, items[0].id) == ("mention", "@bob",
                                                                    newest["id"])
    assert items[0].author.url == "https://www.instagram.com/bob/"
    assert items[0].url == newest["permalink"] and items[0].text == "love it @cmops 60"
    assert queries(fake, "/tags")[0] == {"fields": ["id,caption,timestamp,username,permalink"],
                                         "limit": ["20"]}
    for n in range(55):
        tag(fake, 50 - n % 50)
    later, cursor2 = instagram.inbox(cursor)
    # the newest known one comes again (same second) and collect drops it; nothing older
    assert {i.id for i in later} >= {t["id"] for t in fake.tags[2:]}
    assert all(i.received_at >= items[0].received_at for i in later)
    assert cursor2 is not None and cursor2 > str(cursor)
    assert [q.get("after") for q in queries(fake, "/tags")[1:]] == [None, ["50"]]


# -- Threads ---------------------------------------------------------------------------------
def test_threads_insights_and_followers(threads: ThreadsAdapter, fake: FakeGraph) -> None:
    a = add(fake, text="hello")
    fake.insights[a] = {"views": 300, "likes": 12, "replies": 3, "reposts": 2, "quotes": 1}
    fake.followers = 77
    assert threads.metrics([a, GONE]) == {
        a: Counters(likes=12, comments=3, shares=2, quotes=1, impressions=300), GONE: None}
    assert queries(fake, f"/v1.0/{a}/insights") == [
        {"metric": ["views,likes,replies,reposts,quotes"]}]
    assert threads.followers() == 77
    assert queries(fake, "/threads_insights") == [{"metric": ["followers_count"]}]
    assert threads.inbox(None) == ([], None) and "inbox" not in threads.unavailable  # none yet


def test_threads_without_insights_permission(threads: ThreadsAdapter,
                                             fake: FakeGraph) -> None:
    a = add(fake, text="hello")
    fake.insights_forbidden = True
    assert threads.metrics([a]) == {a: Counters()}
    assert threads.followers() is None
    assert "threads_manage_insights" in threads.unavailable["metrics"]
    assert "threads_manage_insights" in threads.unavailable["followers"]
    assert fake.token not in str(threads.unavailable)
