"""The outbox channel's files survive CI (issue 21): with the ledger on a git state branch,
each run's message files and feed are committed to the branch in the same commit as the
records that name them, a fresh runner restores them before it publishes (the feed keeps
every entry), and ``cmops report --state-branch`` on another fresh clone copies them into the
site, where the published log links them relatively. With a local ledger the report copies
them from ``.cmops/outbox/``. Only the adapter's own file names are ever served."""

from __future__ import annotations

import json
import posixpath
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from cmops.cli import cli

BRANCH = "cmops-state"


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                          text=True).stdout


def cmops(root: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--root", str(root), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def content(root: Path) -> Path:
    (root / "calendar/posts").mkdir(parents=True)
    (root / "calendar/channels.yaml").write_text(
        "timezone: Europe/Paris\nmax_delay: 6h\nchannels:\n  news:\n    network: outbox\n",
        "utf-8")
    for pid, when, text in (("first", "2026-11-24T10:00", "<script>alert(1)</script> one"),
                            ("second", "2026-11-25T10:00", "second & last")):
        (root / f"calendar/posts/{pid}.yaml").write_text(
            f"id: {pid}\nstatus: ready\nchannels: [news]\npublish_at: {when}\n"
            f"text: {json.dumps(text)}\n", "utf-8")
    (root / ".gitignore").write_text(".cmops/\ndocs/report/\n", "utf-8")
    (root / "docs").mkdir()
    (root / "mkdocs.yml").write_text("site_name: T\ntheme:\n  name: material\n", "utf-8")
    return root


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    source = content(tmp_path / "source")
    git(source, "init", "-q", "-b", "main")
    git(source, "add", "-A")
    git(source, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "c")
    bare = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(source), str(bare))
    return bare


def clone(remote: Path, where: Path) -> Path:
    git(remote.parent, "clone", "-q", f"file://{remote}", str(where))
    return where


def branch_files(remote: Path) -> list[str]:
    return git(remote, "ls-tree", "-r", "--name-only", BRANCH).split()


def test_outbox_files_ride_the_state_branch_and_reach_the_site(remote: Path,
                                                               tmp_path: Path) -> None:
    one = clone(remote, tmp_path / "one")
    cmops(one, "publish", "--state-branch", BRANCH, "--at", "2026-11-24T10:01+01:00")
    files = branch_files(remote)
    (first,) = [f for f in files if re.fullmatch(r"outbox/news/first-news-p1-\w+\.json", f)]
    assert "outbox/news/feed.xml" in files and "records/first/news.json" in files
    # The message's file and its record's outcome are one commit: kept or lost together.
    outcome = git(remote, "log", "-1", "--format=%H", BRANCH, "--",
                  "records/first/news.json").strip()
    changed = git(remote, "show", "--name-only", "--format=", outcome).split()
    assert sorted(changed) == sorted([first, "outbox/news/feed.xml",
                                      "records/first/news.json"])
    record = json.loads(git(remote, "show", f"{BRANCH}:records/first/news.json"))
    assert record["state"] == "published"
    assert record["parts"][0]["url"] == ".cmops/" + first

    # A fresh runner: nothing on disk; the second post's run keeps the first in the feed.
    two = clone(remote, tmp_path / "two")
    assert not (two / ".cmops").exists()
    cmops(two, "publish", "--state-branch", BRANCH, "--at", "2026-11-25T10:01+01:00")
    files = branch_files(remote)
    assert len([f for f in files if f.endswith(".json") and f.startswith("outbox/")]) == 2
    feed = git(remote, "show", f"{BRANCH}:outbox/news/feed.xml")
    assert feed.count("<entry>") == 2
    assert "&lt;script&gt;alert(1)&lt;/script&gt; one" in feed and "second &amp; last" in feed

    # Another fresh clone builds the report: the files are in the site, the log links them.
    three = clone(remote, tmp_path / "three")
    out = three / "docs/report"
    cmops(three, "report", "--state-branch", BRANCH, "--no-build", "--at",
          "2026-11-25T12:00+01:00", "--out", str(out))
    copied = sorted(p.relative_to(out).as_posix() for p in (out / "outbox").rglob("*.*"))
    assert copied == sorted(f for f in files if f.startswith("outbox/"))
    assert json.loads((out / first).read_text("utf-8"))["text"] == \
        "<script>alert(1)</script> one"
    log = (out / "published/index.md").read_text("utf-8")
    hrefs = re.findall(r'<a class="cm-outbox" href="([^"]+)">', log)
    assert sorted(hrefs) == sorted(f"../{f}" for f in files
                                   if f.startswith("outbox/") and f.endswith(".json"))
    for href in hrefs:  # published/index.md is served as published/: resolve from there
        assert (out / posixpath.normpath(posixpath.join("published", href))).is_file()
    assert ".cmops/outbox" not in log.split("cm-log", 1)[1].replace(
        'class="cm-outbox"', "")


