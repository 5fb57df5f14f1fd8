"""Issue 15, clients: the check a new Claude Code passes before the link moves to it.

The check script runs here with ``sh`` on a folder holding a fake ``claude`` (a shell
script standing in for the binary: only ``--version`` and ``-p`` are used)."""

from __future__ import annotations

import subprocess

import pytest

from remote_ollama.operations import client_upgrade

ALIAS = """claude-ollama() {
  ANTHROPIC_BASE_URL=http://127.0.0.1:9 \\
  %s "$@"
}
"""


def fake_claude(folder, version_line: str, answer: int = 0):
    folder.mkdir(parents=True)
    binary = folder / "claude"
    binary.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = --version ]; then printf \'%s\\n\' "{version_line}"; exit 0; fi\n'
        f'if [ "$1" = -p ]; then echo "API Error: Connection refused" >&2; exit {answer}; fi\n'
    )
    binary.chmod(0o755)
    return binary


def run(script: str) -> subprocess.CompletedProcess:
    return subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=30)


def test_the_pinned_version_passes_and_stays(tmp_path):
    target = tmp_path / "2.1.332"
    binary = fake_claude(target, "2.1.332 (Claude Code)")
    result = run(client_upgrade.check_script("2.1.332", str(target), ALIAS % binary, "2.1.300"))
    assert result.returncode == 0, result.stderr
    assert binary.exists()


def test_a_binary_that_reports_another_version_is_removed_and_the_old_one_named(tmp_path):
    target = tmp_path / "2.1.332"
    fake_claude(target, "2.1.331 (Claude Code)")
    result = run(client_upgrade.check_script("2.1.332", str(target), None, "2.1.300"))
    assert result.returncode == 1
    assert not target.exists()
    assert result.stderr.strip() == ("Claude Code 2.1.332 failed its check (--version says "
                                     "'2.1.331 (Claude Code)'); 2.1.300 stays in use")


def test_a_version_that_only_starts_with_the_pin_fails(tmp_path):
    target = tmp_path / "2.1.33"
    fake_claude(target, "2.1.332 (Claude Code)")
    assert run(client_upgrade.check_script("2.1.33", str(target), None, "2.1.300")).returncode == 1


def test_a_failed_request_through_the_alias_is_removed(tmp_path):
    target = tmp_path / "2.1.332"
    binary = fake_claude(target, "2.1.332 (Claude Code)", answer=1)
    result = run(client_upgrade.check_script("2.1.332", str(target), ALIAS % binary, "2.1.300"))
    assert result.returncode == 1 and not target.exists()
    assert result.stderr.strip() == (
        "Claude Code 2.1.332 failed its check (one request through claude-ollama failed: "
        "API Error: Connection refused); 2.1.300 stays in use")


@pytest.mark.parametrize(("target", "expected"), [
    ("/h/.local/share/remote-ollama/claude-code/2.1.332/claude", "2.1.332"),
    ("/h/.local/share/claude/versions/2.2.0", None),  # the user's own cloud claude
    (None, None),
])
def test_installed_version_reads_only_our_link(target, expected):
    link = {"kind": "link", "target": target} if target else {"kind": "absent"}
    assert client_upgrade.installed_version(
        link, "/h/.local/share/remote-ollama/claude-code") == expected


class FakeHost:
    name = "c1"
    executing_op_hash = "install"

    def __init__(self, server_version):
        self.server_version = server_version
        self.said: list[str] = []

    def get_fact(self, cls, **kwargs):
        return {"version": self.server_version}

    def log_styled(self, message, **kwargs):
        self.said.append(message)


def gate(monkeypatch, server_version="0.14.2", failed=0, **kwargs) -> tuple[bool, list[str]]:
    from remote_ollama.operations import rollout

    monkeypatch.setattr(rollout, "wait_turn", lambda state, host, op_hash, batch: None)
    monkeypatch.setattr(rollout, "failed_clients", lambda state: failed)
    held = []
    monkeypatch.setattr(rollout, "hold", lambda state, host, op_hash: held.append(host.name))
    fake = FakeHost(server_version)
    args = {"version": "2.1.332", "previous": "2.1.300", "base_url": "http://s:11434",
            "batch": 1, "max_failures": 1, "allow_broken": False, **kwargs}
    check = (client_upgrade.MatrixCheck(args["version"], args["base_url"])
             if not args["allow_broken"] else None)  # as claude_code_checked passes it
    passed = rollout.gate(None, fake, f"Claude Code {args['version']}", args["previous"],
                          args["batch"], args["max_failures"], check)
    assert held == ([] if passed else ["c1"])  # a client stopped here is not a failed one
    return passed, fake.said


def test_the_gate_lets_a_client_through_when_nothing_failed(monkeypatch):
    assert gate(monkeypatch) == (True, [])


def test_the_rollout_stops_at_the_threshold(monkeypatch):
    assert gate(monkeypatch, failed=2, max_failures=2) == (False, [
        "Claude Code 2.1.332 not installed: the rollout stopped after 2 client(s) failed; "
        "2.1.300 stays in use."])
    assert gate(monkeypatch, failed=5, max_failures=0)[0] is True  # 0: never stop


def test_a_server_that_rolled_back_below_the_pins_need_keeps_the_client(monkeypatch):
    passed, said = gate(monkeypatch, server_version="0.13.5")
    assert passed is False
    assert said[0].startswith("Claude Code 2.1.332 not installed: the server runs Ollama "
                              "0.13.5 now, and the matrix marks the pair broken")
    assert gate(monkeypatch, server_version="0.13.5", allow_broken=True)[0] is True
