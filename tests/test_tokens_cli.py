"""`cmops publish` twice, as two real processes, against the TikTok fake that retires each
refresh token as it issues the next: the command hands its state store to the adapters, so
the second run refreshes with the token the first one kept (cmops.tokens); without
CMOPS_TOKEN_KEY the channel is refused before anything is sent, in a dry run too."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from cryptography.fernet import Fernet
from tests.fakes.tiktok import FakeTikTok

MEDIA = Path(__file__).parent / "media"
KEY = Fernet.generate_key().decode()


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
        "    secrets:\n      client_key: TT_KEY\n      client_secret: TT_SECRET\n"
        "      refresh_token: TT_REFRESH\n", "utf-8")
    for pid, at in (("early", "2026-11-24T09:30"), ("late", "2026-11-24T11:30")):
        (root / f"calendar/posts/{pid}.yaml").write_text(
            f"id: {pid}\nstatus: ready\nchannels: [tt]\npublish_at: {at}\n"
            f"text: Our rear light at night ({pid}) #bike\n"
            "media:\n  - path: calendar/media/clip.mp4\n    alt: A rear light blinking\n",
            "utf-8")
    return root


def publish(root: Path, fake: FakeTikTok, at: str, *args: str, key: str | None = KEY,
            secret: str = "rft.tiktok-refresh-canary-9876"
            ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CMOPS_")}
    env |= {"TT_KEY": fake.client_key, "TT_SECRET": fake.client_secret, "TT_REFRESH": secret}
    if key is not None:
        env["CMOPS_TOKEN_KEY"] = key
    return subprocess.run([sys.executable, "-m", "cmops", "--root", str(root), "publish",
                           "--at", at, "--format", "json", *args],
                          env=env, capture_output=True, text=True, timeout=120)


def test_two_publish_runs_the_second_with_the_kept_token(tmp_path: Path,
                                                         fake: FakeTikTok) -> None:
    root = repo(tmp_path, fake)
    secret = fake.refresh_token
    first = publish(root, fake, "2026-11-24T08:31Z")
    assert first.returncode == 0, first.stdout + first.stderr
    second = publish(root, fake, "2026-11-24T10:31Z")
    assert second.returncode == 0, second.stdout + second.stderr
    assert {o["key"]: o["state"] for o in json.loads(second.stdout)["outcomes"]} == {
        "late/tt": "published"}
    sent = [parse_qs(r["body"].decode())["refresh_token"][0] for r in fake.requests
            if r["path"] == "/v2/oauth/token/"]
    assert sent == [secret, "rft.rotated-1-canary"]
    stored = b"".join(p.read_bytes() for p in (root / ".cmops/state").rglob("*") if p.is_file())
    for token in (secret, "rft.rotated-1-canary", "rft.rotated-2-canary", fake.token):
        assert token.encode() not in stored
        assert token not in first.stdout + first.stderr + second.stdout + second.stderr


def test_without_the_key_the_channel_is_refused_up_front(tmp_path: Path,
                                                         fake: FakeTikTok) -> None:
    root = repo(tmp_path, fake)
    for args in (("--dry-run",), ()):
        done = publish(root, fake, "2026-11-24T08:31Z", *args, key=None)
        assert done.returncode == 1, done.stdout + done.stderr
        [outcome] = json.loads(done.stdout)["outcomes"]
        assert outcome["state"] == "not_configured"
        assert "set CMOPS_TOKEN_KEY to a Fernet key" in outcome["error"]
    assert fake.requests == []
