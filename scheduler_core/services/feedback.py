"""Use cases: delivery, complaints and satisfaction surveys."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from scheduler_core.domain.model import OrderStatus

from .context import Services
from .errors import Conflict, InvalidInput, NotFound
from .policy import require, require_order_visible
from .ports import Actor, AuditEntry, Complaint, Notification, Role
from .refs import clean_text

__all__ = ["record_complaint", "record_delivery", "record_survey_answer"]


async def record_delivery(svc: Services, actor: Actor, ref_text: str) -> None:
    """Mark an order delivered now (its survey becomes due later)."""
    require(actor, "record_delivery")
    ref = await svc.order_ref(ref_text)
    now = svc.now()
    async with svc.uow(write=True) as uow:
        rec = await uow.orders.get(ref)
        if rec is None or rec.order.status is OrderStatus.CANCELLED:
            raise NotFound("order_not_found", ref=ref)
        if rec.order.status is OrderStatus.DELIVERED:
            raise Conflict("already_delivered", ref=ref)
        await uow.orders.update(replace(rec, order=replace(rec.order, status=OrderStatus.DELIVERED), delivered=now))
        await uow.audit.add(AuditEntry(now, actor.user_id, "record_delivery", ref, None, {"delivered": now.isoformat()}))
        await uow.commit()


async def record_complaint(svc: Services, actor: Actor, text: str, ref_text: str | None = None) -> int:
    """Store a complaint and alert the sales owner and the managers at once."""
    require(actor, "complain")
    body = clean_text(text, limit=2000)
    if not body:
        raise InvalidInput("empty_text")
    now = svc.now()
    ref = await svc.order_ref(ref_text) if ref_text else None
    async with svc.uow(write=True) as uow:
        sales = None
        customer = actor.customer or ""
        if ref is not None:
            rec = require_order_visible(actor, await uow.orders.get(ref), ref)
            sales = rec.sales
            customer = rec.order.customer
        cid = await uow.feedback.add_complaint(Complaint(0, customer, ref, body, actor.user_id, now))
        payload = {"complaint": cid, "customer": customer, "ref": ref, "text": body[:500]}
        targets = list(await uow.users.with_role(Role.MANAGER))
        if sales:
            owner = await uow.users.by_username(sales)
            if owner is not None:
                targets.append(owner)
        for user in {u.id: u for u in targets}.values():
            await uow.outbox.add(Notification(f"complaint:{cid}:{user.id}", "chat", f"user:{user.id}", "complaint",
                                              payload, now, urgent=True))
        await uow.audit.add(AuditEntry(now, actor.user_id, "complaint", ref or customer, None, {"id": cid}))
        await uow.commit()
    return cid


async def record_survey_answer(svc: Services, actor: Actor, ref_text: str, score: int,
                               comment: str | None = None) -> None:
    """A customer's 1-5 score (and comment) for a delivered order; <= 2 alerts sales and managers."""
    require(actor, "answer_survey")
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise InvalidInput("bad_score", score=score)
    ref = await svc.order_ref(ref_text)
    text = clean_text(comment, limit=1000) if comment else None
    now = svc.now()
    async with svc.uow(write=True) as uow:
        rec = require_order_visible(actor, await uow.orders.get(ref), ref)
        if not await uow.feedback.answer_survey(ref, score, text, now):
            raise Conflict("survey_gone", ref=ref)
        if score <= 2:
            payload = {"ref": ref, "customer": rec.order.customer, "score": score, "comment": text}
            targets = list(await uow.users.with_role(Role.MANAGER))
            if rec.sales and (owner := await uow.users.by_username(rec.sales)) is not None:
                targets.append(owner)
            for user in {u.id: u for u in targets}.values():
                await uow.outbox.add(Notification(f"low-score:{ref}:{user.id}", "chat", f"user:{user.id}",
                                                  "low_score", payload, now, urgent=True))
        await uow.commit()


async def list_complaints(svc: Services, actor: Actor, *, days: int = 30) -> list[Complaint]:
    """The complaints of the last ``days`` days, newest first: every one for staff, a customer's
    own company's for a customer (P1)."""
    since = svc.now() - timedelta(days=days)
    async with svc.uow() as uow:
        found = await uow.feedback.complaints(since)
    if actor.role is Role.CUSTOMER:
        found = [c for c in found if actor.customer and c.customer == actor.customer]
    else:
        require(actor, "view_plan")
    return sorted(found, key=lambda c: c.created, reverse=True)
