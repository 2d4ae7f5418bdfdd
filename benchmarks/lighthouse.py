"""Benchmark: Lighthouse scores of the report site for the synthetic year, and its builders.

    python benchmarks/lighthouse.py [--posts 10000] [--preset desktop|mobile]
                                    [--zensical [PATH]] [--repeat 1] [--at ISO] [--no-ledger]

The synthetic calendar (benchmarks/synth.py, as benchmarks/report.py builds it) gets the
project's mkdocs.yml and docs/, and the ledger a year of publishing leaves
(benchmarks/ledger.py: every item due before --at published, with metric snapshots;
--no-ledger: none, so every past item shows as expired). ``cmops report --no-build`` writes
the pages, then the site is built with ``mkdocs build --strict`` (and, with --zensical, also
``zensical build --strict``: both build times are printed side by side, each the median of
--repeat runs). The site is served on 127.0.0.1 and Lighthouse 12.2.3
(scripts/lighthouse-setup; the system Chromium) runs once on each of the four pages of issue
22: the dashboard, the heaviest month, the heaviest campaign and the published log (its front
page, and its heaviest page too). Their performance and accessibility scores are printed
beside the targets (>= 90 and >= 95), with each page's HTML size, the largest page and the
search index's size. With --zensical the Zensical site is measured too.

Lighthouse's desktop preset is the default (tests/test_lighthouse.py says why); --preset
mobile gives the phone's figures. Scores move by a few points between runs on a loaded
machine: they are measured once here, on this machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ledger import write_ledger
from synth import ROOT, generate
from validate import median_of

sys.path.insert(0, str(ROOT))
from tests.browser import lighthouse, lighthouse_missing, lost_points, scores, serve

TARGETS = {"performance": 90, "accessibility": 95}
AT = "2027-07-01T00:00Z"
"""Mid-way through the synthetic year (2027): half of its posts are past and fill the published
log (benchmarks/report.py reports as of 2026-12-31, before every post, so its log is empty
unless given --at and --ledger)."""
SEARCH_INDEXES = ("search/search_index.json", "search.json")  # MkDocs, Zensical


def heaviest(site: Path, folder: str, pattern: str = "*/**/index.html") -> str:
    """The path of the largest page under report/<folder>/ matching ``pattern``."""
    pages = sorted((site / "report" / folder).glob(pattern),
                   key=lambda p: (p.stat().st_size, str(p)))
    if not pages:
        raise SystemExit(f"no page under {site / 'report' / folder}")
    return str(pages[-1].parent.relative_to(site)) + "/"


def pages_of(site: Path) -> dict[str, str]:
    month = "[0-9][0-9][0-9][0-9]-[0-9][0-9]/index.html"  # not a week (calendar/YYYY-Www/)
    pages = {"dashboard": "report/", "month": heaviest(site, "calendar", month),
             "campaign": heaviest(site, "campaigns"), "published log": "report/published/"}
    if any((site / "report/published").glob("*/index.html")):
        pages["log, heaviest"] = heaviest(site, "published")
    return pages


def measure_site(name: str, site: Path, preset: str, work: Path) -> None:
    pages = pages_of(site)
    largest = max(site.rglob("*.html"), key=lambda p: p.stat().st_size)
    index = next((site / i for i in SEARCH_INDEXES if (site / i).is_file()), None)
    print(f"\n{name}: Lighthouse {preset}")
    print(f"{'page':14} {'path':40} {'HTML KiB':>9}  {'performance':>18}  {'accessibility':>18}")
    with serve(site) as url:
        for page, path in pages.items():
            html = site / path / "index.html"
            if not html.is_file():
                print(f"{page:14} {path:40} {'missing':>9}  FAIL: the site has no such page")
                continue
            out = work / f"lighthouse-{name}-{page.replace(' ', '-')}.json"
            report = lighthouse(url + path, out, preset=preset, timeout=600)
            got = scores(report)
            cells = [f"{got[c]:3d} (>= {t}) {'PASS' if got[c] >= t else 'FAIL'}"
                     for c, t in TARGETS.items()]
            print(f"{page:14} {path:40} {html.stat().st_size / 1024:9.0f}  {cells[0]:>18}  "
                  f"{cells[1]:>18}")
            for category, target in TARGETS.items():
                if got[category] < target:  # what costs the points, without the elements
                    print("\n".join(f"    {category}: {line}"
                                    for line in lost_points(report, category)
                                    if not line.startswith("    ")))
    print(f"largest page: {largest.relative_to(site)} {largest.stat().st_size / 1024:.0f} KiB; "
          "search index: " + (f"{index.relative_to(site)} "
                              f"{index.stat().st_size / 1024 / 1024:.1f} MiB" if index
                              else "none found"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--preset", choices=["desktop", "mobile"], default="desktop")
    parser.add_argument("--zensical", nargs="?", const="", metavar="PATH",
                        help="also build with Zensical (default: zensical beside this Python)")
    parser.add_argument("--repeat", type=int, default=1, help="build runs to take the median of")
    parser.add_argument("--at", default=AT, help=f"report as of this time (default {AT})")
    parser.add_argument("--no-ledger", action="store_true",
                        help="no ledger: nothing published (every past item expired)")
    args = parser.parse_args()
    why = lighthouse_missing()
    if why:
        raise SystemExit(why)
    zensical = None
    if args.zensical is not None:
        zensical = args.zensical or shutil.which("zensical",
                                                 path=str(Path(sys.executable).parent))
        if not zensical:
            raise SystemExit("zensical is not installed: pip install zensical, or give its path")

    work = Path(tempfile.mkdtemp(prefix="cmops-bench-lighthouse-"))
    repo = generate(work / "repo", args.posts)
    shutil.copy(ROOT / "mkdocs.yml", repo / "mkdocs.yml")
    shutil.copytree(ROOT / "docs", repo / "docs", ignore=shutil.ignore_patterns("report"))
    os.environ["NO_MKDOCS_2_WARNING"] = "1"
    py = sys.executable
    print(f"cmops site benchmark: {args.posts} posts as of {args.at}, Lighthouse 12.2.3 "
          f"({args.preset}), python {sys.version.split()[0]}, {os.cpu_count()} cores")
    if not args.no_ledger:
        at = datetime.fromisoformat(args.at.replace("Z", "+00:00"))
        counts = write_ledger(repo, at)
        print("ledger: " + ", ".join(f"{n} {what}" for what, n in counts.items()))
    written = median_of(1, [py, "-m", "cmops", "--root", str(repo), "report", "--at", args.at,
                            "--no-build"])
    print(f"cmops report --no-build: {written.wall:.1f} s ({written.out.decode().strip()})")

    mkdocs_site = work / "site-mkdocs"
    builds = {"MkDocs": median_of(args.repeat, [py, "-m", "mkdocs", "build", "--strict", "-q",
                                                "-f", str(repo / "mkdocs.yml"),
                                                "-d", str(mkdocs_site)]).wall}
    if zensical:
        # Zensical builds into the site_dir of mkdocs.yml (site/) and keeps a cache there
        # unless --clean: each run is a clean build, like MkDocs's.
        builds["Zensical"] = median_of(args.repeat, [zensical, "build", "--strict", "--clean",
                                                     "-f", str(repo / "mkdocs.yml")]).wall
        version = subprocess.run([zensical, "--version"], capture_output=True, text=True,
                                 check=False).stdout.strip()
        print(f"zensical {version}")
    print(f"{'site build (median of ' + str(args.repeat) + ')':32} {'wall s':>8}  ratio")
    for name, seconds in builds.items():
        print(f"{name + ' build --strict':32} {seconds:8.2f}  "
              f"{seconds / builds['MkDocs']:.2f}x MkDocs")

    measure_site("MkDocs", mkdocs_site, args.preset, work)
    if zensical:
        measure_site("Zensical", repo / "site", args.preset, work)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
