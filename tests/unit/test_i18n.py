"""Translations, locale formats and the plain-text plan: catalogs complete, zh and en readable."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from scheduler_core.domain.cause import LateCause
from scheduler_core.reports.i18n import (
    DOMAIN,
    LANGS,
    Lang,
    catalog_path,
    placeholders,
    resolve_lang,
    translator,
)
from scheduler_core.reports.text import (
    display_width,
    render_cause,
    render_cause_short,
    render_plan_table,
    render_plan_totals,
)
from scheduler_core.services.planning import OrderEta

ROOT = Path(__file__).resolve().parents[2]
SOURCE_PACKAGES = ("scheduler_core", "bot", "handlers", "jobs", "db")
KEYWORDS = {"gettext": None, "ngettext": (1, 2), "N_": None, "_": None}  # _: the web app's templates
TZ = ZoneInfo("Asia/Shanghai")
WED_2PM = datetime(2025, 3, 5, 14, 0, tzinfo=TZ)

Message = str | tuple[str, ...]  # a msgid, or (singular, plural)


def forms(value: object) -> tuple[str, ...]:
    """A catalog id or string as a tuple of its forms (one, or one per plural form)."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    assert isinstance(value, list | tuple)
    return tuple(str(v) for v in value)


# --- the catalog checks ------------------------------------------------------------------
def messages_in_code() -> dict[Message, str]:
    """Every message passed to gettext / ngettext / N_ in the application, with where."""
    found: dict[Message, str] = {}
    for package in SOURCE_PACKAGES:
        folder = ROOT / package
        if not folder.is_dir():
            continue
        for filename, lineno, message, _comments, _context in extract_from_dir(
            folder, method_map=[("**.py", "python"), ("**/templates/**.html", "jinja2")], keywords=KEYWORDS,
            options_map={"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}},
        ):
            found.setdefault(message if isinstance(message, str) else tuple(message), f"{package}/{filename}:{lineno}")
    return found


def load_catalog(lang: Lang) -> Catalog:
    with catalog_path(lang).open("rb") as f:
        return read_po(f, locale=lang, domain=DOMAIN, abort_invalid=True)  # a broken entry fails


def untranslated(used: Iterable[Message], catalog: Catalog) -> list[str]:
    """Messages of ``used`` without a complete, non-empty translation in ``catalog``."""
    problems = []
    for message in used:
        msgid = forms(message)[0]
        entry = catalog.get(msgid)
        strings = () if entry is None else forms(entry.string)
        if entry is None or entry.fuzzy or not strings or not all(s.strip() for s in strings):
            problems.append(msgid)
    return problems


def placeholder_mismatches(catalog: Catalog) -> list[str]:
    """Messages whose translation names other ``{fields}`` than the source."""
    bad = []
    for entry in catalog:
        if not entry.id:
            continue
        ids, strings = forms(entry.id), forms(entry.string)
        expected = placeholders(ids[-1])  # the plural source names every field, {n} included
        for s in strings:
            if s and placeholders(s) != expected:
                bad.append(f"{ids[0]!r}: {sorted(placeholders(s))} != {sorted(expected)}")
    return bad


def test_the_extraction_sees_the_messages_of_reports_and_cli() -> None:
    used = messages_in_code()
    assert "Order" in used
    assert ("{n} order", "{n} orders") in used
    assert "optimal" in used  # marked with N_ and translated later
    assert any(where.startswith("bot/") for where in used.values())
    assert "Wrong username or password." in used  # the web app's Python
    assert "Log in" in used  # ... and its templates


def test_every_message_in_code_has_a_chinese_translation() -> None:
    missing = untranslated(messages_in_code(), load_catalog("zh_Hans"))
    assert not missing, f"add zh_Hans translations for: {missing}"


def test_the_check_catches_a_missing_or_empty_translation() -> None:
    catalog = Catalog(locale="zh_Hans", domain=DOMAIN)
    catalog.add("Order", "订单")
    catalog.add("Customer", "")
    catalog.add(("{n} order", "{n} orders"), ("",))
    used: list[Message] = ["Order", "Customer", "Due", ("{n} order", "{n} orders")]
    assert untranslated(used, catalog) == ["Customer", "Due", "{n} order"]


def test_translations_keep_the_placeholders_of_the_source() -> None:
    for lang in LANGS:
        assert placeholder_mismatches(load_catalog(lang)) == []


def test_the_placeholder_check_catches_a_renamed_field() -> None:
    catalog = Catalog(locale="zh_Hans", domain=DOMAIN)
    catalog.add("Queue at {machine}", "{mach} 排队")
    assert len(placeholder_mismatches(catalog)) == 1


def test_catalogs_hold_no_stale_messages_and_the_same_ones() -> None:
    used = {forms(m)[0] for m in messages_in_code()}
    zh = {forms(e.id)[0] for e in load_catalog("zh_Hans") if e.id}
    en = {forms(e.id)[0] for e in load_catalog("en") if e.id}
    assert zh == en
    assert zh - used == set(), "messages no longer used: remove them from the catalogs"


def test_translator_compiles_the_catalogs_in_memory() -> None:
    zh, en = translator("zh_Hans"), translator("en")
    assert zh.gettext("Order") == "订单"
    assert en.gettext("Order") == "Order"
    assert zh.gettext("Queue at {machine}", machine="CNC-2") == "CNC-2 排队"
    assert en.ngettext("{n} order", "{n} orders", 1) == "1 order"
    assert en.ngettext("{n} order", "{n} orders", 1200) == "1,200 orders"
    assert zh.ngettext("{n} order", "{n} orders", 3) == "3 个订单"
    assert translator("zh_Hans") is zh  # cached


# --- resolve_lang ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("explicit", "env", "expected"),
    [
        ("zh", {}, "zh_Hans"),
        ("zh_CN", {}, "zh_Hans"),
        ("zh-Hans", {}, "zh_Hans"),
        ("zh-Hans-CN", {}, "zh_Hans"),
        ("cn", {}, "zh_Hans"),
        ("ZH_tw", {}, "zh_Hans"),
        ("en", {"LANG": "zh_CN.UTF-8"}, "en"),
        ("en_US", {}, "en"),
        ("en-GB", {}, "en"),
        (None, {}, "en"),
        (None, {"LANG": "zh_CN.UTF-8"}, "zh_Hans"),
        (None, {"LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8"}, "zh_Hans"),
        (None, {"LC_ALL": "en_US.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8"}, "en"),
        (None, {"LC_ALL": "C", "LANG": "zh_CN.UTF-8"}, "en"),
        (None, {"LC_ALL": "", "LANG": "zh_SG.GB2312"}, "zh_Hans"),
        (None, {"LANG": "fr_FR.UTF-8"}, "en"),
        (None, {"LANGUAGE": "fr:zh_CN", "LANG": "en_US.UTF-8"}, "zh_Hans"),
        (None, {"LANGUAGE": "fr", "LANG": "zh_CN.UTF-8"}, "zh_Hans"),
        ("", {"LANG": "zh_CN.UTF-8"}, "zh_Hans"),
    ],
)
def test_resolve_lang(explicit: str | None, env: dict[str, str], expected: str) -> None:
    assert resolve_lang(explicit, env) == expected


