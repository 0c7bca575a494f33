"""The server-drawn pieces: the daily trend (numbers and SVG) and the office's badge."""

from __future__ import annotations

import re
from datetime import date, timedelta
from xml.etree import ElementTree

from services.ranking.site.badge import BadgeText, badge_svg, text_width
from services.ranking.site.chart import daily_trend, trend_svg

TODAY = date(2026, 11, 22)


def day(back: int) -> str:
    return (TODAY - timedelta(days=back)).isoformat()


def test_daily_figures_are_differences_of_closing_totals():
    closes = {day(3): (10, 40), day(2): (13, 52), day(1): (13, 52)}  # day(3) is the first kept close
    close_days = {day(3), day(2), day(1)}
    points = daily_trend(closes, close_days, (15, 62), TODAY, days=4)
    assert [p.day for p in points] == [TODAY - timedelta(days=b) for b in (3, 2, 1, 0)]
    assert points[0].votes is None  # its day before was not kept: unknown, not zero
    assert (points[1].votes, points[1].mean) == (3, 4.0)
    assert (points[2].votes, points[2].mean) == (0, None)  # known: no vote that day
    assert (points[3].votes, points[3].mean) == (2, 5.0)  # today so far, against yesterday's close


def test_a_district_absent_from_a_kept_close_had_no_votes_yet():
    points = daily_trend({day(1): (2, 9)}, {day(2), day(1)}, (2, 9), TODAY, days=2)
    assert (points[0].votes, points[0].mean) == (2, 4.5)
    assert points[1].votes == 0


def test_a_missing_midnight_is_a_gap_in_the_drawing_and_the_table():
    closes = {day(2): (5, 20)}
    points = daily_trend(closes, {day(2)}, (9, 40), TODAY, days=3)  # day(1)'s close was not taken
    assert [p.known for p in points] == [False, False, False]
    svg = trend_svg(points, title="t", desc="d", lang="th")
    assert svg.count('class="gap"') == 3 and 'class="bar"' not in svg


def test_trend_svg_is_valid_accessible_and_draws_each_day():
    closes = {day(b): (100 - 2 * b, 400 - 8 * b) for b in range(1, 61)}
    points = daily_trend(closes, set(closes), (100, 400), TODAY)
    assert len(points) == 60 and all(p.votes == 2 and p.mean == 4.0 for p in points)
    svg = trend_svg(points, title="ค่าเฉลี่ย <รายวัน>", desc="เส้นและแท่ง", lang="th")
    root = ElementTree.fromstring(svg)  # well-formed, the title escaped
    ns = "{http://www.w3.org/2000/svg}"
    assert root.get("role") == "img" and root.get("aria-labelledby") == "trend-title trend-desc"
    assert root.find(f"{ns}title").text == "ค่าเฉลี่ย <รายวัน>"
    bars = [r for r in root.findall(f"{ns}rect") if r.get("class") == "bar"]
    assert len(bars) == 60  # one bar per day with votes
    [line] = root.findall(f"{ns}polyline")
    assert len(line.get("points").split()) == 60
    ys = {float(p.split(",")[1]) for p in line.get("points").split()}
    assert len(ys) == 1  # a steady 4.0 is a flat line
    assert "22 ต.ค." in svg or "24 ก.ย." in svg  # dates on the axis, in Thai


def badge_text(svg: bytes) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg.decode())


def test_badge_says_what_it_was_given_and_carries_its_font():
    text = BadgeText("อำเภอสร้างสุข", "อันดับ 3 จาก 533 อำเภอขนาดเล็ก", "อำเภอหัวตะพาน จ.อำนาจเจริญ · คะแนน 4.52",
                     "label")
    svg = badge_svg(text)
    assert badge_text(svg) == [text.programme, text.headline, text.detail]
    assert svg.count(b"data:font/woff;base64,") == 2 and b"http" not in svg.replace(b"http://www.w3.org", b"")
    width = int(re.search(rb'width="(\d+)"', svg).group(1))
    assert width >= text_width(text.headline, 15.0) + 20
    root = ElementTree.fromstring(svg)
    assert root.get("role") == "img"


def test_badge_font_subset_holds_the_glyphs_sara_am_is_drawn_with():
    import base64
    import io
    import re as regex

    from fontTools.ttLib import TTFont

    svg = badge_svg(BadgeText("x", "อำ", "อำ", "l")).decode()
    woff = base64.b64decode(regex.findall(r"base64,([^)]+)\)", svg)[0])
    cmap = TTFont(io.BytesIO(woff)).getBestCmap()
    assert {0x0E33, 0x0E4D, 0x0E32} <= set(cmap)
