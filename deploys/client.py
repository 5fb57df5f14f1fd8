"""Converge the clients: `pyinfra inventory/tailnet.py deploys/client.py`.

This machine: `pyinfra @local deploys/client.py --data ollama_server_host=ai-server`.
Set `client_state = "absent"` (or `--data client_state=absent`) to uninstall.
Server and clients in one pass: deploys/fleet.py.
"""

from pyinfra import config, inventory

from remote_ollama import global_arguments, op_order
from remote_ollama.client import converge_client, server_url
from remote_ollama.facts.homebrew import BREW_PATH
from remote_ollama.validation import host_has_role, settings_for_current_host

op_order.install()  # before any operation: pyinfra's operation order without inspect
global_arguments.install()  # pyinfra's global-argument list computed once, not per op
settings = settings_for_current_host()  # every host validated before anything runs
if host_has_role("clients"):
    # Homebrew first on PATH for macOS commands and facts; on Linux its folders don't exist.
    config.ENV = {**config.ENV, "PATH": BREW_PATH}
    converge_client(settings, server_url(settings, inventory))
