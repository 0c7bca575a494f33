"""Cells of every CSV or XLSX file the platform writes: never read as a formula by a spreadsheet.

OWASP's advice on CSV injection: a text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage
return (or their full-width forms, which some spreadsheets fold) is prefixed with a single quote, so
Excel and LibreOffice show it as the text it is. Numbers are left as they are. A file the platform
also reads back (notify's directory) undoes the quote with `restore_cell`, so export and load round-trip.
"""

from __future__ import annotations

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
