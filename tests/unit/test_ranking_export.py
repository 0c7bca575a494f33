"""Export files: cells that would start a spreadsheet formula are neutralised in CSV and XLSX."""

from __future__ import annotations

import io

from services.ranking import export


def table() -> list[list]:
    row = ["0001", "=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "\tx", "small"]
    return [row + [0] * (len(export.columns()) - len(row))]


def test_csv_neutralises_formula_cells_and_starts_with_a_bom():
    data = export.to_csv(table())
    assert data.startswith("\ufeff".encode())
    line = data.decode("utf-8-sig").splitlines()[1]
    assert line.startswith('0001,"\'=HYPERLINK(""http://x"")",\'+1,\'-2,\'@SUM(A1),\'\tx,small,0')


def test_xlsx_cells_are_text_never_formulas():
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(export.to_xlsx(table()))).active
    assert sheet.cell(2, 2).value == "'=HYPERLINK(\"http://x\")"
    assert sheet.cell(2, 2).data_type == "s"
    assert sheet.cell(2, 8).value == 0  # numbers stay numbers


def test_yes_no_cells_are_thai_not_true_false():
    row = ["0001", "a", "b", "37", "c", "d", "small", True, False, 0]
    rows = [row + [0] * (len(export.columns()) - len(row))]
    line = export.to_csv(rows).decode("utf-8-sig").splitlines()[1]
    assert line.startswith("0001,a,b,37,c,d,small,ใช่,ไม่ใช่,0,") and "True" not in line and "False" not in line
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(export.to_xlsx(rows))).active
    assert (sheet.cell(2, 8).value, sheet.cell(2, 9).value) == ("ใช่", "ไม่ใช่")


def test_headers_are_thai_first_with_the_key_after_it():
    heads = export.headers(ballots=True)
    assert heads[0] == "รหัสอำเภอ (district_code)"
    assert "คะแนนเฉลี่ย ทั้งโครงการ (campaign_mean)" in heads
    assert "บริการบัตรประจำตัวประชาชน: จำนวนโหวตที่นับ (service_id_card_votes)" in heads
    assert [export.key_of(h) for h in heads] == export.columns(ballots=True)
    assert all(any("\u0e00" <= ch <= "\u0e7f" for ch in h) for h in heads)  # every header has Thai in it


def test_the_xlsx_header_row_is_frozen_and_columns_fit_it():
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(export.to_xlsx(table()))).active
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width >= len(export.headers()[0])
