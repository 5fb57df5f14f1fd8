"""The version lock written at execution time, once the server of the same run answers."""

from __future__ import annotations

from unittest import mock

import pytest
from pyinfra.api.exceptions import OperationError

from remote_ollama.facts.client import ServerReachability
from remote_ollama.facts.files import ManagedFile
from remote_ollama.operations import version_lock


class ExecutingHost:
    def __init__(self, server_version, current=None):
        self.facts = {ServerReachability: {"version": server_version, "models": 200},
                      ManagedFile: current}
        self.uploads: dict[str, str] = {}
        self.commands: list[str] = []

    def get_fact(self, cls, **kwargs):
        return self.facts[cls]

    def put_file(self, src, dest):
        self.uploads[dest] = src.getvalue()

    def run_shell_command(self, command):
        self.commands.append(command)


def write(host, allow_broken=False, planned=None):
    with mock.patch.object(version_lock, "host", host):
        version_lock._write_from_server("/h/.ai-client/.version-lock", "2.1.332",
                                        "http://ai-server:11434", allow_broken, planned)


def test_a_pinned_server_that_rolled_back_is_recorded_as_it_runs_not_as_pinned():
    """Issue 15: pin 0.13.5 failed, the server serves 0.14.2: the lock says 0.14.2."""
    host = ExecutingHost("0.14.2", current=None)
    write(host, allow_broken=True, planned="0.13.5")
    text = host.uploads["/h/.ai-client/.version-lock"]
    assert "OLLAMA_VERSION=0.14.2" in text and "0.13.5" not in text
    right = ExecutingHost("0.14.2", current={"mode": "644", "content": text})
    write(right, planned="0.13.5")
    assert right.uploads == {} and right.commands == []


def test_a_server_that_does_not_answer_leaves_the_planned_version():
    host = ExecutingHost(None)
    write(host, planned="0.15.0")
    assert "OLLAMA_VERSION=0.15.0" in host.uploads["/h/.ai-client/.version-lock"]


def test_lock_records_the_version_the_server_reports_when_the_step_runs():
    host = ExecutingHost("0.14.2")
    write(host)
    text = host.uploads["/h/.ai-client/.version-lock"]
    assert "CLAUDE_CODE_VERSION=2.1.332" in text and "OLLAMA_VERSION=0.14.2" in text
    assert "STATUS=works" in text
    assert host.commands == ["chmod 644 /h/.ai-client/.version-lock"]


def test_lock_already_right_is_left_alone():
    text = version_lock.lock_text("2.1.332", "0.14.2")
    host = ExecutingHost("0.14.2", current={"mode": "644", "content": text})
    write(host)
    assert host.uploads == {} and host.commands == []


def test_a_broken_pair_found_at_execution_fails_the_step_unless_allowed():
    with pytest.raises(OperationError, match="known to be broken"):
        write(ExecutingHost("0.13.5"))
    host = ExecutingHost("0.13.5")
    write(host, allow_broken=True)
    assert "STATUS=broken" in host.uploads["/h/.ai-client/.version-lock"]


HOSTILE_VERSIONS = ["0.14.2;touch x", "0.14.2\ntouch x", "$(touch x)", "`touch x`",
                    "0.14.2 && touch x", "0.14.2'", "", "x" * 5000, "0.14.2\n"]


@pytest.mark.parametrize("reported", HOSTILE_VERSIONS)
def test_a_server_version_that_is_not_a_version_is_never_written(reported):
    host = ExecutingHost(reported)
    with pytest.raises(OperationError, match=r"is not a version like '0\.14\.2'; the version lock"):
        write(host)
    assert host.uploads == {} and host.commands == []


@pytest.mark.parametrize("reported", HOSTILE_VERSIONS)
def test_a_version_known_while_planning_is_checked_too(reported):
    with pytest.raises(OperationError, match="is not a version"):
        list(version_lock.version_lock._inner(path="/h/.ai-client/.version-lock",
                                              claude_code="2.1.332", ollama=reported,
                                              base_url="http://ai-server:11434"))


def test_the_lock_sourced_by_a_shell_sets_only_its_four_variables(tmp_path):
    import subprocess

    lock = tmp_path / "lock"
    lock.write_text(version_lock.lock_text("2.1.332", "0.14.2-rc1"))
    out = subprocess.run(["sh", "-c", f". {lock}; echo $CLAUDE_CODE_VERSION $OLLAMA_VERSION"],
                         capture_output=True, text=True, cwd=tmp_path)
    assert out.stdout == "2.1.332 0.14.2-rc1\n" and list(tmp_path.iterdir()) == [lock]
