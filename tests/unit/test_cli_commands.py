"""The command line imports only the module of the command given: the map of modules to the
commands they register must be exact, or a command would be missing."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys

from bot.cli import _SUBCOMMANDS, build_parser


def test_each_module_registers_exactly_the_commands_the_map_says() -> None:
    for module, commands in _SUBCOMMANDS.items():
        parser = argparse.ArgumentParser()
        sub = parser.add_subparsers(dest="command")
        importlib.import_module(module).register(sub)
        assert sorted(sub.choices) == sorted(commands), module


def test_a_command_gets_its_own_parser_and_help_gets_all() -> None:
    every = {c for commands in _SUBCOMMANDS.values() for c in commands}
    assert set(_choices(build_parser([]))) == every
    assert set(_choices(build_parser(["orders", "list", "--late"]))) == set(_SUBCOMMANDS["bot.cli.admin"])
    assert set(_choices(build_parser(["no-such-command"]))) == every  # argparse lists them all in its error


def test_the_chat_parser_command_does_not_load_the_solver_or_the_web_server() -> None:
    code = ("import sys; from bot.cli import main; main(['intent', 'hi']); "
            "print(sorted(m for m in ('ortools', 'aiohttp', 'matplotlib', 'sqlalchemy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def _choices(parser: argparse.ArgumentParser) -> list[str]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return list(action.choices)
