"""Large-neighbourhood search on SMALL sub-models, for instances too large for the full model.

The full-model LNS of :mod:`.search` clones the whole model (every operation, every mode)
for each neighbourhood, so on a shop of a thousand operations each sub-solve spends its
time in presolve. Here each iteration builds a fresh model holding only the relaxed
operations (a few dozen):

* every other operation stays where the current plan has it and enters the model as a
  fixed interval on its machine (merged with blocked windows and fixed work, and only
  where a relaxed operation could run);
* a relaxed operation whose job predecessor (successor) is not relaxed gets that
  neighbour's current end (start) as a bound, so the rest of the plan stays valid;
* the sub-objective is the problem's objective restricted to what the window can change:
  weighted tardiness of the jobs whose last operation is relaxed, then (``factory``) moved
  operations among the relaxed ones, then the jobs' completions plus the relaxed
  operations' end times of the other jobs (weighted by the job's weight when it is late),
  so that capacity is freed early;
* an accepted sub-plan is followed by a left-shift compaction (every machine keeps its
  sequence and every operation its machine; operations are re-timed as early as possible,
  optionally never earlier than the tolerance of a published place they still hold), so
  freed time propagates to the rest of the plan; the plan is accepted when the full
  objective key is not worse.

Neighbourhoods: time windows (operations consecutive in start order, possibly of one
machine group, around the critical operations of late jobs), late-job-centric (the
operations of a few late jobs and those queued before them on their machines) and machine
pairs of a group in a time window. Late jobs are picked by weighted tardiness, less often
after neighbourhoods around them changed nothing (until their tardiness changes). Each kind
adapts its size to how fast its sub-problems solve. Sub-solves are limited in CP-SAT's
deterministic time, so one worker with a seed and an iteration cap repeats exactly.

With ``workers >= 2``, that many threads share the current plan (:class:`_Search`): each
builds and solves its own sub-models (CP-SAT releases the GIL while it solves) and brings the
result back under a lock; a result computed on an older plan is carried over to the current
one by the same re-timing, which follows job and machine sequences together.
"""

from __future__ import annotations

import os
import random
import threading
import time
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from ortools.sat.python import cp_model

from scheduler_core.domain.calendar import merge_intervals

from ..pauses import Pauses, fit_start
from ..problem import Assignment, Problem, Solution, SolveStatus
from .constraints import tie_pauses
from .search import LnsResult, quiet_solver
from .variables import paused_run, working_domain

__all__ = ["LOCAL_MIN_OPS", "compact", "local_lns"]

LOCAL_MIN_OPS = 300
"""From this many free operations on, :func:`~.api.solve` uses :func:`local_lns`."""

_NONE = -1
_MIN_TIME = -(1 << 62)
_SUB_DET_TIME = 0.0004  # deterministic-time budget per sub-solve
_SUB_WALL = 0.5  # wall-clock guard per sub-solve (seconds)
_MIN_SIZE, _MAX_SIZE, _START_SIZE = 8, 40, 12
_GROW = 1.15
_COOL = 0.7  # a late job's pick weight after a neighbourhood around it changed nothing
_COLDEST = 1 / 16
_PAUSED_BUDGET = 6  # times the budget of a sub-model with pause literals (larger, slower to search)

Key = tuple[int, ...]


# --------------------------------------------------------------------------- static data


