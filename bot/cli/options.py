"""Argument types shared by the subcommands: bounded numbers, dates and the language choice."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from datetime import date
from typing import TypeVar

from scheduler_core.reports.i18n import N_, Lang, Tr, resolve_lang

__all__ = ["iso_date", "lang_choice", "localized_error", "number"]

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


_TOP: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"the following arguments are required: (?P<args>.+)"), N_("the following arguments are required: {args}")),
    (re.compile(r"unrecognized arguments: (?P<args>.+)"), N_("unrecognized arguments: {args}")),
    (re.compile(r"one of the arguments (?P<args>.+) is required"), N_("one of the arguments {args} is required")),
)
_INNER: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"invalid choice: (?P<value>.+?) \(choose from (?P<choices>.+)\)"),
     N_("invalid choice: {value} (choose from {choices})")),
    (re.compile(r"invalid (?P<type>\w+) value: (?P<value>.+)"), N_("invalid value: {value}")),
    (re.compile(r"expected one argument"), N_("expected one value")),
    (re.compile(r"not a whole number: (?P<value>.+)"), N_("not a whole number: {value}")),
    (re.compile(r"not a number: (?P<value>.+)"), N_("not a number: {value}")),
    (re.compile(r"not a YYYY-MM-DD date: (?P<value>.+)"), N_("not a YYYY-MM-DD date: {value}")),
    (re.compile(r"unsupported language (?P<value>.+) \(use zh or en\)"), N_("unsupported language {value} (use zh or en)")),
)
_BOUNDS = {"above": N_("above {n}"), "at least": N_("at least {n}"), "at most": N_("at most {n}")}
_RULE = re.compile(r"(?P<value>'.*') must be (?P<rule>.+)")


def localized_error(tr: Tr, message: str) -> str:
    """An argparse error message (English, as argparse and the types above write it) in ``tr``'s
    language; a message it does not know stays as it is, and so does every message in English."""
    if tr.lang == "en":
        return message
    for rx, msgid in _TOP:
        if m := rx.fullmatch(message):
            return tr.gettext(msgid, **m.groupdict())
    arg, sep, inner = message.partition(": ")
    if not (sep and arg.startswith("argument ")):
        return message
    return tr.gettext("argument {arg}: {message}", arg=arg.removeprefix("argument "), message=_inner(tr, inner))


def _inner(tr: Tr, message: str) -> str:
    for rx, msgid in _INNER:
        if m := rx.fullmatch(message):
            return tr.gettext(msgid, **m.groupdict())
    if m := _RULE.fullmatch(message):
        parts = []
        for piece in m["rule"].split(" and "):
            kind, _, n = piece.rpartition(" ")
            if kind not in _BOUNDS:
                return message
            parts.append(tr.gettext(_BOUNDS[kind], n=n))
        return tr.gettext("{value} must be {rule}", value=m["value"], rule=tr.gettext(" and ").join(parts))
    return message
