"""`cmops publish`, `cmops status` and `cmops resolve` through the CLI, on the outbox."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Runner, json_out
from tests.helpers import post

AT = "2026-11-24T09:00Z"


def outbox_repo(repo: Path) -> None:
    post(repo, "a", channels="[news]")
    post(repo, "t", channels="[news]", extra="thread:\n  - text: second part\n")
    post(repo, "later", when="2026-11-30T09:00", channels="[news]")


def test_publish_to_the_outbox_writes_json_and_atom(run: Runner, repo: Path) -> None:
    outbox_repo(repo)
    result = run("publish", "--at", AT, root=repo)
    assert result.exit_code == 0, result.output
    assert "published      a/news" in result.stdout
    assert "2 published" in result.stdout
    files = sorted((repo / ".cmops/outbox/news").glob("*.json"))
    bodies = [json.loads(f.read_text()) for f in files]
    assert sorted(b["text"] for b in bodies) == ["Hello from a", "Hello from t", "second part"]
    second = next(b for b in bodies if b["text"] == "second part")
    first = next(b for b in bodies if b["text"] == "Hello from t")
    assert second["in_reply_to"] == first["id"]
    feed = (repo / ".cmops/outbox/news/feed.xml").read_text()
    assert feed.count("<entry>") == 3 and "<content type=\"text\">second part</content>" in feed
    again = run("publish", "--at", "2026-11-24T09:30Z", root=repo)
    assert again.exit_code == 0 and "Nothing is due." in again.stdout


def test_dry_run_sends_and_records_nothing(run: Runner, repo: Path) -> None:
    outbox_repo(repo)
    result = run("publish", "--at", AT, "--dry-run", "--format", "json", root=repo)
    assert result.exit_code == 0
    data = json_out(result)
    assert data["dry_run"] is True
    assert {o["key"]: o["state"] for o in data["outcomes"]} == {"a/news": "due", "t/news": "due"}
    assert not (repo / ".cmops/outbox").exists()
    assert not (repo / ".cmops/state").exists()


def test_status_lists_every_item_with_its_state(run: Runner, repo: Path) -> None:
    outbox_repo(repo)
    run("publish", "--at", AT, root=repo)
    result = run("status", "--at", AT, "--format", "json", root=repo)
    assert result.exit_code == 0
    items = {i["key"]: i for i in json_out(result)["items"]}
    assert items["a/news"]["state"] == "published"
    assert items["a/news"]["url"].startswith(".cmops/outbox/news/a-news-p1-")
    assert items["a/news"]["attempts"] == 1
    assert items["later/news"]["state"] == "scheduled"
    text = run("status", "--at", AT, root=repo).stdout
    assert "published    2026-11-24T08:30:00Z  a/news" in text


def test_plan_shows_what_the_ledger_recorded(run: Runner, repo: Path) -> None:
    outbox_repo(repo)
    run("publish", "--at", AT, root=repo)
    plan = json_out(run("plan", "--at", AT, "--format", "json", root=repo))
    states = {i["key"]: i["state"] for i in plan["items"]}
    assert states["a/news"] == "published"
    assert next(i for i in plan["items"] if i["key"] == "a/news")["url"]


def test_resolve_settles_an_item_by_hand(run: Runner, repo: Path) -> None:
    outbox_repo(repo)
    result = run("resolve", "a", "--channel", "news", "--as", "published", "--url",
                 "https://example.org/a", "--by", "@camille", root=repo)
    assert result.exit_code == 0, result.output
    assert "a/news: published at https://example.org/a" in result.stdout
    published = json_out(run("publish", "--at", AT, "--format", "json", root=repo))
    assert [o["key"] for o in published["outcomes"]] == ["t/news"]
    retry = run("resolve", "a", "--channel", "news", "--as", "retry", root=repo)
    assert retry.exit_code == 0
    again = json_out(run("publish", "--at", "2026-11-24T09:05Z", "--format", "json",
                         root=repo))
    assert [(o["key"], o["state"]) for o in again["outcomes"]] == [("a/news", "published")]


def test_resolve_and_publish_usage_errors(run: Runner, repo: Path) -> None:
    outbox_repo(repo)
    no_url = run("resolve", "a", "--channel", "news", "--as", "published", root=repo)
    assert no_url.exit_code == 2 and "--url" in no_url.output
    unknown = run("publish", "--post", "nope", root=repo)
    assert unknown.exit_code == 2 and "no such post: nope" in unknown.output
    both = run("publish", "--state", "x", "--state-branch", "y", root=repo)
    assert both.exit_code == 2 and "not both" in both.output
    not_git = run("publish", "--state-branch", "cmops-state", root=repo)
    assert not_git.exit_code == 2 and "not a git repository" in not_git.output


def test_failures_exit_1(run: Runner, repo: Path) -> None:
    post(repo, "old", when="2026-11-23T09:00", channels="[news]")
    result = run("publish", "--at", AT, "--format", "json", root=repo)
    assert result.exit_code == 1
    assert json_out(result)["outcomes"][0]["state"] == "expired"


def test_a_run_during_a_pause_says_what_it_holds(run: Runner, repo: Path) -> None:
    outbox_repo(repo)
    paused = run("pause", "--reason", "Incident at the depot", root=repo)
    assert paused.exit_code == 0, paused.output
    result = run("publish", "--at", AT, root=repo)
    assert result.exit_code == 0, result.output
    assert "Nothing is due." not in result.stdout
    assert "PAUSED: 2 item(s) due now are held (paused: Incident at the depot); they go out " \
        "after cmops resume unless past their max_delay by then: a/news, t/news" in \
        result.stdout
    assert not (repo / ".cmops/outbox/news").exists()  # nothing sent
    data = json_out(run("publish", "--at", AT, "--format", "json", root=repo))
    assert data["paused"] == [{"key": "a/news", "reason": "paused: Incident at the depot"},
                              {"key": "t/news", "reason": "paused: Incident at the depot"}]
    assert data["outcomes"] == [] and data["ok"] is True
    assert run("resume", root=repo).exit_code == 0
    sent = run("publish", "--at", AT, root=repo)
    assert "PAUSED" not in sent.stdout and "2 published" in sent.stdout
