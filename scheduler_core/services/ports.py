"""Ports: what the use cases need from storage, as Protocols. The database is an adapter
(``db/``); tests use the in-memory fakes in ``tests/fakes.py``.

Rules every adapter keeps:

* only the unit of work commits; repositories never do;
* a unit of work opened with ``write=True`` takes the write lock up front (SQLite:
  ``BEGIN IMMEDIATE``; PostgreSQL: ordinary transaction + the row locks / conditional updates
  below), so a read-modify-write never fails half-way with "database is locked"; one opened
  without it is read-only (SQLite file: ``query_only`` connections; PostgreSQL: ``READ ONLY``
  transactions; the in-memory adapter: ``MemoryReadOnly``), so writing through it fails at once;
* compare-and-set operations (``plans.publish``, ``changes.claim``, ``links.redeem``) are one
  conditional UPDATE/INSERT each: of two concurrent callers exactly one wins;
* ``outbox.add`` ignores a notification whose ``dedup_key`` exists already.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Protocol, Self

from scheduler_core.domain.calendar import Downtime, WorkCalendar
from scheduler_core.domain.model import Machine, Order, OrderStatus, Progress, Routing
from scheduler_core.domain.schedule import Schedule

__all__ = [
    "Actor",
    "ApiToken",
    "ApiTokenRepository",
    "AuditEntry",
    "AuditRepository",
    "ButtonRepository",
    "ChangeRecord",
    "ChangeRepository",
    "ChangeStatus",
    "ChatIdentity",
    "ChatLine",
    "ChatStateRepository",
    "Complaint",
    "FeedbackRepository",
    "IdentityRepository",
    "InboxRepository",
    "JobRunRepository",
    "LinkCode",
    "LinkRepository",
    "MasterDataRepository",
    "Notification",
    "OrderRecord",
    "OrderRepository",
    "OutboxItem",
    "OutboxRepository",
    "PlanRepository",
    "PlanVersion",
    "ProgressEvent",
    "Role",
    "ShopFloorRepository",
    "StalePlan",
    "StoredButton",
    "Survey",
    "UnitOfWork",
    "UnitOfWorkFactory",
    "User",
    "UserRepository",
    "WebChatRepository",
]


class Role(str, enum.Enum):
    CUSTOMER = "customer"
    SALES = "sales"
    OPERATOR = "operator"
    MANAGER = "manager"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class User:
    """A person. A customer user belongs to ``customer`` (the customer's name as on orders)."""

    id: int
    username: str
    role: Role
    display_name: str = ""
    customer: str | None = None
    lang: str = "zh_Hans"
    email: str | None = None
    active: bool = True


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting: a user, or the system itself (jobs, simulator) with role ADMIN."""

    user_id: int
    role: Role
    customer: str | None = None
    username: str = ""
    lang: str = "zh_Hans"

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(user.id, user.role, user.customer, user.username, user.lang)


SYSTEM = Actor(0, Role.ADMIN, None, "system")


@dataclass(frozen=True, slots=True)
class ChatIdentity:
    """A chat account linked to a user: ``channel`` ("telegram", "web") + numeric id.
    ``lang_chosen``: the language was chosen by the person ("/language", "说中文", the web page's
    switch), not taken from their app or written: a customer's chat then keeps it."""

    channel: str
    external_id: int
    user_id: int
    lang: str = "zh_Hans"
    active: bool = True
    lang_chosen: bool = False


@dataclass(frozen=True, slots=True)
class LinkCode:
    """A one-time, expiring code; only its hash is stored."""

    code_hash: str
    user_id: int
    expires: datetime
    used: datetime | None = None


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """An order with what only the business side needs (sales owner, delivery)."""

    order: Order
    sales: str | None = None  # username of the sales owner
    delivered: datetime | None = None

    @property
    def ref(self) -> str:
        return self.order.ref


@dataclass(frozen=True, slots=True)
class PlanVersion:
    """A published plan: ``number`` increases by one per publication."""

    number: int
    schedule: Schedule
    reason: str
    created: datetime
    metrics: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A REST API token of a user; only its hash is stored. ``revoked`` ends it for good."""

    id: int
    user_id: int
    token_hash: str
    name: str
    created: datetime
    expires: datetime | None = None
    revoked: datetime | None = None
    last_used: datetime | None = None


@dataclass(frozen=True, slots=True)
class ChatLine:
    """One line of a user's web chat as the page shows it: ``entry`` holds who spoke (``me``),
    the HTML, the buttons and a picture (base64 PNG), a JSON object."""

    user_id: int
    at: datetime
    entry: dict[str, Any]
    id: int = 0


@dataclass(frozen=True, slots=True)
class StoredButton:
    """What a chat button does, kept under its random ``token`` (the button carries only the
    token): ``action`` with ``args`` (a JSON object), for account ``owner`` of a channel, in one
    of ``roles`` (none: any), until ``expires``; a ``single_use`` button is taken by its first click."""

    token: str
    owner: int
    action: str
    args: dict[str, Any]
    roles: tuple[str, ...]
    expires: datetime
    single_use: bool = False


class ChangeStatus(str, enum.Enum):
    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    EXPIRED = "expired"
    STALE = "stale"


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    """A proposed change with its impact; ``token_hash`` identifies its Confirm button."""

    id: int
    kind: str
    payload: dict[str, Any]
    base_version: int
    impact: dict[str, Any]
    status: ChangeStatus
    token_hash: str
    created: datetime
    expires: datetime
    actor_id: int
    subject: str = ""


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    """One 报工 row: ``good`` and ``scrap`` units of step ``step`` (0-based) of ``ref``."""

    ref: str
    step: int
    good: int
    scrap: int
    machine: str
    user_id: int
    at: datetime
    finished: bool = False


@dataclass(frozen=True, slots=True)
class Complaint:
    id: int
    customer: str
    ref: str | None
    text: str
    user_id: int
    created: datetime


@dataclass(frozen=True, slots=True)
class Survey:
    ref: str
    customer: str
    sent: datetime
    score: int | None = None
    comment: str | None = None
    answered: datetime | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    actor_id: int
    action: str
    subject: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Notification:
    """An outbox row. ``recipient`` is ``"user:<id>"`` or a channel address."""

    dedup_key: str
    channel: str
    recipient: str
    kind: str
    payload: dict[str, Any]
    created: datetime
    urgent: bool = False


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """An outbox row with its delivery state (pending / sent / dead)."""

    notification: Notification
    status: str
    attempts: int
    next_attempt: datetime | None
    last_error: str | None = None


class StalePlan(Exception):
    """The plan changed since this proposal was made."""


class MasterDataRepository(Protocol):
    async def machines(self) -> list[Machine]: ...
    async def calendars(self) -> dict[str, WorkCalendar]: ...
    async def routings(self) -> dict[str, Routing]: ...
    async def routing(self, product: str) -> Routing | None: ...
    async def timezone(self) -> str: ...
    async def save_machine(self, machine: Machine) -> None: ...
    async def save_calendar(self, calendar: WorkCalendar) -> None: ...
    async def save_routing(self, routing: Routing) -> None: ...
    async def set_timezone(self, tz: str) -> None: ...


class OrderRepository(Protocol):
    async def get(self, ref: str) -> OrderRecord | None: ...
    async def add(self, record: OrderRecord) -> None: ...
    async def update(self, record: OrderRecord) -> None: ...
    async def active(self) -> list[OrderRecord]: ...
    async def list(
        self,
        *,
        customer: str | None = None,
        sales: str | None = None,
        statuses: Sequence[OrderStatus] | None = None,
        delivered_since: datetime | None = None,
        limit: int | None = None,
    ) -> list[OrderRecord]: ...
    async def next_ref(self) -> str:
        """The reference for a new order: after every order's and every one a rush preview
        showed (so two previews made one after the other never show the same number)."""
        ...
    async def prefixes(self) -> tuple[str, ...]:
        """The letters the orders' numbers start with, the most used first (``("WO", "SO")`` where
        most orders are WO-...); empty without orders. See :func:`.refs.main_prefixes`."""
        ...


class ShopFloorRepository(Protocol):
    async def progress(self, ref: str | None = None) -> dict[tuple[str, int], Progress]:
        """Reported progress per (order, step); only order ``ref``'s when given."""
        ...
    async def add_progress(self, event: ProgressEvent) -> None: ...
    async def downtime(self) -> list[Downtime]: ...
    async def set_downtime(self, downtime: Sequence[Downtime]) -> None: ...


