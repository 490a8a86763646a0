"""Shop-floor flows: report finished units (报工), a machine stopped, a machine runs again.

``/report`` without arguments offers today's operations on the operator's machine as buttons
(the machine is asked once and remembered); each answer says which delivery dates moved.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import Any

from scheduler_core.domain.calendar import Downtime, stop_end
from scheduler_core.domain.schedule import PlannedOp
from scheduler_core.services.errors import InvalidInput, NotFound, PermissionDenied
from scheduler_core.services.machines import MachineView, list_machines
from scheduler_core.services.overview import under_way, work_list
from scheduler_core.services.policy import require
from scheduler_core.services.ports import Actor, Role
from scheduler_core.services.shopfloor import (
    cancel_stop,
    first_working_minute,
    machine_down,
    machine_up,
    plan_stop,
    report_progress,
    report_target,
)
from scheduler_core.services.status import current_plan, get_order_status
from scheduler_core.services.views import ReportTarget

from . import render
from .context import Ctx
from .intent import StopLength, stop_length
from .types import Button, Reply

__all__ = ["down_command", "machine_action", "op_pick_action", "report_action", "report_command", "step_done",
           "up_command"]

_FLOOR = (Role.OPERATOR, Role.MANAGER, Role.ADMIN)


def _actor(ctx: Ctx, action: str) -> Actor:
    if ctx.actor is None:
        raise PermissionDenied("not_allowed")
    require(ctx.actor, action)
    return ctx.actor


def _grid(buttons: list[Button], width: int = 3) -> list[list[Button]]:
    return [buttons[i:i + width] for i in range(0, len(buttons), width)]


async def _machine(ctx: Ctx, text: str) -> str:
    wanted = text.strip().casefold()
    for name, machine in (await ctx.deps.machine_names()).items():
        if name.casefold() == wanted:
            return machine
    raise InvalidInput("unknown_machine", machine=text.strip()[:40])


def _my_machine(ctx: Ctx) -> str | None:
    """The machine this chat's operator works at (chosen for /report or asked about), if known."""
    machine = ctx.memory.get("machine")
    return str(machine) if machine else None


_SCRAP_ARG = re.compile(r"(?:^|\s)(?:scrap|报废)\s*(\d{1,7})(?=\s|$)", re.IGNORECASE)


async def report_command(ctx: Ctx, args: str, *, work: str | None = None, scrap: int = 0,
                         quantity: int | None = None, total: bool = False) -> list[Reply]:
    """``/report REF QTY [STEP] [scrap N]``, or buttons for today's work. ``work``: the kind of
    work the words named ("焊完了"), for the step when none is given and the machine is not known;
    ``scrap``: units scrapped besides the ``QTY`` good ones; ``quantity`` without an order
    ("finished 80 pcs"): on the operation running on this chat's machine, when there is one;
    ``total``: ``QTY`` is the step's good units so far ("累计完成200件"), not units made since."""
    actor = _actor(ctx, "report_progress")
    said = _SCRAP_ARG.search(args)
    if said:  # "/report SO-1042 180 scrap 20"
        scrap, args = int(said[1]), args[: said.start()] + " " + args[said.end():]
    words = args.split()
    if not words:
        machine = _my_machine(ctx)
        if machine and quantity is not None and (op := await _running_op(ctx, actor, machine)) is not None:
            return await report_command(ctx, f"{op.ref} {quantity} {op.step + 1}", scrap=scrap, total=total)
        if machine:
            return await _todays_ops(ctx, machine)
        return await _pick_machine(ctx, "report")
    if len(words) < 2 or not words[1].lstrip("-").isdigit() or (len(words) > 2 and not words[2].isdigit()):
        return ctx.say(render.esc(ctx.tr.gettext("Write e.g. /report SO-1042 120 (and the step number if needed: "
                                                 "/report SO-1042 120 2)")))
    step = int(words[2]) if len(words) > 2 else None
    good = int(words[1])
    mine = _my_machine(ctx)
    if good > 0:
        target = await report_target(ctx.svc, actor, words[0], step=step, at_machine=mine, work=work)
        if target.unexpected:  # out of turn, or another order meant: asked before anything is recorded
            return _ask_out_of_turn(ctx, target, good, scrap, total)
    update = await report_progress(ctx.svc, actor, words[0], good, step=step, scrap=scrap, at_machine=mine,
                                   work=work, total=total)
    return ctx.say(render.plan_update(ctx.tr, ctx.tz, update))


