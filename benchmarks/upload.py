"""Benchmark: X's chunked upload of a 50 MB video-like file to the loopback X fake.

    python benchmarks/upload.py [--mb 50] [--chunk-mib 4]

Prints, in one run: the wall time and MB/s of the bare HTTP round trips (httpx posting the
same segments, initialize and finalize, nothing else: the reference), the same for cmops's
adapter (OAuth 1.0a signing, error mapping, status poll), their ratio, and the adapter's
peak memory during the upload (tracemalloc, in a separate run so that tracing does not slow
the timed ones; and the growth of the process's peak RSS) against the file size and beside
the reference's. The segments must stream: the adapter's peak stays under two segments
whatever the file's size (it sends each segment from the file 64 KiB at a time).

The fake runs in a child process, so that what it keeps (every request it received) is not
counted against the adapter. Its bytes are random after an ``ftyp`` box: they do not decode,
so the fake's media check is switched off (``check_media=False``), and the adapter's upload
step is called directly (a whole ``publish`` would refuse a file MediaInfo cannot read).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.fakes.x import FakeX  # noqa: E402

from cmops.adapters.base import ChannelContext, MediaFile, Outgoing  # noqa: E402
from cmops.adapters.x import XAdapter  # noqa: E402
from cmops.secrets import Redactor  # noqa: E402

SERVE = """
import sys
sys.path.insert(0, sys.argv[1])
from tests.fakes.x import FakeX
fake = FakeX()
fake.check_media, fake.processing_polls = False, 0
with fake.running():
    print(fake.url, flush=True)
    sys.stdin.read()
"""


def make_file(path: Path, size: int) -> Path:
    """``size`` bytes: an ``ftyp`` box (so cmops sniffs an MP4), then random bytes, written
    a megabyte at a time."""
    with path.open("wb") as file:
        file.write(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2")
        left = size - file.tell()
        while left > 0:
            file.write(os.urandom(min(left, 1 << 20)))
            left -= 1 << 20
    return path


def reference(url: str, path: Path, chunk: int, *, trace: bool = False) -> tuple[float, int]:
    """Seconds for httpx alone: initialize, the same segments (read as bytes, the plain
    way), finalize; and its tracemalloc peak (0 untraced)."""
    auth = {"Authorization": f"Bearer {FakeX().bearer}"}
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    with httpx.Client(base_url=url, headers=auth, timeout=60) as client, path.open("rb") as f:
        media_id = client.post("/2/media/upload/initialize", json={
            "media_type": "video/mp4", "total_bytes": path.stat().st_size,
            "media_category": "tweet_video"}).raise_for_status().json()["data"]["id"]
        index = 0
        while data := f.read(chunk):
            client.post(f"/2/media/upload/{media_id}/append",
                        data={"segment_index": str(index)},
                        files={"media": ("blob", data, "application/octet-stream")}
                        ).raise_for_status()
            index += 1
        client.post(f"/2/media/upload/{media_id}/finalize").raise_for_status()
    took = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    if trace:
        tracemalloc.stop()
    return took, peak


def adapter_upload(url: str, path: Path, chunk: int, *, trace: bool) -> tuple[float, int]:
    """Seconds for the adapter's upload step, and its tracemalloc peak (0 untraced)."""
    fake, redactor = FakeX(), Redactor()
    for value in fake.secrets.values():
        redactor.add(value)
    adapter = XAdapter(ChannelContext("x-bench", "x", {"network": "x", "server": url},
                                      fake.secrets, path.parent, redactor, timeout=60))
    adapter.chunk, adapter.sleep = chunk, lambda seconds: None
    out = Outgoing("bench/x-bench", "bench", "x-bench", 0, 1, "bench", "bench/x-bench#0",
                   media=(MediaFile(path, "media/bench.mp4", None),),
                   published_at=datetime.now(UTC), time_left=600.0)
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    [media_id] = adapter._upload(out)
    took = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    if trace:
        tracemalloc.stop()
    adapter.close()
    assert media_id.isdigit()
    return took, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=50, help="file size in MB (10^6 bytes)")
    parser.add_argument("--chunk-mib", type=int, default=4, help="segment size in MiB")
    args = parser.parse_args()
    size, chunk = args.mb * 1_000_000, args.chunk_mib * 1024 * 1024
    child = subprocess.Popen([sys.executable, "-c", SERVE, str(ROOT)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        url = child.stdout.readline().strip()
        with tempfile.TemporaryDirectory() as tmp:
            path = make_file(Path(tmp) / "bench.mp4", size)
            print(f"X chunked upload benchmark: {size / 1e6:.0f} MB in segments of "
                  f"{chunk / 2**20:.0f} MiB ({-(-size // chunk)} appends) to {url}")
            # The adapter first: the reference's bytes would raise the peak RSS before it.
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            ours = min(adapter_upload(url, path, chunk, trace=False)[0] for _ in range(3))
            rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - rss_before
            _, peak = adapter_upload(url, path, chunk, trace=True)
            ref = min(reference(url, path, chunk)[0] for _ in range(3))
            ref_peak = reference(url, path, chunk, trace=True)[1]
    finally:
        if child.stdin:
            child.stdin.close()
        child.wait(timeout=10)
    print(f"{'':28} {'wall s':>8} {'MB/s':>8}")
    print(f"{'httpx alone (reference)':28} {ref:8.3f} {size / 1e6 / ref:8.1f}")
    print(f"{'cmops X adapter':28} {ours:8.3f} {size / 1e6 / ours:8.1f}   "
          f"{ref / ours:.2f}x the reference's throughput")
    verdict = "ok" if peak < 2 * chunk else "TOO HIGH: the file is not streamed"
    print(f"peak memory of the upload (tracemalloc): {peak / 1e6:.1f} MB = "
          f"{peak / size:.1%} of the file, {peak / chunk:.2f} segments ({verdict})")
    print(f"peak memory of the reference, segments as bytes: {ref_peak / 1e6:.1f} MB "
          f"({ref_peak / chunk:.2f} segments)")
    print(f"peak RSS growth during the adapter's timed runs: {rss_growth / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
