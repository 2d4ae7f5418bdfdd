"""What a pull request changes in the calendar: posts added, removed, edited, rescheduled.

Pure: two calendars (the base branch's and the proposed one) in, a list of changes out. The
git side (reading the base branch's files) lives in :mod:`cmops.gitfiles`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cmops.model import Calendar, Post

# Fields whose change alters what goes out (text diff shown) versus when/where it goes.
_CONTENT = ("text", "thread", "variants", "media", "link", "lang", "utm")
_TIMING = ("publish_at", "queue", "repeat", "max_delay", "channels")


@dataclass(frozen=True, slots=True)
class PostChange:
    post_id: str
    kind: str
    """added | removed | changed"""
    file: str
    fields: tuple[str, ...] = ()
    """Fields that differ (for changed posts)."""
    text_diff: tuple[str, ...] = ()
    """Unified diff lines of the main text, when it changed."""
    before: Mapping[str, Any] = field(default_factory=dict)
    after: Mapping[str, Any] = field(default_factory=dict)

    @property
    def rescheduled(self) -> bool:
        return any(f in _TIMING for f in self.fields)

    @property
    def content_changed(self) -> bool:
        return any(f in _CONTENT for f in self.fields)


def _comparable(post: Post) -> dict[str, Any]:
    return {k: v for k, v in post.raw.items() if k not in ("notes", "labels")}


def diff_calendars(base: Calendar, head: Calendar) -> list[PostChange]:
    """Changes from ``base`` to ``head``, keyed by post id (a moved file is not a change)."""
    before = {p.id: p for p in base.posts}
    after = {p.id: p for p in head.posts}
    changes: list[PostChange] = []
    for post_id in sorted(before.keys() | after.keys()):
        old, new = before.get(post_id), after.get(post_id)
        if old is None and new is not None:
            changes.append(PostChange(post_id, "added", new.file, after=_comparable(new)))
        elif new is None and old is not None:
            changes.append(PostChange(post_id, "removed", old.file, before=_comparable(old)))
        elif old is not None and new is not None:
            a, b = _comparable(old), _comparable(new)
            fields = tuple(sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k)))
            if not fields:
                continue
            text_diff: tuple[str, ...] = ()
            if old.text != new.text:
                text_diff = tuple(difflib.unified_diff(
                    old.text.splitlines(), new.text.splitlines(), "before", "after",
                    lineterm="", n=1))[2:]
            changes.append(PostChange(post_id, "changed", new.file, fields, text_diff, a, b))
    return changes
