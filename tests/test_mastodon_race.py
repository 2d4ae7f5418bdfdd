"""Mastodon's lost-key race (mastodon/mastodon#21840): the server creates the status, then
answers 5xx before it has stored the Idempotency-Key, so a replay with the same key makes a
second status. Before anything is sent again, cmops reads the account's own statuses
(docs.joinmastodon.org/methods/accounts/#statuses) and adopts the one the attempt created.

The adapter alone against the strict loopback Mastodon, then ``cmops publish`` end to end,
each with the fault injected and the fake's clock set to the publisher's.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import Runner
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import TOKEN, Clock, post, record, setup_repo, states

from cmops.adapters import CannotTell, ChannelContext, Outgoing, Rejected, Remote, Transient
from cmops.adapters.mastodon import MastodonAdapter
from cmops.publish import Options, Publisher, Report, adapter_factory
from cmops.retry import Backoff
from cmops.secrets import Redactor
from cmops.stores.local import LocalStore
from cmops.validate import load_calendar

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
RICH = ("Les jours raccourcissent 🌙 #VéloDeNuit & « astuces »\nrappel : l'éclairage sauve\n\n"
        "Trois réflexes : https://www.example.org/conseils/rouler-de-nuit-en-securite?utm=m "
        "— merci @lea@piaille.fr !")


@pytest.fixture
def fake() -> Iterator[FakeMastodon]:
    with FakeMastodon(TOKEN).running() as server:
        server.clock = lambda: NOW + timedelta(seconds=1)
        yield server


def make(fake: FakeMastodon) -> MastodonAdapter:
    return MastodonAdapter(ChannelContext("masto", "mastodon", {"server": fake.url},
                                          {"token": TOKEN}, Path("."), Redactor(), timeout=5))


def out(text: str, part: int = 0, reply_to: Remote | None = None) -> Outgoing:
    return Outgoing(key="p/masto", post_id="p", channel="masto", part=part, parts=part + 1,
                    text=text, dedupe=f"key-{part}-{text.encode().hex()[:24]}", reply_to=reply_to)


def lose(fake: FakeMastodon, adapter: MastodonAdapter, message: Outgoing) -> dict[str, Any]:
    """Send ``message`` through the #21840 fault; the status the server kept."""
    fake.faults = ["lost-key"]
    with pytest.raises(Transient) as caught:
        adapter.publish(message)
    assert caught.value.maybe_sent and caught.value.status == 504
    return fake.statuses[-1]


# -- the adapter alone ---------------------------------------------------------------------

def test_the_status_the_lost_key_created_is_adopted_not_sent_again(fake: FakeMastodon) -> None:
    adapter = make(fake)
    kept = lose(fake, adapter, out("Hello from a"))
    found = adapter.reconcile(out("Hello from a"), NOW, NOW + timedelta(minutes=1))
    assert found == Remote(kept["id"], kept["url"])
    assert len(fake.statuses) == 1
    # replaying with the same key now would have made a second one: the fault is real
    assert kept["idempotency_key"] not in fake.keys


def test_text_with_a_link_a_hashtag_two_paragraphs_and_an_emoji_matches(
        fake: FakeMastodon) -> None:
    adapter = make(fake)
    kept = lose(fake, adapter, out(RICH))
    content = make(fake)._get("/api/v1/accounts/1/statuses")[0]["content"]
    # what Mastodon answers is HTML, nothing like the text that was sent
    assert content.count("<p>") == 2 and "<br />" in content
    assert '<span class="invisible">https://www.</span>' in content
    assert '#<span>VéloDeNuit</span></a>' in content and "&amp; « astuces »" in content
    assert "l&#39;éclairage" in content and "@<span>lea</span></a>" in content
    found = make(fake).reconcile(out(RICH), NOW, NOW + timedelta(minutes=1))
    assert found is not None and found.id == kept["id"]


def test_a_different_text_at_the_same_time_is_not_adopted(fake: FakeMastodon) -> None:
    adapter = make(fake)
    lose(fake, adapter, out("Hello from a"))
    for other in ("Hello from b", "Hello from a!", "Hello from"):
        assert make(fake).reconcile(out(other), NOW, NOW + timedelta(minutes=1)) is None
    with pytest.raises(CannotTell, match="statuses since then were read and none has this "
                                         "text"):
        make(fake).reconcile(out("Hello from b"), NOW, NOW + timedelta(hours=2))


def test_a_thread_part_matches_only_with_its_reply_target(fake: FakeMastodon) -> None:
    first = make(fake).publish(out("Intro"))
    other = make(fake).publish(out("Another root"))
    kept = lose(fake, make(fake), out("Suite", 1, reply_to=first))
    alone = make(fake).publish(out("Suite"))  # the same words, newer, replying to nothing
    later = NOW + timedelta(minutes=1)
    assert make(fake).reconcile(out("Suite", 1, reply_to=other), NOW, later) is None
    found = make(fake).reconcile(out("Suite", 1, reply_to=first), NOW, later)
    assert found is not None and found.id == kept["id"] != alone.id
    assert make(fake).reconcile(out("Suite"), NOW, later) == alone


