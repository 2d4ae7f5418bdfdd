"""`cmops plan`, `cmops pause` and `cmops resume` through the CLI, on real files."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import Runner, json_out
from tests.helpers import git, write_post

from cmops.yamlsafe import load_bytes


def three_posts(root: Path) -> None:
    write_post(root, "early", "id: early\nchannels: [news, bsky]\n"
               "publish_at: 2026-11-24T09:00\ntext: Early one.\n")
    write_post(root, "late", "id: late\nchannels: [news]\n"
               "publish_at: 2026-11-24T12:00\ntext: Later one.\n")
    write_post(root, "old", "id: old\nchannels: [news]\n"
               "publish_at: 2026-11-24T02:00\ntext: Too old.\n")


def test_json_plan_is_the_documented_contract(run: Runner, repo: Path) -> None:
    three_posts(repo)
    result = run("plan", "--at", "2026-11-24T12:00+01:00", "--format", "json", root=repo)
    assert result.exit_code == 0, result.output
    data = json_out(result)
    assert data["format"] == 1
    assert data["now"] == "2026-11-24T11:00:00Z"
    states = {i["key"]: i["state"] for i in data["items"]}
    assert states == {"old/news": "expired", "early/bsky": "due", "early/news": "due",
                      "late/news": "due"}
    early = next(i for i in data["items"] if i["key"] == "early/bsky")
    assert early["publish_at"] == "2026-11-24T08:00:00Z"
    assert early["local"] == "2026-11-24T09:00:00+01:00"
    assert early["zone"] == "Europe/Paris"
    assert early["network"] == "bluesky"
    assert early["parts"] == [{"text": "Early one.", "kind": "post", "media": []}]
    assert data["summary"]["due"] == 3 and data["summary"]["expired"] == 1
    assert data["summary"]["drafts"] == 1  # the base calendar's draft is counted, not planned
    expired = next(i for i in data["items"] if i["key"] == "old/news")
    assert "max_delay" in expired["reason"] or "late" in expired["reason"]


def test_due_at_exactly_publish_at_not_a_second_before(run: Runner, repo: Path) -> None:
    write_post(repo, "p", "id: p\nchannels: [news]\npublish_at: 2026-11-24T09:00+01:00\n"
               "text: On the dot.\n")
    before = json_out(run("plan", "--at", "2026-11-24T07:59:59Z", "--format", "json",
                          root=repo))
    on = json_out(run("plan", "--at", "2026-11-24T08:00:00Z", "--format", "json", root=repo))
    assert [i["state"] for i in before["items"]] == ["scheduled"]
    assert [i["state"] for i in on["items"]] == ["due"]


def test_text_plan_groups_by_day_in_channel_zone(run: Runner, repo: Path) -> None:
    write_post(repo, "ny", "id: ny\nchannels: [nyc, news]\npublish_at: 2026-11-25T01:30+01:00\n"
               "text: Across the ocean.\n")
    result = run("plan", "--at", "2026-11-24T00:00Z", root=repo)
    assert result.exit_code == 0
    out = result.stdout
    # 01:30 in Paris is still the 24th, 19:30, in New York: each channel shows its own day.
    assert "Tue 24 Nov 2026\n  19:30 EST  ny" in out
    assert "Wed 25 Nov 2026\n  01:30 CET  ny" in out


HOSTILE = ("Hello @everyone <script>alert(1)</script> ::error::x "
           "[click](https://evil.example) ``` fence")


def test_markdown_escapes_post_text_and_never_pings(run: Runner, repo: Path) -> None:
    write_post(repo, "evil", "id: evil\nchannels: [news]\npublish_at: 2026-11-24T09:00\n"
               f"text: \"{HOSTILE}\"\n")
    result = run("plan", "--at", "2026-11-24T00:00Z", "--format", "markdown", root=repo)
    assert result.exit_code == 0, result.output
    md = result.stdout
    # Raw text only ever appears inside the fence, where GitHub shows it as text.
    fenced = md.split("````text\n", 1)[1].split("\n````", 1)[0]
    assert fenced.startswith("Hello @\u200beveryone <script>")
    outside = md.replace(fenced, "")
    assert "<script>" not in outside
    assert "&lt;script&gt;" in outside
    assert "@everyone" not in md  # broken with a zero-width space
    assert "[click](" not in outside  # link syntax escaped in the summary line
    assert md.startswith("### cmops plan — 1 scheduled")


def test_markdown_stays_under_githubs_comment_limit(run: Runner, repo: Path) -> None:
    for n in range(700):
        write_post(repo, f"bulk-{n:04d}", f"id: bulk-{n:04d}\nchannels: [news, bsky]\n"
                   f"publish_at: 2026-12-01T09:00\ntext: \"{'Long text. ' * 20}{n}\"\n")
    result = run("plan", "--at", "2026-11-24T00:00Z", "--days", "30", "--format", "markdown",
                 root=repo)
    assert result.exit_code == 0
    md = result.stdout
    assert len(md) <= 65_536
    assert "The full plan (1400 items) is longer than GitHub allows" in md
    assert "| Tue 01 Dec 09:00 CET | `bulk-0000` | `bsky` | scheduled |" in md


def test_unknown_channel_and_bad_times_are_usage_errors(run: Runner, repo: Path) -> None:
    bad = run("plan", "--channel", "nope", root=repo)
    assert bad.exit_code == 2 and "unknown channel(s): nope" in bad.output
    gap = run("plan", "--at", "2026-03-29T02:30", root=repo)  # the clocks skip 02:00-03:00
    assert gap.exit_code == 2 and "does not exist in Europe/Paris" in gap.output
    back = run("plan", "--at", "2026-11-24T09:00Z", "--until", "2026-11-23T09:00Z", root=repo)
    assert back.exit_code == 2 and "must be after --at" in back.output


def test_plan_exits_1_when_the_calendar_is_invalid(run: Runner, repo: Path) -> None:
    write_post(repo, "good", "id: good\nchannels: [news]\npublish_at: 2026-11-24T09:00\n"
               "text: fine\n")
    write_post(repo, "bad", "id: bad\nchannels: [news]\npublish_at: 2026-03-29T02:30\n"
               "text: in the DST gap\n")
    result = run("plan", "--at", "2026-11-24T00:00Z", "--format", "json", root=repo)
    assert result.exit_code == 1
    assert "Run cmops validate to see them" in result.stderr
    assert [i["post"] for i in json_out(result)["items"]] == ["good"]


# -- pause / resume ------------------------------------------------------------------------

def test_pause_then_resume_round_trip(run: Runner, repo: Path) -> None:
    three_posts(repo)
    paused = run("pause", "--reason", "no", "--by", "@camille", "--channel", "news",
                 "--at", "2026-11-24T10:00Z", root=repo)
    assert paused.exit_code == 0, paused.output
    assert "Paused news: no" in paused.stdout
    data = load_bytes((repo / "calendar/pause.yaml").read_bytes())
    # "no" stays the text "no", never False
    assert data == {"paused": True, "reason": "no", "since": "2026-11-24T10:00:00Z",
                    "by": "@camille", "channels": ["news"]}
    assert run("validate", root=repo).exit_code == 0
    plan = json_out(run("plan", "--at", "2026-11-24T12:00+01:00", "--format", "json",
                        root=repo))
    states = {i["key"]: i["state"] for i in plan["items"]}
    assert states["early/news"] == "paused" and states["early/bsky"] == "due"
    assert plan["pause"]["reason"] == "no"
    text = run("plan", "--at", "2026-11-24T12:00+01:00", root=repo).stdout
    assert "PAUSED (news) since 2026-11-24T10:00:00Z: no" in text

    resumed = run("resume", root=repo)
    assert resumed.exit_code == 0 and "Publishing resumed" in resumed.stdout
    assert load_bytes((repo / "calendar/pause.yaml").read_bytes()) == {"paused": False}
    plan = json_out(run("plan", "--at", "2026-11-24T12:00+01:00", "--format", "json",
                        root=repo))
    assert {i["key"]: i["state"] for i in plan["items"]}["early/news"] == "due"


def test_pause_unknown_channel_is_refused_and_writes_nothing(run: Runner, repo: Path) -> None:
    result = run("pause", "--reason", "x", "--channel", "nope", root=repo)
    assert result.exit_code == 2
    assert not (repo / "calendar/pause.yaml").exists()


# -- --base against a real temporary git repository ---------------------------------------

@pytest.fixture
def gitrepo(repo: Path) -> Path:
    three_posts(repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    return repo


def test_base_diff_between_two_commits(run: Runner, gitrepo: Path) -> None:
    write_post(gitrepo, "late", "id: late\nchannels: [news]\n"
               "publish_at: 2026-11-25T12:00\ntext: Later one, moved.\n")
    (gitrepo / "calendar/posts/old.yaml").unlink()
    write_post(gitrepo, "new", "id: new\nchannels: [news]\npublish_at: 2026-11-26T12:00\n"
               "text: Brand new.\n")
    git(gitrepo, "add", "-A")
    git(gitrepo, "commit", "-q", "-m", "change")
    result = run("plan", "--at", "2026-11-24T00:00Z", "--base", "HEAD~1", "--format", "json",
                 root=gitrepo)
    assert result.exit_code == 0, result.output
    changes = {c["post"]: c for c in json_out(result)["changes"]}
    assert set(changes) == {"late", "old", "new"}
    assert changes["new"]["kind"] == "added"
    assert changes["old"]["kind"] == "removed"
    assert changes["late"]["kind"] == "changed"
    assert changes["late"]["rescheduled"] is True
    assert set(changes["late"]["fields"]) == {"publish_at", "text"}
    assert "-Later one." in changes["late"]["text_diff"]
    assert "+Later one, moved." in changes["late"]["text_diff"]
    md = run("plan", "--at", "2026-11-24T00:00Z", "--base", "HEAD~1", "--format", "markdown",
             root=gitrepo).stdout
    assert "**Changes in this pull request** (against `HEAD~1`):" in md
    assert "- **added** `new`" in md


def test_base_with_uncommitted_work_compares_the_working_tree(run: Runner,
                                                               gitrepo: Path) -> None:
    write_post(gitrepo, "wip", "id: wip\nchannels: [news]\npublish_at: 2026-11-26T12:00\n"
               "text: Not committed yet.\n")
    changes = json_out(run("plan", "--at", "2026-11-24T00:00Z", "--base", "main",
                           "--format", "json", root=gitrepo))["changes"]
    assert [(c["post"], c["kind"]) for c in changes] == [("wip", "added")]


def test_unknown_base_is_a_usage_error(run: Runner, gitrepo: Path) -> None:
    result = run("plan", "--base", "no-such-branch", root=gitrepo)
    assert result.exit_code == 2
    assert "no-such-branch" in result.output


def test_the_text_header_shows_the_clock_to_the_second(run: Runner, repo: Path) -> None:
    import re

    first = run("plan", root=repo).stdout.splitlines()[0]  # the real clock: microseconds
    assert re.fullmatch(r"Plan at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ: .*", first), first
