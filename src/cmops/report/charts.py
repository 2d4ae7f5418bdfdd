"""Charts as inline SVG, drawn when the report is generated: no script, no CDN, nothing that
runs in the reader's browser. Every label passes through :func:`safe_text`, colours only
through :func:`safe_color`, and numbers are rounded so the same data gives the same bytes.
Text and axes take the theme's colours from CSS (``cm-*`` classes in report.css), so the
charts follow Material's light and dark schemes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from cmops.report.safe import safe_color, safe_text

WIDTH = 720


def _n(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _svg(height: float, body: list[str], label: str, width: float = WIDTH) -> str:
    return (f'<svg class="cm-chart" width="{_n(width)}" height="{_n(height)}" '
            f'viewBox="0 0 {_n(width)} {_n(height)}" role="img" aria-label="{safe_text(label)}" xmlns="http://www.w3.org/2000/svg">'
            f"<title>{safe_text(label)}</title>{''.join(body)}</svg>")


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    step = 10 ** (len(str(int(value))) - 1)
    for factor in (1, 2, 2.5, 5, 10):
        if value <= factor * step:
            return float(factor * step)
    return float(10 * step)


def _grid(top: float, left: float, width: float, height: float, maximum: float,
          fmt: Callable[[float], str]) -> list[str]:
    out = []
    for i in range(5):
        value = maximum * i / 4
        y = top + height - height * i / 4
        out.append(f'<line class="cm-grid" x1="{_n(left)}" x2="{_n(left + width)}" '
                   f'y1="{_n(y)}" y2="{_n(y)}"/>')
        out.append(f'<text class="cm-axis" x="{_n(left - 6)}" y="{_n(y + 4)}" '
                   f'text-anchor="end">{safe_text(fmt(value))}</text>')
    return out


def bar_chart(bars: Sequence[tuple[str, float, str]], label: str,
              fmt: Callable[[float], str] = _n) -> str:
    """Vertical bars: (axis label, value, tooltip) each."""
    top, left, height, bottom = 10.0, 48.0, 180.0, 40.0
    width = WIDTH - left - 10
    maximum = _nice_max(max((v for _, v, _ in bars), default=0.0))
    body = _grid(top, left, width, height, maximum, fmt)
    step = width / max(len(bars), 1)
    every = max(1, len(bars) // 12)
    for i, (name, value, tip) in enumerate(bars):
        h = height * value / maximum
        x = left + i * step + step * 0.15
        body.append(f'<rect class="cm-bar" x="{_n(x)}" y="{_n(top + height - h)}" '
                    f'width="{_n(step * 0.7)}" height="{_n(h)}"><title>{safe_text(tip)}'
                    "</title></rect>")
        if i % every == 0:
            body.append(f'<text class="cm-axis" x="{_n(x + step * 0.35)}" '
                        f'y="{_n(top + height + 16)}" text-anchor="middle">'
                        f"{safe_text(name)}</text>")
    return _svg(top + height + bottom, body, label)


def line_chart(series: Sequence[tuple[str, str, Sequence[tuple[date, float]]]], label: str,
               fmt: Callable[[float], str] = _n,
               day_label: Callable[[date], str] = str) -> str:
    """One line per (name, colour, points)."""
    top, left, height, bottom = 10.0, 56.0, 180.0, 40.0
    width = WIDTH - left - 10
    days = sorted({d for _, _, points in series for d, _ in points})
    if not days:
        return _svg(top + height + bottom, [], label)
    lo = min(v for _, _, points in series for _, v in points)
    hi = max(v for _, _, points in series for _, v in points)
    floor = 0.0 if lo >= 0 and (hi - lo) > hi * 0.5 else max(0.0, lo - (hi - lo) * 0.2)
    maximum = floor + _nice_max(hi - floor)
    span = max((days[-1] - days[0]).days, 1)

    def x(d: date) -> float:
        return left + width * (d - days[0]).days / span

    def y(v: float) -> float:
        return top + height - height * (v - floor) / (maximum - floor)

    body = []
    for i in range(5):
        value = floor + (maximum - floor) * i / 4
        body.append(f'<line class="cm-grid" x1="{_n(left)}" x2="{_n(left + width)}" '
                    f'y1="{_n(y(value))}" y2="{_n(y(value))}"/><text class="cm-axis" '
                    f'x="{_n(left - 6)}" y="{_n(y(value) + 4)}" text-anchor="end">'
                    f"{safe_text(fmt(value))}</text>")
    for d in (days[0], days[len(days) // 2], days[-1]) if len(days) > 2 else days:
        body.append(f'<text class="cm-axis" x="{_n(x(d))}" y="{_n(top + height + 16)}" '
                    f'text-anchor="middle">{safe_text(day_label(d))}</text>')
    for name, color, points in series:
        stroke = safe_color(color) or "#888888"
        path = " ".join(f"{_n(x(d))},{_n(y(v))}" for d, v in points)
        body.append(f'<polyline class="cm-line" fill="none" stroke="{stroke}" '
                    f'points="{path}"><title>{safe_text(name)}</title></polyline>')
        for d, v in points:
            body.append(f'<circle cx="{_n(x(d))}" cy="{_n(y(v))}" r="3" fill="{stroke}">'
                        f"<title>{safe_text(f'{name}: {day_label(d)}: {fmt(v)}')}</title>"
                        "</circle>")
    return _svg(top + height + bottom, body, label)


def heatmap(cells: dict[tuple[int, int], tuple[float, int]], day_names: Sequence[str],
            label: str, fmt: Callable[[float], str] = _n) -> str:
    """Weekday (0 = Monday) x hour grid; (value, posts) per cell, darker for higher values."""
    left, top, size = 44.0, 18.0, 26.0
    maximum = max((v for v, _ in cells.values()), default=0.0) or 1.0
    body = []
    for hour in range(0, 24, 3):
        body.append(f'<text class="cm-axis" x="{_n(left + hour * size + size / 2)}" '
                    f'y="{_n(top - 5)}" text-anchor="middle">{hour:02d}h</text>')
    for day in range(7):
        y = top + day * size
        body.append(f'<text class="cm-axis" x="{_n(left - 6)}" y="{_n(y + size * 0.65)}" '
                    f'text-anchor="end">{safe_text(day_names[day])}</text>')
        for hour in range(24):
            x = left + hour * size
            if (day, hour) in cells:
                value, count = cells[(day, hour)]
                opacity = 0.12 + 0.88 * value / maximum
                tip = f"{day_names[day]} {hour:02d}h: {fmt(value)} ({count})"
                body.append(f'<rect class="cm-heat" x="{_n(x + 1)}" y="{_n(y + 1)}" '
                            f'width="{_n(size - 2)}" height="{_n(size - 2)}" '
                            f'fill-opacity="{opacity:.2f}"><title>{safe_text(tip)}</title>'
                            "</rect>")
            else:
                body.append(f'<rect class="cm-heat-empty" x="{_n(x + 1)}" y="{_n(y + 1)}" '
                            f'width="{_n(size - 2)}" height="{_n(size - 2)}"/>')
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
             today_label: str = "today") -> str:
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
    body = []
    days = (last - first).days + 1
    step = 1 if days <= 14 else 7 if days <= 120 else 30
    tick = first
    while tick <= last:
        body.append(f'<line class="cm-grid" x1="{_n(xd(tick))}" x2="{_n(xd(tick))}" '
                    f'y1="{_n(top - 4)}" y2="{_n(height - 10)}"/><text class="cm-axis" '
                    f'x="{_n(xd(tick))}" y="{_n(top - 8)}" text-anchor="middle">'
                    f"{safe_text(day_label(tick))}</text>")
        tick += timedelta(days=step)
    if window:
        y = top + 6
        w = max(xd(window[1] + timedelta(days=1)) - xd(window[0]), 2.0)
        body.append(f'<rect class="cm-window" x="{_n(xd(window[0]))}" y="{_n(y)}" '
                    f'width="{_n(w)}" height="{_n(row_h - 12)}" rx="4"/>')
    for index, row in enumerate(rows, start=1):
        y = top + row_h * index + row_h / 2
        color = safe_color(row.color) or "#888888"
        body.append(f'<text class="cm-axis" x="{_n(left - 8)}" y="{_n(y + 4)}" '
                    f'text-anchor="end">{safe_text(row.label[:24])}</text>'
                    f'<line class="cm-grid" x1="{_n(left)}" x2="{_n(left + width)}" '
                    f'y1="{_n(y)}" y2="{_n(y)}"/>')
        for m in row.markers:
            mark = (f'<circle class="cm-mark cm-s-{safe_text(m.state)}" cx="{_n(x(m.when))}" '
                    f'cy="{_n(y)}" r="5" fill="{color}" stroke="{color}">'
                    + (f"<title>{safe_text(m.tip)}</title>" if m.tip else "") + "</circle>")
            body.append(f'<a href="{safe_text(m.href)}">{mark}</a>' if m.href else mark)
    if first <= today <= last:
        body.append(f'<line class="cm-today" x1="{_n(xd(today))}" x2="{_n(xd(today))}" '
                    f'y1="{_n(top - 4)}" y2="{_n(height - 10)}"/><text class="cm-axis '
                    f'cm-today-label" x="{_n(xd(today) + 3)}" y="{_n(height - 2)}">'
                    f"{safe_text(today_label)}</text>")
    return _svg(height, body, label)
