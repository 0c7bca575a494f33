"""Every CSV or XLSX the platform writes goes through the one formula guard (shared/spreadsheet.py)."""

from __future__ import annotations

import re
from pathlib import Path

from shared.spreadsheet import restore_cell, safe_cell

ROOT = Path(__file__).resolve().parents[2]
WRITERS = re.compile(r"csv\.writer\(|csv\.DictWriter\(|openpyxl")


def test_formula_starts_get_a_quote_and_come_back():
    for text in ("=1+1", "+1", "-1", "@A1", "\tx", "\rx", "＝1"):
        assert safe_cell(text) == "'" + text and restore_cell(safe_cell(text)) == text
    assert safe_cell(-1) == -1 and safe_cell("สมชาย") == "สมชาย" and restore_cell("'quoted") == "'quoted"


def test_every_module_that_writes_a_spreadsheet_uses_the_guard():
    writers = [p for p in sorted((ROOT / "services").rglob("*.py")) + sorted((ROOT / "shared").rglob("*.py"))
               if WRITERS.search(p.read_text(encoding="utf-8")) and p.name != "spreadsheet.py"]
    # ranking's open data and CLI, notify's directory; ranking's export and notify's praise write through
    # shared/spreadsheet.py's csv_bytes and xlsx_bytes
    assert len(writers) >= 3
    unguarded = [str(p.relative_to(ROOT)) for p in writers if "safe_cell" not in p.read_text(encoding="utf-8")]
    assert not unguarded, unguarded
