"""The impact report: who slips, by how much, what moved."""

from datetime import timedelta

from scheduler_core.domain.impact import compare_plans
from scheduler_core.domain.schedule import PlannedOp, Schedule
from tests.builders import NOW, at, make_order


def plan(*ops: tuple[str, int, str, float, float]) -> Schedule:
    return Schedule(tuple(PlannedOp(r, k, "s", m, at(a), at(b), 10, 60) for r, k, m, a, b in ops), NOW)


ORDERS = {o.ref: o for o in [make_order("A", due=at(3)), make_order("B", due=at(10), vip=True),
                             make_order("C", due=at(4)), make_order("R", due=at(2), rush=True)]}


def test_slips_are_reported_vip_first_with_newly_late_flag():
    old = plan(("A", 0, "M1", 0, 1), ("B", 0, "M1", 1, 2), ("C", 0, "M1", 2, 3))
    new = plan(("R", 0, "M1", 0, 1), ("A", 0, "M1", 1, 2), ("B", 0, "M1", 2, 3), ("C", 0, "M1", 4, 5))
    r = compare_plans(old, new, ORDERS, subject=frozenset({"R"}))
    assert [o.ref for o in r.delayed] == ["B", "C", "A"]  # VIP first, then by how much later
    assert [o.ref for o in r.newly_late] == ["C"]
    assert r.tardiness_added == timedelta(hours=1)
    assert [s.ref for s in r.subject] == ["R"] and r.subject[0].old_eta is None
    assert r.conflict_machine == "M1"
    assert r.moved_ops == 3 and r.resequenced_ops == 0  # everything shifted, nothing re-slotted


def test_resequencing_counts_the_fewest_operations_to_re_slot():
    old = plan(("A", 0, "M1", 0, 1), ("B", 0, "M1", 1, 2), ("C", 0, "M1", 2, 3))
    swapped = plan(("C", 0, "M1", 0, 1), ("A", 0, "M1", 1, 2), ("B", 0, "M1", 2, 3))
    assert compare_plans(old, swapped, ORDERS).resequenced_ops == 1
    other_machine = plan(("A", 0, "M2", 0, 1), ("B", 0, "M1", 1, 2), ("C", 0, "M1", 2, 3))
    r = compare_plans(old, other_machine, ORDERS)
    assert r.resequenced_ops == 1 and r.moved_ops == 1


def test_small_changes_are_noise():
    old = plan(("A", 0, "M1", 0, 1))
    new = plan(("A", 0, "M1", 0, 1 + 0.5 / 60))
    assert compare_plans(old, new, ORDERS).orders == ()
