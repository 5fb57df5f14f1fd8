"""tailscale: ip and status follow tailscale.json, with the documented JSON keys."""

import json
import subprocess


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


def test_status_json_ends_without_a_newline_like_the_real_cli(host):
    """cmd/tailscale/cli/status.go prints the JSON with printf("%s"): the last byte is }."""
    out = host.run("tailscale", "status", "--json", "--peers=false", check=True).stdout
    assert out.endswith("\n}") and not out.endswith("\n")
    assert json.loads(out)["BackendState"] == "Running"


def test_status_json_writes_utf8_and_escapes_html_like_go(host):
    cfg = json.loads(host.path("/etc/standin/tailscale.json").read_text())
    host.config("tailscale.json", {**cfg, "hostname": "Borja\u2019s <Mac> & co"})
    proc = subprocess.run([host.path("/usr/local/bin/tailscale"), "status", "--json"],
                          env=host.env(), capture_output=True, check=True)
    assert "Borja\u2019s".encode() in proc.stdout  # raw UTF-8, not \u2019
    assert b"\\u003cMac\\u003e \\u0026 co" in proc.stdout
    assert json.loads(proc.stdout)["Self"]["HostName"] == "Borja\u2019s <Mac> & co"
    assert "HaveNodeKey" in json.loads(proc.stdout)


def test_logged_out_status_has_no_node_key_field(host):
    cfg = json.loads(host.path("/etc/standin/tailscale.json").read_text())
    host.config("tailscale.json", {**cfg, "state": "NeedsLogin"})
    assert "HaveNodeKey" not in json.loads(host.run("tailscale", "status", "--json").stdout)


def test_unknown_peer_and_stopped_daemon_errors_are_the_clis(host):
    proc = host.run("tailscale", "ip", "-4", "nope")
    assert proc.returncode == 1
    assert proc.stderr.startswith('error looking up IP of "nope": ')
    host.config("tailscale.json", {"state": "NoState", "os": "macOS"})
    proc = host.run("tailscale", "status", "--json")
    assert proc.stderr == "failed to connect to local Tailscale service; is Tailscale running?\n"
