"""Benchmark: `cmops validate` on a synthetic calendar, beside its references.

    python benchmarks/validate.py [--posts 10000] [--repeat 3] [--calendar both|plain|links]

On two synthetic calendars (benchmarks/synth.py): its usual one, and a link-heavy one where
every post has a link and a campaign with UTM tags and goes to 3 channels. For each, in one
run, wall time, CPU time (user + system) and peak memory (median of --repeat runs, each a
fresh process) for:
  floor            read + parse the same files with PyYAML's C loader, nothing else
  check-jsonschema the same post files against the post schema
  cmops cold       `cmops validate` with no cache
  cmops warm       `cmops validate` again after one post file changed (cache in .cmops/)
and the ratios against the targets: cold <= 2.0x floor, cold >= 7x faster than
check-jsonschema, warm <= 0.2x cold. The targets are judged on CPU seconds: every process
here is single-threaded, so on an idle machine CPU and wall agree, and on a shared one CPU
time is what the run itself cost (the wall ratios are printed beside them). "same results"
compares the JSON of the cold run, and of the warm run after the change, with a run that
uses no cache.
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
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import ROOT, generate

FLOOR = """
import sys, yaml
from pathlib import Path
for p in sorted(Path(sys.argv[1], "calendar").rglob("*.yaml")):
    with open(p, "rb") as f:
        yaml.load(f, Loader=yaml.CSafeLoader)
"""


class Run(NamedTuple):
    wall: float
    cpu: float
    """User + system seconds of the process."""
    peak: int
    """Peak RSS in KiB."""
    out: bytes


def measure(cmd: list[str], cwd: Path | None = None) -> tuple[Run, int]:
    """One fresh process: its figures and exit code."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, out), proc.returncode


def median_of(repeat: int, cmd: list[str], before=None) -> Run:
    runs = []
    for _ in range(repeat):
        if before:
            before()
        run, code = measure(cmd)
        if code not in (0, 1):
            raise SystemExit(f"{cmd[:3]} failed with exit {code}")
        runs.append(run)
    return Run(statistics.median(r.wall for r in runs), statistics.median(r.cpu for r in runs),
               max(r.peak for r in runs), runs[-1].out)


def bench(name: str, repo: Path, repeat: int) -> bool:
    """Measure one calendar and print its rows; True when every target passes."""
    files = sorted(str(p) for p in (repo / "calendar/posts").rglob("*.yaml"))
    py = sys.executable
    cmops = [py, "-m", "cmops", "--root", str(repo), "validate", "--format", "json"]
    cache = repo / ".cmops"
    one_post = Path(files[len(files) // 2])
    original = one_post.read_text("utf-8")
    time.sleep(2.1)  # let the generated files age past the cache's racy-clean window

    def drop_cache() -> None:
        shutil.rmtree(cache, ignore_errors=True)

    counter = iter(range(10**6))

    def touch_one() -> None:
        one_post.write_text(original.replace("status: ready", "status: ready\n"
                                             f"notes: edit {next(counter)}"), "utf-8")

    print(f"\n{name}: {len(files)} post files, median of {repeat}")
    floor = median_of(repeat, [py, "-c", FLOOR, str(repo)])
    cold = median_of(repeat, cmops, before=drop_cache)
    cold_same = cold.out == measure([*cmops, "--no-cache"])[0].out
    median_of(1, cmops)  # build the cache for the warm runs
    time.sleep(2.1)
    warm = median_of(repeat, cmops, before=touch_one)
    warm_same = warm.out == measure([*cmops, "--no-cache"])[0].out
    cj = shutil.which("check-jsonschema", path=str(Path(py).parent)) or shutil.which(
        "check-jsonschema")
    cjr = None
    if cj:
        cjr = median_of(max(1, repeat // 2), [
            cj, "--schemafile", str(ROOT / "schemas/post.schema.json"), *files])
    one_post.write_text(original, "utf-8")

    def verdict(ok: bool) -> str:
        passes.append(ok)
        return "PASS" if ok else "FAIL"

    passes = [cold_same, warm_same]
    rows = [("floor: read + PyYAML CSafeLoader", floor, "1.00x floor", "1.00x floor", "")]
    rows.append(("cmops validate (cold)", cold, f"{cold.cpu / floor.cpu:.2f}x floor",
                 f"{cold.wall / floor.wall:.2f}x floor",
                 "target <= 2.0x floor: " + verdict(cold.cpu <= 2.0 * floor.cpu)))
    rows.append(("cmops validate (warm, 1 file changed)", warm,
                 f"{warm.cpu / cold.cpu:.2f}x cold", f"{warm.wall / cold.wall:.2f}x cold",
                 "target <= 0.2x cold: " + verdict(warm.cpu <= 0.2 * cold.cpu)))
    if cjr is not None:
        rows.append(("check-jsonschema (post schema only)", cjr,
                     f"cmops {cjr.cpu / cold.cpu:.1f}x faster",
                     f"cmops {cjr.wall / cold.wall:.1f}x faster",
                     "target >= 7x: " + verdict(cjr.cpu >= 7 * cold.cpu)))
    print(f"{'':40} {'CPU s':>7} {'wall s':>7} {'peak MiB':>9}  {'ratio (CPU)':<20} "
          f"{'ratio (wall)':<20} verdict (on CPU)")
    for label, run, ratio, wall_ratio, result in rows:
        print(f"{label:40} {run.cpu:7.3f} {run.wall:7.3f} {run.peak / 1024:9.1f}  "
              f"{ratio:<20} {wall_ratio:<20} {result}")
    if cjr is None:
        print(f"{'check-jsonschema':40} not installed (pip install check-jsonschema)")
    print(f"same results: {'yes' if cold_same and warm_same else 'NO'} (cold run = a run "
          f"without the cache: {'yes' if cold_same else 'NO'}; warm run after the change = "
          f"a run without the cache: {'yes' if warm_same else 'NO'})")
    return all(passes)


CALENDARS = {
    "benchmark calendar (synth.py: 1-4 channels a post, links on half)": ("repo", False),
    "link-heavy calendar (every post a link and a UTM campaign, 3 channels)":
        ("repo-links", True),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    parser.add_argument("--calendar", choices=("both", "plain", "links"), default="both",
                        help="which synthetic calendar(s) to measure")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="cmops-bench-"))
    print(f"cmops validate benchmark: {args.posts} posts, median of {args.repeat}, "
          f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    verdicts = []
    for name, (folder, links) in CALENDARS.items():
        if args.calendar != "both" and links != (args.calendar == "links"):
            continue
        verdicts.append(bench(name, generate(work / folder, args.posts, links=links),
                              args.repeat))
    print(f"\nall targets: {'PASS' if all(verdicts) else 'FAIL'}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
