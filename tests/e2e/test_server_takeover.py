"""The server deploy on the testbed's Mac profiles and against other Ollama servers.

- A desktop Mac with a console login (the fleet's default profile): agent mode converges
  and the second run is a no-op (also test_converge.py). A headless Mac with no GUI
  domain: agent mode stops in the preflight with nothing changed; daemon mode converges,
  and its second run changes nothing (issue 12).
- A Mac set up by the original install scripts (com.ollama on 0.0.0.0): one converge
  leaves only our job listening, on the tailnet address; the second run is a no-op. An
  unknown LaunchAgent running `ollama serve` stops the deploy before any change, naming
  it, until ollama_retire_unknown_jobs allows retiring it (issue 19).
"""

from __future__ import annotations

import json
import time

import pytest

from tests.seed_plist import seed_plist
from tests.testbed.converge import pyinfra

pytestmark = pytest.mark.e2e

SERVER = "ai-server"
HOME = "/home/dev"
LABEL = "com.remote-ollama.ollama"
AGENTS = f"{HOME}/Library/LaunchAgents"
BACKUP = f"{HOME}/Library/Logs/remote-ollama-backup"
MAC_JSON = "/etc/standin/mac.json"
PORT = 11434


def run(fleet, command: str, user: str = "dev", check: bool = True) -> str:
    return fleet.exec(SERVER, command, user=user, check=check).stdout


def job_pid(fleet, target: str) -> int | None:
    out = fleet.exec(SERVER, f"launchctl print {target}", user="dev").stdout
    pids = [line.split("=")[1].strip() for line in out.splitlines()
            if line.strip().startswith("pid = ")]
    return int(pids[0]) if pids else None


def listeners(fleet) -> list[str]:
    """Local addresses listening on the Ollama port (`ss`), e.g. ['100.64.0.1:11434']."""
    out = run(fleet, f"ss -Hltn 'sport = :{PORT}'", user="root")
    return sorted(line.split()[3] for line in out.splitlines() if line.strip())


def listener_pids(fleet) -> list[int]:
    out = run(fleet, f"sudo -n lsof -nP -iTCP:{PORT} -sTCP:LISTEN -t", check=False)
    return sorted(int(p) for p in out.split())


