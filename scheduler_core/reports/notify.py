"""Notifications as text, markdown and HTML, in the recipient's language.

Pure: an outbox row's ``kind`` and ``payload`` (plus the context the relay resolved: why late,
whom to contact) -> :class:`Rendered`. Channels pick the form they can show: Telegram the
plain text with buttons, the group robots the markdown, e-mail the HTML and the plain text with
the pictures inline. The daily summary's pictures are the Gantt of the next days
(:func:`~scheduler_core.reports.gantt.gantt_png`) and a KPI trend chart
(:func:`kpi_trend_png`), drawn by the caller that has the plan.
"""

from __future__ import annotations

import html
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from scheduler_core.domain.cause import LateCause

from .gantt import find_cjk_font, picture_translator
from .i18n import N_, Tr
from .text import render_cause, render_cause_short

__all__ = ["KINDS", "Button", "Picture", "Rendered", "kpi_trend_png", "render_notification"]

KINDS = ("delay", "delay_sales", "delay_sales_digest", "on_track", "survey", "survey_reminder", "low_score",
         "complaint", "handover", "summary", "test")
"""Every kind of outbox row there is a text for."""


@dataclass(frozen=True, slots=True)
class Button:
    """A reply button: ``data`` is what the chat front end gets back (<= 64 bytes)."""

    label: str
    data: str


@dataclass(frozen=True, slots=True)
class Picture:
    """An image to attach; ``cid`` names it for inline HTML (``<img src="cid:...">``)."""

    cid: str
    png: bytes
    caption: str


@dataclass(frozen=True)
class Rendered:
    """One message in every form a channel may want."""

    title: str
    text: str
    markdown: str
    html: str
    buttons: tuple[Button, ...] = ()
    pictures: tuple[Picture, ...] = ()


_KPI_LABELS = {
    "on_time_rate": N_("On-time rate"),
    "lead_time_days": N_("Average lead time (days)"),
    "complaint_rate": N_("Complaint rate"),
    "satisfaction_avg": N_("Satisfaction (1-5)"),
}
_HIGHER_IS_BETTER = {"on_time_rate": True, "lead_time_days": False, "complaint_rate": False, "satisfaction_avg": True}
_PERCENT = frozenset({"on_time_rate", "complaint_rate"})


def _label(tr: Tr, name: str) -> str:
    return tr.gettext(_KPI_LABELS[name])


def _short(tr: Tr, dt: datetime | None) -> str:
    return tr.short_datetime(dt) if dt is not None else "?"


def _dt(value: Any, tz: tzinfo) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value)).astimezone(tz)


def _cause(d: Any) -> LateCause | None:
    if not isinstance(d, Mapping) or "kind" not in d:
        return None
    until = datetime.fromisoformat(d["until"]) if d.get("until") else None
    return LateCause(d["kind"], d.get("machine"), tuple(d.get("orders") or ()), until,
                     timedelta(minutes=int(d.get("wait_minutes") or 0)), int(d.get("others") or 0))


