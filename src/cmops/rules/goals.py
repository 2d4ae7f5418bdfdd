"""Campaign goals a reader would take for something else: a percent goal written as a
fraction (``engagement_rate: 0.1`` is 0.1 %, "met" by any real campaign)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from cmops.problems import Finding, Severity

PERCENT_GOALS = ("engagement_rate", "growth_rate")
"""The goals the campaign schema reads in percent (its ``#/$defs/percent``); a test keeps
this list equal to the schema's."""

RULE = "campaign.percent-goal"

DOCS = {
    RULE: "A percent goal (engagement_rate, growth_rate) is a number between 0 and 1: it "
          "means that many percent, not a fraction (0.1 is 0.1 %, write 10 for ten "
          "percent); written with a % sign (\"0.5%\") it is taken as meant (warning).",
}

_UNITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
          "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
          "seventeen", "eighteen", "nineteen")
_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def in_words(number: float) -> str:
    """``10`` -> ``ten``, ``25`` -> ``twenty-five``, ``100`` -> ``a hundred``; any other
    number (a fraction, past 100) as digits."""
    if number != int(number) or not 0 <= number <= 100:
        return f"{number:g}"
    n = int(number)
    if n == 100:
        return "a hundred"
    if n < 20:
        return _UNITS[n]
    tens, unit = divmod(n, 10)
    return _TENS[tens - 2] + (f"-{_UNITS[unit]}" if unit else "")


def check_percent_goals(rel: str, data: Mapping[str, Any]) -> Iterator[Finding]:
    goals = data.get("goals")
    if not isinstance(goals, dict):
        return
    for name in PERCENT_GOALS:
        value = goals.get(name)
        # a bool is an int to Python, and the schema's error already
        if isinstance(value, bool) or not isinstance(value, int | float) \
                or not 0 < value < 1:
            continue
        meant = round(value * 100, 6)
        yield Finding(rel, ("goals", name), RULE,
                      f"{value:g} means {value:g} %: write {meant:g} % for "
                      f"{in_words(meant)} percent", Severity.WARNING)
