"""The verify-or-roll-back script (remote_ollama/rollback.py), run here with ``sh``.

The Ollama API stand-in (tests/testbed/standins) serves on loopback; a fake ``launchctl``
on PATH starts it at the version named by the plist's binary folder (``.../0.13.5/ollama``)
on ``bootstrap``, stops it on ``bootout`` and answers ``print`` from its pid file. That is
all of launchd the script uses (TEST-ONLY: no launchd semantics beyond these three verbs).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from remote_ollama import rollback

STANDIN = Path(__file__).resolve().parents[1] / "testbed" / "standins" / "ollama"

LAUNCHCTL = """#!/bin/sh
# Fake launchctl (TEST-ONLY): print | bootout | bootstrap, one job, state in $FAKE_JOB_DIR.
pidfile="$FAKE_JOB_DIR/pid"
case "$1" in
  print) [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null && exit 0
    echo 'Could not find service "x" in domain for port' >&2; exit 113 ;;  # as launchctl(1)
  bootout) [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null; rm -f "$pidfile" ;;
  bootstrap)
    v=$(sed -n 's|.*/\\([0-9][0-9.]*\\)/\\(bin/\\)\\{0,1\\}ollama</string>.*|\\1|p' "$3" | head -n 1)
    grep -q BROKEN "$3" && v=""
    if [ -n "$v" ]; then
      OLLAMA_STANDIN_VERSION="$v" nohup "$FAKE_PYTHON" "$FAKE_STANDIN" serve \\
        >>"$FAKE_JOB_DIR/log" 2>&1 &
      echo $! > "$pidfile"
    fi ;;
esac
"""


def plist(version: str, extra: str = "") -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n<dict>\n'
            "<key>ProgramArguments</key>\n<array>\n"
            f"<string>/Users/me/.local/opt/ollama/{version}/ollama</string>\n"
            f"<string>serve</string>\n</array>\n{extra}</dict>\n</plist>\n")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def job(tmp_path, monkeypatch):
    """A running 'new' job the test starts with ``start(plist_text)``; stopped at the end."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "launchctl").write_text(LAUNCHCTL)
    (bin_dir / "launchctl").chmod(0o755)
    port = free_port()
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "FAKE_JOB_DIR": str(tmp_path),
           "FAKE_PYTHON": sys.executable, "FAKE_STANDIN": str(STANDIN),
           "OLLAMA_HOST": f"127.0.0.1:{port}", "OLLAMA_MODELS": str(tmp_path / "models")}
    plist_path = tmp_path / "job.plist"

    def start(text: str) -> None:
        plist_path.write_text(text)
        subprocess.run(["launchctl", "bootstrap", "gui/501", str(plist_path)], env=env,
                       check=True)

    yield {"env": env, "url": f"http://127.0.0.1:{port}", "plist": plist_path, "home": tmp_path,
           "start": start}
    subprocess.run(["launchctl", "bootout", "gui/501/x"], env=env)


def run_script(job, previous: str, new: str, want: str | None, tries: int = 10,
               new_version: str | None = None):
    script = rollback.rollback_script(
        url=job["url"], tries=tries, want=want, minimum="0.14.0", log="/tmp/ollama.err.log",
        model=None, previous=previous, new=new, running="0.14.2", plist=str(job["plist"]),
        domain="gui/501", label="x", sudo=False, home=str(job["home"]), new_version=new_version)
    return subprocess.run(["sh", "-c", script], env=job["env"], capture_output=True, text=True,
                          timeout=120)


def served_version(url: str) -> str:
    for _ in range(50):
        try:
            with urllib.request.urlopen(f"{url}/api/version", timeout=2) as r:
                return json.load(r)["version"]
        except OSError:
            time.sleep(0.1)
    raise AssertionError("nothing answers")


def state(job, name: str) -> dict:
    return json.loads((job["home"] / ".local/state/remote-ollama" / name).read_text())


def test_a_release_without_v1_messages_is_rolled_back_with_one_sentence(job):
    previous, new = plist("0.14.2"), plist("0.13.5")
    job["start"](new)  # what job_loaded left running: the new version
    result = run_script(job, previous, new, want="0.13.5")
    assert result.returncode == 1
    sentence = "rolled back to 0.14.2: 0.13.5 failed /v1/messages (404)"
    assert result.stderr.strip().splitlines()[-1] == sentence
    assert job["plist"].read_text() == previous
    assert served_version(job["url"]) == "0.14.2"
    record = state(job, "rollback.json")
    assert record["kind"] == "version" and record["tried_version"] == "0.13.5"
    assert record["message"] == sentence and record["restored"] is True
    assert record["tried_sha256"] == rollback.sha256(new)
    assert rollback.known_bad(record, new, retry=False)  # the next run reads it back


