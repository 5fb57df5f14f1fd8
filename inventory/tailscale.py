"""Dynamic inventory: the `server` and `clients` groups from `tailscale status --json`.

Nodes tagged tag:ai-server / tag:ai-client (MagicDNS names; offline ones are skipped with
a warning). group_data/ applies as with any inventory file; run from the repo root:

    pyinfra inventory/tailscale.py deploys/server.py
    REMOTE_OLLAMA_TAILSCALE_STATUS=status.json pyinfra inventory/tailscale.py deploys/client.py

The tags come from REMOTE_OLLAMA_SERVER_TAG / REMOTE_OLLAMA_CLIENT_TAG (group_data is not
loaded yet while this file runs): keep them equal to tailscale_server_tag /
tailscale_client_tag. See docs/tailnet.md and remote_ollama/tailnet_inventory.py.
"""

from pyinfra.api.exceptions import PyinfraError

from remote_ollama.tailnet_inventory import TailnetInventoryError, inventory_groups

try:
    _groups = inventory_groups()
except TailnetInventoryError as _error:
    # A PyinfraError is shown as a one-line error instead of a traceback.
    raise PyinfraError(str(_error)) from None

server = _groups.server
clients = _groups.clients
