"""The gate (issue 14): nothing invalid, unsafe or paused ever goes out, whoever merged it.

Each test is one observation from the issue, reproduced against `cmops publish` on real files:
content that `cmops validate` rejects is held back as ``invalid`` with its first error, the
other posts still go out and the run exits 1; a pause file that cannot be trusted pauses
everything; ids never become paths outside the state directory; one network's odd answer is
that item's problem.
"""

from __future__ import annotations

import json
import os
import stat
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import Runner, json_out
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import TOKEN, Clock, setup_repo

from cmops.adapters import ChannelContext, Outgoing
from cmops.adapters.outbox import OutboxAdapter
from cmops.ids import UnsafeName, record_parts, store_path
from cmops.publish import Options, Publisher, Report, adapter_factory
from cmops.retry import Backoff
from cmops.secrets import Redactor
from cmops.stores import lock_path, record_path
from cmops.stores.local import LocalStore
from cmops.validate import load_calendar

AT = "2026-11-24T09:00Z"
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def write_post(root: Path, name: str, body: str) -> None:
    (root / "calendar/posts" / f"{name}.yaml").write_text(body, "utf-8")


def good(root: Path, pid: str = "good", channels: str = "[news]") -> None:
    write_post(root, pid, f"id: {pid}\nstatus: ready\nchannels: {channels}\n"
                          f"publish_at: 2026-11-24T09:50\ntext: Hello from {pid}\n")


def outcomes(result: Any) -> dict[str, tuple[str, str | None]]:
    return {o["key"]: (o["state"], o["error"]) for o in json_out(result)["outcomes"]}


def outbox_texts(root: Path, channel: str = "news") -> list[str]:
    return sorted(json.loads(p.read_text())["text"]
                  for p in (root / f".cmops/outbox/{channel}").glob("*.json"))


# -- 1. validation is enforced at publish time ---------------------------------------------

@pytest.mark.parametrize(("name", "body", "setup", "rule"), [
    ("banned", "text: This is the best ever lamp\n",
     "banned_words: [best ever]\n", "governance.banned-word"),
    ("quiet", "text: Late at night\n",
     'quiet_hours:\n  - from: "09:15"\n    to: "09:45"\n', "governance.quiet-hours"),
    ("campaign", "text: Hello\ncampaign: no-such-campaign\n", "", "post.unknown-campaign"),
    ("bell", 'text: "Ring \\a the bell"\n', "", "text.control-char"),
])
def test_posts_that_fail_validation_are_held_and_the_others_go_out(
        run: Runner, repo: Path, name: str, body: str, setup: str, rule: str) -> None:
    if setup:
        (repo / "calendar/rules.yaml").write_text(setup, "utf-8")
    good(repo)
    write_post(repo, name, f"id: {name}\nstatus: ready\nchannels: [news]\n"
                           f"publish_at: 2026-11-24T09:30\n{body}")
    result = run("publish", "--at", AT, "--format", "json", root=repo)
    assert result.exit_code == 1
    got = outcomes(result)
    assert got["good/news"] == ("published", None)
    state, error = got[f"{name}/news"]
    assert state == "invalid"
    assert error is not None and f"calendar/posts/{name}.yaml:" in error and f"[{rule}]" in error
    assert outbox_texts(repo) == ["Hello from good"]
    assert not (repo / f".cmops/state/records/{name}").exists()
    # the feed stays well-formed XML
    ET.parse(repo / ".cmops/outbox/news/feed.xml")
    text = run("publish", "--at", AT, root=repo)
    assert "invalid" in text.stdout and f"{name}/news" in text.stdout


def test_post_option_refuses_an_invalid_post(run: Runner, repo: Path) -> None:
    write_post(repo, "hold", "id: hold\nstatus: standby\nchannels: [news]\n"
                             "text: We are aware\ncampaign: nope\n")
    result = run("publish", "--at", AT, "--post", "hold", root=repo)
    assert result.exit_code == 1
    assert "refusing to publish hold" in result.stderr
    assert "post.unknown-campaign" in result.stderr
    assert not (repo / ".cmops/outbox").exists()


