"""Use cases the scheduled jobs trigger: the delay watch, due surveys, the managers' daily
summary, housekeeping; and what the outbox relay needs to deliver a row (who, in which
language, through which account, with what context).

Pure logic over the ports: no I/O framework, no clock but ``svc.now()``. Every notification is
written to the outbox with a UNIQUE dedup key in the same transaction as the state it reports,
so a job fired twice for the same period, or re-run after a crash, queues nothing new.

Dedup keys (one message per key, ever):

* ``delay:{ref}:{version}:{user}`` / ``delay-sales:{ref}:{version}:{user}``: a slip, the
  same keys :func:`~scheduler_core.services.context.queue_delay_warnings` uses when a plan is
  published, so the watch (a safety net) never repeats a warning publication queued;
* ``ontrack:{ref}:{version}:{user}``: the good news after a warned slip;
* ``survey:{ref}`` and ``survey-reminder:{ref}``: the survey and its single reminder;
* ``summary:{recipient}:{date}``: one daily summary per manager (or group) and day.

Quiet hours: a non-urgent notification created inside the recipient's quiet window (default
22:00-08:00 in the recipient's timezone) gets ``not_before`` = the end of the window.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from scheduler_core.domain.model import OrderStatus

from .codec import cause_from_dict, cause_to_dict, customer_cause
from .context import WATCH_SUBJECT, Services, told_late_eta
from .load import busiest_machine, machine_time
from .ports import (
    AuditEntry,
    ChatIdentity,
    Complaint,
    Notification,
    OrderRecord,
    Role,
    Survey,
    UnitOfWork,
    User,
)

__all__ = [
    "Delivery",
    "DeliveryTarget",
    "GroupRecipient",
    "HousekeepingResult",
    "NotifySettings",
    "QuietHours",
    "SummaryData",
    "WatchResult",
    "daily_summary",
    "deactivate_identity",
    "housekeeping",
    "quiet_until",
    "resolve_delivery",
    "send_due_surveys",
    "summary_data",
    "watch_delays",
]

_ZERO = timedelta(0)


# --- settings and quiet hours ------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class QuietHours:
    """A daily window (local time) in which non-urgent messages wait; ``start == end``: none."""

    start: time = time(22, 0)
    end: time = time(8, 0)

    @classmethod
    def parse(cls, window: tuple[str, str] | str) -> QuietHours:
        """``("22:00", "08:00")`` or ``"22:00-08:00"``; ``"off"`` gives no quiet hours."""
        if isinstance(window, str):
            if window.strip().lower() in ("", "off", "none"):
                return cls(time(0), time(0))
            a, _, b = window.partition("-")
            window = (a, b)
        return cls(time.fromisoformat(window[0].strip()), time.fromisoformat(window[1].strip()))


def quiet_until(now: datetime, tz: tzinfo, quiet: QuietHours) -> datetime | None:
    """The end of the quiet window ``now`` falls in (in ``tz``), or None outside it."""
    if quiet.start == quiet.end:
        return None
    local = now.astimezone(tz)
    t = local.time().replace(tzinfo=None)
    day = local.date()
    if quiet.start < quiet.end:  # e.g. 01:00-06:00
        if not quiet.start <= t < quiet.end:
            return None
        end_day = day
    else:  # across midnight, e.g. 22:00-08:00
        if quiet.end <= t < quiet.start:
            return None
        end_day = day if t < quiet.end else day + timedelta(days=1)
    return datetime.combine(end_day, quiet.end, tzinfo=tz)


@dataclass(frozen=True, slots=True)
class GroupRecipient:
    """A group address from the notification config (``wecom:ops``, ``feishu:mgmt``)."""

    address: str
    lang: str = "zh_Hans"
    kinds: frozenset[str] = frozenset({"summary"})


@dataclass(frozen=True)
class NotifySettings:
    """How the jobs notify; built by the composition root from settings + the TOML config."""

    quiet: QuietHours = field(default_factory=QuietHours)
    timezone: str | None = None  # None: the factory's
    user_timezones: Mapping[str, str] = field(default_factory=dict)  # username -> zone
    user_quiet: Mapping[str, QuietHours] = field(default_factory=dict)  # username -> window
    survey_delay: timedelta = timedelta(hours=24)
    survey_reminder_after: timedelta = timedelta(hours=48)
    survey_window: timedelta = timedelta(days=14)  # deliveries older than delay + this get none
    at_risk_margin: timedelta = timedelta(hours=24)
    inbox_keep: timedelta = timedelta(days=7)
    groups: tuple[GroupRecipient, ...] = ()
    watch_lookback: int = 50  # plan versions searched for a publication-time warning
    on_track_margin: timedelta = timedelta(hours=2)
    """An order announced late gets its good-news note once its ETA is this far before the
    promise: an ETA that wobbles around the promised time from one re-plan to the next
    does not send "late", "on time", "late" to the customer."""

    def zone(self, user: User | None, factory_tz: str) -> ZoneInfo:
        name = (self.user_timezones.get(user.username) if user is not None else None) or self.timezone or factory_tz
        return ZoneInfo(name)

    def quiet_for(self, user: User | None) -> QuietHours:
        return (self.user_quiet.get(user.username) if user is not None else None) or self.quiet


async def _queue(uow: UnitOfWork, settings: NotifySettings, n: Notification, user: User | None,
                 factory_tz: str) -> bool:
    """Add ``n`` to the outbox, deferred to the end of the recipient's quiet hours."""
    not_before = None if n.urgent else quiet_until(n.created, settings.zone(user, factory_tz), settings.quiet_for(user))
    return await uow.outbox.add(n, not_before)


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt is not None else None