class PlanRepository(Protocol):
    async def current(self) -> PlanVersion | None: ...
    async def current_for(self, ref: str) -> PlanVersion | None:
        """The current version with only order ``ref``'s operations (a cheap status read)."""
        ...
    async def publish(self, schedule: Schedule, reason: str, expected: int, created: datetime,
                      metrics: dict[str, Any]) -> int:
        """Store ``schedule`` as version ``expected + 1`` if the current version is still
        ``expected`` (0: none yet); raise :class:`StalePlan` otherwise. Returns the new number."""
        ...
    async def history(self, limit: int = 30) -> list[PlanVersion]: ...


class ChangeRepository(Protocol):
    async def add(self, change: ChangeRecord) -> int: ...
    async def get(self, change_id: int) -> ChangeRecord | None: ...
    async def by_token(self, token_hash: str) -> ChangeRecord | None: ...
    async def claim(self, token_hash: str, now: datetime, to: ChangeStatus) -> ChangeRecord | None:
        """Atomically move a PROPOSED, unexpired change to ``to``; None if someone else did,
        it expired or does not exist."""
        ...
    async def set_status(self, change_id: int, status: ChangeStatus) -> None: ...
    async def expire(self, now: datetime) -> int: ...
    async def list(self, *, since: datetime | None = None, status: ChangeStatus | None = None) -> list[ChangeRecord]: ...


