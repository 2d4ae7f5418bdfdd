"""The plan: every occurrence of every post on every channel, with its time and its state.

Pure: the calendar, ``now``, and what the ledger recorded go in; the plan comes out. The
publisher executes exactly this plan (its ``due`` items), the PR review shows it, and the
site draws it, so there is one source of truth for "what goes out, where, when".

States of an item:

``due``        ready, its time has come, not yet published, and not later than max_delay
``scheduled``  ready, its time is in the future
``expired``    ready, but now is later than its time + max_delay: never published silently
               late, reported instead
``skipped``    an earlier occurrence of a repeating post that a later one superseded
``paused``     the crisis pause covers its channel
``standby``    a holding statement, published only on explicit request
``published``, ``failed``, ``needs_human``  what the ledger recorded for it
``withdraw``   ``status: withdrawn`` and published: the publisher takes it down now (a network
               that cannot delete through its API makes it ``needs_human``, with what to
               delete by hand)
``withdrawn``  taken down (the ledger recorded every part deleted)
``edit``       published, and its text changed since: the publisher changes the live text
               (the network can edit, inside the channel's ``edit_window``); ``edits`` says
               which messages, from what to what
``not_applied`` published, its text changed since, and the change stays in the repository
               only: ``reason`` says why (the network cannot edit, past ``edit_window``,
               messages added or removed, refused by the network)
``reply``      not a state: a post with ``reply_to:`` and no ``publish_at`` is ``due`` from
               the first run after it is merged (its time is ``now``)

A withdrawn post has items only where the ledger has a record: never published, it never
goes out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from cmops import schedule
from cmops.edits import PartEdit, edit_window, judge
from cmops.model import Calendar, Pause, Post

DEFAULT_MAX_DELAY = timedelta(hours=6)


class State(StrEnum):
    DUE = "due"
    SCHEDULED = "scheduled"
    EXPIRED = "expired"
    SKIPPED = "skipped"
    PAUSED = "paused"
    STANDBY = "standby"
    PUBLISHED = "published"
    FAILED = "failed"
    NEEDS_HUMAN = "needs_human"
    INVALID = "invalid"
    """Held back: the content fails validation (``reason`` gives the first problem)."""
    WITHDRAW = "withdraw"
    """``status: withdrawn`` on a published item: the publisher deletes it now."""
    WITHDRAWN = "withdrawn"
    """Taken down: every part of it deleted (or settled by hand as deleted)."""
    EDIT = "edit"
    """Published, its text changed since: the publisher edits the live post now."""
    NOT_APPLIED = "not_applied"
    """Published, its text changed since, but the change is not sent (``reason`` says why)."""


@dataclass(frozen=True, slots=True)
class Recorded:
    """What the ledger knows about an item (the ledger module produces these)."""

    state: str
    url: str | None = None
    at: str | None = None
    error: str | None = None
    texts: tuple[str | None, ...] = ()
    """The text each message is live with (None where an older record kept none)."""
    digest: str | None = None
    """The hash of the texts it went out with (kept by every record)."""
    first_at: str | None = None
    """When its main post went out (an edit window counts from it)."""
    refused: str | None = None
    """The digest of an edit the network refused for good (not tried again)."""
    refusal: str | None = None
    editing: bool = False
    """An edit was sent by a run that stopped before recording its outcome."""
    alts: tuple[tuple[str | None, ...] | None, ...] = ()
    """The alt texts each message's attachments are live with (None where not kept)."""


def item_key(post_id: str, channel: str, occurrence: int | None = None) -> str:
    """The ledger identity of one post on one channel: stable across file renames and edits."""
    return f"{post_id}#{occurrence}/{channel}" if occurrence else f"{post_id}/{channel}"


