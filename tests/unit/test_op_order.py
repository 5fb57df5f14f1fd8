"""remote_ollama.op_order gives exactly pyinfra's operation order, and only on pyinfra 3.10."""

from __future__ import annotations

import importlib
import textwrap

import pyinfra
import pytest
from pyinfra import context
from pyinfra.api import Config, Inventory, State
from pyinfra.api.connect import connect_all
from pyinfra.api.state import StateStage
from pyinfra_cli.util import load_deploy_file

from remote_ollama import op_order
from tests.plan import harness
from tests.plan.clients import client_settings, converged, fresh_debian_client, fresh_mac_client
from tests.plan.clients import stub as client_stub
from tests.plan.macs import fresh_mac, stub

UTIL = importlib.import_module("pyinfra.api.util")
OPERATION = importlib.import_module("pyinfra.api.operation")
NAME = "get_operation_order_from_stack"
PYINFRA_OWN = op_order.original()  # collected before any deploy file installs the walk


@pytest.fixture(autouse=True)
def pyinfra_own_order():
    """Each test starts and ends with pyinfra's own function in place."""
    op_order.uninstall()
    yield
    op_order.uninstall()


@pytest.fixture
def cli_mode(monkeypatch):
    # Only the CLI orders operations by the call stack (the API numbers them per host).
    monkeypatch.setattr(pyinfra, "is_cli", True)


@pytest.fixture
def checked(monkeypatch):
    """Both functions on every operation; records each pair (they must be equal)."""
    pairs: list[tuple[list[int], list[int]]] = []

    def both(state):
        pairs.append((op_order.frame_walk_order(state), PYINFRA_OWN(state)))  # one line: same caller line
        return list(pairs[-1][1])  # pyinfra appends to it (loops, duplicate hashes)

    monkeypatch.setattr(op_order, "install", lambda: True)  # the deploy files keep `both`
    monkeypatch.setattr(UTIL, NAME, both)
    monkeypatch.setattr(OPERATION, NAME, both)
    return pairs


def fleet_hosts():
    claude = client_settings(claude_code_enabled=True)
    # A fresh server: a converged host's steps have nothing to do and are not planned.
    return {
        "server": {"ai-server": stub(fresh_mac())},
        "clients": {
            "mac": client_stub(fresh_mac_client(), claude_code_enabled=True),
            "debian": client_stub(converged(fresh_debian_client(), claude), claude_code_enabled=True),
        },
    }


def plan_with_state(deploy: str, monkeypatch) -> tuple[State, dict]:
    """harness.plan, keeping the state to read ``get_op_order()``."""
    seen = {}

    def load(state, filename):
        seen["state"] = state
        return load_deploy_file(state, filename)

    monkeypatch.setattr(harness, "load_deploy_file", load)
    hosts = fleet_hosts()
    hosts["server"]["fresh-server"] = stub(fresh_mac())
    plans = harness.plan(deploy, data={"ollama_server_host": "ai-server"}, **hosts)
    state = seen["state"]
    orders = {h.name: [state.op_meta[o].op_order for o in state.get_op_order()
                       if o in state.ops[h]] for h in state.inventory}  # fmt: skip
    return state, {"plans": plans, "ops": state.get_op_order(), "orders": orders}


@pytest.mark.parametrize("deploy", ["server", "client", "fleet"])
def test_planned_deploys_order_and_hash_operations_the_same_with_the_walk(
    deploy, cli_mode, monkeypatch
):
    monkeypatch.setattr(op_order, "install", lambda: False)  # pyinfra's own, as shipped before
    _, own = plan_with_state(deploy, monkeypatch)
    assert getattr(UTIL, NAME) is PYINFRA_OWN
    monkeypatch.undo()
    monkeypatch.setattr(pyinfra, "is_cli", True)
    _, walked = plan_with_state(deploy, monkeypatch)
    assert op_order.installed()  # the deploy file installed it
    assert len(own["ops"]) > 10
    assert walked["ops"] == own["ops"]  # the hashes are made from the order
    assert walked["orders"] == own["orders"]
    for name, plan in own["plans"].items():
        assert walked["plans"][name].ops == plan.ops, name


@pytest.mark.parametrize("deploy", ["server", "client", "fleet"])
def test_every_operation_of_the_deploys_gets_the_same_order(deploy, cli_mode, checked):
    hosts = fleet_hosts()
    harness.plan(deploy, data={"ollama_server_host": "ai-server"}, **hosts)
    assert len(checked) > 10
    assert [pair for pair in checked if pair[0] != pair[1]] == []


DEPLOY = '''
from pyinfra import host
from pyinfra.api import deploy
from pyinfra.operations import server


def step(text):
    server.shell(name=f"step {text}", commands=[f"echo {text}"])


@deploy("inner")
def inner(items):
    for item in items:
        step(item)
    server.shell(name="inner tail", commands=["true"])


@deploy("outer")
def outer():
    inner(["a", "b"])
    for n in range(2):
        server.shell(name="loop", commands=[f"echo {n}"])
        if host.name.endswith("2"):
            inner(["c"])


server.shell(name="first", commands=["true"])
outer()
for text in ("x", "y"):
    step(text)
'''


def test_nested_calls_deploy_functions_and_loops_give_the_same_order(tmp_path, cli_mode, checked):
    path = tmp_path / "nested.py"
    path.write_text(textwrap.dedent(DEPLOY))
    inventory = Inventory((["@fake/h1", "@fake/h2"], {}))
    state = State(check_for_changes=True)
    state.init(inventory, Config())
    with context.ctx_state.use(state), context.ctx_inventory.use(inventory):
        state.set_stage(StateStage.Connect)
        connect_all(state)
        state.set_stage(StateStage.Prepare)
        load_deploy_file(state, str(path))
    assert len(checked) == 8 + 12  # h2 also runs inner(["c"]) in both rounds of the loop
    assert [pair for pair in checked if pair[0] != pair[1]] == []
    assert {len(fast) for fast, _ in checked} == {3, 4, 5, 6}  # stacks of different depths
    names = [next(iter(state.op_meta[o].names)) for o in state.get_op_order()]
    assert names[0] == "first" and names[-1] == "step y"


def test_install_patches_where_pyinfra_defined_and_imported_it_once():
    assert op_order.install() is True
    assert getattr(UTIL, NAME) is op_order.frame_walk_order
    assert getattr(OPERATION, NAME) is op_order.frame_walk_order
    assert op_order.install() is True  # idempotent: the original is still known
    assert op_order.original() is PYINFRA_OWN
    op_order.uninstall()
    assert getattr(UTIL, NAME) is PYINFRA_OWN and getattr(OPERATION, NAME) is PYINFRA_OWN


@pytest.mark.parametrize("version", ["3.11.0", "3.9.2", "4.0.0", "unknown"])
def test_other_pyinfra_versions_are_left_alone(version, monkeypatch):
    monkeypatch.setattr(pyinfra, "__version__", version)
    assert op_order.install() is False
    assert getattr(UTIL, NAME) is PYINFRA_OWN and getattr(OPERATION, NAME) is PYINFRA_OWN


def test_supported_versions():
    assert pyinfra.__version__.startswith("3.10.")  # the venv's; the walk reproduces it
    assert op_order.supported("3.10.0") and op_order.supported("3.10.7")
    assert not op_order.supported("3.1.0") and not op_order.supported("3.100.0")
