"""Benchmark: `cmops report` + `mkdocs build --strict` on the synthetic year, beside a cold
`cmops validate` of the same calendar.

    python benchmarks/report.py [--posts 10000] [--repeat 3] [--at ISO] [--no-ledger]

The synthetic calendar (benchmarks/synth.py: a year of posts over 5 channels and 24
campaigns) gets the project's mkdocs.yml and docs/, and the ledger half a year of publishing
leaves (benchmarks/ledger.py: every item due before --at published, metric snapshots, the
outbox's files), so the published log, the campaigns' results and the analytics are full.
Each figure is the median of --repeat fresh processes:
  validate         cmops validate with no cache: the yardstick (issue 22)
  reference        mkdocs build --strict of the docs alone (no report): the builder's floor
  report, pages    cmops report --no-build (load and plan the calendar, write the pages)
  report + build   cmops report (the same, then mkdocs build --strict), cold and warm
                   validation cache
Target: report + build (cold) <= 5x the cold validate in CPU seconds, both measured in this
run (wall ratios printed beside). Then the
built site's largest page (HTML bytes; target <= 500 KB) and its search index.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ledger import write_ledger
from synth import ROOT, generate
from validate import median_of

TARGET_RATIO = 5.0
"""report + build (cold) over a cold validate."""
PAGE_LIMIT = 500_000
"""Bytes of HTML of the largest built page."""
AT = "2027-07-01T00:00Z"
"""Mid-way through the synthetic year (2027): half of its posts are published (the log and
the results full), half ahead (the calendar's months and weeks)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--at", default=AT, help=f"report as of this time (default {AT})")
    parser.add_argument("--no-ledger", action="store_true",
                        help="no ledger: nothing published (every past item expired)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="cmops-bench-report-"))
    repo = generate(work / "repo", args.posts)
    shutil.copy(ROOT / "mkdocs.yml", repo / "mkdocs.yml")
    shutil.copytree(ROOT / "docs", repo / "docs",
                    ignore=lambda folder, names: ["report"] if Path(folder) == ROOT / "docs"
                    else [])
    os.environ["NO_MKDOCS_2_WARNING"] = "1"
    counts = {} if args.no_ledger else write_ledger(
        repo, datetime.fromisoformat(args.at.replace("Z", "+00:00")))
    py = sys.executable
    reference = [py, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(repo / "mkdocs.yml"),
                 "-d", str(work / "reference-site")]
    base = [py, "-m", "cmops", "--root", str(repo), "report", "--at", args.at]
    time.sleep(2.1)  # let the files age past the validation cache's racy-clean window

    def drop_cache() -> None:  # the validation cache only: .cmops/state/ holds the ledger
        shutil.rmtree(repo / ".cmops" / "cache", ignore_errors=True)

    def drop_report() -> None:
        shutil.rmtree(repo / "docs" / "report", ignore_errors=True)

    def cold() -> None:
        drop_cache()
        drop_report()

    print(f"cmops report benchmark: {args.posts} posts as of {args.at}, median of "
          f"{args.repeat}, python {sys.version.split()[0]}, {os.cpu_count()} cores")
    print("ledger: " + (", ".join(f"{n} {what}" for what, n in counts.items()) or "none"))
    validate = [py, "-m", "cmops", "--root", str(repo), "validate", "--at", args.at]
    check = median_of(args.repeat, validate, before=drop_cache)
    ref = median_of(args.repeat, reference, before=drop_report)
    pages = median_of(args.repeat, [*base, "--no-build"], before=cold)
    full_cold = median_of(args.repeat, base, before=cold)
    full_warm = median_of(args.repeat, base)
    out = pages.out
    report = repo / "docs" / "report"
    count = sum(1 for _ in report.rglob("*.md"))
    size = sum(p.stat().st_size for p in report.rglob("*") if p.is_file())

    # Judged on CPU seconds (user + system, the build's child process included), as
    # benchmarks/validate.py does: the runs are single-threaded, and on a machine shared
    # with other jobs wall time measures the neighbours. Wall ratios are printed beside.
    ratio = full_cold.cpu / check.cpu
    print(f"{'':40} {'wall s':>8} {'cpu s':>8} {'peak MiB':>9}  ratio to validate (cpu, wall)")
    rows = [("cmops validate (cold cache)", check, ""),
            ("mkdocs build, docs alone (reference)", ref, ""),
            ("cmops report --no-build (cold cache)", pages, ""),
            ("cmops report + build (cold cache)", full_cold,
             f"target <= {TARGET_RATIO:.0f}x (cpu): " +
             ("PASS" if ratio <= TARGET_RATIO else "FAIL")),
            ("cmops report + build (warm cache)", full_warm, "")]
    for name, run, note in rows:
        print(f"{name:40} {run.wall:8.3f} {run.cpu:8.3f} {run.peak / 1024:9.1f}  "
              f"{run.cpu / check.cpu:5.2f}x {run.wall / check.wall:5.2f}x  {note}")
    print(f"pages: {count} (months, weeks, campaigns, post details and fixed pages); generated "
          f"folder {size / 1024 / 1024:.1f} MiB; {out.decode().strip()}")
    site = repo / "site"
    built = sorted(site.rglob("*.html"), key=lambda p: p.stat().st_size)
    largest = built[-1]
    big = largest.stat().st_size
    print(f"largest page: {largest.relative_to(site)} {big / 1000:.0f} KB of HTML "
          f"(target <= {PAGE_LIMIT / 1000:.0f} KB: {'PASS' if big <= PAGE_LIMIT else 'FAIL'}); "
          f"built site {sum(p.stat().st_size for p in built) / 1024 / 1024:.1f} MiB of HTML "
          f"in {len(built)} pages")
    index = site / "search" / "search_index.json"
    entries = len(json.loads(index.read_text("utf-8"))["docs"])
    print(f"search index: {index.stat().st_size / 1024 / 1024:.2f} MiB, {entries} entries")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
