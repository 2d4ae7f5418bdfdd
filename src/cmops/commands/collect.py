"""``cmops collect``: read counters, followers and the inbox into the state store."""

from __future__ import annotations

import json
from pathlib import Path

import click

EXIT_CRISIS = 4
"""A crisis threshold fired (a new episode): open an issue, notify, consider cmops pause."""


@click.command("collect")
@click.option("--at", "at", metavar="ISO", help="Collect as if it were this time (default: now).")
@click.option("--since", "since", metavar="ISO",
              help="Read counters of posts published since then (default: the window of "
                   "listening.yaml, 30 days).")
@click.option("--state", "state", type=click.Path(path_type=Path), metavar="PATH",
              help="State directory (default: .cmops/state in the content repository).")
@click.option("--state-branch", "state_branch", metavar="NAME",
              help="Keep the state on this git branch of origin (CI; e.g. cmops-state).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text for people (progress on stderr), json for tools.")
@click.pass_context
def command(ctx: click.Context, at: str | None, since: str | None, state: Path | None,
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
    from cmops.cli import EXIT_CONTENT, EXIT_OK, _load, _parse_at, _store
    from cmops.collect import collect
    from cmops.ga4 import AnalyticsError, load_setup
    from cmops.listening import ListeningError, parse_listening, read_listening
    from cmops.publish import adapter_factory
    from cmops.secrets import Redactor

    now = _parse_at(at)
    start = _parse_at(since, "--since") if since else None
    if start is not None and start > now:
        raise click.BadParameter("must be before --at", param_hint="--since")
    root, calendar, _ = _load(ctx)
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
    store = _store(root, state, state_branch)

    def progress(channel: str, message: str) -> None:
        if fmt == "text":
            click.echo(f"  {channel:<20} {redactor(message)}", err=True)

    try:
        result = collect(calendar, rules, store, adapter_factory(root, calendar, redactor),
                         now, start, progress, analytics=analytics)
    finally:
        store.close()
    if fmt == "json":
        click.echo(redactor(json.dumps(result.as_json(), indent=2, ensure_ascii=False)))
    else:
        click.echo(redactor(_table(result)))
    if result.crisis:
        ctx.exit(EXIT_CRISIS)
    ctx.exit(EXIT_OK if result.ok else EXIT_CONTENT)


def _table(result: object) -> str:
    from cmops.collect import CollectResult

    assert isinstance(result, CollectResult)
    lines = [f"Collected at {result.now:%Y-%m-%d %H:%M}Z into {result.store}",
             f"{'channel':<20} {'posts':>5} {'followers':>9} {'new':>4} {'answered':>8}  notes"]
    for c in result.channels:
        followers = "unknown" if c.followers is None else str(c.followers)
        notes = c.error or "; ".join(f"{k} unavailable" for k in sorted(c.unavailable))
        lines.append(f"{c.channel:<20} {c.posts:>5} {followers:>9} {c.new_items:>4} "
                     f"{c.answered:>8}  {notes}")
    if result.analytics is not None:
        lines.append(result.analytics.line())
    for s in result.crisis:
        lines.append(f"CRISIS {s.rule}: {s.detail}. Review the inbox; to stop publishing: "
                     "cmops pause --reason \"…\"")
    for rule, since in sorted(result.open_episodes.items()):
        if not any(s.rule == rule for s in result.crisis):
            lines.append(f"crisis episode {rule} still open since {since}")
    return "\n".join(lines)
