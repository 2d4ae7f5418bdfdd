"""What calendar rules get to look at: the calendar and facts the edge gathered for them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cmops.model import Calendar


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """A media file as found on disk by the caller (rules never touch the file system)."""

    exists: bool
    inside: bool = True
    """False when the path escapes the repository (``..``, absolute, or a symlink out)."""
    size: int = 0
    mime: str | None = None
    """Type sniffed from the file's first bytes; None when not a supported type."""


@dataclass(frozen=True, slots=True)
class Context:
    calendar: Calendar
    media: Mapping[str, MediaInfo] = field(default_factory=dict)
