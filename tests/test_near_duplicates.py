"""validate warns about near-duplicates (post.near-duplicate) and placeholder alt texts
(media.alt-placeholder), issue 20."""

from __future__ import annotations

import marshal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.conftest import Runner

from cmops.content import locate_findings
from cmops.model import Calendar, Channel, Post, Repeat
from cmops.problems import Problem
from cmops.rules import CALENDAR_RULES, RULE_DOCS, Context
from cmops.rules.duplicates import (
    Sent,
    check_near_duplicates,
    key,
    name_lines,
    near_duplicates,
    sent,
    sent_of,
    words,
)
from cmops.validate import load_calendar


def write(repo: Path, name: str, body: str) -> None:
    (repo / f"calendar/posts/{name}.yaml").write_text(body, "utf-8")


def simple(repo: Path, pid: str, when: str, text: str, channels: str = "[news]",
           extra: str = "") -> None:
    write(repo, pid, f"id: {pid}\nstatus: ready\nchannels: {channels}\npublish_at: {when}\n"
                     f"text: {text}\n{extra}")


def problems(repo: Path) -> list[tuple[str, int, str]]:
    """The rule's warnings as validate reports them: located, with the other post's line."""
    calendar, _ = load_calendar(repo, use_cache=False)
    findings = list(check_near_duplicates(Context(calendar)))
    located: list[Problem] = []
    for file in sorted({f.file for f in findings}):
        located.extend(locate_findings((repo / file).read_text("utf-8"),
                                       [f for f in findings if f.file == file]))
    return [(p.file, p.line, p.message) for p in name_lines(located)]


def test_registered_and_documented() -> None:
    assert check_near_duplicates in CALENDAR_RULES
    assert "post.near-duplicate" in RULE_DOCS and "media.alt-placeholder" in RULE_DOCS


def test_words_ignore_case_punctuation_emoji_spacing_and_query() -> None:
    assert words("Launch DAY!  🎉\n\nJoin us: https://ex.org/a?utm_source=x#top") == \
        "launch day join us https ex org a"
    assert words("ＬＡＵＮＣＨ day") == words("launch\tday.") == "launch day"
    assert words("https://ex.org/a/") == words("https://ex.org/a?x=1")
    assert words("https://ex.org/a") != words("https://ex.org/b")
    assert words("Straße") == words("STRASSE")
    assert words("🎉 …") == ""


def test_an_hour_apart_on_one_channel_warns_on_both(repo: Path) -> None:
    simple(repo, "a", "2027-03-02T09:00", "Launch day! Join us.")
    write(repo, "b", "# imported again\nid: b\nstatus: draft\nchannels: [bsky, news]\n"
                     "publish_at: 2027-03-02T10:00\ntext: |\n  launch   day 🎉\n"
                     "  join us\n")
    assert problems(repo) == [
        ("calendar/posts/a.yaml", 5, "same text as calendar/posts/b.yaml:6 (post b) on news, "
                                     "60 minutes apart: if it is a copy (an import run "
                                     "twice?), delete one of them"),
        ("calendar/posts/b.yaml", 6, "same text as calendar/posts/a.yaml:5 (post a) on news, "
                                     "60 minutes apart: if it is a copy (an import run "
                                     "twice?), delete one of them"),
    ]


def test_not_when_61_minutes_apart_another_channel_or_other_words(repo: Path) -> None:
    simple(repo, "a", "2027-03-02T09:00", "Launch day")
    simple(repo, "late", "2027-03-02T10:01", "Launch day")
    simple(repo, "other-channel", "2027-03-02T09:10", "Launch day", "[bsky]")
    simple(repo, "other-words", "2027-03-02T09:20", "Launch night")
    simple(repo, "gone", "2027-03-02T09:30", "Launch day",
           extra="withdrawn_reason: wrong date\n")
    (repo / "calendar/posts/gone.yaml").write_text(
        (repo / "calendar/posts/gone.yaml").read_text().replace("ready", "withdrawn"))
    assert problems(repo) == []


