"""Issue 15 on the testbed: an Ollama upgrade ends verified on the new version or back on
the old one, on its own. The mirror serves stand-in release archives of 0.13.5 (no
/v1/messages), 0.14.2 and 0.15.0 (docs/testbed.md)."""

from __future__ import annotations

import json

import pytest

from tests.testbed.converge import pyinfra

pytestmark = pytest.mark.e2e

SERVER = "ai-server"
URL = "http://100.64.0.1:11434"
RECORD = "/home/dev/.local/state/remote-ollama/rollback.json"
RESOLVED = "/home/dev/.local/state/remote-ollama/rollback.resolved.json"
PLIST = "/home/dev/Library/LaunchAgents/com.remote-ollama.ollama.plist"
DEPLOY = "deploys/server.py"
LOCK = "/home/dev/.ai-client/.version-lock"
KEPT = "/home/dev/.local/opt/ollama/homebrew"  # rollback.kept_binary
BREW_JSON = "/etc/standin/brew.json"  # the brew stand-in's catalogue (standins/README.md)


def sh(fleet, command: str) -> str:
    return fleet.exec(SERVER, command, check=True).stdout


def version(fleet) -> str:
    return json.loads(sh(fleet, f"curl -s {URL}/api/version"))["version"]


def messages_status(fleet) -> str:
    body = ('{"model":"qwen2.5-coder:1.5b","max_tokens":1,'
            '"messages":[{"role":"user","content":"hi"}]}')
    return sh(fleet, f"curl -s -o /dev/null -w '%{{http_code}}' -H 'content-type: "
                     f"application/json' -d '{body}' {URL}/v1/messages")


@pytest.fixture
def on_0_14_2(converged, fleet):
    sh(fleet, f"rm -f {RECORD} {RESOLVED}")
    run = pyinfra(converged, DEPLOY, data={"ollama_version": "0.14.2"})
    assert run.returncode == 0, run.stderr[-3000:]
    assert version(fleet) == "0.14.2"
    yield converged
    sh(fleet, f"rm -f {RECORD} {RESOLVED}")
    assert pyinfra(converged, DEPLOY).returncode == 0  # back to Homebrew's, as the others expect


def test_a_downgrade_to_a_release_without_v1_messages_rolls_back(on_0_14_2, fleet):
    plist_before = sh(fleet, f"cat {PLIST}")
    models_before = sh(fleet, f"curl -s {URL}/api/tags")
    run = pyinfra(on_0_14_2, DEPLOY, data={"ollama_version": "0.13.5"})
    record_output("pyinfra deploys/server.py --data ollama_version=0.13.5", run.stderr[-6000:])
    assert run.returncode != 0
    sentence = "rolled back to 0.14.2: 0.13.5 failed /v1/messages (404)"
    assert sentence in run.stdout + run.stderr
    assert version(fleet) == "0.14.2"
    assert messages_status(fleet) == "200"
    assert sh(fleet, f"cat {PLIST}") == plist_before
    assert sh(fleet, f"curl -s {URL}/api/tags") == models_before
    record = json.loads(sh(fleet, f"cat {RECORD}"))
    assert record["kind"] == "version" and record["tried_version"] == "0.13.5"
    assert record["kept"] == "0.14.2" and record["message"] == sentence
    assert record["restored"] is True

    again = pyinfra(on_0_14_2, DEPLOY, data={"ollama_version": "0.13.5"})
    record_output("pyinfra deploys/server.py --data ollama_version=0.13.5 (again)",
                  again.stderr[-6000:])
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.changed() == {}
    assert "Ollama 0.13.5 is known-bad on this host" in again.stdout + again.stderr
    assert version(fleet) == "0.14.2"

    # Forced, in a fleet run: the server rolls back again, and a client's version lock,
    # written after the server's steps, records what the server runs, not the failed pin.
    fleet.exec("ai-client-1", f"rm -f {LOCK}", check=True)
    forced = pyinfra(on_0_14_2, "deploys/fleet.py",
                     data={"ollama_version": "0.13.5", "ollama_retry_failed": "true",
                           "allow_incompatible_versions": "true"})
    assert forced.returncode != 0 and sentence in forced.stdout + forced.stderr
    assert version(fleet) == "0.14.2"
    lock = fleet.exec("ai-client-1", f"cat {LOCK}", check=True).stdout
    assert "OLLAMA_VERSION=0.14.2\n" in lock and "0.13.5" not in lock, lock


