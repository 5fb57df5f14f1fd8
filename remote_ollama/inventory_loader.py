"""Load a pyinfra inventory the way `pyinfra` itself does, and validate its hosts' settings.

Commands that work on the whole tailnet (``remote-ollama acl``) read the same data a deploy
sees: the inventory file, then ``group_data/`` from the working directory and from the
inventory's folder, with pyinfra's precedence (host > group > all).

Example:
    >>> inventory = load_inventory("inventory/tailnet.py")          # doctest: +SKIP
    >>> settings = group_settings(inventory, ("server", "clients"))  # doctest: +SKIP
    >>> settings["ai-server.tail1234.ts.net"].ollama_port            # doctest: +SKIP
    11434
"""

from __future__ import annotations

import os
from pathlib import Path

from pyinfra.api.inventory import Inventory
from pyinfra.api.state import State
from pyinfra.context import ctx_state
from pyinfra_cli.inventory import make_inventory

from remote_ollama.settings import Settings, SettingsError, validate_host


class InventoryError(Exception):
    """The inventory cannot be loaded or has no hosts where they are needed."""


def load_inventory(path: str | os.PathLike, cwd: str | os.PathLike | None = None) -> Inventory:
    """Build the inventory from ``path`` with group_data from ``cwd`` (default: the current dir)."""
    path = Path(path)
    if not path.is_file():
        raise InventoryError(
            f"inventory file {str(path)!r} not found; run from the repo root or pass "
            "--inventory PATH"
        )
    cwd = str(Path(cwd or os.getcwd()).resolve())
    # pyinfra executes inventory and group_data files inside a State context.
    with ctx_state.use(State()):
        try:
            return make_inventory(str(path), cwd=cwd)
        except Exception as exc:  # pyinfra wraps errors in user files; keep the message
            cause = getattr(exc, "exception", None) or exc
            raise InventoryError(f"cannot load inventory {str(path)!r}: {cause}") from exc


def group_settings(inventory: Inventory, groups: tuple[str, ...]) -> dict[str, Settings]:
    """Validated settings of every host in ``groups``, keyed by host name, in name order.

    Raises SettingsError (bad data) or InventoryError (no host in any of the groups).
    """
    hosts = {}
    for group in groups:
        for host in inventory.get_group(group, []):
            hosts[host.name] = host
    if not hosts:
        raise InventoryError(
            f"the inventory has no hosts in the group(s) {', '.join(groups)}; "
            "add them to the inventory file (e.g. server = [...], clients = [...])"
        )
    problems, settings = [], {}
    for name in sorted(hosts):
        try:
            settings[name] = validate_host(name, hosts[name].data.dict())
        except SettingsError as exc:
            problems.extend(exc.problems)
    if problems:
        raise SettingsError(problems)
    return settings
