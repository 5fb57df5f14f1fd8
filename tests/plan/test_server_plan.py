"""deploys/server.py planned against stubbed Macs: fresh, converged and drifted."""

from __future__ import annotations

import pytest
from pyinfra.api.exceptions import PyinfraError

from remote_ollama.operations.launchd import bootout_command, bootstrap_command
from remote_ollama.probe import MISSING
from tests.plan.harness import plan
from tests.plan.macs import (
    FRESH_SERVER_CHANGES,
    HOME,
    TAILSCALE_IP,
    converged_mac,
    fresh_mac,
    group_settings,
    mac_system,
    recorded,
    stub,
)

URL = f"http://{TAILSCALE_IP}:11434"
PLIST = f"{HOME}/Library/LaunchAgents/com.remote-ollama.ollama.plist"


def plan_server(sections, **data):
    return plan("server", server={"ai-server": stub(sections)}, data=data)["ai-server"]


def test_fresh_mac_gets_the_full_plan_in_order():
    result = plan_server(fresh_mac())
    assert result.changes == FRESH_SERVER_CHANGES
    commands = result.commands
    assert "/opt/homebrew/bin/brew install --formula ollama" in commands
    assert bootstrap_command("gui/$(id -u)", PLIST) in commands
    upload = next(c for c in commands if c.startswith(f"UPLOAD {PLIST}"))
    assert f"<string>{TAILSCALE_IP}:11434</string>" in upload
    assert result.commands_of("Pull missing models")[0].endswith(
        "--no-load qwen2.5-coder:7b qwen3-coder:30b")
    assert result.commands_of("Keep the Mac awake (pmset)") == [
        "pmset -a autorestart 1 disksleep 0 sleep 0"
    ]


def test_converged_mac_gets_zero_changes():
    result = plan_server(converged_mac(group_settings("server")))
    assert result.changes == []


def test_the_server_probe_lists_and_prints_launchd_jobs_in_one_section(sent):
    """Our job, the warm job and gui/<uid> are read from OllamaJobs' listing of each
    domain: its two ``launchctl print`` loops are the probe's only ones (before: three
    more, a print of our job, of the warm job and a listing of gui/<uid>)."""
    result = plan_server(converged_mac(group_settings("server")))
    assert result.changes == [] and len(sent) == 1
    assert sent[0].count("launchctl print") == 2


def test_a_loaded_warm_job_is_seen_in_the_one_probe_and_unloaded_when_not_wanted(sent):
    """warm_at_boot off, its job still loaded: the probe's OllamaJobs section says so (the
    job's print, as for com.ollama in launchctl-print-not-running.txt, a one-shot job
    that has exited), and the deploy boots it out without asking launchd again."""
    label = "com.remote-ollama.ollama.warm"
    warm = [line.replace("com.ollama", label).replace("78: EX_CONFIG", "0")
            for line in recorded("launchctl-print-not-running.txt")]
    result = plan_server(converged_mac(group_settings("server"), warm_job=(0, warm),
                                       warm_plist_present=(0, ["yes"])))
    assert result.commands_of("Unload the warm-up job") == [bootout_command("gui/$(id -u)",
                                                                            label)]
    assert len(result.executed) == 1 and sent[0] == result.executed[0]  # the probe alone


def test_one_ollama_setting_changed_gives_only_the_plist_update_and_one_restart():
    before = converged_mac(group_settings("server"))
    result = plan_server(before, ollama_keep_alive="1h")
    assert result.changes == ["Write the Ollama launchd plist", "Load the Ollama job",
                              "Verify Ollama (roll back on failure)",
                              "Check the server against the API contract",
                                  "Record this converge"]
    load = result.commands_of("Load the Ollama job")
    assert load == [bootout_command("gui/$(id -u)", "com.remote-ollama.ollama"),
                    bootstrap_command("gui/$(id -u)", PLIST)]
    assert "<string>1h</string>" in result.commands_of("Write the Ollama launchd plist")[1]


def test_one_model_added_gives_only_that_pull():
    settings = group_settings("server")
    result = plan_server(converged_mac(settings),
                         models=[*settings.models, "llama3.2:3b"])
    assert result.changes == ["Pull missing models", "Check the server against the API contract",
                                  "Record this converge"]
    assert result.commands_of("Pull missing models")[0].endswith("--no-load llama3.2:3b")


def test_tailscale_logged_out_fails_before_any_change():
    sections = fresh_mac(tailscale=(0, recorded("tailscale-status-needslogin.json")))
    with pytest.raises(PyinfraError, match=r"Tailscale is NeedsLogin .*tailscale up"):
        plan_server(sections)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"mac": mac_system("13.6.1")}, r"macOS 13\.6\.1 is too old"),
        ({"mac": mac_system("15.1", arm64=False)}, r"architecture is 'x86_64', not 'arm64'"),
        ({"mac": (0, [MISSING])}, r"not macOS"),  # no sysctl at all
        ({"mac": (0, [])}, r"not macOS"),  # Linux's sysctl: none of the names
        ({"brew": (0, [])}, r"Homebrew is not installed"),
        ({"identity": (0, ["uid=0", "user=root", "home=/var/root", "shell=/bin/sh"])},
         r"Ollama must never run as root"),
    ],
)
def test_unsupported_hosts_fail_with_a_clear_error(change, message):
    with pytest.raises(PyinfraError, match=message):
        plan_server(fresh_mac(**change))