@pytest.fixture
def masto(repo: Path) -> Iterator[FakeMastodon]:
    with FakeMastodon(TOKEN).running() as server:
        setup_repo(repo, server.url)
        yield server


def publish_with(root: Path, env: dict[str, str] | None = None) -> Report:
    calendar, _ = load_calendar(root, use_cache=False)
    store = LocalStore(root / ".cmops/state")
    clock = Clock()
    try:
        return Publisher(root, calendar, store,
                         adapter_factory(root, calendar, Redactor(),
                                         env or {"MASTO_TOKEN": TOKEN}),
                         Options(NOW, backoff=Backoff(base=1, cap=2, attempts=3)),
                         clock=clock, sleep=clock.sleep).run()
    finally:
        store.close()


@pytest.mark.parametrize("path", ["/proc/self/environ", "../../../../etc/passwd",
                                  "calendar/../../outside.png"])
def test_media_outside_the_repository_is_never_uploaded(repo: Path, masto: FakeMastodon,
                                                        path: str) -> None:
    (repo.parent / "outside.png").write_bytes(b"\x89PNG\r\n\x1a\nSECRET-OUTSIDE")
    good(repo, "fine", "[masto]")
    write_post(repo, "leak", "id: leak\nstatus: ready\nchannels: [masto]\n"
                             "publish_at: 2026-11-24T09:30\ntext: look\n"
                             f"media:\n  - path: {path}\n    alt: x\n")
    report = publish_with(repo)
    states = {o.key: (o.state, o.error) for o in report.outcomes}
    assert states["fine/masto"][0] == "published"
    assert states["leak/masto"][0] == "invalid"
    assert "media" in (states["leak/masto"][1] or "")
    assert not report.ok
    assert [r["path"] for r in masto.requests if r["path"] != "/api/v2/instance"] == \
        ["/api/v1/statuses"]
    assert all(b"SECRET-OUTSIDE" not in r["body"] and b"PATH=" not in r["body"]
               for r in masto.requests)


def test_the_publisher_rechecks_media_even_if_the_gate_was_open(repo: Path,
                                                               masto: FakeMastodon) -> None:
    """Defence in depth: a calendar whose gate was (wrongly) open still never reads a file
    outside the repository."""
    from cmops.gate import Gate

    write_post(repo, "leak", "id: leak\nstatus: ready\nchannels: [masto]\n"
                             "publish_at: 2026-11-24T09:30\ntext: look\n"
                             "media:\n  - path: /proc/self/environ\n    alt: x\n")
    calendar, report = load_calendar(repo, use_cache=False)
    assert not report.ok
    calendar.gate = Gate()
    store = LocalStore(repo / ".cmops/state")
    try:
        result = Publisher(repo, calendar, store,
                           adapter_factory(repo, calendar, Redactor(), {"MASTO_TOKEN": TOKEN}),
                           Options(NOW)).run()
    finally:
        store.close()
    assert [(o.state, "outside" in (o.error or "") or "not a path" in (o.error or ""))
            for o in result.outcomes] == [("invalid", True)]
    assert not any(r["path"] == "/api/v2/media" for r in masto.requests)


def test_an_unvalidated_or_cached_calendar_is_refused(repo: Path) -> None:
    from cmops.validate import build_calendar, load_files

    results, _ = load_files(repo, None)
    for calendar in (build_calendar(results), load_calendar(repo, use_cache=True)[0]):
        with pytest.raises(ValueError, match="without the cache"):
            Publisher(repo, calendar, LocalStore(repo / ".cmops/state"),
                      lambda c: None,  # type: ignore[arg-type, return-value]
                      Options(NOW)).run()


# -- 2. ids never reach the file system or git unfiltered ----------------------------------

