"""Listening rules (``calendar/listening.yaml``): labelling, crisis signals, opinion leaders.

Everything here is pure. The labelling is a **heuristic**, on purpose simple enough to explain:
a message's words (lower-cased, accents removed) are looked up in a short French and English
lexicon; each positive word counts +1 and each negative word −1, a negation among the two
words before flips it ("pas top", "not good"), and any crisis keyword makes the message
negative. The words that decided are kept with the label, so a reader can see why. It will
misread irony and context; treat it as a triage aid, not a measurement.

Crisis thresholds, each evaluated at every collect over the inbox and keyword items:

* ``burst``: at least ``count`` negative or crisis-keyword messages within ``within``;
* ``spike``: messages within ``within`` at least ``factor`` × their average per ``within``
  over the ``trailing`` period before (and at least ``min_count``).

A threshold that holds opens an **episode** and fires once; it stays open, silent, while the
threshold holds, and closes at the first collect where it no longer does.

Opinion leaders: score = 3 × quotes + 2 × replies + 1 × mentions and keyword posts, times
(1 + log10(1 + followers) / 2) when the follower count is known; ``deny`` drops an account,
``allow`` keeps it in the list whatever its score.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cmops.schedule import TimeError, parse_duration


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


POSITIVE = _words("""
bravo super genial top merci excellent parfait adore aime j'adore magnifique beau belle
content contente ravi ravie recommande bien pratique solide fiable rapide
great love loved awesome amazing excellent perfect thanks thank nice happy recommend
reliable fast beautiful good best wonderful
""")
NEGATIVE = _words("""
nul nulle decu decue deception probleme panne casse cassee defectueux arnaque honte
lent inacceptable scandale plainte remboursement rembourser pire horrible colere
mauvais mauvaise danger dangereux dangereuse
bad broken worst awful terrible disappointed disappointing refund scam useless angry
problem issue faulty slow unacceptable hate complaint dangerous
""")
NEGATIONS = _words("pas jamais not no never don't isn't ni")

_WORD = re.compile(r"[\w']+")


def fold(text: str) -> str:
    """Lower-case without accents: "Déçu" -> "decu"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True, slots=True)
class Burst:
    name: str
    count: int
    within: timedelta


@dataclass(frozen=True, slots=True)
class Spike:
    name: str
    factor: float
    within: timedelta
    trailing: timedelta
    min_count: int = 1


@dataclass(frozen=True, slots=True)
class Listening:
    brand_terms: tuple[str, ...] = ()
    watch_keywords: tuple[str, ...] = ()
    crisis_keywords: tuple[str, ...] = ()
    positive: frozenset[str] = POSITIVE
    negative: frozenset[str] = NEGATIVE
    thresholds: tuple[Burst | Spike, ...] = ()
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    top: int = 10
    window: timedelta = timedelta(days=30)

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> Listening:
        """From a schema-valid listening.yaml (see ``schemas/listening.schema.json``)."""
        lexicon = raw.get("lexicon") or {}
        leaders = raw.get("leaders") or {}
        thresholds: list[Burst | Spike] = []
        for t in raw.get("thresholds") or []:
            within = parse_duration(str(t["within"]))
            if t["type"] == "burst":
                thresholds.append(Burst(t["name"], int(t["count"]), within))
            else:
                thresholds.append(Spike(t["name"], float(t["factor"]), within,
                                        parse_duration(str(t.get("trailing", "7d"))),
                                        int(t.get("min_count", 1))))
        return cls(
            brand_terms=tuple(raw.get("brand_terms") or ()),
            watch_keywords=tuple(raw.get("watch_keywords") or ()),
            crisis_keywords=tuple(raw.get("crisis_keywords") or ()),
            positive=POSITIVE | {fold(w) for w in lexicon.get("positive") or ()},
            negative=NEGATIVE | {fold(w) for w in lexicon.get("negative") or ()},
            thresholds=tuple(thresholds),
            allow=tuple(_handle(h) for h in leaders.get("allow") or ()),
            deny=tuple(_handle(h) for h in leaders.get("deny") or ()),
            top=int(leaders.get("top", 10)),
            window=parse_duration(str(raw.get("window", "30d"))))


def _handle(text: str) -> str:
    return fold(text if text.startswith("@") else "@" + text)


@dataclass(frozen=True, slots=True)
class Label:
    sentiment: str
    """``positive``, ``neutral`` or ``negative``."""
    words: tuple[str, ...] = ()
    crisis_terms: tuple[str, ...] = ()


def label(text: str, rules: Listening) -> Label:
    folded = fold(text)
    words = _WORD.findall(folded)
    score, why = 0, []
    for i, word in enumerate(words):
        sign = 1 if word in rules.positive else -1 if word in rules.negative else 0
        if not sign:
            continue
        if any(w in NEGATIONS or w.endswith("n't") for w in words[max(0, i - 2):i]):
            sign, word = -sign, f"not {word}"
        score += sign
        why.append(word)
    crisis = tuple(k for k in rules.crisis_keywords if _contains(folded, fold(k)))
    if crisis or score < 0:
        sentiment = "negative"
    elif score > 0:
        sentiment = "positive"
    else:
        sentiment = "neutral"
    return Label(sentiment, tuple(why), crisis)


def _contains(folded: str, term: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(term)}(?!\w)", folded) is not None


# -- crisis signals ------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Heard:
    """What the thresholds look at: one message, when, and whether it is alarming."""

    at: datetime
    alarming: bool


@dataclass(frozen=True, slots=True)
class Signal:
    rule: str
    at: datetime
    count: int
    detail: str

    def as_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "at": self.at.isoformat(timespec="seconds")
                .replace("+00:00", "Z"), "count": self.count, "detail": self.detail,
                "recommendation": "cmops pause --reason \"…\" (then review the inbox)"}


