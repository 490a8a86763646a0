"""Pauses: time a machine does not work but an operation on it waits through and resumes.

The axis is the factory's working time (the union of every machine's shifts). A machine on a
shorter calendar (a day-shift saw in a factory whose ovens run at night) does not work in parts
of it: those parts are its *pauses*. An operation on that machine may start before a pause and
finish after it, as it would over a night in a one-calendar factory; it only needs its working
minutes outside pauses, and it neither starts nor ends inside one. Downtime is different: it is
a blocked window no free operation may overlap (see :class:`~.problem.Problem`).

:class:`Pauses` answers, with binary searches over a machine's sorted disjoint pauses, where
work may start, where ``d`` working minutes from a start end, and the latest start that ends
by a given minute. A machine without pauses answers with plain arithmetic.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence

__all__ = ["NO_PAUSES", "Pauses", "fit_start"]


class Pauses:
    """One machine's pauses: sorted, disjoint, non-empty ``(start, end)`` axis windows."""

    __slots__ = ("_cum", "_local", "ends", "starts", "windows")

    def __init__(self, windows: Sequence[tuple[int, int]] = ()) -> None:
        self.windows = tuple(windows)
        self.starts = [a for a, _ in self.windows]
        self.ends = [b for _, b in self.windows]
        cum = [0]  # total pause length before pause k
        local = []  # working minutes (axis minus pauses) before pause k starts
        for k, (a, b) in enumerate(self.windows):
            if b <= a or (k and a < self.ends[k - 1]):
                raise ValueError("pauses must be sorted, disjoint and non-empty")
            local.append(a - cum[-1])
            cum.append(cum[-1] + b - a)
        self._cum = cum
        self._local = local

    def __bool__(self) -> bool:
        return bool(self.windows)

    def start(self, t: int) -> int:
        """The first minute at or after ``t`` the machine works (the end of a pause ``t`` is in)."""
        i = bisect_right(self.starts, t) - 1
        if i >= 0 and t < self.ends[i]:
            return self.ends[i]
        return t

    def end(self, s: int, d: int) -> int:
        """Where ``d`` working minutes from ``s`` end (``s`` a working minute, see :meth:`start`):
        pauses inside count as time taken; work that completes as a pause begins ends there."""
        if not self.windows or d <= 0:
            return s + max(d, 0)
        target = s - self._cum[bisect_right(self.ends, s)] + d  # working minutes at the end
        return target + self._cum[bisect_left(self._local, target)]

    def finish(self, t: int, d: int) -> int:
        """Where ``d`` working minutes started as early as ``t`` end: :meth:`end` from :meth:`start`."""
        return self.end(self.start(t), d)

    def latest_start(self, e: int, d: int) -> int:
        """The latest working minute from which ``d`` working minutes end at or before ``e``."""
        if not self.windows or d <= 0:
            return e - max(d, 0)
        i = bisect_right(self.starts, e) - 1
        if i >= 0 and e < self.ends[i]:
            e = self.starts[i]  # inside a pause: work can only have stopped where it began
        target = e - self._cum[bisect_right(self.ends, e)] - d
        # the working minute at local position ``target``: after every pause starting at or before it
        return target + self._cum[bisect_right(self._local, target)]

    def work(self, s: int, e: int) -> int:
        """Working minutes in ``[s, e)``."""
        if not self.windows:
            return e - s
        return (e - s) - self.paused(s, e)

    def paused(self, s: int, e: int) -> int:
        """Pause minutes in ``[s, e)``."""
        if e <= s or not self.windows:
            return 0
        lo, hi = bisect_right(self.ends, s), bisect_left(self.starts, e)
        return sum(min(b, e) - max(a, s) for a, b in self.windows[lo:hi])

    def within(self, lo: int, hi: int) -> tuple[tuple[int, int], ...]:
        """The pauses that meet ``(lo, hi)``."""
        return self.windows[bisect_right(self.ends, lo) : bisect_left(self.starts, hi)]


NO_PAUSES = Pauses()


def fit_start(st: list[int], en: list[int], t: int, d: int, pauses: Pauses | None = None) -> int:
    """The earliest start ``>= t`` from which ``d`` minutes of work end before the next of the
    sorted, disjoint busy intervals ``st`` / ``en`` (insertion into idle gaps). On a machine
    with ``pauses`` the start is a working minute and the work waits through pauses."""
    n = len(st)
    if pauses is None:
        i = bisect_right(en, t)
        while i < n:
            if st[i] >= t + d:
                return t
            e = en[i]
            if e > t:
                t = e
            i += 1
        return t
    t = pauses.start(t)
    i = bisect_right(en, t)
    while i < n:
        if st[i] >= pauses.end(t, d):
            return t
        t = pauses.start(en[i])
        i = bisect_right(en, t, i + 1)
    return t
