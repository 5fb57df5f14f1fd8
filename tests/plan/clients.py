"""Stubbed clients for plan tests: macOS+zsh and Debian+bash, fresh and converged.

Each builder returns probe sections (see ``remote_ollama.probe``) in the formats the
client facts parse, from recorded outputs (tests/fixtures/macos, tests/fixtures/clients).
``converged_*`` computes what the client deploy leaves behind from the same renderers,
so "converged gives zero changes" proves the deploy reads back what it writes.
"""

from __future__ import annotations

import json
from pathlib import Path

from remote_ollama import render
from remote_ollama.client import (
    AUTOUPDATER_OFF,
    CLAUDE_END,
    CLAUDE_START,
    ENV_END,
    ENV_START,
    PROFILES,
)
from remote_ollama.compat import verdict
from remote_ollama.operations import aider
from remote_ollama.operations.profile import Block, edit_block
from remote_ollama.self_check import shipped_source
from remote_ollama.settings import Settings
from tests.plan.harness import managed_file_lines, probe_output
from tests.plan.macs import digest_of, group_settings, recorded

CLIENT_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "clients"
SERVER_URL = "http://ai-server:11434"
SERVER_VERSION = "0.14.2"
MAC_HOME, DEBIAN_HOME = "/Users/alice", "/home/dev"


def fixture(name: str) -> str:
    return (CLIENT_FIXTURES / name).read_text()


def text_file(content: str | None, mode: str = "644", links: int = 1) -> tuple[int, list[str]]:
    """A ManagedFile section for a file holding ``content`` (None: absent)."""
    return (0, managed_file_lines(content, mode, links))


def managed_file(content: str | None, mode: str = "644") -> tuple[int, list[str]]:
    return text_file(content, mode)


def exists(yes: bool) -> tuple[int, list[str]]:
    return (0, ["yes" if yes else "no"])


def entries(names: list[str] | None) -> tuple[int, list[str]]:
    return (0, ["absent"]) if names is None else (0, ["dir", *names])


def aider_at(home: str, installer: str, version: str, python: str) -> tuple[int, list[str]]:
    """AiderInstall's section for uv's or pipx's own install (a seed or pre-issue-15 host)."""
    tools = {"uv": f"{home}/.local/share/uv/tools", "pipx": f"{home}/.local/share/pipx/venvs"}
    return (
        0,
        [
            f"{tools[installer]}/aider-chat/lib/python{python}/site-packages/"
            f"aider_chat-{version}.dist-info"
        ],
    )


def _fresh(home: str, shell: str, platform: dict, profiles: dict[str, str | None]) -> dict:
    sections = {
        "identity": (0, ["uid=501", "user=me", f"home={home}", f"shell={shell}"]),
        **platform,
        "tailscale": (0, recorded("tailscale-status-running.json")),
        "server": (0, [f'{{"version":"{SERVER_VERSION}"}}', "@@http 200", "@@http 200"]),
        "env": managed_file(None),
        "lock": managed_file(None),
        "env_present": exists(False),
        "lock_present": exists(False),
        "claude_present": exists(False),
        "claude_script": managed_file(None),
        "claude_script_present": exists(False),
        "client_dir": entries(None),
        "aider_uv": (0, []),
        "aider_pipx": (0, []),
        "aider_link": (0, ["absent"]),
        "aider_checked": exists(False),
        "aider_versions": entries(None),
        "aider_present": exists(False),
        "uv": (0, []),
        "pipx": (0, []),
        "claude_versions": entries(None),
        "claude_binary": exists(False),
        "claude_link": (0, ["absent"]),
        "claude_settings": text_file(None),
        "contract": text_file(None),
        "contract_present": exists(False),
        "seed_uninstaller": text_file(None),
        "last_converge": (0, ["@@absent"]),  # rollback.converge_request("client"): none yet
        "last_converge_present": exists(False),
        "state_dir": entries(None),
    }
    for name in PROFILES:
        sections[f"profile{name}"] = text_file(profiles.get(name))
    for name in (".aider.conf.yml", ".aider.model.settings.yml", ".aider.model.metadata.json"):
        sections[f"file{name}"] = text_file(None)
        sections[f"backup{name}"] = exists(False)
    return sections


def fresh_mac_client(**changes) -> dict:
    """macOS 15 on Apple Silicon, zsh, Homebrew and a logged-in Tailscale; a user .zshrc."""
    sections = _fresh(
        MAC_HOME,
        "/bin/zsh",
        {
            "macos": (0, recorded("sw_vers-15.txt")),
            "linux": (1, []),
            "arch": (0, ["arm64"]),
            "brew": (0, ["brew", "formula /opt/homebrew/Cellar/git/2.47.0"]),
            "python": (0, []),
        },
        {".zshrc": 'export EDITOR=vim\nalias ll="ls -l"'},
    )  # no final newline, as users write
    sections.update(changes)
    return sections


def fresh_debian_client(**changes) -> dict:
    """Debian 12 (x86-64), bash with the skeleton dotfiles, python3.11 and no Homebrew."""
    sections = _fresh(
        DEBIAN_HOME,
        "/bin/bash",
        {
            "macos": (0, ["@@remote-ollama-probe-missing-command@@"]),
            "linux": (0, fixture("os-release-debian-12.txt").splitlines()),
            "arch": (0, ["x86_64"]),
            "brew": (0, []),
            "python": (0, ["/usr/bin/python3.11"]),
        },
        {
            ".bashrc": fixture("bashrc-debian-skel.txt"),
            ".profile": fixture("profile-debian-skel.txt"),
        },
    )
    sections.update(changes)
    return sections


