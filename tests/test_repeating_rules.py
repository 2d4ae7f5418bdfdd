"""rules.yaml's spacing, daily caps, quiet hours and blackouts see every occurrence of a
repeating post, not only its first (issue 21), within a bounded amount of work."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.conftest import Runner, json_out

from cmops.rules import occurrences
from cmops.schedule import recurrence, zone


def write(root: Path, name: str, body: str) -> None:
    (root / "calendar/posts" / f"{name}.yaml").write_text(body, "utf-8")


def policy(run: Runner, root: Path) -> list[tuple[str, int, str, str]]:
    data = json_out(run("validate", "--format", "json", root=root))
    return sorted((e["file"].rsplit("/", 1)[1], e["line"], e["rule"], e["message"])
                  for e in data["errors"] + data["warnings"]
                  if e["rule"].startswith("governance."))


def test_spacing_sees_a_weekly_posts_later_occurrence(run: Runner, repo: Path) -> None:
    (repo / "calendar/rules.yaml").write_text("min_spacing:\n  default: 2h\n", "utf-8")
    write(repo, "weekly", "id: weekly\nstatus: ready\nchannels: [masto]\n"
          "publish_at: 2027-01-04T09:00\nrepeat: {every: 7d}\ntext: Monday tips\n")
    write(repo, "launch", "id: launch\nstatus: ready\nchannels: [masto]\n"
          "publish_at: 2027-03-15T09:30\ntext: Launch\n")
    write(repo, "other", "id: other\nstatus: ready\nchannels: [masto]\n"
          "publish_at: 2027-03-16T09:30\ntext: Tuesday\n")
    assert policy(run, repo) == [
        ("launch.yaml", 4, "governance.min-spacing",
         "30 min after weekly (2027-03-15 09:00, repeating) on masto; calendar/rules.yaml "
         "wants at least 2h between posts")]


def test_a_repeating_post_after_a_one_off_names_its_occurrence(run: Runner,
                                                                repo: Path) -> None:
    (repo / "calendar/rules.yaml").write_text("min_spacing:\n  default: 2h\n", "utf-8")
    write(repo, "daily", "id: daily\nstatus: ready\nchannels: [masto]\n"
          "publish_at: 2027-01-04T10:00\nrepeat: {every: 1d, count: 90}\ntext: Daily\n")
    write(repo, "early", "id: early\nstatus: ready\nchannels: [masto]\n"
          "publish_at: 2027-02-20T09:15\ntext: Early\n")
    assert policy(run, repo) == [
        ("daily.yaml", 4, "governance.min-spacing",
         "45 min after early on masto, at its occurrence of 2027-02-20 10:00; "
         "calendar/rules.yaml wants at least 2h between posts")]


def test_a_post_repeating_faster_than_the_spacing_is_told_once(run: Runner,
                                                               repo: Path) -> None:
    (repo / "calendar/rules.yaml").write_text("min_spacing:\n  default: 2h\n", "utf-8")
    write(repo, "hourly", "id: hourly\nstatus: ready\nchannels: [masto]\n"
          "publish_at: 2027-01-04T10:00\nrepeat:\n  every: 1h\ntext: Status\n")
    assert policy(run, repo) == [
        ("hourly.yaml", 6, "governance.min-spacing",
         "repeats every 1h00 on masto; calendar/rules.yaml wants at least 2h between posts")]
    # a single occurrence (count: 1) never meets itself
    write(repo, "hourly", "id: hourly\nstatus: ready\nchannels: [masto]\n"
          "publish_at: 2027-01-04T10:00\nrepeat:\n  every: 1h\n  count: 1\ntext: Status\n")
    assert policy(run, repo) == []


def test_daily_cap_counts_occurrences(run: Runner, repo: Path) -> None:
    (repo / "calendar/rules.yaml").write_text("max_per_day:\n  masto: 2\n", "utf-8")
    write(repo, "morning", "id: morning\nstatus: ready\nchannels: [masto]\n"
          "publish_at: 2027-01-04T08:00\nrepeat: {every: 1d}\ntext: Morning\n")
    write(repo, "noon", "id: noon\nstatus: ready\nchannels: [masto]\n"
          "publish_at: 2027-01-04T12:00\nrepeat: {every: 1d}\ntext: Noon\n")
    write(repo, "evening", "id: evening\nstatus: ready\nchannels: [masto]\n"
          "publish_at: 2027-02-10T18:00\ntext: Evening\n")
    assert policy(run, repo) == [
        ("evening.yaml", 4, "governance.max-per-day",
         "post 3 on masto on 2027-02-10; calendar/rules.yaml allows 2 a day")]
    # a repeating post over the cap is reported once, on the first day it is
    write(repo, "evening", "id: evening\nstatus: ready\nchannels: [masto]\n"
          "publish_at: 2027-01-10T18:00\nrepeat: {every: 7d}\ntext: Evening\n")
    assert policy(run, repo) == [
        ("evening.yaml", 4, "governance.max-per-day",
         "post 3 on masto on 2027-01-10 (an occurrence of evening, repeating); "
         "calendar/rules.yaml allows 2 a day")]


def test_quiet_hours_on_a_later_weekday(run: Runner, repo: Path) -> None:
    (repo / "calendar/rules.yaml").write_text(
        "quiet_hours:\n  - from: '12:00'\n    to: '14:00'\n    days: [sat, sun]\n", "utf-8")
    # Monday 2027-01-04 12:30, every 3 days: Thu, Sun 2027-01-10 is the first weekend day
    write(repo, "tips", "id: tips\nstatus: ready\nchannels: [news]\n"
          "publish_at: 2027-01-04T12:30\nrepeat: {every: 3d}\ntext: Tips\n")
    assert policy(run, repo) == [
        ("tips.yaml", 4, "governance.quiet-hours",
         "12:30 on news (the occurrence of Sun 2027-01-10) is inside the quiet hours "
         "12:00–14:00 (calendar/rules.yaml)")]
    # every 7 days from a Monday never reaches the weekend
    write(repo, "tips", "id: tips\nstatus: ready\nchannels: [news]\n"
          "publish_at: 2027-01-04T12:30\nrepeat: {every: 7d}\ntext: Tips\n")
    assert policy(run, repo) == []


def test_quiet_hours_for_an_hour_interval_across_daylight_saving(run: Runner,
                                                                   repo: Path) -> None:
    # every 12h in absolute time: 09:30 in winter is 10:30 once summer time starts
    (repo / "calendar/rules.yaml").write_text(
        "quiet_hours:\n  - from: '10:00'\n    to: '11:00'\n", "utf-8")
    write(repo, "utc", "id: utc\nstatus: ready\nchannels: [news]\n"
          "publish_at: 2027-01-04T09:30\nrepeat: {every: 12h}\ntext: Daily\n")
    got = policy(run, repo)
    assert [(g[0], g[2]) for g in got] == [("utc.yaml", "governance.quiet-hours")]
    assert got[0][3].startswith("10:30 on news (the occurrence of ")
    # a day interval keeps the wall-clock time: nothing to say
    write(repo, "utc", "id: utc\nstatus: ready\nchannels: [news]\n"
          "publish_at: 2027-01-04T09:30\nrepeat: {every: 1d}\ntext: Daily\n")
    assert policy(run, repo) == []


def test_blackout_catches_an_occurrence_inside_it(run: Runner, repo: Path) -> None:
    (repo / "calendar/rules.yaml").write_text(
        "blackouts:\n  - from: 2027-03-10\n    to: 2027-03-11\n    reason: Results day\n",
        "utf-8")
    write(repo, "weekly", "id: weekly\nstatus: ready\nchannels: [news, nyc]\n"
          "publish_at: 2027-01-06T09:00\nrepeat: {every: 7d}\ntext: Wednesday\n")
    assert policy(run, repo) == [
        ("weekly.yaml", 4, "governance.blackout",
         "2027-03-10 on news (an occurrence of weekly, repeating) is in the blackout "
         "2027-03-10 to 2027-03-11: Results day"),
        ("weekly.yaml", 4, "governance.blackout",
         "2027-03-10 on nyc (an occurrence of weekly, repeating) is in the blackout "
         "2027-03-10 to 2027-03-11: Results day")]
    # ending before the blackout (until:) keeps it clear
    write(repo, "weekly", "id: weekly\nstatus: ready\nchannels: [news, nyc]\n"
          "publish_at: 2027-01-06T09:00\nrepeat: {every: 7d, until: 2027-03-09}\n"
          "text: Wednesday\n")
    assert policy(run, repo) == []


def test_the_sample_is_bounded_and_covers_every_weekday() -> None:
    first = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)
    hourly = recurrence(first, timedelta(hours=5), zone("Europe/Paris"), until=None,
                        count=None)
    sample = list(occurrences.sample(hourly))
    assert len(sample) == 336
    local = {(w.astimezone(hourly.tz).weekday(), w.astimezone(hourly.tz).hour)
             for _, w in sample}
    assert len(local) == 7 * 24  # every local weekday and hour
    # a week's worth of steps: 14 for 12h; one for a weekly post (same weekday and time)
    twice = recurrence(first, timedelta(hours=12), zone("Europe/Paris"), until=None,
                       count=None)
    numbers = [n for n, _ in occurrences.sample(twice)]
    assert numbers == [*range(1, 15), *range(366, 380)]  # and again half a year later
    weekly = recurrence(first, timedelta(days=7), zone("Europe/Paris"), until=None,
                        count=3)
    assert [n for n, _ in occurrences.sample(weekly)] == [1]


def test_spacing_is_bounded_on_thousands_of_repeating_posts(run: Runner, repo: Path) -> None:
    (repo / "calendar/rules.yaml").write_text(
        "min_spacing:\n  default: 10m\nmax_per_day:\n  default: 500\n", "utf-8")
    for n in range(1500):
        write(repo, f"r{n}", f"id: r{n}\nstatus: ready\nchannels: [news]\n"
              f"publish_at: 2027-01-04T{n % 24:02d}:{n % 60:02d}\n"
              f"repeat: {{every: {1 + n % 5}h}}\ntext: Repeat {n}\n")
    write(repo, "late", "id: late\nstatus: ready\nchannels: [news]\n"
          "publish_at: 2029-01-04T10:00\ntext: Far later\n")
    start = time.perf_counter()
    result = run("validate", "--no-cache", "--format", "json", root=repo)
    elapsed = time.perf_counter() - start
    assert result.exit_code == 1
    assert elapsed < 60, elapsed


def test_an_unknown_zone_is_reported_not_a_crash(run: Runner, repo: Path) -> None:
    channels = (repo / "calendar/channels.yaml").read_text("utf-8")
    (repo / "calendar/channels.yaml").write_text(
        channels.replace("timezone: Europe/Paris", "timezone: Mars/Olympus"), "utf-8")
    (repo / "calendar/rules.yaml").write_text(
        "min_spacing:\n  default: 2h\nquiet_hours:\n  - from: '22:00'\n    to: '07:00'\n"
        "blackouts:\n  - from: 2027-03-10\n    to: 2027-03-11\n", "utf-8")
    write(repo, "abs", "id: abs\nstatus: ready\nchannels: [news]\n"
          "publish_at: 2020-01-06T09:00+01:00\nrepeat: {every: 1h, count: 3}\ntext: A\n")
    result = run("validate", "--format", "json", root=repo)
    assert result.exit_code == 1
    assert [e["rule"] for e in json_out(result)["errors"]] == ["time.zone"]


def test_spacing_counts_the_hour_the_clocks_go_back_as_lived(run: Runner, repo: Path) -> None:
    # 02:30 summer time, then 02:10 winter time: 40 minutes later, though the clock says less
    (repo / "calendar/rules.yaml").write_text("min_spacing:\n  default: 1h\n", "utf-8")
    write(repo, "a", "id: a\nstatus: ready\nchannels: [news]\n"
          "publish_at: 2027-10-31T02:30+02:00\ntext: Summer\n")
    write(repo, "b", "id: b\nstatus: ready\nchannels: [news]\n"
          "publish_at: 2027-10-31T02:10+01:00\ntext: Winter\n")
    assert policy(run, repo) == [
        ("b.yaml", 4, "governance.min-spacing",
         "40 min after a on news; calendar/rules.yaml wants at least 1h between posts")]
