"""Profiles over real SSH: a client set up by the install scripts is taken over, and nasty
profiles keep every byte of the user's through converge and uninstall.

Only ai-client-2 (bash, Claude Code off) is converged (`--limit`), from its own files:
the expected profile text is computed here with the same rules (``edit_block``), and the
bytes are read back from the host as base64, so nothing on the way can hide a change.
"""

from __future__ import annotations

import base64

import pytest

from remote_ollama import render
from remote_ollama.client import (
    CLAUDE_END,
    CLAUDE_START,
    ENV_END,
    ENV_START,
    SHELL_PROFILES,
    TAKE_OVER,
)
from remote_ollama.facts.files import decode, encode
from remote_ollama.operations.profile import Block, edit_block
from tests.testbed.converge import pyinfra

pytestmark = pytest.mark.e2e

CLIENT = "ai-client-2"  # login shell bash: the blocks go to ~/.bashrc and ~/.profile
SEED = "sh /usr/local/share/standin/seed-client.sh ai-server"
SEED_UNINSTALLER = "Remove the install scripts' ~/.ai-client/uninstall.sh (it would undo this deploy)"
# Debian's guard first, so the nasty lines never run in a non-interactive shell (SSH).
GUARD = b"case $- in\n    *i*) ;;\n      *) return;;\nesac\n"
NASTY_BASHRC = (GUARD + b"# crlf line\r\nA=1\r\n# record separator \x1e form feed \x0c "
                + "line separator \u2028 next line \u0085\n".encode()
                + b"# latin-1 caf\xe9, a stray \xff\n# echo '# >>> remote-ollama env >>>'\n"
                + b"# no final newline")  # fmt: skip


def read(fleet, path: str) -> bytes | None:
    result = fleet.exec(CLIENT, f"test -f {path} && base64 {path}")
    return base64.b64decode(result.stdout) if result.returncode == 0 else None


def write(fleet, path: str, data: bytes) -> None:
    fleet.exec(CLIENT, f"base64 -d > {path}", input=base64.b64encode(data).decode(), check=True)


def ours(users: bytes | None) -> bytes:
    """The profile a converge of ``users`` gives (env block only: Claude Code is off)."""
    text = edit_block(None if users is None else decode(users),
                      Block(ENV_START, ENV_END, render.profile_env_block()))
    return encode(edit_block(text, Block(CLAUDE_START, CLAUDE_END, None)))


def client(inventory, **data):
    run = pyinfra(inventory, "deploys/client.py", data=data, extra=("--limit", CLIENT))
    assert run.returncode == 0, run.stderr[-3000:]
    return run


@pytest.fixture
def home(fleet, settings_inventory):
    """ai-client-2's ~/.bashrc and ~/.profile as they were, put back afterwards."""
    saved = {p: read(fleet, p) for p in ("~/.bashrc", "~/.profile")}
    yield
    for path, data in saved.items():
        fleet.exec(CLIENT, f"rm -f {path}")
        if data is not None:
            write(fleet, path, data)
    fleet.exec(CLIENT, "rm -rf ~/dotfiles")
    client(settings_inventory)


def test_a_client_set_up_by_the_install_scripts_is_taken_over_in_one_run(fleet,
                                                                         settings_inventory,
                                                                         home):
    users = b"# mine\r\nexport EDITOR=vi"  # a CR, and no final newline
    write(fleet, "~/.bashrc", users)
    fleet.exec(CLIENT, SEED, check=True)
    assert read(fleet, "~/.bashrc") == users + b"\n# >>> ai-client >>>\n" + (
        b'# remote-ollama ai-client environment configuration\n'
        b'if [ -f "$HOME/.ai-client/env" ]; then\n    source "$HOME/.ai-client/env"\nfi\n'
        b"# <<< ai-client <<<\n")

    first = client(settings_inventory)
    changed = first.changed()
    assert CLIENT in changed.get(f"remote-ollama client | {SHELL_PROFILES}{TAKE_OVER}", [])
    assert CLIENT in changed.get(f"remote-ollama client | {SEED_UNINSTALLER}", [])
    assert f"{SHELL_PROFILES}{TAKE_OVER}" in first.stdout + first.stderr  # in the output
    assert read(fleet, "~/.bashrc") == ours(users)  # one block, where theirs was
    assert read(fleet, "~/.ai-client/uninstall.sh") is None
    env = read(fleet, "~/.ai-client/env").decode()
    assert "export OLLAMA_API_BASE=http://ai-server:11434\n" in env  # ours: no /v1
    login = fleet.exec(CLIENT, "bash -ic 'echo $OLLAMA_API_BASE' 2>/dev/null")
    assert login.stdout.strip().splitlines()[-1] == "http://ai-server:11434"

    again = client(settings_inventory)
    assert again.changed() == {}, "the second run changes nothing"


def test_nasty_profiles_keep_every_byte_through_converge_and_uninstall(fleet,
                                                                       settings_inventory,
                                                                       home):
    """CR, no final newline, \\x1e, U+2028, bytes that are not UTF-8 in ~/.bashrc; a
    whitespace-only ~/.profile that is a hard link into a dotfiles folder."""
    blank = b"\n  \t\n"
    write(fleet, "~/.bashrc", NASTY_BASHRC)
    fleet.exec(CLIENT, "mkdir -p ~/dotfiles && rm -f ~/.profile", check=True)
    write(fleet, "~/dotfiles/profile", blank)
    fleet.exec(CLIENT, "ln ~/dotfiles/profile ~/.profile", check=True)

    client(settings_inventory)
    assert read(fleet, "~/.bashrc") == ours(NASTY_BASHRC)
    assert read(fleet, "~/dotfiles/profile") == ours(blank)  # the link kept: same file
    links = fleet.exec(CLIENT, "stat -c %h ~/.profile", check=True).stdout.strip()
    assert links == "2"
    assert client(settings_inventory).changed() == {}

    client(settings_inventory, client_state="absent")
    assert read(fleet, "~/.bashrc") == NASTY_BASHRC
    assert read(fleet, "~/.profile") == blank  # kept, though only whitespace
    assert read(fleet, "~/dotfiles/profile") == blank
    assert client(settings_inventory, client_state="absent").changed() == {}