@pytest.mark.parametrize("bad_id", [
    "../../../../../../tmp/x/pwned", "/abs/olute", "a\n100644 blob 0 records/good/news.json",
    "nul\0byte", "x" * 300, "trailing-newline\n", "..", ".hidden",
])
def test_hostile_ids_are_refused_and_the_others_publish(run: Runner, repo: Path,
                                                        bad_id: str) -> None:
    good(repo)
    write_post(repo, "evil", f"id: {json.dumps(bad_id)}\nstatus: ready\nchannels: [news]\n"
                             "publish_at: 2026-11-24T09:30\ntext: Hello from evil\n")
    before = set(Path("/tmp").glob("x*"))
    result = run("publish", "--at", AT, "--format", "json", root=repo)
    assert result.exit_code == 1, result.output
    got = outcomes(result)
    assert got["good/news"][0] == "published"
    assert [s for s, _ in got.values()].count("published") == 1
    assert outbox_texts(repo) == ["Hello from good"]
    files = {p.relative_to(repo / ".cmops/state").as_posix()
             for p in (repo / ".cmops/state").rglob("*") if p.is_file()}
    assert files == {"records/good/news.json", "locks/good/news.lock",
                     "runs/heartbeat.json"}
    assert set(Path("/tmp").glob("x*")) == before
    checked = json_out(run("validate", "--format", "json", root=repo))
    assert any(e["rule"] in ("id.unsafe", "schema.pattern", "schema.maxLength")
               for e in checked["errors"]), checked


def test_store_paths_go_through_one_checked_function() -> None:
    assert record_path("a/news") == "records/a/news.json"
    assert record_path("a#3/news") == "records/a#3/news.json"
    for key in ("../x/news", "a/../news", "a/b/c", "a\n/news", "a/news\n", "/a/news", "a",
                "a\0/news", "x" * 101 + "/news", ".a/news", "a#0/news", "a#x/news"):
        with pytest.raises(UnsafeName):
            record_parts(key)
    for rel in ("../x", "/etc/passwd", "a/\n100644 x", "a//b", "runs/.git/x", ""):
        with pytest.raises(UnsafeName):
            store_path(rel)
    assert store_path("snapshots/2026-11-24/x-main.json") == "snapshots/2026-11-24/x-main.json"


def test_lock_names_cannot_collide() -> None:
    assert lock_path("a/x__out1") != lock_path("a__x/out1")
    store_a = LocalStore
    del store_a


def test_two_keys_that_used_to_share_a_lock_are_both_claimed(tmp_path: Path) -> None:
    from cmops.ledger import Record

    store = LocalStore(tmp_path / "state")
    other = LocalStore(tmp_path / "state")
    try:
        owned = store.claim(["a/x__out1"], lambda k, r: Record(k, "a", "x__out1", "outbox"))
        theirs = other.claim(["a__x/out1"], lambda k, r: Record(k, "a__x", "out1", "outbox"))
        assert [r.key for r in owned] == ["a/x__out1"]
        assert [r.key for r in theirs] == ["a__x/out1"]
    finally:
        store.close()
        other.close()


