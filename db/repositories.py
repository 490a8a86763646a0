"""SQL repositories: the ports of ``scheduler_core.services.ports`` over one AsyncSession.

Repositories never commit; the unit of work does. Compare-and-set operations are one
conditional statement each (``claim``, ``redeem``) or an INSERT guarded by a UNIQUE key
(``publish``, ``outbox.add``, ``add_survey``), so of two concurrent callers exactly one wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Select, delete, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from scheduler_core.domain.calendar import Downtime, WorkCalendar
from scheduler_core.domain.model import (
    Alternative,
    Machine,
    Order,
    OrderStatus,
    Progress,
    Routing,
    Step,
    in_shop_order,
)
from scheduler_core.domain.schedule import PlannedOp, Schedule
from scheduler_core.services.ports import (
    ApiToken,
    AuditEntry,
    ChangeRecord,
    ChangeStatus,
    ChatIdentity,
    ChatLine,
    Complaint,
    LinkCode,
    Notification,
    OrderRecord,
    OutboxItem,
    PlanVersion,
    ProgressEvent,
    Role,
    StalePlan,
    StoredButton,
    Survey,
    User,
)
from scheduler_core.services.refs import main_prefixes

from .serialize import (
    DEFAULT_TIMEZONE,
    aggregate_progress,
    calendar_from_json,
    calendar_to_json,
    finished_from_json,
    finished_to_json,
    next_ref,
)
from .tables import (
    ApiTokenRow,
    AuditRow,
    ButtonRow,
    CalendarRow,
    ChangeRow,
    ChatIdentityRow,
    ChatStateRow,
    ComplaintRow,
    CustomerRow,
    DowntimeRow,
    InboxRow,
    JobRunRow,
    LinkCodeRow,
    MachineGroupRow,
    MachineRow,
    OrderRow,
    OutboxRow,
    PlannedOpRow,
    PlanVersionRow,
    ProductRow,
    ProgressRow,
    RoutingAlternativeRow,
    RoutingStepRow,
    SettingRow,
    SurveyRow,
    UserRow,
    WebChatLineRow,
)

__all__ = [
    "SqlApiTokenRepository",
    "SqlAuditRepository",
    "SqlButtonRepository",
    "SqlChangeRepository",
    "SqlChatStateRepository",
    "SqlFeedbackRepository",
    "SqlIdentityRepository",
    "SqlLinkRepository",
    "SqlMasterDataRepository",
    "SqlOrderRepository",
    "SqlOutboxRepository",
    "SqlPlanRepository",
    "SqlShopFloorRepository",
    "SqlUserRepository",
    "SqlWebChatRepository",
]

ACTIVE = (OrderStatus.OPEN.value, OrderStatus.IN_PROGRESS.value)


class _Repo:
    """Shared plumbing: the session, the dialect's INSERT (for ON CONFLICT), fresh reads."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    @property
    def _dialect(self) -> str:
        bind = self._s.bind
        assert bind is not None
        return bind.dialect.name

    def _insert(self, table: Any) -> Any:
        """The dialect's INSERT construct, which has ``on_conflict_do_nothing/update``."""
        return pg_insert(table) if self._dialect == "postgresql" else sqlite_insert(table)

    async def _all(self, stmt: Select[Any]) -> list[Any]:
        # populate_existing: rows changed by our own bulk UPDATEs are never served stale
        result = await self._s.execute(stmt.execution_options(populate_existing=True))
        return list(result.scalars().all())

    async def _one(self, stmt: Select[Any]) -> Any:
        result = await self._s.execute(stmt.execution_options(populate_existing=True))
        return result.scalars().first()

    async def _rowcount(self, stmt: Any) -> int:
        result = await self._s.execute(stmt, execution_options={"synchronize_session": False})
        return int(cast(CursorResult[Any], result).rowcount)

    async def _ensure_customer(self, name: str | None) -> None:
        if name is None:
            return
        await self._s.execute(self._insert(CustomerRow).values(name=name, contacts={})
                              .on_conflict_do_nothing(index_elements=["name"]))


# -- master data ----------------------------------------------------------------------------


