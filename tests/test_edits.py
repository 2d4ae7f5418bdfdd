"""Edits: a published post whose file changes is edited where the network can (inside the
channel's ``edit_window``), listed as ``not_applied`` with the reason where it cannot, shown as
a diff in the plan (text, JSON, Markdown), applied exactly once by the publisher (an intent
``editing`` and an outcome around each call, the live text read back after a kill), with the
replaced texts kept as the record's history.

The editing adapter is the outbox (its ``edit`` rewrites the message's file) with one log line
per call beside it: what the network saw, counted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import pytest
from tests.helpers import Clock, cal, plan_post, record, states

from cmops.adapters import ChannelContext, Edit, Rejected, Transient
from cmops.adapters.outbox import OutboxAdapter
from cmops.diff import diff_calendars
from cmops.edits import DEFAULT_EDIT_WINDOW, content_digest, edit_window, judge
from cmops.plan import Recorded, State, build_plan
from cmops.planview import PlanView, as_json, as_markdown, as_text
from cmops.publish import Options, Publisher, Report, same_text
from cmops.retry import Backoff
from cmops.secrets import Redactor
from cmops.stores.local import LocalStore
from cmops.validate import load_calendar

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=1)
ROOT = Path(__file__).resolve().parent.parent


class LoggingOutbox(OutboxAdapter):
    """The outbox's own edit, one log line per call; ``failures`` raised first, one a call."""

    failures: ClassVar[list[Exception]] = []

    def edit(self, item: Edit) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        with (self.dir / "edits.log").open("a", encoding="utf-8") as log:
            log.write(json.dumps({"part": item.part, "text": item.text,
                                  "alts": item.alts}) + "\n")
        if self.failures:
            raise self.failures.pop(0)
        super().edit(item)


def edits_seen(root: Path) -> list[dict[str, object]]:
    log = root / ".cmops/outbox/news/edits.log"
    return [json.loads(line) for line in log.read_text("utf-8").splitlines()] \
        if log.exists() else []


def live_texts(root: Path) -> list[str]:
    files = sorted((root / ".cmops/outbox/news").glob("*.json"),
                   key=lambda p: json.loads(p.read_text("utf-8"))["part"])
    return [json.loads(p.read_text("utf-8"))["text"] for p in files]


def write(root: Path, pid: str, text: str, extra: str = "") -> None:
    (root / f"calendar/posts/{pid}.yaml").write_text(
        f"id: {pid}\nstatus: ready\nchannels: [news]\npublish_at: 2026-11-24T09:59\n"
        f"text: {text}\n{extra}", "utf-8")


def run(root: Path, now: datetime = NOW, clock: Clock | None = None,
        dry_run: bool = False) -> Report:
    calendar, report = load_calendar(root, use_cache=False)
    assert report.ok, [p.message for p in report.problems]
    clock = clock or Clock()
    store = LocalStore(root / ".cmops/state")

    def factory(channel: str) -> LoggingOutbox:
        ch = calendar.channels[channel]
        return LoggingOutbox(ChannelContext(channel, "outbox", ch.raw, {}, root, Redactor()))

    try:
        return Publisher(root, calendar, store, factory,
                         Options(now, backoff=Backoff(base=1, cap=8, attempts=3),
                                 dry_run=dry_run),
                         clock=clock, sleep=clock.sleep).run()
    finally:
        store.close()


THREAD = "thread:\n  - text: part two\nfirst_comment: the comment\n"


@pytest.fixture
def published(repo: Path) -> Iterator[Path]:
    """A thread of two with a first comment, published on the outbox at NOW."""
    LoggingOutbox.failures = []
    write(repo, "t", "Hello", THREAD)
    assert states(run(repo)) == {"t/news": "published"}
    assert live_texts(repo) == ["Hello", "part two", "the comment"]
    yield repo
    LoggingOutbox.failures = []


# -- the judgement (pure) ----------------------------------------------------------------------

