"""One set of numbers (issue 21): the dashboard, a campaign's page, the published log and
``cmops kpi`` count published, failed and expired items with the same functions and agree,
expiries only the plan knows about included; periods are days of the calendar's zone;
"expected by now" is rounded like its target."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cmops.cli import cli
from cmops.ledger import Attempt, PartRecord, PartState, Record, RecordState, dumps
from cmops.stores import record_path

NOW = "2027-01-20T12:00:00Z"

CHANNELS = """timezone: Europe/Paris
lang: {lang}
max_delay: 6h
channels:
  newsroom:
    network: outbox
    label: Newsroom
  feed:
    network: outbox
    label: Feed
"""

POSTS = {  # id: (local time, channels)
    "pub-one": ("2027-01-12T10:00", "[newsroom]"),
    "pub-two": ("2027-01-13T10:00", "[newsroom, feed]"),
    "late-recorded": ("2027-01-14T10:00", "[newsroom]"),
    "never-sent-a": ("2027-01-15T10:00", "[newsroom, feed]"),
    "never-sent-b": ("2027-01-16T10:00", "[newsroom, feed]"),
    "in-flight": ("2027-01-17T10:00", "[newsroom]"),
    "next-month": ("2027-02-10T10:00", "[newsroom]"),
}


def _record(post: str, channel: str, state: RecordState, at: str) -> Record:
    parts = [PartRecord(PartState.PUBLISHED, "d0", sent_at=at, at=at,
                        url=f".cmops/outbox/{channel}/{post}.json")] \
        if state is RecordState.PUBLISHED else []
    return Record(f"{post}/{channel}", post, channel, "outbox", state=state, publish_at=at,
                  parts=parts, error="HTTP 500: down" if state is RecordState.FAILED else None,
                  attempts=[Attempt("run1", 0, at, str(state))])


def make_repo(root: Path, lang: str = "en", text: str = "Un texte de test.") -> Path:
    (root / "calendar/posts/2027-01").mkdir(parents=True)
    (root / "calendar/campaigns").mkdir(parents=True)
    (root / "calendar/channels.yaml").write_text(CHANNELS.format(lang=lang), "utf-8")
    (root / "calendar/campaigns/launch.yaml").write_text(
        "id: launch\nname: Lancement\nstart: 2027-01-11\nend: 2027-01-31\n"
        "channels: [newsroom, feed]\ngoals: {comments: 300, growth_rate: 2}\n", "utf-8")
    for post, (when, channels) in POSTS.items():
        (root / f"calendar/posts/2027-01/{post}.yaml").write_text(
            f"id: {post}\npublish_at: {when}\nchannels: {channels}\nstatus: ready\n"
            + ("campaign: launch\n" if when < "2027-02" else "")
            + f"text: {json.dumps(text)}\n", "utf-8")
    (root / "mkdocs.yml").write_text(
        f"site_name: Test\ndocs_dir: docs\ntheme:\n  name: material\n  language: {lang}\n",
        "utf-8")
    (root / "docs").mkdir()
    state = root / ".cmops/state"
    records = [
        _record("pub-one", "newsroom", RecordState.PUBLISHED, "2027-01-12T09:00:05Z"),
        _record("pub-two", "newsroom", RecordState.PUBLISHED, "2027-01-13T09:00:05Z"),
        _record("pub-two", "feed", RecordState.FAILED, "2027-01-13T09:00:00Z"),
        _record("late-recorded", "newsroom", RecordState.EXPIRED, "2027-01-14T09:00:00Z"),
        _record("in-flight", "newsroom", RecordState.PENDING, "2027-01-17T09:00:00Z"),
    ]
    for rec in records:
        path = state / record_path(rec.key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(dumps(rec))
    return root


def run(root: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--root", str(root), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def kpi(root: Path, *args: str, at: str = NOW) -> list[dict[str, Any]]:
    return json.loads(run(root, "kpi", "--format", "json", "--at", at, *args))["scopes"]


def counts(page: str, scope: str) -> dict[str, int]:
    """The figures of the page's counts line for ``scope`` (exactly one)."""
    found = re.findall(r'<p class="cm-counts" data-scope="' + re.escape(scope) + r'" '
                       r'data-published="(\d+)" data-failed="(\d+)" data-expired="(\d+)">',
                       page)
    assert len(found) == 1, (scope, re.findall(r'data-scope="[^"]*"', page))
    return dict(zip(("published", "failed", "expired"), map(int, found[0]), strict=True))


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = make_repo(tmp_path_factory.mktemp("story"))
    out = root / "docs/report"
    run(root, "report", "--no-build", "--at", NOW, "--out", str(out))
    return root, out


def test_all_four_views_agree_and_count_the_plans_expiries(story: tuple[Path, Path]) -> None:
    root, out = story
    expected = {"published": 2, "failed": 1, "expired": 5}  # 1 recorded + 4 only planned
    everything = next(s for s in kpi(root) if s["scope"] == "all")
    assert everything["posts"] == expected
    dashboard = (out / "index.md").read_text("utf-8")
    assert counts(dashboard, "all") == expected
    log = (out / "published/index.md").read_text("utf-8")
    assert counts(log, "all") == expected
    (since_first,) = [s for s in kpi(root, "--from", "2027-01-12", "--to", "2027-01-20")
                      if s["scope"] == "all"]
    assert counts(log, "all-time") == since_first["posts"] == expected
    rows = re.findall(r'<tr class="cm-row cm-r-([a-z_]+)">', log)
    assert {s: rows.count(s) for s in expected} == expected
    assert rows.count("pending") == 1
    campaign = (out / "campaigns/launch/index.md").read_text("utf-8")
    (launch,) = kpi(root, "--campaign", "launch")
    assert launch["posts"] == expected
    assert counts(campaign, "campaign:launch") == expected
    month = (out / "published/2027-01/index.md").read_text("utf-8")
    (january,) = [s for s in kpi(root, "--from", "2027-01-01", "--to", "2027-01-31")
                  if s["scope"] == "all"]
    assert counts(month, "month:2027-01") == january["posts"] == expected


