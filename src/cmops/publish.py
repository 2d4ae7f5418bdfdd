"""The publisher: send what the plan says is due, exactly once, and record it in the ledger.

For every item (post × channel, × occurrence for repeats) the order is always:

1. **claim** it in the store (another run that holds it is left alone);
2. per part (a thread's messages in order, each replying to the previous one):
   write the **intent** (state ``sending``, the dedupe key, the time), **send**, write the
   **outcome**;
3. a part found in state ``sending`` was attempted by a run that died or lost its answer:
   it is **reconciled** through the adapter first (replay with the same idempotency key,
   look the record key up) and becomes ``needs_human`` when nothing can prove what happened.
   It is never simply sent again.

Timeouts, connection errors and 5xx are retried with backoff (and ``Retry-After``) inside
the run's time budget; 4xx rejections fail the item at once; one channel failing never
stops the others. A crash at any instruction leaves the ledger saying either "not sent",
"maybe sent" (reconciled next run) or "sent".
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

from cmops.adapters import (
    ADAPTERS,
    Adapter,
    CannotTell,
    ChannelContext,
    Edit,
    LinkCard,
    MediaFile,
    NotConfigured,
    Outgoing,
    PublishError,
    Rejected,
    Remote,
    Transient,
    Withdrawal,
)
from cmops.atomic import write_atomic
from cmops.cache import digest
from cmops.cards import CardError, FetchedCard
from cmops.cards import fallback as fallback_card
from cmops.cards import fetch as fetch_card
from cmops.edits import edit_goal
from cmops.faults import crash_point as _crash_point
from cmops.ids import UnsafeName, record_parts
from cmops.ledger import (
    Attempt,
    CorruptRecord,
    PartRecord,
    PartState,
    Record,
    RecordState,
    Version,
    content_digest,
    ledger_view,
)
from cmops.model import Calendar
from cmops.plan import Item, State, build_plan, by_hand
from cmops.prepare import EXTENSIONS, Unpreparable, prepare_file
from cmops.render import COMMENT, Card, Rendered, render
from cmops.retry import Backoff
from cmops.rules.media import sniff
from cmops.secrets import MissingSecret, Redactor, redact_known, resolve
from cmops.stores import Store
from cmops.text.limits import NETWORKS, sends_original
from cmops.times import iso, parse_iso
from cmops.tokens import ROTATING, TOKEN_KEY_ENV, DataFiles, TokenKeeper
from cmops.workspace import OutsideRepository, media_file

_T = TypeVar("_T")


def same_text(live: str, sent: str) -> bool:
    """Whether a text read back from a network is the one sent (line endings and the
    whitespace networks trim at the ends aside)."""
    def norm(text: str) -> str:
        return "\n".join(line.rstrip() for line in
                         text.replace("\r\n", "\n").strip().split("\n"))
    return norm(live) == norm(sent)


HEARTBEAT = "runs/heartbeat.json"
HEARTBEAT_EVERY = timedelta(hours=1)
PREPARED_DIR = ".cmops/cache/media"
"""Where images prepared for a network are written (git-ignored), named by their hash."""


def heartbeat_time(data: bytes | None) -> datetime | None:
    """When the last recorded publish run happened, from the heartbeat file's bytes."""
    if not data:
        return None
    try:
        at = json.loads(data)["at"]
        return datetime.fromisoformat(str(at).replace("Z", "+00:00"))
    except (ValueError, KeyError, TypeError):
        return None


DEFAULT_BUDGET = 600.0
"""Seconds a run may spend sending; the publish workflow's job timeout is set above it."""
BUDGET_RESERVE = 30.0
"""No new send starts when less than this is left: a send is never cut in half by the job
timeout without its intent being on record."""


@dataclass(frozen=True, slots=True)
class Options:
    now: datetime
    channels: tuple[str, ...] = ()
    posts: tuple[str, ...] = ()
    dry_run: bool = False
    budget: float = DEFAULT_BUDGET
    backoff: Backoff = field(default_factory=Backoff)
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])


@dataclass(slots=True)
class Outcome:
    key: str
    post: str
    channel: str
    network: str
    state: str
    """published, failed, needs_human, expired, pending (retried next run), deferred (not
    started: time budget), not_configured, skipped (another run holds it), due (dry run),
    invalid (held back: the content fails validation; ``error`` says the first problem),
    withdrawn (taken down: every part deleted), withdraw (dry run: would be taken down),
    edited (the live text changed to the file's: every changed message edited), edit (dry
    run: would be edited)."""
    url: str | None = None
    error: str | None = None
    sends: int = 0
    parts: int = 1
    warnings: list[str] = field(default_factory=list)
    """Sent, with something worth a look (a link card that could not be fetched)."""


BAD_STATES = frozenset({"failed", "needs_human", "expired", "pending", "deferred",
                        "not_configured", "invalid"})


