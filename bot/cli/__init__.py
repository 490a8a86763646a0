"""The ``paichan`` command line. Each subcommand lives in its own module with a
``register(subparsers)`` function that adds its parser and sets ``func``."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

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


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; with ``argv``, only the subcommand module its command needs."""
    parser = argparse.ArgumentParser(prog="paichan", description="paichan 排产: production scheduling")
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
