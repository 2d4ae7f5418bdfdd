"""``cmops import csv FILE --from FORMAT``: a schedule from Hootsuite, Buffer, Later or a
spreadsheet, as post files (the formats: :mod:`cmops.imports.formats`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from cmops.imports.marks import Action, Marked
    from cmops.imports.rows import Row

MAX_CSV_BYTES = 64_000_000
"""A year of posts on every channel is a few MB; past this, a wrong file."""


@click.group("import")
def command() -> None:
    """Import content from other tools."""


@command.command("csv")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--from", "fmt", type=click.Choice(["cmops", "hootsuite", "buffer", "later",
                                                  "generic"]),
              default="cmops", show_default=True, help="The tool the file comes from.")
@click.option("--channel", "channels", multiple=True, metavar="NAME",
              help="Channel for rows that name none (repeatable). Hootsuite, Buffer and "
                   "Later rows never do.")
@click.option("--date-order", type=click.Choice(["dmy", "mdy", "ymd"]),
              help="How to read dates such as 01/02/2027 (dmy: 1 February) and two-digit "
                   "years; without it such dates are refused.")
@click.option("--status", type=click.Choice(["draft", "ready"]), default="draft",
              show_default=True, help="Status of the imported posts (ready: approved once "
                                      "the pull request is merged).")
@click.option("--no-media", is_flag=True,
              help="Do not download image URLs; their rows are imported without them.")
@click.option("--dry-run", is_flag=True, help="Report what would be written; write nothing.")
@click.pass_context
def import_csv(ctx: click.Context, file: Path, fmt: str, channels: tuple[str, ...],
               date_order: str | None, status: str, no_media: bool, dry_run: bool) -> None:
    """Turn each row of a CSV file into a post file under calendar/posts/.

    \b
    Formats (--from):
      cmops      header row: date (YYYY-MM-DD), time (HH:MM, local to each channel's
                 zone), text, channels (separated by spaces, commas, ; or |), and
                 optionally media (paths or image URLs), alt (alt texts in the same
                 order, separated by |), campaign, link, id. What cmops export
                 csv writes reads back: rows with the same id are one post on
                 all their channels, an empty date and time is an unscheduled
                 draft, and a formula's protective apostrophe is removed.
      hootsuite  Hootsuite's bulk composer file: date and time in one cell
                 (dd/mm/yyyy hh:mm or mm/dd/yyyy hh:mm), message, link; no header
                 row needed. Pass --channel: its rows have no channels.
      buffer     Buffer's bulk upload file: Text, Image URL, Tags, Posting Time
                 (YYYY-MM-DD HH:mm; empty: imported unscheduled). Pass --channel.
      later      Caption, Scheduled Date and Scheduled Time (or Date, Time),
                 Media URL, Link. Pass --channel.
      generic    any spreadsheet: text (or message, caption, content…), date and
                 time in one column (posting time, scheduled at…) or two, channels,
                 image URL columns (Image URL, Image URL 2…), alt, link, campaign.

    \b
    Reading: comma, semicolon (Excel in French and other locales) and tab
    separated files; UTF-8 with or without BOM, UTF-16, and Windows-1252 (read
    with a warning). Texts are kept byte for byte. Dates: YYYY-MM-DD,
    DD/MM/YYYY or MM/DD/YYYY; an ambiguous one (01/02/2027) stops the import:
    pass --date-order dmy or mdy. Times: 14:30, 9:30, 9:30 pm. Columns that no
    field reads are listed once. Image URLs are downloaded into calendar/media/
    (http/https, images only, 20 MB, 20 s) with the alt text "TODO: describe
    this image (imported from URL)" for validate to flag; --no-media skips them.

    Importing the same file again writes nothing ("20 rows already imported"): each file
    records its row in an "# imported:" comment. A row whose text, media or time changed
    rewrites its file, keeping its id, unless the file was edited since: then it is kept
    and reported. Bad rows are reported as FILE:LINE: skipped: why.

    Exit status: 0 every row imported and valid; 1 some row skipped or invalid; 2 usage
    error (an ambiguous date, no channel for rows that have none, an unreadable file).

    Example:

    \b
        cmops import csv hs.csv --from hootsuite --channel news --date-order dmy
        cmops import csv buffer.csv --from buffer --channel bsky --channel masto
        cmops import csv plan.csv --from generic --no-media --dry-run
    """
    from cmops.cli.common import EXIT_CONTENT, EXIT_OK, EXIT_USAGE, load
    from cmops.imports import FORMATS, parse
    from cmops.imports.dates import Reading
    from cmops.imports.dialect import Unreadable, decode, delimiter

    try:
        decoded = decode(_read_bounded(file))
    except Unreadable as exc:
        raise click.UsageError(f"{file}: {exc}") from None
    if decoded.encoding == "cp1252":
        click.echo(f"{file}: warning: not UTF-8; read as Windows-1252 (Excel's \"CSV\" on "
                   "Windows). Check the accents; to be sure, save the sheet as \"CSV UTF-8\".",
                   err=True)
    root, calendar, _ = load(ctx)
    unknown = [c for c in channels if c not in calendar.channels]
    if unknown:
        raise click.UsageError(f"unknown channel(s) for --channel: {', '.join(unknown)}; "
                               f"known: {', '.join(sorted(calendar.channels))}")
    form = FORMATS[fmt]
    separator, text = delimiter(decoded.text)
    parsed = parse(text, form, delimiter=separator,
                   channels=list(dict.fromkeys(channels)),
                   known_channels=list(calendar.channels),
                   campaigns=list(calendar.campaigns),
                   reading=Reading(date_order, strict=form.strict), status=status)
    if parsed.usage:
        raise click.UsageError(f"{file}: {parsed.usage}")
    if parsed.ambiguous:
        for error in parsed.ambiguous:
            click.echo(f"{file}:{error.line}: {error.message}", err=True)
        hints = [f"line {line}'s {raw} is {'day' if order == 'dmy' else 'month'} first"
                 for order, (line, raw) in sorted(parsed.evidence.items())]
        click.echo(f"Error: {len(parsed.ambiguous)} date(s) could be read two ways; nothing "
                   "was imported. Pass --date-order dmy or mdy"
                   + (f" ({'; '.join(hints)})." if hints else "."), err=True)
        ctx.exit(EXIT_USAGE)
    if parsed.ignored:
        click.echo(f"{file}: ignored column(s): {', '.join(parsed.ignored)}", err=True)
    for error in parsed.errors:
        click.echo(f"{file}:{error.line}: skipped: {error.message}", err=True)
    outcome = _apply(root, file, fmt, parsed.rows, [p.id for p in calendar.posts],
                     fetch=not (no_media or dry_run), dry_run=dry_run)
    outcome.skipped += len(parsed.errors)
    for line in outcome.summary(dry_run, no_media):
        click.echo(line)
    ok = not outcome.skipped
    if outcome.written and not dry_run:
        from cmops.output import text as as_text
        from cmops.validate import validate

        if len(outcome.written) >= PROGRESS_EVERY:
            click.echo(f"Validating the {len(outcome.written)} written files…", err=True)
        report = validate(root, outcome.written)
        if not report.ok or report.warnings:
            click.echo(as_text(report))
        ok = ok and report.ok
    ctx.exit(EXIT_OK if ok else EXIT_CONTENT)


SHOWN = 10
"""Updated files named in the summary; the others are counted."""
PROGRESS_EVERY = 1000
"""A progress line on stderr every this many rows, for files that have that many."""


@dataclass
class Outcome:
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    same: int = 0
    skipped: int = 0
    not_fetched: int = 0

    @property
    def written(self) -> list[str]:
        return self.new + self.updated

    def summary(self, dry_run: bool, no_media: bool) -> list[str]:
        verb = "Would write" if dry_run else "Wrote"
        lines = [f"{verb} {len(self.new)} post file(s); {self.skipped} row(s) skipped."]
        if self.updated:
            shown = ", ".join(self.updated[:SHOWN])
            more = len(self.updated) - SHOWN
            lines.append(f"{'Would update' if dry_run else 'Updated'} "
                         f"{_count(len(self.updated), 'post file')} whose row changed: "
                         + shown + (f" and {more} more" if more > 0 else ""))
        if self.same:
            lines.append(f"{_count(self.same, 'row')} already imported.")
        if self.not_fetched:
            why = "--dry-run" if dry_run else "--no-media"
            lines.append(f"{_count(self.not_fetched, 'image URL')} not downloaded ({why}).")
        return lines


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _apply(root: Path, file: Path, fmt: str, rows: list[Row], ids: list[str], *,
           fetch: bool, dry_run: bool) -> Outcome:
    from cmops.atomic import write_atomic
    from cmops.ids import UnsafeName
    from cmops.imports.marks import plan, stamp
    from cmops.postfile import path_for, render

    marked = _marked(root)
    taken = {*ids, *(Path(m.path).stem for m in marked), *_stems(root)}
    out = Outcome()
    http = _Fetcher(root, file) if fetch else None
    try:
        actions = plan(rows, marked, fmt, taken)
        for done, action in enumerate(actions, 1):
            if len(actions) >= PROGRESS_EVERY and done % PROGRESS_EVERY == 0:
                click.echo(f"{file}: {done}/{len(actions)} rows", err=True)
            row = action.row
            if _report(action, file, out):
                continue
            row.post.id = action.id
            try:
                rel = action.file.path if action.file else path_for(row.post)
            except UnsafeName as exc:
                click.echo(f"{file}:{row.line}: skipped: {exc}", err=True)
                out.skipped += 1
                continue
            if action.kind == "new" and (root / rel).exists():
                click.echo(f"{file}:{row.line}: skipped {row.post.id}: {rel} exists", err=True)
                out.skipped += 1
                continue
            if row.urls and http is None:
                out.not_fetched += len(row.urls)
                row.post.media = [m for m in row.post.media if m[0] not in row.urls]
            elif row.urls and http is not None and not http.localise(row):
                out.skipped += 1
                continue
            if not dry_run:
                write_atomic(root / rel, stamp(render(row.post), fmt, row).encode("utf-8"))
            (out.new if action.kind == "new" else out.updated).append(rel)
    finally:
        if http is not None:
            http.close()
    return out


def _report(action: Action, file: Path, out: Outcome) -> bool:
    """Count and report an action that writes nothing; False for new and update."""
    line = action.row.line
    if action.kind == "same":
        out.same += 1
    elif action.kind == "duplicate":
        click.echo(f"{file}:{line}: skipped: the same post as line {action.first_line}",
                   err=True)
        out.skipped += 1
    elif action.kind == "kept" and action.file is not None:
        click.echo(f"{file}:{line}: skipped: {action.file.path} was edited since it was "
                   "imported; kept as it is (to import the row again, delete the file, or "
                   "its \"# imported:\" line to keep both)", err=True)
        out.skipped += 1
    else:
        return False
    return True


class _Fetcher:
    """Downloads a row's image URLs, a progress line each on stderr."""

    def __init__(self, root: Path, file: Path) -> None:
        from cmops import mediafetch

        self.root, self.file = root, file
        self.http = mediafetch.client()

    def localise(self, row: Row) -> bool:
        """Replace the row's URLs by downloaded files; False (reported) when one fails."""
        from cmops import mediafetch

        paths = {}
        for url in row.urls:
            click.echo(f"{self.file}:{row.line}: downloading {url}", err=True)
            try:
                paths[url] = mediafetch.fetch(self.http, url, self.root).path
            except mediafetch.FetchError as exc:
                click.echo(f"{self.file}:{row.line}: skipped: image {url}: {exc}", err=True)
                return False
        row.post.media = [(paths.get(item, item), alt) for item, alt in row.post.media]
        return True

    def close(self) -> None:
        self.http.close()


