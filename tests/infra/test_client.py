"""A converged client: the env contract, one profile block, pinned tools, the version lock."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.infra

ENV_BLOCK = ("# >>> remote-ollama env >>>", "# <<< remote-ollama env <<<")
CLAUDE_BLOCK = ("# >>> remote-ollama claude-ollama >>>", "# <<< remote-ollama claude-ollama <<<")


@pytest.fixture(scope="module")
def login_shell(host, client_settings) -> str:
    if client_settings.client_shell != "auto":
        return client_settings.client_shell
    user = host.user()
    return user.shell.rsplit("/", 1)[-1] if user.shell else "bash"


def profile_files(shell: str) -> list[str]:
    return ["~/.zshrc"] if shell == "zsh" else ["~/.bashrc"]


def env_values(text: str) -> dict[str, str]:
    values = {}
    for line in text.splitlines():
        match = re.fullmatch(r"export ([A-Z_]+)=(.*)", line.strip())
        if match:
            values[match.group(1)] = match.group(2).strip("'\"")
    return values


def test_env_file_is_exactly_the_contract(host, client_settings, server_base):
    env = host.file(f"{host.user().home}/.ai-client/env")
    assert env.exists and env.mode == 0o600
    expected = {
        "OLLAMA_API_BASE": server_base,
        "OPENAI_API_BASE": f"{server_base}/v1",
        "OPENAI_API_KEY": "ollama",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    }
    if client_settings.default_model:
        expected["AIDER_MODEL"] = f"ollama_chat/{client_settings.default_model}"
    assert env_values(env.content_string) == expected


@pytest.mark.parametrize("markers", [ENV_BLOCK])
def test_profile_block_appears_exactly_once(host, login_shell, markers):
    for path in profile_files(login_shell):
        text = host.run(f"cat {path}").stdout
        assert text.count(markers[0]) == 1 and text.count(markers[1]) == 1, path
        assert text.index(markers[0]) < text.index(markers[1])


def test_new_login_shell_has_the_contract(remote, login_shell, server_base):
    out = remote.login_shell('echo "$OLLAMA_API_BASE|$OPENAI_API_BASE|$OPENAI_API_KEY"',
                             login_shell)
    assert out.stdout.strip() == f"{server_base}|{server_base}/v1|ollama"


def test_aider_is_at_the_pinned_version(remote, login_shell, client_settings):
    out = remote.login_shell("aider --version", login_shell)
    assert out.rc == 0, out.stderr
    assert out.stdout.strip().endswith(client_settings.aider_version)


def test_claude_code_matches_the_setting(host, remote, login_shell, client_settings,
                                        server_base):
    profile = host.run(f"cat {profile_files(login_shell)[0]}").stdout
    if not client_settings.claude_code_enabled:
        assert CLAUDE_BLOCK[0] not in profile
        return
    assert profile.count(CLAUDE_BLOCK[0]) == 1
    function = host.file(f"{host.user().home}/.ai-client/claude-ollama.sh").content_string
    assert f"ANTHROPIC_BASE_URL={server_base}" in function.replace("'", "")
    assert "ANTHROPIC_AUTH_TOKEN=ollama" in function.replace("'", "")
    version = remote.login_shell("claude-ollama --version", login_shell)
    assert version.rc == 0, version.stderr
    assert version.stdout.startswith(client_settings.claude_code_version), version.stdout


def test_version_lock_records_the_pins(host, client_settings):
    lock = host.file(f"{host.user().home}/.ai-client/.version-lock")
    if not client_settings.claude_code_enabled:
        assert not lock.exists, "the lock pins Claude Code, which is not installed here"
        return
    assert lock.exists
    values = dict(line.split("=", 1) for line in lock.content_string.splitlines()
                  if "=" in line and not line.startswith("#"))
    values = {k: v.strip("'\"") for k, v in values.items()}
    assert set(values) >= {"CLAUDE_CODE_VERSION", "OLLAMA_VERSION", "TESTED_DATE", "STATUS"}
    assert values["CLAUDE_CODE_VERSION"] == (client_settings.claude_code_version or "")