class _Doc:
    """Builds the three forms side by side: a title, paragraphs, sections with bullet lines."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.text: list[str] = [title, ""]
        self.md: list[str] = [f"**{title}**", ""]
        self.html: list[str] = [f"<h2>{html.escape(title)}</h2>"]

    def para(self, line: str) -> None:
        if self.text[-1].startswith("• "):  # after a list: a blank line (Markdown would continue the list)
            self.text.append("")
            self.md.append("")
        self.text.append(line)
        self.md.append(line)
        self.html.append(f"<p>{html.escape(line)}</p>")

    def section(self, heading: str, lines: Sequence[str], empty: str | None = None) -> None:
        shown = list(lines) or ([empty] if empty else [])
        gap = [""] if self.text[-1] else []  # one blank line before it, never two
        self.text += [*gap, heading, *(f"• {x}" for x in shown)]
        self.md += [*gap, f"**{heading}**", *(f"- {x}" for x in shown)]
        self.html.append(f"<h3>{html.escape(heading)}</h3><ul>"
                         + "".join(f"<li>{html.escape(x)}</li>" for x in shown) + "</ul>")

    def image(self, cid: str, alt: str) -> None:
        self.html.append(f'<p><img src="cid:{cid}" alt="{html.escape(alt)}" style="max-width:100%"></p>')

    def done(self, buttons: tuple[Button, ...] = (), pictures: tuple[Picture, ...] = ()) -> Rendered:
        body = "<html><body style=\"font-family:sans-serif\">" + "\n".join(self.html) + "</body></html>"
        return Rendered(self.title, "\n".join(self.text).strip(), "\n".join(self.md).strip(), body, buttons, pictures)


def render_notification(kind: str, payload: Mapping[str, Any], tr: Tr, *, tz: tzinfo | str = "Asia/Shanghai",
                        context: Mapping[str, Any] | None = None,
                        pictures: Sequence[Picture] = ()) -> Rendered:
    """Render an outbox row.

    Args:
        kind: ``delay``, ``delay_sales``, ``delay_sales_digest``, ``on_track``, ``survey``,
            ``survey_reminder``, ``low_score``, ``complaint``, ``handover``, ``summary`` or ``test``
            (:data:`KINDS`).
        payload: the row's payload (see :mod:`scheduler_core.services.notifications`).
        tr: the recipient's language.
        tz: the recipient's timezone (times are shown in it).
        context: resolved at delivery: ``cause`` (why late), ``contact`` (the sales owner).
        pictures: the summary's pictures (shown inline in HTML, sent as images elsewhere).
    """
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    ctx = dict(context or {})
    p = dict(payload)
    if kind in ("delay", "delay_sales"):
        return _delay(kind, p, ctx, tr, zone)
    if kind == "delay_sales_digest":
        return _delay_sales_digest(p, tr, zone)
    if kind == "on_track":
        return _on_track(p, tr, zone)
    if kind in ("survey", "survey_reminder"):
        return _survey(kind, p, tr, zone)
    if kind == "low_score":
        return _low_score(p, tr)
    if kind == "complaint":
        return _complaint(p, tr)
    if kind == "handover":
        return _handover(p, tr)
    if kind == "summary":
        return render_summary(p, tr, zone, pictures)
    if kind != "test":
        raise ValueError(f"no text for a notification of kind {kind!r}")
    doc = _Doc(tr.gettext("paichan test message"))
    doc.para(tr.gettext("This channel is configured correctly: {channel}.", channel=str(p.get("channel", "?"))))
    return doc.done()


def _delay(kind: str, p: dict[str, Any], ctx: dict[str, Any], tr: Tr, tz: tzinfo) -> Rendered:
    ref = str(p.get("ref"))
    due = _dt(p.get("due"), tz)
    eta = _dt(p.get("new_eta"), tz)
    late = timedelta(minutes=int(p.get("late_by_minutes") or 0))
    reason = render_cause(_cause(p.get("cause") or ctx.get("cause")), tr, tz)
    due_s = tr.datetime(due) if due else "?"
    eta_s = tr.datetime(eta) if eta else "?"
    if kind == "delay_sales":
        customer = str(p.get("customer") or ctx.get("customer") or "")
        doc = _Doc(tr.gettext("Order {ref} of {customer} slips", ref=ref, customer=customer))
        doc.para(tr.gettext("Promised {due}; now expected {eta}, {late} late.", due=due_s, eta=eta_s,
                            late=tr.duration(late)))
        if reason:
            doc.para(tr.gettext("Reason: {reason}", reason=reason))
        doc.para(tr.gettext("The customer has been told."))
        return doc.done()
    doc = _Doc(tr.gettext("Order {ref} will be late", ref=ref))
    doc.para(tr.gettext("We are sorry: order {ref} will not be ready by the promised {due}.", ref=ref, due=due_s))
    doc.para(tr.gettext("New expected completion: {eta} ({late} late).", eta=eta_s, late=tr.duration(late)))
    if reason:
        doc.para(tr.gettext("Reason: {reason}", reason=reason))
    doc.para(tr.gettext("We apologise for the delay and will tell you if anything changes."))
    contact = ctx.get("contact")
    if contact:
        doc.para(tr.gettext("Questions? Contact {contact}, your sales contact, or reply here.", contact=str(contact)))
    else:
        doc.para(tr.gettext("Questions? Reply here."))
    return doc.done()


DIGEST_LINES = 15
"""Orders a salesperson's digest lists one by one; the rest are counted."""


