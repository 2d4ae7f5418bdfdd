"""``cmops collect``: read counters, followers and the inbox into the state store."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click

from cmops.cli.params import at_option, state_options

EXIT_CRISIS = 4
"""A crisis threshold fired (a new episode): open an issue, notify, consider cmops pause."""


@click.command("collect")
@at_option("Collect as if it were this time (default: now).")
@at_option("Read counters of posts published since then (default: the window of "
           "listening.yaml, 30 days).", "--since")
@state_options("State directory (default: .cmops/state in the content repository).",
               "Keep the state on this git branch of origin (CI; e.g. cmops-state).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text for people (progress on stderr), json for tools.")
@click.pass_context
def command(ctx: click.Context, at: datetime | None, since: datetime | None, state: Path | None,
            state_branch: str | None, fmt: str) -> None:
    """Collect metrics, followers, the inbox and crisis signals from every channel.

    For every published post within the collection window, its counters (likes, comments,
    shares, quotes, impressions where the network gives them) go into a dated snapshot;
    every channel gets a followers reading; new mentions, replies, quotes and direct
    messages since the last run are added to the inbox, labelled positive, neutral or
    negative by a lexicon heuristic. Networks that give no metrics are recorded as
    unavailable, never as zero. Then the crisis thresholds of calendar/listening.yaml are
    evaluated: each fires once per episode.

    Exit status: 0 collected; 1 a channel could not be read (the others were); 2 usage
    error; 4 a crisis signal fired (JSON field "crisis"): review the inbox and consider
    cmops pause.

    Example:

    \b
        cmops collect
        cmops collect --state-branch cmops-state --format json    # in CI
    """
    from cmops.cli.common import EXIT_CONTENT, EXIT_OK, load, now_or, open_store
    from cmops.collect import collect
    from cmops.ga4 import AnalyticsError, load_setup
    from cmops.listening import ListeningError, parse_listening, read_listening
    from cmops.output import collect_table
    from cmops.publish import adapter_factory
    from cmops.secrets import Redactor

    now = now_or(at)
    start = since
    if start is not None and start > now:
        raise click.BadParameter("must be before --at", param_hint="--since")
    root, calendar, _ = load(ctx)
    rules_file = root / "calendar" / "listening.yaml"
    try:
        rules = parse_listening(read_listening(rules_file))
    except ListeningError as exc:
        raise click.UsageError(str(exc)) from None
    redactor = Redactor()
    try:
        analytics = load_setup(root, redactor)
    except AnalyticsError as exc:
        raise click.UsageError(str(exc)) from None

    def progress(channel: str, message: str) -> None:
        if fmt == "text":
            click.echo(f"  {channel:<20} {redactor(message)}", err=True)

    with open_store(root, state, state_branch) as store, \
            adapter_factory(root, calendar, redactor, store=store) as adapters:
        result = collect(calendar, rules, store, adapters, now, start, progress,
                         analytics=analytics)
    if fmt == "json":
        click.echo(redactor(json.dumps(result.as_json(), indent=2, ensure_ascii=False)))
    else:
        click.echo(redactor(collect_table(result)))
    if result.crisis:
        ctx.exit(EXIT_CRISIS)
    ctx.exit(EXIT_OK if result.ok else EXIT_CONTENT)

