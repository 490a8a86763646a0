"""Where planner calls run: worker processes in the server (the event loop's process keeps the
GIL for itself, P9), a thread elsewhere; a worker that dies costs a re-start, never an answer."""

from __future__ import annotations

import asyncio
import functools
import os
import time
from pathlib import Path

import pytest

from scheduler_core.planning.pool import PlannerStopped, ProcessPlanner, ThreadPlanner
from scheduler_core.planning.runner import RunSettings, plan
from scheduler_core.services.planning import PlanSettings, replan
from tests.builders import at, make_factory, make_order


def where(parent: int) -> tuple[bool, int]:
    """(ran in another process?, its niceness)."""
    return os.getpid() != parent, os.nice(0)


def dies_in_a_worker(parent: int) -> str:
    if os.getpid() != parent:
        os._exit(3)  # killed (out of memory, a native crash)
    return "answered in this process"


def solve_forever(pidfile: str, problem, time_limit, workers, seed, hint):
    Path(pidfile).write_text(str(os.getpid()))
    time.sleep(3600)


def long_plan(pidfile: str) -> object:
    from tests.solver.test_runner import PROBLEM

    return plan(PROBLEM, RunSettings(deadline=120), solver=functools.partial(solve_forever, pidfile))


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")  # ended, not yet reaped by its new parent


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


async def test_closing_stops_a_long_plan_and_its_solver_process_instead_of_waiting_for_it(tmp_path) -> None:
    pidfile = tmp_path / "solver.pid"
    planner = ProcessPlanner(1)
    planner.start()
    call = asyncio.ensure_future(planner(long_plan, str(pidfile)))
    for _ in range(200):  # the worker has started its solver process
        if pidfile.exists() and pidfile.read_text():
            break
        await asyncio.sleep(0.05)
    solver_pid = int(pidfile.read_text())
    assert not gone(solver_pid)
    t0 = time.monotonic()
    await asyncio.to_thread(planner.close, 0.5)
    assert time.monotonic() - t0 < 4.0  # not the plan's 120 s
    for _ in range(50):
        if gone(solver_pid):
            break
        await asyncio.sleep(0.1)
    assert gone(solver_pid)
    with pytest.raises(PlannerStopped):  # the caller learns why there is no plan
        await call
