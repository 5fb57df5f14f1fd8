"""Run one custom operation against given facts and collect the commands it yields."""

from __future__ import annotations

import contextlib
import importlib
import sys
from unittest import mock

from pyinfra.api.command import FileUploadCommand, StringCommand

from remote_ollama.facts.files import decode


class FakeHost:
    name = "test-host"

    def __init__(self):
        self.noops: list[str] = []

    def noop(self, message: str) -> None:
        self.noops.append(message)

    def get_temp_filename(self, path: str) -> str:
        return f"/tmp/pyinfra-{abs(hash(path))}"


def run_op(op, facts: dict, **kwargs) -> list[str]:
    """Commands ``op`` yields when facts answer from ``facts``: {(FactClass, kw-tuple): value}.

    The kw-tuple is ``tuple(sorted(kwargs.items()))`` of the fact's arguments. The facts
    and host are also those of every operations module loaded, for an op that runs another
    one's body (``aider_link`` runs ``claude_code.command_link``'s).
    """
    importlib.import_module(op.__module__)

    def fake_fact(cls, host=None, **fact_kwargs):
        return facts[(cls, tuple(sorted(fact_kwargs.items())))]

    fake_host = FakeHost()
    modules = [m for name, m in list(sys.modules.items())
               if name.startswith("remote_ollama.operations.") and hasattr(m, "fact")]
    with contextlib.ExitStack() as stack:
        for module in modules:
            stack.enter_context(mock.patch.object(module, "fact", fake_fact))
            if hasattr(module, "host"):
                stack.enter_context(mock.patch.object(module, "host", fake_host))
        return [_text(c) for c in op._inner(**kwargs)]


def _text(command) -> str:
    if isinstance(command, FileUploadCommand):
        content = command.src.getvalue()
        content = decode(content) if isinstance(content, bytes) else content  # profiles: bytes
        return f"UPLOAD {command.dest}\n{content}"
    if isinstance(command, StringCommand):
        return command.get_raw_value()
    return str(command)


def key(cls, **kwargs):
    return (cls, tuple(sorted(kwargs.items())))
