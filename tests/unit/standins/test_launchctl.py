"""launchctl really runs plist jobs: as the right user, restarted under KeepAlive."""

import json
import os
import plistlib
import pwd
import signal
import time

import pytest

# The job: append {pid, uid, env} to a file, then sleep until killed.
JOB = (
    "import json, os, sys, time\n"
    "with open(sys.argv[1], 'a') as f:\n"
    "    f.write(json.dumps({'pid': os.getpid(), 'uid': os.getuid(),"
    " 'env': dict(os.environ)}) + '\\n')\n"
    "time.sleep(600)\n"
)


def write_plist(host, path, label, **keys):
    out = host.path(f"/tmp/{label}.jsonl")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.parent.chmod(0o1777)
    plist = {
        "Label": label,
        "ProgramArguments": ["/usr/bin/python3", "-c", JOB, str(out)],
        "KeepAlive": True,
        "RunAtLoad": True,
        "ThrottleInterval": 1,
        "EnvironmentVariables": {"OLLAMA_MODELS": "$HOME/models"},
        **keys,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        plistlib.dump(plist, f)
    return out


def records(out):
    return [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []


def wait_until(predicate, timeout=10.0):
    end = time.time() + timeout
    while time.time() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    return predicate()


def printed(host, target, user=False):
    proc = host.run("launchctl", "print", target, user=user)
    fields = {}
    for line in proc.stdout.splitlines():
        key, sep, value = line.strip().partition(" = ")
        if sep:
            fields.setdefault(key, value)
    return proc.returncode, fields


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0] != "Z"


@pytest.fixture
def daemon(host):
    """A LaunchDaemon in the system domain that runs as uid 1000 via UserName."""
    try:
        name = pwd.getpwuid(1000).pw_name
    except KeyError:
        pytest.skip("no local user with uid 1000 to run the job as")
    plist = host.path("/Library/LaunchDaemons/test.daemon.plist")
    out = write_plist(host, plist, "test.daemon", UserName=name)
    plist.chmod(0o644)
    return plist, out


def test_bootstrap_runs_the_job_as_username_with_plain_env(host, daemon):
    plist, out = daemon
    host.run("launchctl", "bootstrap", "system", plist, check=True)
    first = wait_until(lambda: records(out))[0]
    assert first["uid"] == 1000
    assert first["env"]["OLLAMA_MODELS"] == "$HOME/models"  # launchd does not expand
    assert first["env"]["XPC_SERVICE_NAME"] == "test.daemon"
    rc, fields = printed(host, "system/test.daemon")
    assert rc == 0
    assert fields["state"] == "running"
    assert int(fields["pid"]) == first["pid"]
    assert fields["program"] == "/usr/bin/python3"
    assert fields["last exit code"] == "(never exited)"
    with open(f"/proc/{first['pid']}/status") as f:
        uids = next(line for line in f if line.startswith("Uid:")).split()[1:]
    assert set(uids) == {"1000"}


def test_keepalive_restarts_a_killed_job_and_kickstart_replaces_it(host, daemon):
    plist, out = daemon
    host.run("launchctl", "bootstrap", "system", plist, check=True)
    first = wait_until(lambda: records(out))[0]["pid"]
    os.kill(first, signal.SIGKILL)
    second = wait_until(lambda: len(records(out)) >= 2 and records(out)[1]["pid"])
    assert second and second != first
    _, fields = printed(host, "system/test.daemon")
    assert fields["last terminating signal"] == "Killed: 9"
    assert fields["runs"] == "2"
    kicked = host.run("launchctl", "kickstart", "-kp", "system/test.daemon", check=True)
    third = int(kicked.stdout)
    assert third not in (first, second)
    assert not alive(second)
    assert int(printed(host, "system/test.daemon")[1]["pid"]) == third


def test_bootout_stops_the_job_and_leaves_no_process(host, daemon):
    plist, out = daemon
    host.run("launchctl", "bootstrap", "system", plist, check=True)
    pid = wait_until(lambda: records(out))[0]["pid"]
    host.run("launchctl", "bootout", "system/test.daemon", check=True)
    assert not alive(pid)
    rc, _ = printed(host, "system/test.daemon")
    assert rc != 0
    missing = host.run("launchctl", "print", "system/test.daemon")
    assert "Could not find service" in missing.stderr
    assert host.run("launchctl", "bootout", "system/test.daemon").returncode == 3


def test_double_bootstrap_fails_with_io_error(host, daemon):
    plist, _ = daemon
    host.run("launchctl", "bootstrap", "system", plist, check=True)
    again = host.run("launchctl", "bootstrap", "system", plist)
    assert again.returncode == 5
    assert "Bootstrap failed: 5: Input/output error" in again.stderr


def test_daemon_plist_must_be_root_owned_and_not_writable(host, daemon):
    plist, _ = daemon
    plist.chmod(0o666)
    assert host.run("launchctl", "bootstrap", "system", plist).returncode == 5


def test_user_agent_in_gui_domain_runs_as_the_user(host):
    plist = host.home / "Library/LaunchAgents/test.agent.plist"
    out = write_plist(host, plist, "test.agent")
    os.chown(plist.parent, 1000, 1000)
    os.chown(plist, 1000, 1000)
    host.run("launchctl", "bootstrap", "gui/1000", plist, user=True, check=True)
    first = wait_until(lambda: records(out))[0]
    assert first["uid"] == 1000
    table = host.run("launchctl", "list", user=True).stdout.splitlines()
    assert table[0] == "PID\tStatus\tLabel"
    assert f"{first['pid']}\t0\ttest.agent" in table
    assert host.run("launchctl", "list", "test.agent", user=True).returncode == 0
    host.run("launchctl", "bootout", "gui/1000/test.agent", user=True, check=True)
    assert not alive(first["pid"])


def test_gui_domain_needs_a_console_login(host):
    host.config("mac.json", {"console_users": []})
    plist = host.home / "Library/LaunchAgents/test.agent.plist"
    write_plist(host, plist, "test.agent")
    os.chown(plist, 1000, 1000)
    proc = host.run("launchctl", "bootstrap", "gui/1000", plist, user=True)
    assert proc.returncode == 125
    assert "Domain does not support specified action" in proc.stderr
    # the user domain exists without a login
    host.run("launchctl", "bootstrap", "user/1000", plist, user=True, check=True)
    host.run("launchctl", "bootout", "user/1000/test.agent", user=True, check=True)


def test_system_domain_is_root_only(host, daemon):
    plist, _ = daemon
    proc = host.run("launchctl", "bootstrap", "system", plist, user=True)
    assert proc.returncode == 1
    assert "Operation not permitted" in proc.stderr
