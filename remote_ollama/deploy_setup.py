"""Everything a deploy file changes before its first operation, in one explicit call.

    from remote_ollama.deploy_setup import prepare
    settings = prepare()  # first line of deploys/server.py, client.py and fleet.py

``prepare`` does four things, in this order, and nothing else in the package changes
pyinfra or the environment when it is imported:

1. **pyinfra patches** that make a run cheaper without changing what it does (each only
   on pyinfra 3.10.x, where the original is known; elsewhere pyinfra is left alone):
   ``op_order.install()`` computes the operation order by walking frames instead of
   ``inspect.stack()``; ``global_arguments.install()`` computes pyinfra's list of global
   arguments once instead of per operation. Both must be in place before the first
   operation is created; installing twice is harmless.
   ``rollout.keep_inventory_order(state)`` makes pyinfra start each step's hosts in
   inventory order instead of the order of a set, so a client rollout's batches go in
   the order the user wrote (operations/rollout.py says why it must).
2. **PATH**: pyinfra's ``config.ENV`` gets ``PATH=BREW_PATH`` for every command and fact,
   the probe included. A non-interactive SSH shell on a Mac has no ``/opt/homebrew/bin``;
   on Linux those folders do not exist and the rest is the usual PATH.
3. **Settings**: every host's data is validated (``settings_for_current_host``) before any
   command is sent to any host; the current host's ``Settings`` is returned.
"""

from __future__ import annotations

from pyinfra import config, state

from remote_ollama import global_arguments, op_order
from remote_ollama.facts.homebrew import BREW_PATH
from remote_ollama.operations import rollout
from remote_ollama.settings import Settings
from remote_ollama.validation import settings_for_current_host


def prepare() -> Settings:
    """Install the pyinfra patches, put Homebrew on PATH, validate; the host's Settings."""
    op_order.install()
    global_arguments.install()
    rollout.keep_inventory_order(state)
    config.ENV = {**config.ENV, "PATH": BREW_PATH}
    return settings_for_current_host()
