"""The LinkedIn adapter against a strict loopback Posts API: headers, little-text commentary,
the URN from ``x-restli-id``, images with alt text, a video through the Videos API (parts,
ETags, processing), daily-quota 429s, and a 422 ``DUPLICATE_POST`` reconciled to the URN it
names (or to a human when that URN is a ghost)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from tests.fakes.linkedin import FakeLinkedIn

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
from cmops.adapters.linkedin import LinkedInAdapter
from cmops.secrets import Redactor


@pytest.fixture
def fake() -> Iterator[FakeLinkedIn]:
    with FakeLinkedIn().running() as server:
        yield server


def make(fake: FakeLinkedIn, tmp_path: Path, **settings: Any) -> LinkedInAdapter:
    redactor = Redactor()
    redactor.add(fake.token)
    return LinkedInAdapter(ChannelContext(
        "li", "linkedin", {"network": "linkedin", "server": fake.url, "account": fake.author,
                           **settings}, {"token": fake.token}, tmp_path, redactor, timeout=5.0))


@pytest.fixture
def adapter(fake: FakeLinkedIn, tmp_path: Path) -> Iterator[LinkedInAdapter]:
    a = make(fake, tmp_path)
    yield a
    a.close()


def out(text: str, **kwargs: Any) -> Outgoing:
    return Outgoing("p/li", "p", "li", 0, 1, text, "p/li#0", published_at=datetime.now(UTC),
                    **kwargs)


def test_a_post_is_escaped_little_text_with_the_urn_from_the_header(
        adapter: LinkedInAdapter, fake: FakeLinkedIn) -> None:
    remote = adapter.publish(out("Hello (world) #launch @x 1*2_3~"))
    [sent] = fake.requests
    assert (sent["method"], sent["path"]) == ("POST", "/rest/posts")
    headers = sent["headers"]
    assert (headers["Authorization"], headers["LinkedIn-Version"],
            headers["X-Restli-Protocol-Version"], headers["Content-Type"]) == (
        f"Bearer {fake.token}", "202603", "2.0.0", "application/json")
    assert json.loads(sent["body"]) == {
        "author": fake.author,
        "commentary": "Hello \\(world\\) {hashtag|\\#|launch} \\@x 1\\*2\\_3\\~",
        "visibility": "PUBLIC",
        "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [],
                         "thirdPartyDistributionChannels": []},
        "lifecycleState": "PUBLISHED", "isReshareDisabledByAuthor": False}
    urn = fake.posts[0]["id"]
    assert remote == Remote(urn, f"https://www.linkedin.com/feed/update/{urn}")
    assert ADAPTERS["linkedin"] is LinkedInAdapter


def test_the_version_can_be_pinned_per_channel(fake: FakeLinkedIn, tmp_path: Path) -> None:
    make(fake, tmp_path, version="202607").publish(out("v"))
    assert fake.requests[0]["headers"]["LinkedIn-Version"] == "202607"
    with pytest.raises(NotConfigured, match="YYYYMM"):
        make(fake, tmp_path, version="2026-07")


def test_images_are_initialized_uploaded_and_described(adapter: LinkedInAdapter,
                                                       fake: FakeLinkedIn,
                                                       tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(b"\x89PNG-a")
    (tmp_path / "b.jpg").write_bytes(b"\xff\xd8-b")
    adapter.publish(out("two", media=(MediaFile(tmp_path / "a.png", "media/a.png", "Red"),
                                      MediaFile(tmp_path / "b.jpg", "media/b.jpg", None))))
    images = list(fake.images)
    assert [(r["method"], r["path"]) for r in fake.requests] == [
        ("POST", "/rest/images"), ("PUT", f"/upload/{images[0]}"),
        ("POST", "/rest/images"), ("PUT", f"/upload/{images[1]}"), ("POST", "/rest/posts")]
    assert json.loads(fake.requests[0]["body"]) == {
        "initializeUploadRequest": {"owner": fake.author}}
    assert fake.images == {images[0]: b"\x89PNG-a", images[1]: b"\xff\xd8-b"}
    assert json.loads(fake.requests[4]["body"])["content"] == {"multiImage": {"images": [
        {"id": images[0], "altText": "Red"}, {"id": images[1]}]}}
    adapter.publish(out("one", media=(MediaFile(tmp_path / "a.png", "media/a.png", "Red"),)))
    assert json.loads(fake.requests[-1]["body"])["content"] == {
        "media": {"id": list(fake.images)[2], "altText": "Red"}}


def test_threads_and_a_video_with_images_are_refused_before_sending(
        adapter: LinkedInAdapter, fake: FakeLinkedIn, tmp_path: Path) -> None:
    with pytest.raises(Rejected, match="no threads"):
        adapter.publish(out("2/2", reply_to=Remote("urn:li:share:1")))
    (tmp_path / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n-a")
    with pytest.raises(Rejected, match="images or a video"):
        adapter.publish(out("v", media=(MediaFile(VIDEO, "media/v.mp4", None),
                                        MediaFile(tmp_path / "a.png", "media/a.png", None))))
    assert fake.requests == []


VIDEO = Path(__file__).parent / "media" / "vertical-3s.mp4"
"""3 s: LinkedIn's shortest (landscape-2s.mp4 is under its minimum)."""


