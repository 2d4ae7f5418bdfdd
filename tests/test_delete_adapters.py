"""Taking a post down (issue 19, withdrawals) on Bluesky, Mastodon, X and the outbox, each
against its strict loopback fake (the outbox against its own folder): the exact delete
request, thread parts, a repeated delete that finds nothing (deleted already: no error), 5xx
and 429 as Transient, refusals as Rejected (another account's post, a missing scope), and no
secret in any message."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.x import FakeX

from cmops.adapters import ADAPTERS, ChannelContext, Outgoing, Rejected, Remote, Transient
from cmops.adapters.base import Deleter, Withdrawal
from cmops.adapters.bluesky import BlueskyAdapter
from cmops.adapters.mastodon import MastodonAdapter
from cmops.adapters.outbox import OutboxAdapter
from cmops.adapters.x import XAdapter
from cmops.secrets import Redactor
from cmops.text.limits import NETWORKS

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
PASSWORD = "app-pass-7f3k-q9zx"
MASTODON_TOKEN = "masto-token-canary-31a7"
DELETE_RECORD = "com.atproto.repo.deleteRecord"


def ctx(name: str, network: str, settings: dict[str, Any], secrets: dict[str, str],
        root: Path) -> ChannelContext:
    """A channel's context as the publisher builds it: every resolved secret already known to
    the redactor (cmops.secrets.resolve adds them)."""
    redactor = Redactor()
    for value in secrets.values():
        redactor.add(value)
    return ChannelContext(name, network, {"network": network, **settings}, secrets, root,
                          redactor, timeout=5.0)


def part(adapter: Any, text: str, index: int = 0, parts: int = 1,
         reply_to: Remote | None = None, root: Remote | None = None) -> Outgoing:
    key = "launch/ch"
    return Outgoing(key, "launch", "ch", index, parts, text,
                    adapter.new_dedupe(key, index, NOW), published_at=NOW,
                    reply_to=reply_to, root=root)


def gone(remote: Remote, index: int = 0) -> Withdrawal:
    return Withdrawal("ch", "launch", index, remote, NOW)


def test_these_networks_declare_deletes_and_their_adapters_delete() -> None:
    for name in ("outbox", "bluesky", "mastodon", "x"):
        assert NETWORKS[name].deletes, name
        assert callable(getattr(ADAPTERS[name], "delete", None)), name


# -- Bluesky -------------------------------------------------------------------------------
@pytest.fixture
def pds() -> Iterator[FakeBluesky]:
    with FakeBluesky(password=PASSWORD).running() as server:
        server.handles["friend.test"] = "did:plc:friend000000000000000"
        yield server


@pytest.fixture
def bsky(pds: FakeBluesky, tmp_path: Path) -> Iterator[BlueskyAdapter]:
    adapter = BlueskyAdapter(ctx("ch", "bluesky", {"server": pds.url},
                                 {"identifier": "brand.test", "password": PASSWORD}, tmp_path))
    yield adapter
    adapter.close()


def _deletes(pds: FakeBluesky) -> list[dict[str, Any]]:
    return [json.loads(r["body"]) for r in pds.requests
            if r["path"] == f"/xrpc/{DELETE_RECORD}"]


def test_bluesky_deletes_each_record_of_a_thread_and_again_quietly(
        pds: FakeBluesky, bsky: BlueskyAdapter) -> None:
    deleter: Deleter = bsky
    first = bsky.publish(part(bsky, "Le lancement", 0, 2))
    second = bsky.publish(part(bsky, "La suite", 1, 2, reply_to=first, root=first))
    keys = [first.id.rsplit("/", 1)[1], second.id.rsplit("/", 1)[1]]
    deleter.delete(gone(second, 1))
    deleter.delete(gone(first))
    assert pds.records == {} and pds.deleted == [keys[1], keys[0]]
    assert _deletes(pds) == [
        {"repo": pds.did, "collection": "app.bsky.feed.post", "rkey": keys[1]},
        {"repo": pds.did, "collection": "app.bsky.feed.post", "rkey": keys[0]}]
    deleter.delete(gone(first))  # the PDS: "No-op if record already doesn't exist"
    assert len(_deletes(pds)) == 3 and pds.deleted == [keys[1], keys[0]]


def test_bluesky_deletes_a_post_recorded_by_its_web_address(
        pds: FakeBluesky, bsky: BlueskyAdapter) -> None:
    remote = bsky.publish(part(bsky, "Adopté par cmops resolve --url"))
    rkey = remote.id.rsplit("/", 1)[1]
    bsky.delete(gone(Remote(f"https://bsky.app/profile/brand.test/post/{rkey}")))
    assert pds.records == {} and _deletes(pds)[0]["rkey"] == rkey


def test_bluesky_refuses_another_accounts_record_and_an_unreadable_id(
        pds: FakeBluesky, bsky: BlueskyAdapter) -> None:
    bsky.publish(part(bsky, "Le nôtre"))
    other = "at://did:plc:friend000000000000000/app.bsky.feed.post/3kabcdefghijk"
    with pytest.raises(Rejected) as caught:
        bsky.delete(gone(Remote(other)))
    assert str(caught.value) == (
        f"cannot delete {other}: it is in the repository of did:plc:friend000000000000000, "
        f"not of this channel's account (brand.test, {pds.did}); delete it by hand from "
        "that account")
    with pytest.raises(Rejected) as unreadable:
        bsky.delete(gone(Remote("3kabcdefghijk")))
    assert str(unreadable.value) == (
        "cannot delete '3kabcdefghijk' on Bluesky: not a record URI (at://…) nor a bsky.app "
        "post address; delete it by hand")
    assert _deletes(pds) == [] and len(pds.records) == 1


def test_the_fake_pds_refuses_deleting_in_another_repo(pds: FakeBluesky,
                                                       bsky: BlueskyAdapter) -> None:
    """What the adapter checks first, the fake enforces too, with the reference's answers."""
    remote = bsky.publish(part(bsky, "Le nôtre"))
    rkey = remote.id.rsplit("/", 1)[1]
    for repo, status in (("did:plc:friend000000000000000", 401), ("did:plc:nobody", 403)):
        with pytest.raises(Rejected) as caught:
            bsky._xrpc("POST", DELETE_RECORD, json={
                "repo": repo, "collection": "app.bsky.feed.post", "rkey": rkey})
        assert caught.value.status == status
    assert list(pds.records) == [rkey]


