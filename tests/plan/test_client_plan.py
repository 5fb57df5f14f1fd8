"""deploys/client.py planned against stubbed clients: macOS+zsh and Debian+bash."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyinfra.api.exceptions import PyinfraError

from remote_ollama.client import REMOVE_FORMER, SHELL_PROFILES, TAKE_OVER
from tests.plan.clients import (
    DEBIAN_HOME,
    MAC_HOME,
    aider_at,
    client_settings,
    converged,
    entries,
    exists,
    fixture,
    fresh_debian_client,
    fresh_mac_client,
    seeded,
    stub,
    text_file,
)
from tests.plan.harness import plan
from tests.plan.macs import fresh_mac, recorded

SERVER = {"ollama_server_host": "ai-server"}
CLAUDE = {"claude_code_enabled": True}
SHIP = "Ship the contract check"
CHECK = "Check the server from this client (warns only)"  # only after a change
RECORD = "Record this converge"  # last, only after a change (rollback.converge_recorded)
PROBE = "{ echo '@@remote-ollama-probe-begin"  # probe.probe_script
AIDER_FILES = "Write Aider's files (~/.aider.conf.yml, .aider.model.*)"
REMOVE_AIDER_FILES = "Remove Aider's files (~/.aider.conf.yml, .aider.model.*)"


def aider_script(result, version: str) -> list[str]:
    """The Aider step's shell script, after its rollout gate (operations/rollout.py)."""
    gate, *script = result.commands_of(f"Install Aider {version}")
    assert gate.startswith("FunctionCommand(gate, ")
    return script


def install_line(commands: list[str]) -> str:
    """The installer's own line in the Aider step's script (after clearing the folder)."""
    return commands[0].splitlines()[1].split(" || ", 1)[0]


def plan_client(sections, **data):
    return plan("client", clients={"c": stub(sections)}, data={**SERVER, **data})["c"]


def test_fresh_mac_gets_the_full_plan():
    result = plan_client(fresh_mac_client(), **CLAUDE)
    assert result.changes == [
        "Install Python 3.12 (Homebrew)",
        "Install uv (Homebrew)",
        "Install Aider 0.86.2",
        "Link ~/.local/bin/aider",
        "Write ~/.ai-client/env",
        AIDER_FILES,
        SHELL_PROFILES,
        "Install Claude Code 2.1.332",
        "Link ~/.local/bin/claude",
        "Disable Claude Code's auto-updater",
        "Write the claude-ollama function",
        "Write the version lock",
        SHIP,
        CHECK,
        RECORD,
    ]
    assert result.commands_of("Install uv (Homebrew)") == [
        "/opt/homebrew/bin/brew install --formula uv"]
    aider_dir = f"{MAC_HOME}/.local/share/remote-ollama/aider/0.86.2-py3.12"
    assert install_line(aider_script(result, "0.86.2")) == (
        f"env UV_TOOL_DIR={aider_dir} UV_TOOL_BIN_DIR={aider_dir}/bin "
        "/opt/homebrew/bin/uv tool install --python /opt/homebrew/bin/python3.12 "
        "aider-chat==0.86.2")
    assert "no Aider stays in use" in aider_script(result, "0.86.2")[0]
    assert result.commands_of("Link ~/.local/bin/aider") == [
        f"mkdir -p {MAC_HOME}/.local/bin && ln -sfn {aider_dir}/bin/aider "
        f"{MAC_HOME}/.local/bin/aider.new && mv -f {MAC_HOME}/.local/bin/aider.new "
        f"{MAC_HOME}/.local/bin/aider"]
    env = result.commands_of("Write ~/.ai-client/env")
    assert env[1].startswith(f"UPLOAD {MAC_HOME}/.ai-client/env\n")
    assert "export OLLAMA_API_BASE=http://ai-server:11434\n" in env[1]
    assert env[2] == f"chmod 600 {MAC_HOME}/.ai-client/env"
    assert result.files_changed(AIDER_FILES) == [
        ".aider.conf.yml", ".aider.model.settings.yml", ".aider.model.metadata.json"]
    assert result.files_changed(SHELL_PROFILES) == [".zshrc", ".zprofile"]
    zshrc = result.commands_for(SHELL_PROFILES, f"{MAC_HOME}/.zshrc")[0]
    assert zshrc.startswith(  # the user's last line had no newline: ours ends it
        f'UPLOAD {MAC_HOME}/.zshrc.remote-ollama-new\nexport EDITOR=vim\nalias ll="ls -l"\n'
        "# >>> remote-ollama env >>>\n")
    assert '. "$HOME/.ai-client/claude-ollama.sh"' in zshrc
    assert "# >>> remote-ollama claude-ollama >>>" in result.commands_for(
        SHELL_PROFILES, f"{MAC_HOME}/.zprofile")[0]  # zsh -lc reads only ~/.zprofile
    function = result.commands_of("Write the claude-ollama function")[1]
    assert "claude-ollama() {" in function
    assert f"{MAC_HOME}/.local/share/remote-ollama/claude-code/2.1.332/claude \"$@\"" in function
    install = result.commands_of("Install Claude Code 2.1.332")[-1]
    assert ("https://registry.npmjs.org/@anthropic-ai/claude-code-darwin-arm64/-/"
            "claude-code-darwin-arm64-2.1.332.tgz") in install
    assert result.commands_of("Write the version lock") == [deferred_lock("2.1.332", "0.14.2")]


