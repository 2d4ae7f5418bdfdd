"""``cmops export csv`` as a function: the calendar as spreadsheet rows (pure).

One row per post × channel, in time order. A repeating post is one row: its first
occurrence's time, its rule in ``repeat``, and the state of its latest recorded occurrence
(else of its next one). A thread is one row too: ``rendered`` is the main post,
``thread`` the other parts, each as sent, separated by :data:`PART_SEPARATOR`, and
``first_comment`` the comment posted under it.

Columns (:data:`COLUMNS`): those of ``cmops import csv --from cmops`` (``date``, ``time``,
``text``, ``channels``, ``media``, ``alt``, ``campaign``, ``link``, ``id``), so an export is
re-imported as it is, and:

``network``, ``zone``, ``publish_at``
    the channel's network; its time zone (the calendar's unless the channel sets its own);
    the time as ISO 8601 with that zone's offset. ``date`` and ``time`` are the same time,
    local to ``zone``, as the importer reads them.
``status``, ``state``, ``post_url``
    the file's status; what the ledger recorded (published, failed, needs_human,
    withdrawn…) or, where it recorded nothing, the plan's state (scheduled, due, expired,
    paused, invalid…; ``draft`` for a draft); the published post's address.
``text`` and ``rendered``
    the text as written (after the channel's variant): what re-imports byte for byte; and
    exactly what goes out on that channel (links placed and UTM-tagged), as ``cmops plan``
    shows it, from :func:`cmops.render.render`.
``media``, ``alt``
    the attachments of the main post and their alt texts, each list joined by ``|``.

Spreadsheet safety (OWASP, "CSV Injection",
https://owasp.org/www-community/attacks/CSV_Injection): a cell that begins with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return is a formula to Excel, LibreOffice and
Google Sheets. :func:`neutralise` puts an apostrophe ``'`` before such a cell, and before a
cell that begins with ``'`` followed by one of those characters or by a second ``'`` (so
the mark is never ambiguous); :func:`restore` removes it. ``restore(neutralise(cell)) ==
cell`` for every string, which is what keeps an import → export → import round trip byte
for byte.

The file is RFC 4180 (https://www.rfc-editor.org/rfc/rfc4180): CRLF between records,
fields with a delimiter, a quote or a line break quoted, quotes doubled; a line break
inside a text is kept as written (LF). UTF-8, with a byte-order mark on request (Excel reads
a file without one in the system's code page: "CSV UTF-8" in Excel is UTF-8 with a BOM).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cmops import schedule
from cmops.model import Calendar, Post
from cmops.plan import assign_slots, first_time, item_key
from cmops.render import COMMENT, render, resolve

COLUMNS = ("id", "channels", "network", "date", "time", "zone", "publish_at", "status",
           "state", "post_url", "campaign", "text", "rendered", "thread", "first_comment",
           "media", "alt", "link", "repeat", "file")
"""The header row. None of these names is an alias of another column for the importer
(``url`` would be read as ``link``, ``channel`` as ``channels``)."""

PART_SEPARATOR = "\n---\n"
"""Between two thread parts in the ``thread`` column: a line holding only ``---``."""
LIST_SEPARATOR = "|"
"""Between two media paths, and between their alt texts."""
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection")."""
MARK = "'"
_FORMULA = frozenset(FORMULA_STARTS)
_MARKED = _FORMULA | {MARK}
DELIMITERS = {"comma": ",", "semicolon": ";", "tab": "\t"}
BOM = "\ufeff"


def neutralise(cell: str) -> str:
    """``cell`` as a spreadsheet shows it as text: an apostrophe before a formula's first
    character (and before an apostrophe :func:`restore` would otherwise remove)."""
    first = cell[:1]
    if first in _FORMULA or (first == MARK and cell[1:2] in _MARKED):
        return MARK + cell
    return cell


def restore(cell: str) -> str:
    """The cell :func:`neutralise` was given: one leading apostrophe removed when a formula
    character or a second apostrophe follows it; any other cell is returned as it is."""
    if cell[:1] == MARK and cell[1:2] in _MARKED:
        return cell[1:]
    return cell


@dataclass(frozen=True, slots=True)
class Recorded:
    """What ``cmops status`` knows about one item (a :class:`cmops.status.Row`'s fields)."""

    key: str
    post: str
    channel: str
    state: str
    url: str | None = None
    when: str | None = None


