"""Dispatching rules, insertion repair and local search for :class:`~.problem.Problem`.

Pure Python (numpy only for the one-machine special case). Every function here returns a
complete plan that satisfies :func:`.validate.violations`; they warm-start CP-SAT and are
the fallback when it fails.

Building blocks:

* a per-machine *timeline* of sorted, disjoint busy intervals (blocked windows, fixed work
  and everything placed so far); :func:`~.pauses.fit_start` finds with ``bisect`` the earliest start
  ``>= t`` of a gap long enough for a duration (insertion into idle gaps);
* :func:`_run_gt`, a Giffler–Thompson style list scheduler for the flexible job shop: the
  ready operation with the earliest possible completion ``C*`` (over its modes) fixes a
  machine ``m*``; every ready operation that could start on ``m*`` before ``C*`` competes,
  the dispatching rule picks one, which goes to its mode with the earliest completion;
* :func:`_decode`, a serial decoder of an operation-based priority list (a sequence of job
  numbers, the k-th occurrence of a job meaning its k-th free operation) with a machine
  per operation; the local search of :func:`improve` works on that representation.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
import time
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from typing import Literal

from scheduler_core.domain.calendar import merge_intervals

from .evaluate import score
from .heuristics.single_machine import ils_weighted_tardiness
from .pauses import Pauses, fit_start
from .problem import Assignment, Fixed, Problem, Solution, SolveStatus
from .validate import violations

__all__ = ["ATC_K", "ATC_K_MORE", "RULES", "Rule", "best_plan", "dispatch", "improve", "repair"]

Rule = Literal["fifo", "edd", "atc"]
"""Dispatching rule: first in first out, earliest due date, apparent tardiness cost."""

RULES: tuple[Rule, ...] = ("fifo", "edd", "atc")

ATC_K = 2.0
"""Look-ahead parameter k of the ATC rule (Vepsalainen & Morton 1987)."""

ATC_K_MORE: tuple[float, ...] = (1.0, 0.5, 1.5, 3.0)
"""Further look-ahead values :func:`best_plan` tries while its budget allows: the best k
depends on how tight the due dates are (tighter: smaller k), which a plan cannot know."""

_DUE_DATE_TRIES: tuple[tuple[str, float], ...] = (
    ("atc", 1.0), ("atc", ATC_K), ("atc", 0.5), ("atc", 1.5), ("edd", ATC_K), ("atc", 3.0), ("fifo", ATC_K))
"""The rules :func:`best_plan` tries for a due-date objective, in this order while its budget
allows: on a large shop only the first three or four fit. The rules that weigh the orders come
first (EDD and FIFO do not, and under weighted tardiness they win only when every rule is on
time and flow time decides), the look-ahead that wins most often with tight dates first."""

_NO_DUE = 1 << 60
_MIN_TIME = -(1 << 62)
Key = tuple[int, ...]


# --------------------------------------------------------------------------- data


class _Shop:
    """Flattened, precomputed view of a problem (operations numbered job by job)."""

    __slots__ = (
        "base_ready",
        "busy_e",
        "busy_s",
        "due",
        "dur_on",
        "fixed",
        "free_ops",
        "has_due",
        "log_wp",
        "min_dur",
        "modes",
        "n_jobs",
        "n_machines",
        "n_ops",
        "offset",
        "op_index",
        "op_job",
        "pauses",
        "pbar",
        "pred_free",
        "prev",
        "problem",
        "release",
        "rem_work",
        "weight",
    )

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        n_m = len(problem.machines)
        self.n_machines = n_m
        self.n_jobs = len(problem.jobs)
        self.offset: list[int] = []
        self.op_job: list[int] = []
        self.op_index: list[int] = []
        self.modes: list[tuple[tuple[int, int], ...]] = []
        self.dur_on: list[dict[int, int]] = []
        self.min_dur: list[int] = []
        self.fixed: list[Fixed | None] = []
        self.prev: list[tuple[int, int, int]] = []  # (op, machine, start) of free ops
        self.free_ops: list[list[int]] = []
        self.pred_free: list[int] = []
        self.base_ready: list[int] = []
        self.rem_work: list[int] = []
        self.release: list[int] = []
        self.due: list[int] = []
        self.has_due: list[bool] = []
        self.weight: list[int] = []
        intervals: list[list[tuple[int, int]]] = [list(problem.blocked[m]) for m in range(n_m)]
        for j, job in enumerate(problem.jobs):
            self.offset.append(len(self.op_job))
            self.release.append(job.release)
            self.has_due.append(job.due is not None)
            self.due.append(job.due if job.due is not None else _NO_DUE)
            self.weight.append(job.weight)
            floor = max(problem.now, job.release)
            free: list[int] = []
            for k, op in enumerate(job.ops):
                o = len(self.op_job)
                self.op_job.append(j)
                self.op_index.append(k)
                dur: dict[int, int] = {}
                for md in op.modes:  # the first mode of a machine is the valid one
                    dur.setdefault(md.machine, md.duration)
                self.dur_on.append(dur)
                self.modes.append(tuple(dur.items()))
                self.min_dur.append(min(dur.values()))
                self.fixed.append(op.fixed)
                if op.fixed is not None:
                    if op.fixed.end > op.fixed.start:
                        intervals[op.fixed.machine].append((op.fixed.start, op.fixed.end))
                else:
                    free.append(o)
                    if op.previous is not None:
                        self.prev.append((o, op.previous.machine, op.previous.start))
                ready = max(floor, op.earliest)
                pred = -1
                if k > 0:
                    before = job.ops[k - 1].fixed
                    if before is None:
                        pred = o - 1
                    else:
                        ready = max(ready, before.end)
                self.pred_free.append(pred)
                self.base_ready.append(ready)
            self.free_ops.append(free)
        self.offset.append(len(self.op_job))
        self.n_ops = len(self.op_job)
        self.rem_work = [0] * self.n_ops
        for j in range(self.n_jobs):
            acc = 0
            for o in reversed(self.free_ops[j]):
                acc += self.min_dur[o]
                self.rem_work[o] = acc
        free_durs = [self.min_dur[o] for fl in self.free_ops for o in fl]
        self.pbar = max(1.0, sum(free_durs) / len(free_durs)) if free_durs else 1.0
        self.log_wp = [
            math.log(max(self.weight[self.op_job[o]], 1e-9) / max(self.min_dur[o], 0.5))  # zero: benchmark files
            for o in range(self.n_ops)
        ]
        merged = [merge_intervals(intervals[m]) for m in range(n_m)]
        self.busy_s: list[list[int]] = [[a for a, _ in windows] for windows in merged]
        self.busy_e: list[list[int]] = [[b for _, b in windows] for windows in merged]
        # per machine its pauses, None for a machine without (the common case: plain arithmetic)
        self.pauses: list[Pauses | None] = [p or None for p in problem.machine_pauses()]

    def fit(self, st: list[int], en: list[int], m: int, t: int, d: int) -> tuple[int, int]:
        """(start, end) of the earliest placement from ``t`` of ``d`` working minutes on
        machine ``m``, between the busy intervals ``st`` / ``en``."""
        p = self.pauses[m]
        s = fit_start(st, en, t, d, p)
        return s, (s + d if p is None else p.end(s, d))


class _State:
    """A partial plan: machine timelines plus start/end/machine per operation."""

    __slots__ = ("end", "ends", "mach", "ptr", "start", "starts")

    def __init__(self, shop: _Shop) -> None:
        self.starts = [list(x) for x in shop.busy_s]
        self.ends = [list(x) for x in shop.busy_e]
        n = shop.n_ops
        self.start = [0] * n
        self.end = [0] * n
        self.mach = [-1] * n
        for o, f in enumerate(shop.fixed):
            if f is not None:
                self.start[o], self.end[o], self.mach[o] = f.start, f.end, f.machine
        self.ptr = [0] * shop.n_jobs  # next free operation (index into shop.free_ops[j])

    def ready(self, shop: _Shop, o: int) -> int:
        r = shop.base_ready[o]
        pf = shop.pred_free[o]
        if pf >= 0 and self.end[pf] > r:
            r = self.end[pf]
        return r

    def place(self, o: int, m: int, s: int, e: int) -> None:
        _occupy(self.starts[m], self.ends[m], s, e)
        self.start[o], self.end[o], self.mach[o] = s, e, m

    def best_mode(self, shop: _Shop, o: int, earliest: int) -> tuple[int, int, int]:
        """(machine, start, end) of the mode with the earliest completion."""
        best = (-1, 0, 0)
        for m, d in shop.modes[o]:
            s, e = shop.fit(self.starts[m], self.ends[m], m, earliest, d)
            if best[0] < 0 or e < best[2]:
                best = (m, s, e)
        return best


def _occupy(st: list[int], en: list[int], s: int, e: int) -> None:
    """Mark ``[s, e)`` busy (it must be free); touching intervals are merged.

    ``s == e`` (a zero-length operation) marks the point ``s``: an operation may start or
    end there but not run across it. A later ``[s, e)`` covers the points at ``s``; a point
    inside (or at the start of) a busy interval is covered already (two touching intervals
    around it were merged), so it adds nothing."""
    if s == e:
        j = bisect_right(st, s)
        if j > 0 and en[j - 1] > s:
            return
    i = bisect_left(st, s)
    while e > s and i < len(st) and st[i] == s == en[i]:
        del st[i]
        del en[i]
    join_prev = i > 0 and en[i - 1] == s
    join_next = i < len(st) and st[i] == e
    if join_prev and join_next:
        en[i - 1] = en[i]
        del st[i]
        del en[i]
    elif join_prev:
        en[i - 1] = e
    elif join_next:
        st[i] = s
    else:
        st.insert(i, s)
        en.insert(i, e)


def _solution(shop: _Shop, state: _State, method: str, stats: dict[str, float] | None = None) -> Solution:
    out = [
        Assignment(shop.op_job[o], shop.op_index[o], state.mach[o], state.start[o], state.end[o])
        for o in range(shop.n_ops)
    ]
    return Solution(tuple(out), SolveStatus.HEURISTIC, method=method, stats=stats or {})


def _key_of(shop: _Shop, start: list[int], end: list[int], mach: list[int]) -> Key:
    """Same value as ``score(problem, solution).key(problem.objective)``, from arrays."""
    wt = flow = 0
    off = shop.offset
    for j in range(shop.n_jobs):
        a, b = off[j], off[j + 1]
        if a == b:
            continue
        c = max(end[a:b])
        flow += c - shop.release[j]
        if shop.has_due[j] and c > shop.due[j]:
            wt += shop.weight[j] * (c - shop.due[j])
    objective = shop.problem.objective
    if objective == "makespan":
        return (max(end, default=0), flow)
    if objective == "weighted_tardiness":
        return (wt, flow)
    tol = shop.problem.move_tolerance
    moved = 0
    for o, pm, ps in shop.prev:
        if mach[o] != pm or abs(start[o] - ps) > tol:
            moved += 1
    return (wt, moved, flow)


# --------------------------------------------------------------------------- dispatching


def _run_gt(shop: _Shop, state: _State, rule: str, atc_k: float = ATC_K, until: float | None = None) -> bool:
    """Schedule every free operation not yet placed (``state.ptr`` onwards) by ``rule``
    (``atc_k``: the ATC look-ahead). Returns False when ``until`` (``time.perf_counter()``)
    passed first: the rest was then placed by :func:`_finish`, without the rule.

    Each job's current operation is waiting at every machine that can run it: ``fit_m[m][j]``
    is its earliest start there (the first gap long enough from its ready time) and
    ``dur_m[m][j]`` its duration. Placing an operation on ``m`` moves later the fit of the
    jobs whose fit it overlaps, to the first gap from its end that is long enough for each.
    """
    n_jobs = shop.n_jobs
    starts, ends = state.starts, state.ends
    free_ops, modes = shop.free_ops, shop.modes
    ptr = state.ptr
    fit_m: list[dict[int, int]] = [{} for _ in range(shop.n_machines)]  # machine -> job -> fit
    end_m: list[dict[int, int]] = [{} for _ in range(shop.n_machines)]  # machine -> job -> end from its fit
    dur_m: list[dict[int, int]] = [{} for _ in range(shop.n_machines)]  # machine -> job -> duration
    best_m = [0] * n_jobs
    best_e = [0] * n_jobs
    ver = [0] * n_jobs
    stale = [False] * n_jobs  # its best mode's fit got later: re-choose when it reaches the top
    heap: list[tuple[int, int, int]] = []
    # the rule's view of each job's current operation: a key to minimise (fifo, edd, mwkr),
    # or ATC's log(w/p) and slack time (due - remaining work), the priority being
    # log(w/p) - max(0, slack time - t) / (k p̄)
    rkey: list[tuple[int, ...]] = [()] * n_jobs
    atc_a = [0.0] * n_jobs
    atc_b = [0.0] * n_jobs
    release, due, has_due, rem, log_wp = shop.release, shop.due, shop.has_due, shop.rem_work, shop.log_wp

    pauses = shop.pauses
    waits: list[tuple[tuple[dict[int, int], int], ...]] = [()] * n_jobs  # (ends from fits, machine)

    def choose(j: int) -> None:
        bm, be = -1, 0
        for em, m in waits[j]:
            e = em[j]
            if bm < 0 or e < be:
                bm, be = m, e
        best_m[j], best_e[j] = bm, be
        ver[j] += 1
        heapq.heappush(heap, (be, j, ver[j]))

    def load(j: int) -> None:
        o = free_ops[j][ptr[j]]
        r = state.ready(shop, o)
        for m, d in modes[o]:
            pm = pauses[m]
            f = fit_m[m][j] = fit_start(starts[m], ends[m], r, d, pm)
            end_m[m][j] = f + d if pm is None else pm.end(f, d)
            dur_m[m][j] = d
        waits[j] = tuple((end_m[m], m) for m, _ in modes[o])
        if rule == "fifo":
            rkey[j] = (release[j], j)
        elif rule == "edd":
            rkey[j] = (due[j], release[j], j)
        elif rule == "mwkr":
            rkey[j] = (-rem[o], j)
        elif has_due[j]:
            atc_a[j], atc_b[j] = log_wp[o], due[j] - rem[o]
        else:
            atc_a[j], atc_b[j] = log_wp[o] - 1e15, -math.inf
        choose(j)

    for j in range(n_jobs):
        if ptr[j] < len(free_ops[j]):
            load(j)

    k_pbar = atc_k * shop.pbar
    while heap:
        if until is not None and time.perf_counter() > until:
            _finish(shop, state)
            return False
        cstar, j, v = heap[0]
        if v != ver[j]:
            heapq.heappop(heap)
            continue
        if stale[j]:  # its key is a lower bound (fits only get later): refresh, then compare again
            stale[j] = False
            choose(j)
            continue
        mstar = best_m[j]
        fs = fit_m[mstar]
        cands = [j2 for j2, f in fs.items() if f < cstar or j2 == j]  # j itself: a zero-length operation
        if len(cands) == 1:
            pick = cands[0]
        elif rule != "atc":
            pick = min(cands, key=rkey.__getitem__)
        else:  # atc: the largest priority, the smallest job number among equals
            t = min(map(fs.__getitem__, cands))
            best_val = -math.inf
            pick = cands[0]
            for x in cands:
                b = atc_b[x] - t
                val = atc_a[x] - b / k_pbar if b > 0 else atc_a[x]
                if val > best_val or (val == best_val and x < pick):
                    best_val, pick = val, x
        o = free_ops[pick][ptr[pick]]
        if stale[pick]:
            stale[pick] = False
            choose(pick)
        m = best_m[pick]
        e = best_e[pick]
        s = fit_m[m][pick]
        state.place(o, m, s, e)
        for mm, _ in modes[o]:
            del fit_m[mm][pick]
            del dur_m[mm][pick]
            del end_m[mm][pick]
        ver[pick] += 1
        ptr[pick] += 1
        # a waiting operation that [s, e) overlaps now fits at the first long enough gap
        # from e: from ``base`` when it fits before the next busy interval, else searched
        st_m, en_m = starts[m], ends[m]
        i = bisect_right(en_m, e)
        base = e
        if i < len(st_m) and st_m[i] <= e:
            base = en_m[i]
            i += 1
        gap = st_m[i] - base if i < len(st_m) else math.inf
        fm, dm, em = fit_m[m], dur_m[m], end_m[m]
        pm = pauses[m]
        if pm is None:
            for j2, f in fm.items():
                if f < e:
                    d2 = dm[j2]
                    if s < f + d2:
                        f = fm[j2] = base if d2 <= gap else fit_start(st_m, en_m, base, d2)
                        em[j2] = f + d2
                        if best_m[j2] == m:
                            stale[j2] = True
        else:
            nxt = st_m[i] if i < len(st_m) else math.inf  # the next busy interval after ``base``
            b0 = pm.start(base)
            for j2, f in fm.items():
                if f < e and s < em[j2]:
                    d2 = dm[j2]
                    e0 = pm.end(b0, d2)
                    if e0 <= nxt:
                        fm[j2], em[j2] = b0, e0
                    else:
                        f = fm[j2] = fit_start(st_m, en_m, base, d2, pm)
                        em[j2] = pm.end(f, d2)
                    if best_m[j2] == m:
                        stale[j2] = True
        if ptr[pick] < len(free_ops[pick]):
            load(pick)
    return True


def _finish(shop: _Shop, state: _State) -> None:
    """Place what is left in a bounded time: every remaining operation in order of its
    operation due date (the job's due date less the work after it; a job's operations come
    in routing order), each on the mode that completes it earliest, in the first gap long
    enough. A sort and a few gap searches per operation, where the rule's cost grows with the
    queues."""
    free_ops, ptr, due, rem, min_dur, job = shop.free_ops, state.ptr, shop.due, shop.rem_work, shop.min_dur, shop.op_job
    left = [o for j in range(shop.n_jobs) for o in free_ops[j][ptr[j]:]]
    left.sort(key=lambda o: (due[job[o]] - rem[o] + min_dur[o], o))
    for o in left:
        m, s, e = state.best_mode(shop, o, state.ready(shop, o))
        state.place(o, m, s, e)
    for j in range(shop.n_jobs):
        ptr[j] = len(free_ops[j])


def _dispatch(shop: _Shop, rule: str, atc_k: float = ATC_K, until: float | None = None) -> Solution:
    state = _State(shop)
    done = _run_gt(shop, state, rule, atc_k, until)
    method = rule if atc_k == ATC_K else f"{rule}(k={atc_k:g})"
    return _solution(shop, state, method if done else f"{method}, cut short")


def dispatch(problem: Problem, rule: Rule) -> Solution:
    """Plan with one dispatching rule (Giffler–Thompson style list scheduling).

    Each operation goes to the mode (machine) that completes it earliest, at the earliest
    gap of that machine that fits it after its release, ``problem.now``, its job
    predecessor, blocked windows and fixed work. Fixed operations are kept as given.

    Args:
        problem: the problem.
        rule: ``"fifo"`` (job release, then job number), ``"edd"`` (due date, jobs
            without one last) or ``"atc"`` (apparent tardiness cost with
            k = :data:`ATC_K`, weight over operation time, slack from the remaining work
            of the job, the decision time and the mean operation time).

    Returns:
        A valid plan with status ``HEURISTIC`` and ``method`` = the rule name.
    """
    t0 = time.perf_counter()
    sol = _dispatch(_Shop(problem), rule)
    return Solution(sol.assignments, sol.status, rule, seconds=time.perf_counter() - t0)


# --------------------------------------------------------------------------- repair


def repair(
    problem: Problem,
    order: Solution | None = None,
    priority_jobs: frozenset[int] = frozenset(),
    rule: Rule = "atc",
    *,
    pinned: Mapping[tuple[int, int], tuple[int, int]] | None = None,
) -> Solution:
    """Re-plan keeping the machine and sequence of ``order`` (insertion heuristic, 插单).

    1. Operations of ``priority_jobs`` (earliest due first) are placed first, each on its
       mode with the earliest completion: a rush job finishes as early as possible. An
       operation listed in ``pinned`` as ``(job, op) -> (machine, start)`` goes to that
       machine instead, at the earliest start from that time on (e.g. a rush job placed as
       late as its due date allows, to displace as little as possible).
    2. Every other free operation present in ``order`` (or, when ``order`` is None, having a
       ``previous`` place) keeps its machine if that mode still exists and is placed in
       increasing order of its old start, at its earliest feasible time after the previous
       such operation of its machine (gap insertion): the sequences are kept, operations are
       shifted only as needed.
       Because a small delay can push an operation over a blocked window and cascade, a
       second variant lets an operation fill an earlier idle gap of its machine (the old
       start order is then a priority, not a strict sequence). Each is built letting
       operations move earlier than their old start or never earlier; the best of the
       four plans by the objective is kept.
    3. Operations missing from the order (and the rest of their job) are dispatched by
       ``rule``.

    Args:
        problem: the problem.
        order: the plan whose sequence to keep.
        priority_jobs: job numbers to insert first.
        rule: dispatching rule for operations without a place in ``order``.

    Returns:
        A valid plan, status ``HEURISTIC``, method ``"repair"``.
    """
    t0 = time.perf_counter()
    shop = _Shop(problem)
    target: dict[int, tuple[int, int]] = {}
    if order is not None:
        for a in order.assignments:
            if 0 <= a.job < shop.n_jobs and 0 <= a.op < len(problem.jobs[a.job].ops):
                target[shop.offset[a.job] + a.op] = (a.machine, a.start)
    else:
        for o, pm, ps in shop.prev:
            target[o] = (pm, ps)
    prio = sorted((j for j in priority_jobs if 0 <= j < shop.n_jobs), key=lambda j: (shop.due[j], j))
    prio_set = set(prio)
    pins = {shop.offset[j] + k: at for (j, k), at in (pinned or {}).items() if 0 <= j < shop.n_jobs}
    best: tuple[Key, Solution] | None = None
    for anchored, strict in itertools.product((False, True), (True, False)):
        state = _State(shop)
        for j in prio:
            for o in shop.free_ops[j]:
                at = pins.get(o)
                if at is not None and at[0] in shop.dur_on[o]:
                    m, d = at[0], shop.dur_on[o][at[0]]
                    s, e = shop.fit(state.starts[m], state.ends[m], m, max(state.ready(shop, o), at[1]), d)
                else:
                    m, s, e = state.best_mode(shop, o, state.ready(shop, o))
                state.place(o, m, s, e)
            state.ptr[j] = len(shop.free_ops[j])
        heap: list[tuple[int, int, int, int]] = []

        def push(j: int, st: _State = state, hp: list[tuple[int, int, int, int]] = heap) -> None:
            if j in prio_set or st.ptr[j] >= len(shop.free_ops[j]):
                return
            o = shop.free_ops[j][st.ptr[j]]
            if o in target:
                heapq.heappush(hp, (target[o][1], j, shop.op_index[o], o))

        for j in range(shop.n_jobs):
            push(j)
        seq_end = [_MIN_TIME] * shop.n_machines
        while heap:
            old_start, j, _, o = heapq.heappop(heap)
            r = state.ready(shop, o)
            if anchored and old_start > r:
                r = old_start
            m = target[o][0]
            if m in shop.dur_on[o]:
                d = shop.dur_on[o][m]
                s, e = shop.fit(state.starts[m], state.ends[m], m, max(r, seq_end[m]) if strict else r, d)
            else:
                m, s, e = -1, 0, 0
                for m2, d2 in shop.modes[o]:
                    s2, e2 = shop.fit(state.starts[m2], state.ends[m2], m2, max(r, seq_end[m2]) if strict else r, d2)
                    if m < 0 or e2 < e:
                        m, s, e = m2, s2, e2
            state.place(o, m, s, e)
            seq_end[m] = max(seq_end[m], e)
            state.ptr[j] += 1
            push(j)
        _run_gt(shop, state, rule)
        key = _key_of(shop, state.start, state.end, state.mach)
        if best is None or key < best[0]:
            best = (key, _solution(shop, state, "repair"))
    assert best is not None
    sol = best[1]
    return Solution(sol.assignments, sol.status, "repair", seconds=time.perf_counter() - t0)


# --------------------------------------------------------------------------- local search


def _decode(
    shop: _Shop, seq: list[int], mach: list[int], dur: list[int]
) -> tuple[list[int], list[int], list[int]]:
    """Serial decoder: returns (start, end, op at each position of ``seq``)."""
    starts = [list(x) for x in shop.busy_s]
    ends = [list(x) for x in shop.busy_e]
    start = [0] * shop.n_ops
    end = [0] * shop.n_ops
    for o, f in enumerate(shop.fixed):
        if f is not None:
            start[o], end[o] = f.start, f.end
    ptr = [0] * shop.n_jobs
    free_ops, base_ready, pred_free = shop.free_ops, shop.base_ready, shop.pred_free
    op_at = [0] * len(seq)
    for i, j in enumerate(seq):
        o = free_ops[j][ptr[j]]
        ptr[j] += 1
        op_at[i] = o
        r = base_ready[o]
        pf = pred_free[o]
        if pf >= 0 and end[pf] > r:
            r = end[pf]
        m = mach[o]
        d = dur[o]
        st, en = starts[m], ends[m]
        s, e = shop.fit(st, en, m, r, d)
        _occupy(st, en, s, e)
        start[o] = s
        end[o] = e
    return start, end, op_at


def _single_machine(shop: _Shop) -> int | None:
    """The machine if the problem is 1 || Σ w_j T_j (see module docstring), else None."""
    p = shop.problem
    if p.objective == "makespan" or shop.prev or shop.n_jobs < 2:
        return None
    if any(len(job.ops) != 1 for job in p.jobs):
        return None
    machine = -1
    for o in range(shop.n_ops):
        if shop.fixed[o] is not None or len(shop.modes[o]) != 1:
            return None
        m = shop.modes[o][0][0]
        if machine not in (-1, m):
            return None
        machine = m
    if p.blocked[machine] or p.pauses[machine] or any(job.release > p.now or any(op.earliest > p.now for op in job.ops)
                                 for job in p.jobs):
        return None
    return machine


def _improve_single_machine(
    shop: _Shop, solution: Solution, machine: int, deadline: float, seed: int, max_iterations: int | None
) -> Solution:
    placed = solution.by_op()
    n = shop.n_jobs
    p = [shop.min_dur[j] for j in range(n)]
    w = [shop.weight[j] for j in range(n)]
    d = [shop.due[j] if shop.has_due[j] else _NO_DUE >> 8 for j in range(n)]
    now = shop.problem.now
    current = sorted(range(n), key=lambda j: (placed[(j, 0)].start if (j, 0) in placed else 0, j))
    edd = sorted(range(n), key=lambda j: (d[j], j))
    seq, _, rounds = ils_weighted_tardiness(p, w, d, now, [current, edd], deadline, seed, max_iterations)
    state = _State(shop)
    t = now
    for j in seq:
        state.place(j, machine, t, t + p[j])
        t += p[j]
    return _solution(shop, state, "ils-1m", {"iterations": float(rounds)})


def _critical_chain(
    shop: _Shop,
    o: int,
    start: list[int],
    end: list[int],
    mach: list[int],
    at_end: dict[tuple[int, int], int],
    rng: random.Random,
) -> list[int]:
    """Free operations on a chain of tight predecessors ending with ``o``."""
    chain: list[int] = []
    while True:
        chain.append(o)
        s = start[o]
        pf = shop.pred_free[o]
        job_tight = pf >= 0 and end[pf] == s
        mp = at_end.get((mach[o], s), -1)
        if job_tight and mp >= 0:
            o = pf if rng.random() < 0.5 else mp
        elif job_tight:
            o = pf
        elif mp >= 0:
            o = mp
        else:
            return chain


def _improve_general(
    shop: _Shop, solution: Solution, deadline: float, seed: int, max_iterations: int | None
) -> tuple[Key, Solution, int]:
    rng = random.Random(seed)
    placed = solution.by_op()
    free = [o for fl in shop.free_ops for o in fl]
    mach = [-1] * shop.n_ops
    for o in range(shop.n_ops):
        f = shop.fixed[o]
        if f is not None:
            mach[o] = f.machine
            continue
        a = placed.get((shop.op_job[o], shop.op_index[o]))
        mach[o] = a.machine if a is not None and a.machine in shop.dur_on[o] else shop.modes[o][0][0]

    def old_start(o: int) -> int:
        a = placed.get((shop.op_job[o], shop.op_index[o]))
        return a.start if a is not None else 1 << 62

    seq = [
        shop.op_job[o] for o in sorted(free, key=lambda o: (old_start(o), shop.op_job[o], shop.op_index[o]))
    ]
    dur = [shop.dur_on[o].get(mach[o], 0) for o in range(shop.n_ops)]
    start, end, op_at = _decode(shop, seq, mach, dur)
    cur_key = _key_of(shop, start, end, mach)
    best_key, best_seq, best_mach = cur_key, seq, mach
    history = [cur_key] * 40
    flexible = [o for o in free if len(shop.modes[o]) > 1]
    objective = shop.problem.objective
    n = len(seq)
    iterations = 0
    at_end: dict[tuple[int, int], int] = {}
    pos: list[int] = []
    stale = True
    patience = max(2000, 100 * n)  # moves without a new best before giving up (small shops)
    last_best = 0
    while n > 1 and time.perf_counter() < deadline:
        if max_iterations is not None and iterations >= max_iterations:
            break
        if iterations - last_best > patience:
            break
        iterations += 1
        if stale:
            at_end = {(mach[o], end[o]): o for o in free if end[o] > start[o]}  # a zero-length one is no link
            pos = [0] * shop.n_ops
            for i, o in enumerate(op_at):
                pos[o] = i
            stale = False
        # pick a critical operation
        if objective == "makespan":
            last = max(free, key=lambda o: (end[o], rng.random()))
        else:
            tardy = [
                j
                for j in range(shop.n_jobs)
                if shop.free_ops[j] and shop.has_due[j] and end[shop.free_ops[j][-1]] > shop.due[j]
            ]
            pool = (
                tardy if tardy and rng.random() < 0.8 else [j for j in range(shop.n_jobs) if shop.free_ops[j]]
            )
            last = shop.free_ops[rng.choice(pool)][-1]
        chain = _critical_chain(shop, last, start, end, mach, at_end, rng)
        o = rng.choice(chain)
        new_seq, new_mach = seq, mach
        r = rng.random()
        if r < 0.3 and len(shop.modes[o]) > 1:
            new_mach = mach.copy()
            new_mach[o] = rng.choice([m for m, _ in shop.modes[o] if m != mach[o]])
        elif r < 0.35 and shop.prev and rng.random() < 0.5:
            o2, pm, _ = rng.choice(shop.prev)
            if pm not in shop.dur_on[o2] or pm == mach[o2]:
                continue
            new_mach = mach.copy()
            new_mach[o2] = pm
        elif r < 0.45 and flexible:
            o2 = rng.choice(flexible)
            new_mach = mach.copy()
            new_mach[o2] = rng.choice([m for m, _ in shop.modes[o2] if m != mach[o2]])
        else:
            i = pos[o]
            mp = at_end.get((mach[o], start[o]), -1)
            if mp >= 0 and rng.random() < 0.6:
                target = pos[mp]
            elif rng.random() < 0.5:
                target = max(0, i - 1 - int(rng.expovariate(0.2)))
            else:
                target = rng.randrange(n)
            if target == i:
                continue
            new_seq = seq.copy()
            new_seq.insert(target, new_seq.pop(i))
        new_dur = dur if new_mach is mach else [shop.dur_on[x].get(new_mach[x], 0) for x in range(shop.n_ops)]
        n_start, n_end, n_op_at = _decode(shop, new_seq, new_mach, new_dur)
        key = _key_of(shop, n_start, n_end, new_mach)
        slot = iterations % len(history)
        if key <= cur_key or key <= history[slot]:
            seq, mach, dur = new_seq, new_mach, new_dur
            start, end, op_at, cur_key = n_start, n_end, n_op_at, key
            stale = True
            if key < best_key:
                best_key, best_seq, best_mach = key, seq, mach
                last_best = iterations
        if cur_key < history[slot]:
            history[slot] = cur_key
    best_dur = [shop.dur_on[o].get(best_mach[o], 0) for o in range(shop.n_ops)]
    start, end, _ = _decode(shop, best_seq, best_mach, best_dur)
    state = _State(shop)
    state.start, state.end, state.mach = start, end, best_mach
    return best_key, _solution(shop, state, "ls", {"iterations": float(iterations)}), iterations


def improve(
    problem: Problem,
    solution: Solution,
    time_limit: float,
    seed: int = 0,
    *,
    max_iterations: int | None = None,
) -> Solution:
    """Local search from ``solution``; never returns a worse plan.

    General case: late-acceptance hill climbing on an operation-based priority list plus
    a machine per operation, decoded by the serial gap-inserting decoder. Moves pick an
    operation on a tight chain (critical path for makespan, the chain of a tardy job
    otherwise) and reassign its machine or move it before its machine predecessor or to
    another position of the list; some moves reassign a random flexible operation or
    restore an operation's ``previous`` machine. One machine with one operation per job and
    weighted tardiness (no fixed work, no blocked window, all jobs released): iterated
    insertion local search, see :mod:`.heuristics.single_machine`.

    Args:
        problem: the problem.
        solution: starting plan (normally valid; an invalid one is replaced).
        time_limit: seconds of search.
        seed: random seed; with ``max_iterations`` the result is deterministic.
        max_iterations: optional cap on moves (perturbation rounds for one machine).

    Returns:
        The best plan found by ``score(...).key(problem.objective)``, at least as good
        as ``solution`` when that is valid.
    """
    t0 = time.perf_counter()
    deadline = t0 + max(0.0, time_limit)
    shop = _Shop(problem)
    objective = problem.objective
    base_ok = not violations(problem, solution, limit=1)
    base_key = score(problem, solution).key(objective) if base_ok else None
    machine = _single_machine(shop)
    if machine is not None:
        cand = _improve_single_machine(shop, solution, machine, deadline, seed, max_iterations)
    else:
        _, cand, _ = _improve_general(shop, solution, deadline, seed, max_iterations)
    cand_key = score(problem, cand).key(objective)
    out = solution if base_key is not None and base_key <= cand_key else cand
    return Solution(
        out.assignments,
        out.status,
        out.method if out is solution else f"{solution.method}+{cand.method}".lstrip("+"),
        lower_bound=out.lower_bound,
        seconds=solution.seconds + time.perf_counter() - t0,
        stats=dict(cand.stats),
    )


def best_plan(problem: Problem, time_limit: float, seed: int = 0, *, until: float | None = None) -> Solution:
    """Best of the dispatching rules, then :func:`improve` with the remaining time.

    For due-date objectives the rules are tried in the order of :data:`_DUE_DATE_TRIES`
    (ATC with several look-aheads, EDD, FIFO); for makespan FIFO, EDD, ATC and
    most-work-remaining. The first always runs; each further one only while the time spent
    plus the longest dispatch so far stays within ``time_limit`` (on a large shop one rule
    can take most of it). The result warm-starts CP-SAT and is the fallback plan when the
    solver fails.

    Args:
        problem: the problem.
        time_limit: total seconds (dispatching included).
        seed: random seed of the local search.
        until: a hard end (``time.perf_counter()``) for the first rule too: a dispatch
            still running then places the rest without the rule (see :func:`_finish`),
            so that a plan comes back in time on any size of shop.

    Returns:
        A valid plan with status ``HEURISTIC``.
    """
    t0 = time.perf_counter()
    shop = _Shop(problem)
    tries: list[tuple[str, float]]
    if problem.objective == "makespan":
        tries = [(rule, ATC_K) for rule in (*RULES, "mwkr")]
    else:
        tries = list(_DUE_DATE_TRIES)
    best: tuple[Key, Solution] | None = None
    longest = 0.0
    for rule, k in tries:
        t1 = time.perf_counter()
        if best is not None and t1 - t0 + longest > time_limit:
            break
        sol = _dispatch(shop, rule, k, until)
        key = score(problem, sol).key(problem.objective)
        longest = max(longest, time.perf_counter() - t1)
        if best is None or key < best[0]:
            best = (key, sol)
    assert best is not None
    remaining = time_limit - (time.perf_counter() - t0)
    if until is not None:
        remaining = min(remaining, until - time.perf_counter())
    out = best[1]
    if remaining > 0.005:
        out = improve(problem, out, remaining, seed)
    return Solution(
        out.assignments,
        SolveStatus.HEURISTIC,
        out.method,
        seconds=time.perf_counter() - t0,
        stats=dict(out.stats),
    )
