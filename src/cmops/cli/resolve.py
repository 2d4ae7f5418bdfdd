"""``cmops resolve``: settle an item by hand, typically one that needs a human."""

from __future__ import annotations

from pathlib import Path

import click

from cmops.cli.params import state_options


@click.command("resolve")
@click.argument("post")
@click.option("--channel", required=True, metavar="NAME", help="The channel of the item.")
@click.option("--as", "resolution", required=True,
              type=click.Choice(["published", "failed", "retry", "withdrawn"]),
              help="published: it is on the network (give --url); failed: it is not and "
                   "must not be sent; retry: it is not, send it on the next run; "
                   "withdrawn: it was deleted on the network by hand (a withdrawn post).")
@click.option("--url", help="Where the post is (with --as published).")
@click.option("--id", "remote_id", help="The network's id of the post, if known.")
@click.option("--reason", help="Why (kept in the ledger).")
@click.option("--occurrence", type=click.IntRange(min=1),
              help="Which occurrence of a repeating post.")
@click.option("--by", "by", help="Who is settling it.")
@state_options()
@click.pass_context
def command(ctx: click.Context, post: str, channel: str, resolution: str, url: str | None,
            remote_id: str | None, reason: str | None, occurrence: int | None, by: str | None,
            state: Path | None, state_branch: str | None) -> None:
    """Settle an item by hand, typically one that needs a human.

    Check the network first: if the post is there, record it as published with its URL; if
    it is not, either retry it (the next run sends it) or mark it failed.

    Example:

    \b
        cmops resolve spring-teaser --channel mastodon-main --as published \\
            --url https://mastodon.social/@lumenvelo/113
        cmops resolve spring-teaser --channel x-main --as retry
        cmops resolve spring-teaser --channel instagram-main --as withdrawn
    """
    from cmops.cli.common import load, now_or, open_store
    from cmops.status import ResolveError
    from cmops.status import resolve as run

    root, calendar, _ = load(ctx)
    with open_store(root, state, state_branch) as store:
        try:
            record = run(calendar, store, post=post, channel=channel, resolution=resolution,
                         now=now_or(None), url=url, remote_id=remote_id, reason=reason,
                         occurrence=occurrence, by=by)
        except ResolveError as exc:
            raise click.UsageError(str(exc)) from None
    click.echo(f"{record.key}: {record.state}" + (f" at {record.url}" if record.url else ""))