def _minutes(delta: timedelta) -> int:
    return round(delta.total_seconds() / 60)


# --- delay watch -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class WatchResult:
    version: int
    warned: tuple[str, ...]  # orders warned about now (a new slip not yet announced)
    back_on_track: tuple[str, ...]
    already_warned: tuple[str, ...]  # new slips publication had announced already
    queued: int


def _told_state(entry: AuditEntry | None) -> dict[str, Any]:
    """What the delay watch last told about an order (its audit row's ``after``), or nothing."""
    return dict(entry.after or {}) if entry is not None else {}


class _Recipients:
    """Who hears about an order, each customer's and salesperson's users read once per run."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self._customers: dict[str, list[User]] = {}
        self._sales: dict[str, User | None] = {}

    async def customers(self, rec: OrderRecord) -> list[User]:
        name = rec.order.customer
        if name not in self._customers:
            self._customers[name] = [u for u in await self._uow.users.of_customer(name)
                                     if u.active and u.role is Role.CUSTOMER]
        return self._customers[name]

    async def sales(self, rec: OrderRecord) -> User | None:
        if not rec.sales:
            return None
        if rec.sales not in self._sales:
            user = await self._uow.users.by_username(rec.sales)
            self._sales[rec.sales] = user if user is not None and user.active and user.role is not Role.CUSTOMER else None
        return self._sales[rec.sales]


async def watch_delays(svc: Services, settings: NotifySettings = NotifySettings()) -> WatchResult:
    """Compare the current plan's ETAs with what each order's customers were last told.

    An active order is late when its planned completion (or now, once the promise has
    passed) is after its promised date by more than ``svc.warn_after`` (30 minutes: a plan
    that finishes an order minutes after its promise is no news). For each late order not yet warned about, or slipped
    further than ``svc.slip_threshold`` since the last warning, ONE warning per customer user
    (``delay``) and for the sales owner (``delay_sales``) is queued, unless publication queued
    it already for a plan version the watch has not looked at yet. An order warned about and
    now on time again gets one short good-news note (``on_track``).

    What was told is remembered as audit rows (subject ``delay-watch:{ref}``), written in the
    same transaction as the notifications.

    The comparison reads in a read transaction; only the notifications and audit rows are
    written in a short write transaction (SQLite has one writer: a long one would hold up the
    webhook's inbox, P9). An order whose last audit row changed in between (a concurrent
    watch) is left to that watch.
    """
    now = svc.now()
    warned: list[str] = []
    back: list[str] = []
    already: list[str] = []
    todo: list[tuple[str, dict[str, Any], list[tuple[Notification, User]], AuditEntry]] = []
    async with svc.uow() as uow:
        plan = await uow.plans.current()
        if plan is None:
            return WatchResult(0, (), (), (), 0)
        factory_tz = await uow.master.timezone()
        etas = plan.schedule.etas()
        causes: dict[str, Any] = plan.metrics.get("causes", {})
        active = [rec for rec in await uow.orders.active() if rec.ref in etas]
        told = await uow.audit.latest([WATCH_SUBJECT.format(ref=rec.ref) for rec in active])
        recipients = _Recipients(uow)
        for rec in active:
            order = rec.order
            eta = etas[rec.ref]
            subject = WATCH_SUBJECT.format(ref=rec.ref)
            state = _told_state(told.get(subject))
            was_late = state.get("state") == "late"
            late = max(eta, now) > order.due + svc.warn_after  # minutes after the promise: no news yet
            if was_late and not late and eta > order.due - settings.on_track_margin:
                continue  # just on time: not yet worth a good-news note
            customers = await recipients.customers(rec)
            sales = await recipients.sales(rec)
            sends: list[tuple[Notification, User]] = []
            if late:
                told_eta = told_late_eta(told.get(subject))
                if svc.announced(told_eta, eta):
                    continue  # this slip was announced; no news
                since = int(state["version"]) if state.get("version") else max(0, plan.number - settings.watch_lookback)
                if await _publication_warned(uow, rec.ref, [*customers, *([sales] if sales else [])], since,
                                             plan.number):
                    already.append(rec.ref)
                else:
                    payload = {
                        "ref": rec.ref, "due": _iso(order.due), "old_eta": _iso(told_eta), "new_eta": _iso(eta),
                        "late_by_minutes": _minutes(max(eta, now) - order.due), "version": plan.number,
                        "cause": causes.get(rec.ref), "vip": order.vip,
                    }
                    told_customer = {**payload, "cause": customer_cause(causes.get(rec.ref))}
                    for user in customers:
                        sends.append((Notification(f"delay:{rec.ref}:{plan.number}:{user.id}", "chat",
                                                   f"user:{user.id}", "delay", told_customer, now), user))
                    if sales is not None:
                        sends.append((Notification(f"delay-sales:{rec.ref}:{plan.number}:{sales.id}", "chat",
                                                   f"user:{sales.id}", "delay_sales",
                                                   {**payload, "customer": order.customer}, now), sales))
                    warned.append(rec.ref)
                todo.append((subject, state, sends, AuditEntry(
                    now, 0, "delay_watch", subject, state or None,
                    {"state": "late", "eta": eta.isoformat(), "version": plan.number})))
            elif was_late:
                payload = {"ref": rec.ref, "due": _iso(order.due), "new_eta": _iso(eta), "version": plan.number}
                for user in [*customers, *([sales] if sales else [])]:
                    sends.append((Notification(f"ontrack:{rec.ref}:{plan.number}:{user.id}", "chat",
                                               f"user:{user.id}", "on_track", {**payload, "customer": order.customer},
                                               now), user))
                back.append(rec.ref)
                todo.append((subject, state, sends, AuditEntry(
                    now, 0, "delay_watch", subject, state,
                    {"state": "on_time", "eta": eta.isoformat(), "version": plan.number})))
    queued = 0
    if todo:
        async with svc.uow(write=True) as uow:
            now_told = await uow.audit.latest([subject for subject, *_ in todo])
            for subject, state, sends, entry in todo:
                if _told_state(now_told.get(subject)) != state:
                    continue  # a concurrent watch got there first
                for n, user in sends:
                    queued += await _queue(uow, settings, n, user, factory_tz)
                await uow.audit.add(entry)
            await uow.commit()
    return WatchResult(plan.number, tuple(warned), tuple(back), tuple(already), queued)


async def _publication_warned(uow: UnitOfWork, ref: str, users: Sequence[User], since: int, version: int) -> bool:
    """Whether a plan published after version ``since`` queued a delay warning for ``ref`` (one
    query for every version and user)."""
    keys = [f"{'delay-sales' if user.role is not Role.CUSTOMER else 'delay'}:{ref}:{k}:{user.id}"
            for k in range(version, since, -1) for user in users]
    return bool(keys) and bool(await uow.outbox.existing(keys))


# --- surveys -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SurveyResult:
    sent: tuple[str, ...]
    reminded: tuple[str, ...]


async def send_due_surveys(svc: Services, settings: NotifySettings = NotifySettings()) -> SurveyResult:
    """Queue the satisfaction survey of every order delivered at least ``survey_delay`` ago
    (at most ``survey_window`` before that), and one reminder ``survey_reminder_after`` later
    when it is still unanswered. The survey goes to the customer's first active user."""
    now = svc.now()
    sent: list[str] = []
    reminded: list[str] = []
    async with svc.uow(write=True) as uow:
        factory_tz = await uow.master.timezone()
        since = now - settings.survey_delay - settings.survey_window
        delivered = await uow.orders.list(statuses=[OrderStatus.DELIVERED], delivered_since=since)
        recipients = _Recipients(uow)
        for rec in delivered:
            if rec.delivered is None or rec.delivered > now - settings.survey_delay:
                continue
            users = sorted(await recipients.customers(rec), key=lambda u: u.id)
            if not users:
                continue
            user = users[0]
            if not await uow.feedback.add_survey(Survey(rec.ref, rec.order.customer, now)):
                continue
            payload = {"ref": rec.ref, "customer": rec.order.customer, "product": rec.order.product,
                       "quantity": rec.order.quantity, "delivered": _iso(rec.delivered)}
            n = Notification(f"survey:{rec.ref}", "chat", f"user:{user.id}", "survey", payload, now)
            await _queue(uow, settings, n, user, factory_tz)
            sent.append(rec.ref)
        for survey in await uow.feedback.surveys(now - settings.survey_reminder_after - settings.survey_window):
            if survey.score is not None or survey.sent > now - settings.survey_reminder_after:
                continue
            if await uow.outbox.get(f"survey-reminder:{survey.ref}") is not None:
                continue
            first = await uow.outbox.get(f"survey:{survey.ref}")
            if first is None:
                continue  # not sent by us (imported history): no reminder either
            user_id = int(first.notification.recipient.removeprefix("user:"))
            n = Notification(f"survey-reminder:{survey.ref}", "chat", f"user:{user_id}", "survey_reminder",
                             dict(first.notification.payload), now)
            if await _queue(uow, settings, n, await uow.users.get(user_id), factory_tz):
                reminded.append(survey.ref)
        await uow.commit()
    return SurveyResult(tuple(sent), tuple(reminded))


