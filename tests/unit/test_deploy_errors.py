"""Every stop of a deploy reads as one clean message: ``--> pyinfra error: <message>``,
never "pyinfra error in .../preflight.py line 26:" (issue 14, item 11). Real pyinfra runs
on @local with ``--dry``: the checks stop them before any operation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pyinfra.api.exceptions import PyinfraError

from remote_ollama.preflight import DeployError

REPO = Path(__file__).resolve().parents[2]
PYINFRA = str(Path(sys.executable).with_name("pyinfra"))


def pyinfra(tmp_path, deploy: str, *data: str) -> str:
    args = [a for d in data for a in ("--data", d)]
    run = subprocess.run([PYINFRA, "--dry", "-y", "@local", deploy, *args], cwd=REPO,
                         capture_output=True, text=True, timeout=180,
                         env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})  # fmt: skip
    assert run.returncode == 1
    return run.stdout + run.stderr


def clean(output: str) -> str:
    """The one message after "pyinfra error: ", with no file or line of ours in it."""
    assert "--> pyinfra error: " in output, output[-2000:]
    assert "pyinfra error in" not in output and ".py line " not in output
    assert "Traceback" not in output
    return output.split("--> pyinfra error: ", 1)[1]


@pytest.mark.skipif(sys.platform == "darwin", reason="on a Mac the server preflight may pass")
def test_a_server_preflight_stop_is_one_clean_message(tmp_path):
    # Here, a Linux host: root is refused, or (not root) the host is not a Mac.
    message = clean(pyinfra(tmp_path, "deploys/server.py"))
    assert message.startswith("@local: ")
    assert "connected as root" in message or "macOS" in message or "Mac" in message


def test_a_client_stop_is_one_clean_message(tmp_path):
    message = clean(pyinfra(tmp_path, "deploys/client.py"))
    assert message.startswith("no server known: set ollama_server_host")


def test_a_deploy_error_is_still_a_pyinfra_error_whose_text_is_the_message():
    error = DeployError("h: it stopped.")
    assert isinstance(error, PyinfraError)
    assert str(error) == error.message == "h: it stopped."