async def _running_op(ctx: Ctx, actor: Actor, machine: str) -> PlannedOp | None:
    """The one operation under way on ``machine``, as its work list says it (reported started,
    even when paused for the night or the weekend, or planned to have started), if exactly one."""
    running = await under_way(ctx.svc, actor, machine)
    return running[0] if len(running) == 1 else None


def _ask_out_of_turn(ctx: Ctx, t: ReportTarget, good: int, scrap: int = 0, total: bool = False) -> list[Reply]:
    tr = ctx.tr
    text = render.out_of_turn(tr, t, good)
    label = (tr.gettext("Record {good} units and {scrap} scrapped", good=tr.number(good), scrap=tr.number(scrap))
             if scrap else tr.gettext("Record {good} units", good=tr.number(good)))
    record = ctx.button(label, "report", _FLOOR, single_use=True,
                        ref=t.ref, step=t.step + 1, machine=t.machine, good=good, finished=False, scrap=scrap,
                        total=total)
    return ctx.say("⚠️ " + render.esc(text), [record])


async def _pick_machine(ctx: Ctx, purpose: str, machines: Sequence[str] | None = None) -> list[Reply]:
    if machines is None:
        machines = await ctx.deps.machines()
    buttons = [ctx.button(m, "machine", _FLOOR, machine=m, purpose=purpose) for m in machines[:30]]
    question = {"report": ctx.tr.gettext("Which machine are you on?"),
                "queue": ctx.tr.gettext("Which machine are you on?"),
                "down": ctx.tr.gettext("Which machine stopped?"),
                "up": ctx.tr.gettext("Which machine runs again?")}[purpose]
    return ctx.say(render.esc(question), *_grid(buttons))


QUEUE_LENGTH = 10
QUEUE_HOURS = 168  # the window looked at; what starts later only counts in "… and N more"


async def queue(ctx: Ctx, machine: str | None, *, edit: bool = False) -> list[Reply]:
    """What ``machine`` runs next in the published plan ("CNC-2 接下来做什么"): the running and
    the next :data:`QUEUE_LENGTH` operations with their times, orders, steps and quantities.
    Without a machine: the one chosen for /report in this chat, else buttons ask which."""
    actor = _actor(ctx, "report_progress")
    machine = machine or ctx.memory.get("machine")
    if not machine:
        return await _pick_machine(ctx, "queue")
    wl = await work_list(ctx.svc, actor, machine, hours=QUEUE_HOURS)  # the web's work list, the first lines of it
    machine = ctx.memory["machine"] = wl.machine
    tr = ctx.tr
    if not wl.lines:
        return ctx.say(render.fill(tr.gettext("Nothing is planned on {machine}."), machine=machine), edit=edit)
    lines = [render.fill(tr.gettext("Next on {machine}:"), machine=machine)]
    for w in wl.lines[:QUEUE_LENGTH]:
        op = w.op
        start, end = op.start.astimezone(ctx.tz), op.end.astimezone(ctx.tz)
        until = tr.time(end) if end.date() == start.date() else tr.weekday_time(end)  # the day when it changes
        line = tr.gettext("{start} – {end} · {ref} step {step} ({name}) · {quantity} pcs", start=tr.weekday_time(start),
                          end=until, ref=op.ref, step=op.step + 1, name=op.step_name, quantity=tr.number(op.quantity))
        if w.running:
            line += " · " + tr.gettext("running")
        lines.append(render.esc(line))
    more = len(wl.lines) - QUEUE_LENGTH + wl.later
    if len(wl.lines) > QUEUE_LENGTH or wl.later:
        lines.append(render.esc(tr.ngettext("… and {n} more operation", "… and {n} more operations", more)))
    return ctx.say("\n".join(lines), edit=edit)