class _Shop:
    """The problem flattened: operation ``o = offset[j] + k``."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.objective = problem.objective
        self.tol = problem.move_tolerance
        n_m = len(problem.machines)
        self.n_machines = n_m
        self.offset: list[int] = []
        self.job: list[int] = []
        self.modes: list[tuple[tuple[int, int], ...]] = []
        self.dur_on: list[dict[int, int]] = []
        self.fixed: list[bool] = []
        self.lo0: list[int] = []  # now, release, fixed predecessor's end
        self.pred: list[int] = []  # free job predecessor or -1
        self.succ: list[int] = []  # job successor (free) or -1
        self.prev: list[tuple[int, int] | None] = []
        self.deadline_of: list[int | None] = []  # hard bound on the end (last op of a job)
        busy: list[list[tuple[int, int]]] = [list(problem.blocked[m]) for m in range(n_m)]
        self.last: list[int] = []
        self.release: list[int] = []
        self.due: list[int | None] = []
        self.weight: list[int] = []
        for j, job in enumerate(problem.jobs):
            self.offset.append(len(self.job))
            self.release.append(job.release)
            self.due.append(job.due)
            self.weight.append(job.weight)
            floor = max(problem.now, job.release)
            for k, op in enumerate(job.ops):
                o = len(self.job)
                self.job.append(j)
                dur: dict[int, int] = {}
                for md in op.modes:
                    dur.setdefault(md.machine, md.duration)
                self.dur_on.append(dur)
                self.modes.append(tuple(dur.items()))
                self.fixed.append(op.fixed is not None)
                if op.fixed is not None and op.fixed.end > op.fixed.start:
                    busy[op.fixed.machine].append((op.fixed.start, op.fixed.end))
                lo = max(problem.now if k > 0 else floor, op.earliest)
                pred = -1
                if k > 0:
                    before = job.ops[k - 1].fixed
                    if before is None:
                        pred = o - 1
                    else:
                        lo = max(lo, before.end)
                self.lo0.append(lo)
                self.pred.append(pred)
                self.succ.append(o + 1 if k + 1 < len(job.ops) else -1)
                self.prev.append(
                    (op.previous.machine, op.previous.start)
                    if op.previous is not None and op.fixed is None
                    else None
                )
                self.deadline_of.append(job.deadline if k + 1 == len(job.ops) else None)
            self.last.append(len(self.job) - 1 if job.ops else -1)
        self.offset.append(len(self.job))
        self.n_ops = len(self.job)
        self.free = [o for o in range(self.n_ops) if not self.fixed[o]]
        self.has_prev = self.objective == "factory" and any(self.prev[o] is not None for o in self.free)
        merged = [merge_intervals(busy[m]) for m in range(n_m)]
        self.busy_s: list[list[int]] = [[a for a, _ in windows] for windows in merged]
        self.busy_e: list[list[int]] = [[b for _, b in windows] for windows in merged]
        self.pauses: list[Pauses | None] = [p or None for p in problem.machine_pauses()]
        # machine groups: machines linked by an operation that may run on either
        parent = list(range(n_m))

        def find(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for o in self.free:
            ms = [m for m, _ in self.modes[o]]
            for m in ms[1:]:
                parent[find(m)] = find(ms[0])
        self.group = [find(m) for m in range(n_m)]
        members: dict[int, list[int]] = {}
        for m in range(n_m):
            members.setdefault(self.group[m], []).append(m)
        self.members = members


@dataclass(slots=True)
class _Plan:
    """A complete plan as arrays (machine, start, end per operation)."""

    mach: list[int]
    start: list[int]
    end: list[int]

    def copy(self) -> _Plan:
        return _Plan(self.mach.copy(), self.start.copy(), self.end.copy())


def _plan_of(shop: _Shop, solution: Solution) -> _Plan:
    n = shop.n_ops
    plan = _Plan([0] * n, [0] * n, [0] * n)
    for a in solution.assignments:
        o = shop.offset[a.job] + a.op
        plan.mach[o], plan.start[o], plan.end[o] = a.machine, a.start, a.end
    return plan


def _solution_of(shop: _Shop, plan: _Plan, method: str) -> Solution:
    out = tuple(
        Assignment(shop.job[o], o - shop.offset[shop.job[o]], plan.mach[o], plan.start[o], plan.end[o])
        for o in range(shop.n_ops)
    )
    return Solution(out, SolveStatus.FEASIBLE, method)


def _kept(shop: _Shop, plan: _Plan, o: int) -> bool:
    p = shop.prev[o]
    return p is not None and plan.mach[o] == p[0] and abs(plan.start[o] - p[1]) <= shop.tol


def _key(shop: _Shop, plan: _Plan) -> Key:
    """``score(problem, solution).key(problem.objective)`` from the arrays."""
    wt = flow = 0
    off, end = shop.offset, plan.end
    for j in range(len(shop.release)):
        a, b = off[j], off[j + 1]
        if a == b:
            continue
        c = max(end[a:b])
        flow += c - shop.release[j]
        d = shop.due[j]
        if d is not None and c > d:
            wt += shop.weight[j] * (c - d)
    if shop.objective == "makespan":
        return (max(end, default=0), flow)
    if shop.objective == "weighted_tardiness":
        return (wt, flow)
    moved = sum(1 for o in shop.free if shop.prev[o] is not None and not _kept(shop, plan, o))
    return (wt, moved, flow)


def _compact(
    shop: _Shop, plan: _Plan, hold: bool, since: int | None = None, index: _Index | None = None
) -> _Plan | None:
    """Re-time: same machine and machine sequence per operation, each as early as possible.

    ``plan`` may break job precedences (an operation starting before its job predecessor
    ends): operations are re-timed in an order that respects both the job and the machine
    sequences, so such an operation is pushed right, with everything queued behind it.
    Returns None when the two orders contradict each other (a cycle), or when a job with a
    hard deadline would end after it. On a valid plan it never delays an operation. With
    ``hold``, an operation that holds its published place keeps it (it moves earlier only
    down to the tolerance). With ``since`` and the ``index`` of a valid plan that differs
    from ``plan`` only in operations starting at or after ``since`` (in both), only those
    are re-timed.
    """
    out = plan.copy()
    seq_end = [_MIN_TIME] * shop.n_machines
    if since is None or index is None:
        todo = shop.free
    else:
        todo = index.order[bisect_left(index.starts, since) :]
        for m in range(shop.n_machines):
            i = bisect_left(index.on_start[m], since)
            if i > 0:
                seq_end[m] = plan.end[index.on[m][i - 1]]
    start, end, mach = out.start, out.end, plan.mach
    pstart = plan.start
    # per machine, the operations to re-time in the plan's start order; an operation can go
    # once its machine predecessor and its job predecessor (if re-timed too) are done
    n_m = shop.n_machines
    seqs: list[list[int]] = [[] for _ in range(n_m)]
    for o in sorted(todo, key=lambda o: (pstart[o], plan.end[o], o)):  # a zero-length one first
        seqs[mach[o]].append(o)
    pending = dict.fromkeys(todo, True)
    nxt = [0] * n_m
    lo0, pred, busy_s, busy_e, dur_on, prev = shop.lo0, shop.pred, shop.busy_s, shop.busy_e, shop.dur_on, shop.prev
    pauses = shop.pauses
    waiting: dict[int, int] = {}  # job predecessor -> the machine head waiting for it
    stack = [m for m in range(n_m) if seqs[m]]
    done = 0
    while stack:
        m = stack.pop()
        seq = seqs[m]
        i = nxt[m]
        while i < len(seq):
            o = seq[i]
            p = pred[o]
            if p >= 0 and pending.get(p, False):
                waiting[p] = m
                break
            r = lo0[o]
            if p >= 0 and end[p] > r:
                r = end[p]
            if seq_end[m] > r:
                r = seq_end[m]
            if hold and prev[o] is not None and _kept(shop, plan, o):
                r = max(r, prev[o][1] - shop.tol)  # type: ignore[index]
            d = dur_on[o][m]
            pm = pauses[m]
            s = fit_start(busy_s[m], busy_e[m], r, d, pm)
            start[o], end[o] = s, (s + d if pm is None else pm.end(s, d))
            seq_end[m] = end[o]
            pending[o] = False
            done += 1
            i += 1
            w = waiting.pop(o, None)
            if w is not None:
                stack.append(w)
        nxt[m] = i
    if done < len(pending):
        return None  # job and machine sequences contradict each other
    for o in todo:
        dl = shop.deadline_of[o]
        if dl is not None and end[o] > dl:
            return None
    return out


def compact(problem: Problem, solution: Solution, *, hold: bool = True) -> Solution | None:
    """Re-time a complete plan keeping every machine and machine sequence (see
    :func:`_compact`): each operation as early as its job and machine predecessors allow.

    On a valid plan the result is never worse on any objective component (with ``hold``,
    moved operations included). A plan that breaks job precedences is repaired by pushing
    operations right; None when its machine sequences contradict its job sequences or a
    job would end after its hard deadline.
    """
    shop = _Shop(problem)
    plan = _compact(shop, _plan_of(shop, solution), hold)
    if plan is None:
        return None
    return Solution(_solution_of(shop, plan, solution.method).assignments, solution.status, solution.method)


# --------------------------------------------------------------------------- neighbourhoods


class _Index:
    """Where things are in the current plan: free operations in start order, per machine."""

    def __init__(self, shop: _Shop, plan: _Plan) -> None:
        # (start, machine, end): on one machine a zero-length operation before one starting with it
        self.order = sorted(shop.free, key=lambda o: (plan.start[o], plan.mach[o], plan.end[o], o))
        self.starts = [plan.start[o] for o in self.order]
        self.pos = {o: i for i, o in enumerate(self.order)}
        self.on: list[list[int]] = [[] for _ in range(shop.n_machines)]
        for o in self.order:
            self.on[plan.mach[o]].append(o)
        self.on_start = [[plan.start[o] for o in lst] for lst in self.on]
        self.late: list[tuple[int, int]] = []  # (job, weight * tardiness)
        for j, last in enumerate(shop.last):
            d = shop.due[j]
            if last >= 0 and d is not None and not shop.fixed[last] and plan.end[last] > d:
                self.late.append((j, shop.weight[j] * (plan.end[last] - d)))


class _Picker:
    """Chooses the late jobs neighbourhoods are centred on, in proportion to their weighted
    tardiness times a "cold" factor: a job whose neighbourhoods gave nothing lately is picked
    less often (x :data:`_COOL` per fruitless try, down to :data:`_COLDEST`) until its
    tardiness changes. Remembers what it picked for the current neighbourhood."""

    def __init__(self, cold: dict[int, float]) -> None:
        self.cold = cold  # shared by the search threads (changed under the search lock)
        self.picked: list[int] = []

    def late_job(self, index: _Index, rng: random.Random) -> int | None:
        if not index.late:
            return None
        cold = self.cold
        total = sum(w * cold.get(j, 1.0) for j, w in index.late)
        x = rng.random() * total
        pick = index.late[-1][0]
        for j, w in index.late:
            x -= w * cold.get(j, 1.0)
            if x <= 0:
                pick = j
                break
        self.picked.append(pick)
        return pick


def _anchor(shop: _Shop, plan: _Plan, index: _Index, rng: random.Random, pick: _Picker) -> int:
    """An operation to centre a neighbourhood on: mostly one of a late job's operations."""
    j = pick.late_job(index, rng) if rng.random() < 0.8 else None
    if j is not None:
        ops = [o for o in range(shop.offset[j], shop.offset[j + 1]) if not shop.fixed[o]]
        if ops:
            return rng.choice(ops)
    return rng.choice(index.order)


