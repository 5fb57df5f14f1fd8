"""Files and folders as they are on the host: managed files read exactly, digests, paths
that exist, symlinks and directory listings."""

from __future__ import annotations

import base64
import re
import shlex
from typing import TypedDict

from remote_ollama.facts.base import ProbeFact


class FileState(TypedDict):
    """``ManagedFile``'s value (and each of ``ManagedFiles``')."""

    mode: str  # octal, e.g. "644"
    links: int  # hard links
    content: str  # ``decode``d bytes


class Symlink(TypedDict, total=False):
    """``SymlinkTarget``'s value."""

    kind: str  # "link", "other" or "absent"
    target: str  # only for "link"


class Digest(TypedDict):
    """``FileDigest``'s value."""

    mode: str
    sha256: str

ABSENT = "@@remote-ollama-absent@@"
EOF_MARK = "@@remote-ollama-eof@@"  # after the content: the read finished
SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def mode_of(quoted: str) -> str:
    """Shell printing a file's octal mode, following links: GNU ``stat -c`` first (GNU
    ``stat -f`` means filesystem status), then BSD ``stat -f`` (macOS)."""
    return f"{{ stat -L -c %a {quoted} 2>/dev/null || stat -L -f %Lp {quoted}; }}"


def mode_and_links_of(quoted: str) -> str:
    """Shell printing ``<octal mode> <hard links>`` of a file, following symlinks (GNU
    ``stat -c '%a %h'``, then BSD ``stat -f '%Lp %l'``: ``l`` is ``st_nlink`` in BSD stat(1))."""
    return f"{{ stat -L -c '%a %h' {quoted} 2>/dev/null || stat -L -f '%Lp %l' {quoted}; }}"


def decode(data: bytes) -> str:
    """A file's bytes as text, losslessly: bytes that are not UTF-8 become lone surrogates
    (``surrogateescape``), so ``encode`` gives back exactly the bytes that were read."""
    return data.decode("utf-8", "surrogateescape")


def encode(text: str) -> bytes:
    """The bytes of a text read with ``decode`` (or written by us), exactly."""
    return text.encode("utf-8", "surrogateescape")


def _base64(lines: list[str]) -> bytes | None:
    try:
        return base64.b64decode("".join(line.strip() for line in lines), validate=True)
    except ValueError:
        return None


def _raw(lines: list[str]) -> bytes | None:
    """The bytes ``cat`` printed before ``printf '\\n<EOF_MARK>'``, from the lines the
    probe split them into (on ``\\n`` only, bytes kept as surrogates: ``probe.unfold``);
    None without the marker. The caller's sizes say where the content ends: the marker is
    not searched for, so a file holding a marker line cannot cut it short."""
    data = encode("\n".join(lines))
    tail = b"\n" + EOF_MARK.encode()
    return data[: -len(tail)] if data.endswith(tail) else None


def _stat_record(line: str, batch: bool) -> tuple[str, str, int, int | None] | None:
    """A stat line as (path, mode, links, size): ``644 1`` for one file (no path; its size
    is all the content), ``644 1 12 /p a`` in a batch. None when it is not that."""
    fields = line.split(" ", 3) if batch else line.split()[:2]
    mode, links, size, path = [*fields, "", "", ""][:4]
    if not (mode.isdigit() and links.isdigit()) or (batch and not (size.isdigit() and path)):
        return None
    return path, mode, int(links), int(size) if batch else None


def _files(stat_lines: list[str], data: bytes | None, batch: bool) -> dict[str, FileState] | None:
    """The parser of ``ManagedFile`` and ``ManagedFiles``: stat lines, then the files'
    bytes back to back (``data``), each ``{path: FileState}``. None when a stat line is not
    one, there are no bytes (``None``: not base64, no end marker), or the sizes do not add
    up to them."""
    records = [_stat_record(line, batch) for line in stat_lines]
    if data is None or None in records:
        return None
    sizes = [len(data) if size is None else size for *_, size in records]
    if sum(sizes) != len(data):
        return None
    found, offset = {}, 0
    for (path, mode, links, _), size in zip(records, sizes, strict=True):
        content = decode(data[offset : offset + size])
        found[path] = {"mode": mode, "links": links, "content": content}
        offset += size
    return found


