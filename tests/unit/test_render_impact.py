"""How an impact preview's totals read: more lateness, or less when the change helps others."""

from __future__ import annotations

from dataclasses import replace
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


def test_after_a_floor_event_small_shifts_are_counted_not_listed() -> None:
    from handlers.render import plan_update
    from scheduler_core.services.views import PlanUpdate

    minutes = timedelta(minutes=1)
    report = _report(("SO-1", -10 * minutes, -8 * minutes),  # slid 2 minutes with the clock, still on time
                     ("SO-2", -60 * minutes, 60 * minutes),  # two hours later: listed
                     ("SO-3", -3 * minutes, 2 * minutes),  # five minutes, but now late: listed
                     ("SO-4", 5 * minutes, -1 * minutes))  # six minutes, on time again: listed
    en = plan_update(translator("en"), UTC, PlanUpdate(2, report, 1), "Recorded.")
    assert "3 delivery dates moved:" in en and "1 other date moved by less than 30 minutes." in en
    assert "SO-2" in en and "SO-3" in en and "SO-4" in en and "SO-1" not in en
    quiet = plan_update(translator("zh_Hans"), UTC, PlanUpdate(3, _report(("SO-1", -10 * minutes, -8 * minutes)), 0),
                        "已记录。")
    assert "没有交期变动 30 分钟以上（1 个变动不足 30 分钟）" in quiet and "SO-1" not in quiet


def test_a_change_to_an_existing_order_says_what_it_gains_for_that_order() -> None:
    from handlers.render import proposal
    from scheduler_core.services.views import ChangeProposal

    subject = OrderImpact("SO-9", "Acme", False, DUE, DUE + timedelta(hours=3), DUE + timedelta(hours=2, minutes=36))
    report = ImpactReport(subject=(subject,), orders=(), moved_ops=0, conflict_machine=None,
                          threshold=timedelta(minutes=1))
    p = ChangeProposal(1, "t", "priority", "SO-9", report, subject.new_eta, DUE, False, None, T0, 1)
    en = proposal(translator("en"), UTC, p)
    assert "24 minutes earlier with this change" in en and "Until now: " in en
    zh = proposal(translator("zh_Hans"), UTC, p)
    assert "此改动使其提前 24分钟" in zh.replace("24 分钟", "24分钟")
    new_order = ChangeProposal(2, "t", "insert", "SO-9", ImpactReport(
        subject=(OrderImpact("SO-9", "Acme", False, DUE, None, DUE),), orders=(), moved_ops=0, conflict_machine=None,
        threshold=timedelta(minutes=1)), DUE, DUE, True, None, T0, 1)
    assert "Until now" not in proposal(translator("en"), UTC, new_order)  # a new order had no plan


def test_a_proposal_shows_its_validity_in_the_time_a_person_waits() -> None:
    from types import SimpleNamespace

    from bot.demo import AcceleratedClock
    from handlers.context import Ctx

    def ctx_with(clock: object) -> object:
        return SimpleNamespace(deps=SimpleNamespace(svc=SimpleNamespace(clock=clock)))

    start = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    demo = AcceleratedClock(start, 60, lambda: start)  # the demo: a factory hour per real minute
    assert Ctx.waiting_time(ctx_with(demo), timedelta(minutes=600)) == timedelta(minutes=10)  # type: ignore[arg-type]
    assert Ctx.waiting_time(ctx_with(lambda: start), timedelta(minutes=10)) == timedelta(minutes=10)  # type: ignore[arg-type]


def test_a_preview_says_who_gains_and_names_the_orders_back_on_time() -> None:
    report = _report(("SO-1", timedelta(hours=5), timedelta(0)),  # late, makes its date now: named
                     ("SO-2", -timedelta(hours=2), -timedelta(hours=6)),  # earlier, was on time anyway
                     ("SO-3", timedelta(hours=9), timedelta(hours=2)))  # earlier, still late
    en = "\n".join(_impact_lines(translator("en"), UTC, report))
    assert "No other order is delayed." in en
    assert "3 orders finish earlier.\n1 of them was late and makes its date now:" in en
    assert "SO-1" in en and "SO-2" not in en and "SO-3" not in en
    zh = "\n".join(_impact_lines(translator("zh_Hans"), UTC, report))
    assert "3 个订单提前完工。\n其中 1 个原本延期，现在能按期交付：" in zh
    slips = _report(("SO-1", timedelta(0), timedelta(hours=2)), ("SO-2", timedelta(hours=1), timedelta(0)))
    en = "\n".join(_impact_lines(translator("en"), UTC, slips))
    # others finish later too: what they gain comes from the queues ordered anew, and it says so
    assert en.index("1 order finishes later:") < en.index("1 order finishes earlier: the new plan also orders the queues anew.")
    zh = "\n".join(_impact_lines(translator("zh_Hans"), UTC, slips))
    assert "1 个订单提前完工：新计划同时重新排定了各机台的顺序。" in zh
    quiet = "\n".join(_impact_lines(translator("en"), UTC, _report(("SO-1", timedelta(0), timedelta(hours=1)))))
    assert "earlier" not in quiet


