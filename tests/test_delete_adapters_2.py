"""Taking a post down (issue 19, withdrawals) on LinkedIn, Facebook, Threads, Discord and
Telegram, each against its strict loopback fake: the exact delete request, first comments and
thread parts, a repeated delete that finds nothing (deleted already: no error), 5xx and 429 as
Transient, refusals as Rejected (Telegram's 48 hours, Threads' permission, another account's
post), and the token never in a message."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from tests.fakes.discord import FakeDiscord
from tests.fakes.graph import FakeGraph
from tests.fakes.linkedin import FakeLinkedIn
from tests.fakes.telegram import FakeTelegram

from cmops.adapters import ADAPTERS, ChannelContext, MediaFile, Outgoing, Rejected, Remote
from cmops.adapters.base import Deleter, Transient, Withdrawal
from cmops.adapters.discord import DiscordAdapter
from cmops.adapters.facebook import FacebookAdapter
from cmops.adapters.linkedin import LinkedInAdapter
from cmops.adapters.telegram import TelegramAdapter
from cmops.adapters.threads import ThreadsAdapter
from cmops.secrets import Redactor
from cmops.text.limits import NETWORKS

VIDEO = Path(__file__).parent / "media" / "landscape-2s.mp4"


def ctx(network: str, settings: dict[str, object], secrets: dict[str, str],
        tmp_path: Path) -> ChannelContext:
    return ChannelContext("ch", network, {"network": network, **settings}, secrets, tmp_path,
                          Redactor(), timeout=5.0)


def out(text: str, part: int = 0, parts: int = 2, **kwargs: Any) -> Outgoing:
    return Outgoing("p/ch", "p", "ch", part, parts, text, f"p/ch#{part}",
                    published_at=datetime.now(UTC), **kwargs)


def gone(remote: Remote, part: int = 0, published_at: datetime | None = None) -> Withdrawal:
    return Withdrawal("ch", "p", part, remote, published_at)


def test_these_networks_declare_deletes_and_their_adapters_delete() -> None:
    for name in ("linkedin", "facebook", "threads", "discord", "telegram"):
        assert NETWORKS[name].deletes, name
        assert callable(getattr(ADAPTERS[name], "delete", None)), name
    assert not NETWORKS["instagram"].deletes
    assert not hasattr(ADAPTERS["instagram"], "delete")


# -- Discord -------------------------------------------------------------------------------
@pytest.fixture
def discord() -> Iterator[FakeDiscord]:
    with FakeDiscord().running() as server:
        yield server


def test_discord_deletes_the_webhook_message_once_and_again_quietly(
        discord: FakeDiscord, tmp_path: Path) -> None:
    adapter = DiscordAdapter(ctx("discord", {}, {"webhook_url": discord.url}, tmp_path))
    deleter: Deleter = adapter
    remote = adapter.publish(out("Bientôt", parts=1))
    deleter.delete(gone(remote))
    assert discord.messages == [] and [m["id"] for m in discord.deleted] == [remote.id]
    request = discord.requests[-1]
    assert (request["method"], request["path"]) == (
        "DELETE", f"/api/webhooks/{discord.webhook_id}/{discord.token}/messages/{remote.id}")
    adapter.delete(gone(remote))  # 404 Unknown Message: deleted already
    assert len([r for r in discord.requests if r["method"] == "DELETE"]) == 2
    adapter.close()


def test_discord_delete_failures(discord: FakeDiscord, tmp_path: Path) -> None:
    adapter = DiscordAdapter(ctx("discord", {}, {"webhook_url": discord.url}, tmp_path))
    remote = adapter.publish(out("Bientôt", parts=1))
    discord.faults = ["503"]
    with pytest.raises(Transient):
        adapter.delete(gone(remote))
    discord.faults = ["429"]
    with pytest.raises(Transient) as waited:
        adapter.delete(gone(remote))
    assert waited.value.retry_after == 1.25
    discord.faults = ["echo"]
    with pytest.raises(Rejected) as refused:
        adapter.delete(gone(remote))
    assert discord.token not in str(refused.value) and "HTTP 401" in str(refused.value)
    assert [m["id"] for m in discord.messages] == [remote.id]
    wrong = DiscordAdapter(ctx("discord", {}, {"webhook_url": discord.url[:-4] + "XXXX"},
                               tmp_path))
    with pytest.raises(Rejected, match="Invalid Webhook Token"):
        wrong.delete(gone(remote))
    with pytest.raises(Rejected, match="not a Discord message id"):
        adapter.delete(gone(Remote("../../x")))
    assert [m["id"] for m in discord.messages] == [remote.id]
    for a in (adapter, wrong):
        a.close()


# -- Telegram ------------------------------------------------------------------------------
@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram().running() as server:
        yield server


def bot(fake: FakeTelegram, tmp_path: Path) -> TelegramAdapter:
    return TelegramAdapter(ctx("telegram", {"chat_id": "@cmops_news", "server": fake.url},
                               {"token": fake.token}, tmp_path))


def test_telegram_deletes_each_part_within_48_hours(telegram: FakeTelegram,
                                                    tmp_path: Path) -> None:
    adapter = bot(telegram, tmp_path)
    first = adapter.publish(out("Fil 1/2"))
    second = adapter.publish(out("Fil 2/2", 1, reply_to=first, root=first))
    sent = datetime.now(UTC) - timedelta(hours=47)
    for remote, part in ((second, 1), (first, 0)):
        adapter.delete(gone(remote, part, sent))
    deletes = [r for r in telegram.requests if r["method"] == "deleteMessage"]
    assert [r["body"] for r in deletes] == [
        b'{"chat_id":"@cmops_news","message_id":501}',
        b'{"chat_id":"@cmops_news","message_id":500}']
    assert telegram.messages == [] and len(telegram.deleted) == 2
    adapter.delete(gone(first, 0, sent))  # "message to delete not found": deleted already
    adapter.close()


def test_telegram_refuses_past_48_hours_with_the_limit_named(telegram: FakeTelegram,
                                                             tmp_path: Path) -> None:
    adapter = bot(telegram, tmp_path)
    remote = adapter.publish(out("Vieux message", parts=1))
    asked = len(telegram.requests)
    with pytest.raises(Rejected, match=r"only within 48 hours of sending it, and this one "
                                       r"was sent 3 days 1 hours ago: delete message 500"):
        adapter.delete(gone(remote, 0, datetime.now(UTC) - timedelta(hours=73)))
    naive = (datetime.now(UTC) - timedelta(hours=50)).replace(tzinfo=None)
    with pytest.raises(Rejected, match="was sent 2 days 2 hours ago"):
        adapter.delete(gone(remote, 0, naive))
    assert len(telegram.requests) == asked, "nothing asked of Telegram"
    # When the record has no time, Telegram itself refuses (its clock is past 48 hours).
    start = telegram.clock()
    telegram.clock = lambda: start + 48 * 3600 + 60
    with pytest.raises(Rejected, match=r"message can't be deleted.*within 48 hours"):
        adapter.delete(gone(remote))
    assert [m["message_id"] for m in telegram.messages] == [500]
    adapter.close()


def test_telegram_delete_failures_keep_the_token_out(telegram: FakeTelegram,
                                                     tmp_path: Path) -> None:
    adapter = bot(telegram, tmp_path)
    remote = adapter.publish(out("x", parts=1))
    telegram.faults = ["500"]
    with pytest.raises(Transient):
        adapter.delete(gone(remote))
    telegram.faults = ["429"]
    with pytest.raises(Transient) as waited:
        adapter.delete(gone(remote))
    assert waited.value.retry_after == 7
    telegram.faults = ["echo"]
    with pytest.raises(Rejected) as refused:
        adapter.delete(gone(remote))
    assert telegram.token not in str(refused.value) and "cannot handle" in str(refused.value)
    assert [m["message_id"] for m in telegram.messages] == [500]
    adapter.close()


# -- LinkedIn ------------------------------------------------------------------------------
@pytest.fixture
def linkedin() -> Iterator[FakeLinkedIn]:
    with FakeLinkedIn().running() as server:
        yield server


def test_linkedin_deletes_the_first_comment_then_the_post(linkedin: FakeLinkedIn,
                                                         tmp_path: Path) -> None:
    adapter = LinkedInAdapter(ctx("linkedin", {"server": linkedin.url,
                                               "account": linkedin.author},
                                  {"token": linkedin.token}, tmp_path))
    post = adapter.publish(out("Annonce", parts=1))
    note = adapter.publish(out("Sources", 1, parts=1, reply_to=post, root=post, comment=True))
    adapter.delete(gone(note, 1))
    assert linkedin.comments() == []
    adapter.delete(gone(post))
    assert linkedin.posts == [] and [p["id"] for p in linkedin.removed] == [post.id]
    deletes = [r for r in linkedin.requests if r["method"] == "DELETE"]
    comment_id = note.id.rsplit(",", 1)[1].rstrip(")")
    assert [(r["path"], r["raw_query"]) for r in deletes] == [
        (f"/rest/socialActions/{quote(post.id, safe='')}/comments/{comment_id}",
         f"actor={quote(linkedin.author, safe='')}"),
        (f"/rest/posts/{quote(post.id, safe='')}", "")]
    assert all(r["headers"]["LinkedIn-Version"] and
               r["headers"]["Authorization"] == f"Bearer {linkedin.token}" for r in deletes)
    adapter.delete(gone(note, 1))  # the comment: 404, deleted already
    adapter.delete(gone(post))  # the post: 204 again (deletes are idempotent)
    adapter.delete(gone(Remote("urn:li:share:1")))  # never there: 404
    adapter.close()


def test_linkedin_delete_failures(linkedin: FakeLinkedIn, tmp_path: Path) -> None:
    context = ctx("linkedin", {"server": linkedin.url, "account": linkedin.author},
                  {"token": linkedin.token}, tmp_path)
    adapter = LinkedInAdapter(context)
    post = adapter.publish(out("Annonce", parts=1))
    linkedin.delete_faults = ["500"]
    with pytest.raises(Transient):
        adapter.delete(gone(post))
    linkedin.delete_faults = ["429-retry-after"]
    with pytest.raises(Transient) as waited:
        adapter.delete(gone(post))
    assert waited.value.retry_after == 30
    linkedin.delete_faults = ["echo"]
    with pytest.raises(Rejected) as refused:
        adapter.delete(gone(post))
    assert linkedin.token not in str(refused.value) and "HTTP 401" in str(refused.value)
    other = linkedin.add({"author": "urn:li:organization:1", "commentary": "theirs"})
    with pytest.raises(Rejected, match="HTTP 403"):
        adapter.delete(gone(Remote(other["id"])))
    with pytest.raises(Rejected, match="neither a post URN nor a comment"):
        adapter.delete(gone(Remote("urn:li:comment:(urn:li:activity:1,2)")))
    assert [p["id"] for p in linkedin.posts] == [post.id, other["id"]]
    adapter.close()


# -- Facebook ------------------------------------------------------------------------------
@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    with FakeGraph(account="123456789012345").running() as server:
        yield server


def page(fake: FakeGraph, tmp_path: Path) -> FacebookAdapter:
    return FacebookAdapter(ctx("facebook", {"server": fake.url, "account": fake.account},
                               {"page_token": fake.token}, tmp_path))


def test_facebook_deletes_comment_post_and_video(graph: FakeGraph, tmp_path: Path) -> None:
    adapter = page(graph, tmp_path)
    adapter.sleep = lambda s: None
    post = adapter.publish(out("Annonce", parts=1))
    note = adapter.publish(out("Sources", 1, parts=1, reply_to=post, root=post, comment=True))
    video = adapter.publish(out("Clip", parts=1, media=(MediaFile(VIDEO, "media/c.mp4", None),)))
    for item in (gone(note, 1), gone(post), gone(video)):
        adapter.delete(item)
    assert graph.removed == [note.id, post.id, video.id] and graph.posts == []
    deletes = [r for r in graph.requests if r["method"] == "DELETE"]
    assert [(r["path"], r["query"]) for r in deletes] == [
        (f"/v23.0/{i}", {"access_token": [graph.token]}) for i in graph.removed]
    for item in (gone(note, 1), gone(post), gone(video)):
        adapter.delete(item)  # code 100, subcode 33: deleted already
    adapter.close()


def test_facebook_delete_failures(graph: FakeGraph, tmp_path: Path) -> None:
    adapter = page(graph, tmp_path)
    post = adapter.publish(out("Annonce", parts=1))
    graph.delete_faults = ["503"]
    with pytest.raises(Transient):
        adapter.delete(gone(post))
    graph.delete_faults = ["429"]
    with pytest.raises(Transient) as waited:
        adapter.delete(gone(post))
    assert waited.value.retry_after == 60
    graph.delete_faults = ["echo"]
    with pytest.raises(Rejected) as refused:
        adapter.delete(gone(post))
    assert graph.token not in str(refused.value) and "(#100)" in str(refused.value)
    graph.others.add("123456789012345_99")
    with pytest.raises(Rejected, match=r"\(#200\)"):
        adapter.delete(gone(Remote("123456789012345_99")))
    assert [p["id"] for p in graph.posts] == [post.id]
    adapter.close()


# -- Threads -------------------------------------------------------------------------------
def threads(fake: FakeGraph, tmp_path: Path) -> ThreadsAdapter:
    return ThreadsAdapter(ctx("threads", {"server": fake.url, "account": fake.account,
                                          "media_base_url": fake.public_base},
                              {"token": fake.token}, tmp_path), sleep=lambda s: None)


def test_threads_deletes_the_reply_then_the_post(graph: FakeGraph, tmp_path: Path) -> None:
    adapter = threads(graph, tmp_path)
    first = adapter.publish(out("Fil 1/2"))
    second = adapter.publish(out("Fil 2/2", 1, reply_to=first, root=first))
    adapter.delete(gone(second, 1))
    adapter.delete(gone(first))
    assert graph.removed == [second.id, first.id] and graph.posts == []
    deletes = [r for r in graph.requests if r["method"] == "DELETE"]
    assert [r["path"] for r in deletes] == [f"/v1.0/{second.id}", f"/v1.0/{first.id}"]
    adapter.delete(gone(first))  # deleted already
    adapter.close()


def test_threads_without_threads_delete_is_refused_with_the_permission_named(
        graph: FakeGraph, tmp_path: Path) -> None:
    adapter = threads(graph, tmp_path)
    post = adapter.publish(out("Fil", parts=1))
    graph.threads_delete_forbidden = True
    with pytest.raises(Rejected, match=r"\(#10\).*needs the threads_delete permission") as no:
        adapter.delete(gone(post))
    assert graph.token not in str(no.value)
    graph.threads_delete_forbidden = False
    graph.delete_faults = ["500"]
    with pytest.raises(Transient):
        adapter.delete(gone(post))
    assert [p["id"] for p in graph.posts] == [post.id]
    adapter.close()
