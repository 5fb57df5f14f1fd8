"""Other Ollama servers on the Mac, planned against stubbed Macs (issues 12 and 19).

Each test names what it proves: `brew services` stopped in every launchd domain, the
install scripts' job retired with its plist kept, unknown servers stopping the run before
any change, agent mode refused without a console login, our job proven to be the port's
listener, and jobs loaded from an older definition reloaded.
"""

from __future__ import annotations

import pytest
from pyinfra.api.exceptions import PyinfraError

from remote_ollama.operations.launchd import bootout_command
from tests.plan.harness import plan
from tests.plan.macs import (
    HOME,
    OUR_PID,
    UID,
    USER,
    converged_mac,
    fresh_mac,
    group_settings,
    listeners,
    ollama_jobs,
    recorded,
    stub,
)
from tests.seed_plist import seed_plist

BREW = "/opt/homebrew/opt/ollama/bin/ollama"
SEED_PLIST = f"{HOME}/Library/LaunchAgents/com.ollama.plist"
BACKUP = f"{HOME}/Library/Logs/remote-ollama-backup"
SEED_TEXT = seed_plist()  # the install scripts' LaunchAgent (issue 19)


def plan_server(sections, **data):
    return plan("server", server={"ai-server": stub(sections)}, data=data)["ai-server"]


def running(target: str, pid: int, program: str = BREW, path: str = "") -> list[str]:
    """``launchctl print`` of a running job (launchctl-print-running.txt, retargeted)."""
    out = []
    for line in recorded("launchctl-print-running.txt"):
        line = line.replace("gui/501/com.remote-ollama.ollama", target)
        line = line.replace("4242", str(pid)).replace(BREW, program)
        if path and line.strip().startswith("path = "):
            line = f"\tpath = {path}"
        out.append(line)
    return out


def seed_mac(settings, converged: bool):
    """The install scripts' Mac: com.ollama serving on 0.0.0.0, our job crash-looping
    (converged) or absent (fresh)."""
    base = converged_mac(settings) if converged else fresh_mac()
    changes = {
        "others": ollama_jobs(
            {f"gui/{UID}/com.ollama": running(f"gui/{UID}/com.ollama", 900,
                                               "/opt/homebrew/bin/ollama", SEED_PLIST)},
            {SEED_PLIST: SEED_TEXT}),
        "listeners": listeners((900, USER, "/opt/homebrew/bin/ollama serve")),
    }
    if converged:
        changes["job"] = (0, recorded("launchctl-print-spawn-scheduled.txt"))
    return {**base, **changes}


@pytest.mark.parametrize("domain", [f"gui/{UID}", f"user/{UID}", "system"])
def test_brew_services_ollama_is_stopped_in_whichever_domain_it_runs(domain):
    folder = "/Library/LaunchDaemons" if domain == "system" else f"{HOME}/Library/LaunchAgents"
    target = f"{domain}/homebrew.mxcl.ollama"
    sections = fresh_mac(
        others=ollama_jobs({target: running(target, 777)}),
        listeners=listeners((777, "root" if domain == "system" else USER, f"{BREW} serve")),
    )
    result = plan_server(sections)
    name = f"Stop `brew services` Ollama job ({domain})"
    assert result.changes[0] == name  # before anything else changes
    assert result.commands_of(name) == [bootout_command(domain, "homebrew.mxcl.ollama"),
                                        f"rm -f {folder}/homebrew.mxcl.ollama.plist"]
    assert (name in result.sudo) == (domain == "system")
    assert len(result.executed) == 1  # found in the one probe


def test_running_brew_service_and_app_get_stopped_and_our_job_restarted():
    settings = group_settings("server")
    target = f"gui/{UID}/homebrew.mxcl.ollama"
    sections = converged_mac(settings, app=(0, ["yes"]),
                             others=ollama_jobs({target: running(target, 777)}),
                             listeners=listeners((OUR_PID, USER, f"{BREW} serve"),
                                                 (777, USER, f"{BREW} serve")))
    result = plan_server(sections)
    assert result.changes[:2] == [f"Stop `brew services` Ollama job (gui/{UID})",
                                  "Quit Ollama.app"]
    assert "Verify Ollama (roll back on failure)" in result.changes  # proven ours after the others left


def test_agent_mode_without_a_console_login_stops_before_any_change(sent):
    no_gui = fresh_mac(gui_domain=(0, recorded("launchctl-print-gui-domain-absent.txt")))
    with pytest.raises(PyinfraError, match=r"no GUI login session.*automatic login.*"
                                           r"ollama_service = \"daemon\".*Nothing was changed"):
        plan_server(no_gui)
    assert len(sent) == 1 and sent[0].startswith("{ echo '@@remote-ollama-probe-begin")
    daemon = plan_server(no_gui, ollama_service="daemon")
    assert "Load the Ollama job" in daemon.changes


