"""What post and calendar rules get to look at: the calendar and facts the edge gathered."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING

from cmops import schedule
from cmops.model import Calendar
from cmops.text.limits import ImageFacts, VideoFacts

if TYPE_CHECKING:
    from cmops.rules.duplicates import Sent


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """A media file as found on disk by the caller (rules never touch the file system)."""

    exists: bool
    inside: bool = True
    """False when the path escapes the repository (``..``, absolute, or a symlink out)."""
    size: int = 0
    mime: str | None = None
    """Type sniffed from the file's first bytes; None when not a supported type."""
    video: VideoFacts | None = None
    """A video's facts read from the file (:func:`cmops.probe.video_facts`); None for an
    image, or a video whose metadata cannot be read."""
    image: ImageFacts | None = None
    """An image's facts read from the file (:func:`cmops.prepare.image_facts`: decodable,
    size, animated); None for a video."""


@dataclass(frozen=True)
class Context:
    calendar: Calendar
    media: Mapping[str, MediaInfo] = field(default_factory=dict)
    post_ids: Sequence[tuple[str, str]] = ()
    """(id, file) of every post, for calendar-wide rules (built without full post objects)."""
    sent: Sequence[Sent] | None = None
    """What post.near-duplicate compares of every post file (cached with each file); None:
    the rule reads ``calendar.posts``."""

    def zone_ok(self, name: str | None) -> bool:
        return name is None or name in self._valid_zones

    @cached_property
    def _valid_zones(self) -> frozenset[str]:
        names = {self.calendar.timezone} | {c.timezone for c in self.calendar.channels.values()}
        valid: set[str] = set()
        for name in (n for n in names if n is not None):
            try:
                schedule.zone(name)
                valid.add(name)
            except schedule.TimeError:
                pass
        return frozenset(valid)

    @cached_property
    def windows(self) -> Mapping[str, tuple[date, date]]:
        """Campaign id -> (start, end) for campaigns whose dates are valid."""
        out = {}
        for campaign in self.calendar.campaigns.values():
            try:
                start = schedule.parse_date(campaign.start or "")
                end = schedule.parse_date(campaign.end or "")
            except schedule.TimeError:
                continue
            if start <= end:
                out[campaign.id] = (start, end)
        return out
