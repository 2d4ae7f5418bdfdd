"""cmops.answers: which collected messages a reply post answers, how fast, and terminal-safe
text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cmops.answers import Answer, answers, human, identity, one_line, replies
from cmops.ledger import CorruptRecord, PartRecord, PartState, Record, RecordState
from cmops.model import Calendar, Channel, Post
from cmops.report.sources import Message

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
CALENDAR = Calendar(channels={
    "masto": Channel("masto", "mastodon"), "xch": Channel("xch", "x"),
    "news": Channel("news", "outbox"), "bsky": Channel("bsky", "bluesky")})


def message(mid: str, channel: str, url: str | None, *, at: datetime = T0,
            replied: datetime | None = None) -> Message:
    return Message(id=mid, channel=channel, kind="mention", text="hi", received_at=at,
                   replied_at=replied, url=url)


def reply_post(pid: str, channel: str, url: str, status: str = "ready") -> Post:
    return Post(pid, f"calendar/posts/replies/{pid}.yaml", status, (channel,), "Merci",
                reply_to=url)


def record(key: str, state: RecordState, at: str | None, url: str | None = None) -> Record:
    post, _, channel = key.partition("/")
    parts = [PartRecord(PartState.PUBLISHED, "d0", sent_at=at, url=url, at=at)] if at else []
    return Record(key, post, channel, "x", state=state, parts=parts)


def test_the_url_forms_of_one_message_are_one_message() -> None:
    assert identity("x", "https://twitter.com/lea/status/186") == \
        identity("x", "https://x.com/i/web/status/186") == \
        identity("x", "https://mobile.x.com/someone/status/186?s=20")
    assert identity("x", "https://x.com/lea/status/186") != identity(
        "x", "https://x.com/lea/status/187")
    # A Mastodon status id belongs to its instance; a Bluesky record key to its account.
    assert identity("mastodon", "https://a.example/@lea/1") != identity(
        "mastodon", "https://b.example/@lea/1")
    assert identity("mastodon", "https://a.example/@lea/1") == identity(
        "mastodon", "https://a.example/users/lea/statuses/1")
    assert identity("bluesky", "https://bsky.app/profile/a.bsky.social/post/3k") != identity(
        "bluesky", "https://bsky.app/profile/b.bsky.social/post/3k")
    # What no form reads is compared as written.
    assert identity("x", "https://x.com/lea") == ("url", "https://x.com/lea")
    assert identity(None, "https://x.com/lea/status/1") == ("url", "https://x.com/lea/status/1")


def test_a_published_reply_answers_its_message_with_the_response_time() -> None:
    posts = [reply_post("thanks-lea", "xch", "https://twitter.com/lea/status/186")]
    records = {"thanks-lea/xch": record("thanks-lea/xch", RecordState.PUBLISHED,
                                        "2026-11-24T10:05:00Z", "https://x.com/us/status/9")}
    found = replies(posts, records)
    assert found[0].url == "https://x.com/us/status/9"
    out = answers([message("xch:186", "xch", "https://x.com/lea/status/186"),
                   message("xch:187", "xch", "https://x.com/lea/status/187")], found, CALENDAR)
    first = out["xch:186"]
    assert first.state == "answered" and first.by == found[0]
    assert first.answered_at == datetime(2026, 11, 24, 10, 5, tzinfo=UTC)
    assert first.response == timedelta(hours=2, minutes=5)
    assert out["xch:187"] == Answer("open")


@pytest.mark.parametrize("state", [RecordState.FAILED, RecordState.WITHDRAWN,
                                   RecordState.PENDING, RecordState.NEEDS_HUMAN])
def test_a_reply_not_published_only_drafts_the_answer(state: RecordState) -> None:
    posts = [reply_post("r", "news", "https://news.example/c/2", status="draft")]
    records: dict[str, Record | CorruptRecord] = {
        "r/news": record("r/news", state, "2026-11-24T09:00:00Z")}
    out = answers([message("news:2", "news", "https://news.example/c/2")],
                  replies(posts, records), CALENDAR)
    assert out["news:2"].state == "drafted"
    assert [r.post for r in out["news:2"].replies] == ["r"]
    assert out["news:2"].answered_at is None and out["news:2"].response is None


def test_an_answer_seen_on_the_network_first_counts_first() -> None:
    posts = [reply_post("late", "masto", "https://a.example/@lea/1")]
    records: dict[str, Record | CorruptRecord] = {
        "late/masto": record("late/masto", RecordState.PUBLISHED, "2026-11-24T12:00:00Z")}
    seen = T0 + timedelta(minutes=30)
    out = answers([message("masto:1", "masto", "https://a.example/@lea/1", replied=seen),
                   message("masto:2", "masto", "https://a.example/@lea/2", replied=seen)],
                  replies(posts, records), CALENDAR)
    assert out["masto:1"].answered_at == seen and out["masto:1"].by is None
    assert out["masto:1"].response == timedelta(minutes=30)
    assert [r.post for r in out["masto:1"].replies] == ["late"]
    assert out["masto:2"] == Answer("answered", (), seen, None, timedelta(minutes=30))


def test_messages_without_url_or_on_another_instance_stay_open() -> None:
    posts = [reply_post("r", "masto", "https://b.example/@lea/1")]
    records: dict[str, Record | CorruptRecord] = {
        "r/masto": record("r/masto", RecordState.PUBLISHED, "2026-11-24T09:00:00Z")}
    out = answers([message("masto:1", "masto", "https://a.example/@lea/1"),
                   message("masto:dm", "masto", None)], replies(posts, records), CALENDAR)
    assert out["masto:1"].state == "open" and out["masto:dm"].state == "open"


def test_a_corrupt_record_or_a_time_without_offset_answers_nothing() -> None:
    posts = [reply_post("r", "news", "https://news.example/c/2"),
             reply_post("s", "news", "https://news.example/c/2")]
    records: dict[str, Record | CorruptRecord] = {
        "r/news": CorruptRecord("r/news", "unreadable"),
        "s/news": record("s/news", RecordState.PUBLISHED, "2026-11-24T09:00:00")}
    out = answers([message("news:2", "news", "https://news.example/c/2")],
                  replies(posts, records), CALENDAR)
    assert out["news:2"].state == "drafted"


def test_the_earliest_published_reply_is_the_answer() -> None:
    url = "https://bsky.app/profile/lea.bsky.social/post/3k"
    posts = [reply_post("second", "bsky", url), reply_post("first", "bsky", url)]
    records: dict[str, Record | CorruptRecord] = {
        "second/bsky": record("second/bsky", RecordState.PUBLISHED, "2026-11-24T11:00:00Z"),
        "first/bsky": record("first/bsky", RecordState.PUBLISHED, "2026-11-24T09:00:00Z")}
    out = answers([message("bsky:3k", "bsky", url)], replies(posts, records), CALENDAR)
    assert out["bsky:3k"].by is not None and out["bsky:3k"].by.post == "first"
    assert [r.post for r in out["bsky:3k"].replies] == ["first", "second"]
    assert out["bsky:3k"].response == timedelta(hours=1)


@pytest.mark.parametrize(("delta", "shown"), [
    (timedelta(seconds=59), "0 min"), (timedelta(minutes=45), "45 min"),
    (timedelta(hours=3, minutes=5), "3 h 05 min"), (timedelta(days=2, hours=4), "2 d 4 h")])
def test_response_times_read_like_people_say_them(delta: timedelta, shown: str) -> None:
    assert human(delta) == shown


@pytest.mark.parametrize(("raw", "shown"), [
    ("Mon Halo\nne charge\r\nplus", "Mon Halo ne charge plus"),
    ("\x1b[31mred\x1b[0m \x1b]0;title\x07end", "[31mred[0m ]0;titleend"),
    ("a\x9b31mb", "a31mb"),  # C1 CSI
    ("evil \u202egnp.exe", "evil gnp.exe"),  # right-to-left override
    ("line\u2028sep\x85nel", "line sep nel"),
    ("👩\u200d💻 ok", "👩\u200d💻 ok"),
])
def test_one_line_lets_no_control_character_through(raw: str, shown: str) -> None:
    assert one_line(raw, 100) == shown


def test_one_line_cuts_at_the_limit() -> None:
    assert one_line("a" * 10, 5) == "aaaa…"
    assert one_line("abc", 3) == "abc"
