"""Cells of every CSV or XLSX file the platform writes: never read as a formula by a spreadsheet.

OWASP's advice on CSV injection: a text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage
return (or their full-width forms, which some spreadsheets fold) is prefixed with a single quote, so
Excel and LibreOffice show it as the text it is. Numbers are left as they are. A file the platform
also reads back (notify's directory) undoes the quote with `restore_cell`, so export and load round-trip.
"""

from __future__ import annotations

import csv
import io

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


def csv_bytes(header: list[str], rows: list[list]) -> bytes:
    """UTF-8 with a BOM (so Excel reads Thai), CRLF, every cell through `safe_cell`; None is empty."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else safe_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(title: str, header: list[str], rows: list[list]) -> bytes:
    """One sheet; text cells typed as text (never a formula), every cell through `safe_cell`."""
    from openpyxl import Workbook

    book = Workbook(write_only=False)
    sheet = book.active
    sheet.title = title
    sheet.append(header)
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, even if it looks like a formula
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
