"""Machine load is planned work against the machine's own working time, less its downtime."""

from __future__ import annotations

from datetime import timedelta

import pytest

from scheduler_core.domain.calendar import TWO_SHIFTS, Downtime
from scheduler_core.domain.model import Machine
from scheduler_core.domain.schedule import PlannedOp, Schedule
from scheduler_core.services.load import MachineTime, busiest_machine
from tests.builders import ALWAYS, NOW, TZ

CALENDARS = {"two-shifts": TWO_SHIFTS, "always": ALWAYS}
SHIFTS = Machine("SHIFT-1", "SHIFT-1", "A", calendar="two-shifts")  # 16 h a day, Monday to Saturday
ROUND = Machine("ROUND-1", "ROUND-1", "B", calendar="always")  # 24 h a day
SHOP = MachineTime((SHIFTS, ROUND), CALENDARS, (), TZ)


def _op(machine: str, start_h: float, hours: float, work_h: float | None = None) -> PlannedOp:
    start = NOW + timedelta(hours=start_h)
    return PlannedOp("SO-1", 1, "s", machine, start, start + timedelta(hours=hours), 10, round((work_h or hours) * 60))


def test_the_bottleneck_is_the_largest_share_of_working_time_not_the_most_work() -> None:
    # NOW is Monday 08:00: one day ahead the two-shift machine is open 16 h, the round-the-clock one 24 h
    ops = (_op("SHIFT-1", 0, 15), _op("ROUND-1", 0, 18))
    got = busiest_machine(Schedule(ops, NOW), NOW, timedelta(days=1), SHOP)
    assert got is not None and got[0] == "SHIFT-1"
    assert got[1] == pytest.approx(15 / 16)


def test_downtime_takes_working_time_away() -> None:
    ops = (_op("SHIFT-1", 0, 8), _op("ROUND-1", 0, 12))
    schedule = Schedule(ops, NOW)
    free = busiest_machine(schedule, NOW, timedelta(days=1), SHOP)
    assert free == ("ROUND-1", pytest.approx(0.5))  # a tie (8 of 16 h, 12 of 24 h): the first by name
    down = (Downtime("ROUND-1", NOW + timedelta(hours=12), NOW + timedelta(hours=20)),)  # 8 of its 24 h gone
    got = busiest_machine(schedule, NOW, timedelta(days=1), MachineTime((SHIFTS, ROUND), CALENDARS, down, TZ))
    assert got == ("ROUND-1", pytest.approx(12 / 16))


def test_work_outside_the_horizon_counts_by_its_part_inside_and_nothing_planned_is_none() -> None:
    # 10 h of work from 02:00 to 12:00 the next day on the round-the-clock machine: 6 h inside a day
    ops = (_op("ROUND-1", 18, 10),)
    got = busiest_machine(Schedule(ops, NOW), NOW, timedelta(days=1), SHOP)
    assert got == ("ROUND-1", pytest.approx(6 / 24))
    assert busiest_machine(Schedule((), NOW), NOW, timedelta(days=1), SHOP) is None


def test_a_stop_until_further_notice_takes_the_time_the_plan_assumed() -> None:
    # ROUND-1 stopped at NOW with no end: the plan made at NOW counts on it back 4 h later, so the
    # load counts 20 of its 24 h open (before, the whole horizon was taken: 12 h of work on no open
    # time read "full"); a plan made 2 h later assumes 4 h from then
    ops = (_op("SHIFT-1", 0, 8), _op("ROUND-1", 4, 12))
    down = (Downtime("ROUND-1", NOW, None),)
    shop = MachineTime((SHIFTS, ROUND), CALENDARS, down, TZ)
    assert busiest_machine(Schedule(ops, NOW), NOW, timedelta(days=1), shop) == ("ROUND-1", pytest.approx(12 / 20))
    later = NOW + timedelta(hours=2)
    assert busiest_machine(Schedule(ops, later), NOW, timedelta(days=1), shop) == ("ROUND-1", pytest.approx(12 / 18))
    longer = MachineTime((SHIFTS, ROUND), CALENDARS, down, TZ, open_for=timedelta(hours=8))
    assert busiest_machine(Schedule(ops, NOW), NOW, timedelta(days=1), longer) == ("ROUND-1", pytest.approx(12 / 16))


def test_among_machines_that_look_equally_full_the_longest_queue_is_the_bottleneck() -> None:
    # both round-the-clock machines are full for the day (one at 99.8 %, shown as 100 % too);
    # ROUND-2 has 10 h more planned after it, so its queue reaches furthest: before, the first
    # by name won, and a saturated shop named a machine nobody waits for
    round2 = Machine("ROUND-2", "ROUND-2", "B", calendar="always")
    shop = MachineTime((SHIFTS, ROUND, round2), CALENDARS, (), TZ)
    ops = (_op("ROUND-1", 0, 24), _op("ROUND-2", 0, 24, work_h=23.95), _op("ROUND-2", 24, 10))
    got = busiest_machine(Schedule(ops, NOW), NOW, timedelta(days=1), shop)
    assert got is not None and got[0] == "ROUND-2" and got[1] == pytest.approx(23.95 / 24)
    # a share that is clearly larger still wins over a longer queue
    ops = (_op("ROUND-1", 0, 24), _op("ROUND-2", 0, 20), _op("ROUND-2", 24, 100))
    assert busiest_machine(Schedule(ops, NOW), NOW, timedelta(days=1), shop) == ("ROUND-1", pytest.approx(1.0))
