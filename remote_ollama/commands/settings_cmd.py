"""`remote-ollama settings`: print the table of every setting with its default."""

from __future__ import annotations

import argparse

from remote_ollama.settings import settings_table


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "settings",
        help="print every setting with its default (the README's table)",
        description="Print every setting remote-ollama reads, with group, default and meaning.",
        epilog="example:\n  remote-ollama settings > settings.md",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(func=run)


def run(args) -> int:
    print(settings_table())
    return 0
