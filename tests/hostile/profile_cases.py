"""Nasty shell profiles through converge then uninstall, as a reliability case set.

A case is a profile as it is on disk (None: missing), whether the install scripts' block
is appended to it, whether the claude-ollama block is wanted, and how the file is linked
(``plain``, ``hardlink``: a second name for it, ``symlink``: the profile is a link to a
dotfile elsewhere). ``outcome(case)`` runs the real thing on real files, as
tests/unit/test_profile_property.py does: ``ManagedFile``'s command in ``sh``, the
operation's decisions, its commands in ``sh``. ``safe``: one block of ours after
converge, a second converge with no command, and after uninstall every byte, the mode and
the links as they were. ``rejected``: the run stopped with a clear error naming the file,
and the file is untouched. Anything else is ``unsafe``.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import typing
from pathlib import Path
from unittest import mock

from pyinfra.api import FileUploadCommand, OperationError

from remote_ollama import client
from remote_ollama.facts.files import ManagedFile
from remote_ollama.operations import profile
from remote_ollama.operations.profile import Block

S, E = client.ENV_START, client.ENV_END
CS, CE = client.CLAUDE_START, client.CLAUDE_END
SEED_BLOCK = (b'\n# >>> ai-client >>>\n# remote-ollama ai-client environment configuration\n'
              b'if [ -f "$HOME/.ai-client/env" ]; then\n    source "$HOME/.ai-client/env"\nfi\n'
              b'# <<< ai-client <<<\n')  # as the install scripts' heredoc appends it


def blocks(env: bool, claude: bool) -> list[Block]:
    return [Block(S, E, "env body\n" if env else None, (client.SEED_ENV,)),
            Block(CS, CE, "claude body\n" if claude else None, (client.SEED_CLAUDE,))]


def converge_on_disk(path: Path, wanted: list[Block]) -> list:
    """Read ``path`` with ManagedFile's real command, run marker_blocks, run its commands."""
    out = subprocess.run(["sh", "-c", ManagedFile().command(str(path))], capture_output=True,
                         check=True).stdout.decode("utf-8").split("\n")  # fmt: skip
    current = ManagedFile().process(out[:-1])
    with mock.patch.object(profile, "fact", lambda cls, **kw: current), \
            mock.patch.object(profile, "host", mock.Mock()):
        commands = list(profile.marker_blocks._inner(path=str(path), blocks=wanted))
    for command in commands:
        if isinstance(command, FileUploadCommand):
            Path(command.dest).write_bytes(command.src.getvalue())
        else:
            subprocess.run(["sh", "-c", command], check=True)
    return commands


def _state(path: Path, link: str) -> tuple:
    """Bytes, mode, link count, whether ``path`` is a symlink and, for a hard-linked file,
    its inode (a plain file may be renamed over: a new inode is fine there)."""
    if not os.path.lexists(path):
        return (None,)
    st = path.stat()
    inode = st.st_ino if link == "hardlink" else None
    return path.read_bytes(), st.st_mode & 0o777, st.st_nlink, path.is_symlink(), inode


def outcome(case) -> str:
    original, seeded, claude, link = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ".zprofile"
        target = Path(tmp) / "dotfiles-zprofile" if link == "symlink" else path
        if original is not None:
            target.write_bytes(original + (SEED_BLOCK if seeded else b""))
            os.chmod(target, 0o640)
            if link == "symlink":
                path.symlink_to(target)
            elif link == "hardlink":
                os.link(path, Path(tmp) / "second-name")
        before = _state(path, link)
        try:
            converge_on_disk(path, blocks(True, claude))
        except OperationError as error:
            if _state(path, link) != before:
                return "unsafe: stopped after changing the file"
            return "rejected" if str(path) in str(error) else f"unsafe: unclear error {error}"
        text = path.read_bytes()
        lines = [line.strip(b" \t\r") for line in text.split(b"\n")]
        if lines.count(S.encode()) != 1 or lines.count(CS.encode()) != int(claude):
            return "unsafe: not exactly one block of ours"
        if b"# >>> ai-client >>>" in lines:
            return "unsafe: the install scripts' block is left"
        if converge_on_disk(path, blocks(True, claude)):
            return "unsafe: a second converge changes the file again"
        converge_on_disk(path, blocks(False, False))
        after = _state(path, link)
        if seeded:  # the seed's block is taken over, so uninstall removes it too
            before = (original, *before[1:])
        if after != before:
            return f"unsafe: uninstall left {after!r:.200} instead of {before!r:.200}"
        return "safe"


def _cases(*originals: bytes | None, link: str = "plain") -> typing.Callable[[], list]:
    return lambda: [(o, seeded, claude, link) for o in originals
                    for seeded, claude in ((False, False), (False, True), (True, True))
                    if not (seeded and o is None)]  # fmt: skip


CASES: dict[str, typing.Callable[[], list]] = {
    "line endings (CRLF, CR, none at the end)": _cases(
        b"export A=1\r\n", b"export A=1\r\nexport B=2", b"a\rb\r", b"no final newline",
        b"\r\n\r\n", b"mixed\r\nline\nends\r"),
    "characters splitlines() splits on, NUL, not UTF-8": _cases(
        b"a\x0cb\n", b"a\x1eb\n", b"a\x0bb\n", "a\u2028b\n".encode(), "a\u0085b".encode(),
        b"a\x00b\n", b"caf\xe9\n", b"\xff\xfe", b"\xc3", "ü\n".encode()),
    "missing, empty or blank": _cases(None, b"", b"\n", b" \n\t\n", b"\n\n\n"),
    "lines that look like our markers": _cases(
        f"echo '{S}'\n".encode(), f"{S}\x0c\n".encode(), f"x{E}\n".encode(),
        f"{S}\u2028\n".encode(), b"# >>> ai-client\n", b"@@remote-ollama-eof@@\n"),
    "broken or nested marker blocks (must stop untouched)": _cases(
        f"{S}\n".encode(), f"{E}\n{S}\n".encode(), f"{S}\n{S}\n{E}\n".encode(),
        f"x\n{S}\n# >>> ai-client >>>\n{E}\n# <<< ai-client <<<\n".encode(),
        b"# >>> ai-client >>>\nexport SECRET=1\n# <<< ai-client <<<\n",
        f"{CS}\n{S}\n{E}\n{CE}\n".encode(),  # our blocks nested in each other
        f"{CS}\n# >>> conda initialize >>>\nconda x\n# <<< conda initialize <<<\n{CE}\n".encode(),
        f"# >>> ai-client >>>\n{S}\n{E}\n# <<< ai-client <<<\n".encode()),
    "hard-linked and symlinked files": lambda: [
        *_cases(b"export A=1\n", b"", b"x\r\n", link="hardlink")(),
        *_cases(b"export A=1\n", b"", b"x\r\n", link="symlink")(),
    ],
}
