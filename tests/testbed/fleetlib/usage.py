"""What each testbed host costs this machine: processes, memory, file descriptors,
mounts, tmpfs and disk. Read from /proc and the mounts, nothing estimated.

A process belongs to a host when its network namespace is the host's (`ip netns` pins
it at /run/netns/ro-<name>) or its root is the host's root (chrooted without nsenter).
Memory is RSS (each process counted whole) and PSS (shared pages split between the
processes sharing them: the fair share, which adds up across hosts).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

from .hostroot import root_of, uts_file
from .layout import HOST_MOUNT_RE, Host
from .mounts import mount_points


@dataclass
class HostUsage:
    host: str
    role: str
    processes: int = 0
    rss_kib: int = 0
    pss_kib: int = 0
    fds: int = 0
    mounts: int = 0
    tmpfs_kib: int = 0  # written to the host's tmpfs mounts: held in RAM
    upper_kib: int = 0  # its overlay's upper layer: disk

    def as_dict(self) -> dict:
        return asdict(self)


def _rollup_kib(text: str, field: str) -> int:
    """A `Field:   123 kB` value from /proc/PID/smaps_rollup or status (0 if absent)."""
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def process_usage(pid: int) -> tuple[int, int, int] | None:
    """(RSS KiB, PSS KiB, open fds) of a process; None if it is gone or unreadable."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        fds = len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None
    return _rollup_kib(rollup, "Rss"), _rollup_kib(rollup, "Pss"), fds


def _inode(path: str) -> int | None:
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def pids_by_host(hosts: list[Host], state: Path) -> dict[str, set[int]]:
    """{host name: pids}, from one pass over /proc (netns inode, then chroot root)."""
    by_netns = {ino: h.name for h in hosts if (ino := _inode(f"/run/netns/{h.netns}"))}
    wanted = {h.name for h in hosts}
    found: dict[str, set[int]] = {h.name: set() for h in hosts}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        name = by_netns.get(_inode(f"/proc/{entry}/ns/net"))
        if name is None:
            try:
                match = HOST_MOUNT_RE.search(os.readlink(f"/proc/{entry}/root") + "/")
            except OSError:
                continue
            name = match.group(1) if match and match.group(1) in wanted else None
        if name is not None:
            found[name].add(int(entry))
    return found


def disk_kib(path: Path) -> int:
    """Disk blocks used under `path` (hard links once), in KiB."""
    seen, total = set(), 0
    for top, dirs, files in os.walk(path):
        for name in dirs + files:
            try:
                st = os.lstat(os.path.join(top, name))
            except OSError:
                continue
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_blocks * 512
    return total // 1024


def _tmpfs_used_kib(mount: str) -> int:
    try:
        st = os.statvfs(mount)
    except OSError:
        return 0
    return (st.f_blocks - st.f_bfree) * st.f_frsize // 1024


def host_usage(hosts: list[Host], state: Path, with_disk: bool = True) -> list[HostUsage]:
    """One row per host of what it holds now."""
    pids = pids_by_host(hosts, state)
    with open("/proc/self/mountinfo") as info:
        mounts = [(line.split()[4], line.split(" - ")[1].split()[0]) for line in info]
    rows = []
    for host in hosts:
        row = HostUsage(host.name, host.role)
        for pid in pids[host.name]:
            got = process_usage(pid)
            if got:
                row.processes += 1
                row.rss_kib += got[0]
                row.pss_kib += got[1]
                row.fds += got[2]
        root = str(root_of(state, host.name))
        for point, fstype in mounts:
            if point == root or point.startswith(root + "/") or point == str(uts_file(host.name)):
                row.mounts += 1
                if fstype == "tmpfs":
                    row.tmpfs_kib += _tmpfs_used_kib(point)
        if with_disk:
            row.upper_kib = disk_kib(state / "hosts" / host.name / "upper")
        rows.append(row)
    return rows


