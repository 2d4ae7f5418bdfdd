"""Pure text counting, per network: each network's own rules for length, URLs, emoji, mentions
and rich-text offsets.

Modules: `graphemes` (clusters and units), `twitter` (X weighted length), `bluesky` (graphemes,
bytes, facets), `mastodon` (StatusLengthValidator), `linkedin` (little text format),
`telegram` (UTF-16 entities) and `limits` (the per-network registry and `check`). Nothing here
does I/O beyond reading the packaged data files.
"""

from cmops.text.graphemes import count_graphemes, utf8_len, utf16_len
from cmops.text.limits import (
    NETWORKS,
    Measure,
    MediaRules,
    NetworkRules,
    advice,
    check,
    measure,
)

__all__ = ["NETWORKS", "Measure", "MediaRules", "NetworkRules", "advice", "check",
           "count_graphemes", "measure", "utf8_len", "utf16_len"]
