"""The storage contract (``scheduler_core.services.ports``), on the fake, SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduler_core.domain.calendar import TWO_SHIFTS, Downtime, Shift, WorkCalendar
from scheduler_core.domain.model import Alternative, Machine, Order, OrderStatus, Progress, Routing, Step
from scheduler_core.domain.schedule import PlannedOp, Schedule
from scheduler_core.services.ports import (
    AuditEntry,
    ChangeRecord,
    ChangeStatus,
    ChatIdentity,
    ChatLine,
    Complaint,
    LinkCode,
    Notification,
    OrderRecord,
    ProgressEvent,
    Role,
    StalePlan,
    StoredButton,
    Survey,
    UnitOfWorkFactory,
    User,
)

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=TZ)


def at(hours: float = 0, days: float = 0) -> datetime:
    return NOW + timedelta(hours=hours, days=days)


def order(ref: str = "SO-1001", *, customer: str = "ACME", quantity: int = 10, due: datetime | None = None,
          status: OrderStatus = OrderStatus.OPEN, sales: str | None = "li", **kw: object) -> OrderRecord:
    return OrderRecord(Order(ref, customer, "P", quantity, due or at(days=3), status=status, created=NOW,
                             **kw), sales=sales)  # type: ignore[arg-type]


def schedule(*ops: tuple[str, int, str, float, float]) -> Schedule:
    """Ops as (ref, step, machine, start hour, end hour)."""
    return Schedule(tuple(PlannedOp(r, k, f"step{k + 1}", m, at(a), at(b), 10, int((b - a) * 60))
                          for r, k, m, a, b in ops), NOW, method="cpsat", status="optimal")


def change(token: str = "tok", *, expires: datetime | None = None, base: int = 0) -> ChangeRecord:
    return ChangeRecord(0, "insert", {"ref": "SO-2000", "quantity": 5}, base, {"late": ["SO-1001"]},
                        ChangeStatus.PROPOSED, token, NOW, expires or at(hours=1), 7, subject="SO-2000")


def is_aware_utc(dt: datetime | None) -> bool:
    return dt is not None and dt.utcoffset() == timedelta(0)


# -- the unit of work -----------------------------------------------------------------------


async def test_leaving_without_commit_rolls_back(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory(write=True) as uow:
        await uow.orders.add(order())
        assert await uow.orders.get("SO-1001") is not None  # visible inside its own transaction
    async with uow_factory() as uow:
        assert await uow.orders.get("SO-1001") is None


async def test_an_exception_rolls_back_and_propagates(uow_factory: UnitOfWorkFactory) -> None:
    with pytest.raises(ZeroDivisionError):
        async with uow_factory(write=True) as uow:
            await uow.orders.add(order())
            _ = 1 / 0
    async with uow_factory() as uow:
        assert await uow.orders.active() == []


async def test_commit_makes_work_visible_to_the_next_unit_of_work(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory(write=True) as uow:
        await uow.orders.add(order())
        await uow.commit()
        await uow.orders.add(order("SO-1002"))  # after commit: a new transaction, rolled back on exit
    async with uow_factory() as uow:
        assert [r.ref for r in await uow.orders.active()] == ["SO-1001"]


async def test_explicit_rollback_discards(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory(write=True) as uow:
        await uow.orders.add(order())
        await uow.rollback()
        assert await uow.orders.get("SO-1001") is None


# -- master data ----------------------------------------------------------------------------


async def test_master_data_round_trips(uow_factory: UnitOfWorkFactory) -> None:
    night = WorkCalendar("night", {1: (Shift(time(22, 0), time(6, 0)),), 7: ()},
                         frozenset({date(2026, 10, 1), date(2026, 10, 2)}))
    routing = Routing("P", (Step("cut", (Alternative("CNC-1", 10, 1.5), Alternative("CNC-2", 12.5, 1.25))),
                            Step("paint", (Alternative("PNT-1", 0, 0.5),))), "Bracket")
    async with uow_factory(write=True) as uow:
        assert await uow.master.timezone() == "Asia/Shanghai"  # the default
        await uow.master.save_machine(Machine("CNC-2", "CNC two", "CNC", "two-shifts"))
        await uow.master.save_machine(Machine("CNC-1", "CNC one", "CNC", "night"))
        await uow.master.save_machine(Machine("PNT-1", "Paint", "PAINT"))
        await uow.master.save_calendar(TWO_SHIFTS)
        await uow.master.save_calendar(night)
        await uow.master.save_routing(routing)
        await uow.master.set_timezone("Europe/Berlin")
        await uow.commit()
    async with uow_factory(write=True) as uow:
        assert await uow.master.machines() == [Machine("CNC-1", "CNC one", "CNC", "night"),
                                               Machine("CNC-2", "CNC two", "CNC", "two-shifts"),
                                               Machine("PNT-1", "Paint", "PAINT", "two-shifts")]
        assert await uow.master.calendars() == {"night": night, "two-shifts": TWO_SHIFTS}
        assert await uow.master.routings() == {"P": routing}
        assert await uow.master.routing("P") == routing
        assert await uow.master.routing("nope") is None
        assert await uow.master.timezone() == "Europe/Berlin"
        # saving again replaces
        await uow.master.save_machine(Machine("CNC-1", "CNC one", "MILL", "two-shifts"))
        shorter = Routing("P", (Step("cut", (Alternative("CNC-2", 5, 1),)),), "支架")  # renamed too
        await uow.master.save_routing(shorter)
        await uow.master.save_calendar(WorkCalendar("night", {2: (Shift(time(20, 0), time(23, 30)),)}))
        await uow.master.set_timezone("Asia/Shanghai")
        await uow.commit()
    async with uow_factory() as uow:  # a group that came later lists later
        assert await uow.master.machines() == [Machine("CNC-2", "CNC two", "CNC", "two-shifts"),
                                               Machine("PNT-1", "Paint", "PAINT", "two-shifts"),
                                               Machine("CNC-1", "CNC one", "MILL", "two-shifts")]
        assert await uow.master.routings() == {"P": shorter}
        assert await uow.master.routing("P") == shorter
        assert (await uow.master.calendars())["night"].shifts == {2: (Shift(time(20, 0), time(23, 30)),)}
        assert await uow.master.timezone() == "Asia/Shanghai"


# -- orders ---------------------------------------------------------------------------------


async def test_orders_round_trip_with_aware_utc_times(uow_factory: UnitOfWorkFactory) -> None:
    rec = OrderRecord(Order("SO-1042", "ACME", "P", 120, at(days=5), vip=True, priority=3, rush=True,
                            release=at(hours=2), created=NOW), sales="li", delivered=None)
    async with uow_factory(write=True) as uow:
        await uow.orders.add(rec)
        await uow.commit()
    async with uow_factory() as uow:
        got = await uow.orders.get("SO-1042")
    assert got == rec
    assert got is not None and is_aware_utc(got.order.due) and is_aware_utc(got.order.release)
    assert got.order.due.astimezone(TZ) == at(days=5)


async def test_order_update_and_filters(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory(write=True) as uow:
        await uow.orders.add(order("SO-1001", customer="ACME", due=at(days=3)))
        await uow.orders.add(order("SO-1002", customer="ACME", due=at(days=1), sales="wang"))
        await uow.orders.add(order("SO-1003", customer="Globex", due=at(days=2)))
        await uow.orders.add(order("SO-1004", customer="Globex", due=at(days=4), status=OrderStatus.DONE))
        await uow.commit()
    async with uow_factory(write=True) as uow:
        rec = await uow.orders.get("SO-1003")
        assert rec is not None
        delivered = OrderRecord(replace(rec.order, status=OrderStatus.DELIVERED), rec.sales, delivered=at(days=2))
        await uow.orders.update(delivered)
        with pytest.raises(KeyError):
            await uow.orders.update(order("SO-9999"))
        await uow.commit()
    async with uow_factory() as uow:
        assert [r.ref for r in await uow.orders.active()] == ["SO-1001", "SO-1002"]
        assert [r.ref for r in await uow.orders.list(customer="ACME")] == ["SO-1002", "SO-1001"]  # by due
        assert [r.ref for r in await uow.orders.list(sales="wang")] == ["SO-1002"]
        assert [r.ref for r in await uow.orders.list(statuses=[OrderStatus.DONE, OrderStatus.DELIVERED])] == [
            "SO-1003", "SO-1004"]
        assert [r.ref for r in await uow.orders.list(delivered_since=at(days=1))] == ["SO-1003"]
        assert [r.ref for r in await uow.orders.list(delivered_since=at(days=3))] == []
        assert [r.ref for r in await uow.orders.list(limit=2)] == ["SO-1002", "SO-1003"]
        got = await uow.orders.get("SO-1003")
        assert got == delivered
        assert await uow.orders.next_ref() == "SO-1005"


async def test_next_ref_starts_at_1001_and_ignores_foreign_refs(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory(write=True) as uow:
        assert await uow.orders.next_ref() == "SO-1001"
        await uow.orders.add(order("PO-77777"))
        await uow.orders.add(order("SO-1041"))
        await uow.orders.add(order("SO-999"))
        assert await uow.orders.next_ref() == "SO-1042"


async def test_prefixes_are_the_letters_most_orders_carry_first(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory(write=True) as uow:
        assert await uow.orders.prefixes() == ()
        for ref in ("WO-778", "WO-779", "SO-1001", "XS-20261127001", "WO-780"):
            await uow.orders.add(order(ref))
        assert await uow.orders.prefixes() == ("WO", "SO", "XS")  # ties by letters


async def test_next_ref_skips_the_numbers_rush_previews_showed(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory(write=True) as uow:
        await uow.orders.add(order("SO-1041"))
        await uow.changes.add(replace(change("x"), subject="SO-1042"))  # shown, not yet confirmed
        await uow.changes.add(replace(change("y"), kind="due", subject="SO-1050"))  # an existing order's
        assert await uow.orders.next_ref() == "SO-1043"


async def test_a_duplicate_order_ref_is_refused(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory(write=True) as uow:
        await uow.orders.add(order())
        await uow.commit()
    with pytest.raises(Exception):  # noqa: B017 - the adapter's own integrity error
        async with uow_factory(write=True) as uow:
            await uow.orders.add(order())


# -- shop floor -----------------------------------------------------------------------------


async def test_progress_aggregates_reports_per_step(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory(write=True) as uow:
        await uow.orders.add(order("SO-1001", quantity=10))
        await uow.orders.add(order("SO-1002", quantity=10))
        # inserted out of time order on purpose: aggregation follows report time
        await uow.shopfloor.add_progress(ProgressEvent("SO-1001", 0, 4, 1, "CNC-2", 3, at(hours=2)))
        await uow.shopfloor.add_progress(ProgressEvent("SO-1001", 0, 3, 0, "CNC-1", 3, at(hours=1)))
        await uow.shopfloor.add_progress(ProgressEvent("SO-1001", 0, 3, 0, "CNC-2", 3, at(hours=3)))  # 10 done
        await uow.shopfloor.add_progress(ProgressEvent("SO-1001", 0, 1, 0, "CNC-2", 3, at(hours=4)))  # extra
        await uow.shopfloor.add_progress(ProgressEvent("SO-1001", 1, 2, 0, "PNT-1", 4, at(hours=5)))
        await uow.shopfloor.add_progress(ProgressEvent("SO-1002", 0, 5, 0, "CNC-1", 4, at(hours=6), finished=True))
        await uow.shopfloor.add_progress(ProgressEvent("SO-9999", 0, 5, 0, "CNC-1", 4, at(hours=7)))  # unknown
        # work on a later step closes the steps before it, with the order's quantity
        await uow.orders.add(order("SO-1003", quantity=8))
        await uow.shopfloor.add_progress(ProgressEvent("SO-1003", 0, 3, 0, "CNC-1", 3, at(hours=1)))
        await uow.shopfloor.add_progress(ProgressEvent("SO-1003", 2, 2, 0, "PNT-1", 3, at(hours=2)))
        await uow.commit()
    async with uow_factory() as uow:
        progress = await uow.shopfloor.progress()
    assert progress == {
        ("SO-1001", 0): Progress("SO-1001", 0, 11, "CNC-2", at(hours=1), at(hours=3)),
        ("SO-1001", 1): Progress("SO-1001", 1, 2, "PNT-1", at(hours=5), None),
        ("SO-1002", 0): Progress("SO-1002", 0, 5, "CNC-1", at(hours=6), at(hours=6)),
        ("SO-9999", 0): Progress("SO-9999", 0, 5, "CNC-1", at(hours=7), None),
        ("SO-1003", 0): Progress("SO-1003", 0, 8, "CNC-1", at(hours=1), at(hours=2)),
        ("SO-1003", 1): Progress("SO-1003", 1, 8, None, None, at(hours=2)),
        ("SO-1003", 2): Progress("SO-1003", 2, 2, "PNT-1", at(hours=2), None),
    }
    assert all(is_aware_utc(p.started) for p in progress.values() if p.started is not None)
    async with uow_factory() as uow:
        assert await uow.shopfloor.progress("SO-1001") == {k: v for k, v in progress.items() if k[0] == "SO-1001"}
        assert await uow.shopfloor.progress("SO-4040") == {}
        # one order read alone: its quantity still closes the step; an unknown order only by the flag
        for ref in ("SO-1002", "SO-9999"):
            assert await uow.shopfloor.progress(ref) == {k: v for k, v in progress.items() if k[0] == ref}


async def test_downtime_is_replaced_as_a_whole(uow_factory: UnitOfWorkFactory) -> None:
    first = [Downtime("CNC-1", at(hours=3), at(hours=5), "spindle"), Downtime("CNC-2", at(hours=1), None)]
    async with uow_factory(write=True) as uow:
        await uow.shopfloor.set_downtime(first)
        await uow.commit()
    async with uow_factory(write=True) as uow:
        assert await uow.shopfloor.downtime() == [first[1], first[0]]  # by start
        await uow.shopfloor.set_downtime([Downtime("CNC-2", at(hours=1), at(hours=2), "fixed")])
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.shopfloor.downtime() == [Downtime("CNC-2", at(hours=1), at(hours=2), "fixed")]


# -- plans ----------------------------------------------------------------------------------


async def test_publish_is_compare_and_set(uow_factory: UnitOfWorkFactory) -> None:
    s1 = schedule(("SO-1001", 1, "M2", 2, 3), ("SO-1001", 0, "M1", 0, 2), ("SO-1002", 0, "M1", 2, 4))
    async with uow_factory(write=True) as uow:
        assert await uow.plans.current() is None
        assert await uow.plans.current_for("SO-1001") is None
        with pytest.raises(StalePlan):
            await uow.plans.publish(s1, "initial", expected=1, created=NOW, metrics={})
        assert await uow.plans.publish(s1, "initial", expected=0, created=NOW, metrics={"tardiness": 0}) == 1
        await uow.commit()
    async with uow_factory(write=True) as uow:
        cur = await uow.plans.current()
        assert cur is not None and cur.number == 1 and cur.reason == "initial"
        assert cur.metrics == {"tardiness": 0} and cur.created == NOW
        assert [(o.ref, o.step) for o in cur.schedule.ops] == [("SO-1001", 0), ("SO-1001", 1), ("SO-1002", 0)]
        assert cur.schedule.version == 1 and cur.schedule.method == "cpsat" and cur.schedule.status == "optimal"
        assert cur.schedule.created == NOW and set(cur.schedule.ops) == set(s1.ops)
        only = await uow.plans.current_for("SO-1001")
        assert only is not None and only.number == 1 and only.metrics == cur.metrics
        assert {(o.ref, o.step) for o in only.schedule.ops} == {("SO-1001", 0), ("SO-1001", 1)}
        assert only.schedule.eta("SO-1001") == cur.schedule.eta("SO-1001")
        unplanned = await uow.plans.current_for("SO-4040")  # the version, without operations
        assert unplanned is not None and unplanned.number == 1 and unplanned.schedule.ops == ()
        assert unplanned.metrics == cur.metrics and unplanned.schedule.eta("SO-4040") is None
        with pytest.raises(StalePlan):
            await uow.plans.publish(s1, "stale", expected=0, created=NOW, metrics={})
        # StalePlan leaves the transaction usable: the caller may record the outcome and commit
        await uow.audit.add(AuditEntry(NOW, 7, "change.stale", "SO-1001"))
        assert await uow.plans.publish(schedule(), "empty", expected=1, created=at(hours=1), metrics={}) == 2
        await uow.commit()
    async with uow_factory() as uow:
        history = await uow.plans.history()
        assert [v.number for v in history] == [2, 1]
        assert history[0].schedule.ops == ()
        assert [v.number for v in await uow.plans.history(limit=1)] == [2]
        assert len(await uow.audit.list()) == 1


async def test_schedule_finished_map_round_trips(uow_factory: UnitOfWorkFactory) -> None:
    s = Schedule((), NOW, finished={"SO-1000": at(hours=-3), "SO-0999": at(days=-1)})
    async with uow_factory(write=True) as uow:
        await uow.plans.publish(s, "x", expected=0, created=NOW, metrics={"late": ["SO-1"], "n": 1.5})
        await uow.commit()
    async with uow_factory() as uow:
        cur = await uow.plans.current()
    assert cur is not None
    assert cur.schedule.finished == s.finished and cur.metrics == {"late": ["SO-1"], "n": 1.5}


# -- change requests ------------------------------------------------------------------------


async def test_a_change_is_claimed_once(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory(write=True) as uow:
        cid = await uow.changes.add(change("t1"))
        await uow.commit()
    async with uow_factory(write=True) as uow:
        got = await uow.changes.get(cid)
        assert got is not None and got == await uow.changes.by_token("t1")
        assert got.payload == {"ref": "SO-2000", "quantity": 5} and got.impact == {"late": ["SO-1001"]}
        assert got.status is ChangeStatus.PROPOSED and got.actor_id == 7 and got.subject == "SO-2000"
        claimed = await uow.changes.claim("t1", at(0.5), ChangeStatus.CONFIRMED)
        assert claimed is not None and claimed.id == cid and claimed.status is ChangeStatus.CONFIRMED
        assert await uow.changes.claim("t1", at(0.5), ChangeStatus.CONFIRMED) is None
        await uow.commit()
    async with uow_factory(write=True) as uow:
        assert await uow.changes.claim("t1", at(0.5), ChangeStatus.REJECTED) is None
        assert await uow.changes.claim("nope", at(0.5), ChangeStatus.CONFIRMED) is None
        got = await uow.changes.get(cid)
        assert got is not None and got.status is ChangeStatus.CONFIRMED
        assert await uow.changes.get(cid + 1000) is None


async def test_an_expired_change_cannot_be_claimed(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory(write=True) as uow:
        await uow.changes.add(change("old", expires=at(hours=1)))
        await uow.changes.add(change("new", expires=at(hours=3)))
        await uow.commit()
    async with uow_factory(write=True) as uow:
        assert await uow.changes.claim("old", at(hours=1), ChangeStatus.CONFIRMED) is None  # expires == now
        assert await uow.changes.expire(at(hours=2)) == 1
        assert await uow.changes.expire(at(hours=2)) == 0
        assert [c.token_hash for c in await uow.changes.list(status=ChangeStatus.EXPIRED)] == ["old"]
        assert [c.token_hash for c in await uow.changes.list(status=ChangeStatus.PROPOSED)] == ["new"]
        await uow.commit()


async def test_change_list_and_set_status(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory(write=True) as uow:
        a = await uow.changes.add(change("a"))
        b = await uow.changes.add(ChangeRecord(0, "due", {}, 3, {}, ChangeStatus.PROPOSED, "b", at(hours=2),
                                               at(hours=3), 8))
        assert a != b
        await uow.changes.set_status(a, ChangeStatus.REJECTED)
        await uow.commit()
    async with uow_factory() as uow:
        assert [c.id for c in await uow.changes.list()] == [a, b]
        assert [c.id for c in await uow.changes.list(since=at(hours=1))] == [b]
        assert [c.id for c in await uow.changes.list(status=ChangeStatus.REJECTED)] == [a]
        got = await uow.changes.get(b)
        assert got is not None and got.base_version == 3 and got.kind == "due" and is_aware_utc(got.created)


# -- people ---------------------------------------------------------------------------------


async def test_users_identities_and_allocation(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory(write=True) as uow:
        boss = await uow.users.add(User(0, "boss", Role.MANAGER, "The Boss", email="b@x.cn"))
        fixed = await uow.users.add(User(50, "imported", Role.SALES, "Li"))
        buyer = await uow.users.add(User(0, "buyer", Role.CUSTOMER, "Buyer", customer="ACME", lang="en"))
        await uow.commit()
    assert boss.id > 0 and fixed.id == 50 and buyer.id not in (boss.id, 50)
    assert buyer == User(buyer.id, "buyer", Role.CUSTOMER, "Buyer", "ACME", "en", None, True)
    async with uow_factory(write=True) as uow:
        assert await uow.users.get(50) == fixed
        assert await uow.users.by_username("boss") == boss
        assert await uow.users.by_username("nobody") is None
        assert await uow.users.with_role(Role.MANAGER) == [boss]
        assert await uow.users.of_customer("ACME") == [buyer]
        await uow.identities.save(ChatIdentity("telegram", 7_000_000_001, buyer.id, "en"))
        await uow.identities.save(ChatIdentity("web", 1, buyer.id))
        await uow.identities.save(ChatIdentity("telegram", 7_000_000_002, boss.id))
        await uow.commit()
    async with uow_factory(write=True) as uow:
        assert await uow.identities.get("telegram", 7_000_000_001) == ChatIdentity(
            "telegram", 7_000_000_001, buyer.id, "en")
        assert await uow.identities.get("web", 7_000_000_001) is None
        # saving the same (channel, id) again updates it: blocked bot, relinked user
        await uow.identities.save(ChatIdentity("telegram", 7_000_000_001, boss.id, "zh_Hans", active=False))
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.identities.get("telegram", 7_000_000_001) == ChatIdentity(
            "telegram", 7_000_000_001, boss.id, "zh_Hans", False)
        assert [i.channel for i in await uow.identities.for_user(buyer.id)] == ["web"]
        # the identity and its user in one read, as the chat resolves every sender
        assert await uow.identities.get_with_user("telegram", 7_000_000_001) == (
            ChatIdentity("telegram", 7_000_000_001, boss.id, "zh_Hans", False), boss)
        assert await uow.identities.get_with_user("web", 1) == (ChatIdentity("web", 1, buyer.id), buyer)
        assert await uow.identities.get_with_user("telegram", 7_000_000_003) is None
        assert len(await uow.identities.for_user(boss.id)) == 2
        # the user list's two reads: the telegram identity moved to boss and was deactivated
        assert await uow.identities.active_channels() == {buyer.id: {"web"}, boss.id: {"telegram"}}
    async with uow_factory(write=True) as uow:
        await uow.users.set_password_hash(boss.id, "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA")
        assert await uow.users.everyone() == sorted([(boss, True), (fixed, False), (buyer, False)],
                                                    key=lambda p: p[0].id)


async def test_chat_buttons_are_kept_taken_once_and_purged(uow_factory: UnitOfWorkFactory) -> None:
    confirm = StoredButton("tok-confirm", 7_000_000_001, "confirm", {"token": "abc", "n": 3, "first": True},
                           ("manager", "sales"), at(hours=0.5), single_use=True)
    menu = StoredButton("tok-menu", 42, "machine_menu", {}, (), at(hours=12))
    async with uow_factory(write=True) as uow:
        await uow.buttons.add([confirm, menu])
        await uow.buttons.add([StoredButton("never", 1, "x", {}, (), at(hours=1))])
        await uow.commit()
    async with uow_factory(write=True) as uow:
        await uow.buttons.add([StoredButton("rolled-back", 1, "x", {}, (), at(hours=1))])  # not committed: gone
    async with uow_factory() as uow:
        got = await uow.buttons.get("tok-confirm")
        assert got == confirm and is_aware_utc(got.expires)
        assert await uow.buttons.get("tok-menu") == menu
        assert await uow.buttons.get("rolled-back") is None and await uow.buttons.get("nope") is None
    async with uow_factory(write=True) as uow:
        assert await uow.buttons.take("tok-confirm") is True
        assert await uow.buttons.take("tok-confirm") is False  # the second click loses
        assert await uow.buttons.purge(at(hours=2)) == 1  # "never" expired; the menu has time left
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.buttons.get("tok-confirm") is None and await uow.buttons.get("never") is None
        assert await uow.buttons.get("tok-menu") == menu


async def test_chat_states_are_replaced_per_account_and_purged(uow_factory: UnitOfWorkFactory) -> None:
    rush = {"state": {"flow": "rush", "customer": "ACME"}, "until": {"$dt": at(hours=1).isoformat()}, "memory": {}}
    async with uow_factory(write=True) as uow:
        await uow.chatstate.put("telegram", 7_000_000_001, {"state": None, "memory": {"machine": "CNC-2"}}, at(days=1))
        await uow.chatstate.put("telegram", 7_000_000_001, rush, at(days=30))  # replaced
        await uow.chatstate.put("web", 7_000_000_001, {"memory": {}}, at(hours=1))  # another channel's account
        await uow.commit()
    async with uow_factory(write=True) as uow:
        await uow.chatstate.put("web", 9, {"memory": {}}, at(hours=1))  # not committed: gone
    async with uow_factory(write=True) as uow:
        assert await uow.chatstate.get("telegram", 7_000_000_001) == rush
        assert await uow.chatstate.get("web", 7_000_000_001) == {"memory": {}}
        assert await uow.chatstate.get("web", 9) is None
        assert await uow.chatstate.purge(at(days=2)) == 1
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.chatstate.get("web", 7_000_000_001) is None
        assert await uow.chatstate.get("telegram", 7_000_000_001) == rush


async def test_web_chat_keeps_the_newest_lines_of_each_user(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory(write=True) as uow:
        a = await uow.users.add(User(0, "chat.a", Role.CUSTOMER, customer="ACME"))
        b = await uow.users.add(User(0, "chat.b", Role.SALES))
        await uow.webchat.add([ChatLine(b.id, NOW, {"me": True, "html": "b0", "buttons": []})], keep=3)
        await uow.commit()
    for k in range(5):
        async with uow_factory(write=True) as uow:
            await uow.webchat.add([ChatLine(a.id, at(hours=k), {"me": True, "html": f"a{k}", "buttons": []}),
                                   ChatLine(a.id, at(hours=k), {"me": False, "html": f"reply {k}", "photo": None,
                                                                "buttons": [[{"label": "5", "data": "s:5"}]]})],
                                  keep=3)
            await uow.commit()
    async with uow_factory(write=True) as uow:
        await uow.webchat.add([ChatLine(a.id, NOW, {"me": True, "html": "never", "buttons": []})], keep=3)
        # not committed: gone
    async with uow_factory() as uow:
        mine = await uow.webchat.recent(a.id, 10)
        assert [line.entry["html"] for line in mine] == ["reply 3", "a4", "reply 4"]  # the newest 3, oldest first
        assert mine[-1].entry["buttons"] == [[{"label": "5", "data": "s:5"}]] and is_aware_utc(mine[-1].at)
        assert mine[-1].at == at(hours=4) and mine[0].id < mine[1].id < mine[2].id
        assert [line.entry["html"] for line in await uow.webchat.recent(a.id, 2)] == ["a4", "reply 4"]
        assert [line.entry["html"] for line in await uow.webchat.recent(b.id, 10)] == ["b0"]  # others untouched
        assert await uow.webchat.recent(b.id + a.id + 100, 10) == []


async def test_password_hashes_are_stored_per_user(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory(write=True) as uow:
        a = await uow.users.add(User(0, "pw.a", Role.SALES))
        b = await uow.users.add(User(0, "pw.b", Role.SALES))
        await uow.users.set_password_hash(a.id, "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA")
        await uow.commit()
    async with uow_factory(write=True) as uow:
        assert await uow.users.password_hash(a.id) == "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"
        assert await uow.users.password_hash(b.id) is None
        assert await uow.users.password_hash(999_999) is None
        await uow.users.set_password_hash(a.id, None)  # rolled back: no commit
    async with uow_factory() as uow:
        assert await uow.users.password_hash(a.id) is not None


async def test_a_link_code_is_redeemed_once_and_expires(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory(write=True) as uow:
        user = await uow.users.add(User(0, "buyer", Role.CUSTOMER, customer="ACME"))
        await uow.links.add(LinkCode("h1", user.id, at(hours=1)))
        await uow.links.add(LinkCode("h2", user.id, at(hours=1)))
        await uow.links.add(LinkCode("h3", user.id, at(hours=-1)))
        await uow.commit()
    async with uow_factory(write=True) as uow:
        got = await uow.links.redeem("h1", at(0.5))
        assert got == LinkCode("h1", user.id, at(hours=1), at(0.5))
        assert await uow.links.redeem("h1", at(0.5)) is None  # single use
        assert await uow.links.redeem("h2", at(1)) is None  # expires == now
        assert await uow.links.redeem("unknown", at(0)) is None
        assert await uow.links.expire(at(1)) == 2  # h2, h3: unused and expired; h1 was used
        assert await uow.links.redeem("h3", at(-2)) is None  # gone
        await uow.commit()


# -- feedback, audit, outbox ----------------------------------------------------------------


async def test_complaints_and_surveys(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory(write=True) as uow:
        c1 = await uow.feedback.add_complaint(Complaint(0, "ACME", "SO-1001", "late again", 3, NOW))
        c2 = await uow.feedback.add_complaint(Complaint(0, "ACME", None, "rude driver", 3, at(hours=2)))
        assert c1 != c2
        assert await uow.feedback.add_survey(Survey("SO-1001", "ACME", NOW))
        assert not await uow.feedback.add_survey(Survey("SO-1001", "ACME", at(hours=1)))  # one per order
        assert await uow.feedback.add_survey(Survey("SO-1002", "ACME", at(hours=3)))
        await uow.commit()
    async with uow_factory(write=True) as uow:
        assert [c.id for c in await uow.feedback.complaints()] == [c1, c2]
        assert await uow.feedback.complaints(since=at(hours=1)) == [
            Complaint(c2, "ACME", None, "rude driver", 3, at(hours=2))]
        with pytest.raises(ValueError):
            await uow.feedback.answer_survey("SO-1001", 6, None, at(hours=1))
        assert await uow.feedback.answer_survey("SO-1001", 5, "fast", at(hours=1))
        assert not await uow.feedback.answer_survey("SO-1001", 1, "changed my mind", at(hours=2))
        assert not await uow.feedback.answer_survey("SO-4040", 4, None, at(hours=2))
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.feedback.surveys() == [Survey("SO-1001", "ACME", NOW, 5, "fast", at(hours=1)),
                                                Survey("SO-1002", "ACME", at(hours=3))]
        assert [s.ref for s in await uow.feedback.surveys(since=at(hours=1))] == ["SO-1002"]


async def test_audit_is_listed_newest_first(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory(write=True) as uow:
        await uow.audit.add(AuditEntry(NOW, 1, "order.add", "SO-1001", None, {"qty": 10}))
        await uow.audit.add(AuditEntry(at(hours=1), 2, "order.due", "SO-1001", {"due": "a"}, {"due": "b"}))
        await uow.audit.add(AuditEntry(at(hours=2), 2, "order.add", "SO-1002"))
        await uow.commit()
    async with uow_factory() as uow:
        assert [e.action for e in await uow.audit.list(subject="SO-1001")] == ["order.due", "order.add"]
        entries = await uow.audit.list(limit=2)
        assert [e.subject for e in entries] == ["SO-1002", "SO-1001"]
        assert entries[1] == AuditEntry(at(hours=1), 2, "order.due", "SO-1001", {"due": "a"}, {"due": "b"})


async def test_audit_latest_gives_the_newest_entry_per_subject(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory(write=True) as uow:
        await uow.audit.add(AuditEntry(at(hours=1), 2, "b", "SO-1001"))
        await uow.audit.add(AuditEntry(NOW, 1, "a", "SO-1001"))  # older, written later
        await uow.audit.add(AuditEntry(at(hours=3), 3, "c", "SO-1002"))
        await uow.audit.add(AuditEntry(at(hours=3), 4, "d", "SO-1002"))  # same time: the later row
        await uow.audit.add(AuditEntry(at(hours=9), 5, "e", "SO-1003"))
        await uow.commit()
    async with uow_factory() as uow:
        latest = await uow.audit.latest(["SO-1001", "SO-1002", "SO-1009", "SO-1001"])
        assert {k: e.action for k, e in latest.items()} == {"SO-1001": "b", "SO-1002": "d"}
        assert await uow.audit.latest([]) == {}


async def test_outbox_ignores_duplicate_dedup_keys(uow_factory: UnitOfWorkFactory) -> None:
    def note(key: str, urgent: bool = False, hours: float = 0) -> Notification:
        return Notification(key, "telegram", "user:3", "delay", {"ref": "SO-1001", "days": 2}, at(hours), urgent)

    async with uow_factory(write=True) as uow:
        assert await uow.outbox.add(note("delay:SO-1001:3"))
        assert not await uow.outbox.add(note("delay:SO-1001:3", hours=1))
        assert await uow.outbox.add(note("summary:boss:2026-11-23", urgent=True, hours=2))
        await uow.commit()
    async with uow_factory(write=True) as uow:
        assert not await uow.outbox.add(note("delay:SO-1001:3"))  # also across transactions
        assert await uow.outbox.count() == 2
        pending = await uow.outbox.pending()
        assert [n.dedup_key for n in pending] == ["summary:boss:2026-11-23", "delay:SO-1001:3"]  # urgent first
        assert pending[1] == note("delay:SO-1001:3")
        assert len(await uow.outbox.pending(limit=1)) == 1
        many = [f"delay:SO-{k}:3" for k in range(1200)]  # more keys than one IN list holds
        assert await uow.outbox.existing([*many, "delay:SO-1001:3", "summary:boss:2026-11-23", "delay:SO-1001:3"]) == {
            "delay:SO-1001:3", "summary:boss:2026-11-23"}
        assert await uow.outbox.existing([]) == set()


async def test_naive_datetimes_are_refused(uow_factory: UnitOfWorkFactory) -> None:
    with pytest.raises(Exception, match="naive"):
        async with uow_factory(write=True) as uow:
            await uow.audit.add(AuditEntry(datetime(2026, 1, 1), 1, "x", "y"))


async def test_times_come_back_as_the_same_instants_in_utc(uow_factory: UnitOfWorkFactory) -> None:
    berlin = datetime(2026, 3, 29, 1, 59, 59, 123456, tzinfo=ZoneInfo("Europe/Berlin"))
    async with uow_factory(write=True) as uow:
        await uow.audit.add(AuditEntry(berlin, 1, "x", "y"))
        await uow.commit()
    async with uow_factory() as uow:
        (entry,) = await uow.audit.list()
    assert entry.at == berlin and entry.at.tzinfo is not None and entry.at.utcoffset() == timedelta(0)
    assert entry.at == berlin.astimezone(UTC)


# -- delivery state, inbox, job runs ---------------------------------------------------------


async def test_outbox_delivery_states(uow_factory: UnitOfWorkFactory) -> None:
    def note(key: str, urgent: bool = False) -> Notification:
        return Notification(key, "chat", "user:1", "delay", {"ref": key}, NOW, urgent)

    async with uow_factory(write=True) as uow:
        assert await uow.outbox.add(note("a"))
        assert await uow.outbox.add(note("b", urgent=True))
        assert await uow.outbox.add(note("later"), not_before=at(hours=8))  # quiet hours
        await uow.commit()
    async with uow_factory(write=True) as uow:
        due = await uow.outbox.due(at(hours=1))
        assert [x.notification.dedup_key for x in due] == ["b", "a"]
        assert all(x.status == "pending" and x.attempts == 0 for x in due)
        await uow.outbox.mark_sent("b", at(hours=1))
        await uow.outbox.mark_failed("a", "429 retry after 3", at(hours=2))
        await uow.commit()
    async with uow_factory(write=True) as uow:
        assert [x.notification.dedup_key for x in await uow.outbox.due(at(hours=1, days=0))] == []
        assert [x.notification.dedup_key for x in await uow.outbox.due(at(hours=9))] == ["a", "later"]
        a = await uow.outbox.get("a")
        assert a is not None and a.attempts == 1 and a.last_error == "429 retry after 3"
        await uow.outbox.defer("later", at(hours=12))  # quiet hours again: no attempt counted
        await uow.outbox.mark_failed("a", "400 chat not found", None)  # dead letter
        await uow.commit()
    async with uow_factory() as uow:
        assert (await uow.outbox.get("a")).status == "dead"  # type: ignore[union-attr]
        assert (await uow.outbox.get("b")).status == "sent"  # type: ignore[union-attr]
        assert await uow.outbox.count("pending") == 1 and await uow.outbox.count() == 3
        assert await uow.outbox.get("nope") is None
        later = await uow.outbox.get("later")
        assert later is not None and later.attempts == 0 and later.next_attempt == at(hours=12)


async def test_inbox_keeps_each_update_once(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory(write=True) as uow:
        assert await uow.inbox.add(7, {"update_id": 7, "message": {"text": "hi"}}, NOW)
        assert not await uow.inbox.add(7, {"update_id": 7}, NOW)  # redelivery
        assert await uow.inbox.add(3, {"update_id": 3}, at(hours=1))
        await uow.commit()
    async with uow_factory(write=True) as uow:
        assert [u for u, _ in await uow.inbox.unprocessed()] == [7, 3]  # arrival order
        assert await uow.inbox.mark_processed(7, at(hours=2))
        assert not await uow.inbox.mark_processed(7, at(hours=3))
        await uow.commit()
    async with uow_factory(write=True) as uow:
        assert [u for u, _ in await uow.inbox.unprocessed()] == [3]
        assert await uow.inbox.prune(at(hours=5)) == 1  # only processed rows go
        await uow.commit()
    async with uow_factory() as uow:
        assert [u for u, p in await uow.inbox.unprocessed()] == [3]


async def test_inbox_batches_store_each_update_once_and_mark_in_one_go(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory(write=True) as uow:
        assert await uow.inbox.add(5, {"update_id": 5}, NOW)
        await uow.commit()
    batch = [(8, {"update_id": 8, "n": 1}), (5, {"update_id": 5}), (9, {"update_id": 9}), (8, {"update_id": 8, "n": 2})]
    async with uow_factory(write=True) as uow:
        # new, stored before, new, and a second delivery of 8 in the same batch
        assert await uow.inbox.add_many(batch, at(hours=1)) == [True, False, True, False]
        assert await uow.inbox.add_many([], at(hours=1)) == []
        await uow.commit()
    async with uow_factory(write=True) as uow:
        pending = dict(await uow.inbox.unprocessed())
        assert sorted(pending) == [5, 8, 9] and pending[8] == {"update_id": 8, "n": 1}  # the first delivery kept
        assert await uow.inbox.mark_many([8, 9, 404], at(hours=2)) == 2
        assert await uow.inbox.mark_many([8, 5], at(hours=3)) == 1  # 8 was marked already
        assert await uow.inbox.mark_many([], at(hours=3)) == 0
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.inbox.unprocessed() == []


async def test_a_job_period_is_claimed_once(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory(write=True) as uow:
        assert await uow.jobs.claim("daily_summary", "2026-11-25", NOW)
        assert not await uow.jobs.claim("daily_summary", "2026-11-25", at(hours=1))
        assert await uow.jobs.claim("daily_summary", "2026-11-26", NOW)
        await uow.jobs.finish("daily_summary", "2026-11-25", at(hours=1))
        await uow.commit()
    async with uow_factory(write=True) as uow:
        assert not await uow.jobs.claim("daily_summary", "2026-11-25", at(hours=2))
        # a finished period is never taken over; an unfinished one only once it is stale
        assert not await uow.jobs.claim("daily_summary", "2026-11-25", at(hours=9), timedelta(minutes=15))
        assert not await uow.jobs.claim("daily_summary", "2026-11-26", at(hours=1 / 6), timedelta(minutes=15))
        assert await uow.jobs.claim("daily_summary", "2026-11-26", at(hours=1), timedelta(minutes=15))
        assert not await uow.jobs.claim("daily_summary", "2026-11-26", at(hours=1), timedelta(minutes=15))
        await uow.commit()