FIELDS = ("processes", "rss_kib", "pss_kib", "fds", "mounts", "tmpfs_kib", "upper_kib")


def summarize(rows: list[HostUsage]) -> dict[str, dict[str, float]]:
    """Per role ("server", "client"): the mean and max of each field, and the count;
    plus "total" over all hosts."""
    out: dict[str, dict[str, float]] = {}
    for role in ("server", "client"):
        mine = [r for r in rows if r.role == role]
        if not mine:
            continue
        summary: dict[str, float] = {"hosts": len(mine)}
        for field in FIELDS:
            values = [getattr(r, field) for r in mine]
            summary[f"{field}_mean"] = sum(values) / len(values)
            summary[f"{field}_max"] = max(values)
        out[role] = summary
    out["total"] = {"hosts": len(rows), **{f: sum(getattr(r, f) for r in rows) for f in FIELDS}}
    return out


def machine_counts() -> dict[str, int]:
    """Machine-wide figures a large fleet could exhaust: mounts, open files, processes."""
    allocated, _unused, maximum = (int(v) for v in Path("/proc/sys/fs/file-nr").read_text().split())
    return {
        "mounts": len(mount_points()),
        "mount_max": int(Path("/proc/sys/fs/mount-max").read_text()),
        "host_mounts": sum(bool(HOST_MOUNT_RE.search(p + "/")) for p in mount_points()),
        "open_files": allocated,
        "file_max": maximum,
        "processes": sum(entry.isdigit() for entry in os.listdir("/proc")),
        "pid_max": int(Path("/proc/sys/kernel/pid_max").read_text()),
        "mem_available_kib": _rollup_kib(Path("/proc/meminfo").read_text(), "MemAvailable"),
    }


def render(rows: list[HostUsage], machine: dict[str, int]) -> str:
    """A plain-text table and summary for `fleet usage`."""
    lines = [f"{'host':<14} {'procs':>5} {'RSS MiB':>8} {'PSS MiB':>8} {'fds':>5} "
             f"{'mounts':>6} {'tmpfs MiB':>9} {'upper MiB':>9}"]  # fmt: skip
    for r in rows:
        lines.append(f"{r.host:<14} {r.processes:>5} {r.rss_kib / 1024:>8.1f} "
                     f"{r.pss_kib / 1024:>8.1f} {r.fds:>5} {r.mounts:>6} "
                     f"{r.tmpfs_kib / 1024:>9.1f} {r.upper_kib / 1024:>9.1f}")  # fmt: skip
    summary = summarize(rows)
    for role in ("server", "client"):
        if role in summary:
            s = summary[role]
            lines.append(f"{role} mean ({s['hosts']:.0f}): {s['processes_mean']:.1f} processes, "
                         f"PSS {s['pss_kib_mean'] / 1024:.1f} MiB (RSS {s['rss_kib_mean'] / 1024:.1f}),"
                         f" {s['fds_mean']:.1f} fds, {s['mounts_mean']:.1f} mounts, "
                         f"tmpfs {s['tmpfs_kib_mean'] / 1024:.1f} MiB, "
                         f"upper {s['upper_kib_mean'] / 1024:.1f} MiB")  # fmt: skip
    t = summary["total"]
    lines.append(f"total ({t['hosts']} hosts): {t['processes']} processes, "
                 f"PSS {t['pss_kib'] / 1024:.1f} MiB, {t['fds']} fds, {t['mounts']} mounts, "
                 f"upper {t['upper_kib'] / 1024:.1f} MiB")  # fmt: skip
    lines.append(f"machine: {machine['mounts']} mounts (max {machine['mount_max']}), "
                 f"{machine['open_files']} open files (max {machine['file_max']}), "
                 f"{machine['processes']} processes (pid_max {machine['pid_max']}), "
                 f"{machine['mem_available_kib'] / 2**20:.1f} GiB available")  # fmt: skip
    return "\n".join(lines)
