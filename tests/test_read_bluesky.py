"""Bluesky reading (cmops collect) against the strict loopback AppView and PDS of
:mod:`tests.fakes.bluesky_read`: counters from getPosts, followers from getProfile, the inbox
from listNotifications with its cursor, answers from getPostThread, keyword search from
searchPosts, and "unavailable" (never zero) when no AppView answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.fakes.bluesky_read import FakeAppView, FakeBlueskyRead, Index

from cmops.adapters import ChannelContext, Rejected
from cmops.adapters.bluesky import BlueskyAdapter
from cmops.adapters.reading import Counters, Reader, ReplyChecker, Searcher
from cmops.collect import collect
from cmops.ledger import PartRecord, PartState, Record, RecordState
from cmops.listening import Listening
from cmops.secrets import Redactor
from cmops.stores.local import LocalStore
from cmops.validate import load_calendar

PASSWORD = "app-pass-r3ad-9zq1"
LEA = "did:plc:lea00000000000000000000"
MAX = "did:plc:max00000000000000000000"
POSTS = "app.bsky.feed.getPosts"
NOTES = "app.bsky.notification.listNotifications"
SEARCH = "app.bsky.feed.searchPosts"


@dataclass
class Sky:
    index: Index
    pds: FakeBlueskyRead
    appview: FakeAppView
    ours: str
    """The at-uri of our published post."""


@pytest.fixture
def sky() -> Iterator[Sky]:
    index = Index()
    with FakeBlueskyRead(index, password=PASSWORD).running() as pds, \
            FakeAppView(index).running() as appview:
        index.profile(LEA, "lea.test", name="Léa", followers=120)
        index.profile(MAX, "max.test", followers=5)
        index.profiles[pds.did]["followersCount"] = 250
        ours = index.post(pds.did, "Notre lampe Halo arrive", "2026-11-26T16:00:00.000Z",
                          likes=12, reposts=4)
        yield Sky(index, pds, appview, ours)


def make(sky: Sky, tmp_path: Path, appview: str | None = None) -> BlueskyAdapter:
    settings = {"network": "bluesky", "server": sky.pds.url,
                "appview": appview or sky.appview.url}
    return BlueskyAdapter(ChannelContext("sky", "bluesky", settings,
                                         {"identifier": "brand.test", "password": PASSWORD},
                                         tmp_path, Redactor(), timeout=5))


@pytest.fixture
def adapter(sky: Sky, tmp_path: Path) -> Iterator[BlueskyAdapter]:
    a = make(sky, tmp_path)
    yield a
    a.close()


def calls(sky: Sky, nsid: str) -> list[dict[str, Any]]:
    return [r for r in sky.pds.requests if r["path"] == f"/xrpc/{nsid}"]


def test_it_is_a_reader_a_reply_checker_and_a_searcher(adapter: BlueskyAdapter) -> None:
    assert isinstance(adapter, Reader)
    assert isinstance(adapter, ReplyChecker)
    assert isinstance(adapter, Searcher)


def test_counters_from_the_public_appview(sky: Sky, adapter: BlueskyAdapter) -> None:
    sky.index.post(LEA, "Bravo !", "2026-11-26T17:00:00.000Z", reply_to=sky.ours)
    sky.index.post(MAX, "Regardez", "2026-11-26T17:05:00.000Z", quote=sky.ours)
    gone = f"at://{sky.pds.did}/app.bsky.feed.post/3kdeleted00000"
    found = adapter.metrics([sky.ours, gone, "not-a-uri"])
    assert found == {sky.ours: Counters(likes=12, comments=1, shares=4, quotes=1),
                     gone: None, "not-a-uri": None}
    ours = found[sky.ours]
    assert ours is not None and ours.impressions is None
    # Unauthenticated, to the AppView: the session never leaves the PDS.
    assert [r["method"] for r in sky.appview.requests] == [POSTS]
    assert "Authorization" not in sky.appview.requests[0]["headers"]
    assert adapter.unavailable == {}


def test_counters_are_asked_25_uris_at_a_time(sky: Sky, adapter: BlueskyAdapter) -> None:
    uris = [sky.index.post(sky.pds.did, f"post {n}", f"2026-11-25T10:{n:02d}:00.000Z",
                           likes=n) for n in range(30)]
    found = adapter.metrics(uris)
    assert [c.likes if c else None for c in found.values()] == list(range(30))
    assert [len(r["query"]["uris"]) for r in sky.appview.requests] == [25, 5]


def test_followers_from_get_profile(sky: Sky, adapter: BlueskyAdapter) -> None:
    assert adapter.followers() == 250
    asked = [r for r in sky.appview.requests if r["method"] == "app.bsky.actor.getProfile"]
    assert asked[0]["query"] == {"actor": [sky.pds.did]}
    assert "Authorization" not in asked[0]["headers"]


def script_inbox(sky: Sky) -> dict[str, str]:
    i = sky.index
    me = sky.pds.did
    mention = i.post(LEA, "Salut @brand.test, la lampe est superbe",
                     "2026-11-27T07:00:00.000Z")
    reply = i.post(MAX, "Elle chauffe, la mienne", "2026-11-27T07:10:00.000Z",
                   reply_to=sky.ours)
    quote = i.post(LEA, "À voir", "2026-11-27T07:20:00.000Z", quote=sky.ours)
    i.notify(me, "mention", mention)
    i.notify(me, "reply", reply)
    i.notify(me, "quote", quote, subject=sky.ours)
    i.notify(me, "like", reply)  # not an inbox item
    return {"mention": mention, "reply": reply, "quote": quote}


def test_inbox_kinds_authors_and_targets(sky: Sky, adapter: BlueskyAdapter) -> None:
    uris = script_inbox(sky)
    items, cursor = adapter.inbox(None)
    assert [(i.kind, i.id, i.in_reply_to) for i in items] == [
        ("quote", uris["quote"], sky.ours), ("reply", uris["reply"], sky.ours),
        ("mention", uris["mention"], None)]
    quote = items[0]
    assert (quote.author.handle, quote.author.name, quote.author.url) == (
        "@lea.test", "Léa", "https://bsky.app/profile/lea.test")
    assert quote.url == f"https://bsky.app/profile/lea.test/post/{uris['quote'].split('/')[-1]}"
    assert quote.received_at == datetime(2026, 11, 27, 7, 20, tzinfo=UTC)
    assert quote.text == "À voir"
    assert cursor == "2026-11-27T07:20:00.000Z"
    asked = calls(sky, NOTES)
    assert len(asked) == 1 and asked[0]["query"]["reasons"] == ["mention", "reply", "quote"]
    assert asked[0]["headers"]["Authorization"].startswith("Bearer ")
    assert not calls(sky, "app.bsky.notification.updateSeen")  # the read state is the human's


def test_inbox_cursor_pages_back_to_where_the_last_run_stopped(
        sky: Sky, adapter: BlueskyAdapter) -> None:
    def mention(n: int) -> None:
        uri = sky.index.post(LEA, f"hello {n}", f"2026-11-27T0{n // 60}:{n % 60:02d}:00.000Z")
        sky.index.notify(sky.pds.did, "mention", uri)

    for n in range(30):
        mention(n)
    first, cursor = adapter.inbox(None)
    assert len(first) == 30 and cursor == "2026-11-27T00:29:00.000Z"
    for n in range(30, 150):
        mention(n)
    sky.pds.requests.clear()
    items, cursor = adapter.inbox(cursor)
    # 120 new ones plus the one at the cursor itself (collect drops the ids it has).
    assert len(items) == 121 and len({i.id for i in items}) == 121
    assert cursor == "2026-11-27T02:29:00.000Z"
    assert len(calls(sky, NOTES)) == 3 and "cursor" in calls(sky, NOTES)[1]["query"]
    sky.pds.requests.clear()
    again, same = adapter.inbox(cursor)
    assert [i.text for i in again] == ["hello 149"] and same == cursor
    assert len(calls(sky, NOTES)) == 1


def test_the_fake_keeps_seen_at_semantics(sky: Sky) -> None:
    script_inbox(sky)
    login = httpx.post(f"{sky.pds.url}/xrpc/com.atproto.server.createSession",
                       json={"identifier": "brand.test", "password": PASSWORD}).json()
    auth = {"Authorization": f"Bearer {login['accessJwt']}"}
    url = f"{sky.pds.url}/xrpc/{NOTES}"
    assert all(not n["isRead"] for n in httpx.get(url, headers=auth).json()["notifications"])
    httpx.post(f"{sky.pds.url}/xrpc/app.bsky.notification.updateSeen", headers=auth,
               json={"seenAt": "2026-11-27T07:10:00.000Z"})
    page = httpx.get(url, headers=auth, params={"limit": 2}).json()
    assert page["seenAt"] == "2026-11-27T07:10:00.000Z"
    assert [n["isRead"] for n in page["notifications"]] == [False, True]
    rest = httpx.get(url, headers=auth, params={"cursor": page["cursor"]}).json()
    assert len(rest["notifications"]) == 2 and "cursor" not in rest
    bad = httpx.get(url, headers=auth, params={"limit": 101, "reasons": "mention"})
    assert bad.status_code == 400 and bad.json()["error"] == "InvalidRequest"
    assert httpx.get(url).json() == {"error": "AuthMissing",
                                     "message": "Authentication Required"}


def test_replied_finds_our_answer(sky: Sky, adapter: BlueskyAdapter) -> None:
    uris = script_inbox(sky)
    sky.index.post(sky.pds.did, "Merci Léa !", "2026-11-27T07:45:00.000Z",
                   reply_to=uris["mention"])
    sky.index.post(MAX, "+1", "2026-11-27T07:30:00.000Z", reply_to=uris["reply"])
    gone = f"at://{LEA}/app.bsky.feed.post/3kgone000000000"
    assert adapter.replied([uris["mention"], uris["reply"], gone]) == {
        uris["mention"]: datetime(2026, 11, 27, 7, 45, tzinfo=UTC), uris["reply"]: None,
        gone: None}


def test_search_finds_others_posts_once_and_resumes(sky: Sky,
                                                    adapter: BlueskyAdapter) -> None:
    halo = sky.index.post(LEA, "La lampe Halo, quelqu'un l'a ?", "2026-11-27T06:00:00.000Z")
    both = sky.index.post(MAX, "Halo lampe: géniale", "2026-11-27T06:30:00.000Z")
    sky.index.post(LEA, "Rien à voir", "2026-11-27T06:40:00.000Z")
    items, cursor = adapter.search(["Halo", "lampe", " "], None)
    assert sorted(i.id for i in items) == sorted([halo, both])  # ours excluded, no repeats
    assert {i.kind for i in items} == {"keyword"} and cursor == "2026-11-27T06:30:00.000Z"
    asked = calls(sky, SEARCH)
    assert [r["query"]["q"] for r in asked] == [["Halo"], ["lampe"]]
    assert all(r["query"]["sort"] == ["latest"] and "since" not in r["query"] for r in asked)
    assert not [r for r in sky.appview.requests if r["method"] == SEARCH]  # refused there
    later = sky.index.post(LEA, "Ma Halo est arrivée", "2026-11-27T09:00:00.000Z")
    sky.pds.requests.clear()
    items, cursor = adapter.search(["Halo"], cursor)
    # The one at the cursor again (collect drops the ids it has), and the new one.
    assert {i.id for i in items} == {both, later} and cursor == "2026-11-27T09:00:00.000Z"
    assert calls(sky, SEARCH)[0]["query"]["since"] == ["2026-11-27T06:30:00.000Z"]


def test_search_pages_with_the_cursor(sky: Sky, adapter: BlueskyAdapter) -> None:
    items, cursor = adapter.search(["halo"], None)
    assert items == [] and cursor == "2026-11-26T16:00:00.000Z"  # only ours so far
    for n in range(70):
        sky.index.post(LEA, f"halo {n}", f"2026-11-27T08:{n // 60:02d}:{n % 60:02d}.000Z")
    first, cursor = adapter.search(["halo"], "2026-11-27T07:00:00.000Z")
    assert len(first) == 70 and cursor == "2026-11-27T08:01:09.000Z"
    assert [r["query"].get("cursor") for r in calls(sky, SEARCH)][-2:] == [None, ["50"]]


def test_no_appview_behind_the_pds_is_unavailable(sky: Sky, tmp_path: Path) -> None:
    script_inbox(sky)
    sky.pds.upstream = 502
    adapter = make(sky, tmp_path, appview=sky.pds.url)  # every read through the PDS
    try:
        assert adapter.metrics([sky.ours]) == {sky.ours: Counters()}
        assert adapter.followers() is None
        assert adapter.inbox("2026-11-27T00:00:00.000Z") == ([], "2026-11-27T00:00:00.000Z")
        assert adapter.search(["halo"], None) == ([], None)
        assert adapter.replied([sky.ours]) == {sky.ours: None}
        assert set(adapter.unavailable) == {"metrics", "followers", "inbox", "search",
                                            "replies"}
        assert "UpstreamFailure" in adapter.unavailable["inbox"]
        # Once known, the run does not ask again.
        before = len(sky.pds.requests)
        adapter.metrics([sky.ours])
        assert len(sky.pds.requests) == before
    finally:
        adapter.close()


def test_method_not_implemented_is_unavailable(sky: Sky, tmp_path: Path) -> None:
    sky.pds.upstream = 501
    adapter = make(sky, tmp_path, appview=sky.pds.url)
    try:
        assert adapter.inbox(None) == ([], None)
        assert "MethodNotImplemented" in adapter.unavailable["inbox"]
    finally:
        adapter.close()


def test_other_errors_are_errors_and_expired_sessions_refresh(
        sky: Sky, adapter: BlueskyAdapter) -> None:
    script_inbox(sky)
    adapter.inbox(None)
    sky.pds.expire_sessions()
    items, _ = adapter.inbox(None)
    assert len(items) == 3 and sky.pds.refreshes == 1
    with pytest.raises(Rejected, match="NotFound"):
        adapter._read("replies", "app.bsky.feed.getPostThread", {"uri": "at://x/y/z"},
                      public=True)


def test_collect_with_bluesky(sky: Sky, repo: Path, tmp_path: Path) -> None:
    """cmops collect's own run over this adapter: snapshot, inbox, keyword items deduplicated
    against the inbox, and a second run that finds nothing new."""
    (repo / "calendar/channels.yaml").write_text(
        f"timezone: UTC\nchannels:\n  sky:\n    network: bluesky\n    server: {sky.pds.url}\n"
        "    secrets:\n      identifier: SKY_ID\n      password: SKY_PASSWORD\n", "utf-8")
    calendar, _ = load_calendar(repo, use_cache=False)
    store = LocalStore(repo / ".cmops/state")
    store.save(Record("teaser/sky", "teaser", "sky", "bluesky", state=RecordState.PUBLISHED,
                      publish_at="2026-11-26T16:00:00Z", parts=[PartRecord(
                          PartState.PUBLISHED, "d", at="2026-11-26T16:00:00Z",
                          remote_id=sky.ours,
                          url="https://bsky.app/x")]))
    uris = script_inbox(sky)
    sky.index.post(MAX, "Halo: déçu", "2026-11-27T08:00:00.000Z")
    rules = Listening(brand_terms=("Halo",), watch_keywords=("lampe",))
    built: list[BlueskyAdapter] = []

    def factory(name: str) -> BlueskyAdapter:
        built.append(make(sky, tmp_path))
        return built[-1]

    try:
        now = datetime(2026, 11, 27, 9, tzinfo=UTC)
        result = collect(calendar, rules, store, factory, now)
        assert result.ok, result.as_json()
        [summary] = result.channels
        # The mention also says "lampe": it is in the inbox once, as a mention.
        assert (summary.followers, summary.posts, summary.new_items,
                summary.keyword_items) == (250, 1, 4, 1)
        state = repo / ".cmops/state"
        snap = json.loads((state / "snapshots/2026-11-27/sky.json").read_text())
        assert snap["posts"][0] == {
            "key": "teaser/sky", "url": "https://bsky.app/x", "remote_id": sky.ours,
            "published_at": "2026-11-26T16:00:00Z", "available": True, "impressions": None,
            "likes": 12, "comments": 1, "shares": 4, "quotes": 1, "clicks": None}
        items = json.loads((state / "inbox/2026-11-27-sky.json").read_text())["items"]
        kinds = {i["remote_id"]: i["kind"] for i in items}
        assert kinds[uris["mention"]] == "mention" and list(kinds.values()).count("keyword") == 1
        assert {i["post"] for i in items if i["in_reply_to"] == sky.ours} == {"teaser"}
        cursors = json.loads((state / "cursors/sky.json").read_text())
        assert cursors["inbox"] == "2026-11-27T07:20:00.000Z"
        assert cursors["search"] == "2026-11-27T08:00:00.000Z"
        again = collect(calendar, rules, store, factory, now.replace(hour=10))
        assert again.channels[0].new_items == 0
    finally:
        for a in built:
            a.close()