def test_fresh_debian_gets_uv_in_a_user_venv_and_both_bash_files():
    wheels = "http://100.64.0.254:8080/wheels/"
    result = plan_client(fresh_debian_client(), aider_python="3.11", package_find_links=wheels)
    assert result.changes == [
        "Install uv (user venv)",
        "Install Aider 0.86.2",
        "Link ~/.local/bin/aider",
        "Write ~/.ai-client/env",
        AIDER_FILES,
        SHELL_PROFILES,
        SHIP,
        CHECK,
        RECORD,
    ]
    assert "--no-index --find-links http://100.64.0.254:8080/wheels/ --trusted-host " \
           "100.64.0.254 uv" in result.commands_of("Install uv (user venv)")[0]
    assert install_line(aider_script(result, "0.86.2")).endswith(
        f"{DEBIAN_HOME}/.local/bin/uv tool install --python /usr/bin/python3.11 --no-index "
        f"--find-links {wheels} aider-chat==0.86.2")
    assert result.files_changed(SHELL_PROFILES) == [".bashrc", ".profile"]
    bashrc = result.commands_for(SHELL_PROFILES, f"{DEBIAN_HOME}/.bashrc")[0]
    assert bashrc.startswith(f"UPLOAD {DEBIAN_HOME}/.bashrc.remote-ollama-new\n"
                             + fixture("bashrc-debian-skel.txt"))
    profile = result.commands_for(SHELL_PROFILES, f"{DEBIAN_HOME}/.profile")[0]
    assert profile.endswith("# <<< remote-ollama env <<<\n")


def test_bash_login_file_is_bash_profile_when_it_exists():
    sections = fresh_debian_client(**{"profile.bash_profile": text_file(". ~/.bashrc\n")})
    result = plan_client(sections, aider_python="3.11")
    assert result.files_changed(SHELL_PROFILES) == [".bashrc", ".bash_profile"]


@pytest.mark.parametrize("fresh", [fresh_mac_client, fresh_debian_client])
@pytest.mark.parametrize("claude", [False, True])
def test_converged_client_gets_zero_changes_from_one_probe(fresh, claude):
    settings = client_settings(claude_code_enabled=claude)
    result = plan_client(converged(fresh(), settings), claude_code_enabled=claude)
    assert result.changes == []
    assert len(result.executed) == 1  # identity, platform, server and the home, together
    assert all(c.startswith(PROBE) for c in result.executed)


@pytest.mark.parametrize("fresh", [fresh_mac_client, fresh_debian_client])
def test_aider_pin_lowered_installs_beside_switches_and_prunes(fresh):
    # The probe asks about the 0.86.1 folder, which does not exist yet.
    before = converged(fresh(), client_settings(), aider_checked=exists(False))
    home = before["identity"][1][2].removeprefix("home=")
    root = f"{home}/.local/share/remote-ollama/aider"
    python = client_settings().aider_python
    result = plan_client(before, aider_version="0.86.1")
    assert result.changes == ["Install Aider 0.86.1", "Link ~/.local/bin/aider",
                              "Remove other Aider versions", CHECK, RECORD]
    (command,) = aider_script(result, "0.86.1")
    assert install_line([command]).endswith(" aider-chat==0.86.1")
    assert f"UV_TOOL_DIR={root}/0.86.1-py{python} " in command
    assert "Aider 0.86.1 failed its check" in command and "0.86.2 stays in use" in command
    assert f"ln -sfn {root}/0.86.1-py{python}/bin/aider " in result.commands_of(
        "Link ~/.local/bin/aider")[0]
    assert result.commands_of("Remove other Aider versions") == [
        f"rm -rf {root}/0.86.2-py{python}"]


