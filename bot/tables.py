"""Import files: a ``.csv`` (UTF-8 with or without BOM, or, failing that, GB18030, which Excel
in a Chinese locale writes; comma, semicolon or tab) or an ``.xlsx`` workbook (its first sheet,
or the one named) read into a :class:`~scheduler_core.services.importing.Table`. The one reader
of ``paichan import`` and of the web's import page; the rows are checked by
:mod:`scheduler_core.services.importing`."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from scheduler_core.reports.i18n import N_, Tr
from scheduler_core.services.importing import Cell, Table, read_csv

__all__ = ["KINDS", "MAX_FILE_BYTES", "SUFFIXES", "FileProblem", "read_table", "read_table_bytes", "safe_text",
           "what_was_imported", "xlsx_bytes"]

KINDS = ("orders", "routings", "machines", "calendars")
MAX_FILE_BYTES = 20 * 1024 * 1024
SUFFIXES = (".csv", ".xlsx", ".txt", ".tsv")
_MAX_ROWS = 100_001
_MAX_COLUMNS = 200  # the widest import has a dozen; cells further right are not read
_MAX_UNPACKED_BYTES = 256 * 1024 * 1024  # a workbook is a zip: what it holds, unpacked


class FileProblem(Exception):
    """The file cannot be read at all; ``message`` is a msgid with ``params``."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.params = params

    def text(self, tr: Tr) -> str:
        return tr.gettext(self.message, **{k: str(v) for k, v in self.params.items()})


def read_table(path: Path, *, sheet: str | None = None) -> Table:
    """The table in a ``.csv`` or ``.xlsx`` file.

    Raises:
        FileProblem: missing, too big, not text / not a workbook, unknown extension.
    """
    _check_suffix(path.name)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise FileProblem(N_("Cannot read {path}: {reason}"), path=path, reason=exc.strerror or exc) from exc
    if size > MAX_FILE_BYTES:
        raise FileProblem(N_("{path} is larger than {mb} MB."), path=path, mb=MAX_FILE_BYTES // (1024 * 1024))
    return read_table_bytes(str(path), path.read_bytes(), sheet=sheet)


def read_table_bytes(name: str, raw: bytes, *, sheet: str | None = None) -> Table:
    """The table in the bytes of a file called ``name`` (its suffix says CSV or XLSX).

    Raises:
        FileProblem: too big, not text / not a workbook, unknown extension.
    """
    suffix = _check_suffix(name)
    if len(raw) > MAX_FILE_BYTES:
        raise FileProblem(N_("{path} is larger than {mb} MB."), path=name, mb=MAX_FILE_BYTES // (1024 * 1024))
    if suffix == ".xlsx":
        return _read_xlsx(name, raw, sheet)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return read_csv(text)
    raise FileProblem(N_("{path} is not a text (CSV) file."), path=name)


def what_was_imported(tr: Tr, kind: str, n: int) -> str:
    """What an import wrote, counted (a calendar or a product's routing spans several rows)."""
    if kind == "orders":
        return tr.ngettext("{n} order", "{n} orders", n)
    if kind == "routings":
        return tr.ngettext("the routing of {n} product", "the routings of {n} products", n)
    if kind == "machines":
        return tr.ngettext("{n} machine", "{n} machines", n)
    return tr.ngettext("{n} calendar", "{n} calendars", n)


def _check_suffix(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise FileProblem(N_("{path}: use a .csv or .xlsx file."), path=name)
    return suffix


def _read_xlsx(name: str, raw: bytes, sheet: str | None) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            unpacked = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise FileProblem(N_("Cannot read {path} as an Excel workbook."), path=name) from exc
    if unpacked > _MAX_UNPACKED_BYTES:  # a few MB that unpack to gigabytes
        raise FileProblem(N_("{path} is larger than {mb} MB when unpacked."), path=name,
                          mb=_MAX_UNPACKED_BYTES // (1024 * 1024))
    try:
        wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise FileProblem(N_("Cannot read {path} as an Excel workbook."), path=name) from exc
    try:
        if sheet is not None:
            if sheet not in wb.sheetnames:
                raise FileProblem(N_("{path} has no sheet {sheet}."), path=name, sheet=sheet)
            ws = wb[sheet]
        else:
            ws = wb.worksheets[0]
        rows: list[tuple[int, Sequence[Cell]]] = []
        for i, row in enumerate(ws.iter_rows(values_only=True, max_col=_MAX_COLUMNS), start=1):
            cells = [_cell(v) for v in row]
            while cells and cells[-1] is None:  # a row is padded to the columns asked for
                cells.pop()
            rows.append((i, tuple(cells)))
            if len(rows) > _MAX_ROWS:
                break
        return Table.from_numbered(rows)
    finally:
        wb.close()


def _cell(value: Any) -> Cell:
    if value is None or isinstance(value, str | int | float | bool | datetime | date | time):
        return value
    return str(value)


def safe_text(value: Cell) -> Cell:
    """For CSV, which has no cell types: a text cell that a spreadsheet would take for a formula
    (``=``, ``+``, ``-``, ``@``, a tab or a carriage return first) with a leading apostrophe, so
    that it stays text; other cells as they are."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def xlsx_bytes(rows: Sequence[Sequence[Cell]], title: str, widths: Sequence[int] = ()) -> bytes:
    """A one-sheet workbook of ``rows`` (the first is the header, in bold); datetimes must be
    naive, in the reader's time. Text is stored as text exactly as given (``=SUM(A1)`` or
    ``-5 mm`` stay text, never a formula, and get no apostrophe in front)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title[:31]
    for row in rows:
        ws.append(list(row))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for cells in ws.iter_rows():
        for c in cells:
            if isinstance(c.value, datetime):
                c.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(c.value, str):
                c.data_type = "s"  # openpyxl takes a leading "=" for a formula
    for i, width in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