@dataclass(frozen=True, slots=True)
class Item:
    key: str
    post: Post
    channel: str
    network: str
    when: datetime | None
    """UTC; None for a standby holding statement."""
    zone: str
    state: State
    reason: str = ""
    occurrence: int | None = None
    """1-based number of the occurrence of a repeating post; None otherwise."""
    queued: bool = False
    recorded: Recorded | None = None
    edits: tuple[PartEdit, ...] = ()
    """For ``edit`` and ``not_applied``: the messages whose text changed."""

    @property
    def post_id(self) -> str:
        return self.post.id

    @property
    def local(self) -> datetime | None:
        return self.when.astimezone(schedule.zone(self.zone)) if self.when else None


@dataclass(slots=True)
class Plan:
    now: datetime
    items: list[Item]
    pause: Pause | None = None
    drafts: int = 0
    invalid: list[str] = field(default_factory=list)
    """Ids of ready posts whose time could not be resolved (validation says why)."""
    removed_live: dict[str, list[str]] = field(default_factory=dict)
    """Post id -> channels where the ledger says it is still published although no post of
    the calendar has that id (its file was removed): nothing is done to it, but the review
    must say so."""

    def due(self) -> list[Item]:
        """What the publisher sends now, in time order (threads keep their part order)."""
        return [i for i in self.items if i.state is State.DUE]

    def edits(self) -> list[Item]:
        """Published items whose live text the publisher changes now."""
        return [i for i in self.items if i.state is State.EDIT]

    def withdrawals(self) -> list[Item]:
        """What the publisher takes down now."""
        return [i for i in self.items if i.state is State.WITHDRAW]

    def by_state(self, state: State) -> list[Item]:
        return [i for i in self.items if i.state is state]

    def window(self, since: datetime | None, until: datetime | None,
               channels: Sequence[str] = ()) -> list[Item]:
        """Items to show for a time window: those timed inside it, plus everything that needs
        action now (due, standby, to withdraw, a withdrawal left to a human) whatever its
        time."""
        out = []
        for item in self.items:
            if channels and item.channel not in channels:
                continue
            in_window = item.when is not None and (since is None or item.when >= since) \
                and (until is None or item.when <= until)
            if item.state in (State.DUE, State.STANDBY, State.WITHDRAW, State.EDIT) or \
                    in_window or (item.post.withdrawn and item.state is State.NEEDS_HUMAN):
                out.append(item)
        return out


def _max_delay(post: Post, calendar: Calendar) -> timedelta:
    for text in (post.max_delay, calendar.max_delay):
        if text:
            try:
                return schedule.parse_duration(text)
            except schedule.TimeError:
                continue
    return DEFAULT_MAX_DELAY


def _anchor(post: Post, calendar: Calendar) -> date | None:
    """The day a queued post starts looking for a slot."""
    text = post.queue
    if text is None and post.campaign in calendar.campaigns:
        text = calendar.campaigns[post.campaign].start
    try:
        return schedule.parse_date(text) if text else None
    except schedule.TimeError:
        return None


def _known_zone(name: str) -> bool:
    try:
        schedule.zone(name)
    except schedule.TimeError:
        return False
    return True


def _resolve(post: Post, zone: str) -> datetime | None:
    try:
        return schedule.resolve_publish_at(post.publish_at or "", zone)
    except schedule.TimeError:
        return None


def first_time(post: Post, channel: str, calendar: Calendar,
               slots: Mapping[tuple[str, str], datetime]) -> datetime | None:
    """When a post first goes out on a channel (UTC), from the files alone: its publish_at
    read in the channel's zone, or its queue slot (``slots`` from :func:`assign_slots`)."""
    if post.status == "standby":
        return None
    if post.queued:
        return slots.get((post.id, channel))
    return _resolve(post, calendar.channel_timezone(channel) or "UTC")