def _holds(rule: Burst | Spike, heard: Sequence[Heard], now: datetime
           ) -> tuple[bool, int, str]:
    recent = [h for h in heard if now - rule.within < h.at <= now]
    if isinstance(rule, Burst):
        n = sum(h.alarming for h in recent)
        return n >= rule.count, n, (f"{n} negative or crisis-keyword messages within "
                                    f"{_span(rule.within)} (threshold {rule.count})")
    start = now - rule.within - rule.trailing
    before = sum(1 for h in heard if start < h.at <= now - rule.within)
    average = before / (rule.trailing / rule.within)
    n = len(recent)
    fires = n >= rule.min_count and n >= rule.factor * average
    return fires, n, (f"{n} messages within {_span(rule.within)}, against an average of "
                      f"{average:.1f} over the {_span(rule.trailing)} before "
                      f"(threshold {rule.factor:g}×, at least {rule.min_count})")


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes % 1440 == 0:
        return f"{minutes // 1440} d"
    return f"{minutes // 60} h" if minutes % 60 == 0 else f"{minutes} min"


@dataclass(slots=True)
class CrisisState:
    open: dict[str, str] = field(default_factory=dict)
    """Rule name -> ISO time its episode opened."""


def evaluate(rules: Listening, heard: Sequence[Heard], now: datetime, state: CrisisState
             ) -> tuple[list[Signal], CrisisState]:
    """Signals that fire now (new episodes only), and the state for the next evaluation."""
    fired: list[Signal] = []
    still: dict[str, str] = {}
    for rule in rules.thresholds:
        holds, n, detail = _holds(rule, heard, now)
        if not holds:
            continue
        if rule.name in state.open:
            still[rule.name] = state.open[rule.name]
            continue
        still[rule.name] = now.isoformat(timespec="seconds").replace("+00:00", "Z")
        fired.append(Signal(rule.name, now, n, detail))
    return fired, CrisisState(still)


# -- opinion leaders -----------------------------------------------------------------------

WEIGHTS = {"quote": 3, "reply": 2, "mention": 1, "keyword": 1}


@dataclass(frozen=True, slots=True)
class Leader:
    handle: str
    name: str
    score: float
    followers: int | None
    counts: Mapping[str, int]
    reason: str
    allowed: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"handle": self.handle, "name": self.name, "score": round(self.score, 2),
                "followers": self.followers, "counts": dict(self.counts),
                "reason": self.reason, "allow_listed": self.allowed}


def leaders(items: Iterable[Mapping[str, Any]], rules: Listening) -> list[Leader]:
    """Rank the authors of inbox items (dicts in the inbox file shape); DMs are private and
    never ranked."""
    counts: dict[str, dict[str, int]] = {}
    info: dict[str, tuple[str, str, int | None]] = {}
    for item in items:
        kind = str(item.get("kind"))
        author = item.get("author")
        if kind not in WEIGHTS or not isinstance(author, Mapping):
            continue
        handle = str(author.get("handle") or "")
        if not handle or fold(handle) in rules.deny:
            continue
        mine = counts.setdefault(handle, {})
        mine[kind] = mine.get(kind, 0) + 1
        followers = author.get("followers")
        known = followers if isinstance(followers, int) and not isinstance(followers, bool) \
            else info.get(handle, ("", "", None))[2]
        info[handle] = (handle, str(author.get("name") or ""), known)
    out = []
    for handle, mine in counts.items():
        _, name, followers = info[handle]
        base = sum(WEIGHTS[k] * n for k, n in mine.items())
        boost = 1 + math.log10(1 + followers) / 2 if followers else 1.0
        parts = [f"{n} {k}{'s' if n > 1 else ''}" for k, n in sorted(mine.items())]
        reason = ", ".join(parts) + (f"; {followers} followers (×{boost:.2f})"
                                     if followers else "; followers unknown")
        out.append(Leader(handle, name, base * boost, followers, mine, reason,
                          fold(handle) in rules.allow))
    out.sort(key=lambda x: (-x.score, x.handle))
    return [x for i, x in enumerate(out) if i < rules.top or x.allowed]


class ListeningError(Exception):
    pass


def read_listening(path: Path) -> str | None:
    """listening.yaml's text (None: no such file), read bounded; :class:`ListeningError`
    when it is too large or not UTF-8 (cmops validate says where)."""
    if not path.exists():
        return None
    from cmops import yamlsafe

    try:
        return yamlsafe.read_bounded(path).decode("utf-8")
    except (yamlsafe.YamlError, UnicodeDecodeError, OSError) as exc:
        reason = "it is not UTF-8" if isinstance(exc, UnicodeDecodeError) else str(exc)
        raise ListeningError(f"calendar/listening.yaml cannot be read: {reason}; run cmops "
                             "validate") from None


def parse_listening(text: str | None) -> Listening:
    """listening.yaml's text (None: no file, the defaults) -> rules; raises ListeningError
    when it does not parse or fails its schema (cmops validate says where)."""
    if text is None:
        return Listening()
    from cmops import schemas, yamlsafe

    try:
        data = yamlsafe.loads(text)
    except yamlsafe.YamlError as exc:
        raise ListeningError(f"calendar/listening.yaml: {exc}") from None
    if data is None:
        return Listening()
    if not isinstance(data, dict) or not schemas.is_valid("listening", data):
        raise ListeningError("calendar/listening.yaml is not valid; run cmops validate")
    try:
        return Listening.from_raw(data)
    except TimeError as exc:  # a duration longer than a year: schema-valid, still refused
        raise ListeningError(f"calendar/listening.yaml: {exc}; run cmops validate") from None
