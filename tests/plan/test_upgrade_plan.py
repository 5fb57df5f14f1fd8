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


# --- Homebrew's formula moving (an unpinned server; rollback.homebrew_move) ---------------

KEEP = "Keep a copy of Homebrew's Ollama (to roll back to)"  # after the verify step
KEEP_BEFORE = "Keep a copy of Homebrew's Ollama before the restart"
LOAD = "Load the Ollama job"
KEPT_ROOT = f"{HOME}/.local/opt/ollama/homebrew"


def homebrew_at(*kegs: str, serving: str = "0.14.2", kept: list[str] | None = None,
                plist_version: str | None = None, **changes):
    """An unpinned server after `brew upgrade ollama`: the Cellar holds ``kegs``, the job
    (still the old process) answers ``serving``, ``kept`` are our copies, and the plist
    names Homebrew's link (or, with ``plist_version``, our kept copy of that version)."""
    from remote_ollama.plist import job_paths, ollama_environment, render_plist
    from tests.plan.macs import BREW_BINARY, TAILSCALE_IP, USER, _api, _file

    settings = group_settings("server")
    cellar = ["brew", "formula /opt/homebrew/Cellar/git/2.47.0",
              *(f"formula /opt/homebrew/Cellar/ollama/{k}" for k in kegs)]
    sections = converged_mac(settings, brew=(0, cellar),
                             brew_kept=(0, ["absent"]) if kept is None else (0, ["dir", *kept]),
                             api=_api(settings, settings.models, serving),
                             api_tailnet=(0, [f"@@address {TAILSCALE_IP}",
                                              *_api(settings, settings.models, serving)[1]]),
                             **changes)
    if plist_version:
        paths = job_paths(settings, HOME, rollback.kept_binary(f"{HOME}/.local/opt/ollama",
                                                                plist_version))
        text = render_plist(settings, paths, ollama_environment(settings, TAILSCALE_IP, HOME),
                            USER)
        sections["plist"] = _file(text)
        sections["job"] = (0, [line.replace(BREW_BINARY, paths.binary)
                               for line in sections["job"][1]])
    return sections


def test_homebrews_formula_moving_restarts_verifies_and_can_go_back_to_the_kept_copy():
    result = plan_server(homebrew_at("0.15.1", kept=["0.14.2"]))
    assert KEEP_BEFORE not in result.changes  # 0.14.2 was kept while it served
    # once 0.15.1 is verified, it is kept in turn, and the copy of 0.14.2 goes
    assert result.changes.index(VERIFY) < result.changes.index(KEEP)
    assert result.commands_of(KEEP)[-1] == f"rm -rf {KEPT_ROOT}/0.14.2"
    assert "Write the Ollama launchd plist" not in result.changes  # it names opt/ollama
    assert LOAD in result.changes  # the job still runs the old process: restart it
    script, ours = result.commands_of(VERIFY)
    assert '[ "$v" != 0.15.1 ]' in script  # Homebrew's new version is required
    assert "rolled back to 0.14.2: 0.15.1 failed " in script
    assert f"<string>{KEPT_ROOT}/0.14.2/bin/ollama</string>" in script  # restored plist
    assert '\\"tried_version\\": \\"0.15.1\\"' in script  # known-bad next time
    assert "-sTCP:LISTEN" in ours


def test_an_old_keg_left_by_homebrew_no_install_cleanup_is_kept_before_the_restart():
    result = plan_server(homebrew_at("0.14.2", "0.15.1"))  # HOMEBREW_NO_INSTALL_CLEANUP=1
    assert result.commands_of(KEEP_BEFORE) == [
        f"rm -rf {KEPT_ROOT}/0.14.2.partial && mkdir -p {KEPT_ROOT} && cp -pR "
        f"/opt/homebrew/Cellar/ollama/0.14.2 {KEPT_ROOT}/0.14.2.partial && "
        f"[ -x {KEPT_ROOT}/0.14.2.partial/bin/ollama ] && mv {KEPT_ROOT}/0.14.2.partial "
        f"{KEPT_ROOT}/0.14.2"]
    assert result.changes.index(KEEP_BEFORE) < result.changes.index(LOAD)
    assert result.commands_of(KEEP)[-1] == f"rm -rf {KEPT_ROOT}/0.14.2"  # after the verify
    assert "rolled back to 0.14.2: 0.15.1 failed " in result.commands_of(VERIFY)[0]


