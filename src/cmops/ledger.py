"""The ledger: what was attempted and what came of it, one record per post × channel.

A record is written **before** every send (the intent: which part, which dedupe key, when)
and **after** it (the outcome). Records are JSON with a checksum over their canonical form,
so a half-written or hand-mangled record is detected and the item fails closed: it is
neither treated as published nor sent again; a human settles it with ``cmops resolve``.

States of a record: ``pending`` (claimed or in progress; parts say how far), ``published``,
``failed`` (the network refused it for good), ``expired`` (past max_delay, never sent),
``needs_human`` (an attempt's outcome cannot be proven), ``withdrawn`` (published, then
taken down: every part deleted). Part states: ``sending`` (an intent without an outcome),
``deferred`` (not accepted, e.g. a 429: safe to send again), ``published``, ``deleting`` (a
delete's intent without its outcome: deleting again is safe, a network counts what is
already gone as deleted), ``deleted``, ``editing`` (an edit's intent without its outcome:
the next run reads the live text back and sends the edit again only if it is not there).

Each part keeps the ``text`` it is live with; an applied edit moves the texts it replaced
into ``versions`` (the history, oldest first) and updates ``digest``.

A withdrawal writes its intent and outcome per part exactly like a send; the record stays
``published`` until its last part is deleted, so a run that dies half-way leaves it to the
next run, which deletes what is not recorded deleted yet.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from cmops.edits import content_digest
from cmops.plan import PARTIAL, Recorded
from cmops.times import iso

__all__ = ["TERMINAL", "Attempt", "CorruptRecord", "PartRecord", "PartState", "Record",
           "RecordState", "Version", "content_digest", "dumps", "iso", "ledger_view", "loads"]

FORMAT = 1


class RecordState(StrEnum):
    """A record's state; the value is what the ledger file holds."""

    PENDING = "pending"
    PUBLISHED = "published"
    FAILED = "failed"
    EXPIRED = "expired"
    NEEDS_HUMAN = "needs_human"
    WITHDRAWN = "withdrawn"
    """Published, then taken down (``status: withdrawn``): every part deleted."""


class PartState(StrEnum):
    PLANNED = "planned"
    SENDING = "sending"
    """An intent without an outcome: the next attempt reconciles it first."""
    DEFERRED = "deferred"
    """Not accepted (e.g. a 429): safe to send again."""
    PUBLISHED = "published"
    DELETING = "deleting"
    """A delete's intent without an outcome: the next withdrawal run deletes it again (safe:
    what is already gone counts as deleted)."""
    DELETED = "deleted"
    EDITING = "editing"
    """An edit's intent without an outcome: the next run reads the live text back first."""


TERMINAL = frozenset({RecordState.PUBLISHED, RecordState.FAILED, RecordState.EXPIRED,
                      RecordState.NEEDS_HUMAN, RecordState.WITHDRAWN})
MAX_ATTEMPTS_KEPT = 20


class CorruptRecord(Exception):
    def __init__(self, key: str, why: str) -> None:
        super().__init__(f"ledger record {key} is corrupt ({why}); nothing is sent for it "
                         "until a human settles it with cmops resolve")
        self.key = key


@dataclass(slots=True)
class PartRecord:
    state: PartState
    dedupe: str
    sent_at: str | None = None
    remote_id: str | None = None
    url: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    at: str | None = None
    """When it was published."""
    deleted_at: str | None = None
    """When its delete was sent (state ``deleting``) or done (``deleted``)."""
    text: str | None = None
    """The text it is live with: as sent, or as last edited (None in older records)."""
    edited_at: str | None = None
    """When its text was last edited (an edit's intent while the state is ``editing``)."""
    alts: list[str | None] | None = None
    """The alt text of each of its attachments, in order, as live (None in older records)."""


@dataclass(slots=True)
class Version:
    """An earlier version of a record's messages, as it was live until an edit replaced it."""

    until: str
    digest: str | None
    texts: list[str | None]
    run: str
    alts: list[list[str | None] | None] | None = None
    """Each message's attachments' alt texts then (None: not kept)."""


@dataclass(slots=True)
class Attempt:
    run: str
    part: int
    at: str
    outcome: str
    error: str | None = None


