"""What publishing costs of a network's daily API quota, where the network counts one: the
YouTube Data API's units. Pure data and arithmetic, read by the adapter, the plan and the
networks reference.

Costs per call, from the YouTube Data API's quota calculator (developers.google.com/youtube/
v3/determine_quota_cost): ``videos.insert`` 1,600; ``thumbnails.set`` 50; ``videos.list``,
``channels.list`` and ``playlistItems.list`` 1; ``search.list`` 100 (cmops never calls it).
A project's default is 10,000 units a day, reset at midnight Pacific Time.

VERIFY: a newer copy of that page (developers.google.com/youtube/data/determine_quota_cost)
gives ``videos.insert`` and ``search.list`` buckets of their own (100 calls a day each, cost 1
per call) beside the 10,000 units; which a project gets may depend on when it was created.
cmops counts the older, stricter way (1,600 units from the 10,000), so the plan never
promises more uploads than a project has; a project with a larger grant sets the channel's
``daily_quota``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

YOUTUBE_COSTS: dict[str, int] = {
    "videos.insert": 1600,
    "thumbnails.set": 50,
    "videos.list": 1,
    "channels.list": 1,
    "playlistItems.list": 1,
    "search.list": 100,
}
YOUTUBE_DAILY = 10_000
"""A project's default daily quota in units (the channel's ``daily_quota`` overrides it)."""
PACIFIC = ZoneInfo("America/Los_Angeles")
"""The quota is reset at midnight Pacific Time: a plan's day of quota is a Pacific day."""
RECONCILE_CALLS = ("channels.list", "playlistItems.list", "videos.list")
"""What settling one unconfirmed upload costs (the channel's uploads, then their tags)."""


def youtube_publish_cost(options: Mapping[str, Any]) -> int:
    """Units one post costs when it goes out: the upload, and its thumbnail when given."""
    cost = YOUTUBE_COSTS["videos.insert"]
    if options.get("thumbnail"):
        cost += YOUTUBE_COSTS["thumbnails.set"]
    return cost


def daily_quota(settings: Mapping[str, Any]) -> int:
    value = settings.get("daily_quota")
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 \
        else YOUTUBE_DAILY


def quota_line(used: int, settings: Mapping[str, Any]) -> str:
    """``quota: 1,650 of 10,000 units/day`` (over the quota: said so)."""
    most = daily_quota(settings)
    over = f" (over by {used - most:,}: the rest waits for the next day)" if used > most \
        else ""
    return f"quota: {used:,} of {most:,} units/day{over}"
