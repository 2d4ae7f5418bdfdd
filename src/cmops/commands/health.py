"""``cmops health``: fail loudly when publishing has stopped happening.

GitHub runs scheduled workflows late, drops some runs, and disables schedules after 60 days
without repository activity, all silently. Every publish run records a heartbeat in the
state store (at most hourly); this command fails when the last one is older than
``--max-age``, so a daily workflow can open an issue before posts pile up as expired.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import click


@click.command("health")
@click.option("--max-age", default="3h", show_default=True, metavar="DURATION",
              help="Fail when the last publish run is older than this (e.g. 90m, 3h, 1d). "
                   "Runs record a heartbeat at most hourly: keep it above 1h.")
@click.option("--at", "at", metavar="ISO", help="As if it were this time (default: now).")
@click.option("--state", "state", type=click.Path(path_type=Path), metavar="PATH",
              help="Ledger directory (default: .cmops/state in the content repository).")
@click.option("--state-branch", "state_branch", metavar="NAME",
              help="Read the ledger from this git branch of origin (CI).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text for people, json for tools.")
@click.pass_context
def command(ctx: click.Context, max_age: str, at: str | None, state: Path | None,
            state_branch: str | None, fmt: str) -> None:
    """Check that publish runs keep happening (the scheduler is alive).

    Exit status: 0 healthy; 1 no publish run recorded, or the last one is older than
    --max-age; 2 usage error.

    Example:

        cmops health --state-branch cmops-state --max-age 3h
    """
    from cmops.cli import EXIT_CONTENT, EXIT_OK, _parse_at, _root, _store
    from cmops.publish import HEARTBEAT, heartbeat_time
    from cmops.schedule import TimeError, parse_duration

    try:
        limit = parse_duration(max_age)
    except TimeError as exc:
        raise click.BadParameter(str(exc), param_hint="--max-age") from None
    if limit < timedelta(hours=1):
        raise click.BadParameter("runs record a heartbeat at most hourly: use 1h or more",
                                 param_hint="--max-age")
    now = _parse_at(at)
    store = _store(_root(ctx), state, state_branch)
    try:
        store.load()
        last = heartbeat_time(store.read_files("runs/").get(HEARTBEAT))
    finally:
        store.close()
    age = None if last is None else now - last
    healthy = age is not None and age <= limit
    if fmt == "json":
        click.echo(json.dumps({"healthy": healthy, "max_age_seconds": limit.total_seconds(),
                               "last_run": last.isoformat().replace("+00:00", "Z")
                               if last else None,
                               "age_seconds": age.total_seconds() if age else None}))
    elif last is None:
        click.echo(f"No publish run recorded in {store.description}: has the publish "
                   "workflow ever run?")
    elif healthy:
        click.echo(f"OK: last publish run {_human(age)} ago (limit {max_age}).")
    else:
        click.echo(f"STALE: last publish run {_human(age)} ago, at {last:%Y-%m-%d %H:%M}Z "
                   f"(limit {max_age}). Scheduled runs may be delayed, failing or disabled "
                   "(GitHub disables schedules after 60 days without repository activity: "
                   "re-enable the publish workflow in the Actions tab).")
    ctx.exit(EXIT_OK if healthy else EXIT_CONTENT)


def _human(delta: timedelta | None) -> str:
    minutes = int(delta.total_seconds() // 60) if delta else 0
    hours, mins = divmod(minutes, 60)
    return f"{hours}h{mins:02d}" if hours else f"{mins} min"
