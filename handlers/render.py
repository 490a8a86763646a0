"""Views -> chat text (Telegram HTML) in the reader's language.

Every piece of text a user could have written (order references typed in chat, customer and
product names, complaint text, machine reasons) is escaped with :func:`html.escape`: the only
markup in a message is the markup written here (P7). Times are shown in the factory's zone.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from scheduler_core.domain.impact import ImpactReport, OrderImpact
from scheduler_core.domain.model import OrderStatus
from scheduler_core.reports.errors import CodedError, error_message
from scheduler_core.reports.i18n import N_, Tr
from scheduler_core.reports.text import render_cause, render_plan_table, render_plan_totals
from scheduler_core.services.overview import CapacityView
from scheduler_core.services.ports import Role
from scheduler_core.services.status import PlanView
from scheduler_core.services.views import (
    ChangeOutcome,
    ChangeProposal,
    KpiView,
    OrderLine,
    OrderStatusView,
    PlanUpdate,
    PromiseView,
    Recorded,
    ReportTarget,
)

__all__ = [
    "MAX_SLIPS",
    "chunks",
    "command_menu",
    "error",
    "esc",
    "fill",
    "help_text",
    "kpis",
    "late_by_customer",
    "late_orders",
    "machine_load",
    "order_lines",
    "order_status",
    "out_of_turn",
    "outcome",
    "plan_update",
    "product",
    "progress_bar",
    "promise",
    "proposal",
    "recorded",
    "step_list",
    "summary",
]

MAX_SLIPS = 8
"""Orders listed by name in an impact preview; the rest are counted."""
NOTABLE_SHIFT = timedelta(minutes=30)
"""After a shop-floor event, a delivery date that moved less than this (work sliding with the
clock, a small reshuffle) is counted, not listed, unless the order became late or on time."""

_ZERO = timedelta(0)


MAX_MESSAGE = 3800
"""Characters per chat message at most (Telegram takes 4096), for :func:`chunks`."""


def chunks(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """``text`` in messages of at most ``limit`` characters, cut between lines (a single longer
    line is cut where it must)."""
    out: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                out.append(current)
                current = ""
            out.append(line[:limit])
            line = line[limit:]
        if current and len(current) + 1 + len(line) > limit:
            out.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current or not out:
        out.append(current)
    return out


def esc(value: object) -> str:
    """Any value as HTML text (quotes too)."""
    return html.escape(str(value), quote=True)


def product(code: str, name: str) -> str:
    """A product as plain text for a button or a list: its code and what it is called
    ("BR-1 · Bracket"), or its code alone when it has no name."""
    return f"{code} · {name}" if name else code


def fill(template: str, **params: object) -> str:
    """A translated ``template`` as HTML, its named fields filled with escaped ``params``."""
    return esc(template).format(**{k: esc(v) for k, v in params.items()})


def error(tr: Tr, exc: CodedError) -> str:
    """A use case's error as one polite sentence."""
    return "⚠️ " + esc(error_message(tr, exc))


def progress_bar(share: float, width: int = 10) -> str:
    share = min(1.0, max(0.0, share))
    full = round(share * width)
    return "▓" * full + "░" * (width - full)


def _when(tr: Tr, dt: datetime | None, tz: tzinfo) -> str:
    return tr.datetime(dt.astimezone(tz)) if dt is not None else "?"


def day(tr: Tr, tz: tzinfo, d: date) -> str:
    """A day as the chat names it: ``Sun, Dec 20`` / ``12月20日周日`` (a far one with its year)."""
    return tr.date(datetime.combine(d, time(12), tzinfo=tz), year=False)


def _short(tr: Tr, dt: datetime | None, tz: tzinfo) -> str:
    return tr.short_datetime(dt.astimezone(tz)) if dt is not None else "?"


_STATUS = {
    OrderStatus.OPEN: N_("waiting to start"),
    OrderStatus.IN_PROGRESS: N_("in production"),
    OrderStatus.DONE: N_("finished, waiting for delivery"),
    OrderStatus.DELIVERED: N_("delivered"),
    OrderStatus.CANCELLED: N_("cancelled"),
}


def _status_word(tr: Tr, status: OrderStatus) -> str:
    return tr.gettext(_STATUS[status])


