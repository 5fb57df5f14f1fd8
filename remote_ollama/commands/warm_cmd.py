"""`remote-ollama warm`: pull missing models and load them (see remote_ollama/warm.py)."""

from __future__ import annotations

from remote_ollama import warm
from remote_ollama.commands import register_tool


def register(subparsers) -> None:
    register_tool(
        subparsers,
        "warm",
        warm,
        help="pull missing models and load them into memory",
        description=(
            "Pull each model that is missing (checking every line of the pull stream for "
            "errors), then load it with keep_alive. A failure does not stop the others."
        ),
    )
