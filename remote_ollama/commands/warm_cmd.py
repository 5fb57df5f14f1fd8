"""`remote-ollama warm`: pull missing models and load them (see remote_ollama/warm.py)."""

from __future__ import annotations

import argparse

from remote_ollama import warm


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "warm",
        help="pull missing models and load them into memory",
        description=(
            "Pull each model that is missing (checking every line of the pull stream for "
            "errors), then load it with keep_alive. A failure does not stop the others."
        ),
        epilog=warm.EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    warm.add_arguments(parser)
    parser.set_defaults(func=warm.run_cli)
