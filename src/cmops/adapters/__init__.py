"""Network adapters, one module each, listed in one registry.

``ADAPTERS`` maps a channel's ``network`` to the adapter class that speaks to it, by the name
the adapter's declaration (``rules``) gives. Networks
whose adapter has not landed yet are absent: the publisher reports their items as not
configured (nothing is sent, nothing is recorded, the next run tries again).
"""

from __future__ import annotations

from collections.abc import Callable

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
from cmops.adapters.bluesky import BlueskyAdapter
from cmops.adapters.discord import DiscordAdapter
from cmops.adapters.facebook import FacebookAdapter
from cmops.adapters.instagram import InstagramAdapter
from cmops.adapters.linkedin import LinkedInAdapter
from cmops.adapters.mastodon import MastodonAdapter
from cmops.adapters.outbox import OutboxAdapter
from cmops.adapters.telegram import TelegramAdapter
from cmops.adapters.threads import ThreadsAdapter
from cmops.adapters.x import XAdapter

ADAPTERS: dict[str, Callable[[ChannelContext], Adapter]] = {
    cls.rules.name: cls
    for cls in (OutboxAdapter, MastodonAdapter, BlueskyAdapter, DiscordAdapter, TelegramAdapter,
                XAdapter, LinkedInAdapter, FacebookAdapter, InstagramAdapter, ThreadsAdapter)
}
"""Keyed by the network each adapter declares (its ``rules``, an entry of
:data:`cmops.text.limits.NETWORKS`), so a network's name is written once."""

__all__ = ["ADAPTERS", "Adapter", "CannotTell", "ChannelContext", "Deleter", "Edit", "Editor",
           "LinkCard",
           "MediaFile", "NotConfigured", "Outgoing", "PublishError", "Rejected", "Remote",
           "Transient", "Withdrawal"]
