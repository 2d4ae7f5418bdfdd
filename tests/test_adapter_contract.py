"""One contract, every network adapter that speaks HTTP, each against its strict loopback fake.

Success gives a receipt with the remote id and a URL; 401, 403 and 422 are rejections (failed,
never retried); 429 is "not sent, wait this long" with the wait read from what the network
said; 5xx, a timeout and a dropped connection are "maybe sent" (retried after
reconciliation); and no error message ever holds the channel's secret, even when the server
echoes the request back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.discord import FakeDiscord
from tests.fakes.graph import FakeGraph
from tests.fakes.linkedin import FakeLinkedIn
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.telegram import FakeTelegram
from tests.fakes.x import FakeX

from cmops.adapters import (
    ADAPTERS,
    Adapter,
    ChannelContext,
    MediaFile,
    Outgoing,
    Rejected,
    Transient,
)
from cmops.secrets import Redactor, resolve

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
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
}


def test_every_http_adapter_has_a_rig() -> None:
    assert set(RIGS) == set(ADAPTERS) - {"outbox"}


@pytest.fixture(params=sorted(RIGS))
def network(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def fake(network: str) -> Iterator[Any]:
    with RIGS[network].fake() as server:
        yield server


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


def outgoing(adapter: Adapter, text: str = "Hello from the contract ✨") -> Outgoing:
    # Instagram takes no text-only post; it fetches the image by URL, never from the disk.
    media = (MediaFile(Path("contract.jpg"), "media/contract.jpg", "A contract"),) \
        if adapter.network == "instagram" else ()
    return Outgoing("c/ch", "c", "ch", 0, 1, text, adapter.new_dedupe("c/ch", 0, NOW),
                    media=media, published_at=NOW)


def test_success_gives_an_id_and_a_url(network: str, fake: Any, tmp_path: Path) -> None:
    adapter = build(network, fake, tmp_path)
    remote = adapter.publish(outgoing(adapter))
    assert remote.id
    assert remote.url and remote.url.startswith(("https://", "http://127.0.0.1:"))
    assert RIGS[network].sent(fake) == 1
    adapter.close()


@pytest.mark.parametrize("status", ["401", "403", "422"])
def test_refusals_are_rejections(network: str, fake: Any, tmp_path: Path, status: str) -> None:
    rig = RIGS[network]
    adapter = build(network, fake, tmp_path)
    fake.faults = [rig.faults[status]]
    with pytest.raises(Rejected) as caught:
        adapter.publish(outgoing(adapter))
    assert caught.value.status == int(status)
    assert rig.secret(fake) not in str(caught.value)
    assert rig.sent(fake) == 0


def test_429_is_not_sent_and_says_how_long_to_wait(network: str, fake: Any,
                                                   tmp_path: Path) -> None:
    rig = RIGS[network]
    adapter = build(network, fake, tmp_path)
    fake.faults = [rig.faults["429"]]
    with pytest.raises(Transient) as caught:
        adapter.publish(outgoing(adapter))
    assert (caught.value.maybe_sent, caught.value.status) == (False, 429)
    assert caught.value.retry_after == pytest.approx(rig.retry_after, abs=2)
    assert rig.sent(fake) == 0


@pytest.mark.parametrize("status", ["500", "503"])
def test_server_errors_may_have_been_sent(network: str, fake: Any, tmp_path: Path,
                                          status: str) -> None:
    rig = RIGS[network]
    adapter = build(network, fake, tmp_path)
    fake.faults = [rig.faults[status]]
    with pytest.raises(Transient) as caught:
        adapter.publish(outgoing(adapter))
    assert (caught.value.maybe_sent, caught.value.status) == (True, int(status))
    assert rig.secret(fake) not in str(caught.value)


@pytest.mark.parametrize("fault", ["slow:0.6", "drop", "accept-then-drop"])
def test_timeouts_and_lost_answers_may_have_been_sent(network: str, fake: Any, tmp_path: Path,
                                                      fault: str) -> None:
    rig = RIGS[network]
    adapter = build(network, fake, tmp_path, timeout=0.2)
    fake.faults = [fault]
    with pytest.raises(Transient) as caught:
        adapter.publish(outgoing(adapter))
    assert caught.value.maybe_sent is True
    assert rig.secret(fake) not in str(caught.value)


def test_an_echoing_server_never_leaks_the_secret(network: str, fake: Any,
                                                  tmp_path: Path) -> None:
    rig = RIGS[network]
    adapter = build(network, fake, tmp_path)
    fake.faults = [rig.faults["echo"]]
    with pytest.raises(Rejected) as caught:
        adapter.publish(outgoing(adapter))
    assert rig.secret(fake) not in str(caught.value)
    assert "[REDACTED]" in str(caught.value)


def test_an_unreachable_server_was_not_sent_to(network: str, fake: Any,
                                               tmp_path: Path) -> None:
    rig = RIGS[network]
    settings = rig.settings(fake)
    secrets = rig.secrets(fake)
    closed = "http://127.0.0.1:9"
    if "server" in settings:
        settings["server"] = closed
    else:
        secrets["webhook_url"] = secrets["webhook_url"].replace(fake.base, closed)
    adapter = ADAPTERS[network](context(network, settings, secrets, tmp_path))
    with pytest.raises(Transient) as caught:
        adapter.publish(outgoing(adapter))
    assert caught.value.maybe_sent is False
    assert rig.secret(fake) not in str(caught.value)
