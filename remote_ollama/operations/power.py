"""pmset settings for a Mac that serves 24/7."""

from __future__ import annotations

from pyinfra import host
from pyinfra.api import operation

from remote_ollama.facts.power import PmsetSettings
from remote_ollama.probe import fact


@operation()
def pmset(settings: dict[str, int]):
    """Apply ``pmset -a`` values that differ from ``pmset -g``; writes need root.

    + settings: e.g. ``{"sleep": 0, "disksleep": 0, "autorestart": 1, "womp": 1}``

    Example:

    .. code:: python

        pmset(settings={"sleep": 0, "womp": 1}, _sudo=True)
    """
    current = fact(PmsetSettings)
    changes = {k: v for k, v in sorted(settings.items()) if current.get(k) != v}
    if changes:
        yield "pmset -a " + " ".join(f"{k} {v}" for k, v in changes.items())
    else:
        host.noop("power settings are as declared")