def test_a_video_is_uploaded_in_parts_finalized_with_the_etags_and_posted_when_available(
        adapter: LinkedInAdapter, fake: FakeLinkedIn) -> None:
    fake.part_size, fake.video_polls = 10_000, 2
    naps: list[float] = []
    adapter.sleep = naps.append
    remote = adapter.publish(out("Watch (this)", media=(
        MediaFile(VIDEO, "media/v.mp4", None),)))
    [video] = fake.videos
    size = VIDEO.stat().st_size
    assert fake.videos[video]["bytes"] == VIDEO.read_bytes()
    assert json.loads(fake.requests[0]["body"]) == {"initializeUploadRequest": {
        "owner": fake.author, "fileSizeBytes": size, "uploadCaptions": False,
        "uploadThumbnail": False}}
    puts = [r for r in fake.requests if r["method"] == "PUT"]
    assert [r["path"] for r in puts] == [f"/video-upload/{video}/{n}" for n in range(4)]
    assert [len(r["body"]) for r in puts] == [10_000, 10_000, 10_000, size - 30_000]
    etags = [part[0] for _, part in sorted(fake.videos[video]["parts"].items())]
    assert json.loads(fake.requests[5]["body"]) == {"finalizeUploadRequest": {
        "video": video, "uploadToken": fake.videos[video]["token"], "uploadedPartIds": etags}}
    assert [r["path"] for r in fake.requests[6:]] == [
        f"/rest/videos/{quote(video, safe='')}"] * 3 + ["/rest/posts"]
    assert naps == [5.0, 5.0]
    assert json.loads(fake.requests[-1]["body"])["content"] == {"media": {"id": video}}
    assert remote.id == fake.posts[0]["id"]


def test_a_video_linkedin_cannot_process_is_rejected_and_not_posted(
        adapter: LinkedInAdapter, fake: FakeLinkedIn) -> None:
    fake.video_fails = True
    adapter.sleep = lambda seconds: None
    with pytest.raises(Rejected, match=r"could not process media/v.mp4 \(status "
                       r"PROCESSING_FAILED\); not posted"):
        adapter.publish(out("v", media=(MediaFile(VIDEO, "media/v.mp4", None),)))
    assert fake.posts == []


def test_a_video_still_processing_when_the_run_must_stop_is_not_posted(
        adapter: LinkedInAdapter, fake: FakeLinkedIn) -> None:
    fake.video_polls = 100
    adapter.sleep = lambda seconds: None
    with pytest.raises(Transient, match="still not ready") as caught:
        adapter.publish(out("v", media=(MediaFile(VIDEO, "media/v.mp4", None),),
                            time_left=18.0))
    assert caught.value.maybe_sent is False
    assert fake.posts == [] and fake.requests[-1]["method"] == "GET"


def test_the_fake_refuses_a_short_part_a_wrong_etag_and_an_unprocessed_video(
        fake: FakeLinkedIn) -> None:
    import httpx

    headers = {"Authorization": f"Bearer {fake.token}", "LinkedIn-Version": "202603",
               "X-Restli-Protocol-Version": "2.0.0"}
    with httpx.Client(base_url=fake.url, headers=headers) as http:
        value = http.post("/rest/videos", params={"action": "initializeUpload"}, json={
            "initializeUploadRequest": {"owner": fake.author, "fileSizeBytes": 10,
                                        "uploadCaptions": False, "uploadThumbnail": False}}
                          ).json()["value"]
        url = value["uploadInstructions"][0]["uploadUrl"]
        assert http.put(url, content=b"short").status_code == 400
        assert http.put(url, content=b"0123456789").headers["ETag"]
        finalize = {"finalizeUploadRequest": {"video": value["video"], "uploadToken": "",
                                              "uploadedPartIds": ["not-the-etag"]}}
        answer = http.post("/rest/videos", params={"action": "finalizeUpload"}, json=finalize)
        assert (answer.status_code, answer.json()["message"]) == (
            400, "uploadedPartIds do not match the uploaded parts in order")
        post = {"author": fake.author, "commentary": "v", "visibility": "PUBLIC",
                "distribution": {"feedDistribution": "MAIN_FEED"},
                "lifecycleState": "PUBLISHED", "content": {"media": {"id": value["video"]}}}
        answer = http.post("/rest/posts", json=post)
        assert (answer.status_code, answer.json()["message"]) == (
            422, f"{value['video']} is not AVAILABLE")