# What the install scripts (henriquefalconer/remote-ollama, client/scripts/install.sh) leave:
# the env block their heredoc appends to ~/.zshrc or ~/.bashrc (after an empty line), the
# env file (umask mode, OLLAMA_API_BASE with /v1 in early versions), and uninstall.sh.
SEED_BLOCK = ('\n# >>> ai-client >>>\n# remote-ollama ai-client environment configuration\n'
              'if [ -f "$HOME/.ai-client/env" ]; then\n    source "$HOME/.ai-client/env"\nfi\n'
              '# <<< ai-client <<<\n')
SEED_ENV_FILE = ("# remote-ollama ai-client environment configuration\n"
                 "# Source: client/specs/API_CONTRACT.md\n"
                 "# Generated from env.template by install.sh -- do not edit manually\n"
                 "export OLLAMA_API_BASE=http://ai-server:11434/v1\n"
                 "export OPENAI_API_BASE=http://ai-server:11434/v1\n"
                 "export OPENAI_API_KEY=ollama\n# export AIDER_MODEL=ollama/<model-name>\n")
SEED_UNINSTALLER = ("#!/bin/bash\nset -euo pipefail\n\n# remote-ollama-client uninstall script\n"
                    "# Removes only client-side changes made by install.sh\n")


def seeded(fresh: dict, profile: str, users: str) -> dict:
    """``fresh`` as the install scripts left it, ``users`` being the profile before them."""
    return {**fresh, f"profile{profile}": text_file(users + SEED_BLOCK),
            "env": text_file(SEED_ENV_FILE), "env_present": exists(True),
            "seed_uninstaller": text_file(SEED_UNINSTALLER),
            "client_dir": entries(["env", "uninstall.sh"])}


def client_settings(**overrides) -> Settings:
    return group_settings("clients", ollama_server_host="ai-server", **overrides)


def converged(fresh: dict, settings: Settings, **changes) -> dict:
    """``fresh`` after the client deploy ran with ``settings``."""
    home = fresh["identity"][1][2].removeprefix("home=")
    shell = fresh["identity"][1][3].rsplit("/", 1)[-1]
    sections = dict(fresh)
    installer = settings.aider_installer
    tool_dir = "/opt/homebrew/bin" if home.startswith("/Users") else f"{home}/.local/bin"
    python = f"/opt/homebrew/bin/python{settings.aider_python}"
    sections[installer] = (0, [f"{tool_dir}/{installer}"])
    # issue 15: Aider in our own version folder, linked; no install of uv's or pipx's own
    sections["aider_uv"] = sections["aider_pipx"] = (0, [])
    aider_root = f"{home}/{aider.ROOT}"
    sections["aider_link"] = (0, ["link", aider.binary(aider_root, settings.aider_version,
                                                       settings.aider_python)])
    sections["aider_checked"] = exists(True)
    sections["aider_versions"] = entries([aider.entry(settings.aider_version,
                                                      settings.aider_python)])
    sections["aider_present"] = exists(True)
    if home.startswith("/Users"):
        sections["python"] = (0, [python])
    sections["env"] = managed_file(render.env_file(settings, SERVER_URL), "600")
    sections["env_present"] = exists(True)
    sections["file.aider.conf.yml"] = text_file(render.aider_conf(settings))
    sections["file.aider.model.settings.yml"] = text_file(render.aider_model_settings(settings))
    sections["file.aider.model.metadata.json"] = text_file(render.aider_model_metadata(settings))

    binary = f"{home}/.local/share/remote-ollama/claude-code/{settings.claude_code_version}/claude"
    claude_body = None
    if settings.claude_code_enabled:
        claude_body = render.claude_ollama_block()
        script = render.claude_ollama_script(settings, SERVER_URL, binary)
        sections["claude_script"] = managed_file(script)
        sections["claude_script_present"] = exists(True)
        ollama = settings.ollama_version or SERVER_VERSION
        lock = render.version_lock(
            settings.claude_code_version, ollama, verdict(settings.claude_code_version, ollama)
        )
        sections["lock"] = managed_file(lock)
        sections["lock_present"] = exists(True)
        sections["claude_present"] = exists(True)
        sections["claude_versions"] = entries([settings.claude_code_version])
        sections["claude_binary"] = exists(True)
        sections["claude_link"] = (0, ["link", binary])
        sections["claude_settings"] = text_file(json.dumps(AUTOUPDATER_OFF, indent=2) + "\n", "600")
    sections["contract"] = digest_of(shipped_source("contract"), "755")
    sections["contract_present"] = exists(True)
    ours = [".version-lock", "claude-ollama.sh"] if claude_body else []
    sections["client_dir"] = entries(["env", *ours])

    if shell == "zsh":
        targets = [".zshrc", ".zprofile"]
    else:
        login = ".bash_profile" if _content(fresh, ".bash_profile") is not None else ".profile"
        targets = [".bashrc", login]
    for name in PROFILES:
        content = _content(fresh, name)
        if name in targets:
            content = edit_block(content, Block(ENV_START, ENV_END, render.profile_env_block()))
            if claude_body:
                content = edit_block(content, Block(CLAUDE_START, CLAUDE_END, claude_body))
        sections[f"profile{name}"] = text_file(content)
    sections.update(changes)
    return sections


def _content(sections: dict, name: str) -> str | None:
    from remote_ollama.facts.files import ManagedFile

    found = ManagedFile().process(sections[f"profile{name}"][1])
    return found["content"] if found else None


def stub(sections: dict, **data) -> dict:
    """Host data for the harness: the probe answers with ``sections``."""
    return {"fake_responses": {"@@remote-ollama-probe-begin": probe_output(sections)}, **data}
