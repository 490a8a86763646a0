"""A schedule's views per order and per machine (indexed on first use)."""

from scheduler_core.domain.schedule import PlannedOp, Schedule
from tests.builders import NOW, at


def op(ref: str, step: int, machine: str, start: float, end: float) -> PlannedOp:
    return PlannedOp(ref, step, f"s{step}", machine, at(start), at(end), 10, 10)


def test_views_per_order_and_machine_and_the_queue_ending_in_a_window():
    s = Schedule((op("B", 1, "M1", 3, 4), op("A", 0, "M1", 0, 1), op("B", 0, "M2", 0, 2),
                  op("C", 0, "M1", 1, 3)), NOW)
    assert [(o.ref, o.step) for o in s.for_order("B")] == [("B", 0), ("B", 1)]
    assert [o.ref for o in s.on_machine("M1")] == ["A", "C", "B"]
    assert s.eta("B") == at(4) and s.place("B", 1).machine == "M1" and s.place("B", 2) is None
    assert [o.ref for o in s.ending_between("M1", at(1), at(3))] == ["A", "C"]
    assert s.ending_between("M1", at(3.5), at(3.9)) == [] and s.ending_between("M9", at(0), at(9)) == []
    s.for_order("B").clear()  # a caller's copy: the index stays whole
    assert len(s.for_order("B")) == 2


def test_the_queue_of_an_invalid_plan_with_overlaps_is_still_found():
    # a long step overlaps a short one, so ends are not in start order
    s = Schedule((op("A", 0, "M1", 0, 5), op("B", 0, "M1", 1, 2), op("C", 0, "M1", 5, 6)), NOW)
    assert [o.ref for o in s.ending_between("M1", at(1), at(5))] == ["A", "B"]


def test_the_frozen_horizon_counts_working_time() -> None:
    """Four working hours from a Saturday evening reach into Monday: a step published for Monday
    08:30 stays where it is (the Gantt does not offer to move it)."""
    from datetime import datetime

    from scheduler_core.domain.calendar import TWO_SHIFTS
    from scheduler_core.services.planning import frozen_until
    from tests.builders import TZ, make_factory

    factory = make_factory(calendar=TWO_SHIFTS)
    saturday = datetime(2026, 11, 28, 21, 0, tzinfo=TZ)
    assert frozen_until(factory, saturday, 240) == datetime(2026, 11, 30, 9, 0, tzinfo=TZ)
    tuesday = datetime(2026, 12, 1, 10, 0, tzinfo=TZ)
    assert frozen_until(factory, tuesday, 240) == datetime(2026, 12, 1, 14, 0, tzinfo=TZ)
    assert frozen_until(factory, tuesday, 0) == tuesday
