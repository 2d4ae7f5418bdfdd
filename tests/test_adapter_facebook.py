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


MEDIA = Path(__file__).parent / "media"
REEL = MEDIA / "reel-540x960.mp4"


def reel_out(video: Path = REEL, **kwargs: Any) -> Outgoing:
    return out("Night ride (reel)", media=(MediaFile(video, "media/reel.mp4", None),),
               format="reel", **kwargs)


def test_a_reel_goes_to_the_upload_host_and_is_published_once_processed(
        adapter: FacebookAdapter, fake: FakeGraph) -> None:
    fake.video_polls = 2
    naps: list[float] = []
    adapter.sleep = naps.append
    remote = adapter.publish(reel_out())
    [video] = fake.reels
    edge = f"/v23.0/{fake.account}/video_reels"
    assert [(r["method"], r["path"]) for r in fake.requests] == [
        ("POST", edge), ("POST", f"/video-upload/v23.0/{video}"), ("POST", edge),
        *[("GET", f"/v23.0/{video}")] * 3]
    start, upload, finish = fake.requests[:3]
    assert form(start) == {"upload_phase": ["start"], "access_token": [fake.token]}
    size = REEL.stat().st_size
    assert (upload["headers"]["Authorization"], upload["headers"]["offset"],
            upload["headers"]["file_size"], upload["headers"]["Content-Length"]) == (
        f"OAuth {fake.token}", "0", str(size), str(size))
    assert upload["body"] == REEL.read_bytes() == fake.reels[video]["bytes"]
    assert upload["query"] == {}  # the token goes in the header only
    assert form(finish) == {"upload_phase": ["finish"], "video_id": [video],
                            "video_state": ["PUBLISHED"], "description": ["Night ride (reel)"],
                            "access_token": [fake.token]}
    assert [r["query"]["fields"] for r in fake.requests[3:]] == [["status"]] * 3
    assert naps == [5.0, 5.0]
    assert remote == Remote(video, f"https://www.facebook.com/reel/{video}")
    assert (fake.posts[0]["message"], fake.posts[0]["reel"]) == ("Night ride (reel)", video)
    assert fake.videos == {}  # not the /videos flow


def test_a_reel_facebook_cannot_process_is_rejected_with_its_reason(
        adapter: FacebookAdapter, fake: FakeGraph) -> None:
    fake.video_fails = True
    adapter.sleep = lambda seconds: None
    with pytest.raises(Rejected) as caught:
        adapter.publish(reel_out())
    assert str(caught.value) == ("Facebook could not publish media/reel.mp4 as a reel (Video "
                                 "format is not supported); not posted")
    assert fake.posts == []


def test_a_reel_still_processing_when_the_run_must_stop_counts_as_sent(
        adapter: FacebookAdapter, fake: FakeGraph) -> None:
    fake.video_polls = 100
    adapter.sleep = lambda seconds: None
    remote = adapter.publish(reel_out(time_left=18.0))
    [video] = fake.reels
    assert remote.id == video and fake.reels[video]["state"] == "processing"
    assert [r["method"] for r in fake.requests].count("GET") == 1


@pytest.mark.parametrize(("video", "why"), [
    ("vertical-3s.mp4", "'media/reel.mp4' is 360x640; a Facebook reel is at least 540x960"),
    ("landscape-2s.mp4", "'media/reel.mp4' lasts 2.0 s; a Facebook reel lasts 3 to 90 s; "
     "'media/reel.mp4' is 320x180 (aspect 1.78); a Facebook reel is 9:16 (0.56), like "
     "540x960"),
    ("square-60fps-1s.mp4", "'media/reel.mp4' lasts 1.0 s; a Facebook reel lasts 3 to 90 s; "
     "'media/reel.mp4' is 64x64 (aspect 1.00); a Facebook reel is 9:16 (0.56), like 540x960"),
])
def test_a_video_outside_the_reel_specifications_is_refused_before_sending(
        adapter: FacebookAdapter, fake: FakeGraph, video: str, why: str) -> None:
    with pytest.raises(Rejected) as caught:
        adapter.publish(reel_out(MEDIA / video))
    assert str(caught.value) == f"not sent: {why}"
    assert fake.requests == []