def test_hostile_id_on_the_git_state_branch(run: Runner, repo: Path, tmp_path: Path) -> None:
    """The newline-and-fake-index-line id deleted another post's record on the state branch,
    and that post went out twice: now the id is held and every run is exactly once."""
    import subprocess

    def git(cwd: Path, *args: str) -> str:
        env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@x",
                   GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@x")
        return subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True,
                              text=True, env=env).stdout

    good(repo)
    write_post(repo, "evil", 'id: "x\\n100644 blob e69de29bb2d1d6434b8b29ae775ad8c2e48c5391'
                             '\\trecords/good/news.json"\nstatus: ready\nchannels: [news]\n'
                             "publish_at: 2026-11-24T09:30\ntext: evil\n")
    write_post(repo, "trav", 'id: "../../../../tmp/x/pwned"\nstatus: ready\nchannels: [news]\n'
                             "publish_at: 2026-11-24T09:30\ntext: trav\n")
    (repo / ".gitignore").write_text(".cmops/\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "content")
    remote = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    for minute in ("09:00", "09:20", "09:40"):
        result = run("publish", "--at", f"2026-11-24T{minute}Z", "--state-branch",
                     "cmops-state", "--format", "json", root=repo)
        assert result.exit_code == 1
        assert {k: s for k, (s, _) in outcomes(result).items() if s != "invalid"} == \
            ({"good/news": "published"} if minute == "09:00" else {})
    assert outbox_texts(repo) == ["Hello from good"]
    tree = git(remote, "ls-tree", "-r", "--name-only", "cmops-state").split()
    # The outbox channel's files ride the branch with their records (issue 21): the valid
    # post's message and the feed, nothing named after the hostile id.
    outbox = [f for f in tree if f.startswith("outbox/")]
    assert [f for f in tree if f not in outbox] == ["records/good/news.json",
                                                    "runs/heartbeat.json"]
    assert len(outbox) == 2 and outbox[0] == "outbox/news/feed.xml"
    assert outbox[1].startswith("outbox/news/good-news-p1-") and outbox[1].endswith(".json")


# -- 3. the crisis pause fails closed ------------------------------------------------------

@pytest.mark.parametrize("pause", [
    "paused: yes\n", 'paused: "true"\n', 'paused: true\nreason: "unclosed\n',
    "paused: false\npaused: false\n", "paused: true\nchannels: [no-such-channel]\n",
    "[1, 2]\n",
])
def test_a_pause_file_that_cannot_be_trusted_pauses_everything(run: Runner, repo: Path,
                                                               pause: str) -> None:
    good(repo)
    write_post(repo, "hold", "id: hold\nstatus: standby\nchannels: [news]\ntext: We know\n")
    (repo / "calendar/pause.yaml").write_text(pause, "utf-8")
    result = run("publish", "--at", AT, "--format", "json", root=repo)
    assert result.exit_code == 1
    data = json_out(result)
    assert data["ok"] is False and "calendar/pause.yaml" in data["held"]
    assert "fails closed" in data["held"] or "channels" in data["held"]
    assert all(o["state"] == "invalid" for o in data["outcomes"])
    assert "calendar/pause.yaml" in result.stderr
    standby = run("publish", "--at", AT, "--post", "hold", root=repo)
    assert standby.exit_code == 1
    assert not (repo / ".cmops/outbox").exists()
    plan = run("plan", "--at", AT, "--format", "json", root=repo)
    assert "paused" in plan.stdout


def test_pause_naming_an_unknown_channel_is_a_validation_error(run: Runner,
                                                              repo: Path) -> None:
    (repo / "calendar/pause.yaml").write_text("paused: true\nchannels: [news, nwes]\n")
    data = json_out(run("validate", "--format", "json", root=repo))
    [error] = [e for e in data["errors"] if e["rule"] == "pause.unknown-channel"]
    assert (error["file"], error["line"], error["path"]) == ("calendar/pause.yaml", 2,
                                                             "channels[1]")
    assert "did you mean 'news'" in error["message"]


def test_a_valid_pause_still_lets_holding_statements_out(run: Runner, repo: Path) -> None:
    write_post(repo, "hold", "id: hold\nstatus: standby\nchannels: [news]\ntext: We know\n")
    good(repo)
    assert run("pause", "--reason", "recall", root=repo).exit_code == 0
    result = run("publish", "--at", AT, "--post", "hold", "--format", "json", root=repo)
    assert result.exit_code == 0, result.output
    assert outcomes(result) == {"hold/news": ("published", None)}


# -- 4. one network's odd answer is that item's problem ------------------------------------

class OddMastodon(FakeMastodon):
    """Creates the status, then answers 200 with a body that is not a status."""

    def __init__(self, token: str, body: bytes) -> None:
        super().__init__(token)
        self.odd = body
        self.odd_left = 1

    def _reply(self, h: BaseHTTPRequestHandler, status: int, body: Any,
               headers: dict[str, str] | None = None) -> None:
        if status == 200 and h.path == "/api/v1/statuses" and self.odd_left:
            self.odd_left -= 1
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(self.odd)))
            h.end_headers()
            h.wfile.write(self.odd)
            return
        super()._reply(h, status, body, headers)


