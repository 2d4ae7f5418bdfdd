"""Editing a published message (issue 19, edits) on Mastodon, Telegram and Discord, each
against its strict loopback fake: the exact edit request, a first comment, a media message
keeping its media (and, on Mastodon, its content warning and language), the same edit twice,
a deleted message refused, 5xx, timeouts and 429 as Transient, the text read back, and no
secret in any message."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.fakes.discord import FakeDiscord
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.telegram import FakeTelegram

from cmops.adapters import ADAPTERS, ChannelContext, Outgoing, Rejected, Remote, Transient
from cmops.adapters.base import Edit, Editor, MediaFile, Withdrawal
from cmops.adapters.discord import DiscordAdapter
from cmops.adapters.mastodon import MastodonAdapter
from cmops.adapters.telegram import TelegramAdapter
from cmops.secrets import Redactor
from cmops.text.limits import NETWORKS

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
MASTODON_TOKEN = "masto-token-canary-31a7"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


def ctx(name: str, network: str, settings: dict[str, Any], secrets: dict[str, str],
        root: Path, timeout: float = 5.0) -> ChannelContext:
    """A channel's context as the publisher builds it: every resolved secret already known to
    the redactor (cmops.secrets.resolve adds them)."""
    redactor = Redactor()
    for value in secrets.values():
        redactor.add(value)
    return ChannelContext(name, network, {"network": network, **settings}, secrets, root,
                          redactor, timeout=timeout)


def part(adapter: Any, text: str, index: int = 0, parts: int = 1,
         reply_to: Remote | None = None, root: Remote | None = None,
         media: tuple[MediaFile, ...] = (), comment: bool = False) -> Outgoing:
    key = "launch/ch"
    return Outgoing(key, "launch", "ch", index, parts, text,
                    adapter.new_dedupe(key, index, NOW), published_at=NOW, media=media,
                    reply_to=reply_to, root=root, comment=comment)


def images(root: Path, *names: str) -> tuple[MediaFile, ...]:
    for name in names:
        (root / name).write_bytes(PNG)
    return tuple(MediaFile(root / n, f"media/{n}", f"alt of {n}") for n in names)


def change(remote: Remote, text: str, index: int = 0, *, media: bool = False,
           comment: bool = False) -> Edit:
    return Edit("ch", "launch", index, remote, text, has_media=media, comment=comment,
                published_at=NOW)


@pytest.mark.parametrize("name", ["mastodon", "telegram", "discord"])
def test_these_networks_declare_edits_and_their_adapters_edit(name: str) -> None:
    assert NETWORKS[name].edits, name
    assert callable(getattr(ADAPTERS[name], "edit", None)), name
    assert callable(getattr(ADAPTERS[name], "live_text", None)), name


# -- Mastodon ------------------------------------------------------------------------------
@pytest.fixture
def masto() -> Iterator[FakeMastodon]:
    with FakeMastodon(token=MASTODON_TOKEN).running() as server:
        yield server


@pytest.fixture
def mastodon(masto: FakeMastodon, tmp_path: Path) -> Iterator[MastodonAdapter]:
    adapter = MastodonAdapter(ctx("ch", "mastodon", {"server": masto.url},
                                  {"token": MASTODON_TOKEN}, tmp_path))
    yield adapter
    adapter.close()


def _puts(masto: FakeMastodon) -> list[tuple[str, dict[str, Any]]]:
    return [(r["path"], json.loads(r["body"])) for r in masto.requests
            if r["path"].startswith("/api/v1/statuses/") and r["body"]]


def test_mastodon_edits_a_status_and_reads_it_back(masto: FakeMastodon,
                                                   mastodon: MastodonAdapter) -> None:
    editor: Editor = mastodon
    remote = mastodon.publish(part(mastodon, "Lancement jeudi"))
    editor.edit(change(remote, "Lancement vendredi"))
    assert masto.edits == [(remote.id, "Lancement vendredi")]
    assert _puts(masto) == [(f"/api/v1/statuses/{remote.id}", {
        "status": "Lancement vendredi", "media_ids": [], "spoiler_text": "",
        "sensitive": False})]
    assert editor.live_text(change(remote, "Lancement vendredi")) == "Lancement vendredi"
    assert masto.reads[-1] == f"/api/v1/statuses/{remote.id}/source"


def test_mastodon_edit_keeps_media_content_warning_and_language(
        masto: FakeMastodon, mastodon: MastodonAdapter, tmp_path: Path) -> None:
    out = part(mastodon, "Deux photos", media=images(tmp_path, "a.png", "b.png"))
    remote = mastodon.publish(replace(out, lang="fr"))
    attached = list(masto.statuses[0]["media_ids"])
    assert len(attached) == 2
    # A content warning added by hand on the web, after publishing.
    masto.statuses[0].update(spoiler_text="Spoiler du film", sensitive=True)
    mastodon.edit(change(remote, "Deux photos, corrigé", media=True))
    status = masto.statuses[0]
    assert (status["content"], status["media_ids"], status["spoiler_text"],
            status["sensitive"], status["language"]) == (
        "Deux photos, corrigé", attached, "Spoiler du film", True, "fr")
    assert _puts(masto)[-1][1] == {
        "status": "Deux photos, corrigé", "media_ids": attached,
        "spoiler_text": "Spoiler du film", "sensitive": True, "language": "fr"}


def test_the_fake_drops_what_an_edit_leaves_out_as_mastodon_does(
        masto: FakeMastodon, mastodon: MastodonAdapter, tmp_path: Path) -> None:
    """Why the adapter sends everything back: a bare PUT loses the media and the warning."""
    remote = mastodon.publish(part(mastodon, "Photo", media=images(tmp_path, "a.png")))
    masto.statuses[0].update(spoiler_text="CW", sensitive=True)
    answer = mastodon.http.put(f"/api/v1/statuses/{remote.id}", json={"status": "Photo!"})
    assert answer.status_code == 200
    assert (masto.statuses[0]["media_ids"], masto.statuses[0]["spoiler_text"],
            masto.statuses[0]["sensitive"]) == ([], "", False)


def test_mastodon_edits_a_first_comment_like_any_status(masto: FakeMastodon,
                                                        mastodon: MastodonAdapter) -> None:
    first = mastodon.publish(part(mastodon, "Le lancement", 0, 1))
    comment = mastodon.publish(part(mastodon, "Le lien : https://example.org/a", 1, 1,
                                    reply_to=first, root=first, comment=True))
    mastodon.edit(change(comment, "Le lien : https://example.org/b", 1, comment=True))
    assert masto.edits == [(comment.id, "Le lien : https://example.org/b")]
    assert masto.statuses[1]["in_reply_to_id"] == first.id
    assert masto.statuses[0]["content"] == "Le lancement"


def test_mastodon_same_edit_twice_is_fine(masto: FakeMastodon,
                                          mastodon: MastodonAdapter) -> None:
    remote = mastodon.publish(part(mastodon, "Avant"))
    mastodon.edit(change(remote, "Après"))
    mastodon.edit(change(remote, "Après"))  # a retry after a crash: nothing changes
    assert masto.edits == [(remote.id, "Après")] and len(_puts(masto)) == 2


def test_mastodon_edit_of_a_deleted_or_foreign_status_is_refused(
        masto: FakeMastodon, mastodon: MastodonAdapter) -> None:
    remote = mastodon.publish(part(mastodon, "Bientôt supprimé"))
    masto.statuses.clear()
    with pytest.raises(Rejected) as caught:
        mastodon.edit(change(remote, "Trop tard"))
    assert (caught.value.status, str(caught.value)) == (
        404, f"reading status {remote.id}: HTTP 404: Record not found: it was deleted, or "
        "is not this account's")
    theirs = masto.foreign("Pas à nous")
    with pytest.raises(Rejected) as foreign:
        mastodon.live_text(change(Remote(theirs["id"]), "x"))
    assert foreign.value.status == 404 and masto.edits == []


def test_mastodon_edit_refused_by_the_server_names_the_status(
        masto: FakeMastodon, mastodon: MastodonAdapter) -> None:
    remote = mastodon.publish(part(mastodon, "Encore là"))
    masto.max_chars = 20  # lowered after the adapter read the instance's limit (500)
    with pytest.raises(Rejected) as caught:
        mastodon.edit(change(remote, "Un texte bien trop long pour l'instance"))
    assert (caught.value.status, str(caught.value)) == (
        422, f"editing status {remote.id}: HTTP 422: Validation failed: Text character limit "
        "of 20 exceeded")
    masto.scopes = {"read:statuses", "profile"}
    with pytest.raises(Rejected) as scope:
        mastodon.edit(change(remote, "Court"))
    assert (scope.value.status, str(scope.value)) == (
        403, f"editing status {remote.id}: HTTP 403: This action is outside the authorized "
        "scopes: the token needs the write:statuses scope")
    assert masto.edits == []


@pytest.mark.parametrize(("fault", "status", "retry"),
                         [("503", 503, None), ("429", 429, 5.0), ("drop", None, None)])
def test_mastodon_edit_failures_are_transient(masto: FakeMastodon, mastodon: MastodonAdapter,
                                              fault: str, status: int | None,
                                              retry: float | None) -> None:
    remote = mastodon.publish(part(mastodon, "Encore là"))
    masto.edit_faults = [fault]
    with pytest.raises(Transient) as caught:
        mastodon.edit(change(remote, "Corrigé"))
    assert (caught.value.status, caught.value.retry_after) == (status, retry)
    assert masto.edits == []
    mastodon.edit(change(remote, "Corrigé"))  # the next run's try
    assert masto.edits == [(remote.id, "Corrigé")]


def test_mastodon_edit_timeout_is_transient(masto: FakeMastodon, tmp_path: Path) -> None:
    adapter = MastodonAdapter(ctx("ch", "mastodon", {"server": masto.url},
                                  {"token": MASTODON_TOKEN}, tmp_path, timeout=0.5))
    remote = adapter.publish(part(adapter, "Encore là"))
    masto.edit_faults = ["slow:1.5"]
    with pytest.raises(Transient) as caught:
        adapter.edit(change(remote, "Corrigé"))
    assert str(caught.value) == "timed out: ReadTimeout" and caught.value.maybe_sent
    adapter.close()


def test_mastodon_token_never_in_an_edit_message(masto: FakeMastodon,
                                                 mastodon: MastodonAdapter) -> None:
    remote = mastodon.publish(part(mastodon, "Encore là"))
    masto.edit_faults = ["401-echo"]
    with pytest.raises(Rejected) as caught:
        mastodon.edit(change(remote, "Corrigé"))
    assert "Authorization" in str(caught.value) and caught.value.status == 401
    assert MASTODON_TOKEN not in str(caught.value)


def _descriptions(masto: FakeMastodon, status: int = 0) -> list[str | None]:
    return [masto.media[m]["description"] for m in masto.statuses[status]["media_ids"]]


def test_mastodon_alt_only_edit_changes_the_description_and_keeps_the_rest(
        masto: FakeMastodon, mastodon: MastodonAdapter, tmp_path: Path) -> None:
    out = part(mastodon, "Deux photos", media=images(tmp_path, "a.png", "b.png"))
    remote = mastodon.publish(replace(out, lang="fr"))
    attached = list(masto.statuses[0]["media_ids"])
    masto.statuses[0].update(spoiler_text="CW", sensitive=True)  # added by hand
    mastodon.edit(replace(change(remote, "Deux photos", media=True),
                          alts=("La salle comble", "alt of b.png")))
    assert _puts(masto)[-1][1] == {
        "status": "Deux photos", "media_ids": attached, "spoiler_text": "CW",
        "sensitive": True, "language": "fr",
        "media_attributes": [{"id": attached[0], "description": "La salle comble"},
                             {"id": attached[1], "description": "alt of b.png"}]}
    status = masto.statuses[0]
    assert (status["content"], status["media_ids"], status["spoiler_text"],
            status["sensitive"], status["language"]) == ("Deux photos", attached, "CW", True,
                                                         "fr")
    assert _descriptions(masto) == ["La salle comble", "alt of b.png"]
    # A new version although the text is the same: the description changed.
    assert masto.described == [(attached[0], "La salle comble")]
    assert masto.edits == [(remote.id, "Deux photos")]
    assert status["edited_at"] is not None


def test_mastodon_text_and_alt_edit_and_its_repeat(
        masto: FakeMastodon, mastodon: MastodonAdapter, tmp_path: Path) -> None:
    remote = mastodon.publish(part(mastodon, "Photo", media=images(tmp_path, "a.png")))
    edit = replace(change(remote, "Photo corrigée", media=True), alts=("Alt corrigée",))
    mastodon.edit(edit)
    mastodon.edit(edit)  # a retry after a crash: nothing changes the second time
    assert masto.statuses[0]["content"] == "Photo corrigée"
    assert _descriptions(masto) == ["Alt corrigée"]
    assert masto.edits == [(remote.id, "Photo corrigée")] and len(_puts(masto)) == 2
    assert masto.described == [(masto.statuses[0]["media_ids"][0], "Alt corrigée")]


def test_mastodon_alt_of_none_clears_the_description_as_a_post_without_alt_has_none(
        masto: FakeMastodon, mastodon: MastodonAdapter, tmp_path: Path) -> None:
    remote = mastodon.publish(part(mastodon, "Photo", media=images(tmp_path, "a.png")))
    mastodon.edit(replace(change(remote, "Photo", media=True), alts=(None,)))
    assert _puts(masto)[-1][1]["media_attributes"] == [
        {"id": masto.statuses[0]["media_ids"][0], "description": None}]
    assert _descriptions(masto) == [None]


def test_mastodon_alt_count_mismatch_is_refused_before_sending(
        masto: FakeMastodon, mastodon: MastodonAdapter, tmp_path: Path) -> None:
    out = part(mastodon, "Deux photos", media=images(tmp_path, "a.png", "b.png"))
    remote = mastodon.publish(out)
    with pytest.raises(Rejected) as caught:
        mastodon.edit(replace(change(remote, "Deux photos !", media=True),
                              alts=("Une seule alt",)))
    assert str(caught.value) == (
        f"status {remote.id} has 2 attachments on the server and the post 1: media added "
        "or removed by hand? Not edited (the alt texts would land on the wrong media): edit "
        "it by hand")
    assert _puts(masto) == [] and masto.edits == []
    assert _descriptions(masto) == ["alt of a.png", "alt of b.png"]


def test_mastodon_edit_without_alts_leaves_the_descriptions(
        masto: FakeMastodon, mastodon: MastodonAdapter, tmp_path: Path) -> None:
    remote = mastodon.publish(part(mastodon, "Deux photos",
                                   media=images(tmp_path, "a.png", "b.png")))
    mastodon.edit(change(remote, "Deux photos, corrigé", media=True))
    assert "media_attributes" not in _puts(masto)[-1][1]
    assert _descriptions(masto) == ["alt of a.png", "alt of b.png"]
    assert masto.described == [] and masto.edits == [(remote.id, "Deux photos, corrigé")]


def test_the_fake_applies_media_attributes_only_to_the_status_own_media(
        masto: FakeMastodon, mastodon: MastodonAdapter, tmp_path: Path) -> None:
    """As UpdateStatusService: another status's media id is skipped (no error, no change), a
    description over 1,500 characters is a 422 that applies nothing."""
    mine = mastodon.publish(part(mastodon, "A", media=images(tmp_path, "a.png")))
    mastodon.publish(part(mastodon, "B", 1, 2, media=images(tmp_path, "b.png")))
    own, other = masto.statuses[0]["media_ids"][0], masto.statuses[1]["media_ids"][0]
    path = f"/api/v1/statuses/{mine.id}"
    answer = mastodon.http.put(path, json={
        "status": "A", "media_ids": [own],
        "media_attributes": [{"id": other, "description": "Pas la sienne"}]})
    assert answer.status_code == 200
    assert (_descriptions(masto, 0), _descriptions(masto, 1)) == (["alt of a.png"],
                                                                  ["alt of b.png"])
    # Without media_ids the status loses its media and no description is applied.
    assert mastodon.http.put(path, json={
        "status": "A", "media_attributes": [{"id": own, "description": "x"}]}
        ).status_code == 200
    assert masto.media[own]["description"] == "alt of a.png" and masto.described == []
    masto.statuses[0]["media_ids"] = [own]
    too_long = mastodon.http.put(path, json={
        "status": "A changé", "media_ids": [own],
        "media_attributes": [{"id": own, "description": "x" * 1501}]})
    assert (too_long.status_code, too_long.json()) == (422, {
        "error": "Validation failed: Description is too long (maximum is 1500 characters)"})
    assert masto.statuses[0]["content"] == "A" and masto.described == []
    shape = mastodon.http.put(path, json={"status": "A", "media_ids": [own],
                                          "media_attributes": [{"description": "sans id"}]})
    assert shape.status_code == 422


def test_mastodon_description_refused_by_the_server_names_the_status(
        masto: FakeMastodon, mastodon: MastodonAdapter, tmp_path: Path) -> None:
    remote = mastodon.publish(part(mastodon, "Photo", media=images(tmp_path, "a.png")))
    with pytest.raises(Rejected) as caught:
        mastodon.edit(replace(change(remote, "Photo", media=True), alts=("x" * 1501,)))
    assert (caught.value.status, str(caught.value)) == (
        422, f"editing status {remote.id}: HTTP 422: Validation failed: Description is too "
        "long (maximum is 1500 characters)")
    assert _descriptions(masto) == ["alt of a.png"] and masto.edits == []


# -- Telegram ------------------------------------------------------------------------------
@pytest.fixture
def tg() -> Iterator[FakeTelegram]:
    with FakeTelegram().running() as server:
        yield server


def make_telegram(tg: FakeTelegram, root: Path, timeout: float = 5.0) -> TelegramAdapter:
    return TelegramAdapter(ctx("ch", "telegram", {"chat_id": "@cmops_news", "server": tg.url},
                               {"token": tg.token}, root, timeout))


@pytest.fixture
def telegram(tg: FakeTelegram, tmp_path: Path) -> Iterator[TelegramAdapter]:
    adapter = make_telegram(tg, tmp_path)
    yield adapter
    adapter.close()


def _tg_calls(tg: FakeTelegram) -> list[tuple[str, dict[str, Any]]]:
    return [(r["method"], json.loads(r["body"])) for r in tg.requests
            if r["method"].startswith("edit")]


def test_telegram_edits_a_text_message_and_cannot_read_it_back(
        tg: FakeTelegram, telegram: TelegramAdapter) -> None:
    editor: Editor = telegram
    remote = telegram.publish(part(telegram, "Lancement jeudi"))
    editor.edit(change(remote, "Lancement vendredi"))
    assert tg.texts() == ["Lancement vendredi"]
    assert _tg_calls(tg) == [("editMessageText", {
        "chat_id": "@cmops_news", "message_id": int(remote.id), "text": "Lancement vendredi"})]
    assert editor.live_text(change(remote, "Lancement vendredi")) is None
    editor.edit(change(remote, "Lancement vendredi"))  # "message is not modified": done
    assert tg.edits == [(int(remote.id), "Lancement vendredi")] and len(_tg_calls(tg)) == 2


def test_telegram_edits_a_photo_caption_and_the_photo_stays(
        tg: FakeTelegram, telegram: TelegramAdapter, tmp_path: Path) -> None:
    remote = telegram.publish(part(telegram, "Une photo", media=images(tmp_path, "a.png")))
    photo = tg.messages[0]["photo"]
    telegram.edit(change(remote, "Une photo, corrigée", media=True))
    assert _tg_calls(tg) == [("editMessageCaption", {
        "chat_id": "@cmops_news", "message_id": int(remote.id),
        "caption": "Une photo, corrigée"})]
    assert tg.messages[0]["caption"] == "Une photo, corrigée"
    assert tg.messages[0]["photo"] == photo


def test_telegram_edits_an_albums_caption_on_its_first_message(
        tg: FakeTelegram, telegram: TelegramAdapter, tmp_path: Path) -> None:
    """An album is recorded by its first message, which carries the caption."""
    remote = telegram.publish(part(telegram, "Trois photos",
                                   media=images(tmp_path, "a.png", "b.png", "c.png")))
    assert remote.id == str(tg.messages[0]["message_id"]) and len(tg.messages) == 3
    telegram.edit(change(remote, "Trois photos du salon", media=True))
    assert [m.get("caption") for m in tg.messages] == ["Trois photos du salon", None, None]
    assert all("photo" in m for m in tg.messages)


def test_telegram_edits_a_message_of_the_other_kind_than_recorded(
        tg: FakeTelegram, telegram: TelegramAdapter, tmp_path: Path) -> None:
    """A message recorded by hand (cmops resolve) may have media the record does not say."""
    remote = telegram.publish(part(telegram, "Une photo", media=images(tmp_path, "a.png")))
    telegram.edit(change(remote, "Une photo !"))
    assert [c[0] for c in _tg_calls(tg)] == ["editMessageText", "editMessageCaption"]
    assert tg.messages[0]["caption"] == "Une photo !"


def test_telegram_edits_a_thread_part_and_it_stays_in_the_chain(
        tg: FakeTelegram, telegram: TelegramAdapter) -> None:
    """Telegram takes no first comment from cmops; a thread's later part is a reply."""
    first = telegram.publish(part(telegram, "Le lancement", 0, 2))
    comment = telegram.publish(part(telegram, "Le lien", 1, 2, reply_to=first, root=first))
    telegram.edit(change(comment, "Le bon lien", 1))
    assert tg.texts() == ["Le lancement", "Le bon lien"]
    assert tg.messages[1]["reply_to_message"] == {"message_id": int(first.id)}


