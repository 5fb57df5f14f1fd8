"""Ollama models through its HTTP API: pull the missing, prune the undeclared, warm."""

from __future__ import annotations

import json
import shlex

from pyinfra import host

from remote_ollama.facts.ollama import OllamaApi
from remote_ollama.operations.shown import ShownCommand
from remote_ollama.probe import fact
from remote_ollama.settings import latest
from remote_ollama.step import operation


def pull_command(warm_script: str, base_url: str, models: list[str], pull_timeout=None) -> str:
    """The shipped warm.py, pulling only: each model's NDJSON stream checked line by line,
    a deadline per pull, a progress line every 30 s, and one failure not stopping the rest."""
    limit = f" --pull-timeout {pull_timeout:g}" if pull_timeout else ""
    names = " ".join(map(shlex.quote, models))
    return (
        f"python3 -Es {shlex.quote(warm_script)} --server {shlex.quote(base_url)} --no-load{limit} "
        f"{names}"
    )


def explain_pull(output) -> list[str]:
    """The models whose pull failed (their progress was shown live already)."""
    failed = [line.strip() for line in output.stdout_lines if ": FAILED: " in line]
    if failed:
        return ["model pull failed:", *(f"  {line}" for line in failed)]
    tail = [line for line in output.output_lines if line.strip()][-3:]
    return ["model pull did not run to the end:", *(f"  {line}" for line in tail)]


@operation()
def models_present(base_url: str, models: list[str], warm_script: str):
    """Pull the declared models that ``/api/tags`` does not list (names normalised to :latest).

    Progress (bytes, percent, rate) is printed as pyinfra output lines while it runs.

    + base_url: the server's API, e.g. ``http://100.100.1.2:11434``
    + models: declared model names
    + warm_script: the shipped ``warm.py`` on the host, which does the pulling

    Example:

    .. code:: python

        models_present(base_url="http://127.0.0.1:11434", models=["llama3", "qwen3:8b"],
                       warm_script="/Users/me/.local/share/remote-ollama/warm.py")
    """
    api = fact(OllamaApi, base_url=base_url)
    have = {latest(name) for name in (api or {}).get("models", {})}
    missing = [latest(m) for m in models if latest(m) not in have]
    if missing:
        yield ShownCommand(pull_command(warm_script, base_url, missing), live=True,
                           explain=explain_pull)  # fmt: skip
    else:
        host.noop("all declared models are present")


@operation()
def models_pruned(base_url: str, keep: list[str]):
    """Delete local models that are not declared.

    + base_url: the server's API
    + keep: declared model names

    Example:

    .. code:: python

        models_pruned(base_url="http://127.0.0.1:11434", keep=["llama3"])
    """
    api = fact(OllamaApi, base_url=base_url) or {}
    declared = {latest(m) for m in keep}
    for name in sorted(api.get("models", {})):
        if latest(name) not in declared:
            body = shlex.quote(json.dumps({"model": name}))
            yield (f"curl -q -fsS --max-time 60 -o /dev/null -X DELETE "
                   f"{shlex.quote(base_url)}/api/delete -d {body}")  # fmt: skip


@operation()
def models_warm(base_url: str, models: list[str], keep_alive: str):
    """Load models that ``/api/ps`` does not show as loaded (a generate with no prompt).

    + base_url: the server's API
    + models: models to keep loaded
    + keep_alive: how long they stay loaded (Go duration, -1 = forever)

    Example:

    .. code:: python

        models_warm(base_url="http://127.0.0.1:11434", models=["llama3"], keep_alive="-1")
    """
    api = fact(OllamaApi, base_url=base_url) or {}
    loaded = {latest(m) for m in api.get("loaded", [])}
    for model in models:
        if latest(model) not in loaded:
            alive = int(keep_alive) if keep_alive.lstrip("-").isdigit() else keep_alive
            body = shlex.quote(json.dumps({"model": latest(model), "keep_alive": alive}))
            yield (f"curl -q -fsS --max-time 600 -o /dev/null "
                   f"{shlex.quote(base_url)}/api/generate -d {body}")  # fmt: skip
