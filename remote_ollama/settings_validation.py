"""``validate_host``: a host's raw data in, a ``Settings`` out, or ``SettingsError`` naming
the host, the key, the bad value and what is allowed, for every problem at once (an
unknown key does not hide a bad value). Renamed and removed keys are named as such
(``remote_ollama.settings_renamed``); pyinfra's own keys are passed over.
"""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import ValidationError

from remote_ollama.settings_checks import CrossError
from remote_ollama.settings_renamed import REMOVED, RENAMED
from remote_ollama.settings_schema import SETTING_NAMES, Settings

__all__ = ["PASSTHROUGH_PREFIXES", "SettingsError", "own_keys", "validate_host"]  # public; remote_ollama.settings re-exports them


class SettingsError(Exception):
    """Bad host data, reported before any command reaches any host."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


# Keys that belong to pyinfra or its connectors, not to remote-ollama.
PASSTHROUGH_PREFIXES = ("ssh_", "_", "fake_", "local_", "winrm_", "docker_", "chroot_", "vagrant_")


def own_keys(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if not k.startswith(PASSTHROUGH_PREFIXES)}


def validate_host(host_name: str, data: dict[str, Any]) -> Settings:
    """Validate one host's data; raise SettingsError naming host, key, value and what is
    allowed, for every problem at once (an unknown key does not hide a bad value)."""
    data = own_keys(data)
    problems = []
    for key in data:
        if key in RENAMED:
            problems.append(f"{host_name}: setting {key!r} was renamed to {RENAMED[key]!r}.")
        elif key in REMOVED:
            problems.append(f"{host_name}: setting {key!r} was removed: {REMOVED[key]}.")
        elif key not in Settings.model_fields:
            close = difflib.get_close_matches(key, SETTING_NAMES, n=1, cutoff=0.6)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            problems.append(f"{host_name}: unknown setting {key!r}.{hint}")
    known = {k: v for k, v in data.items() if k in Settings.model_fields}
    try:
        settings = Settings(**known)
    except ValidationError as exc:
        for err in exc.errors():
            problems.extend(_describe(host_name, err))
    if problems:
        raise SettingsError(problems)
    return settings


def _describe(host_name: str, err: dict) -> list[str]:
    loc = [str(part) for part in err["loc"]]
    ctx_error = err.get("ctx", {}).get("error")
    if isinstance(ctx_error, CrossError):
        return [f"{host_name}: {key}={value!r} is invalid; allowed: {allowed}."
                for key, value, allowed in ctx_error.problems]  # fmt: skip
    where = loc[0] + "".join(f"[{part}]" for part in loc[1:]) if loc else "?"
    value = err.get("input")
    message = err["msg"].removeprefix("Value error, ")
    if "allowed:" not in message:
        message = f"allowed: {message[0].lower()}{message[1:]}"
    return [f"{host_name}: {where}={_shown(value)} is invalid; {message}."]


def _shown(value: Any, longest: int = 200) -> str:
    """``repr`` of a bad value, cut short: an error line stays one readable line."""
    text = repr(value)
    return text if len(text) <= longest else text[: longest - 5] + "...'" + f" ({len(text)} chars)"