def judged(texts: Sequence[str], live: Sequence[str | None], **kw: object) -> object:
    args: dict[str, object] = {"network": "mastodon", "edits": True,
                               "window": DEFAULT_EDIT_WINDOW, "published": NOW, "now": LATER}
    args.update(kw)
    return judge(texts, live, **args)  # type: ignore[arg-type]


def test_the_judgement_of_a_changed_text() -> None:
    assert judged(["a", "b"], ["a", "b"]) is None
    verdict = judged(["a", "c"], ["a", "b"])
    assert verdict.apply and [(c.part, c.before, c.after)  # type: ignore[attr-defined]
                              for c in verdict.changes] == [(1, "b", "c")]  # type: ignore
    no = judged(["a", "c"], ["a", "b"], edits=False, network="bluesky")
    assert not no.apply and no.reason == (  # type: ignore[attr-defined]
        "bluesky posts cannot be edited through cmops: the change stays in the repository only")
    old = judged(["a", "c"], ["a", "b"], now=NOW + timedelta(days=8))
    assert old.reason == "not applied: past edit_window (7d after publishing)"  # type: ignore
    grown = judged(["a", "b", "c"], ["a", "b"])
    assert not grown.apply and "3 messages where 2 went out" in grown.reason  # type: ignore
    # an older record kept no text, only the hash of what went out
    assert judged(["a"], [None], live_digest=content_digest(["a"])) is None
    blind = judged(["b"], [None], live_digest=content_digest(["a"]))
    assert not blind.apply and "before cmops kept the text" in blind.reason  # type: ignore
    refused = judged(["a", "c"], ["a", "b"], refused=content_digest(["a", "c"]),
                     refusal="too old")
    assert not refused.apply and refused.reason.startswith(  # type: ignore
        "mastodon refused this edit: too old")
    # a different text is tried again
    assert judged(["a", "d"], ["a", "b"], refused=content_digest(["a", "c"])).apply  # type: ignore


def test_the_judgement_of_a_changed_alt_text() -> None:
    texts, live = ["a", "b"], ["a", "b"]
    alts: list[tuple[str | None, ...]] = [("red bike",), ()]
    verdict = judged(texts, live, alts=[("red bike at night",), ()], live_alts=alts,
                     edits_alt=True)
    assert verdict.apply  # type: ignore[attr-defined]
    [change] = verdict.changes  # type: ignore[attr-defined]
    assert (change.part, change.alts_before, change.alts_after) == (
        0, ("red bike",), ("red bike at night",))
    assert judged(texts, live, alts=alts, live_alts=alts, edits_alt=True) is None
    # a network whose edits cannot change alt text: not applied, unless the text changed too
    no = judged(texts, live, alts=[("red bike at night",), ()], live_alts=alts,
                network="linkedin")
    assert not no.apply and no.reason == (  # type: ignore[attr-defined]
        "alt text cannot be edited on linkedin through cmops: the change stays in the "
        "repository only")
    both = judged(["a!", "b"], live, alts=[("red bike at night",), ()], live_alts=alts,
                  network="linkedin")
    assert both.apply and both.reason.endswith(  # type: ignore[attr-defined]
        "alt text cannot be edited on linkedin through cmops: that change stays in the "
        "repository only")
    moved = judged(texts, live, alts=[("red bike", "second"), ()], live_alts=alts,
                   edits_alt=True)
    assert not moved.apply and moved.reason.startswith(  # type: ignore[attr-defined]
        "media were added or removed")
    # an older record kept no alt texts: nothing to compare with
    assert judged(texts, live, alts=[("x",), ()], live_alts=[None, None],
                  edits_alt=True) is None


def test_edit_window_setting() -> None:
    assert edit_window({}) == timedelta(days=7)
    assert edit_window({"edit_window": "48h"}) == timedelta(hours=48)
    assert edit_window({"edit_window": "0d"}) == timedelta(0)
    assert edit_window({"edit_window": "999999d"}) == timedelta(0)  # unreadable: never


