"""The YouTube adapter against its strict loopback fake (tests/fakes/youtube.py): the exact
resumable upload, a lost answer settled by the session or by the channel's uploads, a resume
from where the session stands, thumbnails, quota, OAuth refresh and reading."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.fakes.rigs import context
from tests.fakes.youtube import FakeYouTube

from cmops.adapters import CannotTell, MediaFile, Outgoing, Rejected, Transient
from cmops.adapters.reading import Counters, reader_of
from cmops.adapters.youtube import YouTubeAdapter, _until_reset
from cmops.quota import quota_line, youtube_publish_cost

MEDIA = Path(__file__).parent / "media"
VIDEO = MEDIA / "vertical-3s.mp4"
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
OPTIONS = {"title": "Le Halo en 3 secondes", "tags": ["vélo", "Lyon"], "category": "2",
           "made_for_kids": False, "synthetic_media": True}


@pytest.fixture
def fake() -> Iterator[FakeYouTube]:
    with FakeYouTube().running() as server:
        yield server


def adapter(fake: FakeYouTube, tmp_path: Path, *, refresh: bool = False,
            timeout: float = 5.0, **settings: Any) -> YouTubeAdapter:
    secrets = fake.oauth.client_secrets if refresh else {"token": fake.token}
    ctx = context("youtube", {"server": fake.url, **settings}, secrets, tmp_path, timeout)
    return YouTubeAdapter(ctx)


def outgoing(yt: YouTubeAdapter, text: str = "Le Lumen Halo éclaire à 100 lumens 🚲",
             **options: Any) -> Outgoing:
    return Outgoing("p/yt", "p", "yt", 0, 1, text, yt.new_dedupe("p/yt", 0, NOW),
                    media=(MediaFile(VIDEO, "calendar/media/halo.mp4", None),),
                    published_at=NOW, lang="fr", options={**OPTIONS, **options})


def calls(fake: FakeYouTube) -> list[str]:
    return [f"{r['method']} {r['path']}" for r in fake.requests]


def test_a_video_goes_out_through_the_resumable_upload(fake: FakeYouTube,
                                                       tmp_path: Path) -> None:
    yt = adapter(fake, tmp_path, privacy="unlisted")
    out = outgoing(yt)
    remote = yt.publish(out)
    assert calls(fake) == ["POST /upload/youtube/v3/videos", "PUT /upload/youtube/v3/videos"]
    start, put = fake.requests
    assert start["query"] == {"uploadType": ["resumable"], "part": ["snippet,status"]}
    assert start["headers"]["X-Upload-Content-Length"] == str(VIDEO.stat().st_size)
    assert start["headers"]["X-Upload-Content-Type"] == "video/mp4"
    assert json.loads(start["body"]) == {
        "snippet": {"title": "Le Halo en 3 secondes", "description": out.text,
                    "tags": ["vélo", "Lyon", out.dedupe], "categoryId": "2",
                    "defaultLanguage": "fr"},
        "status": {"privacyStatus": "unlisted", "selfDeclaredMadeForKids": False,
                   "containsSyntheticMedia": True}}
    assert put["body"] == VIDEO.read_bytes()
    assert "Content-Range" not in put["headers"]
    [video] = fake.videos
    assert remote.id == video["id"] and remote.url == f"https://www.youtube.com/watch?v={remote.id}"
    assert out.dedupe.startswith("cmops-") and len(out.dedupe) == 22
    assert yt.units == 1600


def test_a_post_without_a_title_is_refused_before_anything_is_sent(
        fake: FakeYouTube, tmp_path: Path) -> None:
    yt = adapter(fake, tmp_path)
    with pytest.raises(Rejected, match="needs a title"):
        yt.publish(outgoing(yt, title=""))
    assert fake.requests == []


def test_the_thumbnail_is_set_after_the_upload(fake: FakeYouTube, tmp_path: Path) -> None:
    (tmp_path / "thumb.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    yt = adapter(fake, tmp_path)
    remote = yt.publish(outgoing(yt, thumbnail="thumb.png"))
    assert calls(fake)[-1] == "POST /upload/youtube/v3/thumbnails/set"
    assert fake.requests[-1]["query"] == {"videoId": [remote.id]}
    assert fake.thumbnails[remote.id] == (tmp_path / "thumb.png").read_bytes()
    assert yt.units == youtube_publish_cost({"thumbnail": "thumb.png"}) == 1650


def test_a_thumbnail_that_cannot_be_sent_refuses_the_post_before_the_upload(
        fake: FakeYouTube, tmp_path: Path) -> None:
    (tmp_path / "thumb.gif").write_bytes(b"GIF89a" + bytes(64))
    yt = adapter(fake, tmp_path)
    with pytest.raises(Rejected, match=r"'thumb\.gif' must be a JPEG or PNG"):
        yt.publish(outgoing(yt, thumbnail="thumb.gif"))
    with pytest.raises(Rejected, match=r"cannot read the thumbnail 'none\.jpg'"):
        yt.publish(outgoing(yt, thumbnail="none.jpg"))
    assert fake.requests == []


def test_a_refused_thumbnail_leaves_the_video_published_and_says_so(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "thumb.jpg").write_bytes(b"\xff\xd8\xff" + bytes(64))
    with FakeYouTube(verified=False).running() as fake:
        yt = adapter(fake, tmp_path)
        with caplog.at_level(logging.WARNING):
            remote = yt.publish(outgoing(yt, thumbnail="thumb.jpg"))
        assert [v["id"] for v in fake.videos] == [remote.id]
    assert f"video {remote.id} is published, but its thumbnail thumb.jpg was not set" \
        in caplog.text
    assert fake.token not in caplog.text


def test_a_lost_answer_is_settled_by_the_session_without_a_second_upload(
        fake: FakeYouTube, tmp_path: Path) -> None:
    yt = adapter(fake, tmp_path)
    out = outgoing(yt)
    fake.faults = ["accept-then-drop"]
    with pytest.raises(Transient) as caught:
        yt.publish(out)
    assert caught.value.maybe_sent is True
    remote = yt.reconcile(out, NOW, NOW)
    assert remote is not None and [v["id"] for v in fake.videos] == [remote.id]
    status = fake.requests[-1]
    assert (status["method"], status["body"]) == ("PUT", b"")
    assert status["headers"]["Content-Range"] == f"bytes */{VIDEO.stat().st_size}"


def test_a_broken_upload_resumes_where_the_session_stands(fake: FakeYouTube,
                                                          tmp_path: Path) -> None:
    yt = adapter(fake, tmp_path)
    out = outgoing(yt)
    size = VIDEO.stat().st_size
    fake.faults = ["keep:10000"]
    with pytest.raises(Transient):
        yt.publish(out)
    assert yt.reconcile(out, NOW, NOW) is None  # not complete: sending again is safe
    remote = yt.publish(out)
    assert calls(fake).count("POST /upload/youtube/v3/videos") == 1
    resumed = fake.requests[-1]
    assert resumed["headers"]["Content-Range"] == f"bytes 10000-{size - 1}/{size}"
    assert resumed["body"] == VIDEO.read_bytes()[10000:]
    [video] = fake.videos
    assert video["id"] == remote.id and video["bytes"] == VIDEO.read_bytes()


def test_a_later_run_finds_the_video_by_its_marker_among_the_uploads(
        fake: FakeYouTube, tmp_path: Path) -> None:
    first = adapter(fake, tmp_path)
    out = outgoing(first)
    fake.faults = ["accept-then-drop"]
    with pytest.raises(Transient):
        first.publish(out)
    later = adapter(fake, tmp_path)  # a new run: the session is not known
    before = len(fake.requests)
    remote = later.reconcile(out, datetime.now(UTC), datetime.now(UTC))
    assert remote is not None and remote.id == fake.videos[0]["id"]
    assert calls(fake)[before:] == ["GET /youtube/v3/channels", "GET /youtube/v3/playlistItems",
                                    "GET /youtube/v3/videos"]
    assert later.units == 3


def test_an_upload_not_among_the_latest_goes_to_a_human(fake: FakeYouTube,
                                                        tmp_path: Path) -> None:
    yt = adapter(fake, tmp_path)
    yt.publish(outgoing(yt))  # another post's video
    other = outgoing(yt, title="Another")
    lost = Outgoing(other.key, other.post_id, other.channel, 0, 1, other.text,
                    yt.new_dedupe("q/yt", 0, NOW), media=other.media, options=other.options)
    with pytest.raises(CannotTell, match=f"tag {lost.dedupe}.*cmops resolve p --channel yt"):
        adapter(fake, tmp_path).reconcile(lost, datetime.now(UTC) - timedelta(minutes=1),
                                          datetime.now(UTC))


def test_an_exhausted_quota_waits_for_the_reset(fake: FakeYouTube, tmp_path: Path) -> None:
    yt = adapter(fake, tmp_path)
    fake.faults = ["quota"]
    with pytest.raises(Transient, match="quota used up") as caught:
        yt.publish(outgoing(yt))
    assert caught.value.maybe_sent is False and caught.value.retry_after is not None
    # 08:00 UTC on 24 November is 00:00 in Los Angeles: the next reset is a day later.
    assert _until_reset(datetime(2026, 11, 24, 8, 0, tzinfo=UTC)) == 24 * 3600
    assert _until_reset(datetime(2026, 11, 25, 7, 30, tzinfo=UTC)) == 30 * 60


def test_the_plan_line_counts_against_the_channel_quota() -> None:
    assert quota_line(1650, {}) == "quota: 1,650 of 10,000 units/day"
    assert quota_line(11200, {"daily_quota": 20000}) == "quota: 11,200 of 20,000 units/day"
    assert quota_line(11200, {}) == ("quota: 11,200 of 10,000 units/day (over by 1,200: the "
                                     "rest waits for the next day)")


def test_a_refresh_token_is_exchanged_and_no_token_is_ever_printed(
        fake: FakeYouTube, tmp_path: Path) -> None:
    yt = adapter(fake, tmp_path, refresh=True)
    fake.faults = ["echo"]
    with pytest.raises(Rejected) as caught:
        yt.publish(outgoing(yt))
    assert calls(fake)[0] == "POST /token"
    message = str(caught.value)
    assert "[REDACTED]" in message
    for value in [*fake.oauth.issued, *fake.oauth.client_secrets.values()]:
        assert value not in message
    fake.oauth.revoked.update(fake.oauth.issued)  # the hour is over: 401, refresh, again
    yt.publish(outgoing(yt))
    assert len(fake.oauth.issued) == 2 and len(fake.videos) == 1


def test_statistics_are_read_back_and_shares_are_unavailable(fake: FakeYouTube,
                                                             tmp_path: Path) -> None:
    yt = adapter(fake, tmp_path)
    remote = yt.publish(outgoing(yt))
    fake.videos[0]["statistics"] = {"viewCount": "812", "likeCount": "40",
                                    "commentCount": "3"}
    reader = reader_of(yt)
    assert reader is not None
    assert reader.metrics([remote.id, "gone0000000"]) == {
        remote.id: Counters(likes=40, comments=3, impressions=812), "gone0000000": None}
    assert reader.followers() == 1234
    fake.subscribers = None
    assert reader.followers() is None
    assert reader.inbox(None) == ([], None)
    assert set(reader.unavailable) == {"shares", "followers", "inbox"}
