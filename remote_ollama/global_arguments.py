"""pyinfra's list of global operation arguments, computed once instead of per operation.

pyinfra 3.10's ``all_global_arguments()`` calls ``typing.get_type_hints`` on the
``AllArguments`` TypedDict each time it is asked, and ``pop_global_arguments`` asks for
every operation on every host: about a millisecond each, serial in the one controller
process (bench/README.md). The TypedDict never changes while pyinfra runs, so the answer
is the same every time; ``install()`` makes pyinfra compute it once. Like ``op_order``, it
only patches pyinfra 3.10.x, where the function and its two callers are known.

    from remote_ollama import global_arguments
    global_arguments.install()
"""

from __future__ import annotations

import functools
import importlib

from remote_ollama.op_order import supported

_NAME = "all_global_arguments"
# Where pyinfra 3.10.0 defines it and where it is imported by name (checked with grep).
_MODULES = ("pyinfra.api.arguments", "pyinfra.api.facts")
_originals: dict[str, object] = {}


@functools.cache
def _computed_once() -> tuple[tuple[str, type], ...]:
    return tuple(_originals["pyinfra.api.arguments"]())


def all_global_arguments_once() -> list[tuple[str, type]]:
    """pyinfra's ``all_global_arguments()``, from the first call's answer (a fresh list)."""
    return list(_computed_once())


def install() -> bool:
    """Use the computed-once list in pyinfra; True if in use, False on another version."""
    if not supported():
        return False
    for module_name in _MODULES:
        module = importlib.import_module(module_name)
        current = getattr(module, _NAME)
        if current is not all_global_arguments_once:
            _originals.setdefault(module_name, current)
            setattr(module, _NAME, all_global_arguments_once)
    return True


def uninstall() -> None:
    """Put pyinfra's own function back (tests compare both)."""
    for module_name, original in _originals.items():
        setattr(importlib.import_module(module_name), _NAME, original)
    _originals.clear()
    _computed_once.cache_clear()
