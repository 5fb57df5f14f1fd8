"""The CI profile (inventory/macos-ci.py) planned against a stubbed GitHub macOS runner.

A runner as the workflow meets it: macOS 14, arm64, 7 GB of memory, Homebrew, no
Tailscale (the CLI is absent), passwordless sudo. The host is in both the server and
the clients group, as `@local` is in the profile.
"""

from __future__ import annotations

import runpy

import pytest
from pyinfra.api.exceptions import PyinfraError

from remote_ollama.client import SHELL_PROFILES
from remote_ollama.operations import power
from remote_ollama.operations.launchd import bootstrap_command
from tests.plan import clients
from tests.plan.harness import REPO, plan, repo_group_data
from tests.plan.macs import (
    FRESH_SERVER_CHANGES,
    HOME,
    converged_mac,
    fresh_mac,
    group_settings,
    mac_system,
    stub,
)

PROFILE = runpy.run_path(str(REPO / "inventory" / "macos-ci.py"))["server"][0][1]
AGENT_PLIST = f"{HOME}/Library/LaunchAgents/com.remote-ollama.ollama.plist"
RUNNER = {
    # sw_vers on 14 separates key and value with one tab (two from 15 on).
    "macos": (0, ["ProductName:\tmacOS", "ProductVersion:\t14.7.1", "BuildVersion:\t23H222"]),
    "arch": (0, ["arm64"]),
    "mac": mac_system("14.7.1", memsize=7 * 2**30),
    "tailscale": (0, ["@@absent"]),
}


def plan_runner(sections, **data):
    """Plan deploys/server.py on one runner in both groups, with the CI profile as host data."""
    host = stub(sections, **PROFILE)
    return plan("server", server={"runner": host}, clients={"runner": host}, data=data)["runner"]


def converged_runner():
    return converged_mac(group_settings("server", **PROFILE), **RUNNER)


@pytest.fixture
def pmset_calls(monkeypatch):
    """The keyword arguments each pmset operation was called with (to see `_sudo`)."""
    calls = []
    original = power.pmset

    def record(*args, **kwargs):
        calls.append(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(power, "pmset", record)
    return calls


def test_fresh_runner_plans_a_full_server_converge(pmset_calls):
    result = plan_runner(fresh_mac(**RUNNER))
    assert result.changes == FRESH_SERVER_CHANGES
    plist = result.commands_of("Write the Ollama launchd plist")[1]
    assert plist.startswith(f"UPLOAD {AGENT_PLIST}")  # a LaunchAgent, as in the profile
    assert "<string>127.0.0.1:11434</string>" in plist
    assert "<string>8192</string>" in plist  # OLLAMA_CONTEXT_LENGTH from the profile
    assert bootstrap_command("gui/$(id -u)", AGENT_PLIST) in result.commands
    pull = result.commands_of("Pull missing models")[0]
    assert pull == (f"python3 -Es {HOME}/.local/share/remote-ollama/warm.py "
                    "--server http://127.0.0.1:11434 --no-load smollm2:135m")


def test_pmset_runs_with_sudo_and_only_the_profiles_keys(pmset_calls):
    result = plan_runner(fresh_mac(**RUNNER))
    assert result.commands_of("Keep the Mac awake (pmset)") == ["pmset -a disksleep 0 sleep 0"]
    assert pmset_calls == [
        {"name": "Keep the Mac awake (pmset)", "settings": PROFILE["pmset"], "_sudo": True}
    ]


def test_nothing_about_tailscale_is_run_or_required():
    result = plan_runner(fresh_mac(**RUNNER))
    shell = [c for c in result.commands if not c.startswith("UPLOAD ")]  # not shipped files
    assert not [c for c in shell if "tailscale" in c.lower() or "100." in c]
    assert "tailscale" not in result.commands_of("Write the Ollama launchd plist")[1].lower()


def test_the_runner_would_fail_without_the_profiles_tailscale_setting():
    with pytest.raises(PyinfraError, match=r"Tailscale is not installed"):
        plan_runner(fresh_mac(**RUNNER), tailscale_required=True, ollama_bind="tailscale")


def test_the_repos_default_models_do_not_fit_in_7_gb():
    models = repo_group_data()["all"]["models"]
    with pytest.raises(PyinfraError, match=r"qwen3-coder:30b needs about 17 GiB.*7 GiB"):
        plan_runner(fresh_mac(**RUNNER), models=models, default_model=models[0])


def test_converged_runner_gets_zero_changes():
    result = plan_runner(converged_runner())
    assert result.changes == []


def test_uninstall_on_the_runner_removes_only_the_job_plist_and_logs():
    result = plan_runner(converged_runner(), server_state="absent")
    assert result.changes == ["Unload the Ollama job", "Remove the Ollama plist",
                              "Remove the Ollama logs", "Remove the log folder"]
    assert not [c for c in result.commands if "brew" in c or ".ollama/models" in c]


# --- the client deploy on the same runner ----------------------------------------------

LOCAL_URL = "http://127.0.0.1:11434"


def plan_runner_client(sections, **data):
    host = stub(sections, **PROFILE)
    return plan("client", server={"runner": host}, clients={"runner": host}, data=data)["runner"]


def fresh_runner_client(shell: str = "/bin/bash"):
    """The runner's user logs in with bash (runner-images sets it); the profile asks for zsh."""
    identity = (0, ["uid=501", "user=runner", f"home={clients.MAC_HOME}", f"shell={shell}"])
    return clients.fresh_mac_client(identity=identity, **RUNNER)


def test_fresh_runner_plans_the_client_with_zsh_and_pinned_tools():
    result = plan_runner_client(fresh_runner_client())
    # client_shell wins over bash: only the zsh files get blocks
    assert result.files_changed(SHELL_PROFILES) == [".zshrc", ".zprofile"]
    env = result.commands_of("Write ~/.ai-client/env")[1]
    assert f"export OLLAMA_API_BASE={LOCAL_URL}\n" in env
    assert "export AIDER_MODEL=ollama_chat/smollm2:135m" in env
    assert [c for c in result.commands if "aider-chat==0.86.2" in c]
    assert "Install Claude Code 2.1.332" in result.changes
    assert "Write the version lock" in result.changes


def test_converged_runner_client_gets_zero_changes(monkeypatch):
    # converged() renders for clients.SERVER_URL and derives the profile files from the
    # login shell, so this stub points it at the runner's server and logs in with zsh.
    monkeypatch.setattr(clients, "SERVER_URL", LOCAL_URL)
    settings = group_settings("clients", **PROFILE)
    result = plan_runner_client(clients.converged(fresh_runner_client("/bin/zsh"), settings))
    assert result.changes == []


def test_client_uninstall_on_the_runner_keeps_homebrew_and_uv(monkeypatch):
    monkeypatch.setattr(clients, "SERVER_URL", LOCAL_URL)
    settings = group_settings("clients", **PROFILE)
    converged = clients.converged(fresh_runner_client("/bin/zsh"), settings)
    result = plan_runner_client(converged, client_state="absent")
    assert "Remove ~/.ai-client/env" in result.changes
    home = converged["identity"][1][2].removeprefix("home=")
    assert result.commands_of("Remove Aider (ours)") == [
        f"rm -rf {home}/.local/share/remote-ollama/aider"]
    removals = [c for c in result.commands if c.startswith(("rm", "/opt/homebrew/bin/brew"))]
    assert not [c for c in removals if "/opt/homebrew" in c or ".ollama" in c]
