"""Soak: kill `cmops publish` with SIGKILL at random moments, rerun, check exactly-once.

    python benchmarks/soak.py [--trials 200] [--seed 1]

Each trial builds a fresh calendar (a single post on Mastodon and the outbox, a three-part
thread, a second post), starts `cmops publish` as a real process against a loopback Mastodon
with a little latency, kills it after a random delay, runs it again to completion (and a
third time), and checks that the fake network holds exactly one copy of every message, the
thread's replies chain correctly, and every ledger record says published. Prints the number
of trials, where the kills landed, and any violation.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.fakes.mastodon import FakeMastodon  # noqa: E402

TOKEN = "soak-token-123456"
EXPECTED = Counter(["Hello from a", "Hello from t", "part two", "part three", "Hello from b"])


def calendar(root: Path, server: str) -> None:
    (root / "calendar/posts").mkdir(parents=True)
    (root / "calendar/channels.yaml").write_text(
        "timezone: UTC\nchannels:\n  news:\n    network: outbox\n"
        f"  masto:\n    network: mastodon\n    server: {server}\n"
        "    secrets:\n      token: MASTO_TOKEN\n", "utf-8")
    for pid, extra in (("a", ""), ("t", "thread:\n  - text: part two\n  - text: part three\n"),
                       ("b", "")):
        (root / f"calendar/posts/{pid}.yaml").write_text(
            f"id: {pid}\nstatus: ready\nchannels: [masto, news]\n"
            f"publish_at: 2026-11-24T08:00Z\ntext: Hello from {pid}\n{extra}", "utf-8")


def run(root: Path, at: str, kill_after: float | None = None) -> int:
    env = dict(os.environ, MASTO_TOKEN=TOKEN)
    proc = subprocess.Popen([sys.executable, "-m", "cmops", "--root", str(root), "publish",
                             "--at", at, "--format", "json"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if kill_after is not None:
        time.sleep(kill_after)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
    return proc.wait()


def check(root: Path, fake: FakeMastodon) -> list[str]:
    problems = []
    counts = Counter(fake.texts())
    if counts != EXPECTED:
        problems.append(f"network holds {dict(counts)}")
    by_text = {s["content"]: s for s in fake.statuses}
    if "part three" in by_text and by_text["part three"]["in_reply_to_id"] != \
            by_text.get("part two", {}).get("id"):
        problems.append("thread broken")
    for path in (root / ".cmops/state/records").glob("*/*.json"):
        if json.loads(path.read_text())["state"] != "published":
            problems.append(f"{path.name} not published")
    if len(list((root / ".cmops/outbox/news").glob("*.json"))) != 5:
        problems.append("outbox does not hold exactly 5 messages")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    killed = completed = 0
    violations: list[str] = []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cmops-soak-") as tmp:
        for trial in range(args.trials):
            with FakeMastodon(TOKEN).running() as fake:
                fake.latency = 0.01
                root = Path(tmp) / f"t{trial}"
                calendar(root, fake.url)
                # a run takes ~0.4-0.6 s here, most of it start-up: spread kills across it
                code = run(root, "2026-11-24T08:05Z", kill_after=rng.uniform(0.15, 0.6))
                killed += code == -signal.SIGKILL
                completed += code != -signal.SIGKILL
                run(root, "2026-11-24T08:06Z")
                run(root, "2026-11-24T08:07Z")
                for problem in check(root, fake):
                    violations.append(f"trial {trial}: {problem}")
                texts = len(fake.statuses)
            print(f"\rtrial {trial + 1}/{args.trials}: {killed} killed mid-run, "
                  f"{completed} finished before the kill, {len(violations)} violations "
                  f"(last: {texts} statuses)", end="", flush=True)
    print(f"\n{args.trials} trials in {time.perf_counter() - start:.0f} s; "
          f"exactly-once violations: {len(violations)}")
    for v in violations[:20]:
        print("  " + v)
    sys.exit(1 if violations else 0)


if __name__ == "__main__":
    main()
