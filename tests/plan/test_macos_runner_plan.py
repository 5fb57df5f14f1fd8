"""The CI profile (inventory/macos-ci.py) planned against a stubbed GitHub macOS runner.

A runner as the workflow meets it: macOS 14, arm64, 7 GB of memory, Homebrew, no
Tailscale (the CLI is absent), passwordless sudo. The host is in both the server and
the clients group, as `@local` is in the profile.
"""

from __future__ import annotations

import runpy

import pytest
from pyinfra.api.exceptions import PyinfraError

from remote_ollama.operations import power
from tests.plan.harness import REPO, plan
from tests.plan.macs import HOME, converged_mac, fresh_mac, group_settings, stub

PROFILE = runpy.run_path(str(REPO / "inventory" / "macos-ci.py"))["server"][0][1]
AGENT_PLIST = f"{HOME}/Library/LaunchAgents/com.remote-ollama.ollama.plist"
RUNNER = {
    # sw_vers on 14 separates key and value with one tab (two from 15 on).
    "macos": (0, ["ProductName:\tmacOS", "ProductVersion:\t14.7.1", "BuildVersion:\t23H222"]),
    "arch": (0, ["arm64"]),
    "memory": (0, [str(7 * 2**30)]),
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
    assert result.changes == [
        "Install Ollama (Homebrew formula)",
        "Create the log directory",
        "Write the Ollama launchd plist",
        "Load the Ollama job",
        "Wait for the Ollama API",
        "Pull missing models",
        "Keep the Mac awake (pmset)",
        "Ship the contract check",
        "Ship the warm-up tool",
        "Check the server against the API contract",
    ]
    plist = result.commands_of("Write the Ollama launchd plist")[1]
    assert plist.startswith(f"UPLOAD {AGENT_PLIST}")  # a LaunchAgent, as in the profile
    assert "<string>127.0.0.1:11434</string>" in plist
    assert "<string>8192</string>" in plist  # OLLAMA_CONTEXT_LENGTH from the profile
    assert f"launchctl bootstrap gui/$(id -u) {AGENT_PLIST}" in result.commands
    pull = result.commands_of("Pull missing models")[0]
    assert "for m in smollm2:135m; do" in pull
    assert "http://127.0.0.1:11434/api/pull" in pull


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
    from tests.plan.harness import repo_group_data

    models = repo_group_data()["all"]["models"]
    with pytest.raises(PyinfraError, match=r"qwen3-coder:30b needs about 17 GiB.*7 GiB"):
        plan_runner(fresh_mac(**RUNNER), models=models, default_model=models[0])


def test_converged_runner_gets_zero_changes():
    result = plan_runner(converged_runner())
    assert result.changes == []


def test_uninstall_on_the_runner_removes_only_the_job_plist_and_logs():
    result = plan_runner(converged_runner(), server_state="absent")
    assert result.changes == ["Unload the Ollama job", "Remove the Ollama plist",
                              "Remove the Ollama logs"]
    assert not [c for c in result.commands if "brew" in c or ".ollama/models" in c]
