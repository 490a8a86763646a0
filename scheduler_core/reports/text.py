"""A plan as plain text: the per-order table, the totals, and why an order is late.

Pure functions of the plan's ETA rows (:class:`scheduler_core.services.planning.OrderEta`,
typed here structurally as :class:`EtaLike`, so the renderer needs nothing from the use-case
layer) and a
:class:`~scheduler_core.reports.i18n.Tr`. Column widths count display cells, so Chinese text
(two cells a character) lines up in a terminal or a monospaced chat block.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Protocol

from scheduler_core.domain.cause import LateCause

from .i18n import N_, Tr

__all__ = [
    "EtaLike",
    "display_width",
    "pad",
    "render_cause",
    "render_cause_short",
    "render_plan_table",
    "render_plan_totals",
    "sort_for_report",
]


class EtaLike(Protocol):
    """One active order's promise and planned completion (``services.planning.OrderEta``)."""

    @property
    def ref(self) -> str: ...
    @property
    def customer(self) -> str: ...
    @property
    def due(self) -> datetime: ...
    @property
    def eta(self) -> datetime: ...
    @property
    def late_by(self) -> timedelta: ...
    @property
    def vip(self) -> bool: ...
    @property
    def rush(self) -> bool: ...
    @property
    def cause(self) -> LateCause | None: ...


VIP_MARK = "★"
_ELLIPSIS = "…"
_GAP = "  "
_MAX_CUSTOMER = 22
_MAX_CAUSE = 30
_SHOWN_ORDERS = 3  # orders named in a cause before "…"

# Planner vocabulary (SolveStatus values and method names) -> words for people.
_STATUS = {
    "optimal": N_("optimal"),
    "feasible": N_("good, not proven best"),
    "fallback": N_("solver out of time, dispatching-rule plan"),
    "heuristic": N_("quick plan, not optimized"),
    "infeasible": N_("infeasible: reported work conflicts"),
}


