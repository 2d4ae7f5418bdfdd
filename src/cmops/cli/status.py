"""``cmops status``: every post × channel with its state, link, attempts and last error."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from cmops.cli.params import at_option, state_options


@click.command("status")
@state_options()
@at_option("As if it were this time (default: now).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text for people, json for tools.")
@click.pass_context
def command(ctx: click.Context, state: Path | None, state_branch: str | None,
            at: datetime | None, fmt: str) -> None:
    """Show every post × channel with its state, link, attempts and last error.

    States: scheduled, due, published, failed, expired, needs_human, in_progress (an
    attempt whose outcome the next run reconciles), paused, standby, skipped, withdraw (a
    withdrawn post the next run takes down), withdrawn (taken down: when and why are shown).

    Exit status: 0, or 1 when an item needs a human.

    Example:

    \b
        cmops status
        cmops status --format json | jq '.items[] | select(.state == "needs_human")'
    """
    from cmops.cli.common import EXIT_CONTENT, EXIT_OK, load, now_or, open_store
    from cmops.status import RENDERERS
    from cmops.status import status as run

    root, calendar, _ = load(ctx)
    with open_store(root, state, state_branch) as store:
        rows = run(calendar, store, now_or(at))
    click.echo(RENDERERS[fmt](rows, store.description))
    ctx.exit(EXIT_CONTENT if any(r.state == "needs_human" for r in rows) else EXIT_OK)