def test_same_minute_on_two_channels_in_one_warning(repo: Path) -> None:
    simple(repo, "a", "2027-03-02T09:00", "Hello", "[news, bsky, masto]")
    simple(repo, "a-2", "2027-03-02T09:00+01:00", "hello!", "[bsky, news]")
    assert [m for _, _, m in problems(repo)] == [
        "same text as calendar/posts/a.yaml:5 (post a) on bsky, news, at the same minute: "
        "if it is a copy (an import run twice?), delete one of them",
        "same text as calendar/posts/a-2.yaml:5 (post a-2) on bsky, news, at the same minute: "
        "if it is a copy (an import run twice?), delete one of them"]


def test_a_variant_is_what_is_compared_and_located(repo: Path) -> None:
    simple(repo, "a", "2027-03-02T09:00", "Long text for the others",
           "[news, bsky]", "variants:\n  bsky:\n    text: Short one\n")
    simple(repo, "b", "2027-03-02T09:30", "Short one", "[bsky, news]")
    assert problems(repo) == [
        ("calendar/posts/a.yaml", 8, "same text as calendar/posts/b.yaml:5 (post b) on bsky, "
                                     "30 minutes apart: if it is a copy (an import run "
                                     "twice?), delete one of them"),
        ("calendar/posts/b.yaml", 5, "same text as calendar/posts/a.yaml:8 (post a) on bsky, "
                                     "30 minutes apart: if it is a copy (an import run "
                                     "twice?), delete one of them")]


def test_a_repeating_posts_later_occurrence_counts(repo: Path) -> None:
    simple(repo, "weekly", "2027-03-01T09:00", "Office hours are open",
           extra="repeat:\n  every: 1w\n")
    simple(repo, "once", "2027-03-15T09:45", "Office hours are open!")
    simple(repo, "off-slot", "2027-03-16T09:45", "Office hours are open!")
    calendar, _ = load_calendar(repo, use_cache=False)
    assert [sent_of(p.raw, p.file) for p in calendar.posts if p.id == "weekly"] == [
        Sent("weekly", "calendar/posts/weekly.yaml", "2027-03-01T09:00", ("news",),
             (("", key("Office hours are open")),), ("1w", None, None))]
    assert [(f, m.split(" on ")[1]) for f, _, m in problems(repo)] == [
        ("calendar/posts/once.yaml", "news, 45 minutes apart: if it is a copy (an import run "
                                     "twice?), delete one of them"),
        ("calendar/posts/weekly.yaml", "news, 45 minutes apart: if it is a copy (an import "
                                       "run twice?), delete one of them")]


def test_sent_is_cacheable_and_gives_the_same_answer(repo: Path) -> None:
    simple(repo, "a", "2027-03-02T09:00", "Launch day", "[news, bsky]",
           "variants:\n  bluesky:\n    text: Launch on Bluesky\n")
    simple(repo, "b", "2027-03-02T09:20", "Launch on Bluesky!", "[bsky]")
    simple(repo, "c", "next-slot", "Queued, never compared")
    calendar, _ = load_calendar(repo, use_cache=False)
    posts = {p.id: p for p in calendar.posts}
    a = sent(posts["a"])
    assert a == Sent("a", "calendar/posts/a.yaml", "2027-03-02T09:00", ("news", "bsky"),
                     (("", key("Launch day")), ("bluesky", key("launch on Bluesky"))), None)
    assert key("Launch day") == key("LAUNCH  day!") != key("Launch days")
    assert len(key("Launch day")) == 8 and key("🎉") == b""
    assert sent(posts["c"]) is None
    assert all(sent(p) == sent_of(p.raw, p.file) for p in calendar.posts)
    cached = [Sent(*marshal.loads(marshal.dumps(tuple(s)))) for p in calendar.posts
              if (s := sent(p)) is not None]
    found = list(near_duplicates(cached, calendar))
    assert found == list(check_near_duplicates(Context(calendar)))
    assert [(f.file, f.path) for f in found] == [
        ("calendar/posts/a.yaml", ("variants", "bluesky", "text")),
        ("calendar/posts/b.yaml", ("text",))]


