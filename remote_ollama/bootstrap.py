"""From a bare Mac (or Debian client) to a host the deploy can converge, in the same run.

Opt-in (``homebrew_install``, ``tailscale_install``; both off by default, when the
preflight's stop-with-instructions still applies). Two hooks, one call each:

- ``probe_requests(settings)`` adds the ``BootstrapState`` section to the deploy's one
  probe (nothing when both settings are off), so a converged host still costs one command;
- ``deferred(settings, seen, tag, home, then)`` right after the probe: every check that can
  stop the run (sudo, the auth key, an app that is installed but not running) happens here,
  before any change. If the host lacks nothing it returns False and the deploy goes on as
  today. Otherwise it plans the bootstrap operations, then a ``python.call`` that, once
  they have run, probes the host again and runs ``then()`` (the rest of the deploy) with
  its operations executed immediately: the Ollama plist can only be written once the
  fresh Tailscale address exists. ``--dry`` shows the bootstrap steps and that final step.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from pyinfra import host
from pyinfra.operations import python

from remote_ollama import probe
from remote_ollama.facts.bootstrap import APP_CLI, BootstrapState
from remote_ollama.facts.homebrew import BREW_PREFIX
from remote_ollama.operations import bootstrap as ops
from remote_ollama.preflight import DeployError
from remote_ollama.secrets import read_auth_key
from remote_ollama.settings import Settings

APT_DISTROS = ("debian", "ubuntu")  # pkgs.tailscale.com/stable/<distro>/<codename>
SUDOERS_HINT = (
    "Either give pyinfra the password (--use-sudo-password, or _sudo_password in the host's "
    "data, not in a file you commit), or add a sudoers rule with `sudo visudo -f "
    "/etc/sudoers.d/remote-ollama`: `{user} ALL=(ALL) NOPASSWD: ALL` (remove it after the "
    "first converge if you like)."
)


def enabled(settings: Settings) -> bool:
    return settings.homebrew_install or settings.tailscale_install


def probe_requests(settings: Settings) -> dict:
    """The probe section the bootstrap needs; none when it is off."""
    return {"bootstrap": (BootstrapState, {})} if enabled(settings) else {}


def up_hash(tags: list[str], hostname: str | None) -> str:
    """What the state file records: the `tailscale up` arguments that matter, never the key."""
    text = json.dumps({"tags": sorted(tags), "hostname": hostname}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _pyinfra_has_sudo_password() -> bool:
    config = host.state.config
    return bool(getattr(config, "SUDO_PASSWORD", None) or getattr(config, "USE_SUDO_PASSWORD", False)
                or host.data.get("_sudo_password"))


def plan_steps(settings: Settings, seen: dict, tag: str, macos: bool = True) -> dict:
    """Which bootstrap steps this host needs, from the probe alone (no side effects).

    Returns ``{"brew", "formula", "daemon", "apt", "up", "cli", "root"}``; raises
    DeployError when the host cannot be bootstrapped as it is (an app installed but not
    running)."""
    steps = {"brew": False, "formula": False, "daemon": False, "apt": False, "up": False,
             "cli": seen["cli"], "root": False}
    if settings.homebrew_install and macos and not seen["brew"]:
        steps["brew"] = True
    if not settings.tailscale_install:
        return steps
    app_cli = seen["cli"] == APP_CLI or (seen["app"] and seen["cli"] is None)
    if seen["app"] and seen["state"] is None:
        raise DeployError(
            f"{host.name}: Tailscale.app is installed but not running, and the deploy does not "
            "install a second Tailscale next to it. Open Tailscale.app once at the console (or "
            "remove it to let the deploy install the headless `tailscale` formula), then run "
            "the deploy again. Nothing was changed."
        )
    if not macos:  # Debian/Ubuntu: the package from Tailscale's apt repository
        steps["apt"] = seen["cli"] is None
        steps["cli"] = seen["cli"] or "/usr/bin/tailscale"
        app_cli = False
    elif not app_cli:
        steps["formula"] = seen["cli"] is None
        steps["daemon"] = seen["state"] is None
        steps["cli"] = seen["cli"] or f"{BREW_PREFIX}/bin/tailscale"
    elif seen["cli"] is None:
        steps["cli"] = APP_CLI
    steps["up"] = ops.needs_up(seen, [tag], up_hash([tag], settings.tailscale_hostname))
    # The app's CLI talks to the app as the logged-in user; tailscaled (formula) runs as root.
    steps["root"] = (steps["brew"] or steps["daemon"] or steps["apt"]
                     or (steps["up"] and not app_cli))
    return steps


def deferred(settings: Settings, seen: dict, tag: str, home: str, user: str,
             then: Callable[[], None], linux: dict | None = None) -> bool:
    """Plan what the host lacks, then the rest of the deploy (``then``); True if it did.

    ``linux``: the host's os-release (a Debian/Ubuntu client), None on a Mac.
    Stops before any change when sudo needs a password nobody gave, or when a join is
    needed and the auth key is missing or malformed (the key is never printed)."""
    state = seen.get("bootstrap")
    if state is None:
        return False
    steps = plan_steps(settings, state, tag, macos=linux is None)
    if not any(steps[k] for k in ("brew", "formula", "daemon", "apt", "up")):
        return False
    if steps["brew"] and not state["sudo"]:
        raise DeployError(
            f"{host.name}: installing Homebrew needs sudo without a password: its installer "
            "runs unattended (NONINTERACTIVE=1) and then calls `sudo -n` itself, which "
            "pyinfra's sudo password cannot answer. Add a sudoers rule with `sudo visudo -f "
            f"/etc/sudoers.d/remote-ollama`: `{user} ALL=(ALL) NOPASSWD: ALL` (remove it after "
            "the first converge if you like), or install Homebrew by hand (https://brew.sh). "
            "Nothing was changed."
        )
    if steps["root"] and not state["sudo"] and not _pyinfra_has_sudo_password():
        raise DeployError(
            f"{host.name}: installing or joining Tailscale needs sudo, and sudo asks for a "
            f"password (`sudo -n true` failed). {SUDOERS_HINT.format(user=user)} "
            "Nothing was changed."
        )
    if steps["apt"] and not (linux.get("VERSION_CODENAME") and linux.get("ID") in APT_DISTROS):
        raise DeployError(
            f"{host.name}: Tailscale's apt repository has packages for Debian and Ubuntu by "
            f"release codename; this host's /etc/os-release says ID={linux.get('ID')!r}, "
            f"VERSION_CODENAME={linux.get('VERSION_CODENAME')!r}. Install Tailscale by hand "
            "(tailscale.com/download/linux), then run the deploy again. Nothing was changed."
        )
    key = None
    if steps["up"]:
        key = read_auth_key(host.name, settings.tailscale_auth_key_env,
                            settings.tailscale_auth_key_file)

    if steps["brew"]:
        ops.homebrew_installed(name="Install Homebrew (unattended; Command Line Tools too)",
                               url=settings.homebrew_install_url)
    if steps["formula"]:
        ops.tailscale_formula(name="Install Tailscale (Homebrew formula `tailscale`)",
                              start=False)
    if steps["daemon"]:
        ops.tailscale_formula(name="Start tailscaled at boot (sudo brew services)", start=True,
                              _sudo=True)
    if steps["apt"]:
        ops.tailscale_apt(name="Install Tailscale (Tailscale's signed apt repository)",
                          url=settings.tailscale_apt_url, distro=linux.get("ID", "debian"),
                          codename=linux.get("VERSION_CODENAME", ""),
                          fingerprint=settings.tailscale_apt_key_fingerprint, _sudo=True)
    if key is not None:
        tags, args_hash = [tag], up_hash([tag], settings.tailscale_hostname)
        root = steps["cli"] != APP_CLI
        ops.auth_key_staged(name="Stage the Tailscale auth key (0600, removed after the join)",
                            key=key, home=home)
        ops.tailnet_joined(name=f"Join the tailnet as {tag}", cli=steps["cli"], tags=tags,
                           hostname=settings.tailscale_hostname, args_hash=args_hash, home=home,
                           _sudo=root)
        ops.up_recorded(name="Record the tailscale up arguments", args_hash=args_hash)
    python.call(name="Converge the rest on the fresh host", function=_run_again, then=then)
    return True


def _run_again(then: Callable[[], None]) -> None:
    """At execution time: forget this run's probe answers, so ``then`` reads the host as the
    bootstrap left it, and run it (its operations execute immediately, nested)."""
    probe.forget(host)
    then()
