"""The TikTok adapter against the strict loopback Content Posting API: a video in chunks or
pulled from the media host, photos by URL, the privacy level the account offers (SELF_ONLY
on an unaudited app), interaction toggles and brand disclosures sent as the variant says,
status polling, reconciliation by publish id, token refresh with the tokens never printed,
and counters read back."""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from tests.fakes.tiktok import FakeTikTok

from cmops.adapters import (
    ADAPTERS,
    CannotTell,
    ChannelContext,
    MediaFile,
    NotConfigured,
    Outgoing,
    Rejected,
    Transient,
)
from cmops.adapters.reading import Counters
from cmops.adapters.tiktok import MIN_CHUNK, TikTokAdapter, chunks
from cmops.secrets import Redactor
from cmops.stores.local import LocalStore
from cmops.tokens import PREFIX, TokenKeeper

MEDIA = Path(__file__).parent / "media"
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
def fake() -> Iterator[FakeTikTok]:
    with FakeTikTok().running() as server:
        yield server


def make(fake: FakeTikTok, tmp_path: Path, secrets: dict[str, str] | None = None,
         timeout: float = 5.0, **settings: Any) -> TikTokAdapter:
    redactor = Redactor()
    secrets = secrets if secrets is not None else {"token": fake.token}
    for value in secrets.values():
        redactor.add(value)
    ctx = ChannelContext("tt", "tiktok", {"network": "tiktok", "server": fake.url,
                                          "audited": True,
                                          "media_base_url": fake.public_base, **settings},
                         secrets, tmp_path, redactor, timeout=timeout)
    adapter = ADAPTERS["tiktok"](ctx)
    assert isinstance(adapter, TikTokAdapter)
    adapter.sleep = lambda s: None
    return adapter


def clip(tmp_path: Path, padding: int = 0) -> MediaFile:
    """The real 3 s vertical clip, grown by a ``free`` box of ``padding`` bytes (MP4 readers
    skip it) where a test needs a file large enough to be cut into chunks."""
    data = (MEDIA / "vertical-3s.mp4").read_bytes()
    if padding:
        data += struct.pack(">I", padding + 8) + b"free" + bytes(padding)
    (tmp_path / "clip.mp4").write_bytes(data)
    return MediaFile(tmp_path / "clip.mp4", "media/clip.mp4", None, thumb_offset=1500)


def photo(name: str = "a.jpg") -> MediaFile:
    return MediaFile(Path(name), f"media/{name}", "A light")


def out(media: tuple[MediaFile, ...], text: str = "Our rear light #bike", **options: Any
        ) -> Outgoing:
    return Outgoing("p/tt", "p", "tt", 0, 1, text, "p/tt#0@x", media, published_at=NOW,
                    options=options)


def bodies(fake: FakeTikTok, path: str) -> list[Any]:
    return [json.loads(r["body"]) for r in fake.requests if r["path"] == path]


def test_chunks_follow_the_media_transfer_guide() -> None:
    mib = 1024 * 1024
    assert chunks(3 * mib, 5 * mib) == [(0, 3 * mib)]  # under 5 MB: whole
    assert chunks(12 * mib, 5 * mib) == [(0, 5 * mib), (5 * mib, 7 * mib)]  # rounded down
    assert chunks(100 * mib, 16 * mib)[-1] == (80 * mib, 20 * mib)
    assert len(chunks(100 * mib, 16 * mib)) == 6
    assert chunks(10 * mib, 1) == [(0, 5 * mib), (5 * mib, 5 * mib)]  # never under 5 MB