def test_a_seed_machines_pipx_aider_is_taken_over_after_the_switch():
    """The install scripts install Aider with pipx; its link is replaced atomically, then
    pipx's install goes (pipx leaves a link that is not its own)."""
    settings = client_settings(aider_python="3.11")
    pipx_link = f"{DEBIAN_HOME}/.local/share/pipx/venvs/aider-chat/bin/aider"
    before = converged(fresh_debian_client(), settings,
                       aider_pipx=aider_at(DEBIAN_HOME, "pipx", "0.86.1", "3.11"),
                       pipx=(0, [f"{DEBIAN_HOME}/.local/bin/pipx"]),
                       aider_link=(0, ["link", pipx_link]), aider_checked=exists(False),
                       aider_versions=entries(None), aider_present=exists(False))
    result = plan_client(before, aider_python="3.11")
    assert result.changes == ["Install Aider 0.86.2", "Link ~/.local/bin/aider",
                              "Remove Aider installed with pipx", CHECK, RECORD]
    assert "0.86.1 stays in use" in aider_script(result, "0.86.2")[0]
    assert result.commands_of("Remove Aider installed with pipx")[0].startswith(
        f"{DEBIAN_HOME}/.local/bin/pipx uninstall aider-chat && mkdir -p ")


def test_claude_code_pin_lowered_gives_only_its_downgrade():
    # The probe asks about the 2.1.300 folder, which does not exist yet.
    before = converged(fresh_mac_client(), client_settings(**CLAUDE),
                       claude_binary=exists(False))
    result = plan_client(before, claude_code_version="2.1.300", **CLAUDE)
    assert result.changes == [
        "Install Claude Code 2.1.300",
        "Link ~/.local/bin/claude",
        "Write the claude-ollama function",  # it runs the 2.1.300 binary now
        "Remove other Claude Code versions",  # only after the switch (issue 15)
        "Write the version lock",
        CHECK,
        RECORD,
    ]
    install = result.commands_of("Install Claude Code 2.1.300")
    assert "claude-code-darwin-arm64-2.1.300.tgz" in install[-1]
    assert result.commands_of("Remove other Claude Code versions") == [
        f"rm -rf {MAC_HOME}/.local/share/remote-ollama/claude-code/2.1.332"]
    assert result.commands_of("Write the version lock") == [deferred_lock("2.1.300", "0.14.2")]


@pytest.mark.parametrize(("fresh", "home", "profiles"), [
    (fresh_mac_client, MAC_HOME, [".zshrc", ".zprofile"]),
    (fresh_debian_client, DEBIAN_HOME, [".bashrc", ".profile"])])
def test_claude_code_switched_off_removes_its_block_and_binary(fresh, home, profiles):
    before = converged(fresh(), client_settings(**CLAUDE))
    result = plan_client(before)
    assert result.changes == [
        SHELL_PROFILES,
        "Remove our ~/.local/bin/claude link",
        "Re-enable Claude Code's auto-updater",
        "Remove Claude Code (ours)",
        "Remove the claude-ollama function",
        "Remove the version lock",
        CHECK,
        RECORD,
    ]
    assert result.files_changed(SHELL_PROFILES) == profiles
    for name in profiles:
        profile = result.commands_for(SHELL_PROFILES, f"{home}/{name}")[0]
        assert "claude-ollama" not in profile and "# >>> remote-ollama env >>>" in profile
    assert result.commands_of("Remove Claude Code (ours)") == [
        f"rm -rf {home}/.local/share/remote-ollama/claude-code"]
    assert result.commands_of("Re-enable Claude Code's auto-updater") == [
        f"rm -f {home}/.claude/settings.json && {{ rmdir {home}/.claude 2>/dev/null || true; }}"]


@pytest.mark.parametrize("data", [
    {"ollama_version": "0.13.5"},  # a pinned server version
    {},  # the version the server reports (below)
])
def test_broken_pair_fails_before_any_change(data):
    sections = fresh_mac_client(server=(0, ['{"version":"0.13.5"}', "@@http 200", "@@http 200"]))
    with pytest.raises(PyinfraError, match=r"Claude Code 2\.1\.332 with Ollama 0\.13\.5 is known "
                                           r"to be broken .*allow_incompatible_versions"):
        plan("client", clients={"c": stub(sections)}, data={**SERVER, **CLAUDE, **data})


