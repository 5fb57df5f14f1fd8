"""Homebrew formulae and services, idempotent for names pyinfra 3.10 trips over."""

from __future__ import annotations

import shlex

from pyinfra import host

from remote_ollama.facts.homebrew import BREW_BIN, BrewCellar
from remote_ollama.facts.launchd import LaunchdJob
from remote_ollama.operations.launchd import bootout_command
from remote_ollama.probe import fact
from remote_ollama.step import operation


@operation()
def brew_formula(formula: str):
    """Install a Homebrew formula unless its Cellar directory exists.

    + formula: formula name (``@`` and tap-qualified names are fine)

    Example:

    .. code:: python

        brew_formula(formula="ollama")
    """
    cellar = fact(BrewCellar) or {"formulae": {}}
    if formula.rsplit("/", 1)[-1] not in cellar["formulae"]:
        yield f"{BREW_BIN} install --formula {shlex.quote(formula)}"
    else:
        host.noop(f"{formula} is installed")


@operation()
def brew_service_stopped(formula: str, domain: str = "gui/$(id -u)", plist: str | None = None):
    """Stop ``brew services``' job for a formula in one launchd domain, as
    ``brew services stop`` does: bootout (checked), then remove its plist so it does not
    come back at the next login or boot. ``brew services`` itself only looks in the domain
    it would use now (Homebrew/brew ``services/system.rb``), so a job started at the
    console, over SSH or under sudo is stopped here in the domain it is actually in.

    + formula: formula name; its job label is ``homebrew.mxcl.<name>``
    + domain: ``gui/<uid>``, ``user/<uid>``, or ``system`` (``sudo brew services``; use
      ``_sudo=True``)
    + plist: the job's plist (``~/Library/LaunchAgents/homebrew.mxcl.<name>.plist``, or in
      ``/Library/LaunchDaemons`` for ``system``), removed after the bootout

    Example:

    .. code:: python

        brew_service_stopped(formula="ollama", domain="system", _sudo=True,
                             plist="/Library/LaunchDaemons/homebrew.mxcl.ollama.plist")
    """
    label = f"homebrew.mxcl.{formula}"
    if fact(LaunchdJob, target=f"{domain}/{label}").get("loaded"):
        yield bootout_command(domain, label)
        if plist:  # Homebrew's plist of the job just booted out, by exact name, as
            # `brew services stop` removes it; never a folder (rm -f, no -r)
            yield f"rm -f {shlex.quote(plist)}"
    else:
        host.noop(f"brew service {formula} is not loaded in {domain}")
