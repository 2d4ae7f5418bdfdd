"""cmops inbox and cmops reply: the collected messages waiting for an answer, and reply post
files written for review (hostile message text never reaches the terminal or the YAML); the
site's inbox page marking messages answered by a published reply."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import Runner, json_out
from tests.report_content import (
    EVIL_AUTHOR,
    PRIVATE_DM,
    generate_site,
    make_content,
    page_text,
    published_record,
    write_file,
    write_record,
)

from cmops.yamlsafe import load_bytes

EVIL_NAME = 'Léa\x1b[31m\nid: "pwned"\nstatus: ready'
EVIL_TEXT = "Mon Halo\nne charge plus \x1b]0;pwned\x07 \x9b31m \u202eevil"
ITEMS = [
    {"id": "masto:113", "channel": "masto", "kind": "mention",
     "author": {"name": EVIL_NAME, "handle": "@lea@piaille.example"},
     "text": EVIL_TEXT, "url": "https://piaille.example/@lea/113",
     "received_at": "2026-11-24T06:00:00Z", "replied_at": None},
    {"id": "news:2", "channel": "news", "kind": "reply",
     "author": {"name": "Bob", "handle": "bob"}, "text": "Super " + "x" * 200,
     "url": "https://news.example/c/2", "received_at": "2026-11-24T07:00:00Z",
     "replied_at": None},
    {"id": "news:3", "channel": "news", "kind": "dm",
     "author": {"name": "Cid", "handle": "cid"}, "text": "my address",
     "url": "https://news.example/dm/3", "received_at": "2026-11-24T07:30:00Z",
     "replied_at": None},
    {"id": "news:4", "channel": "news", "kind": "mention",
     "author": {"name": "Dee", "handle": "dee"}, "text": "Thanks!",
     "url": "https://news.example/c/4", "received_at": "2026-11-24T05:00:00Z",
     "replied_at": None},
    {"id": "xch:186", "channel": "xch", "kind": "mention",
     "author": {"name": "Eve", "handle": "eve"}, "text": "Hello",
     "url": "https://twitter.com/eve/status/186", "received_at": "2026-11-23T09:00:00Z",
     "replied_at": "2026-11-23T09:45:00Z"},
]
THANKS = 'id: thanks\ntitle: "Thanks\\nid: injected"\ntext: "Merci {name} ({handle}), {order}"\n'


@pytest.fixture
def content(repo: Path) -> Path:
    write_file(repo / ".cmops/state/inbox/2026-11-24-all.json",
               json.dumps({"format": 1, "items": ITEMS}))
    write_file(repo / "calendar/replies/thanks.yaml", THANKS)
    return repo


def answer_dee(root: Path) -> None:
    """A reply post to news:4, published 2 h 05 min after it came in."""
    write_file(root / "calendar/posts/replies/thanks-dee.yaml",
               'id: thanks-dee\nstatus: ready\nchannels: [news]\n'
               'reply_to: "https://news.example/c/4"\ntext: "Merci Dee"\n')
    write_record(root / ".cmops/state", published_record(
        "thanks-dee/news", "outbox", ["https://news.example/ours/9"], "2026-11-24T07:05:00Z"))


def test_inbox_lists_unanswered_messages_newest_first_without_control_characters(
        run: Runner, content: Path) -> None:
    result = run("inbox", root=content)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "2026-11-24 07:30Z  news  dm  cid  https://news.example/dm/3",
        "    my address",
        "2026-11-24 07:00Z  news  reply  bob  https://news.example/c/2",
        "    Super " + "x" * 93 + "…",
        "2026-11-24 06:00Z  masto  mention  @lea@piaille.example  "
        "https://piaille.example/@lea/113",
        "    Mon Halo ne charge plus ]0;pwned 31m evil",
        "2026-11-24 05:00Z  news  mention  dee  https://news.example/c/4",
        "    Thanks!",
        "4 unanswered, 1 answered (--all lists them too). To answer one: cmops reply URL"]


def test_inbox_marks_drafted_and_published_replies(run: Runner, content: Path) -> None:
    answer_dee(content)
    assert run("reply", "https://news.example/c/2", "--text", "Merci", root=content
               ).exit_code == 0
    result = run("inbox", root=content)
    assert "news.example/c/4" not in result.stdout
    lines = result.stdout.splitlines()
    at = lines.index("2026-11-24 07:00Z  news  reply  bob  https://news.example/c/2")
    assert lines[at + 2] == ("    reply drafted: calendar/posts/replies/reply-bob-"
                             "de66e8ad.yaml (status draft)")
    assert lines[-1] == ("3 unanswered, 2 answered (--all lists them too). To answer one: "
                         "cmops reply URL")
    every = run("inbox", "--all", root=content).stdout.splitlines()
    at = every.index("2026-11-24 05:00Z  news  mention  dee  https://news.example/c/4")
    assert every[at + 2] == ("    answered in 2 h 05 min by calendar/posts/replies/"
                             "thanks-dee.yaml: https://news.example/ours/9")
    at = every.index("2026-11-23 09:00Z  xch  mention  eve  https://twitter.com/eve/status/186")
    assert every[at + 2] == "    answered in 45 min on the network"
    assert every[-1] == "3 unanswered, 2 answered. To answer one: cmops reply URL"


def test_inbox_filters(run: Runner, content: Path) -> None:
    def urls(*args: str) -> list[str]:
        data = json_out(run("inbox", "--format", "json", *args, root=content))
        return [m["url"] for m in data["messages"]]

    assert urls("--channel", "masto") == ["https://piaille.example/@lea/113"]
    assert urls("--network", "outbox", "--kind", "mention") == ["https://news.example/c/4"]
    assert urls("--kind", "dm", "--kind", "reply") == ["https://news.example/dm/3",
                                                      "https://news.example/c/2"]
    assert urls("--network", "x") == []
    assert urls("--network", "x", "--all") == ["https://twitter.com/eve/status/186"]
    bad = run("inbox", "--network", "myspace", root=content)
    assert bad.exit_code == 2 and "no channel of the calendar is on myspace" in bad.output
    unknown = run("inbox", "--channel", "nope", root=content)
    assert unknown.exit_code == 2 and "unknown channel(s): nope" in unknown.output


def test_inbox_json_has_the_documented_shape_in_ascii(run: Runner, content: Path) -> None:
    answer_dee(content)
    result = run("inbox", "--all", "--format", "json", "--kind", "mention", root=content)
    assert result.exit_code == 0
    assert result.stdout.isascii() and "\x1b" not in result.stdout
    data = json.loads(result.stdout)
    assert data["unanswered"] == 3 and data["answered"] == 2 and data["bad_files"] == []
    assert [m["id"] for m in data["messages"]] == ["masto:113", "news:4", "xch:186"]
    assert data["messages"][0]["text"] == EVIL_TEXT
    assert data["messages"][1] == {
        "id": "news:4", "channel": "news", "network": "outbox", "kind": "mention",
        "url": "https://news.example/c/4", "received_at": "2026-11-24T05:00:00Z",
        "author": {"name": "Dee", "handle": "dee", "url": None}, "text": "Thanks!",
        "state": "answered", "answered_at": "2026-11-24T07:05:00Z",
        "response_seconds": 7500,
        "answered_by": {"post": "thanks-dee", "channel": "news",
                        "url": "https://news.example/ours/9"},
        "replies": [{"post": "thanks-dee", "file": "calendar/posts/replies/thanks-dee.yaml",
                     "status": "ready", "channel": "news", "url": "https://news.example/ours/9",
                     "published_at": "2026-11-24T07:05:00Z"}]}
    assert data["messages"][2]["state"] == "answered"
    assert data["messages"][2]["answered_by"] is None
    assert data["messages"][2]["response_seconds"] == 2700


def test_an_empty_inbox_says_how_it_fills(run: Runner, repo: Path) -> None:
    result = run("inbox", root=repo)
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "The inbox is empty: cmops collect reads mentions, replies and messages into it."]


def test_reply_writes_a_draft_from_a_saved_reply(run: Runner, content: Path) -> None:
    result = run("reply", "https://news.example/c/2", "--saved", "thanks", root=content)
    assert result.exit_code == 0, result.output
    rel = "calendar/posts/replies/reply-bob-de66e8ad.yaml"
    assert result.stdout.splitlines() == [
        f"Wrote {rel} (status: draft, on news)",
        "Next: fill in {order} in its text.",
        "Then set status: ready and open a pull request; once it is merged, the next publish "
        "run sends the reply."]
    assert load_bytes((content / rel).read_bytes()) == {
        "id": "reply-bob-de66e8ad", "status": "draft", "channels": ["news"],
        "reply_to": "https://news.example/c/2", "text": "Merci Bob (bob), {order}"}
    assert run("validate", root=content).exit_code == 0
    again = run("reply", "https://news.example/c/2", "--text", "Merci !", root=content)
    assert again.exit_code == 0
    assert f"warning: {rel} already answers this message (status draft)" in again.stderr
    assert again.stdout.startswith("Wrote calendar/posts/replies/reply-bob-de66e8ad-2.yaml")
    assert load_bytes((content / rel).read_bytes())["text"] == "Merci Bob (bob), {order}"


def test_reply_keeps_hostile_names_out_of_the_yaml(run: Runner, content: Path) -> None:
    result = run("reply", "https://piaille.example/@lea/113", "--channel", "news",
                 root=content)
    assert result.exit_code == 0, result.output
    rel = "calendar/posts/replies/reply-lea-piaille-example-f90a3d65.yaml"
    assert result.stdout.splitlines()[:2] == [f"Wrote {rel} (status: draft, on news)",
                                              "Next: write the reply's text in it."]
    source = (content / rel).read_text("utf-8")
    assert "\x1b" not in source and "\x9b" not in source and "\u202e" not in source
    assert load_bytes(source.encode()) == {
        "id": "reply-lea-piaille-example-f90a3d65", "status": "draft", "channels": ["news"],
        "reply_to": "https://piaille.example/@lea/113", "text": ""}
    comments = [line for line in source.splitlines() if line.startswith("#")][1:]
    assert comments == [
        "# Answers @lea@piaille.example (mention, 2026-11-24 06:00Z):",
        "#   Mon Halo ne charge plus ]0;pwned 31m evil",
        "# Write the reply above, or start again from a saved reply (cmops reply URL "
        "--saved ID):",
        "#   thanks: Thanks id: injected"]
    filled = run("reply", "https://piaille.example/@lea/113", "--channel", "news",
                 "--saved", "thanks", root=content)
    written = filled.stdout.split()[1]
    assert load_bytes((content / written).read_bytes())["text"] == \
        'Merci Léa[31m id: "pwned" status: ready (@lea@piaille.example), {order}'


def test_reply_to_a_url_outside_the_inbox_needs_a_channel(run: Runner, content: Path) -> None:
    url = "https://elsewhere.example/post/7"
    refused = run("reply", url, root=content)
    assert refused.exit_code == 2
    assert (f"{url} is not in the collected inbox (cmops collect reads it; cmops inbox lists "
            "it): name the channel that answers it with --channel") in refused.stderr
    done = run("reply", url, "--channel", "news", "--text", "Bonjour", root=content)
    assert done.exit_code == 0
    written = done.stdout.split()[1]
    assert written.startswith("calendar/posts/replies/reply-outbox-")
    assert load_bytes((content / written).read_bytes())["reply_to"] == url


@pytest.mark.parametrize(("args", "error"), [
    (("https://x.com/eve/status/186", "--channel", "bsky"),
     "bsky is on bluesky: x.com is not bluesky: bluesky answers only its own posts' URLs, "
     "like https://bsky.app/profile/<handle>/post/<rkey>"),
    (("https://news.example/c/2", "--channel", "masto"),
     "masto is on mastodon: not the URL of a mastodon post or comment; expected "
     "https://<instance>/@<user>/<status id>"),
    (("ftp://news.example/c/9", "--channel", "news"), "news is on outbox: reply_to must be an "
     "https URL"),
    (("https://news.example/c/2", "--saved", "nope"),
     "no saved reply nope (saved replies: thanks)"),
    (("https://news.example/dm/3",), "that is a direct message: a reply post is public, so "
     "answer it in the network's app"),
    (("https://news.example/c/2", "--saved", "thanks", "--text", "x"),
     "give --saved or --text, not both"),
    (("https://news.example/c/2", "--channel", "fax"), "unknown channel fax"),
])
def test_reply_refuses_clearly(run: Runner, content: Path, args: tuple[str, ...],
                               error: str) -> None:
    result = run("reply", *args, root=content)
    assert result.exit_code == 2
    assert error in " ".join(result.stderr.split())
    assert not (content / "calendar/posts/replies").exists()


# -- the site's inbox page -------------------------------------------------------------------


def site_with_reply(tmp_path: Path, *, published: bool, reply_url: str) -> Any:
    """The report's content repository with a reply post answering its open mention (m2,
    hostile), published 1 h 05 min after it came in when ``published``."""
    root = make_content(tmp_path / "content")
    write_file(root / "calendar/posts/replies/answer-evil.yaml",
               'id: answer-evil\nstatus: ready\nchannels: [newsroom]\n'
               'reply_to: "https://bad.example/@evil/1"\ntext: "Bonjour"\n')
    if published:
        write_record(root / ".cmops/state", published_record(
            "answer-evil/newsroom", "outbox", [reply_url], "2026-11-24T07:05:00Z"))
    return generate_site(root)


def test_the_site_marks_a_message_answered_by_its_published_reply(tmp_path: Path) -> None:
    generated = site_with_reply(tmp_path, published=True,
                                reply_url="https://news.lumen-velo.example/r/1")
    page = page_text(generated, "inbox/index.md")
    unanswered, _, rest = page.partition('<table class="cm-answered')
    assert "bad.example/@evil/1" not in unanswered  # no longer waiting
    assert unanswered.count('<tr class="cm-s-open">') == 1  # the DM (m3) still waits
    assert "cm-s-negative" not in unanswered
    assert html.unescape(page).index("Unanswered") < html.unescape(page).index(
        "Answered (last 30 days)")
    rows = re.findall(r'<tr class="cm-s-answered">(.*?)</tr>', rest)
    assert len(rows) == 2  # the mention (our reply) and the DM (answered in the app)
    mention, dm = rows
    assert '<td class="cm-num">1h05</td>' in mention
    assert 'href="https&#58;//news.lumen-velo.example/r/1"' in mention
    assert ">the reply</a>" in mention
    assert EVIL_AUTHOR in html.unescape(mention) and "<script>" not in mention
    assert '<td class="cm-num">2h00</td>' in dm and "answered in the network&#39;s app" in dm
    assert PRIVATE_DM not in page and "Merci" not in dm
    assert "1h32" in page  # median first response of 2h00 and 1h05
    inbox = json.loads(generated.files["data/inbox.json"])
    assert [m["id"] for m in inbox["unanswered"]] == ["m3"]


def test_the_site_shows_a_reply_in_review_and_no_unsafe_reply_link(tmp_path: Path) -> None:
    drafted = page_text(site_with_reply(tmp_path / "a", published=False, reply_url=""),
                        "inbox/index.md")
    row = next(r for r in re.findall(r"<tr class=\"cm-s-negative\">(.*?)</tr>", drafted))
    assert "<em>reply in review</em>" in row
    assert "cm-answered" in drafted and "bad.example/@evil/1" not in drafted.partition(
        'class="cm-answered')[2]
    evil = page_text(site_with_reply(tmp_path / "b", published=True,
                                     reply_url="javascript:alert(1)"), "inbox/index.md")
    answered = evil.partition('class="cm-answered')[2]
    assert "javascript:" not in answered.lower() and "1h05" in answered


def test_reply_validates_the_new_file(run: Runner, content: Path) -> None:
    write_file(content / "calendar/rules.yaml", "banned_words: [cheap]\n")
    result = run("reply", "https://news.example/c/2", "--text", "So cheap!", root=content)
    assert result.exit_code == 1
    rel = "calendar/posts/replies/reply-bob-de66e8ad.yaml"
    assert (content / rel).exists()
    assert f"{rel}:" in result.stdout and "[governance.banned-word]" in result.stdout


def test_a_reply_published_by_cmops_publish_answers_its_message(run: Runner,
                                                                 content: Path) -> None:
    """Through the real publisher (the outbox channel) and ledger: reply, review, publish."""
    assert run("reply", "https://news.example/c/2", "--text", "Merci Bob", root=content
               ).exit_code == 0
    rel = content / "calendar/posts/replies/reply-bob-de66e8ad.yaml"
    rel.write_text(rel.read_text("utf-8").replace(
        "status: draft", 'status: ready\npublish_at: "2026-11-24T08:00"'), "utf-8")
    published = run("publish", "--at", "2026-11-24T09:00:00Z", root=content)
    assert published.exit_code == 0, published.output
    data = json_out(run("inbox", "--all", "--format", "json", "--channel", "news",
                        "--kind", "reply", root=content))
    [bob] = data["messages"]
    assert bob["state"] == "answered" and bob["response_seconds"] == 7200
    assert bob["answered_at"] == "2026-11-24T09:00:00Z"
    assert bob["answered_by"]["post"] == "reply-bob-de66e8ad"
    assert bob["answered_by"]["url"] == bob["replies"][0]["url"] is not None
    assert "https://news.example/c/2" not in run("inbox", root=content).stdout
