"""What a server reports is input too: its Ollama version goes into the client's version lock.

``outcome(reported)`` runs the lock step as it executes on a client (the server's answer
given) and sources whatever it wrote: ``rejected`` when the step refused the answer and
wrote nothing, ``safe`` when the lock it wrote sets exactly its four variables.
"""

from __future__ import annotations

import typing
from unittest import mock

from pyinfra.api.exceptions import OperationError

from remote_ollama.facts.client import ServerReachability
from remote_ollama.facts.files import ManagedFile
from remote_ollama.operations import version_lock
from tests.hostile import shells

LOCK = "/h/.ai-client/.version-lock"


class _ExecutingHost:
    def __init__(self, reported):
        self.facts = {ServerReachability: {"version": reported, "models": 200}, ManagedFile: None}
        self.uploads: dict[str, str] = {}

    def get_fact(self, cls, **kwargs):
        return self.facts[cls]

    def put_file(self, src, dest):
        self.uploads[dest] = src.getvalue()

    def run_shell_command(self, command):
        pass


def outcome(reported, shells_to_use: list[str] | None = None) -> str:
    host = _ExecutingHost(reported)
    try:
        with mock.patch.object(version_lock, "host", host):
            version_lock._write_from_server(LOCK, "2.1.332", "http://ai-server:11434", True)
    except OperationError:
        return "rejected" if not host.uploads else "unsafe: wrote, then failed"
    except Exception as error:  # a crash is what is being counted
        return f"crash: {type(error).__name__}: {error}"
    text = host.uploads.get(LOCK)
    if text is None:
        return "unsafe: no lock and no error"
    names = ["CLAUDE_CODE_VERSION", "OLLAMA_VERSION", "TESTED_DATE", "STATUS"]
    for shell in shells_to_use or shells.available():
        found = shells.source_all(shell, {"lock": text}, ["lock"], names)
        expected = {"CLAUDE_CODE_VERSION": "2.1.332", "OLLAMA_VERSION": reported or "unknown"}
        problems = found.problems(expected, may_change={"TESTED_DATE", "STATUS"})
        if problems:
            return "unsafe: " + "; ".join(problems)
    return "safe"


CASES: dict[str, typing.Callable[[], list]] = {
    "Ollama version reported by the server (into the version lock)": lambda: [
        "0.14.2", "0.14.2-rc1", None, "0.14.2;touch pwned", "0.14.2\ntouch pwned",
        "$(touch pwned)", "`touch pwned`", "0.14.2'", '0.14.2"', "0.14.2 && touch pwned",
        "", " ", "0.14.2\n", "x" * 100_000, "0.14.2\x00", "\u2028", "0.14.2#", 14, 0.14,
        ["0.14.2"], {"v": 1},
    ],
}