def test_same_text_ignores_line_endings_and_trimmed_ends() -> None:
    assert same_text("a\r\nb \n", "a\nb")
    assert not same_text("a b", "a  b")


# -- the plan -----------------------------------------------------------------------------------

def _ledger(*texts: str, at: str = "2026-11-24T09:00:00Z") -> dict[str, Recorded]:
    return {"p/news": Recorded("published", "out/1.json", at, None, texts,
                               content_digest(list(texts)), at)}


def test_plan_states_for_a_changed_published_post() -> None:
    calendar = cal(plan_post("p", "2026-11-24T10:00", text="new text"))
    plan = build_plan(calendar, LATER, ledger=_ledger("old text"))
    [item] = plan.items
    assert item.state is State.EDIT and plan.edits() == [item]
    assert [(e.before, e.after) for e in item.edits] == [("old text", "new text")]
    # unchanged: published as before
    same = build_plan(calendar, LATER, ledger=_ledger("new text"))
    assert same.items[0].state is State.PUBLISHED
    # past the window
    late = build_plan(calendar, NOW + timedelta(days=8), ledger=_ledger("old text"))
    assert late.items[0].state is State.NOT_APPLIED
    assert late.items[0].reason == "not applied: past edit_window (7d after publishing)"
    # a channel's own window, and a network that cannot edit
    calendar = cal(plan_post("p", "2026-11-24T10:00", ("news",), text="new text"),
                   channels={"news": {"network": "outbox", "edit_window": "2h"}})
    assert build_plan(calendar, LATER, ledger=_ledger("old text")).items[0].state \
        is State.NOT_APPLIED
    calendar = cal(plan_post("p", "2026-11-24T10:00", ("news",), text="new text"),
                   channels={"news": {"network": "bluesky"}})
    assert build_plan(calendar, LATER, ledger=_ledger("old text")).items[0].reason == (
        "bluesky posts cannot be edited through cmops: the change stays in the repository only")


def test_an_edit_is_held_by_a_crisis_pause(tmp_path: Path) -> None:
    from cmops.model import Pause

    calendar = cal(plan_post("p", "2026-11-24T10:00", text="new text"),
                   pause=Pause(True, "storm", None, None, None))
    [item] = build_plan(calendar, LATER, ledger=_ledger("old text")).items
    assert item.state is State.PAUSED and item.reason.startswith("edit held by the crisis")
    assert item.edits


def test_the_plan_shows_the_diff_in_text_json_and_markdown() -> None:
    base = cal(plan_post("p", "2026-11-24T10:00", text="Sale ends Friday"))
    head = cal(plan_post("p", "2026-11-24T10:00", text="Sale ends Saturday"))
    plan = build_plan(head, LATER, ledger=_ledger("Sale ends Friday"))
    view = PlanView(plan, head, plan.items, None, None)
    view.changes = diff_calendars(base, head)
    text = as_text(view)
    assert "1 edit" in text.splitlines()[0]
    assert "EDIT" in text and "-Sale ends Friday" in text and "+Sale ends Saturday" in text
    assert "edited on news by the next publish run" in text
    data = json.loads(as_json(view))
    [item] = data["items"]
    assert item["state"] == "edit" and data["summary"]["edit"] == 1
    assert item["edits"] == [{"part": 0, "before": "Sale ends Friday",
                              "after": "Sale ends Saturday",
                              "diff": ["-Sale ends Friday", "+Sale ends Saturday"],
                              "alts_before": None, "alts_after": None}]
    md = as_markdown(view)
    assert "```diff\n-Sale ends Friday\n+Sale ends Saturday\n```" in md
    assert "edited on news by the next publish run" in md


# -- the publisher ------------------------------------------------------------------------------

