"""Use cases: assess a change (rush insertion 插单, due date, quantity, cancel, priority),
confirm or reject it, and capable-to-promise.

Nothing is committed by an assessment except the proposal itself. Confirmation claims the
single-use token, re-checks the plan version the proposal was made on, and commits the new
plan version, the order change, the audit row and the notifications in ONE transaction (P4).
A stale proposal is never applied blindly: the plan it showed is re-timed to the current one
(every machine keeping the previewed sequence) and committed only when it still says what
the preview said (:func:`still_as_previewed`); otherwise it is assessed again and shown again.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from scheduler_core.domain.impact import ImpactReport
from scheduler_core.domain.model import Order, OrderStatus
from scheduler_core.domain.schedule import Schedule

from .changes import (
    Assessment,
    CancelOrder,
    Change,
    ChangeDue,
    ChangeError,
    ChangeMaterial,
    ChangeQuantity,
    InsertOrder,
    MoveOperation,
    material_release,
    promise_date,
    rebase_change,
)
from .changes import (
    assess_change as assess_in_core,
)
from .codec import (
    change_from_dict,
    change_to_dict,
    impact_to_dict,
    order_to_dict,
    schedule_from_dict,
    schedule_to_dict,
)
from .context import Services, hash_token, load_factory, plan_metrics, publish
from .errors import Conflict, InvalidInput, NotFound
from .policy import require, require_order_visible
from .ports import Actor, ChangeRecord, ChangeStatus, OrderRecord, Role, StalePlan, UnitOfWork
from .views import ChangeOutcome, ChangeProposal, PromiseView

__all__ = ["assess", "confirm_change", "promise", "reject_change", "still_as_previewed"]

REBASE_TRIES = 3
"""Re-timing a preview is tried again this often when the plan moves on once more meanwhile."""
SUBJECT_LEEWAY = timedelta(minutes=30)
"""A late changed order may end this much later than its preview showed and still be confirmed
on a plan that moved on (an order shown on time must stay on time)."""


async def promise(svc: Services, actor: Actor, product: str, quantity: int) -> PromiseView:
    """Earliest completion of ``quantity`` of ``product``: without disturbing anyone, and with priority."""
    require(actor, "promise")
    now = svc.now()
    async with svc.uow() as uow:
        factory, _ = await load_factory(uow)
        plan = await uow.plans.current()
    published = plan.schedule if plan else None
    if published is None:
        raise Conflict("no_plan")
    try:
        quote = await svc.planner(promise_date, factory, now, published, product, quantity, svc.planning,
                                        solver=svc.solver)
    except ChangeError as exc:
        raise InvalidInput(exc.code, **exc.params) from exc
    return PromiseView(product, quantity, quote.undisturbed, quote.with_priority, quote.impact,
                       quote.without_lateness)


async def assess(svc: Services, actor: Actor, change: Change) -> ChangeProposal:
    """Plan the factory with ``change`` and store it as a proposal (nothing else changes)."""
    require(actor, "assess_change")
    now = svc.now()
    async with svc.uow() as uow:
        factory, records = await load_factory(uow)
        plan = await uow.plans.current()
        if not isinstance(change, InsertOrder):
            require_order_visible(actor, records.get(change.ref), change.ref)
        elif await uow.orders.get(change.order.ref) is not None:
            raise InvalidInput("duplicate_order", ref=change.order.ref)
    if plan is None:
        raise Conflict("no_plan")
    try:
        a = await svc.planner(assess_in_core, factory, now, plan.schedule, change, svc.planning,
                                    solver=svc.solver)
    except ChangeError as exc:
        raise InvalidInput(exc.code, **exc.params) from exc
    quantity = (factory.order(change.ref).quantity, change.quantity) if isinstance(change, ChangeQuantity) else None
    return await _store_proposal(svc, actor, change, a, plan.number, quantity=quantity)


async def _store_proposal(svc: Services, actor: Actor, change: Change, a: Assessment, base: int,
                          restated: bool = False, *, quantity: tuple[int, int] | None = None) -> ChangeProposal:
    now = svc.now()
    token = secrets.token_urlsafe(18)
    payload = {"change": change_to_dict(change), "plan": schedule_to_dict(a.result.schedule),
               "metrics": plan_metrics(a.result)}
    record = ChangeRecord(
        id=0, kind=payload["change"]["kind"], payload=payload, base_version=base,
        impact=impact_to_dict(a.impact), status=ChangeStatus.PROPOSED, token_hash=hash_token(token), created=now,
        expires=now + svc.change_ttl, actor_id=actor.user_id, subject=_subject(change),
    )
    async with svc.uow(write=True) as uow:
        change_id = await uow.changes.add(record)
        await uow.commit()
    subject = a.subject
    due = None
    target = next((o for o in a.factory.orders if o.ref == _subject(change)), None)
    if target is not None:
        due = target.due
    return ChangeProposal(change_id, token, record.kind, record.subject, a.impact, subject.eta if subject else None,
                          due, a.on_time_possible, a.earliest, record.expires, base, restated, quantity,
                          rush=isinstance(change, InsertOrder) and change.order.rush)


def _subject(change: Change) -> str:
    return change.order.ref if isinstance(change, InsertOrder) else change.ref


async def confirm_change(svc: Services, actor: Actor, token: str) -> ChangeOutcome:
    """Apply a proposal. If the plan has moved on since it was made (a progress report, a
    re-plan), the plan it showed is re-timed to the current one and applied when it still says
    what the preview said; otherwise the change is assessed again and shown again.

    Raises:
        Conflict: the token was used, rejected, expired or never existed (``change_gone``).
    """
    require(actor, "confirm_change")
    now = svc.now()
    async with svc.uow(write=True) as uow:
        proposal = await uow.changes.by_token(hash_token(token))
        if proposal is None or proposal.status is not ChangeStatus.PROPOSED or proposal.expires <= now:
            raise Conflict("change_gone")
        plan = await uow.plans.current()
        if plan is not None and plan.number == proposal.base_version:
            try:
                outcome = await _apply(uow, svc, actor, proposal, plan.schedule, now)
            except StalePlan:  # published meanwhile: as if the plan had moved on before
                await uow.rollback()
            else:
                if outcome is None:
                    raise Conflict("change_gone")
                await uow.commit()
                return outcome
    rebased = await _rebased(svc, actor, proposal)
    if rebased is not None:
        return rebased
    async with svc.uow(write=True) as uow:
        claimed = await uow.changes.claim(proposal.token_hash, now, ChangeStatus.STALE)
        await uow.commit()
    if claimed is None:  # confirmed or rejected meanwhile (another click)
        raise Conflict("change_gone")
    change = change_from_dict(proposal.payload["change"])
    fresh = await assess(svc, actor, change)
    return ChangeOutcome(False, None, None, replace(fresh, restated=True))


def still_as_previewed(shown: dict[str, Any], now: ImpactReport) -> bool:
    """Whether a preview re-timed to the current plan (``now``) still says what the preview
    (``shown``, as stored) said: the changed order no later than shown (on time stays on time; a
    late one at most :data:`SUBJECT_LEEWAY` later), no order newly late that was not shown so,
    and no more lateness added than shown plus an hour or a tenth, whichever is more."""
    def minutes(d: timedelta) -> int:
        return round(d.total_seconds() / 60)

    late_shown = max((int(s["late_by_minutes"]) for s in shown.get("subject", [])), default=0)
    late_now = max((minutes(s.late_by) for s in now.subject), default=0)
    if late_now > (0 if late_shown == 0 else late_shown + minutes(SUBJECT_LEEWAY)):
        return False
    if {i.ref for i in now.newly_late} - set(shown.get("newly_late", [])):
        return False
    added = int(shown.get("tardiness_added_minutes", 0))
    return minutes(now.tardiness_added) <= added + max(60, added // 10)


async def _rebased(svc: Services, actor: Actor, proposal: ChangeRecord) -> ChangeOutcome | None:
    """The proposal's plan re-timed to the current plan and applied, when it still says what the
    preview said (tried again, :data:`REBASE_TRIES` times in all, when the plan moves on once
    more meanwhile); None otherwise, with nothing written."""
    change = change_from_dict(proposal.payload["change"])
    previewed = schedule_from_dict(proposal.payload["plan"])
    for _ in range(REBASE_TRIES):
        now = svc.now()
        async with svc.uow() as uow:
            factory, _ = await load_factory(uow)
            plan = await uow.plans.current()
        if plan is None:
            return None
        try:
            a = await svc.planner(rebase_change, factory, now, plan.schedule, change, previewed, svc.planning)
        except ChangeError:  # the order changed so that the change no longer applies
            return None
        if not still_as_previewed(proposal.impact, a.impact):
            return None
        async with svc.uow(write=True) as uow:
            try:
                outcome = await _apply(uow, svc, actor, proposal, plan.schedule, now,
                                       planned=(a.result.schedule, plan_metrics(a.result), plan.number))
            except StalePlan:
                await uow.rollback()
                continue
            if outcome is None:
                raise Conflict("change_gone")
            await uow.commit()
        return replace(outcome, rebased=True)
    return None


async def _apply(uow: UnitOfWork, svc: Services, actor: Actor, proposal: ChangeRecord, old_schedule: Schedule,
                 now: datetime, *, planned: tuple[Schedule, dict[str, Any], int] | None = None) -> ChangeOutcome | None:
    """Claim the proposal and publish its plan (or ``planned``: a plan, its metrics and the
    version it follows) with the order change, in the caller's transaction."""
    claimed = await uow.changes.claim(proposal.token_hash, now, ChangeStatus.CONFIRMED)
    if claimed is None:
        return None
    change = change_from_dict(proposal.payload["change"])
    schedule, metrics, expected = planned or (schedule_from_dict(proposal.payload["plan"]),
                                              proposal.payload["metrics"], proposal.base_version)
    before = await _apply_order_change(uow, actor, change, now)
    factory, records = await load_factory(uow)
    orders = {o.ref: o for o in factory.orders}
    target = await uow.orders.get(_subject(change))
    if target is not None:  # a cancelled order is no longer active but still reported
        orders[target.ref] = target.order
        records[target.ref] = target
    version, impact = await publish(
        uow, svc, actor=actor, schedule=schedule, metrics=metrics, old=old_schedule,
        expected=expected, reason=f"{proposal.kind} {proposal.subject}", orders=orders,
        records=records, subject=frozenset({proposal.subject}),
        audit=(f"confirm_{proposal.kind}", proposal.subject, before, change_to_dict(change)),
    )
    return ChangeOutcome(True, version, impact, None, await uow.outbox.count())


