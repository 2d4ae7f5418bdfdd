"""The Instagram adapter against the loopback Graph API: the container flow with public image
URLs, carousels, the publishing quota, and a lost answer settled by the container's status;
reels, stories and video carousel items, waited for within the run's time left (issue 18)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from PIL import Image
from tests.fakes.graph import FakeGraph

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
from cmops.adapters.instagram import InstagramAdapter
from cmops.secrets import Redactor

A = MediaFile(Path("a.jpg"), "media/a b.jpg", "A red light")
B = MediaFile(Path("b.jpg"), "media/b.jpg", None)
CLIP = Path(__file__).parent / "media" / "vertical-3s.mp4"
V = MediaFile(CLIP, "media/clip.mp4", "A spinning test card")


@pytest.fixture
def fake() -> Iterator[FakeGraph]:
    with FakeGraph().running() as server:
        yield server


def make(fake: FakeGraph, tmp_path: Path, **settings: Any) -> InstagramAdapter:
    waits: list[float] = []
    adapter = InstagramAdapter(ChannelContext(
        "ig", "instagram", {"network": "instagram", "server": fake.url, "account": fake.account,
                            "media_base_url": fake.public_base, **settings},
        {"token": fake.token}, tmp_path, Redactor(), timeout=5.0), sleep=waits.append)
    adapter.waits = waits  # type: ignore[attr-defined]
    return adapter


def out(text: str, **kwargs: Any) -> Outgoing:
    return Outgoing("p/ig", "p", "ig", 0, 1, text, "p/ig#0", published_at=datetime.now(UTC),
                    **kwargs)


def calls(fake: FakeGraph) -> list[tuple[str, str, dict[str, list[str]]]]:
    found = []
    for r in fake.requests:
        params = dict(r["query"])
        if r["method"] == "POST":
            params.update(parse_qs(r["body"].decode()))
        params.pop("access_token")
        found.append((r["method"], r["path"], params))
    return found


def test_one_image_is_created_polled_published_and_linked(fake: FakeGraph,
                                                          tmp_path: Path) -> None:
    fake.polls = 2
    adapter = make(fake, tmp_path)
    remote = adapter.publish(out("Launch #day", media=(A,)))
    [container] = fake.containers
    media = fake.posts[0]["id"]
    ig = f"/v23.0/{fake.account}"
    assert calls(fake) == [
        ("GET", f"{ig}/content_publishing_limit", {"fields": ["quota_usage,config"]}),
        ("POST", f"{ig}/media", {"image_url": ["https://media.example.org/media/a%20b.jpg"],
                                 "alt_text": ["A red light"], "caption": ["Launch #day"]}),
        ("GET", f"/v23.0/{container}", {"fields": ["status_code,status"]}),
        ("GET", f"/v23.0/{container}", {"fields": ["status_code,status"]}),
        ("GET", f"/v23.0/{container}", {"fields": ["status_code,status"]}),
        ("POST", f"{ig}/media_publish", {"creation_id": [container]}),
        ("GET", f"/v23.0/{media}", {"fields": ["permalink"]})]
    assert adapter.waits == [3.0, 3.0]  # type: ignore[attr-defined]
    assert remote == Remote(media, f"https://www.instagram.com/p/C{media}/")
    assert ADAPTERS["instagram"] is InstagramAdapter


def test_several_images_are_a_carousel(fake: FakeGraph, tmp_path: Path) -> None:
    make(fake, tmp_path).publish(out("two", media=(A, B)))
    items = [c for c, v in fake.containers.items() if v.get("item")]
    posts = [c for c in calls(fake) if c[0] == "POST"]
    assert posts[2] == ("POST", f"/v23.0/{fake.account}/media", {
        "media_type": ["CAROUSEL"], "caption": ["two"], "children": [",".join(items)]})
    assert fake.posts[0]["caption"] == "two"


def test_text_alone_threads_and_missing_urls_are_refused(fake: FakeGraph,
                                                         tmp_path: Path) -> None:
    adapter = make(fake, tmp_path)
    with pytest.raises(Rejected, match="cannot publish a post without an image"):
        adapter.publish(out("just words"))
    with pytest.raises(NotConfigured, match="media_base_url"):
        make(fake, tmp_path, media_base_url=None).publish(out("x", media=(A,)))
    with pytest.raises(Rejected, match="could not be fetched"):
        make(fake, tmp_path, media_base_url="https://private.example.org/").publish(
            out("x", media=(A,)))
    assert fake.posts == []


def test_a_used_up_quota_waits_without_creating_anything(fake: FakeGraph,
                                                         tmp_path: Path) -> None:
    fake.quota_used = 50
    with pytest.raises(Transient) as caught:
        make(fake, tmp_path).publish(out("x", media=(A,)))
    assert (caught.value.maybe_sent, caught.value.status) == (False, 429)
    assert fake.containers == {}


def test_a_lost_publish_is_settled_by_the_container(fake: FakeGraph, tmp_path: Path) -> None:
    adapter = make(fake, tmp_path)
    fake.faults = ["", "500"]  # the container is made; media_publish fails
    with pytest.raises(Transient):
        adapter.publish(out("Launch", media=(A,)))
    assert adapter.reconcile(out("Launch", media=(A,)), datetime.now(UTC),
                             datetime.now(UTC)) is None  # FINISHED, never published
    fake.faults = ["", "accept-then-drop"]
    with pytest.raises(Transient):
        adapter.publish(out("Launch", media=(A,)))
    found = adapter.reconcile(out("Launch", media=(A,)), datetime.now(UTC), datetime.now(UTC))
    assert found is not None and found.id == fake.posts[0]["id"]
    with pytest.raises(CannotTell, match="cannot be found"):
        make(fake, tmp_path).reconcile(out("other"), datetime.now(UTC), datetime.now(UTC))


def test_an_older_post_with_the_same_caption_is_never_adopted(fake: FakeGraph,
                                                              tmp_path: Path) -> None:
    """A weekly caption ("Bonne semaine !") posted last week must not stand for today's lost
    attempt: only a post made since the attempt is adopted (IG Media ``timestamp``)."""
    attempt = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    fake.clock = lambda: attempt - timedelta(days=7)
    adapter = make(fake, tmp_path)
    adapter.publish(out("Bonne semaine !", media=(A,)))
    fresh = make(fake, tmp_path)  # a later run: no container of its own to ask
    with pytest.raises(CannotTell, match="cannot be found"):
        fresh.reconcile(out("Bonne semaine !", media=(A,)), attempt, attempt)
    fake.clock = lambda: attempt + timedelta(seconds=5)
    adapter.publish(out("Bonne semaine !", media=(A,)))
    found = fresh.reconcile(out("Bonne semaine !", media=(A,)), attempt,
                            attempt + timedelta(minutes=1))
    assert found is not None and found.id == fake.posts[-1]["id"]


def test_a_single_video_is_a_reel_with_its_cover_and_feed_choice(fake: FakeGraph,
                                                                  tmp_path: Path) -> None:
    fake.video_container_polls = 3
    adapter = make(fake, tmp_path)
    clip = MediaFile(CLIP, "media/clip.mp4", "not sent", cover="media/cover one.jpg",
                     thumb_offset=1500)
    adapter.publish(out("Reel", media=(clip,), share_to_feed=False))
    created = [c[2] for c in calls(fake) if c[0] == "POST" and c[1].endswith("/media")]
    assert created == [{"media_type": ["REELS"],
                        "video_url": ["https://media.example.org/media/clip.mp4"],
                        "caption": ["Reel"], "share_to_feed": ["false"],
                        "cover_url": ["https://media.example.org/media/cover%20one.jpg"],
                        "thumb_offset": ["1500"]}]  # no alt_text: reels take none
    assert adapter.waits == [20.0, 20.0, 20.0]  # type: ignore[attr-defined]
    assert fake.posts[0]["caption"] == "Reel"


def test_a_story_is_one_image_or_video_without_caption(fake: FakeGraph,
                                                       tmp_path: Path) -> None:
    adapter = make(fake, tmp_path)
    adapter.publish(out("never shown", media=(A,), format="story"))
    adapter.publish(out("never shown", media=(V,), format="story"))
    created = [c[2] for c in calls(fake) if c[0] == "POST" and c[1].endswith("/media")]
    assert created == [
        {"media_type": ["STORIES"], "image_url": ["https://media.example.org/media/a%20b.jpg"]},
        {"media_type": ["STORIES"], "video_url": ["https://media.example.org/media/clip.mp4"]}]
    assert len(fake.posts) == 2
    with pytest.raises(Rejected, match="an Instagram story is one image or video, not 2"):
        adapter.publish(out("x", media=(A, B), format="story"))
    with pytest.raises(Rejected, match=r"an Instagram reel is a video: 'media/a b\.jpg'"):
        adapter.publish(out("x", media=(A,), format="reel"))
    assert len(fake.posts) == 2


def test_a_carousel_takes_video_items_once_processed(fake: FakeGraph, tmp_path: Path) -> None:
    fake.video_container_polls = 1
    adapter = make(fake, tmp_path)
    adapter.publish(out("mixed", media=(A, V)))
    posts = [(c[1], c[2]) for c in calls(fake) if c[0] == "POST"]
    image, video = (c for c, v in fake.containers.items() if v.get("item"))
    ig = f"/v23.0/{fake.account}"
    assert posts == [
        (f"{ig}/media", {"image_url": ["https://media.example.org/media/a%20b.jpg"],
                         "alt_text": ["A red light"], "is_carousel_item": ["true"]}),
        (f"{ig}/media", {"media_type": ["VIDEO"], "is_carousel_item": ["true"],
                         "video_url": ["https://media.example.org/media/clip.mp4"]}),
        (f"{ig}/media", {"media_type": ["CAROUSEL"], "caption": ["mixed"],
                         "children": [f"{image},{video}"]}),
        (f"{ig}/media_publish", {"creation_id": [max(fake.containers)]})]
    assert fake.containers[video]["status"] == "FINISHED"
    assert adapter.waits == [20.0]  # type: ignore[attr-defined]


def test_a_failed_video_is_refused_with_the_container_s_reason(fake: FakeGraph,
                                                               tmp_path: Path) -> None:
    fake.container_error = "2207026"
    with pytest.raises(Rejected, match=r"container ERROR: 2207026\)"):
        make(fake, tmp_path).publish(out("Reel", media=(V,)))
    assert fake.posts == []


def test_slow_processing_stops_within_the_run_s_time_left(fake: FakeGraph,
                                                          tmp_path: Path) -> None:
    fake.video_container_polls = 1000
    adapter = make(fake, tmp_path)
    with pytest.raises(Transient, match="still not ready after 60 s") as caught:
        adapter.publish(out("Reel", media=(V,), time_left=75.0))  # 15 s kept back
    assert caught.value.maybe_sent is False
    assert adapter.waits == [20.0, 20.0, 20.0]  # type: ignore[attr-defined]
    assert fake.posts == []
    assert adapter.reconcile(out("Reel", media=(V,)), datetime.now(UTC),
                             datetime.now(UTC)) is None  # still IN_PROGRESS: safe to redo
    patient = make(fake, tmp_path)
    with pytest.raises(Transient, match="still not ready after 300 s"):
        patient.publish(out("Reel", media=(V,)))  # no run budget: the 5 minutes of the docs
    assert patient.waits == [20.0] * 15  # type: ignore[attr-defined]


def test_the_fake_refuses_what_instagram_refuses(fake: FakeGraph, tmp_path: Path) -> None:
    graph, ig = make(fake, tmp_path).graph, f"/v23.0/{fake.account}/media"
    url = "https://media.example.org/media/clip.mp4"
    refused = [({"media_type": "REELS", "video_url": url, "alt_text": "x"}, "alt_text"),
               ({"image_url": url, "cover_url": url}, "cover_url is only for REELS"),
               ({"image_url": url, "share_to_feed": "true"}, "share_to_feed is only"),
               ({"media_type": "VIDEO", "video_url": url}, "VIDEO is for carousel items"),
               ({"media_type": "REELS"}, "could not be fetched"),
               ({"media_type": "REELS", "video_url": url, "thumb_offset": "-1"},
                "thumb_offset must be milliseconds"),
               ({"media_type": "STORIES", "image_url": url, "caption": "x"}, "no caption"),
               ({"media_type": "STORIES", "image_url": url, "video_url": url}, "no caption"),
               ({"media_type": "IGTV", "video_url": url}, "'IGTV' is not valid")]
    for fields, message in refused:
        with pytest.raises(Rejected, match=message):
            graph.post(ig, fields)
    fake.video_container_polls = 5
    reel = graph.post(ig, {"media_type": "REELS", "video_url": url})["id"]
    with pytest.raises(Rejected, match=r"\(#9007\) Media ID is not available"):
        graph.post(f"{ig}_publish", {"creation_id": reel})


# -- the YAML side: format, share_to_feed, cover, thumb_offset -----------------------------

def _calendar(root: Path, variants: str, media: str = "calendar/media/clip.mp4",
              server: str = "") -> None:
    (root / "calendar/media").mkdir(parents=True, exist_ok=True)
    (root / "calendar/media/clip.mp4").write_bytes(CLIP.read_bytes())
    cover = io.BytesIO()
    Image.new("RGB", (90, 160), (200, 40, 40)).save(cover, "JPEG")
    (root / "calendar/media/cover.jpg").write_bytes(cover.getvalue())
    (root / "calendar/channels.yaml").write_text(
        "timezone: UTC\nchannels:\n  news:\n    network: outbox\n"
        f"  ig:\n    network: instagram\n{server}"
        "    account: '17841400000000000'\n    media_base_url: https://media.example.org/\n"
        "    secrets: {token: IG_TOKEN}\n"
        "  th:\n    network: threads\n    account: '12345678901234567'\n"
        "    media_base_url: https://media.example.org/\n    secrets: {token: TH_TOKEN}\n",
        "utf-8")
    (root / "calendar/posts/r.yaml").write_text(
        "id: r\nstatus: ready\nchannels: [ig, th]\npublish_at: 2026-11-24T08:59\n"
        f"text: Behind the scenes\nmedia:\n  - path: {media}\n    alt: A test card\n"
        f"    cover: calendar/media/cover.jpg\n    thumb_offset: 1500\n{variants}", "utf-8")


def test_a_reel_variant_reaches_the_adapter_and_the_plan(repo: Path) -> None:
    from cmops.render import render
    from cmops.validate import load_calendar

    _calendar(repo, "variants:\n  instagram:\n    format: reel\n    share_to_feed: false\n")
    calendar, report = load_calendar(repo, use_cache=False)
    assert [p.message for p in report.problems if p.file.endswith("r.yaml")] == []
    post = next(p for p in calendar.posts if p.id == "r")
    ig, th = render(post, "ig", calendar), render(post, "th", calendar)
    assert (ig.format, ig.share_to_feed, th.format) == ("reel", False, "feed")
    media = ig.parts[0].media[0]
    assert (media.cover, media.thumb_offset) == ("calendar/media/cover.jpg", 1500)
    from cmops.cli.common import measurer
    from cmops.plan import build_plan
    from cmops.planview import PlanView, as_markdown, as_text

    plan = build_plan(calendar, datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    items = [i for i in plan.items if i.post.id == "r"]
    view = PlanView(plan, calendar, items, None, None, measurer=measurer())
    lines = [line.split() for line in as_text(view).splitlines() if " ig " in line
             or " th " in line]
    assert [line[1:3] for line in lines] == [["ig", "reel;"], ["th", "1"]]
    assert as_markdown(view).count("As a reel:\n\n```text\nBehind the scenes\n```") == 1


def test_a_reel_on_threads_is_an_error_naming_file_line_and_field(repo: Path) -> None:
    from cmops.validate import load_calendar

    _calendar(repo, "variants:\n  threads:\n    format: reel\n")
    _, report = load_calendar(repo, use_cache=False)
    [problem] = [p for p in report.problems if p.rule == "variant.format"]
    assert (problem.file, problem.line, problem.path) == ("calendar/posts/r.yaml", 13,
                                                          "variants.threads.format")
    assert problem.message == "th (threads) takes no reel: format: reel is for Instagram " \
        "and Facebook channels only"
    assert not report.ok


def test_a_story_s_text_is_a_warning_and_a_bad_offset_a_schema_error(repo: Path) -> None:
    from cmops.validate import load_calendar

    _calendar(repo, "variants:\n  ig:\n    format: story\n")
    _, report = load_calendar(repo, use_cache=False)
    [story] = [p for p in report.problems if p.rule == "variant.format"]
    assert (story.path, story.message) == (
        "variants.ig.format", "an Instagram story shows no text: the text for ig is not sent")
    assert report.ok, [p.message for p in report.problems]  # a warning
    (repo / "calendar/posts/r.yaml").write_text(
        (repo / "calendar/posts/r.yaml").read_text("utf-8").replace("1500", "-5"), "utf-8")
    _, report = load_calendar(repo, use_cache=False)
    assert [(p.path, p.line) for p in report.problems if p.file.endswith("r.yaml")
            and p.rule.startswith("schema")] == [("media[0].thumb_offset", 10)]


def test_publish_sends_the_reel_with_its_cover_and_feed_choice(repo: Path,
                                                               fake: FakeGraph) -> None:
    from cmops.publish import Options, Publisher, adapter_factory
    from cmops.stores.local import LocalStore
    from cmops.validate import load_calendar

    _calendar(repo, "channels: [ig]\nvariants:\n  ig:\n    format: reel\n"
              "    share_to_feed: true\n", server=f"    server: {fake.url}\n")
    (repo / "calendar/posts/r.yaml").write_text((repo / "calendar/posts/r.yaml").read_text(
        "utf-8").replace("channels: [ig, th]\n", ""), "utf-8")
    calendar, report = load_calendar(repo, use_cache=False)
    assert report.ok, [p.message for p in report.problems]
    store = LocalStore(repo / ".cmops/state")
    factory = adapter_factory(repo, calendar, Redactor(), {"IG_TOKEN": fake.token})
    try:
        Publisher(repo, calendar, store, factory,
                  Options(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))).run()
    finally:
        store.close()
        factory.close()
    [created] = [c[2] for c in calls(fake) if c[0] == "POST" and c[1].endswith("/media")]
    assert created == {
        "media_type": ["REELS"], "caption": ["Behind the scenes"], "share_to_feed": ["true"],
        "video_url": ["https://media.example.org/calendar/media/clip.mp4"],
        "cover_url": ["https://media.example.org/calendar/media/cover.jpg"],
        "thumb_offset": ["1500"]}
    assert [p["caption"] for p in fake.posts] == ["Behind the scenes"]
