"""The REST API's request and response shapes (pydantic v2), and the translation from the use
cases' views to them. These classes ARE the OpenAPI document's schemas (``model_json_schema``),
so the document cannot drift from what the handlers accept and return.

Requests are strict (``5`` is not ``"5"``, ``true`` is not ``1``) and reject unknown fields;
datetimes must carry a timezone. Responses give datetimes in ISO 8601, in UTC (``Z``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    SerializerFunctionWrapHandler,
    field_serializer,
)

from scheduler_core.domain.calendar import Downtime
from scheduler_core.domain.cause import LateCause
from scheduler_core.domain.impact import ImpactReport, OrderImpact
from scheduler_core.domain.model import OrderStatus
from scheduler_core.services.changes import MAX_QUANTITY
from scheduler_core.services.machines import MachineView
from scheduler_core.services.ports import Actor
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
)

MAX_ID = 64  # order refs, machine ids, product names, customers as typed


Text = Annotated[str, Field(min_length=1, max_length=MAX_ID)]


def _integral(value: object) -> object:
    """JSON Schema's ``integer`` includes ``5.0``, strict pydantic does not: a whole float becomes
    an int; ``5.5``, ``"5"`` and ``true`` stay wrong. (Constraints go BEFORE this validator, so
    the JSON schema keeps ``minimum``/``maximum``.)"""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    return value


_Whole = BeforeValidator(_integral)
Quantity = Annotated[int, Field(ge=1, le=MAX_QUANTITY), _Whole]
Count = Annotated[int, Field(ge=0, le=MAX_QUANTITY), _Whole]
Priority = Annotated[int, Field(ge=1, le=100), _Whole]
StepNo = Annotated[int, Field(ge=1, le=100), _Whole]
StatusName = Literal["open", "in_progress", "done", "delivered", "cancelled"]


def _minutes(delta: timedelta) -> int:
    return round(delta.total_seconds() / 60)


class _In(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_serializer("*", mode="wrap", when_used="json")
    def _utc(self, value: Any, handler: SerializerFunctionWrapHandler) -> Any:
        """Every datetime out in UTC (``...Z``), whatever zone the view carried."""
        return handler(value.astimezone(UTC) if isinstance(value, datetime) else value)


# --- errors ----------------------------------------------------------------------------------------------


class FieldProblem(_Out):
    field: str = Field(description="where in the request: body.quantity, query.limit ...")
    code: str = Field(description="stable machine-readable reason (pydantic's error type)")
    message: str = Field(description="the reason in the request's language")


class ErrorBody(_Out):
    code: str = Field(description="stable machine-readable code, e.g. order_not_found")
    message: str = Field(description="a clear sentence in the request's language (zh or en)")
    status: int
    details: list[FieldProblem] = Field(default_factory=list)


class Error(_Out):
    """Every 4xx answer of the API."""

    error: ErrorBody


# --- who am I --------------------------------------------------------------------------------------------


class Me(_Out):
    user_id: int
    username: str
    role: Literal["customer", "sales", "operator", "manager", "admin"]
    customer: str | None
    lang: str

    @classmethod
    def of(cls, a: Actor) -> Me:
        return cls(user_id=a.user_id, username=a.username, role=a.role.value, customer=a.customer, lang=a.lang)


# --- orders ----------------------------------------------------------------------------------------------


class OrderSummary(_Out):
    ref: str
    customer: str
    product: str
    quantity: int
    status: StatusName
    due: datetime
    eta: datetime | None
    late_by_minutes: int
    at_risk: bool = Field(description="on time in the plan but with less than a day to spare")
    vip: bool
    cause: Cause | None = Field(default=None, description="why it is late in the plan (late orders only)")

    @classmethod
    def of(cls, x: OrderLine) -> OrderSummary:
        return cls(ref=x.ref, customer=x.customer, product=x.product, quantity=x.quantity, status=x.status.value,
                   due=x.due, eta=x.eta, late_by_minutes=_minutes(x.late_by), at_risk=x.at_risk, vip=x.vip,
                   cause=Cause.of(x.cause) if x.cause else None)


class OrderList(_Out):
    orders: list[OrderSummary]
    total: int = Field(description="matches before limit/offset")


class Cause(_Out):
    """Why an order is late: ``kind`` with the machine, the orders ahead and the wait."""

    kind: str
    machine: str | None
    orders: list[str] = Field(description="the orders ahead, by reference (empty for a customer: counted in order_count)")
    order_count: int = Field(description="how many orders are ahead, named or not")
    until: datetime | None
    wait_minutes: int

    @classmethod
    def of(cls, c: LateCause) -> Cause:
        return cls(kind=c.kind, machine=c.machine, orders=list(c.orders), order_count=c.order_count, until=c.until,
                   wait_minutes=_minutes(c.wait))


class Step(_Out):
    step: int = Field(description="1-based, as people count")
    name: str
    state: Literal["done", "running", "planned"]
    machine: str | None
    done: int
    quantity: int
    start: datetime | None
    end: datetime | None


class OrderStatusOut(_Out):
    """Where an order is: progress, ETA against the promise and why late."""

    ref: str
    customer: str
    product: str
    product_name: str = Field(default="", description='what the product is called ("Bracket"); empty when it '
                              "has no name")
    quantity: int
    status: StatusName
    due: datetime
    eta: datetime | None
    on_time: bool
    late_by_minutes: int
    vip: bool
    progress: float = Field(ge=0, le=1, description="share of the routing's work done")
    delivered: datetime | None
    plan_version: int
    cause: Cause | None
    current_step: int | None
    material_ready: datetime | None = Field(default=None, description="when its material is there, while that is "
                                            "still to come; no step starts before")

    @classmethod
    def of(cls, v: OrderStatusView) -> OrderStatusOut:
        return cls(ref=v.ref, customer=v.customer, product=v.product, product_name=v.product_name,
                   quantity=v.quantity, status=v.status.value, due=v.due, eta=v.eta, on_time=v.on_time, late_by_minutes=_minutes(v.late_by), vip=v.vip,
                   progress=round(min(1.0, max(0.0, v.progress)), 4), delivered=v.delivered,
                   plan_version=v.plan_version, cause=Cause.of(v.cause) if v.cause else None,
                   current_step=v.current.step + 1 if v.current else None, material_ready=v.material)


class OrderDetail(OrderStatusOut):
    """An order with its operations (one per routing step, with machine and planned times)."""

    steps: list[Step]

    @classmethod
    def of(cls, v: OrderStatusView) -> OrderDetail:
        head = OrderStatusOut.of(v).model_dump()
        steps = [Step(step=s.step + 1, name=s.name, state=s.state, machine=s.machine,  # type: ignore[arg-type]
                      done=s.done, quantity=s.quantity, start=s.start, end=s.end) for s in v.steps]
        return cls(**head, steps=steps)


# --- plan and machines -----------------------------------------------------------------------------------


class Operation(_Out):
    ref: str
    step: int = Field(description="1-based")
    step_name: str
    machine: str
    start: datetime
    end: datetime
    quantity: int
    fixed: bool = Field(description="started or frozen: the planner does not move it")


class MachineRow(_Out):
    machine: str
    operations: list[Operation]


class OrderEtaOut(_Out):
    ref: str
    customer: str
    due: datetime
    eta: datetime
    late_by_minutes: int
    vip: bool
    rush: bool
    cause: Cause | None


class PlanOut(_Out):
    version: int
    created: datetime
    reason: str
    method: str
    machines: list[MachineRow]
    orders: list[OrderEtaOut]

    @classmethod
    def of(cls, p: PlanView, machine: str | None = None) -> PlanOut:
        rows: dict[str, list[Operation]] = {m.id: [] for m in p.factory.machines}
        for op in sorted(p.schedule.ops, key=lambda o: (o.machine, o.start, o.ref)):
            rows.setdefault(op.machine, []).append(Operation(
                ref=op.ref, step=op.step + 1, step_name=op.step_name, machine=op.machine, start=op.start,
                end=op.end, quantity=op.quantity, fixed=op.fixed))
        machines = [MachineRow(machine=m, operations=ops) for m, ops in sorted(rows.items())
                    if machine is None or m == machine]
        etas = [OrderEtaOut(ref=e.ref, customer=e.customer, due=e.due, eta=e.eta, late_by_minutes=_minutes(e.late_by),
                            vip=e.vip, rush=e.rush, cause=Cause.of(e.cause) if e.cause else None) for e in p.etas]
        return cls(version=p.version, created=p.created, reason=p.reason, method=p.schedule.method,
                   machines=machines, orders=etas)


class DowntimeOut(_Out):
    start: datetime
    end: datetime | None = Field(description="null: until further notice")
    reason: str

    @classmethod
    def of(cls, d: Downtime) -> DowntimeOut:
        return cls(start=d.start, end=d.end, reason=d.reason)


class MachineOut(_Out):
    id: str
    name: str
    group: str
    calendar: str
    down: bool = Field(description="a stop is in force now")
    downtime: list[DowntimeOut]

    @classmethod
    def of(cls, m: MachineView) -> MachineOut:
        return cls(id=m.id, name=m.name, group=m.group, calendar=m.calendar, down=m.down,
                   downtime=[DowntimeOut.of(d) for d in m.downtime])


class MachineList(_Out):
    machines: list[MachineOut]


class MachineDownIn(_In):
    reason: str = Field(default="", max_length=200)
    until: AwareDatetime | None = Field(default=None, description="when the repair is expected to end")


class PlannedStopIn(_In):
    start: AwareDatetime = Field(description="when the stop begins (later than now)")
    end: AwareDatetime = Field(description="when the machine works again (after start)")
    reason: str = Field(default="", max_length=200)


class StopRefIn(_In):
    start: AwareDatetime = Field(description="the start of the planned stop to call off")


# --- impact, changes, promise, shop floor ----------------------------------------------------------------


class OrderImpactOut(_Out):
    ref: str
    customer: str
    vip: bool
    due: datetime
    old_eta: datetime | None
    new_eta: datetime | None
    change_minutes: int = Field(description="positive: later than before")
    late_by_minutes: int
    newly_late: bool

    @classmethod
    def of(cls, i: OrderImpact) -> OrderImpactOut:
        return cls(ref=i.ref, customer=i.customer, vip=i.vip, due=i.due, old_eta=i.old_eta, new_eta=i.new_eta,
                   change_minutes=_minutes(i.change), late_by_minutes=_minutes(i.late_by), newly_late=i.newly_late)


class Impact(_Out):
    """The same ImpactReport chat shows: who moves, who becomes late."""

    subject: list[OrderImpactOut]
    delayed: list[OrderImpactOut]
    improved: list[OrderImpactOut]
    newly_late: list[str]
    moved_ops: int
    resequenced_ops: int
    conflict_machine: str | None
    tardiness_added_minutes: int

    @classmethod
    def of(cls, r: ImpactReport) -> Impact:
        return cls(subject=[OrderImpactOut.of(i) for i in r.subject], delayed=[OrderImpactOut.of(i) for i in r.delayed],
                   improved=[OrderImpactOut.of(i) for i in r.improved], newly_late=[i.ref for i in r.newly_late],
                   moved_ops=r.moved_ops, resequenced_ops=r.resequenced_ops, conflict_machine=r.conflict_machine,
                   tardiness_added_minutes=_minutes(r.tardiness_added))


class InsertIn(_In):
    """A new order (rush insertion 插单 with ``rush: true``); ``ref`` defaults to the next free number."""

    kind: Literal["insert"]
    ref: str | None = Field(default=None, min_length=1, max_length=20)
    customer: Text
    product: Text
    quantity: Quantity
    due: AwareDatetime
    rush: bool = False
    vip: bool = False
    priority: Priority = 1


class DueIn(_In):
    kind: Literal["due"]
    ref: Text
    due: AwareDatetime


class QuantityIn(_In):
    kind: Literal["quantity"]
    ref: Text
    quantity: Quantity


class CancelIn(_In):
    kind: Literal["cancel"]
    ref: Text


class PriorityIn(_In):
    kind: Literal["priority"]
    ref: Text
    priority: Priority | None = None
    vip: bool | None = None
    rush: bool | None = None


class MaterialIn(_In):
    kind: Literal["material"]
    ref: Text
    ready: AwareDatetime | None = Field(description="when the order's material is there (null: it is now)")


class ChangeIn(RootModel[Annotated[InsertIn | DueIn | QuantityIn | CancelIn | PriorityIn | MaterialIn,
                                   Field(discriminator="kind")]]):
    """A change to assess: ``kind`` insert, due, quantity, cancel, priority or material."""


class Proposal(_Out):
    """An assessed change: nothing is changed until ``token`` is confirmed (single use, expires)."""

    change_id: int
    token: str
    kind: str
    subject: str
    impact: Impact
    subject_eta: datetime | None
    subject_due: datetime | None
    on_time_possible: bool | None
    earliest: datetime | None
    expires: datetime
    base_version: int
    restated: bool = Field(description="made again because the plan moved on since the first proposal")

    @classmethod
    def of(cls, p: ChangeProposal) -> Proposal:
        return cls(change_id=p.change_id, token=p.token, kind=p.kind, subject=p.subject, impact=Impact.of(p.impact),
                   subject_eta=p.subject_eta, subject_due=p.subject_due, on_time_possible=p.on_time_possible,
                   earliest=p.earliest, expires=p.expires, base_version=p.base_version, restated=p.restated)


class TokenIn(_In):
    token: str = Field(min_length=1, max_length=100)


class Outcome(_Out):
    """``applied`` with the new plan version; or not applied because the plan moved on, with a fresh
    ``proposal`` to confirm instead."""

    applied: bool
    version: int | None
    impact: Impact | None
    proposal: Proposal | None
    rebased: bool = Field(description="applied although the plan had moved on since the preview: the previewed "
                                      "plan, re-timed to the current one, still said the same")

    @classmethod
    def of(cls, o: ChangeOutcome) -> Outcome:
        return cls(applied=o.applied, version=o.version, impact=Impact.of(o.impact) if o.impact else None,
                   proposal=Proposal.of(o.proposal) if o.proposal else None, rebased=o.rebased)


class Rejected(_Out):
    rejected: Literal[True] = True


ImportCell = str | int | float | bool | None


class ImportIn(_In):
    """A table as in an import file: the first row names the columns (the file formats of
    ``paichan import``, English or Chinese headers), each further row one record."""

    rows: list[list[ImportCell]] = Field(min_length=1, max_length=20_001,
                                         description="the header row, then the data rows")


class ImportOut(_Out):
    kind: str = Field(description="orders, routings, machines or calendars")
    rows: int = Field(description="data rows read")
    count: int = Field(description="orders, products (routings), machines or calendars written")
    names: list[str] = Field(description="what was written: order numbers, products, machines or calendars")
    plan_version: int | None = Field(description="the plan made after the import (null: nothing to re-plan)")
    late_orders: int | None = Field(description="orders late in that plan")
    ignored_columns: list[str] = Field(default_factory=list,
                                       description="header cells that are no column of this kind, left out as written")


class PromiseIn(_In):
    product: Text
    quantity: Quantity


class PromiseOut(_Out):
    """Capable-to-promise: the earliest completion without disturbing anyone, without making any
    other order late, and with priority."""

    product: str
    quantity: int
    undisturbed: datetime
    with_priority: datetime
    impact: Impact = Field(description="what priority would do to the others")
    without_lateness: datetime | None = Field(
        None, description="promised by then (a day at 18:00, factory time) as a rush order, it is ready in time "
                          "and no other order ends later past its promise; null when that is no earlier than "
                          "undisturbed")

    @classmethod
    def of(cls, p: PromiseView) -> PromiseOut:
        return cls(product=p.product, quantity=p.quantity, undisturbed=p.undisturbed, with_priority=p.with_priority,
                   impact=Impact.of(p.impact), without_lateness=p.without_lateness)


class ProgressIn(_In):
    """报工: ``good`` (and ``scrap``) units of a step; ``step`` 1-based, default the current one."""

    ref: Text
    good: Count
    scrap: Count = 0
    step: StepNo | None = None
    machine: str | None = Field(default=None, min_length=1, max_length=MAX_ID)
    finished: bool = False


class ClosedStep(_Out):
    step: int = Field(description="1-based")
    name: str


class RecordedOut(_Out):
    """What a progress report recorded: the step (1-based) it went to, on which machine, the good
    units done on it in all, whether it is finished, and the earlier steps it closed because
    nobody had reported them finished."""

    ref: str
    step: int
    step_name: str
    machine: str
    good: int
    done: int
    quantity: int
    finished: bool
    closed: list[ClosedStep]

    @classmethod
    def of(cls, r: Recorded) -> RecordedOut:
        return cls(ref=r.ref, step=r.step + 1, step_name=r.step_name, machine=r.machine, good=r.good, done=r.done,
                   quantity=r.quantity, finished=r.finished,
                   closed=[ClosedStep(step=k + 1, name=name) for k, name in r.closed])


class PlanUpdateOut(_Out):
    """After a shop-floor event: the new plan version and who moved; ``recorded`` after a progress
    report; ``back_by`` after a stop without an end: when the plan counts on the machine running
    again (later at every re-plan while it stays down)."""

    version: int
    late_orders: int
    impact: Impact | None
    recorded: RecordedOut | None = None
    back_by: datetime | None = None

    @classmethod
    def of(cls, u: PlanUpdate) -> PlanUpdateOut:
        return cls(version=u.version, late_orders=u.late_orders, impact=Impact.of(u.impact) if u.impact else None,
                   recorded=RecordedOut.of(u.recorded) if u.recorded else None, back_by=u.back_by)


# --- KPIs ------------------------------------------------------------------------------------------------


class KpiOut(_Out):
    since: datetime
    until: datetime
    delivered: int
    avg_lead_time_days: float | None
    complaint_rate: float | None
    delay_rate: float | None
    on_time_rate: float | None
    satisfaction_score: float | None = Field(description="0-100")
    satisfaction_avg: float | None = Field(description="survey average, 1-5")
    survey_response_rate: float | None
    complaints: int
    open_orders: int
    open_late: int
    bottleneck: str | None
    bottleneck_load: float | None

    @classmethod
    def of(cls, v: KpiView) -> KpiOut:
        return cls(since=v.since, until=v.until, delivered=v.delivered, avg_lead_time_days=v.avg_lead_time_days,
                   complaint_rate=v.complaint_rate, delay_rate=v.delay_rate, on_time_rate=v.on_time_rate,
                   satisfaction_score=v.satisfaction_score, satisfaction_avg=v.satisfaction_avg,
                   survey_response_rate=v.survey_response_rate, complaints=v.complaints, open_orders=v.open_orders,
                   open_late=v.open_late, bottleneck=v.bottleneck, bottleneck_load=v.bottleneck_load)


# --- query strings (lax: every value arrives as text) ----------------------------------------------------


class _Query(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrdersQuery(_Query):
    status: Literal["active", "all", "open", "in_progress", "done", "delivered", "cancelled"] = Field(
        default="active", description="active (default): open, in progress or done; all: also delivered and cancelled")
    customer: str | None = Field(default=None, min_length=1, max_length=MAX_ID)
    late: bool | None = Field(default=None, description="only late (true) or only on-time (false) orders")
    at_risk: bool | None = None
    vip: bool | None = None
    q: str | None = Field(default=None, min_length=1, max_length=MAX_ID,
                          description="search in ref, customer and product (case-insensitive)")
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=100_000)
    due_by: date | None = Field(default=None, description="only orders promised by the end of this day "
                                "(factory time, YYYY-MM-DD), soonest promise first")


class PlanQuery(_Query):
    machine: str | None = Field(default=None, min_length=1, max_length=MAX_ID)


class KpiQuery(_Query):
    days: int = Field(default=30, ge=1, le=3660, description="the period up to now")


ORDER_STATUSES: dict[str, tuple[OrderStatus, ...]] = {s.value: (s,) for s in OrderStatus}
