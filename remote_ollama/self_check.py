"""The contract check a deploy runs on its host after it changed something.

``remote_ollama/contract.py`` is stdlib-only, so it is shipped as one file and run with
the host's python3: the server checks itself, a client checks the server (warning only).
A run that changes nothing adds no check, so a no-op converge stays a no-op.
"""

from __future__ import annotations

import functools
from pathlib import Path

from pyinfra import host, state

from remote_ollama.operations import files, ollama
from remote_ollama.plist import expand_home

TOOLS_DIR = "~/.local/share/remote-ollama"


def tool_paths(home: str) -> dict[str, str]:
    tools = expand_home(TOOLS_DIR, home)
    return {"contract": f"{tools}/contract.py", "warm": f"{tools}/warm.py"}


@functools.cache
def shipped_source(tool: str) -> str:
    """The text of ``remote_ollama/<tool>.py`` as shipped (read once per run, not imported)."""
    return (Path(__file__).with_name(f"{tool}.py")).read_text(encoding="utf-8")


def ship_tools(home: str, with_warm: bool) -> None:
    paths = tool_paths(home)
    files.shipped_file(name="Ship the contract check", path=paths["contract"],
                       content=shipped_source("contract"), mode="755")
    if with_warm:
        files.shipped_file(name="Ship the warm-up tool", path=paths["warm"],
                           content=shipped_source("warm"), mode="755")


def operations_so_far() -> list:
    """Results of the operations this host has planned so far in this run."""
    return [data.operation_meta for data in state.ops[host].values()]


def check_after_changes(name: str, home: str, base_url: str, client: bool = False) -> None:
    """Run the shipped contract check if any earlier step of this host changes something."""
    changes = [op for op in operations_so_far() if op.will_change]
    if not changes:
        return
    ollama.contract_checked(
        name=name,
        script=tool_paths(home)["contract"],
        base_url=base_url,
        client=client,
        _if=lambda: any(op.did_change() for op in changes),
        _ignore_errors=client,  # a client's failed check warns; the server's fails the run
    )
