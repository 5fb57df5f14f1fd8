"""Issue 15 on the testbed, clients: a Claude Code or Aider pin change is installed beside
the version in use and checked; when the check fails, the new one is removed and the old
one stays in use, and the run says so.

The broken releases are TEST-ONLY, served from the mirror's ``test-only/`` folder
(tests/testbed/fleetlib/faulty.py): Claude Code 2.1.333 whose binary reports 2.1.332, and
aider-chat 0.86.3 whose ``aider`` command cannot start. Each run points only its registry
(``claude_code_registry``) or wheelhouse (``package_find_links``) there.
"""

from __future__ import annotations

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


def test_a_claude_code_build_that_fails_its_check_leaves_the_old_version_working(
        converged, fleet):
    assert fleet.exec(CLIENT, f"readlink {HOME}/.local/bin/claude", check=True).stdout.strip() \
        == f"{CLAUDE_ROOT}/2.1.332/claude"
    run = pyinfra(converged, "deploys/client.py", extra=LIMIT, data={
        "claude_code_version": faulty.CLAUDE_VERSION,
        "claude_code_registry": MIRROR + "/test-only/npm"})
    record_output(f"pyinfra deploys/client.py --data claude_code_version={faulty.CLAUDE_VERSION}",
                  run.stderr[-4000:])
    assert run.returncode != 0
    assert ("Claude Code 2.1.333 failed its check (--version says '2.1.332 (Claude Code)'); "
            "2.1.332 stays in use") in run.stdout + run.stderr
    # the old one is still what runs, and the new folder is gone
    assert fleet.exec(CLIENT, f"readlink {HOME}/.local/bin/claude", check=True).stdout.strip() \
        == f"{CLAUDE_ROOT}/2.1.332/claude"
    assert fleet.exec(CLIENT, f"ls {CLAUDE_ROOT}", check=True).stdout.split() == ["2.1.332"]
    out = fleet.exec(CLIENT, "zsh -ic 'cd $(mktemp -d) && claude-ollama -p \"Say hello.\"'",
                     timeout=300)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert out.stdout.strip()
    version = fleet.exec(CLIENT, "zsh -ic 'claude --version'", check=True).stdout
    assert version.strip().splitlines()[-1].startswith("2.1.332")


def test_an_aider_release_that_fails_its_check_leaves_the_old_version_working(converged, fleet):
    in_use = f"{AIDER_ROOT}/0.86.2-py3.11/bin/aider"
    assert fleet.exec(CLIENT, f"readlink {HOME}/.local/bin/aider", check=True).stdout.strip() \
        == in_use
    run = pyinfra(converged, "deploys/client.py", extra=LIMIT, data={
        "aider_version": faulty.AIDER_VERSION,
        "package_find_links": MIRROR + "/test-only/wheels/"})
    record_output(f"pyinfra deploys/client.py --data aider_version={faulty.AIDER_VERSION}",
                  run.stderr[-4000:])
    assert run.returncode != 0
    assert ("Aider 0.86.3 failed its check (--version says 'ModuleNotFoundError: No module "
            "named 'aider''); 0.86.2 stays in use") in run.stdout + run.stderr
    assert fleet.exec(CLIENT, f"readlink {HOME}/.local/bin/aider", check=True).stdout.strip() \
        == in_use
    assert fleet.exec(CLIENT, f"ls {AIDER_ROOT}", check=True).stdout.split() == ["0.86.2-py3.11"]
    out = fleet.exec(CLIENT, "aider --version", check=True)
    assert out.stdout.strip().splitlines()[-1] == "aider 0.86.2"
    again = pyinfra(converged, "deploys/client.py", extra=LIMIT)  # back on the pin: nothing to do
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.changed() == {}


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
