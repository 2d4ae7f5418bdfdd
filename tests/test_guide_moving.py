"""docs/guide/moving-from-another-tool.md shows real output: each block marked
``<!-- output: NAME -->`` is exactly what its command prints on the samples, run here."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from tests.conftest import EXAMPLES, PROJECT, Runner

GUIDE = PROJECT / "docs" / "guide" / "moving-from-another-tool.md"
SAMPLES = Path(__file__).parent / "samples" / "import"
BLOCK = re.compile(r"<!-- output: (\S+) -->\n *```text\n(.*?)\n *```", re.DOTALL)

# name -> (files copied from the samples as name, the command's arguments)
RUNS: dict[str, tuple[dict[str, str], tuple[str, ...]]] = {
    "hootsuite": ({"hootsuite.csv": "hootsuite.csv"},
                  ("import", "csv", "hootsuite.csv", "--from", "hootsuite", "--channel", "news",
                   "--channel", "bsky")),
    "buffer": ({"buffer.csv": "buffer.csv"},
               ("import", "csv", "buffer.csv", "--from", "buffer", "--channel", "masto",
                "--dry-run")),
    "generic": ({"generic-excel-fr.csv": "planning.csv"},
                ("import", "csv", "planning.csv", "--from", "generic", "--date-order", "dmy")),
    "ambiguous": ({}, ("import", "csv", "amb.csv", "--from", "hootsuite", "--channel", "news")),
}


def _blocks() -> dict[str, str]:
    text = GUIDE.read_text("utf-8")
    return {name: "\n".join(line.strip() for line in body.splitlines())
            for name, body in BLOCK.findall(text)}


def _repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(EXAMPLES / "base", root)
    (root / "amb.csv").write_text("13/02/2027 09:30,Treize\n01/02/2027 10:00,Ambigu\n", "utf-8")
    monkeypatch.chdir(root)  # the guide's commands name files relative to the repository
    return root


def test_every_output_block_has_a_run() -> None:
    assert sorted(_blocks()) == sorted([*RUNS, "again", "hint"])


@pytest.mark.parametrize("name", sorted(RUNS))
def test_the_guide_shows_what_the_command_prints(name: str, run: Runner, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    root = _repo(tmp_path, monkeypatch)
    files, args = RUNS[name]
    for sample, target in files.items():
        shutil.copyfile(SAMPLES / sample, root / target)
    result = run(*args, root=root)
    assert (result.stderr + result.stdout).strip() == _blocks()[name]


def test_the_second_import_output(run: Runner, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    root = _repo(tmp_path, monkeypatch)
    shutil.copyfile(SAMPLES / "hootsuite.csv", root / "hootsuite.csv")
    run(*RUNS["hootsuite"][1], root=root)
    again = run(*RUNS["hootsuite"][1], root=root)
    assert again.stdout.strip() == _blocks()["again"]


def test_the_yaml_hint(run: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _repo(tmp_path, monkeypatch)
    (root / "calendar/posts/hint.yaml").write_text(
        "id: hint\nstatus: draft\nchannels: [news]\ntext: Launch day: join us at 10:00\n",
        "utf-8")
    result = run("validate", root=root)
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == _blocks()["hint"]
