"""The Instagram adapter against the loopback Graph API: the container flow with public image
URLs, carousels, the publishing quota, and a lost answer settled by the container's status."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
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
        ("GET", f"/v23.0/{container}", {"fields": ["status_code"]}),
        ("GET", f"/v23.0/{container}", {"fields": ["status_code"]}),
        ("GET", f"/v23.0/{container}", {"fields": ["status_code"]}),
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
