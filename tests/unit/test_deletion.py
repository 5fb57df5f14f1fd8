"""Deletion: nothing removes a folder's contents except inside remote-ollama's own folders,
and every `rm` in the package is one of a known, reviewed list."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pyinfra.api.exceptions import OperationError

from remote_ollama.facts.client import DirectoryEntries
from remote_ollama.facts.files import PathExists
from remote_ollama.operations import client_upgrade, files
from tests.unit.ops import key, run_op

PACKAGE = Path(__file__).resolve().parents[2] / "remote_ollama"

# Every recursive removal in the package, per file, and why each path is ours by name.
RECURSIVE_REMOVALS = {
    # <root>/<version>.partial (our download folder, one command reused) and <root>/<version>
    # (replaced by the checked download)
    "operations/claude_code.py": 2,
    "operations/ollama.py": 1,  # <install_dir>/<version>.partial: our download folder
    "operations/files.py": 1,  # our_folder_absent: only inside ~/.local/share/remote-ollama/
    # a failed check's <root>/<version> and its mktemp -d (twice), other version folders of
    # our root named like a version (versions_pruned)
    "operations/client_upgrade.py": 4,
    # homebrew_keg_kept: <kept root>/<version>.partial (our scratch copy; in the command for
    # a version known while planning and in the one for a keg this run installs), and other
    # kept copies in our folder ollama_install_dir/homebrew named like a version
    "rollback.py": 3,
    # <root>/<version>-py<python>, Aider's folder for the pin in our root: cleared before
    # the install, removed when the install or its check fails; and the other folders of
    # our root named like one (versions_pruned)
    "operations/aider.py": 4,
}


def test_every_recursive_removal_in_the_package_is_a_reviewed_one():
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text()
        count = len(re.findall(r"\brm\s+-(?:[a-zA-Z]*[rR][a-zA-Z]*)\b", text))
        count += text.count("rmtree") + text.count("--recursive")
        if count:
            found[str(path.relative_to(PACKAGE))] = count
    assert found == RECURSIVE_REMOVALS


def test_kept_homebrew_copies_are_removed_only_by_a_version_name_in_our_folder():
    from unittest import mock

    from remote_ollama import rollback
    from tests.unit.ops import FakeHost

    def run(**kwargs):
        with mock.patch.object(rollback, "host", FakeHost()):
            return list(rollback.homebrew_keg_kept._inner(**kwargs))

    root = "/h/.local/opt/ollama/homebrew"
    commands = run(root=root, keep=None, keg=None, needed=["0.14.2"],
                   kept=["0.13.0", "0.14.2", "0.15.0.partial", "notes", "..", ".", "x 1.2.3",
                         "1.2.3/../.."])
    assert commands == [f"rm -rf {root}/0.13.0", f"rm -rf {root}/0.15.0.partial"]
    assert run(root=root, keep=None, keg=None, kept=["0.14.2"], needed=["0.14.2"]) == []


def test_file_absent_never_removes_a_folders_contents():
    assert run_op(files.file_absent, {key(PathExists, path="/h/x"): True}, path="/h/x") == [
        "rm -f /h/x"]


def test_files_absent_removes_each_present_file_by_name():
    facts = {key(PathExists, path="/h/a.log"): True, key(PathExists, path="/h/b.log"): False}
    assert run_op(files.files_absent, facts, paths=["/h/a.log", "/h/b.log"]) == [
        "rm -f /h/a.log"]
    facts[key(PathExists, path="/h/a.log")] = False
    assert run_op(files.files_absent, facts, paths=["/h/a.log", "/h/b.log"]) == []


@pytest.mark.parametrize("path", ["/Users/me", "/Users/me/", "/Users/me/.local/share",
                                  "/Users/me/.local/share/remote-ollama/../..",
                                  "/Users/me/.local/share/remote-ollama/x/../../..",
                                  "/Users/me/Documents/.local/share/remote-ollama-x"])
def test_our_folder_absent_refuses_anything_outside_our_folders(path):
    with pytest.raises(OperationError, match="not a folder of remote-ollama's own"):
        run_op(files.our_folder_absent, {key(PathExists, path=path): True}, path=path)


def test_our_folder_absent_removes_our_folder():
    path = "/Users/me/.local/share/remote-ollama/claude-code"
    assert run_op(files.our_folder_absent, {key(PathExists, path=path): True}, path=path) == [
        f"rm -rf {path}"]


def test_old_claude_code_versions_are_removed_only_when_named_like_a_version():
    root = "/h/.local/share/remote-ollama/claude-code"
    facts = {key(DirectoryEntries, path=root): ["2.1.300", "2.1.332", "2.1.1.partial",
                                                 "notes", "..x", "my files"]}
    pruned = run_op(client_upgrade.versions_pruned, facts, version="2.1.332", root=root)
    assert pruned == [f"rm -rf {root}/2.1.300", f"rm -rf {root}/2.1.1.partial"]