class SqlMasterDataRepository(_Repo):
    async def machines(self) -> list[Machine]:
        rows = await self._s.execute(
            select(MachineRow.id, MachineRow.name, MachineGroupRow.name, MachineRow.calendar)
            .join(MachineGroupRow, MachineRow.group_id == MachineGroupRow.id)
            .order_by(MachineGroupRow.id, MachineRow.id))
        return in_shop_order(Machine(mid, name, group, cal) for mid, name, group, cal in rows.all())

    async def calendars(self) -> dict[str, WorkCalendar]:
        rows = await self._all(select(CalendarRow).order_by(CalendarRow.name))
        return {r.name: calendar_from_json(r.name, r.shifts, r.holidays) for r in rows}

    async def routings(self) -> dict[str, Routing]:
        rows = await self._s.execute(
            select(ProductRow.name, ProductRow.label, RoutingStepRow.position, RoutingStepRow.name,
                   RoutingAlternativeRow.machine, RoutingAlternativeRow.setup, RoutingAlternativeRow.per_unit)
            .join(RoutingStepRow, RoutingStepRow.product_id == ProductRow.id)
            .join(RoutingAlternativeRow, RoutingAlternativeRow.step_id == RoutingStepRow.id)
            .order_by(ProductRow.name, RoutingStepRow.position, RoutingAlternativeRow.position))
        steps: dict[str, dict[int, tuple[str, list[Alternative]]]] = {}
        labels: dict[str, str] = {}
        for product, label, pos, step_name, machine, setup, per_unit in rows.all():
            labels[product] = label or ""
            entry = steps.setdefault(product, {}).setdefault(pos, (step_name, []))
            entry[1].append(Alternative(machine, float(setup), float(per_unit)))
        return {
            product: Routing(product, tuple(Step(name, tuple(alts)) for _, (name, alts) in sorted(by_pos.items())),
                             labels[product])
            for product, by_pos in steps.items()
        }

    async def routing(self, product: str) -> Routing | None:
        rows = await self._s.execute(
            select(ProductRow.label, RoutingStepRow.position, RoutingStepRow.name, RoutingAlternativeRow.machine,
                   RoutingAlternativeRow.setup, RoutingAlternativeRow.per_unit)
            .join(ProductRow, RoutingStepRow.product_id == ProductRow.id)
            .join(RoutingAlternativeRow, RoutingAlternativeRow.step_id == RoutingStepRow.id)
            .where(ProductRow.name == product)
            .order_by(RoutingStepRow.position, RoutingAlternativeRow.position))
        found = rows.all()
        if not found:
            return None
        by_pos: dict[int, tuple[str, list[Alternative]]] = {}
        for _, pos, step_name, machine, setup, per_unit in found:
            by_pos.setdefault(pos, (step_name, []))[1].append(Alternative(machine, float(setup), float(per_unit)))
        return Routing(product, tuple(Step(name, tuple(alts)) for _, (name, alts) in sorted(by_pos.items())),
                       found[0][0] or "")

    async def timezone(self) -> str:
        value = await self._s.scalar(select(SettingRow.value).where(SettingRow.key == "timezone"))
        return value or DEFAULT_TIMEZONE

    async def set_timezone(self, tz: str) -> None:
        stmt = self._insert(SettingRow).values(key="timezone", value=tz)
        await self._s.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": tz}))

    async def save_machine(self, machine: Machine) -> None:
        await self._s.execute(self._insert(MachineGroupRow).values(name=machine.group)
                              .on_conflict_do_nothing(index_elements=["name"]))
        group_id = await self._s.scalar(select(MachineGroupRow.id).where(MachineGroupRow.name == machine.group))
        values = {"name": machine.name, "group_id": group_id, "calendar": machine.calendar}
        stmt = self._insert(MachineRow).values(id=machine.id, **values)
        await self._s.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=values))

    async def save_calendar(self, calendar: WorkCalendar) -> None:
        shifts, holidays = calendar_to_json(calendar)
        values = {"shifts": shifts, "holidays": holidays}
        stmt = self._insert(CalendarRow).values(name=calendar.name, **values)
        await self._s.execute(stmt.on_conflict_do_update(index_elements=["name"], set_=values))

    async def save_routing(self, routing: Routing) -> None:
        await self._s.execute(self._insert(ProductRow).values(name=routing.product, label=routing.name)
                              .on_conflict_do_update(index_elements=["name"], set_={"label": routing.name}))
        product_id = await self._s.scalar(select(ProductRow.id).where(ProductRow.name == routing.product))
        assert product_id is not None
        step_ids = select(RoutingStepRow.id).where(RoutingStepRow.product_id == product_id)
        await self._rowcount(delete(RoutingAlternativeRow).where(RoutingAlternativeRow.step_id.in_(step_ids)))
        await self._rowcount(delete(RoutingStepRow).where(RoutingStepRow.product_id == product_id))
        for pos, step in enumerate(routing.steps):
            step_id = await self._s.scalar(
                insert(RoutingStepRow).values(product_id=product_id, position=pos, name=step.name)
                .returning(RoutingStepRow.id))
            if step.alternatives:
                await self._s.execute(insert(RoutingAlternativeRow), [
                    {"step_id": step_id, "position": k, "machine": a.machine, "setup": a.setup,
                     "per_unit": a.per_unit} for k, a in enumerate(step.alternatives)])


# -- orders ---------------------------------------------------------------------------------


def _order_values(record: OrderRecord) -> dict[str, Any]:
    o = record.order
    return {
        "customer": o.customer, "sales": record.sales, "product": o.product, "quantity": o.quantity,
        "due": o.due, "vip": o.vip, "priority": o.priority, "rush": o.rush, "release": o.release,
        "status": o.status.value, "created": o.created, "delivered": record.delivered,
    }


def _order(row: OrderRow) -> OrderRecord:
    return OrderRecord(
        Order(ref=row.ref, customer=row.customer, product=row.product, quantity=row.quantity, due=row.due,
              vip=row.vip, priority=row.priority, rush=row.rush, release=row.release,
              status=OrderStatus(row.status), created=row.created),
        sales=row.sales, delivered=row.delivered)


