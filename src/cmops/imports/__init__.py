"""``cmops import csv``: schedules from other tools and spreadsheets into post files (pure).

``dialect`` reads the bytes (encoding, delimiter), ``formats`` declares each tool's layout
and the document it follows, ``dates`` reads their dates and times, ``rows`` turns rows into
posts or errors by line, ``marks`` makes a second import of the same file write nothing.
Downloading image URLs is I/O and lives at the edge, in :mod:`cmops.mediafetch`.
"""

from __future__ import annotations

from cmops.imports.formats import FORMATS, Format
from cmops.imports.rows import Parsed, Row, RowError, parse

__all__ = ["FORMATS", "Format", "Parsed", "Row", "RowError", "parse"]
