"""Real processes: `cmops publish` killed with SIGKILL at each step, then run again; two
publishers at once on the same local ledger and on the same git state branch. After each
scenario the fake network holds exactly one copy of every message, and the ledger agrees."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Literal, overload

import pytest
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import TOKEN, post, setup_repo

AT = "2026-11-24T09:00Z"
LATER = "2026-11-24T09:10Z"


@pytest.fixture
def fake() -> Iterator[FakeMastodon]:
    with FakeMastodon(TOKEN).running() as server:
        yield server


@overload
def publish(root: Path, at: str, *args: str, crash: str | None = None,
            background: Literal[False] = False) -> subprocess.CompletedProcess[str]: ...


@overload
def publish(root: Path, at: str, *args: str, crash: str | None = None,
            background: Literal[True]) -> subprocess.Popen[str]: ...


def publish(root: Path, at: str, *args: str, crash: str | None = None,
            background: bool = False) -> subprocess.CompletedProcess[str] | subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CMOPS_")}
    env["MASTO_TOKEN"] = TOKEN
    if crash:
        env["CMOPS_CRASH_AT"] = crash
    cmd = [sys.executable, "-m", "cmops", "--root", str(root), "publish", "--at", at,
           "--format", "json", *args]
    if background:
        return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120,
                          check=False)


def calendar(root: Path, server: str) -> None:
    setup_repo(root, server)
    post(root, "a", channels="[masto, news]")
    post(root, "t", when="2026-11-24T09:40",
         extra="thread:\n  - text: part two\n  - text: part three\n")
    post(root, "b", when="2026-11-24T09:50", channels="[news, masto]")


EXPECTED = ["Hello from a", "Hello from t", "part two", "part three", "Hello from b"]


def assert_exactly_once(root: Path, fake: FakeMastodon) -> None:
    counts = Counter(fake.texts())
    assert counts == Counter(EXPECTED), counts
    ids = {s["id"] for s in fake.statuses}
    by_text = {s["content"]: s for s in fake.statuses}
    # the thread is one thread, not parts posted as separate roots
    assert by_text["part two"]["in_reply_to_id"] == by_text["Hello from t"]["id"]
    assert by_text["part three"]["in_reply_to_id"] == by_text["part two"]["id"]
    for key in ("a/masto", "t/masto", "b/masto", "a/news", "b/news"):
        post_id, channel = key.split("/")
        rec = json.loads((root / f".cmops/state/records/{post_id}/{channel}.json").read_text())
        assert rec["state"] == "published", (key, rec)
        if channel == "masto":
            assert {p["remote_id"] for p in rec["parts"]} <= ids
    outbox = sorted(p.name for p in (root / ".cmops/outbox/news").glob("*.json"))
    assert len(outbox) == 2, outbox


CRASH_POINTS = ["after-claim:1", "before-intent:1", "after-intent:1", "after-send:1",
                "after-outcome:1", "after-intent:3", "after-send:3", "after-send:4",
                "after-outcome:3"]


@pytest.mark.parametrize("crash", CRASH_POINTS)
def test_sigkill_at_each_step_then_rerun(repo: Path, fake: FakeMastodon, crash: str) -> None:
    calendar(repo, fake.url)
    killed = publish(repo, AT, crash=crash)
    assert killed.returncode == -9, killed.stderr
    rerun = publish(repo, LATER)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert_exactly_once(repo, fake)
    # and a third run has nothing left to do
    third = publish(repo, "2026-11-24T09:20Z")
    assert json.loads(third.stdout)["outcomes"] == []


def test_two_publishers_at_once_on_one_local_ledger(repo: Path, fake: FakeMastodon) -> None:
    calendar(repo, fake.url)
    for n in range(12):
        post(repo, f"bulk-{n:02d}", channels="[masto, news]")
    fake.faults = ["slow:0.05"] * 60
    first = publish(repo, AT, background=True)
    second = publish(repo, AT, background=True)
    assert isinstance(first, subprocess.Popen) and isinstance(second, subprocess.Popen)
    out1, _ = first.communicate(timeout=120)
    out2, _ = second.communicate(timeout=120)
    published = [o["key"] for out in (out1, out2) for o in json.loads(out)["outcomes"]
                 if o["state"] == "published"]
    assert Counter(published) == Counter(set(published))  # nothing published by both
    assert len(published) == 5 + 24
    counts = Counter(fake.texts())
    assert all(n == 1 for n in counts.values()), counts
    assert len(fake.statuses) == 5 + 12


# -- the git state branch ------------------------------------------------------------------

def git(cwd: Path, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@x", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@x")
    return subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True,
                          text=True, env=env).stdout


@pytest.fixture
def clones(repo: Path, fake: FakeMastodon, tmp_path: Path) -> tuple[Path, Path, Path]:
    calendar(repo, fake.url)
    for n in range(8):
        post(repo, f"bulk-{n:02d}", channels="[masto]")
    (repo / ".gitignore").write_text(".cmops/\n")
    shutil.rmtree(repo / ".cmops", ignore_errors=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "content")
    remote = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(remote))
    one, two = tmp_path / "one", tmp_path / "two"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{remote}", str(one))
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{remote}", str(two))
    shutil.rmtree(repo)
    return remote, one, two


def state_files(remote: Path) -> dict[str, dict[str, object]]:
    listing = git(remote, "ls-tree", "-r", "--name-only", "cmops-state")
    return {path: json.loads(git(remote, "show", f"cmops-state:{path}"))
            for path in listing.split() if path.startswith("records/")}


def test_git_state_branch_publishes_once_with_two_pushes(
        clones: tuple[Path, Path, Path], fake: FakeMastodon) -> None:
    remote, one, _ = clones
    result = publish(one, AT, "--state-branch", "cmops-state", "--channel", "masto")
    assert result.returncode == 0, result.stdout + result.stderr
    records = state_files(remote)
    assert len(records) == 11
    assert all(r["state"] == "published" for r in records.values())
    log = git(remote, "log", "--format=%s", "cmops-state").splitlines()
    # one push for the claims, one for the outcomes, and the hourly heartbeat
    assert log == ["cmops: publish heartbeat", "cmops: record 11 outcome(s)",
                   "cmops: claim 11 item(s)"]
    assert len(fake.statuses) == 13
    # the user's work tree and branches are untouched
    assert git(one, "status", "--porcelain") == ""
    assert "cmops-state" not in git(one, "branch", "--list")


def test_two_publishers_at_once_on_one_git_state_branch(
        clones: tuple[Path, Path, Path], fake: FakeMastodon) -> None:
    remote, one, two = clones
    fake.faults = ["slow:0.05"] * 40
    first = publish(one, AT, "--state-branch", "cmops-state", "--channel", "masto",
                    background=True)
    second = publish(two, AT, "--state-branch", "cmops-state", "--channel", "masto",
                     background=True)
    assert isinstance(first, subprocess.Popen) and isinstance(second, subprocess.Popen)
    outs = [p.communicate(timeout=120)[0] for p in (first, second)]
    published = [o["key"] for out in outs for o in json.loads(out)["outcomes"]
                 if o["state"] == "published"]
    assert sorted(published) == sorted(set(published)) and len(published) == 11
    assert all(n == 1 for n in Counter(fake.texts()).values())
    assert len(fake.statuses) == 13
    assert all(r["state"] == "published" for r in state_files(remote).values())


def test_git_state_survives_a_kill_after_the_network_accepted(
        clones: tuple[Path, Path, Path], fake: FakeMastodon) -> None:
    remote, one, two = clones
    killed = publish(one, AT, "--state-branch", "cmops-state", "--channel", "masto",
                     crash="after-send:3")
    assert killed.returncode == -9
    # the claims were pushed before anything was sent; the outcomes were not
    assert {r["state"] for r in state_files(remote).values()} == {"pending"}
    # a dead run's claims are honoured until their lease (budget + 5 min) runs out
    early = publish(two, LATER, "--state-branch", "cmops-state", "--channel", "masto")
    assert {o["state"] for o in json.loads(early.stdout)["outcomes"]} == {"skipped"}
    rerun = publish(two, "2026-11-24T09:20Z", "--state-branch", "cmops-state", "--channel", "masto")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert all(n == 1 for n in Counter(fake.texts()).values())
    assert len(fake.statuses) == 13
    assert all(r["state"] == "published" for r in state_files(remote).values())


def test_secret_canary_never_reaches_output_or_the_state_branch(
        clones: tuple[Path, Path, Path], fake: FakeMastodon) -> None:
    import base64
    from urllib.parse import quote

    remote, one, _ = clones
    fake.faults = ["401-echo", "500", "accept-then-drop"]
    result = publish(one, AT, "--state-branch", "cmops-state", "--channel", "masto")
    assert isinstance(result, subprocess.CompletedProcess)
    assert "[REDACTED]" in result.stdout
    history = git(remote, "log", "-p", "--all")
    haystack = result.stdout + result.stderr + history
    for path in one.rglob("*"):
        if path.is_file() and ".git/objects" not in str(path):
            haystack += path.read_text("utf-8", "replace")
    for form in (TOKEN, base64.b64encode(TOKEN.encode()).decode(), quote(TOKEN),
                 base64.b64encode(f"Bearer {TOKEN}".encode()).decode()):
        assert form not in haystack


@pytest.mark.parametrize(("crash", "pending"), [("after-push:1", True), ("after-push:2", False)])
def test_git_state_survives_a_kill_mid_push(clones: tuple[Path, Path, Path],
                                            fake: FakeMastodon, crash: str,
                                            pending: bool) -> None:
    """Killed right after a push reached the remote, before the process knew it: after the
    claims (nothing sent yet) or after the outcomes (everything sent and recorded)."""
    remote, one, two = clones
    killed = publish(one, AT, "--state-branch", "cmops-state", "--channel", "masto",
                     crash=crash)
    assert killed.returncode == -9
    states = {r["state"] for r in state_files(remote).values()}
    assert states == ({"pending"} if pending else {"published"})
    rerun = publish(two, "2026-11-24T09:20Z", "--state-branch", "cmops-state", "--channel",
                    "masto")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert all(n == 1 for n in Counter(fake.texts()).values())
    assert len(fake.statuses) == 13
    assert all(r["state"] == "published" for r in state_files(remote).values())