class SqlOrderRepository(_Repo):
    async def get(self, ref: str) -> OrderRecord | None:
        row = await self._one(select(OrderRow).where(OrderRow.ref == ref))
        return _order(row) if row is not None else None

    async def add(self, record: OrderRecord) -> None:
        await self._ensure_customer(record.order.customer)
        await self._s.execute(insert(OrderRow).values(ref=record.ref, **_order_values(record)))

    async def update(self, record: OrderRecord) -> None:
        await self._ensure_customer(record.order.customer)
        n = await self._rowcount(update(OrderRow).where(OrderRow.ref == record.ref)
                                 .values(updated=func.now(), **_order_values(record)))
        if n != 1:
            raise KeyError(record.ref)

    async def active(self) -> list[OrderRecord]:
        rows = await self._all(select(OrderRow).where(OrderRow.status.in_(ACTIVE)).order_by(OrderRow.id))
        return [_order(r) for r in rows]

    async def list(
        self,
        *,
        customer: str | None = None,
        sales: str | None = None,
        statuses: Sequence[OrderStatus] | None = None,
        delivered_since: datetime | None = None,
        limit: int | None = None,
    ) -> list[OrderRecord]:
        """Matching orders by promised date, then order of entry."""
        stmt = select(OrderRow)
        if customer is not None:
            stmt = stmt.where(OrderRow.customer == customer)
        if sales is not None:
            stmt = stmt.where(OrderRow.sales == sales)
        if statuses is not None:
            stmt = stmt.where(OrderRow.status.in_([s.value for s in statuses]))
        if delivered_since is not None:
            stmt = stmt.where(OrderRow.delivered >= delivered_since)
        stmt = stmt.order_by(OrderRow.due, OrderRow.id)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [_order(r) for r in await self._all(stmt)]

    async def prefixes(self) -> tuple[str, ...]:
        return main_prefixes((await self._s.scalars(select(OrderRow.ref))).all())

    async def next_ref(self) -> str:
        refs = await self._s.scalars(select(OrderRow.ref).where(OrderRow.ref.like("SO-%")))
        shown = await self._s.scalars(select(ChangeRow.subject).where(ChangeRow.kind == "insert",
                                                                      ChangeRow.subject.like("SO-%")))
        return next_ref([*refs.all(), *shown.all()])


# -- shop floor -----------------------------------------------------------------------------


class SqlShopFloorRepository(_Repo):
    async def progress(self, ref: str | None = None) -> dict[tuple[str, int], Progress]:
        stmt = select(ProgressRow.ref, ProgressRow.step, ProgressRow.good, ProgressRow.machine, ProgressRow.at,
                      ProgressRow.finished).order_by(ProgressRow.at, ProgressRow.id)
        if ref is not None:
            stmt = stmt.where(ProgressRow.ref == ref)
        if ref is not None:  # one statement: the order's quantity joined to its reports
            joined = await self._s.execute(stmt.add_columns(OrderRow.quantity)
                                           .outerjoin(OrderRow, OrderRow.ref == ProgressRow.ref))
            rows_q = joined.all()
            qty = {r[0]: r[6] for r in rows_q if r[6] is not None}
            return aggregate_progress([tuple(r[:6]) for r in rows_q], qty)
        rows = await self._s.execute(stmt)
        reports = [tuple(r) for r in rows.all()]
        refs = {r[0] for r in reports}
        quantities: dict[str, int] = {}
        if refs:
            q = await self._s.execute(select(OrderRow.ref, OrderRow.quantity).where(OrderRow.ref.in_(refs)))
            quantities = {ref: qty for ref, qty in q.all()}
        return aggregate_progress(reports, quantities)  # type: ignore[arg-type]

    async def add_progress(self, event: ProgressEvent) -> None:
        await self._s.execute(insert(ProgressRow).values(
            ref=event.ref, step=event.step, good=event.good, scrap=event.scrap, machine=event.machine,
            user_id=event.user_id, at=event.at, finished=event.finished))

    async def downtime(self) -> list[Downtime]:
        rows = await self._all(select(DowntimeRow).order_by(DowntimeRow.start, DowntimeRow.id))
        return [Downtime(r.machine, r.start, r.end, r.reason) for r in rows]

    async def set_downtime(self, downtime: Sequence[Downtime]) -> None:
        """Replace the whole list of downtime windows."""
        await self._rowcount(delete(DowntimeRow))
        if downtime:
            await self._s.execute(insert(DowntimeRow), [
                {"machine": d.machine, "start": d.start, "end": d.end, "reason": d.reason} for d in downtime])


# -- plans ----------------------------------------------------------------------------------


