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


def _workbook(rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_a_workbook_is_read_only_as_wide_as_an_import_can_be() -> None:
    from bot.tables import read_table_bytes

    wide = ["ref", "customer", *([None] * 300), "far right"]
    table = read_table_bytes("o.xlsx", _workbook([wide, ["SO-1", "Acme"]]))
    assert table.header == ("ref", "customer") and table.rows == ((2, ("SO-1", "Acme")),)


def test_a_workbook_that_unpacks_beyond_the_limit_is_refused_before_it_is_read(monkeypatch: object) -> None:
    import pytest

    import bot.tables as tables
    from scheduler_core.reports.i18n import translator

    body = _workbook([["ref", "note"], *[[f"SO-{i}", "x" * 40] for i in range(20_000)]])  # 2 MB unpacked
    assert len(tables.read_table_bytes("o.xlsx", body).rows) == 20_000
    monkeypatch.setattr(tables, "_MAX_UNPACKED_BYTES", 1024 * 1024)  # type: ignore[attr-defined]
    with pytest.raises(tables.FileProblem) as exc:
        tables.read_table_bytes("o.xlsx", body)
    assert exc.value.text(translator("en")) == "o.xlsx is larger than 1 MB when unpacked."
    assert exc.value.text(translator("zh_Hans")) == "o.xlsx 解压后超过 1 MB。"
