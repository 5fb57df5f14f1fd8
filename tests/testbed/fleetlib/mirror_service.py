"""Starting and checking the mirror's HTTP server on 100.64.0.254:8080."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from .layout import CONTROLLER_IP, MIRROR_MARKER, MIRROR_PORT
from .processes import cmdline, mirror_server_pids, terminate

SERVER_SCRIPT = Path(__file__).with_name("mirror_server.py")


def answering(timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((CONTROLLER_IP, MIRROR_PORT), timeout=timeout):
            return True
    except OSError:
        return False


def ensure_mirror_server(mirror: Path, log: Path) -> None:
    """Start the server unless one of ours answers; it outlives `fleet up` until `down`."""
    ours = {p for p in mirror_server_pids() if str(mirror).encode() in cmdline(p)}
    if ours and answering():
        return
    terminate(mirror_server_pids)  # one serving another state dir, or not answering
    with log.open("ab") as out:
        subprocess.Popen(
            [
                sys.executable,
                str(SERVER_SCRIPT),
                MIRROR_MARKER,
                "--bind",
                CONTROLLER_IP,
                "--port",
                str(MIRROR_PORT),
                "--root",
                str(mirror),
            ],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            start_new_session=True,
            cwd="/",
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if answering():
            return
        time.sleep(0.1)
    raise RuntimeError(f"the mirror server did not answer on {CONTROLLER_IP}:{MIRROR_PORT}; "
                       f"see {log}")  # fmt: skip
