"""Table rows: SQLAlchemy 2 typed ORM models, one class per table.

Rows are storage shapes only; ``db.repositories`` maps them to the domain dataclasses.
Every timestamp is :class:`UtcDateTime`: stored in UTC, returned as an aware UTC datetime
(on SQLite as naive-UTC text so that ``expires > :now`` compares correctly as text).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

__all__ = [
    "ApiTokenRow",
    "AuditRow",
    "Base",
    "CalendarRow",
    "ChangeRow",
    "ChatIdentityRow",
    "ComplaintRow",
    "CustomerRow",
    "DowntimeRow",
    "InboxRow",
    "JobRunRow",
    "LinkCodeRow",
    "MachineGroupRow",
    "MachineRow",
    "OrderRow",
    "OutboxRow",
    "PlanVersionRow",
    "PlannedOpRow",
    "ProductRow",
    "ProgressRow",
    "RoutingAlternativeRow",
    "RoutingStepRow",
    "SettingRow",
    "SurveyRow",
    "UserRow",
    "UtcDateTime",
]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; naive input is a bug and is rejected."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} (a timezone is required)")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)  # one text format, so text comparison = time comparison
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime(), dict[str, Any]: JSON(), list[Any]: JSON()}


# -- people ---------------------------------------------------------------------------------


class CustomerRow(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    contacts: Mapped[dict[str, Any]] = mapped_column(default=dict)


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    customer: Mapped[str | None] = mapped_column(
        String(200), ForeignKey("customers.name", onupdate="CASCADE"), index=True)
    lang: Mapped[str] = mapped_column(String(20), default="zh_Hans")
    email: Mapped[str | None] = mapped_column(String(320))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (Index("ix_users_role", "role"),)


class ChatIdentityRow(Base):
    __tablename__ = "chat_identities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    lang: Mapped[str] = mapped_column(String(20), default="zh_Hans")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    lang_chosen: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    __table_args__ = (UniqueConstraint("channel", "external_id"),)


class LinkCodeRow(Base):
    __tablename__ = "link_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(128), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    expires: Mapped[datetime]
    used: Mapped[datetime | None]


class ApiTokenRow(Base):
    """A REST API token: only the SHA-256 of the random token is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    created: Mapped[datetime]
    expires: Mapped[datetime | None]
    revoked: Mapped[datetime | None]
    last_used: Mapped[datetime | None]


class WebChatLineRow(Base):
    """A line of a user's web chat (said, answered or delivered there); the newest few per user."""

    __tablename__ = "web_chat_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    entry: Mapped[dict[str, Any]]

    __table_args__ = (Index("ix_web_chat_lines_user_id_id", "user_id", "id"),)


class ButtonRow(Base):
    """A chat button's token and what it does (``StoredButton``)."""

    __tablename__ = "chat_buttons"

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(40))
    args: Mapped[dict[str, Any]]
    roles: Mapped[str] = mapped_column(String(100), default="")
    expires: Mapped[datetime]
    single_use: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_chat_buttons_expires", "expires"),)


class ChatStateRow(Base):
    """A chat account's conversation state (``handlers.session``)."""

    __tablename__ = "chat_states"

    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    state: Mapped[dict[str, Any]]
    expires: Mapped[datetime]

    __table_args__ = (Index("ix_chat_states_expires", "expires"),)


class SettingRow(Base):
    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


# -- master data ----------------------------------------------------------------------------


class MachineGroupRow(Base):
    __tablename__ = "machine_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)


class MachineRow(Base):
    __tablename__ = "machines"

    id: Mapped[str] = mapped_column(String(50), primary_key=True)  # the domain id, e.g. "CNC-2"
    name: Mapped[str] = mapped_column(String(200))
    group_id: Mapped[int] = mapped_column(ForeignKey("machine_groups.id"), index=True)
    calendar: Mapped[str] = mapped_column(String(100))


class CalendarRow(Base):
    __tablename__ = "calendars"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    shifts: Mapped[dict[str, Any]]  # {"1": [["08:00", "16:00"], ...], ...} per ISO weekday
    holidays: Mapped[list[Any]]  # ["2026-10-01", ...]


class ProductRow(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)  # the product code
    label: Mapped[str] = mapped_column(String(200), default="", server_default="")  # what people call it


class RoutingStepRow(Base):
    __tablename__ = "routing_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))

    __table_args__ = (UniqueConstraint("product_id", "position"),)


