"""cmops collect against the strict loopback Mastodon (scripted counters and notifications)
and the outbox: snapshots, cursors, unavailable data, crisis episodes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import Runner
from tests.fakes.mastodon_read import FakeMastodonRead
from tests.helpers import READ_AT as AT
from tests.helpers import READ_TOKEN as TOKEN
from tests.helpers import collect
from tests.helpers import read_state as state
from tests.helpers import setup_reading as setup


@pytest.fixture
def fake() -> Iterator[FakeMastodonRead]:
    with FakeMastodonRead(TOKEN).running() as server:
        yield server


def test_snapshots_inbox_and_cursor(run: Runner, repo: Path, fake: FakeMastodonRead) -> None:
    setup(repo, fake.url)
    fake.counters["100"] = {"favourites_count": 12, "replies_count": 3, "reblogs_count": 4,
                            "quotes_count": 1}
    fake.followers = 250
    fake.notify("mention", "Super lampe, bravo !", at="2026-11-27T07:00:00Z")
    fake.notify("mention", "My Halo is broken", in_reply_to="100", at="2026-11-27T07:10:00Z")
    fake.notify("mention", "Une question sur ma commande", visibility="direct",
                at="2026-11-27T07:20:00Z", followers=None)
    code, out = collect(run, repo)
    assert code == 0, out
    snap = state(repo, "snapshots/2026-11-27/masto.json")
    assert snap["account"] == {"followers": 250}
    assert snap["posts"] == [{
        "key": "teaser/masto", "url": "u/100", "remote_id": "100",
        "published_at": "2026-11-26T16:00:00Z", "available": True, "impressions": None,
        "likes": 12, "comments": 3, "shares": 4, "quotes": 1, "clicks": None}]
    items = state(repo, "inbox/2026-11-27-masto.json")["items"]
    assert isinstance(items, list)
    assert [(i["kind"], i["sentiment"], i["post"]) for i in items] == [
        ("mention", "positive", None), ("reply", "negative", "teaser"), ("dm", "neutral", None)]
    assert items[0]["author"] == {"handle": "@lea@piaille.fr", "name": "lea",
                                  "url": "https://example.test/@lea@piaille.fr",
                                  "followers": 120}
    assert state(repo, "cursors/masto.json")["inbox"] == "1002"
    # A second run reads from the cursor and finds nothing new.
    fake.gets.clear()
    code, out = collect(run, repo, "2026-11-27T10:00:00+00:00")
    assert code == 0
    notes = [g for g in fake.gets if g.startswith("/api/v1/notifications")]
    assert len(notes) == 1 and "since_id=1002" in notes[0]
    channels = {c["channel"]: c for c in out["channels"]}
    assert channels["masto"]["new_items"] == 0
    assert len(state(repo, "inbox/2026-11-27-masto.json")["items"]) == 3


def test_unavailable_is_not_zero(run: Runner, repo: Path, fake: FakeMastodonRead) -> None:
    setup(repo, fake.url)
    code, out = collect(run, repo)
    assert code == 0
    news = state(repo, "snapshots/2026-11-27/news.json")
    assert news["account"] == {"followers": None}
    assert news["posts"][0]["available"] is False
    assert news["posts"][0]["likes"] is None
    assert set(news["unavailable"]) == {"metrics", "followers"}
    sky = {c["channel"]: c for c in out["channels"]}["sky"]
    assert sky["error"] is None and set(sky["unavailable"]) == {"metrics", "followers", "inbox"}
    # The deleted status (404) is unavailable too, and an old post is outside the window.
    masto = state(repo, "snapshots/2026-11-27/masto.json")
    assert [p["key"] for p in masto["posts"]] == ["teaser/masto"]
    assert masto["posts"][0]["available"] is False


def test_pagination_follows_link_and_stops_at_cursor(run: Runner, repo: Path,
                                                     fake: FakeMastodonRead) -> None:
    setup(repo, fake.url)
    for n in range(45):
        fake.notify("mention", f"hello {n}", at=f"2026-11-27T05:{n:02d}:00Z")
    code, _ = collect(run, repo)
    assert code == 0
    items = state(repo, "inbox/2026-11-27-masto.json")["items"]
    assert len(items) == 45
    assert state(repo, "cursors/masto.json")["inbox"] == "1044"
    fake.notify("mention", "one more", at="2026-11-27T08:55:00Z")
    fake.gets.clear()
    collect(run, repo, "2026-11-27T10:00:00+00:00")
    assert len(state(repo, "inbox/2026-11-27-masto.json")["items"]) == 46
    assert len([g for g in fake.gets if g.startswith("/api/v1/notifications")]) == 1


def test_answer_is_found_later(run: Runner, repo: Path, fake: FakeMastodonRead) -> None:
    setup(repo, fake.url)
    dm = fake.notify("mention", "Bonjour ?", visibility="direct", at="2026-11-27T08:00:00Z")
    collect(run, repo)
    fake.answer(dm, "2026-11-27T08:30:00Z")
    code, _ = collect(run, repo, "2026-11-28T09:00:00+00:00")
    assert code == 0
    item = state(repo, "inbox/2026-11-28-masto.json")["items"][0]
    assert item["replied_at"] == "2026-11-27T08:30:00Z"
    result = run("kpi", "--channel", "masto", "--from", "2026-11-27", "--to", "2026-11-28",
                 "--at", "2026-11-28T10:00:00+00:00", "--format", "json", root=repo)
    scope = json.loads(result.stdout)["scopes"][0]
    assert (scope["dm_replies"], scope["median_first_response_seconds"]) == (1, 1800.0)


def test_crisis_fires_once_per_episode(run: Runner, repo: Path,
                                       fake: FakeMastodonRead) -> None:
    setup(repo, fake.url)
    for minute in (10, 20, 30):
        fake.notify("mention", "Rappel produit ? Ma lampe chauffe",
                    at=f"2026-11-27T08:{minute}:00Z")
    code, out = collect(run, repo, "2026-11-27T08:40:00+00:00")
    assert code == 4
    assert [s["rule"] for s in out["crisis"]] == ["negative-burst"]
    # Still within the hour: the same episode, no second signal.
    code, out = collect(run, repo, "2026-11-27T08:50:00+00:00")
    assert (code, out["crisis"], out["open_episodes"]) == (
        0, [], {"negative-burst": "2026-11-27T08:40:00Z"})
    # The hour passes quietly: the episode closes.
    code, out = collect(run, repo, "2026-11-27T10:00:00+00:00")
    assert (code, out["open_episodes"]) == (0, {})
    # A new burst is a new episode.
    for minute in (1, 2, 3):
        fake.notify("mention", "recall? this is dangerous", at=f"2026-11-27T10:0{minute}:00Z")
    code, out = collect(run, repo, "2026-11-27T10:05:00+00:00")
    assert code == 4 and len(out["crisis"]) == 1
    fired = state(repo, "crisis/state.json")["fired"]
    assert [f["at"] for f in fired] == ["2026-11-27T08:40:00Z",
                                        "2026-11-27T10:05:00Z"]


def test_network_error_is_exit_1(run: Runner, repo: Path, fake: FakeMastodonRead) -> None:
    setup(repo, fake.url)
    result = run("collect", "--at", AT, "--format", "json", root=repo,
                 env={"MASTO_TOKEN": "wrong"})
    assert result.exit_code == 1
    masto = {c["channel"]: c for c in json.loads(result.stdout)["channels"]}["masto"]
    assert masto["error"].startswith("HTTP 401")
    assert not (repo / ".cmops/state/cursors/masto.json").exists()