def test_an_edit_goes_out_once_and_the_history_is_kept(published: Path) -> None:
    write(published, "t", "Hello, fixed", THREAD.replace("the comment", "a better comment"))
    dry = run(published, LATER, dry_run=True)
    assert states(dry) == {"t/news": "edit"} and edits_seen(published) == []
    report = run(published, LATER)
    assert states(report) == {"t/news": "edited"} and report.ok
    assert [e["part"] for e in edits_seen(published)] == [0, 2]
    assert live_texts(published) == ["Hello, fixed", "part two", "a better comment"]
    rec = record(published, "t/news")
    assert [p["text"] for p in rec["parts"]] == ["Hello, fixed", "part two",
                                                 "a better comment"]
    assert [v["texts"] for v in rec["versions"]] == [
        ["Hello", "part two", "the comment"], ["Hello, fixed", "part two", "the comment"]]
    assert rec["digest"] == content_digest(["Hello, fixed", "part two", "a better comment"])
    # done: nothing more to edit, ever
    assert run(published, LATER + timedelta(hours=1)).outcomes == []
    assert len(edits_seen(published)) == 2
    assert "Hello, fixed" in (published / ".cmops/outbox/news/feed.xml").read_text("utf-8")


def test_a_refused_edit_fails_loudly_and_is_not_tried_again(published: Path) -> None:
    write(published, "t", "Hello again", THREAD)
    LoggingOutbox.failures = [Rejected("this post is too old to edit")]
    report = run(published, LATER)
    [outcome] = report.outcomes
    assert (outcome.state, outcome.error) == ("failed", "this post is too old to edit")
    assert not report.ok
    assert record(published, "t/news")["state"] == "published"
    assert live_texts(published)[0] == "Hello"
    calendar, _ = load_calendar(published, use_cache=False)
    from cmops.ledger import ledger_view
    from cmops.stores.local import LocalStore as Store
    with Store(published / ".cmops/state") as store:
        plan = build_plan(calendar, LATER, ledger=ledger_view(store.load()))
    [item] = plan.items
    assert item.state is State.NOT_APPLIED
    assert item.reason.startswith("outbox refused this edit: this post is too old to edit")
    assert run(published, LATER + timedelta(hours=1)).outcomes == []
    # a new text is a new edit
    write(published, "t", "Hello once more", THREAD)
    assert states(run(published, LATER + timedelta(hours=2))) == {"t/news": "edited"}


def test_a_transient_failure_is_retried_then_left_to_the_next_run(published: Path) -> None:
    write(published, "t", "Hello again", THREAD)
    failures: list[Exception] = [Transient("503", retry_after=2),
                                 Transient("timeout", maybe_sent=True)]
    LoggingOutbox.failures = failures + [Transient("503", maybe_sent=False)] * 3
    report = run(published, LATER)
    assert states(report) == {"t/news": "pending"} and not report.ok
    assert len(edits_seen(published)) == 3
    assert record(published, "t/news")["parts"][0]["state"] == "published"
    LoggingOutbox.failures = []
    assert states(run(published, LATER + timedelta(minutes=5))) == {"t/news": "edited"}
    assert live_texts(published)[0] == "Hello again"


def test_an_invalid_new_text_holds_the_edit(published: Path) -> None:
    write(published, "t", "x" * 100_001, THREAD)
    calendar, checked = load_calendar(published, use_cache=False)
    assert not checked.ok
    store = LocalStore(published / ".cmops/state")
    try:
        result = Publisher(published, calendar, store, lambda c: LoggingOutbox(ChannelContext(
            c, "outbox", {}, {}, published, Redactor())), Options(LATER)).run()
    finally:
        store.close()
    assert states(result) == {"t/news": "invalid"}
    assert edits_seen(published) == [] and live_texts(published)[0] == "Hello"


