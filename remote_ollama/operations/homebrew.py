"""Homebrew formulae and services, idempotent for names pyinfra 3.10 trips over."""

from __future__ import annotations

import shlex

from pyinfra import host
from pyinfra.api import operation

from remote_ollama.facts.homebrew import BREW_BIN, BrewCellar
from remote_ollama.facts.launchd import LaunchdJob
from remote_ollama.probe import fact


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
def brew_service_stopped(formula: str, domain: str = "gui/$(id -u)"):
    """Stop ``brew services``' job for a formula when launchd has it loaded.

    + formula: formula name; its job label is ``homebrew.mxcl.<name>``
    + domain: launchd domain to look in (``system`` for ``sudo brew services``)

    Example:

    .. code:: python

        brew_service_stopped(formula="ollama")
    """
    if fact(LaunchdJob, target=f"{domain}/homebrew.mxcl.{formula}").get("loaded"):
        yield f"{BREW_BIN} services stop {shlex.quote(formula)}"
    else:
        host.noop(f"brew service {formula} is not running")
