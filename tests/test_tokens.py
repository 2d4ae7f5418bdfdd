"""Rotated refresh tokens kept between runs (cmops.tokens): two publish runs against the TikTok
fake, which retires each refresh token as it issues the next, the second run working with the
token the first kept; the store (a local directory, a real git state branch) never holding a
token in the clear; a missing, malformed or changed key; a re-authorized secret; and a run
killed (SIGKILL, a real process) right after the refresh losing nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from cryptography.fernet import Fernet
from tests.fakes.tiktok import FakeTikTok
from tests.helpers import git

from cmops.adapters import NotConfigured
from cmops.publish import Options, Publisher, Report, adapter_factory
from cmops.secrets import Redactor
from cmops.stores.git import GitStore
from cmops.stores.local import LocalStore
from cmops.tokens import PREFIX, TokenKeeper, digest
from cmops.validate import load_calendar

MEDIA = Path(__file__).parent / "media"
ROOT = Path(__file__).resolve().parent.parent
FIRST = datetime(2026, 11, 24, 8, 31, tzinfo=UTC)
SECOND = datetime(2026, 11, 24, 10, 31, tzinfo=UTC)
KEY = Fernet.generate_key().decode()
SECRET = "rft.tiktok-refresh-canary-9876"
"""The fake's first refresh token: what the user put in the repository secret."""


@pytest.fixture
def fake() -> Iterator[FakeTikTok]:
    with FakeTikTok().running() as server:
        assert server.refresh_token == SECRET
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


def env(fake: FakeTikTok, key: str | None = KEY, secret: str = SECRET) -> dict[str, str]:
    found = {"TT_KEY": fake.client_key, "TT_SECRET": fake.client_secret, "TT_REFRESH": secret}
    if key is not None:
        found["CMOPS_TOKEN_KEY"] = key
    return found


def run(root: Path, now: datetime, environ: dict[str, str], store: LocalStore | GitStore,
        *, dry_run: bool = False) -> Report:
    calendar, report = load_calendar(root, use_cache=False)
    assert report.ok, [p.message for p in report.problems]
    with store, adapter_factory(root, calendar, Redactor(), environ, store=store) as made:
        return Publisher(root, calendar, store, made, Options(now, dry_run=dry_run),
                         sleep=lambda s: None).run()


def states(report: Report) -> dict[str, str]:
    return {o.key: o.state for o in report.outcomes}


def all_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def sent(fake: FakeTikTok) -> list[str]:
    """The refresh token of each refresh the fake received, in order."""
    return [parse_qs(r["body"].decode())["refresh_token"][0] for r in fake.requests
            if r["path"] == "/v2/oauth/token/"]


def leaked(data: bytes, fake: FakeTikTok) -> list[str]:
    """Which tokens the fake ever issued (the secret's included) appear in ``data``."""
    issued = [SECRET, fake.token, fake.refresh_token] + [
        f"rft.rotated-{n}-canary" for n in range(1, fake.refreshes + 1)] + [
        f"act.refreshed-{n}-canary" for n in range(1, fake.refreshes + 1)]
    return [t for t in issued if t.encode() in data]


# -- two runs -------------------------------------------------------------------------------------

def test_the_second_run_refreshes_with_the_token_the_first_kept(tmp_path: Path,
                                                               fake: FakeTikTok) -> None:
    root = repo(tmp_path, fake)
    state = root / ".cmops/state"
    first = run(root, FIRST, env(fake), LocalStore(state))
    assert states(first) == {"early/tt": "published"}
    assert fake.refreshes == 1  # SECRET is retired now: only rft.rotated-1 works
    kept = json.loads((state / "tokens/tt.fernet").read_bytes())
    assert kept["from"] == digest(SECRET)
    assert Fernet(KEY.encode()).decrypt(kept["token"].encode()) == b"rft.rotated-1-canary"

    second = run(root, SECOND, env(fake), LocalStore(state))
    assert states(second) == {"late/tt": "published"}, second.outcomes
    assert sent(fake) == [SECRET, "rft.rotated-1-canary"]
    assert leaked(all_bytes(state), fake) == []
    # Without what the first run kept, the secret's token is retired: TikTok refuses it.
    elsewhere = run(root, SECOND, env(fake), LocalStore(tmp_path / "elsewhere"))
    assert {o.error for o in elsewhere.outcomes if o.error} == {
        "TikTok refused the refresh token (HTTP 400: Refresh token is invalid or expired.): "
        "authorize the app again and update the secret"}


