"""The customer side of a delivery: how likely a complaint is and how satisfied the customer
is, as simple, stated functions of lateness and of whether the customer was warned.

The model is deliberately plain (every figure below is an assumption, printed with every
simulation result):

* on time (delivered no later than promised): complaint probability ``on_time_complaint``,
  satisfaction ``on_time_score`` (out of 5);
* late by ``d`` days (``d > 0``): complaint probability
  ``min(max_complaint, on_time_complaint + late_complaint + per_day_complaint * d)``;
  satisfaction ``max(1, on_time_score - late_penalty - per_day_penalty * d)``;
* warned in advance (a delay warning reached the customer before the promised date): the
  part due to lateness is multiplied by ``warned_factor`` for the complaint probability and
  by ``warned_factor`` for the satisfaction penalty as well.

Both are monotone: a later delivery never makes a customer happier or less likely to
complain, and a warning never makes either worse. Rates are expectations (no sampling), so
two policies are compared without sampling noise.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CustomerModel"]


@dataclass(frozen=True, slots=True)
class CustomerModel:
    on_time_complaint: float = 0.02
    late_complaint: float = 0.15
    per_day_complaint: float = 0.10
    max_complaint: float = 0.90
    on_time_score: float = 4.6
    late_penalty: float = 0.8
    per_day_penalty: float = 0.35
    warned_factor: float = 0.5

    def complaint_probability(self, late_days: float, warned: bool = False) -> float:
        """Probability that a delivery ``late_days`` after its promise (<= 0: on time) draws a complaint."""
        if late_days <= 0:
            return self.on_time_complaint
        extra = self.late_complaint + self.per_day_complaint * late_days
        if warned:
            extra *= self.warned_factor
        return min(self.max_complaint, self.on_time_complaint + extra)

    def satisfaction(self, late_days: float, warned: bool = False) -> float:
        """Expected survey score (1-5) for a delivery ``late_days`` after its promise."""
        if late_days <= 0:
            return self.on_time_score
        penalty = self.late_penalty + self.per_day_penalty * late_days
        if warned:
            penalty *= self.warned_factor
        return max(1.0, self.on_time_score - penalty)

    def assumptions(self) -> list[str]:
        """The model in words (English; the CLI localizes its own copy)."""
        return [
            f"on time: complaint probability {self.on_time_complaint:.0%}, satisfaction {self.on_time_score:.1f}/5",
            f"late by d days: complaint probability {self.on_time_complaint:.0%} + {self.late_complaint:.0%}"
            f" + {self.per_day_complaint:.0%} x d (at most {self.max_complaint:.0%});"
            f" satisfaction {self.on_time_score:.1f} - {self.late_penalty:.1f} - {self.per_day_penalty:.2f} x d"
            " (at least 1)",
            f"warned before the promised date: the lateness part of both is x {self.warned_factor:g}",
            "rates are expected values over the orders (no sampling)",
        ]
