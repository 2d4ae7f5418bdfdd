"""Answering a message given by its URL (issue 19, replies through review: a post's
``reply_to:``) on Mastodon and Telegram, each against its strict loopback fake: the reply
lands under the right message (the fake checks the parent), a URL of a message gone or
unknown is refused naming it, thread parts and a first comment still follow the reply, and
no secret in any message. Discord webhooks cannot answer a message: it declares no replies."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.telegram import FakeTelegram

from cmops.adapters import ChannelContext, Outgoing, Rejected, Remote, Transient
from cmops.adapters.mastodon import MastodonAdapter
from cmops.adapters.telegram import TelegramAdapter
from cmops.secrets import Redactor
from cmops.text.limits import NETWORKS

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
MASTODON_TOKEN = "masto-token-canary-31a7"


def ctx(name: str, network: str, settings: dict[str, Any], secrets: dict[str, str],
        root: Path) -> ChannelContext:
    redactor = Redactor()
    for value in secrets.values():
        redactor.add(value)
    return ChannelContext(name, network, {"network": network, **settings}, secrets, root,
                          redactor, timeout=5.0)


def part(adapter: Any, text: str, index: int = 0, parts: int = 1, *,
         reply_url: str | None = None, reply_to: Remote | None = None,
         root: Remote | None = None, comment: bool = False) -> Outgoing:
    key = "answer/ch"
    return Outgoing(key, "answer", "ch", index, parts, text,
                    adapter.new_dedupe(key, index, NOW), published_at=NOW,
                    reply_url=reply_url, reply_to=reply_to, root=root, comment=comment)


def test_replies_are_declared_where_the_adapter_answers_a_url() -> None:
    assert NETWORKS["mastodon"].replies and NETWORKS["telegram"].replies
    assert not NETWORKS["discord"].replies  # a webhook cannot answer a message


# -- Mastodon ------------------------------------------------------------------------------
@pytest.fixture
def masto() -> Iterator[FakeMastodon]:
    with FakeMastodon(token=MASTODON_TOKEN).running() as server:
        server.scopes |= {"read:search"}
        yield server


@pytest.fixture
def mastodon(masto: FakeMastodon, tmp_path: Path) -> Iterator[MastodonAdapter]:
    adapter = MastodonAdapter(ctx("ch", "mastodon", {"server": masto.url},
                                  {"token": MASTODON_TOKEN}, tmp_path))
    yield adapter
    adapter.close()


def _created(masto: FakeMastodon) -> list[dict[str, Any]]:
    return [json.loads(r["body"]) for r in masto.requests if r["path"] == "/api/v1/statuses"]


def _searches(masto: FakeMastodon) -> list[str]:
    return [r for r in masto.reads if r.startswith("/api/v2/search")]


def local_url(masto: FakeMastodon, status: dict[str, Any]) -> str:
    """The address a status of this server has as a community manager copies it (https; the
    loopback fake itself speaks http on a port, which the reply URL does not carry)."""
    return f"https://127.0.0.1/@{status['acct']}/{status['id']}"


def test_mastodon_answers_a_status_of_its_own_server_by_the_id_in_its_url(
        masto: FakeMastodon, mastodon: MastodonAdapter) -> None:
    theirs = masto.foreign("@brand une question ?")
    url = local_url(masto, theirs)
    answer = mastodon.publish(part(mastodon, "@lea Voici la réponse", reply_url=url))
    assert masto.statuses[0]["id"] == answer.id
    assert masto.statuses[0]["in_reply_to_id"] == theirs["id"]
    assert _created(masto)[0]["in_reply_to_id"] == theirs["id"]
    assert _searches(masto) == []  # the id was in the URL: no look-up


def test_mastodon_answers_a_remote_status_found_through_search(
        masto: FakeMastodon, mastodon: MastodonAdapter) -> None:
    url = "https://piaille.fr/@zoe/113900000000000001"
    theirs = masto.foreign("@brand@fake.test bonjour", user="zoe", remote=url)
    first = mastodon.publish(part(mastodon, "@zoe@piaille.fr Bonjour !", 0, 2,
                                  reply_url=url))
    second = mastodon.publish(part(mastodon, "Et la suite.", 1, 2, reply_to=first,
                                   root=first))
    assert [s["in_reply_to_id"] for s in masto.statuses] == [theirs["id"], first.id]
    assert second.id == masto.statuses[1]["id"]
    (search,) = _searches(masto)
    assert "resolve=true" in search and "type=statuses" in search
    assert search.startswith("/api/v2/search?q=https%3A%2F%2Fpiaille.fr%2F%40zoe%2F1139")


def test_mastodon_first_comment_answers_the_reply_itself(
        masto: FakeMastodon, mastodon: MastodonAdapter) -> None:
    theirs = masto.foreign("Une question")
    reply = mastodon.publish(part(mastodon, "La réponse", reply_url=local_url(masto, theirs)))
    comment = mastodon.publish(part(mastodon, "Le lien", 1, 1, reply_to=reply, root=reply,
                                    comment=True))
    assert masto.statuses[1]["id"] == comment.id
    assert masto.statuses[1]["in_reply_to_id"] == reply.id


def test_mastodon_refuses_a_url_of_a_status_gone_or_unknown(
        masto: FakeMastodon, mastodon: MastodonAdapter) -> None:
    theirs = masto.foreign("Supprimé ensuite")
    url = local_url(masto, theirs)
    masto.forget(theirs)
    with pytest.raises(Rejected) as gone:
        mastodon.publish(part(mastodon, "Trop tard", reply_url=url))
    assert (gone.value.status, str(gone.value)) == (
        404, f"cannot answer {url}: HTTP 404: The post you are trying to reply to does not "
        "appear to exist. (deleted, or not visible to this account)")
    unknown = "https://elsewhere.example/@nobody/42"
    with pytest.raises(Rejected) as missing:
        mastodon.publish(part(mastodon, "Personne", reply_url=unknown))
    assert str(missing.value) == (
        f"cannot answer {unknown}: {masto.url} finds no such status (deleted, private, or "
        "its server unreachable)")
    assert masto.statuses == []


def test_mastodon_reply_lookup_without_the_search_scope_says_so(
        masto: FakeMastodon, mastodon: MastodonAdapter) -> None:
    url = "https://piaille.fr/@zoe/1"
    masto.foreign("Bonjour", user="zoe", remote=url)
    masto.scopes -= {"read:search"}
    with pytest.raises(Rejected) as caught:
        mastodon.publish(part(mastodon, "Réponse", reply_url=url))
    assert (caught.value.status, str(caught.value)) == (
        403, f"cannot answer {url}: looking it up failed: HTTP 403: This action is outside "
        "the authorized scopes: the token needs the read:search scope")
    assert masto.statuses == []


def test_mastodon_reply_failures_keep_no_secret_and_a_5xx_is_transient(
        masto: FakeMastodon, mastodon: MastodonAdapter) -> None:
    url = "https://piaille.fr/@zoe/1"
    masto.foreign("Bonjour", user="zoe", remote=url)
    masto.faults = ["401-echo"]
    theirs = masto.foreign("Ici")
    with pytest.raises(Rejected) as caught:
        mastodon.publish(part(mastodon, "Réponse", reply_url=local_url(masto, theirs)))
    assert "Authorization" in str(caught.value) and MASTODON_TOKEN not in str(caught.value)
    masto.faults = ["503"]
    with pytest.raises(Transient):
        mastodon.publish(part(mastodon, "Réponse", reply_url=url))
    remote = mastodon.publish(part(mastodon, "Réponse", reply_url=url))
    assert masto.statuses[-1]["id"] == remote.id


def test_mastodon_reconciles_a_lost_reply_by_its_parent(
        masto: FakeMastodon, mastodon: MastodonAdapter) -> None:
    """An answer lost after the server created the reply: the look-up adopts the status
    answering the URL's status, not a second one."""
    url = "https://piaille.fr/@zoe/7"
    theirs = masto.foreign("Bonjour", user="zoe", remote=url)
    out = part(mastodon, "Bonjour Zoé", reply_url=url)
    masto.faults = ["accept-then-drop"]
    with pytest.raises(Transient):
        mastodon.publish(out)
    fresh = MastodonAdapter(ctx("ch", "mastodon", {"server": masto.url},
                                {"token": MASTODON_TOKEN}, Path(".")))
    now = datetime.now(UTC)  # the fake stamps created_at by the real clock
    found = fresh.reconcile(out, now, now)
    assert found is not None and found.id == masto.statuses[0]["id"]
    assert masto.statuses[0]["in_reply_to_id"] == theirs["id"] and len(masto.statuses) == 1
    fresh.close()


