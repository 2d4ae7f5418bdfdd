"""The Facebook Page adapter against a strict loopback Graph API: feed, photo and video posts
(resumable chunks, processing), Graph error codes (throttling, token), and a lost answer
looked up in the Page's feed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from tests.fakes.graph import FakeGraph
from tests.fakes.loopback import multipart

from cmops.adapters import (
    ADAPTERS,
    CannotTell,
    ChannelContext,
    LinkCard,
    MediaFile,
    NotConfigured,
    Outgoing,
    Rejected,
    Remote,
    Transient,
)
from cmops.adapters.facebook import FacebookAdapter
from cmops.secrets import Redactor


@pytest.fixture
def fake() -> Iterator[FakeGraph]:
    with FakeGraph(account="123456789012345").running() as server:
        yield server


def make(fake: FakeGraph, tmp_path: Path, token: str | None = None) -> FacebookAdapter:
    return FacebookAdapter(ChannelContext(
        "fb", "facebook", {"network": "facebook", "server": fake.url, "account": fake.account},
        {"page_token": token or fake.token}, tmp_path, Redactor(), timeout=5.0))


@pytest.fixture
def adapter(fake: FakeGraph, tmp_path: Path) -> Iterator[FacebookAdapter]:
    a = make(fake, tmp_path)
    yield a
    a.close()


def out(text: str, **kwargs: Any) -> Outgoing:
    return Outgoing("p/fb", "p", "fb", 0, 1, text, "p/fb#0", published_at=datetime.now(UTC),
                    **kwargs)


def form(request: dict[str, Any]) -> dict[str, list[str]]:
    assert request["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    return parse_qs(request["body"].decode())


def test_a_text_post_with_a_link_goes_to_the_feed(adapter: FacebookAdapter,
                                                  fake: FakeGraph) -> None:
    remote = adapter.publish(out("Launch day", link="https://example.com/launch",
                                 card=LinkCard("https://example.com/launch", "Launch")))
    [sent] = fake.requests
    assert (sent["method"], sent["path"]) == ("POST", f"/v23.0/{fake.account}/feed")
    assert form(sent) == {"message": ["Launch day"], "link": ["https://example.com/launch"],
                          "access_token": [fake.token]}
    post = fake.posts[0]["id"]
    assert remote == Remote(post, f"https://www.facebook.com/{post}")
    assert ADAPTERS["facebook"] is FacebookAdapter


def test_one_photo_is_a_published_photo_several_are_attached(adapter: FacebookAdapter,
                                                             fake: FakeGraph,
                                                             tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_bytes(b"\xff\xd8-a")
    (tmp_path / "b.png").write_bytes(b"\x89PNG-b")
    a = MediaFile(tmp_path / "a.jpg", "media/a.jpg", "alt is not sent")
    b = MediaFile(tmp_path / "b.png", "media/b.png", None)
    one = adapter.publish(out("one", media=(a,)))
    assert one.id == fake.posts[0]["id"]
    assert next(iter(fake.photos.values())) == {"bytes": b"\xff\xd8-a", "published": True,
                                             "caption": "one"}
    adapter.publish(out("two", media=(a, b)))
    photos = list(fake.photos)[1:]
    assert [r["path"] for r in fake.requests[1:]] == [
        f"/v23.0/{fake.account}/photos", f"/v23.0/{fake.account}/photos",
        f"/v23.0/{fake.account}/feed"]
    assert form(fake.requests[-1]) == {
        "message": ["two"], "access_token": [fake.token],
        "attached_media[0]": [json.dumps({"media_fbid": photos[0]})],
        "attached_media[1]": [json.dumps({"media_fbid": photos[1]})]}
    assert fake.posts[1]["attached"] == photos


def test_throttling_codes_are_rate_limits_with_the_business_usage_wait(
        adapter: FacebookAdapter, fake: FakeGraph) -> None:
    fake.faults = ["429"]
    with pytest.raises(Transient) as caught:
        adapter.publish(out("hello"))
    assert (caught.value.maybe_sent, caught.value.status, caught.value.retry_after) == (
        False, 429, 60.0)
    assert str(caught.value) == "rate limited: HTTP 400: (#32) Page request limit reached"


def test_a_bad_token_is_a_rejection_without_the_token(fake: FakeGraph, tmp_path: Path) -> None:
    with pytest.raises(Rejected) as caught:
        make(fake, tmp_path, "EAAG-wrong-token-value-0000").publish(out("hello"))
    assert (str(caught.value), caught.value.status) == (
        "HTTP 400: (#190) Invalid OAuth access token - Cannot parse access token", 400)
    adapter = make(fake, tmp_path)
    fake.faults = ["echo"]
    with pytest.raises(Rejected) as echoed:
        adapter.publish(out("hello"))
    assert fake.token not in str(echoed.value) and "[REDACTED]" in str(echoed.value)


def test_a_lost_answer_is_found_in_the_feed(adapter: FacebookAdapter, fake: FakeGraph) -> None:
    sent_at = datetime.now(UTC)
    fake.faults = ["accept-then-drop"]
    with pytest.raises(Transient):
        adapter.publish(out("Launch day"))
    for n in range(120):
        fake._publish(message=f"later {n}")
    found = adapter.reconcile(out("Launch day"), sent_at, datetime.now(UTC))
    assert found == Remote(fake.posts[0]["id"], f"https://www.facebook.com/{fake.posts[0]['id']}")
    reads = [r["query"] for r in fake.requests if r["method"] == "GET"]
    assert [q.get("after") for q in reads] == [None, ["100"]]
    assert reads[0]["fields"] == ["id,message,created_time"]
    with pytest.raises(CannotTell, match="does not show it"):
        adapter.reconcile(out("never sent"), sent_at, datetime.now(UTC))
    fake.read_forbidden = True
    with pytest.raises(CannotTell, match=r"feed cannot be read \(HTTP 403: \(#10\)"):
        adapter.reconcile(out("Launch day"), sent_at, datetime.now(UTC))


def test_threads_and_bad_settings_are_refused(adapter: FacebookAdapter, fake: FakeGraph,
                                              tmp_path: Path) -> None:
    with pytest.raises(Rejected, match="no threads"):
        adapter.publish(out("2/2", reply_to=Remote("1_2")))
    assert fake.requests == []
    with pytest.raises(NotConfigured, match="page_token"):
        FacebookAdapter(ChannelContext("fb", "facebook", {"account": "1"}, {}, tmp_path,
                                       Redactor()))


VIDEO = Path(__file__).parent / "media" / "landscape-2s.mp4"


def test_a_video_goes_up_in_the_chunks_graph_asks_for_and_is_posted_once_ready(
        adapter: FacebookAdapter, fake: FakeGraph) -> None:
    fake.video_chunk, fake.video_polls = 5_000, 2
    naps: list[float] = []
    adapter.sleep = naps.append
    remote = adapter.publish(out("Launch (video)", media=(
        MediaFile(VIDEO, "media/clip.mp4", "alt is not sent"),)))
    [video] = fake.videos
    size = VIDEO.stat().st_size
    assert fake.videos[video]["bytes"] == VIDEO.read_bytes()
    path = f"/v23.0/{fake.account}/videos"
    posts = [r for r in fake.requests if r["method"] == "POST"]
    assert [r["path"] for r in posts] == [path] * 5
    assert form(posts[0]) == {"upload_phase": ["start"], "file_size": [str(size)],
                              "access_token": [fake.token]}
    transfers = [multipart(r["headers"]["Content-Type"], r["body"]) for r in posts[1:4]]
    assert [(t["start_offset"][2], len(t["video_file_chunk"][2])) for t in transfers] == [
        (b"0", 5_000), (b"5000", 5_000), (b"10000", size - 10_000)]
    assert form(posts[4]) == {"upload_phase": ["finish"], "description": ["Launch (video)"],
                              "upload_session_id": [fake.videos[video]["session"]],
                              "access_token": [fake.token]}
    reads = [r for r in fake.requests if r["method"] == "GET"]
    assert [(r["path"], r["query"]["fields"]) for r in reads] == [
        (f"/v23.0/{video}", ["status"])] * 3
    assert naps == [5.0, 5.0]
    assert remote == Remote(video, f"https://www.facebook.com/{fake.account}/videos/{video}")
    assert fake.posts[0]["message"] == "Launch (video)" and fake.posts[0]["video"] == video


def test_a_video_facebook_cannot_process_is_rejected(adapter: FacebookAdapter,
                                                     fake: FakeGraph) -> None:
    fake.video_fails = True
    adapter.sleep = lambda seconds: None
    with pytest.raises(Rejected, match=r"could not process media/clip.mp4 \(Video format is "
                       r"not supported\); not posted"):
        adapter.publish(out("v", media=(MediaFile(VIDEO, "media/clip.mp4", None),)))
    assert fake.posts == []


def test_a_finished_video_still_processing_when_the_run_must_stop_counts_as_sent(
        adapter: FacebookAdapter, fake: FakeGraph) -> None:
    """Unlike an unfinished upload, a finished one is published by Facebook on its own:
    raising Transient(maybe_sent=False) here would upload and post it a second time."""
    fake.video_polls = 100
    adapter.sleep = lambda seconds: None
    remote = adapter.publish(out("v", media=(MediaFile(VIDEO, "media/clip.mp4", None),),
                                 time_left=18.0))
    [video] = fake.videos
    assert remote.id == video and fake.videos[video]["status"] == "processing"
    assert [r["method"] for r in fake.requests].count("GET") == 1


def test_the_fake_refuses_a_wrong_offset_a_short_chunk_and_an_early_finish(
        fake: FakeGraph) -> None:
    fake.video_chunk = 4
    path = f"/v23.0/{fake.account}/videos"
    with httpx.Client(base_url=fake.url) as http:
        start = http.post(path, data={"upload_phase": "start", "file_size": "10",
                                      "access_token": fake.token}).json()
        assert (start["start_offset"], start["end_offset"]) == ("0", "4")
        session = start["upload_session_id"]

        def transfer(offset: str, chunk: bytes) -> httpx.Response:
            return http.post(path, data={"upload_phase": "transfer", "access_token": fake.token,
                                         "upload_session_id": session, "start_offset": offset},
                             files={"video_file_chunk": ("v.mp4", chunk)})

        assert transfer("4", b"0123").json()["error"]["message"] == (
            "(#100) expected 4 bytes at start_offset 0")
        assert transfer("0", b"012").status_code == 400
        assert transfer("0", b"0123").json() == {"start_offset": "4", "end_offset": "8"}
        finish = http.post(path, data={"upload_phase": "finish", "access_token": fake.token,
                                       "upload_session_id": session})
        assert finish.json()["error"]["message"] == "(#100) upload incomplete: 4 of 10 bytes"
