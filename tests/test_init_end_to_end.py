"""A new brand's repository, end to end, as GitHub would run it: ``cmops init`` in a temporary
folder, pushed to a bare git remote; a post added on a branch; then every job of the
generated workflows that runs cmops, in order, each in a fresh clone of the remote:

- review.yml (the pull request): validate, plan with ``--base``;
- publish.yml after the merge: publish on the remote's state branch, then status;
- report.yml: collect, health, report (which builds the site);
- last, crisis.yml: pause (a publish run then holds a due post), resume (the next sends it).

The commands are not written here: they are read from the workflow files (their steps, and
the local composite action's own bash scripts, run with bash as the runner would), so a
workflow changed in a way that breaks fails this test. Expressions (``${{ … }}``) are filled
from a fixed table of what a scheduled or pull-request run has; an expression not in it
fails the test. Steps that only use GitHub's actions (checkout, artifacts, Pages, script)
are stood in for by the clone and by the assertions.

The site is then opened in headless Chromium (tests/browser.py): styled by the report's
stylesheet, every link and stylesheet resolving, the outbox channel's files reachable,
hostile post text shown as text. Screenshots go to ``build/site-screenshots/init-*.png``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from tests.browser import Browser, Page, chromium_missing, serve, texts, visit

from cmops.cli.init import LOCAL_ACTION, STATE_BRANCH

TIMEZONE = "Europe/Paris"
SOURCE = "https://github.com/example/cmops@" + "c0ffee" * 6 + "c0ff"
POST_ID = "launch-day"
HOSTILE = '<script>window.__xss=1</script> <img src=x onerror="window.__xss=1"> & {{ config }}'
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
GIT_ENV = {"GIT_AUTHOR_NAME": "Camille", "GIT_AUTHOR_EMAIL": "camille@example.org",
           "GIT_COMMITTER_NAME": "Camille", "GIT_COMMITTER_EMAIL": "camille@example.org",
           "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0"}


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}, timeout=60, check=False)
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout


# -- running a workflow's steps as a runner would ------------------------------------------------


@dataclass
class Step:
    """What one step did: its name, exit code, standard output and error."""

    name: str
    code: int
    stdout: str
    stderr: str


@dataclass
class Runner:
    """One job's runner: a fresh clone of the remote, a temp folder, a context for
    expressions. ``ran`` lists every step, in order, with the cmops command it ran."""

    remote: Path
    work: Path
    context: dict[str, str]
    ran: list[tuple[str, Step]] = field(default_factory=list)

    def expand(self, value: Any, extra: dict[str, str] | None = None,
               ran: frozenset[str] = frozenset()) -> str:
        """``value`` with its expressions filled; ``ran`` names the steps (by id) already
        reached, run or skipped: the outputs they did not set are empty, as on GitHub."""
        return EXPRESSION.sub(lambda m: self.lookup(m[0], m[1], extra, ran),
                              "" if value is None else str(value))

    def lookup(self, text: str, name: str, extra: dict[str, str] | None,
               ran: frozenset[str]) -> str:
        table = {**self.context, **(extra or {})}
        if name in table:
            return table[name]
        step = re.fullmatch(r"steps\.([\w-]+)\.outputs\.[\w-]+", name)
        assert step and step[1] in ran, f"an expression this test does not know: {text}"
        return ""

    def condition(self, text: Any, table: dict[str, str], ran: frozenset[str]) -> bool:
        """A step's ``if:``: comparisons of a context value with a quoted string, joined by
        ``&&`` (what the action uses); anything else fails the test."""
        if text is None:
            return True
        result = True
        for clause in str(text).split("&&"):
            one = re.fullmatch(r"\s*([\w.-]+)\s*(==|!=)\s*'([^']*)'\s*", clause)
            assert one, f"a condition this test does not know: {text}"
            value = self.lookup(one[1], one[1], table, ran)
            result = result and ((value == one[3]) == (one[2] == "=="))
        return result

    def checkout(self, job: str, ref: str) -> Path:
        """A fresh clone at ``ref`` in ``work/JOB`` (``JOB-2``… for a job run again), and its
        runner temp folder ``work/JOB-temp``."""
        name, n = job, 1
        while (self.work / name).exists():
            n += 1
            name = f"{job}-{n}"
        folder = self.work / name
        git(self.work, "clone", "--quiet", str(self.remote), str(folder))
        git(folder, "checkout", "--quiet", ref)
        temp = self.work / f"{name}-temp"
        (temp / "cmops-venv" / "bin").mkdir(parents=True)
        # The action installs cmops into $RUNNER_TEMP/cmops-venv once per job, or has
        # actions/cache restore it there: here it is the cmops under test, which the stand-in
        # for actions/cache hands over as restored (see Runner.uses).
        (temp / "cmops-venv" / "bin" / "cmops").symlink_to(Path(sys.executable).parent / "cmops")
        self.context["runner.temp"] = str(temp)
        return folder

    def bash(self, name: str, script: str, env: dict[str, str], cwd: Path) -> Step:
        base = {k: v for k, v in os.environ.items()
                if not k.startswith(("CMOPS_", "GITHUB_", "RUNNER_"))}
        temp = Path(self.context["runner.temp"])
        files = {"GITHUB_OUTPUT": temp / "output", "GITHUB_STEP_SUMMARY": temp / "summary.md"}
        for path in files.values():
            path.touch()
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=cwd, capture_output=True, text=True, timeout=300, check=False,
            env={**base, **GIT_ENV, "RUNNER_TEMP": str(temp), "CI": "true",
                 "RUNNER_OS": "Linux", "RUNNER_ARCH": "X64",
                 **{k: str(v) for k, v in files.items()}, **env})
        return Step(name, done.returncode, done.stdout, done.stderr)

    def action(self, root: Path, uses: str, given: dict[str, Any],
               step_env: dict[str, str]) -> Step:
        """The local composite action: its inputs from ``with:`` and its defaults, then each
        of its ``run:`` steps in order, with the calling step's ``env:``; returns the last
        (the cmops command)."""
        path = root / uses.removeprefix("./")
        spec = yaml.safe_load((path / "action.yml").read_text("utf-8"))
        inputs = {name: str(given.get(name, decl.get("default", "")))
                  for name, decl in spec["inputs"].items()}
        unknown = set(given) - set(inputs)
        assert not unknown, f"{uses} has no input {sorted(unknown)}"
        table = {f"inputs.{k}": v for k, v in inputs.items()}
        ran: set[str] = set()
        output = Path(self.context["runner.temp"]) / "output"
        last = None
        for step in spec["runs"]["steps"]:
            sid = step.get("id", "")
            if not self.condition(step.get("if"), table, frozenset(ran)):
                table[f"steps.{sid}.outcome"] = "skipped"
                ran.add(sid)
                continue
            ran.add(sid)
            if "uses" in step:
                given_to = {k: self.expand(v, table, frozenset(ran))
                            for k, v in (step.get("with") or {}).items()}
                outputs = self.uses(step["uses"], given_to, table)
                code = 0
            else:
                env = {k: self.expand(v, table, frozenset(ran))
                       for k, v in (step.get("env") or {}).items()}
                cwd = root / self.expand(step.get("working-directory", "."), table)
                output.write_text("", "utf-8")
                last = self.bash(step.get("name", ""), step["run"],
                                 {**step_env, **env, "GITHUB_ACTION_PATH": str(path)}, cwd)
                code = last.code
                outputs = dict(line.split("=", 1)
                               for line in output.read_text("utf-8").splitlines() if line)
            table.update({f"steps.{sid}.outputs.{k}": v for k, v in outputs.items()})
            table[f"steps.{sid}.outcome"] = "success" if code == 0 else "failure"
            if code != 0 and not step.get("continue-on-error"):
                break
        assert last is not None
        return last

    def uses(self, uses: str, given: dict[str, str], table: dict[str, str]) -> dict[str, str]:
        """Stand-ins for the GitHub actions the local action uses; returns their outputs.
        setup-python: the interpreter is this one. cache: a hit, restoring the cmops under
        test (checkout put it in place) as an environment of the requirement the action
        asked for, so the action's own check of a restored environment runs. Any other action
        (setup-uv is only reached on a cache miss) fails the test."""
        name = uses.split("@", 1)[0]
        if name == "actions/setup-python":
            return {"python-path": sys.executable,
                    "python-version": ".".join(map(str, sys.version_info[:3]))}
        if name == "actions/cache":
            venv = Path(self.context["runner.temp"]) / "cmops-venv"
            assert given["path"] == str(venv), given
            version = table["steps.python.outputs.python-version"]
            assert given["key"].startswith("cmops-env-1-Linux-X64-"), given
            assert f"-py{version}-{table['inputs.installer']}-" in given["key"], given
            (venv / "cmops-requirement").write_text(
                table["steps.env.outputs.requirement"], "utf-8")
            return {"cache-hit": "true"}
        raise AssertionError(f"an action this test does not stand in for: {uses}")

    def job(self, workflow: Path, name: str, ref: str) -> dict[str, Step]:
        """Run the job ``name`` of ``workflow``: every step that runs something (local action
        or ``run:``). Steps that use GitHub's actions are stood in for (checkout is the
        clone). Returns the steps by name."""
        data = yaml.safe_load(workflow.read_text("utf-8"))
        root = self.checkout(f"{workflow.stem}-{name}", ref)
        out: dict[str, Step] = {}
        for step in data["jobs"][name]["steps"]:
            uses = step.get("uses", "")
            if uses.startswith("./"):
                given = {k: self.expand(v) for k, v in (step.get("with") or {}).items()}
                env = {k: self.expand(v) for k, v in (step.get("env") or {}).items()}
                done = self.action(root, uses, given, env)
                self.ran.append((given["command"], done))
            elif "run" in step:
                env = {k: self.expand(v) for k, v in (step.get("env") or {}).items()}
                done = self.bash(step["name"], self.expand(step["run"]), env, root)
            else:
                continue
            out[step["name"]] = done
            if done.code != 0 and not step.get("continue-on-error"):
                break
        return out


# -- the repository and its story ---------------------------------------------------------------


@dataclass
class Story:
    content: Path
    remote: Path
    runner: Runner
    review: dict[str, Step]
    publish: dict[str, Step]
    alert: dict[str, Step]
    collect: dict[str, Step]
    health: dict[str, Step]
    build: dict[str, Step]
    site: Path
    published_at: str


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Story:
    base = tmp_path_factory.mktemp("init-e2e")
    content = base / "content"
    init = subprocess.run(
        [str(Path(sys.executable).parent / "cmops"), "init", str(content), "--timezone",
         TIMEZONE, "--lang", "en", "--cmops-source", SOURCE],
        capture_output=True, text=True, timeout=120, check=False)
    assert init.returncode == 0, init.stderr
    git(content, "init", "--quiet", "--initial-branch", "main")
    git(content, "add", "-A")
    git(content, "commit", "--quiet", "-m", "cmops init")
    remote = base / "origin.git"
    git(base, "init", "--quiet", "--bare", "--initial-branch", "main", str(remote))
    git(content, "remote", "add", "origin", str(remote))
    git(content, "push", "--quiet", "origin", "main")

    # A community manager adds a post, due a few minutes ago (within max_delay), on a branch.
    git(content, "switch", "--quiet", "-c", "launch")
    hello = next((content / "calendar/posts").rglob("hello-world.yaml"))
    when = (datetime.now(ZoneInfo(TIMEZONE)) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    text = hello.read_text("utf-8")
    text = re.sub(r"(?m)^id: .*$", f"id: {POST_ID}", text)
    text = re.sub(r"(?m)^publish_at: \S+", f"publish_at: {when}", text)
    text = text.replace("Hello! This is the first post of our content calendar.",
                        f"We launch today. {HOSTILE}")
    post = content / "calendar/posts/launch" / f"{POST_ID}.yaml"
    post.parent.mkdir(parents=True)
    post.write_text(text, "utf-8")
    git(content, "add", "-A")
    git(content, "commit", "--quiet", "-m", "Launch day post")
    git(content, "push", "--quiet", "origin", "launch")

    workflows = content / ".github/workflows"
    runner = Runner(remote, base / "runners", {
        "github.base_ref": "main", "github.event.pull_request.number": "1",
        "inputs.post": "", "inputs.channel": "", "inputs.dry_run": "false"})
    runner.work.mkdir()
    review = runner.job(workflows / "review.yml", "review", "launch")

    # The review passed: merge (a fast-forward, as a merge of an up-to-date branch).
    git(content, "switch", "--quiet", "main")
    git(content, "merge", "--quiet", "--ff-only", "launch")
    git(content, "push", "--quiet", "origin", "main")
    publish = runner.job(workflows / "publish.yml", "publish", "main")
    alert = runner.job(workflows / "publish.yml", "alert", "main")
    collect = runner.job(workflows / "report.yml", "collect", "main")
    health = runner.job(workflows / "report.yml", "health", "main")
    build = runner.job(workflows / "report.yml", "build", "main")
    site = runner.work / "report-build" / "site"
    return Story(content, remote, runner, review, publish, alert, collect, health, build,
                 site, when)


def test_every_cmops_command_of_the_workflows_ran_in_order(story: Story) -> None:
    assert [(command, step.code) for command, step in story.runner.ran] == [
        ("validate", 0), ("plan", 0), ("publish", 0), ("status", 0), ("collect", 0),
        ("health", 0), ("report", 0)], [(c, s.stdout[-2000:], s.stderr[-2000:])
                                         for c, s in story.runner.ran]


def test_the_review_validates_and_plans_against_the_base(story: Story) -> None:
    validate = story.review["Validate"]
    assert "::error" not in validate.stdout, validate.stdout
    assert validate.stdout.strip().endswith("files valid"), validate.stdout
    temp = Path(story.runner.work / "review-review-temp")
    plan = (temp / "cmops-review" / "plan.md").read_text("utf-8")
    assert POST_ID in plan and "newsroom" in plan
    assert plan in (temp / "summary.md").read_text("utf-8")  # summary: "true"
    assert (temp / "cmops-review" / "pr-number").read_text() == "1\n"


def test_publishing_records_on_the_remotes_state_branch(story: Story) -> None:
    branches = git(story.remote, "branch", "--list", "--format=%(refname:short)").split()
    assert sorted(branches) == sorted(["launch", "main", STATE_BRANCH])
    ledger = git(story.remote, "ls-tree", "-r", "--name-only", STATE_BRANCH)
    assert f"{POST_ID}" in ledger, ledger
    status = json.loads(
        (story.runner.work / "publish-alert-temp" / "status.json").read_text("utf-8"))
    rows = {(r["post"], r["channel"]): r["state"] for r in status["items"]}
    assert rows[(POST_ID, "newsroom")] == "published", rows
    assert story.alert["Read the ledger"].code == 0


def test_the_site_links_every_stylesheet_it_needs_and_they_exist(story: Story) -> None:
    pages = sorted(story.site.rglob("*.html"))
    assert story.site / "report" / "index.html" in pages
    for page in pages:
        html = page.read_text("utf-8")
        sheets = re.findall(r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"', html)
        # 404.html links from the site's root (MkDocs without site_url): served at the root.
        targets = {(story.site / href[1:] if href.startswith("/") else page.parent / href)
                   .resolve() for href in sheets}
        assert (story.site / "assets" / "report.css").resolve() in targets, page
        assert all(t.is_file() for t in targets), (page, sheets)
    shipped = (story.content / "docs/assets/report.css").read_bytes()
    assert (story.site / "assets" / "report.css").read_bytes() == shipped
    from cmops.cli.init import stylesheet

    assert shipped == stylesheet().encode("utf-8")


def test_every_link_in_the_site_resolves(story: Story) -> None:
    missing = []
    for page in sorted(story.site.rglob("*.html")):
        for href in re.findall(r'(?:href|src)="([^"]+)"', page.read_text("utf-8")):
            for entity, char in (("&#46;", "."), ("&#45;", "-"), ("&#35;", "#"),
                                 ("&#95;", "_"), ("&amp;", "&")):
                href = href.replace(entity, char)
            if href.startswith(("http://", "https://", "#", "mailto:", "data:")):
                continue
            path = href.split("#")[0].split("?")[0]
            target = (story.site / path[1:] if path.startswith("/") else page.parent / path)
            target = target.resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                missing.append(f"{page.relative_to(story.site)} -> {href}")
    assert not missing


# -- the site in the browser ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def tab(story: Story, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Page, str]]:
    why = chromium_missing()
    if why:
        pytest.fail(why, pytrace=False)
    browser = Browser(tmp_path_factory.mktemp("chromium-profile"))
    try:
        with serve(story.site) as base_url:
            page = browser.new_page()
            try:
                yield page, base_url
            finally:
                page.ws.close()
    finally:
        browser.close()


def test_the_dashboard_is_styled(tab: tuple[Page, str]) -> None:
    page, base_url = tab
    visit(page, base_url, "report/", screenshot="init-dashboard")
    measure = """(() => {
      const nav = document.querySelector('nav.cm-sections');
      const s = getComputedStyle(nav), a = getComputedStyle(nav.querySelector('a'));
      return [s.display, a.borderTopStyle, a.borderTopLeftRadius];
    })()"""
    sheets = page.js("[...document.styleSheets].filter(x => (x.href || '')"
                     ".endsWith('/assets/report.css')).map(x => x.cssRules.length > 0)")
    assert sheets == [True]
    styled = page.js(measure)
    # Without the stylesheet the section links run together inline
    # ("DashboardCalendarCampaigns…"): the same page with it switched off.
    page.js("[...document.styleSheets].forEach(x => { if ((x.href || '')"
            ".endsWith('/assets/report.css')) x.disabled = true; })")
    unstyled = page.js(measure)
    assert unstyled == ["block", "none", "0px"]
    assert styled[:2] == ["flex", "solid"] and styled[2] != "0px", styled
    assert texts(page, "nav.cm-sections a")[0] == "Dashboard"


def test_the_post_shows_as_published_and_its_text_stays_text(story: Story,
                                                            tab: tuple[Page, str]) -> None:
    page, base_url = tab
    visit(page, base_url, "report/published/", screenshot="init-published")
    rows = page.js("[...document.querySelectorAll('table.cm-log tbody tr')]"
                   ".map(r => r.innerText.replace(/\\s+/g, ' ').trim())")
    assert [row for row in rows if POST_ID in row], rows
    month = story.published_at[:7]
    visit(page, base_url, f"report/posts/{month}/", screenshot="init-post")
    shown = page.js(f"document.querySelector('#p-{POST_ID} .cm-text').textContent")
    assert HOSTILE in shown
    visit(page, base_url, f"report/calendar/{month}/", screenshot="init-month")
    chips = page.js("[...document.querySelectorAll('table.cm-month .cm-chip')]"
                    ".map(c => c.dataset.post)")
    assert POST_ID in chips


# The outbox channel's files survive CI (issue 21): on the state branch, served by the site.
def test_the_outbox_files_are_reachable_from_the_site(story: Story,
                                                      tab: tuple[Page, str]) -> None:
    page, base_url = tab
    visit(page, base_url, "report/published/")
    links = page.js("[...document.querySelectorAll('a[href]')].map(a => a.href)"
                    ".filter(h => /outbox/.test(h))")
    assert links, "the published log links no outbox file"
    for link in links:
        assert link.startswith(base_url), link  # served by the site itself
        with urllib.request.urlopen(link, timeout=10) as answer:
            assert answer.status == 200
            body = answer.read().decode("utf-8")
        if link.endswith(".json"):
            assert POST_ID in body


def test_the_workflows_install_the_pinned_cmops(story: Story) -> None:
    action = yaml.safe_load((story.content / LOCAL_ACTION / "action.yml").read_text("utf-8"))
    url, commit = SOURCE.rsplit("@", 1)
    assert action["inputs"]["package"]["default"] == f"cmops @ git+{url}@{commit}"
    readme = (story.content / "README.md").read_text("utf-8")
    assert f".venv/bin/pip install 'cmops @ git+{url}@{commit}'" in readme
    assert shutil.which("git")


def test_the_crisis_pause_commits_to_main_and_holds_what_is_due(story: Story) -> None:
    """Last: it changes the remote's main. A post due now is merged; Actions → Crisis pause →
    pause; a publish run holds it; resume; the next publish run sends it: as the workflow
    files say."""
    reason = "Recall: <b>hold</b> `everything`"
    runner = story.runner
    workflows = story.content / ".github/workflows"
    when = (datetime.now(ZoneInfo(TIMEZONE)) - timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M")
    (story.content / "calendar/posts/launch/held.yaml").write_text(
        f"id: held\nstatus: ready\nchannels: [newsroom]\npublish_at: {when}\n"
        "text: Held during the pause\n", "utf-8")
    git(story.content, "add", "-A")
    git(story.content, "commit", "--quiet", "-m", "A post due now")
    git(story.content, "push", "--quiet", "origin", "main")
    crisis = {"github.actor": "camille", "github.event.repository.default_branch": "main",
              "github.server_url": "https://github.com", "github.repository": "acme/content",
              "github.run_id": "42", "inputs.reason": reason}
    outcomes, ledgers = {}, {}
    for action in ("pause", "resume"):
        runner.context.update({
            **crisis, "inputs.action": action,
            "inputs.action == 'pause' && inputs.reason || ''":
                reason if action == "pause" else "",
            "inputs.action == 'pause' && github.actor || ''":
                "camille" if action == "pause" else ""})
        steps = runner.job(workflows / "crisis.yml", "crisis", "main")
        assert [s.code for s in steps.values()] == [0, 0], steps
        head = git(story.remote, "log", "-1", "--format=%s%n%b", "main")
        assert head.startswith(f"cmops {action}: {reason}\n"), head
        assert "Requested by @camille in https://github.com/acme/content/actions/runs/42" \
            in head
        if action == "pause":
            paused = yaml.safe_load(git(story.remote, "show", "main:calendar/pause.yaml"))
            assert (paused["reason"], paused["by"]) == (reason, "camille"), paused
        published = runner.job(workflows / "publish.yml", "publish", "main")["Publish"]
        assert published.code == 0, published
        outcomes[action] = published.stdout + published.stderr
        ledgers[action] = git(story.remote, "ls-tree", "-r", "--name-only", STATE_BRANCH)
    # Paused: nothing sent, nothing recorded, and the run says what the pause holds.
    assert "PAUSED: 1 item(s) due now are held" in outcomes["pause"], outcomes
    assert "✓ published      held/newsroom" not in outcomes["pause"], outcomes
    assert "records/held/" not in ledgers["pause"], ledgers["pause"]
    assert "✓ published      held/newsroom" in outcomes["resume"], outcomes
    assert "records/held/newsroom.json" in ledgers["resume"].splitlines()
    assert [c for c, _ in runner.ran][-4:] == ["pause", "publish", "resume", "publish"]
