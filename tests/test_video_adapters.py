"""Video through the adapters that send it by upload (issue 18): Bluesky through its video
service (strict loopback fakes of the PDS and of video.bsky.app), Mastodon through
/api/v2/media with its processing polls, Telegram (sendVideo) and Discord (a webhook
attachment) within their size limits; what each service received, the post it ended in,
and each way the processing can go wrong."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.fakes.bluesky import FakeBluesky, FakeVideoService
from tests.fakes.discord import FakeDiscord
from tests.fakes.loopback import multipart
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.telegram import FakeTelegram

from cmops.adapters import (
    ChannelContext,
    MediaFile,
    NotConfigured,
    Outgoing,
    Rejected,
    Transient,
)
from cmops.adapters.bluesky import BlueskyAdapter, tid
from cmops.adapters.bluesky_video import did_web, video_size
from cmops.adapters.discord import DiscordAdapter
from cmops.adapters.mastodon import MastodonAdapter
from cmops.adapters.telegram import TelegramAdapter
from cmops.secrets import Redactor

MEDIA = Path(__file__).parent / "media"
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
MICROS = (NOW - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
PASSWORD = "app-pass-7f3k-q9zx"
LIMITS, UPLOAD, STATUS = ("app.bsky.video.getUploadLimits", "app.bsky.video.uploadVideo",
                          "app.bsky.video.getJobStatus")
AUTH, CREATE = "com.atproto.server.getServiceAuth", "com.atproto.repo.createRecord"


@pytest.fixture
def pds() -> Iterator[FakeBluesky]:
    with FakeBluesky(password=PASSWORD).running() as server:
        yield server


@pytest.fixture
def video(pds: FakeBluesky) -> Iterator[FakeVideoService]:
    with FakeVideoService(pds).running() as server:
        yield server


def bluesky(pds: FakeBluesky, tmp_path: Path, service: str,
            redactor: Redactor | None = None) -> BlueskyAdapter:
    ctx = ChannelContext("bsky", "bluesky", {"network": "bluesky", "server": pds.url,
                                             "video_service": service},
                         {"identifier": "brand.test", "password": PASSWORD}, tmp_path,
                         redactor or Redactor(), timeout=5)
    adapter = BlueskyAdapter(ctx)
    adapter.video.sleep = lambda seconds: None
    return adapter


@pytest.fixture
def adapter(pds: FakeBluesky, video: FakeVideoService,
            tmp_path: Path) -> Iterator[BlueskyAdapter]:
    a = bluesky(pds, tmp_path, video.url)
    yield a
    a.close()


def clip(name: str = "vertical-3s.mp4", alt: str | None = "A clock counting to three"
         ) -> MediaFile:
    return MediaFile(MEDIA / name, f"media/{name}", alt)


def out(text: str, *media: MediaFile, time_left: float | None = None) -> Outgoing:
    return Outgoing("p/bsky", "p", "bsky", 0, 1, text, tid(MICROS, 5), media=media,
                    published_at=NOW, time_left=time_left)


def claims(request: dict[str, Any]) -> dict[str, Any]:
    body = request["headers"]["Authorization"].removeprefix("Bearer ").split(".")[1]
    found: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return found


def test_a_video_goes_through_the_video_service_then_into_the_post(
        adapter: BlueskyAdapter, pds: FakeBluesky, video: FakeVideoService) -> None:
    remote = adapter.publish(out("our new clip", clip()))
    assert video.calls() == [LIMITS, UPLOAD, STATUS, STATUS, STATUS]
    assert pds.calls() == ["com.atproto.server.createSession", AUTH, AUTH, CREATE]
    limits, upload = video.requests[0], video.requests[1]
    assert (claims(limits)["aud"], claims(limits)["lxm"]) == (video.did, LIMITS)
    assert (claims(upload)["aud"], claims(upload)["lxm"]) == (
        did_web(pds.endpoint), "com.atproto.repo.uploadBlob")
    assert claims(upload)["exp"] > datetime.now(UTC).timestamp() + 25 * 60  # 30-minute token
    assert upload["query"] == {"did": [pds.did], "name": ["vertical-3s.mp4"]}
    assert upload["headers"]["Content-Type"] == "video/mp4"
    assert upload["body"] == (MEDIA / "vertical-3s.mp4").read_bytes()
    embed = pds.records[remote.id.rpartition("/")[2]]["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.video"
    assert embed["alt"] == "A clock counting to three"
    assert embed["aspectRatio"] == {"width": 360, "height": 640}  # as displayed
    assert embed["video"]["mimeType"] == "video/mp4"
    assert pds.blobs[embed["video"]["ref"]["$link"]][1] == upload["body"]


def test_a_video_without_alt_text_has_no_alt_field(adapter: BlueskyAdapter,
                                                   pds: FakeBluesky) -> None:
    remote = adapter.publish(out("landscape", clip("landscape-2s.mp4", None)))
    embed = pds.records[remote.id.rpartition("/")[2]]["value"]["embed"]
    assert "alt" not in embed
    assert embed["aspectRatio"] == {"width": 320, "height": 180}


def test_a_video_already_processed_is_taken_from_the_earlier_job(
        adapter: BlueskyAdapter, pds: FakeBluesky, video: FakeVideoService) -> None:
    adapter.publish(out("first", clip()))
    video.requests.clear()
    second = Outgoing("q/bsky", "q", "bsky", 0, 1, "again", tid(MICROS + 7000, 5),
                      media=(clip(),), published_at=NOW)
    remote = adapter.publish(second)
    assert video.calls() == [LIMITS, UPLOAD]  # 409 already_exists, its job already done
    first_blob = next(iter(pds.records.values()))["value"]["embed"]["video"]
    assert pds.records[remote.id.rpartition("/")[2]]["value"]["embed"]["video"] == first_blob


def test_upload_limits_reached_are_refused_with_the_services_message(
        adapter: BlueskyAdapter, pds: FakeBluesky, video: FakeVideoService) -> None:
    video.limits = {"canUpload": False, "remainingDailyVideos": 0,
                    "message": "You have reached your daily upload limit"}
    with pytest.raises(Rejected, match="the video service takes no upload now: You have "
                                       "reached your daily upload limit"):
        adapter.publish(out("clip", clip()))
    assert video.calls() == [LIMITS]
    assert pds.records == {}


def test_a_failed_job_is_rejected_with_its_error(adapter: BlueskyAdapter, pds: FakeBluesky,
                                                 video: FakeVideoService) -> None:
    video.fail = ("encoding_failure", "Video could not be encoded")
    with pytest.raises(Rejected, match=r"could not process the video \(job job0001\): "
                                       "encoding_failure Video could not be encoded"):
        adapter.publish(out("clip", clip()))
    assert pds.records == {}


def test_a_file_that_is_not_a_video_is_refused_before_any_upload(
        adapter: BlueskyAdapter, pds: FakeBluesky, video: FakeVideoService,
        tmp_path: Path) -> None:
    # Named .mp4, but MediaInfo finds no video in it: Bluesky limits duration, so the
    # declaration refuses it before the video service is asked anything.
    (tmp_path / "fake.mp4").write_bytes(b"\x00" * 64)
    with pytest.raises(Rejected, match=r"cannot read 'media/fake.mp4' as a video"):
        adapter.publish(out("clip", MediaFile(tmp_path / "fake.mp4", "media/fake.mp4", None)))
    assert pds.records == {}
    assert video.calls() == []


def test_a_slow_job_is_transient_within_the_runs_time_left(
        adapter: BlueskyAdapter, pds: FakeBluesky, video: FakeVideoService) -> None:
    video.steps = ["JOB_STATE_ENCODING"] * 1000
    ticks = iter(range(0, 10_000, 2))  # every poll costs 2 s of the fake clock
    adapter.video.monotonic = lambda: float(next(ticks))
    slept: list[float] = []
    adapter.video.sleep = slept.append
    with pytest.raises(Transient, match=r"video media/vertical-3s.mp4 \(job job0001\) still "
                                        "not ready") as caught:
        adapter.publish(out("clip", clip(), time_left=35.0))  # 20 s after the margin
    assert caught.value.maybe_sent is False
    assert pds.records == {}
    assert slept and set(slept) == {1.5}
    assert 5 <= video.calls().count(STATUS) <= 11  # stopped by time_left, not WAIT_MOST


@pytest.mark.parametrize("token", ["forged", "expired"])
def test_the_fake_refuses_a_bad_service_token(video: FakeVideoService, token: str) -> None:
    import httpx
    from tests.fakes.bluesky import jwt

    bearer = "a.b.c" if token == "forged" else jwt(
        {"iss": "did:plc:x", "aud": video.did, "lxm": LIMITS, "exp": 1})
    answer = httpx.get(f"{video.url}/xrpc/{LIMITS}",
                       headers={"Authorization": f"Bearer {bearer}"})
    assert answer.status_code == 400
    assert answer.json()["error"] == ("InvalidToken" if token == "forged" else "ExpiredToken")


def test_the_fake_refuses_a_token_for_another_method(video: FakeVideoService) -> None:
    import httpx
    from tests.fakes.bluesky import jwt

    bearer = jwt({"iss": "did:plc:x", "aud": video.did, "lxm": UPLOAD, "exp": 2**40})
    answer = httpx.get(f"{video.url}/xrpc/{LIMITS}",
                       headers={"Authorization": f"Bearer {bearer}"})
    assert (answer.status_code, answer.json()["error"]) == (401, "AuthRequired")


def test_a_server_that_is_no_video_service_is_named(pds: FakeBluesky, tmp_path: Path) -> None:
    # The fake PDS answers 501 MethodNotImplemented to app.bsky.video.*, as a bare PDS does.
    adapter = bluesky(pds, tmp_path, pds.endpoint)
    with pytest.raises(NotConfigured, match=rf"bluesky channel bsky: no video service at "
                                            rf"{pds.endpoint} \(a self-hosted PDS has none; "
                                            r"set video_service\): HTTP 501 "
                                            "MethodNotImplemented"):
        adapter.publish(out("clip", clip()))
    assert pds.records == {}


def test_nothing_listening_at_the_video_service_is_named(pds: FakeBluesky,
                                                         tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    adapter = bluesky(pds, tmp_path, f"http://localhost:{port}")
    with pytest.raises(NotConfigured, match=f"no video service at http://localhost:{port} "):
        adapter.publish(out("clip", clip()))


def test_video_service_must_be_a_url(pds: FakeBluesky, tmp_path: Path) -> None:
    with pytest.raises(NotConfigured, match="bluesky video_service must be an http"):
        bluesky(pds, tmp_path, "video.bsky.app")


def test_service_tokens_never_reach_an_error(adapter: BlueskyAdapter,
                                             video: FakeVideoService) -> None:
    video.limits = {"canUpload": False, "message": "no"}
    with pytest.raises(Rejected) as caught:
        adapter.publish(out("clip", clip()))
    token = video.requests[0]["headers"]["Authorization"].removeprefix("Bearer ")
    assert token not in adapter.redact(f"x {token} y")
    assert token not in str(caught.value)


def test_video_size_applies_rotation(tmp_path: Path) -> None:
    assert video_size(MEDIA / "vertical-3s.mp4") == (360, 640)
    assert video_size(MEDIA / "square-60fps-1s.mp4") == (64, 64)
    (tmp_path / "x.mp4").write_bytes(b"\x00" * 32)
    assert video_size(tmp_path / "x.mp4") is None


def test_did_web_encodes_a_port() -> None:
    assert did_web("https://video.bsky.app") == "did:web:video.bsky.app"
    assert did_web("http://localhost:2583/") == "did:web:localhost%3A2583"


# -- Mastodon ------------------------------------------------------------------------------
@pytest.fixture
def masto_fake() -> Iterator[FakeMastodon]:
    with FakeMastodon().running() as server:
        yield server


@pytest.fixture
def masto(masto_fake: FakeMastodon, tmp_path: Path) -> Iterator[MastodonAdapter]:
    ctx = ChannelContext("masto", "mastodon", {"network": "mastodon", "server": masto_fake.url},
                         {"token": masto_fake.token}, tmp_path, Redactor(), timeout=5)
    adapter = MastodonAdapter(ctx)
    adapter.sleep = lambda seconds: None
    yield adapter
    adapter.close()


def toot(adapter: MastodonAdapter, text: str, *media: MediaFile,
         time_left: float | None = None) -> Outgoing:
    return Outgoing("p/masto", "p", "masto", 0, 1, text,
                    adapter.new_dedupe("p/masto", 0, NOW), media=media, published_at=NOW,
                    time_left=time_left)


def test_mastodon_video_waits_for_processing_then_posts(masto: MastodonAdapter,
                                                        masto_fake: FakeMastodon) -> None:
    masto_fake.video_polls = 4
    slept: list[float] = []
    masto.sleep = slept.append
    remote = masto.publish(toot(masto, "une vidéo", clip()))
    upload = next(r for r in masto_fake.requests if r["path"] == "/api/v2/media")
    fields = multipart(upload["headers"]["Content-Type"], upload["body"])
    assert fields["file"] == ("vertical-3s.mp4", "video/mp4",
                              (MEDIA / "vertical-3s.mp4").read_bytes())
    assert fields["description"][2] == b"A clock counting to three"
    [media] = masto_fake.media.values()
    # 202 on upload, four 206, then 200: only then the status, with that media id
    assert (media["type"], media["polls"]) == ("video", 5)
    assert slept == [3.0] * 4
    [status] = masto_fake.statuses
    assert (status["id"], status["media_ids"]) == (remote.id, [media["id"]])


def test_mastodon_video_whose_processing_fails_is_rejected(masto: MastodonAdapter,
                                                           masto_fake: FakeMastodon) -> None:
    masto_fake.video_polls = 2
    masto_fake.failing.add("900")
    with pytest.raises(Rejected, match=r"media media/vertical-3s.mp4: the server could not "
                                       r"process it \(HTTP 422: Error processing thumbnail "
                                       r"for uploaded media\)"):
        masto.publish(toot(masto, "une vidéo", clip()))
    assert masto_fake.statuses == []


def test_mastodon_slow_video_is_transient_within_the_runs_time_left(
        masto: MastodonAdapter, masto_fake: FakeMastodon) -> None:
    masto_fake.video_polls = 10_000
    ticks = iter(range(0, 100_000, 3))
    masto.monotonic = lambda: float(next(ticks))
    with pytest.raises(Transient, match=r"media media/vertical-3s.mp4 \(id 900\) still not "
                                        "ready after") as caught:
        masto.publish(toot(masto, "une vidéo", clip(), time_left=75.0))
    assert caught.value.maybe_sent is False
    assert masto_fake.statuses == []
    polls = masto_fake.media["900"]["polls"]
    assert 15 <= polls <= 21  # about 60 s of the run's 75 (less the margin), not 600 s


def test_mastodon_video_over_the_instance_limit(masto: MastodonAdapter,
                                                masto_fake: FakeMastodon,
                                                tmp_path: Path) -> None:
    big = tmp_path / "big.mp4"
    with big.open("wb") as file:  # sparse: 100 MiB of nothing after a real MP4 header
        file.write((MEDIA / "landscape-2s.mp4").read_bytes())
        file.truncate(103_809_025)
    with pytest.raises(Rejected, match=r"'media/big.mp4' is 103809025 bytes; masto "
                                       r"\(mastodon\) takes at most 103809024 bytes"):
        masto.publish(toot(masto, "trop grande", MediaFile(big, "media/big.mp4", None)))
    assert masto_fake.requests == []
    masto_fake.video_size_limit = 10_000  # a smaller instance: its own 422, said as it is
    with pytest.raises(Rejected, match="HTTP 422: Validation failed: File file size must be "
                                       "less than 10000 bytes"):
        masto.publish(toot(masto, "trop grande ici", clip()))


def sparse(path: Path, size: int) -> MediaFile:
    """A file of ``size`` bytes that costs no disk: a real MP4's start, then nothing."""
    with path.open("wb") as file:
        file.write((MEDIA / "landscape-2s.mp4").read_bytes())
        file.truncate(size)
    return MediaFile(path, f"media/{path.name}", None)


