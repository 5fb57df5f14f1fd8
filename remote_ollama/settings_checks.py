"""Checks between settings, which no single field's type can make: the default and warm
models among ``models``, ``ollama_bind: all`` only with ``ollama_allow_lan_exposure``, and
``tailscale_required`` off only away from the Tailscale bind. Every problem is reported,
not just the first (``CrossError.problems``)."""

from __future__ import annotations

from typing import Any

from remote_ollama.setting_types import latest

__all__ = ["CrossError", "cross_problems"]  # public; remote_ollama.settings re-exports them


class CrossError(ValueError):
    """Problems between settings: ``[(key, value, allowed), ...]``, all of them."""

    def __init__(self, problems: list[tuple[str, Any, str]]):
        super().__init__("; ".join(f"{k}={v!r}: allowed: {a}" for k, v, a in problems))
        self.problems = problems


def cross_problems(s) -> list[tuple[str, Any, str]]:
    """``[(key, value, allowed), ...]`` for a ``Settings`` whose fields are each valid."""
    problems = []
    declared = {latest(m) for m in s.models}
    if s.default_model and latest(s.default_model) not in declared:
        problems.append(("default_model", s.default_model, "one of `models`"))
    for model in s.warm_models:
        if latest(model) not in declared:
            problems.append(("warm_models", model, "a subset of `models`"))
    if s.ollama_bind == "all" and not s.ollama_allow_lan_exposure:
        problems.append((
            "ollama_bind",
            "all",
            "'tailscale' or 'loopback'; 'all' also needs ollama_allow_lan_exposure=True, "
            "which exposes Ollama without authentication on every network the Mac joins",
        ))
    if not s.tailscale_required and s.ollama_bind == "tailscale":
        problems.append((
            "tailscale_required",
            False,
            "True while ollama_bind is 'tailscale' (binding needs the Tailscale IPv4); "
            "set ollama_bind to 'loopback' to run without Tailscale",
        ))
    return problems
