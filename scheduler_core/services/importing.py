"""Bulk import and export of master data and orders: parsing, validation and the use cases.

Every import is all-or-nothing. The whole file is validated first and EVERY problem is
collected as a :class:`RowError` ``(line, column, code, params)``; if there is any, nothing is
written and :class:`ImportRejected` carries them all. Otherwise all rows are written in ONE
unit of work, and the factory is re-planned once (:func:`replan_now`).

The tables (CSV or a spreadsheet's first sheet; header names are case-insensitive and may be
Chinese):

=============  ================================================================================
orders         ``ref,customer,product,quantity,promised_date[,vip][,sales][,material_ready]``
               (订单号,客户,产品,数量,交期[,VIP][,销售][,物料到齐]); ``material_ready``: when the
               material is there and work may start (empty: now)
routings       ``product,step,step_name,machine,setup_min,per_unit_min[,product_name]``, one row
               per machine that can do the step (产品,工序号,工序名称,设备,准备分钟,单件分钟[,产品名称]);
               ``product_name``: what people call the product ("Bracket", "支架"), on any of its
               rows, the same on each; several products may share one
machines       ``machine,group,calendar[,name]`` (设备,设备组,日历[,名称])
calendars      ``calendar,weekday,start,end`` one row per shift (日历,星期,开始,结束); a holiday is
               a row ``calendar,holiday,2026-10-01`` (``holiday`` / ``假日`` in the weekday column,
               the date in the start column)
=============  ================================================================================

Values:

* **Dates** (promised dates, holidays) in unambiguous forms only: ``2026-12-05``,
  ``2026/12/5``, ``2026.12.5``, ``20261205``, ``2026年12月5日``, optionally followed by a
  time ``14:30`` (``2026-12-05 14:30``, ``2026-12-05T14:30+08:00``; an offset is honoured,
  otherwise the time is factory time). ``12/5/2026`` and ``5/12/2026`` are rejected as
  ambiguous (month/day or day/month?). A promised date without a time means the end of that
  business day, :data:`DUE_HOUR` (18:00) in the factory's timezone — when the day's goods leave
  the factory; the generated demo factory uses the same convention. A material date without a
  time means the start of that day (00:00): work may start in its first shift. Spreadsheet date cells are
  read as dates (a cell at midnight counts as date-only, and so does ``2026-12-05 00:00:00`` as
  spreadsheets write such a cell out). A month by its English name is unambiguous too: ``Dec 5,
  2026``, ``5-Dec-2026``, ``5 December 2026``, ``2026-Dec-05``.
* **Quantities** are whole numbers 1 .. :data:`MAX_QUANTITY`; ``1,200``, ``100.0`` and a unit
  after the number (``1200 pcs``, ``1200件``) are accepted, ``1.5`` is not.
* **Names** (customers, products, step names) are stripped, at most 200 characters (products
  100), must not contain control characters; markup characters ``<`` and ``>`` are escaped to
  their full-width forms ``＜`` ``＞``: harmless in every channel (Telegram HTML, web page,
  e-mail), readable, and idempotent, so an export imports back unchanged.
* **Flags** (``vip``): ``1/0``, ``yes/no``, ``y/n``, ``true/false``, ``是/否``, ``x`` or empty.
* **Minutes**: non-negative numbers, at most a week (10080).
* **Weekdays**: ``1``..``7`` (ISO, Monday = 1), ``mon``/``monday``, ``周一``/``星期一``, and
  ranges ``1-5``, ``mon-fri``, ``周一-周五`` / ``周一至周五``. **Times**: ``HH:MM``; ``24:00`` is
  midnight; an end at or before the start crosses midnight.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from scheduler_core.domain.calendar import Shift, WorkCalendar
from scheduler_core.domain.model import DUE_HOUR, Alternative, Machine, Order, OrderStatus, Routing, Step

from .changes import MAX_QUANTITY
from .context import Services
from .errors import InvalidInput
from .policy import require
from .ports import SYSTEM, Actor, AuditEntry, OrderRecord, Role, UnitOfWork, User
from .refs import normalise_ref
from .shopfloor import replan_now

__all__ = [
    "CALENDAR_COLUMNS",
    "DUE_HOUR",
    "MACHINE_COLUMNS",
    "MAX_DUE_YEARS",
    "MAX_MINUTES",
    "MAX_QUANTITY",
    "MAX_ROWS",
    "ORDER_COLUMNS",
    "ORDER_HEADER",
    "ROUTING_COLUMNS",
    "Cell",
    "FieldError",
    "ImportKind",
    "ImportRejected",
    "ImportResult",
    "OrderContext",
    "RowError",
    "Table",
    "candidate_refs",
    "export_orders",
    "export_routings",
    "format_cell",
    "ignored_columns",
    "import_calendars",
    "import_machines",
    "import_orders",
    "import_routings",
    "import_table",
    "parse_clock",
    "parse_day",
    "parse_due",
    "parse_flag",
    "parse_minutes",
    "parse_name",
    "parse_quantity",
    "parse_weekdays",
    "read_csv",
    "validate_calendars",
    "validate_machines",
    "validate_orders",
    "validate_routings",
    "write_csv",
]

Cell = str | int | float | bool | datetime | date | time | None
"""A cell as a reader gives it: CSV gives text; a spreadsheet also numbers, dates and times."""


MAX_ROWS = 10_000
"""More rows than this in one file is a mistake (a wrong sheet), not an import."""

MAX_DUE_YEARS = 3
"""A promised date further ahead than this is a typo (2062 for 2026)."""

MAX_MINUTES = 10_080.0
"""Setup or per-unit minutes beyond a week are a typo."""

MAX_NAME = 200
MAX_PRODUCT = 100
MAX_MACHINE = 50
ImportKind = str  # "orders" | "routings" | "machines" | "calendars"


# --- tables ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Table:
    """A header and data rows, each with the line (CSV) or row number (sheet) it came from.
    Blank rows are dropped when a table is built."""

    header: tuple[Cell, ...]
    rows: tuple[tuple[int, tuple[Cell, ...]], ...]
    header_line: int = 1

    @classmethod
    def from_rows(cls, rows: Iterable[Sequence[Cell]], *, first_line: int = 1) -> Table:
        """A table from rows in file order (the first non-blank row is the header)."""
        numbered = [(first_line + i, tuple(r)) for i, r in enumerate(rows)]
        return cls.from_numbered(numbered)

    @classmethod
    def from_numbered(cls, rows: Iterable[tuple[int, Sequence[Cell]]]) -> Table:
        kept = [(line, tuple(cells)) for line, cells in rows if not _blank_row(cells)]
        if not kept:
            return cls((), ())
        (header_line, header), *data = kept
        return cls(header, tuple(data), header_line)


def _blank(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _blank_row(cells: Sequence[Cell]) -> bool:
    return all(_blank(c) for c in cells)


def read_csv(text: str) -> Table:
    """Parse CSV text (comma, or the semicolon / tab some spreadsheet locales write).

    Lines are counted as in the file (a quoted value spanning lines counts from its first).
    """
    text = text.removeprefix("\ufeff")
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    delimiter = ","
    if "," not in first:
        if "\t" in first:
            delimiter = "\t"
        elif ";" in first:
            delimiter = ";"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, Sequence[Cell]]] = []
    start = 1
    try:
        for record in reader:
            rows.append((start, record))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ImportRejected("file", [RowError(start, "", "bad_csv", {"reason": str(exc)[:100]})]) from exc
    return Table.from_numbered(rows)


def format_cell(value: Cell) -> str:
    """A cell as CSV text: dates as ``YYYY-MM-DD HH:MM`` (own timezone), flags as yes/no."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return str(value)


