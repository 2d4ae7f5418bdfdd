"""``cmops kpi``: engagement, comments, shares, DM replies, growth and goals, per scope."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import click


def _day(value: str | None, name: str, shift: int = 0) -> datetime | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value) + timedelta(days=shift)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)",
                                 param_hint=name) from None
    return datetime.combine(day, time(), UTC)


@click.command("kpi")
@click.option("--campaign", metavar="ID", help="Only this campaign (with its goals).")
@click.option("--channel", metavar="NAME", help="Only this channel.")
@click.option("--from", "start", metavar="DATE", help="First day of the period (UTC).")
@click.option("--to", "end", metavar="DATE", help="Last day of the period (UTC, inclusive).")
@click.option("--at", "at", metavar="ISO", help="As if it were this time (default: now).")
@click.option("--state", "state", type=click.Path(path_type=Path), metavar="PATH",
              help="State directory (default: .cmops/state in the content repository).")
@click.option("--state-branch", "state_branch", metavar="NAME",
              help="Read the state from this git branch of origin (e.g. cmops-state).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text for people, json for tools.")
@click.pass_context
def command(ctx: click.Context, campaign: str | None, channel: str | None, start: str | None,
            end: str | None, at: str | None, state: Path | None, state_branch: str | None,
            fmt: str) -> None:
    """Show the KPIs computed from collected snapshots, and each campaign's goals.

    Per scope (each campaign, each channel, and all together; or the one asked for):
    engagement rate (interactions / reach, where reach is impressions when the network gives
    them, else followers, and the report says which), comments, shares, DM replies with the
    median first-response time, community growth, posts published, failed and expired, and
    each goal as met, on track or behind. Formulas: cmops.kpi (KPI_VERSION in the JSON).

    Exit status: 0; 2 usage error.

    Example:

    \b
        cmops kpi --campaign winter-lights-2026
        cmops kpi --channel mastodon-main --from 2026-11-01 --to 2026-11-30 --format json
    """
    from cmops.cli import _load, _parse_at, _store
    from cmops.kpi import report
    from cmops.ledger import Record
    from cmops.snapshots import read_history

    now = _parse_at(at)
    first, last = _day(start, "--from"), _day(end, "--to", shift=1)
    if first and last and last <= first:
        raise click.BadParameter("must not be before --from", param_hint="--to")
    root, calendar, _ = _load(ctx)
    if campaign and campaign not in calendar.campaigns:
        raise click.BadParameter(f"no such campaign: {campaign}", param_hint="--campaign")
    if channel and channel not in calendar.channels:
        raise click.BadParameter(f"unknown channel: {channel}", param_hint="--channel")
    store = _store(root, state, state_branch)
    try:
        records = [r for r in store.load().values() if isinstance(r, Record)]
        files = {**store.read_files("snapshots"), **store.read_files("inbox")}
    finally:
        store.close()
    history = read_history(files, until=now)
    scopes = report(calendar, records, history.readings, history.followers,
                    history.messages(), now, campaign=campaign, channel=channel,
                    start=first, end=last - timedelta(seconds=1) if last else None)
    if fmt == "json":
        click.echo(json.dumps({"scopes": [k.as_json() for k in scopes]}, indent=2,
                              ensure_ascii=False))
        return
    for k in scopes:
        data = k.as_json()
        rate = "unknown" if data["engagement_rate"] is None else \
            f"{data['engagement_rate']} % (reach from {data['reach_basis']})"
        growth = "unknown" if data["growth_rate"] is None else f"{data['growth_rate']} %"
        median = data["median_first_response_seconds"]
        posts = data["posts"]
        click.echo(f"{k.scope}  {data['from'][:10]} → {data['to'][:10]}")
        click.echo(f"  engagement rate   {rate}; {data['posts_unmeasured']} post(s) "
                   "without metrics")
        click.echo(f"  comments {_n(data['comments'])}, shares {_n(data['shares'])}, "
                   f"DM replies {data['dm_replies']}"
                   + (f" (median first response {median / 60:.0f} min)" if median else ""))
        click.echo(f"  growth            {growth}")
        click.echo(f"  posts             {posts['published']} published, {posts['failed']} "
                   f"failed, {posts['expired']} expired")
        for g in data["goals"]:
            click.echo(f"  goal {g['goal']:<16} {g['status']:<9} actual {_n(g['actual'])} "
                       f"/ target {g['target']:g}"
                       + (f" (expected by now {g['expected_by_now']:g})"
                          if g["expected_by_now"] is not None and g["status"] != "met"
                          else ""))


def _n(value: float | int | None) -> str:
    return "unknown" if value is None else f"{value:g}"