def test_a_move_with_no_copy_to_go_back_to_is_verified_and_says_so(caplog):
    result = plan_server(homebrew_at("0.15.1"))
    script = result.commands_of(VERIFY)[0]
    assert "restore" not in script and '[ "$v" != 0.15.1 ]' in script
    assert "no copy of 0.14.2 was kept" in caplog.text


def test_a_fresh_server_keeps_the_keg_homebrew_installs_in_the_same_run():
    result = plan_server(fresh_mac())
    (command,) = result.commands_of(KEEP)
    assert command.startswith("keg=$(cd /opt/homebrew/opt/ollama && pwd -P)")
    assert result.changes.index(VERIFY) < result.changes.index(KEEP)


def test_homebrews_ollama_that_serves_is_kept_once_and_older_copies_go():
    first = plan_server(homebrew_at("0.14.2"))  # an install from before this feature
    check = "Check the server against the API contract"  # after any change
    assert first.changes == [KEEP, check, rollback.RECORD_CONVERGE]
    after_a_move = plan_server(homebrew_at("0.15.1", serving="0.15.1", kept=["0.14.2"]))
    assert after_a_move.changes == [KEEP, check, rollback.RECORD_CONVERGE]
    assert after_a_move.commands_of(KEEP)[-1] == f"rm -rf {KEPT_ROOT}/0.14.2"
    assert "cp -pR /opt/homebrew/Cellar/ollama/0.15.1 " in after_a_move.commands_of(KEEP)[0]


def test_a_failed_homebrew_version_is_known_bad_and_the_kept_copy_serves_on(caplog, sent):
    record = {**known_bad_version(), "tried": "0.15.1", "tried_version": "0.15.1",
              "message": "rolled back to 0.14.2: 0.15.1 failed /api/version (no answer)"}
    sections = homebrew_at("0.15.1", kept=["0.14.2"], plist_version="0.14.2",
                           rollback=record_section(record))
    result = plan_server(sections)
    assert result.changes == [] and len(sent) == 1  # a no-op: the probe only
    assert "Ollama 0.15.1 is known-bad on this host" in caplog.text
    newer = plan_server(homebrew_at("0.15.2", kept=["0.14.2"], plist_version="0.14.2",
                                    rollback=record_section(record)))
    assert "Write the Ollama launchd plist" in newer.changes  # Homebrew moved on: try it
    assert "rolled back to 0.14.2: 0.15.2 failed " in newer.commands_of(VERIFY)[0]


# --- the last converge (rollback.converge_recorded) ----------------------------------------

def test_a_converge_that_changes_something_records_when_and_which_steps_last(tmp_path):
    import re
    import subprocess

    result = plan_server(pinned_at("0.14.2"), ollama_version="0.14.2", ollama_keep_alive="1h")
    assert result.changes[-1] == rollback.RECORD_CONVERGE
    (command,) = result.commands_of(rollback.RECORD_CONVERGE)
    path = f"{HOME}/.local/state/remote-ollama/converge.json"
    assert command.endswith(f"> {path}") and "$(date -u +%Y-%m-%dT%H:%M:%SZ)" in command
    doc = json.loads(command.split("printf '%s\\n' '", 1)[1].split("' | sed", 1)[0])
    assert doc == {"at": "@@remote-ollama-at@@", "role": "server",
                   "changed": ["Write the Ollama launchd plist", "Load the Ollama job", VERIFY,
                               "Check the server against the API contract"]}
    subprocess.run(["sh", "-c", command.replace(HOME, str(tmp_path))], check=True)
    written = json.loads((tmp_path / ".local/state/remote-ollama/converge.json").read_text())
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", written["at"])
    assert written["changed"] == doc["changed"]


def test_a_no_op_converge_records_nothing_and_sends_only_the_probe(sent):
    last = {"at": "2026-11-30T05:00:00Z", "role": "server", "changed": ["Pull missing models"]}
    result = plan_server(pinned_at("0.14.2", last_converge=record_section(last)),
                         ollama_version="0.14.2")
    assert result.changes == [] and len(sent) == 1


def test_a_known_bad_homebrew_version_is_not_started_by_a_restart(caplog):
    """The plist still names Homebrew's link and the old process answers, but Homebrew's
    version failed here before: no restart onto it."""
    record = {**known_bad_version(), "tried": "0.15.1", "tried_version": "0.15.1"}
    result = plan_server(homebrew_at("0.15.1", kept=["0.14.2"], rollback=record_section(record)))
    assert LOAD not in result.changes and VERIFY not in result.changes
    assert KEEP not in result.changes  # the copy of 0.14.2 (what answers) stays
    assert "Ollama 0.15.1 is known-bad on this host" in caplog.text
