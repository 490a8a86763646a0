"""Argument types shared by the subcommands: bounded numbers, dates and the language choice."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date
from typing import TypeVar

from scheduler_core.reports.i18n import Lang, resolve_lang

__all__ = ["iso_date", "lang_choice", "number"]

N = TypeVar("N", int, float)


def iso_date(value: str) -> date:
    """An argparse type: a YYYY-MM-DD date, else a clear error."""
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {value!r}") from exc


def number(kind: type[N], *, above: N | None = None, at_least: N | None = None,
           at_most: N | None = None) -> Callable[[str], N]:
    """An argparse type: ``kind`` (int or float) within the given bounds, else a clear error."""
    bounds = [f"above {above:g}" if above is not None else "",
              f"at least {at_least:g}" if at_least is not None else "",
              f"at most {at_most:g}" if at_most is not None else ""]
    rule = "must be " + " and ".join(b for b in bounds if b)
    what = "a whole number" if kind is int else "a number"

    def parse(value: str) -> N:
        try:
            x = kind(value)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"not {what}: {value!r}") from exc
        if ((above is not None and not x > above) or (at_least is not None and x < at_least)
                or (at_most is not None and x > at_most)):
            raise argparse.ArgumentTypeError(f"{value!r} {rule}")
        return x

    parse.__name__ = f"{kind.__name__}_{rule.replace(' ', '_')}"
    return parse


def lang_choice(value: str) -> Lang:
    """``--lang``: zh or en (checked here, so that argparse reports a bad one)."""
    try:
        return resolve_lang(value, {})
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
