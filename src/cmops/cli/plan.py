"""``cmops plan``: what will go out, where and when, like terraform plan."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

import click

from cmops.cli.params import at_option


@click.command("plan")
@at_option("Plan as if it were this time (default: now).")
@at_option("Show items up to this time.", "--until")
@click.option("--days", type=click.IntRange(min=1, max=3660), default=14, show_default=True,
              help="Show items up to this many days ahead (ignored with --until).")
@click.option("--channel", "channels", multiple=True, metavar="NAME",
              help="Only this channel (repeatable).")
@click.option("--base", metavar="REF",
              help="Also show what changed against this git revision (e.g. origin/main).")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]),
              default="text", show_default=True,
              help="text for people, markdown for PR comments and job summaries, json for "
                   "tools.")
@click.option("--state-branch", metavar="NAME",
              help="Read what was published from this git branch (as cmops publish "
                   "--state-branch writes it; only read, never written) instead of "
                   ".cmops/state, so the plan shows the edits and withdrawals a change "
                   "causes. In a pull request's review: the checkout's "
                   "origin/NAME when the remote cannot be fetched.")
@click.pass_context
def command(ctx: click.Context, at: datetime | None, until: datetime | None, days: int,
            channels: tuple[str, ...], base: str | None, fmt: str,
            state_branch: str | None) -> None:
    """Show what will go out, where and when, like terraform plan.

    Every occurrence in the window, grouped by day: channel, local time, campaign, the text
    as each network will receive it with its length against the limit, media, thread parts,
    and the state (due, scheduled, expired, paused, standby, published). What needs action
    now is listed whatever its time: a published post whose text changed (edit, with the
    diff of each message) and one set to withdrawn (withdraw). With --base, also the posts a
    pull request adds, changes, reschedules or removes, and for a published one whether its
    new text is edited on each channel or not applied (and why).

    Exit status: 0, or 1 when the calendar has validation errors.

    Example:

    \b
        cmops plan --days 7
        cmops plan --base origin/main --format markdown >> "$GITHUB_STEP_SUMMARY"
        cmops plan --base origin/main --state-branch cmops-state
    """
    from cmops import prepare
    from cmops.cli.common import (
        EXIT_CONTENT,
        EXIT_OK,
        check_channels,
        ledger_view,
        load,
        measurer,
        now_or,
    )
    from cmops.plan import build_plan
    from cmops.planview import RENDERERS, PlanView

    now = now_or(at)
    end = until if until else now + timedelta(days=days)
    if end < now:
        raise click.BadParameter("must be after --at", param_hint="--until")
    root, calendar, report = load(ctx)
    check_channels(calendar, channels)
    result = build_plan(calendar, now, horizon=end, ledger=ledger_view(root, state_branch),
                        since=now - timedelta(days=1))
    view = PlanView(result, calendar, result.window(now - timedelta(days=1), end, channels),
                    now - timedelta(days=1), end, measurer=measurer(),
                    media_note=partial(prepare.channel_note, root, calendar))
    if base:
        from cmops.diff import diff_calendars
        from cmops.gitfiles import GitError, files_at, resolve_ref
        from cmops.validate import calendar_from_bytes

        try:
            commit = resolve_ref(root, base)
            base_calendar = calendar_from_bytes(files_at(root, commit))
        except GitError as exc:
            raise click.UsageError(str(exc)) from None
        view.changes = diff_calendars(base_calendar, calendar)
        view.base = base
    click.echo(RENDERERS[fmt](view))
    ctx.exit(EXIT_OK if report.ok else EXIT_CONTENT)
