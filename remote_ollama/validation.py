"""Validate every host of the inventory before any fact or command reaches any host.

A deploy file calls ``settings_for_current_host()`` first. The first host to get there
validates the whole inventory (once per run) so that one bad host stops the run for all,
with every problem listed, before anything was sent anywhere.
"""

from __future__ import annotations

from pyinfra import host as current_host
from pyinfra import state as current_state

from remote_ollama.preflight import DeployError
from remote_ollama.settings import Settings, SettingsError, validate_host

_RESULTS_ATTR = "_remote_ollama_settings"


def validate_inventory(state) -> dict[str, Settings]:
    """{host name: Settings} for every host, or DeployError listing every problem."""
    cached = getattr(state, _RESULTS_ATTR, None)
    if cached is None:
        results: dict[str, Settings] = {}
        problems: list[str] = []
        for host in state.inventory:
            try:
                results[host.name] = validate_host(host.name, host.data.dict())
            except SettingsError as exc:
                problems.extend(exc.problems)
        cached = (results, problems)
        setattr(state, _RESULTS_ATTR, cached)
    results, problems = cached
    if problems:
        listing = "\n  - ".join(problems)
        raise DeployError(f"invalid settings; nothing was run on any host:\n  - {listing}")
    return results


def settings_for_current_host() -> Settings:
    state = current_state._get_module()
    return validate_inventory(state)[current_host.name]


def host_has_role(role: str) -> bool:
    """True for hosts in ``role``'s group, and for ad-hoc hosts in neither group (@local)."""
    groups = set(current_host.groups)
    return role in groups or not groups & {"server", "clients"}
