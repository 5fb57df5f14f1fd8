"""`remote-ollama`: the operator's tools behind one command.

Each subcommand lives in its own module exposing ``register(subparsers)``; the module's
handler is stored as the parser's ``func`` default and returns the exit code.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

# Subcommand modules, in the order `--help` lists them.
COMMANDS = (
    "remote_ollama.commands.settings_cmd",
    "remote_ollama.commands.acl_cmd",
    "remote_ollama.commands.check_cmd",
    "remote_ollama.commands.warm_cmd",
    "remote_ollama.analytics.cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="remote-ollama",
        description="Operator tools for a private Ollama server on a Tailscale tailnet.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMANDS:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        return run(argv)
    except BrokenPipeError:  # the reader left early (`remote-ollama check | head -3`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no flush error
        return 141  # as a shell reports a command ended by SIGPIPE


def run(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
