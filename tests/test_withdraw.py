"""``status: withdrawn``: a published post is taken down on every network that can delete it
(thread parts and first comment with it, last first), ``needs_human`` with an instruction where
a network cannot (Instagram), never published where it never was. The plan (text and JSON),
validate's warning, the publisher against a deleting adapter (Transient retried by the next
run, Rejected to a human), a SIGKILL between a delete and its record, and a published post's
file removed from the calendar.

The deleting adapter is the outbox with a ``delete`` that removes the message's file and
writes one line per call to a log beside the outbox: what the network saw, counted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import pytest
from PIL import Image
from tests.helpers import Clock, cal, plan_post, record, states
from tests.report_content import generate_site, page_text

from cmops.adapters import ChannelContext, Outgoing, Rejected, Remote, Transient, Withdrawal
from cmops.adapters.outbox import OutboxAdapter
from cmops.diff import diff_calendars
from cmops.ledger import PartRecord, PartState, Record, RecordState, ledger_view
from cmops.output import publish_progress
from cmops.plan import Recorded, State, build_plan
from cmops.planview import PlanView, as_json, as_markdown, as_text
from cmops.publish import Options, Publisher, Report
from cmops.retry import Backoff
from cmops.secrets import Redactor
from cmops.status import as_json as status_json
from cmops.status import as_text as status_text
from cmops.status import resolve, status
from cmops.stores.local import LocalStore
from cmops.text import limits
from cmops.text.limits import NETWORKS, NetworkRules
from cmops.validate import load_calendar

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=1)
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def outbox_deletes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The outbox declared as deleting, whatever its declaration says today."""
    monkeypatch.setitem(limits.NETWORKS, "outbox", replace(NETWORKS["outbox"], deletes=True))
    yield


class DeletingOutbox(OutboxAdapter):
    """The outbox with a delete: the message's file goes, one log line per call. What is
    already gone counts as deleted (the Deleter contract). ``failures`` are raised first,
    one per call."""

    rules: ClassVar[NetworkRules] = replace(NETWORKS["outbox"], deletes=True)
    failures: ClassVar[list[Exception]] = []
    send_failures: ClassVar[dict[int, Exception]] = {}
    """Part index -> what sending it raises (every time)."""

    def publish(self, out: Outgoing) -> Remote:
        if out.part in self.send_failures:
            raise self.send_failures[out.part]
        return super().publish(out)

    def delete(self, item: Withdrawal) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        with (self.dir / "deletes.log").open("a", encoding="utf-8") as log:
            log.write(json.dumps({"part": item.part, "id": item.remote.id}) + "\n")
        if self.failures:
            raise self.failures.pop(0)
        self._file(item.remote.id).unlink(missing_ok=True)


def deletes(root: Path, channel: str = "news") -> list[dict[str, object]]:
    log = root / ".cmops/outbox" / channel / "deletes.log"
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text("utf-8").splitlines()]


def live(root: Path, channel: str = "news") -> set[str]:
    folder = root / ".cmops/outbox" / channel
    return {p.stem for p in folder.glob("*.json")} if folder.exists() else set()


def write(root: Path, pid: str, status: str = "ready", extra: str = "",
          channels: str = "[news]") -> None:
    (root / f"calendar/posts/{pid}.yaml").write_text(
        f"id: {pid}\nstatus: {status}\nchannels: {channels}\npublish_at: 2026-11-24T09:59\n"
        f"text: Hello from {pid}\n{extra}", "utf-8")


def run(root: Path, now: datetime = NOW, clock: Clock | None = None) -> Report:
    calendar, report = load_calendar(root, use_cache=False)
    assert report.ok, [p.message for p in report.problems]
    clock = clock or Clock()
    store = LocalStore(root / ".cmops/state")

    def factory(channel: str) -> DeletingOutbox:
        ch = calendar.channels[channel]
        return DeletingOutbox(ChannelContext(channel, "outbox", ch.raw, {}, root, Redactor()))

    try:
        return Publisher(root, calendar, store, factory,
                         Options(now, backoff=Backoff(base=1, cap=8, attempts=3)),
                         clock=clock, sleep=clock.sleep).run()
    finally:
        store.close()