def test_a_video_goes_in_chunks_with_the_variant_settings(fake: FakeTikTok,
                                                          tmp_path: Path) -> None:
    adapter = make(fake, tmp_path)
    adapter.chunk_size = MIN_CHUNK
    video = clip(tmp_path, padding=11 * 1024 * 1024)
    remote = adapter.publish(out((video,), privacy_level="MUTUAL_FOLLOW_FRIENDS",
                                 disable_duet=True, brand_organic_toggle=True))
    [post] = fake.posts
    assert remote.id == post["id"]
    assert remote.url == f"https://www.tiktok.com/@brand.shop/video/{post['id']}"
    assert remote.extra == {"publish_id": "v_pub_file~v2-1.1"}
    size = video.path.stat().st_size
    [init] = bodies(fake, "/v2/post/publish/video/init/")
    assert init == {"post_info": {
        "privacy_level": "MUTUAL_FOLLOW_FRIENDS", "disable_comment": False,
        "brand_content_toggle": False, "brand_organic_toggle": True,
        "title": "Our rear light #bike", "disable_duet": True, "disable_stitch": False,
        "video_cover_timestamp_ms": 1500}, "source_info": {
        "source": "FILE_UPLOAD", "video_size": size, "chunk_size": MIN_CHUNK,
        "total_chunk_count": 2}}
    puts = [r for r in fake.requests if r["method"] == "PUT"]
    assert [r["headers"]["Content-Range"] for r in puts] == [
        f"bytes 0-{MIN_CHUNK - 1}/{size}", f"bytes {MIN_CHUNK}-{size - 1}/{size}"]
    assert fake.publishes["v_pub_file~v2-1.1"]["bytes"] == video.path.read_bytes()
    assert all("Authorization" not in r["headers"] for r in puts)  # the token stays home


def test_a_small_video_is_pulled_from_the_media_host(fake: FakeTikTok, tmp_path: Path
                                                     ) -> None:
    adapter = make(fake, tmp_path, video_source="url")
    adapter.publish(out((clip(tmp_path),)))
    [init] = bodies(fake, "/v2/post/publish/video/init/")
    assert init["source_info"] == {"source": "PULL_FROM_URL",
                                   "video_url": "https://media.example.org/media/clip.mp4"}
    assert not [r for r in fake.requests if r["method"] == "PUT"]


def test_photos_go_by_url_with_the_text_as_description(fake: FakeTikTok,
                                                       tmp_path: Path) -> None:
    adapter = make(fake, tmp_path)
    remote = adapter.publish(out((photo("a.jpg"), photo("b.jpg")), title="Lights",
                                 auto_add_music=True))
    assert remote.url == f"https://www.tiktok.com/@brand.shop/photo/{remote.id}"
    [init] = bodies(fake, "/v2/post/publish/content/init/")
    assert init == {"post_info": {
        "privacy_level": "PUBLIC_TO_EVERYONE", "disable_comment": False,
        "brand_content_toggle": False, "brand_organic_toggle": False,
        "description": "Our rear light #bike", "title": "Lights", "auto_add_music": True},
        "post_mode": "DIRECT_POST", "media_type": "PHOTO", "source_info": {
        "source": "PULL_FROM_URL", "photo_cover_index": 0, "photo_images": [
            "https://media.example.org/media/a.jpg", "https://media.example.org/media/b.jpg"]}}


def test_an_unaudited_app_posts_privately_and_gets_no_post_id(fake: FakeTikTok,
                                                              tmp_path: Path) -> None:
    fake.audited = False
    adapter = make(fake, tmp_path, audited=False)
    remote = adapter.publish(out((photo(),), privacy_level="PUBLIC_TO_EVERYONE"))
    assert bodies(fake, "/v2/post/publish/content/init/")[0]["post_info"][
        "privacy_level"] == "SELF_ONLY"
    # A private post has no public id: it is recorded under its publish id.
    assert (remote.id, remote.url) == ("v_pub_photo~v2-1.1", "https://www.tiktok.com/@brand.shop")
    assert adapter.metrics([remote.id]) == {remote.id: Counters()}
    assert "private post" in adapter.unavailable["metrics"]


