"""pyinfra's ``@operation``, except that a step with nothing to do on a host is not planned.

pyinfra 3.10 plans every operation called on every host, changes or not: it resolves the
global arguments, names and orders the operation, hashes it and stores its meta; without
``-y`` it also runs the generator once to see whether it yields a command, with ``-y`` it
binds the arguments with ``inspect.signature`` instead (``api/operation.py``). At execution
it runs the generator and logs the operation's result for the host. In a no-op
re-converge every step ends up with nothing to do, and that bookkeeping was most of the
controller's work per host (bench/README.md).

``operation()`` runs the step's generator first, as pyinfra's change check does: with the
host marked as in an operation, until the first command. If it yields none, the step has
nothing to do on this host, now or at execution: our generators decide from the probe's
answers, which execution reuses (``probe._stage_cache``), and what must be asked when the
step runs is asked by a command it yields (``FunctionCommand``). So the call returns a
result that will not change, ``OperationMeta(None, False)``, and pyinfra never sees it.
Otherwise pyinfra's own ``@operation`` plans it as before, and its generator runs again.
Calling the generator also checks the arguments, as ``signature().bind`` did.

What a skipped step does not do: appear in pyinfra's list of operations, or log "No
changes" for the host. Its ``host.noop`` message is still logged (shown with ``-v``).

    from remote_ollama.step import operation

    @operation()
    def file_content(path: str, content: str, mode: str = "644"):
        ...
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from pyinfra import context
from pyinfra.api import operation as pyinfra_operation
from pyinfra.api.operation import OperationMeta

_NOTHING = object()


def nothing_to_do(func: Callable, args: tuple, kwargs: dict) -> bool:
    """Whether ``func`` (an operation's generator) yields no command on the current host.

    Its global arguments (``name``, ``_sudo``, ...) are not its own: they are left out."""
    host = context.host
    own = {k: v for k, v in kwargs.items() if k != "name" and not k.startswith("_")}
    host.in_op = True  # as pyinfra's command_generator: no operation inside an operation
    host.current_op_deploy_data = host.current_deploy_data
    try:
        commands = func(*args, **own)
        first = next(iter(commands), _NOTHING)
        getattr(commands, "close", lambda: None)()
    finally:
        host.in_op = False
        host.current_op_deploy_data = None
    return first is _NOTHING


def operation(**options) -> Callable:
    """``pyinfra.api.operation(**options)`` that skips a step with nothing to do."""

    def decorator(func: Callable) -> Callable:
        planned = pyinfra_operation(**options)(func)

        @functools.wraps(func)
        def step(*args, **kwargs):
            state = context.state
            if (not state.is_executing and not context.host.in_op
                    and nothing_to_do(func, args, kwargs)):
                return OperationMeta(None, is_change=False)
            return planned(*args, **kwargs)

        step._inner = func  # as pyinfra's: the generator, to call from another operation
        return step

    return decorator