class UserRepository(Protocol):
    async def get(self, user_id: int) -> User | None: ...
    async def by_username(self, username: str) -> User | None: ...
    async def add(self, user: User) -> User:
        """Insert (``id`` 0 = allocate) and return the stored user."""
        ...
    async def with_role(self, role: Role) -> list[User]: ...
    async def of_customer(self, customer: str) -> list[User]: ...
    async def password_hash(self, user_id: int) -> str | None:
        """The stored password hash (None: the user cannot log in with a password)."""
        ...
    async def set_password_hash(self, user_id: int, password_hash: str | None) -> None: ...
    async def everyone(self) -> list[tuple[User, bool]]:
        """Every user by id, each with whether a password is set (one statement)."""
        ...


class IdentityRepository(Protocol):
    async def get(self, channel: str, external_id: int) -> ChatIdentity | None: ...
    async def get_with_user(self, channel: str, external_id: int) -> tuple[ChatIdentity, User | None] | None:
        """The identity and its user read together (one statement); None: no such identity."""
        ...
    async def for_user(self, user_id: int) -> list[ChatIdentity]: ...
    async def active_channels(self) -> dict[int, set[str]]:
        """Per user id, the channels where an active identity links them (one statement)."""
        ...
    async def save(self, identity: ChatIdentity) -> None: ...


class LinkRepository(Protocol):
    async def add(self, code: LinkCode) -> None: ...
    async def redeem(self, code_hash: str, now: datetime) -> LinkCode | None:
        """Atomically mark an unused, unexpired code used; None otherwise."""
        ...
    async def expire(self, now: datetime) -> int: ...


class ApiTokenRepository(Protocol):
    async def add(self, token: ApiToken) -> int:
        """Insert (``id`` is allocated) and return the new id."""
        ...
    async def by_hash(self, token_hash: str) -> ApiToken | None: ...
    async def for_user(self, user_id: int) -> list[ApiToken]:
        """Every token of the user, revoked ones included, oldest first."""
        ...
    async def revoke(self, token_id: int, at: datetime) -> bool:
        """Mark a live token revoked (one conditional UPDATE); False if unknown or already revoked."""
        ...
    async def touch(self, token_id: int, at: datetime) -> None:
        """Record a use (at most once a minute is enough; callers may skip it)."""
        ...


class FeedbackRepository(Protocol):
    async def add_complaint(self, complaint: Complaint) -> int: ...
    async def complaints(self, since: datetime | None = None) -> list[Complaint]: ...
    async def add_survey(self, survey: Survey) -> bool:
        """False if a survey for this order exists already."""
        ...
    async def answer_survey(self, ref: str, score: int, comment: str | None, at: datetime) -> bool: ...
    async def surveys(self, since: datetime | None = None) -> list[Survey]: ...


class AuditRepository(Protocol):
    async def add(self, entry: AuditEntry) -> None: ...
    async def list(self, *, subject: str | None = None, limit: int = 100) -> list[AuditEntry]: ...
    async def latest(self, subjects: Sequence[str]) -> dict[str, AuditEntry]:
        """The newest entry of each of ``subjects`` that has one (one query)."""
        ...