def test_an_upgrade_to_a_good_release_is_verified(on_0_14_2, fleet, tmp_path):
    run = pyinfra(on_0_14_2, DEPLOY, data={"ollama_version": "0.15.0"})
    record_output("pyinfra deploys/server.py --data ollama_version=0.15.0", run.stderr[-6000:])
    assert run.returncode == 0, run.stderr[-3000:]
    assert version(fleet) == "0.15.0"
    assert messages_status(fleet) == "200"
    upgrade = json.loads(sh(fleet, "cat /home/dev/.local/state/remote-ollama/upgrade.json"))
    assert upgrade["version"] == "0.15.0" and upgrade["result"] == "verified"
    again = pyinfra(on_0_14_2, DEPLOY, data={"ollama_version": "0.15.0"})
    assert again.returncode == 0 and again.changed() == {}
    fleet_run = pyinfra(on_0_14_2, "deploys/fleet.py", data={"ollama_version": "0.15.0"})
    assert fleet_run.returncode == 0, fleet_run.stderr[-3000:]  # the clients' lock: 0.15.0
    assert remote_commands_of_a_noop(on_0_14_2, tmp_path, "ollama_version=0.15.0") == {
        "ai-server": 1, "ai-client-1": 1, "ai-client-2": 1}


def remote_commands_of_a_noop(inventory, tmp_path, *data) -> dict[str, int]:
    """Every remote command of a fleet run, logged by bench/count_commands.py: per host."""
    import subprocess
    import sys
    from collections import Counter

    from tests.testbed.converge import REPO

    log = tmp_path / "commands.jsonl"
    args = [sys.executable, "bench/count_commands.py", str(log), "--", "-y", "--json",
            str(inventory), "deploys/fleet.py"]
    for item in data:
        args += ["--data", item]
    proc = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    return dict(Counter(line["host"] for line in lines if line["kind"] != "connect"))


def brew_catalogue(fleet, catalogue: dict | None) -> None:
    """What `brew upgrade` finds (TEST-ONLY stand-in knob; None: the defaults)."""
    if catalogue is None:
        fleet.exec(SERVER, f"rm -f {BREW_JSON}", user="root", check=True)
    else:
        fleet.exec(SERVER, f"cat > {BREW_JSON}", user="root", check=True,
                   input=json.dumps(catalogue))


def test_homebrews_formula_moving_to_a_bad_keg_rolls_back_to_the_kept_copy(converged, fleet):
    """Unpinned: `brew upgrade ollama` (out of band, as a user would) moves Homebrew's
    formula to a 0.15.1 whose binary cannot start, and deletes the 0.14.2 keg."""
    sh(fleet, f"rm -f {RECORD} {RESOLVED}")
    assert version(fleet) == "0.14.2"
    assert sh(fleet, f"cat {KEPT}/0.14.2/bin/ollama.version").strip() == "0.14.2"  # kept
    plist_before = sh(fleet, f"cat {PLIST}")
    models_before = sh(fleet, f"curl -s {URL}/api/tags")
    data = {"ollama_health_timeout": "15"}
    try:
        brew_catalogue(fleet, {"formulae": {"ollama": "0.15.1"},
                               "broken_bottles": {"ollama": ["0.15.1"]}})
        upgrade = sh(fleet, "/opt/homebrew/bin/brew upgrade ollama")
        assert "Removing: /opt/homebrew/Cellar/ollama/0.14.2..." in upgrade
        assert version(fleet) == "0.14.2"  # the old process serves until it restarts
        run = pyinfra(converged, DEPLOY, data=data)
        record_output("brew upgrade ollama (to a 0.15.1 that cannot start); "
                      "pyinfra deploys/server.py", upgrade + run.stderr[-6000:])
        assert run.returncode != 0
        assert ("rolled back to 0.14.2: 0.15.1 failed /api/version (no answer within 15s"
                ) in run.stdout + run.stderr
        assert version(fleet) == "0.14.2" and messages_status(fleet) == "200"
        kept_binary = f"{KEPT}/0.14.2/bin/ollama"
        assert sh(fleet, f"cat {PLIST}") == plist_before.replace(
            "/opt/homebrew/opt/ollama/bin/ollama", kept_binary)  # every setting as it was
        assert sh(fleet, f"curl -s {URL}/api/tags") == models_before
        record = json.loads(sh(fleet, f"cat {RECORD}"))
        assert record["tried_version"] == "0.15.1" and record["kept"] == "0.14.2"
        assert record["restored"] is True

        again = pyinfra(converged, DEPLOY, data=data)
        record_output("pyinfra deploys/server.py (again, 0.15.1 known-bad)", again.stderr[-3000:])
        assert again.returncode == 0, again.stderr[-3000:]
        assert again.changed() == {}
        assert "Ollama 0.15.1 is known-bad on this host" in again.stdout + again.stderr

        brew_catalogue(fleet, {"formulae": {"ollama": "0.15.2"}})  # Homebrew moves on
        sh(fleet, "/opt/homebrew/bin/brew upgrade ollama")
        good = pyinfra(converged, DEPLOY, data=data)
        record_output("brew upgrade ollama (to 0.15.2); pyinfra deploys/server.py",
                      good.stderr[-6000:])
        assert good.returncode == 0, good.stderr[-3000:]
        assert version(fleet) == "0.15.2" and sh(fleet, f"cat {PLIST}") == plist_before
        upgrade_record = json.loads(sh(fleet, "cat /home/dev/.local/state/remote-ollama/upgrade.json"))
        assert upgrade_record["version"] == "0.15.2"
        assert sh(fleet, f"ls {KEPT}").split() == ["0.15.2"]  # kept in the same run
        assert pyinfra(converged, DEPLOY, data=data).changed() == {}  # converged in one pass
    finally:
        brew_catalogue(fleet, None)
        fleet.exec(SERVER, "/opt/homebrew/bin/brew reinstall ollama", check=True)  # 0.14.2 again
        sh(fleet, f"rm -f {RECORD} {RESOLVED}")
        assert pyinfra(converged, DEPLOY).returncode == 0
        assert version(fleet) == "0.14.2"


