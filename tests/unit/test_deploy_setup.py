"""Deploy files change pyinfra and the environment only through ``deploy_setup.prepare``,
and importing the package changes neither."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEPLOYS = sorted((REPO / "deploys").glob("*.py"))


def test_every_deploy_file_prepares_once_and_patches_nothing_itself():
    assert DEPLOYS
    for path in DEPLOYS:
        tree = ast.parse(path.read_text())
        calls = [n.func.id for n in ast.walk(tree)
                 if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]  # fmt: skip
        assert calls.count("prepare") == 1, path.name
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        assert not names & {"op_order", "global_arguments", "config", "BREW_PATH"}, path.name


IMPORT_EVERYTHING = """
import importlib, pkgutil
import pyinfra.api.arguments, pyinfra.api.operation, pyinfra.api.state, pyinfra.api.util
modules = (pyinfra.api.arguments, pyinfra.api.operation, pyinfra.api.state, pyinfra.api.util)
def functions():
    return {(m.__name__, k): v for m in modules for k, v in vars(m).items() if callable(v)}
before = functions()
import remote_ollama
for m in pkgutil.walk_packages(remote_ollama.__path__, "remote_ollama."):
    if ".analytics.plot" not in m.name:
        importlib.import_module(m.name)
print(sorted(f"{m}.{k}" for (m, k), v in functions().items() if before.get((m, k)) is not v))
"""


def test_importing_the_package_installs_nothing():
    done = subprocess.run([sys.executable, "-c", IMPORT_EVERYTHING], capture_output=True,
                          text=True, cwd=REPO, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"  # no function of pyinfra's replaced


def test_prepare_sets_the_host_order_and_the_path(monkeypatch):
    from pyinfra import config
    from pyinfra.api import Config, Inventory, State
    from pyinfra.context import ctx_config, ctx_state

    from remote_ollama import deploy_setup
    from remote_ollama.facts.homebrew import BREW_PATH
    from remote_ollama.operations.rollout import InventoryOrder

    monkeypatch.setattr(deploy_setup, "settings_for_current_host", lambda: "settings")
    inventory = Inventory((["b-host", "a-host", "c-host"], {}))
    state = State(inventory, Config())
    for h in inventory:
        state.activate_host(h)
    with ctx_config.use(Config()), ctx_state.use(state):
        assert deploy_setup.prepare() == "settings"
        assert config.ENV["PATH"] == BREW_PATH
    # pyinfra starts every step's hosts in the inventory's order (operations/rollout.py)
    assert type(state.active_hosts) is InventoryOrder
    assert [h.name for h in inventory.get_active_hosts()] == ["b-host", "a-host", "c-host"]
