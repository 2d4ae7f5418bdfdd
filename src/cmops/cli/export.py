"""``cmops export csv``: the calendar as a spreadsheet, for people who leave or need one."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from cmops.cli.params import at_option, state_options


@click.group("export")
def command() -> None:
    """Export the calendar for other tools and spreadsheets.

    Example:

    \b
        cmops export csv --excel -o calendar.csv
    """


@command.command("csv")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              metavar="FILE", help="Write to FILE (replaced atomically: a reader never sees "
                                   "half of it) instead of standard output.")
@click.option("--excel", is_flag=True,
              help="Begin with a UTF-8 byte-order mark, which Excel needs to read accents "
                   "and emoji (Excel's \"CSV UTF-8\").")
@click.option("--delimiter", type=click.Choice(["comma", "semicolon", "tab"]),
              default="comma", show_default=True,
              help="Between cells: semicolon for Excel where the list separator is ';' "
                   "(French, German, Spanish… locales).")
@click.option("--channel", "channels", multiple=True, metavar="NAME",
              help="Only this channel (repeatable).")
@state_options(branch_help="Read the ledger from this git branch of origin (as cmops "
                           "publish --state-branch keeps it; e.g. cmops-state) instead of a "
                           "local directory.")
@at_option("States as at this time (default: now).")
@click.pass_context
def export_csv(ctx: click.Context, output: Path | None, excel: bool, delimiter: str,
               channels: tuple[str, ...], state: Path | None, state_branch: str | None,
               at: datetime | None) -> None:
    """Write one row per post × channel: time, text, rendered text, state, link.

    Columns: id, channels (the one channel of the row), network, date and time (local to
    zone, as cmops import csv reads them), zone, publish_at (ISO 8601 with the offset),
    status (the file's), state (published, failed, withdrawn… from the ledger, else
    scheduled, due, draft… from the plan), post_url (where it was published), campaign,
    text (as written, after the channel's variant), rendered (exactly what goes out on the
    channel, as cmops plan shows it), thread (the other parts as sent, separated by a line
    holding only ---), first_comment, media and alt (joined by |), link, repeat (a
    repeating post is one row: its first time, the state of its latest recorded
    occurrence), file.

    RFC 4180 CSV in UTF-8. A cell that begins with =, +, -, @, a tab or a carriage return
    (a formula to a spreadsheet) is written with an apostrophe before it, as is a cell
    that begins with an apostrophe followed by one of those or by another apostrophe;
    cmops import csv --from cmops removes that one apostrophe, so an export imports back
    byte for byte.

    Exit status: 0 written; 2 usage error.

    Example:

    \b
        cmops export csv > calendar.csv
        cmops export csv --excel --delimiter semicolon --output calendrier.csv
        cmops export csv --channel bsky --state-branch cmops-state -o bluesky.csv
    """
    from cmops.atomic import write_atomic
    from cmops.cli.common import check_channels, load, now_or, open_store
    from cmops.export import DELIMITERS, Recorded, export_rows, to_csv
    from cmops.status import status

    root, calendar, _ = load(ctx)
    check_channels(calendar, channels)
    with open_store(root, state, state_branch) as store:
        items = [Recorded(r.key, r.post, r.channel, r.state, r.url, r.when)
                 for r in status(calendar, store, now_or(at))]
    rows = export_rows(calendar, items, channels)
    data = to_csv(rows, delimiter=DELIMITERS[delimiter], bom=excel).encode("utf-8")
    if output is None:
        click.echo(data, nl=False)  # bytes: written as they are, whatever the locale
        return
    if output.name in ("", ".", ".."):  # -o "" is the current folder to pathlib
        raise click.BadParameter("give a file name, e.g. calendar.csv", param_hint="--output")
    blocked = next((p for p in output.parents if p.exists() and not p.is_dir()), None)
    if blocked is not None:
        raise click.UsageError(f"cannot write {output}: {blocked} is a file, not a folder")
    try:
        write_atomic(output, data)
    except OSError as exc:
        raise click.UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
    click.echo(f"Wrote {len(rows)} {'row' if len(rows) == 1 else 'rows'} to {output}.")