def test_an_edited_post_can_still_be_withdrawn(published: Path) -> None:
    write(published, "t", "Hello, fixed", THREAD)
    assert states(run(published, LATER)) == {"t/news": "edited"}
    (published / "calendar/posts/t.yaml").write_text(
        "id: t\nstatus: withdrawn\nchannels: [news]\npublish_at: 2026-11-24T09:59\n"
        "text: Hello, fixed\n" + THREAD, "utf-8")
    assert states(run(published, LATER + timedelta(hours=1))) == {"t/news": "withdrawn"}
    assert not list((published / ".cmops/outbox/news").glob("*.json"))


def test_an_alt_text_edit_goes_out_and_is_kept_in_the_history(repo: Path) -> None:
    from PIL import Image

    LoggingOutbox.failures = []
    Image.new("RGB", (64, 64), "red").save(repo / "calendar/media/pic.jpg", "JPEG")
    media = "media:\n  - path: calendar/media/pic.jpg\n    alt: {}\n"
    write(repo, "t", "Hello", media.format("a red bike"))
    assert states(run(repo)) == {"t/news": "published"}
    assert record(repo, "t/news")["parts"][0]["alts"] == ["a red bike"]
    write(repo, "t", "Hello", media.format("a red bike at night, lights on"))
    calendar, _ = load_calendar(repo, use_cache=False)
    from cmops.ledger import ledger_view
    with LocalStore(repo / ".cmops/state") as store:
        plan = build_plan(calendar, LATER, ledger=ledger_view(store.load()))
    [item] = plan.items
    assert item.state is State.EDIT
    view = PlanView(plan, calendar, plan.items, None, None)
    assert "-alt 1: a red bike" in as_text(view)
    assert "+alt 1: a red bike at night, lights on" in as_text(view)
    assert states(run(repo, LATER)) == {"t/news": "edited"}
    [sent] = edits_seen(repo)
    assert (sent["text"], sent["alts"]) == ("Hello", ["a red bike at night, lights on"])
    [file] = (repo / ".cmops/outbox/news").glob("*.json")
    assert json.loads(file.read_text("utf-8"))["media"][0]["alt"] == \
        "a red bike at night, lights on"
    rec = record(repo, "t/news")
    assert rec["parts"][0]["alts"] == ["a red bike at night, lights on"]
    assert rec["versions"][0]["alts"] == [["a red bike"]]
    assert run(repo, LATER + timedelta(hours=1)).outcomes == []


# -- a kill between an edit and its record --------------------------------------------------

