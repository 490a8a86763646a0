"""The working-time axis: grid minutes with non-working time cut out.

The factory's working time is the union of its machines' shifts. Laid end to end, those
windows form the axis the planners work on, so an operation that pauses over a night or a
holiday is one contiguous interval there and resumes where it stopped. Time a single machine
cannot work inside that union (its own shorter calendar, downtime) becomes a blocked window
of that machine on the axis.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

__all__ = ["Axis"]


class Axis:
    """Maps grid minutes (see :class:`~scheduler_core.domain.timegrid.TimeGrid`) to working
    minutes and back, over sorted disjoint working ``windows``."""

    __slots__ = ("_cum", "_ends", "_starts", "windows")

    def __init__(self, windows: Sequence[tuple[int, int]]) -> None:
        if not windows:
            raise ValueError("an axis needs at least one working window")
        self.windows = tuple(windows)
        self._starts = [a for a, _ in windows]
        self._ends = [b for _, b in windows]
        cum = [0]
        for a, b in windows:
            if b <= a or (len(cum) > 1 and a < self._ends[len(cum) - 2]):
                raise ValueError("working windows must be sorted, disjoint and non-empty")
            cum.append(cum[-1] + b - a)
        self._cum = cum

    @property
    def length(self) -> int:
        """Total working minutes covered."""
        return self._cum[-1]

    @property
    def end(self) -> int:
        """Grid minute where the last window ends."""
        return self._ends[-1]

    def to_axis(self, minute: int) -> int:
        """Working minutes before grid ``minute`` (a minute in a gap maps to the next window)."""
        i = bisect.bisect_right(self._starts, minute) - 1
        if i < 0:
            return 0
        a, b = self.windows[i]
        return self._cum[i] + min(minute, b) - a

    def start_at(self, x: int) -> int:
        """Grid minute at which work at axis position ``x`` begins (after any gap)."""
        if x >= self.length:
            return self.end + (x - self.length)
        i = bisect.bisect_right(self._cum, x) - 1
        return self._starts[i] + x - self._cum[i]

    def end_at(self, x: int) -> int:
        """Grid minute at which work ending at axis position ``x`` ends (before any gap)."""
        if x <= 0:
            return self._starts[0] + x
        if x > self.length:
            return self.end + (x - self.length)
        i = bisect.bisect_left(self._cum, x) - 1
        return self._starts[i] + x - self._cum[i]

    def window_to_axis(self, a: int, b: int) -> tuple[int, int]:
        """A grid window as an axis window (empty when it lies in non-working time)."""
        return self.to_axis(a), self.to_axis(b)