def test_a_plist_setting_that_stops_ollama_from_starting_rolls_back(on_0_14_2, fleet):
    plist_before = sh(fleet, f"cat {PLIST}")
    # An OLLAMA_MODELS folder the user cannot create (a valid setting; on the testbed / has no
    # /Users and only root may make it): the server cannot start.
    run = pyinfra(on_0_14_2, DEPLOY, data={"ollama_version": "0.14.2",
                                            "ollama_models_dir": "/Users/Shared/no-access/models"})
    record_output("pyinfra deploys/server.py --data ollama_models_dir=/Users/Shared/no-access/models",
                  run.stderr[-6000:])
    assert run.returncode != 0
    assert ("rolled back to the previous plist (Ollama 0.14.2): the new plist "
            "(OLLAMA_MODELS=/Users/Shared/no-access/models) failed /api/version (no answer within"
            ) in run.stdout + run.stderr
    assert sh(fleet, f"cat {PLIST}") == plist_before
    assert version(fleet) == "0.14.2" and messages_status(fleet) == "200"
    record = json.loads(sh(fleet, f"cat {RECORD}"))
    assert record["kind"] == "plist"


# --- `remote-ollama status` on the testbed ------------------------------------------------

def status(inventory, *extra) -> tuple[int, str]:
    import subprocess
    import sys
    from pathlib import Path

    from tests.testbed.converge import REPO

    cli = str(Path(sys.executable).with_name("remote-ollama"))
    proc = subprocess.run([cli, "status", "-i", str(inventory), *extra], cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    record_output(f"remote-ollama status {' '.join(extra)}", proc.stdout + proc.stderr)
    return proc.returncode, proc.stdout


def record_output(title: str, text: str) -> None:
    """Keep what the commands printed (docs/upgrading.md quotes it)."""
    import os
    from pathlib import Path

    folder = Path(os.environ.get("UPGRADE_OUTPUT_DIR", "/tmp/upgrade-e2e-output"))
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "runs.txt").open("a") as out:
        out.write(f"\n===== {title}\n{text}\n")


