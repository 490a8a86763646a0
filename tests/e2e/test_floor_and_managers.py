"""Operators (report with buttons, down, up) and managers (kpi, late, gantt, summary)."""

from __future__ import annotations

from datetime import timedelta

from scheduler_core.services.overview import capacity
from scheduler_core.services.status import current_plan
from tests.builders import TZ
from tests.e2e.conftest import TG, Chat
from tests.fake_telegram import FakeTelegram

OTTO, MIA = TG["otto"], TG["mia"]


async def test_report_with_buttons_for_todays_work_on_my_machine(linked: Chat) -> None:
    out = await linked.say(OTTO, "/report")
    assert "Which machine" in out[0].text
    out = await linked.click(OTTO, out[0].button("M1"))
    assert "Today on M1" in out[0].text
    out = await linked.click(OTTO, out[0].button("SO-100"))
    assert "SO-100 step 1 (step1) on M1: 0 of 60 done" in out[0].text
    report = out[0].button("All 60 done")
    out = await linked.click(OTTO, report)
    assert "Recorded: 60 units of SO-100, step 1 (" in out[0].text
    assert "on M1. The step is finished (60 of 60)." in out[0].text and "Plan version 2." in out[0].text
    again = await linked.click(OTTO, report)  # single use: nothing reported twice
    assert "expired" in again[0].text
    out = await linked.say(OTTO, "/report")  # the machine is remembered
    assert "Today on M1" in out[0].text
    out = await linked.say(MIA, "/status SO-100")
    assert "M2" in out[0].text


async def test_report_by_command_and_its_bad_inputs(linked: Chat) -> None:
    out = await linked.say(OTTO, "/report SO-101 30")
    assert "Recorded: 30 units of SO-101, step 1 (" in out[0].text
    for bad, expect in (("/report SO-101 0", "at least 1"), ("/report SO-101 -3", "at least 1"),
                        ("/report SO-101 99999999", "more than the limit"), ("/report SO-999 5", "not found"),
                        ("/report SO-101 5 9", "has no step 9"), ("/report SO-101 lots", "Write e.g.")):
        out = await linked.say(OTTO, bad)
        assert expect in out[0].text, (bad, out[0].text)


async def test_down_and_up_say_which_dates_moved(linked: Chat) -> None:
    out = await linked.say(OTTO, "/down M1 spindle <alarm>")
    # no end said: the reply says what the plan counts on (4 hours from now) and how to end it
    assert "Recorded: M1 is down. The plan counts on it running again by " in out[0].text
    assert "send /up M1" in out[0].text and "delivery date" in out[0].text
    back = linked.shop.clock() + timedelta(hours=4)
    assert f"{back.astimezone(TZ):%H:%M}" in out[0].text
    out = await linked.say(OTTO, "/up m1")
    assert "Recorded: M1 runs again." in out[0].text
    out = await linked.say(OTTO, "/down XX-9 broken")
    assert "Unknown machine XX-9" in out[0].text
    out = await linked.say(OTTO, "/up")
    assert out[0].text == "No machine is down now."


async def test_runs_again_without_a_name_is_the_machine_this_chat_stopped(linked: Chat) -> None:
    await linked.say(MIA, "/down M2 hydraulics")  # someone else's stop
    out = await linked.say(OTTO, "M1 停机了")
    assert "Recorded: M1 is down." in out[0].text and "/up M1" in out[0].text
    out = await linked.say(OTTO, "修好了")  # two machines down: the one this chat stopped
    assert "Recorded: M1 runs again." in out[0].text
    out = await linked.say(OTTO, "/up")  # this chat's machine runs: M2 is the only one down
    assert "Recorded: M2 runs again." in out[0].text
    await linked.say(MIA, "/down M1 x")
    await linked.say(MIA, "/down M2 y")
    admin = 5001
    await linked.link(linked.shop.admin, admin)
    out = await linked.say(admin, "it runs again")  # a chat that knows no machine: which one?
    assert "Which machine runs again?" in out[0].text
    out = await linked.click(admin, out[0].button("M2"))
    assert "Recorded: M2 runs again." in out[0].text
    out = await linked.say(MIA, "/up")  # hers (M2) runs: the only one still down
    assert "Recorded: M1 runs again." in out[0].text