class OutboxRepository(Protocol):
    async def add(self, notification: Notification, not_before: datetime | None = None) -> bool:
        """False when the dedup key exists (nothing written). ``not_before``: first delivery
        attempt (quiet hours); default ``notification.created``."""
        ...
    async def pending(self, limit: int = 100) -> list[Notification]: ...
    async def count(self, status: str | None = None) -> int: ...
    async def due(self, now: datetime, limit: int = 100) -> list[OutboxItem]:
        """Pending rows whose next attempt is due, urgent first, then oldest."""
        ...
    async def get(self, dedup_key: str) -> OutboxItem | None: ...
    async def existing(self, dedup_keys: Sequence[str]) -> set[str]:
        """Which of ``dedup_keys`` have a row (one query)."""
        ...
    async def mark_sent(self, dedup_key: str, at: datetime) -> None: ...
    async def defer(self, dedup_key: str, until: datetime) -> None:
        """Move a pending row's next attempt to ``until`` without counting an attempt (quiet hours)."""
        ...
    async def mark_failed(self, dedup_key: str, error: str, next_attempt: datetime | None) -> None:
        """One more failed attempt; ``next_attempt`` None makes the row dead (dead letter)."""
        ...


class InboxRepository(Protocol):
    """Raw webhook updates, stored before they are acknowledged (P3)."""

    async def add(self, update_id: int, payload: dict[str, Any], received: datetime) -> bool:
        """False when this update id was stored before (a redelivery)."""
        ...
    async def unprocessed(self, limit: int = 100) -> list[tuple[int, dict[str, Any]]]:
        """Stored, not yet processed updates, oldest first."""
        ...
    async def mark_processed(self, update_id: int, at: datetime) -> bool:
        """False when it was already marked (someone else processed it)."""
        ...
    async def add_many(self, updates: Sequence[tuple[int, dict[str, Any]]], received: datetime) -> list[bool]:
        """Store several updates in one statement; per update: True when new, False for a
        redelivery (an id stored before, or earlier in ``updates``)."""
        ...
    async def mark_many(self, update_ids: Sequence[int], at: datetime) -> int:
        """Mark several updates processed in one statement; how many were not marked before."""
        ...
    async def prune(self, before: datetime) -> int:
        """Delete processed updates received before ``before``."""
        ...


class JobRunRepository(Protocol):
    async def claim(self, job: str, period: str, started: datetime, stale_after: timedelta | None = None) -> bool:
        """True for the first claim of ``(job, period)``; False for every later one, except
        that a claim never finished and started more than ``stale_after`` ago (its process
        died) is taken over: one conditional UPDATE, so of two takers only one wins."""
        ...
    async def finish(self, job: str, period: str, at: datetime) -> None: ...


class WebChatRepository(Protocol):
    """The web chat's conversations (what was said and the notifications delivered there), kept
    in the database so that a restart loses none of them."""

    async def add(self, lines: Sequence[ChatLine], keep: int) -> None:
        """Append ``lines``; then keep only the newest ``keep`` lines of each user concerned."""
        ...
    async def recent(self, user_id: int, limit: int) -> list[ChatLine]:
        """A user's newest ``limit`` lines, oldest first."""
        ...


class ButtonRepository(Protocol):
    """Chat buttons, kept in the database so that a restart (or another worker) still knows them."""

    async def add(self, buttons: Sequence[StoredButton]) -> None: ...
    async def get(self, token: str) -> StoredButton | None: ...
    async def take(self, token: str) -> bool:
        """Delete the button; True only for the call that deleted it (one conditional DELETE:
        of two clicks on a single-use button, one wins)."""
        ...
    async def purge(self, before: datetime) -> int:
        """Delete the buttons that expired before ``before``; how many."""
        ...


class ChatStateRepository(Protocol):
    """Each chat account's conversation state (a JSON object), kept across restarts."""

    async def get(self, channel: str, user: int) -> dict[str, Any] | None: ...
    async def put(self, channel: str, user: int, state: dict[str, Any], expires: datetime) -> None:
        """Store (replace) the account's state, to be deleted after ``expires``."""
        ...
    async def purge(self, before: datetime) -> int:
        """Delete the states that expired before ``before``; how many."""
        ...


class UnitOfWork(Protocol):
    """One transaction over every repository. Leaving without ``commit`` rolls back."""

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

    async def __aenter__(self) -> Self: ...
    async def __aexit__(self, et: type[BaseException] | None, e: BaseException | None,
                        tb: TracebackType | None) -> None: ...
    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, write: bool = False) -> UnitOfWork: ...
