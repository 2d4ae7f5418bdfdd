"""Replies through review (issue 19) on LinkedIn and Facebook, each against its strict
loopback fake: a ``reply_to:`` URL naming a post makes the reply a comment on it, one naming
a comment a reply under that comment (the fake checks the parent); the reply's record lets a
later edit or withdrawal find it, an unconfirmed reply is found again, a deleted or unknown
message is refused naming its URL, failures are Transient, and the token is never in a
message."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

import pytest
from tests.fakes.graph import FakeGraph
from tests.fakes.linkedin import FakeLinkedIn

from cmops.adapters import ChannelContext, MediaFile, Outgoing, Rejected, Remote
from cmops.adapters.base import Edit, Transient, Withdrawal
from cmops.adapters.facebook import FacebookAdapter
from cmops.adapters.linkedin import LinkedInAdapter
from cmops.secrets import Redactor
from cmops.text.limits import NETWORKS


def ctx(network: str, settings: dict[str, object], secrets: dict[str, str],
        tmp_path: Path) -> ChannelContext:
    return ChannelContext("ch", network, {"network": network, **settings}, secrets, tmp_path,
                          Redactor(), timeout=5.0)


def out(text: str, reply_url: str | None = None, **kwargs: Any) -> Outgoing:
    return Outgoing("r/ch", "r", "ch", 0, 1, text, "r/ch#0", published_at=datetime.now(UTC),
                    reply_url=reply_url, **kwargs)


def test_linkedin_and_facebook_declare_replies() -> None:
    assert NETWORKS["linkedin"].replies and NETWORKS["facebook"].replies


# -- LinkedIn ------------------------------------------------------------------------------
@pytest.fixture
def linkedin() -> Iterator[FakeLinkedIn]:
    with FakeLinkedIn().running() as server:
        yield server


@pytest.fixture
def li(linkedin: FakeLinkedIn, tmp_path: Path) -> Iterator[LinkedInAdapter]:
    adapter = LinkedInAdapter(ctx("linkedin", {"server": linkedin.url,
                                               "account": linkedin.author},
                                  {"token": linkedin.token}, tmp_path))
    yield adapter
    adapter.close()


def _li_comment_posts(fake: FakeLinkedIn) -> list[tuple[str, Any]]:
    return [(r["path"], json.loads(r["body"])) for r in fake.requests
            if r["method"] == "POST" and r["path"].endswith("/comments")]


def test_linkedin_answers_a_comment_under_it_and_can_edit_and_withdraw_it(
        linkedin: FakeLinkedIn, li: LinkedInAdapter) -> None:
    post = li.publish(out("Annonce"))
    fan = linkedin.fan_comment(post.id, "Quand ?")
    activity = fan[len("urn:li:comment:("):].split(",")[0]
    url = f"https://www.linkedin.com/feed/update/{activity}/?commentUrn={quote(fan)}"
    remote = li.publish(out("Jeudi à 10 h (heure de Paris)", url))
    assert _li_comment_posts(linkedin) == [(
        f"/rest/socialActions/{quote(fan, safe='')}/comments",
        {"actor": linkedin.author, "object": activity, "parentComment": fan,
         "message": {"text": "Jeudi à 10 h (heure de Paris)"}})]
    [answer] = [c for c in linkedin.posts[0]["comments"] if c.get("parentComment") == fan]
    assert remote == Remote(answer["$URN"], f"https://www.linkedin.com/feed/update/{activity}"
                            f"?commentUrn={quote(answer['$URN'], safe='')}", {"target": fan})
    li.edit(Edit("ch", "r", 0, remote, "Jeudi à 11 h"))
    assert answer["message"]["text"] == "Jeudi à 11 h"
    assert li.live_text(Edit("ch", "r", 0, remote, "")) == "Jeudi à 11 h"
    li.delete(Withdrawal("ch", "r", 0, remote))
    assert [c["$URN"] for c in linkedin.posts[0]["comments"]] == [fan]
    delete = linkedin.requests[-1]
    assert (delete["method"], delete["path"]) == (
        "DELETE", f"/rest/socialActions/{quote(fan, safe='')}/comments/{answer['id']}")


def test_linkedin_answers_a_post_with_a_comment_on_it(linkedin: FakeLinkedIn,
                                                      li: LinkedInAdapter) -> None:
    post = li.publish(out("Annonce"))
    remote = li.publish(out("Précision : c'est gratuit",
                            f"https://www.linkedin.com/feed/update/{post.id}/"))
    assert _li_comment_posts(linkedin) == [(
        f"/rest/socialActions/{quote(post.id, safe='')}/comments",
        {"actor": linkedin.author, "object": post.id,
         "message": {"text": "Précision : c'est gratuit"}})]
    assert linkedin.comments() == [(post.id, "Précision : c'est gratuit")]
    assert remote.extra == {"target": post.id}
    number = post.id.rsplit(":", 1)[1]  # an activity URL: sent as it is (VERIFY in adapter)
    li.publish(out("Et accessible", f"https://www.linkedin.com/feed/update/"
                                    f"urn:li:activity:{number}"))
    assert _li_comment_posts(linkedin)[-1][0] == \
        f"/rest/socialActions/{quote(f'urn:li:activity:{number}', safe='')}/comments"
    assert linkedin.comments()[-1] == (post.id, "Et accessible")


def test_linkedin_puts_a_reply_s_first_comment_in_the_reply_s_conversation(
        linkedin: FakeLinkedIn, li: LinkedInAdapter) -> None:
    post = li.publish(out("Annonce"))
    on_post = li.publish(out("Précision", f"https://www.linkedin.com/feed/update/{post.id}"))
    note = li.publish(out("Source : cmops.dev", reply_to=on_post, root=on_post,
                          comment=True))
    assert _li_comment_posts(linkedin)[-1] == (
        f"/rest/socialActions/{quote(on_post.id, safe='')}/comments",
        {"actor": linkedin.author, "object": on_post.id[len("urn:li:comment:("):].split(
            ",")[0], "parentComment": on_post.id, "message": {"text": "Source : cmops.dev"}})
    assert note.extra == {"target": on_post.id}
    sent_at = datetime.now(UTC) - timedelta(seconds=1)
    assert li.reconcile(out("Source : cmops.dev", reply_to=on_post, root=on_post,
                            comment=True), sent_at, sent_at) == note
    fan = linkedin.fan_comment(post.id, "Quand ?")
    answer = li.publish(out("Jeudi", f"https://www.linkedin.com/feed/update/{post.id}"
                                     f"?commentUrn={quote(fan)}"))
    li.publish(out("Programme : cmops.dev", reply_to=answer, root=answer, comment=True))
    assert _li_comment_posts(linkedin)[-1][1]["parentComment"] == fan  # one level deep
    nested = [c["message"]["text"] for c in linkedin.posts[0]["comments"]
              if c.get("parentComment") == fan]
    assert nested == ["Jeudi", "Programme : cmops.dev"]


def test_linkedin_finds_an_unconfirmed_reply_and_knows_when_it_is_not_there(
        linkedin: FakeLinkedIn, li: LinkedInAdapter) -> None:
    post = li.publish(out("Annonce"))
    fan = linkedin.fan_comment(post.id, "Quand ?")
    url = f"https://www.linkedin.com/feed/update/{post.id}?commentUrn={quote(fan)}"
    sent_at = datetime.now(UTC)
    assert li.reconcile(out("Jeudi", url), sent_at, sent_at) is None
    remote = li.publish(out("Jeudi", url))
    assert li.reconcile(out("Jeudi", url), sent_at, sent_at + timedelta(seconds=5)) == remote


def test_linkedin_refuses_a_gone_or_unknown_message_naming_it(linkedin: FakeLinkedIn,
                                                              li: LinkedInAdapter) -> None:
    post = li.publish(out("Annonce"))
    fan = linkedin.fan_comment(post.id, "Quand ?")
    gone = fan.replace(",", ",9")
    url = f"https://www.linkedin.com/feed/update/{post.id}?commentUrn={quote(gone)}"
    with pytest.raises(Rejected) as caught:
        li.publish(out("Jeudi", url))
    assert str(caught.value) == (f"cannot answer {url}: HTTP 404: {gone} not found (deleted, "
                                 "or not visible to this account)")
    unknown = "https://www.linkedin.com/feed/update/urn:li:share:42"
    with pytest.raises(Rejected, match="^" + re.escape(f"cannot answer {unknown}: HTTP 404")):
        li.publish(out("Jeudi", unknown))
    with pytest.raises(Rejected, match="^" + re.escape(
            "cannot answer https://example.com/x: example.com is not linkedin")):
        li.publish(out("Jeudi", "https://example.com/x"))
    with pytest.raises(Rejected, match=r"ch \(linkedin\) answers with a comment, which takes "
                       "text only"):
        li.publish(out("Jeudi", unknown, media=(MediaFile(Path("a.png"), "a.png", None),)))
    assert linkedin.comments() == [(post.id, "Quand ?")]


def test_linkedin_reply_failures_are_transient_and_keep_the_token_out(
        linkedin: FakeLinkedIn, li: LinkedInAdapter) -> None:
    post = li.publish(out("Annonce"))
    fan = linkedin.fan_comment(post.id, "Quand ?")
    url = f"https://www.linkedin.com/feed/update/{post.id}?commentUrn={quote(fan)}"
    linkedin.edit_faults = ["503"]
    with pytest.raises(Transient) as failed:
        li.publish(out("Jeudi", url))
    assert failed.value.status == 503
    linkedin.edit_faults = ["429-retry-after"]
    with pytest.raises(Transient) as waited:
        li.publish(out("Jeudi", url))
    assert waited.value.retry_after == 30
    linkedin.edit_faults = ["echo"]
    with pytest.raises(Rejected) as echoed:
        li.publish(out("Jeudi", url))
    assert "HTTP 401" in str(echoed.value) and linkedin.token not in str(echoed.value)
    assert linkedin.comments() == [(post.id, "Quand ?")]


# -- Facebook ------------------------------------------------------------------------------
@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    with FakeGraph(account="123456789012345").running() as server:
        yield server


@pytest.fixture
def fb(graph: FakeGraph, tmp_path: Path) -> Iterator[FacebookAdapter]:
    adapter = FacebookAdapter(ctx("facebook", {"server": graph.url, "account": graph.account},
                                  {"page_token": graph.token}, tmp_path))
    yield adapter
    adapter.close()


def _fb_comment_posts(fake: FakeGraph) -> list[tuple[str, dict[str, list[str]]]]:
    return [(r["path"], parse_qs(r["body"].decode())) for r in fake.requests
            if r["method"] == "POST" and r["path"].endswith("/comments")]


def test_facebook_answers_a_comment_with_a_comment_reply(graph: FakeGraph,
                                                         fb: FacebookAdapter) -> None:
    post = fb.publish(out("Annonce"))
    number = post.id.split("_")[1]
    fan = graph.fan_comment(post.id, "Quand ?")
    url = f"https://www.facebook.com/cmops/posts/{number}?comment_id={fan.split('_')[1]}"
    remote = fb.publish(out("Jeudi (10 h)", url))
    assert _fb_comment_posts(graph) == [(f"/v23.0/{fan}/comments", {
        "message": ["Jeudi (10 h)"], "access_token": [graph.token]})]
    [answer] = [c for c in graph.posts[0]["comments"] if c.get("parent") == fan]
    assert remote == Remote(answer["id"], url, {"answers": fan})
    fb.edit(Edit("ch", "r", 0, remote, "Jeudi (11 h)"))
    assert answer["message"] == "Jeudi (11 h)"
    fb.delete(Withdrawal("ch", "r", 0, remote))
    assert graph.comments() == [(post.id, "Quand ?")]


def test_facebook_puts_a_reply_s_first_comment_under_the_reply(graph: FakeGraph,
                                                             fb: FacebookAdapter) -> None:
    post = fb.publish(out("Annonce"))
    answer = fb.publish(out("Précision", f"https://www.facebook.com/cmops/posts/"
                                         f"{post.id.split('_')[1]}"))
    note = fb.publish(out("Source : cmops.dev", reply_to=answer, root=answer, comment=True))
    assert _fb_comment_posts(graph)[-1] == (f"/v23.0/{answer.id}/comments", {
        "message": ["Source : cmops.dev"], "access_token": [graph.token]})
    [made] = [c for c in graph.posts[0]["comments"] if c.get("parent") == answer.id]
    assert made["id"] == note.id and made["message"] == "Source : cmops.dev"


def test_facebook_answers_a_post_with_a_comment_on_it(graph: FakeGraph,
                                                      fb: FacebookAdapter) -> None:
    post = fb.publish(out("Annonce"))
    number = post.id.split("_")[1]
    for url in (f"https://www.facebook.com/cmops/posts/{number}",
                f"https://www.facebook.com/permalink.php?story_fbid={number}&id=1"):
        fb.publish(out("Précision", url))
    assert [p for p, _ in _fb_comment_posts(graph)] == [f"/v23.0/{post.id}/comments"] * 2
    assert graph.comments() == [(post.id, "Précision")] * 2


def test_facebook_finds_an_unconfirmed_reply_and_knows_when_it_is_not_there(
        graph: FakeGraph, fb: FacebookAdapter) -> None:
    post = fb.publish(out("Annonce"))
    fan = graph.fan_comment(post.id, "Quand ?")
    url = f"https://www.facebook.com/cmops/posts/{post.id.split('_')[1]}?comment_id=" \
          f"{fan.split('_')[1]}"
    sent_at = datetime.now(UTC)
    assert fb.reconcile(out("Jeudi", url), sent_at, sent_at) is None
    remote = fb.publish(out("Jeudi", url))
    assert fb.reconcile(out("Jeudi", url), sent_at, sent_at) == remote
    read = graph.requests[-1]
    assert (read["method"], read["path"], read["query"]["filter"]) == (
        "GET", f"/v23.0/{fan}/comments", ["stream"])


def test_facebook_refuses_a_gone_or_unmappable_message_naming_it(graph: FakeGraph,
                                                                 fb: FacebookAdapter) -> None:
    post = fb.publish(out("Annonce"))
    number = post.id.split("_")[1]
    gone = f"https://www.facebook.com/cmops/posts/{number}?comment_id=777"
    with pytest.raises(Rejected) as caught:
        fb.publish(out("Jeudi", gone))
    assert str(caught.value).startswith(f"cannot answer {gone}: HTTP 400: (#100) Object with "
                                        f"ID '{number}_777' does not exist")
    assert str(caught.value).endswith("(deleted, hidden, or not on this channel's Page)")
    fb.delete(Withdrawal("ch", "p", 0, post))
    with pytest.raises(Rejected, match="^" + re.escape(
            "cannot answer https://www.facebook.com/cmops/posts/")):
        fb.publish(out("Jeudi", f"https://www.facebook.com/cmops/posts/{number}"))
    asked = len(graph.requests)
    pfbid = "https://www.facebook.com/cmops/posts/pfbid02abcDEF"
    with pytest.raises(Rejected) as unmappable:
        fb.publish(out("Jeudi", pfbid))
    assert str(unmappable.value).startswith(f"cannot answer {pfbid}: 'pfbid02abcDEF' is not "
                                            "a numeric post id")
    assert len(graph.requests) == asked, "nothing asked of Graph"


def test_facebook_reply_failures_are_transient_and_keep_the_token_out(
        graph: FakeGraph, fb: FacebookAdapter) -> None:
    post = fb.publish(out("Annonce"))
    fan = graph.fan_comment(post.id, "Quand ?")
    url = f"https://www.facebook.com/cmops/posts/{post.id.split('_')[1]}?comment_id=" \
          f"{fan.split('_')[1]}"
    graph.edit_faults = ["500"]
    with pytest.raises(Transient):
        fb.publish(out("Jeudi", url))
    graph.edit_faults = ["429"]
    with pytest.raises(Transient) as waited:
        fb.publish(out("Jeudi", url))
    assert waited.value.retry_after == 60
    graph.edit_faults = ["echo"]
    with pytest.raises(Rejected) as echoed:
        fb.publish(out("Jeudi", url))
    assert "(#100)" in str(echoed.value) and graph.token not in str(echoed.value)
    assert graph.comments() == [(post.id, "Quand ?")]