def test_a_good_release_is_kept_and_the_old_record_resolved(job):
    previous, new = plist("0.14.2"), plist("0.15.0")
    (job["home"] / ".local/state/remote-ollama").mkdir(parents=True)
    (job["home"] / ".local/state/remote-ollama/rollback.json").write_text('{"kind": "version"}')
    job["start"](new)
    result = run_script(job, previous, new, want="0.15.0")
    assert result.returncode == 0, result.stderr
    assert job["plist"].read_text() == new
    assert served_version(job["url"]) == "0.15.0"
    assert state(job, "upgrade.json")["version"] == "0.15.0"
    assert state(job, "rollback.resolved.json") == {"kind": "version"}
    assert not (job["home"] / ".local/state/remote-ollama/rollback.json").exists()


def test_a_plist_that_does_not_start_goes_back_to_the_previous_plist(job):
    env = ("<key>EnvironmentVariables</key>\n<dict>\n<key>OLLAMA_MODELS</key>\n"
           "<string>{}</string>\n</dict>\n")
    previous = plist("0.14.2", env.format("/Users/me/.ollama/models"))
    new = plist("0.14.2", env.format("/root/no-access") + "<!-- BROKEN -->\n")
    job["start"](new)  # the fake launchctl starts nothing for it
    result = run_script(job, previous, new, want="0.14.2", tries=2)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "rolled back to the previous plist (Ollama 0.14.2): the new plist "
        "(OLLAMA_MODELS=/root/no-access) failed /api/version (no answer within 2s; "
        "see /tmp/ollama.err.log)")
    assert job["plist"].read_text() == previous
    assert served_version(job["url"]) == "0.14.2"
    assert state(job, "rollback.json")["kind"] == "plist"


def test_a_wrong_version_is_named(job):
    previous, new = plist("0.14.2"), plist("0.15.0")
    job["start"](plist("0.14.2"))  # the old binary still answers, say
    result = run_script(job, previous, new, want="0.15.0")
    assert result.stderr.strip().splitlines()[-1] == (
        "rolled back to 0.14.2: 0.15.0 failed /api/version (it says 0.14.2)")


def test_homebrews_bad_new_keg_goes_back_to_the_kept_copy(job):
    """Issue 15: `brew upgrade ollama` moved opt/ollama to a 0.15.1 that does not start; the
    previous plist is the same plist naming our kept copy of 0.14.2's keg."""
    kept = rollback.kept_binary("/Users/me/.local/opt/ollama", "0.14.2")
    previous = plist("0.14.2").replace("/Users/me/.local/opt/ollama/0.14.2/ollama", kept)
    new = (plist("0.14.2").replace("/Users/me/.local/opt/ollama/0.14.2/ollama",
                                   "/opt/homebrew/opt/ollama/bin/ollama")
           .replace("</dict>", "<!-- BROKEN -->\n</dict>"))
    job["start"](new)
    result = run_script(job, previous, new, want="0.15.1", tries=2, new_version="0.15.1")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "rolled back to 0.14.2: 0.15.1 failed /api/version (no answer within 2s; "
        "see /tmp/ollama.err.log)")
    assert job["plist"].read_text() == previous and served_version(job["url"]) == "0.14.2"
    record = state(job, "rollback.json")
    assert record["kind"] == "version" and record["tried_version"] == "0.15.1"
    assert rollback.known_bad(record, new, retry=False, new_version="0.15.1")
    assert not rollback.known_bad(record, new, retry=False, new_version="0.15.2")


@pytest.mark.parametrize(("kegs", "kept", "running", "on_brew", "expected"), [
    (["0.14.2"], None, "0.14.2", True, ("0.14.2", False, None, None)),
    (["0.15.1"], ["0.14.2"], "0.14.2", True, ("0.15.1", True, None, "0.14.2")),
    (["0.14.2", "0.15.1"], None, "0.14.2", True, ("0.15.1", True, "0.14.2", "0.14.2")),
    (["0.14.2", "0.15.1"], ["0.14.2"], "0.14.2", True, ("0.15.1", True, None, "0.14.2")),
    (["0.15.1"], None, "0.14.2", True, ("0.15.1", True, None, None)),  # nothing kept
    (["0.15.1"], ["0.14.2"], "0.14.2", False, ("0.15.1", False, None, None)),  # kept serves
    (["0.14.2_1"], None, "0.14.2", True, ("0.14.2", False, None, None)),
    (["0.9.0", "0.10.0"], None, "0.10.0", True, ("0.10.0", False, None, None)),
    (["0.9.0", "0.10.0"], ["0.9.0"], "0.9.0", True, ("0.10.0", True, None, "0.9.0")),
    ([], None, None, True, (None, False, None, None)),
])
def test_homebrew_move_reads_kegs_copies_and_what_answers(kegs, kept, running, on_brew,
                                                          expected):
    brew = "/opt/homebrew/opt/ollama/bin/ollama"
    current = brew if on_brew else rollback.kept_binary("/Users/me/.local/opt/ollama", "0.14.2")
    move = rollback.homebrew_move({"formulae": {"ollama": kegs}}, kept, running, current, brew)
    assert (move.version, move.moved, move.keep_before, move.back_to) == expected
    if move.version:
        assert rollback.keg_path("/opt/homebrew", move, move.version) == (
            f"/opt/homebrew/Cellar/ollama/{max(kegs, key=rollback._version_key)}")


