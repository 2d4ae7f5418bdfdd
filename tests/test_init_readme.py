"""The README ``cmops init`` writes names the GitHub settings exactly as the generated
workflows need them: the actions to allow, the environment, the state branch, the required
check, the workflows' names and the publish schedule. A workflow changed without its README
fails here."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import yaml

from cmops.cli.init import LOCAL_ACTION, PUBLISH_ENVIRONMENT, STATE_BRANCH, scaffold_files

SPEC = "cmops @ git+https://github.com/acme/cmops@" + "a" * 40
FILES = scaffold_files(package=SPEC, timezone="Europe/Paris", lang="fr", today=date(2027, 1, 4))
README = FILES["README.md"]


def _workflows() -> dict[str, dict[str, object]]:
    return {Path(p).name: yaml.safe_load(t) for p, t in FILES.items()
            if p.startswith(".github/workflows/")}


def test_every_action_the_workflows_use_is_listed_for_the_actions_permissions() -> None:
    used = set()
    for path, text in FILES.items():
        if path.startswith(".github/") and path.endswith(".yml"):
            # OWNER/REPO@ or OWNER/REPO/PATH@ (actions/cache/restore): the setting names the
            # repository.
            used.update(re.findall(r"(?m)^[ -]*uses: ([\w.-]+/[\w.-]+)(?:/[\w./-]+)?@", text))
    assert used == {"actions/checkout", "actions/setup-python", "actions/cache",
                    "astral-sh/setup-uv", "actions/upload-artifact",
                    "actions/download-artifact", "actions/github-script",
                    "actions/configure-pages", "actions/upload-pages-artifact",
                    "actions/deploy-pages"}
    section = README.split("### 3. Actions", 1)[1].split("### 4.", 1)[0]
    by_github = {name for name in used if name.startswith("actions/")}
    assert sorted(re.findall(r"`(actions/[\w-]+)`", section)) == sorted(by_github)
    assert "Allow actions created by" in section and f"`{LOCAL_ACTION}`" in section
    # Any other owner's action is not covered by "created by GitHub": the README names it
    # and the pattern to add to the allowed list, or its jobs are refused at set-up.
    others = sorted(used - by_github)
    assert sorted(re.findall(r"`((?!actions/)[\w.-]+/[\w.-]+)`", section)) == others
    assert "Allow specified actions and reusable workflows" in section
    for name in others:
        assert f"`{name}@*`" in section, name


def test_the_settings_name_what_the_workflows_use() -> None:
    workflows = _workflows()
    environments = {job.get("environment") for w in workflows.values()
                    for job in w["jobs"].values()  # type: ignore[attr-defined]
                    if isinstance(job.get("environment"), str)}
    assert environments == {PUBLISH_ENVIRONMENT}
    assert f"### 4. The `{PUBLISH_ENVIRONMENT}` environment and its secrets" in README
    assert f"**`{STATE_BRANCH}`**" in README
    review_job = workflows["review.yml"]["jobs"]["review"]  # type: ignore[index]
    assert f"**{review_job['name']}**" in README  # the required status check
    names = {w["name"] for w in workflows.values()}
    assert names == {"Content review", "Content review comment", "Publish", "Report",
                     "Crisis pause"}
    for name in ("Content review", "Publish", "Report", "Crisis pause"):
        assert f"*{name}*" in README or f"→ {name} →" in README, name
    cron = workflows["publish.yml"][True]["schedule"][0]["cron"]  # type: ignore[index]
    minutes = cron.split()[0].split(",")
    assert "they run at {}, {}, {} and {} minutes past the\n   hour".format(*minutes) in README
    assert "→ Source*: **GitHub Actions**" in README


def test_the_readme_says_which_cmops_and_how_to_switch() -> None:
    assert f".venv/bin/pip install '{SPEC}'" in README
    section = README.split("## Which cmops the workflows install", 1)[1].split("\n## ", 1)[0]
    assert f"```text\n{SPEC}\n```" in section
    assert "`.github/actions/cmops/action.yml`" in section
    assert "to switch to the package index" in section.replace("\n", " ").lower()
    assert "`cmops==0.2.0`" in section


def test_the_readme_goes_from_git_init_to_a_first_scheduled_post() -> None:
    steps = re.findall(r"(?m)^### (\d)\. (.+)$", README)
    assert steps == [("1", "Check it on your computer"), ("2", "Commit and push"),
                     ("3", "Actions"), ("4", f"The `{PUBLISH_ENVIRONMENT}` environment and "
                                              "its secrets"),
                     ("5", "The state branch"), ("6", "GitHub Pages"), ("7", "Protect `main`"),
                     ("8", "A first scheduled post")]
    assert "git init --initial-branch main" in README
    assert "Europe/Paris" in README
