"""``cmops new post``: a new post file with a fresh id and the schema line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from cmops.model import Link


@click.group("new")
def command() -> None:
    """Create content files."""


@command.command("post")
@click.option("--channel", "channels", multiple=True, required=True, metavar="NAME",
              help="A channel from calendar/channels.yaml (repeatable).")
@click.option("--at", "at", metavar="TIME",
              help="publish_at: local time in the channel's zone (2026-12-01T09:30), with an "
                   "offset, or next-slot. Absent: a draft without a time.")
@click.option("--text", required=True, help="The post's text (- reads it from standard input).")
@click.option("--id", "post_id", help="The post id (default: made from the text, unique).")
@click.option("--campaign", help="A campaign id.")
@click.option("--status", type=click.Choice(["draft", "ready", "standby"]), default="draft",
              show_default=True, help="ready means approved once merged.")
@click.option("--link", metavar="URL",
              help="The post's link: its card is fetched from the page (as cmops card does) "
                   "and written into the post; the bare URL if the page cannot be read.")
@click.pass_context
def new_post(ctx: click.Context, channels: tuple[str, ...], at: str | None, text: str,
             post_id: str | None, campaign: str | None, status: str,
             link: str | None) -> None:
    """Write calendar/posts/<YYYY-MM>/<id>.yaml and check it.

    The file is validated with the rest of the calendar at once; exit 1 if it has a problem
    (it is kept, so you can fix it).

    Example:

        cmops new post --channel bluesky-main --channel newsroom \\
            --at 2026-12-03T09:30 --text "Nouvelle tournée des repair cafés" \\
            --link https://lumen-velo.example/repair-cafe
    """
    from cmops.atomic import write_atomic
    from cmops.cli.common import EXIT_CONTENT, EXIT_OK, load
    from cmops.ids import UnsafeName
    from cmops.output import text as as_text
    from cmops.postfile import NewPost, fresh_id, path_for, render, slug
    from cmops.validate import validate

    if text == "-":
        text = sys.stdin.read().strip()
    if not text.strip():
        raise click.BadParameter("the post needs some text", param_hint="--text")
    root, calendar, _ = load(ctx)
    unknown = [c for c in channels if c not in calendar.channels]
    if unknown:
        raise click.BadParameter(f"unknown channel(s): {', '.join(unknown)}",
                                 param_hint="--channel")
    if campaign and campaign not in calendar.campaigns:
        raise click.BadParameter(f"unknown campaign {campaign}", param_hint="--campaign")
    if link is not None and (not link.startswith(("http://", "https://"))
                             or any(c.isspace() for c in link)):
        raise click.BadParameter("an http(s) URL without spaces", param_hint="--link")
    taken = {p.id for p in calendar.posts}
    if post_id and post_id in taken:
        raise click.BadParameter(f"a post with id {post_id} exists", param_hint="--id")
    date = (at or "")[:10].replace("-", "") if at and at != "next-slot" else ""
    new = NewPost(post_id or fresh_id(slug(text) + (f"-{date}" if date else ""), taken),
                  list(channels), text, at, status, campaign)
    try:
        rel = path_for(new)
    except UnsafeName as exc:
        raise click.BadParameter(str(exc), param_hint="--id") from None
    if (root / rel).exists():
        raise click.UsageError(f"{rel} exists already")
    if link is not None:
        new.link = _card(root, link)
    write_atomic(root / rel, render(new).encode("utf-8"))
    click.echo(f"Wrote {rel}")
    report = validate(root, [rel])
    if not report.ok or report.warnings:
        click.echo(as_text(report))
    ctx.exit(EXIT_OK if report.ok else EXIT_CONTENT)


def _card(root: Path, url: str) -> Link | str:
    from cmops.cards import CardError, link_for

    try:
        card, notes = link_for(root, url)
    except CardError as exc:
        click.echo(f"warning: link card not fetched ({exc}): the post keeps the bare URL; "
                   "run cmops card before it is published", err=True)
        return url
    for note in notes:
        click.echo(f"warning: {note}", err=True)
    return card
