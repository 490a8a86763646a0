"""Assemble the CP-SAT model: data -> variables -> constraints -> objective terms.

:func:`build` creates the model without an objective; :func:`phases` lists what to
minimise, one phase per level of the (lexicographic) objective.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from ..evaluate import Score
from . import constraints as rules
from .data import ModelData
from .objective import Expr, Terms, completions, flow_time, makespan, moved_operations, weighted_tardiness
from .variables import Variables, create_variables

__all__ = ["Built", "Phase", "build", "phases"]


@dataclass(frozen=True, slots=True)
class Built:
    """A built model and the handles the search needs."""

    model: cp_model.CpModel
    data: ModelData
    variables: Variables
    done: dict[int, Expr]
    makespan: cp_model.IntVar | None
    wt: Terms | None
    flow: Terms | None
    moved: Terms | None


@dataclass(frozen=True, slots=True)
class Phase:
    """One level of the objective: minimise ``expr``; ``value`` reads the same quantity
    off an evaluated :class:`Score`, ``bound`` says whether the solver's objective bound is
    a bound on the headline value (reported as ``Solution.lower_bound``)."""

    name: str
    expr: Expr
    value: Callable[[Score], int]
    headline: bool
    tie_break: tuple[Expr, int] | None = None  # (expr, scale): LNS sub-problems minimise expr_phase*scale + expr


def build(data: ModelData, *, redundant: bool) -> Built:
    """Create variables, the rules of :mod:`.constraints` and the objective terms of
    ``data.problem.objective``; with ``redundant``, also the redundant constraints."""
    model = cp_model.CpModel()
    variables = create_variables(model, data)
    rules.add_exactly_one_mode(model, variables)
    rules.add_duration_of_chosen_mode(model, variables)
    rules.add_pauses(model, variables)
    rules.add_precedence(model, data, variables)
    rules.add_release_and_now(model, data, variables)
    rules.add_deadline(model, data, variables)
    rules.add_machine_no_overlap(model, data, variables)
    if redundant:
        rules.redundant_shop_cumulative(model, data, variables)

    objective = data.problem.objective
    done = completions(model, data, variables)
    cmax = wt = flow = moved = None
    if objective == "makespan":
        cmax = makespan(model, data, done)
        if redundant:
            rules.redundant_machine_load(model, data, variables, cmax)
    else:
        wt = weighted_tardiness(model, data, done)
    if objective == "factory":
        flow = flow_time(data, done)
        moved = moved_operations(model, data, variables)
    return Built(model, data, variables, done, cmax, wt, flow, moved)


def phases(built: Built) -> list[Phase]:
    """The objective as a list of phases, solved in order.

    * ``makespan``: one phase, the makespan.
    * ``weighted_tardiness``: one phase, the weighted tardiness.
    * ``factory``: (1) weighted tardiness; (2) with weighted tardiness held at its phase-1
      value, ``moved * (flow upper bound + 1) + flow``, i.e. moved operations first and
      flow time as the tie-breaker, exactly lexicographic.
    """
    objective = built.data.problem.objective
    if objective == "makespan":
        assert built.makespan is not None
        flow = flow_time(built.data, built.done)
        return [Phase("makespan", built.makespan, lambda s: s.makespan, True, (flow.expr, flow.upper + 1))]
    assert built.wt is not None
    first = Phase("weighted_tardiness", built.wt.expr, lambda s: s.weighted_tardiness, True)
    if objective == "weighted_tardiness":
        return [first]
    assert built.flow is not None and built.moved is not None
    scale = built.flow.upper + 1
    second = Phase(
        "stability",
        built.moved.expr * scale + built.flow.expr,
        lambda s: s.moved * scale + s.flow_time,
        False,
    )
    return [first, second]
