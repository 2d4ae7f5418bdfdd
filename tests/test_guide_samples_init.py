"""docs/guide/getting-started.md and github-setup.md show real output: each block marked
``<!-- output: NAME -->`` is exactly what its command prints, run here on a calendar made by
``cmops init`` as the guides say (a block whose last line is ``...`` is the beginning of the
output). A block without a run, or a run without its block, fails too."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.conftest import PROJECT, Runner

GUIDES = {name: PROJECT / "docs" / "guide" / name
          for name in ("getting-started.md", "github-setup.md")}
BLOCK = re.compile(r"<!-- output: (\S+) -->\n *```text\n(.*?)\n *```", re.DOTALL)


def _blocks(guide: str) -> dict[str, str]:
    text = GUIDES[guide].read_text("utf-8")
    return {name: "\n".join(line.rstrip() for line in body.splitlines())
            for name, body in BLOCK.findall(text)}


def _new_calendar(run: Runner, root: Path) -> Path:
    result = run("init", str(root), "--timezone", "Europe/Paris", "--lang", "fr",
                 "--package", "cmops==0.1.0")
    assert result.exit_code == 0, result.output
    return root


def validate_new(run: Runner, root: Path) -> str:
    result = run("validate", root=_new_calendar(run, root))
    assert result.exit_code == 0
    return result.stdout


def validate_error(run: Runner, root: Path) -> str:
    _new_calendar(run, root)
    bad = root / "calendar/posts/2027-01/bad.yaml"
    bad.parent.mkdir(parents=True, exist_ok=True)
    bad.write_text("id: bad\nchannels: [newsroom]\npublish_at: 2027-01-14T09:30\n"
                   "status: pending\ntext: Bientôt\n", "utf-8")
    result = run("validate", root=root)
    assert result.exit_code == 1
    return result.stdout


def plan(run: Runner, root: Path) -> str:
    """The guide's edit: hello-world moved to 2027-01, its time and text changed."""
    _new_calendar(run, root)
    (hello,) = (root / "calendar/posts").rglob("hello-world.yaml")
    text = hello.read_text("utf-8")
    text = re.sub(r"(?m)^publish_at: \S+", "publish_at: 2027-01-12T09:30", text)
    text = text.replace("Hello! This is the first post of our content calendar.",
                        "Bonne année ! Nos vœux et nos projets pour 2027 arrivent cette "
                        "semaine.")
    target = root / "calendar/posts/2027-01/hello-world.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    hello.unlink()
    target.write_text(text, "utf-8")
    result = run("plan", "--at", "2027-01-11T08:00+01:00", "--days", "7", root=root)
    assert result.exit_code == 0, result.output
    return result.stdout


RUNS: dict[str, dict[str, Callable[[Runner, Path], str]]] = {
    "getting-started.md": {"validate-new": validate_new, "validate-error": validate_error,
                           "plan": plan},
    "github-setup.md": {"validate-new": validate_new},
}
CASES = [(guide, name) for guide, runs in RUNS.items() for name in sorted(runs)]


@pytest.mark.parametrize("guide", sorted(GUIDES))
def test_every_output_block_has_a_run(guide: str) -> None:
    assert sorted(_blocks(guide)) == sorted(RUNS[guide])


@pytest.mark.parametrize(("guide", "name"), CASES)
def test_the_guide_shows_what_the_command_prints(guide: str, name: str, run: Runner,
                                                 tmp_path: Path) -> None:
    printed = [line.rstrip() for line in RUNS[guide][name](run, tmp_path / "cal")
               .strip("\n").splitlines()]
    shown = _blocks(guide)[name].splitlines()
    if shown[-1] == "...":
        assert printed[:len(shown) - 1] == shown[:-1]
    else:
        assert printed == shown


def test_the_guides_describe_the_files_init_writes(run: Runner, tmp_path: Path) -> None:
    """Every file init writes outside schemas/ and .github/ is named in getting-started's
    tree (by its name) and every calendar file in github-setup's table."""
    root = _new_calendar(run, tmp_path / "cal")
    tree = GUIDES["getting-started.md"].read_text("utf-8")
    table = GUIDES["github-setup.md"].read_text("utf-8")
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(("schemas/", ".github/")) or rel in (".gitignore", "README.md"):
            continue
        assert path.name in tree or rel.split("/")[0] + "/" in tree, rel
        if rel.startswith("calendar/"):
            assert path.name in table, rel
    shutil.rmtree(root)