def write_csv(rows: Iterable[Sequence[Cell]]) -> str:
    """CSV text of ``rows`` (``\\n`` line ends; the caller adds a BOM for Excel if wanted)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for row in rows:
        writer.writerow([format_cell(c) for c in row])
    return buf.getvalue()


# --- errors ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem: ``line`` of the file, ``column`` as its header names it, the message
    ``code`` and its ``params`` (localized by ``scheduler_core.reports.errors``)."""

    line: int
    column: str
    code: str
    params: Mapping[str, object] = field(default_factory=dict)


class ImportRejected(InvalidInput):
    """The file has problems; ``errors`` lists every one. Nothing was written."""

    def __init__(self, kind: ImportKind, errors: Sequence[RowError]) -> None:
        super().__init__("import_rejected", kind=kind, count=len(errors))
        self.kind = kind
        self.errors: tuple[RowError, ...] = tuple(sorted(errors, key=lambda e: e.line))


class FieldError(ValueError):
    """A value that cannot be used; ``code`` and ``params`` as in :class:`RowError`."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(f"{code} {params}" if params else code)
        self.code = code
        self.params = params


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import wrote: ``count`` rows of ``kind`` (``names`` the keys), and the plan
    version published afterwards (None if nothing needed re-planning)."""

    kind: ImportKind
    count: int
    names: tuple[str, ...]
    plan_version: int | None = None
    late_orders: int | None = None
    ignored: tuple[str, ...] = ()  # the file's columns that are none of ours, left out (:func:`ignored_columns`)


# --- value parsers (pure; each returns a value or raises FieldError) --------------------------


