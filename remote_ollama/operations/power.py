"""pmset settings for a Mac that serves 24/7."""

from __future__ import annotations

from pyinfra import host, logger

from remote_ollama.facts.power import PmsetSettings
from remote_ollama.probe import fact
from remote_ollama.step import operation


@operation()
def pmset(settings: dict[str, int]):
    """Apply ``pmset -a`` values that differ from ``pmset -g``; writes need root.

    A key that ``pmset -g`` does not list is one this Mac does not support (see
    ``PmsetSettings``): it is left alone, with a warning, so a second run changes nothing.

    + settings: e.g. ``{"sleep": 0, "disksleep": 0, "autorestart": 1, "womp": 1}``

    Example:

    .. code:: python

        pmset(settings={"sleep": 0, "womp": 1}, _sudo=True)
    """
    current = fact(PmsetSettings)
    unsupported = sorted(k for k in settings if k not in current)
    if unsupported:
        logger.warning(
            f"{host.name}: pmset -g does not list {', '.join(unsupported)}, so this Mac does "
            "not support them (pmset lists only what the hardware supports; `pmset -g cap` "
            "shows it). They are left as they are; remove them from the pmset setting to "
            "silence this warning."
        )
    changes = {k: v for k, v in sorted(settings.items()) if k in current and current[k] != v}
    if changes:
        yield "pmset -a " + " ".join(f"{k} {v}" for k, v in changes.items())
    else:
        host.noop("power settings are as declared")