@pytest.mark.parametrize(("fault", "status", "retry"), [("503", 503, False), ("429", 429, True)])
def test_bluesky_delete_failures_are_transient(pds: FakeBluesky, bsky: BlueskyAdapter,
                                               fault: str, status: int, retry: bool) -> None:
    remote = bsky.publish(part(bsky, "Encore là"))
    pds.fault_on, pds.faults = DELETE_RECORD, [fault]
    with pytest.raises(Transient) as caught:
        bsky.delete(gone(remote))
    assert caught.value.status == status
    assert (caught.value.retry_after is not None) == retry
    assert len(pds.records) == 1
    bsky.delete(gone(remote))  # the next run's try
    assert pds.records == {}


def test_bluesky_delete_refused_and_no_secret_in_the_message(
        pds: FakeBluesky, bsky: BlueskyAdapter) -> None:
    remote = bsky.publish(part(bsky, "Encore là"))
    pds.fault_on, pds.faults = DELETE_RECORD, ["status:403", "echo"]
    with pytest.raises(Rejected) as refused:
        bsky.delete(gone(remote))
    assert (refused.value.status, str(refused.value)) == (
        403, "HTTP 403: InvalidRequest: injected status:403")
    with pytest.raises(Rejected) as echoed:  # a 400 that repeats the request's headers
        bsky.delete(gone(remote))
    assert "Bearer [REDACTED]" in str(echoed.value)
    assert bsky.access and bsky.access not in str(echoed.value)
    assert PASSWORD not in str(echoed.value)
    assert len(pds.records) == 1


# -- Mastodon ------------------------------------------------------------------------------
@pytest.fixture
def masto() -> Iterator[FakeMastodon]:
    with FakeMastodon(token=MASTODON_TOKEN).running() as server:
        yield server


@pytest.fixture
def mastodon(masto: FakeMastodon, tmp_path: Path) -> Iterator[MastodonAdapter]:
    adapter = MastodonAdapter(ctx("ch", "mastodon", {"server": masto.url},
                                  {"token": MASTODON_TOKEN}, tmp_path))
    yield adapter
    adapter.close()


def _mastodon_deletes(masto: FakeMastodon) -> list[str]:
    return [r["path"] for r in masto.requests if r["path"].startswith("/api/v1/statuses/")]


def test_mastodon_deletes_each_status_of_a_thread_and_again_quietly(
        masto: FakeMastodon, mastodon: MastodonAdapter) -> None:
    deleter: Deleter = mastodon
    first = mastodon.publish(part(mastodon, "Le lancement", 0, 2))
    second = mastodon.publish(part(mastodon, "La suite", 1, 2, reply_to=first, root=first))
    deleter.delete(gone(second, 1))
    deleter.delete(gone(first))
    assert masto.statuses == [] and masto.deleted == [second.id, first.id]
    assert _mastodon_deletes(masto) == [f"/api/v1/statuses/{second.id}",
                                        f"/api/v1/statuses/{first.id}"]
    deleter.delete(gone(first))  # 404 "Record not found": deleted already
    assert len(_mastodon_deletes(masto)) == 3 and masto.deleted == [second.id, first.id]


