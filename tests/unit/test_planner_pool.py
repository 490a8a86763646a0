"""Where planner calls run: worker processes in the server (the event loop's process keeps the
GIL for itself, P9), a thread elsewhere; a worker that dies costs a re-start, never an answer."""

from __future__ import annotations

import os

from scheduler_core.planning.pool import ProcessPlanner, ThreadPlanner
from scheduler_core.services.planning import PlanSettings, replan
from tests.builders import at, make_factory, make_order


def where(parent: int) -> tuple[bool, int]:
    """(ran in another process?, its niceness)."""
    return os.getpid() != parent, os.nice(0)


def dies_in_a_worker(parent: int) -> str:
    if os.getpid() != parent:
        os._exit(3)  # killed (out of memory, a native crash)
    return "answered in this process"


async def test_a_process_planner_plans_in_a_niced_worker_and_gives_the_same_plan() -> None:
    planner = ProcessPlanner(1, nice=5)
    try:
        planner.start()
        elsewhere, nice = await planner(where, os.getpid())
        assert elsewhere and nice >= os.nice(0) + 5
        factory = make_factory([make_order(f"SO-{i}", quantity=30 + 10 * i, due=at(hours=4 + i)) for i in range(6)])
        now = at()
        settings = PlanSettings(deadline=1.0, isolate=False)
        there = await planner(replan, factory, now, None, settings)
        here = await ThreadPlanner()(replan, factory, now, None, settings)
        assert there.schedule.ops  # a real plan came back through the pipe
        # the same work planned (the dispatching rules' look-ahead is time-budgeted, so the
        # sequences may differ between two runs)
        assert {(o.ref, o.step) for o in there.schedule.ops} == {(o.ref, o.step) for o in here.schedule.ops}
        assert {e.ref for e in there.etas} == {e.ref for e in here.etas}
    finally:
        planner.close()


async def test_a_dead_worker_is_replaced_and_the_call_still_answered() -> None:
    planner = ProcessPlanner(1)
    try:
        assert await planner(dies_in_a_worker, os.getpid()) == "answered in this process"
        elsewhere, _ = await planner(where, os.getpid())  # a fresh pool serves the next call
        assert elsewhere
    finally:
        planner.close()