# --- daily summary -----------------------------------------------------------------------
@dataclass(frozen=True)
class SummaryData:
    """What a manager reads at 08:00, as JSON-ready data (stored in the outbox payload)."""

    date: str  # the local day the summary is for (ISO)
    timezone: str
    on_time_yesterday: float | None
    delivered_yesterday: int
    on_time_7d: float | None
    delivered_7d: int
    late: list[dict[str, Any]]  # ref, customer, due, eta, late_by_minutes, vip, cause
    at_risk: list[dict[str, Any]]
    complaints: list[dict[str, Any]]  # id, customer, ref, text
    satisfaction_avg: float | None
    survey_answers: int
    survey_response_rate: float | None
    rush: list[dict[str, Any]]  # ref, delayed, delayed_refs, tardiness_added_minutes
    bottleneck: str | None
    bottleneck_load: float | None
    kpis: dict[str, dict[str, float | None]]  # name -> {"now": x, "before": y}
    trend: list[dict[str, Any]]  # per day: date, on_time_rate, satisfaction_avg, complaint_rate, lead_days
    planned_stops: list[dict[str, Any]] = field(default_factory=list)  # machine, start, end, reason: next 3 days

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SummaryData:
        fields: dict[str, Any] = {k: d.get(k) for k in cls.__dataclass_fields__}
        return cls(**fields)