def assign_slots(calendar: Calendar) -> dict[tuple[str, str], datetime]:
    """(post id, channel) -> slot time for every queued ready post.

    Deterministic from the files alone: per channel, queued posts are taken in order of
    (anchor day, id) and each gets the first slot on or after its anchor day that no timed
    post and no earlier queued post holds on that channel. ``now`` plays no part, so the
    same files always give the same times, in the plan and in the publisher.
    """
    taken: dict[str, set[datetime]] = {}
    queued: dict[str, list[tuple[date, str, Post]]] = {}
    for post in calendar.posts:
        if post.status != "ready":
            continue
        for channel in post.channels:
            ch = calendar.channels.get(channel)
            if ch is None or not ch.slots:
                continue
            if post.queued:
                anchor = _anchor(post, calendar)
                if anchor is not None:
                    queued.setdefault(channel, []).append((anchor, post.id, post))
            else:
                when = _resolve(post, calendar.channel_timezone(channel) or "UTC")
                if when is not None:
                    taken.setdefault(channel, set()).add(when)
    out: dict[tuple[str, str], datetime] = {}
    for channel, posts in queued.items():
        ch = calendar.channels[channel]
        try:
            slots = [schedule.parse_slot(s) for s in ch.slots]
            zone = schedule.zone(calendar.channel_timezone(channel) or "UTC")
        except schedule.TimeError:
            continue
        held = taken.get(channel, set())
        for anchor, post_id, _ in sorted(posts, key=lambda p: (p[0], p[1])):
            for when in schedule.slot_times(slots, zone, anchor):
                if when not in held:
                    held.add(when)
                    out[(post_id, channel)] = when
                    break
    return out


LISTED = 500
"""Unrecorded occurrences of one repeating post on one channel that one plan lists on each
side of ``now`` (the nearest ones): a post repeating every hour must not make a plan, a
status or a site unbounded. Recorded occurrences are always listed; the publisher needs only
the latest past one."""


def _recorded_occurrences(ledger: Mapping[str, Recorded]) -> dict[tuple[str, str], list[int]]:
    """(post id, channel) -> numbers of the occurrences the ledger has records for."""
    out: dict[tuple[str, str], list[int]] = {}
    for key in ledger:
        head, _, channel = key.partition("/")
        post_id, mark, number = head.rpartition("#")
        if mark and _NUMBER.fullmatch(number):
            out.setdefault((post_id, channel), []).append(int(number))
    return out


_NUMBER = re.compile(r"[1-9][0-9]{0,8}")


def _occurrences(post: Post, zone: str, first: datetime, now: datetime, horizon: datetime,
                 since: datetime | None, recorded: Iterable[int]
                 ) -> tuple[list[tuple[int | None, datetime]], int]:
    """The occurrences to consider, in order, and the number of the latest one at or before
    ``now`` (0: none). Computed from ``now`` and the window, never enumerated from the first
    occurrence: recorded ones, the :data:`LISTED` latest past ones (from ``since``) and the
    :data:`LISTED` next ones up to ``horizon``."""
    if post.repeat is None:
        return [(None, first)], 0
    try:
        every = schedule.parse_every(post.repeat.every)
        until = schedule.parse_date(post.repeat.until) if post.repeat.until else None
    except schedule.TimeError:
        return [(None, first)], 0
    rec = schedule.recurrence(first, every, schedule.zone(zone), until=until,
                              count=post.repeat.count)
    last = rec.last if rec.last is not None else rec.index_at(horizon)
    latest = min(rec.index_at(now), last)
    past = rec.between(since, now) if since is not None else range(1, latest + 1)
    ahead = range(latest + 1, min(last, rec.index_at(horizon), latest + LISTED) + 1)
    numbers = {n for n in recorded if 1 <= n <= last}
    numbers.update(range(max(past.start, latest - LISTED + 1), min(past.stop, latest + 1)))
    numbers.update(ahead)
    if latest:
        numbers.add(latest)
    out: list[tuple[int | None, datetime]] = []
    for n in sorted(numbers):
        when = rec.at(n)
        if when is not None:
            out.append((n, when))
    return out, latest


PARTIAL = "partial"
"""What the ledger view says of a record still pending with parts out on the network (a
thread stopped half-way): only a withdrawal acts on it."""

_RECORDED_STATES = {"published": State.PUBLISHED, "failed": State.FAILED,
                    "needs_human": State.NEEDS_HUMAN, "expired": State.EXPIRED,
                    "withdrawn": State.WITHDRAWN}


