"""The content and mode of files the deploys manage, read in one command."""

from __future__ import annotations

import shlex

from pyinfra.api import FactBase

ABSENT = "@@remote-ollama-absent@@"
EOF_MARK = "@@remote-ollama-eof@@"  # also closes a last line that has no newline


def mode_of(quoted: str) -> str:
    """Shell printing a file's octal mode, following links: GNU ``stat -c`` first (GNU
    ``stat -f`` means filesystem status), then BSD ``stat -f`` (macOS)."""
    return f"(stat -L -c %a {quoted} 2>/dev/null || stat -L -f %Lp {quoted})"


class ManagedFile(FactBase):
    """``{"mode": "644", "content": "..."}`` for a text file, or None when it is absent.

    Reads both in one command so a deploy can compare what it would write with what is
    there without a checksum round trip.

        current = host.get_fact(ManagedFile, path="/Users/me/.ai-client/env")
    """

    def command(self, path: str) -> str:
        quoted = shlex.quote(path)
        return (
            f"if [ -f {quoted} ]; then "
            f"{mode_of(quoted)}; cat {quoted}; "
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


class ManagedFiles(FactBase):
    """``{path: ManagedFile's value}`` for many files, read with one ``stat`` and one ``cat``.

    The probe reads every managed file of a host this way: two programs instead of two per
    file. ``stat`` gives each file's mode and size, ``cat`` their contents back to back,
    split again by those sizes. None when the answer does not add up (a file changed
    between the two reads): the caller reads the files one by one instead.

        host.get_fact(ManagedFiles, paths=["/Users/me/.zshrc", "/Users/me/.zprofile"])
    """

    def command(self, paths: list[str]) -> str:
        quoted = " ".join(shlex.quote(p) for p in paths)
        return (
            f'set --; for p in {quoted}; do if [ -f "$p" ]; then set -- "$@" "$p"; fi; done; '
            "echo '@@stat'; if [ $# -gt 0 ]; then "
            "(stat -L -c '%a %s %n' \"$@\" 2>/dev/null || stat -L -f '%Lp %z %N' \"$@\"); fi; "
            "echo '@@content'; if [ $# -gt 0 ]; then cat \"$@\"; fi; "
            f"echo '{EOF_MARK}'"
        )

    def process(self, output) -> dict[str, dict] | None:
        output = list(output)
        if "@@stat" not in output or "@@content" not in output:
            return None
        start, middle = output.index("@@stat"), output.index("@@content")
        files = []
        for line in output[start + 1 : middle]:
            mode, size, path = [*line.split(" ", 2), "", ""][:3]
            if not (mode.isdigit() and size.isdigit() and path):
                return None
            files.append((path, mode, int(size)))
        rest = output[middle + 1 :]
        while rest and rest[-1] == "":  # a final newline after the EOF marker, if given
            rest.pop()
        joined = "\n".join(rest)
        if not joined.endswith(EOF_MARK):
            return None
        data = joined[: -len(EOF_MARK)].encode("utf-8", "surrogateescape")  # bytes as read
        if sum(size for _, _, size in files) != len(data):
            return None
        found, offset = {}, 0
        for path, mode, size in files:
            content = data[offset : offset + size].decode("utf-8", "surrogateescape")
            found[path] = {"mode": mode, "content": content}
            offset += size
        return found


class PathExists(FactBase):
    """Whether a path exists (file, directory or symlink target).

        host.get_fact(PathExists, path="/opt/homebrew/bin/brew")
    """

    def command(self, path: str) -> str:
        return f"if [ -e {shlex.quote(path)} ]; then echo yes; else echo no; fi"

    def process(self, output) -> bool:
        return bool(output) and output[0].strip() == "yes"


class PathsExist(FactBase):
    """``{path: bool}`` for many paths, with shell builtins only (the probe's batch of
    ``PathExists``).

        host.get_fact(PathsExist, paths=["/opt/homebrew/bin/brew", "/usr/local/bin/brew"])
    """

    def command(self, paths: list[str]) -> str:
        quoted = " ".join(shlex.quote(p) for p in paths)
        return f'for p in {quoted}; do if [ -e "$p" ]; then echo "yes $p"; else echo "no $p"; fi; done'

    def process(self, output) -> dict[str, bool]:
        found = {}
        for line in output:
            answer, _, path = line.partition(" ")
            if answer in ("yes", "no") and path:
                found[path] = answer == "yes"
        return found


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
            f"{mode_of(quoted)}; "
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
