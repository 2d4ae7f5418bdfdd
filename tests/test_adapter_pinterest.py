"""The Pinterest adapter against the loopback API v5 (tests/fakes/pinterest.py): image,
carousel and video pins as the server receives them, the token refreshed and never shown, a
lost answer settled from the board's pins, and the analytics mapped to cmops's counters."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from cryptography.fernet import Fernet
from tests.conftest import Runner, json_out
from tests.fakes.pinterest import FakePinterest

from cmops.adapters import (
    ADAPTERS,
    CannotTell,
    ChannelContext,
    MediaFile,
    NotConfigured,
    Outgoing,
    Rejected,
    Remote,
    Transient,
)
from cmops.adapters.base import Withdrawal
from cmops.adapters.pinterest import PinterestAdapter
from cmops.adapters.reading import Counters, reader_of
from cmops.secrets import Redactor
from cmops.stores.local import LocalStore
from cmops.tokens import PREFIX, TokenKeeper

MEDIA = Path(__file__).parent / "media"
JPEG = MEDIA / "pin-2x3.jpg"
CLIP = MEDIA / "long-200s.mp4"
IMAGE = MediaFile(JPEG, "media/pin.jpg", "A red card with a white panel")
VIDEO = MediaFile(CLIP, "media/clip.mp4", "A test card")
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
def fake() -> Iterator[FakePinterest]:
    with FakePinterest().running() as server:
        yield server


def make(fake: FakePinterest, tmp_path: Path, secrets: dict[str, str] | None = None,
         **settings: Any) -> PinterestAdapter:
    waits: list[float] = []
    adapter = PinterestAdapter(ChannelContext(
        "pin", "pinterest", {"network": "pinterest", "server": fake.url, "board": fake.board,
                             "poll_seconds": 0, **settings},
        {"token": fake.token} if secrets is None else secrets, tmp_path, Redactor(),
        timeout=5.0), sleep=waits.append, today=lambda: fake.today)
    adapter.waits = waits  # type: ignore[attr-defined]
    return adapter


KEY = Fernet.generate_key().decode()


def refreshing(fake: FakePinterest) -> dict[str, str]:
    return {"refresh_token": fake.refresh_token, "client_id": fake.client[0],
            "client_secret": fake.client[1]}


def out(text: str, *media: MediaFile, **kwargs: Any) -> Outgoing:
    return Outgoing("p/pin", "p", "pin", 0, 1, text, "p/pin#0", media=media,
                    published_at=NOW, **kwargs)


def posted(fake: FakePinterest) -> list[tuple[str, str]]:
    return [(r["method"], r["path"]) for r in fake.requests]


def test_the_registry_finds_the_adapter() -> None:
    assert ADAPTERS["pinterest"] is PinterestAdapter


def test_an_image_pin_carries_board_text_link_title_and_alt(fake: FakePinterest,
                                                            tmp_path: Path) -> None:
    adapter = make(fake, tmp_path)
    remote = adapter.publish(out("Rear lights for dark evenings", IMAGE,
                                 link="https://example.org/lights?utm_source=pinterest",
                                 options={"title": "Be seen at night"}))
    [pin] = fake.pins
    assert remote == Remote(pin["id"], f"https://www.pinterest.com/pin/{pin['id']}/")
    assert pin["source"] == {"source_type": "image_base64", "content_type": "image/jpeg",
                             "data": base64.b64encode(JPEG.read_bytes()).decode()}
    assert {k: pin[k] for k in ("board_id", "title", "description", "link", "alt_text")} == {
        "board_id": fake.board, "title": "Be seen at night",
        "description": "Rear lights for dark evenings",
        "link": "https://example.org/lights?utm_source=pinterest",
        "alt_text": "A red card with a white panel"}
    assert fake.requests[0]["headers"]["Authorization"] == f"Bearer {fake.token}"


def test_a_carousel_sends_each_image_and_no_alt_text(fake: FakePinterest,
                                                     tmp_path: Path) -> None:
    make(fake, tmp_path).publish(out("Three lights", IMAGE, IMAGE, IMAGE))
    [pin] = fake.pins
    assert pin["source"]["source_type"] == "multiple_image_base64"
    assert [i["content_type"] for i in pin["source"]["items"]] == ["image/jpeg"] * 3
    assert pin["alt_text"] is None and pin["title"] is None


def test_a_video_is_registered_uploaded_without_the_token_waited_for_and_pinned(
        fake: FakePinterest, tmp_path: Path) -> None:
    fake.media_polls = 2
    adapter = make(fake, tmp_path)
    adapter.publish(out("A clip", VIDEO))
    [media_id] = fake.media
    assert fake.media[media_id]["bytes"] == CLIP.read_bytes()
    assert posted(fake) == [("POST", "/v5/media"), ("POST", "/s3-upload/"),
                            *[("GET", f"/v5/media/{media_id}")] * 3, ("POST", "/v5/pins")]
    assert "Authorization" not in fake.requests[1]["headers"]
    assert fake.pins[0]["source"] == {"source_type": "video_id", "media_id": media_id,
                                      "cover_image_key_frame_time": 0}
    assert adapter.waits == [0.0, 0.0]  # type: ignore[attr-defined]


def test_a_video_cover_goes_as_a_prepared_image(fake: FakePinterest, tmp_path: Path) -> None:
    (tmp_path / "media").mkdir()
    (tmp_path / "media/cover.jpg").write_bytes(JPEG.read_bytes())
    video = MediaFile(CLIP, "media/clip.mp4", None, cover="media/cover.jpg")
    make(fake, tmp_path).publish(out("A clip", video))
    source = fake.pins[0]["source"]
    assert source["cover_image_content_type"] == "image/jpeg"
    assert base64.b64decode(source["cover_image_data"]).startswith(b"\xff\xd8\xff")


def test_a_failed_video_is_refused_and_a_slow_one_is_not_sent(fake: FakePinterest,
                                                              tmp_path: Path) -> None:
    fake.media_fails = True
    with pytest.raises(Rejected, match=re.escape("could not process 'media/clip.mp4'")):
        make(fake, tmp_path).publish(out("A clip", VIDEO))
    fake.media_fails, fake.media_polls = False, 10_000
    with pytest.raises(Transient) as caught:
        make(fake, tmp_path).publish(out("A clip", VIDEO, time_left=20.0))
    assert caught.value.maybe_sent is False
    assert fake.pins == []


def test_an_upload_that_fails_leaves_nothing_that_may_have_been_sent(
        fake: FakePinterest, tmp_path: Path) -> None:
    adapter = make(fake, tmp_path)
    fake.faults = ["", "500"]  # the registration passes, the upload host fails
    with pytest.raises(Transient) as caught:
        adapter.publish(out("A clip", VIDEO))
    assert caught.value.maybe_sent is False


def test_a_refresh_token_is_exchanged_first_and_again_after_a_401(
        fake: FakePinterest, tmp_path: Path) -> None:
    first_refresh = fake.refresh_token
    adapter = make(fake, tmp_path, refreshing(fake))
    adapter.publish(out("One", IMAGE))
    token = fake.requests[0]
    assert (token["method"], token["path"]) == ("POST", "/v5/oauth/token")
    assert token["headers"]["Authorization"] == "Basic " + base64.b64encode(
        b"1484362:app-secret-canary-31").decode()
    assert token["body"] == f"grant_type=refresh_token&refresh_token={first_refresh}".encode()
    fake.expire()
    fake.faults = ["echo"]
    with pytest.raises(Rejected) as caught:
        adapter.publish(out("Two", IMAGE))
    message = str(caught.value)
    assert "pina_access-issued-1-canary" not in message and "[REDACTED]" in message
    adapter.publish(out("Three", IMAGE))  # 401 -> refreshed once -> sent
    assert [r["path"] for r in fake.requests].count("/v5/oauth/token") == 2
    assert len(fake.pins) == 2


@pytest.mark.parametrize("key", [True, False])
def test_the_renewed_refresh_token_is_kept_for_the_next_run_under_a_key(
        fake: FakePinterest, tmp_path: Path, key: bool) -> None:
    """With CMOPS_TOKEN_KEY the renewed token is kept (encrypted) and the next run (a new
    adapter) sends it; without one the channel still works on the secret's token, which is
    not refused (Pinterest keeps it valid until it expires), and nothing is kept."""
    fake.retire = key  # the stricter reading only where cmops keeps the renewed token
    secret = fake.refresh_token
    store = LocalStore(tmp_path / "state")

    def run(text: str) -> None:
        redactor = Redactor()
        keeper = TokenKeeper(store, "pin", KEY if key else None, redactor)
        adapter = PinterestAdapter(ChannelContext(
            "pin", "pinterest", {"network": "pinterest", "server": fake.url,
                                 "board": fake.board}, refreshing(fake) | {
                "refresh_token": secret}, tmp_path, redactor, timeout=5.0, tokens=keeper))
        adapter.publish(out(text, IMAGE))
        adapter.close()

    run("One")
    run("Two")
    sent = [parse_qs(r["body"].decode())["refresh_token"][0] for r in fake.requests
            if r["path"] == "/v5/oauth/token"]
    assert sent == ([secret, "pina_refresh-renewed-1-canary"] if key else [secret, secret])
    assert len(fake.pins) == 2
    kept = store.read_files(PREFIX)
    assert list(kept) == (["tokens/pin.fernet"] if key else [])
    assert all(b"pina_" not in data for data in kept.values())


def test_a_refused_refresh_token_is_a_setup_error_that_shows_no_secret(
        fake: FakePinterest, tmp_path: Path) -> None:
    secrets = {**refreshing(fake), "refresh_token": "pina_refresh-revoked-canary"}
    with pytest.raises(NotConfigured) as caught:
        make(fake, tmp_path, secrets).publish(out("One", IMAGE))
    assert "authorize the app again" in str(caught.value)
    assert "canary" not in str(caught.value)
    assert fake.pins == []


@pytest.mark.parametrize(("settings", "secrets", "says"), [
    ({"board": "my-board"}, {"token": "t"}, "needs board"),
    ({}, {"refresh_token": "r"}, "or {refresh_token"),
])
def test_a_missing_setting_is_not_configured(tmp_path: Path, settings: dict[str, str],
                                             secrets: dict[str, str], says: str) -> None:
    with pytest.raises(NotConfigured, match=re.escape(says)):
        PinterestAdapter(ChannelContext("pin", "pinterest",
                                        {"network": "pinterest", "board": "1", **settings},
                                        secrets, tmp_path, Redactor()))


def test_a_429_waits_a_minute_when_pinterest_names_no_wait(fake: FakePinterest,
                                                           tmp_path: Path) -> None:
    fake.faults = ["429"]
    with pytest.raises(Transient) as caught:
        make(fake, tmp_path).publish(out("One", IMAGE))
    assert (caught.value.status, caught.value.retry_after, caught.value.maybe_sent) == (
        429, 60.0, False)


def test_a_lost_answer_is_found_among_the_boards_pins(fake: FakePinterest,
                                                      tmp_path: Path) -> None:
    fake.clock = lambda: NOW + timedelta(seconds=5)
    adapter = make(fake, tmp_path)
    adapter.publish(out("Older pin", IMAGE))
    fake.faults = ["accept-then-drop"]
    sent = out("Rear lights", IMAGE, options={"title": "Lights"})
    with pytest.raises(Transient) as caught:
        adapter.publish(sent)
    assert caught.value.maybe_sent is True
    found = adapter.reconcile(sent, NOW, NOW + timedelta(minutes=1))
    assert found is not None and found.id == fake.pins[1]["id"]
    board = fake.requests[-1]
    assert (board["path"], board["query"]) == (f"/v5/boards/{fake.board}/pins",
                                               {"page_size": ["100"]})
    with pytest.raises(CannotTell, match="cmops resolve p --channel pin"):
        adapter.reconcile(out("Never sent", IMAGE), NOW, NOW)


def test_analytics_map_to_the_kpi_counters(fake: FakePinterest, tmp_path: Path) -> None:
    adapter = make(fake, tmp_path)
    pin = adapter.publish(out("One", IMAGE)).id
    fake.analytics[pin] = {"IMPRESSION": 240, "SAVE": 20, "PIN_CLICK": 37,
                           "OUTBOUND_CLICK": 12, "TOTAL_COMMENTS": 3, "TOTAL_REACTIONS": 9}
    reader = reader_of(adapter)
    assert reader is not None
    assert reader.metrics([pin, "999"]) == {
        pin: Counters(likes=9, comments=3, shares=20, impressions=240, clicks=12),
        "999": None}
    query = next(r["query"] for r in fake.requests if r["path"].endswith("/analytics"))
    assert query["start_date"] == [str(date(2026, 11, 24) - timedelta(days=89))]
    assert query["end_date"] == ["2026-11-24"]
    assert reader.followers() == 1234
    assert reader.inbox(None) == ([], None)
    assert reader.unavailable == {
        "inbox": "Pinterest's API v5 gives no comments or mentions to read"}


def test_a_pin_is_deleted_once_and_again_without_error(fake: FakePinterest,
                                                       tmp_path: Path) -> None:
    adapter = make(fake, tmp_path)
    remote = adapter.publish(out("One", IMAGE))
    item = Withdrawal("pin", "p", 0, remote)
    adapter.delete(item)
    adapter.delete(item)
    assert fake.pins == []


PIN_CHANNEL = """\
  pin:
    network: pinterest
    board: "549755885175"
    secrets:
      token: PINTEREST_TOKEN