def test_the_git_state_branch_holds_only_the_encrypted_token(tmp_path: Path,
                                                             fake: FakeTikTok) -> None:
    root = repo(tmp_path / "work", fake)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "calendar")
    remote = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(root), str(remote))
    git(root, "remote", "add", "origin", f"file://{remote}")
    first = run(root, FIRST, env(fake), GitStore(root))
    assert states(first) == {"early/tt": "published"}, first.outcomes
    # A fresh clone, as the next scheduled runner: the token comes from the branch.
    again = tmp_path / "again"
    git(tmp_path, "clone", "-q", f"file://{remote}", str(again))
    shutil.copy(MEDIA / "vertical-3s.mp4", again / "calendar/media/clip.mp4")
    assert states(run(again, SECOND, env(fake), GitStore(again))) == {"late/tt": "published"}
    assert fake.refreshes == 2
    listing = git(remote, "ls-tree", "-r", "--name-only", "cmops-state")
    assert "tokens/tt.fernet" in listing.split()
    history = subprocess.run(["git", "-C", str(remote), "log", "-p", "--all", "--binary"],
                             capture_output=True, check=True).stdout
    assert b"tokens/tt.fernet" in history
    assert leaked(history, fake) == []


# -- keys -----------------------------------------------------------------------------------------

def test_no_key_refuses_the_channel_before_anything_is_sent(tmp_path: Path,
                                                            fake: FakeTikTok) -> None:
    root = repo(tmp_path, fake)
    for dry_run in (True, False):
        report = run(root, FIRST, env(fake, key=None), LocalStore(root / ".cmops/state"),
                     dry_run=dry_run)
        [outcome] = report.outcomes
        assert outcome.state == "not_configured"
        assert outcome.error is not None
        assert "set CMOPS_TOKEN_KEY to a Fernet key" in outcome.error
        assert "stops working after the first run" in outcome.error
    assert fake.requests == []


def test_a_key_that_is_not_a_fernet_key_is_said_without_showing_it(tmp_path: Path,
                                                                   fake: FakeTikTok) -> None:
    root = repo(tmp_path, fake)
    report = run(root, FIRST, env(fake, key="not-a-fernet-key-4821"),
                 LocalStore(root / ".cmops/state"))
    [outcome] = report.outcomes
    assert outcome.state == "not_configured"
    assert outcome.error is not None and "CMOPS_TOKEN_KEY is not a Fernet key" in outcome.error
    assert "not-a-fernet-key-4821" not in outcome.error
    assert fake.requests == []


def test_a_changed_key_is_a_clear_error_and_the_old_key_beside_it_opens_it(
        tmp_path: Path, fake: FakeTikTok) -> None:
    root = repo(tmp_path, fake)
    state = root / ".cmops/state"
    run(root, FIRST, env(fake), LocalStore(state))
    other = Fernet.generate_key().decode()
    report = run(root, SECOND, env(fake, key=other), LocalStore(state))
    [outcome] = report.outcomes
    assert outcome.state == "not_configured", outcome
    assert outcome.error is not None
    assert "does not decrypt with CMOPS_TOKEN_KEY" in outcome.error
    assert "restore the key" in outcome.error and "authorize the app again" in outcome.error
    assert fake.refreshes == 1  # nothing sent with a token cmops could not read
    # A new key first, the old one after it: the kept token opens, and is kept again under
    # the new key alone.
    report = run(root, SECOND, env(fake, key=f"{other},{KEY}"), LocalStore(state))
    assert states(report) == {"late/tt": "published"}
    sealed = json.loads((state / "tokens/tt.fernet").read_bytes())["token"]
    assert Fernet(other.encode()).decrypt(sealed.encode()) == b"rft.rotated-2-canary"


def test_a_new_secret_after_authorizing_again_wins_over_the_kept_token(
        tmp_path: Path, fake: FakeTikTok) -> None:
    root = repo(tmp_path, fake)
    state = root / ".cmops/state"
    run(root, FIRST, env(fake), LocalStore(state))
    fake.refresh_token = "rft.authorized-again-canary"  # the user authorized the app again
    # and even changed the key: the kept token (from the old secret) is simply left behind
    report = run(root, SECOND, env(fake, key=Fernet.generate_key().decode(),
                                   secret="rft.authorized-again-canary"), LocalStore(state))
    assert states(report) == {"late/tt": "published"}
    assert sent(fake)[-1] == "rft.authorized-again-canary"


