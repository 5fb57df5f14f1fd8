"""deploys/fleet.py: the server and client deploys in one pass, planned against stubbed hosts."""

from __future__ import annotations

import pytest
from pyinfra.api.exceptions import PyinfraError

from tests.plan import harness
from tests.plan.clients import client_settings, converged, fresh_debian_client, fresh_mac_client
from tests.plan.clients import stub as client_stub
from tests.plan.harness import plan
from tests.plan.macs import converged_mac, fresh_mac, group_settings, stub

CLAUDE = {"claude_code_enabled": True}
PROBE = "{ echo '@@remote-ollama-probe-begin"  # probe.probe_script


@pytest.fixture(autouse=True)
def cli_mode(monkeypatch):
    """Order operations as the CLI does, by call site. In API mode pyinfra numbers them per
    host, so the server's and a client's n-th steps would be taken for one operation."""
    import pyinfra

    monkeypatch.setattr(pyinfra, "is_cli", True)


def probes(host) -> list[str]:
    return [c for c in host.executed if c.startswith(PROBE)]


def converged_fleet() -> tuple[dict, dict]:
    debian = converged(fresh_debian_client(), client_settings(aider_python="3.11"))
    mac = converged(fresh_mac_client(), client_settings(**CLAUDE))
    return (
        {"ai-server": stub(converged_mac(group_settings("server")))},
        {
            "ai-client-1": client_stub(mac, **CLAUDE),
            "ai-client-2": client_stub(debian, aider_python="3.11"),
        },
    )


def fresh_fleet() -> tuple[dict, dict]:
    return (
        {"ai-server": stub(fresh_mac())},
        {
            "ai-client-1": client_stub(fresh_mac_client(), **CLAUDE),
            "ai-client-2": client_stub(fresh_debian_client(), aider_python="3.11"),
        },
    )


def test_converged_fleet_gets_zero_changes_from_the_probes_alone():
    server, clients = converged_fleet()
    result = plan("fleet", server=server, clients=clients)
    assert set(result) == {"ai-server", "ai-client-1", "ai-client-2"}
    for name, host in result.items():
        assert host.changes == [], name
        assert host.ops == [], name  # not even a step with nothing to do (step.py)
        assert probes(host) == host.executed, name
    # Bound to its Tailscale address, the server's shell looks the address up in the probe.
    assert len(result["ai-server"].executed) == 1
    assert "@@remote-ollama-probe-begin api_tailnet'" in result["ai-server"].executed[0]
    assert len(result["ai-client-1"].executed) == len(result["ai-client-2"].executed) == 1


def test_a_server_on_a_fixed_address_is_read_with_one_probe_too():
    settings = group_settings("server", ollama_bind="loopback")
    server = {"ai-server": stub(converged_mac(settings), ollama_bind="loopback")}
    _, clients = converged_fleet()
    result = plan("fleet", server=server, clients=clients)
    assert result["ai-server"].changes == []
    assert len(result["ai-server"].executed) == 1
    assert "http://127.0.0.1:11434/api/tags" in result["ai-server"].executed[0]


def test_fresh_fleet_plans_the_union_of_both_deploys():
    server, clients = fresh_fleet()
    fleet = plan("fleet", server=server, clients=clients)
    alone = {
        "ai-server": plan("server", server=server, clients=clients)["ai-server"],
        **{n: p for n, p in plan("client", server=server, clients=clients).items() if n in clients},
    }
    for name, host in fleet.items():
        assert host.ops == alone[name].ops, name
        assert probes(host) == probes(alone[name]), name
    assert "Install Ollama (Homebrew formula)" in fleet["ai-server"].changes
    assert "Install Claude Code 2.1.332" in fleet["ai-client-1"].changes
    assert "Install uv (user venv)" in fleet["ai-client-2"].changes


def planned_order(deploys: list[str], server: dict, clients: dict) -> list[tuple[str, str]]:
    """(role, operation name) in the order pyinfra runs them, for ``deploys`` given as the CLI
    would take them (file by file, numbered)."""
    states, load_file = [], harness.load_deploy_file

    def load(state, _filename):
        states.append(state)
        for number, deploy in enumerate(deploys):
            state.current_op_file_number = number
            load_file(state, str(harness.REPO / "deploys" / f"{deploy}.py"))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(harness, "load_deploy_file", load)
        plan("fleet", server=server, clients=clients)
    (state,) = states
    order = []
    for op in state.get_op_order():
        hosts = [h for h in state.inventory if op in state.ops[h]]
        role = "server" if all("server" in h.groups for h in hosts) else "clients"
        order.append((role, next(iter(state.op_meta[op].names)).split(" | ")[-1]))
    return order


def test_steps_run_in_the_order_of_server_py_then_client_py():
    """pyinfra runs each host's steps in order, interleaving hosts step by step and the
    server's first within a step (its call comes first): the same as the two files."""
    server, clients = fresh_fleet()
    fleet = planned_order(["fleet"], server, clients)
    assert fleet == planned_order(["server", "client"], server, clients)
    assert fleet[0] == ("server", "Install Ollama (Homebrew formula)")  # the first with work
    lock = fleet.index(("clients", "Write the version lock"))
    assert ("server", "Pull missing models") in fleet[:lock]


def test_bad_input_on_one_host_sends_nothing_to_any_host(sent):
    server, clients = fresh_fleet()
    clients["ai-client-2"]["aider_installer"] = "pip"
    with pytest.raises(PyinfraError, match=r"ai-client-2: aider_installer"):
        plan("fleet", server=server, clients=clients)
    assert sent == []


def test_a_host_in_neither_group_stops_the_run_before_anything_is_sent(sent, monkeypatch):
    inventory = harness.Inventory

    def with_stray(names_data, **kwargs):
        names, data = names_data
        return inventory(([*names, "@fake/stray"], data), **kwargs)

    monkeypatch.setattr(harness, "Inventory", with_stray)
    server, clients = fresh_fleet()
    with pytest.raises(PyinfraError, match=r"not in either: @fake/stray\..*deploys/client.py"):
        plan("fleet", server=server, clients=clients)
    assert sent == []
