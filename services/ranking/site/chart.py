"""A district's 60-day trend: the daily numbers, and the same numbers drawn as SVG on the server.

The daily figures come from ranking's campaign snapshots: each Bangkok midnight keeps every
district's campaign votes and sum at the close (`domain.closing_tallies`), so a day's votes are the
difference between two consecutive closes and its mean the difference of sums over that of votes.
Today's point is the live figures against yesterday's close. A day whose close (or the one before)
was not kept, because no consumer ran over that midnight, is shown as missing, never as zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from xml.sax.saxutils import escape

from services.ranking.site.fmt import number
from shared.thaidate import short_date

TREND_DAYS = 60


@dataclass(frozen=True)
class Point:
    day: date
    votes: int | None  # None: not known (a missing close)
    mean: float | None  # None: unknown or no votes that day

    @property
    def known(self) -> bool:
        return self.votes is not None


def daily_trend(closes: Mapping[str, tuple[int, int]], close_days: frozenset[str] | set[str],
                live: tuple[int, int], today: date, days: int = TREND_DAYS) -> list[Point]:
    """The last `days` days ending today, oldest first."""

    def at(day: date) -> tuple[int, int] | None:
        if day == today:
            return live
        label = day.isoformat()
        return closes.get(label, (0, 0)) if label in close_days else None

    points = []
    for back in range(days - 1, -1, -1):
        day = today - timedelta(days=back)
        now, before = at(day), at(day - timedelta(days=1))
        if now is None or before is None or now[0] < before[0]:
            points.append(Point(day, None, None))  # unknown, or a campaign window that moved (restart of counts)
            continue
        votes, total = now[0] - before[0], now[1] - before[1]
        points.append(Point(day, votes, round(total / votes, 2) if votes else None))
    return points


# Geometry of the drawing (viewBox units; the SVG scales to the page's width).
W, H = 640, 260
LEFT, RIGHT = 34, 34
MEAN_TOP, MEAN_BOTTOM = 16, 140
BAR_TOP, BAR_BOTTOM = 160, 232


def trend_svg(points: list[Point], *, title: str, desc: str, lang: str, svg_id: str = "trend") -> str:
    """Daily mean (a line on a 1-5 scale, top) and daily votes (bars, bottom), one column per day."""
    n = max(1, len(points))
    step = (W - LEFT - RIGHT) / n
    max_votes = max([p.votes or 0 for p in points] + [1])

    def x(i: int) -> float:
        return LEFT + step * (i + 0.5)

    def y_mean(m: float) -> float:
        return MEAN_BOTTOM - (m - 1) / 4 * (MEAN_BOTTOM - MEAN_TOP)

    out = [f'<svg class="trend" id="{svg_id}" viewBox="0 0 {W} {H}" role="img" '
           f'aria-labelledby="{svg_id}-title {svg_id}-desc" xmlns="http://www.w3.org/2000/svg">',
           f'<title id="{svg_id}-title">{escape(title)}</title><desc id="{svg_id}-desc">{escape(desc)}</desc>']
    for level in range(1, 6):  # the mean's scale
        y = y_mean(level)
        out.append(f'<line class="grid" x1="{LEFT}" y1="{y:.1f}" x2="{W - RIGHT}" y2="{y:.1f}"/>'
                   f'<text class="axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{level}</text>')
    out.append(f'<line class="grid" x1="{LEFT}" y1="{BAR_BOTTOM}" x2="{W - RIGHT}" y2="{BAR_BOTTOM}"/>'
               f'<text class="axis" x="{W - RIGHT + 6}" y="{BAR_TOP + 4}">{number(max_votes)}</text>'
               f'<text class="axis" x="{W - RIGHT + 6}" y="{BAR_BOTTOM + 4}">0</text>')
    for i, p in enumerate(points):
        if p.votes:
            h = p.votes / max_votes * (BAR_BOTTOM - BAR_TOP)
            out.append(f'<rect class="bar" x="{x(i) - step * 0.35:.1f}" y="{BAR_BOTTOM - h:.1f}" '
                       f'width="{step * 0.7:.1f}" height="{h:.1f}"/>')
        elif not p.known:
            out.append(f'<rect class="gap" x="{x(i) - step * 0.35:.1f}" y="{BAR_TOP}" width="{step * 0.7:.1f}" '
                       f'height="{BAR_BOTTOM - BAR_TOP}"/>')
    segment: list[str] = []
    for i, p in enumerate([*points, Point(date.min, None, None)]):  # a day without a mean breaks the line
        if p.mean is not None:
            segment.append(f"{x(i):.1f},{y_mean(p.mean):.1f}")
            continue
        if len(segment) > 1:
            out.append(f'<polyline class="mean-line" points="{" ".join(segment)}"/>')
        elif segment:
            cx, cy = segment[0].split(",")
            out.append(f'<circle class="dot" cx="{cx}" cy="{cy}" r="3"/>')
        segment = []
    for i in range(0, len(points), 10 if len(points) > 20 else 1):  # a date every ten days
        out.append(f'<text class="axis" x="{x(i):.1f}" y="{H - 8}" text-anchor="middle">'
                   f'{escape(short_date(points[i].day, lang))}</text>')
    out.append("</svg>")
    return "".join(out)