async def test_customers_and_sales_cannot_report(linked: Chat) -> None:
    for who in (TG["bob"], TG["sam"]):
        out = await linked.say(who, "/report SO-101 5")
        assert "not allowed" in out[0].text
        out = await linked.say(who, "/down M1 x")
        assert "not allowed" in out[0].text


async def test_manager_kpi_late_summary_and_gantt(linked: Chat) -> None:
    out = await linked.say(MIA, "/kpi")
    assert "Key figures" in out[0].text and "Bottleneck" in out[0].text
    out = await linked.say(MIA, "/late")
    assert "Late orders" in out[0].text
    out = await linked.say(MIA, "/summary")
    assert "Plan version 1" in out[0].text and "<pre>" in out[0].text
    out = await linked.say(MIA, "/gantt")
    assert out[0].method == "sendPhoto" and out[0].files["photo"][:8] == b"\x89PNG\r\n\x1a\n"
    for who in (TG["bob"], TG["otto"], TG["sam"]):
        assert "not allowed" in (await linked.say(who, "/kpi"))[0].text


async def test_manager_in_chinese(linked: Chat) -> None:
    await linked.say(MIA, "/language zh")
    out = await linked.say(MIA, "/kpi")
    assert "关键指标" in out[0].text
    out = await linked.say(MIA, "/summary")
    assert "第 1 版计划" in out[0].text


async def test_help_per_role(linked: Chat) -> None:
    texts = {name: (await linked.say(TG[name], "/help"))[0].text for name in ("bob", "sam", "otto", "mia")}
    assert "/status" in texts["bob"] and "/rush" not in texts["bob"]
    assert "/rush" in texts["sam"] and "/report" in texts["otto"] and "/gantt" in texts["mia"]
    alice = (await linked.say(TG["alice"], "/help"))[0].text
    assert "我的订单" in alice
    # what the same account does in the web app: the floor's work list, the managers' imports
    assert "work list" in texts["otto"] and "(Import)" in texts["mia"] and "web app" not in texts["sam"] + texts["bob"]
    asked = (await linked.say(MIA, "how do I import orders from excel?"))[0].text
    assert "(Import)" in asked


async def test_the_shop_floor_in_its_own_words(linked: Chat) -> None:
    out = await linked.say(OTTO, "报工")
    assert "Which machine" in out[0].text  # the buttons for today's work, as /report
    out = await linked.say(OTTO, "SO-101 finished 30")
    assert "Recorded: 30 units of SO-101, step 1 (" in out[0].text
    out = await linked.say(OTTO, "SO-101 step 9 finished 5")  # the step is read, and checked
    assert "has no step 9" in out[0].text
    out = await linked.say(OTTO, "SO-101 第1道 完成 10件")
    assert "Recorded: 10 units of SO-101, step 1 (" in out[0].text
    out = await linked.say(OTTO, "SO-101 完成了吗")  # a question, not a report
    assert "Recorded" not in out[0].text
    out = await linked.say(OTTO, "m1 停机 主轴报警")
    assert "Recorded: M1 is down." in out[0].text and "delivery date" in out[0].text
    out = await linked.say(OTTO, "M1 is running again")
    assert "Recorded: M1 runs again." in out[0].text
    out = await linked.say(OTTO, "M2 停机 换刀 半小时")  # a known length: the plan has it back then
    assert "Recorded: M2 is down until " in out[0].text
    out = await linked.say(OTTO, "M2 停机 等配件 到下周一")
    assert "Recorded: M2 is down until Mon" in out[0].text
    out = await linked.say(OTTO, "/down M1 coolant leak, back at 23:30")
    assert "Recorded: M1 is down until " in out[0].text and "23:30" in out[0].text
    out = await linked.say(OTTO, "the machine is down")  # which one? the buttons ask
    assert "Which machine stopped?" in out[0].text
    async with linked.shop.svc.uow() as uow:
        stops = await uow.shopfloor.downtime()
    # a stop said for a later day is planned from that day's first working minute, not from now
    out = await linked.say(OTTO, "/down M2 maintenance on Thursday")  # no length: asked, nothing recorded
    assert "How long will M2 stop on Thu" in out[0].text
    out = await linked.say(OTTO, "M1 明天上午保养 停4小时")
    assert "Planned: M1 stops " in out[0].text and "the plan keeps it free then" in out[0].text
    now = linked.shop.clock.now
    async with linked.shop.svc.uow() as uow:
        (planned,) = [d for d in await uow.shopfloor.downtime() if d not in stops]
        plan = await uow.plans.current()
    assert planned.machine == "M1" and planned.start.astimezone(now.tzinfo).date() == (now + timedelta(days=1)).date()
    assert planned.end - planned.start == timedelta(hours=4) and planned.start > now
    assert plan is not None and not any(op.machine == "M1" and op.start < planned.end and op.end > planned.start
                                        for op in plan.schedule.ops)  # (no calendar pause in the test shop)
    out = await linked.click(OTTO, out[0].button("Call it off"))
    assert "The planned stop of M1 is called off." in out[0].text
    async with linked.shop.svc.uow() as uow:
        assert await uow.shopfloor.downtime() == stops
    out = await linked.say(OTTO, "M1 今天下午保养 2小时")  # later today (it is 08:00): planned from 12:00
    assert "Planned: M1 stops " in out[0].text and "12:00" in out[0].text
    out = await linked.click(OTTO, out[0].button("Call it off"))
    out = await linked.say(OTTO, "M1 今天停机 1小时")  # today, in the shift: a stop from now
    assert "Recorded: M1 is down until " in out[0].text