def test_a_withdrawn_message_leaves_the_branch(remote: Path, tmp_path: Path) -> None:
    one = clone(remote, tmp_path / "one")
    cmops(one, "publish", "--state-branch", BRANCH, "--at", "2026-11-24T10:01+01:00")
    two = clone(remote, tmp_path / "two")
    post = two / "calendar/posts/first.yaml"
    post.write_text(post.read_text("utf-8").replace("status: ready", "status: withdrawn"),
                    "utf-8")
    cmops(two, "publish", "--state-branch", BRANCH, "--at", "2026-11-24T11:00+01:00")
    files = branch_files(remote)
    assert [f for f in files if f.startswith("outbox/")] == ["outbox/news/feed.xml"]
    assert "<entry>" not in git(remote, "show", f"{BRANCH}:outbox/news/feed.xml")


def test_a_local_ledger_site_copies_the_folder_and_nothing_else(tmp_path: Path) -> None:
    root = content(tmp_path / "r")
    cmops(root, "publish", "--at", "2026-11-24T10:01+01:00")
    folder = root / ".cmops/outbox/news"
    (name,) = [p.name for p in folder.glob("first-*.json")]
    (folder / "evil.html").write_text("<script>alert(1)</script>", "utf-8")
    (folder / "linked-secret.json").symlink_to(root / "calendar/channels.yaml")
    (folder / "big.json").write_bytes(b"{}" + b" " * (1 << 20))
    out = root / "docs/report"
    cmops(root, "report", "--no-build", "--at", "2026-11-24T12:00+01:00", "--out", str(out))
    assert sorted(p.name for p in (out / "outbox/news").iterdir()) == ["feed.xml", name]
    log = (out / "published/index.md").read_text("utf-8")
    assert f'<a class="cm-outbox" href="../outbox/news/{name}">' in log
    month = (out / "posts/2026-11/index.md").read_text("utf-8")
    assert f'<a class="cm-outbox" href="../../outbox/news/{name}">' in month


def test_collect_tells_one_story_for_the_outbox(tmp_path: Path) -> None:
    """No "counters 1/1" followed by "metrics unavailable": what was asked, what came back
    and why, the same words in the progress lines and the table."""
    root = content(tmp_path / "r")
    cmops(root, "publish", "--at", "2026-11-24T10:01+01:00")
    result = CliRunner().invoke(cli, ["--root", str(root), "collect", "--at",
                                      "2026-11-24T12:00+01:00"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    why = "an outbox is files: nothing counts their likes or readers"
    progress = [line.strip() for line in result.stderr.splitlines()]
    assert "news                 reading counters: 1/1 post(s) asked" in progress
    assert f"news                 counters for 0 of 1 post(s); metrics unavailable: {why}" \
        in progress
    (row,) = [line for line in result.stdout.splitlines() if line.startswith("news ")]
    assert row.endswith(f"followers unavailable: an outbox has no followers; "
                        f"metrics unavailable: {why}")


def test_a_symlinked_outbox_folder_is_neither_written_through_nor_emptied(
        remote: Path, tmp_path: Path) -> None:
    one = clone(remote, tmp_path / "one")
    cmops(one, "publish", "--state-branch", BRANCH, "--at", "2026-11-24T10:01+01:00")
    before = [f for f in branch_files(remote) if f.startswith("outbox/")]
    two = clone(remote, tmp_path / "two")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (two / ".cmops").mkdir()
    (two / ".cmops/outbox").symlink_to(elsewhere)
    result = CliRunner().invoke(cli, ["--root", str(two), "publish", "--state-branch", BRANCH,
                                      "--at", "2026-11-25T10:01+01:00"])
    assert not any(p.name.startswith("first-") for p in elsewhere.rglob("*"))
    assert set(before) <= set(branch_files(remote)), result.output
