"""Spreadsheets written for people: text stays text, exactly as it was."""

from __future__ import annotations

import io
from datetime import datetime

from openpyxl import load_workbook

from bot.tables import safe_text, xlsx_bytes


def test_a_workbook_keeps_text_that_looks_like_a_formula_as_that_text() -> None:
    tricky = ["=HYPERLINK(\"http://x\")", "-5 mm", "+86 138", "@home", "plain"]
    body = xlsx_bytes([["name", "when", "n"], *[[t, datetime(2026, 11, 27, 8), 3] for t in tricky]], "sheet")
    ws = load_workbook(io.BytesIO(body)).worksheets[0]
    assert [c.value for c in ws["A"][1:]] == tricky  # no apostrophe added, nothing evaluated
    assert {c.data_type for c in ws["A"]} == {"s"}  # stored as text, not as formulas
    assert ws["B2"].value == datetime(2026, 11, 27, 8) and ws["C2"].value == 3
    assert ws["A1"].font.b and ws.freeze_panes == "A2"


def test_csv_cells_that_a_spreadsheet_would_evaluate_get_an_apostrophe() -> None:
    assert safe_text("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")" and safe_text("-5") == "'-5"
    assert safe_text("\tx") == "'\tx" and safe_text("SO-1") == "SO-1" and safe_text(5) == 5
