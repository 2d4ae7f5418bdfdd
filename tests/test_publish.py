"""The publisher against a strict loopback Mastodon and the outbox: exactly once through
faults, with the ledger agreeing with what the network holds."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import TOKEN, Clock, post, record, setup_repo, states

from cmops.ledger import loads
from cmops.publish import Options, Publisher, Report, adapter_factory
from cmops.retry import Backoff
from cmops.secrets import Redactor
from cmops.stores.local import LocalStore
from cmops.validate import load_calendar

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
@pytest.fixture
def fake() -> Iterator[FakeMastodon]:
    with FakeMastodon(TOKEN).running() as server:
        yield server


def run(root: Path, now: datetime = NOW, *, clock: Clock | None = None, budget: float = 600,
        posts: tuple[str, ...] = (), env: dict[str, str] | None = None,
        timeout: float | None = None) -> Report:
    calendar, report = load_calendar(root, use_cache=False)
    assert report.ok, [p.message for p in report.problems]
    clock = clock or Clock()
    store = LocalStore(root / ".cmops/state")
    redactor = Redactor()
    factory = adapter_factory(root, calendar, redactor,
                              env if env is not None else {"MASTO_TOKEN": TOKEN})
    try:
        return Publisher(root, calendar, store, factory,
                         Options(now, posts=posts, budget=budget,
                                 backoff=Backoff(base=1, cap=8, attempts=4)),
                         clock=clock, sleep=clock.sleep).run()
    finally:
        store.close()


def test_publishes_once_and_never_again(repo: Path, fake: FakeMastodon) -> None:
    setup_repo(repo, fake.url)
    post(repo, "a", channels="[masto, news]")
    first = run(repo)
    assert states(first) == {"a/masto": "published", "a/news": "published"}
    assert first.ok
    assert fake.texts() == ["Hello from a"]
    again = run(repo, NOW + timedelta(minutes=15))
    assert again.outcomes == []
    assert fake.texts() == ["Hello from a"]
    rec = record(repo, "a/masto")
    assert rec["state"] == "published"
    assert rec["parts"][0]["remote_id"] == fake.statuses[0]["id"]
    # the Idempotency-Key sent is the dedupe key written in the intent
    assert fake.statuses[0]["idempotency_key"] == rec["parts"][0]["dedupe"]


def test_not_a_second_early(repo: Path, fake: FakeMastodon) -> None:
    setup_repo(repo, fake.url)
    post(repo, "a", when="2026-11-24T10:00")  # 09:00Z
    assert run(repo, datetime(2026, 11, 24, 8, 59, 59, tzinfo=UTC)).outcomes == []
    assert states(run(repo, datetime(2026, 11, 24, 9, 0, 0, tzinfo=UTC))) == {
        "a/masto": "published"}


def test_catch_up_after_a_gap_sends_all_in_time_order(repo: Path, fake: FakeMastodon) -> None:
    setup_repo(repo, fake.url)
    for pid, when in (("c", "2026-11-24T13:00"), ("a", "2026-11-24T09:00"),
                      ("b", "2026-11-24T11:00"), ("d", "2026-11-24T14:00")):
        post(repo, pid, when=when)
    result = run(repo, datetime(2026, 11, 24, 13, 5, tzinfo=UTC))  # 14:05 Paris
    assert [o.post for o in result.outcomes] == ["a", "b", "c", "d"]
    assert fake.texts() == [f"Hello from {p}" for p in "abcd"]


def test_thread_parts_reply_in_order(repo: Path, fake: FakeMastodon) -> None:
    setup_repo(repo, fake.url)
    post(repo, "t", extra="thread:\n  - text: second\n  - text: third\n")
    assert states(run(repo)) == {"t/masto": "published"}
    assert fake.texts() == ["Hello from t", "second", "third"]
    ids = [s["id"] for s in fake.statuses]
    assert [s["in_reply_to_id"] for s in fake.statuses] == [None, ids[0], ids[1]]


def test_answer_lost_after_accept_is_replayed_with_same_key(repo: Path,
                                                            fake: FakeMastodon) -> None:
    setup_repo(repo, fake.url)
    post(repo, "a")
    fake.faults = ["accept-then-drop"]
    # The account's listing does not show the status yet (the server is still storing it,
    # stamped an hour back here so the lookup cannot match): the key replay settles it.
    fake.clock = lambda: NOW - timedelta(hours=1)
    result = run(repo)
    assert states(result) == {"a/masto": "published"}
    assert len(fake.statuses) == 1  # the replay returned the original, no duplicate
    keys = [r["headers"].get("Idempotency-Key") for r in fake.requests
            if r["path"] == "/api/v1/statuses"]
    assert len(keys) == 2 and keys[0] == keys[1]


def test_answer_lost_after_accept_is_adopted_from_the_account(repo: Path,
                                                              fake: FakeMastodon) -> None:
    setup_repo(repo, fake.url)
    post(repo, "a")
    fake.faults = ["accept-then-drop"]
    fake.clock = lambda: NOW
    result = run(repo)
    assert states(result) == {"a/masto": "published"}
    assert len(fake.statuses) == 1
    assert [r["path"] for r in fake.requests].count("/api/v1/statuses") == 1  # not resent
    attempts = [a["outcome"] for a in record(repo, "a/masto")["attempts"]]
    assert attempts == ["maybe-sent", "reconciled"]


@pytest.mark.parametrize("fault", ["500", "502", "503", "drop"])
def test_server_errors_are_retried_with_backoff(repo: Path, fake: FakeMastodon,
                                                fault: str) -> None:
    setup_repo(repo, fake.url)
    post(repo, "a")
    fake.faults = [fault, fault]
    clock = Clock()
    result = run(repo, clock=clock)
    assert states(result) == {"a/masto": "published"}
    assert len(fake.statuses) == 1
    assert len(clock.slept) == 2
    assert 0.5 <= clock.slept[0] <= 1 and 1 <= clock.slept[1] <= 2  # exponential, jittered


@pytest.mark.parametrize(("fault", "low", "high"), [("429-retry-after", 2, 2),
                                                     ("429-iso", 1, 3.5),
                                                     ("429-epoch", 2, 4.5)])
def test_rate_limits_wait_as_told_in_each_header_format(repo: Path, fake: FakeMastodon,
                                                        fault: str, low: float,
                                                        high: float) -> None:
    setup_repo(repo, fake.url)
    post(repo, "a")
    fake.faults = [fault]
    clock = Clock()
    assert states(run(repo, clock=clock)) == {"a/masto": "published"}
    assert len(clock.slept) == 1 and low <= clock.slept[0] <= high
    assert len(fake.statuses) == 1


def test_rate_limit_longer_than_the_budget_defers_to_next_run(repo: Path,
                                                              fake: FakeMastodon) -> None:
    setup_repo(repo, fake.url)
    post(repo, "a")
    fake.faults = ["429-retry-after"]
    clock = Clock()
    result = run(repo, clock=clock, budget=31)  # 2 s wait does not fit in 1 s of budget
    assert states(result) == {"a/masto": "pending"}
    assert not result.ok
    assert clock.slept == []
    assert record(repo, "a/masto")["parts"][0]["state"] == "deferred"
    # next run: a 429 is a definite "not accepted", so it is simply sent
    assert states(run(repo, NOW + timedelta(minutes=15))) == {"a/masto": "published"}
    assert len(fake.statuses) == 1


def test_rejection_fails_at_once_and_other_channels_go_on(repo: Path,
                                                          fake: FakeMastodon) -> None:
    setup_repo(repo, fake.url)
    post(repo, "a", channels="[masto, news]")
    fake.faults = ["422"]
    clock = Clock()
    result = run(repo, clock=clock)
    assert states(result) == {"a/masto": "failed", "a/news": "published"}
    assert clock.slept == []
    assert "character limit" in (result.outcomes[0].error or "")
    assert not result.ok
    # failed is final: the next run does not send it again
    assert run(repo, NOW + timedelta(minutes=15)).outcomes == []
    assert len([r for r in fake.requests if r["path"] == "/api/v1/statuses"]) == 1


def test_retries_exhausted_leave_an_intent_reconciled_next_run(repo: Path,
                                                               fake: FakeMastodon) -> None:
    setup_repo(repo, fake.url)
    post(repo, "a")
    fake.faults = ["accept-then-drop", "503", "503", "503"]
    fake.clock = lambda: NOW - timedelta(hours=1)  # not in the listing: the key replay path
    result = run(repo)
    assert states(result) == {"a/masto": "pending"}
    assert record(repo, "a/masto")["parts"][0]["state"] == "sending"
    later = run(repo, NOW + timedelta(minutes=20))
    assert states(later) == {"a/masto": "published"}
    assert len(fake.statuses) == 1


def test_unknown_outcome_past_the_idempotency_window_needs_a_human(repo: Path,
                                                                  fake: FakeMastodon) -> None:
    setup_repo(repo, fake.url)
    post(repo, "a", extra="max_delay: 2d\n")
    # the connection drops: nothing says whether the server stored the status
    fake.faults = ["drop", "503", "503", "503"]
    fake.clock = lambda: NOW
    run(repo)
    later = run(repo, NOW + timedelta(hours=2))
    assert states(later) == {"a/masto": "needs_human"}
    assert "idempotency window" in (later.outcomes[0].error or "")
    assert len(fake.statuses) == 0  # never re-sent
    # and it stays visible until someone settles it
    assert states(run(repo, NOW + timedelta(hours=3))) == {"a/masto": "needs_human"}


def test_expired_is_recorded_once_and_never_sent(repo: Path, fake: FakeMastodon) -> None:
    setup_repo(repo, fake.url)
    post(repo, "a", when="2026-11-24T01:00")
    result = run(repo)
    assert states(result) == {"a/masto": "expired"}
    assert "past its max_delay" in (result.outcomes[0].error or "")
    assert fake.statuses == []
    assert run(repo, NOW + timedelta(minutes=15)).outcomes == []


def test_corrupt_record_fails_closed(repo: Path, fake: FakeMastodon) -> None:
    setup_repo(repo, fake.url)
    post(repo, "a")
    path = repo / ".cmops/state/records/a/masto.json"
    path.parent.mkdir(parents=True)
    path.write_text('{"format": 1, "key": "a/masto", "state": "pend')  # half-written
    result = run(repo)
    assert states(result) == {"a/masto": "needs_human"}
    assert "corrupt" in (result.outcomes[0].error or "")
    assert fake.statuses == []


def test_edited_record_is_detected_by_its_checksum(repo: Path, fake: FakeMastodon) -> None:
    setup_repo(repo, fake.url)
    post(repo, "a")
    run(repo)
    path = repo / ".cmops/state/records/a/masto.json"
    path.write_text(path.read_text().replace('"published"', '"failed"', 1))
    with pytest.raises(Exception, match="checksum"):
        loads(path.read_bytes(), "a/masto")


def test_standby_goes_out_only_on_request(repo: Path, fake: FakeMastodon) -> None:
    setup_repo(repo, fake.url)
    (repo / "calendar/posts/hold.yaml").write_text(
        "id: hold\nstatus: standby\nchannels: [masto]\ntext: We are on it.\n", "utf-8")
    assert run(repo).outcomes == []
    assert states(run(repo, posts=("hold",))) == {"hold/masto": "published"}
    assert fake.texts() == ["We are on it."]


def test_missing_secret_sends_nothing_and_records_nothing(repo: Path,
                                                          fake: FakeMastodon) -> None:
    setup_repo(repo, fake.url)
    post(repo, "a", channels="[masto, news]")
    result = run(repo, env={})
    assert states(result) == {"a/masto": "not_configured", "a/news": "published"}
    assert "MASTO_TOKEN" in (result.outcomes[0].error or "")
    assert not (repo / ".cmops/state/records/a/masto.json").exists()
    assert states(run(repo, NOW + timedelta(minutes=5))) == {"a/masto": "published"}


def test_connection_refused_is_retried_then_deferred(repo: Path) -> None:
    setup_repo(repo, "http://127.0.0.1:9")  # nothing listens on the discard port
    post(repo, "a")
    clock = Clock()
    result = run(repo, clock=clock)
    assert states(result) == {"a/masto": "pending"}
    assert len(clock.slept) == 3
    assert record(repo, "a/masto")["parts"][0]["state"] == "deferred"


def test_secret_canary_never_leaks(repo: Path, fake: FakeMastodon) -> None:
    import base64
    from urllib.parse import quote

    setup_repo(repo, fake.url)
    post(repo, "a")
    post(repo, "b", when="2026-11-24T09:40")
    fake.faults = ["401-echo"]
    result = run(repo)
    assert states(result) == {"a/masto": "failed", "b/masto": "published"}
    assert "[REDACTED]" in (result.outcomes[0].error or "")
    haystack = json.dumps([o.__dict__ if hasattr(o, "__dict__") else str(o)
                           for o in result.outcomes], default=str)
    for path in (repo / ".cmops").rglob("*"):
        if path.is_file():
            haystack += path.read_text("utf-8", "replace")
    for form in (TOKEN, base64.b64encode(TOKEN.encode()).decode(), quote(TOKEN)):
        assert form not in haystack


def test_media_waits_for_processing_then_attaches_with_alt(repo: Path, fake: FakeMastodon,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    import cmops.adapters.mastodon as adapter

    monkeypatch.setattr(adapter, "MEDIA_POLL_SECONDS", 0.01)
    setup_repo(repo, fake.url)
    post(repo, "img", extra="media:\n  - path: calendar/media/pic.png\n"
                            "    alt: Un vélo rouge\n")
    fake.processing_polls = 2
    assert states(run(repo)) == {"img/masto": "published"}
    assert [m["description"] for m in fake.media.values()] == ["Un vélo rouge"]
    # two answers of 206 (still processing), then 200: only then was the status sent
    assert [m["polls"] for m in fake.media.values()] == [3]
    body = json.loads(next(r["body"] for r in fake.requests
                           if r["path"] == "/api/v1/statuses"))
    assert body["media_ids"] == list(fake.media)


def test_instance_limit_is_read_and_enforced_before_sending(repo: Path,
                                                            fake: FakeMastodon) -> None:
    setup_repo(repo, fake.url)
    fake.max_chars = 12
    post(repo, "long")
    result = run(repo)
    assert states(result) == {"long/masto": "failed"}
    assert "15/12 characters: over this instance's limit (masto)" in (
        result.outcomes[0].error or "")
    assert [r["path"] for r in fake.requests] == []  # refused before any POST


def test_a_failed_check_of_an_earlier_attempt_releases_the_claim(repo: Path,
                                                                  fake: FakeMastodon) -> None:
    """The lookup before a resend fails: the item stops, says why, and keeps no lease, so
    the next run (on the git store, which honours leases) looks again at once."""
    setup_repo(repo, fake.url)
    post(repo, "a")
    fake.faults = ["accept-then-drop", "503", "503", "503"]
    fake.clock = lambda: NOW - timedelta(hours=1)
    run(repo)
    fake.read_faults = ["503"] * 10
    later = run(repo, NOW + timedelta(minutes=20))
    assert states(later) == {"a/masto": "pending"}
    assert "could not check an earlier attempt" in (later.outcomes[0].error or "")
    rec = record(repo, "a/masto")
    assert rec["claimed_by"] is None and rec["lease_until"] is None
    assert len(fake.statuses) == 1