@pytest.mark.parametrize("body", [b'{"something":"else"}', b"not json", b"[]", b'{"id": null}'])
def test_a_malformed_success_answer_is_maybe_sent_and_the_run_goes_on(repo: Path,
                                                                      body: bytes) -> None:
    with OddMastodon(TOKEN, body).running() as fake:
        setup_repo(repo, fake.url)
        good(repo, "a", "[masto, news]")
        good(repo, "b", "[news]")
        report = publish_with(repo)
        states = {o.key: o.state for o in report.outcomes}
        assert states["a/news"] == states["b/news"] == "published"
        # replayed with the same Idempotency-Key: the server answers with the one status
        assert states["a/masto"] == "published"
        assert fake.texts() == ["Hello from a"]
        record = json.loads((repo / ".cmops/state/records/a/masto.json").read_text())
        assert [a["outcome"] for a in record["attempts"]] == ["maybe-sent", "published"]
        assert "unexpected answer from mastodon" in record["attempts"][0]["error"]


def test_a_malformed_answer_every_time_ends_pending_not_a_crash(repo: Path) -> None:
    with OddMastodon(TOKEN, b"not json").running() as fake:
        fake.odd_left = 99
        setup_repo(repo, fake.url)
        good(repo, "a", "[masto, news]")
        report = publish_with(repo)
        states = {o.key: o.state for o in report.outcomes}
        assert states["a/news"] == "published"
        assert states["a/masto"] == "pending"
        assert not report.ok
        assert fake.texts() == ["Hello from a"]  # one status, however often it was replayed


# -- 6. paths, symlinks, modes -------------------------------------------------------------

@pytest.mark.parametrize("path", ["../escape", "/tmp/cmops-outbox-escape", ".git/hooks",
                                  "calendar/x", "a/../../escape"])
def test_outbox_path_must_stay_inside_the_repository(run: Runner, repo: Path,
                                                     path: str) -> None:
    (repo / "calendar/channels.yaml").write_text(
        f"timezone: Europe/Paris\nchannels:\n  news:\n    network: outbox\n"
        f"    path: {json.dumps(path)}\n"
        "  other:\n    network: outbox\n")
    good(repo, "a", "[news, other]")
    data = json_out(run("validate", "--format", "json", root=repo))
    assert any(e["path"] == "channels.news.path" for e in data["errors"]), data
    result = run("publish", "--at", AT, "--format", "json", root=repo)
    assert result.exit_code == 1
    assert outcomes(result)["a/news"][0] == "invalid"
    assert outcomes(result)["a/other"][0] == "published"
    assert not (repo.parent / "escape").exists()
    assert not Path("/tmp/cmops-outbox-escape").exists()
    # and the adapter refuses it on its own
    from cmops.adapters.base import NotConfigured

    with pytest.raises(NotConfigured, match="inside the repository"):
        OutboxAdapter(ChannelContext("news", "outbox", {"path": path}, {}, repo, Redactor()))


def test_symlinks_out_of_the_repository_are_never_read(run: Runner, repo: Path,
                                                       tmp_path: Path) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text("id: leaked\nstatus: ready\nchannels: [news]\n"
                      "publish_at: 2026-11-24T09:30\ntext: TOP-SECRET-CONTENT\nbad: [\n")
    (repo / "calendar/posts/link.yaml").symlink_to(secret)
    inside = repo / "calendar/posts/alias.yaml"
    good(repo, "real")
    inside.symlink_to(repo / "calendar/posts/real.yaml")  # inside: read (a duplicate id)
    result = run("validate", "--format", "github", root=repo)
    assert "TOP-SECRET-CONTENT" not in result.output
    assert "calendar/posts/link.yaml" in result.output and "file.outside" in result.output
    published = run("publish", "--at", AT, "--format", "json", root=repo)
    assert "leaked/news" not in outcomes(published)
    assert "TOP-SECRET-CONTENT" not in published.output


