"""The SSH testbed as a Python API: `Fleet` brings hosts up, runs commands in them, and
removes them. Used by the `fleet` CLI beside this file and by tests/e2e/conftest.py.

    fleet = Fleet()                      # state dir: $TESTBED_DIR or <repo>/.cache/testbed
    fleet.up(clients=2, inventory=path)  # idempotent: reuses and repairs
    fleet.exec("ai-client-1", "hostname")            # login shell of `dev`
    fleet.exec("ai-server", ["id", "-u"], user="root")
    fleet.exec("outsider", ["curl", "-sS", "http://100.64.1.1:11434/"])
    fleet.down()                         # removes everything but the caches

See docs/testbed.md for the layout, addresses and caches.
"""

from __future__ import annotations

import fcntl
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fleetlib import layout
from fleetlib.enter import as_root, as_user, in_outsider
from fleetlib.hostconfig import (
    authorize,
    ensure_controller_key,
    ensure_host_keys,
    host_public_keys,
    set_login_shell,
    write_identity,
)
from fleetlib.hostroot import (
    ensure_overlay,
    ensure_pseudo_filesystems,
    ensure_uts,
    host_dir,
    recorded_lower,
    root_of,
)
from fleetlib.inventory import write_inventory, write_known_hosts
from fleetlib.layout import OUTSIDER_NETNS, Host
from fleetlib.mirror import NPM_REGISTRY_URL, OLLAMA_URL_TEMPLATE, ensure_mirror
from fleetlib.mirror_service import ensure_mirror_server
from fleetlib.mounts import is_mounted
from fleetlib.network import ensure_bridges, ensure_host_network, ensure_outsider
from fleetlib.rootfs import ensure_rootfs
from fleetlib.shell import clean_env, say
from fleetlib.sshd import banner, sshd_pid, start_sshd, stop_sshd
from fleetlib.standins import STANDINS, install_standins
from fleetlib.teardown import down_everything, remove_hosts, testbed_netns
from fleetlib.usage import host_usage, machine_counts, process_usage, summarize

REQUIRED_TOOLS = ["debootstrap", "ip", "nsenter", "unshare", "chroot", "mount", "umount",
                  "ssh-keygen", "npm"]  # fmt: skip
MIRROR_URL = layout.MIRROR_URL
WHEELS_URL = f"{MIRROR_URL}/wheels/"
NPM_REGISTRY = NPM_REGISTRY_URL
OLLAMA_URL = OLLAMA_URL_TEMPLATE


def missing_prerequisites() -> list[str]:
    """Why the testbed cannot run here (empty when it can)."""
    problems = []
    if platform.system() != "Linux":
        problems.append(f"needs Linux (this is {platform.system()})")
    elif os.geteuid() != 0:
        problems.append("needs root (network namespaces, mounts, chroot)")
    missing = [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]
    if missing:
        problems.append(f"missing tools: {', '.join(missing)} (run tests/testbed/prepare-host.sh)")
    return problems