class SqlPlanRepository(_Repo):
    async def current(self) -> PlanVersion | None:
        row = await self._one(select(PlanVersionRow).order_by(PlanVersionRow.number.desc()).limit(1))
        return await self._version(row) if row is not None else None

    async def current_for(self, ref: str) -> PlanVersion | None:
        """The current version with only ``ref``'s operations: one statement (the newest version
        LEFT JOIN its operations of ``ref``)."""
        newest = select(PlanVersionRow.id).order_by(PlanVersionRow.number.desc()).limit(1).scalar_subquery()
        result = await self._s.execute(
            select(PlanVersionRow, PlannedOpRow)
            .outerjoin(PlannedOpRow, (PlannedOpRow.version_id == PlanVersionRow.id) & (PlannedOpRow.ref == ref))
            .where(PlanVersionRow.id == newest)
            .order_by(PlannedOpRow.start, PlannedOpRow.step, PlannedOpRow.id)
            .execution_options(populate_existing=True))
        rows = result.all()
        if not rows:
            return None
        return self._assemble(rows[0][0], [op for _, op in rows if op is not None], ref)

    async def history(self, limit: int = 30) -> list[PlanVersion]:
        """The latest ``limit`` versions, newest first."""
        rows = await self._all(select(PlanVersionRow).order_by(PlanVersionRow.number.desc()).limit(limit))
        return [await self._version(r) for r in rows]

    async def publish(self, schedule: Schedule, reason: str, expected: int, created: datetime,
                      metrics: dict[str, Any]) -> int:
        """Compare-and-set: the current number must be ``expected``, and version ``expected + 1``
        is INSERTed under its UNIQUE number; a concurrent publisher that got there first makes the
        INSERT fail (PostgreSQL) or the check fail (SQLite, whose writers are serialised).
        The INSERT runs in a savepoint, so after :class:`StalePlan` the transaction is usable."""
        current = await self._s.scalar(select(func.max(PlanVersionRow.number)))
        if (current or 0) != expected:
            raise StalePlan(f"plan is at version {current or 0}, not {expected}")
        number = expected + 1
        try:
            async with self._s.begin_nested():
                version_id = await self._s.scalar(insert(PlanVersionRow).values(
                    number=number, reason=reason, created=created, planned_at=schedule.created,
                    method=schedule.method, status=schedule.status, metrics=metrics,
                    finished=finished_to_json(schedule.finished)).returning(PlanVersionRow.id))
                if schedule.ops:
                    await self._s.execute(insert(PlannedOpRow), [
                        {"version_id": version_id, "ref": op.ref, "step": op.step, "step_name": op.step_name,
                         "machine": op.machine, "start": op.start, "end": op.end, "quantity": op.quantity,
                         "work_minutes": op.work_minutes, "fixed": op.fixed} for op in schedule.ops])
        except IntegrityError as e:
            raise StalePlan(f"version {number} was published concurrently") from e
        return number

    async def _version(self, row: PlanVersionRow, ref: str | None = None) -> PlanVersion:
        stmt = select(PlannedOpRow).where(PlannedOpRow.version_id == row.id)
        if ref is not None:
            stmt = stmt.where(PlannedOpRow.ref == ref)
        ops = await self._all(stmt.order_by(PlannedOpRow.start, PlannedOpRow.ref, PlannedOpRow.step, PlannedOpRow.id))
        return self._assemble(row, ops, ref)

    @staticmethod
    def _assemble(row: PlanVersionRow, ops: Sequence[PlannedOpRow], ref: str | None) -> PlanVersion:
        schedule = Schedule(
            tuple(PlannedOp(o.ref, o.step, o.step_name, o.machine, o.start, o.end, o.quantity, o.work_minutes,
                            o.fixed) for o in ops),
            row.planned_at, row.number, row.method, row.status,
            {k: v for k, v in finished_from_json(row.finished).items() if ref is None or k == ref})
        return PlanVersion(row.number, schedule, row.reason, row.created, dict(row.metrics))


# -- change requests ------------------------------------------------------------------------


def _change(row: ChangeRow) -> ChangeRecord:
    return ChangeRecord(row.id, row.kind, dict(row.payload), row.base_version, dict(row.impact),
                        ChangeStatus(row.status), row.token_hash, row.created, row.expires, row.actor_id,
                        row.subject)


class SqlChangeRepository(_Repo):
    async def add(self, change: ChangeRecord) -> int:
        """Insert (``change.id`` is ignored) and return the new id."""
        new_id = await self._s.scalar(insert(ChangeRow).values(
            kind=change.kind, payload=change.payload, subject=change.subject, base_version=change.base_version,
            impact=change.impact, status=change.status.value, token_hash=change.token_hash,
            created=change.created, expires=change.expires, actor_id=change.actor_id).returning(ChangeRow.id))
        assert new_id is not None
        return int(new_id)

    async def get(self, change_id: int) -> ChangeRecord | None:
        row = await self._one(select(ChangeRow).where(ChangeRow.id == change_id))
        return _change(row) if row is not None else None

    async def by_token(self, token_hash: str) -> ChangeRecord | None:
        row = await self._one(select(ChangeRow).where(ChangeRow.token_hash == token_hash))
        return _change(row) if row is not None else None

    async def claim(self, token_hash: str, now: datetime, to: ChangeStatus) -> ChangeRecord | None:
        n = await self._rowcount(
            update(ChangeRow)
            .where(ChangeRow.token_hash == token_hash, ChangeRow.status == ChangeStatus.PROPOSED.value,
                   ChangeRow.expires > now)
            .values(status=to.value))
        return await self.by_token(token_hash) if n == 1 else None

    async def set_status(self, change_id: int, status: ChangeStatus) -> None:
        await self._rowcount(update(ChangeRow).where(ChangeRow.id == change_id).values(status=status.value))

    async def expire(self, now: datetime) -> int:
        """Mark PROPOSED changes whose time is up EXPIRED; returns how many."""
        return await self._rowcount(
            update(ChangeRow)
            .where(ChangeRow.status == ChangeStatus.PROPOSED.value, ChangeRow.expires <= now)
            .values(status=ChangeStatus.EXPIRED.value))

    async def list(self, *, since: datetime | None = None, status: ChangeStatus | None = None) -> list[ChangeRecord]:
        """Changes created at or after ``since``, oldest first."""
        stmt = select(ChangeRow)
        if since is not None:
            stmt = stmt.where(ChangeRow.created >= since)
        if status is not None:
            stmt = stmt.where(ChangeRow.status == status.value)
        return [_change(r) for r in await self._all(stmt.order_by(ChangeRow.created, ChangeRow.id))]


