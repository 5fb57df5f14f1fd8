"""Build the `server` and `clients` inventory groups from `tailscale status --json`.

Pure logic for ``inventory/tailscale.py``. Every node the local Tailscale knows, ``Self``
included, is a candidate: a node tagged with the server tag goes to ``server``, one tagged
with the client tag to ``clients``. Host names are MagicDNS names (``DNSName`` without its
trailing dot). Offline nodes are skipped with a warning on stderr. Exactly one online
server is required, and no node may carry both tags.

Environment (group_data is not loaded yet while the inventory itself is being built, so
the tags cannot come from there):

- ``REMOTE_OLLAMA_TAILSCALE_STATUS``: read this saved ``tailscale status --json`` file
  instead of running ``tailscale``;
- ``REMOTE_OLLAMA_TAILSCALE_BIN``: the tailscale CLI (default ``tailscale``; on macOS the
  app's CLI is ``/Applications/Tailscale.app/Contents/MacOS/Tailscale``);
- ``REMOTE_OLLAMA_SERVER_TAG`` / ``REMOTE_OLLAMA_CLIENT_TAG``: the tags (defaults: the
  schema's ``tag:ai-server`` / ``tag:ai-client``). Keep them equal to
  ``tailscale_server_tag`` / ``tailscale_client_tag`` in group_data.

Example:
    >>> status = {"BackendState": "Running", "Self": {"HostName": "studio",
    ...     "DNSName": "studio.tail1.ts.net.", "Online": True, "Tags": ["tag:ai-server"]},
    ...     "Peer": {}}
    >>> build_groups(status, "tag:ai-server", "tag:ai-client").server
    ['studio.tail1.ts.net']
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from remote_ollama.settings import IPV4_RE, TAG_RE, Settings

STATUS_ENV = "REMOTE_OLLAMA_TAILSCALE_STATUS"
BIN_ENV = "REMOTE_OLLAMA_TAILSCALE_BIN"
SERVER_TAG_ENV = "REMOTE_OLLAMA_SERVER_TAG"
CLIENT_TAG_ENV = "REMOTE_OLLAMA_CLIENT_TAG"


class TailnetInventoryError(Exception):
    """The tailnet cannot give a usable inventory; the message says what to do."""


@dataclass
class Groups:
    """The inventory groups, plus warnings about the nodes left out."""

    server: list[str] = field(default_factory=list)
    clients: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Node:
    """One tailnet node, as the inventory needs it."""

    host: str
    tags: tuple[str, ...]
    online: bool
    is_self: bool

    def describe(self) -> str:
        tags = ",".join(self.tags) or "no tags"
        state = "online" if self.online else "offline"
        return f"{self.host} ({tags}; {state}{'; this machine' if self.is_self else ''})"


# --- reading the status -------------------------------------------------------------------


def read_status(
    env: Mapping[str, str] = os.environ,
    run: Callable[..., subprocess.CompletedProcess] = subprocess.run,
) -> dict[str, Any]:
    """The status JSON: from the file named by $REMOTE_OLLAMA_TAILSCALE_STATUS, or the CLI."""
    path = env.get(STATUS_ENV)
    if path:
        try:
            with open(path, encoding="utf-8") as handle:
                return _parse(handle.read(), f"{STATUS_ENV}={path}")
        except OSError as exc:
            raise TailnetInventoryError(
                f"cannot read {STATUS_ENV}={path}: {exc.strerror}; save one with "
                "`tailscale status --json > status.json`"
            ) from None
    binary = env.get(BIN_ENV, "tailscale")
    try:
        result = run([binary, "status", "--json"], capture_output=True, text=True, timeout=30)
    except FileNotFoundError:
        raise TailnetInventoryError(
            f"the `{binary}` command was not found on this machine (the controller). Install "
            f"Tailscale, set {BIN_ENV} to its CLI (macOS app: "
            "/Applications/Tailscale.app/Contents/MacOS/Tailscale), or set "
            f"{STATUS_ENV} to a saved `tailscale status --json` file."
        ) from None
    except subprocess.TimeoutExpired:
        raise TailnetInventoryError(f"`{binary} status --json` did not answer in 30 s") from None
    if result.returncode != 0:
        raise TailnetInventoryError(
            f"`{binary} status --json` failed (exit {result.returncode}): "
            f"{result.stderr.strip() or 'no message'}. Is tailscaled running and logged in?"
        )
    return _parse(result.stdout, f"`{binary} status --json`")


def _parse(text: str, source: str) -> dict[str, Any]:
    try:
        status = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TailnetInventoryError(f"{source} is not JSON: {exc}") from None
    if not isinstance(status, dict):
        raise TailnetInventoryError(f"{source} is not a tailscale status object")
    return status


def tags_from_env(env: Mapping[str, str] = os.environ) -> tuple[str, str]:
    """(server tag, client tag) from the environment, defaulting to the schema's defaults."""
    defaults = Settings.model_fields
    server = env.get(SERVER_TAG_ENV) or defaults["tailscale_server_tag"].default
    client = env.get(CLIENT_TAG_ENV) or defaults["tailscale_client_tag"].default
    for name, tag in ((SERVER_TAG_ENV, server), (CLIENT_TAG_ENV, client)):
        if not TAG_RE.fullmatch(tag):
            raise TailnetInventoryError(
                f"{name}={tag!r} is invalid: allowed: a Tailscale tag like 'tag:ai-server'"
            )
    if server == client:
        raise TailnetInventoryError(f"{SERVER_TAG_ENV} and {CLIENT_TAG_ENV} are both {server!r}")
    return server, client


