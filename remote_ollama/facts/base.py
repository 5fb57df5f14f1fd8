"""``ProbeFact``: the one failure contract every remote-ollama fact keeps.

A fact is read two ways: in a batch by ``remote_ollama.probe`` (one section of one
script) or alone by pyinfra's ``host.get_fact`` (``probe.fact`` falls back to it for a
fact nobody primed). The two treat a failing command differently: the probe used to hand
the output to ``process`` anyway, pyinfra fails the whole host on a non-zero exit
(``pyinfra/api/facts.py`` ``_get_fact``). A fact that relied on the probe's leniency
(``sysctl`` on an Intel Mac exits 1 for ``hw.optional.arm64``) broke on the other path.

The contract, which holds on both paths by construction:

1. **The command always exits 0.** ``ProbeFact`` appends ``; true`` to each subclass's
   ``command`` (it must be a complete shell list, without a trailing ``&`` or comment).
   What went wrong is reported in-band, in the output: a marker (``@@absent``,
   ``@@rc=113``) or simply output ``process`` reads as "not there".
2. **Empty output gives ``default()``**, as pyinfra does (it calls ``process`` only for
   a non-empty stdout). A fact whose honest answer can be "nothing" prints a line that
   says so (``PortListeners`` prints ``@@lsof``), so that "nothing found" and "could
   not ask" differ.
3. **A missing ``requires_command`` gives ``default()``** on both paths (pyinfra's
   ``MissingCommandError``, the probe's missing-command marker).

``probe.parse_section`` is that rule for a probe section; a section with a non-zero exit
code is one the probe itself failed to run (``cd "$HOME"`` failed, the output was cut
off), never the fact's command, and gives ``default()`` too.

Each fact's value is typed: ``ProbeFact[SomeTypedDict]``, as pyinfra's ``FactBase[T]``.
"""

from __future__ import annotations

import functools
import inspect
from typing import TypeVar

from pyinfra.api import FactBase

T = TypeVar("T")


def _exits_zero(command):
    @functools.wraps(command)
    def wrapped(self, *args, **kwargs):
        return f"{command(self, *args, **kwargs)}; true"

    wrapped.exits_zero = True
    wrapped.__signature__ = inspect.signature(command)  # pyinfra binds arguments by it
    return wrapped


class ProbeFact(FactBase[T]):
    """A fact whose command always exits 0 and reports failure in its output (see the
    module doc); read the same by the probe and by ``host.get_fact``."""

    # The command waits on something slow: the network, another process's answer
    # (launchd, powerd, tailscaled) or a scan of every process. The probe runs such a
    # section alongside the others instead of after them (``probe.probe_script``).
    SLOW = False

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        command = cls.__dict__.get("command")
        if command is not None and not getattr(command, "exits_zero", False):
            cls.command = _exits_zero(command)
