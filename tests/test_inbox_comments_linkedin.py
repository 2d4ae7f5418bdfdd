"""The LinkedIn inbox (issue 19): the comments people leave under the organization's recent
posts, read against the strict loopback LinkedIn: each one's URL answerable by ``cmops reply``
(and answered by the adapter, nested under that comment), the organization's own comments left
out, the cursor respected, a bounded number of requests, a token without
``r_organization_social`` recorded as unavailable with no token in it; and one comment carried
by ``cmops collect`` into the collected inbox that ``cmops inbox`` lists."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from tests.conftest import Runner
from tests.fakes.linkedin import FakeLinkedIn

from cmops.adapters import ChannelContext, Outgoing, Transient
from cmops.adapters.linkedin import LinkedInAdapter
from cmops.adapters.linkedin_read import INBOX_COMMENTS, INBOX_POSTS
from cmops.ledger import PartRecord, PartState, Record, RecordState
from cmops.replyto import parse
from cmops.secrets import Redactor
from cmops.stores.local import LocalStore

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
FAN = "urn:li:person:fan0001"


@pytest.fixture
def fake() -> Iterator[FakeLinkedIn]:
    with FakeLinkedIn().running() as server:
        yield server


@pytest.fixture
def adapter(fake: FakeLinkedIn, tmp_path: Path) -> Iterator[LinkedInAdapter]:
    a = LinkedInAdapter(ChannelContext(
        "li", "linkedin", {"network": "linkedin", "server": fake.url, "account": fake.author},
        {"token": fake.token}, tmp_path, Redactor(), timeout=5.0))
    yield a
    a.close()


def at(fake: FakeLinkedIn, minutes: int) -> datetime:
    """Sets the fake's clock ``minutes`` after T0: what is made next is stamped then."""
    when = T0 + timedelta(minutes=minutes)
    fake.clock = when.timestamp
    return when


def post(fake: FakeLinkedIn, text: str, minutes: int) -> str:
    at(fake, minutes)
    urn: str = fake.add({"author": fake.author, "commentary": text})["id"]
    return urn


def comment_url(post_urn: str, comment_urn: str) -> str:
    return (f"https://www.linkedin.com/feed/update/{post_urn}/"
            f"?commentUrn={quote(comment_urn, safe='')}")


def gets(fake: FakeLinkedIn) -> list[str]:
    return [r["path"] for r in fake.requests if r["method"] == "GET"]


def test_reads_people_comments_under_the_organization_posts(
        adapter: LinkedInAdapter, fake: FakeLinkedIn) -> None:
    launch, quiet = post(fake, "Launch", 0), post(fake, "Quiet", 5)
    at(fake, 20)
    question = fake.fan_comment(launch, "Il sort quand ?")
    at(fake, 25)
    own = fake.fan_comment(launch, "Demain !", actor=fake.author)
    at(fake, 40)
    other = fake.fan_comment(launch, "Super", actor="urn:li:person:Zed42")
    items, cursor = adapter.inbox(None)
    assert [(i.id, i.kind, i.author.handle, i.text, i.received_at, i.in_reply_to, i.url)
            for i in items] == [
        (question, "reply", FAN, "Il sort quand ?", T0 + timedelta(minutes=20), launch,
         comment_url(launch, question)),
        (other, "reply", "urn:li:person:Zed42", "Super", T0 + timedelta(minutes=40), launch,
         comment_url(launch, other))]
    assert own not in {i.id for i in items}
    assert cursor == str(int((T0 + timedelta(minutes=40)).timestamp() * 1000))
    assert gets(fake) == ["/rest/posts", f"/rest/socialActions/{quote(quiet, safe='')}/"
                          "comments", f"/rest/socialActions/{quote(launch, safe='')}/comments"]
    finder = fake.requests[0]["query"]
    assert (finder["q"], finder["author"], finder["count"]) == (
        ["author"], [fake.author], [str(INBOX_POSTS)])
    assert fake.requests[1]["query"] == {"start": ["0"], "count": [str(INBOX_COMMENTS)]}
    # the next run gives only what came since
    at(fake, 50)
    late = fake.fan_comment(quiet, "Et en Belgique ?")
    later, cursor2 = adapter.inbox(cursor)
    assert [(i.id, i.in_reply_to) for i in later] == [(late, quiet)]
    assert adapter.inbox(cursor2) == ([], cursor2)
    assert adapter.unavailable == {}


def test_the_url_is_one_cmops_reply_answers_nested_under_the_comment(
        adapter: LinkedInAdapter, fake: FakeLinkedIn, tmp_path: Path) -> None:
    launch = post(fake, "Launch", 0)
    at(fake, 20)
    question = fake.fan_comment(launch, "Il sort quand ?")
    [item] = adapter.inbox(None)[0]
    assert item.url is not None
    target = parse("linkedin", item.url)
    assert (target.id, target.post, target.comment) == (question, launch, True)
    at(fake, 30)
    remote = adapter.publish(Outgoing("answer/li", "answer", "li", 0, 1, "Demain, à 9 h.",
                                      "answer/li#0", reply_url=item.url))
    [answer] = [c for c in fake.posts[0]["comments"] if c["actor"] == fake.author]
    assert (answer["parentComment"], answer["message"]["text"]) == (question,
                                                                   "Demain, à 9 h.")
    assert remote.id == answer["$URN"]
    # the answer is the organization's own: not in the inbox on the next run
    assert adapter.inbox(None)[0] == [item]


