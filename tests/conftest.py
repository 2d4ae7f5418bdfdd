from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, settings
from tests.fakes.pds import Pds, real_pds

from cmops.cli import cli

# Property tests (tests/test_properties.py): ~200 examples per property by default, a few
# seconds each; `pytest --hypothesis-profile=long` tries thousands (benchmarks/fuzz.py).
# Deadlines are loose because a shared 2-core machine is noisy; they still catch an example
# that makes a command slow. No example database: runs are repeatable from a clean clone,
# and a failure prints the blob that reproduces it.
settings.register_profile("default", max_examples=200, deadline=timedelta(seconds=3),
                          database=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", settings.get_profile("default"), max_examples=4000,
                          deadline=timedelta(seconds=10))
if settings.get_current_profile_name() == "default":  # not over --hypothesis-profile when
    settings.load_profile("default")  # this module is imported again as tests.conftest

EXAMPLES = Path(__file__).parent / "examples"
PROJECT = Path(__file__).parent.parent


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A fresh copy of the minimal valid content repository."""
    root = tmp_path / "repo"
    shutil.copytree(EXAMPLES / "base", root)
    return root


Runner = Callable[..., Result]


@pytest.fixture
def run() -> Runner:
    """Run the CLI in-process; exit codes and output exactly as a user sees them."""

    def invoke(*args: str, root: Path | None = None, **kwargs: Any) -> Result:
        argv = (["--root", str(root)] if root else []) + list(args)
        try:
            return CliRunner().invoke(cli, argv, catch_exceptions=False, **kwargs)
        except SystemExit as exc:  # our group exits itself (standalone handling)
            raise AssertionError(f"unexpected SystemExit {exc.code}") from exc

    return invoke


def json_out(result: Result) -> Any:
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def pds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pds]:
    """The real Bluesky PDS (tests/fakes/pds.py), one per test module that asks for it."""
    with real_pds(tmp_path_factory.mktemp("pds")) as server:
        yield server
