"""Files with exact content and mode, compared against the probe's reading."""

from __future__ import annotations

import hashlib
import posixpath
import shlex
from io import StringIO

from pyinfra import host
from pyinfra.api import FileUploadCommand, OperationError

from remote_ollama.facts.files import FileDigest, ManagedFile, PathExists
from remote_ollama.probe import fact
from remote_ollama.step import operation


def write_commands(path: str, content: str, mode: str):
    """The commands that (re)write a file: its folder, the upload, the mode."""
    yield f"mkdir -p {shlex.quote(posixpath.dirname(path))}"
    yield FileUploadCommand(
        StringIO(content), path, remote_temp_filename=host.get_temp_filename(path)
    )
    yield f"chmod {mode} {shlex.quote(path)}"


def converge_file(path: str, content: str, mode: str, current_mode: str | None, same: bool):
    """Rewrite a file whose content differs, else fix only its mode, else nothing."""
    if not same:
        yield from write_commands(path, content, mode)
    elif current_mode != mode:
        yield f"chmod {mode} {shlex.quote(path)}"
    else:
        host.noop(f"{path} is up to date")


@operation()
def file_content(path: str, content: str, mode: str = "644"):
    """Make ``path`` hold exactly ``content`` with ``mode``; upload only when it differs.

    + path: absolute path on the host
    + content: the full text of the file
    + mode: octal permission string

    Example:

    .. code:: python

        file_content(name="Write the env file", path="/Users/me/.ai-client/env",
                     content="export OPENAI_API_KEY=ollama\\n", mode="600")
    """
    current = fact(ManagedFile, path=path)
    same = current is not None and current["content"] == content
    yield from converge_file(path, content, mode, current and current["mode"], same)


@operation()
def shipped_file(path: str, content: str, mode: str = "644"):
    """Like ``file_content`` for large files: compares a sha256 instead of the content.

    + path: absolute path on the host
    + content: the full text of the file
    + mode: octal permission string

    Example:

    .. code:: python

        shipped_file(path="/Users/me/.local/share/remote-ollama/contract.py",
                     content=open("remote_ollama/contract.py").read(), mode="755")
    """
    current = fact(FileDigest, path=path)
    digest = hashlib.sha256(content.encode()).hexdigest()
    same = current is not None and current["sha256"] == digest
    yield from converge_file(path, content, mode, current and current["mode"], same)


# Where the deploys keep whole folders of their own (Claude Code's versions, uv/pipx venvs):
# the only place a folder is ever removed with its contents.
OUR_FOLDERS = "/.local/share/remote-ollama/"


# Deletion rule (issue 13), for every `rm` in the package: remove only what the deploy
# created, by exact name (our files, plists, links, and scratch folders named after them);
# never a user-chosen directory recursively (``rmdir`` of one we created, once empty, at
# most); recursive removal only inside our own folders (``our_folder_absent``).
# tests/unit/test_deletion.py counts every recursive removal and names why each is ours.


@operation()
def file_absent(path: str):
    """Remove one file or link, by its exact name, if it exists. Never a directory: ``rm -f``
    without ``-r`` (a directory at ``path`` fails the step and is left as it is).

    + path: absolute path on the host

    Example:

    .. code:: python

        file_absent(path="/Users/me/.ai-client/env")
    """
    if fact(PathExists, path=path):
        yield f"rm -f {shlex.quote(path)}"
    else:
        host.noop(f"{path} is already absent")


@operation()
def files_absent(paths: list[str]):
    """``file_absent`` for several exact files, as one operation.

    + paths: absolute paths on the host

    Example:

    .. code:: python

        files_absent(paths=["/Users/me/Library/Logs/remote-ollama/ollama.out.log",
                            "/Users/me/Library/Logs/remote-ollama/ollama.err.log"])
    """
    present = [p for p in paths if fact(PathExists, path=p)]
    if present:
        yield "rm -f " + " ".join(shlex.quote(p) for p in present)
    else:
        host.noop(f"{', '.join(paths)}: already absent")


@operation()
def our_folder_absent(path: str):
    """Remove a folder that only the deploy writes into, with its contents. Refused (an
    error, nothing removed) unless ``path`` is inside ``OUR_FOLDERS``.

    + path: absolute path, e.g. ``/Users/me/.local/share/remote-ollama/claude-code``

    Example:

    .. code:: python

        our_folder_absent(path="/Users/me/.local/share/remote-ollama/claude-code")
    """
    parts = path.split("/")
    if OUR_FOLDERS not in path or ".." in parts or "." in parts or path.endswith("/"):
        raise OperationError(f"{path!r} is not a folder of remote-ollama's own "
                             f"(inside ~{OUR_FOLDERS}); it was not removed.")  # fmt: skip
    if fact(PathExists, path=path):
        yield f"rm -rf {shlex.quote(path)}"
    else:
        host.noop(f"{path} is already absent")


@operation()
def directory(path: str, mode: str = "755"):
    """Ensure a directory exists.

    + path: absolute path on the host
    + mode: octal permission string applied when it is created

    Example:

    .. code:: python

        directory(path="/Users/me/Library/Logs/remote-ollama")
    """
    if not fact(PathExists, path=path):
        yield f"mkdir -p -m {mode} {shlex.quote(path)}"
    else:
        host.noop(f"{path} exists")