def test_a_refused_kept_token_says_so(tmp_path: Path, fake: FakeTikTok) -> None:
    root = repo(tmp_path, fake)
    state = root / ".cmops/state"
    run(root, FIRST, env(fake), LocalStore(state))
    fake.refresh_token = "rft.revoked-by-the-user"
    [outcome] = run(root, SECOND, env(fake), LocalStore(state)).outcomes
    assert outcome.error is not None
    assert "TikTok refused the refresh token kept by an earlier run" in outcome.error
    assert "rft." not in outcome.error


# -- the keeper on its own ------------------------------------------------------------------------

def test_the_keeper_round_trip_and_what_it_refuses(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    keeper = TokenKeeper(store, "tt", KEY, Redactor())
    assert keeper.current("rft.secret-0001") == "rft.secret-0001"  # nothing kept yet
    keeper.save("rft.newest-0002", "rft.secret-0001")
    assert keeper.current("rft.secret-0001") == "rft.newest-0002"
    assert keeper.current("rft.other-secret") == "rft.other-secret"
    assert b"rft.newest-0002" not in all_bytes(tmp_path)
    assert keeper.redact("rft.newest-0002") == "[REDACTED]"
    assert keeper.redact(KEY) == "[REDACTED]"
    (tmp_path / PREFIX / "tt.fernet").write_bytes(b"plain text someone wrote\n")
    with pytest.raises(NotConfigured, match=r"tokens/tt.fernet .* is not a token cmops kept"):
        keeper.current("rft.secret-0001")
    with pytest.raises(NotConfigured, match="set CMOPS_TOKEN_KEY"):
        TokenKeeper(store, "tt", "", Redactor()).require("tiktok")


class KilledStore(LocalStore):
    """Writes, then dies (as SIGKILL would, nothing after the write runs) and records what
    the network had been asked by then."""

    def __init__(self, path: Path, fake: FakeTikTok) -> None:
        super().__init__(path)
        self.fake = fake
        self.seen: list[str] = []

    def write_files(self, files: dict[str, bytes], message: str | None = None) -> None:
        super().write_files(files, message)
        if any(rel.startswith(PREFIX) for rel in files):
            self.seen = [r["path"] for r in self.fake.requests]
            raise KeyboardInterrupt


def test_the_new_token_is_kept_before_the_new_access_token_is_used(
        tmp_path: Path, fake: FakeTikTok) -> None:
    root = repo(tmp_path, fake)
    killed = KilledStore(root / ".cmops/state", fake)
    with pytest.raises(KeyboardInterrupt):
        run(root, FIRST, env(fake), killed)
    assert killed.seen == ["/v2/oauth/token/"]  # kept, and nothing sent with its token yet
    assert states(run(root, FIRST, env(fake), LocalStore(root / ".cmops/state"))) == {
        "early/tt": "published"}
    assert sent(fake) == [SECRET, "rft.rotated-1-canary"]


SCRIPT = """
import sys
from datetime import datetime
from pathlib import Path
from cmops.publish import Options, Publisher, adapter_factory
from cmops.secrets import Redactor
from cmops.stores.local import LocalStore
from cmops.validate import load_calendar
root = Path(sys.argv[1])
calendar, _ = load_calendar(root, use_cache=False)
store = LocalStore(root / ".cmops/state")
with store, adapter_factory(root, calendar, Redactor(), store=store) as made:
    done = Publisher(root, calendar, store, made,
                     Options(datetime.fromisoformat(sys.argv[2]))).run()
print({o.key: str(getattr(o.state, "value", o.state)) for o in done.outcomes})
"""


def test_a_run_killed_right_after_the_refresh_loses_no_token(tmp_path: Path,
                                                             fake: FakeTikTok) -> None:
    root = repo(tmp_path, fake)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CMOPS_")}
    environ |= {**env(fake), "PYTHONPATH": str(ROOT / "src"),
                "CMOPS_CRASH_AT": "after-token-kept:1"}
    killed = subprocess.run([sys.executable, "-c", SCRIPT, str(root), FIRST.isoformat()],
                            env=environ, capture_output=True, text=True, timeout=120)
    assert killed.returncode == -9, killed.stderr
    assert fake.refreshes == 1
    assert [r["path"] for r in fake.requests] == ["/v2/oauth/token/"]
    del environ["CMOPS_CRASH_AT"]
    again = subprocess.run([sys.executable, "-c", SCRIPT, str(root), FIRST.isoformat()],
                           env=environ, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "{'early/tt': 'published'}"
    # the second run refreshed with the kept token: the secret's was retired
    assert sent(fake) == [SECRET, "rft.rotated-1-canary"]
    assert leaked((again.stdout + again.stderr).encode(), fake) == []
