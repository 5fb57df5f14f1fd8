"""A host's root: an overlay of the cached Debian root with its own /proc, /dev, /sys, /tmp.

Also the host's UTS namespace (its hostname), kept alive by a bind mount under
/run/ro-testbed/uts/<name>, the same trick `ip netns` uses for network namespaces.
"""

from __future__ import annotations

import os
from pathlib import Path

from .layout import UTS_DIR, Host
from .mounts import is_mounted
from .shell import run

DEVICES = {"null": (1, 3), "zero": (1, 5), "full": (1, 7), "random": (1, 8),
           "urandom": (1, 9), "tty": (5, 0)}  # fmt: skip
DEV_LINKS = {"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
             "stderr": "/proc/self/fd/2", "ptmx": "pts/ptmx"}  # fmt: skip


def host_dir(state: Path, name: str) -> Path:
    return state / "hosts" / name


def root_of(state: Path, name: str) -> Path:
    return host_dir(state, name) / "root"


def ensure_overlay(state: Path, host: Host, rootfs: Path) -> Path:
    """Mount the host's overlay (upper layer kept under the host dir); return its root."""
    base = host_dir(state, host.name)
    root = base / "root"
    for sub in ("upper", "work", "root"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    (base / "lower").write_text(f"{rootfs}\n")
    if not is_mounted(root):
        options = f"lowerdir={rootfs},upperdir={base / 'upper'},workdir={base / 'work'}"
        run(["mount", "-t", "overlay", "overlay", "-o", options, str(root)])
    return root


def recorded_lower(state: Path, name: str) -> str | None:
    lower = host_dir(state, name) / "lower"
    return lower.read_text().strip() if lower.exists() else None


def _mount(fstype: str, target: Path, options: str) -> None:
    target.mkdir(parents=True, exist_ok=True)
    if not is_mounted(target):
        run(["mount", "-t", fstype, "-o", options, fstype, str(target)])


def ensure_pseudo_filesystems(root: Path) -> None:
    """/proc, a private /dev with its own ptys, read-only /sys, and tmpfs /tmp and /run."""
    _mount("proc", root / "proc", "nosuid,nodev,noexec")
    _mount("sysfs", root / "sys", "ro,nosuid,nodev,noexec")
    _mount("tmpfs", root / "dev", "nosuid,mode=755,size=16m")
    dev = root / "dev"
    for name, (major, minor) in DEVICES.items():
        node = dev / name
        if not node.exists():
            os.mknod(node, 0o666 | 0o020000, os.makedev(major, minor))
            node.chmod(0o666)
    for name, target in DEV_LINKS.items():
        if not (dev / name).is_symlink():
            (dev / name).symlink_to(target)
    _mount("devpts", dev / "pts", "newinstance,ptmxmode=0666,mode=620,gid=5,nosuid,noexec")
    _mount("tmpfs", dev / "shm", "nosuid,nodev,mode=1777,size=256m")
    _mount("tmpfs", root / "tmp", "nosuid,nodev,mode=1777,size=4g")
    _mount("tmpfs", root / "run", "nosuid,nodev,mode=755,size=64m")
    for sub, mode in (("sshd", 0o755), ("lock", 0o1777), ("user", 0o755)):
        (root / "run" / sub).mkdir(exist_ok=True)
        (root / "run" / sub).chmod(mode)


def uts_file(name: str) -> Path:
    return UTS_DIR / name


def ensure_uts(host: Host) -> Path:
    """A UTS namespace whose hostname is the host's name, pinned by a bind mount."""
    UTS_DIR.mkdir(parents=True, exist_ok=True)
    if not is_mounted(UTS_DIR):
        run(["mount", "--bind", str(UTS_DIR), str(UTS_DIR)])
        run(["mount", "--make-private", str(UTS_DIR)])
    pinned = uts_file(host.name)
    if not is_mounted(pinned):
        pinned.touch()
        run(["unshare", f"--uts={pinned}", "hostname", host.name])
    return pinned