# -- Telegram ------------------------------------------------------------------------------
@pytest.fixture
def tg() -> Iterator[FakeTelegram]:
    with FakeTelegram().running() as server:
        yield server


def make_telegram(tg: FakeTelegram, root: Path, chat: str | int = "@cmops_news"
                  ) -> TelegramAdapter:
    return TelegramAdapter(ctx("ch", "telegram", {"chat_id": chat, "server": tg.url},
                               {"token": tg.token}, root))


def _tg_sent(tg: FakeTelegram) -> list[tuple[str, dict[str, Any]]]:
    return [(r["method"], json.loads(r["body"])) for r in tg.requests
            if r["method"] in ("sendMessage", "getChat")]


@pytest.mark.parametrize("chat", ["@cmops_news", -1001234567890], ids=["username", "numeric"])
def test_telegram_answers_a_message_of_its_own_channel(tg: FakeTelegram, tmp_path: Path,
                                                       chat: str | int) -> None:
    adapter = make_telegram(tg, tmp_path, chat)
    theirs = tg.foreign("Une question d'un admin")
    url = f"https://t.me/CMOPS_news/{theirs['message_id']}"  # usernames ignore case
    first = adapter.publish(part(adapter, "La réponse", 0, 2, reply_url=url))
    adapter.publish(part(adapter, "Et la suite", 1, 2, reply_to=first, root=first))
    assert tg.messages[1]["reply_to_message"] == {"message_id": theirs["message_id"]}
    assert tg.messages[2]["reply_to_message"] == {"message_id": int(first.id)}
    sent = _tg_sent(tg)
    assert sent[-2][1]["reply_parameters"] == {"message_id": theirs["message_id"]}
    # A numeric chat id says no username: getChat is asked, once.
    assert [m for m, _ in sent].count("getChat") == (1 if isinstance(chat, int) else 0)
    adapter.close()