def test_a_status_from_before_the_attempt_is_not_adopted(fake: FakeMastodon) -> None:
    fake.clock = lambda: NOW - timedelta(minutes=3)
    make(fake).publish(out("Weekly reminder"))  # last week's, same words: not this attempt
    fake.clock = lambda: NOW + timedelta(seconds=1)
    assert make(fake).reconcile(out("Weekly reminder"), NOW, NOW + timedelta(minutes=1)) \
        is None


def test_a_status_this_run_already_took_is_not_adopted_twice(fake: FakeMastodon) -> None:
    adapter = make(fake)
    adapter.publish(out("Same words"))  # one occurrence of a repeating post
    assert adapter.reconcile(out("Same words"), NOW, NOW + timedelta(minutes=1)) is None


def test_unreadable_statuses_are_never_taken_for_not_found(fake: FakeMastodon) -> None:
    lose(fake, make(fake), out("Hello"))
    fake.read_faults = ["503"]
    with pytest.raises(Transient, match="reading the account's statuses: HTTP 503"):
        make(fake).reconcile(out("Hello"), NOW, NOW + timedelta(minutes=1))
    fake.read_faults = ["503"]
    with pytest.raises(CannotTell, match=r"statuses cannot be read \(reading the account's "
                                         r"statuses: HTTP 503"):
        make(fake).reconcile(out("Hello"), NOW, NOW + timedelta(hours=2))
    fake.scopes = {"write:statuses", "write:media", "read:statuses"}
    with pytest.raises(Rejected, match=r"HTTP 403: This action is outside the authorized "
                                       r"scopes: the token needs the profile \(or "
                                       r"read:accounts\) scope"):
        make(fake).reconcile(out("Hello"), NOW, NOW + timedelta(minutes=1))
    fake.scopes = {"write:statuses", "write:media", "profile"}
    with pytest.raises(Rejected, match="the token needs the read:statuses scope"):
        make(fake).reconcile(out("Hello"), NOW, NOW + timedelta(minutes=1))
    assert len(fake.statuses) == 1


def test_the_pages_asked_for_and_one_page_per_later_look_up(fake: FakeMastodon) -> None:
    """A burst (the git store's claims make the publisher reconcile every part before its
    first send) reads the account once, then one page per later look-up."""
    adapter = make(fake)
    for n in range(45):
        make(fake).publish(out(f"burst {n}"))
    fake.reads.clear()
    later = NOW + timedelta(minutes=1)
    assert adapter.reconcile(out("not sent"), NOW, later) is None
    page = "/api/v1/accounts/1/statuses?limit=40&exclude_reblogs=true"
    assert fake.reads == ["/api/v1/accounts/verify_credentials", page,
                          f"{page}&max_id={fake.statuses[5]['id']}",
                          f"{page}&max_id={fake.statuses[0]['id']}"]
    make(fake).publish(out("burst 45"))
    fake.reads.clear()
    found = adapter.reconcile(out("burst 45"), NOW, later)
    assert found is not None and found.id == fake.statuses[-1]["id"]
    assert fake.reads == [page]  # the new status, then one already read: enough


def test_a_key_chosen_in_this_run_and_never_sent_needs_no_look_up(fake: FakeMastodon) -> None:
    """The git store writes every part's intent at claim, so the publisher reconciles parts
    nothing ever sent: their key is this run's own, and nothing can carry it."""
    adapter = make(fake)
    fresh = adapter.new_dedupe("p/masto", 0, NOW)
    message = Outgoing(key="p/masto", post_id="p", channel="masto", part=0, parts=1,
                       text="Hello", dedupe=fresh)
    assert adapter.reconcile(message, NOW, NOW) is None
    assert fake.reads == []
    fake.faults = ["lost-key"]
    with pytest.raises(Transient):
        adapter.publish(message)
    found = adapter.reconcile(message, NOW, NOW + timedelta(seconds=5))
    assert found is not None and found.id == fake.statuses[0]["id"]
    page = "/api/v1/accounts/1/statuses?limit=40&exclude_reblogs=true"
    # a new account: the first page, then the empty one that says there is nothing older
    assert fake.reads[-3:] == ["/api/v1/accounts/verify_credentials", page,
                               f"{page}&max_id={found.id}"]


def test_more_statuses_than_it_reads_goes_to_a_human(fake: FakeMastodon) -> None:
    for n in range(201):
        fake.statuses.append({"id": str(100 + n), "content": f"n{n}", "in_reply_to_id": None,
                              "language": None, "idempotency_key": None, "media_ids": [],
                              "created_at": NOW + timedelta(seconds=2), "url": "u"})
    with pytest.raises(CannotTell, match="more than 200 statuses on the account since"):
        make(fake).reconcile(out("lost"), NOW, NOW + timedelta(minutes=1))


# -- end to end: cmops publish -------------------------------------------------------------

