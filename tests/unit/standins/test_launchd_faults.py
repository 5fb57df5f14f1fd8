"""The deploy's launchd and listener scripts, run against the launchctl and lsof stand-ins
with their fault knobs (issue 12 items 4 and 5, issue 19's listener proof)."""

from __future__ import annotations

import json
import os
import socket

from remote_ollama.operations.launchd import bootout_command, bootstrap_command
from remote_ollama.operations.ollama import OURS_SCRIPT
from tests.unit.standins.test_launchctl import records, wait_until, write_plist


def sh(host, script, user=False):
    return host.run("sh", "-c", script, user=user)


def agent(host, label="test.agent"):
    plist = host.home / f"Library/LaunchAgents/{label}.plist"
    out = write_plist(host, plist, label)
    for path in (plist.parent, plist):
        os.chown(path, 1000, 1000)
    return plist, out


def test_a_failed_bootout_is_reported_in_launchds_words_and_the_job_stays(host):
    plist, out = agent(host)
    host.run("launchctl", "bootstrap", "gui/1000", plist, user=True, check=True)
    wait_until(lambda: records(out))
    host.config("launchctl-faults.json", {"bootout_fail": ["test.agent"]})
    proc = sh(host, bootout_command("gui/1000", "test.agent"), user=True)
    assert proc.returncode == 1
    assert "Boot-out failed: 5: Input/output error" in proc.stderr
    assert "did not unload it" in proc.stderr
    assert host.run("launchctl", "print", "gui/1000/test.agent", user=True).returncode == 0
    host.config("launchctl-faults.json", {})
    assert sh(host, bootout_command("gui/1000", "test.agent"), user=True).returncode == 0
    gone = host.run("launchctl", "print", "gui/1000/test.agent", user=True)
    assert gone.returncode == 113 and 'Could not find service "test.agent"' in gone.stderr


def test_bootstrap_retries_error_37_once_then_loads(host):
    plist, out = agent(host)
    host.config("launchctl-faults.json", {"bootstrap_fail_once": {"test.agent": 37}})
    proc = sh(host, bootstrap_command("gui/1000", str(plist)), user=True)
    assert proc.returncode == 0, proc.stderr
    assert wait_until(lambda: records(out))
    used = json.loads(host.path("/var/lib/launchctl-standin/faults-used-1000.json").read_text())
    assert used == {"bootstrap": ["test.agent"]}  # the fault did fire, and was retried


def test_bootstrap_that_keeps_failing_surfaces_launchds_words(host):
    plist, _ = agent(host)
    host.config("mac.json", {"console_users": []})  # a headless Mac: no GUI domain
    proc = sh(host, bootstrap_command("gui/1000", str(plist)), user=True)
    assert proc.returncode == 1
    assert "Bootstrap failed: 125: Domain does not support specified action" in proc.stderr
    domain = host.run("launchctl", "print", "gui/1000", user=True)
    assert domain.returncode == 113
    assert "Could not find domain for user gui: 1000" in domain.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listener_plist(host, label, port):
    plist = host.home / f"Library/LaunchAgents/{label}.plist"
    write_plist(host, plist, label, ProgramArguments=[
        "/usr/bin/python3", "-c",
        f"import socket,time; s=socket.socket(); s.bind(('127.0.0.1',{port})); s.listen(); "
        "time.sleep(600)"])
    for path in (plist.parent, plist):
        os.chown(path, 1000, 1000)
    return plist


