"""The environment that points Claude Code at an Ollama server (the `claude-ollama` alias).

``claude_ollama_env`` is deliberately tiny and dependency-free so the client deploy can
reuse it to write the alias and ``~/.claude/settings.json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

# Prefixes Aider puts in front of Ollama model names (AIDER_MODEL=ollama_chat/<model>).
AIDER_MODEL_PREFIXES = ("ollama_chat/", "ollama/")


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


def resolve_ollama_backend(
    server: str | None, model: str | None, environ: Mapping[str, str]
) -> tuple[str, str]:
    """(base URL, model) from the flags, else the client env (OLLAMA_API_BASE, AIDER_MODEL)."""
    base_url = server or environ.get("OLLAMA_API_BASE")
    if not base_url:
        raise BackendError(
            "no Ollama server: pass --server http://<server>:11434 or set OLLAMA_API_BASE"
            " (clients have it in ~/.ai-client/env)"
        )
    chosen = model or (model_from_aider(environ["AIDER_MODEL"]) if environ.get("AIDER_MODEL") else None)
    if not chosen:
        raise BackendError(
            "no model: pass --model <name> or set AIDER_MODEL (e.g. ollama_chat/qwen3-coder:30b)"
        )
    return normalise_base_url(base_url), chosen