PIC = "media:\n  - path: calendar/media/pic.jpg\n    alt: a picture\n"


def jpeg(root: Path) -> None:
    """The JPEG that PIC names (Instagram takes no PNG)."""
    Image.new("RGB", (640, 640), "teal").save(root / "calendar/media/pic.jpg", "JPEG")

THREAD = ("thread:\n  - text: part two\n  - text: part three\n"
          "first_comment: the comment\n")


@pytest.fixture
def published(repo: Path) -> Iterator[Path]:
    """A thread of three with a first comment, published on the outbox at NOW, then set to
    withdrawn with a reason."""
    DeletingOutbox.failures = []
    write(repo, "t", extra=THREAD)
    assert states(run(repo)) == {"t/news": "published"}
    assert len(live(repo)) == 4
    write(repo, "t", "withdrawn", THREAD + "withdrawn_reason: wrong date\n")
    yield repo
    DeletingOutbox.failures = []


# -- model and plan ----------------------------------------------------------------------------

def test_a_withdrawn_post_never_published_is_not_planned_at_all() -> None:
    calendar = cal(plan_post("w", "2026-11-24T10:30", status="withdrawn"))
    assert build_plan(calendar, NOW).items == []
    assert calendar.posts[0].withdrawn


def test_plan_states_from_the_ledger(outbox_deletes: None) -> None:
    post = plan_post("w", "2026-11-24T08:30", ("news", "insta", "bsky"), status="withdrawn",
                     withdrawn_reason="  wrong price  ")
    calendar = cal(post, channels={"news": {"network": "outbox"},
                                   "insta": {"network": "instagram"},
                                   "bsky": {"network": "bluesky"}})
    ledger = {"w/news": Recorded("published", "out/1.json", "2026-11-24T07:30:00Z"),
              "w/insta": Recorded("published", "https://instagram.com/p/ABC/",
                                  "2026-11-24T07:30:00Z"),
              "w/bsky": Recorded("withdrawn", "https://bsky.app/x", "2026-11-24T08:45:00Z")}
    plan = build_plan(calendar, NOW, ledger=ledger)
    by = {i.channel: i for i in plan.items}
    assert post.withdrawn_reason == "wrong price"
    assert by["news"].state is State.WITHDRAW
    assert by["bsky"].state is State.WITHDRAWN
    assert by["bsky"].when == datetime(2026, 11, 24, 8, 45, tzinfo=UTC)
    assert by["insta"].state is State.NEEDS_HUMAN
    assert by["insta"].reason == (
        "instagram cannot delete it through its API: delete it on instagram by hand "
        "(https://instagram.com/p/ABC/, with its thread parts and first comment), then run "
        "cmops resolve w --channel insta --as withdrawn")
    assert plan.withdrawals() == [by["news"]]
    view = PlanView(plan, calendar, plan.window(NOW, NOW + timedelta(days=1)), NOW, None)
    text = as_text(view)
    assert "1 withdraw" in text.splitlines()[0]
    assert [line.split()[0] for line in text.splitlines() if "news " in line] == ["WITHDRAW"]
    # what a human must do is listed whatever its time; what is done is not
    assert [line.split()[:2] for line in text.splitlines() if "insta " in line] == [
        ["NEEDS", "HUMAN"]]
    assert "bsky " not in text
    data = json.loads(as_json(view))
    items = {i["channel"]: i for i in data["items"]}
    assert items["news"]["state"] == "withdraw"
    assert items["news"]["status"] == "withdrawn"
    assert items["news"]["withdrawn_reason"] == "wrong price"
    assert items["news"]["url"] == "out/1.json"
    assert data["summary"]["withdraw"] == 1
    assert "WITHDRAW" in as_markdown(view)


