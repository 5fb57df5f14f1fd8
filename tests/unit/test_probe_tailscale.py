"""The deploys' real probes, run in a local shell with the Tailscale stand-in on PATH:
the CLI prints its status JSON without a final newline, as the real one does, and the
server and client must still read Tailscale as Running."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

import remote_ollama.client as client
import remote_ollama.server as server
from remote_ollama import preflight, probe
from remote_ollama.settings import Settings

STANDIN = Path(__file__).resolve().parents[1] / "testbed" / "standins" / "tailscale"


class ShellHost:
    """A host whose probe runs in a local ``sh``, output read as pyinfra reads it."""

    name = "local-mac"

    def __init__(self, env: dict):
        self.env = env

    def get_fact(self, cls, script):
        assert cls is probe.Probe
        out = subprocess.run(["sh", "-c", script], capture_output=True, env=self.env,
                             timeout=60).stdout
        return probe.Probe().process([line.decode("utf-8") for line in out.splitlines()])


@pytest.fixture
def shell_host(tmp_path, monkeypatch):
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "tailscale").symlink_to(STANDIN)
    curl = tmp_path / "bin" / "curl"  # no server answers, and no traffic leaves the test
    curl.write_text(  # what curl does when nothing listens: its -w with code 000, exit 7
        "#!/bin/sh\nw=; while [ $# -gt 0 ]; do [ \"$1\" = -w ] && w=$2; shift; done\n"
        "printf '%s' \"$w\" | sed 's/%{http_code}/000/g; s/\\\\n/\\n/g'\n"
        "echo 'curl: (7) Failed to connect' >&2; exit 7\n")
    curl.chmod(0o755)
    (tmp_path / "etc" / "standin").mkdir(parents=True)
    (tmp_path / "etc" / "standin" / "tailscale.json").write_text(json.dumps(
        {"state": "Running", "hostname": "Borja\u2019s MacBook Air", "ip": "100.64.0.10"}))
    env = {"PATH": f"{tmp_path}/bin:/usr/bin:/bin", "HOME": str(tmp_path),
           "STANDIN_ROOT": str(tmp_path), "LANG": "C.UTF-8"}
    monkeypatch.setattr(probe, "_stage_cache", lambda h, cache={}: cache.clear() or cache)
    host = ShellHost(env)
    monkeypatch.setattr(server, "host", host)
    monkeypatch.setattr(client, "host", host)
    return host


def test_the_stand_in_prints_no_final_newline(shell_host):
    out = subprocess.run(["tailscale", "status", "--json"], env=shell_host.env,
                         capture_output=True, check=True).stdout
    assert out.endswith(b"}")


@pytest.mark.parametrize("bind", ["loopback", "all"])
def test_a_server_not_bound_to_tailscale_sees_it_running(shell_host, bind):
    settings = Settings(ollama_bind=bind, ollama_allow_lan_exposure=bind == "all")
    seen = server._probe(settings)
    assert seen["tailscale"]["state"] == "Running"
    assert seen["tailscale"]["hostname"] == "Borja\u2019s MacBook Air"
    preflight.require_tailscale("local-mac", settings, seen["tailscale"])  # no DeployError


def test_a_server_bound_to_tailscale_reads_its_address(shell_host):
    seen = server._probe(Settings(ollama_bind="tailscale", ollama_port=11434))
    assert seen["tailscale"]["ipv4"] == "100.64.0.10"
    assert seen["api_tailnet"]["address"] == "100.64.0.10"


@pytest.mark.parametrize("reachability_check", [True, False])
def test_a_client_keeps_its_tailscale_diagnosis(shell_host, reachability_check):
    seen = client._probe(Settings(reachability_check=reachability_check),
                         "http://127.0.0.1:11434")  # curl: no answer
    assert seen["tailscale"]["state"] == "Running"
    assert seen["tailscale"]["ipv4"] == "100.64.0.10"


def test_the_probe_needs_no_more_than_one_command(shell_host, monkeypatch):
    calls = []
    real = shell_host.get_fact
    monkeypatch.setattr(shell_host, "get_fact", lambda cls, script: calls.append(1) or real(
        cls, script))
    server._probe(Settings(ollama_bind="loopback", ollama_port=11434))
    assert len(calls) == 1


@pytest.mark.parametrize("tags", ['"Tags": null,', '', '"Tags": ["tag:ai-server"],'])
def test_status_of_a_mac_app_node_parses_with_or_without_tags(tags):
    from remote_ollama.facts.tailscale import TailscaleStatus

    text = ('{\n  "BackendState": "Running",\n  "Self": {\n    "HostName": "Borja\u2019s '
            'MacBook Air",\n    "DNSName": "borjas-macbook-air.tail1234.ts.net.",\n    '
            f'{tags}\n    "TailscaleIPs": [\n      "100.64.0.12",\n      "fd7a:115c:a1e0::c"\n'
            '    ]\n  }\n}')  # printf("%s"): no final newline
    assert TailscaleStatus().process(text.split("\n")) == {
        "installed": True, "state": "Running", "ipv4": "100.64.0.12",
        "dns_name": "borjas-macbook-air.tail1234.ts.net", "hostname": "Borja\u2019s MacBook Air"}


def test_logged_out_status_with_null_addresses_reads_as_no_address():
    from remote_ollama.facts.tailscale import TailscaleStatus

    status = TailscaleStatus().process(['{"BackendState": "NeedsLogin", "TailscaleIPs": null,',
                                        '"Self": {"TailscaleIPs": null, "DNSName": ""}}'])
    assert status["state"] == "NeedsLogin" and status["ipv4"] is None
    assert status["dns_name"] is None
