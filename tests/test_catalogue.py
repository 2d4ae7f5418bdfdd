"""One message catalogue (issue 21): the French site shows no message from the catalogue's
English side, the plan's and the publisher's reasons included."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from tests.report_content import NOW, make_content

from cmops.report import generate
from cmops.report.catalogue import (
    EN,
    FR,
    REASON_WORDS,
    STATES,
    TRAFFIC_WORDS,
    duration_words,
    reason_words,
)
from cmops.report.sources import read_dir
from cmops.stores.local import LocalStore
from cmops.validate import load_calendar

LATER = NOW + timedelta(days=2)
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def english_fragments() -> set[str]:
    """Every literal stretch of an English message whose French differs, long enough not to
    be a word both languages share (``Interactions``, ``Total``)."""
    pairs = [(EN[k], FR.get(k, "")) for k in EN]
    pairs += [(v, STATES["fr"][k]) for k, v in STATES["en"].items()]
    pairs += [(v, TRAFFIC_WORDS["fr"][k]) for k, v in TRAFFIC_WORDS["en"].items()]
    pairs += [(v, REASON_WORDS["fr"][k]) for k, v in REASON_WORDS["en"].items()]
    out = set()
    for english, french in pairs:
        if english == french:
            continue
        out |= {f.strip() for f in PLACEHOLDER.split(english) if len(f.strip()) >= 12}
    return out


@pytest.fixture(scope="module")
def french_site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The example calendar with a ledger, snapshots, an inbox, a pause, hostile content and,
    two days later, posts the plan finds expired: built in French."""
    root = make_content(tmp_path_factory.mktemp("fr") / "c")
    calendar, report = load_calendar(root, use_cache=False)
    state = root / ".cmops/state"
    generated = generate(root, calendar, LocalStore(state).load(), read_dir(state), LATER,
                         lang="fr", errors=len(report.errors))
    return {rel: html.unescape(data.decode("utf-8"))
            for rel, data in sorted(generated.files.items()) if rel.endswith(".md")}


def test_the_english_side_is_big_enough_to_mean_something() -> None:
    fragments = english_fragments()
    assert "late, past its max_delay of" in fragments
    assert "Nothing published, failed or expired yet." in fragments
    assert len(fragments) > 60


def test_the_french_site_has_no_english_message(french_site: dict[str, str]) -> None:
    fragments = english_fragments()
    found = {(page, f) for page, text in french_site.items() for f in fragments if f in text}
    assert found == set()
    assert len(french_site) >= 10


def test_the_expiry_reason_is_french(french_site: dict[str, str]) -> None:
    log = french_site["published/index.md"]
    # hostile-corpus: 25 Nov 10:00 Paris, seen 26 Nov 09:00 Paris; max_delay 6h.
    assert "23h de retard, au-delà de son délai maximal (max_delay) de 6h : non publiée" \
        in log
    assert " late" not in log and "max_delay of" not in log


@pytest.mark.parametrize(("english", "french"), [
    ("15h30m late, past its max_delay of 6h: not published",
     "15h30m de retard, au-delà de son délai maximal (max_delay) de 6h : non publiée"),
    ("2d3h late", "2j3h de retard"),
    ("paused: crisis pause", "suspendue : pause de crise"),
    ("paused: <b>recall</b>", "suspendue : <b>recall</b>"),
    ("superseded by occurrence 12", "remplacée par l'occurrence 12"),
    ("holding statement: publish with cmops publish --post a-b",
     "message d'attente : à publier avec cmops publish --post a-b"),
    ("HTTP 500: late, past", "HTTP 500: late, past"),  # a network's words: as they came
    ("", ""),
])
def test_reasons_in_french(english: str, french: str) -> None:
    assert reason_words(english, "fr") == french
    assert reason_words(english, "en") == english


def test_every_reason_has_both_languages() -> None:
    assert set(REASON_WORDS["en"]) == set(REASON_WORDS["fr"])
    assert set(EN) == set(FR)
    assert set(STATES["en"]) == set(STATES["fr"])
    assert set(TRAFFIC_WORDS["en"]) == set(TRAFFIC_WORDS["fr"])
    assert duration_words("1d", "fr") == "1j" and duration_words("10m", "fr") == "10m"