def test_resolve_lang_rejects_an_explicit_language_without_catalog() -> None:
    with pytest.raises(ValueError, match="fr"):
        resolve_lang("fr", {"LANG": "zh_CN.UTF-8"})


# --- formats ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("delta", "en", "zh"),
    [
        (timedelta(days=2, hours=3), "2 days 3 hours", "2天3小时"),
        (timedelta(hours=3, minutes=20), "3 hours 20 minutes", "3小时20分钟"),
        (timedelta(minutes=45), "45 minutes", "45分钟"),
        (timedelta(days=1), "1 day", "1天"),
        (timedelta(hours=1, seconds=20), "1 hour", "1小时"),
        (timedelta(days=1, hours=23, minutes=40), "2 days", "2天"),  # rounds to hours, then carries
        (timedelta(0), "0 minutes", "0分钟"),
        (timedelta(hours=-5), "-5 hours", "-5小时"),
    ],
)
def test_duration_in_both_languages(delta: timedelta, en: str, zh: str) -> None:
    assert translator("en").duration(delta) == en
    assert translator("zh_Hans").duration(delta) == zh


def test_narrow_duration_for_tables() -> None:
    assert translator("en").duration(timedelta(days=2, hours=3), style="narrow") == "2d 3h"
    assert translator("zh_Hans").duration(timedelta(days=2, hours=3), style="narrow") == "2天3小时"
    assert translator("en").duration(timedelta(days=2, hours=3, minutes=5), parts=3) == "2 days 3 hours 5 minutes"


def test_dates_are_shown_in_the_datetimes_own_zone_on_a_24_hour_clock() -> None:
    en, zh = translator("en"), translator("zh_Hans")
    assert en.datetime(WED_2PM) == "Mar 5, 2025, 14:00"
    assert zh.datetime(WED_2PM) == "2025年3月5日 14:00"
    assert en.datetime(WED_2PM.astimezone(ZoneInfo("UTC"))) == "Mar 5, 2025, 06:00"
    assert en.date(WED_2PM) == "Mar 5, 2025"
    assert zh.date(WED_2PM, year=False) == "3月5日周三"
    assert en.weekday_time(WED_2PM) == "Wed 14:00"
    assert zh.weekday_time(WED_2PM) == "周三14:00"


