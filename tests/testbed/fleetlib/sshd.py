"""Each host's own sshd: `nsenter` into its netns and UTS ns, `chroot`, `/usr/sbin/sshd`."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

from .enter import as_root
from .layout import Host
from .shell import clean_env, run


def sshd_pid(root: Path) -> int | None:
    """The pid of the host's listening sshd, from its pidfile, if that process lives."""
    pidfile = root / "run/sshd.pid"
    try:
        pid = int(pidfile.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    return pid if b"sshd" in cmdline else None


def banner(ip: str, timeout: float = 2.0) -> str | None:
    """The SSH banner at ip:22, or None if nothing answers."""
    try:
        with socket.create_connection((ip, 22), timeout=timeout) as conn:
            conn.settimeout(timeout)
            return conn.recv(64).decode(errors="replace").strip()
    except OSError:
        return None


def start_sshd(host: Host, root: Path, wait: float = 15.0) -> int:
    """Start sshd unless running; wait until it answers with an SSH banner."""
    if sshd_pid(root) is None:
        run(as_root(host, root, ["/usr/sbin/sshd", "-t"]), env=clean_env())
        run(as_root(host, root, ["/usr/sbin/sshd"]), env=clean_env())
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if (banner(host.ip) or "").startswith("SSH-"):
            return sshd_pid(root) or 0
        time.sleep(0.2)
    raise RuntimeError(f"{host.name}: sshd did not answer on {host.ip}:22 within {wait:.0f}s")


def stop_sshd(root: Path) -> bool:
    """Stop the listening sshd (open sessions survive, as on a real host). True if stopped."""
    pid = sshd_pid(root)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    for _ in range(50):
        if not Path(f"/proc/{pid}").exists():
            break
        time.sleep(0.1)
    return True