def _read_bounded(file: Path) -> bytes:
    """The CSV's bytes: a regular file (not a FIFO or a device such as /dev/zero, which would
    block or never end), at most :data:`MAX_CSV_BYTES`, read no further than that."""
    too_big = click.UsageError(f"{file} is larger than {MAX_CSV_BYTES // 1_000_000} MB; split "
                               "it into smaller files")
    if not file.is_file():
        raise click.UsageError(f"{file} is not a regular file: export the schedule to a .csv "
                               "file and import that")
    if file.stat().st_size > MAX_CSV_BYTES:  # checked before reading it
        raise too_big
    with file.open("rb") as handle:
        data = handle.read(MAX_CSV_BYTES + 1)
    if len(data) > MAX_CSV_BYTES:  # it grew while we looked
        raise too_big
    return data


def _marked(root: Path) -> list[Marked]:
    """The post files an import wrote (their mark among the first lines)."""
    from cmops.imports.marks import PREFIX, read_mark
    from cmops.yamlsafe import YamlError, load_bytes, read_bounded

    found = []
    for path in sorted((root / "calendar/posts").rglob("*.yaml")):
        if path.is_symlink() or not path.is_file():
            continue
        with path.open("rb") as handle:
            head = handle.read(4096)
        if PREFIX.encode() not in head:
            continue
        try:
            data = read_bounded(path)
        except YamlError:  # too large: validate reports it
            continue
        text = data.decode("utf-8", "replace")
        try:
            loaded = load_bytes(data)
        except YamlError:  # a broken file is validate's to report
            loaded = None
        post_id = loaded.get("id") if isinstance(loaded, dict) else None
        mark = read_mark(path.relative_to(root).as_posix(), text,
                         post_id if isinstance(post_id, str) else path.stem)
        if mark is not None:
            found.append(mark)
    return found


def _stems(root: Path) -> list[str]:
    return [p.stem for p in (root / "calendar/posts").rglob("*.yaml")]
