"""The API versions cmops pins, and when each stops working, so that none expires silently.

LinkedIn and Meta's Graph API version their endpoints, and each version has an end:

- LinkedIn's Marketing APIs (``LinkedIn-Version: YYYYMM``, monthly) are "supported and stable
  for a minimum of one year before sunset"; a sunset version is refused with HTTP 426. The
  sunset dates below are the ones published on the migrations page
  (learn.microsoft.com/linkedin/marketing/integrations/migrations); a version not listed
  there is assumed to end on the 15th of its month a year later (the policy's minimum, and
  the day LinkedIn usually picks), and messages say the date is estimated.
- The Graph API (``/vNN.0/``, used by Facebook Pages and Instagram) publishes an expiration
  date per version (developers.facebook.com/docs/graph-api/changelog/versions); past it,
  calls are served by the oldest available version instead, whose behaviour may differ.
  A version the table does not date (the newest: "TBD") is not warned about.

A channel may set ``version:``; otherwise the default below is used. ``cmops validate`` and
``cmops plan`` warn from :data:`WARNING_DAYS` days before the end, and refuse a version
already past it: every post would fail (or, on Graph, be served by another version).
Pure data and date arithmetic: the caller passes today's date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

WARNING_DAYS = 60


@dataclass(frozen=True, slots=True)
class Versioning:
    """How one API names its versions and when each ends."""

    api: str
    """Who is speaking, in messages: "LinkedIn-Version", "Graph API version"."""
    default: str
    pattern: str
    ends: dict[str, date]
    source: str

    def valid(self, version: str) -> bool:
        return re.fullmatch(self.pattern, version) is not None

    def end(self, version: str) -> tuple[date, bool] | None:
        """When ``version`` stops working and whether that date is estimated; None when
        no date is known."""
        if version in self.ends:
            return self.ends[version], False
        if self is LINKEDIN and self.valid(version):
            year, month = int(version[:4]), int(version[4:])
            if not 1 <= month <= 12:
                return None
            return date(year + 1, month, 15), True
        return None


LINKEDIN = Versioning(
    "LinkedIn-Version", "202603", r"20\d{2}(0[1-9]|1[0-2])",
    {
        # learn.microsoft.com/linkedin/marketing/integrations/migrations ("Sunset Date").
        "202407": date(2025, 7, 22),
        "202408": date(2025, 8, 18), "202409": date(2025, 9, 15),
        "202410": date(2025, 10, 15), "202411": date(2025, 11, 17),
        "202510": date(2026, 10, 15), "202511": date(2026, 11, 16),
        "202601": date(2027, 1, 15), "202602": date(2027, 2, 15),
        "202603": date(2027, 3, 16),
    },
    "learn.microsoft.com/linkedin/marketing/integrations/migrations")

GRAPH = Versioning(
    "Graph API version", "v23.0", r"v\d{1,2}\.0",
    {
        # developers.facebook.com/docs/graph-api/changelog/versions ("Expiration Date").
        "v18.0": date(2026, 1, 26), "v19.0": date(2026, 5, 21),
        "v20.0": date(2026, 9, 24), "v21.0": date(2027, 1, 21),
        "v22.0": date(2027, 5, 20), "v23.0": date(2027, 10, 8),
        "v24.0": date(2028, 2, 18), "v25.0": date(2028, 7, 29),
    },
    "developers.facebook.com/docs/graph-api/changelog/versions")

BY_NETWORK: dict[str, Versioning] = {"linkedin": LINKEDIN, "facebook": GRAPH,
                                      "instagram": GRAPH}
"""The networks whose adapter sends a version cmops pins (Threads' API has one, v1.0, with no
published end)."""


def version_of(network: str, settings: dict[str, object] | None) -> str | None:
    """The version a channel of ``network`` uses: its ``version:`` setting or the default;
    None when the network is not versioned here."""
    versioning = BY_NETWORK.get(network)
    if versioning is None:
        return None
    chosen = (settings or {}).get("version")
    return str(chosen) if chosen is not None else versioning.default


@dataclass(frozen=True, slots=True)
class Ending:
    """A version near or past its end."""

    version: str
    end: date
    estimated: bool
    days_left: int
    api: str

    @property
    def past(self) -> bool:
        return self.days_left < 0

    def message(self, channel: str, configured: bool) -> str:
        when = (f"ended {-self.days_left} day(s) ago" if self.past
                else f"ends in {self.days_left} day(s)")
        date_text = f"{self.end.isoformat()}{', estimated' if self.estimated else ''}"
        whose = "its" if configured else "cmops's default"
        fix = ("set a newer version: on the channel" if configured
               else "upgrade cmops, or set a newer version: on the channel")
        return f"{channel}: {whose} {self.api} {self.version} {when} ({date_text}); {fix}"


def ending(network: str, version: str, today: date) -> Ending | None:
    """The end of ``version`` on ``network`` when it is within :data:`WARNING_DAYS` days of
    ``today`` or past; None otherwise (or when no end is known)."""
    versioning = BY_NETWORK.get(network)
    if versioning is None:
        return None
    found = versioning.end(version)
    if found is None:
        return None
    end, estimated = found
    left = (end - today).days
    if left > WARNING_DAYS:
        return None
    return Ending(version, end, estimated, left, versioning.api)