def order_status(tr: Tr, tz: tzinfo, v: OrderStatusView) -> str:
    """Where an order is: progress bar, current step, ETA against the promise, why late."""
    head = fill(tr.gettext("Order {ref}: {quantity} × {product}"), ref=v.ref, quantity=tr.number(v.quantity),
                product=product(v.product, v.product_name))
    lines = [f"<b>{head}</b>", f"{progress_bar(v.progress)} {esc(tr.percent(v.progress))} · "
             f"{esc(_status_word(tr, v.status))}"]
    if v.status is OrderStatus.DELIVERED:
        lines.append(fill(tr.gettext("Delivered on {when}."), when=_when(tr, v.delivered, tz)))
        return "\n".join(lines)
    if v.status is OrderStatus.CANCELLED:
        return "\n".join(lines)
    if v.current is not None:
        step = v.current
        if step.state == "running":
            lines.append(fill(tr.gettext("Now: {step} on {machine} ({done} of {quantity} done)"), step=step.name,
                              machine=step.machine or "?", done=tr.number(step.done), quantity=tr.number(step.quantity)))
        else:
            lines.append(fill(tr.gettext("Next: {step} on {machine}, planned to start {when}"), step=step.name,
                              machine=step.machine or "?", when=_short(tr, step.start, tz)))
    if v.material is not None:
        lines.append(fill(tr.gettext("Material ready: {when}"), when=_when(tr, v.material, tz)))
    lines.append(fill(tr.gettext("Expected: {eta} (promised {due})"), eta=_when(tr, v.eta, tz), due=_when(tr, v.due, tz)))
    if v.eta is None:
        lines.append(esc(tr.gettext("Not planned yet; we will tell you as soon as it is.")))
    elif v.on_time:
        early = v.due - v.eta
        if early >= timedelta(hours=1):
            lines.append("✅ " + fill(tr.gettext("On time, {early} ahead of the promise."),
                                     early=tr.duration(early, parts=1)))
        else:
            lines.append("✅ " + esc(tr.gettext("On time.")))
    else:
        lines.append("⚠️ " + fill(tr.gettext("Late by {late}."), late=tr.duration(v.late_by, parts=2)))
        if v.cause is not None:
            lines.append(fill(tr.gettext("Why: {reason}"), reason=render_cause(v.cause, tr, tz)))
    return "\n".join(lines)


def ready_by(tr: Tr, tz: tzinfo, v: OrderStatusView, by: date) -> tuple[str, bool] | None:
    """Whether the order is planned to be finished by the end of ``by`` (the answer's first line)
    and whether it is; None when that is no question (delivered, cancelled, not planned)."""
    if v.status in (OrderStatus.DELIVERED, OrderStatus.CANCELLED) or v.eta is None:
        return None
    end = datetime.combine(by, time.max, tzinfo=tz)
    when = day(tr, tz, by)
    if v.eta <= end:
        return "✅ " + fill(tr.gettext("By {date}: yes, planned to be finished {eta}."), date=when,
                           eta=_short(tr, v.eta, tz)), True
    return "❌ " + fill(tr.gettext("By {date}: no, planned to be finished {eta}."), date=when,
                       eta=_short(tr, v.eta, tz)), False


def order_lines(tr: Tr, tz: tzinfo, lines: Sequence[OrderLine], *, title: str, show_customer: bool,
                show_due: bool = False, more: int = 0, empty: str | None = None,
                names: Mapping[str, str] | None = None) -> str:
    """A short list of orders: ref, (customer,) product (with what people call it, from ``names``)
    and quantity, (promised date,) ETA, on time, at risk (less than a day to spare: how much) or
    late; ``more`` orders not shown are counted at the end."""
    out = [f"<b>{esc(title)}</b>"]
    if not lines:
        out.append(esc(empty or tr.gettext("No open orders.")))
        return "\n".join(out)
    for o in lines:
        due = fill(tr.gettext("due {date}"), date=_short(tr, o.due, tz)) + " · " if show_due else ""
        who = f"{esc(o.customer)} · " if show_customer else ""
        star = "★ " if o.vip and show_customer else ""
        if o.late_by > _ZERO:
            state = "⚠️ " + fill(tr.gettext("late by {late}"), late=tr.duration(o.late_by, parts=2))
        elif o.at_risk and o.eta is not None:  # why it is listed before orders due sooner
            state = "⏳ " + fill(tr.gettext("{spare} to spare"), spare=tr.duration(o.due - o.eta, parts=2))
        else:
            state = "✅"
        if o.status in (OrderStatus.DONE, OrderStatus.DELIVERED, OrderStatus.CANCELLED):
            state = esc(_status_word(tr, o.status))
        called = esc(product(o.product, (names or {}).get(o.product, "")))
        out.append(f"{star}<b>{esc(o.ref)}</b> {who}{called} × {esc(tr.number(o.quantity))} · "
                   f"{due}{esc(tr.gettext('ETA'))} {esc(_short(tr, o.eta, tz))} {state}")
    if more > 0:
        out.append(esc(tr.ngettext("… and {n} more order", "… and {n} more orders", more)))
    return "\n".join(out)