def test_telegram_refuses_editing_a_deleted_or_foreign_message(
        tg: FakeTelegram, telegram: TelegramAdapter) -> None:
    remote = telegram.publish(part(telegram, "Bientôt supprimé"))
    tg.messages.clear()
    with pytest.raises(Rejected) as gone:
        telegram.edit(change(remote, "Trop tard"))
    assert (gone.value.status, str(gone.value)) == (
        400, f"editMessageText: message {remote.id} is not in the chat (deleted?): HTTP 400: "
        "Bad Request: message to edit not found")
    theirs = tg.foreign("Posté à la main")
    with pytest.raises(Rejected) as foreign:
        telegram.edit(change(Remote(str(theirs["message_id"])), "Réécrit"))
    assert str(foreign.value) == (
        "Telegram refused to edit it (HTTP 400: Bad Request: message can't be edited): a bot "
        f"edits only its own messages: edit message {theirs['message_id']} of ch by hand")
    assert tg.edits == []


@pytest.mark.parametrize(("fault", "status", "retry"),
                         [("503", 503, None), ("429", 429, 7.0), ("drop", None, None)])
def test_telegram_edit_failures_are_transient(tg: FakeTelegram, telegram: TelegramAdapter,
                                              fault: str, status: int | None,
                                              retry: float | None) -> None:
    remote = telegram.publish(part(telegram, "Encore là"))
    tg.faults = [fault]
    with pytest.raises(Transient) as caught:
        telegram.edit(change(remote, "Corrigé"))
    assert (caught.value.status, caught.value.retry_after) == (status, retry)
    assert tg.edits == []
    telegram.edit(change(remote, "Corrigé"))
    assert tg.texts() == ["Corrigé"]