async def machine_action(ctx: Ctx, args: dict[str, Any]) -> list[Reply]:
    machine = str(args["machine"])
    purpose = args.get("purpose")
    if purpose == "queue":
        return await queue(ctx, machine, edit=True)
    if purpose == "report":
        ctx.memory["machine"] = machine
        return await _todays_ops(ctx, machine, edit=True)
    if purpose == "down":
        return await _down(ctx, machine, "", edit=True)
    return await _up(ctx, machine, edit=True)


async def _todays_ops(ctx: Ctx, machine: str, *, edit: bool = False) -> list[Reply]:
    actor = _actor(ctx, "report_progress")
    plan = await current_plan(ctx.svc, actor)
    day = ctx.now().astimezone(ctx.tz).date()
    start = datetime.combine(day, time(0), tzinfo=ctx.tz)
    end = start + timedelta(days=1)
    ops = [op for op in plan.schedule.on_machine(machine) if op.start < end and op.end > start]
    ops.sort(key=lambda op: op.start)
    tr = ctx.tr
    other = ctx.button(tr.gettext("Another machine"), "machine_menu", _FLOOR)
    if not ops:
        return ctx.say(render.fill(tr.gettext("Nothing is planned on {machine} today."), machine=machine), [other],
                       edit=edit)
    buttons = [ctx.button(f"{op.ref} · {op.step_name} · {tr.time(op.start.astimezone(ctx.tz))}", "op_pick", _FLOOR,
                          ref=op.ref, step=op.step + 1, machine=machine, quantity=op.quantity)
               for op in ops[:10]]
    text = render.fill(tr.gettext("Today on {machine}: which operation do you report?"), machine=machine)
    return ctx.say(text, *_grid(buttons, 1), [other], edit=edit)


async def machine_menu_action(ctx: Ctx, args: dict[str, Any]) -> list[Reply]:
    ctx.memory.pop("machine", None)
    return await _pick_machine(ctx, "report")


async def op_pick_action(ctx: Ctx, args: dict[str, Any]) -> list[Reply]:
    return await _how_many(ctx, str(args["ref"]), int(args["step"]), str(args["machine"]), edit=True)


async def step_done(ctx: Ctx, ref: str, *, step: int | None = None, work: str | None = None,
                    scrap: int = 0, bare: bool = False) -> list[Reply]:
    """"SO-1042 焊完了" without a number: the step it would go to (as a report would choose it)
    and how many of it are done, with "All N done" to press; nothing is recorded yet. ``scrap``
    ("焊完了，报废两件"): recorded with what is pressed, the good ones that many fewer. ``bare``:
    the order was a number alone ("done 120"); when no order has it, the number may be units, so
    they are offered for the operation running on this chat's machine, one button to record."""
    actor = _actor(ctx, "report_progress")
    try:
        t = await report_target(ctx.svc, actor, ref, step=step, at_machine=_my_machine(ctx), work=work)
    except NotFound:
        offer = await _units_meant(ctx, actor, ref, scrap) if bare else None
        if offer is None:
            raise
        return offer
    note = ""
    if t.unexpected:  # out of turn, or another order meant: said before anything is pressed
        note = "⚠️ " + render.esc(ctx.tr.ngettext(
            "The plan still has {steps} to come, and nothing of it is reported: a report here counts it as done.",
            "The plan still has {steps} to come, and nothing of them is reported: a report here counts them as done.",
            len(t.unexpected), steps=render.step_list(ctx.tr, t.unexpected))) + "\n"
    if scrap:
        note += render.esc(ctx.tr.ngettext("{n} scrapped unit is recorded with them.",
                                           "{n} scrapped units are recorded with them.", scrap)) + "\n"
    return await _how_many(ctx, t.ref, t.step + 1, t.machine, note=note, scrap=scrap)


