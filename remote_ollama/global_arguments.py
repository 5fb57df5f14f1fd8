"""pyinfra's global operation arguments, with less work per operation and host.

pyinfra 3.10 handles the global arguments (``_sudo``, ``_env``, ...) of every operation
on every host in ``pop_global_arguments``, serially in the one controller process, and it
was most of a client's planning time (bench/README.md):

- it asks ``all_global_arguments()``, which calls ``typing.get_type_hints`` on the
  ``AllArguments`` TypedDict each time; the TypedDict never changes while pyinfra runs,
  so ``all_global_arguments_once`` computes the list once;
- it looks up each of ~30 argument names in ``host.data``, and every lookup evaluates the
  host's data layers again (override, host, merged group data, inventory, deploy data)
  until one has the name; ``pop_global_arguments_once`` evaluates the layers once per
  call and looks every name up in them, in the same order, with the same copies.

Same answers, shown by tests against pyinfra's own functions. Like ``op_order``, it only
patches pyinfra 3.10.x, where the functions and their callers are known.

    from remote_ollama import global_arguments
    global_arguments.install()
"""

from __future__ import annotations

import functools
import importlib
from copy import copy
from typing import Any

from remote_ollama.op_order import supported

# Each function, where pyinfra 3.10.0 defines it and imports it by name (checked with grep).
_PATCHES = {
    "all_global_arguments": ("pyinfra.api.arguments", "pyinfra.api.facts"),
    "pop_global_arguments": ("pyinfra.api.arguments", "pyinfra.api.operation",
                             "pyinfra.api.deploy", "pyinfra.api.facts"),
}
_originals: dict[tuple[str, str], object] = {}


@functools.cache
def _computed_once() -> tuple[tuple[str, type], ...]:
    return tuple(_originals[("all_global_arguments", "pyinfra.api.arguments")]())


def all_global_arguments_once() -> list[tuple[str, type]]:
    """pyinfra's ``all_global_arguments()``, from the first call's answer (a fresh list)."""
    return list(_computed_once())


def _host_defaults(host, keys) -> dict[str, Any]:
    """``getattr(host.data, key)`` for each key it has: pyinfra's HostData.__getattr__
    (the first data layer with the key wins, a shallow copy), its layers evaluated once."""
    from pyinfra.api.host import extract_callable_datas

    layers = list(extract_callable_datas(host.data.datas))
    found = {}
    for key in keys:
        for layer in layers:
            try:
                found[key] = copy(layer[key])
                break
            except KeyError:
                pass
    return found


def pop_global_arguments_once(state, host, kwargs: dict[str, Any]):
    """pyinfra 3.10's ``pop_global_arguments`` (pyinfra/api/arguments.py), the host data
    read through ``_host_defaults``: pop and return the global arguments, in order of
    preference: the call's kwargs, the current @deploy's kwargs, host data, config."""
    from pyinfra.api import arguments
    from pyinfra.api.util import raise_if_bad_type
    from pyinfra.context import ctx_config

    config = state.config
    if ctx_config.isset():
        config = ctx_config.get()
        assert config is not None

    meta_kwargs: dict[str, Any] = host.current_deploy_kwargs or {}
    argument_types = arguments.all_global_arguments()
    host_defaults = _host_defaults(host, [key for key, _ in argument_types])
    found_arguments: dict[str, Any] = {}
    found_keys: list[str] = []
    for key, type_ in argument_types:
        argument_meta = arguments.all_argument_meta[key]
        handler = argument_meta.handler
        default: Any = argument_meta.default(config)
        if key in host_defaults:
            default = host_defaults[key]
        if key in kwargs:
            found_keys.append(key)
            value = kwargs.pop(key)
        else:
            value = meta_kwargs.get(key, default)
        if handler:
            value = handler(config, value)
        if value != default:
            raise_if_bad_type(value, type_, arguments.ArgumentTypeError,
                              f"Invalid argument `{key}`:")  # fmt: skip
        found_arguments[key] = value
    return found_arguments, found_keys


_FASTER = {"all_global_arguments": all_global_arguments_once,
           "pop_global_arguments": pop_global_arguments_once}


def install() -> bool:
    """Use both in pyinfra; True if in use, False on another version (left alone)."""
    if not supported():
        return False
    for name, modules in _PATCHES.items():
        for module_name in modules:
            module = importlib.import_module(module_name)
            current = getattr(module, name)
            if current is not _FASTER[name]:
                _originals.setdefault((name, module_name), current)
                setattr(module, name, _FASTER[name])
    return True


def uninstall() -> None:
    """Put pyinfra's own functions back (tests compare both)."""
    for (name, module_name), original in _originals.items():
        setattr(importlib.import_module(module_name), name, original)
    _originals.clear()
    _computed_once.cache_clear()


def original(name: str):
    """pyinfra's own function, installed or not."""
    return _originals.get((name, "pyinfra.api.arguments")) or getattr(
        importlib.import_module("pyinfra.api.arguments"), name)
