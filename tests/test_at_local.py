"""--at, --until and --since without an offset (issue 20): wall-clock time in the calendar's
timezone on every command that takes them, the same as that time with its offset; DST gaps
and overlaps refused with the offsets to choose from."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from tests.conftest import Runner, json_out
from tests.helpers import post

# Paris is at +01:00 in December: these are the same instant.
LOCAL, OFFSET = "2026-12-03T09:30", "2026-12-03T09:30+01:00"


def twin(repo: Path) -> Path:
    """A second copy of ``repo``: a command that writes state runs once in each."""
    other = repo.parent / "twin"
    shutil.copytree(repo, other)
    return other


def test_plan_at_and_until_local_equal_the_offset_times(run: Runner, repo: Path) -> None:
    post(repo, "due", when="2026-12-03T09:30", channels="[news]")
    post(repo, "after", when="2026-12-03T12:00", channels="[news]")
    local = json_out(run("plan", "--at", LOCAL, "--until", "2026-12-03T12:00", "--format",
                         "json", root=repo))
    offset = json_out(run("plan", "--at", OFFSET, "--until", "2026-12-03T11:00Z", "--format",
                          "json", root=repo))
    assert local == offset
    assert local["now"] == "2026-12-03T08:30:00Z"
    assert local["window"]["until"] == "2026-12-03T11:00:00Z"
    assert [i["post"] for i in local["items"]] == ["due", "after"]


def test_publish_at_a_local_time_publishes_what_the_offset_time_does(run: Runner,
                                                                      repo: Path) -> None:
    post(repo, "due", when="2026-12-03T09:30", channels="[news]")
    other = twin(repo)
    early = run("publish", "--at", "2026-12-03T09:29", "--dry-run", root=repo)
    assert "Nothing is due." in early.stdout
    local = run("publish", "--at", LOCAL, "--format", "json", root=repo)
    offset = run("publish", "--at", OFFSET, "--format", "json", root=other)
    assert local.exit_code == offset.exit_code == 0
    assert json.loads(local.stdout.replace(str(repo), "R")) == \
        json.loads(offset.stdout.replace(str(other), "R"))
    assert json_out(local)["now"] == "2026-12-03T08:30:00Z"
    assert [o["key"] for o in json_out(local)["outcomes"]] == ["due/news"]


def test_report_kpi_collect_status_take_local_times(run: Runner, repo: Path,
                                                    tmp_path: Path) -> None:
    other = twin(repo)
    for args in (("kpi", "--format", "json"), ("status", "--format", "json")):
        local, offset = run(*args, "--at", LOCAL, root=repo), run(*args, "--at", OFFSET,
                                                                  root=repo)
        assert local.exit_code == offset.exit_code == 0, local.output
        assert local.stdout == offset.stdout
    local = run("collect", "--format", "json", "--at", LOCAL, "--since", "2026-12-01T00:00",
                root=repo)
    offset = run("collect", "--format", "json", "--at", OFFSET, "--since",
                 "2026-11-30T23:00Z", root=other)
    assert local.stdout.replace(str(repo), "R") == offset.stdout.replace(str(other), "R")
    assert json_out(local)["now"] == "2026-12-03T08:30:00Z"
    for root, at, out in ((repo, LOCAL, tmp_path / "a"), (other, OFFSET, tmp_path / "b")):
        assert run("report", "--no-build", "--at", at, "--out", str(out),
                   root=root).exit_code == 0
    written = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*")
                     if p.is_file())
    assert written
    for rel in written:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--at", "2026-03-29T02:30", "Invalid value for --at: 2026-03-29 02:30 does not exist in "
     "Europe/Paris: the clocks skip it (daylight saving time starts); pick another time"),
    ("--until", "2026-10-25T02:30", "Invalid value for --until: 2026-10-25 02:30 happens "
     "twice in Europe/Paris (daylight saving time ends); write it with an offset, e.g. "
     "2026-10-25T02:30+02:00 or 2026-10-25T02:30+01:00"),
    ("--at", "2026-12-03 9h30", "Invalid value for --at: '2026-12-03 9h30' is not an ISO "
     "8601 date and time"),
    ("--at", "2101-01-01T00:00", "Invalid value for --at: give a time between the years "
     "2000 and 2100"),
])
def test_times_a_zone_skips_or_repeats_are_refused(run: Runner, repo: Path, option: str,
                                                   value: str, message: str) -> None:
    args = ["plan", option, value] + (["--at", "2026-10-01T00:00"] if option != "--at" else [])
    result = run(*args, root=repo)
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split()), result.stderr


def test_the_same_wall_time_with_either_offset_is_taken(run: Runner, repo: Path) -> None:
    first = json_out(run("plan", "--at", "2026-10-25T02:30+02:00", "--format", "json",
                         root=repo))
    assert first["now"] == "2026-10-25T00:30:00Z"


def test_a_calendar_without_timezone_reads_local_times_as_utc(run: Runner,
                                                             repo: Path) -> None:
    channels = repo / "calendar/channels.yaml"
    channels.write_text(channels.read_text("utf-8").replace("timezone: Europe/Paris\n", ""),
                        "utf-8")
    result = run("plan", "--at", LOCAL, "--format", "json", root=repo)
    assert json.loads(result.stdout)["now"] == "2026-12-03T09:30:00Z"


@pytest.mark.parametrize(("channels", "message"), [
    ("timezone: Mars/Olympus\nchannels: {}\n", "Invalid value for --at: calendar/channels.yaml:"
     " unknown time zone 'Mars/Olympus'; use an IANA name such as Europe/Paris or "
     "America/New_York"),
    ("timezone: [\n", "Invalid value for --at: calendar/channels.yaml:2: the calendar's "
     "timezone cannot be read (YAML syntax error:"),
])
def test_an_unreadable_zone_is_refused_not_guessed(run: Runner, repo: Path, channels: str,
                                                   message: str) -> None:
    (repo / "calendar/channels.yaml").write_text(channels, "utf-8")
    result = run("plan", "--at", LOCAL, root=repo)
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split()), result.stderr
    with_offset = run("plan", "--at", OFFSET, "--format", "json", root=repo)
    assert "Invalid value for --at" not in with_offset.stderr


def test_the_help_says_local_times_are_taken(run: Runner) -> None:
    for command in ("plan", "publish", "report", "kpi", "collect", "status", "pause",
                    "health"):
        text = " ".join(run(command, "--help").stdout.split())
        assert ("or local time in the calendar's timezone (2026-12-03T09:30)." in text), command