async def _units_meant(ctx: Ctx, actor: Actor, ref: str, scrap: int) -> list[Reply] | None:
    """"done 120" where no order is 120: 120 units on the operation running on this chat's
    machine, offered with a button (nothing recorded before it is pressed); None without one."""
    machine = _my_machine(ctx)
    op = await _running_op(ctx, actor, machine) if machine else None
    digits = "".join(ch for ch in ref if ch.isdigit())
    if op is None or not digits or int(digits) > op.quantity:
        return None
    good = int(digits)
    tr = ctx.tr
    text = tr.gettext("There is no order {ref}. Did you mean {good} units on {order} step {step} ({name}), running on "
                      "{machine}?", ref=ref, good=tr.number(good), order=op.ref, step=op.step + 1, name=op.step_name,
                      machine=machine)
    record = ctx.button(tr.gettext("Record {good} units", good=tr.number(good)), "report", _FLOOR, single_use=True,
                        ref=op.ref, step=op.step + 1, machine=machine, good=good, finished=False, scrap=scrap)
    return ctx.say(render.esc(text), [record])


async def _how_many(ctx: Ctx, ref: str, step: int, machine: str, *, edit: bool = False, note: str = "",
                    scrap: int = 0) -> list[Reply]:
    """A step's count so far and the question how many more, with buttons (``step`` 1-based),
    after ``note`` (HTML) when there is one; ``scrap`` units are recorded with a button's, which
    counts that many fewer good ones for the step's end."""
    actor = _actor(ctx, "report_progress")
    view = await get_order_status(ctx.svc, actor, ref)
    done = view.steps[step - 1].done if 0 < step <= len(view.steps) else 0
    left = max(1, view.quantity - done - scrap)
    tr = ctx.tr
    common: dict[str, Any] = {"ref": ref, "step": step, "machine": machine, "scrap": scrap}
    buttons = [ctx.button(tr.gettext("All {n} done", n=tr.number(left)), "report", _FLOOR, single_use=True,
                          good=left, finished=True, **common)]
    half = left // 2
    if half >= 1 and half != left:
        buttons.append(ctx.button(tr.number(half), "report", _FLOOR, single_use=True, good=half, finished=False,
                                  **common))
    name = view.steps[step - 1].name if 0 < step <= len(view.steps) else ""
    text = render.fill(tr.gettext("{ref} step {step} ({name}) on {machine}: {done} of {quantity} done. How many more "
                                  "good units? (or write /report {ref} QTY {step})"), ref=ref, step=step, name=name,
                       machine=machine, done=tr.number(done), quantity=tr.number(view.quantity))
    return ctx.say(note + text, buttons, edit=edit)


async def report_action(ctx: Ctx, args: dict[str, Any]) -> list[Reply]:
    actor = _actor(ctx, "report_progress")
    update = await report_progress(ctx.svc, actor, str(args["ref"]), int(args["good"]), step=int(args["step"]),
                                   machine=str(args["machine"]), finished=bool(args.get("finished")),
                                   scrap=int(args.get("scrap") or 0), total=bool(args.get("total")))
    return ctx.say(render.plan_update(ctx.tr, ctx.tz, update), edit=True)


async def down_command(ctx: Ctx, args: str) -> list[Reply]:
    """``/down MACHINE reason``; a length in the reason ("2小时", "for 30 min") or a time
    ("到下午3点", "until 15:30") says when it runs again, else it is down until ``/up``."""
    _actor(ctx, "machine_state")
    machine, _, reason = args.strip().partition(" ")
    if not machine:
        return await _pick_machine(ctx, "down")
    machine = await _machine(ctx, machine)
    stop = stop_length(reason, ctx.now().astimezone(ctx.tz).date())
    if stop.starts is not None:  # "明天上午保养 4小时": maintenance ahead, not a stop from now
        start = await first_working_minute(ctx.svc, machine, stop.starts,
                                           time(12) if _AFTERNOON.search(reason) else time(0))
        if start > ctx.now() + _SOON:  # "今天停机2小时" in the shift: a stop from now after all
            return await _plan_stop(ctx, machine, reason.strip(), stop, start)
    return await _down(ctx, machine, reason.strip(), until=_back_at(ctx, stop))


