"""Benchmark: pull-request feedback from a fresh environment, pip path beside uv path.

    python benchmarks/install.py [--posts 1000] [--repeat 3] [--cold-uv]

What a review job does before its first annotation: create a virtual environment, install
cmops from this checkout (as the composite action does: not editable, no extras), then
`cmops validate` and `cmops plan --base HEAD~1` on a synthetic calendar of --posts posts in a
git repository with two commits (the second changes a few posts, as a pull request would).

- pip path: `python -m venv` and the venv's own pip.
- uv path: `uv venv` and `uv pip install`, with the uv the action pins (UV_VERSION), installed
  from the package index into a tool environment under ~/.cache/cmops-bench on first use.

Both package caches are warm: one untimed install of each path runs first (pip's cache in
~/.cache/pip, uv's in ~/.cache/uv). --cold-uv adds a uv row with an empty uv cache (every
wheel downloaded again). Each figure is the median of --repeat runs. Target: the uv path
takes at most 0.3x the pip path.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import generate

ROOT = Path(__file__).resolve().parents[1]
UV_VERSION = "0.12.4"
"""The uv of action.yml's setup-uv step."""
TARGET = 0.3
TOOLS = Path.home() / ".cache" / "cmops-bench" / f"uv-{UV_VERSION}"


def run(cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):  # 1: findings, which is still a complete run
        raise SystemExit(f"{' '.join(cmd[:4])} failed ({done.returncode}):\n{done.stderr}")


def git(repo: Path, *args: str) -> None:
    run(["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", *args],
        cwd=repo)


def calendar(work: Path, posts: int) -> Path:
    """The synthetic calendar in a git repository: everything, then a change to 5 posts."""
    repo = generate(work / "repo", posts)
    git(repo, "init", "--quiet", "--initial-branch=main")
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "-m", "calendar")
    changed = sorted((repo / "calendar" / "posts").rglob("*.yaml"))[:: max(1, posts // 5)][:5]
    for path in changed:
        path.write_text(path.read_text("utf-8").replace("status: ready", "status: draft"),
                        "utf-8")
    git(repo, "commit", "--quiet", "-am", "a pull request: five posts back to draft")
    return repo


def uv_binary() -> Path:
    uv = TOOLS / "bin" / "uv"
    if not uv.exists():
        run([sys.executable, "-m", "venv", str(TOOLS)])
        run([str(TOOLS / "bin" / "python"), "-m", "pip", "install", "--quiet",
             "--disable-pip-version-check", f"uv=={UV_VERSION}"])
    return uv


def timed(steps: list[tuple[str, Callable[[], None]]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, step in steps:
        started = time.perf_counter()
        step()
        out[name] = time.perf_counter() - started
    return out


def path_steps(kind: str, venv: Path, repo: Path, uv: Path,
               env: dict[str, str]) -> list[tuple[str, Callable[[], None]]]:
    requirement = f"cmops @ file://{ROOT}"
    if kind == "pip":
        install = [
            ("venv", lambda: run([sys.executable, "-m", "venv", str(venv)], env=env)),
            ("install", lambda: run([str(venv / "bin" / "python"), "-m", "pip", "install",
                                     "--quiet", "--disable-pip-version-check", requirement],
                                    env=env))]
    else:
        install = [
            ("venv", lambda: run([str(uv), "venv", "--quiet", "--python", sys.executable,
                                  str(venv)], env=env)),
            ("install", lambda: run([str(uv), "pip", "install", "--quiet", "--python",
                                     str(venv / "bin" / "python"), requirement], env=env))]
    cmops = str(venv / "bin" / "cmops")
    return [*install,
            ("validate", lambda: run([cmops, "--root", str(repo), "validate"], env=env)),
            ("plan --base", lambda: run([cmops, "--root", str(repo), "plan", "--base",
                                         "HEAD~1"], env=env))]


def one_run(kind: str, work: Path, repo: Path, uv: Path, env: dict[str, str]) -> dict[str, float]:
    venv = work / f"venv-{kind}"
    shutil.rmtree(venv, ignore_errors=True)
    shutil.rmtree(repo / ".cmops", ignore_errors=True)  # a fresh job: no validation cache
    return timed(path_steps(kind, venv, repo, uv, env))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cold-uv", action="store_true",
                        help="also time uv with an empty cache (downloads every wheel)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="cmops-bench-install-"))
    try:
        repo = calendar(work, args.posts)
        uv = uv_binary()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
        env["PIP_NO_INPUT"] = "1"
        rows: dict[str, list[dict[str, float]]] = {"pip": [], "uv": []}
        for kind in rows:  # warm both package caches: untimed
            one_run(kind, work, repo, uv, env)
        for _ in range(args.repeat):
            for kind in rows:
                rows[kind].append(one_run(kind, work, repo, uv, env))
        if args.cold_uv:
            rows["uv (cold cache)"] = []
            for _ in range(args.repeat):
                cold = {**env, "UV_CACHE_DIR": str(work / "uv-cold-cache")}
                shutil.rmtree(work / "uv-cold-cache", ignore_errors=True)
                rows["uv (cold cache)"].append(one_run("uv", work, repo, uv, cold))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    import ensurepip  # the pip a fresh venv gets, as in the action's pip path

    print(f"Fresh environment + cmops validate + cmops plan --base on {args.posts} posts "
          f"(median of {args.repeat}; pip {ensurepip.version()} and uv {UV_VERSION}, "
          "warm package caches unless said)")
    steps = ["venv", "install", "validate", "plan --base"]
    print(f"{'path':<16}" + "".join(f"{s:>13}" for s in steps) + f"{'total':>10}")
    totals = {}
    for kind, runs in rows.items():
        med = {s: statistics.median(r[s] for r in runs) for s in steps}
        totals[kind] = statistics.median(sum(r.values()) for r in runs)
        print(f"{kind:<16}" + "".join(f"{med[s]:>12.2f}s" for s in steps)
              + f"{totals[kind]:>9.2f}s")
    ratio = totals["uv"] / totals["pip"]
    verdict = "ok" if ratio <= TARGET else "MISSED"
    print(f"uv path / pip path: {ratio:.2f}x (target <= {TARGET}x): {verdict}")


if __name__ == "__main__":
    main()
