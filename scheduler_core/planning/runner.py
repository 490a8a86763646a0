"""Always answer within the deadline: heuristic first, CP-SAT in a child process, kill on overrun.

CP-SAT does not always respect its time limit, and a native crash must not take the server
down, so the model is solved in a separate process (``forkserver``: safe in a threaded,
asyncio process) which is killed when it overruns. The best heuristic plan is computed
first: it warm-starts CP-SAT (hints) and is the answer when CP-SAT fails or is late. Every
returned plan has passed :func:`validate.violations` (guarantee P6).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from typing import Any

from . import heuristic
from .evaluate import score
from .problem import Problem, Solution, SolveStatus
from .validate import violations

__all__ = ["MIN_SEARCH", "RunSettings", "SolverFn", "plan", "warm_up"]

log = logging.getLogger(__name__)

SolverFn = Callable[[Problem, float, int, int, Solution | None], Solution]
"""``(problem, time_limit, workers, seed, hint) -> Solution``; must be picklable (module level)."""

_KILL_GRACE = 0.5  # seconds past the deadline before the child is killed
MIN_SEARCH = 0.3
"""With less than this many seconds and plans from the caller, the best of those is the answer:
no dispatching, no solver (either would only overrun)."""
_OVERHEAD = 0.1  # seconds kept back for process start, pickling and validation
_CUT_GRACE = 0.5  # seconds past the deadline a dispatching rule may run before it is cut short


def cpsat_solver(problem: Problem, time_limit: float, workers: int, seed: int, hint: Solution | None) -> Solution:
    """The production solver (imported in the child only)."""
    from .cpsat import solve

    return solve(problem, time_limit=time_limit, workers=workers, seed=seed, hint=hint)


@dataclass(frozen=True, slots=True)
class RunSettings:
    """How hard to try. ``deadline`` is wall seconds for the whole call (P6: +1 s at most)."""

    deadline: float = 2.0
    workers: int = 1
    seed: int = 0
    heuristic_share: float = 0.15
    heuristic_cap: float = 1.0
    isolate: bool = True  # solve in a child process (False: in this process, for benchmarks)


_ctx: Any = None


def _context() -> Any:
    global _ctx
    if _ctx is None:
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["scheduler_core.planning.cpsat", "scheduler_core.planning.runner"])
        _ctx = ctx
    return _ctx


def warm_up() -> None:
    """Start the solver's fork server now, so that the first plan does not pay for it."""
    from multiprocessing import forkserver

    _context()
    with _main_not_reimported():
        forkserver.ensure_running()


def _child(conn: Connection, solver: SolverFn, problem: Problem, until: float, workers: int, seed: int,
           hint: Solution | None) -> None:
    # ``until`` is on the system-wide monotonic clock: the time this process took to start
    # (the fork server's first start imports OR-Tools) comes off the solver's budget
    limit = max(0.05, until - time.monotonic())
    try:
        conn.send(("ok", solver(problem, limit, workers, seed, hint)))
    except BaseException as exc:  # report, never hang the parent
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def plan(
    problem: Problem,
    settings: RunSettings = RunSettings(),
    *,
    candidates: tuple[Solution, ...] = (),
    solver: SolverFn = cpsat_solver,
) -> Solution:
    """Best plan found within ``settings.deadline`` seconds; never raises for solver trouble.

    Args:
        problem: what to plan.
        settings: deadline, workers, seed.
        candidates: plans the caller already has (e.g. a rush insertion's repair); the
            best valid one, or the heuristic's, is CP-SAT's hint and the fallback.
        solver: injectable for fault tests; must be a module-level function.
    """
    t0 = time.monotonic()
    if candidates and settings.deadline < MIN_SEARCH and (given := _valid_or_none(problem, candidates)):
        return replace(given, seconds=time.monotonic() - t0)
    budget = min(settings.deadline * settings.heuristic_share, settings.heuristic_cap)
    # the dispatching rules may not outlast the deadline either (their cost grows with the
    # queues): the first one may take half of P6's second past it, then the rest is placed
    # by operation due date
    until = time.perf_counter() + settings.deadline - _OVERHEAD + _CUT_GRACE - (time.monotonic() - t0)
    start = heuristic.best_plan(problem, budget, seed=settings.seed, until=until)
    fallback = _best_valid(problem, (*candidates, start))
    if not problem.jobs:
        return replace(fallback, seconds=time.monotonic() - t0)
    remaining = settings.deadline - (time.monotonic() - t0) - _OVERHEAD
    result: Solution | None = None
    if remaining > 0.05:
        if settings.isolate:
            result = _solve_isolated(problem, settings, remaining, fallback, solver, t0)
        else:
            try:
                result = solver(problem, remaining, settings.workers, settings.seed, fallback)
            except Exception:  # the in-process path is for benchmarks; still answer
                log.exception("solver failed")
    if result is not None and result.assignments and (bad := violations(problem, result, limit=1)):
        log.error("solver returned an invalid plan (%s); using the heuristic plan", bad[0])
        result = None
    chosen = fallback if result is None else _best_valid(problem, (result, fallback))
    if chosen is fallback and result is None:
        chosen = replace(fallback, status=SolveStatus.FALLBACK)
    return replace(chosen, seconds=time.monotonic() - t0)


