"""One contract, every network adapter that speaks HTTP, each against its strict loopback fake.

Success gives a receipt with the remote id and a URL; 401, 403 and 422 are rejections (failed,
never retried); 429 is "not sent, wait this long" with the wait read from what the network
said; 5xx, a timeout and a dropped connection are "maybe sent" (retried after
reconciliation); and no error message ever holds the channel's secret, even when the server
echoes the request back.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.fakes.rigs import RIGS, build, context

from cmops.adapters import (
    ADAPTERS,
    Adapter,
    MediaFile,
    Outgoing,
    Rejected,
    Transient,
)

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
MEDIA = Path(__file__).parent / "media"
def test_every_http_adapter_has_a_rig() -> None:
    assert set(RIGS) == set(ADAPTERS) - {"outbox"}


@pytest.fixture(params=sorted(RIGS))
def network(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def fake(network: str) -> Iterator[Any]:
    with RIGS[network].fake() as server:
        yield server


def outgoing(adapter: Adapter, text: str = "Hello from the contract ✨") -> Outgoing:
    # Instagram and TikTok take no text-only post; they fetch the image by URL, never from
    # the disk.
    media = (MediaFile(Path("contract.jpg"), "media/contract.jpg", "A contract"),) \
        if adapter.network in ("instagram", "tiktok") else ()
    if adapter.network == "pinterest":  # a pin is an image, sent as base64 from the disk
        media = (MediaFile(Path(__file__).parent / "media" / "pin-2x3.jpg",
                           "media/contract.jpg", "A contract"),)
    # YouTube takes one video, uploaded from the disk, and its title.
    options = {"title": "The contract"} if adapter.network == "youtube" else {}
    if adapter.network == "youtube":
        media = (MediaFile(MEDIA / "vertical-3s.mp4", "media/vertical-3s.mp4", None),)
    return Outgoing("c/ch", "c", "ch", 0, 1, text, adapter.new_dedupe("c/ch", 0, NOW),
                    media=media, published_at=NOW, options=options)


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
