"""`cmops validate` through the CLI, on real files in a temp dir."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from tests.conftest import EXAMPLES, Runner, json_out

from cmops import validate as validate_module

BAD_POST = """id: bad
channels: [news, nwes]
status: pending
text: hi
"""


def _write(repo: Path, rel: str, text: str) -> None:
    path = repo / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")


def test_valid_repo_exit_0(repo: Path, run: Runner) -> None:
    result = run("validate", root=repo)
    assert result.exit_code == 0
    assert result.stdout == "3 files valid\n"


def test_every_problem_in_every_file_text(repo: Path, run: Runner) -> None:
    _write(repo, "calendar/posts/a.yaml", BAD_POST)
    _write(repo, "calendar/posts/b.yaml", "id: b\nchannels: [news]\nstatus: draft\n")
    result = run("validate", root=repo)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "calendar/posts/a.yaml:2:18: error: channels[1]: unknown channel 'nwes' (did you mean "
        "'news'?); channels in calendar/channels.yaml: bsky, insta, li, masto, news, nyc, xch "
        "[post.unknown-channel]",
        "calendar/posts/a.yaml:3:9: error: status: 'pending' is not allowed for status; choose "
        "one of: draft, ready, standby, withdrawn [schema.enum]",
        "calendar/posts/b.yaml:1:1: error: missing required field 'text' [schema.required]",
        "3 errors in 2 files, 0 warnings (5 files checked)",
    ]


def test_json_format(repo: Path, run: Runner) -> None:
    _write(repo, "calendar/posts/a.yaml", BAD_POST)
    _write(repo, "calendar/posts/c.yaml",
           "id: c\nchannels: [news]\nstatus: draft\ntext: x\nvariants: {mastodon: {text: y}}\n")
    result = run("validate", "--format", "json", root=repo)
    assert result.exit_code == 1
    out = json_out(result)
    assert set(out) == {"ok", "files", "errors", "warnings"}
    assert out["ok"] is False and out["files"] == 5
    assert out["errors"][0] == {
        "file": "calendar/posts/a.yaml", "line": 2, "column": 18, "path": "channels[1]",
        "rule": "post.unknown-channel",
        "message": "unknown channel 'nwes' (did you mean 'news'?); channels in "
                   "calendar/channels.yaml: bsky, insta, li, masto, news, nyc, xch"}
    assert [w["rule"] for w in out["warnings"]] == ["post.unused-variant"]


def test_warnings_alone_exit_0(repo: Path, run: Runner) -> None:
    _write(repo, "calendar/posts/c.yaml",
           "id: c\nchannels: [news]\nstatus: draft\ntext: x\nvariants: {mastodon: {text: y}}\n")
    result = run("validate", "--format", "json", root=repo)
    assert result.exit_code == 0
    assert json_out(result)["ok"] is True


def test_github_annotations(repo: Path, run: Runner) -> None:
    _write(repo, "calendar/posts/a.yaml", BAD_POST)
    result = run("validate", "--format", "github", root=repo)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == ("::error file=calendar/posts/a.yaml,line=2,col=18,title=post.unknown-"
                        "channel (channels[1])::unknown channel 'nwes' (did you mean 'news'?); "
                        "channels in calendar/channels.yaml: bsky, insta, li, masto, news, "
                        "nyc, xch")


def test_github_format_cannot_be_injected(repo: Path, run: Runner) -> None:
    hostile = "x\\n::warning file=evil.yaml::pwned\\r\\n::add-mask::%0A"
    _write(repo, "calendar/posts/a.yaml",
           f'id: a\nchannels: ["{hostile}"]\nstatus: draft\ntext: hi\n')
    result = run("validate", "--format", "github", root=repo)
    assert result.exit_code == 1
    for line in result.stdout.splitlines():
        assert line.startswith(("::error file=calendar/posts/a.yaml,", "1 error"))
    assert "%250A" in result.stdout  # the literal %0A is escaped too


def test_secret_value_never_printed(repo: Path, run: Runner) -> None:
    token = "ghp_c4n4ryT0k3nV4lu3ShouldNeverPrint99"
    text = (repo / "calendar/channels.yaml").read_text().replace("MASTO_TOKEN", token)
    _write(repo, "calendar/channels.yaml", text)
    for fmt in ("text", "github", "json"):
        result = run("validate", "--format", fmt, root=repo)
        assert result.exit_code == 1
        assert token not in result.output
        assert "secrets.env-name" in result.output


def test_root_found_from_a_subfolder(repo: Path, run: Runner,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo / "calendar" / "posts")
    result = run("validate")
    assert (result.exit_code, result.stdout) == (0, "3 files valid\n")


def test_no_calendar_is_a_usage_error(tmp_path: Path, run: Runner) -> None:
    result = run("validate", root=tmp_path)
    assert result.exit_code == 2
    assert "no calendar/ folder" in result.stderr
    assert "Traceback" not in result.output


def test_bad_option_is_a_usage_error(repo: Path, run: Runner) -> None:
    result = run("validate", "--format", "xml", root=repo)
    assert result.exit_code == 2


def test_paths_limit_what_is_reported(repo: Path, run: Runner) -> None:
    _write(repo, "calendar/posts/a/one.yaml", BAD_POST)
    _write(repo, "calendar/posts/b/two.yaml", BAD_POST.replace("id: bad", "id: bad2"))
    result = run("validate", "--format", "json", str(repo / "calendar/posts/b"), root=repo)
    files = {e["file"] for e in json_out(result)["errors"]}
    assert files == {"calendar/posts/b/two.yaml"}
    assert result.exit_code == 1
    result = run("validate", str(repo / "nope"), root=repo)
    assert result.exit_code == 2


def test_unexpected_error_exit_3_with_hint(repo: Path, run: Runner,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("kaput")

    monkeypatch.setattr(validate_module, "validate", boom)
    result = run("validate", root=repo)
    assert result.exit_code == 3
    assert "unexpected error: RuntimeError: kaput" in result.stderr
    assert "re-run with -v" in result.stderr
    assert "Traceback" not in result.output


def test_cache_gives_identical_results(repo: Path, run: Runner) -> None:
    shutil.copy(EXAMPLES / "invalid/posts/media-problems.yaml", repo / "calendar/posts/m.yaml")
    cold = run("validate", "--format", "json", "--no-cache", root=repo).stdout
    first = run("validate", "--format", "json", root=repo).stdout
    assert (repo / ".cmops/cache/validate.marshal").exists()
    second = run("validate", "--format", "json", root=repo).stdout
    assert cold == first == second
    # change one file: the cached run must see it
    _write(repo, "calendar/posts/m.yaml", BAD_POST)
    changed = run("validate", "--format", "json", root=repo).stdout
    assert changed == run("validate", "--format", "json", "--no-cache", root=repo).stdout
    assert json.loads(changed)["errors"][0]["rule"] == "post.unknown-channel"


def test_cross_file_change_with_cached_posts(repo: Path, run: Runner) -> None:
    _write(repo, "calendar/posts/a.yaml", "id: a\nchannels: [news]\nstatus: draft\ntext: x\n")
    assert run("validate", root=repo).exit_code == 0
    # removing a channel must invalidate a post that is itself unchanged (and cached)
    channels = (repo / "calendar/channels.yaml").read_text()
    channels = channels.replace("  news:\n    network: outbox\n", "")
    _write(repo, "calendar/channels.yaml", channels)
    result = run("validate", "--format", "json", root=repo)
    assert result.exit_code == 1
    assert {(e["file"], e["line"], e["column"]) for e in json_out(result)["errors"]} == {
        ("calendar/posts/a.yaml", 2, 12), ("calendar/posts/minimal.yaml", 2, 12)}


def test_corrupt_cache_is_ignored(repo: Path, run: Runner) -> None:
    _write(repo, ".cmops/cache/validate.marshal", "{not json")
    assert run("validate", root=repo).exit_code == 0
    _write(repo, ".cmops/cache/validate.marshal", '{"key": "x", "files": []}')
    assert run("validate", root=repo).exit_code == 0


def test_missing_channels_file(repo: Path, run: Runner) -> None:
    (repo / "calendar/channels.yaml").unlink()
    result = run("validate", "--format", "json", root=repo)
    assert result.exit_code == 1
    rules = [e["rule"] for e in json_out(result)["errors"]]
    assert rules[0] == "file.missing"


def test_unknown_yaml_file_warns(repo: Path, run: Runner) -> None:
    _write(repo, "calendar/post/oops.yaml", "id: x\n")
    result = run("validate", "--format", "json", root=repo)
    assert result.exit_code == 0
    assert json_out(result)["warnings"][0]["rule"] == "file.unknown"


def test_python_module_entry_point(repo: Path) -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "cmops", "--root", str(repo), "validate"],
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, "3 files valid\n")


def test_length_errors_speak_the_networks_unit(run: Runner, repo: Path) -> None:
    import shutil

    examples = Path(__file__).parent / "examples/invalid/posts"
    for name in ("bluesky-graphemes.yaml", "x-weighted.yaml"):
        shutil.copy(examples / name, repo / "calendar/posts" / name)
    result = run("validate", "--format", "json", root=repo)
    assert result.exit_code == 1
    messages = sorted(e["message"] for e in json_out(result)["errors"])
    assert messages == ["288/280 weighted characters on xch", "312/300 graphemes on bsky"]
    plan = json_out(run("plan", "--at", "2026-11-30T00:00Z", "--format", "json", root=repo))
    measures = {i["key"]: i["measures"] for i in plan["items"]}
    assert measures["bluesky-graphemes/bsky"][0] == {"unit": "graphemes", "count": 312,
                                                     "limit": 300, "part": 0, "ok": False}


def test_token_expiry_warns_two_weeks_ahead(run: Runner, repo: Path) -> None:
    from datetime import UTC, datetime, timedelta

    today = datetime.now(UTC).date()
    channels = repo / "calendar/channels.yaml"
    text = channels.read_text()
    soon, later = today + timedelta(days=5), today + timedelta(days=40)
    text = text.replace("  li:\n    network: linkedin\n",
                        f"  li:\n    network: linkedin\n    token_expires: {soon}\n")
    text = text.replace("  xch:\n    network: x\n",
                        f"  xch:\n    network: x\n    token_expires: {later}\n")
    channels.write_text(text)
    result = run("validate", "--format", "json", root=repo)
    assert result.exit_code == 0
    warnings = json_out(result)["warnings"]
    assert [(w["path"], w["rule"], w["message"]) for w in warnings] == [
        ("channels.li.token_expires", "channel.token-expiring",
         f"the token of li expires in 5 day(s) ({soon}): renew it and update the secret and "
         "token_expires")]
    plan = run("plan", root=repo)
    assert "warning: the token of li expires in 5 day(s)" in plan.stderr


def test_url_fetching_networks_need_media_base_url(run: Runner, repo: Path) -> None:
    channels = repo / "calendar/channels.yaml"
    channels.write_text(channels.read_text().replace(
        "    media_base_url: https://media.example.org/\n", ""))
    (repo / "calendar/posts/ig.yaml").write_text(
        "id: ig\nstatus: ready\nchannels: [insta]\npublish_at: 2026-12-01T10:00\n"
        "text: Photo\nmedia:\n  - path: calendar/media/pic.png\n    alt: A bike\n")
    errors = json_out(run("validate", "--format", "json", root=repo))["errors"]
    assert ("media.no-public-url", 7) in [(e["rule"], e["line"]) for e in errors]
