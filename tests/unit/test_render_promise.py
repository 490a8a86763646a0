"""A capable-to-promise answer in the chat: three dates, the middle one only when it says more."""

from __future__ import annotations

from datetime import timedelta

from handlers import render
from scheduler_core.domain.impact import ImpactReport
from scheduler_core.reports.i18n import translator
from scheduler_core.services.views import PromiseView
from tests.builders import TZ, at

NO_IMPACT = ImpactReport((), (), 0, None, timedelta(minutes=1))


def test_the_promise_without_making_others_late_is_shown_between_the_two_others() -> None:
    view = PromiseView("BR-1", 500, undisturbed=at(days=9), with_priority=at(days=2), impact=NO_IMPACT,
                       without_lateness=at(days=5, hours=10))
    en = render.promise(translator("en"), TZ, view)
    lines = en.splitlines()
    assert [i for i, line in enumerate(lines) if line.startswith(("Without moving", "Without making", "With priority"))] \
        == [1, 2, 3]
    assert "Without making any other order late: Nov 28, 2026, 18:00" in en
    zh = render.promise(translator("zh_Hans"), TZ, view)
    assert "不让其他订单延误：2026年11月28日 18:00" in zh


def test_no_middle_line_when_it_is_no_earlier_than_fitting_into_the_gaps() -> None:
    for middle in (at(days=9), None):
        view = PromiseView("BR-1", 500, undisturbed=at(days=9), with_priority=at(days=2), impact=NO_IMPACT,
                           without_lateness=middle)
        assert "Without making" not in render.promise(translator("en"), TZ, view)


def test_a_date_asked_about_is_answered_first() -> None:
    view = PromiseView("BR-1", 500, undisturbed=at(days=9), with_priority=at(days=2), impact=NO_IMPACT,
                       without_lateness=at(days=5))
    for asked, expected in ((at(days=10), "✅ By Dec 3, 2026: yes, without moving anyone."),
                            (at(days=6), "✅ By Nov 29, 2026: yes, without making any other order late."),
                            (at(days=3), "⚠️ By Nov 26, 2026: only with priority, and 0 orders finish later."),
                            (at(days=1), "❌ By Nov 24, 2026: no, not even with priority.")):
        lines = render.promise(translator("en"), TZ, view, asked=asked).splitlines()
        assert lines[1] == expected, (asked, lines)
    zh = render.promise(translator("zh_Hans"), TZ, view, asked=at(days=1))
    assert zh.splitlines()[1] == "❌ 2026年11月24日前：不行，优先安排也来不及。"
    assert "By" not in render.promise(translator("en"), TZ, view)  # nothing asked: the dates alone