def test_telegram_edit_timeout_is_transient(tg: FakeTelegram, tmp_path: Path) -> None:
    adapter = make_telegram(tg, tmp_path, timeout=0.5)
    remote = adapter.publish(part(adapter, "Encore là"))
    tg.faults = ["slow:1.5"]
    with pytest.raises(Transient) as caught:
        adapter.edit(change(remote, "Corrigé"))
    assert str(caught.value) == "timed out: ReadTimeout"
    adapter.close()


def test_telegram_token_never_in_an_edit_message(tg: FakeTelegram,
                                                 telegram: TelegramAdapter) -> None:
    remote = telegram.publish(part(telegram, "Encore là"))
    tg.faults = ["echo"]
    with pytest.raises(Rejected) as caught:
        telegram.edit(change(remote, "Corrigé"))
    assert "editMessageText" in str(caught.value) and tg.token not in str(caught.value)


# -- Discord -------------------------------------------------------------------------------
@pytest.fixture
def dc() -> Iterator[FakeDiscord]:
    with FakeDiscord().running() as server:
        yield server


def make_discord(dc: FakeDiscord, root: Path, timeout: float = 5.0) -> DiscordAdapter:
    return DiscordAdapter(ctx("ch", "discord", {}, {"webhook_url": dc.url}, root, timeout))


