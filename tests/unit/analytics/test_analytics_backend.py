"""The claude-ollama environment and where the server and model come from."""

import pytest

from remote_ollama.analytics.backend import (
    BackendError,
    claude_ollama_env,
    model_from_aider,
    normalise_base_url,
    resolve_ollama_backend,
)


def test_claude_ollama_env_is_the_alias_environment():
    assert claude_ollama_env("http://ai-server:11434", "qwen3-coder:30b") == {
        "ANTHROPIC_BASE_URL": "http://ai-server:11434",
        "ANTHROPIC_AUTH_TOKEN": "ollama",
        "ANTHROPIC_API_KEY": "",
        "ANTHROPIC_MODEL": "qwen3-coder:30b",
        "ANTHROPIC_DEFAULT_OPUS_MODEL": "qwen3-coder:30b",
        "ANTHROPIC_DEFAULT_SONNET_MODEL": "qwen3-coder:30b",
        "ANTHROPIC_DEFAULT_HAIKU_MODEL": "qwen3-coder:30b",
        "CLAUDE_CODE_SUBAGENT_MODEL": "qwen3-coder:30b",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    }


def test_small_model_and_max_context():
    env = claude_ollama_env("http://s:11434/v1/", "big", small_model="small", max_context=65536)
    assert env["ANTHROPIC_BASE_URL"] == "http://s:11434"
    assert env["ANTHROPIC_DEFAULT_HAIKU_MODEL"] == "small"
    assert env["ANTHROPIC_DEFAULT_SONNET_MODEL"] == "big"
    assert env["CLAUDE_CODE_MAX_CONTEXT_TOKENS"] == "65536"


@pytest.mark.parametrize("bad", ["ai-server:11434", "ftp://x:1", "http://", ""])
def test_bad_urls_are_rejected(bad):
    with pytest.raises(BackendError):
        normalise_base_url(bad)


def test_aider_model_prefixes_are_removed():
    assert model_from_aider("ollama_chat/qwen3-coder:30b") == "qwen3-coder:30b"
    assert model_from_aider("ollama/llama3") == "llama3"
    assert model_from_aider("plain") == "plain"


def test_resolve_from_client_env():
    environ = {"OLLAMA_API_BASE": "http://ai-server:11434", "AIDER_MODEL": "ollama_chat/m:7b"}
    assert resolve_ollama_backend(None, None, environ) == ("http://ai-server:11434", "m:7b")
    # flags win over the environment
    assert resolve_ollama_backend("http://other:1234/v1", "x", environ) == (
        "http://other:1234", "x",
    )


def test_resolve_errors_name_the_fix():
    with pytest.raises(BackendError, match="OLLAMA_API_BASE"):
        resolve_ollama_backend(None, "m", {})
    with pytest.raises(BackendError, match="AIDER_MODEL"):
        resolve_ollama_backend("http://s:11434", None, {})