def _slip_line(tr: Tr, tz: tzinfo, imp: OrderImpact) -> str:
    star = "★ " if imp.vip else ""
    mark = " ⚠️ " + esc(tr.gettext("newly late")) if imp.newly_late else ""
    moved = fill(tr.gettext("{customer}: {old} → {new}"), customer=imp.customer, old=_short(tr, imp.old_eta, tz),
                 new=_short(tr, imp.new_eta, tz))
    return f"• {star}<b>{esc(imp.ref)}</b> {moved}{mark}"


def _slip_lines(tr: Tr, tz: tzinfo, impacts: Sequence[OrderImpact]) -> list[str]:
    """The first :data:`MAX_SLIPS` orders' old -> new ETA lines, and how many more there are."""
    out = [_slip_line(tr, tz, i) for i in impacts[:MAX_SLIPS]]
    if len(impacts) > MAX_SLIPS:
        out.append(esc(tr.ngettext("… and {n} more order", "… and {n} more orders", len(impacts) - MAX_SLIPS)))
    return out


def _impact_lines(tr: Tr, tz: tzinfo, impact: ImpactReport) -> list[str]:
    delayed = list(impact.delayed)
    out: list[str] = []
    if not delayed:
        out.append("✅ " + esc(tr.gettext("No other order is delayed.")))
        out.extend(_gain_lines(tr, tz, impact))
        return out
    out.append(esc(tr.ngettext("{n} order finishes later:", "{n} orders finish later:", len(delayed))))
    out.extend(_slip_lines(tr, tz, delayed))
    late = len(impact.newly_late)
    vip = len(impact.vip_delayed)
    added = impact.tardiness_added
    total = (tr.gettext("Totals: {late} newly late, {vip} VIP delayed, {added} more lateness in all.")
             if added >= timedelta(0) else
             tr.gettext("Totals: {late} newly late, {vip} VIP delayed, {added} less lateness in all."))
    out.append(fill(total, late=tr.number(late), vip=tr.number(vip), added=tr.duration(abs(added), parts=2)))
    out.extend(_gain_lines(tr, tz, impact, resequenced=True))
    return out


def _gain_lines(tr: Tr, tz: tzinfo, impact: ImpactReport, *, resequenced: bool = False) -> list[str]:
    """Who gains: how many orders finish earlier, and those that were late and make their
    date now (their customers get good news), VIP first. ``resequenced``: others finish later
    too, so the gains come from the new plan ordering the queues anew, which is said (a rush
    order that makes 60 orders earlier reads as a mistake otherwise)."""
    improved = impact.improved
    if not improved:
        return []
    back = [i for i in improved if i.was_late_by > _ZERO and i.late_by == _ZERO]
    n = len(improved)
    out = ["⏩ " + esc(tr.ngettext("{n} order finishes earlier: the new plan also orders the queues anew.",
                                   "{n} orders finish earlier: the new plan also orders the queues anew.", n)
                       if resequenced else tr.ngettext("{n} order finishes earlier.", "{n} orders finish earlier.", n))]
    if back:
        out.append(esc(tr.ngettext("{n} of them was late and makes its date now:",
                                   "{n} of them were late and make their date now:", len(back))))
        out.extend(_slip_lines(tr, tz, back))
    return out


_KIND_TITLE = {
    "insert": N_("Rush order {ref}: impact preview"),
    "due": N_("New date for {ref}: impact preview"),
    "quantity": N_("New quantity for {ref}: impact preview"),
    "cancel": N_("Cancel {ref}: impact preview"),
    "priority": N_("Priority for {ref}: impact preview"),
    "move": N_("Moving a step of {ref}: impact preview"),
    "material": N_("Material date for {ref}: impact preview"),
}


