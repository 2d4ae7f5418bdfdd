"""The adapter registry: each network's module is imported only when that network is used,
and every line of the table names a class that declares the network it is listed under."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from cmops.adapters import ADAPTERS
from cmops.adapters.registry import MODULES, Registry
from cmops.text.limits import NETWORKS


def test_every_listed_class_declares_its_network() -> None:
    for network in MODULES:
        assert ADAPTERS[network].rules.name == network  # type: ignore[attr-defined]
        assert network in NETWORKS


def test_an_unknown_network_is_absent() -> None:
    assert "myspace" not in ADAPTERS
    assert ADAPTERS.get("myspace") is None
    with pytest.raises(KeyError):
        ADAPTERS["myspace"]


def test_a_wrong_line_fails_loudly() -> None:
    wrong = Registry({"x": "cmops.adapters.mastodon:MastodonAdapter"})
    with pytest.raises(LookupError, match="declares network 'mastodon', not 'x'"):
        wrong["x"]


def test_a_network_not_used_is_not_imported() -> None:
    code = ("import sys\n"
            "from cmops.adapters import ADAPTERS\n"
            "ADAPTERS['outbox']\n"
            "print(sorted(m for m in sys.modules if m.startswith('cmops.adapters.')))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=60)
    loaded = set(ast.literal_eval(done.stdout))
    assert "cmops.adapters.outbox" in loaded
    others = {f"cmops.adapters.{n}" for n in MODULES if n != "outbox"}
    assert not loaded & others, loaded & others