_AFTERNOON = re.compile(r"下午|午后|(?<![a-z])afternoon")
_SOON = timedelta(minutes=15)  # a stop said to start within this is a stop from now


async def _plan_stop(ctx: Ctx, machine: str, reason: str, stop: StopLength, start: datetime) -> list[Reply]:
    """A stop said for a day, from ``start`` (the machine's first working minute that day, in the
    afternoon from 12:00) for the length said, or to the time or day said; asked when neither."""
    tr = ctx.tr
    assert stop.starts is not None
    end = (start + timedelta(minutes=stop.minutes) if stop.minutes is not None
           else datetime.combine(stop.starts, stop.at, tzinfo=ctx.tz) if stop.at is not None
           else datetime.combine(stop.day, time(0), tzinfo=ctx.tz) if stop.day is not None else None)
    if end is None or end <= start:  # nothing is recorded without its length
        return ctx.say(render.esc(tr.gettext(
            "How long will {machine} stop on {day}? Say it with the length, for example “{machine} maintenance "
            "tomorrow for 4 hours” or “{machine} 明天保养 4小时”.", machine=machine, day=tr.day_label(start))))
    update = await plan_stop(ctx.svc, _actor(ctx, "machine_state"), machine, start, end, reason)
    done = tr.gettext("Planned: {machine} stops {start} – {end}; the plan keeps it free then.", machine=machine,
                      start=tr.short_datetime(start.astimezone(ctx.tz)), end=tr.short_datetime(end.astimezone(ctx.tz)))
    call_off = ctx.button(tr.gettext("Call it off"), "stop_cancel", _FLOOR, single_use=True, machine=machine,
                          start=start.isoformat())
    return ctx.say(render.plan_update(tr, ctx.tz, update, done), [call_off])


async def stop_cancel_action(ctx: Ctx, args: dict[str, Any]) -> list[Reply]:
    """The "Call it off" button of a planned stop."""
    machine = str(args["machine"])
    update = await cancel_stop(ctx.svc, _actor(ctx, "machine_state"), machine, datetime.fromisoformat(str(args["start"])))
    done = ctx.tr.gettext("The planned stop of {machine} is called off.", machine=machine)
    return ctx.say(render.plan_update(ctx.tr, ctx.tz, update, done), edit=True)


def _back_at(ctx: Ctx, stop: StopLength) -> datetime | None:
    """When a machine stopped now runs again, from the operator's words; None: until ``/up``."""
    now = ctx.now().astimezone(ctx.tz)
    if stop.minutes is not None:
        return now + timedelta(minutes=stop.minutes)
    if stop.at is not None:
        at = datetime.combine(now.date(), stop.at, tzinfo=ctx.tz)
        return at if at > now else at + timedelta(days=1)
    if stop.day is not None and stop.day > now.date():
        return datetime.combine(stop.day, time(0), tzinfo=ctx.tz)  # back for that day's first shift
    return None


async def _down(ctx: Ctx, machine: str, reason: str, *, until: datetime | None = None,
                edit: bool = False) -> list[Reply]:
    update = await machine_down(ctx.svc, _actor(ctx, "machine_state"), machine, reason, until)
    ctx.memory["machine"] = machine  # "修好了" next is about this machine
    tr = ctx.tr
    if until is not None:
        done = tr.gettext("Recorded: {machine} is down until {until}.", machine=machine,
                          until=tr.weekday_time(until.astimezone(ctx.tz)))
    elif update.back_by is not None:
        done = tr.gettext("Recorded: {machine} is down. The plan counts on it running again by {when}, later at "
                          "every re-plan while it stays down; send /up {machine} (or “{machine} runs again”) "
                          "when it does.", machine=machine, when=tr.weekday_time(update.back_by.astimezone(ctx.tz)))
    else:
        done = tr.gettext("Recorded: {machine} is down.", machine=machine)
    return ctx.say(render.plan_update(tr, ctx.tz, update, done), edit=edit)