async def test_managers_in_their_own_words(linked: Chat) -> None:
    out = await linked.say(MIA, "what's our on-time rate?")
    assert "Key figures" in out[0].text
    out = await linked.say(MIA, "which orders are late")
    assert "Late orders" in out[0].text
    out = await linked.say(MIA, "where is the bottleneck")  # the machines' load, the bottleneck first
    assert out[0].text.startswith("<b>Bottleneck: ") and "Busiest machines" in out[0].text
    out = await linked.say(MIA, "plan summary")
    assert "Plan version 1" in out[0].text and "<pre>" in out[0].text
    assert "Bottleneck: M" in out[0].text and "loaded over the next 7 days" in out[0].text
    out = await linked.say(MIA, "发一下甘特图")
    assert out[0].method == "sendPhoto"


async def test_staff_words_from_a_customer_change_nothing(linked: Chat) -> None:
    bob = TG["bob"]
    for text, refused in (("M1 停机", "这不在您的权限范围内"), ("SO-101 finished 30", "这不在您的权限范围内"),  # one word: no language said
                          ("send the gantt chart", "not part of your role"), ("准时率", "这不在您的权限范围内")):
        out = await linked.say(bob, text)  # answered in the language written
        assert refused in out[0].text and "Recorded" not in out[0].text, text
        assert "/status SO-1" in out[0].text  # and what a customer can do
    out = await linked.say(MIA, "/summary")
    assert "Plan version 1" in out[0].text  # no stop, no report: the plan was not touched


async def test_greetings_and_thanks_get_a_polite_answer(linked: Chat) -> None:
    bob = TG["bob"]
    out = await linked.say(bob, "hello")
    assert "Hello! What can I do for you?" in out[0].text and "/status" in out[0].text
    out = await linked.say(bob, "thanks!")
    assert out[0].text == "You&#x27;re welcome!"  # Telegram HTML
    out = await linked.say(bob, "thanks, where is SO-101?")  # not small talk: the question is answered
    assert "SO-101" in out[0].text and "welcome" not in out[0].text
    await linked.say(bob, "/language zh")
    assert (await linked.say(bob, "谢谢"))[0].text == "不客气！"


async def test_a_machine_goes_by_its_display_name_too(linked: Chat) -> None:
    from scheduler_core.domain.model import Machine

    async with linked.shop.svc.uow(write=True) as tx:
        m2 = next(m for m in await tx.master.machines() if m.id == "M2")
        await tx.master.save_machine(Machine(m2.id, "折弯机2", m2.group, m2.calendar))
        await tx.commit()
    out = await linked.say(OTTO, "折弯机2 停机 液压漏油")
    assert "Recorded: M2 is down." in out[0].text
    out = await linked.say(OTTO, "/up 折弯机2")
    assert "Recorded: M2 runs again." in out[0].text