def test_telegram_refuses_a_message_of_another_chat(tg: FakeTelegram, tmp_path: Path) -> None:
    adapter = make_telegram(tg, tmp_path)
    url = "https://t.me/durov/42"
    with pytest.raises(Rejected) as caught:
        adapter.publish(part(adapter, "Réponse", reply_url=url))
    assert str(caught.value) == (
        f"cannot answer {url}: it is in t.me/durov, and this channel posts to "
        "t.me/cmops_news; a bot answers only messages of its own chat")
    assert tg.messages == [] and _tg_sent(tg) == []
    adapter.close()


def test_telegram_refuses_a_message_gone(tg: FakeTelegram, tmp_path: Path) -> None:
    adapter = make_telegram(tg, tmp_path)
    url = "https://t.me/cmops_news/999"
    with pytest.raises(Rejected) as caught:
        adapter.publish(part(adapter, "Réponse", reply_url=url))
    assert (caught.value.status, str(caught.value)) == (
        400, f"cannot answer {url}: HTTP 400: Bad Request: message to be replied not found "
        "(deleted?)")
    assert tg.messages == []
    adapter.close()


def test_telegram_reply_failures_keep_no_secret(tg: FakeTelegram, tmp_path: Path) -> None:
    adapter = make_telegram(tg, tmp_path)
    theirs = tg.foreign("Question")
    url = f"https://t.me/cmops_news/{theirs['message_id']}"
    tg.faults = ["echo", "429"]
    with pytest.raises(Rejected) as echoed:
        adapter.publish(part(adapter, "Réponse", reply_url=url))
    assert "sendMessage" in str(echoed.value) and tg.token not in str(echoed.value)
    with pytest.raises(Transient) as limited:
        adapter.publish(part(adapter, "Réponse", reply_url=url))
    assert limited.value.retry_after == 7.0
    adapter.close()
