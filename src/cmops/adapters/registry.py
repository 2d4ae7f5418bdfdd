"""Which module speaks to which network, imported only when a channel of it is used.

Each adapter class declares its network once, in its ``rules`` (an entry of
:data:`cmops.text.limits.NETWORKS`); this table only says where to find the class, and the
first look-up checks that the class found declares the network it was looked up by, so a
wrong line here fails loudly instead of sending to the wrong network.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cmops.adapters.base import Adapter, ChannelContext

Factory = Callable[["ChannelContext"], "Adapter"]

MODULES: dict[str, str] = {
    "outbox": "cmops.adapters.outbox:OutboxAdapter",
    "mastodon": "cmops.adapters.mastodon:MastodonAdapter",
    "bluesky": "cmops.adapters.bluesky:BlueskyAdapter",
    "discord": "cmops.adapters.discord:DiscordAdapter",
    "telegram": "cmops.adapters.telegram:TelegramAdapter",
    "x": "cmops.adapters.x:XAdapter",
    "linkedin": "cmops.adapters.linkedin:LinkedInAdapter",
    "facebook": "cmops.adapters.facebook:FacebookAdapter",
    "instagram": "cmops.adapters.instagram:InstagramAdapter",
    "threads": "cmops.adapters.threads:ThreadsAdapter",
    "pinterest": "cmops.adapters.pinterest:PinterestAdapter",
    "youtube": "cmops.adapters.youtube:YouTubeAdapter",
    "tiktok": "cmops.adapters.tiktok:TikTokAdapter",
    "google_business": "cmops.adapters.google_business:GoogleBusinessAdapter",
}
"""Network -> ``module:Class``; the class's ``rules.name`` must be the key."""


class Registry(Mapping[str, Factory]):
    """A read-only mapping network -> adapter class that imports each module on first use."""

    def __init__(self, modules: Mapping[str, str]) -> None:
        self._modules = dict(modules)
        self._loaded: dict[str, Factory] = {}

    def __getitem__(self, network: str) -> Factory:
        found = self._loaded.get(network)
        if found is not None:
            return found
        where = self._modules[network]  # KeyError for an unknown network, as a dict
        module_name, _, class_name = where.partition(":")
        cls = getattr(importlib.import_module(module_name), class_name)
        declared = getattr(getattr(cls, "rules", None), "name", None)
        if declared != network:
            raise LookupError(f"{where} declares network {declared!r}, not {network!r}")
        self._loaded[network] = cls
        return cls  # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __contains__(self, network: object) -> bool:
        return network in self._modules


ADAPTERS: Registry = Registry(MODULES)
"""Keyed by the network each adapter declares; see :class:`Registry`."""
