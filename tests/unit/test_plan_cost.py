"""bench/plan_cost.py: plans a converged fleet in process and refuses a fleet with work."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import plan_cost


def test_it_prints_the_planning_cost_per_extra_converged_client(capsys):
    import pyinfra

    was_cli = pyinfra.is_cli
    assert plan_cost.main(["--clients", "3", "--rounds", "1"]) == 0
    assert pyinfra.is_cli is was_cli  # put back: other tests plan in API mode
    out = capsys.readouterr().out
    assert "per extra converged client:" in out and out.rstrip().endswith(" ms")


def test_a_fleet_with_something_to_do_is_not_measured(monkeypatch):
    from tests.plan.clients import fresh_debian_client
    from tests.plan.clients import stub as client_stub

    fresh = plan_cost.converged_fleet

    def one_fresh(clients):
        server, hosts = fresh(clients)
        hosts["ai-client-1"] = client_stub(fresh_debian_client(), aider_python="3.11")
        return server, hosts

    monkeypatch.setattr(plan_cost, "converged_fleet", one_fresh)
    with pytest.raises(SystemExit, match=r"not a converged fleet: .*ai-client-1"):
        plan_cost.plan_once(2)