# -- Telegram ------------------------------------------------------------------------------
@pytest.fixture
def tg_fake() -> Iterator[FakeTelegram]:
    with FakeTelegram().running() as server:
        yield server


@pytest.fixture
def tg(tg_fake: FakeTelegram, tmp_path: Path) -> Iterator[TelegramAdapter]:
    adapter = TelegramAdapter(ChannelContext(
        "tg", "telegram", {"network": "telegram", "chat_id": "@cmops_news",
                           "server": tg_fake.url}, {"token": tg_fake.token}, tmp_path,
        Redactor(), timeout=5))
    yield adapter
    adapter.close()


def tg_out(text: str, *media: MediaFile) -> Outgoing:
    return Outgoing("p/tg", "p", "tg", 0, 1, text, "p/tg#0", media=media, published_at=NOW)


def test_telegram_sends_a_video_with_send_video(tg: TelegramAdapter,
                                                tg_fake: FakeTelegram) -> None:
    remote = tg.publish(tg_out("Regardez 🎬", clip()))
    [request] = tg_fake.requests
    assert request["method"] == "sendVideo"
    fields = multipart(request["headers"]["Content-Type"], request["body"])
    assert fields["video"] == ("vertical-3s.mp4", "video/mp4",
                               (MEDIA / "vertical-3s.mp4").read_bytes())
    assert fields["caption"][2].decode() == "Regardez 🎬"
    [message] = tg_fake.messages
    assert message["video"]["file_size"] == (MEDIA / "vertical-3s.mp4").stat().st_size
    assert remote.url == f"https://t.me/cmops_news/{message['message_id']}"


