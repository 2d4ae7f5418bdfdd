"""``first_comment:``: the account's own first comment under a post, one more part of the
ledger record. Validation (refused where the network has no comments, variants override or
drop it), the rendered item and the plan, and publishing: a self-reply to the main post on
Bluesky and Mastodon (even under a thread), the comments endpoints of Instagram, Facebook and
LinkedIn against their strict fakes, the outbox, and a crash between post and comment."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.graph import FakeGraph
from tests.fakes.linkedin import FakeLinkedIn
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import TOKEN, Clock, record, states
from tests.report_content import generate_site

from cmops.adapters import ChannelContext, Outgoing, Rejected, Remote
from cmops.adapters.facebook import FacebookAdapter
from cmops.adapters.instagram import InstagramAdapter
from cmops.adapters.linkedin import LinkedInAdapter
from cmops.plan import build_plan
from cmops.planview import PlanView, as_json, as_markdown, as_text
from cmops.publish import Options, Publisher, Report, adapter_factory
from cmops.render import render
from cmops.retry import Backoff
from cmops.secrets import Redactor
from cmops.stores.local import LocalStore
from cmops.validate import load_calendar

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
BSKY_PASSWORD = "bsky-app-pass-canary-31"


def channels(root: Path, masto: str = "https://mastodon.example",
             bsky: str = "https://bsky.example") -> None:
    (root / "calendar/channels.yaml").write_text(
        "timezone: UTC\nchannels:\n  news:\n    network: outbox\n"
        f"  masto:\n    network: mastodon\n    server: {masto}\n"
        "    secrets: {token: MASTO_TOKEN}\n"
        f"  bsky:\n    network: bluesky\n    server: {bsky}\n"
        "    secrets: {identifier: BSKY_ID, password: BSKY_PASSWORD}\n"
        "  tg:\n    network: telegram\n    chat_id: '@brand'\n"
        "    secrets: {token: TG_TOKEN}\n", "utf-8")


def write(root: Path, pid: str, body: str, chans: str = "[news]") -> None:
    (root / f"calendar/posts/{pid}.yaml").write_text(
        f"id: {pid}\nstatus: ready\nchannels: {chans}\npublish_at: 2026-11-24T08:59\n"
        f"text: Hello from {pid}\n{body}", "utf-8")


def run(root: Path, now: datetime = NOW, env: dict[str, str] | None = None) -> Report:
    calendar, report = load_calendar(root, use_cache=False)
    assert report.ok, [p.message for p in report.problems]
    clock = Clock()
    store = LocalStore(root / ".cmops/state")
    factory = adapter_factory(root, calendar, Redactor(), env or {})
    try:
        return Publisher(root, calendar, store, factory,
                         Options(now, backoff=Backoff(base=1, cap=8, attempts=3)),
                         clock=clock, sleep=clock.sleep).run()
    finally:
        store.close()
        factory.close()


# -- validation ----------------------------------------------------------------------------

def test_accepted_where_the_network_takes_it(repo: Path) -> None:
    channels(repo)
    write(repo, "a", "first_comment: Sources in the comments\n", "[news, masto, bsky]")
    _, report = load_calendar(repo, use_cache=False)
    assert [p.message for p in report.problems if p.file.endswith("a.yaml")] == []


def test_refused_on_telegram_naming_file_line_and_field(repo: Path) -> None:
    channels(repo)
    write(repo, "a", "first_comment: Sources below\n", "[news, tg]")
    _, report = load_calendar(repo, use_cache=False)
    found = [p for p in report.problems if p.rule == "first-comment.unsupported"]
    assert len(found) == 1
    problem = found[0]
    assert (problem.file, problem.line, problem.path) == ("calendar/posts/a.yaml", 6,
                                                          "first_comment")
    assert problem.message == 'tg (telegram) takes no first comment: add a variant for ' \
        'telegram or tg with first_comment: ""'
    assert not report.ok


def test_a_variant_drops_it_where_the_network_has_none(repo: Path) -> None:
    channels(repo)
    write(repo, "a", "first_comment: Sources below\nvariants:\n  telegram:\n"
          "    first_comment: ''\n", "[news, tg]")
    calendar, report = load_calendar(repo, use_cache=False)
    assert [p.rule for p in report.problems if p.file.endswith("a.yaml")] == []
    post = next(p for p in calendar.posts if p.id == "a")
    assert render(post, "tg", calendar).comment is None
    assert render(post, "news", calendar).comment is not None


def test_a_too_long_comment_is_measured_like_a_thread_part(repo: Path) -> None:
    channels(repo)
    write(repo, "a", "variants:\n  mastodon:\n    first_comment: " + "x" * 501 + "\n",
          "[news, masto]")
    _, report = load_calendar(repo, use_cache=False)
    found = [p for p in report.problems if p.rule == "text.too-long"]
    assert [(p.path, p.message) for p in found] == [
        ("variants.mastodon.first_comment", "501/500 characters on masto (first comment)")]


def test_the_schema_refuses_an_empty_comment_on_the_post(repo: Path) -> None:
    channels(repo)
    write(repo, "a", "first_comment: ''\n")
    _, report = load_calendar(repo, use_cache=False)
    assert any(p.path == "first_comment" for p in report.problems)


# -- render and plan -------------------------------------------------------------------------

def test_render_puts_it_last_with_its_own_kind_and_utm(repo: Path) -> None:
    channels(repo)
    (repo / "calendar/campaigns/nov.yaml").write_text(
        "id: nov\nname: November\nstart: 2026-11-01\nend: 2026-11-30\n"
        "utm: {source: '{network}'}\n", "utf-8")
    write(repo, "a", "campaign: nov\nthread:\n  - text: part two\n"
          "first_comment: Read https://example.org/a\n"
          "variants:\n  masto:\n    first_comment: On Mastodon https://example.org/m\n",
          "[news, masto]")
    calendar, _ = load_calendar(repo, use_cache=False)
    post = next(p for p in calendar.posts if p.id == "a")
    news = render(post, "news", calendar)
    assert [p.kind for p in news.parts] == ["post", "post", "comment"]
    assert len(news.posts) == 2
    assert news.comment is not None
    assert news.comment.text.startswith("Read https://example.org/a?utm_")
    masto = render(post, "masto", calendar)
    assert masto.comment is not None and masto.comment.text.startswith(
        "On Mastodon https://example.org/m?utm_")


def test_the_plan_shows_it_under_the_post(repo: Path) -> None:
    channels(repo)
    write(repo, "a", "first_comment: Sources below\n", "[masto]")
    calendar, _ = load_calendar(repo, use_cache=False)
    plan = build_plan(calendar, NOW)
    items = [i for i in plan.items if i.post.id == "a"]
    from cmops.cli.common import measurer
    view = PlanView(plan, calendar, items, None, None, measurer=measurer())
    text = as_text(view)
    assert "first comment 13/500 characters" in text
    assert "      │ [first comment]\n      │ Sources below" in text
    assert "First comment:\n\n```text\nSources below\n```" in as_markdown(view)
    parts = json.loads(as_json(view))["items"][0]["parts"]
    assert [(p["kind"], p["text"]) for p in parts] == [("post", "Hello from a"),
                                                       ("comment", "Sources below")]


def test_the_site_shows_it_under_the_post(repo: Path) -> None:
    channels(repo)
    write(repo, "a", "first_comment: Sources below\n", "[masto]")
    site = generate_site(repo, NOW)
    page = next(text.decode() for name, text in site.files.items()
                if name.startswith("posts/") and b"Sources below" in text)
    assert re.search(r'<p class="cm-part">First comment</p>.*Sources below', page, re.S)
    assert "Part 1" not in page
    data = json.loads(site.files["data/calendar.json"])
    post = next(p for p in data["posts"] if p["id"] == "a")
    assert [(p["kind"], p["text"]) for p in post["renders"][0]["parts"]] == [
        ("post", "Hello from a"), ("comment", "Sources below")]


# -- publishing: outbox, Mastodon, Bluesky ---------------------------------------------------

def test_outbox_writes_the_comment_as_a_reply_to_the_post(repo: Path) -> None:
    channels(repo)
    write(repo, "a", "thread:\n  - text: part two\nfirst_comment: Sources below\n")
    report = run(repo)
    assert states(report) == {"a/news": "published"}
    rec = record(repo, "a/news")
    assert [p["state"] for p in rec["parts"]] == ["published"] * 3
    files = {p["remote_id"]: json.loads((repo / p["url"]).read_text()) for p in rec["parts"]}
    root, second, comment = (files[p["remote_id"]] for p in rec["parts"])
    assert (comment["text"], comment["comment"]) == ("Sources below", True)
    assert comment["in_reply_to"] == rec["parts"][0]["remote_id"]
    assert second["in_reply_to"] == rec["parts"][0]["remote_id"]
    assert (root["comment"], second["comment"]) == (False, False)
    assert comment["parts"] == 2  # the post's messages; the comment comes after them


@pytest.fixture
def masto() -> Iterator[FakeMastodon]:
    with FakeMastodon(TOKEN).running() as server:
        yield server


def test_mastodon_self_reply_answers_the_main_post_even_under_a_thread(
        repo: Path, masto: FakeMastodon) -> None:
    channels(repo, masto=masto.url)
    write(repo, "a", "thread:\n  - text: part two\n  - text: part three\n"
          "first_comment: Sources below\n", "[masto]")
    report = run(repo, env={"MASTO_TOKEN": TOKEN})
    assert states(report) == {"a/masto": "published"}
    by_text = {s["content"]: s for s in masto.statuses}
    assert list(by_text) == ["Hello from a", "part two", "part three", "Sources below"]
    assert by_text["part three"]["in_reply_to_id"] == by_text["part two"]["id"]
    assert by_text["Sources below"]["in_reply_to_id"] == by_text["Hello from a"]["id"]
    rec = record(repo, "a/masto")
    assert rec["parts"][3]["remote_id"] == by_text["Sources below"]["id"]
    again = run(repo, NOW + timedelta(minutes=10), env={"MASTO_TOKEN": TOKEN})
    assert again.outcomes == [] and len(masto.statuses) == 4


def test_bluesky_self_reply_has_the_main_post_as_root_and_parent(repo: Path) -> None:
    with FakeBluesky(password=BSKY_PASSWORD).running() as bsky:
        channels(repo, bsky=bsky.url)
        write(repo, "a", "thread:\n  - text: part two\nfirst_comment: Sources below\n", "[bsky]")
        report = run(repo, env={"BSKY_ID": bsky.handle, "BSKY_PASSWORD": BSKY_PASSWORD})
        assert states(report) == {"a/bsky": "published"}
        records = list(bsky.records.values())
        assert [r["value"]["text"] for r in records] == ["Hello from a", "part two",
                                                          "Sources below"]
        main = {"uri": records[0]["uri"], "cid": records[0]["cid"]}
        assert records[1]["value"]["reply"] == {"root": main, "parent": main}
        assert records[2]["value"]["reply"] == {"root": main, "parent": main}


# -- a crash between the post and its comment ------------------------------------------------

def publish_process(root: Path, crash: str | None, masto: FakeMastodon
                    ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CMOPS_")}
    env["MASTO_TOKEN"] = TOKEN
    if crash:
        env["CMOPS_CRASH_AT"] = crash
    return subprocess.run([sys.executable, "-m", "cmops", "--root", str(root), "publish",
                           "--at", "2026-11-24T09:00Z", "--format", "json"], env=env,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("crash", ["before-intent:2", "after-send:1", "after-send:2"])
def test_a_crash_between_post_and_comment_resumes_with_the_comment_only(
        repo: Path, masto: FakeMastodon, crash: str) -> None:
    channels(repo, masto=masto.url)
    write(repo, "a", "first_comment: Sources below\n", "[masto]")
    killed = publish_process(repo, crash, masto)
    assert killed.returncode == -9, killed.stderr
    assert masto.texts()[0] == "Hello from a"
    again = publish_process(repo, None, masto)
    assert again.returncode == 0, again.stdout + again.stderr
    assert masto.texts() == ["Hello from a", "Sources below"]
    assert masto.statuses[1]["in_reply_to_id"] == masto.statuses[0]["id"]
    rec = record(repo, "a/masto")
    assert rec["state"] == "published"
    assert [p["remote_id"] for p in rec["parts"]] == [s["id"] for s in masto.statuses]


# -- Instagram, Facebook, LinkedIn: the comments endpoints -----------------------------------

def context(network: str, server: str, settings: dict[str, Any], secrets: dict[str, str],
            tmp_path: Path) -> ChannelContext:
    redactor = Redactor()
    for value in secrets.values():
        redactor.add(value)
    return ChannelContext("ch", network, {"network": network, "server": server, **settings},
                          secrets, tmp_path, redactor, timeout=5.0)


def comment(reply_to: Remote, text: str = "Sources below") -> Outgoing:
    return Outgoing("p/ch", "p", "ch", 1, 1, text, "p/ch#1", reply_to=reply_to, root=reply_to,
                    published_at=NOW, comment=True)


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    with FakeGraph().running() as server:
        yield server


def test_instagram_comments_under_its_media(graph: FakeGraph, tmp_path: Path) -> None:
    adapter = InstagramAdapter(context("instagram", graph.url, {"account": graph.account},
                                       {"token": graph.token}, tmp_path))
    try:
        media = graph._publish(caption="Hello", at=NOW)
        sent = comment(Remote(media["id"], "https://www.instagram.com/p/C1/"))
        assert adapter.reconcile(sent, NOW, NOW) is None  # not there: safe to send
        remote = adapter.publish(sent)
        assert graph.comments() == [(media["id"], "Sources below")]
        found = adapter.reconcile(sent, datetime.now(UTC), datetime.now(UTC))
        assert found is not None and found.id == remote.id
        with pytest.raises(Rejected, match="does not exist"):
            adapter.publish(comment(Remote("999", None)))
    finally:
        adapter.close()


def test_facebook_comments_as_the_page(graph: FakeGraph, tmp_path: Path) -> None:
    adapter = FacebookAdapter(context("facebook", graph.url, {"account": graph.account},
                                      {"page_token": graph.token}, tmp_path))
    try:
        post = adapter.publish(Outgoing("p/ch", "p", "ch", 0, 1, "Hello", "p/ch#0",
                                        published_at=NOW))
        sent = comment(post)
        remote = adapter.publish(sent)
        assert graph.comments() == [(post.id, "Sources below")]
        # a comment's id is {post}_{comment}, the post's own id without the page's prefix
        # (developers.facebook.com/docs/graph-api/reference/comment)
        assert remote.id.startswith(post.id.partition("_")[2] + "_")
        found = adapter.reconcile(sent, datetime.now(UTC), datetime.now(UTC))
        assert found is not None and found.id == remote.id
        assert adapter.reconcile(comment(post, "never sent"), datetime.now(UTC),
                                 datetime.now(UTC)) is None
        with pytest.raises(Rejected, match="message is required"):
            adapter.publish(comment(post, " "))
    finally:
        adapter.close()


def test_linkedin_comments_through_social_actions(tmp_path: Path) -> None:
    with FakeLinkedIn().running() as fake:
        adapter = LinkedInAdapter(context("linkedin", fake.url, {"account": fake.author},
                                          {"token": fake.token}, tmp_path))
        try:
            post = adapter.publish(Outgoing("p/ch", "p", "ch", 0, 1, "Hello", "p/ch#0",
                                            published_at=NOW))
            sent = comment(post, "Sources: see (below)")
            assert adapter.reconcile(sent, NOW, NOW) is None
            remote = adapter.publish(sent)
            assert fake.comments() == [(post.id, "Sources: see (below)")]  # plain text
            assert remote.id.startswith("urn:li:comment:(urn:li:activity:")
            found = adapter.reconcile(sent, datetime.now(UTC), datetime.now(UTC))
            assert found is not None and found.id == remote.id
            with pytest.raises(Rejected, match="not found"):
                adapter.publish(comment(Remote("urn:li:share:1", None)))
        finally:
            adapter.close()


def test_the_publisher_refuses_a_comment_where_the_network_has_none(tmp_path: Path) -> None:
    from cmops.adapters.base import refuse_unsendable
    from cmops.text.limits import NETWORKS
    with pytest.raises(Rejected, match=r"tg \(telegram\) takes no first comment"):
        refuse_unsendable(NETWORKS["telegram"], Outgoing(
            "p/tg", "p", "tg", 1, 1, "x", "k", reply_to=Remote("1"), comment=True))
    refuse_unsendable(NETWORKS["linkedin"], Outgoing(
        "p/li", "p", "li", 1, 1, "x", "k", reply_to=Remote("1"), comment=True))
