"""Everything a deploy file changes before its first operation, in one explicit call.

    from remote_ollama.deploy_setup import prepare
    settings = prepare()  # first line of deploys/server.py, client.py and fleet.py

``prepare`` does three things, in this order, and nothing else in the package changes
pyinfra or the environment when it is imported:

1. **Host order**: ``rollout.keep_inventory_order(state)`` makes pyinfra start each
   step's hosts in inventory order instead of the order of a set, so a client rollout's
   batches go in the order the user wrote (operations/rollout.py says why it must).
   (Earlier versions also replaced two per-operation costs of pyinfra 3.10; since a step
   with nothing to do is not planned at all, ``remote_ollama/step.py``, a no-op plans no
   operation and those costs are gone without touching pyinfra.)
2. **PATH**: pyinfra's ``config.ENV`` gets ``PATH=BREW_PATH`` for every command and fact,
   the probe included. A non-interactive SSH shell on a Mac has no ``/opt/homebrew/bin``;
   on Linux those folders do not exist and the rest is the usual PATH.
3. **Settings**: every host's data is validated (``settings_for_current_host``) before any
   command is sent to any host; the current host's ``Settings`` is returned.
"""

from __future__ import annotations

from pyinfra import config, state

from remote_ollama.facts.homebrew import BREW_PATH
from remote_ollama.operations import rollout
from remote_ollama.settings import Settings
from remote_ollama.validation import settings_for_current_host


def prepare() -> Settings:
    """Inventory order, Homebrew on PATH, every host validated; the host's Settings."""
    rollout.keep_inventory_order(state)
    config.ENV = {**config.ENV, "PATH": BREW_PATH}
    return settings_for_current_host()
