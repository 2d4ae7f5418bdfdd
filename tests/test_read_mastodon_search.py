"""Mastodon listening beyond our notifications: hashtag timelines and ``/api/v2/search``
against the strict loopback Mastodon, with the cursor that makes the next run read only
what is new."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from tests.conftest import Runner
from tests.fakes.mastodon_read import ME, FakeMastodonRead
from tests.helpers import READ_TOKEN, collect, read_state, setup_reading

from cmops.adapters import ChannelContext
from cmops.adapters.mastodon import MastodonAdapter
from cmops.adapters.reading import Searcher
from cmops.secrets import Redactor

TOKEN = READ_TOKEN


@pytest.fixture
def fake() -> Iterator[FakeMastodonRead]:
    with FakeMastodonRead(TOKEN).running() as server:
        yield server


@pytest.fixture
def adapter(fake: FakeMastodonRead, tmp_path: Path) -> Iterator[MastodonAdapter]:
    a = MastodonAdapter(ChannelContext("masto", "mastodon", {"server": fake.url},
                                       {"token": TOKEN}, tmp_path, Redactor(), timeout=5))
    yield a
    a.close()


def asked(fake: FakeMastodonRead) -> list[tuple[str, dict[str, list[str]]]]:
    out = []
    for path in fake.gets:
        parts = urlsplit(path)
        if parts.path.startswith(("/api/v1/timelines/tag/", "/api/v2/search")):
            out.append((unquote(parts.path), parse_qs(parts.query)))
    return out


def test_hashtags_and_full_text_search(fake: FakeMastodonRead,
                                       adapter: MastodonAdapter) -> None:
    assert isinstance(adapter, Searcher)
    tagged = fake.publish_public("J'adore ma <b>#Halo</b> &amp; vous ?",
                                 at="2026-11-27T07:00:00Z")
    fake.publish_public("Halo cassée", acct="shy@x.example", indexable=False)  # unseen
    lamp = fake.publish_public("#lampe en promo", at="2026-11-27T07:10:00Z")
    phrase = fake.publish_public("une lampe de chevet Halo", at="2026-11-27T07:20:00Z")
    ours = fake.publish_public("#Halo is here", account_id=ME, acct="brand")
    items, cursor = adapter.search(["Halo", "#lampe", "lampe de chevet", "été"], None)
    assert [i.id for i in items] == [tagged, lamp, phrase]  # oldest first, each once
    first = items[0]
    assert (first.kind, first.author.handle, first.author.followers, first.text) == (
        "keyword", "@zoe@social.example", 42, "J'adore ma #Halo & vous ?")
    assert first.received_at == datetime(2026, 11, 27, 7, 0, tzinfo=UTC)
    assert first.url == f"{fake.url}/@zoe@social.example/{tagged}"
    assert cursor == ours  # the newest seen, ours included, so it is not read again
    assert [(p, q.get("q")) for p, q in asked(fake)] == [
        ("/api/v1/timelines/tag/Halo", None), ("/api/v2/search", ["Halo"]),
        ("/api/v1/timelines/tag/lampe", None), ("/api/v2/search", ["lampe de chevet"]),
        ("/api/v1/timelines/tag/été", None), ("/api/v2/search", ["été"])]
    assert all("min_id" not in q and q["limit"] == ["40"] for _, q in asked(fake))
    assert all(q["type"] == ["statuses"] for p, q in asked(fake) if p == "/api/v2/search")


def test_the_cursor_reads_only_what_is_new(fake: FakeMastodonRead,
                                           adapter: MastodonAdapter) -> None:
    old = fake.publish_public("#halo un", at="2026-11-27T07:00:00Z")
    _, cursor = adapter.search(["#halo"], None)
    assert cursor == old
    new = [fake.publish_public(f"#halo n{n}", at=f"2026-11-27T08:{n:02d}:00Z")
           for n in range(50)]
    fake.gets.clear()
    items, cursor = adapter.search(["#halo"], cursor)
    assert [i.id for i in items] == new and cursor == new[-1]
    mins = [q["min_id"] for _, q in asked(fake)]
    assert mins == [[old], [new[39]]]  # page after page, oldest unread first
    fake.gets.clear()
    assert adapter.search(["#halo"], cursor) == ([], cursor)
    assert len(asked(fake)) == 1


def test_a_token_without_read_search_is_unavailable(fake: FakeMastodonRead,
                                                     adapter: MastodonAdapter) -> None:
    fake.search_forbidden = True  # type: ignore[attr-defined]
    assert adapter.search(["halo"], "9001") == ([], "9001")
    assert "outside the authorized scopes" in adapter.unavailable["search"]


def test_collect_adds_keyword_items_once(run: Runner, repo: Path,
                                         fake: FakeMastodonRead) -> None:
    setup_reading(repo, fake.url)
    (repo / "calendar/listening.yaml").write_text(
        "brand_terms: [Halo]\nwatch_keywords: ['#lampe']\n", "utf-8")
    fake.notify("mention", "Bonjour", at="2026-11-27T07:00:00Z")
    fake.publish_public("Ma #lampe Halo est cassée, déçu", at="2026-11-27T08:00:00Z")
    code, out = collect(run, repo)
    assert code == 0, out
    masto = {c["channel"]: c for c in out["channels"]}["masto"]
    assert (masto["new_items"], masto["keyword_items"]) == (2, 1)
    items = read_state(repo, "inbox/2026-11-27-masto.json")["items"]
    assert [i["kind"] for i in items] == ["mention", "keyword"]
    assert items[1]["sentiment"] == "negative"
    cursors = read_state(repo, "cursors/masto.json")
    assert cursors["search"] is not None
    code, out = collect(run, repo, "2026-11-27T10:00:00+00:00")
    masto = {c["channel"]: c for c in out["channels"]}["masto"]
    assert (code, masto["new_items"], masto["keyword_items"]) == (0, 0, 0)
    assert json.loads((repo / ".cmops/state/cursors/masto.json").read_text())["search"] == \
        cursors["search"]
