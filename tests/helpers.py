"""Helpers that several test modules share (test modules import from here, never from each
other): a calendar on disk for the publisher, the plan's in-memory calendars, posts written
for the CLI, a git repository, and the reading (collect) setup."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.conftest import Runner

from cmops.ledger import PartRecord, PartState, Record, RecordState
from cmops.model import Calendar, Channel, Pause, Post
from cmops.publish import Report
from cmops.stores.local import LocalStore

# -- the publisher on a calendar on disk (one Mastodon and one outbox channel) ---------------

TOKEN = "canary-9f8e7d6c5b4a"
"""The Mastodon token of ``setup_repo``'s channel (MASTO_TOKEN), also a leak canary."""


def setup_repo(root: Path, server: str) -> None:
    (root / "calendar/channels.yaml").write_text(
        "timezone: Europe/Paris\nchannels:\n  news:\n    network: outbox\n"
        f"  masto:\n    network: mastodon\n    server: {server}\n"
        "    secrets:\n      token: MASTO_TOKEN\n", "utf-8")


def post(root: Path, pid: str, when: str = "2026-11-24T09:30", channels: str = "[masto]",
         extra: str = "") -> None:
    (root / f"calendar/posts/{pid}.yaml").write_text(
        f"id: {pid}\nstatus: ready\nchannels: {channels}\npublish_at: {when}\n"
        f"text: Hello from {pid}\n{extra}", "utf-8")


class Clock:
    """A fake monotonic clock that sleeping advances: retries take no real time."""

    def __init__(self) -> None:
        self.t = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds


def states(report: Report) -> dict[str, str]:
    return {o.key: o.state for o in report.outcomes}


def record(root: Path, key: str) -> dict[str, Any]:
    post_id, channel = key.split("/")
    data: dict[str, Any] = json.loads(
        (root / f".cmops/state/records/{post_id}/{channel}.json").read_text())
    return data


# -- the plan on in-memory calendars ----------------------------------------------------------

PARIS = "Europe/Paris"


def cal(*posts: Post, channels: dict[str, dict[str, Any]] | None = None,
        max_delay: str | None = "6h", pause: Pause | None = None) -> Calendar:
    c = Calendar(timezone=PARIS, max_delay=max_delay, pause=pause)
    for name, raw in (channels or {"news": {"network": "outbox"},
                                   "bsky": {"network": "bluesky"}}).items():
        c.channels[name] = Channel.from_raw(name, raw)
    c.posts.extend(posts)
    return c


def plan_post(pid: str, at: str | None, channels: tuple[str, ...] = ("news",),
              **raw: Any) -> Post:
    data = {"id": pid, "publish_at": at, "channels": list(channels), "status": "ready",
            "text": f"text of {pid}", **raw}
    if at is None:
        del data["publish_at"]
    result = Post.from_raw(data, f"calendar/posts/{pid}.yaml")
    assert result is not None
    return result


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# -- posts for the CLI, and a real git repository -----------------------------------------------

def write_post(root: Path, name: str, body: str) -> None:
    path = root / "calendar" / "posts" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    if "\nstatus:" not in body:
        body = body.replace("\n", "\nstatus: ready\n", 1)
    path.write_text(body, encoding="utf-8")


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                          text=True, env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x",
                                          "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@x",
                                          "HOME": str(root), "PATH": "/usr/bin:/bin"}).stdout


# -- cmops collect against the reading Mastodon fake ---------------------------------------------

READ_TOKEN = "read-token-5a4b"
READ_AT = "2026-11-27T09:00:00+00:00"


def setup_reading(root: Path, server: str) -> LocalStore:
    (root / "calendar/channels.yaml").write_text(
        "timezone: Europe/Paris\nchannels:\n  news:\n    network: outbox\n"
        f"  masto:\n    network: mastodon\n    server: {server}\n"
        "    secrets:\n      token: MASTO_TOKEN\n"
        "  sky:\n    network: bluesky\n    secrets:\n      identifier: SKY_ID\n"
        "      password: SKY_PASSWORD\n", "utf-8")
    (root / "calendar/listening.yaml").write_text(
        "crisis_keywords: [rappel, recall]\nthresholds:\n"
        "  - {name: negative-burst, type: burst, count: 3, within: 60m}\n", "utf-8")
    store = LocalStore(root / ".cmops/state")
    for key, channel, network, remote in (("teaser/masto", "masto", "mastodon", "100"),
                                          ("teaser/news", "news", "outbox", "teaser-p1-x"),
                                          ("old/masto", "masto", "mastodon", "90")):
        when = "2026-11-26T16:00:00Z" if key != "old/masto" else "2026-09-01T16:00:00Z"
        store.save(Record(key, key.split("/")[0], channel, network, state=RecordState.PUBLISHED,
                          publish_at=when, parts=[PartRecord(PartState.PUBLISHED, "d", at=when,
                                                             remote_id=remote,
                                                             url=f"u/{remote}")]))
    return store


def collect(run: Runner, root: Path, at: str = READ_AT) -> tuple[int, dict[str, Any]]:
    result = run("collect", "--at", at, "--format", "json", root=root,
                 env={"MASTO_TOKEN": READ_TOKEN})
    return result.exit_code, json.loads(result.stdout)


def read_state(root: Path, rel: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((root / ".cmops/state" / rel).read_text("utf-8"))
    return data


EXTRA_CHANNELS = """\
  th:
    network: threads
    account: "12345678901234567"
    media_base_url: https://media.example.org/
    secrets:
      token: TH_TOKEN
  fb:
    network: facebook
    account: "1234"
    secrets:
      page_token: FB_TOKEN
  tg:
    network: telegram
    chat_id: "@news"
    secrets:
      token: TG_TOKEN
  hook:
    network: discord
    secrets:
      webhook_url: DISCORD_WEBHOOK_URL
"""
"""channels.yaml entries for the networks the base example repository lacks (Threads,
Facebook, Telegram, Discord), appended by tests that want one channel per network."""
