"""tailscale: ip and status follow tailscale.json, with the documented JSON keys."""

import json


def test_status_json_has_the_documented_keys(host):
    status = json.loads(host.run("tailscale", "status", "--json", check=True).stdout)
    assert status["BackendState"] == "Running"
    me = status["Self"]
    assert me["HostName"] == "ai-server"
    assert me["DNSName"] == "ai-server.example.ts.net."
    assert me["TailscaleIPs"][0] == "100.64.0.10"
    assert me["Tags"] == ["tag:ai-server"]
    assert me["Online"] is True and me["OS"] == "macOS"
    assert status["CurrentTailnet"]["MagicDNSSuffix"] == "example.ts.net"
    peers = list(status["Peer"].values())
    assert [p["HostName"] for p in peers] == ["ai-client-1"]
    assert "Tags" not in peers[0]  # absent when a node has none


def test_status_without_peers_has_this_node_only(host):
    status = json.loads(host.run("tailscale", "status", "--json", "--peers=false",
                                 check=True).stdout)  # fmt: skip
    assert status["Peer"] is None
    assert status["Self"]["HostName"] == "ai-server" and status["BackendState"] == "Running"


def test_ip_and_plain_status(host):
    assert host.run("tailscale", "ip", "-4").stdout == "100.64.0.10\n"
    assert host.run("tailscale", "ip", "-6").stdout.startswith("fd7a:115c:a1e0::")
    assert host.run("tailscale", "ip", "-4", "ai-client-1").stdout == "100.64.0.11\n"
    table = host.run("tailscale", "status", check=True).stdout
    assert "ai-server" in table and "ai-client-1" in table


def test_logged_out_node_has_no_ip(host):
    cfg = json.loads(host.path("/etc/standin/tailscale.json").read_text())
    host.config("tailscale.json", {**cfg, "state": "NeedsLogin"})
    proc = host.run("tailscale", "ip", "-4")
    assert proc.returncode == 1
    assert "no current Tailscale IPs; state: NeedsLogin" in proc.stderr
    status = json.loads(host.run("tailscale", "status", "--json").stdout)
    assert status["BackendState"] == "NeedsLogin"
    assert status["Self"]["TailscaleIPs"] == []
    assert host.run("tailscale", "status").returncode == 1


def test_stopped_daemon_fails_every_command_but_version(host):
    host.config("tailscale.json", {"state": "NoState"})
    assert host.run("tailscale", "status", "--json").returncode == 1
    assert host.run("tailscale", "version").stdout.startswith("1.76.6\n")