def test_broken_pair_sends_nothing_but_the_first_probe(sent):
    with pytest.raises(PyinfraError, match="known to be broken"):
        plan_client(converged(fresh_mac_client(), client_settings(**CLAUDE)),
                    ollama_version="0.13.5", **CLAUDE)
    assert len(sent) == 1 and "@@remote-ollama-probe-begin identity" in sent[0]


def test_broken_pair_converges_when_allowed():
    result = plan_client(fresh_mac_client(), ollama_version="0.13.5",
                         allow_incompatible_versions=True, **CLAUDE)
    assert result.commands_of("Write the version lock") == [
        deferred_lock("2.1.332", "0.13.5", allow_broken=True)]


def test_unknown_server_version_defers_the_lock_until_the_server_steps_ran():
    """A fleet converged in one run: the client is planned before its server answers."""
    unreachable = fresh_mac_client(server=(0, ["", "@@http 000"]))
    result = plan_client(unreachable, **CLAUDE)
    assert result.commands_of("Write the version lock") == [
        deferred_lock("2.1.332", None)]


def deferred_lock(claude_code: str, planned: str | None, allow_broken: bool = False) -> str:
    """The lock step as planned: written at execution from what the server runs then (the
    text itself: tests/unit/test_version_lock.py)."""
    return ("FunctionCommand(_write_from_server, ('/Users/alice/.ai-client/.version-lock', "
            f"'{claude_code}', 'http://ai-server:11434', {allow_broken}, {planned!r}), {{}})")


def test_a_pinned_server_that_rolled_back_is_asked_at_execution_not_the_pin():
    """Issue 15: the pin 0.13.5 failed and the server serves 0.14.2 (the lock says so). The
    lock is not rewritten to the pin while planning: the step asks the server when it runs."""
    on_0_14_2 = converged(fresh_mac_client(), client_settings(**CLAUDE, ollama_version="0.14.2"))
    result = plan_client(on_0_14_2, ollama_version="0.13.5", allow_incompatible_versions=True,
                         **CLAUDE)
    assert result.commands_of("Write the version lock") == [
        deferred_lock("2.1.332", "0.13.5", allow_broken=True)]
    same = plan_client(on_0_14_2, ollama_version="0.14.2", **CLAUDE)  # the lock is right
    assert same.changes == [] and len(same.executed) == 1  # a no-op: the probe only


@pytest.mark.parametrize("fresh", [fresh_mac_client, fresh_debian_client])
def test_uninstall_removes_what_the_deploy_wrote_and_keeps_the_tools(fresh):
    result = plan_client(converged(fresh(), client_settings(**CLAUDE)), client_state="absent")
    profiles = ([".zshrc", ".zprofile"] if fresh is fresh_mac_client
                else [".bashrc", ".profile"])
    assert result.changes == [
        "Remove our ~/.local/bin/aider link",
        "Remove Aider (ours)",
        "Remove ~/.ai-client/env",
        "Remove the version lock",
        REMOVE_AIDER_FILES,
        SHELL_PROFILES,
        "Remove our ~/.local/bin/claude link",
        "Re-enable Claude Code's auto-updater",
        "Remove Claude Code (ours)",
        "Remove the claude-ollama function",
        "Remove the shipped contract check",
        "Remove ~/.ai-client",
    ]
    assert result.files_changed(REMOVE_AIDER_FILES) == [
        ".aider.conf.yml", ".aider.model.settings.yml", ".aider.model.metadata.json"]
    assert result.files_changed(SHELL_PROFILES) == profiles
    assert not any(c.startswith("/opt/homebrew/bin/brew") or "tailscale" in c
                   or "remote-ollama/uv" in c or "uv/bin" in c for c in result.commands)
    assert result.commands_of("Remove Aider (ours)") == [
        f"rm -rf {result_home(fresh)}/.local/share/remote-ollama/aider"]


def test_uninstall_removes_uv_s_own_aider_too():
    before = converged(fresh_debian_client(), client_settings(aider_python="3.11"),
                       aider_uv=aider_at(DEBIAN_HOME, "uv", "0.86.2", "3.11"))
    result = plan_client(before, client_state="absent")
    assert result.commands_of("Remove Aider installed with uv") == [
        f"{DEBIAN_HOME}/.local/bin/uv tool uninstall aider-chat"]


