"""Every network fake with how the adapter contract drives it (``RIGS``): how to start it,
the channel settings and secrets it expects, its names for the contract's faults, and how many
posts it holds; ``build`` makes the network's adapter against a running fake, as the publisher
would. Shared by test_adapter_contract.py, test_links.py, test_parity.py and
test_capabilities.py."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from tests.fakes.bluesky import FakeBluesky
from tests.fakes.discord import FakeDiscord
from tests.fakes.google_business import FakeGoogleBusiness
from tests.fakes.graph import FakeGraph
from tests.fakes.linkedin import FakeLinkedIn
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.pinterest import FakePinterest
from tests.fakes.telegram import FakeTelegram
from tests.fakes.tiktok import FakeTikTok
from tests.fakes.x import FakeX
from tests.fakes.youtube import FakeYouTube

from cmops.adapters import (
    ADAPTERS,
    Adapter,
    ChannelContext,
)
from cmops.secrets import Redactor, resolve

MASTODON_TOKEN = "masto-canary-9f8e7d6c5b4a"
BLUESKY_PASSWORD = "bsky-app-pass-canary-77"


class Mastodon(FakeMastodon):
    """The Mastodon fake, plus a plain ``status:NNN`` fault (its own set has no 403)."""

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        if self.faults and self.faults[0].startswith("status:") and \
                h.path == "/api/v1/statuses":
            status = int(self.faults.pop(0)[7:])
            h.rfile.read(int(h.headers.get("Content-Length", "0")))
            return self._reply(h, status, {"error": "This action is not allowed"})
        super().handle(h)


@dataclass(frozen=True)
class Rig:
    fake: Callable[[], AbstractContextManager[Any]]
    settings: Callable[[Any], dict[str, Any]]
    secrets: Callable[[Any], dict[str, str]]
    secret: Callable[[Any], str]
    """The value that must never appear in an error."""
    faults: dict[str, str]
    """Contract fault -> the fake's name for it."""
    retry_after: float
    sent: Callable[[Any], int]


GRAPH_FAULTS = {"401": "status:401", "403": "status:403", "422": "status:422", "429": "429",
                "500": "500", "503": "503", "echo": "echo"}