def _delay_sales_digest(p: dict[str, Any], tr: Tr, tz: tzinfo) -> Rendered:
    """Several ``delay_sales`` rows due together for one salesperson (``payload["orders"]``, each
    a ``delay_sales`` payload with its customer): one message, VIP and latest first. An order
    warned about by two plan versions before the digest went out (a publication and the watch
    after it) is listed once, as the newest plan has it."""
    newest: dict[str, dict[str, Any]] = {}
    for r in (dict(r) for r in p.get("orders") or [] if isinstance(r, Mapping)):
        key = str(r.get("ref"))
        if key not in newest or int(r.get("version") or 0) >= int(newest[key].get("version") or 0):
            newest[key] = r
    rows = list(newest.values())
    rows.sort(key=lambda r: (not r.get("vip"), -int(r.get("late_by_minutes") or 0), str(r.get("ref"))))
    n = len(rows)
    doc = _Doc(tr.ngettext("{n} of your orders slips", "{n} of your orders slip", n))
    lines = []
    for r in rows[:DIGEST_LINES]:
        eta = _dt(r.get("new_eta"), tz)
        due = _dt(r.get("due"), tz)
        line = tr.gettext("{vip}{ref} {customer}: promised {due}, now {eta} ({late} late)",
                          vip="★ " if r.get("vip") else "", ref=str(r.get("ref")), customer=str(r.get("customer") or ""),
                          due=tr.datetime(due) if due else "?", eta=tr.datetime(eta) if eta else "?",
                          late=tr.duration(timedelta(minutes=int(r.get("late_by_minutes") or 0))))
        reason = render_cause_short(_cause(r.get("cause")), tr)
        lines.append(f"{line} · {reason}" if reason else line)
    if n > DIGEST_LINES:
        lines.append(tr.ngettext("… and {n} more order", "… and {n} more orders", n - DIGEST_LINES))
    doc.section(tr.gettext("Orders that will miss their promised date:"), lines)
    doc.para(tr.gettext("The customers have been told."))
    return doc.done()


def _on_track(p: dict[str, Any], tr: Tr, tz: tzinfo) -> Rendered:
    ref = str(p.get("ref"))
    eta = _dt(p.get("new_eta"), tz)
    due = _dt(p.get("due"), tz)
    doc = _Doc(tr.gettext("Order {ref} is back on track", ref=ref))
    doc.para(tr.gettext("Good news: order {ref} is now expected {eta}, within the promised {due}.", ref=ref,
                        eta=tr.datetime(eta) if eta else "?", due=tr.datetime(due) if due else "?"))
    return doc.done()


def _survey(kind: str, p: dict[str, Any], tr: Tr, tz: tzinfo) -> Rendered:
    ref = str(p.get("ref"))
    delivered = _dt(p.get("delivered"), tz)
    title = (tr.gettext("How did we do on order {ref}?", ref=ref) if kind == "survey"
             else tr.gettext("Reminder: how did we do on order {ref}?", ref=ref))
    doc = _Doc(title)
    if delivered is not None:
        doc.para(tr.gettext("Order {ref} was delivered on {date}.", ref=ref, date=tr.date(delivered)))
    doc.para(tr.gettext("Please rate it from 1 (poor) to 5 (excellent). You may add a comment in your reply."))
    buttons = tuple(Button(f"{n} ★" if n == 5 else str(n), f"survey:{ref}:{n}") for n in range(1, 6))
    return doc.done(buttons)


def _low_score(p: dict[str, Any], tr: Tr) -> Rendered:
    doc = _Doc(tr.gettext("Low satisfaction score on order {ref}", ref=str(p.get("ref"))))
    doc.para(tr.gettext("{customer} gave {score} of 5.", customer=str(p.get("customer") or "?"),
                        score=str(p.get("score"))))
    if p.get("comment"):
        doc.para(tr.gettext("Comment: {comment}", comment=str(p["comment"])))
    doc.para(tr.gettext("Please call the customer today."))
    return doc.done()


def _complaint(p: dict[str, Any], tr: Tr) -> Rendered:
    customer = str(p.get("customer") or "?")
    if p.get("ref"):
        doc = _Doc(tr.gettext("Complaint from {customer} about order {ref}", customer=customer, ref=str(p["ref"])))
    else:
        doc = _Doc(tr.gettext("Complaint from {customer}", customer=customer))
    doc.para(str(p.get("text") or ""))
    return doc.done()


