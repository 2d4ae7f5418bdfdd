"""Imports run twice write nothing twice (pure): each written post file carries a mark, and
a new run matches its rows to the marked files.

The mark is a YAML comment right after the schema line, so the file's data and schema are
untouched::

    # imported: <format> <slot> <textkey> <digest> <body>

``slot`` hashes the format, the row's time and its channels; ``textkey`` the format, the
channels and the text; ``digest`` everything the row says (text, time, channels, media and
alt texts as written in the CSV, link, campaign; not ``--status``); ``body`` the file as
written, less the mark, so a later edit by hand is seen. Each hash is the first 16 hex
digits of a SHA-256.

A run decides each row, in this order:

1. a marked file of the same format with the row's slot and digest: **already imported**,
   nothing written (even if the file was edited since);
2. the same row twice in the CSV (same slot and digest): the second is skipped;
3. a marked file left with the row's slot (the row's text, media, link or campaign changed)
   or else with its textkey (the row moved to another time): **updated**, the file rewritten
   in place with its id kept, unless the file was edited since it was written: then it is
   **kept** as it is and the row reported, never clobbered;
4. otherwise a **new** file, id ``<words of the text>-<YYYYMMDD>``; when that id is taken,
   ``-<6 hex digits of the digest>`` is added (then ``-2``, ``-3``…).

A marked file no row matches is left alone: import never deletes. Deleting the mark line
detaches a file from its import (a re-import then writes the row as a new file).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cmops.imports.rows import Row
from cmops.postfile import fresh_id

PREFIX = "# imported: "
_MARK = re.compile(r"^# imported: ([a-z]+) ([0-9a-f]{16}) ([0-9a-f]{16}) ([0-9a-f]{16}) "
                   r"([0-9a-f]{16})[ \t]*$")


@dataclass(frozen=True, slots=True)
class Marked:
    """A post file an import wrote."""

    path: str
    id: str
    format: str
    slot: str
    textkey: str
    digest: str
    edited: bool
    """Changed since the import wrote it."""


@dataclass(frozen=True, slots=True)
class Action:
    kind: str
    """``new``, ``same``, ``update``, ``kept`` or ``duplicate``."""
    row: Row
    id: str = ""
    file: Marked | None = None
    first_line: int = 0
    """For ``duplicate``: the line of the row it repeats."""


def _body_hash(lines: Sequence[str]) -> str:
    return hashlib.sha256("".join(lines).encode()).hexdigest()[:16]


def stamp(rendered: str, fmt: str, row: Row) -> str:
    """``rendered`` (a post file's text) with its import mark after the schema line."""
    lines = rendered.splitlines(keepends=True)
    at = 1 if lines and lines[0].startswith("# yaml-language-server:") else 0
    mark = f"{PREFIX}{fmt} {row.slot} {row.textkey} {row.digest} {_body_hash(lines)}\n"
    return "".join([*lines[:at], mark, *lines[at:]])


def read_mark(path: str, text: str, post_id: str) -> Marked | None:
    """The mark of a post file's ``text`` (among its first lines), or None."""
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines[:5]):
        found = _MARK.match(line.rstrip("\r\n"))
        if found:
            body = _body_hash(lines[:i] + lines[i + 1:])
            return Marked(path, post_id, found[1], found[2], found[3], found[4],
                          edited=body != found[5])
    return None


def plan(rows: Sequence[Row], marked: Iterable[Marked], fmt: str,
         taken: Iterable[str]) -> list[Action]:
    """What to do with each row, in row order (see the module's rules)."""
    pool = [m for m in marked if m.format == fmt]
    index: dict[tuple[str, str], list[Marked]] = {}
    for m in pool:
        for key in (("slot", m.slot), ("textkey", m.textkey), (m.slot, m.digest)):
            index.setdefault(key, []).append(m)
    gone: set[int] = set()

    def take(key: tuple[str, str]) -> Marked | None:
        found = next((m for m in index.get(key, ()) if id(m) not in gone), None)
        if found is not None:
            gone.add(id(found))
        return found

    decided: dict[int, Action] = {}
    first: dict[tuple[str, str], int] = {}
    for n, row in enumerate(rows):
        key = (row.slot, row.digest)
        if key in first:
            decided[n] = Action("duplicate", row, first_line=rows[first[key]].line)
            continue
        first[key] = n
        same = take(key)
        if same is not None:
            decided[n] = Action("same", row, same.id, same)
    for attr in ("slot", "textkey"):
        for n, row in enumerate(rows):
            if n in decided:
                continue
            found = take((attr, getattr(row, attr)))
            if found is not None:
                decided[n] = Action("kept" if found.edited else "update", row, found.id, found)
    used = set(taken)
    for n, row in enumerate(rows):
        if n in decided:
            continue
        wanted = row.wanted_id
        if wanted in used:
            wanted = fresh_id(f"{wanted}-{row.digest[:6]}", used)
        used.add(wanted)
        decided[n] = Action("new", row, wanted)
    return [decided[n] for n in range(len(rows))]