# -- users, chat identities, link codes -----------------------------------------------------


def _user(row: UserRow) -> User:
    return User(row.id, row.username, Role(row.role), row.display_name, row.customer, row.lang, row.email,
                row.active)


class SqlUserRepository(_Repo):
    async def get(self, user_id: int) -> User | None:
        row = await self._one(select(UserRow).where(UserRow.id == user_id))
        return _user(row) if row is not None else None

    async def by_username(self, username: str) -> User | None:
        row = await self._one(select(UserRow).where(UserRow.username == username))
        return _user(row) if row is not None else None

    async def add(self, user: User) -> User:
        """Insert (``id`` 0 = allocate) and return the stored user."""
        await self._ensure_customer(user.customer)
        values: dict[str, Any] = {
            "username": user.username, "role": user.role.value, "display_name": user.display_name,
            "customer": user.customer, "lang": user.lang, "email": user.email, "active": user.active}
        if user.id:
            values["id"] = user.id
        new_id = await self._s.scalar(insert(UserRow).values(**values).returning(UserRow.id))
        assert new_id is not None
        if user.id and self._dialect == "postgresql":
            # an explicit id does not advance the sequence: move it past the highest id
            await self._s.execute(text(
                "SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT max(id) FROM users))"))
        stored = await self.get(int(new_id))
        assert stored is not None
        return stored

    async def with_role(self, role: Role) -> list[User]:
        rows = await self._all(select(UserRow).where(UserRow.role == role.value).order_by(UserRow.id))
        return [_user(r) for r in rows]

    async def of_customer(self, customer: str) -> list[User]:
        rows = await self._all(select(UserRow).where(UserRow.customer == customer).order_by(UserRow.id))
        return [_user(r) for r in rows]

    async def password_hash(self, user_id: int) -> str | None:
        value = await self._s.scalar(select(UserRow.password_hash).where(UserRow.id == user_id))
        return str(value) if value is not None else None

    async def set_password_hash(self, user_id: int, password_hash: str | None) -> None:
        await self._s.execute(update(UserRow).where(UserRow.id == user_id).values(password_hash=password_hash))

    async def everyone(self) -> list[tuple[User, bool]]:
        rows = await self._all(select(UserRow).order_by(UserRow.id))
        return [(_user(r), r.password_hash is not None) for r in rows]


def _identity(row: ChatIdentityRow) -> ChatIdentity:
    return ChatIdentity(row.channel, row.external_id, row.user_id, row.lang, row.active, row.lang_chosen)


class SqlIdentityRepository(_Repo):
    async def get(self, channel: str, external_id: int) -> ChatIdentity | None:
        row = await self._one(select(ChatIdentityRow).where(ChatIdentityRow.channel == channel,
                                                            ChatIdentityRow.external_id == external_id))
        return _identity(row) if row is not None else None

    async def get_with_user(self, channel: str, external_id: int) -> tuple[ChatIdentity, User | None] | None:
        result = await self._s.execute(
            select(ChatIdentityRow, UserRow)
            .outerjoin(UserRow, UserRow.id == ChatIdentityRow.user_id)
            .where(ChatIdentityRow.channel == channel, ChatIdentityRow.external_id == external_id)
            .execution_options(populate_existing=True))
        row = result.first()
        if row is None:
            return None
        ident, user = row
        return _identity(ident), (_user(user) if user is not None else None)

    async def for_user(self, user_id: int) -> list[ChatIdentity]:
        rows = await self._all(select(ChatIdentityRow).where(ChatIdentityRow.user_id == user_id)
                               .order_by(ChatIdentityRow.id))
        return [_identity(r) for r in rows]

    async def active_channels(self) -> dict[int, set[str]]:
        result = await self._s.execute(select(ChatIdentityRow.user_id, ChatIdentityRow.channel).distinct()
                                       .where(ChatIdentityRow.active.is_(True)))
        out: dict[int, set[str]] = {}
        for user_id, channel in result:
            out.setdefault(int(user_id), set()).add(str(channel))
        return out

    async def save(self, identity: ChatIdentity) -> None:
        """Insert or replace the identity keyed by (channel, external id)."""
        values = {"user_id": identity.user_id, "lang": identity.lang, "active": identity.active,
                  "lang_chosen": identity.lang_chosen}
        stmt = self._insert(ChatIdentityRow).values(channel=identity.channel, external_id=identity.external_id,
                                                    **values)
        await self._s.execute(stmt.on_conflict_do_update(index_elements=["channel", "external_id"], set_=values))


