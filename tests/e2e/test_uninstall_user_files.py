"""Uninstall never takes the user's files with it, whatever ollama_log_dir says.

Server uninstall once ran `rm -rf` on ollama_log_dir: with "~/" it deleted the home on
this testbed, SSH keys included. Now the home (and anything outside it) is refused before
any host is touched, and a user folder used as the log folder keeps everything but our
log files.
"""

from __future__ import annotations

import pytest

from tests.testbed.converge import pyinfra

pytestmark = pytest.mark.e2e

SERVER = "ai-server"
USER_FILES = ("~/Documents/notes.txt", "~/.ssh/authorized_keys", "~/keep-me.txt")


def _in_server(fleet, command: str) -> str:
    return fleet.exec(SERVER, command, user="dev", check=True).stdout


def _user_files(fleet) -> str:
    return _in_server(fleet, "cd ~ && sha256sum Documents/notes.txt .ssh/authorized_keys "
                             "keep-me.txt && ls -A ~ | sort")  # fmt: skip


def test_uninstall_with_the_home_or_a_user_folder_as_log_dir_keeps_the_users_files(
    converged, fleet
):
    _in_server(fleet, "mkdir -p ~/Documents && echo mine > ~/Documents/notes.txt "
                      "&& echo keep > ~/keep-me.txt")  # fmt: skip
    before = _user_files(fleet)
    for home in ("~/", "~", "/home/dev", "~/.."):
        run = pyinfra(converged, "deploys/server.py",
                      data={"server_state": "absent", "ollama_log_dir": home})
        output = run.stdout + run.stderr
        assert run.returncode != 0
        assert "pyinfra error: invalid settings; nothing was run on any host:" in output
        assert f"ollama_log_dir={home!r} is invalid; allowed: a folder inside your home" in output
        assert _user_files(fleet) == before
    try:
        moved = pyinfra(converged, "deploys/server.py", data={"ollama_log_dir": "~/Documents"})
        assert moved.returncode == 0, moved.stderr[-3000:]
        assert "ollama.err.log" in _in_server(fleet, "ls ~/Documents")
        gone = pyinfra(converged, "deploys/server.py",
                       data={"server_state": "absent", "ollama_log_dir": "~/Documents"})
        assert gone.returncode == 0, gone.stderr[-3000:]
        assert _in_server(fleet, "ls -A ~/Documents").split() == ["notes.txt"]
        assert _user_files(fleet) == before
        again = pyinfra(converged, "deploys/server.py",
                        data={"server_state": "absent", "ollama_log_dir": "~/Documents"})
        assert again.changed() == {}, "uninstalling twice changes nothing"
    finally:
        assert pyinfra(converged, "deploys/server.py").returncode == 0
