"""``paichan import`` / ``paichan export`` end to end on a SQLite file: master data and orders
from CSV and XLSX, every bad row printed in the user's language, nothing written on error
(the P7 corpus: row counts before and after), and an export that imports back unchanged."""

from __future__ import annotations

import io
import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook

from bot.cli import build_parser

CALENDARS = "calendar,weekday,start,end\ntwo-shifts,mon-sat,08:00,16:00\ntwo-shifts,1-6,16:00,24:00\ntwo-shifts,holiday,2026-10-01,\n"
MACHINES = "设备,设备组,日历\nCUT-1,CUT,two-shifts\nCNC-1,CNC,two-shifts\nCNC-2,CNC,two-shifts\n"
ROUTINGS = (
    "product,step,step_name,machine,setup_min,per_unit_min\n"
    "PH-100,1,Cutting,CUT-1,15,0.5\nPH-100,2,CNC machining,CNC-1,30,1.0\nPH-100,2,CNC machining,CNC-2,30,1.2\n"
    "BR-1,1,Cutting,CUT-1,10,0.2\n"
)


def day(n: int) -> str:
    return (date.today() + timedelta(days=n)).isoformat()


def orders_csv() -> str:
    return (
        "ref,customer,product,quantity,promised_date,vip,sales\n"
        f"SO-2001,ACME Tools,PH-100,120,{day(20)},yes,\n"
        f"SO-2002,华鑫汽车,BR-1,300,{day(25)} 12:00,,\n"
        f"SO-2003,<Bolt & Nut>,PH-100,40,{day(30)},否,\n"
    )


def run(env: dict[str, str], *argv: str) -> tuple[int, str, str]:
    args = build_parser().parse_args(list(argv))
    out, err = io.StringIO(), io.StringIO()
    rc = args.func(args, env=env, out=out, err=err)
    return rc, out.getvalue(), err.getvalue()


def make_env(path: Path) -> dict[str, str]:
    return {"PAICHAN_DATABASE_URL": f"sqlite+aiosqlite:///{path}", "PAICHAN_PLAN_DEADLINE": "0.5", "LANG": "C"}


def row_counts(db: Path) -> dict[str, int]:
    con = sqlite3.connect(db)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        con.close()