def test_the_review_says_where_a_withdrawal_takes_it_down(outbox_deletes: None) -> None:
    chans = {"news": {"network": "outbox"}, "insta": {"network": "instagram"}}
    base = cal(plan_post("w", "2026-11-23T09:00", ("news", "insta")), channels=chans)
    head = cal(plan_post("w", "2026-11-23T09:00", ("news", "insta"), status="withdrawn"),
               channels=chans)
    ledger = {"w/news": Recorded("published", "out/1.json"),
              "w/insta": Recorded("published", "https://www.instagram.com/p/A/")}
    plan = build_plan(head, NOW, ledger=ledger)
    view = PlanView(plan, head, plan.items, None, None)
    view.changes = diff_calendars(base, head)
    note = ("withdrawn: taken down on news by the next publish run; delete it by hand on "
            "insta")
    assert f"(calendar/posts/w.yaml) — {note}" in as_text(view)
    assert json.loads(as_json(view))["changes"][0]["note"] == note


def test_without_a_delete_the_plan_says_needs_human(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(limits.NETWORKS, "outbox", replace(NETWORKS["outbox"], deletes=False))
    calendar = cal(plan_post("w", "2026-11-24T08:30", status="withdrawn"))
    plan = build_plan(calendar, NOW, ledger={"w/news": Recorded("published", "out/1.json")})
    assert [i.state for i in plan.items] == [State.NEEDS_HUMAN]
    assert "delete it on outbox by hand (out/1.json" in plan.items[0].reason


def test_validate_warns_where_a_network_cannot_delete(repo: Path, outbox_deletes: None
                                                      ) -> None:
    jpeg(repo)
    write(repo, "w", "withdrawn", PIC, channels="[news, insta]")
    _, report = load_calendar(repo, use_cache=False)
    found = [p for p in report.problems if p.rule == "post.withdraw-by-hand"]
    assert [(p.severity.value, p.line) for p in found] == [("warning", 3)]
    assert "insta: cmops cannot delete on instagram" in found[0].message
    assert "cmops resolve w --channel insta --as withdrawn" in found[0].message
    assert report.ok  # a warning: nothing is held back by it
    write(repo, "w", "ready", PIC, channels="[news, insta]")
    _, report = load_calendar(repo, use_cache=False)
    assert not [p for p in report.problems if p.rule == "post.withdraw-by-hand"]


def test_a_withdrawn_post_is_never_sent(repo: Path) -> None:
    write(repo, "w", "withdrawn")
    assert run(repo).outcomes == []
    assert live(repo) == set()


# -- the publisher ----------------------------------------------------------------------------

def test_thread_and_first_comment_are_deleted_last_first(published: Path) -> None:
    before = record(published, "t/news")
    ids = [p["remote_id"] for p in before["parts"]]
    report = run(published, LATER)
    assert states(report) == {"t/news": "withdrawn"}
    assert report.ok
    assert publish_progress(report.outcomes[0]).split()[:3] == ["⌫", "withdrawn", "t/news"]
    # the first comment, then the thread from its last part, the main post last
    assert [d["id"] for d in deletes(published)] == [ids[3], ids[2], ids[1], ids[0]]
    assert live(published) == set()
    after = record(published, "t/news")
    assert after["state"] == "withdrawn"
    assert after["withdrawn_reason"] == "wrong date"
    assert after["withdrawn_at"] == "2026-11-25T09:00:00Z"
    assert [p["state"] for p in after["parts"]] == ["deleted"] * 4
    assert [p["remote_id"] for p in after["parts"]] == ids  # where they were is kept
    # done: the next run deletes nothing more, and the plan says withdrawn
    assert run(published, LATER + timedelta(hours=1)).outcomes == []
    assert len(deletes(published)) == 4
    calendar, _ = load_calendar(published, use_cache=False)
    store = LocalStore(published / ".cmops/state")
    try:
        rows = status(calendar, store, LATER)
    finally:
        store.close()
    assert [(r.key, r.state, r.withdrawn_at, r.withdrawn_reason) for r in rows] == [
        ("t/news", "withdrawn", "2026-11-25T09:00:00Z", "wrong date")]
    assert rows[0].attempts == 4  # its four sends; the deletes are not counted as sends
    line = status_text(rows, "here").splitlines()[1]
    assert line.startswith("withdrawn ")
    assert "taken down 2026-11-25T09:00:00Z: wrong date (was .cmops/outbox/news/" in line
    assert json.loads(status_json(rows, "here"))["items"][0]["withdrawn_reason"] == \
        "wrong date"


def test_the_site_shows_when_and_why_escaped(published: Path) -> None:
    write(published, "t", "withdrawn",
          THREAD + "withdrawn_reason: 'wrong <b>date</b> & price'\n")
    assert states(run(published, LATER)) == {"t/news": "withdrawn"}
    site = generate_site(published, LATER + timedelta(hours=1))
    page = page_text(site, "published/index.md")
    row = next(line for line in page.split("<tr") if "cm-r-withdrawn" in line)
    assert 'class="cm-badge cm-s-withdrawn"' in row
    assert "taken down " in row
    assert "taken down Wed 25 Nov 2026, 10&#58;00&#58; wrong &#60;b&#62;date&#60;/b&#62; " \
        "&#38; price</td>" in row
    assert '<td class="cm-num">4</td>' in row  # its four sends; deletes are not attempts
    assert "<b>date" not in page
    assert 'id="cm-f-withdrawn"' in page  # the log's state filter offers it


def test_a_thread_stopped_half_way_is_taken_down_too(repo: Path) -> None:
    DeletingOutbox.failures = []
    DeletingOutbox.send_failures = {1: Transient("503", maybe_sent=False)}
    try:
        write(repo, "t", extra=THREAD)
        assert states(run(repo)) == {"t/news": "pending"}
        rec = record(repo, "t/news")
        assert [p["state"] for p in rec["parts"]] == ["published", "deferred", "planned",
                                                       "planned"]
        # still ready: the plan keeps it due, the next run would finish it
        calendar, _ = load_calendar(repo, use_cache=False)
        store = LocalStore(repo / ".cmops/state")
        try:
            view = ledger_view(store.load())
        finally:
            store.close()
        assert [i.state for i in build_plan(calendar, NOW, ledger=view).items] == [State.DUE]
        write(repo, "t", "withdrawn", THREAD)
        calendar, _ = load_calendar(repo, use_cache=False)
        assert [i.state for i in build_plan(calendar, NOW, ledger=view).items] == [
            State.WITHDRAW]
        report = run(repo, NOW + timedelta(minutes=10))
    finally:
        DeletingOutbox.send_failures = {}
    assert states(report) == {"t/news": "withdrawn"}
    assert [d["part"] for d in deletes(repo)] == [0]
    assert live(repo) == set()
    rec = record(repo, "t/news")
    assert [p["state"] for p in rec["parts"]] == ["deleted", "deferred", "planned", "planned"]


def test_a_part_whose_send_was_never_confirmed_goes_to_a_human(repo: Path) -> None:
    DeletingOutbox.failures = []
    write(repo, "t", "withdrawn", THREAD)
    store = LocalStore(repo / ".cmops/state")
    try:
        store.save(Record("t/news", "t", "news", "outbox", parts=[
            PartRecord(PartState.PUBLISHED, "d1", "2026-11-24T08:00:00Z", "t-1", "out/t-1"),
            PartRecord(PartState.SENDING, "d2", "2026-11-24T08:00:01Z")]))
    finally:
        store.close()
    report = run(repo)
    assert states(report) == {"t/news": "needs_human"}
    assert [d["id"] for d in deletes(repo)] == ["t-1"]
    rec = record(repo, "t/news")
    assert [p["state"] for p in rec["parts"]] == ["deleted", "sending"]
    assert rec["error"] == (
        "the rest is taken down, but part 2 was being sent when its run stopped and may be "
        "on outbox: check there and delete it by hand if it is, then run cmops resolve t "
        "--channel news --as withdrawn")


def test_dry_run_says_withdraw_and_deletes_nothing(published: Path) -> None:
    calendar, _ = load_calendar(published, use_cache=False)
    store = LocalStore(published / ".cmops/state")
    try:
        report = Publisher(published, calendar, store, lambda c: DeletingOutbox(
            ChannelContext(c, "outbox", {}, {}, published, Redactor())),
            Options(LATER, dry_run=True)).run()
    finally:
        store.close()
    assert states(report) == {"t/news": "withdraw"}
    assert deletes(published) == [] and len(live(published)) == 4


def test_transient_is_retried_by_the_next_run(published: Path) -> None:
    # every attempt of this run fails on the first comment; the rest of the post stays up
    DeletingOutbox.failures = [Transient("503 from the network", retry_after=7,
                                         maybe_sent=False) for _ in range(3)]
    clock = Clock()
    report = run(published, LATER, clock)
    assert states(report) == {"t/news": "pending"}
    assert not report.ok
    assert clock.slept == [7, 7]  # its Retry-After, honoured between attempts
    assert len(live(published)) == 4
    rec = record(published, "t/news")
    assert rec["state"] == "published"
    assert [p["state"] for p in rec["parts"]] == ["published"] * 4
    assert "503 from the network" in rec["error"]
    report = run(published, LATER + timedelta(minutes=5))
    assert states(report) == {"t/news": "withdrawn"}
    assert live(published) == set()
    assert len(deletes(published)) == 3 + 4


def test_a_refused_delete_goes_to_a_human_with_the_networks_message(published: Path) -> None:
    DeletingOutbox.failures = [Rejected("403 not your message", status=403)]
    report = run(published, LATER)
    assert states(report) == {"t/news": "needs_human"}
    rec = record(published, "t/news")
    assert rec["state"] == "needs_human"
    assert rec["error"].startswith("outbox refused to delete part 4: 403 not your message; ")
    assert "then run cmops resolve t --channel news --as withdrawn" in rec["error"]
    assert [p["state"] for p in rec["parts"]] == ["published"] * 4
    # nothing more is tried by later runs until a human settles it
    run(published, LATER + timedelta(hours=1))
    assert len(deletes(published)) == 1
    calendar, _ = load_calendar(published, use_cache=False)
    store = LocalStore(published / ".cmops/state")
    try:
        resolve(calendar, store, post="t", channel="news", resolution="withdrawn",
                now=LATER + timedelta(hours=2), by="ana")
    finally:
        store.close()
    rec = record(published, "t/news")
    assert rec["state"] == "withdrawn" and rec["withdrawn_reason"] == "wrong date"
    assert [p["state"] for p in rec["parts"]] == ["deleted"] * 4


def test_instagram_is_left_to_a_human_with_an_instruction(repo: Path) -> None:
    jpeg(repo)
    write(repo, "w", "withdrawn", PIC, channels="[insta]")
    store = LocalStore(repo / ".cmops/state")
    try:
        store.save(Record("w/insta", "w", "insta", "instagram", state=RecordState.PUBLISHED,
                          parts=[PartRecord(PartState.PUBLISHED, "d", "2026-11-20T09:00:00Z",
                                            "1789", "https://www.instagram.com/p/XYZ/")]))
    finally:
        store.close()
    calls: list[str] = []

    def factory(channel: str) -> DeletingOutbox:
        calls.append(channel)
        raise AssertionError("no adapter is needed to say what to do by hand")

    calendar, _ = load_calendar(repo, use_cache=False)
    store = LocalStore(repo / ".cmops/state")
    try:
        report = Publisher(repo, calendar, store, factory, Options(NOW)).run()
    finally:
        store.close()
    assert states(report) == {"w/insta": "needs_human"}
    assert report.outcomes[0].error == (
        "instagram cannot delete it through its API: delete it on instagram by hand "
        "(https://www.instagram.com/p/XYZ/, with its thread parts and first comment), then "
        "run cmops resolve w --channel insta --as withdrawn")
    assert calls == []
    assert record(repo, "w/insta")["state"] == "published"


def test_a_crisis_pause_does_not_stop_a_withdrawal(published: Path) -> None:
    (published / "calendar/pause.yaml").write_text(
        'paused: true\nreason: "recall"\nsince: "2026-11-24T10:00:00Z"\n', "utf-8")
    write(published, "later", channels="[news]")  # a send the pause holds back
    (published / "calendar/posts/later.yaml").write_text(
        (published / "calendar/posts/later.yaml").read_text("utf-8").replace(
            "2026-11-24T09:59", "2026-11-25T09:59"), "utf-8")
    report = run(published, LATER + timedelta(hours=1))
    assert states(report) == {"t/news": "withdrawn"}
    assert live(published) == set()
    assert not (published / ".cmops/state/records/later").exists()


# -- a published post's file removed from the calendar ---------------------------------------

def test_removing_a_published_posts_file_is_never_silent(published: Path) -> None:
    base = cal(plan_post("gone", "2026-11-23T09:00"), plan_post("kept", "2026-11-23T09:00"))
    head = cal(plan_post("kept", "2026-11-23T09:00"))
    ledger = {"gone/news": Recorded("published", "out/g.json"),
              "gone#2/bsky": Recorded("published", "at://g"),
              "kept/news": Recorded("published", "out/k.json")}
    plan = build_plan(head, NOW, ledger=ledger)
    assert plan.removed_live == {"gone": ["bsky", "news"]}
    view = PlanView(plan, head, plan.items, None, None)
    view.changes = diff_calendars(base, head)
    view.base = "main"
    note = ("removed from the calendar but still live on bsky, news: set status: withdrawn "
            "to take it down (the publisher does nothing to it)")
    assert f"- gone removed (calendar/posts/gone.yaml) — {note}" in as_text(view)
    change = json.loads(as_json(view))["changes"][0]
    assert (change["kind"], change["published"], change["note"]) == (
        "removed", ["bsky", "news"], note)
    assert "⚠️ removed from the calendar but still live on bsky" in as_markdown(view)
    # the publisher leaves the live post alone
    (published / "calendar/posts/t.yaml").unlink()
    report = run(published, LATER)
    assert report.outcomes == [] and report.ok
    assert deletes(published) == [] and len(live(published)) == 4
    assert record(published, "t/news")["state"] == "published"


def cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CMOPS_")}
    return subprocess.run([sys.executable, "-m", "cmops", "--root", str(root), *args],
                          env=env, capture_output=True, text=True, timeout=120, check=False)


def test_through_the_cli_with_the_outbox(repo: Path) -> None:
    """The real outbox adapter (its delete) and the commands a community manager runs."""
    write(repo, "t", extra=THREAD)
    sent = cli(repo, "publish", "--at", "2026-11-24T09:00Z", "--format", "json")
    assert [o["state"] for o in json.loads(sent.stdout)["outcomes"]] == ["published"], sent
    feed = repo / ".cmops/outbox/news/feed.xml"
    assert "part two" in feed.read_text("utf-8") and len(live(repo)) == 4
    write(repo, "t", "withdrawn", THREAD + "withdrawn_reason: wrong date\n")
    plan = cli(repo, "plan", "--at", "2026-11-25T09:00Z", "--format", "json")
    assert [(i["channel"], i["state"]) for i in json.loads(plan.stdout)["items"]] == [
        ("news", "withdraw")], plan.stderr
    done = cli(repo, "publish", "--at", "2026-11-25T09:00Z", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert [o["state"] for o in json.loads(done.stdout)["outcomes"]] == ["withdrawn"]
    assert live(repo) == set()
    assert "part two" not in feed.read_text("utf-8")
    shown = cli(repo, "status", "--format", "json")
    assert shown.returncode == 0, shown.stderr
    item = json.loads(shown.stdout)["items"][0]
    assert (item["state"], item["withdrawn_at"], item["withdrawn_reason"]) == (
        "withdrawn", "2026-11-25T09:00:00Z", "wrong date")
    again = cli(repo, "publish", "--at", "2026-11-25T10:00Z", "--format", "json")
    assert json.loads(again.stdout)["outcomes"] == []


# -- a crash between a delete and its record ------------------------------------------------

def crash_run(root: Path, at: datetime, crash: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CMOPS_")}
    env["PYTHONPATH"] = str(ROOT)
    if crash:
        env["CMOPS_CRASH_AT"] = crash
    return subprocess.run([sys.executable, __file__, str(root), at.isoformat()], env=env,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("crash", ["after-delete:1", "after-delete:3", "after-delete-intent:2"])
def test_a_crash_between_delete_and_record_deletes_again_then_never(published: Path,
                                                                    crash: str) -> None:
    ids = [p["remote_id"] for p in record(published, "t/news")["parts"]]
    killed = crash_run(published, LATER, crash)
    assert killed.returncode == -9, killed.stderr
    point, count = crash.split(":")
    n = int(count)
    rec = record(published, "t/news")
    assert rec["state"] == "published"
    # the parts before are recorded deleted, the n-th is left "deleting"
    assert [p["state"] for p in reversed(rec["parts"])] == \
        ["deleted"] * (n - 1) + ["deleting"] + ["published"] * (4 - n)
    again = crash_run(published, LATER + timedelta(minutes=5), None)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == {"t/news": "withdrawn"}
    seen = [d["id"] for d in deletes(published)]
    # the part left "deleting" is deleted again (safe: it is already gone); a part recorded
    # deleted never is
    order = [ids[3], ids[2], ids[1], ids[0]]
    # after-delete: the n-th delete reached the network; after-delete-intent: it did not
    sent_first = order[:n] if point == "after-delete" else order[:n - 1]
    assert seen == sent_first + order[n - 1:]
    assert live(published) == set()
    assert record(published, "t/news")["state"] == "withdrawn"
    third = crash_run(published, LATER + timedelta(hours=1), None)
    assert json.loads(third.stdout) == {}
    assert len(deletes(published)) == len(seen)


if __name__ == "__main__":  # the process crash_run starts (and SIGKILLs)
    print(json.dumps(states(run(Path(sys.argv[1]), datetime.fromisoformat(sys.argv[2])))))


def _publish(root: Path, at: datetime) -> Report:
    calendar, _ = load_calendar(root, use_cache=False)
    store = LocalStore(root / ".cmops/state")
    try:
        return Publisher(root, calendar, store, lambda c: DeletingOutbox(
            ChannelContext(c, "outbox", {}, {}, root, Redactor())), Options(at)).run()
    finally:
        store.close()


def test_content_errors_do_not_hold_a_withdrawal_but_identity_errors_do(
        published: Path) -> None:
    """A withdrawal sends nothing: a text that has since become invalid does not stop the
    post being taken down; an error in what says to take it down (its channels) does."""
    post = published / "calendar/posts/t.yaml"
    post.write_text("id: t\nstatus: withdrawn\nchannels: [news, news]\n"
                    "publish_at: 2026-11-24T09:59\ntext: Hello from t\n" + THREAD, "utf-8")
    calendar, checked = load_calendar(published, use_cache=False)
    assert calendar.gate is not None and checked.problems
    held = calendar.gate.holds_withdrawal("t", "news")
    assert held is not None and held.startswith("not taken down: the post has errors: ")
    assert states(_publish(published, LATER)) == {"t/news": "invalid"}
    assert deletes(published) == [] and len(live(published)) == 4
    post.write_text("id: t\nstatus: withdrawn\nchannels: [news]\npublish_at: 2026-11-24T09:59\n"
                    f"text: {'x' * 100_001}\n" + THREAD, "utf-8")
    calendar, checked = load_calendar(published, use_cache=False)
    assert [p.rule for p in checked.problems if p.severity == "error"] == ["text.too-long"]
    assert calendar.gate is not None
    assert calendar.gate.holds("t", "news", None) is not None  # a send would be held
    assert calendar.gate.holds_withdrawal("t", "news") is None
    assert states(_publish(published, LATER)) == {"t/news": "withdrawn"}
    assert live(published) == set()
