"""Benchmark: `cmops report` + `mkdocs build --strict` on the synthetic year, beside a cold
`cmops validate` of the same calendar.

    python benchmarks/report.py [--posts 10000] [--repeat 3]

The synthetic calendar (benchmarks/synth.py: a year of posts over 5 channels and 24
campaigns) gets the project's mkdocs.yml and docs/. Each figure is the median of --repeat
fresh processes:
  validate         cmops validate with no cache: the yardstick (issue 22)
  reference        mkdocs build --strict of the docs alone (no report): the builder's floor
  report, pages    cmops report --no-build (load and plan the calendar, write the pages)
  report + build   cmops report (the same, then mkdocs build --strict), cold and warm
                   validation cache
Target: report + build (cold) <= 5x the cold validate, both measured in this run. Then the
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import ROOT, generate
from validate import median_of

TARGET_RATIO = 5.0
"""report + build (cold) over a cold validate."""
PAGE_LIMIT = 500_000
"""Bytes of HTML of the largest built page."""
AT = "2026-12-31T00:00Z"  # the synthetic calendar spans 2027: every post is ahead


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="cmops-bench-report-"))
    repo = generate(work / "repo", args.posts)
    shutil.copy(ROOT / "mkdocs.yml", repo / "mkdocs.yml")
    shutil.copytree(ROOT / "docs", repo / "docs",
                    ignore=lambda folder, names: ["report"] if Path(folder) == ROOT / "docs"
                    else [])
    os.environ["NO_MKDOCS_2_WARNING"] = "1"
    py = sys.executable
    reference = [py, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(repo / "mkdocs.yml"),
                 "-d", str(work / "reference-site")]
    base = [py, "-m", "cmops", "--root", str(repo), "report", "--at", AT]
    time.sleep(2.1)  # let the files age past the validation cache's racy-clean window

    def drop_cache() -> None:
        shutil.rmtree(repo / ".cmops", ignore_errors=True)

    def drop_report() -> None:
        shutil.rmtree(repo / "docs" / "report", ignore_errors=True)

    def cold() -> None:
        drop_cache()
        drop_report()

    print(f"cmops report benchmark: {args.posts} posts, median of {args.repeat}, "
          f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    validate = [py, "-m", "cmops", "--root", str(repo), "validate", "--at", AT]
    check, check_m, _ = median_of(args.repeat, validate, before=drop_cache)
    ref, ref_m, _ = median_of(args.repeat, reference, before=drop_report)
    pages, pages_m, out = median_of(args.repeat, [*base, "--no-build"], before=cold)
    full_cold, full_cold_m, _ = median_of(args.repeat, base, before=cold)
    full_warm, full_warm_m, _ = median_of(args.repeat, base)
    report = repo / "docs" / "report"
    count = sum(1 for _ in report.rglob("*.md"))
    size = sum(p.stat().st_size for p in report.rglob("*") if p.is_file())

    ratio = full_cold / check
    print(f"{'':40} {'wall s':>8} {'peak MiB':>9}  ratio to validate")
    rows = [("cmops validate (cold cache)", check, check_m, "1.00x", ""),
            ("mkdocs build, docs alone (reference)", ref, ref_m, f"{ref / check:.2f}x", ""),
            ("cmops report --no-build (cold cache)", pages, pages_m, f"{pages / check:.2f}x",
             ""),
            ("cmops report + build (cold cache)", full_cold, full_cold_m, f"{ratio:.2f}x",
             f"target <= {TARGET_RATIO:.0f}x: " + ("PASS" if ratio <= TARGET_RATIO else "FAIL")),
            ("cmops report + build (warm cache)", full_warm, full_warm_m,
             f"{full_warm / check:.2f}x", "")]
    for name, t, mem, shown, note in rows:
        print(f"{name:40} {t:8.3f} {mem / 1024:9.1f}  {shown:<8} {note}")
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
