"""Running commands on the controller, with readable errors."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys

CLEAN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def say(message: str) -> None:
    print(f"[fleet] {message}", file=sys.stderr, flush=True)


def run(
    args: list[str],
    *,
    check: bool = True,
    capture: bool = True,
    env: dict[str, str] | None = None,
    timeout: float | None = None,
    input: str | None = None,
    cwd: str | os.PathLike | None = None,
) -> subprocess.CompletedProcess:
    """Run a command; on failure raise an error that shows the command and its stderr."""
    result = subprocess.run(
        args,
        check=False,
        text=True,
        capture_output=capture,
        env=env,
        timeout=timeout,
        input=input,
        cwd=cwd,
    )
    if check and result.returncode != 0:
        detail = (result.stderr or result.stdout or "").strip()
        raise RuntimeError(f"`{shlex.join(args)}` exited {result.returncode}: {detail}")
    return result


def clean_env(**extra: str) -> dict[str, str]:
    """A minimal environment for commands run inside hosts (no controller leakage)."""
    env = {"PATH": CLEAN_PATH, "LANG": "C.UTF-8", "TERM": os.environ.get("TERM", "dumb")}
    env.update(extra)
    return env
