"""Replies through review (issue 19) on Threads and Instagram, against the strict loopback
Graph API: a post with ``reply_to: URL`` lands as a reply to the very message the URL names
(the fake checks the parent), found from the URL's shortcode where the API needs an id; a
message deleted or unknown is refused naming its URL; a missing permission is named; 5xx,
timeouts and 429 are Transient; an Instagram reply is text only; no token in any message."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.fakes.graph import FakeGraph

from cmops.adapters import (
    ADAPTERS,
    CannotTell,
    ChannelContext,
    MediaFile,
    Outgoing,
    Rejected,
    Remote,
    Transient,
)
from cmops.adapters.instagram import InstagramAdapter
from cmops.adapters.threads import ThreadsAdapter
from cmops.secrets import Redactor
from cmops.text.limits import NETWORKS

PHOTO = MediaFile(Path("a.jpg"), "media/a.jpg", None)


@pytest.fixture
def fake() -> Iterator[FakeGraph]:
    with FakeGraph().running() as server:
        yield server


def ctx(network: str, fake: FakeGraph, tmp_path: Path) -> ChannelContext:
    redactor = Redactor()
    redactor.add(fake.token)
    return ChannelContext("ch", network, {"network": network, "server": fake.url,
                                         "account": fake.account,
                                         "media_base_url": fake.public_base},
                          {"token": fake.token}, tmp_path, redactor, timeout=5.0)


@pytest.fixture
def threads(fake: FakeGraph, tmp_path: Path) -> Iterator[ThreadsAdapter]:
    adapter = ThreadsAdapter(ctx("threads", fake, tmp_path), sleep=lambda s: None)
    yield adapter
    adapter.close()


@pytest.fixture
def insta(fake: FakeGraph, tmp_path: Path) -> Iterator[InstagramAdapter]:
    adapter = InstagramAdapter(ctx("instagram", fake, tmp_path), sleep=lambda s: None)
    yield adapter
    adapter.close()


def out(text: str, part: int = 0, parts: int = 1, **kwargs: Any) -> Outgoing:
    return Outgoing("r/ch", "r", "ch", part, parts, text, f"r/ch#{part}",
                    published_at=datetime.now(UTC), **kwargs)


def gets(fake: FakeGraph) -> list[str]:
    return [r["path"] for r in fake.requests if r["method"] == "GET"]


def posts_to(fake: FakeGraph) -> list[str]:
    return [r["path"] for r in fake.requests if r["method"] == "POST"]


def thread_url(post: dict[str, Any]) -> str:
    return f"https://www.threads.net/@{post['username']}/post/{post['shortcode']}"


def test_both_networks_declare_replies_and_no_edits() -> None:
    for name in ("threads", "instagram"):
        assert NETWORKS[name].replies and not NETWORKS[name].edits, name
        assert not hasattr(ADAPTERS[name], "edit"), name


# -- Threads -------------------------------------------------------------------------------
def test_threads_answers_a_reply_under_the_accounts_post(fake: FakeGraph,
                                                         threads: ThreadsAdapter) -> None:
    ours = threads.publish(out("Nouvelle version"))
    fan = fake.threads_post_by("fan", "Ça marche sur Linux ?", reply_to=ours.id)
    fake.requests.clear()
    remote = threads.publish(out("Oui, depuis la 2.1", reply_url=thread_url(fan)))
    assert fake.posts[-1]["text"] == "Oui, depuis la 2.1"
    assert fake.posts[-1]["reply_to"] == fan["id"]
    assert remote == Remote(fake.posts[-1]["id"],
                            f"https://www.threads.net/@cmops/post/T{remote.id}",
                            {"in_reply_to": fan["id"]})
    # Its own posts, then its mentions, then the conversation under its post that has some.
    assert gets(fake)[:3] == [f"/v1.0/{fake.account}/threads",
                              f"/v1.0/{fake.account}/mentions",
                              f"/v1.0/{ours.id}/conversation"]
    container = next(r for r in fake.requests if r["path"].endswith("/threads")
                     and r["method"] == "POST")
    assert b"reply_to_id=" + fan["id"].encode() in container["body"]


def test_threads_answers_a_mention_and_finds_it_pages_back(fake: FakeGraph,
                                                           threads: ThreadsAdapter) -> None:
    wanted = fake.threads_post_by("fan", "@cmops une question", mention=True)
    for n in range(60):
        fake.threads_post_by(f"user{n}", f"@cmops bonjour {n}", mention=True)
    remote = threads.publish(out("Merci !", reply_url=thread_url(wanted)))
    assert fake.posts[-1]["reply_to"] == wanted["id"] and remote.extra == {
        "in_reply_to": wanted["id"]}
    mentions = [r for r in fake.requests if r["path"].endswith("/mentions")]
    assert [r["query"].get("after") for r in mentions] == [None, ["50"]]
    assert not any(p.endswith("/conversation") for p in gets(fake))


def test_threads_thread_parts_and_first_comment_follow_the_reply(
        fake: FakeGraph, threads: ThreadsAdapter) -> None:
    wanted = fake.threads_post_by("fan", "@cmops ?", mention=True)
    first = threads.publish(out("1/2", 0, 2, reply_url=thread_url(wanted)))
    second = threads.publish(out("2/2", 1, 2, reply_to=first, root=first))
    note = threads.publish(out("Source", 2, 2, reply_to=first, root=first, comment=True))
    assert [(p["text"], p["reply_to"]) for p in fake.posts] == [
        ("1/2", wanted["id"]), ("2/2", first.id), ("Source", first.id)]
    assert second.extra == {} and note.extra == {}


def test_threads_refuses_an_unknown_or_deleted_post_naming_it(
        fake: FakeGraph, threads: ThreadsAdapter) -> None:
    url = "https://www.threads.net/@fan/post/DzzzUnknown"
    with pytest.raises(Rejected) as unknown:
        threads.publish(out("Réponse", reply_url=url))
    assert str(unknown.value) == (
        f"cannot answer {url}: no Threads post with code DzzzUnknown among the account's "
        "latest 25 posts, its mentions or the replies under its posts (deleted, private, or "
        "older: answer it on Threads by hand)")
    wanted = fake.threads_post_by("fan", "@cmops ?", mention=True)
    url = thread_url(wanted)
    assert threads.answering(url) == wanted["id"]
    fake.foreign.remove(wanted)  # deleted by its author between the lookup and the reply
    with pytest.raises(Rejected) as deleted:
        threads.publish(out("Réponse", reply_url=url))
    assert str(deleted.value).startswith(f"cannot answer {url}: Threads no longer has it (")
    assert "(#100) reply_to_id" in str(deleted.value)
    with pytest.raises(Rejected, match="not the URL of a threads post"):
        threads.publish(out("Réponse", reply_url="https://www.threads.net/@fan"))
    assert [p for p in fake.posts] == [] and fake.containers == {}


def test_threads_names_the_permissions_a_reply_needs(fake: FakeGraph,
                                                     threads: ThreadsAdapter) -> None:
    ours = threads.publish(out("Annonce"))
    under = fake.threads_post_by("fan", "Et le prix ?", reply_to=ours.id)
    mention = fake.threads_post_by("fan", "@cmops salut", mention=True)
    fake.threads_mentions_forbidden = True
    # A reply under the account's own post needs no threads_manage_mentions.
    threads.publish(out("Gratuit", reply_url=thread_url(under)))
    assert fake.posts[-1]["reply_to"] == under["id"]
    with pytest.raises(Rejected) as hidden:
        threads.publish(out("Salut", reply_url=thread_url(mention)))
    assert str(hidden.value).endswith(
        "its mentions or the replies under its posts; this token cannot read its mentions "
        "(threads_manage_mentions) (deleted, private, or older: answer it on Threads by "
        "hand)")
    fake.threads_mentions_forbidden, fake.threads_replies_forbidden = False, True
    with pytest.raises(Rejected) as denied:
        threads.publish(out("Salut", reply_url=thread_url(mention)))
    assert str(denied.value).startswith(f"Threads refused to answer {thread_url(mention)} "
                                        "(HTTP 403: (#10)")
    assert "the token needs threads_manage_replies" in str(denied.value)
    assert fake.token not in str(denied.value) + str(hidden.value)
    assert len(fake.posts) == 2


@pytest.mark.parametrize(("fault", "status", "retry"),
                         [("500", 500, None), ("429", 429, 60.0), ("drop", None, None)])
def test_threads_reply_failures_are_transient(fake: FakeGraph, threads: ThreadsAdapter,
                                              fault: str, status: int | None,
                                              retry: float | None) -> None:
    wanted = fake.threads_post_by("fan", "@cmops ?", mention=True)
    fake.faults = [fault]
    with pytest.raises(Transient) as caught:
        threads.publish(out("Réponse", reply_url=thread_url(wanted)))
    assert caught.value.status == status and caught.value.retry_after == retry
    assert fake.token not in str(caught.value) and fake.posts == []
    threads.publish(out("Réponse", reply_url=thread_url(wanted)))  # the next run's try
    assert fake.posts[-1]["reply_to"] == wanted["id"]


def test_threads_keeps_the_token_out_of_a_reply_refusal(fake: FakeGraph,
                                                        threads: ThreadsAdapter) -> None:
    wanted = fake.threads_post_by("fan", "@cmops ?", mention=True)
    fake.faults = ["echo"]
    with pytest.raises(Rejected) as caught:
        threads.publish(out("Réponse", reply_url=thread_url(wanted)))
    assert "(#100) Invalid parameter" in str(caught.value)
    assert fake.token not in str(caught.value)


def test_threads_finds_a_lost_reply_by_its_parent_among_the_accounts_replies(
        fake: FakeGraph, threads: ThreadsAdapter, tmp_path: Path) -> None:
    other = fake.threads_post_by("other", "@cmops merci", mention=True)
    wanted = fake.threads_post_by("fan", "@cmops merci aussi", mention=True)
    sent = datetime.now(UTC) - timedelta(seconds=5)
    fake.faults = ["", "accept-then-drop"]  # published, the answer lost
    with pytest.raises(Transient):
        threads.publish(out("Avec plaisir !", reply_url=thread_url(wanted)))
    lost = fake.posts[-1]
    # The same words to someone else, newer: listed first, and not the one lost.
    same = threads.publish(out("Avec plaisir !", reply_url=thread_url(other)))
    later = ThreadsAdapter(ctx("threads", fake, tmp_path), sleep=lambda s: None)  # next run
    found = later.reconcile(out("Avec plaisir !", reply_url=thread_url(wanted)), sent,
                            datetime.now(UTC))
    assert found == Remote(lost["id"], f"https://www.threads.net/@cmops/post/T{lost['id']}",
                           {"in_reply_to": wanted["id"]})
    assert found.id != same.id
    replies = next(r for r in fake.requests if r["path"] == f"/v1.0/{fake.account}/replies")
    assert replies["query"]["fields"] == ["id,text,timestamp,permalink,replied_to"]
    with pytest.raises(CannotTell, match=f"it answers {thread_url(other)} and is not among"):
        later.reconcile(out("Autre texte", reply_url=thread_url(other)), sent,
                        datetime.now(UTC))
    fake.threads_replies_forbidden = True
    with pytest.raises(CannotTell, match=r"cannot read the account's replies \(HTTP 403: "
                       r"\(#10\).*threads_read_replies\)"):
        later.reconcile(out("Avec plaisir !", reply_url=thread_url(wanted)), sent,
                        datetime.now(UTC))
    later.close()


# -- Instagram -----------------------------------------------------------------------------
def _media(fake: FakeGraph, insta: InstagramAdapter) -> tuple[Remote, str]:
    post = insta.publish(out("Notre photo", media=(PHOTO,)))
    return post, f"https://www.instagram.com/p/C{post.id}/"


def test_instagram_answers_a_comment_with_a_reply(fake: FakeGraph,
                                                  insta: InstagramAdapter) -> None:
    post, link = _media(fake, insta)
    comment = fake.ig_fan_comment(post.id, "Où est-ce ?")
    url = f"{link}c/{comment}/"
    fake.requests.clear()
    remote = insta.publish(out("À Lyon !", reply_url=url))
    thread = fake.posts[0]["comments"][0]
    assert [(r["id"], r["message"]) for r in thread["replies"]] == [(remote.id, "À Lyon !")]
    assert remote == Remote(remote.id, url, {"thread": comment, "answers": url})
    assert posts_to(fake) == [f"/v23.0/{comment}/replies"] and gets(fake) == []
    # A first comment under the reply answers in the same thread.
    note = insta.publish(out("Plus d'infos : lien en bio", 1, 1, reply_to=remote, root=remote,
                             comment=True))
    assert [r["message"] for r in thread["replies"]] == ["À Lyon !",
                                                         "Plus d'infos : lien en bio"]
    assert note.url == url


def test_instagram_answers_its_own_post_with_a_comment(fake: FakeGraph,
                                                       insta: InstagramAdapter) -> None:
    post, link = _media(fake, insta)
    for n in range(60):  # the post is now on the account's media list's second page
        fake.posts.append({"id": str(9_000 + n), "caption": f"p{n}", "at": datetime.now(UTC),
                           "reply_to": None})
    remote = insta.publish(out("Le programme complet est en ligne", reply_url=link))
    assert fake.comments()[0] == (post.id, "Le programme complet est en ligne")
    assert remote == Remote(remote.id, link, {"thread": remote.id, "answers": link,
                                              "media": post.id})
    listed = [r for r in fake.requests if r["path"].endswith(f"{fake.account}/media")
              and r["method"] == "GET"]
    assert [r["query"].get("after") for r in listed] == [None, ["50"]]


def test_instagram_refuses_another_accounts_post_and_gone_comments(
        fake: FakeGraph, insta: InstagramAdapter) -> None:
    post, link = _media(fake, insta)
    other = "https://www.instagram.com/p/Czzzz/"
    with pytest.raises(Rejected) as foreign:
        insta.publish(out("Bravo", reply_url=other))
    assert str(foreign.value).startswith(
        f"cannot answer {other}: it is not among the account's latest 200 posts, and "
        "Instagram's API comments only on the account's own posts")
    gone = f"{link}c/17999999999999999/"
    with pytest.raises(Rejected) as missing:
        insta.publish(out("Bravo", reply_url=gone))
    assert str(missing.value).startswith(
        f"cannot answer {gone}: Instagram has no such comment or post for this account "
        "(HTTP 400: (#100) Object with ID '17999999999999999' does not exist")
    hidden = fake.ig_fan_comment(post.id, "spam")
    fake.posts[0]["comments"][-1]["hidden"] = True
    with pytest.raises(Rejected, match=f"cannot answer {link}c/{hidden}/: Instagram has no"):
        insta.publish(out("Bravo", reply_url=f"{link}c/{hidden}/"))
    assert fake.comments() == [(post.id, "spam")]


def test_instagram_reply_is_text_only_and_one_comment(fake: FakeGraph,
                                                      insta: InstagramAdapter) -> None:
    post, link = _media(fake, insta)
    url = f"{link}c/{fake.ig_fan_comment(post.id, 'Photo ?')}/"
    fake.requests.clear()
    with pytest.raises(Rejected) as media:
        insta.publish(out("Voilà", reply_url=url, media=(PHOTO,)))
    assert str(media.value) == (f"not sent: an Instagram reply is a comment, text only: "
                                f"'media/a.jpg' cannot go with it (answering {url}); remove "
                                "the media")
    with pytest.raises(Rejected, match="one comment, not a thread of 2"):
        insta.publish(out("1/2", 0, 2, reply_url=url))
    assert fake.requests == []


def test_instagram_reply_failures(fake: FakeGraph, insta: InstagramAdapter) -> None:
    post, link = _media(fake, insta)
    url = f"{link}c/{fake.ig_fan_comment(post.id, 'Prix ?')}/"
    for fault, status, retry in (("503", 503, None), ("429", 429, 60.0), ("drop", None, None)):
        fake.faults = [fault]
        with pytest.raises(Transient) as caught:
            insta.publish(out("Gratuit", reply_url=url))
        assert (caught.value.status, caught.value.retry_after) == (status, retry)
        assert fake.token not in str(caught.value)
    fake.faults = ["echo"]
    with pytest.raises(Rejected) as echoed:
        insta.publish(out("Gratuit", reply_url=url))
    assert "(#100) Invalid parameter" in str(echoed.value)
    assert fake.token not in str(echoed.value)
    fake.ig_comments_forbidden = True
    with pytest.raises(Rejected) as denied:
        insta.publish(out("Gratuit", reply_url=url))
    assert str(denied.value).startswith(f"Instagram refused to answer {url} (HTTP 403: (#10)")
    assert "instagram_manage_comments" in str(denied.value)
    assert fake.token not in str(denied.value)
    fake.ig_comments_forbidden = False
    insta.publish(out("Gratuit", reply_url=url))  # the next run's try
    assert [r["message"] for r in fake.posts[0]["comments"][0]["replies"]] == ["Gratuit"]


def test_instagram_finds_an_unconfirmed_reply_or_says_sending_is_safe(
        fake: FakeGraph, insta: InstagramAdapter) -> None:
    post, link = _media(fake, insta)
    url = f"{link}c/{fake.ig_fan_comment(post.id, 'Prix ?')}/"
    sent = datetime.now(UTC) - timedelta(seconds=5)
    assert insta.reconcile(out("Gratuit", reply_url=url), sent, datetime.now(UTC)) is None
    fake.faults = ["accept-then-drop"]
    with pytest.raises(Transient):
        insta.publish(out("Gratuit", reply_url=url))
    found = insta.reconcile(out("Gratuit", reply_url=url), sent, datetime.now(UTC))
    reply = fake.posts[0]["comments"][0]["replies"][0]
    assert found is not None and found.id == reply["id"] and found.url == url
    fake.posts[0]["comments"].clear()  # the comment answered is gone: nothing to find
    assert insta.reconcile(out("Gratuit", reply_url=url), sent, datetime.now(UTC)) is None
