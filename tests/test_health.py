"""cmops health: a publish run leaves a heartbeat; a stale or missing one fails loudly."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Runner, json_out


def test_heartbeat_is_written_hourly_and_checked(run: Runner, repo: Path) -> None:
    missing = run("health", "--at", "2026-11-24T09:00Z", root=repo)
    assert missing.exit_code == 1
    assert "No publish run recorded" in missing.stdout
    assert run("publish", "--at", "2026-11-24T09:00Z", root=repo).exit_code == 0
    beat = repo / ".cmops/state/runs/heartbeat.json"
    assert json.loads(beat.read_text())["at"] == "2026-11-24T09:00:00Z"
    run("publish", "--at", "2026-11-24T09:30Z", root=repo)  # within the hour: not rewritten
    assert json.loads(beat.read_text())["at"] == "2026-11-24T09:00:00Z"
    run("publish", "--at", "2026-11-24T10:05Z", root=repo)
    assert json.loads(beat.read_text())["at"] == "2026-11-24T10:05:00Z"

    ok = run("health", "--at", "2026-11-24T12:00Z", root=repo)
    assert ok.exit_code == 0 and ok.stdout.strip() == "OK: last publish run 1h55 ago (limit 3h)."
    stale = run("health", "--at", "2026-11-24T20:00Z", "--format", "json", root=repo)
    assert stale.exit_code == 1
    assert json_out(stale) == {"healthy": False, "max_age_seconds": 10800.0,
                               "last_run": "2026-11-24T10:05:00Z", "age_seconds": 35700.0}
    text = run("health", "--at", "2026-11-24T20:00Z", root=repo).stdout
    assert text.startswith("STALE: last publish run 9h55 ago")
    assert "60 days" in text


def test_max_age_below_the_heartbeat_interval_is_refused(run: Runner, repo: Path) -> None:
    result = run("health", "--max-age", "30m", root=repo)
    assert result.exit_code == 2 and "at most hourly" in result.output


def test_dry_run_leaves_no_heartbeat(run: Runner, repo: Path) -> None:
    run("publish", "--dry-run", "--at", "2026-11-24T09:00Z", root=repo)
    assert not (repo / ".cmops/state/runs/heartbeat.json").exists()