def test_mastodon_deletes_a_status_recorded_by_its_address_on_this_server(
        masto: FakeMastodon, mastodon: MastodonAdapter) -> None:
    remote = mastodon.publish(part(mastodon, "Adopté par cmops resolve --url"))
    assert remote.url == f"{masto.url}/@brand/{remote.id}"
    mastodon.delete(gone(Remote(remote.url)))
    assert masto.deleted == [remote.id]
    elsewhere = f"https://other.example/@brand/{remote.id}"
    with pytest.raises(Rejected) as caught:
        mastodon.delete(gone(Remote(elsewhere)))
    assert str(caught.value) == (
        f"cannot delete '{elsewhere}' on Mastodon: not a status id of this server "
        f"({masto.url}); delete it by hand")
    assert len(_mastodon_deletes(masto)) == 1


def test_mastodon_without_the_write_scope_is_refused(masto: FakeMastodon,
                                                    mastodon: MastodonAdapter) -> None:
    remote = mastodon.publish(part(mastodon, "Encore là"))
    masto.scopes = {"read:statuses", "profile"}
    with pytest.raises(Rejected) as caught:
        mastodon.delete(gone(remote))
    assert (caught.value.status, str(caught.value)) == (
        403, f"deleting status {remote.id}: HTTP 403: This action is outside the authorized "
        "scopes: the token needs the write:statuses scope")
    assert [s["id"] for s in masto.statuses] == [remote.id]


@pytest.mark.parametrize(("fault", "status", "retry"), [("503", 503, None), ("429", 429, 5.0)])
def test_mastodon_delete_failures_are_transient(masto: FakeMastodon, mastodon: MastodonAdapter,
                                                fault: str, status: int,
                                                retry: float | None) -> None:
    remote = mastodon.publish(part(mastodon, "Encore là"))
    masto.delete_faults = [fault]
    with pytest.raises(Transient) as caught:
        mastodon.delete(gone(remote))
    assert (caught.value.status, caught.value.retry_after) == (status, retry)
    assert len(masto.statuses) == 1
    mastodon.delete(gone(remote))
    assert masto.statuses == []


def test_mastodon_token_never_in_a_delete_message(masto: FakeMastodon,
                                                  mastodon: MastodonAdapter) -> None:
    remote = mastodon.publish(part(mastodon, "Encore là"))
    masto.delete_faults = ["401-echo"]
    with pytest.raises(Rejected) as caught:
        mastodon.delete(gone(remote))
    assert "Authorization" in str(caught.value) and caught.value.status == 401
    assert MASTODON_TOKEN not in str(caught.value)


# -- X -------------------------------------------------------------------------------------
@pytest.fixture
def fake_x() -> Iterator[FakeX]:
    with FakeX().running() as server:
        server.others["7"] = {"id": "7", "name": "Alice", "username": "alice"}
        yield server


def make_x(fake: FakeX, root: Path, oauth2: bool = False) -> XAdapter:
    secrets = {"token": fake.bearer} if oauth2 else dict(fake.secrets)
    return XAdapter(ctx("ch", "x", {"server": fake.url}, secrets, root))


def _x_deletes(fake: FakeX) -> list[str]:
    return [r["path"] for r in fake.requests if r["method"] == "DELETE"]


@pytest.mark.parametrize("oauth2", [False, True], ids=["oauth1", "oauth2"])
def test_x_deletes_each_post_of_a_thread_and_again_quietly(fake_x: FakeX, tmp_path: Path,
                                                          oauth2: bool) -> None:
    adapter = make_x(fake_x, tmp_path, oauth2)
    deleter: Deleter = adapter
    first = adapter.publish(part(adapter, "Le lancement", 0, 2))
    second = adapter.publish(part(adapter, "La suite", 1, 2, reply_to=first, root=first))
    deleter.delete(gone(second, 1))
    deleter.delete(gone(first))
    assert fake_x.tweets == [] and fake_x.deleted == [second.id, first.id]
    assert _x_deletes(fake_x) == [f"/2/tweets/{second.id}", f"/2/tweets/{first.id}"]
    deleter.delete(gone(first))  # 404: deleted already
    assert len(_x_deletes(fake_x)) == 3 and fake_x.deleted == [second.id, first.id]
    adapter.close()


def test_x_deletes_a_post_recorded_by_its_web_address(fake_x: FakeX, tmp_path: Path) -> None:
    adapter = make_x(fake_x, tmp_path)
    remote = adapter.publish(part(adapter, "Adopté par cmops resolve --url"))
    adapter.delete(gone(Remote(f"https://x.com/cmops_test/status/{remote.id}")))
    assert fake_x.deleted == [remote.id]
    with pytest.raises(Rejected) as caught:
        adapter.delete(gone(Remote("https://example.com/status")))
    assert str(caught.value) == ("cannot delete 'https://example.com/status' on X: not a post "
                                 "id; delete it by hand")
    adapter.close()


