"""Converge the Ollama server: `pyinfra inventory/tailnet.py deploys/server.py`.

Set `server_state = "absent"` (or `--data server_state=absent`) to uninstall.
Server and clients in one pass: deploys/fleet.py.
"""

from pyinfra import config

from remote_ollama import global_arguments, op_order
from remote_ollama.facts.homebrew import BREW_PATH
from remote_ollama.server import converge_server
from remote_ollama.validation import host_has_role, settings_for_current_host

op_order.install()  # before any operation: pyinfra's operation order without inspect
global_arguments.install()  # pyinfra's global-argument list computed once, not per op
settings = settings_for_current_host()  # every host validated before anything runs
if host_has_role("server"):
    config.ENV = {**config.ENV, "PATH": BREW_PATH}  # Homebrew on PATH for commands and facts
    converge_server(settings)
