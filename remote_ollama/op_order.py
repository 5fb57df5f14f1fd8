"""pyinfra's operation order, computed without ``inspect``: same list, a fraction of the cost.

In CLI mode pyinfra orders operations by the line numbers of the call stack that created
them (``pyinfra.api.util.get_operation_order_from_stack``). pyinfra 3.10 reads that stack
with ``inspect.stack()``, which loads source context and searches ``sys.modules`` for
every frame: a few milliseconds per operation per host, in the one controller process,
serial across hosts. At 16 clients it was the largest part of a no-op re-converge's
controller CPU (bench/README.md).

``install()`` replaces the function with ``frame_walk_order``, which walks the same frames
with ``sys._getframe`` and returns the same list: the same order and the same operation
hashes. It only patches pyinfra 3.10.x, where the original is known; on any other version
it leaves pyinfra alone (and says so by returning False). Installing twice is harmless.
The deploy files call it first, before any operation exists.

    from remote_ollama import op_order
    op_order.install()
"""

from __future__ import annotations

import importlib
import sys

import pyinfra

SUPPORTED = "3.10."  # the version whose get_operation_order_from_stack this reproduces
_NAME = "get_operation_order_from_stack"
# Where pyinfra defines the function, and where it imported it by name (checked with grep
# in pyinfra 3.10.0: only pyinfra.api.operation does `from pyinfra.api.util import ...`).
# import_module: `from pyinfra.api import operation` would give the decorator, not the module.
_MODULES = ("pyinfra.api.util", "pyinfra.api.operation")
_originals: dict[str, object] = {}


def frame_walk_order(state) -> list[int]:
    """``get_operation_order_from_stack`` of pyinfra 3.10 (see pyinfra/api/util.py).

    From the outermost frame: skip to the first frame of the deploy file being loaded,
    then the line number of every frame not inside pyinfra, preceded in CLI mode by the
    deploy file's position on the command line. ``inspect.stack()`` starts with the
    function's own frame (inside pyinfra, so skipped); this one starts with its caller.
    pyinfra names a frame's file with ``getsourcefile``, which for frames of ``.py`` files
    (all a deploy has) is ``co_filename``, and its line with the code position of the
    current instruction, which is ``f_lineno``.
    """
    util = sys.modules["pyinfra.api.util"]
    frames = []
    frame = sys._getframe(1)
    while frame is not None:
        frames.append(frame)
        frame = frame.f_back
    frames.reverse()
    start = 0
    if state.current_deploy_filename:
        for start, frame in enumerate(frames):  # noqa: B007 - like pyinfra: the last if none match
            if frame.f_code.co_filename == state.current_deploy_filename:
                break
    line_numbers = [state.current_op_file_number] if pyinfra.is_cli else []
    line_numbers += [
        frame.f_lineno
        for frame in frames[start:]
        if not frame.f_code.co_filename.startswith(util.PYINFRA_INSTALL_DIR)
    ]
    return line_numbers


def supported(version: str | None = None) -> bool:
    """Whether this pyinfra (or ``version``) is one whose op order ``frame_walk_order`` matches."""
    return (version or pyinfra.__version__).startswith(SUPPORTED)


def installed() -> bool:
    return all(
        getattr(importlib.import_module(m), _NAME) is frame_walk_order for m in _MODULES
    )


def install() -> bool:
    """Use ``frame_walk_order`` in pyinfra; True if it is in use, False on another version."""
    if not supported():
        return False
    for module_name in _MODULES:
        module = importlib.import_module(module_name)
        current = getattr(module, _NAME)
        if current is not frame_walk_order:
            _originals.setdefault(module_name, current)
            setattr(module, _NAME, frame_walk_order)
    return True


def uninstall() -> None:
    """Put pyinfra's own function back (tests compare both)."""
    for module_name, original in _originals.items():
        setattr(importlib.import_module(module_name), _NAME, original)
    _originals.clear()


def original():
    """pyinfra's own ``get_operation_order_from_stack``, installed or not."""
    return _originals.get("pyinfra.api.util") or getattr(
        importlib.import_module("pyinfra.api.util"), _NAME
    )
