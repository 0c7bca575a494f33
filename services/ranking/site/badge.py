"""The badge a district office puts on its own website or Facebook page: `/badge/<code>.svg`.

An SVG shown through an <img> may load nothing from outside itself, so the platform's Thai font
travels inside it: a subset of exactly the glyphs of the badge's text (a few KB, WOFF), and the
text is measured with the same font, so the badge is as wide as its words. Pure, and cached by
its text: a rank that did not move costs nothing to serve again.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

from fontTools import subset
from fontTools.ttLib import TTFont

from shared.fonts import BOLD, REGULAR

PAD = 10
SIZES = (12.0, 15.0, 12.0)  # programme, rank line, district and score line


@dataclass(frozen=True)
class BadgeText:
    programme: str  # อำเภอสร้างสุข
    headline: str  # อันดับ 3 จาก 533 อำเภอขนาดเล็ก
    detail: str  # อำเภอหัวตะพาน จ.อำนาจเจริญ · คะแนน 4.52
    label: str  # the whole sentence for screen readers (<title>)


@lru_cache(maxsize=2)
def _font(path: Path) -> TTFont:
    return TTFont(str(path))


def text_width(text: str, size: float, path: Path = REGULAR) -> float:
    """Advance widths from the font's own metrics (Thai marks advance zero, as shaping places them)."""
    font = _font(path)
    cmap, hmtx, upem = font.getBestCmap(), font["hmtx"], font["head"].unitsPerEm
    notdef = hmtx[".notdef"][0]
    return sum(hmtx[cmap[ord(ch)]][0] if ord(ch) in cmap else notdef for ch in text) * size / upem


def subset_woff(path: Path, text: str) -> bytes:
    """A WOFF of the glyphs `text` needs. SARA AM (ำ) is drawn by the shaper as NIKHAHIT + SARA AA, which
    no table of the font names for it: both are added by hand."""
    if "\u0e33" in text:
        text += "\u0e4d\u0e32"
    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = ["*"]  # Thai needs its mark positioning and ligatures
    options.name_IDs = ["*"]
    options.notdef_outline = True
    font = TTFont(str(path))
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    out = io.BytesIO()
    font.flavor = "woff"
    font.save(out)
    return out.getvalue()


@lru_cache(maxsize=4096)
def badge_svg(text: BadgeText) -> bytes:
    bold_text = text.programme + text.headline
    regular = base64.b64encode(subset_woff(REGULAR, text.detail + " ")).decode("ascii")
    bold = base64.b64encode(subset_woff(BOLD, bold_text + " ")).decode("ascii")
    widths = (text_width(text.programme, SIZES[0], BOLD), text_width(text.headline, SIZES[1], BOLD),
              text_width(text.detail, SIZES[2], REGULAR))
    width = int(max(widths) * 1.03 + 2 * PAD + 0.5)  # a little slack for the shaper's kerning
    height = 78
    style = ("@font-face{font-family:SangSukBadge;font-weight:400;src:url(data:font/woff;base64," + regular + ")}"
             "@font-face{font-family:SangSukBadge;font-weight:700;src:url(data:font/woff;base64," + bold + ")}"
             "text{font-family:SangSukBadge,sans-serif}")
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
           f'role="img" aria-label="{escape(text.label, {chr(34): "&quot;"})}">'
           f"<title>{escape(text.label)}</title><style>{style}</style>"
           f'<rect width="{width}" height="{height}" rx="8" fill="#5b2a86"/>'
           f'<rect x="2" y="24" width="{width - 4}" height="{height - 26}" rx="6" fill="#fff"/>'
           f'<text x="{PAD}" y="17" font-size="{SIZES[0]}" font-weight="700" fill="#fff">'
           f"{escape(text.programme)}</text>"
           f'<text x="{PAD}" y="46" font-size="{SIZES[1]}" font-weight="700" fill="#1a1a1a">'
           f"{escape(text.headline)}</text>"
           f'<text x="{PAD}" y="66" font-size="{SIZES[2]}" fill="#1a1a1a">{escape(text.detail)}</text></svg>')
    return svg.encode("utf-8")
