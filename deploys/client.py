"""Converge the clients: `pyinfra inventory/tailnet.py deploys/client.py`.

This machine: `pyinfra @local deploys/client.py --data ollama_server_host=ai-server`.
Set `client_state = "absent"` (or `--data client_state=absent`) to uninstall.
Server and clients in one pass: deploys/fleet.py.
"""

from pyinfra import inventory

from remote_ollama.client import converge_client, server_url
from remote_ollama.deploy_setup import prepare
from remote_ollama.validation import host_has_role

settings = prepare()  # pyinfra patches, Homebrew PATH, every host validated (see there)
if host_has_role("clients"):
    converge_client(settings, server_url(settings, inventory))