def write(tmp: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    p = tmp / name
    p.write_text(text, encoding=encoding)
    return p


@pytest.fixture
def factory_db(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """A database with calendars, machines and routings imported through the CLI."""
    db = tmp_path / "paichan.db"
    env = make_env(db)
    said = {}
    for kind, text in (("calendars", CALENDARS), ("machines", MACHINES), ("routings", ROUTINGS)):
        rc, said[kind], err = run(env, "import", kind, str(write(tmp_path, f"{kind}.csv", text)), "--lang", "en")
        assert rc == 0, err
    # rows read and what they made: a calendar or a product's routing spans several rows
    rows = {kind: len([line for line in text.strip().splitlines()[1:] if line.strip()])
            for kind, text in (("calendars", CALENDARS), ("routings", ROUTINGS))}
    assert f"Imported {rows['calendars']} rows from " in said["calendars"] and ": 1 calendar." in said["calendars"]
    assert f"Imported {rows['routings']} rows from " in said["routings"]
    assert ": the routings of 2 products." in said["routings"]
    return env, db


def test_master_data_then_orders_import_and_replan(factory_db: tuple[dict[str, str], Path], tmp_path: Path) -> None:
    env, db = factory_db
    counts = row_counts(db)
    assert (counts["calendars"], counts["machines"], counts["products"], counts["routing_alternatives"]) == (1, 3, 2, 4)
    rc, out, err = run(env, "import", "orders", str(write(tmp_path, "orders.csv", orders_csv())), "--lang", "en")
    assert rc == 0, err
    assert "Imported 3 rows from " in out and ": 3 orders." in out
    assert "Re-planned: plan version 1, 0 orders late." in out
    assert row_counts(db)["orders"] == 3 and row_counts(db)["plan_versions"] == 1
    rc, out, _ = run(env, "import", "orders", str(write(tmp_path, "more.csv", orders_csv().replace("SO-20", "SO-30"))),
                     "--lang", "zh")
    assert rc == 0 and "已从" in out and "导入 3 行：3 个订单。" in out and "计划版本 2" in out


def test_orders_from_an_xlsx_sheet_with_chinese_headers(factory_db: tuple[dict[str, str], Path], tmp_path: Path) -> None:
    env, db = factory_db
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["订单号", "客户", "产品", "数量", "交期", "VIP"])
    due = datetime.combine(date.today() + timedelta(days=20), datetime.min.time())
    ws.append([2101, "华鑫汽车", "PH-100", 120, due, "是"])
    ws.append(["SO-2102", "ACME", "BR-1", 50.0, f"{day(21)} 10:00", None])
    path = tmp_path / "orders.xlsx"
    wb.save(path)
    rc, _out, err = run(env, "import", "orders", str(path), "--lang", "en")
    assert rc == 0, err
    assert row_counts(db)["orders"] == 2


def test_every_bad_row_is_printed_in_chinese_and_nothing_is_written(factory_db: tuple[dict[str, str], Path],
                                                                    tmp_path: Path) -> None:
    env, db = factory_db
    text = orders_csv() + f"SO-2004,ACME,PH-100,0,{day(5)},,\nSO-2005,,XX,abc,12/5/2026,,\nSO-2001,ACME,PH-100,5,2020-01-01,,\n"
    before = row_counts(db)
    rc, out, err = run(env, "import", "orders", str(write(tmp_path, "bad.csv", text)), "--lang", "zh")
    assert rc == 1 and out == ""
    lines = err.splitlines()
    assert lines == [
        "第 5 行，quantity 列：数量至少为 1（收到的是 0）。",
        "第 6 行，customer 列：此项必填。",
        "第 6 行，product 列：未知产品 XX。",
        "第 6 行，quantity 列：abc 不是整数。",
        "第 6 行，promised_date 列：12/5/2026 有歧义（月/日还是日/月？）：请写成 2026-12-05。",
        "第 7 行，ref 列：订单 SO-2001 在文件中重复出现（首次在第 2 行）。",
        "第 7 行，promised_date 列：交期 2020年1月1日 18:00 已经过去。",
        "文件中有 7 处问题，未导入任何数据。",
    ]
    assert row_counts(db) == before
    rc, _, err = run(env, "import", "orders", str(tmp_path / "bad.csv"), "--lang", "en")
    assert rc == 1 and err.splitlines()[0] == "line 5, column quantity: The quantity must be at least 1 (got 0)."
    assert err.splitlines()[-1] == "7 problems in the file; nothing was imported."


def test_a_gb18030_csv_from_chinese_excel_is_read(factory_db: tuple[dict[str, str], Path], tmp_path: Path) -> None:
    env, _db = factory_db
    text = f"订单号,客户,产品,数量,交期\nSO-2201,华鑫汽车,PH-100,10,{day(10)}\nSO-2202,长江水泵,PH-100,十,{day(10)}\n"
    rc, _, err = run(env, "import", "orders", str(write(tmp_path, "gbk.csv", text, "gb18030")), "--lang", "zh")
    assert rc == 1 and "第 3 行，数量 列：十 不是整数。" in err


# --- the P7 corpus: bad input of every kind -> a clear error, exit 1, nothing changed --------
def _not_a_zip(tmp: Path) -> Path:
    p = tmp / "orders.xlsx"
    p.write_bytes(b"this is not a workbook")
    return p


def _binary(tmp: Path) -> Path:
    p = tmp / "orders.csv"
    p.write_bytes(b"\x00\x01\x02\xff\xfe" * 50)
    return p


CORPUS: list[tuple[str, str, str, str]] = [
    # (kind, file name, content, a fragment of the English error)
    ("orders", "empty.csv", "", "The file is empty."),
    ("orders", "header.csv", "ref,customer,product,quantity,promised_date\n", "header but no rows"),
    ("orders", "cols.csv", "ref,customer,product\nSO-1,A,PH-100\n", "Column quantity is missing."),
    ("orders", "unknown_col.csv", "ref,customer,product,qantity,promised_date\n", "Unknown column qantity."),
    ("orders", "huge.csv", f"ref,customer,product,quantity,promised_date\nSO-1,A,PH-100,99999999,{day(9)}\n",
     "more than the limit of 1,000,000"),
    ("orders", "neg.csv", f"ref,customer,product,quantity,promised_date\nSO-1,A,PH-100,-3,{day(9)}\n", "at least 1"),
    ("orders", "ctrl.csv", f"ref,customer,product,quantity,promised_date\nSO-1,A\x1bB,PH-100,3,{day(9)}\n",
     "control character (U+001B)"),
    ("orders", "ref.csv", f"ref,customer,product,quantity,promised_date\n'; DROP TABLE orders;--,A,PH-100,3,{day(9)}\n",
     "is not an order number"),
    ("orders", "long.csv", f"ref,customer,product,quantity,promised_date\nSO-1,{'x' * 300},PH-100,3,{day(9)}\n",
     "longer than 200 characters"),
    ("orders", "product.csv", f"ref,customer,product,quantity,promised_date\nSO-1,A,PH-999,3,{day(9)}\n",
     "Unknown product PH-999."),
    ("orders", "quote.csv", 'ref,customer,product,quantity,promised_date\nSO-1,"A,PH-100,3\n', "line 2"),
    ("routings", "r.csv", "product,step,step_name,machine,setup_min,per_unit_min\nX,1,Cut,NOPE,1,1\n",
     "Unknown machine NOPE."),
    ("routings", "r2.csv", "product,step,step_name,machine,setup_min,per_unit_min\nPH-100,1,Cut,CUT-1,1,1\n",
     "the number of steps cannot change"),
    ("machines", "m.csv", "machine,group,calendar\nX-1,X,nights\n", "Unknown calendar nights"),
    ("calendars", "c.csv", "calendar,weekday,start,end\nday,1,08:00,16:00\nday,1,12:00,20:00\n", "overlaps"),
    ("calendars", "c2.csv", "calendar,weekday,start,end\nday,someday,08:00,16:00\n", "is not a weekday"),
    ("orders", "orders.json", "{}", "use a .csv or .xlsx file"),
]


@pytest.mark.parametrize(("kind", "name", "content", "fragment"), CORPUS, ids=[c[1] for c in CORPUS])
def test_bad_input_gives_a_clear_error_and_changes_nothing(factory_db: tuple[dict[str, str], Path], tmp_path: Path,
                                                           kind: str, name: str, content: str, fragment: str) -> None:
    env, db = factory_db
    # an open order on PH-100, so that its routing is in use
    rc, _, err = run(env, "import", "orders", str(write(tmp_path, "seed.csv", orders_csv())), "--lang", "en")
    assert rc == 0, err
    before = row_counts(db)
    rc, out, err = run(env, "import", kind, str(write(tmp_path, name, content)), "--lang", "en")
    assert rc == 1
    assert fragment in err and "Traceback" not in err and out == ""
    assert row_counts(db) == before


@pytest.mark.parametrize("make", [_not_a_zip, _binary, lambda tmp: tmp / "missing.csv"])
def test_unreadable_files_give_a_clear_error(factory_db: tuple[dict[str, str], Path], tmp_path: Path, make) -> None:
    env, db = factory_db
    before = row_counts(db)
    for lang, words in (("en", ("Cannot read", "is not a text")), ("zh", ("无法读取", "无法将", "不是文本"))):
        rc, _out, err = run(env, "import", "orders", str(make(tmp_path)), "--lang", lang)
        assert rc == 1 and any(w in err for w in words), err
    assert row_counts(db) == before


# --- export ---------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_then_import_into_an_empty_database_gives_the_same_orders(
        factory_db: tuple[dict[str, str], Path], tmp_path: Path, suffix: str) -> None:
    env, _ = factory_db
    assert run(env, "import", "orders", str(write(tmp_path, "orders.csv", orders_csv())), "--lang", "en")[0] == 0
    exported = tmp_path / f"export{suffix}"
    rc, out, err = run(env, "export", "orders", str(exported), "--lang", "en")
    assert rc == 0 and "Exported 3 orders" in out, err

    fresh = tmp_path / "fresh"
    fresh.mkdir()
    env2 = make_env(fresh / "paichan.db")
    for kind, text in (("calendars", CALENDARS), ("machines", MACHINES), ("routings", ROUTINGS)):
        assert run(env2, "import", kind, str(write(fresh, f"{kind}.csv", text)), "--lang", "en")[0] == 0
    rc, _, err = run(env2, "import", "orders", str(exported), "--lang", "en")
    assert rc == 0, err

    again = tmp_path / "again.csv"
    assert run(env2, "export", "orders", str(again))[0] == 0
    original = tmp_path / "original.csv"
    assert run(env, "export", "orders", str(original))[0] == 0
    assert again.read_text(encoding="utf-8-sig") == original.read_text(encoding="utf-8-sig")
    assert "＜Bolt & Nut＞" in original.read_text(encoding="utf-8-sig")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_routings_export_to_be_named_and_imported_back(factory_db: tuple[dict[str, str], Path], tmp_path: Path,
                                                       suffix: str) -> None:
    """The way to name products: export the routings, fill in product_name, import them again."""
    env, db = factory_db
    exported = tmp_path / f"routings{suffix}"
    rc, out, err = run(env, "export", "routings", str(exported), "--lang", "en")
    assert rc == 0 and "Exported the routings of 2 products" in out, err
    if suffix == ".xlsx":
        from openpyxl import load_workbook
        rows = [[("" if c is None else str(c)) for c in row] for row in load_workbook(exported).active.iter_rows(values_only=True)]
    else:
        import csv
        rows = list(csv.reader(io.StringIO(exported.read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["product", "step", "step_name", "machine", "setup_min", "per_unit_min", "product_name"]
    assert rows[1:] == [["BR-1", "1", "Cutting", "CUT-1", "10", "0.2", ""],
                        ["PH-100", "1", "Cutting", "CUT-1", "15", "0.5", ""],
                        ["PH-100", "2", "CNC machining", "CNC-1", "30", "1", ""],
                        ["PH-100", "2", "CNC machining", "CNC-2", "30", "1.2", ""]]
    named = "\n".join(",".join([*row[:6], {"BR-1": "支架", "PH-100": "Pump housing"}.get(row[0], "product_name")])
                      for row in rows) + "\n"
    before = row_counts(db)
    rc, out, err = run(env, "import", "routings", str(write(tmp_path, "named.csv", named)), "--lang", "en")
    assert rc == 0, err
    assert row_counts(db)["routing_alternatives"] == before["routing_alternatives"]  # the same steps, named
    con = sqlite3.connect(db)
    try:
        assert dict(con.execute("SELECT name, label FROM products").fetchall()) == {"BR-1": "支架",
                                                                                   "PH-100": "Pump housing"}
    finally:
        con.close()
    rc, out, err = run(env, "export", "routings", str(tmp_path / "again.csv"))
    assert (tmp_path / "again.csv").read_text(encoding="utf-8-sig").splitlines()[1:] == named.splitlines()[1:]


def test_a_factory_from_files_as_an_erp_and_a_spreadsheet_write_them(tmp_path: Path) -> None:
    """Headers as exports write them, extra columns, a 12-hour clock, a machine group for a step,
    operations numbered 10 and 20, a unit beside a quantity, a month by name, a date cell written
    out at midnight, order numbers in groups: all imported, planned and found."""
    env = make_env(tmp_path / "erp.db")
    files = {
        "calendars": "Calendar,Weekday,Start,End\nday,Mon-Fri,8:00 AM,12:00 PM\nday,Mon-Fri,1:00 PM,5:00 PM\n",
        "machines": "Machine ID,Machine Group,Shift Calendar,Machine Name\nLAS-1,LASER,day,Laser 1\nLAS-2,LASER,day,Laser 2\n"
                    "BND-1,BEND,day,Press brake\n",
        "routings": "Part Number,Operation,Operation Name,Work Center,Setup Time (min),Run Time (min),Description,Notes\n"
                    "BRK-100,10,Laser cut,LASER,15,0.5,Bracket,\nBRK-100,20,Bend,BND-1,20,0.8,Bracket,check angle\n",
        "orders": "Order No.,Customer Name,Part Number,Order Qty,Delivery Date,Unit Price,Remarks\n"
                  f'PO-2026-0101,ACME Tools,BRK-100,200 pcs,"{date.today() + timedelta(days=30):%b} 20, '
                  f'{(date.today() + timedelta(days=30)).year}",2.40,\n'
                  f"PO-2026-0102,Globex,BRK-100,120,{day(40)} 00:00:00,2.40,rush?\n",
    }
    said = {}
    for kind, text in files.items():
        rc, out, err = run(env, "import", kind, str(write(tmp_path, f"{kind}.csv", text)), "--lang", "en")
        assert rc == 0, (kind, err)
        said[kind] = out
    assert "Columns left out (none of ours): Notes." in said["routings"]
    assert "Columns left out (none of ours): Unit Price and Remarks." in said["orders"]
    db = sqlite3.connect(tmp_path / "erp.db")
    try:
        alternatives = db.execute("SELECT count(*) FROM routing_alternatives").fetchone()[0]
        refs = sorted(r[0] for r in db.execute("SELECT ref FROM orders"))
    finally:
        db.close()
    assert refs == ["PO-2026-101", "PO-2026-102"]
    assert alternatives == 3  # the laser step on both lasers, the bend on the press brake
    rc, out, err = run(env, "status", "PO-2026-0102", "--lang", "en")
    assert rc == 0, err
    assert "Product BRK-100 × 120" in out and "Laser cut" in out and "Bend" in out
    assert f"Promised: {(date.today() + timedelta(days=40)):%b} " in out and ", 18:00" in out.split("Promised:")[1]