def test_status_on_a_converged_a_drifted_and_a_rolled_back_fleet(on_0_14_2, fleet, tmp_path):
    code, text = status(on_0_14_2, "--data", "ollama_version=0.14.2")
    assert code == 0, text
    assert "ai-server" in text and "ai-client-1" in text and "ai-client-2" in text
    server_row = next(line for line in text.splitlines() if line.startswith("ai-server"))
    assert "Ollama 0.14.2" in server_row and "(pin" not in server_row
    code, raw = status(on_0_14_2, "--json", "--data", "ollama_version=0.14.2")
    doc = {h["host"]: h for h in json.loads(raw)["hosts"]}
    assert all(h["reachable"] is True for h in doc.values())
    assert all(h["drift"] == [] for h in doc.values()), doc
    assert doc["ai-server"]["server"]["ollama"] == "0.14.2"
    assert doc["ai-server"]["server"]["healthy"] is True
    assert doc["ai-client-1"]["client"]["claude_code"] == "2.1.332"
    assert doc["ai-client-1"]["client"]["aider"] == "0.86.2"
    last = doc["ai-server"]["server"]["last_converge"]  # the fixture's pin 0.14.2 changed it
    assert last["role"] == "server" and last["changed"], last
    assert "Record this converge" not in last["changed"]  # the steps before it only
    assert "last converge: " + last["at"] in text
    # Each client records its own converge (its first one, at the least: a fresh fleet),
    # in its own file, with the client deploy's steps only; the same probe reads it.
    client_last = doc["ai-client-1"]["client"]["last_converge"]
    assert client_last["role"] == "client" and client_last["changed"], client_last
    assert "Record this converge" not in client_last["changed"]
    assert "Check the server against the API contract" not in client_last["changed"]
    assert fleet.exec("ai-client-1", "cat ~/.local/state/remote-ollama/converge.client.json"
                      ).stdout.strip().startswith("{")
    client_block = text.split("\nai-client-1:\n", 1)[1].split("\n\n", 1)[0]
    assert "  last converge: " + client_last["at"] in client_block, client_block

    fleet.exec("ai-client-2", "rm -f ~/.ai-client/env", check=True)  # drift
    code, raw = status(on_0_14_2, "--json", "--data", "ollama_version=0.14.2")
    doc = {h["host"]: h for h in json.loads(raw)["hosts"]}
    assert "Write ~/.ai-client/env" in doc["ai-client-2"]["drift"], doc["ai-client-2"]
    assert doc["ai-client-1"]["drift"] == []

    run = pyinfra(on_0_14_2, DEPLOY, data={"ollama_version": "0.13.5"})  # rolls back
    record_output("pyinfra deploys/server.py --data ollama_version=0.13.5",
                  run.stdout[-6000:] + run.stderr[-6000:])
    assert run.returncode != 0
    code, text = status(on_0_14_2, "--data", "ollama_version=0.13.5")
    assert "Ollama 0.14.2 (pin 0.13.5)" in text
    assert "last converge: " + last["at"] in text  # a failed run is no finished converge
    assert "last converge: " + client_last["at"] in text  # the clients' own, unchanged
    assert "rolled back to 0.14.2: 0.13.5 failed /v1/messages (404) (pin known-bad)" in text
    html_file = tmp_path / "status.html"
    code, raw = status(on_0_14_2, "--json", "--html", str(html_file),
                       "--data", "ollama_version=0.13.5")
    doc = {h["host"]: h for h in json.loads(raw)["hosts"]}
    assert doc["ai-server"]["server"]["rollback"]["tried_version"] == "0.13.5"
    assert "rolled back" in html_file.read_text()
    assert doc["ai-client-1"]["client"]["last_converge"] == client_last
    assert f"last converge</td><td>{client_last['at']}" in html_file.read_text()


# --- clients: a rollout in batches stops at the failure threshold --------------------------

CLAUDE_ROOT = "/home/dev/.local/share/remote-ollama/claude-code"
# TEST-ONLY fault: on one client, downloads of Claude Code's tarball fail as a 404 does
# (curl -f exits 22, "The requested URL returned error: 404"); every other curl is the real one.
FAULTY_CURL = """#!/bin/sh
for a in "$@"; do case "$a" in *claude-code-linux-*.tgz)
  echo "curl: (22) The requested URL returned error: 404" >&2; exit 22;; esac; done
exec /usr/bin/curl "$@"
"""


def test_a_client_rollout_stops_at_the_failure_threshold(converged, fleet):
    everyone = {"claude_code_enabled": "true"}
    try:
        first = pyinfra(converged, "deploys/fleet.py", data=everyone)
        assert first.returncode == 0, first.stderr[-3000:]
        fleet.exec("ai-client-1", f"cat > /usr/local/bin/curl <<'EOF'\n{FAULTY_CURL}EOF\n"
                                  "chmod 755 /usr/local/bin/curl", user="root", check=True)
        for client in ("ai-client-1", "ai-client-2"):  # both need the download again
            fleet.exec(client, f"rm -rf {CLAUDE_ROOT}/2.1.332", check=True)
        run = pyinfra(converged, "deploys/fleet.py",
                      data={**everyone, "client_rollout_batch": "1",
                            "client_rollout_max_failures": "1"})
        record_output("pyinfra deploys/fleet.py --data client_rollout_batch=1 (one broken client)",
                      run.stderr[-6000:])
        assert sorted(run.failed_hosts) == ["ai-client-1", "ai-client-2"]
        # the download says why, in one line (operations/download.py), and the run stops
        assert "got an HTTP error (curl exit 22); nothing was installed." in run.stderr
        assert ("Claude Code 2.1.332 not installed: the rollout stopped after 1 client(s) "
                "failed; 2.1.332 stays in use") in run.stderr
        # The second batch was left untouched: no download was even tried there.
        assert fleet.exec("ai-client-2", f"ls {CLAUDE_ROOT}").stdout.split() == []
    finally:
        fleet.exec("ai-client-1", "rm -f /usr/local/bin/curl", user="root")
        assert pyinfra(converged, "deploys/fleet.py").returncode == 0
