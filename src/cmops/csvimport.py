"""Bulk import from the CSV layout other schedulers export, as post files (pure).

Columns, matched by header name (case and spaces ignored; a few aliases other tools use):
``date`` (YYYY-MM-DD), ``time`` (HH:MM, local to each channel's zone), ``text``
(alias ``message``, ``content``, ``post``), ``channels`` (names from channels.yaml, separated
by spaces, commas, semicolons or ``|``), ``media`` (repository paths, same separators but not
spaces) and ``alt`` (alt texts in the same order, separated by ``|``); optional ``campaign``,
``link``, ``id``. Every row that cannot become a valid post is reported with its line number
and nothing is written for it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from cmops.ids import is_id
from cmops.model import Calendar
from cmops.postfile import NewPost, fresh_id, slug

ALIASES = {"message": "text", "content": "text", "post": "text", "body": "text",
           "networks": "channels", "channel": "channels", "profiles": "channels",
           "images": "media", "image": "media", "alt text": "alt", "alttext": "alt",
           "day": "date", "hour": "time", "url": "link"}
REQUIRED = ("date", "time", "text", "channels")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_SPLIT = re.compile(r"[\s,;|]+")
_SPLIT_PATHS = re.compile(r"\s*[,;|]\s*")


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    message: str


def _header(name: str) -> str:
    key = " ".join(name.strip().lower().replace("_", " ").split())
    return ALIASES.get(key, key)


def _rows(reader: Iterator[list[str]], errors: list[RowError]) -> Iterator[list[str]]:
    """The reader's rows; a row the csv module refuses (a cell over its 131,072-character
    limit…) ends the reading with a row error: past it the file's quoting is unknown."""
    line_num = getattr(reader, "line_num", 0)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line = getattr(reader, "line_num", line_num) or 1
            why = "a cell is longer than the csv reader's 131,072 characters (no post is that " \
                "long)" if "field limit" in str(exc) else f"the CSV cannot be read: {exc}"
            errors.append(RowError(line, f"{why}; the rows after it were not read"))
            return
        yield row


def parse_csv(data: str, calendar: Calendar, *, status: str = "draft",
              taken: Iterable[str] = ()) -> tuple[list[NewPost], list[RowError]]:
    errors: list[RowError] = []
    reader = csv.reader(io.StringIO(data))
    first = next(_rows(reader, errors), None)
    if first is None:
        return [], errors or [RowError(1, "the file is empty")]
    header = [_header(h) for h in first]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return [], [RowError(1, f"missing column(s): {', '.join(missing)} (found: "
                                f"{', '.join(h for h in header if h)})")]
    used = set(taken)
    posts: list[NewPost] = []
    end = reader.line_num
    for row in _rows(reader, errors):
        line, end = end + 1, reader.line_num  # a quoted cell may span several lines
        if not any(cell.strip() for cell in row):
            continue
        cells = {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(header)}
        problems = []
        if any("\0" in cell for cell in row):  # no scheduler exports one: a binary file?
            errors.append(RowError(line, "a cell contains a NUL character (U+0000)"))
            continue
        date, time, text = cells.get("date", ""), cells.get("time", ""), cells.get("text", "")
        if not _DATE.match(date):
            problems.append(f"date {date!r} is not YYYY-MM-DD")
        if not _TIME.match(time):
            problems.append(f"time {time!r} is not HH:MM")
        if not text:
            problems.append("text is empty")
        channels = [c for c in _SPLIT.split(cells.get("channels", "")) if c]
        unknown = [c for c in channels if c not in calendar.channels]
        if not channels:
            problems.append("no channel")
        elif unknown:
            problems.append(f"unknown channel(s) {', '.join(unknown)}; known: "
                            f"{', '.join(sorted(calendar.channels))}")
        campaign = cells.get("campaign") or None
        if campaign and campaign not in calendar.campaigns:
            problems.append(f"unknown campaign {campaign}")
        media = [m for m in _SPLIT_PATHS.split(cells.get("media", "")) if m]
        alts = [a.strip() for a in cells.get("alt", "").split("|")] if cells.get("alt") else []
        if len(alts) > len(media):
            problems.append(f"{len(alts)} alt texts for {len(media)} media")
        if cells.get("id") and not is_id(cells["id"]):
            problems.append(f"id {cells['id'][:40]!r} is not allowed: use 1-100 letters, "
                            "digits, '.', '_' or '-', starting with a letter or digit")
        if problems:
            errors.append(RowError(line, "; ".join(problems)))
            continue
        wanted = cells.get("id") or f"{slug(text)}-{date.replace('-', '')}"
        post_id = fresh_id(wanted, used)
        used.add(post_id)
        posts.append(NewPost(post_id, channels, text, f"{date}T{time}", status, campaign,
                             cells.get("link") or None,
                             [(m, alts[i] if i < len(alts) else None)
                              for i, m in enumerate(media)]))
    return posts, errors