def proposal(tr: Tr, tz: tzinfo, p: ChangeProposal, *, minutes: int = 10) -> str:
    """The impact preview: the subject's ETA against its date, who slips (VIP first), totals."""
    out = []
    if p.restated:
        out.append("🔄 " + esc(tr.gettext("The plan changed meanwhile, so this is the impact on the new plan.")))
    title = _KIND_TITLE.get(p.kind, _KIND_TITLE["insert"])
    if p.kind == "insert" and not p.rush:  # booked where it fits ("Order it for Jan 7"), not put first
        title = N_("New order {ref}: impact preview")
    out.append("<b>" + fill(tr.gettext(title), ref=p.subject) + "</b>")
    whose = next((i.customer for i in p.impact.subject if i.ref == p.subject), None)
    if p.kind == "insert" and whose:  # a new order: whose it will be
        out.append(fill(tr.gettext("Customer: {customer}."), customer=whose))
    if p.quantity is not None:
        out.append(fill(tr.gettext("Quantity: {before} → {after} pieces."), before=tr.number(p.quantity[0]),
                        after=tr.number(p.quantity[1])))
    if p.kind != "cancel":
        if p.subject_eta is not None and p.subject_due is not None:
            out.append(fill(tr.gettext("Ready {eta}, needed by {due}."), eta=_when(tr, p.subject_eta, tz),
                            due=_when(tr, p.subject_due, tz)))
            before = next((i.old_eta for i in p.impact.subject if i.ref == p.subject), None)
            if before is not None and abs(p.subject_eta - before) >= timedelta(minutes=1):
                # an existing order: what the change does for it ("加急" that gains 24 minutes)
                text = (tr.gettext("Until now: {when}; {delta} earlier with this change.") if p.subject_eta < before
                        else tr.gettext("Until now: {when}; {delta} later with this change."))
                out.append(fill(text, when=_when(tr, before, tz), delta=tr.duration(abs(p.subject_eta - before),
                                                                                    parts=2)))
            if p.subject_eta <= p.subject_due:
                out.append("✅ " + esc(tr.gettext("It makes its date.")))
            else:
                out.append("⚠️ " + fill(tr.gettext("It misses its date by {late}."),
                                       late=tr.duration(p.subject_eta - p.subject_due, parts=2)))
                if p.earliest is not None:
                    out.append(fill(tr.gettext("Earliest possible: {when}."), when=_when(tr, p.earliest, tz)))
    out.extend(_impact_lines(tr, tz, p.impact))
    out.append(fill(tr.gettext("Confirm within {minutes} minutes to apply it."), minutes=tr.number(max(1, minutes))))
    return "\n".join(out)


def outcome(tr: Tr, tz: tzinfo, o: ChangeOutcome, subject: str) -> str:
    """After Confirm: what was applied and who is told."""
    out = ["✅ <b>" + fill(tr.gettext("Confirmed: {ref} is in plan version {version}."), ref=subject,
                          version=o.version or 0) + "</b>"]
    if o.rebased:
        out.append(esc(tr.gettext("The plan had been updated since the preview; the change went in as "
                                  "shown, re-timed to the current plan.")))
    if o.impact is not None:
        warned = sorted({i.customer for i in o.impact.newly_late})
        if warned:
            out.append(fill(tr.gettext("Delay warnings are on their way to {customers}."),
                            customers=tr.listing(warned, limit=5)))
        else:
            out.append(esc(tr.gettext("No customer needs a delay warning.")))
    return "\n".join(out)


def promise(tr: Tr, tz: tzinfo, v: PromiseView, product_name: str = "", asked: datetime | None = None) -> str:
    """Capable-to-promise: the dates without moving anyone, without making another order late,
    and with priority, with what priority costs; ``product_name`` beside the code when it has one;
    ``asked``: the date asked about ("能在12月2日前交吗"), answered first."""
    out = ["<b>" + fill(tr.gettext("{quantity} × {product}: earliest delivery"), quantity=tr.number(v.quantity),
                        product=product(v.product, product_name)) + "</b>"]
    if asked is not None:
        out.append(_promise_verdict(tr, tz, v, asked))
    out.append(fill(tr.gettext("Without moving anyone: {when}"), when=_when(tr, v.undisturbed, tz)))
    if v.without_lateness is not None and v.with_priority < v.without_lateness < v.undisturbed:
        out.append(fill(tr.gettext("Without making any other order late: {when}"), when=_when(tr, v.without_lateness, tz)))
    out.append(fill(tr.gettext("With priority: {when}"), when=_when(tr, v.with_priority, tz)))
    if v.with_priority < v.undisturbed:
        out.extend(_impact_lines(tr, tz, v.impact))
    return "\n".join(out)


def _promise_verdict(tr: Tr, tz: tzinfo, v: PromiseView, asked: datetime) -> str:
    """Whether ``asked`` can be promised, and at what cost to the others."""
    day = tr.date(asked.astimezone(tz))
    if v.undisturbed <= asked:
        return "✅ " + fill(tr.gettext("By {date}: yes, without moving anyone."), date=day)
    if v.without_lateness is not None and v.without_lateness <= asked:
        return "✅ " + fill(tr.gettext("By {date}: yes, without making any other order late."), date=day)
    if v.with_priority <= asked:
        return "⚠️ " + esc(tr.ngettext("By {date}: only with priority, and {n} order finishes later.",
                                       "By {date}: only with priority, and {n} orders finish later.",
                                       len(v.impact.delayed), date=day))
    return "❌ " + fill(tr.gettext("By {date}: no, not even with priority."), date=day)


