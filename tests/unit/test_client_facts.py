"""Client facts: recorded output in, parsed value out (incl. malformed output), and each
fact's real command run by sh against real files, so its shell and its parser agree."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from remote_ollama.facts.client import (
    AiderInstall,
    CommandPath,
    DirectoryEntries,
    ServerReachability,
    SymlinkTarget,
)
from remote_ollama.facts.files import ABSENT, ManagedFile, ManagedFiles, encode
from remote_ollama.facts.files import EOF_MARK as EOF

UV_DIST = "/home/dev/.local/share/uv/tools/aider-chat/lib/python3.11/site-packages/"
PIPX_DIST = "/Users/a/.local/pipx/venvs/aider-chat/lib/python3.12/site-packages/"

CASES = [
    # (fact, output, expected value)
    # ManagedFile: "<mode> <hard links>", the bytes as base64 (any wrapping), the EOF marker
    (ManagedFile, ["644 1", "YQpiCg==", EOF], {"mode": "644", "links": 1, "content": "a\nb\n"}),
    (ManagedFile, ["600 2", "YQ==", EOF], {"mode": "600", "links": 2, "content": "a"}),
    (ManagedFile, ["644 1", EOF], {"mode": "644", "links": 1, "content": ""}),
    (ManagedFile, ["644 1", "YQ0K", "/w==", EOF],  # CR kept; a byte that is not UTF-8 too
     {"mode": "644", "links": 1, "content": "a\r\n\udcff"}),
    (ManagedFile, [ABSENT], None),
    (ManagedFile, ["644 1", "YQ=="], None),  # no EOF marker: the read did not finish
    (ManagedFile, ["644", "YQ==", EOF], None),  # no link count
    (ManagedFile, ["  File: x", "YQ==", EOF], None),  # not a mode
    (ManagedFile, ["644 1", "a\nb", EOF], None),  # not base64: base64 missing, cat instead
    (SymlinkTarget, ["link", "/opt/x/claude"], {"kind": "link", "target": "/opt/x/claude"}),
    (SymlinkTarget, ["other"], {"kind": "other"}),
    (SymlinkTarget, ["absent"], {"kind": "absent"}),
    (SymlinkTarget, ["link"], {"kind": "absent"}),
    (SymlinkTarget, [], {"kind": "absent"}),
    (CommandPath, ["/opt/homebrew/bin/uv"], "/opt/homebrew/bin/uv"),
    (CommandPath, [], None),
    (CommandPath, ["uv: aliased to x"], None),
    (DirectoryEntries, ["dir", "2.1.332", ".partial", ""], [".partial", "2.1.332"]),
    (DirectoryEntries, ["dir"], []),
    (DirectoryEntries, ["absent"], None),
    (DirectoryEntries, [], None),
    (AiderInstall, [UV_DIST + "aider_chat-0.86.2.dist-info"],
     {"version": "0.86.2", "python": "3.11"}),
    (AiderInstall, [PIPX_DIST + "aider_chat-0.86.1.dist-info"],
     {"version": "0.86.1", "python": "3.12"}),
    (AiderInstall, [UV_DIST + "aider_chat-*.dist-info"], None),  # unexpanded glob
    (AiderInstall, [], None),
    (ServerReachability, ['{"version":"0.14.2"}', "@@http 200", "@@http 200"],
     {"version": "0.14.2", "models": 200, "tailscale": None}),
    (ServerReachability, ['{"version":"0.15.0"}', "@@http 200", "@@http 404"],
     {"version": "0.15.0", "models": 404, "tailscale": None}),
    (ServerReachability, ["", "@@http 000", "@@tailscale", "@@absent"],  # no answer: why?
     {"version": None, "models": 0, "tailscale": {"installed": False}}),
    (ServerReachability, ["<html>", "@@http 200", "@@http 000"],
     {"version": None, "models": 0, "tailscale": None}),
    (ServerReachability, ['{"version":"9"}', "@@http 404", "@@http 200"],  # not Ollama's
     {"version": None, "models": 200, "tailscale": None}),
    (ServerReachability, ["[1]", "@@http 200", "@@http x"],
     {"version": None, "models": 0, "tailscale": None}),
]


@pytest.mark.parametrize(("fact", "output", "expected"), CASES)
def test_fact_parses_recorded_output(fact, output, expected):
    assert fact().process(output) == expected


def run(fact, env=None, **kwargs):
    """The fact's command through sh, its stdout lines parsed as pyinfra would."""
    command = fact().command(**kwargs)
    result = subprocess.run(["sh", "-c", command], capture_output=True, text=True,
                            env={**os.environ, **(env or {})})  # fmt: skip
    lines = result.stdout.split("\n")
    return fact().process(lines[:-1] if lines and lines[-1] == "" else lines)


