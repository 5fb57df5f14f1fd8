"""A bare Mac to serving in one converge (issue 16), on the testbed's bare-Mac profile:
Homebrew from the installer stand-in on the mirror, Tailscale's formula and a root
tailscaled, `tailscale up` with an auth key that never shows, then the server as usual."""

from __future__ import annotations

import json
import secrets
import subprocess

import pytest

from tests.testbed.converge import MIRROR, REPO, pyinfra, write_settings_inventory

pytestmark = pytest.mark.e2e

SERVER = "ai-server"
STANDINS = REPO / "tests" / "testbed" / "standins"
ENV = "REMOTE_OLLAMA_TS_AUTHKEY"
KEY = f"tskey-auth-kE2E{secrets.token_hex(4)}CNTRL-{secrets.token_hex(16)}"
BAD_KEY = f"tskey-auth-kBAD{secrets.token_hex(4)}CNTRL-{secrets.token_hex(16)}"
CLIENT_KEY = f"tskey-auth-kCLI{secrets.token_hex(4)}CNTRL-{secrets.token_hex(16)}"
CLIENT = "ai-client-2"  # Debian, bash
TAILNET_URL = "http://100.64.0.1:11434"
PLIST = "/home/dev/Library/LaunchAgents/com.remote-ollama.ollama.plist"
UP_LOG = "/var/log/standin-tailscale-up.log"
# Where a leaked key could land on the host (the stand-in control plane's own key list,
# /etc/standin/tailscale-keys.json, is the one place it belongs).
HOST_PLACES = ("/home/dev", "/tmp", "/var/log", "/var/tmp", "/opt/homebrew/var",
               "/var/lib/launchctl-standin", "/Library", "/root")


def in_host(fleet, command: str, user: str = "dev") -> str:
    return fleet.exec(SERVER, command, user=user, check=True).stdout


def tailscale_cfg(fleet) -> dict:
    return json.loads((fleet.root(SERVER) / "etc/standin/tailscale.json").read_text())


def set_tailscale(fleet, **changes) -> None:
    path = fleet.root(SERVER) / "etc/standin/tailscale.json"
    path.write_text(json.dumps({**tailscale_cfg(fleet), **changes}))


@pytest.fixture(scope="module")
def bare(fleet, tmp_path_factory):
    """The server made a new Mac; the inventory opts in to the bootstrap. Afterwards the
    usual stand-ins are put back, for any test that runs after these."""
    root = fleet.root(SERVER)
    subprocess.run(["sh", str(STANDINS / "bare-mac.sh"), str(root),
                    f"{KEY}=tag:ai-server,tag:ollama"], check=True)
    inventory = write_settings_inventory(
        fleet.inventory, tmp_path_factory.mktemp("bare") / "bare.py",
        homebrew_install=True, tailscale_install=True,
        homebrew_install_url=f"{MIRROR}/homebrew/install.sh")
    outputs: list[str] = []
    yield inventory, outputs
    fleet.exec(SERVER, ["/usr/local/bin/launchctl", "bootout", "system/homebrew.mxcl.tailscale"],
               user="root")
    (root / "Library/LaunchDaemons/homebrew.mxcl.tailscale.plist").unlink(missing_ok=True)
    peers = ",".join(f"{h.name}={h.ip}" for h in fleet.hosts if h.name != SERVER)
    subprocess.run(["sh", str(STANDINS / "install-server.sh"), str(root), SERVER, "100.64.0.1"],
                   check=True, env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "STANDIN_USER": "dev",
                                    "STANDIN_PEERS": peers})
    set_tailscale(fleet, state="Running", tags=["tag:ai-server"])


def converge(bare, monkeypatch, key: str = KEY, **kwargs):
    inventory, outputs = bare
    monkeypatch.setenv(ENV, key)
    run = pyinfra(inventory, "deploys/server.py", **kwargs)
    outputs.extend([run.stdout, run.stderr])
    return run


def test_a_bare_server_serves_after_one_converge(bare, fleet, monkeypatch):
    assert not (fleet.root(SERVER) / "opt/homebrew").exists()
    run = converge(bare, monkeypatch, extra=("-vv",))
    assert run.returncode == 0, run.stderr[-4000:]
    changed = run.changed()
    for step in ("Install Homebrew (unattended; Command Line Tools too)",
                 "Install Tailscale (Homebrew formula `tailscale`)",
                 "Start tailscaled at boot (sudo brew services)",
                 "Join the tailnet as tag:ai-server", "Converge the rest on the fresh host"):
        assert any(name.endswith(step) for name in changed), (step, changed)
    status = json.loads(in_host(fleet, "/opt/homebrew/bin/tailscale status --json --peers=false"))
    assert status["BackendState"] == "Running" and status["Self"]["Tags"] == ["tag:ai-server"]
    assert '"version"' in fleet.exec("ai-client-1", f"curl -s --max-time 5 {TAILNET_URL}/api/version").stdout
    assert "<string>100.64.0.1:11434</string>" in in_host(fleet, f"cat {PLIST}")
    assert in_host(fleet, "ls -A ~/.cache/remote-ollama/secret") == ""  # the key file is gone
    assert in_host(fleet, "stat -c %a ~/.cache/remote-ollama/secret").strip() == "700"


