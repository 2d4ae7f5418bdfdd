"""The Threads adapter against the loopback Graph API: text containers, images and videos
from public URLs with their alt text, replies for threads, the link limit, video processing
(waited for, or refused with the container's reason), and reconciliation by container
status."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from tests.fakes.graph import FakeGraph

from cmops.adapters import ADAPTERS, ChannelContext, MediaFile, Outgoing, Rejected, Transient
from cmops.adapters.threads import ThreadsAdapter
from cmops.secrets import Redactor


@pytest.fixture
def fake() -> Iterator[FakeGraph]:
    with FakeGraph().running() as server:
        yield server


@pytest.fixture
def adapter(fake: FakeGraph, tmp_path: Path) -> ThreadsAdapter:
    return ThreadsAdapter(ChannelContext(
        "th", "threads", {"network": "threads", "server": fake.url, "account": fake.account,
                          "media_base_url": fake.public_base, "poll_seconds": 0},
        {"token": fake.token}, tmp_path, Redactor(), timeout=5.0), sleep=lambda s: None)


def out(text: str, part: int = 0, **kwargs: Any) -> Outgoing:
    return Outgoing("p/th", "p", "th", part, 2, text, f"p/th#{part}",
                    published_at=datetime.now(UTC), **kwargs)


def posted(fake: FakeGraph) -> list[dict[str, list[str]]]:
    bodies = [parse_qs(r["body"].decode()) for r in fake.requests
              if r["method"] == "POST" and r["path"].endswith("/threads")]
    for body in bodies:
        body.pop("access_token")
    return bodies


def test_a_thread_is_text_containers_replying_in_turn(adapter: ThreadsAdapter,
                                                      fake: FakeGraph) -> None:
    first = adapter.publish(out("1/2"))
    second = adapter.publish(out("2/2", part=1, reply_to=first, root=first))
    assert posted(fake) == [{"media_type": ["TEXT"], "text": ["1/2"]},
                            {"media_type": ["TEXT"], "text": ["2/2"], "reply_to_id": [first.id]}]
    assert first.url == f"https://www.threads.net/@cmops/post/T{first.id}"
    assert fake.posts[1]["reply_to"] == first.id and second.id == fake.posts[1]["id"]
    assert ADAPTERS["threads"] is ThreadsAdapter


def test_images_come_from_the_public_url_with_alt_text(adapter: ThreadsAdapter,
                                                       fake: FakeGraph) -> None:
    a = MediaFile(Path("a.jpg"), "media/a.jpg", "A red light")
    b = MediaFile(Path("b.jpg"), "media/b.jpg", None)
    adapter.publish(out("pic", media=(a,)))
    adapter.publish(out("two", media=(a, b)))
    bodies = posted(fake)
    assert bodies[0] == {"media_type": ["IMAGE"], "text": ["pic"], "alt_text": ["A red light"],
                         "image_url": ["https://media.example.org/media/a.jpg"]}
    assert bodies[1] == {"media_type": ["IMAGE"], "is_carousel_item": ["true"],
                         "alt_text": ["A red light"],
                         "image_url": ["https://media.example.org/media/a.jpg"]}
    assert bodies[2] == {"media_type": ["IMAGE"], "is_carousel_item": ["true"],
                         "image_url": ["https://media.example.org/media/b.jpg"]}
    assert bodies[3]["media_type"] == ["CAROUSEL"] and len(bodies[3]["children"][0].split(
        ",")) == 2


def test_more_than_five_links_is_the_api_s_refusal(adapter: ThreadsAdapter,
                                                   fake: FakeGraph) -> None:
    text = " ".join(f"https://example.com/{n}" for n in range(6))
    with pytest.raises(Rejected, match="THREADS_API__LINK_LIMIT_EXCEEDED"):
        adapter.publish(out(text))


def test_a_lost_publish_is_found_by_its_text(adapter: ThreadsAdapter, fake: FakeGraph) -> None:
    fake.faults = ["", "accept-then-drop"]
    with pytest.raises(Transient):
        adapter.publish(out("hello"))
    found = adapter.reconcile(out("hello"), datetime.now(UTC), datetime.now(UTC))
    assert found is not None and found.id == fake.posts[0]["id"]


CLIP = Path(__file__).parent / "media" / "vertical-3s.mp4"


def test_a_video_carries_its_alt_text_alone_or_in_a_carousel(adapter: ThreadsAdapter,
                                                              fake: FakeGraph) -> None:
    fake.video_container_polls = 2
    clip = MediaFile(CLIP, "media/clip.mp4", "A spinning test card")
    a = MediaFile(Path("a.jpg"), "media/a.jpg", None)
    adapter.publish(out("watch", media=(clip,)))
    adapter.publish(out("both", media=(a, clip)))
    bodies = posted(fake)
    video = {"media_type": ["VIDEO"], "alt_text": ["A spinning test card"],
             "video_url": ["https://media.example.org/media/clip.mp4"]}
    assert bodies[0] == {**video, "text": ["watch"]}
    assert bodies[2] == {**video, "is_carousel_item": ["true"]}
    assert bodies[3]["media_type"] == ["CAROUSEL"]
    statuses = [r["query"]["fields"][-1] for r in fake.requests if r["method"] == "GET"
                and "fields" in r["query"] and "status" in r["query"]["fields"][-1]]
    assert set(statuses) == {"status,error_message"}
    assert [p["text"] for p in fake.posts] == ["watch", "both"]


def test_a_failed_video_is_refused_with_threads_reason(adapter: ThreadsAdapter,
                                                       fake: FakeGraph) -> None:
    fake.container_error = "INVALID_DURATION"
    with pytest.raises(Rejected, match=r"container ERROR: INVALID_DURATION\)"):
        adapter.publish(out("watch", media=(MediaFile(CLIP, "media/clip.mp4", None),)))
    assert fake.posts == []


def test_reels_and_stories_are_not_threads_and_alt_text_needs_media(
        adapter: ThreadsAdapter, fake: FakeGraph) -> None:
    clip = MediaFile(CLIP, "media/clip.mp4", None)
    with pytest.raises(Rejected, match="Threads has no reels"):
        adapter.publish(out("x", media=(clip,), format="reel"))
    with pytest.raises(Rejected, match="alt_text is for images and videos only"):
        adapter.graph.post(f"/v1.0/{fake.account}/threads",
                           {"media_type": "TEXT", "text": "x", "alt_text": "y"})
    assert fake.containers == {}
