"""Benchmark commands that print figures (never timed unit tests)."""

from __future__ import annotations

import sys

__all__ = ["say"]


def say(msg: str) -> None:
    """A progress line on stderr, so that ``--json`` keeps stdout to the figures."""
    print(msg, file=sys.stderr, flush=True)
