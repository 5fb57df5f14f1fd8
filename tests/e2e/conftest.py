"""End-to-end fixtures: the SSH testbed fleet (tests/testbed), up once per session.

- `fleet`: a `testbed.Fleet` with ai-server and two clients up (see docs/testbed.md);
  taken down at the end of the session unless TESTBED_KEEP=1.
- `fleet_inventory`: the pyinfra inventory it wrote (groups `server`, `clients`).

Without root or on non-Linux the e2e tests are skipped with the reason; in CI
(CI=true) that is a failure instead, so a broken runner cannot pass by skipping.
Tests marked `fleet_destructive` (they take the fleet down) run after all others.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "testbed"))

from testbed import Fleet, missing_prerequisites

CLIENTS = 2


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "fleet_destructive: takes the testbed down; runs after all other tests"
    )


def pytest_collection_modifyitems(config, items):
    # Stable sort: destructive fleet tests last, everything else in its usual order.
    items.sort(key=lambda item: item.get_closest_marker("fleet_destructive") is not None)


def _require_testbed() -> None:
    problems = missing_prerequisites()
    if not problems:
        return
    reason = "SSH testbed unavailable: " + "; ".join(problems)
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason + " (CI=true, so this fails instead of skipping)", pytrace=False)
    pytest.skip(reason)


# One user of the fleet at a time (tests, demo, benchmark): kernel objects are global.
SESSION_LOCK = Path("/run/ro-testbed.session.lock")


@pytest.fixture(scope="session")
def fleet_session_lock():
    import fcntl

    _require_testbed()
    SESSION_LOCK.parent.mkdir(parents=True, exist_ok=True)
    with SESSION_LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@pytest.fixture(scope="session")
def fleet(fleet_session_lock):
    _require_testbed()
    testbed = Fleet()
    testbed.down()  # start from fresh hosts: the deploys' first converge is under test
    try:
        testbed.up(CLIENTS)
    except BaseException:
        testbed.down()
        raise
    yield testbed
    if os.environ.get("TESTBED_KEEP") != "1":
        problems = testbed.down()
        assert not problems, f"fleet down left: {problems}"


@pytest.fixture(scope="session")
def fleet_inventory(fleet) -> Path:
    return fleet.inventory


# --- the real deploys on the fleet -----------------------------------------------------

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.testbed.converge import (  # noqa: E402
    pyinfra,
    write_settings_inventory,
    write_ssh_config,
)

DEPLOYS = ("deploys/fleet.py",)  # the whole fleet in one pass
SEPARATE_DEPLOYS = ("deploys/server.py", "deploys/client.py")  # the same, one role per file


@pytest.fixture(scope="session")
def settings_inventory(fleet, tmp_path_factory) -> Path:
    """The fleet's inventory plus the testbed's settings (local mirror, small models)."""
    out = tmp_path_factory.mktemp("inventory") / "testbed.py"
    return write_settings_inventory(fleet.inventory, out)


@pytest.fixture(scope="session")
def ssh_config(fleet, tmp_path_factory) -> Path:
    return write_ssh_config(fleet.inventory, tmp_path_factory.mktemp("ssh") / "config")


@pytest.fixture(scope="session")
def first_converge(settings_inventory):
    """The whole fleet converged in one pyinfra run over SSH (server and clients)."""
    run = pyinfra(settings_inventory, *DEPLOYS)
    assert run.returncode == 0, run.stderr[-4000:]
    return run


@pytest.fixture
def converged(first_converge, settings_inventory):
    """Before a test: the fleet is converged (re-converging whatever an earlier test left)."""
    run = pyinfra(settings_inventory, *DEPLOYS)
    assert run.returncode == 0, run.stderr[-4000:]
    return settings_inventory
