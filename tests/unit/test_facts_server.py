"""Server facts: recorded command output in, parsed value out (incl. malformed output)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from remote_ollama.facts.files import ABSENT, EOF_MARK, FileDigest, ManagedFile, PathExists
from remote_ollama.facts.homebrew import BrewCellar
from remote_ollama.facts.launchd import LaunchdJob
from remote_ollama.facts.ollama import OllamaApi, OllamaApiOnTailnet
from remote_ollama.facts.power import PmsetSettings
from remote_ollama.facts.system import (
    Architecture,
    MacOSVersion,
    MacSystem,
    ProcessRunning,
    UserIdentity,
)
from remote_ollama.facts.tailscale import TailscaleStatus

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "macos"


def lines(name: str) -> list[str]:
    return (FIXTURES / name).read_text().splitlines()


CASES = [
    # (fact, recorded output, expected value)
    (MacOSVersion, lines("sw_vers-15.txt"),
     {"ProductName": "macOS", "ProductVersion": "15.1", "BuildVersion": "24B83"}),
    (MacOSVersion, lines("sw_vers-13.txt"),
     {"ProductName": "macOS", "ProductVersion": "13.6.1", "BuildVersion": "22G313"}),
    (MacOSVersion, ["sw_vers: command garbled"], None),
    (MacOSVersion, [], None),
    (Architecture, ["arm64"], "arm64"),
    (Architecture, [""], None),
    (MacSystem, ["hw.memsize: 137438953472", "hw.optional.arm64: 1",
                 "kern.osproductversion: 15.1"],
     {"version": "15.1", "arch": "arm64", "memsize": 137438953472}),
    (MacSystem, ["hw.memsize: 68719476736", "kern.osproductversion: 14.7.1"],  # Intel
     {"version": "14.7.1", "arch": "x86_64", "memsize": 68719476736}),
    (MacSystem, [], None),  # Linux's sysctl knows none of the names
    (UserIdentity, ["uid=501", "user=admin", "home=/Users/admin", "shell=/bin/zsh"],
     {"uid": 501, "user": "admin", "home": "/Users/admin", "shell": "/bin/zsh"}),
    (UserIdentity, ["uid=", "user=", "home="], {}),
    (UserIdentity, ["uid=1000", "user=dev", "home=/home/dev",  # Linux: getent's line
                    "passwd=dev:x:1000:1000:Dev,,,:/home/dev:/usr/bin/zsh"],
     {"uid": 1000, "user": "dev", "home": "/home/dev", "shell": "/usr/bin/zsh"}),
    (UserIdentity, ["uid=1000", "user=dev", "home=/home/dev", "passwd="],
     {"uid": 1000, "user": "dev", "home": "/home/dev", "shell": ""}),
    (BrewCellar, ["brew", "formula /opt/homebrew/Cellar/ollama/0.14.2",
                  "formula /opt/homebrew/Cellar/python@3.12/3.12.7",
                  "cask /opt/homebrew/Caskroom/tailscale-app/1.76.1"],
     {"formulae": {"ollama": ["0.14.2"], "python@3.12": ["3.12.7"]},
      "casks": {"tailscale-app": ["1.76.1"]}}),
    (BrewCellar, [], None),
    (BrewCellar, ["brew", "formula garbage"], {"formulae": {}, "casks": {}}),
    (LaunchdJob, lines("launchctl-print-running.txt"),
     {"loaded": True, "state": "running", "pid": 4242, "runs": 1,
      "program": "/opt/homebrew/opt/ollama/bin/ollama", "last_exit": "(never exited)",
      "arguments": ["/opt/homebrew/opt/ollama/bin/ollama", "serve"],
      "path": "/Users/admin/Library/LaunchAgents/com.remote-ollama.ollama.plist"}),
    (LaunchdJob, lines("launchctl-print-absent.txt"), {"loaded": False}),
    (LaunchdJob, ["garbage without exit code"], {"loaded": False}),
    (PmsetSettings, lines("pmset-g-default.txt"),
     {"standby": 0, "Sleep On Power Button": 1, "powernap": 1, "networkoversleep": 0,
      "disksleep": 10, "sleep": 1,
      "hibernatemode": 0, "ttyskeepawake": 1, "displaysleep": 10, "tcpkeepalive": 1,
      "autorestart": 0, "womp": 1}),
    (PmsetSettings, ["pmset: garbled"], {}),
    (TailscaleStatus, lines("tailscale-status-running.json"),
     {"installed": True, "state": "Running", "ipv4": "100.101.102.103",
      "dns_name": "ai-server.tail1234.ts.net", "hostname": "ai-server"}),
    (TailscaleStatus, lines("tailscale-status-needslogin.json"),
     {"installed": True, "state": "NeedsLogin", "ipv4": None, "dns_name": None,
      "hostname": "ai-server"}),
    (TailscaleStatus, ["@@absent"], {"installed": False}),
    (TailscaleStatus, ["{not json"], {"installed": True, "state": None, "ipv4": None}),
    (OllamaApi,
     [json.dumps({"version": "0.14.2"}),
      json.dumps({"models": [{"name": "llama3:latest", "digest": "abc"}]}),
      json.dumps({"models": [{"name": "llama3:latest"}]})],
     {"version": "0.14.2", "models": {"llama3:latest": "abc"}, "loaded": ["llama3:latest"]}),
    (OllamaApi, [json.dumps({"version": "0.14.2"}), "<html>proxy error</html>", "{}"], None),
    (OllamaApi, [json.dumps({"version": "0.14.2"})], None),
    (OllamaApiOnTailnet,
     [*lines("tailscale-status-running.json"), "@@address 100.64.0.1",
      json.dumps({"version": "0.14.2"}), json.dumps({"models": []}), json.dumps({"models": []})],
     {"tailscale": {"installed": True, "state": "Running", "ipv4": "100.101.102.103",
                    "dns_name": "ai-server.tail1234.ts.net", "hostname": "ai-server"},
      "address": "100.64.0.1", "api": {"version": "0.14.2", "models": {}, "loaded": []}}),
    (OllamaApiOnTailnet, ["@@absent", "@@address 100.64.0.1"],
     {"tailscale": {"installed": False}, "address": "100.64.0.1", "api": None}),
    (OllamaApiOnTailnet, ["@@absent", "@@address "],
     {"tailscale": {"installed": False}, "address": None, "api": None}),
    (OllamaApiOnTailnet, [], {"tailscale": {"installed": True, "state": None, "ipv4": None},
                              "address": None, "api": None}),
    (ManagedFile, ["600 1", "ZXhwb3J0IEE9MQoKZXhwb3J0IEI9Mgo=", EOF_MARK],  # base64
     {"mode": "600", "links": 1, "content": "export A=1\n\nexport B=2\n"}),
    (ManagedFile, ["644 1", "bm8gbmV3bGluZQ==", EOF_MARK],
     {"mode": "644", "links": 1, "content": "no newline"}),
    (ManagedFile, ["644 1", EOF_MARK], {"mode": "644", "links": 1, "content": ""}),
    (ManagedFile, ["644 1", "dHJ1bmNhdGVk"], None),
    (ManagedFile, [ABSENT], None),
    (ManagedFile, ["stat: cannot stat"], None),
    (FileDigest, ["755", "a" * 64 + "  /p/contract.py"], {"mode": "755", "sha256": "a" * 64}),
    (FileDigest, [ABSENT], None),
    (FileDigest, ["755", "sha256sum: /p: Permission denied"], None),
    (FileDigest, ["755"], None),
    (PathExists, ["yes"], True),
    (PathExists, ["no"], False),
    (ProcessRunning, ["yes"], True),
    (ProcessRunning, [], False),
]


@pytest.mark.parametrize(("fact", "output", "expected"), CASES,
                         ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)])
def test_fact_parses_recorded_output(fact, output, expected):
    assert fact().process(output) == expected


def test_launchd_target_is_validated_before_it_reaches_a_shell():
    with pytest.raises(ValueError, match="not a launchd service target"):
        LaunchdJob().command(target="gui/501/x; rm -rf ~")
    assert 'launchctl print "gui/$(id -u)/com.a.b"' in LaunchdJob().command(
        target="gui/$(id -u)/com.a.b"
    )


def test_managed_file_command_quotes_the_path():
    assert "'/tmp/a b'" in ManagedFile().command(path="/tmp/a b")


def test_user_identity_in_a_real_shell_matches_pwd():
    import os
    import pwd
    import subprocess

    from remote_ollama.facts.system import UserIdentity

    out = subprocess.run(["sh", "-c", UserIdentity().command()], capture_output=True,
                         text=True, check=True).stdout.splitlines()
    me = pwd.getpwuid(os.getuid())
    assert UserIdentity().process(out) == {"uid": me.pw_uid, "user": me.pw_name,
                                           "home": os.environ["HOME"], "shell": me.pw_shell}


def test_ollama_api_reads_a_real_server_with_one_curl(served):
    import subprocess

    before = len(served.requests())
    out = subprocess.run(["sh", "-c", OllamaApi().command(served.url)], capture_output=True,
                         text=True, check=True).stdout.splitlines()
    assert [r["path"] for r in served.requests()[before:]] == [
        "/api/version", "/api/tags", "/api/ps"]
    found = OllamaApi().process(out)
    assert found["version"] == served.json("GET", "/api/version")[1]["version"]
    assert set(found["models"]) == {m["name"] for m in served.json("GET", "/api/tags")[1]["models"]}


def test_ollama_api_that_fails_midway_reads_as_unknown(served):
    import subprocess

    served.faults(http_500=["/api/tags"])
    out = subprocess.run(["sh", "-c", OllamaApi().command(served.url)], capture_output=True,
                         text=True).stdout.splitlines()
    assert OllamaApi().process(out) is None


def test_api_on_tailnet_takes_the_address_from_the_one_status_read(tmp_path):
    """Fake `tailscale` (the recorded JSON) and `curl` (prints its URLs) on PATH: the shell
    finds TailscaleIPs[0] with builtins and asks the API there; no `tailscale ip` run."""
    import subprocess

    status = "\n".join(lines("tailscale-status-running.json"))
    (tmp_path / "status.json").write_text(status + "\n")
    (tmp_path / "tailscale").write_text(
        f'#!/bin/sh\necho "$*" >> {tmp_path}/calls\ncat {tmp_path}/status.json\n')
    (tmp_path / "curl").write_text('#!/bin/sh\nfor a; do case $a in http*) echo "$a";; esac; done\n')
    for tool in ("tailscale", "curl"):
        (tmp_path / tool).chmod(0o755)
    out = subprocess.run(["sh", "-c", OllamaApiOnTailnet().command(11434)], capture_output=True,
                         text=True, env={"PATH": f"{tmp_path}:/usr/bin:/bin"}).stdout
    found = OllamaApiOnTailnet().process(out.splitlines())
    assert found["address"] == found["tailscale"]["ipv4"] == "100.101.102.103"
    assert out.splitlines()[-3:] == [f"http://100.101.102.103:11434/api/{p}"
                                     for p in ("version", "tags", "ps")]
    assert (tmp_path / "calls").read_text() == "status --json --peers=false\n"


def test_user_identity_takes_the_login_shell_from_sshds_shell_without_a_program(tmp_path):
    """sshd sets SHELL to the login shell: no dscl (slow on a Mac) or getent runs; without
    SHELL, getent's passwd line still answers (the PATH here has no dscl)."""
    import subprocess

    log = tmp_path / "calls"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool, body in {"id": 'case "$1" in -u) echo 501;; *) echo me;; esac',
                       "getent": "echo 'me:x:501:20::/Users/me:/bin/bash'"}.items():
        (bin_dir / tool).write_text(f'#!/bin/sh\necho "{tool} $*" >> {log}\n{body}\n')
        (bin_dir / tool).chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "USER": "me", "HOME": "/Users/me"}

    def identity(**extra):
        log.write_text("")
        out = subprocess.run(["sh", "-c", UserIdentity().command()], env={**env, **extra},
                             capture_output=True, text=True, check=True).stdout  # fmt: skip
        return UserIdentity().process(out.splitlines()), [ln.split()[0] for ln in log.read_text().splitlines()]

    value, calls = identity(SHELL="/bin/zsh")
    assert value == {"uid": 501, "user": "me", "home": "/Users/me", "shell": "/bin/zsh"}
    assert calls == ["id"]  # id -u only
    value, calls = identity()
    assert value["shell"] == "/bin/bash" and calls == ["id", "getent"]