def test_an_order_list_says_how_little_time_an_order_at_risk_has_to_spare() -> None:
    from handlers.render import order_lines
    from scheduler_core.domain.model import OrderStatus
    from scheduler_core.services.views import OrderLine

    def line(ref: str, spare: timedelta) -> OrderLine:
        return OrderLine(ref, "Acme", "P", 10, OrderStatus.OPEN, DUE, DUE - spare, max(-spare, timedelta(0)), False)

    lines = [line("SO-1", -timedelta(hours=3)), line("SO-2", timedelta(hours=5)), line("SO-3", timedelta(days=3)),
             line("SO-4", timedelta(hours=23, minutes=59))]
    en = order_lines(translator("en"), UTC, lines, title="Orders", show_customer=False).splitlines()
    assert "late by 3 hours" in en[1] and "⏳ 5 hours to spare" in en[2] and en[3].endswith("✅")
    assert "⏳ 23 hours 59 minutes to spare" in en[4]  # not "24 hours": less than a day
    zh = order_lines(translator("zh_Hans"), UTC, lines, title="订单", show_customer=False)
    assert "⏳ 仅余 5小时" in zh.replace("5 小时", "5小时")


def test_lists_and_the_order_page_state_the_same_lateness() -> None:
    from handlers.render import late_orders, order_lines
    from scheduler_core.domain.model import OrderStatus
    from scheduler_core.services.planning import OrderEta
    from scheduler_core.services.views import OrderLine

    late = timedelta(days=5, hours=21)
    line = OrderLine("SO-1", "Acme", "P", 10, OrderStatus.OPEN, DUE, DUE + late, late, False)
    eta = OrderEta("SO-1", "Acme", "P", 10, DUE, DUE + late, late, False, False, None)
    for lang, said in (("en", "5days21hours"), ("zh_Hans", "5天21小时")):
        tr = translator(lang)
        listed = order_lines(tr, UTC, [line], title="x", show_customer=False)
        latest = late_orders(tr, UTC, [eta], "x")
        assert tr.duration(late, parts=2).replace(" ", "") == said  # what the order page says
        assert said in listed.replace(" ", "") and said in latest.replace(" ", "")


def test_an_order_waiting_for_material_says_when_it_comes() -> None:
    from handlers.render import order_status
    from scheduler_core.domain.model import OrderStatus
    from scheduler_core.services.views import OrderStatusView

    view = OrderStatusView("SO-1", "Acme", "P", 10, OrderStatus.OPEN, DUE, DUE, timedelta(0), False, None, (), 0.0,
                           None, None, 3, material=T0 + timedelta(hours=5))
    assert "Material ready: Nov 23, 2026, 13:00" in order_status(translator("en"), UTC, view)
    assert "物料到齐：" in order_status(translator("zh_Hans"), UTC, view)
    assert "Material" not in order_status(translator("en"), UTC, replace(view, material=None))


def test_many_late_orders_are_preceded_by_their_reasons_counted() -> None:
    from handlers.render import late_orders
    from scheduler_core.domain.cause import LateCause
    from scheduler_core.services.planning import OrderEta

    causes = ([LateCause("bottleneck", "WLD-2")] * 3 + [LateCause("bottleneck", "WLD-1")] * 2
              + [LateCause("past_due")] + [LateCause("machine_down", "CNC-1")])
    etas = [OrderEta(f"SO-{i}", "Acme", "P", 10, DUE, DUE + timedelta(hours=i + 1), timedelta(hours=i + 1), False, False,
                     cause) for i, cause in enumerate(causes)]
    text = late_orders(translator("en"), UTC, etas, "Late orders")
    assert text.splitlines()[1] == ("Why, in all: 3 waiting for WLD-2 · 2 waiting for WLD-1 · 1 already past the "
                                    "promised date · 1 waiting for CNC-1, which is down")
    zh = late_orders(translator("zh_Hans"), UTC, etas, "延期订单").splitlines()[1]
    assert zh.startswith("原因汇总：3 个在等 WLD-2 · 2 个在等 WLD-1"), zh
    few = late_orders(translator("en"), UTC, etas[:3], "Late orders")  # three: each says its own
    assert "Why, in all" not in few
    many = [*etas, replace(etas[0], ref="SO-90", cause=LateCause("inserted_order", "CNC-2")),
            replace(etas[0], ref="SO-91", cause=LateCause("not_enough_time"))]  # six reasons: five named
    assert late_orders(translator("en"), UTC, many, "x").splitlines()[1].endswith(" · 1 other")