@pytest.fixture
def discord(dc: FakeDiscord, tmp_path: Path) -> Iterator[DiscordAdapter]:
    adapter = make_discord(dc, tmp_path)
    yield adapter
    adapter.close()


def _patches(dc: FakeDiscord) -> list[tuple[str, dict[str, Any]]]:
    return [(r["path"], json.loads(r["body"])) for r in dc.requests if r["method"] == "PATCH"]


def test_discord_edits_a_message_and_reads_it_back(dc: FakeDiscord,
                                                   discord: DiscordAdapter) -> None:
    editor: Editor = discord
    remote = discord.publish(part(discord, "Lancement jeudi"))
    editor.edit(change(remote, "Lancement vendredi @everyone"))
    assert _patches(dc) == [(
        f"/api/webhooks/{dc.webhook_id}/{dc.token}/messages/{remote.id}",
        {"content": "Lancement vendredi @everyone", "allowed_mentions": {"parse": []}})]
    assert dc.texts() == ["Lancement vendredi @everyone"]
    assert dc.messages[0]["mention_everyone"] is False  # the edit pings nobody
    assert editor.live_text(change(remote, "x")) == "Lancement vendredi @everyone"
    editor.edit(change(remote, "Lancement vendredi @everyone"))  # again: accepted
    assert len(dc.edits) == 2 and dc.texts() == ["Lancement vendredi @everyone"]