def _link(row: LinkCodeRow) -> LinkCode:
    return LinkCode(row.code_hash, row.user_id, row.expires, row.used)


class SqlLinkRepository(_Repo):
    async def add(self, code: LinkCode) -> None:
        await self._s.execute(insert(LinkCodeRow).values(
            code_hash=code.code_hash, user_id=code.user_id, expires=code.expires, used=code.used))

    async def redeem(self, code_hash: str, now: datetime) -> LinkCode | None:
        n = await self._rowcount(
            update(LinkCodeRow)
            .where(LinkCodeRow.code_hash == code_hash, LinkCodeRow.used.is_(None), LinkCodeRow.expires > now)
            .values(used=now))
        if n != 1:
            return None
        row = await self._one(select(LinkCodeRow).where(LinkCodeRow.code_hash == code_hash))
        return _link(row)

    async def expire(self, now: datetime) -> int:
        """Delete unused codes whose time is up; returns how many."""
        return await self._rowcount(
            delete(LinkCodeRow).where(LinkCodeRow.used.is_(None), LinkCodeRow.expires <= now))


def _token(row: ApiTokenRow) -> ApiToken:
    return ApiToken(row.id, row.user_id, row.token_hash, row.name, row.created, row.expires, row.revoked,
                    row.last_used)


class SqlApiTokenRepository(_Repo):
    async def add(self, token: ApiToken) -> int:
        new_id = await self._s.scalar(insert(ApiTokenRow).values(
            token_hash=token.token_hash, user_id=token.user_id, name=token.name, created=token.created,
            expires=token.expires, revoked=token.revoked, last_used=token.last_used).returning(ApiTokenRow.id))
        assert new_id is not None
        return int(new_id)

    async def by_hash(self, token_hash: str) -> ApiToken | None:
        row = await self._one(select(ApiTokenRow).where(ApiTokenRow.token_hash == token_hash))
        return _token(row) if row is not None else None

    async def for_user(self, user_id: int) -> list[ApiToken]:
        rows = await self._all(select(ApiTokenRow).where(ApiTokenRow.user_id == user_id).order_by(ApiTokenRow.id))
        return [_token(r) for r in rows]

    async def revoke(self, token_id: int, at: datetime) -> bool:
        n = await self._rowcount(
            update(ApiTokenRow).where(ApiTokenRow.id == token_id, ApiTokenRow.revoked.is_(None)).values(revoked=at))
        return n == 1

    async def touch(self, token_id: int, at: datetime) -> None:
        await self._s.execute(update(ApiTokenRow).where(ApiTokenRow.id == token_id).values(last_used=at))


class SqlWebChatRepository(_Repo):
    async def add(self, lines: Sequence[ChatLine], keep: int) -> None:
        if not lines:
            return
        await self._s.execute(insert(WebChatLineRow), [
            {"user_id": line.user_id, "at": line.at, "entry": line.entry} for line in lines])
        for user_id in sorted({line.user_id for line in lines}):
            newest = (select(WebChatLineRow.id).where(WebChatLineRow.user_id == user_id)
                      .order_by(WebChatLineRow.id.desc()).limit(keep))
            await self._rowcount(delete(WebChatLineRow).where(WebChatLineRow.user_id == user_id,
                                                              WebChatLineRow.id.not_in(newest)))

    async def recent(self, user_id: int, limit: int) -> list[ChatLine]:
        rows = await self._all(select(WebChatLineRow).where(WebChatLineRow.user_id == user_id)
                               .order_by(WebChatLineRow.id.desc()).limit(limit))
        return [ChatLine(r.user_id, r.at, r.entry, r.id) for r in reversed(rows)]


class SqlButtonRepository(_Repo):
    async def add(self, buttons: Sequence[StoredButton]) -> None:
        if buttons:
            await self._s.execute(insert(ButtonRow), [
                {"token": b.token, "owner": b.owner, "action": b.action, "args": b.args, "roles": " ".join(b.roles),
                 "expires": b.expires, "single_use": b.single_use} for b in buttons])

    async def get(self, token: str) -> StoredButton | None:
        r = await self._one(select(ButtonRow).where(ButtonRow.token == token))
        if r is None:
            return None
        return StoredButton(r.token, r.owner, r.action, dict(r.args), tuple(r.roles.split()), r.expires, r.single_use)

    async def take(self, token: str) -> bool:
        return await self._rowcount(delete(ButtonRow).where(ButtonRow.token == token)) == 1

    async def purge(self, before: datetime) -> int:
        return await self._rowcount(delete(ButtonRow).where(ButtonRow.expires < before))


class SqlChatStateRepository(_Repo):
    async def get(self, channel: str, user: int) -> dict[str, Any] | None:
        r = await self._one(select(ChatStateRow).where(ChatStateRow.channel == channel, ChatStateRow.user_id == user))
        return dict(r.state) if r is not None else None

    async def put(self, channel: str, user: int, state: dict[str, Any], expires: datetime) -> None:
        stmt = self._insert(ChatStateRow).values(channel=channel, user_id=user, state=state, expires=expires)
        await self._s.execute(stmt.on_conflict_do_update(index_elements=["channel", "user_id"],
                                                         set_={"state": state, "expires": expires}))

    async def purge(self, before: datetime) -> int:
        return await self._rowcount(delete(ChatStateRow).where(ChatStateRow.expires < before))


