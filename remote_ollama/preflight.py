"""Checks that stop a deploy, with a sentence the user can act on, before any change."""

from __future__ import annotations

import re

from pyinfra import logger
from pyinfra.api.exceptions import PyinfraError
from pyinfra_cli.exceptions import CliError

from remote_ollama.settings import Settings, latest

MIN_MACOS = 14
# macOS lets the GPU wire about three quarters of unified memory by default.
GPU_SHARE = 0.75
BYTES_PER_BILLION_PARAMS = 0.6e9  # ~4.5-bit quantisation plus runtime overhead


class DeployError(PyinfraError, CliError):
    """A precondition failed; nothing was changed on the host.

    A ``PyinfraError`` (deploy files and tests catch it as one) that the pyinfra CLI shows
    as a ``CliError``: ``--> pyinfra error: <message>``, one clean line with no file or
    line number (a plain ``PyinfraError`` raised in a deploy file reads "pyinfra error in
    .../preflight.py line 26: ...")."""

    def __init__(self, message: str):
        PyinfraError.__init__(self, message)
        CliError.__init__(self, message)

    def __str__(self) -> str:
        return self.message


def require_identity(host_name: str, identity: dict) -> dict:
    if not identity or "home" not in identity:
        raise DeployError(f"{host_name}: could not read the SSH user's id and home directory.")
    if identity["uid"] == 0:
        raise DeployError(
            f"{host_name}: connected as root. Ollama must never run as root: set ssh_user to "
            "the Mac's normal user (the deploy uses sudo only where it must)."
        )
    return identity


def require_mac(host_name: str, mac: dict | None) -> None:
    """An Apple Silicon Mac with a recent enough macOS (``MacSystem``), or a clear error."""
    if not mac:
        raise DeployError(
            f"{host_name}: not macOS (sysctl knows no kern.osproductversion). The server "
            f"must be an Apple Silicon Mac with macOS {MIN_MACOS} or later."
        )
    version = mac["version"]
    major = int(version.split(".")[0]) if version.split(".")[0].isdigit() else 0
    if major < MIN_MACOS:
        raise DeployError(
            f"{host_name}: macOS {version} is too old; the server needs macOS {MIN_MACOS} "
            "(Sonoma) or later. Upgrade macOS, then run the deploy again."
        )
    if mac["arch"] != "arm64":
        raise DeployError(
            f"{host_name}: CPU architecture is {mac['arch']!r}, not 'arm64'. The server must "
            "be an Apple Silicon (M-series) Mac; Intel Macs are not supported."
        )


def estimated_bytes(model: str) -> int | None:
    """A model's memory need, from the '<N>b' parameter count in its tag; None without one."""
    match = re.search(r"[:/-](\d+(?:\.\d+)?)b\b", latest(model).lower())
    return int(float(match.group(1)) * BYTES_PER_BILLION_PARAMS) if match else None


def check_memory(host_name: str, settings: Settings, memory: int | None) -> None:
    """Warn or fail when the largest declared model, or the warm set, cannot fit."""
    if settings.memory_check == "off" or not memory:
        return
    budget = memory * GPU_SHARE
    sizes = {m: estimated_bytes(m) for m in settings.models}
    known = {m: s for m, s in sizes.items() if s}
    problems = []
    if known:
        biggest = max(known, key=known.get)
        if known[biggest] > budget:
            problems.append(
                f"model {biggest} needs about {known[biggest] / 2**30:.0f} GiB"
            )
    warm = sum(known.get(m, 0) for m in settings.warm_models)
    if warm > budget:
        problems.append(f"warm_models together need about {warm / 2**30:.0f} GiB")
    if not problems:
        return
    message = (
        f"{host_name}: {'; '.join(problems)}, but {memory / 2**30:.0f} GiB of memory leaves "
        f"about {budget / 2**30:.0f} GiB for the GPU. Declare smaller models, or set "
        "memory_check to 'warn' to converge anyway."
    )
    if settings.memory_check == "fail":
        raise DeployError(message)
    logger.warning(message)


def require_homebrew(host_name: str, cellar: dict | None) -> None:
    if cellar is None:
        raise DeployError(
            f"{host_name}: Homebrew is not installed at /opt/homebrew. Install it once by "
            "hand (https://brew.sh; it needs an interactive sudo), then run the deploy again."
        )


def require_tailscale(host_name: str, settings: Settings, status: dict) -> None:
    if not settings.tailscale_required:
        return
    if not status.get("installed"):
        raise DeployError(
            f"{host_name}: Tailscale is not installed. Install it (brew install --cask "
            "tailscale-app, or the formula `tailscale`), log in, then run the deploy again."
        )
    if status.get("state") != "Running" or not status.get("ipv4"):
        raise DeployError(
            f"{host_name}: Tailscale is {status.get('state') or 'not answering'} "
            f"(IPv4: {status.get('ipv4') or 'none'}). Log in with `tailscale up` (or the "
            "menu bar app) so the Mac is Running on the tailnet; nothing was changed."
        )


def require_gui_domain(host_name: str, settings: Settings, domain: dict | None) -> None:
    """Agent mode needs the user's GUI launchd domain, which exists only while the user is
    logged in at the console. Without it ``launchctl bootstrap gui/<uid>`` fails (``125:
    Domain does not support specified action``); say so before anything changes."""
    if settings.ollama_service != "agent" or not domain or domain.get("exists"):
        return
    raise DeployError(
        f"{host_name}: ollama_service is 'agent', but the SSH user has no GUI login session "
        f"(launchctl print gui/<uid> exited {domain.get('code')}), so launchd cannot load a "
        "LaunchAgent for it. Either log in at the Mac's console (turn on automatic login in "
        "System Settings > Users & Groups so it survives a reboot; FileVault prevents it), "
        "or set ollama_service = \"daemon\" to run Ollama as a LaunchDaemon that starts at "
        "boot as your user (needs passwordless sudo). Nothing was changed."
    )


def require_no_conflicts(host_name: str, settings: Settings, found, port: int) -> None:
    """Stop, before any change, when another Ollama holds the port or runs as a launchd
    job the deploy may not retire (``takeover.survey``); name each one and what to do."""
    problems = []
    for job in found.of_kind("unknown", loaded=True):
        if not settings.ollama_retire_unknown_jobs:
            problems.append(
                f"{job.describe()} is another Ollama server. Stop it (launchctl bootout "
                f"{job.domain}/{job.label}) and move its plist away, or set "
                "ollama_retire_unknown_jobs = True to let the deploy do that (its plist "
                "is kept in the backup folder)."
            )
    for listener in found.strays:
        problems.append(
            f"process {listener['pid']} (user {listener.get('user') or '?'}, "
            f"`{listener.get('command') or '?'}`) listens on port {port} and is not a "
            f"launchd job the deploy knows. Stop it (kill {listener['pid']}), then run the "
            "deploy again."
        )
    if problems:
        raise DeployError(
            f"{host_name}: another Ollama would compete with remote-ollama's job for port "
            f"{port}: " + " ".join(problems) + " Nothing was changed."
        )
    for job in found.of_kind("unknown", loaded=False):
        if not settings.ollama_retire_unknown_jobs:
            logger.warning(
                f"{host_name}: {job.describe()} would start another Ollama server at the "
                "next login or boot; move its plist away, or set "
                "ollama_retire_unknown_jobs = True."
            )
