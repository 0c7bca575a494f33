"""Printable A4 posters, one per district, in SVG and PDF: programme, district, QR code, LINE route.

The layout is computed once (text measured with the platform's own fonts) and drawn twice, so the
SVG and the PDF match. The PDF shapes Thai with HarfBuzz (fpdf2 + uharfbuzz), so vowels and tone
marks sit where they belong; the SVG leaves shaping to the viewer and loads the fonts it ships.
"""

from __future__ import annotations

import logging
import shutil
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from html import escape
from pathlib import Path

from fpdf import FPDF
from tqdm import tqdm

from services.channels import links
from services.channels.wording import DEPARTMENT, PROGRAMME, SLOGAN
from shared.districts import District
from shared.fonts import BOLD, LICENSE, REGULAR

FONTS = {"": REGULAR, "B": BOLD}  # the platform's font: Thai + Latin in one file per weight
PAGE_W, PAGE_H = 210.0, 297.0  # A4 in mm
MARGIN = 15.0
BRAND = (91, 42, 134)
QR_SIZE = 118.0
PT = 25.4 / 72  # one point in mm


@dataclass(frozen=True)
class Line:
    text: str
    y: float  # baseline, mm from the top
    size: float  # points
    bold: bool = False
    color: tuple[int, int, int] = (26, 26, 26)


@dataclass(frozen=True)
class Layout:
    code: str
    url: str
    lines: tuple[Line, ...]
    qr: list[tuple[int, int, int]]  # dark runs per row: (row, first column, length), in modules
    qr_modules: int
    qr_x: float
    qr_y: float


class Measure:
    """Text widths in the fonts the posters use; the fitting rule shrinks a line to the page width."""

    def __init__(self):
        self.pdf = _new_pdf()

    def fit(self, text: str, size: float, bold: bool, width: float = PAGE_W - 2 * MARGIN) -> float:
        self.pdf.set_font("thai", "B" if bold else "", size)
        measured = self.pdf.get_string_width(text)
        return size if measured <= width else max(10.0, size * width / measured)


def _new_pdf() -> FPDF:
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    for style, path in FONTS.items():
        pdf.add_font("thai", style, str(path))
    pdf.set_text_shaping(True)
    pdf.set_auto_page_break(False)
    pdf.set_author(DEPARTMENT["th"])
    pdf.set_creator("sangsuk posters")
    return pdf


def layout(district: District, base_url: str, line_account: str, measure: Measure) -> Layout:
    url = links.page_url(base_url, district.code)
    qr = links.qr_code(url)
    matrix = [list(row) for row in qr.matrix]
    border = 4
    n = len(matrix) + 2 * border
    runs: list[tuple[int, int, int]] = []
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                runs.append((r + border, start + border, c - start))
            else:
                c += 1
    white = (255, 255, 255)
    name = f"อำเภอ{district.name_th}"
    province = f"จังหวัด{district.province_th}"
    instruction = "สแกน QR Code ให้คะแนนความสุข 1–5 กับบริการที่ได้รับวันนี้"
    line_route = f"หรือแอดไลน์ {line_account} แล้วพิมพ์ “{links.line_message(district.code)}”"
    lines = (
        Line(PROGRAMME["th"], 24, 40, True, white),
        Line(f"{SLOGAN['th']} · {PROGRAMME['en']}", 36, 14, False, white),
        Line(name, 64, measure.fit(name, 34, True), True),
        Line(province, 78, measure.fit(province, 22, False), False, (74, 74, 74)),
        Line(instruction, 218, measure.fit(instruction, 17, True), True),
        Line(url, 228, measure.fit(url, 11, False), False, (74, 74, 74)),
        Line(line_route, 246, measure.fit(line_route, 16, False), False),
        Line(f"รหัสอำเภอ {district.code}", 256, 12, False, (74, 74, 74)),
        Line(DEPARTMENT["th"], 284, 12, False, (74, 74, 74)),
    )
    return Layout(district.code, url, lines, runs, n, (PAGE_W - QR_SIZE) / 2, 88.0)


