#!/usr/bin/env python3
"""Render a dashboard (the overview by default) from a live Prometheus as a PNG, without Grafana.

Usage: .venv/bin/python deploy/monitoring/render_overview.py [--prometheus http://127.0.0.1:9190]
           [--dashboard overview] [--minutes 30] [--out docs/img/overview.png]

Each panel's queries run as Grafana would run them (stat: an instant query; time series: a range query
over the last minutes), drawn as SVG in a page with the platform's font, then photographed by Debian's
Chromium through Playwright (the QR page tests' browser). For the README's picture and for a quick look
where no Grafana runs; the dashboards themselves are for Grafana (dashboards/*.json).
"""

from __future__ import annotations

import argparse
import html
import json
import math
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from shared.fonts import REGULAR  # the platform's font (the project is installed in .venv)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
COLOURS = ("#2f6fde", "#e0782f", "#2fa36b", "#c23b6f", "#7a5bd6", "#8c8c2f", "#2fa3b5", "#b5592f")
WIDTH, HEIGHT = 560, 190


def api(prometheus: str, path: str, **params: object) -> dict:
    url = f"{prometheus}{path}?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(url, timeout=30) as answer:
        body = json.load(answer)
    if body.get("status") != "success":
        raise RuntimeError(f"{path} {params}: {body}")
    return body["data"]


def legend(template: str, labels: dict[str, str]) -> str:
    text = template
    for name, value in labels.items():
        text = text.replace("{{" + name + "}}", value)
    return text or ", ".join(f"{k}={v}" for k, v in labels.items() if k != "__name__") or "value"


def fmt(value: float, unit: str) -> str:
    if math.isnan(value):
        return "–"
    if math.isinf(value):
        return "∞"
    if unit == "percentunit":
        return f"{value * 100:.2f} %"
    if unit == "s":
        return f"{value:.2f} s" if value < 120 else f"{value / 60:.1f} min"
    if unit == "bytes":
        return f"{value / 2**20:.0f} MiB"
    return f"{value:.3g}"


def stat(prometheus: str, panel: dict, unit: str) -> str:
    cells = []
    for target in panel["targets"]:
        for series in api(prometheus, "/api/v1/query", query=target["expr"])["result"]:
            value = float(series["value"][1])
            name = legend(target.get("legendFormat", ""), series["metric"]) if target.get("legendFormat") else ""
            cells.append(f'<div class="stat"><b>{html.escape(fmt(value, unit))}</b>'
                         f'<span>{html.escape(name)}</span></div>')
    return "".join(cells) or '<p class="none">no data</p>'


def timeseries(prometheus: str, panel: dict, unit: str, start: float, end: float) -> str:
    step = max(2, int((end - start) / 150))
    lines = []
    for target in panel["targets"]:
        result = api(prometheus, "/api/v1/query_range", query=target["expr"], start=start, end=end, step=step)
        for series in result["result"]:
            points = [(float(t), float(v)) for t, v in series["values"] if math.isfinite(float(v))]
            if points:
                lines.append((legend(target.get("legendFormat", ""), series["metric"]), points))
    if not lines:
        return '<p class="none">no data</p>'
    top = max(v for _, pts in lines for _, v in pts)
    bottom = min(0.0, min(v for _, pts in lines for _, v in pts))
    top = top if top > bottom else bottom + 1
    left, pad = 56, 8

    def x(t: float) -> float:
        return left + (t - start) / (end - start) * (WIDTH - left - pad)

    def y(v: float) -> float:
        return pad + (top - v) / (top - bottom) * (HEIGHT - 2 * pad - 16)

    svg = [f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}">']
    for frac in (0, 0.5, 1):
        value = bottom + (top - bottom) * frac
        svg.append(f'<line x1="{left}" x2="{WIDTH - pad}" y1="{y(value):.1f}" y2="{y(value):.1f}" class="grid"/>'
                   f'<text x="{left - 4}" y="{y(value) + 4:.1f}" class="axis" text-anchor="end">'
                   f'{html.escape(fmt(value, unit))}</text>')
    minutes = (end - start) / 60
    svg.append(f'<text x="{left}" y="{HEIGHT - 2}" class="axis">−{minutes:.0f} min</text>'
               f'<text x="{WIDTH - pad}" y="{HEIGHT - 2}" class="axis" text-anchor="end">now</text>')
    keys = []
    for n, (name, points) in enumerate(lines[:len(COLOURS)]):
        colour = COLOURS[n]
        path = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in points)
        svg.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        keys.append(f'<span style="color:{colour}">■</span> {html.escape(name)} '
                    f'<small>{html.escape(fmt(points[-1][1], unit))}</small>')
    svg.append("</svg>")
    return "".join(svg) + '<div class="keys">' + " · ".join(keys) + "</div>"


