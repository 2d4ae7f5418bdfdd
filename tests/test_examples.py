"""Data-driven acceptance cases: every file under examples/valid must pass; every file under
examples/invalid must produce exactly the `# expect: LINE:COL RULE` problems it states."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from cmops.validate import validate

EXAMPLES = Path(__file__).parent / "examples"
TARGET = {"posts": "calendar/posts/case.yaml", "campaigns": "calendar/campaigns/case.yaml",
          "channels": "calendar/channels.yaml"}


def _cases(kind: str) -> list[Path]:
    return sorted((EXAMPLES / kind).glob("*/*.yaml"))


def _install(repo: Path, case: Path) -> str:
    target = TARGET[case.parent.name]
    shutil.copy(case, repo / target)
    return target


@pytest.mark.parametrize("case", _cases("valid"), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_valid_example(repo: Path, case: Path) -> None:
    _install(repo, case)
    report = validate(repo, use_cache=False)
    assert [p for p in report.problems] == []


@pytest.mark.parametrize("case", _cases("invalid"), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_invalid_example(repo: Path, case: Path) -> None:
    expected = sorted(re.findall(r"^# expect: (\d+):(\d+) (\S+)$", case.read_text("utf-8"),
                                 re.M))
    assert expected, f"{case} states no expected problem"
    target = _install(repo, case)
    report = validate(repo, use_cache=False)
    got = sorted((str(p.line), str(p.column), p.rule) for p in report.problems
                 if p.file == target)
    assert got == expected, "\n".join(f"{p.line}:{p.column} {p.rule}: {p.message}"
                                       for p in report.problems)
    assert not report.ok or all(p.severity.value == "warning" for p in report.problems)


def test_base_is_valid(repo: Path) -> None:
    assert validate(repo, use_cache=False).problems == []


def test_example_calendar_is_valid() -> None:
    report = validate(Path(__file__).parent.parent, use_cache=False)
    assert report.problems == []
    assert report.files >= 8
