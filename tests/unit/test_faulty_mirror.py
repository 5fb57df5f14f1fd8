"""The testbed's TEST-ONLY broken releases (tests/testbed/fleetlib/faulty.py) do what the
upgrade e2e needs: the Claude Code package passes the download and its sha512 check and
then fails its own check; the Aider wheel is a valid wheel whose command cannot start."""

from __future__ import annotations

import io
import subprocess
import zipfile

from remote_ollama.operations import claude_code, client_upgrade
from tests.testbed.fleetlib import faulty

PACKAGE = "@anthropic-ai/claude-code-linux-x64"


def test_the_claude_package_downloads_and_then_fails_its_check(tmp_path):
    out = tmp_path / "test-only"
    faulty.build(out, f"file://{out}/npm", PACKAGE)
    document = f"file://{out}/npm/{PACKAGE}/index.json"
    sha512 = claude_code.registry_sha512(document, faulty.CLAUDE_VERSION)
    tarball = f"file://{out}/npm/{PACKAGE}/-/claude-code-linux-x64-{faulty.CLAUDE_VERSION}.tgz"
    target = tmp_path / "claude-code" / faulty.CLAUDE_VERSION
    target.parent.mkdir()
    install = claude_code.install_command(tarball, sha512, str(target))
    check = client_upgrade.check_script(faulty.CLAUDE_VERSION, str(target), None, "2.1.332")
    done = subprocess.run(["sh", "-c", f"{install}\n{check}"], capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "Claude Code 2.1.333 failed its check (--version says '2.1.332 (Claude Code)'); "
        "2.1.332 stays in use")
    assert not target.exists()


def test_the_aider_wheel_names_aider_chat_and_a_module_it_does_not_ship():
    name = f"aider_chat-{faulty.AIDER_VERSION}.dist-info"
    with zipfile.ZipFile(io.BytesIO(faulty.aider_wheel())) as wheel:
        names = wheel.namelist()
        metadata = wheel.read(f"{name}/METADATA").decode()
        entry_points = wheel.read(f"{name}/entry_points.txt").decode()
        record = wheel.read(f"{name}/RECORD").decode().splitlines()
    assert f"Name: aider-chat\nVersion: {faulty.AIDER_VERSION}\n" in metadata
    assert "aider = aider.main:main" in entry_points
    assert not any(n.startswith("aider/") for n in names)  # the module is missing
    assert sorted(line.split(",")[0] for line in record) == sorted(names)