def result_home(fresh) -> str:
    return MAC_HOME if fresh is fresh_mac_client else DEBIAN_HOME


@pytest.mark.parametrize("fresh", [fresh_mac_client, fresh_debian_client])
def test_uninstall_on_a_clean_machine_changes_nothing(fresh):
    assert plan_client(fresh(), client_state="absent").changes == []


def test_uninstall_restores_the_users_aider_config():
    settings = client_settings()
    sections = converged(fresh_debian_client(), settings,
                         **{"backup.aider.conf.yml": exists(True)})
    result = plan_client(sections, client_state="absent")
    assert result.commands_for(REMOVE_AIDER_FILES, f"{DEBIAN_HOME}/.aider.conf.yml") == [
        f"rm -f {DEBIAN_HOME}/.aider.conf.yml",
        f"mv {DEBIAN_HOME}/.aider.conf.yml.before-remote-ollama {DEBIAN_HOME}/.aider.conf.yml"]


def test_switching_to_pipx_installs_pipx_and_keeps_the_checked_aider():
    """The installer only builds a version's folder: a checked one stays until a pin
    (version or Python) changes, and is then built with pipx."""
    before = converged(fresh_debian_client(), client_settings(aider_python="3.11"))
    result = plan_client(before, aider_python="3.11", aider_installer="pipx")
    assert result.changes == ["Install pipx (user venv)", CHECK, RECORD]
    result = plan_client({**before, "aider_checked": exists(False)}, aider_python="3.11",
                         aider_installer="pipx", aider_version="0.86.1")
    assert install_line(aider_script(result, "0.86.1")).endswith(
        f"{DEBIAN_HOME}/.local/bin/pipx install --python /usr/bin/python3.11 aider-chat==0.86.1")


def test_a_users_cloud_claude_is_left_alone():
    cloud = (0, ["link", f"{MAC_HOME}/.local/share/claude/versions/2.2.0"])
    before = converged(fresh_mac_client(), client_settings(**CLAUDE), claude_link=cloud)
    assert plan_client(before, **CLAUDE).changes == []
    assert plan_client(before, client_state="absent").commands_of(
        "Remove our ~/.local/bin/claude link") == []


def test_user_settings_json_keeps_its_keys():
    users = text_file('{"model": "opus"}')
    result = plan_client(fresh_debian_client(claude_settings=users), aider_python="3.11",
                         **CLAUDE)
    written = result.commands_of("Disable Claude Code's auto-updater")[1]
    assert '"model": "opus"' in written and '"DISABLE_AUTOUPDATER": "1"' in written


@pytest.mark.parametrize(("change", "message"), [
    ({"macos": (0, recorded("sw_vers-13.txt"))}, r"macOS 13\.6\.1 is too old"),
    ({"arch": (0, ["x86_64"])}, r"must be Apple Silicon"),
    ({"brew": (0, [])}, r"Homebrew is not installed"),
    ({"identity": (0, ["uid=501", "user=me", f"home={MAC_HOME}", "shell=/usr/bin/fish"])},
     r"login shell of me is '/usr/bin/fish'.*client_shell"),
])
def test_unsupported_macs_fail_with_a_clear_error(change, message):
    with pytest.raises(PyinfraError, match=message):
        plan_client(fresh_mac_client(**change))


def test_other_linux_fails_and_a_missing_python_offline_fails():
    fedora = fresh_debian_client(linux=(0, ["ID=fedora", 'PRETTY_NAME="Fedora Linux 41"']))
    with pytest.raises(PyinfraError, match="Fedora Linux 41 is not supported"):
        plan_client(fedora)
    no_python312 = fresh_debian_client(python=(0, []))  # Debian 12 has only 3.11
    with pytest.raises(PyinfraError, match=r"python3\.12 is not installed.*offline"):
        plan_client(no_python312, package_find_links="http://m/wheels/")
    with pytest.raises(PyinfraError, match=r"python3\.12 is not installed.*pipx cannot"):
        plan_client(no_python312, aider_installer="pipx")
    online = plan_client(no_python312)  # uv fetches a managed Python 3.12
    assert "--python 3.12 aider-chat==0.86.2" in aider_script(online, "0.86.2")[0]


def test_client_shell_setting_overrides_the_login_shell():
    result = plan_client(fresh_debian_client(), client_shell="zsh", aider_python="3.11")
    assert result.files_changed(SHELL_PROFILES) == [".zshrc", ".zprofile"]