def test_a_keg_installed_by_this_run_is_kept_from_homebrews_link(tmp_path):
    """A fresh server: Homebrew installs Ollama in this run, so the version is known only
    when the step runs; it copies the keg ``opt/ollama`` links to, named by its version."""
    from unittest import mock

    from tests.unit.ops import FakeHost

    keg = tmp_path / "Cellar/ollama/0.14.2_1"
    (keg / "bin").mkdir(parents=True)
    (keg / "bin/ollama").write_text("#!/bin/sh\n")
    (keg / "bin/ollama").chmod(0o755)
    (tmp_path / "opt").mkdir()
    (tmp_path / "opt/ollama").symlink_to("../Cellar/ollama/0.14.2_1")
    root = tmp_path / "kept"
    with mock.patch.object(rollback, "host", FakeHost()):
        (command,) = rollback.homebrew_keg_kept._inner(
            root=str(root), keep=None, keg=None, kept=None, needed=[],
            linked=str(tmp_path / "opt/ollama"))
    for _ in range(2):  # the second run finds the copy and leaves it
        subprocess.run(["sh", "-c", command], check=True)
        assert sorted(p.name for p in root.iterdir()) == ["0.14.2"]
    assert (root / "0.14.2/bin/ollama").is_file()


def env_plist(env: dict) -> str:
    import plistlib

    return plistlib.dumps({"ProgramArguments": ["/x/0.14.2/ollama", "serve"],
                           "EnvironmentVariables": env}).decode()


def test_environment_changes_name_what_differs_and_what_went():
    old = env_plist({"OLLAMA_HOST": "1.2.3.4:11434", "OLLAMA_DEBUG": "1", "A": "x"})
    new = env_plist({"OLLAMA_HOST": "1.2.3.4:11434", "A": "y", "B": 'q"$(rm)`'})
    assert rollback.environment_changes(old, new) == ["A=y", "B=qrm", "OLLAMA_DEBUG unset"]
    assert rollback.environment_changes(old, new, limit=1) == ["A=y", "2 more"]
    assert rollback.environment_changes("not a plist", new) == ["A=y", "B=qrm",
                                                                "OLLAMA_HOST=1.2.3.4:11434"]


# --- the last converge: each deploy records its own steps (rollback.changed_steps) ---------

def test_a_host_in_both_groups_records_each_deploys_own_steps(monkeypatch):
    """On a host in both groups the server's deploy runs first, then the client's, in one
    ``op_hash_order``; each record step lists the steps of its own deploy before it."""
    from types import SimpleNamespace

    import pyinfra

    steps = [("remote-ollama server | Pull missing models", True),
             ("remote-ollama server | Write the warm-up job", False),
             ("remote-ollama server | Record this converge", True),
             ("remote-ollama client | Write ~/.ai-client/env", True),
             ("remote-ollama client | Remove other Aider versions", False),
             ("remote-ollama client | Check the server from this client (warns only)", True),
             ("remote-ollama client | Record this converge", True)]
    hashes = [f"op{i}" for i in range(len(steps))]
    fake_state = SimpleNamespace(
        get_op_meta=lambda h: SimpleNamespace(names={steps[hashes.index(h)][0]}),
        get_op_data_for_host=lambda _host, h: SimpleNamespace(
            operation_meta=SimpleNamespace(will_change=steps[hashes.index(h)][1]),
            global_arguments={"name": steps[hashes.index(h)][0].split(" | ")[-1]}))
    fake_host = SimpleNamespace(op_hash_order=hashes, current_op_hash="op2")
    monkeypatch.setattr(pyinfra, "state", fake_state)
    monkeypatch.setattr(rollback, "host", fake_host)
    assert rollback.changed_steps() == ["Pull missing models"]
    fake_host.current_op_hash = "op6"
    assert rollback.changed_steps() == ["Write ~/.ai-client/env",
                                        "Check the server from this client (warns only)"]
    assert rollback.converge_path("server") != rollback.converge_path("client")  # two files
