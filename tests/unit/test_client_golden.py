"""Every file the client deploy renders equals its golden file (home-manager style).

Regenerate after an intended change with:
UPDATE_GOLDEN=1 pytest tests/unit/test_client_golden.py
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from remote_ollama import contract, render
from remote_ollama.compat import Verdict
from tests.plan.macs import group_settings

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "client"
URL = "http://ai-server:11434"
BINARY = "/Users/alice/.local/share/remote-ollama/claude-code/2.1.332/claude"


def settings(**overrides):
    return group_settings("clients", ollama_server_host="ai-server", **overrides)


RENDERED = {
    "env": lambda: render.env_file(settings(), URL),
    "env-no-default-model": lambda: render.env_file(settings(default_model=None), URL),
    # One env block for zsh and bash: it is POSIX sh, also read by dash from ~/.profile.
    "profile-env-block.sh": render.profile_env_block,
    "claude-ollama-block.sh": render.claude_ollama_block,
    "claude-ollama.sh": lambda: render.claude_ollama_script(settings(), URL, BINARY),
    "claude-ollama-skip-permissions.sh": lambda: render.claude_ollama_script(
        settings(claude_code_skip_permissions=True, claude_code_model="qwen3-coder:30b",
                 claude_code_small_model="qwen2.5-coder:7b", ollama_context_length=32768),
        URL, BINARY),
    "aider.conf.yml": lambda: render.aider_conf(settings()),
    "aider.model.settings.yml": lambda: render.aider_model_settings(settings()),
    "aider.model.metadata.json": lambda: render.aider_model_metadata(settings()),
    "version-lock": lambda: render.version_lock(
        "2.1.332", "0.14.2", Verdict("works", "2026-11-25", "")),
}


@pytest.mark.parametrize("golden", sorted(RENDERED))
def test_rendered_client_file_matches_golden(golden):
    text = RENDERED[golden]()
    path = GOLDEN / golden
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert text == path.read_text()


@pytest.mark.parametrize("golden", ["env", "env-no-default-model"])
def test_env_file_passes_the_contract_check(golden, tmp_path):
    (tmp_path / ".ai-client").mkdir()
    (tmp_path / ".ai-client" / "env").write_text(RENDERED[golden]())
    ctx = contract.Context(None, None, True, tmp_path)
    assert contract.check_env_file(ctx)
    assert contract.check_ollama_base(ctx) == URL
    assert contract.check_openai_base(ctx) == URL + "/v1"
    contract.check_api_key(ctx)


def test_aider_files_are_the_yaml_aider_expects():
    conf = yaml.safe_load(RENDERED["aider.conf.yml"]())
    assert conf["model"] == "ollama_chat/qwen2.5-coder:7b"
    assert conf["check-update"] is False and conf["analytics-disable"] is True
    entries = yaml.safe_load(RENDERED["aider.model.settings.yml"]())
    assert [e["name"] for e in entries] == [f"ollama_chat/{m}" for m in settings().models]
    assert {e["extra_params"]["num_ctx"] for e in entries} == {65536}


def test_aider_model_metadata_covers_every_model_without_a_network_lookup():
    """Aider reads this file (JSON5) before it would download litellm's price list."""
    import json

    text = RENDERED["aider.model.metadata.json"]()
    header, _, body = text.partition("\n")
    assert header.startswith("// Managed by remote-ollama")
    entries = json.loads(body)
    assert set(entries) == {f"ollama_chat/{m}" for m in settings().models}
    for entry in entries.values():
        assert entry["max_input_tokens"] == settings().ollama_context_length
        assert entry["input_cost_per_token"] == 0.0 and entry["litellm_provider"] == "ollama_chat"


@pytest.mark.parametrize("shell", ["bash", "zsh", "dash"])
def test_blocks_run_in_every_shell_that_reads_them(shell, tmp_path):
    import shutil

    if not shutil.which(shell):
        pytest.skip(f"{shell} is not installed")
    (tmp_path / ".ai-client").mkdir()
    (tmp_path / ".ai-client" / "env").write_text(RENDERED["env"]())
    script = RENDERED["profile-env-block.sh"]() + 'echo "$OLLAMA_API_BASE $PATH"\n'
    (tmp_path / ".ai-client" / "claude-ollama.sh").write_text(RENDERED["claude-ollama.sh"]())
    script += RENDERED["claude-ollama-block.sh"]()
    # bash and zsh get the function; dash (reading ~/.profile) skips it without an error.
    script += "if command -v claude-ollama >/dev/null; then echo has-function; fi\n"
    out = subprocess.run([shell, "-c", script], capture_output=True, text=True,
                         env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    lines = out.stdout.strip().splitlines()
    assert lines[0] == f"{URL} {tmp_path}/.local/bin:/usr/bin:/bin"
    assert lines[1:] == ([] if shell == "dash" else ["has-function"])


def test_claude_ollama_runs_the_pinned_binary_with_the_backend_env(tmp_path):
    fake = tmp_path / "claude"
    fake.write_text('#!/bin/sh\nenv | grep -E "^(ANTHROPIC|CLAUDE)_" | sort\necho "args: $*"\n')
    fake.chmod(0o755)
    block = render.claude_ollama_script(settings(claude_code_skip_permissions=True), URL,
                                        str(fake))
    out = subprocess.run(["bash", "-c", block + "claude-ollama -p hi"], capture_output=True,
                         text=True, env={"PATH": "/usr/bin:/bin",
                                         "ANTHROPIC_API_KEY": "sk-cloud-key"})  # fmt: skip
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "ANTHROPIC_API_KEY=" in lines  # the cloud key is blanked, so the token is used
    assert "ANTHROPIC_AUTH_TOKEN=ollama" in lines
    assert f"ANTHROPIC_BASE_URL={URL}" in lines
    assert "CLAUDE_CODE_MAX_CONTEXT_TOKENS=65536" in lines
    assert lines[-1] == "args: --dangerously-skip-permissions -p hi"
