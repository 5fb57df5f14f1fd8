"""The pyinfra inventory (a Python file) and the controller's known_hosts for the fleet."""

from __future__ import annotations

import pprint
from pathlib import Path

from .layout import USER, Host

HEADER = '''\
"""pyinfra inventory of the local SSH testbed, written by `tests/testbed/fleet up`.

Groups: `server` (ai-server) and `clients` (ai-client-N). Regenerated on every `up`.
"""
'''


def host_data(host: Host, key: Path, known_hosts: Path) -> dict:
    return {
        "ssh_hostname": host.ip,
        "ssh_port": 22,
        "ssh_user": USER,
        "ssh_key": str(key),
        "ssh_known_hosts_file": str(known_hosts),
        "ssh_strict_host_key_checking": "yes",
    }


def render(fleet: list[Host], key: Path, known_hosts: Path) -> str:
    def group(hosts: list[Host]) -> str:
        entries = [(h.name, host_data(h, key, known_hosts)) for h in hosts]
        return pprint.pformat(entries, width=96, sort_dicts=False)

    server = [h for h in fleet if h.role == "server"]
    clients = [h for h in fleet if h.role == "client"]
    return f"{HEADER}\nserver = {group(server)}\n\nclients = {group(clients)}\n"


def write_inventory(path: Path, fleet: list[Host], key: Path, known_hosts: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(render(fleet, key, known_hosts))
    tmp.replace(path)


def write_known_hosts(path: Path, keys_by_host: dict[Host, list[str]]) -> None:
    lines = [f"{h.name},{h.ip} {key}" for h, keys in keys_by_host.items() for key in keys]
    path.write_text("\n".join(lines) + "\n")
