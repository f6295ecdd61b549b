"""The ``consortsim`` command: parse, call one library function, print.

Each group of subcommands lives in its own module with a ``register(subparsers)``
function; add a module to COMMAND_MODULES to add commands.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

from consortsim.config import ConfigError

COMMAND_MODULES: tuple[str, ...] = (
    "consortsim.cli_core",
    "consortsim.cli_experiments",
    "consortsim.cli_sensitivity",
    "consortsim.cli_validate",
    "consortsim.cli_workshop",
)


class UsageError(Exception):
    """A command-line mistake to report in one line with exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, with mistakes reported in one line (``--help`` still shows the usage)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"consortsim: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every registered subcommand."""
    parser = _Parser(
        prog="consortsim",
        description="Simulate whether a multi-agency opioid-response consortium survives.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point. Returns the exit status: 0 ok, 1 a check failed, 2 bad input."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ConfigError, UsageError) as exc:
        print(f"consortsim: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("consortsim: interrupted; results already written are kept.", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