def test_linear_on_ten_thousand_posts() -> None:
    calendar = Calendar(timezone="Europe/Paris")
    calendar.channels["news"] = Channel("news", "outbox")
    start = datetime(2027, 1, 1, tzinfo=UTC)
    for i in range(10_000):  # every text twice, 30 minutes apart
        when = (start + timedelta(minutes=30 * i)).isoformat()
        calendar.posts.append(Post(f"p{i}", f"p{i}.yaml", "ready", ("news",),
                                   f"Post number {i // 2}", when))
    began = time.perf_counter()
    found = list(check_near_duplicates(Context(calendar)))
    assert len(found) == 10_000
    assert time.perf_counter() - began < 5  # ~0.3 s; quadratic would take minutes


def test_thousands_of_repeating_copies_stay_bounded() -> None:
    calendar = Calendar(timezone="Europe/Paris")
    calendar.channels["news"] = Channel("news", "outbox")
    start = datetime(2027, 1, 1, 8, tzinfo=UTC)
    for i in range(10_000):  # one text, half of the copies repeating daily
        when = (start + timedelta(days=i % 3000)).isoformat()
        calendar.posts.append(Post(f"p{i}", f"p{i}.yaml", "ready", ("news",), "Good morning",
                                   when, repeat=Repeat("1d") if i % 2 else None))
    began = time.perf_counter()
    assert len(list(check_near_duplicates(Context(calendar)))) > 10_000
    assert time.perf_counter() - began < 10  # ~1 s: MAX_REPEAT_CHECKS per group


def test_validate_reports_both_warnings_as_github_annotations(run: Runner, repo: Path
                                                              ) -> None:
    simple(repo, "a", "2027-03-02T09:00", "Launch day")
    simple(repo, "b", "2027-03-02T09:05", "launch day", extra=(
        "media:\n  - path: calendar/media/pic.png\n"
        "    alt: 'TODO: describe this image (imported from https://cdn.example.org/p.png)'\n"))
    result = run("validate", "--format", "github", root=repo)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert ("::warning file=calendar/posts/a.yaml,line=5,col=7,title=post.near-duplicate (text)::"
            "same text as calendar/posts/b.yaml:5 (post b) on news, 5 minutes apart: if it is "
            "a copy (an import run twice?), delete one of them") in lines
    assert result.stdout.endswith("5 files valid, 3 warnings\n")
    again = run("validate", "--format", "github", root=repo)  # from the cache: the same
    assert again.stdout == result.stdout
    assert ("::warning file=calendar/posts/b.yaml,line=8,col=10,title=media.alt-placeholder "
            "(media[0].alt)::"
            "the alt text of 'calendar/media/pic.png' is a placeholder ('TODO: describe this "
            "image (imported from https://cdn.example.org/p.png)'): describe what it shows"
            ) in lines


def test_a_warm_validate_sees_a_new_copy_and_its_removal(run: Runner, repo: Path) -> None:
    simple(repo, "a", "2027-03-02T09:00", "Launch day")
    assert run("validate", root=repo).stdout == "4 files valid\n"
    simple(repo, "b", "2027-03-02T09:30", "Launch day!")
    warm = run("validate", root=repo).stdout
    assert "calendar/posts/b.yaml:5:7: warning: text: same text as calendar/posts/a.yaml:5 " \
        "(post a) on news, 30 minutes apart" in warm
    simple(repo, "b", "2027-03-02T09:30", "Launch night")
    assert run("validate", root=repo).stdout == "5 files valid\n"
