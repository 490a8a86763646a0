"""Pure conversions shared by the SQL repositories and the in-memory fake: JSON shapes of
calendars and finished maps, the 报工 aggregation and the next order number.

No SQLAlchemy here, so ``tests/fakes.py`` computes exactly what the database adapter does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time
from typing import Any

from scheduler_core.domain.calendar import Shift, WorkCalendar
from scheduler_core.domain.model import Progress, add_report

__all__ = [
    "DEFAULT_TIMEZONE",
    "REF_PREFIX",
    "aggregate_progress",
    "calendar_from_json",
    "calendar_to_json",
    "finished_from_json",
    "finished_to_json",
    "next_ref",
    "utc",
]

DEFAULT_TIMEZONE = "Asia/Shanghai"
"""The factory timezone until one is set."""

REF_PREFIX = "SO-"
FIRST_REF_NUMBER = 1001
_REF = re.compile(r"^SO-(\d+)$")


def utc(dt: datetime) -> datetime:
    """The aware UTC datetime of ``dt``; a naive datetime is a bug."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"naive datetime {dt.isoformat()} (a timezone is required)")
    return dt.astimezone(UTC)


def _hhmm(t: time) -> str:
    return t.strftime("%H:%M")


def calendar_to_json(cal: WorkCalendar) -> tuple[dict[str, Any], list[str]]:
    """``(shifts, holidays)``: shifts as ``{"1": [["08:00", "16:00"], ...]}`` per ISO weekday,
    holidays as sorted ISO dates."""
    shifts = {str(day): [[_hhmm(s.start), _hhmm(s.end)] for s in cal.shifts[day]] for day in sorted(cal.shifts)}
    return shifts, sorted(d.isoformat() for d in cal.holidays)


def calendar_from_json(name: str, shifts: Mapping[str, Any], holidays: Iterable[str]) -> WorkCalendar:
    return WorkCalendar(
        name,
        {int(day): tuple(Shift(time.fromisoformat(a), time.fromisoformat(b)) for a, b in spans)
         for day, spans in shifts.items()},
        frozenset(date.fromisoformat(d) for d in holidays),
    )


def finished_to_json(finished: Mapping[str, datetime]) -> dict[str, str]:
    return {ref: utc(at).isoformat() for ref, at in sorted(finished.items())}


def finished_from_json(data: Mapping[str, str]) -> dict[str, datetime]:
    return {ref: utc(datetime.fromisoformat(at)) for ref, at in data.items()}


def aggregate_progress(
    reports: Iterable[tuple[str, int, int, str, datetime, bool]],
    quantities: Mapping[str, int],
) -> dict[tuple[str, int], Progress]:
    """Fold 报工 rows ``(ref, step, good, machine, at, finished)``, in report order (time, then
    insertion), into one :class:`Progress` per (ref, step).

    ``done`` is the sum of good units; ``machine`` the last report's; ``started`` the first
    report's time; ``finished`` the time of the first report that says finished or that brings
    ``done`` to the order quantity (orders unknown here finish only by the flag); a report on a
    step closes the steps before it (see :func:`~scheduler_core.domain.model.add_report`, which
    the use case applies to the same report).
    """
    out: dict[tuple[str, int], Progress] = {}
    for ref, step, good, machine, at, finished in reports:
        add_report(out, ref, step, good, machine, at, finished, quantities.get(ref))
    return out


def next_ref(refs: Iterable[str]) -> str:
    """``SO-<n+1>`` after the highest ``SO-<n>`` in use (``SO-1001`` first)."""
    numbers = [int(m.group(1)) for r in refs if (m := _REF.match(r))]
    return f"{REF_PREFIX}{max(numbers) + 1 if numbers else FIRST_REF_NUMBER}"
