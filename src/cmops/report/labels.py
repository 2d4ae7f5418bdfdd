"""The site's words, in the language of ``mkdocs.yml`` (``theme.language``): English and
French, English for any other language. The words themselves are the catalogue's
(:mod:`cmops.report.catalogue`); every string a page shows goes through :class:`Labels`.
Dates and numbers are formatted here by hand (no locale module), so the same inputs give the
same pages on every machine."""

from __future__ import annotations

from datetime import date, datetime

from cmops.report.catalogue import DAYS, EN, FR, MONTHS, SHORT_MONTHS, STATES, reason_words


class Labels:
    """``labels("key", n=3)``: the word for ``key`` in the site's language."""

    def __init__(self, lang: str | None) -> None:
        base = (lang or "en").split("-")[0].split("_")[0].lower()
        self.lang = base if base in ("en", "fr") else "en"
        self._words = FR if self.lang == "fr" else EN

    def __call__(self, key: str, **values: object) -> str:
        text = self._words.get(key) or EN[key]
        return text.format(**values) if values else text

    def reason(self, text: str | None) -> str:
        """A reason or message of the plan or the publisher, in the site's language."""
        return reason_words(text or "", self.lang)

    def state(self, state: str) -> str:
        return STATES[self.lang].get(state, state)

    def month(self, year: int, month: int) -> str:
        name = MONTHS[self.lang][month - 1]
        return f"{name.capitalize() if self.lang == 'fr' else name} {year}"

    def weekday(self, index: int) -> str:
        return DAYS[self.lang][index]

    def day(self, day: date) -> str:
        """``Tue 24 Nov`` / ``mar. 24 nov.``"""
        short = SHORT_MONTHS[self.lang][day.month - 1]
        return f"{self.weekday(day.weekday())} {day.day} {short}"

    def day_long(self, day: date) -> str:
        return f"{self.day(day)} {day.year}"

    def when(self, moment: datetime) -> str:
        """Day and time in the moment's own zone: ``Tue 24 Nov 2026, 08:30``."""
        return f"{self.day_long(moment.date())}, {moment:%H:%M}"

    def number(self, value: float, digits: int = 0) -> str:
        text = f"{value:,.{digits}f}"
        if self.lang == "fr":
            text = text.replace(",", "\u202f").replace(".", ",")
        return text

    def percent(self, value: float) -> str:
        return self.number(value, 1) + ("\u202f%" if self.lang == "fr" else "%")

    def duration(self, seconds: float) -> str:
        minutes = int(seconds // 60)
        days, rest = divmod(minutes, 1440)
        hours, mins = divmod(rest, 60)
        unit = "j" if self.lang == "fr" else "d"
        if days:
            return f"{days}{unit} {hours}h"
        return f"{hours}h{mins:02d}" if hours else f"{mins} min"
