"""Real processes: `cmops publish` to TikTok killed with SIGKILL right after TikTok gave its
publish id (and again right after the upload finished), then run again. The next run finds
the id the killed run saved in the ledger and settles the post with the status endpoint:
exactly one post on TikTok, recorded as published, never a human's problem."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.fakes.tiktok import FakeTikTok

MEDIA = Path(__file__).parent / "media"
AT = "2026-11-24T09:00Z"


@pytest.fixture
def fake() -> Iterator[FakeTikTok]:
    with FakeTikTok().running() as server:
        yield server


def repo(root: Path, fake: FakeTikTok) -> Path:
    (root / "calendar/posts").mkdir(parents=True)
    (root / "calendar/media").mkdir()
    shutil.copy(MEDIA / "vertical-3s.mp4", root / "calendar/media/clip.mp4")
    (root / "calendar/channels.yaml").write_text(
        "timezone: Europe/Paris\nchannels:\n  tt:\n    network: tiktok\n"
        f"    server: {fake.url}\n    audited: true\n"
        f"    media_base_url: {fake.public_base}\n"
        "    secrets:\n      token: TIKTOK_TOKEN\n", "utf-8")
    (root / "calendar/posts/clip.yaml").write_text(
        "id: clip\nstatus: ready\nchannels: [tt]\npublish_at: 2026-11-24T09:30\n"
        "text: Our rear light at night #bike\n"
        "media:\n  - path: calendar/media/clip.mp4\n    alt: A rear light blinking on a bike\n",
        "utf-8")
    return root


def publish(root: Path, fake: FakeTikTok, crash: str | None = None
            ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CMOPS_")}
    env["TIKTOK_TOKEN"] = fake.token
    if crash:
        env["CMOPS_CRASH_AT"] = crash
    return subprocess.run([sys.executable, "-m", "cmops", "--root", str(root), "publish",
                           "--at", "2026-11-24T08:31Z", "--format", "json"],
                          env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("crash", ["after-keep:1", "after-keep:2"])
def test_killed_after_the_publish_id_was_kept_then_rerun(tmp_path: Path, fake: FakeTikTok,
                                                          crash: str) -> None:
    root = repo(tmp_path, fake)
    killed = publish(root, fake, crash)
    assert killed.returncode == -9, killed.stderr
    again = publish(root, fake)
    assert again.returncode == 0, again.stdout + again.stderr
    outcomes = {o["key"]: o["state"] for o in json.loads(again.stdout)["outcomes"]}
    assert outcomes == {"clip/tt": "published"}
    # One upload reached TikTok in full (an upload cut short is never posted), and it was
    # not sent again: TikTok posts it once, whether or not it has finished processing.
    whole = [p for p in fake.publishes.values() if p["received"] == p["size"]]
    assert len(whole) == 1
    assert len(fake.posts) <= 1
    assert fake.token not in again.stdout + again.stderr