def test_telegram_refuses_a_video_over_50_mb_before_sending(tg: TelegramAdapter,
                                                            tg_fake: FakeTelegram,
                                                            tmp_path: Path) -> None:
    big = sparse(tmp_path / "big.mp4", 50_000_001)
    with pytest.raises(Rejected, match=r"'media/big.mp4' is 50000001 bytes; tg \(telegram\) "
                                       r"takes at most 50000000 bytes"):
        tg.publish(tg_out("trop grande", big))
    assert tg_fake.requests == []
    tg.publish(tg_out("juste", sparse(tmp_path / "fits.mp4", 50_000_000)))
    assert tg_fake.messages[0]["video"]["file_size"] == 50_000_000


def test_telegram_fake_answers_413_over_its_limit(tg: TelegramAdapter,
                                                  tg_fake: FakeTelegram) -> None:
    tg_fake.max_file = 10_000
    with pytest.raises(Rejected, match="HTTP 413: Request Entity Too Large"):
        tg.publish(tg_out("clip", clip()))
    assert tg_fake.messages == []


# -- Discord -------------------------------------------------------------------------------
@pytest.fixture
def dc_fake() -> Iterator[FakeDiscord]:
    with FakeDiscord().running() as server:
        yield server


@pytest.fixture
def dc(dc_fake: FakeDiscord, tmp_path: Path) -> Iterator[DiscordAdapter]:
    adapter = DiscordAdapter(ChannelContext("disc", "discord", {"network": "discord"},
                                            {"webhook_url": dc_fake.url}, tmp_path,
                                            Redactor(), timeout=5))
    yield adapter
    adapter.close()


