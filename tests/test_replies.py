"""Replies through review: a post with ``reply_to: URL`` answers that message on its one
channel. Validation (one channel, a network that takes replies, a URL of that network, text
only where the reply is a comment), the plan (due with the next run when it has no
publish_at, then published at the time it went out), and the publisher handing the URL to the
adapter (the outbox records it), refused before sending where the network takes no replies.

The adapters' own replies are tested against their fakes in tests/test_reply_adapters*.py and
on the real PDS in tests/test_pds_reply.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.helpers import cal, plan_post, states

from cmops.adapters import ChannelContext, Outgoing, Rejected
from cmops.adapters.base import refuse_unsendable
from cmops.adapters.outbox import OutboxAdapter
from cmops.plan import Recorded, State, build_plan
from cmops.publish import Options, Publisher, Report
from cmops.replyto import BadReplyUrl, parse
from cmops.secrets import Redactor
from cmops.stores.local import LocalStore
from cmops.text.limits import NETWORKS
from cmops.validate import load_calendar

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
URL = "https://bsky.app/profile/fan.example/post/3kzq"


def write(root: Path, pid: str, body: str) -> None:
    (root / f"calendar/posts/{pid}.yaml").write_text(f"id: {pid}\n{body}", "utf-8")


def problems(root: Path) -> list[tuple[str, str, str]]:
    _, report = load_calendar(root, use_cache=False)
    return [(p.rule, str(p.path), p.message) for p in report.problems
            if p.rule in ("post.reply-to", "media.reply", "post.publish-at", "media.required")]


# -- the URL, per network -------------------------------------------------------------------------

@pytest.mark.parametrize(("network", "url", "found"), [
    ("bluesky", URL, ("3kzq", "fan.example")),
    ("bluesky", "at://did:plc:abc123/app.bsky.feed.post/3kzq", ("3kzq", "did:plc:abc123")),
    ("mastodon", "https://mastodon.social/@fan/1123", ("1123", "fan")),
    ("mastodon", "https://m.example/@fan@other.example/99", ("99", "fan@other.example")),
    ("mastodon", "https://m.example/users/fan/statuses/99", ("99", "fan")),
    ("x", "https://twitter.com/fan/status/1800000000000000000?s=20",
     ("1800000000000000000", "fan")),
    ("x", "https://x.com/i/web/status/18", ("18", "")),
    ("telegram", "https://t.me/brandchannel/42", ("42", "brandchannel")),
    ("instagram", "https://www.instagram.com/p/Cx_1/c/17890/", ("17890", "")),
    ("facebook", "https://www.facebook.com/brand/posts/123_456?comment_id=789", ("789", "")),
])
def test_reply_urls_per_network(network: str, url: str, found: tuple[str, str]) -> None:
    target = parse(network, url)
    assert (target.id, target.author) == found


@pytest.mark.parametrize(("network", "url", "says"), [
    ("bluesky", "https://x.com/fan/status/1", "x.com is not bluesky"),
    ("x", "http://x.com/fan/status/1", "must be an https URL"),
    ("x", "https://x.com/fan", "not the URL of a x post or comment"),
    ("mastodon", "https://m.example/@fan/notanid", "not the URL of a mastodon post"),
    ("bluesky", "https://bsky.app/profile/fan/post/a b", "without spaces"),
    ("linkedin", "https://www.linkedin.com/feed/update/urn:li:activity:1/?commentUrn=evil",
     "not the URL of a linkedin post"),
    ("x", "https://x.com/" + "a" * 3000, "3014 characters long, more than the 2000"),
    ("x", "https://x.com/\x1b[2J/status/1", "visible ASCII"),
    ("mastodon", "https://m.example/@fan\u202e/1", "visible ASCII"),
])
def test_reply_urls_refused(network: str, url: str, says: str) -> None:
    with pytest.raises(BadReplyUrl, match=says):
        parse(network, url)


# -- validation ---------------------------------------------------------------------------------

def test_a_reply_needs_no_publish_at_and_one_channel(repo: Path) -> None:
    write(repo, "r", f"status: ready\nchannels: [bsky]\nreply_to: {URL}\ntext: Thanks!\n")
    assert problems(repo) == []
    write(repo, "r", f"status: ready\nchannels: [bsky, news]\nreply_to: {URL}\ntext: Hi\n")
    assert [(r, f) for r, f, _ in problems(repo)] == [("post.reply-to", "channels")]
    write(repo, "r", "status: ready\nchannels: [masto]\nreply_to: https://x.com/a/status/1\n"
          "text: Hi\n")
    [(rule, field, message)] = problems(repo)
    assert (rule, field) == ("post.reply-to", "reply_to")
    assert message.startswith("masto (mastodon): ") and "expected https://<instance>" in message
    # a draft is checked too: cmops reply writes drafts
    write(repo, "r", "status: draft\nchannels: [bsky]\nreply_to: https://bsky.app/x\ntext: Hi\n")
    assert [r for r, _, _ in problems(repo)] == ["post.reply-to"]
    # a ready post that is not a reply still needs a time
    write(repo, "r", "status: ready\nchannels: [bsky]\ntext: Hi\n")
    assert [r for r, _, _ in problems(repo)] == ["post.publish-at"]


def test_a_reply_repeats_never(repo: Path) -> None:
    write(repo, "r", f"status: ready\nchannels: [bsky]\nreply_to: {URL}\ntext: Hi\n"
          "publish_at: 2026-11-24T10:00\nrepeat:\n  every: 1d\n")
    assert [(r, f) for r, f, _ in problems(repo)] == [("post.reply-to", "repeat")]


def test_a_comment_reply_takes_text_only_and_needs_no_media(repo: Path) -> None:
    _, report = load_calendar(repo, use_cache=False)
    assert report.ok  # the example's insta channel is an Instagram one
    comment = "https://www.instagram.com/p/Cx_1/c/17890/"
    write(repo, "r", f"status: ready\nchannels: [insta]\nreply_to: {comment}\ntext: Merci\n")
    _, report = load_calendar(repo, use_cache=False)
    assert report.ok  # Instagram posts need media; its replies need none
    (repo / "calendar/media").mkdir(exist_ok=True)
    from PIL import Image
    Image.new("RGB", (64, 64), "red").save(repo / "calendar/media/r.jpg", "JPEG")
    write(repo, "r", f"status: ready\nchannels: [insta]\nreply_to: {comment}\ntext: Merci\n"
          "media:\n  - path: calendar/media/r.jpg\n    alt: a red square\n")
    assert [(r, f) for r, f, _ in problems(repo)] == [("media.reply", "media")]


def test_the_adapter_check_refuses_a_reply_where_there_are_none() -> None:
    out = Outgoing("r/hook", "r", "hook", 0, 1, "Hi", "d", reply_url=URL)
    with pytest.raises(Rejected, match=r"hook \(discord\) takes no replies from cmops"):
        refuse_unsendable(NETWORKS["discord"], out)
    refuse_unsendable(NETWORKS["bluesky"], out)  # bluesky takes them


# -- the plan -----------------------------------------------------------------------------------

def test_a_reply_without_publish_at_is_due_now_then_published_when_it_went_out() -> None:
    post = plan_post("r", None, ("bsky",), reply_to=URL)
    calendar = cal(post)
    [item] = build_plan(calendar, NOW).items
    assert (item.state, item.when) == (State.DUE, NOW)
    later = NOW + timedelta(days=3)  # never expires: it has no time to be late for
    assert build_plan(calendar, later).items[0].state is State.DUE
    sent = {"r/bsky": Recorded("published", "https://bsky.app/profile/me/post/1",
                               "2026-11-24T09:01:00Z")}
    [done] = build_plan(calendar, later, ledger=sent).items
    assert (done.state, done.when) == (State.PUBLISHED,
                                       datetime(2026, 11, 24, 9, 1, tzinfo=UTC))


def test_a_reply_is_held_by_a_pause_and_a_draft_is_not_planned() -> None:
    from cmops.model import Pause

    paused = cal(plan_post("r", None, ("bsky",), reply_to=URL),
                 pause=Pause(True, "storm", None, None, None))
    assert build_plan(paused, NOW).items[0].state is State.PAUSED
    draft = cal(plan_post("r", None, ("bsky",), reply_to=URL, status="draft"))
    assert build_plan(draft, NOW).items == []


# -- the publisher, through the outbox ------------------------------------------------------------

def run(root: Path, now: datetime) -> Report:
    calendar, report = load_calendar(root, use_cache=False)
    assert report.ok, [p.message for p in report.problems]
    store = LocalStore(root / ".cmops/state")

    def factory(channel: str) -> OutboxAdapter:
        ch = calendar.channels[channel]
        return OutboxAdapter(ChannelContext(channel, "outbox", ch.raw, {}, root, Redactor()))

    try:
        return Publisher(root, calendar, store, factory, Options(now)).run()
    finally:
        store.close()


def test_the_publisher_sends_a_reply_once_with_its_url(repo: Path) -> None:
    url = "https://example.org/forum/42"
    write(repo, "r", f"status: ready\nchannels: [news]\nreply_to: {url}\ntext: Thanks!\n"
          "first_comment: more below\n")
    assert states(run(repo, NOW)) == {"r/news": "published"}
    files = [json.loads(p.read_text("utf-8"))
             for p in (repo / ".cmops/outbox/news").glob("*.json")]
    by_part = {f["part"]: f for f in files}
    assert by_part[1]["reply_to"] == url and by_part[1]["text"] == "Thanks!"
    assert by_part[2]["reply_to"] is None and by_part[2]["comment"]  # its comment answers it
    assert run(repo, NOW + timedelta(hours=1)).outcomes == []


def test_the_review_shows_which_message_a_reply_answers() -> None:
    from cmops.planview import PlanView, as_json, as_markdown, as_text

    calendar = cal(plan_post("r", None, ("bsky",), reply_to=URL))
    plan = build_plan(calendar, NOW)
    view = PlanView(plan, calendar, plan.items, None, None)
    assert f"reply to {URL}" in as_text(view)
    assert "In reply to `https://bsky.app/profile/fan.example/post/3kzq`" in as_markdown(view)
    assert json.loads(as_json(view))["items"][0]["reply_to"] == URL