def test_the_fake_pings_everyone_when_an_edit_leaves_allowed_mentions_out(
        dc: FakeDiscord, discord: DiscordAdapter) -> None:
    """As documented: why the adapter sends ``allowed_mentions`` with every edit."""
    remote = discord.publish(part(discord, "Bonjour"))
    answer = discord.http.patch(discord._message(remote.id, "edit"),
                                json={"content": "Bonjour @everyone"})
    assert answer.status_code == 200 and answer.json()["mention_everyone"] is True


def test_discord_edit_keeps_the_files(dc: FakeDiscord, discord: DiscordAdapter,
                                      tmp_path: Path) -> None:
    remote = discord.publish(part(discord, "Deux images",
                                  media=images(tmp_path, "a.png", "b.png")))
    files = list(dc.messages[0]["attachments"])
    assert [f["description"] for f in files] == ["alt of a.png", "alt of b.png"]
    discord.edit(change(remote, "Deux images, corrigé", media=True))
    assert dc.messages[0]["attachments"] == files
    assert dc.texts() == ["Deux images, corrigé"]


def test_discord_refuses_editing_a_deleted_or_foreign_message(
        dc: FakeDiscord, discord: DiscordAdapter) -> None:
    remote = discord.publish(part(discord, "Bientôt supprimé"))
    discord.delete(Withdrawal("ch", "launch", 0, remote, NOW))
    with pytest.raises(Rejected) as gone:
        discord.edit(change(remote, "Trop tard"))
    assert (gone.value.status, str(gone.value)) == (
        404, f"cannot edit message {remote.id}: HTTP 404: Unknown Message: it was deleted, or "
        "not sent by this webhook")
    theirs = dc.foreign("Un membre")
    with pytest.raises(Rejected) as foreign:
        discord.live_text(change(Remote(theirs["id"]), "x"))
    assert foreign.value.status == 404 and dc.edits == []