def dc_out(text: str, *media: MediaFile) -> Outgoing:
    return Outgoing("p/disc", "p", "disc", 0, 1, text, "p/disc#0", media=media,
                    published_at=NOW)


def test_discord_sends_a_video_as_an_attachment(dc: DiscordAdapter,
                                                dc_fake: FakeDiscord) -> None:
    dc.publish(dc_out("La vidéo", clip("landscape-2s.mp4", None)))
    [message] = dc_fake.messages
    assert message["attachments"] == [{
        "id": "0", "filename": "landscape-2s.mp4", "description": None,
        "content_type": "video/mp4", "size": (MEDIA / "landscape-2s.mp4").stat().st_size}]
    assert dc_fake.files["landscape-2s.mp4"] == (MEDIA / "landscape-2s.mp4").read_bytes()


def test_discord_refuses_a_file_over_10_mib_before_sending(dc: DiscordAdapter,
                                                           dc_fake: FakeDiscord,
                                                           tmp_path: Path) -> None:
    big = sparse(tmp_path / "big.mp4", 10 * 1024 * 1024 + 1)
    with pytest.raises(Rejected, match=r"'media/big.mp4' is 10485761 bytes; disc \(discord\) "
                                       r"takes at most 10485760 bytes"):
        dc.publish(dc_out("trop grande", big))
    assert dc_fake.requests == []


def test_discord_refuses_files_over_25_mib_together(dc: DiscordAdapter, dc_fake: FakeDiscord,
                                                    tmp_path: Path) -> None:
    files = [sparse(tmp_path / f"{n}.mp4", 9 * 1024 * 1024) for n in range(3)]
    with pytest.raises(Rejected, match=r"the attachments of disc \(discord\) total 27.0 MiB; "
                                       "a Discord message takes at most 25 MiB"):
        dc.publish(dc_out("trois", *files))
    assert dc_fake.requests == []


def test_discord_fake_answers_413_over_its_limits(dc: DiscordAdapter,
                                                  dc_fake: FakeDiscord) -> None:
    dc_fake.file_limit = 10_000
    with pytest.raises(Rejected, match="HTTP 413: Request entity too large"):
        dc.publish(dc_out("clip", clip()))
    dc_fake.file_limit, dc_fake.request_limit = 10 * 1024 * 1024, 20_000
    with pytest.raises(Rejected, match="HTTP 413: Request entity too large"):
        dc.publish(dc_out("clip", clip()))
    assert dc_fake.messages == []