def test_reads_are_bounded(adapter: LinkedInAdapter, fake: FakeLinkedIn) -> None:
    urns = [post(fake, f"Post {n}", n) for n in range(INBOX_POSTS + 5)]
    oldest, newest = urns[0], urns[-1]
    at(fake, 60)
    for n in range(INBOX_COMMENTS + 5):
        fake.fan_comment(newest, f"Bravo {n}")
    fake.fan_comment(oldest, "Too old a post to be read")
    items, _ = adapter.inbox(None)
    assert len(fake.requests) == 1 + INBOX_POSTS
    assert [i.text for i in items] == [f"Bravo {n}" for n in range(INBOX_COMMENTS)]
    assert f"/rest/socialActions/{quote(oldest, safe='')}/comments" not in gets(fake)


def test_a_post_deleted_since_it_was_listed_has_none(adapter: LinkedInAdapter,
                                                     fake: FakeLinkedIn) -> None:
    launch, gone = post(fake, "Launch", 0), post(fake, "Gone", 5)
    at(fake, 20)
    fake.fan_comment(launch, "Il sort quand ?")
    fake.fan_comment(gone, "Vu")
    fake.read_faults = ["status:404"]  # the newest post, read first
    assert [i.text for i in adapter.inbox(None)[0]] == ["Il sort quand ?"]
    assert adapter.unavailable == {}


@pytest.mark.parametrize("fault", ["503", "429-retry-after"])
def test_a_server_failure_is_an_error_of_the_run_not_an_empty_inbox(
        adapter: LinkedInAdapter, fake: FakeLinkedIn, fault: str) -> None:
    post(fake, "Launch", 0)
    fake.read_faults = [fault]
    with pytest.raises(Transient):
        adapter.inbox("1")
    assert adapter.unavailable == {}


def test_without_permission_the_inbox_is_unavailable(adapter: LinkedInAdapter,
                                                    fake: FakeLinkedIn) -> None:
    launch = post(fake, "Launch", 0)
    at(fake, 20)
    fake.fan_comment(launch, "Il sort quand ?")
    fake.read_forbidden = True
    assert adapter.inbox("1764230400000") == ([], "1764230400000")
    why = adapter.unavailable["inbox"]
    assert why.startswith("LinkedIn: reading the comments on the posts needs "
                          "r_organization_social and an administrator of the page (")
    assert "403" in why and fake.token not in why


def test_comments_on_another_author_post_are_refused(adapter: LinkedInAdapter,
                                                     fake: FakeLinkedIn) -> None:
    at(fake, 0)
    stranger = fake.add({"author": "urn:li:organization:1", "commentary": "Not ours"})["id"]
    fake.fan_comment(stranger, "Hello")
    assert adapter.inbox(None) == ([], None)
    assert "r_organization_social" in adapter.unavailable["inbox"]


# -- cmops collect, then cmops inbox -----------------------------------------------------------
def test_a_linkedin_comment_reaches_the_collected_inbox(run: Runner, repo: Path,
                                                       fake: FakeLinkedIn) -> None:
    (repo / "calendar/channels.yaml").write_text(
        "timezone: Europe/Paris\nchannels:\n  news:\n    network: outbox\n"
        f"  li:\n    network: linkedin\n    account: \"{fake.author}\"\n"
        f"    server: {fake.url}\n    secrets:\n      token: LI_TOKEN\n", "utf-8")
    launch = post(fake, "Le nouveau Halo", 0)
    store = LocalStore(repo / ".cmops/state")
    store.save(Record("halo/li", "halo", "li", "linkedin", state=RecordState.PUBLISHED,
                      publish_at="2026-11-27T08:00:00Z",
                      parts=[PartRecord(PartState.PUBLISHED, "d", at="2026-11-27T08:00:00Z",
                                        remote_id=launch,
                                        url=f"https://www.linkedin.com/feed/update/{launch}/")]))
    at(fake, 30)
    comment = fake.fan_comment(launch, "Il sort quand ?")
    result = run("collect", "--at", "2026-11-27T09:00:00+00:00", "--format", "json",
                 root=repo, env={"LI_TOKEN": fake.token})
    assert result.exit_code == 0, result.output
    out: dict[str, Any] = json.loads(result.stdout)
    li = next(c for c in out["channels"] if c["channel"] == "li")
    assert li["new_items"] == 1 and "inbox" not in li["unavailable"]
    stored = json.loads((repo / ".cmops/state/inbox/2026-11-27-li.json").read_text("utf-8"))
    url = comment_url(launch, comment)
    [item] = stored["items"]
    assert (item["id"], item["kind"], item["url"], item["in_reply_to"], item["post"]) == (
        f"li:{comment}", "reply", url, launch, "halo")
    assert fake.token not in result.stdout
    listed = run("inbox", root=repo)
    assert listed.exit_code == 0, listed.output
    assert listed.stdout.splitlines()[:2] == [
        f"2026-11-27 08:30Z  li  reply  {FAN}  {url}", "    Il sort quand ?"]