async def _apply_order_change(uow: UnitOfWork, actor: Actor, change: Change, now: datetime) -> dict[str, Any] | None:
    """Write the order side of ``change``; returns the order as it was (None for a new one)."""
    if isinstance(change, InsertOrder):
        sales = actor.username if actor.role is Role.SALES else None
        order = change.order if change.order.created else replace(change.order, created=now)
        await uow.orders.add(OrderRecord(order, sales=sales))
        return None
    rec = await uow.orders.get(change.ref)
    if rec is None:
        raise NotFound("order_not_found", ref=change.ref)
    if isinstance(change, MoveOperation):  # only the plan changes
        return None
    o: Order = rec.order
    if isinstance(change, CancelOrder):
        o = replace(o, status=OrderStatus.CANCELLED)
    elif isinstance(change, ChangeQuantity):
        o = replace(o, quantity=change.quantity)
    elif isinstance(change, ChangeDue):
        o = replace(o, due=change.due)
    elif isinstance(change, ChangeMaterial):
        o = replace(o, release=material_release(change, now))
    else:
        o = replace(o, priority=change.priority or o.priority, vip=o.vip if change.vip is None else change.vip,
                    rush=o.rush if change.rush is None else change.rush)
    await uow.orders.update(replace(rec, order=o))
    return order_to_dict(rec.order)


async def reject_change(svc: Services, actor: Actor, token: str) -> None:
    """Cancel a proposal (single use like Confirm)."""
    require(actor, "assess_change")
    async with svc.uow(write=True) as uow:
        claimed = await uow.changes.claim(hash_token(token), svc.now(), ChangeStatus.REJECTED)
        if claimed is None:
            raise Conflict("change_gone")
        await uow.commit()
