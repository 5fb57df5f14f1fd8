"""`remote-ollama`: the operator's tools behind one command.

Each subcommand lives in its own module exposing ``register(subparsers)``; the module's
handler is stored as the parser's ``func`` default and returns the exit code.

Only the module of the command being run is imported. Some pull in pyinfra (and with
it gevent and paramiko), which takes most of a second; ``remote-ollama --help`` or
``analytics`` must not pay for that, and gevent's hub would print its own lines on a
Ctrl-C. The other commands get a placeholder parser with the same one-line help, so
``--help`` and "invalid choice" errors still list them all.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

# (command, module, the one-line help its register() gives), in the order `--help` lists
# them. A unit test keeps the help texts equal to the modules'.
COMMANDS = (
    ("settings", "remote_ollama.commands.settings_cmd",
     "print every setting with its default (the README's table)"),
    ("acl", "remote_ollama.commands.acl_cmd",
     "write the Tailscale policy (tags, grant, tests) derived from the inventory"),
    ("check", "remote_ollama.commands.check_cmd",
     "check an Ollama server (and this client) against the contract"),
    ("warm", "remote_ollama.commands.warm_cmd",
     "pull missing models and load them into memory"),
    ("status", "remote_ollama.commands.status_cmd",
     "show the fleet at a glance: versions, drift, health, models, rollbacks"),
    ("analytics", "remote_ollama.analytics.cli",
     "measure Claude Code loops (cloud vs local Ollama)"),
)


def build_parser(argv: Sequence[str] | None = None, load_all: bool = False) -> argparse.ArgumentParser:
    """The parser for ``argv``: the chosen command complete, the others as placeholders."""
    parser = argparse.ArgumentParser(
        prog="remote-ollama",
        description="Operator tools for a private Ollama server on a Tailscale tailnet.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = chosen_command(sys.argv[1:] if argv is None else argv)
    for name, module_name, help_text in COMMANDS:
        if load_all or name == chosen:
            importlib.import_module(module_name).register(subparsers)
        else:
            subparsers.add_parser(name, help=help_text, add_help=False)
    return parser


def chosen_command(argv: Sequence[str]) -> str | None:
    """The command word of ``argv``: its first argument that is not an option."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


def main(argv: list[str] | None = None) -> int:
    try:
        return run(argv)
    except BrokenPipeError:  # the reader left early (`remote-ollama check | head -3`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no flush error
        return 141  # as a shell reports a command ended by SIGPIPE


def run(argv: list[str] | None = None) -> int:
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
