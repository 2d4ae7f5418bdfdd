"""Dependencies per job: the site's packages are the ``site`` extra, and what does not build
the site neither needs nor imports them.

Each check runs a fresh Python in a subprocess, so ``sys.modules`` shows what cmops itself
imported; "the extra is missing" is simulated there with ``sys.modules[name] = None`` (what
Python does for a module that cannot be imported), never by uninstalling anything.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from cmops.cli.report import NEEDS_SITE_EXTRA, SITE_MODULES

ROOT = Path(__file__).parents[1]
AT = "2026-11-24T08:00Z"

# What validating (and so the CLI's start) must not import: the site build, the network
# client, images beyond what a post's media needs, signing, the reference validator.
NOT_AT_START = ("mkdocs", "material", "jinja2", "httpx", "jsonschema", "PIL", "cryptography",
                "pymediainfo")
NOT_IN_VALIDATE = ("mkdocs", "material", "jinja2", "httpx", "cryptography")


def _python(code: str, cwd: Path, *, hide: tuple[str, ...] = ()) -> CompletedProcess[str]:
    prelude = "import sys\n" + "".join(f"sys.modules[{m!r}] = None\n" for m in hide)
    return subprocess.run([sys.executable, "-c", prelude + code], cwd=cwd, capture_output=True,
                          text=True, check=False, timeout=120)


def _imported(code: str, cwd: Path, names: tuple[str, ...]) -> list[str]:
    done = _python(code + "\nimport json\nprint(json.dumps(sorted({m.split('.')[0] for m in "
                   "sys.modules if sys.modules[m] is not None})))", cwd)
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    return sorted(loaded & set(names))


@pytest.fixture
def content(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "calendar", tmp_path / "repo" / "calendar")
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "repo" / "mkdocs.yml")
    (tmp_path / "repo" / "docs").mkdir()
    return tmp_path / "repo"


def test_the_site_packages_are_the_site_extra_and_the_test_extra_has_it() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    core = " ".join(project["dependencies"]).lower()
    assert "mkdocs" not in core
    assert "markupsafe" in core  # report --no-build writes its pages with it
    assert [d.split(">")[0] for d in project["optional-dependencies"]["site"]] == [
        "mkdocs-material"]
    assert "cmops[site]" in project["optional-dependencies"]["test"]


def test_the_readme_commands_install_the_site_extra() -> None:
    demo = (ROOT / "scripts/demo").read_text("utf-8")
    test = (ROOT / "scripts/test").read_text("utf-8")
    assert "-e '.[site]'" in demo
    assert "-e '.[test,site]'" in test


def test_importing_the_cli_imports_nothing_validate_does_not_need() -> None:
    assert _imported("import cmops.cli", ROOT, NOT_AT_START) == []


def test_validate_imports_no_site_network_or_signing_package(content: Path) -> None:
    code = ("from cmops.cli import cli\n"
            f"try:\n    cli.main(['validate', '--no-cache', '--at', {AT!r}])\n"
            "except SystemExit as exc:\n    assert exc.code == 0, exc.code\n")
    assert _imported(code, content, NOT_IN_VALIDATE) == []


def _cmops(content: Path, *args: str, hide: tuple[str, ...] = ()) -> CompletedProcess[str]:
    code = f"sys.argv = ['cmops', *{list(args)!r}]\nfrom cmops.cli import main\nmain()\n"
    return _python(code, content, hide=hide)


@pytest.mark.parametrize("hidden", [("mkdocs",), ("material",), SITE_MODULES])
def test_report_without_the_site_extra_says_how_to_install_it(content: Path,
                                                              hidden: tuple[str, ...]) -> None:
    done = _cmops(content, "report", "--at", AT, hide=hidden)
    assert done.returncode == 2
    assert done.stderr == f"Error: {NEEDS_SITE_EXTRA}\n"
    assert NEEDS_SITE_EXTRA.startswith(
        "cmops report needs the site extra to build the site: pip install 'cmops[site]'")
    assert done.stdout == ""
    assert not (content / "docs" / "report").exists()  # nothing half-written


def test_report_no_build_needs_no_site_extra(content: Path) -> None:
    done = _cmops(content, "report", "--at", AT, "--no-build", hide=SITE_MODULES)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Wrote ")
    assert (content / "docs" / "report" / "index.md").is_file()