def test_a_reel_is_one_video_and_a_story_is_not_for_facebook(
        adapter: FacebookAdapter, fake: FakeGraph, tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_bytes(b"\xff\xd8-a")
    image = MediaFile(tmp_path / "a.jpg", "media/a.jpg", None)
    with pytest.raises(Rejected, match="a Facebook reel is one video; fb has 1 media, not "
                       "one video"):
        adapter.publish(out("r", media=(image,), format="reel"))
    with pytest.raises(Rejected, match="takes no story: format: story is for Instagram"):
        adapter.publish(out("s", media=(image,), format="story"))
    assert fake.requests == []


def test_the_page_token_goes_to_no_upload_host_but_facebook_s(
        adapter: FacebookAdapter, fake: FakeGraph) -> None:
    adapter.upload_server = "https://rupload.facebook.com"  # the fake answers its own URL
    with pytest.raises(Rejected, match=r"upload address outside https://rupload.facebook.com "
                       r"\(http://127.0.0.1:\d+/video-upload/v23.0/\d+\): the Page token is "
                       "not sent there; not posted"):
        adapter.publish(reel_out())
    assert [r["path"] for r in fake.requests] == [f"/v23.0/{fake.account}/video_reels"]


def test_a_refused_upload_is_rejected_and_nothing_before_finish_is_maybe_sent(
        adapter: FacebookAdapter, fake: FakeGraph) -> None:
    fake.faults = ["", "status:413"]  # start goes through; the upload host refuses the bytes
    with pytest.raises(Rejected) as refused:
        adapter.publish(reel_out())
    assert (str(refused.value), refused.value.status) == (
        "HTTP 413: upload refused: ParameterValidationError: injected status:413", 413)
    fake.faults = ["", "503"]
    with pytest.raises(Transient) as failed:
        adapter.publish(reel_out())
    # An unfinished reel is never published: the next run uploads it again.
    assert (failed.value.maybe_sent, failed.value.status) == (False, 503)
    fake.faults = ["503"]
    with pytest.raises(Transient) as lost:
        adapter.publish(reel_out())
    assert lost.value.maybe_sent is False
    assert fake.posts == [] and all(r["state"] == "uploading" for r in fake.reels.values())


def test_the_fake_upload_host_holds_meta_s_contract(fake: FakeGraph) -> None:
    edge = f"/v23.0/{fake.account}/video_reels"
    with httpx.Client(base_url=fake.url) as http:
        start = http.post(edge, data={"upload_phase": "start", "access_token": fake.token})
        video = start.json()["video_id"]
        assert start.json()["upload_url"] == f"{fake.url}/video-upload/v23.0/{video}"

        def upload(body: bytes, **headers: str) -> httpx.Response:
            return http.post(f"/video-upload/v23.0/{video}", content=body, headers={
                "Authorization": f"OAuth {fake.token}", "offset": "0", "file_size": "10",
                **headers})

        def finish() -> httpx.Response:
            return http.post(edge, data={"upload_phase": "finish", "video_id": video,
                                         "video_state": "PUBLISHED", "description": "d",
                                         "access_token": fake.token})

        assert finish().json()["error"]["message"] == (
            "(#100) the video's upload is not complete: 0 of unknown bytes")
        assert upload(b"0123456789", Authorization="OAuth nope").status_code == 401
        assert upload(b"0123456789", offset="4").json()["debug_info"]["message"] == (
            "expected the bytes from offset 0 to file_size 10")
        assert upload(b"01234").status_code == 400
        assert upload(b"0123456789", file_size="ten").status_code == 400
        status = http.get(f"/v23.0/{video}", params={"fields": "status",
                                                     "access_token": fake.token}).json()
        assert status["status"]["uploading_phase"] == {"status": "in_progress",
                                                       "bytes_transferred": 0}
        assert upload(b"0123456789").json() == {"success": True}
        assert http.post(edge, data={"upload_phase": "finish", "video_id": video,
                                     "video_state": "LIVE", "access_token": fake.token}
                         ).status_code == 400
        assert finish().json() == {"success": True}
        assert upload(b"0123456789").status_code == 400  # finished: no more bytes
        status = http.get(f"/v23.0/{video}", params={"fields": "status",
                                                     "access_token": fake.token}).json()
        assert status["status"]["publishing_phase"] == {"status": "complete",
                                                        "publish_status": "published"}


def _reel_calendar(root: Path, video: Path, variants: str) -> None:
    (root / "calendar/media").mkdir(parents=True, exist_ok=True)
    (root / "calendar/media/ride.mp4").write_bytes(video.read_bytes())
    (root / "calendar/channels.yaml").write_text(
        "timezone: UTC\nchannels:\n  fb:\n    network: facebook\n    account: '1234'\n"
        "    secrets: {page_token: FB_TOKEN}\n", "utf-8")
    (root / "calendar/posts/r.yaml").write_text(
        "id: r\nstatus: ready\nchannels: [fb]\npublish_at: 2026-11-24T08:59\n"
        "text: Night ride\nmedia:\n  - path: calendar/media/ride.mp4\n    alt: Lights\n"
        f"{variants}", "utf-8")


def test_validation_refuses_a_landscape_video_as_a_facebook_reel_at_its_path(
        repo: Path) -> None:
    from cmops.validate import load_calendar

    _reel_calendar(repo, MEDIA / "landscape-2s.mp4", "variants:\n  facebook:\n    format: reel\n")
    _, report = load_calendar(repo, use_cache=False)
    found = [(p.file, p.line, p.path, p.message) for p in report.problems
             if p.rule == "variant.format"]
    where = ("calendar/posts/r.yaml", 7, "media[0].path")
    assert found == [
        (*where, "'calendar/media/ride.mp4' lasts 2.0 s; a Facebook reel lasts 3 to 90 s"),
        (*where, "'calendar/media/ride.mp4' is 320x180 (aspect 1.78); a Facebook reel is 9:16 "
                 "(0.56), like 540x960")]
    assert not report.ok


def test_validation_takes_a_reel_within_the_specifications_and_no_story_on_facebook(
        repo: Path) -> None:
    from cmops.render import render
    from cmops.validate import load_calendar

    _reel_calendar(repo, REEL, "variants:\n  fb:\n    format: reel\n")
    calendar, report = load_calendar(repo, use_cache=False)
    assert [p.message for p in report.problems if p.file.endswith("r.yaml")] == []
    post = next(p for p in calendar.posts if p.id == "r")
    assert render(post, "fb", calendar).format == "reel"
    _reel_calendar(repo, REEL, "variants:\n  fb:\n    format: story\n")
    _, report = load_calendar(repo, use_cache=False)
    [story] = [p for p in report.problems if p.rule == "variant.format"]
    assert (story.line, story.path, story.message) == (
        11, "variants.fb.format", "fb (facebook) takes no story: format: story is for "
        "Instagram channels only")


def test_a_reel_whose_finish_answer_was_lost_is_looked_up_in_the_feed(
        adapter: FacebookAdapter, fake: FakeGraph) -> None:
    sent_at = datetime.now(UTC)
    fake.faults = ["", "", "accept-then-drop"]  # start, upload, then finish's answer is lost
    with pytest.raises(Transient) as lost:
        adapter.publish(reel_out())
    assert lost.value.maybe_sent is True
    [video] = fake.reels
    assert fake.reels[video]["state"] == "processing"
    with pytest.raises(CannotTell, match="does not show it"):  # not published yet
        adapter.reconcile(reel_out(), sent_at, datetime.now(UTC))
    adapter.graph.get(f"/v23.0/{video}", {"fields": "status"})  # Facebook publishes it
    found = adapter.reconcile(reel_out(), sent_at, datetime.now(UTC))
    assert found is not None and found.id == fake.posts[0]["id"]
    assert fake.posts[0]["reel"] == video
