"""What use cases return: plain data the front ends render (chat, REST, dashboard)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from scheduler_core.domain.cause import LateCause
from scheduler_core.domain.impact import ImpactReport
from scheduler_core.domain.model import OrderStatus

__all__ = [
    "AT_RISK_SLACK",
    "ChangeOutcome",
    "ChangeProposal",
    "EarlyStart",
    "KpiView",
    "OrderLine",
    "OrderStatusView",
    "PlanUpdate",
    "PromiseView",
    "Recorded",
    "ReportTarget",
    "StepView",
]


@dataclass(frozen=True, slots=True)
class StepView:
    """One routing step of an order: ``state`` is done / running / planned."""

    step: int
    name: str
    state: str
    machine: str | None
    done: int
    quantity: int
    start: datetime | None
    end: datetime | None


@dataclass(frozen=True, slots=True)
class OrderStatusView:
    ref: str
    customer: str
    product: str
    quantity: int
    status: OrderStatus
    due: datetime
    eta: datetime | None
    late_by: timedelta
    vip: bool
    cause: LateCause | None
    steps: tuple[StepView, ...]
    progress: float  # 0..1, share of routing work done
    current: StepView | None
    delivered: datetime | None
    plan_version: int
    material: datetime | None = None  # when its material is there, while that is still to come
    product_name: str = ""  # what the product is called ("Bracket"), when it has a name

    @property
    def on_time(self) -> bool:
        return self.late_by <= timedelta(0)


AT_RISK_SLACK = timedelta(hours=24)
"""An open order finishing less than this before its promise is at risk."""


@dataclass(frozen=True, slots=True)
class OrderLine:
    ref: str
    customer: str
    product: str
    quantity: int
    status: OrderStatus
    due: datetime
    eta: datetime | None
    late_by: timedelta
    vip: bool
    cause: LateCause | None = None  # why it is late in the plan (late orders only)

    @property
    def at_risk(self) -> bool:
        """On time in the plan, but with less than a day to spare."""
        return (self.eta is not None and self.late_by <= timedelta(0) and self.status.is_active
                and self.due - self.eta < AT_RISK_SLACK)


@dataclass(frozen=True)
class ChangeProposal:
    """An assessed change waiting for Confirm / Cancel; ``token`` is the opaque button key."""

    change_id: int
    token: str
    kind: str
    subject: str
    impact: ImpactReport
    subject_eta: datetime | None
    subject_due: datetime | None
    on_time_possible: bool | None
    earliest: datetime | None
    expires: datetime
    base_version: int
    restated: bool = False  # made again because the plan had moved on
    quantity: tuple[int, int] | None = None  # a quantity change: the order's quantity before and after
    rush: bool = False  # a new order put ahead of others (插单), not one booked where it fits


@dataclass(frozen=True)
class ChangeOutcome:
    """Result of Confirm: ``applied`` with the new version, or ``stale`` with a fresh proposal.
    ``rebased``: applied although the plan had moved on since the preview, because the preview
    re-timed to the current plan still said the same (see ``confirm_change``)."""

    applied: bool
    version: int | None
    impact: ImpactReport | None
    proposal: ChangeProposal | None = None
    notifications: int = 0
    rebased: bool = False


@dataclass(frozen=True)
class EarlyStart:
    """A step reported on before its planned start: where and when the plan had it."""

    ref: str
    step: int  # 0-based
    planned_start: datetime
    machine: str


@dataclass(frozen=True)
class Recorded:
    """What a progress report recorded: the step (0-based) and its name, the machine, the good
    units reported now and done on that step in all (of the order's quantity), whether the step
    is finished, and ``closed``: the earlier steps nobody had reported finished, which the report
    closed (work on a step means the steps before it are done), as (0-based step, name)."""

    ref: str
    step: int
    step_name: str
    machine: str
    good: int
    done: int
    quantity: int
    finished: bool
    closed: tuple[tuple[int, str], ...] = ()
    scrap: int = 0  # units scrapped, reported with the good ones


@dataclass(frozen=True)
class ReportTarget:
    """Where a report would go: the order, the step (0-based) and its name, the machine; and
    ``unexpected``: the earlier steps it would close that nobody reported at all and that the plan
    still has to come, as (0-based step, name). Those mean the report is out of turn or meant for
    another order: a chat asks before recording it."""

    ref: str
    step: int
    step_name: str
    machine: str
    unexpected: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class PlanUpdate:
    """After a shop-floor event: the new plan version and who moved; ``early`` when the event
    was work on a step the plan had not started yet (so others moved for it); ``recorded``
    after a progress report; ``back_by`` after a stop whose end nobody knows (the plan assumes
    one, moved on at every re-plan until the machine is reported running)."""

    version: int
    impact: ImpactReport | None
    late_orders: int
    early: EarlyStart | None = None
    recorded: Recorded | None = None
    back_by: datetime | None = None  # a stop without an end: when the plan expects the machine back


@dataclass(frozen=True)
class PromiseView:
    product: str
    quantity: int
    undisturbed: datetime
    with_priority: datetime
    impact: ImpactReport
    without_lateness: datetime | None = None  # promised by then, nobody else ends later past their promise


@dataclass(frozen=True)
class KpiView:
    """The measures the factory is judged by, for ``since``..``until``."""

    since: datetime
    until: datetime
    delivered: int
    avg_lead_time_days: float | None
    complaint_rate: float | None
    delay_rate: float | None
    on_time_rate: float | None
    satisfaction_score: float | None  # 0..100
    satisfaction_avg: float | None  # 1..5
    survey_response_rate: float | None
    complaints: int
    open_orders: int
    open_late: int
    bottleneck: str | None
    bottleneck_load: float | None
    extra: dict[str, float] = field(default_factory=dict)