def render_svg(lay: Layout, font_href: str = "fonts") -> str:
    """A4 in millimetres; fonts are loaded from `font_href` beside the poster (written by write_posters)."""
    faces = "".join(
        f'@font-face{{font-family:"SangSuk";font-weight:{700 if style else 400};'
        f'src:url("{font_href}/{path.name}") format("truetype")}}'
        for style, path in FONTS.items())
    module = QR_SIZE / lay.qr_modules
    path = "".join(f"M{lay.qr_x + c * module:.3f},{lay.qr_y + r * module:.3f}h{n * module:.3f}v{module:.3f}"
                   f"h{-n * module:.3f}z" for r, c, n in lay.qr)
    texts = "".join(
        f'<text x="{PAGE_W / 2}" y="{line.y}" font-size="{line.size * PT:.2f}" '
        f'font-weight="{700 if line.bold else 400}" fill="rgb{line.color}">{escape(line.text)}</text>'
        for line in lay.lines)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{PAGE_W}mm" height="{PAGE_H}mm" '
        f'viewBox="0 0 {PAGE_W} {PAGE_H}" lang="th">'
        f"<title>{escape(PROGRAMME['th'])} {escape(lay.lines[2].text)}</title>"
        f"<style>{faces}text{{font-family:SangSuk,sans-serif;text-anchor:middle}}</style>"
        f'<rect width="{PAGE_W}" height="{PAGE_H}" fill="#fff"/>'
        f'<rect width="{PAGE_W}" height="44" fill="rgb{BRAND}"/>'
        f'<rect x="{lay.qr_x - 4}" y="{lay.qr_y - 4}" width="{QR_SIZE + 8}" height="{QR_SIZE + 8}" rx="6" '
        f'fill="none" stroke="rgb{BRAND}" stroke-width="1.2"/>'
        f'<path d="{path}" fill="#000" shape-rendering="crispEdges"/>{texts}</svg>\n'
    )


def render_pdf_page(pdf: FPDF, lay: Layout) -> None:
    pdf.add_page()
    pdf.set_fill_color(*BRAND)
    pdf.rect(0, 0, PAGE_W, 44, style="F")
    pdf.set_draw_color(*BRAND)
    pdf.set_line_width(1.2)
    pdf.rect(lay.qr_x - 4, lay.qr_y - 4, QR_SIZE + 8, QR_SIZE + 8, style="D", round_corners=True, corner_radius=6)
    module = QR_SIZE / lay.qr_modules
    pdf.set_fill_color(0, 0, 0)
    for r, c, n in lay.qr:
        pdf.rect(lay.qr_x + c * module, lay.qr_y + r * module, n * module, module, style="F")
    for line in lay.lines:
        pdf.set_font("thai", "B" if line.bold else "", line.size)
        pdf.set_text_color(*line.color)
        width = pdf.get_string_width(line.text)
        pdf.text((PAGE_W - width) / 2, line.y, line.text)


def write_posters(districts: Iterable[District], out: Path, *, base_url: str, line_account: str,
                  progress: bool = True) -> dict:
    """Writes OUT/svg/<code>.svg (+ OUT/svg/fonts) and OUT/pdf/<code>.pdf; returns counts and seconds."""
    started = time.perf_counter()
    for noisy in ("fontTools", "fpdf"):  # font subsetting logs every glyph at INFO
        logging.getLogger(noisy).setLevel(logging.WARNING)
    districts = list(districts)
    (out / "pdf").mkdir(parents=True, exist_ok=True)
    fonts = out / "svg" / "fonts"
    fonts.mkdir(parents=True, exist_ok=True)
    for path in [*FONTS.values(), LICENSE]:
        shutil.copyfile(path, fonts / path.name)
    measure = Measure()
    for district in tqdm(districts, desc="posters", unit="district", disable=not progress, file=sys.stderr):
        lay = layout(district, base_url, line_account, measure)
        (out / "svg" / f"{district.code}.svg").write_text(render_svg(lay), encoding="utf-8")
        pdf = _new_pdf()
        pdf.set_title(f"{PROGRAMME['th']} {lay.lines[2].text} {lay.lines[3].text}")
        render_pdf_page(pdf, lay)
        pdf.output(str(out / "pdf" / f"{district.code}.pdf"))
    return {"posters": len(districts), "out": str(out), "seconds": round(time.perf_counter() - started, 1)}
