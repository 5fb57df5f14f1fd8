"""Issue 15, server: which changes are verified with a rollback, and known-bad pins.

Each test plans deploys/server.py against a stubbed Mac (see tests/plan/macs.py) and reads
the one step that verifies the restarted job, or proves that nothing is retried.
"""

from __future__ import annotations

import json

from remote_ollama import rollback
from remote_ollama.facts.files import ManagedFile
from remote_ollama.probe import parse_section
from tests.plan.harness import plan
from tests.plan.macs import HOME, converged_mac, fresh_mac, group_settings, stub

VERIFY = "Verify Ollama (roll back on failure)"
PLIST = f"{HOME}/Library/LaunchAgents/com.remote-ollama.ollama.plist"
RECORD = f"{HOME}/.local/state/remote-ollama/rollback.json"


def plan_server(sections, **data):
    return plan("server", server={"ai-server": stub(sections)}, data=data)["ai-server"]


def pinned_at(version: str, **changes):
    return converged_mac(group_settings("server", ollama_version=version), **changes)


def record_section(record: dict) -> tuple[int, list[str]]:
    return (0, json.dumps(record, indent=2).splitlines())


def test_a_pin_change_verifies_the_new_version_and_can_restore_the_old_plist():
    before = pinned_at("0.14.2")
    old_plist = parse_section(ManagedFile, *before["plist"])["content"]
    result = plan_server(before, ollama_version="0.13.5")
    script, ours = result.commands_of(VERIFY)
    assert "-sTCP:LISTEN" in ours  # then the listener must be our job
    assert '[ "$v" != 0.13.5 ]' in script  # the version asked for is required
    assert "rolled back to 0.14.2: 0.13.5 failed " in script
    assert "/.local/opt/ollama/0.14.2/ollama" in script  # the previous plist, whole
    assert old_plist.splitlines()[0] in script
    assert f"tee {PLIST} >/dev/null <<'{rollback.HEREDOC}'" in script
    assert "/v1/messages" in script and "/v1/models" in script and "num_predict" in script
    assert RECORD in script


def test_a_plist_setting_change_is_verified_and_can_go_back_to_the_previous_plist():
    result = plan_server(pinned_at("0.14.2"), ollama_version="0.14.2", ollama_keep_alive="1h")
    script, ours = result.commands_of(VERIFY)
    assert "-sTCP:LISTEN" in ours  # then the listener must be our job
    assert ("rolled back to the previous plist (Ollama 0.14.2): the new plist "
            "(OLLAMA_KEEP_ALIVE=1h) failed ") in script
    assert '\\"kind\\": \\"plist\\"' in script


def test_a_fresh_mac_is_verified_without_a_rollback():
    script, ours = plan_server(fresh_mac()).commands_of(VERIFY)
    assert "-sTCP:LISTEN" in ours  # then the listener must be our job
    assert "restore" not in script and "verify" in script


def test_a_converged_mac_runs_no_verification():
    assert plan_server(pinned_at("0.14.2"), ollama_version="0.14.2").changes == []


def known_bad_version() -> dict:
    return {"at": "2026-11-30T05:00:00Z", "kind": "version", "tried": "0.13.5",
            "tried_version": "0.13.5", "tried_sha256": "x", "kept": "0.14.2",
            "why": "/v1/messages (404)",
            "message": "rolled back to 0.14.2: 0.13.5 failed /v1/messages (404)",
            "restored": True}


def test_a_known_bad_pin_is_not_tried_again(caplog):
    sections = pinned_at("0.14.2", rollback=record_section(known_bad_version()))
    result = plan_server(sections, ollama_version="0.13.5")
    assert "Write the Ollama launchd plist" not in result.changes
    assert VERIFY not in result.changes
    assert "Ollama 0.13.5 is known-bad on this host" in caplog.text
    assert "ollama_retry_failed=true" in caplog.text


def test_a_known_bad_pin_is_tried_again_when_forced():
    sections = pinned_at("0.14.2", rollback=record_section(known_bad_version()))
    result = plan_server(sections, ollama_version="0.13.5", ollama_retry_failed=True)
    assert "Write the Ollama launchd plist" in result.changes
    assert "rolled back to 0.14.2: 0.13.5 failed " in result.commands_of(VERIFY)[0]


def test_another_pin_after_a_rollback_goes_ahead():
    sections = pinned_at("0.14.2", rollback=record_section(known_bad_version()))
    result = plan_server(sections, ollama_version="0.15.0")
    assert "rolled back to 0.14.2: 0.15.0 failed " in result.commands_of(VERIFY)[0]


def test_a_known_bad_plist_is_not_written_again_but_another_setting_is(caplog):
    settings = group_settings("server", ollama_version="0.14.2", ollama_keep_alive="1h")
    from remote_ollama.plist import job_paths, ollama_environment, render_plist
    from remote_ollama.server import binary_path
    from tests.plan.macs import TAILSCALE_IP, USER

    bad = render_plist(settings, job_paths(settings, HOME, binary_path(settings, HOME)),
                       ollama_environment(settings, TAILSCALE_IP, HOME), USER)
    record = {**known_bad_version(), "kind": "plist", "tried": "the new plist",
              "tried_version": "0.14.2", "tried_sha256": rollback.sha256(bad)}
    sections = pinned_at("0.14.2", rollback=record_section(record))
    same = plan_server(sections, ollama_version="0.14.2", ollama_keep_alive="1h")
    assert same.changes == []
    assert "this Ollama plist is known-bad on this host" in caplog.text
    other = plan_server(sections, ollama_version="0.14.2", ollama_keep_alive="2h")
    assert "Write the Ollama launchd plist" in other.changes


def test_an_unreadable_record_is_no_record():
    sections = pinned_at("0.14.2", rollback=(0, ["{not json"]))
    result = plan_server(sections, ollama_version="0.13.5")
    assert VERIFY in result.changes


def test_a_converged_mac_with_a_rollback_record_is_still_one_remote_command(sent):
    sections = pinned_at("0.14.2", rollback=record_section(known_bad_version()))
    result = plan_server(sections, ollama_version="0.13.5")
    assert result.changes == []
    assert len(sent) == 1 and sent[0].startswith("{ echo '@@remote-ollama-probe-begin")


def test_leaving_homebrew_for_a_pin_names_homebrews_version_in_the_sentence():
    result = plan_server(converged_mac(group_settings("server")), ollama_version="0.15.0")
    assert "rolled back to Homebrew's Ollama 0.14.2: 0.15.0 failed " in result.commands_of(VERIFY)[0]
