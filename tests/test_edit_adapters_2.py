"""Editing a published post (issue 19, edits) on LinkedIn and Facebook, each against its
strict loopback fake: the exact update request, a first comment, a post with media that
keeps its media, the same text twice, a deleted post refused, 5xx, timeouts and 429 as
Transient, another account's post refused, ``live_text`` reading back what the network
holds, and the token never in a message."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

import pytest
from tests.fakes.graph import FakeGraph
from tests.fakes.linkedin import FakeLinkedIn

from cmops.adapters import ADAPTERS, ChannelContext, MediaFile, Outgoing, Rejected, Remote
from cmops.adapters.base import Edit, Editor, Transient, Withdrawal
from cmops.adapters.facebook import FacebookAdapter
from cmops.adapters.linkedin import LinkedInAdapter
from cmops.secrets import Redactor
from cmops.text.limits import NETWORKS

VIDEO = Path(__file__).parent / "media" / "landscape-2s.mp4"


def ctx(network: str, settings: dict[str, object], secrets: dict[str, str],
        tmp_path: Path, timeout: float = 5.0) -> ChannelContext:
    return ChannelContext("ch", network, {"network": network, **settings}, secrets, tmp_path,
                          Redactor(), timeout=timeout)


def out(text: str, part: int = 0, **kwargs: Any) -> Outgoing:
    return Outgoing("p/ch", "p", "ch", part, 1, text, f"p/ch#{part}",
                    published_at=datetime.now(UTC), **kwargs)


def change(remote: Remote, text: str, part: int = 0, **kwargs: Any) -> Edit:
    return Edit("ch", "p", part, remote, text, **kwargs)


def _withdrawal(remote: Remote) -> Withdrawal:
    return Withdrawal("ch", "p", 0, remote)


def test_linkedin_and_facebook_declare_edits_and_their_adapters_edit() -> None:
    for name in ("linkedin", "facebook"):
        assert NETWORKS[name].edits, name
        assert callable(getattr(ADAPTERS[name], "edit", None)), name
        assert callable(getattr(ADAPTERS[name], "live_text", None)), name


# -- LinkedIn ------------------------------------------------------------------------------
@pytest.fixture
def linkedin() -> Iterator[FakeLinkedIn]:
    with FakeLinkedIn().running() as server:
        yield server


def make_linkedin(fake: FakeLinkedIn, tmp_path: Path, timeout: float = 5.0
                  ) -> LinkedInAdapter:
    return LinkedInAdapter(ctx("linkedin", {"server": fake.url, "account": fake.author},
                               {"token": fake.token}, tmp_path, timeout))


def _li_edits(fake: FakeLinkedIn) -> list[dict[str, Any]]:
    return [r for r in fake.requests if r["method"] == "POST" and (
        r["path"].startswith("/rest/posts/") or "/comments/" in r["path"])]


def test_linkedin_edits_the_commentary_in_little_text_and_reads_it_back(
        linkedin: FakeLinkedIn, tmp_path: Path) -> None:
    adapter = make_linkedin(linkedin, tmp_path)
    editor: Editor = adapter
    post = adapter.publish(out("Lancement (jeudi) #cmops"))
    editor.edit(change(post, "Lancement (vendredi) #cmops @x"))
    [sent] = _li_edits(linkedin)
    assert sent["path"] == f"/rest/posts/{quote(post.id, safe='')}"
    assert sent["headers"]["X-RestLi-Method"] == "PARTIAL_UPDATE"
    assert sent["headers"]["LinkedIn-Version"] and sent["headers"]["Authorization"] == \
        f"Bearer {linkedin.token}"
    assert json.loads(sent["body"]) == {"patch": {"$set": {
        "commentary": "Lancement \\(vendredi\\) {hashtag|\\#|cmops} \\@x"}}}
    assert linkedin.posts[0]["commentary"] == \
        "Lancement \\(vendredi\\) {hashtag|\\#|cmops} \\@x"
    assert editor.live_text(change(post, "")) == "Lancement (vendredi) #cmops @x"
    editor.edit(change(post, "Lancement (vendredi) #cmops @x"))  # the same text again: fine
    assert len(_li_edits(linkedin)) == 2
    adapter.close()


def test_linkedin_edit_keeps_the_post_s_images(linkedin: FakeLinkedIn,
                                               tmp_path: Path) -> None:
    adapter = make_linkedin(linkedin, tmp_path)
    (tmp_path / "a.png").write_bytes(b"\x89PNG-a")
    post = adapter.publish(out("Photo", media=(MediaFile(tmp_path / "a.png", "media/a.png",
                                                         "Rouge"),)))
    content = linkedin.posts[0]["content"]
    adapter.edit(change(post, "Photo (corrigée)", has_media=True))
    assert linkedin.posts[0]["content"] == content
    assert linkedin.posts[0]["content"]["media"]["altText"] == "Rouge"
    assert linkedin.posts[0]["commentary"] == "Photo \\(corrigée\\)"
    adapter.close()


def test_linkedin_edits_the_first_comment_as_its_actor(linkedin: FakeLinkedIn,
                                                       tmp_path: Path) -> None:
    adapter = make_linkedin(linkedin, tmp_path)
    post = adapter.publish(out("Annonce"))
    note = adapter.publish(out("Sources : (1)", 1, reply_to=post, root=post, comment=True))
    adapter.edit(change(note, "Sources : (2)", 1, comment=True))
    [sent] = _li_edits(linkedin)
    comment_id = note.id.rsplit(",", 1)[1].rstrip(")")
    assert (sent["path"], sent["raw_query"]) == (
        f"/rest/socialActions/{quote(post.id, safe='')}/comments/{comment_id}",
        f"actor={quote(linkedin.author, safe='')}")
    assert json.loads(sent["body"]) == {"patch": {"message": {"$set": {
        "text": "Sources : (2)"}}}}
    assert linkedin.comments() == [(post.id, "Sources : (2)")]
    assert adapter.live_text(change(note, "", 1, comment=True)) == "Sources : (2)"
    adapter.edit(change(note, "Sources : (2)", 1, comment=True))
    assert linkedin.comments() == [(post.id, "Sources : (2)")]
    adapter.close()


def test_linkedin_edit_of_a_deleted_or_foreign_post_is_refused(linkedin: FakeLinkedIn,
                                                               tmp_path: Path) -> None:
    adapter = make_linkedin(linkedin, tmp_path)
    post = adapter.publish(out("Annonce"))
    note = adapter.publish(out("Sources", 1, reply_to=post, root=post, comment=True))
    adapter.delete(_withdrawal(note))
    with pytest.raises(Rejected) as comment:
        adapter.edit(change(note, "Sources 2", 1, comment=True))
    assert comment.value.status == 404 and str(comment.value).startswith(
        f"cannot edit {note.id} on LinkedIn: it no longer exists (HTTP 404")
    adapter.delete(_withdrawal(post))
    with pytest.raises(Rejected) as deleted:
        adapter.edit(change(post, "Annonce 2"))
    assert str(deleted.value) == (f"cannot edit {post.id} on LinkedIn: it no longer exists "
                                  f"(HTTP 404: Post {post.id} not found)")
    other = linkedin.add({"author": "urn:li:organization:1", "commentary": "theirs"})
    with pytest.raises(Rejected) as foreign:
        adapter.edit(change(Remote(other["id"]), "mine now"))
    assert foreign.value.status == 403 and linkedin.posts[-1]["commentary"] == "theirs"
    adapter.close()


def test_linkedin_edit_failures_are_transient_and_keep_the_token_out(
        linkedin: FakeLinkedIn, tmp_path: Path) -> None:
    adapter = make_linkedin(linkedin, tmp_path, timeout=0.5)
    post = adapter.publish(out("Annonce"))
    linkedin.edit_faults = ["500"]
    with pytest.raises(Transient) as failed:
        adapter.edit(change(post, "Annonce 2"))
    assert failed.value.status == 500
    linkedin.edit_faults = ["429-retry-after"]
    with pytest.raises(Transient) as waited:
        adapter.edit(change(post, "Annonce 2"))
    assert (waited.value.status, waited.value.retry_after) == (429, 30)
    linkedin.edit_faults = ["slow:1.5"]
    with pytest.raises(Transient, match="timed out"):
        adapter.edit(change(post, "Annonce 2"))
    linkedin.edit_faults = ["echo"]
    with pytest.raises(Rejected) as echoed:
        adapter.edit(change(post, "Annonce 2"))
    assert "HTTP 401" in str(echoed.value) and linkedin.token not in str(echoed.value)
    assert linkedin.posts[0]["commentary"] == "Annonce"
    adapter.edit(change(post, "Annonce 2"))
    assert linkedin.posts[0]["commentary"] == "Annonce 2"
    adapter.close()


def test_the_fake_linkedin_refuses_an_update_without_its_method_or_with_content(
        linkedin: FakeLinkedIn, tmp_path: Path) -> None:
    """What the adapter sends right, the fake refuses when wrong (posts-api, "Update
    Posts")."""
    adapter = make_linkedin(linkedin, tmp_path)
    post = adapter.publish(out("Annonce"))
    path = f"/rest/posts/{quote(post.id, safe='')}"
    for body, headers, status in (
            ({"patch": {"$set": {"commentary": "x"}}}, {}, 400),
            ({"patch": {"$set": {"content": {}}}}, {"X-RestLi-Method": "PARTIAL_UPDATE"}, 422),
            ({"patch": {"$set": {"commentary": "a (b)"}}},
             {"X-RestLi-Method": "PARTIAL_UPDATE"}, 422)):
        with pytest.raises(Rejected) as caught:
            adapter._send("POST", path, json=body, headers=headers)
        assert caught.value.status == status
    assert linkedin.posts[0]["commentary"] == "Annonce"
    adapter.close()


# -- Facebook ------------------------------------------------------------------------------
@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    with FakeGraph(account="123456789012345").running() as server:
        yield server


def page(fake: FakeGraph, tmp_path: Path, timeout: float = 5.0) -> FacebookAdapter:
    adapter = FacebookAdapter(ctx("facebook", {"server": fake.url, "account": fake.account},
                                  {"page_token": fake.token}, tmp_path, timeout))
    adapter.sleep = lambda s: None
    return adapter


def _fb_edits(fake: FakeGraph) -> list[tuple[str, dict[str, list[str]]]]:
    return [(r["path"], parse_qs(r["body"].decode())) for r in fake.requests
            if r["method"] == "POST" and r["path"].count("/") == 2]


def test_facebook_edits_a_post_s_message_and_reads_it_back(graph: FakeGraph,
                                                           tmp_path: Path) -> None:
    adapter = page(graph, tmp_path)
    editor: Editor = adapter
    post = adapter.publish(out("Annonce (jeudi)"))
    editor.edit(change(post, "Annonce (vendredi)"))
    assert _fb_edits(graph) == [(f"/v23.0/{post.id}", {"message": ["Annonce (vendredi)"],
                                                       "access_token": [graph.token]})]
    assert graph.posts[0]["message"] == "Annonce (vendredi)"
    assert editor.live_text(change(post, "")) == "Annonce (vendredi)"
    read = graph.requests[-1]
    assert (read["method"], read["path"], read["query"]["fields"]) == (
        "GET", f"/v23.0/{post.id}", ["id,message"])
    editor.edit(change(post, "Annonce (vendredi)"))  # the same text again: success
    assert len(_fb_edits(graph)) == 2
    adapter.close()


def test_facebook_edits_a_photo_post_and_the_photo_stays(graph: FakeGraph,
                                                         tmp_path: Path) -> None:
    adapter = page(graph, tmp_path)
    (tmp_path / "a.png").write_bytes(b"\x89PNG-a")
    post = adapter.publish(out("Photo", media=(MediaFile(tmp_path / "a.png", "media/a.png",
                                                         None),)))
    photo = graph.posts[0]["photo"]
    adapter.edit(change(post, "Photo (corrigée)", has_media=True))
    assert graph.posts[0]["photo"] == photo and graph.photos[photo]["bytes"] == b"\x89PNG-a"
    assert graph.posts[0]["message"] == "Photo (corrigée)"
    adapter.close()


def test_facebook_edits_a_video_s_description_on_the_video(graph: FakeGraph,
                                                           tmp_path: Path) -> None:
    adapter = page(graph, tmp_path)
    video = adapter.publish(out("Clip", media=(MediaFile(VIDEO, "media/c.mp4", None),)))
    size = len(graph.videos[video.id]["bytes"])
    adapter.edit(change(video, "Clip (sous-titré)", has_media=True))
    assert _fb_edits(graph)[-1] == (f"/v23.0/{video.id}", {
        "description": ["Clip (sous-titré)"], "access_token": [graph.token]})
    assert graph.videos[video.id]["description"] == "Clip (sous-titré)"
    assert len(graph.videos[video.id]["bytes"]) == size == VIDEO.stat().st_size
    assert graph.posts[0]["message"] == "Clip (sous-titré)"
    assert adapter.live_text(change(video, "")) == "Clip (sous-titré)"
    assert graph.requests[-1]["query"]["fields"] == ["id,description"]
    adapter.close()


def test_facebook_edits_the_first_comment(graph: FakeGraph, tmp_path: Path) -> None:
    adapter = page(graph, tmp_path)
    post = adapter.publish(out("Annonce"))
    note = adapter.publish(out("Sources", 1, reply_to=post, root=post, comment=True))
    assert note.id.count("_") == 1 and note.id.startswith(post.id.split("_")[1] + "_")
    adapter.edit(change(note, "Sources (mises à jour)", 1, comment=True))
    assert _fb_edits(graph)[-1][0] == f"/v23.0/{note.id}"
    assert graph.comments() == [(post.id, "Sources (mises à jour)")]
    assert graph.posts[0]["message"] == "Annonce"
    assert adapter.live_text(change(note, "", 1, comment=True)) == "Sources (mises à jour)"
    adapter.close()


def test_facebook_edit_of_a_deleted_or_foreign_post_is_refused(graph: FakeGraph,
                                                               tmp_path: Path) -> None:
    adapter = page(graph, tmp_path)
    post = adapter.publish(out("Annonce"))
    adapter.delete(_withdrawal(post))
    with pytest.raises(Rejected) as deleted:
        adapter.edit(change(post, "Annonce 2"))
    assert str(deleted.value).startswith(f"cannot edit {post.id} on Facebook: HTTP 400: "
                                         "(#100) Object with ID")
    assert str(deleted.value).endswith("(deleted, or not this Page's)")
    with pytest.raises(Rejected):
        adapter.live_text(change(post, ""))
    theirs = adapter.publish(out("Encore"))
    fan = graph.fan_comment(theirs.id, "Super !")
    with pytest.raises(Rejected, match=r"\(#200\)"):
        adapter.edit(change(Remote(fan), "Nul", 1, comment=True))
    assert graph.comments() == [(theirs.id, "Super !")]
    adapter.close()


def test_facebook_edit_failures_are_transient_and_keep_the_token_out(
        graph: FakeGraph, tmp_path: Path) -> None:
    adapter = page(graph, tmp_path, timeout=0.5)
    post = adapter.publish(out("Annonce"))
    graph.edit_faults = ["503"]
    with pytest.raises(Transient) as failed:
        adapter.edit(change(post, "Annonce 2"))
    assert failed.value.status == 503
    graph.edit_faults = ["429"]
    with pytest.raises(Transient) as waited:
        adapter.edit(change(post, "Annonce 2"))
    assert (waited.value.status, waited.value.retry_after) == (429, 60)
    graph.edit_faults = ["slow:1.5"]
    with pytest.raises(Transient, match="timed out"):
        adapter.edit(change(post, "Annonce 2"))
    graph.edit_faults = ["echo"]
    with pytest.raises(Rejected) as echoed:
        adapter.edit(change(post, "Annonce 2"))
    assert "(#100)" in str(echoed.value) and graph.token not in str(echoed.value)
    assert graph.posts[0]["message"] == "Annonce"
    adapter.edit(change(post, "Annonce 2"))
    assert graph.posts[0]["message"] == "Annonce 2"
    adapter.close()
