"""Benchmark: what starting `cmops validate` costs beyond starting Python.

    python benchmarks/importtime.py [--repeat 20]

Times fresh processes of this Python: `python -c pass` (the interpreter's start),
`python -c "import cmops.cli"` and `cmops validate --help` (the console script beside this
Python, else `python -m cmops`), each the fastest of --repeat runs (the least disturbed by
other work on the machine). Target: `cmops validate --help` within 100 ms of `python -c pass`.
Then lists the slowest imports under `import cmops.cli` (python -X importtime, cumulative).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

TARGET_MS = 100.0


def fastest(cmd: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        best = min(best, time.perf_counter() - started)
    return best * 1000


def slowest_imports(count: int) -> list[tuple[int, str]]:
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", "import cmops.cli"],
                          capture_output=True, text=True, check=True)
    rows = []
    for line in done.stderr.splitlines():
        found = re.match(r"import time:\s+\d+ \|\s+(\d+) \|(\s*)(\S+)", line)
        if found and len(found[2]) <= 3:  # cmops.cli and what it imports directly
            rows.append((int(found[1]), found[3]))
    return sorted(rows, reverse=True)[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    script = Path(sys.executable).with_name("cmops")
    cmops = [str(script)] if script.exists() else [sys.executable, "-m", "cmops"]
    start = fastest([sys.executable, "-c", "pass"], args.repeat)
    cli = fastest([sys.executable, "-c", "import cmops.cli"], args.repeat)
    validate = fastest([*cmops, "validate", "--help"], args.repeat)
    print(f"Start-up, fastest of {args.repeat} fresh processes")
    print(f"  python -c pass                {start:7.1f} ms")
    print(f"  python -c 'import cmops.cli'  {cli:7.1f} ms  (+{cli - start:.1f} ms)")
    print(f"  cmops validate --help         {validate:7.1f} ms  (+{validate - start:.1f} ms)")
    beyond = validate - start
    verdict = "ok" if beyond <= TARGET_MS else "MISSED"
    print(f"cmops validate start beyond the interpreter's: {beyond:.0f} ms "
          f"(target <= {TARGET_MS:.0f} ms): {verdict}")
    print("Slowest imports under import cmops.cli (-X importtime, cumulative, one run):")
    for micros, name in slowest_imports(8):
        print(f"  {micros / 1000:7.1f} ms  {name}")


if __name__ == "__main__":
    main()
