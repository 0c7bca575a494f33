"""The platform's font, reached from here only: Noto Sans Thai with Latin, one file per weight (LICENSE.md).

The vote page, the public site, the badge, the chiefs' pages and the posters all use these files (served
at their `/…/fonts/` path, embedded in the PDF posters, copied beside the SVG ones, measured for the badge),
so a new weight or a re-subset is one change here.
"""

from __future__ import annotations

from pathlib import Path

FONT_DIR = Path(__file__).resolve().parent
REGULAR = FONT_DIR / "NotoSansThaiLatin-Regular.ttf"
BOLD = FONT_DIR / "NotoSansThaiLatin-Bold.ttf"
LICENSE = FONT_DIR / "LICENSE.md"
