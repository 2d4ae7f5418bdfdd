"""``cmops publish``: publish what is due, exactly once, and record it in the ledger."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cmops.cli.params import at_option, finite, state_options

if TYPE_CHECKING:
    from cmops.publish import Outcome


@click.command("publish")
@at_option("Publish as if it were this time (default: now).")
@click.option("--channel", "channels", multiple=True, metavar="NAME",
              help="Only this channel (repeatable): e.g. one job per channel in a matrix.")
@click.option("--post", "posts", multiple=True, metavar="ID",
              help="Only this post (repeatable). Needed to publish a standby holding "
                   "statement.")
@click.option("--dry-run", is_flag=True, help="Show what would be sent; send nothing.")
@state_options()
@click.option("--budget", type=click.FloatRange(min=30, max=21600), default=600,
              callback=finite, show_default=True,
              metavar="SECONDS", help="Time budget of the run: no send starts when less "
                                      "than 30 s of it is left.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text for people (progress on stderr, a table at the "
                                      "end), json for tools.")
@click.pass_context
def command(ctx: click.Context, at: datetime | None, channels: tuple[str, ...],
            posts: tuple[str, ...], dry_run: bool, state: Path | None,
            state_branch: str | None, budget: float, fmt: str) -> None:
    """Publish what is due, exactly once, and record it in the ledger.

    Every due post × channel (and thread part) is claimed, written to the ledger as an
    intent, sent, and recorded with its outcome. An attempt whose outcome was lost (a crash,
    a timeout) is reconciled with the network before anything is sent again; when nothing
    can prove what happened the item needs a human (cmops resolve). Credentials come from
    the environment variables named in channels.yaml and are never printed.

    Exit status: 0 when everything due was published; 1 when anything failed, expired, is
    waiting for a retry or needs a human.

    Example:

    \b
        cmops publish
        cmops publish --channel newsroom --at 2026-12-02T12:00+01:00
        cmops publish --post delivery-delays-holding   # a holding statement, on request
        cmops publish --state-branch cmops-state       # in CI
    """
    from cmops.cli.common import EXIT_CONTENT, EXIT_OK, check_channels, load, now_or, open_store
    from cmops.output import publish_json, publish_progress, publish_table
    from cmops.publish import Options, Publisher, adapter_factory
    from cmops.secrets import Redactor

    now = now_or(at)
    # Every file is read and checked afresh: the publisher never trusts a cache for what it
    # may send, and holds back whatever fails (cmops.gate).
    root, calendar, report = load(ctx, use_cache=False)
    check_channels(calendar, channels)
    known = {p.id: p for p in calendar.posts}
    missing = [p for p in posts if p not in known]
    if missing:
        raise click.BadParameter(f"no such post: {', '.join(missing)}", param_hint="--post")
    assert calendar.gate is not None
    refused = [(p, why) for p in posts
               if (why := calendar.gate.holds(p, "", known[p].campaign))]
    if refused:
        for post_id, why in refused:
            click.echo(f"cmops: refusing to publish {post_id}: {why}", err=True)
        ctx.exit(EXIT_CONTENT)
    redactor = Redactor()

    def progress(outcome: Outcome) -> None:
        if fmt == "text":
            click.echo(publish_progress(outcome, redactor), err=True)

    options = Options(now, channels, posts, dry_run, budget)
    with open_store(root, state, state_branch) as store, \
            adapter_factory(root, calendar, redactor, store=store) as adapters:
        result = Publisher(root, calendar, store, adapters, options, progress=progress).run()
    click.echo(redactor(publish_json(result) if fmt == "json" else publish_table(result)))
    if result.held:
        click.echo(redactor(f"cmops: {result.held}"), err=True)
    ctx.exit(EXIT_OK if result.ok and report.ok else EXIT_CONTENT)