class Fleet:
    """One server and K clients in network namespaces on this machine."""

    def __init__(self, state_dir: str | os.PathLike | None = None):
        self.state = layout.state_dir(state_dir)
        self.key = self.state / "keys" / "id_ed25519"
        self.known_hosts = self.state / "known_hosts"
        self.state_file = self.state / "fleet.json"

    # -- reading ---------------------------------------------------------------------

    def info(self) -> dict:
        """What the last `up` wrote (hosts, inventory, URLs); empty if none."""
        try:
            return json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return {}

    @property
    def hosts(self) -> list[Host]:
        return layout.fleet_hosts(self.info().get("clients", 0)) if self.info() else []

    @property
    def inventory(self) -> Path | None:
        path = self.info().get("inventory")
        return Path(path) if path else None

    def ip(self, name: str) -> str:
        return layout.OUTSIDER_IP if name == "outsider" else layout.host_by_name(name).ip

    def root(self, name: str) -> Path:
        return root_of(self.state, name)

    def status(self) -> list[dict]:
        rows = []
        for host in self.hosts:
            root = self.root(host.name)
            rows.append({
                "host": host.name, "ip": host.ip, "shell": host.shell,
                "netns": host.netns in testbed_netns(), "mounted": is_mounted(root),
                "sshd_pid": sshd_pid(root), "ssh": banner(host.ip, timeout=1.0) is not None,
            })  # fmt: skip
        return rows

    def usage(self, with_disk: bool = True) -> dict:
        """What the fleet costs this machine now (fleetlib/usage.py): per host, a summary
        per role, the mirror server, and machine-wide counts."""
        from fleetlib.processes import mirror_server_pids

        rows = host_usage(self.hosts, self.state, with_disk=with_disk)
        mirror = [u for pid in mirror_server_pids() if (u := process_usage(pid))]
        return {
            "hosts": [r.as_dict() for r in rows],
            "summary": summarize(rows),
            "mirror": {"processes": len(mirror), "rss_kib": sum(u[0] for u in mirror),
                       "pss_kib": sum(u[1] for u in mirror), "fds": sum(u[2] for u in mirror)},
            "machine": machine_counts(),
        }  # fmt: skip

    # -- running commands in hosts ---------------------------------------------------

    def command(self, name: str, cmd: str | list[str] | None, user: str = layout.USER):
        """The controller-side argv that runs `cmd` inside host `name`."""
        if name == "outsider":
            argv = cmd if isinstance(cmd, list) else ["sh", "-c", cmd or "exec sh"]
            return in_outsider(argv)
        host = layout.host_by_name(name)
        root = self.root(name)
        if user == "root" and isinstance(cmd, list):
            return as_root(host, root, cmd)
        return as_user(host, root, cmd, user)

    def exec(self, name: str, cmd: str | list[str], user: str = layout.USER, *,
             check: bool = False, timeout: float | None = 300,
             input: str | None = None) -> subprocess.CompletedProcess:  # fmt: skip
        """Run `cmd` in a host: a string goes through the user's login shell; as root, a
        list runs directly. Returns the CompletedProcess (text stdout/stderr)."""
        result = subprocess.run(self.command(name, cmd, user), capture_output=True, text=True,
                                timeout=timeout, input=input, env=clean_env(HOME="/root"))  # fmt: skip
        if check and result.returncode != 0:
            raise RuntimeError(f"{name}: {cmd!r} exited {result.returncode}: "
                               f"{result.stderr.strip() or result.stdout.strip()}")  # fmt: skip
        return result

    def start_sshd(self, name: str) -> None:
        start_sshd(layout.host_by_name(name), self.root(name))

    def stop_sshd(self, name: str) -> bool:
        return stop_sshd(self.root(name))

    # -- lifecycle ---------------------------------------------------------------------

    @contextmanager
    def _locked(self):
        layout.LOCK_FILE.parent.mkdir(parents=True, exist_ok=True)
        with layout.LOCK_FILE.open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def up(self, clients: int = 2, inventory: str | os.PathLike | None = None) -> dict:
        """Bring up ai-server and `clients` clients (reusing what exists); return info()."""
        problems = missing_prerequisites()
        if problems:
            raise RuntimeError("the testbed cannot run here: " + "; ".join(problems))
        fleet = layout.fleet_hosts(clients)
        inventory = Path(inventory or self.state / "inventory.py").resolve()
        started = time.monotonic()
        with self._locked():
            self.state.mkdir(parents=True, exist_ok=True)
            rootfs = ensure_rootfs(self.state)
            mirror = ensure_mirror(self.state, STANDINS)
            pubkey = Path(f"{ensure_controller_key(self.state)}.pub").read_text()
            ensure_bridges()
            self._remove_unwanted(fleet, rootfs)
            keys = {}
            for host in fleet:
                keys[host] = self._ensure_host(host, fleet, rootfs, pubkey)
            ensure_outsider()
            ensure_mirror_server(mirror, self.state / "mirror.log")
            write_known_hosts(self.known_hosts, keys)
            write_inventory(inventory, fleet, self.key, self.known_hosts)
            info = {
                "clients": clients, "hosts": {h.name: h.ip for h in fleet},
                "inventory": str(inventory), "ssh_key": str(self.key),
                "known_hosts": str(self.known_hosts), "ssh_user": layout.USER,
                "mirror_url": MIRROR_URL, "wheels_url": WHEELS_URL,
                "npm_registry": NPM_REGISTRY, "ollama_release_url": OLLAMA_URL,
                "server_lan_ip": layout.SERVER_LAN_IP, "outsider_ip": layout.OUTSIDER_IP,
                "rootfs": str(rootfs), "up_seconds": round(time.monotonic() - started, 1),
            }  # fmt: skip
            self.state_file.write_text(json.dumps(info, indent=1) + "\n")
        return info

    def _remove_unwanted(self, fleet: list[Host], rootfs: Path) -> None:
        """Drop hosts beyond the wanted count, and hosts built on an older root."""
        wanted = {h.name for h in fleet}
        present = {ns[len(layout.PREFIX) :] for ns in testbed_netns()} - {"outsider"}
        if (self.state / "hosts").is_dir():
            present |= set(os.listdir(self.state / "hosts"))
        stale = {n for n in present if n not in wanted}
        stale |= {n for n in present & wanted
                  if recorded_lower(self.state, n) not in (None, str(rootfs))}  # fmt: skip
        if stale:
            say(f"removing hosts: {', '.join(sorted(stale))}")
            problems = remove_hosts(stale, self.state)
            if problems:
                raise RuntimeError("could not remove old hosts: " + "; ".join(problems))

    def _ensure_host(self, host: Host, fleet: list[Host], rootfs: Path, pubkey: str):
        root = ensure_overlay(self.state, host, rootfs)
        ensure_pseudo_filesystems(root)
        ensure_uts(host)
        ensure_host_network(host)
        write_identity(root, host, fleet)
        set_login_shell(root, host)
        ensure_host_keys(root)
        authorize(root, pubkey)
        install_standins(host, root, host_dir(self.state, host.name), fleet)
        start_sshd(host, root)
        return host_public_keys(root)

    def down(self) -> list[str]:
        """Remove every testbed object (whatever state dir made it); keep the caches.
        Returns the problems left (empty when clean)."""
        with self._locked():
            problems = down_everything(self.state)
            self.state_file.unlink(missing_ok=True)
        return problems


__all__ = ["NPM_REGISTRY", "OLLAMA_URL", "OUTSIDER_NETNS", "WHEELS_URL", "Fleet",
           "missing_prerequisites"]  # fmt: skip