def test_the_second_run_changes_nothing(bare, monkeypatch):
    run = converge(bare, monkeypatch)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.changed() == {}


def test_changing_the_tag_re_ups_once(bare, fleet, monkeypatch):
    run = converge(bare, monkeypatch, data={"tailscale_server_tag": "tag:ollama"})
    assert run.returncode == 0, run.stderr[-3000:]
    joins = [n.split(" | ")[-1] for n in run.changed() if "Join the tailnet" in n]
    assert joins == ["Join the tailnet as tag:ollama"]
    assert tailscale_cfg(fleet)["tags"] == ["tag:ollama"]
    again = converge(bare, monkeypatch, data={"tailscale_server_tag": "tag:ollama"})
    assert again.returncode == 0 and not [n for n in again.changed() if "Join" in n]
    back = converge(bare, monkeypatch)  # and back, for the tests after this one
    assert back.returncode == 0 and tailscale_cfg(fleet)["tags"] == ["tag:ai-server"]


def test_a_wrong_key_fails_clearly_and_changes_nothing_else(bare, fleet, monkeypatch):
    set_tailscale(fleet, state="NeedsLogin")
    plist_before = in_host(fleet, f"cat {PLIST}")
    dry = converge(bare, monkeypatch, dry=True)  # reads the key, shows the plan
    assert dry.returncode == 0, dry.stderr[-3000:]
    # (-y leaves pyinfra's hosts_with_change empty unless an op's change was asked: names)
    planned = [op["name"] for op in (dry.results or {}).get("plan", [])]
    assert any(n.endswith("Join the tailnet as tag:ai-server") for n in planned), planned
    run = converge(bare, monkeypatch, key=BAD_KEY)
    assert run.returncode != 0
    assert "invalid key: API key does not exist" in run.stderr
    assert "tailscale up was refused" in run.stderr
    assert tailscale_cfg(fleet)["state"] == "NeedsLogin"
    assert in_host(fleet, f"cat {PLIST}") == plist_before
    assert in_host(fleet, "ls -A ~/.cache/remote-ollama/secret") == ""
    fixed = converge(bare, monkeypatch)
    assert fixed.returncode == 0, fixed.stderr[-3000:]
    assert tailscale_cfg(fleet)["state"] == "Running"


def test_a_bare_debian_client_joins_and_converges_in_one_run(bare, fleet, monkeypatch):
    root = fleet.root(CLIENT)
    subprocess.run(["sh", str(STANDINS / "bare-mac.sh"), str(root), f"{CLIENT_KEY}=tag:ai-client"],
                   check=True)
    fingerprint = (fleet.state / "mirror/tailscale-apt/fingerprint.txt").read_text().strip()
    inventory = write_settings_inventory(
        fleet.inventory, bare[0].parent / "client.py", tailscale_install=True,
        tailscale_apt_url=f"{MIRROR}/tailscale-apt", tailscale_apt_key_fingerprint=fingerprint)
    try:
        monkeypatch.setenv(ENV, CLIENT_KEY)
        run = pyinfra(inventory, "deploys/client.py", extra=("--limit", CLIENT))
        bare[1].extend([run.stdout, run.stderr])
        assert run.returncode == 0, run.stderr[-4000:]
        changed = [n.split(" | ")[-1] for n in run.changed()]
        assert "Install Tailscale (Tailscale's signed apt repository)" in changed
        assert "Join the tailnet as tag:ai-client" in changed
        status = json.loads(fleet.exec(CLIENT, "tailscale status --json --peers=false",
                                       check=True).stdout)
        assert status["BackendState"] == "Running" and status["Self"]["Tags"] == ["tag:ai-client"]
        assert "OLLAMA_API_BASE" in fleet.exec(CLIENT, "cat ~/.ai-client/env", check=True).stdout
        again = pyinfra(inventory, "deploys/client.py", extra=("--limit", CLIENT))
        bare[1].extend([again.stdout, again.stderr])
        assert again.returncode == 0 and again.changed() == {}
        grep = fleet.exec(CLIENT, ["grep", "-rlF", CLIENT_KEY, *HOST_PLACES], user="root")
        assert grep.stdout == ""
    finally:
        peers = ",".join(f"{h.name}={h.ip}" for h in fleet.hosts if h.name != CLIENT)
        subprocess.run(["sh", str(STANDINS / "install-client.sh"), str(root), CLIENT,
                        fleet.ip(CLIENT)], check=True,
                       env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "STANDIN_USER": "dev",
                            "STANDIN_PEERS": peers})


def test_the_key_appears_in_no_output_log_or_argv(bare, fleet):
    _, outputs = bare
    assert outputs, "runs above captured their output"
    for key in (KEY, BAD_KEY, CLIENT_KEY):
        assert not [o for o in outputs if key in o]
    up_log = (fleet.root(SERVER) / UP_LOG.lstrip("/")).read_text()
    assert "--auth-key=file:" in up_log and KEY not in up_log and BAD_KEY not in up_log
    for key in (KEY, BAD_KEY):
        found = fleet.exec(SERVER, ["grep", "-rlF", key, *HOST_PLACES], user="root")
        assert found.stdout == "", found.stdout
