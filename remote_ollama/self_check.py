"""The contract check a deploy runs on its host after it changed something.

``remote_ollama/contract.py`` is stdlib-only, so it is shipped as one file and run with
the host's python3: the server checks itself, a client checks the server (warning only).
A run that changes nothing adds no check, so a no-op converge stays a no-op.

The check has a deadline for the whole run, and its failures are printed as a warning
(client) or an error (server) naming each failed check, not pyinfra's bare
"Error (ignored): executed 0 commands".
"""

from __future__ import annotations

import functools
import json
import shlex
from pathlib import Path

from pyinfra import host, state

from remote_ollama.operations import files
from remote_ollama.operations.shown import ShownCommand
from remote_ollama.plist import expand_home
from remote_ollama.step import operation

TOOLS_DIR = "~/.local/share/remote-ollama"
SERVER_DEADLINE = 300  # seconds for the server's whole check: a cold model loads first
CLIENT_DEADLINE = 120  # seconds for a client's check, which only warns


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
    contract_checked(
        name=name,
        script=tool_paths(home)["contract"],
        base_url=base_url,
        client=client,
        _if=lambda: any(op.did_change() for op in changes),
        _ignore_errors=client,  # a client's failed check warns; the server's fails the run
    )


def check_command(script: str, base_url: str, client: bool, deadline: float) -> str:
    scope = "--client" if client else "--no-client"
    return (
        f"python3 -Es {shlex.quote(script)} --server {shlex.quote(base_url)} {scope} "
        f"--json --deadline {deadline:g}"
    )


def explain(output, client: bool) -> list[str]:
    """What to tell the user about a failed check, from its --json report."""
    try:
        report = json.loads(output.stdout)
        checks = report["checks"]
        failed = [c for c in checks if c["status"] == "fail"]
        server = report["server"]
        then = "; this client is converged and this only warns" if client else ""
        lines = [f"{server} fails {len(failed)} of {len(checks)} contract checks{then}:"]
        for check in failed:
            hint = f" Try: {check['hint']}" if check.get("hint") else ""
            lines.append(f"  {check['name']}: got {check['got']}.{hint}")
    except (ValueError, TypeError, KeyError, AttributeError):
        tail = [line for line in output.output_lines if line.strip()][-3:]
        return ["the contract check did not run to the end:", *(f"  {line}" for line in tail)]
    lines.append(f"  Details: remote-ollama check --server {server}")
    return lines


@operation()
def contract_checked(script: str, base_url: str, client: bool = False, deadline: float = 0):
    """Run the shipped contract check against the server (used after a change).

    + script: path of the shipped ``contract.py`` on the host
    + base_url: the server's API
    + client: also check this client's env file and profile block; a failure only warns
    + deadline: seconds for the whole check (default: 300 on the server, 120 on a client)

    Example:

    .. code:: python

        contract_checked(script="/Users/me/.local/share/remote-ollama/contract.py",
                         base_url="http://100.100.1.2:11434")
    """
    deadline = deadline or (CLIENT_DEADLINE if client else SERVER_DEADLINE)
    yield ShownCommand(
        check_command(script, base_url, client, deadline),
        explain=functools.partial(explain, client=client),
        warn_only=client,
        timeout=int(deadline) + 30,
    )
