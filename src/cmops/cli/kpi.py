"""``cmops kpi``: engagement, comments, shares, DM replies, growth and goals, per scope."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path

import click

from cmops.cli.params import at_option, state_options


def _day(value: str | None, name: str, zone: tzinfo, shift: int = 0) -> datetime | None:
    """The start of a day of the calendar's zone (``shift`` days later)."""
    if value is None:
        return None
    try:
        day = date.fromisoformat(value) + timedelta(days=shift)
    except (ValueError, OverflowError):
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)",
                                 param_hint=name) from None
    return datetime.combine(day, time(), zone)


@click.command("kpi")
@click.option("--campaign", metavar="ID", help="Only this campaign (with its goals).")
@click.option("--channel", metavar="NAME", help="Only this channel.")
@click.option("--from", "start", metavar="DATE",
              help="First day of the period (a day of the calendar's time zone).")
@click.option("--to", "end", metavar="DATE",
              help="Last day of the period (a day of the calendar's time zone, inclusive).")
@at_option("As if it were this time (default: now).")
@state_options("State directory (default: .cmops/state in the content repository).",
               "Read the state from this git branch of origin (e.g. cmops-state).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text for people, json for tools.")
@click.pass_context
def command(ctx: click.Context, campaign: str | None, channel: str | None, start: str | None,
            end: str | None, at: datetime | None, state: Path | None, state_branch: str | None,
            fmt: str) -> None:
    """Show the KPIs computed from collected snapshots, and each campaign's goals.

    Per scope (each campaign, each channel, and all together; or the one asked for):
    engagement rate (interactions / reach, where reach is impressions when the network gives
    them, else followers, and the report says which), comments, shares, DM replies with the
    median first-response time, community growth, posts published, failed and expired, and
    each goal as met, on track or behind. Formulas: cmops.kpi (KPI_VERSION in the JSON).

    Days are the calendar's (timezone in calendar/channels.yaml): --from and --to, and the
    period shown. Posts count the ledger's items and the plan's expiries exactly as the
    site's dashboard, campaign pages and published log do.

    Exit status: 0; 2 usage error.

    Example:

    \b
        cmops kpi --campaign winter-lights-2026
        cmops kpi --channel mastodon-main --from 2026-11-01 --to 2026-11-30 --format json
    """
    from cmops.cli.common import load, now_or, open_store
    from cmops.kpi import calendar_zone, report
    from cmops.ledger import Record, ledger_view
    from cmops.plan import build_plan
    from cmops.snapshots import read_history

    now = now_or(at)
    root, calendar, _ = load(ctx)
    zone = calendar_zone(calendar.timezone)
    first, last = _day(start, "--from", zone), _day(end, "--to", zone, shift=1)
    if first and last and last <= first:
        raise click.BadParameter("must not be before --from", param_hint="--to")
    if campaign and campaign not in calendar.campaigns:
        raise click.BadParameter(f"no such campaign: {campaign}", param_hint="--campaign")
    if channel and channel not in calendar.channels:
        raise click.BadParameter(f"unknown channel: {channel}", param_hint="--channel")
    with open_store(root, state, state_branch) as store:
        loaded = store.load()
        files = {**store.read_files("snapshots"), **store.read_files("inbox")}
    records = [r for r in loaded.values() if isinstance(r, Record)]
    # The same plan the report builds: its expiries the ledger never saw are counted too.
    plan = build_plan(calendar, now, horizon=now, ledger=ledger_view(dict(loaded)))
    history = read_history(files, until=now)
    scopes = report(calendar, records, history.readings, history.followers,
                    history.messages(), now, campaign=campaign, channel=channel,
                    start=first, end=last - timedelta(microseconds=1) if last else None,
                    plan_items=plan.items,
                    messages_known=any(rel.startswith("inbox/") for rel in files))
    from cmops.output import kpi_json, kpi_text

    shown = kpi_json(scopes) if fmt == "json" else kpi_text(scopes)
    if shown:  # no scope, no text
        click.echo(shown)
