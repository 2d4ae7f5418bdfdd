"""Properties over generated calendars (tests/strategies.py): whatever the content, every
command answers with a result or located problems, never a crash, and the answers agree.

The default profile tries ~200 examples per property (a few seconds each);
``pytest tests/test_properties.py --hypothesis-profile=long`` tries thousands
(``python benchmarks/fuzz.py`` runs it and prints the counts).
"""

from __future__ import annotations

import random
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from hypothesis import event, given, settings
from hypothesis import strategies as st
from tests.conftest import EXAMPLES
from tests.strategies import NOW, ZONES, calendars, clean_calendars, hostile_yaml

from cmops import schedule, yamlsafe
from cmops.cli import cli
from cmops.kpi import report as kpi_report
from cmops.plan import build_plan
from cmops.planview import GITHUB_COMMENT_LIMIT, PlanView, as_json, as_markdown, as_text
from cmops.problems import MAX_PER_FILE
from cmops.render import render
from cmops.report import generate
from cmops.status import status
from cmops.stores.local import LocalStore
from cmops.text.limits import NETWORKS, check
from cmops.validate import load_calendar, validate

MEDIA = EXAMPLES / "base" / "calendar" / "media"


@contextmanager
def repository(files: Mapping[str, bytes], order: list[str] | None = None) -> Iterator[Path]:
    """A temporary content repository holding ``files`` (written in ``order``) and the base
    example's media."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(MEDIA, root / "calendar" / "media")
        for rel in order or sorted(files):
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(files[rel])
        yield root


def _located(problems: list[object]) -> bool:
    return all(getattr(p, "line", 0) >= 1 and getattr(p, "column", 0) >= 1 for p in problems)


@given(calendars())
def test_every_command_behind_the_cli_answers(files: dict[str, bytes]) -> None:
    """validate, plan (and its three renderings), publish's plan, status, report and kpi on
    any calendar, valid or not: a result, never an exception."""
    with repository(files) as root:
        calendar, report = load_calendar(root, use_cache=False)
        assert _located(list(report.problems))
        per_file: dict[str, int] = {}
        for problem in report.problems:
            per_file[problem.file] = per_file.get(problem.file, 0) + 1
        assert max(per_file.values(), default=0) <= MAX_PER_FILE + 1
        publisher = build_plan(calendar, NOW)  # what publish sends: no window, 60 days ahead
        assert len(publisher.due()) <= len(publisher.items)
        window = build_plan(calendar, NOW, horizon=NOW + timedelta(days=14),
                            since=NOW - timedelta(days=1))
        view = PlanView(window, calendar, window.window(NOW - timedelta(days=1),
                                                        NOW + timedelta(days=14)),
                        NOW - timedelta(days=1), NOW + timedelta(days=14))
        as_text(view)
        as_json(view)
        assert len(as_markdown(view)) <= GITHUB_COMMENT_LIMIT
        rows = status(calendar, LocalStore(root / ".cmops" / "state"), NOW)
        assert len(rows) >= len([i for i in publisher.items if i.state.value == "due"])
        generate(root, calendar, {}, {}, NOW, errors=len(report.errors))
        kpi_report(calendar, [], {}, [], [], NOW)


@given(calendars(), st.randoms(use_true_random=False))
def test_validate_is_deterministic_and_ignores_file_order(files: dict[str, bytes],
                                                          rnd: random.Random) -> None:
    order = sorted(files)
    rnd.shuffle(order)
    with repository(files) as first, repository(files, order) as second:
        cold = validate(first, use_cache=True)
        shuffled = validate(second, use_cache=False)
        warm = validate(first, use_cache=True)
    assert cold.problems == shuffled.problems == warm.problems
    assert cold.files == shuffled.files == warm.files


@given(st.one_of(clean_calendars(), calendars()))
def test_a_calendar_that_validates_plans_renders_and_reports(files: dict[str, bytes]) -> None:
    """And what validation accepted fits each network once rendered, counted the network's
    way: rendering then counting agrees with the per-network limit checks."""
    with repository(files) as root:
        calendar, report = load_calendar(root, use_cache=False)
        event("valid" if report.ok else "invalid")
        if not report.ok:
            return
        plan = build_plan(calendar, NOW, horizon=NOW + timedelta(days=366))
        event(f"items: {min(len(plan.items), 100) // 25 * 25}+")
        assert not plan.invalid
        assert not [i for i in plan.items if i.state.value == "invalid"]
        for post in calendar.posts:
            if post.status == "draft":
                continue
            for channel in post.channels:
                ch = calendar.channels[channel]
                rendered = render(post, channel, calendar)
                limit = ch.raw.get("max_chars") if isinstance(ch.raw.get("max_chars"),
                                                              int) else None
                network = ch.network or "outbox"
                assert len(rendered.parts) <= 26
                for part in rendered.parts:
                    assert check(network, part.text, limit_override=limit,
                                 with_media=bool(part.media)) == [], (channel, part.text)
                assert network in NETWORKS
        generated = generate(root, calendar, {}, {}, NOW)
        assert generated.page_count >= 1


@given(hostile_yaml())
def test_hostile_yaml_is_data_or_a_located_error(raw: bytes) -> None:
    try:
        yamlsafe.load_bytes(raw)
    except yamlsafe.YamlError as err:
        assert err.line >= 1 and err.column >= 1 and err.rule.startswith("yaml.")
    with repository({"calendar/channels.yaml": b"timezone: UTC\nchannels: {news: "
                     b"{network: outbox}}\n", "calendar/posts/raw.yaml": raw}) as root:
        report = validate(root, use_cache=False)
    assert _located(list(report.problems))
    assert sum(p.file == "calendar/posts/raw.yaml" for p in report.problems) <= MAX_PER_FILE + 1


@settings(max_examples=max(10, settings().max_examples // 8))
@given(calendars(max_posts=3))
def test_no_command_exits_3(files: dict[str, bytes]) -> None:
    """The CLI itself, as a user runs it: 0, 1 or 2, never 3 ("a bug in cmops")."""
    at = "2027-03-05T10:00Z"
    with repository(files) as root:
        for args in (("validate",), ("plan", "--at", at, "--format", "markdown"),
                     ("publish", "--dry-run", "--at", at), ("status", "--at", at),
                     ("report", "--no-build", "--at", at), ("kpi", "--at", at),
                     ("collect", "--at", at)):
            result = CliRunner().invoke(cli, ["--root", str(root), *args])
            assert result.exit_code in (0, 1, 2), (args, result.output, result.exception)
            assert "bug in cmops" not in result.output


@given(st.datetimes(datetime(2000, 1, 1), datetime(2100, 12, 31), timezones=st.just(UTC)),
       st.one_of(st.builds(timedelta, hours=st.integers(1, 72)),
                 st.builds(timedelta, days=st.integers(1, 366))),
       st.sampled_from(ZONES), st.integers(0, 400), st.none() | st.integers(1, 50),
       st.none() | st.integers(0, 400))
def test_repeat_arithmetic_matches_stepping(first: datetime, every: timedelta, zone: str,
                                            ahead: int, count: int | None,
                                            until_days: int | None) -> None:
    """O(1) occurrence numbers and times agree with stepping from the first one, wall clock
    for day intervals, across daylight-saving changes."""
    tz = schedule.zone(zone)
    if every % timedelta(days=1) == timedelta(0):
        first = schedule.normalise_local(first.astimezone(tz).replace(tzinfo=None), tz)
    until = (first.astimezone(tz).date() + timedelta(days=until_days)) \
        if until_days is not None else None
    if until is not None and until > date(2100, 12, 31):
        until = None
    rec = schedule.recurrence(first, every, tz, until=until, count=count)
    stepped: list[datetime] = []
    wall, current = first.astimezone(tz).replace(tzinfo=None), first
    horizon = first + every * ahead
    while current <= horizon and (count is None or len(stepped) < count) \
            and (until is None or current.astimezone(tz).date() <= until):
        stepped.append(current)
        if every % timedelta(days=1) == timedelta(0):
            wall += every
            current = schedule.normalise_local(wall, tz)
        else:
            current += every
    last = min(rec.index_at(horizon), rec.last if rec.last is not None else 10**9)
    assert [rec.at(n) for n in range(1, last + 1)] == stepped
    for n, when in enumerate(stepped, start=1):
        assert rec.index_at(when) == n
        assert rec.index_at(when - timedelta(microseconds=1)) == n - 1
