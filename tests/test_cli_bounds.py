"""Odd option values a careless user or a script may pass: a usage error (exit 2) that names
the option, never a crash (exit 3)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import Runner


@pytest.mark.parametrize(("args", "option"), [
    (("publish", "--dry-run", "--budget", "inf"), "--budget"),
    (("publish", "--dry-run", "--budget", "nan"), "--budget"),
    (("publish", "--dry-run", "--budget", "1e308"), "--budget"),
    (("publish", "--dry-run", "--at", "9999-12-31T23:59Z"), "--at"),
    (("publish", "--dry-run", "--at", "0001-01-01T00:00+14:00"), "--at"),
    (("plan", "--at", "9999-12-20T00:00Z", "--days", "3660"), "--at"),
    (("plan", "--until", "9999-12-31T00:00Z"), "--until"),
    (("status", "--at", "1900-01-01T00:00Z"), "--at"),
    (("kpi", "--at", "9999-01-01T00:00Z"), "--at"),
    (("collect", "--since", "0001-01-01T00:00Z"), "--since"),
    (("report", "--no-build", "--at", "9999-01-01T00:00Z"), "--at"),
])
def test_out_of_range_options_are_usage_errors(run: Runner, repo: Path, args: tuple[str, ...],
                                               option: str) -> None:
    result = run(*args, root=repo)
    assert result.exit_code == 2, result.output
    assert option in result.output
    assert "bug in cmops" not in result.output


def test_the_last_year_in_range_still_plans(run: Runner, repo: Path) -> None:
    result = run("plan", "--at", "2100-12-20T00:00Z", "--days", "3660", root=repo)
    assert result.exit_code == 0, result.output
