"""Dates and times as spreadsheets and schedulers write them, read into cmops's local
``YYYY-MM-DDTHH:MM`` (pure).

Dates: ``2027-02-13`` and ``2027/02/13`` (year first: always year, month, day);
``13/02/2027``, ``02/13/2027``, also with ``-`` or ``.`` (year last: day and month in the
order the file was written in). A year-last date whose first two numbers could both be a
month (``01/02/2027``) is ambiguous: it is refused unless ``--date-order dmy`` or ``mdy``
says which, as Hootsuite's bulk composer asks at upload. Two-digit years (``01/02/27``) are
refused unless ``--date-order`` (``dmy``, ``mdy`` or ``ymd``) says where the year is; they
mean 2000-2099.

Times: ``14:30``, ``9:30``, ``14:30:00`` or ``14:30:00.000`` (seconds must be 0: posts
are scheduled to the minute), ``9:30 pm``, ``9:30PM``, ``9 am``, ``12:15 a.m.``. A date-time
cell is a date, a space or ``T``, then a time; an ISO 8601 offset (``Z``, ``+01:00``) is
kept, making the time absolute instead of local to each channel's zone.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

ORDERS = ("dmy", "mdy", "ymd")
MONTHS = tuple(calendar.month_name)  # English names, whatever the process locale

_YEAR_FIRST = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})")
_YEAR_LAST = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})")
_TIME = re.compile(r"(\d{1,2})(?::(\d{2})(?::(\d{2})(?:\.0+)?)?)?\s*([ap]\.?m\.?)?",
                   re.IGNORECASE)
_OFFSET = re.compile(r"(Z|[+-]\d{2}:\d{2})")
_STRICT_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_STRICT_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


class BadDate(ValueError):
    """A date or time that cannot be read; the message says why."""


class Ambiguous(BadDate):
    """A date whose day and month could be swapped; needs ``--date-order``."""


@dataclass(frozen=True, slots=True)
class Reading:
    order: str | None = None
    """``dmy``, ``mdy``, ``ymd`` or None (then ambiguous dates are refused)."""
    strict: bool = False
    """cmops's own layout: ``YYYY-MM-DD`` and ``HH:MM`` only (errors as before issue 20)."""


def _check(year: int, month: int, day: int, raw: str) -> str:
    if not 1 <= month <= 12:
        raise BadDate(f"date {raw!r} has no month {month}")
    if not 2000 <= year <= 2100:
        raise BadDate(f"date {raw!r} is outside the years 2000 to 2100")
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        raise BadDate(f"date {raw!r} has no day {day} in {MONTHS[month]} {year}")
    return f"{year:04d}-{month:02d}-{day:02d}"


def parse_date(raw: str, reading: Reading) -> str:
    """``YYYY-MM-DD`` from ``raw``; :class:`BadDate` or :class:`Ambiguous` with the reason."""
    if reading.strict:
        if not _STRICT_DATE.fullmatch(raw):
            raise BadDate(f"date {raw!r} is not YYYY-MM-DD")
        return _check(int(raw[:4]), int(raw[5:7]), int(raw[8:]), raw)
    first = _YEAR_FIRST.fullmatch(raw)
    if first:
        return _check(int(first[1]), int(first[3]), int(first[4]), raw)
    last = _YEAR_LAST.fullmatch(raw)
    if not last:
        raise BadDate(f"date {raw!r} is not a date (YYYY-MM-DD, DD/MM/YYYY or MM/DD/YYYY)")
    a, b, year_text = int(last[1]), int(last[3]), last[4]
    order = reading.order
    if len(year_text) == 2:
        if order is None:
            raise Ambiguous(f"{raw} has a two-digit year: pass --date-order dmy, mdy or ymd")
        if order == "ymd":  # 27/02/13: the two-digit year comes first
            return _check(2000 + a, b, int(year_text), raw)
    year = 2000 + int(year_text) if len(year_text) == 2 else int(year_text)
    if order == "ymd" and len(year_text) == 4:
        order = None  # the four-digit year is last: --date-order ymd does not apply
    if order == "dmy":
        return _check(year, b, a, raw)
    if order == "mdy":
        return _check(year, a, b, raw)
    if a > 12 and b <= 12:
        return _check(year, b, a, raw)
    if b > 12 and a <= 12:
        return _check(year, a, b, raw)
    if a > 12 and b > 12:
        raise BadDate(f"date {raw!r} has no month (neither {a} nor {b} is one)")
    if a == b:
        return _check(year, a, b, raw)
    raise Ambiguous(f"{raw} could be {a} {MONTHS[b]} or {b} {MONTHS[a]}: pass --date-order "
                    "dmy or mdy")


def evident_order(raw: str) -> str | None:
    """``dmy`` or ``mdy`` when the date (or date-time) ``raw`` can only be read one way
    because one of its first two numbers is over 12 (``13/02/2027``), else None."""
    last = _YEAR_LAST.fullmatch(re.split(r"[T ]", raw.strip(), maxsplit=1)[0])
    if not last or len(last[4]) != 4:
        return None
    a, b = int(last[1]), int(last[3])
    return "dmy" if a > 12 >= b >= 1 else "mdy" if b > 12 >= a >= 1 else None


def parse_time(raw: str, reading: Reading) -> str:
    """``HH:MM`` (24-hour) from ``raw``."""
    if reading.strict:
        if not _STRICT_TIME.fullmatch(raw):
            raise BadDate(f"time {raw!r} is not HH:MM")
        return raw
    match = _TIME.fullmatch(raw.strip())
    if not match or (match[2] is None and match[4] is None):
        raise BadDate(f"time {raw!r} is not a time (HH:MM, H:MM, or with am/pm)")
    hour, minute = int(match[1]), int(match[2] or 0)
    if match[3] not in (None, "00"):
        raise BadDate(f"time {raw!r} has seconds: posts are scheduled to the minute")
    if minute > 59:
        raise BadDate(f"time {raw!r} has no minute {minute}")
    if match[4]:
        if not 1 <= hour <= 12:
            raise BadDate(f"time {raw!r} has hour {hour} with am/pm (1 to 12)")
        hour = hour % 12 + (12 if match[4].lower().startswith("p") else 0)
    elif hour > 23:
        raise BadDate(f"time {raw!r} has no hour {hour}")
    return f"{hour:02d}:{minute:02d}"


def parse_when(raw: str, reading: Reading) -> str:
    """``YYYY-MM-DDTHH:MM`` (with the offset when ``raw`` has one) from a date-time cell."""
    text = raw.strip()
    offset = ""
    tail = _OFFSET.search(text)
    if tail and tail.end() == len(text) and ("T" in text or ":" in text[:tail.start()]):
        offset, text = tail[1], text[:tail.start()].rstrip()
    parts = re.split(r"[T ]", text, maxsplit=1)
    if len(parts) != 2 or not parts[1].strip():
        raise BadDate(f"{raw!r} is not a date and a time (such as 13/02/2027 09:30)")
    date = parse_date(parts[0], reading)
    time = parse_time(parts[1].strip(), reading)
    return f"{date}T{time}{offset}"
