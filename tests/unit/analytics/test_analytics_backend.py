"""The claude-ollama environment and where the server and model come from."""

from pathlib import Path

import pytest

from remote_ollama.analytics.backend import (
    DEFAULT_CONTEXT_TOKENS,
    MAX_FILE_BYTES,
    BackendError,
    ContextWindow,
    claude_ollama_env,
    model_from_aider,
    normalise_base_url,
    read_exports,
    resolve_context_window,
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


# --- the client's files: ~/.ai-client/env and the alias's own file ---------------------

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "client"


def client_home(tmp_path, env_text=None, alias_text=None):
    (tmp_path / ".ai-client").mkdir(exist_ok=True)
    if env_text is not None:
        (tmp_path / ".ai-client" / "env").write_text(env_text)
    if alias_text is not None:
        (tmp_path / ".ai-client" / "claude-ollama.sh").write_text(alias_text)
    return tmp_path


def test_read_exports_reads_the_rendered_files():
    assert read_exports(GOLDEN / "env") == {
        "OLLAMA_API_BASE": "http://ai-server:11434",
        "OPENAI_API_BASE": "http://ai-server:11434/v1",
        "OPENAI_API_KEY": "ollama",
        "AIDER_MODEL": "ollama_chat/qwen2.5-coder:7b",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    }
    alias = read_exports(GOLDEN / "claude-ollama.sh")
    assert alias["CLAUDE_CODE_MAX_CONTEXT_TOKENS"] == "65536"
    assert alias["ANTHROPIC_API_KEY"] == ""


def test_read_exports_tolerates_odd_files(tmp_path):
    path = tmp_path / "f"
    path.write_text(
        "export A='quoted value'\n"
        "export B=\"unterminated\n"  # not a shell word: skipped
        "export C=two words\n"  # not one word: skipped
        "junk line\r\n"
        "export D=crlf\r\n"
        "export E=last-without-newline"
    )
    assert read_exports(path) == {"A": "quoted value", "D": "crlf", "E": "last-without-newline"}
    assert read_exports(tmp_path / "missing") == {}
    path.write_bytes(b"export X=1\n" + b"#" * (MAX_FILE_BYTES + 1))
    assert read_exports(path) == {}  # not a file we wrote
    path.write_bytes(b"export X=\xff\n")
    assert read_exports(path) == {"X": "\ufffd"}


def test_resolve_backend_falls_back_to_the_env_file(tmp_path):
    home = client_home(tmp_path, env_text=(GOLDEN / "env").read_text())
    assert resolve_ollama_backend(None, None, {}, home) == ("http://ai-server:11434", "qwen2.5-coder:7b")
    # the process environment and the flags still win
    environ = {"OLLAMA_API_BASE": "http://other:1"}
    assert resolve_ollama_backend(None, None, environ, home) == ("http://other:1", "qwen2.5-coder:7b")
    assert resolve_ollama_backend("http://flag:2", "m", environ, home) == ("http://flag:2", "m")


def test_context_window_matches_the_alias(tmp_path):
    alias = (GOLDEN / "claude-ollama.sh").read_text().replace("=65536", "=32768")
    home = client_home(tmp_path, alias_text=alias)
    assert resolve_context_window(None, {}, home) == ContextWindow(32768, "~/.ai-client/claude-ollama.sh")
    assert resolve_context_window(None, {"CLAUDE_CODE_MAX_CONTEXT_TOKENS": "8192"}, home) == (
        ContextWindow(8192, "$CLAUDE_CODE_MAX_CONTEXT_TOKENS")
    )
    assert resolve_context_window(4096, {"CLAUDE_CODE_MAX_CONTEXT_TOKENS": "8192"}, home) == (
        ContextWindow(4096, "--max-context")
    )
    # no alias file: the deploy's default, never "unset" (claude would assume 1,000,000)
    assert resolve_context_window(None, {}, tmp_path / "nowhere").tokens == DEFAULT_CONTEXT_TOKENS


@pytest.mark.parametrize("bad", ["", "0", "-1", "64k", "1e5", "99999999999999999999"])
def test_context_window_refuses_a_bad_value(tmp_path, bad):
    with pytest.raises(BackendError, match="not a token count"):
        resolve_context_window(None, {"CLAUDE_CODE_MAX_CONTEXT_TOKENS": bad}, tmp_path)


def test_default_context_is_the_deploys_default():
    from remote_ollama.settings import Settings

    assert Settings.model_fields["ollama_context_length"].default == DEFAULT_CONTEXT_TOKENS
