"""CSV rows into posts to write (pure): one :class:`Row` per importable row, one
:class:`RowError` per row that cannot be a valid post, named by the line it starts on.

Text is kept byte for byte as the cell holds it: inner and surrounding spaces, line breaks
(``\\r\\n`` too) and every character, so import, validate, plan and export give back the
very text of the spreadsheet. A text cell of spaces only counts as empty. Every other cell
(dates, channels, URLs, names) is read without its surrounding spaces.

In cmops's own layout (what ``cmops export csv`` writes), every cell is first given back as
it was before the export made it spreadsheet-safe (:func:`cmops.export.restore`: one leading
apostrophe before ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a second apostrophe
is removed); rows with an empty date and time are unscheduled drafts; and rows that name the
same ``id`` are one post on all their channels (the export writes a row per channel), when
they say the same thing; a channel variant (another text on one channel) cannot be written
back, and is reported.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from cmops.export import restore
from cmops.ids import is_id
from cmops.imports import dates
from cmops.imports.formats import Format, field_of
from cmops.postfile import NewPost, slug

REQUIRED_CMOPS = ("date", "time", "text", "channels")
PLACEHOLDER = "TODO: describe this image (imported from {url})"
"""Alt text of a downloaded image: ``validate`` flags alt texts starting with TODO."""
_SPLIT_CHANNELS = re.compile(r"[\s,;|]+")
_SPLIT_PATHS = re.compile(r"\s*[,;|]\s*")
_SPLIT_URLS = re.compile(r"\s*\|\s*|\s*[,;]\s*(?=https?://)|\s+(?=\S)")


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    message: str


@dataclass(slots=True)
class Row:
    """An importable row: the post (media URLs still URLs) and the keys that find it again."""

    line: int
    post: NewPost
    wanted_id: str
    slot: str
    """Format, time and channels: where the row sits in the calendar."""
    textkey: str
    """Format, channels and text: the same post moved to another time."""
    digest: str
    """Everything the row says (text, time, channels, media, link, campaign)."""
    urls: tuple[str, ...] = ()
    """Media items that are http(s) URLs, to download."""
    explicit_id: bool = False
    """The row named its id (an ``id`` column): rows naming the same id are one post."""


@dataclass(slots=True)
class Parsed:
    rows: list[Row] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    ambiguous: list[RowError] = field(default_factory=list)
    """Dates that need ``--date-order``: the import is refused while there are any."""
    ignored: list[str] = field(default_factory=list)
    """Columns read from no field, by header (``column 4`` when it has none)."""
    usage: str | None = None
    """A problem of the command line (no channel at all for rows that have none)."""
    evidence: dict[str, tuple[int, str]] = field(default_factory=dict)
    """``dmy``/``mdy`` -> the first (line, date) that can only be read that way."""


def _hash(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()[:16]


def _records(text: str, delimiter: str, errors: list[RowError]) -> Iterator[tuple[int, list[str]]]:
    """(first line, cells) of each record; a record the csv module refuses (a cell over its
    131,072-character limit…) ends the reading: past it the file's quoting is unknown."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    end = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            why = "a cell is longer than the csv reader's 131,072 characters (no post is that " \
                "long)" if "field limit" in str(exc) else f"the CSV cannot be read: {exc}"
            errors.append(RowError(end + 1, f"{why}; the rows after it were not read"))
            return
        start, end = end + 1, reader.line_num  # a quoted cell may span several lines
        yield start, row


def _is_when(cell: str, reading: dates.Reading) -> bool:
    try:
        dates.parse_when(cell, reading)
    except dates.Ambiguous:
        return True
    except dates.BadDate:
        return False
    return True


def _columns(fmt: Format, header: Sequence[str]) -> tuple[dict[str, list[int]], list[int]]:
    """Field -> column indexes (several for media), and the indexes read from no field."""
    fields: dict[str, list[int]] = {}
    unused = []
    for i, name in enumerate(header):
        target = field_of(fmt, name) if name.strip() else None
        if target is None or (target in fields and target != "media"):
            unused.append(i)
        else:
            fields.setdefault(target, []).append(i)
    return fields, unused


