"""A malicious pull request, merged without review: every trick of issue 14 at once.

The calendar tries to exfiltrate files and environment variables through media uploads, to
write outside the repository and forge git index lines through post ids, to read files
outside the repository through symlinks, to slip banned words, quiet hours, unknown
campaigns and control characters past review, and to point the outbox outside the
repository. `cmops publish` runs as a real process (its environment holds canary secrets),
twice on the local ledger and twice on a git state branch, against a strict Mastodon fake
with a canary token, then `cmops report` writes the site. Afterwards: nothing outside the
repository was touched, no canary is in any byte of output, ledger, outbox, site or request
bodies, and the two valid posts went out exactly once.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from tests.fakes.mastodon import FakeMastodon

TOKEN = "masto-canary-Zq8Xw2Lk5Rt9"
ENV_CANARY = "env-canary-Pp4Nn7Mm1Jj3"
FILE_CANARY = "file-canary-Hh6Gg2Ff8Dd0"
CANARIES = (TOKEN, ENV_CANARY, FILE_CANARY)
AT = ("2026-11-24T09:00Z", "2026-11-24T10:30Z")


def forms(secret: str) -> list[str]:
    raw = secret.encode()
    return [secret, quote(secret, safe=""), quote_plus(secret),
            base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode(),
            base64.b64encode(f"Bearer {secret}".encode()).decode(), secret[:12]]


def post(root: Path, name: str, body: str) -> None:
    (root / "calendar/posts" / f"{name}.yaml").write_text(body, "utf-8")


def ready(pid: str, text: str, extra: str = "", channels: str = "[masto, news]",
          when: str = "2026-11-24T09:50") -> str:
    return (f"id: {pid}\nstatus: ready\nchannels: {channels}\npublish_at: {when}\n"
            f"text: {text}\n{extra}")


def malicious_calendar(root: Path, server: str, outside: Path) -> None:
    (root / "calendar/channels.yaml").write_text(
        "timezone: Europe/Paris\nchannels:\n  news:\n    network: outbox\n"
        "  escape:\n    network: outbox\n    path: ../escaped-outbox\n"
        f"  masto:\n    network: mastodon\n    server: {server}\n"
        "    secrets:\n      token: MASTO_TOKEN\n", "utf-8")
    (root / "calendar/rules.yaml").write_text(
        'banned_words: [forbidden]\nquiet_hours:\n  - from: "09:40"\n    to: "09:45"\n')
    # the two valid posts
    post(root, "valid-one", ready("valid-one", "A valid post"))
    post(root, "valid-two", ready("valid-two", "Another valid post", channels="[news]"))
    # exfiltration through media
    post(root, "environ", ready("environ", "look", "media:\n  - path: /proc/self/environ\n"
                                                   "    alt: x\n"))
    post(root, "passwd", ready("passwd", "look", f"media:\n  - path: ../{outside.name}\n"
                                                  "    alt: x\n"))
    (root / "calendar/media").mkdir(exist_ok=True)
    (root / "calendar/media/link.png").symlink_to(outside)
    post(root, "linked-media", ready("linked-media", "look",
                                     "media:\n  - path: calendar/media/link.png\n    alt: x\n"))
    # ids that are paths or forge git index lines
    post(root, "traversal", ready('"../../../../../../tmp/cmops-pwned/x"', "pwned"))
    post(root, "index-line", ready('"a\\n100644 blob e69de29bb2d1d6434b8b29ae775ad8c2e48c5391'
                                   '\\trecords/valid-one/masto.json"', "forged"))
    post(root, "nul", ready('"nul\\0id"', "nul"))
    post(root, "long", ready("x" * 300, "long"))
    # policy a reviewer relied on
    post(root, "banned", ready("banned", "This is forbidden"))
    post(root, "quiet", ready("quiet", "Shh", when="2026-11-24T09:42"))
    post(root, "campaign", ready("campaign", "Hi", "campaign: nope\n"))
    post(root, "bell", ready("bell", '"Ring \\a"'))
    post(root, "escape-outbox", ready("escape-outbox", "Out", channels="[escape]"))
    # content from outside the repository through a symlinked post
    (root / "calendar/posts/symlinked.yaml").symlink_to(outside)


@pytest.fixture
def fake() -> Iterator[FakeMastodon]:
    with FakeMastodon(TOKEN).running() as server:
        yield server


def cmops(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CMOPS_")}
    env.update(MASTO_TOKEN=TOKEN, SOME_CI_SECRET=ENV_CANARY)
    return subprocess.run([sys.executable, "-m", "cmops", "-v", "--root", str(root), *args],
                          env=env, capture_output=True, text=True, timeout=120, check=False)


def git(cwd: Path, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@x",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@x")
    return subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True,
                          text=True, env=env).stdout


def everything_under(folder: Path) -> str:
    out = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink() and ".git/objects" not in path.as_posix():
            out.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(out)


def outside_repo(tmp_path: Path) -> set[str]:
    """Every path under the test's folder but outside the repository (and its bare remote)."""
    return {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")
            if p.relative_to(tmp_path).parts[0] not in ("repo", "remote.git")}


