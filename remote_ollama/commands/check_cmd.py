"""`remote-ollama check`: the contract test (see remote_ollama/contract.py)."""

from __future__ import annotations

from remote_ollama import contract
from remote_ollama.commands import register_tool


def register(subparsers) -> None:
    register_tool(
        subparsers,
        "check",
        contract,
        help="check an Ollama server (and this client) against the contract",
        description=(
            "Check the native, OpenAI and Anthropic APIs of an Ollama server and, on a client, "
            "~/.ai-client/env and the profile block. Prints pass, fail or skip per check."
        ),
    )
