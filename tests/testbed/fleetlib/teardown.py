"""Removing hosts and the whole fleet, found by name prefix so it works without state.

Order matters: processes first (they pin mounts and namespaces), then mounts deepest
first, then namespaces and links, and only then the hosts' directories.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .layout import HOST_MOUNT_RE, OUTSIDER_NETNS, PARTIAL_ROOTFS_RE, PREFIX, RUN_DIR, UTS_DIR
from .mounts import mount_points, unmount_matching
from .processes import (
    mirror_server_pids,
    pids_building,
    pids_chrooted,
    pids_in_netns,
    terminate,
)
from .shell import run, say


def testbed_netns() -> list[str]:
    out = run(["ip", "netns", "list"], check=False).stdout or ""
    return [line.split()[0] for line in out.splitlines() if line.startswith(PREFIX)]


def testbed_links() -> list[str]:
    out = run(["ip", "-o", "link", "show"], check=False).stdout or ""
    names = [line.split(":")[1].strip().split("@")[0] for line in out.splitlines()]
    return [n for n in names if n.startswith(PREFIX)]


def _host_mount(path: str, names: set[str] | None) -> bool:
    match = HOST_MOUNT_RE.search(path + "/")
    return bool(match) and (names is None or match.group(1) in names)


def remove_hosts(names: set[str], state: Path | None) -> list[str]:
    """Remove the named hosts (processes, mounts, netns, veths, dirs); return problems."""
    problems = []
    netns = {PREFIX + n for n in names}
    terminate(lambda: set().union(*(pids_in_netns(ns) for ns in netns), pids_chrooted(names)))
    left = unmount_matching(lambda p: _host_mount(p, names))
    left += unmount_matching(lambda p: p.startswith(f"{UTS_DIR}/") and p.rsplit("/", 1)[1] in names)
    problems += [f"still mounted: {p}" for p in left]
    for ns in set(testbed_netns()) & netns:
        run(["ip", "netns", "del", ns], check=False)
    for name in names:
        (UTS_DIR / name).unlink(missing_ok=True)
    if state is not None and not left:
        for name in names:
            shutil.rmtree(state / "hosts" / name, ignore_errors=True)
    return problems


def down_everything(state: Path | None) -> list[str]:
    """Remove every testbed object on this machine; keep the caches. Return problems."""
    problems: list[str] = []
    terminate(mirror_server_pids)
    terminate(lambda: pids_building(state))
    names = {ns[len(PREFIX) :] for ns in testbed_netns()}
    names |= {m.group(1) for p in mount_points() if (m := HOST_MOUNT_RE.search(p + "/"))}
    # Host dirs of whatever state dir made the mounts (it may not be `state`).
    other_dirs = {Path(p[: m.start()]) / "hosts" / m.group(1)
                  for p in mount_points() if (m := HOST_MOUNT_RE.search(p + "/"))}  # fmt: skip
    if UTS_DIR.exists():
        names |= set(os.listdir(UTS_DIR))
    if state is not None and (state / "hosts").is_dir():
        names |= set(os.listdir(state / "hosts"))
    names.discard("outsider")
    problems += remove_hosts(names, state)
    # Anything chrooted into a host that no name pointed at, and stray debootstraps.
    terminate(pids_chrooted)
    left = unmount_matching(lambda p: bool(HOST_MOUNT_RE.search(p + "/")))
    left += unmount_matching(lambda p: bool(PARTIAL_ROOTFS_RE.search(p + "/")))
    left += unmount_matching(lambda p: p == str(UTS_DIR) or p.startswith(f"{UTS_DIR}/"))
    problems += [f"still mounted: {p}" for p in left]
    terminate(lambda: pids_in_netns(OUTSIDER_NETNS) if OUTSIDER_NETNS in testbed_netns() else set())
    for ns in testbed_netns():
        run(["ip", "netns", "del", ns], check=False)
    for link in testbed_links():
        run(["ip", "link", "del", link], check=False)
    if not left:
        shutil.rmtree(RUN_DIR, ignore_errors=True)
        for stale in other_dirs:
            shutil.rmtree(stale, ignore_errors=True)
    problems += [f"netns left: {ns}" for ns in testbed_netns()]
    problems += [f"link left: {link}" for link in testbed_links()]
    for problem in problems:
        say(f"teardown: {problem}")
    return problems
