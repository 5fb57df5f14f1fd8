"""remote_ollama.global_arguments gives pyinfra's own answers, with less work per operation."""

from __future__ import annotations

import importlib
import itertools

import pytest
from pyinfra.api import Config, Inventory, State

from remote_ollama import global_arguments

ARGUMENTS = importlib.import_module("pyinfra.api.arguments")
CALLERS = {name: importlib.import_module(f"pyinfra.api.{name}")
           for name in ("facts", "operation", "deploy")}  # fmt: skip


@pytest.fixture
def pyinfra_own():
    """pyinfra's functions (the fast ones uninstalled during the test, as before it)."""
    was_installed = ARGUMENTS.pop_global_arguments is global_arguments.pop_global_arguments_once
    global_arguments.uninstall()
    yield ARGUMENTS.all_global_arguments, ARGUMENTS.pop_global_arguments
    global_arguments.uninstall()
    if was_installed:
        global_arguments.install()


def test_installed_where_pyinfra_looks_them_up(pyinfra_own):
    assert global_arguments.install() is True
    assert ARGUMENTS.all_global_arguments is global_arguments.all_global_arguments_once
    assert CALLERS["facts"].all_global_arguments is global_arguments.all_global_arguments_once
    for module in (ARGUMENTS, *CALLERS.values()):
        assert module.pop_global_arguments is global_arguments.pop_global_arguments_once
    global_arguments.uninstall()
    assert (ARGUMENTS.all_global_arguments, ARGUMENTS.pop_global_arguments) == pyinfra_own


def test_argument_list_is_pyinfras_computed_once(pyinfra_own, monkeypatch):
    own_list, _ = pyinfra_own
    calls = []
    monkeypatch.setattr(ARGUMENTS, "all_global_arguments", lambda: calls.append(1) or own_list())
    global_arguments.install()
    first = global_arguments.all_global_arguments_once()
    first.clear()  # a caller changing its list changes nobody else's
    assert global_arguments.all_global_arguments_once() == own_list()
    assert ("_sudo", bool) in own_list() and len(calls) == 1


def _state() -> State:
    """Hosts whose data sets global arguments at every layer pyinfra reads."""
    inventory = Inventory(
        (["plain", ("own", {"_sudo": True, "_env": {"A": "1"}, "_retries": 3})],
         {"_shell_executable": "bash"}),  # inventory-wide data
        override_data={"_timeout": 7},
        admins=(["own", "grouped"], {"_sudo_user": "admin", "_su_user": "root"}),
    )
    state = State(check_for_changes=False)
    state.init(inventory, Config())
    return state


CALLS = [{}, {"_sudo": False}, {"_env": {"B": "2"}, "not_global": 1},
         {"_serial": True, "_retries": 1}, {"_sudo_user": "x", "_timeout": 1}]


@pytest.mark.parametrize(("call", "deploy_kwargs", "host_override"), list(
    itertools.product(CALLS, [None, {"_sudo": True, "_retries": 5}], [None, "alice"])))
def test_popped_arguments_match_pyinfras_on_every_layer(pyinfra_own, call, deploy_kwargs,
                                                        host_override):  # fmt: skip
    _, own_pop = pyinfra_own
    state = _state()
    for host in state.inventory:
        host.current_deploy_kwargs = deploy_kwargs
        if host_override:
            host.data._su_user = host_override  # HostData's override layer
        theirs_kwargs, ours_kwargs = dict(call), dict(call)
        theirs = own_pop(state, host, theirs_kwargs)
        ours = global_arguments.pop_global_arguments_once(state, host, ours_kwargs)
        assert (dict(ours[0]), ours[1]) == (dict(theirs[0]), theirs[1]), host.name
        assert ours_kwargs == theirs_kwargs  # the same keys popped, the rest left
    assert any(a for a in ours[0].values())  # the layers did set something


def test_a_bad_type_fails_as_pyinfra_fails(pyinfra_own):
    from pyinfra.api.exceptions import ArgumentTypeError

    state = _state()
    host = state.inventory.get_host("plain")
    with pytest.raises(ArgumentTypeError, match="_sudo"):
        global_arguments.pop_global_arguments_once(state, host, {"_sudo": "yes please"})


def test_other_pyinfra_versions_are_left_alone(pyinfra_own, monkeypatch):
    monkeypatch.setattr("pyinfra.__version__", "3.11.0")
    assert global_arguments.install() is False
    assert (ARGUMENTS.all_global_arguments, ARGUMENTS.pop_global_arguments) == pyinfra_own
