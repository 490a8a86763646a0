"""The Gantt chart: a PNG of the asked size for a small hand-built plan, in zh and en."""

from __future__ import annotations

import struct
import warnings
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduler_core.domain.calendar import TWO_SHIFTS, Downtime
from scheduler_core.domain.cause import LateCause
from scheduler_core.domain.schedule import PlannedOp, Schedule
from scheduler_core.reports.gantt import _segments, find_cjk_font, gantt_png, order_colour, picture_translator
from scheduler_core.reports.i18n import Tr, translator
from scheduler_core.services.planning import OrderEta

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 3, 5, 9, 30, tzinfo=TZ)  # a Wednesday, in the day shift
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def at(hours: float) -> datetime:
    return NOW + timedelta(hours=hours)


def op(ref: str, step: int, machine: str, start: float, end: float) -> PlannedOp:
    return PlannedOp(ref, step, f"step {step + 1}", machine, at(start), at(end), 100, int((end - start) * 60))


SCHEDULE = Schedule(
    ops=(
        op("SO-1", 0, "CUT-1", 0, 3),
        op("SO-1", 1, "CNC-1", 3, 9),
        op("SO-2", 0, "CUT-1", 3, 20),  # runs through the night: 00:00-08:00 is off shift
        op("SO-2", 1, "CNC-2", 24, 30),
        op("SO-3", 0, "CNC-1", 9, 12),
    ),
    created=NOW,
    method="cpsat",
    status="optimal",
)
ETAS = (
    OrderEta("SO-2", "华鑫汽车", "P01", 100, at(20), at(30), timedelta(hours=10), True, False,
             LateCause("bottleneck", "CUT-1", ("SO-1",))),
    OrderEta("SO-1", "ACME Tools", "P02", 100, at(24), at(9), timedelta(0), False, False, None),
    OrderEta("SO-3", "Delta Valves", "P02", 50, at(24), at(12), timedelta(0), True, True, None),
)
MACHINES = ("CUT-1", "CNC-1", "CNC-2")


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == PNG_MAGIC
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk comes first
    return width, height


@pytest.mark.parametrize("lang", ["zh_Hans", "en"])
def test_gantt_is_a_png_of_1600_by_900(lang: str) -> None:
    png = gantt_png(SCHEDULE, ETAS, tr=translator(lang), machines=MACHINES,
                    downtime=(Downtime("CNC-2", at(-1), at(10), "spindle fault"),))
    assert png_size(png) == (1600, 900)


def test_gantt_with_calendars_window_and_open_downtime() -> None:
    png = gantt_png(
        SCHEDULE, ETAS, tr=translator("en"), machines=MACHINES,
        downtime=(Downtime("CNC-1", at(2), None),),
        calendars={m: TWO_SHIFTS for m in MACHINES},
        start=at(-2), days=1.5, title=lambda _: "Line 1", size=(800, 450),
    )
    assert png_size(png) == (800, 450)


def test_gantt_of_an_empty_plan_still_draws() -> None:
    png = gantt_png(Schedule((), NOW), (), tr=translator("zh_Hans"), machines=MACHINES)
    assert png_size(png) == (1600, 900)


def test_chinese_labels_fall_back_to_english_without_a_cjk_font() -> None:
    zh = translator("zh_Hans")
    assert picture_translator(zh, None).lang == "en"
    assert picture_translator(zh, "WenQuanYi Micro Hei") is zh
    assert picture_translator(translator("en"), None).lang == "en"


def test_the_title_is_made_in_the_pictures_language(monkeypatch: pytest.MonkeyPatch) -> None:
    import scheduler_core.reports.gantt as gantt

    asked: list[str] = []

    def title(t: Tr) -> str:
        asked.append(t.lang)
        return t.gettext("Production plan")

    monkeypatch.setattr(gantt, "find_cjk_font", lambda: None)  # a machine without a CJK font
    gantt_png(SCHEDULE, ETAS, tr=translator("zh_Hans"), machines=MACHINES, title=title, size=(400, 300))
    monkeypatch.setattr(gantt, "find_cjk_font", lambda: "DejaVu Sans")  # as if it were one
    with warnings.catch_warnings():  # it is not: matplotlib says which glyphs it lacks
        warnings.simplefilter("ignore")
        gantt_png(SCHEDULE, ETAS, tr=translator("zh_Hans"), machines=MACHINES, title=title, size=(400, 300))
    assert asked == ["en", "zh_Hans"]  # never Chinese words in a picture that cannot show them


def test_found_cjk_font_really_has_chinese_glyphs() -> None:
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    family = find_cjk_font()
    if family is None:
        pytest.skip("no CJK font installed (CI installs fonts-wqy-microhei); the English fallback runs")
    path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    assert ord("排") in FT2Font(path).get_charmap()


def test_order_colour_is_stable_and_differs_between_orders() -> None:
    assert order_colour("SO-1012") == order_colour("SO-1012")
    assert len({order_colour(f"SO-{1000 + i}") for i in range(40)}) > 10


def test_an_operation_is_drawn_as_its_working_pieces() -> None:
    assert _segments(2.0, 20.0, [(0.0, 14.5), (22.5, 38.5)]) == [(2.0, 14.5)]
    assert _segments(2.0, 30.0, [(0.0, 14.5), (22.5, 38.5)]) == [(2.0, 14.5), (22.5, 30.0)]
    assert _segments(2.0, 5.0, None) == [(2.0, 5.0)]
    assert _segments(15.0, 16.0, [(0.0, 14.5)]) == [(15.0, 16.0)]  # outside the calendar: drawn whole


def test_bar_labels_leave_out_the_letters_of_a_reference_only() -> None:
    from scheduler_core.reports.gantt import _short_ref

    assert [_short_ref(r) for r in ("SO-1012", "PO-2026-42", "X1", "12-3")] == ["1012", "2026-42", "X1", "12-3"]
