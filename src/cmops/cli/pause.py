"""``cmops pause``: the crisis pause, written to calendar/pause.yaml."""

from __future__ import annotations

from datetime import datetime

import click

from cmops.cli.params import at_option


@click.command("pause")
@click.option("--reason", required=True, help="Why: shown in the plan, the publisher and the site.")
@click.option("--channel", "channels", multiple=True, metavar="NAME",
              help="Pause only this channel (repeatable; default: every channel).")
@click.option("--by", "by", help="Who is pausing (a name or GitHub handle).")
@at_option("Time of the pause (default: now).")
@click.pass_context
def command(ctx: click.Context, reason: str, channels: tuple[str, ...], by: str | None,
            at: datetime | None) -> None:
    """Crisis pause: stop all publishing at once by writing calendar/pause.yaml.

    Nothing is due on the paused channels until cmops resume; the plan and the publisher say
    why. Holding statements (status: standby) stay ready to publish with
    cmops publish --post ID. Commit the file so the freeze is in the history.

    Example:

    \b
        cmops pause --reason "Product recall: all comms on hold" --by @camille
        cmops pause --reason "Outage" --channel x-main
    """
    from cmops.cli.common import check_channels, load, now_or
    from cmops.pausefile import write_pause

    root, calendar, _ = load(ctx)
    check_channels(calendar, channels)
    path = write_pause(root, reason=reason, channels=list(channels) or None, by=by,
                       since=now_or(at))
    scope = ", ".join(channels) if channels else "every channel"
    click.echo(f"Paused {scope}: {reason}\nWrote {path.relative_to(root)}; commit it. "
               "Resume with cmops resume.")