def test_a_privacy_level_the_account_does_not_offer_is_refused_before_sending(
        fake: FakeTikTok, tmp_path: Path) -> None:
    adapter = make(fake, tmp_path)
    with pytest.raises(Rejected) as caught:
        adapter.publish(out((photo(),), privacy_level="FOLLOWER_OF_CREATOR"))
    assert str(caught.value) == (
        "not sent: tt (tiktok) offers privacy_level PUBLIC_TO_EVERYONE, "
        "MUTUAL_FOLLOW_FRIENDS, SELF_ONLY to this account, not FOLLOWER_OF_CREATOR")
    assert not fake.publishes


def test_branded_content_is_never_private(fake: FakeTikTok, tmp_path: Path) -> None:
    adapter = make(fake, tmp_path, audited=False)
    with pytest.raises(Rejected, match=r"branded content \(brand_content_toggle\) cannot "
                       r"be private on TikTok, and tt posts privately: the app is not "
                       r"audited"):
        adapter.publish(out((photo(),), brand_content_toggle=True))
    assert not fake.publishes


def test_the_creators_own_settings_win(fake: FakeTikTok, tmp_path: Path) -> None:
    fake.creator.update(comment_disabled=True, duet_disabled=True, stitch_disabled=True)
    make(fake, tmp_path).publish(out((clip(tmp_path),)))
    info = bodies(fake, "/v2/post/publish/video/init/")[0]["post_info"]
    assert (info["disable_comment"], info["disable_duet"], info["disable_stitch"]) == (
        True, True, True)


def test_a_video_longer_than_the_account_may_post_is_refused(fake: FakeTikTok,
                                                             tmp_path: Path) -> None:
    fake.creator["max_video_post_duration_sec"] = 2
    with pytest.raises(Rejected, match=r"lasts 3\.0 s; this TikTok account posts videos of "
                       "at most 2 s"):
        make(fake, tmp_path).publish(out((clip(tmp_path),)))
    assert not fake.publishes


def test_a_failed_post_is_refused_with_tiktoks_reason(fake: FakeTikTok,
                                                      tmp_path: Path) -> None:
    fake.fail_next = "frame_rate_check_failed"
    with pytest.raises(Rejected, match="TikTok could not publish the post: "
                       "frame_rate_check_failed"):
        make(fake, tmp_path).publish(out((clip(tmp_path),)))


def test_a_post_still_processing_is_recorded_under_its_publish_id(fake: FakeTikTok,
                                                                  tmp_path: Path) -> None:
    fake.processing = 10_000
    adapter = make(fake, tmp_path)
    item = Outgoing("p/tt", "p", "tt", 0, 1, "Hi", "p/tt#0@x", (photo(),), published_at=NOW,
                    time_left=20.0)
    remote = adapter.publish(item)
    assert remote.id == "v_pub_photo~v2-1.1"


def test_a_lost_answer_is_settled_by_the_status_endpoint(fake: FakeTikTok,
                                                         tmp_path: Path) -> None:
    adapter = make(fake, tmp_path, timeout=0.3)
    item = out((photo(),))
    fake.faults = ["accept-then-drop"]
    with pytest.raises(Transient) as caught:
        adapter.publish(item)
    assert caught.value.maybe_sent
    # The photo init's answer was lost, so no publish id: a human decides.
    with pytest.raises(CannotTell, match="its publish id was not kept"):
        adapter.reconcile(item, NOW, NOW)


def test_a_lost_status_answer_after_the_upload_finds_the_post(fake: FakeTikTok,
                                                              tmp_path: Path) -> None:
    adapter = make(fake, tmp_path)
    item = out((clip(tmp_path),))
    adapter.publish(item)
    assert adapter.reconcile(item, NOW, NOW) == adapter.remote(
        "v_pub_file~v2-1.1", {"publicaly_available_post_id": [int(fake.posts[0]["id"])]},
        True)