def _text(cell: Cell) -> str:
    """A cell as stripped, NFKC-normalised text (full-width digits and colons become ASCII)."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return unicodedata.normalize("NFKC", str(cell)).strip()


def _preview(cell: Cell) -> str:
    s = str(cell) if cell is not None else ""
    s = "".join(ch if ch.isprintable() else "?" for ch in s)
    return s if len(s) <= 40 else s[:39] + "…"


_INT = re.compile(r"^[+-]?\d{1,15}(?:\.0*)?$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+$")


_QTY_UNIT = re.compile(r"(?<=\d)(?:pcs|pc|pieces|piece|units|unit|ea|sets|set|nos|件|个|套|台|只|支|片|条|pcs\.)$",
                       re.IGNORECASE)


def parse_quantity(cell: Cell) -> int:
    """A whole quantity 1 .. :data:`MAX_QUANTITY`.

    Raises:
        FieldError: ``missing_value``, ``quantity_not_integer``, ``quantity_not_positive``
            or ``quantity_too_large``.
    """
    if _blank(cell):
        raise FieldError("missing_value")
    if isinstance(cell, bool | datetime | date | time):
        raise FieldError("quantity_not_integer", value=_preview(cell))
    if isinstance(cell, float):
        if not math.isfinite(cell) or not cell.is_integer():
            raise FieldError("quantity_not_integer", value=_preview(cell))
        n = int(cell)
    elif isinstance(cell, int):
        n = cell
    else:
        s = _QTY_UNIT.sub("", _text(cell).replace(" ", ""))  # "1200 pcs", "1200件": the unit is no part of it
        if _GROUPED.match(s):
            s = s.replace(",", "")
        if not _INT.match(s):
            raise FieldError("quantity_not_integer", value=_preview(cell))
        n = int(s.split(".", 1)[0])
    if n <= 0:
        raise FieldError("quantity_not_positive", quantity=n)
    if n > MAX_QUANTITY:
        raise FieldError("quantity_too_large", quantity=n, limit=MAX_QUANTITY)
    return n


_TIME_PART = r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?"
_YMD = re.compile(r"^(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})" + _TIME_PART + "$", re.IGNORECASE)
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_ZH = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?\s*(?:(\d{1,2})\s*[:点时]\s*(\d{2})?\s*分?)?$")
_AMBIGUOUS = re.compile(r"^\d{1,2}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{2,4}(?:\s.*)?$")
# a month by its English name is unambiguous: "Dec 20, 2026", "20-Dec-2026", "20 December 2026", "2026-Dec-20"
_MONTHS = {name: i + 1 for i, names in enumerate((
    ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
    ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
    ("dec", "december"))) for name in names}
_CLOCK_PART = r"(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$"
_NAMED = (
    (re.compile(r"^([a-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})" + _CLOCK_PART, re.IGNORECASE), (3, 1, 2)),
    (re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?[\s\-/]+([a-z]{3,9})\.?[\s\-/,]+(\d{4})" + _CLOCK_PART, re.IGNORECASE),
     (3, 2, 1)),
    (re.compile(r"^(\d{4})[\s\-/]+([a-z]{3,9})\.?[\s\-/]+(\d{1,2})" + _CLOCK_PART, re.IGNORECASE), (1, 2, 3)),
)
_MIN_YEAR, _MAX_YEAR = 1970, 2200


def _ymd(y: str, m: str, d: str, raw: Cell) -> date:
    try:
        day = date(int(y), int(m), int(d))
    except ValueError as exc:
        raise FieldError("bad_date", value=_preview(raw)) from exc
    if not _MIN_YEAR <= day.year <= _MAX_YEAR:
        raise FieldError("bad_date", value=_preview(raw))
    return day


def _parse_when(cell: Cell) -> tuple[date, time | None, tzinfo | None]:
    """(day, time of day or None for date-only, explicit offset or None)."""
    if _blank(cell):
        raise FieldError("missing_value")
    if isinstance(cell, datetime):
        if not _MIN_YEAR <= cell.year <= _MAX_YEAR:
            raise FieldError("bad_date", value=_preview(cell))
        t = cell.timetz()
        at: time | None = None if (t.hour, t.minute, t.second) == (0, 0, 0) else t.replace(tzinfo=None)
        return cell.date(), at, cell.tzinfo
    if isinstance(cell, date):
        if not _MIN_YEAR <= cell.year <= _MAX_YEAR:
            raise FieldError("bad_date", value=_preview(cell))
        return cell, None, None
    if not isinstance(cell, str):
        raise FieldError("bad_date", value=_preview(cell))
    s = _text(cell)
    if len(s) > 40:
        raise FieldError("bad_date", value=_preview(cell))
    if m := _COMPACT.match(s):
        return _ymd(m.group(1), m.group(2), m.group(3), cell), None, None
    if m := _ZH.match(s):
        day = _ymd(m.group(1), m.group(2), m.group(3), cell)
        if m.group(4) is None:
            return day, None, None
        return day, _clock(int(m.group(4)), int(m.group(5) or 0), 0, cell), None
    if m := _YMD.match(s):
        day = _ymd(m.group(1), m.group(2), m.group(3), cell)
        offset = _offset(m.group(7), cell)
        if m.group(4) is None:
            if offset is not None:
                raise FieldError("bad_date", value=_preview(cell))
            return day, None, None
        if offset is None and int(m.group(4)) == int(m.group(5)) == int(m.group(6) or 0) == 0:
            return day, None, None  # "2026-12-20 00:00:00": a date a spreadsheet wrote out, as a date cell at midnight
        return day, _clock(int(m.group(4)), int(m.group(5)), int(m.group(6) or 0), cell), offset
    for pattern, (y, mo, d) in _NAMED:
        if (m := pattern.match(s)) and (month := _MONTHS.get(m.group(mo).lower())) is not None:
            day = _ymd(m.group(y), str(month), m.group(d), cell)
            return day, _clock(int(m.group(4)), int(m.group(5)), int(m.group(6) or 0), cell) if m.group(4) else None, None
    if _AMBIGUOUS.match(s):
        raise FieldError("date_ambiguous", value=_preview(cell))
    raise FieldError("bad_date", value=_preview(cell))


def _clock(h: int, m: int, s: int, raw: Cell) -> time:
    if not (0 <= h <= 23 and 0 <= m <= 59 and 0 <= s <= 59):
        raise FieldError("bad_date", value=_preview(raw))
    return time(h, m, s)


def _offset(text: str | None, raw: Cell) -> tzinfo | None:
    if text is None:
        return None
    if text.upper() == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    h, m = int(digits[:2]), int(digits[2:])
    if h > 14 or m > 59:
        raise FieldError("bad_date", value=_preview(raw))
    from datetime import timezone

    return timezone(sign * timedelta(hours=h, minutes=m))


def parse_due(cell: Cell, tz: tzinfo) -> datetime:
    """A promised date as an aware datetime in ``tz`` (see the module doc for the forms;
    date-only means :data:`DUE_HOUR`:00 that day in ``tz``).

    Raises:
        FieldError: ``missing_value``, ``bad_date`` or ``date_ambiguous``.
    """
    return _moment(cell, tz, time(DUE_HOUR, 0))


def parse_release(cell: Cell, tz: tzinfo) -> datetime:
    """When an order's material is there, as :func:`parse_due` reads a date, but date-only means
    the start of that day (00:00 in ``tz``).

    Raises:
        FieldError: ``missing_value``, ``bad_date`` or ``date_ambiguous``.
    """
    return _moment(cell, tz, time(0, 0))


def _moment(cell: Cell, tz: tzinfo, date_only: time) -> datetime:
    """A date (at ``date_only`` when it has no time) or a date and time, aware in ``tz``."""
    day, at, offset = _parse_when(cell)
    if at is not None and offset is not None:
        return datetime.combine(day, at, tzinfo=offset).astimezone(tz)
    return datetime.combine(day, at or date_only, tzinfo=tz)


def parse_day(cell: Cell) -> date:
    """A calendar day (a holiday), in the date forms of :func:`parse_due`, without a time."""
    day, at, _ = _parse_when(cell)
    if at is not None:
        raise FieldError("bad_date", value=_preview(cell))
    return day


_TRUE = frozenset({"1", "y", "yes", "true", "t", "x", "是", "vip", "✓", "√", "on", "★", "重点"})
_FALSE = frozenset({"", "0", "n", "no", "false", "f", "否", "off", "-"})


def parse_flag(cell: Cell) -> bool:
    """A yes/no cell (empty = no).

    Raises:
        FieldError: ``bad_flag``.
    """
    if isinstance(cell, bool):
        return cell
    if isinstance(cell, int | float) and cell in (0, 1):
        return bool(cell)
    s = _text(cell).lower() if cell is None or isinstance(cell, str) else "?"
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise FieldError("bad_flag", value=_preview(cell))


_MARKUP = str.maketrans({"<": "＜", ">": "＞"})
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


def parse_name(cell: Cell, *, limit: int = MAX_NAME, required: bool = True) -> str:
    """A name: stripped, no control characters, at most ``limit`` characters, ``<>`` escaped
    to ``＜＞`` (see the module doc).

    Raises:
        FieldError: ``missing_value``, ``control_character`` or ``text_too_long``.
    """
    if cell is None:
        text = ""
    elif isinstance(cell, float) and cell.is_integer():
        text = str(int(cell))
    else:
        text = str(cell)
    text = text.strip()
    if not text:
        if required:
            raise FieldError("missing_value")
        return ""
    for ch in text:
        if unicodedata.category(ch) in ("Cc", "Cs", "Co", "Zl", "Zp") or ch in _BIDI:
            raise FieldError("control_character", char=f"U+{ord(ch):04X}")
    if len(text) > limit:
        raise FieldError("text_too_long", limit=limit)
    return text.translate(_MARKUP)


_MACHINE_ID = re.compile(r"^[\w\-./#]+$")


def _parse_machine_id(cell: Cell) -> str:
    text = parse_name(cell, limit=MAX_MACHINE)
    if not _MACHINE_ID.match(text):
        raise FieldError("bad_machine_id", value=_preview(cell))
    return text


_NUMBER = re.compile(r"^\d{1,9}(?:\.\d{1,6})?$")


def parse_minutes(cell: Cell) -> float:
    """Minutes: a number 0 .. :data:`MAX_MINUTES`.

    Raises:
        FieldError: ``missing_value``, ``bad_minutes`` or ``minutes_too_large``.
    """
    if _blank(cell):
        raise FieldError("missing_value")
    if isinstance(cell, bool | datetime | date | time):
        raise FieldError("bad_minutes", value=_preview(cell))
    if isinstance(cell, int | float):
        x = float(cell)
    else:
        s = _text(cell)
        if not _NUMBER.match(s):
            raise FieldError("bad_minutes", value=_preview(cell))
        x = float(s)
    if not math.isfinite(x) or x < 0:
        raise FieldError("bad_minutes", value=_preview(cell))
    if x > MAX_MINUTES:
        raise FieldError("minutes_too_large", limit=int(MAX_MINUTES))
    return x


_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::00)?$")


_HALF_DAY = re.compile(r"\s*(?:(?<![a-z])[ap]\.?m\.?$|^(?:上午|下午|晚上))", re.IGNORECASE)


def parse_clock(cell: Cell) -> time:
    """A time of day ``HH:MM`` (``24:00`` = midnight), or on a 12-hour clock (``8:00 AM``,
    ``5:30 pm``, ``下午5:30``).

    Raises:
        FieldError: ``missing_value`` or ``bad_time``.
    """
    if _blank(cell):
        raise FieldError("missing_value")
    if isinstance(cell, time):
        return cell.replace(second=0, microsecond=0, tzinfo=None)
    if isinstance(cell, datetime):  # a spreadsheet time cell can come as a datetime on 1899-12-30
        return cell.time().replace(second=0, microsecond=0)
    s = _text(cell).replace("：", ":")
    half = _HALF_DAY.search(s)  # "8:00 AM", "5:30pm", "下午5:30"
    if half:
        s = (s[: half.start()] + s[half.end():]).strip()
        s = s + ":00" if s.isdigit() else s  # "8 AM"
    m = _CLOCK.match(s)
    if not m:
        raise FieldError("bad_time", value=_preview(cell))
    h, mi = int(m.group(1)), int(m.group(2))
    if half:
        if not 1 <= h <= 12:
            raise FieldError("bad_time", value=_preview(cell))
        h = h % 12 + (12 if half.group(0).lower().replace(".", "").strip() in ("pm", "下午", "晚上") else 0)
    if (h, mi) == (24, 0):
        return time(0, 0)
    if h > 23 or mi > 59:
        raise FieldError("bad_time", value=_preview(cell))
    return time(h, mi)


_DAY_NAMES: dict[str, int] = {}
for _n, _names in enumerate(
    (
        ("mon", "monday", "周一", "星期一", "礼拜一"),
        ("tue", "tues", "tuesday", "周二", "星期二", "礼拜二"),
        ("wed", "wednesday", "周三", "星期三", "礼拜三"),
        ("thu", "thur", "thurs", "thursday", "周四", "星期四", "礼拜四"),
        ("fri", "friday", "周五", "星期五", "礼拜五"),
        ("sat", "saturday", "周六", "星期六", "礼拜六"),
        ("sun", "sunday", "周日", "周天", "星期日", "星期天", "礼拜日", "礼拜天"),
    ),
    start=1,
):
    _DAY_NAMES[str(_n)] = _n
    for _name in _names:
        _DAY_NAMES[_name] = _n
_RANGE = re.compile(r"^(.+?)\s*(?:-|~|–|—|至|到)\s*(.+)$")
_HOLIDAY = frozenset({"holiday", "holidays", "假日", "节假日", "假期", "休息日"})


def parse_weekdays(cell: Cell) -> tuple[int, ...]:
    """ISO weekdays named by a cell: one day or a range (see the module doc).

    Raises:
        FieldError: ``missing_value`` or ``bad_weekday``.
    """
    if _blank(cell):
        raise FieldError("missing_value")
    s = _text(cell).lower()
    if s in _DAY_NAMES:
        return (_DAY_NAMES[s],)
    m = _RANGE.match(s)
    if m and m.group(1) in _DAY_NAMES and m.group(2) in _DAY_NAMES:
        a, b = _DAY_NAMES[m.group(1)], _DAY_NAMES[m.group(2)]
        if a <= b:
            return tuple(range(a, b + 1))
    raise FieldError("bad_weekday", value=_preview(cell))


# --- headers --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Columns:
    """A table's columns: canonical name -> accepted header names; which are required."""

    kind: ImportKind
    names: Mapping[str, tuple[str, ...]]
    required: tuple[str, ...]

    def lookup(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for canonical, aliases in self.names.items():
            for alias in (canonical, *aliases):
                out[_header_key(alias)] = canonical
        return out


# a unit in minutes said in the header is no part of its name: "单件工时(分钟)", "Setup (min)"
_MINUTES_UNIT = re.compile(r"[(（\[]\s*(?:分钟|分|min|mins|minutes?)\s*[)）\]]")


def _header_key(cell: Cell) -> str:
    """A header as it is looked up: lower case, without spaces, ``_ - . # : /`` or a unit in
    minutes ("Order No." -> ``orderno``, "单件工时(分钟)" -> ``单件工时``). Another unit ("(秒)",
    "(h)") stays, so that such a column is not read as minutes."""
    text = _MINUTES_UNIT.sub("", _text(cell).lower().removeprefix("\ufeff"))
    return re.sub(r"[\s_\-.#:：/]+", "", text)


ORDER_COLUMNS = _Columns(
    "orders",
    {
        "ref": ("订单号", "订单编号", "单号", "order", "order_ref", "order_no", "销售订单号", "销售订单", "销售单号", "订单",
                "合同号", "合同编号", "order number", "order id", "sales order", "sales order no", "so", "so no",
                "so number", "reference"),
        "customer": ("客户", "客户名称", "客户简称", "客户名", "customer name", "client", "client name", "buyer"),
        "product": ("产品", "产品型号", "物料", "产品编码", "产品编号", "产品代码", "物料编码", "物料编号", "物料代码", "存货编码",
                    "品号", "料号", "型号", "part", "part no", "part number", "item", "item no", "item code",
                    "product code", "sku"),
        "quantity": ("数量", "qty", "订单数量", "订货数量", "需求数量", "order qty", "order quantity", "quantity ordered"),
        "promised_date": ("交期", "承诺交期", "交货日期", "due", "due_date", "promised", "交货期", "要求交期", "交付日期",
                          "客户交期", "承诺日期", "交货时间", "要货日期", "需求日期", "delivery date", "ship date",
                          "required date", "promise date", "promised date", "need date", "deadline"),
        "vip": ("VIP", "重点客户", "重要客户", "vip客户", "key account"),
        "sales": ("销售", "业务员", "sales_owner", "销售员", "业务", "跟单员", "sales rep", "salesperson", "account manager"),
        "material_ready": ("物料到齐", "物料齐套", "齐套日期", "物料日期", "release", "material", "material_date", "物料到货",
                           "到料日期", "material ready", "release date"),
    },
    ("ref", "customer", "product", "quantity", "promised_date"),
)
ORDER_HEADER: tuple[str, ...] = ("ref", "customer", "product", "quantity", "promised_date", "vip", "sales",
                                 "material_ready")

ROUTING_COLUMNS = _Columns(
    "routings",
    {
        "product": ("产品", "产品编码", "产品编号", "物料编码", "品号", "料号", "product code", "part", "part no",
                    "part number", "item"),
        "step": ("工序号", "工序", "step_no", "工序编号", "工序序号", "operation", "op", "op no", "operation no", "seq"),
        "step_name": ("工序名称", "工序名", "name", "operation name", "op name"),
        "machine": ("设备", "机台", "设备编号", "设备编码", "机器", "工作中心", "work center", "resource", "machine id"),
        "setup_min": ("准备分钟", "准备时间", "换型分钟", "setup", "准备工时", "调机时间", "换线时间", "setup time",
                      "setup minutes"),
        "per_unit_min": ("单件分钟", "单件工时", "per_unit", "单件时间", "单位工时", "run time", "time per unit",
                         "minutes per unit", "per unit minutes"),
        "product_name": ("产品名称", "品名", "description", "product name", "item name", "物料名称", "产品描述"),
    },
    ("product", "step", "step_name", "machine", "setup_min", "per_unit_min"),
)

MACHINE_COLUMNS = _Columns(
    "machines",
    {"machine": ("设备", "机台", "设备编号", "id", "设备编码", "机器", "machine id", "machine code", "工作中心", "work center",
                 "resource"),
     "group": ("设备组", "组", "设备类别", "设备类型", "机组", "group name", "machine group", "machine type"),
     "calendar": ("日历", "班次日历", "班次", "工作日历", "shift", "shift calendar", "calendar name"),
     "name": ("名称", "设备名称", "machine name")},
    ("machine", "group", "calendar"),
)

CALENDAR_COLUMNS = _Columns(
    "calendars",
    {"calendar": ("日历", "班次日历", "班次", "工作日历", "shift", "calendar name"),
     "weekday": ("星期", "day", "工作日", "days", "weekdays"),
     "start": ("开始", "开始时间", "date", "日期", "start time", "from", "上班", "上班时间"),
     "end": ("结束", "结束时间", "end time", "to", "下班", "下班时间")},
    ("calendar", "weekday", "start"),
)

COLUMNS: Mapping[ImportKind, _Columns] = {"orders": ORDER_COLUMNS, "routings": ROUTING_COLUMNS,
                                           "machines": MACHINE_COLUMNS, "calendars": CALENDAR_COLUMNS}


def header_line(kind: ImportKind, chinese: bool = False) -> str:
    """The header row a file of ``kind`` takes, optional columns in brackets: the English
    names, or the first Chinese name the reader accepts for each."""
    columns = COLUMNS[kind]
    out = []
    for canonical, aliases in columns.names.items():
        name = next((a for a in aliases if re.search(r"[\u4e00-\u9fff]", a)), canonical) if chinese else canonical
        out.append(name if canonical in columns.required else f"[{name}]")
    return ",".join(out)


@dataclass(frozen=True, slots=True)
class _Row:
    line: int
    cells: Mapping[str, Cell]
    labels: Mapping[str, str]  # canonical -> header text as in the file

    def __getitem__(self, column: str) -> Cell:
        return self.cells.get(column)


class _Collector:
    def __init__(self) -> None:
        self.errors: list[RowError] = []

    def add(self, line: int, label: str, code: str, /, **params: object) -> None:
        self.errors.append(RowError(line, label, code, params))

    def result(self) -> list[RowError]:
        """The errors by line (stable: within a line, in column order)."""
        return sorted(self.errors, key=lambda e: e.line)

    def field(self, row: _Row, column: str, exc: FieldError) -> None:
        self.add(row.line, row.labels.get(column, column), exc.code, **exc.params)


def _bind(table: Table, spec: _Columns, out: _Collector) -> list[_Row] | None:
    """The rows keyed by canonical column, or None after header errors (reported in ``out``)."""
    if not table.header:
        out.add(1, "", "empty_file")
        return None
    lookup = spec.lookup()
    index: dict[str, int] = {}
    labels: dict[str, str] = {}
    unknown: list[str] = []
    for i, cell in enumerate(table.header):
        label = _text(cell).removeprefix("\ufeff") or f"#{i + 1}"
        if _blank(cell):
            continue
        canonical = lookup.get(_header_key(cell))
        if canonical is None:
            unknown.append(label[:40])  # "备注", "Remarks", a price: not ours, left out (see ignored_columns)
        elif canonical in index and _header_key(table.header[index[canonical]]) == _header_key(cell):
            out.add(table.header_line, label[:40], "duplicate_column", column=label[:40])
        elif canonical in index:
            continue  # another name of a column already there ("产品" then "型号"): the first one counts
        else:
            index[canonical] = i
            labels[canonical] = label
    missing = [req for req in spec.required if req not in index]
    if missing:  # the columns not understood may be the missing ones, misspelt: each said
        for label in unknown:
            out.add(table.header_line, label, "unknown_column", column=label)
    for req in missing:
        out.add(table.header_line, req, "missing_column", column=req)
    if out.errors:
        return None
    if not table.rows:
        out.add(table.header_line + 1, "", "no_rows")
        return None
    if len(table.rows) > MAX_ROWS:
        out.add(table.rows[MAX_ROWS][0], "", "too_many_rows", limit=MAX_ROWS)
        return None
    width = len(table.header)
    rows = []
    for line, cells in table.rows:
        for extra in cells[width:]:
            if not _blank(extra):
                out.add(line, f"#{width + 1}", "unexpected_value", value=_preview(extra))
                break
        rows.append(_Row(line, {c: cells[i] if i < len(cells) else None for c, i in index.items()}, labels))
    return rows


def _get(row: _Row, column: str, out: _Collector, parse: Callable[..., object], **kwargs: object) -> object | None:
    """``parse`` of the row's cell in ``column``; None after recording its error."""
    try:
        return parse(row[column], **kwargs)
    except FieldError as exc:
        out.field(row, column, exc)
        return None


def ignored_columns(table: Table, kind: ImportKind) -> tuple[str, ...]:
    """The header cells of ``table`` that are no column of ``kind`` ("备注", "Remarks", "Unit
    price"), or another name of a column already there ("型号" after "产品"), as written: an
    import leaves them out and says so."""
    lookup = COLUMNS[kind].lookup()
    bound: dict[str, str] = {}  # canonical column -> the header key it was found by
    out: list[str] = []
    for cell in table.header:
        key = _header_key(cell)
        canonical = lookup.get(key)
        if _blank(cell) or (canonical is not None and bound.setdefault(canonical, key) == key):
            continue  # a column of ours (or the same header twice: an error, not left out)
        out.append(_text(cell).removeprefix("\ufeff")[:40])
    return tuple(out)


# --- orders ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderContext:
    """What order validation checks against: the factory's timezone, "now", the products
    with a routing, refs already in the database and the usernames that may own orders, and
    their names as people write them (``sales_names``: "王销售", "wang" -> ``sales.wang``)."""

    tz: tzinfo
    now: datetime
    products: Collection[str]
    existing_refs: Collection[str] = ()
    sales_users: Collection[str] = ()
    sales_names: Mapping[str, str] = field(default_factory=dict)


def candidate_refs(table: Table) -> list[str]:
    """The normalised order refs a table names (to look up which exist already)."""
    rows = _bind(table, ORDER_COLUMNS, _Collector())
    refs = []
    for row in rows or ():
        try:
            refs.append(normalise_ref(_text(row["ref"])))
        except InvalidInput:
            continue
    return refs


def validate_orders(table: Table, ctx: OrderContext) -> tuple[list[OrderRecord], list[RowError]]:
    """Every row as a new open order, or every problem of every row."""
    out = _Collector()
    rows = _bind(table, ORDER_COLUMNS, out)
    if rows is None:
        return [], out.result()
    horizon = ctx.now + timedelta(days=366 * MAX_DUE_YEARS)
    seen: dict[str, int] = {}
    records: list[OrderRecord] = []
    for row in rows:
        before = len(out.errors)
        ref = None
        if _blank(row["ref"]):
            out.add(row.line, row.labels["ref"], "missing_value")
        else:
            try:
                ref = normalise_ref(_text(row["ref"]))
            except InvalidInput:
                out.add(row.line, row.labels["ref"], "bad_order_ref", ref=_preview(row["ref"]))
        if ref is not None:
            if ref in seen:
                out.add(row.line, row.labels["ref"], "duplicate_ref_in_file", ref=ref, first_line=seen[ref])
            else:
                seen[ref] = row.line
                if ref in ctx.existing_refs:
                    out.add(row.line, row.labels["ref"], "duplicate_order", ref=ref)
        customer = _get(row, "customer", out, parse_name)
        product = _get(row, "product", out, parse_name, limit=MAX_PRODUCT)
        if isinstance(product, str) and product not in ctx.products:
            out.add(row.line, row.labels["product"], "unknown_product", product=product)
        quantity = _get(row, "quantity", out, parse_quantity)
        due = _get(row, "promised_date", out, parse_due, tz=ctx.tz)
        if isinstance(due, datetime):
            if due < ctx.now:
                out.add(row.line, row.labels["promised_date"], "due_in_past", due=due)
            elif due > horizon:
                out.add(row.line, row.labels["promised_date"], "due_too_far", due=due, years=MAX_DUE_YEARS)
        vip = _get(row, "vip", out, parse_flag) if "vip" in row.labels else False
        release = None
        if "material_ready" in row.labels and not _blank(row["material_ready"]):
            release = _get(row, "material_ready", out, parse_release, tz=ctx.tz)
            if isinstance(release, datetime) and release > horizon:
                out.add(row.line, row.labels["material_ready"], "date_too_far", date=release, years=MAX_DUE_YEARS)
        sales: str | None = None
        if "sales" in row.labels and not _blank(row["sales"]):
            name = _text(row["sales"]).lower()
            sales = name if name in ctx.sales_users else ctx.sales_names.get(name)  # a username, or a person's name
            if sales is None:
                known = sorted({*ctx.sales_users, *ctx.sales_names.values()})
                out.add(row.line, row.labels["sales"], "unknown_sales", username=_preview(row["sales"]),
                        known=", ".join(known[:12]) or "-")
        if len(out.errors) == before:
            assert isinstance(ref, str) and isinstance(customer, str) and isinstance(product, str)
            assert isinstance(quantity, int) and isinstance(due, datetime) and isinstance(vip, bool)
            order = Order(ref=ref, customer=customer, product=product, quantity=quantity, due=due, vip=vip,
                          status=OrderStatus.OPEN, created=ctx.now,
                          release=release if isinstance(release, datetime) and release > ctx.now else None)
            records.append(OrderRecord(order, sales=sales))
    return records, out.result()


# --- routings -------------------------------------------------------------------------------


def validate_routings(
    table: Table,
    machines: Collection[str],
    *,
    in_use: Mapping[str, int] | None = None,
    current: Mapping[str, Routing] | None = None,
    groups: Mapping[str, Sequence[str]] | None = None,
) -> tuple[list[Routing], list[RowError]]:
    """Routings, one per product in the file (replacing the stored one), or every problem.

    ``in_use``: active orders per product; such a product's routing may change its machines
    and times but not its number of steps (reported work refers to steps by position).
    ``groups``: machine group -> its machines; a group named in the machine column ("CNC") is
    every machine of it, with the row's times (a machine of that name is the machine).
    """
    out = _Collector()
    rows = _bind(table, ROUTING_COLUMNS, out)
    if rows is None:
        return [], out.result()
    in_use = in_use or {}
    current = current or {}
    # product -> step -> (name, first line, [(machine, setup, per_unit, line)])
    found: dict[str, dict[int, tuple[str, int, list[Alternative]]]] = {}
    first_line: dict[str, int] = {}
    product_names: dict[str, tuple[str, int]] = {}  # product -> (its name, the line that gave it)
    seen: dict[tuple[str, int, str], int] = {}
    for row in rows:
        before = len(out.errors)
        product = _get(row, "product", out, parse_name, limit=MAX_PRODUCT)
        step = _get(row, "step", out, _parse_step)
        name = _get(row, "step_name", out, parse_name)
        machine = _get(row, "machine", out, _parse_machine_id)
        if isinstance(machine, str) and machine not in machines and machine not in (groups or {}):
            out.add(row.line, row.labels["machine"], "unknown_machine", machine=machine)
        setup = _get(row, "setup_min", out, parse_minutes)
        per_unit = _get(row, "per_unit_min", out, parse_minutes)
        label = (_get(row, "product_name", out, parse_name, required=False)
                 if "product_name" in row.labels else "")
        if setup == 0 and per_unit == 0:
            out.add(row.line, row.labels["per_unit_min"], "zero_duration")
        if len(out.errors) != before:
            continue
        assert isinstance(product, str) and isinstance(step, int) and isinstance(name, str)
        assert isinstance(machine, str) and isinstance(setup, float) and isinstance(per_unit, float)
        each = [machine] if machine in machines else list((groups or {})[machine])  # a group: each of its machines
        again = next((seen[(product, step, m)] for m in each if (product, step, m) in seen), None)
        if again is not None:
            out.add(row.line, row.labels["machine"], "duplicate_row", first_line=again)
            continue
        seen.update({(product, step, m): row.line for m in each})
        if label:  # a product's name may be given on any of its rows, the same each time
            assert isinstance(label, str)
            given = product_names.setdefault(product, (label, row.line))
            if given[0] != label:
                out.add(row.line, row.labels["product_name"], "product_name_conflict", product=product,
                        name=given[0], first_line=given[1])
                continue
        first_line.setdefault(product, row.line)
        steps = found.setdefault(product, {})
        if step in steps and steps[step][0] != name:
            out.add(row.line, row.labels["step_name"], "step_name_conflict", step=step, name=steps[step][0],
                    first_line=steps[step][1])
            continue
        steps.setdefault(step, (name, row.line, []))[2].extend(Alternative(m, setup, per_unit) for m in each)
    routings = []
    for product, steps in found.items():
        numbers = sorted(steps)  # 1, 2, 3 or as ERPs number operations, 10, 20, 30: in that order
        if in_use.get(product) and product in current and len(current[product].steps) != len(numbers):
            out.add(first_line[product], "step", "routing_in_use", product=product, orders=in_use[product],
                    steps=len(current[product].steps))
            continue
        routings.append(Routing(product, tuple(Step(steps[k][0], tuple(steps[k][2])) for k in numbers),
                                product_names.get(product, ("", 0))[0]))
    return routings, out.result()


def _parse_step(cell: Cell) -> int:
    if _blank(cell):
        raise FieldError("missing_value")
    s = _text(cell)
    if isinstance(cell, bool) or not re.fullmatch(r"\d{1,4}", s) or not 1 <= int(s) <= 9999:
        raise FieldError("bad_step", value=_preview(cell))
    return int(s)


# --- machines -------------------------------------------------------------------------------


def validate_machines(table: Table, calendars: Collection[str]) -> tuple[list[Machine], list[RowError]]:
    """Machines (new or replacing the stored one with that id), or every problem."""
    out = _Collector()
    rows = _bind(table, MACHINE_COLUMNS, out)
    if rows is None:
        return [], out.result()
    machines: list[Machine] = []
    seen: dict[str, int] = {}
    for row in rows:
        before = len(out.errors)
        mid = _get(row, "machine", out, _parse_machine_id)
        if isinstance(mid, str):
            if mid in seen:
                out.add(row.line, row.labels["machine"], "duplicate_row", first_line=seen[mid])
            else:
                seen[mid] = row.line
        group = _get(row, "group", out, parse_name, limit=MAX_PRODUCT)
        calendar = _get(row, "calendar", out, parse_name, limit=MAX_PRODUCT)
        if isinstance(calendar, str) and calendar not in calendars:
            out.add(row.line, row.labels["calendar"], "unknown_calendar", calendar=calendar)
        name = _get(row, "name", out, parse_name, required=False) if "name" in row.labels else ""
        if len(out.errors) == before:
            assert isinstance(mid, str) and isinstance(group, str) and isinstance(calendar, str)
            machines.append(Machine(mid, str(name or mid), group, calendar))
    return machines, out.result()


# --- calendars ------------------------------------------------------------------------------


def validate_calendars(table: Table) -> tuple[list[WorkCalendar], list[RowError]]:
    """Calendars, each wholly defined by its rows in the file (replacing a stored one of that
    name), or every problem."""
    out = _Collector()
    rows = _bind(table, CALENDAR_COLUMNS, out)
    if rows is None:
        return [], out.result()
    shifts: dict[str, dict[int, list[tuple[Shift, int]]]] = {}
    holidays: dict[str, set[date]] = defaultdict(set)
    first_line: dict[str, int] = {}
    for row in rows:
        name = _get(row, "calendar", out, parse_name, limit=MAX_PRODUCT)
        if isinstance(name, str):
            first_line.setdefault(name, row.line)
            shifts.setdefault(name, {})
        if _text(row["weekday"]).lower() in _HOLIDAY:
            day = _get(row, "start", out, parse_day)
            if isinstance(name, str) and isinstance(day, date):
                holidays[name].add(day)
            continue
        days = _get(row, "weekday", out, parse_weekdays)
        start = _get(row, "start", out, parse_clock)
        end = _get(row, "end", out, parse_clock)
        if not (isinstance(name, str) and isinstance(days, tuple) and isinstance(start, time)
                and isinstance(end, time)):
            continue
        shift = Shift(start, end)
        for d in days:
            for other, other_line in shifts[name].get(d, []):
                if _overlaps(shift, other):
                    out.add(row.line, row.labels["start"], "shift_overlap", weekday=d, first_line=other_line)
                    break
            else:
                shifts[name].setdefault(d, []).append((shift, row.line))
    calendars = []
    for name, by_day in shifts.items():
        if not any(by_day.values()):
            if not any(e.line == first_line[name] for e in out.errors):
                out.add(first_line[name], "weekday", "calendar_no_shifts", calendar=name)
            continue
        calendars.append(WorkCalendar(
            name,
            {d: tuple(sorted((s for s, _ in lst), key=lambda s: s.start)) for d, lst in sorted(by_day.items())},
            frozenset(holidays[name]),
        ))
    return calendars, out.result()


def _overlaps(a: Shift, b: Shift) -> bool:
    a0 = a.start.hour * 60 + a.start.minute
    b0 = b.start.hour * 60 + b.start.minute
    return a0 < b0 + b.minutes and b0 < a0 + a.minutes


# --- use cases ------------------------------------------------------------------------------


async def _active_by_product(uow: UnitOfWork) -> Counter[str]:
    return Counter(r.order.product for r in await uow.orders.active())


async def _after_import(svc: Services, table: Table, result: ImportResult, replan: bool) -> ImportResult:
    """``result`` with the columns ``table`` had that were left out, and the plan made after it."""
    result = replace(result, ignored=ignored_columns(table, result.kind))
    if not replan:
        return result
    # an import changes much at once: its plan gets the bulk deadline (at least an event's)
    thorough = svc.planning_for(max(svc.planning.deadline, svc.planning.bulk_deadline))
    update = await replan_now(thorough, SYSTEM, f"import {result.kind}: {result.count}")
    return replace(result, plan_version=update.version, late_orders=update.late_orders)


def _names_of(user: User) -> set[str]:
    """What a file may call a salesperson: the display name and its last word ("Sales Wang",
    "wang"), lower case; the username itself is matched as it is."""
    name = (user.display_name or "").strip().lower()
    return {n for n in (name, name.split()[-1] if name else "") if n and n != user.username.lower()}


async def import_orders(svc: Services, actor: Actor, table: Table) -> ImportResult:
    """Add every row of ``table`` as an open order, all or nothing, then re-plan once.

    Raises:
        ImportRejected: with every problem of every row; nothing was written.
    """
    require(actor, "import_data")
    now = svc.now()
    async with svc.uow(write=True) as uow:
        tz = _zone(await uow.master.timezone())
        existing = {ref for ref in candidate_refs(table) if await uow.orders.get(ref) is not None}
        owners = [u for role in (Role.SALES, Role.MANAGER, Role.ADMIN) for u in await uow.users.with_role(role)
                  if u.active]
        sales = {u.username.lower() for u in owners}
        called = Counter(n for u in owners for n in _names_of(u))
        names = {n: u.username.lower() for u in owners for n in _names_of(u) if called[n] == 1}  # one person's only
        ctx = OrderContext(tz, now.astimezone(tz), frozenset(await uow.master.routings()), existing, sales, names)
        records, errors = validate_orders(table, ctx)
        if errors:
            raise ImportRejected("orders", errors)
        for record in records:
            await uow.orders.add(record)
        refs = [r.ref for r in records]
        await uow.audit.add(AuditEntry(now, actor.user_id, "import_orders", f"{len(refs)} orders", None,
                                       {"refs": refs}))
        await uow.commit()
    return await _after_import(svc, table, ImportResult("orders", len(refs), tuple(refs)), replan=True)


async def import_routings(svc: Services, actor: Actor, table: Table) -> ImportResult:
    """Add or replace the routing of every product in ``table``, all or nothing."""
    require(actor, "import_data")
    now = svc.now()
    async with svc.uow(write=True) as uow:
        stored = await uow.master.machines()
        machines = {m.id for m in stored}
        groups: dict[str, list[str]] = {}
        for m in stored:
            groups.setdefault(m.group, []).append(m.id)
        in_use = await _active_by_product(uow)
        routings, errors = validate_routings(table, machines, in_use=in_use, current=await uow.master.routings(),
                                             groups=groups)
        if errors:
            raise ImportRejected("routings", errors)
        for routing in routings:
            await uow.master.save_routing(routing)
        names = tuple(r.product for r in routings)
        await uow.audit.add(AuditEntry(now, actor.user_id, "import_routings", f"{len(names)} products", None,
                                       {"products": list(names)}))
        await uow.commit()
    replan = any(in_use.get(p) for p in names)
    return await _after_import(svc, table, ImportResult("routings", len(names), names), replan)


async def import_machines(svc: Services, actor: Actor, table: Table) -> ImportResult:
    """Add or update every machine in ``table``, all or nothing."""
    require(actor, "import_data")
    now = svc.now()
    async with svc.uow(write=True) as uow:
        machines, errors = validate_machines(table, set(await uow.master.calendars()))
        if errors:
            raise ImportRejected("machines", errors)
        for machine in machines:
            await uow.master.save_machine(machine)
        names = tuple(m.id for m in machines)
        await uow.audit.add(AuditEntry(now, actor.user_id, "import_machines", f"{len(names)} machines", None,
                                       {"machines": list(names)}))
        replan = bool(await uow.orders.active())
        await uow.commit()
    return await _after_import(svc, table, ImportResult("machines", len(names), names), replan)


async def import_calendars(svc: Services, actor: Actor, table: Table) -> ImportResult:
    """Add or replace every calendar in ``table``, all or nothing."""
    require(actor, "import_data")
    now = svc.now()
    async with svc.uow(write=True) as uow:
        calendars, errors = validate_calendars(table)
        if errors:
            raise ImportRejected("calendars", errors)
        for calendar in calendars:
            await uow.master.save_calendar(calendar)
        names = tuple(c.name for c in calendars)
        await uow.audit.add(AuditEntry(now, actor.user_id, "import_calendars", f"{len(names)} calendars", None,
                                       {"calendars": list(names)}))
        replan = bool(await uow.orders.active())
        await uow.commit()
    return await _after_import(svc, table, ImportResult("calendars", len(names), names), replan)


_IMPORTERS = {
    "orders": import_orders,
    "routings": import_routings,
    "machines": import_machines,
    "calendars": import_calendars,
}


async def import_table(svc: Services, actor: Actor, kind: ImportKind, table: Table) -> ImportResult:
    """Dispatch to the importer of ``kind`` (orders, routings, machines, calendars)."""
    importer = _IMPORTERS.get(kind)
    if importer is None:
        raise InvalidInput("unknown_import_kind", kind=kind[:40])
    return await importer(svc, actor, table)


async def export_orders(svc: Services, actor: Actor, *, include_closed: bool = False) -> list[list[Cell]]:
    """The orders as rows under :data:`ORDER_HEADER` (first row), promised dates as aware
    datetimes in factory time: what :func:`import_orders` reads back. Open and in-progress
    orders only, unless ``include_closed``."""
    require(actor, "import_data")
    async with svc.uow() as uow:
        tz = _zone(await uow.master.timezone())
        statuses = None if include_closed else [OrderStatus.OPEN, OrderStatus.IN_PROGRESS]
        records = await uow.orders.list(statuses=statuses)
    rows: list[list[Cell]] = [list(ORDER_HEADER)]
    for r in records:
        o = r.order
        rows.append([o.ref, o.customer, o.product, o.quantity, o.due.astimezone(tz), o.vip, r.sales or "",
                     o.release.astimezone(tz) if o.release is not None else ""])
    return rows


ROUTING_HEADER: tuple[str, ...] = ("product", "step", "step_name", "machine", "setup_min", "per_unit_min",
                                   "product_name")


async def export_routings(svc: Services, actor: Actor) -> list[list[Cell]]:
    """The routings as rows under :data:`ROUTING_HEADER` (first row), one per machine that can do
    a step, the product's name on each of its rows: what :func:`import_routings` reads back (to
    name the products, say: export, fill in ``product_name``, import)."""
    require(actor, "import_data")
    async with svc.uow() as uow:
        routings = await uow.master.routings()
    rows: list[list[Cell]] = [list(ROUTING_HEADER)]
    for code in sorted(routings):
        r = routings[code]
        for k, step in enumerate(r.steps, start=1):
            for alt in step.alternatives:
                rows.append([code, k, step.name, alt.machine, _number(alt.setup), _number(alt.per_unit), r.name])
    return rows


def _number(x: float) -> Cell:
    return int(x) if float(x).is_integer() else x


def _zone(name: str) -> tzinfo:
    return ZoneInfo(name)