def test_server_url_from_the_server_group_and_server_hosts_are_skipped():
    result = plan("client", server={"ai-server": {"fake_responses": {}}},
                  clients={"c": stub(fresh_mac_client())})
    assert result["ai-server"].ops == [] and result["ai-server"].executed == []
    env = result["c"].commands_of("Write ~/.ai-client/env")[1]
    assert "export OLLAMA_API_BASE=http://ai-server:11434\n" in env


def test_no_server_known_is_a_clear_error():
    with pytest.raises(PyinfraError, match="set ollama_server_host"):
        plan("client", clients={"c": stub(fresh_mac_client())})


def test_the_server_deploy_plans_nothing_for_clients():
    result = plan("server", server={"ai-server": stub_server()},
                  clients={"c": stub(fresh_mac_client())})
    assert result["c"].ops == [] and result["c"].executed == []


def stub_server():
    from tests.plan.macs import stub as server_stub

    return server_stub(fresh_mac())


def test_unreachable_server_and_logged_out_tailscale_only_warn(caplog):
    no_answer = ["", "@@http 000", "@@tailscale", *recorded("tailscale-status-needslogin.json")]
    sections = fresh_mac_client(server=(0, no_answer))
    with caplog.at_level("WARNING"):
        result = plan_client(sections)
    assert "Write ~/.ai-client/env" in result.changes
    assert "http://ai-server:11434/v1/models gave no answer" in caplog.text
    assert "Tailscale is NeedsLogin" in caplog.text


def test_a_server_that_answers_needs_no_tailscale_diagnosis(caplog):
    """Tailscale is read (in the server section) only when the server does not answer."""
    with caplog.at_level("WARNING"):
        result = plan_client(fresh_mac_client())
    assert "probe-begin tailscale'" not in result.executed[0]
    assert "Tailscale" not in caplog.text


def test_without_a_server_check_tailscale_is_asked_on_its_own(caplog):
    sections = fresh_mac_client(tailscale=(0, recorded("tailscale-status-needslogin.json")))
    with caplog.at_level("WARNING"):
        result = plan_client(sections, reachability_check=False, ollama_version="0.14.2")
    assert "probe-begin tailscale'" in result.executed[0]
    assert "Tailscale is NeedsLogin" in caplog.text


def test_no_reachability_check_and_a_pinned_ollama_skip_the_server_section():
    result = plan_client(fresh_mac_client(), reachability_check=False, ollama_version="0.14.2",
                         **CLAUDE)
    assert "@@remote-ollama-probe-begin server" not in result.executed[0]
    assert result.commands_of("Write the version lock") == [deferred_lock("2.1.332", "0.14.2")]


def test_the_client_check_runs_after_a_change_and_only_warns():
    result = plan_client(fresh_debian_client(), aider_python="3.11")
    assert result.commands_of(CHECK) == [
        f"python3 -Es {DEBIAN_HOME}/.local/share/remote-ollama/contract.py "
        "--server http://ai-server:11434 --client --json --deadline 120"]
    assert CHECK in result.errors_ignored
    assert plan_client(fresh_debian_client(), aider_python="3.11",
                       reachability_check=False).commands_of(CHECK) == []


def test_claude_code_download_is_checked_against_the_registry_sha512(stub_registry):
    from tests.plan.conftest import SHA512

    install = plan_client(fresh_mac_client(), **CLAUDE).commands_of(
        "Install Claude Code 2.1.332")[-1]
    assert set(stub_registry) == {("https://registry.npmjs.org/@anthropic-ai/"
                                   "claude-code-darwin-arm64", "2.1.332")}
    assert f"!= {SHA512} ]" in install and install.index(SHA512) < install.index("tar -xzf")
    stub_registry.clear()
    converged_client = converged(fresh_mac_client(), client_settings(**CLAUDE))
    assert plan_client(converged_client, **CLAUDE).changes == []
    assert stub_registry == []  # installed already: the registry is not asked


SEED_UNINSTALLER = "Remove the install scripts' ~/.ai-client/uninstall.sh (it would undo this deploy)"


@pytest.mark.parametrize(("fresh", "rc", "home"), [(fresh_mac_client, ".zshrc", MAC_HOME),
                                                   (fresh_debian_client, ".bashrc", DEBIAN_HOME)])
