"""Finding and ending the testbed's processes: by netns, by chroot root, by marker."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

from .layout import HOST_MOUNT_RE, MIRROR_MARKER, PARTIAL_ROOTFS_RE
from .shell import run


def _all_pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()]


def pids_in_netns(netns: str) -> set[int]:
    out = run(["ip", "netns", "pids", netns], check=False).stdout or ""
    return {int(p) for p in out.split() if p.isdigit()}


def _root_of(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/root")
    except OSError:
        return ""


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def pids_chrooted(host_names: set[str] | None = None) -> set[int]:
    """Processes whose root is a host root (of the named hosts, or of any host)."""
    found = set()
    for pid in _all_pids():
        match = HOST_MOUNT_RE.search(_root_of(pid) + "/")
        if match and (host_names is None or match.group(1) in host_names):
            found.add(pid)
    return found


def pids_building(state: Path | None) -> set[int]:
    """Unfinished cache builds: chrooted into a partial root, or writing a .partial dir."""
    found = {pid for pid in _all_pids() if PARTIAL_ROOTFS_RE.search(_root_of(pid) + "/")}
    if state is not None:
        needle = f"{state}/".encode()
        found |= {pid for pid in _all_pids()
                  if needle in cmdline(pid) and b".partial" in cmdline(pid)}  # fmt: skip
    return found


def mirror_server_pids() -> set[int]:
    return {pid for pid in _all_pids() if MIRROR_MARKER.encode() in cmdline(pid)}


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def terminate(find: Callable[[], set[int]], grace: float = 3.0) -> None:
    """SIGTERM what `find` returns, then SIGKILL what is left after `grace` seconds."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 1.0), (signal.SIGKILL, 1.0)):
        pids = {p for p in find() if _alive(p)}
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and any(_alive(p) for p in find()):
            time.sleep(0.1)