def _window(delivered: Sequence[OrderRecord], complaints: Sequence[Complaint], surveys: Sequence[Survey],
            lo: datetime, hi: datetime) -> dict[str, float | None]:
    """The four KPIs over [lo, hi): lead time (days), complaint rate, delay rate, satisfaction."""
    done = [r for r in delivered if r.delivered is not None and lo <= r.delivered < hi]
    n = len(done)
    late = sum(1 for r in done if r.delivered is not None and r.delivered > r.order.due)
    lead = [(r.delivered - r.order.created).total_seconds() / 86400 for r in done
            if r.delivered is not None and r.order.created is not None]
    scores = [s.score for s in surveys if s.score is not None and s.answered is not None and lo <= s.answered < hi]
    asked = [s for s in surveys if lo <= s.sent < hi]
    comp = sum(1 for c in complaints if lo <= c.created < hi)
    return {
        "delivered": float(n),
        "lead_time_days": round(sum(lead) / len(lead), 2) if lead else None,
        "complaint_rate": round(comp / n, 4) if n else None,
        "delay_rate": round(late / n, 4) if n else None,
        "on_time_rate": round(1 - late / n, 4) if n else None,
        "satisfaction_avg": round(sum(scores) / len(scores), 2) if scores else None,
        "survey_answers": float(len(scores)),
        "response_rate": round(sum(1 for s in asked if s.score is not None) / len(asked), 4) if asked else None,
    }