@pytest.mark.parametrize("claude", [False, True])
def test_a_client_set_up_by_the_install_scripts_is_taken_over_in_one_run(fresh, rc, home,
                                                                         claude):
    """Their block becomes ours where it is, their uninstall.sh goes, both named in the
    run; the profile then is what a converge of the user's own file gives, so the second
    run changes nothing and uninstall gives back the user's bytes."""
    users = "export EDITOR=vim\r\nalias ll='ls -l'"  # a CR and no final newline, kept
    data = {**CLAUDE} if claude else {}
    result = plan_client(seeded(fresh(), rc, users), **data)
    assert SHELL_PROFILES + TAKE_OVER in result.changes
    assert result.commands_of(SEED_UNINSTALLER) == [f"rm -f {home}/.ai-client/uninstall.sh"]
    assert "Write ~/.ai-client/env" in result.changes
    written = result.commands_for(SHELL_PROFILES + TAKE_OVER, f"{home}/{rc}")[0]
    settings = client_settings(**data)
    ours = converged(fresh(**{f"profile{rc}": text_file(users)}), settings)
    assert written == f"UPLOAD {home}/{rc}.remote-ollama-new\n" + _content(ours, rc)
    assert written.count("# >>> remote-ollama env >>>") == 1 and "ai-client >>>" not in written

    again = plan_client(ours, **data)
    assert again.changes == [] and len(again.executed) == 1  # the second run: one probe
    removed = plan_client(ours, client_state="absent")
    assert removed.commands_for(SHELL_PROFILES, f"{home}/{rc}")[0] == (
        f"UPLOAD {home}/{rc}.remote-ollama-new\n{users}")


def test_uninstall_of_a_client_the_install_scripts_set_up_removes_their_pieces_too():
    result = plan_client(seeded(fresh_mac_client(), ".zshrc", "a\n"), client_state="absent")
    assert result.commands_for(SHELL_PROFILES + REMOVE_FORMER, f"{MAC_HOME}/.zshrc") == [
        f"UPLOAD {MAC_HOME}/.zshrc.remote-ollama-new\na\n",
        f"if [ -L {MAC_HOME}/.zshrc ]; then cat {MAC_HOME}/.zshrc.remote-ollama-new > "
        f"{MAC_HOME}/.zshrc && rm -f {MAC_HOME}/.zshrc.remote-ollama-new; else mv -f "
        f"{MAC_HOME}/.zshrc.remote-ollama-new {MAC_HOME}/.zshrc; fi", f"chmod 644 {MAC_HOME}/.zshrc"]
    assert result.commands_of(SEED_UNINSTALLER) == [f"rm -f {MAC_HOME}/.ai-client/uninstall.sh"]
    assert result.commands_of("Remove ~/.ai-client") == [f"rmdir {MAC_HOME}/.ai-client"]


def _content(sections: dict, name: str) -> str:
    from tests.plan.clients import _content as content

    return content(sections, name)


NASTY_PIECES = [b"\n", b"\r\n", b"\r", b"\x1e", b"\x0c", "\u2028".encode(), b"\xff", b"\xe9",
                b"export A=1", b"# >>> remote-ollama env", b"@@stat", b" ", b"x"]


@settings(max_examples=8, deadline=None)
@given(users=st.lists(st.sampled_from(NASTY_PIECES), max_size=12).map(b"".join),
       seeded_by_scripts=st.booleans())
def test_any_zshrc_survives_the_client_deploy_and_its_uninstall(users, seeded_by_scripts):
    """The whole deploy, planned: a generated ~/.zshrc (maybe with the install scripts'
    block) gets one block; the host as it would then be plans no change; uninstall plans
    the user's bytes back."""
    from remote_ollama.facts.files import decode, encode
    from tests.plan.clients import SEED_BLOCK

    text = decode(users)
    before = fresh_mac_client(**{"profile.zshrc": text_file(
        text + (SEED_BLOCK if seeded_by_scripts else ""))})
    first = plan_client(before)
    name = SHELL_PROFILES + (TAKE_OVER if seeded_by_scripts else "")
    written = first.commands_for(name, f"{MAC_HOME}/.zshrc")[0].split("\n", 1)[1]
    assert written.count("# >>> remote-ollama env >>>\n") == 1
    after = converged(fresh_mac_client(**{"profile.zshrc": text_file(text)}), client_settings())
    assert _content(after, ".zshrc") == written
    assert plan_client(after).changes == []
    removed = plan_client(after, client_state="absent")
    back = removed.commands_for(SHELL_PROFILES, f"{MAC_HOME}/.zshrc")
    if users:
        assert encode(back[0].split("\n", 1)[1]) == users
    else:
        assert back == [f": > {MAC_HOME}/.zshrc"]  # an existing empty file stays


