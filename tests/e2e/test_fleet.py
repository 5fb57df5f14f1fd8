"""The testbed itself: real SSH to every host, names, the normal user, the LAN boundary,
an idempotent `up`, a `down` that leaves nothing, and the offline wheelhouse."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import paramiko
import pytest

pytestmark = pytest.mark.e2e

FLEET_CLI = Path(__file__).resolve().parents[1] / "testbed" / "fleet"
WHEELS = "http://100.64.0.254:8080/wheels/"
NPM = "http://100.64.0.254:8080/npm"


def ssh(fleet, host: str, command: str) -> tuple[int, str]:
    """Run `command` on `host` over real SSH as the inventory's user, with strict host keys."""
    client = paramiko.SSHClient()
    client.load_host_keys(str(fleet.known_hosts))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    info = fleet.info()
    client.connect(fleet.ip(host), port=22, username=info["ssh_user"],
                   key_filename=info["ssh_key"], timeout=10, allow_agent=False,
                   look_for_keys=False)  # fmt: skip
    try:
        _, stdout, _ = client.exec_command(command, timeout=30)
        out = stdout.read().decode()
        return stdout.channel.recv_exit_status(), out
    finally:
        client.close()


def test_every_host_answers_real_ssh_with_its_own_name(fleet):
    names = [h.name for h in fleet.hosts]
    assert names == ["ai-server", "ai-client-1", "ai-client-2"]
    for name in names:
        assert ssh(fleet, name, "hostname") == (0, name + "\n")


def test_hosts_resolve_each_other_by_name(fleet):
    for host in fleet.hosts:
        for peer in fleet.hosts:
            rc, out = ssh(fleet, host.name, f"getent hosts {peer.name}")
            assert rc == 0 and out.split()[0] == peer.ip, (host.name, peer.name, out)
    rc, out = ssh(fleet, "ai-client-1", "ping -c1 -W2 ai-server >/dev/null && echo up")
    assert (rc, out) == (0, "up\n")


def test_normal_user_with_passwordless_sudo_and_expected_shell(fleet):
    for host in fleet.hosts:
        rc, out = ssh(fleet, host.name, "id -un; id -u; sudo -n id -u; getent passwd dev")
        user, uid, sudo_uid, passwd = out.splitlines()
        assert (rc, user, uid, sudo_uid) == (0, "dev", "1000", "0")
        assert passwd.endswith(":" + host.shell)
    assert fleet.hosts[1].shell == "/usr/bin/zsh" and fleet.hosts[2].shell == "/bin/bash"


def test_hosts_have_working_proc_dev_tmp_and_ptys(fleet):
    script = ("test -r /proc/self/status && test -c /dev/null && test -d /dev/shm && "
              "echo x > /tmp/probe && rm /tmp/probe && test -d /sys/class/net && echo ok")  # fmt: skip
    for host in fleet.hosts:
        assert ssh(fleet, host.name, script) == (0, "ok\n")
    assert fleet.exec("ai-server", "script -qc tty /dev/null").stdout.startswith("/dev/pts/")


def test_outsider_reaches_the_lan_but_not_the_tailnet(fleet):
    lan = fleet.exec("outsider", ["nc", "-z", "-w", "2", "100.64.1.1", "22"])
    assert lan.returncode == 0, "the LAN link itself must work for the next checks to mean much"
    for ip in ("100.64.0.1", "100.64.0.11"):
        tailnet = fleet.exec("outsider", ["nc", "-z", "-w", "2", ip, "22"])
        assert tailnet.returncode != 0, f"outsider reached tailnet address {ip}"


def test_up_twice_keeps_hosts_and_their_state(fleet):
    marker = "/var/tmp/testbed-up-twice"
    fleet.exec("ai-client-2", f"echo kept > {marker}", check=True)
    before = {row["host"]: row["sshd_pid"] for row in fleet.status()}
    fleet.up(2)
    after = {row["host"]: row["sshd_pid"] for row in fleet.status()}
    assert after == before and all(after.values())
    assert ssh(fleet, "ai-client-2", f"cat {marker} && rm {marker}") == (0, "kept\n")


def test_up_repairs_a_stopped_sshd(fleet):
    assert fleet.stop_sshd("ai-client-1")
    assert not fleet.status()[1]["ssh"]
    fleet.up(2)
    assert ssh(fleet, "ai-client-1", "echo back") == (0, "back\n")