def recorded(tr: Tr, r: Recorded) -> str:
    """What a progress report recorded: order, step, machine, and how far the step is."""
    args = {"good": tr.number(r.good), "ref": r.ref, "step": r.step + 1, "name": r.step_name, "machine": r.machine,
            "done": tr.number(r.done), "quantity": tr.number(r.quantity)}
    if r.finished:
        text = tr.gettext("Recorded: {good} units of {ref}, step {step} ({name}) on {machine}. "
                          "The step is finished ({done} of {quantity}).", **args)
    else:
        text = tr.gettext("Recorded: {good} units of {ref}, step {step} ({name}) on {machine}: "
                          "{done} of {quantity} done.", **args)
    if r.scrap:
        text = tr.ngettext("{recorded} And {n} scrapped unit.", "{recorded} And {n} scrapped units.", r.scrap,
                           recorded=text)
    return text


def out_of_turn(tr: Tr, t: ReportTarget, good: int) -> str:
    """The question before a report that would close steps nobody reported and the plan still
    has to come (work out of turn, or another order meant), as plain text."""
    return tr.ngettext("{ref} step {step} ({name}) on {machine}: the plan still has {steps} to come, and nothing of "
                       "it is reported. Record {good} units on step {step} and count that step as done?",
                       "{ref} step {step} ({name}) on {machine}: the plan still has {steps} to come, and nothing of "
                       "them is reported. Record {good} units on step {step} and count those steps as done?",
                       len(t.unexpected), ref=t.ref, step=t.step + 1, name=t.step_name, machine=t.machine,
                       steps=step_list(tr, t.unexpected), good=tr.number(good))


def step_list(tr: Tr, steps: Iterable[tuple[int, str]]) -> str:
    """Routing steps as people name them: "step 1 (Cutting) and step 2 (CNC machining)" /
    "第 1 道（下料）和第 2 道（数控加工）" (0-based in)."""
    return tr.listing(tr.gettext("step {step} ({name})", step=k + 1, name=name) for k, name in steps)


