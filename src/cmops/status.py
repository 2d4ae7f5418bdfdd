"""What the ledger says about every post × channel, and how a human settles an item.

``status`` joins the plan (every item the calendar defines) with the ledger (every record,
including those of posts since removed from the calendar). ``resolve`` is the only way an
item leaves ``needs_human``: a person checked the network and says what happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cmops.ids import UnsafeName, record_parts
from cmops.ledger import (
    Attempt,
    CorruptRecord,
    PartState,
    Record,
    RecordState,
    iso,
    ledger_view,
)
from cmops.model import Calendar
from cmops.plan import build_plan, item_key
from cmops.stores import Store


@dataclass(frozen=True, slots=True)
class Row:
    key: str
    post: str
    channel: str
    network: str
    state: str
    when: str | None
    url: str | None
    remote_id: str | None
    attempts: int
    error: str | None
    updated: str | None
    parts: int = 1
    withdrawn_at: str | None = None
    withdrawn_reason: str | None = None
    """When and why a withdrawn post was taken down."""
    edited_at: str | None = None
    """When its text was last edited on the network (None: never)."""
    versions: int = 0
    """Earlier versions of its text the ledger keeps (one per message edited)."""

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "post": self.post, "channel": self.channel,
                "network": self.network, "state": self.state, "publish_at": self.when,
                "url": self.url, "remote_id": self.remote_id, "attempts": self.attempts,
                "error": self.error, "updated": self.updated, "parts": self.parts,
                "withdrawn_at": self.withdrawn_at, "withdrawn_reason": self.withdrawn_reason,
                "edited_at": self.edited_at, "versions": self.versions}


def status(calendar: Calendar, store: Store, now: datetime) -> list[Row]:
    records = store.load()
    # every post the calendar holds, however far ahead
    plan = build_plan(calendar, now, horizon=now + timedelta(days=3660),
                      ledger=ledger_view(records))
    rows: dict[str, Row] = {}
    for item in plan.items:
        rec = records.get(item.key)
        when = iso(item.when) if item.when else None
        if isinstance(rec, Record):
            rows[item.key] = _row(rec, when, item.state.value)
        else:
            error = str(rec) if isinstance(rec, CorruptRecord) else item.reason or None
            state = "needs_human" if isinstance(rec, CorruptRecord) else item.state.value
            rows[item.key] = Row(item.key, item.post.id, item.channel, item.network, state,
                                 when, None, None, 0, error, None)
    for key, rec in records.items():
        if key in rows:
            continue
        if isinstance(rec, CorruptRecord):
            post, _, channel = key.rpartition("/")
            rows[key] = Row(key, post, channel, "?", "needs_human", None, None, None, 0,
                            str(rec), None)
        else:
            rows[key] = _row(rec, rec.publish_at, None)
    return sorted(rows.values(), key=lambda r: (r.when is None, r.when or "", r.key))


_NOT_SENDS = frozenset({"reconciled", "deleted", "withdrawn"})
"""Attempt outcomes that are not a send (with the ``delete…`` ones of a withdrawal and the
``edit…`` ones of an edit)."""


def _row(rec: Record, when: str | None, planned: str | None) -> Row:
    """A record's row. A pending record that was attempted is ``in_progress`` (its next run
    reconciles or retries it); one never attempted shows its plan state (due, scheduled…)."""
    state: str = rec.state
    if state == "pending":
        attempted = any(p.state in ("sending", "published") for p in rec.parts)
        state = "in_progress" if attempted or planned is None else planned
    return Row(rec.key, rec.post, rec.channel, rec.network, state, when, rec.url,
               rec.remote_id, sum(1 for a in rec.attempts if a.outcome not in _NOT_SENDS
                                  and not a.outcome.startswith(("delete", "edit"))),
               rec.error, rec.updated, max(1, len(rec.parts)), rec.withdrawn_at,
               rec.withdrawn_reason,
               max((p.edited_at for p in rec.parts if p.edited_at and p.state != "editing"),
                   default=None), len(rec.versions))


class ResolveError(Exception):
    pass


RESOLUTIONS = ("published", "failed", "retry", "withdrawn")


def resolve(calendar: Calendar, store: Store, *, post: str, channel: str, resolution: str,
            now: datetime, url: str | None = None, remote_id: str | None = None,
            reason: str | None = None, occurrence: int | None = None,
            by: str | None = None) -> Record:
    """Settle one item by hand: ``published`` (it is on the network, at ``url``), ``failed``
    (it is not, and must not be sent), ``retry`` (it is not: send it on the next run, with
    fresh dedupe keys), or ``withdrawn`` (it was published and has been deleted on the
    network by hand, every part of it)."""
    if resolution not in RESOLUTIONS:
        raise ResolveError(f"--as must be one of {', '.join(RESOLUTIONS)}")
    if channel not in calendar.channels:
        raise ResolveError(f"unknown channel {channel}")
    key = item_key(post, channel, occurrence)
    try:
        record_parts(key)
    except UnsafeName as exc:
        raise ResolveError(f"{exc}; ids with such characters are never published or "
                           "recorded") from None
    records = store.load()
    found = records.get(key)
    if found is None and not any(p.id == post for p in calendar.posts):
        raise ResolveError(f"no post {post} in the calendar and no ledger record {key}")
    if resolution == "published" and not (url or remote_id):
        raise ResolveError("say where it is: --url (and/or --id)")
    network = calendar.channels[channel].network or "outbox"
    record = found if isinstance(found, Record) else Record(key, post, channel, network,
                                                            occurrence)
    stamp = iso(now)
    note = f"resolved by hand as {resolution}" + (f" by {by}" if by else "")
    if resolution == "published":
        record.state, record.error = RecordState.PUBLISHED, None
        if not record.parts:
            from cmops.ledger import PartRecord

            record.parts.append(PartRecord(PartState.PLANNED, "manual"))
        for part in record.parts:
            if part.state != "published":
                part.state, part.at = PartState.PUBLISHED, stamp
        record.parts[0].url = url or record.parts[0].url
        record.parts[0].remote_id = remote_id or record.parts[0].remote_id or url
    elif resolution == "withdrawn":
        record.state, record.error = RecordState.WITHDRAWN, None
        record.withdrawn_at = stamp
        record.withdrawn_reason = reason or next(
            (p.withdrawn_reason for p in calendar.posts if p.id == post), None)
        for part in record.parts:
            if part.state in ("published", "deleting"):
                part.state, part.deleted_at = PartState.DELETED, stamp
    elif resolution == "failed":
        record.state, record.error = RecordState.FAILED, reason or note
    else:
        record.state, record.error = RecordState.PENDING, None
        record.parts = [p for p in record.parts if p.state == "published"]
    record.claimed_by = record.lease_until = None
    record.resolved_by = by or "cmops resolve"
    record.updated = stamp
    record.note(Attempt("manual", 0, stamp, f"resolved:{resolution}", reason))
    _save_resolved(store, record)
    return record


def _save_resolved(store: Store, record: Record) -> None:
    def prepare(key: str, current: Record | None) -> Record | None:
        return record

    if not store.claim([record.key], prepare):
        raise ResolveError(f"{record.key} is being published by a run right now; try again "
                           "when it ends")
    store.checkpoint()


def as_json(rows: list[Row], store: str) -> str:
    """``cmops status --format json``: the store and every row."""
    import json

    return json.dumps({"store": store, "items": [r.as_json() for r in rows]},
                      indent=2, ensure_ascii=False)


def as_text(rows: list[Row], store: str) -> str:
    """``cmops status`` for people: the store, then one line per row."""
    lines = [f"Ledger in {store}"]
    for r in rows:
        extra = r.url or r.error or ""
        if r.state == "withdrawn":
            extra = f"taken down {r.withdrawn_at or '?'}" + (
                f": {r.withdrawn_reason}" if r.withdrawn_reason else "") + (
                f" (was {r.url})" if r.url else "")
        if r.edited_at and r.state == "published":
            extra += f" (edited {r.edited_at})"
        parts = f" ({r.parts} parts)" if r.parts > 1 else ""
        tries = f" after {r.attempts} sends" if r.attempts > r.parts else ""
        when = r.when or "on request"
        lines.append(f"{r.state:<12} {when:<21} {r.key:<40} {extra}{parts}{tries}")
    return "\n".join(lines)


RENDERERS = {"text": as_text, "json": as_json}
