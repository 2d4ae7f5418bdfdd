"""The X adapter's reading half against the strict loopback X: ``public_metrics`` counters,
followers, mentions since a cursor, answers found in our own posts, and a tier without reads
recorded as unavailable (never as zero, never as an error of the run)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.fakes.x import FakeX

from cmops.adapters import ChannelContext
from cmops.adapters.reading import Counters, ReplyChecker, Searcher, reader_of
from cmops.adapters.x import XAdapter
from cmops.secrets import Redactor


@pytest.fixture
def fake() -> Iterator[FakeX]:
    with FakeX().running() as server:
        server.others = {"77": {"id": "77", "name": "Ada", "username": "ada",
                                "public_metrics": {"followers_count": 1200}},
                         "78": {"id": "78", "name": "Bob", "username": "bob",
                                "public_metrics": {"followers_count": 3}}}
        yield server


@pytest.fixture
def adapter(fake: FakeX, tmp_path: Path) -> Iterator[XAdapter]:
    a = XAdapter(ChannelContext("x-main", "x", {"network": "x", "server": fake.url},
                                fake.secrets, tmp_path, Redactor(), timeout=5.0))
    yield a
    a.close()


def gets(fake: FakeX, path: str) -> list[dict[str, list[str]]]:
    return [r["query"] for r in fake.requests if r["method"] == "GET" and r["path"] == path]


def test_is_a_reader_that_checks_answers_and_searches(adapter: XAdapter) -> None:
    assert reader_of(adapter) is adapter
    assert isinstance(adapter, ReplyChecker) and isinstance(adapter, Searcher)


def test_search_finds_others_posts_about_the_brand_once(adapter: XAdapter,
                                                        fake: FakeX) -> None:
    fake.post("Lumen Vélo rocks (our own post)")
    hit = fake.said("77", "J'adore mon feu lumen vélo")
    fake.said("78", "nothing to see")
    items, cursor = adapter.search(["lumen vélo", "#LumenVelo"], None)
    assert [(i.id, i.kind, i.author.handle) for i in items] == [(hit["id"], "keyword", "@ada")]
    assert cursor == hit["id"]
    query = gets(fake, "/2/tweets/search/recent")[0]
    assert query["query"] == ['("lumen vélo" OR #LumenVelo) -is:retweet']
    again, cursor2 = adapter.search(["lumen vélo"], cursor)
    assert again == [] and cursor2 == cursor
    assert gets(fake, "/2/tweets/search/recent")[1]["since_id"] == [hit["id"]]


def test_search_on_a_tier_without_reads_is_unavailable(adapter: XAdapter, fake: FakeX) -> None:
    fake.read_forbidden = True
    assert adapter.search(["lumen"], "5") == ([], "5")
    assert adapter.unavailable["search"] == "X search needs the Basic access tier or above"


def test_metrics_in_one_call_with_impressions_when_given(adapter: XAdapter,
                                                         fake: FakeX) -> None:
    a, b = fake.post("one")["id"], fake.post("two")["id"]
    fake.metrics[a] = {"retweet_count": 2, "reply_count": 3, "like_count": 5,
                       "quote_count": 1, "bookmark_count": 0, "impression_count": 480}
    gone = "1850000000000000001"
    assert adapter.metrics([a, b, gone]) == {
        a: Counters(likes=5, comments=3, shares=2, quotes=1, impressions=480),
        b: Counters(likes=0, comments=0, shares=0, quotes=0, impressions=None),
        gone: None}
    assert gets(fake, "/2/tweets") == [{"ids": [f"{a},{b},{gone}"],
                                        "tweet.fields": ["public_metrics"]}]
    assert adapter.metrics([]) == {} and len(gets(fake, "/2/tweets")) == 1


def test_followers_from_users_me(adapter: XAdapter, fake: FakeX) -> None:
    fake.followers = 321
    assert adapter.followers() == 321
    assert gets(fake, "/2/users/me") == [{"user.fields": ["public_metrics"]}]


def test_mentions_first_run_then_since_the_cursor(adapter: XAdapter, fake: FakeX) -> None:
    ours = fake.post("our post")["id"]
    fake.mention("77", "@cmops_test hello &amp; welcome")
    reply = fake.mention("78", "@cmops_test nope", in_reply_to_user_id=fake.user["id"],
                         referenced_tweets=[{"type": "replied_to", "id": ours}])
    items, cursor = adapter.inbox(None)
    assert cursor == reply["id"]
    assert [(i.kind, i.author.handle, i.author.followers, i.in_reply_to) for i in items] == [
        ("reply", "@bob", 3, ours), ("mention", "@ada", 1200, None)]
    assert items[1].text == "@cmops_test hello & welcome"
    assert items[1].author.url == "https://x.com/ada"
    assert items[0].url == f"https://x.com/i/web/status/{reply['id']}"
    first = gets(fake, f"/2/users/{fake.user['id']}/mentions")[0]
    assert first["max_results"] == ["20"] and "since_id" not in first
    assert first["expansions"] == ["author_id"]

    quote = fake.mention("77", "look", referenced_tweets=[{"type": "quoted", "id": ours}])
    for n in range(6):
        fake.mention("78", f"@cmops_test {n}")
    fake_page = 100
    items, newest = adapter.inbox(cursor)
    assert [i.kind for i in items][-1] == "quote" and items[-1].id == quote["id"]
    assert len(items) == 7 and newest == fake.mentions[-1]["id"]
    later = gets(fake, f"/2/users/{fake.user['id']}/mentions")[-1]
    assert later["since_id"] == [cursor] and later["max_results"] == [str(fake_page)]
    assert adapter.inbox(newest) == ([], newest)


def test_mentions_follow_pages(adapter: XAdapter, fake: FakeX) -> None:
    start = fake.mention("77", "@cmops_test 0")["id"]
    for n in range(1, 131):
        fake.mention("77", f"@cmops_test {n}")
    items, newest = adapter.inbox(start)
    assert len(items) == 130 and newest == fake.mentions[-1]["id"]
    assert [q.get("pagination_token") for q in
            gets(fake, f"/2/users/{fake.user['id']}/mentions")] == [None, ["100"]]


def test_replied_reads_our_posts_since_the_oldest_message(adapter: XAdapter,
                                                         fake: FakeX) -> None:
    m1 = fake.mention("77", "@cmops_test one")["id"]
    m2 = fake.mention("78", "@cmops_test two")["id"]
    fake.post("unrelated")
    answer = fake.answer("@ada thanks", m1)
    found = adapter.replied([m2, m1])
    assert found[m2] is None
    when = found[m1]
    assert when is not None and when.isoformat().startswith(
        answer["created_at"][:19])
    query = gets(fake, f"/2/users/{fake.user['id']}/tweets")[-1]
    assert query["since_id"] == [m1] and query["tweet.fields"] == [
        "created_at,referenced_tweets"]
    assert adapter.replied([]) == {}


@pytest.mark.parametrize("flag", ["read_forbidden", "read_453"])
def test_a_tier_without_reads_is_unavailable_not_zero(adapter: XAdapter, fake: FakeX,
                                                      flag: str) -> None:
    setattr(fake, flag, True)
    a = fake.post("one")["id"]
    assert adapter.metrics([a]) == {a: Counters()}
    assert adapter.followers() is None
    assert adapter.inbox("1850000000000000001") == ([], "1850000000000000001")
    assert adapter.replied(["1850000000000000001"]) == {"1850000000000000001": None}
    assert adapter.unavailable == {
        "metrics": "X free tier: no metrics (this app's access tier cannot read posts)",
        "followers": "X free tier: no follower count (this app's access tier cannot read "
                     "users)",
        "inbox": "X free tier: no mentions (this app's access tier cannot read posts)"}


def test_bearer_token_reads_too(fake: FakeX, tmp_path: Path) -> None:
    adapter = XAdapter(ChannelContext("x-main", "x", {"server": fake.url},
                                      {"token": fake.bearer}, tmp_path, Redactor()))
    fake.followers = 9
    assert adapter.followers() == 9
    adapter.close()