def crash_run(root: Path, at: datetime, crash: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CMOPS_")}
    env["PYTHONPATH"] = str(ROOT)
    if crash:
        env["CMOPS_CRASH_AT"] = crash
    return subprocess.run([sys.executable, __file__, str(root), at.isoformat()], env=env,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize(("crash", "resent"), [("after-edit:1", False),
                                               ("after-edit-intent:1", True)])
def test_a_kill_between_edit_and_record_reads_back_then_never_edits_twice(
        published: Path, crash: str, resent: bool) -> None:
    write(published, "t", "Hello, fixed", THREAD)
    killed = crash_run(published, LATER, crash)
    assert killed.returncode == -9, killed.stderr
    rec = record(published, "t/news")
    assert rec["parts"][0]["state"] == "editing" and rec["parts"][0]["text"] == "Hello"
    sent = len(edits_seen(published))
    assert sent == (1 if crash.startswith("after-edit:") else 0)
    again = crash_run(published, LATER + timedelta(minutes=5), None)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == {"t/news": "edited"}
    # after-edit: the live text is already the new one: read back, not sent again
    assert len(edits_seen(published)) == sent + (1 if resent else 0)
    assert live_texts(published)[0] == "Hello, fixed"
    rec = record(published, "t/news")
    assert rec["parts"][0]["state"] == "published" and rec["parts"][0]["text"] == \
        "Hello, fixed"
    assert [a["outcome"] for a in rec["attempts"]][-1] == (
        "edited" if resent else "edit-reconciled")
    third = crash_run(published, LATER + timedelta(hours=1), None)
    assert json.loads(third.stdout) == {}


def test_a_file_put_back_after_a_kill_puts_the_live_text_back_too(published: Path) -> None:
    """The edit went out, the run died before recording it, and the file was reverted before
    the next run: the ledger still says the old text, the network has the new one. The plan
    lists the interrupted edit; the run reads the live text and restores the file's."""
    write(published, "t", "Hello, fixed", THREAD)
    assert crash_run(published, LATER, "after-edit:1").returncode == -9
    assert live_texts(published)[0] == "Hello, fixed"
    write(published, "t", "Hello", THREAD)
    again = crash_run(published, LATER + timedelta(minutes=5), None)
    assert json.loads(again.stdout) == {"t/news": "edited"}, again.stderr
    assert live_texts(published)[0] == "Hello"
    assert [e["text"] for e in edits_seen(published)] == ["Hello, fixed", "Hello"]
    rec = record(published, "t/news")
    assert [p["state"] for p in rec["parts"]] == ["published"] * 3
    assert json.loads(crash_run(published, LATER + timedelta(hours=1), None).stdout) == {}


# -- through the CLI ----------------------------------------------------------------------------

def cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CMOPS_")}
    return subprocess.run([sys.executable, "-m", "cmops", "--root", str(root), *args],
                          env=env, capture_output=True, text=True, timeout=120, check=False)


def test_through_the_cli_with_the_outbox(repo: Path) -> None:
    write(repo, "t", "Hello", THREAD)
    sent = cli(repo, "publish", "--at", "2026-11-24T09:00Z", "--format", "json")
    assert [o["state"] for o in json.loads(sent.stdout)["outcomes"]] == ["published"], sent
    write(repo, "t", "Hello, world", THREAD)
    plan = cli(repo, "plan", "--at", "2026-11-24T12:00Z", "--format", "json")
    items = json.loads(plan.stdout)["items"]
    assert [(i["state"], [e["after"] for e in i["edits"]]) for i in items] == [
        ("edit", ["Hello, world"])], plan.stderr
    shown = cli(repo, "plan", "--at", "2026-11-24T12:00Z")
    assert "+Hello, world" in shown.stdout
    done = cli(repo, "publish", "--at", "2026-11-24T12:00Z", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert [o["state"] for o in json.loads(done.stdout)["outcomes"]] == ["edited"]
    assert live_texts(repo) == ["Hello, world", "part two", "the comment"]
    # eight days later the window is closed: nothing due, nothing sent
    write(repo, "t", "Hello, late", THREAD)
    late = cli(repo, "plan", "--at", "2026-12-02T12:00Z", "--format", "json")
    assert json.loads(late.stdout)["summary"]["edit"] == 0
    after = cli(repo, "publish", "--at", "2026-12-02T12:00Z", "--format", "json")
    assert json.loads(after.stdout)["outcomes"] == []
    assert live_texts(repo)[0] == "Hello, world"


if __name__ == "__main__":  # the process crash_run starts (and SIGKILLs)
    print(json.dumps(states(run(Path(sys.argv[1]), datetime.fromisoformat(sys.argv[2])))))


def test_a_pull_request_plan_reads_the_state_branch(repo: Path, tmp_path: Path) -> None:
    """The review job's plan, with the ledger of the git state branch only read: fetched
    when the remote answers, else the checkout's origin/<branch> (no credentials)."""
    from tests.helpers import git

    write(repo, "t", "Hello")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "content")
    remote = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    sent = cli(repo, "publish", "--at", "2026-11-24T09:00Z", "--state-branch", "cmops-state",
               "--format", "json")
    assert [o["state"] for o in json.loads(sent.stdout)["outcomes"]] == ["published"], sent
    # a pull request's checkout: every branch fetched, then the remote gone (no credentials)
    pr = tmp_path / "pr"
    git(tmp_path, "clone", "-q", f"file://{remote}", str(pr))
    write(pr, "t", "Hello, fixed")
    git(pr, "remote", "set-url", "origin", str(tmp_path / "unreachable.git"))
    plan = cli(pr, "plan", "--at", "2026-11-24T12:00Z", "--state-branch", "cmops-state",
               "--format", "json")
    assert plan.returncode == 0, plan.stderr
    [item] = json.loads(plan.stdout)["items"]
    assert (item["state"], item["edits"][0]["before"], item["edits"][0]["after"]) == (
        "edit", "Hello", "Hello, fixed")
    # without it the local (empty) ledger knows nothing of what went out: it reads as due
    blind = cli(pr, "plan", "--at", "2026-11-24T12:00Z", "--format", "json")
    assert [i["state"] for i in json.loads(blind.stdout)["items"]] == ["due"]
    missing = cli(pr, "plan", "--state-branch", "nope")
    assert missing.returncode == 2 and "--state-branch nope" in missing.stderr


def test_the_review_says_a_change_beside_the_text_does_not_reach_a_published_post() -> None:
    base = cal(plan_post("p", "2026-11-24T10:00", text="Same words",
                         labels=["a"], publish_at="2026-11-24T10:00"))
    head = cal(plan_post("p", "2026-11-24T10:00", text="Same words",
                         publish_at="2026-11-24T11:00"))
    plan = build_plan(head, LATER, ledger=_ledger("Same words"))
    assert plan.items[0].state is State.PUBLISHED
    view = PlanView(plan, head, plan.items, None, None)
    view.changes = diff_calendars(base, head)
    assert ("already published on news: never published again; its live text is unchanged "
            "(a change of media, alt text, link card or time does not reach a published "
            "post)") in as_text(view)


def test_the_site_shows_an_edit_and_counts_no_edit_as_a_send(published: Path) -> None:
    from tests.report_content import generate_site, page_text

    write(published, "t", "Hello, fixed", THREAD)
    site = generate_site(published, LATER)
    # before the run: the calendar's chip says the post is to be edited
    assert any('class="cm-badge cm-s-edit"' in page_text(site, rel)
               for rel in site.files if rel.endswith(".md"))
    assert states(run(published, LATER)) == {"t/news": "edited"}
    site = generate_site(published, LATER + timedelta(hours=1))
    page = page_text(site, "published/index.md")
    row = next(line for line in page.split("<tr") if "cm-r-published" in line)
    assert "edited Wed 25 Nov 2026, 10&#58;00" in row
    assert '<td class="cm-num">3</td>' in row  # its three sends; the edit is not one


def test_validate_warns_on_the_line_of_a_change_that_will_not_apply(repo: Path) -> None:
    """A published post's text changed on a channel that cannot edit (and past the window
    elsewhere): cmops validate, knowing the ledger, warns on the line of the change."""
    (repo / "calendar/channels.yaml").write_text(
        (repo / "calendar/channels.yaml").read_text("utf-8").replace(
            "  news:\n    network: outbox\n", "  news:\n    network: outbox\n"
            "    edit_window: 0d\n"), "utf-8")
    write(repo, "t", "Hello", THREAD)
    sent = cli(repo, "publish", "--at", "2026-11-24T09:00Z", "--format", "json")
    assert [o["state"] for o in json.loads(sent.stdout)["outcomes"]] == ["published"], sent
    quiet = cli(repo, "validate", "--format", "github")
    assert quiet.returncode == 0 and "edit-not-applied" not in quiet.stdout
    write(repo, "t", "Hello", THREAD.replace("part two", "part 2"))
    warned = cli(repo, "validate", "--format", "github")
    assert warned.returncode == 0, warned.stdout  # a warning: nothing is held back
    [line] = [x for x in warned.stdout.splitlines() if "edit-not-applied" in x]
    assert line.startswith("::warning file=calendar/posts/t.yaml,line=7,"), line
    assert "already published on news: not applied: past edit_window (0d after " \
        "publishing)" in line