async def test_what_a_machine_runs_next(linked: Chat) -> None:
    out = await linked.say(OTTO, "what should I run next")  # no machine named, none chosen yet: which one?
    assert "Which machine are you on?" in out[0].text
    out = await linked.click(OTTO, out[0].button("M1"))
    lines = out[0].text.splitlines()
    assert lines[0] == "Next on M1:" and len(lines) >= 2
    assert all(" · SO-1" in line and " step " in line and " pcs" in line for line in lines[1:] if "more" not in line)
    async with linked.shop.svc.uow() as uow:  # the same operations, in the plan's order
        plan = await uow.plans.current()
    assert plan is not None
    first = min((op for op in plan.schedule.on_machine("M1") if op.end > linked.shop.clock.now), key=lambda op: op.start)
    assert f" · {first.ref} step {first.step + 1} " in lines[1]
    out = await linked.say(OTTO, "what's next")  # the machine is remembered
    assert out[0].text.splitlines()[0] == "Next on M1:"
    out = await linked.say(OTTO, "what's next on M2")
    assert out[0].text.startswith("Next on M2") or "Nothing is planned on M2" in out[0].text
    await linked.say(OTTO, "/language zh")
    out = await linked.say(OTTO, "M1 接下来做什么")
    assert out[0].text.startswith("M1 接下来：") and "第" in out[0].text and "件" in out[0].text
    out = await linked.say(TG["bob"], "what's next on M1")  # not a customer's to ask
    assert "not part of your role" in out[0].text


async def test_the_daily_summary_on_demand(linked: Chat) -> None:
    from datetime import timedelta

    from scheduler_core.services.shopfloor import plan_stop

    now = linked.shop.clock.now
    for days in (1, 5):  # tomorrow's is listed, the one in 5 days is not yet
        await plan_stop(linked.shop.svc, linked.shop.operator, "M2", now + timedelta(days=days),
                        now + timedelta(days=days, hours=2), f"maintenance {days}")
    late = (await linked.say(MIA, "/late"))[0].text.count("late by")
    out = await linked.say(MIA, "how did we do yesterday?")
    text = out[0].text
    assert text.startswith("Daily delivery summary, Nov 23, 2026") and "delivered yesterday; last 7 days:" in text
    assert f"Late orders ({late})" in text and "Bottleneck" in text and "KPIs, last 7 days" in text
    assert "Planned stops, next 3 days" in text and "(maintenance 1)" in text and "maintenance 5" not in text
    assert "Plan version" not in text  # not the plan summary
    photos = [c for c in out if c.method == "sendPhoto"]  # the morning message's pictures, the Gantt first
    assert photos and "Plan for the next 3 days" in str(photos[0].params.get("caption")), [c.params for c in photos]
    assert (await linked.say(MIA, "/daily"))[0].text == text
    out = await linked.say(MIA, "plan summary")  # the plan's summary stays what it was
    assert "Plan version 3" in out[0].text  # (each planned stop re-planned once)
    await linked.say(MIA, "/language zh")
    out = await linked.say(MIA, "日报")
    assert "交付" in out[0].text and "Daily" not in out[0].text and "计划停机（未来 3 天）" in out[0].text
    for who in (TG["otto"], TG["sam"]):
        assert "not allowed" in (await linked.say(who, "/daily"))[0].text


async def test_the_plan_of_a_day_is_the_gantt_for_managers_and_the_machines_work_for_the_floor(linked: Chat) -> None:
    out = await linked.say(MIA, "what's the plan for tomorrow")
    assert out[0].method == "sendPhoto" and "Plan version" in str(out[0].params.get("caption")), out[0].params
    out = await linked.say(OTTO, "what's the plan for tomorrow")  # not "not part of your role"
    assert "Which machine are you on?" in out[0].text, out[0].text
    out = await linked.say(OTTO, "M2")
    assert out[0].text.startswith("Next on M2") or "Nothing is planned on M2" in out[0].text
    out = await linked.say(OTTO, "明天的计划")  # the machine is known now
    assert "M2" in out[0].text and "not part of your role" not in out[0].text, out[0].text


