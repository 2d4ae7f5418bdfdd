"""Listening rules: the lexicon heuristic, crisis episodes, opinion leaders, the schema."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cmops.listening import (
    Burst,
    CrisisState,
    Heard,
    Listening,
    ListeningError,
    Spike,
    evaluate,
    label,
    leaders,
    parse_listening,
)
from cmops.validate import validate

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
RULES = Listening(crisis_keywords=("rappel", "recall"))


@pytest.mark.parametrize(("text", "sentiment", "words"), [
    ("Super lampe, bravo !", "positive", ("super", "bravo")),
    ("Très déçu, ma lampe est cassée", "negative", ("decu", "cassee")),
    ("Pas top du tout", "negative", ("not top",)),
    ("This is not bad at all", "positive", ("not bad",)),
    ("Où acheter la Halo ?", "neutral", ()),
])
def test_lexicon(text: str, sentiment: str, words: tuple[str, ...]) -> None:
    got = label(text, RULES)
    assert (got.sentiment, got.words) == (sentiment, words)


def test_crisis_keyword_makes_negative() -> None:
    got = label("Un RAPPEL du produit ? Génial…", RULES)
    assert (got.sentiment, got.crisis_terms) == ("negative", ("rappel",))


def test_burst_fires_once_per_episode() -> None:
    rules = Listening(thresholds=(Burst("burst", 2, timedelta(hours=1)),))
    heard = [Heard(NOW - timedelta(minutes=5), True), Heard(NOW - timedelta(minutes=2), True)]
    fired, state = evaluate(rules, heard, NOW, CrisisState())
    assert [s.rule for s in fired] == ["burst"] and fired[0].count == 2
    again, state = evaluate(rules, heard, NOW + timedelta(minutes=10), state)
    assert again == [] and "burst" in state.open
    _, state = evaluate(rules, heard, NOW + timedelta(hours=2), state)
    assert state.open == {}


def test_spike_against_trailing_average() -> None:
    rules = Listening(thresholds=(Spike("spike", 3, timedelta(days=1), timedelta(days=7),
                                        min_count=4),))
    week = [Heard(NOW - timedelta(days=d, hours=3), False) for d in range(1, 8)]  # 1 a day
    three = [Heard(NOW - timedelta(hours=h), False) for h in (1, 2, 3)]
    assert evaluate(rules, week + three, NOW, CrisisState())[0] == []  # below min_count
    four = [*three, Heard(NOW - timedelta(hours=4), False)]
    fired, _ = evaluate(rules, week + four, NOW, CrisisState())
    assert fired[0].detail.startswith("4 messages within 1 d, against an average of 1.0")


def test_leaders_rank_with_reasons_and_lists() -> None:
    rules = Listening(allow=("@partner@x.test",), deny=("@spam@x.test",), top=1)

    def item(kind: str, handle: str, followers: int | None = None) -> dict[str, object]:
        return {"kind": kind, "author": {"handle": handle, "name": handle[1:4],
                                         "followers": followers}}

    items = [item("reply", "@lea@x.test", 999), item("mention", "@lea@x.test", 999),
             item("quote", "@spam@x.test", 10**6), item("mention", "@partner@x.test"),
             item("dm", "@bob@x.test")]
    ranked = leaders(items, rules)
    assert [(x.handle, round(x.score, 2), x.allowed) for x in ranked] == [
        ("@lea@x.test", 7.5, False), ("@partner@x.test", 1.0, True)]
    assert ranked[0].reason == "1 mention, 1 reply; 999 followers (×2.50)"


def test_listening_file_parses_and_validates(tmp_path: Path) -> None:
    rules = parse_listening((Path(__file__).parent.parent / "calendar/listening.yaml")
                            .read_text("utf-8"))
    assert [t.name for t in rules.thresholds] == ["negative-burst", "mention-spike"]
    assert label("Ma lampe a grillé", rules).sentiment == "negative"
    with pytest.raises(ListeningError):
        parse_listening("thresholds: [{name: x, type: flood, within: 1h}]\n")


def test_bad_listening_and_reply_files_are_reported(repo: Path) -> None:
    (repo / "calendar/listening.yaml").write_text("brand_terms: Lumen\n", "utf-8")
    (repo / "calendar/replies").mkdir()
    (repo / "calendar/replies/r.yaml").write_text("id: r\ntitle: T\n", "utf-8")
    report = validate(repo, use_cache=False)
    assert sorted((p.file, p.rule) for p in report.errors) == [
        ("calendar/listening.yaml", "schema.type"),
        ("calendar/replies/r.yaml", "schema.required")]