@pytest.mark.parametrize(("fault", "status", "retry"),
                         [("503", 503, None), ("429", 429, 1.25), ("drop", None, None)])
def test_discord_edit_failures_are_transient(dc: FakeDiscord, discord: DiscordAdapter,
                                             fault: str, status: int | None,
                                             retry: float | None) -> None:
    remote = discord.publish(part(discord, "Encore là"))
    dc.faults = [fault]
    with pytest.raises(Transient) as caught:
        discord.edit(change(remote, "Corrigé"))
    assert (caught.value.status, caught.value.retry_after) == (status, retry)
    assert dc.edits == []
    discord.edit(change(remote, "Corrigé"))
    assert dc.texts() == ["Corrigé"]


def test_discord_edit_timeout_is_transient(dc: FakeDiscord, tmp_path: Path) -> None:
    adapter = make_discord(dc, tmp_path, timeout=0.5)
    remote = adapter.publish(part(adapter, "Encore là"))
    dc.faults = ["slow:1.5"]
    with pytest.raises(Transient) as caught:
        adapter.edit(change(remote, "Corrigé"))
    assert str(caught.value) == "timed out: ReadTimeout"
    adapter.close()


def test_discord_webhook_token_never_in_an_edit_message(dc: FakeDiscord,
                                                        discord: DiscordAdapter) -> None:
    remote = discord.publish(part(discord, "Encore là"))
    dc.faults = ["echo"]
    with pytest.raises(Rejected) as caught:
        discord.edit(change(remote, "Corrigé"))
    assert caught.value.status == 401 and "Invalid Webhook Token" in str(caught.value)
    assert dc.token not in str(caught.value) and dc.url not in str(caught.value)