async def test_a_report_of_the_units_so_far_records_only_what_is_new(linked: Chat) -> None:
    from scheduler_core.services.status import get_order_status

    async def done() -> int:
        return (await get_order_status(linked.shop.svc, linked.shop.manager, "SO-100")).steps[0].done

    out = await linked.say(OTTO, "SO-100 step 1 finished 20")
    assert "Recorded: 20 units of SO-100, step 1" in out[0].text, out[0].text
    out = await linked.say(OTTO, "SO-100 step 1 total done 35")  # 35 so far: 15 new, not 35 more
    assert "Recorded: 15 units of SO-100, step 1" in out[0].text and "35 of" in out[0].text, out[0].text
    assert await done() == 35
    out = await linked.say(OTTO, "SO-100 第1道 累计完成30件")  # fewer than recorded: refused, nothing changed
    assert "35" in out[0].text and "Recorded" not in out[0].text, out[0].text
    assert await done() == 35


async def test_the_shop_floor_answers_with_a_machine_name_and_its_own_verbs(linked: Chat) -> None:
    out = await linked.say(OTTO, "what's next on my machine")
    assert "Which machine are you on?" in out[0].text
    out = await linked.say(OTTO, "M2")  # typed instead of pressed
    assert out[0].text.startswith("Next on M2") or "Nothing is planned on M2" in out[0].text
    out = await linked.say(OTTO, "SO-101 machined 30 pcs")
    # step 1 is planned later and nothing of it is reported: asked first, nothing recorded yet
    assert "SO-101 step 2 (step2) on M2: the plan still has step 1 (step1) to come" in out[0].text, out[0].text
    from scheduler_core.services.status import get_order_status

    view = await get_order_status(linked.shop.svc, linked.shop.manager, "SO-101")
    assert [s.done for s in view.steps] == [0, 0]
    out = await linked.click(OTTO, out[0].button("Record 30 units"))
    assert "Recorded: 30 units of SO-101, step 2 (" in out[0].text and "on M2: 30 of " in out[0].text, out[0].text
    assert "Not reported as finished before, so closed by this report: step 1 (" in out[0].text
    view = await get_order_status(linked.shop.svc, linked.shop.manager, "SO-101")
    # from M2: the step M2 does, not the first one; the step before it counts as done
    assert [s.done for s in view.steps] == [60, 30] and view.steps[0].state == "done"
    await linked.say(OTTO, "/language zh")
    out = await linked.say(OTTO, "SO-103 铣完20件")
    assert "计划中第 1 道（step1）尚未进行，也没有任何报工" in out[0].text, out[0].text
    out = await linked.click(OTTO, out[0].button("记录 20 件"))
    assert "已记录：SO-103 第 2 道工序（" in out[0].text and "完成 20 件，累计 20/60" in out[0].text, out[0].text
    assert "此前未报完工的工序，本次报工一并按完工计：第 1 道（" in out[0].text


async def test_steps_the_plan_had_done_by_now_are_closed_without_asking(linked: Chat) -> None:
    # SO-101's first step was planned for the morning; in the afternoon nobody reported it, and
    # step 2 is reported: the shop forgot to report step 1, so the report is recorded at once
    linked.shop.clock.advance(minutes=12 * 60)
    out = await linked.say(OTTO, "/report SO-101 30 2")
    assert "Recorded: 30 units of SO-101, step 2" in out[0].text, out[0].text
    assert "closed by this report: step 1 (step1)" in out[0].text


