"""How an impact preview's totals read: more lateness, or less when the change helps others."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from handlers.render import _impact_lines
from scheduler_core.domain.impact import ImpactReport, OrderImpact
from scheduler_core.reports.i18n import translator

T0 = datetime(2026, 11, 23, 8, tzinfo=UTC)
DUE = T0 + timedelta(days=1)


def _report(*changes: tuple[str, timedelta, timedelta]) -> ImpactReport:
    orders = tuple(OrderImpact(ref, "Acme", False, DUE, DUE + before, DUE + after) for ref, before, after in changes)
    return ImpactReport(subject=(), orders=orders, moved_ops=0, conflict_machine=None, threshold=timedelta(minutes=1))


def test_totals_say_more_lateness_when_others_finish_later() -> None:
    report = _report(("SO-1", timedelta(hours=1), timedelta(hours=4)))
    text = "\n".join(_impact_lines(translator("en"), UTC, report))
    assert "3 hours more lateness in all" in text
    assert "-" not in text.split("Totals:")[1]


def test_totals_say_less_lateness_when_the_change_helps_more_than_it_hurts() -> None:
    report = _report(("SO-1", timedelta(0), timedelta(hours=1)), ("SO-2", timedelta(hours=9), timedelta(hours=2)))
    en = "\n".join(_impact_lines(translator("en"), UTC, report))
    zh = "\n".join(_impact_lines(translator("zh_Hans"), UTC, report))
    assert "6 hours less lateness in all" in en
    assert "-" not in en.split("Totals:")[1]
    assert "总延期减少 6小时" in zh.replace(" ", "") or "总延期减少6小时" in zh.replace(" ", "")