@dataclass(slots=True)
class Record:
    key: str
    post: str
    channel: str
    network: str
    occurrence: int | None = None
    state: RecordState = RecordState.PENDING
    publish_at: str | None = None
    digest: str | None = None
    """Hash of the rendered parts when first claimed: shows if the text changed since."""
    parts: list[PartRecord] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    error: str | None = None
    claimed_by: str | None = None
    lease_until: str | None = None
    updated: str | None = None
    resolved_by: str | None = None
    withdrawn_at: str | None = None
    """When it was taken down (its last part deleted)."""
    withdrawn_reason: str | None = None
    """The post's ``withdrawn_reason`` when it was taken down."""
    versions: list[Version] = field(default_factory=list)
    """Earlier versions of its texts, oldest first (one per applied edit)."""
    edit_refused: str | None = None
    """The digest of texts the network refused to edit to, for good; ``edit_error`` says
    why. The plan lists that edit as not applied until the text changes again."""
    edit_error: str | None = None

    @property
    def url(self) -> str | None:
        return self.parts[0].url if self.parts else None

    @property
    def remote_id(self) -> str | None:
        return self.parts[0].remote_id if self.parts else None

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL

    def part(self, index: int) -> PartRecord | None:
        return self.parts[index] if index < len(self.parts) else None

    def note(self, attempt: Attempt) -> None:
        self.attempts.append(attempt)
        del self.attempts[:-MAX_ATTEMPTS_KEPT]

    def recorded(self) -> Recorded:
        at = self.parts[-1].at if self.parts else self.updated
        if self.state == RecordState.WITHDRAWN:
            at = self.withdrawn_at or self.updated
        return Recorded(self.state, self.url, at, self.error,
                        tuple(p.text for p in self.parts), self.digest,
                        self.parts[0].at if self.parts else None, self.edit_refused,
                        self.edit_error, any(p.state == PartState.EDITING for p in self.parts),
                        tuple(tuple(p.alts) if p.alts is not None else None
                              for p in self.parts))


def _canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def dumps(record: Record) -> bytes:
    body = {"format": FORMAT, **asdict(record)}
    body["checksum"] = "sha256:" + hashlib.sha256(_canonical(body)).hexdigest()
    return json.dumps(body, indent=1, ensure_ascii=False, sort_keys=True).encode() + b"\n"


def loads(data: bytes, key: str) -> Record:
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise CorruptRecord(key, "not valid JSON: truncated or half-written") from None
    if not isinstance(body, dict):
        raise CorruptRecord(key, "not a JSON object")
    checksum = body.pop("checksum", None)
    if checksum != "sha256:" + hashlib.sha256(_canonical(body)).hexdigest():
        raise CorruptRecord(key, "checksum mismatch: edited or damaged")
    if body.pop("format", None) != FORMAT:
        raise CorruptRecord(key, "unknown format")
    try:
        parts = [PartRecord(**{**p, "state": PartState(p["state"])})
                 for p in body.pop("parts")]
        attempts = [Attempt(**a) for a in body.pop("attempts")]
        versions = [Version(**v) for v in body.pop("versions", [])]
        record = Record(**{**body, "state": RecordState(body["state"])}, parts=parts,
                        attempts=attempts, versions=versions)
    except (TypeError, KeyError, ValueError):
        raise CorruptRecord(key, "missing or unknown fields, or an unknown state") from None
    if record.key != key:
        raise CorruptRecord(key, f"it says it is {record.key}")
    return record


def ledger_view(records: dict[str, Record | CorruptRecord]) -> dict[str, Recorded]:
    """What the plan needs to know: outcomes (and corrupt records, which need a human)."""
    view: dict[str, Recorded] = {}
    for key, rec in records.items():
        if isinstance(rec, CorruptRecord):
            view[key] = Recorded("needs_human", error=str(rec))
        elif rec.terminal:
            view[key] = rec.recorded()
        elif any(p.state in ("published", "deleting", "deleted") for p in rec.parts):
            # a thread stopped half-way: what is out is taken down if the post is withdrawn
            view[key] = Recorded(PARTIAL, rec.url, rec.updated, rec.error)
    return view