def publish(root: Path, now: datetime, clock: Clock, attempts: int) -> Report:
    calendar, report = load_calendar(root, use_cache=False)
    assert report.ok, [p.message for p in report.problems]
    store = LocalStore(root / ".cmops/state")
    try:
        return Publisher(root, calendar, store, adapter_factory(
            root, calendar, Redactor(), {"MASTO_TOKEN": TOKEN}), Options(
            now, backoff=Backoff(base=1, cap=8, attempts=attempts)),
            clock=clock, sleep=clock.sleep).run()
    finally:
        store.close()


def test_two_runs_with_the_lost_key_leave_exactly_one_status(repo: Path,
                                                             fake: FakeMastodon) -> None:
    setup_repo(repo, fake.url)
    post(repo, "a")
    clock = Clock()
    fake.clock = lambda: NOW + timedelta(seconds=clock.t)
    fake.faults = ["lost-key"]
    first = publish(repo, NOW, clock, attempts=1)  # the run ends on the 504
    assert states(first) == {"a/masto": "pending"}
    assert record(repo, "a/masto")["parts"][0]["state"] == "sending"
    second = publish(repo, NOW + timedelta(minutes=10), Clock(), attempts=4)
    assert states(second) == {"a/masto": "published"}
    assert fake.texts() == ["Hello from a"]
    rec = record(repo, "a/masto")
    assert rec["parts"][0]["remote_id"] == fake.statuses[0]["id"]
    assert [a["outcome"] for a in rec["attempts"]] == [
        "maybe-sent", "reconciled"]


def test_a_thread_resumes_from_the_adopted_part(repo: Path, fake: FakeMastodon) -> None:
    setup_repo(repo, fake.url)
    post(repo, "t", extra="thread:\n  - text: second\n  - text: third\n")
    clock = Clock()
    fake.clock = lambda: NOW + timedelta(seconds=clock.t)
    fake.faults = ["", "lost-key"]
    assert states(publish(repo, NOW, clock, attempts=1)) == {"t/masto": "pending"}
    later = Clock()
    fake.clock = lambda: NOW + timedelta(minutes=10, seconds=later.t)
    assert states(publish(repo, NOW + timedelta(minutes=10), later, attempts=4)) == {
        "t/masto": "published"}
    assert fake.texts() == ["Hello from t", "second", "third"]
    ids = [s["id"] for s in fake.statuses]
    assert [s["in_reply_to_id"] for s in fake.statuses] == [None, ids[0], ids[1]]


def test_cmops_publish_twice_through_the_cli(run: Runner, repo: Path,
                                            fake: FakeMastodon) -> None:
    setup_repo(repo, fake.url)
    post(repo, "a")
    start = time.monotonic()
    fake.clock = lambda: NOW + timedelta(seconds=time.monotonic() - start)
    fake.faults = ["lost-key"]
    env = {"MASTO_TOKEN": TOKEN}
    first = run("publish", "--at", "2026-11-24T09:00Z", "--format", "json", root=repo, env=env)
    assert first.exit_code == 0, first.output
    assert [o["state"] for o in json.loads(first.stdout)["outcomes"]] == ["published"]
    again = run("publish", "--at", "2026-11-24T09:15Z", root=repo, env=env)
    assert again.exit_code == 0 and "Nothing is due." in again.stdout
    assert fake.texts() == ["Hello from a"]
    assert [r["headers"].get("Idempotency-Key") for r in fake.requests
            if r["path"] == "/api/v1/statuses"] == [fake.statuses[0]["idempotency_key"]]


def test_cmops_publish_twice_on_the_git_state_branch(run: Runner, repo: Path, tmp_path: Path,
                                                     fake: FakeMastodon) -> None:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@x", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@x")

    def git(cwd: Path, *args: str) -> None:
        subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True,
                       env=env)

    setup_repo(repo, fake.url)
    post(repo, "a")
    (repo / ".gitignore").write_text(".cmops/\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "content")
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(tmp_path / "remote.git"))
    git(repo, "remote", "add", "origin", str(tmp_path / "remote.git"))
    start = time.monotonic()
    fake.clock = lambda: NOW + timedelta(seconds=time.monotonic() - start)
    fake.faults = ["lost-key"]
    args = ("publish", "--state-branch", "cmops-state", "--format", "json")
    first = run(*args, "--at", "2026-11-24T09:00Z", root=repo, env={"MASTO_TOKEN": TOKEN})
    assert first.exit_code == 0, first.output
    assert [o["state"] for o in json.loads(first.stdout)["outcomes"]] == ["published"]
    again = run(*args, "--at", "2026-11-24T09:15Z", root=repo, env={"MASTO_TOKEN": TOKEN})
    assert again.exit_code == 0 and json.loads(again.stdout)["outcomes"] == []
    assert fake.texts() == ["Hello from a"]
    # the intent the claim wrote needed no look-up; the 504 did (a page, then the empty one)
    assert [p.split("?")[0] for p in fake.reads if "/accounts/" in p] == [
        "/api/v1/accounts/verify_credentials", "/api/v1/accounts/1/statuses",
        "/api/v1/accounts/1/statuses"]