def plan_update(tr: Tr, tz: tzinfo, u: PlanUpdate, done: str | None = None) -> str:
    """After a shop-floor event: what was recorded (``done``, or the report's :func:`recorded`)
    and which ETAs moved."""
    if done is None:
        done = recorded(tr, u.recorded) if u.recorded is not None else ""
    out = ["✅ " + esc(done), fill(tr.gettext("Plan version {version}."), version=u.version)]
    if u.recorded is not None and u.recorded.closed:
        out.append("ℹ️ " + esc(tr.gettext("Not reported as finished before, so closed by this report: {steps}.",
                                          steps=step_list(tr, u.recorded.closed))))
    if u.early is not None:
        out.append("ℹ️ " + fill(tr.gettext(
            "{ref} step {step} was planned to start {when} on {machine}; the plan now has it running, "
            "and what was to come first on that machine waits."), ref=u.early.ref, step=u.early.step + 1,
            when=_short(tr, u.early.planned_start, tz), machine=u.early.machine))
    moved: list[OrderImpact] = []
    if u.impact is not None:
        moved = [*u.impact.delayed, *u.impact.improved]
    notable = [i for i in moved if abs(i.change) >= NOTABLE_SHIFT or (i.late_by > _ZERO) != (i.was_late_by > _ZERO)]
    small = len(moved) - len(notable)
    minutes = tr.number(int(NOTABLE_SHIFT.total_seconds() // 60))
    if not notable:
        out.append(esc(tr.gettext("No delivery date moved.") if not small else tr.ngettext(
            "No delivery date moved by {minutes} minutes or more ({n} by less).",
            "No delivery date moved by {minutes} minutes or more ({n} by less).", small, minutes=minutes)))
    else:
        out.append(esc(tr.ngettext("{n} delivery date moved:", "{n} delivery dates moved:", len(notable))))
        out.extend(_slip_lines(tr, tz, notable))
        if small:
            out.append(esc(tr.ngettext("{n} other date moved by less than {minutes} minutes.",
                                       "{n} other dates moved by less than {minutes} minutes.", small,
                                       minutes=minutes)))
    out.append(esc(tr.ngettext("{n} order is late in the plan.", "{n} orders are late in the plan.", u.late_orders)))
    return "\n".join(out)


def _pct(tr: Tr, x: float | None) -> str:
    return "–" if x is None else tr.percent(x)


def kpis(tr: Tr, v: KpiView) -> str:
    rows = [
        (tr.gettext("Delivered"), tr.number(v.delivered)),
        (tr.gettext("On time"), _pct(tr, v.on_time_rate)),
        (tr.gettext("Delay rate"), _pct(tr, v.delay_rate)),
        (tr.gettext("Average lead time"), "–" if v.avg_lead_time_days is None
         else tr.gettext("{days} days", days=tr.number(v.avg_lead_time_days, decimals=1))),
        (tr.gettext("Complaints"), f"{tr.number(v.complaints)} ({_pct(tr, v.complaint_rate)})"),
        (tr.gettext("Satisfaction"), "–" if v.satisfaction_avg is None
         else f"{tr.number(v.satisfaction_avg, decimals=1)}/5 ({tr.number(v.satisfaction_score or 0, decimals=0)})"),
        (tr.gettext("Survey answers"), _pct(tr, v.survey_response_rate)),
        (tr.gettext("Open orders"), f"{tr.number(v.open_orders)} ({tr.gettext('{n} late', n=tr.number(v.open_late))})"),
        (tr.gettext("Bottleneck"), "–" if v.bottleneck is None
         else f"{v.bottleneck} ({_pct(tr, v.bottleneck_load)})"),
    ]
    head = fill(tr.gettext("Key figures, {since} – {until}"), since=tr.date(v.since), until=tr.date(v.until))
    return f"<b>{head}</b>\n" + "\n".join(f"{esc(k)}: <b>{esc(val)}</b>" for k, val in rows)


def late_orders(tr: Tr, tz: tzinfo, etas: Iterable[object], title: str) -> str:
    """Late orders with their reason, most late first (``OrderEta`` rows)."""
    rows = [e for e in etas if getattr(e, "late_by", _ZERO) > _ZERO]
    out = [f"<b>{esc(title)}</b>"]
    if not rows:
        out.append("✅ " + esc(tr.gettext("No order is late.")))
        return "\n".join(out)
    if len(rows) > 3:  # "why are so many orders late": the reasons counted before the orders
        out.append(esc(tr.gettext("Why, in all: {reasons}", reasons=" · ".join(cause_counts(tr, rows)))))
    for e in rows[:15]:
        star = "★ " if getattr(e, "vip", False) else ""
        out.append(f"• {star}<b>{esc(e.ref)}</b> {esc(e.customer)} · "  # type: ignore[attr-defined]
                   + fill(tr.gettext("late by {late}"), late=tr.duration(e.late_by, parts=2))  # type: ignore[attr-defined]
                   + f" · {esc(_short(tr, e.eta, tz))}")  # type: ignore[attr-defined]
        cause = getattr(e, "cause", None)
        if cause is not None:
            out.append("  " + esc(render_cause(cause, tr, tz)))
    if len(rows) > 15:
        out.append(esc(tr.ngettext("… and {n} more order", "… and {n} more orders", len(rows) - 15)))
    return "\n".join(out)


_CAUSE_COUNT = {
    "bottleneck": N_("{n} waiting for {machine}"),
    "machine_down": N_("{n} waiting for {machine}, which is down"),
    "inserted_order": N_("{n} behind rush orders on {machine}"),
    "released_late": N_("{n} with material arriving late"),
    "not_enough_time": N_("{n} without enough time left"),
    "past_due": N_("{n} already past the promised date"),
}


def cause_counts(tr: Tr, rows: Iterable[object], limit: int = 5) -> list[str]:
    """The late orders' reasons counted, each machine on its own, the most common first: "14
    waiting for WLD-2", "4 already past the promised date"; the rest as "N other"."""
    counts: Counter[tuple[str, str]] = Counter()
    for e in rows:
        cause = getattr(e, "cause", None)
        if cause is not None:
            counts[(cause.kind, cause.machine or "")] += 1
    ranked = counts.most_common()
    parts = [tr.gettext(_CAUSE_COUNT[kind], n=tr.number(n), machine=machine or "?") for (kind, machine), n in ranked[:limit]]
    rest = sum(n for _, n in ranked[limit:])
    if rest:
        parts.append(tr.gettext("{n} other", n=tr.number(rest)))
    return parts


def late_by_customer(tr: Tr, etas: Iterable[object], title: str) -> str:
    """The late orders counted per customer, the customer with the most first (then the most
    lateness in all), each with its latest order (``OrderEta`` or ``OrderLine`` rows)."""
    per: dict[str, list[Any]] = {}
    for e in etas:
        if getattr(e, "late_by", _ZERO) > _ZERO:
            per.setdefault(e.customer, []).append(e)  # type: ignore[attr-defined]
    out = [f"<b>{esc(title)}</b>"]
    if not per:
        out.append("✅ " + esc(tr.gettext("No order is late.")))
        return "\n".join(out)
    total = {customer: sum((e.late_by for e in rows), _ZERO) for customer, rows in per.items()}
    ranked = sorted(per.items(), key=lambda kv: (-len(kv[1]), -total[kv[0]], kv[0]))
    for customer, rows in ranked[:15]:
        worst = max(rows, key=lambda e: e.late_by)
        star = "★ " if any(getattr(e, "vip", False) for e in rows) else ""
        if len(rows) == 1:
            line = tr.gettext("{customer}: 1 late order, {ref} by {late}")
        else:
            line = tr.gettext("{customer}: {n} late orders, {total} in all, the longest {ref} by {late}")
        out.append("• " + star + fill(line, customer=customer, n=len(rows), ref=worst.ref,
                                      late=tr.duration(worst.late_by, parts=2),
                                      total=tr.duration(total[customer], parts=2)))
    if len(ranked) > 15:
        out.append(esc(tr.ngettext("… and {n} more customer", "… and {n} more customers", len(ranked) - 15)))
    return "\n".join(out)


def machine_load(tr: Tr, tz: tzinfo, view: CapacityView, waiting: Mapping[str, int],
                 booked: Mapping[str, datetime], top: int = 5) -> str:
    """The bottleneck first, then the ``top`` busiest machines over the view's days (among
    equally loaded ones, those ``booked`` furthest ahead), each with when its planned work ends and
    the late orders ``waiting`` for it (the machine their lateness is put down to), then the groups."""
    load = {m.machine: m.total for m in view.machines}
    if view.bottleneck is None:
        return "<b>" + esc(tr.gettext("Nothing is planned over the next 7 days.")) + "</b>"
    out = ["<b>" + esc(tr.gettext("Bottleneck: {machine}, {load} loaded over the next 7 days",
                                  machine=view.bottleneck, load=tr.percent(load[view.bottleneck]))) + "</b>",
           esc(tr.gettext("Busiest machines over the next 7 days:"))]
    never = datetime.min.replace(tzinfo=tz)

    def rank(m: Any) -> tuple[bool, float, float]:
        return m.machine != view.bottleneck, -round(m.total, 2), -booked.get(m.machine, never).timestamp()

    for m in sorted(view.machines, key=rank)[:top]:
        line = f"• <b>{esc(m.machine)}</b> {esc(tr.percent(m.total))}"
        if m.machine in booked:
            line += " · " + fill(tr.gettext("work planned until {when}"), when=_short(tr, booked[m.machine], tz))
        if waiting.get(m.machine):
            line += " · " + esc(tr.ngettext("{n} late order waits for it", "{n} late orders wait for it",
                                            waiting[m.machine]))
        out.append(line)
    if len(view.groups) > 1:
        groups = tr.listing(f"{g.machine} {tr.percent(g.total)}" for g in view.groups)
        out.append(esc(tr.gettext("Machine groups: {groups}", groups=groups)))
    return "\n".join(out)


def summary(tr: Tr, tz: tzinfo, plan: PlanView, bottleneck: tuple[str, float] | None = None) -> str:
    """The plan's totals, its bottleneck (busiest machine over the next 7 days) and the latest orders."""
    m = plan.metrics
    head = fill(tr.gettext("Plan version {version} of {when}"), version=plan.version, when=_when(tr, plan.created, tz))
    totals = render_plan_totals(plan.etas, tr, str(m.get("status", "")), str(m.get("method", "")),
                                float(m.get("seconds", 0.0) or 0.0))
    table = render_plan_table(plan.etas, tr, limit=10, tz=tz)
    busiest = ""
    if bottleneck is not None:
        busiest = "\n" + esc(tr.gettext("Bottleneck: {machine}, {load} loaded over the next 7 days",
                                        machine=bottleneck[0], load=tr.percent(bottleneck[1])))
    return f"<b>{head}</b>\n<pre>{esc(totals)}</pre>{busiest}\n<pre>{esc(table)}</pre>"


# --- help and menus ---------------------------------------------------------------------------------

_COMMANDS: dict[Role | None, tuple[tuple[str, str], ...]] = {
    None: (("start", N_("link this chat with your code")), ("help", N_("what I can do")),
           ("language", N_("中文 / English"))),
    Role.CUSTOMER: (("status", N_("where is my order")), ("orders", N_("my orders")),
                    ("complain", N_("tell us what went wrong")), ("human", N_("talk to a person")),
                    ("language", N_("中文 / English")), ("help", N_("what I can do"))),
    Role.SALES: (("rush", N_("rush order with impact preview")), ("promise", N_("earliest delivery for a quantity")),
                 ("change", N_("change an order's date or quantity")), ("cancel", N_("cancel an order")),
                 ("late", N_("late orders")), ("status", N_("where is an order")), ("orders", N_("my customers' orders")),
                 ("language", N_("中文 / English")), ("help", N_("what I can do"))),
    Role.OPERATOR: (("report", N_("report finished units")), ("down", N_("a machine stopped")),
                    ("up", N_("a machine runs again")), ("status", N_("where is an order")),
                    ("language", N_("中文 / English")), ("help", N_("what I can do"))),
    Role.MANAGER: (("kpi", N_("key figures")), ("late", N_("late orders")), ("gantt", N_("plan chart")),
                   ("summary", N_("plan summary")), ("daily", N_("daily summary: yesterday and the last 7 days")),
                   ("rush", N_("rush order with impact preview")),
                   ("promise", N_("earliest delivery for a quantity")), ("status", N_("where is an order")),
                   ("orders", N_("all open orders")), ("language", N_("中文 / English")), ("help", N_("what I can do"))),
}
_COMMANDS[Role.ADMIN] = _COMMANDS[Role.MANAGER]


def command_menu(tr: Tr, role: Role | None) -> tuple[tuple[str, str], ...]:
    """The command menu of ``role`` (None: not linked yet) in ``tr``'s language."""
    return tuple((cmd, tr.gettext(desc)) for cmd, desc in _COMMANDS[role])


_EXAMPLES: dict[Role | None, tuple[str, ...]] = {
    None: (N_("Ask your contact at the factory for a link code, then send: /start CODE"),),
    Role.CUSTOMER: (N_("where is my order SO-1042"), N_("/status SO-1042"), N_("/orders"),
                    N_("complaint: the last delivery was damaged"), N_("talk to a person")),
    Role.SALES: (N_("rush 200 of P-100 for ACME by Dec 5"), N_("/rush (I ask step by step)"),
                 N_("/promise P-100 500"), N_("/change SO-1042 date 2026-12-05"), N_("/change SO-1042 qty 300"),
                 N_("/cancel SO-1042"), N_("material for SO-1042 arrives Dec 3"), N_("/orders ACME"), N_("/late")),
    Role.OPERATOR: (N_("/report (buttons for today's work on your machine)"), N_("SO-1042 finished 120, 3 scrapped"),
                    N_("CNC-2 down for 2 hours, spindle alarm"), N_("CNC-2 runs again"),
                    N_("CNC-2 maintenance tomorrow for 4 hours"), N_("what's next on CNC-2")),
    Role.MANAGER: (N_("on-time rate"), N_("which orders are late"), N_("where is the bottleneck"),
                   N_("how did we do yesterday"), N_("send the Gantt chart"), N_("rush 200 of P-100 for ACME by Dec 5")),
}
_EXAMPLES[Role.ADMIN] = _EXAMPLES[Role.MANAGER]


def help_text(tr: Tr, role: Role | None, *, intro: str | None = None, names: Mapping[str, str] | None = None) -> str:
    """Examples and commands for ``role``; ``names`` replaces the examples' placeholders (P-100,
    ACME, CNC-2, SO-1042) with this factory's own."""
    out = [f"<b>{esc(intro)}</b>"] if intro else []
    out.append(esc(tr.gettext("For example:")))
    for e in _EXAMPLES[role]:
        text = tr.gettext(e)
        for placeholder, name in (names or {}).items():
            text = text.replace(placeholder, name)
        out.append(f"• <code>{esc(text)}</code>")
    if role is not None:
        out.append(esc(tr.gettext("Commands:")) + " " + " ".join(f"/{c}" for c, _ in _COMMANDS[role]))
    if role in _WEB:
        out.append(esc(tr.gettext(_WEB[role])))
    return "\n".join(out)


_WEB: dict[Role | None, str] = {  # what the same account does in the web app, beyond this chat
    Role.OPERATOR: N_("In the web app: your machine's work list, to print and to report on (Machines, then the machine's name)."),
    Role.MANAGER: N_("In the web app: import orders, routings, machines and calendars from Excel or CSV (Import); "
                     "download the orders as Excel (Orders); a machine's work list (Machines)."),
    Role.ADMIN: N_("In the web app: import orders, routings, machines and calendars from Excel or CSV (Import); "
                   "add users, set passwords, make Telegram link codes (Users)."),
}
