"""Helpers of :mod:`scheduler_core.planning.heuristic` (the public entry point)."""
