"""How a CSV file is spelled: its encoding and its delimiter, guessed from its bytes (pure).

Encodings, in the order tried: a byte order mark decides (UTF-8, or UTF-16 as Excel's
"Unicode Text" export writes it); then UTF-8; then Windows-1252, the code page Excel for
Windows uses for "CSV (Comma delimited)" in Western European locales. A file read as
Windows-1252 is read, and the caller says so (accents are then right for French, German,
Spanish…, but an export from another code page would read wrong: the warning names the
encoding and how to export UTF-8 instead). A file none of these decode is refused, and so
is UTF-8 with a damaged byte (read as Windows-1252, its accents would all turn to ``Ã©``).

Delimiters: comma, semicolon (Excel in a locale whose decimal mark is a comma, such as
French) and tab. Excel's ``sep=;`` first line says which; else each is tried on the first
rows, and the one that splits them into the same number of cells (two or more) wins.
The Python csv module reads the cells, with RFC 4180 quoting
(https://www.rfc-editor.org/rfc/rfc4180): a quoted cell may hold delimiters, doubled quotes
and line breaks, kept byte for byte (no newline translation: the data is decoded
here, never by a text-mode ``open``).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from itertools import islice

DELIMITERS = (",", ";", "\t")
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|"
                            rb"[\xf0-\xf4][\x80-\xbf]{3}")
"""A multi-byte UTF-8 character: Windows-1252 text almost never holds one (it would read
as ``Ã©``), so a file with both this and an invalid byte is damaged UTF-8, not 1252."""
SAMPLE_ROWS = 20


class Unreadable(ValueError):
    """The bytes are not text in any encoding tried."""


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    encoding: str
    """``utf-8``, ``utf-8-sig`` (with a BOM), ``utf-16`` or ``cp1252``."""


def decode(data: bytes) -> Decoded:
    if data.startswith(codecs.BOM_UTF8):
        return Decoded(_strict(data[3:], "utf-8"), "utf-8-sig")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return Decoded(_strict(data, "utf-16"), "utf-16")
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    if _UTF8_SEQUENCE.search(data):
        raise Unreadable(f"byte {utf8_error.start + 1} is not UTF-8, though the file has UTF-8 "
                         "characters elsewhere: it mixes encodings or is damaged; save it "
                         "again as \"CSV UTF-8\"")
    try:
        return Decoded(data.decode("cp1252"), "cp1252")
    except UnicodeDecodeError:
        raise Unreadable(f"byte {utf8_error.start + 1} is neither UTF-8 nor Windows-1252 text; "
                         "export the sheet as \"CSV UTF-8\"") from None


def _strict(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise Unreadable(f"byte {exc.start + 1} is not {encoding.upper()} although the file "
                         "starts with its byte order mark") from None


def delimiter(text: str) -> tuple[str, str]:
    """The delimiter of ``text``, and the text to read. Excel's ``sep=;`` first line, when
    there is one, names the delimiter; it is blanked (an empty row, so line numbers stay
    those of the file)."""
    first, newline, rest = text.partition("\n")
    hint = first.rstrip("\r")
    if hint.lower().startswith("sep=") and hint[4:] in DELIMITERS:
        return hint[4:], newline + rest
    return sniff_delimiter(text), text


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first rows most consistently into 2+ cells (comma when
    none does: a one-column file)."""
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        try:
            rows = list(islice(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter),
                               SAMPLE_ROWS))
        except csv.Error:
            continue
        rows = [r for r in rows if any(cell.strip() for cell in r)]
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        score = (sum(len(r) == width for r in rows), width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def name(delimiter: str) -> str:
    return {",": "comma", ";": "semicolon", "\t": "tab"}[delimiter]