async def test_a_step_said_done_without_a_number_asks_how_many_before_recording(linked: Chat) -> None:
    out = await linked.say(OTTO, "SO-101 finished")  # no number: the step a report would go to, and a question
    assert "SO-101 step 1 (step1) on M1: 0 of 60 done. How many more good units?" in out[0].text, out[0].text
    from scheduler_core.services.status import get_order_status

    view = await get_order_status(linked.shop.svc, linked.shop.manager, "SO-101")
    assert [s.done for s in view.steps] == [0, 0]  # nothing recorded yet
    out = await linked.click(OTTO, out[0].button("All 60 done"))
    assert "Recorded: 60 units of SO-101, step 1 (step1) on M1. The step is finished (60 of 60)." in out[0].text
    out = await linked.say(TG["bob"], "SO-101 is done")  # a customer's words: a question about the order
    assert "Order SO-101" in out[0].text and "not part of your role" not in out[0].text
    await linked.say(OTTO, "/language zh")
    out = await linked.say(OTTO, "SO-103 焊完了")
    assert "SO-103 第 1 道工序（step1，M1）：已完成 0/60。" in out[0].text, out[0].text
    await linked.say(OTTO, "M2")  # the operator's machine: what it does next
    out = await linked.say(OTTO, "SO-103 做完了")  # from M2: its step; step 1 is still to come in the plan
    assert "SO-103 第 2 道工序（step2，M2）" in out[0].text, out[0].text
    assert out[0].text.startswith("⚠️ 计划中第 1 道（step1）尚未进行"), out[0].text


async def test_work_on_a_step_not_due_yet_says_so(linked: Chat) -> None:
    from datetime import timedelta

    now = linked.shop.clock.now
    async with linked.shop.svc.uow() as uow:
        plan = await uow.plans.current()
    assert plan is not None
    later = max(plan.schedule.ops, key=lambda op: op.start)  # the last step to start
    soon = min(plan.schedule.ops, key=lambda op: op.start)  # one starting now
    assert later.start - now > timedelta(hours=1) and soon.start - now <= timedelta(hours=1)
    out = await linked.say(OTTO, f"/report {soon.ref} 10 {soon.step + 1}")
    assert "Recorded: 10 units" in out[0].text and "was planned to start" not in out[0].text
    out = await linked.say(OTTO, f"/report {later.ref} 10 {later.step + 1}")
    if later.step > 0:  # its earlier steps are still to come in the plan: asked first
        assert "to come, and nothing of it is reported" in out[0].text, out[0].text  # one step: P has two
        out = await linked.click(OTTO, out[0].button("Record 10 units"))
    text = out[0].text
    assert f"{later.ref} step {later.step + 1} was planned to start" in text and f"on {later.machine}" in text


async def test_a_question_about_the_bottleneck_gets_the_machines_load(linked: Chat) -> None:
    await linked.say(OTTO, "/down M2 for 8 hours")  # orders wait for M2: late ones have it as their cause
    view = await capacity(linked.shop.svc, linked.shop.manager, days=7)
    plan = await current_plan(linked.shop.svc, linked.shop.manager)
    waiting = sum(1 for e in plan.etas if e.late_by > timedelta(0) and e.cause and e.cause.machine == "M2")
    assert view.bottleneck is not None and waiting > 0
    loads = {m.machine: m.total for m in view.machines}
    out = await linked.say(MIA, "which machine is the bottleneck?")
    text = out[0].text
    assert text.startswith(f"<b>Bottleneck: {view.bottleneck}, {round(loads[view.bottleneck] * 100)}% loaded")
    assert "Busiest machines over the next 7 days:" in text and "<pre>" not in text  # not the plan summary
    m2 = next(line for line in text.split("\n") if line.startswith("• <b>M2</b>"))
    last = max(op.end for op in plan.schedule.ops if op.machine == "M2").astimezone(TZ)
    assert f"work planned until {last:%a}" in m2  # when its queue ends
    assert m2.endswith(f"{waiting} late order waits for it" if waiting == 1 else f"{waiting} late orders wait for it")
    out = await linked.say(MIA, "/language zh")
    out = await linked.say(MIA, "设备负荷怎么样")
    assert out[0].text.startswith(f"<b>瓶颈设备：{view.bottleneck}，未来 7 天负荷") and "个延期订单在等它" in out[0].text
    out = await linked.say(MIA, "计划总览")  # the plan summary stays the plan summary
    assert "<pre>" in out[0].text
    assert "这不在您的权限范围内" in (await linked.say(TG["bob"], "瓶颈在哪"))[0].text


async def _scrap_reported(chat: Chat, ref: str) -> list[tuple[int, int]]:
    async with chat.shop.svc.uow() as uow:
        entries = await uow.audit.list(subject=ref)
    return [(e.after["good"], e.after["scrap"]) for e in reversed(entries) if e.action == "report_progress" and e.after]