def test_install_scripts_job_is_retired_with_its_plist_kept_and_ours_loaded():
    result = plan_server(seed_mac(group_settings("server"), converged=False))
    retire = f"Retire the install scripts' LaunchAgent com.ollama (gui/{UID})"
    assert result.changes[0] == retire
    bootout, move = result.commands_of(retire)
    assert bootout == bootout_command(f"gui/{UID}", "com.ollama")
    assert f"mv {SEED_PLIST} {BACKUP}/" in move and f"{BACKUP}/README.txt" in move
    assert retire not in result.sudo
    for step in ("Load the Ollama job", "Verify Ollama (roll back on failure)"):
        assert step in result.changes
    wait = result.commands_of("Verify Ollama (roll back on failure)")
    assert "lsof -nP -iTCP:11434 -sTCP:LISTEN -t" in wait[1]  # the listener must be ours


def test_crash_looping_job_behind_the_install_scripts_job_is_restarted_then_a_noop():
    settings = group_settings("server")
    result = plan_server(seed_mac(settings, converged=True))
    assert result.commands_of("Load the Ollama job") == [
        "launchctl kickstart -k gui/$(id -u)/com.remote-ollama.ollama"]
    assert "Verify Ollama (roll back on failure)" in result.changes
    assert plan_server(converged_mac(settings)).changes == []  # the run after


@pytest.mark.parametrize("domain", [f"gui/{UID}", "system"])
def test_unknown_ollama_job_stops_the_run_naming_it_unless_allowed(domain, sent):
    folder = "/Library/LaunchDaemons" if domain == "system" else f"{HOME}/Library/LaunchAgents"
    plist = f"{folder}/org.example.llm.plist"
    target = f"{domain}/org.example.llm"
    sections = fresh_mac(
        others=ollama_jobs({target: running(target, 555, "/usr/local/bin/ollama", plist)},
                           {plist: SEED_TEXT.replace("com.ollama", "org.example.llm")}),
        listeners=listeners((555, USER, "/usr/local/bin/ollama serve")),
    )
    with pytest.raises(PyinfraError, match=rf"'org.example.llm' \(loaded in {domain}, pid 555; "
                                           rf"plist {plist}.*ollama_retire_unknown_jobs.*"
                                           r"Nothing was changed"):
        plan_server(sections)
    assert len(sent) == 1
    allowed = plan_server(sections, ollama_retire_unknown_jobs=True)
    retire = f"Retire a launchd job running ollama serve org.example.llm ({domain})"
    assert allowed.changes[0] == retire
    assert (retire in allowed.sudo) == (domain == "system")


def test_a_stray_ollama_serve_on_the_port_stops_the_run_naming_its_pid():
    sections = converged_mac(group_settings("server"),
                             listeners=listeners((31337, USER, "ollama serve")))
    with pytest.raises(PyinfraError, match=r"process 31337 \(user admin, `ollama serve`\) "
                                           r"listens on port 11434.*kill 31337"):
        plan_server(sections)


def test_our_job_loaded_from_an_older_definition_is_reloaded():
    settings = group_settings("server")
    old = [line.replace(BREW, "/opt/homebrew/Cellar/ollama/0.13.0/bin/ollama")
           for line in recorded("launchctl-print-running.txt")]
    result = plan_server(converged_mac(settings, job=(0, old)))
    assert result.commands_of("Load the Ollama job")[0] == bootout_command(
        "gui/$(id -u)", "com.remote-ollama.ollama")
    assert "Verify Ollama (roll back on failure)" in result.changes


def test_our_job_running_but_not_the_listener_is_restarted_and_checked():
    settings = group_settings("server")
    sections = converged_mac(settings, app=(0, ["yes"]), listeners=listeners(
        (612, USER, "/Applications/Ollama.app/Contents/Resources/ollama serve")))
    result = plan_server(sections)
    assert result.changes[:2] == ["Quit Ollama.app", "Load the Ollama job"]
    assert result.commands_of("Load the Ollama job") == [
        "launchctl kickstart -k gui/$(id -u)/com.remote-ollama.ollama"]


def test_switching_to_daemon_mode_unloads_the_agent_job_and_removes_its_plist():
    settings = group_settings("server")
    agent = f"gui/{UID}/com.remote-ollama.ollama"
    plist = f"{HOME}/Library/LaunchAgents/com.remote-ollama.ollama.plist"
    sections = converged_mac(
        settings, job=(0, recorded("launchctl-print-absent.txt")),
        others=ollama_jobs({agent: running(agent, OUR_PID, path=plist)}))
    result = plan_server(sections, ollama_service="daemon")
    unload = f"Unload our job from gui/{UID} (the other mode)"
    assert result.changes[:2] == [unload, f"Remove the other mode's plist {plist}"]
    assert result.commands_of(unload) == [bootout_command(f"gui/{UID}",
                                                          "com.remote-ollama.ollama")]
    assert "Load the Ollama job" in result.changes


def test_uninstall_restores_nothing_and_says_where_the_backups_are(caplog):
    sections = converged_mac(group_settings("server"), backup=(0, ["yes"]))
    with caplog.at_level("INFO"):
        result = plan_server(sections, server_state="absent")
    assert not any("com.ollama" in c or BACKUP in c for c in result.commands)
    assert f"retired are in {BACKUP}" in caplog.text