def test_usage_finds_each_hosts_sshd_mounts_and_the_mirror(fleet):
    found = fleet.usage()
    rows = {row["host"]: row for row in found["hosts"]}
    assert set(rows) == {host.name for host in fleet.hosts}
    for name, row in rows.items():
        sshd = fleet.status()[[h.name for h in fleet.hosts].index(name)]["sshd_pid"]
        assert sshd and row["processes"] >= 1, name  # at least its listening sshd
        assert row["pss_kib"] > 0 and row["rss_kib"] >= row["pss_kib"] and row["fds"] > 0
        # the overlay root, /proc, /sys, /dev, /dev/pts, /dev/shm, /tmp, /run, the UTS pin
        assert row["mounts"] == 9, name
        assert row["upper_kib"] > 0  # host keys, /etc/hostname, authorized_keys at least
    assert found["summary"]["total"]["hosts"] == len(fleet.hosts)
    assert found["mirror"]["processes"] == 1 and found["mirror"]["pss_kib"] > 0
    assert found["machine"]["host_mounts"] >= 8 * len(fleet.hosts)
    out = subprocess.run([sys.executable, str(FLEET_CLI), "usage", "--no-disk"],
                         capture_output=True, text=True, timeout=60, check=True).stdout  # fmt: skip
    assert re.search(r"^client mean \(2\): \d", out, re.M) and "mirror server: 1 process" in out


def test_wheelhouse_installs_real_aider_offline(fleet):
    # Everything under /tmp (a tmpfs of the host), so the client stays as deploys expect.
    script = f"""set -e
        T=$(mktemp -d)
        export UV_TOOL_DIR=$T/tools UV_TOOL_BIN_DIR=$T/bin UV_CACHE_DIR=$T/cache
        python3 -m venv $T/boot
        $T/boot/bin/pip install -q --no-index --trusted-host 100.64.0.254 --find-links {WHEELS} uv
        $T/boot/bin/uv tool install -q --python 3.11 --no-index --find-links {WHEELS} \\
            aider-chat==0.86.2
        $T/bin/aider --version
        rm -rf $T"""
    result = fleet.exec("ai-client-2", script, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "aider 0.86.2"


CHECK_NPM_PACKAGE = """set -e
T=$(mktemp -d)
curl -fsS NPM/@anthropic-ai%2fclaude-code-linux-x64 > $T/meta.json
url=$(python3 -c 'import json, sys
doc = json.load(open(sys.argv[1]))
print(doc["versions"][doc["dist-tags"]["latest"]]["dist"]["tarball"])' $T/meta.json)
curl -fsS -o $T/pkg.tgz "$url"
python3 -c 'import base64, hashlib, json, sys
doc = json.load(open(sys.argv[1]))
want = doc["versions"][doc["dist-tags"]["latest"]]["dist"]["integrity"]
digest = hashlib.sha512(open(sys.argv[2], "rb").read()).digest()
print("integrity ok" if "sha512-" + base64.b64encode(digest).decode() == want else "bad")
' $T/meta.json $T/pkg.tgz
tar -xzf $T/pkg.tgz -C $T
HOME=$T $T/package/claude --version
rm -rf $T
"""


def test_npm_mirror_serves_claude_code_with_a_matching_integrity(fleet):
    # As a client would: metadata (scoped name %2f-encoded, as npm sends it), then the
    # tarball it names, checked against its sha512 integrity; the native binary runs.
    result = fleet.exec("ai-client-1", CHECK_NPM_PACKAGE.replace("NPM", NPM), timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.splitlines()[-2:] == ["integrity ok", "2.1.332 (Claude Code)"]


@pytest.mark.parametrize("version", ["0.13.5", "0.14.2", "0.15.0"])
def test_ollama_archives_hold_the_standin_and_its_version(fleet, version):
    url = f"http://100.64.0.254:8080/ollama/v{version}/ollama-darwin.tgz"
    script = f"curl -fsS {url} | tar -xzO ollama.version; curl -fsS {url} | tar -tz | sort"
    result = fleet.exec("ai-server", script)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [version, "ollama", "ollama.version", "ollama_standin.py"]


def _leftovers() -> list[str]:
    found = []
    netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    found += [f"netns {line.split()[0]}" for line in netns.splitlines() if line.startswith("ro-")]
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    found += [f"link {m}" for m in re.findall(r"^\d+: (ro-[^:@]+)", links, re.M)]
    mounts = Path("/proc/mounts").read_text().splitlines()
    found += [f"mount {m.split()[1]}" for m in mounts
              if re.search(r"/hosts/ai-|/run/ro-testbed", m.split()[1])]  # fmt: skip
    for proc in Path("/proc").iterdir():
        try:
            root = (proc / "root").readlink()
            cmd = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if "/hosts/ai-" in str(root) or b"ro-testbed-mirror" in cmd:
            found.append(f"process {proc.name} {cmd[:60]!r}")
    return found


@pytest.mark.fleet_destructive
def test_down_leaves_nothing_even_after_an_interrupted_up(fleet):
    assert fleet.down() == [] and _leftovers() == []
    # Kill an `up` part-way (the fleet cli, with one more client than before), then down.
    up = subprocess.Popen([sys.executable, str(FLEET_CLI), "--state-dir", str(fleet.state),
                           "up", "--clients", "3"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and "netns ro-ai-client-1" not in _leftovers():
        time.sleep(0.05)
    up.send_signal(signal.SIGKILL)
    up.wait()
    assert _leftovers(), "the interrupted up should have left something to clean"
    assert fleet.down() == []
    assert _leftovers() == []
