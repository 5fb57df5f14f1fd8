"""Uninstall removes only what the deploys created, by exact name; hostile settings and
host answers are stopped before any command reaches any host."""

from __future__ import annotations

import shlex

import pytest
from pyinfra.api.exceptions import PyinfraError

from tests.plan.clients import client_settings, converged, fresh_mac_client
from tests.plan.clients import stub as client_stub
from tests.plan.harness import plan
from tests.plan.macs import HOME, converged_mac, fresh_mac, group_settings, stub

LOGS = f"{HOME}/Library/Logs/remote-ollama"


def plan_server(sections, **data):
    return plan("server", server={"ai-server": stub(sections)}, data=data)["ai-server"]


def removals(result) -> list[str]:
    """Every path an `rm` or `rmdir` of the plan names."""
    paths = []
    for command in result.commands:
        for part in command.split("&&"):
            words = shlex.split(part)
            if words and words[0] in ("rm", "rmdir"):
                assert "-r" not in words and "-rf" not in words, command
                paths += [w for w in words[1:] if not w.startswith("-")]
    return paths


def test_uninstall_removes_our_log_files_by_name_and_the_default_folder_once_empty():
    result = plan_server(converged_mac(group_settings("server")), server_state="absent")
    assert removals(result) == [
        f"{HOME}/Library/LaunchAgents/com.remote-ollama.ollama.plist",
        f"{LOGS}/ollama.out.log", f"{LOGS}/ollama.err.log", LOGS]


@pytest.mark.parametrize("log_dir", ["~/Documents", "~/Library/Logs", "~/.ssh"])
def test_uninstall_with_a_user_folder_as_log_dir_removes_only_our_files_in_it(log_dir):
    folder = HOME + log_dir[1:]
    sections = converged_mac(group_settings("server", ollama_log_dir=log_dir))
    sections["log_dir_entries"] = (0, ["dir", "ollama.out.log", "notes.txt"])
    result = plan_server(sections, server_state="absent", ollama_log_dir=log_dir)
    assert removals(result) == [
        f"{HOME}/Library/LaunchAgents/com.remote-ollama.ollama.plist",
        f"{folder}/ollama.out.log", f"{folder}/ollama.err.log"]
    assert "Remove the log folder" not in result.changes


def test_the_default_log_folder_with_other_files_in_it_stays():
    sections = converged_mac(group_settings("server"))
    sections["log_dir_entries"] = (0, ["dir", "ollama.out.log", "mine.txt"])
    result = plan_server(sections, server_state="absent")
    assert LOGS not in removals(result)


def test_uninstall_also_removes_the_warm_up_job():
    sections = converged_mac(group_settings("server"), warm_plist_present=(0, ["yes"]))
    sections["log.warm.log"] = (0, ["yes"])
    result = plan_server(sections, server_state="absent")
    warm = f"{HOME}/Library/LaunchAgents/com.remote-ollama.ollama.warm.plist"
    assert warm in removals(result) and f"{LOGS}/warm.log" in removals(result)


def test_a_second_uninstall_changes_nothing():
    assert plan_server(fresh_mac(), server_state="absent").changes == []


@pytest.mark.parametrize("log_dir", ["~/", "~", "/", "~/..", "/Users/admin"])
def test_uninstall_with_the_home_as_log_dir_is_refused_before_any_host(log_dir, sent):
    with pytest.raises(PyinfraError, match=r"ollama_log_dir=.* is invalid; allowed: a folder"):
        plan_server(converged_mac(group_settings("server")), server_state="absent",
                    ollama_log_dir=log_dir)
    assert sent == []


def test_a_release_url_with_another_placeholder_stops_before_the_probe(sent):
    with pytest.raises(PyinfraError, match=r"ollama_release_url=.* is invalid"):
        plan_server(fresh_mac(), ollama_version="0.14.2",
                    ollama_release_url="https://x/{version.__class__}.tgz")
    assert sent == []


def test_a_home_that_is_not_a_path_stops_before_any_change():
    sections = fresh_mac(identity=(0, ["uid=501", "user=admin", "home=/Users/a\x1bdmin",
                                       "shell=/bin/zsh"]))
    with pytest.raises(PyinfraError, match="which is not an absolute path of printable"):
        plan_server(sections)


def test_client_uninstall_works_with_no_server_address_at_all():
    sections = converged(fresh_mac_client(), client_settings(claude_code_enabled=True))
    result = plan("client", clients={"c": client_stub(sections)},
                  data={"client_state": "absent", "claude_code_enabled": True})["c"]
    assert "Remove ~/.ai-client/env" in result.changes
    assert not any("11434" in c for c in result.commands)


def test_client_uninstall_says_what_it_keeps(caplog):
    sections = converged(fresh_mac_client(), client_settings(claude_code_enabled=True))
    with caplog.at_level("INFO"):
        result = plan("client", clients={"c": client_stub(sections)},
                      data={"client_state": "absent", "claude_code_enabled": True})["c"]
    kept = next(r.getMessage() for r in caplog.records if "kept" in r.getMessage())
    assert kept.startswith("@fake/c: kept Homebrew and what the deploy installed with it")
    for thing in ("Tailscale", "uv and pipx", "the Pythons uv installed for Aider",
                  "~/.claude and ~/.claude.json", "remove them by hand"):
        assert thing in kept
    # what it says it keeps, it does keep: no command touches them
    for command in result.commands:
        assert "brew " not in command and "tailscale" not in command
        assert "/.local/share/uv" not in command and "/.claude.json" not in command
        assert not any(w in command for w in ("remote-ollama/uv", "remote-ollama/pipx"))
