"""Hostile-but-valid input, as a careless user writes it (issue 15): each input gives a
`file:line:col` error or a result, never exit 3 ("a bug in cmops"), and no single file makes a
command slow or its output unbounded."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.conftest import PROJECT, Runner, json_out

from cmops import schedule
from cmops.plan import LISTED, Recorded, build_plan, item_key
from cmops.problems import MAX_PER_FILE
from cmops.validate import load_calendar

AT = "2027-03-05T10:00Z"
AFTER = ("plan", "--at", AT), ("publish", "--dry-run", "--at", AT), ("status", "--at", AT), \
    ("report", "--no-build", "--at", AT), ("kpi", "--at", AT), ("collect", "--at", AT)


def post(repo: Path, extra: str = "", *, name: str = "hostile", pid: str = "hostile",
         at: str = "2027-03-02T09:00", text: str = "hello") -> Path:
    path = repo / "calendar" / "posts" / f"{name}.yaml"
    path.write_text(f"id: {pid}\nchannels: [news]\nstatus: ready\ntext: {text}\n"
                    f"publish_at: {at}\n{extra}", "utf-8")
    return path


def never_a_bug(run: Runner, repo: Path) -> None:
    for args in AFTER:
        result = run(*args, root=repo)
        assert result.exit_code in (0, 1, 2), (args, result.output)  # 2: collect refuses
        # an invalid listening.yaml as a usage error
        assert "bug in cmops" not in result.output


def problems(run: Runner, repo: Path) -> list[dict[str, object]]:
    result = run("validate", "--format", "json", "--no-cache", root=repo)
    assert result.exit_code in (0, 1), result.output
    body = json_out(result)
    found: list[dict[str, object]] = body["errors"] + body["warnings"]
    return found


# -- durations and dates ------------------------------------------------------------------

@pytest.mark.parametrize("every", ["9999999w", "99999999999999999w", "999999999h", "53w",
                                   "367d", "8785h"])
def test_repeat_interval_over_a_year_is_an_error_and_breaks_nothing(
        run: Runner, repo: Path, every: str) -> None:
    post(repo, f"repeat: {{every: {every}}}\n")
    result = run("validate", root=repo)
    assert result.exit_code == 1, result.output
    assert result.output.startswith(
        f"calendar/posts/hostile.yaml:6:17: error: repeat.every: repeat interval '{every}' is "
        "longer than a year; cmops takes at most 366d (8784h) [post.repeat]")
    never_a_bug(run, repo)


def test_a_repeat_of_a_year_is_fine(run: Runner, repo: Path) -> None:
    post(repo, "repeat: {every: 366d, count: 3}\n")
    assert run("validate", root=repo).exit_code == 0
    never_a_bug(run, repo)


def test_huge_max_delay_is_an_error_and_breaks_nothing(run: Runner, repo: Path) -> None:
    post(repo, "max_delay: 99999999999999999d\n")
    found = problems(run, repo)
    assert [(p["line"], p["column"], p["rule"]) for p in found] == [(6, 12, "duration")]
    assert "longer than a year" in str(found[0]["message"])
    never_a_bug(run, repo)


def test_durations_in_channels_rules_and_listening_are_bounded(run: Runner,
                                                               repo: Path) -> None:
    channels = repo / "calendar" / "channels.yaml"
    channels.write_text("max_delay: 400d\n" + channels.read_text("utf-8"), "utf-8")
    (repo / "calendar" / "rules.yaml").write_text("min_spacing: {default: 99999999999d}\n")
    (repo / "calendar" / "listening.yaml").write_text(
        "window: 999d\nthresholds:\n  - {name: a, type: burst, count: 3, within: 9999999d}\n")
    found = {(p["file"], p["path"]) for p in problems(run, repo) if p["rule"] == "duration"}
    assert found == {("calendar/channels.yaml", "max_delay"),
                     ("calendar/rules.yaml", "min_spacing.default"),
                     ("calendar/listening.yaml", "window"),
                     ("calendar/listening.yaml", "thresholds[0].within")}
    never_a_bug(run, repo)


def test_a_5000_digit_number_is_a_yaml_error(run: Runner, repo: Path) -> None:
    post(repo, "repeat: {every: 1d, count: " + "9" * 5000 + "}\n")
    found = problems(run, repo)
    assert [(p["line"], p["column"], p["rule"], p["path"]) for p in found] == [
        (6, 28, "yaml.number", "repeat.count")]
    never_a_bug(run, repo)


@pytest.mark.parametrize("at", ["9999-12-31T20:00-12:00", "0001-01-01T00:00+14:00",
                                "1970-01-01T12:00Z", "2101-01-01T00:00", "1999-12-31T23:59Z"])
def test_dates_outside_2000_to_2100_are_errors(run: Runner, repo: Path, at: str) -> None:
    post(repo, at=at)
    found = problems(run, repo)
    assert [(p["line"], p["column"], p["rule"]) for p in found] == [(5, 13, "post.publish-at")]
    assert "outside the years cmops plans in (2000 to 2100)" in str(found[0]["message"])
    never_a_bug(run, repo)


def test_campaign_queue_and_until_dates_are_bounded(run: Runner, repo: Path) -> None:
    campaign = repo / "calendar" / "campaigns" / "spring.yaml"
    campaign.write_text("id: spring\nname: Spring\nstart: 0001-01-01\nend: 9999-12-31\n")
    post(repo, "repeat: {every: 1d, until: 9999-12-31}\n", name="until", pid="until")
    found = {(p["file"], p["path"], p["rule"]) for p in problems(run, repo)}
    assert found == {("calendar/campaigns/spring.yaml", "start", "campaign.dates"),
                     ("calendar/posts/until.yaml", "repeat.until", "post.repeat")}
    never_a_bug(run, repo)


@pytest.mark.parametrize("path", ["calendar/media/a\\0b.png", "calendar/media/" + "a" * 300])
def test_odd_media_paths_are_errors(run: Runner, repo: Path, path: str) -> None:
    post(repo, f'media: [{{path: "{path}", alt: A light.}}]\n')
    found = problems(run, repo)
    assert [(p["line"], p["path"]) for p in found] == [(6, "media[0].path")]
    never_a_bug(run, repo)


def test_a_ledger_record_replaced_by_a_directory(run: Runner, repo: Path) -> None:
    post(repo)
    run("publish", "--at", "2027-03-02T08:01Z", root=repo)
    records = list((repo / ".cmops" / "state" / "records").glob("*/*.json"))
    assert len(records) == 1
    records[0].unlink()
    records[0].mkdir()
    never_a_bug(run, repo)
    assert "needs_human" in run("status", "--at", AT, root=repo).output


def test_listening_and_analytics_files_that_are_not_utf8_stop_collect_politely(run: Runner,
                                                                    repo: Path) -> None:
    (repo / "calendar" / "listening.yaml").write_bytes(b"window: 30d\n\xff\xfe\n")
    result = run("collect", "--at", AT, root=repo)
    assert result.exit_code == 2, result.output
    assert "calendar/listening.yaml cannot be read: it is not UTF-8" in result.output
    (repo / "calendar" / "listening.yaml").unlink()
    (repo / "calendar" / "analytics.yaml").write_bytes(b"ga4:\n  property: \"\xff\"\n")
    result = run("collect", "--at", AT, root=repo)
    assert result.exit_code == 2, result.output
    assert "calendar/analytics.yaml cannot be read: it is not UTF-8" in result.output


def test_an_unknown_time_zone_with_absolute_times(run: Runner, repo: Path) -> None:
    """Found by the fuzzer (benchmarks/fuzz.py): a time with an offset needs no zone to be
    placed, so it used to reach code that looked the unknown zone up (exit 3 from validate
    with min_spacing, from plan, status and report with a repeat)."""
    channels = repo / "calendar" / "channels.yaml"
    channels.write_text(channels.read_text("utf-8").replace("Europe/Paris", "0"), "utf-8")
    (repo / "calendar" / "rules.yaml").write_text("min_spacing: {default: 1h}\n")
    post(repo, "repeat: {every: 1d}\n", at="2027-03-02T09:00Z")
    found = problems(run, repo)
    assert [(p["file"], p["line"], p["column"], p["rule"]) for p in found] == [
        ("calendar/channels.yaml", 1, 11, "time.zone")]
    never_a_bug(run, repo)


@pytest.mark.parametrize("media", ["true", "3", "hello", "{path: a}"])
def test_media_that_is_not_a_list(run: Runner, repo: Path, media: str) -> None:
    """Found by the fuzzer: `media: true` made validate exit 3."""
    post(repo, f"media: {media}\n")
    found = problems(run, repo)
    assert [(p["line"], p["path"], p["rule"]) for p in found] == [(6, "media", "schema.type")]
    never_a_bug(run, repo)


# -- repeats are computed, not enumerated -----------------------------------------------------

def test_an_hourly_repeat_since_2000_is_bounded_everywhere(run: Runner, repo: Path) -> None:
    for i in range(5):
        post(repo, "repeat: {every: 1h}\n", name=f"hourly{i}", pid=f"hourly{i}",
             at="2000-01-01T12:00Z")
    assert run("validate", root=repo).exit_code == 0
    calendar, _ = load_calendar(repo)
    now = datetime(2027, 3, 5, 10, 0, tzinfo=UTC)
    plan = build_plan(calendar, now, horizon=now + timedelta(days=3660))
    assert len(plan.items) == 5 * 2 * LISTED  # 500 past (one due), 500 ahead, per post
    assert [i.occurrence for i in plan.due()] == [238_199] * 5
    result = run("status", "--at", AT, "--format", "json", root=repo)
    assert result.exit_code == 0 and len(json_out(result)["items"]) == 5 * 2 * LISTED
    never_a_bug(run, repo)


def test_next_occurrence_after_any_instant_is_arithmetic() -> None:
    tz = schedule.zone("Europe/Paris")
    first = datetime(2000, 1, 1, 8, 30, tzinfo=UTC)
    rec = schedule.recurrence(first, timedelta(days=1), tz, until=None, count=None)
    n = rec.index_at(datetime(2100, 7, 1, 12, 0, tzinfo=UTC))
    assert n == 36_707
    assert rec.at(n) == datetime(2100, 7, 1, 7, 30, tzinfo=UTC)  # 09:30 local, summer time
    assert rec.at(n + 1) == datetime(2100, 7, 2, 7, 30, tzinfo=UTC)
    hourly = schedule.recurrence(first, timedelta(hours=1), tz, until=None, count=None)
    assert hourly.index_at(datetime(2100, 1, 1, tzinfo=UTC)) == 876_592


def test_missed_occurrences_never_go_out_one_per_run_after_the_latest() -> None:
    """Old plan: once the latest occurrence was published, the one before it became the
    latest *unrecorded* one, and went out on the next run, then the one before…"""
    from tests.helpers import cal, plan_post, utc

    c = cal(plan_post("ev", "2026-11-01T12:00", repeat={"every": "1d"}, max_delay="30d"))
    now, sent = utc("2026-11-05T13:00+01:00"), []
    ledger: dict[str, Recorded] = {}
    for _ in range(4):
        due = [i.key for i in build_plan(c, now, ledger=ledger).due()]
        sent += due
        ledger.update({k: Recorded("published") for k in due})
        now += timedelta(minutes=10)
    assert sent == [item_key("ev", "news", 5)]


# -- bounded output and reading ----------------------------------------------------------------

def test_20000_unknown_keys_give_20_problems_and_a_count(run: Runner, repo: Path) -> None:
    path = post(repo, "".join(f"k{i}: 1\n" for i in range(20_000)))
    assert path.stat().st_size < 256 * 1024
    found = problems(run, repo)
    assert len(found) == MAX_PER_FILE + 1
    assert all(p["rule"] == "schema.unknown-field" for p in found[:MAX_PER_FILE])
    assert found[-1]["rule"] == "file.more-problems"
    assert str(found[-1]["message"]).startswith("and 19980 more problems in this file")
    text = run("validate", root=repo)
    assert len(text.output) < 10_000
    assert text.output.splitlines()[-1] == "21 errors in 1 file, 0 warnings (4 files checked)"


def test_30000_unknown_channels_are_a_short_answer(run: Runner, repo: Path) -> None:
    names = ", ".join(f"c{i}" for i in range(30_000))
    (repo / "calendar" / "posts" / "hostile.yaml").write_text(
        f"id: hostile\nchannels: [{names}]\nstatus: draft\ntext: x\n")
    result = run("validate", root=repo)
    assert result.exit_code == 1
    assert len(result.output) < 10_000
    assert "and 29980 more problems in this file" in result.output


def test_threads_are_capped_at_25_parts(run: Runner, repo: Path) -> None:
    parts = "".join("  - text: p\n" for _ in range(15_000))
    post(repo, "thread:\n" + parts)
    found = problems(run, repo)
    assert [(p["line"], p["column"], p["rule"], p["path"]) for p in found] == [
        (7, 3, "schema.too-many", "thread")]
    assert found[0]["message"] == "thread has 15000 items; at most 25 are allowed"
    post(repo, "thread:\n" + "".join("  - text: p\n" for _ in range(25)))
    assert problems(run, repo) == []


def test_telegram_threads_stop_at_20_posts(run: Runner, repo: Path) -> None:
    channels = repo / "calendar" / "channels.yaml"
    channels.write_text(channels.read_text("utf-8") + "  tg:\n    network: telegram\n"
                        "    chat_id: \"@cmops\"\n    secrets: {token: TG_TOKEN}\n", "utf-8")
    path = post(repo, "thread:\n" + "  - text: p\n" * 20)
    path.write_text(path.read_text("utf-8").replace("[news]", "[news, tg]"), "utf-8")
    found = problems(run, repo)
    assert [(p["line"], p["column"], p["rule"]) for p in found] == [
        (6, 1, "text.thread-too-long")]
    assert found[0]["message"] == "a thread of 21 posts; tg (telegram) takes at most 20 in a row"
    path.write_text(path.read_text("utf-8").replace("  - text: p\n", "", 1), "utf-8")
    assert problems(run, repo) == []


def test_a_2_gb_post_is_never_read(tmp_path: Path, repo: Path) -> None:
    """Under a 1 GB address-space limit, reading the file whole would die (exit 3)."""
    big = repo / "big.bin"
    with open(big, "wb") as handle:
        handle.truncate(2 * 1024**3)  # sparse: no disk used
    os.symlink(big, repo / "calendar" / "posts" / "big.yaml")
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30)); "
            "from cmops.cli import main; sys.argv = ['cmops'] + sys.argv[1:]; main()")
    done = subprocess.run([sys.executable, "-c", code, "--root", str(repo), "validate",
                           "--no-cache"], capture_output=True, text=True, timeout=120,
                          cwd=PROJECT)
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith("calendar/posts/big.yaml:1:1: error: file is 2147483648 "
                                  "bytes; the limit is 262144 bytes [yaml.too-large]")


# -- CSV import ------------------------------------------------------------------------------

@pytest.mark.parametrize(("row", "message"), [
    ("2027-03-02,09:00," + "x" * 140_000 + ",news",
     "2: skipped: a cell is longer than the csv reader's 131,072 characters"),
    ("2027-03-02,09:00,hello,news,ab\0cd", "2: skipped: a cell contains a NUL character"),
    ("2027-03-02,09:00,hello,news," + "a" * 300, "2: skipped: id 'aaaa"),
])
def test_csv_rows_that_cannot_be_imported(run: Runner, repo: Path, tmp_path: Path, row: str,
                                          message: str) -> None:
    csv = tmp_path / "export.csv"
    csv.write_text("date,time,text,channels,id\n2027-03-01,09:00,fine,news,fine\n"
                   .replace("\n2027", "\n" + row + "\n2027"), "utf-8")
    result = run("import", "csv", str(csv), root=repo)
    assert result.exit_code == 1, result.output
    assert f"{csv}:{message}" in result.output
    assert "bug in cmops" not in result.output


# -- calendar.ics --------------------------------------------------------------------------

def test_ics_escapes_unicode_line_breaks(run: Runner, repo: Path) -> None:
    import icalendar

    post(repo, text='"one\\Ltwo\\Pthree"')  # valid text: only NEL and C1 are refused
    result = run("report", "--no-build", "--at", "2027-03-01T00:00Z", root=repo)
    assert result.exit_code == 0, result.output
    raw = next(repo.rglob("calendar.ics")).read_bytes()
    text = raw.decode("utf-8")
    assert "\u2028" not in text and "\u2029" not in text
    assert "one\\ntwo\\nthree" in text.replace("\r\n ", "")
    (event,) = icalendar.Calendar.from_ical(raw).walk("VEVENT")
    assert str(event.get("DESCRIPTION")).startswith("one\ntwo\nthree\n")


def test_ics_text_has_no_raw_line_breaks_or_controls() -> None:
    from cmops.report.exports import _ics_text

    assert _ics_text("a\u0085b\u2028c\u2029d\r\ne\x9bf\x00g\ud800h;,\\") == \
        "a\\nb\\nc\\nd\\ne f g h\\;\\,\\\\"
