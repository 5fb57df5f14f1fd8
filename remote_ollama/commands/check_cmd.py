"""`remote-ollama check`: the contract test (see remote_ollama/contract.py)."""

from __future__ import annotations

import argparse

from remote_ollama import contract


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "check",
        help="check an Ollama server (and this client) against the contract",
        description=(
            "Check the native, OpenAI and Anthropic APIs of an Ollama server and, on a client, "
            "~/.ai-client/env and the profile block. Prints pass, fail or skip per check."
        ),
        epilog=contract.EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    contract.add_arguments(parser)
    parser.set_defaults(func=contract.run_cli)
