"""Client checks that stop the deploy before any change, and the warnings it only reports."""

from __future__ import annotations

import os
from dataclasses import dataclass

from pyinfra import logger

from remote_ollama.compat import Verdict, verdict
from remote_ollama.preflight import DeployError
from remote_ollama.settings import Settings

MIN_MACOS = 14
DEBIAN_FAMILY = {"debian", "ubuntu"}
ARCHES = {"arm64": "arm64", "aarch64": "arm64", "x86_64": "x64", "amd64": "x64"}


@dataclass(frozen=True)
class Platform:
    system: str  # darwin | linux (as Claude Code's package names spell it)
    arch: str  # arm64 | x64
    label: str  # for messages, e.g. "macOS 15.1" or "Debian GNU/Linux 12"


def require_platform(host_name: str, macos: dict | None, linux: dict | None, arch: str | None):
    """macOS 14+ on Apple Silicon, or Debian/Ubuntu on x86-64 or arm64."""
    cpu = ARCHES.get(arch or "")
    if macos:
        version = macos.get("ProductVersion", "")
        major = version.split(".")[0]
        if not major.isdigit() or int(major) < MIN_MACOS:
            raise DeployError(
                f"{host_name}: macOS {version} is too old; clients need macOS {MIN_MACOS} "
                "(Sonoma) or later. Upgrade macOS, then run the deploy again."
            )
        if cpu != "arm64":
            raise DeployError(
                f"{host_name}: CPU architecture is {arch!r}; macOS clients must be Apple "
                "Silicon (Homebrew in /opt/homebrew)."
            )
        return Platform("darwin", cpu, f"macOS {version}")
    if linux:
        family = {linux.get("ID", "")} | set(linux.get("ID_LIKE", "").split())
        name = linux.get("PRETTY_NAME") or linux.get("ID", "Linux")
        if not family & DEBIAN_FAMILY:
            raise DeployError(
                f"{host_name}: {name} is not supported; clients must run macOS {MIN_MACOS}+ "
                "or Debian/Ubuntu Linux."
            )
        if not cpu:
            raise DeployError(f"{host_name}: CPU architecture {arch!r} is not x86_64 or arm64.")
        return Platform("linux", cpu, name)
    raise DeployError(
        f"{host_name}: neither sw_vers nor /etc/os-release answered; clients must run "
        f"macOS {MIN_MACOS}+ or Debian/Ubuntu Linux."
    )


def login_shell(host_name: str, settings: Settings, identity: dict) -> str:
    """zsh or bash: the ``client_shell`` setting, else the user's login shell."""
    if settings.client_shell != "auto":
        return settings.client_shell
    shell = os.path.basename(identity.get("shell") or "")
    if shell in ("zsh", "bash"):
        return shell
    raise DeployError(
        f"{host_name}: the login shell of {identity.get('user', 'the user')} is "
        f"{identity.get('shell') or 'unknown'!r}; only zsh and bash are managed. Set "
        "client_shell to 'zsh' or 'bash' to choose the profile to manage."
    )


def require_claude_pin(host_name: str, settings: Settings) -> str:
    if not settings.claude_code_version:
        raise DeployError(
            f"{host_name}: claude_code_enabled is True but claude_code_version is None; "
            "set claude_code_version to the exact version to install (e.g. '2.1.332')."
        )
    return settings.claude_code_version


def check_compatibility(host_name: str, settings: Settings, ollama_version: str | None) -> Verdict:
    """Fail on a known-broken pair (unless allowed), warn on an untested or unknown one."""
    claude = settings.claude_code_version or ""
    found = verdict(claude, ollama_version)
    pair = f"Claude Code {claude} with Ollama {ollama_version}"
    if found.status == "broken":
        message = (
            f"{host_name}: {pair} is known to be broken ({found.note}). Change "
            "claude_code_version or ollama_version to a pair marked 'works' in "
            "remote_ollama/data/compatibility.yaml, or set allow_incompatible_versions=True."
        )
        if not settings.allow_incompatible_versions:
            raise DeployError(message + " Nothing was changed.")
        logger.warning(message + " Converging anyway (allow_incompatible_versions).")
    elif found.status == "untested":
        logger.warning(
            f"{host_name}: {pair} is not in the compatibility matrix yet; claude-ollama "
            "may or may not work. Record the result in remote_ollama/data/compatibility.yaml."
        )
    elif found.status == "unknown":
        logger.warning(
            f"{host_name}: the server's Ollama version is unknown (set ollama_version, or "
            "make the server reachable), so Claude Code's compatibility was not checked."
        )
    return found


def report_tailscale(host_name: str, platform: Platform, status: dict) -> None:
    """Warn (never fail) when a macOS client has no connected Tailscale."""
    status = status or {}
    if not status.get("installed"):
        if platform.system == "darwin":
            logger.warning(
                f"{host_name}: Tailscale is not installed; install it (brew install --cask "
                "tailscale-app) and log in, or the server will not be reachable."
            )
    elif status.get("state") != "Running":
        logger.warning(
            f"{host_name}: Tailscale is {status.get('state') or 'not answering'}; log in "
            "(`tailscale up` or the menu bar app) to reach the server."
        )


def report_reachability(host_name: str, url: str, seen: dict | None) -> None:
    """The seed's final check: warn when /v1/models does not answer through ``url``."""
    seen = seen or {}
    if seen.get("models") != 200:
        got = f"HTTP {seen['models']}" if seen.get("models") else "no answer"
        logger.warning(
            f"{host_name}: {url}/v1/models gave {got}. The client is configured, but check "
            "that the server is up and this machine may reach it (Tailscale, ACL)."
        )
