"""Threads: an attempt whose answer was lost is looked up among the account's posts since the
attempt (``GET /{threads-user-id}/threads`` with ``since``, each post's ``timestamp``), never
among older ones; replies, which that list leaves out, go to a human. Against the strict
loopback Graph API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.fakes.graph import FakeGraph

from cmops.adapters import CannotTell, ChannelContext, Outgoing, Remote, Transient
from cmops.adapters.threads import ThreadsAdapter
from cmops.secrets import Redactor

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def fake() -> Iterator[FakeGraph]:
    with FakeGraph().running() as server:
        yield server


def make(fake: FakeGraph, tmp_path: Path) -> ThreadsAdapter:
    return ThreadsAdapter(ChannelContext(
        "th", "threads", {"network": "threads", "server": fake.url, "account": fake.account,
                          "poll_seconds": 0}, {"token": fake.token}, tmp_path, Redactor(),
        timeout=5.0), sleep=lambda s: None)


def out(text: str, part: int = 0, reply_to: Remote | None = None) -> Outgoing:
    return Outgoing(key="p/th", post_id="p", channel="th", part=part, parts=part + 1,
                    text=text, dedupe=f"p/th#{part}", reply_to=reply_to)


def test_a_lost_post_is_found_among_the_posts_since_the_attempt(fake: FakeGraph,
                                                                 tmp_path: Path) -> None:
    fake.faults = ["", "accept-then-drop"]  # the container, then the lost threads_publish
    with pytest.raises(Transient):
        make(fake, tmp_path).publish(out("Bonne semaine !"))
    # the next run: its adapter never saw the container
    found = make(fake, tmp_path).reconcile(out("Bonne semaine !"), NOW, NOW)
    post = fake.posts[0]["id"]
    assert found == Remote(post, f"https://www.threads.net/@cmops/post/T{post}")
    read = fake.requests[-1]
    assert read["path"] == f"/v1.0/{fake.account}/threads"
    assert {k: v for k, v in read["query"].items() if k != "access_token"} == {
        "fields": ["id,text,timestamp,permalink"],
        "since": [str(int((NOW - timedelta(minutes=2)).timestamp()))], "limit": ["100"]}


def test_an_older_post_with_the_same_words_is_not_taken_for_it(fake: FakeGraph,
                                                               tmp_path: Path) -> None:
    fake.clock = lambda: NOW - timedelta(days=7)
    make(fake, tmp_path).publish(out("Bonne semaine !"))  # last week's
    with pytest.raises(CannotTell, match="is not among the account's posts since then"):
        make(fake, tmp_path).reconcile(out("Bonne semaine !"), NOW, NOW)


def test_a_reply_is_left_to_a_human_unless_its_container_says(fake: FakeGraph,
                                                             tmp_path: Path) -> None:
    adapter = make(fake, tmp_path)
    first = adapter.publish(out("1/2"))
    fake.faults = ["", "accept-then-drop"]
    with pytest.raises(Transient):
        adapter.publish(out("2/2", 1, reply_to=first))
    asked = len(fake.requests)
    with pytest.raises(CannotTell, match=f"it answers {first.id}, and the account's post list "
                                         "leaves replies out"):
        make(fake, tmp_path).reconcile(out("2/2", 1, reply_to=first), NOW, NOW)
    assert len(fake.requests) == asked  # nothing to read: the list would not show it
    fake.faults = ["", "503"]  # this run's own container, refused before publishing
    with pytest.raises(Transient):
        adapter.publish(out("3/3", 2, reply_to=first))
    assert adapter.reconcile(out("3/3", 2, reply_to=first), NOW, NOW) is None
