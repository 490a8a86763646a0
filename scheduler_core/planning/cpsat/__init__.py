"""CP-SAT planner: the only place in paichan that imports ``ortools``.

The model is built as data -> variables -> constraints -> objective -> solution
(:mod:`.data`, :mod:`.variables`, :mod:`.constraints`, :mod:`.objective`, :mod:`.model`,
:mod:`.solution`); :mod:`.search` runs CP-SAT and a large-neighbourhood search around it;
:mod:`.api` holds the two entry points.
"""

from __future__ import annotations

from .api import solve, solve_plain

__all__ = ["solve", "solve_plain"]