def test_models_that_cannot_fit_fail_or_warn():
    small = fresh_mac(mac=mac_system("15.1", memsize=16 * 2**30))
    with pytest.raises(PyinfraError, match=r"qwen3-coder:30b needs about 17 GiB.*16 GiB"):
        plan_server(small)
    assert plan_server(small, memory_check="warn").changes  # converges anyway


def test_launch_daemon_runs_as_the_user_with_sudo():
    result = plan_server(fresh_mac(), ollama_service="daemon")
    daemon = "/Library/LaunchDaemons/com.remote-ollama.ollama.plist"
    upload = next(c for c in result.commands if c.startswith(f"UPLOAD {daemon}"))
    assert "<key>UserName</key>\n\t<string>admin</string>" in upload
    assert bootstrap_command("system", daemon) in result.commands


def test_pinned_version_installs_from_the_archive_and_a_new_pin_restarts():
    settings = group_settings("server", ollama_version="0.14.2")
    # The probe asks about the 0.13.9 folder, which does not exist yet.
    downgrade = converged_mac(settings, binary_present=(0, ["no"]), binary=(1, []))
    result = plan_server(downgrade, ollama_version="0.13.9")
    assert result.changes == [
        "Install Ollama 0.13.9 from its release archive",
        "Write the Ollama launchd plist",
        "Load the Ollama job",
        "Verify Ollama (roll back on failure)",
        "Check the server against the API contract",
        "Record this converge",
    ]
    install = result.commands_of("Install Ollama 0.13.9 from its release archive")[0]
    assert "releases/download/v0.13.9/ollama-darwin.tgz" in install
    plist = result.commands_of("Write the Ollama launchd plist")[1]
    assert f"<string>{HOME}/.local/opt/ollama/0.13.9/ollama</string>" in plist
    assert plan_server(converged_mac(settings), ollama_version="0.14.2").changes == []


def test_loopback_binding_and_no_tailscale_for_ci_runners():
    sections = fresh_mac(tailscale=(0, ["@@absent"]))
    result = plan_server(sections, ollama_bind="loopback", tailscale_required=False)
    upload = next(c for c in result.commands if c.startswith(f"UPLOAD {PLIST}"))
    assert "<string>127.0.0.1:11434</string>" in upload


def test_uninstall_removes_job_plist_and_logs_and_nothing_else():
    result = plan_server(converged_mac(group_settings("server")), server_state="absent")
    assert result.changes == ["Unload the Ollama job", "Remove the Ollama plist",
                              "Remove the Ollama logs", "Remove the log folder"]
    assert not any("brew" in c or "ollama/models" in c for c in result.commands)
    assert plan_server(fresh_mac(), server_state="absent").changes == []


def test_invalid_settings_send_no_command_to_any_host():
    with pytest.raises(PyinfraError, match=r"ai-server: ollama_port=70000 is invalid"):
        plan("server", server={"ai-server": stub(fresh_mac(), ollama_port=70000)})


def test_invalid_settings_reach_no_host_even_a_valid_one(sent):
    with pytest.raises(PyinfraError, match=r"ai-client-1: unknown setting 'modles'"):
        plan("server", server={"ai-server": stub(fresh_mac())},
             clients={"ai-client-1": {"modles": ["x"]}})
    assert sent == []


def test_a_converged_run_asks_the_host_only_through_the_probe():
    result = plan_server(converged_mac(group_settings("server")))
    assert len(result.executed) == 1  # one probe, the API read at the address it looked up
    assert all(c.startswith("{ echo '@@remote-ollama-probe-begin") for c in result.executed)


def test_self_check_runs_the_shipped_contract_only_after_a_change():
    result = plan_server(fresh_mac())
    assert result.commands_of("Check the server against the API contract") == [
        f"python3 -Es {HOME}/.local/share/remote-ollama/contract.py --server {URL} --no-client "
        "--json --deadline 300"
    ]
    assert "Check the server against the API contract" not in result.errors_ignored
    shipped = result.commands_of("Ship the contract check")[1]
    assert shipped.startswith(f"UPLOAD {HOME}/.local/share/remote-ollama/contract.py")


def test_warm_models_load_after_converging_and_optionally_at_boot():
    settings = group_settings("server")
    result = plan_server(converged_mac(settings), warm_models=["qwen2.5-coder:7b"],
                         warm_at_boot=True)
    assert result.changes == ["Warm models", "Write the warm-up job", "Load the warm-up job",
                              "Check the server against the API contract",
                                  "Record this converge"]
    warm_job = result.commands_of("Write the warm-up job")[1]
    assert "warm.py --server" in warm_job and "qwen2.5-coder:7b" in warm_job
    assert result.commands_of("Load the warm-up job") == [bootstrap_command(
        "gui/$(id -u)", f"{HOME}/Library/LaunchAgents/com.remote-ollama.ollama.warm.plist")]


def test_a_tailscale_address_that_differs_from_the_probes_is_read_again():
    """The shell's address and the parsed status JSON disagree: ask the API once more."""
    other = (0, ["@@address 100.99.99.99"])
    result = plan_server(converged_mac(group_settings("server"), api_tailnet=other))
    assert len(result.executed) == 2
    assert "probe-begin api'" in result.executed[1]
