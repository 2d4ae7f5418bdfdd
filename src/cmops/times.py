"""Times as cmops writes them (ISO 8601, UTC, whole seconds, ``Z``) and reads them back.

One spelling everywhere a time is stored (ledger records, heartbeat, snapshots, KPIs), so
stored times compare as datetimes once read, never as strings. Pure.
"""

from __future__ import annotations

from datetime import UTC, datetime


def iso(when: datetime) -> str:
    """``2026-11-24T09:00:00Z`` for an aware datetime (any zone)."""
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_iso(text: str | None) -> datetime | None:
    """An aware datetime from what :func:`iso` wrote (or any ISO 8601 time with an offset);
    None for None, a naive time or text that is not a time."""
    if not isinstance(text, str):
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else None
