"""The Discord webhook adapter against a strict loopback webhook: exact requests, the jump
link, media with descriptions, no pings, and a lost answer handed to a human."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.fakes.discord import FakeDiscord
from tests.fakes.loopback import multipart

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
from cmops.adapters.discord import DiscordAdapter
from cmops.secrets import Redactor

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
def fake() -> Iterator[FakeDiscord]:
    with FakeDiscord().running() as server:
        yield server


def make(url: str, tmp_path: Path, redactor: Redactor | None = None,
         timeout: float = 5.0) -> DiscordAdapter:
    return DiscordAdapter(ChannelContext("disc", "discord", {"network": "discord"},
                                         {"webhook_url": url}, tmp_path,
                                         redactor or Redactor(), timeout=timeout))


@pytest.fixture
def adapter(fake: FakeDiscord, tmp_path: Path) -> Iterator[DiscordAdapter]:
    a = make(fake.url, tmp_path)
    yield a
    a.close()


def out(text: str, **kwargs: Any) -> Outgoing:
    return Outgoing("p/disc", "p", "disc", 0, 1, text, "p/disc#0", published_at=NOW, **kwargs)


def test_posts_with_wait_and_no_mentions(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    remote = adapter.publish(out("Hello @everyone, c'est parti 🎉"))
    first = fake.requests[0]
    assert (first["method"], first["path"], first["query"]) == (
        "POST", f"/api/webhooks/{fake.webhook_id}/{fake.token}", {"wait": ["true"]})
    assert first["headers"]["Content-Type"] == "application/json"
    assert json.loads(first["body"]) == {"content": "Hello @everyone, c'est parti 🎉",
                                         "allowed_mentions": {"parse": []}}
    message = fake.messages[0]
    assert remote == Remote(message["id"], f"https://discord.com/channels/{fake.guild_id}/"
                                           f"{fake.channel_id}/{message['id']}")
    # the guild comes from the webhook itself, asked once per adapter
    assert [(r["method"], r["path"]) for r in fake.requests[1:]] == [
        ("GET", f"/api/webhooks/{fake.webhook_id}/{fake.token}")]
    adapter.publish(out("again"))
    assert [r["method"] for r in fake.requests] == ["POST", "GET", "POST"]


def test_the_link_goes_in_the_text_which_discord_unfurls(adapter: DiscordAdapter,
                                                         fake: FakeDiscord) -> None:
    # cmops.render puts a post's link in the text for Discord; no bare title-only embed
    adapter.publish(out("At https://example.com/launch", link="https://example.com/launch"))
    (sent,) = [json.loads(r["body"]) for r in fake.requests if r["method"] == "POST"]
    assert sent == {"content": "At https://example.com/launch",
                    "allowed_mentions": {"parse": []}}


def test_images_go_as_files_with_descriptions(adapter: DiscordAdapter, fake: FakeDiscord,
                                              tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(b"\x89PNG-a")
    (tmp_path / "b.jpg").write_bytes(b"\xff\xd8-b")
    adapter.publish(out("pictures", media=(
        MediaFile(tmp_path / "a.png", "media/a.png", "A red light"),
        MediaFile(tmp_path / "b.jpg", "media/b.jpg", None))))
    sent = fake.requests[0]
    fields = multipart(sent["headers"]["Content-Type"], sent["body"])
    assert json.loads(fields["payload_json"][2]) == {
        "content": "pictures", "allowed_mentions": {"parse": []},
        "attachments": [{"id": 0, "filename": "a.png", "description": "A red light"},
                        {"id": 1, "filename": "b.jpg"}]}
    assert fields["files[0]"] == ("a.png", "image/png", b"\x89PNG-a")
    assert fields["files[1]"] == ("b.jpg", "image/jpeg", b"\xff\xd8-b")
    assert [(a["filename"], a["description"]) for a in fake.messages[0]["attachments"]] == [
        ("a.png", "A red light"), ("b.jpg", None)]


def test_threads_are_refused(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    with pytest.raises(Rejected, match="cannot post threads"):
        adapter.publish(out("2/2", reply_to=Remote("1")))
    assert fake.requests == []


def test_over_the_limit_is_the_webhook_s_400(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    with pytest.raises(Rejected) as caught:
        adapter.publish(out("x" * 2001))
    assert (str(caught.value), caught.value.status) == ("HTTP 400: Invalid Form Body", 400)


def test_rate_limit_wait_comes_from_the_body(adapter: DiscordAdapter, fake: FakeDiscord) -> None:
    fake.faults = ["429"]
    with pytest.raises(Transient) as caught:
        adapter.publish(out("hello"))
    assert (caught.value.retry_after, caught.value.maybe_sent, caught.value.status) == (
        1.25, False, 429)
    assert str(caught.value) == "rate limited by Discord (shared): retry after 1.25 s"


def test_a_guild_that_cannot_be_read_leaves_no_url(adapter: DiscordAdapter,
                                                   fake: FakeDiscord) -> None:
    fake.guild_id = ""
    assert adapter.publish(out("hello")).url is None
    assert adapter.publish(out("again")).url is None
    assert [r["method"] for r in fake.requests] == ["POST", "GET", "POST"]  # asked once


def test_the_webhook_token_never_reaches_an_error(fake: FakeDiscord, tmp_path: Path) -> None:
    adapter = make(fake.url, tmp_path)
    fake.faults = ["echo"]
    with pytest.raises(Rejected) as caught:
        adapter.publish(out("hello"))
    assert fake.token not in str(caught.value)
    assert "[REDACTED]" in str(caught.value)
    wrong = make(fake.url.replace(fake.token, "wrong-token-0000"), tmp_path)
    with pytest.raises(Rejected) as denied:
        wrong.publish(out("hello"))
    assert (str(denied.value), denied.value.status) == ("HTTP 401: Invalid Webhook Token", 401)


def test_reconcile_hands_the_item_to_a_human(adapter: DiscordAdapter) -> None:
    with pytest.raises(CannotTell) as caught:
        adapter.reconcile(out("hello"), NOW, NOW)
    assert str(caught.value) == (
        "a Discord message sent at 2026-11-24 09:00Z may have been posted, and a webhook "
        "cannot look up what it sent: check the channel, then run cmops resolve p --channel "
        "disc --as published --url … (or --as retry to send it again)")
    assert DiscordAdapter.reconcile_by == "none"


def test_the_webhook_url_is_required(tmp_path: Path) -> None:
    with pytest.raises(NotConfigured, match="webhook_url"):
        make("https://discord.com/channels/1/2", tmp_path)
    assert ADAPTERS["discord"] is DiscordAdapter
