"""Converge the whole fleet in one pass: `pyinfra inventory/tailnet.py deploys/fleet.py`.

The server deploy on the hosts of the `server` group and the client deploy on the hosts
of the `clients` group (both on a host in both). It does what
`deploys/server.py deploys/client.py` does, but pyinfra loads one file, so every host
probes and plans at once instead of the clients waiting for the server's phase.
The server's steps still come first (its call is above the clients'): a client's version
lock written at execution sees the converged server.

Upgrades (issue 15, docs/upgrading.md): pyinfra runs one step on every host before the
next step, so the server's upgrade, its verification and any rollback are finished before
a client installs anything. A client's new Claude Code is then checked against the Ollama
the server runs at that moment (not moved if the matrix marks the pair broken, e.g. after
a rollback), installed in batches of `client_rollout_batch` clients in inventory order
(operations/rollout.py), and the batches after `client_rollout_max_failures` failed clients are left
untouched.

Every host must be in one of the groups: an inventory host in neither stops the run
before anything is sent. For an ad-hoc host (`@local`), use deploys/client.py.
"""

from pyinfra import host, inventory

from remote_ollama.client import converge_client, server_url
from remote_ollama.deploy_setup import prepare
from remote_ollama.preflight import DeployError
from remote_ollama.server import converge_server

ROLES = {"server", "clients"}

settings = prepare()  # pyinfra patches, Homebrew PATH, every host validated (see there)
ungrouped = sorted(h.name for h in inventory if not ROLES & set(h.groups))
if ungrouped:
    raise DeployError(
        "deploys/fleet.py converges the inventory's `server` and `clients` groups; not in "
        f"either: {', '.join(ungrouped)}. Nothing was run on any host. Put them in a group, "
        "or use deploys/client.py for an ad-hoc host like @local."
    )
if "server" in host.groups:
    converge_server(settings)
if "clients" in host.groups:
    converge_client(settings, server_url(settings, inventory))