def test_a_calendar_folder_linked_out_of_the_repository_is_refused(run: Runner,
                                                                    repo: Path,
                                                                    tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    (repo / "calendar").rename(elsewhere)
    (repo / "calendar").symlink_to(elsewhere)
    data = json_out(run("validate", "--format", "json", root=repo))
    assert [e["rule"] for e in data["errors"]][:1] == ["file.outside"]
    assert run("publish", "--at", AT, root=repo).exit_code == 1


@pytest.mark.parametrize("bad", ["../../escape", "/tmp/cmops-abs-escape", "a/b"])
def test_new_post_refuses_an_id_that_is_a_path(run: Runner, repo: Path, bad: str) -> None:
    result = run("new", "post", "--id", bad, "--text", "hi", "--channel", "news", root=repo)
    assert result.exit_code == 2
    assert "is not allowed" in result.output
    assert not (repo.parent / "escape.yaml").exists()
    assert not Path("/tmp/cmops-abs-escape.yaml").exists()


def test_import_csv_refuses_ids_and_dates_that_are_paths(run: Runner, repo: Path) -> None:
    csv = repo / "in.csv"
    csv.write_text("date,time,text,channels,id\n"
                   "2026-12-01,09:00,one,news,../../../escape\n"
                   "2026-12-01,09:00,two,news,/tmp/cmops-abs-escape\n"
                   "2026-12-01,09:00,three,news,fine-id\n", "utf-8")
    result = run("import", "csv", str(csv), root=repo)
    assert result.exit_code == 1
    assert "in.csv:2: skipped" in result.stderr and "in.csv:3: skipped" in result.stderr
    assert (repo / "calendar/posts/2026-12/fine-id.yaml").exists()
    assert not (repo.parent / "escape.yaml").exists()
    assert sorted(p.name for p in (repo / "calendar/posts").rglob("*.yaml")) == \
        ["fine-id.yaml", "minimal.yaml"]


def test_new_files_get_the_usual_umask_modes(run: Runner, repo: Path) -> None:
    old = os.umask(0o022)
    try:
        assert run("new", "post", "--id", "moded", "--text", "hi", "--channel", "news",
                   root=repo).exit_code == 0
        assert run("pause", "--reason", "x", root=repo).exit_code == 0
        run("publish", "--at", AT, root=repo)
    finally:
        os.umask(old)
    for path in (repo / "calendar/posts/unscheduled/moded.yaml", repo / "calendar/pause.yaml"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


def test_the_outbox_feed_stays_valid_xml_whatever_the_text(tmp_path: Path) -> None:
    adapter = OutboxAdapter(ChannelContext("news", "outbox", {}, {}, tmp_path, Redactor()))
    adapter.publish(Outgoing("a/news", "a", "news", 0, 1, "bell \a and \x1b[31m red",
                             "a-news-p1-x", link="https://x.test/?a=1&b=\x07"))
    root = ET.parse(tmp_path / ".cmops/outbox/news/feed.xml").getroot()
    ns = "{http://www.w3.org/2005/Atom}"
    assert root.findtext(f"{ns}entry/{ns}content") == "bell \ufffd and \ufffd[31m red"


def test_collect_skips_channels_whose_names_are_not_safe(run: Runner, repo: Path) -> None:
    (repo / "calendar/channels.yaml").write_text(
        'timezone: UTC\nchannels:\n  "a b":\n    network: outbox\n  "../up":\n'
        "    network: outbox\n  fine:\n    network: outbox\n")
    result = run("collect", "--at", AT, root=repo)
    assert result.exit_code in (0, 1), result.output
    assert "skipped: the channel name is not allowed" in result.output
    written = {p.name for p in (repo / ".cmops/state").rglob("*.json")}
    assert "fine.json" in written and "a b.json" not in written and "up.json" not in written