RIGS: dict[str, Rig] = {
    "mastodon": Rig(
        lambda: Mastodon(MASTODON_TOKEN).running(),
        lambda f: {"server": f.url}, lambda f: {"token": MASTODON_TOKEN},
        lambda f: MASTODON_TOKEN,
        {"401": "401-echo", "403": "status:403", "422": "422", "429": "429-retry-after",
         "500": "500", "503": "503", "echo": "401-echo"},
        2.0, lambda f: len(f.statuses)),
    "bluesky": Rig(
        lambda: FakeBluesky(password=BLUESKY_PASSWORD).running(),
        lambda f: {"server": f.url},
        lambda f: {"identifier": "brand.test", "password": BLUESKY_PASSWORD},
        lambda f: BLUESKY_PASSWORD,
        {"401": "status:401", "403": "status:403", "422": "status:422", "429": "429",
         "500": "500", "503": "503", "echo": "echo"},
        30.0, lambda f: len(f.records)),
    "discord": Rig(
        lambda: FakeDiscord().running(),
        lambda f: {}, lambda f: {"webhook_url": f.url}, lambda f: f.token,
        {"401": "status:401", "403": "status:403", "422": "status:422", "429": "429",
         "500": "500", "503": "503", "echo": "echo"},
        1.25, lambda f: len(f.messages)),
    "telegram": Rig(
        lambda: FakeTelegram().running(),
        lambda f: {"server": f.url, "chat_id": "@cmops_news"}, lambda f: {"token": f.token},
        lambda f: f.token,
        {"401": "status:401", "403": "status:403", "422": "status:422", "429": "429",
         "500": "500", "503": "503", "echo": "echo"},
        7.0, lambda f: len(f.messages)),
    "x": Rig(
        lambda: FakeX().running(),
        lambda f: {"server": f.url}, lambda f: dict(f.secrets),
        lambda f: f.secrets["access_token"],
        {"401": "status:401", "403": "status:403", "422": "status:422", "429": "429",
         "500": "500", "503": "503", "echo": "echo"},
        15.0, lambda f: len(f.tweets)),
    "linkedin": Rig(
        lambda: FakeLinkedIn().running(),
        lambda f: {"server": f.url, "account": f.author}, lambda f: {"token": f.token},
        lambda f: f.token,
        {"401": "status:401", "403": "status:403", "422": "status:422",
         "429": "429-retry-after", "500": "500", "503": "503", "echo": "echo"},
        30.0, lambda f: len(f.posts)),
    "facebook": Rig(
        lambda: FakeGraph().running(),
        lambda f: {"server": f.url, "account": f.account}, lambda f: {"page_token": f.token},
        lambda f: f.token, GRAPH_FAULTS, 60.0, lambda f: len(f.posts)),
    "instagram": Rig(
        lambda: FakeGraph().running(),
        lambda f: {"server": f.url, "account": f.account, "media_base_url": f.public_base,
                   "poll_seconds": 0},
        lambda f: {"token": f.token}, lambda f: f.token, GRAPH_FAULTS, 60.0,
        lambda f: len(f.posts)),
    "threads": Rig(
        lambda: FakeGraph().running(),
        lambda f: {"server": f.url, "account": f.account, "media_base_url": f.public_base,
                   "poll_seconds": 0},
        lambda f: {"token": f.token}, lambda f: f.token, GRAPH_FAULTS, 60.0,
        lambda f: len(f.posts)),
    "youtube": Rig(
        lambda: FakeYouTube().running(),
        lambda f: {"server": f.url}, lambda f: {"token": f.token}, lambda f: f.token,
        {"401": "status:401", "403": "status:403", "422": "status:422", "429": "429",
         "500": "500", "503": "503", "echo": "echo"},
        30.0, lambda f: len(f.videos)),
    "pinterest": Rig(
        lambda: FakePinterest().running(),
        lambda f: {"server": f.url, "board": f.board, "poll_seconds": 0},
        lambda f: {"token": f.token}, lambda f: f.token,
        {"401": "status:401", "403": "status:403", "422": "status:422", "429": "429",
         "500": "500", "503": "503", "echo": "echo"},
        60.0, lambda f: len(f.pins)),
    "tiktok": Rig(
        lambda: FakeTikTok().running(),
        lambda f: {"server": f.url, "audited": True, "media_base_url": f.public_base},
        lambda f: {"token": f.token}, lambda f: f.token, GRAPH_FAULTS, 60.0,
        lambda f: len(f.posts)),
    "google_business": Rig(
        lambda: FakeGoogleBusiness().running(),
        lambda f: {"server": f.url, "account": f.account, "location": f.location,
                   "media_base_url": f.public_base},
        lambda f: {"token": f.access_token}, lambda f: f.access_token, GRAPH_FAULTS, 60.0,
        lambda f: len(f.posts)),
}


def context(network: str, settings: dict[str, Any], secrets: dict[str, str], tmp_path: Path,
            timeout: float = 5.0) -> ChannelContext:
    """As the publisher builds it: secrets read from the environment into the redactor."""
    redactor = Redactor()
    env = {f"SECRET_{role.upper()}": value for role, value in secrets.items()}
    resolved = resolve({role: f"SECRET_{role.upper()}" for role in secrets}, env, redactor)
    return ChannelContext(f"{network}-main", network, {"network": network, **settings},
                          resolved, tmp_path, redactor, timeout=timeout)


def build(network: str, fake: Any, tmp_path: Path, timeout: float = 5.0) -> Adapter:
    rig = RIGS[network]
    return ADAPTERS[network](context(network, rig.settings(fake), rig.secrets(fake), tmp_path,
                                     timeout))


