"""Subcommands of the `remote-ollama` CLI, one module each."""

from __future__ import annotations

import argparse


def register_tool(subparsers, name: str, tool, help: str, description: str) -> None:
    """Add ``name``, a subcommand that runs a shipped single-file tool (contract.py,
    warm.py) in this process: the tool's options (``add_arguments``), its examples
    (``EXAMPLES``) and its ``run_cli``, as ``python3 <tool>.py`` has them."""
    parser = subparsers.add_parser(
        name,
        help=help,
        description=description,
        epilog=tool.EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tool.add_arguments(parser)
    parser.set_defaults(func=tool.run_cli)