_start_lock = threading.Lock()


@contextlib.contextmanager
def _main_not_reimported() -> Iterator[None]:
    """multiprocessing re-runs the parent's ``__main__`` in a forkserver child unless it has
    neither a module spec nor a file; for ``paichan`` that would re-run the command line.
    The child needs nothing from ``__main__`` (its target lives in this module)."""
    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    saved = {k: vars(main)[k] for k in ("__spec__", "__file__") if k in vars(main)}
    with _start_lock:
        try:
            main.__spec__ = None
            if "__file__" in vars(main):
                del main.__file__
            yield
        finally:
            for k, v in saved.items():
                setattr(main, k, v)


def _solve_isolated(problem: Problem, settings: RunSettings, limit: float, hint: Solution, solver: SolverFn,
                    t0: float) -> Solution | None:
    ctx = _context()
    parent, child = ctx.Pipe(duplex=False)
    until = time.monotonic() + limit
    proc = ctx.Process(
        target=_child, args=(child, solver, problem, until, settings.workers, settings.seed, hint), daemon=True
    )
    with _main_not_reimported():
        proc.start()
    child.close()
    hard_stop = t0 + settings.deadline + _KILL_GRACE
    try:
        if parent.poll(max(0.0, hard_stop - time.monotonic())):
            kind, payload = parent.recv()
            if kind == "ok":
                return payload  # type: ignore[no-any-return]
            log.warning("solver failed: %s", payload)
        else:
            log.warning("solver overran its deadline of %.1fs; killed, heuristic plan used", settings.deadline)
    except (EOFError, OSError) as exc:
        log.warning("solver process died: %s", exc)
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(timeout=0.5)
        parent.close()
    return None


def _best_valid(problem: Problem, plans: tuple[Solution, ...]) -> Solution:
    best = _valid_or_none(problem, plans)
    if best is None:
        # dispatching rules always produce a valid plan; reaching here is a bug
        raise RuntimeError("no valid plan among candidates")
    return best


def _valid_or_none(problem: Problem, plans: tuple[Solution, ...]) -> Solution | None:
    """The best of ``plans`` by the objective key that passes the validator (None: none does)."""
    best: Solution | None = None
    best_key: tuple[int, ...] | None = None
    for s in plans:
        if not s.assignments and problem.n_ops:
            continue
        found = violations(problem, s, limit=1)
        if found:
            log.debug("discarding invalid %s plan: %s", s.method, found[0])
            continue
        key = score(problem, s).key(problem.objective)
        if best_key is None or key < best_key:
            best, best_key = s, key
    return best