def test_a_file_upload_init_whose_answer_was_lost_sent_nothing(fake: FakeTikTok,
                                                               tmp_path: Path) -> None:
    adapter = make(fake, tmp_path)
    item = out((clip(tmp_path),))
    fake.faults = ["accept-then-drop"]
    with pytest.raises(Transient):
        adapter.publish(item)
    assert adapter.reconcile(item, NOW, NOW) is None  # no byte went up: sending is safe
    adapter.publish(item)
    assert len(fake.posts) == 1


def test_an_interrupted_upload_is_sent_again(fake: FakeTikTok, tmp_path: Path) -> None:
    adapter = make(fake, tmp_path)
    adapter.chunk_size = MIN_CHUNK
    item = out((clip(tmp_path, padding=11 * 1024 * 1024),))
    real_put = adapter.upload.put
    calls = []

    def failing(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise Transient("upload failed", maybe_sent=False)
        return real_put(*args, **kwargs)

    adapter.upload.put = failing  # type: ignore[method-assign]
    with pytest.raises(Transient) as caught:
        adapter.publish(item)
    assert caught.value.maybe_sent is False
    assert adapter.reconcile(item, NOW, NOW) is None  # PROCESSING_UPLOAD: never posted


def test_a_claim_that_never_reached_an_init_is_safe_to_send(fake: FakeTikTok,
                                                            tmp_path: Path) -> None:
    """The git store counts a claim as an attempt, so the first send is reconciled first:
    under the publisher (``keep`` given) no publish id saved means no upload began, and a
    pull init without its mark was never sent; a mark without an id is a human's call."""
    video = out((clip(tmp_path),))
    keeping = replace(video, keep=lambda facts: None)
    assert make(fake, tmp_path).reconcile(keeping, NOW, NOW) is None  # FILE_UPLOAD
    pulled = make(fake, tmp_path, video_source="url")
    assert pulled.reconcile(keeping, NOW, NOW) is None
    with pytest.raises(CannotTell):
        pulled.reconcile(replace(keeping, kept={"init": "pull"}), NOW, NOW)
    with pytest.raises(CannotTell):  # outside the publisher nothing says what was sent
        pulled.reconcile(video, NOW, NOW)
    saved: dict[str, str] = {}
    photos = make(fake, tmp_path)
    photos.publish(replace(out((photo(),)), keep=saved.update))
    assert list(saved) == ["init", "publish_id", "uploaded"]  # the mark before the init
    assert fake.requests[-1]["path"] == "/v2/post/publish/status/fetch/"


def test_a_kept_refresh_token_is_read_when_the_adapter_is_built(fake: FakeTikTok,
                                                                tmp_path: Path) -> None:
    secret = fake.refresh_token
    secrets = {"client_key": fake.client_key, "client_secret": fake.client_secret,
               "refresh_token": secret}
    store = LocalStore(tmp_path / "state")
    key = Fernet.generate_key().decode()

    def built() -> TikTokAdapter:
        redactor = Redactor()
        ctx = ChannelContext("tt", "tiktok", {"network": "tiktok", "server": fake.url,
                                              "audited": True,
                                              "media_base_url": fake.public_base},
                             secrets, tmp_path, redactor, timeout=5.0,
                             tokens=TokenKeeper(store, "tt", key, redactor))
        return TikTokAdapter(ctx, sleep=lambda s: None)

    built().publish(out((photo(),)))
    assert store.read_files(PREFIX).keys() == {"tokens/tt.fernet"}
    second = built()
    assert second.refresh["refresh_token"] == "rft.rotated-1-canary"
    second.publish(out((photo(),)))
    assert fake.refreshes == 2
    # A token-only channel needs no key and is never refused for the lack of one.
    TikTokAdapter(ChannelContext("tt", "tiktok", {"network": "tiktok"}, {"token": "t" * 8},
                                 tmp_path, Redactor(),
                                 tokens=TokenKeeper(store, "tt", None, Redactor())))


def test_a_refresh_token_gets_an_access_token_never_printed(fake: FakeTikTok,
                                                            tmp_path: Path) -> None:
    secrets = {"client_key": fake.client_key, "client_secret": fake.client_secret,
               "refresh_token": fake.refresh_token}
    fake.token = "act.not-yet-known"
    adapter = make(fake, tmp_path, secrets)
    adapter.publish(out((photo(),)))
    assert fake.refreshes == 1
    form = next(r for r in fake.requests if r["path"] == "/v2/oauth/token/")["body"]
    assert b"grant_type=refresh_token" in form
    fresh, rotated = fake.token, fake.refresh_token
    assert adapter.redact(f"{fresh} {rotated}") == "[REDACTED] [REDACTED]"
    # An echoing server's 401 gets a new token (TikTok rotated the refresh token: the new
    # one is used) and one more try; a second echo is refused with the tokens redacted.
    fake.faults = ["echo"]
    adapter.publish(out((photo(),)))
    assert fake.refreshes == 2
    fake.faults = ["echo", "echo"]
    with pytest.raises(Rejected) as caught:
        adapter.publish(out((photo(),)))
    assert fake.token not in str(caught.value) and "[REDACTED]" in str(caught.value)


def test_a_401_refreshes_once_then_is_refused(fake: FakeTikTok, tmp_path: Path) -> None:
    secrets = {"client_key": fake.client_key, "client_secret": fake.client_secret,
               "refresh_token": fake.refresh_token}
    adapter = make(fake, tmp_path, secrets)
    adapter.publish(out((photo(),)))
    fake.token = "act.revoked-by-tiktok"  # the access token no longer works
    adapter.publish(out((photo(),)))
    assert fake.refreshes == 2
    fake.refresh_token = "rft.revoked"
    fake.token = "act.revoked-again"
    with pytest.raises(Rejected, match="TikTok refused the refresh token") as caught:
        adapter.publish(out((photo(),)))
    assert caught.value.status == 401


def test_secrets_are_required(fake: FakeTikTok, tmp_path: Path) -> None:
    with pytest.raises(NotConfigured, match="tiktok needs secrets"):
        make(fake, tmp_path, {"client_key": "k"})
    with pytest.raises(NotConfigured, match="video_source must be file or url"):
        make(fake, tmp_path, video_source="ftp")


def test_metrics_and_followers(fake: FakeTikTok, tmp_path: Path) -> None:
    adapter = make(fake, tmp_path)
    first = adapter.publish(out((photo(),)))
    fake.stats[first.id] = {"like_count": 12, "comment_count": 3, "share_count": 2,
                            "view_count": 480}
    assert adapter.metrics([first.id, "7440000000000000999"]) == {
        first.id: Counters(likes=12, comments=3, shares=2, impressions=480),
        "7440000000000000999": None}
    assert adapter.followers() == 1234
    fake.scopes = {"video.publish"}
    assert adapter.metrics([first.id]) == {first.id: Counters()}
    assert "video.list" in adapter.unavailable["metrics"]
    assert adapter.followers() is None
    assert adapter.unavailable["followers"] == ("TikTok: the follower count needs "
                                                "user.info.stats")
    assert adapter.inbox(None) == ([], None)


def test_the_next_run_settles_a_post_from_the_publish_id_the_ledger_kept(
        fake: FakeTikTok, tmp_path: Path) -> None:
    """A run killed mid-post: the publish id and the finished upload were saved through
    ``Outgoing.keep``; a new adapter (the next run, nothing in memory) finds the post with
    them, and without them a human decides."""
    saved: dict[str, str] = {}
    first = make(fake, tmp_path)
    item = out((clip(tmp_path),))
    sent = first.publish(replace(item, keep=saved.update))
    publish_id = sent.extra["publish_id"]
    assert saved == {"publish_id": publish_id, "uploaded": publish_id}
    later = make(fake, tmp_path)
    assert later.reconcile(replace(item, kept=saved), NOW, NOW) == sent
    assert len(fake.posts) == 1
    with pytest.raises(CannotTell):
        make(fake, tmp_path).reconcile(item, NOW, NOW)