def test_compact_dates_show_the_year_only_far_from_now() -> None:
    """A month and a day name one date within half a year of now, a weekday within a week."""
    en, zh = translator("en").at(WED_2PM), translator("zh_Hans").at(WED_2PM)
    soon, next_week = WED_2PM + timedelta(days=3), WED_2PM + timedelta(days=8)
    next_year, last_year = WED_2PM + timedelta(days=200), WED_2PM - timedelta(days=200)
    assert en.short_datetime(soon) == "Sat, 3/8, 14:00"
    assert en.short_datetime(next_year) == "Sun, 9/21/2025, 14:00"
    assert zh.short_datetime(next_year) == "2025/9/21周日 14:00"
    assert en.short_datetime(last_year) == "Sat, 8/17/2024, 14:00"
    assert en.weekday_time(soon) == "Sat 14:00"
    assert en.weekday_time(next_week) == "Thu, 3/13, 14:00"
    assert zh.weekday_time(next_week) == "3/13周四 14:00"
    assert en.day_label(next_year) == "Sun, Sep 21, 2025"
    assert zh.date(next_year, year=False) == "2025年9月21日周日"
    assert en.date(soon, year=False) == "Sat, Mar 8"
    # without a moment: never a year in the compact forms
    assert translator("en").short_datetime(next_year) == "Sun, 9/21, 14:00"


def test_numbers_percent_and_lists() -> None:
    en, zh = translator("en"), translator("zh_Hans")
    assert en.number(12345) == "12,345"
    assert en.number(1.26, decimals=1) == "1.3"
    assert en.percent(0.175) == "18%"
    assert zh.percent(0.07) == "7%"
    assert en.listing(["A", "B", "C"]) == "A, B, and C"
    assert zh.listing(["A", "B", "C"]) == "A、B和C"
    assert en.listing(["A", "B", "C", "D"], limit=2) == "A, B, …"
    assert zh.listing(["A", "B", "C", "D"], limit=2) == "A、B等"


# --- causes ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("cause", "en", "zh"),
    [
        (
            LateCause("bottleneck", "CNC-2", ("SO-1012", "SO-1017", "SO-1020", "SO-1033")),
            "Waiting for CNC-2 behind 4 orders (SO-1012, SO-1017, SO-1020, …)",
            "在 CNC-2 排队，前面还有 4 个订单（SO-1012、SO-1017、SO-1020等）",
        ),
        (
            LateCause("bottleneck", "CNC-2", ("SO-1012",)),
            "Waiting for CNC-2 behind 1 order (SO-1012)",
            "在 CNC-2 排队，前面还有 1 个订单（SO-1012）",
        ),
        (LateCause("machine_down", "WLD-1", until=WED_2PM), "Machine WLD-1 is down until Wed 14:00", "设备 WLD-1 停机至周三14:00"),
        (LateCause("machine_down", "WLD-1"), "Machine WLD-1 is down until further notice", "设备 WLD-1 停机，恢复时间待定"),
        (LateCause("inserted_order", "CNC-1", ("SO-1099",)), "Rush order SO-1099 was inserted ahead of it", "插单 SO-1099 排在了它前面"),
        (
            LateCause("inserted_order", "CNC-1", ("SO-1099", "SO-1100")),
            "Rush orders SO-1099 and SO-1100 were inserted ahead of it",
            "插单 SO-1099和SO-1100 排在了它前面",
        ),
        # as a customer reads them: the orders ahead counted, not named
        (
            LateCause("bottleneck", "CNC-2", ("SO-1012", "SO-1017", "SO-1020")).for_customer(),
            "Waiting for CNC-2 behind 3 other orders",
            "在 CNC-2 排队，前面还有 3 个其他订单",
        ),
        (LateCause("inserted_order", "CNC-1", ("SO-1099",)).for_customer(), "A rush order was inserted ahead of it",
         "有插单排在了它前面"),
        (
            LateCause("inserted_order", "CNC-1", ("SO-1099", "SO-1100")).for_customer(),
            "2 rush orders were inserted ahead of it",
            "有 2 个插单排在了它前面",
        ),
        (LateCause("released_late"), "Material is released late", "物料到得晚"),
        (
            LateCause("not_enough_time"),
            "Not enough working time before the promised date even if it ran alone",
            "即使单独生产，承诺交期前的工时也不够",
        ),
    ],
)
def test_causes_in_plain_words(cause: LateCause, en: str, zh: str) -> None:
    assert render_cause(cause, translator("en"), TZ) == en
    assert render_cause(cause, translator("zh_Hans"), TZ) == zh