def _handover(p: dict[str, Any], tr: Tr) -> Rendered:
    """A customer asked for a person, or for something a person decides (``request``: the
    intent, a new order, a quote, a change or cancellation of ``ref``): to the sales owner. A
    request carries ``button``, the callback data of "See what it would do" (``req:<outbox
    key>``, handled by the chat's router), which answers it as if they had typed the words."""
    customer = str(p.get("customer") or "?")
    request, ref = p.get("request"), p.get("ref")
    if request in ("rush", "promise"):
        title = tr.gettext("{customer} asks for a new order", customer=customer)
    elif request == "cancel" and ref:
        title = tr.gettext("{customer} asks to cancel {ref}", customer=customer, ref=str(ref))
    elif request and ref:
        title = tr.gettext("{customer} asks for a change to {ref}", customer=customer, ref=str(ref))
    elif request:
        title = tr.gettext("{customer} asks for a change", customer=customer)
    else:
        title = tr.gettext("{customer} asks for a person", customer=customer)
    doc = _Doc(title)
    note = str(p.get("note") or "").strip()
    if note:
        doc.para(tr.gettext("Their words: “{note}”", note=note))
    doc.para(tr.gettext("Asked by the user {username}; please get in touch with them.",
                        username=str(p.get("username") or "?")))
    button = p.get("button")
    if not (isinstance(button, str) and button.startswith("req:") and len(button) <= 64):
        return doc.done()
    doc.para(tr.gettext("“See what it would do” answers it as if you had asked; nothing changes until you confirm."))
    return doc.done(buttons=(Button(tr.gettext("See what it would do"), button),))


# --- the daily summary -------------------------------------------------------------------
def _pct(tr: Tr, x: Any) -> str:
    return "–" if x is None else tr.percent(float(x))


def _kpi_value(tr: Tr, name: str, x: Any) -> str:
    if x is None:
        return "–"
    if name in _PERCENT:
        return tr.percent(float(x))
    return tr.number(float(x), decimals=1 if name == "lead_time_days" else 2)


def _arrow(name: str, now: Any, before: Any) -> str:
    if now is None or before is None or now == before:
        return "→"
    better = (now > before) == _HIGHER_IS_BETTER[name]
    return ("↑" if now > before else "↓") + ("" if better else " ⚠")


def _order_line(r: Mapping[str, Any], tr: Tr, tz: tzinfo, late: bool) -> str:
    star = "★ " if r.get("vip") else ""
    when = _short(tr, _dt(r.get("eta"), tz))
    if late:
        how = tr.gettext("{late} late", late=tr.duration(timedelta(minutes=int(r.get("late_by_minutes") or 0)),
                                                         style="narrow"))
    else:
        how = tr.gettext("{slack} to spare", slack=tr.duration(timedelta(minutes=max(0, int(r.get("slack_minutes") or 0))),
                                                               style="narrow"))
    reason = render_cause_short(_cause(r.get("cause")), tr) if late else ""
    parts = [f"{star}{r.get('ref')} {r.get('customer')}", tr.gettext("ETA {eta}", eta=when), how]
    if reason:
        parts.append(reason)
    return " — ".join(parts)