"""


def pin_post(repo: Path, variant: str) -> None:
    channels = (repo / "calendar/channels.yaml").read_text("utf-8")
    if PIN_CHANNEL not in channels:
        (repo / "calendar/channels.yaml").write_text(channels + PIN_CHANNEL, "utf-8")
    (repo / "calendar/media/pin.jpg").write_bytes(JPEG.read_bytes())
    (repo / "calendar/posts/pin.yaml").write_text(
        "id: pin\npublish_at: 2027-03-02T09:30\nchannels: [pin]\nstatus: ready\n"
        "text: Rear lights\nlink: https://example.org/lights\nmedia:\n"
        "  - path: calendar/media/pin.jpg\n    alt: A red card\nvariants:\n  pin:\n"
        f"{variant}", "utf-8")


def test_validate_takes_a_pins_title_and_refuses_what_a_pin_does_not_take(
        run: Runner, repo: Path) -> None:
    pin_post(repo, "    title: Be seen at night\n")
    assert run("validate", root=repo).exit_code == 0
    plan = json_out(run("plan", "--at", "2027-03-01T00:00Z", "--format", "json", root=repo))
    [item] = plan["items"]
    # The link goes in the pin's own field: not in the text the plan shows.
    assert (item["parts"][0]["text"], item["link"], item["options"]) == (
        "Rear lights", "https://example.org/lights", {"title": "Be seen at night"})
    pin_post(repo, f"    title: {'x' * 101}\n    tags: [lights]\n")
    lines = run("validate", root=repo).output.splitlines()
    assert [line.split(": error: ", 1)[1] for line in lines if "variant.pinterest" in line] \
        == ["variants.pin.title: a pin's title is 101 characters; pin (pinterest) takes at "
            "most 100 [variant.pinterest]",
            "variants.pin.tags: pin (pinterest) takes no tags: (a pin's variant takes "
            "title:) [variant.pinterest]"]