def by_hand(post_id: str, channel: str, network: str, url: str | None,
            occurrence: int | None = None) -> str:
    """The instruction for a published item on a network whose API (or cmops's adapter)
    cannot delete: what to delete, and how to record it afterwards."""
    where = url or "the post (its URL was not recorded)"
    more = f" --occurrence {occurrence}" if occurrence else ""
    return (f"{network} cannot delete it through its API: delete it on {network} by hand "
            f"({where}, with its thread parts and first comment), then run "
            f"cmops resolve {post_id} --channel {channel}{more} --as withdrawn")


def _withdrawn_items(post: Post, channel: str, network: str, zone: str,
                     ledger: Mapping[str, Recorded],
                     occurrences: Mapping[tuple[str, str], Sequence[int]]) -> Iterator[Item]:
    """A withdrawn post's items on one channel: one per ledger record (each occurrence that
    went out), none at all where nothing was ever published."""
    from cmops.text.limits import NETWORKS

    rules = NETWORKS.get(network)
    numbers: list[int | None] = [None, *sorted(occurrences.get((post.id, channel), ()))]
    for n in numbers:
        key = item_key(post.id, channel, n)
        recorded = ledger.get(key)
        if recorded is None:
            continue
        reason = post.withdrawn_reason or ""
        if recorded.state in ("published", PARTIAL):
            if rules is not None and rules.deletes:
                state = State.WITHDRAW
            else:
                state, reason = State.NEEDS_HUMAN, by_hand(post.id, channel, network,
                                                           recorded.url, n)
        else:
            state = _RECORDED_STATES.get(recorded.state, State.NEEDS_HUMAN)
            if state is not State.WITHDRAWN:
                reason = recorded.error or reason
        # when it went out (or was taken down), else its time in the file
        when = parse_at(recorded.at) or (
            _resolve(post, zone) if n is None and not post.queued else None)
        yield Item(key, post, channel, network, when, zone, state, reason, n, False, recorded)


def parse_at(text: str | None) -> datetime | None:
    """A ledger time (ISO 8601, ``Z``) as an aware datetime; None when absent or unreadable."""
    if not text:
        return None
    try:
        found = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return found if found.tzinfo else None


