"""The content and mode of files the deploys manage, read in one command."""

from __future__ import annotations

import shlex

from pyinfra.api import FactBase

ABSENT = "@@remote-ollama-absent@@"
EOF_MARK = "@@remote-ollama-eof@@"  # also closes a last line that has no newline


class ManagedFile(FactBase):
    """``{"mode": "644", "content": "..."}`` for a text file, or None when it is absent.

    Reads both in one command so a deploy can compare what it would write with what is
    there without a checksum round trip. GNU stat is tried first: GNU `stat -f` means
    filesystem status and would print the wrong thing; BSD `stat -c` fails cleanly.

        current = host.get_fact(ManagedFile, path="/Users/me/.ai-client/env")
    """

    def command(self, path: str) -> str:
        quoted = shlex.quote(path)
        return (
            f"if [ -f {quoted} ]; then "
            f"(stat -c %a {quoted} 2>/dev/null || stat -f %Lp {quoted}); cat {quoted}; "
            f"echo '{EOF_MARK}'; "
            f"else echo '{ABSENT}'; fi"
        )

    def process(self, output) -> dict | None:
        if not output or output[0] == ABSENT:
            return None
        mode, lines = output[0].strip(), list(output[1:])
        if not mode.isdigit() or not lines or not lines[-1].endswith(EOF_MARK):
            return None
        unterminated = lines.pop()[: -len(EOF_MARK)]
        content = "".join(f"{line}\n" for line in lines) + unterminated
        return {"mode": mode, "content": content}


class PathExists(FactBase):
    """Whether a path exists (file, directory or symlink target).

        host.get_fact(PathExists, path="/opt/homebrew/bin/brew")
    """

    def command(self, path: str) -> str:
        return f"if [ -e {shlex.quote(path)} ]; then echo yes; else echo no; fi"

    def process(self, output) -> bool:
        return bool(output) and output[0].strip() == "yes"


class FileDigest(FactBase):
    """``{"mode": "755", "sha256": "..."}`` of a file, or None when it is absent.

    For files the deploy ships whole (the contract check is ~900 lines): comparing a
    digest keeps the probe's output, and the controller's work, small.
    ``sha256sum`` (GNU) is tried first, then ``shasum -a 256`` (macOS).

        host.get_fact(FileDigest, path="/Users/me/.local/share/remote-ollama/contract.py")
    """

    def command(self, path: str) -> str:
        quoted = shlex.quote(path)
        return (
            f"if [ -f {quoted} ]; then "
            f"(stat -c %a {quoted} 2>/dev/null || stat -f %Lp {quoted}); "
            f"(sha256sum {quoted} 2>/dev/null || shasum -a 256 {quoted}); "
            f"else echo '{ABSENT}'; fi"
        )

    def process(self, output) -> dict | None:
        if len(output) < 2 or output[0] == ABSENT or not output[0].strip().isdigit():
            return None
        digest = output[1].split()[0] if output[1].split() else ""
        if len(digest) != 64:
            return None
        return {"mode": output[0].strip(), "sha256": digest}
