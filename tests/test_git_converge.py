"""The calendar converges on the git state branch (issue 19): a thread published, edited, then
withdrawn with the ledger on ``cmops-state`` of a bare remote, each run a real process from its
own clone; two runs at once from two clones edit and delete each message exactly once; a third
clone's ``cmops plan --state-branch`` shows the state; a SIGKILL in the middle of an edit is
settled by the next run without editing twice what is already live.

The network is one outbox folder shared by every clone (outside them, as a real network is),
with one log line per edit and per delete: what the network saw, counted."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.helpers import git

from cmops.adapters import ChannelContext, Edit, Withdrawal
from cmops.adapters.outbox import OutboxAdapter
from cmops.publish import Options, Publisher
from cmops.retry import Backoff
from cmops.secrets import Redactor
from cmops.stores.git import GitStore
from cmops.validate import load_calendar

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=3)
ROOT = Path(__file__).resolve().parent.parent
THREAD = "thread:\n  - text: part two\nfirst_comment: the comment\n"
BRANCH = "cmops-state"


class SharedOutbox(OutboxAdapter):
    """The outbox in one folder for every clone; each edit and delete logged as it arrives."""

    def _log(self, name: str, line: dict[str, object]) -> None:
        with (self.dir / name).open("a", encoding="utf-8") as log:
            log.write(json.dumps(line) + "\n")

    def edit(self, item: Edit) -> None:
        self._log("edits.log", {"part": item.part, "id": item.remote.id, "text": item.text})
        super().edit(item)

    def delete(self, item: Withdrawal) -> None:
        self._log("deletes.log", {"part": item.part, "id": item.remote.id})
        super().delete(item)


def main(root: Path, at: datetime, network: Path) -> dict[str, str]:
    """One publish run from ``root`` with the ledger on the state branch (the crash points
    come from CMOPS_CRASH_AT, as for ``cmops publish``)."""
    calendar, report = load_calendar(root, use_cache=False)
    assert report.ok, [p.message for p in report.problems]

    def factory(channel: str) -> SharedOutbox:
        ch = calendar.channels[channel]
        made = SharedOutbox(ChannelContext(channel, "outbox", ch.raw, {}, root, Redactor()))
        made.dir = network
        network.mkdir(parents=True, exist_ok=True)
        return made

    with GitStore(root, BRANCH) as store:
        done = Publisher(root, calendar, store, factory,
                         Options(at, backoff=Backoff(base=1, cap=8, attempts=3))).run()
    return {o.key: o.state for o in done.outcomes}


def start(root: Path, at: datetime, network: Path,
          crash: str | None = None) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CMOPS_")}
    env["PYTHONPATH"] = str(ROOT)
    if crash:
        env["CMOPS_CRASH_AT"] = crash
    return subprocess.Popen([sys.executable, __file__, str(root), at.isoformat(), str(network)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def publish(root: Path, at: datetime, network: Path,
            crash: str | None = None) -> tuple[int, dict[str, str], str]:
    proc = start(root, at, network, crash)
    out, err = proc.communicate(timeout=180)
    return proc.returncode, (json.loads(out) if proc.returncode == 0 else {}), err


def write(root: Path, text: str, status: str = "ready", extra: str = "") -> None:
    (root / "calendar/posts/t.yaml").write_text(
        f"id: t\nstatus: {status}\nchannels: [news]\npublish_at: 2026-11-24T08:59\n"
        f"text: {text}\n{THREAD}{extra}", "utf-8")


def commit(root: Path, message: str) -> None:
    git(root, "add", "calendar")
    git(root, "commit", "-q", "-m", message)
    git(root, "push", "-q", "origin", "HEAD:main")


def pull(root: Path) -> None:
    git(root, "pull", "-q", "--ff-only", "origin", "main")


def seen(network: Path, log: str) -> list[dict[str, Any]]:
    path = network / log
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()] \
        if path.exists() else []


def live(network: Path) -> list[str]:
    files = sorted(network.glob("*.json"), key=lambda p: json.loads(p.read_text("utf-8"))["part"])
    return [json.loads(p.read_text("utf-8"))["text"] for p in files]


def on_branch(remote: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(git(remote, "show", f"{BRANCH}:records/t/news.json"))
    return data


@pytest.fixture
def clones(repo: Path, tmp_path: Path) -> tuple[Path, Path, Path, Path]:
    """A bare remote (main: the calendar), two clones, and the shared network; the thread
    published at NOW from the first clone."""
    write(repo, "Hello")
    (repo / ".gitignore").write_text(".cmops/\n")
    shutil.rmtree(repo / ".cmops", ignore_errors=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "content")
    remote = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(remote))
    one, two = tmp_path / "one", tmp_path / "two"
    git(tmp_path, "clone", "-q", f"file://{remote}", str(one))
    git(tmp_path, "clone", "-q", f"file://{remote}", str(two))
    shutil.rmtree(repo)
    network = tmp_path / "network"
    code, states, err = publish(one, NOW, network)
    assert (code, states) == (0, {"t/news": "published"}), err
    assert live(network) == ["Hello", "part two", "the comment"]
    return remote, one, two, network


def test_publish_edit_withdraw_on_the_state_branch(
        clones: tuple[Path, Path, Path, Path], tmp_path: Path) -> None:
    remote, one, two, network = clones
    write(one, "Hello, fixed")
    commit(one, "fix the text")
    pull(two)
    code, states, err = publish(two, LATER, network)  # the other clone: the ledger is shared
    assert (code, states) == (0, {"t/news": "edited"}), err
    assert [(e["part"], e["text"]) for e in seen(network, "edits.log")] == [(0, "Hello, fixed")]
    assert live(network) == ["Hello, fixed", "part two", "the comment"]
    rec = on_branch(remote)
    assert [p["text"] for p in rec["parts"]] == ["Hello, fixed", "part two", "the comment"]
    assert [v["texts"] for v in rec["versions"]] == [["Hello", "part two", "the comment"]]
    assert publish(one, LATER + timedelta(minutes=5), network)[1] == {}
    # a third clone, as a pull request's review job: the plan reads the branch
    third = tmp_path / "three"
    git(tmp_path, "clone", "-q", f"file://{remote}", str(third))
    write(third, "Hello, fixed", "withdrawn", "withdrawn_reason: wrong date\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CMOPS_")}
    plan = subprocess.run([sys.executable, "-m", "cmops", "--root", str(third), "plan", "--at",
                           LATER.isoformat(), "--state-branch", BRANCH, "--format", "json"],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert plan.returncode == 0, plan.stderr
    [item] = json.loads(plan.stdout)["items"]
    assert (item["state"], item["withdrawn_reason"]) == ("withdraw", "wrong date")
    # withdrawn: every message goes, last first, once
    write(one, "Hello, fixed", "withdrawn", "withdrawn_reason: wrong date\n")
    commit(one, "withdraw")
    code, states, err = publish(one, LATER + timedelta(hours=1), network)
    assert (code, states) == (0, {"t/news": "withdrawn"}), err
    assert [d["part"] for d in seen(network, "deletes.log")] == [2, 1, 0]
    assert live(network) == []
    rec = on_branch(remote)
    assert rec["state"] == "withdrawn" and rec["withdrawn_reason"] == "wrong date"
    pull(two)
    assert publish(two, LATER + timedelta(hours=2), network)[1] == {}
    assert len(seen(network, "deletes.log")) == 3 and len(seen(network, "edits.log")) == 1


@pytest.mark.parametrize("change", ["edit", "withdraw"])
def test_two_runs_at_once_from_two_clones_apply_it_once(
        clones: tuple[Path, Path, Path, Path], change: str) -> None:
    remote, one, two, network = clones
    if change == "edit":
        write(one, "Hello, fixed", extra="")
    else:
        write(one, "Hello", "withdrawn", "withdrawn_reason: duplicate\n")
    commit(one, change)
    pull(two)
    runs = [start(one, LATER, network), start(two, LATER, network)]
    outs = [p.communicate(timeout=180) for p in runs]
    assert [p.returncode for p in runs] == [0, 0], [o[1] for o in outs]
    done = [s for out, _ in outs for s in json.loads(out).values()]
    expected = "edited" if change == "edit" else "withdrawn"
    assert done.count(expected) == 1, outs
    log = seen(network, "edits.log" if change == "edit" else "deletes.log")
    assert Counter(e["id"] for e in log) == Counter({e["id"]: 1 for e in log})
    assert len(log) == (1 if change == "edit" else 3)
    assert live(network) == (["Hello, fixed", "part two", "the comment"]
                             if change == "edit" else [])
    assert on_branch(remote)["state"] == ("published" if change == "edit" else "withdrawn")


@pytest.mark.parametrize(("crash", "resent"), [("after-edit:1", False),
                                               ("after-edit-intent:1", True)])
def test_a_kill_during_an_edit_is_settled_without_a_second_edit(
        clones: tuple[Path, Path, Path, Path], crash: str, resent: bool) -> None:
    remote, one, two, network = clones
    write(one, "Hello, fixed")
    commit(one, "fix")
    code, _, _ = publish(one, LATER, network, crash)
    assert code == -9
    rec = on_branch(remote)
    assert rec["parts"][0]["state"] == "editing" and rec["parts"][0]["text"] == "Hello"
    sent = len(seen(network, "edits.log"))
    assert sent == (0 if resent else 1)
    pull(two)
    # the dead run's claim holds until its lease runs out; then the other clone settles it
    code, states, err = publish(two, LATER + timedelta(minutes=20), network)
    assert (code, states) == (0, {"t/news": "edited"}), err
    assert len(seen(network, "edits.log")) == 1
    assert live(network)[0] == "Hello, fixed"
    rec = on_branch(remote)
    assert rec["parts"][0]["state"] == "published"
    assert rec["parts"][0]["text"] == "Hello, fixed"
    assert rec["attempts"][-1]["outcome"] == ("edited" if resent else "edit-reconciled")
    assert publish(one, LATER + timedelta(hours=1), network)[1] == {}


if __name__ == "__main__":  # the process each run starts (and SIGKILLs)
    print(json.dumps(main(Path(sys.argv[1]), datetime.fromisoformat(sys.argv[2]),
                          Path(sys.argv[3]))))