def build_plan(calendar: Calendar, now: datetime, *, horizon: datetime | None = None,
               ledger: Mapping[str, Recorded] | None = None,
               since: datetime | None = None) -> Plan:
    """Every item up to ``horizon`` (default: 60 days after ``now``) and its state at ``now``.

    With ``since``, items timed before it are left out unless they are due (a view of a
    window needs nothing older; the publisher passes no ``since``: it records expiries).

    ``now`` must be timezone-aware. Items the ledger has an outcome for take that outcome's
    state: editing or moving a published post never makes it due again.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    horizon = horizon or now + timedelta(days=60)
    full = ledger or {}
    # A thread stopped half-way ("partial") matters only to withdrawals: for everything
    # else the item is still unrecorded and the publisher finishes it.
    ledger = {k: v for k, v in full.items() if v.state != PARTIAL} \
        if any(v.state == PARTIAL for v in full.values()) else full
    pause = calendar.pause if calendar.pause and calendar.pause.paused else None
    slots = assign_slots(calendar)
    occurrences = _recorded_occurrences(ledger)
    all_occurrences = _recorded_occurrences(full) if full is not ledger else occurrences
    resolved: dict[tuple[str | None, str], datetime | None] = {}
    items: list[Item] = []
    drafts = 0
    invalid: list[str] = []
    for post in sorted(calendar.posts, key=lambda p: p.id):
        if post.status == "draft" or post.status is None:
            drafts += post.status == "draft"
            continue
        for channel in post.channels:
            ch = calendar.channels.get(channel)
            if ch is None:
                continue
            network = ch.network or "outbox"
            zone = calendar.channel_timezone(channel) or "UTC"
            if post.status not in ("standby", "withdrawn") and not _known_zone(zone):
                if post.id not in invalid:  # validate names the zone; nothing to place
                    invalid.append(post.id)
                continue
            if post.withdrawn:
                items.extend(_withdrawn_items(post, channel, network, zone, full,
                                              all_occurrences))
                continue
            held = calendar.gate.holds(post.id, channel, post.campaign) \
                if calendar.gate else None
            if post.status == "standby":
                key = item_key(post.id, channel)
                recorded = ledger.get(key)
                state = _RECORDED_STATES.get(recorded.state, State.STANDBY) if recorded \
                    else State.STANDBY
                reason = "holding statement: publish with cmops publish --post " + post.id
                if held and state is State.STANDBY:
                    state, reason = State.INVALID, held
                items.extend(_edited([Item(key, post, channel, network, None, zone, state,
                                           reason, recorded=recorded)],
                                     calendar, now, pause, held))
                continue
            if post.reply and post.publish_at is None and post.queue is None:
                items.extend(_edited([_reply_item(post, channel, network, zone, now, ledger,
                                                  pause, held)], calendar, now, pause, held))
                continue
            if post.queued:
                first = slots.get((post.id, channel))
            else:  # channels usually share a zone: resolve each post's time once per zone
                memo = (post.publish_at, zone)
                if memo not in resolved:
                    resolved[memo] = _resolve(post, zone)
                first = resolved[memo]
            if first is None:
                if post.id not in invalid:
                    invalid.append(post.id)
                continue
            found = _items_for(post, channel, network, zone, first, now, horizon, calendar,
                               ledger, pause, post.queued, since, occurrences)
            items.extend(_edited(_held(found, held) if held else found, calendar, now, pause,
                                 held))
    items.sort(key=lambda i: (i.when is None, i.when or now, i.post.id, i.occurrence or 0,
                              i.channel))
    return Plan(now, items, pause, drafts, invalid, _removed_live(calendar, full))


def _removed_live(calendar: Calendar, ledger: Mapping[str, Recorded]) -> dict[str, list[str]]:
    ids = {p.id for p in calendar.posts}
    out: dict[str, set[str]] = {}
    for key, recorded in ledger.items():
        if recorded.state not in ("published", PARTIAL):
            continue
        head, _, channel = key.rpartition("/")
        post_id = head.rpartition("#")[0] if _NUMBER.fullmatch(head.rpartition("#")[2]) \
            else head
        if post_id and post_id not in ids:
            out.setdefault(post_id, set()).add(channel)
    return {post_id: sorted(channels) for post_id, channels in sorted(out.items())}


def _items_for(post: Post, channel: str, network: str, zone: str, first: datetime,
               now: datetime, horizon: datetime, calendar: Calendar,
               ledger: Mapping[str, Recorded], pause: Pause | None,
               queued: bool, since: datetime | None = None,
               on_record: Mapping[tuple[str, str], Sequence[int]] | None = None
               ) -> Iterable[Item]:
    max_delay = _max_delay(post, calendar)
    occurrences, latest = _occurrences(post, zone, first, now, horizon, since,
                                       (on_record or {}).get((post.id, channel), ()))
    # Only the latest past occurrence may be sent, and only while it is unrecorded: a
    # repeating post that missed runs catches up once, never in a burst, and an older
    # occurrence never becomes due because a newer one went out.
    for n, when in occurrences:
        key = item_key(post.id, channel, n)
        recorded = ledger.get(key)
        if when > horizon and recorded is None:
            continue  # beyond the plan's horizon: nothing to decide about it yet
        reason = ""
        if recorded is not None and recorded.state in _RECORDED_STATES:
            state = _RECORDED_STATES[recorded.state]
            reason = recorded.error or ""
        elif pause is not None and pause.affects(channel):
            state = State.PAUSED
            reason = f"paused: {pause.reason or 'crisis pause'}"
        elif when > now:
            state = State.SCHEDULED
        elif n is not None and n != latest:
            if since is not None and when < since:
                continue
            state = State.SKIPPED
            reason = f"superseded by occurrence {latest}"
        elif now - when > max_delay:
            if since is not None and when < since:
                continue  # expired before the window: not shown, so not built
            state = State.EXPIRED
            reason = (f"{_human(now - when)} late, past its max_delay of {_human(max_delay)}: "
                      "not published")
        else:
            state = State.DUE
            if now - when >= timedelta(minutes=5):
                reason = f"{_human(now - when)} late"
        yield Item(key, post, channel, network, when, zone, state, reason, n, queued, recorded)


def _reply_item(post: Post, channel: str, network: str, zone: str, now: datetime,
                ledger: Mapping[str, Recorded], pause: Pause | None,
                held: str | None) -> Item:
    """A reply without ``publish_at``: due from the first run after it is merged (its time
    is ``now`` until it goes out, then the time it went out)."""
    key = item_key(post.id, channel)
    recorded = ledger.get(key)
    if recorded is not None and recorded.state in _RECORDED_STATES:
        return Item(key, post, channel, network, parse_at(recorded.at) or now, zone,
                    _RECORDED_STATES[recorded.state], recorded.error or "", recorded=recorded)
    if held:
        return Item(key, post, channel, network, now, zone, State.INVALID, held)
    if pause is not None and pause.affects(channel):
        return Item(key, post, channel, network, now, zone, State.PAUSED,
                    f"paused: {pause.reason or 'crisis pause'}")
    return Item(key, post, channel, network, now, zone, State.DUE,
                "a reply: goes out with the next publish run")


def _edited(items: Iterable[Item], calendar: Calendar, now: datetime, pause: Pause | None,
            held: str | None) -> Iterator[Item]:
    """Published items whose text changed since they went out become ``edit`` or
    ``not_applied`` (:func:`cmops.edits.judge`); an edit is held, like a send, by content
    that fails validation and by a crisis pause."""
    from cmops.render import render
    from cmops.text.limits import NETWORKS

    for item in items:
        recorded = item.recorded
        if item.state is not State.PUBLISHED or recorded is None or not (
                recorded.texts or recorded.digest):
            yield item
            continue
        try:
            parts = render(item.post, item.channel, calendar).parts
        except Exception:  # content validation reports; the plan shows it as published
            yield item
            continue
        texts = [p.text for p in parts]
        rules = NETWORKS.get(item.network)
        ch = calendar.channels.get(item.channel)
        verdict = judge(texts, recorded.texts, network=item.network,
                        edits=bool(rules and rules.edits),
                        window=edit_window(ch.raw if ch else {}),
                        published=parse_at(recorded.first_at), now=now,
                        refused=recorded.refused, refusal=recorded.refusal,
                        live_digest=recorded.digest,
                        alts=[tuple(m.alt for m in p.media) for p in parts],
                        live_alts=recorded.alts or None,
                        edits_alt=bool(rules and rules.edits_alt))
        if verdict is None and recorded.editing and rules is not None and rules.edits:
            # the file is back to the recorded text, but an edit may be live: the publisher
            # reads the live text back and puts the file's text there if it is not
            yield replace(item, state=State.EDIT, reason="an edit a stopped run may have "
                          "sent is checked against the live text")
        elif verdict is None:
            yield item
        elif not verdict.apply:
            yield replace(item, state=State.NOT_APPLIED, reason=verdict.reason,
                          edits=verdict.changes)
        elif held:
            yield replace(item, state=State.INVALID, reason=held, edits=verdict.changes)
        elif pause is not None and pause.affects(item.channel):
            yield replace(item, state=State.PAUSED,
                          reason=f"edit held by the crisis pause: {pause.reason or 'paused'}",
                          edits=verdict.changes)
        else:
            yield replace(item, state=State.EDIT, reason=verdict.reason,
                          edits=verdict.changes)


def _held(items: Iterable[Item], why: str) -> Iterator[Item]:
    """Items of content that fails validation: what would go out is shown as held back."""
    for item in items:
        if item.state in (State.DUE, State.SCHEDULED, State.EXPIRED) and item.recorded is None:
            yield replace(item, state=State.INVALID, reason=why)
        else:
            yield item


def _human(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = [f"{days}d"] if days else []
    if hours:
        parts.append(f"{hours}h")
    if mins or not parts:
        parts.append(f"{mins:02d}m" if parts else f"{mins}m")
    return "".join(parts)