@pytest.mark.parametrize("content", [
    b"a\nb\n", b"no final newline", b"", b"\n\n", b"tab\there\n", b"crlf\r\n", b"lone cr\r",
    b"rs\x1e ff\x0c ls\xe2\x80\xa8 nul\x00", b"latin-1 \xe9\xff", "ünï\n".encode(),
    bytes(range(256)) * 3])
def test_text_file_reads_any_file_exactly(tmp_path, content):
    path = tmp_path / ".zshrc"
    path.write_bytes(content)
    path.chmod(0o640)
    found = run(ManagedFile, path=str(path))
    assert encode(found.pop("content")) == content
    assert found == {"mode": "640", "links": 1}
    os.link(path, tmp_path / "hard")
    assert run(ManagedFile, path=str(path))["links"] == 2
    assert run(ManagedFile, path=str(tmp_path / "missing")) is None


def test_a_file_read_alone_or_in_a_batch_gives_the_same_value(tmp_path):
    """ManagedFile and the probe's ManagedFiles share one parser: the same files, read by
    their real commands, give the same values (bytes, mode, links)."""
    contents = {"crlf": b"a\r\nb", "empty": b"", "bytes": bytes(range(256)) * 2}
    for name, content in contents.items():
        (tmp_path / name).write_bytes(content)
    (tmp_path / "empty").chmod(0o600)
    paths = [str(tmp_path / name) for name in contents]
    missing = str(tmp_path / "missing")
    batch = run(ManagedFiles, paths=[*paths, missing])
    assert batch == {path: run(ManagedFile, path=path) for path in paths}
    assert [encode(batch[path]["content"]) for path in paths] == list(contents.values())
    assert batch[paths[1]]["mode"] == "600" and run(ManagedFile, path=missing) is None

def test_symlink_target_and_directory_entries(tmp_path):
    (tmp_path / "v1").mkdir()
    (tmp_path / "file").write_text("x")
    os.symlink(tmp_path / "v1", tmp_path / "link")
    assert run(SymlinkTarget, path=str(tmp_path / "link")) == {
        "kind": "link", "target": str(tmp_path / "v1")}
    assert run(SymlinkTarget, path=str(tmp_path / "file")) == {"kind": "other"}
    assert run(SymlinkTarget, path=str(tmp_path / "none")) == {"kind": "absent"}
    assert run(DirectoryEntries, path=str(tmp_path)) == ["file", "link", "v1"]
    assert run(DirectoryEntries, path=str(tmp_path / "none")) is None


def test_command_path_also_looks_in_local_bin(tmp_path):
    bin_dir = tmp_path / ".local" / "bin"
    bin_dir.mkdir(parents=True)
    tool = bin_dir / "ro-test-tool"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    assert run(CommandPath, env=env, program="ro-test-tool") == str(tool)
    assert run(CommandPath, env=env, program="ro-no-such-tool") is None


