"""In-memory adapters behind the storage ports: ``MemoryUnitOfWorkFactory``, for runs that
need no database (``paichan simulate``: one throw-away store per simulated policy).

The tests use it too (``tests/fakes.py`` re-exports it under the ``Fake*`` names).

Behaves like the SQL adapter (``db.uow.SqlUnitOfWorkFactory``) on SQLite, which the
contract tests in ``tests/integration/test_db_contract.py`` check on all three:

* a unit of work sees a snapshot of the committed state; only ``commit()`` publishes its
  changes, leaving the ``async with`` block without it discards them;
* ``write=True`` takes the (one) write lock on entry, so writers are serialised; a unit of
  work opened without it is read-only: writing through it fails with :class:`MemoryReadOnly`
  (SQLite: ``query_only``; PostgreSQL: ``READ ONLY`` transactions);
* values come back as the database returns them: datetimes as aware UTC, JSON fields
  through a JSON round trip (so a datetime inside a payload fails here too);
* UNIQUE keys raise :class:`MemoryIntegrityError`; compare-and-set and ON CONFLICT DO NOTHING
  behave as in SQL.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Self, TypeVar

from db.serialize import DEFAULT_TIMEZONE, aggregate_progress, next_ref, utc
from scheduler_core.domain.calendar import Downtime, WorkCalendar
from scheduler_core.domain.model import Machine, OrderStatus, Progress, Routing, in_shop_order
from scheduler_core.domain.schedule import Schedule
from scheduler_core.services.ports import (
    ApiToken,
    ApiTokenRepository,
    AuditEntry,
    AuditRepository,
    ButtonRepository,
    ChangeRecord,
    ChangeRepository,
    ChangeStatus,
    ChatIdentity,
    ChatLine,
    ChatStateRepository,
    Complaint,
    FeedbackRepository,
    IdentityRepository,
    InboxRepository,
    JobRunRepository,
    LinkCode,
    LinkRepository,
    MasterDataRepository,
    Notification,
    OrderRecord,
    OrderRepository,
    OutboxItem,
    OutboxRepository,
    PlanRepository,
    PlanVersion,
    ProgressEvent,
    Role,
    ShopFloorRepository,
    StalePlan,
    StoredButton,
    Survey,
    UnitOfWorkFactory,
    User,
    UserRepository,
    WebChatRepository,
)
from scheduler_core.services.refs import main_prefixes

__all__ = ["MemoryIntegrityError", "MemoryReadOnly", "MemoryUnitOfWork", "MemoryUnitOfWorkFactory"]

T = TypeVar("T")
_V = TypeVar("_V")


class MemoryIntegrityError(Exception):
    """A UNIQUE or foreign key constraint would be violated."""


class MemoryReadOnly(Exception):
    """A unit of work opened without ``write=True`` tried to write."""


def _json(value: T) -> T:
    result: T = json.loads(json.dumps(value))
    return result


def _norm(value: Any) -> Any:
    """What the database hands back: aware UTC datetimes, tuples kept, dataclasses rebuilt."""
    if isinstance(value, datetime):
        return utc(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _norm(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
        return replace(value, **changes)
    if isinstance(value, tuple):
        return tuple(_norm(v) for v in value)
    if isinstance(value, list):
        return [_norm(v) for v in value]
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    return value


@dataclass
class _Data:
    """The whole database; elements are frozen dataclasses, so copying containers is a snapshot."""

    customers: set[str] = field(default_factory=set)
    machines: dict[str, Machine] = field(default_factory=dict)
    groups: dict[str, int] = field(default_factory=dict)  # machine groups in the order they came
    calendars: dict[str, WorkCalendar] = field(default_factory=dict)
    routings: dict[str, Routing] = field(default_factory=dict)
    timezone: str | None = None
    orders: dict[str, OrderRecord] = field(default_factory=dict)
    progress: list[ProgressEvent] = field(default_factory=list)
    downtime: list[Downtime] = field(default_factory=list)
    plans: list[PlanVersion] = field(default_factory=list)
    changes: dict[int, ChangeRecord] = field(default_factory=dict)
    users: dict[int, User] = field(default_factory=dict)
    passwords: dict[int, str | None] = field(default_factory=dict)
    identities: dict[tuple[str, int], ChatIdentity] = field(default_factory=dict)
    links: dict[str, LinkCode] = field(default_factory=dict)
    complaints: list[Complaint] = field(default_factory=list)
    surveys: dict[str, Survey] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)
    outbox: dict[str, OutboxItem] = field(default_factory=dict)
    inbox: dict[int, tuple[dict[str, Any], datetime, datetime | None]] = field(default_factory=dict)
    job_runs: dict[tuple[str, str], tuple[datetime, datetime | None]] = field(default_factory=dict)
    tokens: dict[int, ApiToken] = field(default_factory=dict)
    chat_lines: list[ChatLine] = field(default_factory=list)
    buttons: dict[str, StoredButton] = field(default_factory=dict)
    chat_states: dict[tuple[str, int], tuple[dict[str, Any], datetime]] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)

    def copy(self) -> _Data:
        return _Data(**{f.name: _shallow(getattr(self, f.name)) for f in dataclasses.fields(self)})

    def new_id(self, table: str) -> int:
        self.ids[table] = self.ids.get(table, 0) + 1
        return self.ids[table]


def _shallow(value: Any) -> Any:
    if isinstance(value, dict | list | set):
        return type(value)(value)
    return value


class _MemoryRepo:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    async def _r(self) -> _Data:
        return await self._uow._read()

    async def _w(self) -> _Data:
        return await self._uow._write()


class MemoryMasterData(_MemoryRepo):
    async def machines(self) -> list[Machine]:
        d = await self._r()
        return in_shop_order(sorted(d.machines.values(), key=lambda m: d.groups[m.group]))

    async def calendars(self) -> dict[str, WorkCalendar]:
        d = await self._r()
        return {k: d.calendars[k] for k in sorted(d.calendars)}

    async def routings(self) -> dict[str, Routing]:
        d = await self._r()
        return {k: d.routings[k] for k in sorted(d.routings)}

    async def routing(self, product: str) -> Routing | None:
        return (await self._r()).routings.get(product)

    async def timezone(self) -> str:
        return (await self._r()).timezone or DEFAULT_TIMEZONE

    async def save_machine(self, machine: Machine) -> None:
        d = await self._w()
        d.groups.setdefault(machine.group, len(d.groups))
        d.machines[machine.id] = machine

    async def save_calendar(self, calendar: WorkCalendar) -> None:
        (await self._w()).calendars[calendar.name] = calendar

    async def save_routing(self, routing: Routing) -> None:
        (await self._w()).routings[routing.product] = _norm(routing)

    async def set_timezone(self, tz: str) -> None:
        (await self._w()).timezone = tz


class MemoryOrders(_MemoryRepo):
    async def get(self, ref: str) -> OrderRecord | None:
        return (await self._r()).orders.get(ref)

    async def add(self, record: OrderRecord) -> None:
        d = await self._w()
        if record.ref in d.orders:
            raise MemoryIntegrityError(f"order {record.ref} exists")
        d.customers.add(record.order.customer)
        d.orders[record.ref] = _norm(record)

    async def update(self, record: OrderRecord) -> None:
        d = await self._w()
        if record.ref not in d.orders:
            raise KeyError(record.ref)
        d.customers.add(record.order.customer)
        d.orders[record.ref] = _norm(record)

    async def active(self) -> list[OrderRecord]:
        return [r for r in (await self._r()).orders.values() if r.order.status.is_active]

    async def list(
        self,
        *,
        customer: str | None = None,
        sales: str | None = None,
        statuses: Sequence[OrderStatus] | None = None,
        delivered_since: datetime | None = None,
        limit: int | None = None,
    ) -> list[OrderRecord]:
        out = [
            r for r in (await self._r()).orders.values()
            if (customer is None or r.order.customer == customer)
            and (sales is None or r.sales == sales)
            and (statuses is None or r.order.status in statuses)
            and (delivered_since is None or (r.delivered is not None and r.delivered >= delivered_since))
        ]
        out.sort(key=lambda r: r.order.due)  # stable: order of entry among equal dates
        return out[:limit] if limit is not None else out

    async def prefixes(self) -> tuple[str, ...]:
        return main_prefixes((await self._r()).orders)

    async def next_ref(self) -> str:
        d = await self._r()
        return next_ref([*d.orders, *(c.subject for c in d.changes.values() if c.kind == "insert")])


class MemoryShopFloor(_MemoryRepo):
    async def progress(self, ref: str | None = None) -> dict[tuple[str, int], Progress]:
        d = await self._r()
        events = sorted(((i, e) for i, e in enumerate(d.progress) if ref is None or e.ref == ref),
                        key=lambda ie: (ie[1].at, ie[0]))
        quantities = {ref: r.order.quantity for ref, r in d.orders.items()}
        return aggregate_progress(((e.ref, e.step, e.good, e.machine, e.at, e.finished) for _, e in events),
                                  quantities)

    async def add_progress(self, event: ProgressEvent) -> None:
        (await self._w()).progress.append(_norm(event))

    async def downtime(self) -> list[Downtime]:
        d = await self._r()
        return [x for _, x in sorted(enumerate(d.downtime), key=lambda ix: (ix[1].start, ix[0]))]

    async def set_downtime(self, downtime: Sequence[Downtime]) -> None:
        (await self._w()).downtime = [_norm(x) for x in downtime]


class MemoryPlans(_MemoryRepo):
    async def current(self) -> PlanVersion | None:
        d = await self._r()
        return d.plans[-1] if d.plans else None

    async def current_for(self, ref: str) -> PlanVersion | None:
        plan = await self.current()
        if plan is None:
            return None
        s = plan.schedule
        only = Schedule(tuple(o for o in s.ops if o.ref == ref), s.created, s.version, s.method, s.status,
                        {k: v for k, v in s.finished.items() if k == ref})
        return replace(plan, schedule=only)

    async def publish(self, schedule: Schedule, reason: str, expected: int, created: datetime,
                      metrics: dict[str, Any]) -> int:
        d = await self._w()
        current = d.plans[-1].number if d.plans else 0
        if current != expected:
            raise StalePlan(f"plan is at version {current}, not {expected}")
        number = expected + 1
        ops = tuple(sorted(_norm(schedule.ops), key=lambda o: (o.start, o.ref, o.step)))
        stored = Schedule(ops, utc(schedule.created), number, schedule.method, schedule.status,
                          _norm(dict(sorted(schedule.finished.items()))))
        d.plans.append(PlanVersion(number, stored, reason, utc(created), _json(metrics)))
        return number

    async def history(self, limit: int = 30) -> list[PlanVersion]:
        return list(reversed((await self._r()).plans))[:limit]


class MemoryChanges(_MemoryRepo):
    async def add(self, change: ChangeRecord) -> int:
        d = await self._w()
        if any(c.token_hash == change.token_hash for c in d.changes.values()):
            raise MemoryIntegrityError("token_hash exists")
        new_id = d.new_id("changes")
        d.changes[new_id] = _norm(replace(change, id=new_id, payload=_json(change.payload),
                                          impact=_json(change.impact)))
        return new_id

    async def get(self, change_id: int) -> ChangeRecord | None:
        return (await self._r()).changes.get(change_id)

    async def by_token(self, token_hash: str) -> ChangeRecord | None:
        return next((c for c in (await self._r()).changes.values() if c.token_hash == token_hash), None)

    async def claim(self, token_hash: str, now: datetime, to: ChangeStatus) -> ChangeRecord | None:
        d = await self._w()
        for cid, c in d.changes.items():
            if c.token_hash == token_hash and c.status is ChangeStatus.PROPOSED and c.expires > now:
                d.changes[cid] = claimed = replace(c, status=to)
                return claimed
        return None

    async def set_status(self, change_id: int, status: ChangeStatus) -> None:
        d = await self._w()
        if change_id in d.changes:
            d.changes[change_id] = replace(d.changes[change_id], status=status)

    async def expire(self, now: datetime) -> int:
        d = await self._w()
        n = 0
        for cid, c in d.changes.items():
            if c.status is ChangeStatus.PROPOSED and c.expires <= now:
                d.changes[cid] = replace(c, status=ChangeStatus.EXPIRED)
                n += 1
        return n

    async def list(self, *, since: datetime | None = None, status: ChangeStatus | None = None) -> list[ChangeRecord]:
        out = [c for c in (await self._r()).changes.values()
               if (since is None or c.created >= since) and (status is None or c.status is status)]
        return sorted(out, key=lambda c: (c.created, c.id))


class MemoryUsers(_MemoryRepo):
    async def get(self, user_id: int) -> User | None:
        return (await self._r()).users.get(user_id)

    async def by_username(self, username: str) -> User | None:
        return next((u for u in (await self._r()).users.values() if u.username == username), None)

    async def add(self, user: User) -> User:
        d = await self._w()
        if any(u.username == user.username for u in d.users.values()):
            raise MemoryIntegrityError(f"username {user.username} exists")
        if user.id:
            if user.id in d.users:
                raise MemoryIntegrityError(f"user id {user.id} exists")
            d.ids["users"] = max(d.ids.get("users", 0), user.id)
            stored = user
        else:
            stored = replace(user, id=d.new_id("users"))
        if stored.customer is not None:
            d.customers.add(stored.customer)
        d.users[stored.id] = stored
        return stored

    async def with_role(self, role: Role) -> list[User]:
        return sorted((u for u in (await self._r()).users.values() if u.role is role), key=lambda u: u.id)

    async def of_customer(self, customer: str) -> list[User]:
        return sorted((u for u in (await self._r()).users.values() if u.customer == customer), key=lambda u: u.id)

    async def password_hash(self, user_id: int) -> str | None:
        return (await self._r()).passwords.get(user_id)

    async def set_password_hash(self, user_id: int, password_hash: str | None) -> None:
        d = await self._w()
        if user_id in d.users:
            d.passwords[user_id] = password_hash

    async def everyone(self) -> list[tuple[User, bool]]:
        d = await self._r()
        return [(u, d.passwords.get(u.id) is not None) for u in sorted(d.users.values(), key=lambda u: u.id)]


class MemoryIdentities(_MemoryRepo):
    async def get(self, channel: str, external_id: int) -> ChatIdentity | None:
        return (await self._r()).identities.get((channel, external_id))

    async def get_with_user(self, channel: str, external_id: int) -> tuple[ChatIdentity, User | None] | None:
        d = await self._r()
        ident = d.identities.get((channel, external_id))
        return (ident, d.users.get(ident.user_id)) if ident is not None else None

    async def for_user(self, user_id: int) -> list[ChatIdentity]:
        return [i for i in (await self._r()).identities.values() if i.user_id == user_id]

    async def active_channels(self) -> dict[int, set[str]]:
        out: dict[int, set[str]] = {}
        for i in (await self._r()).identities.values():
            if i.active:
                out.setdefault(i.user_id, set()).add(i.channel)
        return out

    async def save(self, identity: ChatIdentity) -> None:
        d = await self._w()
        if identity.user_id not in d.users:
            raise MemoryIntegrityError(f"no user {identity.user_id}")
        d.identities[(identity.channel, identity.external_id)] = identity


class MemoryLinks(_MemoryRepo):
    async def add(self, code: LinkCode) -> None:
        d = await self._w()
        if code.code_hash in d.links:
            raise MemoryIntegrityError("code_hash exists")
        if code.user_id not in d.users:
            raise MemoryIntegrityError(f"no user {code.user_id}")
        d.links[code.code_hash] = _norm(code)

    async def redeem(self, code_hash: str, now: datetime) -> LinkCode | None:
        d = await self._w()
        code = d.links.get(code_hash)
        if code is None or code.used is not None or not code.expires > now:
            return None
        d.links[code_hash] = used = replace(code, used=utc(now))
        return used

    async def expire(self, now: datetime) -> int:
        d = await self._w()
        gone = [h for h, c in d.links.items() if c.used is None and c.expires <= now]
        for h in gone:
            del d.links[h]
        return len(gone)


class MemoryApiTokens(_MemoryRepo):
    async def add(self, token: ApiToken) -> int:
        d = await self._w()
        if any(t.token_hash == token.token_hash for t in d.tokens.values()):
            raise MemoryIntegrityError("token_hash exists")
        if token.user_id not in d.users:
            raise MemoryIntegrityError(f"no user {token.user_id}")
        new_id = d.new_id("api_tokens")
        d.tokens[new_id] = _norm(replace(token, id=new_id))
        return new_id

    async def by_hash(self, token_hash: str) -> ApiToken | None:
        return next((t for t in (await self._r()).tokens.values() if t.token_hash == token_hash), None)

    async def for_user(self, user_id: int) -> list[ApiToken]:
        return sorted((t for t in (await self._r()).tokens.values() if t.user_id == user_id), key=lambda t: t.id)

    async def revoke(self, token_id: int, at: datetime) -> bool:
        d = await self._w()
        t = d.tokens.get(token_id)
        if t is None or t.revoked is not None:
            return False
        d.tokens[token_id] = replace(t, revoked=utc(at))
        return True

    async def touch(self, token_id: int, at: datetime) -> None:
        d = await self._w()
        t = d.tokens.get(token_id)
        if t is not None:
            d.tokens[token_id] = replace(t, last_used=utc(at))


def _check_score(score: int | None) -> None:
    if score is not None and not 1 <= score <= 5:
        raise ValueError(f"survey score {score} is not 1..5")


class MemoryFeedback(_MemoryRepo):
    async def add_complaint(self, complaint: Complaint) -> int:
        d = await self._w()
        stored = _norm(replace(complaint, id=d.new_id("complaints")))
        d.complaints.append(stored)
        return int(stored.id)

    async def complaints(self, since: datetime | None = None) -> list[Complaint]:
        out = [c for c in (await self._r()).complaints if since is None or c.created >= since]
        return sorted(out, key=lambda c: (c.created, c.id))

    async def add_survey(self, survey: Survey) -> bool:
        _check_score(survey.score)
        d = await self._w()
        if survey.ref in d.surveys:
            return False
        d.surveys[survey.ref] = _norm(survey)
        return True

    async def answer_survey(self, ref: str, score: int, comment: str | None, at: datetime) -> bool:
        _check_score(score)
        d = await self._w()
        s = d.surveys.get(ref)
        if s is None or s.answered is not None:
            return False
        d.surveys[ref] = replace(s, score=score, comment=comment, answered=utc(at))
        return True

    async def surveys(self, since: datetime | None = None) -> list[Survey]:
        d = await self._r()
        out = [(i, s) for i, s in enumerate(d.surveys.values()) if since is None or s.sent >= since]
        return [s for _, s in sorted(out, key=lambda x: (x[1].sent, x[0]))]


class MemoryWebChat(_MemoryRepo):
    async def add(self, lines: Sequence[ChatLine], keep: int) -> None:
        if not lines:
            return
        d = await self._w()
        for line in lines:
            d.chat_lines.append(_norm(replace(line, id=d.new_id("web_chat_lines"), entry=_json(line.entry))))
        users = {line.user_id for line in lines}
        count: dict[int, int] = {}
        kept: list[ChatLine] = []
        for line in reversed(d.chat_lines):
            count[line.user_id] = count.get(line.user_id, 0) + 1
            if line.user_id not in users or count[line.user_id] <= keep:
                kept.append(line)
        d.chat_lines = kept[::-1]

    async def recent(self, user_id: int, limit: int) -> list[ChatLine]:
        mine = [line for line in (await self._r()).chat_lines if line.user_id == user_id]
        return mine[-limit:] if limit > 0 else []


class MemoryButtons(_MemoryRepo):
    async def add(self, buttons: Sequence[StoredButton]) -> None:
        d = await self._w()
        for b in buttons:
            d.buttons[b.token] = _norm(replace(b, args=_json(b.args)))

    async def get(self, token: str) -> StoredButton | None:
        return (await self._r()).buttons.get(token)

    async def take(self, token: str) -> bool:
        return (await self._w()).buttons.pop(token, None) is not None

    async def purge(self, before: datetime) -> int:
        return _purge((await self._w()).buttons, lambda b: b.expires, before)


class MemoryChatState(_MemoryRepo):
    async def get(self, channel: str, user: int) -> dict[str, Any] | None:
        item = (await self._r()).chat_states.get((channel, user))
        return _json(item[0]) if item is not None else None

    async def put(self, channel: str, user: int, state: dict[str, Any], expires: datetime) -> None:
        (await self._w()).chat_states[(channel, user)] = (_json(state), expires)

    async def purge(self, before: datetime) -> int:
        return _purge((await self._w()).chat_states, lambda item: item[1], before)


def _purge(items: dict[Any, _V], expires: Callable[[_V], datetime], before: datetime) -> int:
    """Delete the entries that expired before ``before``; how many."""
    gone = [k for k, v in items.items() if expires(v) < before]
    for k in gone:
        del items[k]
    return len(gone)


class MemoryAudit(_MemoryRepo):
    async def add(self, entry: AuditEntry) -> None:
        (await self._w()).audit.append(_norm(replace(entry, before=_json(entry.before), after=_json(entry.after))))

    async def list(self, *, subject: str | None = None, limit: int = 100) -> list[AuditEntry]:
        d = await self._r()
        out = [(i, e) for i, e in enumerate(d.audit) if subject is None or e.subject == subject]
        out.sort(key=lambda x: (x[1].at, x[0]), reverse=True)
        return [e for _, e in out[:limit]]

    async def latest(self, subjects: Sequence[str]) -> dict[str, AuditEntry]:
        wanted = set(subjects)
        newest: dict[str, tuple[datetime, int, AuditEntry]] = {}
        for i, e in enumerate((await self._r()).audit):
            if e.subject in wanted and (e.subject not in newest or (e.at, i) >= newest[e.subject][:2]):
                newest[e.subject] = (e.at, i, e)
        return {k: v[2] for k, v in newest.items()}


class MemoryOutbox(_MemoryRepo):
    async def add(self, notification: Notification, not_before: datetime | None = None) -> bool:
        d = await self._w()
        if notification.dedup_key in d.outbox:
            return False
        n = _norm(replace(notification, payload=_json(notification.payload)))
        d.outbox[notification.dedup_key] = OutboxItem(n, "pending", 0, utc(not_before or n.created), None)
        return True

    async def pending(self, limit: int = 100) -> list[Notification]:
        d = await self._r()
        rows = [(i, x.notification) for i, x in enumerate(d.outbox.values()) if x.status == "pending"]
        rows.sort(key=lambda x: (not x[1].urgent, x[0]))
        return [n for _, n in rows[:limit]]

    async def count(self, status: str | None = None) -> int:
        return sum(1 for x in (await self._r()).outbox.values() if status is None or x.status == status)

    async def due(self, now: datetime, limit: int = 100) -> list[OutboxItem]:
        d = await self._r()
        rows = [(i, x) for i, x in enumerate(d.outbox.values())
                if x.status == "pending" and x.next_attempt is not None and x.next_attempt <= utc(now)]
        rows.sort(key=lambda r: (not r[1].notification.urgent, r[0]))
        return [x for _, x in rows[:limit]]

    async def get(self, dedup_key: str) -> OutboxItem | None:
        return (await self._r()).outbox.get(dedup_key)

    async def existing(self, dedup_keys: Sequence[str]) -> set[str]:
        outbox = (await self._r()).outbox
        return {k for k in dedup_keys if k in outbox}

    async def mark_sent(self, dedup_key: str, at: datetime) -> None:
        d = await self._w()
        x = d.outbox.get(dedup_key)
        if x is not None:
            d.outbox[dedup_key] = replace(x, status="sent", attempts=x.attempts + 1, next_attempt=None, last_error=None)

    async def defer(self, dedup_key: str, until: datetime) -> None:
        d = await self._w()
        x = d.outbox.get(dedup_key)
        if x is not None and x.status == "pending":
            d.outbox[dedup_key] = replace(x, next_attempt=utc(until))

    async def mark_failed(self, dedup_key: str, error: str, next_attempt: datetime | None) -> None:
        d = await self._w()
        x = d.outbox.get(dedup_key)
        if x is not None:
            d.outbox[dedup_key] = replace(x, status="pending" if next_attempt else "dead", attempts=x.attempts + 1,
                                          next_attempt=utc(next_attempt) if next_attempt else None,
                                          last_error=error[:2000])


class MemoryInbox(_MemoryRepo):
    async def add(self, update_id: int, payload: dict[str, Any], received: datetime) -> bool:
        d = await self._w()
        if update_id in d.inbox:
            return False
        d.inbox[update_id] = (_json(payload), utc(received), None)
        return True

    async def unprocessed(self, limit: int = 100) -> list[tuple[int, dict[str, Any]]]:
        d = await self._r()
        return [(k, v[0]) for k, v in d.inbox.items() if v[2] is None][:limit]

    async def mark_processed(self, update_id: int, at: datetime) -> bool:
        d = await self._w()
        row = d.inbox.get(update_id)
        if row is None or row[2] is not None:
            return False
        d.inbox[update_id] = (row[0], row[1], utc(at))
        return True

    async def add_many(self, updates: Sequence[tuple[int, dict[str, Any]]], received: datetime) -> list[bool]:
        return [await self.add(uid, payload, received) for uid, payload in updates]

    async def mark_many(self, update_ids: Sequence[int], at: datetime) -> int:
        return sum([await self.mark_processed(uid, at) for uid in update_ids])

    async def prune(self, before: datetime) -> int:
        d = await self._w()
        gone = [k for k, v in d.inbox.items() if v[2] is not None and v[1] < utc(before)]
        for k in gone:
            del d.inbox[k]
        return len(gone)


class MemoryJobRuns(_MemoryRepo):
    async def claim(self, job: str, period: str, started: datetime, stale_after: timedelta | None = None) -> bool:
        d = await self._w()
        row = d.job_runs.get((job, period))
        if row is not None and (stale_after is None or row[1] is not None or row[0] >= utc(started) - stale_after):
            return False
        d.job_runs[(job, period)] = (utc(started), None)
        return True

    async def finish(self, job: str, period: str, at: datetime) -> None:
        d = await self._w()
        if (job, period) in d.job_runs:
            d.job_runs[(job, period)] = (d.job_runs[(job, period)][0], utc(at))


class MemoryUnitOfWork:
    """One snapshot transaction over the shared in-memory store."""

    master: MasterDataRepository
    orders: OrderRepository
    shopfloor: ShopFloorRepository
    plans: PlanRepository
    changes: ChangeRepository
    users: UserRepository
    identities: IdentityRepository
    links: LinkRepository
    feedback: FeedbackRepository
    audit: AuditRepository
    outbox: OutboxRepository
    inbox: InboxRepository
    jobs: JobRunRepository
    tokens: ApiTokenRepository
    webchat: WebChatRepository
    buttons: ButtonRepository
    chatstate: ChatStateRepository

    def __init__(self, factory: MemoryUnitOfWorkFactory, *, write: bool) -> None:
        self._factory = factory
        self.write = write
        self._work: _Data | None = None  # the transaction's copy, taken at its first statement
        self._locked = False
        self.master = MemoryMasterData(self)
        self.orders = MemoryOrders(self)
        self.shopfloor = MemoryShopFloor(self)
        self.plans = MemoryPlans(self)
        self.changes = MemoryChanges(self)
        self.users = MemoryUsers(self)
        self.identities = MemoryIdentities(self)
        self.links = MemoryLinks(self)
        self.feedback = MemoryFeedback(self)
        self.audit = MemoryAudit(self)
        self.outbox = MemoryOutbox(self)
        self.inbox = MemoryInbox(self)
        self.jobs = MemoryJobRuns(self)
        self.tokens = MemoryApiTokens(self)
        self.webchat = MemoryWebChat(self)
        self.buttons = MemoryButtons(self)
        self.chatstate = MemoryChatState(self)
        self.entered = False

    async def __aenter__(self) -> Self:
        if self.entered:
            raise RuntimeError("a unit of work is entered once")
        self.entered = True
        if self.write:
            await self._begin()
        return self

    async def __aexit__(self, et: type[BaseException] | None, e: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.rollback()

    async def commit(self) -> None:
        if self._work is not None and self._locked:
            self._factory._store = self._work
            self._factory.commits += 1
        self._end()

    async def rollback(self) -> None:
        self._end()

    # -- transaction mechanics ------------------------------------------------------------

    async def _begin(self) -> None:
        if self.write and not self._locked:
            await self._factory.lock.acquire()
            self._locked = True
        self._work = self._factory._store.copy()

    def _end(self) -> None:
        self._work = None
        if self._locked:
            self._locked = False
            self._factory.lock.release()

    async def _read(self) -> _Data:
        if not self.entered:
            raise RuntimeError("unit of work not entered")
        if self._work is None:
            await self._begin()
        assert self._work is not None
        return self._work

    async def _write(self) -> _Data:
        if not self.entered:
            raise RuntimeError("unit of work not entered")
        if not self.write:
            raise MemoryReadOnly("attempt to write a readonly database: open the unit of work with write=True")
        return await self._read()


class MemoryUnitOfWorkFactory:
    """``MemoryUnitOfWorkFactory()(write=True)`` -> a :class:`MemoryUnitOfWork`; all share one store."""

    def __init__(self) -> None:
        self._store = _Data()
        self.commits = 0
        self._lock: asyncio.Lock | None = None

    @property
    def lock(self) -> asyncio.Lock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    def __call__(self, *, write: bool = False) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self, write=write)


def _conforms(factory: MemoryUnitOfWorkFactory) -> UnitOfWorkFactory:
    return factory  # mypy proves the adapter implements the port