class RoutingAlternativeRow(Base):
    __tablename__ = "routing_alternatives"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("routing_steps.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    machine: Mapped[str] = mapped_column(String(50))
    setup: Mapped[float]
    per_unit: Mapped[float]

    __table_args__ = (UniqueConstraint("step_id", "position"),)


class DowntimeRow(Base):
    __tablename__ = "downtime_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    machine: Mapped[str] = mapped_column(String(50), index=True)
    start: Mapped[datetime]
    end: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(Text, default="")


# -- orders, plans, shop floor --------------------------------------------------------------


class OrderRow(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(50), unique=True)
    customer: Mapped[str] = mapped_column(String(200), ForeignKey("customers.name", onupdate="CASCADE"))
    sales: Mapped[str | None] = mapped_column(String(100))
    product: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[int]
    due: Mapped[datetime]  # the promised date
    vip: Mapped[bool] = mapped_column(Boolean, default=False)
    priority: Mapped[int] = mapped_column(Integer, default=1)
    rush: Mapped[bool] = mapped_column(Boolean, default=False)
    release: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20))
    created: Mapped[datetime | None]
    delivered: Mapped[datetime | None]
    updated: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_orders_customer_status", "customer", "status"),
        Index("ix_orders_status", "status"),
        Index("ix_orders_sales", "sales"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )


class PlanVersionRow(Base):
    __tablename__ = "plan_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    created: Mapped[datetime]  # when it was published
    planned_at: Mapped[datetime]  # Schedule.created: the planning instant
    method: Mapped[str] = mapped_column(String(50), default="")
    status: Mapped[str] = mapped_column(String(50), default="")
    metrics: Mapped[dict[str, Any]]
    finished: Mapped[dict[str, Any]]  # {ref: ISO time} of orders already finished


class PlannedOpRow(Base):
    __tablename__ = "planned_ops"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("plan_versions.id", ondelete="CASCADE"))
    ref: Mapped[str] = mapped_column(String(50))
    step: Mapped[int]
    step_name: Mapped[str] = mapped_column(String(200))
    machine: Mapped[str] = mapped_column(String(50))
    start: Mapped[datetime]
    end: Mapped[datetime]
    quantity: Mapped[int]
    work_minutes: Mapped[int]
    fixed: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_planned_ops_version_ref", "version_id", "ref"),)


class ProgressRow(Base):
    __tablename__ = "progress_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(50))
    step: Mapped[int]
    good: Mapped[int]
    scrap: Mapped[int]
    machine: Mapped[str] = mapped_column(String(50))
    user_id: Mapped[int]
    at: Mapped[datetime]
    finished: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_progress_reports_ref_step", "ref", "step"),)


class ChangeRow(Base):
    __tablename__ = "change_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))
    payload: Mapped[dict[str, Any]]
    subject: Mapped[str] = mapped_column(String(200), default="")
    base_version: Mapped[int]
    impact: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    created: Mapped[datetime]
    expires: Mapped[datetime]
    actor_id: Mapped[int]

    __table_args__ = (Index("ix_change_requests_status_expires", "status", "expires"),
                      Index("ix_change_requests_created", "created"))


# -- feedback, audit, messaging, jobs -------------------------------------------------------


class ComplaintRow(Base):
    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer: Mapped[str] = mapped_column(String(200), index=True)
    ref: Mapped[str | None] = mapped_column(String(50))
    text: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int]
    created: Mapped[datetime] = mapped_column(index=True)


class SurveyRow(Base):
    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(50), unique=True)
    customer: Mapped[str] = mapped_column(String(200))
    sent: Mapped[datetime] = mapped_column(index=True)
    score: Mapped[int | None]
    comment: Mapped[str | None] = mapped_column(Text)
    answered: Mapped[datetime | None]

    __table_args__ = (CheckConstraint("score IS NULL OR (score >= 1 AND score <= 5)", name="score_range"),)


class AuditRow(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    actor_id: Mapped[int]
    action: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(200))
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]

    __table_args__ = (Index("ix_audit_log_subject_at", "subject", "at"), Index("ix_audit_log_at", "at"))


class OutboxRow(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    channel: Mapped[str] = mapped_column(String(50))
    recipient: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(50))
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending/sent/failed/dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created: Mapped[datetime]
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_outbox_status_next_attempt", "status", "next_attempt"),)


class InboxRow(Base):
    __tablename__ = "webhook_inbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    payload: Mapped[dict[str, Any]]
    received: Mapped[datetime]
    processed: Mapped[datetime | None] = mapped_column(index=True)


class JobRunRow(Base):
    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(100))
    period: Mapped[str] = mapped_column(String(100))
    started: Mapped[datetime]
    finished: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("job", "period"),)
