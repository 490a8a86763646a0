"""What a run achieved: the delivery and customer measures of one policy."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .customer import CustomerModel
from .engine import OrderOutcome, RunResult

__all__ = ["evaluated", "late_days", "summarize", "weekly_delay_rate"]

_DAY = timedelta(days=1)


def late_days(o: OrderOutcome, end: datetime) -> float | None:
    """Days past the promise (<= 0: on time); an unfinished order counts until ``end`` when its
    promise has passed; None when it is unfinished and not yet due (not judged)."""
    if o.finished is not None:
        return (o.finished - o.promised) / _DAY
    if o.promised < end:
        return (end - o.promised) / _DAY
    return None


def evaluated(result: RunResult) -> list[tuple[OrderOutcome, float]]:
    """The orders that can be judged at the end: finished, or promised before the end."""
    out = []
    for o in result.outcomes:
        d = late_days(o, result.end)
        if d is not None:
            out.append((o, d))
    return out


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    k = min(len(s) - 1, max(0, round(q * (len(s) - 1))))
    return s[k]


@dataclass(frozen=True, slots=True)
class _Rate:
    n: int
    d: int

    @property
    def value(self) -> float | None:
        return self.n / self.d if self.d else None


def summarize(result: RunResult, model: CustomerModel | None = None) -> dict[str, Any]:
    """The measures of one run, as plain values (JSON-ready)."""
    model = model or CustomerModel()
    judged = evaluated(result)
    late = [(o, d) for o, d in judged if d > 0]
    finished = [o for o in result.outcomes if o.finished is not None]
    leads = [(o.finished - o.arrived) / _DAY for o in finished if o.finished is not None]
    quoted = [(o.promised - o.arrived) / _DAY for o in result.outcomes]
    rush = [o for o in result.outcomes if o.rush]
    rush_judged = [(o, d) for o, d in judged if o.rush]
    weights = {o.ref: 5.0 if o.vip else 1.0 for o in result.outcomes}
    tard = [max(0.0, d) for _, d in judged]
    complaints = [model.complaint_probability(d, o.warned) for o, d in judged]
    scores = [model.satisfaction(d, o.warned) for o, d in judged]
    delay = _Rate(len(late), len(judged)).value

    def r(x: float | None, nd: int = 4) -> float | None:
        return None if x is None else round(x, nd)

    return {
        "orders_arrived": len(result.outcomes),
        "orders_judged": len(judged),
        "orders_finished": len(finished),
        "delay_rate": r(delay),
        "on_time_rate": r(None if delay is None else 1 - delay),
        "avg_lead_time_days": r(statistics.fmean(leads) if leads else None, 3),
        "p90_lead_time_days": r(_pct(leads, 0.9), 3),
        "avg_quoted_lead_time_days": r(statistics.fmean(quoted) if quoted else None, 3),
        "accepted_as_requested_rate": r(_Rate(sum(o.accepted_as_requested for o in result.outcomes),
                                              len(result.outcomes)).value),
        "total_tardiness_days": r(sum(tard), 2),
        "weighted_tardiness": r(sum(weights[o.ref] * max(0.0, d) for o, d in judged), 2),
        "utilisation": r(result.busy_minutes / result.available_minutes if result.available_minutes else None),
        "rush_orders": len(rush),
        "rush_accepted_as_requested": sum(o.accepted_as_requested for o in rush),
        "rush_on_time": sum(1 for _, d in rush_judged if d <= 0),
        "warned_rate": r(_Rate(sum(o.warned for o, d in late), len(late)).value),
        "complaint_rate": r(statistics.fmean(complaints) if complaints else None),
        "satisfaction_score": r(statistics.fmean(scores) if scores else None, 3),
        "replans": result.replans,
        "plan_versions": result.plan_versions,
        "open_orders_at_end": result.open_orders_end,
        "plan_violations": len(result.plan_violations),
        "wall_seconds": round(result.wall_seconds, 1),
    }


def weekly_delay_rate(result: RunResult) -> list[tuple[int, float | None]]:
    """Per week of the promised date: share of the judged orders that were late."""
    weeks: dict[int, list[bool]] = {}
    for o, d in evaluated(result):
        w = int((o.promised - result.start) / timedelta(days=7))
        weeks.setdefault(w, []).append(d > 0)
    return [(w, sum(v) / len(v) if v else None) for w, v in sorted(weeks.items())]