async def test_scrap_is_reported_in_the_operators_words(linked: Chat) -> None:
    out = await linked.say(OTTO, "SO-100 做完30件 报废5件")
    assert "Recorded: 30 units of SO-100, step 1" in out[0].text and "And 5 scrapped units." in out[0].text
    out = await linked.say(OTTO, "SO-100 做了20件，其中2件报废")  # of which 2 scrapped: 18 good
    assert "Recorded: 18 units of SO-100" in out[0].text and "And 2 scrapped units." in out[0].text
    out = await linked.say(OTTO, "SO-100 报废1件")  # scrap alone
    assert "Recorded: 0 units of SO-100" in out[0].text and "And 1 scrapped unit." in out[0].text
    out = await linked.say(OTTO, "/report SO-100 4 scrap 3")
    assert "Recorded: 4 units" in out[0].text and "And 3 scrapped units." in out[0].text
    assert await _scrap_reported(linked, "SO-100") == [(30, 5), (18, 2), (0, 1), (4, 3)]
    out = await linked.say(MIA, "/status SO-100")
    assert "52 of 60 done" in out[0].text  # only the good ones count: 30 + 18 + 0 + 4
    async with linked.shop.svc.uow() as uow:
        assert (await uow.shopfloor.progress("SO-100"))[("SO-100", 0)].done == 52
    # a customer's defects are a complaint, not a report, even in the floor's words
    for said in ("SO-101 收到的货有3件不良", "SO-101 到货3件报废了"):
        out = await linked.say(TG["bob"], said)
        assert "您的投诉" in out[0].text and await _scrap_reported(linked, "SO-101") == [], said


async def test_a_step_said_done_with_scrap_asks_how_many_good_and_records_the_scrap(linked: Chat) -> None:
    out = await linked.say(OTTO, "SO-100 做完了，报废2件")
    assert "2 scrapped units are recorded with them." in out[0].text and "How many more good units?" in out[0].text
    out = await linked.click(OTTO, out[0].button("All 58 done"))  # 60 to make, 2 of them scrapped
    assert "Recorded: 58 units of SO-100" in out[0].text and "And 2 scrapped units." in out[0].text
    assert await _scrap_reported(linked, "SO-100") == [(58, 2)]


async def test_scrap_reported_out_of_turn_is_said_on_the_button_and_recorded_with_it(linked: Chat) -> None:
    async with linked.shop.svc.uow() as uow:
        plan = await uow.plans.current()
    assert plan is not None
    later = next(op for op in plan.schedule.ops if op.step == 1)  # its step 1 is still to come
    out = await linked.say(OTTO, f"{later.ref} 第2道 做完10件 报废2件")
    assert "the plan still has step 1" in out[0].text
    out = await linked.click(OTTO, out[0].button("Record 10 units and 2 scrapped"))
    assert f"Recorded: 10 units of {later.ref}, step 2" in out[0].text and "And 2 scrapped units." in out[0].text
    assert await _scrap_reported(linked, later.ref) == [(10, 2)]


async def test_a_question_about_a_stop_is_answered_and_changes_nothing(linked: Chat) -> None:
    out = await linked.say(MIA, "which machines are down?")
    assert out[0].text == "No machine is down now."
    out = await linked.say(OTTO, "M1 停机 主轴报警")  # recorded: until further notice
    assert "Recorded: M1 is down." in out[0].text
    async with linked.shop.svc.uow() as uow:
        stops = await uow.shopfloor.downtime()
        version = (await uow.plans.current()).number  # type: ignore[union-attr]
    for asked in ("M1什么时候修好", "is M1 still down?", "哪台机器停了"):
        out = await linked.say(MIA, asked)
        text = out[0].text
        assert "M1 is down since Mon 08:00, until further notice" in text and "send /up M1" in text, (asked, text)
        assert "Recorded" not in text
    out = await linked.say(TG["sam"], "is M2 still down?")  # sales may ask too
    assert out[0].text.startswith("M2 is running; no stop is recorded. To record one, send /down M2")
    async with linked.shop.svc.uow() as uow:  # nothing recorded, nothing re-planned
        assert await uow.shopfloor.downtime() == stops
        assert (await uow.plans.current()).number == version  # type: ignore[union-attr]
    out = await linked.say(TG["bob"], "is M1 still down?")  # not a customer's to know
    assert "not part of your role" in out[0].text