# --- display cells -------------------------------------------------------------------
def display_width(text: str) -> int:
    """Terminal cells ``text`` takes: wide and fullwidth (CJK) characters take two,
    combining marks none; ambiguous ones (★, …) one, as in non-CJK terminals."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def _truncate(text: str, cells: int) -> str:
    if display_width(text) <= cells:
        return text
    out, used = "", 0
    for ch in text:
        w = display_width(ch)
        if used + w > cells - 1:
            break
        out += ch
        used += w
    return out + _ELLIPSIS


def pad(text: str, cells: int, *, right: bool = False) -> str:
    """``text`` padded with spaces to ``cells`` display cells (right-aligned if ``right``)."""
    fill = " " * max(0, cells - display_width(text))
    return fill + text if right else text + fill


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], right: frozenset[int] = frozenset()) -> list[str]:
    widths = [display_width(h) for h in header]
    for row in rows:
        widths = [max(w, display_width(c)) for w, c in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return _GAP.join(pad(c, w, right=i in right) for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    return [line(header), _GAP.join("-" * w for w in widths), *(line(r) for r in rows)]


# --- causes ----------------------------------------------------------------------------
def render_cause(cause: LateCause | None, tr: Tr, tz: tzinfo) -> str:
    """Why an order is late, as a sentence for the customer or the sales desk; a time in it
    (a repair, a material release) in the reader's timezone ``tz``.

    ``Waiting for CNC-2 behind 4 orders (SO-1012, SO-1017, SO-1020, …)``,
    ``Machine WLD-1 is down until Wed 14:00``, ``Rush order SO-1099 was inserted ahead of it``,
    ``Material is released late``, ``Not enough working time before the promised date even if
    it ran alone``; ``""`` without a cause.
    """
    if cause is None:
        return ""
    kind, machine, orders = cause.kind, cause.machine, tuple(cause.orders)
    named = tr.listing(orders, limit=_SHOWN_ORDERS)
    n = cause.order_count
    if kind == "bottleneck":
        if machine and orders:
            return tr.ngettext(
                "Waiting for {machine} behind {n} order ({orders})",
                "Waiting for {machine} behind {n} orders ({orders})",
                n,
                machine=machine,
                orders=named,
            )
        if machine and n:  # counted, not named (a customer's view)
            return tr.ngettext("Waiting for {machine} behind {n} other order",
                               "Waiting for {machine} behind {n} other orders", n, machine=machine)
        if machine:
            return tr.gettext("Waiting for {machine}, which is fully booked", machine=machine)
        return tr.gettext("Waiting behind other orders")
    if kind == "machine_down":
        if cause.until is not None:
            return tr.gettext(
                "Machine {machine} is down until {until}",
                machine=machine or "?",
                until=tr.weekday_time(cause.until.astimezone(tz)),
            )
        return tr.gettext("Machine {machine} is down until further notice", machine=machine or "?")
    if kind == "inserted_order":
        if orders:
            return tr.ngettext(
                "Rush order {orders} was inserted ahead of it",
                "Rush orders {orders} were inserted ahead of it",
                n,
                orders=named,
            )
        if n > 1:
            return tr.gettext("{n} rush orders were inserted ahead of it", n=n)
        return tr.gettext("A rush order was inserted ahead of it")
    if kind == "released_late":
        if cause.until is not None:
            return tr.gettext("Material is only released on {until}",
                              until=tr.weekday_time(cause.until.astimezone(tz)))
        return tr.gettext("Material is released late")
    if kind == "not_enough_time":
        return tr.gettext("Not enough working time before the promised date even if it ran alone")
    if kind == "past_due":
        return tr.gettext("The promised date has already passed; this is the earliest it can be ready")
    return tr.gettext("Late for another reason ({kind})", kind=kind)


def render_cause_short(cause: LateCause | None, tr: Tr) -> str:
    """The cause in a few words, for a table column: ``Queue at CNC-2``, ``WLD-1 down``."""
    if cause is None:
        return ""
    kind, machine, orders = cause.kind, cause.machine, tuple(cause.orders)
    if kind == "bottleneck":
        return tr.gettext("Queue at {machine}", machine=machine) if machine else tr.gettext("Queue")
    if kind == "machine_down":
        return tr.gettext("{machine} down", machine=machine or "?")
    if kind == "inserted_order":
        if orders:
            return tr.gettext("Rush {orders} inserted", orders=tr.listing(orders, limit=1))
        return tr.gettext("Rush order inserted")
    if kind == "released_late":
        return tr.gettext("Material late")
    if kind == "not_enough_time":
        return tr.gettext("Too little time")
    if kind == "past_due":
        return tr.gettext("Already overdue")
    return kind


# --- the table ---------------------------------------------------------------------------
def sort_for_report(etas: Sequence[EtaLike]) -> list[EtaLike]:
    """Latest first, then by promised date, then by order reference."""
    return sorted(etas, key=lambda e: (-e.late_by, e.due, e.ref))


def render_plan_table(
    etas: Sequence[EtaLike],
    tr: Tr,
    *,
    limit: int | None = None,
    tz: tzinfo | None = None,
) -> str:
    """A fixed-width table of the orders, most late first: order, customer, due, ETA, late by,
    VIP (★) and the short cause.

    Args:
        etas: one row per active order.
        tr: language and formats.
        limit: show at most this many rows (then a "… and N more" line); None shows all.
        tz: show times in this zone (the factory's); None keeps each datetime's own zone.
    """
    rows_in = sort_for_report(etas)
    shown = rows_in if limit is None else rows_in[: max(0, limit)]

    def when(dt: datetime) -> str:
        return tr.short_datetime(dt.astimezone(tz) if tz is not None else dt)

    header = [
        tr.gettext("Order"),
        tr.gettext("Customer"),
        tr.gettext("Due"),
        tr.gettext("ETA"),
        tr.gettext("Late by"),
        tr.gettext("VIP"),
        tr.gettext("Reason"),
    ]
    on_time = tr.gettext("on time")
    rows = [
        [
            e.ref,
            _truncate(e.customer, _MAX_CUSTOMER),
            when(e.due),
            when(e.eta),
            tr.duration(e.late_by, style="narrow") if e.late_by > timedelta(0) else on_time,
            VIP_MARK if e.vip else "",
            _truncate(render_cause_short(e.cause, tr), _MAX_CAUSE) if e.late_by > timedelta(0) else "",
        ]
        for e in shown
    ]
    lines = _table(header, rows, right=frozenset({4}))
    if not rows_in:
        lines.append(tr.gettext("No open orders."))
    hidden = len(rows_in) - len(shown)
    if hidden > 0:
        lines.append(tr.ngettext("… and {n} more order", "… and {n} more orders", hidden))
    return "\n".join(lines)


# --- totals ------------------------------------------------------------------------------
def _status_label(status: str, tr: Tr) -> str:
    key = status.lower()
    return tr.gettext(_STATUS[key]) if key in _STATUS else (status or "?")


def _method_label(method: str, tr: Tr) -> str:
    """``cpsat`` / ``cpsat (hint kept)`` -> the solver; anything else is a dispatching rule."""
    if not method:
        return "?"
    if method.lower().replace("-", "").startswith("cpsat"):
        return tr.gettext("CP-SAT solver")
    return tr.gettext("dispatching rule {rule}", rule=method)


def render_plan_totals(
    etas: Sequence[EtaLike],
    tr: Tr,
    status: str,
    method: str,
    seconds: float,
) -> str:
    """The plan in numbers: open orders, on time, late (count and share), total and maximum
    lateness, late VIP orders, and how the plan was made (method, status, solve time)."""
    n = len(etas)
    late = [e for e in etas if e.late_by > timedelta(0)]
    share = (len(late) / n) if n else 0.0
    total = sum((e.late_by for e in late), timedelta(0))
    worst = max((e.late_by for e in late), default=timedelta(0))
    vip_late = sum(1 for e in late if e.vip)
    vip_all = sum(1 for e in etas if e.vip)
    how = tr.gettext(
        "{method}, {status}, {seconds} s",
        method=_method_label(method, tr),
        status=_status_label(status, tr),
        seconds=tr.number(seconds, decimals=1),
    )
    pairs = [
        (tr.gettext("Open orders"), tr.number(n)),
        (tr.gettext("On time"), f"{tr.number(n - len(late))} ({tr.percent(1.0 - share if n else 0.0)})"),
        (tr.gettext("Late"), f"{tr.number(len(late))} ({tr.percent(share)})"),
        (tr.gettext("Total lateness"), tr.duration(total)),
        (tr.gettext("Longest delay"), tr.duration(worst)),
        (tr.gettext("VIP orders late"), tr.gettext("{late} of {total}", late=tr.number(vip_late), total=tr.number(vip_all))),
        (tr.gettext("Plan made by"), how),
    ]
    width = max(display_width(k) for k, _ in pairs)
    return "\n".join(f"{pad(k, width)}{_GAP}{v}" for k, v in pairs)
