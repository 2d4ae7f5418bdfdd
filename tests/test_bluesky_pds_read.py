"""Reading against the real Bluesky PDS (``@atproto/pds`` on 127.0.0.1, the harness of
:mod:`tests.fakes.pds`): it has no AppView behind it, so every ``app.bsky.*`` read
answers 502 ``UpstreamFailure``. cmops must record that as *unavailable*: counters and
followers of None (never zero), no inbox items, the cursor kept, and no error.

Skipped, saying why, when scripts/pds-setup has not been run (failing instead under
``CMOPS_REQUIRE_PDS=1``), like the publishing tests.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.fakes.pds import Pds

from cmops.adapters import ChannelContext, Outgoing
from cmops.adapters.bluesky import BlueskyAdapter, tid
from cmops.adapters.reading import Counters
from cmops.collect import collect
from cmops.ledger import PartRecord, PartState, Record, RecordState
from cmops.listening import Listening
from cmops.secrets import Redactor
from cmops.stores.local import LocalStore
from cmops.validate import load_calendar

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def adapter(pds: Pds, root: Path) -> BlueskyAdapter:
    # The public AppView is not reachable from the tests: read through the PDS itself,
    # authenticated, as a PDS proxies app.bsky.* to its AppView.
    settings = {"network": "bluesky", "server": pds.url, "appview": pds.url}
    return BlueskyAdapter(ChannelContext("bsky", "bluesky", settings,
                                         {"identifier": "brand.test",
                                          "password": pds.app_password},
                                         root, Redactor(), timeout=20))


def publish_one(pds: Pds, root: Path, clock: int) -> str:
    """One post, record key from ``clock`` (each test its own: the PDS is shared)."""
    a = adapter(pds, root)
    try:
        micros = (NOW - timedelta(hours=5) - datetime(1970, 1, 1, tzinfo=UTC)) \
            // timedelta(microseconds=1)
        remote = a.publish(Outgoing("teaser/bsky", "teaser", "bsky", 0, 1,
                                    "La lampe Halo arrive", tid(micros, clock),
                                    published_at=NOW - timedelta(hours=5)))
    finally:
        a.close()
    return remote.id


def test_every_read_is_unavailable_not_zero(pds: Pds, tmp_path: Path) -> None:
    uri = publish_one(pds, tmp_path, 11)
    a = adapter(pds, tmp_path)
    try:
        assert a.metrics([uri]) == {uri: Counters()}
        assert a.followers() is None
        assert a.inbox(None) == ([], None)
        assert a.inbox("2026-11-27T08:00:00.000Z") == ([], "2026-11-27T08:00:00.000Z")
        assert a.search(["Halo"], None) == ([], None)
        assert a.replied([uri]) == {uri: None}
        assert set(a.unavailable) == {"metrics", "followers", "inbox", "search", "replies"}
        assert all("502" in why and "UpstreamFailure" in why for why in a.unavailable.values())
        assert pds.app_password not in json.dumps(a.unavailable)
    finally:
        a.close()


def test_collect_records_unavailable(pds: Pds, repo: Path, tmp_path: Path) -> None:
    uri = publish_one(pds, tmp_path, 12)
    (repo / "calendar/channels.yaml").write_text(
        f"timezone: UTC\nchannels:\n  bsky:\n    network: bluesky\n    server: {pds.url}\n"
        "    secrets:\n      identifier: BSKY_ID\n      password: BSKY_PASSWORD\n", "utf-8")
    calendar, _ = load_calendar(repo, use_cache=False)
    store = LocalStore(repo / ".cmops/state")
    at = (NOW - timedelta(hours=5)).isoformat().replace("+00:00", "Z")
    store.save(Record("teaser/bsky", "teaser", "bsky", "bluesky", state=RecordState.PUBLISHED,
                      publish_at=at, parts=[PartRecord(PartState.PUBLISHED, "d", at=at,
                                                       remote_id=uri, url="u")]))
    built: list[BlueskyAdapter] = []

    def factory(name: str) -> BlueskyAdapter:
        built.append(adapter(pds, repo))
        return built[-1]

    try:
        result = collect(calendar, Listening(brand_terms=("Halo",)), store, factory, NOW)
    finally:
        for a in built:
            a.close()
    assert result.ok, result.as_json()
    [summary] = result.channels
    assert (summary.error, summary.followers, summary.new_items) == (None, None, 0)
    assert set(summary.unavailable) == {"metrics", "followers", "inbox", "search"}
    assert "UpstreamFailure" in summary.unavailable["inbox"]
    snap = json.loads((repo / ".cmops/state/snapshots/2026-11-27/bsky.json").read_text())
    assert snap["account"] == {"followers": None}
    assert set(snap["unavailable"]) == {"metrics", "followers"}
    assert "502" in snap["unavailable"]["metrics"]
    [post] = snap["posts"]
    assert post["available"] is False
    assert [post[k] for k in ("likes", "comments", "shares", "quotes", "impressions")] == \
        [None] * 5
    cursors = json.loads((repo / ".cmops/state/cursors/bsky.json").read_text())
    assert (cursors["inbox"], cursors["search"]) == (None, None)
    assert not (repo / ".cmops/state/inbox").exists()
