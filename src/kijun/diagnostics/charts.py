"""Server-rendered SVG charts (no JavaScript; the CSP allows no inline scripts).

``trend_svg`` draws open remediation records per SSVC outcome over days as stacked bars, with an
overdue line, axis labels and a <title> per bar for screen readers and tooltips. Colours are SVG
presentation attributes (not style attributes), which the CSP permits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

SERIES = (("act", "#b00020"), ("attend", "#e06000"), ("track_star", "#c9a000"), ("track", "#5a7fa8"))


@dataclass(frozen=True, slots=True)
class Point:
    day: str  # ISO date
    act: int
    attend: int
    track_star: int
    track: int
    overdue: int

    @property
    def total(self) -> int:
        return self.act + self.attend + self.track_star + self.track


def _nice_max(v: int) -> int:
    """A top of the y axis divisible by 4 (five gridlines with whole numbers)."""
    for top in (4, 8, 12, 20, 40, 60, 100, 200, 400, 600, 1000, 2000, 4000, 6000, 10000, 20000, 40000, 100000):
        if v <= top:
            return top
    return ((v // 100000) + 1) * 100000


def trend_svg(points: Sequence[Point], labels: dict[str, str], *, width: int = 720, height: int = 220,
              title: str = "") -> str:
    """Stacked bars (Act at the bottom) per day and an overdue polyline; ``labels`` names the series."""
    left, right, top, bottom = 44, 12, 12, 40
    pw, ph = width - left - right, height - top - bottom
    ymax = _nice_max(max([p.total for p in points] + [p.overdue for p in points] + [1]))
    n = max(len(points), 1)
    slot = pw / n
    bw = min(slot, 28.0)  # a few days must not turn into slabs
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(title)}" class="chart" data-testid="trend-chart">', f"<title>{escape(title)}</title>"]
    for i in range(5):
        v = ymax * i // 4
        y = top + ph - ph * i / 4
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="#555">{v}</text>')
    for i, p in enumerate(points):
        x = left + i * slot + (slot - bw) / 2
        y = top + ph
        for key, colour in SERIES:
            v = int(getattr(p, key))
            if v:
                h = ph * v / ymax
                y -= h
                parts.append(f'<rect x="{x + bw * 0.1:.1f}" y="{y:.1f}" width="{bw * 0.8:.1f}" height="{h:.1f}" '
                             f'fill="{colour}"><title>{escape(p.day)} {escape(labels.get(key, key))}: {v}</title></rect>')
        if n <= 16 or i % max(1, n // 8) == 0 or i == n - 1:
            parts.append(f'<text x="{x + bw / 2:.1f}" y="{height - bottom + 14}" font-size="10" text-anchor="middle" '
                         f'fill="#555">{escape(p.day[5:])}</text>')
    if points:
        pts = " ".join(f"{left + (i + 0.5) * slot:.1f},{top + ph - ph * p.overdue / ymax:.1f}" for i, p in enumerate(points))
        parts.append(f'<polyline points="{pts}" fill="none" stroke="#000" stroke-width="2" stroke-dasharray="4 3">'
                     f'<title>{escape(labels.get("overdue", "overdue"))}</title></polyline>')
    lx = left
    for key, colour in (*SERIES, ("overdue", "#000")):
        parts.append(f'<rect x="{lx}" y="{height - 16}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{lx + 14}" y="{height - 7}" font-size="11" fill="#333">{escape(labels.get(key, key))}</text>')
        lx += 24 + 12 * len(labels.get(key, key))
    parts.append("</svg>")
    return "".join(parts)


__all__ = ["SERIES", "Point", "trend_svg"]