@pytest.mark.parametrize("store", ["local", "git"])
def test_a_malicious_calendar_publishes_only_the_valid_posts_once(
        repo: Path, fake: FakeMastodon, tmp_path: Path, store: str) -> None:
    outside = tmp_path / "outside-secret.yaml"
    outside.write_text(f"id: smuggled\nstatus: ready\nchannels: [news]\n"
                       f"publish_at: 2026-11-24T09:50\ntext: {FILE_CANARY}\n", "utf-8")
    shutil.rmtree(repo / "calendar/posts")
    (repo / "calendar/posts").mkdir()
    malicious_calendar(repo, fake.url, outside)
    args: tuple[str, ...] = ()
    if store == "git":
        (repo / ".gitignore").write_text(".cmops/\ndocs/\n")
        git(repo, "init", "-q", "-b", "main")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "merged without review")
        remote = tmp_path / "remote.git"
        git(tmp_path, "clone", "-q", "--bare", str(repo), str(remote))
        git(repo, "remote", "add", "origin", str(remote))
        args = ("--state-branch", "cmops-state")
    before = outside_repo(tmp_path)
    outputs = []
    for at in AT:
        result = cmops(repo, "publish", "--at", at, "--format", "json", *args)
        outputs.append(result.stdout + result.stderr)
        assert result.returncode == 1, result.stderr  # loud: the workflow's alert fires
        states = {o["key"]: o["state"] for o in json.loads(result.stdout)["outcomes"]}
        assert "published" not in {s for k, s in states.items() if not k.startswith("valid-")}
    first = json.loads(outputs[0][:outputs[0].rindex("}") + 1])
    assert sorted(o["key"] for o in first["outcomes"] if o["state"] == "published") == \
        ["valid-one/masto", "valid-one/news", "valid-two/news"]
    invalid = {o["post"] for o in first["outcomes"] if o["state"] == "invalid"}
    assert {"environ", "passwd", "linked-media", "banned", "quiet", "campaign", "bell",
            "escape-outbox"} <= invalid
    report = cmops(repo, "report", "--at", AT[1], "--no-build", *args)
    outputs.append(report.stdout + report.stderr)
    validate = cmops(repo, "validate", "--format", "github")
    outputs.append(validate.stdout + validate.stderr)
    assert validate.returncode == 1

    # exactly once, and only the valid posts
    assert fake.texts() == ["A valid post"]
    outbox = sorted(json.loads(p.read_text())["text"]
                    for p in (repo / ".cmops/outbox/news").glob("*.json"))
    assert outbox == ["A valid post", "Another valid post"]
    assert not any(r["path"] == "/api/v2/media" for r in fake.requests)
    # nothing outside the repository touched
    assert outside_repo(tmp_path) == before
    assert not Path("/tmp/cmops-pwned").exists()
    assert not (tmp_path / "escaped-outbox").exists()
    # no canary in any byte of output, ledger, outbox, site, git history or requests
    haystack = "\n".join(outputs) + everything_under(repo)
    if store == "git":
        haystack += git(tmp_path / "remote.git", "log", "-p", "--all")
        tree = git(tmp_path / "remote.git", "ls-tree", "-r", "--name-only", "cmops-state")
        # The outbox channel's files ride the branch with their records (issue 21): the two
        # valid posts' messages and the feed, nothing else.
        outbox = sorted(f for f in tree.split() if f.startswith("outbox/"))
        assert sorted(f for f in tree.split() if f not in outbox) == [
            "records/valid-one/masto.json", "records/valid-one/news.json",
            "records/valid-two/news.json", "runs/heartbeat.json"]
        assert [re.sub(r"-[0-9a-f]{8}\.json$", ".json", f) for f in outbox] == [
            "outbox/news/feed.xml", "outbox/news/valid-one-news-p1.json",
            "outbox/news/valid-two-news-p1.json"]
    bodies = b"".join(r["body"] for r in fake.requests).decode("utf-8", "replace")
    for secret in CANARIES:
        for form in forms(secret):
            assert form not in haystack, (secret, form)
        assert secret not in bodies
    assert ENV_CANARY not in bodies and FILE_CANARY not in bodies
