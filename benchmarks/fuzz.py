"""Fuzzing: the property tests under the long Hypothesis profile (thousands of examples).

    python benchmarks/fuzz.py [--profile long] [--seed 1] [-k EXPR]

Runs ``tests/test_properties.py`` with ``--hypothesis-profile=long`` (see tests/conftest.py)
and Hypothesis's statistics, then prints, per property and in total, the examples tried and
the failures found. Every property must hold: any failure is printed with the example that
reproduces it, and the exit status is 1. Reference (issue 15): 0 failures.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_PROPERTY = re.compile(r"^tests/test_properties\.py::(\w+):", re.M)
_GENERATED = re.compile(r"during generate phase.*?\n.*?\n\s*- (\d+) passing, (\d+) failing")
_DISTINCT = re.compile(r"Found (\d+) distinct error")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="long")
    parser.add_argument("--seed", type=int, default=None,
                        help="Hypothesis seed (default: a random one, printed on failure)")
    parser.add_argument("-k", dest="select", default=None, help="only these properties")
    args = parser.parse_args()
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
               "tests/test_properties.py", f"--hypothesis-profile={args.profile}",
               "--hypothesis-show-statistics"]
    if args.seed is not None:
        command.append(f"--hypothesis-seed={args.seed}")
    if args.select:
        command += ["-k", args.select]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    output = done.stdout + done.stderr
    tried = failed = 0
    sections = _PROPERTY.split(output)[1:]
    for name, body in zip(sections[::2], sections[1::2], strict=True):
        # Examples generated (shrinking a failure tries more, which are not counted), and
        # distinct failures (each one an example that breaks the property, shrunk).
        generated = _GENERATED.search(body)
        examples = int(generated[1]) + int(generated[2]) if generated else 0
        failures = sum(int(n) for n in _DISTINCT.findall(body))
        tried, failed = tried + examples, failed + failures
        print(f"{name:<62} {examples:>6} examples, {failures} failures")
    verdict = output.strip().splitlines()[-1] if output.strip() else "no output"
    print(f"\n{tried} examples tried, {failed} failures found "
          f"(profile {args.profile}, {elapsed:.0f} s): {verdict}")
    if done.returncode != 0:
        print(output[-6000:])
    return 0 if done.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
