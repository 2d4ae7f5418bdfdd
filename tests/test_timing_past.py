"""validate warns on a ready post whose every time is past (post.past, issue 21): not on one
the ledger has a record for, not on one still within its max_delay, not on a repeating post
that has occurrences ahead; ``now`` is passed in, the core reads no clock."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.conftest import Runner, json_out

from cmops.plan import Recorded
from cmops.validate import validate

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


def write(root: Path, name: str, body: str) -> None:
    (root / "calendar/posts" / f"{name}.yaml").write_text(body, "utf-8")


def past(root: Path, ledger: dict[str, Recorded] | None = None,
         now: datetime = NOW) -> list[tuple[str, int, str]]:
    report = validate(root, use_cache=False, now=now, ledger=ledger)
    return [(p.file.rsplit("/", 1)[1], p.line, p.message) for p in report.problems
            if p.rule == "post.past"]


def test_a_ready_post_in_the_past_warns_with_its_local_time(repo: Path) -> None:
    write(repo, "old", "id: old\nstatus: ready\nchannels: [news, nyc]\n"
          "publish_at: 2027-02-01T09:00\ntext: Old\n")
    report = validate(repo, use_cache=False, now=NOW)
    assert report.ok  # a warning: exit 0
    assert past(repo) == [
        ("old.yaml", 4, "will not be sent: every time is past (2027-02-01 09:00 Europe/Paris "
         "on news; 2027-02-01 09:00 America/New_York on nyc, more than its max_delay of 6h "
         "ago); give it a later publish_at or make it a draft (if it was already published: "
         "validate knows it from .cmops/state or --state-branch NAME)")]


def test_a_ledger_record_silences_it_per_channel(repo: Path) -> None:
    write(repo, "old", "id: old\nstatus: ready\nchannels: [news, nyc]\n"
          "publish_at: 2027-02-01T09:00\ntext: Old\n")
    both = {"old/news": Recorded("published"), "old/nyc": Recorded("failed")}
    assert past(repo, both) == []
    one = {"old/news": Recorded("published")}
    assert past(repo, one) == [
        ("old.yaml", 4, "will not be sent: every time is past (2027-02-01 09:00 "
         "America/New_York on nyc, more than its max_delay of 6h ago); give it a later "
         "publish_at or make it a draft")]
    # an empty ledger is still a ledger: nothing was published, no hedge
    assert past(repo, {})[0][2].endswith("give it a later publish_at or make it a draft")


def test_within_max_delay_it_still_goes_out_late(repo: Path) -> None:
    write(repo, "late", "id: late\nstatus: ready\nchannels: [news]\nmax_delay: 2d\n"
          "publish_at: 2027-02-28T09:00\ntext: Late\n")
    assert past(repo) == []
    assert past(repo, now=datetime(2027, 3, 2, 9, 0, tzinfo=UTC)) == [
        ("late.yaml", 5, "will not be sent: every time is past (2027-02-28 09:00 Europe/Paris "
         "on news, more than its max_delay of 2d ago); give it a later publish_at or make it "
         "a draft (if it was already published: validate knows it from .cmops/state or "
         "--state-branch NAME)")]


def test_repeating_posts_warn_only_when_the_last_occurrence_is_past(repo: Path) -> None:
    write(repo, "forever", "id: forever\nstatus: ready\nchannels: [news]\n"
          "publish_at: 2020-01-06T09:00\nrepeat: {every: 7d}\ntext: Weekly\n")
    write(repo, "ahead", "id: ahead\nstatus: ready\nchannels: [news]\n"
          "publish_at: 2027-01-04T09:00\nrepeat: {every: 7d, until: 2027-06-30}\ntext: W\n")
    write(repo, "done", "id: done\nstatus: ready\nchannels: [news]\n"
          "publish_at: 2027-01-04T09:00\nrepeat: {every: 1d, count: 3}\ntext: Three days\n")
    assert past(repo) == [
        ("done.yaml", 4, "will not be sent: every time is past (2027-01-06 09:00 Europe/Paris "
         "on news, more than its max_delay of 6h ago); give it a later publish_at or make it "
         "a draft (if it was already published: validate knows it from .cmops/state or "
         "--state-branch NAME)")]
    assert past(repo, {"done#2/news": Recorded("published")}) == []


def test_drafts_standby_withdrawn_and_future_posts_are_quiet(repo: Path) -> None:
    for status in ("draft", "withdrawn"):
        write(repo, status, f"id: {status}\nstatus: {status}\nchannels: [news]\n"
              "publish_at: 2020-01-01T09:00\ntext: Quiet\n")
    write(repo, "standby", "id: standby\nstatus: standby\nchannels: [news]\ntext: Hold\n")
    write(repo, "future", "id: future\nstatus: ready\nchannels: [news]\n"
          "publish_at: 2027-03-02T09:00\ntext: Tomorrow\n")
    assert past(repo) == []


def test_a_queued_post_whose_slot_is_past(repo: Path) -> None:
    channels = (repo / "calendar/channels.yaml").read_text("utf-8")
    (repo / "calendar/channels.yaml").write_text(
        channels.replace("  news:\n    network: outbox\n",
                         "  news:\n    network: outbox\n    slots: ['Mon-Fri 09:30']\n"),
        "utf-8")
    write(repo, "queued", "id: queued\nstatus: ready\nchannels: [news]\n"
          "queue: 2027-02-01\ntext: Next slot\n")
    write(repo, "later", "id: later\nstatus: ready\nchannels: [news]\n"
          "publish_at: next-slot\nqueue: 2027-03-05\ntext: Later slot\n")
    assert past(repo) == [
        ("queued.yaml", 4, "will not be sent: every time is past (2027-02-01 09:30 "
         "Europe/Paris on news, more than its max_delay of 6h ago); give it a later "
         "publish_at or make it a draft (if it was already published: validate knows it "
         "from .cmops/state or --state-branch NAME)")]


def test_the_cli_uses_the_clock_and_the_local_ledger(run: Runner, repo: Path) -> None:
    write(repo, "old", "id: old\nstatus: ready\nchannels: [news]\n"
          "publish_at: 2020-06-01T09:00\ntext: Long ago\n")
    write(repo, "next", "id: next\nstatus: ready\nchannels: [news]\n"
          "publish_at: 2099-06-01T09:00\ntext: Far ahead\n")
    result = run("validate", "--format", "json", root=repo)
    assert result.exit_code == 0
    warnings = [(w["file"], w["rule"]) for w in json_out(result)["warnings"]]
    assert warnings == [("calendar/posts/old.yaml", "post.past")]
    # once published (here as of its own time), the warning goes
    assert run("publish", "--at", "2020-06-01T09:00", root=repo).exit_code == 0
    result = run("validate", "--format", "json", root=repo)
    assert [w["rule"] for w in json_out(result)["warnings"]] == []


def test_validate_at_checks_as_of_that_time(run: Runner, repo: Path) -> None:
    write(repo, "old", "id: old\nstatus: ready\nchannels: [news]\n"
          "publish_at: 2026-02-01T09:00\ntext: Old\n")
    now = json_out(run("validate", "--format", "json", "--no-cache", root=repo))
    assert [p["rule"] for p in now["warnings"]] == ["post.past"]  # the real clock: past
    before = json_out(run("validate", "--format", "json", "--no-cache", "--at",
                          "2026-02-01T08:00", root=repo))  # local time, the calendar's zone
    assert before["warnings"] == [] and before["ok"] is True
    after = json_out(run("validate", "--format", "json", "--no-cache", "--at",
                         "2026-02-01T15:01", root=repo))  # past its 6h max_delay
    assert [p["rule"] for p in after["warnings"]] == ["post.past"]
