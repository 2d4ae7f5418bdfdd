"""The Telegram adapter against a strict loopback Bot API: exact requests, replies as
threads, photos and albums with captions, retry_after from the body, the token kept out of
every message."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.fakes.loopback import multipart
from tests.fakes.telegram import FakeTelegram

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
from cmops.adapters.telegram import TelegramAdapter
from cmops.secrets import Redactor

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram().running() as server:
        yield server


def make(fake: FakeTelegram, tmp_path: Path, *, chat: Any = "@cmops_news",
         token: str | None = None, server: str | None = None) -> TelegramAdapter:
    settings = {"network": "telegram", "chat_id": chat, "server": server or fake.url}
    return TelegramAdapter(ChannelContext("tg", "telegram", settings,
                                          {"token": token or fake.token}, tmp_path, Redactor()))


@pytest.fixture
def adapter(fake: FakeTelegram, tmp_path: Path) -> Iterator[TelegramAdapter]:
    a = make(fake, tmp_path)
    yield a
    a.close()


def out(text: str, part: int = 0, **kwargs: Any) -> Outgoing:
    return Outgoing("p/tg", "p", "tg", part, kwargs.pop("parts", 1), text, f"p/tg#{part}",
                    published_at=NOW, **kwargs)


def test_send_message_exactly(adapter: TelegramAdapter, fake: FakeTelegram) -> None:
    remote = adapter.publish(out("Bonjour à tous 👋 *pas du markdown*",
                                 link="https://example.com/a"))
    (sent,) = fake.requests
    assert sent["path"] == f"/bot{fake.token}/sendMessage"
    assert sent["headers"]["Content-Type"] == "application/json"
    assert json.loads(sent["body"]) == {
        "chat_id": "@cmops_news", "text": "Bonjour à tous 👋 *pas du markdown*",
        "link_preview_options": {"url": "https://example.com/a"}}
    assert remote == Remote("500", "https://t.me/cmops_news/500")


def test_a_thread_is_a_reply_chain(adapter: TelegramAdapter, fake: FakeTelegram) -> None:
    first = adapter.publish(out("1/3", 0, parts=3))
    second = adapter.publish(out("2/3", 1, parts=3, reply_to=first, root=first))
    adapter.publish(out("3/3", 2, parts=3, reply_to=second, root=first))
    bodies = [json.loads(r["body"]) for r in fake.requests]
    assert [b.get("reply_parameters") for b in bodies] == [
        None, {"message_id": 500}, {"message_id": 501}]
    assert [m.get("reply_to_message") for m in fake.messages] == [
        None, {"message_id": 500}, {"message_id": 501}]


def test_numeric_chat_ids_link_through_the_chat_username(fake: FakeTelegram,
                                                         tmp_path: Path) -> None:
    adapter = make(fake, tmp_path, chat=fake.chat_id)
    remote = adapter.publish(out("hello"))
    assert json.loads(fake.requests[0]["body"])["chat_id"] == -1001234567890
    assert remote.url == "https://t.me/cmops_news/500"
    fake.username = ""
    assert make(fake, tmp_path, chat=fake.chat_id).publish(out("private")).url is None


def test_one_photo_with_its_caption(adapter: TelegramAdapter, fake: FakeTelegram,
                                    tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(b"\x89PNG-a")
    first = adapter.publish(out("first"))
    adapter.publish(out("Légende 📷", reply_to=first,
                        media=(MediaFile(tmp_path / "a.png", "media/a.png", "ignored"),)))
    sent = fake.requests[1]
    assert sent["path"] == f"/bot{fake.token}/sendPhoto"
    fields = multipart(sent["headers"]["Content-Type"], sent["body"])
    assert {k: v[2] for k, v in fields.items()} == {
        "chat_id": b"@cmops_news", "reply_parameters": b'{"message_id": 500}',
        "caption": "Légende 📷".encode(), "photo": b"\x89PNG-a"}
    assert fields["photo"][:2] == ("a.png", "image/png")


def test_several_media_make_an_album(adapter: TelegramAdapter, fake: FakeTelegram,
                                     tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(b"\x89PNG-a")
    (tmp_path / "b.mp4").write_bytes(b"\x00mp4")
    remote = adapter.publish(out("Album", media=(
        MediaFile(tmp_path / "a.png", "media/a.png", None),
        MediaFile(tmp_path / "b.mp4", "media/b.mp4", None))))
    sent = fake.requests[0]
    assert sent["path"] == f"/bot{fake.token}/sendMediaGroup"
    fields = multipart(sent["headers"]["Content-Type"], sent["body"])
    assert json.loads(fields["media"][2]) == [
        {"type": "photo", "media": "attach://file0", "caption": "Album"},
        {"type": "video", "media": "attach://file1"}]
    assert (fields["file0"], fields["file1"]) == (("a.png", "image/png", b"\x89PNG-a"),
                                                  ("b.mp4", "video/mp4", b"\x00mp4"))
    assert remote.id == "500"  # the album's first message
    assert len(fake.messages) == 2


@pytest.mark.parametrize(("text", "message"), [
    ("x" * 4097, "HTTP 400: Bad Request: message is too long"),
    (" ", "HTTP 400: Bad Request: message text is empty"),
])
def test_the_bot_api_s_refusals_are_rejections(adapter: TelegramAdapter, text: str,
                                               message: str) -> None:
    with pytest.raises(Rejected) as caught:
        adapter.publish(out(text))
    assert (str(caught.value), caught.value.status) == (message, 400)


def test_a_wrong_chat_is_rejected(fake: FakeTelegram, tmp_path: Path) -> None:
    with pytest.raises(Rejected, match="chat not found"):
        make(fake, tmp_path, chat="@someone_else").publish(out("hello"))


def test_retry_after_comes_from_the_body(adapter: TelegramAdapter, fake: FakeTelegram) -> None:
    fake.faults = ["429"]
    with pytest.raises(Transient) as caught:
        adapter.publish(out("hello"))
    assert (caught.value.retry_after, caught.value.maybe_sent, caught.value.status) == (
        7.0, False, 429)
    assert str(caught.value) == "rate limited: HTTP 429: Too Many Requests: retry after 7"


def test_the_token_never_reaches_an_error(fake: FakeTelegram, tmp_path: Path) -> None:
    adapter = make(fake, tmp_path)
    fake.faults = ["echo"]
    with pytest.raises(Rejected) as caught:
        adapter.publish(out("hello"))
    assert str(caught.value) == "HTTP 400: Bad Request: cannot handle /bot[REDACTED]/sendMessage"
    with pytest.raises(Rejected) as denied:
        make(fake, tmp_path, token="7012345678:wrong-token-value").publish(out("hello"))
    assert (str(denied.value), denied.value.status) == ("HTTP 401: Unauthorized", 401)
    # nothing listens there: the connection error names no URL, and no token
    closed = make(fake, tmp_path, server="http://127.0.0.1:9")
    with pytest.raises(Transient) as refused:
        closed.publish(out("hello"))
    assert refused.value.maybe_sent is False
    assert fake.token not in str(refused.value)


def test_reconcile_hands_the_item_to_a_human(adapter: TelegramAdapter) -> None:
    with pytest.raises(CannotTell, match="the Bot API cannot look up what a bot sent"):
        adapter.reconcile(out("hello"), NOW, NOW)
    assert TelegramAdapter.reconcile_by == "none"


def test_settings_are_required(fake: FakeTelegram, tmp_path: Path) -> None:
    with pytest.raises(NotConfigured, match="chat_id"):
        make(fake, tmp_path, chat=None)
    with pytest.raises(NotConfigured, match="token"):
        TelegramAdapter(ChannelContext("tg", "telegram", {"chat_id": "@a"}, {}, tmp_path,
                                       Redactor()))
    default = TelegramAdapter(ChannelContext("tg", "telegram", {"chat_id": "@a"},
                                             {"token": "1:abcdef"}, tmp_path, Redactor()))
    assert str(default.http.base_url) == "https://api.telegram.org/bot1:abcdef/"
    default.close()
    assert ADAPTERS["telegram"] is TelegramAdapter