def test_a_429_without_a_header_waits_for_the_daily_reset(adapter: LinkedInAdapter,
                                                          fake: FakeLinkedIn) -> None:
    fake.faults = ["429"]
    with pytest.raises(Transient) as caught:
        adapter.publish(out("hello"))
    now = datetime.now(UTC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    assert (caught.value.maybe_sent, caught.value.status) == (False, 429)
    assert caught.value.retry_after == pytest.approx((midnight - now).total_seconds(), abs=5)
    assert str(caught.value).startswith("rate limited by LinkedIn (HTTP 429: Resource level")


def test_a_duplicate_is_reconciled_to_the_urn_it_names(adapter: LinkedInAdapter,
                                                       fake: FakeLinkedIn) -> None:
    fake.faults = ["accept-then-drop"]
    with pytest.raises(Transient):
        adapter.publish(out("Launch day"))
    with pytest.raises(Transient) as caught:
        adapter.publish(out("Launch day"))
    urn = fake.posts[0]["id"]
    assert (caught.value.maybe_sent, caught.value.status) == (True, 422)
    assert str(caught.value) == f"LinkedIn says this duplicates {urn}: checking it"
    found = adapter.reconcile(out("Launch day"), datetime.now(UTC), datetime.now(UTC))
    assert found == Remote(urn, f"https://www.linkedin.com/feed/update/{urn}")
    assert fake.requests[-1]["path"] == f"/rest/posts/{urn.replace(':', '%3A')}"
    assert len(fake.posts) == 1


def test_a_ghost_duplicate_goes_to_a_human(adapter: LinkedInAdapter,
                                           fake: FakeLinkedIn) -> None:
    ghost = fake.add({"commentary": "Launch day"})["id"]
    with pytest.raises(Transient):
        adapter.publish(out("Launch day"))
    fake.posts.clear()  # deleted: LinkedIn still calls it a duplicate, and 404s on it
    with pytest.raises(CannotTell, match=rf"duplicate of {ghost}, which does not exist"):
        adapter.reconcile(out("Launch day"), datetime.now(UTC), datetime.now(UTC))


def test_a_lost_answer_is_looked_up_in_the_author_s_posts(adapter: LinkedInAdapter,
                                                          fake: FakeLinkedIn) -> None:
    sent_at = datetime.now(UTC)
    fake.faults = ["accept-then-drop"]
    with pytest.raises(Transient):
        adapter.publish(out("Hello (world)"))
    found = adapter.reconcile(out("Hello (world)"), sent_at, datetime.now(UTC))
    assert found is not None and found.id == fake.posts[0]["id"]
    query = fake.requests[-1]["query"]
    assert query == {"q": ["author"], "author": [fake.author], "sortBy": ["CREATED"],
                     "start": ["0"], "count": ["50"]}
    assert adapter.reconcile(out("never sent"), sent_at, datetime.now(UTC)) is None


def test_a_token_that_cannot_read_cannot_tell(adapter: LinkedInAdapter,
                                              fake: FakeLinkedIn) -> None:
    fake.read_forbidden = True
    with pytest.raises(CannotTell, match="this token cannot read the author's posts"):
        adapter.reconcile(out("hello"), datetime.now(UTC), datetime.now(UTC))


def test_the_token_never_reaches_an_error(adapter: LinkedInAdapter,
                                          fake: FakeLinkedIn) -> None:
    fake.faults = ["echo"]
    with pytest.raises(Rejected) as caught:
        adapter.publish(out("hello"))
    assert fake.token not in str(caught.value)
    assert str(caught.value) == "HTTP 401: Invalid access token Bearer [REDACTED]"


def test_the_author_must_be_a_urn(fake: FakeLinkedIn, tmp_path: Path) -> None:
    with pytest.raises(NotConfigured, match="urn:li:organization"):
        make(fake, tmp_path, account="2414183")
