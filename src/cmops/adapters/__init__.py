"""Network adapters, one module each, listed in one registry.

``ADAPTERS`` maps a channel's ``network`` to the adapter class that speaks to it
(:mod:`cmops.adapters.registry`); a network's module is imported the first time a channel of
that network is used, so a network the calendar does not use costs nothing at start-up.
Networks whose adapter has not landed yet are absent: the publisher reports their items as not
configured (nothing is sent, nothing is recorded, the next run tries again).
"""

from __future__ import annotations

from cmops.adapters.base import (
    Adapter,
    CannotTell,
    ChannelContext,
    Deleter,
    Edit,
    Editor,
    LinkCard,
    MediaFile,
    NotConfigured,
    Outgoing,
    PublishError,
    Rejected,
    Remote,
    Transient,
    Withdrawal,
)
from cmops.adapters.registry import ADAPTERS

__all__ = ["ADAPTERS", "Adapter", "CannotTell", "ChannelContext", "Deleter", "Edit", "Editor",
           "LinkCard",
           "MediaFile", "NotConfigured", "Outgoing", "PublishError", "Rejected", "Remote",
           "Transient", "Withdrawal"]
