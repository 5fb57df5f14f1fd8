"""launchd job state from ``launchctl print``."""

from __future__ import annotations

import re

from pyinfra.api import FactBase

# gui/<uid>/label, user/<uid>/label or system/label; $(id -u) may stand for the uid.
TARGET_RE = re.compile(r"^(?:system|(?:gui|user)/(?:\d+|\$\(id -u\)))/[A-Za-z0-9.-]+$")


class LaunchdJob(FactBase):
    """State of one job: ``{"loaded": True, "state": "running", "pid": 123, ...}``.

    ``target`` is a service target like ``gui/501/com.remote-ollama.ollama`` or
    ``system/com.remote-ollama.ollama``; ``$(id -u)`` in it is expanded by the shell.
    ``launchctl print`` exits non-zero ("Could not find service") for an absent job, so
    the exit code is printed last and ``{"loaded": False}`` is the answer then.

        job = host.get_fact(LaunchdJob, target="system/com.remote-ollama.ollama")
    """

    accepts_failure = True

    def requires_command(self, target: str) -> str:
        return "launchctl"

    def command(self, target: str) -> str:
        if not TARGET_RE.fullmatch(target):
            raise ValueError(f"not a launchd service target: {target!r}")
        return f'launchctl print "{target}" 2>&1; echo "@@rc=$?"'

    def process(self, output) -> dict:
        code = next((ln[5:] for ln in reversed(output) if ln.startswith("@@rc=")), "1")
        if code != "0":
            return {"loaded": False}
        text = "\n".join(output)
        job: dict = {"loaded": True, "state": None, "pid": None, "program": None}
        for key, pattern in (
            ("state", r"^\s*state = (\S+)"),
            ("pid", r"^\s*pid = (\d+)"),
            ("program", r"^\s*program = (.+)$"),
            ("last_exit", r"^\s*last exit code = (.+)$"),
        ):
            match = re.search(pattern, text, re.MULTILINE)
            if match:
                job[key] = int(match.group(1)) if key == "pid" else match.group(1).strip()
        return job
