"""``cmops health``: fail loudly when publishing has stopped happening.

GitHub runs scheduled workflows late, drops some runs, and disables schedules after 60 days
without repository activity, all silently. Every publish run records a heartbeat in the
state store (at most hourly); this command fails when the last one is older than
``--max-age``, so a daily workflow can open an issue before posts pile up as expired.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import click

from cmops.cli.params import at_option, state_options


@click.command("health")
@click.option("--max-age", default="3h", show_default=True, metavar="DURATION",
              help="Fail when the last publish run is older than this (e.g. 90m, 3h, 1d). "
                   "Runs record a heartbeat at most hourly: keep it above 1h.")
@at_option("As if it were this time (default: now).")
@state_options(branch_help="Read the ledger from this git branch of origin (CI).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text for people, json for tools.")
@click.pass_context
def command(ctx: click.Context, max_age: str, at: datetime | None, state: Path | None,
            state_branch: str | None, fmt: str) -> None:
    """Check that publish runs keep happening (the scheduler is alive).

    Exit status: 0 healthy; 1 no publish run recorded, or the last one is older than
    --max-age; 2 usage error.

    Example:

        cmops health --state-branch cmops-state --max-age 3h
    """
    from cmops.cli.common import EXIT_CONTENT, EXIT_OK, now_or, open_store, repo_root
    from cmops.output import health_json, health_text
    from cmops.publish import HEARTBEAT, heartbeat_time
    from cmops.schedule import TimeError, parse_duration

    try:
        limit = parse_duration(max_age)
    except TimeError as exc:
        raise click.BadParameter(str(exc), param_hint="--max-age") from None
    if limit < timedelta(hours=1):
        raise click.BadParameter("runs record a heartbeat at most hourly: use 1h or more",
                                 param_hint="--max-age")
    now = now_or(at)
    with open_store(repo_root(ctx), state, state_branch) as store:
        store.load()
        last = heartbeat_time(store.read_files("runs/").get(HEARTBEAT))
    age = None if last is None else now - last
    healthy = age is not None and age <= limit
    click.echo(health_json(healthy, limit, last, age) if fmt == "json"
               else health_text(healthy, max_age, last, age, store.description))
    ctx.exit(EXIT_OK if healthy else EXIT_CONTENT)