def render_summary(p: Mapping[str, Any], tr: Tr, tz: tzinfo, pictures: Sequence[Picture] = ()) -> Rendered:
    """The managers' daily summary (payload: :class:`~scheduler_core.services.notifications.SummaryData`)."""
    day = datetime.fromisoformat(str(p["date"])).replace(tzinfo=tz)
    doc = _Doc(tr.gettext("Daily delivery summary, {date}", date=tr.date(day)))
    week = {"rate7": _pct(tr, p.get("on_time_7d")), "n7": tr.number(int(p.get("delivered_7d") or 0))}
    if int(p.get("delivered_yesterday") or 0):
        doc.para(tr.gettext("On time yesterday: {rate} of {n} delivered; last 7 days: {rate7} of {n7}.",
                            rate=_pct(tr, p.get("on_time_yesterday")), n=tr.number(int(p["delivered_yesterday"])), **week))
    else:  # a Sunday, a holiday: no rate of nothing ("– of 0")
        doc.para(tr.gettext("Nothing was delivered yesterday; last 7 days: {rate7} on time of {n7}.", **week))
    late = list(p.get("late") or [])
    doc.section(tr.gettext("Late orders ({n})", n=tr.number(len(late))),
                [_order_line(r, tr, tz, True) for r in late[:15]]
                + ([tr.ngettext("… and {n} more order", "… and {n} more orders", len(late) - 15)] if len(late) > 15 else []),
                tr.gettext("None."))
    risk = list(p.get("at_risk") or [])
    doc.section(tr.gettext("At risk ({n})", n=tr.number(len(risk))), [_order_line(r, tr, tz, False) for r in risk],
                tr.gettext("None."))
    complaints = list(p.get("complaints") or [])
    doc.section(tr.gettext("New complaints ({n})", n=tr.number(len(complaints))),
                [f"{c.get('customer')}{' / ' + str(c['ref']) if c.get('ref') else ''}: {c.get('text')}"
                 for c in complaints], tr.gettext("None."))
    sat = p.get("satisfaction_avg")
    doc.section(tr.gettext("Satisfaction (7 days)"), [
        tr.gettext("Average {avg} of 5 from {n} answers; response rate {rate}.",
                   avg="–" if sat is None else tr.number(float(sat), decimals=1),
                   n=tr.number(int(p.get("survey_answers") or 0)), rate=_pct(tr, p.get("survey_response_rate"))),
    ])
    rush = list(p.get("rush") or [])
    doc.section(tr.gettext("Rush insertions yesterday ({n})", n=tr.number(len(rush))), [
        tr.gettext("{ref}: {n} orders delayed, {added} more lateness in total", ref=str(r.get("ref")),
                   n=tr.number(int(r.get("delayed") or 0)),
                   added=tr.duration(timedelta(minutes=int(r.get("tardiness_added_minutes") or 0)), style="narrow"))
        + (" — " + tr.gettext("newly late: {orders}", orders=tr.listing(r["newly_late"], limit=3))
           if r.get("newly_late") else "")
        for r in rush
    ], tr.gettext("None."))
    if p.get("bottleneck"):
        doc.section(tr.gettext("Bottleneck"), [tr.gettext(
            "{machine}: {load} loaded over the next 7 days", machine=str(p["bottleneck"]),
            load=_pct(tr, p.get("bottleneck_load")))])
    stops = list(p.get("planned_stops") or [])
    if stops:
        doc.section(tr.gettext("Planned stops, next 3 days"), [
            tr.gettext("{machine}: {start} – {end}", machine=str(s.get("machine")),
                       start=_short(tr, _dt(s.get("start"), tz)), end=_short(tr, _dt(s.get("end"), tz)))
            + (f" ({s['reason']})" if s.get("reason") else "")
            for s in stops])
    kpis: Mapping[str, Mapping[str, Any]] = p.get("kpis") or {}
    doc.section(tr.gettext("KPIs, last 7 days (week before)"), [
        f"{_label(tr, name)}: {_kpi_value(tr, name, v.get('now'))} "
        f"({_kpi_value(tr, name, v.get('before'))}) {_arrow(name, v.get('now'), v.get('before'))}"
        for name, v in kpis.items() if name in _KPI_LABELS
    ])
    for pic in pictures:
        doc.image(pic.cid, pic.caption)
    return doc.done(pictures=tuple(pictures))


def kpi_trend_png(trend: Sequence[Mapping[str, Any]], tr: Tr, *, size: tuple[int, int] = (1200, 600)) -> bytes:
    """Two panels over the last days (7-day rolling values): on-time and complaint rate in
    percent, and the average survey score (1-5). Drawn on its own Figure (no pyplot state)."""
    cjk = find_cjk_font()
    tr = picture_translator(tr, cjk)
    family = ["DejaVu Sans"] if cjk is None else [cjk, "DejaVu Sans"] if tr.lang == "zh_Hans" else ["DejaVu Sans", cjk]
    days = [datetime.fromisoformat(str(r["date"])) for r in trend]
    labels = [tr.day_label(d) for d in days]
    xs = list(range(len(days)))
    dpi = 100
    fig = Figure(figsize=(size[0] / dpi, size[1] / dpi), dpi=dpi, facecolor="white")
    FigureCanvasAgg(fig)
    fig.suptitle(tr.gettext("KPI trend (7-day rolling)"), fontfamily=family, fontsize=15)
    left, right = fig.subplots(1, 2)

    def series(name: str, scale: float = 1.0) -> list[float]:
        return [float("nan") if r.get(name) is None else float(r[name]) * scale for r in trend]

    left.plot(xs, series("on_time_rate", 100), marker="o", color="#2ca02c", label=_label(tr, "on_time_rate"))
    left.plot(xs, series("complaint_rate", 100), marker="s", color="#d62728",
              label=_label(tr, "complaint_rate"))
    left.set_ylim(0, 105)
    left.set_ylabel("%", fontfamily=family)
    right.plot(xs, series("satisfaction_avg"), marker="o", color="#1f77b4",
               label=_label(tr, "satisfaction_avg"))
    right.set_ylim(1, 5.2)
    for ax in (left, right):
        step = max(1, len(xs) // 7)
        ax.set_xticks(xs[::step], labels[::step], rotation=30, ha="right", fontfamily=family, fontsize=9)
        ax.grid(True, color="#dddddd")
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.legend(prop={"family": family, "size": 9}, loc="lower left")
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.2, top=0.86, wspace=0.2)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    return buf.getvalue()