def test_a_time_in_a_cause_is_in_the_readers_timezone() -> None:
    """A cause read back from a stored plan carries UTC; the reader sees local time."""
    stored = LateCause("machine_down", "WLD-1", until=WED_2PM.astimezone(ZoneInfo("UTC")))
    assert render_cause(stored, translator("en"), TZ) == "Machine WLD-1 is down until Wed 14:00"
    assert render_cause(stored, translator("en"), ZoneInfo("Europe/Berlin")) == "Machine WLD-1 is down until Wed 07:00"
    released = LateCause("released_late", until=WED_2PM.astimezone(ZoneInfo("UTC")))
    assert render_cause(released, translator("zh_Hans"), TZ) == "物料要到周三14:00才齐套"


def test_short_causes_for_the_table() -> None:
    en, zh = translator("en"), translator("zh_Hans")
    assert render_cause_short(LateCause("bottleneck", "CNC-2", ("SO-1",)), en) == "Queue at CNC-2"
    assert render_cause_short(LateCause("machine_down", "WLD-1"), zh) == "WLD-1 停机"
    assert render_cause_short(LateCause("inserted_order", "CNC-1", ("SO-1099", "SO-2")), en) == "Rush SO-1099, … inserted"
    assert render_cause(None, en, TZ) == render_cause_short(None, zh) == ""


# --- the table and the totals ------------------------------------------------------------------
def eta(ref: str, customer: str, *, due_h: float, late_h: float = 0.0, vip: bool = False,
        cause: LateCause | None = None) -> OrderEta:
    due = WED_2PM + timedelta(hours=due_h)
    late = timedelta(hours=late_h)
    ready = due + late if late_h else due - timedelta(hours=5)
    return OrderEta(ref, customer, "P01", 100, due, ready, late, vip, False, cause)


ROWS = (
    eta("SO-1001", "华鑫汽车", due_h=10),
    eta("SO-1002", "ACME Tools", due_h=5, late_h=27, vip=True, cause=LateCause("bottleneck", "CNC-2", ("SO-1001",))),
    eta("SO-1003", "长江水泵制造有限公司", due_h=30, late_h=3, cause=LateCause("machine_down", "WLD-1", until=WED_2PM)),
    eta("SO-1004", "Delta", due_h=2),
)


def column_starts(line: str, cells: Iterable[str]) -> list[int]:
    """Display column where each of ``cells`` starts in ``line`` (searching left to right)."""
    starts, pos = [], 0
    for cell in cells:
        pos = line.index(cell, pos)
        starts.append(display_width(line[:pos]))
        pos += len(cell)
    return starts


@pytest.mark.parametrize("lang", ["zh_Hans", "en"])
def test_table_columns_line_up_with_chinese_text(lang: str) -> None:
    tr = translator(lang)
    lines = render_plan_table(ROWS, tr, tz=TZ).splitlines()
    header, rule, *rows = lines
    assert len(rows) == 4
    expected = column_starts(header, [tr.gettext("Order"), tr.gettext("Customer"), tr.gettext("Due"), tr.gettext("ETA")])
    for row, e in zip(rows, [ROWS[1], ROWS[2], ROWS[3], ROWS[0]], strict=True):
        cells = [e.ref, e.customer, tr.short_datetime(e.due), tr.short_datetime(e.eta)]
        assert column_starts(row, cells) == expected, row
    assert display_width(rule) >= max(display_width(r) for r in rows) - 1


def test_table_shows_latest_first_with_vip_star_and_short_cause() -> None:
    tr = translator("zh_Hans")
    header, _, first, second, third, fourth = render_plan_table(ROWS, tr).splitlines()
    assert header.split()[:3] == ["订单", "客户", "交期"]
    assert first.startswith("SO-1002") and "★" in first and "1天3小时" in first and "CNC-2 排队" in first
    assert second.startswith("SO-1003") and "WLD-1 停机" in second
    assert third.startswith("SO-1004") and "准时" in third  # on time: by promised date
    assert fourth.startswith("SO-1001")


def test_table_limit_says_how_many_are_hidden() -> None:
    lines = render_plan_table(ROWS, translator("en"), limit=2).splitlines()
    assert len(lines) == 2 + 2 + 1
    assert lines[-1] == "… and 2 more orders"
    assert render_plan_table((), translator("en")).splitlines()[-1] == "No open orders."


def test_totals_count_lateness_and_say_how_the_plan_was_made() -> None:
    text = render_plan_totals(ROWS, translator("en"), "optimal", "cpsat", 1.234)
    assert "Open orders      4" in text
    assert "On time          2 (50%)" in text
    assert "Late             2 (50%)" in text
    assert "Total lateness   1 day 6 hours" in text
    assert "Longest delay    1 day 3 hours" in text
    assert "VIP orders late  1 of 1" in text
    assert "CP-SAT solver, optimal, 1.2 s" in text
    zh = render_plan_totals(ROWS, translator("zh_Hans"), "fallback", "atc", 0.5)
    assert "延误合计" in zh and "1天6小时" in zh
    assert "派工规则 atc，求解超时，采用派工规则方案，用时 0.5 秒" in zh
