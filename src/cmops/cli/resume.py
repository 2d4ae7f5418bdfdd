"""``cmops resume``: end a crisis pause."""

from __future__ import annotations

import click


@click.command("resume")
@click.pass_context
def command(ctx: click.Context) -> None:
    """End a crisis pause (rewrites calendar/pause.yaml with paused: false).

    Posts whose time passed during the pause are published on the next run if they are
    still within their max_delay, and reported as expired otherwise.

    Example:

    \b
        cmops resume
    """
    from cmops.cli.common import repo_root
    from cmops.pausefile import write_resume

    root = repo_root(ctx)
    path = write_resume(root)
    click.echo(f"Publishing resumed. Wrote {path.relative_to(root)}; commit it.")