def _late_row(rec: OrderRecord, eta: datetime, now: datetime, cause: Any) -> dict[str, Any]:
    o = rec.order
    return {"ref": o.ref, "customer": o.customer, "due": _iso(o.due), "eta": _iso(eta), "vip": o.vip,
            "late_by_minutes": _minutes(max(_ZERO, max(eta, now) - o.due)), "cause": cause,
            "slack_minutes": _minutes(o.due - eta)}


PLANNED_STOPS_AHEAD = timedelta(days=3)
"""The daily summary lists the machine stops planned to begin within this from now."""


async def summary_data(svc: Services, day: date, settings: NotifySettings = NotifySettings()) -> SummaryData:
    """The daily summary for the local day ``day`` (reporting on the day before it)."""
    now = svc.now()
    async with svc.uow() as uow:
        tzname = settings.timezone or await uow.master.timezone()
        tz = ZoneInfo(tzname)
        start = datetime.combine(day, time(0), tzinfo=tz)
        lo = start - timedelta(days=28)
        delivered = await uow.orders.list(statuses=[OrderStatus.DELIVERED], delivered_since=lo)
        complaints = await uow.feedback.complaints(lo)
        surveys = await uow.feedback.surveys(lo - timedelta(days=14))
        active = await uow.orders.active()
        plan = await uow.plans.current()
        audit = await uow.audit.list(limit=1000)
        shop = await machine_time(uow, svc.planning.open_downtime)
    yesterday = _window(delivered, complaints, surveys, start - timedelta(days=1), start)
    week = _window(delivered, complaints, surveys, start - timedelta(days=7), start)
    before = _window(delivered, complaints, surveys, start - timedelta(days=14), start - timedelta(days=7))
    late: list[dict[str, Any]] = []
    risk: list[dict[str, Any]] = []
    bottleneck: str | None = None
    load: float | None = None
    if plan is not None:
        etas = plan.schedule.etas()
        causes: dict[str, Any] = plan.metrics.get("causes", {})
        for rec in active:
            eta = etas.get(rec.ref)
            if eta is None:
                continue
            if max(eta, now) > rec.order.due:
                late.append(_late_row(rec, eta, now, causes.get(rec.ref)))
            elif rec.order.due - eta < settings.at_risk_margin:
                risk.append(_late_row(rec, eta, now, causes.get(rec.ref)))
        late.sort(key=lambda r: (not r["vip"], -r["late_by_minutes"], r["ref"]))
        risk.sort(key=lambda r: (not r["vip"], r["slack_minutes"], r["ref"]))
        busiest = busiest_machine(plan.schedule, now, timedelta(days=7), shop)
        if busiest is not None:
            bottleneck, load = busiest
    rush = []
    for e in audit:
        if e.action != "confirm_insert" or not (start - timedelta(days=1) <= e.at < start):
            continue
        impact = (e.after or {}).get("impact") or {}
        delayed = impact.get("delayed") or []
        rush.append({"ref": e.subject, "delayed": len(delayed), "delayed_refs": [d["ref"] for d in delayed][:5],
                     "newly_late": list(impact.get("newly_late") or []),
                     "tardiness_added_minutes": int(impact.get("tardiness_added_minutes") or 0)})
    new_complaints = [{"id": c.id, "customer": c.customer, "ref": c.ref, "text": c.text[:200]}
                      for c in complaints if start - timedelta(days=1) <= c.created < start]
    kpi_names = ("on_time_rate", "lead_time_days", "complaint_rate", "satisfaction_avg")
    trend = []
    for k in range(13, -1, -1):
        end = start - timedelta(days=k)
        w = _window(delivered, complaints, surveys, end - timedelta(days=7), end)
        trend.append({"date": (end - timedelta(days=1)).date().isoformat(), **{n: w[n] for n in kpi_names}})
    planned = [{"machine": d.machine, "start": _iso(d.start), "end": _iso(d.end), "reason": d.reason}
               for d in sorted(shop.downtime, key=lambda d: (d.start, d.machine))
               if now < d.start < now + PLANNED_STOPS_AHEAD]
    return SummaryData(
        date=day.isoformat(), timezone=tzname,
        on_time_yesterday=yesterday["on_time_rate"], delivered_yesterday=int(yesterday["delivered"] or 0),
        on_time_7d=week["on_time_rate"], delivered_7d=int(week["delivered"] or 0),
        late=late, at_risk=risk[:10], complaints=new_complaints,
        satisfaction_avg=week["satisfaction_avg"], survey_answers=int(week["survey_answers"] or 0),
        survey_response_rate=week["response_rate"], rush=rush,
        bottleneck=bottleneck, bottleneck_load=round(load, 3) if load is not None else None,
        kpis={n: {"now": week[n], "before": before[n]} for n in kpi_names},
        trend=trend, planned_stops=planned,
    )


