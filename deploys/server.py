"""Converge the Ollama server: `pyinfra inventory/tailnet.py deploys/server.py`.

Set `server_state = "absent"` (or `--data server_state=absent`) to uninstall.
Server and clients in one pass: deploys/fleet.py.
"""

from remote_ollama.deploy_setup import prepare
from remote_ollama.server import converge_server
from remote_ollama.validation import host_has_role

settings = prepare()  # pyinfra patches, Homebrew PATH, every host validated (see there)
if host_has_role("server"):
    converge_server(settings)