def _window(
    shop: _Shop, plan: _Plan, index: _Index, size: int, rng: random.Random, pick: _Picker, grouped: bool
) -> list[int]:
    a = _anchor(shop, plan, index, rng, pick)
    order = index.order
    if grouped:
        g = shop.group[plan.mach[a]]
        order = [o for m in shop.members[g] for o in index.on[m]]
        order.sort(key=lambda o: (plan.start[o], o))
    i = order.index(a) if grouped else index.pos[a]
    before = int(size * rng.uniform(0.5, 0.9))  # mostly what sits before the anchor
    lo = max(0, min(i - before, len(order) - size))
    return order[lo : lo + size]


def _late_jobs(shop: _Shop, plan: _Plan, index: _Index, size: int, rng: random.Random, pick: _Picker) -> list[int]:
    chosen: dict[int, None] = {}
    for _ in range(3):
        j = pick.late_job(index, rng)
        if j is None:
            break
        for o in range(shop.offset[j], shop.offset[j + 1]):
            if not shop.fixed[o]:
                chosen[o] = None
        if len(chosen) * 3 >= size:
            break
    if not chosen:
        return _window(shop, plan, index, size, rng, pick, False)
    job_ops = list(chosen)
    per = max(1, (size - len(job_ops)) // max(1, len(job_ops)))
    for o in job_ops:  # operations queued before it on its machine (and its group)
        ms = [plan.mach[o]] if rng.random() < 0.5 else shop.members[shop.group[plan.mach[o]]]
        for m in ms:
            lst = index.on[m]
            i = bisect_left(index.on_start[m], plan.start[o])
            take = per if m == plan.mach[o] else max(1, per // len(ms))
            for o2 in lst[max(0, i - take) : i]:
                chosen[o2] = None
    return list(chosen)[: max(size, len(job_ops))]


def _machine_pair(shop: _Shop, plan: _Plan, index: _Index, size: int, rng: random.Random, pick: _Picker) -> list[int]:
    a = _anchor(shop, plan, index, rng, pick)
    m1 = plan.mach[a]
    others = [m for m in shop.members[shop.group[m1]] if m != m1]
    ms = [m1, rng.choice(others)] if others else [m1]
    t = plan.start[a]
    out: list[int] = []
    half = max(1, size // (2 * len(ms)))
    for m in ms:
        i = bisect_left(index.on_start[m], t)
        out.extend(index.on[m][max(0, i - 2 * half + half // 2) : i + half // 2 + 1])
    return out


# --------------------------------------------------------------------------- sub-model


class _SubModel(cp_model.CpModel):
    """A CpModel without the deprecated camelCase aliases OR-Tools attaches to every new model
    (about 0.8 ms each: a sixth of the Python time of a sub-model; only snake_case is used here)."""

    def _add_pre_pep8_methods(self) -> None:
        return None


@dataclass(slots=True)
class _SubVars:
    ops: list[int]
    start: dict[int, cp_model.IntVar]
    on: dict[int, list[tuple[int, int, cp_model.IntVar | None]]]  # (machine, duration, literal)
    marks: int = 0  # pause literals (see :func:`_paused_modes`): the model is that much larger


def _sub_model(
    shop: _Shop, plan: _Plan, index: _Index, relaxed: list[int]
) -> tuple[cp_model.CpModel, _SubVars, int] | None:
    """The model of the relaxed operations with everything else fixed; None if trivial.

    Returns the model, its variables and the current plan's sub-objective value.
    """
    rset = set(relaxed)
    model = _SubModel()
    lo_of: dict[int, int] = {}
    hi_of: dict[int, int] = {}
    max_d = max(max(d for _, d in shop.modes[o]) for o in relaxed)
    window_start = min(plan.start[o] for o in relaxed)
    horizon = max(plan.end[o] for o in relaxed) + max_d
    pauses = shop.pauses
    horizon += max((pz.paused(window_start, horizon) for o in relaxed for m, _ in shop.modes[o]
                    if (pz := pauses[m]) is not None), default=0)
    load: dict[int, int] = {}
    for o in relaxed:
        load[plan.mach[o]] = load.get(plan.mach[o], 0) + plan.end[o] - plan.start[o]
    for o in relaxed:
        reach = load[plan.mach[o]] + max_d  # how far it can travel: past the relaxed work around it
        lo = max(shop.lo0[o], window_start, plan.start[o] - reach)
        p = shop.pred[o]
        if p >= 0 and p not in rset and plan.end[p] > lo:
            lo = plan.end[p]
        hi = min(horizon, plan.end[o] + reach)
        s = shop.succ[o]
        if s >= 0 and s not in rset:
            hi = min(hi, plan.start[s])
        dl = shop.deadline_of[o]
        if dl is not None:
            hi = min(hi, dl)
        lo_of[o], hi_of[o] = lo, max(hi, plan.end[o])
    low = min(lo_of.values())
    span: dict[int, tuple[int, int]] = {}  # per machine: where relaxed operations may run
    for o in relaxed:
        for m, _ in shop.modes[o]:
            a, b = span.get(m, (lo_of[o], hi_of[o]))
            span[m] = (min(a, lo_of[o]), max(b, hi_of[o]))
    starts: dict[int, cp_model.IntVar] = {}
    ends: dict[int, cp_model.LinearExprT] = {}
    on: dict[int, list[tuple[int, int, cp_model.IntVar | None]]] = {}
    per_machine: dict[int, list[cp_model.IntervalVar]] = {}
    hint_vals: list[tuple[cp_model.IntVar, int]] = []
    late_mode: list[int] = []  # operations whose modes differ in duration
    marks = 0
    for o in relaxed:
        lo, hi = lo_of[o], hi_of[o]
        modes = [(m, d) for m, d in shop.modes[o] if _end_of(pauses[m], lo, d) <= hi]
        dmin = min(d for _, d in modes)
        same = {pz.windows if (pz := pauses[m]) is not None else () for m, _ in modes}
        first = pauses[modes[0][0]]
        if len(same) == 1 and first is not None:  # its machines share their pauses: never starts in one
            start = model.new_int_var_from_domain(working_domain(first.within(lo, hi), lo, hi - dmin, 0), "")
        else:
            start = model.new_int_var(lo, hi - dmin, "")
        starts[o] = start
        hint_vals.append((start, plan.start[o]))
        lits: list[tuple[int, int, cp_model.IntVar | None]] = []
        if any((pz := pauses[m]) is not None and pz.within(lo, hi) for m, _ in modes):
            ends[o], n = _paused_modes(model, o, start, modes, lo, hi, pauses, plan, lits, per_machine, hint_vals)
            marks += n
        elif len(modes) == 1:
            m, d = modes[0]
            per_machine.setdefault(m, []).append(model.new_fixed_size_interval_var(start, d, ""))
            lits.append((m, d, None))
            ends[o] = start + d
        else:
            for m, d in modes:
                lit = model.new_bool_var("")
                hint_vals.append((lit, int(plan.mach[o] == m)))
                per_machine.setdefault(m, []).append(
                    model.new_optional_fixed_size_interval_var(start, d, lit, "")
                )
                lits.append((m, d, lit))
            model.add_exactly_one(lit for _, _, lit in lits if lit is not None)
            durs = {d for _, d, _ in lits}
            if len(durs) == 1:
                ends[o] = start + durs.pop()
            else:
                chosen = [lit for _, _, lit in lits if lit is not None]
                ends[o] = start + cp_model.LinearExpr.weighted_sum(chosen, [d for _, d, _ in lits])
                late_mode.append(o)
        on[o] = lits
    for o in relaxed:
        p = shop.pred[o]
        if p in rset:
            model.add(ends[p] <= starts[o])
    for o in late_mode:  # the start's domain alone allows the longest mode past the bound
        model.add(ends[o] <= hi_of[o])
    # everything else on the machines the relaxed operations may use: fixed intervals
    for m, intervals in per_machine.items():
        busy: list[tuple[int, int]] = []
        m_lo, m_hi = span[m]
        st, en = shop.busy_s[m], shop.busy_e[m]
        for i in range(bisect_right(en, m_lo), bisect_left(st, m_hi)):
            busy.append((st[i], en[i]))
        lst, lst_s = index.on[m], index.on_start[m]
        for i in range(max(0, bisect_left(lst_s, m_lo) - 1), bisect_left(lst_s, m_hi)):
            o2 = lst[i]
            if o2 not in rset and plan.end[o2] > m_lo:
                busy.append((plan.start[o2], plan.end[o2]))
        busy.sort()
        merged: list[list[int]] = []
        for s, e in busy:
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        for s, e in merged:
            intervals.append(model.new_fixed_size_interval_var(s, e - s, ""))
        if len(intervals) > 1:
            model.add_no_overlap(intervals)

    # objective: (weighted tardiness, moved, weighted ends) restricted to the window
    wt_terms: list[cp_model.LinearExprT] = []
    cur_wt = 0
    sec_terms: list[cp_model.LinearExprT] = []
    sec_range = 0
    cur_sec = 0
    late_jobs = {j for j, _ in index.late}
    last_relaxed: dict[int, int] = {}
    for o in relaxed:
        j = shop.job[o]
        if o > last_relaxed.get(j, -1):
            last_relaxed[j] = o
    for j, o in last_relaxed.items():
        due = shop.due[j]
        if due is None:
            continue
        # the job's completion, estimated as if the rest of the job shifted rigidly with o
        q = plan.end[shop.last[j]] - plan.end[o]
        if hi_of[o] + q <= due:
            continue
        w = shop.weight[j]
        t = model.new_int_var(0, hi_of[o] + q - due, "")
        model.add(t >= ends[o] + (q - due))
        wt_terms.append(w * t)
        cur_wt += w * max(0, plan.end[o] + q - due)
        hint_vals.append((t, max(0, plan.end[o] + q - due)))
    for o in relaxed:
        j = shop.job[o]
        coef = 1 if shop.last[j] == o or j not in late_jobs else shop.weight[j]
        sec_terms.append(coef * (ends[o] - low))
        sec_range += coef * (hi_of[o] - low)
        cur_sec += coef * (plan.end[o] - low)
    moved_terms: list[cp_model.LinearExprT] = []
    n_moved = 0
    cur_moved = 0
    if shop.objective == "factory":
        for o in relaxed:
            prev = shop.prev[o]
            if prev is None:
                continue
            n_moved += 1
            cur_moved += 0 if _kept(shop, plan, o) else 1
            pm, ps = prev
            mode = next((x for x in on[o] if x[0] == pm), None)
            if mode is None or ps - shop.tol > hi_of[o] or ps + shop.tol < lo_of[o]:
                moved_terms.append(1)  # its published place is out of reach here
                continue
            kept = model.new_bool_var("")
            if mode[2] is not None:
                model.add_implication(kept, mode[2])
            model.add(starts[o] >= ps - shop.tol).only_enforce_if(kept)
            model.add(starts[o] <= ps + shop.tol).only_enforce_if(kept)
            hint_vals.append((kept, int(_kept(shop, plan, o))))
            moved_terms.append(1 - kept)
    s_scale = sec_range + 1
    m_scale = (n_moved + 1) * s_scale
    total = cp_model.LinearExpr.sum
    objective = total(wt_terms) * m_scale + total(moved_terms) * s_scale + total(sec_terms)
    current = cur_wt * m_scale + cur_moved * s_scale + cur_sec
    model.add(objective <= current)
    model.minimize(objective)
    hint = model.proto.solution_hint  # in bulk: add_hint costs about 3 us per variable
    hint.vars.extend(var.index for var, _ in hint_vals)
    hint.values.extend(val for _, val in hint_vals)
    return model, _SubVars(relaxed, starts, on, marks), current


def _end_of(pauses: Pauses | None, t: int, d: int) -> int:
    """Where ``d`` working minutes started as early as ``t`` end on a machine with ``pauses``."""
    return t + d if pauses is None else pauses.finish(t, d)


def _paused_modes(
    model: cp_model.CpModel,
    o: int,
    start: cp_model.IntVar,
    modes: list[tuple[int, int]],
    lo: int,
    hi: int,
    pauses: list[Pauses | None],
    plan: _Plan,
    lits: list[tuple[int, int, cp_model.IntVar | None]],
    per_machine: dict[int, list[cp_model.IntervalVar]],
    hint_vals: list[tuple[cp_model.IntVar, int]],
) -> tuple[cp_model.IntVar, int]:
    """The modes of a relaxed operation of which one at least runs on a machine with pauses
    in ``(lo, hi)``: as in the full model (:func:`~.constraints.add_pauses`). Returns its end
    and how many pause literals it took."""
    n_marks = 0
    end = model.new_int_var(lo, hi, "")
    hint_vals.append((end, plan.end[o]))
    single = len(modes) == 1
    for m, d in modes:
        lit = None if single else model.new_bool_var("")
        runs = plan.mach[o] == m
        if lit is not None:
            hint_vals.append((lit, int(runs)))
        pm = pauses[m]
        reach = pm.within(lo, hi) if pm is not None and d > 0 else ()
        if not reach:
            interval = (model.new_fixed_size_interval_var(start, d, "") if lit is None
                        else model.new_optional_fixed_size_interval_var(start, d, lit, ""))
            m_end: cp_model.LinearExprT = start + d
        else:
            interval, m_end, m_size, marks = paused_run(model, start, d, reach, lo, hi, lit)
            n_marks += 2 * len(marks)
            tie_pauses(model, start, m_end, m_size, d, marks, lit)
            # the mode that runs it: as planned; another (absent): any values its own rules allow
            for mark in marks:
                hint_vals.append((mark.after, int(plan.start[o] >= mark.end)))
                hint_vals.append((mark.before, int((plan.end[o] if runs else plan.start[o]) >= mark.end)))
            hint_vals.append((m_size, plan.end[o] - plan.start[o] if runs else d))
            hint_vals.append((m_end, plan.end[o] if runs else lo + d))
        tie = model.add(end == m_end)
        if lit is not None:
            tie.only_enforce_if(lit)
        per_machine.setdefault(m, []).append(interval)
        lits.append((m, d, lit))
    if not single:
        model.add_exactly_one(lit for _, _, lit in lits if lit is not None)
    return end, n_marks


def _new_solver(det_time: float, workers: int) -> cp_model.CpSolver:
    """One solver for all sub-problems: no presolve, no LP (the sub-models are small and
    their time is better spent searching), a deterministic time limit."""
    solver = quiet_solver()
    p = solver.parameters
    p.max_deterministic_time = det_time
    p.num_workers = max(1, workers)
    p.cp_model_presolve = False
    p.linearization_level = 0
    return solver


def _solve_sub(
    solver: cp_model.CpSolver,
    model: cp_model.CpModel,
    sub: _SubVars,
    plan: _Plan,
    current: int,
    *,
    wall: float,
    seed: int,
    pauses: list[Pauses | None],
) -> tuple[_Plan | None, bool]:
    """Solve a sub-model whose current plan scores ``current``; returns (the plan with a
    better sub-solution or None, solved to optimality). A sub-solution no better than the
    current plan is the current plan (CP-SAT starts from the hint and only accepts strictly
    better solutions after it), so it is not re-timed again."""
    p = solver.parameters
    p.max_time_in_seconds = max(0.001, wall)
    # pause literals make a sub-model larger and its search longer: its budget grows with them
    p.max_deterministic_time = _SUB_DET_TIME * (_PAUSED_BUDGET if sub.marks else 1)
    p.random_seed = seed
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, status == cp_model.INFEASIBLE
    if solver.objective_value >= current:
        return None, status == cp_model.OPTIMAL
    out = plan.copy()
    for o in sub.ops:
        s = int(solver.value(sub.start[o]))
        lits = sub.on[o]
        m, d = lits[0][0], lits[0][1]
        for mm, dd, lit in lits:
            if lit is not None and solver.boolean_value(lit):
                m, d = mm, dd
                break
        pm = pauses[m]
        out.mach[o], out.start[o], out.end[o] = m, s, (s + d if pm is None else pm.end(s, d))
    return out, status == cp_model.OPTIMAL


# --------------------------------------------------------------------------- search


class _Search:
    """The state the search threads share: the current and best plans, the neighbourhood
    sizes and the counters. Threads take a snapshot, build and solve a sub-model outside the
    lock (CP-SAT releases the GIL while it solves), and bring the result back under it."""

    def __init__(self, shop: _Shop, start: _Plan, *, deadline: float, seed: int,
                 max_iterations: int | None, log: bool) -> None:
        self.shop = shop
        self.deadline = deadline
        self.seed = seed
        self.max_iterations = max_iterations
        self.log = log
        self.kinds = ["window", "group", "late"]
        if any(len(v) > 1 for v in shop.members.values()):
            self.kinds.append("pair")
        self.size = dict.fromkeys(self.kinds, float(_START_SIZE))
        self.current = _compact(shop, start, True) or start
        self.cur_key = _key(shop, self.current)
        self.best, self.best_key = self.current, self.cur_key
        self.index = _Index(shop, self.current)
        self.version = 0  # bumped whenever the current plan changes
        self.iterations = self.improvements = 0
        self.lock = threading.Lock()
        self.cold: dict[int, float] = {}  # late jobs whose neighbourhoods gave nothing lately

    def run(self, worker: int) -> None:
        """One search thread (``worker`` numbers its random stream)."""
        shop = self.shop
        rng = random.Random(self.seed + 7919 * worker)
        solver = _new_solver(_SUB_DET_TIME, 1)
        n_free = len(shop.free)
        while n_free > 1:
            with self.lock:
                remaining = self.deadline - time.monotonic()
                if remaining < 0.01 or (self.max_iterations is not None and self.iterations >= self.max_iterations):
                    return
                kind = self.kinds[self.iterations % len(self.kinds)]
                self.iterations += 1
                it = self.iterations
                k = max(2, min(n_free, round(self.size[kind])))
                plan, index, version = self.current, self.index, self.version
            pick = _Picker(self.cold)
            if kind == "window":
                relaxed = _window(shop, plan, index, k, rng, pick, False)
            elif kind == "group":
                relaxed = _window(shop, plan, index, k, rng, pick, True)
            elif kind == "late":
                relaxed = _late_jobs(shop, plan, index, k, rng, pick)
            else:
                relaxed = _machine_pair(shop, plan, index, k, rng, pick)
            if len(relaxed) < 2:
                continue
            built = _sub_model(shop, plan, index, relaxed)
            if built is None:
                continue
            model, sub, cur_sub = built
            cand, optimal = _solve_sub(
                solver, model, sub, plan, cur_sub, wall=min(_SUB_WALL, remaining), seed=self.seed + it,
                pauses=shop.pauses,
            )
            with self.lock:
                size = self.size[kind]
                self.size[kind] = min(_MAX_SIZE, size * _GROW) if optimal else max(_MIN_SIZE, size / _GROW)
                changed = cand is not None and self._offer(cand, relaxed, kind, version)
                if not changed:
                    for j in pick.picked:
                        self.cold[j] = max(_COLDEST, self.cold.get(j, 1.0) * _COOL)

    def _offer(self, cand: _Plan, relaxed: list[int], kind: str, version: int) -> bool:
        """Re-time a sub-solution into the current plan; keep it when the key is not worse.
        Called under the lock. If another thread changed the plan since the snapshot, the
        relaxed operations' new places are carried over to the plan as it is now."""
        shop, current = self.shop, self.current
        if version != self.version:
            merged = current.copy()
            for o in relaxed:
                merged.mach[o], merged.start[o], merged.end[o] = cand.mach[o], cand.start[o], cand.end[o]
            cand = merged
        since = min(min(current.start[o], cand.start[o]) for o in relaxed)
        holds = (True, False) if shop.has_prev else (True,)
        options = [c for hold in holds if (c := _compact(shop, cand, hold, since, self.index)) is not None]
        if not options:
            return False
        new_key, i = min((_key(shop, c), i) for i, c in enumerate(options))
        if new_key > self.cur_key:
            return False
        if new_key < self.cur_key:
            self.improvements += 1
            if self.log:
                print(f"local lns: {self.cur_key} -> {new_key} ({kind}, {len(relaxed)} ops)")
        chosen = options[i]
        self.cur_key = new_key
        if chosen.start != current.start or chosen.mach != current.mach:  # else keep the index
            old_late = dict(self.index.late)
            self.current, self.index = chosen, _Index(shop, chosen)
            self.version += 1
            for j, w in self.index.late:
                if old_late.get(j) != w:
                    self.cold.pop(j, None)
            changed = True
        else:
            changed = False
        if new_key < self.best_key:
            self.best, self.best_key = self.current, new_key
        return changed


def local_lns(
    problem: Problem,
    start: Solution,
    *,
    deadline: float,
    workers: int = 1,
    seed: int = 0,
    max_iterations: int | None = None,
    log: bool = False,
) -> LnsResult:
    """Improve ``start`` (complete and valid) until ``deadline`` (``time.monotonic``).

    ``workers`` search threads (at most one per core) share the current plan, each solving
    its own sub-models (one CP-SAT worker each: a sub-model is too small to split further).
    Returns the best plan by ``score(...).key(problem.objective)``: ``start`` itself when
    nothing better was found (never worse). With one worker, a seed and ``max_iterations``,
    the result is deterministic unless the deadline cuts it short.
    """
    shop = _Shop(problem)
    first = _plan_of(shop, start)
    start_key = _key(shop, first)
    search = _Search(shop, first, deadline=deadline, seed=seed, max_iterations=max_iterations, log=log)
    workers = min(workers, os.cpu_count() or 1)  # more threads than cores only contend
    if workers <= 1:
        search.run(0)
    else:
        errors: list[BaseException] = []

        def thread(w: int) -> None:
            try:
                search.run(w)
            except BaseException as exc:  # raised again below, as with one worker
                errors.append(exc)
                search.deadline = 0.0  # the others stop at their next step

        threads = [threading.Thread(target=thread, args=(w,), daemon=True) for w in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
    out = _solution_of(shop, search.best, "cpsat-lns") if search.best_key < start_key else start
    return LnsResult(out, search.iterations, search.improvements)
