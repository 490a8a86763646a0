"""Independent plan checker on the axis: every returned plan must pass it.

It re-derives every rule from the problem data alone and shares no code with the planners.
The calendar-level twin (real datetimes, shifts, holidays) is
:func:`scheduler_core.domain.check.check_schedule`.
"""

from __future__ import annotations

import bisect

from .problem import Problem, Solution

__all__ = ["PlanViolation", "assert_valid", "violations"]


_MAX = 1 << 62


class PlanViolation(ValueError):
    """A plan breaks a scheduling rule; the message names the first broken rule."""


def violations(problem: Problem, solution: Solution, limit: int = 20) -> list[str]:
    """Return up to ``limit`` human-readable rule violations (empty list: plan is valid)."""
    out: list[str] = []

    def bad(msg: str) -> bool:
        out.append(msg)
        return len(out) >= limit

    seen: dict[tuple[int, int], tuple[int, int, int]] = {}
    for a in solution.assignments:
        key = (a.job, a.op)
        if not (0 <= a.job < len(problem.jobs) and 0 <= a.op < len(problem.jobs[a.job].ops)):
            if bad(f"unknown operation {key}"):
                return out
            continue
        if key in seen:
            if bad(f"operation {key} scheduled twice"):
                return out
            continue
        op = problem.jobs[a.job].ops[a.op]
        seen[key] = (a.machine, a.start, a.end)
        if op.fixed is not None:
            f = op.fixed
            if (a.machine, a.start, a.end) != (f.machine, f.start, f.end):
                if bad(f"fixed operation {key} moved to m{a.machine} [{a.start},{a.end})"):
                    return out
            continue
        dur = op.duration_on(a.machine)
        if dur is None:
            if bad(f"operation {key} on ineligible machine {a.machine}"):
                return out
        else:
            pauses = problem.pauses[a.machine] if 0 <= a.machine < len(problem.pauses) else ()
            # the machine's pauses that may meet [start, end]: sorted and disjoint, so one slice
            # from the last starting before ``start`` to the last starting by ``end``
            near = pauses[max(0, bisect.bisect_left(pauses, (a.start,)) - 1):bisect.bisect_right(pauses, (a.end, _MAX))]
            inside = [(ps, pe) for ps, pe in near if ps < pe and (ps <= a.start < pe or ps < a.end < pe)]
            paused = sum(max(0, min(pe, a.end) - max(ps, a.start)) for ps, pe in near)
            if inside and dur > 0:
                if bad(f"operation {key} [{a.start},{a.end}) starts or ends inside pause {inside[0]} of machine {a.machine}"):
                    return out
            elif a.end - a.start - paused != dur:
                if bad(f"operation {key} lasts {a.end - a.start - paused} working minutes, expected {dur}"):
                    return out
        if a.start < problem.now:
            if bad(f"operation {key} starts at {a.start}, before now={problem.now}"):
                return out
    missing = problem.n_ops - len(seen)
    if missing > 0 and bad(f"{missing} operations not scheduled"):
        return out
    for j, job in enumerate(problem.jobs):
        prev_end = None
        for k, op in enumerate(job.ops):
            s = seen.get((j, k))
            if s is None:
                continue
            if op.fixed is None:
                if s[1] < op.earliest:
                    if bad(f"operation {(j, k)} starts at {s[1]} before its earliest start {op.earliest}"):
                        return out
                if k == 0 and s[1] < job.release:
                    if bad(f"job {j} starts at {s[1]} before its release {job.release}"):
                        return out
                if prev_end is not None and s[1] < prev_end:
                    if bad(f"operation {(j, k)} starts at {s[1]} before its predecessor ends at {prev_end}"):
                        return out
            prev_end = s[2]
        if job.deadline is not None and prev_end is not None and prev_end > job.deadline:
            if bad(f"job {j} completes at {prev_end} after its hard deadline {job.deadline}"):
                return out
    per_machine: dict[int, list[tuple[int, int, tuple[int, int]]]] = {}
    for key, (m, s0, e0) in seen.items():
        per_machine.setdefault(m, []).append((s0, e0, key))
    for m, lst in per_machine.items():
        lst.sort()
        for x, y in zip(lst, lst[1:]):
            if y[0] < x[1]:
                if bad(f"operations {x[2]} and {y[2]} overlap on machine {m}"):
                    return out
        windows = problem.blocked[m] if 0 <= m < len(problem.blocked) else ()
        starts = [w[0] for w in windows]
        ends = [w[1] for w in windows]
        for s0, e0, key in lst:
            if problem.jobs[key[0]].ops[key[1]].fixed is not None:
                continue  # fixed work was placed by the shop floor, not by a planner
            # windows are sorted and disjoint: those overlapping [s0, e0) form one slice
            lo, hi = bisect.bisect_right(ends, s0), bisect.bisect_left(starts, e0)
            if lo < hi:
                ws, we = windows[lo]
                if bad(f"operation {key} overlaps blocked window [{ws},{we}) on machine {m}"):
                    return out
    return out


def assert_valid(problem: Problem, solution: Solution) -> None:
    """Raise :class:`PlanViolation` naming the first broken rule, if any."""
    found = violations(problem, solution, limit=1)
    if found:
        raise PlanViolation(found[0])