# -- feedback, audit, outbox ----------------------------------------------------------------


class SqlFeedbackRepository(_Repo):
    async def add_complaint(self, complaint: Complaint) -> int:
        new_id = await self._s.scalar(insert(ComplaintRow).values(
            customer=complaint.customer, ref=complaint.ref, text=complaint.text, user_id=complaint.user_id,
            created=complaint.created).returning(ComplaintRow.id))
        assert new_id is not None
        return int(new_id)

    async def complaints(self, since: datetime | None = None) -> list[Complaint]:
        stmt = select(ComplaintRow)
        if since is not None:
            stmt = stmt.where(ComplaintRow.created >= since)
        rows = await self._all(stmt.order_by(ComplaintRow.created, ComplaintRow.id))
        return [Complaint(r.id, r.customer, r.ref, r.text, r.user_id, r.created) for r in rows]

    async def add_survey(self, survey: Survey) -> bool:
        _check_score(survey.score)
        stmt = self._insert(SurveyRow).values(
            ref=survey.ref, customer=survey.customer, sent=survey.sent, score=survey.score,
            comment=survey.comment, answered=survey.answered)
        inserted = await self._s.scalar(stmt.on_conflict_do_nothing(index_elements=["ref"]).returning(SurveyRow.id))
        return inserted is not None

    async def answer_survey(self, ref: str, score: int, comment: str | None, at: datetime) -> bool:
        """Record the first answer to the survey of ``ref``; False if none is open."""
        _check_score(score)
        n = await self._rowcount(update(SurveyRow).where(SurveyRow.ref == ref, SurveyRow.answered.is_(None))
                                 .values(score=score, comment=comment, answered=at))
        return n == 1

    async def surveys(self, since: datetime | None = None) -> list[Survey]:
        stmt = select(SurveyRow)
        if since is not None:
            stmt = stmt.where(SurveyRow.sent >= since)
        rows = await self._all(stmt.order_by(SurveyRow.sent, SurveyRow.id))
        return [Survey(r.ref, r.customer, r.sent, r.score, r.comment, r.answered) for r in rows]


def _check_score(score: int | None) -> None:
    if score is not None and not 1 <= score <= 5:
        raise ValueError(f"survey score {score} is not 1..5")


class SqlAuditRepository(_Repo):
    async def add(self, entry: AuditEntry) -> None:
        await self._s.execute(insert(AuditRow).values(
            at=entry.at, actor_id=entry.actor_id, action=entry.action, subject=entry.subject,
            before=entry.before, after=entry.after))

    async def list(self, *, subject: str | None = None, limit: int = 100) -> list[AuditEntry]:
        """Newest first."""
        stmt = select(AuditRow)
        if subject is not None:
            stmt = stmt.where(AuditRow.subject == subject)
        rows = await self._all(stmt.order_by(AuditRow.at.desc(), AuditRow.id.desc()).limit(limit))
        return [AuditEntry(r.at, r.actor_id, r.action, r.subject, r.before, r.after) for r in rows]

    async def latest(self, subjects: Sequence[str]) -> dict[str, AuditEntry]:
        if not subjects:
            return {}
        newest = func.row_number().over(partition_by=AuditRow.subject,
                                        order_by=(AuditRow.at.desc(), AuditRow.id.desc())).label("newest")
        ranked = select(AuditRow, newest).where(AuditRow.subject.in_(sorted(set(subjects)))).subquery()
        audit = aliased(AuditRow, ranked)
        rows = await self._all(select(audit).where(ranked.c.newest == 1))
        return {r.subject: AuditEntry(r.at, r.actor_id, r.action, r.subject, r.before, r.after) for r in rows}