@dataclass(slots=True)
class Report:
    now: datetime
    store: str
    dry_run: bool
    outcomes: list[Outcome] = field(default_factory=list)
    held: str | None = None
    """Why nothing at all was sent (a broken pause, rules or channels file)."""
    paused: list[tuple[str, str]] = field(default_factory=list)
    """(key, why) of each item that is due now but held by the crisis pause: not an error,
    but said, so that a run during a pause never reads as "nothing is due"."""

    @property
    def ok(self) -> bool:
        return self.held is None and not any(o.state in BAD_STATES for o in self.outcomes)

    def count(self, state: str) -> int:
        return sum(o.state == state for o in self.outcomes)


AdapterFactory = Callable[[str], Adapter]


class Adapters:
    """Each channel's adapter, built once on first use with its secrets from ``env``, and
    closed (its HTTP client with it) when the block that uses them ends, however it ends::

        with adapter_factory(root, calendar, redactor, store=store) as adapters:
            Publisher(root, calendar, store, adapters, options).run()
    """

    def __init__(self, root: Path, calendar: Calendar, redactor: Redactor,
                 env: Mapping[str, str] | None = None, store: DataFiles | None = None
                 ) -> None:
        self.root, self.calendar, self.redactor, self.env = root, calendar, redactor, env
        self.store = store
        """The run's ledger store, where a network that rotates its refresh token keeps the
        newest one (:mod:`cmops.tokens`); None: renewed tokens are kept in memory only."""
        self.built: dict[str, Adapter | NotConfigured] = {}

    def __call__(self, channel: str) -> Adapter:
        if channel not in self.built:
            self.built[channel] = self._build(channel)
        found = self.built[channel]
        if isinstance(found, NotConfigured):
            raise found
        return found

    def _build(self, channel: str) -> Adapter | NotConfigured:
        ch = self.calendar.channels[channel]
        network = ch.network or "outbox"
        cls = ADAPTERS.get(network)
        if cls is None:
            return NotConfigured(f"no adapter for network {network} in this version")
        try:
            secrets = resolve(ch.secrets, self.env, self.redactor, channel=channel)
            tokens = None
            if self.store is not None and network in ROTATING:
                env = os.environ if self.env is None else self.env
                tokens = TokenKeeper(self.store, channel, env.get(TOKEN_KEY_ENV),
                                     self.redactor)
            return cls(ChannelContext(channel, network, ch.raw, secrets, self.root,
                                      self.redactor, tokens=tokens))
        except MissingSecret as exc:
            return NotConfigured(str(exc))
        except NotConfigured as exc:
            return exc
        except Exception as exc:  # a setting the adapter cannot use: this channel's problem
            return NotConfigured(self.redactor(f"channel {channel}: {type(exc).__name__}: "
                                               f"{exc}"))

    def close(self) -> None:
        """Close every adapter built so far; one that fails to close does not keep the
        others open."""
        built, self.built = self.built, {}
        for adapter in built.values():
            if not isinstance(adapter, NotConfigured):
                with contextlib.suppress(Exception):
                    adapter.close()

    def __enter__(self) -> Adapters:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def adapter_factory(root: Path, calendar: Calendar, redactor: Redactor,
                    env: Mapping[str, str] | None = None, store: DataFiles | None = None
                    ) -> Adapters:
    """Build each channel's adapter once, on first use, with its secrets from ``env``; use
    it as a context manager (or call ``close()``) so every HTTP client is closed. Given the
    run's ``store``, a network that rotates its refresh token keeps the newest one there,
    encrypted under ``CMOPS_TOKEN_KEY`` (:mod:`cmops.tokens`)."""
    return Adapters(root, calendar, redactor, env, store)


def _unsafe_key(key: str) -> str | None:
    try:
        record_parts(key)
    except UnsafeName as exc:
        return f"not sent: {exc}"
    return None


def _guarded(call: Callable[..., _T], adapter: Adapter, *args: object) -> _T:
    """An adapter call whose unexpected failure (a malformed 2xx answer: not JSON, no id) is
    that item's problem, never the run's: it counts as "maybe sent", so the item is
    reconciled or goes to a human, and the other items and channels go on."""
    try:
        result = call(*args)
        if isinstance(result, Remote) and result.id in ("", "None", "null"):
            raise ValueError(f"no post id in the answer (got {result.id!r})")
        return result
    except PublishError:
        raise
    except Exception as exc:
        message = redact_known(f"unexpected answer from {adapter.network}: "
                               f"{type(exc).__name__}: {exc}")
        raise Transient(message[:500], maybe_sent=True) from None


