"""remote_ollama.global_arguments gives pyinfra's own argument list, computed once."""

from __future__ import annotations

import importlib

from remote_ollama import global_arguments

ARGUMENTS = importlib.import_module("pyinfra.api.arguments")
FACTS = importlib.import_module("pyinfra.api.facts")


def test_same_list_as_pyinfra_and_installed_where_pyinfra_looks_it_up():
    global_arguments.uninstall()
    own = ARGUMENTS.all_global_arguments()
    try:
        assert global_arguments.install() is True
        assert ARGUMENTS.all_global_arguments is global_arguments.all_global_arguments_once
        assert FACTS.all_global_arguments is global_arguments.all_global_arguments_once
        assert global_arguments.all_global_arguments_once() == own
        assert ("_sudo", bool) in own  # a real list, not an empty one
    finally:
        global_arguments.uninstall()
    assert ARGUMENTS.all_global_arguments() == own  # pyinfra's own is back


def test_computed_once_and_each_caller_gets_its_own_list():
    calls = []
    global_arguments.uninstall()
    real = ARGUMENTS.all_global_arguments
    ARGUMENTS.all_global_arguments = lambda: calls.append(1) or real()
    try:
        global_arguments.install()
        first = global_arguments.all_global_arguments_once()
        first.clear()  # a caller changing its list changes nobody else's
        assert global_arguments.all_global_arguments_once() == real()
        assert len(calls) == 1
    finally:
        global_arguments.uninstall()
        ARGUMENTS.all_global_arguments = real


def test_other_pyinfra_versions_are_left_alone(monkeypatch):
    monkeypatch.setattr("pyinfra.__version__", "3.11.0")
    global_arguments.uninstall()
    own = ARGUMENTS.all_global_arguments
    assert global_arguments.install() is False
    assert ARGUMENTS.all_global_arguments is own
