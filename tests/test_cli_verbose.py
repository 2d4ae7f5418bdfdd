"""``-v``/``--verbose`` is the group's own parsed option: it shows a bug's traceback, and an
argument that merely reads ``-v`` (after ``--``) does not switch it on."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# A bug inside a command: cmops.status.resolve raises. Run as a process, so that sys.argv is
# exactly what the user typed.
BUG = ("import sys, cmops.status\n"
       "def boom(*args, **kwargs):\n"
       "    raise RuntimeError('boom')\n"
       "cmops.status.resolve = boom\n"
       "sys.argv = ['cmops'] + sys.argv[1:]\n"
       "from cmops.cli import main\n"
       "main()\n")


def cmops(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", BUG, *args], capture_output=True,
                          text=True, timeout=60, check=False)


@pytest.mark.parametrize("flag", ["-v", "--verbose"])
def test_verbose_shows_the_traceback_of_a_bug(repo: Path, flag: str) -> None:
    done = cmops(flag, "--root", str(repo), "resolve", "a", "--channel", "news",
                 "--as", "retry")
    assert done.returncode == 3
    assert "Traceback (most recent call last)" in done.stderr
    assert "cmops: unexpected error: RuntimeError: boom" in done.stderr
    assert "re-run with -v" not in done.stderr


def test_without_verbose_a_bug_is_one_sentence(repo: Path) -> None:
    done = cmops("--root", str(repo), "resolve", "a", "--channel", "news", "--as", "retry")
    assert done.returncode == 3
    assert "Traceback" not in done.stderr
    assert done.stderr.endswith("cmops: unexpected error: RuntimeError: boom\nThis is a bug in "
                                "cmops; re-run with -v to see the traceback and report it.\n")


def test_an_argument_named_v_after_double_dash_is_not_the_verbose_flag(repo: Path) -> None:
    for args in (["resolve", "--channel", "news", "--as", "retry", "--", "-v"],
                 ["resolve", "--channel", "news", "--as", "retry", "--", "--verbose"]):
        done = cmops("--root", str(repo), *args)
        assert done.returncode == 3, done.stderr
        assert "Traceback" not in done.stderr
        assert "re-run with -v to see the traceback" in done.stderr


def test_verbose_after_the_command_name_is_not_the_groups_flag(repo: Path) -> None:
    done = cmops("--root", str(repo), "resolve", "a", "--channel", "news", "--as", "retry",
                 "-v")
    assert done.returncode == 2
    assert "No such option '-v'" in done.stderr
