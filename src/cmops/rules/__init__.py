"""The rules a schema cannot say, as a registry.

Three shapes of rule, by what their answer depends on (which is what makes caching exact):

* a *file rule* sees one file's data (``(rel, data) -> findings``): its answer depends only
  on the file's bytes and is cached with them;
* a *post rule* sees one post in the calendar's context (``(post, ctx) -> findings``):
  channels, campaigns, media on disk, each network's text rules. Its answer depends on the
  post's bytes, the context's key (channels and campaign files) and the post's media facts,
  and is cached under those;
* a *calendar rule* sees everything at once (``(ctx) -> findings``), e.g. unique ids; it
  always runs.

Every rule id is listed in :data:`RULE_DOCS` with the sentence the docs show for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from cmops.model import Post
from cmops.problems import Finding
from cmops.rules import (
    duplicates,
    goals,
    google_business,
    governance,
    media,
    networks,
    past,
    references,
    safety,
    tiktok,
    timing,
    youtube,
)
from cmops.rules.context import Context

FileRule = Callable[[str, Mapping[str, Any]], Iterable[Finding]]
PostRule = Callable[[Post, Context], Iterable[Finding]]
CalendarRule = Callable[[Context], Iterable[Finding]]

FILE_RULES: dict[str, tuple[FileRule, ...]] = {
    "post": (safety.check_ids, safety.check_post_text),
    "campaign": (safety.check_ids, safety.check_campaign_text, goals.check_percent_goals),
    "channels": (safety.check_channel_names, safety.check_secrets,
                 references.check_channel_settings, references.check_channel_secrets,
                 timing.check_channel_durations),
    "rules": (timing.check_rule_durations,),
    "listening": (timing.check_listening_durations,),
}

POST_RULES: tuple[PostRule, ...] = (
    references.check_post_references,
    references.check_variants,
    timing.check_post_time,
    media.check_post_media,
    networks.check_post_networks,
    tiktok.check_post_tiktok,
    google_business.check_post_google_business,
    youtube.check_post_youtube,
    governance.check_post_policy,
)

CALENDAR_RULES: tuple[CalendarRule, ...] = (
    references.check_ids,
    references.check_pause_channels,
    timing.check_zones,
    timing.check_campaign_dates,
    governance.check_calendar_policy,
    duplicates.check_near_duplicates,
)

RULE_DOCS: dict[str, str] = {
    **safety.DOCS,
    **references.DOCS,
    **timing.DOCS,
    **media.DOCS,
    **networks.DOCS,
    **tiktok.DOCS,
    **google_business.DOCS,
    **governance.DOCS,
    **duplicates.DOCS,
    **goals.DOCS,
    **past.DOCS,
    **youtube.DOCS,
    # Reported by cmops.linkcheck (validate --check-links), which does network I/O.
    "link.broken": "With --check-links: a link answers 404/410 (error) or cannot be reached "
                   "or answers another error (warning).",
}

__all__ = ["CALENDAR_RULES", "FILE_RULES", "POST_RULES", "RULE_DOCS", "Context"]
