"""Every KPI formula on hand-computed data (cmops.kpi, KPI_VERSION 1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cmops.kpi import (
    KPI_VERSION,
    FollowerPoint,
    Message,
    Outcome,
    PostReading,
    compare_goals,
    compute,
    dm_replies,
    engagement,
    growth_rate,
    parse_target,
)

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


FOLLOWERS = [FollowerPoint("m", day(0), 1000), FollowerPoint("m", day(10), 1050),
             FollowerPoint("m", day(20), 1100)]


def test_engagement_uses_impressions_when_given() -> None:
    posts = [PostReading("a/x", "x", day(1), likes=50, comments=10, shares=20, quotes=20,
                         impressions=1000)]
    e = engagement(posts, [])
    assert (e.rate, e.interactions, e.reach, e.basis) == (10.0, 100, 1000, "impressions")


def test_missing_impressions_fall_back_to_nearest_followers() -> None:
    # Published at day 12: the nearest reading is day 10 (1050 followers).
    posts = [PostReading("a/m", "m", day(12), likes=84, comments=21),
             PostReading("b/m", "m", day(19), likes=None)]  # no counters: unmeasured
    e = engagement(posts, FOLLOWERS)
    assert (e.interactions, e.reach, e.basis, e.measured, e.unmeasured) == \
        (105, 1050, "followers", 1, 1)
    assert e.rate == 10.0


def test_mixed_bases_and_zero_followers() -> None:
    zero = [FollowerPoint("z", day(0), 0)]
    e = engagement([PostReading("a/z", "z", day(0), likes=3)], zero)
    assert (e.rate, e.reach, e.measured) == (None, 0, 1)  # zero reach: no rate, no crash
    both = engagement([PostReading("a/z", "z", day(0), likes=3),
                       PostReading("a/x", "x", day(0), likes=7, impressions=200)], zero)
    assert (both.rate, both.basis) == (5.0, "mixed")


def test_dm_replies_and_median_first_response() -> None:
    msgs = [Message("1", "m", "dm", day(1), day(1) + timedelta(minutes=10)),
            Message("2", "m", "dm", day(2), day(2) + timedelta(minutes=30)),
            Message("3", "m", "dm", day(3), day(3) + timedelta(minutes=90)),
            Message("4", "m", "dm", day(4)),  # unanswered
            Message("5", "m", "mention", day(4), day(4) + timedelta(minutes=1))]
    assert dm_replies(msgs, day(0), day(30)) == (3, 1800.0)
    assert dm_replies(msgs, day(5), day(30)) == (0, None)


def test_growth_rate() -> None:
    assert growth_rate(FOLLOWERS, ["m"], day(0), day(20)) == 10.0
    # Start between readings: the last reading before the start is the baseline.
    assert growth_rate(FOLLOWERS, ["m"], day(5), day(20)) == 10.0
    assert growth_rate(FOLLOWERS, ["m"], day(25), day(30)) is None  # no reading inside
    assert growth_rate([FollowerPoint("z", day(0), 0), FollowerPoint("z", day(1), 5)], ["z"],
                       day(0), day(2)) is None  # zero followers at the start


def test_empty_period() -> None:
    k = compute("all", day(40), day(50), [], FOLLOWERS, [], [Outcome("a/m", "m", "published",
                                                                     day(1))], ["m"],
                goals={"comments": 50, "engagement_rate": "10%"}, elapsed=0.5)
    data = k.as_json()
    assert data["kpi_version"] == KPI_VERSION == 1
    assert (data["engagement_rate"], data["comments"], data["shares"], data["growth_rate"],
            data["posts"]) == (None, None, None, None,
                               {"published": 0, "failed": 0, "expired": 0})
    assert [(g["goal"], g["status"]) for g in data["goals"]] == [
        ("comments", "unknown"), ("engagement_rate", "unknown")]


def test_post_counts_and_goals() -> None:
    outcomes = [Outcome("a/m", "m", "published", day(1)), Outcome("b/m", "m", "failed", day(2)),
                Outcome("c/m", "m", "expired", day(3)), Outcome("d/m", "m", "published", day(40))]
    posts = [PostReading("a/m", "m", day(1), likes=10, comments=30, shares=12, impressions=400)]
    k = compute("c", day(0), day(30), posts, FOLLOWERS, [], outcomes, ["m"],
                goals={"comments": 50, "shares": 30, "engagement_rate": 10,
                       "growth_rate": "5 %"}, elapsed=0.5)
    assert k.posts == {"published": 1, "failed": 1, "expired": 1}
    assert [(g.name, g.actual, g.expected_by_now, g.status) for g in k.goals] == [
        ("comments", 30, 25.0, "on track"), ("engagement_rate", 13.0, None, "met"),
        ("growth_rate", 10.0, 2.5, "met"), ("shares", 12, 15.0, "behind")]


def test_goals_after_the_end_and_targets() -> None:
    checks = compare_goals({"comments": 50}, {"comments": 49}, elapsed=1.0)
    assert checks[0].status == "behind"
    assert [parse_target(v) for v in (10, "10%", "7.5 %", "x", True)] == [10, 10, 7.5, None,
                                                                          None]
