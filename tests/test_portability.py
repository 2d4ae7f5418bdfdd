"""Commands that only read run where POSIX file locking does not exist (Windows)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

NO_FCNTL = ("import sys; sys.modules['fcntl'] = None; sys.argv = ['cmops', *sys.argv[1:]]; "
            "from cmops.cli import main; main()")


def cmops_without_fcntl(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CMOPS_")}
    return subprocess.run([sys.executable, "-c", NO_FCNTL, "--root", str(root), *args],
                          capture_output=True, text=True, env=env, timeout=120, check=False)


def test_plan_validate_and_status_need_no_fcntl(repo: Path) -> None:
    (repo / "calendar/posts/p.yaml").write_text(
        "id: p\nstatus: ready\nchannels: [news]\npublish_at: 2026-11-24T09:30\ntext: hi\n")
    for args in (("validate",), ("plan", "--at", "2026-11-24T00:00Z"),
                 ("status", "--at", "2026-11-24T00:00Z")):
        done = cmops_without_fcntl(repo, *args)
        assert done.returncode == 0, (args, done.stderr)
        assert "ModuleNotFoundError" not in done.stderr and "fcntl" not in done.stderr


def test_the_lock_is_taken_through_the_platform_module(tmp_path: Path) -> None:
    from cmops.stores.local import try_lock

    path = tmp_path / "x.lock"
    first = os.open(path, os.O_RDWR | os.O_CREAT)
    second = os.open(path, os.O_RDWR)
    try:
        try_lock(first)
        try:
            try_lock(second)
        except OSError:
            pass
        else:
            raise AssertionError("a second lock on the same file was granted")
    finally:
        os.close(first)
        os.close(second)
