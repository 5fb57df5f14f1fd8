"""`./run demo`: a local fleet converged by the real deploys, then one real Aider prompt.

Brings up the testbed (one server pretending to be a Mac, two Debian clients; see
docs/testbed.md), converges it with deploys/fleet.py (server and client deploys) over SSH,
shows that a second run changes nothing, and asks the server a question with the Aider
that the client deploy installed. The fleet stays up for exploring; `./run down` removes it.
"""

from __future__ import annotations

import fcntl
import os
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "testbed"))

from testbed import Fleet, missing_prerequisites  # noqa: E402

from tests.testbed.converge import pyinfra, write_settings_inventory, write_ssh_config  # noqa: E402

SESSION_LOCK = Path("/run/ro-testbed.session.lock")
DEPLOYS = ("deploys/fleet.py",)  # server and client deploys in one pass
QUESTION = "In one sentence: what is a tailnet?"


def step(text: str) -> float:
    print(f"\n==> {text}", flush=True)
    return time.monotonic()


def main() -> int:
    if platform.system() != "Linux" or os.geteuid() != 0:
        print("The demo builds a fleet of network namespaces and needs root on Linux.\n"
              "Run it as root (e.g. sudo ./run demo), or converge real machines as the "
              "README's 'Converge your own machines' shows.")
        return 1
    problems = missing_prerequisites()
    if problems:
        print("Missing prerequisites: " + "; ".join(problems))
        return 1
    SESSION_LOCK.parent.mkdir(parents=True, exist_ok=True)
    with SESSION_LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return demo(Fleet())


def demo(fleet: Fleet) -> int:
    started = step("Bringing up the fleet: ai-server + ai-client-1 (zsh) + ai-client-2 (bash)")
    fleet.up(2)
    state = Path(fleet.inventory).parent
    inventory = write_settings_inventory(Path(fleet.inventory), state / "demo-inventory.py")
    ssh_config = write_ssh_config(Path(fleet.inventory), state / "ssh_config")
    print(f"    up in {time.monotonic() - started:.0f} s; inventory: {inventory}")

    started = step("Converging the fleet: pyinfra deploys/fleet.py")
    first = pyinfra(inventory, *DEPLOYS)
    if first.returncode != 0:
        print(first.stderr[-4000:])
        return 1
    changed = sum(len(hosts) for hosts in first.changed().values())
    print(f"    {changed} operation(s) changed something, in {time.monotonic() - started:.0f} s")

    started = step("Converging again: nothing should change")
    second = pyinfra(inventory, *DEPLOYS)
    print(f"    {sum(len(h) for h in second.changed().values())} change(s), "
          f"in {time.monotonic() - started:.1f} s")

    step(f"Asking Aider on ai-client-2: {QUESTION!r}")
    answer = fleet.exec("ai-client-2", "cd $(mktemp -d) && aider --yes --no-git --no-pretty "
                                       f"--no-show-model-warnings --message '{QUESTION}'",
                        timeout=300)
    print("    " + "\n    ".join((answer.stdout.strip() or answer.stderr.strip()).splitlines()[-8:]))

    print(f"""
==> The fleet is up. Explore it:
    ssh -F {ssh_config} ai-client-1        # zsh; try: aider, claude-ollama -p hi
    ssh -F {ssh_config} ai-server          # try: launchctl list, curl http://ai-server:11434/api/tags
    tests/testbed/fleet status
    .venv/bin/pyinfra {inventory} deploys/fleet.py
    ./run down                             # removes every host, mount and namespace
""")
    return 0 if answer.returncode == 0 and second.changed() == {} else 1


if __name__ == "__main__":
    sys.exit(main())