def test_lsof_names_the_listener_and_the_proof_accepts_only_our_job(host):
    port = free_port()
    ours = listener_plist(host, "test.ours", port)
    host.run("launchctl", "bootstrap", "gui/1000", ours, user=True, check=True)
    pid = int(wait_until(lambda: _pid(host, "gui/1000/test.ours")))
    pids = wait_until(lambda: host.run("lsof", "-nP", f"-iTCP:{port}", "-sTCP:LISTEN", "-t",
                                       user=True).stdout.split())
    assert pids == [str(pid)]
    proof = OURS_SCRIPT.format(target="gui/1000/test.ours", port=port, tries=2, log="L")
    assert sh(host, proof, user=True).returncode == 0
    host.run("launchctl", "bootout", "gui/1000/test.ours", user=True, check=True)
    # Someone else's server on the port: the proof fails and names it.
    other = listener_plist(host, "test.other", port)
    host.run("launchctl", "bootstrap", "gui/1000", other, user=True, check=True)
    host.run("launchctl", "bootstrap", "gui/1000", ours, user=True, check=True)
    stranger = int(wait_until(lambda: _pid(host, "gui/1000/test.other")))
    failed = sh(host, proof, user=True)
    assert failed.returncode == 1
    assert f"listener pid(s) {stranger}" in failed.stderr
    assert "Another server answers:" in failed.stderr and "runs = " in failed.stderr
    empty = host.run("lsof", "-nP", f"-iTCP:{free_port()}", "-sTCP:LISTEN", "-t")
    assert (empty.returncode, empty.stdout) == (1, "")


def _pid(host, target):
    out = host.run("launchctl", "print", target, user=True).stdout
    return next((line.split("=")[1].strip() for line in out.splitlines()
                 if line.strip().startswith("pid = ")), None)


def test_a_root_brew_services_daemon_runs_in_the_system_domain_and_anyone_reads_it(host):
    host.run("brew", "install", "ollama", user=True, check=True)
    started = host.run("brew", "services", "start", "ollama")  # as root: sudo brew services
    assert started.returncode == 0, started.stderr
    assert host.path("/Library/LaunchDaemons/homebrew.mxcl.ollama.plist").exists()
    printed = host.run("launchctl", "print", "system/homebrew.mxcl.ollama", user=True)
    assert printed.returncode == 0  # launchctl(1): anyone may read the system domain
    assert "state = running" in printed.stdout


def test_the_system_listing_survives_brew_services_enable_and_names_the_daemon(host):
    """`brew services start` runs `launchctl enable` before `bootstrap`; the stand-in once
    read the override store (disabled.json) as a job folder, so `launchctl print system`
    crashed for everyone after it, and the domain listing of OllamaJobs missed the root
    daemon (e2e test_a_root_brew_services_ollama_is_stopped_with_sudo, reverted dc30009)."""
    from remote_ollama.facts.launchd import OllamaJobs

    host.run("brew", "install", "ollama", user=True, check=True)
    assert host.run("brew", "services", "start", "ollama").returncode == 0  # as root
    listing = host.run("launchctl", "print", "system", user=True)
    assert listing.returncode == 0, listing.stderr
    assert "\thomebrew.mxcl.ollama\n" in listing.stdout  # services: pid, -, label
    assert '"homebrew.mxcl.ollama" => enabled' in listing.stdout  # disabled services
    command = OllamaJobs().command(exclude="com.remote-ollama.ollama")
    proc = host.run("sh", "-c", command, user=True, check=True)
    printed = [ln for ln in proc.stdout.split("\n") if ln.startswith("@@print system/")]
    assert printed == ["@@print system/homebrew.mxcl.ollama"]
    found = OllamaJobs().process(proc.stdout.split("\n"))
    assert found["jobs"]["system/homebrew.mxcl.ollama"]["state"] == "running"


def test_ollama_jobs_finds_a_loaded_job_through_the_domain_listing_only(host):
    """OllamaJobs prints each domain once and a label in detail only where the listing
    names it: the seed's agent is found in gui/<uid>, and nothing is printed for labels
    no domain lists."""
    from remote_ollama.facts.launchd import OllamaJobs

    plist, out = agent(host, label="com.ollama")
    host.run("launchctl", "bootstrap", "gui/1000", plist, user=True, check=True)
    wait_until(lambda: records(out))
    command = OllamaJobs().command(exclude="com.remote-ollama.ollama")
    proc = host.run("sh", "-c", command, user=True, check=True)
    lines = proc.stdout.split("\n")
    assert [ln for ln in lines if ln.startswith("@@print ")] == ["@@print gui/1000/com.ollama"]
    found = OllamaJobs().process(lines)
    assert set(found["jobs"]) == {"gui/1000/com.ollama"}
    assert str(plist) in found["plists"]
    sh(host, bootout_command("gui/1000", "com.ollama"), user=True)