# --- the last converge (rollback.converge_recorded, shared with the server deploy) ------------

def recorded_doc(command: str) -> dict:
    """The JSON the record step writes (before ``sed`` puts the time in)."""
    import json
    import shlex

    words = shlex.split(command)  # step names with a quote ("Aider's files") are quoted
    return json.loads(words[words.index("%s\\n") + 1])


@pytest.mark.parametrize(("fresh", "home"), [(fresh_mac_client, MAC_HOME),
                                             (fresh_debian_client, DEBIAN_HOME)])
def test_a_fresh_client_records_its_converge_last_in_its_own_file(fresh, home, tmp_path):
    import json
    import re
    import subprocess

    result = plan_client(fresh(), **CLAUDE)
    assert result.changes[-1] == RECORD
    (command,) = result.commands_of(RECORD)
    path = f"{home}/.local/state/remote-ollama/converge.client.json"  # not the server's
    assert command.endswith(f"> {path}")
    doc = recorded_doc(command)
    assert doc == {"at": "@@remote-ollama-at@@", "role": "client",
                   "changed": result.changes[:-1]}  # every step before it that changes
    subprocess.run(["sh", "-c", command.replace(home, str(tmp_path))], check=True)
    written = json.loads((tmp_path / ".local/state/remote-ollama/converge.client.json").read_text())
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", written["at"])
    assert written["changed"] == result.changes[:-1]


def test_clients_that_name_a_step_apart_each_record_their_own_name():
    """One step, two names: ``Install Aider {version}`` with each client's own pin. pyinfra
    keeps both names on the step (``op_meta.names``); each record holds its host's."""
    plans = plan("client", data=SERVER, clients={
        "a": stub(fresh_mac_client()),
        "b": stub(fresh_mac_client(), aider_version="0.86.1")})
    for name, version in (("a", "0.86.2"), ("b", "0.86.1")):
        changed = recorded_doc(plans[name].commands_of(RECORD)[0])["changed"]
        assert f"Install Aider {version}" in changed
        assert changed == plans[name].changes[:-1]


def test_a_converged_client_records_nothing_and_sends_only_the_probe(sent):
    last = {"at": "2026-11-30T05:00:00Z", "role": "client", "changed": ["Install Aider 0.86.2"]}
    before = converged(fresh_mac_client(), client_settings(**CLAUDE),
                       last_converge=(0, json_lines(last)))
    result = plan_client(before, **CLAUDE)
    assert result.changes == [] and len(sent) == 1 and sent[0].startswith(PROBE)
    assert ".local/state/remote-ollama/converge.client.json" in sent[0]  # in the one probe


def test_a_pin_change_records_only_the_steps_that_changed():
    before = converged(fresh_debian_client(), client_settings(aider_python="3.11"),
                       aider_checked=exists(False))  # the 0.86.1 folder is not there yet
    result = plan_client(before, aider_python="3.11", aider_version="0.86.1")
    assert recorded_doc(result.commands_of(RECORD)[0])["changed"] == [
        "Install Aider 0.86.1", "Link ~/.local/bin/aider", "Remove other Aider versions", CHECK]


def json_lines(record: dict) -> list[str]:
    import json

    return json.dumps(record, indent=2).splitlines()


@pytest.mark.parametrize(("others", "folder_goes"), [([], True), (["converge.json"], False)])
def test_uninstall_removes_the_clients_record_and_its_folder_if_empty(others, folder_goes):
    """The client deploy's record goes with the rest; the folder only when nothing else is
    in it (a host that is a server too keeps the server's records there)."""
    before = converged(fresh_debian_client(), client_settings(),
                       last_converge_present=exists(True),
                       state_dir=entries(["converge.client.json", *others]))
    result = plan_client(before, client_state="absent")
    state = f"{DEBIAN_HOME}/.local/state/remote-ollama"
    assert result.commands_of("Remove the record of the last converge") == [
        f"rm -f {state}/converge.client.json"]
    assert result.commands_of("Remove ~/.local/state/remote-ollama") == (
        [f"rmdir {state}"] if folder_goes else [])
    assert RECORD not in result.changes  # an uninstall is not recorded