async def up_command(ctx: Ctx, args: str) -> list[Reply]:
    """``/up MACHINE``; without one, the machine this chat last stopped or worked at when it is
    down, else the only machine down, else buttons for the machines that are down."""
    actor = _actor(ctx, "machine_state")
    if args.strip():
        return await _up(ctx, await _machine(ctx, args.split()[0]))
    down = [m.id for m in await list_machines(ctx.svc, actor) if m.down]
    mine = _my_machine(ctx)
    if mine in down:
        return await _up(ctx, mine)
    if len(down) == 1:
        return await _up(ctx, down[0])
    if not down:
        return ctx.say(render.esc(ctx.tr.gettext("No machine is down now.")))
    return await _pick_machine(ctx, "up", down)


async def machine_status(ctx: Ctx, machine: str | None) -> list[Reply]:
    """A question about stops ("WLD-1什么时候修好", "哪台机器停了"), answered from what is
    recorded, changing nothing: for ``machine``, whether it is down, since when, until when (or
    what the plan counts on), and its stops planned ahead; without one, the machines down now."""
    actor = _actor(ctx, "view_plan")
    views = await list_machines(ctx.svc, actor)
    now = ctx.now()
    tr = ctx.tr
    open_for = ctx.svc.planning.open_downtime

    def stop_line(m: str, d: Downtime) -> str:
        since = tr.weekday_time(d.start.astimezone(ctx.tz))
        if d.end is not None:
            text = tr.gettext("{machine} is down since {since}, until {until}.", machine=m, since=since,
                              until=tr.weekday_time(d.end.astimezone(ctx.tz)))
        else:
            text = tr.gettext("{machine} is down since {since}, until further notice: the plan counts on it running "
                              "again by {when}; send /up {machine} when it does.", machine=m, since=since,
                              when=tr.weekday_time(stop_end(d, now, open_for).astimezone(ctx.tz)))
        return text + (f" ({d.reason})" if d.reason else "")

    def in_force(v: MachineView) -> Downtime | None:
        return next((d for d in v.downtime if d.covers(now)), None)

    if machine is None:
        down = [(v.id, d) for v in views if (d := in_force(v)) is not None]
        if not down:
            return ctx.say(render.esc(tr.gettext("No machine is down now.")))
        lines = [render.esc(tr.ngettext("{n} machine is down now:", "{n} machines are down now:", len(down)))]
        lines += ["• " + render.esc(stop_line(m, d)) for m, d in down]
        return ctx.say("\n".join(lines))
    view = next(v for v in views if v.id == machine)
    stop = in_force(view)
    lines = [render.esc(stop_line(machine, stop) if stop is not None else tr.gettext(
        "{machine} is running; no stop is recorded. To record one, send /down {machine} and the reason.",
        machine=machine))]
    ahead = [d for d in view.downtime if d.start > now]
    if ahead:
        lines.append(render.esc(tr.gettext("Stops planned:")))
        lines += ["• " + render.esc(tr.gettext("{start} – {end}", start=tr.weekday_time(d.start.astimezone(ctx.tz)),
                                               end=tr.weekday_time(stop_end(d, now, open_for).astimezone(ctx.tz))))
                  + (f" ({render.esc(d.reason)})" if d.reason else "") for d in ahead[:5]]
    return ctx.say("\n".join(lines))


async def _up(ctx: Ctx, machine: str, *, edit: bool = False) -> list[Reply]:
    update = await machine_up(ctx.svc, _actor(ctx, "machine_state"), machine)
    ctx.memory["machine"] = machine
    done = ctx.tr.gettext("Recorded: {machine} runs again.", machine=machine)
    return ctx.say(render.plan_update(ctx.tr, ctx.tz, update, done), edit=edit)