@pytest.mark.parametrize("installer", ["uv", "pipx"])
def test_aider_install_is_read_from_the_tool_folders(tmp_path, installer):
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": "", "UV_TOOL_DIR": "", "PIPX_HOME": ""}
    assert run(AiderInstall, env=env, installer=installer) is None
    base = {"uv": ".local/share/uv/tools", "pipx": ".local/share/pipx/venvs"}[installer]
    site = tmp_path / base / "aider-chat/lib/python3.12/site-packages"
    (site / "aider_chat-0.86.2.dist-info").mkdir(parents=True)
    assert run(AiderInstall, env=env, installer=installer) == {"version": "0.86.2",
                                                               "python": "3.12"}


def test_aider_install_follows_uv_tool_dir(tmp_path):
    site = tmp_path / "tools/aider-chat/lib/python3.10/site-packages"
    (site / "aider_chat-0.85.0.dist-info").mkdir(parents=True)
    env = {"HOME": "/nonexistent", "UV_TOOL_DIR": str(tmp_path / "tools")}
    assert run(AiderInstall, env=env, installer="uv") == {"version": "0.85.0", "python": "3.10"}


def test_server_reachability_with_no_server_says_unreachable_and_asks_tailscale(tmp_path):
    # Port 9 (discard) on loopback: nothing listens there in the test environment.
    assert run(ServerReachability, env={"PATH": str(tmp_path) + ":/usr/bin:/bin"},
               base_url="http://127.0.0.1:9") == {"version": None, "models": 0,
                                                  "tailscale": {"installed": False}}
    fake = tmp_path / "tailscale"  # a node that is logged out
    fake.write_text('#!/bin/sh\necho \'{"BackendState": "NeedsLogin", "Self": {}}\'\n')
    fake.chmod(0o755)
    found = run(ServerReachability, env={"PATH": str(tmp_path) + ":/usr/bin:/bin"},
                base_url="http://127.0.0.1:9")
    assert found["tailscale"]["state"] == "NeedsLogin"


def test_server_reachability_asks_a_real_server_both_questions_in_one_curl(served):
    before = len(served.requests())
    found = run(ServerReachability, base_url=served.url)
    assert [r["path"] for r in served.requests()[before:]] == ["/api/version", "/v1/models"]
    assert found == {"version": served.json("GET", "/api/version")[1]["version"], "models": 200,
                     "tailscale": None}  # it answered: Tailscale is not asked


def test_every_client_fact_command_is_a_single_line_of_valid_sh(tmp_path):
    for fact, kwargs in [(ManagedFile, {"path": "/x y"}), (SymlinkTarget, {"path": "/x"}),
                         (CommandPath, {"program": "uv"}), (DirectoryEntries, {"path": "/x"}),
                         (AiderInstall, {"installer": "pipx"}),
                         (ServerReachability, {"base_url": "http://a:1"})]:
        command = fact().command(**kwargs)
        assert "\n" not in command
        assert subprocess.run(["sh", "-n", "-c", command]).returncode == 0


def test_fact_paths_survive_spaces(tmp_path):
    path = Path(tmp_path / "with space")
    path.write_text("ok\n")
    assert run(ManagedFile, path=str(path))["content"] == "ok\n"


def test_directory_entries_from_shell_globs_match_listdir(tmp_path):
    """Hidden names, names with spaces or a leading dash, broken links; an empty folder."""
    for name in ["a", "b c", ".hidden", "..x", "-dash"]:
        (tmp_path / name).write_text("")
    (tmp_path / "broken").symlink_to("/nonexistent")
    (tmp_path / "empty").mkdir()
    assert run(DirectoryEntries, path=str(tmp_path)) == sorted(os.listdir(tmp_path))
    assert run(DirectoryEntries, path=str(tmp_path / "empty")) == []
    assert run(DirectoryEntries, path=str(tmp_path / "missing")) is None


def test_linux_release_read_by_the_shell_is_the_file():
    from remote_ollama.facts.system import LinuxRelease

    if not os.path.exists("/etc/os-release"):
        pytest.skip("no /etc/os-release on this machine")
    out = subprocess.run(["sh", "-c", LinuxRelease().command()], capture_output=True,
                         text=True).stdout
    with open("/etc/os-release") as f:
        assert out.splitlines() == f.read().splitlines()