@dataclass(frozen=True, slots=True)
class SummaryResult:
    date: str
    recipients: tuple[str, ...]
    queued: int


async def daily_summary(svc: Services, day: date, settings: NotifySettings = NotifySettings()) -> SummaryResult:
    """Queue the daily summary for ``day`` to every active manager (``summary:{user}:{date}``)
    and to the configured groups (``summary:{address}:{date}``); the relay renders it in each
    recipient's language, with the Gantt of the next days and the KPI trend chart."""
    data = await summary_data(svc, day, settings)
    now = svc.now()
    payload = data.to_dict()
    recipients: list[str] = []
    queued = 0
    async with svc.uow(write=True) as uow:
        factory_tz = await uow.master.timezone()
        for user in sorted(await uow.users.with_role(Role.MANAGER), key=lambda u: u.id):
            if not user.active:
                continue
            n = Notification(f"summary:{user.id}:{data.date}", "chat", f"user:{user.id}", "summary", payload, now)
            queued += await _queue(uow, settings, n, user, factory_tz)
            recipients.append(f"user:{user.id}")
        for group in settings.groups:
            if "summary" not in group.kinds:
                continue
            n = Notification(f"summary:{group.address}:{data.date}", group.address.split(":", 1)[0], group.address,
                             "summary", {**payload, "lang": group.lang}, now)
            queued += await _queue(uow, settings, n, None, factory_tz)
            recipients.append(group.address)
        await uow.commit()
    return SummaryResult(data.date, tuple(recipients), queued)


# --- housekeeping ------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class HousekeepingResult:
    changes_expired: int
    links_expired: int
    inbox_pruned: int
    buttons_purged: int = 0
    chat_states_purged: int = 0


async def housekeeping(svc: Services, settings: NotifySettings = NotifySettings()) -> HousekeepingResult:
    """Expire unconfirmed change proposals and link codes; delete processed webhook updates
    older than ``inbox_keep``, and chat buttons and conversation states past their time."""
    now = svc.now()
    async with svc.uow(write=True) as uow:
        changes = await uow.changes.expire(now)
        links = await uow.links.expire(now)
        pruned = await uow.inbox.prune(now - settings.inbox_keep)
        buttons = await uow.buttons.purge(now)
        states = await uow.chatstate.purge(now)
        await uow.commit()
    return HousekeepingResult(changes, links, pruned, buttons, states)


# --- delivery: what the relay needs -------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DeliveryTarget:
    """One way to reach the recipient: ``channel`` (telegram, email, wecom ...) + address."""

    channel: str
    address: str


