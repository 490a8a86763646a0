"""When a progress report says work was done out of its turn."""

from __future__ import annotations

from scheduler_core.domain.schedule import PlannedOp, Schedule
from scheduler_core.services.shopfloor import EARLY_START, early_start
from scheduler_core.services.views import EarlyStart, Recorded
from tests.builders import NOW, at


def _plan(*ops: tuple[str, int, str, float, float]) -> Schedule:
    return Schedule(tuple(PlannedOp(ref, k, f"step{k + 1}", m, at(a), at(b), 10, int((b - a) * 60))
                          for ref, k, m, a, b in ops), NOW)


def _rec(ref: str, step: int, good: int, done: int) -> Recorded:
    return Recorded(ref, step, f"step{step + 1}", "M1", good, done, 10, done >= 10)


PLAN = _plan(("SO-1", 0, "M1", 0, 5), ("SO-2", 0, "M1", 5, 9), ("SO-3", 0, "M2", 6, 8))


def test_work_on_a_step_with_other_work_to_come_first_on_its_machine_is_early() -> None:
    assert early_start(PLAN, _rec("SO-2", 0, 4, 4), NOW) == EarlyStart("SO-2", 0, at(5), "M1")
    assert early_start(PLAN, _rec("SO-1", 0, 4, 4), NOW) is None  # its turn now
    assert early_start(PLAN, _rec("SO-2", 0, 4, 4), at(5) - EARLY_START) is None  # within the hour
    assert early_start(None, _rec("SO-2", 0, 4, 4), NOW) is None  # no plan yet


def test_a_step_already_under_way_is_not_early_though_the_plan_resumes_it_later() -> None:
    # SO-2 had 3 units reported; the plan resumes it after the night, with SO-1 first on M1
    assert early_start(PLAN, _rec("SO-2", 0, 4, 7), NOW) is None


def test_a_step_with_nothing_before_it_on_its_machine_is_not_early() -> None:
    # SO-3 starts at 06:00 on M2 only because the machine is idle till then: nothing waits
    assert early_start(PLAN, _rec("SO-3", 0, 4, 4), NOW) is None