def alerts(prometheus: str) -> str:
    firing = [a for a in api(prometheus, "/api/v1/alerts")["alerts"] if a["state"] == "firing"]
    if not firing:
        return '<p class="ok">no alert firing</p>'
    return "<ul>" + "".join(f'<li><b>{html.escape(a["labels"]["alertname"])}</b> '
                            f'{html.escape(a["annotations"].get("summary", ""))}</li>' for a in firing) + "</ul>"


def page(prometheus: str, dashboard: dict, minutes: float) -> str:
    end = time.time()
    start = end - minutes * 60
    panels = []
    for panel in dashboard["panels"]:
        unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit", "none")
        if panel["type"] == "stat":
            body = stat(prometheus, panel, unit)
        elif panel["type"] == "alertlist":
            body = alerts(prometheus)
        else:
            body = timeseries(prometheus, panel, unit, start, end)
        wide = "" if panel["type"] == "stat" else " wide"
        panels.append(f'<section class="panel{wide}"><h2>{html.escape(panel["title"])}</h2>{body}</section>')
    taken = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(end))
    return f"""<!doctype html><html lang="en"><meta charset="utf-8"><style>
@font-face {{ font-family: "Noto Sans Thai Latin"; src: url("{REGULAR.as_uri()}"); }}
body {{ font-family: "Noto Sans Thai Latin", sans-serif; background: #f4f5f7; margin: 16px; color: #1d2330; }}
h1 {{ font-size: 20px; margin: 0 0 12px; }} h1 small {{ font-weight: normal; color: #667; font-size: 13px; }}
main {{ display: grid; grid-template-columns: repeat(4, 1fr); gap: 10px; width: 1180px; }}
.panel {{ background: white; border: 1px solid #dde; border-radius: 6px; padding: 8px 10px; }}
.panel.wide {{ grid-column: span 2; }}
h2 {{ font-size: 13px; margin: 0 0 6px; font-weight: 600; }}
.stat {{ display: inline-block; margin-right: 14px; }} .stat b {{ font-size: 26px; display: block; }}
.stat span {{ font-size: 11px; color: #667; }}
.grid {{ stroke: #e4e6ea; }} .axis {{ font-size: 10px; fill: #667; }}
.keys {{ font-size: 11px; }} .none {{ color: #a33; }} .ok {{ color: #2a7; }}
</style><h1>{html.escape(dashboard["title"])} <small>last {minutes:.0f} minutes, {taken}, from {prometheus}</small></h1>
<main>{"".join(panels)}</main></html>"""


def screenshot(page_html: str, out: Path, chromium: str = "/usr/bin/chromium") -> None:
    from playwright.sync_api import sync_playwright

    out.parent.mkdir(parents=True, exist_ok=True)
    html_file = Path(tempfile.mkdtemp(prefix="sangsuk-render-")) / "dashboard.html"
    html_file.write_text(page_html)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True,
                                    args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            tab = browser.new_page(viewport={"width": 1212, "height": 900})
            tab.goto(html_file.as_uri())
            tab.wait_for_load_state("load")
            tab.screenshot(path=str(out), full_page=True)
        finally:
            browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prometheus", default="http://127.0.0.1:9190")
    parser.add_argument("--dashboard", default="overview")
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "artifacts" / "overview.png")
    args = parser.parse_args()
    dashboard = json.loads((HERE / "dashboards" / f"{args.dashboard}.json").read_text())
    screenshot(page(args.prometheus.rstrip("/"), dashboard, args.minutes), args.out)
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
