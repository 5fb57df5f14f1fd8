"""remote_ollama.step: a step with nothing to do on a host is not planned there; any other
step is planned by pyinfra as before."""

from __future__ import annotations

import importlib

import pytest
from pyinfra import host
from pyinfra.api import Config, Inventory, State
from pyinfra.api.state import StateStage
from pyinfra.context import ctx_host, ctx_inventory, ctx_state

from remote_ollama.operations import rollout
from remote_ollama.step import operation

looked_at: list[tuple] = []


@operation()
def converge(wanted: str, current: str):
    """Yields a command only when ``current`` is not ``wanted``."""
    looked_at.append((host.name, wanted, current))
    if current == wanted:
        host.noop(f"{wanted} already")
        return
    yield f"set {wanted}"
    yield f"check {wanted}"


@operation()
def rollout_step(install: bool):
    if install:
        rollout.join(ctx_state.get(), host)
        yield "install"


@operation()
def nested():
    converge(wanted="x", current="y")  # an operation inside an operation
    yield "never"


@pytest.fixture(params=[True, False], ids=["checking", "-y"])
def planning(request):
    """A real pyinfra State, planning: checking for changes (the CLI's default), or not
    (``pyinfra -y``: no change check, only ``signature().bind``)."""
    looked_at.clear()
    inventory = Inventory((["one", "two"], {}))
    state = State(check_for_changes=request.param)
    state.init(inventory, Config())
    state.set_stage(StateStage.Prepare)
    with ctx_state.use(state), ctx_inventory.use(inventory):
        yield state, inventory


def on(target, op, **kwargs):
    with ctx_host.use(target):
        return op(**kwargs)


def commands(state, target) -> dict[str, list[str]]:
    with ctx_host.use(target):
        return {next(iter(state.op_meta[h].names)): [str(c) for c in data.command_generator()]
                for h, data in state.ops[target].items()}  # fmt: skip


def test_a_step_with_nothing_to_do_is_not_planned_on_that_host(planning):
    state, inventory = planning
    one, two = inventory.get_host("one"), inventory.get_host("two")
    done = on(one, converge, name="Set it", wanted="x", current="x")
    todo = on(two, converge, name="Set it", wanted="x", current="y", _sudo=True)
    assert state.ops[one] == {}
    assert done.will_change is False and done.changed is False
    assert commands(state, two) == {"Set it": ["set x", "check x"]}
    with ctx_host.use(two):  # with -y, pyinfra runs the generator when asked
        assert todo.will_change is True
    (data,) = state.ops[two].values()
    assert data.global_arguments["_sudo"] is True  # pyinfra's own handling of the rest
    assert state.get_meta_for_host(one).ops == 0 and state.get_meta_for_host(two).ops == 1


def test_the_generator_runs_without_the_global_arguments_and_once_more_when_planned(planning):
    state, inventory = planning
    one, two = inventory.get_host("one"), inventory.get_host("two")
    on(one, converge, name="Set it", wanted="x", current="x", _sudo=True, _ignore_errors=True)
    on(two, converge, name="Set it", wanted="x", current="y")
    # one: looked at once; two: looked at, then (without -y) pyinfra's change check, each
    # to its first command; and again whenever pyinfra runs the command generator
    checks = 2 if state.should_check_for_changes() else 1
    expected = [("one", "x", "x")] + [("two", "x", "y")] * checks
    assert looked_at == expected


def test_wrong_arguments_fail_as_they_did(planning):
    _, inventory = planning
    with pytest.raises(TypeError, match="unexpected keyword argument 'wanted_'"):
        on(inventory.get_host("one"), converge, name="Set it", wanted_="x", current="x")


def test_a_skipped_step_still_says_why_with_its_noop_message(planning, caplog):
    _, inventory = planning
    caplog.set_level("DEBUG", logger="pyinfra")
    on(inventory.get_host("one"), converge, name="Set it", wanted="x", current="x")
    assert "noop: x already" in caplog.text


def test_the_look_ahead_is_inside_an_operation_as_pyinfras_change_check(planning):
    _, inventory = planning
    one = inventory.get_host("one")
    with pytest.raises(Exception, match="Operation called within another operation"):
        on(one, nested, name="Nested")
    assert one.in_op is False  # put back after the exception


def test_the_look_ahead_does_not_join_a_rollout_pyinfra_then_does(planning):
    state, inventory = planning
    one, two = inventory.get_host("one"), inventory.get_host("two")
    on(one, rollout_step, name="Install", install=False)
    on(two, rollout_step, name="Install", install=True)
    (op_hash,) = state.ops[two]
    # Without -y pyinfra's change check joins; with -y nobody joins while planning, and
    # the rollout is every client with the step: here only the one with something to do.
    joined = {op_hash: {"planned": {"two"}, "held": set()}}
    assert rollout._ROLLOUTS.get(state, {}) == (joined if state.check_for_changes else {})
    assert rollout.queue(state, op_hash) == [two]


def test_when_executing_pyinfra_plans_and_runs_as_it_would(planning, monkeypatch):
    state, inventory = planning
    one = inventory.get_host("one")
    monkeypatch.setattr(State, "is_executing", property(lambda self: True))
    calls = []
    monkeypatch.setattr(importlib.import_module("pyinfra.api.operation"), "execute_immediately",
                        lambda *args: calls.append(args))  # fmt: skip
    on(one, converge, name="Set it", wanted="x", current="x")
    assert len(state.ops[one]) == 1 and len(calls) == 1  # an op added while executing


def test_a_rollout_is_kept_under_the_run_not_pyinfras_state_proxy(planning):
    """``from pyinfra import state`` is a proxy that outlives every run: keyed on it, a later
    run could read an earlier run's rollout."""
    import pyinfra

    state, inventory = planning
    two = inventory.get_host("two")
    on(two, rollout_step, name="Install", install=True)
    (op_hash,) = state.ops[two]
    rollout.hold(pyinfra.state, two, op_hash)  # as the operations call it: the proxy
    assert state in rollout._ROLLOUTS
    assert all(type(run) is State for run in rollout._ROLLOUTS)  # no proxy among the keys
    assert rollout._ROLLOUTS[state][op_hash]["held"] == {"two"}


def test_every_operation_of_the_package_is_a_step():
    """A new operation written with pyinfra's decorator would be planned on every host
    again, with nothing to do: only step.py may use it."""
    import ast
    from pathlib import Path

    package = Path(__file__).resolve().parents[2] / "remote_ollama"
    pyinfras = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.ImportFrom)
                    and node.module in ("pyinfra.api", "pyinfra.api.operation")
                    and any(alias.name == "operation" for alias in node.names)):
                pyinfras.append(path.relative_to(package).as_posix())
    assert pyinfras == ["step.py"]
