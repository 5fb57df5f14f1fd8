"""Ollama models through its HTTP API: pull the missing, prune the undeclared, warm."""

from __future__ import annotations

import json
import shlex

from pyinfra import host
from pyinfra.api import operation

from remote_ollama.facts.ollama import OllamaApi
from remote_ollama.probe import fact
from remote_ollama.settings import latest

# Pull each model, checking every NDJSON line: an error after the stream started
# arrives as {"error": ...} on HTTP 200. One failure does not stop the others.
PULL_SCRIPT = """failed=""
for m in {models}; do
  echo "pulling $m"
  out=$(curl -sS --no-buffer -X POST {url}/api/pull -d "{{\\"model\\": \\"$m\\"}}" 2>&1)
  err=$(printf '%s\\n' "$out" | grep -m1 -E '"error"|^curl:')
  if [ -n "$err" ] || ! printf '%s\\n' "$out" | grep -q '"status": *"success"'; then
    failed="$failed
  $m: ${{err:-no success status in the pull stream}}"
  fi
done
if [ -n "$failed" ]; then echo "model pull failed:$failed" >&2; exit 1; fi"""


def pull_command(base_url: str, models: list[str]) -> str:
    return PULL_SCRIPT.format(url=shlex.quote(base_url), models=" ".join(map(shlex.quote, models)))


@operation()
def models_present(base_url: str, models: list[str]):
    """Pull the declared models that ``/api/tags`` does not list (names normalised to :latest).

    + base_url: the server's API, e.g. ``http://100.100.1.2:11434``
    + models: declared model names

    Example:

    .. code:: python

        models_present(base_url="http://127.0.0.1:11434", models=["llama3", "qwen3:8b"])
    """
    api = fact(OllamaApi, base_url=base_url)
    have = {latest(name) for name in (api or {}).get("models", {})}
    missing = [latest(m) for m in models if latest(m) not in have]
    if missing:
        yield pull_command(base_url, missing)
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
            yield f"curl -fsS -X DELETE {shlex.quote(base_url)}/api/delete -d {body}"


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
            yield f"curl -fsS --max-time 600 {shlex.quote(base_url)}/api/generate -d {body}"