class ManagedFile(ProbeFact["FileState | None"]):
    """``{"mode": "644", "links": 1, "content": "..."}`` for a regular file (symlinks
    followed), or None when it is absent.

    The content is read as base64 (``base64 < file``: GNU coreutils wraps at 76 columns;
    macOS's reads stdin and writes one unbroken line, e.g. javanibble.com's "Essential Base64
    Commands"; both decode the same), so every byte arrives as it is in the file: CR, no final
    newline, bytes that are not UTF-8 (which would stop pyinfra reading the output at all).
    The probe reads files with ``ManagedFiles(raw=True)`` instead: its whole output travels
    as base64 already (``probe.ENCODE``). ``content`` is ``decode``d: text
    for UTF-8 files, lone surrogates for other bytes. ``links`` is the hard-link count.

        current = host.get_fact(ManagedFile, path="/Users/me/.ai-client/env")
    """

    def command(self, path: str) -> str:
        quoted = shlex.quote(path)
        return (
            f"if [ -f {quoted} ]; then "
            f"{mode_and_links_of(quoted)} && base64 < {quoted} && echo '{EOF_MARK}'; "
            f"else echo '{ABSENT}'; fi"
        )

    def process(self, output) -> FileState | None:
        output = list(output)
        if not output or output[0] == ABSENT or EOF_MARK not in output:
            return None
        found = _files(output[:1], _base64(output[1 : output.index(EOF_MARK)]), batch=False)
        return found[""] if found else None


class ManagedFiles(ProbeFact["dict[str, FileState] | None"]):
    """``{path: ManagedFile's value}`` for many files, read with one ``stat`` and one ``cat``
    (and one ``base64``, unless ``raw``).

    The probe reads every managed file of a host this way: two or three programs instead
    of three per file. ``stat`` gives each file's mode, links and size, ``cat`` their
    contents back to back, split again by those sizes. The contents are sent as base64
    (see ``ManagedFile``), or with ``raw=True`` as they are, followed by a newline and the
    end marker: only for a command whose output travels as base64 anyway, which the
    probe's does (``probe.ENCODE``); pyinfra alone reads output as UTF-8 lines. None when
    the answer does not add up (a file changed between the two reads): the caller reads
    the files one by one instead.

        host.get_fact(ManagedFiles, paths=["/Users/me/.zshrc", "/Users/me/.zprofile"])
    """

    def command(self, paths: list[str], raw: bool = False) -> str:
        quoted = " ".join(shlex.quote(p) for p in paths)
        found = 'if [ $# -gt 0 ]; then cat "$@"; fi'
        contents = (
            f"echo '@@raw'; {found}; printf '\\n%s\\n' '{EOF_MARK}'" if raw
            else f"echo '@@content'; {{ {found}; }} | base64 && echo '{EOF_MARK}'"
        )
        return (
            f'set --; for p in {quoted}; do if [ -f "$p" ]; then set -- "$@" "$p"; fi; done; '
            "echo '@@stat'; if [ $# -gt 0 ]; then "
            "{ stat -L -c '%a %h %s %n' \"$@\" 2>/dev/null || stat -L -f '%Lp %l %z %N' \"$@\"; }; "
            f"fi; {contents}"
        )

    def process(self, output) -> dict[str, FileState] | None:
        output = list(output)
        if "@@stat" not in output:
            return None
        start = output.index("@@stat")
        # The first line after the stat lines that is a marker (no stat line is one); any
        # line after it is content, which can be anything in a raw read.
        middle = next((i for i in range(start + 1, len(output))
                       if output[i] in ("@@content", "@@raw")), None)  # fmt: skip
        if middle is None:
            return None
        if output[middle] == "@@raw":
            data = _raw(output[middle + 1 :])
        elif EOF_MARK in output[middle:]:
            data = _base64(output[middle + 1 : output.index(EOF_MARK, middle)])
        else:
            return None
        return _files(output[start + 1 : middle], data, batch=True)