class SqlOutboxRepository(_Repo):
    async def add(self, notification: Notification, not_before: datetime | None = None) -> bool:
        n = notification
        stmt = self._insert(OutboxRow).values(
            dedup_key=n.dedup_key, channel=n.channel, recipient=n.recipient, kind=n.kind, payload=n.payload,
            status="pending", attempts=0, next_attempt=not_before or n.created, created=n.created, urgent=n.urgent)
        inserted = await self._s.scalar(
            stmt.on_conflict_do_nothing(index_elements=["dedup_key"]).returning(OutboxRow.id))
        return inserted is not None

    async def pending(self, limit: int = 100) -> list[Notification]:
        """Pending notifications, urgent first, then oldest first."""
        rows = await self._all(select(OutboxRow).where(OutboxRow.status == "pending")
                               .order_by(OutboxRow.urgent.desc(), OutboxRow.id).limit(limit))
        return [_notification(r) for r in rows]

    async def count(self, status: str | None = None) -> int:
        stmt = select(func.count()).select_from(OutboxRow)
        if status is not None:
            stmt = stmt.where(OutboxRow.status == status)
        return int(await self._s.scalar(stmt) or 0)

    async def due(self, now: datetime, limit: int = 100) -> list[OutboxItem]:
        rows = await self._all(select(OutboxRow).where(OutboxRow.status == "pending", OutboxRow.next_attempt <= now)
                               .order_by(OutboxRow.urgent.desc(), OutboxRow.id).limit(limit))
        return [_outbox_item(r) for r in rows]

    async def get(self, dedup_key: str) -> OutboxItem | None:
        row = await self._one(select(OutboxRow).where(OutboxRow.dedup_key == dedup_key))
        return _outbox_item(row) if row is not None else None

    async def existing(self, dedup_keys: Sequence[str]) -> set[str]:
        found: set[str] = set()
        keys = list(dict.fromkeys(dedup_keys))
        for i in range(0, len(keys), 500):  # bounded IN lists
            rows = await self._s.execute(select(OutboxRow.dedup_key).where(OutboxRow.dedup_key.in_(keys[i:i + 500])))
            found.update(rows.scalars())
        return found

    async def mark_sent(self, dedup_key: str, at: datetime) -> None:
        await self._rowcount(update(OutboxRow).where(OutboxRow.dedup_key == dedup_key).values(
            status="sent", attempts=OutboxRow.attempts + 1, next_attempt=None, last_error=None))

    async def defer(self, dedup_key: str, until: datetime) -> None:
        await self._rowcount(update(OutboxRow).where(OutboxRow.dedup_key == dedup_key, OutboxRow.status == "pending")
                             .values(next_attempt=until))

    async def mark_failed(self, dedup_key: str, error: str, next_attempt: datetime | None) -> None:
        await self._rowcount(update(OutboxRow).where(OutboxRow.dedup_key == dedup_key).values(
            status="pending" if next_attempt is not None else "dead", attempts=OutboxRow.attempts + 1,
            next_attempt=next_attempt, last_error=error[:2000]))


def _notification(r: OutboxRow) -> Notification:
    return Notification(r.dedup_key, r.channel, r.recipient, r.kind, dict(r.payload), r.created, r.urgent)


def _outbox_item(r: OutboxRow) -> OutboxItem:
    return OutboxItem(_notification(r), r.status, r.attempts, r.next_attempt, r.last_error)


class SqlInboxRepository(_Repo):
    async def add(self, update_id: int, payload: dict[str, Any], received: datetime) -> bool:
        stmt = self._insert(InboxRow).values(update_id=update_id, payload=payload, received=received)
        inserted = await self._s.scalar(stmt.on_conflict_do_nothing(index_elements=["update_id"]).returning(InboxRow.id))
        return inserted is not None

    async def unprocessed(self, limit: int = 100) -> list[tuple[int, dict[str, Any]]]:
        rows = await self._all(select(InboxRow).where(InboxRow.processed.is_(None)).order_by(InboxRow.id).limit(limit))
        return [(r.update_id, dict(r.payload)) for r in rows]

    async def mark_processed(self, update_id: int, at: datetime) -> bool:
        return await self._rowcount(update(InboxRow).where(InboxRow.update_id == update_id,
                                                           InboxRow.processed.is_(None)).values(processed=at)) == 1

    async def add_many(self, updates: Sequence[tuple[int, dict[str, Any]]], received: datetime) -> list[bool]:
        first: dict[int, int] = {}
        for i, (uid, _) in enumerate(updates):
            first.setdefault(uid, i)
        if not first:
            return []
        rows = [{"update_id": uid, "payload": updates[i][1], "received": received} for uid, i in first.items()]
        stmt = self._insert(InboxRow).values(rows).on_conflict_do_nothing(index_elements=["update_id"])
        stored = set((await self._s.scalars(stmt.returning(InboxRow.update_id))).all())
        return [first[uid] == i and uid in stored for i, (uid, _) in enumerate(updates)]

    async def mark_many(self, update_ids: Sequence[int], at: datetime) -> int:
        if not update_ids:
            return 0
        return await self._rowcount(update(InboxRow).where(InboxRow.update_id.in_(list(update_ids)),
                                                           InboxRow.processed.is_(None)).values(processed=at))

    async def prune(self, before: datetime) -> int:
        return await self._rowcount(delete(InboxRow).where(InboxRow.processed.is_not(None), InboxRow.received < before))


class SqlJobRunRepository(_Repo):
    async def claim(self, job: str, period: str, started: datetime, stale_after: timedelta | None = None) -> bool:
        stmt = self._insert(JobRunRow).values(job=job, period=period, started=started)
        inserted = await self._s.scalar(stmt.on_conflict_do_nothing(index_elements=["job", "period"])
                                        .returning(JobRunRow.id))
        if inserted is not None:
            return True
        if stale_after is None:
            return False
        return await self._rowcount(update(JobRunRow).where(
            JobRunRow.job == job, JobRunRow.period == period, JobRunRow.finished.is_(None),
            JobRunRow.started < started - stale_after).values(started=started)) == 1

    async def finish(self, job: str, period: str, at: datetime) -> None:
        await self._rowcount(update(JobRunRow).where(JobRunRow.job == job, JobRunRow.period == period)
                             .values(finished=at))
