"""The LinkedIn adapter's reading half against the strict loopback LinkedIn: a page's share
statistics and follower count, a member's social actions, and everything the token may not
read recorded as unavailable with its reason (never zero). The inbox: see
test_inbox_comments_linkedin."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest
from tests.fakes.linkedin import FakeLinkedIn

from cmops.adapters import ChannelContext, Rejected
from cmops.adapters.linkedin import LinkedInAdapter
from cmops.adapters.reading import Counters, ReplyChecker, Searcher, reader_of
from cmops.secrets import Redactor

PERSON = "urn:li:person:AbC123"


@pytest.fixture
def fake() -> Iterator[FakeLinkedIn]:
    with FakeLinkedIn().running() as server:
        yield server


def make(fake: FakeLinkedIn, tmp_path: Path) -> LinkedInAdapter:
    return LinkedInAdapter(ChannelContext(
        "li", "linkedin", {"network": "linkedin", "server": fake.url, "account": fake.author},
        {"token": fake.token}, tmp_path, Redactor(), timeout=5.0))


@pytest.fixture
def adapter(fake: FakeLinkedIn, tmp_path: Path) -> Iterator[LinkedInAdapter]:
    a = make(fake, tmp_path)
    yield a
    a.close()


def stats_queries(fake: FakeLinkedIn) -> list[dict[str, list[str]]]:
    return [r["query"] for r in fake.requests
            if r["path"] == "/rest/organizationalEntityShareStatistics"]


def test_reads_without_inbox_answers_or_search(adapter: LinkedInAdapter) -> None:
    assert reader_of(adapter) is adapter
    assert not isinstance(adapter, ReplyChecker) and not isinstance(adapter, Searcher)
    assert adapter.inbox("c") == ([], "c")  # no post, so no comment: read, not unavailable
    assert "inbox" not in adapter.unavailable


def test_page_statistics_in_one_call(adapter: LinkedInAdapter, fake: FakeLinkedIn) -> None:
    a = fake.add({"commentary": "a"})["id"]
    b = fake.add({"commentary": "b"})["id"]
    ugc = "urn:li:ugcPost:7140000000000000999"
    fake.posts.append({"id": ugc, "commentary": "c", "createdAt": 0})
    fake.stats[a] = {"likeCount": 7, "commentCount": 2, "shareCount": 1, "clickCount": 9,
                     "impressionCount": 300, "uniqueImpressionsCount": 250, "engagement": 0.06}
    fake.stats[ugc] = {"likeCount": 1, "commentCount": 0, "shareCount": 0, "clickCount": 0,
                       "impressionCount": 12}
    assert adapter.metrics([a, b, ugc]) == {
        a: Counters(likes=7, comments=2, shares=1, impressions=300, clicks=9),
        b: Counters(),  # no statistics (yet): unavailable, not zero, not "deleted"
        ugc: Counters(likes=1, comments=0, shares=0, impressions=12, clicks=0)}
    assert stats_queries(fake) == [{"q": ["organizationalEntity"],
                                    "organizationalEntity": [fake.author],
                                    "shares": [f"List({a},{b})"], "ugcPosts": [f"List({ugc})"]}]
    assert adapter.metrics([]) == {} and len(stats_queries(fake)) == 1


def test_page_followers_from_network_sizes(adapter: LinkedInAdapter,
                                           fake: FakeLinkedIn) -> None:
    fake.followers = 4321
    assert adapter.followers() == 4321
    [request] = [r for r in fake.requests if r["path"].startswith("/rest/networkSizes/")]
    assert unquote(request["path"]) == f"/rest/networkSizes/{fake.author}"
    assert request["query"] == {"edgeType": ["COMPANY_FOLLOWED_BY_MEMBER"]}
    assert request["headers"]["LinkedIn-Version"] == "202603"


def test_a_token_that_cannot_read_is_unavailable(adapter: LinkedInAdapter,
                                                 fake: FakeLinkedIn) -> None:
    fake.read_forbidden = True
    a = fake.add({"commentary": "a"})["id"]
    fake.stats[a] = {"likeCount": 7}
    assert adapter.metrics([a]) == {a: Counters()}
    assert adapter.followers() is None
    assert set(adapter.unavailable) == {"metrics", "followers"}
    assert "r_organization_social" in adapter.unavailable["metrics"]
    assert fake.token not in str(adapter.unavailable)


def test_a_member_reads_social_actions(fake: FakeLinkedIn, tmp_path: Path) -> None:
    fake.author = PERSON
    adapter = make(fake, tmp_path)
    a = fake.add({"commentary": "a"})["id"]
    fake.social[a] = {"likesSummary": {"totalLikes": 4, "likedByCurrentUser": False},
                      "commentsSummary": {"totalFirstLevelComments": 1,
                                          "aggregatedTotalComments": 3}}
    gone = "urn:li:share:1"
    assert adapter.metrics([a, gone]) == {a: Counters(likes=4, comments=3), gone: None}
    assert adapter.followers() is None  # not offered: no request at all
    assert not [r for r in fake.requests if "networkSizes" in r["path"]]
    assert "approved partners" in adapter.unavailable["followers"]
    fake.read_forbidden = True
    assert adapter.metrics([a]) == {a: Counters()}
    assert "r_member_social" in adapter.unavailable["metrics"]
    adapter.close()


def test_an_expired_token_is_an_error_not_unavailable(fake: FakeLinkedIn,
                                                      tmp_path: Path) -> None:
    adapter = LinkedInAdapter(ChannelContext(
        "li", "linkedin", {"server": fake.url, "account": fake.author},
        {"token": "expired-token-canary"}, tmp_path, Redactor(), timeout=5.0))
    with pytest.raises(Rejected) as caught:
        adapter.followers()
    assert caught.value.status == 401 and "expired-token-canary" not in str(caught.value)
    with pytest.raises(Rejected):
        adapter.metrics(["urn:li:share:1"])
    assert not getattr(adapter, "unavailable", {})
    adapter.close()
