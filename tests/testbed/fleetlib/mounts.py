"""Reading /proc/self/mountinfo and unmounting robustly."""

from __future__ import annotations

import os
import re
from collections.abc import Callable

from .shell import run


def _unescape(path: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), path)


def mount_points() -> list[str]:
    """Every mount point of this mount namespace, in mount order."""
    with open("/proc/self/mountinfo") as info:
        return [_unescape(line.split()[4]) for line in info]


def is_mounted(path: os.PathLike | str) -> bool:
    return os.fspath(path) in set(mount_points())


def unmount_matching(wanted: Callable[[str], bool]) -> list[str]:
    """Unmount every mount point `wanted` accepts, deepest first; lazily if busy.

    Returns the mount points that are still there afterwards (should be none).
    """
    for _ in range(5):
        targets = sorted({p for p in mount_points() if wanted(p)}, key=len, reverse=True)
        if not targets:
            return []
        for target in targets:
            if run(["umount", target], check=False).returncode != 0:
                run(["umount", "--lazy", target], check=False)
    return [p for p in mount_points() if wanted(p)]
