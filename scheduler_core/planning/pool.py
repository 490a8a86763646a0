"""Where the planner's Python work runs: a thread of this process, or worker processes.

Building a problem, the dispatching rules, the rush insertion's repair, the impact comparison
and the late causes are pure Python: run in a thread of a server process they hold the GIL
for hundreds of milliseconds and the event loop (the webhook's acknowledgements, P9) waits
for them. :class:`ProcessPlanner` runs whole planner calls (``replan``, ``assess_change``,
``promise_date``) in worker processes started from a ``forkserver`` (safe in a threaded
asyncio process); a worker still solves CP-SAT in a child of its own with a hard deadline
(:mod:`.runner`), so P6 holds inside the worker too. :class:`ThreadPlanner` is for tests and
one-shot commands, where a second process only costs start-up time.

The function and its arguments must be picklable (module-level functions, frozen dataclasses).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing as mp
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol, TypeVar

from .runner import _main_not_reimported as main_not_reimported  # the runner's guard for process starts

__all__ = ["PlannerExecutor", "PlannerStopped", "ProcessPlanner", "ThreadPlanner"]

log = logging.getLogger(__name__)

T = TypeVar("T")
OWNER_CHECK_S = 2.0
"""How often a planner worker checks that the process that started it is still there."""
STOP_GRACE_S = 3.0
"""On close, how long a call still running may take to finish (a change assessment's 2 s)
before its worker is stopped (a long plan, such as the nightly one, is not waited for)."""

_PRELOAD = [
    "scheduler_core.planning.runner",
    "scheduler_core.planning.heuristic",
    "scheduler_core.services.changes",
    "scheduler_core.services.planning",
]


class PlannerExecutor(Protocol):
    """``await run(fn, *args, **kwargs)``: ``fn(*args, **kwargs)`` without blocking the event loop."""

    async def __call__(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T: ...

    def start(self) -> None: ...

    def close(self) -> None: ...


class ThreadPlanner:
    """Planner calls in a thread of this process (tests, one-shot commands)."""

    async def __call__(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        return await asyncio.to_thread(fn, *args, **kwargs)

    def start(self) -> None:
        return None

    def close(self) -> None:
        return None


def _worker_init(nice: int, owner: int) -> None:
    """Lower the worker's CPU priority (its solver children inherit it): on a small machine the
    server's event loop, which acknowledges updates, comes first (P9); planning takes what is
    left and still answers within its deadline (P6: the deadline is wall time). Then start the
    worker's own solver fork server, so its first plan does not pay for it, and watch the
    ``owner`` process: a worker whose owner was killed (no clean shutdown) exits too, instead
    of waiting for work forever."""
    from .runner import warm_up

    threading.Thread(target=_exit_with, args=(owner,), name="owner-watch", daemon=True).start()
    # Ctrl-C reaches the whole process group; the server owns the shutdown and closes this pool.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # the pool's close stops a busy worker with SIGTERM: unwind (the runner then kills its
    # solver process) instead of vanishing and leaving that process behind
    signal.signal(signal.SIGTERM, _stop)
    if nice > 0:
        with contextlib.suppress(OSError):
            os.nice(nice)
    try:
        warm_up()
    except Exception:  # the first plan starts it instead
        log.exception("solver warm-up failed in a planner worker")


class PlannerStopped(RuntimeError):
    """The planner was closed (the server is stopping) while this call was running."""


_busy = False  # in a worker: a call is running


def _call(fn: Callable[..., T], args: Any, kwargs: Any) -> T:
    global _busy
    _busy = True
    try:
        return fn(*args, **kwargs)
    finally:
        _busy = False


def _stop(signum: int, frame: Any) -> None:
    if not _busy:
        os._exit(0)
    raise PlannerStopped("the planner was closed while this call was running")


def _exit_with(owner: int, every: float = OWNER_CHECK_S) -> None:
    while True:
        time.sleep(every)
        try:
            os.kill(owner, 0)
        except ProcessLookupError:
            os._exit(0)
        except PermissionError:  # alive, someone else's (pid reused): keep going
            pass


def _ready() -> bool:
    return True


class ProcessPlanner:
    """Planner calls in ``workers`` worker processes (started on first use, kept for reuse).

    A worker that dies (killed, out of memory) breaks the pool: the pool is replaced and that
    call runs in a thread instead, so a caller always gets its plan (P6)."""

    def __init__(self, workers: int = 2, *, nice: int = 10) -> None:
        self.workers = max(1, workers)
        self.nice = nice
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                ctx = mp.get_context("forkserver")
                ctx.set_forkserver_preload(_PRELOAD)
                self._pool = ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_worker_init,
                                                 initargs=(self.nice, os.getpid()))
            return self._pool

    def _submit(self, pool: ProcessPoolExecutor, fn: Callable[..., T], args: Any, kwargs: Any) -> Future[T]:
        # starting a worker (and, the first time, the fork server, which imports the planner)
        # blocks for up to seconds: done in a thread, never on the event loop
        with main_not_reimported():
            return pool.submit(_call, fn, args, kwargs)

    def start(self) -> None:
        """Start every worker now (blocking; call it in a thread at server start-up)."""
        pool = self._executor()
        futures = [self._submit(pool, _ready, (), {}) for _ in range(self.workers)]
        for f in futures:
            f.result()

    async def __call__(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        pool = self._executor()
        try:
            future = await asyncio.to_thread(self._submit, pool, fn, args, kwargs)
            return await asyncio.wrap_future(future)
        except BrokenProcessPool:
            log.error("a planner worker died; replacing the pool and planning in a thread this time")
            with self._lock:
                if self._pool is pool:
                    self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)
            return await asyncio.to_thread(fn, *args, **kwargs)

    def close(self, grace: float = STOP_GRACE_S) -> None:
        """Stop the workers: calls not started are cancelled, a running one gets ``grace``
        seconds to finish, then its worker is stopped (its solver process with it)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is None:
            return
        # the executor's own list of worker processes (Python 3.14 has terminate_workers())
        workers = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        until = time.monotonic() + grace
        for proc in workers:
            proc.join(max(0.0, until - time.monotonic()))
        for proc in workers:
            if proc.is_alive():
                log.warning("a planner worker was still busy at shutdown; stopping it")
                proc.terminate()
        for proc in workers:
            proc.join(5.0)
            if proc.is_alive():
                proc.kill()
        pool.shutdown(wait=True)
