"""Cells of every CSV or XLSX file the platform writes: never read as a formula by a spreadsheet.

OWASP's advice on CSV injection: a text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage
return (or their full-width forms, which some spreadsheets fold) is prefixed with a single quote, so
Excel and LibreOffice show it as the text it is. Numbers are left as they are. A file the platform
also reads back (notify's directory) undoes the quote with `restore_cell`, so export and load round-trip.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_cell(value):
    """The value as a cell: a text that would start a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def restore_cell(text: str) -> str:
    """A cell read back from a file this module wrote: the quote `safe_cell` added is dropped."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


YES_NO = {True: "ใช่", False: "ไม่ใช่"}


def written(value):
    """A value as written: yes/no in Thai (never True/False), text guarded against formulas (safe_cell)."""
    return YES_NO[value] if isinstance(value, bool) else safe_cell(value)


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """UTF-8 with a byte-order mark (Excel then shows Thai), CRLF lines, every cell `written`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else written(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(header: Sequence[str], rows: Iterable[Sequence], title: str) -> bytes:
    """One sheet; text cells typed as text, so none is ever read as a formula; the header row frozen and the
    columns as wide as their text (an analyst opens it and reads it)."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=False)
    sheet = book.active
    sheet.title = title
    sheet.append(list(header))
    for row in rows:
        sheet.append([written(v) for v in row])
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, even if it looks like a formula
    sheet.freeze_panes = "A2"
    for index, column in enumerate(sheet.iter_cols(values_only=True), start=1):
        width = max((len(str(v)) for v in column if v is not None), default=8)
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
