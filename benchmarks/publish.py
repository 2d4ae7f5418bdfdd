"""Benchmark: `cmops publish` of N due posts to a loopback Mastodon with 50 ms latency.

    python benchmarks/publish.py [--posts 500] [--latency 0.05]

Prints, in one run: the wall time of the bare HTTP round trips (the same N statuses posted
with httpx, nothing else: the reference), the wall time of the publisher with the local
ledger and with the git state branch (a bare remote in a temp dir), the publisher's overhead
per post beyond the round trip (target <= 5 ms/post), and the number of state pushes per run
(target <= 2 + a constant).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.fakes.mastodon import FakeMastodon  # noqa: E402

from cmops.publish import Options, Publisher, adapter_factory  # noqa: E402
from cmops.secrets import Redactor  # noqa: E402
from cmops.stores.git import GitStore  # noqa: E402
from cmops.stores.local import LocalStore  # noqa: E402
from cmops.validate import load_calendar  # noqa: E402

TOKEN = "bench-token-123456"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def make_repo(path: Path, server: str, posts: int) -> Path:
    (path / "calendar/posts").mkdir(parents=True)
    (path / "calendar/channels.yaml").write_text(
        f"timezone: UTC\nchannels:\n  masto:\n    network: mastodon\n    server: {server}\n"
        "    secrets:\n      token: MASTO_TOKEN\n", "utf-8")
    for n in range(posts):
        (path / f"calendar/posts/p{n:04d}.yaml").write_text(
            f"id: p{n:04d}\nstatus: ready\nchannels: [masto]\npublish_at: 2026-11-24T11:00Z\n"
            f"text: Benchmark post number {n}\n", "utf-8")
    (path / ".gitignore").write_text(".cmops/\n")
    return path


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@x", "HOME": str(cwd),
                        "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@x",
                        "PATH": "/usr/bin:/bin:/usr/local/bin"})


def publish(root: Path, store: LocalStore | GitStore) -> tuple[float, int]:
    calendar, _ = load_calendar(root, use_cache=False)
    factory = adapter_factory(root, calendar, Redactor(), {"MASTO_TOKEN": TOKEN})
    start = time.perf_counter()
    report = Publisher(root, calendar, store, factory, Options(NOW, budget=3600)).run()
    elapsed = time.perf_counter() - start
    store.close()
    return elapsed, report.count("published")


@contextmanager
def fake_server(latency: float) -> Iterator[FakeMastodon]:
    with FakeMastodon(TOKEN).running() as fake:
        fake.latency = latency
        fake.clock = lambda: NOW
        yield fake


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cmops-bench-"))
    print(f"cmops publish benchmark: {args.posts} due posts, {args.latency * 1000:.0f} ms "
          "server latency, one run each")
    rows = []
    # A fresh account per row, its clock at the publisher's "now": each row publishes to an
    # empty account, as the first run of the day does (the lookup before a resend reads it).
    with fake_server(args.latency) as fake, httpx.Client(base_url=fake.url) as client:
        start = time.perf_counter()
        for n in range(args.posts):
            client.post("/api/v1/statuses", json={"status": f"reference {n}"},
                        headers={"Authorization": f"Bearer {TOKEN}",
                                 "Idempotency-Key": f"ref-{n}"})
        reference = time.perf_counter() - start
    rows.append(("HTTP round trips only (httpx)", reference, args.posts, None))

    with fake_server(args.latency) as fake:
        local = make_repo(work / "local", fake.url, args.posts)
        t, sent = publish(local, LocalStore(local / ".cmops/state"))
    rows.append(("cmops publish, local ledger", t, sent, None))

    with fake_server(args.latency) as fake:
        repo = make_repo(work / "git", fake.url, args.posts)
        git(repo, "init", "-q", "-b", "main")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "content")
        git(work, "clone", "-q", "--bare", str(repo), str(work / "remote.git"))
        git(repo, "remote", "add", "origin", str(work / "remote.git"))
        store = GitStore(repo, "cmops-state")
        t, sent = publish(repo, store)
    rows.append(("cmops publish, git state branch", t, sent, store.pushes))
    print(f"{'':34} {'wall s':>8} {'posts':>6} {'ms/post':>8} {'overhead':>10}  pushes")
    for name, t, sent, pushes in rows:
        overhead = (t - reference) / max(1, sent) * 1000
        verdict = "" if name.startswith("HTTP") else \
            f"{overhead:6.2f} ms {'PASS' if overhead <= 5 else 'FAIL'}"
        push = "" if pushes is None else \
            f"{pushes} ({'PASS' if pushes <= 2 + 1 else 'FAIL'}: target <= 2 + 1)"
        print(f"{name:34} {t:8.2f} {sent:6d} {t / max(1, sent) * 1000:8.2f} {verdict:>10}  "
              f"{push}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