DEFAULT_ROUTE = ("telegram", "email", "web")
"""How a user is reached unless configured otherwise: the first of these that works."""


@dataclass(frozen=True)
class Delivery:
    """A resolved outbox row: whom, in which language, through which targets (best first),
    and the context the text needs (why late, whom to contact)."""

    lang: str
    targets: tuple[DeliveryTarget, ...]
    user: User | None = None
    tz: str = "Asia/Shanghai"
    context: dict[str, Any] = field(default_factory=dict)


async def resolve_delivery(uow: UnitOfWork, n: Notification, *,
                           preferences: Mapping[str, Sequence[str]] | None = None,
                           settings: NotifySettings = NotifySettings()) -> Delivery | None:
    """Who gets ``n`` and how. ``user:<id>`` recipients are reached through their active chat
    identities (Telegram, the web chat) or e-mail, in the order of ``preferences[username]``
    (default telegram, then email, then the web chat); other recipients are channel addresses (``wecom:ops``). None: the
    user is unknown or inactive, or has no way to be reached."""
    factory_tz = await uow.master.timezone()
    context = await _context(uow, n)
    if not n.recipient.startswith("user:"):
        channel = n.recipient.split(":", 1)[0]
        lang = str(n.payload.get("lang") or "zh_Hans")
        return Delivery(lang, (DeliveryTarget(channel, n.recipient),), None, settings.timezone or factory_tz, context)
    try:
        user = await uow.users.get(int(n.recipient.removeprefix("user:")))
    except ValueError:
        return None
    if user is None or not user.active:
        return None
    order = tuple((preferences or {}).get(user.username) or DEFAULT_ROUTE)
    idents: list[ChatIdentity] = [i for i in await uow.identities.for_user(user.id) if i.active]
    targets: list[DeliveryTarget] = []
    langs: list[str] = []  # the languages the user's chats speak, best route first
    for channel in order:
        if channel == "email":
            if user.email:
                targets.append(DeliveryTarget("email", user.email))
        else:
            targets.extend(DeliveryTarget(channel, str(i.external_id)) for i in idents if i.channel == channel)
            langs.extend(i.lang for i in idents if i.channel == channel)
    if not targets:
        return None
    # in the language their chat speaks ("/language en", or a customer's chat following what they
    # write), else the user's own
    return Delivery(langs[0] if langs else user.lang, tuple(targets), user, str(settings.zone(user, factory_tz)),
                    context)


async def _context(uow: UnitOfWork, n: Notification) -> dict[str, Any]:
    """Why late (the current plan's cause) and whom to contact (the sales owner)."""
    ctx: dict[str, Any] = {}
    ref = n.payload.get("ref")
    if n.kind not in ("delay", "delay_sales", "survey", "survey_reminder", "on_track") or not isinstance(ref, str):
        return ctx
    rec = await uow.orders.get(ref)
    if rec is None:
        return ctx
    ctx["customer"] = rec.order.customer
    ctx["product"] = rec.order.product
    ctx["quantity"] = rec.order.quantity
    if n.kind in ("delay", "delay_sales") and not n.payload.get("cause"):
        plan = await uow.plans.current_for(ref)
        stored = plan.metrics.get("causes", {}).get(ref) if plan is not None else None
        if stored:
            ctx["cause"] = customer_cause(stored) if n.kind == "delay" else cause_to_dict(cause_from_dict(stored))
    sales = await _Recipients(uow).sales(rec)
    if sales is not None:
        ctx["contact"] = sales.display_name or sales.username
        if sales.email:
            ctx["contact_email"] = sales.email
    return ctx


async def deactivate_identity(svc: Services, channel: str, external_id: int) -> bool:
    """The chat blocked us (Telegram 403): keep the identity but mark it inactive, so no more
    sends go there. False when it was unknown or inactive already."""
    async with svc.uow(write=True) as uow:
        ident = await uow.identities.get(channel, external_id)
        if ident is None or not ident.active:
            return False
        await uow.identities.save(replace(ident, active=False))
        await uow.audit.add(AuditEntry(svc.now(), 0, "chat_blocked", f"{channel}:{external_id}", None,
                                       {"user": ident.user_id}))
        await uow.commit()
    return True