def test_kpi_text_says_the_same_counts(story: tuple[Path, Path]) -> None:
    root, _ = story
    text = run(root, "kpi", "--campaign", "launch", "--at", NOW)
    assert "  posts             2 published, 1 failed, 5 expired" in text.splitlines()


def test_a_month_boundary_is_a_local_midnight(tmp_path: Path) -> None:
    """A post at 00:30 in Paris on 1 February is 23:30 UTC on 31 January: February's."""
    root = make_repo(tmp_path / "r")
    (root / "calendar/posts/2027-01/midnight.yaml").write_text(
        "id: midnight\npublish_at: 2027-02-01T00:30\nchannels: [feed]\nstatus: ready\n"
        "text: minuit\n", "utf-8")
    at = "2027-02-01T12:00:00Z"
    (january,) = [s for s in kpi(root, "--from", "2027-01-01", "--to", "2027-01-31", at=at)
                  if s["scope"] == "all"]
    (february,) = [s for s in kpi(root, "--from", "2027-02-01", "--to", "2027-02-01", at=at)
                   if s["scope"] == "all"]
    assert january["posts"] == {"published": 2, "failed": 1, "expired": 5}
    assert february["posts"] == {"published": 0, "failed": 0, "expired": 1}
    assert (january["first_day"], january["last_day"]) == ("2027-01-01", "2027-01-31")
    assert january["from"] == "2026-12-31T23:00:00Z"


def test_campaign_window_in_the_calendars_days(story: tuple[Path, Path]) -> None:
    root, _ = story
    after = "2027-02-05T08:00:00Z"
    (launch,) = kpi(root, "--campaign", "launch", at=after)
    assert (launch["first_day"], launch["last_day"], launch["timezone"]) == (
        "2027-01-11", "2027-01-31", "Europe/Paris")
    text = run(root, "kpi", "--campaign", "launch", "--at", after)
    assert text.splitlines()[0] == "campaign:launch  2027-01-11 → 2027-01-31 (Europe/Paris)"
    during = run(root, "kpi", "--campaign", "launch", "--at", NOW).splitlines()[0]
    assert during == "campaign:launch  2027-01-11 → 2027-01-20 (Europe/Paris)"
    before = run(root, "kpi", "--campaign", "launch", "--at", "2027-01-05T08:00:00Z")
    assert before.splitlines()[0] == \
        "campaign:launch  starts 2027-01-11 (Europe/Paris): nothing to measure yet"


def test_expected_by_now_is_a_whole_count_and_a_one_decimal_percent(
        story: tuple[Path, Path]) -> None:
    root, _ = story
    (launch,) = kpi(root, "--campaign", "launch")
    goals = {g["goal"]: g for g in launch["goals"]}
    # 11 Jan 00:00 to 1 Feb 00:00 Paris is 504 h; 20 Jan 13:00 Paris is 229 h in.
    assert goals["comments"]["expected_by_now"] == 136
    assert isinstance(goals["comments"]["expected_by_now"], int)
    assert goals["growth_rate"]["expected_by_now"] == 0.9
    text = run(root, "kpi", "--campaign", "launch", "--at", NOW)
    assert "  goal comments         unknown   actual unknown / target 300 (expected by now " \
        "136)" in text.splitlines()
    assert "  goal growth_rate      unknown   actual unknown / target 2 % (expected by now " \
        "0.9 %)" in text.splitlines()


def test_counts_in_a_zone_less_calendar_are_utc_days(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r")
    channels = root / "calendar/channels.yaml"
    channels.write_text(channels.read_text("utf-8").replace("timezone: Europe/Paris\n", ""),
                        "utf-8")
    (january,) = [s for s in kpi(root, "--from", "2027-01-01", "--to", "2027-01-31")
                  if s["scope"] == "all"]
    assert (january["timezone"], january["from"]) == ("UTC", "2027-01-01T00:00:00Z")
    assert datetime.fromisoformat(str(january["to"]).replace("Z", "+00:00")) < datetime(
        2027, 2, 1, tzinfo=UTC)


def test_a_campaign_without_channels_counts_its_plan_only_expiries(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r")
    (root / "calendar/campaigns/quiet.yaml").write_text(
        "id: quiet\nname: Quiet\nstart: 2027-01-01\nend: 2027-01-31\n", "utf-8")
    (root / "calendar/posts/2027-01/missed.yaml").write_text(
        "id: missed\npublish_at: 2027-01-05T10:00\nchannels: [feed]\nstatus: ready\n"
        "campaign: quiet\ntext: raté\n", "utf-8")
    (quiet,) = kpi(root, "--campaign", "quiet")
    assert quiet["posts"] == {"published": 0, "failed": 0, "expired": 1}