async def test_an_operator_says_their_machine_then_reports_units_without_an_order(linked: Chat) -> None:
    out = await linked.say(MIA, "finished 10 pcs")  # no machine known in this chat: which one, asked
    assert "Which machine are you on?" in out[0].text
    out = await linked.say(OTTO, "I'm on M1")  # remembered, and its work shown
    assert out[0].text.startswith("Next on M1:") and "running" in out[0].text
    running = out[0].text.split("\n")[1].split(" · ")[1]  # "SO-100 step 1 (step1)"
    ref = running.split()[0]
    out = await linked.say(OTTO, "finished 10 pcs")  # the operation running on M1
    assert out[0].text.startswith(f"✅ Recorded: 10 units of {ref}, step 1"), out[0].text
    async with linked.shop.svc.uow() as uow:
        assert (await uow.shopfloor.progress(ref))[(ref, 0)].done == 10


async def test_done_with_a_number_no_order_has_offers_those_units_on_the_running_operation(tg: FakeTelegram) -> None:
    """"done 150" where no order is 150: the units on what runs on the chat's machine, one button to
    record them; nothing recorded before it is pressed. A number that is an order stays one."""
    from tests.builders import at, make_order
    from tests.e2e.conftest import chat_with_orders

    orders = [make_order(f"SO-{1040 + i}", quantity=400, due=at(20 + 10 * i), customer="ACME") for i in range(2)]
    async with chat_with_orders(tg, orders) as chat:
        shop = chat.shop
        await chat.link(shop.operator, OTTO, "en")
        out = await chat.say(OTTO, "done 150")  # no machine known: the order it would be is not found
        assert "Order SO-150 was not found" in out[0].text
        out = await chat.say(OTTO, "I'm on M1")
        ref = out[0].text.split("\n")[1].split(" · ")[1].split()[0]
        out = await chat.say(OTTO, "done 150")
        assert out[0].text == (f"There is no order SO-150. Did you mean 150 units on {ref} step 1 (step1), "
                               "running on M1?"), out[0].text
        async with shop.svc.uow() as uow:
            assert not await uow.shopfloor.progress(ref)
        out = await chat.click(OTTO, out[0].button("Record 150 units"))
        assert out[0].text.startswith(f"✅ Recorded: 150 units of {ref}, step 1"), out[0].text
        async with shop.svc.uow() as uow:
            assert (await uow.shopfloor.progress(ref))[(ref, 0)].done == 150
        out = await chat.say(OTTO, "SO-150 done")  # the order written out: no units meant
        assert "Order SO-150 was not found" in out[0].text
        out = await chat.say(OTTO, "1041 done")  # an order that exists: its step, asked how many
        assert "SO-1041 step 1" in out[0].text and "How many more" in out[0].text, out[0].text


async def test_units_without_an_order_go_to_the_step_under_way_even_while_it_waits(linked: Chat) -> None:
    """A step reported started and then held up (a stop, a night, a weekend) is still the one under
    way on its machine: "done 20" is recorded on it, not asked about."""
    out = await linked.say(OTTO, "I'm on M1")
    ref = out[0].text.split("\n")[1].split(" · ")[1].split()[0]
    out = await linked.say(OTTO, "done 10")
    assert out[0].text.startswith(f"✅ Recorded: 10 units of {ref}, step 1"), out[0].text
    await linked.say(OTTO, "M1 down for 3 hours, spindle alarm")  # the rest of the step now waits for M1
    async with linked.shop.svc.uow() as uow:
        plan = await uow.plans.current()
    assert plan is not None
    rest = next(op for op in plan.schedule.on_machine("M1") if op.ref == ref and op.step == 0)
    assert rest.start > linked.shop.clock.now  # not running in the plan's sense
    out = await linked.say(OTTO, "done 20")
    assert out[0].text.startswith(f"✅ Recorded: 20 units of {ref}, step 1"), out[0].text
    async with linked.shop.svc.uow() as uow:
        assert (await uow.shopfloor.progress(ref))[(ref, 0)].done == 30
