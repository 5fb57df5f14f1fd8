"""``~/.ai-client/.version-lock``, even when the server is converged in the same run.

When a fleet is converged in one run, a client is planned before its server exists, so
the server's Ollama version (for an unpinned server) is unknown while planning. The lock
is then written when this step executes, after every server step has run, from what the
server answers at that moment.

A pinned server's version is known while planning, but it is what the server should run,
not what it runs: a pin that failed its check was rolled back (``rollback.py``), and the
server serves the version it kept. So the pin only says whether the lock is already right
(a no-op run reads the lock in the probe and sends nothing more); when the lock would
change, it is written at execution from what the server answers then, as above, and from
the pin only if the server gives no answer.

The server's answer is input like any other: only a version (``is_version``) is written,
so a server cannot put a command into the file (``0.14.2;touch x``); anything else
fails the step with a sentence and writes nothing.
"""

from __future__ import annotations

import shlex
from io import StringIO

from pyinfra import host
from pyinfra.api import FunctionCommand
from pyinfra.api.exceptions import OperationError

from remote_ollama import render
from remote_ollama.compat import verdict
from remote_ollama.facts.client import ServerReachability
from remote_ollama.facts.files import ManagedFile
from remote_ollama.probe import fact
from remote_ollama.settings import is_version
from remote_ollama.step import operation


def checked_version(reported, base_url: str) -> str | None:
    """What the server reported, if it is a version (or None: it said none)."""
    if reported is None or is_version(reported):
        return reported
    shown = repr(reported)[:80]
    raise OperationError(
        f"the server at {base_url} reports Ollama version {shown}, which is not a version "
        "like '0.14.2'; the version lock was not written. Check what answers at that address."
    )


def lock_text(claude_code: str, ollama: str | None) -> str:
    return render.version_lock(claude_code, ollama, verdict(claude_code, ollama))


@operation()
def version_lock(path: str, claude_code: str, ollama: str | None, base_url: str,
                 allow_broken: bool = False):
    """Record the Claude Code and Ollama versions and the matrix's verdict on the pair.

    + path: the lock file
    + claude_code: the pinned Claude Code version
    + ollama: the Ollama version if known while planning (a pin or what the server said):
      the lock is left alone if it already records it
    + base_url: the server, asked when this step executes whenever the lock is written
      (a server that does not answer: ``ollama`` is written)
    + allow_broken: write the lock even for a pair the matrix marks broken

    Example:

    .. code:: python

        version_lock(path="/Users/me/.ai-client/.version-lock", claude_code="2.1.332",
                     ollama=None, base_url="http://ai-server:11434")
    """
    ollama = checked_version(ollama, base_url)
    if ollama is not None:
        current = fact(ManagedFile, path=path)
        if current is not None and current["content"] == lock_text(claude_code, ollama):
            host.noop("the version lock is up to date")
            return
    # issue 15: what the server runs when this step executes (after a rollback, not the pin)
    yield FunctionCommand(_write_from_server,
                          (path, claude_code, base_url, allow_broken, ollama), {})


def _write_from_server(path: str, claude_code: str, base_url: str, allow_broken: bool,
                       planned: str | None = None) -> None:
    reported = host.get_fact(ServerReachability, base_url=base_url).get("version")
    ollama = checked_version(reported, base_url) or planned
    found = verdict(claude_code, ollama)
    if found.status == "broken" and not allow_broken:
        raise OperationError(
            f"Claude Code {claude_code} with Ollama {ollama} is known to be broken "
            f"({found.note}); the lock was not written. Change a pin or set "
            "allow_incompatible_versions=True."
        )
    content = render.version_lock(claude_code, ollama, found)
    current = host.get_fact(ManagedFile, path=path)
    if current is None or current["content"] != content:
        host.put_file(StringIO(content), path)
        host.run_shell_command(f"chmod 644 {shlex.quote(path)}")
