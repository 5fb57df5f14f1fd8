"""The environment that points Claude Code at an Ollama server (the `claude-ollama` alias).

``claude_ollama_env`` is deliberately tiny and dependency-free so the client deploy can
reuse it to write the alias and ``~/.claude/settings.json``.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

# Prefixes Aider puts in front of Ollama model names (AIDER_MODEL=ollama_chat/<model>).
AIDER_MODEL_PREFIXES = ("ollama_chat/", "ollama/")
# Written by the client deploy: the env file `check` reads, and the alias's own file.
CLIENT_ENV_FILE = ".ai-client/env"
ALIAS_FILE = ".ai-client/claude-ollama.sh"
CONTEXT_VAR = "CLAUDE_CODE_MAX_CONTEXT_TOKENS"
# The deploy's default ollama_context_length (settings.py; a test keeps them equal). Not
# imported from there: the settings module pulls in pyinfra, far too slow for a CLI start.
DEFAULT_CONTEXT_TOKENS = 65536
# Files read here are small; a bigger one is not ours.
MAX_FILE_BYTES = 64 * 1024


class BackendError(ValueError):
    """The Ollama backend cannot be configured from what was given."""


def claude_ollama_env(
    base_url: str,
    model: str,
    small_model: str | None = None,
    max_context: int | None = None,
) -> dict[str, str]:
    """Environment variables that make ``claude`` talk to Ollama's /v1/messages.

    ``base_url`` is the server root, e.g. ``http://ai-server:11434``; a trailing ``/v1``
    is removed because Claude Code appends ``/v1/messages`` itself. ``small_model`` is
    used for the Haiku slot (background tasks); default: ``model``. ``max_context``
    tells Claude Code the server's real context window.
    """
    base_url = normalise_base_url(base_url)
    env = {
        "ANTHROPIC_BASE_URL": base_url,
        "ANTHROPIC_AUTH_TOKEN": "ollama",
        # Any non-empty key would override the token above.
        "ANTHROPIC_API_KEY": "",
        "ANTHROPIC_MODEL": model,
        "ANTHROPIC_DEFAULT_OPUS_MODEL": model,
        "ANTHROPIC_DEFAULT_SONNET_MODEL": model,
        "ANTHROPIC_DEFAULT_HAIKU_MODEL": small_model or model,
        "CLAUDE_CODE_SUBAGENT_MODEL": model,
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    }
    if max_context is not None:
        env["CLAUDE_CODE_MAX_CONTEXT_TOKENS"] = str(max_context)
    return env


def normalise_base_url(url: str) -> str:
    """``http://host:port`` with no trailing slash or ``/v1``; rejects non-HTTP URLs."""
    url = url.strip().rstrip("/")
    if url.endswith("/v1"):
        url = url[: -len("/v1")]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BackendError(f"not an http(s) server URL: {url!r} (expected http://host:11434)")
    return url


def model_from_aider(value: str) -> str:
    """``ollama_chat/qwen3-coder:30b`` -> ``qwen3-coder:30b``."""
    for prefix in AIDER_MODEL_PREFIXES:
        if value.startswith(prefix):
            return value[len(prefix):]
    return value


def read_exports(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` assignments of a shell file we render: ``export KEY=VALUE`` lines of
    ~/.ai-client/env, or the ``  KEY=VALUE \\`` lines of the claude-ollama function.

    Values are shell words (the templates quote them); anything else is skipped. A
    missing, unreadable or oversized file reads as empty.
    """
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError:
        return {}
    if len(data) > MAX_FILE_BYTES:
        return {}
    values = {}
    for line in data.decode("utf-8", errors="replace").split("\n"):
        match = re.fullmatch(r"\s*(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*?)\s*\\?\s*", line)
        if not match:
            continue
        try:
            words = shlex.split(match.group(2))
        except ValueError:
            continue
        if len(words) <= 1:
            values[match.group(1)] = words[0] if words else ""
    return values


@dataclass(frozen=True)
class ContextWindow:
    """The context window claude is told, and where that number came from."""

    tokens: int
    source: str


def resolve_context_window(
    flag: int | None, environ: Mapping[str, str], home: Path
) -> ContextWindow:
    """CLAUDE_CODE_MAX_CONTEXT_TOKENS as the claude-ollama alias sets it.

    --max-context, else $CLAUDE_CODE_MAX_CONTEXT_TOKENS, else the value in the alias's
    file (the server's context length, written by the client deploy), else the deploy's
    default. Without it Claude Code assumes a 1,000,000-token window.
    """
    if flag is not None:
        return ContextWindow(flag, "--max-context")
    candidates = (
        (environ.get(CONTEXT_VAR), f"${CONTEXT_VAR}"),
        (read_exports(home / ALIAS_FILE).get(CONTEXT_VAR), f"~/{ALIAS_FILE}"),
    )
    for value, source in candidates:
        if value is None:
            continue
        if not re.fullmatch(r"[1-9][0-9]{0,8}", value.strip()):
            raise BackendError(f"{CONTEXT_VAR} in {source} is {value!r}, not a token count")
        return ContextWindow(int(value), source)
    return ContextWindow(DEFAULT_CONTEXT_TOKENS, "the deploy's default ollama_context_length")


def resolve_ollama_backend(
    server: str | None, model: str | None, environ: Mapping[str, str],
    home: Path | None = None,
) -> tuple[str, str]:
    """(base URL, model) from the flags, else the environment, else ~/.ai-client/env.

    The env file is what the profile block sources, so a shell that has not sourced it
    (a new terminal before re-login, cron, an IDE) gets the same server and model.
    """
    if home is not None:
        environ = {**read_exports(home / CLIENT_ENV_FILE), **environ}
    base_url = server or environ.get("OLLAMA_API_BASE")
    if not base_url:
        raise BackendError(
            "no Ollama server: pass --server http://<server>:11434 or set OLLAMA_API_BASE"
            f" (clients have it in ~/{CLIENT_ENV_FILE})"
        )
    chosen = model or (model_from_aider(environ["AIDER_MODEL"]) if environ.get("AIDER_MODEL") else None)
    if not chosen:
        raise BackendError(
            "no model: pass --model <name> or set AIDER_MODEL (e.g. ollama_chat/qwen3-coder:30b)"
        )
    return normalise_base_url(base_url), chosen
