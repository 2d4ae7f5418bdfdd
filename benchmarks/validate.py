"""Benchmark: `cmops validate` on a synthetic calendar, beside its references.

    python benchmarks/validate.py [--posts 10000] [--repeat 3]

Prints, in one run, wall time and peak memory (median of --repeat runs, each a fresh
process) for:
  floor            read + parse the same files with PyYAML's C loader, nothing else
  check-jsonschema the same post files against the post schema
  cmops cold       `cmops validate` with no cache
  cmops warm       `cmops validate` again after one post file changed (cache in .cmops/)
and the ratios against the targets: cold <= 2.0x floor, cold >= 7x faster than
check-jsonschema, warm <= 0.2x cold. The warm result is checked identical to a cold run.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import ROOT, generate

FLOOR = """
import sys, yaml
from pathlib import Path
for p in sorted(Path(sys.argv[1], "calendar").rglob("*.yaml")):
    with open(p, "rb") as f:
        yaml.load(f, Loader=yaml.CSafeLoader)
"""


def measure(cmd: list[str], cwd: Path | None = None) -> tuple[float, int, int, bytes]:
    """Wall seconds, peak RSS (KiB), exit code, stdout of one fresh process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_maxrss, proc.returncode, out


def median_of(repeat: int, cmd: list[str], before=None) -> tuple[float, int, bytes]:
    times, peaks, out = [], [], b""
    for _ in range(repeat):
        if before:
            before()
        t, rss, code, out = measure(cmd)
        if code not in (0, 1):
            raise SystemExit(f"{cmd[:3]} failed with exit {code}")
        times.append(t)
        peaks.append(rss)
    return statistics.median(times), max(peaks), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="cmops-bench-"))
    repo = generate(work / "repo", args.posts)
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

    print(f"cmops validate benchmark: {args.posts} posts ({len(files)} post files), "
          f"median of {args.repeat}, python {sys.version.split()[0]}, {os.cpu_count()} cores")
    floor_t, floor_m, _ = median_of(args.repeat, [py, "-c", FLOOR, str(repo)])
    cold_t, cold_m, _ = median_of(args.repeat, cmops, before=drop_cache)
    median_of(1, cmops)  # build the cache for the warm runs
    time.sleep(2.1)
    warm_t, warm_m, warm_out = median_of(args.repeat, cmops, before=touch_one)
    fresh = measure([*cmops, "--no-cache"])[3]
    identical = warm_out == fresh
    cj = shutil.which("check-jsonschema", path=str(Path(py).parent)) or shutil.which(
        "check-jsonschema")
    cj_t = cj_m = None
    if cj:
        cj_t, cj_m, _ = median_of(max(1, args.repeat // 2), [
            cj, "--schemafile", str(ROOT / "schemas/post.schema.json"), *files])
    one_post.write_text(original, "utf-8")

    rows = [("floor: read + PyYAML CSafeLoader", floor_t, floor_m, "1.00x floor", "")]
    rows.append(("cmops validate (cold)", cold_t, cold_m, f"{cold_t / floor_t:.2f}x floor",
                 "target <= 2.0x floor: " + ("PASS" if cold_t <= 2.0 * floor_t else "FAIL")))
    rows.append(("cmops validate (warm, 1 file changed)", warm_t, warm_m,
                 f"{warm_t / cold_t:.2f}x cold",
                 "target <= 0.2x cold: " + ("PASS" if warm_t <= 0.2 * cold_t else "FAIL")))
    if cj_t is not None:
        rows.append(("check-jsonschema (post schema only)", cj_t, cj_m or 0,
                     f"cmops {cj_t / cold_t:.1f}x faster",
                     "target >= 7x: " + ("PASS" if cj_t >= 7 * cold_t else "FAIL")))
    else:
        rows.append(("check-jsonschema", float("nan"), 0, "not installed", "pip install "
                     "check-jsonschema"))
    print(f"{'':40} {'wall s':>8} {'peak MiB':>9}  ratio")
    for name, t, mem, ratio, verdict in rows:
        print(f"{name:40} {t:8.3f} {mem / 1024:9.1f}  {ratio:<22} {verdict}")
    print(f"warm result identical to a cold run: {'yes' if identical else 'NO'}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