# --- building the groups ------------------------------------------------------------------


def nodes(status: Mapping[str, Any]) -> list[Node]:
    """Self and every peer, sorted by host name."""
    state = status.get("BackendState")
    if state != "Running":
        raise TailnetInventoryError(
            f"Tailscale is not running on the controller (BackendState={state!r}); "
            "run `tailscale up` and log in first"
        )
    found = []
    entries = [(status.get("Self") or {}, True)]
    entries += [(peer, False) for peer in (status.get("Peer") or {}).values()]
    for entry, is_self in entries:
        if not entry:
            continue
        host = _host_name(entry)
        # The controller's own node is up if the backend is Running.
        online = True if is_self else bool(entry.get("Online"))
        found.append(Node(host, tuple(entry.get("Tags") or ()), online, is_self))
    return sorted(found, key=lambda node: node.host)


def _host_name(entry: Mapping[str, Any]) -> str:
    dns_name = (entry.get("DNSName") or "").rstrip(".")
    if dns_name:
        return dns_name
    ipv4 = [ip for ip in entry.get("TailscaleIPs") or () if "." in ip]
    if ipv4:
        return ipv4[0]
    return entry.get("HostName") or "?"


def build_groups(status: Mapping[str, Any], server_tag: str, client_tag: str) -> Groups:
    """Sort the tailnet's nodes into the `server` and `clients` groups."""
    all_nodes = nodes(status)
    groups = Groups()
    both = [n for n in all_nodes if server_tag in n.tags and client_tag in n.tags]
    if both:
        raise TailnetInventoryError(
            f"{', '.join(n.describe() for n in both)} carries both {server_tag} and "
            f"{client_tag}; a node is either the server or a client. Remove one tag in the "
            "Tailscale admin console (Machines > ... > Edit ACL tags)."
        )
    for node in all_nodes:
        if server_tag not in node.tags and client_tag not in node.tags:
            continue
        if not node.online:
            groups.warnings.append(f"skipping offline node {node.describe()}")
            continue
        if IPV4_RE.fullmatch(node.host):
            groups.warnings.append(f"{node.host} has no MagicDNS name; using its Tailscale IP")
        target = groups.server if server_tag in node.tags else groups.clients
        target.append(node.host)
    seen = "; ".join(n.describe() for n in all_nodes) or "none"
    if len(groups.server) != 1:
        found = "no online node" if not groups.server else ", ".join(groups.server)
        raise TailnetInventoryError(
            f"expected exactly one online node tagged {server_tag}, found "
            f"{found}. Nodes seen: {seen}. Tag the server (`tailscale up "
            f"--advertise-tags={server_tag}`) or set {SERVER_TAG_ENV}."
        )
    if not groups.clients:
        groups.warnings.append(
            f"no online node is tagged {client_tag}: the clients group is empty"
        )
    return groups


def inventory_groups(
    env: Mapping[str, str] = os.environ,
    run: Callable[..., subprocess.CompletedProcess] = subprocess.run,
    warn: Callable[[str], None] | None = None,
) -> Groups:
    """Everything ``inventory/tailscale.py`` needs: read, sort, and print warnings."""
    server_tag, client_tag = tags_from_env(env)
    groups = build_groups(read_status(env, run), server_tag, client_tag)
    warn = warn or (lambda message: print(f"inventory/tailscale.py: {message}", file=sys.stderr))
    for message in groups.warnings:
        warn(message)
    return groups
