"""Example inventory: one Mac Studio server and two MacBook clients on a tailnet.

Hosts are MagicDNS names; replace them with yours (`tailscale status` lists them).
Run from the repo root so group_data/ applies:

    pyinfra inventory/tailnet.py deploys/server.py
    pyinfra inventory/tailnet.py deploys/client.py
"""

# The SSH user on every machine; pyinfra reads ssh_* keys from host or group data.
_ssh = {"ssh_user": "admin"}

server = [("ai-server.tail1234.ts.net", dict(_ssh))]

clients = [
    ("macbook-air.tail1234.ts.net", dict(_ssh)),
    ("macbook-pro.tail1234.ts.net", {**_ssh, "claude_code_enabled": True}),
]
