"""Validate every host of the inventory before any fact or command reaches any host.

A deploy file calls ``settings_for_current_host()`` first. The first host to get there
validates the whole inventory (once per run) so that one bad host stops the run for all,
with every problem listed, before anything was sent anywhere. pyinfra prints the error as
one line, ``--> pyinfra error: invalid settings; nothing was run on any host:``, then the
problems (never a file and line of this module: the fault is in the data, not here).

Keys pyinfra itself reads (``ssh_user``, ``_sudo``, ...) are not settings, but one it does
not know (``ssh_usr``) is a typo it would silently ignore: that gets a warning, and so does
a ``group_data`` file pyinfra never reads (``all.yml``: it loads only ``*.py``).
"""

from __future__ import annotations

import difflib
import functools
from pathlib import Path

from pyinfra import host as current_host
from pyinfra import logger
from pyinfra import state as current_state

from remote_ollama.preflight import DeployError
from remote_ollama.settings import Settings, SettingsError, validate_host

_RESULTS_ATTR = "_remote_ollama_settings"


class InvalidSettings(DeployError):
    """Bad host data. Like every ``DeployError``, the pyinfra CLI shows it as
    ``--> pyinfra error: <message>``, no file or line."""


def invalid_settings(problems: list[str]) -> InvalidSettings:
    listing = "\n  - ".join(problems)
    return InvalidSettings(f"invalid settings; nothing was run on any host:\n  - {listing}")


@functools.cache
def pyinfra_data_keys() -> frozenset[str]:
    """Every host-data key pyinfra's connectors and global arguments read."""
    from pyinfra.api.arguments import all_global_arguments
    from pyinfra.api.connectors import get_all_connectors

    keys = {name for name, _ in all_global_arguments()}
    for connector in get_all_connectors().values():
        keys.update(getattr(connector, "data_meta", None) or {})
    return frozenset(keys)


# Prefixes whose keys pyinfra lists (see pyinfra_data_keys); others are not checked.
CHECKED_PREFIXES = ("ssh_", "_", "docker_", "fake_")


def connection_key_warnings(host_name: str, data: dict) -> list[str]:
    """A sentence for each pyinfra-looking key that pyinfra does not read (a typo)."""
    known = pyinfra_data_keys()
    warnings = []
    for key in data:
        if key.startswith(CHECKED_PREFIXES) and not key.startswith("__") and key not in known:
            close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            warnings.append(f"{host_name}: pyinfra does not read the key {key!r}; it has no "
                            f"effect.{hint}")  # fmt: skip
    return warnings


def ignored_group_data_files(folders: list[Path]) -> list[str]:
    """A sentence for each file in a ``group_data`` folder that pyinfra does not load."""
    warnings = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.suffix != ".py" and not path.name.startswith("."):
                warnings.append(
                    f"{path}: pyinfra reads only group_data/*.py, so this file is ignored; "
                    f"write it as Python ({path.stem}.py, e.g. `ollama_port = 11434`)."
                )
    return warnings


def _group_data_folders(state) -> list[Path]:
    """``group_data`` of the folder pyinfra runs in (where the README says to run it)."""
    return [Path(state.cwd) / "group_data"] if getattr(state, "cwd", None) else []


def validate_inventory(state) -> dict[str, Settings]:
    """{host name: Settings} for every host, or InvalidSettings listing every problem."""
    cached = getattr(state, _RESULTS_ATTR, None)
    if cached is None:
        results: dict[str, Settings] = {}
        problems: list[str] = []
        warnings = ignored_group_data_files(_group_data_folders(state))
        for host in state.inventory:
            data = host.data.dict()
            warnings += connection_key_warnings(host.name, data)
            try:
                results[host.name] = validate_host(host.name, data)
            except SettingsError as exc:
                problems.extend(exc.problems)
        for warning in warnings:
            logger.warning(warning)
        cached = (results, problems)
        setattr(state, _RESULTS_ATTR, cached)
    results, problems = cached
    if problems:
        raise invalid_settings(problems)
    return results


def settings_for_current_host() -> Settings:
    state = current_state._get_module()
    return validate_inventory(state)[current_host.name]


def host_has_role(role: str) -> bool:
    """True for hosts in ``role``'s group, and for ad-hoc hosts in neither group (@local)."""
    groups = set(current_host.groups)
    return role in groups or not groups & {"server", "clients"}
