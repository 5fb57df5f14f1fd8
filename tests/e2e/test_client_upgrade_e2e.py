"""Issue 15 on the testbed, clients: a Claude Code or Aider pin change is installed beside
the version in use and checked; when the check fails, the new one is removed and the old
one stays in use, and the run says so.

The broken releases are TEST-ONLY, served from the mirror's ``test-only/`` folder
(tests/testbed/fleetlib/faulty.py): Claude Code 2.1.333 whose binary reports 2.1.332, and
aider-chat 0.86.3 whose ``aider`` command cannot start. Each run points only its registry
(``claude_code_registry``) or wheelhouse (``package_find_links``) there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.testbed.converge import MIRROR, pyinfra
from tests.testbed.fleetlib import faulty

pytestmark = pytest.mark.e2e

CLIENT = "ai-client-1"  # zsh, Claude Code on (tests/testbed/converge.py)
LIMIT = ("--limit", CLIENT)
HOME = "/home/dev"
CLAUDE_ROOT = f"{HOME}/.local/share/remote-ollama/claude-code"
AIDER_ROOT = f"{HOME}/.local/share/remote-ollama/aider"


def record_output(title: str, text: str) -> None:
    from tests.e2e.test_upgrade import record_output as record

    record(title, text)


def claude_still_answers(converged, fleet) -> None:
    """The old Claude Code still answers through claude-ollama, and is what ``claude`` runs."""
    out = fleet.exec(CLIENT, "zsh -ic 'cd $(mktemp -d) && claude-ollama -p \"Say hello.\"'",
                     timeout=300)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert out.stdout.strip()
    version = fleet.exec(CLIENT, "zsh -ic 'claude --version'", check=True).stdout
    assert version.strip().splitlines()[-1].startswith("2.1.332")


def aider_still_runs(converged, fleet) -> None:
    """The old Aider is what ``aider`` runs, and a run back on the pin has nothing to do."""
    out = fleet.exec(CLIENT, "aider --version", check=True)
    assert out.stdout.strip().splitlines()[-1] == "aider 0.86.2"
    again = pyinfra(converged, "deploys/client.py", extra=LIMIT)
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.changed() == {}


@dataclass(frozen=True)
class Broken:
    """A TEST-ONLY release that fails its check, and what must still be true after it."""

    command: str  # ~/.local/bin/<command>
    root: str
    in_use: str  # the folder of the version in use, under root
    binary: str  # the command inside that folder
    data: dict[str, str]  # the --data that points the run at the broken release, pin first
    said: str
    still_works: Callable


BROKEN = [
    pytest.param(Broken(
        "claude", CLAUDE_ROOT, "2.1.332", "claude",
        {"claude_code_version": faulty.CLAUDE_VERSION,
         "claude_code_registry": MIRROR + "/test-only/npm"},
        "Claude Code 2.1.333 failed its check (--version says '2.1.332 (Claude Code)'); "
        "2.1.332 stays in use", claude_still_answers), id="claude-code"),
    pytest.param(Broken(
        "aider", AIDER_ROOT, "0.86.2-py3.11", "bin/aider",
        {"aider_version": faulty.AIDER_VERSION,
         "package_find_links": MIRROR + "/test-only/wheels/"},
        "Aider 0.86.3 failed its check (--version says 'ModuleNotFoundError: No module "
        "named 'aider''); 0.86.2 stays in use", aider_still_runs), id="aider"),
]


@pytest.mark.parametrize("broken", BROKEN)
def test_a_release_that_fails_its_check_leaves_the_old_version_working(
        converged, fleet, broken):
    in_use = f"{broken.root}/{broken.in_use}/{broken.binary}"

    def link() -> str:
        return fleet.exec(CLIENT, f"readlink {HOME}/.local/bin/{broken.command}",
                          check=True).stdout.strip()

    assert link() == in_use
    run = pyinfra(converged, "deploys/client.py", extra=LIMIT, data=broken.data)
    pin, version = next(iter(broken.data.items()))
    record_output(f"pyinfra deploys/client.py --data {pin}={version}", run.stderr[-4000:])
    assert run.returncode != 0
    assert broken.said in run.stdout + run.stderr
    # the old one is still what runs, and the new folder is gone
    assert link() == in_use
    assert fleet.exec(CLIENT, f"ls {broken.root}", check=True).stdout.split() == [
        broken.in_use]
    broken.still_works(converged, fleet)


def test_an_aider_rollout_stops_at_the_failure_threshold(converged, fleet):
    """Batches of one, one failure allowed: ai-client-1 (first in the inventory) fails the
    TEST-ONLY release's check; ai-client-2 is not touched."""
    run = pyinfra(converged, "deploys/fleet.py", data={
        "aider_version": faulty.AIDER_VERSION,
        "package_find_links": MIRROR + "/test-only/wheels/",
        "client_rollout_batch": "1", "client_rollout_max_failures": "1"})
    record_output(f"pyinfra deploys/fleet.py --data aider_version={faulty.AIDER_VERSION} "
                  "--data client_rollout_batch=1", run.stderr[-4000:])
    assert sorted(run.failed_hosts) == ["ai-client-1", "ai-client-2"]
    assert "Aider 0.86.3 failed its check" in run.stderr
    assert ("Aider 0.86.3 not installed: the rollout stopped after 1 client(s) failed; "
            "0.86.2 stays in use.") in run.stderr
    for client in ("ai-client-1", "ai-client-2"):
        assert fleet.exec(client, f"ls -A {AIDER_ROOT}", check=True).stdout.split() == [
            "0.86.2-py3.11"], client  # ai-client-2: not even a folder was made
        assert fleet.exec(client, "aider --version", check=True).stdout.strip().splitlines()[
            -1] == "aider 0.86.2"
