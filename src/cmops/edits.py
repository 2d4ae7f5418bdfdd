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


@dataclass(frozen=True, slots=True)
class PartEdit:
    """One message whose text changes: its index in the record, the live text, the new."""

    part: int
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class Verdict:
    apply: bool
    """True: the publisher edits (``edit``); False: listed as ``not_applied``."""
    reason: str
    changes: tuple[PartEdit, ...] = ()


def judge(texts: Sequence[str], live: Sequence[str | None], *, network: str, edits: bool,
          window: timedelta, published: datetime | None, now: datetime,
          refused: str | None = None, refusal: str | None = None,
          live_digest: str | None = None) -> Verdict | None:
    """Compare the texts the post renders to now (``texts``, every message in send order)
    with those live on the network (``live``, as the ledger recorded them; None where an
    older record did not keep a text). None: nothing changed. ``refused`` is the digest of
    an edit the network refused for good (``refusal`` says why): the same text is not tried
    again."""
    now_digest = content_digest(texts)
    if live and all(t is not None for t in live):
        if list(live) == list(texts):
            return None
    elif live_digest is None or live_digest == now_digest:
        return None  # an older record: nothing to compare with, or the same hash
    else:
        return Verdict(False, "the text changed, but this was published before cmops kept "
                       f"the text it sent: edit it on {network} by hand if it must change")
    if len(live) != len(texts):
        return Verdict(False, f"the post now has {len(texts)} message(s) where {len(live)} "
                       "went out (thread parts or a first comment added or removed): an edit "
                       "changes text only; withdraw it and publish a new post instead")
    changes = tuple(PartEdit(i, str(before), after)
                    for i, (before, after) in enumerate(zip(live, texts, strict=True))
                    if before != after)
    if not edits:
        return Verdict(False, f"{network} posts cannot be edited through cmops: the change "
                       "stays in the repository only", changes)
    if published is not None and now - published > window:
        return Verdict(False, f"not applied: past edit_window ({_days(window)} after "
                       "publishing)", changes)
    if refused is not None and refused == now_digest:
        return Verdict(False, f"{network} refused this edit: {refusal or 'no reason given'}; "
                       "change the text again to retry", changes)
    return Verdict(True, f"{len(changes)} message(s) edited on {network}", changes)


def _days(window: timedelta) -> str:
    seconds = int(window.total_seconds())
    if seconds % 86400 == 0:
        return f"{seconds // 86400}d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    return f"{seconds // 60}m"
