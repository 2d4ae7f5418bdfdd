"""Charts as inline SVG, drawn when the report is generated: no script, no CDN, nothing that
runs in the reader's browser. Every label passes through :func:`safe_text`, colours only
through :func:`safe_color`, and numbers are rounded so the same data gives the same bytes.
Text and axes take the theme's colours from CSS (``cm-*`` classes in report.css), so the
charts follow Material's light and dark schemes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from markupsafe import Markup

from cmops.report.safe import safe_color, safe_text

WIDTH = 720


def _n(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _svg(height: float, body: list[Markup], label: str, width: float = WIDTH,
         role: str = "img") -> Markup:
    """``role="img"`` hides what is inside from assistive technology: a chart whose marks are
    links is a ``group`` instead, or its links could be focused but not announced (axe:
    nested-interactive)."""
    return Markup('<svg class="cm-chart" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
                  'role="{role}" aria-label="{label}" xmlns="http://www.w3.org/2000/svg">'
                  "<title>{label}</title>{body}</svg>").format(
        w=_n(width), h=_n(height), role=role, label=safe_text(label),
        body=Markup("").join(body))


_GRID = Markup('<line class="cm-grid" x1="{}" x2="{}" y1="{}" y2="{}"/>')
_AXIS = Markup('<text class="cm-axis" x="{}" y="{}" text-anchor="{}">{}</text>')


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    step = 10 ** (len(str(int(value))) - 1)
    for factor in (1, 2, 2.5, 5, 10):
        if value <= factor * step:
            return float(factor * step)
    return float(10 * step)


def _whole(values: Sequence[float]) -> bool:
    return all(float(v).is_integer() for v in values)


def ticks(low: float, high: float, integer: bool) -> list[float]:
    """The axis values from ``low`` (included) up to a round value at or above ``high``:
    five evenly spaced ones, or for counts (``integer``) whole numbers one step apart, at
    most six of them (a count axis never reads 0, 0, 1, 1)."""
    if not integer:
        top = low + _nice_max(high - low)
        return [low + (top - low) * i / 4 for i in range(5)]
    start = math.floor(low)
    span = max(math.ceil(high) - start, 1)
    candidates = [f * 10 ** e for e in range(0, 16) for f in (1, 2, 5)]
    step = next(c for c in candidates if span / c <= 5)
    count = math.ceil(span / step)
    return [float(start + step * i) for i in range(count + 1)]


def _grid(top: float, left: float, width: float, height: float, values: list[float],
          fmt: Callable[[float], str]) -> list[Markup]:
    out = []
    maximum = values[-1] or 1.0
    for value in values:
        y = top + height - height * value / maximum
        out.append(_GRID.format(_n(left), _n(left + width), _n(y), _n(y)))
        out.append(_AXIS.format(_n(left - 6), _n(y + 4), "end", safe_text(fmt(value))))
    return out


def bar_chart(bars: Sequence[tuple[str, float, str]], label: str,
              fmt: Callable[[float], str] = _n) -> Markup:
    """Vertical bars: (axis label, value, tooltip) each."""
    top, left, height, bottom = 10.0, 48.0, 180.0, 40.0
    width = WIDTH - left - 10
    scale = ticks(0.0, max((v for _, v, _ in bars), default=0.0),
                  _whole([v for _, v, _ in bars]))
    maximum = scale[-1] or 1.0
    body = _grid(top, left, width, height, scale, fmt)
    step = width / max(len(bars), 1)
    every = max(1, len(bars) // 12)
    for i, (name, value, tip) in enumerate(bars):
        h = height * value / maximum
        x = left + i * step + step * 0.15
        body.append(Markup('<rect class="cm-bar" x="{}" y="{}" width="{}" height="{}">'
                           "<title>{}</title></rect>").format(
            _n(x), _n(top + height - h), _n(step * 0.7), _n(h), safe_text(tip)))
        if i % every == 0:
            body.append(_AXIS.format(_n(x + step * 0.35), _n(top + height + 16), "middle",
                                     safe_text(name)))
    return _svg(top + height + bottom, body, label)


def line_chart(series: Sequence[tuple[str, str, Sequence[tuple[date, float]]]], label: str,
               fmt: Callable[[float], str] = _n,
               day_label: Callable[[date], str] = str) -> Markup:
    """One line per (name, colour, points)."""
    top, left, height, bottom = 10.0, 56.0, 180.0, 40.0
    width = WIDTH - left - 10
    days = sorted({d for _, _, points in series for d, _ in points})
    if not days:
        return _svg(top + height + bottom, [], label)
    lo = min(v for _, _, points in series for _, v in points)
    hi = max(v for _, _, points in series for _, v in points)
    whole = _whole([v for _, _, points in series for _, v in points])
    floor = 0.0 if lo >= 0 and (hi - lo) > hi * 0.5 else max(0.0, lo - (hi - lo) * 0.2)
    scale = ticks(floor, hi, whole)
    floor, maximum = scale[0], scale[-1]
    if maximum <= floor:
        maximum = floor + 1.0
    span = max((days[-1] - days[0]).days, 1)

    def x(d: date) -> float:
        return left + width * (d - days[0]).days / span

    def y(v: float) -> float:
        return top + height - height * (v - floor) / (maximum - floor)

    body: list[Markup] = []
    for value in scale:
        body.append(_GRID.format(_n(left), _n(left + width), _n(y(value)), _n(y(value)))
                    + _AXIS.format(_n(left - 6), _n(y(value) + 4), "end",
                                   safe_text(fmt(value))))
    for d in (days[0], days[len(days) // 2], days[-1]) if len(days) > 2 else days:
        body.append(_AXIS.format(_n(x(d)), _n(top + height + 16), "middle",
                                 safe_text(day_label(d))))
    for name, color, points in series:
        stroke = safe_color(color) or "#888888"
        path = " ".join(f"{_n(x(d))},{_n(y(v))}" for d, v in points)
        body.append(Markup('<polyline class="cm-line" fill="none" stroke="{}" points="{}">'
                           "<title>{}</title></polyline>").format(stroke, path,
                                                                  safe_text(name)))
        for d, v in points:
            body.append(Markup('<circle cx="{}" cy="{}" r="3" fill="{}"><title>{}</title>'
                               "</circle>").format(
                _n(x(d)), _n(y(v)), stroke, safe_text(f"{name}: {day_label(d)}: {fmt(v)}")))
    return _svg(top + height + bottom, body, label)


def heatmap(cells: dict[tuple[int, int], tuple[float, int]], day_names: Sequence[str],
            label: str, fmt: Callable[[float], str] = _n) -> Markup:
    """Weekday (0 = Monday) x hour grid; (value, posts) per cell, darker for higher values."""
    left, top, size = 44.0, 18.0, 26.0
    maximum = max((v for v, _ in cells.values()), default=0.0) or 1.0
    body = []
    for hour in range(0, 24, 3):
        body.append(_AXIS.format(_n(left + hour * size + size / 2), _n(top - 5), "middle",
                                 f"{hour:02d}h"))
    for day in range(7):
        y = top + day * size
        body.append(_AXIS.format(_n(left - 6), _n(y + size * 0.65), "end",
                                 safe_text(day_names[day])))
        for hour in range(24):
            x = left + hour * size
            if (day, hour) in cells:
                value, count = cells[(day, hour)]
                opacity = 0.12 + 0.88 * value / maximum
                tip = f"{day_names[day]} {hour:02d}h: {fmt(value)} ({count})"
                body.append(Markup('<rect class="cm-heat" x="{}" y="{}" width="{}" height="{}" '
                                   'fill-opacity="{}"><title>{}</title></rect>').format(
                    _n(x + 1), _n(y + 1), _n(size - 2), _n(size - 2), f"{opacity:.2f}",
                    safe_text(tip)))
            else:
                body.append(Markup('<rect class="cm-heat-empty" x="{}" y="{}" width="{}" '
                                   'height="{}"/>').format(_n(x + 1), _n(y + 1), _n(size - 2),
                                                           _n(size - 2)))
    return _svg(top + 7 * size + 4, body, label, width=left + 24 * size + 4)


@dataclass(frozen=True, slots=True)
class Marker:
    when: datetime
    state: str
    href: str
    tip: str


@dataclass(frozen=True, slots=True)
class Row:
    label: str
    color: str
    markers: Sequence[Marker]


def timeline(first: date, last: date, rows: Sequence[Row], today: date, label: str,
             window: tuple[date, date] | None, day_label: Callable[[date], str] = str,
             today_label: str = "today") -> Markup:
    """A Gantt-style strip per channel: the campaign window as a bar, each post as a mark at
    its time (linked to its detail), a line for today."""
    left, top, row_h = 150.0, 24.0, 26.0
    width = WIDTH - left - 10
    start = datetime(first.year, first.month, first.day)
    span = max((last - first).days + 1, 1) * 86400.0

    def x(moment: datetime) -> float:
        naive = moment.replace(tzinfo=None)
        return left + width * max(0.0, min(1.0, (naive - start).total_seconds() / span))

    def xd(d: date) -> float:
        return x(datetime(d.year, d.month, d.day))

    height = top + row_h * (len(rows) + 1) + 10
    body: list[Markup] = []
    days = (last - first).days + 1
    step = 1 if days <= 14 else 7 if days <= 120 else 30
    tick = first
    while tick <= last:
        body.append(_GRID.format(_n(xd(tick)), _n(xd(tick)), _n(top - 4), _n(height - 10))
                    + _AXIS.format(_n(xd(tick)), _n(top - 8), "middle",
                                   safe_text(day_label(tick))))
        tick += timedelta(days=step)
    if window:
        y = top + 6
        w = max(xd(window[1] + timedelta(days=1)) - xd(window[0]), 2.0)
        body.append(Markup('<rect class="cm-window" x="{}" y="{}" width="{}" height="{}" '
                           'rx="4"/>').format(_n(xd(window[0])), _n(y), _n(w), _n(row_h - 12)))
    for index, row in enumerate(rows, start=1):
        y = top + row_h * index + row_h / 2
        color = safe_color(row.color) or "#888888"
        body.append(_AXIS.format(_n(left - 8), _n(y + 4), "end", safe_text(row.label[:24]))
                    + _GRID.format(_n(left), _n(left + width), _n(y), _n(y)))
        for m in row.markers:
            mark = Markup('<circle class="cm-mark cm-s-{}" cx="{}" cy="{}" r="5" fill="{}" '
                          'stroke="{}">{}</circle>').format(
                safe_text(m.state), _n(x(m.when)), _n(y), color, color,
                Markup("<title>{}</title>").format(safe_text(m.tip)) if m.tip else "")
            body.append(Markup('<a href="{}">{}</a>').format(safe_text(m.href), mark)
                        if m.href else mark)
    if first <= today <= last:
        body.append(Markup('<line class="cm-today" x1="{x}" x2="{x}" y1="{}" y2="{}"/>'
                           '<text class="cm-axis cm-today-label" x="{}" y="{}">{}</text>').format(
            _n(top - 4), _n(height - 10), _n(xd(today) + 3), _n(height - 2),
            safe_text(today_label), x=_n(xd(today))))
    return _svg(height, body, label, role="group")