class PathExists(ProbeFact[bool]):
    """Whether a path exists (file, directory or symlink target).

        host.get_fact(PathExists, path="/opt/homebrew/bin/brew")
    """

    def command(self, path: str) -> str:
        return f"if [ -e {shlex.quote(path)} ]; then echo yes; else echo no; fi"

    def process(self, output) -> bool:
        return bool(output) and output[0].strip() == "yes"


class PathsExist(ProbeFact["dict[str, bool] | None"]):
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


class FileDigest(ProbeFact["Digest | None"]):
    """``{"mode": "755", "sha256": "..."}`` of a file, or None when it is absent.

    For files the deploy ships whole (the contract check is ~900 lines): comparing a
    digest keeps the probe's output, and the controller's work, small.
    ``sha256sum`` (GNU) is tried first, then ``openssl dgst -sha256 -r`` (macOS has no
    sha256sum; its ``shasum`` is a Perl script, a Perl start on every probe), then
    ``shasum -a 256``. ``-r`` is OpenSSL's "coreutils format", ``<hex> *<path>``
    (openssl-dgst(1); openssl/openssl#13983 shows the bytes); a digest after ``= `` (the
    format without ``-r``: ``SHA2-256(<path>)= <hex>``) is read too.

        host.get_fact(FileDigest, path="/Users/me/.local/share/remote-ollama/contract.py")
    """

    def command(self, path: str) -> str:
        quoted = shlex.quote(path)
        return (
            f"if [ -f {quoted} ]; then "
            f"{mode_of(quoted)}; "
            f"{{ sha256sum {quoted} 2>/dev/null || openssl dgst -sha256 -r {quoted} 2>/dev/null "
            f"|| shasum -a 256 {quoted}; }}; "
            f"else echo '{ABSENT}'; fi"
        )

    def process(self, output) -> Digest | None:
        if len(output) < 2 or output[0] == ABSENT or not output[0].strip().isdigit():
            return None
        words = output[1].split()
        candidates = [words[0]] if words else []
        if "= " in output[1]:
            candidates.append(output[1].rsplit("= ", 1)[1].strip())
        digest = next((c for c in candidates if SHA256_HEX.fullmatch(c)), None)
        return {"mode": output[0].strip(), "sha256": digest} if digest else None


class SymlinkTarget(ProbeFact["Symlink | None"]):
    """What is at a path: ``{"kind": "link", "target": "/x"}``, ``{"kind": "other"}`` or
    ``{"kind": "absent"}``. Used to touch ``~/.local/bin/claude`` only when it is ours.

        host.get_fact(SymlinkTarget, path="/Users/me/.local/bin/claude")
    """

    def command(self, path: str) -> str:
        quoted = shlex.quote(path)
        return (
            f"if [ -L {quoted} ]; then echo link; readlink {quoted}; "
            f"elif [ -e {quoted} ]; then echo other; else echo absent; fi"
        )

    def process(self, output) -> Symlink:
        kind = output[0].strip() if output else ""
        if kind == "link" and len(output) > 1 and output[1].strip():
            return {"kind": "link", "target": output[1].strip()}
        if kind == "other":
            return {"kind": "other"}
        return {"kind": "absent"}


class DirectoryEntries(ProbeFact["list[str] | None"]):
    """Names in a directory (hidden ones too), sorted; None when it does not exist.

    host.get_fact(DirectoryEntries, path="/Users/me/.local/share/remote-ollama/claude-code")
    """

    def command(self, path: str) -> str:  # globs, not ls: no program to start
        quoted = shlex.quote(path)
        return (
            f"if [ -d {quoted} ]; then echo dir; for f in {quoted}/* {quoted}/.[!.]* "
            f'{quoted}/..?*; do if [ -e "$f" ] || [ -L "$f" ]; then echo "${{f##*/}}"; fi; '
            "done; else echo absent; fi"
        )

    def process(self, output) -> list[str] | None:
        if not output or output[0].strip() != "dir":
            return None
        return sorted(line.strip() for line in output[1:] if line.strip())