def _repeat(post: Post) -> str:
    if post.repeat is None:
        return ""
    out = f"every {post.repeat.every}"
    if post.repeat.until:
        out += f", until {post.repeat.until}"
    if post.repeat.count is not None:
        out += f", {post.repeat.count} times"
    return out


def _state(post: Post, channel: str, found: Sequence[Recorded]) -> Recorded | None:
    """The item of this post × channel that speaks for the row: the one item of a post
    that does not repeat; for a repeating one, its latest recorded occurrence, else its
    first listed one."""
    if post.repeat is None:
        key = item_key(post.id, channel)
        return next((r for r in found if r.key == key), None)
    ordered = sorted(found, key=lambda r: (r.when or "", r.key))
    recorded = [r for r in ordered if r.url or r.state in ("published", "failed",
                                                            "needs_human", "withdrawn")]
    return recorded[-1] if recorded else (ordered[0] if ordered else None)


def export_rows(calendar: Calendar, items: Iterable[Recorded],
                channels: Sequence[str] = ()) -> list[dict[str, str]]:
    """Every post × channel of ``calendar`` (only ``channels`` when given) as a row of
    :data:`COLUMNS`, in time order (posts without a time last), with the state ``items``
    (from :func:`cmops.status.status`) give it."""
    by_item: dict[tuple[str, str], list[Recorded]] = {}
    for item in items:
        by_item.setdefault((item.post, item.channel), []).append(item)
    slots = assign_slots(calendar)
    keyed: list[tuple[tuple[bool, datetime, str, int], dict[str, str]]] = []
    for post in calendar.posts:
        for index, channel in enumerate(dict.fromkeys(post.channels)):
            if channels and channel not in channels:
                continue
            row, when = _row(calendar, post, channel, slots,
                             by_item.get((post.id, channel), ()))
            keyed.append(((when is None, when or datetime.min.replace(tzinfo=UTC), post.id,
                           index), row))
    keyed.sort(key=lambda pair: pair[0])
    return [row for _, row in keyed]


def _row(calendar: Calendar, post: Post, channel: str,
         slots: Mapping[tuple[str, str], datetime], found: Sequence[Recorded]
         ) -> tuple[dict[str, str], datetime | None]:
    ch = calendar.channels.get(channel)
    network = (ch.network or "outbox") if ch else ""
    zone = calendar.channel_timezone(channel) or "UTC"
    when = first_time(post, channel, calendar, slots) if ch else None
    local = None
    if when is not None:
        try:
            local = when.astimezone(schedule.zone(zone))
        except schedule.TimeError:  # validate names the zone
            local = when
    text, media, _ = resolve(post, channel, network or "outbox")
    rendered = thread = comment = ""
    if ch is not None:
        try:
            parts = render(post, channel, calendar).parts
        except Exception:  # content that fails validation: validate says why
            parts = ()
        if parts:
            rendered = parts[0].text
            thread = PART_SEPARATOR.join(p.text for p in parts[1:] if p.kind != COMMENT)
            comment = next((p.text for p in parts[1:] if p.kind == COMMENT), "")
    recorded = _state(post, channel, found)
    state = recorded.state if recorded else ("draft" if post.status == "draft" else
                                             post.status or "")
    row = {
        "id": post.id, "channels": channel, "network": network,
        "date": local.strftime("%Y-%m-%d") if local else "",
        "time": local.strftime("%H:%M") if local else "",
        "zone": zone, "publish_at": local.isoformat() if local else "",
        "status": post.status or "", "state": state,
        "post_url": (recorded.url or "") if recorded else "",
        "campaign": post.campaign or "", "text": text, "rendered": rendered,
        "thread": thread, "first_comment": comment,
        "media": LIST_SEPARATOR.join(m.path for m in media),
        "alt": LIST_SEPARATOR.join(m.alt or "" for m in media) if media else "",
        "link": post.link.url if post.link else "", "repeat": _repeat(post),
        "file": post.file,
    }
    return row, when


def to_csv(rows: Iterable[Mapping[str, str]], *, delimiter: str = ",",
           bom: bool = False) -> str:
    """``rows`` as RFC 4180 CSV text, header first, every cell :func:`neutralise`\\ d."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n",
                        quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([neutralise(row.get(name, "")) for name in COLUMNS])
    return (BOM if bom else "") + out.getvalue()