def wait_for(predicate, timeout: float = 30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    return predicate()


def load_agent(fleet, label: str, host: str) -> None:
    path = f"{AGENTS}/{label}.plist"
    run(fleet, f"mkdir -p {AGENTS} && cat > {path} <<'EOF'\n"
               f"{seed_plist(label, host)}EOF\nchmod 644 {path}")
    run(fleet, f"launchctl bootstrap gui/1000 {path}")
    assert wait_for(lambda: job_pid(fleet, f"gui/1000/{label}"))


def uninstall(fleet, inventory, **data) -> None:
    gone = pyinfra(inventory, "deploys/server.py", data={"server_state": "absent", **data})
    assert gone.returncode == 0, gone.stderr[-3000:]
    assert wait_for(lambda: not listeners(fleet)), listeners(fleet)


def changed_since(fleet, marker: str) -> str:
    """Files changed since ``marker``, except what a running Ollama writes itself (its
    models folder and its logs)."""
    return run(fleet, f"find {HOME} /opt /Library -newer {marker} -not -path '*/.ollama/*' "
                      "-not -path '*/.cache/*' -not -path '*/Library/Logs/remote-ollama/*' "
                      "2>/dev/null", check=False).strip()


def test_install_scripts_server_is_taken_over_in_one_run(converged, fleet):
    uninstall(fleet, converged)
    load_agent(fleet, "com.ollama", "0.0.0.0")
    assert wait_for(lambda: listeners(fleet) == [f"0.0.0.0:{PORT}"])
    try:
        first = pyinfra(converged, "deploys/server.py")
        assert first.returncode == 0, first.stderr[-4000:]
        assert "com.ollama" in first.stdout + first.stderr  # the run says what it retired
        ours = job_pid(fleet, f"gui/1000/{LABEL}")
        assert listener_pids(fleet) == [ours]  # only our job listens
        assert listeners(fleet) == [f"100.64.0.1:{PORT}"]  # nothing on 0.0.0.0
        assert fleet.exec(SERVER, "launchctl print gui/1000/com.ollama").returncode == 113
        backups = run(fleet, f"ls {BACKUP}").split()
        assert "README.txt" in backups and any(b.endswith("-com.ollama.plist") for b in backups)
        assert "com.ollama" in run(fleet, f"cat {BACKUP}/README.txt")
        assert fleet.exec(SERVER, f"test -e {AGENTS}/com.ollama.plist").returncode != 0
        again = pyinfra(converged, "deploys/server.py")
        assert again.returncode == 0 and again.changed() == {}, again.stderr[-3000:]
    finally:
        run(fleet, "launchctl bootout gui/1000/com.ollama; "
                   f"rm -rf {AGENTS}/com.ollama.plist {BACKUP}", check=False)


def test_unknown_ollama_agent_stops_the_deploy_until_it_may_be_retired(converged, fleet):
    load_agent(fleet, "org.example.ollama", "127.0.0.1:11434")  # beside ours, on loopback
    stranger = job_pid(fleet, "gui/1000/org.example.ollama")
    try:
        run(fleet, f"sed -i 's/<string>5m</<string>7m</' {AGENTS}/{LABEL}.plist")  # drift
        run(fleet, "sleep 1; touch /tmp/before-conflict")
        stopped = pyinfra(converged, "deploys/server.py")
        assert stopped.returncode != 0
        said = stopped.stderr + stopped.stdout
        for name in ("'org.example.ollama'", "loaded in gui/1000", f"pid {stranger}",
                     f"{AGENTS}/org.example.ollama.plist", "ollama_retire_unknown_jobs"):
            assert name in said, said[-3000:]
        assert changed_since(fleet, "/tmp/before-conflict") == ""  # nothing was changed
        assert "<string>7m</string>" in run(fleet, f"cat {AGENTS}/{LABEL}.plist")
        allowed = pyinfra(converged, "deploys/server.py",
                          data={"ollama_retire_unknown_jobs": True})
        assert allowed.returncode == 0, allowed.stderr[-4000:]
        assert fleet.exec(SERVER, "launchctl print gui/1000/org.example.ollama").returncode == 113
        assert listener_pids(fleet) == [job_pid(fleet, f"gui/1000/{LABEL}")]
        assert "org.example.ollama" in run(fleet, f"cat {BACKUP}/README.txt")
        again = pyinfra(converged, "deploys/server.py", data={"ollama_retire_unknown_jobs": True})
        assert again.changed() == {}
    finally:
        run(fleet, "launchctl bootout gui/1000/org.example.ollama; "
                   f"rm -rf {AGENTS}/org.example.ollama.plist {BACKUP}", check=False)


def set_console_users(fleet, users: list[int]) -> None:
    mac = json.loads(run(fleet, f"cat {MAC_JSON}", user="root"))
    mac["console_users"] = users
    run(fleet, f"cat > {MAC_JSON} <<'EOF'\n{json.dumps(mac)}\nEOF", user="root")


def test_headless_mac_refuses_agent_mode_unchanged_and_converges_as_a_daemon(converged, fleet):
    uninstall(fleet, converged)
    set_console_users(fleet, [])  # a headless Mac: nobody logged in at the console
    daemon = {"ollama_service": "daemon"}
    try:
        run(fleet, "touch /tmp/before-headless")
        refused = pyinfra(converged, "deploys/server.py")
        assert refused.returncode != 0
        said = refused.stderr + refused.stdout
        assert "no GUI login session" in said and 'ollama_service = "daemon"' in said, said[-3000:]
        assert changed_since(fleet, "/tmp/before-headless") == ""
        first = pyinfra(converged, "deploys/server.py", data=daemon)
        assert first.returncode == 0, first.stderr[-4000:]
        assert listener_pids(fleet) == [job_pid(fleet, f"system/{LABEL}")]
        assert listeners(fleet) == [f"100.64.0.1:{PORT}"]
        again = pyinfra(converged, "deploys/server.py", data=daemon)
        assert again.returncode == 0 and again.changed() == {}, again.stderr[-3000:]
    finally:
        uninstall(fleet, converged, **daemon)
        set_console_users(fleet, [1000])
        assert pyinfra(converged, "deploys/server.py").returncode == 0


def test_a_root_brew_services_ollama_is_stopped_with_sudo(converged, fleet):
    """`sudo brew services start ollama`: a root daemon in the system domain (item 3)."""
    run(fleet, "sudo -n /opt/homebrew/bin/brew services start ollama")
    daemon = "/Library/LaunchDaemons/homebrew.mxcl.ollama.plist"
    try:
        root_pid = wait_for(lambda: job_pid(fleet, "system/homebrew.mxcl.ollama"))
        assert wait_for(lambda: root_pid in listener_pids(fleet))
        first = pyinfra(converged, "deploys/server.py")
        assert first.returncode == 0, first.stderr[-4000:]
        assert "remote-ollama server | Stop `brew services` Ollama job (system)" in first.changed()
        assert fleet.exec(SERVER, "launchctl print system/homebrew.mxcl.ollama").returncode == 113
        assert fleet.exec(SERVER, f"test -e {daemon}").returncode != 0
        assert listener_pids(fleet) == [job_pid(fleet, f"gui/1000/{LABEL}")]
        assert pyinfra(converged, "deploys/server.py").changed() == {}
    finally:
        run(fleet, f"sudo -n launchctl bootout system/homebrew.mxcl.ollama; sudo -n rm -f {daemon}",
            check=False)


def test_a_stray_ollama_serve_stops_the_deploy_naming_its_pid(converged, fleet):
    run(fleet, "OLLAMA_HOST=127.0.0.1:11434 setsid nohup /opt/homebrew/bin/ollama serve "
               ">/dev/null 2>&1 < /dev/null & echo $! > /tmp/stray.pid")
    stray = int(run(fleet, "cat /tmp/stray.pid").strip())
    try:
        assert wait_for(lambda: stray in listener_pids(fleet))
        stopped = pyinfra(converged, "deploys/server.py")
        assert stopped.returncode != 0
        said = stopped.stderr + stopped.stdout
        assert f"process {stray} (user dev" in said and f"kill {stray}" in said, said[-3000:]
    finally:
        run(fleet, f"kill {stray}", check=False)
    assert wait_for(lambda: stray not in listener_pids(fleet))
    assert pyinfra(converged, "deploys/server.py").changed() == {}
