"""Files in the user's home that we write whole (Aider's config), recognised by a header.

A file of the same name that the user wrote (no header) is moved aside to
``<path>.before-remote-ollama`` once, and moved back on uninstall.
"""

from __future__ import annotations

import shlex
from io import StringIO

from pyinfra import host
from pyinfra.api import FileUploadCommand

from remote_ollama.facts.client import DirectoryEntries
from remote_ollama.facts.files import ManagedFile, PathExists
from remote_ollama.probe import fact
from remote_ollama.step import operation

BACKUP_SUFFIX = ".before-remote-ollama"


@operation()
def owned_file(path: str, content: str, header: str, mode: str = "644"):
    """Make ``path`` hold ``content`` (which starts with ``header``); keep a user's own file.

    + path: absolute path in the user's home
    + content: the full text, starting with the ``header`` line
    + header: the first line that marks the file as ours
    + mode: the file's mode

    Example:

    .. code:: python

        owned_file(path="/Users/me/.aider.conf.yml", header="# Managed by remote-ollama",
                   content="# Managed by remote-ollama\\ncheck-update: false\\n")
    """
    current = fact(ManagedFile, path=path)
    quoted = shlex.quote(path)
    if current is not None and current["content"] == content:
        if current["mode"] != mode:
            yield f"chmod {mode} {quoted}"
        else:
            host.noop(f"{path} is up to date")
        return
    if current is not None and not current["content"].startswith(header):
        backup = shlex.quote(path + BACKUP_SUFFIX)
        yield f"[ -e {backup} ] || mv {quoted} {backup}"
    yield FileUploadCommand(
        StringIO(content), path, remote_temp_filename=host.get_temp_filename(path)
    )
    yield f"chmod {mode} {quoted}"


@operation()
def owned_files(files: list[dict]):
    """``owned_file`` for several files, as one operation (pyinfra's cost is per operation
    and host; Aider has three files, all usually unchanged).

    + files: each a dict of ``owned_file``'s arguments (path, content, header, mode)

    Example:

    .. code:: python

        owned_files(files=[
            {"path": "/Users/me/.aider.conf.yml", "header": "# Managed by remote-ollama",
             "content": "# Managed by remote-ollama\\ncheck-update: false\\n"},
        ])
    """
    for one in files:
        yield from owned_file._inner(**one)


@operation()
def owned_files_absent(files: list[dict]):
    """``owned_file_absent`` for several files, as one operation.

    + files: each a dict of ``owned_file_absent``'s arguments (path, header)

    Example:

    .. code:: python

        owned_files_absent(files=[{"path": "/Users/me/.aider.conf.yml",
                                   "header": "# Managed by remote-ollama"}])
    """
    for one in files:
        yield from owned_file_absent._inner(**one)


@operation()
def owned_file_absent(path: str, header: str):
    """Remove ``path`` only if it starts with ``header``; restore the user's file we moved.

    + path: absolute path in the user's home
    + header: the first line that marks the file as ours

    Example:

    .. code:: python

        owned_file_absent(path="/Users/me/.aider.conf.yml", header="# Managed by remote-ollama")
    """
    current = fact(ManagedFile, path=path)
    ours = current is not None and current["content"].startswith(header)
    backup = fact(PathExists, path=path + BACKUP_SUFFIX)
    if ours:
        yield f"rm -f {shlex.quote(path)}"
    if backup and (ours or current is None):
        yield f"mv {shlex.quote(path + BACKUP_SUFFIX)} {shlex.quote(path)}"
    if not ours and not (backup and current is None):
        host.noop(f"{path} is not ours (or absent)")


@operation()
def former_file_absent(path: str, sign: str):
    """Remove a file another tool left, recognised by ``sign`` in its content; a file of the
    same name without it is someone else's and stays.

    + path: absolute path in the user's home
    + sign: text the file to remove contains

    Example:

    .. code:: python

        former_file_absent(path="/Users/me/.ai-client/uninstall.sh", sign="remote-ollama")
    """
    current = fact(ManagedFile, path=path)
    if current is not None and sign in current["content"]:
        yield f"rm -f {shlex.quote(path)}"
    else:
        host.noop(f"{path} is absent (or not the one to remove)")


@operation()
def directory_absent_if_empty(path: str, ignoring: list[str] | None = None):
    """Remove a directory of ours when nothing but ``ignoring`` (removed just before) is left.

    + path: absolute directory path
    + ignoring: entry names the same run removes first

    Example:

    .. code:: python

        directory_absent_if_empty(path="/Users/me/.ai-client", ignoring=["env", ".version-lock"])
    """
    entries = fact(DirectoryEntries, path=path)
    if entries is not None and set(entries) <= set(ignoring or []):
        yield f"rmdir {shlex.quote(path)}"
    else:
        host.noop(f"{path} is absent or holds other files")