class Publisher:
    def __init__(self, root: Path, calendar: Calendar, store: Store, adapters: AdapterFactory,
                 options: Options, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep,
                 progress: Callable[[Outcome], None] | None = None) -> None:
        self.root = root
        self.calendar = calendar
        self.store = store
        self.adapters = adapters
        self.opts = options
        self.clock = clock
        self.sleep = sleep
        self.progress = progress or (lambda outcome: None)
        self.start = clock()
        self.lease = timedelta(seconds=options.budget + 300)
        self._fetched: dict[str, FetchedCard] = {}
        self._warnings: dict[str, list[str]] = {}
        self._prepared: dict[tuple[str, str], Path] = {}

    # -- time ------------------------------------------------------------------------------
    def now(self) -> datetime:
        return self.opts.now + timedelta(seconds=self.clock() - self.start)

    def left(self) -> float:
        return self.opts.budget - (self.clock() - self.start)

    # -- the run ---------------------------------------------------------------------------
    def run(self) -> Report:
        report = Report(self.opts.now, self.store.description, self.opts.dry_run)
        gate = self.calendar.gate
        if gate is None or not gate.fresh:
            raise ValueError("the publisher only sends a calendar validated from its files "
                             "without the cache: load it with "
                             "cmops.validate.load_calendar(root, use_cache=False)")
        report.held = gate.everything
        loaded = self.store.load()
        plan = build_plan(self.calendar, self.opts.now, ledger=ledger_view(loaded))
        send: list[Item] = []
        expire: list[Item] = []
        withdraw: list[Item] = []
        edit: list[Item] = []
        for item in plan.items:
            if self.opts.channels and item.channel not in self.opts.channels:
                continue
            if self.opts.posts and item.post.id not in self.opts.posts:
                continue
            current = loaded.get(item.key)
            requested = item.post.id in self.opts.posts
            # What would be acted on now: due, expired unrecorded, a requested holding
            # statement, or held back (by validation, or a pause file that cannot be read).
            wanted = item.state is State.DUE or (
                item.state is State.EXPIRED and item.recorded is None) or (
                item.state in (State.STANDBY, State.INVALID, State.PAUSED) and (
                    requested if item.when is None else item.when <= self.opts.now))
            held = (item.reason if item.state is State.INVALID else None) or \
                gate.holds(item.post.id, item.channel, item.post.campaign) or \
                _unsafe_key(item.key)
            if wanted and item.state is State.PAUSED and not gate.pause_broken:
                report.paused.append((item.key, item.reason))
            if wanted and held and (item.state is not State.PAUSED or gate.pause_broken):
                report.outcomes.append(self._outcome(item, "invalid", error=held))
            elif isinstance(current, CorruptRecord):
                report.outcomes.append(self._outcome(item, "needs_human", error=str(current)))
            elif item.state is State.WITHDRAW:
                # A delete cannot be undone: an error in what says to delete it (the post's
                # id, status or channels, its channel, the rules, a broken pause file)
                # holds it; one in its content does not (:meth:`Gate.holds_withdrawal`). A
                # valid crisis pause does not either: taking a post down is often what a
                # crisis calls for.
                why = gate.holds_withdrawal(item.post.id, item.channel) or \
                    _unsafe_key(item.key)
                if why:
                    report.outcomes.append(self._outcome(item, "invalid", error=why))
                else:
                    withdraw.append(item)
            elif item.state is State.EDIT:
                why = gate.holds(item.post.id, item.channel, item.post.campaign) or \
                    _unsafe_key(item.key)
                if why:
                    report.outcomes.append(self._outcome(item, "invalid", error=why))
                else:
                    edit.append(item)
            elif item.state is State.NEEDS_HUMAN:
                report.outcomes.append(self._outcome(
                    item, "needs_human", error=(item.recorded.error if item.recorded
                                                else None) or item.reason or None))
            elif item.state is State.DUE or (item.state is State.STANDBY
                                              and item.post.id in self.opts.posts):
                send.append(item)
            elif item.state is State.EXPIRED and item.recorded is None:
                # A thread already under way is finished, never left half-posted.
                started = isinstance(current, Record) and any(
                    p.state in ("sending", "published") for p in current.parts)
                (send if started else expire).append(item)
        if self.opts.dry_run:
            for item in send:
                try:
                    # Building an adapter reads its secrets and settings and makes no
                    # network call: what would be not configured is said now, not at send.
                    self.adapters(item.channel)
                except NotConfigured as exc:
                    report.outcomes.append(self._outcome(item, "not_configured",
                                                         error=str(exc)))
                    continue
                report.outcomes.append(self._outcome(item, "due"))
            report.outcomes += [self._outcome(i, "expired", error=i.reason) for i in expire]
            report.outcomes += [self._outcome(i, "withdraw", url=i.recorded.url if i.recorded
                                              else None) for i in withdraw]
            report.outcomes += [self._outcome(i, "edit", url=i.recorded.url if i.recorded
                                              else None) for i in edit]
            return report
        rendered: dict[str, Rendered] = {}
        for item in list(send):
            try:
                rendered[item.key] = self._render(item)
            except ValueError as exc:
                send.remove(item)
                report.outcomes.append(self._outcome(item, "invalid", error=str(exc)))
        items = {i.key: i for i in send + expire}
        unconfigured: dict[str, str] = {}
        for item in send:
            try:
                self.adapters(item.channel)
            except NotConfigured as exc:
                unconfigured[item.key] = str(exc)
                report.outcomes.append(self._outcome(item, "not_configured", error=str(exc)))

        def prepare(key: str, current: Record | None) -> Record | None:
            item = items[key]
            if current is not None and (current.terminal or self._held(current)):
                return None
            record = current or Record(key, item.post.id, item.channel, item.network,
                                       item.occurrence,
                                       publish_at=iso(item.when) if item.when else None)
            record.claimed_by = self.opts.run_id
            record.lease_until = iso(self.opts.now + self.lease)
            record.updated = iso(self.now())
            if key not in rendered:
                record.state, record.error = RecordState.EXPIRED, item.reason
                record.claimed_by = record.lease_until = None
                return record
            adapter = self.adapters(item.channel)
            texts = [p.text for p in rendered[key].parts]
            record.digest = record.digest or content_digest(texts)
            for index in range(len(record.parts), len(texts)):
                record.parts.append(PartRecord(PartState.PLANNED, adapter.new_dedupe(
                    key, index, self.opts.now)))
            if self.store.claim_marks_sending:
                for part in record.parts:
                    if part.state in ("planned", "deferred"):
                        part.state, part.sent_at = PartState.SENDING, iso(self.now())
            return record

        keys = [i.key for i in expire] + [i.key for i in send if i.key not in unconfigured]
        owned = {r.key: r for r in self.store.claim(keys, prepare)}
        _crash_point("after-claim")
        for key in keys:
            item = items[key]
            record = owned.get(key)
            if record is None:
                report.outcomes.append(self._outcome(item, "skipped",
                                                     error="claimed by another run"))
                continue
            if record.state == "expired":
                outcome = self._outcome(item, "expired", error=record.error)
            elif self.left() < BUDGET_RESERVE:
                record.claimed_by = record.lease_until = None
                self.store.save(record)
                outcome = self._outcome(item, "deferred",
                                        error="time budget used up; next run sends it")
            else:
                outcome = self._send_item(item, record, rendered[key])
            report.outcomes.append(outcome)
            self.progress(outcome)
        self._withdraw(withdraw, report)
        self._edit(edit, report)
        self.store.checkpoint()
        self._heartbeat(report)
        return report

    # -- withdrawals -----------------------------------------------------------------------
    def _withdraw(self, items: list[Item], report: Report) -> None:
        """Take down every published item whose post is ``status: withdrawn``: claimed like a
        send, then each part deleted, last first (the first comment, the thread's parts from
        the last, the main post), with the delete's intent (``deleting``) and outcome
        (``deleted``) written around each call."""
        def mark(item: Item, record: Record) -> None:
            for part in record.parts:
                if part.state == "published":
                    part.state, part.deleted_at = PartState.DELETING, iso(self.now())

        # published, or a thread stopped half-way (pending, some parts out)
        self._act_on_published(items, report, (RecordState.PUBLISHED, RecordState.PENDING),
                               mark, self._withdraw_item, "takes it down")

    def _act_on_published(self, items: list[Item], report: Report,
                          states: tuple[RecordState, ...],
                          mark: Callable[[Item, Record], None],
                          act: Callable[[Item, Record], Outcome], later: str) -> None:
        """Claim items already on the network like a send, then ``act`` on each (take it
        down, edit it). Only records in ``states`` are claimed; on a store whose claim is the
        only durable intent written before acting (the git branch), ``mark`` writes that
        intent into the claimed record. ``later`` says what the next run does with an item
        this run has no time left for."""
        ready: dict[str, Item] = {}
        for item in items:
            try:
                self.adapters(item.channel)
            except NotConfigured as exc:
                report.outcomes.append(self._outcome(item, "not_configured", error=str(exc)))
                continue
            ready[item.key] = item

        def prepare(key: str, current: Record | None) -> Record | None:
            if current is None or current.state not in states or self._held(current):
                return None
            current.claimed_by = self.opts.run_id
            current.lease_until = iso(self.opts.now + self.lease)
            current.updated = iso(self.now())
            if self.store.claim_marks_sending:
                mark(ready[key], current)
            return current

        owned = {r.key: r for r in self.store.claim(list(ready), prepare)} if ready else {}
        for key, item in ready.items():
            record = owned.get(key)
            if record is None:
                report.outcomes.append(self._outcome(item, "skipped", error="claimed by "
                                                     "another run, or no longer published"))
                continue
            if self.left() < BUDGET_RESERVE:
                record.claimed_by = record.lease_until = None
                self.store.save(record)
                outcome = self._outcome(item, "deferred",
                                        error=f"time budget used up; next run {later}")
            else:
                outcome = act(item, record)
            report.outcomes.append(outcome)
            self.progress(outcome)

    def _withdraw_item(self, item: Item, record: Record) -> Outcome:
        adapter = self.adapters(item.channel)
        delete: Callable[[Withdrawal], None] | None = getattr(adapter, "delete", None)
        if not adapter.rules.deletes or delete is None:
            record.state = RecordState.NEEDS_HUMAN
            record.error = by_hand(item.post.id, item.channel, item.network, record.url,
                                   item.occurrence)
            record.claimed_by = record.lease_until = None
            self.store.save(record)
            return self._finish(item, record, 0)
        sends = 0
        # Parts were recorded in send order (main post, thread parts, first comment last):
        # taken down in reverse, so nothing is ever left answering a deleted message.
        for index in reversed(range(len(record.parts))):
            part = record.parts[index]
            if part.state not in ("published", "deleting", "editing"):
                continue  # deleted already, or never went out
            done, used = self._delete_part(delete, adapter, item, record, index)
            sends += used
            if not done:
                record.claimed_by = record.lease_until = None
                self.store.save(record)
                outcome = self._finish(item, record, sends)
                if record.state in (RecordState.PUBLISHED, RecordState.PENDING):
                    outcome.state = "pending"  # still live: the next run deletes the rest
                return outcome
        unsure = [i + 1 for i, p in enumerate(record.parts) if p.state == "sending"]
        if unsure:
            # a send never confirmed (a thread stopped half-way): it may be out, with no id
            record.state = RecordState.NEEDS_HUMAN
            record.error = (f"the rest is taken down, but part {unsure[0]} was being sent "
                            f"when its run stopped and may be on {item.network}: check there "
                            f"and delete it by hand if it is, then run cmops resolve "
                            f"{item.post.id} --channel {item.channel} --as withdrawn")
            record.claimed_by = record.lease_until = None
            self.store.save(record)
            return self._finish(item, record, sends)
        record.state, record.error = RecordState.WITHDRAWN, None
        record.withdrawn_at = iso(self.now())
        record.withdrawn_reason = item.post.withdrawn_reason
        record.claimed_by = record.lease_until = None
        record.updated = record.withdrawn_at
        record.note(Attempt(self.opts.run_id, 0, record.withdrawn_at, "withdrawn",
                            item.post.withdrawn_reason))
        self.store.save(record)
        return self._finish(item, record, sends)

    def _delete_part(self, delete: Callable[[Withdrawal], None], adapter: Adapter,
                     item: Item, record: Record, index: int) -> tuple[bool, int]:
        """Delete one part; (deleted?, deletes sent). A part found ``deleting`` (a run died
        between sending the delete and recording it) is simply deleted again: a network
        counts what is already gone as deleted (:class:`Deleter`)."""
        part = record.parts[index]
        published = parse_iso(part.at)
        target = Withdrawal(item.channel, item.post.id, index,
                            Remote(part.remote_id or "", part.url, dict(part.extra)),
                            published)
        sends = 0
        for attempt in range(1, self.opts.backoff.attempts + 1):
            part.state, part.deleted_at = PartState.DELETING, iso(self.now())
            self.store.save(record)  # the intent, durable before the network sees it
            _crash_point("after-delete-intent")
            sends += 1
            try:
                _guarded(delete, adapter, target)
            except Rejected as exc:
                part.state = PartState.PUBLISHED  # refused: it is still there
                record.state = RecordState.NEEDS_HUMAN
                record.error = (f"{item.network} refused to delete part {index + 1}: {exc}; "
                                + by_hand(item.post.id, item.channel, item.network,
                                          part.url or record.url, item.occurrence))
                record.note(Attempt(self.opts.run_id, index, iso(self.now()),
                                    "delete-rejected", str(exc)))
                return False, sends
            except Transient as exc:
                if not exc.maybe_sent:
                    part.state = PartState.PUBLISHED
                record.error = f"not taken down yet (retried by the next run): {exc}"
                record.note(Attempt(self.opts.run_id, index, iso(self.now()),
                                    "delete-maybe-sent" if exc.maybe_sent
                                    else "delete-not-sent", str(exc)))
                wait = exc.retry_after if exc.retry_after is not None \
                    else self.opts.backoff.delay(attempt)
                if attempt == self.opts.backoff.attempts or wait > self.left() - BUDGET_RESERVE:
                    return False, sends
                self.store.save(record)
                self.sleep(wait)
                continue
            except NotConfigured as exc:
                part.state = PartState.PUBLISHED
                record.error = str(exc)
                return False, sends
            _crash_point("after-delete")
            part.state, part.deleted_at = PartState.DELETED, iso(self.now())
            record.note(Attempt(self.opts.run_id, index, part.deleted_at, "deleted"))
            record.updated = part.deleted_at
            self.store.save(record)
            return True, sends
        return False, sends

    # -- edits -----------------------------------------------------------------------------
    def _edit(self, items: list[Item], report: Report) -> None:
        """Change the live text of every published item whose file changed (plan state
        ``edit``): claimed like a send, then each changed message edited in order, with the
        edit's intent (``editing``) and outcome written around each call."""
        def mark(item: Item, record: Record) -> None:
            for change in item.edits:
                part = record.part(change.part)
                if part is not None and part.state == "published":
                    part.state, part.edited_at = PartState.EDITING, iso(self.now())

        self._act_on_published(items, report, (RecordState.PUBLISHED,), mark,
                               self._edit_item, "edits it")

    def _edit_item(self, item: Item, record: Record) -> Outcome:
        adapter = self.adapters(item.channel)
        edit: Callable[[Edit], None] | None = getattr(adapter, "edit", None)
        live: Callable[[Edit], str | None] | None = getattr(adapter, "live_text", None)
        rendered = render(item.post, item.channel, self.calendar)
        texts = [p.text for p in rendered.parts]
        if not adapter.rules.edits or edit is None or len(texts) != len(record.parts):
            record.claimed_by = record.lease_until = None
            self.store.save(record)
            outcome = self._finish(item, record, 0)
            outcome.state, outcome.error = "failed", (
                f"not edited: {item.network} cannot be edited through cmops" if edit is None
                or not adapter.rules.edits else "not edited: messages were added or removed")
            return outcome
        # alt texts go with an edit where the network edits them and the ledger kept them
        with_alts = adapter.rules.edits_alt
        alts = [tuple(m.alt for m in p.media) for p in rendered.parts]
        goal = edit_goal(texts, alts if with_alts else None)
        sends = 0
        for index, text in enumerate(texts):
            part = record.parts[index]
            new_alts = alts[index] if with_alts and part.alts is not None and \
                len(part.alts) == len(alts[index]) and tuple(part.alts) != alts[index] \
                else None
            if part.text == text and new_alts is None and part.state == "published":
                continue
            target = Edit(item.channel, item.post.id, index,
                          Remote(part.remote_id or "", part.url, dict(part.extra)), text,
                          has_media=bool(rendered.parts[index].media),
                          comment=rendered.parts[index].kind == COMMENT,
                          published_at=parse_iso(part.at), alts=new_alts)
            done, used = self._edit_part(edit, live, adapter, record, target, goal)
            sends += used
            if not done:
                record.claimed_by = record.lease_until = None
                self.store.save(record)
                outcome = self._finish(item, record, sends)
                outcome.state = "failed" if record.edit_refused == goal else "pending"
                outcome.error = record.edit_error if outcome.state == "failed" \
                    else record.error
                return outcome
        record.edit_refused = record.edit_error = None
        record.error = None
        record.claimed_by = record.lease_until = None
        record.updated = iso(self.now())
        self.store.save(record)
        outcome = self._finish(item, record, sends)
        outcome.state = "edited"
        return outcome

    def _edit_part(self, edit: Callable[[Edit], None], live: Callable[[Edit], str | None] | None,
                   adapter: Adapter, record: Record, target: Edit, goal: str
                   ) -> tuple[bool, int]:
        """Edit one message; (edited?, edits sent). A message found ``editing`` (a run died
        between sending the edit and recording it) is read back first: the edit is sent
        again only when the live text is not already the new one."""
        part = record.parts[target.part]
        if part.state == "editing" and live is not None and target.alts is None:
            try:
                now_live = _guarded(live, adapter, target)
            except PublishError:
                now_live = None
            if now_live is not None and same_text(now_live, target.text):
                self._edited(record, target, "edit-reconciled")
                return True, 0
        sends = 0
        for attempt in range(1, self.opts.backoff.attempts + 1):
            part.state, part.edited_at = PartState.EDITING, iso(self.now())
            self.store.save(record)  # the intent, durable before the network sees it
            _crash_point("after-edit-intent")
            sends += 1
            try:
                _guarded(edit, adapter, target)
            except Rejected as exc:
                part.state = PartState.PUBLISHED  # refused: the old text is still live
                record.edit_refused, record.edit_error = goal, str(exc)
                record.note(Attempt(self.opts.run_id, target.part, iso(self.now()),
                                    "edit-rejected", str(exc)))
                return False, sends
            except Transient as exc:
                if not exc.maybe_sent:
                    part.state = PartState.PUBLISHED
                record.error = f"not edited yet (retried by the next run): {exc}"
                record.note(Attempt(self.opts.run_id, target.part, iso(self.now()),
                                    "edit-maybe-sent" if exc.maybe_sent else "edit-not-sent",
                                    str(exc)))
                wait = exc.retry_after if exc.retry_after is not None \
                    else self.opts.backoff.delay(attempt)
                if attempt == self.opts.backoff.attempts or wait > self.left() - BUDGET_RESERVE:
                    return False, sends
                self.store.save(record)
                self.sleep(wait)
                continue
            except NotConfigured as exc:
                part.state = PartState.PUBLISHED
                record.error = str(exc)
                return False, sends
            _crash_point("after-edit")
            self._edited(record, target, "edited")
            return True, sends
        return False, sends

    def _edited(self, record: Record, target: Edit, how: str) -> None:
        """Record one message as live with its new text; what it replaced goes into the
        record's history."""
        part = record.parts[target.part]
        at = iso(self.now())
        if part.text != target.text or (target.alts is not None
                                        and tuple(part.alts or ()) != target.alts):
            record.versions.append(Version(
                at, record.digest, [p.text for p in record.parts], self.opts.run_id,
                [list(p.alts) if p.alts is not None else None for p in record.parts]))
        part.state, part.text, part.edited_at = PartState.PUBLISHED, target.text, at
        if target.alts is not None:
            part.alts = list(target.alts)
        texts = [p.text for p in record.parts]
        if all(t is not None for t in texts):
            record.digest = content_digest([t or "" for t in texts])
        record.note(Attempt(self.opts.run_id, target.part, at, how))
        record.updated = at
        self.store.save(record)

    def _render(self, item: Item) -> Rendered:
        """The item as it will be sent, its media checked to be regular files inside the
        repository (what validation checked; checked again here, right before reading)."""
        rendered = render(item.post, item.channel, self.calendar)
        paths = [m.path for part in rendered.parts for m in part.media]
        if rendered.card and rendered.card.image:
            paths.append(rendered.card.image)
        for path in paths:
            try:
                media_file(self.root, path)
            except OutsideRepository as exc:
                raise ValueError(f"not sent: {exc}") from None
        for path in [m.path for part in rendered.parts for m in part.media]:
            self._prepared_path(item.channel, item.network, path)  # else not sent
        return rendered

    def _prepared_path(self, channel: str, network: str, rel: str) -> Path:
        """The file the adapter reads for media ``rel`` on ``network``: the image prepared
        for it (:mod:`cmops.prepare`: converted, shrunk, turned upright without its
        metadata), written once under :data:`PREPARED_DIR` and named by its hash; the
        repository's own file when nothing changes (a video, an image that already fits,
        a network that fetches the file from its public URL). Raises ValueError (so the
        item is reported invalid and nothing is sent) for an image that cannot be
        prepared."""
        key = (channel, rel)
        if key not in self._prepared:
            path = media_file(self.root, rel)
            rules = NETWORKS.get(network)
            ch = self.calendar.channels.get(channel)
            try:
                prepared = prepare_file(path, rules, original=sends_original(
                    rules, ch.raw if ch else {})) if rules else None
            except (Unpreparable, OSError) as exc:
                raise ValueError(f"not sent: '{rel}' cannot be prepared for {network}: "
                                 f"{exc}") from None
            if prepared is not None and prepared.changed:
                path = self.root / PREPARED_DIR / \
                    f"{digest(prepared.data)}{EXTENSIONS[prepared.mime]}"
                if not path.is_file():
                    write_atomic(path, prepared.data, durable=False)
            self._prepared[key] = path
        return self._prepared[key]

    def _card(self, item: Item, card: Card) -> LinkCard:
        """The card as sent. A card written in the post is sent as written; a bare link's
        is fetched from the page (once per run and URL, see :mod:`cmops.cards`), and when the
        page cannot be read the card still goes, with the page's host as its title and a
        warning on the item: never dropped."""
        if card.title is not None:
            data = kind = None
            if card.image:
                data = media_file(self.root, card.image).read_bytes()
                kind = sniff(data[:16])
            return LinkCard(card.url, card.title, card.description or "", data, kind,
                            card.image)
        source = item.post.link.url if item.post.link else card.url
        if source not in self._fetched:
            try:
                self._fetched[source] = fetch_card(source)
            except CardError as exc:
                self._fetched[source] = fallback_card(
                    source, f"link card not fetched ({exc}): sent with the page's host as "
                    "its title; run cmops card to write the card into the post")
        found = self._fetched[source]
        self._warnings.setdefault(item.key, []).extend(found.notes)
        return LinkCard(card.url, found.title, found.description, found.image,
                        found.image_type, found.image_url)

    def _heartbeat(self, report: Report) -> None:
        """Record that a publish run happened (``cmops health`` reads it), at most hourly so
        the git state branch gets one extra commit an hour, not one per run."""
        last = heartbeat_time(self.store.read_files("runs/").get(HEARTBEAT))
        if last is not None and self.opts.now - last < HEARTBEAT_EVERY:
            return
        body = {"at": iso(self.opts.now), "run": self.opts.run_id,
                "outcomes": {state: report.count(state)
                             for state in sorted({o.state for o in report.outcomes})}}
        self.store.write_files({HEARTBEAT: json.dumps(body, sort_keys=True).encode() + b"\n"},
                               "cmops: publish heartbeat")

    def _held(self, record: Record) -> bool:
        """Claimed by another run whose lease has not run out."""
        if not self.store.needs_lease:
            return False  # the store's lock already proved that run is gone
        if not record.claimed_by or record.claimed_by == self.opts.run_id:
            return False
        lease = parse_iso(record.lease_until)
        return lease is not None and lease > self.opts.now

    def _outcome(self, item: Item, state: str, *, error: str | None = None,
                 url: str | None = None, sends: int = 0) -> Outcome:
        return Outcome(item.key, item.post.id, item.channel, item.network, state, url, error,
                       sends)

    # -- one item --------------------------------------------------------------------------
    def _send_item(self, item: Item, record: Record, rendered: Rendered) -> Outcome:
        adapter = self.adapters(item.channel)
        sends = 0
        previous: Remote | None = None
        root: Remote | None = None
        posts = len(rendered.posts)
        for index, part in enumerate(rendered.parts):
            state = record.parts[index]
            if state.state != "published":
                card = self._card(item, rendered.card) if index == 0 and rendered.card \
                    else None
                comment = part.kind == COMMENT
                out = Outgoing(
                    item.key, item.post.id, item.channel, index, posts,
                    part.text, state.dedupe,
                    tuple(MediaFile(self._prepared_path(item.channel, item.network, m.path),
                                    m.path, m.alt, m.cover, m.thumb_offset)
                          for m in part.media),
                    rendered.lang, rendered.link if index == 0 else None,
                    # The first comment answers the main post (the root), never the last
                    # thread part; a thread part answers the part before it.
                    root if comment else previous, root,
                    self.now(), card, time_left=self.left(), comment=comment,
                    format=rendered.format, share_to_feed=rendered.share_to_feed,
                    reply_url=item.post.reply_to if index == 0 else None,
                    options=rendered.options)
                done, used = self._send_part(adapter, record, state, out)
                sends += used
                if not done:
                    self.store.save(record)
                    return self._finish(item, record, sends)
            previous = Remote(state.remote_id or "", state.url, dict(state.extra))
            root = root or previous
        record.state, record.error = RecordState.PUBLISHED, None
        record.claimed_by = record.lease_until = None
        record.updated = iso(self.now())
        self.store.save(record)
        _crash_point("after-outcome")
        return self._finish(item, record, sends)

    def _finish(self, item: Item, record: Record, sends: int) -> Outcome:
        outcome = self._outcome(item, record.state, error=record.error, url=record.url,
                                sends=sends)
        outcome.parts = len(record.parts)
        outcome.warnings = self._warnings.pop(item.key, [])
        return outcome

    def _reconcile(self, adapter: Adapter, record: Record, state: PartRecord,
                   out: Outgoing) -> bool | None:
        """True: it went out (recorded). None: safe to send again. False: stop the item."""
        sent_at = datetime.fromisoformat(state.sent_at.replace("Z", "+00:00")) \
            if state.sent_at else self.opts.now
        try:
            found = _guarded(adapter.reconcile, adapter, out, sent_at, self.now())
        except CannotTell as exc:
            record.state, record.error = RecordState.NEEDS_HUMAN, str(exc)
            record.claimed_by = record.lease_until = None
            record.note(Attempt(self.opts.run_id, out.part, iso(self.now()), "needs_human",
                                str(exc)))
            return False
        except PublishError as exc:
            record.error = f"could not check an earlier attempt: {exc}"
            record.claimed_by = record.lease_until = None  # the next run looks again at once
            return False
        if found is None:
            return None
        self._published(record, state, found, out, "reconciled")
        return True

    def _published(self, record: Record, state: PartRecord, remote: Remote, out: Outgoing,
                   how: str) -> None:
        state.state, state.remote_id, state.url = PartState.PUBLISHED, remote.id, remote.url
        state.text, state.alts = out.text, [m.alt for m in out.media]
        part = out.part
        state.extra, state.at = dict(remote.extra), iso(self.now())
        record.note(Attempt(self.opts.run_id, part, state.at, how))
        record.updated = state.at
        self.store.save(record)

    def _send_part(self, adapter: Adapter, record: Record, state: PartRecord,
                   out: Outgoing) -> tuple[bool, int]:
        """Send one part; (published?, sends made). Leaves the record saying exactly what
        is known."""

        def keep(facts: Mapping[str, str]) -> None:
            state.extra.update(facts)
            self.store.save(record)
            self.store.checkpoint()  # on the git branch too, before the adapter goes on
            _crash_point("after-keep")

        out = replace(out, kept=state.extra, keep=keep)
        if state.state == "sending":
            settled = self._reconcile(adapter, record, state, out)
            if settled is not None:
                return settled, 0
        sends = 0
        for attempt in range(1, self.opts.backoff.attempts + 1):
            state.state, state.sent_at = PartState.SENDING, iso(self.now())
            _crash_point("before-intent")
            self.store.save(record)  # the intent, durable before the network sees anything
            _crash_point("after-intent")
            sends += 1
            try:
                remote = _guarded(adapter.publish, adapter, out)
            except Rejected as exc:
                state.state = PartState.DEFERRED
                record.state, record.error = RecordState.FAILED, str(exc)
                record.claimed_by = record.lease_until = None
                record.note(Attempt(self.opts.run_id, out.part, iso(self.now()), "rejected",
                                    str(exc)))
                return False, sends
            except Transient as exc:
                if not exc.maybe_sent:
                    state.state = PartState.DEFERRED
                record.note(Attempt(self.opts.run_id, out.part, iso(self.now()),
                                    "maybe-sent" if exc.maybe_sent else "not-sent", str(exc)))
                record.error = str(exc)
                wait = exc.retry_after if exc.retry_after is not None \
                    else self.opts.backoff.delay(attempt)
                if attempt == self.opts.backoff.attempts or wait > self.left() - BUDGET_RESERVE:
                    record.claimed_by = record.lease_until = None
                    return False, sends
                self.store.save(record)
                self.sleep(wait)
                if exc.maybe_sent:
                    settled = self._reconcile(adapter, record, state, out)
                    if settled is not None:
                        return settled, sends
                continue
            except NotConfigured as exc:
                state.state = PartState.DEFERRED
                record.error = str(exc)
                return False, sends
            _crash_point("after-send")
            self._published(record, state, remote, out, "published")
            return True, sends
        return False, sends