def parse(text: str, fmt: Format, *, delimiter: str, channels: Sequence[str],
          known_channels: Sequence[str], campaigns: Sequence[str],
          reading: dates.Reading, status: str = "draft") -> Parsed:
    out = Parsed()
    records = _records(text, delimiter, out.errors)
    first = next(((n, r) for n, r in records if any(c.strip() for c in r)), None)
    if first is None:
        out.errors = out.errors or [RowError(1, "the file is empty")]
        return out
    line, row = first
    has_header = not (fmt.headerless and row and (row[0].strip()[:1].isdigit()
                                                  or _is_when(row[0].strip(), reading)))
    if not has_header:
        header: list[str] = [f"column {i + 1}" for i in range(len(row))]
        fields = {f: [i] for i, f in enumerate(fmt.headerless) if i < len(row)}
        unused = list(range(len(fmt.headerless), len(row)))
        body: Iterator[tuple[int, list[str]]] = iter([(line, row), *records])
    else:
        header = [h.strip() for h in row]
        fields, unused = _columns(fmt, header)
        body = records
    if not fmt.channels_column:
        fields.pop("channels", None)
    missing = _missing(fmt, fields, bool(channels))
    if missing:
        out.errors.append(RowError(line, f"missing column(s): {', '.join(missing)} (found: "
                                         f"{', '.join(h for h in header if h)})"))
        return out
    if "channels" not in fields and not channels:
        out.usage = (f"--from {fmt.name}: the rows have no channels (they are chosen at "
                     "upload in that tool): pass --channel NAME, once per channel")
        return out
    used = {i for at in fields.values() for i in at}
    seen_data: set[int] = set()
    for line, row in body:
        if not any(cell.strip() for cell in row):
            continue
        seen_data.update(i for i, cell in enumerate(row) if i not in used and cell.strip())
        if fmt.strict:
            row = [restore(cell) for cell in row]
        _row(out, fmt, line, row, fields, channels, known_channels, campaigns, reading, status)
    if fmt.strict and "id" in fields:
        out.rows = _merge_by_id(out.rows, out.errors, fmt)
    named = {i for i in unused if has_header and header[i]}
    out.ignored = [header[i] if i in named else f"column {i + 1}"
                   for i in sorted(named | seen_data)]
    return out


def _missing(fmt: Format, fields: dict[str, list[int]], have_channels: bool) -> list[str]:
    if fmt.strict:
        return [c for c in REQUIRED_CMOPS if c not in fields
                and not (c == "channels" and have_channels)]
    missing = [] if "text" in fields else ["text"]
    if not {"when", "date"} & fields.keys():
        missing.append("date and time")
    return missing


def _cell(row: Sequence[str], fields: dict[str, list[int]], name: str) -> str:
    at = fields.get(name)
    return row[at[0]] if at and at[0] < len(row) else ""


def _row(out: Parsed, fmt: Format, line: int, row: list[str], fields: dict[str, list[int]],
         default_channels: Sequence[str], known: Sequence[str], campaigns: Sequence[str],
         reading: dates.Reading, status: str) -> None:
    if any("\0" in cell for cell in row):  # no scheduler exports one: a binary file?
        out.errors.append(RowError(line, "a cell contains a NUL character (U+0000)"))
        return
    problems: list[str] = []
    text = _cell(row, fields, "text")
    raw_date = (_cell(row, fields, "when") or _cell(row, fields, "date")).strip()
    evident = dates.evident_order(raw_date) if raw_date else None
    if evident:
        out.evidence.setdefault(evident, (line, raw_date.split()[0]))
    publish_at = None
    try:
        publish_at = _when(row, fields, reading, fmt)
    except dates.Ambiguous as exc:
        out.ambiguous.append(RowError(line, str(exc)))
        return
    except dates.BadDate as exc:
        problems.append(str(exc))
    if publish_at is None and status == "ready" and not problems:
        problems.append("no date and time: a ready post needs one (import it as a draft)")
    if not text.strip():
        problems.append("text is empty")
    named = [c for c in _SPLIT_CHANNELS.split(_cell(row, fields, "channels").strip()) if c]
    channels = named or list(default_channels)
    unknown = [c for c in channels if c not in known]
    if not channels:
        problems.append("no channel")
    elif unknown:
        problems.append(f"unknown channel(s) {', '.join(unknown)}; known: "
                        f"{', '.join(sorted(known))}")
    campaign = _cell(row, fields, "campaign").strip() or None
    if campaign and campaign not in campaigns:
        problems.append(f"unknown campaign {campaign}")
    media, urls, media_problem = _media(row, fields)
    if media_problem:
        problems.append(media_problem)
    wanted = _cell(row, fields, "id").strip()
    if wanted and not is_id(wanted):
        problems.append(f"id {wanted[:40]!r} is not allowed: use 1-100 letters, digits, '.', "
                        "'_' or '-', starting with a letter or digit")
    if problems:
        out.errors.append(RowError(line, "; ".join(problems)))
        return
    link = _cell(row, fields, "link").strip() or None
    day = publish_at[:10].replace("-", "") if publish_at else ""
    explicit = bool(wanted)
    wanted = wanted or (f"{slug(text)}-{day}" if day else slug(text))
    order = sorted(channels)
    out.rows.append(Row(
        line, NewPost("", channels, text, publish_at, status, campaign, link, media),
        wanted, slot=_hash(fmt.name, publish_at or "", order),
        textkey=_hash(fmt.name, order, text),
        digest=_hash(text, channels, publish_at, campaign, link, media),
        urls=tuple(urls), explicit_id=explicit))


