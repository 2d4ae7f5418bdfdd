"""``cmops import csv FILE``: bulk import of a schedule exported from another tool."""

from __future__ import annotations

from pathlib import Path

import click

MAX_CSV_BYTES = 64_000_000
"""A year of posts on every channel is a few MB; past this, a wrong file."""


@click.group("import")
def command() -> None:
    """Import content from other tools."""


@command.command("csv")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--status", type=click.Choice(["draft", "ready"]), default="draft",
              show_default=True, help="Status of the imported posts (ready: approved once "
                                      "the pull request is merged).")
@click.option("--dry-run", is_flag=True, help="Report what would be written; write nothing.")
@click.pass_context
def import_csv(ctx: click.Context, file: Path, status: str, dry_run: bool) -> None:
    """Turn each row of a CSV export into a post file under calendar/posts/.

    Columns (by header name): date (YYYY-MM-DD), time (HH:MM, local to each channel's
    zone), text, channels (separated by spaces, commas, ; or |), and optionally media
    (paths), alt (alt texts in the same order, separated by |), campaign, link, id. Rows that
    cannot be imported are reported with their line number; the others are written and the
    calendar is validated.

    Exit status: 0 every row imported and valid; 1 some row skipped or invalid; 2 usage error.

    Example:

        cmops import csv buffer-export.csv --status draft
    """
    from cmops.atomic import write_atomic
    from cmops.cli.common import EXIT_CONTENT, EXIT_OK, load
    from cmops.csvimport import parse_csv
    from cmops.ids import UnsafeName
    from cmops.output import text as as_text
    from cmops.postfile import path_for, render
    from cmops.validate import validate

    if file.stat().st_size > MAX_CSV_BYTES:  # checked before reading it
        raise click.UsageError(f"{file} is larger than {MAX_CSV_BYTES // 1_000_000} MB; split "
                               "it into smaller files")
    try:
        data = file.read_text("utf-8-sig")
    except UnicodeDecodeError:
        raise click.UsageError(f"{file} is not UTF-8 text; export it as UTF-8 CSV") from None
    root, calendar, _ = load(ctx)
    posts, errors = parse_csv(data, calendar, status=status,
                              taken=[p.id for p in calendar.posts])
    for error in errors:
        click.echo(f"{file}:{error.line}: skipped: {error.message}", err=True)
    written = []
    skipped = len(errors)
    for post in posts:
        try:
            rel = path_for(post)
        except UnsafeName as exc:
            click.echo(f"{file}: skipped: {exc}", err=True)
            skipped += 1
            continue
        if (root / rel).exists():
            click.echo(f"{file}: skipped {post.id}: {rel} exists", err=True)
            skipped += 1
            continue
        if not dry_run:
            write_atomic(root / rel, render(post).encode("utf-8"))
        written.append(rel)
    verb = "Would write" if dry_run else "Wrote"
    click.echo(f"{verb} {len(written)} post file(s); {skipped} row(s) skipped.")
    ok = not skipped
    if written and not dry_run:
        report = validate(root, written)
        if not report.ok or report.warnings:
            click.echo(as_text(report))
        ok = ok and report.ok
    ctx.exit(EXIT_OK if ok else EXIT_CONTENT)
