"""tests/infra finds tailscale and Homebrew's tools as the deploy does, with a Mac's
non-interactive SSH PATH (/usr/bin:/bin:/usr/sbin:/sbin)."""

from __future__ import annotations

import subprocess
from types import SimpleNamespace

import pytest

from remote_ollama.facts.homebrew import BREW_PREFIX
from tests.infra.tools import as_deploy, tailscale_ipv4

APP = "/Applications/Tailscale.app/Contents/MacOS"
SSH_PATH = "/usr/bin:/bin:/usr/sbin:/sbin"


class MacOverSsh:
    """A testinfra-like host: commands run in a local sh with a Mac's SSH PATH, and the
    Mac's absolute paths (Homebrew, the app bundle) moved under ``root``."""

    def __init__(self, root):
        self.root = root

    def run(self, command: str):
        command = command.replace(BREW_PREFIX, f"{self.root}/homebrew").replace(
            APP, f"{self.root}/app")
        out = subprocess.run(["sh", "-c", command], capture_output=True, text=True,
                             env={"PATH": SSH_PATH})
        return SimpleNamespace(rc=out.returncode, stdout=out.stdout, stderr=out.stderr)


def cli(path, ip: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\n[ \"$1 $2\" = 'ip -4' ] && echo {ip}\n")
    path.chmod(0o755)


@pytest.fixture
def mac(tmp_path):
    return MacOverSsh(tmp_path)


def test_the_formula_cli_in_homebrew_is_found(mac, tmp_path):
    cli(tmp_path / "homebrew" / "bin" / "tailscale", "100.64.0.10")
    assert mac.run("tailscale ip -4").rc != 0  # what tests/infra used to run
    assert tailscale_ipv4(mac) == "100.64.0.10"


def test_the_app_cli_is_found_when_there_is_no_formula(mac, tmp_path):
    cli(tmp_path / "app" / "Tailscale", "100.64.0.11")
    assert tailscale_ipv4(mac) == "100.64.0.11"


def test_no_tailscale_at_all_fails_with_the_reason(mac):
    with pytest.raises(AssertionError, match="tailscale ip -4 failed"):
        tailscale_ipv4(mac)


def test_homebrew_tools_are_on_the_deploys_path(mac, tmp_path):
    cli(tmp_path / "homebrew" / "bin" / "ollama", "x")
    assert mac.run("command -v ollama").rc != 0
    assert mac.run(as_deploy("command -v ollama")).stdout.strip().endswith("/homebrew/bin/ollama")
