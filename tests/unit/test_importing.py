"""Import and export: the value parsers, every row error, all-or-nothing, one re-plan, round trip."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduler_core.domain.calendar import TWO_SHIFTS
from scheduler_core.domain.model import Alternative, Machine, OrderStatus, Routing, Step
from scheduler_core.reports.errors import MESSAGES, error_message, row_error_message
from scheduler_core.reports.i18n import translator
from scheduler_core.services.context import Services
from scheduler_core.services.errors import PermissionDenied
from scheduler_core.services.importing import (
    DUE_HOUR,
    MAX_QUANTITY,
    Cell,
    FieldError,
    ImportRejected,
    OrderContext,
    RowError,
    Table,
    export_orders,
    import_calendars,
    import_machines,
    import_orders,
    import_routings,
    parse_clock,
    parse_day,
    parse_due,
    parse_flag,
    parse_minutes,
    parse_name,
    parse_quantity,
    parse_weekdays,
    read_csv,
    validate_calendars,
    validate_machines,
    validate_orders,
    validate_routings,
    write_csv,
)
from scheduler_core.services.planning import PlanSettings
from scheduler_core.services.ports import SYSTEM, Actor, OrderRecord, Role, User
from tests.fakes import FakeUnitOfWorkFactory

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=TZ)
CTX = OrderContext(TZ, NOW, {"P01", "P02"}, existing_refs={"SO-500"}, sales_users={"sales.li"})
HEADER = "ref,customer,product,quantity,promised_date,vip,sales\n"


def codes(errors: list[RowError]) -> list[tuple[int, str, str]]:
    return [(e.line, e.column, e.code) for e in errors]


def field_code(fn, *args) -> str:
    with pytest.raises(FieldError) as info:
        fn(*args)
    return info.value.code


# --- dates ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-05", datetime(2026, 12, 5, DUE_HOUR, tzinfo=TZ)),
        ("2026/12/5", datetime(2026, 12, 5, 18, tzinfo=TZ)),
        ("2026.12.05", datetime(2026, 12, 5, 18, tzinfo=TZ)),
        ("20261205", datetime(2026, 12, 5, 18, tzinfo=TZ)),
        ("2026年12月5日", datetime(2026, 12, 5, 18, tzinfo=TZ)),
        ("2026 年 12 月 5 号", datetime(2026, 12, 5, 18, tzinfo=TZ)),
        ("２０２６－１２－０５", datetime(2026, 12, 5, 18, tzinfo=TZ)),
        ("2026-12-05 14:30", datetime(2026, 12, 5, 14, 30, tzinfo=TZ)),
        ("2026-12-05T14:30:00", datetime(2026, 12, 5, 14, 30, tzinfo=TZ)),
        ("2026-12-05T06:30Z", datetime(2026, 12, 5, 14, 30, tzinfo=TZ)),
        ("2026-12-05T14:30+08:00", datetime(2026, 12, 5, 14, 30, tzinfo=TZ)),
        ("2026年12月5日 9:30", datetime(2026, 12, 5, 9, 30, tzinfo=TZ)),
        (" 2026-12-05 ", datetime(2026, 12, 5, 18, tzinfo=TZ)),
        (date(2026, 12, 5), datetime(2026, 12, 5, 18, tzinfo=TZ)),
        (datetime(2026, 12, 5), datetime(2026, 12, 5, 18, tzinfo=TZ)),  # a spreadsheet date cell
        (datetime(2026, 12, 5, 10, 15), datetime(2026, 12, 5, 10, 15, tzinfo=TZ)),
        ("2026-12-05 00:00:00", datetime(2026, 12, 5, 18, tzinfo=TZ)),  # a date cell as a spreadsheet writes it out
        ("Dec 5, 2026", datetime(2026, 12, 5, 18, tzinfo=TZ)),
        ("5-Dec-2026", datetime(2026, 12, 5, 18, tzinfo=TZ)),
        ("5 December 2026 14:30", datetime(2026, 12, 5, 14, 30, tzinfo=TZ)),
        ("2026-Dec-05", datetime(2026, 12, 5, 18, tzinfo=TZ)),
        ("Sept 5th, 2026", datetime(2026, 9, 5, 18, tzinfo=TZ)),
    ],
)
def test_promised_dates_in_unambiguous_forms_date_only_means_1800_factory_time(text: Cell, expected: datetime) -> None:
    got = parse_due(text, TZ)
    assert got == expected and got.tzinfo is not None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("12/5/2026", "date_ambiguous"),
        ("5/12/2026", "date_ambiguous"),
        ("05-12-26", "date_ambiguous"),
        ("2026-02-30", "bad_date"),
        ("2026-13-01", "bad_date"),
        ("next friday", "bad_date"),
        ("Foo 5, 2026", "bad_date"),
        ("Feb 30, 2026", "bad_date"),
        ("2026-12-05 25:00", "bad_date"),
        ("1900-01-01", "bad_date"),
        ("46361", "bad_date"),
        (46361, "bad_date"),
        (True, "bad_date"),
        ("", "missing_value"),
        (None, "missing_value"),
    ],
)
def test_bad_and_ambiguous_dates_are_refused(text: Cell, code: str) -> None:
    assert field_code(parse_due, text, TZ) == code


def test_a_holiday_is_a_day_without_time() -> None:
    assert parse_day("2026年10月1日") == date(2026, 10, 1)
    assert field_code(parse_day, "2026-10-01 08:00") == "bad_date"


# --- quantities and other values ------------------------------------------------------------
@pytest.mark.parametrize(("cell", "n"), [("100", 100), (" 7 ", 7), ("1,200", 1200), ("100.0", 100), (250, 250),
                                         (250.0, 250), ("１２０", 120), (str(MAX_QUANTITY), MAX_QUANTITY),
                                         ("1200 pcs", 1200), ("1,200 PCS", 1200), ("300件", 300), ("5 sets", 5)])
def test_quantities_are_whole_numbers(cell: Cell, n: int) -> None:
    assert parse_quantity(cell) == n


@pytest.mark.parametrize(
    ("cell", "code"),
    [("0", "quantity_not_positive"), ("-5", "quantity_not_positive"), ("1.5", "quantity_not_integer"),
     ("abc", "quantity_not_integer"), ("1e3", "quantity_not_integer"), (float("nan"), "quantity_not_integer"),
     (True, "quantity_not_integer"), (str(MAX_QUANTITY + 1), "quantity_too_large"),
     ("99999999999999999999", "quantity_not_integer"), ("", "missing_value"), ("12,34", "quantity_not_integer"),
     ("pcs", "quantity_not_integer"), ("1200 kg", "quantity_not_integer")],
)
def test_bad_quantities(cell: Cell, code: str) -> None:
    assert field_code(parse_quantity, cell) == code


def test_names_escape_markup_and_refuse_control_characters() -> None:
    assert parse_name(" <b>ACME</b> ") == "＜b＞ACME＜/b＞"
    assert parse_name(parse_name("A<B>")) == "A＜B＞"  # idempotent: exports import back unchanged
    assert parse_name("华鑫汽车 & Co.") == "华鑫汽车 & Co."
    assert field_code(parse_name, "ACME\x00") == "control_character"
    assert field_code(parse_name, "line\nbreak") == "control_character"
    assert field_code(parse_name, "evil\u202egnp.exe") == "control_character"
    assert field_code(parse_name, "x" * 201) == "text_too_long"
    assert field_code(parse_name, "   ") == "missing_value"


def test_flags_weekdays_clock_and_minutes() -> None:
    assert [parse_flag(x) for x in ("是", "yes", "1", "x", "", "否", "no", "0", None, 1)] == [True] * 4 + [False] * 5 + [True]
    assert field_code(parse_flag, "maybe") == "bad_flag"
    assert parse_weekdays("mon-fri") == (1, 2, 3, 4, 5)
    assert parse_weekdays("周一至周六") == (1, 2, 3, 4, 5, 6)
    assert parse_weekdays("星期日") == (7,)
    assert parse_weekdays("3") == (3,)
    assert field_code(parse_weekdays, "fri-mon") == "bad_weekday"
    assert field_code(parse_weekdays, "8") == "bad_weekday"
    assert parse_clock("24:00") == time(0, 0)
    assert parse_clock("8:00") == time(8, 0)
    assert [parse_clock(v) for v in ("8:00 AM", "5:30 pm", "12:00 PM", "12:30 am", "8 AM", "下午5:30")] == [
        time(8, 0), time(17, 30), time(12, 0), time(0, 30), time(8, 0), time(17, 30)]
    assert field_code(parse_clock, "13:00 PM") == "bad_time" and field_code(parse_clock, "8") == "bad_time"
    assert parse_clock("16：30") == time(16, 30)
    assert field_code(parse_clock, "25:00") == "bad_time"
    assert parse_minutes("1.5") == 1.5
    assert field_code(parse_minutes, "-1") == "bad_minutes"
    assert field_code(parse_minutes, "20000") == "minutes_too_large"


# --- hypothesis: parsers never crash --------------------------------------------------------
cells = st.one_of(
    st.none(), st.text(max_size=60), st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.dates(), st.datetimes(), st.times(),
    st.from_regex(r"\s*\d{1,5}\s*[-/.年]\s*\d{1,3}\s*[-/.月]\s*\d{1,3}\s*[日号]?(\s+\d{1,2}:\d{2})?\s*", fullmatch=True),
    st.from_regex(r"[+-]?[\d,. ]{0,25}", fullmatch=True),
)


@given(cells)
def test_date_parser_gives_a_value_or_a_field_error(cell: Cell) -> None:
    try:
        due = parse_due(cell, TZ)
    except FieldError as exc:
        assert exc.code in MESSAGES
    else:
        assert due.tzinfo is not None and 1970 <= due.year <= 2201


@given(cells)
def test_quantity_parser_gives_a_value_or_a_field_error(cell: Cell) -> None:
    try:
        n = parse_quantity(cell)
    except FieldError as exc:
        assert exc.code in MESSAGES
    else:
        assert isinstance(n, int) and 1 <= n <= MAX_QUANTITY


@given(st.text(max_size=300))
def test_csv_reader_and_order_validation_never_crash(text: str) -> None:
    try:
        table = read_csv(HEADER + text)
    except ImportRejected as exc:
        assert exc.errors[0].code == "bad_csv"
        return
    _records, errors = validate_orders(table, CTX)
    assert all(e.code in MESSAGES for e in errors)
    for message in (row_error_message(translator("zh_Hans"), e) for e in errors):
        assert message


# --- order tables ---------------------------------------------------------------------------
def test_a_good_orders_file_becomes_open_orders() -> None:
    table = read_csv(HEADER + "SO-1001,ACME,P01,100,2026-12-05,yes,sales.li\n1002,华鑫汽车,P02,5,2026年12月6日,,\n")
    records, errors = validate_orders(table, CTX)
    assert errors == []
    a, b = records
    assert (a.ref, a.order.customer, a.order.quantity, a.order.vip, a.sales) == ("SO-1001", "ACME", 100, True, "sales.li")
    assert a.order.due == datetime(2026, 12, 5, 18, tzinfo=TZ)
    assert a.order.status is OrderStatus.OPEN and a.order.created == NOW
    assert (b.ref, b.sales, b.order.vip) == ("SO-1002", None, False)


def test_material_ready_is_when_work_may_start_date_only_at_the_start_of_that_day() -> None:
    table = read_csv(HEADER.strip() + ",material_ready\n"
                     "SO-1,ACME,P01,10,2026-12-05,,,2026-12-01\nSO-2,ACME,P01,10,2026-12-05,,,2026-12-01 13:30\n"
                     "SO-3,ACME,P01,10,2026-12-05,,,\nSO-4,ACME,P01,10,2026-12-05,,,2026-11-01\n")
    records, errors = validate_orders(table, CTX)
    assert errors == []
    assert [r.order.release for r in records] == [datetime(2026, 12, 1, tzinfo=TZ), datetime(2026, 12, 1, 13, 30, tzinfo=TZ),
                                                   None, None]  # empty or already there: from now
    zh = read_csv("订单号,客户,产品,数量,交期,物料到齐\nSO-1,ACME,P01,10,2026-12-05,12/1/2026\nSO-2,ACME,P01,10,2026-12-05,2200-01-01\n")
    records, errors = validate_orders(zh, CTX)
    assert records == [] and [(e.line, e.column, e.code) for e in errors] == [(2, "物料到齐", "date_ambiguous"),
                                                                             (3, "物料到齐", "date_too_far")]
    assert row_error_message(translator("en"), errors[1]).endswith("Jan 1, 2200, 00:00 is more than 3 years ahead.")


def test_chinese_and_mixed_case_headers() -> None:
    table = read_csv("订单号,客户,产品,数量,交期,VIP,销售\nSO-1,ACME,P01,10,2026-12-05,是,\n")
    assert validate_orders(table, CTX)[1] == []
    table = read_csv("REF,Customer,PRODUCT,Quantity,Promised_Date\nSO-1,ACME,P01,10,2026-12-05\n")
    assert validate_orders(table, CTX)[1] == []


def test_every_row_error_is_reported_with_line_and_column() -> None:
    text = HEADER + "\n".join([
        "SO-1,ACME,P01,100,2026-12-05,,",            # 2 ok
        "SO-1,ACME,P01,100,2026-12-05,,",            # 3 duplicate in file
        "SO-500,ACME,P01,100,2026-12-05,,",          # 4 exists in the database
        "XYZ,ACME,P01,100,2026-12-05,,",             # 5 bad ref
        "SO-6,,P01,100,2026-12-05,,",                # 6 empty customer
        "SO-7,ACME,NOPE,100,2026-12-05,,",           # 7 unknown product
        "SO-8,ACME,P01,0,2026-12-05,,",              # 8 quantity 0
        "SO-9,ACME,P01,2000000,2026-12-05,,",        # 9 absurd
        "SO-10,ACME,P01,2.5,2026-12-05,,",           # 10 not integer
        "SO-11,ACME,P01,10,2026-11-01,,",            # 11 past
        "SO-12,ACME,P01,10,12/5/2026,,",             # 12 ambiguous
        "SO-13,ACME,P01,10,soon,,",                  # 13 unparsable
        "SO-14,ACME,P01,10,2035-01-01,,",            # 14 too far
        "SO-15," + "x" * 201 + ",P01,10,2026-12-05,,",  # 15 too long
        "SO-16,AC\x07ME,P01,10,2026-12-05,,",        # 16 control character
        "SO-17,ACME,P01,10,2026-12-05,maybe,",       # 17 bad flag
        "SO-18,ACME,P01,10,2026-12-05,,nobody",      # 18 unknown sales
        "SO-19,ACME,P01,10,2026-12-05,,,extra",      # 19 value outside the columns
    ]) + "\n"
    _records, errors = validate_orders(read_csv(text), CTX)
    assert codes(errors) == [
        (3, "ref", "duplicate_ref_in_file"),
        (4, "ref", "duplicate_order"),
        (5, "ref", "bad_order_ref"),
        (6, "customer", "missing_value"),
        (7, "product", "unknown_product"),
        (8, "quantity", "quantity_not_positive"),
        (9, "quantity", "quantity_too_large"),
        (10, "quantity", "quantity_not_integer"),
        (11, "promised_date", "due_in_past"),
        (12, "promised_date", "date_ambiguous"),
        (13, "promised_date", "bad_date"),
        (14, "promised_date", "due_too_far"),
        (15, "customer", "text_too_long"),
        (16, "customer", "control_character"),
        (17, "vip", "bad_flag"),
        (18, "sales", "unknown_sales"),
        (19, "#8", "unexpected_value"),
    ]
    assert errors[0].params == {"ref": "SO-1", "first_line": 2}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", [(1, "", "empty_file")]),
        ("\n\n", [(1, "", "empty_file")]),
        (HEADER, [(2, "", "no_rows")]),
        ("ref,customer,product,quantity\nSO-1,A,P01,1\n", [(1, "promised_date", "missing_column")]),
        ("ref,customer,product,quantity,promised_date,colour\n", [(2, "", "no_rows")]),  # left out, see below
        ("ref,customer,product,qantity,promised_date\n", [(1, "qantity", "unknown_column"),
                                                         (1, "quantity", "missing_column")]),
        ("ref,ref,customer,product,quantity,promised_date\n", [(1, "ref", "duplicate_column")]),
    ],
)
def test_header_problems(text: str, expected: list[tuple[int, str, str]]) -> None:
    assert codes(validate_orders(read_csv(text), CTX)[1]) == expected


def test_an_erp_export_with_its_own_header_names_and_more_columns_is_read() -> None:
    """Headers as ERP exports write them, in English or Chinese, with a unit in minutes or a
    full stop; columns of no use here (remarks, prices) are left out and named."""
    from scheduler_core.services.importing import ignored_columns

    for text in ("Order No.,Customer Name,Part Number,Order Qty,Delivery Date,Unit Price,Remarks\n"
                 "PO-88001,ACME,P01,120,2026-12-20,3.5,first lot\n",
                 "销售订单号,客户名称,产品编码,订单数量,要求交期,单价,备注\nPO-88001,ACME,P01,120,2026-12-20,3.5,首批\n"):
        table = read_csv(text)
        records, errors = validate_orders(table, CTX)
        assert errors == [] and len(records) == 1, errors
        o = records[0].order
        assert (o.ref, o.customer, o.product, o.quantity, o.due.date()) == ("PO-88001", "ACME", "P01", 120,
                                                                          date(2026, 12, 20))
        assert ignored_columns(table, "orders") in (("Unit Price", "Remarks"), ("单价", "备注"))
    table = read_csv("订单号,客户,产品,型号,数量,交期\nSO-1,ACME,P01,X-9,5,2026-12-20\n")  # two names of product
    records, errors = validate_orders(table, CTX)
    assert errors == [] and records[0].order.product == "P01" and ignored_columns(table, "orders") == ("型号",)
    routings, errors = validate_routings(read_csv(
        "品号,工序编号,工序名称,工作中心,准备工时(分钟),单件工时（min）,物料名称\nP01,10,Cut,M1,5,1.5,支架\n"), {"M1"})
    assert errors == [] and routings[0].steps[0].alternatives[0].per_unit == 1.5 and routings[0].name == "支架"
    _, errors = validate_routings(read_csv("product,step,step_name,machine,setup_min,单件工时(秒)\nP01,1,Cut,M1,5,90\n"),
                                  {"M1"})  # seconds are not minutes: not read as the minutes column
    assert codes(errors) == [(1, "单件工时(秒)", "unknown_column"), (1, "per_unit_min", "missing_column")]


def test_order_numbers_in_groups_of_digits_are_read() -> None:
    records, errors = validate_orders(read_csv("ref,customer,product,quantity,promised_date\n"
                                               "PO-2026-0042,ACME,P01,5,2026-12-21\nPO-2026-0043,ACME,P01,5,2026-12-21\n"), CTX)
    assert errors == [] and [r.ref for r in records] == ["PO-2026-42", "PO-2026-43"]


@pytest.mark.parametrize("kind", ["orders", "routings", "machines", "calendars"])
def test_no_header_name_means_two_columns(kind: str) -> None:
    from scheduler_core.services.importing import COLUMNS, _header_key

    keys = [_header_key(alias) for names in COLUMNS[kind].names.values() for alias in (*names,)]
    assert len(keys) == len(set(keys)), [k for k in keys if keys.count(k) > 1]


def test_blank_lines_are_skipped_but_lines_keep_their_numbers() -> None:
    text = HEADER + "\nSO-1,ACME,P01,10,2026-12-05,,\n,,,,,,\nSO-2,ACME,P01,0,2026-12-05,,\n"
    assert codes(validate_orders(read_csv(text), CTX)[1]) == [(5, "quantity", "quantity_not_positive")]


def test_semicolon_and_tab_separated_files() -> None:
    for sep in (";", "\t"):
        text = sep.join(["ref", "customer", "product", "quantity", "promised_date"]) + "\n" + sep.join(
            ["SO-1", "ACME, Inc", "P01", "10", "2026-12-05"]) + "\n"
        records, errors = validate_orders(read_csv(text), CTX)
        assert errors == [] and records[0].order.customer == "ACME, Inc"


def test_a_sheet_table_with_typed_cells() -> None:
    rows: list[list[Cell]] = [["订单号", "客户", "产品", "数量", "交期"], [1001, "ACME", "P01", 120.0, datetime(2026, 12, 5)],
                              [None, None, None, None, None], ["SO-1002", "ACME", "P01", 1.5, date(2026, 12, 5)]]
    _records, errors = validate_orders(Table.from_rows(rows), CTX)
    assert codes(errors) == [(4, "数量", "quantity_not_integer")]


# --- master data tables ---------------------------------------------------------------------
ROUTING_HEADER = "product,step,step_name,machine,setup_min,per_unit_min\n"


def test_routings_group_alternatives_into_steps() -> None:
    text = ROUTING_HEADER + "P9,1,Cutting,M1,15,0.5\nP9,1,Cutting,M2,15,0.6\nP9,2,Welding,M2,30,1\n"
    routings, errors = validate_routings(read_csv(text), {"M1", "M2"})
    assert errors == []
    assert routings == [Routing("P9", (Step("Cutting", (Alternative("M1", 15, 0.5), Alternative("M2", 15, 0.6))),
                                      Step("Welding", (Alternative("M2", 30, 1.0),))))]


def test_routings_carry_the_product_name_given_on_any_of_their_rows() -> None:
    text = ("产品,工序号,工序名称,设备,准备分钟,单件分钟,产品名称\n"
            "BR-1,1,下料,M1,15,0.5,\nBR-1,2,焊接,M2,30,1,支架\nBR-2,1,下料,M1,15,0.5,支架\nPH-1,1,下料,M1,5,1,\n")
    routings, errors = validate_routings(read_csv(text), {"M1", "M2"})
    assert errors == []
    assert [(r.product, r.name) for r in routings] == [("BR-1", "支架"), ("BR-2", "支架"), ("PH-1", "")]
    conflict = ROUTING_HEADER.strip() + ",product_name\nP9,1,Cutting,M1,15,0.5,Bracket\nP9,2,Welding,M2,30,1,Hinge\n"
    _, errors = validate_routings(read_csv(conflict), {"M1", "M2"})
    assert codes(errors) == [(3, "product_name", "product_name_conflict")]
    assert errors[0].params == {"product": "P9", "name": "Bracket", "first_line": 2}


def test_a_machine_group_in_a_routing_is_each_of_its_machines() -> None:
    groups = {"CNC": ["M1", "M2"]}
    routings, errors = validate_routings(read_csv(ROUTING_HEADER + "P9,1,Mill,CNC,5,1.5\nP9,2,Pack,M3,0,1\n"),
                                         {"M1", "M2", "M3"}, groups=groups)
    assert errors == []
    assert [(a.machine, a.setup, a.per_unit) for a in routings[0].steps[0].alternatives] == [("M1", 5, 1.5),
                                                                                              ("M2", 5, 1.5)]
    _, errors = validate_routings(read_csv(ROUTING_HEADER + "P9,1,Mill,M2,5,1\nP9,1,Mill,CNC,5,1\n"),
                                  {"M1", "M2"}, groups=groups)  # M2 twice, once by its group
    assert codes(errors) == [(3, "machine", "duplicate_row")]
    _, errors = validate_routings(read_csv(ROUTING_HEADER + "P9,1,Mill,CNC,5,1\n"), {"M1", "M2"})
    assert codes(errors) == [(2, "machine", "unknown_machine")]  # no groups known: no such machine


def test_routing_errors() -> None:
    text = ROUTING_HEADER + "\n".join([
        "P9,1,Cutting,M1,15,0.5",
        "P9,1,Cutting,M1,15,0.5",        # 3 duplicate
        "P9,1,Sawing,M2,15,0.5",         # 4 other name for step 1
        "P9,3,Welding,M9,30,1",          # 5 unknown machine
        "P9,x,Welding,M1,30,1",          # 6 bad step
        "P9,2,Welding,M1,0,0",           # 7 zero duration
        "P9,2,Welding,M1 2,-1,1",        # 8 bad machine id, bad minutes
    ]) + "\n"
    _, errors = validate_routings(read_csv(text), {"M1", "M2"})
    assert codes(errors) == [(3, "machine", "duplicate_row"), (4, "step_name", "step_name_conflict"),
                             (5, "machine", "unknown_machine"), (6, "step", "bad_step"),
                             (7, "per_unit_min", "zero_duration"), (8, "machine", "bad_machine_id"),
                             (8, "setup_min", "bad_minutes")]
    routings, errors = validate_routings(read_csv(ROUTING_HEADER + "P9,20,B,M1,1,1\nP9,10,A,M1,1,1\nP9,30,C,M1,1,1\n"),
                                         {"M1"})  # numbered as ERPs do, in any row order: in the order of the numbers
    assert errors == [] and [s.name for s in routings[0].steps] == ["A", "B", "C"]
    current = {"P9": Routing("P9", (Step("A", (Alternative("M1", 1, 1),)),))}
    _, errors = validate_routings(read_csv(ROUTING_HEADER + "P9,1,A,M1,1,1\nP9,2,B,M1,1,1\n"), {"M1"},
                                  in_use={"P9": 3}, current=current)
    assert codes(errors) == [(2, "step", "routing_in_use")]


def test_machines_need_a_known_calendar_and_unique_ids() -> None:
    text = "设备,设备组,日历\nCNC-1,CNC,two-shifts\nCNC-1,CNC,two-shifts\nCNC 2,CNC,two-shifts\nCNC-3,,nights\n"
    machines, errors = validate_machines(read_csv(text), {"two-shifts"})
    assert codes(errors) == [(3, "设备", "duplicate_row"), (4, "设备", "bad_machine_id"), (5, "设备组", "missing_value"),
                             (5, "日历", "unknown_calendar")]
    machines, errors = validate_machines(read_csv("machine,group,calendar,name\nCNC-1,CNC,two-shifts,Mazak 1\n"),
                                         {"two-shifts"})
    assert machines == [Machine("CNC-1", "Mazak 1", "CNC", "two-shifts")]


def test_calendars_and_machines_under_the_names_people_give_their_columns() -> None:
    calendars, errors = validate_calendars(read_csv("班次,工作日,上班时间,下班时间\n白班,周一至周五,上午8:00,下午5:00\n"))
    assert errors == [] and calendars[0].name == "白班" and calendars[0].weekly_minutes == 5 * 9 * 60
    machines, errors = validate_machines(read_csv("Machine ID,Machine Type,Shift\nL-1,LASER,白班\n"), {"白班"})
    assert errors == [] and (machines[0].id, machines[0].group, machines[0].calendar) == ("L-1", "LASER", "白班")


def test_calendars_from_shift_rows_and_holidays() -> None:
    text = ("calendar,weekday,start,end\nday,mon-fri,08:00,12:00\nday,mon-fri,13:00,17:00\n"
            "day,holiday,2026-10-01,\nday,假日,2026年10月2日,\n")
    calendars, errors = validate_calendars(read_csv(text))
    assert errors == []
    (cal,) = calendars
    assert cal.weekly_minutes == 5 * 8 * 60 and cal.holidays == {date(2026, 10, 1), date(2026, 10, 2)}
    text = ("calendar,weekday,start,end\nday,1,08:00,16:00\nday,1,15:00,18:00\nday,9,08:00,16:00\n"
            "day,2,8h,16:00\nday,holiday,someday,\nempty,holiday,2026-10-01,\n")
    _, errors = validate_calendars(read_csv(text))
    assert codes(errors) == [(3, "start", "shift_overlap"), (4, "weekday", "bad_weekday"), (5, "start", "bad_time"),
                             (6, "start", "bad_date"), (7, "weekday", "calendar_no_shifts")]


# --- messages -------------------------------------------------------------------------------
def test_row_errors_read_well_in_both_languages() -> None:
    err = RowError(3, "数量", "quantity_not_positive", {"quantity": 0})
    assert row_error_message(translator("en"), err) == "line 3, column 数量: The quantity must be at least 1 (got 0)."
    assert row_error_message(translator("zh_Hans"), err) == "第 3 行，数量 列：数量至少为 1（收到的是 0）。"
    due = RowError(4, "promised_date", "due_in_past", {"due": datetime(2026, 1, 2, 18, tzinfo=TZ)})
    assert row_error_message(translator("en"), due).endswith("The promised date Jan 2, 2026, 18:00 is in the past.")
    assert row_error_message(translator("zh_Hans"), RowError(1, "", "empty_file")) == "第 1 行：文件是空的。"
    rejected = ImportRejected("orders", [err, due])
    assert error_message(translator("en"), rejected) == "2 problems in the file; nothing was imported."
    assert error_message(translator("zh_Hans"), rejected) == "文件中有 2 处问题，未导入任何数据。"


def test_unknown_codes_and_missing_params_still_give_a_sentence() -> None:
    assert error_message(translator("en"), FieldError("brand_new_code")) == "Something is wrong with the input (brand_new_code)."
    assert error_message(translator("en"), FieldError("order_not_found")) == "Order ? was not found."


# --- use cases on the fakes -----------------------------------------------------------------
FAST = PlanSettings(deadline=0.5, workers=1, seed=0)


async def factory_services() -> tuple[Services, FakeUnitOfWorkFactory]:
    uow = FakeUnitOfWorkFactory()
    svc = Services(uow, lambda: NOW, planning=FAST)
    async with uow(write=True) as tx:
        await tx.master.set_timezone("Asia/Shanghai")
        await tx.master.save_calendar(TWO_SHIFTS)
        for m in ("M1", "M2"):
            await tx.master.save_machine(Machine(m, m, m, TWO_SHIFTS.name))
        await tx.master.save_routing(Routing("P01", (Step("Cut", (Alternative("M1", 10, 0.5),)),
                                                     Step("Weld", (Alternative("M2", 10, 0.5),)))))
        await tx.users.add(User(0, "sales.li", Role.SALES, "Li"))
        await tx.commit()
    return svc, uow


async def test_import_orders_writes_all_rows_in_one_commit_and_replans_once() -> None:
    svc, uow = await factory_services()
    before = uow.commits
    table = read_csv(HEADER + "SO-1,ACME,P01,100,2026-12-05,yes,sales.li\nSO-2,Bolt Co,P01,50,2026-12-04 12:00,,\n")
    result = await import_orders(svc, SYSTEM, table)
    assert (result.kind, result.count, result.names) == ("orders", 2, ("SO-1", "SO-2"))
    assert result.plan_version == 1 and result.late_orders == 0
    assert uow.commits == before + 2  # the orders (one unit of work), then the plan
    async with uow() as tx:
        plan = await tx.plans.current()
        assert plan is not None and set(plan.schedule.etas()) == {"SO-1", "SO-2"}
        rec = await tx.orders.get("SO-1")
        assert rec is not None and rec.sales == "sales.li" and rec.order.vip
        assert [a.action for a in await tx.audit.list()] == ["import_orders"]


async def test_a_salesperson_is_found_by_the_name_people_write() -> None:
    svc, uow = await factory_services()
    async with uow(write=True) as tx:
        await tx.users.add(User(0, "sales.wang", Role.SALES, "Sales Wang"))
        await tx.users.add(User(0, "zhou", Role.MANAGER, "周经理"))
        await tx.commit()
    table = read_csv(HEADER + "SO-1,ACME,P01,10,2026-12-05,,Sales Wang\nSO-2,ACME,P01,10,2026-12-05,,WANG\n"
                              "SO-3,ACME,P01,10,2026-12-05,,周经理\nSO-4,ACME,P01,10,2026-12-05,,li\n")
    result = await import_orders(svc, SYSTEM, table)
    async with uow() as tx:
        owners = [(await tx.orders.get(ref)).sales for ref in result.names]  # type: ignore[union-attr]
    assert owners == ["sales.wang", "sales.wang", "zhou", "sales.li"]
    with pytest.raises(ImportRejected) as rejected:
        await import_orders(svc, SYSTEM, read_csv(HEADER + "SO-9,ACME,P01,10,2026-12-05,,Zhang\n"))
    (err,) = rejected.value.errors
    assert err.code == "unknown_sales" and err.params["known"] == "sales.li, sales.wang, zhou"
    assert row_error_message(translator("en"), err).endswith("Zhang is not a sales user (they are: sales.li, "
                                                              "sales.wang, zhou).")


async def test_an_import_is_planned_with_the_bulk_deadline_and_events_keep_theirs() -> None:
    from dataclasses import replace

    from scheduler_core.services.shopfloor import replan_now

    svc, _ = await factory_services()
    seen: list[float] = []
    inner = svc.planner

    async def spy(fn, *args, **kw):  # type: ignore[no-untyped-def]
        seen.append(args[3].deadline)  # (factory, now, published, settings)
        return await inner(fn, *args, **kw)

    svc = replace(svc, planning=replace(FAST, bulk_deadline=1.5), planner=spy)
    await import_orders(svc, SYSTEM, read_csv(HEADER + "SO-1,ACME,P01,100,2026-12-05,,\n"))
    await replan_now(svc, SYSTEM, "an event")
    assert seen == [1.5, 0.5]
    # a bulk deadline below the events' own never shortens an import's plan
    await import_orders(replace(svc, planning=replace(FAST, bulk_deadline=0.2)), SYSTEM,
                        read_csv(HEADER + "SO-2,ACME,P01,100,2026-12-05,,\n"))
    assert seen[-1] == 0.5


async def test_a_bad_row_rejects_the_whole_file_and_writes_nothing() -> None:
    svc, uow = await factory_services()
    before = uow.commits
    table = read_csv(HEADER + "SO-1,ACME,P01,100,2026-12-05,,\nSO-2,ACME,P01,0,2026-12-05,,\n")
    with pytest.raises(ImportRejected) as info:
        await import_orders(svc, SYSTEM, table)
    assert codes(list(info.value.errors)) == [(3, "quantity", "quantity_not_positive")]
    assert info.value.code == "import_rejected" and info.value.params == {"kind": "orders", "count": 1}
    assert uow.commits == before
    async with uow() as tx:
        assert await tx.orders.get("SO-1") is None and await tx.plans.current() is None


async def test_an_order_already_in_the_database_is_a_duplicate() -> None:
    svc, _ = await factory_services()
    await import_orders(svc, SYSTEM, read_csv(HEADER + "SO-1,ACME,P01,100,2026-12-05,,\n"))
    with pytest.raises(ImportRejected) as info:
        await import_orders(svc, SYSTEM, read_csv(HEADER + "so 1,ACME,P01,100,2026-12-05,,\n"))
    assert codes(list(info.value.errors)) == [(2, "ref", "duplicate_order")]


async def test_only_admins_and_managers_import() -> None:
    svc, _ = await factory_services()
    sales = Actor(5, Role.SALES, username="sales.li")
    with pytest.raises(PermissionDenied):
        await import_orders(svc, sales, read_csv(HEADER + "SO-1,ACME,P01,100,2026-12-05,,\n"))


async def test_master_data_imports_in_order_calendars_machines_routings() -> None:
    uow = FakeUnitOfWorkFactory()
    svc = Services(uow, lambda: NOW, planning=FAST)
    r = await import_calendars(svc, SYSTEM, read_csv("calendar,weekday,start,end\nday,1-6,08:00,16:00\n"))
    assert r.names == ("day",) and r.plan_version is None  # nothing to re-plan yet
    r = await import_machines(svc, SYSTEM, read_csv("machine,group,calendar\nCUT-1,CUT,day\nCUT-2,CUT,day\n"))
    assert r.names == ("CUT-1", "CUT-2")
    r = await import_routings(svc, SYSTEM, read_csv(ROUTING_HEADER + "X1,1,Cutting,CUT-1,10,1\nX1,1,Cutting,CUT-2,10,1.2\n"))
    assert r.names == ("X1",)
    async with uow() as tx:
        assert set(await tx.master.calendars()) == {"day"}
        assert [m.id for m in await tx.master.machines()] == ["CUT-1", "CUT-2"]
        assert len((await tx.master.routings())["X1"].steps[0].alternatives) == 2
    before = uow.commits
    with pytest.raises(ImportRejected):
        await import_machines(svc, SYSTEM, read_csv("machine,group,calendar\nCUT-3,CUT,nights\n"))
    assert uow.commits == before


async def test_export_then_import_into_an_empty_database_gives_the_same_orders() -> None:
    svc, first_uow = await factory_services()
    text = (HEADER.strip() + ",material_ready\nSO-1,<ACME>,P01,100,2026-12-05,yes,sales.li,2026-12-01\n"
            "SO-2,华鑫汽车,P01,50,2026-12-04 12:30,,,\n")
    await import_orders(svc, SYSTEM, read_csv(text))
    exported = write_csv(await export_orders(svc, SYSTEM))
    assert exported.splitlines()[0] == HEADER.strip() + ",material_ready"

    other, other_uow = await factory_services()
    await import_orders(other, SYSTEM, read_csv(exported))

    async def orders(u: FakeUnitOfWorkFactory) -> list[OrderRecord]:
        async with u() as tx:
            return sorted(await tx.orders.list(), key=lambda r: r.ref)

    first, second = await orders(first_uow), await orders(other_uow)
    assert [(r.order, r.sales) for r in first] == [(r.order, r.sales) for r in second]
    assert first[0].order.customer == "＜ACME＞"
    assert second[1].order.due == datetime(2026, 12, 4, 4, 30, tzinfo=UTC)
    assert second[0].order.release == datetime(2026, 12, 1, tzinfo=TZ) and second[1].order.release is None


def test_export_dates_are_factory_time_text() -> None:
    row: list[Cell] = ["SO-1", "A", "P01", 5, datetime(2026, 12, 5, 10, 0, tzinfo=UTC).astimezone(TZ), False, ""]
    assert write_csv([row]) == "SO-1,A,P01,5,2026-12-05 18:00,no,\n"
    assert parse_due("2026-12-05 18:00", TZ) - datetime(2026, 12, 5, 10, 0, tzinfo=UTC) == timedelta(0)


def test_a_factorys_own_order_numbers_are_kept() -> None:
    text = HEADER + "wo778,ACME,P01,10,2026-12-05,,\nXS-20261127001,ACME,P01,10,2026-12-05,,\n1042,ACME,P01,5,2026-12-05,,\n"
    records, errors = validate_orders(read_csv(text), CTX)
    assert errors == [] and [r.order.ref for r in records] == ["WO-778", "XS-20261127001", "SO-1042"]
    dup = HEADER + "wo778,ACME,P01,10,2026-12-05,,\nWO-778,ACME,P01,10,2026-12-05,,\n"
    assert codes(validate_orders(read_csv(dup), CTX)[1]) == [(3, "ref", "duplicate_ref_in_file")]
