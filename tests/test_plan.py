"""Time semantics and plan states, with a fixed `now` (no clock is ever read)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from tests.helpers import PARIS, cal, utc
from tests.helpers import plan_post as post

from cmops import schedule
from cmops.model import Calendar, Pause, Post
from cmops.plan import Recorded, State, assign_slots, build_plan, item_key


def states(plan_items: list[Any]) -> list[tuple[str, str]]:
    return [(i.key, i.state.value) for i in plan_items]


def test_due_boundary_is_inclusive_and_never_early() -> None:
    c = cal(post("a", "2026-11-24T10:00:00+01:00"))
    assert states(build_plan(c, utc("2026-11-24T09:59:59+01:00")).items) == [
        ("a/news", "scheduled")]
    assert states(build_plan(c, utc("2026-11-24T10:00:00+01:00")).items) == [("a/news", "due")]


def test_local_time_is_read_in_the_channel_zone() -> None:
    c = cal(post("a", "2026-11-24T10:00", channels=("news", "ny")),
            channels={"news": {"network": "outbox"},
                      "ny": {"network": "outbox", "timezone": "America/New_York"}})
    items = {i.channel: i for i in build_plan(c, utc("2026-11-24T00:00Z")).items}
    assert items["news"].when == utc("2026-11-24T09:00Z")
    assert items["ny"].when == utc("2026-11-24T15:00Z")
    assert items["ny"].local.isoformat() == "2026-11-24T10:00:00-05:00"  # type: ignore[union-attr]


def test_catch_up_after_six_hour_gap_publishes_all_in_order() -> None:
    c = cal(*(post(f"p{h}", f"2026-11-24T{h:02d}:00", max_delay="12h") for h in (9, 10, 11, 12)))
    plan = build_plan(c, utc("2026-11-24T15:07+01:00"))
    assert [i.key for i in plan.due()] == ["p9/news", "p10/news", "p11/news", "p12/news"]
    assert plan.due()[0].reason == "6h07m late"


def test_expired_past_max_delay_is_reported_not_sent() -> None:
    c = cal(post("old", "2026-11-24T08:00"), post("ok", "2026-11-24T09:00"))
    plan = build_plan(c, utc("2026-11-24T14:30+01:00"))
    assert states(plan.items) == [("old/news", "expired"), ("ok/news", "due")]
    assert plan.items[0].reason == "6h30m late, past its max_delay of 6h: not published"
    assert plan.due()[0].key == "ok/news"


def test_post_max_delay_overrides_calendar_default() -> None:
    c = cal(post("a", "2026-11-24T08:00", max_delay="30m"))
    assert build_plan(c, utc("2026-11-24T08:31+01:00")).items[0].state is State.EXPIRED
    assert build_plan(c, utc("2026-11-24T08:30+01:00")).items[0].state is State.DUE


@pytest.mark.parametrize(("zone", "gap", "overlap"), [
    ("Europe/Paris", "2027-03-28T02:30", "2026-10-25T02:30"),
    ("America/New_York", "2027-03-14T02:30", "2026-11-01T01:30"),
])
def test_dst_gap_and_overlap_are_refused(zone: str, gap: str, overlap: str) -> None:
    with pytest.raises(schedule.TimeError, match="does not exist"):
        schedule.resolve_publish_at(gap, zone)
    with pytest.raises(schedule.TimeError, match="happens twice"):
        schedule.resolve_publish_at(overlap, zone)
    # with an offset, both are fine and absolute
    first = schedule.resolve_publish_at(overlap + ("+01:00" if zone == PARIS else "-04:00"), zone)
    second = schedule.resolve_publish_at(overlap + ("+00:00" if zone == PARIS else "-05:00"), zone)
    assert second - first == timedelta(hours=1)


def test_invalid_time_is_left_out_and_named() -> None:
    c = cal(post("gap", "2027-03-28T02:30"), post("fine", "2027-03-28T03:30"))
    plan = build_plan(c, utc("2027-03-01T00:00Z"))
    assert plan.invalid == ["gap"]
    assert [i.key for i in plan.items] == ["fine/news"]


def test_repeat_expands_to_occurrences_keeping_wall_time_across_dst() -> None:
    c = cal(post("ev", "2027-03-20T09:30", repeat={"every": "7d", "count": 3}))
    items = build_plan(c, utc("2027-01-01T00:00Z"), horizon=utc("2028-01-01T00:00Z")).items
    assert [(i.key, i.local.isoformat()) for i in items] == [  # type: ignore[union-attr]
        ("ev#1/news", "2027-03-20T09:30:00+01:00"),
        ("ev#2/news", "2027-03-27T09:30:00+01:00"),
        ("ev#3/news", "2027-04-03T09:30:00+02:00")]


def test_repeat_until_is_inclusive() -> None:
    c = cal(post("ev", "2027-01-01T12:00", repeat={"every": "30d", "until": "2027-03-02"}))
    items = build_plan(c, utc("2026-12-01T00:00Z"), horizon=utc("2028-01-01T00:00Z")).items
    assert [i.local.date() for i in items] == [  # type: ignore[union-attr]
        date(2027, 1, 1), date(2027, 1, 31), date(2027, 3, 2)]


def test_missed_repeats_never_burst() -> None:
    c = cal(post("ev", "2026-11-01T12:00", repeat={"every": "1d"}, max_delay="30d"))
    plan = build_plan(c, utc("2026-11-05T13:00+01:00"), horizon=utc("2026-11-07T00:00Z"))
    by_state = {i.occurrence: i.state.value for i in plan.items}
    assert by_state == {1: "skipped", 2: "skipped", 3: "skipped", 4: "skipped", 5: "due",
                        6: "scheduled"}
    assert plan.items[0].reason == "superseded by occurrence 5"


def test_repeat_occurrences_have_their_own_ledger_identity() -> None:
    c = cal(post("ev", "2026-11-01T12:00", repeat={"every": "1d"}, max_delay="2d"))
    ledger = {item_key("ev", "news", 1): Recorded("published", "file:///x")}
    plan = build_plan(c, utc("2026-11-02T12:30+01:00"), ledger=ledger,
                      horizon=utc("2026-11-03T00:00Z"))
    assert states(plan.items) == [("ev#1/news", "published"), ("ev#2/news", "due")]


def slots_cal(*posts: Post) -> Calendar:
    return cal(*posts, channels={"news": {"network": "outbox",
                                          "slots": ["Mon-Fri 09:30", "weekdays 17:00"]}})


def test_slots_assign_next_free_slot_deterministically() -> None:
    fixed = post("fixed", "2026-11-30T09:30")  # Monday 09:30 is taken
    q1 = post("q-b", "next-slot", queue="2026-11-28")
    q2 = post("q-a", None, queue="2026-11-28")
    q3 = post("q-c", None, queue="2026-12-01")
    c = slots_cal(q1, fixed, q3, q2)
    got = {k: v.astimezone(schedule.zone(PARIS)).strftime("%a %d %H:%M")
           for k, v in assign_slots(c).items()}
    # ordered by (queue day, id): q-a then q-b; Sat/Sun have no slots; Mon 09:30 is held.
    assert got == {("q-a", "news"): "Mon 30 17:00", ("q-b", "news"): "Tue 01 09:30",
                   ("q-c", "news"): "Tue 01 17:00"}
    # same files in another order, another `now`: same assignment
    again = slots_cal(q2, q3, fixed, q1)
    assert assign_slots(again) == assign_slots(c)
    plan = build_plan(again, utc("2026-12-01T09:31+01:00"))
    # q-a's slot was Monday 17:00, more than max_delay (6 h) ago: expired, never sent late.
    assert {i.key: i.state.value for i in plan.items if i.queued} == {
        "q-a/news": "expired", "q-b/news": "due", "q-c/news": "scheduled"}


def test_pause_stops_everything_and_says_why() -> None:
    c = cal(post("a", "2026-11-24T10:00", channels=("news", "bsky")),
            pause=Pause(True, "recall", "2026-11-24T08:00Z"))
    plan = build_plan(c, utc("2026-11-24T10:05+01:00"))
    assert states(plan.items) == [("a/bsky", "paused"), ("a/news", "paused")]
    assert plan.due() == []
    assert plan.items[0].reason == "paused: recall"


def test_pause_of_one_channel() -> None:
    c = cal(post("a", "2026-11-24T10:00", channels=("news", "bsky")),
            pause=Pause(True, "x outage", channels=("bsky",)))
    plan = build_plan(c, utc("2026-11-24T10:05+01:00"))
    assert states(plan.items) == [("a/bsky", "paused"), ("a/news", "due")]


def test_standby_is_listed_ready_to_go_and_drafts_are_not_planned() -> None:
    holding = Post.from_raw({"id": "hold", "channels": ["news"], "status": "standby",
                             "text": "We are on it."}, "calendar/posts/hold.yaml")
    draft = Post.from_raw({"id": "d", "channels": ["news"], "status": "draft", "text": "x",
                           "publish_at": "2026-11-24T10:00"}, "calendar/posts/d.yaml")
    assert holding and draft
    plan = build_plan(cal(holding, draft), utc("2026-11-24T12:00Z"),
                      )
    assert states(plan.items) == [("hold/news", "standby")]
    assert plan.drafts == 1
    assert plan.due() == []


def test_published_post_is_never_due_again_even_if_edited() -> None:
    c = cal(post("a", "2026-11-24T10:00", text="edited after publication"))
    ledger = {"a/news": Recorded("published", "https://example/1")}
    plan = build_plan(c, utc("2026-11-24T10:05+01:00"), ledger=ledger)
    assert states(plan.items) == [("a/news", "published")]


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        build_plan(cal(), datetime(2026, 1, 1))


def test_since_leaves_out_only_what_a_window_would_not_show() -> None:
    c = cal(post("old", "2026-11-20T10:00"), post("recent", "2026-11-24T06:00"),
            post("due", "2026-11-24T09:00"), post("later", "2026-11-30T10:00"))
    now = utc("2026-11-24T10:05+01:00")
    since = utc("2026-11-23T10:05+01:00")
    full = build_plan(c, now)
    lean = build_plan(c, now, since=since)
    assert [i.key for i in full.window(since, None)] == [i.key for i in lean.items]
    assert {i.key for i in full.items} - {i.key for i in lean.items} == {"old/news"}
    assert build_plan(c, now).by_state(State.EXPIRED)  # the publisher's view keeps them
