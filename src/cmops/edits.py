"""Edits: what changed in a published post's text, and whether the publisher applies it. Pure.

The ledger records the text each message went out with. When a post's file is changed after
it was published, the plan compares what would be sent now with what is live, message by
message, and says for each published item either nothing (unchanged), ``edit`` (the
publisher changes the live text: the network can edit, the post is inside its channel's
``edit_window``) or ``not_applied`` with the reason (the network cannot edit, the window has
passed, messages were added or removed, the network refused this very text before). What is
not applied stays in the repository only, and the review says so.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cmops.schedule import TimeError, parse_duration

DEFAULT_EDIT_WINDOW = timedelta(days=7)


def content_digest(texts: Sequence[str]) -> str:
    """The hash a ledger record keeps of its messages' texts (all parts, in order)."""
    return "sha256:" + hashlib.sha256("\x1e".join(texts).encode()).hexdigest()[:32]


def edit_window(settings: Mapping[str, Any]) -> timedelta:
    """A channel's ``edit_window`` (default 7 days; an unreadable one counts as 0: validation
    reports it, and nothing is edited on a guess)."""
    text = settings.get("edit_window")
    if text is None:
        return DEFAULT_EDIT_WINDOW
    try:
        return parse_duration(str(text))
    except TimeError:
        return timedelta(0)


Alts = tuple[str | None, ...]
"""The alt text of each attachment of one message, in order."""


def edit_goal(texts: Sequence[str], alts: Sequence[Alts] | None = None) -> str:
    """The hash of what an edit sets: the texts, and the alt texts where they are kept (a
    refused edit is remembered by it, and not tried again until either changes)."""
    return content_digest(list(texts) + ([repr([list(a) for a in alts])] if alts else []))


@dataclass(frozen=True, slots=True)
class PartEdit:
    """One message that changes: its index in the record, the live text and the new; and,
    when an attachment's alt text changed, the live alt texts and the new."""

    part: int
    before: str
    after: str
    alts_before: Alts | None = None
    alts_after: Alts | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    apply: bool
    """True: the publisher edits (``edit``); False: listed as ``not_applied``."""
    reason: str
    changes: tuple[PartEdit, ...] = ()


def judge(texts: Sequence[str], live: Sequence[str | None], *, network: str, edits: bool,
          window: timedelta, published: datetime | None, now: datetime,
          refused: str | None = None, refusal: str | None = None,
          live_digest: str | None = None, alts: Sequence[Alts] | None = None,
          live_alts: Sequence[Alts | None] | None = None,
          edits_alt: bool = False) -> Verdict | None:
    """Compare the texts the post renders to now (``texts``, every message in send order)
    with those live on the network (``live``, as the ledger recorded them; None where an
    older record did not keep a text), and the alt texts of their attachments (``alts``,
    ``live_alts``; None where not recorded). None: nothing changed. ``refused`` is the
    :func:`edit_goal` of an edit the network refused for good (``refusal`` says why): the
    same edit is not tried again. ``edits_alt``: the network's edits can change alt texts."""
    if live and all(t is not None for t in live):
        pass
    elif live_digest is None or live_digest == content_digest(texts):
        return None  # an older record: nothing to compare with, or the same hash
    else:
        return Verdict(False, "the text changed, but this was published before cmops kept "
                       f"the text it sent: edit it on {network} by hand if it must change")
    if len(live) != len(texts):
        return Verdict(False, f"the post now has {_messages(len(texts))} where {len(live)} "
                       "went out (thread parts or a first comment added or removed): an edit "
                       "changes text and alt text only; withdraw it and publish a new post "
                       "instead")
    alt_changes: dict[int, tuple[Alts, Alts]] = {}
    media_moved = False
    if alts is not None and live_alts is not None and len(alts) == len(live_alts):
        for index, (was, now_alts) in enumerate(zip(live_alts, alts, strict=True)):
            if was is None:
                continue  # not recorded (an older record): nothing to compare with
            if len(was) != len(now_alts):
                media_moved = True
            elif tuple(was) != tuple(now_alts):
                alt_changes[index] = (tuple(was), tuple(now_alts))
    changed = sorted({i for i, (b, a) in enumerate(zip(live, texts, strict=True)) if b != a}
                     | set(alt_changes))
    if not changed and not media_moved:
        return None
    changes = tuple(PartEdit(i, str(live[i]), texts[i], *alt_changes.get(i, (None, None)))
                    for i in changed)
    if media_moved:
        return Verdict(False, "media were added or removed: an edit changes text and alt "
                       "text only; withdraw it and publish a new post instead", changes)
    if not edits:
        return Verdict(False, f"{network} posts cannot be edited through cmops: the change "
                       "stays in the repository only", changes)
    if published is not None and now - published > window:
        return Verdict(False, f"not applied: past edit_window ({_days(window)} after "
                       "publishing)", changes)
    if refused is not None and refused == edit_goal(texts, alts if edits_alt else None):
        return Verdict(False, f"{network} refused this edit: {refusal or 'no reason given'}; "
                       "change the text again to retry", changes)
    texts_changed = [c for c in changes if c.before != c.after]
    if alt_changes and not edits_alt:
        alt_note = f"alt text cannot be edited on {network} through cmops"
        if not texts_changed:
            return Verdict(False, f"{alt_note}: the change stays in the repository only",
                           changes)
        return Verdict(True, f"{_messages(len(texts_changed))} edited on {network}; "
                       f"{alt_note}: that change stays in the repository only", changes)
    return Verdict(True, f"{_messages(len(changes))} edited on {network}", changes)


def _messages(n: int) -> str:
    return "1 message" if n == 1 else f"{n} messages"


def _days(window: timedelta) -> str:
    seconds = int(window.total_seconds())
    if seconds % 86400 == 0:
        return f"{seconds // 86400}d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    return f"{seconds // 60}m"
