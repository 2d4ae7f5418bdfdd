"""The rules a schema cannot say, as a registry.

Two shapes of rule:

* a *file rule* sees one file's data (``(rel, data) -> findings``); its result depends only on
  the file's bytes and is cached with it;
* a *calendar rule* sees the whole calendar (``(ctx) -> findings``): references between files,
  media on disk, time zones, each network's text rules.

Every rule id is listed in :data:`RULE_DOCS` with the sentence the docs show for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from cmops.problems import Finding
from cmops.rules import media, references, safety, timing
from cmops.rules.context import Context

FileRule = Callable[[str, Mapping[str, Any]], Iterable[Finding]]
CalendarRule = Callable[[Context], Iterable[Finding]]

FILE_RULES: dict[str, tuple[FileRule, ...]] = {
    "post": (safety.check_post_text,),
    "campaign": (safety.check_campaign_text,),
    "channels": (safety.check_secrets, references.check_channel_settings),
}

CALENDAR_RULES: tuple[CalendarRule, ...] = (
    references.check_ids,
    references.check_references,
    references.check_variants,
    timing.check_times,
    media.check_media,
)

RULE_DOCS: dict[str, str] = {
    **safety.DOCS,
    **references.DOCS,
    **timing.DOCS,
    **media.DOCS,
}

__all__ = ["CALENDAR_RULES", "FILE_RULES", "RULE_DOCS", "Context"]
