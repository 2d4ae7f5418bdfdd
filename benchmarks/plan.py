"""Benchmark: `cmops plan` beside `cmops validate` on the same synthetic calendar.

    python benchmarks/plan.py [--posts 10000] [--repeat 3]

The plan reads and checks the calendar exactly as validate does, then expands time (local
times, repeats, slots), renders every post for every channel (variants, UTM tags, thread
parts), measures each text with its network's rules and prints the whole year as JSON. The
target is that all of this costs at most 1.2x validate, both with a cold cache and a warm one.
Each figure is the median of --repeat fresh processes.
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
from synth import generate
from validate import median_of


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="cmops-bench-"))
    repo = generate(work / "repo", args.posts)
    py = sys.executable
    base = [py, "-m", "cmops", "--root", str(repo)]
    validate = [*base, "validate", "--format", "json"]
    # The synthetic calendar spans 2027; plan all of it so every post is rendered and measured.
    year = [*base, "plan", "--at", "2026-12-31T00:00Z", "--days", "400", "--format", "json"]
    # What a reviewer runs: the default 14-day window, in the middle of the calendar.
    window = [*base, "plan", "--at", "2027-06-01T00:00Z", "--format", "json"]
    time.sleep(2.1)  # let the files age past the cache's racy-clean window

    def drop_cache() -> None:
        shutil.rmtree(repo / ".cmops", ignore_errors=True)

    print(f"cmops plan benchmark: {args.posts} posts, median of {args.repeat}, "
          f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    v_cold, v_cold_m, _ = median_of(args.repeat, validate, before=drop_cache)
    w_cold, w_cold_m, _ = median_of(args.repeat, window, before=drop_cache)
    y_cold, y_cold_m, out = median_of(args.repeat, year, before=drop_cache)
    median_of(1, validate)
    v_warm, v_warm_m, _ = median_of(args.repeat, validate)
    w_warm, w_warm_m, wout = median_of(args.repeat, window)
    y_warm, y_warm_m, _ = median_of(args.repeat, year)

    def verdict(ratio: float) -> str:
        return "target <= 1.2x validate: " + ("PASS" if ratio <= 1.2 else "FAIL")

    print(f"{'':40} {'wall s':>8} {'peak MiB':>9}  ratio")
    rows = [("cmops validate (cold cache)", v_cold, v_cold_m, "1.00x", ""),
            ("cmops plan, 14 days (cold cache)", w_cold, w_cold_m, f"{w_cold / v_cold:.2f}x",
             verdict(w_cold / v_cold)),
            ("cmops plan, whole year (cold cache)", y_cold, y_cold_m,
             f"{y_cold / v_cold:.2f}x", verdict(y_cold / v_cold)),
            ("cmops validate (warm cache)", v_warm, v_warm_m, "1.00x", ""),
            ("cmops plan, 14 days (warm cache)", w_warm, w_warm_m, f"{w_warm / v_warm:.2f}x",
             verdict(w_warm / v_warm)),
            ("cmops plan, whole year (warm cache)", y_warm, y_warm_m,
             f"{y_warm / v_warm:.2f}x", verdict(y_warm / v_warm))]
    for name, t, mem, ratio, note in rows:
        print(f"{name:40} {t:8.3f} {mem / 1024:9.1f}  {ratio:<8} {note}")
    print(f"items rendered and measured: 14 days {len(json.loads(wout)['items'])}, "
          f"whole year {len(json.loads(out)['items'])}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