def _when(row: Sequence[str], fields: dict[str, list[int]], reading: dates.Reading,
          fmt: Format) -> str | None:
    when = _cell(row, fields, "when").strip()
    date = _cell(row, fields, "date").strip()
    time = _cell(row, fields, "time").strip()
    if fmt.strict:
        if not date and not time:
            return None  # an unscheduled draft (a ready one is refused by the caller)
        problems = []
        for parse, raw in ((dates.parse_date, date), (dates.parse_time, time)):
            try:
                parse(raw, reading)
            except dates.BadDate as exc:
                problems.append(str(exc))
        if problems:
            raise dates.BadDate("; ".join(problems))
        return f"{date}T{time}"
    if when:
        return dates.parse_when(when, reading)
    if date and "time" not in fields:
        return dates.parse_when(date, reading)
    if date or time:
        if not (date and time):
            raise dates.BadDate("a date without a time" if date else "a time without a date")
        return f"{dates.parse_date(date, reading)}T{dates.parse_time(time, reading)}"
    if fmt.name == "hootsuite":
        raise dates.BadDate("no date and time (Hootsuite rows start with one)")
    return None


def _merge_by_id(rows: list[Row], errors: list[RowError], fmt: Format) -> list[Row]:
    """One row per named id: rows that repeat an ``id`` add their channels to the first one
    when everything else they say is the same; otherwise they are errors naming the line."""
    first: dict[str, Row] = {}
    kept: list[Row] = []
    for row in rows:
        if not row.explicit_id or row.wanted_id not in first:
            if row.explicit_id:
                first[row.wanted_id] = row
            kept.append(row)
            continue
        head = first[row.wanted_id]
        a, b = head.post, row.post
        differs = [name for name, x, y in (
            ("text", a.text, b.text), ("date and time", a.publish_at, b.publish_at),
            ("campaign", a.campaign, b.campaign), ("link", a.link, b.link),
            ("media", a.media, b.media)) if x != y]
        if differs:
            errors.append(RowError(row.line, f"id {row.wanted_id} is also on line {head.line} "
                                   f"with another {' and '.join(differs)}: a post file has one "
                                   "of each for all its channels (a channel's own text is a "
                                   "variant: write it in the file), or give this row another id"))
            continue
        added = [c for c in b.channels if c not in a.channels]
        a.channels = [*a.channels, *added]
        order = sorted(a.channels)
        head.slot = _hash(fmt.name, a.publish_at or "", order)
        head.textkey = _hash(fmt.name, order, a.text)
        head.digest = _hash(a.text, a.channels, a.publish_at, a.campaign, a.link, a.media)
    return kept


def _leaves_repository(path: str) -> bool:
    """An absolute path, a drive, a ``..`` segment or a control character: never a media
    path (validate would refuse the post: ``media.outside-repo``)."""
    parts = re.split(r"[/\\]", path)
    return path.startswith(("/", "\\", "~")) or re.match(r"^[A-Za-z]:", path) is not None \
        or ".." in parts or any(ord(c) < 32 for c in path)


def _media(row: Sequence[str], fields: dict[str, list[int]]
           ) -> tuple[list[tuple[str, str | None]], list[str], str | None]:
    """Media items (a path or URL, alt), the URLs among them, and a problem."""
    items: list[str] = []
    for at in fields.get("media", []):
        cell = row[at].strip() if at < len(row) else ""
        if cell:
            split = _SPLIT_URLS if "://" in cell else _SPLIT_PATHS
            items += [m for m in split.split(cell) if m]
    alt_cell = _cell(row, fields, "alt")
    alts = [a.strip() for a in alt_cell.split("|")] if alt_cell.strip() else []
    if len(alts) > len(items):
        return [], [], f"{len(alts)} alt texts for {len(items)} media"
    media: list[tuple[str, str | None]] = []
    urls = []
    for i, item in enumerate(items):
        alt = alts[i] if i < len(alts) and alts[i] else None
        if "://" in item or item.lower().startswith(("http:", "https:")):
            if not re.match(r"https?://[^\s/]+", item, re.IGNORECASE):
                return [], [], f"media {item[:80]!r}: only http:// and https:// URLs are " \
                    "downloaded"
            urls.append(item)
            alt = alt or PLACEHOLDER.format(url=item)
        elif _leaves_repository(item):
            return [], [], f"media {item[:80]!r}: give a path inside the repository (relative, " \
                "no '..', e.g. calendar/media/photo.jpg) or an http(s) URL to download"
        media.append((item, alt))
    return media, urls, None
