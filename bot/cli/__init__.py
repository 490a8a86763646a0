"""The ``paichan`` command line. Each subcommand lives in its own module with a
``register(subparsers)`` function that adds its parser and sets ``func``."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

__all__ = ["main"]

_SUBCOMMANDS: dict[str, tuple[str, ...]] = {
    "bot.cli.plan": ("plan",),
    "bot.cli.solve": ("solve",),
    "bot.cli.bench": ("bench",),
    "bot.cli.data": ("demo-data", "import", "export"),
    "bot.cli.admin": ("db", "user", "admin", "link-code", "token", "orders", "status", "kpi"),
    "bot.cli.serve": ("serve", "bot"),
    "bot.cli.intent": ("intent",),
    "bot.cli.notify": ("notify", "jobs"),
    "bot.cli.demo": ("demo",),
    "bot.cli.simulate": ("simulate",),
}
"""Each subcommand module and the commands it registers. Only the module of the command given
is imported (the others pull in the solver, the web server, matplotlib ...: seconds of start-up);
``paichan --help`` or an unknown command imports them all."""


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors in the language the command was asked to speak (``--lang``, else
    ``PAICHAN_LANG``, else the locale)."""

    argv: Sequence[str] = ()

    def error(self, message: str) -> NoReturn:
        from scheduler_core.reports.i18n import resolve_lang, translator

        from .options import localized_error

        args = list(_Parser.argv)
        given = next((a.split("=", 1)[1] for a in args if a.startswith("--lang=")), None)
        if given is None and "--lang" in args[:-1]:
            given = args[args.index("--lang") + 1]
        try:
            lang = resolve_lang(given or os.environ.get("PAICHAN_LANG"), os.environ)
        except ValueError:
            lang = resolve_lang(None, os.environ)
        tr = translator(lang)
        self.print_usage(sys.stderr)
        self.exit(2, tr.gettext("{prog}: error: {message}", prog=self.prog, message=localized_error(tr, message)) + "\n")


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; with ``argv``, only the subcommand module its command needs."""
    _Parser.argv = tuple(argv or ())
    parser = _Parser(prog="paichan", description="paichan 排产: production scheduling")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    first = next((a for a in argv or () if not a.startswith("-")), None)
    wanted = [m for m, commands in _SUBCOMMANDS.items() if first in commands] or list(_SUBCOMMANDS)
    for name in wanted:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    try:
        result = args.func(args)
    except BrokenPipeError:  # `paichan ... | head`: the reader left; not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except KeyboardInterrupt:
        return 130
    return int(result or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
