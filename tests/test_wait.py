"""wait_for: adapters waiting for media processing stop before the run's time runs out."""

from __future__ import annotations

import pytest
from tests.helpers import Clock

from cmops.adapters.base import Outgoing, Transient, wait_for


def _out(time_left: float | None) -> Outgoing:
    return Outgoing("k", "p", "c", 0, 1, "t", "d", time_left=time_left)


def test_answers_once_ready() -> None:
    clock, answers = Clock(), iter([None, None, "done"])
    got = wait_for("video", lambda: next(answers), every=5, most=60, sleep=clock.sleep,
                   clock=clock)
    assert got == "done" and clock.slept == [5, 5]


def test_gives_up_after_most_seconds_without_posting() -> None:
    clock = Clock()
    with pytest.raises(Transient, match="video still not ready after 60 s") as err:
        wait_for("video", lambda: None, every=10, most=60, sleep=clock.sleep, clock=clock)
    assert err.value.maybe_sent is False and clock.t == 60


def test_the_runs_time_left_caps_the_wait() -> None:
    clock = Clock()
    with pytest.raises(Transient):
        wait_for("video", lambda: None, every=10, most=600, out=_out(45.0),
                 sleep=clock.sleep, clock=clock)
    assert clock.t == 30  # 45 s left, 15 kept back to record the outcome


def test_a_failure_the_check_raises_goes_through() -> None:
    def check() -> None:
        raise ValueError("processing failed")

    with pytest.raises(ValueError, match="processing failed"):
        wait_for("video", check, every=1, most=10, sleep=lambda s: None)