def test_x_refuses_another_accounts_post(fake_x: FakeX, tmp_path: Path) -> None:
    adapter = make_x(fake_x, tmp_path)
    theirs = fake_x.mention("7", "@cmops_test bonjour")
    with pytest.raises(Rejected) as caught:
        adapter.delete(gone(Remote(theirs["id"])))
    assert (caught.value.status, str(caught.value)) == (
        403, f"deleting post {theirs['id']}: HTTP 403: You are not allowed to delete this "
        "Post.")
    assert fake_x.deleted == []
    adapter.close()


@pytest.mark.parametrize(("fault", "status"), [("503", 503), ("429", 429)])
def test_x_delete_failures_are_transient(fake_x: FakeX, tmp_path: Path, fault: str,
                                         status: int) -> None:
    adapter = make_x(fake_x, tmp_path)
    remote = adapter.publish(part(adapter, "Encore là"))
    fake_x.delete_faults = [fault]
    with pytest.raises(Transient) as caught:
        adapter.delete(gone(remote))
    assert caught.value.status == status
    assert (caught.value.retry_after is not None) == (status == 429)
    assert len(fake_x.tweets) == 1
    adapter.delete(gone(remote))
    assert fake_x.tweets == []
    adapter.close()


def test_x_secrets_never_in_a_delete_message(fake_x: FakeX, tmp_path: Path) -> None:
    adapter = make_x(fake_x, tmp_path)
    remote = adapter.publish(part(adapter, "Encore là"))
    fake_x.delete_faults = ["echo"]  # a 401 that repeats the Authorization header
    with pytest.raises(Rejected) as caught:
        adapter.delete(gone(remote))
    assert "oauth_token=" in str(caught.value) and caught.value.status == 401
    assert fake_x.secrets["access_token"] not in str(caught.value)
    assert fake_x.secrets["api_key"] not in str(caught.value)
    adapter.close()


# -- outbox --------------------------------------------------------------------------------
def test_outbox_removes_the_file_and_its_feed_entry_and_again_quietly(tmp_path: Path) -> None:
    adapter = OutboxAdapter(ctx("news", "outbox", {}, {}, tmp_path))
    deleter: Deleter = adapter
    first = adapter.publish(part(adapter, "Le lancement", 0, 2))
    second = adapter.publish(part(adapter, "La suite", 1, 2, reply_to=first, root=first))
    folder = tmp_path / ".cmops/outbox/news"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["feed.xml", f"{first.id}.json", f"{second.id}.json"])
    deleter.delete(gone(second, 1))
    assert sorted(p.name for p in folder.iterdir()) == ["feed.xml", f"{first.id}.json"]
    feed = (folder / "feed.xml").read_text("utf-8")
    assert f"urn:cmops:{first.id}" in feed and f"urn:cmops:{second.id}" not in feed
    assert "La suite" not in feed
    deleter.delete(gone(second, 1))  # already gone: fine
    deleter.delete(gone(first))
    assert [p.name for p in folder.iterdir()] == ["feed.xml"]
    assert "<entry>" not in (folder / "feed.xml").read_text("utf-8")
    assert adapter.reconcile(part(adapter, "x"), NOW, NOW) is None


def test_outbox_delete_repeated_after_a_crash_still_clears_the_feed(tmp_path: Path) -> None:
    """A run that died between removing the file and writing the feed: deleting again (the
    file already gone) writes the feed without the entry."""
    adapter = OutboxAdapter(ctx("news", "outbox", {}, {}, tmp_path))
    remote = adapter.publish(part(adapter, "Retiré"))
    folder = tmp_path / ".cmops/outbox/news"
    (folder / f"{remote.id}.json").unlink()
    assert "Retiré" in (folder / "feed.xml").read_text("utf-8")
    adapter.delete(gone(remote))
    assert "Retiré" not in (folder / "feed.xml").read_text("utf-8")


@pytest.mark.parametrize("name", ["../../calendar/posts/launch", "", ".hidden", "a/b"])
def test_outbox_refuses_a_name_that_is_not_a_message_file(tmp_path: Path, name: str) -> None:
    adapter = OutboxAdapter(ctx("news", "outbox", {}, {}, tmp_path))
    victim = tmp_path / "calendar/posts/launch.json"
    victim.parent.mkdir(parents=True)
    victim.write_text("{}")
    with pytest.raises(Rejected) as caught:
        adapter.delete(gone(Remote(name)))
    assert str(caught.value) == (f"cannot delete {name!r} from the outbox news: not a "
                                 "message file name")
    assert victim.exists()
